/* SPDX-License-Identifier: MIT */
/*
 * The journal collector: entries of the window at warning priority or worse
 * (logs/journal/warnings.log), every entry of the units that had errors or
 * failed (logs/journal/units/<unit>.log) and the kernel's messages
 * (logs/journal/kernel.log), plus findings (failed units, restart loops, OOM
 * kills, segfaults, core dumps, kernel errors).
 *
 * Each member is read newest-first: entries are formatted into a bounded
 * memory buffer; once it is full the older part of the window is only
 * measured until the budget is reached, then read again forward and written
 * before the buffered part. The member is therefore in chronological order,
 * holds the newest entries when cut, and costs no more than what is kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "coredump.h"
#include "journal.h"
#include "sink.h"
#include "strv.h"

#ifdef HAVE_LIBSYSTEMD

#define COREDUMP_MATCH "MESSAGE_ID=" COREDUMP_MESSAGE_ID
#define DATA_THRESHOLD (64U * 1024U)
#define CHECK_DEADLINE_EVERY 1024

struct journal_state {
        /* options */
        uint64_t max_priority;
        uint64_t unit_priority;
        uint64_t max_units;
        bool kernel;
        uint64_t buffer_size;

        /* runtime */
        char *dir; /* journal directory, NULL: the live system journal */
        uint64_t rss_base;  /* file-backed resident bytes before reading */
        uint64_t refreshes; /* times the journal's pages were dropped */
        sd_journal *j;
        struct journal_entry entry;
        struct journal_findings findings;
        char **units;
        uint64_t units_dropped;

        char *line; /* the formatted current entry */
        size_t line_len;
        size_t line_alloc;
        time_t ts_sec; /* timestamp cache: seconds → "YYYY-MM-DDTHH:MM:SS" */
        char ts[32];

        char *rev; /* newest-first records, see rev_push() */
        size_t rev_len;
        size_t rev_alloc;
};

static const char *const priority_names[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* ---- entries ---- */

static const struct {
        const char *name;
        size_t len;
        int field;
} field_table[] = {
#define F(n, f) { n, sizeof(n) - 1, f }
        F("MESSAGE", JF_MESSAGE),
        F("PRIORITY", JF_PRIORITY),
        F("SYSLOG_IDENTIFIER", JF_IDENTIFIER),
        F("_COMM", JF_COMM),
        F("_PID", JF_PID),
        F("SYSLOG_PID", JF_SYSLOG_PID),
        F("_HOSTNAME", JF_HOSTNAME),
        F("_SYSTEMD_UNIT", JF_SYSTEMD_UNIT),
        F("UNIT", JF_UNIT),
        F("USER_UNIT", JF_USER_UNIT),
        F("_TRANSPORT", JF_TRANSPORT),
        F("MESSAGE_ID", JF_MESSAGE_ID),
        F("COREDUMP_UNIT", JF_COREDUMP_UNIT),
#undef F
};

static int field_lookup(const char *data, size_t name_len)
{
        for (size_t i = 0; i < ELEMENTSOF(field_table); i++)
                if (field_table[i].len == name_len && data[0] == field_table[i].name[0] &&
                    memcmp(data, field_table[i].name, name_len) == 0)
                        return field_table[i].field;
        return -1;
}

static int scratch_add(struct journal_entry *e, const char *v, size_t len, size_t *ret_off)
{
        if (e->scratch_len + len + 1 > e->scratch_alloc) {
                size_t n = MAX(e->scratch_alloc * 2, e->scratch_len + len + 1 + 256);
                char *p = xrealloc(e->scratch, n);
                if (!p)
                        return -ENOMEM;
                e->scratch = p;
                e->scratch_alloc = n;
        }
        *ret_off = e->scratch_len;
        memcpy(e->scratch + e->scratch_len, v, len);
        e->scratch[e->scratch_len + len] = '\0';
        e->scratch_len += len + 1;
        return 0;
}

static int entry_load(sd_journal *j, struct journal_entry *e)
{
        const void *data;
        size_t len;
        int r;

        r = sd_journal_get_realtime_usec(j, &e->t);
        if (r < 0)
                return r;
        e->scratch_len = 0;
        e->priority = -1;
        for (size_t i = 0; i < _JF_MAX; i++)
                e->f[i].set = false;

        sd_journal_restart_data(j);
        for (;;) {
                const char *d, *eq;
                int field;

                r = sd_journal_enumerate_available_data(j, &data, &len);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                d = data;
                eq = memchr(d, '=', len);
                if (!eq || eq == d)
                        continue;
                field = field_lookup(d, eq - d);
                if (field < 0 || e->f[field].set)
                        continue;
                r = scratch_add(e, eq + 1, len - (eq + 1 - d), &e->f[field].off);
                if (r < 0)
                        return r;
                e->f[field].len = len - (eq + 1 - d);
                e->f[field].set = true;
        }

        if (e->f[JF_PRIORITY].set && e->f[JF_PRIORITY].len == 1) {
                char c = e->scratch[e->f[JF_PRIORITY].off];
                if (c >= '0' && c <= '7')
                        e->priority = c - '0';
        }
        return 0;
}

/* ---- formatting ---- */

static int line_reserve(struct journal_state *s, size_t extra)
{
        if (s->line_len + extra + 1 > s->line_alloc) {
                size_t n = MAX(s->line_alloc * 2, s->line_len + extra + 1 + 256);
                char *p = xrealloc(s->line, n);
                if (!p)
                        return -ENOMEM;
                s->line = p;
                s->line_alloc = n;
        }
        return 0;
}

static void line_add(struct journal_state *s, const char *p, size_t len)
{
        memcpy(s->line + s->line_len, p, len);
        s->line_len += len;
}

static void line_add_field(struct journal_state *s, const struct journal_entry *e, int field,
                           const char *fallback)
{
        if (e->f[field].set)
                line_add(s, e->scratch + e->f[field].off, e->f[field].len);
        else
                line_add(s, fallback, strlen(fallback));
}

/* "2026-11-27T10:00:00.123456+00:00 err host ident[pid]: message"; the
 * lines of a multi-line message follow, indented. */
static int format_entry(struct journal_state *s, const struct journal_entry *e)
{
        time_t sec = (time_t) (e->t / USEC_PER_SEC);
        unsigned usec = (unsigned) (e->t % USEC_PER_SEC);
        int ident_field = e->f[JF_IDENTIFIER].set ? JF_IDENTIFIER : JF_COMM;
        int pid_field = e->f[JF_PID].set ? JF_PID : JF_SYSLOG_PID;
        size_t need, msg_len = e->f[JF_MESSAGE].set ? e->f[JF_MESSAGE].len : 0;
        const char *msg = e->f[JF_MESSAGE].set ? e->scratch + e->f[JF_MESSAGE].off : "";
        char frac[16];
        int r;

        if (sec != s->ts_sec || s->ts[0] == '\0') {
                struct tm tm;
                if (!gmtime_r(&sec, &tm) ||
                    strftime(s->ts, sizeof(s->ts), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                        memcpy(s->ts, "0000-00-00T00:00:00", 20);
                s->ts_sec = sec;
        }
        frac[0] = '.';
        for (int i = 6; i >= 1; i--) {
                frac[i] = (char) ('0' + usec % 10);
                usec /= 10;
        }
        memcpy(frac + 7, "+00:00", 6);

        need = 64 + e->f[JF_HOSTNAME].len + e->f[ident_field].len + e->f[pid_field].len +
               msg_len * 5;
        s->line_len = 0;
        r = line_reserve(s, need);
        if (r < 0)
                return r;

        line_add(s, s->ts, strlen(s->ts));
        line_add(s, frac, 13);
        line_add(s, " ", 1);
        if (e->priority >= 0)
                line_add(s, priority_names[e->priority], strlen(priority_names[e->priority]));
        else
                line_add(s, "-", 1);
        line_add(s, " ", 1);
        line_add_field(s, e, JF_HOSTNAME, "localhost");
        line_add(s, " ", 1);
        line_add_field(s, e, ident_field, "unknown");
        if (e->f[pid_field].set) {
                line_add(s, "[", 1);
                line_add_field(s, e, pid_field, "");
                line_add(s, "]", 1);
        }
        line_add(s, ": ", 2);

        /* Trailing newlines dropped, inner ones become indented lines, other
         * control characters are made visible as spaces. */
        while (msg_len > 0 && (msg[msg_len - 1] == '\n' || msg[msg_len - 1] == '\r'))
                msg_len--;
        for (size_t i = 0; i < msg_len; i++) {
                unsigned char c = (unsigned char) msg[i];

                if (c == '\n') {
                        line_add(s, "\n    ", 5);
                } else if (c < 0x20 && c != '\t') {
                        line_add(s, " ", 1);
                } else {
                        s->line[s->line_len++] = (char) c;
                }
        }
        s->line[s->line_len] = '\0';
        return 0;
}

/* Bytes the line takes in the member: its newlines included. */
static uint64_t line_cost(const struct journal_state *s)
{
        return s->line_len + 1;
}

static const char *meta_unit(const struct journal_entry *e)
{
        const char *u = journal_entry_unit(e);
        const char *t = journal_entry_get(e, JF_TRANSPORT);

        if (t && streq(t, "kernel"))
                return "kernel";
        if (u)
                return u;
        return journal_entry_get(e, JF_IDENTIFIER) ?: journal_entry_get(e, JF_COMM);
}

/* The priority the error extractor sees: a core dump's lines (its stack) are the
 * crash collector's problem, not error messages to group by text. */
static int meta_priority(const struct journal_entry *e)
{
        return coredump_message_id_is(journal_entry_get(e, JF_MESSAGE_ID)) ? 6 : e->priority;
}

static int write_text(struct sink_stream *st, usec_t t, int priority, const char *unit,
                      const char *text, size_t len)
{
        struct sink_line_meta meta = { .timestamp = t, .priority = priority, .unit = unit };
        const char *p = text, *end = text + len;

        for (;;) {
                const char *nl = memchr(p, '\n', end - p);
                size_t l = nl ? (size_t) (nl - p) : (size_t) (end - p);
                int r = sink_stream_write_line(st, &meta, p, l);
                if (r < 0)
                        return r;
                if (!nl)
                        return 0;
                p = nl + 1;
        }
}

/* ---- the newest-first buffer ----
 * Records are appended as the window is walked backwards:
 * [usec_t t][int32 priority][uint32 unit_len][uint32 text_len] unit NUL text NUL [uint32 size]
 * and replayed from the end, i.e. oldest first. */

struct rev_header {
        usec_t t;
        int32_t priority;
        uint32_t unit_len;
        uint32_t text_len;
};

static int rev_push(struct journal_state *s, usec_t t, int priority, const char *unit)
{
        struct rev_header h = {
                .t = t,
                .priority = priority,
                .unit_len = unit ? (uint32_t) strlen(unit) : 0,
                .text_len = (uint32_t) s->line_len,
        };
        uint32_t size = (uint32_t) (sizeof(h) + h.unit_len + 1 + h.text_len + 1 + sizeof(uint32_t));

        if (s->rev_len + size > s->buffer_size)
                return -E2BIG;
        if (s->rev_len + size > s->rev_alloc) {
                size_t n = MIN(MAX(s->rev_alloc * 2, s->rev_len + size + 4096), s->buffer_size);
                char *p = xrealloc(s->rev, n);
                if (!p)
                        return -ENOMEM;
                s->rev = p;
                s->rev_alloc = n;
        }
        char *p = s->rev + s->rev_len;
        memcpy(p, &h, sizeof(h));
        p += sizeof(h);
        if (h.unit_len > 0)
                memcpy(p, unit, h.unit_len);
        p[h.unit_len] = '\0';
        p += h.unit_len + 1;
        memcpy(p, s->line, h.text_len + 1);
        p += h.text_len + 1;
        memcpy(p, &size, sizeof(size));
        s->rev_len += size;
        return 0;
}

static int rev_replay(struct journal_state *s, struct sink_stream *st)
{
        size_t end = s->rev_len;

        while (end > 0) {
                struct rev_header h;
                uint32_t size;
                const char *p;
                int r;

                memcpy(&size, s->rev + end - sizeof(size), sizeof(size));
                p = s->rev + end - size;
                memcpy(&h, p, sizeof(h));
                p += sizeof(h);
                r = write_text(st, h.t, h.priority, h.unit_len > 0 ? p : NULL,
                               p + h.unit_len + 1, h.text_len);
                if (r < 0)
                        return r;
                end -= size;
        }
        return 0;
}

/* ---- members ---- */

typedef int (*match_fn)(sd_journal *j, const void *arg);

static int match_priority(sd_journal *j, const void *arg)
{
        uint64_t max = *(const uint64_t *) arg;

        for (uint64_t p = 0; p <= max && p <= 7; p++) {
                char m[16];
                int r;

                (void) snprintf(m, sizeof(m), "PRIORITY=%u", (unsigned) p);
                r = sd_journal_add_match(j, m, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int match_kernel(sd_journal *j, _unused_ const void *arg)
{
        return sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
}

/*
 * sd-journal maps journal files in windows that it keeps until the journal is
 * closed, so reading a large journal would grow the resident set by the size
 * of the part read (hundreds of MiB for a million entries). Every
 * REFRESH_EVERY entries the file-backed resident size is checked, and past
 * REFRESH_RSS the pages of the journal mappings are dropped with
 * MADV_DONTNEED: the mappings stay valid (they are read-only views of the
 * files), the kernel just faults a page back in from the page cache when it
 * is touched again.
 */
#define REFRESH_EVERY 256
#define REFRESH_RSS (3ULL << 20)

static uint64_t resident_file_bytes(void)
{
        unsigned long long size = 0, resident = 0, shared = 0;
        FILE *f = fopen("/proc/self/statm", "re");

        if (!f)
                return 0;
        if (fscanf(f, "%llu %llu %llu", &size, &resident, &shared) != 3)
                shared = 0;
        fclose(f);
        return (uint64_t) shared * (uint64_t) sysconf(_SC_PAGESIZE);
}

static void drop_journal_pages(void)
{
        char line[4096];
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long start, end;
                const char *path = strchr(line, '/');

                if (!path || !strstr(path, ".journal"))
                        continue;
                if (sscanf(line, "%llx-%llx", &start, &end) != 2 || end <= start)
                        continue;
                (void) madvise((void *) (uintptr_t) start, (size_t) (end - start),
                               MADV_DONTNEED);
        }
        fclose(f);
}

static int journal_open(struct journal_state *s)
{
        int r;

        if (s->dir)
                r = sd_journal_open_directory(&s->j, s->dir, 0);
        else
                r = sd_journal_open(&s->j, SD_JOURNAL_LOCAL_ONLY);
        if (r >= 0)
                (void) sd_journal_set_data_threshold(s->j, DATA_THRESHOLD);
        return r;
}

/* Keeps the journal's share of the resident set bounded (see above). */
static void journal_trim(struct journal_state *s, uint64_t n)
{
        if (n == 0 || n % REFRESH_EVERY != 0)
                return;
        if (resident_file_bytes() < s->rss_base + REFRESH_RSS)
                return;
        drop_journal_pages();
        s->refreshes++;
}

static char *format_time(char *buf, size_t size, usec_t t)
{
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&sec, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                (void) snprintf(buf, size, "@%llu", (unsigned long long) sec);
        return buf;
}

/* The backward pass of emit_member(): what fits in the budget. */
struct emit_scan {
        uint64_t budget;
        usec_t start_t, boundary_t;
        char *boundary;     /* cursor of the newest entry not buffered (counting) */
        uint64_t kept, n_kept, n_counted, overhead;
        bool counting, cut, timed_out;
};

/* Only measuring: the message's length plus the average of the rest of a line
 * is close enough (the sink cuts exactly). Returns false when it does not fit. */
static bool scan_count(sd_journal *j, struct emit_scan *e, usec_t t)
{
        const void *d;
        size_t l;
        uint64_t cost;

        if (sd_journal_get_data(j, "MESSAGE", &d, &l) < 0)
                l = 8;
        cost = l - MIN(l, (size_t) 8) + 1 + (e->n_kept > 0 ? e->overhead / e->n_kept : 64) +
               8; /* a margin */
        if (e->kept + cost > e->budget) {
                e->cut = true;
                return false;
        }
        e->kept += cost;
        e->start_t = t;
        e->n_counted++;
        return true;
}

/* One entry, buffered while the buffer has room. 1: go on, 0: stop, -errno. */
static int scan_keep(struct journal_state *s, struct collect_ctx *ctx, struct emit_scan *e,
                     usec_t t)
{
        int r;

        r = entry_load(s->j, &s->entry);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 1; /* a corrupt entry: skip it */
        r = format_entry(s, &s->entry);
        if (r < 0)
                return r;
        if (e->kept + line_cost(s) > e->budget) {
                e->cut = true;
                return 0;
        }
        e->kept += line_cost(s);
        r = rev_push(s, t, meta_priority(&s->entry), meta_unit(&s->entry));
        if (r == 0) {
                e->n_kept++;
                e->overhead += s->line_len - MIN(s->line_len, s->entry.f[JF_MESSAGE].len);
                return 1;
        }
        if (r != -E2BIG)
                return r;
        /* Buffer full: from here on only measure, remembering the newest entry
         * that is not buffered. */
        e->counting = true;
        r = sd_journal_get_cursor(s->j, &e->boundary);
        if (r < 0)
                return clog_error_errno(ctx, r, "getting a journal cursor: %m");
        e->boundary_t = t;
        e->start_t = t;
        e->n_counted++;
        return 1;
}

static int scan_backward(struct journal_state *s, struct collect_ctx *ctx, struct emit_scan *e)
{
        usec_t since = ctx_since(ctx), until = ctx_until(ctx);
        sd_journal *j = s->j;
        int r;

        for (uint64_t n = 0;; n++) {
                usec_t t;

                if (n % CHECK_DEADLINE_EVERY == 0 && n > 0 && ctx_expired(ctx)) {
                        e->timed_out = true;
                        return 0;
                }
                journal_trim(s, n);
                r = sd_journal_previous(j);
                if (r < 0)
                        return clog_error_errno(ctx, r, "reading the journal: %m");
                if (r == 0)
                        return 0;
                if (sd_journal_get_realtime_usec(j, &t) < 0 || t > until)
                        continue;
                if (t < since)
                        return 0;
                if (e->counting) {
                        if (!scan_count(j, e, t))
                                return 0;
                        continue;
                }
                r = scan_keep(s, ctx, e, t);
                if (r <= 0)
                        return r;
        }
}

/* Forward over the measured part, up to and including the boundary entry. */
static int replay_counted(struct journal_state *s, struct collect_ctx *ctx,
                          struct sink_stream *st, const struct emit_scan *e)
{
        sd_journal *j = s->j;
        int r;

        r = sd_journal_seek_realtime_usec(j, e->start_t);
        if (r < 0)
                return r;
        for (uint64_t n = 1;; n++) {
                usec_t t;

                journal_trim(s, n);
                if (sd_journal_next(j) <= 0)
                        return 0; /* the end (a read error keeps what was written) */
                if (sd_journal_get_realtime_usec(j, &t) < 0 || t < ctx_since(ctx))
                        continue;
                if (t > e->boundary_t)
                        return 0;
                if (entry_load(j, &s->entry) < 0)
                        continue;
                r = format_entry(s, &s->entry);
                if (r < 0)
                        return r;
                r = write_text(st, t, meta_priority(&s->entry), meta_unit(&s->entry), s->line,
                               s->line_len);
                if (r < 0)
                        return r;
                if (t == e->boundary_t && sd_journal_test_cursor(j, e->boundary) > 0)
                        return 0;
        }
}

/*
 * Writes one member: the entries of the window that match, newest kept within
 * budget bytes, in chronological order.
 */
static int emit_member(struct journal_state *s, struct collect_ctx *ctx, struct sink *sink,
                       const char *name, const char *source, match_fn matches, const void *arg,
                       uint64_t budget)
{
        sd_journal *j = s->j;
        usec_t until = ctx_until(ctx);
        struct emit_scan e = { .budget = budget };
        struct sink_stream *st = NULL;
        int r;

        sd_journal_flush_matches(j);
        r = matches(j, arg);
        if (r < 0)
                return clog_error_errno(ctx, r, "adding journal matches for %s: %m", name);

        s->rev_len = 0;
        if (until == 0 || until >= USEC_INFINITY - 1)
                r = sd_journal_seek_tail(j);
        else
                r = sd_journal_seek_realtime_usec(j, until + 1);
        if (r < 0)
                return clog_error_errno(ctx, r, "seeking the journal: %m");
        r = scan_backward(s, ctx, &e);
        if (r < 0)
                goto out;
        r = sink_open_stream(sink, name, source, SINK_KEEP_TAIL | SINK_SCAN_ERRORS, &st);
        if (r < 0) {
                r = clog_error_errno(ctx, r, "opening %s: %m", name);
                goto out;
        }
        if (e.counting)
                r = replay_counted(s, ctx, st, &e);
        if (r >= 0)
                r = rev_replay(s, st);
        if (r < 0) {
                (void) sink_stream_close(st, r != -ENOSPC);
                r = r == -ENOSPC ? 0 : r;
                goto out;
        }
        if (e.cut) {
                char buf[32];
                sink_stream_note(st, "journal window cut by the budget (%" PRIu64
                                 " bytes): kept the newest %" PRIu64 " entries, from %s",
                                 budget, e.n_kept + e.n_counted,
                                 format_time(buf, sizeof(buf),
                                             e.counting ? e.start_t : s->entry.t));
                sink_mark_partial(sink);
        }
        if (e.timed_out) {
                sink_stream_note(
                        st, "deadline reached while reading the journal: older entries missing");
                sink_mark_partial(sink);
        }
        r = sink_stream_close(st, false);
out:
        free(e.boundary);
        return r;
}

/*
 * Every entry of the selected units, in one forward pass over the window,
 * each written to its unit's file (an entry naming a unit in UNIT= or
 * COREDUMP_UNIT= goes to that unit's file too). One pass instead of one per
 * unit, and without sd-journal matches (an OR of many of them makes every step
 * a search): the window is read once, in order, and its pages are touched
 * once. Each file keeps its newest part within per_unit bytes.
 */
static int emit_units(struct journal_state *s, struct collect_ctx *ctx, struct sink *sink,
                      uint64_t per_unit)
{
        static const int unit_fields[] = { JF_SYSTEMD_UNIT, JF_UNIT, JF_COREDUMP_UNIT,
                                           JF_USER_UNIT };
        size_t n = strv_length(s->units);
        _cleanup_free_ struct sink_stream **st = NULL;
        usec_t since = ctx_since(ctx), until = ctx_until(ctx);
        bool timed_out = false;
        int r = 0;

        if (n == 0)
                return 0;
        st = xcalloc(n, sizeof(*st));
        if (!st)
                return -ENOMEM;
        sd_journal_flush_matches(s->j);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *name = xasprintf("logs/journal/units/%s.log", s->units[i]);
                _cleanup_free_ char *source = xasprintf("journal:%s", s->units[i]);

                if (!name || !source) {
                        r = -ENOMEM;
                        goto finish;
                }
                r = sink_open_stream(sink, name, source, SINK_KEEP_TAIL | SINK_SCAN_ERRORS,
                                     &st[i]);
                if (r < 0) {
                        clog_error_errno(ctx, r, "opening %s: %m", name);
                        goto finish;
                }
                sink_stream_set_limit(st[i], per_unit);
        }
        r = sd_journal_seek_realtime_usec(s->j, since);
        if (r < 0)
                goto finish;
        for (uint64_t k = 1;; k++) {
                usec_t t;

                if (k % CHECK_DEADLINE_EVERY == 0 && ctx_expired(ctx)) {
                        timed_out = true;
                        break;
                }
                journal_trim(s, k);
                r = sd_journal_next(s->j);
                if (r <= 0)
                        break;
                if (sd_journal_get_realtime_usec(s->j, &t) < 0 || t < since)
                        continue;
                if (t > until)
                        break;
                r = entry_load(s->j, &s->entry);
                if (r == -ENOMEM)
                        goto finish;
                if (r < 0)
                        continue; /* a corrupt entry: skip it */
                r = format_entry(s, &s->entry);
                if (r < 0)
                        goto finish;
                for (size_t i = 0; i < n; i++) {
                        bool mine = false;

                        for (size_t f = 0; f < ELEMENTSOF(unit_fields) && !mine; f++) {
                                const char *v = journal_entry_get(&s->entry, unit_fields[f]);

                                mine = v && streq(v, s->units[i]);
                        }
                        if (!mine)
                                continue;
                        r = write_text(st[i], t, meta_priority(&s->entry), meta_unit(&s->entry),
                                       s->line, s->line_len);
                        if (r < 0 && r != -ENOSPC)
                                goto finish;
                }
        }
        r = r < 0 ? r : 0;
finish:
        for (size_t i = 0; i < n; i++) {
                if (!st[i])
                        continue;
                if (timed_out)
                        sink_stream_note(st[i], "deadline reached while reading the journal: "
                                                "newer entries missing");
                (void) sink_stream_close(st[i], false);
        }
        if (timed_out)
                sink_mark_partial(sink);
        return r;
}

/* ---- the scan: findings and the units that deserve their own file ---- */

static int match_scan(sd_journal *j, const void *arg)
{
        static const char *const more[] = {
                "SYSLOG_IDENTIFIER=systemd", "SYSLOG_IDENTIFIER=systemd-oomd", "_TRANSPORT=kernel",
                COREDUMP_MATCH,
        };
        int r = match_priority(j, arg);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(more); i++) {
                r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = sd_journal_add_match(j, more[i], 0);
        }
        return r;
}

static bool unit_name_ok(const char *u)
{
        return !isempty(u) && u[0] != '.' && !strchr(u, '/') && strlen(u) < 200 &&
               !streq(u, "init.scope");
}

static int add_unit(struct journal_state *s, const char *u)
{
        if (!unit_name_ok(u) || strv_contains(s->units, u))
                return 0;
        if (strv_length(s->units) >= s->max_units) {
                s->units_dropped++;
                return 0;
        }
        return strv_extend(&s->units, u);
}

static int scan_window(struct journal_state *s, struct collect_ctx *ctx)
{
        usec_t since = ctx_since(ctx), until = ctx_until(ctx);
        int r;

        sd_journal_flush_matches(s->j);
        r = match_scan(s->j, &s->unit_priority);
        if (r < 0)
                return r;
        r = sd_journal_seek_realtime_usec(s->j, since);
        if (r < 0)
                return r;

        for (uint64_t n = 0;; n++) {
                struct journal_entry *e = &s->entry;
                const char *u, *ident, *msg;
                usec_t t;

                if (n % CHECK_DEADLINE_EVERY == 0 && n > 0 && ctx_expired(ctx))
                        return -ETIMEDOUT;
                journal_trim(s, n);
                r = sd_journal_next(s->j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (sd_journal_get_realtime_usec(s->j, &t) < 0 || t < since)
                        continue;
                if (t > until)
                        break;
                r = entry_load(s->j, e);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;

                journal_findings_scan(&s->findings, e);

                u = journal_entry_unit(e);
                if (!u)
                        continue;
                ident = journal_entry_get(e, JF_IDENTIFIER);
                msg = journal_entry_get(e, JF_MESSAGE) ?: "";
                if (ident && streq(ident, "systemd") &&
                    (strstr(msg, "Failed with result") || strstr(msg, "code=dumped") ||
                     strstr(msg, "Scheduled restart job")))
                        r = add_unit(s, u);
                else if (e->priority >= 0 && (uint64_t) e->priority <= s->unit_priority)
                        r = add_unit(s, u);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static void emit_findings(struct journal_state *s, struct sink *sink)
{
        struct journal_findings *jf = &s->findings;

        for (size_t i = 0; i < jf->n_records; i++) {
                struct journal_record *rec = &jf->records[i];
                struct finding f = {
                        .kind = rec->kind,
                        .subject = rec->subject,
                        .count = rec->count,
                        .first = rec->first,
                        .last = rec->last,
                        .detail = rec->detail,
                };

                if (rec->kind == JOURNAL_KIND_DUMPED) {
                        bool failed = false;
                        for (size_t k = 0; k < jf->n_records; k++)
                                if (jf->records[k].kind == FINDING_UNIT_FAILED &&
                                    streq(jf->records[k].subject, rec->subject))
                                        failed = true;
                        if (failed)
                                continue;
                        f.kind = FINDING_UNIT_FAILED;
                } else if (rec->kind == JOURNAL_KIND_OOM_LINE) {
                        if (jf->saw_killed_process)
                                continue;
                        f.kind = FINDING_OOM_KILL;
                }
                (void) sink_add_finding(sink, &f);
        }
        if (jf->dropped > 0)
                sink_note(sink, "%" PRIu64 " journal findings not recorded (table full)",
                          jf->dropped);
}

/* ---- the collector ---- */

static bool is_dir(const char *p)
{
        struct stat st;
        return stat(p, &st) >= 0 && S_ISDIR(st.st_mode);
}

static int journal_probe(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        struct journal_state *s = state;
        const char *dir = ctx_journal_dir(ctx);

        if (dir) {
                if (!is_dir(dir)) {
                        sink_note(sink, "journal directory %s does not exist", dir);
                        return 0;
                }
                s->dir = xstrdup(dir);
                return s->dir ? 1 : -ENOMEM;
        }
        if (ctx_is_live(ctx))
                return 1;

        static const char *const candidates[] = { "var/log/journal", "run/log/journal" };
        const char *root = ctx_root(ctx);
        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", root, candidates[i]);
                if (!p)
                        return -ENOMEM;
                if (is_dir(p)) {
                        s->dir = TAKE_PTR(p);
                        return 1;
                }
        }
        sink_note(sink, "no journal under %s (var/log/journal, run/log/journal)", root);
        return 0;
}

static int journal_init(void *state, struct collect_ctx *ctx)
{
        struct journal_state *s = state;

        if (s->max_priority > 7 || s->unit_priority > 7) {
                clog_error(ctx, "max_priority and unit_priority must be between 0 and 7");
                return -EINVAL;
        }
        if (s->buffer_size < 64 * 1024)
                s->buffer_size = 64 * 1024;
        return 0;
}

static uint64_t share(struct collect_ctx *ctx, size_t remaining)
{
        uint64_t left = ctx_budget_left(ctx), file = ctx_file_budget(ctx);

        if (remaining > 1 && left != UINT64_MAX)
                left /= remaining;
        return MIN(left, file);
}

static int journal_collect(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        struct journal_state *s = state;
        size_t n_members, done = 0;
        int r, ret = 0;

        if (!s->dir && !ctx_is_live(ctx)) {
                r = journal_probe(s, ctx, sink);
                if (r <= 0)
                        return r < 0 ? r : -ENOENT;
        }
        s->rss_base = resident_file_bytes();
        r = journal_open(s);
        if (r < 0)
                return clog_error_errno(ctx, r, "opening the journal %s: %m", s->dir ?: "(system)");

        r = scan_window(s, ctx);
        if (r == -ETIMEDOUT) {
                sink_note(sink, "deadline reached while scanning the journal");
                sink_mark_partial(sink);
                return 0;
        }
        if (r < 0)
                return clog_error_errno(ctx, r, "scanning the journal: %m");
        if (s->units_dropped > 0)
                sink_note(sink,
                          "%" PRIu64 " more units had errors; only %" PRIu64 " got their own file",
                          s->units_dropped, s->max_units);

        n_members = 1 + strv_length(s->units) + (s->kernel ? 1 : 0);

        r = emit_member(s, ctx, sink, "logs/journal/warnings.log", "journal", match_priority,
                        &s->max_priority, share(ctx, n_members - done++));
        if (r < 0)
                ret = r;
        if (s->units && !ctx_expired(ctx)) {
                /* the units share what is left, less the kernel's part */
                size_t n_units = strv_length(s->units);
                uint64_t per_unit = share(ctx, n_members - done);

                r = emit_units(s, ctx, sink, per_unit);
                if (r < 0 && ret == 0)
                        ret = r;
                done += n_units;
        }
        if (s->kernel && !ctx_expired(ctx)) {
                r = emit_member(s, ctx, sink, "logs/journal/kernel.log", "journal:kernel",
                                match_kernel, NULL, share(ctx, n_members - done++));
                if (r < 0 && ret == 0)
                        ret = r;
        }

        emit_findings(s, sink);
        if (ctx_expired(ctx)) {
                sink_note(sink, "deadline reached: some journal members were not written");
                sink_mark_partial(sink);
        }
        return ret == -ENOMEM ? ret : 0;
}

static void journal_done(void *state)
{
        struct journal_state *s = state;

        if (s->j)
                sd_journal_close(s->j);
        s->j = NULL;
        journal_findings_done(&s->findings);
        s->units = strv_free(s->units);
        s->dir = mfree(s->dir);
        s->line = mfree(s->line);
        s->rev = mfree(s->rev);
        s->entry.scratch = mfree(s->entry.scratch);
}

static const struct collector_option journal_options[] = {
        { "max_priority", OPTION_U64, "4", offsetof(struct journal_state, max_priority),
          "entries at this priority or worse go to logs/journal/warnings.log (4 = warning)" },
        { "unit_priority", OPTION_U64, "3", offsetof(struct journal_state, unit_priority),
          "a unit with an entry at this priority or worse gets all its entries (3 = err)" },
        { "max_units", OPTION_U64, "32", offsetof(struct journal_state, max_units),
          "at most this many per-unit files under logs/journal/units/" },
        { "kernel", OPTION_BOOL, "yes", offsetof(struct journal_state, kernel),
          "write the kernel's messages to logs/journal/kernel.log" },
        { "buffer_size", OPTION_SIZE, "2M", offsetof(struct journal_state, buffer_size),
          "memory used to reverse the newest-first read (older entries are read twice)" },
        {}
};

static const struct collector_ops journal_ops = {
        .probe = journal_probe,
        .init = journal_init,
        .collect = journal_collect,
        .done = journal_done,
};

#endif /* HAVE_LIBSYSTEMD */

const struct collector collector_journal = {
        .name = "journal",
        .summary = "journal entries of the window: warnings, failing units, kernel; findings",
        .flags = COLLECTOR_READS_JOURNAL,
#ifdef HAVE_LIBSYSTEMD
        .state_size = sizeof(struct journal_state),
#endif
#ifdef HAVE_LIBSYSTEMD
        .options = journal_options,
        .ops = &journal_ops,
#endif
};
