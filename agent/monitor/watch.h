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
        const char *token_file;  /* monitoring.webhook_token_file: the bearer token (0600) */
        char *token;             /* internal: the token read from token_file */
        struct watch_poll *poll; /* remote requests: periodic `collect poll`, or NULL */
};

/* Runs until SIGTERM or SIGINT; every five minutes it also runs `collect spool
 * flush`. Webhooks need the bearer token of token_file (else 401; without a
 * token_file every webhook is refused); they are
 * answered at once and filed by a worker from a bounded queue (full: 503).
 * 0; -EINVAL a bad --listen address, -EKEYREJECTED no usable token file, -errno the
 * listener could not be started (each logged). */
int watch_run(const struct watch_params *p);
