/* SPDX-License-Identifier: MIT */
/*
 * Tests of error extraction: grouping by normalised signature, multi-line
 * traces, priorities, journal de-duplication, the group cap and the policy
 * section (with located errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "analysis/errors.h"
#include "policy/pnode.h"

static struct errors *new_default(void)
{
        struct errors *e = NULL;
        assert_int_equal(errors_new(NULL, &e, NULL), 0);
        return e;
}

static void feed(struct errors *e, const char *source, const struct sink_line_meta *meta,
                 const char *line)
{
        assert_int_equal(errors_feed_line(e, source, meta, line, strlen(line)), 0);
}

static json_t *top(struct errors *e)
{
        json_t *a = errors_top(e, 100);
        assert_non_null(a);
        return a;
}

static void test_repeats_one_group(void **state)
{
        _cleanup_(errors_freep) struct errors *e = new_default();
        char line[256];
        json_t *a, *g;

        (void) state;
        for (int i = 0; i < 10000; i++) {
                (void) snprintf(
                        line, sizeof(line),
                        "Nov 27 %02d:%02d:%02d host app[%d]: ERROR request %d failed after %d.%03d s "
                        "(id 3f2a9c1e-%04x-4b1d-8e2f-0123456789ab, addr 0x7f%06x, tmp /tmp/upload-%d.part)",
                        i / 3600 % 24, i / 60 % 60, i % 60, 1000 + i % 7, i, i % 30, i % 1000,
                        i % 65536, i, i);
                feed(e, "/var/log/syslog", NULL, line);
        }
        feed(e, "/var/log/syslog", NULL, "Nov 27 10:00:00 host app[1]: INFO all good");
        a = top(e);
        assert_int_equal(json_array_size(a), 1);
        g = json_array_get(a, 0);
        assert_int_equal(json_integer_value(json_object_get(g, "count")), 10000);
        assert_string_equal(
                json_string_value(json_object_get(g, "signature")),
                "ERROR request <n> failed after <n> s (id <uuid>, addr <hex>, tmp <tmp>)");
        /* One real sample, the first one. */
        assert_non_null(strstr(json_string_value(json_object_get(g, "sample")),
                               "ERROR request 0 failed after 0.000 s"));
        assert_string_equal(json_string_value(json_array_get(json_object_get(g, "sources"), 0)),
                            "/var/log/syslog");
        assert_true(json_is_string(json_object_get(g, "first_seen")));
        json_decref(a);
}

static void test_distinct_messages(void **state)
{
        _cleanup_(errors_freep) struct errors *e = new_default();
        json_t *a;

        (void) state;
        feed(e, "/var/log/app.log", NULL, "2026-11-27T10:00:00Z ERROR disk full on /srv");
        feed(e, "/var/log/app.log", NULL, "2026-11-27T10:00:01Z ERROR disk full on /srv");
        feed(e, "/var/log/app.log", NULL, "2026-11-27T10:00:02Z ERROR permission denied on /srv");
        feed(e, "/var/log/app.log", NULL,
             "2026-11-27T10:00:03Z FATAL: password authentication failed");
        feed(e, "/var/log/app.log", NULL,
             "2026-11-27T10:00:04Z an error=0 summary is not an error");
        a = top(e);
        assert_int_equal(json_array_size(a), 3);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "count")), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "first_seen")),
                            "2026-11-27T10:00:00Z");
        assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "last_seen")),
                            "2026-11-27T10:00:01Z");
        json_decref(a);
}

static void test_python_trace(void **state)
{
        _cleanup_(errors_freep) struct errors *e = new_default();
        const char *sample;
        json_t *a;

        (void) state;
        feed(e, "/var/log/app.log", NULL,
             "2026-11-27 09:00:00,123 ERROR Unhandled exception in worker 7");
        feed(e, "/var/log/app.log", NULL, "Traceback (most recent call last):");
        feed(e, "/var/log/app.log", NULL, "  File \"/srv/app/worker.py\", line 10, in run");
        feed(e, "/var/log/app.log", NULL, "    result = compute(x)");
        feed(e, "/var/log/app.log", NULL,
             "ValueError: invalid literal for int() with base 10: 'abc'");
        feed(e, "/var/log/app.log", NULL, "2026-11-27 09:00:01,000 INFO worker 7 restarted");
        feed(e, "/var/log/app.log", NULL, "plain text after the trace");
        a = top(e);
        assert_int_equal(json_array_size(a), 1);
        sample = json_string_value(json_object_get(json_array_get(a, 0), "sample"));
        assert_string_equal(sample,
                            "2026-11-27 09:00:00,123 ERROR Unhandled exception in worker 7\n"
                            "Traceback (most recent call last):\n"
                            "  File \"/srv/app/worker.py\", line 10, in run\n"
                            "    result = compute(x)\n"
                            "ValueError: invalid literal for int() with base 10: 'abc'");
        json_decref(a);

        /* A Java trace, and a trace through the journal's own line format. */
        feed(e, "/var/log/tomcat.log", NULL, "2026-11-27 10:00:00 SEVERE servlet failed");
        feed(e, "/var/log/tomcat.log", NULL, "java.lang.NullPointerException: x is null");
        feed(e, "/var/log/tomcat.log", NULL, "\tat com.example.App.run(App.java:42)");
        feed(e, "/var/log/tomcat.log", NULL, "Caused by: java.io.IOException: closed");
        errors_end_source(e, "/var/log/tomcat.log");
        a = top(e);
        assert_int_equal(json_array_size(a), 3); /* the NPE line is its own error too */
        json_decref(a);
}

static void test_journal_priority_and_dedup(void **state)
{
        _cleanup_(errors_freep) struct errors *e = new_default();
        struct sink_line_meta err = { .timestamp = 1795766400000000ULL,
                                      .priority = 3,
                                      .unit = "app.service" };
        struct sink_line_meta info = { .timestamp = 1795766400000001ULL,
                                       .priority = 6,
                                       .unit = "app.service" };
        const char *l1 =
                "2026-11-27T08:00:00.000000+00:00 err host app[4000]: payment gateway timeout after 30000 ms";
        const char *l2 =
                "2026-11-27T08:00:00.000001+00:00 info host app[4000]: request handled id=3";
        json_t *a, *g;

        (void) state;
        feed(e, "journal", &err, l1);
        feed(e, "journal", &info, l2);
        /* The same entry again through the unit's file: not counted twice. */
        feed(e, "journal:app.service", &err, l1);
        feed(e, "journal:app.service", &info, l2);
        err.timestamp += 60 * 1000000ULL;
        feed(e, "journal:app.service", &err,
             "2026-11-27T08:01:00.000000+00:00 err host app[4000]: payment gateway timeout after 30001 ms");
        a = top(e);
        assert_int_equal(json_array_size(a), 1);
        g = json_array_get(a, 0);
        assert_int_equal(json_integer_value(json_object_get(g, "count")), 2);
        assert_string_equal(json_string_value(json_object_get(g, "signature")),
                            "payment gateway timeout after <n> ms");
        assert_string_equal(json_string_value(json_array_get(json_object_get(g, "units"), 0)),
                            "app.service");
        assert_string_equal(json_string_value(json_object_get(g, "first_seen")),
                            "2026-11-27T08:00:00Z");
        json_decref(a);
}

static void test_cap(void **state)
{
        _cleanup_(pnode_freep) struct pnode *n = NULL;
        _cleanup_(errors_freep) struct errors *e = NULL;
        const char *yaml =
                "errors:\n  max_groups: 3\n  patterns: ['\\bboom\\b']\n  ignore: [harmless]\n";
        char line[64];
        json_t *a;

        (void) state;
        assert_int_equal(pnode_parse_string("t.yaml", yaml, strlen(yaml), &n, NULL), 0);
        assert_int_equal(errors_new(pnode_get(n, "errors"), &e, NULL), 0);
        for (int i = 0; i < 10; i++) {
                (void) snprintf(line, sizeof(line), "boom kind-%c", 'a' + i);
                feed(e, "/x.log", NULL, line);
        }
        feed(e, "/x.log", NULL, "boom harmless");
        feed(e, "/x.log", NULL, "ERROR not a pattern any more");
        a = top(e);
        assert_int_equal(json_array_size(a), 3);
        json_decref(a);
}

/* The built-in patterns, written out: with them set explicitly there is no literal scan. */
static const char explicit_defaults[] =
        "errors:\n  patterns:\n"
        "    - '\\b(?:ERROR|FATAL|CRITICAL|CRIT|EMERG|ALERT|SEVERE|PANIC)\\b'\n"
        "    - '\\[[\\w:]*(?:error|crit|alert|emerg)\\]'\n"
        "    - '\\b(?:level|severity|lvl)\\W{0,3}(?:error|fatal|critical|crit|ERROR|FATAL|CRITICAL)\\b'\n"
        "    - '\\bpanic(?::|\\()'\n"
        "    - 'Kernel panic|kernel BUG|\\bOops\\b|BUG: '\n"
        "    - 'Traceback \\(most recent call last\\)'\n"
        "    - 'Exception\\b'\n"
        "    - '\\bsegfault\\b'\n"
        "    - '\\bOOM\\b|oom-kill|Out of memory|Killed process|invoked oom-killer'\n"
        "    - '\\b(?:Failed|failed) with result\\b'\n"
        "    - 'code=dumped|dumped core'\n"
        "  max_groups: 100000\n";

static const char *const corpus_tokens[] = {
        "ERROR",
        "error",
        "Error",
        "eRr",
        "[error]",
        "[core:crit]",
        "level=error",
        "lvl: FATAL",
        "severity=critical",
        "panic:",
        "panic(",
        "Kernel panic",
        "kernel BUG",
        "BUG: ",
        "Oops",
        "oops",
        "Traceback (most recent call last)",
        "Exception",
        "RuntimeException:",
        "segfault",
        "SEGFAULT",
        "OOM",
        "oom-kill",
        "invoked oom-killer",
        "Out of memory",
        "OUT OF MEMORY",
        "Killed process",
        "Failed with result",
        "failed with result",
        "code=dumped",
        "dumped core",
        "CRIT",
        "EMERG",
        "ALERT",
        "SEVERE",
        "PANIC",
        "FATAL",
        "CRITICAL",
        "request",
        "server",
        "user",
        "id=42",
        "the",
        "ok",
        "x",
        "-",
        "er",
        "rr",
        "erro",
        "fata",
        "Kill",
        "proc",
        "dump",
        "Oo",
        "oo",
        "m",
        "segf",
        "with",
        "result",
        "alrt",
        "a",
        "0x7f12",
        "/tmp/upload-7.part",
        "status=200",
        "duration_ms=12",
        /* words inside other words: each must run its own patterns, and only those */
        "debug",
        "level=debug",
        "Debugger",
        "zoom",
        "uncritical",
        "preferred",
};

static uint32_t corpus_next(uint32_t *x)
{
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        return *x;
}

/* A generated line: tokens, sometimes glued together, at odd and even offsets. */
static size_t corpus_line(uint32_t *x, char *line, size_t size)
{
        size_t len = corpus_next(x) % 3; /* shifts the parity of what follows */
        unsigned n = 1 + corpus_next(x) % 8;

        memset(line, 'q', len);
        for (unsigned i = 0; i < n; i++) {
                const char *t = corpus_tokens[corpus_next(x) % ELEMENTSOF(corpus_tokens)];
                size_t tl = strlen(t);

                if (len + tl + 2 >= size)
                        break;
                memcpy(line + len, t, tl);
                len += tl;
                if (corpus_next(x) % 4)
                        line[len++] = corpus_next(x) % 5 ? ' ' : '_';
        }
        return len;
}

/* Differential: the literal scan before the built-in patterns, and running only
 * the patterns whose words it found, change no result. */
static void test_literal_scan_same_results(void **state)
{
        _cleanup_(pnode_freep) struct pnode *n = NULL;
        _cleanup_(errors_freep) struct errors *fast = NULL, *slow = NULL;
        _cleanup_(pnode_freep) struct pnode *m = NULL;
        const char *more = "errors:\n  max_groups: 100000\n";
        uint32_t x = 2463534242u;
        json_t *a, *b;

        (void) state;
        assert_int_equal(pnode_parse_string("d.yaml", explicit_defaults, strlen(explicit_defaults),
                                            &n, NULL),
                         0);
        assert_int_equal(errors_new(pnode_get(n, "errors"), &slow, NULL), 0);
        assert_int_equal(pnode_parse_string("m.yaml", more, strlen(more), &m, NULL), 0);
        assert_int_equal(errors_new(pnode_get(m, "errors"), &fast, NULL), 0);
        for (int i = 0; i < 5000; i++) {
                char line[256];
                size_t len = corpus_line(&x, line, sizeof(line));

                assert_int_equal(errors_feed_line(fast, "/g.log", NULL, line, len), 0);
                assert_int_equal(errors_feed_line(slow, "/g.log", NULL, line, len), 0);
        }
        a = errors_top(fast, 100000);
        b = errors_top(slow, 100000);
        assert_true(json_array_size(a) > 200);
        assert_int_equal(json_array_size(a), json_array_size(b));
        assert_true(json_equal(a, b));
        json_decref(a);
        json_decref(b);
}

static void test_bad_policy(void **state)
{
        _cleanup_(pnode_freep) struct pnode *n = NULL, *m = NULL;
        _cleanup_free_ char *error = NULL, *error2 = NULL;
        struct errors *e = NULL;
        const char *yaml = "errors:\n  patterns:\n    - ok\n    - 'bad(['\n";
        const char *yaml2 = "errors:\n  max_grups: 3\n";

        (void) state;
        assert_int_equal(pnode_parse_string("bad.yaml", yaml, strlen(yaml), &n, NULL), 0);
        assert_int_equal(errors_new(pnode_get(n, "errors"), &e, &error), -EINVAL);
        assert_null(e);
        assert_non_null(error);
        assert_non_null(strstr(error, "bad.yaml:4:"));
        assert_int_equal(pnode_parse_string("bad2.yaml", yaml2, strlen(yaml2), &m, NULL), 0);
        assert_int_equal(errors_check_policy(pnode_get(m, "errors"), &error2), -EINVAL);
        assert_non_null(strstr(error2, "max_grups"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_repeats_one_group),
                cmocka_unit_test(test_distinct_messages),
                cmocka_unit_test(test_python_trace),
                cmocka_unit_test(test_journal_priority_and_dedup),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_bad_policy),
                cmocka_unit_test(test_literal_scan_same_results),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
