/* SPDX-License-Identifier: MIT */
/*
 * Retention (agent/pipeline/retention.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "log.h"
#include "pipeline/retention.h"
#include "strv.h"
#include "ticket/spool.h"

#define RETENTION_FILES_MAX 10000
#define SPOOL_BUNDLE "bundle.tar.gz"

struct kept {
        char *path;
        char *spool_id; /* a spooled submission's bundle, else NULL */
        uint64_t size;
        usec_t mtime;
        dev_t dev;
        ino_t ino;
};

static int kept_newest_first(const void *a, const void *b)
{
        const struct kept *x = a, *y = b;

        return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : strcmp(x->path, y->path);
}

static bool is_bundle(const char *name)
{
        size_t n = strlen(name);

        return strncmp(name, "collect-", 8) == 0 && n > 7 && streq(name + n - 7, ".tar.gz");
}

static int add_kept(struct kept **list, size_t *n, int dfd, const char *dir, const char *name,
                    const char *spool_id)
{
        struct stat st;
        struct kept *k;

        if (*n >= RETENTION_FILES_MAX || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
                return 0;
        k = xrealloc(*list, (*n + 1) * sizeof(**list));
        if (!k)
                return -ENOMEM;
        *list = k;
        k[*n] = (struct kept) {
                .path = xasprintf("%s/%s", dir, name),
                .spool_id = spool_id ? xstrdup(spool_id) : NULL,
                .size = (uint64_t) st.st_size,
                .mtime = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC +
                         (usec_t) st.st_mtim.tv_nsec / 1000,
                .dev = st.st_dev,
                .ino = st.st_ino,
        };
        if (!k[*n].path || (spool_id && !k[*n].spool_id)) {
                free(k[*n].path);
                free(k[*n].spool_id);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

/* Appends the bundles of dir to *list. */
static int scan(const char *dir, struct kept **list, size_t *n)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while (r >= 0 && (de = readdir(d)))
                if (is_bundle(de->d_name))
                        r = add_kept(list, n, dirfd(d), dir, de->d_name, NULL);
        closedir(d);
        return r;
}

/* Appends the bundles of the spooled submissions (failed sends). */
static int scan_spool(const char *spool_dir, struct kept **list, size_t *n)
{
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        if (!spool_dir)
                return 0;
        r = spool_list(spool_dir, &ids);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* an unreadable spool is the spool verbs' news */
        STRV_FOREACH(id, ids) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", spool_dir, *id);
                _cleanup_close_ int dfd = -1;

                if (!dir)
                        return -ENOMEM;
                dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (dfd < 0)
                        continue;
                r = add_kept(list, n, dfd, dir, SPOOL_BUNDLE, *id);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool prune_spooled(const char *spool_dir, const struct kept *k, const char *why)
{
        _cleanup_(spool_entry_freep) struct spool_entry *e = NULL;
        int r;

        r = spool_entry_open(spool_dir, k->spool_id, &e);
        if (r == -EBUSY || r == -ENOENT)
                return false; /* being sent right now, or sent */
        if (r >= 0)
                r = spool_entry_prune_bundle(e, why);
        if (r < 0) {
                log_warning_errno(r,
                                  "retention: cannot remove the bundle of spooled submission "
                                  "%s: %m",
                                  k->spool_id);
                return false;
        }
        log_notice("retention: removed '%s' (%llu bytes, %s); spooled submission %s will not "
                   "be sent ('collect spool list')",
                   k->path, (unsigned long long) k->size, why, k->spool_id);
        return true;
}

/* True if the bundle was removed. */
static bool prune_one(const char *spool_dir, const struct kept *k, const char *why)
{
        if (k->spool_id)
                return prune_spooled(spool_dir, k, why);
        if (unlink(k->path) < 0) {
                log_warning_errno(errno, "retention: cannot remove '%s': %m", k->path);
                return false;
        }
        log_notice("retention: removed '%s' (%llu bytes, %s)", k->path,
                   (unsigned long long) k->size, why);
        return true;
}

/* A hard link of a bundle kept already (a spooled copy of a kept bundle)
 * takes no room of its own. Links share their mtime, so they sort together. */
static bool counted_already(const struct kept *list, const bool *kept, size_t i)
{
        for (size_t k = i; k > 0 && list[k - 1].mtime == list[i].mtime; k--)
                if (kept[k - 1] && list[k - 1].dev == list[i].dev && list[k - 1].ino == list[i].ino)
                        return true;
        return false;
}

static int decide(const char *spool_dir, const struct policy *p, struct kept *list, size_t n)
{
        _cleanup_free_ bool *kept = xcalloc(n + 1, sizeof(bool));
        usec_t t = now(CLOCK_REALTIME);
        uint64_t total = 0;
        int removed = 0;

        if (!kept)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                bool again = counted_already(list, kept, i);

                /* The newest stays, whatever the limits, and so do its links. */
                if (i > 0 && !again && list[i].mtime + p->retention_max_age < t)
                        removed += prune_one(spool_dir, &list[i], "older than retention.max_age");
                else if (i > 0 && !again && total + list[i].size > p->retention_max_size)
                        removed += prune_one(spool_dir, &list[i], "beyond retention.max_size");
                else {
                        kept[i] = true;
                        total += again ? 0 : list[i].size;
                }
        }
        return removed;
}

int retention_prune(const char *state_dir, const char *spool_dir, const struct policy *p)
{
        const char *subdirs[] = { RETENTION_BUNDLE_DIR, RETENTION_QUARANTINE_DIR };
        struct kept *list = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(subdirs) && r >= 0; i++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", state_dir, subdirs[i]);

                r = dir ? scan(dir, &list, &n) : -ENOMEM;
        }
        if (r >= 0)
                r = scan_spool(spool_dir, &list, &n);
        if (r >= 0 && n > 0) {
                qsort(list, n, sizeof(*list), kept_newest_first);
                r = decide(spool_dir, p, list, n);
        }
        for (size_t i = 0; i < n; i++) {
                free(list[i].path);
                free(list[i].spool_id);
        }
        free(list);
        return r;
}
