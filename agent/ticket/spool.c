/* SPDX-License-Identifier: MIT */
/*
 * Spool of unsent submissions (see spool.h), in the manner of
 * systemd-coredump's vacuum: oldest first, bounded, logged.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/fileio.h"
#include "fd-util.h"
#include "log.h"
#include "ticket/spool.h"
#include "strv.h"

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static int write_json_atomic(const char *dir, const char *name, json_t *j)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        _cleanup_free_ char *s = NULL;

        if (!p)
                return -ENOMEM;
        s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
        if (!s)
                return -ENOMEM;
        return write_file_atomic(p, s, strlen(s), 0600);
}

static int copy_file(const char *from, const char *to)
{
        _cleanup_close_ int in = -1, out = -1;
        struct stat st;

        if (link(from, to) >= 0)
                return 0;
        in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return -errno;
        if (fstat(in, &st) < 0)
                return -errno;
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out < 0)
                return -errno;
        for (off_t left = st.st_size; left > 0;) {
                ssize_t n = sendfile(out, in, NULL, (size_t) MIN(left, (off_t) (1 << 30)));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                left -= n;
        }
        if (fsync(out) < 0)
                return -errno;
        return 0;
}

static int rm_flat_dir(const char *path)
{
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                        return -errno;
        }
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int lock_entry(const char *dir)
{
        _cleanup_free_ char *p = xasprintf("%s/lock", dir);
        _cleanup_close_ int fd = -1;

        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        return TAKE_FD(fd);
}

struct spool_entry *spool_entry_free(struct spool_entry *e)
{
        if (!e)
                return NULL;
        free(e->id);
        free(e->dir);
        free(e->bundle);
        json_decref(e->request);
        json_decref(e->state);
        safe_close(e->lock_fd);
        free(e);
        return NULL;
}

static struct spool_entry *entry_new(const char *spool_dir, const char *id)
{
        struct spool_entry *e = xcalloc(1, sizeof(*e));

        if (!e)
                return NULL;
        e->lock_fd = -1;
        e->id = xstrdup(id);
        e->dir = xasprintf("%s/%s", spool_dir, id);
        if (!e->id || !e->dir)
                return spool_entry_free(e);
        return e;
}

static bool id_valid(const char *id)
{
        if (isempty(id) || strlen(id) > 64 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *p))
                        return false;
        return true;
}

int spool_entry_create(const char *spool_dir, const char *id, const char *bundle_path,
                       json_t *request, json_t *state, struct spool_entry **ret)
{
        _cleanup_(spool_entry_freep) struct spool_entry *e = NULL;
        _cleanup_free_ char *tmp = NULL, *b = NULL;
        int r;

        if (!id_valid(id))
                return -EINVAL;
        r = mkdir_p(spool_dir, 0700);
        if (r < 0)
                return r;
        e = entry_new(spool_dir, id);
        if (!e)
                return -ENOMEM;
        if (access(e->dir, F_OK) >= 0)
                return -EEXIST;
        tmp = xasprintf("%s/.tmp-%s", spool_dir, id);
        if (!tmp)
                return -ENOMEM;
        (void) rm_flat_dir(tmp);
        if (mkdir(tmp, 0700) < 0)
                return -errno;
        e->lock_fd = lock_entry(tmp);
        if (e->lock_fd < 0) {
                r = e->lock_fd;
                goto fail;
        }
        if (bundle_path) {
                b = xasprintf("%s/bundle.tar.gz", tmp);
                if (!b) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = copy_file(bundle_path, b);
                if (r < 0)
                        goto fail;
                e->bundle = xasprintf("%s/bundle.tar.gz", e->dir);
                if (!e->bundle) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        e->request = json_deep_copy(request);
        e->state = state ? json_deep_copy(state) : json_object();
        if (!e->request || !e->state) {
                r = -ENOMEM;
                goto fail;
        }
        if (!json_object_get(e->state, "created"))
                json_object_set_new(e->state, "created",
                                    json_integer((json_int_t) now(CLOCK_REALTIME)));
        r = write_json_atomic(tmp, "request.json", e->request);
        if (r >= 0)
                r = write_json_atomic(tmp, "state", e->state);
        if (r < 0)
                goto fail;
        if (rename(tmp, e->dir) < 0) {
                r = -errno;
                goto fail;
        }
        {
                _cleanup_close_ int dfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                if (dfd >= 0)
                        (void) fsync(dfd);
        }
        *ret = TAKE_PTR(e);
        return 0;
fail:
        (void) rm_flat_dir(tmp);
        return r;
}

static json_t *load_json(const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        json_error_t err;

        if (!p)
                return NULL;
        return json_load_file(p, 0, &err);
}

int spool_entry_open(const char *spool_dir, const char *id, struct spool_entry **ret)
{
        _cleanup_(spool_entry_freep) struct spool_entry *e = NULL;
        _cleanup_free_ char *b = NULL;
        struct stat st;

        if (!id_valid(id))
                return -ENOENT;
        e = entry_new(spool_dir, id);
        if (!e)
                return -ENOMEM;
        if (stat(e->dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOENT;
        e->lock_fd = lock_entry(e->dir);
        if (e->lock_fd < 0)
                return e->lock_fd;
        /* it may have been completed and removed while we waited */
        if (stat(e->dir, &st) < 0)
                return -ENOENT;
        e->request = load_json(e->dir, "request.json");
        e->state = load_json(e->dir, "state");
        if (!e->request && !e->state && access(e->dir, F_OK) < 0)
                return -ENOENT;
        if (!e->request || !e->state)
                return -EBADMSG;
        b = xasprintf("%s/bundle.tar.gz", e->dir);
        if (!b)
                return -ENOMEM;
        if (access(b, F_OK) >= 0)
                e->bundle = TAKE_PTR(b);
        *ret = TAKE_PTR(e);
        return 0;
}

int spool_entry_save(struct spool_entry *e)
{
        return write_json_atomic(e->dir, "state", e->state);
}

int spool_entry_remove(struct spool_entry *e)
{
        int r;

        if (!e)
                return 0;
        r = rm_flat_dir(e->dir);
        spool_entry_free(e);
        return r;
}

static int unlink_bundle(struct spool_entry *e)
{
        if (unlink(e->bundle) < 0 && errno != ENOENT)
                return -errno;
        e->bundle = mfree(e->bundle);
        return 0;
}

int spool_entry_prune_bundle(struct spool_entry *e, const char *why)
{
        int r, q;

        if (!e->bundle)
                return 0;
        r = json_object_set_new(e->state, "bundle_pruned",
                                json_pack("{s:I, s:s}", "at", (json_int_t) now(CLOCK_REALTIME),
                                          "why", why));
        if (r < 0)
                return -ENOMEM;
        r = spool_entry_save(e);
        if (r == -ENOSPC || r == -EDQUOT) {
                /*
                 * A full file system is the one case where retention must free room, and the
                 * new state needs some: the bundle goes first. Should the state still not be
                 * written, the submission reads "its bundle is missing", never sendable.
                 */
                r = unlink_bundle(e);
                if (r < 0) {
                        (void) json_object_del(e->state, "bundle_pruned");
                        return r;
                }
                q = spool_entry_save(e);
                if (q < 0)
                        log_debug_errno(q, "spool %s: state not updated after pruning: %m", e->id);
                return 0;
        }
        if (r < 0)
                return r;
        r = unlink_bundle(e);
        if (r < 0) {
                /* The bundle is intact: the submission must stay sendable. */
                (void) json_object_del(e->state, "bundle_pruned");
                q = spool_entry_save(e);
                if (q < 0)
                        log_debug_errno(q, "spool %s: cannot take back the pruned mark: %m", e->id);
                return r;
        }
        return 0;
}

char *spool_entry_unsendable(json_t *state, bool has_bundle)
{
        json_t *pruned = json_object_get(state, "bundle_pruned");
        char when[64];

        if (json_is_true(json_object_get(state, "attached")))
                return NULL; /* the bundle was sent already */
        if (json_is_object(pruned)) {
                usec_t at = (usec_t) json_integer_value(json_object_get(pruned, "at"));

                return xasprintf("its bundle was pruned on %s (%s)",
                                 format_iso8601(when, sizeof(when), at) ?: "?",
                                 json_string_value(json_object_get(pruned, "why")) ?: "retention");
        }
        return has_bundle ? NULL : xstrdup("its bundle is missing");
}

static usec_t entry_created(const char *spool_dir, const char *id)
{
        _cleanup_free_ char *d = xasprintf("%s/%s", spool_dir, id);
        json_t *s;
        usec_t t = 0;

        if (!d)
                return 0;
        s = load_json(d, "state");
        if (s)
                t = (usec_t) json_integer_value(json_object_get(s, "created"));
        json_decref(s);
        if (t == 0) {
                struct stat st;

                if (stat(d, &st) >= 0)
                        t = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC;
        }
        return t;
}

struct sort_item {
        char *id;
        usec_t created;
};

int spool_entry_peek(const char *spool_dir, const char *id, json_t **ret_request,
                     json_t **ret_state, usec_t *ret_created)
{
        _cleanup_free_ char *d = NULL;

        if (!id_valid(id))
                return -ENOENT;
        d = xasprintf("%s/%s", spool_dir, id);
        if (!d)
                return -ENOMEM;
        *ret_request = load_json(d, "request.json");
        *ret_state = load_json(d, "state");
        *ret_created = entry_created(spool_dir, id);
        return 0;
}

static int sort_cmp(const void *a, const void *b)
{
        const struct sort_item *x = a, *y = b;

        if (x->created != y->created)
                return x->created < y->created ? -1 : 1;
        return strcmp(x->id, y->id);
}

int spool_list(const char *spool_dir, char ***ret)
{
        _cleanup_(closedirp) DIR *d = opendir(spool_dir);
        _cleanup_free_ struct sort_item *items = NULL;
        char **l = NULL;
        size_t n = 0;
        struct dirent *de;
        int r = 0;

        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                l = xcalloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                *ret = l;
                return 0;
        }
        while ((de = readdir(d))) {
                struct sort_item *a;

                if (!id_valid(de->d_name))
                        continue;
                a = xrealloc(items, sizeof(*items) * (n + 1));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                items = a;
                items[n].id = xstrdup(de->d_name);
                if (!items[n].id) {
                        r = -ENOMEM;
                        break;
                }
                items[n].created = entry_created(spool_dir, de->d_name);
                n++;
        }
        if (r >= 0) {
                if (n > 0)
                        qsort(items, n, sizeof(*items), sort_cmp);
                l = xcalloc(n + 1, sizeof(char *));
                if (!l)
                        r = -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (l)
                        l[i] = items[i].id;
                else
                        free(items[i].id);
        }
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

uint64_t spool_entry_size(const char *spool_dir, const char *id)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", spool_dir, id);
        _cleanup_(closedirp) DIR *d = p ? opendir(p) : NULL;
        struct dirent *de;
        uint64_t sum = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                struct stat st;

                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 &&
                    S_ISREG(st.st_mode))
                        sum += (uint64_t) st.st_blocks * 512;
        }
        return sum;
}

static int drop_if_unlocked(const char *spool_dir, const char *id, const char *why)
{
        _cleanup_(spool_entry_freep) struct spool_entry *e = NULL;
        int r;

        r = spool_entry_open(spool_dir, id, &e);
        if (r == -EBUSY || r == -ENOENT)
                return 0;
        if (r < 0 && r != -EBADMSG)
                return r;
        if (r == -EBADMSG) {
                _cleanup_free_ char *d = xasprintf("%s/%s", spool_dir, id);

                log_warning("spool: dropping unreadable submission %s", id);
                return d ? rm_flat_dir(d) : -ENOMEM;
        }
        log_warning("spool: dropping submission %s (%s); its bundle is lost", id, why);
        r = spool_entry_remove(TAKE_PTR(e));
        return r < 0 ? r : 1;
}

#define STALE_TMP_AGE (10 * USEC_PER_MINUTE)

static void remove_stale_tmp(const char *spool_dir)
{
        _cleanup_(closedirp) DIR *d = opendir(spool_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                _cleanup_close_ int fd = -1;

                struct stat st;

                if (!strneq(de->d_name, ".tmp-", 5))
                        continue;
                /* one being created has not taken its lock yet between mkdir() and
                 * lock_entry(): only an old one is stale */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (usec_t) st.st_mtime * USEC_PER_SEC + STALE_TMP_AGE > now(CLOCK_REALTIME))
                        continue;
                p = xasprintf("%s/%s", spool_dir, de->d_name);
                if (!p)
                        return;
                fd = lock_entry(p);
                if (fd < 0)
                        continue; /* being created right now */
                (void) rm_flat_dir(p);
        }
}

int spool_vacuum(const char *spool_dir, uint64_t max_bytes, usec_t max_age, const char *keep_id)
{
        _cleanup_strv_free_ char **ids = NULL;
        usec_t t_now = now(CLOCK_REALTIME);
        uint64_t total = 0;
        int r, dropped = 0;

        remove_stale_tmp(spool_dir);
        r = spool_list(spool_dir, &ids);
        if (r < 0)
                return r;
        STRV_FOREACH(id, ids) {
                usec_t c;

                if (keep_id && streq(*id, keep_id))
                        continue;
                c = entry_created(spool_dir, *id);
                if (max_age > 0 && c > 0 && c + max_age < t_now) {
                        r = drop_if_unlocked(spool_dir, *id, "older than the spool's max_age");
                        if (r > 0)
                                dropped++;
                }
        }
        if (max_bytes == 0)
                return dropped;
        STRV_FOREACH(id, ids)
                total += spool_entry_size(spool_dir, *id);
        STRV_FOREACH(id, ids) {
                uint64_t sz;

                if (total <= max_bytes)
                        break;
                if (keep_id && streq(*id, keep_id))
                        continue;
                sz = spool_entry_size(spool_dir, *id);
                if (sz == 0)
                        continue;
                r = drop_if_unlocked(spool_dir, *id, "the spool is over its max_size");
                if (r > 0) {
                        dropped++;
                        total -= MIN(sz, total);
                }
        }
        return dropped;
}
