/* SPDX-License-Identifier: MIT */
/*
 * Error extraction: lines at error priority and lines matching the policy's
 * patterns, with multi-line stack traces kept with their first line, grouped
 * by a normalised signature (numbers, hex, UUIDs, addresses, temp paths
 * masked). Fed by the sink with redacted lines; emits errors/errors.json,
 * errors/errors.txt and findings at the end of the run.
 */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "macro.h"
#include "policy/pnode.h"
#include "sink.h"

struct errors;

/* Compiles the "errors" policy section (NULL: defaults). -EINVAL with a
 * located *ret_error on a bad pattern, -ENOMEM. */
int errors_new(const struct pnode *section, struct errors **ret, char **ret_error);
struct errors *errors_free(struct errors *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct errors *, errors_free);

/* The collection window: with it, a source whose errors in the last quarter of
 * the window come at three times (or more) the rate of before, and at least
 * surge_min of them, gives a FINDING_ERROR_SURGE. Call before feeding. */
void errors_set_window(struct errors *e, usec_t since, usec_t until);

/* Validates an "errors" section (policy check). */
int errors_check_policy(const struct pnode *section, char **ret_error);

/*
 * One line (no newline) from source (a path such as "/var/log/syslog" or
 * "journal"). meta may be NULL. Consecutive lines from the same source that
 * continue a stack trace are attached to the previous error. 0 or -ENOMEM.
 */
int errors_feed_line(struct errors *e, const char *source, const struct sink_line_meta *meta,
                     const char *line, size_t len);

/* Ends a source (a stream closed): a pending multi-line trace is finished. */
void errors_end_source(struct errors *e, const char *source);

/* The words every match of the built-in patterns contains (a NULL-terminated
 * list, matched caseless), or NULL when the policy has patterns of its own:
 * a line observer declares them to the sink, which then tells in each line's
 * meta (words, words_known) which it found, bit i for word i. */
char *const *errors_words(const struct errors *e);

/* errors_feed_line() and errors_end_source() for a struct errors passed as
 * userdata: the sink's line observer (sink_add_line_observer()). */
int errors_observe_line(void *userdata, const char *source, const struct sink_line_meta *meta,
                        const char *line, size_t len);
void errors_observe_end(void *userdata, const char *source);

/* Writes errors/errors.json and errors/errors.txt and the findings
 * (FINDING_ERRORS per unit or file, FINDING_ERROR_SIGNATURES, FINDING_ERROR_SURGE,
 * FINDING_OOM_KILL / FINDING_SEGFAULT where the patterns say so) to s. */
int errors_emit(struct errors *e, struct sink *s);

#define ERRORS_BUCKETS 48

/* Errors per interval (the window in ERRORS_BUCKETS parts) for the n sources
 * with most errors, the rest as "other": {since, until, buckets, sources:
 * [{name, counts[]}]}. New reference; NULL without a window or on OOM. */
json_t *errors_histogram(const struct errors *e, size_t n);

/* The top n groups by count as a JSON array of {signature, sample, count,
 * first_seen, last_seen, sources[], units[]}; new reference, NULL on OOM. */
json_t *errors_top(const struct errors *e, size_t n);
