/* SPDX-License-Identifier: MIT */
/*
 * Tests of agent/monitor/remote.c: which comments are triggers and what they
 * ask for, refused words, the window clamp, trusted authors, and claims that
 * answer each comment once within a daily cap, also from several processes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/remote.h"

static char dir[] = "/tmp/collect-test-remote-XXXXXX";
static const usec_t T = 1795773600ULL * USEC_PER_SEC; /* comment time */

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static int parse(const char *body, struct remote_trigger *t)
{
        return remote_trigger_parse(body, T, 7 * USEC_PER_DAY, t);
}

static void test_not_triggers(void **state)
{
        struct remote_trigger t = {};

        (void) state;
        assert_int_equal(parse("please run collect", &t), 0);
        assert_int_equal(parse("/collector --since 1h", &t), 0);
        assert_int_equal(parse("hello\n/collect", &t), 0);
        assert_int_equal(parse("", &t), 0);
        assert_int_equal(remote_trigger_parse(NULL, T, 0, &t), 0);
}

static void test_defaults_and_options(void **state)
{
        struct remote_trigger t = {};

        (void) state;
        assert_int_equal(parse("/collect", &t), 1);
        assert_null(t.refused);
        assert_int_equal(t.until, T);
        assert_int_equal(t.since, T - 24 * USEC_PER_HOUR);
        assert_false(t.mask);
        remote_trigger_done(&t);

        assert_int_equal(parse("  /collect --since 6h --mask\nthanks!", &t), 1);
        assert_null(t.refused);
        assert_int_equal(t.since, T - 6 * USEC_PER_HOUR);
        assert_int_equal(t.until, T);
        assert_true(t.mask);
        remote_trigger_done(&t);

        assert_int_equal(parse("/collect --since=2026-11-27T08:00Z --until 2026-11-27T12:00Z", &t),
                         1);
        assert_null(t.refused);
        assert_int_equal(t.until - t.since, 4 * USEC_PER_HOUR);
        remote_trigger_done(&t);
}

static void test_refused(void **state)
{
        struct remote_trigger t = {};

        (void) state;
        assert_int_equal(parse("/collect --since 1h --output /etc/passwd", &t), 1);
        assert_non_null(t.refused);
        assert_non_null(strstr(t.refused, "--output"));
        assert_null(strstr(t.refused, "--since"));
        remote_trigger_done(&t);

        assert_int_equal(parse("/collect; rm -rf /", &t), 1);
        assert_non_null(t.refused);
        remote_trigger_done(&t);

        assert_int_equal(parse("/collect --since yesterday-ish", &t), 1);
        assert_string_equal(t.refused, "--since");
        remote_trigger_done(&t);

        assert_int_equal(parse("/collect --since", &t), 1);
        assert_string_equal(t.refused, "--since");
        remote_trigger_done(&t);

        assert_int_equal(parse("/collect --until 2h --since 1h", &t), 1);
        assert_non_null(t.refused);
        remote_trigger_done(&t);
}

static void test_clamp(void **state)
{
        struct remote_trigger t = {};

        (void) state;
        assert_int_equal(parse("/collect --since 30d", &t), 1);
        assert_null(t.refused);
        assert_true(t.clamped);
        assert_int_equal(t.until - t.since, 7 * USEC_PER_DAY);
        remote_trigger_done(&t);
}

static void test_authors(void **state)
{
        char a1[] = "*@support.example.com", a2[] = "5b10ac8d82e05b22cc7d4ef5";
        char *allow[] = { a1, a2, NULL };

        (void) state;
        assert_true(remote_author_allowed(allow, "x", "Ann@Support.Example.com"));
        assert_true(remote_author_allowed(allow, "5b10ac8d82e05b22cc7d4ef5", NULL));
        assert_false(remote_author_allowed(allow, "other", "ann@support.example.com.evil"));
        assert_false(remote_author_allowed(allow, "other", NULL));
        assert_false(remote_author_allowed(allow, NULL, "customer@customer.example"));
        assert_false(remote_author_allowed(NULL, "5b10ac8d82e05b22cc7d4ef5", NULL));
}

static void test_claims(void **state)
{
        enum remote_claim c;

        (void) state;
        assert_int_equal(remote_claim(dir, "SUP-1", "100", T, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_GO);
        assert_int_equal(remote_claim(dir, "SUP-1", "100", T + 1, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_DONE);
        assert_int_equal(remote_record(dir, "SUP-1", "100", "answered"), 0);
        assert_int_equal(remote_claim(dir, "SUP-2", "7", T + 2, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_GO);
        /* the cap (2 a day) is used up; a refusal does not count */
        assert_int_equal(remote_claim(dir, "SUP-3", "8", T + 3, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_OVER_CAP);
        assert_int_equal(remote_claim(dir, "SUP-3", "8", T + 4, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_DONE);
        assert_int_equal(remote_claim(dir, "SUP-3", "9", T + 5, 2, false, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_GO);
        /* a day later the cap is free again; old claims are still known */
        assert_int_equal(remote_claim(dir, "SUP-4", "1", T + USEC_PER_DAY + 10, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_GO);
        assert_int_equal(remote_claim(dir, "SUP-1", "100", T + USEC_PER_DAY + 11, 2, true, &c), 0);
        assert_int_equal(c, REMOTE_CLAIM_DONE);
        assert_int_equal(remote_record(dir, "SUP-9", "1", "answered"), -ENOENT);
}

static void test_concurrent_claims(void **state)
{
        char d[] = "/tmp/collect-test-remote-conc-XXXXXX";
        int go = 0;

        (void) state;
        assert_non_null(mkdtemp(d));
        for (int i = 0; i < 8; i++) {
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        enum remote_claim c;
                        int r = remote_claim(d, "SUP-5", "42", T, 10, true, &c);
                        _exit(r < 0 ? 2 : c == REMOTE_CLAIM_GO ? 0 : 1);
                }
        }
        for (int i = 0; i < 8; i++) {
                int st;
                assert_true(wait(&st) > 0);
                assert_true(WIFEXITED(st) && WEXITSTATUS(st) < 2);
                go += WEXITSTATUS(st) == 0;
        }
        assert_int_equal(go, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_not_triggers),
                cmocka_unit_test(test_defaults_and_options),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_clamp),
                cmocka_unit_test(test_authors),
                cmocka_unit_test(test_claims),
                cmocka_unit_test(test_concurrent_claims),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
