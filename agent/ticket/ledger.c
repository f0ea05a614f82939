/* SPDX-License-Identifier: MIT */
/*
 * Ticket ledger: a JSON object {id: {key, url, time}} in one file, replaced
 * atomically, with an flock'd companion file serialising writers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/fileio.h"
#include "fd-util.h"
#include "ticket/ledger.h"
#include "log.h"

static int ledger_lock(const char *state_dir, int op)
{
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = mkdir_p(state_dir, 0700);
        if (r < 0)
                return r;
        p = xasprintf("%s/ledger.lock", state_dir);
        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, op) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static json_t *ledger_read(const char *state_dir)
{
        _cleanup_free_ char *p = xasprintf("%s/ledger.json", state_dir);
        json_error_t err;
        _cleanup_(json_decrefp) json_t *j = NULL;

        if (!p)
                return NULL;
        if (access(p, F_OK) < 0)
                return json_object();
        j = json_load_file(p, 0, &err);
        if (!j || !json_is_object(j)) {
                log_warning("ledger '%s' is unreadable (%s), starting a new one", p, err.text);
                return json_object();
        }
        return TAKE_PTR(j);
}

int ledger_lookup(const char *state_dir, const char *id, char **ret_key, char **ret_url)
{
        _cleanup_close_ int lock = -1;
        _cleanup_(json_decrefp) json_t *j = NULL;
        json_t *e;
        const char *key, *url;
        int r = 0;

        if (!state_dir || !id)
                return -EINVAL;
        lock = ledger_lock(state_dir, LOCK_SH);
        if (lock < 0)
                return lock == -EACCES || lock == -EROFS ? 0 : lock;
        j = ledger_read(state_dir);
        if (!j)
                return -ENOMEM;
        e = json_object_get(j, id);
        key = json_string_value(json_object_get(e, "key"));
        url = json_string_value(json_object_get(e, "url"));
        if (key) {
                char *k = xstrdup(key), *u = url ? xstrdup(url) : NULL;

                if (!k || (url && !u)) {
                        free(k);
                        free(u);
                        r = -ENOMEM;
                } else {
                        if (ret_key)
                                *ret_key = k;
                        else
                                free(k);
                        if (ret_url)
                                *ret_url = u;
                        else
                                free(u);
                        r = 1;
                }
        }
        return r;
}

static void ledger_trim(json_t *j)
{
        while (json_object_size(j) > LEDGER_ENTRIES_MAX) {
                const char *k, *oldest = NULL;
                json_int_t t_old = 0;
                json_t *v;

                json_object_foreach(j, k, v) {
                        json_int_t t = json_integer_value(json_object_get(v, "time"));

                        if (!oldest || t < t_old) {
                                oldest = k;
                                t_old = t;
                        }
                }
                if (!oldest)
                        break;
                json_object_del(j, oldest);
        }
}

static int ledger_write(const char *state_dir, json_t *j)
{
        _cleanup_free_ char *p = xasprintf("%s/ledger.json", state_dir);
        _cleanup_free_ char *s = NULL;

        if (!p)
                return -ENOMEM;
        s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
        if (!s)
                return -ENOMEM;
        return write_file_atomic(p, s, strlen(s), 0600);
}

int ledger_record(const char *state_dir, const char *id, const char *key, const char *url)
{
        _cleanup_close_ int lock = -1;
        _cleanup_(json_decrefp) json_t *j = NULL;
        json_t *e;

        if (!state_dir || !id || !key)
                return -EINVAL;
        lock = ledger_lock(state_dir, LOCK_EX);
        if (lock < 0)
                return lock;
        j = ledger_read(state_dir);
        if (!j)
                return -ENOMEM;
        e = json_pack("{s:s, s:s?, s:I}", "key", key, "url", url, "time",
                      (json_int_t) now(CLOCK_REALTIME));
        if (!e || json_object_set_new(j, id, e) < 0)
                return -ENOMEM;
        ledger_trim(j);
        return ledger_write(state_dir, j);
}

int ledger_forget(const char *state_dir, const char *id)
{
        _cleanup_close_ int lock = -1;
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r = 0;

        if (!state_dir || !id)
                return -EINVAL;
        lock = ledger_lock(state_dir, LOCK_EX);
        if (lock < 0)
                return lock;
        j = ledger_read(state_dir);
        if (!j)
                return -ENOMEM;
        if (json_object_get(j, id)) {
                json_object_del(j, id);
                r = ledger_write(state_dir, j);
                if (r >= 0)
                        r = 1;
        }
        return r;
}
