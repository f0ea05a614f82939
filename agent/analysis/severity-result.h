/* SPDX-License-Identifier: MIT */
/*
 * What a severity suggestion gives (agent/analysis/severity.h computes it): the
 * level, the rule, the reasons and a hint, as the checklist, the manifest and
 * the ticket use them. Non-logging.
 */
#pragma once

#include <jansson.h>

#include "macro.h"
#include "analysis/report.h"

struct severity_result {
        enum severity suggested; /* what the engine suggests */
        enum severity selected;  /* the person's --severity, _SEVERITY_INVALID if none */
        char *rule;              /* name of the rule that matched, NULL: the fallback */
        char **reasons;          /* one line each, the decisive reason first */
        char *hint;              /* "would be P1 if …", or NULL */
};

void severity_result_done(struct severity_result *res);

/* The severity that should be filed: the person's choice if any, else the
 * suggestion. */
enum severity severity_result_effective(const struct severity_result *res) _pure_;

/* {suggested, selected (null if none), reasons[], rule, hint}; new reference,
 * NULL on OOM. */
json_t *severity_to_json(const struct severity_result *res);
