/* SPDX-License-Identifier: MIT */
/*
 * Tests of the parallel block compressor (agent/pipeline/gzpool.c): the
 * members read back with zlib (inflateReset after each member) give the input
 * back, one member per block, the same bytes for any number of workers (and
 * whichever blocks the producer compressed itself when its worker was
 * behind), an empty stream is one valid member, and an output error stops
 * the pool.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "pipeline/gzpool.h"

struct out {
        unsigned char *buf;
        size_t len, size;
        unsigned calls;
        unsigned fail_after; /* 0: never */
};

static int collect_output(void *userdata, const void *buf, size_t len)
{
        struct out *o = userdata;

        if (o->fail_after && o->calls >= o->fail_after)
                return -ENOSPC;
        o->calls++;
        if (o->len + len > o->size) {
                o->size = (o->len + len) * 2;
                o->buf = realloc(o->buf, o->size);
                assert_non_null(o->buf);
        }
        memcpy(o->buf + o->len, buf, len);
        o->len += len;
        return 0;
}

/* Inflates every member; returns the member count, the data in *ret. */
static unsigned gunzip_members(const unsigned char *in, size_t len, unsigned char *out,
                               size_t out_size, size_t *ret_len)
{
        z_stream z = {};
        unsigned members = 0;

        assert_int_equal(inflateInit2(&z, 31), Z_OK);
        z.next_in = (unsigned char *) in;
        z.avail_in = (uInt) len;
        z.next_out = out;
        z.avail_out = (uInt) out_size;
        while (z.avail_in > 0) {
                int r = inflate(&z, Z_NO_FLUSH);

                if (r == Z_STREAM_END) {
                        members++;
                        assert_int_equal(inflateReset(&z), Z_OK);
                        continue;
                }
                assert_int_equal(r, Z_OK);
        }
        *ret_len = out_size - z.avail_out;
        inflateEnd(&z);
        return members;
}

static unsigned char *make_text(size_t n)
{
        unsigned char *t = malloc(n);
        uint32_t x = 12345;

        assert_non_null(t);
        for (size_t i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                t[i] = (i % 61 == 60) ? '\n' : (unsigned char) ('a' + (x >> 16) % 7);
        }
        return t;
}

static void compress_with(unsigned workers, size_t block, const unsigned char *in, size_t n,
                          size_t piece, struct out *o)
{
        struct gzpool *p = NULL;

        assert_int_equal(gzpool_new(6, workers, block, collect_output, o, &p), 0);
        assert_int_equal(gzpool_workers(p), workers);
        for (size_t off = 0; off < n; off += piece)
                assert_int_equal(gzpool_write(p, in + off, n - off < piece ? n - off : piece), 0);
        assert_int_equal(gzpool_finish(p), 0);
        assert_int_equal(gzpool_members(p), (n + block - 1) / block);
        assert_int_equal(gzpool_write(p, "x", 1), -EINVAL);
        gzpool_free(p);
}

static void test_roundtrip_same_for_any_workers(void **state)
{
        const size_t n = 3 * 1024 * 1024 + 12345, block = 64 * 1024;
        unsigned char *in = make_text(n), *back = malloc(n + 1);
        struct out o1 = {}, o2 = {}, o3 = {};
        size_t len = 0;

        (void) state;
        assert_non_null(back);
        compress_with(1, block, in, n, 100000, &o1);
        compress_with(2, block, in, n, 777, &o2);
        compress_with(3, block, in, n, 4 * 1024 * 1024, &o3);
        assert_true(o1.len < n / 2);
        assert_int_equal(o1.len, o2.len);
        assert_int_equal(o1.len, o3.len);
        assert_memory_equal(o1.buf, o2.buf, o1.len);
        assert_memory_equal(o1.buf, o3.buf, o1.len);
        assert_int_equal(gunzip_members(o2.buf, o2.len, back, n + 1, &len),
                         (n + block - 1) / block);
        assert_int_equal(len, n);
        assert_memory_equal(back, in, n);
        free(o1.buf);
        free(o2.buf);
        free(o3.buf);
        free(in);
        free(back);
}

/* A flush hands out everything written so far (the block being filled as a
 * short member) and the stream goes on; a flush with nothing new adds no member. */
/* A producer far quicker than its one worker (level 9 against a copy)
 * compresses blocks itself rather than wait, and the bytes are the same. */
static void test_producer_helps(void **state)
{
        const size_t n = 8 * 1024 * 1024, block = 64 * 1024;
        unsigned char *in = make_text(n), *back = malloc(n + 1);
        struct out o = {}, ref = {};
        struct gzpool *p = NULL;
        size_t len = 0;

        (void) state;
        assert_non_null(back);
        assert_int_equal(gzpool_new(9, 1, block, collect_output, &o, &p), 0);
        assert_int_equal(gzpool_write(p, in, n), 0);
        assert_int_equal(gzpool_finish(p), 0);
        assert_int_equal(gzpool_members(p), n / block);
        assert_true(gzpool_own_members(p) > 0);
        assert_true(gzpool_own_members(p) < gzpool_members(p));
        gzpool_free(p);
        /* three workers, written in small pieces: the same members */
        assert_int_equal(gzpool_new(9, 3, block, collect_output, &ref, &p), 0);
        for (size_t off = 0; off < n; off += 1000)
                assert_int_equal(gzpool_write(p, in + off, n - off < 1000 ? n - off : 1000), 0);
        assert_int_equal(gzpool_finish(p), 0);
        gzpool_free(p);
        assert_int_equal(o.len, ref.len);
        assert_memory_equal(o.buf, ref.buf, o.len);
        assert_int_equal(gunzip_members(o.buf, o.len, back, n + 1, &len), n / block);
        assert_int_equal(len, n);
        assert_memory_equal(back, in, n);
        free(o.buf);
        free(ref.buf);
        free(in);
        free(back);
}

static void test_flush(void **state)
{
        const size_t n = 300000, block = 64 * 1024;
        unsigned char *in = make_text(n), *back = malloc(n + 1);
        struct gzpool *p = NULL;
        struct out o = {};
        size_t len = 0, after;

        (void) state;
        assert_non_null(back);
        assert_int_equal(gzpool_new(3, 2, block, collect_output, &o, &p), 0);
        assert_int_equal(gzpool_write(p, in, 100000), 0); /* one full block and a part */
        assert_int_equal(gzpool_flush(p), 0);
        assert_int_equal(gzpool_members(p), 2);
        after = o.len;
        assert_int_equal(gunzip_members(o.buf, o.len, back, n + 1, &len), 2);
        assert_int_equal(len, 100000);
        assert_int_equal(gzpool_flush(p), 0);
        assert_int_equal(o.len, after);
        assert_int_equal(gzpool_write(p, in + 100000, n - 100000), 0);
        assert_int_equal(gzpool_finish(p), 0);
        assert_int_equal(gzpool_members(p), 2 + (n - 100000 + block - 1) / block);
        assert_int_equal(gzpool_flush(p), -EINVAL);
        gzpool_free(p);
        assert_int_equal(gunzip_members(o.buf, o.len, back, n + 1, &len),
                         2 + (n - 100000 + block - 1) / block);
        assert_int_equal(len, n);
        assert_memory_equal(back, in, n);
        free(o.buf);
        free(in);
        free(back);
}

static void test_empty_is_one_member(void **state)
{
        struct gzpool *p = NULL;
        struct out o = {};
        unsigned char back[16];
        size_t len = 1;

        (void) state;
        assert_int_equal(gzpool_new(1, 2, 0, collect_output, &o, &p), 0);
        assert_int_equal(gzpool_finish(p), 0);
        assert_int_equal(gzpool_members(p), 1);
        gzpool_free(p);
        assert_int_equal(gunzip_members(o.buf, o.len, back, sizeof(back), &len), 1);
        assert_int_equal(len, 0);
        free(o.buf);
}

static void test_output_error_stops(void **state)
{
        const size_t n = 2 * 1024 * 1024;
        unsigned char *in = make_text(n);
        struct out o = { .fail_after = 3 };
        struct gzpool *p = NULL;
        int r = 0;

        (void) state;
        assert_int_equal(gzpool_new(6, 2, 32 * 1024, collect_output, &o, &p), 0);
        for (size_t off = 0; off < n && r == 0; off += 4096)
                r = gzpool_write(p, in + off, 4096);
        if (r == 0)
                r = gzpool_finish(p);
        assert_int_equal(r, -ENOSPC);
        assert_int_equal(o.calls, 3);
        gzpool_free(p);
        free(o.buf);
        free(in);
}

static void test_bad_level(void **state)
{
        struct gzpool *p = NULL;
        struct out o = {};

        (void) state;
        assert_int_equal(gzpool_new(10, 1, 0, collect_output, &o, &p), -EINVAL);
        assert_int_equal(gzpool_new(-1, 1, 0, collect_output, &o, &p), -EINVAL);
        assert_null(p);
        assert_true(gzpool_default_workers() >= 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip_same_for_any_workers),
                cmocka_unit_test(test_producer_helps),
                cmocka_unit_test(test_empty_is_one_member),
                cmocka_unit_test(test_flush),
                cmocka_unit_test(test_output_error_stops),
                cmocka_unit_test(test_bad_level),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
