/* SPDX-License-Identifier: MIT */
/*
 * Tests of agent/monitor/autofile.c: the decisions (open, comment, suppress, skip)
 * over a sequence of occurrences, the hourly budget, the dedup window, a
 * damaged state file, and the event parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/autofile.h"
#include "ticket/ledger.h"

static char dir[] = "/tmp/collect-test-autofile-XXXXXX";

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static enum autofile_decision decide(const struct autofile_policy *p, const char *fp, usec_t t,
                                     bool resolved, char **key)
{
        enum autofile_decision d;

        assert_int_equal(autofile_decide(dir, p, fp, t, resolved, &d, key, NULL), 0);
        return d;
}

static void test_sequence(void **state)
{
        struct autofile_policy p = { .enabled = true,
                                     .max_per_hour = 3,
                                     .max_comments_per_hour = 2,
                                     .dedup_window = USEC_PER_DAY };
        usec_t t = 1795773600ULL * USEC_PER_SEC;
        char *key = NULL;
        uint64_t suppressed = 0;
        enum autofile_decision d;

        (void) state;
        assert_int_equal(decide(&p, "unit-failure:a", t, false, NULL), AUTOFILE_OPEN);
        /* while the first filing runs (a second hook at the same moment): counted only */
        assert_int_equal(decide(&p, "unit-failure:a", t + 1, false, NULL), AUTOFILE_SUPPRESS);
        assert_int_equal(autofile_record(dir, "unit-failure:a", "SUP-1", t + 2), 0);
        assert_int_equal(decide(&p, "unit-failure:a", t + 3, false, &key), AUTOFILE_COMMENT);
        assert_string_equal(key, "SUP-1");
        free(key);
        key = NULL;
        assert_int_equal(autofile_record(dir, "unit-failure:a", "SUP-1", t + 4), 0);
        /* filed without a known ticket (drafted, spooled): counted only */
        assert_int_equal(decide(&p, "unit-failure:d", t + 4, false, NULL), AUTOFILE_OPEN);
        assert_int_equal(autofile_record(dir, "unit-failure:d", NULL, t + 4), 0);
        assert_int_equal(decide(&p, "unit-failure:d", t + 4, false, NULL), AUTOFILE_SUPPRESS);
        /* repeats have their own budget: two comments, then counted */
        assert_int_equal(decide(&p, "unit-failure:a", t + 5, false, NULL), AUTOFILE_COMMENT);
        assert_int_equal(decide(&p, "unit-failure:a", t + 5, false, NULL), AUTOFILE_SUPPRESS);
        /* … and never starve a first filing: the third ticket of the hour */
        assert_int_equal(decide(&p, "unit-failure:e", t + 6, false, NULL), AUTOFILE_OPEN);
        /* a filing that never finished does not hold the problem for ever */
        assert_int_equal(decide(&p, "unit-failure:e", t + 7, false, NULL), AUTOFILE_SUPPRESS);
        /* a resolved alert with no ticket: skip */
        assert_int_equal(decide(&p, "alert:x", t + 8, true, NULL), AUTOFILE_SKIP);
        /* the ticket budget is used up: a new problem is counted */
        assert_int_equal(decide(&p, "unit-failure:c", t + 9, false, NULL), AUTOFILE_SUPPRESS);
        /* an hour later the budget is back; the suppressed count is reported */
        assert_int_equal(autofile_decide(dir, &p, "unit-failure:c", t + USEC_PER_HOUR + 9, false,
                                         &d, NULL, &suppressed),
                         0);
        assert_int_equal(d, AUTOFILE_OPEN);
        assert_int_equal(suppressed, 1);
        /* past the dedup window the problem is new again */
        assert_int_equal(decide(&p, "unit-failure:a", t + 2 * USEC_PER_DAY, false, NULL),
                         AUTOFILE_OPEN);
        /* disabled */
        p.enabled = false;
        assert_int_equal(decide(&p, "unit-failure:z", t, false, NULL), AUTOFILE_SKIP);
}

static void fresh_dir(void)
{
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -f %s/autofile.json %s/ledger.json", dir, dir);
        assert_int_equal(system(cmd), 0);
}

static struct autofile_verdict decide_event(const struct autofile_policy *p, const char *fp,
                                            const char *unit, const char *identity, bool crash,
                                            usec_t t)
{
        struct autofile_event ev = { .fingerprint = (char *) fp,
                                     .unit = (char *) unit,
                                     .identity = (char *) identity,
                                     .crash = crash,
                                     .time = t,
                                     .summary = (char *) "what happened" };
        struct autofile_verdict v = {};

        assert_int_equal(autofile_decide_event(dir, p, &ev, t, &v), 0);
        return v;
}

static void test_events_once_and_incidents(void **state)
{
        struct autofile_policy p = { .enabled = true,
                                     .max_per_hour = 1,
                                     .max_comments_per_hour = 10,
                                     .dedup_window = USEC_PER_DAY,
                                     .incident_window = 10 * USEC_PER_MINUTE };
        usec_t t = 1795773600ULL * USEC_PER_SEC;
        struct autofile_verdict v;

        (void) state;
        fresh_dir();
        v = decide_event(&p, "crash:aaa", "app.service", "boot:1:100", true, t);
        assert_int_equal(v.decision, AUTOFILE_OPEN);
        autofile_verdict_done(&v);
        assert_int_equal(autofile_record(dir, "crash:aaa", "SUP-1", t), 0);
        /* the same crash delivered again (watch and a catch-up hook): a no-op */
        v = decide_event(&p, "crash:aaa", "app.service", "boot:1:100", true, t + 1);
        assert_int_equal(v.decision, AUTOFILE_SKIP);
        assert_true(v.duplicate);
        autofile_verdict_done(&v);
        /* the unit's failure a little later: a comment on the crash's ticket */
        v = decide_event(&p, "unit-failure:app.service", "app.service", NULL, false,
                         t + USEC_PER_MINUTE);
        assert_int_equal(v.decision, AUTOFILE_COMMENT);
        assert_string_equal(v.key, "SUP-1");
        assert_string_equal(v.fingerprint, "crash:aaa");
        autofile_verdict_done(&v);
        /* a failure of the unit long after is a problem of its own (over budget: counted) */
        v = decide_event(&p, "unit-failure:app.service", "app.service", NULL, false,
                         t + 30 * USEC_PER_MINUTE);
        assert_int_equal(v.decision, AUTOFILE_SUPPRESS);
        assert_string_equal(v.fingerprint, "unit-failure:app.service");
        autofile_verdict_done(&v);
        /* a distinct crash signature of the same unit keeps its own problem; the next
         * filing names what was counted without filing */
        p.max_per_hour = 2;
        v = decide_event(&p, "crash:bbb", "app.service", "boot:1:200", true,
                         t + 31 * USEC_PER_MINUTE);
        assert_int_equal(v.decision, AUTOFILE_OPEN);
        assert_non_null(v.suppressed_summary);
        assert_non_null(strstr(v.suppressed_summary, "unit-failure:app.service"));
        autofile_verdict_done(&v);
}

static void test_related_and_spooled(void **state)
{
        struct autofile_policy p = { .enabled = true,
                                     .max_per_hour = 5,
                                     .max_comments_per_hour = 10,
                                     .dedup_window = USEC_PER_DAY,
                                     .incident_window = 10 * USEC_PER_MINUTE };
        usec_t t = 1795773600ULL * USEC_PER_SEC;
        struct autofile_verdict v;

        (void) state;
        fresh_dir();
        v = decide_event(&p, "crash:one", "a.service", "i1", true, t);
        assert_int_equal(v.decision, AUTOFILE_OPEN);
        autofile_verdict_done(&v);
        assert_int_equal(autofile_record(dir, "crash:one", "SUP-2", t), 0);
        v = decide_event(&p, "crash:two", "a.service", "i2", true, t + USEC_PER_MINUTE);
        assert_int_equal(v.decision, AUTOFILE_OPEN);
        assert_string_equal(v.related, "SUP-2");
        autofile_verdict_done(&v);
        /* spooled: the key comes from the ledger once the spool created the ticket */
        assert_int_equal(autofile_record_spooled(dir, "crash:two", "sub-1"), 0);
        v = decide_event(&p, "crash:two", "a.service", "i3", true, t + 2 * USEC_PER_MINUTE);
        assert_int_equal(v.decision, AUTOFILE_SUPPRESS);
        autofile_verdict_done(&v);
        assert_int_equal(ledger_record(dir, "sub-1", "SUP-3", NULL), 0);
        v = decide_event(&p, "crash:two", "a.service", "i4", true, t + 3 * USEC_PER_MINUTE);
        assert_int_equal(v.decision, AUTOFILE_COMMENT);
        assert_string_equal(v.key, "SUP-3");
        autofile_verdict_done(&v);
}

struct filer {
        int calls;
        int exit_code;
        const char *key_out;
        char last_key[32];
        char *last_description;
        usec_t since, until;
};

static int fake_file(void *userdata, const struct autofile_filing *f, char **ret_key,
                     char **ret_spool_id)
{
        struct filer *x = userdata;

        x->calls++;
        snprintf(x->last_key, sizeof(x->last_key), "%s", f->key ?: "");
        free(x->last_description);
        x->last_description = strdup(f->description);
        x->since = f->since;
        x->until = f->until;
        assert_non_null(strstr(f->summary, f->problem_marker));
        *ret_key = x->key_out ? strdup(x->key_out) : NULL;
        *ret_spool_id = x->exit_code == 75 ? strdup("spool-9") : NULL;
        return x->exit_code;
}

/* The hook's whole path: decide, file, record; a spooled filing gets its key later. */
static void test_handle(void **state)
{
        struct autofile_policy p = { .enabled = true,
                                     .max_per_hour = 3,
                                     .max_comments_per_hour = 10,
                                     .dedup_window = USEC_PER_DAY,
                                     .window_before = USEC_PER_HOUR,
                                     .window_after = USEC_PER_MINUTE,
                                     .incident_window = 10 * USEC_PER_MINUTE };
        usec_t t = now(CLOCK_REALTIME) - USEC_PER_MINUTE;
        struct autofile_event ev = { .fingerprint = (char *) "crash:abc",
                                     .unit = (char *) "a.service",
                                     .identity = (char *) "b:1:1",
                                     .time = t,
                                     .crash = true,
                                     .summary = (char *) "a: SIGSEGV in f",
                                     .description = (char *) "pid 1, stack f g" };
        struct filer x = { .exit_code = 75 };
        _cleanup_free_ char *m1 = autofile_problem_marker("crash:abc");
        _cleanup_free_ char *m2 = autofile_problem_marker("crash:abd");

        (void) state;
        fresh_dir();
        assert_int_equal(strlen(m1), strlen("problem") + 16);
        assert_string_not_equal(m1, m2);
        /* the portal is down: spooled */
        assert_int_equal(autofile_handle(dir, &p, &ev, fake_file, &x), 75);
        assert_int_equal(x.calls, 1);
        assert_int_equal(x.since, t - USEC_PER_HOUR);
        assert_int_equal(x.until, t + USEC_PER_MINUTE);
        /* the same event again: nothing */
        assert_int_equal(autofile_handle(dir, &p, &ev, fake_file, &x), 0);
        assert_int_equal(x.calls, 1);
        /* the spool created it later: the next crash comments on that ticket */
        assert_int_equal(ledger_record(dir, "spool-9", "SUP-7", NULL), 0);
        ev.identity = (char *) "b:2:2";
        ev.description = (char *) "pid 2, stack f g";
        x.exit_code = 0;
        assert_int_equal(autofile_handle(dir, &p, &ev, fake_file, &x), 0);
        assert_int_equal(x.calls, 2);
        assert_string_equal(x.last_key, "SUP-7");
        assert_non_null(strstr(x.last_description, "It happened again"));
        assert_non_null(strstr(x.last_description, "pid 2"));
        /* a filing that failed (not spooled) was not handled: a later delivery files it */
        ev.fingerprint = (char *) "crash:new";
        ev.identity = (char *) "b:3:3";
        x.exit_code = 1;
        assert_int_equal(autofile_handle(dir, &p, &ev, fake_file, &x), 1);
        assert_int_equal(x.calls, 3);
        x.exit_code = 0;
        x.key_out = "SUP-8";
        assert_int_equal(autofile_handle(dir, &p, &ev, fake_file, &x), 0);
        assert_int_equal(x.calls, 4);
        assert_string_equal(x.last_key, "");
        /* and then it is handled */
        assert_int_equal(autofile_handle(dir, &p, &ev, fake_file, &x), 0);
        assert_int_equal(x.calls, 4);
        free(x.last_description);
}

/* Fifty deciders at once never reserve more tickets than the budget. */
static void test_concurrent_budget(void **state)
{
        struct autofile_policy p = { .enabled = true,
                                     .max_per_hour = 3,
                                     .max_comments_per_hour = 3,
                                     .dedup_window = USEC_PER_DAY };
        usec_t t = 1795773600ULL * USEC_PER_SEC;
        int opened = 0;

        (void) state;
        fresh_dir();
        for (int i = 0; i < 50; i++) {
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0) {
                        char fp[32];
                        enum autofile_decision d;

                        snprintf(fp, sizeof(fp), "crash:%d", i);
                        if (autofile_decide(dir, &p, fp, t, false, &d, NULL, NULL) < 0)
                                _exit(2);
                        _exit(d == AUTOFILE_OPEN);
                }
        }
        for (int i = 0; i < 50; i++) {
                int status;

                assert_true(wait(&status) > 0);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
                opened += WEXITSTATUS(status);
        }
        assert_int_equal(opened, 3);
}

static void test_damaged_state(void **state)
{
        struct autofile_policy p = { .enabled = true,
                                     .max_per_hour = 3,
                                     .dedup_window = USEC_PER_DAY };
        char path[256];
        FILE *f;

        (void) state;
        snprintf(path, sizeof(path), "%s/autofile.json", dir);
        f = fopen(path, "we");
        fputs("{not json", f);
        fclose(f);
        assert_int_equal(decide(&p, "unit-failure:q", 1, false, NULL), AUTOFILE_OPEN);
}

static void test_events(void **state)
{
        struct autofile_event e = {};
        char *err = NULL;
        const char *am =
                "{\"status\":\"firing\",\"groupKey\":\"{}:{alertname=\\\"X\\\"}\","
                "\"commonLabels\":{\"alertname\":\"X\"},\"commonAnnotations\":"
                "{\"summary\":\"disk full\"},\"alerts\":[{\"status\":\"firing\","
                "\"labels\":{\"instance\":\"h:9100\"},\"startsAt\":\"2026-03-01T00:00:00Z\"}]}";

        (void) state;
        assert_int_equal(autofile_event_from_alertmanager(am, strlen(am), &e, &err), 0);
        assert_string_equal(e.fingerprint, "alert:{}:{alertname=\"X\"}");
        assert_string_equal(e.summary, "X: disk full");
        assert_non_null(strstr(e.description, "instance=h:9100"));
        assert_false(e.resolved);
        assert_false(e.critical);
        assert_null(e.unit);
        autofile_event_done(&e);
        {
                const char *crit = "{\"status\":\"firing\",\"groupKey\":\"g\",\"commonLabels\":"
                                   "{\"alertname\":\"AppDown\",\"severity\":\"critical\","
                                   "\"unit\":\"app.service\"},\"alerts\":[{\"status\":\"firing\","
                                   "\"labels\":{\"severity\":\"critical\"},\"annotations\":"
                                   "{\"description\":\"app is down\",\"runbook_url\":"
                                   "\"https://runbooks.example/app\"},\"generatorURL\":"
                                   "\"http://prom.example/graph\",\"startsAt\":"
                                   "\"2026-03-01T00:00:00Z\"}]}";

                assert_int_equal(autofile_event_from_alertmanager(crit, strlen(crit), &e, &err), 0);
                assert_true(e.critical);
                assert_string_equal(e.unit, "app.service");
                assert_non_null(strstr(e.description, "runbook_url: https://runbooks.example/app"));
                assert_non_null(strstr(e.description, "generatorURL: http://prom.example/graph"));
                assert_non_null(strstr(e.description, "description: app is down"));
                assert_non_null(strstr(e.description, "severity: critical"));
                assert_true(e.time > 0);
                autofile_event_done(&e);
        }
        assert_int_equal(autofile_event_from_alertmanager("[1]", 3, &e, &err), -EBADMSG);
        free(err);
        err = NULL;
        assert_int_equal(autofile_event_from_alertmanager("{\"status\":\"firing\"}", 19, &e, &err),
                         -EBADMSG);
        assert_non_null(strstr(err, "groupKey"));
        free(err);

        setenv("MONITOR_SERVICE_RESULT", "core-dump", 1);
        assert_int_equal(autofile_event_from_unit("app.service", "/nonexistent", 0, 0, &e), 0);
        assert_string_equal(e.fingerprint, "unit-failure:app.service");
        assert_string_equal(e.summary, "app.service failed (core-dump)");
        autofile_event_done(&e);
        unsetenv("MONITOR_SERVICE_RESULT");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sequence),
                cmocka_unit_test(test_events_once_and_incidents),
                cmocka_unit_test(test_related_and_spooled),
                cmocka_unit_test(test_concurrent_budget),
                cmocka_unit_test(test_handle),
                cmocka_unit_test(test_damaged_state),
                cmocka_unit_test(test_events),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
