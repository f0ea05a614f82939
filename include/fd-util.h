/* SPDX-License-Identifier: MIT */
/*
 * File-descriptor helpers: closing, cleanup, safe reading and writing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

/* Closes fd if >= 0, preserving errno; returns -1. */
int safe_close(int fd);

static inline void closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Writes all of buf, retrying on EINTR and short writes. 0 or -errno. */
int loop_write(int fd, const void *buf, size_t len);

/* Reads up to len bytes, retrying on EINTR until len or EOF. Bytes read or -errno. */
ssize_t loop_read(int fd, void *buf, size_t len);

/*
 * Opens path relative to dirfd for reading, refusing to leave the tree: every
 * component is resolved beneath dirfd (RESOLVE_BENEATH semantics; absolute
 * symlinks are resolved against dirfd, never the host root), O_NONBLOCK so
 * that FIFOs and devices do not block. Returns the fd, or -errno (-ELOOP /
 * -EXDEV for a link leaving the tree).
 */
int open_beneath(int dirfd, const char *path, int flags);

/*
 * As open_beneath(); *ret_direct tells whether the file was reached without
 * following any symbolic link by a path with no "." or ".." component and no
 * doubled '/': then path (made absolute) is exactly where the file is inside
 * the tree, as /proc/self/fd would name it. The first try refuses links
 * (RESOLVE_NO_SYMLINKS); only a path with one is opened a second time.
 */
int open_beneath_direct(int dirfd, const char *path, int flags, bool *ret_direct);

/*
 * Reads a whole regular file below dirfd into a NUL-terminated buffer of at
 * most max bytes. Returns 0, -EFBIG if the file is larger than max, -EBADFD
 * if it is not a regular file, or -errno. *ret_size may be NULL.
 */
int read_file_beneath(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size);

/* Creates directory path and its parents with mode; 0 if it exists. */
int mkdir_p(const char *path, unsigned mode);
