/* SPDX-License-Identifier: MIT */
/* Batched hand-offs of a ring of slots (include/ring-sync.h). */
#include "ring-sync.h"

void ring_sync_init(struct ring_sync *r, unsigned n)
{
        *r = (struct ring_sync) { .n = n };
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->filled, NULL);
        pthread_cond_init(&r->freed, NULL);
}

void ring_sync_done(struct ring_sync *r)
{
        pthread_cond_destroy(&r->freed);
        pthread_cond_destroy(&r->filled);
        pthread_mutex_destroy(&r->lock);
}

/* One wait on freed, under lock. */
static void wait_freed(struct ring_sync *r)
{
        r->waiting++;
        pthread_cond_wait(&r->freed, &r->lock);
        r->waiting--;
}

void ring_sync_wait_room(struct ring_sync *r)
{
        pthread_mutex_lock(&r->lock);
        /* when the ring became full, the publish that filled it woke the consumer */
        while (r->put - r->got >= r->n)
                wait_freed(r);
        pthread_mutex_unlock(&r->lock);
}

void ring_sync_publish(struct ring_sync *r)
{
        bool wake;

        pthread_mutex_lock(&r->lock);
        r->put++;
        wake = r->idle && r->put - r->got >= (r->n + 1) / 2;
        pthread_mutex_unlock(&r->lock);
        if (wake)
                pthread_cond_signal(&r->filled);
}

void ring_sync_wait_empty(struct ring_sync *r)
{
        pthread_mutex_lock(&r->lock);
        if (r->idle && r->got < r->put) /* a batch it was not woken for */
                pthread_cond_signal(&r->filled);
        while (r->got < r->put)
                wait_freed(r);
        pthread_mutex_unlock(&r->lock);
}

bool ring_sync_take(struct ring_sync *r, bool drain)
{
        bool ok;

        pthread_mutex_lock(&r->lock);
        while (!r->stop && r->got == r->put) {
                r->idle = true;
                pthread_cond_wait(&r->filled, &r->lock);
                r->idle = false;
        }
        ok = r->got < r->put && (!r->stop || drain);
        pthread_mutex_unlock(&r->lock);
        return ok;
}

void ring_sync_release(struct ring_sync *r)
{
        bool wake;

        pthread_mutex_lock(&r->lock);
        r->got++;
        wake = r->waiting > 0 && (r->got == r->put || r->put - r->got <= r->n / 2);
        pthread_mutex_unlock(&r->lock);
        if (wake)
                pthread_cond_broadcast(&r->freed);
}

void ring_sync_stop(struct ring_sync *r)
{
        pthread_mutex_lock(&r->lock);
        r->stop = true;
        pthread_mutex_unlock(&r->lock);
        pthread_cond_broadcast(&r->filled);
}
