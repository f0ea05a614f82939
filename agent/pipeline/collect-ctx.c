/* SPDX-License-Identifier: MIT */
/*
 * Accessors of struct collect_ctx for collectors (include/collect-ctx.h).
 */
#include <fnmatch.h>
#include <string.h>

#include "basic/interrupt.h"
#include "collect-ctx.h"
#include "pipeline/context.h"
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
