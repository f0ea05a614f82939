/* SPDX-License-Identifier: MIT */
/*
 * Filing by monitoring hooks (crashes, failed units, alerts) without flooding
 * the portal: one ticket per problem (a fingerprint: a crash's is its crash
 * signature), later occurrences as comments on it, every event handled once
 * (its identity is remembered), a unit failure or alert next to a crash of
 * the same unit a comment on that incident's ticket, and two hourly budgets
 * (new tickets; comments) so that repeats never starve a first filing. The
 * state (fingerprint -> ticket, handled events, reserved budget) is kept under
 * one lock in the state directory: deciding and reserving are one step.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "policy/pnode.h"
#include "time-util.h"

struct autofile_policy {
        bool enabled;
        uint64_t max_per_hour;          /* new tickets per hour, all problems together */
        uint64_t max_comments_per_hour; /* repeat, resolved and incident comments per hour */
        usec_t dedup_window;            /* a repeat within this window is the same problem */
        usec_t window_before;   /* an automatic collection starts this long before the event */
        usec_t window_after;    /* … and ends this long after it */
        usec_t incident_window; /* a unit failure or alert this close to a crash of the
                                         * unit is the same incident */
};

/* Reads the `autofile:` section (NULL: defaults: enabled, 3 tickets and 12
 * comments an hour, 7 days, window 1h before to 1m after, incidents 10m). */
int autofile_policy_load(const struct pnode *section, struct autofile_policy *ret,
                         char **ret_error);

enum autofile_decision {
        AUTOFILE_OPEN,     /* a new problem: open a ticket */
        AUTOFILE_COMMENT,  /* a known problem with a ticket: comment and attach */
        AUTOFILE_SUPPRESS, /* over the budget, or the problem's ticket is not known yet */
        AUTOFILE_SKIP,     /* nothing to do (a resolved alert with no ticket; disabled) */
};

const char *autofile_decision_to_string(enum autofile_decision d) _pure_;

/*
 * Decides what to do with one occurrence of fingerprint at time t and records
 * it. resolved: the problem is over (only a comment on an existing ticket).
 * *ret_key gets the problem's ticket key for AUTOFILE_COMMENT (caller frees);
 * *ret_suppressed the occurrences counted without filing since the last
 * filing (to be mentioned in the next one). 0 or -errno.
 */
int autofile_decide(const char *state_dir, const struct autofile_policy *p, const char *fingerprint,
                    usec_t t, bool resolved, enum autofile_decision *ret, char **ret_key,
                    uint64_t *ret_suppressed);

/*
 * Records the outcome of filing: the ticket key (NULL when it is not known
 * yet: drafted or spooled). The budget was reserved by the decision.
 */
int autofile_record(const char *state_dir, const char *fingerprint, const char *key, usec_t t);

struct autofile_event {
        char *fingerprint; /* the problem; without the host name (the fleet-wide marker) */
        char *summary;
        char *description;
        char *unit;     /* the failed or crashed unit, if known */
        char *identity; /* the event itself (coredump: boot id, pid, time; unit failure:
                            * the failed run; alert: fingerprint, start, status of each
                            * alert, one a line); NULL: none. A delivery all of whose
                            * identities were handled before is a no-op. */
        usec_t time;    /* when it happened (0: unknown, now) */
        bool resolved;
        bool crash;    /* a crash: its own problem, never merged into an incident */
        bool critical; /* a firing alert labelled severity=critical */
};

void autofile_event_done(struct autofile_event *e);

/* An Alertmanager webhook payload (protocols.md §7). -EBADMSG with a message. */
int autofile_event_from_alertmanager(const char *json, size_t len, struct autofile_event *ret,
                                     char **ret_error);

/* systemd's "Failed with result" entry (SD_MESSAGE_UNIT_FAILED) */
#define AUTOFILE_UNIT_FAILED_MESSAGE_ID "d9b373ed55a64feb8242e02dbe79a49c"

/*
 * A unit that entered the failed state (OnFailure=, with $MONITOR_* when
 * set, or `collect watch`, which sets them from the journal entry). Its
 * identity is the failed run: "unit:<unit>:<invocation id>" from
 * $MONITOR_INVOCATION_ID or the INVOCATION_ID of the unit's newest "Failed
 * with result" entry in the journal of journal_dir (NULL: the system journal)
 * within [since, until], else "unit:<boot id>:<unit>:<monotonic µs>" of that
 * entry; none when neither is known. The entry's time is the event's time.
 */
int autofile_event_from_unit(const char *unit, const char *journal_dir, usec_t since, usec_t until,
                             struct autofile_event *ret);

/*
 * The newest systemd-coredump entry in [since, until] of the journal in dir
 * (NULL: the system journal). -ENOENT if there is none.
 */
int autofile_event_from_coredump(const char *dir, usec_t since, usec_t until,
                                 struct autofile_event *ret);

/*
 * Every systemd-coredump entry in [since, until], oldest first, at most max.
 * *ret is an array of *ret_n events (caller frees with autofile_events_free).
 * 0 (also when there is none) or -errno.
 */
int autofile_events_from_coredumps(const char *dir, usec_t since, usec_t until, size_t max,
                                   struct autofile_event **ret, size_t *ret_n);

#ifdef HAVE_LIBSYSTEMD
typedef struct sd_journal sd_journal;

/* The value of field name ("UNIT") of the entry j is on, at most max bytes
 * (malloc'ed), or NULL. */
char *autofile_journal_field(sd_journal *j, const char *name, size_t max);
#endif
void autofile_events_free(struct autofile_event *e, size_t n);

/* What to do with one event, decided and reserved under the lock. */
struct autofile_verdict {
        enum autofile_decision decision;
        bool duplicate;           /* SKIP because this very event was handled before */
        char *fingerprint;        /* the problem it is filed under (an incident's crash) */
        char *key;                /* COMMENT: the ticket */
        uint64_t suppressed;      /* occurrences of this problem counted without filing */
        char *suppressed_summary; /* other problems counted without filing, a line each */
        char *related;            /* "SUP-2, SUP-5": tickets of the same incident window */
};

void autofile_verdict_done(struct autofile_verdict *v);

/*
 * Decides what to do with ev at time now and records it, in one step under
 * the lock: the event's identity (a second delivery is SKIP with duplicate),
 * the occurrence, and the budget the filing will use (new tickets and
 * comments have separate budgets). A unit failure or alert naming a unit
 * that crashed within the incident window goes to that crash's problem.
 * 0 or -errno.
 */
int autofile_decide_event(const char *state_dir, const struct autofile_policy *p,
                          const struct autofile_event *ev, usec_t now,
                          struct autofile_verdict *ret);

/*
 * The text of the filing for ev under verdict v: the event's own description,
 * then "related: SUP-2, …", what this problem and others had counted without
 * filing, and for a comment a first line saying it is a repeat (or resolved).
 * Returns a new string or NULL (out of memory).
 */
char *autofile_describe(const struct autofile_event *ev, const struct autofile_verdict *v);

/* One filing as the hook asks the pipeline for it. */
struct autofile_filing {
        const char *summary;        /* the ticket's summary (carries the problem marker) */
        const char *description;    /* autofile_describe() */
        const char *key;            /* comment on this ticket; NULL: open a new one */
        const char *problem_marker; /* fleet-wide: an open request carrying it is commented on */
        usec_t since, until;        /* the collection window, anchored on the event */
        const char *down_unit;      /* a critical alert names this unit: outage evidence (a
                                     * unit_down finding) for the severity engine */
        const char *down_detail;
};

/*
 * Collects and files f. Returns an exit code (0; 75: spooled, *ret_spool_id
 * set; other: failed) and the ticket key when known (*ret_key, caller frees).
 */
typedef int (*autofile_file_fn)(void *userdata, const struct autofile_filing *f, char **ret_key,
                                char **ret_spool_id);

/*
 * Handles one event end to end: decides under the lock, files through fn
 * (nothing is collected for a skipped or counted event), and records the key
 * or the spool submission. Returns the exit code of the filing (0 when
 * nothing had to be filed), or 1 when the state cannot be updated.
 */
int autofile_handle(const char *state_dir, const struct autofile_policy *p,
                    const struct autofile_event *ev, autofile_file_fn fn, void *userdata);

/* "problem<16 hex>": the word (one search token) in a ticket's summary that names its problem on every host. */
char *autofile_problem_marker(const char *fingerprint);

/* Remembers the spool submission of a filing whose ticket is not known yet;
 * when the spool creates it (ledger), the problem gets the key. 0 or -errno. */
int autofile_record_spooled(const char *state_dir, const char *fingerprint, const char *spool_id);

/* The collection window of an automatic filing, anchored on the event. */
void autofile_window(const struct autofile_policy *p, usec_t event, usec_t *ret_since,
                     usec_t *ret_until);
