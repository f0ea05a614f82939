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
/* What callers of the engine also use: the compiled policy section, the
 * result, findings as evidence lines. */
#include "analysis/severity-evidence.h"
#include "analysis/severity-policy.h"
#include "analysis/severity-result.h"

/* Computes the suggestion for r into *ret (initialised here; free with
 * severity_result_done). p NULL: built-in defaults. 0 or -ENOMEM. */
int severity_suggest(const struct severity_policy *p, const struct report *r,
                     struct severity_result *ret);

/* severity_policy_new + severity_suggest in one call. */
int severity_evaluate(const struct pnode *section, const struct report *r,
                      struct severity_result *ret, char **ret_error);
