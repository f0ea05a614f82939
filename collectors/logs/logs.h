/* SPDX-License-Identifier: MIT */
/*
 * The log-files collector's private declarations: a bounded byte reader over
 * a plain or gzip-compressed file (logs-gz.c) and the test hook.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* True if the first bytes of fd (at offset 0) are a gzip header. */
bool logs_is_gzip(int fd);
/* The uncompressed size recorded in a gzip trailer (modulo 2^32), or 0. */
uint64_t logs_gzip_isize(int fd, uint64_t size);

/* Test hook, called after a file has been opened and measured, before it is
 * read (tests truncate or rotate the file there). NULL outside tests. */
extern void (*logs_test_after_open)(const char *path, int fd);
