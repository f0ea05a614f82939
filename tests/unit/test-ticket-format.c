/* SPDX-License-Identifier: MIT */
/*
 * Ticket text: the summary names the symptom (no marker), the sections in their
 * order with wiki escaping, the description cut under the limit with the full
 * text kept, and golden files of every request kind in wiki markup, ADF and
 * plain text (COLLECT_UPDATE_GOLDEN=1 rewrites them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
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
                "2026-03-01T14:40:00Z", "severity", "suggested", "P1", "selected", "P2", "reasons",
                "critical unit app.service is down", "checklist", "item", "environment", "status",
                "ok", "source", "user", "item", "steps", "status", "missing", "source", "user",
                "input", "environment", "production", "product", "Payments | API", "workaround", 0,
                "config_changes", "files", (json_int_t) 3, "packages", (json_int_t) 1, "top",
                "/etc/app/app.conf", "findings", "kind", "crash", "subject", "/usr/bin/app",
                "count", (json_int_t) 2, "detail", "SIGSEGV", "bundle", "path",
                "/x/collect-a.tar.gz", "bytes", (json_int_t) 1234, "sha256", "abc123", "cuts",
                "logs/files/var/log/big.log: tail kept");
        json_t *errs = json_array();

        for (size_t i = 0; i < n_errors; i++)
                json_array_append_new(errs,
                                      json_pack("{s:s, s:I, s:s, s:[s]}", "sample",
                                                "ERROR {code} connection [refused] to db "
                                                "host while *handling* request number",
                                                "count", (json_int_t) (1000 - i), "first_seen",
                                                "2026-03-01T13:41:00Z", "units", "app.service"));
        json_object_set_new(m, "errors_top", errs);
        return m;
}

static void test_render(void **state)
{
        json_t *m = manifest(3);
        struct ticket_text t = {};

        (void) state;
        assert_int_equal(ticket_format(m,
                                       &(struct ticket_format_options) {
                                               .marker = "collect0123456789abcdef",
                                               .allow_incomplete = true },
                                       &t),
                         0);
        /* the symptom, not rule text; no marker in the summary */
        assert_string_equal(t.summary, "Payments | API (production, node-04): /usr/bin/app "
                                       "crashed — SIGSEGV, 2 failures");
        assert_null(strstr(t.summary, "collect0123456789abcdef"));
        assert_non_null(strstr(t.description, "|Product / service|Payments \\| API|"));
        assert_non_null(strstr(t.description, "h3. Severity: P2 - High (collect suggested P1)"));
        assert_non_null(strstr(t.description, "* critical unit app.service is down"));
        assert_non_null(strstr(t.description, "Workaround available: no"));
        assert_non_null(strstr(t.description, "h3. Required information: 1 of 2 present"));
        assert_non_null(strstr(t.description, "|steps|missing|"));
        assert_non_null(strstr(t.description, "*Filed although incomplete; missing: steps.*"));
        assert_non_null(
                strstr(t.description, "h3. Crashes\n*/usr/bin/app* crashed 2 times — SIGSEGV"));
        assert_non_null(strstr(t.description, "ERROR \\{code\\} connection \\[refused\\]"));
        assert_non_null(strstr(t.description, "sha256 {{abc123}}"));
        assert_non_null(strstr(t.description, "big.log: tail kept"));
        assert_non_null(strstr(t.description, "Reference: collect0123456789abcdef"));
        assert_null(t.full);
        assert_non_null(t.adf);
        assert_non_null(strstr(t.text, "Severity: P2 - High (collect suggested P1)\n"));
        assert_non_null(strstr(t.comment, "from host node-04"));
        assert_non_null(strstr(t.comment, "Checklist: 1 of 2 items present; missing: steps."));
        /* not an attach: the cuts are in the description only */
        assert_null(strstr(t.comment, "big.log"));
        ticket_text_done(&t);
        json_decref(m);
}

static void test_cut(void **state)
{
        json_t *m = manifest(2000);
        struct ticket_text t = {};

        (void) state;
        assert_int_equal(ticket_format(m,
                                       &(struct ticket_format_options) {
                                               .marker = "collect0123456789abcdef",
                                               .description_max = 3000 },
                                       &t),
                         0);
        assert_true(strlen(t.description) < 3000);
        {
                /* the ADF form is cut on its own (JSON) length */
                _cleanup_free_ char *adf = json_dumps(t.adf, JSON_COMPACT);

                assert_true(strlen(adf) < 3000);
                assert_non_null(strstr(adf, "ticket-description.txt"));
                assert_non_null(strstr(adf, "collect0123456789abcdef"));
        }
        assert_non_null(t.full);
        assert_true(strlen(t.full) > 3000);
        assert_non_null(strstr(t.description, "ticket-description.txt"));
        /* the bundle section and the marker survive the cut */
        assert_non_null(strstr(t.description, "sha256 {{abc123}}"));
        assert_non_null(strstr(t.description, "collect0123456789abcdef"));
        ticket_text_done(&t);
        json_decref(m);

        /* a long summary is cut on one line */
        m = json_pack(
                "{s:{s:s}}", "input", "summary",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nsecond line");
        assert_int_equal(ticket_format(m,
                                       &(struct ticket_format_options) {
                                               .marker = "collect0123456789abcdef" },
                                       &t),
                         0);
        assert_true(strlen(t.summary) <= TICKET_SUMMARY_MAX);
        assert_null(strchr(t.summary, '\n'));
        assert_string_equal(ticket_severity(m), "P3");
        ticket_text_done(&t);
        json_decref(m);
}

/* ---- golden files: tests/data/ticket/NAME.json -> tests/data/golden/ticket-NAME.* ---- */

static char *slurp(const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        buf = malloc(1 << 20);
        if (buf)
                n = fread(buf, 1, (1 << 20) - 1, f);
        fclose(f);
        if (buf)
                buf[n] = 0;
        return TAKE_PTR(buf);
}

static void golden(const char *name, const char *ext, const char *got)
{
        const char *src = getenv("COLLECT_SRCDIR") ?: ".";
        _cleanup_free_ char *path = xasprintf("%s/tests/data/golden/ticket-%s.%s", src, name, ext);
        _cleanup_free_ char *want = NULL;

        assert_non_null(path);
        if (getenv("COLLECT_UPDATE_GOLDEN")) {
                FILE *f = fopen(path, "we");

                assert_non_null(f);
                fputs(got, f);
                fclose(f);
                return;
        }
        want = slurp(path);
        if (!want)
                fail_msg("no golden file %s (make it with COLLECT_UPDATE_GOLDEN=1)", path);
        assert_string_equal(got, want);
}

static void golden_case(const char *name, bool attach)
{
        const char *src = getenv("COLLECT_SRCDIR") ?: ".";
        _cleanup_free_ char *path = xasprintf("%s/tests/data/ticket/%s.json", src, name);
        _cleanup_free_ char *wiki = NULL, *adf = NULL;
        json_error_t err;
        json_t *m = json_load_file(path, 0, &err);
        struct ticket_text t = {};

        if (!m)
                fail_msg("%s: %s", path, err.text);
        assert_int_equal(ticket_format(m,
                                       &(struct ticket_format_options) {
                                               .marker = "collect0123456789abcdef",
                                               .attach = attach },
                                       &t),
                         0);
        wiki = xasprintf("Summary: %s\n\n==== description ====\n%s\n==== comment ====\n%s\n",
                         t.summary, t.description, t.comment);
        adf = json_dumps(t.adf, JSON_INDENT(1) | JSON_ENSURE_ASCII);
        assert_non_null(wiki);
        assert_non_null(adf);
        assert_true(strlen(t.summary) <= TICKET_SUMMARY_MAX);
        golden(name, "wiki", wiki);
        golden(name, "adf.json", adf);
        golden(name, "txt", t.text);
        ticket_text_done(&t);
        json_decref(m);
}

static void test_golden_customer(void **state)
{
        (void) state;
        golden_case("customer", false);
}

static void test_golden_support_requested(void **state)
{
        (void) state;
        golden_case("support-requested", true);
}

static void test_golden_crash(void **state)
{
        (void) state;
        golden_case("crash", false);
}

static void test_golden_unit_failure(void **state)
{
        (void) state;
        golden_case("unit-failure", false);
}

static void test_golden_alert(void **state)
{
        (void) state;
        golden_case("alert", false);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_cut),
                cmocka_unit_test(test_golden_customer),
                cmocka_unit_test(test_golden_support_requested),
                cmocka_unit_test(test_golden_crash),
                cmocka_unit_test(test_golden_unit_failure),
                cmocka_unit_test(test_golden_alert),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
