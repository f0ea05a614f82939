/* SPDX-License-Identifier: MIT */
/*
 * File-descriptor helpers (include/fd-util.h). open_beneath() uses openat2(2)
 * with RESOLVE_IN_ROOT so that --root behaves like a chroot: a symlink can
 * never lead to the host's files; without openat2 it walks the path itself
 * and refuses symlinks altogether. open_beneath_direct() also says whether
 * the open followed no link, so that the path given is the path opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"

int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;

                (void) close(fd);
                errno = saved;
        }
        return -1;
}

int loop_write(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

ssize_t loop_read(int fd, void *buf, size_t len)
{
        char *p = buf;
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN && got > 0)
                                break;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return (ssize_t) got;
}

static int open_walk(int dirfd, const char *path, int flags)
{
        _cleanup_free_ char *copy = xstrdup(path);
        _cleanup_close_ int cur = -1;
        char *p, *next;

        if (!copy)
                return -ENOMEM;
        cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return -errno;
        for (p = copy; p; p = next) {
                int fd;

                while (*p == '/')
                        p++;
                next = strchr(p, '/');
                if (next)
                        *next++ = 0;
                if (!*p || streq(p, "."))
                        continue;
                if (streq(p, ".."))
                        return -EXDEV;
                while (next && *next == '/')
                        next++;
                if (next && *next) {
                        fd = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                } else {
                        fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC);
                        next = NULL;
                }
                if (fd < 0)
                        return -errno;
                safe_close(cur);
                cur = fd;
        }
        return TAKE_FD(cur);
}

static long openat2_beneath(int dirfd, const char *path, int flags, uint64_t resolve)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
        };

        return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static bool no_openat2; /* atomics: the logs collector opens on a second thread */

int open_beneath(int dirfd, const char *path, int flags)
{
        long fd;

        if (!path || dirfd < 0)
                return -EINVAL;
        /* never block on a FIFO or device; openat2 refuses O_NONBLOCK with O_PATH */
        if (!(flags & O_PATH))
                flags |= O_NONBLOCK;
        while (path[0] == '/' && path[1])
                path++;
        if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
                fd = openat2_beneath(dirfd, path, flags, 0);
                if (fd >= 0)
                        return (int) fd;
                if (errno != ENOSYS && errno != EPERM)
                        return -errno;
                __atomic_store_n(&no_openat2, true, __ATOMIC_RELAXED);
        }
        return open_walk(dirfd, path, flags);
}

/* True if path has no "." or ".." component and no empty one (but may start
 * with '/'): its text is then the path resolution walks. */
static bool path_is_plain(const char *path)
{
        const char *p = path[0] == '/' ? path + 1 : path;

        if (!*p)
                return false;
        for (;;) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                if (!p[n])
                        return true;
                p += n + 1;
        }
}

int open_beneath_direct(int dirfd, const char *path, int flags, bool *ret_direct)
{
        long fd;

        *ret_direct = false;
        if (!path || dirfd < 0)
                return -EINVAL;
        if (path_is_plain(path) && !__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
                const char *rel = path[0] == '/' ? path + 1 : path;

                if (!(flags & O_PATH))
                        flags |= O_NONBLOCK;
                fd = openat2_beneath(dirfd, rel, flags, RESOLVE_NO_SYMLINKS);
                if (fd >= 0) {
                        *ret_direct = true;
                        return (int) fd;
                }
                /* ELOOP: a link on the way; ENOSYS, EPERM: no openat2 here */
                if (errno != ELOOP && errno != ENOSYS && errno != EPERM)
                        return -errno;
        }
        return open_beneath(dirfd, path, flags);
}

int read_file_beneath(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0, alloc;

        fd = open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        /* /proc files report size 0: read until EOF, bounded by max. */
        alloc = st.st_size > 0 ? (size_t) MIN((uint64_t) st.st_size, (uint64_t) max) + 1 : 4096;
        buf = xmalloc(alloc + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == alloc) {
                        char *b;

                        if (len > max)
                                return -EFBIG;
                        alloc = MIN(alloc * 2, max + 1);
                        b = xrealloc(buf, alloc + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = read(fd, buf + len, alloc - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = len;
        return 0;
}

int mkdir_p(const char *path, unsigned mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
