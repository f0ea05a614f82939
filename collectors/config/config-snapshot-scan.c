/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshot scan (config-snapshot.h): walks the tracked paths,
 * reuses hashes of files whose stat data are unchanged, reads and stores the
 * others, and notes what it could not read.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc-util.h"
#include "sha256.h"
#include "collect-ctx.h"
#include "config-diff.h"
#include "config-snapshot-internal.h"
#include "config-snapshot.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"
#include "sink.h"
#include "strv.h"

#define MAX_DEPTH 32
#define READ_CHUNK ((size_t) 65536)

/* ---- scanning ---- */

/* Counts a file or directory that could not be read and keeps the first
 * ones, with the reason, for the collector's notes. */
static void scan_unreadable(struct config_snapshot_stats *stats, const char *path, const char *why)
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
        char **listed; /* directories read to their end, for a scan cut at max_files */
        size_t n_listed, listed_alloc;
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

/* Adds e to the new index under a copy of path, and counts it. */
static int index_add(struct scan_state *st, struct config_snapshot_entry *e, const char *path)
{
        int r;

        e->path = xstrdup(path);
        if (!e->path)
                return -ENOMEM;
        r = snapshot_index_add(st->idx, e);
        if (r < 0)
                e->path = mfree(e->path);
        st->stats->files++;
        return r;
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

        memcpy(e.sha256, hash, 65);
        return index_add(st, &e, path);
}

/* The first previous entry at or after key in path order. */
static size_t lower_bound(const struct config_snapshot_index *i, const char *key)
{
        size_t lo = 0, hi = i->n_entries;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp(i->entries[mid].path, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Keeps a previous entry as it was. */
static int copy_entry(struct scan_state *st, const struct config_snapshot_entry *o)
{
        struct config_snapshot_entry e = *o;

        return index_add(st, &e, o->path);
}

/*
 * Something tracked could not be read (or lies beyond the depth limit): it
 * is named for the notes, and what the previous snapshot knew of it (the
 * file, or everything below the directory) is kept, so that "not read now"
 * never shows as "removed" in the diff nor as "added" on the next run.
 */
static int not_read(struct scan_state *st, const char *path, bool subtree, const char *why)
{
        const struct config_snapshot_index *prev = st->prev;
        const struct config_snapshot_entry *e;
        _cleanup_free_ char *prefix = NULL;
        size_t plen;
        int r = 0;

        scan_unreadable(st->stats, path, why);
        if (!prev || prev->n_entries == 0)
                return 0;
        e = config_snapshot_find(prev, path);
        if (e)
                r = copy_entry(st, e);
        if (r < 0 || !subtree)
                return r;
        prefix = xasprintf("%s/", streq(path, "/") ? "" : path);
        if (!prefix)
                return -ENOMEM;
        plen = strlen(prefix);
        for (size_t k = lower_bound(prev, prefix); r >= 0 && k < prev->n_entries; k++) {
                if (!strneq(prev->entries[k].path, prefix, plen))
                        break;
                r = copy_entry(st, &prev->entries[k]);
        }
        return r;
}

static int hash_rest(int fd, const void *head, size_t head_len, char ret[static 65],
                     uint64_t *ret_size)
{
        _cleanup_(sha256_freep) struct sha256 *md = sha256_new();
        unsigned char buf[READ_CHUNK];
        uint64_t total = head_len;

        if (!md)
                return -ENOMEM;
        sha256_update(md, head, head_len);
        for (;;) {
                ssize_t n = loop_read(fd, buf, sizeof(buf));

                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                sha256_update(md, buf, (size_t) n);
                total += (uint64_t) n;
        }
        sha256_final_hex(md, ret);
        *ret_size = total;
        return 0;
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
        if (fd < 0)
                return not_read(st, path, false, strerror(-fd));
        if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
                return not_read(st, path, false, "changed while it was read");
        /* never_collect on the file opened (a hard link to /etc/shadow under /etc
         * has a harmless path): the sink compares its device and inode */
        if (scan->sink && sink_check_fd(scan->sink, fd, path) == -EPERM) {
                st->stats->forbidden++;
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
        if (n < 0)
                return not_read(st, path, false, strerror((int) -n));
        if ((uint64_t) n > scan->max_file_size || (size_t) n == want) {
                /* Over the limit (or still growing): hash only. */
                uint64_t size;

                r = hash_rest(fd, st->buf, (size_t) n, hash, &size);
                if (r < 0)
                        return not_read(st, path, false, strerror(-r));
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
                if (n < 0)
                        return not_read(st, path, false, strerror((int) -n));
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
                r = snapshot_store_object(st->store, hash, st->buf, (size_t) n,
                                          &st->stats->bytes_written);
                if (r < 0 && !snapshot_disk_error(r))
                        return r;
                if (r > 0)
                        st->stats->objects_written++;
                stored = r >= 0; /* a full disk: hashed only, the commit fails */
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
        if (n < 0)
                return not_read(st, path, false, strerror(errno));
        target[n] = 0;
        sb.st_size = (off_t) n;
        r = config_snapshot_sha256(target, (size_t) n, hash);
        if (r < 0)
                return r;
        const struct config_snapshot_entry *p = config_snapshot_find(st->prev, path);
        if (!p || !streq(p->sha256, hash))
                st->idx->new_content = true;
        bool stored = false;
        if (st->store) {
                r = snapshot_store_object(st->store, hash, target, (size_t) n,
                                          &st->stats->bytes_written);
                if (r < 0 && !snapshot_disk_error(r))
                        return r;
                if (r > 0)
                        st->stats->objects_written++;
                stored = r >= 0;
        }
        return add_entry(st, path, 'l', &sb, stored, hash);
}

/* Remembers that directory path was read to its end. */
static int listed_add(struct scan_state *st, const char *path)
{
        if (st->n_listed >= st->listed_alloc) {
                size_t n = st->listed_alloc ? st->listed_alloc * 2 : 64;
                char **l = xrealloc(st->listed, n * sizeof(char *));

                if (!l)
                        return -ENOMEM;
                st->listed = l;
                st->listed_alloc = n;
        }
        st->listed[st->n_listed] = xstrdup(path);
        if (!st->listed[st->n_listed])
                return -ENOMEM;
        st->n_listed++;
        return 0;
}

static void listed_free(struct scan_state *st)
{
        for (size_t i = 0; i < st->n_listed; i++)
                free(st->listed[i]);
        free(st->listed);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* True if the directory holding path was read to its end by this scan. */
static bool parent_listed(const struct scan_state *st, const char *path)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *parent = NULL;

        if (!slash || st->n_listed == 0)
                return false;
        parent = slash == path ? xstrdup("/") : xstrndup(path, (size_t) (slash - path));
        return parent &&
               bsearch(&parent, st->listed, st->n_listed, sizeof(char *), cmp_str) != NULL;
}

/* True if path lies below (or is) one of the tracked paths or patterns. */
static bool tracked(const struct scan_state *st, const char *path)
{
        if (forbidden(st->scan->ctx, path) || path_excluded(st->scan->exclude, path))
                return false;
        STRV_FOREACH(p, (char **) st->scan->paths)
                if (fnmatch(*p, path, FNM_PATHNAME | FNM_LEADING_DIR) == 0)
                        return true;
        return false;
}

/*
 * A scan cut at max_files did not reach every file: a previous entry missing
 * now is removed only if the directory that held it was read to its end;
 * otherwise it is kept as it was, so that "not reached" never shows as
 * "removed" in the diff (nor as "added" on the next run). idx is sorted.
 */
static int keep_unreached(struct scan_state *st)
{
        const struct config_snapshot_index *prev = st->prev;
        size_t n = st->idx->n_entries;
        int r = 0;

        if (!prev)
                return 0;
        if (st->n_listed > 1)
                qsort(st->listed, st->n_listed, sizeof(char *), cmp_str);
        for (size_t k = 0; r >= 0 && k < prev->n_entries; k++) {
                const struct config_snapshot_entry *o = &prev->entries[k];
                struct config_snapshot_index now = { .entries = st->idx->entries, .n_entries = n };

                if (config_snapshot_find(&now, o->path) || parent_listed(st, o->path) ||
                    !tracked(st, o->path))
                        continue;
                r = copy_entry(st, o);
                if (r >= 0)
                        st->stats->unreached++;
        }
        return r;
}

/* Sorts the entries and drops duplicates from overlapping tracked paths. */
static void sort_entries(struct scan_state *st)
{
        struct config_snapshot_index *idx = st->idx;
        size_t w = 1;

        if (idx->n_entries <= 1)
                return;
        qsort(idx->entries, idx->n_entries, sizeof(*idx->entries), snapshot_entry_cmp);
        for (size_t i = 1; i < idx->n_entries; i++) {
                if (streq(idx->entries[i].path, idx->entries[w - 1].path)) {
                        free(idx->entries[i].path);
                        st->stats->files--;
                        continue;
                }
                idx->entries[w++] = idx->entries[i];
        }
        idx->n_entries = w;
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
                        return not_read(st, path, true, "deeper than 32 levels, not read");
                }
                fd = open_beneath(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
                if (fd < 0)
                        return not_read(st, path, true, strerror(-fd));
                d = fdopendir(fd);
                if (!d)
                        return -errno;
                fd = -1;
                r = 0;
                for (struct dirent *de; r >= 0 && !st->stop && (de = readdir(d));) {
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        _cleanup_free_ char *child = xasprintf("%s/%s",
                                                               streq(path, "/") ? "" : path,
                                                               de->d_name);
                        if (!child) {
                                r = -ENOMEM;
                                break;
                        }
                        r = scan_at(st, dirfd(d), de->d_name, child, depth + 1);
                }
                closedir(d);
                if (r >= 0 && !st->stop)
                        r = listed_add(st, path);
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

static bool same_entry(const struct config_snapshot_entry *a, const struct config_snapshot_entry *b)
{
        return a->type == b->type && a->stored == b->stored && a->withheld == b->withheld &&
               a->mode == b->mode && a->uid == b->uid && a->gid == b->gid && a->size == b->size &&
               a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns && a->ino == b->ino &&
               streq(a->sha256, b->sha256) && streq(a->path, b->path);
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
        if (prev && snapshot_index_reserve(st.idx, prev->n_entries + 64) < 0) {
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
                        pattern = xasprintf("%.*s%s%s", (int) rl, root, (*p)[0] == '/' ? "" : "/",
                                            *p);
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
        if (r >= 0) {
                sort_entries(&st);
                if (st.stats->truncated) {
                        r = keep_unreached(&st);
                        sort_entries(&st);
                }
        }
        listed_free(&st);
        if (r < 0) {
                config_snapshot_index_free(st.idx);
                return r;
        }
        struct config_snapshot_index *idx = st.idx;

        /* Exactly the previous snapshot's entries? Then it can be committed as a
         * reference to the full index holding them. */
        if (prev && prev->ref && prev->n_entries == idx->n_entries) {
                bool same = true;

                for (size_t i = 0; i < idx->n_entries && same; i++)
                        same = same_entry(&idx->entries[i], &prev->entries[i]);
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
