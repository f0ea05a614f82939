/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshot store: content-addressed zlib objects, one index per
 * snapshot written last and atomically, stat-based reuse of unchanged files,
 * bounded count and size with the oldest snapshots dropped first.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "config-diff.h"
#include "config-snapshot.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"
#include "strv.h"

#define INDEX_MAGIC "collect-snapshot 1"
#define TMP_PREFIX ".tmp-"
#define MAX_DEPTH 32
#define READ_CHUNK ((size_t) 65536)

struct config_snapshot_store {
        char *path;
        int dir_fd;
        int objects_fd;
        int lock_fd;
        unsigned tmp_counter;
        bool usage_known;  /* bytes used as of the last completed prune */
        uint64_t usage;
};

#define USAGE_FILE "usage"

/* The store's size is cached in a file between runs so that an unchanged
 * snapshot need not stat every object. The file is removed while a snapshot
 * is being written, so a run killed half-way leaves no stale value behind. */
static void usage_take(struct config_snapshot_store *s)
{
        char buf[32] = {};
        int fd = openat(s->dir_fd, USAGE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return;
        ssize_t n = loop_read(fd, buf, sizeof(buf) - 1);
        safe_close(fd);
        (void) unlinkat(s->dir_fd, USAGE_FILE, 0);
        if (n > 0 && buf[n - 1] == '\n') {
                buf[n - 1] = 0;
                if (safe_atou64(buf, &s->usage) >= 0)
                        s->usage_known = true;
        }
}

static void usage_put(struct config_snapshot_store *s, uint64_t bytes)
{
        char buf[32];
        int fd;

        fd = openat(s->dir_fd, TMP_PREFIX "usage", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                    0600);
        if (fd < 0)
                return;
        int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", bytes);
        if (loop_write(fd, buf, (size_t) n) < 0) {
                safe_close(fd);
                return;
        }
        safe_close(fd);
        (void) renameat(s->dir_fd, TMP_PREFIX "usage", s->dir_fd, USAGE_FILE);
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

int config_snapshot_store_open(const char *state_dir, struct config_snapshot_store **ret)
{
        _cleanup_free_ char *path = NULL;
        struct config_snapshot_store *s;
        int r;

        if (isempty(state_dir))
                return -EINVAL;
        path = xasprintf("%s/snapshots", state_dir);
        if (!path)
                return -ENOMEM;
        r = mkdir_p(path, 0700);
        if (r < 0)
                return r;

        s = xcalloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->path = TAKE_PTR(path);
        s->objects_fd = s->lock_fd = -1;
        s->dir_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dir_fd < 0) {
                r = -errno;
                goto fail;
        }
        s->lock_fd = openat(s->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0) {
                r = -errno;
                goto fail;
        }
        for (unsigned i = 0;; i++) {
                if (flock(s->lock_fd, LOCK_EX | LOCK_NB) >= 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        r = -errno;
                        goto fail;
                }
                if (i >= 200) {
                        r = -EBUSY;
                        goto fail;
                }
                (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        if (mkdirat(s->dir_fd, "objects", 0700) < 0 && errno != EEXIST) {
                r = -errno;
                goto fail;
        }
        s->objects_fd = openat(s->dir_fd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
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

struct config_snapshot_store *config_snapshot_store_free(struct config_snapshot_store *s)
{
        if (!s)
                return NULL;
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
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;

        if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
                return -EIO;
        for (unsigned i = 0; i < 32; i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

static bool valid_hash(const char *h)
{
        if (strlen(h) != 64)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
                        return false;
        return true;
}

static void object_name(const char *hash, char ret[static 66])
{
        ret[0] = hash[0];
        ret[1] = hash[1];
        ret[2] = '/';
        memcpy(ret + 3, hash + 2, 62);
        ret[65] = 0;
}

/* Adds content to the store unless present. Returns 1 if written, 0 if present. */
static int store_object(struct config_snapshot_store *s, const char *hash, const void *data,
                        size_t len, uint64_t *ret_bytes)
{
        char name[66], dir[3] = { hash[0], hash[1], 0 }, tmp[64];
        _cleanup_free_ unsigned char *z = NULL;
        _cleanup_close_ int fd = -1;
        uLongf zlen;
        struct stat st;
        int r;

        object_name(hash, name);
        if (fstatat(s->objects_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode))
                return 0;

        zlen = compressBound((uLong) len);
        z = xmalloc(zlen);
        if (!z)
                return -ENOMEM;
        if (compress2(z, &zlen, data, (uLong) len, Z_DEFAULT_COMPRESSION) != Z_OK)
                return -EIO;

        (void) snprintf(tmp, sizeof(tmp), TMP_PREFIX "%d-%u", (int) getpid(), s->tmp_counter++);
        fd = openat(s->objects_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, z, zlen);
        if (r < 0)
                goto fail;
        fd = safe_close(fd);
        if (mkdirat(s->objects_fd, dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                goto fail;
        }
        if (renameat(s->objects_fd, tmp, s->objects_fd, name) < 0) {
                r = -errno;
                goto fail;
        }
        if (ret_bytes)
                *ret_bytes += zlen;
        return 1;

fail:
        (void) unlinkat(s->objects_fd, tmp, 0);
        return r;
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

        if (!valid_hash(sha256))
                return -EINVAL;
        object_name(sha256, name);
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

/* ---- index files ---- */

static int parse_index_name(const char *name, usec_t *ret_time, uint64_t *ret_seq)
{
        char buf[64];
        const char *dash, *dot;
        size_t l = strlen(name);

        if (l < 7 || l >= sizeof(buf) || !streq(name + l - 4, ".idx") || name[0] == '.')
                return -EINVAL;
        dash = strchr(name, '-');
        dot = name + l - 4;
        if (!dash || dash > dot)
                return -EINVAL;
        memcpy(buf, name, (size_t) (dash - name));
        buf[dash - name] = 0;
        for (const char *p = buf; *p; p++)
                if (*p < '0' || *p > '9')
                        return -EINVAL;
        if (!buf[0])
                return -EINVAL;
        if (safe_atou64(buf, ret_time) < 0)
                return -EINVAL;
        memcpy(buf, dash + 1, (size_t) (dot - dash - 1));
        buf[dot - dash - 1] = 0;
        for (const char *p = buf; *p; p++)
                if (*p < '0' || *p > '9')
                        return -EINVAL;
        if (!buf[0])
                return -EINVAL;
        if (safe_atou64(buf, ret_seq) < 0)
                return -EINVAL;
        return 0;
}

static int info_cmp(const void *a, const void *b)
{
        const struct config_snapshot_info *x = a, *y = b;

        if (x->time != y->time)
                return x->time < y->time ? -1 : 1;
        if (x->seq != y->seq)
                return x->seq < y->seq ? -1 : 1;
        return strcmp(x->name, y->name);
}

void config_snapshot_info_free_many(struct config_snapshot_info *l, size_t n)
{
        if (!l)
                return;
        for (size_t i = 0; i < n; i++)
                free(l[i].name);
        free(l);
}

int config_snapshot_list(struct config_snapshot_store *s, struct config_snapshot_info **ret,
                         size_t *ret_n)
{
        struct config_snapshot_info *l = NULL;
        size_t n = 0, alloc = 0;
        int fd, r = 0;
        DIR *d;

        fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d));) {
                struct config_snapshot_info info = {};
                struct stat st;

                if (parse_index_name(de->d_name, &info.time, &info.seq) < 0)
                        continue;
                if (fstatat(s->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                if (n == alloc) {
                        size_t na = alloc ? alloc * 2 : 16;
                        struct config_snapshot_info *nl = xrealloc(l, na * sizeof(*nl));

                        if (!nl) {
                                r = -ENOMEM;
                                break;
                        }
                        l = nl;
                        alloc = na;
                }
                info.bytes = (uint64_t) st.st_size;
                info.name = xstrdup(de->d_name);
                if (!info.name) {
                        r = -ENOMEM;
                        break;
                }
                l[n++] = info;
        }
        closedir(d);
        if (r < 0) {
                config_snapshot_info_free_many(l, n);
                return r;
        }
        if (n > 0)
                qsort(l, n, sizeof(*l), info_cmp);
        *ret = l;
        *ret_n = n;
        return 0;
}

struct config_snapshot_index *config_snapshot_index_free(struct config_snapshot_index *i)
{
        if (!i)
                return NULL;
        for (size_t k = 0; k < i->n_entries; k++)
                free(i->entries[k].path);
        free(i->entries);
        free(i->name);
        free(i->ref);
        free(i);
        return NULL;
}

static int index_add(struct config_snapshot_index *i, const struct config_snapshot_entry *e)
{
        if (i->n_entries == i->alloc) {
                size_t na = i->alloc ? i->alloc * 2 : 256;
                struct config_snapshot_entry *ne = xrealloc(i->entries, na * sizeof(*ne));

                if (!ne)
                        return -ENOMEM;
                i->entries = ne;
                i->alloc = na;
        }
        i->entries[i->n_entries++] = *e;
        return 0;
}

static int index_reserve(struct config_snapshot_index *i, size_t n)
{
        struct config_snapshot_entry *ne;

        if (n <= i->alloc)
                return 0;
        ne = xrealloc(i->entries, n * sizeof(*ne));
        if (!ne)
                return -ENOMEM;
        i->entries = ne;
        i->alloc = n;
        return 0;
}

static int entry_cmp(const void *a, const void *b)
{
        const struct config_snapshot_entry *x = a, *y = b;

        return strcmp(x->path, y->path);
}

const struct config_snapshot_entry *config_snapshot_find(const struct config_snapshot_index *i,
                                                         const char *path)
{
        struct config_snapshot_entry key = { .path = (char *) path };

        if (!i || i->n_entries == 0)
                return NULL;
        return bsearch(&key, i->entries, i->n_entries, sizeof(key), entry_cmp);
}

static void fputs_escaped(const char *s, FILE *f)
{
        if (!strpbrk(s, "\\\n")) {
                fputs(s, f);
                return;
        }
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
}

static char *unescape(const char *s, size_t len)
{
        char *out = xmalloc(len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\\' && i + 1 < len) {
                        i++;
                        *o++ = s[i] == 'n' ? '\n' : s[i];
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

/* One entry line: "f|l MODE UID GID SIZE MTIME CTIME INO STORED SHA256 PATH". */
static int parse_entry(char *line, size_t l, struct config_snapshot_entry *ret)
{
        const char *q = line;
        uint64_t v[8];
        char type, hash[65], *end;
        size_t pos;

        type = *q++;
        if ((type != 'f' && type != 'l') || *q != ' ')
                return -EBADMSG;
        for (size_t k = 0; k < 8; k++) {
                if (*q != ' ' || q[1] < '0' || q[1] > '9')
                        return -EBADMSG;
                errno = 0;
                v[k] = strtoull(q + 1, &end, k == 0 ? 8 : 10);
                if (errno != 0)
                        return -EBADMSG;
                q = end;
        }
        if (*q != ' ' || strlen(q + 1) < 66 || q[65] != ' ')
                return -EBADMSG;
        memcpy(hash, q + 1, 64);
        hash[64] = 0;
        if (!valid_hash(hash))
                return -EBADMSG;
        pos = (size_t) (q + 66 - line);
        *ret = (struct config_snapshot_entry) {
                .type = type,
                .stored = v[7] == 1,
                .withheld = v[7] == 2,
                .mode = (uint32_t) v[0],
                .uid = (uint32_t) v[1],
                .gid = (uint32_t) v[2],
                .size = v[3],
                .mtime_ns = v[4],
                .ctime_ns = v[5],
                .ino = v[6],
        };
        memcpy(ret->sha256, hash, 65);
        ret->path = unescape(line + pos, l - pos);
        return ret->path ? 0 : -ENOMEM;
}

static int load_index(struct config_snapshot_store *s, const char *name, bool head_only,
                      unsigned depth, struct config_snapshot_index **ret);

/* After the lines: the reference, the entries of a "same" index, the count check. */
static int index_finish(struct config_snapshot_store *s, struct config_snapshot_index *idx,
                        const char *name, char **same, bool head_only, bool ended,
                        uint64_t expected, unsigned depth)
{
        struct config_snapshot_index *full = NULL;
        int r;

        if (head_only) {
                idx->ref = xstrdup(*same ?: name);
                return idx->ref ? 0 : -ENOMEM;
        }
        if (*same) {
                if (idx->n_entries != 0)
                        return -EBADMSG;
                r = load_index(s, *same, false, depth + 1, &full);
                if (r < 0)
                        return r;
                if (!ended || expected != full->n_entries) {
                        config_snapshot_index_free(full);
                        return -EBADMSG;
                }
                free(idx->entries);
                idx->entries = TAKE_PTR(full->entries);
                idx->n_entries = full->n_entries;
                idx->alloc = full->alloc;
                full->n_entries = 0;
                config_snapshot_index_free(full);
                idx->ref = TAKE_PTR(*same);
                return 0;
        }
        idx->ref = xstrdup(name);
        if (!idx->ref)
                return -ENOMEM;
        if (!ended || expected != idx->n_entries)
                return -EBADMSG;
        /* Written sorted, but do not trust that for bsearch. */
        for (size_t k = 1; k < idx->n_entries; k++)
                if (strcmp(idx->entries[k - 1].path, idx->entries[k].path) > 0) {
                        qsort(idx->entries, idx->n_entries, sizeof(*idx->entries), entry_cmp);
                        break;
                }
        return 0;
}

static int load_index(struct config_snapshot_store *s, const char *name, bool head_only,
                      unsigned depth, struct config_snapshot_index **ret)
{
        struct config_snapshot_index *idx = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL, *same = NULL;
        size_t line_alloc = 0;
        bool ended = false;
        uint64_t expected = 0;
        int fd, r = -EBADMSG;
        ssize_t l;

        fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        struct stat fst;
        size_t estimate = fstat(fd, &fst) >= 0 ? (size_t) fst.st_size / 100 + 16 : 16;
        f = fdopen(fd, "re");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        idx = xcalloc(1, sizeof(*idx));
        if (!idx)
                return -ENOMEM;
        idx->name = xstrdup(name);
        if (!idx->name || index_reserve(idx, estimate) < 0) {
                r = -ENOMEM;
                goto fail;
        }

        l = getline(&line, &line_alloc, f);
        if (l <= 0 || !strneq(line, INDEX_MAGIC "\n", strlen(INDEX_MAGIC) + 1))
                goto fail;

        while ((l = getline(&line, &line_alloc, f)) > 0) {
                struct config_snapshot_entry e = {};

                if (line[l - 1] != '\n' || ended)
                        goto fail;
                line[--l] = 0;
                if (strneq(line, "time ", 5)) {
                        if (safe_atou64(line + 5, &idx->time) < 0)
                                goto fail;
                        continue;
                }
                if (strneq(line, "scanned ", 8)) {
                        if (safe_atou64(line + 8, &idx->scanned_ns) < 0)
                                goto fail;
                        continue;
                }
                if (strneq(line, "seq ", 4)) {
                        if (safe_atou64(line + 4, &idx->seq) < 0)
                                goto fail;
                        continue;
                }
                if (strneq(line, "same ", 5)) {
                        usec_t t;
                        uint64_t q;

                        if (same || parse_index_name(line + 5, &t, &q) < 0 || depth > 0)
                                goto fail;
                        same = xstrdup(line + 5);
                        if (!same) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        if (head_only)
                                break;
                        continue;
                }
                if (strneq(line, "# ", 2) && head_only && idx->time != 0)
                        break; /* the entries follow */
                if (strneq(line, "end ", 4)) {
                        if (safe_atou64(line + 4, &expected) < 0)
                                goto fail;
                        ended = true;
                        continue;
                }
                if (strneq(line, "# ", 2))
                        continue;
                r = parse_entry(line, (size_t) l, &e);
                if (r < 0)
                        goto fail;
                r = index_add(idx, &e);
                if (r < 0) {
                        free(e.path);
                        goto fail;
                }
                r = -EBADMSG;
        }
        r = index_finish(s, idx, name, &same, head_only, ended, expected, depth);
        if (r < 0)
                goto fail;
        *ret = idx;
        return 0;

fail:
        config_snapshot_index_free(idx);
        return r;
}

int config_snapshot_load(struct config_snapshot_store *s, const char *name,
                         struct config_snapshot_index **ret)
{
        return load_index(s, name, false, 0, ret);
}

int config_snapshot_ref(struct config_snapshot_store *s, const char *name, char **ret)
{
        struct config_snapshot_index *idx = NULL;
        int r;

        r = load_index(s, name, true, 0, &idx);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(idx->ref);
        config_snapshot_index_free(idx);
        return 0;
}

static int write_index(struct config_snapshot_store *s, struct config_snapshot_index *idx,
                       const char *name, const char *same);

/* Writes idx as name (atomically): the entries, or a reference to the full
 * index same that holds the same entries. */
static int write_index(struct config_snapshot_store *s, struct config_snapshot_index *idx,
                       const char *name, const char *same)
{
        _cleanup_fclose_ FILE *f = NULL;
        char tmp[64];
        int fd, r;

        (void) snprintf(tmp, sizeof(tmp), TMP_PREFIX "idx-%d-%u", (int) getpid(), s->tmp_counter++);
        fd = openat(s->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "we");
        if (!f) {
                r = -errno;
                safe_close(fd);
                goto fail;
        }
        fprintf(f, INDEX_MAGIC "\ntime %" PRIu64 "\nseq %" PRIu64 "\n", (uint64_t) idx->time,
                idx->seq);
        fprintf(f, "scanned %" PRIu64 "\n", idx->scanned_ns);
        if (same)
                fprintf(f, "same %s\n", same);
        else {
                fputs("# type mode uid gid size mtime_ns ctime_ns inode stored sha256 path\n", f);
                for (size_t i = 0; i < idx->n_entries; i++) {
                        const struct config_snapshot_entry *e = &idx->entries[i];

                        fprintf(f, "%c %o %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %s ",
                                e->type, e->mode, e->uid, e->gid, e->size, e->mtime_ns, e->ctime_ns,
                                e->ino, e->withheld ? 2 : e->stored ? 1 : 0, e->sha256);
                        fputs_escaped(e->path, f);
                        fputc('\n', f);
                }
        }
        fprintf(f, "end %zu\n", idx->n_entries);
        if (fflush(f) != 0 || ferror(f)) {
                r = -EIO;
                goto fail;
        }
        if (fsync(fileno(f)) < 0) {
                r = -errno;
                goto fail;
        }
        if (renameat(s->dir_fd, tmp, s->dir_fd, name) < 0) {
                r = -errno;
                goto fail;
        }
        (void) fsync(s->dir_fd);
        return 0;

fail:
        (void) unlinkat(s->dir_fd, tmp, 0);
        return r;
}

int config_snapshot_commit(struct config_snapshot_store *s, struct config_snapshot_index *idx)
{
        struct config_snapshot_info *l = NULL;
        _cleanup_free_ char *name = NULL, *same = NULL;
        uint64_t seq = 1;
        size_t n = 0;
        int r;

        r = config_snapshot_list(s, &l, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                seq = MAX(seq, l[i].seq + 1);
        /* An unchanged snapshot refers to the full index of the previous one,
         * if that still exists. */
        if (idx->unchanged && idx->ref)
                for (size_t i = 0; i < n && !same; i++)
                        if (streq(l[i].name, idx->ref))
                                same = xstrdup(idx->ref);
        config_snapshot_info_free_many(l, n);

        /* Objects were written without fsync; make them durable before the index
         * that refers to them can become visible. */
        if (idx->new_content && syncfs(s->dir_fd) < 0)
                return -errno;

        name = xasprintf("%020" PRIu64 "-%" PRIu64 ".idx", (uint64_t) idx->time, seq);
        if (!name)
                return -ENOMEM;
        idx->seq = seq;
        r = write_index(s, idx, name, same);
        if (r < 0)
                return r;
        free(idx->name);
        idx->name = TAKE_PTR(name);
        free(idx->ref);
        idx->ref = same ? TAKE_PTR(same) : xstrdup(idx->name);
        return idx->ref ? 0 : -ENOMEM;
}

/* ---- scanning ---- */

/* Counts a file or directory that could not be read and keeps the first
 * ones, with the reason, for the collector's notes. */
static void scan_unreadable(struct config_snapshot_stats *stats, const char *path,
                            const char *why)
{
        stats->unreadable++;
        if (strv_length(stats->unreadable_paths) < CONFIG_SNAPSHOT_UNREADABLE_MAX)
                (void) strv_consume(&stats->unreadable_paths, xasprintf("%s: %s", path, why));
}

void config_snapshot_stats_done(struct config_snapshot_stats *stats)
{
        stats->unreadable_paths = strv_free(stats->unreadable_paths);
}

struct scan_state {
        const struct config_snapshot_scan *scan;
        const struct config_snapshot_index *prev;
        struct config_snapshot_store *store;
        struct config_snapshot_index *idx;
        struct config_snapshot_stats *stats;
        char *buf;
        size_t buf_alloc;
        bool stop;
};

/* fnmatch(pattern, s, 0) == 0, with fast paths for a literal and for "*" plus
 * a literal suffix, which is what most patterns are (10,000 files each). */
static bool match(const char *pattern, const char *s)
{
        if (!strpbrk(pattern, "*?[\\"))
                return streq(pattern, s);
        if (pattern[0] == '*' && !strpbrk(pattern + 1, "*?[\\")) {
                size_t pl = strlen(pattern + 1), sl = strlen(s);

                return sl >= pl && memcmp(s + sl - pl, pattern + 1, pl) == 0;
        }
        return fnmatch(pattern, s, 0) == 0;
}

static bool path_excluded(char *const *exclude, const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        STRV_FOREACH(p, (char **) exclude)
                if (match(*p, strchr(*p, '/') ? path : base))
                        return true;
        return false;
}

/* never_collect as the context matches it, plus patterns without a '/'
 * ("*.key") matched against the file name, so that they cover every directory. */
static bool forbidden(struct collect_ctx *ctx, const char *path)
{
        const char *base;

        if (!ctx)
                return false;
        if (ctx_path_forbidden(ctx, path))
                return true;
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
        STRV_FOREACH(p, (char **) ctx_never_collect(ctx))
                if (!strchr(*p, '/') && match(*p, base))
                        return true;
        return false;
}

bool config_snapshot_path_skipped(const struct config_snapshot_scan *scan, const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);

        if (!p)
                return false;
        for (;;) {
                if (forbidden(scan->ctx, p))
                        return true;
                if (path_excluded(scan->exclude, p))
                        return true;
                char *slash = strrchr(p, '/');
                if (!slash || slash == p)
                        return false;
                *slash = 0;
        }
}

static uint64_t ts_ns(const struct timespec *ts)
{
        return (uint64_t) ts->tv_sec * 1000000000ULL + (uint64_t) ts->tv_nsec;
}

static int add_entry(struct scan_state *st, const char *path, char type, const struct stat *sb,
                     int stored, const char *hash)
{
        struct config_snapshot_entry e = {
                .type = type,
                .stored = stored == 1,
                .withheld = stored == 2,
                .mode = (uint32_t) sb->st_mode,
                .uid = (uint32_t) sb->st_uid,
                .gid = (uint32_t) sb->st_gid,
                .size = (uint64_t) sb->st_size,
                .mtime_ns = ts_ns(&sb->st_mtim),
                .ctime_ns = ts_ns(&sb->st_ctim),
                .ino = (uint64_t) sb->st_ino,
        };
        int r;

        memcpy(e.sha256, hash, 65);
        e.path = xstrdup(path);
        if (!e.path)
                return -ENOMEM;
        r = index_add(st->idx, &e);
        if (r < 0)
                free(e.path);
        st->stats->files++;
        return r;
}

static int hash_rest(int fd, const void *head, size_t head_len, char ret[static 65],
                     uint64_t *ret_size)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned char out[EVP_MAX_MD_SIZE], buf[READ_CHUNK];
        unsigned outlen = 0;
        uint64_t total = head_len;
        int r = -EIO;

        if (!md)
                return -ENOMEM;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(md, head, head_len) != 1)
                goto finish;
        for (;;) {
                ssize_t n = loop_read(fd, buf, sizeof(buf));

                if (n < 0) {
                        r = (int) n;
                        goto finish;
                }
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(md, buf, (size_t) n) != 1)
                        goto finish;
                total += (uint64_t) n;
        }
        if (EVP_DigestFinal_ex(md, out, &outlen) != 1 || outlen != 32)
                goto finish;
        for (unsigned i = 0; i < 32; i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", out[i]);
        *ret_size = total;
        r = 0;
finish:
        EVP_MD_CTX_free(md);
        return r;
}

#define RACY_NS (100ULL * 1000 * 1000)

static bool stat_unchanged(const struct config_snapshot_index *prev,
                           const struct config_snapshot_entry *p, const struct stat *sb)
{
        /* A file changed within the file system's timestamp granularity of the
         * previous scan may change again without its stat data changing. */
        if (p && (prev->scanned_ns == 0 || p->mtime_ns + RACY_NS >= prev->scanned_ns ||
                  p->ctime_ns + RACY_NS >= prev->scanned_ns))
                return false;
        return p && p->type == 'f' && S_ISREG(sb->st_mode) && p->size == (uint64_t) sb->st_size &&
               p->mtime_ns == ts_ns(&sb->st_mtim) && p->ctime_ns == ts_ns(&sb->st_ctim) &&
               p->ino == (uint64_t) sb->st_ino && p->mode == (uint32_t) sb->st_mode &&
               p->uid == (uint32_t) sb->st_uid && p->gid == (uint32_t) sb->st_gid;
}

static int scan_file(struct scan_state *st, int dfd, const char *name, const char *path,
                     const struct stat *lsb)
{
        const struct config_snapshot_scan *scan = st->scan;
        const struct config_snapshot_entry *p = config_snapshot_find(st->prev, path);
        _cleanup_close_ int fd = -1;
        struct stat sb;
        char hash[65];
        ssize_t n;
        int r;

        if (stat_unchanged(st->prev, p, lsb)) {
                st->stats->reused++;
                return add_entry(st, path, 'f', lsb, p->withheld ? 2 : p->stored, p->sha256);
        }

        fd = open_beneath(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                scan_unreadable(st->stats, path, strerror(-fd));
                return 0;
        }
        if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
                st->stats->unreadable++;
                return 0;
        }
        st->stats->read++;
        st->idx->new_content = true;

        size_t want = (size_t) MIN(scan->max_file_size, (uint64_t) SIZE_MAX / 2) + 1;
        if ((uint64_t) sb.st_size < want)
                want = (size_t) sb.st_size + 1; /* +1 notices growth */
        if (st->buf_alloc < want) {
                char *nb = xrealloc(st->buf, want);

                if (!nb)
                        return -ENOMEM;
                st->buf = nb;
                st->buf_alloc = want;
        }
        n = loop_read(fd, st->buf, want);
        if (n < 0) {
                st->stats->unreadable++;
                return 0;
        }
        if ((uint64_t) n > scan->max_file_size || (size_t) n == want) {
                /* Over the limit (or still growing): hash only. */
                uint64_t size;

                r = hash_rest(fd, st->buf, (size_t) n, hash, &size);
                if (r < 0) {
                        st->stats->unreadable++;
                        return 0;
                }
                sb.st_size = (off_t) size;
                if (size > scan->max_file_size) {
                        st->stats->too_large++;
                        return add_entry(st, path, 'f', &sb, false, hash);
                }
                /* Grew but still fits: read it again from the start. */
                if (lseek(fd, 0, SEEK_SET) < 0)
                        return add_entry(st, path, 'f', &sb, false, hash);
                want = (size_t) size;
                if (st->buf_alloc < want + 1) {
                        char *nb = xrealloc(st->buf, want + 1);

                        if (!nb)
                                return -ENOMEM;
                        st->buf = nb;
                        st->buf_alloc = want + 1;
                }
                n = loop_read(fd, st->buf, want);
                if (n < 0) {
                        st->stats->unreadable++;
                        return 0;
                }
        }
        sb.st_size = (off_t) n;
        r = config_snapshot_sha256(st->buf, (size_t) n, hash);
        if (r < 0)
                return r;
        int stored = 0;
        if (memmem(st->buf, (size_t) n, "PRIVATE KEY-----", 16)) {
                /* Keys never reach the store: each block becomes one line, so
                 * that the rest of the file can still be diffed. */
                st->stats->withheld++;
                n = (ssize_t) config_diff_strip_keys(st->buf, (size_t) n);
                r = config_snapshot_sha256(st->buf, (size_t) n, hash);
                if (r < 0)
                        return r;
        }
        if (st->store) {
                r = store_object(st->store, hash, st->buf, (size_t) n, &st->stats->bytes_written);
                if (r < 0)
                        return r;
                if (r > 0)
                        st->stats->objects_written++;
                stored = 1;
        }
        return add_entry(st, path, 'f', &sb, stored, hash);
}

static int scan_link(struct scan_state *st, int dfd, const char *name, const char *path,
                     const struct stat *lsb)
{
        char target[PATH_MAX + 1], hash[65];
        struct stat sb = *lsb;
        ssize_t n;
        int r;

        n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n < 0) {
                st->stats->unreadable++;
                return 0;
        }
        target[n] = 0;
        sb.st_size = (off_t) n;
        r = config_snapshot_sha256(target, (size_t) n, hash);
        if (r < 0)
                return r;
        const struct config_snapshot_entry *p = config_snapshot_find(st->prev, path);
        if (!p || !streq(p->sha256, hash))
                st->idx->new_content = true;
        if (st->store) {
                r = store_object(st->store, hash, target, (size_t) n, &st->stats->bytes_written);
                if (r < 0)
                        return r;
                if (r > 0)
                        st->stats->objects_written++;
        }
        return add_entry(st, path, 'l', &sb, st->store != NULL, hash);
}

static int scan_at(struct scan_state *st, int dfd, const char *name, const char *path,
                   unsigned depth)
{
        const struct config_snapshot_scan *scan = st->scan;
        struct stat sb;
        int r;

        if (st->stop)
                return 0;
        if (forbidden(scan->ctx, path)) {
                st->stats->forbidden++;
                return 0;
        }
        if (path_excluded(scan->exclude, path)) {
                st->stats->excluded++;
                return 0;
        }
        if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                return 0; /* vanished */

        if (S_ISDIR(sb.st_mode)) {
                _cleanup_close_ int fd = -1;
                DIR *d;

                if (depth >= MAX_DEPTH) {
                        st->stats->too_deep++;
                        scan_unreadable(st->stats, path, "deeper than 32 levels, not read");
                        return 0;
                }
                fd = open_beneath(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
                if (fd < 0) {
                        scan_unreadable(st->stats, path, strerror(-fd));
                        return 0;
                }
                d = fdopendir(fd);
                if (!d)
                        return -errno;
                fd = -1;
                r = 0;
                for (struct dirent *de; r >= 0 && !st->stop && (de = readdir(d));) {
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        _cleanup_free_ char *child = xasprintf("%s/%s", streq(path, "/") ? "" : path,
                                                               de->d_name);
                        if (!child) {
                                r = -ENOMEM;
                                break;
                        }
                        r = scan_at(st, dirfd(d), de->d_name, child, depth + 1);
                }
                closedir(d);
                return r;
        }

        if (!S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode))
                return 0;
        if (scan->max_files > 0 && st->idx->n_entries >= scan->max_files) {
                st->stats->truncated = true;
                st->stop = true;
                return 0;
        }
        if (scan->ctx && (st->idx->n_entries & 255) == 0 && ctx_expired(scan->ctx))
                return -ETIME;
        if (S_ISLNK(sb.st_mode))
                return scan_link(st, dfd, name, path, &sb);
        return scan_file(st, dfd, name, path, &sb);
}

/* Scans one tracked path (no glob characters) inside the root. */
static int scan_path(struct scan_state *st, int root_fd, const char *path)
{
        _cleanup_free_ char *norm = NULL, *parent = NULL;
        _cleanup_close_ int pfd = -1;
        const char *base;
        size_t l;

        /* Normalise: leading '/', no trailing '/'. */
        while (path[0] == '/' && path[1] == '/')
                path++;
        norm = path[0] == '/' ? xstrdup(path) : xasprintf("/%s", path);
        if (!norm)
                return -ENOMEM;
        l = strlen(norm);
        while (l > 1 && norm[l - 1] == '/')
                norm[--l] = 0;
        if (streq(norm, "/"))
                return scan_at(st, root_fd, ".", "/", 0);

        base = strrchr(norm, '/') + 1;
        parent = xstrndup(norm, (size_t) (base - norm));
        if (!parent)
                return -ENOMEM;
        pfd = open_beneath(root_fd, parent, O_RDONLY | O_DIRECTORY | O_PATH);
        if (pfd < 0)
                return 0; /* tracked directory does not exist here */
        return scan_at(st, pfd, base, norm, 0);
}

static bool has_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

int config_snapshot_scan(const struct config_snapshot_scan *scan,
                         const struct config_snapshot_index *prev,
                         struct config_snapshot_store *store, usec_t time,
                         struct config_snapshot_index **ret, struct config_snapshot_stats *stats)
{
        struct config_snapshot_stats dummy = {};
        struct scan_state st = {
                .scan = scan,
                .prev = prev,
                .store = store,
                .stats = stats ? stats : &dummy,
        };
        int root_fd = ctx_root_fd(scan->ctx);
        const char *root = ctx_root(scan->ctx);
        int r = 0;

        st.idx = xcalloc(1, sizeof(*st.idx));
        if (!st.idx)
                return -ENOMEM;
        st.idx->time = time;
        if (prev && index_reserve(st.idx, prev->n_entries + 64) < 0) {
                config_snapshot_index_free(st.idx);
                return -ENOMEM;
        }
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) >= 0)
                st.idx->scanned_ns = (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;

        STRV_FOREACH(p, (char **) scan->paths) {
                if (!has_glob(*p)) {
                        r = scan_path(&st, root_fd, *p);
                } else {
                        _cleanup_free_ char *pattern = NULL;
                        glob_t g = {};
                        size_t rl = strlen(root);

                        while (rl > 0 && root[rl - 1] == '/')
                                rl--;
                        pattern = xasprintf("%.*s%s%s", (int) rl, root, (*p)[0] == '/' ? "" : "/", *p);
                        if (!pattern) {
                                r = -ENOMEM;
                                break;
                        }
                        if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
                                for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
                                        r = scan_path(&st, root_fd, g.gl_pathv[i] + rl);
                        globfree(&g);
                }
                if (r < 0 || st.stop)
                        break;
        }
        free(st.buf);
        if (r < 0) {
                config_snapshot_index_free(st.idx);
                return r;
        }

        /* Sort, and drop duplicates from overlapping tracked paths. */
        struct config_snapshot_index *idx = st.idx;
        if (idx->n_entries > 1) {
                size_t w = 1;

                qsort(idx->entries, idx->n_entries, sizeof(*idx->entries), entry_cmp);
                for (size_t i = 1; i < idx->n_entries; i++) {
                        if (streq(idx->entries[i].path, idx->entries[w - 1].path)) {
                                free(idx->entries[i].path);
                                st.stats->files--;
                                continue;
                        }
                        idx->entries[w++] = idx->entries[i];
                }
                idx->n_entries = w;
        }

        /* Exactly the previous snapshot's entries? Then it can be committed as a
         * reference to the full index holding them. */
        if (prev && prev->ref && prev->n_entries == idx->n_entries) {
                bool same = true;

                for (size_t i = 0; i < idx->n_entries && same; i++) {
                        const struct config_snapshot_entry *a = &idx->entries[i], *b = &prev->entries[i];

                        same = a->type == b->type && a->stored == b->stored &&
                               a->withheld == b->withheld && a->mode == b->mode && a->uid == b->uid &&
                               a->gid == b->gid && a->size == b->size && a->mtime_ns == b->mtime_ns &&
                               a->ctime_ns == b->ctime_ns && a->ino == b->ino &&
                               streq(a->sha256, b->sha256) && streq(a->path, b->path);
                }
                if (same) {
                        idx->unchanged = true;
                        idx->ref = xstrdup(prev->ref);
                        if (!idx->ref) {
                                config_snapshot_index_free(idx);
                                return -ENOMEM;
                        }
                }
        }
        *ret = idx;
        return 0;
}

/* ---- pruning ---- */

struct object {
        char hash[65];
        uint64_t size;
        unsigned refs;
};

static int object_cmp(const void *a, const void *b)
{
        return strcmp(((const struct object *) a)->hash, ((const struct object *) b)->hash);
}

static int list_objects(struct config_snapshot_store *s, struct object **ret, size_t *ret_n,
                        uint64_t *ret_bytes)
{
        struct object *l = NULL;
        size_t n = 0, alloc = 0;
        uint64_t bytes = 0;
        int fd, r = 0;
        DIR *top;

        fd = openat(s->objects_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        top = fdopendir(fd);
        if (!top) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; r >= 0 && (de = readdir(top));) {
                if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
                        continue;
                int sfd = openat(s->objects_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sfd < 0)
                        continue;
                DIR *sub = fdopendir(sfd);
                if (!sub) {
                        safe_close(sfd);
                        continue;
                }
                for (struct dirent *oe; (oe = readdir(sub));) {
                        struct stat st;
                        struct object o = {};

                        if (strlen(oe->d_name) != 62)
                                continue;
                        if (fstatat(dirfd(sub), oe->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        memcpy(o.hash, de->d_name, 2);
                        memcpy(o.hash + 2, oe->d_name, 63);
                        if (!valid_hash(o.hash))
                                continue;
                        o.size = (uint64_t) st.st_size;
                        if (n == alloc) {
                                size_t na = alloc ? alloc * 2 : 1024;
                                struct object *nl = xrealloc(l, na * sizeof(*nl));

                                if (!nl) {
                                        r = -ENOMEM;
                                        break;
                                }
                                l = nl;
                                alloc = na;
                        }
                        l[n++] = o;
                        bytes += o.size;
                }
                closedir(sub);
        }
        closedir(top);
        if (r < 0) {
                free(l);
                return r;
        }
        if (n > 0)
                qsort(l, n, sizeof(*l), object_cmp);
        *ret = l;
        *ret_n = n;
        *ret_bytes = bytes;
        return 0;
}

/* Adds delta to the reference count of every stored object of an index;
 * returns the bytes of objects whose count went to or from zero. */
static uint64_t adjust_refs(struct object *objs, size_t n, const struct config_snapshot_index *idx,
                            int delta)
{
        uint64_t bytes = 0;

        for (size_t i = 0; i < idx->n_entries; i++) {
                struct object key = {}, *o;

                if (!idx->entries[i].stored)
                        continue;
                memcpy(key.hash, idx->entries[i].sha256, 65);
                o = n ? bsearch(&key, objs, n, sizeof(key), object_cmp) : NULL;
                if (!o)
                        continue;
                if (delta > 0) {
                        if (o->refs++ == 0)
                                bytes += o->size;
                } else if (o->refs > 0 && --o->refs == 0)
                        bytes += o->size;
        }
        return bytes;
}

/*
 * A kept snapshot that refers to a dropped index gets the entries written out
 * (the first one), or refers to that one instead. Each rewrite is atomic, and
 * happens before anything is unlinked.
 */
static int rewrite_refs(struct config_snapshot_store *s, const struct config_snapshot_info *l,
                        size_t n, struct config_snapshot_index **idx, size_t first_kept)
{
        const char *old_ref = NULL, *new_ref = NULL;
        int r;

        for (size_t i = first_kept; i < n; i++) {
                bool dropped = false;

                if (!idx[i] || !idx[i]->ref || streq(idx[i]->ref, l[i].name))
                        continue;
                for (size_t k = 0; k < first_kept && !dropped; k++)
                        dropped = streq(l[k].name, idx[i]->ref);
                if (!dropped)
                        continue;
                if (old_ref && streq(old_ref, idx[i]->ref))
                        r = write_index(s, idx[i], l[i].name, new_ref);
                else {
                        r = write_index(s, idx[i], l[i].name, NULL);
                        old_ref = idx[i]->ref;
                        new_ref = l[i].name;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Oldest first, so that a crash leaves a consistent prefix dropped; then the
 * objects no kept snapshot refers to. */
static void drop_unreferenced(struct config_snapshot_store *s,
                              const struct config_snapshot_info *l, size_t first_kept,
                              const struct object *objs, size_t n_objs,
                              struct config_snapshot_stats *stats)
{
        for (size_t i = 0; i < first_kept; i++)
                if (unlinkat(s->dir_fd, l[i].name, 0) >= 0 && stats)
                        stats->dropped++;
        for (size_t i = 0; i < n_objs; i++) {
                char name[66];

                if (objs[i].refs > 0)
                        continue;
                object_name(objs[i].hash, name);
                (void) unlinkat(s->objects_fd, name, 0);
        }
}

int config_snapshot_prune(struct config_snapshot_store *s, uint64_t max_snapshots,
                          uint64_t max_bytes, struct config_snapshot_stats *stats)
{
        struct config_snapshot_info *l = NULL;
        struct config_snapshot_index **idx = NULL;
        struct object *objs = NULL;
        size_t n = 0, n_objs = 0, first_kept = 0;
        uint64_t obj_bytes = 0, index_bytes = 0, total;
        int r;

        r = config_snapshot_list(s, &l, &n);
        if (r < 0)
                return r;

        /* Fast path: the cached usage plus what this run added is within bounds. */
        if (s->usage_known && stats && n > 0 && (max_snapshots == 0 || n <= max_snapshots)) {
                uint64_t estimate = s->usage + stats->bytes_written + l[n - 1].bytes;

                if (max_bytes == 0 || estimate <= max_bytes) {
                        stats->store_bytes = estimate;
                        usage_put(s, estimate);
                        config_snapshot_info_free_many(l, n);
                        return 0;
                }
        }

        r = list_objects(s, &objs, &n_objs, &obj_bytes);
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < n; i++)
                index_bytes += l[i].bytes;
        total = obj_bytes + index_bytes;

        if (max_snapshots > 0)
                while (n - first_kept > max_snapshots && n - first_kept > 1)
                        first_kept++;

        if (first_kept == 0 && (max_bytes == 0 || total <= max_bytes))
                goto finish; /* nothing to do; orphans are collected on the next drop */

        /* Reference counts over every snapshot still kept. */
        idx = xcalloc(n + 1, sizeof(*idx));
        if (!idx) {
                r = -ENOMEM;
                goto finish;
        }
        uint64_t referenced = 0;
        for (size_t i = first_kept; i < n; i++) {
                r = config_snapshot_load(s, l[i].name, &idx[i]);
                if (r < 0) {
                        idx[i] = NULL; /* unreadable: dropped below */
                        continue;
                }
                referenced += adjust_refs(objs, n_objs, idx[i], +1);
        }
        index_bytes = 0;
        for (size_t i = first_kept; i < n; i++)
                index_bytes += l[i].bytes;
        total = referenced + index_bytes;
        while (max_bytes > 0 && total > max_bytes && n - first_kept > 1) {
                if (idx[first_kept])
                        total -= adjust_refs(objs, n_objs, idx[first_kept], -1);
                total -= l[first_kept].bytes;
                first_kept++;
        }

        r = rewrite_refs(s, l, n, idx, first_kept);
        if (r < 0)
                goto finish; /* nothing dropped; tried again next time */
        drop_unreferenced(s, l, first_kept, objs, n_objs, stats);
        r = 0;
finish:
        if (stats && r >= 0) {
                uint64_t b = 0;
                if (idx) {
                        for (size_t i = 0; i < n_objs; i++)
                                if (objs[i].refs > 0)
                                        b += objs[i].size;
                        for (size_t i = first_kept; i < n; i++)
                                b += l[i].bytes;
                } else
                        b = obj_bytes + index_bytes;
                stats->store_bytes = b;
                usage_put(s, b);
        }
        if (idx)
                for (size_t i = 0; i < n; i++)
                        config_snapshot_index_free(idx[i]);
        free(idx);
        free(objs);
        config_snapshot_info_free_many(l, n);
        return r;
}
