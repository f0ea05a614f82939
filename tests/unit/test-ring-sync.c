/* SPDX-License-Identifier: MIT */
/*
 * The batched hand-off of a ring (include/ring-sync.h): every slot reaches the
 * consumer once and in order through a small ring, a producer that waits for
 * the ring to empty is not left waiting on a batch smaller than half the
 * ring, and a stop drains the ring or drops what is left, as asked.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ring-sync.h"
#include "thread-util.h"

#define N 4u

struct ring {
        struct ring_sync sync;
        uint64_t slot[N];
        uint64_t seen, sum;
        bool in_order, drain;
};

static void *consumer(void *userdata)
{
        struct ring *r = userdata;

        while (ring_sync_take(&r->sync, r->drain)) {
                uint64_t v = r->slot[r->sync.got % N];

                if (v != r->seen)
                        r->in_order = false;
                r->seen++;
                r->sum += v;
                ring_sync_release(&r->sync);
        }
        return NULL;
}

static void put(struct ring *r, uint64_t v)
{
        ring_sync_wait_room(&r->sync);
        r->slot[r->sync.put % N] = v;
        ring_sync_publish(&r->sync);
}

static void test_every_slot_in_order(void **state)
{
        struct ring r = { .in_order = true, .drain = true };
        pthread_t t;
        const uint64_t n = 100000;

        (void) state;
        ring_sync_init(&r.sync, N);
        assert_int_equal(thread_start(&t, 0, consumer, &r), 0);
        for (uint64_t i = 0; i < n; i++) {
                put(&r, i);
                if (i % 1000 == 7) { /* one slot waiting: below the batch size */
                        ring_sync_wait_empty(&r.sync);
                        assert_int_equal(r.sync.got, i + 1);
                }
        }
        ring_sync_wait_empty(&r.sync);
        assert_int_equal(r.seen, n);
        assert_int_equal(r.sum, n * (n - 1) / 2);
        assert_true(r.in_order);
        ring_sync_stop(&r.sync);
        assert_int_equal(pthread_join(t, NULL), 0);
        ring_sync_done(&r.sync);
}

/* Slots published before a stop: delivered with drain, dropped without. */
static void test_stop(void **state)
{
        (void) state;
        for (int drain = 0; drain <= 1; drain++) {
                struct ring r = { .in_order = true, .drain = drain };
                pthread_t t;

                ring_sync_init(&r.sync, N);
                /* filled before the consumer runs: it finds the stop with three waiting */
                for (uint64_t i = 0; i < 3; i++)
                        put(&r, i);
                ring_sync_stop(&r.sync);
                assert_int_equal(thread_start(&t, 0, consumer, &r), 0);
                assert_int_equal(pthread_join(t, NULL), 0);
                assert_int_equal(r.seen, drain ? 3 : 0);
                assert_true(r.in_order);
                ring_sync_done(&r.sync);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_slot_in_order),
                cmocka_unit_test(test_stop),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
