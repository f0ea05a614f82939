/* SPDX-License-Identifier: MIT */
/*
 * Helper threads (include/thread-util.h): a helper started by thread_start()
 * has every signal blocked, and thread_helper_priority() sets the helper alone
 * THREAD_HELPER_NICE below the process's first thread, never past 19.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "thread-util.h"

struct probe {
        int before, after;
        bool all_blocked;
};

static void *helper(void *userdata)
{
        struct probe *p = userdata;
        sigset_t mask;

        pthread_sigmask(SIG_SETMASK, NULL, &mask);
        p->all_blocked = sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGINT) == 1 &&
                         sigismember(&mask, SIGUSR1) == 1;
        errno = 0;
        p->before = getpriority(PRIO_PROCESS, 0);
        thread_helper_priority();
        p->after = getpriority(PRIO_PROCESS, 0);
        return NULL;
}

static struct probe run_helper(void)
{
        struct probe p = { 0 };
        pthread_t t;

        assert_int_equal(thread_start(&t, 0, helper, &p), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        return p;
}

static void test_helper_priority(void **state)
{
        int mine;

        (void) state;
        errno = 0;
        mine = getpriority(PRIO_PROCESS, 0);
        assert_false(mine == -1 && errno != 0);

        struct probe p = run_helper();

        assert_true(p.all_blocked);
        assert_int_equal(p.before, mine);
        assert_int_equal(p.after, mine + THREAD_HELPER_NICE > 19 ? 19 : mine + THREAD_HELPER_NICE);
        /* the starting thread keeps its own */
        assert_int_equal(getpriority(PRIO_PROCESS, 0), mine);
}

/* A helper started by a helper (the writer starts the compressors) is
 * THREAD_HELPER_NICE below the collecting thread too, not below its starter. */
static void *helper_starter(void *userdata)
{
        struct probe *p = userdata;

        thread_helper_priority();
        *p = run_helper();
        return NULL;
}

static void test_helper_of_helper(void **state)
{
        struct probe p = { 0 };
        pthread_t t;
        int mine;

        (void) state;
        errno = 0;
        mine = getpriority(PRIO_PROCESS, 0);
        assert_int_equal(thread_start(&t, 0, helper_starter, &p), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(p.before, mine + THREAD_HELPER_NICE > 19 ? 19 : mine + THREAD_HELPER_NICE);
        assert_int_equal(p.after, p.before);
}

/* Near the bottom already: a helper stops at 19. Last: it lowers this
 * (the process's first) thread for good. */
static void test_helper_priority_capped(void **state)
{
        (void) state;
        assert_int_equal(setpriority(PRIO_PROCESS, 0, 15), 0);

        struct probe p = run_helper();

        assert_int_equal(p.before, 15);
        assert_int_equal(p.after, 19);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_helper_priority),
                cmocka_unit_test(test_helper_of_helper),
                cmocka_unit_test(test_helper_priority_capped),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
