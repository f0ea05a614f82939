/* SPDX-License-Identifier: MIT */
/* Helper threads (include/thread-util.h). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

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
        int base;

        /* the process's nice, which is its first thread's (the collecting
         * one's): not the caller's, as a helper may start another */
        errno = 0;
        base = getpriority(PRIO_PROCESS, (id_t) getpid());
        if (base == -1 && errno != 0)
                return;
        (void) setpriority(PRIO_PROCESS, 0,
                           base + THREAD_HELPER_NICE > 19 ? 19 : base + THREAD_HELPER_NICE);
}
