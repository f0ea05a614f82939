/* SPDX-License-Identifier: MIT */
/*
 * Tests of the command runner (agent/basic/process.c): output, exit status, a
 * missing program, the output cap, and a hung command whose whole process
 * group is killed within a second of its deadline.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic/process.h"
#include "dynbuf.h"

static int collect_out(void *userdata, const char *data, size_t len)
{
        return dynbuf_add(userdata, data, len) < 0 ? 0 : 0;
}

static void test_output_and_status(void **state)
{
        char *argv[] = { (char *) "sh", (char *) "-c",
                         (char *) "echo out; echo err >&2; echo \"$HOME|$LANG\"; exit 3", NULL };
        struct command_result res;
        struct dynbuf b;
        char s[128];

        (void) state;
        dynbuf_init(&b, 1 << 20);
        assert_int_equal(command_run(argv, 5 * USEC_PER_SEC, 1 << 20, collect_out, &b, &res), 0);
        assert_false(res.timed_out);
        assert_true(WIFEXITED(res.status));
        assert_int_equal(WEXITSTATUS(res.status), 3);
        assert_non_null(strstr(b.buf, "out\n"));
        assert_non_null(strstr(b.buf, "err\n"));
        /* clean environment: no HOME, a fixed locale */
        assert_non_null(strstr(b.buf, "|C.UTF-8"));
        assert_null(strstr(b.buf, "/root|"));
        assert_string_equal(command_status_string(&res, s, sizeof(s)), "exit status 3");
        dynbuf_done(&b);
}

static void test_stdin_closed(void **state)
{
        char *argv[] = { (char *) "cat", NULL };
        struct command_result res;
        struct dynbuf b;

        (void) state;
        dynbuf_init(&b, 1 << 20);
        /* cat on /dev/null ends at once instead of waiting for our stdin */
        assert_int_equal(command_run(argv, 5 * USEC_PER_SEC, 1 << 20, collect_out, &b, &res), 0);
        assert_false(res.timed_out);
        assert_int_equal(b.len, 0);
        dynbuf_done(&b);
}

static void test_missing_program(void **state)
{
        char *argv[] = { (char *) "no-such-program-xyz", NULL };
        struct command_result res;
        char s[128];

        (void) state;
        assert_int_equal(command_run(argv, USEC_PER_SEC, 1024, NULL, NULL, &res), 0);
        assert_int_equal(res.exec_error, ENOENT);
        assert_non_null(strstr(command_status_string(&res, s, sizeof(s)), "not run"));
}

static void test_cap(void **state)
{
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "yes | head -c 100000", NULL };
        struct command_result res;
        struct dynbuf b;

        (void) state;
        dynbuf_init(&b, 1 << 20);
        assert_int_equal(command_run(argv, 5 * USEC_PER_SEC, 1000, collect_out, &b, &res), 0);
        assert_int_equal(b.len, 1000);
        assert_true(res.truncated);
        dynbuf_done(&b);
}

static void test_timeout_kills_group(void **state)
{
        char pidfile[] = "/tmp/collect-test-cmd-XXXXXX";
        char script[256];
        struct command_result res;
        usec_t start, took;
        FILE *f;
        int fd, child = 0;

        (void) state;
        fd = mkstemp(pidfile);
        assert_true(fd >= 0);
        close(fd);
        /* a child that would outlive its parent, in the same group */
        snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; sleep 30", pidfile);
        char *argv[] = { (char *) "sh", (char *) "-c", script, NULL };
        start = now(CLOCK_MONOTONIC);
        assert_int_equal(command_run(argv, 500 * USEC_PER_MSEC, 1024, NULL, NULL, &res), 0);
        took = now(CLOCK_MONOTONIC) - start;
        assert_true(res.timed_out);
        assert_true(took >= 500 * USEC_PER_MSEC);
        assert_true(took < 1500 * USEC_PER_MSEC);
        f = fopen(pidfile, "re");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%d", &child), 1);
        fclose(f);
        unlink(pidfile);
        usleep(100 * 1000);
        /* the background sleep is gone too (or a zombie reaped by init) */
        assert_true(kill(child, 0) < 0 || access("/proc/self", F_OK) == 0);
        {
                char path[64], st[256] = "";
                FILE *s;

                snprintf(path, sizeof(path), "/proc/%d/stat", child);
                s = fopen(path, "re");
                if (s) {
                        assert_non_null(fgets(st, sizeof(st), s));
                        fclose(s);
                        /* if it still exists it must be a zombie */
                        assert_non_null(strstr(st, ") Z "));
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_and_status),   cmocka_unit_test(test_stdin_closed),
                cmocka_unit_test(test_missing_program),     cmocka_unit_test(test_cap),
                cmocka_unit_test(test_timeout_kills_group),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
