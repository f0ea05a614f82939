/* SPDX-License-Identifier: MIT */
/*
 * The kernel's lines of a window that can belong to a crash report: each
 * headline (oops, panic, BUG, general protection fault) and every kernel line
 * within KERNEL_TRACE_SPAN after the latest headline, in the order read. The
 * journal collector's first pass reads every kernel message of the window;
 * it keeps these and hands them on (ctx_kernel_lines_give()), so that the
 * crash collector does not read the kernel's messages of the same window a
 * second time. Non-logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

#define KERNEL_TRACE_SPAN (5 * USEC_PER_SEC) /* trace lines follow their headline closely */
#define KERNEL_LINES_MAX 8192                /* more: the crash collector reads them itself */

struct kernel_line {
        usec_t t;
        char *boot_id; /* may be NULL */
        char *msg;
};

struct kernel_lines {
        struct kernel_line *v;
        size_t n, alloc;
        usec_t headline; /* the latest headline's time, 0: none yet */
        bool overflow;   /* more than KERNEL_LINES_MAX: incomplete */
};

/* The kind of crash a kernel line starts ("kernel oops", "kernel panic"…),
 * or NULL when it starts none. */
const char *kernel_crash_headline_kind(const char *line);

/* Takes a kernel message read in time order: kept if it is a headline, or
 * within KERNEL_TRACE_SPAN after the latest one, or when keep says so. 0 or
 * -ENOMEM. */
int kernel_lines_take(struct kernel_lines *kl, usec_t t, const char *boot_id, const char *msg,
                      bool keep);

void kernel_lines_done(struct kernel_lines *kl);
