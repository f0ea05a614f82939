/* SPDX-License-Identifier: MIT */
/*
 * Filing by monitoring hooks (crashes, failed units, alerts) without flooding
 * the portal: one ticket per problem (a fingerprint), later occurrences as
 * comments on it, and a budget of portal actions per hour beyond which
 * occurrences are only counted. The state (fingerprint -> ticket, recent
 * actions) is kept under a lock in the state directory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "policy/pnode.h"
#include "time-util.h"

struct autofile_policy {
        bool enabled;
        uint64_t max_per_hour; /* tickets and comments filed per hour, all problems together */
        usec_t dedup_window;   /* a repeat within this window is the same problem */
};

/* Reads the `autofile:` section (NULL: defaults: enabled, 3 an hour, 7 days). */
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
int autofile_decide(const char *state_dir, const struct autofile_policy *p,
                    const char *fingerprint, usec_t t, bool resolved,
                    enum autofile_decision *ret, char **ret_key, uint64_t *ret_suppressed);

/*
 * Records the outcome of filing: the ticket key (NULL when it is not known
 * yet: drafted or spooled), and one portal action against the budget.
 */
int autofile_record(const char *state_dir, const char *fingerprint, const char *key, usec_t t);

struct autofile_event {
        char *fingerprint;
        char *summary;
        char *description;
        char *unit;    /* the failed or crashed unit, if known */
        bool resolved;
};

void autofile_event_done(struct autofile_event *e);

/* An Alertmanager webhook payload (protocols.md §7). -EBADMSG with a message. */
int autofile_event_from_alertmanager(const char *json, size_t len, struct autofile_event *ret,
                                     char **ret_error);

/* A unit that entered the failed state (OnFailure=, with $MONITOR_* when set). */
int autofile_event_from_unit(const char *unit, struct autofile_event *ret);

/*
 * The newest systemd-coredump entry in [since, until] of the journal in dir
 * (NULL: the system journal). -ENOENT if there is none.
 */
int autofile_event_from_coredump(const char *dir, usec_t since, usec_t until,
                                 struct autofile_event *ret);
