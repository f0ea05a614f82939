/* SPDX-License-Identifier: MIT */
/*
 * Tests of include/parse-util.h, include/time-util.h, dynbuf and strv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dynbuf.h"
#include "parse-util.h"
#include "strv.h"
#include "time-util.h"

static void test_atou64(void **state)
{
        uint64_t v = 7;

        (void) state;
        assert_int_equal(safe_atou64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(safe_atou64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(safe_atou64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(safe_atou64("-1", &v), -EINVAL);
        assert_int_equal(safe_atou64("12a", &v), -EINVAL);
        assert_int_equal(safe_atou64("", &v), -EINVAL);
        assert_int_equal(safe_atou64(" 1", &v), -EINVAL);
}

static void test_size(void **state)
{
        uint64_t v;

        (void) state;
        assert_int_equal(parse_size("512", &v), 0);
        assert_int_equal(v, 512);
        assert_int_equal(parse_size("512K", &v), 0);
        assert_int_equal(v, 512 * 1024);
        assert_int_equal(parse_size("20M", &v), 0);
        assert_int_equal(v, 20 << 20);
        assert_int_equal(parse_size("1.5M", &v), 0);
        assert_int_equal(v, 3 << 19);
        assert_int_equal(parse_size("1G", &v), 0);
        assert_true(v == 1ULL << 30);
        assert_int_equal(parse_size("2MiB", &v), 0);
        assert_int_equal(v, 2 << 20);
        assert_int_equal(parse_size("2X", &v), -EINVAL);
        assert_int_equal(parse_size("M", &v), -EINVAL);
        assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
}

static void test_duration(void **state)
{
        usec_t v;

        (void) state;
        assert_int_equal(parse_duration("30s", &v), 0);
        assert_true(v == 30 * USEC_PER_SEC);
        assert_int_equal(parse_duration("90m", &v), 0);
        assert_true(v == 90 * USEC_PER_MINUTE);
        assert_int_equal(parse_duration("24h", &v), 0);
        assert_true(v == 24 * USEC_PER_HOUR);
        assert_int_equal(parse_duration("7d", &v), 0);
        assert_true(v == 7 * USEC_PER_DAY);
        assert_int_equal(parse_duration("1h30m", &v), 0);
        assert_true(v == 90 * USEC_PER_MINUTE);
        assert_int_equal(parse_duration("500ms", &v), 0);
        assert_true(v == 500 * USEC_PER_MSEC);
        assert_int_equal(parse_duration("10", &v), 0);
        assert_true(v == 10 * USEC_PER_SEC);
        assert_int_equal(parse_duration("2w", &v), 0);
        assert_true(v == 14 * USEC_PER_DAY);
        assert_int_equal(parse_duration("1.5s", &v), 0);
        assert_true(v == 1500 * USEC_PER_MSEC);
        assert_int_equal(parse_duration("5x", &v), -EINVAL);
        assert_int_equal(parse_duration("", &v), -EINVAL);
        assert_int_equal(parse_duration("h", &v), -EINVAL);
}

static void test_time(void **state)
{
        usec_t v, now_usec = 1764000000ULL * USEC_PER_SEC;
        const char *end;

        (void) state;
        assert_int_equal(parse_time("2026-11-27T10:00:00Z", now_usec, &v), 0);
        assert_true(v == 1795773600ULL * USEC_PER_SEC);
        assert_int_equal(parse_time("2026-11-27T12:00:00+02:00", now_usec, &v), 0);
        assert_true(v == 1795773600ULL * USEC_PER_SEC);
        assert_int_equal(parse_time("2026-11-27 10:00:00", now_usec, &v), 0);
        assert_true(v == 1795773600ULL * USEC_PER_SEC);
        assert_int_equal(parse_time("2026-11-27T10:00", now_usec, &v), 0);
        assert_true(v == 1795773600ULL * USEC_PER_SEC);
        assert_int_equal(parse_time("2026-11-27", now_usec, &v), 0);
        assert_true(v == 1795737600ULL * USEC_PER_SEC);
        assert_int_equal(parse_time("2026-11-27T10:00:00.250Z", now_usec, &v), 0);
        assert_true(v == 1795773600ULL * USEC_PER_SEC + 250000);
        assert_int_equal(parse_time("24h", now_usec, &v), 0);
        assert_true(v == now_usec - 24 * USEC_PER_HOUR);
        assert_int_equal(parse_time("now", now_usec, &v), 0);
        assert_true(v == now_usec);
        assert_int_equal(parse_time("2026-13-01", now_usec, &v), -EINVAL);
        assert_int_equal(parse_time("yesterday", now_usec, &v), -EINVAL);
        assert_int_equal(parse_iso8601("2026-11-27T10:00:00Z rest", &v, &end), 0);
        assert_string_equal(end, " rest");
}

static void test_format(void **state)
{
        char buf[64];

        (void) state;
        assert_string_equal(format_iso8601(buf, sizeof(buf), 1795773600ULL * USEC_PER_SEC),
                            "2026-11-27T10:00:00Z");
        assert_string_equal(format_compact(buf, sizeof(buf), 1795773600ULL * USEC_PER_SEC),
                            "20261127T100000Z");
        assert_string_equal(format_duration(buf, sizeof(buf), 1500 * USEC_PER_MSEC), "1.50s");
        assert_string_equal(format_duration(buf, sizeof(buf), 42 * USEC_PER_MSEC), "42ms");
        assert_string_equal(format_duration(buf, sizeof(buf), 192 * USEC_PER_SEC), "3m12s");
}

static void test_dynbuf(void **state)
{
        struct dynbuf b;

        (void) state;
        dynbuf_init(&b, 10);
        assert_int_equal(dynbuf_addstr(&b, "hello"), 0);
        assert_int_equal(dynbuf_addf(&b, "%d", 1234), 0);
        assert_string_equal(b.buf, "hello1234");
        /* over the maximum: refused, content kept */
        assert_int_equal(dynbuf_addstr(&b, "ab"), -E2BIG);
        assert_string_equal(b.buf, "hello1234");
        assert_int_equal(b.len, 9);
        assert_int_equal(dynbuf_addc(&b, '!'), 0);
        assert_int_equal(b.len, 10);
        dynbuf_reset(&b);
        assert_int_equal(b.len, 0);
        assert_string_equal(b.buf, "");
        char *s = dynbuf_steal(&b);
        assert_string_equal(s, "");
        free(s);
        dynbuf_done(&b);
}

static void test_strv(void **state)
{
        char **l = NULL, **c;
        char *j;

        (void) state;
        assert_int_equal(strv_extend(&l, "a"), 0);
        assert_int_equal(strv_extend(&l, "b"), 0);
        assert_int_equal(strv_consume(&l, strdup("c")), 0);
        assert_int_equal(strv_length(l), 3);
        assert_true(strv_contains(l, "b"));
        assert_false(strv_contains(l, "d"));
        j = strv_join(l, ", ");
        assert_string_equal(j, "a, b, c");
        free(j);
        c = strv_copy(l);
        assert_int_equal(strv_length(c), 3);
        strv_free(c);
        strv_free(l);

        char *globs[] = { (char *) "/etc/shadow", (char *) "/etc/ssl/private", (char *) "*.key",
                          NULL };
        assert_true(strv_fnmatch_path(globs, "/etc/shadow"));
        assert_true(strv_fnmatch_path(globs, "etc/shadow"));
        assert_true(strv_fnmatch_path(globs, "/etc/ssl/private/server.pem"));
        assert_false(strv_fnmatch_path(globs, "/etc/shadowx"));
        assert_false(strv_fnmatch_path(globs, "/etc/passwd"));
        assert_true(strv_fnmatch_path(globs, "/opt/app/conf/server.key"));
        assert_true(strv_fnmatch_path(globs, "server.key"));
        assert_false(strv_fnmatch_path(globs, "/opt/app/conf/server.keys"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_atou64),   cmocka_unit_test(test_size),
                cmocka_unit_test(test_duration), cmocka_unit_test(test_time),
                cmocka_unit_test(test_format),   cmocka_unit_test(test_dynbuf),
                cmocka_unit_test(test_strv),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
