/* SPDX-License-Identifier: MIT */
/*
 * Parallel block gzip (agent/pipeline/gzpool.h), in the manner of htslib's
 * BGZF and pigz --independent: a ring of one slot per worker and one more. The producer
 * fills slot seq % n, workers compress FILLED slots with their own libdeflate
 * compressor, and the producer itself hands DONE slots to the output in
 * sequence order before it reuses them, so order needs no sorting. When
 * every slot is in flight the producer does not wait while a FILLED slot no
 * worker has taken yet is left: it compresses that one itself, with a
 * compressor of its own made on first use (a worker that falls behind, as
 * on two CPUs shared by three busy threads, then costs the producer work
 * rather than an idle CPU); it waits (back-pressure) only when every slot is
 * being compressed. Member
 * boundaries depend only on byte counts: the output is the same for any
 * number of workers.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "alloc-util.h"
#include "pipeline/gzpool.h"
#include "thread-util.h"

enum slot_state {
        SLOT_FREE,
        SLOT_FILLED, /* waiting for a worker */
        SLOT_BUSY,   /* a worker compresses it */
        SLOT_DONE,   /* compressed, waiting for the output */
};

struct slot {
        enum slot_state state;
        uint64_t seq;
        size_t len;
        size_t out_len;
        unsigned char *in;
        unsigned char *out;
};

struct worker {
        struct gzpool *pool;
        struct libdeflate_compressor *c;
        pthread_t thread;
        bool started;
};

struct gzpool {
        pthread_mutex_t lock;
        pthread_cond_t work; /* a slot became FILLED, or stop */
        pthread_cond_t done; /* a slot became DONE, or an error */
        struct slot *slots;
        unsigned n_slots;
        struct worker *workers;
        unsigned n_workers;
        struct libdeflate_compressor *own; /* the producer's, made on first use */
        uint64_t own_members;
        int level;
        size_t block;
        size_t out_max;
        struct slot *cur;   /* being filled by the producer, or NULL */
        uint64_t fill_seq;  /* sequence number of the next slot to fill */
        uint64_t write_seq; /* sequence number of the next member to hand out */
        unsigned idle;      /* workers waiting for work */
        unsigned waiting;   /* the producer waits for a member */
        bool stop;
        bool finished;
        int error;
        gzpool_output_t output;
        void *userdata;
};

/* One CPU is the collecting thread's; each worker's compressor keeps about
 * 300 KiB resident at level 3. */
unsigned gzpool_default_workers(void)
{
        return MIN(MAX(thread_cpus(), 2u) - 1, (unsigned) GZPOOL_WORKERS_MAX);
}

/* The FILLED slot with the lowest sequence number, or NULL. Under the lock. */
static struct slot *next_filled(struct gzpool *p)
{
        struct slot *best = NULL;

        for (unsigned i = 0; i < p->n_slots; i++) {
                struct slot *s = &p->slots[i];

                if (s->state == SLOT_FILLED && (!best || s->seq < best->seq))
                        best = s;
        }
        return best;
}

/* Compresses the FILLED slot s with c, without the lock meanwhile. Under the lock. */
static void compress_slot(struct gzpool *p, struct libdeflate_compressor *c, struct slot *s)
{
        size_t n;

        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&p->lock);
        n = libdeflate_gzip_compress(c, s->in, s->len, s->out, p->out_max);
        pthread_mutex_lock(&p->lock);
        s->out_len = n;
        s->state = SLOT_DONE;
        if (n == 0 && p->error == 0)
                p->error = -ENOBUFS; /* cannot happen with a bound-sized buffer */
}

static void *worker_main(void *userdata)
{
        struct worker *w = userdata;
        struct gzpool *p = w->pool;

        thread_helper_priority();

        pthread_mutex_lock(&p->lock);
        for (;;) {
                struct slot *s = NULL;

                while (!p->stop && !(s = next_filled(p))) {
                        p->idle++;
                        pthread_cond_wait(&p->work, &p->lock);
                        p->idle--;
                }
                if (p->stop)
                        break;
                compress_slot(p, w->c, s);
                if (p->waiting > 0) {
                        pthread_mutex_unlock(&p->lock);
                        pthread_cond_broadcast(&p->done);
                        pthread_mutex_lock(&p->lock);
                }
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static int start_workers(struct gzpool *p)
{
        for (unsigned i = 0; i < p->n_workers; i++) {
                int r = thread_start(&p->workers[i].thread, 256 * 1024, worker_main,
                                     &p->workers[i]);

                if (r < 0)
                        return r;
                p->workers[i].started = true;
        }
        return 0;
}

static int alloc_slots(struct gzpool *p, int level)
{
        /* one being filled while every worker compresses; at least three, so
         * that a single worker a little behind does not stop the producer at
         * every member (a finished member waits for the output meanwhile) */
        p->n_slots = MAX(p->n_workers + 1, 3u);
        p->slots = xcalloc(p->n_slots, sizeof(struct slot));
        p->workers = xcalloc(p->n_workers, sizeof(struct worker));
        if (!p->slots || !p->workers)
                return -ENOMEM;
        for (unsigned i = 0; i < p->n_workers; i++) {
                p->workers[i].pool = p;
                p->workers[i].c = libdeflate_alloc_compressor(level);
                if (!p->workers[i].c)
                        return -ENOMEM;
        }
        p->out_max = libdeflate_gzip_compress_bound(p->workers[0].c, p->block);
        for (unsigned i = 0; i < p->n_slots; i++) {
                p->slots[i].in = xmalloc(p->block);
                p->slots[i].out = xmalloc(p->out_max);
                if (!p->slots[i].in || !p->slots[i].out)
                        return -ENOMEM;
        }
        return 0;
}

int gzpool_new(int level, unsigned workers, size_t block, gzpool_output_t output, void *userdata,
               struct gzpool **ret)
{
        _cleanup_(gzpool_freep) struct gzpool *p = NULL;
        int r;

        if (level < 0 || level > GZPOOL_LEVEL_MAX || !output || !ret)
                return -EINVAL;
        p = xcalloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->work, NULL);
        pthread_cond_init(&p->done, NULL);
        p->n_workers = workers ? MIN(workers, (unsigned) GZPOOL_WORKERS_MAX) :
                                 gzpool_default_workers();
        p->block = block ? block : GZPOOL_BLOCK_SIZE;
        p->output = output;
        p->userdata = userdata;
        p->level = level;
        r = alloc_slots(p, level);
        if (r < 0)
                return r;
        r = start_workers(p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int pool_error(struct gzpool *p)
{
        int r;

        pthread_mutex_lock(&p->lock);
        r = p->error;
        pthread_mutex_unlock(&p->lock);
        return r;
}

/* Hands the oldest member to the output, compressing members no worker has
 * taken meanwhile (the oldest first), else waiting for its worker. */
static int drain_one(struct gzpool *p)
{
        struct slot *s = &p->slots[p->write_seq % p->n_slots];
        int r;

        pthread_mutex_lock(&p->lock);
        while (s->state != SLOT_DONE && p->error == 0) {
                struct slot *f = next_filled(p);

                if (f && !p->own) {
                        /* made once, without the lock (the workers take it); then look again */
                        pthread_mutex_unlock(&p->lock);
                        p->own = libdeflate_alloc_compressor(p->level);
                        pthread_mutex_lock(&p->lock);
                        if (!p->own) { /* out of memory: wait for the workers */
                                p->waiting++;
                                pthread_cond_wait(&p->done, &p->lock);
                                p->waiting--;
                        }
                        continue;
                }
                if (f) {
                        compress_slot(p, p->own, f);
                        p->own_members++;
                        continue;
                }
                p->waiting++;
                pthread_cond_wait(&p->done, &p->lock);
                p->waiting--;
        }
        r = p->error;
        pthread_mutex_unlock(&p->lock);
        if (r < 0)
                return r;
        r = p->output(p->userdata, s->out, s->out_len);
        pthread_mutex_lock(&p->lock);
        if (r < 0 && p->error == 0)
                p->error = r;
        s->state = SLOT_FREE;
        pthread_mutex_unlock(&p->lock);
        p->write_seq++;
        return r;
}

/* Takes the slot for fill_seq, first handing out the member that used it. */
static int acquire(struct gzpool *p)
{
        int r;

        while (p->write_seq + p->n_slots <= p->fill_seq) {
                r = drain_one(p);
                if (r < 0)
                        return r;
        }
        p->cur = &p->slots[p->fill_seq % p->n_slots];
        p->cur->len = 0;
        p->cur->seq = p->fill_seq;
        return 0;
}

/* The signal follows the unlock (the woken worker does not at once block on
 * the lock), and only an idle worker is woken. */
static void publish(struct gzpool *p)
{
        bool wake;

        pthread_mutex_lock(&p->lock);
        p->cur->state = SLOT_FILLED;
        wake = p->idle > 0;
        pthread_mutex_unlock(&p->lock);
        if (wake)
                pthread_cond_signal(&p->work);
        p->cur = NULL;
        p->fill_seq++;
}

/* Whether data may still be added: 0, -EINVAL after finish, or the pool's error. */
static int writable(struct gzpool *p)
{
        return p->finished ? -EINVAL : pool_error(p);
}

int gzpool_write(struct gzpool *p, const void *data, size_t len)
{
        const unsigned char *d = data;
        int r;

        r = writable(p);
        if (r < 0)
                return r;
        while (len > 0) {
                size_t n;

                if (!p->cur) {
                        r = acquire(p);
                        if (r < 0)
                                return r;
                }
                n = MIN(len, p->block - p->cur->len);
                memcpy(p->cur->in + p->cur->len, d, n);
                p->cur->len += n;
                d += n;
                len -= n;
                if (p->cur->len == p->block)
                        publish(p);
        }
        return 0;
}

/* Hands every published member to the output, in order. */
static int drain_all(struct gzpool *p)
{
        while (p->write_seq < p->fill_seq) {
                int r = drain_one(p);

                if (r < 0)
                        return r;
        }
        return 0;
}

int gzpool_flush(struct gzpool *p)
{
        int r = writable(p);

        if (r < 0)
                return r;
        if (p->cur && p->cur->len > 0)
                publish(p);
        return drain_all(p);
}

int gzpool_finish(struct gzpool *p)
{
        int r;

        if (p->finished)
                return -EINVAL;
        p->finished = true;
        r = pool_error(p);
        if (r < 0)
                return r;
        /* An empty stream still becomes one (empty) member: a gzip file has at least one. */
        if (p->cur || p->fill_seq == 0) {
                if (!p->cur) {
                        r = acquire(p);
                        if (r < 0)
                                return r;
                }
                publish(p);
        }
        return drain_all(p);
}

struct gzpool *gzpool_free(struct gzpool *p)
{
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; p->workers && i < p->n_workers; i++) {
                if (p->workers[i].started)
                        pthread_join(p->workers[i].thread, NULL);
                if (p->workers[i].c)
                        libdeflate_free_compressor(p->workers[i].c);
        }
        if (p->own)
                libdeflate_free_compressor(p->own);
        for (unsigned i = 0; p->slots && i < p->n_slots; i++) {
                free(p->slots[i].in);
                free(p->slots[i].out);
        }
        free(p->slots);
        free(p->workers);
        pthread_cond_destroy(&p->done);
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}

uint64_t gzpool_members(const struct gzpool *p)
{
        return p->write_seq;
}

uint64_t gzpool_own_members(const struct gzpool *p)
{
        return p->own_members;
}

unsigned gzpool_workers(const struct gzpool *p)
{
        return p->n_workers;
}
