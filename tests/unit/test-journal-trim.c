/* SPDX-License-Identifier: MIT */
/*
 * The journal's share of the resident set (include/journal-trim.h), on a real
 * mapping of a file named like a journal file: a reader that moves forward is
 * trimmed at the limit without raising it; a reader whose working set alone
 * passes the limit (the pages touched again right after every drop) gets a
 * higher limit after a few drops instead of a drop every few entries; and the
 * limit comes down again once drops are far apart.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal-trim.h"

#define MAP_SIZE (32UL << 20)
#define PAGE 4096UL

struct mapping {
        char path[64];
        const volatile char *p;
};

static int map_setup(void **state)
{
        struct mapping *m = calloc(1, sizeof(*m));
        char *buf = malloc(1 << 20);
        int fd;

        assert_non_null(m);
        assert_non_null(buf);
        memset(buf, 'j', 1 << 20);
        (void) snprintf(m->path, sizeof(m->path), "/tmp/test-trim-XXXXXX.journal");
        fd = mkstemps(m->path, 8);
        assert_true(fd >= 0);
        for (size_t off = 0; off < MAP_SIZE; off += 1 << 20)
                assert_int_equal(write(fd, buf, 1 << 20), 1 << 20);
        m->p = mmap(NULL, MAP_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(m->p != MAP_FAILED);
        close(fd);
        free(buf);
        *state = m;
        return 0;
}

static int map_teardown(void **state)
{
        struct mapping *m = *state;

        (void) munmap((void *) m->p, MAP_SIZE);
        (void) unlink(m->path);
        free(m);
        return 0;
}

static void touch(const struct mapping *m, size_t off)
{
        (void) m->p[off % MAP_SIZE];
}

/* One new page a step, forward: the limit holds and is never raised (a limit
 * above the largest folio the kernel may map at once, 2 MiB). */
static void test_forward_reader(void **state)
{
        const struct mapping *m = *state;
        struct journal_trim t = { .limit = 4ULL << 20 };

        journal_trim_start(&t);
        (void) madvise((void *) m->p, MAP_SIZE, MADV_DONTNEED);
        for (size_t i = 0; i < MAP_SIZE / PAGE; i++) {
                journal_trim_step(&t);
                touch(m, i * PAGE);
        }
        assert_true(t.trims >= 4);
        assert_int_equal(t.raised, 0);
        assert_int_equal(t.in_force, t.limit);
}

/* 2 MiB of pages touched again at every step, with a 1 MiB limit: without the
 * rule a drop would come every 8 steps (512 in 4,096 steps). */
static void test_working_set_over_the_limit(void **state)
{
        const struct mapping *m = *state;
        struct journal_trim t = { .limit = 1ULL << 20 };

        journal_trim_start(&t);
        for (unsigned step = 0; step < 4096; step++) {
                journal_trim_step(&t);
                for (size_t k = 0; k < 512; k++)
                        touch(m, k * PAGE);
        }
        assert_true(t.raised >= 1);
        assert_true(t.in_force > t.limit);
        assert_true(t.in_force <= JOURNAL_TRIM_LIMIT_MAX);
        assert_true(t.trims < 64);

        /* then a slow forward reader, a page 64 KiB further every 2,048
         * steps: the drops are far apart, and the limit comes back down */
        (void) madvise((void *) m->p, MAP_SIZE, MADV_DONTNEED);
        for (size_t i = 0; i < (8UL << 20) && t.in_force > t.limit; i++) {
                journal_trim_step(&t);
                if (i % 2048 == 0)
                        touch(m, (i / 2048) * 64 * 1024);
        }
        assert_int_equal(t.in_force, t.limit);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_forward_reader, map_setup, map_teardown),
                cmocka_unit_test_setup_teardown(test_working_set_over_the_limit, map_setup,
                                                map_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
