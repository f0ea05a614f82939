/* SPDX-License-Identifier: MIT */
/*
 * Tests of the journal collector against real journal files, built from
 * Journal Export Format by systemd-journal-remote (tests/integration/
 * journal_fixtures.py): window edges, per-unit files, findings, the
 * newest-first cut and the two-pass read when the memory buffer is small.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "journal-open.h"
#include "sink-mock.h"
#include "tree-util.h"

extern const struct collector collector_journal;

/* 2026-11-27T00:00:00Z and 2026-11-28T00:00:00Z */
#define DAY2 ((usec_t) 1795737600 * USEC_PER_SEC)
#define DAY3 (DAY2 + USEC_PER_DAY)

static char tmpdir[] = "/tmp/test-journal-XXXXXX";
static char fixture[256], bulk[256], many[256];

static int run_fixture_script(const char *outdir, const char *extra, const char *n)
{
        const char *srcdir = getenv("COLLECT_SRCDIR") ?: COLLECT_SRCDIR;
        _cleanup_free_ char *script = xasprintf("%s/tests/integration/journal_fixtures.py", srcdir);
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd >= 0)
                        dup2(fd, STDOUT_FILENO);
                if (extra)
                        execl("/usr/bin/python3", "python3", script, extra, n, outdir,
                              (char *) NULL);
                else
                        execl("/usr/bin/python3", "python3", script, outdir, (char *) NULL);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int setup(void **state)
{
        (void) state;
        if (!mkdtemp(tmpdir))
                return -1;
        (void) snprintf(fixture, sizeof(fixture), "%s/fixture", tmpdir);
        (void) snprintf(bulk, sizeof(bulk), "%s/bulk", tmpdir);
        (void) snprintf(many, sizeof(many), "%s/many", tmpdir);
        if (run_fixture_script(fixture, NULL, NULL) < 0)
                return -1;
        if (run_fixture_script(many, "--units", "40") < 0)
                return -1;
        return run_fixture_script(bulk, "--bulk", "20000");
}

static int teardown(void **state)
{
        (void) state;
        return tree_remove(tmpdir);
}

static struct sink *run(const char *dir, usec_t since, usec_t until, uint64_t per_file,
                        const char *const *overrides, int expect)
{
        struct collect_ctx *ctx = mock_ctx_new("journal", "/", since, until);
        struct sink *s = mock_sink_new();

        assert_non_null(ctx);
        assert_non_null(s);
        mock_ctx_set_journal_dir(ctx, dir);
        mock_ctx_set_live(ctx, false);
        if (per_file)
                mock_ctx_set_budget(ctx, 64ULL << 20, per_file);
        assert_int_equal(mock_run_collector(&collector_journal, ctx, s, overrides), expect);
        mock_ctx_free(ctx);
        return s;
}

static size_t count_lines(const char *data, const char *needle)
{
        size_t n = 0;
        for (const char *p = data; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* Every line's timestamp (first 32 characters) is >= the previous one. */
static void assert_chronological(const char *data)
{
        char prev[40] = "";

        for (const char *p = data; *p;) {
                const char *nl = strchr(p, '\n');
                if (p[0] != ' ') {
                        char ts[40];
                        assert_true(strlen(p) >= 32);
                        memcpy(ts, p, 32);
                        ts[32] = 0;
                        assert_true(strcmp(prev, ts) <= 0);
                        memcpy(prev, ts, 33);
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
}

static void test_window_and_members(void **state)
{
        struct sink *s = run(fixture, DAY2, DAY3, 0, NULL, 0);
        const struct mock_artifact *w, *app, *k, *worker, *nginx, *cron;

        (void) state;
        w = mock_sink_find(s, "logs/journal/warnings.log");
        assert_non_null(w);
        /* Window edges are inclusive. */
        assert_non_null(strstr(w->data, "edge-start marker"));
        assert_non_null(strstr(w->data, "edge-end marker"));
        assert_null(strstr(w->data, "edge-before marker"));
        assert_null(strstr(w->data, "edge-after marker"));
        assert_null(strstr(w->data, "day one only"));
        assert_null(strstr(w->data, "Connection refused"));
        /* Only warning or worse. */
        assert_null(strstr(w->data, "request handled"));
        assert_int_equal(count_lines(w->data, "slow query took"), 20);
        assert_int_equal(count_lines(w->data, "ERROR payment gateway"), 5);
        assert_non_null(strstr(w->data,
                               "2026-11-27T08:00:00.000000+00:00 err fixturehost app[4000]: "
                               "ERROR payment gateway timeout after 30000 ms (order 1234)\n"));
        assert_chronological(w->data);
        assert_true(w->flags & SINK_SCAN_ERRORS);
        assert_true(w->flags & SINK_KEEP_TAIL);

        /* The failed unit gets all its entries, systemd's and the core dumps included. */
        app = mock_sink_find(s, "logs/journal/units/app.service.log");
        assert_non_null(app);
        assert_int_equal(count_lines(app->data, "request handled"), 288);
        assert_int_equal(count_lines(app->data, "Scheduled restart job"), 3);
        assert_int_equal(count_lines(app->data, "dumped core."), 3);
        assert_int_equal(count_lines(app->data, "\n    Stack trace of thread"), 3);
        assert_chronological(app->data);

        worker = mock_sink_find(s, "logs/journal/units/worker.service.log");
        assert_non_null(worker);
        assert_non_null(strstr(worker->data, "Failed with result 'oom-kill'"));
        nginx = mock_sink_find(s, "logs/journal/units/nginx.service.log");
        assert_non_null(nginx);
        assert_non_null(strstr(nginx->data, "missing.html"));
        assert_null(strstr(nginx->data, "Connection refused")); /* day one */
        cron = mock_sink_find(s, "logs/journal/units/cron.service.log");
        assert_null(cron); /* no errors: no file */
        assert_null(mock_sink_find(s, "logs/journal/units/db.service.log")); /* warnings only */

        k = mock_sink_find(s, "logs/journal/kernel.log");
        assert_non_null(k);
        assert_int_equal(count_lines(k->data, "segfault at"), 3);
        assert_non_null(strstr(k->data, "Out of memory: Killed process 3131 (java)"));
        assert_null(strstr(k->data, "day one only"));
        assert_chronological(k->data);

        assert_false(mock_sink_partial(s));
        mock_sink_free(s);
}

static void test_findings(void **state)
{
        struct sink *s = run(fixture, DAY2, DAY3, 0, NULL, 0);
        const struct finding *f;

        (void) state;
        f = mock_sink_find_finding(s, FINDING_UNIT_FAILED, "app.service");
        assert_non_null(f);
        assert_int_equal(f->count, 3);
        assert_string_equal(f->detail, "core-dump");
        assert_true(f->first >= DAY2 + 10 * USEC_PER_HOUR);
        assert_true(f->last > f->first);
        f = mock_sink_find_finding(s, FINDING_UNIT_FAILED, "worker.service");
        assert_non_null(f);
        assert_string_equal(f->detail, "oom-kill");
        assert_int_equal(f->count, 1);
        assert_null(mock_sink_find_finding(s, FINDING_UNIT_FAILED, "cron.service"));

        f = mock_sink_find_finding(s, FINDING_UNIT_RESTARTS, "app.service");
        assert_non_null(f);
        assert_int_equal(f->count, 3);

        /* crashes are the crash collector's findings (one per problem) */
        assert_null(mock_sink_find_finding(s, FINDING_CRASH, "/usr/bin/app"));

        f = mock_sink_find_finding(s, FINDING_SEGFAULT, "app");
        assert_non_null(f);
        assert_int_equal(f->count, 3);

        f = mock_sink_find_finding(s, FINDING_OOM_KILL, "java");
        assert_non_null(f);
        assert_int_equal(f->count, 1);
        assert_int_equal(f->first, DAY2 + 14 * USEC_PER_HOUR + 2000);

        f = mock_sink_find_finding(s, FINDING_KERNEL_ERROR, "I/O error");
        assert_non_null(f);
        assert_int_equal(f->count, 2);
        /* Day one's kernel error is outside the window. */
        assert_null(mock_sink_find_finding(s, FINDING_KERNEL_ERROR, "filesystem error"));
        mock_sink_free(s);
}

static void test_budget_keeps_newest(void **state)
{
        struct sink *s = run(fixture, DAY2, DAY3, 4096, NULL, 0);
        const struct mock_artifact *app;

        (void) state;
        app = mock_sink_find(s, "logs/journal/units/app.service.log");
        assert_non_null(app);
        assert_true(app->len <= 4096);
        assert_true(app->len > 3000);
        /* The newest entry (23:55) is kept, the oldest (00:00) is not. */
        assert_non_null(strstr(app->data, "2026-11-27T23:55:03.000000+00:00"));
        assert_null(strstr(app->data, "2026-11-27T00:00:03.000000+00:00"));
        assert_chronological(app->data);
        assert_true(mock_sink_partial(s));
        assert_non_null(strstr(mock_sink_notes(s), "cut by the budget"));
        mock_sink_free(s);
}

/* A buffer smaller than the member: the older part is re-read forward. The
 * result must equal the single-pass read. */
static void test_small_buffer_same_output(void **state)
{
        const char *small[] = { "buffer_size=64K", NULL };
        struct sink *a = run(bulk, DAY2, DAY3, 0, NULL, 0);
        struct sink *b = run(bulk, DAY2, DAY3, 0, small, 0);
        struct sink *c = run(bulk, DAY2, DAY3, 100000, small, 0);
        const struct mock_artifact *x, *y, *z;

        (void) state;
        x = mock_sink_find(a, "logs/journal/units/svc3.service.log");
        y = mock_sink_find(b, "logs/journal/units/svc3.service.log");
        assert_non_null(x);
        assert_non_null(y);
        assert_true(x->len > 2 * 65536);
        assert_int_equal(x->len, y->len);
        assert_memory_equal(x->data, y->data, x->len);
        assert_chronological(y->data);
        /* Only the second day. */
        assert_null(strstr(x->data, "2026-11-26T"));
        assert_non_null(strstr(x->data, "2026-11-27T23:"));

        /* Cut at 100000 bytes with a 64K buffer: the newest 100000 bytes, exactly
         * the tail of the uncut member, whole lines. */
        z = mock_sink_find(c, "logs/journal/units/svc3.service.log");
        assert_non_null(z);
        assert_true(z->len <= 100000);
        assert_true(z->len > 90000); /* measured by estimate, with a margin */
        assert_memory_equal(z->data, x->data + x->len - z->len, z->len);
        assert_true(z->data[0] == '2');
        mock_sink_free(a);
        mock_sink_free(b);
        mock_sink_free(c);
}

/* 40 units, two of which deserve a file on day two: the units pass asks the
 * journal for their entries only; each file still holds every entry of its
 * unit in the window, in order, and nothing else. */
static void test_many_units_few_selected(void **state)
{
        struct sink *s = run(many, DAY2, DAY3, 0, NULL, 0);
        const struct mock_artifact *u07, *u13, *w;
        const struct finding *f;

        (void) state;
        u07 = mock_sink_find(s, "logs/journal/units/u07.service.log");
        u13 = mock_sink_find(s, "logs/journal/units/u13.service.log");
        assert_non_null(u07);
        assert_non_null(u13);
        /* a line every 5 minutes of the day, 24 of them errors */
        assert_int_equal(count_lines(u07->data, "\n"), 288);
        assert_int_equal(count_lines(u07->data, " u07[2007]: "), 288);
        assert_int_equal(count_lines(u07->data, "ERROR u07 lost its database connection"), 24);
        assert_non_null(strstr(u07->data,
                               "2026-11-27T00:00:07.000007+00:00 err fixturehost "
                               "u07[2007]: ERROR u07 lost its database connection (0)\n"));
        assert_non_null(strstr(u07->data, "2026-11-27T23:55:07.000007+00:00 info fixturehost "
                                          "u07[2007]: u07.service tick 1435\n"));
        assert_null(strstr(u07->data, "2026-11-26T"));
        assert_chronological(u07->data);
        /* its own lines and systemd's about it (UNIT=) */
        assert_int_equal(count_lines(u13->data, "\n"), 289);
        assert_int_equal(count_lines(u13->data, " u13[2013]: u13.service tick "), 288);
        assert_non_null(strstr(u13->data, "2026-11-27T12:00:30.000000+00:00 warning fixturehost "
                                          "systemd[1]: u13.service: Failed with result "
                                          "'exit-code'.\n"));
        assert_chronological(u13->data);
        assert_int_equal(mock_sink_n_artifacts(s), 2 + 2); /* warnings, kernel, two units */
        f = mock_sink_find_finding(s, FINDING_UNIT_FAILED, "u13.service");
        assert_non_null(f);
        assert_string_equal(f->detail, "exit-code");

        w = mock_sink_find(s, "logs/journal/warnings.log");
        assert_non_null(w);
        assert_int_equal(count_lines(w->data, "\n"), 25);
        assert_false(mock_sink_partial(s));
        mock_sink_free(s);
}

/* The units pass reads the first 256 entries of the window, then asks the journal
 * for the rest of the units' entries from the last one read (its cursor). Here the
 * window starts at 00:00:32, so the 256th entry is u07's at 00:30:07: read once, not
 * again by the matches. */
static void test_units_switch_to_matches(void **state)
{
        struct sink *s = run(many, DAY2 + 32 * USEC_PER_SEC, DAY3, 0, NULL, 0);
        const struct mock_artifact *u07, *u13;

        (void) state;
        u07 = mock_sink_find(s, "logs/journal/units/u07.service.log");
        u13 = mock_sink_find(s, "logs/journal/units/u13.service.log");
        assert_non_null(u07);
        assert_non_null(u13);
        /* every 5 minutes but 00:00:07, each line once */
        assert_int_equal(count_lines(u07->data, "\n"), 287);
        assert_int_equal(count_lines(u07->data, "u07[2007]: u07.service tick 30\n"), 1);
        assert_int_equal(count_lines(u07->data, "u07[2007]: u07.service tick 25\n"), 1);
        assert_int_equal(count_lines(u07->data, "u07[2007]: u07.service tick 35\n"), 1);
        assert_null(strstr(u07->data, "2026-11-27T00:00:07"));
        assert_non_null(strstr(u07->data, "2026-11-27T00:30:07.000007+00:00 info fixturehost "
                                          "u07[2007]: u07.service tick 30\n"));
        assert_chronological(u07->data);
        assert_int_equal(count_lines(u13->data, "\n"), 288);
        assert_chronological(u13->data);
        assert_false(mock_sink_partial(s));
        mock_sink_free(s);
}

/* More units deserve a file than max_units allows: the first found keep theirs. */
static void test_max_units(void **state)
{
        const char *one[] = { "max_units=1", NULL };
        struct sink *s = run(many, DAY2, DAY3, 0, one, 0);

        (void) state;
        assert_non_null(mock_sink_find(s, "logs/journal/units/u07.service.log"));
        assert_null(mock_sink_find(s, "logs/journal/units/u13.service.log"));
        assert_non_null(strstr(mock_sink_notes(s), "1 more units had errors; only 1 got"));
        mock_sink_free(s);
}

/* Over budget, warnings.log (written forward) keeps its newest whole lines. */
static void test_warnings_cut_keeps_newest(void **state)
{
        struct sink *a = run(bulk, DAY2, DAY3, 0, NULL, 0);
        struct sink *b = run(bulk, DAY2, DAY3, 10000, NULL, 0);
        const struct mock_artifact *x, *y;

        (void) state;
        x = mock_sink_find(a, "logs/journal/warnings.log");
        y = mock_sink_find(b, "logs/journal/warnings.log");
        assert_non_null(x);
        assert_non_null(y);
        assert_true(x->len > 20000);
        assert_true(y->len <= 10000);
        assert_true(y->len > 9800);
        assert_memory_equal(y->data, x->data + x->len - y->len, y->len);
        assert_true(y->data[0] == '2');
        assert_true(mock_sink_partial(b));
        assert_non_null(
                strstr(mock_sink_notes(b), "warnings.log: journal window cut by the budget"));
        mock_sink_free(a);
        mock_sink_free(b);
}

static void test_missing_dir(void **state)
{
        struct sink *s = run("/nonexistent-journal-dir", DAY2, DAY3, 0, NULL, -ECANCELED);

        (void) state;
        assert_non_null(strstr(mock_sink_notes(s), "does not exist"));
        assert_int_equal(mock_sink_n_artifacts(s), 0);
        mock_sink_free(s);
}

/* The files the journal collector would open, as sd-journal lists them: the
 * live probe skips the collector, with a note, when the system has none. */
static void test_count_files(void **state)
{
        _cleanup_free_ char *empty = xasprintf("%s/empty", tmpdir);
        _cleanup_free_ char *machine = xasprintf("%s/0123456789abcdef0123456789abcdef", empty);
        _cleanup_free_ char *other = xasprintf("%s/other", empty);
        _cleanup_free_ char *in_machine = xasprintf("%s/system.journal", machine);
        _cleanup_free_ char *in_other = xasprintf("%s/system.journal", other);

        (void) state;
        assert_int_equal(journal_count_files(fixture), 1);
        assert_int_equal(mkdir(empty, 0755), 0);
        assert_int_equal(journal_count_files(empty), 0);
        /* a machine-ID subdirectory's files count, another directory's not
         * (they are listed, not opened) */
        assert_int_equal(mkdir(machine, 0755), 0);
        assert_int_equal(mkdir(other, 0755), 0);
        assert_int_equal(close(open(in_other, O_CREAT | O_WRONLY | O_CLOEXEC, 0640)), 0);
        assert_int_equal(journal_count_files(empty), 0);
        assert_int_equal(close(open(in_machine, O_CREAT | O_WRONLY | O_CLOEXEC, 0640)), 0);
        assert_int_equal(journal_count_files(empty), 1);
}

static void test_empty_window(void **state)
{
        struct sink *s = run(fixture, DAY3 + USEC_PER_DAY, DAY3 + 2 * USEC_PER_DAY, 0, NULL, 0);
        const struct mock_artifact *w;

        (void) state;
        w = mock_sink_find(s, "logs/journal/warnings.log");
        assert_non_null(w);
        assert_int_equal(w->len, 0);
        assert_int_equal(mock_sink_n_findings(s), 0);
        mock_sink_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window_and_members),
                cmocka_unit_test(test_findings),
                cmocka_unit_test(test_budget_keeps_newest),
                cmocka_unit_test(test_small_buffer_same_output),
                cmocka_unit_test(test_many_units_few_selected),
                cmocka_unit_test(test_units_switch_to_matches),
                cmocka_unit_test(test_max_units),
                cmocka_unit_test(test_warnings_cut_keeps_newest),
                cmocka_unit_test(test_missing_dir),
                cmocka_unit_test(test_count_files),
                cmocka_unit_test(test_empty_window),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
