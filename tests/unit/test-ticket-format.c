/* SPDX-License-Identifier: MIT */
/*
 * Ticket text: summary with the marker, wiki escaping, sections present,
 * the description cut under the limit with the full text kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alloc-util.h"
#include "ticket/ticket-format.h"

static json_t *manifest(size_t n_errors)
{
        json_t *m = json_pack(
                "{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:[s]}, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}],"
                " s:{s:s, s:s, s:b}, s:{s:I, s:I, s:[s]}, s:[{s:s, s:s, s:I, s:s}],"
                " s:{s:s, s:I, s:s}, s:[s]}",
                "host", "node-04", "window", "since", "2026-03-01T13:40:00Z", "until",
                "2026-03-01T14:40:00Z", "severity", "suggested", "P1", "selected", "P2",
                "reasons", "critical unit app.service is down", "checklist", "item", "environment",
                "status", "ok", "source", "user", "item", "steps", "status", "missing", "source",
                "user", "input", "environment", "production", "product", "Payments | API",
                "workaround", 0, "config_changes", "files", (json_int_t) 3, "packages",
                (json_int_t) 1, "top",
                "/etc/app/app.conf", "findings", "kind", "crash", "subject", "/usr/bin/app",
                "count", (json_int_t) 2, "detail", "SIGSEGV", "bundle", "path",
                "/x/collect-a.tar.gz", "bytes", (json_int_t) 1234, "sha256", "abc123", "cuts",
                "logs/files/var/log/big.log: tail kept");
        json_t *errs = json_array();

        for (size_t i = 0; i < n_errors; i++)
                json_array_append_new(errs, json_pack("{s:s, s:I, s:s, s:[s]}", "sample",
                                                      "ERROR {code} connection [refused] to db "
                                                      "host while *handling* request number",
                                                      "count", (json_int_t) (1000 - i), "first_seen",
                                                      "2026-03-01T13:41:00Z", "units",
                                                      "app.service"));
        json_object_set_new(m, "errors_top", errs);
        return m;
}

static void test_render(void **state)
{
        json_t *m = manifest(3);
        struct ticket_text t = {};

        (void) state;
        assert_int_equal(ticket_format(m, &(struct ticket_format_options) {
                                                  .marker = "collect0123456789abcdef",
                                                  .allow_incomplete = true },
                                       &t),
                         0);
        assert_string_equal(t.summary, "node-04: Payments | API: critical unit app.service is "
                                       "down - ref collect0123456789abcdef");
        assert_non_null(strstr(t.description, "||Product / service|Payments \\| API|"));
        assert_non_null(strstr(t.description, "||Severity|P2 - High (collect suggested P1)|"));
        assert_non_null(strstr(t.description, "||Workaround|no|"));
        assert_non_null(strstr(t.description, "h3. Required information"));
        assert_non_null(strstr(t.description, "*Incomplete:* steps missing"));
        assert_non_null(strstr(t.description, "h3. Crashes\n* */usr/bin/app* — SIGSEGV (2 times)"));
        assert_non_null(strstr(t.description, "ERROR \\{code\\} connection \\[refused\\]"));
        assert_non_null(strstr(t.description, "* /etc/app/app.conf"));
        assert_non_null(strstr(t.description, "sha256 {{abc123}}"));
        assert_non_null(strstr(t.description, "big.log: tail kept"));
        assert_null(t.full);
        assert_non_null(strstr(t.comment, "from host *node-04*"));
        ticket_text_done(&t);
        json_decref(m);
}

static void test_cut(void **state)
{
        json_t *m = manifest(2000);
        struct ticket_text t = {};

        (void) state;
        assert_int_equal(ticket_format(m, &(struct ticket_format_options) {
                                                  .marker = "collect0123456789abcdef" },
                                       &t),
                         0);
        assert_true(strlen(t.description) < TICKET_DESCRIPTION_MAX);
        assert_non_null(t.full);
        assert_true(strlen(t.full) > TICKET_DESCRIPTION_MAX);
        assert_non_null(strstr(t.description, "ticket-description.txt"));
        /* the bundle section survives the cut */
        assert_non_null(strstr(t.description, "sha256 {{abc123}}"));
        ticket_text_done(&t);
        json_decref(m);

        /* a long summary is cut, the marker stays */
        m = json_pack("{s:{s:s}}", "input", "summary",
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nsecond line");
        assert_int_equal(ticket_format(m, &(struct ticket_format_options) {
                                                  .marker = "collect0123456789abcdef" },
                                       &t),
                         0);
        assert_true(strlen(t.summary) <= TICKET_SUMMARY_MAX);
        assert_null(strchr(t.summary, '\n'));
        assert_non_null(strstr(t.summary, " - ref collect0123456789abcdef"));
        assert_string_equal(ticket_severity(m), "P3");
        ticket_text_done(&t);
        json_decref(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_cut),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
