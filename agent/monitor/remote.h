/* SPDX-License-Identifier: MIT */
/*
 * Remote requests: a support engineer writes a public comment whose first
 * line starts with `/collect` on a request this host can see, and the host
 * answers with a bundle on that request. This module holds what needs no
 * portal: reading a trigger (only --since, --until and --mask are accepted),
 * deciding whether its author is trusted (accountIds, e-mail globs; never the
 * display name), and claiming a trigger under a lock in the state directory
 * so that each comment is answered once across restarts and concurrent
 * pollers, within a daily cap.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "time-util.h"

#define REMOTE_DEFAULT_WINDOW (24 * USEC_PER_HOUR)

struct remote_trigger {
        usec_t since, until; /* the window to collect, clamped to max_window */
        bool mask;
        bool clamped;  /* the asked window was wider than max_window */
        char *refused; /* the words that were refused, or NULL */
};

void remote_trigger_done(struct remote_trigger *t);

/*
 * Reads a comment body. Returns 0 when it is not a trigger (first line does
 * not start with "/collect"), 1 when it is (*ret filled; ret->refused set if
 * an option or word other than --since WHEN, --until WHEN, --mask was
 * given, or a value did not parse). The default window is the 24 hours
 * before the comment; durations count back from the comment's time.
 * -ENOMEM.
 */
int remote_trigger_parse(const char *body, usec_t comment_time, usec_t max_window,
                         struct remote_trigger *ret);

/* Whether a comment author may trigger: an allow entry equal to the
 * accountId, or an e-mail glob (case-insensitive) matching the e-mail when
 * the portal shows it. */
bool remote_author_allowed(char *const *allow, const char *account_id, const char *email);

enum remote_claim {
        REMOTE_CLAIM_GO,       /* claimed: collect and answer */
        REMOTE_CLAIM_DONE,     /* answered (or refused) before: nothing to do */
        REMOTE_CLAIM_OVER_CAP, /* claimed, but the daily cap is used up: refuse */
};

/*
 * Claims comment `comment_id` on `key` under the state directory's lock:
 * recorded before anything is collected, so a second poller, a restart or a
 * later pass does nothing more. counts: whether a bundle will be sent (a
 * refusal claims the comment without using the cap). 0 or -errno.
 */
int remote_claim(const char *state_dir, const char *key, const char *comment_id, usec_t now_usec,
                 uint64_t max_per_day, bool counts, enum remote_claim *ret);

/* Records the outcome of a claimed trigger ("answered", "refused", "spooled",
 * "failed") with the ticket action for the ledger. */
int remote_record(const char *state_dir, const char *key, const char *comment_id,
                  const char *outcome);
