/* SPDX-License-Identifier: MIT */
/*
 * The ticket's text, rendered from the run's manifest: a summary that names
 * the symptom (what failed, where, how badly) and a description in a fixed
 * order a support engineer can scan — the person's own words, severity with
 * every reason, the six checklist items, environment facts, the timeline
 * (most significant 15), crashes with their stack, top errors without their
 * log prefix, configuration changes, what was cut or skipped, the bundle and
 * the reference marker. The description is built once as an ADF document and
 * rendered as ADF (Jira Cloud), wiki markup (Data Center, comments) and plain
 * text (the outbox draft). Kept under TICKET_DESCRIPTION_MAX; when longer, it
 * is cut at a section boundary and the full text is returned separately to be
 * attached as a file. Pure: no I/O, no logging.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "macro.h"
#include "ticket/adf.h"

#define TICKET_DESCRIPTION_MAX 32000
#define TICKET_SUMMARY_MAX 250
#define TICKET_TIMELINE_TOP 15

struct ticket_text {
        char *summary;      /* one line, <= TICKET_SUMMARY_MAX bytes: the symptom */
        char *description;  /* wiki markup, < TICKET_DESCRIPTION_MAX bytes */
        json_t *adf;        /* the same description as an ADF document */
        char *full;         /* the uncut description (wiki) when it was cut, else NULL */
        char *text;         /* the whole description as plain text (outbox draft) */
        char *comment;      /* wiki: the comment that goes with an attached bundle */
        char *comment_text; /* the same comment as plain text (outbox) */
};

struct ticket_format_options {
        const char *marker;      /* e.g. "collect7f3a9c21d0e4b5a6"; required */
        const char *environment; /* fallbacks when the manifest has none (collect.yaml) */
        const char *product;
        bool allow_incomplete;  /* say what is missing */
        bool attach;            /* --ticket KEY: the comment is the whole message */
        size_t description_max; /* 0: TICKET_DESCRIPTION_MAX (tests use less) */
};

/* Renders the text. manifest is borrowed; missing keys are tolerated.
 * 0 or -ENOMEM. Free with ticket_text_done(). */
int ticket_format(json_t *manifest, const struct ticket_format_options *o, struct ticket_text *ret);
void ticket_text_done(struct ticket_text *t);

/* The selected severity ("P1".."P4"): selected, else suggested, else "P3". */
const char *ticket_severity(json_t *manifest);

/* The one-line symptom of the most significant finding ("app.service
 * crash-looping — SIGSEGV in f, 5 failures in 45 min"), or NULL when nothing
 * stands out. New string. */
char *ticket_symptom(json_t *manifest);

/* timeline.svg drawn from the manifest (its timeline, error_histogram and
 * window), to attach beside the bundle; NULL without a window or on OOM. */
char *ticket_timeline_svg(json_t *manifest);

/* True when the manifest is of a monitoring filing (hook: crash, unit, alert). */
bool ticket_is_monitoring(json_t *manifest);
