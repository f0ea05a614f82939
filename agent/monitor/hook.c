/* SPDX-License-Identifier: MIT */
/*
 * Monitoring hooks (agent/monitor/hook.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "fd-util.h"
#include "log.h"
#include "monitor/autofile.h"
#include "monitor/hook.h"
#include "strv.h"

#define ALERTMANAGER_PAYLOAD_MAX (1 << 20)
#define HOOK_EVENTS_MAX 1000 /* coredumps handled by one catch-up run */

static bool hook_args_valid(char **args)
{
        if (!args || !args[0])
                return false;
        if (streq(args[0], "unit-failure"))
                return args[1] && !args[2];
        return !args[1] && (streq(args[0], "coredump") || streq(args[0], "alertmanager"));
}

static int event_from_alertmanager(const struct hook_request *h, struct autofile_event *ev,
                                   struct collect_error *err)
{
        _cleanup_free_ char *buf = xmalloc(ALERTMANAGER_PAYLOAD_MAX);
        _cleanup_free_ char *error = NULL;
        ssize_t n;
        int r;

        if (!buf)
                return collect_error_set(err, COLLECT_FAILED, ENOMEM, NULL, "out of memory");
        n = loop_read(h->payload_fd, buf, ALERTMANAGER_PAYLOAD_MAX);
        if (n == ALERTMANAGER_PAYLOAD_MAX)
                return collect_error_set(err, COLLECT_NOT_FIT, EFBIG, NULL,
                                         "the Alertmanager payload is larger than 1 MiB");
        if (n < 0)
                return collect_error_set(err, COLLECT_FAILED, (int) n, NULL,
                                         "cannot read the alertmanager event: %s",
                                         strerror((int) -n));
        r = autofile_event_from_alertmanager(buf, (size_t) n, ev, &error);
        if (r == -EBADMSG)
                return collect_error_set(err, COLLECT_NOT_FIT, r, NULL, "%s",
                                         error ? error : "malformed Alertmanager payload");
        return r;
}

/* The one event of unit-failure and alertmanager. A unit's failed run is looked
 * up in [since, until] (the explicit window, else the last hour). 0, or -errno
 * with err. */
static int hook_event(const struct hook_request *h, usec_t since, usec_t until,
                      struct autofile_event *ev, struct collect_error *err)
{
        const char *kind = h->args[0];
        int r;

        if (streq(kind, "unit-failure")) {
                if (since == 0 && until == 0) {
                        until = now(CLOCK_REALTIME) + USEC_PER_MINUTE;
                        since = until - USEC_PER_HOUR - USEC_PER_MINUTE;
                }
                r = autofile_event_from_unit(h->args[1], h->collect.journal_dir, since, until, ev);
        } else {
                r = event_from_alertmanager(h, ev, err);
                if (r < 0 && err->message)
                        return r;
        }
        if (r < 0)
                return collect_error_set(err, COLLECT_FAILED, r, NULL,
                                         "cannot read the %s event: %s", kind, strerror(-r));
        return 0;
}

/* One filing asked by autofile_handle(): the hook's own request to the pipeline. */
struct hook_filer {
        const struct hook_request *h;
        struct collect_result *ret;
        int r;       /* collect_run()'s return of the last filing */
        bool window; /* unit-failure, alertmanager: --since/--until given */
        usec_t since, until;
};

static int hook_file(void *userdata, const struct autofile_filing *f, char **ret_key,
                     char **ret_spool_id)
{
        struct hook_filer *x = userdata;
        struct collect_request q = x->h->collect;
        struct finding down = { .kind = FINDING_UNIT_DOWN,
                                .subject = f->down_unit,
                                .detail = f->down_detail };
        const char *spool_id;

        q.mode = f->key ? COLLECT_MODE_ATTACH : COLLECT_MODE_OPEN_TICKET;
        q.ticket_key = f->key;
        q.since = x->window ? x->since : f->since;
        q.until = x->window ? x->until : f->until;
        q.summary = q.summary ?: f->summary;
        q.description = f->description;
        q.problem_marker = f->problem_marker;
        q.type = REQUEST_CRASH;
        q.yes = true;
        q.allow_incomplete = true;
        q.keep_in_state = true;
        if (f->down_unit) {
                /* a critical alert on the unit: outage evidence for the severity engine */
                q.findings = &down;
                q.n_findings = 1;
        }
        /* several coredumps in one run: the result says what the last filing did */
        collect_result_done(x->ret);
        *x->ret = (struct collect_result) {};
        x->r = collect_run(&q, x->ret);
        *ret_key = x->ret->ticket_key ? xstrdup(x->ret->ticket_key) : NULL;
        spool_id = json_string_value(json_object_get(x->ret->ticket, "spool_id"));
        *ret_spool_id = spool_id ? xstrdup(spool_id) : NULL;
        if (x->r >= 0)
                return 0;
        return x->ret->status == COLLECT_SPOOLED ? 75 : 1;
}

/* `hook coredump [--since WHEN] [--until WHEN]`: every entry of the window, each once. */
static int hook_coredumps(const struct hook_request *h, const char *state,
                          const struct autofile_policy *ap, struct hook_filer *x)
{
        struct autofile_event *evs = NULL;
        size_t n = 0;
        usec_t since, until;
        int r, worst = 0;

        r = collect_parse_window(h->since, h->until, 10 * USEC_PER_MINUTE, &since, &until,
                                 &x->ret->error);
        if (r < 0)
                return r;
        r = autofile_events_from_coredumps(h->collect.journal_dir, since, until, HOOK_EVENTS_MAX,
                                           &evs, &n);
        if (r < 0)
                return collect_error_set(&x->ret->error, COLLECT_FAILED, r, NULL,
                                         "cannot read the coredump events: %s", strerror(-r));
        if (n == 0)
                log_notice("no systemd-coredump entry in the window: nothing to file");
        for (size_t i = 0; i < n && !interrupt_pending(); i++) {
                int ex = autofile_handle(state, ap, &evs[i], hook_file, x);

                /* a failure or a spooled filing is what the run reports */
                if (ex != 0 && (worst == 0 || ex != 75))
                        worst = ex;
        }
        autofile_events_free(evs, n);
        return worst == 0 ? 0 : x->r < 0 ? x->r : -EIO;
}

int hook_run(const struct hook_request *h, struct collect_result *ret)
{
        _cleanup_(autofile_event_done) struct autofile_event ev = {};
        _cleanup_free_ char *state = NULL, *error = NULL;
        struct hook_filer x = { .h = h, .ret = ret };
        struct autofile_policy ap;
        int r, ex;

        if (!hook_args_valid(h->args)) {
                r = collect_error_set(&ret->error, COLLECT_USAGE, EINVAL, NULL,
                                      "usage: collect hook coredump | unit-failure UNIT | "
                                      "alertmanager (the webhook payload on stdin)");
                goto fail;
        }
        r = collect_state_dir(&h->collect.dirs, &state, &ret->error);
        if (r >= 0) {
                r = autofile_policy_load(policy_section(h->collect.policy, "autofile"), &ap,
                                         &error);
                if (r < 0)
                        r = collect_error_set(&ret->error, COLLECT_CONFIG, r, NULL, "%s",
                                              error ? error : strerror(-r));
        }
        if (r < 0)
                goto fail;
        if (streq(h->args[0], "coredump")) {
                r = hook_coredumps(h, state, &ap, &x);
                if (r < 0)
                        goto fail;
                return 0;
        }
        /* an explicit window replaces the one anchored on the event */
        if (h->since || h->until) {
                x.window = true;
                r = collect_parse_window(h->since, h->until, USEC_PER_HOUR, &x.since, &x.until,
                                         &ret->error);
        }
        if (r >= 0)
                r = hook_event(h, x.since, x.until, &ev, &ret->error);
        if (r < 0)
                goto fail;
        ex = autofile_handle(state, &ap, &ev, hook_file, &x);
        if (ex == 0)
                return 0;
        r = x.r < 0 ? x.r : -EIO;
fail:
        if (ret->status == COLLECT_OK)
                ret->status = ret->error.message ? ret->error.status : COLLECT_FAILED;
        return r;
}
