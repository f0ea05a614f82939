/* SPDX-License-Identifier: MIT */
/*
 * The journal collector: entries of the window at warning priority or worse
 * (logs/journal/warnings.log), every entry of the units that had errors or
 * failed (logs/journal/units/<unit>.log) and the kernel's messages
 * (logs/journal/kernel.log), plus findings (failed units, restart loops, OOM
 * kills, segfaults, core dumps, kernel errors).
 *
 * The window is read twice, oldest first: a first pass over the entries that
 * can matter (warnings or worse, systemd's and the kernel's messages, core
 * dumps) gives the findings, the units that get a file of their own,
 * warnings.log and kernel.log; a second pass gives the units' entries. Members
 * are written forward and, when over budget, cut by the sink to their newest
 * part. Each pass reads on a thread of its own while the collector's thread
 * writes (see read_window_threaded()).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "coredump.h"
#include "fd-util.h"
#include "fnv.h"
#include "journal-open.h"
#include "journal-trim.h"
#include "journal.h"
#include "kernel-lines.h"
#include "keyset.h"
#include "scratch.h"
#include "sink.h"
#include "strv.h"
#include "testhook.h"
#include "thread-util.h"
#include "time-util.h"

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
        uint64_t buffer_size;  /* no longer used: members are written forward */
        bool parallel;         /* a large window's passes are read in two parts at once */
        uint64_t parallel_min; /* bytes of journal files from which it is (0: always) */

        /* runtime */
        char *dir;                /* journal directory, NULL: the live system journal */
        struct journal_trim trim; /* the journal's share of the resident set */
        bool units_matched;       /* the units pass asked the journal for their entries */
        struct reader *reader;    /* the pass being read, see read_window_threaded() */
        sd_journal *j;
        unsigned files;        /* the journal files of the window, 0: all (journal_open_window()) */
        usec_t part_since;     /* the part of the window this process reads (0: from its start) */
        usec_t part_until;     /* (0: to its end) */
        bool part_child;       /* this is a pass's second reader (a child process) */
        int part_cut;          /* a second reader failed while sending: -errno (noted) */
        uint64_t part_batches; /* the second readers' batches (the debug line) */
        uint64_t part_maxrss;  /* its peak resident set, KiB (the same) */
        char **unreadable;     /* journal files that could not be opened */
        char **units;
        struct keyset units_seen; /* every unit add_unit() was given (their names' keys) */
        uint64_t units_dropped;   /* of those, the ones past max_units, left without a file */
        uint64_t first_read;      /* entries the first pass read (the debug line) */
        struct journal_entry entry;
        struct journal_findings findings;
        struct kernel_lines klines; /* the first pass's, for the crash collector */

        /* the collector's thread's, apart from the reader's (struct reader) */
        char *line _alignas_(CACHE_LINE); /* the formatted current entry */
        size_t line_len;
        size_t line_alloc;
        time_t ts_sec; /* timestamp cache: seconds → "YYYY-MM-DDTHH:MM:SS" */
        char ts[32];
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
#define F(n, f)                     \
        {                           \
                n, sizeof(n) - 1, f \
        }
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
        F("_BOOT_ID", JF_BOOT_ID),
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

/* Loads the current entry, whose timestamp t the caller has read (each call
 * into sd-journal finds and checks the entry object again). */
static int entry_load(sd_journal *j, usec_t t, struct journal_entry *e)
{
        const void *data;
        size_t len;
        int r;

        e->t = t;
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

/* The length of the run of p without control characters (bytes below 0x20),
 * eight bytes at a time: a byte b < 0x20 (b < 0x80) is the one where
 * b - 0x20 borrows into its top bit while b's own top bit is clear. */
static size_t plain_run(const char *p, size_t len)
{
        const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                uint64_t x;

                memcpy(&x, p + i, 8);
                if (((x - 0x20 * ones) & ~x & high) != 0)
                        break;
        }
        while (i < len && (unsigned char) p[i] >= 0x20)
                i++;
        return i;
}

/* An entry's fields that its line shows; len NOT_SET: the field is absent. */
#define NOT_SET UINT32_MAX
enum { PART_HOST, PART_IDENT, PART_PID, PART_MESSAGE, _PART_MAX };

struct line_parts {
        usec_t t;
        int priority; /* -1 when absent */
        const char *p[_PART_MAX];
        uint32_t len[_PART_MAX];
};

static void part_add(struct journal_state *s, const struct line_parts *lp, int part,
                     const char *fallback)
{
        if (lp->len[part] != NOT_SET)
                line_add(s, lp->p[part], lp->len[part]);
        else
                line_add(s, fallback, strlen(fallback));
}

static size_t part_len(const struct line_parts *lp, int part)
{
        return lp->len[part] != NOT_SET ? lp->len[part] : 0;
}

/* "2026-11-27T10:00:00.123456+00:00 err host ident[pid]: message"; the
 * lines of a multi-line message follow, indented. On the collector's thread:
 * the reader hands the parts over (reader_emit()). */
static int format_entry(struct journal_state *s, const struct line_parts *lp)
{
        time_t sec = (time_t) (lp->t / USEC_PER_SEC);
        unsigned usec = (unsigned) (lp->t % USEC_PER_SEC);
        size_t need, msg_len = part_len(lp, PART_MESSAGE);
        const char *msg = lp->p[PART_MESSAGE];
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

        need = 64 + part_len(lp, PART_HOST) + part_len(lp, PART_IDENT) + part_len(lp, PART_PID) +
               msg_len * 5;
        s->line_len = 0;
        r = line_reserve(s, need);
        if (r < 0)
                return r;

        line_add(s, s->ts, strlen(s->ts));
        line_add(s, frac, 13);
        line_add(s, " ", 1);
        if (lp->priority >= 0)
                line_add(s, priority_names[lp->priority], strlen(priority_names[lp->priority]));
        else
                line_add(s, "-", 1);
        line_add(s, " ", 1);
        part_add(s, lp, PART_HOST, "localhost");
        line_add(s, " ", 1);
        part_add(s, lp, PART_IDENT, "unknown");
        if (lp->len[PART_PID] != NOT_SET) {
                line_add(s, "[", 1);
                part_add(s, lp, PART_PID, "");
                line_add(s, "]", 1);
        }
        line_add(s, ": ", 2);

        /* Trailing newlines dropped, inner ones become indented lines, other
         * control characters are made visible as spaces. */
        while (msg_len > 0 && (msg[msg_len - 1] == '\n' || msg[msg_len - 1] == '\r'))
                msg_len--;
        for (size_t i = 0; i < msg_len; i++) {
                unsigned char c;
                size_t plain = plain_run(msg + i, msg_len - i);

                line_add(s, msg + i, plain);
                i += plain;
                if (i >= msg_len)
                        break;
                c = (unsigned char) msg[i];
                if (c == '\n')
                        line_add(s, "\n    ", 5);
                else if (c == '\t')
                        line_add(s, "\t", 1);
                else
                        line_add(s, " ", 1);
        }
        s->line[s->line_len] = '\0';
        return 0;
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

/* The files of the window (include/journal-open.h); those that could not be
 * opened are kept in s->unreadable the first time. */
static usec_t read_since(const struct journal_state *s, struct collect_ctx *ctx)
{
        return s->part_since ?: ctx_since(ctx);
}

static usec_t read_until(const struct journal_state *s, struct collect_ctx *ctx)
{
        return s->part_until ?: ctx_until(ctx);
}

static int journal_open(struct journal_state *s, struct collect_ctx *ctx)
{
        int r;

        r = journal_open_window(&s->j, s->dir, read_since(s, ctx), read_until(s, ctx), &s->files,
                                s->unreadable ? NULL : &s->unreadable);
        if (r >= 0)
                (void) sd_journal_set_data_threshold(s->j, DATA_THRESHOLD);
        return r;
}

/*
 * A new handle for the units pass. The first pass's handle keeps the windows
 * its matches mapped all over the files, and where the kernel maps whole
 * large folios a step of the next pass touched several MiB of them again after
 * every drop (include/journal-trim.h): 2,100 drops instead of 90 for the
 * benchmark's 500,000 entries. Closing unmaps them all.
 */
static int journal_reopen(struct journal_state *s, struct collect_ctx *ctx)
{
        sd_journal_close(s->j);
        s->j = NULL;
        return journal_open(s, ctx);
}

/* ---- matches ---- */

/* The first pass: entries at max_priority or unit_priority or worse, systemd's
 * and systemd-oomd's own messages, the kernel's and core dumps; of these, only
 * the matches an entry of the files holds (journal_holds():
 * emergencies, alerts and critical messages, core dumps and systemd-oomd's
 * messages are rare). 0, or -ENODATA when the files hold none of them:
 * without a match sd-journal would give every entry. */
static int match_first_pass(struct journal_state *s)
{
        static const char *const more[] = {
                "SYSLOG_IDENTIFIER=systemd",
                "SYSLOG_IDENTIFIER=systemd-oomd",
                "_TRANSPORT=kernel",
                COREDUMP_MATCH,
        };
        static const char *const priorities[] = {
                "PRIORITY=0", "PRIORITY=1", "PRIORITY=2", "PRIORITY=3",
                "PRIORITY=4", "PRIORITY=5", "PRIORITY=6", "PRIORITY=7",
        };
        const char *m[ELEMENTSOF(priorities) + ELEMENTSOF(more)];
        uint64_t max = MIN(MAX(s->max_priority, s->unit_priority), 7);
        uint32_t held;
        size_t n = 0;
        int r;

        for (uint64_t p = 0; p <= max; p++)
                m[n++] = priorities[p];
        for (size_t i = 0; i < ELEMENTSOF(more); i++)
                m[n++] = more[i];
        r = journal_holds(s->j, m, n, &s->trim, &held);
        if (r >= 0)
                r = journal_add_matches(s->j, m, n, held);
        if (r < 0)
                return r;
        return r > 0 ? 0 : -ENODATA;
}

/* The fields that tie an entry to a unit's file (see units_pass()). */
static const int unit_fields[] = { JF_SYSTEMD_UNIT, JF_UNIT, JF_COREDUMP_UNIT, JF_USER_UNIT };
static const char *const unit_field_names[] = { "_SYSTEMD_UNIT", "UNIT", "COREDUMP_UNIT",
                                                "USER_UNIT" };

/* Entries naming one of the units in one of unit_fields: each field's values
 * OR'ed, the fields OR'ed. */
static int match_units(struct journal_state *s)
{
        int r = 0;

        sd_journal_flush_matches(s->j);
        for (size_t f = 0; r >= 0 && f < ELEMENTSOF(unit_field_names); f++) {
                if (f > 0)
                        r = sd_journal_add_disjunction(s->j);
                STRV_FOREACH(u, s->units) {
                        _cleanup_free_ char *m = NULL;

                        if (r < 0)
                                break;
                        m = xasprintf("%s=%s", unit_field_names[f], *u);
                        r = m ? sd_journal_add_match(s->j, m, 0) : -ENOMEM;
                }
        }
        return r;
}

/* ---- reading the window ---- */

typedef int (*entry_fn)(struct journal_state *s, void *userdata);

/*
 * Calls fn for every readable entry of the window that the current matches
 * select, from the current position on, oldest first, with the entry loaded
 * in s->entry; skip: the cursor of an entry already read, skipped if it comes
 * first (NULL: none). Returns 0 at the end of the window, -ETIMEDOUT at the
 * deadline, -errno, or what fn returned when it was not 0 (a positive value:
 * the caller goes on from the current entry).
 */
static int read_on(struct journal_state *s, struct collect_ctx *ctx, entry_fn fn, void *userdata,
                   const char *skip)
{
        usec_t since = read_since(s, ctx), until = read_until(s, ctx);
        int r;

        for (uint64_t n = 1;; n++) {
                usec_t t;

                if (n % CHECK_DEADLINE_EVERY == 0 && ctx_expired(ctx))
                        return -ETIMEDOUT;
                journal_trim_step(&s->trim);
                r = sd_journal_next(s->j);
                if (r <= 0)
                        return r;
                if (n == 1 && skip && sd_journal_test_cursor(s->j, skip) > 0)
                        continue;
                if (sd_journal_get_realtime_usec(s->j, &t) < 0 || t < since)
                        continue;
                if (t > until)
                        return 0;
                r = entry_load(s->j, t, &s->entry);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue; /* a corrupt entry: skip it */
                r = fn(s, userdata);
                if (r != 0)
                        return r;
        }
}

/* read_on() from the start of the window. */
static int read_window(struct journal_state *s, struct collect_ctx *ctx, entry_fn fn,
                       void *userdata)
{
        int r;

        /* the seek, and the first step after it, can map many MiB at once */
        journal_trim_burst(&s->trim);
        r = sd_journal_seek_realtime_usec(s->j, read_since(s, ctx));
        if (r < 0)
                return r;
        return read_on(s, ctx, fn, userdata, NULL);
}

/* ---- the reader thread ----
 * sd-journal (reading entries) and the sink (redaction, error extraction,
 * staging) each take about half of the work of a pass. A pass therefore runs
 * read_window() on a thread of its own, which hands the parts of the entries'
 * lines over in batches, two buffers taking turns, while the collector's thread
 * formats the lines and writes them to the members: on two CPUs the halves
 * overlap, and the reader, the longer half, does not format (about 5% of its
 * time). Until it is joined the thread owns s->j, s->entry, s->trim, the
 * findings and the list of units; the collector's thread owns s->line and the
 * timestamp cache. The reader calls no sink and logs nothing. */

#define BATCH_SIZE (32U * 1024U)
#define ALIGN8(x) (((x) + 7) & ~(size_t) 7)

/* One entry in a batch, followed by its stream indexes (uint32_t), the unit
 * (NUL-terminated) and the parts of its line (struct line_parts: host, ident,
 * pid, message, one after the other), padded to 8 bytes. The collector's
 * thread formats the line (format_entry()): the reader only copies. */
struct record {
        usec_t t;
        uint32_t size;
        int32_t priority;       /* the error extractor's (meta_priority()) */
        int32_t entry_priority; /* the line's (-1: none) */
        uint32_t n_streams;
        uint32_t unit_len;
        uint32_t len[_PART_MAX]; /* NOT_SET: absent */
};

/* Each on a cache line of its own (see struct reader). */
struct batch {
        char *buf;
        size_t len;
        size_t alloc;
} _alignas_(CACHE_LINE);

typedef int (*read_fn)(struct journal_state *s, struct collect_ctx *ctx, entry_fn fn,
                       void *userdata);

struct reader {
        struct journal_state *s;
        struct collect_ctx *ctx;
        read_fn read; /* read_window(), or the units pass's units_read() */
        entry_fn fn;
        void *userdata;
        struct sink_stream **streams; /* what the stream indexes refer to */
        size_t n_streams;             /* (checked in the second reader's batches) */
        uint64_t *written;            /* bytes given to each stream */
        bool threaded;
        struct scratch *spool; /* the second reader (a child process): batches are sealed there */
        uint64_t spooled, spool_max; /* bytes sealed, and at most */

        /* The two threads' shared state, under the lock, on lines of its
         * own: the reader writes its batch at every entry, and a line it
         * shares with what the collector's thread reads at every line
         * (the fields above, the other batch) moves between the CPUs each
         * time. */
        pthread_mutex_t lock _alignas_(CACHE_LINE);
        pthread_cond_t cond;
        bool full[2];  /* b[i] waits for the collector's thread */
        unsigned fill; /* the batch being filled */
        bool done;     /* read_window() returned r */
        bool stop;     /* the collector's thread failed: the reader stops */
        int r;
        struct batch b[2];
};

/* Writes the lines of a batch to their streams and empties it. */
static int batch_write(struct reader *rd, struct batch *b)
{
        struct journal_state *s = rd->s;
        struct sink_stream **streams = rd->streams;
        uint64_t *written = rd->written;
        size_t off = 0, len = b->len;
        int r = 0;

        while (off < len && r >= 0) {
                struct record h;
                struct line_parts lp;
                const uint32_t *idx;
                const char *unit, *p;

                memcpy(&h, b->buf + off, sizeof(h));
                idx = (const uint32_t *) (b->buf + off + sizeof(h));
                unit = (const char *) (idx + h.n_streams);
                p = unit + h.unit_len + 1;
                lp.t = h.t;
                lp.priority = h.entry_priority;
                for (int i = 0; i < _PART_MAX; i++) {
                        lp.p[i] = p;
                        lp.len[i] = h.len[i];
                        p += h.len[i] != NOT_SET ? h.len[i] : 0;
                }
                r = format_entry(s, &lp);
                for (uint32_t i = 0; i < h.n_streams && r >= 0; i++) {
                        r = write_text(streams[idx[i]], h.t, h.priority,
                                       h.unit_len > 0 ? unit : NULL, s->line, s->line_len);
                        if (r == -ENOSPC)
                                r = 0;
                        written[idx[i]] += s->line_len + 1;
                }
                off += h.size;
        }
        b->len = 0;
        return r;
}

/* The reader's batch is full or the window is done: it goes to the
 * collector's thread, and the reader waits for the other one to be free. */
static int batch_handover(struct reader *rd)
{
        bool stop;

        if (rd->spool) {
                struct batch *b = &rd->b[rd->fill];
                int r = 0;

                rd->spooled += b->len;
                if (rd->spooled > rd->spool_max)
                        r = -EFBIG; /* the parent reads the part itself */
                else if (b->len > 0)
                        r = scratch_append(rd->spool, b->buf, b->len);
                b->len = 0;
                return r;
        }
        if (!rd->threaded)
                return batch_write(rd, &rd->b[rd->fill]);
        pthread_mutex_lock(&rd->lock);
        rd->full[rd->fill] = true;
        pthread_cond_broadcast(&rd->cond);
        rd->fill ^= 1;
        while (rd->full[rd->fill] && !rd->stop)
                pthread_cond_wait(&rd->cond, &rd->lock);
        stop = rd->stop;
        pthread_mutex_unlock(&rd->lock);
        return stop ? -ECANCELED : 0;
}

/* Called by the passes' entry functions: the current entry goes to the
 * streams idx[0..n), as the parts of its line. */
static int reader_emit(struct journal_state *s, const uint32_t *idx, size_t n)
{
        static const int part_fields[_PART_MAX][2] = {
                [PART_HOST] = { JF_HOSTNAME, JF_HOSTNAME },
                [PART_IDENT] = { JF_IDENTIFIER, JF_COMM },
                [PART_PID] = { JF_PID, JF_SYSLOG_PID },
                [PART_MESSAGE] = { JF_MESSAGE, JF_MESSAGE },
        };
        const struct journal_entry *e = &s->entry;
        struct reader *rd = s->reader;
        const char *unit = meta_unit(e);
        const char *part[_PART_MAX];
        struct record h = {
                .t = e->t,
                .priority = meta_priority(e),
                .entry_priority = e->priority,
                .n_streams = (uint32_t) n,
                .unit_len = unit ? (uint32_t) strlen(unit) : 0,
        };
        size_t size = sizeof(h) + n * sizeof(uint32_t) + h.unit_len + 1;
        struct batch *b = &rd->b[rd->fill];
        char *p;
        int r;

        if (n == 0)
                return 0;
        for (int i = 0; i < _PART_MAX; i++) {
                int f = e->f[part_fields[i][0]].set ? part_fields[i][0] : part_fields[i][1];

                h.len[i] = e->f[f].set ? (uint32_t) e->f[f].len : NOT_SET;
                part[i] = e->f[f].set ? e->scratch + e->f[f].off : NULL;
                size += e->f[f].set ? e->f[f].len : 0;
        }
        size = ALIGN8(size);
        if (b->len > 0 && b->len + size > BATCH_SIZE) {
                r = batch_handover(rd);
                if (r < 0)
                        return r;
                b = &rd->b[rd->fill];
        }
        if (b->len + size > b->alloc) {
                size_t a = MAX(b->len + size, (size_t) BATCH_SIZE);

                p = xrealloc(b->buf, a);
                if (!p)
                        return -ENOMEM;
                b->buf = p;
                b->alloc = a;
        }
        h.size = (uint32_t) size;
        p = b->buf + b->len;
        memcpy(p, &h, sizeof(h));
        p += sizeof(h);
        memcpy(p, idx, n * sizeof(uint32_t));
        p += n * sizeof(uint32_t);
        if (h.unit_len > 0)
                memcpy(p, unit, h.unit_len);
        p[h.unit_len] = '\0';
        p += h.unit_len + 1;
        for (int i = 0; i < _PART_MAX; i++)
                if (part[i]) {
                        memcpy(p, part[i], h.len[i]);
                        p += h.len[i];
                }
        b->len += size;
        return 0;
}

static void *reader_main(void *userdata)
{
        struct reader *rd = userdata;
        int r, k;

        r = rd->read(rd->s, rd->ctx, rd->fn, rd->userdata);
        k = batch_handover(rd);
        if (r >= 0 && k < 0)
                r = k;
        if (rd->threaded) {
                pthread_mutex_lock(&rd->lock);
                rd->done = true;
                rd->r = r;
                pthread_cond_broadcast(&rd->cond);
                pthread_mutex_unlock(&rd->lock);
        } else {
                rd->r = r;
        }
        return NULL;
}

/* The collector's side: writes the batches as they come, until the reader is done. */
static int reader_drain(struct reader *rd)
{
        unsigned take = 0;
        int r = 0;

        for (;;) {
                pthread_mutex_lock(&rd->lock);
                while (!rd->full[take] && !rd->done)
                        pthread_cond_wait(&rd->cond, &rd->lock);
                if (!rd->full[take]) {
                        pthread_mutex_unlock(&rd->lock);
                        return 0;
                }
                pthread_mutex_unlock(&rd->lock);

                r = batch_write(rd, &rd->b[take]);

                pthread_mutex_lock(&rd->lock);
                rd->full[take] = false;
                if (r < 0)
                        rd->stop = true;
                pthread_cond_broadcast(&rd->cond);
                pthread_mutex_unlock(&rd->lock);
                if (r < 0)
                        return r;
                take ^= 1;
        }
}

/*
 * One pass over the window: read (read_window() or units_read()) calls fn
 * for each entry on the reader thread, and fn sends lines with reader_emit()
 * to streams[]; written[] counts the bytes each stream was given. Returns like
 * read_window(), or the first error writing a member.
 */
static int read_window_threaded(struct journal_state *s, struct collect_ctx *ctx, read_fn read,
                                entry_fn fn, void *userdata, struct sink_stream **streams,
                                uint64_t *written)
{
        struct reader rd = {
                .s = s,
                .ctx = ctx,
                .read = read,
                .fn = fn,
                .userdata = userdata,
                .streams = streams,
                .written = written,
                .threaded = true,
        };
        pthread_t thread;
        int r, w;

        s->reader = &rd;
        pthread_mutex_init(&rd.lock, NULL);
        pthread_cond_init(&rd.cond, NULL);
        r = thread_start(&thread, 0, reader_main, &rd);
        if (r < 0) {
                rd.threaded = false; /* read and write in turn */
                reader_main(&rd);
                w = 0;
        } else {
                w = reader_drain(&rd);
                pthread_join(thread, NULL);
        }
        r = w < 0 ? w : rd.r;
        pthread_cond_destroy(&rd.cond);
        pthread_mutex_destroy(&rd.lock);
        free(rd.b[0].buf);
        free(rd.b[1].buf);
        s->reader = NULL;
        return r;
}

/* ---- members ----
 * Written forward, oldest first: when a member is over its budget the sink
 * keeps its newest part (SINK_KEEP_TAIL), from a line start. */

struct member {
        struct sink_stream *st;
        uint64_t written; /* bytes given to the stream */
};

static int member_open(struct collect_ctx *ctx, struct sink *sink, const char *name,
                       const char *source, struct member *ret)
{
        int r;

        ret->written = 0;
        r = sink_open_stream(sink, name, source, SINK_KEEP_TAIL | SINK_SCAN_ERRORS, &ret->st);
        if (r < 0)
                return clog_error_errno(ctx, r, "opening %s: %m", name);
        return 0;
}

/* Completes the member within limit bytes (abandoned after an error). */
static int member_close(struct member *m, struct sink *sink, uint64_t limit, bool timed_out,
                        bool abandon)
{
        int r;

        if (!m->st)
                return 0;
        if (!abandon) {
                sink_stream_set_limit(m->st, limit);
                if (m->written > limit) {
                        sink_stream_note(m->st,
                                         "journal window cut by the budget (%" PRIu64
                                         " bytes): kept the newest entries",
                                         limit);
                        sink_mark_partial(sink);
                }
                if (timed_out) {
                        sink_stream_note(m->st, "deadline reached while reading the journal: "
                                                "newer entries missing");
                        sink_mark_partial(sink);
                }
        }
        r = sink_stream_close(m->st, abandon);
        m->st = NULL;
        return r;
}

/* ---- the first pass: findings, the units that deserve their own file,
 * warnings.log and kernel.log ---- */

struct first_pass {
        struct member warnings;
        struct member kernel;
};

/* The first pass's streams, in read_window_threaded()'s terms. */
enum { FIRST_PASS_WARNINGS, FIRST_PASS_KERNEL, _FIRST_PASS_MAX };

static bool unit_name_ok(const char *u)
{
        return !isempty(u) && u[0] != '.' && !strchr(u, '/') && strlen(u) < 200 &&
               !streq(u, "init.scope");
}

/* The first time a unit is named: it gets a file, or is counted as left
 * without one past max_units. */
static int add_unit(struct journal_state *s, const char *u)
{
        int r;

        if (!unit_name_ok(u))
                return 0;
        r = keyset_add(&s->units_seen, keyset_key(u, strlen(u), 0));
        if (r <= 0)
                return r;
        if (strv_length(s->units) >= s->max_units) {
                s->units_dropped++;
                return 0;
        }
        return strv_extend(&s->units, u);
}

/* Whether the entry gives its unit a file of its own: an error, or systemd
 * saying the unit failed, dumped core or is restarted. */
static bool unit_wanted(const struct journal_state *s, const struct journal_entry *e)
{
        const char *ident = journal_entry_get(e, JF_IDENTIFIER);
        const char *msg = journal_entry_get(e, JF_MESSAGE) ?: "";

        if (ident && streq(ident, "systemd") &&
            (strstr(msg, "Failed with result") || strstr(msg, "code=dumped") ||
             strstr(msg, "Scheduled restart job")))
                return true;
        return e->priority >= 0 && (uint64_t) e->priority <= s->unit_priority;
}

static int first_pass_entry(struct journal_state *s, void *userdata)
{
        struct first_pass *fp = userdata;
        const struct journal_entry *e = &s->entry;
        const char *transport = journal_entry_get(e, JF_TRANSPORT);
        const char *u = journal_entry_unit(e);
        bool warning = e->priority >= 0 && (uint64_t) e->priority <= s->max_priority;
        bool from_kernel = transport && streq(transport, "kernel");
        bool kernel = fp->kernel.st && from_kernel;
        int r;

        s->first_read++;
        journal_findings_scan(&s->findings, e);
        if (from_kernel && journal_entry_get(e, JF_MESSAGE)) {
                /* a second reader keeps its part's first lines: they may
                 * follow a headline of the first part */
                r = kernel_lines_take(&s->klines, e->t, journal_entry_get(e, JF_BOOT_ID),
                                      journal_entry_get(e, JF_MESSAGE),
                                      s->part_child && e->t <= s->part_since + KERNEL_TRACE_SPAN);
                if (r < 0)
                        return r;
        }
        if (u && unit_wanted(s, e)) {
                r = add_unit(s, u);
                if (r < 0)
                        return r;
        }
        if (!warning && !kernel)
                return 0;
        uint32_t idx[2];
        size_t n = 0;

        if (warning)
                idx[n++] = FIRST_PASS_WARNINGS;
        if (kernel)
                idx[n++] = FIRST_PASS_KERNEL;
        return reader_emit(s, idx, n);
}

/* ---- the units pass ---- */

/*
 * Whether matches on the units pay: the units pass reads every entry from the
 * start of the window, and when the first UNITS_SAMPLE entries show the units'
 * to be less than one in UNITS_MATCH_SHARE, it asks the journal for the rest
 * of theirs (matches on the unit fields), from the entry after the last one
 * read. Measured on a million-entry journal, a step of an OR of unit matches
 * costs about four times the reading of an entry. The sample costs no seek of
 * its own (a seek bisects the entry arrays of every journal file and can map
 * several MiB at once).
 */
#define UNITS_SAMPLE 256U
#define UNITS_MATCH_SHARE 8U
#define UNITS_SWITCH 1 /* units_pass_entry(): go on through matches */

struct units_pass {
        size_t n;        /* units */
        uint32_t *idx;   /* the units of the current entry */
        uint64_t *hash;  /* of each unit's name (name_hash()) */
        size_t *len;     /* of each unit's name */
        unsigned seen;   /* entries of the sample read */
        unsigned theirs; /* those of the units */
        bool sampled;    /* the sample is complete */
};

/* Counts the entry into the sample; UNITS_SWITCH when the sample is complete
 * and says to go on through matches. */
static int units_sample(struct units_pass *up, bool theirs)
{
        if (up->sampled)
                return 0;
        up->seen++;
        up->theirs += theirs;
        if (up->seen < UNITS_SAMPLE)
                return 0;
        up->sampled = true;
        return up->theirs * UNITS_MATCH_SHARE < up->seen ? UNITS_SWITCH : 0;
}

/* A unit name's hash: the units pass compares a name with every unit's only
 * where length and hash agree (it runs for every entry of the window). */
static uint64_t name_hash(const char *p, size_t len)
{
        return fnv1a64(p, len, FNV1A64_INIT);
}

/* The entry goes to the file of every unit it names (an entry naming a unit in
 * UNIT= or COREDUMP_UNIT= goes to that unit's file too). */
static int units_pass_entry(struct journal_state *s, void *userdata)
{
        struct units_pass *up = userdata;
        const char *v[ELEMENTSOF(unit_fields)];
        size_t len[ELEMENTSOF(unit_fields)];
        uint64_t h[ELEMENTSOF(unit_fields)];
        bool any = false;
        size_t n = 0;
        int r;

        for (size_t f = 0; f < ELEMENTSOF(unit_fields); f++) {
                v[f] = journal_entry_get(&s->entry, unit_fields[f]);
                if (v[f]) {
                        len[f] = strlen(v[f]); /* as streq() would see it */
                        h[f] = name_hash(v[f], len[f]);
                        any = true;
                }
        }
        for (size_t i = 0; any && i < up->n; i++) {
                bool mine = false;

                for (size_t f = 0; f < ELEMENTSOF(unit_fields) && !mine; f++)
                        mine = v[f] && len[f] == up->len[i] && h[f] == up->hash[i] &&
                               memcmp(v[f], s->units[i], len[f]) == 0;
                if (mine)
                        up->idx[n++] = (uint32_t) i;
        }
        if (n > 0) {
                r = reader_emit(s, up->idx, n);
                if (r < 0)
                        return r;
        }
        return units_sample(up, n > 0);
}

/* The units pass's read (on the reader thread): every entry of the window, or
 * after the sample through matches (see UNITS_SAMPLE). */
static int units_read(struct journal_state *s, struct collect_ctx *ctx, entry_fn fn, void *userdata)
{
        _cleanup_free_ char *cursor = NULL;
        int r;

        r = read_window(s, ctx, fn, userdata);
        if (r != UNITS_SWITCH)
                return r;
        r = sd_journal_get_cursor(s->j, &cursor);
        if (r >= 0)
                r = match_units(s);
        if (r < 0)
                return r;
        s->units_matched = true;
        s->trim.every_max = JOURNAL_TRIM_EVERY_SPARSE;
        journal_trim_burst(&s->trim);
        r = sd_journal_seek_cursor(s->j, cursor);
        if (r < 0)
                return r;
        return read_on(s, ctx, fn, userdata, cursor);
}

/* ---- a pass's second reader ----
 * On two CPUs or more a large window is read by two readers at once: the
 * reader thread reads its first part, a child process the rest. A process,
 * not a second thread: libsystemd 252 does a locked compare-and-swap on one
 * global at every call (getpid_cached()), and two readers' threads in one
 * process were slower together than one alone (mapping and dropping the
 * journal's pages in one address space also costs both CPUs a TLB
 * shoot-down each time). The child's batches are the same records as the
 * reader thread's, not yet redacted: it seals them in a scratch file (include/
 * scratch.h) as it reads, and once this process has written the first part
 * it sends them back in order through a pipe, so that every member gets the
 * same lines in the same order as from one reader. After the first pass's
 * batches come the units it found wanted and its findings, in the order it
 * found them, which this process adds after its own (the same list, order
 * and counts as one reader's). The child touches nothing of this process's
 * but its copy of the state, calls no sink and logs nothing; it dies with
 * this process (PR_SET_PDEATHSIG). If it fails before its first frame, or has
 * not said it started (ALIVE) 10 s after the fork, this process reads its part
 * itself; if it fails while sending, what came is kept and the loss noted.
 * A stop signal to this process alone stops the wait (the child dies with
 * it, or is killed). The cut is a time: a clock stepped back across it loses
 * the entries written after the step with times before the cut (README
 * "Performance"). */

enum {
        PART_FRAME_ALIVE = 1, /* the child has started: its journal is open */
        PART_FRAME_BATCH,
        PART_FRAME_UNIT,
        PART_FRAME_RECORD,
        PART_FRAME_KLINE,
        PART_FRAME_END,
};

#define PART_FRAME_MAX (256U << 20)   /* a batch: one entry of any size at least */
#define PART_SPOOL_MAX (1ULL << 30)   /* sealed bytes, with no budget to bound them */
#define PART_GRACE (5 * USEC_PER_SEC) /* the child checks the deadline itself */
#define PART_FIRST_WAIT (10 * USEC_PER_SEC)

struct part_frame {
        uint32_t kind;
        uint32_t len;
};

struct part_end {
        int32_t r;
        uint32_t units_matched;
        uint32_t saw_killed_process;
        uint32_t kernel_overflow;
        uint64_t first_read;
        uint64_t trims, madvise_calls;
};

/* A finding record: then its subject and its detail. */
struct part_record {
        uint32_t kind;
        uint32_t subject_len;
        uint32_t detail_len; /* UINT32_MAX: none */
        uint64_t count;
        usec_t first, last;
};

/* A pass's reading, as the child does it. */
struct part_job {
        read_fn read;
        entry_fn fn;
        void *userdata;
        size_t n_streams; /* what the batches' stream indexes refer to */
        bool first_pass;  /* with the first pass's matches; sends units and findings */
};

struct part {
        pid_t pid;       /* the child, 0: none */
        int fd;          /* its frames */
        usec_t from;     /* it reads [from, the window's end] */
        usec_t started;  /* CLOCK_MONOTONIC */
        usec_t first_by; /* its first frame is awaited until then (0: no limit), see part_finish() */
        uint64_t batches; /* of its batches written */
        uint64_t frames;  /* of its frames taken (units, findings, lines too) */
        uint64_t maxrss;  /* its peak resident set, KiB, once reaped */
};

/* A frame of n pieces (a header and its strings): written one after the other. */
struct piece {
        const void *p;
        size_t len;
};

static int part_write_pieces(int fd, uint32_t kind, const struct piece *v, size_t n)
{
        struct part_frame f = { .kind = kind };
        int r;

        for (size_t i = 0; i < n; i++)
                f.len += (uint32_t) v[i].len;
        r = loop_write(fd, &f, sizeof(f));
        for (size_t i = 0; i < n && r >= 0; i++)
                if (v[i].len > 0)
                        r = loop_write(fd, v[i].p, v[i].len);
        return r;
}

static int part_write_frame(int fd, uint32_t kind, const void *p, size_t len)
{
        return part_write_pieces(fd, kind, &(struct piece) { p, len }, 1);
}

/* The child's sealed batches, in order, through the pipe. */
static int part_send(struct scratch *sc, int out)
{
        _cleanup_free_ char *buf = NULL;
        size_t alloc = 0, len;
        int r;

        while ((r = scratch_next(sc, &buf, &alloc, &len)) > 0) {
                r = part_write_frame(out, PART_FRAME_BATCH, buf, len);
                if (r < 0)
                        return r;
        }
        return r;
}

/* The first pass's units and findings, in the order the child found them. */
static int part_send_found(struct journal_state *s, int out)
{
        struct journal_findings *jf = &s->findings;
        int r = 0;

        STRV_FOREACH(u, s->units) {
                r = part_write_frame(out, PART_FRAME_UNIT, *u, strlen(*u));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < jf->n_records; i++) {
                const struct journal_record *rec = &jf->records[i];
                struct part_record h = {
                        .kind = (uint32_t) rec->kind,
                        .subject_len = (uint32_t) strlen(rec->subject),
                        .detail_len = rec->detail ? (uint32_t) strlen(rec->detail) : UINT32_MAX,
                        .count = rec->count,
                        .first = rec->first,
                        .last = rec->last,
                };
                const struct piece v[] = {
                        { &h, sizeof(h) },
                        { rec->subject, h.subject_len },
                        { rec->detail, rec->detail ? h.detail_len : 0 },
                };

                r = part_write_pieces(out, PART_FRAME_RECORD, v, ELEMENTSOF(v));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A kept kernel line: its time, the lengths of its boot ID and message, then
 * both. */
struct part_kline {
        usec_t t;
        uint32_t boot_len; /* UINT32_MAX: none */
        uint32_t msg_len;
};

static int part_send_klines(const struct kernel_lines *kl, int out)
{
        for (size_t i = 0; i < kl->n; i++) {
                const struct kernel_line *l = &kl->v[i];
                struct part_kline h = {
                        .t = l->t,
                        .boot_len = l->boot_id ? (uint32_t) strlen(l->boot_id) : UINT32_MAX,
                        .msg_len = (uint32_t) strlen(l->msg),
                };
                const struct piece v[] = {
                        { &h, sizeof(h) },
                        { l->boot_id, l->boot_id ? h.boot_len : 0 },
                        { l->msg, h.msg_len },
                };
                int r = part_write_pieces(out, PART_FRAME_KLINE, v, ELEMENTSOF(v));

                if (r < 0)
                        return r;
        }
        return 0;
}

/* A kernel line of the child's, after this process's (judged by this
 * process's latest headline, as one reader would have). */
static int part_take_kline(struct journal_state *s, const char *buf, size_t len)
{
        _cleanup_free_ char *boot = NULL, *msg = NULL;
        struct part_kline h;
        size_t nb;

        if (len < sizeof(h))
                return -EBADMSG;
        memcpy(&h, buf, sizeof(h));
        nb = h.boot_len == UINT32_MAX ? 0 : h.boot_len;
        if (sizeof(h) + (uint64_t) nb + h.msg_len != len)
                return -EBADMSG;
        boot = h.boot_len == UINT32_MAX ? NULL : xstrndup(buf + sizeof(h), nb);
        msg = xstrndup(buf + sizeof(h) + nb, h.msg_len);
        if (!msg || (h.boot_len != UINT32_MAX && !boot))
                return -ENOMEM;
        return kernel_lines_take(&s->klines, h.t, boot, msg, false);
}

/* Opens the journal on the files of this process's part (s->part_since,
 * s->part_until), with the pass's matches: 0, -ENODATA when the first pass
 * finds nothing to ask for there, or -errno. */
static int part_open(struct journal_state *s, struct collect_ctx *ctx, const struct part_job *job)
{
        int r = journal_reopen(s, ctx);

        return r >= 0 && job->first_pass ? match_first_pass(s) : r;
}

/* The child's reading of [s->part_since, the window's end]. */
static int part_read_part(struct journal_state *s, struct collect_ctx *ctx,
                          const struct part_job *job, int out)
{
        int r = part_open(s, ctx, job);

        if (r >= 0 || r == -ENODATA) { /* past the start, where a lock held when forked stops it */
                int k = part_write_frame(out, PART_FRAME_ALIVE, NULL, 0);

                if (k < 0)
                        return k;
        }
        if (r == -ENODATA)
                return 0; /* nothing the first pass asks for in this part */
        return r < 0 ? r : job->read(s, ctx, job->fn, job->userdata);
}

_noreturn_ static void part_child(struct journal_state *s, struct collect_ctx *ctx,
                                  const struct part_job *job, int out, int spool, pid_t parent)
{
        const char *fail = testhook_getenv("COLLECT_TEST_JOURNAL_PART_FAIL");
        struct reader rd = { .s = s, .ctx = ctx };
        struct part_end end;
        int r;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fail && streq(fail, "hang"))
                for (;;)
                        pause(); /* a lock the child never gets */
        if (getppid() != parent || (fail && !streq(fail, "late")))
                _exit(EXIT_FAILURE);
        s->j = NULL; /* the parent's handle: sd-journal refuses it in a child */
        s->reader = &rd;
        s->part_child = true;
        s->max_units = UINT64_MAX; /* every unit, in order: the parent applies the cap */
        s->first_read = 0;
        s->trim.trims = s->trim.madvise_calls = 0;
        scratch_init_child();
        rd.spool_max = ctx_budget_left(ctx) >= PART_SPOOL_MAX / 4 ? PART_SPOOL_MAX :
                                                                    4 * ctx_budget_left(ctx);
        r = scratch_new(spool, &rd.spool);
        if (r >= 0) {
                journal_trim_start(&s->trim);
                r = part_read_part(s, ctx, job, out);
        }
        if (r >= 0 || r == -ETIMEDOUT) {
                int k = batch_handover(&rd);

                /* more records than one reader keeps: nothing is sent, the
                 * parent reads the part itself */
                if (k >= 0 && job->first_pass && s->findings.dropped > 0)
                        k = -E2BIG;
                if (k >= 0)
                        k = part_send(rd.spool, out);
                if (fail) /* "late": fails while sending */
                        _exit(EXIT_FAILURE);
                if (k >= 0 && job->first_pass)
                        k = part_send_found(s, out);
                if (k >= 0 && job->first_pass)
                        k = part_send_klines(&s->klines, out);
                if (k < 0)
                        r = k;
        }
        end = (struct part_end) {
                .r = r,
                .units_matched = s->units_matched,
                .saw_killed_process = s->findings.saw_killed_process,
                .kernel_overflow = s->klines.overflow,
                .first_read = s->first_read,
                .trims = s->trim.trims,
                .madvise_calls = s->trim.madvise_calls,
        };
        (void) part_write_frame(out, PART_FRAME_END, &end, sizeof(end));
        _exit(EXIT_SUCCESS);
}

/*
 * Whether a pass is read in two parts, and where the second starts: with the
 * option on, two CPUs or more and at least parallel_min bytes of journal
 * files open (0: always), at the middle of the time the window's entries
 * span.
 */
static bool part_wanted(struct journal_state *s, struct collect_ctx *ctx, usec_t *ret_from)
{
        uint64_t usage = 0, head, tail;
        usec_t since = ctx_since(ctx), until = ctx_until(ctx);

        if (!s->parallel)
                return false;
        if (s->parallel_min > 0 && (thread_cpus() < 2 || sd_journal_get_usage(s->j, &usage) < 0 ||
                                    usage < s->parallel_min))
                return false;
        if (sd_journal_get_cutoff_realtime_usec(s->j, &head, &tail) <= 0)
                return false;
        head = MAX(head, since);
        tail = MIN(tail, until);
        if (tail <= head + 1)
                return false;
        *ret_from = head + (tail - head) / 2;
        return true;
}

/* Starts the child on [p->from, the window's end], and opens this process's
 * part, up to p->from. 0 or -errno (no child: one reader). */
static int part_start(struct journal_state *s, struct collect_ctx *ctx, struct sink *sink,
                      const struct part_job *job, struct part *p)
{
        int fds[2], spool = sink_scratch_fd(sink);
        pid_t parent = getpid(), pid;

        if (spool < 0)
                return spool;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                safe_close(spool);
                return -errno;
        }
        s->part_since = p->from; /* the child's copy */
        pid = fork();
        if (pid == 0) {
                safe_close(fds[0]);
                part_child(s, ctx, job, fds[1], spool, parent);
        }
        s->part_since = 0;
        safe_close(fds[1]);
        safe_close(spool);
        if (pid < 0) {
                safe_close(fds[0]);
                return -errno;
        }
        s->part_until = p->from - 1;
        p->pid = pid;
        p->fd = fds[0];
        p->started = now(CLOCK_MONOTONIC);
        return 0;
}

/* Reads n bytes of the child's frames, waiting until the deadline and a
 * grace. 0, -EPIPE at its end, -ETIMEDOUT, or -errno. */
static int part_read(struct part *p, struct collect_ctx *ctx, void *buf, size_t n)
{
        while (n > 0) {
                usec_t dl = ctx_deadline(ctx), t = now(CLOCK_MONOTONIC);
                usec_t end = dl == USEC_INFINITY ? dl : dl + PART_GRACE;
                struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
                int wait, k;

                if (p->first_by > 0 && p->first_by < end)
                        end = p->first_by;
                if (t >= end)
                        return end == p->first_by ? -ETIME : -ETIMEDOUT;
                if (t < dl && ctx_expired(ctx))
                        return -ETIMEDOUT; /* before the deadline: a stop signal */
                /* a second at most: a stop signal is looked for again */
                wait = end == USEC_INFINITY ? 1000 : (int) MIN((end - t) / 1000 + 1, 1000);
                k = poll(&pfd, 1, wait);
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k <= 0)
                        continue; /* the time is checked again */
                k = (int) read(p->fd, buf, n);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EPIPE;
                buf = (char *) buf + k;
                n -= (size_t) k;
        }
        return 0;
}

/* Stops the child if it is still running, and reaps it. */
static void part_stop(struct part *p)
{
        if (p->pid > 0) {
                struct rusage ru = {};
                pid_t k;

                (void) kill(p->pid, SIGKILL);
                do
                        k = wait4(p->pid, NULL, 0, &ru);
                while (k < 0 && errno == EINTR);
                if (k == p->pid)
                        p->maxrss = (uint64_t) ru.ru_maxrss;
        }
        p->pid = 0;
        p->fd = safe_close(p->fd);
}

/* A record of the child's findings, after this process's. */
static int part_take_record(struct journal_state *s, const char *buf, size_t len)
{
        struct part_record h;
        struct journal_record rec;

        if (len < sizeof(h))
                return -EBADMSG;
        memcpy(&h, buf, sizeof(h));
        if (sizeof(h) + (uint64_t) h.subject_len +
                    (h.detail_len == UINT32_MAX ? 0 : (uint64_t) h.detail_len) !=
            len)
                return -EBADMSG;
        rec = (struct journal_record) {
                .kind = (enum finding_kind) h.kind,
                .subject = xstrndup(buf + sizeof(h), h.subject_len),
                .detail = h.detail_len == UINT32_MAX ?
                                  NULL :
                                  xstrndup(buf + sizeof(h) + h.subject_len, h.detail_len),
                .count = h.count,
                .first = h.first,
                .last = h.last,
        };
        if (!rec.subject || (h.detail_len != UINT32_MAX && !rec.detail)) {
                free(rec.subject);
                free(rec.detail);
                return -ENOMEM;
        }
        journal_findings_merge(&s->findings, &rec);
        return 0;
}

/* Whether a batch of the child's holds whole records whose stream indexes
 * are below n_streams (it comes from a file: batch_write() trusts it). */
static bool batch_valid(const char *buf, size_t len, size_t n_streams)
{
        for (size_t off = 0; off < len;) {
                struct record h;
                uint64_t need;

                if (len - off < sizeof(h))
                        return false;
                memcpy(&h, buf + off, sizeof(h));
                need = sizeof(h) + (uint64_t) h.n_streams * sizeof(uint32_t) + h.unit_len + 1;
                for (int i = 0; i < _PART_MAX; i++)
                        need += h.len[i] != NOT_SET ? h.len[i] : 0;
                if (h.size < need || h.size > len - off)
                        return false;
                for (uint32_t i = 0; i < h.n_streams; i++) {
                        uint32_t idx;

                        memcpy(&idx, buf + off + sizeof(h) + i * sizeof(idx), sizeof(idx));
                        if (idx >= n_streams)
                                return false;
                }
                off += h.size;
        }
        return true;
}

/* One frame of the child's, other than its end. */
static int part_take(struct journal_state *s, struct reader *rd, const struct part_frame *f,
                     bool *ret_child)
{
        struct batch *b = &rd->b[0];
        int r;

        *ret_child = false; /* an error now is this process's, unless said */
        switch (f->kind) {
        case PART_FRAME_BATCH:
                if (!batch_valid(b->buf, f->len, rd->n_streams)) {
                        *ret_child = true;
                        return -EBADMSG;
                }
                b->len = f->len;
                return batch_write(rd, b);
        case PART_FRAME_UNIT:
                b->buf[f->len] = '\0';
                return add_unit(s, b->buf);
        case PART_FRAME_RECORD:
                r = part_take_record(s, b->buf, f->len);
                break;
        case PART_FRAME_KLINE:
                r = part_take_kline(s, b->buf, f->len);
                break;
        default:
                r = -EBADMSG;
        }
        *ret_child = r == -EBADMSG;
        return r;
}

/* The child's end: its result, and its counts into this process's. */
static int part_end(struct journal_state *s, struct collect_ctx *ctx, struct part *p)
{
        struct part_end end;
        int r = part_read(p, ctx, &end, sizeof(end));

        if (r < 0)
                return r;
        s->units_matched = s->units_matched || end.units_matched;
        s->findings.saw_killed_process = s->findings.saw_killed_process || end.saw_killed_process;
        s->klines.overflow = s->klines.overflow || end.kernel_overflow;
        s->first_read += end.first_read;
        s->trim.trims += end.trims;
        s->trim.madvise_calls += end.madvise_calls;
        return end.r;
}

/*
 * Writes the child's batches after this process's part, and takes its units
 * and findings. 0, -ETIMEDOUT (its part was cut at the deadline), -errno with
 * *ret_child set when the child failed, or the first error writing a member.
 */
static int part_finish(struct journal_state *s, struct collect_ctx *ctx, struct part *p,
                       const struct part_job *job, struct sink_stream **streams, uint64_t *written,
                       bool *ret_child)
{
        struct reader rd = {
                .s = s,
                .ctx = ctx,
                .streams = streams,
                .written = written,
                .n_streams = job->n_streams,
        };
        const char *w = testhook_getenv("COLLECT_TEST_JOURNAL_PART_WAIT_MS");
        struct part_frame f;
        int r;

        /* The child says it has started (ALIVE) within milliseconds, and has
         * by the time this process's part is read; one stuck at its start (a
         * library's lock held by another thread when it was forked) is given
         * up 10 s after it was started and its part read here, as when it
         * fails. */
        p->first_by = p->started +
                      (w ? (usec_t) strtoull(w, NULL, 10) * USEC_PER_MSEC : PART_FIRST_WAIT);
        *ret_child = true;
        r = part_read(p, ctx, &f, sizeof(f));
        p->first_by = 0;
        if (r >= 0 && (f.kind != PART_FRAME_ALIVE || f.len != 0))
                r = f.kind == PART_FRAME_END ? part_end(s, ctx, p) : -EBADMSG;
        if (r < 0 || f.kind == PART_FRAME_END) {
                part_stop(p);
                return r < 0 ? r : -EIO; /* ended before it started: read here */
        }
        for (;;) {
                *ret_child = true;
                r = part_read(p, ctx, &f, sizeof(f));
                if (r < 0 || f.kind == PART_FRAME_END)
                        break;
                if (f.len > PART_FRAME_MAX) {
                        r = -EBADMSG;
                        break;
                }
                if ((size_t) f.len + 1 > rd.b[0].alloc) {
                        char *buf = xrealloc(rd.b[0].buf, (size_t) f.len + 1);

                        if (!buf) {
                                r = -ENOMEM;
                                break;
                        }
                        rd.b[0].buf = buf;
                        rd.b[0].alloc = (size_t) f.len + 1;
                }
                r = part_read(p, ctx, rd.b[0].buf, f.len);
                if (r >= 0)
                        r = part_take(s, &rd, &f, ret_child);
                if (r < 0)
                        break;
                p->batches += f.kind == PART_FRAME_BATCH;
                p->frames++;
        }
        if (r >= 0)
                r = part_end(s, ctx, p);
        free(rd.b[0].buf);
        part_stop(p);
        return r;
}

/* After this process's part of a pass (r): the child's, or, when the child
 * failed before its first batch, the same part read here. */
static int part_second(struct journal_state *s, struct collect_ctx *ctx, const struct part_job *job,
                       struct part *p, struct sink_stream **st, uint64_t *written, int r)
{
        usec_t from = p->from;
        bool child;

        s->part_until = 0;
        if (r < 0) { /* a timeout too: the child's newer part would follow a gap */
                part_stop(p);
                return r;
        }
        r = part_finish(s, ctx, p, job, st, written, &child);
        s->part_batches += p->batches;
        s->part_maxrss = MAX(s->part_maxrss, p->maxrss);
        if (r >= 0 || r == -ETIMEDOUT || !child)
                return r;
        if (p->frames > 0) {
                /* failed while sending: what came is kept, the rest of its
                 * part is missing (said), as at a deadline */
                s->part_cut = r;
                return 0;
        }
        s->part_since = from;
        r = part_open(s, ctx, job);
        if (r >= 0)
                r = read_window_threaded(s, ctx, job->read, job->fn, job->userdata, st, written);
        s->part_since = 0;
        return r == -ENODATA ? 0 : r;
}

/* A second reader failed while sending its part (s->part_cut): what came is
 * in the members, the rest of its part is not. */
static void part_cut_note(struct journal_state *s, struct sink *sink, const char *pass)
{
        sink_note(sink,
                  "the journal's second reader failed during the %s (%s): entries of the "
                  "window's second half may be missing",
                  pass, strerror(-s->part_cut));
        sink_mark_partial(sink);
        s->part_cut = 0;
}

/* A pass over the window (s->j open on all of it, with the pass's matches):
 * read_window_threaded(), by two readers when part_wanted(). */
static int read_pass(struct journal_state *s, struct collect_ctx *ctx, struct sink *sink,
                     const struct part_job *job, struct sink_stream **st, uint64_t *written)
{
        struct part p = { .fd = -1 };
        int r = 0;

        if (part_wanted(s, ctx, &p.from) && part_start(s, ctx, sink, job, &p) >= 0) {
                r = part_open(s, ctx, job); /* this process's part: its files only */
                if (r == -ENODATA)          /* none in this part: only the child's */
                        return part_second(s, ctx, job, &p, st, written, 0);
        }
        if (r >= 0)
                r = read_window_threaded(s, ctx, job->read, job->fn, job->userdata, st, written);
        if (p.pid > 0)
                r = part_second(s, ctx, job, &p, st, written, r);
        return r;
}

/*
 * Every entry of the selected units, in one forward pass over the window,
 * each written to its unit's file. When the units' entries are a small part
 * of the window the journal is asked for them (matches on the unit fields:
 * only their entries are visited); when they are most of it, each step of an
 * OR of many matches costs more than reading the entry, and every entry is
 * read and sorted here. Each file keeps its newest part within per_unit bytes.
 */
static int units_pass(struct journal_state *s, struct collect_ctx *ctx, struct sink *sink,
                      uint64_t per_unit)
{
        _cleanup_free_ struct sink_stream **st = NULL;
        _cleanup_free_ uint64_t *written = NULL;
        _cleanup_free_ uint32_t *idx = NULL;
        _cleanup_free_ uint64_t *hash = NULL;
        _cleanup_free_ size_t *len = NULL;
        struct units_pass up = { .n = strv_length(s->units) };
        const struct part_job job = {
                .read = units_read,
                .fn = units_pass_entry,
                .userdata = &up,
                .n_streams = up.n,
        };
        bool timed_out = false;
        int r = 0;

        if (up.n == 0)
                return 0;
        st = xcalloc(up.n, sizeof(*st));
        written = xcalloc(up.n, sizeof(*written));
        idx = xcalloc(up.n, sizeof(*idx));
        hash = xcalloc(up.n, sizeof(*hash));
        len = xcalloc(up.n, sizeof(*len));
        if (!st || !written || !idx || !hash || !len)
                return -ENOMEM;
        up.idx = idx;
        up.hash = hash;
        up.len = len;
        for (size_t i = 0; i < up.n; i++) {
                len[i] = strlen(s->units[i]);
                hash[i] = name_hash(s->units[i], len[i]);
        }
        for (size_t i = 0; i < up.n; i++) {
                _cleanup_free_ char *name = xasprintf("logs/journal/units/%s.log", s->units[i]);
                _cleanup_free_ char *source = xasprintf("journal:%s", s->units[i]);

                if (!name || !source) {
                        r = -ENOMEM;
                        goto finish;
                }
                r = sink_open_stream(sink, name, source, SINK_KEEP_TAIL | SINK_SCAN_ERRORS, &st[i]);
                if (r < 0) {
                        clog_error_errno(ctx, r, "opening %s: %m", name);
                        goto finish;
                }
                sink_stream_set_limit(st[i], per_unit);
        }
        s->units_matched = false;
        s->trim.every_max = 0; /* every entry is read: the growth is steadier */
        r = journal_reopen(s, ctx);
        if (r < 0) {
                clog_error_errno(ctx, r, "opening the journal %s again: %m", s->dir ?: "(system)");
                goto finish;
        }
        r = read_pass(s, ctx, sink, &job, st, written);
        if (r == -ETIMEDOUT) {
                timed_out = true;
                r = 0;
        }
finish:
        for (size_t i = 0; i < up.n; i++) {
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
        if (ctx_is_live(ctx)) {
                /* sd-journal would open none and read nothing, without a word */
                if (journal_count_files(NULL) == 0) {
                        sink_note(sink, "no journal files in /run/log/journal or "
                                        "/var/log/journal (this machine's)");
                        return 0;
                }
                return 1;
        }

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
        struct first_pass fp = {};
        size_t n_units;
        unsigned window_files;
        bool timed_out;
        int r, ret = 0;

        if (!s->dir && !ctx_is_live(ctx)) {
                r = journal_probe(s, ctx, sink);
                if (r <= 0)
                        return r < 0 ? r : -ENOENT;
        }
        journal_trim_start(&s->trim);
        r = journal_open(s, ctx);
        if (r < 0)
                return clog_error_errno(ctx, r, "opening the journal %s: %m", s->dir ?: "(system)");
        window_files = s->files; /* a part of the window may open fewer */
        if (s->unreadable) {
                size_t n = strv_length(s->unreadable);

                /* sd-journal leaves them out too: said, not a cut */
                sink_note(sink,
                          "%zu journal file(s) could not be opened and were left out: %s%s%s%s", n,
                          s->unreadable[0], n > 1 ? ", " : "", n > 1 ? s->unreadable[1] : "",
                          n > 2 ? ", …" : "");
        }

        r = member_open(ctx, sink, "logs/journal/warnings.log", "journal", &fp.warnings);
        if (r >= 0 && s->kernel)
                r = member_open(ctx, sink, "logs/journal/kernel.log", "journal:kernel", &fp.kernel);
        if (r >= 0)
                r = match_first_pass(s);
        s->trim.every_max = JOURNAL_TRIM_EVERY_SPARSE;
        if (r == -ENODATA)
                r = 0; /* nothing the first pass asks for: no warnings, no unit to read */
        else if (r >= 0) {
                struct sink_stream *streams[_FIRST_PASS_MAX] = {
                        [FIRST_PASS_WARNINGS] = fp.warnings.st,
                        [FIRST_PASS_KERNEL] = fp.kernel.st,
                };
                uint64_t written[_FIRST_PASS_MAX] = {};

                const struct part_job job = {
                        .read = read_window,
                        .fn = first_pass_entry,
                        .userdata = &fp,
                        .n_streams = _FIRST_PASS_MAX,
                        .first_pass = true,
                };

                r = read_pass(s, ctx, sink, &job, streams, written);
                fp.warnings.written = written[FIRST_PASS_WARNINGS];
                fp.kernel.written = written[FIRST_PASS_KERNEL];
        }
        timed_out = r == -ETIMEDOUT;
        if (r < 0 && !timed_out) {
                (void) member_close(&fp.warnings, sink, 0, false, true);
                (void) member_close(&fp.kernel, sink, 0, false, true);
                return clog_error_errno(ctx, r, "reading the journal: %m");
        }
        if (s->part_cut < 0) {
                part_cut_note(s, sink, "first pass");
        } else if (!timed_out && ctx_until(ctx) <= now(CLOCK_REALTIME)) {
                /* every kernel message of the window was read (a window that
                 * ends later: the crash collector reads them, the newer too) */
                ctx_kernel_lines_give(ctx, &s->klines);
        }
        if (s->units_dropped > 0)
                sink_note(sink,
                          "%" PRIu64 " more units had errors; only %" PRIu64 " got their own file",
                          s->units_dropped, s->max_units);

        /* warnings.log, each unit's file and kernel.log share the budget */
        n_units = timed_out ? 0 : strv_length(s->units);
        r = member_close(&fp.warnings, sink, share(ctx, 1 + n_units + !!fp.kernel.st), timed_out,
                         false);
        if (r < 0)
                ret = r;
        if (n_units > 0 && !ctx_expired(ctx)) {
                r = units_pass(s, ctx, sink, share(ctx, n_units + !!fp.kernel.st));
                if (r < 0 && ret == 0)
                        ret = clog_error_errno(ctx, r, "reading the journal for units: %m");
                if (s->part_cut < 0)
                        part_cut_note(s, sink, "units pass");
        } else if (n_units > 0) {
                sink_note(sink, "deadline reached: the units' journal files were not written");
                sink_mark_partial(sink);
        }
        r = member_close(&fp.kernel, sink, share(ctx, 1), timed_out, false);
        if (r < 0 && ret == 0)
                ret = r;

        clog_debug(ctx,
                   "%u journal files of the window%s; the first pass read %" PRIu64
                   " entries; %zu units read %s, %" PRIu64
                   " batches by a second reader (peak RSS %" PRIu64 " KiB); "
                   "journal pages dropped %" PRIu64 " times (%" PRIu64
                   " madvise calls), the limit raised %" PRIu64 " times to %" PRIu64 " KiB",
                   window_files, window_files ? "" : " (all)", s->first_read, n_units,
                   s->units_matched ? "through matches" : "by reading the window", s->part_batches,
                   s->part_maxrss, s->trim.trims, s->trim.madvise_calls, s->trim.raised,
                   s->trim.in_force >> 10);
        emit_findings(s, sink);
        if (timed_out) {
                sink_note(sink, "deadline reached while reading the journal");
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
        s->unreadable = strv_free(s->unreadable);
        journal_findings_done(&s->findings);
        s->units = strv_free(s->units);
        kernel_lines_done(&s->klines);
        keyset_done(&s->units_seen);
        s->units_dropped = 0;
        s->dir = mfree(s->dir);
        s->line = mfree(s->line);
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
          "no longer used (the journal is read forward, members are cut by the sink)" },
        { "parallel", OPTION_BOOL, "yes", offsetof(struct journal_state, parallel),
          "on two CPUs or more, read a large window in two parts at once (a second process)" },
        { "parallel_min", OPTION_SIZE, "16M", offsetof(struct journal_state, parallel_min),
          "journal files of the window from which it is read in two parts (0: always)" },
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
