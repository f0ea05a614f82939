/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of the ticket flows against the strict fake portal
 * (tests/integration/fake_portal.py, run as a child process on 127.0.0.1):
 * open, attach, share, escalation, outbox, dry run, Data Center auth, every
 * fault (no duplicate, nothing lost, the right result), resume after a kill.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "alloc-util.h"
#include "cli/exit-code.h"
#include "cli/verb-spool.h"
#include "policy/site-config.h"
#include "fd-util.h"
#include "ticket/ledger.h"
#include "ticket/jsm-client.h"
#include "ticket/spool.h"
#include "strv.h"
#include "ticket/ticket.h"

#define TOKEN "s3cr3t-T0KEN-value"
#define PAT "dc-PAT-s3cr3t-value"

struct fx {
        char dir[64];
        pid_t fake;
        int port;
        char url[64];
        char bundle[128];
        char config_path[128];
        char state[128], spool[128];
        struct config config;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, text, strlen(text)), 0);
        fchmod(fd, mode);
        close(fd);
}

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;

        if (!f)
                return NULL;
        buf = calloc(1, 1 << 20);
        if (buf)
                n = fread(buf, 1, (1 << 20) - 1, f);
        (void) n;
        fclose(f);
        return buf;
}

static size_t on_body(char *p, size_t s, size_t n, void *u)
{
        struct {
                char *b;
                size_t len;
        } *o = u;
        char *nb = realloc(o->b, o->len + s * n + 1);

        if (!nb)
                return 0;
        o->b = nb;
        memcpy(o->b + o->len, p, s * n);
        o->len += s * n;
        o->b[o->len] = 0;
        return s * n;
}

/* Talks to the fake's control API; returns the parsed answer. */
static json_t *control(struct fx *f, const char *path, const char *body)
{
        struct {
                char *b;
                size_t len;
        } out = {};
        CURL *c = curl_easy_init();
        char url[128];
        json_error_t err;
        json_t *j;

        snprintf(url, sizeof(url), "%s%s", f->url, path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_cleanup(c);
        j = json_loads(out.b, 0, &err);
        free(out.b);
        assert_non_null(j);
        return j;
}

static json_t *fake_state(struct fx *f)
{
        return control(f, "/__fake/state", NULL);
}

static size_t n_requests(struct fx *f)
{
        json_t *s = fake_state(f);
        size_t n = json_array_size(json_object_get(s, "requests"));

        json_decref(s);
        return n;
}

static void start_fake(struct fx *f, const char *deployment)
{
        const char *srcdir = getenv("COLLECT_SRCDIR") ?: ".";
        char portfile[128];
        char script[512];

        snprintf(portfile, sizeof(portfile), "%s/port", f->dir);
        snprintf(script, sizeof(script), "%s/tests/integration/fake_portal.py", srcdir);
        (void) unlink(portfile);
        f->fake = fork();
        assert_true(f->fake >= 0);
        if (f->fake == 0) {
                execl("/usr/bin/python3", "python3", script, "--port-file", portfile,
                      "--deployment", deployment, "--timeout", "120", (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 200; i++) {
                char *p = read_all(portfile);

                if (p && *p) {
                        f->port = (int) strtoul(p, NULL, 10);
                        free(p);
                        break;
                }
                free(p);
                usleep(50 * 1000);
        }
        assert_true(f->port > 0);
        snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->port);
}

static void load_config(struct fx *f, const char *extra)
{
        char text[2048], cred[160];
        _cleanup_free_ char *err = NULL;

        snprintf(cred, sizeof(cred), "%s/credentials", f->dir);
        snprintf(text, sizeof(text),
                 "environment: production\nproduct: Payments API\n%s"
                 "portal:\n  url: %s\n  credentials: %s\n  service_desk: SUP\n"
                 "  request_types: {incident: Report an incident, question: Ask a question}\n",
                 extra ? extra : "", f->url, cred);
        write_file(f->config_path, text, 0644);
        config_done(&f->config);
        assert_int_equal(config_load(&f->config, f->config_path, false, &err), 0);
}

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        char cred[160];

        snprintf(f->dir, sizeof(f->dir), "/tmp/test-ticket-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->bundle, sizeof(f->bundle), "%s/collect-node04-20260301T144000Z.tar.gz", f->dir);
        write_file(f->bundle, "\x1f\x8b this stands for the bundle bytes", 0600);
        snprintf(f->config_path, sizeof(f->config_path), "%s/collect.yaml", f->dir);
        snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
        snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
        snprintf(cred, sizeof(cred), "%s/credentials", f->dir);
        write_file(cred, "email: ops-bot@customer.example\ntoken: " TOKEN "\n", 0600);
        setenv("COLLECT_TEST_BACKOFF_MS", "20", 1);
        setenv("COLLECT_TEST_SETTLE_MS", "400", 1);
        setenv("COLLECT_TEST_HTTP_TIMEOUT_MS", "5000", 1);
        unsetenv("COLLECT_PORTAL_TOKEN");
        unsetenv("COLLECT_PORTAL_EMAIL");
        start_fake(f, "cloud");
        load_config(f, NULL);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        char cmd[160];
        pid_t pid;

        if (f->fake > 0) {
                kill(f->fake, SIGTERM);
                waitpid(f->fake, NULL, 0);
        }
        config_done(&f->config);
        /* rm -rf of our own temp dir, without system(3) */
        snprintf(cmd, sizeof(cmd), "%s", f->dir);
        pid = fork();
        if (pid == 0) {
                execl("/bin/rm", "rm", "-rf", cmd, (char *) NULL);
                _exit(127);
        }
        waitpid(pid, NULL, 0);
        free(f);
        return 0;
}

static json_t *manifest(const char *severity)
{
        return json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:[s, s]},"
                         " s:[{s:s, s:s, s:s}], s:{s:s, s:s, s:s}, s:{s:s, s:I, s:s},"
                         " s:[{s:s, s:s, s:I}]}",
                         "host", "node-04", "window", "since", "2026-03-01T13:40:00Z", "until",
                         "2026-03-01T14:40:00Z", "tool", "name", "collect", "version", "0.1.0",
                         "severity", "suggested", severity, "selected", severity, "reasons",
                         "critical unit app.service failed", "no workaround", "checklist", "item",
                         "environment", "status", "ok", "source", "user", "input", "type",
                         "incident", "summary", "Payments API down on node-04", "environment",
                         "production", "bundle", "path",
                         "/tmp/collect-node04-20260301T144000Z.tar.gz", "bytes", (json_int_t) 40,
                         "sha256",
                         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                         "findings", "kind", "unit_failed", "subject", "app.service", "count",
                         (json_int_t) 3);
}

static int submit(struct fx *f, enum ticket_action action, const char *key, const char *sev,
                  char **share, bool dry_run, json_t **ret_ticket)
{
        json_t *m = manifest(sev);
        struct ticket_job job = {
                .action = action,
                .key = key,
                .bundle_path = f->bundle,
                .manifest = m,
                .config = &f->config,
                .share = share,
                .state_dir = f->state,
                .spool_dir = f->spool,
                .dry_run = dry_run,
                .assume_yes = true,
        };
        json_t *t = NULL;
        int r = ticket_submit(&job, &t);

        json_decref(m);
        if (ret_ticket)
                *ret_ticket = t;
        else
                json_decref(t);
        return r;
}

static size_t spool_count(struct fx *f)
{
        _cleanup_strv_free_ char **ids = NULL;

        assert_int_equal(spool_list(f->spool, &ids), 0);
        return strv_length(ids);
}

static json_t *first_request(json_t *st)
{
        return json_array_get(json_object_get(st, "requests"), 0);
}

static void test_open(void **state)
{
        struct fx *f = *state;
        char *share[] = { (char *) "5b10ac8d82e05b22cc7d4ef5", NULL };
        json_t *t = NULL, *st, *rq, *values;
        const char *summary;

        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", share, false, &t), 0);
        assert_string_equal(json_string_value(json_object_get(t, "action")), "created");
        assert_string_equal(json_string_value(json_object_get(t, "key")), "SUP-481");
        assert_non_null(strstr(json_string_value(json_object_get(t, "url")), "/portal/3/SUP-481"));
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "requests")), 1);
        rq = first_request(st);
        values = json_object_get(rq, "_values");
        /* priority set by id of the "P2 - High" option, labels with the marker */
        assert_string_equal(json_string_value(
                                    json_object_get(json_object_get(values, "priority"), "id")),
                            "10002");
        summary = json_string_value(json_object_get(values, "summary"));
        assert_non_null(strstr(summary, "Payments API down on node-04"));
        /* the marker is in the labels and the description, not in the summary */
        assert_null(strstr(summary, "collect"));
        assert_int_equal(json_array_size(json_object_get(values, "labels")), 2);
        {
                /* Cloud: the description is an ADF document */
                _cleanup_free_ char *d = json_dumps(json_object_get(values, "description"), 0);
                const char *marker = json_string_value(
                        json_array_get(json_object_get(values, "labels"), 1));

                assert_non_null(strstr(d, "\"type\": \"doc\""));
                assert_non_null(strstr(d, "\"text\": \"Environment\""));
                assert_non_null(strstr(d, marker));
        }
        /* bundle and timeline.svg attached with a public comment, shared */
        assert_int_equal(json_array_size(json_object_get(rq, "_attachments")), 2);
        assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(json_object_get(rq, "_attachments"), 1),
                                    "name")),
                            "timeline.svg");
        assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(json_object_get(rq, "_attachments"), 0),
                                    "name")),
                            "collect-node04-20260301T144000Z.tar.gz");
        assert_int_equal(json_array_size(json_object_get(rq, "_comments")), 1);
        assert_string_equal(json_string_value(
                                    json_array_get(json_object_get(rq, "_participants"), 0)),
                            "5b10ac8d82e05b22cc7d4ef5");
        /* nothing left in the spool, the ledger knows the key */
        assert_int_equal(spool_count(f), 0);
        {
                size_t i;
                json_t *c;

                json_array_foreach(json_object_get(st, "log"), i, c) {
                        _cleanup_free_ char *s = json_dumps(c, 0);

                        /* the token only ever travels base64-encoded in Authorization */
                        assert_null(strstr(s, TOKEN));
                }
        }
        json_decref(st);
        json_decref(t);
}

static void test_attach_existing(void **state)
{
        struct fx *f = *state;
        json_t *t = NULL, *st;

        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P3", NULL, false, NULL), 0);
        assert_int_equal(submit(f, TICKET_ATTACH, "SUP-481", "P3", NULL, false, &t), 0);
        assert_string_equal(json_string_value(json_object_get(t, "action")), "attached");
        assert_string_equal(json_string_value(json_object_get(t, "key")), "SUP-481");
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "requests")), 1);
        /* bundle and timeline.svg, then the second bundle alone */
        assert_int_equal(json_array_size(json_object_get(first_request(st), "_attachments")), 3);
        json_decref(st);
        json_decref(t);
        /* an unknown ticket is a configuration error, nothing uploaded for it */
        assert_int_equal(submit(f, TICKET_ATTACH, "SUP-999", "P3", NULL, false, NULL), -ENOENT);
}

static void test_faults_no_duplicate(void **state)
{
        struct fx *f = *state;
        json_t *j;

        j = control(f, "/__fake/faults", "{\"drop_after_create\": 1}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        assert_int_equal(n_requests(f), 1);

        j = control(f, "/__fake/faults",
                    "{\"rate_limit\": {\"after\": 0, \"count\": 2, \"retry_after\": 1}}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        assert_int_equal(n_requests(f), 2);

        j = control(
                f, "/__fake/faults",
                "{\"unavailable\": {\"count\": 2, \"path\": \"/request\", \"method\": \"POST\"}}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        assert_int_equal(n_requests(f), 3);

        /* dropped after commit while the search index lags */
        j = control(f, "/__fake/faults", "{\"drop_after_create\": 1, \"search_delay\": 0.3}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        assert_int_equal(n_requests(f), 4);

        /* dropped before commit: created once, after the search settled */
        j = control(f, "/__fake/faults", "{\"drop_before_create\": 1, \"search_delay\": null}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        assert_int_equal(n_requests(f), 5);
        assert_int_equal(spool_count(f), 0);
}

static void test_unreachable_spool_flush(void **state)
{
        struct fx *f = *state;
        json_t *t = NULL, *j;
        char *flush[] = { (char *) "flush", NULL };
        char *list[] = { (char *) "list", NULL };

        j = control(f, "/__fake/faults", "{\"upload_fail\": 50}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, &t), -EAGAIN);
        assert_int_equal(exit_code_from_ticket(-EAGAIN), 75);
        assert_string_equal(json_string_value(json_object_get(t, "action")), "spooled");
        assert_non_null(json_string_value(json_object_get(t, "spool_id")));
        json_decref(t);
        assert_int_equal(n_requests(f), 0);
        assert_int_equal(spool_count(f), 1);
        assert_int_equal(verb_spool_run(f->spool, f->state, &f->config, 1, list), 0);
        /* still failing: stays */
        assert_int_equal(verb_spool_run(f->spool, f->state, &f->config, 1, flush), 75);
        assert_int_equal(spool_count(f), 1);
        j = control(f, "/__fake/faults", "{\"upload_fail\": null}");
        json_decref(j);
        assert_int_equal(verb_spool_run(f->spool, f->state, &f->config, 1, flush), 0);
        assert_int_equal(spool_count(f), 0);
        assert_int_equal(n_requests(f), 1);
        /* a second flush sends nothing again */
        assert_int_equal(verb_spool_run(f->spool, f->state, &f->config, 1, flush), 0);
        assert_int_equal(n_requests(f), 1);

        /* the portal is gone altogether */
        kill(f->fake, SIGTERM);
        waitpid(f->fake, NULL, 0);
        f->fake = 0;
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), -EAGAIN);
        assert_int_equal(spool_count(f), 1);
}

static void test_credentials(void **state)
{
        struct fx *f = *state;
        char cred[160];
        json_t *j;

        j = control(f, "/__fake/faults", "{\"expired_token\": true}");
        json_decref(j);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), -EACCES);
        assert_int_equal(exit_code_from_ticket(-EACCES), 77);
        assert_int_equal(n_requests(f), 0);
        j = control(f, "/__fake/faults", "{\"expired_token\": null}");
        json_decref(j);

        /* a credentials file others can read is refused before anything is sent */
        snprintf(cred, sizeof(cred), "%s/credentials", f->dir);
        chmod(cred, 0644);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), -EACCES);
        chmod(cred, 0600);
        /* the environment overrides the file */
        setenv("COLLECT_PORTAL_TOKEN", "wrong-token", 1);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), -EACCES);
        unsetenv("COLLECT_PORTAL_TOKEN");
}

static void test_config_errors(void **state)
{
        struct fx *f = *state;
        char *share[] = { (char *) "nobody-such", NULL };
        json_t *t = NULL;

        /* an unknown participant: the ticket stands, the share is a config error */
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", share, false, &t), -EINVAL);
        assert_int_equal(exit_code_from_ticket(-EINVAL), 78);
        assert_string_equal(json_string_value(json_object_get(t, "key")), "SUP-481");
        json_decref(t);
        assert_int_equal(n_requests(f), 1);
        assert_int_equal(spool_count(f), 0);

        /* a request type that does not exist */
        load_config(f, NULL);
        free(f->config.portal.request_type_incident);
        f->config.portal.request_type_incident = strdup("No such type");
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), -ENOENT);
        assert_int_equal(n_requests(f), 1);
}

static void test_severity_variants(void **state)
{
        struct fx *f = *state;
        json_t *st, *values;

        /* a custom "Severity" select without P-labels: by position */
        free(f->config.portal.request_type_incident);
        f->config.portal.request_type_incident = strdup("43");
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P1", NULL, false, NULL), 0);
        /* no severity field at all: into the summary */
        free(f->config.portal.request_type_incident);
        f->config.portal.request_type_incident = strdup("General request");
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        st = fake_state(f);
        values = json_object_get(first_request(st), "_values");
        assert_string_equal(json_string_value(
                                    json_object_get(json_object_get(values, "customfield_10200"),
                                                    "id")),
                            "20001");
        values = json_object_get(json_array_get(json_object_get(st, "requests"), 1), "_values");
        assert_true(strneq(json_string_value(json_object_get(values, "summary")), "[P2] ", 5));
        assert_null(json_object_get(values, "labels"));
        json_decref(st);
}

static void test_escalation(void **state)
{
        struct fx *f = *state;
        char hook[160], text[256];
        json_t *st;

        snprintf(hook, sizeof(hook), "%s/slack-webhook", f->dir);
        snprintf(text, sizeof(text), "%s/services/T000/B000/XXXXsecret\n", f->url);
        write_file(hook, text, 0600);
        snprintf(text, sizeof(text),
                 "tier: premium\nescalation:\n  slack_webhook_file: %s\n  "
                 "phone: \"+00 000 000\"\n",
                 hook);
        load_config(f, text);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P1", NULL, false, NULL), 0);
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "slack")), 1);
        assert_non_null(strstr(
                json_string_value(json_object_get(
                        json_object_get(json_array_get(json_object_get(st, "slack"), 0), "message"),
                        "text")),
                "SUP-481"));
        json_decref(st);
        /* P2 under premium: no notification */
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL), 0);
        /* Slack failing: the ticket stands, the notification waits in the spool */
        json_decref(control(
                f, "/__fake/faults",
                "{\"slack\": {\"status\": 500, \"text\": \"rollup_error\", \"count\": 10}}"));
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P1", NULL, false, NULL), -EAGAIN);
        assert_int_equal(n_requests(f), 3);
        assert_int_equal(spool_count(f), 1);
        json_decref(control(f, "/__fake/faults", "{\"slack\": null}"));
        {
                char *flush[] = { (char *) "flush", NULL };

                assert_int_equal(verb_spool_run(f->spool, f->state, &f->config, 1, flush), 0);
        }
        assert_int_equal(n_requests(f), 3);
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "slack")), 2);
        json_decref(st);
        /* standard tier: never notified */
        load_config(f, "tier: standard\nescalation:\n  slack_webhook_file: /nonexistent\n");
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P1", NULL, false, NULL), 0);
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "slack")), 2);
        json_decref(st);
}

static void test_dry_run_and_outbox(void **state)
{
        struct fx *f = *state;
        json_t *t = NULL, *st;
        char path[256];
        struct stat sb;

        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, true, NULL), 0);
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "log")), 0);
        json_decref(st);
        assert_int_equal(spool_count(f), 0);

        config_done(&f->config);
        assert_int_equal(config_load(&f->config, NULL, true, NULL), 0);
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, &t), 0);
        assert_string_equal(json_string_value(json_object_get(t, "action")), "drafted");
        json_decref(t);
        snprintf(path, sizeof(path), "%s.ticket.txt", f->bundle);
        assert_int_equal(stat(path, &sb), 0);
        {
                _cleanup_free_ char *s = read_all(path);

                assert_non_null(strstr(s, "Request type: Report an incident"));
                assert_non_null(strstr(s, "Severity: P2 - High"));
                assert_non_null(strstr(s, "critical unit app.service failed"));
        }
        snprintf(path, sizeof(path), "%s.ticket.json", f->bundle);
        {
                json_error_t err;
                json_t *j = json_load_file(path, 0, &err);

                assert_non_null(j);
                assert_string_equal(json_string_value(
                                            json_object_get(json_object_get(j, "severity"),
                                                            "selected")),
                                    "P2");
                assert_int_equal(json_array_size(json_object_get(j, "checklist")), 1);
                json_decref(j);
        }
}

static void test_resume_after_kill(void **state)
{
        struct fx *f = *state;
        char *flush[] = { (char *) "flush", NULL };
        json_t *st;
        pid_t child;

        /* the attach call is rate limited with a long Retry-After: the child waits there */
        json_decref(control(f, "/__fake/faults",
                            "{\"rate_limit\": {\"after\": 0, \"count\": 1, \"retry_after\": 30,"
                            " \"path\": \"/attachment\"}}"));
        child = fork();
        assert_true(child >= 0);
        if (child == 0)
                _exit(submit(f, TICKET_OPEN, NULL, "P2", NULL, false, NULL) == 0 ? 0 : 1);
        for (int i = 0; i < 200 && n_requests(f) == 0; i++)
                usleep(50 * 1000);
        usleep(300 * 1000);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        assert_int_equal(n_requests(f), 1);
        assert_int_equal(spool_count(f), 1);
        assert_int_equal(verb_spool_run(f->spool, f->state, &f->config, 1, flush), 0);
        assert_int_equal(spool_count(f), 0);
        st = fake_state(f);
        assert_int_equal(json_array_size(json_object_get(st, "requests")), 1);
        assert_int_equal(json_array_size(json_object_get(first_request(st), "_attachments")), 2);
        json_decref(st);
}

static void test_datacenter(void **state)
{
        struct fx *f = *state;
        char *share[] = { (char *) "jdoe", NULL };
        char cred[160];
        json_t *st, *c;
        size_t i;

        kill(f->fake, SIGTERM);
        waitpid(f->fake, NULL, 0);
        f->port = 0;
        start_fake(f, "datacenter");
        snprintf(cred, sizeof(cred), "%s/credentials", f->dir);
        write_file(cred, "token: " PAT "\n", 0600);
        load_config(f, NULL);
        f->config.portal.deployment = PORTAL_DATACENTER;
        assert_int_equal(submit(f, TICKET_OPEN, NULL, "P3", share, false, NULL), 0);
        st = fake_state(f);
        assert_string_equal(json_string_value(json_array_get(
                                    json_object_get(first_request(st), "_participants"), 0)),
                            "jdoe");
        json_array_foreach(json_object_get(st, "log"), i, c)
                assert_string_equal(json_string_value(json_object_get(json_object_get(c, "headers"),
                                                                      "Authorization")),
                                    "Bearer " PAT);
        json_decref(st);
}

static void test_pick_severity(void **state)
{
        json_error_t err;
        json_t *fields = json_loads(
                "[{\"fieldId\":\"summary\",\"name\":\"Summary\",\"validValues\":[]},"
                "{\"fieldId\":\"customfield_1\",\"name\":\"Severity\",\"validValues\":["
                "{\"value\":\"7\",\"label\":\"p4 – low\"},{\"value\":\"5\",\"label\":\"P2—High\"},"
                "{\"value\":\"4\",\"label\":\"P1 - Critical\"},{\"value\":\"6\",\"label\":\"P3\"}]}]",
                0, &err);
        char *fld = NULL, *opt = NULL;

        (void) state;
        assert_int_equal(jsm_pick_severity(fields, "auto", "P2", &fld, &opt), 1);
        assert_string_equal(fld, "customfield_1");
        assert_string_equal(opt, "5");
        free(fld);
        free(opt);
        assert_int_equal(jsm_pick_severity(fields, "auto", "P4", &fld, &opt), 1);
        assert_string_equal(opt, "7");
        free(fld);
        free(opt);
        assert_int_equal(jsm_pick_severity(fields, "priority", "P4", &fld, &opt), -ENOENT);
        json_decref(fields);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pick_severity),
                cmocka_unit_test_setup_teardown(test_open, setup, teardown),
                cmocka_unit_test_setup_teardown(test_attach_existing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_faults_no_duplicate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreachable_spool_flush, setup, teardown),
                cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
                cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_severity_variants, setup, teardown),
                cmocka_unit_test_setup_teardown(test_escalation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dry_run_and_outbox, setup, teardown),
                cmocka_unit_test_setup_teardown(test_resume_after_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_datacenter, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
