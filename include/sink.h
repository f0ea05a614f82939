/* SPDX-License-Identifier: MIT */
/*
 * The sink: where collectors put artifacts (bundle members) and findings.
 * Everything written here passes the redactor before it reaches the archive;
 * collectors never see archives, redaction or budgets beyond these calls.
 *
 * Member names are relative bundle paths such as "environment/os-release" or
 * "logs/files/var/log/syslog". The sink enforces the collector's byte budget
 * and the per-file budget: when an artifact is cut, what is kept depends on
 * the flags (the head by default, the newest part with SINK_KEEP_TAIL) and a
 * note is recorded in the manifest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "finding.h"
#include "macro.h"
#include "time-util.h"

struct sink;
struct sink_stream;

enum {
        SINK_KEEP_TAIL = 1u << 0,   /* when cut by a budget, keep the newest (last) part */
        SINK_SCAN_ERRORS = 1u << 1, /* feed lines to the error extractor */
        SINK_NO_REDACT = 1u << 2,   /* agent-generated content known to hold no secret */
        SINK_BINARY_OK = 1u << 3,   /* binary content is expected (not skipped) */
};

/* Per-line metadata for sink_stream_write_line(); unknown fields stay 0/NULL/-1. */
struct sink_line_meta {
        usec_t timestamp; /* 0: parse from the line if possible */
        int priority;     /* syslog priority 0..7, or -1 if unknown */
        const char *unit; /* systemd unit or program, may be NULL */
        /* Set by the sink for a line observer that declared words: those found
         * in the line (bit i: word i) when words_known; else the observer scans
         * the line itself. Collectors leave both 0. */
        uint64_t words;
        bool words_known;
};

/*
 * Copies a regular file read below dirfd (use ctx_root_fd) into member name.
 * Refuses FIFOs, devices and directories (-EBADFD), links leaving the tree
 * (-EXDEV/-ELOOP), and files the policy forbids (-EPERM); each refusal is noted
 * in the manifest as a skipped source. Returns 0 (also when cut) or -errno.
 */
int sink_add_file(struct sink *s, const char *name, int dirfd, const char *path, unsigned flags);

/* never_collect on a file a collector opened itself (path: as requested, for the
 * note): -EPERM when the file it resolves to, or its device and inode, is one the
 * policy never collects (then it is noted and listed in redaction.json), else 0. */
int sink_check_fd(struct sink *s, int fd, const char *path);
/* The same with fd's fstat() done already (sb). */
int sink_check_stat(struct sink *s, int fd, const struct stat *sb, const char *path);
/* As sink_check_stat() for a file opened by path without following a symbolic
 * link (open_beneath_direct() said so): path is then what fd resolves to inside
 * the root, and the never_collect check does not ask /proc for it. */
int sink_check_stat_direct(struct sink *s, int fd, const struct stat *sb, const char *path);

/* Adds an in-memory artifact. 0 or -errno. */
int sink_add_data(struct sink *s, const char *name, const void *data, size_t len, unsigned flags);

/* printf into a new member. 0 or -errno. */
int sink_add_printf(struct sink *s, const char *name, unsigned flags, const char *fmt, ...)
        _printf_(4, 5);

/*
 * Opens a streamed member. Data written is redacted line by line and kept
 * within budget; the member is added to the bundle on close. source is the
 * original path or description recorded in the manifest (may be NULL).
 * Returns 0 and the stream in *ret, or -errno (-EMFILE past 64 open streams).
 * Several streams may be open at once (one per unit in a single pass over a
 * journal); each is added to the bundle when it is closed.
 */
int sink_open_stream(struct sink *s, const char *name, const char *source, unsigned flags,
                     struct sink_stream **ret);

/* Appends bytes (any split; lines are reassembled). 0, -ENOSPC when the budget
 * is exhausted and the stream is not SINK_KEEP_TAIL (stop writing), or -errno. */
int sink_stream_write(struct sink_stream *st, const void *data, size_t len);

/* Appends one line (without its newline; one is added) with metadata for the
 * error extractor. Same returns as sink_stream_write(). */
int sink_stream_write_line(struct sink_stream *st, const struct sink_line_meta *meta,
                           const char *line, size_t len);
/* The same for a line whose newline follows it (line[len] is '\n'): the
 * redactor takes it where it is, without a copy or a look for the newline. */
int sink_stream_write_line_nl(struct sink_stream *st, const struct sink_line_meta *meta,
                              const char *line, size_t len);

/*
 * Declares words (a NULL-terminated list of at most 64, each LITSCAN_MIN..
 * LITSCAN_MAX bytes without control bytes; flags as litscan_add() of
 * include/litscan.h) that the sink looks for in every line it redacts, in the
 * same pass as the redaction rules' hints: a collector that looks for
 * phrases in the lines it writes then needs no scan of its own. The same list
 * declared again gets the same set. Returns the set (> 0) or -errno
 * (-ENOSPC: no set left; the collector then scans lines itself).
 */
int sink_add_words(struct sink *s, const char *const *words, unsigned flags);

/* After sink_stream_write_line(): true when the sink's scan saw that line
 * whole as it was given (before redaction), and then *ret has the words of
 * set found in it (bit i: words[i]); false when it did not (the line was
 * cut into pieces, not redacted, skipped...): the collector scans it itself. */
bool sink_stream_line_words(const struct sink_stream *st, int set, uint64_t *ret);

/* printf a chunk into the stream. */
int sink_stream_printf(struct sink_stream *st, const char *fmt, ...) _printf_(2, 3);

/* Records that the stream lost data for a reason other than the budget (a
 * corrupt .gz, a file truncated while read): the note goes to the manifest. */
void sink_stream_note(struct sink_stream *st, const char *fmt, ...) _printf_(2, 3);

/* Lowers the stream's byte limit (it starts at the smaller of the per-file
 * budget and what is left of the collector's budget), e.g. to share a budget
 * between streams that are open together. */
void sink_stream_set_limit(struct sink_stream *st, uint64_t limit);

/* Records that the collector itself left out part of the source to keep
 * within a budget (e.g. it started reading at the tail): the member is then
 * marked truncated in the manifest like a cut made by the sink. */
void sink_stream_mark_truncated(struct sink_stream *st);

/* True once the stream has been cut by a budget. */
bool sink_stream_truncated(const struct sink_stream *st);

/* Completes the member and adds it to the bundle; frees st. Returns 0 or
 * -errno. With abandon=true the member is dropped instead. */
int sink_stream_close(struct sink_stream *st, bool abandon);

/*
 * Runs argv (no shell, clean environment, stdin from /dev/null, its own
 * process group) with a deadline; stdout and stderr go to
 * "commands/<name>.txt" with a header (command line) and a trailer (exit
 * status, duration). On timeout the group is killed. Returns 0 when the
 * command ran (whatever its exit status), -ETIMEDOUT, -ENOENT if the program
 * does not exist, or -errno. *ret_status (may be NULL) gets the wait status.
 */
int sink_add_command(struct sink *s, const char *name, char *const *argv, usec_t timeout,
                     int *ret_status);

/* An unlinked file (mode 0600, close-on-exec) in the staging directory for a
 * collector's own temporary data: text not yet redacted only sealed
 * (include/scratch.h). The fd, or -errno. */
int sink_scratch_fd(struct sink *s);

/* Records a finding (copied). 0 or -ENOMEM. */
int sink_add_finding(struct sink *s, const struct finding *f);

/* Adds a note to this collector's status row ("skipped /var/log/x: FIFO").
 * Notes are capped per collector; the rest are counted. */
void sink_note(struct sink *s, const char *fmt, ...) _printf_(2, 3);

/* Marks this collector's result as partial (something was cut or skipped). */
void sink_mark_partial(struct sink *s);
