/* SPDX-License-Identifier: MIT */
/*
 * Severity engine: a table of scenarios (findings, environment, stated
 * impact and workaround, request type) with the expected severity, the
 * evidence the reasons must name, and the P1 hint; the hard lines against a
 * hostile policy; determinism; the shipped policies/severity.yaml giving the
 * same results as the built-in defaults; policy errors with file:line:column.
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
#include "policy/pnode.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "strv.h"

#define MIN_ (60 * USEC_PER_SEC)
#define T0 ((usec_t) 1764000000 * USEC_PER_SEC)

struct fspec {
        enum finding_kind kind;
        const char *subject;
        uint64_t count;
        usec_t first, last;
        const char *detail;
};

struct scenario {
        const char *name;
        const char *environment;
        enum input_source env_source;
        enum request_type type;
        const char *workaround; /* "yes", "no", NULL: unknown */
        const char *impact;
        const char *critical[3];
        const char *selected; /* the person's --severity, NULL: none */
        struct fspec findings[6];
        size_t n_findings;
        enum severity expect;
        const char *reasons[4];     /* substrings that some reason must contain */
        const char *not_reasons[2]; /* substrings no reason may contain */
        const char *hint;           /* substring of the hint, or NULL: no hint */
};

#define F(...) ((struct fspec) { __VA_ARGS__ })

static const struct scenario scenarios[] = {
        {
                .name = "production outage, no workaround: P1",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_FAILED, "app.service", 5, T0, T0 + 10 * MIN_, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P1,
                .reasons = { "app.service failed 5 times in 10 minutes",
                             "environment: production (collect.yaml)", "workaround: none (stated)",
                             "rule production_outage" },
        },
        {
                .name = "production outage, workaround unknown: P2 with hint",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_FAILED, "app.service", 5, T0, T0 + 10 * MIN_, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "outage: app.service failed 5 times", "workaround: unknown" },
                .hint = "would be P1 if no workaround exists: use --workaround no",
        },
        {
                .name = "production outage, workaround available: P2",
                .environment = "production",
                .env_source = INPUT_CLI,
                .workaround = "yes",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_DOWN, "app.service", 1, 0, 0, "inactive") },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "app.service is not running (inactive) (critical unit)",
                             "workaround: available (stated)",
                             "environment: production (--environment)" },
        },
        {
                .name = "staging outage, no workaround: at most P3",
                .environment = "staging",
                .env_source = INPUT_CLI,
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_FAILED, "app.service", 1, 0, 0, "exit-code") },
                .n_findings = 1,
                .expect = SEVERITY_P3,
                .reasons = { "environment: staging (--environment), not production",
                             "app.service failed (exit-code)" },
        },
        {
                .name = "unknown environment outage: P3, hint names --environment",
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_FAILED, "app.service", 1, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P3,
                .reasons = { "environment: not stated" },
                .hint = "--environment production",
        },
        {
                .name = "question in production with an outage: P4",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .type = REQUEST_QUESTION,
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_FAILED, "app.service", 3, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P4,
                .reasons = { "information request", "request type: question" },
        },
        {
                .name = "other failed unit in production: P2 degradation, hint critical_units",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .findings = { F(FINDING_UNIT_FAILED, "nginx.service", 2, T0,
                                T0 + 3 * 3600 * USEC_PER_SEC, "exit-code") },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "degradation: nginx.service failed 2 times in 3 hours (exit-code)",
                             "rule production_degradation" },
                .not_reasons = { "outage:" },
                .hint = "critical_units",
        },
        {
                .name = "disk full in production: P2",
                .environment = "prod",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_DISK_FULL, "/var", 97, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "file system /var is 97% full" },
        },
        {
                .name = "disk full, no workaround: no critical_units hint",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .findings = { F(FINDING_DISK_FULL, "/var", 100, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "degradation: file system /var is 100% full", "workaround: none" },
        },
        {
                .name = "a change touched the failing unit's configuration",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_FAILED, "app.service", 1, 0, 0, NULL),
                              F(FINDING_CONFIG_TOUCHES_FAILING, "/etc/app/app.conf", 1, 0, 0,
                                "app.service") },
                .n_findings = 2,
                .expect = SEVERITY_P1,
                .reasons = { "recent change: a configuration change touched /etc/app/app.conf, "
                             "used by a failing unit (app.service)" },
        },
        {
                .name = "disk at 90% is not exhaustion: P3 default",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_DISK_FULL, "/", 90, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P3,
                .reasons = { "no rule matched", "minor: file system / is 90% full" },
                .not_reasons = { "degradation:" },
        },
        {
                .name = "inodes exhausted in production: P2",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_INODES_FULL, "/srv", 100, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "/srv has used 100% of its inodes" },
        },
        {
                .name = "OOM kill in production: P2",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_OOM_KILL, "java", 2, 0, 0, NULL),
                              F(FINDING_ERRORS, "app.service", 40, 0, 0, NULL) },
                .n_findings = 2,
                .expect = SEVERITY_P2,
                .reasons = { "out-of-memory killer killed java 2 times" },
        },
        {
                .name = "error surge in production: P2",
                .environment = "live",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_ERROR_SURGE, "nginx.service", 250, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "error surge in nginx.service" },
        },
        {
                .name = "degradation with a workaround: P3",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "yes",
                .findings = { F(FINDING_OOM_KILL, "worker", 1, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P3,
                .reasons = { "limited impact, a workaround is available", "workaround: available" },
        },
        {
                .name = "repeated crashes of a non-critical program: degradation",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_CRASH, "/usr/bin/helper", 4, T0, T0 + 30 * MIN_,
                                "SIGSEGV") },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "/usr/bin/helper crashed 4 times in 30 minutes (SIGSEGV) (repeated)" },
        },
        {
                .name = "single crash of a non-critical program: minor, P3",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_CRASH, "/usr/bin/helper", 1, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P3,
                .reasons = { "minor: /usr/bin/helper crashed" },
        },
        {
                .name = "crash loop of a critical unit's executable: outage, P1",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_CRASH, "/usr/bin/app", 3, T0, T0 + 5 * MIN_, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P1,
                .reasons = { "outage: /usr/bin/app crashed 3 times in 5 minutes" },
        },
        {
                .name = "critical unit restarting: outage",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .critical = { "app-*.service" },
                .findings = { F(FINDING_UNIT_RESTARTS, "app-eu.service", 6, T0, T0 + 20 * MIN_,
                                NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P1,
                .reasons = { "app-eu.service restarted 6 times in 20 minutes (critical unit, crash "
                             "loop)" },
        },
        {
                .name = "critical unit restarted twice: below threshold, P3",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .critical = { "app.service" },
                .findings = { F(FINDING_UNIT_RESTARTS, "app.service", 2, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P3,
                .not_reasons = { "outage:" },
        },
        {
                .name = "production, nothing found: P3 default",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .expect = SEVERITY_P3,
                .reasons = { "no rule matched", "no failed units, crashes" },
        },
        {
                .name = "staging, errors only: P4 minor issue",
                .environment = "staging",
                .env_source = INPUT_CONFIG,
                .findings = { F(FINDING_ERRORS, "app.service", 12, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P4,
                .reasons = { "minor issue without production impact",
                             "12 error lines from app.service" },
        },
        {
                .name = "unknown environment, nothing found: P3, not P4",
                .expect = SEVERITY_P3,
        },
        {
                .name = "stated significant impact, no evidence: P2, never P1",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .impact = "Checkout is down for all customers",
                .expect = SEVERITY_P2,
                .reasons = { "impact: \"Checkout is down for all customers\" (stated; significant",
                             "rule production_stated_impact" },
        },
        {
                .name = "stated minor impact in production: P4",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .impact = "cosmetic: a typo on the status page",
                .expect = SEVERITY_P4,
                .reasons = { "minor issue (stated impact)" },
        },
        {
                .name = "'download' is not the word 'down'",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .impact = "the download page is slow",
                .expect = SEVERITY_P3,
        },
        {
                .name = "person selected P1, suggestion stays P3",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .selected = "P1",
                .expect = SEVERITY_P3,
        },
        {
                .name = "production-eu counts as production",
                .environment = "Production-EU",
                .env_source = INPUT_CONFIG,
                .workaround = "no",
                .critical = { "db.service" },
                .findings = { F(FINDING_UNIT_DOWN, "db.service", 1, 0, 0, NULL),
                              F(FINDING_DISK_FULL, "/var/lib/db", 99, 0, 0, NULL) },
                .n_findings = 2,
                .expect = SEVERITY_P1,
                .reasons = { "outage: db.service is not running",
                             "degradation: file system /var/lib/db is 99% full" },
        },
        {
                .name = "crash request type from monitoring, critical crash loop",
                .environment = "production",
                .env_source = INPUT_CONFIG,
                .type = REQUEST_CRASH,
                .critical = { "app.service" },
                .findings = { F(FINDING_CRASH, "app", 2, 0, 0, NULL) },
                .n_findings = 1,
                .expect = SEVERITY_P2,
                .reasons = { "request type: crash" },
                .hint = "--workaround no",
        },
};

static void build_report(const struct scenario *sc, struct report *r)
{
        *r = (struct report) {};
        r->input.type = sc->type;
        r->input.workaround = !sc->workaround              ? TRISTATE_UNKNOWN :
                              streq(sc->workaround, "yes") ? TRISTATE_YES :
                                                             TRISTATE_NO;
        r->input.workaround_source = sc->workaround ? INPUT_CLI : INPUT_NONE;
        r->input.selected = sc->selected ? severity_from_string(sc->selected) : _SEVERITY_INVALID;
        if (sc->environment) {
                r->input.environment = strdup(sc->environment);
                r->input.environment_source = sc->env_source;
        }
        if (sc->impact) {
                r->input.impact = strdup(sc->impact);
                r->input.impact_source = INPUT_CLI;
        }
        for (size_t i = 0; i < ELEMENTSOF(sc->critical) && sc->critical[i]; i++)
                assert_int_equal(strv_extend(&r->input.critical_units, sc->critical[i]), 0);
        for (size_t i = 0; i < sc->n_findings; i++) {
                const struct fspec *fs = &sc->findings[i];
                struct finding f = {
                        .kind = fs->kind,
                        .subject = fs->subject,
                        .count = fs->count,
                        .first = fs->first,
                        .last = fs->last,
                        .detail = fs->detail,
                };

                assert_int_equal(report_add_finding(r, &f), 0);
        }
}

static bool any_reason_contains(char **reasons, const char *needle)
{
        STRV_FOREACH(s, reasons)
                if (strstr(*s, needle))
                        return true;
        return false;
}

static void dump(const struct scenario *sc, const struct severity_result *res)
{
        fprintf(stderr, "scenario '%s': suggested %s (expected %s), hint %s\n", sc->name,
                severity_to_string(res->suggested), severity_to_string(sc->expect),
                res->hint ? res->hint : "(none)");
        STRV_FOREACH(s, res->reasons)
                fprintf(stderr, "    %s\n", *s);
}

static void check_scenario(const struct severity_policy *p, const struct scenario *sc)
{
        struct severity_result res;
        struct report r;

        build_report(sc, &r);
        assert_int_equal(severity_suggest(p, &r, &res), 0);
        if (res.suggested != sc->expect)
                dump(sc, &res);
        assert_int_equal(res.suggested, sc->expect);
        for (size_t i = 0; i < ELEMENTSOF(sc->reasons) && sc->reasons[i]; i++) {
                if (!any_reason_contains(res.reasons, sc->reasons[i])) {
                        dump(sc, &res);
                        fail_msg("scenario '%s': no reason contains '%s'", sc->name,
                                 sc->reasons[i]);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(sc->not_reasons) && sc->not_reasons[i]; i++)
                if (any_reason_contains(res.reasons, sc->not_reasons[i])) {
                        dump(sc, &res);
                        fail_msg("scenario '%s': a reason contains '%s'", sc->name,
                                 sc->not_reasons[i]);
                }
        if (sc->hint) {
                if (!res.hint || !strstr(res.hint, sc->hint)) {
                        dump(sc, &res);
                        fail_msg("scenario '%s': hint should contain '%s'", sc->name, sc->hint);
                }
                /* The hint is also among the reasons, so support sees it. */
                assert_true(any_reason_contains(res.reasons, res.hint));
        } else if (res.hint) {
                dump(sc, &res);
                fail_msg("scenario '%s': unexpected hint '%s'", sc->name, res.hint);
        }
        if (sc->selected)
                assert_int_equal(res.selected, severity_from_string(sc->selected));
        else
                assert_int_equal(res.selected, _SEVERITY_INVALID);
        /* Hard lines. */
        if (res.suggested == SEVERITY_P1) {
                assert_true(r.input.workaround == TRISTATE_NO);
                assert_true(any_reason_contains(res.reasons, "outage: "));
        }
        if (r.input.type == REQUEST_QUESTION)
                assert_int_equal(res.suggested, SEVERITY_P4);
        /* The first reason is the decisive one and names the suggested level. */
        assert_non_null(res.reasons);
        assert_non_null(res.reasons[0]);

        severity_result_done(&res);
        report_done(&r);
}

static void test_scenarios_builtin(void **state)
{
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                check_scenario(NULL, &scenarios[i]);
}

static struct pnode *load_shipped(void)
{
        const char *srcdir = getenv("COLLECT_SRCDIR");
        _cleanup_free_ char *path = NULL, *err = NULL;
        struct pnode *root = NULL;

        path = xasprintf("%s/policies/severity.yaml", srcdir ? srcdir : ".");
        assert_non_null(path);
        if (pnode_parse_file(path, &root, &err) < 0)
                fail_msg("%s", err ? err : "parse failed");
        return root;
}

static void test_scenarios_shipped_policy(void **state)
{
        _cleanup_(pnode_freep) struct pnode *root = load_shipped();
        _cleanup_(severity_policy_freep) struct severity_policy *p = NULL;
        _cleanup_free_ char *err = NULL;

        (void) state;
        assert_int_equal(severity_policy_new(pnode_get(root, "severity"), &p, &err), 0);
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                check_scenario(p, &scenarios[i]);
}

static void test_selected_kept(void **state)
{
        struct severity_result res;
        struct report r;
        json_t *j;

        (void) state;
        build_report(&scenarios[0], &r);
        r.input.selected = SEVERITY_P3;
        assert_int_equal(severity_suggest(NULL, &r, &res), 0);
        assert_int_equal(res.suggested, SEVERITY_P1);
        assert_int_equal(res.selected, SEVERITY_P3);
        assert_int_equal(severity_result_effective(&res), SEVERITY_P3);

        j = severity_to_json(&res);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "suggested")), "P1");
        assert_string_equal(json_string_value(json_object_get(j, "selected")), "P3");
        assert_true(json_array_size(json_object_get(j, "reasons")) >= 3);
        assert_string_equal(json_string_value(json_object_get(j, "rule")), "production_outage");
        json_decref(j);
        severity_result_done(&res);

        r.input.selected = _SEVERITY_INVALID;
        assert_int_equal(severity_suggest(NULL, &r, &res), 0);
        j = severity_to_json(&res);
        assert_true(json_is_null(json_object_get(j, "selected")));
        assert_int_equal(severity_result_effective(&res), SEVERITY_P1);
        json_decref(j);
        severity_result_done(&res);
        report_done(&r);
}

static void test_determinism(void **state)
{
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++) {
                struct severity_result a, b;
                struct report r;

                build_report(&scenarios[i], &r);
                assert_int_equal(severity_suggest(NULL, &r, &a), 0);
                assert_int_equal(severity_suggest(NULL, &r, &b), 0);
                assert_int_equal(a.suggested, b.suggested);
                assert_int_equal(strv_length(a.reasons), strv_length(b.reasons));
                for (size_t k = 0; a.reasons[k]; k++)
                        assert_string_equal(a.reasons[k], b.reasons[k]);
                severity_result_done(&a);
                severity_result_done(&b);
                report_done(&r);
        }
}

static struct severity_policy *policy_from(const char *yaml)
{
        _cleanup_(pnode_freep) struct pnode *root = NULL;
        _cleanup_free_ char *err = NULL;
        struct severity_policy *p = NULL;

        if (pnode_parse_string("test.yaml", yaml, strlen(yaml), &root, &err) < 0)
                fail_msg("%s", err);
        if (severity_policy_new(pnode_get(root, "severity"), &p, &err) < 0)
                fail_msg("%s", err);
        return p;
}

/* A policy that says P1 for everything cannot cross the hard lines. */
static void test_hard_lines_hostile_policy(void **state)
{
        _cleanup_(severity_policy_freep) struct severity_policy *p = policy_from(
                "severity:\n  rules:\n    always:\n      severity: P1\n"
                "      reason: everything is critical\n");
        static const struct {
                const char *env;
                enum request_type type;
                enum tristate workaround;
                bool outage;
                enum severity expect;
                const char *reason;
        } t[] = {
                { "staging", REQUEST_INCIDENT, TRISTATE_NO, true, SEVERITY_P3,
                  "at most P3 outside production" },
                { NULL, REQUEST_INCIDENT, TRISTATE_NO, true, SEVERITY_P3,
                  "at most P3 outside production" },
                { "production", REQUEST_INCIDENT, TRISTATE_NO, false, SEVERITY_P2,
                  "P1 needs evidence of a production outage" },
                { "production", REQUEST_INCIDENT, TRISTATE_UNKNOWN, true, SEVERITY_P2,
                  "a workaround confirmed absent" },
                { "production", REQUEST_INCIDENT, TRISTATE_YES, true, SEVERITY_P2,
                  "a workaround confirmed absent" },
                { "production", REQUEST_QUESTION, TRISTATE_NO, true, SEVERITY_P4,
                  "information request (--type question) is P4" },
                { "production", REQUEST_INCIDENT, TRISTATE_NO, true, SEVERITY_P1,
                  "everything is critical" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct severity_result res;
                struct report r = {};
                struct finding f = { .kind = FINDING_UNIT_FAILED,
                                     .subject = "app.service",
                                     .count = 1 };

                r.input.type = t[i].type;
                r.input.workaround = t[i].workaround;
                r.input.workaround_source = INPUT_CLI;
                r.input.selected = _SEVERITY_INVALID;
                r.input.environment = t[i].env ? strdup(t[i].env) : NULL;
                r.input.environment_source = INPUT_CONFIG;
                assert_int_equal(strv_extend(&r.input.critical_units, "app.service"), 0);
                if (t[i].outage)
                        assert_int_equal(report_add_finding(&r, &f), 0);
                assert_int_equal(severity_suggest(p, &r, &res), 0);
                if (res.suggested != t[i].expect ||
                    !any_reason_contains(res.reasons, t[i].reason)) {
                        STRV_FOREACH(s, res.reasons)
                                fprintf(stderr, "  %s\n", *s);
                        fail_msg("case %zu: got %s", i, severity_to_string(res.suggested));
                }
                severity_result_done(&res);
                report_done(&r);
        }
}

/* Critical units may come from the policy instead of collect.yaml; rules can be
 * disabled by name; thresholds apply. */
static void test_policy_overrides(void **state)
{
        _cleanup_(severity_policy_freep) struct severity_policy *p = policy_from(
                "severity:\n"
                "  critical_units: [db.service]\n"
                "  disk_percent: 80\n"
                "  rules:\n"
                "    production_outage:\n"
                "      when: {production: true, outage: true, workaround: 'no'}\n"
                "      severity: P1\n"
                "      reason: site outage\n"
                "    disabled_rule:\n"
                "      enabled: false\n"
                "      severity: P1\n"
                "    disk:\n"
                "      when: {degradation: true}\n"
                "      severity: P2\n"
                "      reason: disk\n");
        struct severity_result res;
        struct report r = {};
        struct finding down = { .kind = FINDING_UNIT_DOWN, .subject = "db.service", .count = 1 };
        struct finding disk = { .kind = FINDING_DISK_FULL, .subject = "/", .count = 85 };

        (void) state;
        r.input.environment = strdup("production");
        r.input.environment_source = INPUT_CONFIG;
        r.input.workaround = TRISTATE_NO;
        r.input.workaround_source = INPUT_PROMPT;
        r.input.selected = _SEVERITY_INVALID;
        assert_int_equal(report_add_finding(&r, &down), 0);
        assert_int_equal(severity_suggest(p, &r, &res), 0);
        assert_int_equal(res.suggested, SEVERITY_P1);
        assert_true(any_reason_contains(res.reasons, "site outage"));
        assert_true(any_reason_contains(res.reasons, "workaround: none (stated at the prompt)"));
        severity_result_done(&res);
        report_done(&r);

        r = (struct report) {};
        r.input.environment = strdup("production");
        r.input.environment_source = INPUT_CONFIG;
        r.input.selected = _SEVERITY_INVALID;
        r.input.workaround = TRISTATE_UNKNOWN;
        assert_int_equal(report_add_finding(&r, &disk), 0);
        assert_int_equal(severity_suggest(p, &r, &res), 0);
        assert_int_equal(res.suggested, SEVERITY_P2);
        assert_true(any_reason_contains(res.reasons, "file system / is 85% full"));
        severity_result_done(&res);
        report_done(&r);
}

static void test_policy_errors(void **state)
{
        static const struct {
                const char *yaml;
                const char *error;
        } t[] = {
                { "severity:\n  fallback: P5\n", "test.yaml:2:13: invalid severity 'P5'" },
                { "severity:\n  bogus: 1\n", "test.yaml:2:3: unknown key 'bogus' in 'severity' "
                                             "(valid keys: production_environments" },
                { "severity:\n  rules:\n    x:\n      when: {outage: maybe}\n      severity: P2\n",
                  "invalid value 'maybe' for 'outage'" },
                { "severity:\n  rules:\n    x:\n      when: {workaround: perhaps}\n      severity: "
                  "P2\n",
                  "invalid value 'perhaps' for 'workaround' (valid: unknown, no, yes)" },
                { "severity:\n  rules:\n    x:\n      when: {production: perhaps}\n      "
                  "severity: P2\n",
                  "invalid value 'perhaps' for 'production' (valid: unknown, false, true, yes, "
                  "no)" },
                { "severity:\n  rules:\n    x:\n      when: {colour: red}\n      severity: P2\n",
                  "test.yaml:4:14: unknown key 'colour'" },
                { "severity:\n  rules:\n    x:\n      reason: no level\n",
                  "test.yaml:4:7: rule 'x' has no 'severity'" },
                { "severity:\n  restarts: 0\n", "test.yaml:2:13" },
                { "severity:\n  rules: [a, b]\n", "test.yaml:2:10" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_(pnode_freep) struct pnode *root = NULL;
                _cleanup_free_ char *err = NULL;

                assert_int_equal(pnode_parse_string("test.yaml", t[i].yaml, strlen(t[i].yaml),
                                                    &root, &err),
                                 0);
                assert_true(severity_check_policy(pnode_get(root, "severity"), &err) < 0);
                assert_non_null(err);
                if (!strstr(err, t[i].error))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, err, t[i].error);
        }
}

static void test_describe(void **state)
{
        static const struct {
                struct finding f;
                const char *expect;
        } t[] = {
                { { .kind = FINDING_UNIT_FAILED,
                    .subject = "app.service",
                    .count = 5,
                    .first = T0,
                    .last = T0 + 10 * MIN_ },
                  "app.service failed 5 times in 10 minutes" },
                { { .kind = FINDING_UNIT_FAILED,
                    .subject = "app.service",
                    .count = 1,
                    .detail = "core-dump" },
                  "app.service failed (core-dump)" },
                { { .kind = FINDING_DISK_FULL, .subject = "/var", .count = 97 },
                  "file system /var is 97% full" },
                { { .kind = FINDING_CONFIG_CHANGES, .subject = "files", .count = 0 },
                  "no configuration changes in the window" },
                { { .kind = FINDING_CONFIG_CHANGES, .subject = "files", .count = 3 },
                  "3 configuration files changed in the window" },
                { { .kind = FINDING_ERRORS, .subject = "nginx.service", .count = 1 },
                  "1 error line from nginx.service" },
                { { .kind = FINDING_UNIT_RESTARTS,
                    .subject = "a.service",
                    .count = 4,
                    .first = T0,
                    .last = T0 + 90 * USEC_PER_SEC },
                  "a.service restarted 4 times in 90 seconds" },
                { { .kind = FINDING_CRASH,
                    .subject = "/usr/bin/x",
                    .count = 2,
                    .first = T0,
                    .last = T0 + 26 * 3600 * USEC_PER_SEC },
                  "/usr/bin/x crashed 2 times in 26 hours" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *d = severity_describe_finding(&t[i].f);

                assert_non_null(d);
                assert_string_equal(d, t[i].expect);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scenarios_builtin),
                cmocka_unit_test(test_scenarios_shipped_policy),
                cmocka_unit_test(test_selected_kept),
                cmocka_unit_test(test_determinism),
                cmocka_unit_test(test_hard_lines_hostile_policy),
                cmocka_unit_test(test_policy_overrides),
                cmocka_unit_test(test_policy_errors),
                cmocka_unit_test(test_describe),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
