/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshot index files (config-snapshot.h): one per snapshot,
 * listed, loaded (following a reference to a full index) and written
 * atomically; committing a scanned snapshot.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "config-snapshot-internal.h"
#include "config-snapshot.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"
#include "strv.h"

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

int snapshot_index_add(struct config_snapshot_index *i, const struct config_snapshot_entry *e)
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

int snapshot_index_reserve(struct config_snapshot_index *i, size_t n)
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

int snapshot_entry_cmp(const void *a, const void *b)
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
        return bsearch(&key, i->entries, i->n_entries, sizeof(key), snapshot_entry_cmp);
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
        if (!snapshot_valid_hash(hash))
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
                        qsort(idx->entries, idx->n_entries, sizeof(*idx->entries),
                              snapshot_entry_cmp);
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
        if (!idx->name || snapshot_index_reserve(idx, estimate) < 0) {
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
                r = snapshot_index_add(idx, &e);
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

/* Writes idx as name (atomically): the entries, or a reference to the full
 * index same that holds the same entries. */
int snapshot_write_index(struct config_snapshot_store *s, struct config_snapshot_index *idx,
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

                        fprintf(f,
                                "%c %o %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                                " %d %s ",
                                e->type, e->mode, e->uid, e->gid, e->size, e->mtime_ns, e->ctime_ns,
                                e->ino,
                                e->withheld ? 2 :
                                e->stored   ? 1 :
                                              0,
                                e->sha256);
                        fputs_escaped(e->path, f);
                        fputc('\n', f);
                        if (ferror(f))
                                break; /* errno says why (a full disk) */
                }
        }
        if (!ferror(f))
                fprintf(f, "end %zu\n", idx->n_entries);
        if (!ferror(f)) {
                errno = 0;
                (void) fflush(f);
        }
        if (ferror(f)) {
                r = errno > 0 ? -errno : -EIO;
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

        if (s->error < 0)
                return s->error; /* objects are missing: never made visible */
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
        r = snapshot_write_index(s, idx, name, same);
        if (r < 0)
                return r;
        snapshot_store_committed(s);
        free(idx->name);
        idx->name = TAKE_PTR(name);
        free(idx->ref);
        idx->ref = same ? TAKE_PTR(same) : xstrdup(idx->name);
        return idx->ref ? 0 : -ENOMEM;
}
