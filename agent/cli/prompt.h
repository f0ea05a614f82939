/* SPDX-License-Identifier: MIT */
/*
 * The terminal prompt of `collect --open-ticket`: shows the collected
 * evidence briefly, then asks for exactly the required checklist items that
 * are missing and that a person can supply (environment, product, steps,
 * impact), and whether a workaround exists when that is not known. Reads and
 * writes the given streams so that it can be tested; the caller decides
 * whether they are a terminal.
 */
#pragma once

#include <stdio.h>

#include "analysis/checklist.h"
#include "analysis/report.h"
#include "analysis/severity.h"

/* Longest answer accepted; longer lines are cut. */
#define PROMPT_ANSWER_MAX (16 * 1024)

/*
 * Asks on out and reads answers from in. The steps to reproduce may span
 * several lines (ended by an empty line or "."). An empty answer skips the
 * question (the item stays missing); end of file (Ctrl-D) skips that question
 * only, twice in a row (the input is closed) every later one;
 * the answer "abort" cancels. Answers are stored in u (strings replaced, the
 * source set to INPUT_PROMPT; the workaround as TRISTATE_YES/NO). s may be
 * NULL; when given, the current suggestion is shown.
 *
 * Returns the number of questions answered (>= 0), -ECANCELED when the
 * person aborts, -ENOMEM. The caller re-runs checklist_evaluate() and
 * severity_suggest() afterwards.
 */
int prompt_missing(FILE *in, FILE *out, const struct report *r, const struct checklist_result *c,
                   const struct severity_result *s, struct user_input *u);

/* The brief evidence block shown before the questions (failed units,
 * crashes, resource exhaustion, the sources with most errors), at most
 * max_lines lines, each starting with "  - ". 0 or -ENOMEM. */
int prompt_evidence(const struct report *r, size_t max_lines, char **ret);

enum prompt_choice {
        PROMPT_FILE,   /* file with what was given */
        PROMPT_DRAFT,  /* keep everything as a draft (the outbox) to file later */
        PROMPT_CANCEL, /* file nothing */
};

/* When required items are still missing after the questions: lists them and
 * asks whether to file anyway, save a draft (the default, also on end of
 * file) or cancel. */
enum prompt_choice prompt_incomplete(FILE *in, FILE *out, const struct checklist_result *c);
