/* SPDX-License-Identifier: MIT */
/*
 * The collector lifecycle (agent/pipeline/runner.h): look up, allocate zeroed state,
 * defaults then policy values, probe, init, collect, done, free; each step's
 * result becomes the status row [collectd: plugin.c keeps calling the other
 * plugins when one fails].
 */
#include <errno.h>
#include <string.h>

#include "sink.h"
#include "alloc-util.h"
#include "basic/interrupt.h"
#include "collect-ctx.h"
#include "log.h"
#include "policy/options.h"
#include "pipeline/registry.h"
#include "pipeline/runner.h"
#include "strv.h"

static int add_status(struct report *r, const char *name, struct collector_status **ret)
{
        struct collector_status *a = xrealloc(r->statuses, sizeof(*a) * (r->n_statuses + 1));

        if (!a)
                return -ENOMEM;
        r->statuses = a;
        a = &r->statuses[r->n_statuses];
        *a = (struct collector_status) { .name = xstrdup(name) };
        if (!a->name)
                return -ENOMEM;
        r->n_statuses++;
        *ret = a;
        return 0;
}

static void run_one(const struct runner_params *p, const struct collector *c,
                    struct collector_status *st, struct sink *s, uint64_t *total_used,
                    const struct report *report, struct ctx_shared *shared)
{
        _cleanup_free_ void *state = NULL;
        _cleanup_free_ char *error = NULL;
        uint64_t total_left = p->policy->total_budget > *total_used ?
                                      p->policy->total_budget - *total_used :
                                      0;
        struct collect_ctx ctx = {
                .name = c->name,
                .root = p->root,
                .root_fd = p->root_fd,
                .live = streq(p->root, "/"),
                .snapshot_only = p->snapshot_only,
                .since = p->since,
                .until = p->until,
                .budget = MIN(p->policy->per_collector_budget, total_left),
                .per_file = p->policy->per_file_budget,
                .journal_dir = p->journal_dir,
                .state_dir = p->state_dir,
                .never_collect = p->policy->never_collect,
                .critical_units = report->input.critical_units,
                .report = report,
                .shared = shared,
        };
        usec_t start = now(CLOCK_MONOTONIC);
        int r;

        ctx.deadline = start + policy_collector_timeout(p->policy, c->name);
        st->result = COLLECTOR_OK;
        sink_begin(s, &ctx);

        if (!c->ops) {
                st->result = COLLECTOR_SKIPPED;
                sink_note(s, "not built into this binary");
                goto end;
        }
        if (!policy_collector_enabled(p->policy, c->name)) {
                st->result = COLLECTOR_SKIPPED;
                sink_note(s, "disabled by policy");
                goto end;
        }
        if ((c->flags & COLLECTOR_LIVE_ONLY) && !ctx.live) {
                st->result = COLLECTOR_SKIPPED;
                sink_note(s, "only runs on the live system (root is %s)", p->root);
                goto end;
        }
        if (ctx.budget == 0) {
                st->result = COLLECTOR_SKIPPED;
                sink_note(s, "total bundle budget used up");
                goto end;
        }
        /* a state may keep what two threads write on cache lines of their own */
        state = xzalloc_aligned(CACHE_LINE, c->state_size);
        if (!state) {
                st->result = COLLECTOR_FAILED;
                sink_note(s, "out of memory");
                goto end;
        }
        r = options_apply_defaults(c, state, &error);
        if (r >= 0)
                r = options_apply_policy(c, state, policy_collector_section(p->policy, c->name),
                                         &error);
        if (r < 0) {
                st->result = COLLECTOR_FAILED;
                sink_note(s, "%s", error ? error : "bad options");
                goto done;
        }
        if (c->ops->probe) {
                r = c->ops->probe(state, &ctx, s);
                if (r == 0) {
                        st->result = COLLECTOR_SKIPPED;
                        goto done;
                }
                if (r < 0) {
                        st->result = COLLECTOR_FAILED;
                        sink_note(s, "probe failed: %s", strerror(-r));
                        goto done;
                }
        }
        if (c->ops->init) {
                r = c->ops->init(state, &ctx);
                if (r < 0) {
                        st->result = COLLECTOR_FAILED;
                        sink_note(s, "init failed: %s", strerror(-r));
                        goto done;
                }
        }
        r = c->ops->collect(state, &ctx, s);
        if (r == -ETIMEDOUT || ctx_expired(&ctx)) {
                st->result = COLLECTOR_TIMEOUT;
                sink_note(s, "stopped at its deadline");
        } else if (r < 0) {
                st->result = COLLECTOR_FAILED;
                st->error = r;
                sink_note(s, "failed: %s", strerror(-r));
        }
done:
        if (c->ops && c->ops->done)
                c->ops->done(state);
        if (state)
                options_free(c, state);
end:
        st->duration = now(CLOCK_MONOTONIC) - start;
        sink_end(s, st);
        *total_used += st->bytes;
        /* `collect snapshot` reports its one collector's failure itself */
        if (st->result == COLLECTOR_FAILED && !p->snapshot_only)
                log_warning("collector %s failed: %s", c->name, st->note ? st->note : "?");
}

int runner_run(const struct runner_params *p, struct sink *s, struct report *report)
{
        struct ctx_shared shared = {};
        uint64_t used = 0;
        int r = 0;

        STRV_FOREACH(name, p->policy->collectors) {
                const struct collector *c = registry_find(*name);
                struct collector_status *st;

                if (!c)
                        continue;
                if (interrupt_pending()) {
                        r = -EINTR;
                        break;
                }
                if (p->snapshot_only && !streq(c->name, "config"))
                        continue;
                r = add_status(report, c->name, &st);
                if (r < 0)
                        break;
                if (p->progress)
                        p->progress(c->name, NULL);
                run_one(p, c, st, s, &used, report, &shared);
                if (p->progress)
                        p->progress(c->name, st);
        }
        kernel_lines_done(&shared.kernel);
        return r < 0 ? r : 0;
}
