/* SPDX-License-Identifier: MIT */
/*
 * Parallel block gzip: a byte stream cut into fixed-size blocks, each
 * compressed on a small thread pool with libdeflate into an independent gzip
 * member, and handed out in order. The concatenation is one multi-member gzip
 * file (RFC 1952 §2.2) that gzip, tar, bsdtar and Python's tarfile read.
 * Memory is bounded: one slot per worker and one more, each one block in and its bound out.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define GZPOOL_BLOCK_SIZE (128u * 1024u)
#define GZPOOL_LEVEL_DEFAULT 1
#define GZPOOL_LEVEL_MAX 9 /* libdeflate 10..12 need 9 MiB per compressor */
#define GZPOOL_WORKERS_MAX 4

struct gzpool;

/*
 * Called with each compressed member, in stream order, on the thread that
 * calls gzpool_write()/gzpool_finish(). 0 or -errno (which stops the pool).
 */
typedef int (*gzpool_output_t)(void *userdata, const void *buf, size_t len);

/*
 * A pool compressing at level (0..GZPOOL_LEVEL_MAX) with workers threads
 * (0: one per usable CPU, at most GZPOOL_WORKERS_MAX); block is the
 * uncompressed bytes per member (0: GZPOOL_BLOCK_SIZE). 0, -EINVAL, -ENOMEM,
 * or -errno if a thread cannot start.
 */
int gzpool_new(int level, unsigned workers, size_t block, gzpool_output_t output, void *userdata,
               struct gzpool **ret);

/* Queues len bytes; may block until a slot is free and hand earlier members
 * to the output. 0, or the first error of a worker or of the output. */
int gzpool_write(struct gzpool *p, const void *data, size_t len);

/* Compresses what is queued (the block being filled becomes a short member)
 * and hands out every member; more data may follow. 0 or the first error. */
int gzpool_flush(struct gzpool *p);

/* Compresses what is queued and hands out every remaining member. After it
 * the pool takes no more data. 0 or the first error. */
int gzpool_finish(struct gzpool *p);

/* Stops the threads (dropping what is queued) and frees. Accepts NULL. */
struct gzpool *gzpool_free(struct gzpool *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct gzpool *, gzpool_free);

/* Members handed out so far. */
uint64_t gzpool_members(const struct gzpool *p);

/* Worker threads the pool runs. */
unsigned gzpool_workers(const struct gzpool *p);

/* Of those, the members the producer compressed itself, rather than wait for
 * a worker that was behind. */
uint64_t gzpool_own_members(const struct gzpool *p);

/* One worker per CPU this process may use (affinity mask) but one, the
 * collecting thread's: 1..GZPOOL_WORKERS_MAX. */
unsigned gzpool_default_workers(void);
