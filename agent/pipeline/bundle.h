/* SPDX-License-Identifier: MIT */
/*
 * The bundle writer: a pax tar.gz (a multi-member gzip of blocks compressed
 * in parallel) written with libarchive to "<path>.tmp"
 * (mode 0600), made durable with fsync and renamed into place on commit.
 * Every member goes below one top directory named after the bundle. The
 * archive's own size and SHA-256 are computed while it is written.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "time-util.h"

struct bundle;

/*
 * Creates the temporary archive for final_path ("…/collect-host-time.tar.gz").
 * The top directory is the file name without ".tar.gz". -EEXIST if final_path
 * exists, -errno if the directory is not writable (the caller exits 73).
 */
int bundle_new(const char *final_path, usec_t mtime, struct bundle **ret);

/* Sets the gzip level (0..9; default 5) of the blocks; before the first member.
 * -ERANGE, -EBUSY once writing has started. */
int bundle_set_compression(struct bundle *b, int level);

/* Hands every member added from now on (full name and bytes) to the
 * streaming leak check lc (owned by the caller, outlives the bundle's writing). */
struct leakcheck;
void bundle_set_leakcheck(struct bundle *b, struct leakcheck *lc);

/* Adds member name (relative to the top directory) with size bytes read from
 * fd at its current offset; the member's SHA-256 goes to hex (may be NULL).
 * 0, -EIO (archive error, logged once), -errno. */
int bundle_add_fd(struct bundle *b, const char *name, int fd, uint64_t size, char *hex);

/*
 * The same on the bundle's writer thread, so that reading the staged file
 * back, hashing and archiving it overlap with collecting the next one: fd is
 * taken over (closed when written) and read from its current offset. At most
 * BUNDLE_JOBS_MAX jobs wait to be reaped (-EBUSY beyond). Members keep the
 * order in which they were added, also with the synchronous calls, which
 * first wait for the queued jobs to be written. hex, when not NULL, is the
 * member's SHA-256 (made as it was staged): the writer does not hash it; else
 * the writer does, and bundle_reap() gives it.
 */
#define BUNDLE_JOBS_MAX 32
int bundle_add_fd_async(struct bundle *b, const char *name, int fd, uint64_t size, const char *hex,
                        uint64_t tag);

/* An in-memory member the same way: data (malloc'ed, len bytes) is taken over
 * (freed also on error). Small members wake the writer in batches. */
int bundle_add_data_async(struct bundle *b, const char *name, void *data, size_t len, uint64_t tag);

/*
 * A member staged already compressed: fd holds gzip members made at the
 * bundle's level (bundle_level()) from the member's size bytes, packed_size
 * bytes of them from its current offset, and hex is the member's SHA-256 (its
 * leak check was done while it was staged). On the writer thread like
 * bundle_add_fd_async(): libarchive writes the header, which is flushed as a
 * gzip member of its own, then the packed members are copied into the file
 * as they are (a multi-member gzip file is the concatenation of its members),
 * so the member is neither read nor compressed again.
 */
int bundle_add_packed_async(struct bundle *b, const char *name, int fd, uint64_t size,
                            uint64_t packed_size, const char hex[static 65], uint64_t tag);

/* The compression level of the bundle's gzip members. */
int bundle_level(const struct bundle *b);

/* The leak check set with bundle_set_leakcheck(), or NULL. */
struct leakcheck *bundle_leakcheck(const struct bundle *b);

/* The oldest async job, once written (wait: until it is): 1 with its tag and
 * SHA-256 in hex, 0 when none is done (or none queued), or the job's -errno
 * (its tag set too). */
int bundle_reap(struct bundle *b, bool wait, uint64_t *ret_tag, char hex[static 65]);

/* Async jobs not reaped yet. */
unsigned bundle_jobs(const struct bundle *b);

/* Adds an in-memory member; its SHA-256 goes to hex (may be NULL). */
int bundle_add_data(struct bundle *b, const char *name, const void *data, size_t len, char *hex);

/* Finishes the archive and fsyncs it under its temporary name (for the leak
 * check); the size and SHA-256 are then known. */
int bundle_finish(struct bundle *b);

/* Finishes (if not yet) and renames it into place, never replacing a file
 * (-EEXIST). The bundle stays allocated (for bundle_path etc.) but takes no
 * more members. */
int bundle_commit(struct bundle *b);

/* Moves a finished, uncommitted bundle to path instead (quarantine); bundle_path()
 * then names it. */
int bundle_move_aside(struct bundle *b, const char *path);

/* The temporary file being written, NULL once committed. */
const char *bundle_tmp_path(const struct bundle *b);

/* Removes "collect-*.tar.gz.tmp" files in dir older than an hour that no
 * live run holds (each writer holds an flock on its file). Returns how many. */
int bundle_sweep(const char *dir);

/* rename() that never replaces: renameat2(RENAME_NOREPLACE), else link+unlink. */
int rename_noreplace(const char *from, const char *to);

/* Removes the temporary file (when not committed) and frees. Accepts NULL. */
struct bundle *bundle_free(struct bundle *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bundle *, bundle_free);

const char *bundle_path(const struct bundle *b);
const char *bundle_top(const struct bundle *b);
/* Valid after bundle_finish(). */
uint64_t bundle_bytes(const struct bundle *b);
const char *bundle_sha256(const struct bundle *b);

/* SHA-256 of a file as 64 hex characters into hex[65]. 0 or -errno. */
int sha256_fd_hex(int fd, char hex[static 65]);
