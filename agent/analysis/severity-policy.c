/* SPDX-License-Identifier: MIT */
/*
 * Parsing the "severity" policy section (agent/analysis/severity-policy.h): keys
 * missing from the section come from the built-in policies/severity.yaml;
 * conditions become bit masks over the engine's signal values.
 */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc-util.h"
#include "basic/string-table.h"
#include "dynbuf.h"
#include "macro.h"
#include "policy/builtin-policies.h"
#include "policy/pnode.h"
#include "analysis/severity-policy.h"
#include "strv.h"

static const char *const prod_table[_PROD_MAX] = {
        [PROD_UNKNOWN] = "unknown",
        [PROD_NO] = "false",
        [PROD_YES] = "true",
};

static const char *const impact_class_table[_IMPACT_MAX] = {
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

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(impact_class, enum impact_class);

/*
 * The built-in defaults, the same as policies/severity.yaml (a unit test
 * checks that both give the same results). A key missing from the policy
 * section is taken from here.
 */
static const char *const section_keys[] = {
        "production_environments",
        "critical_units",
        "significant_impact",
        "minor_impact",
        "restarts",
        "crashes",
        "disk_percent",
        "inode_percent",
        "oom_kills",
        "error_surge",
        "kernel_errors",
        "fallback",
        "rules",
        NULL,
};

static const char *const rule_keys[] = { "when", "severity", "reason", "enabled", NULL };

static const char *const when_keys[] = {
        "type",  "production", "outage", "degradation", "errors",
        "crash", "workaround", "impact", NULL,
};

static enum severity parse_severity(const char *s)
{
        if (!s)
                return _SEVERITY_INVALID;
        if ((s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '4' && s[2] == '\0')
                return (enum severity)(s[1] - '1');
        return _SEVERITY_INVALID;
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
                                        (void) dynbuf_addf(&b, "%s%s", b.len ? ", " : "", table[j]);
                        if (table == prod_table)
                                (void) dynbuf_addf(&b, ", yes, no");
                        valid = dynbuf_steal(&b);
                        if (ret_error)
                                *ret_error = pnode_error(n,
                                                         "invalid value '%s' for '%s' "
                                                         "(valid: %s)",
                                                         *s, what, valid ? valid : "");
                        return -EINVAL;
                }
                mask |= 1u << i;
        }
        *ret = mask;
        return 0;
}

static int parse_bool_mask(const struct pnode *n, const char *what, unsigned *ret, char **ret_error)
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
                                *ret_error = pnode_error(n,
                                                         "invalid value '%s' for '%s' "
                                                         "(valid: %s, %s)",
                                                         *s, what, bool_table[0], bool_table[1]);
                        return -EINVAL;
                }
        }
        *ret = mask;
        return 0;
}

/* The conditions of a rule's when: the names of their values (NULL: true or
 * false) and the mask each sets. */
static const struct when_condition {
        const char *key;
        const char *const *table;
        size_t n_table;
        size_t offset;
} when_conditions[] = {
        { "type", type_table, ELEMENTSOF(type_table), offsetof(struct severity_rule, type_mask) },
        { "production", prod_table, ELEMENTSOF(prod_table),
          offsetof(struct severity_rule, production_mask) },
        { "workaround", workaround_table, ELEMENTSOF(workaround_table),
          offsetof(struct severity_rule, workaround_mask) },
        { "impact", impact_class_table, ELEMENTSOF(impact_class_table),
          offsetof(struct severity_rule, impact_mask) },
        { "outage", NULL, 0, offsetof(struct severity_rule, outage_mask) },
        { "degradation", NULL, 0, offsetof(struct severity_rule, degradation_mask) },
        { "errors", NULL, 0, offsetof(struct severity_rule, errors_mask) },
        { "crash", NULL, 0, offsetof(struct severity_rule, crash_mask) },
};

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
                        *ret_error = pnode_error(c,
                                                 "invalid severity '%s' (valid: P1, P2, P3, "
                                                 "P4)",
                                                 sev);
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
                for (size_t k = 0; k < ELEMENTSOF(when_conditions); k++) {
                        const struct when_condition *w = &when_conditions[k];
                        unsigned *mask = (unsigned *) ((char *) rule + w->offset);

                        c = pnode_get(when, w->key);
                        r = w->table ?
                                    parse_mask(c, w->key, w->table, w->n_table, mask, ret_error) :
                                    parse_bool_mask(c, w->key, mask, ret_error);
                        if (r < 0)
                                return r;
                }
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
                                        *ret_error = pnode_error(n->items[i], "duplicate rule '%s'",
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

/* The lists and the thresholds of the section, with their bounds. */
static const struct {
        const char *key;
        size_t offset;
} list_keys[] = {
        { "production_environments", offsetof(struct severity_policy, production_environments) },
        { "critical_units", offsetof(struct severity_policy, critical_units) },
        { "significant_impact", offsetof(struct severity_policy, significant_impact) },
        { "minor_impact", offsetof(struct severity_policy, minor_impact) },
};

static const struct {
        const char *key;
        uint64_t min, max;
        size_t offset;
} count_keys[] = {
        { "restarts", 1, 1000000, offsetof(struct severity_policy, restarts) },
        { "crashes", 1, 1000000, offsetof(struct severity_policy, crashes) },
        { "disk_percent", 1, 100, offsetof(struct severity_policy, disk_percent) },
        { "inode_percent", 1, 100, offsetof(struct severity_policy, inode_percent) },
        { "oom_kills", 1, 1000000, offsetof(struct severity_policy, oom_kills) },
        { "error_surge", 1, UINT64_MAX, offsetof(struct severity_policy, error_surge) },
        { "kernel_errors", 1, UINT64_MAX, offsetof(struct severity_policy, kernel_errors) },
};

int severity_policy_new(const struct pnode *section, struct severity_policy **ret, char **ret_error)
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

        for (size_t i = 0; i < ELEMENTSOF(list_keys); i++) {
                r = pnode_to_strv(get_key(section, defaults, list_keys[i].key),
                                  (char ***) ((char *) p + list_keys[i].offset), ret_error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(count_keys); i++) {
                r = pnode_to_u64(get_key(section, defaults, count_keys[i].key), count_keys[i].min,
                                 count_keys[i].max,
                                 (uint64_t *) ((char *) p + count_keys[i].offset), ret_error);
                if (r < 0)
                        return r;
        }

        n = get_key(section, defaults, "fallback");
        r = pnode_to_string(n, &fallback, ret_error);
        if (r < 0)
                return r;
        p->fallback = parse_severity(fallback);
        if (p->fallback < 0) {
                if (ret_error)
                        *ret_error = pnode_error(n,
                                                 "invalid severity '%s' (valid: P1, P2, P3, "
                                                 "P4)",
                                                 fallback ? fallback : "");
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
