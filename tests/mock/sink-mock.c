/* SPDX-License-Identifier: MIT */
/*
 * An in-memory sink and context for collector tests (tests/mock/sink-mock.h),
 * after collectd's plugin_mock.c: artifacts and findings are recorded so that
 * tests can assert what a collector emitted.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "litscan.h"
#include "policy/options.h"
#include "basic/collect-ctx-agent.h"
#include "sink-mock.h"
#include "strv.h"

struct sink {
        struct mock_artifact *artifacts;
        size_t n_artifacts;
        struct finding *findings;
        size_t n_findings;
        struct dynbuf notes;
        bool partial;
        struct collect_ctx *ctx;
        struct litscan *words; /* sink_add_words(): set i + 1 for the i-th list */
        int n_words;
};

struct sink_stream {
        struct sink *sink;
        uint64_t limit;
        char *name;
        char *source;
        unsigned flags;
        struct dynbuf data;
        bool truncated;
        uint64_t line_words[LITSCAN_SETS]; /* the last line's, as the sink's scan finds them */
        bool line_known;
};

/* The real struct collect_ctx and its accessors (agent/pipeline/collect-ctx.c); the
 * mock only owns the strings the context points to. */
struct mock_ctx {
        struct collect_ctx ctx;
        char *name, *root, *journal_dir, *state_dir;
        char **never_collect;
};

#define MOCK(c) ((struct mock_ctx *) (c))

/* ---- context ---- */

struct collect_ctx *mock_ctx_new(const char *name, const char *root, usec_t since, usec_t until)
{
        struct mock_ctx *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->name = strdup(name);
        m->root = strdup(root);
        m->ctx = (struct collect_ctx) {
                .name = m->name,
                .root = m->root,
                .root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC),
                .live = streq(root, "/"),
                .since = since,
                .until = until,
                .deadline = now(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC,
                .budget = 64ULL << 20,
                .per_file = 16ULL << 20,
                .state_dir = "/tmp",
        };
        return &m->ctx;
}

void mock_ctx_free(struct collect_ctx *c)
{
        struct mock_ctx *m = MOCK(c);

        if (!m)
                return;
        safe_close(c->root_fd);
        free(m->name);
        free(m->root);
        free(m->journal_dir);
        free(m->state_dir);
        strv_free(m->never_collect);
        free(m);
}

void mock_ctx_set_budget(struct collect_ctx *c, uint64_t total, uint64_t per_file)
{
        c->budget = total;
        c->per_file = per_file;
}

void mock_ctx_set_journal_dir(struct collect_ctx *c, const char *dir)
{
        free(MOCK(c)->journal_dir);
        MOCK(c)->journal_dir = dir ? strdup(dir) : NULL;
        c->journal_dir = MOCK(c)->journal_dir;
}

void mock_ctx_set_state_dir(struct collect_ctx *c, const char *dir)
{
        free(MOCK(c)->state_dir);
        MOCK(c)->state_dir = dir ? strdup(dir) : NULL;
        c->state_dir = MOCK(c)->state_dir ? MOCK(c)->state_dir : "/tmp";
}

void mock_ctx_set_never_collect(struct collect_ctx *c, char *const *globs)
{
        strv_free(MOCK(c)->never_collect);
        MOCK(c)->never_collect = strv_copy(globs);
        c->never_collect = MOCK(c)->never_collect;
}

void mock_ctx_set_deadline(struct collect_ctx *c, usec_t d)
{
        c->deadline = d;
}

void mock_ctx_set_live(struct collect_ctx *c, bool live)
{
        c->live = live;
}

void mock_ctx_set_snapshot_only(struct collect_ctx *c, bool b)
{
        c->snapshot_only = b;
}

/* ---- sink ---- */

struct sink *mock_sink_new(void)
{
        struct sink *s = calloc(1, sizeof(*s));

        if (s)
                dynbuf_init(&s->notes, 1 << 20);
        return s;
}

void mock_sink_free(struct sink *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_artifacts; i++) {
                free(s->artifacts[i].name);
                free(s->artifacts[i].source);
                free(s->artifacts[i].data);
        }
        free(s->artifacts);
        for (size_t i = 0; i < s->n_findings; i++) {
                free((char *) s->findings[i].subject);
                free((char *) s->findings[i].detail);
                free((char *) s->findings[i].source);
        }
        free(s->findings);
        dynbuf_done(&s->notes);
        litscan_free(s->words);
        free(s);
}

size_t mock_sink_n_artifacts(const struct sink *s)
{
        return s->n_artifacts;
}

const struct mock_artifact *mock_sink_artifact(const struct sink *s, size_t i)
{
        return i < s->n_artifacts ? &s->artifacts[i] : NULL;
}

const struct mock_artifact *mock_sink_find(const struct sink *s, const char *name)
{
        for (size_t i = 0; i < s->n_artifacts; i++)
                if (streq(s->artifacts[i].name, name))
                        return &s->artifacts[i];
        return NULL;
}

size_t mock_sink_n_findings(const struct sink *s)
{
        return s->n_findings;
}

const struct finding *mock_sink_finding(const struct sink *s, size_t i)
{
        return i < s->n_findings ? &s->findings[i] : NULL;
}

const struct finding *mock_sink_find_finding(const struct sink *s, enum finding_kind k,
                                             const char *subject)
{
        for (size_t i = 0; i < s->n_findings; i++)
                if (s->findings[i].kind == k &&
                    (!subject ||
                     (s->findings[i].subject && streq(s->findings[i].subject, subject))))
                        return &s->findings[i];
        return NULL;
}

const char *mock_sink_notes(const struct sink *s)
{
        return s->notes.buf ? s->notes.buf : "";
}

bool mock_sink_partial(const struct sink *s)
{
        return s->partial;
}

void sink_note(struct sink *s, const char *fmt, ...)
{
        va_list ap;

        if (s->notes.len)
                (void) dynbuf_addc(&s->notes, '\n');
        va_start(ap, fmt);
        (void) dynbuf_vaddf(&s->notes, fmt, ap);
        va_end(ap);
}

void sink_mark_partial(struct sink *s)
{
        s->partial = true;
}

static uint64_t limit_for(struct sink *s)
{
        uint64_t left = s->ctx ? ctx_budget_left(s->ctx) : UINT64_MAX;
        uint64_t pf = s->ctx ? s->ctx->per_file : UINT64_MAX;

        return MIN(left, pf);
}

static int add_artifact_limited(struct sink *s, const char *name, const char *source,
                                const char *data, size_t len, unsigned flags, uint64_t limit)
{
        struct mock_artifact *a;
        bool truncated = false;

        if (len > limit) {
                if (flags & SINK_KEEP_TAIL) {
                        /* like the real sink: the newest part, from a line start */
                        const char *start = data + len - limit;
                        const char *nl = start > data && start[-1] != '\n' ?
                                                 memchr(start, '\n', limit) :
                                                 start - 1;
                        size_t skip = nl ? (size_t) (nl + 1 - start) : (size_t) limit;

                        data = start + skip;
                        limit -= skip;
                }
                len = (size_t) limit;
                truncated = true;
                s->partial = true;
                sink_note(s, "%s: cut to %zu bytes", name, len);
        }
        a = realloc(s->artifacts, sizeof(*a) * (s->n_artifacts + 1));
        if (!a)
                return -ENOMEM;
        s->artifacts = a;
        a = &s->artifacts[s->n_artifacts++];
        *a = (struct mock_artifact) {
                .name = strdup(name),
                .source = source ? strdup(source) : NULL,
                .data = malloc(len + 1),
                .len = len,
                .flags = flags,
                .truncated = truncated,
        };
        memcpy(a->data, data, len);
        a->data[len] = 0;
        if (s->ctx)
                s->ctx->used += len;
        return 0;
}

static int add_artifact(struct sink *s, const char *name, const char *source, const char *data,
                        size_t len, unsigned flags)
{
        return add_artifact_limited(s, name, source, data, len, flags, limit_for(s));
}

/* The mock sink needs a context for budgets: the first ctx created is used
 * through mock_run_collector(), which attaches it. */
int sink_add_data(struct sink *s, const char *name, const void *data, size_t len, unsigned flags)
{
        return add_artifact(s, name, NULL, data, len, flags);
}

int sink_add_printf(struct sink *s, const char *name, unsigned flags, const char *fmt, ...)
{
        struct dynbuf b;
        va_list ap;
        int r;

        dynbuf_init(&b, 64 << 20);
        va_start(ap, fmt);
        r = dynbuf_vaddf(&b, fmt, ap);
        va_end(ap);
        if (r >= 0)
                r = add_artifact(s, name, NULL, b.buf ? b.buf : "", b.len, flags);
        dynbuf_done(&b);
        return r;
}

int sink_check_fd(struct sink *s, int fd, const char *path)
{
        /* the mock checks the path only (the real sink also checks what fd is) */
        (void) fd;
        if (s->ctx && ctx_path_forbidden(s->ctx, path)) {
                sink_note(s, "skipped %s: never collected (policy)", path);
                return -EPERM;
        }
        return 0;
}

int sink_check_stat(struct sink *s, int fd, const struct stat *sb, const char *path)
{
        (void) sb;
        return sink_check_fd(s, fd, path);
}

int sink_check_stat_direct(struct sink *s, int fd, const struct stat *sb, const char *path)
{
        (void) sb;
        return sink_check_fd(s, fd, path);
}

int sink_add_file(struct sink *s, const char *name, int dirfd, const char *path, unsigned flags)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        if (s->ctx && ctx_path_forbidden(s->ctx, path)) {
                sink_note(s, "skipped %s: never collected (policy)", path);
                return -EPERM;
        }
        r = read_file_beneath(dirfd, path, 256 << 20, &data, &len);
        if (r < 0) {
                sink_note(s, "skipped %s: %s", path, strerror(-r));
                return r;
        }
        return add_artifact(s, name, path, data, len, flags);
}

int sink_open_stream(struct sink *s, const char *name, const char *source, unsigned flags,
                     struct sink_stream **ret)
{
        struct sink_stream *st = calloc(1, sizeof(*st));

        if (!st)
                return -ENOMEM;
        st->sink = s;
        st->limit = UINT64_MAX;
        st->name = strdup(name);
        st->source = source ? strdup(source) : NULL;
        st->flags = flags;
        dynbuf_init(&st->data, 512 << 20);
        *ret = st;
        return 0;
}

int sink_stream_write(struct sink_stream *st, const void *data, size_t len)
{
        uint64_t limit = MIN(limit_for(st->sink), st->limit);

        if (!(st->flags & SINK_KEEP_TAIL) && st->data.len + len > limit) {
                size_t room = st->data.len < limit ? (size_t) (limit - st->data.len) : 0;

                (void) dynbuf_add(&st->data, data, room);
                st->truncated = true;
                return -ENOSPC;
        }
        return dynbuf_add(&st->data, data, len);
}

int sink_stream_write_line(struct sink_stream *st, const struct sink_line_meta *meta,
                           const char *line, size_t len)
{
        int r;

        (void) meta;
        r = sink_stream_write(st, line, len);
        /* the real sink's scan sees the line whole unless it is long (then the
         * collector scans itself): both ways are tested */
        st->line_known = st->sink->words && len < 2048;
        if (st->line_known)
                litscan_scan(st->sink->words, line, len, st->line_words);
        if (r < 0)
                return r;
        return sink_stream_write(st, "\n", 1);
}

int sink_stream_write_line_nl(struct sink_stream *st, const struct sink_line_meta *meta,
                              const char *line, size_t len)
{
        /* the collector says line[len] is its newline: check that it is */
        if (line[len] != '\n')
                return -EINVAL;
        return sink_stream_write_line(st, meta, line, len);
}

int sink_add_words(struct sink *s, const char *const *words, unsigned flags)
{
        int r;

        if (!s->words && litscan_new(&s->words) < 0)
                return -ENOMEM;
        if (s->n_words + 1 >= LITSCAN_SETS)
                return -ENOSPC;
        r = litscan_add_list(s->words, words, (unsigned) s->n_words + 1, flags);
        return r < 0 ? r : ++s->n_words;
}

bool sink_stream_line_words(const struct sink_stream *st, int set, uint64_t *ret)
{
        if (!st->line_known || set <= 0 || set >= LITSCAN_SETS)
                return false;
        *ret = st->line_words[set];
        return true;
}

int sink_stream_printf(struct sink_stream *st, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return sink_stream_write(st, s, (size_t) n);
}

void sink_stream_note(struct sink_stream *st, const char *fmt, ...)
{
        va_list ap;

        if (st->sink->notes.len)
                (void) dynbuf_addc(&st->sink->notes, '\n');
        (void) dynbuf_addf(&st->sink->notes, "%s: ", st->name);
        va_start(ap, fmt);
        (void) dynbuf_vaddf(&st->sink->notes, fmt, ap);
        va_end(ap);
        st->sink->partial = true;
}

void sink_stream_set_limit(struct sink_stream *st, uint64_t limit)
{
        st->limit = limit;
}

void sink_stream_mark_truncated(struct sink_stream *st)
{
        st->truncated = true;
}

bool sink_stream_truncated(const struct sink_stream *st)
{
        return st->truncated;
}

int sink_stream_close(struct sink_stream *st, bool abandon)
{
        int r = 0;

        if (!abandon) {
                r = add_artifact_limited(st->sink, st->name, st->source,
                                         st->data.buf ? st->data.buf : "", st->data.len, st->flags,
                                         MIN(limit_for(st->sink), st->limit));
                if (st->truncated && st->sink->n_artifacts > 0) {
                        st->sink->artifacts[st->sink->n_artifacts - 1].truncated = true;
                        st->sink->partial = true;
                }
        }
        dynbuf_done(&st->data);
        free(st->name);
        free(st->source);
        free(st);
        return r;
}

int sink_add_command(struct sink *s, const char *name, char *const *argv, usec_t timeout,
                     int *ret_status)
{
        int pipefd[2], status = 0;
        struct dynbuf out;
        pid_t pid;
        usec_t deadline = now(CLOCK_MONOTONIC) + timeout;
        _cleanup_free_ char *member = NULL;
        int r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                dup2(pipefd[1], 1);
                dup2(pipefd[1], 2);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(pipefd[1]);
        fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
        dynbuf_init(&out, 16 << 20);
        for (;;) {
                char buf[4096];
                ssize_t n = read(pipefd[0], buf, sizeof(buf));

                if (n > 0) {
                        (void) dynbuf_add(&out, buf, (size_t) n);
                        continue;
                }
                if (n == 0)
                        break;
                if (now(CLOCK_MONOTONIC) > deadline) {
                        kill(pid, SIGKILL);
                        break;
                }
                usleep(1000);
        }
        close(pipefd[0]);
        waitpid(pid, &status, 0);
        if (ret_status)
                *ret_status = status;
        member = xasprintf("commands/%s.txt", name);
        r = add_artifact(s, member, NULL, out.buf ? out.buf : "", out.len, 0);
        dynbuf_done(&out);
        if (r < 0)
                return r;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return -ENOENT;
        return 0;
}

int sink_scratch_fd(struct sink *s)
{
        int fd;

        (void) s;
        fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        return fd < 0 ? -errno : fd;
}

int sink_add_finding(struct sink *s, const struct finding *f)
{
        struct finding *a = realloc(s->findings, sizeof(*a) * (s->n_findings + 1));

        if (!a)
                return -ENOMEM;
        s->findings = a;
        s->findings[s->n_findings++] = (struct finding) {
                .kind = f->kind,
                .subject = f->subject ? strdup(f->subject) : NULL,
                .count = f->count,
                .first = f->first,
                .last = f->last,
                .detail = f->detail ? strdup(f->detail) : NULL,
                .source = s->ctx ? strdup(s->ctx->name) : NULL,
        };
        return 0;
}

int mock_run_collector(const struct collector *c, struct collect_ctx *ctx, struct sink *s,
                       const char *const *overrides)
{
        _cleanup_free_ void *state = NULL;
        _cleanup_strv_free_ char **seen = NULL;
        int r;

        /* as the runner allocates it (a state may have cache-line members),
         * outside the failure injection */
        if (posix_memalign(&state, CACHE_LINE, MAX(c->state_size, (size_t) 1)) != 0)
                return -ENOMEM;
        memset(state, 0, MAX(c->state_size, (size_t) 1));
        s->ctx = ctx;
        r = options_apply_defaults(c, state, NULL);
        if (r < 0)
                goto out;
        for (size_t i = 0; overrides && overrides[i]; i++) {
                _cleanup_free_ char *key = NULL;
                const char *eq = strchr(overrides[i], '=');

                if (!eq) {
                        r = -EINVAL;
                        goto out;
                }
                key = strndup(overrides[i], (size_t) (eq - overrides[i]));
                for (const struct collector_option *o = c->options; o && o->key; o++)
                        if (streq(o->key, key) && o->type == OPTION_STRV &&
                            !strv_contains(seen, key)) {
                                char ***p = (char ***) ((char *) state + o->offset);

                                *p = strv_free(*p);
                                (void) strv_extend(&seen, key);
                        }
                r = options_apply_string(c, state, key, eq + 1, NULL);
                if (r < 0)
                        goto out;
        }
        if (c->ops->probe) {
                r = c->ops->probe(state, ctx, s);
                if (r == 0) {
                        r = -ECANCELED;
                        goto out;
                }
                if (r < 0)
                        goto out;
        }
        if (c->ops->init) {
                r = c->ops->init(state, ctx);
                if (r < 0)
                        goto out;
        }
        r = c->ops->collect(state, ctx, s);
out:
        if (c->ops->done)
                c->ops->done(state);
        options_free(c, state);
        return r;
}
