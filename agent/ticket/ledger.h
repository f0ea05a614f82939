/* SPDX-License-Identifier: MIT */
/*
 * The ticket ledger in the state directory (/var/lib/collect/ledger.json):
 * which ticket a submission ID (or a problem fingerprint) went to, so that a
 * retry, a resumed submission or a repeat of the same problem never opens a
 * second ticket. Written atomically under a lock; bounded in entries.
 */
#pragma once

#include <stdint.h>

#include "macro.h"
#include "time-util.h"

#define LEDGER_ENTRIES_MAX 10000

/*
 * Looks id up. Returns 1 and the ticket key (and URL, may be NULL; both
 * caller frees; either pointer may be NULL) when found, 0 when not, -errno.
 * A missing ledger is empty; a corrupt one is logged and treated as empty.
 */
int ledger_lookup(const char *state_dir, const char *id, char **ret_key, char **ret_url);

/* Records id -> key (and url, may be NULL) with the current time, replacing
 * an older record; the oldest entries are dropped beyond LEDGER_ENTRIES_MAX.
 * Creates state_dir if needed. 0 or -errno. */
int ledger_record(const char *state_dir, const char *id, const char *key, const char *url);

/* Removes id. 1 if it was there, 0 if not, -errno. */
int ledger_forget(const char *state_dir, const char *id);
