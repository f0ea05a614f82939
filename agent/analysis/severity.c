/* SPDX-License-Identifier: MIT */
/*
 * The severity engine: signals (environment, outage, degradation, errors,
 * crashes, stated impact and workaround, request type) are computed from the
 * report, the policy's ordered rules pick a level, and the hard lines are
 * applied last. Pure and deterministic: the same report and policy always
 * give the same result, reasons in the same order.
 */

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "finding.h"
#include "macro.h"
#include "policy/pnode.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "analysis/severity-policy.h"
#include "strv.h"

/* Evidence lines kept per signal in the reasons. */
#define EVIDENCE_MAX 5
/* Longest quote of the stated impact in a reason. */
#define IMPACT_QUOTE_MAX 80

static const char *sev_str(enum severity s)
{
        const char *t = severity_to_string(s);

        return t ? t : "none";
}

/* ---- signals ---- */

struct signals {
        enum prod_state production;
        bool critical_configured;
        bool outage;
        bool degradation;
        bool errors;
        bool crash;
        bool unit_failure; /* a non-critical unit failed, is down or crash-looping */
        enum impact_class impact;
        const char *impact_word;
        char **outage_ev;
        char **degradation_ev;
        char **minor_ev;
        char **change_ev; /* configuration changes that touched a failing unit */
        size_t n_outage, n_degradation, n_minor, n_change;
        uint64_t error_lines;
};

static void signals_done(struct signals *s)
{
        strv_free(s->outage_ev);
        strv_free(s->degradation_ev);
        strv_free(s->minor_ev);
        strv_free(s->change_ev);
}

static bool strv_isempty_local(char *const *l)
{
        return !l || !l[0];
}

static bool env_is_production(const struct severity_policy *p, const char *env)
{
        STRV_FOREACH(pat, p->production_environments)
                if (fnmatch(*pat, env, FNM_CASEFOLD) == 0)
                        return true;
        return false;
}

/* Whether a finding's subject names unit: "app.service" matches "app.service",
 * "app", "/usr/bin/app" and glob patterns such as "app-*.service". */
static bool subject_matches_unit(const char *subject, const char *unit)
{
        const char *base, *dot;
        size_t stem;

        if (isempty(subject) || isempty(unit))
                return false;
        if (fnmatch(unit, subject, 0) == 0)
                return true;
        base = strrchr(subject, '/');
        base = base ? base + 1 : subject;
        if (fnmatch(unit, base, 0) == 0)
                return true;
        /* Compare the unit's stem (without ".service") with the executable. */
        dot = strrchr(unit, '.');
        stem = dot ? (size_t) (dot - unit) : strlen(unit);
        if (stem > 0 && strlen(base) == stem && strneq(base, unit, stem))
                return true;
        return false;
}

static bool is_critical(const struct severity_policy *p, const struct report *r,
                        const char *subject)
{
        STRV_FOREACH(u, r->input.critical_units)
                if (subject_matches_unit(subject, *u))
                        return true;
        STRV_FOREACH(u, p->critical_units)
                if (subject_matches_unit(subject, *u))
                        return true;
        return false;
}

/* Case-insensitive search for a word or phrase at word boundaries. */
static bool contains_phrase(const char *text, const char *phrase)
{
        size_t n = strlen(phrase);

        if (n == 0)
                return false;
        for (const char *t = text; *t; t++) {
                if (strncasecmp(t, phrase, n) != 0)
                        continue;
                bool start_ok = t == text || !(isalnum((unsigned char) t[-1]));
                bool end_ok = !isalnum((unsigned char) t[n]);
                if (start_ok && end_ok)
                        return true;
        }
        return false;
}

static int add_evidence(char ***l, size_t *n, const struct finding *f, const char *suffix)
{
        _cleanup_free_ char *d = NULL;

        (*n)++;
        if (*n > EVIDENCE_MAX)
                return 0;
        d = severity_describe_finding(f);
        if (!d)
                return -ENOMEM;
        if (suffix) {
                char *t = xasprintf("%s%s", d, suffix);

                if (!t)
                        return -ENOMEM;
                free(d);
                d = t;
        }
        return strv_consume(l, TAKE_PTR(d));
}

/* Evidence of degradation when at the policy's threshold, else of a minor issue. */
static int degradation_or_minor(struct signals *s, const struct finding *f, bool at_threshold)
{
        if (at_threshold) {
                s->degradation = true;
                return add_evidence(&s->degradation_ev, &s->n_degradation, f, NULL);
        }
        return add_evidence(&s->minor_ev, &s->n_minor, f, NULL);
}

/* True if another finding says the same (kind and subject; several collectors
 * may see one failure) with a larger count, or the same count earlier: each
 * distinct finding is a reason once. */
static bool superseded(const struct report *r, size_t i)
{
        const struct finding *f = &r->findings[i];

        if (!f->subject || f->kind == FINDING_HOST_FACT)
                return false;
        for (size_t k = 0; k < r->n_findings; k++) {
                const struct finding *g = &r->findings[k];

                if (k == i || g->kind != f->kind || !g->subject || !streq(g->subject, f->subject))
                        continue;
                if (g->count > f->count || (g->count == f->count && k < i))
                        return true;
        }
        return false;
}

/* Unit failures, restarts and crashes: outage evidence on a critical unit. */
static int unit_signal(const struct severity_policy *p, const struct finding *f, bool critical,
                       struct signals *s)
{
        const char *crit_suffix = " (critical unit)";
        int k;

        switch (f->kind) {
        case FINDING_UNIT_FAILED:
        case FINDING_UNIT_DOWN:
                if (critical) {
                        s->outage = true;
                        k = add_evidence(&s->outage_ev, &s->n_outage, f, crit_suffix);
                } else {
                        s->degradation = true;
                        s->unit_failure = true;
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f, NULL);
                }
                break;
        case FINDING_UNIT_RESTARTS:
                if (f->count >= p->restarts && critical) {
                        s->outage = true;
                        k = add_evidence(&s->outage_ev, &s->n_outage, f,
                                         " (critical unit, crash loop)");
                } else if (f->count >= p->restarts) {
                        s->degradation = true;
                        s->unit_failure = true;
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f, " (crash loop)");
                } else if (f->count > 0)
                        k = add_evidence(&s->minor_ev, &s->n_minor, f, NULL);
                else
                        k = 0;
                break;
        case FINDING_CRASH:
        case FINDING_SEGFAULT:
                s->crash = true;
                if (f->kind == FINDING_CRASH && critical && f->count >= p->crashes) {
                        s->outage = true;
                        k = add_evidence(&s->outage_ev, &s->n_outage, f,
                                         " (critical unit, crash loop)");
                } else if (critical || f->count >= p->crashes) {
                        s->degradation = true;
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f,
                                         critical ? crit_suffix : " (repeated)");
                } else
                        k = add_evidence(&s->minor_ev, &s->n_minor, f, NULL);
                break;
        default:
                k = 0;
                break;
        }
        return k;
}

/* One finding's contribution to the signals. */
static int finding_signal(const struct severity_policy *p, const struct finding *f, bool critical,
                          struct signals *s)
{
        int k;

        switch (f->kind) {
        case FINDING_UNIT_FAILED:
        case FINDING_UNIT_DOWN:
        case FINDING_UNIT_RESTARTS:
        case FINDING_CRASH:
        case FINDING_SEGFAULT:
                k = unit_signal(p, f, critical, s);
                break;
        case FINDING_OOM_KILL:
                k = degradation_or_minor(s, f, f->count >= p->oom_kills || f->count == 0);
                break;
        case FINDING_DISK_FULL:
                k = degradation_or_minor(s, f, f->count >= p->disk_percent);
                break;
        case FINDING_RESOURCE_EXHAUSTED:
                k = degradation_or_minor(s, f, true);
                break;
        case FINDING_INODES_FULL:
                k = degradation_or_minor(s, f, f->count >= p->inode_percent);
                break;
        case FINDING_ERROR_SURGE:
                s->errors = true;
                if (f->count >= p->error_surge) {
                        s->degradation = true;
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f, NULL);
                } else
                        k = 0;
                break;
        case FINDING_KERNEL_ERROR:
                if (f->count >= p->kernel_errors) {
                        s->degradation = true;
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f, NULL);
                } else
                        k = 0;
                break;
        case FINDING_CONFIG_TOUCHES_FAILING:
                k = add_evidence(&s->change_ev, &s->n_change, f, NULL);
                break;
        case FINDING_ERRORS:
                if (f->count > 0) {
                        s->errors = true;
                        s->error_lines += f->count;
                        k = add_evidence(&s->minor_ev, &s->n_minor, f, NULL);
                } else
                        k = 0;
                break;
        default:
                k = 0;
                break;
        }
        return k;
}

static void impact_signal(const struct severity_policy *p, const char *impact, struct signals *s)
{
        if (isempty(impact)) {
                s->impact = IMPACT_NONE;
                return;
        }
        s->impact = IMPACT_OTHER;
        STRV_FOREACH(w, p->minor_impact)
                if (contains_phrase(impact, *w)) {
                        s->impact = IMPACT_MINOR;
                        s->impact_word = *w;
                        return;
                }
        STRV_FOREACH(w, p->significant_impact)
                if (contains_phrase(impact, *w)) {
                        s->impact = IMPACT_SIGNIFICANT;
                        s->impact_word = *w;
                        return;
                }
}

static int compute_signals(const struct severity_policy *p, const struct report *r,
                           struct signals *s)
{
        const struct user_input *in = &r->input;
        int k;

        *s = (struct signals) {};
        if (isempty(in->environment))
                s->production = PROD_UNKNOWN;
        else
                s->production = env_is_production(p, in->environment) ? PROD_YES : PROD_NO;
        s->critical_configured = !strv_isempty_local(in->critical_units) ||
                                 !strv_isempty_local(p->critical_units);
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];

                if (superseded(r, i))
                        continue;
                k = finding_signal(p, f, is_critical(p, r, f->subject), s);
                if (k < 0)
                        return k;
        }
        impact_signal(p, in->impact, s);
        return 0;
}

static bool mask_ok(unsigned mask, unsigned value)
{
        return mask == 0 || (mask & (1u << value));
}

static int workaround_index(enum tristate t)
{
        return t == TRISTATE_NO ? 1 : t == TRISTATE_YES ? 2 : 0;
}

static bool rule_matches(const struct severity_rule *rule, const struct report *r,
                         const struct signals *s)
{
        unsigned type = r->input.type >= 0 && r->input.type < _REQUEST_TYPE_MAX ?
                                (unsigned) r->input.type :
                                REQUEST_INCIDENT;

        return mask_ok(rule->type_mask, type) && mask_ok(rule->production_mask, s->production) &&
               mask_ok(rule->workaround_mask, (unsigned) workaround_index(r->input.workaround)) &&
               mask_ok(rule->impact_mask, s->impact) && mask_ok(rule->outage_mask, s->outage) &&
               mask_ok(rule->degradation_mask, s->degradation) &&
               mask_ok(rule->errors_mask, s->errors) && mask_ok(rule->crash_mask, s->crash);
}

/* Where a stated value came from; cli names the option for INPUT_CLI. */
static const char *source_label_for(enum input_source src, const char *cli, const char *none)
{
        switch (src) {
        case INPUT_CLI:
                return cli;
        case INPUT_PROMPT:
                return "stated at the prompt";
        case INPUT_CONFIG:
                return "collect.yaml";
        case INPUT_POLICY:
                return "policy";
        default:
                return none;
        }
}

static const char *source_label(enum input_source src)
{
        return source_label_for(src, "stated", "not stated");
}

static const char *env_source_label(enum input_source src)
{
        return source_label_for(src, "--environment", "unknown source");
}

static int addf(char ***l, const char *fmt, ...) _printf_(2, 3);
static int addf(char ***l, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0 || alloc_should_fail()) {
                if (k >= 0)
                        free(s);
                return -ENOMEM;
        }
        return strv_consume(l, s);
}

static int add_list(char ***l, const char *prefix, char **ev, size_t n)
{
        int k;

        STRV_FOREACH(e, ev) {
                k = addf(l, "%s: %s", prefix, *e);
                if (k < 0)
                        return k;
        }
        if (n > EVIDENCE_MAX) {
                k = addf(l, "%s: and %zu more", prefix, n - EVIDENCE_MAX);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Hard lines, whatever the policy says; each clamp is a reason. */
static int clamp_severity(const struct user_input *in, const struct signals *s, enum severity *sev,
                          char ***clamps)
{
        int k = 0;

        if (in->type == REQUEST_QUESTION && *sev != SEVERITY_P4) {
                *sev = SEVERITY_P4;
                k = addf(clamps, "an information request (--type question) is P4");
        }
        if (k >= 0 && *sev == SEVERITY_P1 &&
            !(s->production == PROD_YES && s->outage && in->workaround == TRISTATE_NO)) {
                *sev = SEVERITY_P2;
                k = addf(clamps, "at most P2: P1 needs evidence of a production outage and "
                                 "a workaround confirmed absent");
        }
        if (k >= 0 && s->production != PROD_YES && *sev < SEVERITY_P3) {
                *sev = SEVERITY_P3;
                k = addf(clamps, "at most P3 outside production");
        }
        return k;
}

/* The decisive reason first, then the clamps, the request type and the environment. */
static int reasons_head(const struct severity_policy *policy, const struct severity_rule *matched,
                        const struct user_input *in, const struct signals *s, char **clamps,
                        char ***reasons)
{
        int k;

        if (matched)
                k = addf(reasons, "%s: %s (rule %s)", sev_str(matched->severity),
                         matched->reason ? matched->reason : matched->name, matched->name);
        else
                k = addf(reasons,
                         "%s: no rule matched; the default when nothing else "
                         "applies",
                         sev_str(policy->fallback));
        STRV_FOREACH(c, clamps)
                if (k >= 0)
                        k = strv_extend(reasons, *c);
        if (k >= 0 && in->type == REQUEST_QUESTION)
                k = addf(reasons, "request type: question (information request)");
        else if (k >= 0 && in->type == REQUEST_CRASH)
                k = addf(reasons, "request type: crash (filed by monitoring)");
        if (k < 0)
                return k;
        if (s->production == PROD_UNKNOWN)
                return addf(reasons, "environment: not stated (not evidence of production)");
        if (s->production == PROD_YES)
                return addf(reasons, "environment: %s (%s)", in->environment,
                            env_source_label(in->environment_source));
        return addf(reasons, "environment: %s (%s), not production", in->environment,
                    env_source_label(in->environment_source));
}

/* The evidence: outage, degradation, changes, and the minor findings when
 * nothing worse was found. */
static int reasons_evidence(const struct signals *s, char ***reasons)
{
        int k;

        k = add_list(reasons, "outage", s->outage_ev, s->n_outage);
        if (k >= 0)
                k = add_list(reasons, "degradation", s->degradation_ev, s->n_degradation);
        if (k >= 0)
                k = add_list(reasons, "recent change", s->change_ev, s->n_change);
        if (k < 0 || s->outage || s->degradation)
                return k;
        k = add_list(reasons, "minor", s->minor_ev, s->n_minor);
        if (k >= 0 && s->n_minor == 0)
                k = addf(reasons, "no failed units, crashes, resource exhaustion or "
                                  "errors found in the window");
        return k;
}

/* What the person said: workaround and impact. */
static int reasons_person(const struct user_input *in, const struct signals *s, char ***reasons)
{
        int k = 0;

        if (in->type != REQUEST_QUESTION || in->workaround != TRISTATE_UNKNOWN) {
                if (in->workaround == TRISTATE_NO)
                        k = addf(reasons, "workaround: none (%s)",
                                 source_label(in->workaround_source));
                else if (in->workaround == TRISTATE_YES)
                        k = addf(reasons, "workaround: available (%s)",
                                 source_label(in->workaround_source));
                else
                        k = addf(reasons, "workaround: unknown (not stated)");
        }
        if (k >= 0 && s->impact != IMPACT_NONE) {
                size_t len = strlen(in->impact);
                bool cut = len > IMPACT_QUOTE_MAX;

                if (s->impact_word)
                        k = addf(reasons, "impact: \"%.*s%s\" (%s; %s: \"%s\")",
                                 (int) MIN(len, (size_t) IMPACT_QUOTE_MAX), in->impact,
                                 cut ? "…" : "", source_label(in->impact_source),
                                 impact_class_to_string(s->impact), s->impact_word);
                else
                        k = addf(reasons, "impact: \"%.*s%s\" (%s)",
                                 (int) MIN(len, (size_t) IMPACT_QUOTE_MAX), in->impact,
                                 cut ? "…" : "", source_label(in->impact_source));
        }
        return k;
}

/* What would make it P1; NULL when nothing would (or on OOM: the hint is optional). */
static char *p1_hint(enum severity sev, const struct user_input *in, const struct signals *s)
{
        if (sev == SEVERITY_P1 || in->type == REQUEST_QUESTION)
                return NULL;
        if (s->outage && s->production == PROD_YES && in->workaround == TRISTATE_UNKNOWN)
                return xasprintf("would be P1 if no workaround exists: use --workaround no");
        if (s->outage && s->production == PROD_UNKNOWN && in->workaround != TRISTATE_YES)
                return xasprintf("would be P1 if this is production and no workaround "
                                 "exists: use --environment production%s",
                                 in->workaround == TRISTATE_NO ? "" : " --workaround no");
        if (!s->outage && s->unit_failure && s->production == PROD_YES &&
            in->workaround != TRISTATE_YES && !s->critical_configured)
                return xasprintf("would be P1 if a failed service is critical and down: "
                                 "list it in critical_units (collect.yaml)%s",
                                 in->workaround == TRISTATE_NO ? "" : " and use --workaround no");
        return NULL;
}

static int suggest(const struct severity_policy *policy, const struct report *r, struct signals *s,
                   struct severity_result *ret)
{
        _cleanup_strv_free_ char **reasons = NULL, **clamps = NULL;
        _cleanup_free_ char *hint = NULL, *rule_name = NULL;
        const struct user_input *in = &r->input;
        const struct severity_rule *matched = NULL;
        enum severity sev;
        int k;

        for (size_t i = 0; i < policy->n_rules; i++)
                if (rule_matches(&policy->rules[i], r, s)) {
                        matched = &policy->rules[i];
                        break;
                }
        sev = matched ? matched->severity : policy->fallback;
        k = clamp_severity(in, s, &sev, &clamps);
        if (k >= 0)
                k = reasons_head(policy, matched, in, s, clamps, &reasons);
        if (k >= 0)
                k = reasons_evidence(s, &reasons);
        if (k >= 0)
                k = reasons_person(in, s, &reasons);
        if (k < 0)
                return k;
        hint = p1_hint(sev, in, s);
        if (hint && strv_extend(&reasons, hint) < 0)
                return -ENOMEM;
        if (matched && matched->name && !(rule_name = xstrdup(matched->name)))
                return -ENOMEM;
        *ret = (struct severity_result) {
                .suggested = sev,
                .selected = in->selected >= 0 && in->selected < _SEVERITY_MAX ? in->selected :
                                                                                _SEVERITY_INVALID,
                .rule = TAKE_PTR(rule_name),
                .reasons = TAKE_PTR(reasons),
                .hint = TAKE_PTR(hint),
        };
        return 0;
}

int severity_suggest(const struct severity_policy *policy, const struct report *r,
                     struct severity_result *ret)
{
        _cleanup_(severity_policy_freep) struct severity_policy *own = NULL;
        struct signals s;
        int k;

        if (!policy) {
                k = severity_policy_new(NULL, &own, NULL);
                if (k < 0)
                        return k;
                policy = own;
        }
        k = compute_signals(policy, r, &s);
        if (k >= 0)
                k = suggest(policy, r, &s, ret);
        signals_done(&s);
        return k;
}

int severity_evaluate(const struct pnode *section, const struct report *r,
                      struct severity_result *ret, char **ret_error)
{
        _cleanup_(severity_policy_freep) struct severity_policy *p = NULL;
        int k;

        k = severity_policy_new(section, &p, ret_error);
        if (k < 0)
                return k;
        return severity_suggest(p, r, ret);
}
