/* SPDX-License-Identifier: MIT */
/*
 * Monitoring hooks (agent/monitor/hook.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "log.h"
#include "monitor/autofile.h"
#include "monitor/hook.h"
#include "strv.h"

#define ALERTMANAGER_PAYLOAD_MAX (1 << 20)

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

/* 0 with the event, 1 when there is nothing to file, -errno with err. */
static int hook_event(const struct hook_request *h, struct autofile_event *ev,
                      struct collect_error *err)
{
        const char *kind = h->args[0];
        usec_t since, until;
        int r;

        if (streq(kind, "unit-failure")) {
                r = autofile_event_from_unit(h->args[1], ev);
        } else if (streq(kind, "alertmanager")) {
                r = event_from_alertmanager(h, ev, err);
                if (r < 0 && err->message)
                        return r;
        } else {
                r = collect_parse_window(h->since, h->until, 10 * USEC_PER_MINUTE, &since,
                                         &until, err);
                if (r < 0)
                        return r;
                r = autofile_event_from_coredump(h->collect.journal_dir, since, until, ev);
                if (r == -ENOENT) {
                        log_notice("no systemd-coredump entry in the window: nothing to file");
                        return 1;
                }
        }
        if (r < 0)
                return collect_error_set(err, COLLECT_FAILED, r, NULL,
                                         "cannot read the %s event: %s", kind, strerror(-r));
        return 0;
}

/* 0 to file (mode and key set), 1 when nothing is to be filed, -errno. */
static int hook_decide(const char *state, const struct policy *pol,
                       const struct autofile_event *ev, usec_t t, struct collect_request *q,
                       char **key, uint64_t *suppressed, struct collect_error *err)
{
        _cleanup_free_ char *error = NULL;
        struct autofile_policy ap;
        enum autofile_decision d;
        int r;

        r = autofile_policy_load(policy_section(pol, "autofile"), &ap, &error);
        if (r < 0)
                return collect_error_set(err, COLLECT_CONFIG, r, NULL, "%s",
                                         error ? error : strerror(-r));
        r = autofile_decide(state, &ap, ev->fingerprint, t, ev->resolved, &d, key, suppressed);
        if (r < 0)
                return collect_error_set(err, COLLECT_FAILED, r, state,
                                         "cannot update the autofile state in '%s': %s", state,
                                         strerror(-r));
        if (d == AUTOFILE_SKIP) {
                log_notice("%s: nothing to file (%s)", ev->fingerprint,
                           ap.enabled ? "resolved, and no ticket is known for it" :
                                        "autofile is disabled by policy");
                return 1;
        }
        if (d == AUTOFILE_SUPPRESS) {
                log_notice("%s: counted, not filed (storm control: at most %llu filings an "
                           "hour, or its ticket is not known yet)", ev->fingerprint,
                           (unsigned long long) ap.max_per_hour);
                return 1;
        }
        q->mode = d == AUTOFILE_COMMENT ? COLLECT_MODE_ATTACH : COLLECT_MODE_OPEN_TICKET;
        q->ticket_key = d == AUTOFILE_COMMENT ? *key : NULL;
        log_notice("%s: %s", ev->fingerprint,
                   d == AUTOFILE_COMMENT ? "a repeat: commenting on its ticket" :
                                           "a new problem: filing a ticket");
        return 0;
}

static int hook_collect(const struct hook_request *h, struct collect_request *q,
                        const struct autofile_event *ev, uint64_t suppressed,
                        struct collect_result *ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        text = suppressed ? xasprintf("%s\n%llu more occurrence(s) were counted without filing "
                                      "(storm control).", ev->description,
                                      (unsigned long long) suppressed) :
                            xstrdup(ev->description);
        if (!text)
                return collect_error_set(&ret->error, COLLECT_FAILED, ENOMEM, NULL,
                                         "out of memory");
        r = collect_parse_window(h->since ? h->since : "1h", h->until, 24 * USEC_PER_HOUR,
                                 &q->since, &q->until, &ret->error);
        if (r < 0)
                return r;
        if (!q->summary)
                q->summary = ev->summary;
        q->description = text;
        q->type = REQUEST_CRASH;
        q->yes = true;
        q->allow_incomplete = true;
        q->keep_in_state = true;
        return collect_run(q, ret);
}

int hook_run(const struct hook_request *h, struct collect_result *ret)
{
        _cleanup_(autofile_event_done) struct autofile_event ev = {};
        _cleanup_free_ char *state = NULL, *key = NULL;
        struct collect_request q = h->collect;
        uint64_t suppressed = 0;
        usec_t t = now(CLOCK_REALTIME);
        int r;

        if (!hook_args_valid(h->args)) {
                r = collect_error_set(&ret->error, COLLECT_USAGE, EINVAL, NULL,
                                      "usage: collect hook coredump | unit-failure UNIT | "
                                      "alertmanager (the webhook payload on stdin)");
                goto fail;
        }
        r = collect_state_dir(&q.dirs, &state, &ret->error);
        if (r >= 0)
                r = hook_event(h, &ev, &ret->error);
        if (r == 0)
                r = hook_decide(state, q.policy, &ev, t, &q, &key, &suppressed, &ret->error);
        if (r > 0)
                return 0; /* nothing to file */
        if (r < 0)
                goto fail;
        r = hook_collect(h, &q, &ev, suppressed, ret);
        if (r >= 0 || ret->status == COLLECT_SPOOLED) {
                int k = autofile_record(state, ev.fingerprint,
                                        q.mode == COLLECT_MODE_OPEN_TICKET ? ret->ticket_key :
                                                                             q.ticket_key,
                                        t);

                if (k < 0)
                        log_warning_errno(k, "cannot record the filing in '%s': %m", state);
        }
        return r;
fail:
        ret->status = ret->error.message ? ret->error.status : COLLECT_FAILED;
        return r;
}
