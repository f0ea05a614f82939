/* SPDX-License-Identifier: MIT */
/*
 * What the files of the snapshot store share (config-snapshot-objects.c,
 * -index.c, -scan.c, -prune.c); not for the collector itself.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config-snapshot.h"

#define INDEX_MAGIC "collect-snapshot 1"
#define TMP_PREFIX ".tmp-"

struct config_snapshot_store {
        char *path;
        int dir_fd;
        int objects_fd;
        int lock_fd;
        unsigned tmp_counter;
        bool usage_known; /* bytes used as of the last completed prune */
        uint64_t usage;
        char **written;   /* objects ("ab/cdef…") written since the last commit */
        char **made_dirs; /* fan-out directories ("ab") made since the last commit */
        bool usage_taken; /* the usage file was renamed aside by this open, not put back yet */
        bool fresh;       /* the store was empty (no index, no object) when locked */
        int error;        /* the disk is full (-ENOSPC, -EDQUOT, …): no more objects */
};

/* Errors that mean "no room" (or no writing at all) on the store's file system. */
static inline bool snapshot_disk_error(int r)
{
        return r == -ENOSPC || r == -EDQUOT || r == -EROFS || r == -EFBIG;
}

/* The objects written since the open or the last commit now belong to a
 * committed index: a later rollback keeps them. */
void snapshot_store_committed(struct config_snapshot_store *s);

/* Caches the store's size for the next run (see config-snapshot-objects.c). */
void snapshot_usage_put(struct config_snapshot_store *s, uint64_t bytes);

/* True if h is 64 lower-case hex digits. */
bool snapshot_valid_hash(const char *h);

/* The object file name of a hash below objects/: "ab/cdef…". */
void snapshot_object_name(const char *hash, char ret[static 66]);

/* Adds content to the store unless present. Returns 1 if written (adding
 * the compressed size to *ret_bytes), 0 if present, or -errno. After an
 * error of snapshot_disk_error() it writes nothing more and returns that
 * error (s->error) until the store is closed. */
int snapshot_store_object(struct config_snapshot_store *s, const char *hash, const void *data,
                          size_t len, uint64_t *ret_bytes);

/* Appends an entry (taking over e->path) to an index. 0 or -ENOMEM. */
int snapshot_index_add(struct config_snapshot_index *i, const struct config_snapshot_entry *e);

/* Makes room for n entries. 0 or -ENOMEM. */
int snapshot_index_reserve(struct config_snapshot_index *i, size_t n);

/* qsort/bsearch order of entries: by path. */
int snapshot_entry_cmp(const void *a, const void *b);

/* Writes idx as name atomically: the entries, or (same not NULL) a
 * reference to the full index same that holds the same entries. */
int snapshot_write_index(struct config_snapshot_store *s, struct config_snapshot_index *idx,
                         const char *name, const char *same);
