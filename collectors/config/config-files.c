/* SPDX-License-Identifier: MIT */
/*
 * The configuration as it is now (config-files.h). The list is gathered
 * first (units, defaults, changes), sorted and made unique, then each file
 * is copied through the sink, which redacts it and applies never_collect.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "config-files.h"
#include "fd-util.h"
#include "macro.h"
#include "sink.h"
#include "strv.h"
#include "unit-file.h"

#define WALK_DEPTH 8
#define WALK_ENTRIES 20000U
#define LIST_MAX 20000U

struct want {
        char *path;
        const char *why; /* static: "unit app.service", "default", "changed" */
        bool optional;   /* absence is no news (EnvironmentFile=-…, defaults) */
};

struct gather {
        struct collect_ctx *ctx;
        struct sink *sink;
        const struct config_files_params *p;
        struct want *w;
        size_t n, alloc;
        size_t entries;
        bool cut;
};

static int want_add(struct gather *g, const char *path, const char *why, bool optional)
{
        if (g->n >= LIST_MAX) {
                g->cut = true;
                return 0;
        }
        if (g->n == g->alloc) {
                size_t na = g->alloc ? g->alloc * 2 : 64;
                struct want *nw = xrealloc(g->w, na * sizeof(*nw));

                if (!nw)
                        return -ENOMEM;
                g->w = nw;
                g->alloc = na;
        }
        g->w[g->n] = (struct want) { .path = xstrdup(path), .why = why, .optional = optional };
        if (!g->w[g->n].path)
                return -ENOMEM;
        g->n++;
        return 0;
}

static bool excluded(const struct gather *g, const char *path)
{
        const char *base = strrchr(path, '/');

        STRV_FOREACH(e, (char **) g->p->exclude) {
                if (strchr(*e, '/') ? fnmatch(*e, path, 0) == 0 :
                                      base && fnmatch(*e, base + 1, 0) == 0)
                        return true;
        }
        return false;
}

static int walk(struct gather *g, int dfd, const char *path, unsigned depth);

static int walk_entry(struct gather *g, int dfd, const char *name, const char *path, unsigned depth)
{
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
                return 0; /* links (sites-enabled, wants/) point at files listed anyway */
        if (excluded(g, path) || ctx_path_forbidden(g->ctx, path))
                return 0;
        if (S_ISREG(st.st_mode))
                return want_add(g, path, "default", true);
        if (!S_ISDIR(st.st_mode))
                return 0;
        if (depth >= WALK_DEPTH) {
                sink_note(g->sink, "config/files: not read below %s (deeper than %d levels)", path,
                          WALK_DEPTH);
                sink_mark_partial(g->sink);
                return 0;
        }
        _cleanup_close_ int fd = openat(dfd, name,
                                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK |
                                                O_CLOEXEC);
        if (fd < 0) {
                sink_note(g->sink, "config/files: directory %s not read: %s", path,
                          strerror(errno));
                sink_mark_partial(g->sink);
                return 0;
        }
        return walk(g, fd, path, depth + 1);
}

/* The regular files below the directory open at dfd (which walk owns). */
static int walk(struct gather *g, int dfd, const char *path, unsigned depth)
{
        DIR *d = fdopendir(dfd);
        int r = 0;

        if (!d) {
                safe_close(dfd);
                return -errno;
        }
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                _cleanup_free_ char *child = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (++g->entries > WALK_ENTRIES) {
                        g->cut = true;
                        break;
                }
                child = xasprintf("%s/%s", path, de->d_name);
                if (!child) {
                        r = -ENOMEM;
                        break;
                }
                r = walk_entry(g, dirfd(d), de->d_name, child, depth);
        }
        closedir(d);
        return r;
}

/* A default path: a file, a directory (every file below) or a glob. */
static int add_default(struct gather *g, const char *path)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (strpbrk(path, "*?[")) {
                const char *root = ctx_root(g->ctx);
                size_t rl = streq(root, "/") ? 0 : strlen(root);
                _cleanup_free_ char *full = xasprintf("%.*s%s", (int) rl, root, path);
                glob_t gl = {};
                int r = 0;

                if (!full)
                        return -ENOMEM;
                if (glob(full, GLOB_NOSORT, NULL, &gl) == 0)
                        for (size_t i = 0; i < gl.gl_pathc && r >= 0; i++)
                                r = add_default(g, gl.gl_pathv[i] + rl);
                globfree(&gl);
                return r;
        }
        if (path[0] != '/' || excluded(g, path) || ctx_path_forbidden(g->ctx, path))
                return 0;
        fd = open_beneath(ctx_root_fd(g->ctx), path, O_PATH | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return 0; /* not on this host */
        if (S_ISREG(st.st_mode))
                return want_add(g, path, "default", true);
        if (!S_ISDIR(st.st_mode))
                return 0;
        safe_close(fd);
        fd = open_beneath(ctx_root_fd(g->ctx), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                sink_note(g->sink, "config/files: directory %s not read: %s", path, strerror(-fd));
                sink_mark_partial(g->sink);
                return 0;
        }
        return walk(g, TAKE_FD(fd), streq(path, "/") ? "" : path, 1);
}

/* Absolute paths on an ExecStart= line other than the program: "--config
 * /etc/app/app.yaml", "-c=/etc/x.conf". */
static int add_exec_files(struct gather *g, const char *line, const char *why)
{
        _cleanup_free_ char *copy = xstrdup(line);
        char *save = NULL;
        bool first = true;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, " \t", &save); t && r >= 0;
             t = strtok_r(NULL, " \t", &save)) {
                char *eq = strchr(t, '='), *p = eq && eq[1] == '/' ? eq + 1 : t;
                size_t n;

                if (first) { /* the program, after the prefixes @-:+! */
                        first = false;
                        continue;
                }
                p += strspn(p, "'\"");
                n = strcspn(p, "'\",;");
                p[n] = 0;
                if (p[0] != '/' || strstr(p, "..") || n < 2)
                        continue;
                _cleanup_close_ int fd = open_beneath(ctx_root_fd(g->ctx), p, O_PATH | O_CLOEXEC);
                struct stat st;
                if (fd >= 0 && fstat(fd, &st) >= 0 && S_ISREG(st.st_mode))
                        r = want_add(g, p, why, true);
        }
        return r;
}

static int add_unit(struct gather *g, const char *unit)
{
        _cleanup_(unit_files_done) struct unit_files u = {};
        _cleanup_strv_free_ char **envs = NULL, **execs = NULL;
        int r;

        r = unit_files_find(ctx_root_fd(g->ctx), unit, &u);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (r == 0) {
                sink_note(g->sink, "config/files: no unit file for %s under %s", unit,
                          ctx_root(g->ctx));
                if (!u.dropins)
                        return 0;
        }
        if (u.fragment && (r = want_add(g, u.fragment, "unit", false)) < 0)
                return r;
        STRV_FOREACH(d, u.dropins)
                if ((r = want_add(g, *d, "unit drop-in", false)) < 0)
                        return r;
        r = unit_files_get(ctx_root_fd(g->ctx), &u, "EnvironmentFile", &envs);
        STRV_FOREACH(e, envs) {
                bool optional = (*e)[0] == '-';
                const char *p = *e + optional;

                if (r >= 0 && p[0] == '/')
                        r = want_add(g, p, "EnvironmentFile", optional);
        }
        if (r >= 0)
                r = unit_files_get(ctx_root_fd(g->ctx), &u, "ExecStart", &execs);
        STRV_FOREACH(x, execs)
                if (r >= 0)
                        r = add_exec_files(g, *x, "ExecStart");
        return r;
}

static int add_units(struct gather *g)
{
        _cleanup_strv_free_ char **units = NULL;
        int r;

        r = ctx_problem_units(g->ctx, &units);
        if (r < 0)
                return r;
        STRV_FOREACH(u, (char **) ctx_critical_units(g->ctx))
                if (!strv_contains(units, *u) && (r = strv_extend(&units, *u)) < 0)
                        return r;
        STRV_FOREACH(u, units)
                if (unit_name_valid(*u) && (r = add_unit(g, *u)) < 0)
                        return r;
        return 0;
}

static int want_cmp(const void *a, const void *b)
{
        const struct want *x = a, *y = b;
        int c = strcmp(x->path, y->path);

        /* For the same path, the one whose absence matters comes first. */
        return c != 0 ? c : (int) x->optional - (int) y->optional;
}

/* Copies one file; 1 when added. */
static int copy_one(struct gather *g, const struct want *w)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        fd = open_beneath(ctx_root_fd(g->ctx), w->path, O_PATH | O_CLOEXEC);
        if (fd < 0 && w->optional && fd == -ENOENT)
                return 0;
        if (fd >= 0 && fstat(fd, &st) >= 0 && S_ISREG(st.st_mode) &&
            (uint64_t) st.st_size > g->p->max_file_size) {
                sink_note(g->sink,
                          "config/files: %s left out: %" PRIu64 " bytes, over "
                          "max_file_size",
                          w->path, (uint64_t) st.st_size);
                sink_mark_partial(g->sink);
                return 0;
        }
        name = xasprintf("config/files%s", w->path);
        if (!name)
                return -ENOMEM;
        r = sink_add_file(g->sink, name, ctx_root_fd(g->ctx), w->path, 0);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && r != -EPERM) {
                sink_note(g->sink, "config/files: %s (%s) not read: %s", w->path, w->why,
                          strerror(-r));
                sink_mark_partial(g->sink);
                return 0;
        }
        return r == 0;
}

static int copy_all(struct gather *g)
{
        size_t added = 0;

        if (g->n > 1)
                qsort(g->w, g->n, sizeof(*g->w), want_cmp);
        for (size_t i = 0; i < g->n; i++) {
                int r;

                if (i > 0 && streq(g->w[i].path, g->w[i - 1].path))
                        continue;
                if (added >= g->p->max_files || ctx_expired(g->ctx)) {
                        sink_note(g->sink, "config/files: stopped after %zu files (%s)", added,
                                  added >= g->p->max_files ? "files_max" : "deadline");
                        sink_mark_partial(g->sink);
                        break;
                }
                r = copy_one(g, &g->w[i]);
                if (r < 0)
                        return r;
                added += r;
        }
        return 0;
}

int config_files_collect(struct collect_ctx *ctx, struct sink *sink,
                         const struct config_files_params *p)
{
        struct gather g = { .ctx = ctx, .sink = sink, .p = p };
        int r;

        r = add_units(&g);
        STRV_FOREACH(d, (char **) p->defaults)
                if (r >= 0)
                        r = add_default(&g, *d);
        STRV_FOREACH(c, (char **) p->changed)
                if (r >= 0 && !ctx_path_forbidden(ctx, *c))
                        r = want_add(&g, *c, "changed in the window", true);
        if (r >= 0 && g.cut) {
                sink_note(sink,
                          "config/files: the list was cut at %zu files or %u directory "
                          "entries",
                          g.n, WALK_ENTRIES);
                sink_mark_partial(sink);
        }
        if (r >= 0)
                r = copy_all(&g);
        for (size_t i = 0; i < g.n; i++)
                free(g.w[i].path);
        free(g.w);
        return r;
}
