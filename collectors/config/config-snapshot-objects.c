/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshot store, objects (config-snapshot.h): opening and
 * locking the store, content-addressed zlib objects named by their SHA-256,
 * the cached store size.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc-util.h"
#include "sha256.h"
#include "collect-ctx.h"
#include "config-snapshot-internal.h"
#include "config-snapshot.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"
#include "strv.h"

#define USAGE_FILE "usage"
#define USAGE_ASIDE TMP_PREFIX "usage-aside"
#define USAGE_TMP TMP_PREFIX "usage"

/*
 * The store's size is cached in a file between runs so that an unchanged
 * snapshot need not stat every object. The file is renamed aside while a
 * snapshot is being written, so a run killed half-way leaves no stale value
 * behind (the next open removes what starts with TMP_PREFIX), and a rollback
 * renames it back, which needs no room on a full disk.
 */
static void usage_take(struct config_snapshot_store *s)
{
        char buf[32] = {};
        int fd = openat(s->dir_fd, USAGE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return;
        ssize_t n = loop_read(fd, buf, sizeof(buf) - 1);
        safe_close(fd);
        if (n > 0 && buf[n - 1] == '\n') {
                buf[n - 1] = 0;
                if (safe_atou64(buf, &s->usage) >= 0 &&
                    renameat(s->dir_fd, USAGE_FILE, s->dir_fd, USAGE_ASIDE) >= 0) {
                        s->usage_known = s->usage_taken = true;
                        return;
                }
        }
        (void) unlinkat(s->dir_fd, USAGE_FILE, 0);
}

/* Puts the cached size taken at the open back; 0 or -errno. */
static int usage_restore(struct config_snapshot_store *s)
{
        if (renameat(s->dir_fd, USAGE_ASIDE, s->dir_fd, USAGE_FILE) < 0) {
                int r = -errno;

                (void) unlinkat(s->dir_fd, USAGE_ASIDE, 0);
                return r;
        }
        return 0;
}

void snapshot_usage_put(struct config_snapshot_store *s, uint64_t bytes)
{
        char buf[32];
        int fd, r;

        fd = openat(s->dir_fd, USAGE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                    0600);
        if (fd < 0)
                return;
        int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", bytes);
        r = loop_write(fd, buf, (size_t) n);
        if (close(fd) < 0 && errno != EINTR && r >= 0)
                r = -errno;
        if (r >= 0 && renameat(s->dir_fd, USAGE_TMP, s->dir_fd, USAGE_FILE) >= 0)
                return;
        /* No half-written cache: without the file the next run counts the objects. */
        (void) unlinkat(s->dir_fd, USAGE_TMP, 0);
}

static void remove_tmp_files(int dfd)
{
        _cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d)
                return;
        fd = -1;
        for (struct dirent *de; (de = readdir(d));)
                if (strneq(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
}

/* True if directory fd (not consumed) holds an entry that pred accepts. */
static bool dir_has(int dfd, const char *path, bool (*pred)(const char *name))
{
        _cleanup_close_ int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        bool found = false;
        DIR *d;

        if (fd < 0)
                return errno != ENOENT; /* unknown: assume it holds something */
        d = fdopendir(fd);
        if (!d)
                return true;
        fd = -1;
        for (struct dirent *de; !found && (de = readdir(d));)
                found = !streq(de->d_name, ".") && !streq(de->d_name, "..") && pred(de->d_name);
        closedir(d);
        return found;
}

static bool is_index(const char *name)
{
        size_t n = strlen(name);

        return n > 4 && streq(name + n - 4, ".idx");
}

static bool is_any(const char *name)
{
        (void) name;
        return true;
}

/* A store with no index and no object: nothing was ever committed to it, so
 * a failed first snapshot may remove it. Decided while holding the lock. */
static bool store_empty(struct config_snapshot_store *s)
{
        return !dir_has(s->dir_fd, ".", is_index) && !dir_has(s->dir_fd, "objects", is_any);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* After the lock is taken: true if the lock file is still the one of the
 * store's directory at its path, i.e. no run removed an empty store (its lock
 * and directory, see remove_fresh()) while this one waited. */
static bool lock_current(const struct config_snapshot_store *s)
{
        struct stat a, b, c, d;

        return fstat(s->lock_fd, &a) >= 0 &&
               fstatat(s->dir_fd, "lock", &b, AT_SYMLINK_NOFOLLOW) >= 0 && same_file(&a, &b) &&
               fstat(s->dir_fd, &c) >= 0 && stat(s->path, &d) >= 0 && same_file(&c, &d);
}

static int lock_wait(int fd)
{
        for (unsigned i = 0;; i++) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (i >= 200)
                        return -EBUSY;
                (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
}

/* Makes the store's directory if needed, opens and locks it. 1 when locked,
 * 0 when the store went away meanwhile (try again), -errno. */
static int store_lock(struct config_snapshot_store *s)
{
        int r;

        s->dir_fd = safe_close(s->dir_fd);
        s->lock_fd = safe_close(s->lock_fd);
        r = mkdir_p(s->path, 0700);
        if (r < 0)
                return r;
        s->dir_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dir_fd < 0)
                return errno == ENOENT ? 0 : -errno;
        s->lock_fd = openat(s->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0) {
                if (errno == ENOENT)
                        return 0; /* the directory was removed after our open */
                r = -errno;
                (void) rmdir(s->path); /* only if empty: no lock could be made in it */
                return r;
        }
        r = lock_wait(s->lock_fd);
        if (r < 0)
                return r;
        return lock_current(s);
}

int config_snapshot_store_open(const char *state_dir, struct config_snapshot_store **ret)
{
        struct config_snapshot_store *s;
        int r;

        if (isempty(state_dir))
                return -EINVAL;
        s = xcalloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->objects_fd = s->lock_fd = s->dir_fd = -1;
        s->path = xasprintf("%s/snapshots", state_dir);
        if (!s->path) {
                r = -ENOMEM;
                goto fail;
        }
        for (unsigned i = 0;; i++) {
                r = store_lock(s);
                if (r > 0)
                        break;
                if (r == 0 && i >= 20)
                        r = -EBUSY;
                if (r < 0)
                        goto fail;
        }
        s->fresh = store_empty(s); /* removed again on failure, only while holding the lock */
        if (mkdirat(s->dir_fd, "objects", 0700) < 0 && errno != EEXIST) {
                r = -errno;
                goto fail;
        }
        s->objects_fd = openat(s->dir_fd, "objects",
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (s->objects_fd < 0) {
                r = -errno;
                goto fail;
        }
        remove_tmp_files(s->dir_fd);
        remove_tmp_files(s->objects_fd);
        usage_take(s);
        *ret = s;
        return 0;

fail:
        config_snapshot_store_free(s);
        return r;
}

/*
 * A store nothing was committed to: its directory, lock and objects/ go too,
 * so a failed first snapshot leaves nothing. Called holding the lock; a run
 * waiting on this lock file finds it unlinked once it has the lock and
 * starts over (lock_current()), so removing it is safe.
 */
static void remove_fresh(struct config_snapshot_store *s)
{
        if (s->dir_fd < 0 || s->lock_fd < 0)
                return;
        if (unlinkat(s->dir_fd, "objects", AT_REMOVEDIR) < 0 && errno != ENOENT)
                return; /* not empty: keep all */
        if (!store_empty(s))
                return;
        (void) unlinkat(s->dir_fd, "lock", 0);
        (void) rmdir(s->path);
}

struct config_snapshot_store *config_snapshot_store_free(struct config_snapshot_store *s)
{
        if (!s)
                return NULL;
        bool fresh = s->fresh;
        (void) config_snapshot_rollback(s);
        if (fresh)
                remove_fresh(s);
        safe_close(s->objects_fd);
        safe_close(s->dir_fd);
        safe_close(s->lock_fd); /* releases the lock */
        free(s->path);
        free(s);
        return NULL;
}

const char *config_snapshot_store_path(const struct config_snapshot_store *s)
{
        return s->path;
}

int config_snapshot_sha256(const void *data, size_t len, char ret[static 65])
{
        sha256_hex(data, len, ret);
        return 0;
}

bool snapshot_valid_hash(const char *h)
{
        if (strlen(h) != 64)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
                        return false;
        return true;
}

void snapshot_object_name(const char *hash, char ret[static 66])
{
        ret[0] = hash[0];
        ret[1] = hash[1];
        ret[2] = '/';
        memcpy(ret + 3, hash + 2, 62);
        ret[65] = 0;
}

/* Remembers what a snapshot not yet committed added, for the rollback. */
static int remember(char ***l, const char *name)
{
        return strv_extend(l, name);
}

static int store_object_fail(struct config_snapshot_store *s, const char *tmp, int r)
{
        (void) unlinkat(s->objects_fd, tmp, 0);
        if (snapshot_disk_error(r) && s->error == 0)
                s->error = r;
        return r;
}

int snapshot_store_object(struct config_snapshot_store *s, const char *hash, const void *data,
                          size_t len, uint64_t *ret_bytes)
{
        char name[66], dir[3] = { hash[0], hash[1], 0 }, tmp[64];
        _cleanup_free_ unsigned char *z = NULL;
        _cleanup_close_ int fd = -1;
        uLongf zlen;
        struct stat st;
        int r;

        snapshot_object_name(hash, name);
        if (fstatat(s->objects_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode))
                return 0;
        if (s->error < 0)
                return s->error;

        zlen = compressBound((uLong) len);
        z = xmalloc(zlen);
        if (!z)
                return -ENOMEM;
        if (compress2(z, &zlen, data, (uLong) len, Z_DEFAULT_COMPRESSION) != Z_OK)
                return -EIO;

        (void) snprintf(tmp, sizeof(tmp), TMP_PREFIX "%d-%u", (int) getpid(), s->tmp_counter++);
        fd = openat(s->objects_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return store_object_fail(s, tmp, -errno);
        r = loop_write(fd, z, zlen);
        if (r < 0)
                return store_object_fail(s, tmp, r);
        if (close(TAKE_FD(fd)) < 0 && errno != EINTR)
                return store_object_fail(s, tmp, -errno);
        if (mkdirat(s->objects_fd, dir, 0700) >= 0) {
                if (remember(&s->made_dirs, dir) < 0)
                        return store_object_fail(s, tmp, -ENOMEM);
        } else if (errno != EEXIST)
                return store_object_fail(s, tmp, -errno);
        if (remember(&s->written, name) < 0)
                return store_object_fail(s, tmp, -ENOMEM);
        if (renameat(s->objects_fd, tmp, s->objects_fd, name) < 0)
                return store_object_fail(s, tmp, -errno);
        if (ret_bytes)
                *ret_bytes += zlen;
        return 1;
}

void snapshot_store_committed(struct config_snapshot_store *s)
{
        s->fresh = false;
        if (s->usage_taken) /* the prune that follows puts the new size */
                (void) unlinkat(s->dir_fd, USAGE_ASIDE, 0);
        s->usage_taken = false;
        s->written = strv_free(s->written);
        s->made_dirs = strv_free(s->made_dirs);
}

int config_snapshot_rollback(struct config_snapshot_store *s)
{
        int n = 0;

        if (!s)
                return 0;
        STRV_FOREACH(o, s->written)
                if (unlinkat(s->objects_fd, *o, 0) >= 0)
                        n++;
        STRV_FOREACH(d, s->made_dirs)
                (void) unlinkat(s->objects_fd, *d, AT_REMOVEDIR); /* fails if not empty */
        /* The size cached before this run is right again. */
        if (s->usage_taken)
                (void) usage_restore(s);
        s->usage_taken = false;
        snapshot_store_committed(s);
        return n;
}

int config_snapshot_store_error(const struct config_snapshot_store *s)
{
        return s ? s->error : 0;
}

int config_snapshot_read_object(struct config_snapshot_store *s, const char *sha256, size_t max,
                                char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ unsigned char *z = NULL;
        _cleanup_free_ char *out = NULL;
        char name[66], check[65];
        struct stat st;
        size_t alloc, len = 0;
        z_stream zs = {};
        ssize_t n;
        int zr, r;

        if (!snapshot_valid_hash(sha256))
                return -EINVAL;
        snapshot_object_name(sha256, name);
        fd = openat(s->objects_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((uint64_t) st.st_size > (uint64_t) max + 1024 + max / 2)
                return -EFBIG; /* deflate never grows data that much */
        z = xmalloc((size_t) st.st_size + 1);
        if (!z)
                return -ENOMEM;
        n = loop_read(fd, z, (size_t) st.st_size);
        if (n < 0)
                return (int) n;

        alloc = MIN(max, (size_t) 4 * (size_t) n + 4096) + 1;
        out = xmalloc(alloc);
        if (!out)
                return -ENOMEM;
        if (inflateInit(&zs) != Z_OK)
                return -ENOMEM;
        zs.next_in = z;
        zs.avail_in = (uInt) n;
        for (;;) {
                if (len + 1 >= alloc) {
                        if (alloc > max) {
                                r = -EFBIG;
                                goto finish;
                        }
                        size_t na = MIN(alloc * 2, max + 1);
                        char *p = xrealloc(out, na + 1);
                        if (!p) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        out = p;
                        alloc = na + 1;
                }
                zs.next_out = (unsigned char *) out + len;
                zs.avail_out = (uInt) (alloc - 1 - len);
                zr = inflate(&zs, Z_NO_FLUSH);
                len = (size_t) ((char *) zs.next_out - out);
                if (zr == Z_STREAM_END)
                        break;
                if (zr == Z_BUF_ERROR && zs.avail_in == 0) {
                        r = -EBADMSG;
                        goto finish;
                }
                if (zr != Z_OK && zr != Z_BUF_ERROR) {
                        r = zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
                        goto finish;
                }
                if (len > max) {
                        r = -EFBIG;
                        goto finish;
                }
        }
        if (len > max) {
                r = -EFBIG;
                goto finish;
        }
        out[len] = 0;
        r = config_snapshot_sha256(out, len, check);
        if (r < 0)
                goto finish;
        if (!streq(check, sha256)) {
                r = -EBADMSG;
                goto finish;
        }
        *ret = TAKE_PTR(out);
        if (ret_len)
                *ret_len = len;
        r = 0;
finish:
        inflateEnd(&zs);
        return r;
}
