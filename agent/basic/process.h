/* SPDX-License-Identifier: MIT */
/*
 * Running diagnostic commands: no shell (argv), a clean environment, stdin
 * from /dev/null, its own process group, an output cap and a deadline after
 * which the whole group is killed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

struct command_result {
        int status;     /* wait status; valid when !exec_failed */
        bool timed_out; /* killed at the deadline */
        bool truncated; /* output beyond the cap was discarded */
        int exec_error; /* errno of a failed exec (ENOENT: no such program), else 0 */
        usec_t duration;
};

/* Output callback; a negative return stops reading (the command is killed). */
typedef int (*command_output_fn)(void *userdata, const char *data, size_t len);

/*
 * Runs argv[0] (searched in a fixed PATH) with a deadline of timeout from now,
 * passing stdout and stderr (merged) to out in chunks, at most cap bytes.
 * Returns 0 with *ret filled whenever the command was started (whatever its
 * exit status), or -errno when it could not be started (fork, pipe).
 */
int command_run(char *const *argv, usec_t timeout, size_t cap, command_output_fn out,
                void *userdata, struct command_result *ret);

/* Formats a wait status as "exit status 1", "killed by signal 9 (Killed)". */
char *command_status_string(const struct command_result *r, char *buf, size_t size);
