/* SPDX-License-Identifier: MIT */
/*
 * Tests of the line queue (agent/pipeline/linequeue.c): lines arrive on the
 * queue's thread in order with their source and metadata (unit or not), the
 * ends of sources between them; a line longer than a chunk comes in its
 * place; a callback's error is returned and later lines are dropped; what is
 * queued is delivered when the queue is freed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dynbuf.h"
#include "pipeline/linequeue.h"

struct seen {
        struct dynbuf log; /* "source|unit|prio|ts|text\n" per line, "END source\n" per end */
        pthread_t caller;
        unsigned on_caller; /* lines delivered on the caller's thread */
        unsigned fail_at;   /* the line number (from 1) whose callback fails, 0: none */
        unsigned n;
};

static int on_line(void *userdata, const char *source, const struct sink_line_meta *meta,
                   const char *line, size_t len)
{
        struct seen *s = userdata;

        s->n++;
        if (pthread_equal(pthread_self(), s->caller))
                s->on_caller++;
        if (s->fail_at && s->n == s->fail_at)
                return -EBADMSG;
        assert_int_equal(line[len], 0);
        (void) dynbuf_addf(&s->log, "%s|%s|%d|%llu|%.*s\n", source,
                           meta ? (meta->unit ?: "-") : "nometa", meta ? meta->priority : 9,
                           meta ? (unsigned long long) meta->timestamp : 0ULL,
                           len > 40 ? 40 : (int) len, line);
        return 0;
}

static void on_end(void *userdata, const char *source)
{
        struct seen *s = userdata;

        (void) dynbuf_addf(&s->log, "END %s\n", source);
}

static void test_order_and_meta(void **state)
{
        struct seen s = { .caller = pthread_self() };
        struct linequeue *q = NULL;
        struct sink_line_meta m = { .timestamp = 1234, .priority = 3, .unit = "a.service" };
        struct sink_line_meta m2 = { .timestamp = 5, .priority = -1 };
        char expect[4096];
        size_t big_len = 100 * 1024;
        char *big = malloc(big_len + 1);

        (void) state;
        dynbuf_init(&s.log, 1 << 20);
        memset(big, 'x', big_len);
        big[big_len] = 0;
        assert_int_equal(linequeue_new(on_line, on_end, &s, &q), 0);
        assert_int_equal(linequeue_line(q, "/var/log/a", NULL, "one", 3), 0);
        assert_int_equal(linequeue_line(q, "/var/log/a", &m, "two words", 9), 0);
        assert_int_equal(linequeue_end(q, "/var/log/a"), 0);
        assert_int_equal(linequeue_line(q, "journal", &m2, "three", 5), 0);
        assert_int_equal(linequeue_line(q, "journal", &m2, big, big_len), 0); /* on this thread */
        assert_int_equal(linequeue_line(q, "/var/log/a", NULL, "four", 4), 0);
        for (int i = 0; i < 5000; i++) /* several chunks */
                assert_int_equal(linequeue_line(q, "many", &m, "a line of a few words", 21), 0);
        assert_int_equal(linequeue_sync(q), 0);
        assert_int_equal(s.on_caller, 1);
        assert_int_equal(s.n, 5005);
        snprintf(expect, sizeof(expect),
                 "/var/log/a|nometa|9|0|one\n/var/log/a|a.service|3|1234|two words\n"
                 "END /var/log/a\njournal|-|-1|5|three\njournal|-|-1|5|%.40s\n"
                 "/var/log/a|nometa|9|0|four\nmany|a.service|3|1234|a line of a few words\n",
                 big);
        assert_true(s.log.len > strlen(expect));
        assert_memory_equal(s.log.buf, expect, strlen(expect));
        linequeue_free(q);
        dynbuf_done(&s.log);
        free(big);
}

static void test_error_and_free(void **state)
{
        struct seen s = { .caller = pthread_self(), .fail_at = 3 };
        struct linequeue *q = NULL;
        int r = 0;

        (void) state;
        dynbuf_init(&s.log, 1 << 20);
        assert_int_equal(linequeue_new(on_line, on_end, &s, &q), 0);
        for (int i = 0; i < 10; i++)
                assert_int_equal(linequeue_line(q, "src", NULL, "line", 4), 0);
        assert_int_equal(linequeue_sync(q), -EBADMSG);
        for (int i = 0; i < 10 && r == 0; i++)
                r = linequeue_line(q, "src", NULL, "line", 4);
        assert_int_equal(r, -EBADMSG);
        assert_int_equal(s.n, 3); /* nothing after the failing line */
        linequeue_free(q);
        dynbuf_done(&s.log);

        /* freed with lines queued: they are delivered first */
        s = (struct seen) { .caller = pthread_self() };
        dynbuf_init(&s.log, 1 << 20);
        assert_int_equal(linequeue_new(on_line, NULL, &s, &q), 0);
        for (int i = 0; i < 3000; i++)
                assert_int_equal(linequeue_line(q, "src", NULL, "line", 4), 0);
        assert_int_equal(linequeue_end(q, "src"), 0);
        linequeue_free(q);
        assert_int_equal(s.n, 3000);
        dynbuf_done(&s.log);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_meta),
                cmocka_unit_test(test_error_and_free),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
