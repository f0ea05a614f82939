/* SPDX-License-Identifier: MIT */
/*
 * Tests of include/keyset.h: keys added once, found after the set grows,
 * 0 taken as a key like any other; keyset_key() never 0 and seeded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyset.h"

static void test_add_once_and_grow(void **state)
{
        struct keyset s = {};

        (void) state;
        assert_false(keyset_contains(&s, 42));
        for (uint64_t k = 1; k <= 5000; k++) /* grows from 256 slots, several times */
                assert_int_equal(keyset_add(&s, k * 0x9e3779b97f4a7c15ULL), 1);
        assert_int_equal(s.n, 5000);
        assert_true(s.n * 4 <= s.size * 3);
        for (uint64_t k = 1; k <= 5000; k++) {
                assert_true(keyset_contains(&s, k * 0x9e3779b97f4a7c15ULL));
                assert_int_equal(keyset_add(&s, k * 0x9e3779b97f4a7c15ULL), 0);
        }
        assert_false(keyset_contains(&s, 5001 * 0x9e3779b97f4a7c15ULL));
        assert_int_equal(s.n, 5000);
        keyset_done(&s);
        assert_null(s.keys);
        assert_int_equal(s.size, 0);
}

static void test_zero_key(void **state)
{
        struct keyset s = {};

        (void) state;
        assert_int_equal(keyset_add(&s, 0), 1);
        assert_true(keyset_contains(&s, 0));
        assert_int_equal(keyset_add(&s, 0), 0);
        keyset_done(&s);
}

static void test_key(void **state)
{
        const char *a = "svc1.service", *b = "svc2.service";

        (void) state;
        assert_int_not_equal(keyset_key("", 0, 0), 0);
        assert_int_equal(keyset_key(a, strlen(a), 0), keyset_key(a, strlen(a), 0));
        assert_int_not_equal(keyset_key(a, strlen(a), 0), keyset_key(b, strlen(b), 0));
        assert_int_not_equal(keyset_key(a, strlen(a), 0), keyset_key(a, strlen(a), 7));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add_once_and_grow),
                cmocka_unit_test(test_zero_key),
                cmocka_unit_test(test_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
