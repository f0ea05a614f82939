/* SPDX-License-Identifier: MIT */
/*
 * Ticket orchestration (see ticket.h): prepares the submission (ID, marker,
 * text), asks before filing on a terminal, puts it in the spool, runs the
 * backend and settles the spool entry according to the outcome.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/json-util.h"
#include "log.h"
#include "strv.h"
#include "ticket/ticket-format.h"
#include "ticket/ticket.h"

static const struct ticket_backend *const backends[] = {
        &ticket_backend_jsm,
        &ticket_backend_outbox,
};

const struct ticket_backend *ticket_backend_find(const char *name)
{
        for (size_t i = 0; name && i < ELEMENTSOF(backends); i++)
                if (streq(backends[i]->name, name))
                        return backends[i];
        return NULL;
}

char *ticket_pending_steps(json_t *request, json_t *state)
{
        char **l = NULL;
        bool open = streq(json_string_value(json_object_get(request, "action")) ?: "open", "open");
        char *s;

        if (open && !json_object_get(state, "key"))
                (void) strv_extend(&l, "create");
        if (!json_is_true(json_object_get(state, "attached")))
                (void) strv_extend(&l, "attach");
        if (json_array_size(json_object_get(request, "share")) > 0 &&
            !json_object_get(state, "shared"))
                (void) strv_extend(&l, "share");
        if (json_is_true(json_object_get(request, "p1")) && !json_object_get(state, "escalated"))
                (void) strv_extend(&l, "escalate");
        if (!l)
                return xstrdup("nothing");
        s = strv_join(l, ", ");
        strv_free(l);
        return s;
}

static int make_id(char ret[17])
{
        uint8_t b[8];
        static const char hex[] = "0123456789abcdef";

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno;
        for (size_t i = 0; i < sizeof(b); i++) {
                ret[2 * i] = hex[b[i] >> 4];
                ret[2 * i + 1] = hex[b[i] & 15];
        }
        ret[16] = 0;
        return 0;
}

static const char *base_name(const char *p)
{
        const char *s = p ? strrchr(p, '/') : NULL;

        return s ? s + 1 : p;
}

static json_t *build_request(const struct ticket_job *job, const char *id, const char *marker,
                             const struct ticket_text *text)
{
        json_t *m = job->manifest;
        json_t *input = json_object_get(m, "input");
        json_t *sev = json_object_get(m, "severity");
        const char *severity = ticket_severity(m);
        const char *type = json_str(input, "type") ?: "incident";
        _cleanup_(json_decrefp) json_t *share = json_array(), *missing = json_array();
        json_t *r, *v;
        size_t i;

        if (!share || !missing)
                return NULL;
        STRV_FOREACH(p, job->share)
                json_array_append_new(share, json_string(*p));
        if (job->action == TICKET_OPEN && job->config)
                STRV_FOREACH(p, job->config->portal.share_with)
                        if (!strv_contains(job->share, *p))
                                json_array_append_new(share, json_string(*p));
        json_array_foreach(json_object_get(m, "checklist"), i, v)
                if (json_str(v, "status") && streq(json_str(v, "status"), "missing"))
                        json_array_append_new(missing, json_string(json_str(v, "item") ?: "?"));

        r = json_pack("{s:i, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s, s:s, s:s?, s:O?,"
                      " s:b, s:[s,s], s:o, s:o, s:s, s:s?, s:I, s:s?, s:s?, s:s?}",
                      "version", 1, "id", id, "marker", marker, "action",
                      job->action == TICKET_OPEN ? "open" : "attach", "key", job->key,
                      "request_type", type, "summary", text->summary, "description",
                      text->description, "description_full", text->full, "comment", text->comment,
                      "severity", severity, "severity_suggested", json_str(sev, "suggested"),
                      "severity_reasons", json_object_get(sev, "reasons"), "p1",
                      job->action == TICKET_OPEN && streq(severity, "P1"), "labels", "collect",
                      marker, "share", TAKE_PTR(share), "missing", TAKE_PTR(missing), "bundle_name",
                      base_name(job->bundle_path) ?: "bundle.tar.gz", "bundle_sha256",
                      json_str(json_object_get(m, "bundle"), "sha256"), "bundle_bytes",
                      json_integer_value(json_object_get(json_object_get(m, "bundle"), "bytes")),
                      "host", json_str(m, "host"), "environment",
                      json_str(input, "environment") ?:
                              (job->config ? job->config->environment : NULL),
                      "product",
                      json_str(input, "product") ?: (job->config ? job->config->product : NULL));
        if (r && json_is_array(json_object_get(m, "checklist")))
                json_object_set(r, "checklist", json_object_get(m, "checklist"));
        if (r && job->problem_marker && job->action == TICKET_OPEN)
                json_object_set_new(r, "problem_marker", json_string(job->problem_marker));
        if (r && text->adf)
                json_object_set(r, "description_adf", text->adf);
        if (r && text->text)
                json_object_set_new(r, "description_text", json_string(text->text));
        if (r && text->comment_text)
                json_object_set_new(r, "comment_text", json_string(text->comment_text));
        if (r && job->action == TICKET_OPEN) {
                _cleanup_free_ char *svg = ticket_timeline_svg(m);

                if (svg)
                        json_object_set_new(r, "timeline_svg", json_string(svg));
        }
        return r;
}

static json_t *ticket_object(void)
{
        return json_pack("{s:s, s:n, s:n, s:n}", "action", "none", "key", "url", "spool_id");
}

static bool confirm(const struct ticket_job *job, json_t *request)
{
        char line[16] = "";
        size_t i;
        json_t *v;

        fprintf(stderr, "\nAbout to file on %s (service desk %s):\n", job->config->portal.url,
                job->config->portal.service_desk);
        if (job->action == TICKET_ATTACH)
                fprintf(stderr, "  Attach to: %s\n", job->key);
        else
                fprintf(stderr, "  Request type: %s\n  Summary:  %s\n",
                        config_request_type(job->config, json_str(request, "request_type")) ?: "?",
                        json_str(request, "summary") ?: "");
        fprintf(stderr, "  Severity: %s", json_str(request, "severity"));
        if (json_str(request, "severity_suggested"))
                fprintf(stderr, " (suggested %s)", json_str(request, "severity_suggested"));
        fprintf(stderr, "\n");
        json_array_foreach(json_object_get(request, "severity_reasons"), i, v)
                fprintf(stderr, "    - %s\n", json_string_value(v) ?: json_str(v, "text") ?: "?");
        fprintf(stderr, "  Bundle:   %s\n", json_str(request, "bundle_name") ?: "?");
        /* the missing items were listed with the checklist above: a count, not the list again */
        if (json_array_size(json_object_get(request, "missing")) > 0)
                fprintf(stderr, "  Missing:  %zu checklist item(s), named in the ticket\n",
                        json_array_size(json_object_get(request, "missing")));
        fprintf(stderr, "File this request? [y/N] ");
        fflush(stderr);
        if (!fgets(line, sizeof(line), stdin))
                return false;
        return line[0] == 'y' || line[0] == 'Y';
}

/* Settles the spool entry after a backend run; consumes s->entry. */
static int settle(struct ticket_submission *s, int r)
{
        struct spool_entry *e = TAKE_PTR(s->entry);
        const char *action = json_str(s->ticket, "action");

        if (!e)
                return r;
        json_object_set_new(s->state, "attempts",
                            json_integer(json_integer_value(json_object_get(s->state, "attempts")) +
                                         1));
        json_object_set_new(s->state, "last_attempt",
                            json_integer((json_int_t) now(CLOCK_REALTIME)));
        if (json_is_true(json_object_get(s->state, "done"))) {
                int k = spool_entry_remove(e);

                if (k < 0)
                        log_warning_errno(k, "cannot remove the finished submission from the "
                                             "spool: %m");
                return r;
        }
        json_decref(e->state);
        e->state = json_incref(s->state);
        (void) spool_entry_save(e);
        json_object_set_new(s->ticket, "spool_id", json_string(e->id));
        if ((r == -EAGAIN || r == -EINTR) &&
            (!json_str(s->state, "key") || !action || streq(action, "none")))
                json_object_set_new(s->ticket, "action", json_string("spooled"));
        /* stopped by a signal (-EINTR): the caller says so, in one line */
        if (r == -EAGAIN)
                fprintf(stderr,
                        "The submission is in the spool as %s and will be retried "
                        "('collect spool flush'); nothing is lost.\n",
                        e->id);
        else if (r < 0 && r != -EINTR)
                fprintf(stderr,
                        "The submission is kept in the spool as %s: fix the problem and "
                        "run 'collect spool flush', or 'collect spool drop %s'.\n",
                        e->id, e->id);
        spool_entry_free(e);
        return r;
}

static void print_result(json_t *ticket)
{
        const char *action = json_str(ticket, "action"), *key = json_str(ticket, "key");

        if (!key || !action)
                return;
        if (streq(action, "created"))
                fprintf(stderr, "Created %s: %s\n", key, json_str(ticket, "url") ?: "");
        else if (streq(action, "attached") || streq(action, "commented"))
                fprintf(stderr, "Attached the bundle to %s: %s\n", key,
                        json_str(ticket, "url") ?: "");
}

int ticket_submit(const struct ticket_job *job, json_t **ret_ticket)
{
        _cleanup_(ticket_text_done) struct ticket_text text = {};
        const struct ticket_backend *b;
        struct ticket_submission s = {};
        char id[17], marker[32];
        _cleanup_(json_decrefp) json_t *request = NULL, *state = NULL, *ticket = NULL;
        int r;

        if (!job || !job->bundle_path || !job->config ||
            (job->action == TICKET_ATTACH && isempty(job->key)))
                return -EINVAL;
        ticket = ticket_object();
        if (!ticket)
                return -ENOMEM;
        if (ret_ticket)
                *ret_ticket = json_incref(ticket);

        r = make_id(id);
        if (r < 0)
                return r;
        snprintf(marker, sizeof(marker), "collect%s", id);
        r = ticket_format(job->manifest,
                          &(struct ticket_format_options) {
                                  .marker = marker,
                                  .environment = job->config->environment,
                                  .product = job->config->product,
                                  .allow_incomplete = job->allow_incomplete,
                                  .attach = job->action == TICKET_ATTACH,
                          },
                          &text);
        if (r < 0)
                return r;
        if (job->comment_intro && text.comment) {
                char *c = xasprintf("%s\n\n%s", job->comment_intro, text.comment);

                if (!c)
                        return -ENOMEM;
                free(text.comment);
                text.comment = c;
        }
        request = build_request(job, id, marker, &text);
        if (!request)
                return -ENOMEM;

        state = json_object();
        if (!state)
                return -ENOMEM;
        b = job->config->has_portal && !job->draft ? &ticket_backend_jsm : &ticket_backend_outbox;
        s = (struct ticket_submission) {
                .config = job->config,
                .state_dir = job->state_dir ?: "/var/lib/collect",
                .request = request,
                .state = state,
                .bundle_path = job->bundle_path,
                .dry_run = job->dry_run,
                .ticket = ticket,
        };
        if (b == &ticket_backend_jsm && !job->dry_run) {
                const char *spool_dir = job->spool_dir ?: "/var/spool/collect";

                if (!job->assume_yes) {
                        if (!job->interactive) {
                                log_error("not filing from a non-terminal without --yes");
                                return -ENOTTY;
                        }
                        if (!confirm(job, request)) {
                                fprintf(stderr, "Not filed. The bundle is %s\n", job->bundle_path);
                                return 0;
                        }
                }
                (void) spool_vacuum(spool_dir, job->config->spool_max_size,
                                    job->config->spool_max_age, NULL);
                r = spool_entry_create(spool_dir, id, job->bundle_path, request, s.state, &s.entry);
                if (r < 0) {
                        log_error_errno(r, "cannot put the submission in the spool '%s': %m",
                                        spool_dir);
                        return r == -EACCES ? -EIO : r;
                }
                json_decref(state);
                s.state = state = json_incref(s.entry->state);
                s.bundle_path = s.entry->bundle;
        }
        r = b->ops->submit(&s);
        r = settle(&s, r);
        print_result(ticket);
        return r;
}

int ticket_resume(const struct config *c, const char *state_dir, struct spool_entry *e,
                  json_t **ret_ticket)
{
        struct ticket_submission s;
        _cleanup_(json_decrefp) json_t *ticket = NULL, *request = NULL, *state = NULL;
        int r;

        if (!e)
                return -EINVAL;
        ticket = ticket_object();
        if (!ticket) {
                spool_entry_free(e);
                return -ENOMEM;
        }
        if (ret_ticket)
                *ret_ticket = json_incref(ticket);
        if (!c || !c->has_portal) {
                log_error("submission %s waits for a portal, but none is configured", e->id);
                spool_entry_free(e);
                return -EINVAL;
        }
        request = json_incref(e->request);
        state = json_incref(e->state);
        fprintf(stderr, "Sending spooled submission %s (%s)\n", e->id,
                json_str(e->request, "summary") ?: "");
        s = (struct ticket_submission) {
                .config = c,
                .state_dir = state_dir ?: "/var/lib/collect",
                .request = request,
                .state = state,
                .bundle_path = e->bundle,
                .entry = e,
                .ticket = ticket,
        };
        if (json_str(s.state, "key")) {
                json_object_set(ticket, "key", json_object_get(s.state, "key"));
                json_object_set(ticket, "url", json_object_get(s.state, "url"));
        }
        r = ticket_backend_jsm.ops->submit(&s);
        r = settle(&s, r);
        print_result(ticket);
        return r;
}
