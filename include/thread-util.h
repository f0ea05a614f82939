/* SPDX-License-Identifier: MIT */
/*
 * Helper threads (compression, the leak check, readers, watchers): signals
 * stay with the thread that started them, so a helper starts with every
 * signal blocked. Implemented in agent/basic/thread-util.c.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>

/* Starts fn(arg) on a new thread with all signals blocked; stack_size 0 keeps
 * the default. 0 or -errno. */
int thread_start(pthread_t *ret, size_t stack_size, void *(*fn)(void *), void *arg);

/* The CPUs this process may run on (its affinity mask), at least 1. */
unsigned thread_cpus(void);
