/* SPDX-License-Identifier: MIT */
/*
 * Checklist: a table of scenarios (request type, what was stated, findings,
 * collector status rows) with the expected status and source of each of the
 * six items; the shipped policies/checklist.yaml agrees with the built-in
 * defaults; the unit -> product map; the exit-65 text, the JSON and the
 * summary.md block; policy errors with file:line:column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "analysis/checklist.h"
#include "dynbuf.h"
#include "policy/pnode.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "strv.h"

struct sspec {
        const char *name;
        enum collector_result result;
        const char *note;
};

struct fspec {
        enum finding_kind kind;
        const char *subject;
        uint64_t count;
};

/* Expected per item: "ok/auto", "missing/user", "not_applicable/auto", … */
struct scenario {
        const char *name;
        enum request_type type;
        const char *environment;
        enum input_source env_source;
        const char *product;
        enum input_source product_source;
        const char *steps;
        const char *impact;
        enum input_source text_source;
        struct sspec statuses[4];
        struct fspec findings[4];
        const char *expect[_CHECKLIST_ITEM_MAX];
        const char *detail_item; /* item whose detail is checked, e.g. "errors" */
        const char *detail;      /* substring of that detail */
        size_t n_missing;
        const char *policy; /* checklist section YAML, NULL: built-in/shipped */
};

static const struct scenario scenarios[] = {
        {
                .name = "everything present",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "Payments API",
                .product_source = INPUT_CONFIG,
                .steps = "POST /pay twice",
                .impact = "payments fail",
                .text_source = INPUT_CLI,
                .statuses = { { "journal", COLLECTOR_OK }, { "config", COLLECTOR_OK } },
                .findings = { { FINDING_ERRORS, "app.service", 37 },
                              { FINDING_ERROR_SIGNATURES, "total", 4 },
                              { FINDING_CONFIG_CHANGES, "files", 0 } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "ok/user", "ok/user", "ok/auto" },
                .detail_item = "errors",
                .detail = "37 error lines, 4 distinct (most from app.service)",
        },
        {
                .name = "nothing at all, incident",
                .expect = { "missing/user", "missing/user", "missing/auto", "missing/user",
                            "missing/user", "missing/auto" },
                .detail_item = "errors",
                .detail = "no logs collected (journal, logs not run)",
                .n_missing = 6,
        },
        {
                .name = "question needs only environment and product",
                .type = REQUEST_QUESTION,
                .environment = "staging",
                .env_source = INPUT_CLI,
                .product = "Ingress",
                .product_source = INPUT_CLI,
                .expect = { "ok/user", "ok/user", "not_applicable/auto", "not_applicable/auto",
                            "not_applicable/auto", "not_applicable/auto" },
                .detail_item = "steps",
                .detail = "not applicable to a request of type question",
        },
        {
                .name = "question with steps given keeps them",
                .type = REQUEST_QUESTION,
                .environment = "staging",
                .env_source = INPUT_CLI,
                .product = "Ingress",
                .product_source = INPUT_CLI,
                .steps = "run helm upgrade",
                .text_source = INPUT_CLI,
                .expect = { "ok/user", "ok/user", "not_applicable/auto", "ok/user",
                            "not_applicable/auto", "not_applicable/auto" },
                .detail_item = "steps",
                .detail = "\"run helm upgrade\" (stated)",
        },
        {
                .name = "logs collected without errors is an answer",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .statuses = { { "journal", COLLECTOR_PARTIAL, "cut at 20M" },
                              { "logs", COLLECTOR_FAILED, "no such dir" } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "missing/user", "missing/user",
                            "missing/auto" },
                .detail_item = "errors",
                .detail = "no error messages in the window; logs collected (journal)",
                .n_missing = 3,
        },
        {
                .name = "log collectors failed",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .steps = "n/a",
                .impact = "slow",
                .text_source = INPUT_PROMPT,
                .statuses = { { "journal", COLLECTOR_FAILED, "permission denied" },
                              { "logs", COLLECTOR_SKIPPED, NULL },
                              { "config", COLLECTOR_OK } },
                .expect = { "ok/auto", "ok/auto", "missing/auto", "ok/user", "ok/user", "ok/auto" },
                .detail_item = "errors",
                .detail = "journal: failed (permission denied); logs: skipped",
                .n_missing = 1,
        },
        {
                .name = "config collector ran: no changes is an answer",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .statuses = { { "config", COLLECTOR_OK } },
                .findings = { { FINDING_CRASH, "/usr/bin/app", 1 } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "missing/user", "missing/user",
                            "ok/auto" },
                .detail_item = "config_changes",
                .detail = "no configuration changes recorded in the window",
                .n_missing = 2,
        },
        {
                .name = "config and package changes found",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .findings = { { FINDING_CONFIG_CHANGES, "files", 3 },
                              { FINDING_PACKAGE_CHANGES, "packages", 2 } },
                .expect = { "ok/auto", "ok/auto", "missing/auto", "missing/user", "missing/user",
                            "ok/auto" },
                .detail_item = "config_changes",
                .detail = "3 configuration files changed in the window; 2 package changes in the "
                          "window",
                .n_missing = 3,
        },
        {
                .name = "config collector skipped",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .statuses = { { "config", COLLECTOR_SKIPPED, "no snapshot" } },
                .expect = { "ok/auto", "ok/auto", "missing/auto", "missing/user", "missing/user",
                            "missing/auto" },
                .detail_item = "config_changes",
                .detail = "config: skipped (no snapshot)",
                .n_missing = 4,
        },
        {
                .name = "crash from monitoring: steps not applicable",
                .type = REQUEST_CRASH,
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .findings = { { FINDING_CRASH, "/usr/bin/app", 1 } },
                .statuses = { { "config", COLLECTOR_OK } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "not_applicable/auto", "missing/user",
                            "ok/auto" },
                .detail_item = "errors",
                .detail = "1 crash record collected",
                .n_missing = 1,
        },
        {
                .name = "product from the unit map",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { { FINDING_ERRORS, "postgresql.service", 3 },
                              { FINDING_UNIT_FAILED, "nginx-main.service", 1 } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "missing/user", "missing/user",
                            "missing/auto" },
                .detail_item = "product",
                .detail = "Web frontend (from nginx-main.service, checklist policy units)",
                .n_missing = 3,
                .policy =
                        "checklist:\n  product:\n    units:\n      'nginx*.service': Web frontend\n"
                        "      postgresql.service: Database\n",
        },
        {
                .name = "unit map falls back to units with errors",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { { FINDING_ERRORS, "postgresql.service", 3 } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "missing/user", "missing/user",
                            "missing/auto" },
                .detail_item = "product",
                .detail = "Database (from postgresql.service",
                .n_missing = 3,
                .policy =
                        "checklist:\n  product:\n    units:\n      'nginx*.service': Web frontend\n"
                        "      postgresql.service: Database\n",
        },
        {
                .name = "optional impact is reported but not counted",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .product = "X",
                .product_source = INPUT_CONFIG,
                .steps = "x",
                .text_source = INPUT_CLI,
                .statuses = { { "journal", COLLECTOR_OK }, { "config", COLLECTOR_OK } },
                .expect = { "ok/auto", "ok/auto", "ok/auto", "ok/user", "missing/user", "ok/auto" },
                .n_missing = 0,
                .policy = "checklist:\n  impact:\n    required: false\n",
        },
        {
                .name = "environment answered at the prompt",
                .environment = "staging",
                .env_source = INPUT_PROMPT,
                .product = "X",
                .product_source = INPUT_CLI,
                .statuses = { { "journal", COLLECTOR_OK }, { "config", COLLECTOR_OK } },
                .expect = { "ok/user", "ok/user", "ok/auto", "missing/user", "missing/user",
                            "ok/auto" },
                .detail_item = "environment",
                .detail = "staging (answered at the prompt)",
                .n_missing = 2,
        },
};

static void build_report(const struct scenario *sc, struct report *r)
{
        size_t n = 0;

        *r = (struct report) {};
        r->input.type = sc->type;
        r->input.workaround = TRISTATE_UNKNOWN;
        r->input.selected = _SEVERITY_INVALID;
        if (sc->environment) {
                r->input.environment = strdup(sc->environment);
                r->input.environment_source = sc->env_source;
        }
        if (sc->product) {
                r->input.product = strdup(sc->product);
                r->input.product_source = sc->product_source;
        }
        if (sc->steps) {
                r->input.steps = strdup(sc->steps);
                r->input.steps_source = sc->text_source;
        }
        if (sc->impact) {
                r->input.impact = strdup(sc->impact);
                r->input.impact_source = sc->text_source;
        }
        while (n < ELEMENTSOF(sc->statuses) && sc->statuses[n].name)
                n++;
        r->statuses = calloc(n ? n : 1, sizeof(struct collector_status));
        assert_non_null(r->statuses);
        for (size_t i = 0; i < n; i++) {
                r->statuses[i].name = strdup(sc->statuses[i].name);
                r->statuses[i].result = sc->statuses[i].result;
                r->statuses[i].note = sc->statuses[i].note ? strdup(sc->statuses[i].note) : NULL;
        }
        r->n_statuses = n;
        for (size_t i = 0; i < ELEMENTSOF(sc->findings) && sc->findings[i].subject; i++) {
                struct finding f = {
                        .kind = sc->findings[i].kind,
                        .subject = sc->findings[i].subject,
                        .count = sc->findings[i].count,
                };

                assert_int_equal(report_add_finding(r, &f), 0);
        }
}

static struct pnode *parse(const char *name, const char *yaml)
{
        _cleanup_free_ char *err = NULL;
        struct pnode *root = NULL;

        if (pnode_parse_string(name, yaml, strlen(yaml), &root, &err) < 0)
                fail_msg("%s", err);
        return root;
}

static struct pnode *load_shipped(void)
{
        const char *srcdir = getenv("COLLECT_SRCDIR");
        _cleanup_free_ char *path = NULL, *err = NULL;
        struct pnode *root = NULL;

        path = xasprintf("%s/policies/checklist.yaml", srcdir ? srcdir : ".");
        assert_non_null(path);
        if (pnode_parse_file(path, &root, &err) < 0)
                fail_msg("%s", err ? err : "parse failed");
        return root;
}

static void check_scenario(const struct scenario *sc, const struct pnode *section)
{
        _cleanup_(pnode_freep) struct pnode *own = NULL;
        _cleanup_free_ char *err = NULL;
        struct checklist_result c;
        struct report r;

        if (sc->policy) {
                own = parse("test.yaml", sc->policy);
                section = pnode_get(own, "checklist");
        }
        build_report(sc, &r);
        if (checklist_evaluate(section, &r, &c, &err) < 0)
                fail_msg("scenario '%s': %s", sc->name, err ? err : "failed");

        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                const struct checklist_entry *e = &c.items[i];
                char got[64];

                (void) snprintf(got, sizeof(got), "%s/%s", checklist_status_to_string(e->status),
                                checklist_source_to_string(e->source));
                assert_int_equal(e->item, i);
                assert_non_null(e->detail);
                assert_null(strchr(e->detail, '\n'));
                if (!streq(got, sc->expect[i]))
                        fail_msg("scenario '%s': item %s is %s (%s), expected %s", sc->name,
                                 checklist_item_to_string(i), got, e->detail, sc->expect[i]);
                if (e->status == CHECKLIST_MISSING)
                        assert_non_null(e->option);
        }
        if (sc->detail_item) {
                enum checklist_item i = checklist_item_from_string(sc->detail_item);

                assert_true(i >= 0);
                if (!strstr(c.items[i].detail, sc->detail))
                        fail_msg("scenario '%s': detail of %s is '%s', expected '%s'", sc->name,
                                 sc->detail_item, c.items[i].detail, sc->detail);
        }
        assert_int_equal(checklist_n_missing(&c), sc->n_missing);

        checklist_result_done(&c);
        report_done(&r);
}

static void test_scenarios_builtin(void **state)
{
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                check_scenario(&scenarios[i], NULL);
}

static void test_scenarios_shipped_policy(void **state)
{
        _cleanup_(pnode_freep) struct pnode *root = load_shipped();
        _cleanup_free_ char *err = NULL;

        (void) state;
        assert_int_equal(checklist_check_policy(pnode_get(root, "checklist"), &err), 0);
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                check_scenario(&scenarios[i], pnode_get(root, "checklist"));
}

static void test_missing_text_json_markdown(void **state)
{
        struct checklist_result c;
        struct severity_result s;
        struct report r;
        _cleanup_free_ char *text = NULL, *md = NULL;
        struct dynbuf b;
        json_t *j, *e;

        (void) state;
        build_report(&scenarios[5], &r); /* log collectors failed: only errors missing */
        free(r.input.impact);
        r.input.impact = NULL;
        assert_int_equal(checklist_evaluate(NULL, &r, &c, NULL), 0);
        assert_int_equal(checklist_n_missing(&c), 2);

        assert_int_equal(checklist_missing_text(&c, &text), 0);
        assert_non_null(strstr(text, "  impact (impact description): use --impact TEXT\n"));
        assert_non_null(strstr(text, "  errors (error messages or logs): no logs collected "
                                     "(journal: failed (permission denied)"));
        assert_null(strstr(text, "steps"));

        j = checklist_to_json(&c);
        assert_non_null(j);
        assert_int_equal(json_array_size(j), 6);
        e = json_array_get(j, 4);
        assert_string_equal(json_string_value(json_object_get(e, "item")), "impact");
        assert_string_equal(json_string_value(json_object_get(e, "status")), "missing");
        assert_string_equal(json_string_value(json_object_get(e, "source")), "user");
        assert_string_equal(json_string_value(json_object_get(e, "option")), "--impact TEXT");
        assert_true(json_is_true(json_object_get(e, "required")));
        e = json_array_get(j, 0);
        assert_string_equal(json_string_value(json_object_get(e, "item")), "environment");
        assert_string_equal(json_string_value(json_object_get(e, "status")), "ok");
        assert_string_equal(json_string_value(json_object_get(e, "value")), "production");
        assert_true(json_is_null(json_object_get(e, "option")) || !json_object_get(e, "option"));
        json_decref(j);

        r.input.selected = SEVERITY_P1;
        assert_int_equal(severity_suggest(NULL, &r, &s), 0);
        dynbuf_init(&b, 1024 * 1024);
        assert_int_equal(checklist_severity_markdown(&c, &s, &b), 0);
        md = dynbuf_steal(&b);
        assert_non_null(md);
        assert_true(strneq(md, "## Severity: P1 (selected by the requester; suggested P3)\n", 58));
        assert_non_null(strstr(md, "\n- environment: production (collect.yaml)\n"));
        assert_non_null(strstr(md, "## Required information: incomplete\n"));
        assert_non_null(
                strstr(md, "| impact description | missing | user | impact not described |\n"));
        assert_non_null(
                strstr(md,
                       "| steps to reproduce | ok | user | \"n/a\" (answered at the prompt) |\n"));
        assert_non_null(strstr(md, "**Missing:** error messages or logs (--journal-dir DIR), "
                                   "impact description (--impact TEXT)\n"));

        severity_result_done(&s);
        checklist_result_done(&c);
        report_done(&r);
}

static void test_markdown_escapes(void **state)
{
        struct checklist_result c;
        struct report r = {};
        _cleanup_free_ char *md = NULL;
        struct dynbuf b;

        (void) state;
        r.input.workaround = TRISTATE_UNKNOWN;
        r.input.selected = _SEVERITY_INVALID;
        r.input.impact = strdup("a | b\nsecond line");
        r.input.impact_source = INPUT_CLI;
        assert_int_equal(checklist_evaluate(NULL, &r, &c, NULL), 0);
        dynbuf_init(&b, 1024 * 1024);
        assert_int_equal(checklist_severity_markdown(&c, NULL, &b), 0);
        md = dynbuf_steal(&b);
        assert_non_null(strstr(md, "| impact description | ok | user | \"a \\| b…\" (stated) |\n"));
        assert_null(strstr(md, "## Severity"));
        checklist_result_done(&c);
        report_done(&r);
}

static void test_policy_errors(void **state)
{
        static const struct {
                const char *yaml;
                const char *error;
        } t[] = {
                { "checklist:\n  colour: red\n",
                  "test.yaml:2:3: unknown key 'colour' in 'checklist'" },
                { "checklist:\n  steps:\n    collectors: [journal]\n",
                  "test.yaml:3:5: unknown key 'collectors' in 'steps'" },
                { "checklist:\n  impact:\n    not_applicable_for: [questions]\n",
                  "test.yaml:3:25: unknown request type 'questions'" },
                { "checklist:\n  impact:\n    required: maybe\n", "test.yaml:3:15" },
                { "checklist:\n  product:\n    units: [a, b]\n", "test.yaml:3:12" },
                { "checklist:\n  product:\n    units:\n      a.service: []\n",
                  "test.yaml:4:18: the product of unit 'a.service' must be a non-empty name" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_(pnode_freep) struct pnode *root = parse("test.yaml", t[i].yaml);
                _cleanup_free_ char *err = NULL;

                assert_true(checklist_check_policy(pnode_get(root, "checklist"), &err) < 0);
                assert_non_null(err);
                if (!strstr(err, t[i].error))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, err, t[i].error);
        }
}

static void test_strings(void **state)
{
        (void) state;
        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                assert_int_equal(checklist_item_from_string(checklist_item_to_string(i)), i);
                assert_non_null(checklist_item_label(i));
        }
        assert_int_equal(checklist_item_from_string("bogus"), _CHECKLIST_ITEM_INVALID);
        assert_null(checklist_item_to_string(_CHECKLIST_ITEM_MAX));
        assert_string_equal(checklist_status_to_string(CHECKLIST_NOT_APPLICABLE), "not_applicable");
        assert_string_equal(checklist_source_to_string(CHECKLIST_SOURCE_USER), "user");
        assert_true(checklist_item_person_supplied(CHECKLIST_IMPACT));
        assert_false(checklist_item_person_supplied(CHECKLIST_ERRORS));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scenarios_builtin),
                cmocka_unit_test(test_scenarios_shipped_policy),
                cmocka_unit_test(test_missing_text_json_markdown),
                cmocka_unit_test(test_markdown_escapes),
                cmocka_unit_test(test_policy_errors),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
