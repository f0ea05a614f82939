/* SPDX-License-Identifier: MIT */
/*
 * The line queue (agent/pipeline/linequeue.h): a ring of LQ_CHUNKS chunks of
 * records, filled by the producer and emptied in order by the thread. A
 * record is a header, then the unit name (when the metadata has one) and the
 * bytes, each with a NUL; a source record names the source of the lines that
 * follow, so that a line does not carry it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc-util.h"
#include "pipeline/linequeue.h"
#include "ring-sync.h"
#include "thread-util.h"

#define LQ_CHUNK (32u * 1024u)
#define LQ_CHUNKS 4u

enum {
        LQ_SOURCE,
        LQ_LINE,
        LQ_END,
};

enum {
        LQ_META = 1u << 0,
        LQ_UNIT = 1u << 1,
        LQ_WORDS = 1u << 2, /* words is known */
};

struct lq_rec {
        uint32_t size; /* of the record, header included, a multiple of 8 */
        uint8_t kind;
        uint8_t flags;
        uint16_t unit_len;
        int32_t priority;
        uint32_t len;
        uint64_t timestamp;
        uint64_t words;
};

struct lq_chunk {
        size_t len;
        char data[LQ_CHUNK];
};

struct linequeue {
        struct ring_sync ring; /* its lock also guards error */
        struct lq_chunk chunks[LQ_CHUNKS];
        struct lq_chunk *cur; /* being filled, or NULL */
        bool started;
        int error; /* the first error of a callback */
        pthread_t thread;
        linequeue_line_t line;
        linequeue_end_t end;
        void *userdata;
        char *source;        /* producer: the source of the last queued record */
        char *thread_source; /* thread: the source of the lines being delivered */
};

static void deliver(struct linequeue *q, const char *p, size_t n)
{
        while (n >= sizeof(struct lq_rec)) {
                struct lq_rec h;
                const char *unit, *text;
                int r = 0;

                memcpy(&h, p, sizeof(h));
                unit = p + sizeof(h);
                text = unit + (h.flags & LQ_UNIT ? h.unit_len + 1u : 0u);
                if (h.kind == LQ_SOURCE) {
                        free(q->thread_source);
                        q->thread_source = xstrdup(text);
                        if (!q->thread_source)
                                r = -ENOMEM;
                } else if (h.kind == LQ_END) {
                        if (q->end)
                                q->end(q->userdata, text);
                } else if (q->error == 0) {
                        struct sink_line_meta m = {
                                .timestamp = h.timestamp,
                                .priority = h.priority,
                                .unit = h.flags & LQ_UNIT ? unit : NULL,
                                .words = h.words,
                                .words_known = h.flags & LQ_WORDS,
                        };

                        r = q->line(q->userdata, q->thread_source ?: "unknown",
                                    h.flags & LQ_META ? &m : NULL, text, h.len);
                }
                if (r < 0 && q->error == 0) {
                        pthread_mutex_lock(&q->ring.lock);
                        q->error = r;
                        pthread_mutex_unlock(&q->ring.lock);
                }
                p += h.size;
                n -= h.size;
        }
}

static void *lq_main(void *userdata)
{
        struct linequeue *q = userdata;

        /* a stop delivers what was queued first */
        while (ring_sync_take(&q->ring, true)) {
                struct lq_chunk *c = &q->chunks[q->ring.got % LQ_CHUNKS];

                deliver(q, c->data, c->len);
                ring_sync_release(&q->ring);
        }
        return NULL;
}

int linequeue_new(linequeue_line_t line, linequeue_end_t end, void *userdata,
                  struct linequeue **ret)
{
        _cleanup_(linequeue_freep) struct linequeue *q = NULL;
        int r;

        if (!line || !ret)
                return -EINVAL;
        q = xcalloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        ring_sync_init(&q->ring, LQ_CHUNKS);
        q->line = line;
        q->end = end;
        q->userdata = userdata;
        r = thread_start(&q->thread, 256 * 1024, lq_main, q);
        if (r < 0)
                return r;
        q->started = true;
        *ret = TAKE_PTR(q);
        return 0;
}

static void publish(struct linequeue *q)
{
        if (!q->cur)
                return;
        ring_sync_publish(&q->ring);
        q->cur = NULL;
}

/* Room for size bytes in the current chunk, waiting for the thread if the ring is full. */
static char *reserve(struct linequeue *q, size_t size)
{
        char *p;

        if (q->cur && q->cur->len + size > LQ_CHUNK)
                publish(q);
        if (!q->cur) {
                ring_sync_wait_room(&q->ring);
                q->cur = &q->chunks[q->ring.put % LQ_CHUNKS];
                q->cur->len = 0;
        }
        p = q->cur->data + q->cur->len;
        q->cur->len += size;
        return p;
}

static int error_of(struct linequeue *q)
{
        int r;

        pthread_mutex_lock(&q->ring.lock);
        r = q->error;
        pthread_mutex_unlock(&q->ring.lock);
        return r;
}

/* Queues a record; false when it does not fit in a chunk. */
static bool queue(struct linequeue *q, int kind, const struct sink_line_meta *meta,
                  const char *text, size_t len)
{
        size_t unit_len = meta && meta->unit ? strlen(meta->unit) : 0;
        size_t size = sizeof(struct lq_rec) + (meta && meta->unit ? unit_len + 1 : 0) + len + 1;
        struct lq_rec h = {
                .kind = (uint8_t) kind,
                .flags = (uint8_t) ((meta ? LQ_META : 0) | (meta && meta->unit ? LQ_UNIT : 0) |
                                    (meta && meta->words_known ? LQ_WORDS : 0)),
                .unit_len = (uint16_t) unit_len,
                .priority = meta ? meta->priority : -1,
                .len = (uint32_t) len,
                .timestamp = meta ? meta->timestamp : 0,
                .words = meta ? meta->words : 0,
        };
        char *p;

        size = (size + 7) & ~(size_t) 7;
        if (size > LQ_CHUNK || unit_len > UINT16_MAX)
                return false;
        h.size = (uint32_t) size;
        p = reserve(q, size);
        memcpy(p, &h, sizeof(h));
        p += sizeof(h);
        if (meta && meta->unit) {
                memcpy(p, meta->unit, unit_len + 1);
                p += unit_len + 1;
        }
        memcpy(p, text, len);
        p[len] = 0;
        return true;
}

static int set_source(struct linequeue *q, const char *source)
{
        source = source ?: "unknown";
        if (q->source && streq(q->source, source))
                return 0;
        free(q->source);
        q->source = xstrdup(source);
        if (!q->source)
                return -ENOMEM;
        return queue(q, LQ_SOURCE, NULL, source, strlen(source)) ? 0 : -E2BIG;
}

int linequeue_line(struct linequeue *q, const char *source, const struct sink_line_meta *meta,
                   const char *line, size_t len)
{
        int r = error_of(q);

        if (r < 0)
                return r;
        r = set_source(q, source);
        if (r < 0)
                return r;
        if (queue(q, LQ_LINE, meta, line, len))
                return 0;
        /* too long for a chunk: in order, on this thread */
        r = linequeue_sync(q);
        if (r < 0)
                return r;
        return q->line(q->userdata, q->source, meta, line, len);
}

int linequeue_end(struct linequeue *q, const char *source)
{
        source = source ?: "unknown";
        if (queue(q, LQ_END, NULL, source, strlen(source)))
                return 0;
        int r = linequeue_sync(q);

        if (q->end)
                q->end(q->userdata, source);
        return r;
}

int linequeue_sync(struct linequeue *q)
{
        if (!q)
                return 0;
        publish(q);
        ring_sync_wait_empty(&q->ring);
        return error_of(q);
}

struct linequeue *linequeue_free(struct linequeue *q)
{
        if (!q)
                return NULL;
        if (q->started) {
                publish(q);
                ring_sync_stop(&q->ring);
                pthread_join(q->thread, NULL);
        }
        free(q->source);
        free(q->thread_source);
        ring_sync_done(&q->ring);
        free(q);
        return NULL;
}
