# SPDX-License-Identifier: MIT
"""
A strict fake Jira Service Management portal and a fake Slack incoming
webhook, standard library only, on 127.0.0.1 with a random port.

It follows ../shared/reference/protocols.md section 10: it rejects what the
real API rejects (missing XSRF header on uploads, unknown fields, an option id
sent as a label, a missing "public", unknown participants, bad credentials),
pages its lists, and can be switched into faults (429 with Retry-After, 503,
a dropped connection after the create is committed, a failed upload, an
expired token, delayed search indexing, small page limits).

Over TLS:   portal.start(tls=ssl_context) serves https:// (a test CA's certificate).
Slow reads: set_faults(slow_read={"path": "...", "rate": bytes_per_second}) reads a
matching request body at that rate; portal.receiving lists those bodies
({"path", "got": bytes so far, "length"}) as they arrive.

Use it in-process (pytest):   portal = FakePortal(); portal.start(); ... portal.stop()
or as a process (C tests):    python3 fake_portal.py --port-file FILE
and switch faults over HTTP:  POST /__fake/faults {json}, GET /__fake/state, POST /__fake/reset
"""
import base64
import copy
import email.parser
import email.policy
import http.server
import json
import re
import socketserver
import sys
import threading
import time
import urllib.parse

API = "/rest/servicedeskapi"

CLOUD_ACCOUNT = "5b10a2844c20165700ede21g"
KNOWN_ACCOUNTS = {
    "5b10ac8d82e05b22cc7d4ef5": "Jane Oncall",
    "712020:0e1b7c3a-9d51-4f0e-8c1b-3f3f3f3f3f3f": "Sam Ops",
    CLOUD_ACCOUNT: "Ops Bot",
}
KNOWN_USERNAMES = {"jdoe": "John Doe", "asmith": "Alice Smith", "opsbot": "Ops Bot"}


def default_catalogue():
    """Desks, request types and fields (protocols.md 2.2-2.4)."""
    desks = [
        {"id": "1", "projectId": "10001", "projectName": "Internal IT", "projectKey": "IT"},
        {"id": "3", "projectId": "10021", "projectName": "Stakater Support", "projectKey": "SUP"},
        {"id": "4", "projectId": "10022", "projectName": "Facilities", "projectKey": "FAC"},
    ]
    summary = {"fieldId": "summary", "name": "Summary", "description": "", "required": True,
               "visible": True, "validValues": [], "defaultValues": [], "presetValues": [],
               "jiraSchema": {"type": "string", "system": "summary"}}
    description = {"fieldId": "description", "name": "What happened?", "required": True,
                   "visible": True, "validValues": [],
                   "jiraSchema": {"type": "string", "system": "description"}}
    priority = {"fieldId": "priority", "name": "Severity", "required": False, "visible": True,
                "validValues": [
                    {"value": "10001", "label": "P1 - Critical", "children": []},
                    {"value": "10002", "label": "P2 - High", "children": []},
                    {"value": "10003", "label": "P3 - Medium", "children": []},
                    {"value": "10004", "label": "P4 - Low", "children": []}],
                "jiraSchema": {"type": "priority", "system": "priority"}}
    env = {"fieldId": "customfield_10150", "name": "Environment", "required": False,
           "visible": True, "validValues": [
               {"value": "10210", "label": "Production", "children": []},
               {"value": "10211", "label": "Staging", "children": []}],
           "jiraSchema": {"type": "option",
                          "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
                          "customId": 10150}}
    labels = {"fieldId": "labels", "name": "Labels", "required": False, "visible": True,
              "validValues": [], "jiraSchema": {"type": "array", "items": "string",
                                                "system": "labels"}}
    sev_custom = {"fieldId": "customfield_10200", "name": "Severity", "required": False,
                  "visible": True, "validValues": [
                      {"value": "20001", "label": "Critical", "children": []},
                      {"value": "20002", "label": "High", "children": []},
                      {"value": "20003", "label": "Medium", "children": []},
                      {"value": "20004", "label": "Low", "children": []}],
                  "jiraSchema": {"type": "option",
                                 "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
                                 "customId": 10200}}
    types = {
        "3": [
            {"id": "41", "name": "Report an incident", "description": "Something is broken",
             "issueTypeId": "10004", "serviceDeskId": "3", "portalId": "3", "groupIds": ["7"]},
            {"id": "42", "name": "Ask a question", "description": "How-to questions",
             "issueTypeId": "10005", "serviceDeskId": "3", "portalId": "3", "groupIds": ["8"]},
            {"id": "43", "name": "Report a crash", "description": "Custom severity field",
             "issueTypeId": "10004", "serviceDeskId": "3", "portalId": "3", "groupIds": ["7"]},
            {"id": "44", "name": "General request", "description": "No severity field",
             "issueTypeId": "10006", "serviceDeskId": "3", "portalId": "3", "groupIds": ["8"]},
        ],
        "1": [{"id": "11", "name": "Get IT help", "issueTypeId": "10001", "serviceDeskId": "1",
               "portalId": "1", "groupIds": []}],
        "4": [],
    }
    fields = {
        "41": {"requestTypeFields": [summary, description, priority, env, labels],
               "canRaiseOnBehalfOf": False, "canAddRequestParticipants": True},
        "42": {"requestTypeFields": [summary, description, priority],
               "canRaiseOnBehalfOf": False, "canAddRequestParticipants": True},
        "43": {"requestTypeFields": [summary, description, sev_custom, labels],
               "canRaiseOnBehalfOf": False, "canAddRequestParticipants": True},
        "44": {"requestTypeFields": [summary, copy.deepcopy(description)],
               "canRaiseOnBehalfOf": False, "canAddRequestParticipants": False},
        "11": {"requestTypeFields": [summary], "canRaiseOnBehalfOf": False,
               "canAddRequestParticipants": True},
    }
    return desks, types, fields


# Atlassian Document Format: the node types, where each may appear, and the marks
# (developer.atlassian.com/cloud/jira/platform/apis/document/structure).
ADF_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"}
ADF_BLOCK = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote",
             "rule", "table", "panel", "mediaGroup", "mediaSingle", "expand"}
ADF_CHILDREN = {
    "doc": ADF_BLOCK,
    "paragraph": ADF_INLINE,
    "heading": ADF_INLINE,
    "bulletList": {"listItem"},
    "orderedList": {"listItem"},
    "listItem": {"paragraph", "bulletList", "orderedList", "codeBlock", "mediaSingle"},
    "codeBlock": {"text"},
    "blockquote": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "table": {"tableRow"},
    "tableRow": {"tableHeader", "tableCell"},
    "tableHeader": ADF_BLOCK - {"table"},
    "tableCell": ADF_BLOCK - {"table"},
    "panel": {"paragraph", "heading", "bulletList", "orderedList"},
}
ADF_LEAVES = {"text", "hardBreak", "rule", "mention", "emoji", "inlineCard", "date", "status"}
ADF_NONEMPTY = {"bulletList", "orderedList", "listItem", "table", "tableRow", "tableHeader",
                "tableCell"}
ADF_MARKS = {"strong", "em", "code", "link", "strike", "underline", "textColor", "subsup"}


def adf_problem(doc):
    """None when doc is a valid ADF document, else what is wrong (the real API
    answers 400 for any of these)."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return "the root must be {version: 1, type: doc}"
    if not isinstance(doc.get("content"), list):
        return "doc has no content array"
    return adf_node_problem(doc, None, 0)


def adf_marks_problem(node):
    marks = node.get("marks", [])
    if not isinstance(marks, list):
        return "marks must be a list"
    types = [m.get("type") if isinstance(m, dict) else None for m in marks]
    if any(t not in ADF_MARKS for t in types) or len(set(types)) != len(types):
        return "unknown or repeated mark in %r" % types
    if "code" in types and set(types) - {"code", "link"}:
        return "the code mark combines only with link"
    for m in marks:
        if m["type"] == "link" and not (m.get("attrs") or {}).get("href"):
            return "a link mark needs attrs.href"
    return None


def adf_node_problem(node, parent, depth):
    if depth > 20 or not isinstance(node, dict):
        return "a node must be an object (nesting at most 20)"
    t = node.get("type")
    if parent is not None and t not in ADF_CHILDREN.get(parent, set()):
        return "%s is not allowed inside %s" % (t, parent)
    if t == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            return "a text node needs non-empty text"
        if parent == "codeBlock" and node.get("marks"):
            return "text in a codeBlock has no marks"
        return adf_marks_problem(node)
    if t == "heading" and (node.get("attrs") or {}).get("level") not in range(1, 7):
        return "a heading needs attrs.level 1-6"
    if t in ADF_LEAVES:
        return "%s has no content" % t if "content" in node else None
    content = node.get("content", [])
    if not isinstance(content, list):
        return "%s: content must be a list" % t
    if t in ADF_NONEMPTY and not content:
        return "%s must not be empty" % t
    if t == "listItem" and content[0].get("type") not in ("paragraph", "codeBlock",
                                                           "mediaSingle"):
        return "a listItem starts with a paragraph"
    for c in content:
        p = adf_node_problem(c, t, depth + 1)
        if p:
            return p
    return None


def date_dto(t=None):
    t = time.time() if t is None else t
    iso = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))
    return {"iso8601": iso, "jira": iso.replace("+0000", ".000+0000"),
            "friendly": "Today", "epochMillis": int(t * 1000)}


def paged(values, start, limit, base):
    page = values[start:start + limit]
    last = start + len(page) >= len(values)
    links = {"base": base + API, "context": "context",
             "self": f"{base}{API}?start={start}&limit={limit}"}
    if not last:
        links["next"] = f"{base}{API}?start={start + limit}&limit={limit}"
    if start > 0:
        links["prev"] = f"{base}{API}?start={max(0, start - limit)}&limit={limit}"
    return {"_expands": [], "size": len(page), "start": start, "limit": limit,
            "isLastPage": last, "_links": links, "values": page, "unknownExtra": 1}


class Drop(Exception):
    """Close the connection without an answer."""


class Reply(Exception):
    def __init__(self, status, body=None, headers=None, text=None):
        super().__init__(status)
        self.status, self.body, self.headers, self.text = status, body, headers or {}, text


def error(status, message, key="sd.error"):
    return Reply(status, {"errorMessage": message,
                          "i18nErrorMessage": {"i18nKey": key, "parameters": []}})


class FakePortal:
    def __init__(self, deployment="cloud", email="ops-bot@customer.example",
                 token="s3cr3t-T0KEN-value", pat="dc-PAT-s3cr3t-value"):
        self.deployment = deployment
        self.email, self.token, self.pat = email, token, pat
        self.lock = threading.RLock()
        self.server = None
        self.thread = None
        self.tls = None
        self.reset()

    # ---- state -------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.desks, self.types, self.fields = default_catalogue()
            self.requests = []          # created requests (dicts)
            self.temp = {}              # temp id -> {desk, name, size, expires, used}
            self.log = []               # every call: method, path, headers, body (bytes)
            self.slack = []             # slack messages received
            self.receiving = []         # slow_read bodies: path, bytes got so far, length
            self.faults = {}
            self.calls = 0
            self.next_issue = 480
            self.next_temp = 8186986881700442000
            self.next_comment = 30000

    def set_faults(self, **faults):
        with self.lock:
            for k, v in faults.items():
                if v is None:
                    self.faults.pop(k, None)
                else:
                    self.faults[k] = v

    def _take(self, name):
        """Consume one occurrence of a counted fault."""
        f = self.faults.get(name)
        if not f:
            return None
        if isinstance(f, dict):
            if f.get("count", 1) <= 0:
                return None
            if f.get("path") and f["path"] not in self._path:
                return None
            if f.get("method") and f["method"] != self._method:
                return None
            f["count"] = f.get("count", 1) - 1
            return f
        if isinstance(f, int) and not isinstance(f, bool):
            if f <= 0:
                return None
            self.faults[name] = f - 1
            return {}
        return {} if f else None

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def created(self):
        with self.lock:
            return list(self.requests)

    def calls_to(self, method, path_re):
        with self.lock:
            return [c for c in self.log if c["method"] == method and re.search(path_re, c["path"])]

    def state(self):
        with self.lock:
            return {"requests": self.requests, "slack": self.slack,
                    "log": [{k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
                             for k, v in c.items()} for c in self.log],
                    "faults": self.faults}

    # ---- server ------------------------------------------------------------
    def start(self, port=0, tls=None):
        """Serves on 127.0.0.1; tls: an ssl.SSLContext for https://."""
        portal = self
        self.tls = tls

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):
                pass

            def handle_any(self):
                portal.handle(self)

            do_GET = do_POST = do_DELETE = do_PUT = handle_any

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request, client_address):
                if tls is not None:
                    # the handshake in the handler's thread, bounded: a client that
                    # refuses the certificate stalls nothing
                    request.settimeout(10)
                    try:
                        request = tls.wrap_socket(request, server_side=True)
                    except (OSError, ValueError):
                        return
                super().finish_request(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # ---- request handling --------------------------------------------------
    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        u = urllib.parse.urlsplit(h.path)
        body = self.read_body(h, u.path, length) if length else b""
        if len(body) < length:
            h.close_connection = True   # the client went away mid-body
            return
        query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        with self.lock:
            self._path, self._method = u.path, h.command
            if not u.path.startswith("/__fake/"):
                self.log.append({"method": h.command, "path": h.path,
                                 "headers": dict(h.headers.items()), "body": body,
                                 "time": time.time()})
        try:
            if u.path.startswith("/__fake/"):
                result = self.control(h.command, u.path, body)
            elif u.path.startswith("/services/"):
                result = self.slack_hook(h, body)
            else:
                result = self.route(h, u.path, query, body)
            status, payload, headers = result
            self.send(h, status, payload, headers)
        except Reply as r:
            try:
                self.send(h, r.status, r.text if r.text is not None else r.body, r.headers)
            except (BrokenPipeError, ConnectionResetError):
                h.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True   # the client went away before the answer
        except Drop:
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass

    def read_body(self, h, path, length):
        slow = self.faults.get("slow_read")
        if not slow or slow.get("path", "") not in path:
            return h.rfile.read(length)
        chunks, got = [], 0
        rec = {"path": path, "got": 0, "length": length}
        with self.lock:
            self.receiving.append(rec)
        rate = max(int(slow.get("rate", 65536)), 1)
        step = max(min(4096, rate // 10), 1)
        while got < length:
            c = h.rfile.read(min(step, length - got))
            if not c:
                break
            chunks.append(c)
            got += len(c)
            with self.lock:
                rec["got"] = got
            time.sleep(len(c) / rate)
        return b"".join(chunks)

    def send(self, h, status, payload, headers=None):
        headers = dict(headers or {})
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json;charset=UTF-8")
        elif payload is None:
            data = b""
        else:
            data = payload.encode() if isinstance(payload, str) else payload
            headers.setdefault("Content-Type", "text/plain;charset=UTF-8")
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("X-AREQUESTID", "req-%d" % self.calls)
        h.end_headers()
        h.wfile.write(data)

    def control(self, method, path, body):
        if path == "/__fake/state":
            return 200, self.state(), {}
        if path == "/__fake/reset":
            self.reset()
            return 200, {"ok": True}, {}
        if path == "/__fake/faults" and method == "POST":
            self.set_faults(**json.loads(body or b"{}"))
            return 200, {"ok": True}, {}
        if path == "/__fake/comment" and method == "POST":
            # a comment written by someone else (a support agent) on a request
            c = json.loads(body)
            with self.lock:
                r = next(x for x in self.requests if x["issueKey"] == c["key"])
                self.next_comment += 1
                author = dict({"active": True, "displayName": "Support Agent"},
                              **c.get("author", {}))
                com = {"id": str(self.next_comment), "body": c["body"],
                       "public": c.get("public", True), "author": author,
                       "created": date_dto(c.get("time")),
                       "_links": {"self": "%s%s/request/%s/comment/%d" % (
                           self.url, API, r["issueId"], self.next_comment)}}
                r["_comments"].append(com)
            return 200, com, {}
        if path == "/__fake/status" and method == "POST":
            c = json.loads(body)
            with self.lock:
                r = next(x for x in self.requests if x["issueKey"] == c["key"])
                r["currentStatus"] = {"status": c.get("status", "Resolved"),
                                      "statusCategory": c["statusCategory"],
                                      "statusDate": date_dto()}
            return 200, {"ok": True}, {}
        if path == "/__fake/catalogue" and method == "POST":
            c = json.loads(body)
            with self.lock:
                self.fields.update(c.get("fields", {}))
            return 200, {"ok": True}, {}
        raise Reply(404, {"error": "no such control"})

    def slack_hook(self, h, body):
        with self.lock:
            mode = self.faults.get("slack")
            if isinstance(mode, dict) and mode.get("count", 1) > 0:
                mode["count"] = mode.get("count", 1) - 1
                status, text = mode["status"], mode.get("text", "error")
                headers = {"Retry-After": str(mode["retry_after"])} if mode.get("retry_after") else {}
                raise Reply(status, text=text, headers=headers)
        if not (h.headers.get("Content-Type") or "").startswith("application/json"):
            raise Reply(400, text="invalid_payload")
        try:
            msg = json.loads(body)
        except ValueError:
            raise Reply(400, text="invalid_payload")
        if not isinstance(msg, dict) or not msg.get("text"):
            raise Reply(400, text="no_text")
        with self.lock:
            self.slack.append({"path": h.path, "message": msg})
        return 200, "ok", {}

    def authenticate(self, h):
        auth = h.headers.get("Authorization") or ""
        fail = Reply(401, text="Client must be authenticated to access this resource.",
                     headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                              "WWW-Authenticate": 'OAuth realm="https%3A%2F%2Fexample"'})
        if self.faults.get("expired_token"):
            raise fail
        if self.deployment == "cloud":
            if not auth.startswith("Basic "):
                raise fail
            try:
                user, _, tok = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                raise fail
            if user != self.email or tok != self.token:
                raise fail
            return CLOUD_ACCOUNT
        if auth != "Bearer " + self.pat:
            raise fail
        return "opsbot"

    def check_faults(self):
        with self.lock:
            self.calls += 1
            rl = self.faults.get("rate_limit")
            if rl and self.calls > rl.get("after", 0) and rl.get("count", 1) > 0 and \
                    (not rl.get("path") or rl["path"] in self._path):
                rl["count"] = rl.get("count", 1) - 1
                reset = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(time.time() + 60))
                raise Reply(429, text="Rate limit exceeded.",
                            headers={"Retry-After": str(rl.get("retry_after", 1)),
                                     "X-RateLimit-Reset": reset,
                                     "RateLimit-Reason": "jira-burst-based"})
            u = self._take("unavailable")
            if u is not None:
                headers = {"Retry-After": str(u["retry_after"])} if u.get("retry_after") else {}
                raise Reply(503, text="Service Unavailable", headers=headers)

    def route(self, h, path, q, body):
        if path == API + "/info" and h.command == "GET":
            return 200, {"version": "10.0.0", "platformVersion": "1001.0.0",
                         "buildDate": date_dto(), "buildChangeSet": "c0ffee",
                         "isLicensedForUse": True, "_links": {"self": self.url + path}}, {}
        if path in ("/rest/api/3/search", "/rest/api/2/search"):
            raise Reply(410, {"errorMessages": ["The requested API has been removed. Please "
                                                "migrate to the /rest/api/3/search/jql API."],
                              "errors": {}})
        self.check_faults()
        me = self.authenticate(h)
        headers = {"X-AAccountId": me} if self.deployment == "cloud" else {}
        status, payload = self.api(h, me, path, q, body)
        return status, payload, headers

    def start_limit(self, q):
        try:
            start = int(q.get("start", ["0"])[0])
            limit = int(q.get("limit", ["50"])[0])
        except ValueError:
            raise error(400, "start and limit must be numbers")
        cap = self.faults.get("page_limit", 50)
        return max(0, start), max(1, min(limit, cap))

    def find_desk(self, ident):
        for d in self.desks:
            if ident in (d["id"], d["projectKey"], "projectKey:" + d["projectKey"],
                         "projectId:" + d["projectId"], "serviceDeskId:" + d["id"]):
                return d
        raise error(404, "The Service Desk you are trying to view does not exist.",
                    "sd.agent.servicedesk.error.servicedesk.missing")

    def find_request(self, ident, me):
        for r in self.requests:
            if ident in (r["issueKey"], r["issueId"]):
                if r["_owner"] != me and me not in r["_participants"]:
                    break
                return r
        raise error(404, "The request does not exist or you do not have permission to see it.",
                    "sd.request.error.not.found")

    def public(self, r):
        return {k: v for k, v in r.items() if not k.startswith("_")}

    def api(self, h, me, path, q, body):
        m = h.command
        parts = path[len(API):].strip("/").split("/") if path.startswith(API) else []
        if path in ("/rest/api/3/myself", "/rest/api/2/myself") and m == "GET":
            return 200, {"accountId": me, "emailAddress": self.email, "displayName": "Ops Bot",
                         "active": True, "accountType": "customer"}
        if not parts:
            raise Reply(404, {"errorMessages": ["Not found"], "errors": {}})
        if parts == ["servicedesk"] and m == "GET":
            s, l = self.start_limit(q)
            return 200, paged(self.desks, s, l, self.url)
        if parts[0] == "servicedesk" and len(parts) >= 2:
            desk = self.find_desk(urllib.parse.unquote(parts[1]))
            if len(parts) == 2 and m == "GET":
                return 200, dict(desk, _links={"self": self.url + path})
            if len(parts) == 3 and parts[2] == "requesttype" and m == "GET":
                s, l = self.start_limit(q)
                return 200, paged(self.types.get(desk["id"], []), s, l, self.url)
            if len(parts) == 5 and parts[2] == "requesttype" and parts[4] == "field" and m == "GET":
                rt = self.find_type(desk, parts[3])
                return 200, self.fields[rt["id"]]
            if len(parts) == 3 and parts[2] == "attachTemporaryFile" and m == "POST":
                return self.upload(h, desk, body)
            if len(parts) == 3 and parts[2] == "customer" and m == "GET":
                if h.headers.get("X-ExperimentalApi") != "opt-in":
                    raise error(412, "This is an experimental API. Set X-ExperimentalApi: opt-in")
                raise Reply(403, {"errorMessage": "You do not have permission to view customers."})
        if parts == ["request"] and m == "POST":
            return self.create(h, me, body)
        if parts == ["request"] and m == "GET":
            return self.search(me, q)
        if parts[0] == "request" and len(parts) >= 2:
            r = self.find_request(urllib.parse.unquote(parts[1]), me)
            if len(parts) == 2 and m == "GET":
                return 200, self.public(r)
            if len(parts) == 3 and parts[2] == "attachment" and m == "POST":
                return self.attach(h, me, r, body)
            if len(parts) == 3 and parts[2] == "comment" and m == "POST":
                b = self.json_body(h, body)
                if "public" not in b:
                    raise error(400, "The 'public' property is required.")
                if not isinstance(b.get("body"), str) or not b["body"]:
                    raise error(400, "The comment body is required.")
                c = self.comment(me, r, b["body"], b["public"])
                return 201, c
            if len(parts) == 3 and parts[2] == "comment" and m == "GET":
                # a customer account sees public comments only, oldest first
                internal = (q.get("internal") or ["true"])[0] == "true"
                pub = (q.get("public") or ["true"])[0] == "true"
                if not pub and not internal:
                    raise error(400, "public and internal cannot both be false")
                out = [c for c in r["_comments"] if c["public"] and pub]
                s, l = self.start_limit(q)
                return 200, paged(out, s, l, self.url)
            if len(parts) == 3 and parts[2] == "participant" and m == "POST":
                return self.participants(h, me, r, body)
            if len(parts) == 3 and parts[2] == "participant" and m == "GET":
                s, l = self.start_limit(q)
                return 200, paged(self.users(r["_participants"]), s, l, self.url)
            if len(parts) == 3 and parts[2] == "transition" and m == "GET":
                s, l = self.start_limit(q)
                return 200, paged(self.customer_transitions(r), s, l, self.url)
            if len(parts) == 3 and parts[2] == "transition" and m == "POST":
                return self.transition(h, me, r, body)
        raise Reply(404, {"errorMessages": ["No such API: %s %s" % (m, path)], "errors": {}})

    def find_type(self, desk, ident):
        for t in self.types.get(desk["id"], []):
            if t["id"] == ident:
                return t
        raise error(404, "Request type not found.", "sd.request.type.not.found")

    def json_body(self, h, body):
        ct = (h.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ct != "application/json":
            raise Reply(415, {"errorMessage": "Unsupported Media Type"})
        try:
            b = json.loads(body)
        except ValueError:
            raise error(400, "The request body is not valid JSON.")
        if not isinstance(b, dict):
            raise error(400, "The request body must be a JSON object.")
        return b

    def users(self, ids):
        out = []
        for i in ids:
            if self.deployment == "cloud":
                out.append({"accountId": i, "displayName": KNOWN_ACCOUNTS.get(i, i),
                            "active": True})
            else:
                out.append({"name": i, "key": i, "displayName": KNOWN_USERNAMES.get(i, i),
                            "active": True})
        return out

    def upload(self, h, desk, body):
        if h.headers.get("X-Atlassian-Token") != "no-check":
            raise Reply(403, text="XSRF check failed")
        f = self._take("upload_fail")
        if f is not None:
            raise Reply(f.get("status", 500), {"errorMessage": "Internal server error"})
        ct = h.headers.get("Content-Type") or ""
        if not ct.startswith("multipart/form-data"):
            raise error(400, "Expected multipart/form-data")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ct.encode() + b"\r\n\r\n" + body)
        parts = [p for p in msg.iter_parts()] if msg.is_multipart() else []
        if len(parts) > 60:
            raise Reply(413, {"errorMessage": "Too many files"})
        out = []
        max_size = self.faults.get("max_size", 50 * 1024 * 1024)
        for p in parts:
            if p.get_param("name", header="content-disposition") != "file":
                raise error(400, "Each part must be named 'file'.")
            fn = p.get_filename()
            if not fn:
                raise error(400, "The file part has no filename.")
            data = p.get_payload(decode=True) or b""
            if len(data) > max_size:
                raise error(400, "The file %s is larger than the maximum attachment size." % fn)
            with self.lock:
                self.next_temp += 1
                tid = "temp%d" % self.next_temp
                self.temp[tid] = {"desk": desk["id"], "name": fn, "size": len(data),
                                  "data": data, "used": False,
                                  "expires": time.time() + self.faults.get("temp_ttl", 3600)}
            out.append({"temporaryAttachmentId": tid, "fileName": fn})
        if not out:
            raise error(400, "No file was uploaded (expected a part named 'file').")
        return 201, {"temporaryAttachments": out}

    def check_select(self, field, value):
        opts = field.get("validValues") or []
        ids = {o["value"] for o in opts}
        labels = {o["label"] for o in opts}
        if not isinstance(value, dict):
            raise error(400, "Field '%s' expects an option object." % field["name"])
        if "id" in value and str(value["id"]) in ids:
            return
        if "value" in value and value["value"] in labels:
            return
        if field["fieldId"] == "priority" and "name" in value and value["name"] in labels:
            return
        raise error(400, "Specify a valid value for %s" % field["name"],
                    "sd.validation.request.creation.failure")

    def create(self, h, me, body):
        b = self.json_body(h, body)
        for k in b:
            if k not in ("serviceDeskId", "requestTypeId", "requestFieldValues",
                         "requestParticipants", "raiseOnBehalfOf", "channel", "isAdfRequest",
                         "form"):
                raise error(400, "Unrecognized field \"%s\"" % k)
        if not isinstance(b.get("serviceDeskId"), str) or not isinstance(b.get("requestTypeId"), str):
            raise error(400, "serviceDeskId and requestTypeId must be strings")
        desk = next((d for d in self.desks if d["id"] == b["serviceDeskId"]), None)
        if not desk:
            raise error(404, "The Service Desk you are trying to view does not exist.",
                        "sd.agent.servicedesk.error.servicedesk.missing")
        rt = self.find_type(desk, b["requestTypeId"])
        meta = self.fields[rt["id"]]
        fields = {f["fieldId"]: f for f in meta["requestTypeFields"]}
        values = b.get("requestFieldValues")
        if not isinstance(values, dict):
            raise error(400, "requestFieldValues is required")
        for k, v in values.items():
            if k not in fields and k != "attachment":
                raise error(400, "Field '%s' cannot be set. It is not on the appropriate "
                                 "screen, or unknown." % k)
            f = fields.get(k)
            if f and f["validValues"]:
                self.check_select(f, v)
            elif k == "labels":
                if not isinstance(v, list) or any((not isinstance(x, str)) or " " in x for x in v):
                    raise error(400, "Labels must be strings without spaces.")
            elif k == "attachment":
                if not isinstance(v, list):
                    raise error(400, "attachment must be a list of temporary attachment ids")
                for tid in v:
                    self.check_temp(tid, desk)
            elif k == "description" and b.get("isAdfRequest") is True:
                problem = adf_problem(v)
                if problem:
                    raise error(400, "Operation value must be an Atlassian Document: %s"
                                % problem, "sd.validation.request.creation.failure")
            elif k in ("summary", "description") and not isinstance(v, str):
                raise error(400, "Field '%s' must be a string" % f["name"])
        for f in meta["requestTypeFields"]:
            if f["required"] and not values.get(f["fieldId"]):
                raise error(400, "Your request could not be created. Please check the fields "
                                 "have been correctly filled in. Please provide a valid value "
                                 "for field '%s'" % f["name"],
                            "sd.validation.request.creation.failure.required.field")
        if "\n" in values.get("summary", ""):
            raise error(400, "The summary must be one line.")
        if len(values.get("summary", "")) > 255:
            raise error(400, "Summary must be less than 255 characters.")
        if b.get("isAdfRequest") is not None and not isinstance(b["isAdfRequest"], bool):
            raise error(400, "isAdfRequest must be a boolean")
        if b.get("isAdfRequest") and self.deployment != "cloud":
            raise error(400, "Unrecognized field \"isAdfRequest\"")
        # an ADF description counts by its JSON
        if len(values.get("description", "")
               if isinstance(values.get("description", ""), str)
               else json.dumps(values["description"], separators=(",", ":"))) > 32767:
            raise error(400, "The description is too long.")
        parts = b.get("requestParticipants") or []
        if parts and not meta["canAddRequestParticipants"]:
            raise error(403, "You cannot add participants to this request.")
        if b.get("raiseOnBehalfOf") and not meta["canRaiseOnBehalfOf"]:
            raise error(403, "You cannot raise requests on behalf of others.")
        self.check_users(parts)
        drop_before = self._take("drop_before_create")
        if drop_before is not None:
            raise Drop()
        with self.lock:
            self.next_issue += 1
            key = "%s-%d" % (desk["projectKey"], self.next_issue)
            issue_id = str(107000 + self.next_issue)
            now = time.time()
            for tid in values.get("attachment", []):
                self.temp[tid]["used"] = True
            req = {
                "_expands": ["participant", "status", "sla", "requestType", "serviceDesk"],
                "issueId": issue_id, "issueKey": key, "summary": values.get("summary", ""),
                "requestTypeId": rt["id"], "serviceDeskId": desk["id"],
                "createdDate": date_dto(now),
                "reporter": {"accountId": me, "emailAddress": self.email,
                             "displayName": "Ops Bot", "active": True, "timeZone": None},
                "requestFieldValues": [
                    {"fieldId": k, "label": fields[k]["name"] if k in fields else k, "value": v}
                    for k, v in values.items()],
                "currentStatus": {"status": "Waiting for support", "statusCategory": "NEW",
                                  "statusDate": date_dto(now)},
                "_links": {"jiraRest": "%s/rest/api/2/issue/%s" % (self.url, issue_id),
                           "web": "%s/servicedesk/customer/portal/%s/%s" % (self.url, desk["id"], key),
                           "agent": "%s/browse/%s" % (self.url, key),
                           "self": "%s%s/request/%s" % (self.url, API, issue_id)},
                "_owner": me, "_participants": list(parts), "_created": now,
                "_attachments": [self.att(t) for t in values.get("attachment", [])],
                "_comments": [], "_values": values,
            }
            self.requests.append(req)
        if self._take("drop_after_create") is not None:
            raise Drop()
        f = self._take("fail_after_create")
        if f is not None:
            raise Reply(f.get("status", 500), text="Internal Server Error")
        return 201, self.public(req)

    def att(self, tid):
        t = self.temp[tid]
        return {"id": tid, "name": t["name"], "size": t["size"],
                "content": t["data"].decode("latin-1")}

    def check_users(self, ids):
        known = KNOWN_ACCOUNTS if self.deployment == "cloud" else KNOWN_USERNAMES
        for i in ids:
            if i not in known:
                raise error(400, "The user '%s' does not exist." % i,
                            "sd.request.participant.user.not.found")

    def check_temp(self, tid, desk):
        t = self.temp.get(tid)
        if not t or t["used"] or t["expires"] < time.time() or t["desk"] != desk["id"]:
            raise error(400, "The temporary attachment %s does not exist or has expired." % tid,
                        "sd.attachment.temporary.expired")

    # customer transitions (GET/POST /request/{key}/transition): what a customer may do
    # to an open request in the default JSM workflow; none once it is done
    TRANSITIONS = [{"id": "851", "name": "Cancel request", "status": "Canceled"},
                   {"id": "801", "name": "Resolve this issue", "status": "Resolved"}]

    def customer_transitions(self, r):
        if r["currentStatus"]["statusCategory"] == "DONE" or self.faults.get("no_transitions"):
            return []
        return [{"id": t["id"], "name": t["name"]} for t in self.TRANSITIONS]

    def transition(self, h, me, r, body):
        b = self.json_body(h, body)
        ids = {t["id"]: t for t in self.TRANSITIONS}
        if not isinstance(b.get("id"), str) or b["id"] not in ids or \
                not self.customer_transitions(r):
            raise error(400, "The transition is not valid for this request.",
                        "sd.customer.transition.invalid")
        ac = b.get("additionalComment")
        if ac is not None:
            if not isinstance(ac, dict) or not isinstance(ac.get("body"), str):
                raise error(400, "additionalComment must be an object with a body.")
            self.comment(me, r, ac["body"], True)
        with self.lock:
            r["currentStatus"] = {"status": ids[b["id"]]["status"], "statusCategory": "DONE",
                                  "statusDate": date_dto()}
        return 204, None

    def search_barrier(self, q):
        """Fault search_barrier {"count": N, "timeout": s}: the first N searches for a
        searchTerm wait until N have arrived (hosts that search at the same moment)."""
        b = self.faults.get("search_barrier")
        if not b or not q.get("searchTerm"):
            return
        with self.lock:
            if not hasattr(self, "_barrier"):
                self._barrier = threading.Condition(self.lock)
            if b.get("arrived", 0) >= b["count"]:
                return
            b["arrived"] = b.get("arrived", 0) + 1
            self._barrier.notify_all()
            deadline = time.time() + b.get("timeout", 10)
            while b["arrived"] < b["count"] and time.time() < deadline:
                self._barrier.wait(deadline - time.time())

    def search(self, me, q):
        self.search_barrier(q)
        term = (q.get("searchTerm") or [""])[0].lower()
        status = (q.get("requestStatus") or ["ALL_REQUESTS"])[0]
        if status not in ("OPEN_REQUESTS", "CLOSED_REQUESTS", "ALL_REQUESTS"):
            raise error(400, "Invalid requestStatus")
        desk = (q.get("serviceDeskId") or [None])[0]
        if desk is not None and not any(d["id"] == desk for d in self.desks):
            raise error(404, "The Service Desk you are trying to view does not exist.")
        delay = self.faults.get("search_delay", 0)
        out = []
        for r in self.requests:
            if r["_owner"] != me and me not in r["_participants"]:
                continue
            if desk and r["serviceDeskId"] != desk:
                continue
            if time.time() < r["_created"] + delay:
                continue
            done = r["currentStatus"]["statusCategory"] == "DONE"
            if status == "OPEN_REQUESTS" and done or status == "CLOSED_REQUESTS" and not done:
                continue
            tokens = re.split(r"[^0-9a-z]+", r["summary"].lower())
            if term and term not in tokens:
                continue
            out.append(self.public(r))
        out.reverse()
        s, l = self.start_limit(q)
        return 200, paged(out, s, l, self.url)

    def comment(self, me, r, body, public):
        with self.lock:
            self.next_comment += 1
            c = {"_expands": ["attachment", "renderedBody"], "id": str(self.next_comment),
                 "body": body, "public": public,
                 "author": {"accountId": me, "displayName": "Ops Bot", "active": True},
                 "created": date_dto(),
                 "_links": {"self": "%s%s/request/%s/comment/1" % (self.url, API, r["issueId"])}}
            r["_comments"].append(c)
        return c

    def attach(self, h, me, r, body):
        b = self.json_body(h, body)
        if "public" not in b:
            raise error(400, "The 'public' property is required.")
        if b["public"] is not True:
            raise error(400, "Customers can only add public attachments.")
        ids = b.get("temporaryAttachmentIds")
        if not isinstance(ids, list) or not ids:
            raise error(400, "temporaryAttachmentIds is required.")
        desk = next(d for d in self.desks if d["id"] == r["serviceDeskId"])
        with self.lock:
            for tid in ids:
                self.check_temp(tid, desk)
            for tid in ids:
                self.temp[tid]["used"] = True
            atts = [self.att(t) for t in ids]
            r["_attachments"].extend(atts)
        f = self._take("attach_fail")
        if f is not None:
            raise Reply(f.get("status", 503), text="Service Unavailable")
        out = {"attachments": paged([{"filename": a["name"], "size": a["size"],
                                      "mimeType": "application/gzip",
                                      "author": {"accountId": me}, "created": date_dto(),
                                      "_links": {}} for a in atts], 0, 50, self.url)}
        ac = b.get("additionalComment")
        if ac is not None:
            if not isinstance(ac, dict) or not isinstance(ac.get("body"), str):
                raise error(400, "additionalComment must be an object with a body.")
            out["comment"] = self.comment(me, r, ac["body"], True)
        return 201, out

    def participants(self, h, me, r, body):
        b = self.json_body(h, body)
        key = "accountIds" if self.deployment == "cloud" else "usernames"
        ids = b.get(key)
        if not isinstance(ids, list) or not ids or set(b) - {key, "usernames", "accountIds"}:
            raise error(400, "Provide %s as a list." % key)
        meta = self.fields[r["requestTypeId"]]
        if not meta["canAddRequestParticipants"]:
            raise error(403, "You do not have permission to manage participants of this request.")
        self.check_users(ids)
        with self.lock:
            for i in ids:
                if i not in r["_participants"]:
                    r["_participants"].append(i)
        return 200, paged(self.users(r["_participants"]), 0, 50, self.url)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--deployment", default="cloud")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    p = FakePortal(deployment=a.deployment).start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(p.port))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    # bounded lifetime: never outlive a crashed test
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        time.sleep(0.2)
        if os.getppid() == 1:
            break
    p.stop()


if __name__ == "__main__":
    main()
