/* SPDX-License-Identifier: MIT */
/*
 * Remote requests from `collect watch`: every interval (with jitter) a
 * `collect poll` child with watch's options; at most one at a time; the next
 * pass waits longer (doubling, at most an hour) while the portal is busy or
 * unreachable (the child exits 75).
 */
#pragma once

#include <sys/types.h>

#include "time-util.h"

struct watch_poll {
        const char *self; /* this binary */
        char **args;      /* options passed to the child (borrowed) */
        usec_t interval;  /* 0: remote requests are off */
        usec_t backoff;   /* current extra wait after failures */
        usec_t next;      /* CLOCK_MONOTONIC time of the next pass */
        pid_t child;      /* running pass, or 0 */
};

/* Reaps a finished pass and starts the next one when due. Never blocks. */
void watch_poll_tick(struct watch_poll *w);

/* Stops a running pass (SIGTERM, then waits for it). */
void watch_poll_stop(struct watch_poll *w);
