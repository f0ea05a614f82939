/* SPDX-License-Identifier: MIT */
/*
 * Remote requests (agent/monitor/remote.h): trigger comments, trusted authors
 * and the claim record, state_dir/remote.json, changed only under the lock
 * state_dir/remote.lock. The record keeps every claimed comment (key#id) for
 * REMOTE_KEEP, longer than a trigger is considered (REMOTE_TRIGGER_MAX_AGE), so
 * that the file stays small and no trigger is answered twice.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "monitor/remote.h"
#include "parse-util.h"
#include "strv.h"
#include "basic/fileio.h"

#define REMOTE_KEEP (30 * USEC_PER_DAY)
#define REMOTE_WORDS_MAX 16

void remote_trigger_done(struct remote_trigger *t)
{
        if (!t)
                return;
        free(t->refused);
        *t = (struct remote_trigger) {};
}

static int refuse(struct remote_trigger *t, const char *word)
{
        char *n;

        n = t->refused ? xasprintf("%s %s", t->refused, word) : xstrdup(word);
        if (!n)
                return -ENOMEM;
        free(t->refused);
        t->refused = n;
        return 0;
}

/* Splits the first line after "/collect" into at most REMOTE_WORDS_MAX words. */
static int first_line_words(const char *body, char ***ret)
{
        _cleanup_free_ char *line = NULL;
        const char *s = body, *e;

        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
                s++;
        if (strncmp(s, "/collect", strlen("/collect")) != 0)
                return 0;
        s += strlen("/collect");
        if (isalnum((unsigned char) *s) || *s == '_' || *s == '-')
                return 0; /* "/collector" and the like */
        e = s + strcspn(s, "\r\n");
        line = xstrndup(s, e - s);
        if (!line)
                return -ENOMEM;
        for (char *p = line; *p;) {
                size_t n;
                int r;

                p += strspn(p, " \t");
                n = strcspn(p, " \t");
                if (n == 0)
                        break;
                r = strv_consume(ret, xstrndup(p, n));
                if (r < 0)
                        return r;
                p += n;
        }
        return 1;
}

static int take_time(struct remote_trigger *t, char **w, size_t *i, usec_t comment_time,
                     usec_t *ret)
{
        const char *opt = w[*i], *val;
        const char *eq = strchr(opt, '=');

        if (eq)
                val = eq + 1;
        else if (w[*i + 1])
                val = w[++*i];
        else
                return refuse(t, opt);
        if (parse_time(val, comment_time, ret) < 0)
                return refuse(t, opt);
        return 0;
}

static bool is_opt(const char *w, const char *name)
{
        size_t n = strlen(name);

        return strncmp(w, name, n) == 0 && (w[n] == '\0' || w[n] == '=');
}

static int parse_words(struct remote_trigger *t, char **w, usec_t comment_time, bool *have_since,
                       bool *have_until)
{
        size_t n = strv_length(w);
        int r = 0;

        if (n > REMOTE_WORDS_MAX)
                return refuse(t, "(too many words)");
        for (size_t i = 0; r >= 0 && w && w[i]; i++) {
                if (is_opt(w[i], "--since")) {
                        r = take_time(t, w, &i, comment_time, &t->since);
                        *have_since = true;
                } else if (is_opt(w[i], "--until")) {
                        r = take_time(t, w, &i, comment_time, &t->until);
                        *have_until = true;
                } else if (streq(w[i], "--mask"))
                        t->mask = true;
                else
                        r = refuse(t, w[i]);
        }
        return r;
}

int remote_trigger_parse(const char *body, usec_t comment_time, usec_t max_window,
                         struct remote_trigger *ret)
{
        _cleanup_strv_free_ char **w = NULL;
        struct remote_trigger t = {};
        bool have_since = false, have_until = false;
        int r;

        r = first_line_words(body ?: "", &w);
        if (r <= 0)
                return r;
        r = parse_words(&t, w, comment_time, &have_since, &have_until);
        if (r < 0) {
                remote_trigger_done(&t);
                return r;
        }
        if (!have_until)
                t.until = comment_time;
        if (!have_since)
                t.since = t.until > REMOTE_DEFAULT_WINDOW ? t.until - REMOTE_DEFAULT_WINDOW : 0;
        if (!t.refused && t.since >= t.until)
                r = refuse(&t, "--since (not before --until)");
        if (r >= 0 && !t.refused && max_window > 0 && t.until - t.since > max_window) {
                t.since = t.until - max_window;
                t.clamped = true;
        }
        if (r < 0) {
                remote_trigger_done(&t);
                return r;
        }
        *ret = t;
        return 1;
}

bool remote_author_allowed(char *const *allow, const char *account_id, const char *email)
{
        for (size_t i = 0; allow && allow[i]; i++) {
                const char *a = allow[i];

                if (strchr(a, '@')) {
                        if (!isempty(email) && fnmatch(a, email, FNM_CASEFOLD) == 0)
                                return true;
                } else if (!isempty(account_id) && streq(a, account_id))
                        return true;
        }
        return false;
}

/* --- the claim record -------------------------------------------------- */

struct remote_state {
        int lock_fd;
        char *path;
        json_t *root;
};

static void remote_state_done(struct remote_state *s)
{
        if (s->lock_fd >= 0) {
                (void) flock(s->lock_fd, LOCK_UN);
                safe_close(s->lock_fd);
        }
        free(s->path);
        json_decref(s->root);
        *s = (struct remote_state) { .lock_fd = -EBADF };
}

static int remote_state_open(const char *state_dir, struct remote_state *s)
{
        _cleanup_free_ char *lock = NULL;
        json_error_t err;

        *s = (struct remote_state) { .lock_fd = -EBADF };
        lock = xasprintf("%s/remote.lock", state_dir);
        s->path = xasprintf("%s/remote.json", state_dir);
        if (!lock || !s->path)
                return -ENOMEM;
        s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0)
                return -errno;
        if (flock(s->lock_fd, LOCK_EX) < 0)
                return -errno;
        s->root = json_load_file(s->path, 0, &err);
        if (!s->root || !json_is_object(s->root)) {
                json_decref(s->root);
                s->root = json_pack("{s:{},s:[]}", "claimed", "sent");
                if (!s->root)
                        return -ENOMEM;
        }
        return 0;
}

static int remote_state_save(struct remote_state *s)
{
        _cleanup_free_ char *text = json_dumps(s->root, JSON_COMPACT | JSON_SORT_KEYS);

        if (!text)
                return -ENOMEM;
        return write_file_atomic(s->path, text, strlen(text), 0600);
}

/* Drops claims older than REMOTE_KEEP and sends older than a day; returns the
 * number of sends in the last 24 hours. */
static uint64_t remote_state_prune(struct remote_state *s, usec_t now_usec)
{
        json_t *claimed = json_object_get(s->root, "claimed");
        json_t *sent = json_object_get(s->root, "sent");
        json_t *fresh = json_array();
        const char *k;
        json_t *v;
        void *tmp;
        size_t i;

        if (!json_is_object(claimed)) {
                claimed = json_object();
                json_object_set_new(s->root, "claimed", claimed);
        }
        json_object_foreach_safe(claimed, tmp, k, v) {
                usec_t t = (usec_t) json_integer_value(json_object_get(v, "t"));
                if (t + REMOTE_KEEP < now_usec)
                        json_object_del(claimed, k);
        }
        json_array_foreach(sent, i, v) {
                usec_t t = (usec_t) json_integer_value(v);
                if (t + USEC_PER_DAY > now_usec && t <= now_usec)
                        json_array_append(fresh, v);
        }
        json_object_set_new(s->root, "sent", fresh);
        return json_array_size(fresh);
}

int remote_claim(const char *state_dir, const char *key, const char *comment_id, usec_t now_usec,
                 uint64_t max_per_day, bool counts, enum remote_claim *ret)
{
        _cleanup_(remote_state_done) struct remote_state s = { .lock_fd = -EBADF };
        _cleanup_free_ char *id = xasprintf("%s#%s", key, comment_id);
        json_t *claimed;
        uint64_t used;
        int r;

        if (!id)
                return -ENOMEM;
        r = remote_state_open(state_dir, &s);
        if (r < 0)
                return r;
        used = remote_state_prune(&s, now_usec);
        claimed = json_object_get(s.root, "claimed");
        if (json_object_get(claimed, id)) {
                *ret = REMOTE_CLAIM_DONE;
                return 0;
        }
        *ret = REMOTE_CLAIM_GO;
        if (counts && used >= max_per_day)
                *ret = REMOTE_CLAIM_OVER_CAP;
        else if (counts)
                json_array_append_new(json_object_get(s.root, "sent"),
                                      json_integer((json_int_t) now_usec));
        json_object_set_new(claimed, id,
                            json_pack("{s:I,s:s}", "t", (json_int_t) now_usec, "outcome",
                                      *ret == REMOTE_CLAIM_OVER_CAP ? "refused: daily cap" :
                                                                      "claimed"));
        return remote_state_save(&s);
}

int remote_record(const char *state_dir, const char *key, const char *comment_id,
                  const char *outcome)
{
        _cleanup_(remote_state_done) struct remote_state s = { .lock_fd = -EBADF };
        _cleanup_free_ char *id = xasprintf("%s#%s", key, comment_id);
        json_t *e;
        int r;

        if (!id)
                return -ENOMEM;
        r = remote_state_open(state_dir, &s);
        if (r < 0)
                return r;
        e = json_object_get(json_object_get(s.root, "claimed"), id);
        if (!e)
                return -ENOENT;
        json_object_set_new(e, "outcome", json_string(outcome));
        return remote_state_save(&s);
}
