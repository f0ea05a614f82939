/* SPDX-License-Identifier: MIT */
/*
 * The spool (/var/spool/collect/<id>/): submissions not yet fully sent, each
 * a directory with bundle.tar.gz, request.json (what to send) and state (the
 * steps already done). Entries appear atomically (built under .tmp-<id>,
 * then renamed), every update is write-to-temp + fsync + rename, and each
 * entry is locked with flock while a run works on it, so that a kill at any
 * point loses nothing and two runs never send the same submission. Bounded
 * in bytes and age: the oldest entries are dropped first, with a log line.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "policy/site-config.h"
#include "macro.h"
#include "time-util.h"

struct spool_entry {
        char *id;
        char *dir;       /* <spool>/<id> */
        char *bundle;    /* <spool>/<id>/bundle.tar.gz, NULL if none */
        json_t *request; /* request.json, owned */
        json_t *state;   /* state, owned; saved with spool_entry_save() */
        int lock_fd;     /* flock'd while the entry is open */
};

/*
 * Creates entry id holding a copy (hard link when possible) of bundle_path
 * (may be NULL), request and state (both borrowed; copied). The entry is
 * returned locked. -EEXIST if id is already spooled, -errno.
 */
int spool_entry_create(const char *spool_dir, const char *id, const char *bundle_path,
                       json_t *request, json_t *state, struct spool_entry **ret);

/* Opens and locks entry id. -ENOENT if there is none, -EBUSY if another run
 * holds it, -EBADMSG if its files are unreadable. */
int spool_entry_open(const char *spool_dir, const char *id, struct spool_entry **ret);

/* Saves e->state atomically. 0 or -errno. */
int spool_entry_save(struct spool_entry *e);

/* Deletes the entry (still locked) and frees it. 0 or -errno. */
int spool_entry_remove(struct spool_entry *e);

/* Unlocks and frees; NULL-safe; returns NULL. */
struct spool_entry *spool_entry_free(struct spool_entry *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct spool_entry *, spool_entry_free);

/* Ids of all entries, oldest first (by state "created"); *ret NULL-terminated. */
int spool_list(const char *spool_dir, char ***ret);

/* Total bytes of an entry directory. */
uint64_t spool_entry_size(const char *spool_dir, const char *id);

/*
 * Drops entries older than max_age and then the oldest until the spool is
 * under max_bytes (0: no limit), never keep_id (may be NULL) nor a locked
 * entry; also removes stale .tmp-* directories. Logs each drop. Returns
 * the number dropped or -errno.
 */
int spool_vacuum(const char *spool_dir, uint64_t max_bytes, usec_t max_age, const char *keep_id);

/*
 * Removes the entry's bundle to free its room (retention), keeping the
 * request and the state, which records when and why (state "bundle_pruned":
 * {at, why}), so that the submission is reported and never sent without its
 * bundle. The state is saved before the bundle goes, except on a full file
 * system (the bundle goes first; if the state still cannot be saved the
 * submission reads "its bundle is missing"). If the bundle cannot be removed
 * the mark is taken back. 0 or -errno.
 */
int spool_entry_prune_bundle(struct spool_entry *e, const char *why);

/*
 * Why a submission cannot be sent any more, from its state and whether its
 * bundle is there: "its bundle was pruned on TIME (WHY)" or "its bundle is
 * missing" while the bundle still had to be attached; NULL when it can be
 * sent. The caller frees the result.
 */
char *spool_entry_unsendable(json_t *state, bool has_bundle);

/*
 * Reads entry id without locking it (for listings): its request and state
 * (new references, NULL when unreadable) and when it was created (0:
 * unknown). 0, -ENOENT for an invalid id, -ENOMEM.
 */
int spool_entry_peek(const char *spool_dir, const char *id, json_t **ret_request,
                     json_t **ret_state, usec_t *ret_created);
