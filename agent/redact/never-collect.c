/* SPDX-License-Identifier: MIT */
/*
 * never_collect on the opened file: resolved path and device + inode. The
 * resolved path is read from the /proc/self/fd directory opened at start (a
 * never_collect set is not used in a forked child).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "redact/never-collect.h"
#include "strv.h"

#define NC_FILES_MAX 4096u /* files remembered by device and inode */

struct devino {
        dev_t dev;
        ino_t ino;
};

struct never_collect {
        char *root; /* "" for the host */
        char **patterns;
        struct devino *v;
        size_t n;
        int proc_fd; /* /proc/self/fd of this process, or -1 */
};

struct never_collect *never_collect_free(struct never_collect *nc)
{
        if (!nc)
                return NULL;
        free(nc->root);
        strv_free(nc->patterns);
        free(nc->v);
        safe_close(nc->proc_fd);
        free(nc);
        return NULL;
}

static int remember(struct never_collect *nc, const char *path)
{
        struct stat st;
        struct devino *v;

        /* a directory's files are caught by the resolved-path check */
        if (nc->n >= NC_FILES_MAX || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        v = xrealloc(nc->v, (nc->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        nc->v = v;
        nc->v[nc->n++] = (struct devino) { .dev = st.st_dev, .ino = st.st_ino };
        return 0;
}

/* The files a pattern names under the root (a pattern without '/' is a file name
 * anywhere: only the resolved-path check can apply it). */
static int expand(struct never_collect *nc, const char *pattern)
{
        _cleanup_free_ char *full = NULL;
        glob_t g = {};
        int r = 0;

        if (pattern[0] != '/')
                return 0;
        full = xasprintf("%s%s", nc->root, pattern);
        if (!full)
                return -ENOMEM;
        if (glob(full, GLOB_NOSORT, NULL, &g) != 0)
                return 0;
        for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
                r = remember(nc, g.gl_pathv[i]);
        globfree(&g);
        return r;
}

int never_collect_new(const char *root, char *const *patterns, struct never_collect **ret)
{
        _cleanup_(never_collect_freep) struct never_collect *nc = NULL;
        int r;

        nc = xcalloc(1, sizeof(*nc));
        if (!nc)
                return -ENOMEM;
        /* one directory opened once: each check then looks up one name in it
         * instead of walking /proc/self/fd/N (a third of the readlink's cost) */
        nc->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
        nc->root = xstrdup(root && !streq(root, "/") ? root : "");
        nc->patterns = strv_copy((char **) patterns);
        if (!nc->root || (patterns && !nc->patterns))
                return -ENOMEM;
        /* "/srv/root/" and "/srv/root" alike */
        size_t l = strlen(nc->root);
        while (l > 0 && nc->root[l - 1] == '/')
                nc->root[--l] = 0;
        STRV_FOREACH(p, nc->patterns) {
                r = expand(nc, *p);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(nc);
        return 0;
}

/* The path fd resolves to, as seen inside the root; NULL when unknown. */
static char *resolved_inside(const struct never_collect *nc, int fd)
{
        char proc[64], buf[PATH_MAX];
        size_t l = strlen(nc->root);
        ssize_t n;

        if (nc->proc_fd >= 0) {
                (void) snprintf(proc, sizeof(proc), "%d", fd);
                n = readlinkat(nc->proc_fd, proc, buf, sizeof(buf) - 1);
        } else {
                (void) snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
                n = readlink(proc, buf, sizeof(buf) - 1);
        }
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        if (l > 0 && strncmp(buf, nc->root, l) == 0 && (buf[l] == '/' || buf[l] == 0))
                return xstrdup(buf[l] ? buf + l : "/");
        return xstrdup(buf);
}

static bool known_file(const struct never_collect *nc, const struct stat *st)
{
        for (size_t i = 0; i < nc->n && st; i++)
                if (nc->v[i].dev == st->st_dev && nc->v[i].ino == st->st_ino)
                        return true;
        return false;
}

bool never_collect_fd(const struct never_collect *nc, int fd, const struct stat *st,
                      char **ret_path)
{
        _cleanup_free_ char *path = NULL;
        bool found;

        if (ret_path)
                *ret_path = NULL;
        if (!nc)
                return false;
        found = known_file(nc, st);
        path = resolved_inside(nc, fd);
        if (path && strv_fnmatch_path(nc->patterns, path))
                found = true;
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return found;
}

bool never_collect_fd_at(const struct never_collect *nc, int fd, const struct stat *st,
                         const char *path, char **ret_path)
{
        bool found;

        _cleanup_free_ char *abs = NULL;

        if (!path)
                return never_collect_fd(nc, fd, st, ret_path);
        if (ret_path)
                *ret_path = NULL;
        if (!nc)
                return false;
        /* the patterns are absolute: match the path as seen from the root */
        if (path[0] != '/') {
                abs = xasprintf("/%s", path);
                if (!abs)
                        return never_collect_fd(nc, fd, st, ret_path);
                path = abs;
        }
        found = known_file(nc, st) || strv_fnmatch_path(nc->patterns, path);
        if (found && ret_path)
                *ret_path = xstrdup(path);
        return found;
}
