/* SPDX-License-Identifier: MIT */
/*
 * Line diff (Myers, minimal, linear space) with GNU-compatible unified output:
 * three lines of context, "--- a/path" / "+++ b/path" headers, and
 * "\ No newline at end of file" markers. Memory is bounded by a line limit;
 * beyond it (or beyond a work limit) the diff degrades to a whole-file change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Receives output chunks; returns 0 or -errno (which aborts the diff). */
typedef int (*config_diff_write_t)(void *userdata, const char *data, size_t len);

struct config_diff_limits {
        size_t max_lines;  /* per side; 0 = default (200000) */
        uint64_t max_work; /* Myers steps before giving up; 0 = default (2e8) */
        unsigned context;  /* lines of context; default 3 (0 is honoured only with
                            * context_set) */
        bool context_set;
};

struct config_diff_stats {
        size_t deleted;  /* lines removed from the old side */
        size_t inserted; /* lines added on the new side */
        size_t hunks;
        bool whole_file; /* limits exceeded: written as a whole-file replacement */
};

/* True if data looks binary (contains a NUL byte). */
bool config_diff_is_binary(const char *data, size_t len);

/*
 * Writes a unified diff of old_data -> new_data. Labels are the paths after
 * "--- " and "+++ " (e.g. "a/etc/hosts"); either may be "/dev/null". Nothing
 * is written when the contents are equal. limits may be NULL. Returns 0, or
 * -ENOMEM, or the writer's error. ret_stats may be NULL.
 */
int config_diff_unified(const char *old_label, const char *old_data, size_t old_len,
                        const char *new_label, const char *new_data, size_t new_len,
                        const struct config_diff_limits *limits, config_diff_write_t write,
                        void *userdata, struct config_diff_stats *ret_stats);

/* Replaces each private-key block of buf[0..n) (a "-----BEGIN … PRIVATE KEY"
 * line through its END line, or the end of the data) by one line
 * "[REDACTED:private-key fingerprint <8 hex digits>]" (a hash prefix, so that a
 * changed key shows as a changed line without its value), in place. Returns
 * the new length. */
size_t config_diff_strip_keys(char *buf, size_t n);
