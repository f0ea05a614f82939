/* SPDX-License-Identifier: MIT */
/*
 * The log-files collector's private declarations: a bounded byte reader over
 * a plain or gzip-compressed file (logs-gz.c) and the test hook.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <zlib.h>

/*
 * Reads a file that was opened and measured once: never more than limit raw
 * bytes (the size fstat gave at open), so that a growing file cannot keep the
 * reader busy and a shrinking one just ends early (noted). gzip content
 * (also several concatenated members) is inflated in memory, never on disk;
 * corrupt data ends the read with the readable part kept and the damage noted.
 */
struct logs_reader {
        int fd;
        bool gz;
        uint64_t pos;   /* raw offset of the next read */
        uint64_t limit; /* raw end */
        bool shrank;    /* the file ended before limit */
        bool damaged;   /* corrupt or truncated gzip data */
        char damage[160];
        uint64_t out_bytes; /* bytes delivered */
        const char *head;   /* raw bytes from offset 0, read already (or NULL) */
        size_t head_len;

        /* gzip */
        z_stream z;
        bool z_ready;
        bool z_member_done;
        unsigned char *in;
        size_t in_size;
};

#define LOGS_READ_CHUNK (128U * 1024U)

/* Sets up r over fd from raw offset start to limit. gz: inflate. 0 or -ENOMEM. */
int logs_reader_init(struct logs_reader *r, int fd, bool gz, uint64_t start, uint64_t limit);
/* Up to size bytes of content into buf: > 0, 0 at the end (or after damage), -errno. */
ssize_t logs_reader_read(struct logs_reader *r, char *buf, size_t size);
void logs_reader_done(struct logs_reader *r);

/* True if the first bytes of a file (head[0..n), read at offset 0) are a gzip header. */
bool logs_is_gzip(const void *head, size_t n);
/* The uncompressed size recorded in a gzip trailer (modulo 2^32), or 0. */
uint64_t logs_gzip_isize(int fd, uint64_t size);

/* logs-text.c */
#define LOGS_SNIFF_BYTES 8192U

struct logs_repair {
        uint64_t nul;     /* NUL bytes replaced by markers */
        uint64_t invalid; /* bytes that were not UTF-8, replaced by U+FFFD */
};

/* NULL if buf[0..n) (the first bytes of a file's content) looks like text,
 * else what it is ("xz data", "binary records (NUL bytes throughout)"). */
const char *logs_sniff_binary(const char *buf, size_t n);
/* True if line holds no NUL byte and no byte >= 0x80 (nothing to repair). */
bool logs_text_clean(const char *line, size_t len);
/* Copies line to out (at least 3 * len + 32 bytes) with NUL runs replaced by
 * "[NUL×N]" (U+FFFD for runs shorter than 4) and invalid UTF-8 by U+FFFD.
 * Returns the length written; adds to *stats. */
size_t logs_text_repair(const char *line, size_t len, char *out, struct logs_repair *stats);

/* logs-findings.c: findings from the lines of log files, each naming what it
 * is about (the killed or crashing process, the exhausted path or program). */
#define LOGS_MAX_RECORDS 256

struct logs_record {
        int kind;         /* enum finding_kind */
        const char *what; /* resource of FINDING_RESOURCE_EXHAUSTED, static */
        char *subject;
        char *detail;
        uint64_t count;
        uint64_t first, last;
};

struct logs_findings {
        struct logs_record records[LOGS_MAX_RECORDS];
        size_t n_records;
        uint64_t dropped;
        char oom_unit[128]; /* unit of the last "oom-kill:" line, for its pid */
        char oom_pid[16];
};

/* Looks at one line of the window (t its time, 0 unknown). */
void logs_findings_scan(struct logs_findings *lf, const char *source, const char *line, size_t len,
                        uint64_t t);
/* The phrases looked for (NULL-terminated, matched byte for byte), and the
 * same as logs_findings_scan() for a line whose phrases are known (bit i:
 * phrase i found in it). */
const char *const *logs_findings_words(void);
void logs_findings_line(struct logs_findings *lf, const char *source, const char *line, size_t len,
                        uint64_t t, uint64_t found);
struct sink;
/* Adds the findings; unit failures and restarts of known_units (already
 * reported by an earlier collector) are left out. */
void logs_findings_emit(struct logs_findings *lf, struct sink *sink, char *const *known_units);
void logs_findings_done(struct logs_findings *lf);

/* logs-ahead.c: the files to collect, opened ahead of the collecting thread
 * (open beneath the root and fstat on a thread of their own, in order, at most
 * LOGS_AHEAD files ahead) so that the collecting thread only reads, filters
 * and writes. The first bytes of a file are read ahead too, but only of a
 * file reached by its listed path without a symbolic link and with no other
 * hard link (its listed path, which passed never_collect, is then the only
 * way to it); any other file is first read after the never_collect check of
 * what was opened, on the collecting thread. */
struct logs_file {
        char *path; /* inside the root, absolute ("/var/log/syslog") */
        dev_t dev;
        ino_t ino;
        time_t mtime;
};

#define LOGS_AHEAD 32U     /* files open ahead, at most */
#define LOGS_AHEAD_MIN 64U /* fewer files: each opened when asked for, no thread */

struct logs_opened {
        int fd;         /* -errno when the open failed */
        int stat_error; /* -errno when fstat failed, else 0 and st is valid */
        struct stat st;
        bool direct;        /* opened by its listed path, no link followed */
        bool read;          /* head[0..head_len) holds the first bytes (read at offset 0) */
        bool gz;            /* when read: they are a gzip header */
        const char *binary; /* when read: what the sniff says they are, or NULL for text */
        char *head;         /* LOGS_SNIFF_BYTES, or NULL */
        size_t head_len;
};

struct logs_ahead;

/* Starts opening files[0..n) (which must stay valid) beneath root_fd. 0 or -ENOMEM. */
int logs_ahead_start(int root_fd, const struct logs_file *files, size_t n, struct logs_ahead **ret);
/* File i, asked for in order once i - 1 was released; the descriptor stays
 * owned by a and open until i is released. */
const struct logs_opened *logs_ahead_get(struct logs_ahead *a, size_t i);
/* Done with file i: its descriptor is closed (by the thread, when there is one). */
void logs_ahead_release(struct logs_ahead *a, size_t i);
/* Stops the thread and closes what is still open. */
void logs_ahead_free(struct logs_ahead *a);

/* A second thread for the listing: logs_helper_split() runs fn(userdata, k)
 * for k in [0, n), the upper half on the helper while the caller does the
 * lower half, and returns when both are done (all on the caller's thread when
 * h is NULL or n is small). logs_helper_new() returns NULL when no thread can
 * be started. */
struct logs_helper;
struct logs_helper *logs_helper_new(void);
void logs_helper_split(struct logs_helper *h, void (*fn)(void *userdata, size_t k), void *userdata,
                       size_t n);
void logs_helper_free(struct logs_helper *h);

/* Test hook, called after a file has been opened and measured, before it is
 * read (tests truncate or rotate the file there). NULL outside tests. */
extern void (*logs_test_after_open)(const char *path, int fd);
