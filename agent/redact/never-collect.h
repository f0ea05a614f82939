/* SPDX-License-Identifier: MIT */
/*
 * never_collect on what is actually read: a file descriptor is checked by the
 * path it resolves to (inside the --root tree) and by its device and inode
 * against those of the never-collect files, found once at start. So a log
 * glob, a unit reference or a configuration path that leads to /etc/shadow or
 * a private key through a symbolic link or a hard link is refused all the same.
 * Non-logging.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "macro.h"

struct never_collect;

/* Resolves patterns (globs, as in collection.yaml) under root (NULL or "/": the
 * host) to the device and inode of what they name, at most a few thousand. */
int never_collect_new(const char *root, char *const *patterns, struct never_collect **ret);
struct never_collect *never_collect_free(struct never_collect *nc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct never_collect *, never_collect_free);

/* True when the open file fd (stat in st) must not be read: its resolved path
 * (as seen inside the root) matches a pattern, or it is one of the files found
 * at start. *ret_path (if not NULL) gets the resolved path, or NULL. */
bool never_collect_fd(const struct never_collect *nc, int fd, const struct stat *st,
                      char **ret_path);

/* As never_collect_fd() for a file opened by path (inside the root) without
 * following a symbolic link (open_beneath_direct() said so): path is what fd
 * resolves to, so /proc is not asked. *ret_path (if not NULL) gets the path
 * when the file is refused, else NULL. path NULL: never_collect_fd(). */
bool never_collect_fd_at(const struct never_collect *nc, int fd, const struct stat *st,
                         const char *path, char **ret_path);
