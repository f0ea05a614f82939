/* SPDX-License-Identifier: MIT */
/*
 * The hand-off of a ring of n slots between producers and one consumer thread
 * (agent/basic/ring-sync.c): which slots are filled (got..put-1, slot i at
 * i % n), who waits, and who wakes whom. Hand-offs come in batches: every
 * wake-up costs both threads a context switch, and on a machine with few CPUs
 * the woken thread preempts the one that woke it. So an idle consumer is
 * woken when half the ring is filled (or at once when a producer waits for
 * the ring to empty), a waiting producer when half the ring is free again or the
 * ring is empty, only a thread that waits is signalled, and after the lock is
 * released. The owner keeps the slots; lock also guards the owner's fields
 * that go with them (an error, counters).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct ring_sync {
        pthread_mutex_t lock;
        pthread_cond_t filled; /* the consumer waits: a slot was filled, or stop */
        pthread_cond_t freed;  /* producers wait: slots were released */
        unsigned n;
        uint64_t put, got; /* slots published, released */
        unsigned waiting;  /* producers waiting on freed */
        bool idle;         /* the consumer waits on filled */
        bool stop;
};

void ring_sync_init(struct ring_sync *r, unsigned n);
void ring_sync_done(struct ring_sync *r);

/* Producer: waits until slot put % n is free (the ring is not full). */
void ring_sync_wait_room(struct ring_sync *r);
/* Producer: slot put % n is filled. */
void ring_sync_publish(struct ring_sync *r);
/* Producer: waits until the consumer has released every published slot. */
void ring_sync_wait_empty(struct ring_sync *r);

/* Consumer: waits until slot got % n is filled. false once stopped: at once,
 * or (drain) when every published slot was released. */
bool ring_sync_take(struct ring_sync *r, bool drain);
/* Consumer: slot got % n is done with. */
void ring_sync_release(struct ring_sync *r);

/* Tells the consumer to stop (see ring_sync_take()). */
void ring_sync_stop(struct ring_sync *r);
