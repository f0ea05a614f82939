/* SPDX-License-Identifier: MIT */
/*
 * The log-files collector: the policy's paths evaluated under the root
 * (globs; a directory means every file below it, to max_depth) plus the log
 * files of the critical and failing units (LogsDirectory=, StandardOutput=
 * file:/append:). Each regular text file modified in the window (rotated .gz
 * included; binary content recognised by its first bytes) is copied to
 * logs/files/<path> with only the lines of the window, decided by the
 * timestamps in the lines (continuation lines follow the line before; files
 * without timestamps by their modification time). NUL runs and invalid bytes
 * are replaced in place; a line longer than LINE_MAX_LEN keeps its newest
 * part. When a file's window is larger than its budget the newest part is
 * kept: plain files are entered at the right offset, gzip files are measured
 * in a first pass. Every open goes through open_beneath(); every file or
 * directory that could not be read, and every limit that cut something, is a
 * note and makes the result partial.
 */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "fd-util.h"
#include "keyset.h"
#include "litscan.h"
#include "logtime.h"
#include "logs.h"
#include "sink.h"
#include "strv.h"
#include "unit-file.h"

#define BISECT_MIN (4U * 1024U * 1024U) /* plain files larger than this are bisected */
#define BISECT_PROBE (16U * 1024U)
#define LINE_MAX_LEN (256U * 1024U) /* longer lines keep their newest part */
#define REPAIR_MAX (3U * LINE_MAX_LEN + 128U)
#define WALK_MAX_ENTRIES 200000U /* directory entries looked at, at most */

struct logs_state {
        /* options */
        char **paths;
        char **exclude;
        uint64_t max_files;
        uint64_t max_depth;
        bool unit_logs;
};

/* Paths are packed in blocks (no allocation, no malloc header per file). */
#define PATH_BLOCK (64U * 1024U)

struct path_block {
        struct path_block *next;
        size_t used, size;
        char data[];
};

static char *path_keep(struct path_block **head, const char *path)
{
        size_t n = strlen(path) + 1;
        struct path_block *b = *head;

        if (!b || b->size - b->used < n) {
                size_t size = MAX((size_t) PATH_BLOCK, n);

                b = xmalloc(offsetof(struct path_block, data) + size);
                if (!b)
                        return NULL;
                *b = (struct path_block) { .next = *head, .size = size };
                *head = b;
        }
        memcpy(b->data + b->used, path, n);
        b->used += n;
        return b->data + b->used - n;
}

static void path_blocks_free(struct path_block *b)
{
        while (b) {
                struct path_block *next = b->next;

                free(b);
                b = next;
        }
}

/* The files found, and what the listing saw on its way. */
struct listing {
        struct logs_state *s;
        struct collect_ctx *ctx;
        struct sink *sink;
        struct logs_file *files;
        size_t n, alloc;
        struct keyset seen;       /* dev/inode pairs */
        struct path_block *paths; /* where the files' paths are kept */
        size_t n_old;             /* last written before the window */
        size_t entries;           /* directory entries looked at */
        bool walk_cut;
        struct logs_helper *helper; /* the walks' second thread, or NULL */
        bool helper_tried;
};

/* The line filter of one pass over one file. */
struct pass {
        usec_t since, until;
        struct logtime_hint hint;
        bool end_known; /* mtime <= until: no line is after the window */
        bool parse;     /* still reading timestamps */
        bool in;        /* decision for the current (and continuation) lines */
        bool stop;      /* past the window: stop reading */
        uint64_t skip;  /* in-window bytes to drop before writing (the cut) */
        uint64_t counted;
        uint64_t written;
        struct sink_stream *st; /* NULL: measuring pass */
        int error;
        const char *path;
        char *repair; /* REPAIR_MAX bytes */
        struct logs_repair repaired;
        struct logs_findings *findings; /* NULL: measuring pass */
        int words;                      /* the sink's set of the findings' phrases, or < 0 */
        uint64_t long_lines;            /* lines cut to their newest part */
        uint64_t long_cut;              /* bytes cut from them */
        usec_t line_t;                  /* time of the current long line's head */
        uint64_t line_cut;              /* bytes cut from the current line (0: not long) */
};

/* Scratch of one collection: the read buffer, the repair buffer, findings. */
struct work {
        char *buf;
        char *head_buf;   /* LOGS_SNIFF_BYTES */
        const char *head; /* the first bytes of the file: head_buf or read ahead */
        size_t head_len;
        char *repair;
        struct logs_findings findings;
        int words; /* the findings' phrases as words of the sink (sink_add_words()), or < 0 */
        struct keyset names; /* member names used */
        char *name;          /* the current member's name */
        size_t name_size;
};

static void pass_init(struct pass *p, struct collect_ctx *ctx, const struct logs_file *f,
                      struct work *w)
{
        *p = (struct pass) {
                .since = ctx_since(ctx),
                .until = ctx_until(ctx),
                .end_known = (usec_t) f->mtime * USEC_PER_SEC <= ctx_until(ctx),
                .parse = true,
                .in = true, /* lines before the first timestamp: the mtime said yes */
                .path = f->path,
                .repair = w->repair,
        };
        logtime_hint_from_time(&p->hint, f->mtime);
}

/* Decides whether the line (or the head of a long one) is in the window. */
static void pass_decide(struct pass *p, const char *line, size_t len, usec_t *ret_t)
{
        usec_t t;

        *ret_t = 0;
        if (!p->parse || !logtime_parse(line, len, &p->hint, &t))
                return;
        *ret_t = t;
        if (t < p->since)
                p->in = false;
        else if (t > p->until) {
                p->in = false;
                p->stop = true;
        } else {
                p->in = true;
                /* Everything after a line in the window is in it too when the
                 * file was last written before the window's end. */
                if (p->end_known)
                        p->parse = false;
        }
}

/* nl: line[len] is the line's newline, in the read buffer. */
static void pass_emit(struct pass *p, const char *line, size_t len, usec_t t, bool nl)
{
        struct sink_line_meta meta = { .timestamp = t, .priority = -1 };
        char *out = p->repair;
        size_t n = 0;

        if (!p->in || p->stop)
                return;
        p->counted += len + 1;
        /* With a cut, only lines that start after the skipped part are written. */
        if (p->counted - (len + 1) < p->skip || !p->st)
                return;
        if (p->line_cut > 0)
                n = (size_t) snprintf(out, 128,
                                      "[collect: the first %" PRIu64 " bytes of this %" PRIu64
                                      "-byte line were cut, the last %zu are kept] ",
                                      p->line_cut, p->line_cut + len, len);
        if (!logs_text_clean(line, len))
                n += logs_text_repair(line, len, out + n, &p->repaired);
        else if (n > 0) {
                memcpy(out + n, line, len);
                n += len;
        }
        if (p->findings && n > 0)
                logs_findings_scan(p->findings, p->path, line, len, t);
        if (n > 0)
                p->error = sink_stream_write_line(p->st, &meta, out, n);
        else if (nl)
                p->error = sink_stream_write_line_nl(p->st, &meta, line, len);
        else
                p->error = sink_stream_write_line(p->st, &meta, line, len);
        if (p->error == 0)
                p->written += len + 1;
        /* the line went to the sink as it is: its scan of the line found the phrases */
        if (p->findings && n == 0) {
                uint64_t found;

                if (p->words > 0 && sink_stream_line_words(p->st, p->words, &found))
                        logs_findings_line(p->findings, p->path, line, len, t, found);
                else
                        logs_findings_scan(p->findings, p->path, line, len, t);
        }
}

static void pass_line(struct pass *p, const char *line, size_t len, bool nl)
{
        usec_t t = p->line_t;

        if (p->line_cut == 0)
                pass_decide(p, line, len, &t);
        pass_emit(p, line, len, t, nl);
        p->line_cut = 0;
        p->line_t = 0;
}

/* A line longer than the buffer: its head decides, its newest part is kept.
 * Drops the older half of buf; returns what is left in it. */
static size_t pass_long(struct pass *p, char *buf, size_t have)
{
        size_t drop = have / 2;

        if (p->line_cut == 0) {
                pass_decide(p, buf, have, &p->line_t);
                p->long_lines++;
        }
        p->line_cut += drop;
        p->long_cut += drop;
        memmove(buf, buf + drop, have - drop);
        return have - drop;
}

/* Feeds the reader's content through the filter, line by line. With
 * skip_partial the first (partial) line is dropped. The first bytes of the
 * file decide whether it is text (else *ret_binary says what it is). */
static int pass_run(struct pass *p, struct logs_reader *r, char *buf, bool skip_partial,
                    const char **ret_binary)
{
        size_t have = 0;
        bool first = true;

        for (;;) {
                ssize_t n = logs_reader_read(r, buf + have, LINE_MAX_LEN - have);
                char *s, *scan, *end, *nl;

                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                if (first && r->gz && (*ret_binary = logs_sniff_binary(buf, (size_t) n)))
                        return 0;
                first = false;
                s = buf;
                scan = buf + have;
                end = buf + have + n;
                if (skip_partial) {
                        nl = memchr(scan, '\n', end - scan);
                        if (!nl) {
                                have = 0;
                                continue;
                        }
                        s = scan = nl + 1;
                        skip_partial = false;
                }
                while ((nl = memchr(scan, '\n', end - scan))) {
                        pass_line(p, s, nl - s, true);
                        if (p->error < 0 || p->stop)
                                return p->error == -ENOSPC ? 0 : p->error;
                        s = scan = nl + 1;
                }
                have = end - s;
                if (have > 0 && s != buf)
                        memmove(buf, s, have);
                if (have == LINE_MAX_LEN)
                        have = pass_long(p, buf, have);
                if (p->error < 0 || p->stop)
                        return p->error == -ENOSPC ? 0 : p->error;
        }
        if (have > 0 && !skip_partial && !r->shrank)
                pass_line(p, buf, have, false); /* the last line has no newline */
        return p->error == -ENOSPC ? 0 : p->error;
}

/* First timestamp of a whole line after raw offset off (plain files), and the
 * offset of that line. False if none could be read there. */
static bool probe_time(int fd, uint64_t off, const struct logtime_hint *hint, char *buf,
                       usec_t *ret, uint64_t *ret_off)
{
        ssize_t n = pread(fd, buf, BISECT_PROBE, (off_t) off);
        char *s, *end, *nl;

        if (n <= 0)
                return false;
        end = buf + n;
        s = buf;
        if (off > 0) {
                nl = memchr(buf, '\n', n);
                if (!nl)
                        return false;
                s = nl + 1;
        }
        while (s < end && (nl = memchr(s, '\n', end - s))) {
                if (logtime_parse(s, nl - s, hint, ret)) {
                        *ret_off = off + (uint64_t) (s - buf);
                        return true;
                }
                s = nl + 1;
        }
        return false;
}

/* An offset before the first line of the window (lines are assumed to be in
 * time order): bisection over the file, then a linear read from there. */
static uint64_t find_start(int fd, uint64_t size, usec_t since, const struct logtime_hint *hint,
                           char *buf)
{
        uint64_t lo = 0, hi = size;

        while (hi - lo > 2 * BISECT_PROBE) {
                uint64_t mid = lo + (hi - lo) / 2, line_off;
                usec_t t;

                if (!probe_time(fd, mid, hint, buf, &t, &line_off))
                        break;
                if (t < since)
                        lo = line_off;
                else
                        hi = mid;
        }
        return lo;
}

static bool excluded(struct logs_state *s, const char *path)
{
        STRV_FOREACH(g, s->exclude)
                if (fnmatch(*g, path, 0) == 0)
                        return true;
        return false;
}

static const char *type_name(mode_t m)
{
        if (S_ISFIFO(m))
                return "FIFO";
        if (S_ISCHR(m))
                return "character device";
        if (S_ISBLK(m))
                return "block device";
        if (S_ISSOCK(m))
                return "socket";
        return "not a regular file";
}

/* The member's name, in w->name (grown as needed, no allocation per file). */
static int member_name(const struct logs_file *f, bool gz, struct work *w, const char **ret)
{
        static const char prefix[] = "logs/files";
        size_t plen = strlen(f->path), need = sizeof(prefix) + plen;
        size_t keep = plen;
        int r;

        if (need > w->name_size) {
                char *n = xrealloc(w->name, need);

                if (!n)
                        return -ENOMEM;
                w->name = n;
                w->name_size = need;
        }
        /* syslog.2.gz → logs/files/var/log/syslog.2 (its content is inflated). */
        if (gz && plen > 3 && streq(f->path + plen - 3, ".gz"))
                keep = plen - 3;
        memcpy(w->name, prefix, sizeof(prefix) - 1);
        memcpy(w->name + sizeof(prefix) - 1, f->path, keep);
        w->name[sizeof(prefix) - 1 + keep] = 0;
        if (keep != plen &&
            keyset_contains(&w->names, keyset_key(w->name, sizeof(prefix) - 1 + keep, 0))) {
                memcpy(w->name + sizeof(prefix) - 1, f->path, plen + 1);
                keep = plen;
        }
        r = keyset_add(&w->names, keyset_key(w->name, sizeof(prefix) - 1 + keep, 0));
        if (r < 0)
                return r;
        *ret = w->name;
        return 0;
}

/* What of the file the stream holds, for the manifest. */
static void pass_notes(struct sink *sink, struct sink_stream *st, const struct pass *p,
                       const struct logs_file *f)
{
        if (p->repaired.nul > 0 || p->repaired.invalid > 0)
                sink_stream_note(st,
                                 "%s: %" PRIu64
                                 " NUL bytes replaced by [NUL×N] markers and %" PRIu64
                                 " bytes that were not UTF-8 by U+FFFD; the text around "
                                 "them is kept",
                                 f->path, p->repaired.nul, p->repaired.invalid);
        if (p->long_lines > 0) {
                sink_stream_note(st,
                                 "%s: %" PRIu64 " line(s) longer than %u bytes: the newest %u "
                                 "to %u bytes of each are kept (%" PRIu64 " bytes cut, marked "
                                 "in the line)",
                                 f->path, p->long_lines, LINE_MAX_LEN, LINE_MAX_LEN / 2,
                                 LINE_MAX_LEN, p->long_cut);
                sink_stream_mark_truncated(st);
                sink_note(sink, "%s: %" PRIu64 " over-long line(s) cut to their newest part",
                          f->path, p->long_lines);
                sink_mark_partial(sink);
        }
}

/* The reader starts from the bytes read already (those the file had at open). */
static void reader_head(struct logs_reader *r, const struct work *w)
{
        r->head = w->head;
        r->head_len = (size_t) MIN((uint64_t) w->head_len, r->limit);
}

/* Where to start reading and how much of the window to skip, so that what is
 * written fits budget (the newest part kept). */
static int plan_read(struct pass *p, int fd, bool gz, uint64_t limit, uint64_t budget,
                     struct work *w, uint64_t *start, bool *skip_partial, bool *cut,
                     const char **binary)
{
        struct logs_reader r = {};
        uint64_t bound;
        int ret;

        if (!gz && limit > BISECT_MIN && p->since > 0) {
                *start = find_start(fd, limit, p->since, &p->hint, w->buf);
                *skip_partial = *start > 0;
        }
        if (!gz && p->end_known && limit - *start > budget) {
                /* Keep the newest budget bytes: enter the file there. */
                *start = limit - budget;
                *skip_partial = true;
                *cut = true;
                return 0;
        }
        bound = gz ? logs_gzip_isize(fd, limit) : limit - *start;
        if (gz && (bound < limit || limit > (256ULL << 20)))
                bound = UINT64_MAX; /* the gzip trailer cannot be trusted */
        if (bound <= budget)
                return 0;
        /* Measure the window first, then write only its newest part. */
        ret = logs_reader_init(&r, fd, gz, *start, limit);
        if (ret < 0)
                return ret;
        reader_head(&r, w);
        ret = pass_run(p, &r, w->buf, *skip_partial, binary);
        logs_reader_done(&r);
        if (ret < 0)
                return ret;
        if (p->counted > budget) {
                p->skip = p->counted - budget;
                *cut = true;
        }
        return 0;
}

/* The file as opened ahead (o): its descriptor (owned by the ring) once it is
 * known to be the file listed and allowed by never_collect. */
static int open_log(struct sink *sink, const struct logs_file *f, const struct logs_opened *o,
                    uint64_t *ret_limit)
{
        if (o->fd < 0) {
                sink_note(sink, "skipped %s: %s", f->path, strerror(-o->fd));
                sink_mark_partial(sink);
                return o->fd;
        }
        if (o->stat_error < 0 || !S_ISREG(o->st.st_mode) || o->st.st_ino != f->ino ||
            o->st.st_dev != f->dev) {
                sink_note(sink, "skipped %s: replaced while being listed", f->path);
                sink_mark_partial(sink);
                return -ESTALE;
        }
        /* opened by f->path without a link: that is the path to check */
        if ((o->direct ? sink_check_stat_direct(sink, o->fd, &o->st, f->path) :
                         sink_check_stat(sink, o->fd, &o->st, f->path)) < 0)
                return -EPERM;                 /* never_collect: noted by the sink */
        *ret_limit = (uint64_t) o->st.st_size; /* never read beyond what was there at open */
        return o->fd;
}

static int collect_one(struct collect_ctx *ctx, struct sink *sink, const struct logs_file *f,
                       const struct logs_opened *o, uint64_t budget, struct work *w)
{
        const char *name = NULL;
        struct sink_stream *st = NULL;
        struct logs_reader r = {};
        struct pass p;
        uint64_t start = 0, limit = 0, skip;
        bool gz, cut = false, skip_partial = false;
        const char *binary = NULL;
        ssize_t n;
        int fd, ret;

        fd = open_log(sink, f, o, &limit);
        if (fd < 0)
                return 0;
        if (logs_test_after_open)
                logs_test_after_open(f->path, fd);

        /* one read gives the gzip magic, the sniff and (for a small file) the content */
        if (o->read) {
                w->head = o->head;
                w->head_len = o->head_len;
                gz = o->gz;
                binary = o->binary;
        } else {
                do
                        n = pread(fd, w->head_buf, LOGS_SNIFF_BYTES, 0);
                while (n < 0 && errno == EINTR);
                w->head = w->head_buf;
                w->head_len = n > 0 ? (size_t) n : 0;
                gz = logs_is_gzip(w->head, w->head_len);
                if (!gz && w->head_len > 0)
                        binary = logs_sniff_binary(w->head, w->head_len);
        }
        pass_init(&p, ctx, f, w);
        if (!binary) {
                ret = plan_read(&p, fd, gz, limit, budget, w, &start, &skip_partial, &cut, &binary);
                if (ret < 0) {
                        sink_note(sink, "skipped %s: %s", f->path, strerror(-ret));
                        sink_mark_partial(sink);
                        return 0;
                }
        }
        if (binary) {
                sink_note(sink, "skipped %s: %s, not text", f->path, binary);
                return 0;
        }
        skip = p.skip;
        pass_init(&p, ctx, f, w);
        p.skip = skip;
        p.findings = &w->findings;
        p.words = w->words;

        ret = member_name(f, gz, w, &name);
        if (ret < 0)
                return ret;
        ret = sink_open_stream(sink, name, f->path, SINK_KEEP_TAIL | SINK_SCAN_ERRORS, &st);
        if (ret < 0)
                return clog_error_errno(ctx, ret, "opening %s: %m", name);
        p.st = st;
        ret = logs_reader_init(&r, fd, gz, start, limit);
        if (ret >= 0) {
                reader_head(&r, w);
                ret = pass_run(&p, &r, w->buf, skip_partial, &binary);
        }
        if (binary) {
                logs_reader_done(&r);
                (void) sink_stream_close(st, true);
                sink_note(sink, "skipped %s: %s, not text", f->path, binary);
                return 0;
        }
        if (ret < 0)
                sink_stream_note(st, "reading %s failed: %s", f->path, strerror(-ret));
        if (r.damaged)
                sink_stream_note(st, "%s: %s; the readable part is kept", f->path, r.damage);
        else if (r.shrank)
                sink_stream_note(st,
                                 "%s shrank while being read (truncated or rotated); "
                                 "read %" PRIu64 " of %" PRIu64 " bytes",
                                 f->path, r.pos, limit);
        if (cut) {
                sink_stream_mark_truncated(st);
                sink_stream_note(st,
                                 "%s: the window is larger than the budget (%" PRIu64
                                 " bytes); the newest part is kept",
                                 f->path, budget);
        }
        pass_notes(sink, st, &p, f);
        if (r.damaged || r.shrank || cut || ret < 0)
                sink_mark_partial(sink);
        logs_reader_done(&r);

        if (p.written == 0 && !r.damaged && !r.shrank && ret >= 0)
                return sink_stream_close(st, true); /* nothing of the window */
        return sink_stream_close(st, false);
}

/* ---- listing ---- */

static bool excluded_name(struct logs_state *s, const char *path)
{
        const char *base = strrchr(path, '/');

        if (excluded(s, path))
                return true;
        /* Patterns without a '/' also match the file name alone. */
        STRV_FOREACH(g, s->exclude)
                if (!strchr(*g, '/') && base && fnmatch(*g, base + 1, 0) == 0)
                        return true;
        return false;
}

static int add_file(struct listing *l, const char *inner, const struct stat *st)
{
        struct logs_file *nf;
        int r;

        if (st->st_size == 0)
                return 0;
        if ((usec_t) st->st_mtime * USEC_PER_SEC + USEC_PER_SEC <= ctx_since(l->ctx)) {
                l->n_old++; /* last written before the window: not even opened */
                return 0;
        }
        r = keyset_add(&l->seen, keyset_key(&st->st_ino, sizeof(st->st_ino), st->st_dev));
        if (r <= 0)
                return r;
        if (l->n == l->alloc) {
                size_t na = l->alloc ? l->alloc + l->alloc / 2 : 64;

                nf = xrealloc(l->files, na * sizeof(*nf));
                if (!nf)
                        return -ENOMEM;
                l->files = nf;
                l->alloc = na;
        }
        l->files[l->n] = (struct logs_file) {
                .path = path_keep(&l->paths, inner),
                .dev = st->st_dev,
                .ino = st->st_ino,
                .mtime = st->st_mtime,
        };
        if (!l->files[l->n].path)
                return -ENOMEM;
        l->n++;
        return 0;
}

static int walk_dir(struct listing *l, int dfd, const char *name, const char *inner,
                    unsigned depth);

/* An entry (dfd/name in a walk, else dfd -1) once stat'ed. */
static int consider_stat(struct listing *l, int dfd, const char *name, const char *inner,
                         unsigned depth, const struct stat *st)
{
        if (S_ISDIR(st->st_mode))
                return walk_dir(l, dfd, name, inner, depth);
        if (!S_ISREG(st->st_mode)) {
                sink_note(l->sink, "skipped %s: %s", inner, type_name(st->st_mode));
                return 0;
        }
        return add_file(l, inner, st);
}

/* A path given directly (asked: named by a unit, so that its absence is worth a note). */
static int consider(struct listing *l, const char *inner, bool asked)
{
        _cleanup_close_ int pfd = -1;
        struct stat st;

        if (inner[0] != '/' || excluded_name(l->s, inner))
                return 0;
        if (ctx_path_forbidden(l->ctx, inner)) {
                sink_note(l->sink, "skipped %s: never collected (policy)", inner);
                return 0;
        }
        pfd = open_beneath(ctx_root_fd(l->ctx), inner, O_PATH | O_CLOEXEC);
        if (pfd < 0) {
                if (pfd == -ENOENT && !asked)
                        return 0;
                sink_note(l->sink, "skipped %s: %s", inner,
                          pfd == -EXDEV || pfd == -ELOOP ? "link leaves the root" : strerror(-pfd));
                sink_mark_partial(l->sink);
                return 0;
        }
        if (fstat(pfd, &st) < 0)
                return 0;
        return consider_stat(l, -1, NULL, inner, 0, &st);
}

/* ---- a directory's entries, a batch at a time ----
 * The name checks (exclude, never_collect) and the fstatat() of a batch's
 * entries are split between the collecting thread and the helper; then the
 * entries are taken in their order, so that the notes, the files and their
 * order are those of one entry at a time. A batch ends with an entry that
 * may be a directory (its walk comes last), so that entries are counted
 * (WALK_MAX_ENTRIES, the deadline) in the same order as before. */

#define LIST_BATCH 64U

enum { ENTRY_SKIP, ENTRY_FORBIDDEN, ENTRY_STAT };

struct batch {
        struct listing *l;
        int dfd;
        size_t plen, stride; /* each path: inner, '/', name, NUL in stride bytes */
        char *paths;         /* LIST_BATCH * stride */
        struct stat st[LIST_BATCH];
        int verdict[LIST_BATCH];
        size_t n;
};

static char *batch_path(struct batch *b, size_t k)
{
        return b->paths + k * b->stride;
}

static void batch_judge(void *userdata, size_t k)
{
        struct batch *b = userdata;
        const char *path = batch_path(b, k);

        if (excluded_name(b->l->s, path))
                b->verdict[k] = ENTRY_SKIP;
        else if (ctx_path_forbidden(b->l->ctx, path))
                b->verdict[k] = ENTRY_FORBIDDEN;
        else if (fstatat(b->dfd, path + b->plen + 1, &b->st[k], AT_SYMLINK_NOFOLLOW) < 0 ||
                 S_ISLNK(b->st[k].st_mode))
                b->verdict[k] =
                        ENTRY_SKIP; /* vanished; links inside a walk lead to files seen anyway */
        else
                b->verdict[k] = ENTRY_STAT;
}

static int batch_take(struct batch *b, unsigned depth)
{
        int r = 0;

        if (!b->l->helper_tried && b->n == LIST_BATCH) { /* a large directory */
                b->l->helper = logs_helper_new();
                b->l->helper_tried = true;
        }
        logs_helper_split(b->l->helper, batch_judge, b, b->n);
        for (size_t k = 0; k < b->n && r >= 0; k++) {
                char *path = batch_path(b, k);

                if (b->verdict[k] == ENTRY_FORBIDDEN)
                        sink_note(b->l->sink, "skipped %s: never collected (policy)", path);
                else if (b->verdict[k] == ENTRY_STAT)
                        r = consider_stat(b->l, b->dfd, path + b->plen + 1, path, depth + 1,
                                          &b->st[k]);
        }
        b->n = 0;
        return r;
}

static int walk_entries(struct listing *l, DIR *d, const char *inner, unsigned depth)
{
        size_t plen = streq(inner, "/") ? 0 : strlen(inner);
        _cleanup_free_ struct batch *b = xmalloc(sizeof(*b));
        _cleanup_free_ char *paths = NULL;
        int r = 0;

        if (!b)
                return -ENOMEM;
        /* a name is at most NAME_MAX bytes */
        *b = (struct batch) { .l = l, .dfd = dirfd(d), .plen = plen, .stride = plen + NAME_MAX + 2 };
        paths = b->paths = xmalloc(LIST_BATCH * b->stride);
        if (!paths)
                return -ENOMEM;
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                char *path = batch_path(b, b->n);
                size_t n = strnlen(de->d_name, NAME_MAX);

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (++l->entries > WALK_MAX_ENTRIES ||
                    ((l->entries & 1023) == 0 && ctx_expired(l->ctx))) {
                        l->walk_cut = true;
                        break;
                }
                memcpy(path, inner, plen);
                path[plen] = '/';
                memcpy(path + plen + 1, de->d_name, n);
                path[plen + 1 + n] = 0;
                b->n++;
                if (b->n == LIST_BATCH || (de->d_type != DT_REG && de->d_type != DT_LNK))
                        r = batch_take(b, depth);
        }
        if (r >= 0 && b->n > 0)
                r = batch_take(b, depth);
        return r;
}

/* The files below directory inner (dfd/name in a walk, else opened beneath
 * the root), to max_depth. */
static int walk_dir(struct listing *l, int dfd, const char *name, const char *inner, unsigned depth)
{
        _cleanup_close_ int fd = -1;
        DIR *d;
        int r;

        if (l->walk_cut)
                return 0;
        if (depth >= l->s->max_depth) {
                sink_note(l->sink, "not read below %s: deeper than max_depth %" PRIu64, inner,
                          l->s->max_depth);
                sink_mark_partial(l->sink);
                return 0;
        }
        if (dfd >= 0)
                fd = openat(dfd, name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        else
                fd = open_beneath(ctx_root_fd(l->ctx), inner, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0 && fd < 0)
                fd = -errno;
        if (fd < 0) {
                sink_note(l->sink, "skipped directory %s: %s", inner, strerror(-fd));
                sink_mark_partial(l->sink);
                return 0;
        }
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1;
        r = walk_entries(l, d, inner, depth);
        closedir(d);
        return r;
}

static int list_pattern(struct listing *l, const char *pattern)
{
        const char *root = ctx_root(l->ctx);
        size_t rootlen = streq(root, "/") ? 0 : strlen(root);
        _cleanup_free_ char *full = NULL;
        glob_t g = {};
        int r = 0;

        while (rootlen > 0 && root[rootlen - 1] == '/')
                rootlen--;
        if (pattern[0] != '/') {
                sink_note(l->sink, "ignored path pattern %s: not absolute", pattern);
                return 0;
        }
        if (!strpbrk(pattern, "*?[{"))
                return consider(l, pattern, false);
        full = xasprintf("%.*s%s", (int) rootlen, root, pattern);
        if (!full)
                return -ENOMEM;
        if (glob(full, GLOB_NOSORT | GLOB_BRACE, NULL, &g) != 0) {
                globfree(&g);
                return 0;
        }
        for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
                r = consider(l, g.gl_pathv[i] + rootlen, true);
        globfree(&g);
        return r;
}

/* "file:/var/log/app/out.log" → the path; NULL for other kinds of output. */
static const char *output_file(const char *v)
{
        static const char *const kinds[] = { "file:", "append:", "truncate:" };

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strncmp(v, kinds[i], strlen(kinds[i])) == 0 && v[strlen(kinds[i])] == '/')
                        return v + strlen(kinds[i]);
        return NULL;
}

/* The log files a unit names: LogsDirectory= (below /var/log) and
 * StandardOutput=/StandardError= file:, append:, truncate:. */
static int list_unit(struct listing *l, const char *unit)
{
        static const char *const keys[] = { "StandardOutput", "StandardError" };
        _cleanup_(unit_files_done) struct unit_files u = {};
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        r = unit_files_find(ctx_root_fd(l->ctx), unit, &u);
        if (r <= 0)
                return r == -ENOMEM ? r : 0;
        r = unit_files_get(ctx_root_fd(l->ctx), &u, "LogsDirectory", &dirs);
        STRV_FOREACH(v, dirs) {
                _cleanup_free_ char *words = xstrdup(*v);
                char *save = NULL;

                if (!words)
                        return -ENOMEM;
                for (char *w = strtok_r(words, " \t", &save); w && r >= 0;
                     w = strtok_r(NULL, " \t", &save)) {
                        _cleanup_free_ char *p = NULL;

                        if (w[0] == '/' || strstr(w, ".."))
                                continue;
                        p = xasprintf("/var/log/%.*s", (int) strcspn(w, ":"), w);
                        r = p ? consider(l, p, true) : -ENOMEM;
                }
        }
        for (size_t k = 0; r >= 0 && k < ELEMENTSOF(keys); k++) {
                _cleanup_strv_free_ char **outs = NULL;

                r = unit_files_get(ctx_root_fd(l->ctx), &u, keys[k], &outs);
                STRV_FOREACH(v, outs) {
                        const char *p = output_file(*v);

                        if (r >= 0 && p && !strstr(p, ".."))
                                r = consider(l, p, true);
                }
        }
        return r;
}

static int list_units(struct listing *l)
{
        _cleanup_strv_free_ char **units = NULL;
        int r;

        r = ctx_problem_units(l->ctx, &units);
        if (r < 0)
                return r;
        STRV_FOREACH(u, (char **) ctx_critical_units(l->ctx)) {
                if (!strv_contains(units, *u)) {
                        r = strv_extend(&units, *u);
                        if (r < 0)
                                return r;
                }
        }
        STRV_FOREACH(u, units) {
                if (!unit_name_valid(*u))
                        continue;
                r = list_unit(l, *u);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int list_files(struct listing *l)
{
        int r = 0;

        STRV_FOREACH(pattern, l->s->paths) {
                r = list_pattern(l, *pattern);
                if (r < 0)
                        return r;
        }
        if (l->s->unit_logs) {
                r = list_units(l);
                if (r < 0)
                        return r;
        }
        if (l->walk_cut) {
                sink_note(l->sink,
                          "listing stopped after %zu directory entries (limit %u or "
                          "deadline): further log files not collected",
                          l->entries, WALK_MAX_ENTRIES);
                sink_mark_partial(l->sink);
        }
        if (l->n_old > 0)
                clog_debug(l->ctx, "%zu files last written before the window were not read",
                           l->n_old);
        return 0;
}

/* Newest first: when max_files or the budget cuts, the oldest files go. */
static int file_cmp(const void *a, const void *b)
{
        const struct logs_file *x = a, *y = b;

        if (x->mtime != y->mtime)
                return x->mtime > y->mtime ? -1 : 1;
        return strcmp(x->path, y->path);
}

static void listing_done(struct listing *l)
{
        logs_helper_free(l->helper);
        l->helper = NULL;
        free(l->files);
        path_blocks_free(l->paths);
        l->paths = NULL;
        keyset_done(&l->seen);
}

static void work_done(struct work *w)
{
        free(w->buf);
        free(w->head_buf);
        free(w->name);
        free(w->repair);
        logs_findings_done(&w->findings);
        keyset_done(&w->names);
}

static int collect_files(struct logs_state *s, struct collect_ctx *ctx, struct sink *sink,
                         struct listing *l, struct work *w)
{
        size_t n = MIN(l->n, (size_t) s->max_files);
        struct logs_ahead *ahead = NULL;
        int r;

        r = logs_ahead_start(ctx_root_fd(ctx), l->files, n, &ahead);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t remaining = n - i;
                uint64_t left = ctx_budget_left(ctx);
                uint64_t budget = MIN(ctx_file_budget(ctx), left / remaining);

                if (ctx_expired(ctx)) {
                        sink_note(sink, "deadline reached: %zu log files not collected", remaining);
                        sink_mark_partial(sink);
                        break;
                }
                if (left == 0) {
                        sink_note(sink,
                                  "budget exhausted: %zu log files not collected (the "
                                  "oldest)",
                                  remaining);
                        sink_mark_partial(sink);
                        break;
                }
                r = collect_one(ctx, sink, &l->files[i], logs_ahead_get(ahead, i),
                                MAX(budget, (uint64_t) 1), w);
                logs_ahead_release(ahead, i);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        sink_note(sink, "%s: %s", l->files[i].path, strerror(-r));
                        sink_mark_partial(sink);
                }
                r = 0;
        }
        logs_ahead_free(ahead);
        return r;
}

static void zone_fact(struct collect_ctx *ctx, struct sink *sink)
{
        int r = logtime_zone_setup(ctx_root_fd(ctx), ctx_root(ctx));
        struct finding f = {
                .kind = FINDING_HOST_FACT,
                .subject = "timezone",
                .detail = logtime_zone_name(),
        };

        if (r < 0)
                sink_note(sink,
                          "time zone of the host unknown (%s): times without a zone read "
                          "as UTC",
                          strerror(-r));
        else if (r > 0)
                sink_note(sink,
                          "times without a zone read in the host's zone %s; every time in "
                          "the bundle is UTC",
                          logtime_zone_name());
        (void) sink_add_finding(sink, &f);
}

static int logs_collect(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        struct logs_state *s = state;
        struct listing l = { .s = s, .ctx = ctx, .sink = sink };
        struct work w = {};
        int r;

        zone_fact(ctx, sink);
        r = list_files(&l);
        if (r < 0)
                goto finish;
        /* the listing's set, helper and spare room are not needed while collecting */
        keyset_done(&l.seen);
        logs_helper_free(l.helper);
        l.helper = NULL;
        if (l.n > 0 && l.n < l.alloc) {
                struct logs_file *f = xrealloc(l.files, l.n * sizeof(*l.files));

                if (f) {
                        l.files = f;
                        l.alloc = l.n;
                }
        }
        if (l.n > 1)
                qsort(l.files, l.n, sizeof(*l.files), file_cmp);
        if (l.n > s->max_files) {
                sink_note(sink,
                          "%zu more log files not collected (max_files %" PRIu64 "; the "
                          "oldest left out)",
                          l.n - (size_t) s->max_files, s->max_files);
                sink_mark_partial(sink);
        }
        /* the findings' phrases looked for in the sink's one scan of each line */
        w.words = sink_add_words(sink, logs_findings_words(), LITSCAN_EXACT);
        w.buf = xmalloc(LINE_MAX_LEN);
        w.head_buf = xmalloc(LOGS_SNIFF_BYTES);
        w.repair = xmalloc(REPAIR_MAX);
        if (!w.buf || !w.head_buf || !w.repair) {
                r = -ENOMEM;
                goto finish;
        }
        r = collect_files(s, ctx, sink, &l, &w);
        if (r >= 0) {
                _cleanup_strv_free_ char **known = NULL;

                r = ctx_problem_units(ctx, &known);
                if (r >= 0)
                        logs_findings_emit(&w.findings, sink, known);
        }
finish:
        work_done(&w);
        listing_done(&l);
        return r;
}

static int logs_init(void *state, struct collect_ctx *ctx)
{
        struct logs_state *s = state;

        if (s->max_files == 0) {
                clog_error(ctx, "max_files must be at least 1");
                return -EINVAL;
        }
        return 0;
}

static const struct collector_option logs_options[] = {
        { "paths", OPTION_STRV, "/var/log", offsetof(struct logs_state, paths),
          "log files, directories (every file below) or globs (under --root); rotated and .gz "
          "files included" },
        { "exclude", OPTION_STRV,
          "*.xz\n*.bz2\n*.zst\n*.lz4\n*.journal\n*.journal~\n/var/log/journal\n"
          "/var/log/journal/*\n/var/log/wtmp*\n/var/log/btmp*\n/var/log/lastlog\n"
          "/var/log/faillog\n/var/log/sa/sa[0-9]*\n/var/log/private",
          offsetof(struct logs_state, exclude),
          "globs of files never read; without a '/' they also match the file name" },
        { "max_files", OPTION_U64, "1000", offsetof(struct logs_state, max_files),
          "at most this many files (the newest)" },
        { "max_depth", OPTION_U64, "8", offsetof(struct logs_state, max_depth),
          "directories are read this many levels deep" },
        { "unit_logs", OPTION_BOOL, "true", offsetof(struct logs_state, unit_logs),
          "also the log files of critical and failing units (LogsDirectory=, StandardOutput=)" },
        {}
};

static const struct collector_ops logs_ops = {
        .init = logs_init,
        .collect = logs_collect,
};

const struct collector collector_logs = {
        .name = "logs",
        .summary = "every text log file of the window (/var/log, units' own log files)",
        .flags = 0,
        .state_size = sizeof(struct logs_state),
        .options = logs_options,
        .ops = &logs_ops,
};
