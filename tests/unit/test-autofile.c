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

#include <cmocka.h>

#include "monitor/autofile.h"

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
        struct autofile_policy p = { .enabled = true, .max_per_hour = 4,
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
        /* a filing that never finished is retried after a while */
        assert_int_equal(decide(&p, "unit-failure:e", t + 4, false, NULL), AUTOFILE_OPEN);
        assert_int_equal(decide(&p, "unit-failure:e", t + 20 * USEC_PER_MINUTE, false, NULL),
                         AUTOFILE_OPEN);
        /* a resolved alert with no ticket: skip */
        assert_int_equal(decide(&p, "alert:x", t + 5, true, NULL), AUTOFILE_SKIP);
        /* the budget: 3 actions so far, a fourth is allowed, a fifth is not */
        assert_int_equal(decide(&p, "unit-failure:b", t + 6, false, NULL), AUTOFILE_OPEN);
        assert_int_equal(autofile_record(dir, "unit-failure:b", NULL, t + 7), 0);
        assert_int_equal(decide(&p, "unit-failure:c", t + 8, false, NULL), AUTOFILE_SUPPRESS);
        /* an hour later the budget is back; the suppressed count is reported */
        assert_int_equal(autofile_decide(dir, &p, "unit-failure:c", t + USEC_PER_HOUR + 9,
                                         false, &d, NULL, &suppressed), 0);
        assert_int_equal(d, AUTOFILE_OPEN);
        assert_int_equal(suppressed, 1);
        /* past the dedup window the problem is new again */
        assert_int_equal(decide(&p, "unit-failure:a", t + 2 * USEC_PER_DAY, false, NULL),
                         AUTOFILE_OPEN);
        /* disabled */
        p.enabled = false;
        assert_int_equal(decide(&p, "unit-failure:z", t, false, NULL), AUTOFILE_SKIP);
}

static void test_damaged_state(void **state)
{
        struct autofile_policy p = { .enabled = true, .max_per_hour = 3,
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
        const char *am = "{\"status\":\"firing\",\"groupKey\":\"{}:{alertname=\\\"X\\\"}\","
                         "\"commonLabels\":{\"alertname\":\"X\"},\"commonAnnotations\":"
                         "{\"summary\":\"disk full\"},\"alerts\":[{\"status\":\"firing\","
                         "\"labels\":{\"instance\":\"h:9100\"},\"startsAt\":\"2026-03-01T00:00:00Z\"}]}";

        (void) state;
        assert_int_equal(autofile_event_from_alertmanager(am, strlen(am), &e, &err), 0);
        assert_string_equal(e.fingerprint, "alert:{}:{alertname=\"X\"}");
        assert_string_equal(e.summary, "X: disk full");
        assert_non_null(strstr(e.description, "instance=h:9100"));
        assert_false(e.resolved);
        autofile_event_done(&e);
        assert_int_equal(autofile_event_from_alertmanager("[1]", 3, &e, &err), -EBADMSG);
        free(err);
        err = NULL;
        assert_int_equal(autofile_event_from_alertmanager("{\"status\":\"firing\"}", 19, &e,
                                                          &err), -EBADMSG);
        assert_non_null(strstr(err, "groupKey"));
        free(err);

        setenv("MONITOR_SERVICE_RESULT", "core-dump", 1);
        assert_int_equal(autofile_event_from_unit("app.service", &e), 0);
        assert_string_equal(e.fingerprint, "unit-failure:app.service");
        assert_string_equal(e.summary, "app.service failed (core-dump)");
        autofile_event_done(&e);
        unsetenv("MONITOR_SERVICE_RESULT");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sequence),
                cmocka_unit_test(test_damaged_state),
                cmocka_unit_test(test_events),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
