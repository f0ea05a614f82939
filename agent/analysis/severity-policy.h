/* SPDX-License-Identifier: MIT */
/*
 * The "severity" policy section compiled for the engine (agent/analysis/severity.c):
 * thresholds, lists and the ordered rules, each rule's conditions as bit masks
 * of accepted values. Parsed against the built-in defaults (policies/severity.yaml);
 * every error names its file:line:column. Non-logging.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "policy/pnode.h"
#include "analysis/report.h"

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

/* "none", "minor", "other", "significant"; NULL out of range. */
const char *impact_class_to_string(enum impact_class c) _pure_;

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

/* Compiles the "severity" policy section (NULL: the built-in defaults, the
 * same as policies/severity.yaml). -EINVAL with a located *ret_error on a bad
 * key or value, -ENOMEM. */
int severity_policy_new(const struct pnode *section, struct severity_policy **ret,
                        char **ret_error);
struct severity_policy *severity_policy_free(struct severity_policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct severity_policy *, severity_policy_free);

/* Validates a "severity" section (collect policy check). 0 or -EINVAL/-ENOMEM. */
int severity_check_policy(const struct pnode *section, char **ret_error);
