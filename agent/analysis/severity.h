/* SPDX-License-Identifier: MIT */
/*
 * The severity suggestion: a pure, deterministic function of the findings,
 * what the person stated and the "severity" policy (ordered rules over
 * signals, the first match wins), giving P1..P4, the reasons that made it
 * (naming the evidence) and, where it applies, what would make it P1.
 * Hard lines hold whatever the policy says: P1 only for a production outage
 * with a workaround confirmed absent, nothing above P3 outside production,
 * an information request is P4. Non-logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "finding.h"
#include "macro.h"
#include "policy/pnode.h"
#include "analysis/report.h"

struct severity_policy;

struct severity_result {
        enum severity suggested;  /* what the engine suggests */
        enum severity selected;   /* the person's --severity, _SEVERITY_INVALID if none */
        char *rule;               /* name of the rule that matched, NULL: the fallback */
        char **reasons;           /* one line each, the decisive reason first */
        char *hint;               /* "would be P1 if …", or NULL */
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

/* Computes the suggestion for r into *ret (initialised here; free with
 * severity_result_done). p NULL: built-in defaults. 0 or -ENOMEM. */
int severity_suggest(const struct severity_policy *p, const struct report *r,
                     struct severity_result *ret);

/* severity_policy_new + severity_suggest in one call. */
int severity_evaluate(const struct pnode *section, const struct report *r,
                      struct severity_result *ret, char **ret_error);

void severity_result_done(struct severity_result *res);

/* The severity that should be filed: the person's choice if any, else the
 * suggestion. */
enum severity severity_result_effective(const struct severity_result *res) _pure_;

/* {suggested, selected (null if none), reasons[], rule, hint}; new reference,
 * NULL on OOM. */
json_t *severity_to_json(const struct severity_result *res);

/* One line of evidence for a finding, e.g. "app.service failed 5 times in 10
 * minutes (exit-code)"; NULL on OOM. Used by the reasons and the prompt. */
char *severity_describe_finding(const struct finding *f);

/* "10 minutes", "2 hours", "45 seconds": a rounded human span. */
char *severity_format_span(usec_t span);
