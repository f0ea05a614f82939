/* SPDX-License-Identifier: MIT */
/*
 * Tests of include/alloc-util.h: xzalloc_aligned() gives zeroed memory on the
 * alignment asked (a collector's state with members on cache lines of their
 * own, include/macro.h CACHE_LINE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc-util.h"

/* A type like the journal collector's state: a member starts a cache line. */
struct two_lines {
        uint64_t first;
        char tail _alignas_(CACHE_LINE);
};

static void test_aligned_zeroed(void **state)
{
        static const size_t sizes[] = { 0, 1, 63, 64, 65, 4096, 100000 };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                unsigned char *p = xzalloc_aligned(CACHE_LINE, sizes[i]);

                assert_non_null(p);
                assert_int_equal((uintptr_t) p % CACHE_LINE, 0);
                for (size_t k = 0; k < sizes[i]; k++)
                        assert_int_equal(p[k], 0);
                memset(p, 0xa5, sizes[i]); /* all of it is ours (ASan checks) */
                free(p);
        }
}

static void test_type_with_a_line_of_its_own(void **state)
{
        struct two_lines *t;

        (void) state;
        assert_int_equal(_Alignof(struct two_lines), CACHE_LINE);
        assert_int_equal(offsetof(struct two_lines, tail), CACHE_LINE);
        t = xzalloc_aligned(_Alignof(struct two_lines), sizeof(*t));
        assert_non_null(t);
        assert_int_equal((uintptr_t) &t->tail % CACHE_LINE, 0);
        assert_int_equal(t->first, 0);
        assert_int_equal(t->tail, 0);
        free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_aligned_zeroed),
                cmocka_unit_test(test_type_with_a_line_of_its_own),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
