/* SPDX-License-Identifier: MIT */
/*
 * Premium P1 escalation (ticket/escalation.h): the support process's
 * emergency channel, whatever backend filed the ticket.
 */
#include <errno.h>
#include <stdio.h>

#include <jansson.h>

#include "basic/json-util.h"
#include "log.h"
#include "ticket/escalation.h"
#include "ticket/slack.h"

static int state_set(struct ticket_submission *s, const char *k, json_t *v)
{
        if (!v || json_object_set_new(s->state, k, v) < 0)
                return -ENOMEM;
        return ticket_submission_save(s);
}

int escalation_run(struct ticket_submission *s)
{
        const struct config *c = s->config;
        json_t *esc = json_object_get(s->state, "escalated");
        _cleanup_(json_decrefp) json_t *payload = NULL;
        int r;

        if (!json_is_true(json_object_get(s->request, "p1")) || json_is_true(esc) ||
            json_is_string(esc))
                return 0;
        if (c->tier != TIER_PREMIUM) {
                fprintf(stderr,
                        "This is a P1 request. The emergency channel (Slack, phone) is for "
                        "Premium support only; your request is logged on the portal and will be "
                        "handled within the standard response time.\n");
                return state_set(s, "escalated", json_string("not premium"));
        }
        if (c->phone)
                fprintf(stderr,
                        "Premium P1: also call the agreed emergency number %s and give "
                        "the ticket key %s.\n",
                        c->phone, json_str(s->state, "key") ?: "");
        if (!c->slack_webhook_file) {
                if (!c->phone)
                        fprintf(stderr, "Premium P1: no emergency channel is configured "
                                        "(escalation.slack_webhook_file); use the agreed one "
                                        "now.\n");
                return state_set(s, "escalated", json_string("no channel configured"));
        }
        payload = slack_payload(json_str(s->state, "key"), json_str(s->state, "url"),
                                json_str(s->request, "summary"), json_str(s->request, "host"),
                                json_object_get(s->request, "severity_reasons"));
        if (!payload)
                return -ENOMEM;
        r = slack_notify(c->slack_webhook_file, payload);
        if (r >= 0) {
                fprintf(stderr, "Premium P1: the emergency Slack channel was notified.\n");
                return state_set(s, "escalated", json_true());
        }
        if (r == -EINTR)
                return r; /* stopped by a signal: retried from the spool */
        if (r == -EAGAIN) {
                log_warning("the emergency Slack notification failed; it stays in the spool and "
                            "will be retried ('collect spool flush'); the ticket stands");
                (void) state_set(s, "last_error", json_string("slack notification failed"));
                return -EAGAIN;
        }
        log_error("the emergency Slack notification was refused; the ticket stands");
        return state_set(s, "escalated", json_string("refused"));
}
