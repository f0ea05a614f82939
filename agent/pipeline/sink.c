/* SPDX-License-Identifier: MIT */
/*
 * The sink (include/sink.h, agent/pipeline/sink-agent.h): every artifact is streamed
 * through the redactor into an unlinked temporary file (so nothing
 * unredacted touches the disk and memory stays bounded), cut to its budget
 * (keeping the newest part when asked), then copied into the bundle with its
 * SHA-256. Lines of logs are fed to the error extractor on the way.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "sink.h"
#include "alloc-util.h"
#include "testhook.h"
#include "collect-ctx.h"
#include "basic/process.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "litscan.h"
#include "log.h"
#include "pipeline/gzpool.h"
#include "pipeline/linequeue.h"
#include "pipeline/sink-agent.h"
#include "redact/never-collect.h"
#include "sha256.h"
#include "strv.h"
#include "thread-util.h"

#define NOTES_MAX 12
#define SINK_STREAMS_MAX 64
#define COMMAND_OUTPUT_MAX (4u << 20)
#define LINE_OBSERVERS_MAX 4
#define STAGED_MAX 2 /* staged members waiting for the writer: bounds the staging disk use */
#define PACK_AFTER (1u << 20) /* a member is packed once it has this much staged */
/* Uncompressed bytes per gzip member of a packed (large) member: at level 1,
 * 512 KiB blocks are 2 points closer to gzip -6 than 128 KiB ones on log
 * text (README "Performance"); the pool's three slots then keep about 2 MiB,
 * only while a large member is collected. */
#define PACK_BLOCK (512u * 1024u)

struct line_observer {
        int (*line)(void *userdata, const char *source, const struct sink_line_meta *meta,
                    const char *line, size_t len);
        void (*end_source)(void *userdata, const char *source);
        void *userdata;
        unsigned first, n_words; /* its words: bits first.. of the observers' set */
};

/* A list of words a collector declared (sink_add_words()), and its set. */
struct word_list {
        char **words;
        unsigned flags;
        int set;
};

#define WORD_LISTS_MAX (LITSCAN_SETS - 1)

struct sink {
        struct bundle *bundle;
        struct redactor *redactor;
        struct line_observer observers[LINE_OBSERVERS_MAX];
        size_t n_observers;
        int observer_set;       /* of the redactor's scan: the observers' words; 0: none */
        unsigned observer_bits; /* bits of it taken */
        struct word_list word_lists[WORD_LISTS_MAX];
        size_t n_word_lists;
        struct linequeue *lines; /* the observers run on its thread; NULL: on the caller's */
        bool lines_failed;       /* no thread (not wanted, or it could not start) */
        struct report *report;
        char *stage_dir;
        struct collect_ctx *ctx;
        struct sink_stream *open[SINK_STREAMS_MAX];
        size_t n_open;
        struct pending { /* members being written on the bundle's writer thread */
                uint64_t tag;
                char *name, *source, *collector;
                uint64_t size;
                bool truncated;
                bool staged; /* holds a staging file (at most STAGED_MAX wait) */
        } pending[BUNDLE_JOBS_MAX];
        size_t n_pending;
        uint64_t next_tag;
        int rows_fd; /* the manifest rows, one compact JSON object a line, staged */
        uint64_t n_members;
        size_t rows_len; /* bytes in rows_buf, not yet in rows_fd */
        char rows_buf[16 * 1024];
        json_t *cuts;
        char **notes;
        unsigned notes_dropped;
        bool partial;
        uint64_t total;
        void (*progress)(uint64_t total);
        int fatal;           /* the disk is full or the archive broke: the run cannot succeed */
        struct gzpool *pack; /* compresses the staged member of packer, or NULL */
        struct sink_stream *packer;  /* the stream being staged packed, or NULL */
        struct never_collect *never; /* never_collect on the opened file, built on first use */
};

struct sink_stream {
        struct sink *sink;
        char *name;
        char *source;
        unsigned flags;
        int fd;
        uint64_t size;
        uint64_t limit;
        struct redact_stream *rs;
        struct sink_line_meta meta;
        bool have_meta;
        bool line_known;                   /* line_words are the last written line's */
        uint64_t line_words[LITSCAN_SETS]; /* see sink_stream_line_words() */
        bool truncated;                    /* cut by a budget */
        bool stopped;                      /* head mode: nothing more is kept */
        bool skip_partial_first_line;
        int error;
        char *note;
        bool packed;          /* staged compressed (see stream_stage) */
        int lc_id;            /* packed: its leak check stream, or -1 */
        struct sha256 *sha;   /* packed: its digest so far */
        uint64_t packed_size; /* packed: compressed bytes in fd */
        uint64_t staged;      /* bytes in fd, staged plain */
        /* the digest of the staged bytes, made as they are written, while the
         * file only grows (NULL once it is packed or cut: the writer hashes) */
        struct sha256 *plain_sha;
        bool unpackable; /* packing failed to start: it stays plain */
        size_t wlen;     /* bytes in wbuf, not yet in the staging file */
        char wbuf[16 * 1024];
};

static int stage_open(struct sink *s);
static int pack_end(struct sink_stream *st, bool discard, char *hex);
static int sink_reap(struct sink *s, bool wait);
static void pending_done(struct pending *p);

int sink_new(struct bundle *b, struct redactor *r, struct report *report, const char *stage_dir,
             struct sink **ret)
{
        struct sink *s = xcalloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        *s = (struct sink) {
                .bundle = b,
                .redactor = r,
                .report = report,
                .stage_dir = xstrdup(stage_dir),
                .rows_fd = -1,
                .cuts = json_array(),
        };
        if (!s->stage_dir || !s->cuts) {
                sink_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

/* Words the sink can look for: LITSCAN_MIN..LITSCAN_MAX bytes, no control
 * byte (an observer gets the line without its "\r\n"), at most 64. */
static bool words_valid(const char *const *words, size_t *ret_n)
{
        size_t n = 0;

        for (; words && words[n]; n++) {
                size_t len = strlen(words[n]);

                if (len < LITSCAN_MIN || len > LITSCAN_MAX)
                        return false;
                for (size_t i = 0; i < len; i++)
                        if ((uint8_t) words[n][i] < 0x20)
                                return false;
        }
        *ret_n = n;
        return n > 0 && n <= 64;
}

/* An observer's words join the observers' set of the redactor's scan; 0 when
 * they cannot (no redactor, no set or bits left): it then scans lines itself. */
static int observer_words(struct sink *s, struct line_observer *o, char *const *words)
{
        size_t n;
        int r;

        if (!words || !s->redactor)
                return 0;
        if (!words_valid((const char *const *) words, &n))
                return -EINVAL;
        if (s->observer_set == 0) {
                r = redactor_words_set(s->redactor);
                if (r < 0)
                        return r == -ENOSPC ? 0 : r;
                s->observer_set = r;
        }
        if (s->observer_bits + n > 64)
                return 0;
        r = redactor_add_words(s->redactor, s->observer_set, s->observer_bits,
                               (const char *const *) words, 0);
        if (r < 0)
                return r;
        o->first = s->observer_bits;
        o->n_words = (unsigned) n;
        s->observer_bits += (unsigned) n;
        return 0;
}

int sink_add_line_observer(struct sink *s,
                           int (*line)(void *userdata, const char *source,
                                       const struct sink_line_meta *meta, const char *text,
                                       size_t len),
                           void (*end_source)(void *userdata, const char *source), void *userdata)
{
        return sink_add_line_observer_words(s, line, end_source, userdata, NULL);
}

int sink_add_line_observer_words(struct sink *s,
                                 int (*line)(void *userdata, const char *source,
                                             const struct sink_line_meta *meta, const char *text,
                                             size_t len),
                                 void (*end_source)(void *userdata, const char *source),
                                 void *userdata, char *const *words)
{
        struct line_observer o = { .line = line, .end_source = end_source, .userdata = userdata };
        int r;

        if (!s || !line)
                return -EINVAL;
        if (s->n_observers >= LINE_OBSERVERS_MAX)
                return -ENOBUFS;
        r = observer_words(s, &o, words);
        if (r < 0)
                return r;
        s->observers[s->n_observers++] = o;
        return 0;
}

static bool words_equal(char *const *a, const char *const *b)
{
        size_t i = 0;

        for (; a[i] && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return !a[i] && !b[i];
}

int sink_add_words(struct sink *s, const char *const *words, unsigned flags)
{
        struct word_list *l;
        size_t n;
        int r;

        if (!s || !words_valid(words, &n))
                return -EINVAL;
        for (size_t i = 0; i < s->n_word_lists; i++) {
                l = &s->word_lists[i];
                if (l->flags == flags && words_equal(l->words, words))
                        return l->set;
        }
        if (!s->redactor)
                return -EOPNOTSUPP;
        if (s->n_word_lists >= WORD_LISTS_MAX)
                return -ENOSPC;
        r = redactor_words_set(s->redactor);
        if (r < 0)
                return r;
        l = &s->word_lists[s->n_word_lists];
        *l = (struct word_list) { .words = strv_copy((char *const *) words),
                                  .flags = flags,
                                  .set = r };
        if (!l->words)
                return -ENOMEM;
        r = redactor_add_words(s->redactor, l->set, 0, words, flags);
        if (r < 0) {
                l->words = strv_free(l->words);
                return r;
        }
        s->n_word_lists++;
        return l->set;
}

/* Whether lines of a stream with these flags go to observers. */
static bool observed(const struct sink *s, unsigned flags)
{
        return (flags & SINK_SCAN_ERRORS) && s->n_observers > 0;
}

/* Each observer's take on a line (on the line queue's thread). */
static int dispatch_line(void *userdata, const char *source, const struct sink_line_meta *meta,
                         const char *line, size_t len)
{
        struct sink *s = userdata;
        int r;

        for (size_t i = 0; i < s->n_observers; i++) {
                const struct line_observer *o = &s->observers[i];
                struct sink_line_meta m;

                if (meta) { /* the observer's own words, or unknown */
                        m = *meta;
                        m.words_known = meta->words_known && o->n_words > 0;
                        m.words = m.words_known ? (meta->words >> o->first) &
                                                          (UINT64_MAX >> (64 - o->n_words)) :
                                                  0;
                }
                r = o->line(o->userdata, source, meta ? &m : NULL, line, len);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void dispatch_end(void *userdata, const char *source)
{
        struct sink *s = userdata;

        for (size_t i = 0; i < s->n_observers; i++)
                if (s->observers[i].end_source)
                        s->observers[i].end_source(s->observers[i].userdata, source);
}

static bool line_thread_wanted(void)
{
        const char *e = testhook_getenv("COLLECT_TEST_LINE_THREAD");

        if (e)
                return streq(e, "1");
        return thread_cpus() >= 3;
}

static int observe_line(struct sink_stream *st, const char *data, size_t len)
{
        struct sink *s = st->sink;
        const char *source = st->source ? st->source : st->name;
        const struct sink_line_meta *meta = st->have_meta ? &st->meta : NULL;
        struct sink_line_meta m;
        uint64_t masks[LITSCAN_SETS];
        size_t l = len;

        /* the words the redactor's scan found, when it writes the line as it was fed */
        if (s->observer_set > 0 && redact_stream_emit_words(st->rs, masks)) {
                m = meta ? *meta : (struct sink_line_meta) { .priority = -1 };
                m.words = masks[s->observer_set];
                m.words_known = true;
                meta = &m;
        }

        while (l > 0 && (data[l - 1] == '\n' || data[l - 1] == '\r'))
                l--;
        /* on a thread of their own, beside the collecting one, when there is a CPU
         * for it: with two, the collecting thread, compression and the leak check
         * keep both busy and one more thread only adds contention (the logs
         * benchmark ran 10-20% slower with it) */
        if (!s->lines && !s->lines_failed && !line_thread_wanted())
                s->lines_failed = true;
        if (!s->lines && !s->lines_failed &&
            linequeue_new(dispatch_line, dispatch_end, s, &s->lines) < 0) {
                s->lines = NULL;
                s->lines_failed = true;
        }
        if (s->lines)
                return linequeue_line(s->lines, source, meta, data, l);
        return dispatch_line(s, source, meta, data, l);
}

static void observe_end(struct sink_stream *st)
{
        struct sink *s = st->sink;
        const char *source = st->source ? st->source : st->name;

        if (s->lines)
                (void) linequeue_end(s->lines, source);
        else
                dispatch_end(s, source);
}

int sink_sync_observers(struct sink *s)
{
        return s ? linequeue_sync(s->lines) : 0;
}

struct sink *sink_free(struct sink *s)
{
        if (!s)
                return NULL;
        while (s->n_open > 0)
                (void) sink_stream_close(s->open[s->n_open - 1], true);
        linequeue_free(s->lines);
        for (size_t i = 0; i < s->n_pending; i++)
                pending_done(&s->pending[i]);
        gzpool_free(s->pack);
        safe_close(s->rows_fd);
        json_decref(s->cuts);
        strv_free(s->notes);
        free(s->stage_dir);
        never_collect_free(s->never);
        for (size_t i = 0; i < s->n_word_lists; i++)
                strv_free(s->word_lists[i].words);
        free(s);
        return NULL;
}

void sink_begin(struct sink *s, struct collect_ctx *ctx)
{
        s->ctx = ctx;
        s->notes = strv_free(s->notes);
        s->notes_dropped = 0;
        s->partial = false;
}

void sink_end(struct sink *s, struct collector_status *st)
{
        int r = sink_sync_observers(s); /* the observers' state may be read after a collector */

        if (r < 0) {
                log_warning_errno(r, "%s: the error summary misses lines: %m",
                                  s->ctx ? s->ctx->name : "sink");
                s->partial = true;
        }
        if (s->ctx)
                st->bytes = s->ctx->used;
        if (s->partial && st->result == COLLECTOR_OK)
                st->result = COLLECTOR_PARTIAL;
        free(st->note);
        st->note = NULL;
        if (s->notes) {
                struct dynbuf b;

                dynbuf_init(&b, 8192);
                STRV_FOREACH(n, s->notes)
                        (void) dynbuf_addf(&b, "%s%s", n == s->notes ? "" : "; ", *n);
                if (s->notes_dropped)
                        (void) dynbuf_addf(&b, "; and %u more", s->notes_dropped);
                st->note = dynbuf_steal(&b);
        }
        s->ctx = NULL;
}

/* Appends one manifest row. Rows are kept out of memory: the staging
 * directory holds them (as jansson wrote them) until the manifest is written,
 * so memory does not grow with the number of members. */
static int rows_flush(struct sink *s)
{
        int r;

        if (s->rows_fd < 0) {
                s->rows_fd = stage_open(s);
                if (s->rows_fd < 0)
                        return s->rows_fd;
        }
        if (s->rows_len == 0)
                return 0;
        r = loop_write(s->rows_fd, s->rows_buf, s->rows_len);
        s->rows_len = 0;
        return r;
}

static int rows_add(struct sink *s, json_t *row)
{
        _cleanup_free_ char *txt = json_dumps(row, JSON_COMPACT);
        size_t n;
        int r;

        if (!txt)
                return -ENOMEM;
        n = strlen(txt);
        if (s->rows_len + n + 1 > sizeof(s->rows_buf)) {
                r = rows_flush(s);
                if (r < 0)
                        return r;
        }
        if (n + 1 > sizeof(s->rows_buf)) {
                r = rows_flush(s);
                if (r >= 0)
                        r = loop_write(s->rows_fd, txt, n);
                if (r >= 0)
                        r = loop_write(s->rows_fd, "\n", 1);
                return r;
        }
        memcpy(s->rows_buf + s->rows_len, txt, n);
        s->rows_buf[s->rows_len + n] = '\n';
        s->rows_len += n + 1;
        return 0;
}

/* Hands the complete lines of buf to fn; a line cut at the end of buf waits in line. */
static int rows_lines(const char *buf, size_t n, struct dynbuf *line,
                      int (*fn)(void *userdata, const char *row, size_t len), void *userdata)
{
        const char *p = buf, *end = buf + n;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                if (!nl)
                        return dynbuf_add(line, p, (size_t) (end - p));
                if (line->len > 0) {
                        r = dynbuf_add(line, p, (size_t) (nl - p));
                        if (r >= 0)
                                r = fn(userdata, line->buf, line->len);
                        dynbuf_reset(line);
                } else
                        r = fn(userdata, p, (size_t) (nl - p));
                if (r < 0)
                        return r;
                p = nl + 1;
        }
        return 0;
}

int sink_members_foreach(struct sink *s, int (*fn)(void *userdata, const char *row, size_t len),
                         void *userdata)
{
        _cleanup_(dynbuf_donep) struct dynbuf line = {};
        char buf[64 * 1024];
        off_t off = 0;
        int r;

        dynbuf_init(&line, 16u << 20);
        r = s->bundle ? sink_reap(s, true) : 0;
        if (r < 0)
                return r;
        if (s->rows_fd < 0)
                return rows_lines(s->rows_buf, s->rows_len, &line, fn, userdata);
        r = rows_flush(s);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = pread(s->rows_fd, buf, sizeof(buf), off);

                if (n <= 0)
                        return n < 0 ? -errno : 0;
                r = rows_lines(buf, (size_t) n, &line, fn, userdata);
                if (r < 0)
                        return r;
                off += n;
        }
}

json_t *sink_cuts(struct sink *s)
{
        return s->cuts;
}

void sink_set_progress(struct sink *s, void (*fn)(uint64_t total))
{
        s->progress = fn;
}

uint64_t sink_total_bytes(const struct sink *s)
{
        return s->total;
}

static void sink_vnote(struct sink *s, const char *prefix, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        struct dynbuf b;

        dynbuf_init(&b, 4096);
        if (prefix)
                (void) dynbuf_addf(&b, "%s: ", prefix);
        (void) dynbuf_vaddf(&b, fmt, ap);
        msg = dynbuf_steal(&b);
        if (!msg)
                return;
        log_debug("%s: %s", s->ctx ? s->ctx->name : "sink", msg);
        json_array_append_new(s->cuts, json_pack("{s:s, s:s}", "collector",
                                                 s->ctx ? s->ctx->name : "agent", "note", msg));
        if (strv_length(s->notes) >= NOTES_MAX)
                s->notes_dropped++;
        else
                (void) strv_consume(&s->notes, TAKE_PTR(msg));
}

static void sink_note_about(struct sink *s, const char *prefix, const char *fmt, ...)
        _printf_(3, 4);
static void sink_note_about(struct sink *s, const char *prefix, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sink_vnote(s, prefix, fmt, ap);
        va_end(ap);
}

void sink_note(struct sink *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sink_vnote(s, NULL, fmt, ap);
        va_end(ap);
}

void sink_mark_partial(struct sink *s)
{
        s->partial = true;
}

static bool disk_error(int r)
{
        return r == -ENOSPC || r == -EFBIG || r == -EDQUOT || r == -EIO || r == -EROFS;
}

int sink_fatal_error(const struct sink *s)
{
        return s->fatal;
}

static uint64_t budget_left(struct sink *s)
{
        return s->ctx ? ctx_budget_left(s->ctx) : UINT64_MAX;
}

static uint64_t file_budget(struct sink *s)
{
        return s->ctx && s->ctx->per_file ? s->ctx->per_file : UINT64_MAX;
}

static int stage_open(struct sink *s)
{
        _cleanup_free_ char *tmpl = NULL;
        int fd;

        fd = open(s->stage_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        tmpl = xasprintf("%s/.collect-stage-XXXXXX", s->stage_dir);
        if (!tmpl)
                return -ENOMEM;
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) unlink(tmpl);
        return fd;
}

int sink_scratch_fd(struct sink *s)
{
        return stage_open(s);
}

/* The bundle cannot be finished: the pipeline says so once (disk full), so
 * what every collector would log about it afterwards is held back. */
static void sink_fail(struct sink *s, int r)
{
        s->fatal = r;
        if (r == -ENOSPC || r == -EDQUOT)
                log_set_muted(true);
}

/* The packing pool's output: the packer's compressed bytes, to its staging file. */
static int pack_output(void *userdata, const void *buf, size_t len)
{
        struct sink *s = userdata;
        int r = loop_write(s->packer->fd, buf, len);

        if (r >= 0)
                s->packer->packed_size += len;
        return r;
}

/*
 * A large staged member is packed when it is the only open stream (the
 * journal's units, written side by side, stay plain: packing one of them
 * gave nothing but a higher and less steady peak of memory): its bytes are hashed,
 * handed to the leak check and compressed (on the pool's thread, into gzip
 * members of the bundle's level) as they are staged, so that the bundle's
 * writer only copies them (bundle_add_packed_async) and that work overlaps
 * with collecting the member. It starts once PACK_AFTER bytes are staged
 * plain (those are read back into the pool), so that smaller members do not
 * cost the pool's memory. Best effort: without it the member stays plain.
 */
static int packed_write(struct sink_stream *st, const void *data, size_t len)
{
        struct sink *s = st->sink;

        if (st->sha)
                sha256_update(st->sha, data, len);
        if (st->lc_id > 0)
                leakcheck_write(bundle_leakcheck(s->bundle), st->lc_id, data, len);
        return gzpool_write(s->pack, data, len);
}

static int pack_start(struct sink_stream *st, const char *full)
{
        struct sink *s = st->sink;
        struct leakcheck *lc = bundle_leakcheck(s->bundle);

        if (!s->pack &&
            gzpool_new(bundle_level(s->bundle), 1, PACK_BLOCK, pack_output, s, &s->pack) < 0)
                return -ENOMEM;
        /* the leak check's thread reads every byte: it makes the digest too */
        if (lc) {
                st->lc_id = leakcheck_open(lc, full, true);
                if (st->lc_id < 0)
                        return st->lc_id;
        } else {
                st->sha = sha256_new();
                if (!st->sha)
                        return -ENOMEM;
        }
        st->packed = true;
        st->packed_size = 0;
        s->packer = st;
        return 0;
}

static int stream_pack(struct sink_stream *st)
{
        _cleanup_free_ char *full = xasprintf("%s/%s", bundle_top(st->sink->bundle), st->name);
        _cleanup_close_ int plain = -1;
        char buf[64 * 1024];
        int r;

        st->unpackable = true; /* until it starts */
        if (!full)
                return 0;
        r = stage_open(st->sink);
        if (r < 0)
                return 0; /* stays plain; the next write says why if it is the disk */
        plain = st->fd;
        st->fd = r;
        if (pack_start(st, full) < 0 || lseek(plain, 0, SEEK_SET) < 0) {
                (void) pack_end(st, true, NULL);
                safe_close(st->fd);
                st->fd = TAKE_FD(plain);
                return 0;
        }
        st->unpackable = false;
        st->plain_sha = sha256_free(st->plain_sha); /* the packed member has its own */
        for (uint64_t left = st->staged; left > 0;) {
                ssize_t n = loop_read(plain, buf, (size_t) MIN(left, (uint64_t) sizeof(buf)));

                if (n <= 0)
                        return n < 0 ? (int) n : -EIO;
                r = packed_write(st, buf, (size_t) n);
                if (r < 0)
                        return r;
                left -= (uint64_t) n;
        }
        return 0;
}

/* Ends packing of st: the pool hands out what it holds, the leak check of the
 * member ends (discard: its hits are dropped, the member is checked again)
 * and, with hex, the member's SHA-256 is given. */
static int pack_end(struct sink_stream *st, bool discard, char *hex)
{
        struct sink *s = st->sink;
        int r, k = 0;

        if (!st->packed)
                return 0;
        r = gzpool_flush(s->pack);
        if (r < 0) /* the pool stops at its first error: a new one for the next member */
                s->pack = gzpool_free(s->pack);
        if (st->lc_id > 0)
                k = leakcheck_close(bundle_leakcheck(s->bundle), st->lc_id, discard || r < 0,
                                    r >= 0 ? hex : NULL);
        else if (hex && st->sha)
                sha256_final_hex(st->sha, hex);
        st->lc_id = -1;
        st->sha = sha256_free(st->sha);
        st->packed = false;
        s->packer = NULL;
        return r < 0 ? r : k;
}

/* Writes staged bytes: to the file, or packed. */
static int stage_write(struct sink_stream *st, const void *data, size_t len)
{
        int r;

        if (!st->packed && !st->sink->packer && st->sink->n_open == 1 && !st->truncated &&
            !st->unpackable && st->staged + len >= PACK_AFTER) {
                r = stream_pack(st);
                if (r < 0)
                        return r;
        }
        if (st->packed)
                return packed_write(st, data, len);
        r = loop_write(st->fd, data, len);
        if (r >= 0) {
                st->staged += len;
                if (st->plain_sha)
                        sha256_update(st->plain_sha, data, len);
        }
        return r;
}

/* Inflates the gzip members of in (from its start) into out. */
static int inflate_members(int in, int out)
{
        unsigned char ibuf[64 * 1024], obuf[64 * 1024];
        z_stream z = {};
        bool full = false; /* the last call filled obuf: it may hold more */
        int r = 0, zr = Z_OK;

        if (lseek(in, 0, SEEK_SET) < 0)
                return -errno;
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                return -ENOMEM;
        for (;;) {
                if (z.avail_in == 0 && !full) {
                        ssize_t n = loop_read(in, ibuf, sizeof(ibuf));

                        if (n <= 0) {
                                r = n < 0 ? (int) n : (zr == Z_STREAM_END ? 0 : -EIO);
                                break;
                        }
                        z.next_in = ibuf;
                        z.avail_in = (uInt) n;
                }
                if (zr == Z_STREAM_END)
                        (void) inflateReset(&z); /* the next member */
                z.next_out = obuf;
                z.avail_out = sizeof(obuf);
                zr = inflate(&z, Z_NO_FLUSH);
                if (zr == Z_BUF_ERROR) { /* nothing was left to give: more input */
                        zr = Z_OK;
                        full = false;
                        continue;
                }
                if (zr != Z_OK && zr != Z_STREAM_END) {
                        r = -EIO;
                        break;
                }
                full = zr == Z_OK && z.avail_out == 0;
                r = loop_write(out, obuf, sizeof(obuf) - z.avail_out);
                if (r < 0)
                        break;
        }
        inflateEnd(&z);
        return r;
}

/* A packed member is to be cut: it is staged plain from here on (the writer
 * then hashes and checks what is kept when it archives it). */
static int stream_unpack(struct sink_stream *st)
{
        _cleanup_close_ int raw = -1;
        int r;

        r = pack_end(st, true, NULL);
        if (r < 0)
                return r;
        raw = stage_open(st->sink);
        if (raw < 0)
                return raw;
        r = inflate_members(st->fd, raw);
        if (r < 0)
                return r;
        safe_close(st->fd);
        st->fd = TAKE_FD(raw);
        st->staged = st->size;
        return 0;
}

/* The staging file, created when the member outgrows wbuf: a small member
 * goes from memory into the bundle without touching the disk. */
static int stream_stage(struct sink_stream *st)
{
        if (st->fd >= 0)
                return 0;
        st->fd = stage_open(st->sink);
        if (st->fd < 0) {
                int r = st->fd;

                log_error_errno(r, "cannot create a staging file in '%s': %m", st->sink->stage_dir);
                if (disk_error(r)) {
                        sink_fail(st->sink, r);
                        return -EIO;
                }
                return r;
        }
        st->staged = 0;
        /* With other streams open (the journal's units, side by side) it
         * stays plain: its digest is made here, on the collecting thread, not
         * at the end by the writer; alone, it is packed once it passes
         * PACK_AFTER (hashed by the leak check) or left to the writer. */
        st->plain_sha = st->sink->n_open > 1 ? sha256_new() : NULL; /* NULL: the writer hashes */
        return 0;
}

/* Writes what is buffered to the staging file. */
static int stream_flush(struct sink_stream *st)
{
        int r;

        if (st->wlen == 0)
                return 0;
        r = stream_stage(st);
        if (r < 0)
                return r;
        r = stage_write(st, st->wbuf, st->wlen);
        st->wlen = 0;
        if (r < 0 && disk_error(r)) {
                sink_fail(st->sink, r);
                return -EIO; /* not -ENOSPC: that means "budget" to collectors */
        }
        return r;
}

/* Keeps the newest keep bytes of the staged file, starting at a line start. */
static int stream_compact(struct sink_stream *st, uint64_t keep)
{
        char buf[64 * 1024];
        uint64_t from, to = 0;
        bool aligned = false;

        if (st->size <= keep)
                return 0;
        if (st->packed) {
                int r = stream_unpack(st);

                if (r < 0)
                        return r;
        }
        from = st->size - keep;
        while (from < st->size) {
                ssize_t n = pread(st->fd, buf,
                                  (size_t) MIN((uint64_t) sizeof(buf), st->size - from),
                                  (off_t) from);
                size_t off = 0;

                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                if (!aligned) {
                        char *nl = memchr(buf, '\n', (size_t) n);

                        if (!nl) {
                                from += (uint64_t) n;
                                continue;
                        }
                        off = (size_t) (nl - buf) + 1;
                        aligned = true;
                }
                ssize_t want = n - (ssize_t) off;

                if (pwrite(st->fd, buf + off, (size_t) want, (off_t) to) != want)
                        return errno ? -errno : -EIO;
                to += (uint64_t) n - off;
                from += (uint64_t) n;
        }
        st->plain_sha = sha256_free(st->plain_sha);
        if (ftruncate(st->fd, (off_t) to) < 0)
                return -errno;
        st->size = to;
        st->truncated = true;
        return 0;
}

/* Receives redacted output (normally one line per call). */
static int stream_emit(void *userdata, const char *data, size_t len)
{
        struct sink_stream *st = userdata;
        struct sink *s = st->sink;
        int r;

        if (observed(s, st->flags)) {
                r = observe_line(st, data, len);
                if (r < 0)
                        return r;
        }
        if (st->stopped)
                return 0;
        if (!(st->flags & SINK_KEEP_TAIL) && st->size + len > st->limit) {
                st->truncated = true;
                st->stopped = true;
                return -ENOSPC;
        }
        if (st->wlen + len > sizeof(st->wbuf)) {
                r = stream_flush(st);
                if (r < 0)
                        return r;
        }
        if (len > sizeof(st->wbuf)) {
                r = stream_stage(st);
                if (r < 0)
                        return r;
                r = stage_write(st, data, len);
                if (r < 0) {
                        if (disk_error(r)) {
                                sink_fail(s, r);
                                return -EIO;
                        }
                        return r;
                }
        } else {
                memcpy(st->wbuf + st->wlen, data, len);
                st->wlen += len;
        }
        st->size += len;
        if ((st->flags & SINK_KEEP_TAIL) && st->size > 2 * st->limit + (1u << 20)) {
                r = stream_flush(st);
                if (r < 0)
                        return r;
                r = stream_compact(st, st->limit);
                if (r < 0)
                        return r;
                if (lseek(st->fd, 0, SEEK_END) < 0)
                        return -errno;
        }
        return 0;
}

int sink_open_stream(struct sink *s, const char *name, const char *source, unsigned flags,
                     struct sink_stream **ret)
{
        struct sink_stream *st;
        int r;

        if (!s || !name || !ret || name[0] == '/' || strstr(name, ".."))
                return -EINVAL;
        if (!s->bundle)
                return -EROFS; /* `collect snapshot`: no bundle is written */
        if (s->n_open >= SINK_STREAMS_MAX)
                return -EMFILE;
        if (s->fatal)
                return s->fatal == -ENOSPC ? -EIO : s->fatal;
        st = xcalloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        st->sink = s;
        st->flags = flags;
        st->fd = -1;
        st->lc_id = -1;
        st->limit = MIN(budget_left(s), file_budget(s));
        st->name = xstrdup(name);
        st->source = source ? xstrdup(source) : NULL;
        if (!st->name || (source && !st->source)) {
                r = -ENOMEM;
                goto fail;
        }
        if (!(flags & (SINK_NO_REDACT | SINK_BINARY_OK))) {
                r = redact_stream_new(s->redactor, name, stream_emit, st, &st->rs);
                if (r < 0)
                        goto fail;
        }
        s->open[s->n_open++] = st;
        *ret = st;
        return 0;
fail:
        safe_close(st->fd);
        free(st->name);
        free(st->source);
        free(st);
        return r;
}

/* What a write returns before its bytes are looked at: 0 to go on. */
static int stream_writable(struct sink_stream *st)
{
        if (!st)
                return -EINVAL;
        if (st->error < 0)
                return st->error;
        if (st->stopped && !observed(st->sink, st->flags))
                return -ENOSPC;
        return 0;
}

/* What a write of the redactor's r returns. */
static int stream_written(struct sink_stream *st, int r)
{
        if (r < 0 && r != -ENOSPC)
                st->error = r;
        if (r == -ENOSPC || st->stopped)
                return -ENOSPC;
        return r;
}

int sink_stream_write(struct sink_stream *st, const void *data, size_t len)
{
        int r = stream_writable(st);

        if (r < 0)
                return r;
        if (st->skip_partial_first_line) {
                const char *nl = memchr(data, '\n', len);

                if (!nl)
                        return 0;
                st->skip_partial_first_line = false;
                len -= (size_t) (nl + 1 - (const char *) data);
                data = nl + 1;
        }
        if (st->rs)
                r = redact_stream_feed(st->rs, data, len);
        else
                r = stream_emit(st, data, len);
        return stream_written(st, r);
}

static int write_line(struct sink_stream *st, const struct sink_line_meta *meta, const char *line,
                      size_t len, bool nl)
{
        char stackbuf[4096];
        uint64_t scans;
        size_t scanned = 0;
        int r;

        if (!st)
                return -EINVAL;
        if (meta) {
                st->meta = *meta;
                st->meta.words_known = false; /* the sink's to tell */
                st->have_meta = true;
        }
        scans = st->rs ? redact_stream_line_words(st->rs, NULL, NULL) : 0;
        if (nl && st->rs && !st->skip_partial_first_line) {
                /* the redactor takes the line where it is */
                r = stream_writable(st);
                if (r >= 0)
                        r = stream_written(st, redact_stream_feed_line(st->rs, line, len));
        } else if (len < sizeof(stackbuf)) {
                memcpy(stackbuf, line, len);
                stackbuf[len] = '\n';
                r = sink_stream_write(st, stackbuf, len + 1);
        } else {
                r = sink_stream_write(st, line, len);
                if (r >= 0)
                        r = sink_stream_write(st, "\n", 1);
        }
        st->have_meta = false;
        /* the redactor scanned this line whole (one scan more, of its length) */
        st->line_known = st->rs &&
                         redact_stream_line_words(st->rs, &scanned, st->line_words) == scans + 1 &&
                         scanned == len;
        return r;
}

int sink_stream_write_line(struct sink_stream *st, const struct sink_line_meta *meta,
                           const char *line, size_t len)
{
        return write_line(st, meta, line, len, false);
}

int sink_stream_write_line_nl(struct sink_stream *st, const struct sink_line_meta *meta,
                              const char *line, size_t len)
{
        return write_line(st, meta, line, len, true);
}

bool sink_stream_line_words(const struct sink_stream *st, int set, uint64_t *ret)
{
        if (!st || !st->line_known || set <= 0 || set >= LITSCAN_SETS)
                return false;
        *ret = st->line_words[set];
        return true;
}

int sink_stream_printf(struct sink_stream *st, const char *fmt, ...)
{
        _cleanup_free_ char *p = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return sink_stream_write(st, p, (size_t) n);
}

void sink_stream_note(struct sink_stream *st, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sink_vnote(st->sink, st->name, fmt, ap);
        va_end(ap);
        st->sink->partial = true;
}

void sink_stream_set_limit(struct sink_stream *st, uint64_t limit)
{
        if (st)
                st->limit = MIN(st->limit, limit);
}

void sink_stream_mark_truncated(struct sink_stream *st)
{
        if (st)
                st->truncated = true;
}

bool sink_stream_truncated(const struct sink_stream *st)
{
        return st->truncated;
}

/* The manifest row of a member in the bundle. */
static int record_row(struct sink *s, const char *name, const char *source, const char *collector,
                      uint64_t size, const char *hex, bool truncated)
{
        int r;
        json_t *m = json_pack("{s:s, s:I, s:s, s:b}", "path", name, "size", (json_int_t) size,
                              "sha256", hex, "truncated", truncated);

        if (!m)
                return -ENOMEM;
        if (source)
                json_object_set_new(m, "source", json_string(source));
        if (collector)
                json_object_set_new(m, "collector", json_string(collector));
        r = rows_add(s, m);
        json_decref(m);
        if (r < 0) {
                if (disk_error(r))
                        sink_fail(s, r);
                return r;
        }
        s->n_members++;
        return 0;
}

static void pending_done(struct pending *p)
{
        free(p->name);
        free(p->source);
        free(p->collector);
}

/* Records the oldest member if the writer thread has written it (wait: once
 * it has). Returns 0 (not yet, or none pending), 1, or the first error. */
static int reap_one(struct sink *s, bool wait)
{
        char hex[65];
        uint64_t tag;
        int k, r = 0;

        if (s->n_pending > 0 && (k = bundle_reap(s->bundle, wait, &tag, hex)) != 0) {
                struct pending p = s->pending[0];

                memmove(s->pending, s->pending + 1, --s->n_pending * sizeof(*s->pending));
                assert(p.tag == tag);
                if (k < 0) {
                        /* named here: the caller is already on another member */
                        log_error_errno(k, "cannot add '%s' to the bundle: %m", p.name);
                        if (k == -ENOMEM) { /* before its header: only this member is lost */
                                sink_note_about(s, p.source ? p.source : p.name,
                                                "not in the bundle: out of memory");
                                s->partial = true;
                        } else {
                                sink_fail(s, k);
                                r = r ?: k;
                        }
                } else {
                        k = record_row(s, p.name, p.source, p.collector, p.size, hex, p.truncated);
                        r = r ?: k;
                }
                pending_done(&p);
                return r < 0 ? r : 1;
        }
        return 0;
}

/* Records the members the writer thread has written (wait: all of them). */
static int sink_reap(struct sink *s, bool wait)
{
        int k, r = 0;

        while ((k = reap_one(s, wait)) != 0)
                r = r ?: MIN(k, 0);
        return r;
}

int sink_flush(struct sink *s)
{
        return s->bundle ? sink_reap(s, true) : 0;
}

/* Counts a member against the budgets. */
static void account_member(struct sink *s, uint64_t size)
{
        s->total += size;
        if (s->ctx)
                s->ctx->used += size;
        if (s->progress)
                s->progress(s->total);
}

static int record_member(struct sink *s, const char *name, const char *source, uint64_t size,
                         const char *hex, bool truncated)
{
        int r = record_row(s, name, source, s->ctx ? s->ctx->name : NULL, size, hex, truncated);

        if (r >= 0)
                account_member(s, size);
        return r;
}

static size_t pending_staged(const struct sink *s)
{
        size_t n = 0;

        for (size_t i = 0; i < s->n_pending; i++)
                n += s->pending[i].staged;
        return n;
}

/* Hands the member to the writer thread (staged in st->fd, or in wbuf); its
 * row is recorded when it is written. */
static int add_queued(struct sink *s, struct sink_stream *st)
{
        bool packed = st->packed, staged = st->fd >= 0;
        struct pending *p;
        char hex[65];
        void *copy = NULL;
        int r;

        if (packed) {
                r = pack_end(st, false, hex); /* the rest of it into the file */
                if (r < 0)
                        return r;
        }
        if (staged && lseek(st->fd, 0, SEEK_SET) < 0)
                return -errno;
        /* room: the oldest member written (the writer wakes us in batches) */
        while (bundle_jobs(s->bundle) >= BUNDLE_JOBS_MAX ||
               (staged && pending_staged(s) >= STAGED_MAX)) {
                r = reap_one(s, true);
                if (r < 0)
                        return r;
        }
        if (!staged) {
                copy = xmalloc(MAX(st->wlen, (size_t) 1));
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, st->wbuf, st->wlen);
        }
        p = &s->pending[s->n_pending];
        *p = (struct pending) {
                .tag = s->next_tag++,
                .name = xstrdup(st->name),
                .source = st->source ? xstrdup(st->source) : NULL,
                .collector = s->ctx ? xstrdup(s->ctx->name) : NULL,
                .size = st->size,
                .truncated = st->truncated,
                .staged = staged,
        };
        if (!p->name || (st->source && !p->source) || (s->ctx && !p->collector)) {
                pending_done(p);
                free(copy);
                return -ENOMEM;
        }
        if (!staged)
                r = bundle_add_data_async(s->bundle, st->name, copy, st->wlen, p->tag);
        else if (packed)
                r = bundle_add_packed_async(s->bundle, st->name, st->fd, st->size, st->packed_size,
                                            hex, p->tag);
        else {
                /* hashed as it was staged, when the file holds just those bytes */
                bool hashed = st->plain_sha && st->staged == st->size;

                if (hashed)
                        sha256_final_hex(st->plain_sha, hex);
                r = bundle_add_fd_async(s->bundle, st->name, st->fd, st->size, hashed ? hex : NULL,
                                        p->tag);
        }
        if (r < 0) {
                pending_done(p);
                return r;
        }
        if (staged)
                st->fd = -1; /* the writer closes it */
        s->n_pending++;
        account_member(s, st->size);
        return sink_reap(s, false);
}

int sink_stream_close(struct sink_stream *st, bool abandon)
{
        struct sink *s;
        int r = 0;

        if (!st)
                return -EINVAL;
        s = st->sink;
        if (st->rs && !abandon && st->error >= 0) {
                r = redact_stream_finish(st->rs);
                if (r < 0 && r != -ENOSPC)
                        st->error = r;
                if (redact_stream_binary(st->rs)) {
                        sink_note_about(s, st->source ? st->source : st->name,
                                        "skipped: binary content");
                        abandon = true;
                }
        }
        if (observed(s, st->flags))
                observe_end(st);
        if (!abandon && st->error < 0) {
                r = st->error;
                log_warning_errno(r, "%s: '%s' failed: %m", s->ctx ? s->ctx->name : "sink",
                                  st->name);
                abandon = true;
        }
        if (!abandon && (st->fd >= 0 || st->size > st->limit)) {
                r = stream_flush(st);
                if (r < 0)
                        abandon = true;
        }
        if (!abandon && (st->flags & SINK_KEEP_TAIL) && st->size > st->limit) {
                r = stream_compact(st, st->limit);
                if (r < 0)
                        abandon = true;
        }
        if (!abandon) {
                r = add_queued(s, st); /* staged, or all of it in wbuf */
                if (r < 0 && r != -ENOMEM)
                        sink_fail(s, r);
                if (r >= 0 && st->truncated) {
                        s->partial = true;
                        sink_note(s, "%s cut to %llu bytes (%s kept)", st->name,
                                  (unsigned long long) st->size,
                                  st->flags & SINK_KEEP_TAIL ? "newest part" : "beginning");
                }
        }
        if (st->packed) /* abandoned, or failed before it was handed over */
                (void) pack_end(st, true, NULL);
        for (size_t i = 0; i < s->n_open; i++)
                if (s->open[i] == st) {
                        s->open[i] = s->open[--s->n_open];
                        break;
                }
        redact_stream_free(st->rs);
        sha256_free(st->plain_sha);
        safe_close(st->fd);
        free(st->name);
        free(st->source);
        free(st->note);
        free(st);
        return r;
}

int sink_add_data(struct sink *s, const char *name, const void *data, size_t len, unsigned flags)
{
        struct sink_stream *st;
        int r;

        r = sink_open_stream(s, name, NULL, flags, &st);
        if (r < 0)
                return r;
        r = sink_stream_write(st, data, len);
        if (r < 0 && r != -ENOSPC) {
                (void) sink_stream_close(st, true);
                return r;
        }
        return sink_stream_close(st, false);
}

int sink_add_printf(struct sink *s, const char *name, unsigned flags, const char *fmt, ...)
{
        _cleanup_free_ char *p = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return sink_add_data(s, name, p, (size_t) n, flags);
}

int sink_add_raw(struct sink *s, const char *name, const void *data, size_t len)
{
        char hex[65];
        int r;

        if (!s->bundle)
                return -EROFS;
        if (s->fatal)
                return s->fatal;
        r = sink_reap(s, true);
        if (r < 0)
                return r;
        r = bundle_add_data(s->bundle, name, data, len, hex);
        if (r < 0) {
                sink_fail(s, r);
                return r;
        }
        return record_member(s, name, NULL, len, hex, false);
}

struct manifest_out {
        struct sink_stream *st;
        bool first;
};

static int manifest_row(void *userdata, const char *row, size_t len)
{
        struct manifest_out *o = userdata;
        int r;

        r = sink_stream_write(o->st, o->first ? "    " : ",\n    ", o->first ? 4 : 6);
        o->first = false;
        return r < 0 ? r : sink_stream_write(o->st, row, len);
}

int sink_add_manifest(struct sink *s, const char *name, json_t *head)
{
        _cleanup_free_ char *txt = json_dumps(head, JSON_INDENT(2) | JSON_EMBED);
        struct manifest_out o = { .first = true };
        int r;

        if (!txt)
                return -ENOMEM;
        r = sink_open_stream(s, name, NULL, SINK_NO_REDACT, &o.st);
        if (r < 0)
                return r;
        /* The head as jansson wrote it (JSON_EMBED: without its braces), then
         * "members": the rows as jansson wrote them; only the brackets and
         * commas that join them are written here. */
        r = sink_stream_write(o.st, "{", 1);
        if (r >= 0)
                r = sink_stream_write(o.st, txt, strlen(txt));
        if (r >= 0)
                r = sink_stream_write(o.st, ",\n  \"members\": [\n", 17);
        if (r >= 0)
                r = sink_members_foreach(s, manifest_row, &o);
        if (r >= 0)
                r = sink_stream_write(o.st, "\n  ]\n}", 6);
        if (r < 0) {
                (void) sink_stream_close(o.st, true);
                return r;
        }
        r = sink_stream_close(o.st, false);
        return r < 0 ? r : sink_flush(s);
}

static const char *file_type(mode_t m)
{
        if (S_ISFIFO(m))
                return "a FIFO";
        if (S_ISCHR(m) || S_ISBLK(m))
                return "a device";
        if (S_ISSOCK(m))
                return "a socket";
        if (S_ISDIR(m))
                return "a directory";
        return "not a regular file";
}

/* never_collect on what was opened: the path it resolves to and its device and inode
 * (a link in the tree to /etc/shadow is refused like /etc/shadow). -EPERM when refused. */
static int sink_check_opened(struct sink *s, int fd, const struct stat *sb, const char *path,
                             bool direct)
{
        _cleanup_free_ char *resolved = NULL;
        int r;

        if (!s->ctx)
                return 0;
        if (!s->never) {
                r = never_collect_new(ctx_root(s->ctx), ctx_never_collect(s->ctx), &s->never);
                if (r < 0)
                        return r;
        }
        if (!never_collect_fd_at(s->never, fd, sb, direct ? path : NULL, &resolved))
                return 0;
        sink_note(s, "%s never collected (policy: it is %s)", path,
                  resolved ? resolved :
                             "a "
                             "never-collect file");
        if (s->redactor)
                (void) redactor_note_skipped(s->redactor, path,
                                             resolved && !streq(resolved, path) ?
                                                     "never_collect policy (opened file)" :
                                                     "never_collect policy");
        return -EPERM;
}

int sink_check_fd(struct sink *s, int fd, const char *path)
{
        struct stat sb;

        if (!s || fd < 0 || !path)
                return -EINVAL;
        if (fstat(fd, &sb) < 0)
                return -errno;
        return sink_check_opened(s, fd, &sb, path, false);
}

int sink_check_stat(struct sink *s, int fd, const struct stat *sb, const char *path)
{
        if (!s || fd < 0 || !sb || !path)
                return -EINVAL;
        return sink_check_opened(s, fd, sb, path, false);
}

int sink_check_stat_direct(struct sink *s, int fd, const struct stat *sb, const char *path)
{
        if (!s || fd < 0 || !sb || !path)
                return -EINVAL;
        return sink_check_opened(s, fd, sb, path, true);
}

int sink_add_file(struct sink *s, const char *name, int dirfd, const char *path, unsigned flags)
{
        _cleanup_close_ int fd = -1;
        struct sink_stream *st;
        struct stat sb;
        uint64_t left, limit;
        int r;

        if (!s || !path)
                return -EINVAL;
        if (s->ctx && ctx_path_forbidden(s->ctx, path)) {
                sink_note(s, "%s never collected (policy)", path);
                if (s->redactor)
                        (void) redactor_note_skipped(s->redactor, path, "never_collect policy");
                return -EPERM;
        }
        fd = open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (fd == -ELOOP || fd == -EXDEV)
                        sink_note(s, "%s skipped: link leads outside the root", path);
                else if (fd != -ENOENT)
                        sink_note(s, "%s skipped: %s", path, strerror(-fd));
                return fd;
        }
        if (fstat(fd, &sb) < 0)
                return -errno;
        r = sink_check_opened(s, fd, &sb, path, false);
        if (r < 0)
                return r;
        if (!S_ISREG(sb.st_mode)) {
                sink_note(s, "%s skipped: %s", path, file_type(sb.st_mode));
                return -EBADFD;
        }
        r = sink_open_stream(s, name, path, flags, &st);
        if (r < 0)
                return r;
        /* Read no more than the size seen at open: a growing file cannot keep us. */
        left = (uint64_t) sb.st_size;
        limit = st->limit;
        if ((flags & SINK_KEEP_TAIL) && left > limit && !observed(s, flags)) {
                if (lseek(fd, (off_t) (left - limit), SEEK_SET) >= 0) {
                        left = limit;
                        st->skip_partial_first_line = true;
                        st->truncated = true;
                }
        }
        while (left > 0) {
                char buf[128 * 1024];
                ssize_t n = read(fd, buf, (size_t) MIN(left, (uint64_t) sizeof(buf)));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        sink_stream_note(st, "read error after %llu bytes: %s",
                                         (unsigned long long) ((uint64_t) sb.st_size - left),
                                         strerror(-r));
                        break;
                }
                if (n == 0) {
                        sink_stream_note(st, "file shrank while being read (truncated or "
                                             "rotated)");
                        break;
                }
                left -= (uint64_t) n;
                r = sink_stream_write(st, buf, (size_t) n);
                if (r == -ENOSPC)
                        break;
                if (r < 0) {
                        (void) sink_stream_close(st, true);
                        return r;
                }
                if (s->ctx && ctx_expired(s->ctx)) {
                        sink_stream_note(st, "cut at the collector's deadline");
                        break;
                }
        }
        return sink_stream_close(st, false);
}

struct command_out {
        struct sink_stream *st;
};

static int command_output(void *userdata, const char *data, size_t len)
{
        struct command_out *c = userdata;
        int r = sink_stream_write(c->st, data, len);

        return r == -ENOSPC ? 0 : r;
}

int sink_add_command(struct sink *s, const char *name, char *const *argv, usec_t timeout,
                     int *ret_status)
{
        _cleanup_free_ char *member = NULL, *cmdline = NULL;
        struct command_result res = {};
        struct command_out c = {};
        char status[128], dur[32];
        int r;

        if (!s || !name || !argv || !argv[0])
                return -EINVAL;
        if (s->ctx && s->ctx->deadline) {
                usec_t t = now(CLOCK_MONOTONIC);

                if (t >= s->ctx->deadline)
                        return -ETIMEDOUT;
                timeout = MIN(timeout, s->ctx->deadline - t);
        }
        member = xasprintf("commands/%s.txt", name);
        cmdline = strv_join(argv, " ");
        if (!member || !cmdline)
                return -ENOMEM;
        r = sink_open_stream(s, member, cmdline, 0, &c.st);
        if (r < 0)
                return r;
        (void) sink_stream_printf(c.st, "$ %s\n\n", cmdline);
        r = command_run(argv, timeout, COMMAND_OUTPUT_MAX, command_output, &c, &res);
        if (r < 0) {
                (void) sink_stream_close(c.st, true);
                return r;
        }
        (void) sink_stream_printf(c.st, "\n-- %s; duration %s%s\n",
                                  command_status_string(&res, status, sizeof(status)),
                                  format_duration(dur, sizeof(dur), res.duration),
                                  res.truncated ? "; output cut" : "");
        r = sink_stream_close(c.st, false);
        if (ret_status)
                *ret_status = res.status;
        if (res.exec_error)
                return -res.exec_error;
        if (res.timed_out)
                return -ETIMEDOUT;
        return r;
}

int sink_add_finding(struct sink *s, const struct finding *f)
{
        struct finding c;

        if (!s || !f || f->kind < 0 || f->kind >= _FINDING_KIND_MAX)
                return -EINVAL;
        c = *f;
        c.source = s->ctx ? s->ctx->name : "agent";
        return report_add_finding(s->report, &c);
}
