/* SPDX-License-Identifier: MIT */
/*
 * Jira Service Management backend (reference/protocols.md §2, §4): discover
 * the desk, request type and severity field, upload the bundle as a
 * temporary attachment, create the request (deduplicated by its marker),
 * attach, share, escalate. Retries: 429/503 honour Retry-After, otherwise
 * exponential backoff with jitter, a bounded number of attempts; a create
 * whose outcome is unknown is never repeated before the marker was looked up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alloc-util.h"
#include "ticket/adf.h"
#include "ticket/credentials.h"
#include "ticket/http.h"
#include "ticket/ledger.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "ticket/ticket.h"

#define API "/rest/servicedeskapi"
#define ATTEMPTS_MAX 5
#define BACKOFF_BASE (1 * USEC_PER_SEC)
#define BACKOFF_MAX (30 * USEC_PER_SEC)
#define RETRY_AFTER_MAX (60 * USEC_PER_SEC)
#define CREATE_SETTLE (20 * USEC_PER_SEC)
#define PAGES_MAX 50

/* jsm_call() result for a non-idempotent call whose outcome is unknown */
#define OUTCOME_UNKNOWN (-EREMOTEIO)
/* ... and for a server that said it did not process the call (5xx, 429 exhausted) */
#define SERVER_BUSY (-EBUSY)

struct jsm {
        const struct config *c;
        struct http_client *http;
        bool dry_run;
        char *desk_id;
        char *rt_id;
        json_t *meta; /* CustomerRequestCreateMetaDTO */
        char *last_message;
        long last_status;
};

static usec_t env_usec(const char *name, usec_t def)
{
#ifdef COLLECT_TESTING
        const char *e = getenv(name);
        uint64_t v;

        if (e && safe_atou64(e, &v) >= 0)
                return v * USEC_PER_MSEC;
#else
        (void) name;
#endif
        return def;
}

static void sleep_usec(usec_t u)
{
        struct timespec ts = { .tv_sec = (time_t) (u / USEC_PER_SEC),
                               .tv_nsec = (long) (u % USEC_PER_SEC) * 1000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static usec_t backoff(unsigned attempt)
{
        usec_t base = env_usec("COLLECT_TEST_BACKOFF_MS", BACKOFF_BASE);
        usec_t d = base;
        unsigned short rnd = 0;

        for (unsigned i = 0; i < attempt && d < BACKOFF_MAX; i++)
                d *= 2;
        d = MIN(d, BACKOFF_MAX);
        (void) getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
        /* jitter: x [0.7, 1.3] */
        return d * (700 + (usec_t) (rnd % 601)) / 1000;
}

static void jsm_free(struct jsm *j)
{
        http_client_free(j->http);
        free(j->desk_id);
        free(j->rt_id);
        json_decref(j->meta);
        free(j->last_message);
        *j = (struct jsm) {};
}

static int jsm_init(struct jsm *j, const struct config *c, bool dry_run)
{
        _cleanup_free_ char *err = NULL, *auth = NULL;
        struct credentials cred = {};
        int r;

        *j = (struct jsm) { .c = c, .dry_run = dry_run };
        if (!c || !c->has_portal)
                return -EINVAL;
        r = http_client_new(c->portal.url, c->portal.ca_file, &j->http);
        if (r < 0)
                return log_error_errno(r, "portal url '%s' is not usable (https only)",
                                       c->portal.url);
        http_client_set_experimental(j->http, true);
        if (dry_run)
                return 0;
        r = credentials_load(&cred, c->portal.credentials, c->portal.deployment, &err);
        if (r < 0) {
                log_error("portal credentials: %s", err ? err : strerror(-r));
                r = r == -ENOMEM ? r : -EACCES;
                goto fail;
        }
        auth = credentials_auth_header(&cred, c->portal.deployment);
        credentials_done(&cred);
        if (!auth) {
                r = -ENOMEM;
                goto fail;
        }
        r = http_client_set_auth(j->http, auth);
        explicit_bzero(auth, strlen(auth));
        if (r >= 0)
                return r;
fail:
        /* the caller only cleans up after a successful init */
        jsm_free(j);
        return r;
}

/* The portal's own words from an error body (protocols.md §1.6). */
static char *portal_message(const struct http_response *resp)
{
        json_error_t err;
        json_t *b = resp->body ? json_loads(resp->body, 0, &err) : NULL;
        char **l = NULL;
        char *s;

        if (b) {
                const char *k;
                size_t i;
                json_t *v;

                if (json_string_value(json_object_get(b, "errorMessage")))
                        (void) strv_extend(&l, json_string_value(json_object_get(b,
                                                                                 "errorMessage")));
                json_array_foreach(json_object_get(b, "errorMessages"), i, v)
                        if (json_string_value(v))
                                (void) strv_extend(&l, json_string_value(v));
                json_object_foreach(json_object_get(b, "errors"), k, v) {
                        _cleanup_free_ char *kv = xasprintf("%s: %s", k,
                                                            json_string_value(v) ?: "?");

                        if (kv)
                                (void) strv_extend(&l, kv);
                }
                json_decref(b);
        }
        if (l) {
                s = strv_join(l, "; ");
                strv_free(l);
                return s;
        }
        if (!isempty(resp->body)) {
                size_t n = strnlen(resp->body, 512);

                s = xstrndup(resp->body, n);
                for (char *p = s; p && *p; p++)
                        if (*p == '\n' || *p == '\r')
                                *p = ' ';
                return s;
        }
        return xasprintf("HTTP %ld", resp->status);
}

static void explain_status(struct jsm *j, const char *method, const char *path, long status)
{
        const char *m = j->last_message ? j->last_message : "";

        if (status == 401)
                log_error("the portal rejected the credentials (HTTP 401): the API token is "
                          "wrong or expired, or the e-mail does not match it%s%s. Create a new "
                          "token (Cloud: id.atlassian.com, Data Center: a personal access token) "
                          "and update %s",
                          isempty(m) ? "" : "; the portal said: ", m,
                          j->c->portal.credentials ?: "the credentials");
        else if (status == 403)
                log_error("the portal refused permission for %s %s (HTTP 403): %s. The account "
                          "may not be a customer of this service desk, or may not do this here",
                          method, path, m);
        else if (status == 404)
                log_error("the portal does not know %s (HTTP 404): %s", path, m);
        else
                log_error("the portal refused %s %s (HTTP %ld): %s", method, path, status, m);
}

enum {
        CALL_IDEMPOTENT = 1 << 0, /* safe to repeat after any failure */
};

/*
 * One API call with retries. 0 for a 2xx with *ret the parsed body (may be
 * NULL), else: -EACCES (401/403), -EINVAL (400 and other 4xx), -ENOENT
 * (404), -EAGAIN (unreachable or busy after all attempts), OUTCOME_UNKNOWN
 * or SERVER_BUSY (non-idempotent call; the caller decides), -errno.
 */
static int jsm_call(struct jsm *j, const char *method, const char *path, json_t *body,
                    const struct http_file *files, size_t n_files, unsigned flags, json_t **ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        if (body) {
                text = json_dumps(body, JSON_COMPACT);
                if (!text)
                        return -ENOMEM;
        }
        for (unsigned attempt = 0;; attempt++) {
                struct http_response resp = {};
                usec_t delay;

                j->last_message = mfree(j->last_message);
                r = http_send(j->http,
                              &(struct http_request) { .method = method, .path = path,
                                                       .json = text, .files = files,
                                                       .n_files = n_files },
                              &resp);
                if (r < 0) {
                        j->last_message = xasprintf("%s", http_client_error(j->http));
                        j->last_status = 0;
                        if (!http_error_is_transient(r)) {
                                log_error_errno(r, "portal: %s %s failed: %s", method, path,
                                                http_client_error(j->http));
                                return r == -EPROTO ? -EINVAL : r;
                        }
                        log_warning("portal: %s %s: %s", method, path,
                                    http_client_error(j->http));
                        if (!(flags & CALL_IDEMPOTENT))
                                return OUTCOME_UNKNOWN;
                        if (attempt + 1 >= ATTEMPTS_MAX)
                                return -EAGAIN;
                        sleep_usec(backoff(attempt));
                        continue;
                }
                j->last_status = resp.status;
                if (resp.status >= 200 && resp.status < 300) {
                        json_error_t err;

                        if (ret)
                                *ret = resp.body && resp.body_len ? json_loads(resp.body, 0, &err) :
                                                                   NULL;
                        http_response_done(&resp);
                        return 0;
                }
                j->last_message = portal_message(&resp);
                if (resp.status == 429 || resp.status >= 500) {
                        delay = http_retry_after(&resp, now(CLOCK_REALTIME));
                        log_warning("portal: %s %s: HTTP %ld%s%s%s", method, path, resp.status,
                                    resp.retry_after ? " (Retry-After " : "",
                                    resp.retry_after ?: "", resp.retry_after ? "s)" : "");
                        http_response_done(&resp);
                        if (!(flags & CALL_IDEMPOTENT) && j->last_status != 429)
                                return j->last_status == 503 ? SERVER_BUSY : OUTCOME_UNKNOWN;
                        if (attempt + 1 >= ATTEMPTS_MAX)
                                return (flags & CALL_IDEMPOTENT) ? -EAGAIN : SERVER_BUSY;
                        if (delay == USEC_INFINITY)
                                delay = backoff(attempt);
                        else if (delay > RETRY_AFTER_MAX) {
                                log_warning("portal: asked to wait longer than %us, giving up "
                                            "for now", (unsigned) (RETRY_AFTER_MAX / USEC_PER_SEC));
                                return (flags & CALL_IDEMPOTENT) ? -EAGAIN : SERVER_BUSY;
                        }
                        sleep_usec(delay);
                        continue;
                }
                http_response_done(&resp);
                explain_status(j, method, path, j->last_status);
                switch (j->last_status) {
                case 401:
                case 403:
                        return -EACCES;
                case 404:
                        return -ENOENT;
                default:
                        return -EINVAL;
                }
        }
}

static char *escape(const char *s)
{
        char *e = curl_easy_escape(NULL, s, 0);
        char *r = e ? xstrdup(e) : NULL;

        curl_free(e);
        return r;
}

/* GET of a PagedDTO, all pages, values appended to *ret (an array). */
static int jsm_get_paged(struct jsm *j, const char *path, json_t **ret)
{
        json_t *all = json_array();
        long start = 0;
        int r;

        if (!all)
                return -ENOMEM;
        for (unsigned page = 0; page < PAGES_MAX; page++) {
                _cleanup_free_ char *p = xasprintf("%s%sstart=%ld&limit=50", path,
                                                   strchr(path, '?') ? "&" : "?", start);
                json_t *b = NULL, *values;
                size_t n;

                if (!p) {
                        json_decref(all);
                        return -ENOMEM;
                }
                r = jsm_call(j, "GET", p, NULL, NULL, 0, CALL_IDEMPOTENT, &b);
                if (r < 0) {
                        json_decref(all);
                        return r;
                }
                values = json_object_get(b, "values");
                n = json_array_size(values);
                json_array_extend(all, values);
                if (json_is_true(json_object_get(b, "isLastPage")) || n == 0 ||
                    !json_is_array(values)) {
                        json_decref(b);
                        break;
                }
                start += json_integer_value(json_object_get(b, "size")) ?: (json_int_t) n;
                json_decref(b);
        }
        *ret = all;
        return 0;
}

static const char *jstr(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return isempty(s) ? NULL : s;
}

static int resolve_desk(struct jsm *j)
{
        const char *want = j->c->portal.service_desk;
        _cleanup_free_ char *e = escape(want), *path = NULL;
        json_t *b = NULL, *all = NULL, *v;
        size_t i;
        int r;

        if (j->desk_id)
                return 0;
        if (!e)
                return -ENOMEM;
        path = xasprintf(API "/servicedesk/%s", e);
        if (!path)
                return -ENOMEM;
        r = jsm_call(j, "GET", path, NULL, NULL, 0, CALL_IDEMPOTENT, &b);
        if (r >= 0 && jstr(b, "id")) {
                j->desk_id = xstrdup(jstr(b, "id"));
                json_decref(b);
                return j->desk_id ? 0 : -ENOMEM;
        }
        json_decref(b);
        if (r != -ENOENT)
                return r;
        /* older sites: look through the desks this account can see */
        r = jsm_get_paged(j, API "/servicedesk", &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v) {
                if ((jstr(v, "id") && streq(jstr(v, "id"), want)) ||
                    (jstr(v, "projectKey") && strcasecmp(jstr(v, "projectKey"), want) == 0) ||
                    (jstr(v, "projectName") && strcasecmp(jstr(v, "projectName"), want) == 0)) {
                        j->desk_id = xstrdup(jstr(v, "id"));
                        json_decref(all);
                        return j->desk_id ? 0 : -ENOMEM;
                }
        }
        log_error("service desk '%s' (portal.service_desk in %s) is not among the %zu desks this "
                  "account can use; if it is right, the account is not a customer of that desk "
                  "(see 'collect portal desks')",
                  want, j->c->path ?: "collect.yaml", json_array_size(all));
        json_decref(all);
        return -ENOENT;
}

static int resolve_request_type(struct jsm *j, const char *use)
{
        const char *want = config_request_type(j->c, use);
        _cleanup_free_ char *path = NULL;
        json_t *all = NULL, *v, *found = NULL;
        size_t i;
        int r;

        if (j->rt_id)
                return 0;
        r = resolve_desk(j);
        if (r < 0)
                return r;
        path = xasprintf(API "/servicedesk/%s/requesttype", j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(j, path, &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v)
                if (want && jstr(v, "id") && streq(jstr(v, "id"), want))
                        found = v;
        json_array_foreach(all, i, v)
                if (!found && want && jstr(v, "name") && strcasecmp(jstr(v, "name"), want) == 0)
                        found = v;
        if (!found) {
                char **names = NULL;

                json_array_foreach(all, i, v)
                        (void) strv_extend(&names, jstr(v, "name") ?: "?");
                _cleanup_free_ char *l = names ? strv_join(names, "', '") : NULL;

                strv_free(names);
                log_error("request type '%s' (portal.request_types.%s) does not exist on desk %s; "
                          "available: '%s'", want ?: "?", use, j->desk_id, l ?: "");
                json_decref(all);
                return -ENOENT;
        }
        j->rt_id = xstrdup(jstr(found, "id"));
        log_debug("portal: request type '%s' is id %s", jstr(found, "name") ?: "?",
                  j->rt_id ?: "?");
        json_decref(all);
        if (!j->rt_id)
                return -ENOMEM;

        free(path);
        path = xasprintf(API "/servicedesk/%s/requesttype/%s/field", j->desk_id, j->rt_id);
        if (!path)
                return -ENOMEM;
        return jsm_call(j, "GET", path, NULL, NULL, 0, CALL_IDEMPOTENT, &j->meta);
}

static json_t *find_field(json_t *fields, const char *id)
{
        size_t i;
        json_t *v;

        json_array_foreach(fields, i, v)
                if (jstr(v, "fieldId") && streq(jstr(v, "fieldId"), id))
                        return v;
        return NULL;
}

/* "P1 - Critical", "p1–critical", "P1" -> 1; 0 when the label has no P-level. */
static int label_level(const char *label)
{
        while (label && (*label == ' ' || *label == '['))
                label++;
        if (!label || (label[0] != 'P' && label[0] != 'p') || label[1] < '1' || label[1] > '4')
                return 0;
        if (label[2] >= '0' && label[2] <= '9')
                return 0;
        return label[1] - '0';
}

int jsm_pick_severity(json_t *fields, const char *configured, const char *sev, char **ret_field,
                      char **ret_option_id)
{
        json_t *f = NULL, *opts, *v, *pick = NULL;
        int level = label_level(sev);
        size_t i, n;

        if (level == 0)
                level = 3;
        if (configured && !streq(configured, "auto")) {
                f = find_field(fields, configured);
                if (!f)
                        return -ENOENT;
        } else {
                f = find_field(fields, "priority");
                json_array_foreach(fields, i, v)
                        if (!f && jstr(v, "name") && strcasecmp(jstr(v, "name"), "severity") == 0)
                                f = v;
                if (!f)
                        return 0;
        }
        opts = json_object_get(f, "validValues");
        n = json_array_size(opts);
        if (n == 0)
                return 0;
        json_array_foreach(opts, i, v)
                if (!pick && label_level(jstr(v, "label")) == level)
                        pick = v;
        if (!pick)
                pick = json_array_get(opts, MIN((size_t) level - 1, n - 1));
        if (!jstr(pick, "value"))
                return 0;
        *ret_field = xstrdup(jstr(f, "fieldId"));
        *ret_option_id = xstrdup(jstr(pick, "value"));
        if (!*ret_field || !*ret_option_id) {
                *ret_field = mfree(*ret_field);
                *ret_option_id = mfree(*ret_option_id);
                return -ENOMEM;
        }
        return 1;
}

/* ---- steps ----------------------------------------------------------- */

static json_t *st(struct ticket_submission *s, const char *k)
{
        return json_object_get(s->state, k);
}

static int st_set(struct ticket_submission *s, const char *k, json_t *v)
{
        if (!v || json_object_set_new(s->state, k, v) < 0)
                return -ENOMEM;
        return ticket_submission_save(s);
}

static const char *req(struct ticket_submission *s, const char *k)
{
        return jstr(s->request, k);
}

static int step_upload(struct jsm *j, struct ticket_submission *s, json_t **ret_ids)
{
        _cleanup_free_ char *path = NULL;
        struct http_file files[3];
        size_t n = 0;
        json_t *b = NULL, *ids, *v;
        size_t i;
        int r;

        files[n++] = (struct http_file) { .name = req(s, "bundle_name") ?: "bundle.tar.gz",
                                          .path = s->bundle_path,
                                          .content_type = "application/gzip" };
        if (req(s, "description_full")) {
                const char *t = req(s, "description_full");

                files[n++] = (struct http_file) { .name = "ticket-description.txt", .data = t,
                                                  .size = strlen(t),
                                                  .content_type = "text/plain" };
        }
        if (req(s, "timeline_svg") && streq(req(s, "action") ?: "open", "open")) {
                const char *t = req(s, "timeline_svg");

                files[n++] = (struct http_file) { .name = "timeline.svg", .data = t,
                                                  .size = strlen(t),
                                                  .content_type = "image/svg+xml" };
        }
        path = xasprintf(API "/servicedesk/%s/attachTemporaryFile", j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_call(j, "POST", path, NULL, files, n, CALL_IDEMPOTENT, &b);
        if (r < 0)
                return r;
        ids = json_array();
        json_array_foreach(json_object_get(b, "temporaryAttachments"), i, v)
                if (jstr(v, "temporaryAttachmentId"))
                        json_array_append_new(ids, json_string(jstr(v, "temporaryAttachmentId")));
        json_decref(b);
        if (json_array_size(ids) == 0) {
                json_decref(ids);
                log_error("portal: the upload returned no temporary attachment id");
                return -EIO;
        }
        *ret_ids = ids;
        return 0;
}

static int record_key(struct ticket_submission *s, const char *key, const char *url)
{
        int r;

        r = ledger_record(s->state_dir, req(s, "id"), key, url);
        if (r < 0)
                log_warning_errno(r, "cannot record %s in the ledger: %m", key);
        json_object_set_new(s->state, "key", json_string(key));
        if (url)
                json_object_set_new(s->state, "url", json_string(url));
        json_object_set_new(s->ticket, "key", json_string(key));
        if (url)
                json_object_set_new(s->ticket, "url", json_string(url));
        return ticket_submission_save(s);
}

static char *web_url(struct jsm *j, json_t *request, const char *key)
{
        const char *w = jstr(json_object_get(request, "_links"), "web");

        if (w)
                return xstrdup(w);
        return xasprintf("%s/servicedesk/customer/portal/%s/%s", j->c->portal.url,
                         j->desk_id ?: "1", key);
}

/* The marker is in the labels and the description (older submissions: the summary). */
static bool request_has_marker(json_t *r, const char *marker)
{
        const char *sum = jstr(r, "summary");
        size_t i, k;
        json_t *v, *l;

        if (sum && strstr(sum, marker))
                return true;
        json_array_foreach(json_object_get(r, "requestFieldValues"), i, v) {
                json_t *val = json_object_get(v, "value");
                _cleanup_free_ char *dump = NULL;

                if (json_is_string(val) && strstr(json_string_value(val), marker))
                        return true;
                json_array_foreach(val, k, l)
                        if (json_is_string(l) && streq(json_string_value(l), marker))
                                return true;
                dump = json_is_object(val) ? json_dumps(val, JSON_COMPACT) : NULL;
                if (dump && strstr(dump, marker))
                        return true;
        }
        return false;
}

/* Looks for a request carrying the marker. 1 found (key recorded), 0 not, -errno. */
static int find_by_marker(struct jsm *j, struct ticket_submission *s)
{
        const char *marker = req(s, "marker");
        _cleanup_free_ char *path = NULL, *key = NULL, *url = NULL;
        json_t *all = NULL, *v;
        size_t i;
        int r;

        r = ledger_lookup(s->state_dir, req(s, "id"), &key, &url);
        if (r > 0) {
                log_info("submission %s was already filed as %s (ledger)", req(s, "id"), key);
                return record_key(s, key, url) < 0 ? -EIO : 1;
        }
        /* searchTerm matches summaries only, and the marker is not in the summary: the
         * desk's requests (most recent activity first), checked here */
        path = xasprintf(API "/request?requestStatus=ALL_REQUESTS&serviceDeskId=%s", j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(j, path, &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v) {
                if (!request_has_marker(v, marker) || !jstr(v, "issueKey"))
                        continue;
                url = web_url(j, v, jstr(v, "issueKey"));
                log_info("submission %s was already filed as %s (found on the portal)",
                         req(s, "id"), jstr(v, "issueKey"));
                r = record_key(s, jstr(v, "issueKey"), url);
                json_decref(all);
                return r < 0 ? r : 1;
        }
        json_decref(all);
        return 0;
}

/* After an unknown outcome: search until CREATE_SETTLE has passed since the
 * last attempt. 1 found, 0 not found and settled, -errno. */
static int settle_and_find(struct jsm *j, struct ticket_submission *s)
{
        usec_t settle = env_usec("COLLECT_TEST_SETTLE_MS", CREATE_SETTLE);
        usec_t attempted = (usec_t) json_integer_value(st(s, "create_attempted"));

        for (unsigned i = 0;; i++) {
                usec_t t = now(CLOCK_REALTIME);
                int r = find_by_marker(j, s);

                if (r != 0)
                        return r;
                if (t >= attempted + settle)
                        return 0;
                sleep_usec(MIN(backoff(i), attempted + settle - t));
        }
}

/* What collect knows for a request-type field: the environment, the product or
 * component; NULL when the field is not one of those (*ret_known false). */
static const char *field_want(struct ticket_submission *s, json_t *f, bool *ret_known)
{
        const char *name = jstr(f, "name") ?: "", *id = jstr(f, "fieldId") ?: "";

        *ret_known = true;
        if (strcasestr(name, "environment") || streq(id, "environment"))
                return req(s, "environment");
        if (strcasestr(name, "product") || strcasestr(name, "service") ||
            strcasestr(name, "component") || streq(id, "components"))
                return req(s, "product");
        *ret_known = false;
        return NULL;
}

/* The field's value for want: an option by its label, a component by name, or text. */
static json_t *field_value(json_t *f, const char *want)
{
        json_t *opts = json_object_get(f, "validValues"), *o;
        json_t *schema = json_object_get(f, "jiraSchema");
        const char *type = jstr(schema, "type") ?: "string";
        bool array = streq(type, "array");
        size_t k;

        if (json_array_size(opts) == 0) {
                if (array && jstr(schema, "items") && streq(jstr(schema, "items"), "component"))
                        return json_pack("[{s:s}]", "name", want);
                return streq(type, "string") ? json_string(want) : NULL;
        }
        json_array_foreach(opts, k, o) {
                const char *label = jstr(o, "label");

                if (!label || !jstr(o, "value") ||
                    !(strncasecmp(label, want, strlen(want)) == 0 ||
                      strncasecmp(want, label, strlen(label)) == 0))
                        continue;
                return array ? json_pack("[{s:s}]", "id", jstr(o, "value")) :
                               json_pack("{s:s}", "id", jstr(o, "value"));
        }
        return NULL;
}

/*
 * Fills the request type's fields from what is known (environment, product or
 * component), required or not. A required field that cannot be filled is an
 * error; an optional one collect knows of but cannot fill is named in *notes.
 */
static int fill_fields(struct jsm *j, struct ticket_submission *s, json_t *values, char ***notes)
{
        json_t *fields = json_object_get(j->meta, "requestTypeFields");
        size_t i;
        json_t *f;

        json_array_foreach(fields, i, f) {
                const char *id = jstr(f, "fieldId"), *name = jstr(f, "name") ?: "";
                bool known, required = json_is_true(json_object_get(f, "required"));
                const char *want;
                json_t *v;

                if (!id || json_object_get(values, id) || streq(id, "attachment") ||
                    streq(id, "description") || streq(id, "summary") ||
                    json_array_size(json_object_get(f, "presetValues")) > 0 ||
                    json_array_size(json_object_get(f, "defaultValues")) > 0)
                        continue;
                want = field_want(s, f, &known);
                v = want ? field_value(f, want) : NULL;
                if (v) {
                        json_object_set_new(values, id, v);
                        continue;
                }
                if (required) {
                        log_error("request type %s requires the field '%s' (%s), which collect "
                                  "cannot fill%s%s%s; choose another request type in "
                                  "portal.request_types", j->rt_id, name, id,
                                  want ? " (no option matches '" : "", want ?: "",
                                  want ? "')" : "");
                        return -EINVAL;
                }
                if (known && strv_consume(notes, want ? xasprintf("%s (no option matches '%s')",
                                                                  name, want) :
                                                        xasprintf("%s (not known to collect)",
                                                                  name)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The description for the deployment: ADF for Cloud (isAdfRequest), wiki markup for
 * Data Center; sev when no field carries the severity, notes on unfilled fields. */
static json_t *make_description(struct jsm *j, struct ticket_submission *s, const char *sev,
                                char **notes, bool *ret_adf)
{
        _cleanup_free_ char *sevtext = sev ? xasprintf("Severity: %s", sev) : NULL;
        _cleanup_free_ char *joined = notes ? strv_join(notes, "; ") : NULL;
        _cleanup_free_ char *note = joined ? xasprintf("Request-type fields not filled: %s.",
                                                       joined) : NULL;
        json_t *adf = json_object_get(s->request, "description_adf");

        *ret_adf = j->c->portal.deployment == PORTAL_CLOUD && json_is_object(adf);
        if (*ret_adf) {
                json_t *d = json_deep_copy(adf), *content = json_object_get(d, "content");

                if (d && note)
                        json_array_insert_new(content, json_array_size(content) > 2 ?
                                                               json_array_size(content) - 2 : 0,
                                              adf_para_text(note, ADF_STRONG));
                if (d && sevtext)
                        json_array_insert_new(content, 0, adf_para_text(sevtext, ADF_STRONG));
                return d;
        }
        _cleanup_free_ char *t = xasprintf("%s%s%s%s%s%s%s", sevtext ? "*" : "", sevtext ?: "",
                                           sevtext ? "*\n\n" : "", req(s, "description") ?: "",
                                           note ? "\n*" : "", note ?: "", note ? "*\n" : "");

        return t ? json_string(t) : NULL;
}

static int build_create(struct jsm *j, struct ticket_submission *s, json_t *temp_ids,
                        json_t **ret)
{
        json_t *fields = json_object_get(j->meta, "requestTypeFields");
        _cleanup_free_ char *sev_field = NULL, *sev_opt = NULL, *summary = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        const char *sev = req(s, "severity") ?: "P3";
        json_t *values, *body;
        bool adf = false;
        int r, k;

        if (j->dry_run && !j->meta) {
                /* nothing was discovered: show where the severity goes */
                sev_field = xasprintf("{severity field: %s}", j->c->portal.severity_field ?: "auto");
                sev_opt = xasprintf("{option id of %s}", sev);
                r = sev_field && sev_opt ? 1 : -ENOMEM;
        } else
                r = jsm_pick_severity(fields, j->c->portal.severity_field, sev, &sev_field,
                                      &sev_opt);
        if (r == -ENOENT) {
                log_error("the severity field '%s' (portal.severity_field) is not on request "
                          "type %s; see 'collect portal fields'",
                          j->c->portal.severity_field, j->rt_id);
                return -EINVAL;
        }
        if (r < 0)
                return r;
        if (r == 0)
                summary = xasprintf("[%s] %s", sev, req(s, "summary") ?: "");
        else
                summary = xstrdup(req(s, "summary") ?: "");
        values = json_pack("{s:s}", "summary", summary ?: "");
        if (!values)
                return -ENOMEM;
        if (r > 0)
                json_object_set_new(values, sev_field, json_pack("{s:s}", "id", sev_opt));
        if (find_field(fields, "labels"))
                json_object_set(values, "labels", json_object_get(s->request, "labels"));
        if (temp_ids && find_field(fields, "attachment") &&
            json_is_true(json_object_get(find_field(fields, "attachment"), "required")))
                json_object_set(values, "attachment", temp_ids);
        k = fill_fields(j, s, values, &notes);
        if (k >= 0 && (find_field(fields, "description") || !fields)) {
                json_t *d = make_description(j, s, r == 0 ? sev : NULL, notes, &adf);

                k = d ? json_object_set_new(values, "description", d) : -ENOMEM;
        }
        if (k < 0) {
                json_decref(values);
                return k;
        }
        body = json_pack("{s:s, s:s, s:o}", "serviceDeskId", j->desk_id ?: "{serviceDeskId}",
                         "requestTypeId", j->rt_id ?: "{requestTypeId}", "requestFieldValues",
                         values);
        if (!body)
                return -ENOMEM;
        if (adf)
                json_object_set_new(body, "isAdfRequest", json_true());
        *ret = body;
        return 0;
}

static int step_create(struct jsm *j, struct ticket_submission *s, json_t *temp_ids)
{
        json_t *body = NULL;
        int r;

        if (jstr(s->state, "key"))
                return 0;
        /* a previous attempt may have gone through */
        if (json_integer_value(st(s, "create_attempted")) > 0) {
                r = settle_and_find(j, s);
                if (r != 0)
                        return r < 0 ? r : 0;
        } else {
                r = find_by_marker(j, s); /* the ledger, mostly */
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        r = build_create(j, s, temp_ids, &body);
        if (r < 0)
                return r;
        for (unsigned attempt = 0;; attempt++) {
                json_t *resp = NULL;
                _cleanup_free_ char *url = NULL;

                r = st_set(s, "create_attempted", json_integer((json_int_t) now(CLOCK_REALTIME)));
                if (r < 0)
                        break;
                r = jsm_call(j, "POST", API "/request", body, NULL, 0, 0, &resp);
                if (r >= 0) {
                        const char *key = jstr(resp, "issueKey");

                        if (!key) {
                                json_decref(resp);
                                log_error("portal: the create answer has no issueKey");
                                r = -EIO;
                                break;
                        }
                        url = web_url(j, resp, key);
                        r = record_key(s, key, url);
                        if (temp_ids && json_object_get(json_object_get(body,
                                                                        "requestFieldValues"),
                                                        "attachment"))
                                json_object_set_new(s->state, "attached", json_true());
                        json_decref(resp);
                        break;
                }
                if (r != OUTCOME_UNKNOWN && r != SERVER_BUSY)
                        break;
                /* never create again before looking for the first one */
                r = r == OUTCOME_UNKNOWN ? settle_and_find(j, s) : find_by_marker(j, s);
                if (r != 0) {
                        r = r < 0 ? r : 0;
                        break;
                }
                if (attempt + 1 >= ATTEMPTS_MAX) {
                        r = -EAGAIN;
                        break;
                }
                sleep_usec(backoff(attempt));
        }
        json_decref(body);
        return r;
}

static int step_attach(struct jsm *j, struct ticket_submission *s, json_t **temp_ids)
{
        _cleanup_free_ char *path = NULL;
        const char *key = jstr(s->state, "key");
        bool unknown = false;
        int r;

        if (json_is_true(st(s, "attached")))
                return 0;
        path = xasprintf(API "/request/%s/attachment", key);
        if (!path)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
                json_t *body;

                if (!*temp_ids) {
                        r = step_upload(j, s, temp_ids);
                        if (r < 0)
                                return r;
                }
                body = json_pack("{s:O, s:b, s:{s:s}}", "temporaryAttachmentIds", *temp_ids,
                                 "public", 1, "additionalComment", "body",
                                 req(s, "comment") ?: "Diagnostics bundle attached by collect.");
                if (!body)
                        return -ENOMEM;
                r = jsm_call(j, "POST", path, body, NULL, 0, 0, NULL);
                json_decref(body);
                if (r >= 0)
                        return st_set(s, "attached", json_true());
                if (r == -EINVAL && unknown) {
                        /* the earlier attempt went through and used the temporary ids */
                        log_info("portal: the bundle was attached by the earlier attempt");
                        return st_set(s, "attached", json_true());
                }
                if (r == -EINVAL && attempt == 0) {
                        /* temporary ids expire; upload once more */
                        *temp_ids = (json_decref(*temp_ids), NULL);
                        continue;
                }
                if (r != OUTCOME_UNKNOWN && r != SERVER_BUSY)
                        return r;
                unknown = unknown || r == OUTCOME_UNKNOWN;
                sleep_usec(backoff(attempt));
        }
        return -EAGAIN;
}

static int step_share(struct jsm *j, struct ticket_submission *s)
{
        _cleanup_free_ char *path = NULL;
        json_t *share = json_object_get(s->request, "share"), *body;
        json_t *st_shared = st(s, "shared");
        int r;

        if (json_array_size(share) == 0 || json_is_true(st_shared) || json_is_string(st_shared))
                return 0;
        if (j->meta && json_is_false(json_object_get(j->meta, "canAddRequestParticipants")))
                log_notice("the request type says this account may not share requests; trying");
        path = xasprintf(API "/request/%s/participant", jstr(s->state, "key"));
        body = json_pack("{s:O}", j->c->portal.deployment == PORTAL_DATACENTER ? "usernames" :
                                                                                "accountIds",
                         share);
        if (!path || !body) {
                json_decref(body);
                return -ENOMEM;
        }
        r = jsm_call(j, "POST", path, body, NULL, 0, CALL_IDEMPOTENT, NULL);
        json_decref(body);
        if (r >= 0)
                return st_set(s, "shared", json_true());
        if (r == -EINVAL || r == -ENOENT || r == -EACCES) {
                /* the ticket stands; sharing will not work by retrying */
                log_error("could not share %s: %s (check share_with / --share: %s)",
                          jstr(s->state, "key"), j->last_message ?: "?",
                          j->c->portal.deployment == PORTAL_DATACENTER ? "usernames" :
                                                                         "accountIds");
                (void) st_set(s, "shared", json_string(j->last_message ?: "failed"));
        }
        return r;
}

static int step_escalate(struct ticket_submission *s)
{
        const struct config *c = s->config;
        json_t *esc = st(s, "escalated");
        json_t *payload;
        int r;

        if (!json_is_true(json_object_get(s->request, "p1")) || json_is_true(esc) ||
            json_is_string(esc))
                return 0;
        if (c->tier != TIER_PREMIUM) {
                fprintf(stderr,
                        "This is a P1 request. The emergency channel (Slack, phone) is for "
                        "Premium support only; your request is logged on the portal and will be "
                        "handled within the standard response time.\n");
                return st_set(s, "escalated", json_string("not premium"));
        }
        if (c->phone)
                fprintf(stderr, "Premium P1: also call the agreed emergency number %s and give "
                                "the ticket key %s.\n", c->phone, jstr(s->state, "key") ?: "");
        if (!c->slack_webhook_file) {
                if (!c->phone)
                        fprintf(stderr, "Premium P1: no emergency channel is configured "
                                        "(escalation.slack_webhook_file); use the agreed one "
                                        "now.\n");
                return st_set(s, "escalated", json_string("no channel configured"));
        }
        payload = slack_payload(jstr(s->state, "key"), jstr(s->state, "url"), req(s, "summary"),
                                req(s, "host"), json_object_get(s->request, "severity_reasons"));
        if (!payload)
                return -ENOMEM;
        r = slack_notify(c->slack_webhook_file, payload);
        json_decref(payload);
        if (r >= 0) {
                fprintf(stderr, "Premium P1: the emergency Slack channel was notified.\n");
                return st_set(s, "escalated", json_true());
        }
        if (r == -EAGAIN) {
                log_warning("the emergency Slack notification failed; it stays in the spool and "
                            "will be retried ('collect spool flush'); the ticket stands");
                (void) st_set(s, "last_error", json_string("slack notification failed"));
                return -EAGAIN;
        }
        log_error("the emergency Slack notification was refused; the ticket stands");
        return st_set(s, "escalated", json_string("refused"));
}

static int resolve_existing(struct jsm *j, struct ticket_submission *s)
{
        _cleanup_free_ char *path = NULL, *e = escape(req(s, "key") ?: "");
        json_t *b = NULL;
        int r;

        if (j->desk_id)
                return 0;
        if (!e)
                return -ENOMEM;
        path = xasprintf(API "/request/%s", e);
        if (!path)
                return -ENOMEM;
        r = jsm_call(j, "GET", path, NULL, NULL, 0, CALL_IDEMPOTENT, &b);
        if (r == -ENOENT)
                log_error("ticket %s does not exist or this account cannot see it",
                          req(s, "key"));
        if (r < 0)
                return r;
        j->desk_id = xstrdup(jstr(b, "serviceDeskId") ?: "");
        if (!jstr(s->state, "key")) {
                _cleanup_free_ char *url = web_url(j, b, req(s, "key"));

                json_object_set_new(s->state, "key", json_string(req(s, "key")));
                if (url)
                        json_object_set_new(s->state, "url", json_string(url));
        }
        json_object_set(s->ticket, "key", json_object_get(s->state, "key"));
        json_object_set(s->ticket, "url", json_object_get(s->state, "url"));
        json_decref(b);
        return j->desk_id ? 0 : -ENOMEM;
}

static void print_dry(const char *method, const char *path, json_t *body, const char *extra)
{
        _cleanup_free_ char *t = body ? json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

        fprintf(stderr, "would send: %s %s%s%s\n%s%s", method, path, extra ? " " : "",
                extra ?: "", t ?: "", t ? "\n" : "");
}

static int jsm_dry_run(struct jsm *j, struct ticket_submission *s)
{
        bool open = streq(req(s, "action") ?: "open", "open");
        const char *key = open ? "{issueKey}" : req(s, "key");
        _cleanup_free_ char *p = NULL, *desk = NULL;
        json_t *body = NULL;
        int r;

        fprintf(stderr, "dry run: nothing is sent to %s\n", j->c->portal.url);
        desk = xstrdup(open ? j->c->portal.service_desk : "{serviceDeskId of the ticket}");
        if (!desk)
                return -ENOMEM;
        if (!open) {
                p = xasprintf(API "/request/%s", key);
                print_dry("GET", p ?: "", NULL, NULL);
                free(p);
        }
        p = xasprintf(API "/servicedesk/%s/attachTemporaryFile", desk);
        print_dry("POST", p ?: "", NULL, "(multipart/form-data, X-Atlassian-Token: no-check, "
                                         "part 'file')");
        fprintf(stderr, "  file: %s\n%s", req(s, "bundle_name") ?: "bundle.tar.gz",
                req(s, "description_full") ? "  file: ticket-description.txt\n" : "");
        if (open) {
                j->meta = NULL;
                r = build_create(j, s, NULL, &body);
                if (r < 0)
                        return r;
                print_dry("POST", API "/request", body, NULL);
                json_decref(body);
        }
        free(p);
        p = xasprintf(API "/request/%s/attachment", key);
        body = json_pack("{s:[s], s:b, s:{s:s}}", "temporaryAttachmentIds",
                         "{temporaryAttachmentId}", "public", 1, "additionalComment", "body",
                         req(s, "comment") ?: "");
        print_dry("POST", p ?: "", body, NULL);
        json_decref(body);
        if (json_array_size(json_object_get(s->request, "share")) > 0) {
                free(p);
                p = xasprintf(API "/request/%s/participant", key);
                body = json_pack("{s:O}", j->c->portal.deployment == PORTAL_DATACENTER ?
                                                  "usernames" : "accountIds",
                                 json_object_get(s->request, "share"));
                print_dry("POST", p ?: "", body, NULL);
                json_decref(body);
        }
        if (json_is_true(json_object_get(s->request, "p1"))) {
                if (s->config->tier == TIER_PREMIUM && s->config->slack_webhook_file) {
                        body = slack_payload(key, "{portal link}", req(s, "summary"),
                                             req(s, "host"),
                                             json_object_get(s->request, "severity_reasons"));
                        print_dry("POST", "(Slack webhook from the escalation file)", body, NULL);
                        json_decref(body);
                } else if (s->config->tier != TIER_PREMIUM)
                        fprintf(stderr, "(P1: the emergency channel is Premium-only; not "
                                        "notified)\n");
        }
        json_object_set_new(s->ticket, "action", json_string("none"));
        return 0;
}

static int jsm_submit(struct ticket_submission *s)
{
        _cleanup_(json_decrefp) json_t *temp_ids = NULL;
        bool open = streq(req(s, "action") ?: "open", "open");
        struct jsm j;
        int r;

        r = jsm_init(&j, s->config, s->dry_run);
        if (r < 0)
                return r;
        if (s->dry_run) {
                r = jsm_dry_run(&j, s);
                jsm_free(&j);
                return r;
        }
        if (open) {
                r = resolve_request_type(&j, req(s, "request_type") ?: "incident");
                if (r < 0)
                        goto finish;
                if (!json_is_true(st(s, "attached")) && !jstr(s->state, "key")) {
                        /* upload first: a bundle that cannot be uploaded opens no ticket */
                        r = step_upload(&j, s, &temp_ids);
                        if (r < 0)
                                goto finish;
                }
                r = step_create(&j, s, temp_ids);
                if (r < 0)
                        goto finish;
        } else {
                r = resolve_existing(&j, s);
                if (r < 0)
                        goto finish;
        }
        r = step_attach(&j, s, &temp_ids);
        if (r < 0)
                goto finish;
        json_object_set_new(s->ticket, "action", json_string(open ? "created" : "attached"));
        r = step_share(&j, s);
        if (r < 0 && r != -EAGAIN) {
                /* the ticket stands; the share failure is reported in the exit code */
                (void) st_set(s, "done", json_true());
                goto finish;
        }
        if (r == -EAGAIN)
                goto finish;
        r = step_escalate(s);
        if (r < 0)
                goto finish;
        r = st_set(s, "done", json_true());
finish:
        if (r < 0 && j.last_message && r != -ENOMEM)
                json_object_set_new(s->state, "last_error", json_string(j.last_message));
        if (r == OUTCOME_UNKNOWN || r == SERVER_BUSY || http_error_is_transient(r))
                r = -EAGAIN;
        jsm_free(&j);
        return r;
}

static const struct ticket_backend_ops jsm_ops = {
        .submit = jsm_submit,
};

const struct ticket_backend ticket_backend_jsm = {
        .name = "jsm",
        .ops = &jsm_ops,
};

/* ---- collect portal test|desks|types|fields ------------------------------ */

static const char *const personal_domains[] = {
        "gmail.com",   "googlemail.com", "outlook.com", "hotmail.com", "live.com",   "msn.com",
        "yahoo.com",   "ymail.com",      "icloud.com",  "me.com",      "mac.com",    "aol.com",
        "proton.me",   "protonmail.com", "gmx.com",     "gmx.de",      "gmx.net",    "web.de",
        "mail.com",    "yandex.com",     "yandex.ru",   "qq.com",      "163.com",    "126.com",
        "zoho.com",    "tutanota.com",   "fastmail.com", "hey.com",    "yahoo.co.uk", "hotmail.co.uk",
        NULL,
};

static bool email_is_personal(const char *email)
{
        const char *at = email ? strrchr(email, '@') : NULL;

        if (!at)
                return false;
        for (size_t i = 0; personal_domains[i]; i++)
                if (strcasecmp(at + 1, personal_domains[i]) == 0)
                        return true;
        return false;
}

static int exit_of(int r)
{
        return ticket_exit_code(r);
}

static int portal_test(struct jsm *j)
{
        _cleanup_free_ char *err = NULL;
        struct credentials cred = {};
        struct http_response resp = {};
        json_t *me = NULL;
        int r;

        fprintf(stderr, "portal: %s (%s)\n", j->c->portal.url,
                portal_deployment_to_string(j->c->portal.deployment));
        r = http_send(j->http, &(struct http_request) { .method = "GET", .path = API "/info",
                                                        .no_auth = true },
                      &resp);
        if (r < 0) {
                log_error("cannot reach %s: %s", j->c->portal.url, http_client_error(j->http));
                return r == -EPROTO ? 78 : 75;
        }
        if (resp.status != 200) {
                log_error("%s does not look like a Jira Service Management site "
                          "(GET /rest/servicedeskapi/info answered HTTP %ld); check portal.url",
                          j->c->portal.url, resp.status);
                http_response_done(&resp);
                return resp.status == 404 ? 78 : 75;
        }
        http_response_done(&resp);
        fprintf(stderr, "ok: the site answers (Jira Service Management)\n");

        r = credentials_load(&cred, j->c->portal.credentials, j->c->portal.deployment, &err);
        if (r >= 0 && j->c->portal.deployment == PORTAL_CLOUD && email_is_personal(cred.email)) {
                log_error("the account %s is registered with a personal e-mail address; the "
                          "support team requires your company address: sign up on the portal "
                          "with it and create the API token for that account", cred.email);
                credentials_done(&cred);
                return 77;
        }
        if (r >= 0)
                fprintf(stderr, "ok: credentials%s%s read (%s)\n", cred.email ? " for " : "",
                        cred.email ?: "", getenv("COLLECT_PORTAL_TOKEN") ? "environment" :
                                                                           j->c->portal.credentials);
        credentials_done(&cred);
        if (r < 0) {
                log_error("portal credentials: %s", err ?: strerror(-r));
                return 77;
        }
        r = resolve_desk(j);
        if (r < 0)
                return exit_of(r);
        fprintf(stderr, "ok: credentials accepted; service desk '%s' is id %s\n",
                j->c->portal.service_desk, j->desk_id);
        /* the account's own e-mail, where the portal tells it */
        if (j->c->portal.deployment == PORTAL_CLOUD &&
            jsm_call(j, "GET", "/rest/api/3/myself", NULL, NULL, 0, CALL_IDEMPOTENT, &me) >= 0 &&
            email_is_personal(jstr(me, "emailAddress"))) {
                log_error("the account %s is registered with a personal e-mail address; the "
                          "support team requires your company address",
                          jstr(me, "emailAddress"));
                json_decref(me);
                return 77;
        }
        json_decref(me);
        for (const char *const *use = (const char *const[]) { "incident", "question", NULL };
             *use; use++) {
                _cleanup_free_ char *f = NULL, *o = NULL;

                j->rt_id = mfree(j->rt_id);
                j->meta = (json_decref(j->meta), NULL);
                r = resolve_request_type(j, *use);
                if (r < 0)
                        return exit_of(r);
                r = jsm_pick_severity(json_object_get(j->meta, "requestTypeFields"),
                                      j->c->portal.severity_field, "P3", &f, &o);
                if (r == -ENOENT) {
                        log_error("the severity field '%s' is not on request type '%s'",
                                  j->c->portal.severity_field, config_request_type(j->c, *use));
                        return 78;
                }
                fprintf(stderr, "ok: %s requests use request type '%s' (id %s); severity %s%s\n",
                        *use, config_request_type(j->c, *use), j->rt_id,
                        r > 0 ? "goes in field " : "goes into the summary (no severity field)",
                        r > 0 ? f : "");
                if (json_is_false(json_object_get(j->meta, "canAddRequestParticipants")) &&
                    strv_length(j->c->portal.share_with) > 0)
                        log_warning("this account may not share requests on this request type; "
                                    "share_with will fail");
        }
        fprintf(stderr, "portal test passed\n");
        return 0;
}

static int portal_list(struct jsm *j, const char *what, const char *arg)
{
        _cleanup_free_ char *path = NULL;
        json_t *all = NULL, *v;
        size_t i;
        int r;

        if (streq(what, "desks")) {
                r = jsm_get_paged(j, API "/servicedesk", &all);
                if (r < 0)
                        return exit_of(r);
                printf("%-8s %-12s %s\n", "ID", "KEY", "NAME");
                json_array_foreach(all, i, v)
                        printf("%-8s %-12s %s\n", jstr(v, "id") ?: "?", jstr(v, "projectKey") ?: "?",
                               jstr(v, "projectName") ?: "");
                json_decref(all);
                return 0;
        }
        r = resolve_desk(j);
        if (r < 0)
                return exit_of(r);
        if (streq(what, "types")) {
                path = xasprintf(API "/servicedesk/%s/requesttype", j->desk_id);
                if (!path)
                        return 1;
                r = jsm_get_paged(j, path, &all);
                if (r < 0)
                        return exit_of(r);
                printf("%-8s %s\n", "ID", "NAME");
                json_array_foreach(all, i, v)
                        printf("%-8s %s\n", jstr(v, "id") ?: "?", jstr(v, "name") ?: "");
                json_decref(all);
                return 0;
        }
        /* fields [TYPE] */
        if (arg) {
                /* a request type name or id given on the command line */
                struct config c2 = *j->c;

                c2.portal.request_type_incident = (char *) arg;
                j->c = &c2;
                r = resolve_request_type(j, "incident");
                j->c = NULL;
        } else
                r = resolve_request_type(j, "incident");
        if (r < 0)
                return exit_of(r);
        printf("%-22s %-9s %-24s %s\n", "FIELD", "REQUIRED", "NAME", "OPTIONS (id=label)");
        json_array_foreach(json_object_get(j->meta, "requestTypeFields"), i, v) {
                size_t k;
                json_t *o;

                printf("%-22s %-9s %-24s", jstr(v, "fieldId") ?: "?",
                       json_is_true(json_object_get(v, "required")) ? "yes" : "no",
                       jstr(v, "name") ?: "");
                json_array_foreach(json_object_get(v, "validValues"), k, o)
                        printf("%s%s=%s", k ? ", " : " ", jstr(o, "value") ?: "?",
                               jstr(o, "label") ?: "");
                printf("\n");
        }
        return 0;
}

int jsm_portal_verb(const struct config *c, int argc, char **argv)
{
        struct jsm j;
        int r, ex;

        if (argc < 1 || !(streq(argv[0], "test") || streq(argv[0], "desks") ||
                          streq(argv[0], "types") || streq(argv[0], "fields")) ||
            argc > 2) {
                log_error("usage: collect portal test|desks|types|fields [REQUEST-TYPE]");
                return 64;
        }
        if (!c || !c->has_portal) {
                log_error("no portal is configured (portal: in %s); see the README for an "
                          "example", c && c->path ? c->path : "/etc/collect/collect.yaml");
                return 78;
        }
        if (streq(argv[0], "test")) {
                r = jsm_init(&j, c, true);
                if (r < 0)
                        return exit_of(r);
                /* credentials are read inside portal_test, to report them step by step */
                {
                        _cleanup_free_ char *err = NULL, *auth = NULL;
                        struct credentials cred = {};

                        if (credentials_load(&cred, c->portal.credentials, c->portal.deployment,
                                             &err) >= 0) {
                                auth = credentials_auth_header(&cred, c->portal.deployment);
                                credentials_done(&cred);
                                if (auth)
                                        (void) http_client_set_auth(j.http, auth);
                                if (auth)
                                        explicit_bzero(auth, strlen(auth));
                        }
                }
                ex = portal_test(&j);
                jsm_free(&j);
                return ex;
        }
        r = jsm_init(&j, c, false);
        if (r < 0)
                return exit_of(r);
        ex = portal_list(&j, argv[0], argc > 1 ? argv[1] : NULL);
        jsm_free(&j);
        return ex;
}
