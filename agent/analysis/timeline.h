/* SPDX-License-Identifier: MIT */
/*
 * The incident's timeline: one merged, time-ordered, de-duplicated list of the
 * events in the window, made from the findings (each carries its first and last
 * time) and the error groups: configuration and package changes, the first
 * occurrence of each error group and each surge, unit failures and restarts,
 * crashes, OOM kills, alerts firing and resolving, and the collection itself.
 * Works on the manifest's JSON form of the findings, so that the bundle writer,
 * `collect check` and the ticket text all see the same list. Pure: no I/O.
 */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "dynbuf.h"
#include "macro.h"
#include "time-util.h"

#define TIMELINE_MAX 500

enum timeline_category {
        TIMELINE_CHANGE,     /* configuration or package change */
        TIMELINE_ERROR,      /* first occurrence of an error group */
        TIMELINE_SURGE,      /* an error surge began */
        TIMELINE_FAILURE,    /* unit failed, restarted, down */
        TIMELINE_CRASH,      /* crash, segfault, OOM kill */
        TIMELINE_ALERT,      /* alert firing or resolved */
        TIMELINE_KERNEL,     /* kernel errors */
        TIMELINE_COLLECTION, /* the collection itself */
        _TIMELINE_CATEGORY_MAX,
        _TIMELINE_CATEGORY_INVALID = -EINVAL,
};

const char *timeline_category_to_string(enum timeline_category c) _pure_;
enum timeline_category timeline_category_from_string(const char *s) _pure_;

struct timeline_event {
        usec_t time;
        enum timeline_category category;
        unsigned weight; /* significance: higher is more important */
        char *what;      /* one line, owned */
};

struct timeline {
        struct timeline_event *events; /* sorted by time, then weight (higher first) */
        size_t n;
};

/*
 * Builds the timeline from the manifest's "findings" array, its "errors_top"
 * array (either may be NULL) and the window; collected (0: until) is when the
 * collection ran. Events outside [since, until] are dropped (0 = unbounded).
 * Returns 0 or -ENOMEM; free with timeline_done().
 */
int timeline_build(json_t *findings, json_t *errors_top, usec_t since, usec_t until,
                   usec_t collected, struct timeline *ret);

/* Adds one event (what is copied); kept in order, a duplicate (same category,
 * text and second) is merged. 0 or -ENOMEM, -E2BIG past TIMELINE_MAX. */
int timeline_add(struct timeline *t, usec_t time, enum timeline_category c, unsigned weight,
                 const char *what);

void timeline_done(struct timeline *t);

/* [{time, category, weight, what}]; new reference or NULL. */
json_t *timeline_to_json(const struct timeline *t);
/* The reverse (unknown entries skipped). 0 or -ENOMEM. */
int timeline_from_json(json_t *a, struct timeline *ret);

/*
 * The indexes of the n most significant events, in time order, into ret_idx
 * (room for n). Returns how many were picked.
 */
size_t timeline_top(const struct timeline *t, size_t n, size_t *ret_idx);

/* A message without its log prefix: a syslog or journal timestamp, host and
 * "ident[pid]:" are stripped. Returns a pointer into s. */
const char *timeline_strip_log_prefix(const char *s);

/* summary.md's "## Timeline" section (every event, a markdown table). */
int timeline_markdown(const struct timeline *t, struct dynbuf *b);
