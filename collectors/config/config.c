/* SPDX-License-Identifier: MIT */
/*
 * The config collector: configuration changes in the window (unified diffs
 * against a snapshot baseline, a JSON list of changes), package changes from
 * the package managers' logs, and a new snapshot on every run. With
 * ctx_snapshot_only() (`collect snapshot`) it only records a snapshot.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "config-diff.h"
#include "config-files.h"
#include "config-packages.h"
#include "config-snapshot.h"
#include "dynbuf.h"
#include "finding.h"
#include "logtime.h"
#include "macro.h"
#include "sink.h"
#include "strv.h"
#include "time-util.h"

#define MAX_OBSERVE_LOADS 64
#define DETAIL_ITEMS 20 /* paths named in the finding (correlation reads them) */
#define DIFF_MEMBER "config/changes.diff"
#define CHANGES_MEMBER "config/changes.json"
#define PACKAGES_MEMBER "config/packages.json"

struct config_state {
        char **paths;
        char **exclude;
        char **files;
        uint64_t files_max;
        uint64_t max_file_size;
        uint64_t max_files;
        uint64_t diff_max_lines;
        uint64_t max_snapshots;
        uint64_t max_store_size;
        bool packages;
};

enum change_kind {
        CHANGE_ADDED,
        CHANGE_REMOVED,
        CHANGE_MODIFIED,
        CHANGE_MODE,
        CHANGE_OWNER,
        _CHANGE_KIND_MAX,
};

static const char *const change_kind_table[_CHANGE_KIND_MAX] = {
        [CHANGE_ADDED] = "added",         [CHANGE_REMOVED] = "removed",
        [CHANGE_MODIFIED] = "modified",   [CHANGE_MODE] = "mode_changed",
        [CHANGE_OWNER] = "owner_changed",
};

struct change {
        const struct config_snapshot_entry *old, *new; /* either may be NULL */
        const char *path;
        unsigned kinds;        /* 1 << enum change_kind */
        enum change_kind kind; /* the main one */
        usec_t observed, not_before;
        const char *diff; /* how the content change is shown in changes.diff */
};

struct run {
        const struct config_snapshot_index *cur; /* the current files */
        struct config_state *cfg;
        struct collect_ctx *ctx;
        struct sink *sink;
        struct config_snapshot_store *store;
        int store_error; /* why the store could not be opened */
        struct config_snapshot_scan scan;
        struct config_snapshot_info *infos;
        size_t n_infos;
        usec_t now;
        char **changed; /* files changed in the window, for config/files */
};

/* False when the clock is overridden (tests) far from the real one: inode
 * times then say nothing about the window. */
static bool real_clock(usec_t t)
{
        struct timespec ts;
        usec_t real;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return false;
        real = (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
        return (real > t ? real - t : t - real) < 5 * USEC_PER_MINUTE;
}

static void run_done(struct run *r)
{
        config_snapshot_info_free_many(r->infos, r->n_infos);
        r->infos = NULL;
        r->n_infos = 0;
        r->store = config_snapshot_store_free(r->store);
        r->changed = strv_free(r->changed);
}

static char *iso(char buf[static 40], usec_t t)
{
        if (t == 0)
                return NULL;
        return format_iso8601(buf, 40, t);
}

/* A JSON string; bytes that are not valid UTF-8 become '?'. */
static json_t *json_str(const char *s)
{
        json_t *j;
        char *copy;

        if (!s)
                return json_null();
        j = json_string(s);
        if (j)
                return j;
        copy = xstrdup(s);
        if (!copy)
                return json_null();
        for (char *p = copy; *p; p++)
                if ((unsigned char) *p >= 0x80 || (unsigned char) *p < 0x20)
                        *p = '?';
        j = json_string(copy);
        free(copy);
        return j ?: json_null();
}

static json_t *json_time(usec_t t)
{
        char buf[40];

        return t ? json_string(format_iso8601(buf, sizeof(buf), t)) : json_null();
}

static bool same_state(const struct config_snapshot_entry *a, const struct config_snapshot_entry *b)
{
        if (!a || !b)
                return a == b;
        return a->type == b->type && streq(a->sha256, b->sha256) && a->mode == b->mode &&
               a->uid == b->uid && a->gid == b->gid;
}

static int open_store(struct run *r)
{
        const char *dir = ctx_state_dir(r->ctx);
        int k;

        if (isempty(dir)) {
                sink_note(r->sink, "no state directory: configuration snapshots disabled");
                return 0;
        }
        k = config_snapshot_store_open(dir, &r->store);
        if (k < 0) {
                r->store_error = k;
                if (!ctx_snapshot_only(r->ctx)) /* else `collect snapshot` says it */
                        clog_warning_errno(r->ctx, k, "cannot open snapshot store in '%s': %m",
                                           dir);
                sink_note(r->sink, "cannot open snapshot store in %s: %s", dir, strerror(-k));
                return 0;
        }
        k = config_snapshot_list(r->store, &r->infos, &r->n_infos);
        if (k < 0) {
                clog_warning_errno(r->ctx, k, "cannot list snapshots: %m");
                r->infos = NULL;
                r->n_infos = 0;
        }
        return 0;
}

/* Scans the tracked files (adding new contents to the store), stat data
 * reused from the newest snapshot. */
static int scan_current(struct run *r, struct config_snapshot_index **ret,
                        struct config_snapshot_stats *stats)
{
        struct config_snapshot_index *prev = NULL;
        int k;

        if (r->store && r->n_infos > 0) {
                k = config_snapshot_load(r->store, r->infos[r->n_infos - 1].name, &prev);
                if (k < 0)
                        clog_debug_errno(r->ctx, k, "cannot load the newest snapshot: %m");
        }
        k = config_snapshot_scan(&r->scan, prev, r->store, r->now, ret, stats);
        config_snapshot_index_free(prev);
        return k;
}

/* Nothing left out silently: what the scan could not read is a note. */
static void note_scan(struct run *r, const struct config_snapshot_stats *stats)
{
        size_t listed = strv_length(stats->unreadable_paths);

        STRV_FOREACH(p, stats->unreadable_paths)
                sink_note(r->sink, "tracked configuration not read: %s", *p);
        if (stats->unreadable > listed)
                sink_note(r->sink, "%zu more tracked files or directories not read",
                          stats->unreadable - listed);
        if (stats->unreadable > 0)
                sink_mark_partial(r->sink);
}

static int commit_snapshot(struct run *r, struct config_snapshot_index *cur,
                           struct config_snapshot_stats *stats)
{
        int k;

        note_scan(r, stats);
        if (!r->store)
                return 0;
        if (stats->truncated) {
                sink_note(r->sink,
                          "snapshot cut at %" PRIu64 " files (max_files); %zu files not reached "
                          "are kept as the previous snapshot had them",
                          r->cfg->max_files, stats->unreached);
                sink_mark_partial(r->sink);
        }
        k = config_snapshot_commit(r->store, cur);
        if (k < 0) {
                /* Rolled back when the store is closed: it takes no more room than before. */
                if (!ctx_snapshot_only(r->ctx)) /* else `collect snapshot` says it */
                        clog_warning_errno(r->ctx, k, "snapshot not recorded in '%s': %m",
                                           config_snapshot_store_path(r->store));
                sink_note(r->sink, "snapshot not recorded: %s (what it had written was removed)",
                          strerror(-k));
                sink_mark_partial(r->sink);
                return k;
        }
        k = config_snapshot_prune(r->store, r->cfg->max_snapshots, r->cfg->max_store_size, stats);
        if (k < 0)
                clog_warning_errno(r->ctx, k, "cannot prune snapshots: %m");
        if (r->cfg->max_store_size > 0 && stats->store_bytes > r->cfg->max_store_size)
                sink_note(r->sink,
                          "snapshot store holds %" PRIu64 " bytes, over max_store_size "
                          "(only the newest snapshot is left)",
                          stats->store_bytes);
        return 0;
}

static int snapshot_only(struct run *r)
{
        struct config_snapshot_index *cur = NULL;
        struct config_snapshot_stats stats = {};
        int k;

        if (!r->store)
                return r->store_error < 0 ? r->store_error : -ENOENT;
        k = scan_current(r, &cur, &stats);
        if (k < 0) {
                /* `collect snapshot` reports the error once, from the status row */
                config_snapshot_stats_done(&stats);
                return k;
        }
        k = commit_snapshot(r, cur, &stats);
        if (k >= 0)
                sink_note(r->sink,
                          "snapshot %s: %zu files (%zu read, %zu unchanged by stat data), %zu new "
                          "objects (%" PRIu64 " bytes), %zu snapshots dropped, store %" PRIu64
                          " bytes",
                          cur->name, stats.files, stats.read, stats.reused, stats.objects_written,
                          stats.bytes_written, stats.dropped, stats.store_bytes);
        config_snapshot_index_free(cur);
        config_snapshot_stats_done(&stats);
        return k;
}

/* Compares two sorted indexes. */
static int compute_changes(struct run *r, const struct config_snapshot_index *a,
                           const struct config_snapshot_index *b, struct change **ret,
                           size_t *ret_n)
{
        struct change *l = NULL;
        size_t n = 0, alloc = 0, i = 0, j = 0;

        while (i < a->n_entries || j < b->n_entries) {
                const struct config_snapshot_entry *x = i < a->n_entries ? &a->entries[i] : NULL;
                const struct config_snapshot_entry *y = j < b->n_entries ? &b->entries[j] : NULL;
                int c = !x ? 1 : !y ? -1 : strcmp(x->path, y->path);
                struct change ch = {};

                if (c < 0) {
                        ch = (struct change) { .old = x, .path = x->path, .kind = CHANGE_ADDED };
                        ch.kind = CHANGE_REMOVED;
                        ch.kinds = 1u << CHANGE_REMOVED;
                        i++;
                } else if (c > 0) {
                        ch = (struct change) { .new = y, .path = y->path, .kind = CHANGE_ADDED };
                        ch.kinds = 1u << CHANGE_ADDED;
                        j++;
                } else {
                        ch = (struct change) { .old = x, .new = y, .path = y->path };
                        if (x->type != y->type || !streq(x->sha256, y->sha256))
                                ch.kinds |= 1u << CHANGE_MODIFIED;
                        if ((x->mode & 07777) != (y->mode & 07777))
                                ch.kinds |= 1u << CHANGE_MODE;
                        if (x->uid != y->uid || x->gid != y->gid)
                                ch.kinds |= 1u << CHANGE_OWNER;
                        i++;
                        j++;
                        if (ch.kinds == 0)
                                continue;
                        ch.kind = ch.kinds & (1u << CHANGE_MODIFIED) ? CHANGE_MODIFIED :
                                  ch.kinds & (1u << CHANGE_MODE)     ? CHANGE_MODE :
                                                                       CHANGE_OWNER;
                }
                if (config_snapshot_path_skipped(&r->scan, ch.path))
                        continue;
                if (n == alloc) {
                        size_t na = alloc ? alloc * 2 : 32;
                        struct change *nl = xrealloc(l, na * sizeof(*nl));

                        if (!nl) {
                                free(l);
                                return -ENOMEM;
                        }
                        l = nl;
                        alloc = na;
                }
                l[n++] = ch;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

/* When was each change first seen? Walks the snapshots between baseline and
 * end: the first one that differs from the baseline is "observed", the last
 * one that still matches is "not_before". */
static void observe(struct run *r, struct change *changes, size_t n, size_t base_i, size_t end_i,
                    usec_t base_time, usec_t end_time)
{
        size_t loads = 0;

        for (size_t c = 0; c < n; c++) {
                changes[c].not_before = base_time;
                changes[c].observed = 0;
        }
        _cleanup_free_ char *last_ref = NULL;
        for (size_t k = base_i + 1; k < end_i && k < r->n_infos && loads < MAX_OBSERVE_LOADS; k++) {
                struct config_snapshot_index *idx = NULL;
                char *ref = NULL;
                bool pending = false;

                for (size_t c = 0; c < n; c++)
                        if (changes[c].observed == 0)
                                pending = true;
                if (!pending)
                        break;
                if (config_snapshot_ref(r->store, r->infos[k].name, &ref) < 0)
                        continue;
                if (last_ref && streq(ref, last_ref)) {
                        /* the same entries as the last one loaded: still unchanged */
                        free(ref);
                        for (size_t c = 0; c < n; c++)
                                if (changes[c].observed == 0)
                                        changes[c].not_before = r->infos[k].time;
                        continue;
                }
                free(last_ref);
                last_ref = ref;
                if (config_snapshot_load(r->store, r->infos[k].name, &idx) < 0)
                        continue;
                loads++;
                for (size_t c = 0; c < n; c++) {
                        if (changes[c].observed != 0)
                                continue;
                        const struct config_snapshot_entry *e =
                                config_snapshot_find(idx, changes[c].path);
                        if (same_state(e, changes[c].old))
                                changes[c].not_before = idx->time;
                        else
                                changes[c].observed = idx->time;
                }
                config_snapshot_index_free(idx);
        }
        for (size_t c = 0; c < n; c++)
                if (changes[c].observed == 0)
                        changes[c].observed = end_time;
}

#define DIFF_KEYS_MAX 32
#define DIFF_LINE_MAX 512

/* The diff stream, and what its lines say about secrets: a setting removed
 * and added again with another value, whose name says it is a secret, is
 * reported as "value changed" (the values themselves are redacted). */
struct diff_out {
        struct sink_stream *st;
        bool full;
        char line[DIFF_LINE_MAX];
        size_t line_len;
        uint64_t removed[DIFF_KEYS_MAX]; /* hash of key, of value: key << 1 */
        uint64_t removed_value[DIFF_KEYS_MAX];
        size_t n_removed;
        char changed[256]; /* names of secrets whose value changed */
};

/* True if word (lower case) occurs in s[0..n) ignoring case. */
static bool strcasestr_n(const char *s, size_t n, const char *word)
{
        char low[65];

        n = MIN(n, sizeof(low) - 1);
        for (size_t i = 0; i < n; i++)
                low[i] = (char) tolower((unsigned char) s[i]);
        low[n] = 0;
        return strstr(low, word) != NULL;
}

static uint64_t hash_str(const char *p, size_t n)
{
        uint64_t h = 14695981039346656037ULL;

        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) p[i]) * 1099511628211ULL;
        return h;
}

/* The setting a diff line is about ("password" of "+  password: x"), if its
 * name says it holds a secret; a stripped private key is "private key". */
static size_t secret_key(const char *l, size_t n, const char **ret)
{
        static const char *const words[] = { "pass",       "secret", "token",   "key",
                                             "credential", "auth",   "private", "pwd" };
        size_t k;

        while (n > 0 && (*l == ' ' || *l == '\t' || *l == '"' || *l == '\''))
                l++, n--;
        if (n > 22 && strncmp(l, "[REDACTED:private-key ", 22) == 0) {
                *ret = "private key";
                return 11;
        }
        k = strcspn(l, ":= \t\"'");
        if (k == 0 || k > 64 || k >= n)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasestr_n(l, k, words[i])) {
                        *ret = l;
                        return k;
                }
        return 0;
}

static void diff_line(struct diff_out *o, const char *l, size_t n)
{
        const char *key = NULL;
        size_t k;

        if (n < 2 || (l[0] != '-' && l[0] != '+') || (n >= 3 && l[1] == l[0] && l[2] == l[0]))
                return;
        k = secret_key(l + 1, n - 1, &key);
        if (k == 0)
                return;
        uint64_t hk = hash_str(key, k), hv = hash_str(l + 1, n - 1);
        if (l[0] == '-') {
                if (o->n_removed < DIFF_KEYS_MAX) {
                        o->removed[o->n_removed] = hk;
                        o->removed_value[o->n_removed++] = hv;
                }
                return;
        }
        for (size_t i = 0; i < o->n_removed; i++)
                if (o->removed[i] == hk && o->removed_value[i] != hv) {
                        size_t used = strlen(o->changed);

                        if (used + k + 3 < sizeof(o->changed))
                                (void) snprintf(o->changed + used, sizeof(o->changed) - used,
                                                "%s%.*s", used ? ", " : "", (int) k, key);
                        o->removed[i] = 0;
                        break;
                }
}

static void diff_scan(struct diff_out *o, const char *data, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                if (data[i] == '\n') {
                        diff_line(o, o->line, o->line_len);
                        o->line_len = 0;
                } else if (o->line_len < DIFF_LINE_MAX)
                        o->line[o->line_len++] = data[i];
        }
}

static int diff_write(void *userdata, const char *data, size_t len)
{
        struct diff_out *o = userdata;
        int k;

        if (o->full)
                return -ENOSPC;
        diff_scan(o, data, len);
        k = sink_stream_write(o->st, data, len);
        if (k == -ENOSPC)
                o->full = true;
        return k;
}

/* After a file's diff: which secrets changed, without their values. */
static void diff_secrets_note(struct diff_out *o, const char *path)
{
        if (o->changed[0])
                (void) sink_stream_printf(o->st,
                                          "# %s: value changed: %s (old and new values "
                                          "redacted)\n",
                                          path, o->changed);
        o->changed[0] = 0;
        o->n_removed = 0;
        o->line_len = 0;
}

static void octal_mode(char buf[static 8], uint32_t mode)
{
        (void) snprintf(buf, 8, "%04o", mode & 07777);
}

/* Writes the diff of one change to the stream and sets ch->diff. */
static int write_change_diff(struct run *r, struct diff_out *o, struct change *ch)
{
        const struct config_snapshot_entry *x = ch->old, *y = ch->new;
        _cleanup_free_ char *old_label = NULL, *new_label = NULL, *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        char m1[8], m2[8];
        int k;

        if (x && y && (x->mode & 07777) != (y->mode & 07777)) {
                octal_mode(m1, x->mode);
                octal_mode(m2, y->mode);
                (void) sink_stream_printf(o->st, "# mode of %s changed: %s -> %s\n", ch->path, m1,
                                          m2);
        }
        if (x && y && (x->uid != y->uid || x->gid != y->gid))
                (void) sink_stream_printf(o->st, "# owner of %s changed: %u:%u -> %u:%u\n",
                                          ch->path, x->uid, x->gid, y->uid, y->gid);
        if (!(ch->kinds &
              ((1u << CHANGE_MODIFIED) | (1u << CHANGE_ADDED) | (1u << CHANGE_REMOVED)))) {
                ch->diff = "none";
                return 0;
        }

        /* Symbolic links: their target is the content. */
        if ((x && x->type == 'l') || (y && y->type == 'l')) {
                if (x && x->type == 'l' && x->stored)
                        (void) config_snapshot_read_object(r->store, x->sha256, 4096, &a, &alen);
                if (y && y->type == 'l' && y->stored)
                        (void) config_snapshot_read_object(r->store, y->sha256, 4096, &b, &blen);
                (void) sink_stream_printf(o->st, "# symbolic link %s: %s%s%s -> %s%s%s\n", ch->path,
                                          x ? (x->type == 'l' ? "'" : "") : "",
                                          x ? (x->type == 'l' ? (a ?: "?") : "(file)") : "(none)",
                                          x && x->type == 'l' ? "'" : "",
                                          y && y->type == 'l' ? "'" : "",
                                          y ? (y->type == 'l' ? (b ?: "?") : "(file)") : "(none)",
                                          y && y->type == 'l' ? "'" : "");
                ch->diff = "symlink";
                return o->full ? -ENOSPC : 0;
        }

        if ((x && x->withheld) || (y && y->withheld)) {
                (void) sink_stream_printf(o->st,
                                          "# %s: content changed; not shown: it holds a "
                                          "private key\n",
                                          ch->path);
                ch->diff = "withheld";
                return o->full ? -ENOSPC : 0;
        }
        if ((x && !x->stored) || (y && !y->stored)) {
                bool big = (x && !x->stored && x->size > r->cfg->max_file_size) ||
                           (y && !y->stored && y->size > r->cfg->max_file_size);

                (void) sink_stream_printf(o->st,
                                          "# %s: content changed (sha256 %s -> %s); not shown: "
                                          "%s\n",
                                          ch->path, x ? x->sha256 : "none", y ? y->sha256 : "none",
                                          big ? "over max_file_size" :
                                                "not in the snapshot store (its disk was full)");
                ch->diff = big ? "too_large" : "unavailable";
                return o->full ? -ENOSPC : 0;
        }
        size_t max = (size_t) r->cfg->max_file_size;
        if (x) {
                k = config_snapshot_read_object(r->store, x->sha256, max, &a, &alen);
                if (k < 0) {
                        sink_note(r->sink, "old content of %s unavailable: %s", ch->path,
                                  strerror(-k));
                        (void) sink_stream_printf(o->st, "# %s: old content unavailable (%s)\n",
                                                  ch->path, strerror(-k));
                        ch->diff = "unavailable";
                        return o->full ? -ENOSPC : 0;
                }
        }
        if (y) {
                k = config_snapshot_read_object(r->store, y->sha256, max, &b, &blen);
                if (k < 0) {
                        sink_note(r->sink, "new content of %s unavailable: %s", ch->path,
                                  strerror(-k));
                        (void) sink_stream_printf(o->st, "# %s: new content unavailable (%s)\n",
                                                  ch->path, strerror(-k));
                        ch->diff = "unavailable";
                        return o->full ? -ENOSPC : 0;
                }
        }
        old_label = x ? xasprintf("a%s", ch->path) : xstrdup("/dev/null");
        new_label = y ? xasprintf("b%s", ch->path) : xstrdup("/dev/null");
        if (!old_label || !new_label)
                return -ENOMEM;

        if (config_diff_is_binary(a, alen) || config_diff_is_binary(b, blen)) {
                (void) sink_stream_printf(o->st, "Binary files %s and %s differ\n", old_label,
                                          new_label);
                ch->diff = "binary";
                return o->full ? -ENOSPC : 0;
        }

        struct config_diff_limits lim = { .max_lines = (size_t) r->cfg->diff_max_lines };
        struct config_diff_stats ds = {};
        k = config_diff_unified(old_label, a, alen, new_label, b, blen, &lim, diff_write, o, &ds);
        if (k < 0)
                return k;
        if (ds.whole_file) {
                sink_note(r->sink,
                          "%s: too many lines or changes for a line diff, shown as a "
                          "whole-file change",
                          ch->path);
                ch->diff = "whole_file";
        } else
                ch->diff = "unified";
        return 0;
}

static json_t *entry_fields(json_t *o, const char *prefix, const struct config_snapshot_entry *e)
{
        char key[32], mode[8];

        (void) snprintf(key, sizeof(key), "%s_size", prefix);
        json_object_set_new(o, key, e ? json_integer((json_int_t) e->size) : json_null());
        (void) snprintf(key, sizeof(key), "%s_sha256", prefix);
        json_object_set_new(o, key, e ? json_string(e->sha256) : json_null());
        (void) snprintf(key, sizeof(key), "%s_mode", prefix);
        if (e)
                octal_mode(mode, e->mode);
        json_object_set_new(o, key, e ? json_string(mode) : json_null());
        (void) snprintf(key, sizeof(key), "%s_uid", prefix);
        json_object_set_new(o, key, e ? json_integer(e->uid) : json_null());
        (void) snprintf(key, sizeof(key), "%s_gid", prefix);
        json_object_set_new(o, key, e ? json_integer(e->gid) : json_null());
        (void) snprintf(key, sizeof(key), "%s_type", prefix);
        json_object_set_new(o, key,
                            e ? json_string(e->type == 'l' ? "symlink" : "file") : json_null());
        return o;
}

static json_t *change_json(const struct change *ch)
{
        json_t *o = json_object(), *kinds = json_array();

        json_object_set_new(o, "path", json_str(ch->path));
        json_object_set_new(o, "kind", json_string(change_kind_table[ch->kind]));
        for (int k = 0; k < _CHANGE_KIND_MAX; k++)
                if (ch->kinds & (1u << k))
                        json_array_append_new(kinds, json_string(change_kind_table[k]));
        json_object_set_new(o, "kinds", kinds);
        json_object_set_new(o, "observed", json_time(ch->observed));
        json_object_set_new(o, "not_before", json_time(ch->not_before));
        json_object_set_new(o, "mtime",
                            ch->new ? json_time(ch->new->mtime_ns / 1000) : json_null());
        entry_fields(o, "old", ch->old);
        entry_fields(o, "new", ch->new);
        json_object_set_new(o, "diff", json_string(ch->diff ?: "none"));
        return o;
}

static json_t *strv_json(char *const *l)
{
        json_t *a = json_array();

        STRV_FOREACH(s, (char **) l)
                json_array_append_new(a, json_str(*s));
        return a;
}

static int add_json(struct sink *sink, const char *name, json_t *root, unsigned flags)
{
        _cleanup_free_ char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        int k;

        if (!text)
                return -ENOMEM;
        k = sink_add_data(sink, name, text, strlen(text), flags);
        return k;
}

static int add_config_finding(struct run *r, size_t count, usec_t first, usec_t last,
                              const char *detail)
{
        struct finding f = {
                .kind = FINDING_CONFIG_CHANGES,
                .subject = "files",
                .count = count,
                .first = first,
                .last = last,
                .detail = detail,
        };

        return sink_add_finding(r->sink, &f);
}

static json_t *window_json(struct run *r)
{
        json_t *w = json_object();

        json_object_set_new(w, "since", json_time(ctx_since(r->ctx)));
        json_object_set_new(w, "until", json_time(ctx_until(r->ctx)));
        return w;
}

static json_t *stats_json(const struct config_snapshot_stats *s)
{
        json_t *o = json_object();

        json_object_set_new(o, "files", json_integer((json_int_t) s->files));
        json_object_set_new(o, "read", json_integer((json_int_t) s->read));
        json_object_set_new(o, "unchanged_by_stat", json_integer((json_int_t) s->reused));
        json_object_set_new(o, "never_collect", json_integer((json_int_t) s->forbidden));
        json_object_set_new(o, "excluded", json_integer((json_int_t) s->excluded));
        json_object_set_new(o, "unreadable", json_integer((json_int_t) s->unreadable));
        json_object_set_new(o, "over_max_file_size", json_integer((json_int_t) s->too_large));
        json_object_set_new(o, "private_keys_withheld", json_integer((json_int_t) s->withheld));
        json_object_set_new(o, "truncated", json_boolean(s->truncated));
        json_object_set_new(o, "not_reached", json_integer((json_int_t) s->unreached));
        return o;
}

/* No baseline: tracked files whose mtime falls in the window. */
static int report_without_baseline(struct run *r, const struct config_snapshot_index *cur,
                                   const struct config_snapshot_stats *stats, const char *why)
{
        usec_t since = ctx_since(r->ctx), until = ctx_until(r->ctx), first = 0, last = 0;
        json_t *root = json_object(), *list = json_array();
        struct sink_stream *st = NULL;
        _cleanup_dynbuf_ struct dynbuf detail = {};
        size_t count = 0;
        char b1[40], b2[40];
        int k;

        dynbuf_init(&detail, 512);
        for (size_t i = 0; i < cur->n_entries; i++) {
                const struct config_snapshot_entry *e = &cur->entries[i];
                usec_t mt = e->mtime_ns / 1000;

                if (mt < since || mt > until)
                        continue;
                json_t *o = json_object();
                json_object_set_new(o, "path", json_str(e->path));
                json_object_set_new(o, "kind", json_string("modified"));
                json_object_set_new(o, "evidence", json_string("mtime"));
                json_object_set_new(o, "observed", json_time(mt));
                json_object_set_new(o, "mtime", json_time(mt));
                entry_fields(o, "old", NULL);
                entry_fields(o, "new", e);
                json_object_set_new(o, "diff", json_string("unavailable"));
                json_array_append_new(list, o);
                if (count < DETAIL_ITEMS)
                        (void) dynbuf_addf(&detail, "%s%s", count ? ", " : "", e->path);
                (void) strv_extend(&r->changed, e->path);
                first = first == 0 || mt < first ? mt : first;
                last = MAX(last, mt);
                count++;
        }

        json_object_set_new(root, "window", window_json(r));
        json_object_set_new(root, "tracked_paths", strv_json(r->cfg->paths));
        json_object_set_new(root, "baseline", json_null());
        json_object_set_new(root, "diff_available", json_false());
        json_object_set_new(root, "note", json_string(why));
        json_object_set_new(root, "count", json_integer((json_int_t) count));
        json_object_set_new(root, "changes", list);
        json_object_set_new(root, "scan", stats_json(stats));
        k = add_json(r->sink, CHANGES_MEMBER, root, SINK_NO_REDACT);
        json_decref(root);
        if (k < 0)
                return k;

        k = sink_open_stream(r->sink, DIFF_MEMBER, "configuration snapshots", 0, &st);
        if (k >= 0) {
                (void) sink_stream_printf(st,
                                          "# collect: no configuration diff available for "
                                          "%s .. %s\n# %s\n# %zu tracked files were modified in "
                                          "the window (by mtime); see changes.json.\n",
                                          iso(b1, since) ?: "?", iso(b2, until) ?: "?", why, count);
                k = sink_stream_close(st, false);
        }
        if (k < 0)
                return k;
        sink_note(r->sink, "no configuration diff: %s; %zu files modified in the window by mtime",
                  why, count);

        _cleanup_free_ char *d = xasprintf("no baseline snapshot (%s); %zu tracked files modified "
                                           "in the window by mtime%s%s; changes before %s unknown",
                                           why, count, count ? ": " : "", detail.buf ?: "",
                                           iso(b1, r->now) ?: "now");
        return add_config_finding(r, count, first, last, d);
}

/* Drops the changes made before the window start when the baseline predates
 * it (by inode change time, which only moves forward; only with the real
 * clock). Returns how many were dropped. */
static size_t drop_before_window(struct run *r, const struct config_snapshot_index *base,
                                 bool base_in_window, const struct config_snapshot_index *end,
                                 struct change *changes, size_t *n)
{
        usec_t since = ctx_since(r->ctx);
        size_t w = 0, dropped = 0;

        if (base_in_window || base->time >= since || end != r->cur || !real_clock(r->now))
                return 0;
        for (size_t i = 0; i < *n; i++) {
                const struct config_snapshot_entry *y = changes[i].new;

                if (y && y->ctime_ns / 1000 < since && changes[i].observed > since) {
                        dropped++;
                        continue;
                }
                changes[w++] = changes[i];
        }
        *n = w;
        return dropped;
}

static bool in_changes(const struct change *changes, size_t n, const char *path)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(changes[mid].path, path);

                if (c == 0)
                        return true;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

/* No snapshot precedes the window: files modified in the window before the
 * first snapshot (by mtime) are changes too, so that a re-run in the same
 * window reports what the run that took the first snapshot found. */
static void mtime_changes(struct run *r, const struct config_snapshot_index *base,
                          const struct change *changes, size_t n, struct sink_stream *st,
                          json_t *list, struct dynbuf *detail, size_t *count, usec_t *first,
                          usec_t *last)
{
        usec_t since = ctx_since(r->ctx);
        char b1[40];

        for (size_t i = 0; r->cur && i < r->cur->n_entries; i++) {
                const struct config_snapshot_entry *e = &r->cur->entries[i];
                usec_t mt = e->mtime_ns / 1000;

                if (mt < since || mt > base->time || in_changes(changes, n, e->path) ||
                    config_snapshot_path_skipped(&r->scan, e->path))
                        continue;
                json_t *o = json_object();
                json_object_set_new(o, "path", json_str(e->path));
                json_object_set_new(o, "kind", json_string("modified"));
                json_object_set_new(o, "evidence", json_string("mtime"));
                json_object_set_new(o, "observed", json_time(mt));
                json_object_set_new(o, "mtime", json_time(mt));
                entry_fields(o, "new", e);
                json_object_set_new(o, "diff", json_string("unavailable"));
                json_array_append_new(list, o);
                if (st)
                        (void) sink_stream_printf(st,
                                                  "# %s: modified %s, before the first "
                                                  "snapshot (by modification time): earlier "
                                                  "content unknown, current content in "
                                                  "config/files\n",
                                                  e->path, iso(b1, mt) ?: "?");
                if (*count < DETAIL_ITEMS)
                        (void) dynbuf_addf(detail, "%smodified %s", *count ? ", " : "", e->path);
                *first = *first == 0 || mt < *first ? mt : *first;
                *last = MAX(*last, mt);
                (*count)++;
                (void) strv_extend(&r->changed, e->path);
        }
}

static int write_diffs(struct run *r, struct sink_stream *st, struct change *changes, size_t n)
{
        struct diff_out o = { .st = st };
        int k;

        for (size_t i = 0; i < n; i++) {
                if (ctx_expired(r->ctx) || o.full) {
                        changes[i].diff = "truncated";
                        continue;
                }
                k = write_change_diff(r, &o, &changes[i]);
                diff_secrets_note(&o, changes[i].path);
                if (k == -ENOSPC || o.full) {
                        changes[i].diff = "truncated";
                        continue;
                }
                if (k < 0)
                        return k;
        }
        if (o.full || sink_stream_truncated(st)) {
                sink_note(r->sink, "changes.diff cut by the size budget");
                sink_mark_partial(r->sink);
        }
        return 0;
}

static char *baseline_note(const struct config_snapshot_index *base, bool base_in_window)
{
        char b1[40];

        if (base_in_window)
                return xasprintf("no snapshot was taken before the window start; compared with "
                                 "the first snapshot in the window (%s); files modified in the "
                                 "window before it are listed by modification time; changes "
                                 "before %s unknown",
                                 iso(b1, base->time) ?: "?", iso(b1, base->time) ?: "?");
        return xasprintf("baseline: snapshot of %s (the newest at or before the window start)",
                         iso(b1, base->time) ?: "?");
}

static int report_changes(struct run *r, const struct config_snapshot_index *base, size_t base_i,
                          bool base_in_window, const struct config_snapshot_index *end,
                          size_t end_i, const char *end_desc,
                          const struct config_snapshot_stats *stats)
{
        _cleanup_free_ struct change *changes = NULL;
        _cleanup_dynbuf_ struct dynbuf detail = {};
        _cleanup_free_ char *note = NULL;
        struct sink_stream *st = NULL;
        size_t n = 0, count, before_window;
        usec_t first = 0, last = 0;
        char b1[40], b2[40], b3[40];
        int k;

        k = compute_changes(r, base, end, &changes, &n);
        if (k < 0)
                return k;
        observe(r, changes, n, base_i, end_i, base->time, end->time);
        before_window = drop_before_window(r, base, base_in_window, end, changes, &n);
        note = baseline_note(base, base_in_window);
        if (!note)
                return -ENOMEM;

        k = sink_open_stream(r->sink, DIFF_MEMBER, "configuration snapshots", 0, &st);
        if (k < 0)
                return k;
        (void) sink_stream_printf(st,
                                  "# collect: configuration changes, window %s .. %s\n"
                                  "# %s; compared with %s (%s)\n# %zu changed files\n",
                                  iso(b1, ctx_since(r->ctx)) ?: "?",
                                  iso(b2, ctx_until(r->ctx)) ?: "?", note, end_desc,
                                  iso(b3, end->time) ?: "?", n);
        k = write_diffs(r, st, changes, n);
        json_t *root = json_object(), *list = json_array(), *b = json_object(), *e = json_object();
        dynbuf_init(&detail, 512);
        for (size_t i = 0; i < n; i++) {
                json_array_append_new(list, change_json(&changes[i]));
                if (i < DETAIL_ITEMS)
                        (void) dynbuf_addf(&detail, "%s%s %s", i ? ", " : "",
                                           change_kind_table[changes[i].kind], changes[i].path);
                first = first == 0 || changes[i].observed < first ? changes[i].observed : first;
                last = MAX(last, changes[i].observed);
                if (changes[i].new)
                        (void) strv_extend(&r->changed, changes[i].path);
        }
        count = n;
        if (base_in_window)
                mtime_changes(r, base, changes, n, k >= 0 ? st : NULL, list, &detail, &count,
                              &first, &last);
        k = k < 0 ? k : sink_stream_close(st, false);
        if (k < 0) {
                json_decref(root);
                json_decref(list);
                json_decref(b);
                json_decref(e);
                return k;
        }
        json_object_set_new(b, "snapshot", json_string(base->name ?: ""));
        json_object_set_new(b, "time", json_time(base->time));
        json_object_set_new(b, "in_window", json_boolean(base_in_window));
        json_object_set_new(e, "source", json_string(end_desc));
        json_object_set_new(e, "time", json_time(end->time));
        json_object_set_new(root, "window", window_json(r));
        json_object_set_new(root, "tracked_paths", strv_json(r->cfg->paths));
        json_object_set_new(root, "baseline", b);
        json_object_set_new(root, "compared_with", e);
        json_object_set_new(root, "diff_available", json_true());
        json_object_set_new(root, "note", json_string(note));
        json_object_set_new(root, "count", json_integer((json_int_t) count));
        json_object_set_new(root, "changed_before_window",
                            json_integer((json_int_t) before_window));
        json_object_set_new(root, "changes", list);
        json_object_set_new(root, "scan", stats_json(stats));
        k = add_json(r->sink, CHANGES_MEMBER, root, SINK_NO_REDACT);
        json_decref(root);
        if (k < 0)
                return k;
        if (before_window > 0)
                sink_note(r->sink,
                          "%zu files changed after the baseline but before the window "
                          "start (by inode change time): not listed",
                          before_window);

        _cleanup_free_ char *d = xasprintf("%zu configuration files changed%s%s%s%s%s", count,
                                           count ? ": " : "", detail.buf ?: "",
                                           base_in_window ? "; changes before " : "",
                                           base_in_window ? (iso(b1, base->time) ?: "?") : "",
                                           base_in_window ? " unknown" : "");
        return add_config_finding(r, count, first, last, d);
}

/* The configuration as it is now: units, the default set, the changed files. */
static int emit_files(struct run *r)
{
        struct config_files_params p = {
                .defaults = r->cfg->files,
                .changed = r->changed,
                .exclude = r->cfg->exclude,
                .max_files = r->cfg->files_max,
                .max_file_size = r->cfg->max_file_size,
        };

        return config_files_collect(r->ctx, r->sink, &p);
}

static int report_packages(struct run *r)
{
        struct config_package_changes pc = {};
        _cleanup_dynbuf_ struct dynbuf detail = {};
        json_t *root, *list;
        int k;

        k = config_packages_collect(ctx_root_fd(r->ctx), ctx_since(r->ctx), ctx_until(r->ctx), &pc);
        if (k < 0)
                return k;

        dynbuf_init(&detail, 512);
        root = json_object();
        list = json_array();
        for (size_t i = 0; i < pc.n; i++) {
                const struct config_package_change *p = &pc.items[i];
                json_t *o = json_object();

                json_object_set_new(o, "name", json_str(p->name));
                json_object_set_new(o, "arch", p->arch ? json_str(p->arch) : json_null());
                json_object_set_new(o, "action", json_str(p->action));
                json_object_set_new(o, "old_version",
                                    p->old_version ? json_str(p->old_version) : json_null());
                json_object_set_new(o, "new_version",
                                    p->new_version ? json_str(p->new_version) : json_null());
                json_object_set_new(o, "time", json_time(p->time));
                json_object_set_new(o, "source", json_str(p->source));
                if (p->command)
                        json_object_set_new(o, "command", json_str(p->command));
                json_array_append_new(list, o);
                if (i < DETAIL_ITEMS)
                        (void) dynbuf_addf(&detail, "%s%s %s%s%s%s%s", i ? ", " : "", p->action,
                                           p->name, p->old_version || p->new_version ? " " : "",
                                           p->old_version ?: "",
                                           p->old_version && p->new_version ? " -> " : "",
                                           p->new_version ?: "");
        }
        json_object_set_new(root, "window", window_json(r));
        json_object_set_new(root, "sources", strv_json(pc.sources));
        json_object_set_new(root, "count", json_integer((json_int_t) pc.n));
        json_object_set_new(root, "changes", list);
        k = add_json(r->sink, PACKAGES_MEMBER, root, 0);
        json_decref(root);
        if (k >= 0) {
                _cleanup_free_ char *d = xasprintf("%zu package changes%s%s", pc.n,
                                                   pc.n ? ": " : "", detail.buf ?: "");
                struct finding f = {
                        .kind = FINDING_PACKAGE_CHANGES,
                        .subject = "packages",
                        .count = pc.n,
                        .first = pc.n ? pc.items[0].time : 0,
                        .last = pc.n ? pc.items[pc.n - 1].time : 0,
                        .detail = d,
                };
                if (pc.n_sources == 0)
                        sink_note(r->sink, "no package manager log found (dpkg, apt, dnf, yum)");
                k = sink_add_finding(r->sink, &f);
        }
        config_package_changes_done(&pc);
        return k;
}

/* Baseline: the newest snapshot at or before the window start, else the
 * oldest one inside the window. A window that ended in the past ends at the
 * first snapshot after it. */
static void choose_baseline(const struct run *r, size_t *base_i, size_t *end_i,
                            bool *base_in_window)
{
        usec_t since = ctx_since(r->ctx), until = ctx_until(r->ctx);

        for (size_t i = 0; i < r->n_infos; i++)
                if (r->infos[i].time <= since)
                        *base_i = i;
        for (size_t i = 0; *base_i == SIZE_MAX && i < r->n_infos; i++)
                if (r->infos[i].time > since && r->infos[i].time <= until) {
                        *base_i = i;
                        *base_in_window = true;
                }
        if (until >= r->now || r->now - until <= USEC_PER_MINUTE)
                return;
        for (size_t i = 0; i < r->n_infos; i++)
                if (r->infos[i].time >= until && (*base_i == SIZE_MAX || i > *base_i)) {
                        *end_i = i;
                        break;
                }
}

static int config_collect(void *userdata, struct collect_ctx *ctx, struct sink *sink)
{
        struct config_state *cfg = userdata;
        struct run r = {
                .cfg = cfg,
                .ctx = ctx,
                .sink = sink,
                .scan = {
                        .ctx = ctx,
                        .sink = sink,
                        .paths = cfg->paths,
                        .exclude = cfg->exclude,
                        .max_file_size = cfg->max_file_size,
                        .max_files = cfg->max_files,
                },
                .now = now(CLOCK_REALTIME),
        };
        struct config_snapshot_index *cur = NULL, *base = NULL, *end_snap = NULL;
        struct config_snapshot_stats stats = {};
        size_t base_i = SIZE_MAX, end_i = SIZE_MAX;
        bool base_in_window = false;
        int k, k2, kp = 0;

        (void) logtime_zone_setup(ctx_root_fd(ctx), ctx_root(ctx)); /* dpkg.log: local time */
        (void) open_store(&r);
        if (ctx_snapshot_only(ctx)) {
                k = snapshot_only(&r);
                run_done(&r);
                return k;
        }

        choose_baseline(&r, &base_i, &end_i, &base_in_window);

        k = scan_current(&r, &cur, &stats);
        if (k < 0) {
                clog_error_errno(ctx, k, "cannot scan the tracked configuration files: %m");
                sink_note(sink, "scan of tracked files failed: %s", strerror(-k));
                goto packages;
        }
        r.cur = cur;
        if (stats.forbidden > 0)
                sink_note(sink, "%zu files not read (never_collect)", stats.forbidden);

        if (base_i != SIZE_MAX) {
                k = config_snapshot_load(r.store, r.infos[base_i].name, &base);
                if (k < 0) {
                        sink_note(sink, "baseline snapshot %s unreadable: %s", r.infos[base_i].name,
                                  strerror(-k));
                        base = NULL;
                }
        }
        if (base && end_i != SIZE_MAX &&
            config_snapshot_load(r.store, r.infos[end_i].name, &end_snap) < 0)
                end_snap = NULL;

        if (base) {
                if (end_snap)
                        k = report_changes(&r, base, base_i, base_in_window, end_snap, end_i,
                                           "the first snapshot after the window end", &stats);
                else
                        k = report_changes(&r, base, base_i, base_in_window, cur, r.n_infos,
                                           "the current files", &stats);
        } else {
                const char *why = !r.store ?
                                          "the snapshot store is unavailable" :
                                  r.n_infos == 0 ?
                                          "no configuration snapshot existed yet (the first one is "
                                          "taken now)" :
                                          "no snapshot was taken at or before the window end";
                k = report_without_baseline(&r, cur, &stats, why);
        }
        if (k < 0)
                clog_error_errno(ctx, k, "cannot report configuration changes: %m");

        k2 = emit_files(&r);
        if (k2 < 0)
                clog_error_errno(ctx, k2, "cannot add the current configuration files: %m");

        /* Every collection records a snapshot, after the diff. */
        (void) commit_snapshot(&r, cur, &stats);

packages:
        if (cfg->packages) {
                kp = report_packages(&r);
                if (kp < 0)
                        clog_warning_errno(ctx, kp, "cannot read package logs: %m");
        }
        config_snapshot_index_free(cur);
        config_snapshot_index_free(base);
        config_snapshot_index_free(end_snap);
        config_snapshot_stats_done(&stats);
        run_done(&r);
        if (k < 0 && kp < 0)
                return k;
        if (k < 0 || kp < 0)
                sink_mark_partial(sink);
        return 0;
}

static const struct collector_option config_options[] = {
        { "paths", OPTION_STRV, "/etc", offsetof(struct config_state, paths),
          "tracked configuration paths (files, directories, globs) inside the root" },
        { "exclude", OPTION_STRV,
          "*.swp\n*~\n*.dpkg-old\n*.dpkg-dist\n*.rpmnew\n*.rpmsave\n/etc/ld.so.cache\n/etc/adjtime\n"
          "/etc/.pwd.lock\n/etc/mtab",
          offsetof(struct config_state, exclude),
          "globs not tracked; with a '/' matched on the path, otherwise on the file name" },
        { "files", OPTION_STRV,
          "/etc/hosts\n/etc/hostname\n/etc/resolv.conf\n/etc/fstab\n/etc/nsswitch.conf\n"
          "/etc/sysctl.conf\n/etc/sysctl.d\n/etc/systemd/system\n/etc/nginx\n/etc/apache2\n"
          "/etc/httpd/conf\n/etc/httpd/conf.d\n/etc/postgresql\n/var/lib/pgsql/data/*.conf\n"
          "/etc/mysql\n/etc/my.cnf\n/etc/my.cnf.d\n/etc/redis\n/etc/redis.conf\n"
          "/etc/ssh/sshd_config\n/etc/ssh/sshd_config.d\n/etc/docker/daemon.json\n"
          "/etc/containerd/config.toml\n/var/lib/kubelet/config.yaml\n/etc/default/kubelet\n"
          "/etc/sysconfig/kubelet\n/etc/systemd/system/kubelet.service.d",
          offsetof(struct config_state, files),
          "configuration copied as it is now to config/files/ (files, directories, globs), "
          "besides the critical and failing units' files and the files changed in the window" },
        { "files_max", OPTION_U64, "500", offsetof(struct config_state, files_max),
          "at most this many files in config/files/" },
        { "max_file_size", OPTION_SIZE, "1M", offsetof(struct config_state, max_file_size),
          "larger files are hashed, not stored or diffed" },
        { "max_files", OPTION_U64, "20000", offsetof(struct config_state, max_files),
          "at most this many files per snapshot" },
        { "diff_max_lines", OPTION_U64, "50000", offsetof(struct config_state, diff_max_lines),
          "files with more lines are shown as a whole-file change" },
        { "max_snapshots", OPTION_U64, "60", offsetof(struct config_state, max_snapshots),
          "snapshots kept; the oldest are dropped first" },
        { "max_store_size", OPTION_SIZE, "64M", offsetof(struct config_state, max_store_size),
          "bytes the snapshot store may use; the oldest snapshots are dropped first" },
        { "packages", OPTION_BOOL, "true", offsetof(struct config_state, packages),
          "report package changes from dpkg, apt, dnf and yum logs" },
        {},
};

static const struct collector_ops config_ops = {
        .collect = config_collect,
};

const struct collector collector_config = {
        .name = "config",
        .summary = "configuration changes (snapshots and diffs) and package changes in the window",
        .flags = 0,
        .state_size = sizeof(struct config_state),
        .options = config_options,
        .ops = &config_ops,
};
