/* SPDX-License-Identifier: MIT */
/*
 * The log-files collector: the policy's globs evaluated under the root, each
 * regular text file (rotated .gz included) copied to logs/files/<path> with
 * only the lines of the window, decided by the timestamps in the lines
 * (continuation lines follow the line before; files without timestamps by
 * their modification time). When a file's window is larger than its budget
 * the newest part is kept: plain files are entered at the right offset, gzip
 * files are measured in a first pass. Every open goes through open_beneath().
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "fd-util.h"
#include "logtime.h"
#include "logs.h"
#include "sink.h"
#include "strv.h"

#define BISECT_MIN (4U * 1024U * 1024U) /* plain files larger than this are bisected */
#define BISECT_PROBE (16U * 1024U)
#define LINE_MAX_LEN (256U * 1024U) /* longer lines are split */

struct logs_state {
        /* options */
        char **paths;
        char **exclude;
        uint64_t max_files;
};

struct logs_file {
        char *path; /* inside the root, absolute ("/var/log/syslog") */
        dev_t dev;
        ino_t ino;
        uint64_t size;
        time_t mtime;
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
};

static void pass_init(struct pass *p, struct collect_ctx *ctx, const struct logs_file *f)
{
        *p = (struct pass) {
                .since = ctx_since(ctx),
                .until = ctx_until(ctx),
                .end_known = (usec_t) f->mtime * USEC_PER_SEC <= ctx_until(ctx),
                .parse = true,
                .in = true, /* lines before the first timestamp: the mtime said yes */
        };
        logtime_hint_from_time(&p->hint, f->mtime);
}

static void pass_line(struct pass *p, const char *line, size_t len)
{
        struct sink_line_meta meta = { .priority = -1 };
        usec_t t;

        if (p->parse && logtime_parse(line, len, &p->hint, &t)) {
                meta.timestamp = t;
                if (t < p->since)
                        p->in = false;
                else if (t > p->until) {
                        p->in = false;
                        p->stop = true;
                        return;
                } else {
                        p->in = true;
                        /* Everything after a line in the window is in it too when the
                         * file was last written before the window's end. */
                        if (p->end_known)
                                p->parse = false;
                }
        }
        if (!p->in)
                return;
        p->counted += len + 1;
        /* With a cut, only lines that start after the skipped part are written. */
        if (p->counted - (len + 1) < p->skip || !p->st)
                return;
        p->error = sink_stream_write_line(p->st, &meta, line, len);
        if (p->error == 0)
                p->written += len + 1;
}

/* Feeds the reader's content through the filter, line by line. With
 * skip_partial the first (partial) line is dropped. */
static int pass_run(struct pass *p, struct logs_reader *r, char *buf, bool skip_partial,
                    bool *ret_binary)
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
                if (first && memchr(buf + have, '\0', MIN((size_t) n, (size_t) 8192))) {
                        *ret_binary = true;
                        return 0;
                }
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
                        pass_line(p, s, nl - s);
                        if (p->error < 0 || p->stop)
                                return p->error == -ENOSPC ? 0 : p->error;
                        s = scan = nl + 1;
                }
                have = end - s;
                if (have == LINE_MAX_LEN) {
                        /* A line longer than the buffer: pass it on in pieces. */
                        pass_line(p, s, have);
                        have = 0;
                } else if (have > 0 && s != buf)
                        memmove(buf, s, have);
                if (p->error < 0)
                        return p->error == -ENOSPC ? 0 : p->error;
        }
        if (have > 0 && !skip_partial && !r->shrank)
                pass_line(p, buf, have); /* the last line has no newline */
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

static int member_name(const struct logs_file *f, bool gz, char **names, char **ret)
{
        size_t plen = strlen(f->path);
        char *name;

        /* syslog.2.gz → logs/files/var/log/syslog.2 (its content is inflated). */
        if (gz && plen > 3 && streq(f->path + plen - 3, ".gz"))
                name = xasprintf("logs/files%.*s", (int) (plen - 3), f->path);
        else
                name = xasprintf("logs/files%s", f->path);
        if (name && strv_contains(names, name)) {
                free(name);
                name = xasprintf("logs/files%s", f->path);
        }
        *ret = name;
        return name ? 0 : -ENOMEM;
}

static int collect_one(struct collect_ctx *ctx, struct sink *sink, const struct logs_file *f,
                       uint64_t budget, char *buf, char ***names)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *name = NULL;
        struct sink_stream *st = NULL;
        struct logs_reader r = {};
        struct pass p;
        struct stat st_buf;
        uint64_t start = 0, limit, skip = 0;
        bool gz, binary = false, cut = false, skip_partial = false;
        int ret;

        fd = open_beneath(ctx_root_fd(ctx), f->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                sink_note(sink, "skipped %s: %s", f->path, strerror(-fd));
                return 0;
        }
        if (fstat(fd, &st_buf) < 0 || !S_ISREG(st_buf.st_mode) || st_buf.st_ino != f->ino ||
            st_buf.st_dev != f->dev) {
                sink_note(sink, "skipped %s: replaced while being listed", f->path);
                return 0;
        }
        if (sink_check_fd(sink, fd, f->path) < 0)
                return 0; /* never_collect: noted by the sink */
        limit = (uint64_t) st_buf.st_size; /* never read beyond what was there at open */
        if (logs_test_after_open)
                logs_test_after_open(f->path, fd);

        gz = logs_is_gzip(fd);
        ret = member_name(f, gz, *names, &name);
        if (ret < 0)
                return ret;

        pass_init(&p, ctx, f);
        if (!gz && limit > BISECT_MIN && p.since > 0) {
                start = find_start(fd, limit, p.since, &p.hint, buf);
                skip_partial = start > 0;
        }
        if (!gz && p.end_known && limit - start > budget) {
                /* Keep the newest budget bytes: enter the file there. */
                start = limit - budget;
                skip_partial = true;
                cut = true;
        } else {
                uint64_t bound = gz ? logs_gzip_isize(fd, limit) : limit - start;

                if (gz && (bound < limit || limit > (256ULL << 20)))
                        bound = UINT64_MAX; /* the gzip trailer cannot be trusted */
                if (bound > budget) {
                        /* Measure the window first, then write only its newest part. */
                        ret = logs_reader_init(&r, fd, gz, start, limit);
                        if (ret < 0)
                                return ret;
                        ret = pass_run(&p, &r, buf, skip_partial, &binary);
                        logs_reader_done(&r);
                        if (ret < 0) {
                                sink_note(sink, "skipped %s: %s", f->path, strerror(-ret));
                                return 0;
                        }
                        if (p.counted > budget) {
                                skip = p.counted - budget;
                                cut = true;
                        }
                        pass_init(&p, ctx, f);
                        p.skip = skip;
                }
        }
        if (binary) {
                sink_note(sink, "skipped %s: binary content", f->path);
                return 0;
        }

        ret = sink_open_stream(sink, name, f->path, SINK_KEEP_TAIL | SINK_SCAN_ERRORS, &st);
        if (ret < 0)
                return clog_error_errno(ctx, ret, "opening %s: %m", name);
        p.st = st;
        ret = logs_reader_init(&r, fd, gz, start, limit);
        if (ret >= 0)
                ret = pass_run(&p, &r, buf, skip_partial, &binary);
        if (binary) {
                logs_reader_done(&r);
                (void) sink_stream_close(st, true);
                sink_note(sink, "skipped %s: binary content", f->path);
                return 0;
        }
        if (ret < 0)
                sink_stream_note(st, "reading %s failed: %s", f->path, strerror(-ret));
        if (r.damaged)
                sink_stream_note(st, "%s: %s; the readable part is kept", f->path, r.damage);
        else if (r.shrank)
                sink_stream_note(st, "%s shrank while being read (truncated or rotated); "
                                 "read %" PRIu64 " of %" PRIu64 " bytes", f->path, r.pos,
                                 (uint64_t) st_buf.st_size);
        if (cut) {
                sink_stream_mark_truncated(st);
                sink_stream_note(st, "%s: the window is larger than the budget (%" PRIu64
                                 " bytes); the newest part is kept", f->path, budget);
        }
        if (r.damaged || r.shrank || cut || ret < 0)
                sink_mark_partial(sink);
        logs_reader_done(&r);

        if (p.written == 0 && !r.damaged && !r.shrank && ret >= 0)
                return sink_stream_close(st, true); /* nothing of the window */
        ret = sink_stream_close(st, false);
        if (ret < 0)
                return ret;
        return strv_consume(names, TAKE_PTR(name));
}

static int list_files(struct logs_state *s, struct collect_ctx *ctx, struct sink *sink,
                      struct logs_file **ret, size_t *ret_n)
{
        const char *root = ctx_root(ctx);
        size_t rootlen = streq(root, "/") ? 0 : strlen(root);
        struct logs_file *files = NULL;
        size_t n = 0, n_old = 0;
        int r = 0;

        while (rootlen > 0 && root[rootlen - 1] == '/')
                rootlen--;

        STRV_FOREACH(pattern, s->paths) {
                _cleanup_free_ char *full = NULL;
                glob_t g = {};

                if ((*pattern)[0] != '/') {
                        sink_note(sink, "ignored path pattern %s: not absolute", *pattern);
                        continue;
                }
                full = xasprintf("%.*s%s", (int) rootlen, root, *pattern);
                if (!full) {
                        r = -ENOMEM;
                        break;
                }
                if (glob(full, GLOB_NOSORT | GLOB_BRACE, NULL, &g) != 0) {
                        globfree(&g);
                        continue;
                }
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        const char *inner = g.gl_pathv[i] + rootlen;
                        _cleanup_close_ int pfd = -1;
                        struct stat st;
                        bool dup = false;
                        struct logs_file *nf;

                        if (inner[0] != '/' || excluded(s, inner))
                                continue;
                        if (ctx_path_forbidden(ctx, inner)) {
                                sink_note(sink, "skipped %s: never collected (policy)", inner);
                                continue;
                        }
                        pfd = open_beneath(ctx_root_fd(ctx), inner, O_PATH | O_CLOEXEC);
                        if (pfd < 0) {
                                sink_note(sink, "skipped %s: %s", inner,
                                          pfd == -EXDEV || pfd == -ELOOP ? "link leaves the root"
                                                                         : strerror(-pfd));
                                continue;
                        }
                        if (fstat(pfd, &st) < 0 || S_ISDIR(st.st_mode))
                                continue;
                        if (!S_ISREG(st.st_mode)) {
                                sink_note(sink, "skipped %s: %s", inner, type_name(st.st_mode));
                                continue;
                        }
                        if (st.st_size == 0)
                                continue;
                        if ((usec_t) st.st_mtime * USEC_PER_SEC + USEC_PER_SEC <= ctx_since(ctx)) {
                                n_old++; /* last written before the window: not even opened */
                                continue;
                        }
                        for (size_t k = 0; k < n && !dup; k++)
                                dup = files[k].dev == st.st_dev && files[k].ino == st.st_ino;
                        if (dup)
                                continue;
                        nf = xrealloc(files, (n + 1) * sizeof(*files));
                        if (!nf) {
                                r = -ENOMEM;
                                break;
                        }
                        files = nf;
                        files[n] = (struct logs_file) {
                                .path = xstrdup(inner),
                                .dev = st.st_dev,
                                .ino = st.st_ino,
                                .size = (uint64_t) st.st_size,
                                .mtime = st.st_mtime,
                        };
                        if (!files[n].path) {
                                r = -ENOMEM;
                                break;
                        }
                        n++;
                }
                globfree(&g);
                if (r < 0)
                        break;
        }
        if (n_old > 0)
                clog_debug(ctx, "%zu files last written before the window were not read", n_old);
        *ret = files;
        *ret_n = n;
        return r;
}

static int file_cmp(const void *a, const void *b)
{
        return strcmp(((const struct logs_file *) a)->path, ((const struct logs_file *) b)->path);
}

static void files_free(struct logs_file *files, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(files[i].path);
        free(files);
}

static int logs_collect(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        struct logs_state *s = state;
        struct logs_file *files = NULL;
        _cleanup_free_ char *buf = NULL;
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0;
        int r;

        r = list_files(s, ctx, sink, &files, &n);
        if (r < 0) {
                files_free(files, n);
                return r;
        }
        if (n > 1)
                qsort(files, n, sizeof(*files), file_cmp);
        if (n > s->max_files) {
                sink_note(sink, "%zu more log files not collected (max_files %" PRIu64 ")",
                          n - (size_t) s->max_files, s->max_files);
                sink_mark_partial(sink);
        }

        buf = xmalloc(LINE_MAX_LEN);
        if (!buf) {
                files_free(files, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n && i < s->max_files; i++) {
                size_t remaining = MIN(n, (size_t) s->max_files) - i;
                uint64_t left = ctx_budget_left(ctx);
                uint64_t budget = MIN(ctx_file_budget(ctx), left / remaining);

                if (ctx_expired(ctx)) {
                        sink_note(sink, "deadline reached: %zu log files not collected", remaining);
                        sink_mark_partial(sink);
                        break;
                }
                if (left == 0) {
                        sink_note(sink, "budget exhausted: %zu log files not collected", remaining);
                        sink_mark_partial(sink);
                        break;
                }
                r = collect_one(ctx, sink, &files[i], MAX(budget, (uint64_t) 1), buf, &names);
                if (r == -ENOMEM) {
                        files_free(files, n);
                        return r;
                }
                if (r < 0)
                        sink_note(sink, "%s: %s", files[i].path, strerror(-r));
        }
        files_free(files, n);
        return 0;
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
        { "paths", OPTION_STRV,
          "/var/log/syslog*\n/var/log/messages*\n/var/log/kern.log*\n/var/log/daemon.log*\n"
          "/var/log/boot.log*\n/var/log/dmesg*\n/var/log/cloud-init*.log*\n"
          "/var/log/nginx/*\n/var/log/apache2/*\n/var/log/httpd/*\n"
          "/var/log/mysql/*\n/var/log/mariadb/*\n/var/log/postgresql/*\n/var/log/redis/*\n"
          "/var/log/mongodb/*\n/var/log/rabbitmq/*\n/var/log/containers/*\n/var/log/pods/*/*/*",
          offsetof(struct logs_state, paths),
          "globs of log files (under --root); rotated and .gz files included" },
        { "exclude", OPTION_STRV,
          "*.xz\n*.bz2\n*.zst\n*.lz4\n*.journal\n*.journal~\n/var/log/journal/*",
          offsetof(struct logs_state, exclude), "globs of files never read" },
        { "max_files", OPTION_U64, "200", offsetof(struct logs_state, max_files),
          "at most this many files" },
        {}
};

static const struct collector_ops logs_ops = {
        .init = logs_init,
        .collect = logs_collect,
};

const struct collector collector_logs = {
        .name = "logs",
        .summary = "log files of the window (syslog, web servers, databases, containers)",
        .flags = 0,
        .state_size = sizeof(struct logs_state),
        .options = logs_options,
        .ops = &logs_ops,
};
