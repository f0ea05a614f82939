/* SPDX-License-Identifier: MIT */
/*
 * The agent's side of struct collect_ctx (opaque to collectors, see
 * include/collect-ctx.h): one per collector run, owned by the runner.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel-lines.h"
#include "time-util.h"

struct report;

/* What the collectors of one run hand on to the ones after them (runner_run()). */
struct ctx_shared {
        struct kernel_lines kernel; /* ctx_kernel_lines_give() */
        bool kernel_given;
};

struct collect_ctx {
        const char *name;
        const char *root;
        int root_fd;
        bool live;
        bool snapshot_only;
        usec_t since, until;
        usec_t deadline; /* CLOCK_MONOTONIC */
        uint64_t budget; /* bytes this collector may add */
        uint64_t used;   /* bytes added so far */
        uint64_t per_file;
        const char *journal_dir;
        const char *state_dir;
        char **never_collect;        /* borrowed */
        char **critical_units;       /* borrowed; collect.yaml critical_units */
        const struct report *report; /* borrowed; findings of the collectors run so far */
        struct ctx_shared *shared;   /* borrowed; the run's (NULL: nothing is handed on) */
};
