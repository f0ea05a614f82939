/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshot pruning (config-snapshot.h): the oldest snapshots
 * dropped first, bounded in count and bytes, then the objects no kept
 * snapshot refers to.
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
                int sfd = openat(s->objects_fd, de->d_name,
                                 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
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
                        if (!snapshot_valid_hash(o.hash))
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
                        r = snapshot_write_index(s, idx[i], l[i].name, new_ref);
                else {
                        r = snapshot_write_index(s, idx[i], l[i].name, NULL);
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
static void drop_unreferenced(struct config_snapshot_store *s, const struct config_snapshot_info *l,
                              size_t first_kept, const struct object *objs, size_t n_objs,
                              struct config_snapshot_stats *stats)
{
        for (size_t i = 0; i < first_kept; i++)
                if (unlinkat(s->dir_fd, l[i].name, 0) >= 0 && stats)
                        stats->dropped++;
        for (size_t i = 0; i < n_objs; i++) {
                char name[66];

                if (objs[i].refs > 0)
                        continue;
                snapshot_object_name(objs[i].hash, name);
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
                        snapshot_usage_put(s, estimate);
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
                snapshot_usage_put(s, b);
        }
        if (idx)
                for (size_t i = 0; i < n; i++)
                        config_snapshot_index_free(idx[i]);
        free(idx);
        free(objs);
        config_snapshot_info_free_many(l, n);
        return r;
}
