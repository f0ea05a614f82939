/* SPDX-License-Identifier: MIT */
/*
 * `collect watch`: the service mode. Follows the journal for crashes
 * (systemd-coredump entries) and failed units, and optionally listens for
 * Alertmanager webhooks on a loopback address; each event runs
 * `collect hook …` as a child process, so that every filing is isolated and
 * the storm control of the hooks applies.
 */
#pragma once

#include <stdbool.h>

#include "monitor/watch-poll.h"

struct watch_params {
        const char *self;        /* path of this binary (/proc/self/exe) */
        char **hook_args;        /* options passed to every `collect hook` child */
        const char *journal_dir; /* NULL: the system journal */
        const char *listen;      /* "127.0.0.1:9099" or NULL: no webhook listener */
        bool journal;            /* follow the journal */
        struct watch_poll *poll; /* remote requests: periodic `collect poll`, or NULL */
};

/* Runs until SIGTERM or SIGINT. 0; -EINVAL a bad --listen address (logged);
 * -errno the listener could not be started (logged). */
int watch_run(const struct watch_params *p);
