/* SPDX-License-Identifier: MIT */
/*
 * Tests of include/scratch.h: records of every size read back whole and in
 * order, the file holds none of their text, and a file cut short is an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#define MARK "password=hunter2-not-in-the-file"

static int temp_fd(char *path)
{
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        return fd;
}

static char *record(size_t n, unsigned seed)
{
        char *p = malloc(n + 1);

        assert_non_null(p);
        for (size_t i = 0; i < n; i++)
                p[i] = (char) ('a' + (i * 7 + seed) % 26);
        if (n >= sizeof(MARK))
                memcpy(p + n / 2 - sizeof(MARK) / 2, MARK, sizeof(MARK) - 1);
        return p;
}

static void test_round_trip(void **state)
{
        static const size_t sizes[] = { 0, 1, 100, 32768, 65535, 65536, 65537, 200000, 7 };
        char path[] = "/tmp/test-scratch-XXXXXX";
        int fd = temp_fd(path), rfd;
        struct scratch *s = NULL;
        char *buf = NULL, *file;
        size_t alloc = 0, len, total = 0;
        ssize_t n;

        (void) state;
        rfd = open(path, O_RDONLY);
        assert_true(rfd >= 0);
        unlink(path);
        assert_int_equal(scratch_new(fd, &s), 0);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                char *p = record(sizes[i], (unsigned) i);

                assert_int_equal(scratch_append(s, p, sizes[i]), 0);
                total += sizes[i] + 4;
                free(p);
        }
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                char *p = record(sizes[i], (unsigned) i);

                assert_int_equal(scratch_next(s, &buf, &alloc, &len), 1);
                assert_int_equal(len, sizes[i]);
                assert_memory_equal(buf, p, len);
                free(p);
        }
        assert_int_equal(scratch_next(s, &buf, &alloc, &len), 0);
        assert_int_equal(scratch_append(s, "x", 1), -EINVAL);

        /* what the file holds: as many bytes, none of the text */
        file = malloc(total + 1);
        assert_non_null(file);
        n = pread(rfd, file, total + 1, 0);
        assert_int_equal(n, (ssize_t) total);
        assert_null(memmem(file, total, MARK, sizeof(MARK) - 1));
        assert_null(memmem(file, total, "abcdefg", 7));
        free(file);
        close(rfd);
        free(buf);
        scratch_free(s);
}

static void test_cut_short(void **state)
{
        char path[] = "/tmp/test-scratch-XXXXXX";
        int fd = temp_fd(path), wfd;
        struct scratch *s = NULL;
        char *buf = NULL, *p = record(100000, 3);
        size_t alloc = 0, len;

        (void) state;
        wfd = open(path, O_WRONLY);
        assert_true(wfd >= 0);
        unlink(path);
        assert_int_equal(scratch_new(fd, &s), 0);
        assert_int_equal(scratch_append(s, p, 100000), 0);
        assert_int_equal(scratch_append(s, p, 100000), 0);
        /* the first read flushes the buffer; it reads 64 KiB at a time, so
         * the second record's end is still in the file: cut it there */
        assert_int_equal(scratch_next(s, &buf, &alloc, &len), 1);
        assert_int_equal(len, 100000);
        assert_int_equal(ftruncate(wfd, 150000), 0);
        assert_int_equal(scratch_next(s, &buf, &alloc, &len), -EBADMSG);
        close(wfd);
        free(buf);
        free(p);
        scratch_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_cut_short),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
