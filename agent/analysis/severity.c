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
#include "policy/builtin-policies.h"
#include "policy/pnode.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "strv.h"

/* Evidence lines kept per signal in the reasons. */
#define EVIDENCE_MAX 5
/* Longest quote of the stated impact in a reason. */
#define IMPACT_QUOTE_MAX 80

enum prod_state {
        PROD_UNKNOWN,
        PROD_NO,
        PROD_YES,
        _PROD_MAX,
};

enum impact_class {
        IMPACT_NONE,        /* not stated */
        IMPACT_MINOR,       /* stated, with a word of the minor_impact list */
        IMPACT_OTHER,       /* stated, no listed word */
        IMPACT_SIGNIFICANT, /* stated, with a word of the significant_impact list */
        _IMPACT_MAX,
};

static const char *const prod_table[_PROD_MAX] = {
        [PROD_UNKNOWN] = "unknown",
        [PROD_NO] = "false",
        [PROD_YES] = "true",
};

static const char *const impact_table[_IMPACT_MAX] = {
        [IMPACT_NONE] = "none",
        [IMPACT_MINOR] = "minor",
        [IMPACT_OTHER] = "other",
        [IMPACT_SIGNIFICANT] = "significant",
};

/* Indexed by tristate + 1. */
static const char *const workaround_table[3] = {
        [0] = "unknown",
        [1] = "no",
        [2] = "yes",
};

static const char *const type_table[_REQUEST_TYPE_MAX] = {
        [REQUEST_INCIDENT] = "incident",
        [REQUEST_QUESTION] = "question",
        [REQUEST_CRASH] = "crash",
};

static const char *const severity_names[_SEVERITY_MAX] = {
        [SEVERITY_P1] = "P1",
        [SEVERITY_P2] = "P2",
        [SEVERITY_P3] = "P3",
        [SEVERITY_P4] = "P4",
};

struct severity_rule {
        char *name;
        char *reason;
        enum severity severity;
        /* Bit masks of accepted values; 0 accepts anything. */
        unsigned type_mask;       /* bits of enum request_type */
        unsigned production_mask; /* bits of enum prod_state */
        unsigned workaround_mask; /* bits of tristate + 1 */
        unsigned impact_mask;     /* bits of enum impact_class */
        unsigned outage_mask;     /* bit 0: false, bit 1: true */
        unsigned degradation_mask;
        unsigned errors_mask;
        unsigned crash_mask;
};

struct severity_policy {
        char **production_environments;
        char **critical_units;
        char **significant_impact;
        char **minor_impact;
        uint64_t restarts;
        uint64_t crashes;
        uint64_t disk_percent;
        uint64_t inode_percent;
        uint64_t oom_kills;
        uint64_t error_surge;
        uint64_t kernel_errors;
        enum severity fallback;
        struct severity_rule *rules;
        size_t n_rules;
};

/*
 * The built-in defaults, the same as policies/severity.yaml (a unit test
 * checks that both give the same results). A key missing from the policy
 * section is taken from here.
 */
static const char *const section_keys[] = {
        "production_environments", "critical_units", "significant_impact", "minor_impact",
        "restarts", "crashes", "disk_percent", "inode_percent", "oom_kills", "error_surge",
        "kernel_errors", "fallback", "rules", NULL,
};

static const char *const rule_keys[] = { "when", "severity", "reason", "enabled", NULL };

static const char *const when_keys[] = {
        "type", "production", "outage", "degradation", "errors", "crash", "workaround",
        "impact", NULL,
};

static enum severity parse_severity(const char *s)
{
        if (!s)
                return _SEVERITY_INVALID;
        if ((s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '4' && s[2] == '\0')
                return (enum severity) (s[1] - '1');
        return _SEVERITY_INVALID;
}

static const char *sev_str(enum severity s)
{
        if (s < 0 || s >= _SEVERITY_MAX)
                return "none";
        return severity_names[s];
}

static void rule_done(struct severity_rule *rule)
{
        rule->name = mfree(rule->name);
        rule->reason = mfree(rule->reason);
}

struct severity_policy *severity_policy_free(struct severity_policy *p)
{
        if (!p)
                return NULL;
        strv_free(p->production_environments);
        strv_free(p->critical_units);
        strv_free(p->significant_impact);
        strv_free(p->minor_impact);
        for (size_t i = 0; i < p->n_rules; i++)
                rule_done(&p->rules[i]);
        free(p->rules);
        free(p);
        return NULL;
}

/* Child of section, else of the defaults. */
static const struct pnode *get_key(const struct pnode *section, const struct pnode *defaults,
                                   const char *key)
{
        const struct pnode *n = pnode_get(section, key);

        return n ? n : pnode_get(defaults, key);
}

/* Parses a condition value (a scalar or a list of scalars) into a bit mask. */
static int parse_mask(const struct pnode *n, const char *what, const char *const *table,
                      size_t n_table, unsigned *ret, char **ret_error)
{
        _cleanup_strv_free_ char **l = NULL;
        unsigned mask = 0;
        int r;

        r = pnode_to_strv(n, &l, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(s, l) {
                size_t i;
                bool found = false;

                for (i = 0; i < n_table; i++)
                        if (table[i] && strcasecmp(table[i], *s) == 0) {
                                found = true;
                                break;
                        }
                /* Booleans also accept yes/no. */
                if (!found && table == prod_table) {
                        if (strcasecmp(*s, "yes") == 0) {
                                i = PROD_YES;
                                found = true;
                        } else if (strcasecmp(*s, "no") == 0) {
                                i = PROD_NO;
                                found = true;
                        }
                }
                if (!found) {
                        _cleanup_free_ char *valid = NULL;
                        struct dynbuf b;

                        dynbuf_init(&b, 4096);
                        for (size_t j = 0; j < n_table; j++)
                                if (table[j])
                                        (void) dynbuf_addf(&b, "%s%s", b.len ? ", " : "",
                                                           table[j]);
                        valid = dynbuf_steal(&b);
                        if (ret_error)
                                *ret_error = pnode_error(n, "invalid value '%s' for '%s' "
                                                         "(valid: %s)", *s, what,
                                                         valid ? valid : "");
                        return -EINVAL;
                }
                mask |= 1u << i;
        }
        *ret = mask;
        return 0;
}

static int parse_bool_mask(const struct pnode *n, const char *what, unsigned *ret,
                           char **ret_error)
{
        static const char *const bool_table[2] = { "false", "true" };
        _cleanup_strv_free_ char **l = NULL;
        unsigned mask = 0;
        int r;

        r = pnode_to_strv(n, &l, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(s, l) {
                if (strcasecmp(*s, "true") == 0 || strcasecmp(*s, "yes") == 0)
                        mask |= 1u << 1;
                else if (strcasecmp(*s, "false") == 0 || strcasecmp(*s, "no") == 0)
                        mask |= 1u << 0;
                else {
                        if (ret_error)
                                *ret_error = pnode_error(n, "invalid value '%s' for '%s' "
                                                         "(valid: %s, %s)", *s, what,
                                                         bool_table[0], bool_table[1]);
                        return -EINVAL;
                }
        }
        *ret = mask;
        return 0;
}

static int parse_rule(const struct pnode *n, struct severity_rule *rule, bool *ret_enabled,
                      char **ret_error)
{
        const struct pnode *when, *c;
        _cleanup_free_ char *sev = NULL;
        bool enabled = true;
        int r;

        r = pnode_check_keys(n, n->key ? n->key : "rules", rule_keys, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_bool(pnode_get(n, "enabled"), &enabled, ret_error);
        if (r < 0)
                return r;

        c = pnode_get(n, "severity");
        if (!c) {
                if (ret_error)
                        *ret_error = pnode_error(n, "rule '%s' has no 'severity'",
                                                 n->key ? n->key : "?");
                return -EINVAL;
        }
        r = pnode_to_string(c, &sev, ret_error);
        if (r < 0)
                return r;
        rule->severity = parse_severity(sev);
        if (rule->severity < 0) {
                if (ret_error)
                        *ret_error = pnode_error(c, "invalid severity '%s' (valid: P1, P2, P3, "
                                                 "P4)", sev);
                return -EINVAL;
        }

        r = pnode_to_string(pnode_get(n, "reason"), &rule->reason, ret_error);
        if (r < 0)
                return r;

        when = pnode_get(n, "when");
        if (when) {
                r = pnode_check_keys(when, "when", when_keys, ret_error);
                if (r < 0)
                        return r;
                c = pnode_get(when, "type");
                if (c) {
                        r = parse_mask(c, "type", type_table, ELEMENTSOF(type_table),
                                       &rule->type_mask, ret_error);
                        if (r < 0)
                                return r;
                }
                c = pnode_get(when, "production");
                if (c) {
                        r = parse_mask(c, "production", prod_table, ELEMENTSOF(prod_table),
                                       &rule->production_mask, ret_error);
                        if (r < 0)
                                return r;
                }
                c = pnode_get(when, "workaround");
                if (c) {
                        r = parse_mask(c, "workaround", workaround_table,
                                       ELEMENTSOF(workaround_table), &rule->workaround_mask,
                                       ret_error);
                        if (r < 0)
                                return r;
                }
                c = pnode_get(when, "impact");
                if (c) {
                        r = parse_mask(c, "impact", impact_table, ELEMENTSOF(impact_table),
                                       &rule->impact_mask, ret_error);
                        if (r < 0)
                                return r;
                }
                r = parse_bool_mask(pnode_get(when, "outage"), "outage", &rule->outage_mask,
                                    ret_error);
                if (r < 0)
                        return r;
                r = parse_bool_mask(pnode_get(when, "degradation"), "degradation",
                                    &rule->degradation_mask, ret_error);
                if (r < 0)
                        return r;
                r = parse_bool_mask(pnode_get(when, "errors"), "errors", &rule->errors_mask,
                                    ret_error);
                if (r < 0)
                        return r;
                r = parse_bool_mask(pnode_get(when, "crash"), "crash", &rule->crash_mask,
                                    ret_error);
                if (r < 0)
                        return r;
        }

        if (n->key) {
                rule->name = xstrdup(n->key);
                if (!rule->name)
                        return -ENOMEM;
        }
        *ret_enabled = enabled;
        return 0;
}

static int parse_rules(const struct pnode *n, struct severity_policy *p, char **ret_error)
{
        int r;

        r = pnode_expect(n, PNODE_MAP, "rules (a map of rule name to rule)", ret_error);
        if (r < 0)
                return r;
        p->rules = xcalloc(n->n_items ? n->n_items : 1, sizeof(struct severity_rule));
        if (!p->rules)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_items; i++) {
                struct severity_rule rule = {};
                bool enabled = true;

                r = pnode_expect(n->items[i], PNODE_MAP, "a rule (map)", ret_error);
                if (r < 0)
                        return r;
                /* A rule name appearing twice in the same file is a mistake. */
                for (size_t j = 0; j < i; j++)
                        if (n->items[j]->key && n->items[i]->key &&
                            streq(n->items[j]->key, n->items[i]->key)) {
                                if (ret_error)
                                        *ret_error = pnode_error(n->items[i],
                                                                 "duplicate rule '%s'",
                                                                 n->items[i]->key);
                                return -EINVAL;
                        }
                r = parse_rule(n->items[i], &rule, &enabled, ret_error);
                if (r < 0) {
                        rule_done(&rule);
                        return r;
                }
                if (!enabled) {
                        rule_done(&rule);
                        continue;
                }
                p->rules[p->n_rules++] = rule;
        }
        return 0;
}

static int parse_u64_key(const struct pnode *section, const struct pnode *defaults,
                         const char *key, uint64_t min, uint64_t max, uint64_t *ret,
                         char **ret_error)
{
        return pnode_to_u64(get_key(section, defaults, key), min, max, ret, ret_error);
}

int severity_policy_new(const struct pnode *section, struct severity_policy **ret,
                        char **ret_error)
{
        _cleanup_(severity_policy_freep) struct severity_policy *p = NULL;
        _cleanup_(pnode_freep) struct pnode *def_root = NULL;
        _cleanup_free_ char *fallback = NULL;
        const struct pnode *defaults, *n;
        int r;

        /* the defaults are the shipped policies/severity.yaml, compiled in (one copy) */
        r = policy_builtin_section("severity.yaml", "severity", &def_root, &defaults, ret_error);
        if (r < 0)
                return r;

        if (section) {
                r = pnode_check_keys(section, "severity", section_keys, ret_error);
                if (r < 0)
                        return r;
        }

        p = xcalloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;

        r = pnode_to_strv(get_key(section, defaults, "production_environments"),
                          &p->production_environments, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_strv(get_key(section, defaults, "critical_units"), &p->critical_units,
                          ret_error);
        if (r < 0)
                return r;
        r = pnode_to_strv(get_key(section, defaults, "significant_impact"),
                          &p->significant_impact, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_strv(get_key(section, defaults, "minor_impact"), &p->minor_impact,
                          ret_error);
        if (r < 0)
                return r;

        r = parse_u64_key(section, defaults, "restarts", 1, 1000000, &p->restarts, ret_error);
        if (r < 0)
                return r;
        r = parse_u64_key(section, defaults, "crashes", 1, 1000000, &p->crashes, ret_error);
        if (r < 0)
                return r;
        r = parse_u64_key(section, defaults, "disk_percent", 1, 100, &p->disk_percent,
                          ret_error);
        if (r < 0)
                return r;
        r = parse_u64_key(section, defaults, "inode_percent", 1, 100, &p->inode_percent,
                          ret_error);
        if (r < 0)
                return r;
        r = parse_u64_key(section, defaults, "oom_kills", 1, 1000000, &p->oom_kills, ret_error);
        if (r < 0)
                return r;
        r = parse_u64_key(section, defaults, "error_surge", 1, UINT64_MAX, &p->error_surge,
                          ret_error);
        if (r < 0)
                return r;
        r = parse_u64_key(section, defaults, "kernel_errors", 1, UINT64_MAX, &p->kernel_errors,
                          ret_error);
        if (r < 0)
                return r;

        n = get_key(section, defaults, "fallback");
        r = pnode_to_string(n, &fallback, ret_error);
        if (r < 0)
                return r;
        p->fallback = parse_severity(fallback);
        if (p->fallback < 0) {
                if (ret_error)
                        *ret_error = pnode_error(n, "invalid severity '%s' (valid: P1, P2, P3, "
                                                 "P4)", fallback ? fallback : "");
                return -EINVAL;
        }

        r = parse_rules(get_key(section, defaults, "rules"), p, ret_error);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}

int severity_check_policy(const struct pnode *section, char **ret_error)
{
        _cleanup_(severity_policy_freep) struct severity_policy *p = NULL;

        return severity_policy_new(section, &p, ret_error);
}

/* ---- evidence ---- */

char *severity_format_span(usec_t span)
{
        uint64_t s = (span + USEC_PER_SEC / 2) / USEC_PER_SEC;

        if (s < 120)
                return xasprintf("%llu second%s", (unsigned long long) s, s == 1 ? "" : "s");
        if (s < 120 * 60)
                return xasprintf("%llu minutes", (unsigned long long) ((s + 30) / 60));
        if (s < 48 * 3600)
                return xasprintf("%llu hours", (unsigned long long) ((s + 1800) / 3600));
        return xasprintf("%llu days", (unsigned long long) ((s + 43200) / 86400));
}

static const char *subj(const struct finding *f)
{
        return isempty(f->subject) ? "unknown" : f->subject;
}

char *severity_describe_finding(const struct finding *f)
{
        _cleanup_free_ char *span = NULL, *times = NULL;
        unsigned long long c = (unsigned long long) f->count;
        const char *d = isempty(f->detail) ? NULL : f->detail;

        if (f->count > 1 && f->first > 0 && f->last > f->first) {
                _cleanup_free_ char *s = severity_format_span(f->last - f->first);

                if (!s)
                        return NULL;
                span = xasprintf(" in %s", s);
        } else
                span = xstrdup("");
        if (!span)
                return NULL;
        times = f->count > 1 ? xasprintf(" %llu times", c) : xstrdup("");
        if (!times)
                return NULL;

        switch (f->kind) {
        case FINDING_UNIT_FAILED:
                return xasprintf("%s failed%s%s%s%s%s", subj(f), times, span, d ? " (" : "",
                                 d ? d : "", d ? ")" : "");
        case FINDING_UNIT_RESTARTS:
                return xasprintf("%s restarted %llu times%s", subj(f), c, span);
        case FINDING_UNIT_DOWN:
                return xasprintf("%s is not running%s%s%s", subj(f), d ? " (" : "", d ? d : "",
                                 d ? ")" : "");
        case FINDING_OOM_KILL:
                return xasprintf("out-of-memory killer killed %s%s%s", subj(f), times, span);
        case FINDING_SEGFAULT:
                return xasprintf("%s segfaulted%s%s", subj(f), times, span);
        case FINDING_CRASH:
                return xasprintf("%s crashed%s%s%s%s%s", subj(f), times, span, d ? " (" : "",
                                 d ? d : "", d ? ")" : "");
        case FINDING_ERRORS:
                return xasprintf("%llu error line%s from %s%s", c, c == 1 ? "" : "s", subj(f),
                                 span);
        case FINDING_ERROR_SIGNATURES:
                return xasprintf("%llu distinct error message%s", c, c == 1 ? "" : "s");
        case FINDING_ERROR_SURGE:
                return xasprintf("error surge in %s (%llu errors late in the window%s%s)",
                                 subj(f), c, d ? "; " : "", d ? d : "");
        case FINDING_DISK_FULL:
                return xasprintf("file system %s is %llu%% full", subj(f), c);
        case FINDING_INODES_FULL:
                return xasprintf("file system %s has used %llu%% of its inodes", subj(f), c);
        case FINDING_CONFIG_CHANGES:
                if (c == 0)
                        return xstrdup("no configuration changes in the window");
                return xasprintf("%llu configuration file%s changed in the window", c,
                                 c == 1 ? "" : "s");
        case FINDING_PACKAGE_CHANGES:
                return xasprintf("%llu package change%s in the window", c, c == 1 ? "" : "s");
        case FINDING_CONFIG_TOUCHES_FAILING:
                return xasprintf("a configuration change touched %s, used by a failing unit%s%s%s",
                                 subj(f), d ? " (" : "", d ? d : "", d ? ")" : "");
        case FINDING_KERNEL_ERROR:
                return xasprintf("kernel: %s%s%s", subj(f), times, span);
        case FINDING_HOST_FACT:
                return xasprintf("%s: %s", subj(f), d ? d : "");
        case FINDING_RESOURCE_EXHAUSTED:
                /* detail: "disk space exhausted for app, reported in …" */
                return xasprintf("%.*s: %s%s%s", d ? (int) strcspn(d, ",") : 8,
                                 d ? d : "resource", subj(f), times, span);
        default:
                return xasprintf("%s%s", subj(f), times);
        }
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
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f,
                                         " (crash loop)");
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
static int finding_signal(const struct severity_policy *p, const struct finding *f,
                          bool critical, struct signals *s)
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
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f,
                                         NULL);
                } else
                        k = 0;
                break;
        case FINDING_KERNEL_ERROR:
                if (f->count >= p->kernel_errors) {
                        s->degradation = true;
                        k = add_evidence(&s->degradation_ev, &s->n_degradation, f,
                                         NULL);
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
                                (unsigned) r->input.type : REQUEST_INCIDENT;

        return mask_ok(rule->type_mask, type) &&
               mask_ok(rule->production_mask, s->production) &&
               mask_ok(rule->workaround_mask, (unsigned) workaround_index(r->input.workaround)) &&
               mask_ok(rule->impact_mask, s->impact) &&
               mask_ok(rule->outage_mask, s->outage) &&
               mask_ok(rule->degradation_mask, s->degradation) &&
               mask_ok(rule->errors_mask, s->errors) &&
               mask_ok(rule->crash_mask, s->crash);
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
static int clamp_severity(const struct user_input *in, const struct signals *s,
                          enum severity *sev, char ***clamps)
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
                k = addf(reasons, "%s: no rule matched; the default when nothing else "
                                  "applies", sev_str(policy->fallback));
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
                                 impact_table[s->impact], s->impact_word);
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
                                 in->workaround == TRISTATE_NO ? "" :
                                                                 " and use --workaround no");
        return NULL;
}

static int suggest(const struct severity_policy *policy, const struct report *r,
                   struct signals *s, struct severity_result *ret)
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
                .selected = in->selected >= 0 && in->selected < _SEVERITY_MAX ?
                                    in->selected : _SEVERITY_INVALID,
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

void severity_result_done(struct severity_result *res)
{
        if (!res)
                return;
        res->rule = mfree(res->rule);
        res->hint = mfree(res->hint);
        res->reasons = strv_free(res->reasons);
}

enum severity severity_result_effective(const struct severity_result *res)
{
        if (res->selected >= 0 && res->selected < _SEVERITY_MAX)
                return res->selected;
        return res->suggested;
}

json_t *severity_to_json(const struct severity_result *res)
{
        json_t *o = json_object(), *a = json_array();

        if (!o || !a)
                goto fail;
        STRV_FOREACH(s, res->reasons)
                if (json_array_append_new(a, json_string(*s)) < 0)
                        goto fail;
        /* json_object_set_new() takes the reference even when it fails. */
        if (json_object_set_new(o, "reasons", TAKE_PTR(a)) < 0 ||
            json_object_set_new(o, "suggested", json_string(sev_str(res->suggested))) < 0 ||
            json_object_set_new(o, "selected",
                                res->selected >= 0 && res->selected < _SEVERITY_MAX ?
                                        json_string(sev_str(res->selected)) :
                                        json_null()) < 0 ||
            json_object_set_new(o, "rule", res->rule ? json_string(res->rule) : json_null()) < 0 ||
            json_object_set_new(o, "hint", res->hint ? json_string(res->hint) : json_null()) < 0)
                goto fail;
        return o;
fail:
        json_decref(a);
        json_decref(o);
        return NULL;
}
