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

/*
 * Called first on a helper thread that works for the collecting thread
 * (compression, the archive writer): it runs THREAD_HELPER_NICE
 * steps of nice below the process's first thread, the collecting one (at most
 * 19), whichever thread started it (the writer starts the compressors). Where three
 * threads want two CPUs, the collecting thread, whose progress all of them
 * wait for, is then not the one that waits; the helpers still get every cycle
 * it leaves, and when they fall behind, a compression pool's producer
 * compresses a block itself rather than wait (agent/pipeline/gzpool.c). The
 * leak check, whose chunks only its own thread scans, in order, keeps the
 * collecting thread's priority. A failure changes nothing. Linux: the nice
 * value is a thread's own.
 */
#define THREAD_HELPER_NICE 10
void thread_helper_priority(void);
