/* SPDX-License-Identifier: MIT */
/*
 * The ticket's text, rendered from the run's manifest: a one-line summary and
 * a description in Jira wiki markup that a support engineer can act on
 * (environment, product, checklist, severity and reasons, top errors,
 * configuration changes, failed units, crashes, what was cut, the bundle's
 * name and sha256). Kept under TICKET_DESCRIPTION_MAX; when longer, the
 * description is cut at a section boundary and the full text is returned
 * separately so that it can be attached as a file. Pure: no I/O, no logging.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "macro.h"

#define TICKET_DESCRIPTION_MAX 32000
#define TICKET_SUMMARY_MAX 250

struct ticket_text {
        char *summary;     /* one line, <= TICKET_SUMMARY_MAX bytes, ends with the marker */
        char *description; /* wiki markup, < TICKET_DESCRIPTION_MAX bytes */
        char *full;        /* the uncut description when it was cut, else NULL */
        char *comment;     /* the comment that goes with an attached bundle */
};

struct ticket_format_options {
        const char *marker;        /* e.g. "collect7f3a9c21d0e4b5a6"; required */
        const char *environment;   /* fallbacks when the manifest has none (collect.yaml) */
        const char *product;
        bool allow_incomplete;     /* say what is missing */
        size_t description_max;    /* 0: TICKET_DESCRIPTION_MAX (tests use less) */
};

/* Renders the text. manifest is borrowed; missing keys are tolerated.
 * 0 or -ENOMEM. Free with ticket_text_done(). */
int ticket_format(json_t *manifest, const struct ticket_format_options *o, struct ticket_text *ret);
void ticket_text_done(struct ticket_text *t);

/* The selected severity ("P1".."P4"): selected, else suggested, else "P3". */
const char *ticket_severity(json_t *manifest);

/* Appends s to b escaped for Jira wiki markup (table cells and inline text):
 * markup characters get a backslash, line breaks become spaces. */
char *wiki_escape(const char *s, size_t max);
