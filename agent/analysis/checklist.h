/* SPDX-License-Identifier: MIT */
/*
 * The required-information checklist: the six items a support request must
 * contain (environment, product, error messages or logs, steps to reproduce,
 * impact, recent configuration changes), each evaluated from the findings
 * and collector status rows, from the configuration, or from what the person
 * stated, as ok, missing or not applicable. Policy: the "checklist" section.
 * Non-logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dynbuf.h"
#include "macro.h"
#include "policy/pnode.h"
#include "analysis/report.h"

struct severity_result;

enum checklist_item {
        CHECKLIST_ENVIRONMENT,
        CHECKLIST_PRODUCT,
        CHECKLIST_ERRORS,
        CHECKLIST_STEPS,
        CHECKLIST_IMPACT,
        CHECKLIST_CONFIG_CHANGES,
        _CHECKLIST_ITEM_MAX,
        _CHECKLIST_ITEM_INVALID = -EINVAL,
};

enum checklist_status {
        CHECKLIST_OK,
        CHECKLIST_MISSING,
        CHECKLIST_NOT_APPLICABLE,
        _CHECKLIST_STATUS_MAX,
        _CHECKLIST_STATUS_INVALID = -EINVAL,
};

enum checklist_source {
        CHECKLIST_SOURCE_AUTO, /* findings, collector status, configuration, policy */
        CHECKLIST_SOURCE_USER, /* a command-line option or the prompt */
        _CHECKLIST_SOURCE_MAX,
        _CHECKLIST_SOURCE_INVALID = -EINVAL,
};

struct checklist_entry {
        enum checklist_item item;
        enum checklist_status status;
        enum checklist_source source;
        bool required;      /* a missing required item blocks --open-ticket */
        char *detail;       /* one line */
        char *value;        /* environment or product name when known (the product may come
                             * from the policy's unit map), else NULL */
        const char *option; /* what supplies it, e.g. "--impact TEXT" (static) */
};

struct checklist_result {
        struct checklist_entry items[_CHECKLIST_ITEM_MAX];
};

const char *checklist_item_to_string(enum checklist_item i) _pure_; /* "config_changes" */
enum checklist_item checklist_item_from_string(const char *s) _pure_;
/* "recent configuration changes" */
const char *checklist_item_label(enum checklist_item i) _pure_;
const char *checklist_status_to_string(enum checklist_status s) _pure_; /* "not_applicable" */
const char *checklist_source_to_string(enum checklist_source s) _pure_; /* "auto" | "user" */

/* Whether a person can supply the item (at the prompt or with its option). */
bool checklist_item_person_supplied(enum checklist_item i) _pure_;

/*
 * Evaluates the six items for r under the "checklist" policy section (NULL:
 * built-in defaults, the same as policies/checklist.yaml). *ret is
 * initialised here; free with checklist_result_done(). 0, -EINVAL with a
 * located *ret_error (bad policy) or -ENOMEM.
 */
int checklist_evaluate(const struct pnode *section, const struct report *r,
                       struct checklist_result *ret, char **ret_error);

void checklist_result_done(struct checklist_result *c);

/* Validates a "checklist" section (collect policy check). */
int checklist_check_policy(const struct pnode *section, char **ret_error);

/* Number of required items that are missing (the gate: > 0 means exit 65
 * unless --allow-incomplete). */
size_t checklist_n_missing(const struct checklist_result *c) _pure_;

/*
 * The missing required items, one per line, each with the option that
 * supplies it:
 *   "  impact (impact description): use --impact TEXT\n"
 * Empty string when nothing is missing. 0 or -ENOMEM.
 */
int checklist_missing_text(const struct checklist_result *c, char **ret);

/* [{item, label, status, source, required, detail, option}]; new reference,
 * NULL on OOM. */
json_t *checklist_to_json(const struct checklist_result *c);

/*
 * The block that opens summary.md: "## Severity" (suggested and selected,
 * the reasons, the P1 hint) and "## Required information" (a table of the
 * six items and a line naming what is missing). s may be NULL. 0, -E2BIG or
 * -ENOMEM.
 */
int checklist_severity_markdown(const struct checklist_result *c, const struct severity_result *s,
                                struct dynbuf *out);
