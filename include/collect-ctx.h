/* SPDX-License-Identifier: MIT */
/*
 * What a collector may know about the run it is part of. The context is
 * owned by the runner; collectors only read it through these accessors.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "time-util.h"

struct collect_ctx;

/* The collector's name, for messages. */
const char *ctx_name(const struct collect_ctx *ctx);

/* The root the host is read from ("/" or --root) and an O_PATH|O_DIRECTORY fd
 * on it; every file read must go through open_beneath(ctx_root_fd(ctx), …). */
const char *ctx_root(const struct collect_ctx *ctx);
int ctx_root_fd(const struct collect_ctx *ctx);

/* True when the root is "/": live-only sources (sd-bus, /proc of this host,
 * commands) may be used. */
bool ctx_is_live(const struct collect_ctx *ctx);

/* The window [since, until] in µs since the epoch. */
usec_t ctx_since(const struct collect_ctx *ctx);
usec_t ctx_until(const struct collect_ctx *ctx);

/* Monotonic deadline of this collector and whether it has passed. Long loops
 * must check ctx_expired() and stop early (the runner then records timeout). */
usec_t ctx_deadline(const struct collect_ctx *ctx);
bool ctx_expired(const struct collect_ctx *ctx);

/* Bytes this collector may still add to the bundle (after redaction). */
uint64_t ctx_budget_left(const struct collect_ctx *ctx);

/* Per-file budget from the policy (budgets.per_file). */
uint64_t ctx_file_budget(const struct collect_ctx *ctx);

/* --journal-dir, or NULL for the system journal (under a non-/ root: the
 * root's var/log/journal). */
const char *ctx_journal_dir(const struct collect_ctx *ctx);

/* The state directory (config snapshots, ledger); created on demand. */
const char *ctx_state_dir(const struct collect_ctx *ctx);

/* True for `collect snapshot`: only record a configuration snapshot, emit
 * nothing else. Collectors other than config are not run then. */
bool ctx_snapshot_only(const struct collect_ctx *ctx);

/* Glob patterns (relative to root, absolute form like "/etc/shadow") of files
 * that must never be read (policy `never_collect`). */
char *const *ctx_never_collect(const struct collect_ctx *ctx);

/* True if path (absolute, as seen inside the root) matches never_collect. */
bool ctx_path_forbidden(const struct collect_ctx *ctx, const char *path);

/* The units collect.yaml names critical (critical_units); may be NULL. */
char *const *ctx_critical_units(const struct collect_ctx *ctx);

/* The units that the collectors run before this one found failed, restarting,
 * crashed or down in the window (journal, environment), each once, in the
 * order found. A new strv (possibly empty) in *ret; 0 or -ENOMEM. */
int ctx_problem_units(const struct collect_ctx *ctx, char ***ret);

struct kernel_lines;

/* Hands the kernel's crash lines of the whole window (include/kernel-lines.h),
 * which this collector read, to the collectors after it; takes kl's content. */
void ctx_kernel_lines_give(struct collect_ctx *ctx, struct kernel_lines *kl);

/* Those lines, when a collector before this one gave them; NULL when none did
 * (the crash collector then reads the kernel's messages itself). */
const struct kernel_lines *ctx_kernel_lines(const struct collect_ctx *ctx);

/* Collector logging: adds the "<collector>: " prefix. */
#define clog_full_errno(ctx, level, error, fmt, ...) \
        log_full_errno((level), (error), "%s: " fmt, ctx_name(ctx), ##__VA_ARGS__)
#define clog_debug(ctx, fmt, ...) (void) clog_full_errno(ctx, LOG_DEBUG, 0, fmt, ##__VA_ARGS__)
#define clog_info(ctx, fmt, ...) (void) clog_full_errno(ctx, LOG_INFO, 0, fmt, ##__VA_ARGS__)
#define clog_warning(ctx, fmt, ...) (void) clog_full_errno(ctx, LOG_WARNING, 0, fmt, ##__VA_ARGS__)
#define clog_error(ctx, fmt, ...) (void) clog_full_errno(ctx, LOG_ERR, 0, fmt, ##__VA_ARGS__)
#define clog_warning_errno(ctx, error, fmt, ...) \
        clog_full_errno(ctx, LOG_WARNING, error, fmt, ##__VA_ARGS__)
#define clog_error_errno(ctx, error, fmt, ...) \
        clog_full_errno(ctx, LOG_ERR, error, fmt, ##__VA_ARGS__)
#define clog_debug_errno(ctx, error, fmt, ...) \
        clog_full_errno(ctx, LOG_DEBUG, error, fmt, ##__VA_ARGS__)
