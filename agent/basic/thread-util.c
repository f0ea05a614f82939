/* SPDX-License-Identifier: MIT */
/* Helper threads (include/thread-util.h). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include "thread-util.h"

int thread_start(pthread_t *ret, size_t stack_size, void *(*fn)(void *), void *arg)
{
        pthread_attr_t attr;
        sigset_t all, old;
        int r;

        if (pthread_attr_init(&attr) != 0)
                return -ENOMEM;
        if (stack_size > 0)
                (void) pthread_attr_setstacksize(&attr, stack_size);
        /* the new thread inherits the mask: block all, start, restore ours */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(ret, &attr, fn, arg);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        return r;
}

unsigned thread_cpus(void)
{
        cpu_set_t set;
        int n;

        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                return 1;
        n = CPU_COUNT(&set);
        return n < 1 ? 1 : (unsigned) n;
}

void thread_helper_priority(void)
{
        int cur;

        errno = 0;
        cur = getpriority(PRIO_PROCESS, 0);
        if (cur == -1 && errno != 0)
                return;
        (void) setpriority(PRIO_PROCESS, 0,
                           cur + THREAD_HELPER_NICE > 19 ? 19 : cur + THREAD_HELPER_NICE);
}
