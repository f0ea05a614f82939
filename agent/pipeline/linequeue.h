/* SPDX-License-Identifier: MIT */
/*
 * Lines handed to a thread of their own: the sink's line observers (the error
 * extraction) see every redacted line of the logs and the journal, which is a
 * sixth of the collecting thread's work; through this queue they run beside
 * it. Lines are copied into a small ring of chunks (memory bounded; the
 * producer waits when the thread lags) and delivered in order, with their
 * source and metadata, to one callback on the queue's thread.
 */
#pragma once

#include <stddef.h>

#include "macro.h"
#include "sink.h"

struct linequeue;

typedef int (*linequeue_line_t)(void *userdata, const char *source,
                                const struct sink_line_meta *meta, const char *line, size_t len);
typedef void (*linequeue_end_t)(void *userdata, const char *source);

/* 0, -ENOMEM, or -errno if the thread cannot start. */
int linequeue_new(linequeue_line_t line, linequeue_end_t end, void *userdata,
                  struct linequeue **ret);

/* Queues a line of source (meta may be NULL). A line too long for a chunk is
 * delivered on the caller's thread, after what is queued. 0, or the first
 * error a callback returned (the queue then drops further lines). */
int linequeue_line(struct linequeue *q, const char *source, const struct sink_line_meta *meta,
                   const char *line, size_t len);

/* Queues the end of source. */
int linequeue_end(struct linequeue *q, const char *source);

/* Waits until every queued line was delivered: the callbacks' state may then
 * be read. 0 or the first error of a callback. */
int linequeue_sync(struct linequeue *q);

/* Delivers what is queued, stops the thread and frees. Accepts NULL. */
struct linequeue *linequeue_free(struct linequeue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct linequeue *, linequeue_free);
