# SPDX-License-Identifier: MIT
"""A generated corpus of credentials and of ordinary values, planted in the
places a host keeps them (test_secret_corpus.py).

Every secret is generated here from a seeded random source, in the format of
its family (the families public secret-scanning rule sets cover: cloud keys,
CI and VCS tokens, SaaS API keys, connection strings, JWTs, private keys,
random values of secret-named keys); none is copied from anywhere. Each
context (a PostgreSQL log, docker JSON logs, sudo lines, syslog, cloud-init
output, .env, YAML, JSON, INI, shell profiles, conf.d files, the journal)
writes every family in its own syntax, next to ordinary values that must
survive (UUIDs, hashes, request ids, paths, versions, timestamps, ...).

    c = build(); add_samples(c, srcdir); add_kubernetes(c); add_keep_lines(c); add_forms(c)
    c.files     {relative path: [lines]} to write under the root
    c.journal   [messages] for the journal
    c.secrets   [(family, context, value)] planted
    c.keep      [(context, value)] planted ordinary values
"""

import base64
import json
import random
import string

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def s(self, alphabet, n):
        # at least one digit, one upper and one lower letter where the alphabet
        # has them, as real tokens nearly always do
        while True:
            v = "".join(self.r.choice(alphabet) for _ in range(n))
            if n < 12:
                return v
            need = [c for c in (string.digits, string.ascii_uppercase, string.ascii_lowercase)
                    if any(x in alphabet for x in c)]
            if all(any(x in c for x in v) for c in need):
                return v

    def alnum(self, n):
        return self.s(ALNUM, n)

    def hex(self, n):
        return self.s(HEX, n)

    def b64(self, n):
        return self.s(B64, n)

    def b64url(self, n):
        return self.s(B64URL, n)

    def digits(self, n):
        return self.s(string.digits, n)

    def password(self, n=18):
        return self.s(ALNUM + "!#%^*_-+", n)

    def uuid(self):
        h = self.hex(32)
        return "%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:])

    def jwt(self):
        head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        body = base64.urlsafe_b64encode(json.dumps(
            {"sub": self.alnum(10), "iat": self.r.randint(1700000000, 1800000000)}).encode()
        ).decode().rstrip("=")
        return "%s.%s.%s" % (head, body, self.b64url(43))


def families(g):
    """[(family, value, kind)]: kind 'token' (self-identifying, placed anywhere),
    'keyed' (needs a secret-named key; key given), 'url' (a connection string
    whose password is the secret), 'pem' (a private key block)."""
    f = [
        ("aws-access-key-id", "AKIA" + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "token"),
        ("aws-sts-key-id", "ASIA" + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "token"),
        ("aws-secret-access-key", g.b64(40), "keyed", "aws_secret_access_key"),
        ("gcp-api-key", "AIza" + g.b64url(35), "token"),
        ("gcp-oauth-token", "ya29." + g.b64url(120), "token"),
        ("gcp-client-secret", "GOCSPX-" + g.b64url(28), "token"),
        ("azure-ad-client-secret", g.s(ALNUM, 3) + g.digits(1) + "Q~" + g.s(ALNUM + "_~.-", 34),
         "token"),
        ("azure-storage-key", "AccountKey=" + g.b64(86) + "==", "token"),
        ("github-pat", "ghp_" + g.alnum(36), "token"),
        ("github-oauth", "gho_" + g.alnum(36), "token"),
        ("github-app", "ghs_" + g.alnum(36), "token"),
        ("github-refresh", "ghr_" + g.alnum(76), "token"),
        ("github-fine-grained", "github_pat_" + g.alnum(22) + "_" + g.alnum(59), "token"),
        ("gitlab-pat", "glpat-" + g.b64url(20), "token"),
        ("gitlab-runner", "glrt-" + g.b64url(20), "token"),
        ("gitlab-deploy", "gldt-" + g.b64url(20), "token"),
        ("gitlab-trigger", "glptt-" + g.hex(40), "token"),
        ("bitbucket-app-password", "ATBB" + g.alnum(32), "token"),
        ("atlassian-api-token", "ATATT3" + g.b64url(183) + "=" + g.s(UPPER_ALNUM, 8), "token"),
        ("slack-bot", "xoxb-%s-%s-%s" % (g.digits(12), g.digits(13), g.alnum(24)), "token"),
        ("slack-user", "xoxp-%s-%s-%s-%s" % (g.digits(12), g.digits(12), g.digits(13), g.hex(32)),
         "token"),
        ("slack-app", "xapp-1-A%s-%s-%s" % (g.s(UPPER_ALNUM, 10), g.digits(13), g.hex(64)),
         "token"),
        ("slack-webhook", "https://hooks.slack.com/services/T%s/B%s/%s" % (
            g.s(UPPER_ALNUM, 8), g.s(UPPER_ALNUM, 10), g.alnum(24)), "token"),
        ("stripe-secret", "sk_live_" + g.alnum(99), "token"),
        ("stripe-restricted", "rk_live_" + g.alnum(24), "token"),
        ("stripe-webhook", "whsec_" + g.alnum(32), "token"),
        ("twilio-api-key", "SK" + g.hex(32), "token"),
        ("sendgrid", "SG." + g.b64url(22) + "." + g.b64url(43), "token"),
        ("npm", "npm_" + g.alnum(36), "token"),
        ("pypi", "pypi-AgEIcHlwaS5vcmc" + g.b64url(70), "token"),
        ("shopify-access", "shpat_" + g.hex(32), "token"),
        ("shopify-shared-secret", "shpss_" + g.hex(32), "token"),
        ("datadog-api-key", g.hex(32), "keyed", "DD_API_KEY"),
        ("datadog-app-key", g.hex(40), "keyed", "datadog_app_key"),
        ("flyio", "FlyV1 fm2_" + g.b64(140) + ",fm2_" + g.b64(200) + "==", "token"),
        ("doppler", "dp.pt." + g.alnum(43), "token"),
        ("vault-service", "hvs." + g.b64url(90), "token"),
        ("vault-batch", "hvb." + g.b64url(130), "token"),
        ("terraform-cloud", g.alnum(14) + ".atlasv1." + g.b64url(67), "token"),
        ("openai", "sk-proj-" + g.b64url(74) + "T3BlbkFJ" + g.b64url(74), "token"),
        ("anthropic", "sk-ant-api03-" + g.b64url(93) + "AA", "token"),
        ("huggingface", "hf_" + g.alnum(34), "token"),
        ("dockerhub", "dckr_pat_" + g.b64url(27), "token"),
        ("digitalocean", "dop_v1_" + g.hex(64), "token"),
        ("heroku", "HRKU-" + g.b64url(60), "token"),
        ("databricks", "dapi" + g.hex(32), "token"),
        ("newrelic-user", "NRAK-" + g.s(UPPER_ALNUM, 27), "token"),
        ("sentry-user", "sntryu_" + g.hex(64), "token"),
        ("postman", "PMAK-%s-%s" % (g.hex(24), g.hex(34)), "token"),
        ("pulumi", "pul-" + g.hex(40), "token"),
        ("grafana-sa", "glsa_%s_%s" % (g.alnum(32), g.hex(8)), "token"),
        ("linear", "lin_api_" + g.alnum(40), "token"),
        ("mailgun", "key-" + g.hex(32), "token"),
        ("mailchimp", g.hex(32) + "-us" + str(g.r.randint(1, 20)), "token"),
        ("telegram-bot", "%s:AA%s" % (g.digits(10), g.b64url(33)), "token"),
        ("sourcegraph", "sgp_" + g.hex(16) + "_" + g.hex(40), "token"),
        ("age-secret-key", "AGE-SECRET-KEY-1" + g.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
         "token"),
        ("jwt", g.jwt(), "token"),
        ("generic-legacy-key", g.alnum(47), "keyed", "LEGACY_AGENT_KEY"),
        ("generic-camel-token", g.b64url(32), "keyed", "authToken2"),
        ("generic-client-secret", g.alnum(40), "keyed", "client_secret"),
        ("generic-webhook-secret", g.hex(48), "keyed", "WEBHOOK_SECRET"),
        ("generic-signing-key", g.b64(44), "keyed", "signing_key"),
        ("generic-password", g.password(20), "keyed", "db_password"),
        ("generic-auth", g.alnum(28), "keyed", "X_AUTH"),
        ("generic-access-token", g.b64url(36), "keyed", "access_token"),
        ("generic-private-token", g.alnum(20), "keyed", "PRIVATE_TOKEN"),
        ("postgres-url", ("postgresql://app:%s@db01.internal:5432/orders", g.password(16)), "url"),
        ("mongodb-url", ("mongodb+srv://svc:%s@cluster0.example.mongodb.net/app", g.alnum(20)),
         "url"),
        ("redis-url", ("redis://:%s@cache01:6379/0", g.alnum(24)), "url"),
        ("amqp-url", ("amqp://guest:%s@mq01:5672/vhost", g.password(14)), "url"),
        ("mssql-conn", ("Server=tcp:sql01,1433;Database=app;User Id=app;Password=%s;",
                        g.password(18)), "url"),
        ("pem-rsa", "RSA", "pem"),
        ("pem-openssh", "OPENSSH", "pem"),
        ("pem-pkcs8", "", "pem"),
        ("pem-ec", "EC", "pem"),
    ]
    out = []
    for x in f:
        name, value, kind = x[:3]
        key = x[3] if len(x) > 3 else None
        out.append({"family": name, "value": value, "kind": kind, "key": key})
    return out


def pem_block(g, label):
    tag = ("%s PRIVATE KEY" % label).strip()
    body = [g.b64(64) for _ in range(6)] + [g.b64(40) + "=="]
    return tag, body


def ordinary(g):
    """Ordinary values and the line shapes they come in."""
    u1, u2, h64, md5, c40 = g.uuid(), g.uuid(), g.hex(64), g.hex(32), g.hex(40)
    img = g.hex(64)
    return [
        "request_id=%s" % u1,
        "X-Request-Id: %s" % u2,
        "trace_id=%s" % g.hex(32),
        "sha256=%s" % h64,
        "md5sum %s" % md5,
        "commit %s" % c40,
        "image=docker.io/library/nginx@sha256:%s" % img,
        "PWD=/home/admin",
        "path=/var/lib/postgresql/15/main",
        "version=2.14.%d" % g.r.randint(1, 99),
        "nginx/1.22.1",
        "2026-11-27T10:15:30.123Z",
        "10.20.%d.%d" % (g.r.randint(1, 254), g.r.randint(1, 254)),
        "cache_key=user:%d:profile" % g.r.randint(1000, 9999),
        "sort_key=created_at",
        "token_endpoint=https://login.example.com/oauth2/token",
        "password_min_length=12",
        "token_ttl=3600",
        "max_tokens=4096",
        "auth_method=oauth2",
        "key_file=/etc/myapp/tls/app.crt",
        "secretName=app-tls",
        "payload=%s" % base64.b64encode(b"hello world, order 42 shipped").decode(),
        "etag=%s" % md5,
        "pod=web-7d9f8c6b5d-x2k4q",
        "user=app duration_ms=%d status=503" % g.r.randint(10, 9999),
    ]


class Corpus:
    def __init__(self, seed=14):
        self.g = Gen(seed)
        self.fam = families(self.g)
        self.secrets = []   # (family, context, value)
        self.keep = []      # (context, value)
        self.files = {}     # relative path -> text
        self.journal = []   # messages

    # -- one secret as it appears in a given syntax ------------------------------

    def value_of(self, f, ctx):
        """(text to embed, [secret strings to look for]): a fresh value of the
        family's format for every context, so that a leak names its context."""
        g = self.g
        if f["kind"] == "url":
            tmpl, _ = f["value"]
            pw = g.alnum(8) + g.s(ALNUM + "-_.~", 10) if "://" in tmpl else g.password(18)
            return tmpl % pw, [pw]
        if f["kind"] == "pem":
            tag, body = pem_block(g, f["value"])
            return (tag, body), body
        fresh = families(g)
        v = next(x for x in fresh if x["family"] == f["family"])["value"]
        if f["family"] == "azure-storage-key":
            return v, [v.split("=", 1)[1]]
        if f["family"] == "flyio":
            return v, [v[len("FlyV1 "):], v.split(",")[1]]
        if f["family"] == "slack-webhook":
            return v, [v.rsplit("/", 1)[1]]
        return v, [v]

    def add(self, f, ctx, found):
        for s in found:
            self.secrets.append((f["family"], ctx, s))


def _line_syntax(style, key, value):
    """key/value in one syntax."""
    if style == "env":
        return "%s=%s" % (key, value)
    if style == "env-dq":
        return '%s="%s"' % (key, value)
    if style == "export":
        return "export %s='%s'" % (key, value)
    if style == "yaml":
        return "%s: %s" % (key, value)
    if style == "yaml-dq":
        return '%s: "%s"' % (key, value)
    if style == "json":
        return '"%s": "%s"' % (key, value)
    if style == "ini":
        return "%s = %s" % (key, value)
    if style == "flag":
        return "--%s %s" % (key.lower().replace("_", "-"), value)
    raise ValueError(style)


TOKEN_PHRASES = [
    "using credential {v} for upstream",
    "retry with token={v}",
    "config {{\"api_token\": \"{v}\", \"retries\": 3}}",
    "header X-Api-Key: {v}",
    "sent {v} to the worker",
]


def build(seed=14):
    """Builds the corpus: returns Corpus with .files, .journal, .secrets, .keep."""
    c = Corpus(seed)
    g = c.g
    ords = ordinary(g)
    ts = [0]

    def stamp():
        ts[0] += 1
        return ts[0]

    # ---------------------------------------------------------------- logs
    syslog, sudo, pglog, cloud, dock, journal = [], [], [], [], [], []
    for i, f in enumerate(c.fam):
        # syslog
        text, found = c.value_of(f, "syslog")
        if f["kind"] == "pem":
            tag, body = text
            n = stamp()
            syslog.append("Nov 27 10:%02d:%02d web01 app[812]: loaded key:" % (n // 60 % 60, n % 60))
            syslog += ["-----BEGIN %s-----" % tag] + body + ["-----END %s-----" % tag]
        else:
            if f["kind"] == "keyed":
                phrase = _line_syntax(["env", "json", "env-dq", "flag"][i % 4], f["key"], text)
            elif f["kind"] == "url":
                phrase = "connecting to %s" % text
            else:
                phrase = TOKEN_PHRASES[i % len(TOKEN_PHRASES)].format(v=text)
            n = stamp()
            if i % 3 == 0:
                phrase = "ERROR upstream call failed: " + phrase
            syslog.append("Nov 27 10:%02d:%02d web01 app[812]: %s" % (n // 60 % 60, n % 60, phrase))
        c.add(f, "syslog", found)

        # sudo COMMAND= lines (auth.log)
        text, found = c.value_of(f, "sudo")
        if f["kind"] != "pem":
            if f["kind"] == "keyed":
                cmd = ["/usr/bin/env %s=%s /opt/app/bin/migrate" % (f["key"], text),
                       "/opt/app/bin/agent --%s %s" % (f["key"].lower().replace("_", "-"), text),
                       "/usr/bin/psql -c \"ALTER ROLE app WITH PASSWORD '%s'\"" % text][i % 3]
            elif f["kind"] == "url":
                cmd = "/usr/bin/psql %s" % text if "://" in text else \
                    "/opt/app/bin/check '%s'" % text
            else:
                cmd = ["/usr/bin/curl -s -H 'Authorization: Bearer %s' https://api.example.com/v1"
                       % text, "/opt/app/bin/register %s" % text,
                       "/usr/bin/git clone https://oauth2:%s@git.example.com/a/b.git" % text][i % 3]
            n = stamp()
            sudo.append("Nov 27 11:%02d:%02d web01 sudo:    admin : TTY=pts/0 ; PWD=/home/admin ; "
                        "USER=root ; COMMAND=%s" % (n // 60 % 60, n % 60, cmd))
            c.add(f, "sudo", found)

        # PostgreSQL statements
        text, found = c.value_of(f, "postgresql")
        if f["kind"] != "pem":
            if f["kind"] == "keyed":
                stmt = ["ALTER ROLE app WITH PASSWORD '%s'" % text,
                        "CREATE USER app IDENTIFIED BY '%s'" % text,
                        "SELECT set_config('app.%s', '%s', false)" % (f["key"].lower(), text),
                        "UPDATE settings SET %s = '%s' WHERE id = 1" % (f["key"].lower(), text),
                        "ALTER ROLE app ENCRYPTED PASSWORD '%s' VALID UNTIL 'infinity'" % text,
                        ][i % 5]
            elif f["kind"] == "url":
                stmt = "INSERT INTO datasources (name, dsn) VALUES ('main', '%s')" % text
            else:
                stmt = ["INSERT INTO api_keys (owner, value) VALUES ('ci', '%s')" % text,
                        "UPDATE integrations SET credential = '%s' WHERE id = 7" % text,
                        "SELECT * FROM tokens WHERE value = '%s'" % text][i % 3]
            n = stamp()
            pglog.append("2026-11-27 12:%02d:%02d.%03d UTC [4242] app@orders LOG:  statement: %s;" %
                         (n // 60 % 60, n % 60, n % 1000, stmt))
            c.add(f, "postgresql", found)

        # cloud-init output
        text, found = c.value_of(f, "cloud-init")
        if f["kind"] == "pem":
            tag, body = text
            cloud.append("+ cat > /etc/app/signing.pem <<'EOF'")
            cloud += ["-----BEGIN %s-----" % tag] + body + ["-----END %s-----" % tag, "EOF"]
        elif f["kind"] == "keyed":
            cloud.append("+ export %s=%s" % (f["key"], text))
        elif f["kind"] == "url":
            cloud.append("+ echo 'DATABASE_URL=%s' >> /etc/app/app.env" % text)
        else:
            cloud.append("+ /usr/local/bin/bootstrap --registration-token %s" % text
                         if i % 2 else "+ curl -fsSL https://get.example.com | TOKEN=%s sh" % text)
        c.add(f, "cloud-init", found)

        # docker JSON logs: one JSON record per line, quotes escaped
        text, found = c.value_of(f, "docker")
        if f["kind"] == "pem":
            tag, body = text
            inner = ["-----BEGIN %s-----" % tag] + body + ["-----END %s-----" % tag]
        elif f["kind"] == "keyed":
            inner = [['%s="%s"' % (f["key"], text), '{"%s": "%s"}' % (f["key"], text),
                      "%s=%s" % (f["key"], text)][i % 3]]
        elif f["kind"] == "url":
            inner = ['connecting with DSN="%s"' % text]
        else:
            inner = ['starting with token "%s"' % text if i % 2 else "auth %s ok" % text]
        for ln in inner:
            n = stamp()
            dock.append(json.dumps({"log": ln + "\n", "stream": "stdout",
                                    "time": "2026-11-27T13:%02d:%02d.%09dZ" %
                                    (n // 60 % 60, n % 60, n)}, separators=(",", ":")))
        c.add(f, "docker", found)

        # journal
        text, found = c.value_of(f, "journal")
        if f["kind"] != "pem":
            if f["kind"] == "keyed":
                journal.append("loaded %s" % _line_syntax(["env", "json"][i % 2], f["key"], text))
            elif f["kind"] == "url":
                journal.append("db %s unreachable" % text)
            else:
                journal.append("authenticated with %s" % text)
            c.add(f, "journal", found)

    # ordinary values everywhere
    for o in ords:
        n = stamp()
        syslog.append("Nov 27 10:%02d:%02d web01 app[812]: %s" % (n // 60 % 60, n % 60, o))
        c.keep.append(("syslog", o))
        n = stamp()
        dock.append(json.dumps({"log": "%s\n" % o, "stream": "stderr",
                                "time": "2026-11-27T13:%02d:%02d.%09dZ" % (n // 60 % 60, n % 60, n)},
                               separators=(",", ":")))
        c.keep.append(("docker", o))
        journal.append("handled %s" % o)
        c.keep.append(("journal", o))
        cloud.append("Cloud-init v. 23.1.1 running 'modules:final' %s" % o)
        c.keep.append(("cloud-init", o))
    for i in range(20):
        n = stamp()
        line = ("Nov 27 11:%02d:%02d web01 sudo:    admin : TTY=pts/%d ; PWD=/home/admin ; "
                "USER=root ; COMMAND=/usr/bin/apt-get install -y nginx=1.22.1-9+deb12u%d"
                % (n // 60 % 60, n % 60, i % 4, i))
        sudo.append(line)
        c.keep.append(("sudo", "PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/apt-get install "
                               "-y nginx=1.22.1-9+deb12u%d" % i))
    pkgs = []
    for i in range(30):
        h = g.hex(64)
        m = g.hex(32)
        pkgs.append("2026-11-27 09:%02d:00 status installed libfoo%d:amd64 1.%d.3-1" % (i, i, i))
        pkgs.append("2026-11-27 09:%02d:01 sha256 %s md5 %s /var/cache/apt/archives/libfoo%d.deb"
                    % (i, h, m, i))
        c.keep += [("dpkg", h), ("dpkg", m), ("dpkg", "libfoo%d:amd64 1.%d.3-1" % (i, i))]
    for i in range(10):
        n = stamp()
        u = g.uuid()
        pglog.append("2026-11-27 12:%02d:%02d.%03d UTC [4243] app@orders LOG:  duration: 1.2 ms  "
                     "statement: SELECT * FROM orders WHERE id = '%s'" % (n // 60 % 60, n % 60,
                                                                           n % 1000, u))
        c.keep.append(("postgresql", u))
    pglog.append("2026-11-27 12:59:00.000 UTC [4243] app@orders LOG:  statement: ALTER ROLE "
                 "readonly WITH PASSWORD NULL;")
    c.keep.append(("postgresql", "ALTER ROLE readonly WITH PASSWORD NULL"))

    c.files["var/log/syslog"] = syslog
    c.files["var/log/auth.log"] = sudo
    c.files["var/log/postgresql/postgresql-15-main.log"] = pglog
    c.files["var/log/cloud-init-output.log"] = cloud
    cid = g.hex(64)
    c.files["var/log/containers/app-%s.log" % cid[:12]] = dock
    c.files["var/log/dpkg.log"] = pkgs
    c.journal = journal  # priority 3 (errors) and 4 (warnings): the journal collector keeps them
    build_config(c, ords)
    return c


CONFIG_FILES = {
    # path: (style, kind of file)
    "etc/myapp/app.env": "env",
    "etc/myapp/.env": "env-dq",
    "etc/myapp/config.yaml": "yaml",
    "etc/myapp/settings.json": "json",
    "etc/myapp/app.ini": "ini",
    "etc/profile.d/myapp.sh": "export",
    "etc/myapp/conf.d/50-agent.conf": "ini",
    "etc/myapp/conf.d/60-env.conf": "env",
    "etc/myapp/conf.d/70-yaml.conf": "yaml-dq",
}


def build_config(c, ords):
    """Configuration files: every family in each file's syntax. Files under
    conf.d are written after the snapshot (test_secret_corpus), so they reach
    the bundle through the config-diff path too."""
    for path, style in CONFIG_FILES.items():
        ctx = "config:" + path
        lines = []
        if style == "json":
            lines.append("{")
        elif style == "ini":
            lines.append("[main]")
        for i, f in enumerate(c.fam):
            text, found = c.value_of(f, ctx)
            key = f["key"] or ["API_TOKEN", "service_credential", "UPSTREAM_AUTH", "token",
                               "secret"][i % 5]
            if f["kind"] == "url":
                key = ["DATABASE_URL", "dsn", "connection_string"][i % 3]
            if f["kind"] == "pem":
                tag, body = text
                key = "TLS_PRIVATE_KEY" if style != "yaml" else "private_key"
                pem = ["-----BEGIN %s-----" % tag] + body + ["-----END %s-----" % tag]
                if style == "json":
                    lines.append('  "%s": "%s",' % (key, "\\n".join(pem) + "\\n"))
                elif style.startswith("yaml"):
                    lines.append("%s: |" % key)
                    lines += ["  " + x for x in pem]
                elif style in ("env", "env-dq", "export"):
                    lines.append('%s="%s' % (key, pem[0]))
                    lines += pem[1:-1] + [pem[-1] + '"']
                else:
                    lines.append("%s = %s" % (key, pem[0]))
                    lines += ["    " + x for x in pem[1:]]
                c.add(f, ctx, found)
                continue
            if style == "json":
                lines.append("  " + _line_syntax("json", key, text) + ",")
            else:
                lines.append(_line_syntax(style, key, text))
            c.add(f, ctx, found)
        for j, o in enumerate(ords):
            k, sep, v = o.partition("=")
            if sep and style != "json":
                kv = _line_syntax(style if style != "flag" else "env", k, v)
                lines.append(kv)
                c.keep.append((ctx, v))
            elif sep:
                lines.append('  "%s": "%s",' % (k, v))
                c.keep.append((ctx, v))
            else:
                lines.append(("# " if style != "json" else '  "note%d": "' % j) + o +
                             ('",' if style == "json" else ""))
                c.keep.append((ctx, o))
        if style == "json":
            lines.append('  "end": true')
            lines.append("}")
        c.files[path] = lines


# ---- values generated from the formats of a public rule set, in its sample syntaxes ----

FORMATS = "tests/data/redact/sample-formats.tsv"

# The syntaxes public rule sets write their samples in ({i}: the identifier,
# {I}: upper case, {s}: the secret): configuration, code, Makefiles.
ONE_LINE_SYNTAXES = [
    '{i}Token="{s}"', '{i}Token = "{s}"', "{i}Token={s}", "{i}Token = {s}",
    '{{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}}',
    "{i}_token: {s}", "{i}_token: '{s}'", '{i}_token: "{s}"',
    'string {i}Token = "{s}";', 'var {i}Token string = "{s}"', '{i}Token := "{s}"',
    "{i}Token := `{s}`", 'String {i}Token = "{s}";', 'var {i}Token = "{s}"',
    '${i}Token .= "{s}"', "{i}Token = '{s}'", '{i}Token = "{s}"',
    'System.setProperty("{I}_TOKEN", "{s}")', '  "{i}Token" => "{s}"',
    '{i}_TOKEN = "{s}"', '{i}_TOKEN := "{s}"', '{i}_TOKEN ::= "{s}"', '{i}_TOKEN :::= "{s}"',
    '{i}_TOKEN ?= "{s}"',
]
MULTI_LINE_SYNTAXES = [
    '{{\n    "{i}_token": "{s}"\n}}',
    "<{i}Token>\n    {s}\n</{i}Token>",
]


def sample_regex(rx, r):
    """A random string matching a simple regex (classes, repeats, groups,
    alternation), as the rule set's own generator does."""
    import re._parser as sp  # noqa: the standard library's regex parser
    out = []

    def cls(items):
        chars = []
        for op, av in items:
            if op == sp.LITERAL:
                chars.append(chr(av))
            elif op == sp.RANGE:
                chars += [chr(c) for c in range(av[0], av[1] + 1)]
            elif op == sp.CATEGORY:
                if av == sp.CATEGORY_WORD:
                    chars += list(ALNUM + "_")
                elif av == sp.CATEGORY_DIGIT:
                    chars += list(string.digits)
                elif av == sp.CATEGORY_SPACE:
                    chars.append(" ")
        return chars

    def gen(seq):
        for op, av in seq:
            if op == sp.LITERAL:
                out.append(chr(av))
            elif op == sp.IN:
                out.append(r.choice(cls(av)))
            elif op == sp.ANY:
                out.append(r.choice(ALNUM))
            elif op in (sp.MAX_REPEAT, sp.MIN_REPEAT):
                lo, hi, sub = av
                hi = min(hi, lo + 20) if hi != sp.MAXREPEAT else lo + 20
                for _ in range(r.randint(lo, hi) if lo else max(1, r.randint(lo, hi))):
                    gen(sub)
            elif op == sp.SUBPATTERN:
                gen(av[-1])
            elif op == sp.BRANCH:
                gen(r.choice(av[1]))
            elif op == sp.CATEGORY:
                out.append(r.choice(cls([(op, av)])))
    gen(sp.parse(rx))
    return "".join(out)


def load_formats(srcdir):
    import os
    rows = []
    with open(os.path.join(srcdir, FORMATS)) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rule, ident, rx = line.rstrip("\n").split("\t")
            rows.append((rule, ident, rx))
    return rows


def build_samples(srcdir, seed=1222):
    """[(rule, identifier, secret, [sample lines])]: every format in every
    syntax, each with its own generated secret."""
    r = random.Random(seed)
    res = []
    for rule, ident, rx in load_formats(srcdir):
        for k, syn in enumerate(ONE_LINE_SYNTAXES + MULTI_LINE_SYNTAXES):
            s = sample_regex(rx, r)
            text = syn.format(i=ident, I=ident.upper(), s=s)
            res.append((rule, ident, s, text.split("\n"), k >= len(ONE_LINE_SYNTAXES)))
    return res


def add_samples(c, srcdir):
    """Plants build_samples() in syslog, docker JSON logs, sudo lines, a
    journal and a conf.d file changed between snapshots; records them in
    c.secrets under the family "sample:<rule>"."""
    samples = build_samples(srcdir)
    sysl, dock, sudo, conf, dump, pg = [], [], [], [], [], []
    for n, (rule, ident, s, lines, multi) in enumerate(samples):
        fam = {"family": "sample:" + rule}
        hh, mm, ss = 14 + n // 3600 % 8, n // 60 % 60, n % 60
        if not multi:
            ln = lines[0]
            sysl.append("Nov 27 %02d:%02d:%02d web01 app[913]: %s" % (hh, mm, ss, ln))
            c.add(fam, "samples:syslog", [s])
            sudo.append("Nov 27 %02d:%02d:%02d web01 sudo:    admin : TTY=pts/1 ; "
                        "PWD=/home/admin ; USER=root ; COMMAND=/bin/sh -c %s" % (hh, mm, ss, ln))
            c.add(fam, "samples:sudo", [s])
            pg.append("2026-11-27 %02d:%02d:%02d.%03d UTC [5151] app@orders LOG:  statement: %s;"
                      % (hh, mm, ss, n % 1000,
                         ["INSERT INTO app_settings (id, name, value) VALUES (%d, '%s_token', '%s')"
                          % (n, ident, s), "SELECT set_config('app.%s_token', '%s', false)"
                          % (ident.lower(), s)][n % 2]))
            c.add(fam, "samples:postgresql", [s])
            if n % 4 == 0:
                c.journal.append(ln)
                c.add(fam, "samples:journal", [s])
        for ln in lines:
            dock.append(json.dumps({"log": ln + "\n", "stream": "stdout",
                                    "time": "2026-11-27T%02d:%02d:%02d.%09dZ" % (hh, mm, ss, n)},
                                   separators=(",", ":")))
        c.add(fam, "samples:docker", [s])
        dump += lines
        c.add(fam, "samples:dump", [s])
        conf += lines
        c.add(fam, "samples:conf.d", [s])
    c.files["var/log/app/samples.log"] = sysl
    c.files["var/log/postgresql/postgresql-15-samples.log"] = pg
    c.files["var/log/app/sudo-samples.log"] = sudo
    c.files["var/log/containers/samples-%s.log" % c.g.hex(12)] = dock
    c.files["var/log/app/config-dump.log"] = dump
    c.files["etc/myapp/conf.d/80-samples.conf"] = conf


def add_kubernetes(c):
    """Kubernetes Secret manifests under /etc/kubernetes (YAML as kubectl
    writes it, data before kind; hand-written YAML with stringData; JSON with
    a last-applied-configuration annotation) next to ConfigMaps whose data
    must stay. Values under ordinary key names: only the kind makes them secret."""
    g = c.g

    def b64v():
        return base64.b64encode(g.alnum(g.r.randint(12, 40)).encode()).decode()

    fam = {"family": "kubernetes-secret"}
    ctx = "config:etc/kubernetes/manifests/app-secrets.yaml"
    v = [b64v() for _ in range(4)]
    plain = [g.alnum(10) + " " + g.alnum(8), g.alnum(24)]
    cm = ["mode-%s" % g.alnum(6), "listen %d" % g.r.randint(1024, 9999)]
    lines = ["apiVersion: v1", "data:", "  username: " + v[0], "  config.json: " + v[1],
             "  tls.crt: |", "    " + v[2], "kind: Secret", "metadata:", "  name: app",
             "type: Opaque", "---", "kind: Secret", "apiVersion: v1", "stringData:",
             "  db-url: " + plain[0], '  note: "%s"' % plain[1], "---", "apiVersion: v1",
             "data:", "  mode: " + cm[0], "  app.conf: |", "    " + cm[1], "kind: ConfigMap"]
    c.files[ctx[len("config:"):]] = lines
    c.add(fam, ctx, v[:3] + plain)
    c.keep += [(ctx, cm[0]), (ctx, cm[1])]

    ctx = "config:etc/kubernetes/manifests/app-secrets.json"
    v = [b64v() for _ in range(2)]
    annot = json.dumps({"apiVersion": "v1", "data": {"api": v[1]}, "kind": "Secret"})
    doc = {"apiVersion": "v1", "items": [
        {"apiVersion": "v1", "data": {"api": v[1], "ca.crt": v[0]}, "kind": "Secret",
         "metadata": {"annotations": {
             "kubectl.kubernetes.io/last-applied-configuration": annot + "\n"}}},
        {"apiVersion": "v1", "data": {"color": cm[0]}, "kind": "ConfigMap"}], "kind": "List"}
    c.files[ctx[len("config:"):]] = json.dumps(doc, indent=4).split("\n")
    c.add(fam, ctx, v)
    c.keep.append((ctx, cm[0]))


# Ordinary log lines full of identifiers, hashes and key-like words; every
# listed value must stay (fixed values: none of them is a credential).
KEEP_LINES = [
    ("sshd[2211]: Accepted publickey for admin from 10.0.4.17 port 51234 ssh2: ED25519 "
     "SHA256:Xk3f9sT1Qh8Lr0bZpV2wYcN5mJ7aE4uG6iK8oD1sF2A",
     ["SHA256:Xk3f9sT1Qh8Lr0bZpV2wYcN5mJ7aE4uG6iK8oD1sF2A", "10.0.4.17"]),
    ("systemd[1]: Started app.service. INVOCATION_ID=4f1c2b7e9a8d4c3bb1e2f3a4c5d6e7f8",
     ["INVOCATION_ID=4f1c2b7e9a8d4c3bb1e2f3a4c5d6e7f8"]),
    ("dockerd[900]: Pulled nginx:1.25 Digest: sha256:"
     "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
     ["sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"]),
    ('app[812]: "integrity": "sha512-pMtfnTOfAZdzp2Z4W1JXmEIj0KQFsmyQ5sVJUcrypIk8Rs9PuudaKJGaxQ3X'
     'mwRG3QPmFEoQwLQg8cPkq7VpEA=="',
     ["sha512-pMtfnTOfAZdzp2Z4W1JXmEIj0KQFsmyQ5sVJUcrypIk8Rs9PuudaKJGaxQ3XmwRG3QPmFEoQwLQg8cPkq7VpEA=="]),
    ("app[812]: GET /api/v2/orders?page=2&per_page=50 200 12ms x-amz-request-id=4442587FB7D0A2F9",
     ["/api/v2/orders?page=2&per_page=50", "x-amz-request-id=4442587FB7D0A2F9"]),
    ("kubelet[1200]: pod uid=7d3f6a1e-4c2b-4e8a-9f1d-2b3c4d5e6f70 resourceVersion=482913 "
     "container_id=containerd://9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d",
     ["uid=7d3f6a1e-4c2b-4e8a-9f1d-2b3c4d5e6f70", "resourceVersion=482913",
      "containerd://9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d"]),
    ('app[812]: cache hit key=session:user:42 etag="W/5e-8f2c1a9b7d" '
     "content_md5=XrY7u+Ae7tCTyyK7j1rNww==",
     ["key=session:user:42", "content_md5=XrY7u+Ae7tCTyyK7j1rNww=="]),
    ("app[812]: checkout commit_sha=3f786850e387550fdab836ed7e6dc881de23001b build_id=20261127.4",
     ["commit_sha=3f786850e387550fdab836ed7e6dc881de23001b", "build_id=20261127.4"]),
    ("app[812]: public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0d"
     "h2l9GKJl admin@web01",
     ["AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]),
    ("app[812]: tls: certificate fingerprint sha1=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
     ["sha1=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"]),
    ("app[812]: token_type=bearer expires_in=3600 scope=read:orders",
     ["token_type=bearer expires_in=3600 scope=read:orders"]),
    ("app[812]: keyid=8F3A1C2D4E5B6A79 algo=rsa4096 created=2026-01-04",
     ["keyid=8F3A1C2D4E5B6A79"]),
    ("kernel: EXT4-fs (sda1): mounted filesystem 1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901",
     ["1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901"]),
    ("app[812]: password reset requested for user id 4711 (token sent by email)",
     ["password reset requested for user id 4711 (token sent by email)"]),
    ("app[812]: api_version=2024-06-01 key_length=4096 secret_ref=vault:kv/data/app#db",
     ["api_version=2024-06-01", "key_length=4096", "secret_ref=vault:kv/data/app#db"]),
    ("app[812]: data=eyJvcmRlciI6NDIsInN0YXR1cyI6InNoaXBwZWQifQ== type=application/json",
     ["data=eyJvcmRlciI6NDIsInN0YXR1cyI6InNoaXBwZWQifQ=="]),
    ("CRON[3001]: (root) CMD (/usr/local/bin/backup --target s3://backups-prod/db --keep 7)",
     ["/usr/local/bin/backup --target s3://backups-prod/db --keep 7"]),
    ("apt[4000]: Get:1 http://deb.debian.org/debian bookworm/main amd64 libssl3 amd64 "
     "3.0.15-1~deb12u1 [2,025 kB]", ["libssl3 amd64 3.0.15-1~deb12u1"]),
]


def add_keep_lines(c):
    sysl = c.files["var/log/syslog"]
    for n, (line, values) in enumerate(KEEP_LINES):
        sysl.append("Nov 27 16:00:%02d web01 %s" % (n, line))
        c.journal.append(line.split(": ", 1)[1])
        for v in values:
            c.keep.append(("syslog", v))
            if v in line.split(": ", 1)[1]:
                c.keep.append(("journal", v))


def add_forms(c):
    """The other shapes credentials come in (command lines over several lines,
    quoted user:password pairs, headers, PHP arrays, a bare service name as
    the key), each with a generated value, in a log file and in a conf.d file."""
    g = c.g
    fam = {"family": "forms"}
    forms = []

    def add(tmpl, *vals):
        forms.append((tmpl.format(*vals), list(vals)))

    add("curl --cacert ca.crt -u elastic:{} https://localhost:9200", g.password(14))
    add("curl -k -X POST https://cache:11222/rest/v2/caches/default/hello \\\n"
        "  -H 'Content-type: text/plain' \\\n  -d 'world' \\\n  -u developer:{}", g.alnum(16))
    add('curl -u ":{}" https://localhost:9200', g.password(14))
    add("curl -sw '%{{http_code}}' -X POST --user  'alice:{}' $URL --data", g.alnum(12) + "~")
    add('curl -X POST --user "{{{}}}":"{{{}}}" --header "Accept: application/json"',
        g.uuid(), g.alnum(14))
    add('curl -H "X-API-Key: {}" https://api.example.com', g.alnum(24))
    add("curl -H 'PRIVATE-TOKEN: {}' https://gitlab.example.com/api/v4/projects", g.alnum(20))
    add(' utils.GetEnvOrDefault("api_token", "{}")', g.uuid())
    add("'access_token': '{}'", g.b64(28) + "==")
    add('"credentials" : "{}"', g.hex(64))
    add("private-key: {}", g.s(ALNUM + "-_.=", 100))
    add("mySecretString={}", g.alnum(30))
    add("todo_secret_do_not_commit = {}", g.alnum(30))
    add('"user_auth": "{}"', g.b64(60) + "=")
    add("$config = array('id' => '1234', 'secret_key' => 'sk_{}', 'public_key' => 'pk_x');",
        g.alnum(29))
    add('"bot_token4": "xoxb-{}-{}-{}"', g.digits(13), g.digits(12), g.alnum(24))
    add("https://acme.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/{}/{}",
        g.uuid(), g.uuid(), g.hex(32), g.uuid())
    add("TELEGRAM_API_TOKEN = {}:A{}", g.digits(8), g.b64url(34))
    add("  sourcegraph: {}", g.s("abcdefABCDEF0123456789", 40))
    add("export CO_API_KEY={}", g.alnum(40))
    add('artifactoryApiKey := "AKCp{}"', g.alnum(69))
    add("JIRA_API_TOKEN={}", g.alnum(24))
    add('<add key="ClearTextPassword" value="{}" />', g.password(16))
    add("<adafruitToken>{}</adafruitToken>", g.alnum(32))
    lines = []
    for text, vals in forms:
        lines += text.split("\n")
        c.add(fam, "forms:log", [v for v in vals if not v.count("-") == 4])  # uuids: user names
        c.add(fam, "forms:conf.d", [v for v in vals if not v.count("-") == 4])
    c.files["var/log/app/forms.log"] = lines
    c.files["etc/myapp/conf.d/90-forms.conf"] = lines
