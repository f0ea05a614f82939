/* SPDX-License-Identifier: MIT */
/*
 * The timeline: findings and error groups merged in time order, duplicates
 * merged, events outside the window dropped, the most significant picked in
 * time order, log prefixes stripped; the SVG is well-formed text with its
 * parts and escaped strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analysis/timeline-svg.h"
#include "analysis/timeline.h"
#include "parse-util.h"

static usec_t T(const char *s)
{
        usec_t t = 0;

        assert_int_equal(parse_iso8601(s, &t, NULL), 0);
        return t;
}

static json_t *findings(void)
{
        return json_pack("[{s:s, s:s, s:I, s:s, s:s, s:s},"
                         " {s:s, s:s, s:I, s:s, s:s},"
                         " {s:s, s:s, s:I, s:s, s:s, s:s},"
                         " {s:s, s:s, s:I, s:s, s:s},"
                         " {s:s, s:s, s:I, s:s, s:s},"
                         " {s:s, s:s, s:I, s:n, s:n}]",
                         "kind", "crash", "subject", "/usr/bin/app", "count", (json_int_t) 5,
                         "detail", "SIGSEGV in segment_store_read", "first", "2026-03-01T13:50:00Z",
                         "last", "2026-03-01T14:35:00Z", "kind", "config_changes", "subject",
                         "files", "count", (json_int_t) 2, "first", "2026-03-01T13:30:00Z", "last",
                         "2026-03-01T13:30:00Z", "kind", "unit_failed", "subject", "app.service",
                         "count", (json_int_t) 1, "detail", "core-dump", "first",
                         "2026-03-01T13:50:01Z", "last", "2026-03-01T13:50:01Z", "kind",
                         "unit_failed", "subject", "old.service", "count", (json_int_t) 1, "first",
                         "2026-02-01T00:00:00Z", "last", "2026-02-01T00:00:00Z", "kind",
                         "alert_firing", "subject", "OrdersDown <&>", "count", (json_int_t) 1,
                         "first", "2026-03-01T13:55:00Z", "last", "2026-03-01T13:55:00Z", "kind",
                         "host_fact", "subject", "os", "count", (json_int_t) 0, "first", "last");
}

static json_t *errors(void)
{
        return json_pack("[{s:s, s:I, s:s, s:[s]}, {s:s, s:I, s:s, s:[s]}]", "sample",
                         "Mar  1 13:45:10 node-04 app[123]: ERROR cannot read segment 7", "count",
                         (json_int_t) 300, "first_seen", "2026-03-01T13:45:10Z", "units",
                         "app.service", "sample",
                         "2026-03-01T13:45:10.5+00:00 node-04 "
                         "app[123]: ERROR cannot read segment 7",
                         "count", (json_int_t) 300, "first_seen", "2026-03-01T13:45:10Z", "units",
                         "app.service");
}

static void test_order_and_dedup(void **state)
{
        json_t *f = findings(), *e = errors();
        struct timeline t = {};

        (void) state;
        assert_int_equal(timeline_build(f, e, T("2026-03-01T13:00:00Z"), T("2026-03-01T14:40:00Z"),
                                        0, &t),
                         0);
        /* change, error (twice the same: merged), crash, failure, alert, last crash, collection;
         * old.service is before the window, host facts have no time */
        assert_int_equal(t.n, 7);
        for (size_t i = 1; i < t.n; i++)
                assert_true(t.events[i - 1].time <= t.events[i].time);
        assert_int_equal(t.events[0].category, TIMELINE_CHANGE);
        assert_string_equal(t.events[0].what, "2 configuration file(s) changed");
        assert_int_equal(t.events[1].category, TIMELINE_ERROR);
        assert_string_equal(t.events[1].what, "first error in app.service: ERROR cannot read "
                                              "segment 7 (300 in all)");
        assert_int_equal(t.events[2].category, TIMELINE_CRASH);
        assert_string_equal(t.events[2].what, "/usr/bin/app crashed — SIGSEGV in "
                                              "segment_store_read (5 times)");
        assert_int_equal(t.events[3].category, TIMELINE_FAILURE);
        assert_int_equal(t.events[4].category, TIMELINE_ALERT);
        assert_string_equal(t.events[5].what, "last crash of /usr/bin/app — SIGSEGV in "
                                              "segment_store_read");
        assert_int_equal(t.events[6].category, TIMELINE_COLLECTION);

        /* adding the same event again changes nothing */
        assert_int_equal(timeline_add(&t, t.events[2].time, TIMELINE_CRASH, 1, t.events[2].what),
                         0);
        assert_int_equal(t.n, 7);
        timeline_done(&t);
        json_decref(f);
        json_decref(e);
}

static void test_top_and_json(void **state)
{
        json_t *f = findings(), *e = errors(), *j;
        struct timeline t = {}, back = {};
        size_t idx[3];

        (void) state;
        assert_int_equal(timeline_build(f, e, 0, 0, T("2026-03-01T14:40:00Z"), &t), 0);
        assert_int_equal(t.n, 8); /* no window: old.service too */
        assert_int_equal(timeline_top(&t, 3, idx), 3);
        /* crash (90), the two failures (80), not the alert (75): in time order */
        assert_string_equal(t.events[idx[0]].what, "old.service failed");
        assert_int_equal(t.events[idx[1]].category, TIMELINE_CRASH);
        assert_string_equal(t.events[idx[2]].what, "app.service failed — core-dump");
        assert_true(idx[0] < idx[1] && idx[1] < idx[2]);

        j = timeline_to_json(&t);
        assert_non_null(j);
        assert_int_equal(timeline_from_json(j, &back), 0);
        assert_int_equal(back.n, t.n);
        for (size_t i = 0; i < t.n; i++)
                assert_string_equal(back.events[i].what, t.events[i].what);
        json_decref(j);
        timeline_done(&back);
        timeline_done(&t);
        json_decref(f);
        json_decref(e);
}

static void test_strip_prefix(void **state)
{
        (void) state;
        assert_string_equal(timeline_strip_log_prefix("Mar  1 13:45:10 node-04 app[1]: boom"),
                            "boom");
        assert_string_equal(timeline_strip_log_prefix("2026-03-01T13:45:10.123+00:00 node-04 "
                                                      "kernel: oops"),
                            "oops");
        assert_string_equal(timeline_strip_log_prefix("2026-03-01T13:45:10Z nginx: x"), "x");
        assert_string_equal(timeline_strip_log_prefix("2026-11-26T12:00:00.000000+00:00 err "
                                                      "fixturehost nginx[100]: connect() failed"),
                            "connect() failed");
        assert_string_equal(timeline_strip_log_prefix("ERROR: plain message"),
                            "ERROR: plain message");
        assert_string_equal(timeline_strip_log_prefix("Mar  1 13:45:10 host no ident here"),
                            "Mar  1 13:45:10 host no ident here");
}

static void test_svg(void **state)
{
        json_t *f = findings(), *e = errors();
        json_t *h = json_pack("{s:i, s:[{s:s, s:[i,i,i,i]}, {s:s, s:[i,i,i,i]}]}", "buckets", 4,
                              "sources", "name", "app.service", "counts", 0, 5, 10, 0, "name",
                              "nginx<x>", "counts", 1, 0, 3, 0);
        struct timeline t = {};
        struct dynbuf b;

        (void) state;
        assert_int_equal(timeline_build(f, e, T("2026-03-01T13:00:00Z"), T("2026-03-01T14:40:00Z"),
                                        0, &t),
                         0);
        dynbuf_init(&b, 1 << 20);
        assert_int_equal(timeline_svg(&t, h, T("2026-03-01T13:00:00Z"), T("2026-03-01T14:40:00Z"),
                                      &b),
                         0);
        assert_non_null(strstr(b.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_non_null(strstr(b.buf, "class=\"x-axis\""));
        assert_non_null(strstr(b.buf, "class=\"bar\""));
        assert_non_null(strstr(b.buf, "marker marker-crash"));
        assert_non_null(strstr(b.buf, "marker marker-change"));
        assert_non_null(strstr(b.buf, "OrdersDown &lt;&amp;&gt;"));
        assert_non_null(strstr(b.buf, "nginx&lt;x&gt;"));
        assert_null(strstr(b.buf, "<script"));
        assert_null(strstr(b.buf, "OrdersDown <"));
        assert_int_equal(timeline_svg(&t, h, 5, 5, &b), -EINVAL);
        dynbuf_reset(&b);
        assert_int_equal(svg_escape(&b, "a\xff\x01<\xc3\xa9", 100), 0);
        assert_string_equal(b.buf, "a? &lt;\xc3\xa9");
        dynbuf_done(&b);
        timeline_done(&t);
        json_decref(h);
        json_decref(f);
        json_decref(e);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_dedup),
                cmocka_unit_test(test_top_and_json),
                cmocka_unit_test(test_strip_prefix),
                cmocka_unit_test(test_svg),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
