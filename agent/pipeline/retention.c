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
#include "log.h"
#include "pipeline/retention.h"

#define RETENTION_FILES_MAX 10000

struct kept {
        char *path;
        uint64_t size;
        usec_t mtime;
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

/* Appends the bundles of dir to *list. */
static int scan(const char *dir, struct kept **list, size_t *n)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)) && *n < RETENTION_FILES_MAX) {
                struct stat st;
                struct kept *k;

                if (!is_bundle(de->d_name) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                k = xrealloc(*list, (*n + 1) * sizeof(**list));
                if (!k) {
                        r = -ENOMEM;
                        break;
                }
                *list = k;
                k[*n] = (struct kept) {
                        .path = xasprintf("%s/%s", dir, de->d_name),
                        .size = (uint64_t) st.st_size,
                        .mtime = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC +
                                 (usec_t) st.st_mtim.tv_nsec / 1000,
                };
                if (!k[*n].path) {
                        r = -ENOMEM;
                        break;
                }
                (*n)++;
        }
        closedir(d);
        return r;
}

static void prune_one(const struct kept *k, const char *why)
{
        if (unlink(k->path) < 0) {
                log_warning_errno(errno, "retention: cannot remove '%s': %m", k->path);
                return;
        }
        log_notice("retention: removed '%s' (%llu bytes, %s)", k->path,
                   (unsigned long long) k->size, why);
}

int retention_prune(const char *state_dir, const struct policy *p)
{
        const char *subdirs[] = { RETENTION_BUNDLE_DIR, RETENTION_QUARANTINE_DIR };
        struct kept *list = NULL;
        usec_t t = now(CLOCK_REALTIME);
        uint64_t total = 0;
        size_t n = 0;
        int r = 0, removed = 0;

        for (size_t i = 0; i < ELEMENTSOF(subdirs) && r >= 0; i++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", state_dir, subdirs[i]);

                r = dir ? scan(dir, &list, &n) : -ENOMEM;
        }
        if (r >= 0 && n > 0)
                qsort(list, n, sizeof(*list), kept_newest_first);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                /* The newest stays, whatever the limits. */
                if (i > 0 && list[i].mtime + p->retention_max_age < t) {
                        prune_one(&list[i], "older than retention.max_age");
                        removed++;
                } else if (i > 0 && total + list[i].size > p->retention_max_size) {
                        prune_one(&list[i], "beyond retention.max_size");
                        removed++;
                } else {
                        total += list[i].size;
                }
        }
        for (size_t i = 0; i < n; i++)
                free(list[i].path);
        free(list);
        return r < 0 ? r : removed;
}
