# SPDX-License-Identifier: MIT
"""Outbound trust: the portal and the Slack webhook over HTTPS with a
throwaway test CA (made with the openssl command in the test's directory),
and a CONNECT proxy on loopback that records what it tunnels.

- portal.ca_file trusts the site CA for the portal and for Slack alike;
- without it (the system CAs) the handshake fails with a certificate error,
  nothing is sent (no token), the submission is spooled (75), and a flush
  after the CA is configured files it once;
- a certificate for another name is refused: verification is never off;
- portal.proxy carries every portal and Slack connection (CONNECT), no_proxy
  bypasses it, the environment's https_proxy is used only when collect.yaml
  names no proxy;
- an https:// proxy is verified with the same CA file;
- the packaged units pass the proxy environment through."""

import configparser
import glob
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import BIN, SRCDIR, base_args, run_collect  # noqa: E402
from fake_portal import FakePortal  # noqa: E402

TOKEN = "s3cr3t-T0KEN-value"
WEBHOOK_SECRET = "B000/XXXXtlsWebhookSecret"
FAST = {"COLLECT_TEST_BACKOFF_MS": "20", "COLLECT_TEST_SETTLE_MS": "400",
        "COLLECT_TEST_HTTP_TIMEOUT_MS": "5000"}
# Whatever the machine has: the tests say which proxy is used.
NO_PROXY_ENV = {k: "" for k in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                                "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")}

pytestmark = [
    pytest.mark.skipif(not os.access(BIN, os.X_OK), reason="collect not built"),
    pytest.mark.skipif(not shutil.which("openssl"), reason="openssl command missing"),
]


# ---- a throwaway PKI ------------------------------------------------------

def openssl(cwd, *args):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True,
                   timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """ca.pem, and leaf certificates signed by it: server (127.0.0.1, localhost)
    and elsewhere (another host name only)."""
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(d, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=collect test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, san in (("server", "IP:127.0.0.1,DNS:localhost"),
                      ("elsewhere", "DNS:portal.elsewhere.example")):
        openssl(d, "req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + name)
        (d / (name + ".ext")).write_text(
            "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" % san)
        openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile",
                name + ".ext")
    return d


def server_context(pki, name="server"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pki / (name + ".pem")), str(pki / (name + ".key")))
    return ctx


# ---- a CONNECT proxy --------------------------------------------------------

class ConnectProxy:
    """A forward proxy on 127.0.0.1 that only tunnels (CONNECT), only to
    loopback, with at most `tunnels` at once, every socket under a timeout, and
    records each request head it gets; with tls (an ssl.SSLContext), an
    https:// proxy."""

    def __init__(self, tunnels=8, tls=None):
        self.tls = tls
        self.heads, self.connects, self.refused = [], [], []
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(tunnels)
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http",
                                          self.sock.getsockname()[1])
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if not self.slots.acquire(timeout=5):
                c.close()
                continue
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self._tunnel(c)
        except OSError:
            pass
        finally:
            c.close()
            self.slots.release()

    def _tunnel(self, c):
        c.settimeout(10)
        if self.tls:
            try:
                c = self.tls.wrap_socket(c, server_side=True)
            except (OSError, ValueError):
                with self.lock:
                    self.refused.append("TLS handshake refused by the client")
                return
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            d = c.recv(4096)
            if not d:
                return
            head += d
        head, _, rest = head.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        with self.lock:
            self.heads.append(head)
        method, target = (line.split(" ") + ["", ""])[:2]
        host, _, port = target.rpartition(":")
        if method != "CONNECT" or host.strip("[]") not in ("127.0.0.1", "localhost", "::1"):
            with self.lock:
                self.refused.append(line)
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        with self.lock:
            self.connects.append(target)
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10) as up:
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                up.sendall(rest)
            self._pump(c, up)

    def _pump(self, a, b):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stopping.is_set():
            # TLS may hold decrypted bytes that select() does not see
            ready = [s for s in (a, b) if isinstance(s, ssl.SSLSocket) and s.pending()]
            if not ready:
                ready, _, _ = select.select([a, b], [], [], 0.5)
            for s in ready:
                d = s.recv(65536)
                if not d:
                    return
                (b if s is a else a).sendall(d)

    def to(self, server):
        with self.lock:
            return [t for t in self.connects if t == "127.0.0.1:%d" % server.port]

    def stop(self):
        self.stopping.set()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def proxy():
    p = ConnectProxy()
    yield p
    p.stop()


@pytest.fixture
def portal(pki):
    p = FakePortal().start(tls=server_context(pki))
    yield p
    p.stop()


@pytest.fixture
def slack(pki):
    p = FakePortal().start(tls=server_context(pki))
    yield p
    p.stop()


# ---- helpers ---------------------------------------------------------------

def configure(dirs, portal, slack=None, ca=None, extra=""):
    """A premium site (a P1 notifies Slack) with the portal over TLS."""
    cred = dirs["config"].parent / "credentials"
    cred.write_text("email: ops-bot@customer.example\ntoken: %s\n" % TOKEN)
    os.chmod(cred, 0o600)
    text = "environment: production\nproduct: Payments API\ntier: premium\n"
    if slack:
        hook = dirs["config"].parent / "slack-webhook"
        hook.write_text("%s/services/T000/%s\n" % (slack.url, WEBHOOK_SECRET))
        os.chmod(hook, 0o600)
        text += "escalation:\n  slack_webhook_file: %s\n" % hook
    text += ("portal:\n  url: %s\n  credentials: %s\n  service_desk: SUP\n"
             "  request_types: {incident: Report an incident, question: Ask a question}\n"
             % (portal.url, cred))
    if ca:
        text += "  ca_file: %s\n" % ca
    dirs["config"].write_text(text + extra)


def file_p1(root, dirs, env=None):
    e = dict(FAST, **NO_PROXY_ENV)
    e.update(env or {})
    return run_collect(base_args(root, dirs, "--open-ticket", "--yes", "--json",
                                 "--allow-incomplete", "--environment", "production",
                                 "--product", "Payments API", "--summary", "Payments API down",
                                 "--impact", "all customers", "--workaround", "no",
                                 "--severity", "P1"), env=e)


def portal_test(dirs, env=None):
    e = dict(FAST, **NO_PROXY_ENV)
    e.update(env or {})
    return run_collect(["portal", "test", "--config", str(dirs["config"])], env=e)


def flush(dirs):
    return run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                        str(dirs["state"]), "--config", str(dirs["config"])],
                       env=dict(FAST, **NO_PROXY_ENV))


def spooled(dirs):
    return [p for p in glob.glob(str(dirs["spool"]) + "/*") if not
            os.path.basename(p).startswith(".")]


def no_secret(run, dirs):
    assert TOKEN not in run.out + run.err
    assert WEBHOOK_SECRET not in run.out + run.err
    for d in ("state", "spool", "out"):
        for path in glob.glob(str(dirs[d]) + "/**", recursive=True):
            if os.path.isfile(path) and not path.endswith(".tar.gz"):
                with open(path, "rb") as f:
                    assert TOKEN.encode() not in f.read(), path


# ---- trust -----------------------------------------------------------------

def test_ca_file_is_trusted_by_portal_and_slack(root, dirs, pki, portal, slack):
    configure(dirs, portal, slack, ca=pki / "ca.pem")
    r = file_p1(root, dirs)
    assert r.rc == 0, r
    assert r.json["ticket"]["action"] == "created"
    assert len(portal.created()) == 1
    assert len(slack.slack) == 1, r
    assert portal.created()[0]["issueKey"] in slack.slack[0]["message"]["text"]
    assert "Slack channel was notified" in r.err
    no_secret(r, dirs)


def test_system_cas_refuse_the_site_ca_then_spool_flush_files_once(root, dirs, pki, portal,
                                                                    slack):
    configure(dirs, portal, slack)
    r = file_p1(root, dirs)
    assert r.rc == 75, r
    assert "certificate" in r.err and "portal.ca_file" in r.err, r.err
    assert r.json["ticket"]["action"] == "spooled"
    # the handshake failed before any request: the token never left the host
    assert portal.log == [] and slack.slack == []
    assert len(spooled(dirs)) == 1
    no_secret(r, dirs)

    configure(dirs, portal, slack, ca=pki / "ca.pem")
    f = flush(dirs)
    assert f.rc == 0, f
    assert len(portal.created()) == 1 and len(slack.slack) == 1
    assert spooled(dirs) == []
    no_secret(f, dirs)


def test_a_certificate_for_another_name_is_refused(root, dirs, pki, portal):
    """Host names are checked too: a certificate of the trusted CA that names
    another host is refused (Slack here, so that the ticket stands)."""
    other = FakePortal().start(tls=server_context(pki, "elsewhere"))
    try:
        configure(dirs, portal, other, ca=pki / "ca.pem")
        r = file_p1(root, dirs)
        assert r.rc == 75, r
        assert len(portal.created()) == 1
        assert other.slack == [] and other.log == []
        assert "slack: cannot reach the webhook: TLS failed" in r.err, r.err
        assert "127.0.0.1" in r.err  # the name that did not match
        no_secret(r, dirs)
    finally:
        other.stop()


def test_an_unreadable_ca_file_is_a_configuration_error(root, dirs, pki, portal):
    configure(dirs, portal, ca=pki / "missing-ca.pem")
    r = file_p1(root, dirs)
    assert r.rc == 78, r
    assert "portal.ca_file" in r.err and "missing-ca.pem" in r.err
    # found before any work: nothing collected, nothing sent
    assert os.listdir(dirs["out"]) == [] and portal.log == []


# ---- proxy -----------------------------------------------------------------

def test_proxy_carries_every_portal_and_slack_connection(root, dirs, pki, portal, slack, proxy):
    configure(dirs, portal, slack, ca=pki / "ca.pem", extra="  proxy: %s\n" % proxy.url)
    r = file_p1(root, dirs)
    assert r.rc == 0, r
    assert len(portal.created()) == 1 and len(slack.slack) == 1
    # one tunnel per request (a handle per request): every request went through it
    assert len(proxy.to(portal)) == len(portal.log) > 0, proxy.connects
    assert len(proxy.to(slack)) == len(slack.log) == 1, proxy.connects
    assert proxy.refused == []
    # the proxy sees host names only: the token travels inside TLS
    assert not any(TOKEN.encode() in h or b"Authorization" in h for h in proxy.heads)
    no_secret(r, dirs)


def test_no_proxy_bypasses_the_proxy(root, dirs, pki, portal, slack, proxy):
    configure(dirs, portal, slack, ca=pki / "ca.pem",
              extra="  proxy: %s\n  no_proxy: [127.0.0.1]\n" % proxy.url)
    r = file_p1(root, dirs)
    assert r.rc == 0, r
    assert len(portal.created()) == 1 and len(slack.slack) == 1
    assert proxy.connects == [] and proxy.heads == []


def test_environment_proxy_is_used_unless_the_configuration_names_one(dirs, pki, portal):
    env_proxy, conf_proxy = ConnectProxy(), ConnectProxy()
    try:
        # no proxy in collect.yaml: https_proxy from the environment
        configure(dirs, portal, ca=pki / "ca.pem")
        r = portal_test(dirs, env={"https_proxy": env_proxy.url})
        assert r.rc == 0, r
        n = len(env_proxy.to(portal))
        assert n > 0 and n == len(portal.log)
        # ... and collect.yaml's no_proxy applies to it
        configure(dirs, portal, ca=pki / "ca.pem", extra="  no_proxy: [127.0.0.1]\n")
        r = portal_test(dirs, env={"https_proxy": env_proxy.url})
        assert r.rc == 0, r
        assert len(env_proxy.to(portal)) == n
        # portal.proxy replaces the environment's, and its no_proxy as well
        configure(dirs, portal, ca=pki / "ca.pem", extra="  proxy: %s\n" % conf_proxy.url)
        r = portal_test(dirs, env={"https_proxy": env_proxy.url, "HTTPS_PROXY": env_proxy.url,
                                   "all_proxy": env_proxy.url, "no_proxy": "127.0.0.1"})
        assert r.rc == 0, r
        assert len(env_proxy.to(portal)) == n
        assert len(conf_proxy.to(portal)) > 0
        assert TOKEN not in r.out + r.err
    finally:
        env_proxy.stop()
        conf_proxy.stop()


def test_https_proxy_is_verified_with_the_ca_file(root, dirs, pki, portal, slack):
    good = ConnectProxy(tls=server_context(pki))
    bad = ConnectProxy(tls=server_context(pki, "elsewhere"))
    try:
        configure(dirs, portal, slack, ca=pki / "ca.pem", extra="  proxy: %s\n" % good.url)
        r = file_p1(root, dirs)
        assert r.rc == 0, r
        assert len(portal.created()) == 1 and len(slack.slack) == 1
        assert len(good.to(portal)) == len(portal.log) and len(good.to(slack)) == 1
        # a proxy whose certificate names another host: nothing goes through it
        n = len(portal.log)
        configure(dirs, portal, slack, ca=pki / "ca.pem", extra="  proxy: %s\n" % bad.url)
        r = file_p1(root, dirs)
        assert r.rc == 75, r
        assert "TLS failed" in r.err, r.err
        assert bad.connects == [] and len(portal.log) == n
        no_secret(r, dirs)
    finally:
        good.stop()
        bad.stop()


def test_a_proxy_that_refuses_spools(root, dirs, pki, proxy):
    """A proxy that will not tunnel to the portal: the submission waits in the
    spool (75), nothing is lost and nothing goes around the proxy."""
    far = FakePortal().start(tls=server_context(pki))
    try:
        # the proxy only tunnels to loopback: 'localhost.invalid' is refused
        configure(dirs, far, ca=pki / "ca.pem", extra="  proxy: %s\n" % proxy.url)
        text = dirs["config"].read_text().replace("https://127.0.0.1:",
                                                  "https://localhost.invalid:")
        dirs["config"].write_text(text)
        r = file_p1(root, dirs)
        assert r.rc == 75, r
        assert far.log == [] and len(proxy.refused) > 0
        assert len(spooled(dirs)) == 1
        no_secret(r, dirs)
    finally:
        far.stop()


# ---- packaging -------------------------------------------------------------

NETWORK_VERBS = ("hook", "watch", "spool", "poll", "--open-ticket", "--ticket")


def test_units_that_reach_the_portal_pass_the_proxy_environment():
    units = sorted(glob.glob(os.path.join(SRCDIR, "packaging", "systemd", "*.service")))
    networked = 0
    for u in units:
        cp = configparser.ConfigParser(strict=False, interpolation=None)
        cp.optionxform = str
        cp.read(u)
        argv = cp["Service"]["ExecStart"].split()
        if not any(v in argv[1:] for v in NETWORK_VERBS):
            continue
        networked += 1
        passed = set(cp["Service"].get("PassEnvironment", "").split())
        assert {"https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"} <= passed, u
    assert networked >= 4
