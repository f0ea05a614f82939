/* SPDX-License-Identifier: MIT */
/*
 * Accessors of struct collect_ctx for collectors (include/collect-ctx.h).
 */
#include <fnmatch.h>
#include <string.h>

#include "alloc-util.h"
#include "analysis/report.h"
#include "basic/interrupt.h"
#include "collect-ctx.h"
#include "basic/collect-ctx-agent.h"
#include "strv.h"

const char *ctx_name(const struct collect_ctx *c)
{
        return c->name;
}

const char *ctx_root(const struct collect_ctx *c)
{
        return c->root;
}

int ctx_root_fd(const struct collect_ctx *c)
{
        return c->root_fd;
}

bool ctx_is_live(const struct collect_ctx *c)
{
        return c->live;
}

usec_t ctx_since(const struct collect_ctx *c)
{
        return c->since;
}

usec_t ctx_until(const struct collect_ctx *c)
{
        return c->until;
}

usec_t ctx_deadline(const struct collect_ctx *c)
{
        return c->deadline;
}

bool ctx_expired(const struct collect_ctx *c)
{
        /* A stop signal ends every collector at its next check. */
        return interrupt_pending() || now(CLOCK_MONOTONIC) >= c->deadline;
}

uint64_t ctx_budget_left(const struct collect_ctx *c)
{
        return c->used >= c->budget ? 0 : c->budget - c->used;
}

uint64_t ctx_file_budget(const struct collect_ctx *c)
{
        return c->per_file;
}

const char *ctx_journal_dir(const struct collect_ctx *c)
{
        return c->journal_dir;
}

const char *ctx_state_dir(const struct collect_ctx *c)
{
        return c->state_dir;
}

bool ctx_snapshot_only(const struct collect_ctx *c)
{
        return c->snapshot_only;
}

char *const *ctx_never_collect(const struct collect_ctx *c)
{
        return c->never_collect;
}

bool ctx_path_forbidden(const struct collect_ctx *c, const char *path)
{
        return strv_fnmatch_path(c->never_collect, path);
}

char *const *ctx_critical_units(const struct collect_ctx *c)
{
        return c->critical_units;
}

static bool unit_subject(const struct finding *f)
{
        const char *dot;

        if (f->kind != FINDING_UNIT_FAILED && f->kind != FINDING_UNIT_RESTARTS &&
            f->kind != FINDING_UNIT_DOWN && f->kind != FINDING_CRASH)
                return false;
        if (isempty(f->subject) || strchr(f->subject, '/'))
                return false;
        dot = strrchr(f->subject, '.');
        return dot && dot != f->subject && dot[1] != 0;
}

/* "… unit app.service, signal SEGV" of a crash or an OOM kill: the unit. */
static char *unit_in_detail(const struct finding *f)
{
        const char *u;
        size_t n;

        if ((f->kind != FINDING_CRASH && f->kind != FINDING_OOM_KILL &&
             f->kind != FINDING_SEGFAULT) ||
            !f->detail)
                return NULL;
        u = strstr(f->detail, "unit ");
        if (!u)
                return NULL;
        u += 5;
        n = strcspn(u, " ,;)");
        return n > 0 && n < 256 && memchr(u, '.', n) ? xstrndup(u, n) : NULL;
}

int ctx_problem_units(const struct collect_ctx *c, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;

        l = xcalloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; c->report && i < c->report->n_findings; i++) {
                const struct finding *f = &c->report->findings[i];
                _cleanup_free_ char *u = unit_in_detail(f);
                const char *name = unit_subject(f) ? f->subject : u;
                int r;

                if (!name || strv_contains(l, name))
                        continue;
                r = strv_extend(&l, name);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

void ctx_kernel_lines_give(struct collect_ctx *c, struct kernel_lines *kl)
{
        if (!c->shared) {
                kernel_lines_done(kl);
                return;
        }
        kernel_lines_done(&c->shared->kernel);
        c->shared->kernel = *kl;
        *kl = (struct kernel_lines) {};
        c->shared->kernel_given = true;
}

const struct kernel_lines *ctx_kernel_lines(const struct collect_ctx *c)
{
        if (!c->shared || !c->shared->kernel_given || c->shared->kernel.overflow)
                return NULL;
        return &c->shared->kernel;
}
