/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshots: a content-addressed store of zlib-compressed file
 * contents (objects named by their SHA-256) plus one index per snapshot
 * (path, type, size, mode, owner, mtime, hash). Layout below <state>/snapshots:
 *
 *   lock                       flock()ed while a snapshot is written or pruned
 *   objects/ab/cdef…           zlib stream of the content whose sha256 is "abcdef…"
 *   <time µs>-<seq>.idx        one index per snapshot, written last, atomically
 *
 * A snapshot exists once its index exists. Objects and the index are written
 * to temporary names and renamed; the file system is synced before the index
 * is renamed into place, so an interrupted snapshot is never visible and
 * never damages earlier ones. A snapshot that cannot be committed (the disk
 * is full) is rolled back: the objects it added are removed again, so the
 * store takes the space it took before.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

struct sink;

struct collect_ctx;

struct config_snapshot_entry {
        char *path;    /* absolute, as seen inside the root */
        char type;     /* 'f' regular file, 'l' symbolic link (content = target) */
        bool stored;   /* content is in the store (false: over the size limit) */
        bool withheld; /* not stored because it holds a private key */
        uint32_t mode; /* st_mode */
        uint32_t uid, gid;
        uint64_t size;
        uint64_t mtime_ns, ctime_ns, ino; /* stat data to recognise unchanged files */
        char sha256[65];                  /* hex */
};

struct config_snapshot_index {
        usec_t time;         /* when the snapshot was taken */
        uint64_t seq;        /* order among snapshots taken at the same time */
        uint64_t scanned_ns; /* real clock when the scan started: stat data of files
                              * changed just before it are not trusted ("racy") */
        char *name;          /* index file name, NULL until committed */
        char *ref;           /* the full index file holding the entries: name itself,
                            * or the one an unchanged snapshot refers to */
        bool new_content;    /* the scan read content not known from the previous index */
        bool unchanged;      /* the scan found exactly the previous index's entries */
        struct config_snapshot_entry *entries; /* sorted by path */
        size_t n_entries;
        size_t alloc;
};

struct config_snapshot_info {
        usec_t time;
        uint64_t seq;
        char *name;
        uint64_t bytes; /* size of the index file */
};

struct config_snapshot_store;

struct config_snapshot_scan {
        struct collect_ctx *ctx; /* root fd, never_collect, deadline */
        struct sink *sink;       /* NULL, or never_collect on the opened file */
        char *const *paths;      /* tracked paths (globs allowed) inside the root */
        char *const *exclude;    /* globs; with a '/' matched on the path, else the name */
        uint64_t max_file_size;  /* larger files: hash only */
        uint64_t max_files;      /* stop (partial) beyond this many entries */
};

struct config_snapshot_stats {
        size_t files;  /* entries in the snapshot */
        size_t read;   /* files read (new or changed stat data) */
        size_t reused; /* files recognised by stat data */
        size_t objects_written;
        uint64_t bytes_written; /* compressed bytes of new objects */
        size_t forbidden;       /* skipped by never_collect */
        size_t excluded;
        size_t unreadable;
        char **unreadable_paths; /* the first ones, "path: reason" (owned) */
        size_t too_deep;         /* directories deeper than the walk goes */
        size_t too_large;        /* hashed only */
        size_t withheld;         /* hold a private key: hashed only */
        bool truncated;          /* max_files reached */
        size_t unreached; /* not reached after max_files: kept as the previous snapshot had them */
        size_t dropped;   /* snapshots pruned */
        uint64_t store_bytes; /* after pruning */
};

#define CONFIG_SNAPSHOT_UNREADABLE_MAX 50
void config_snapshot_stats_done(struct config_snapshot_stats *stats);

/* Opens (creating) <state_dir>/snapshots and takes its lock (waits up to
 * 10 s, then -EBUSY). Removes temporary files left by interrupted runs. */
int config_snapshot_store_open(const char *state_dir, struct config_snapshot_store **ret);
/* Rolls back what was not committed (config_snapshot_rollback()); a store
 * this open created and nothing was committed to is removed whole. Unlocks
 * and frees. NULL-safe; returns NULL. */
struct config_snapshot_store *config_snapshot_store_free(struct config_snapshot_store *s);
const char *config_snapshot_store_path(const struct config_snapshot_store *s);

/* Committed snapshots, oldest first. */
int config_snapshot_list(struct config_snapshot_store *s, struct config_snapshot_info **ret,
                         size_t *ret_n);
void config_snapshot_info_free_many(struct config_snapshot_info *l, size_t n);

/* The name of the full index whose entries name has (itself, or the one an
 * unchanged snapshot refers to), reading only its head. */
int config_snapshot_ref(struct config_snapshot_store *s, const char *name, char **ret);

/* Loads a committed index by file name (following a reference). */
int config_snapshot_load(struct config_snapshot_store *s, const char *name,
                         struct config_snapshot_index **ret);
struct config_snapshot_index *config_snapshot_index_free(struct config_snapshot_index *i);
const struct config_snapshot_entry *config_snapshot_find(const struct config_snapshot_index *i,
                                                         const char *path);

/*
 * Walks the tracked paths below the root. Files whose stat data equal those
 * in prev (may be NULL) keep prev's hash without being read; others are read
 * and hashed, and when store is not NULL their content is added to it. The
 * result is not committed. Returns 0 (also when truncated), -ETIME when the
 * deadline passed, or -errno.
 */
int config_snapshot_scan(const struct config_snapshot_scan *scan,
                         const struct config_snapshot_index *prev,
                         struct config_snapshot_store *store, usec_t time,
                         struct config_snapshot_index **ret, struct config_snapshot_stats *stats);

/* Makes the scanned snapshot visible: syncs the objects, writes the index to
 * a temporary file, fsyncs and renames it. An unchanged snapshot is written as
 * a reference to the full index holding the same entries. Sets idx->name,
 * idx->ref and idx->seq. 0, the store's error (config_snapshot_store_error())
 * or -errno; on failure nothing is visible and config_snapshot_store_free()
 * rolls the objects back. */
int config_snapshot_commit(struct config_snapshot_store *s, struct config_snapshot_index *idx);

/* Removes the objects (and fan-out directories) written since the store was
 * opened or last committed: no committed index refers to them, and the lock
 * kept others from using them. Restores the cached store size. Returns how
 * many objects were removed. */
int config_snapshot_rollback(struct config_snapshot_store *s);

/* The error that stopped objects from being written (-ENOSPC, -EDQUOT,
 * -EROFS, -EFBIG: no room on the store's file system), or 0. Once set, the
 * scan keeps hashing without storing and config_snapshot_commit() returns it. */
int config_snapshot_store_error(const struct config_snapshot_store *s);

/* Drops the oldest snapshots (never the newest) until at most max_snapshots
 * remain and the store holds at most max_bytes, then deletes objects no
 * snapshot refers to. 0 = no limit. */
int config_snapshot_prune(struct config_snapshot_store *s, uint64_t max_snapshots,
                          uint64_t max_bytes, struct config_snapshot_stats *stats);

/* Reads and inflates an object (at most max bytes: -EFBIG beyond). The
 * content is verified against its hash (-EBADMSG on mismatch). */
int config_snapshot_read_object(struct config_snapshot_store *s, const char *sha256, size_t max,
                                char **ret, size_t *ret_len);

/* True if the walk would skip path (or one of its parent directories): it
 * matches never_collect or an exclude pattern. */
bool config_snapshot_path_skipped(const struct config_snapshot_scan *scan, const char *path);

/* SHA-256 of data as 64 hex digits plus NUL. 0 or -ENOMEM/-EIO. */
int config_snapshot_sha256(const void *data, size_t len, char ret[static 65]);
