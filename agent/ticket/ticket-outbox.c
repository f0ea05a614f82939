/* SPDX-License-Identifier: MIT */
/*
 * Outbox backend: no portal configured. Writes a ready-to-paste draft next
 * to the bundle: <bundle>.ticket.txt in plain text (it reads well pasted into
 * the customer portal's rich-text field, which renders no wiki markup) and
 * <bundle>.ticket.json with the structured fields (request type, summary,
 * description as text, wiki markup and ADF, severity with reasons, checklist),
 * and prints the portal steps for filing by hand (the support process,
 * embedded), with the configured portal's address when there is one.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/json-util.h"
#include "basic/fileio.h"
#include "dynbuf.h"
#include "log.h"
#include "ticket/spool.h"
#include "ticket/ticket-submission.h"

#define DEFAULT_PORTAL "https://stakater-cloud.atlassian.net/servicedesk/customer/portals"

/* The portal a person files on: the configured one, else the embedded default. */
static char *portal_address(const struct config *c)
{
        if (c && !isempty(c->portal.url))
                return xasprintf("%s/servicedesk/customer/portals", c->portal.url);
        return xstrdup(DEFAULT_PORTAL);
}

static const char *severity_label(const char *s)
{
        static const char *const labels[] = { "P1 - Critical", "P2 - High", "P3 - Medium",
                                              "P4 - Low" };

        if (s && s[0] == 'P' && s[1] >= '1' && s[1] <= '4' && !s[2])
                return labels[s[1] - '1'];
        return s ?: "P3 - Medium";
}

static const char *request_type_name(const struct config *c, const char *use)
{
        const char *t = c && c->has_portal ? config_request_type(c, use) : NULL;

        if (t)
                return t;
        return use && streq(use, "question") ? "Ask a question" : "Report an incident";
}

static bool attaching(struct ticket_submission *s)
{
        const char *a = json_str(s->request, "action");

        return a && streq(a, "attach");
}

static int write_text(struct ticket_submission *s, const char *path, json_t *manifest_checklist)
{
        json_t *r = s->request;
        struct dynbuf b;
        int k;

        dynbuf_init(&b, 8 * 1024 * 1024);
        if (attaching(s)) {
                /* support asked for this bundle on an existing request: a comment to paste */
                k = dynbuf_addf(&b, "Ticket: %s\nAttach: %s\n\nComment (paste as is):\n%s\n",
                                json_str(r, "key") ?: "?", s->bundle_path,
                                json_str(r, "comment_text")    ?:
                                        json_str(r, "comment") ?:
                                                                 "");
                if (k >= 0)
                        k = write_file_atomic(path, b.buf, b.len, 0600);
                dynbuf_done(&b);
                return k;
        }
        (void) manifest_checklist; /* the description carries the checklist */
        k = dynbuf_addf(&b,
                        "Request type: %s\nSeverity: %s\nAttach: %s\n\nSummary:\n%s\n\n"
                        "Description:\n\n%s",
                        request_type_name(s->config, json_str(r, "request_type")),
                        severity_label(json_str(r, "severity")), s->bundle_path,
                        json_str(r, "summary") ?: "",
                        json_str(r, "description_text")         ?:
                                json_str(r, "description_full") ?:
                                json_str(r, "description")      ?:
                                                                  "");
        if (k < 0) {
                dynbuf_done(&b);
                return k;
        }
        k = write_file_atomic(path, b.buf, b.len, 0600);
        dynbuf_done(&b);
        return k;
}

static int write_json(struct ticket_submission *s, const char *path, json_t *checklist)
{
        json_t *r = s->request;
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_free_ char *text = NULL, *portal = portal_address(s->config);

        if (!portal)
                return -ENOMEM;
        if (attaching(s))
                j = json_pack("{s:s, s:s, s:s?, s:{s:s, s:s?, s:I}, s:s}", "action", "attach",
                              "key", json_str(r, "key") ?: "", "comment", json_str(r, "comment"),
                              "bundle", "path", s->bundle_path, "sha256",
                              json_str(r, "bundle_sha256"), "bytes",
                              json_integer_value(json_object_get(r, "bundle_bytes")), "portal",
                              portal);
        else
                j = json_pack("{s:s, s:s, s:s, s:{s:s, s:s?, s:O?}, s:O?, s:{s:s, s:s?, s:I}, s:s}",
                              "request_type",
                              request_type_name(s->config, json_str(r, "request_type")), "summary",
                              json_str(r, "summary") ?: "", "description",
                              json_str(r, "description_full")    ?:
                                      json_str(r, "description") ?:
                                                                   "",
                              "severity", "selected", json_str(r, "severity") ?: "P3", "suggested",
                              json_str(r, "severity_suggested"), "reasons",
                              json_object_get(r, "severity_reasons"), "checklist", checklist,
                              "bundle", "path", s->bundle_path, "sha256",
                              json_str(r, "bundle_sha256"), "bytes",
                              json_integer_value(json_object_get(r, "bundle_bytes")), "portal",
                              portal);
        if (!j)
                return -ENOMEM;
        if (!attaching(s)) {
                /* the structured fields a script or the portal API can use */
                json_object_set(j, "description_wiki",
                                json_object_get(r, "description_full") ?:
                                        json_object_get(r, "description"));
                json_object_set(j, "description_adf", json_object_get(r, "description_adf"));
                json_object_set(j, "labels", json_object_get(r, "labels"));
                json_object_set(j, "environment", json_object_get(r, "environment"));
                json_object_set(j, "product", json_object_get(r, "product"));
                json_object_set(j, "missing", json_object_get(r, "missing"));
                if (json_str(r, "description_text"))
                        json_object_set(j, "description", json_object_get(r, "description_text"));
        }
        text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!text)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0600);
}

static void print_steps(struct ticket_submission *s, const char *txt)
{
        json_t *r = s->request;
        _cleanup_free_ char *portal = portal_address(s->config);
        const char *p = portal ?: DEFAULT_PORTAL;

        if (attaching(s)) {
                fprintf(stderr,
                        "\nNo support portal is configured, so nothing was sent. To add this "
                        "bundle to %s by hand on the support portal (%s):\n"
                        "  1. Log in to the Support Portal and open %s.\n"
                        "  2. Attach the bundle %s.\n"
                        "  3. Add a comment with the text from %s.\n"
                        "To do this automatically next time, configure 'portal:' in "
                        "/etc/collect/collect.yaml and run 'collect portal test'.\n",
                        json_str(r, "key") ?: "the request", p, json_str(r, "key") ?: "the request",
                        s->bundle_path, txt);
                return;
        }

        fprintf(stderr,
                "\nNo support portal is configured, so nothing was sent. To file this request "
                "by hand on the support portal (%s):\n"
                "  1. Log in to the Support Portal. First time: click Sign up, enter your "
                "official company e-mail address (the account must use it), follow the link in "
                "the e-mail and set your name and a strong password.\n"
                "  2. Select the request type: %s.\n"
                "  3. Paste the summary and the description from %s.\n"
                "  4. Select the severity: %s.\n"
                "  5. Attach the bundle %s.\n"
                "  6. Submit the request. SLA response times begin once the ticket is properly "
                "submitted.\n"
                "  7. To share it, open the request and add colleagues in the \"Shared with\" "
                "field.\n"
                "  Premium customers with a P1 - Critical issue: submit the ticket immediately, "
                "then use the agreed emergency channel (Slack or phone).\n"
                "To file automatically next time, configure 'portal:' in "
                "/etc/collect/collect.yaml and run 'collect portal test'.\n",
                p, request_type_name(s->config, json_str(r, "request_type")), txt,
                severity_label(json_str(r, "severity")), s->bundle_path);
}

static int outbox_submit(struct ticket_submission *s)
{
        _cleanup_free_ char *txt = NULL, *js = NULL;
        json_t *checklist = json_object_get(s->request, "checklist");
        int r;

        txt = xasprintf("%s.ticket.txt", s->bundle_path);
        js = xasprintf("%s.ticket.json", s->bundle_path);
        if (!txt || !js)
                return -ENOMEM;
        if (s->dry_run) {
                fprintf(stderr, "dry run: would write %s and %s\n", txt, js);
                print_steps(s, txt);
                return 0;
        }
        r = write_text(s, txt, checklist);
        if (r >= 0)
                r = write_json(s, js, checklist);
        if (r < 0)
                return log_error_errno(r, "cannot write the ticket draft next to '%s': %m",
                                       s->bundle_path);
        json_object_set_new(s->ticket, "action", json_string("drafted"));
        json_object_set_new(s->ticket, "draft", json_pack("{s:s, s:s}", "text", txt, "json", js));
        print_steps(s, txt);
        fprintf(stderr, "Draft: %s\n", txt);
        return 0;
}

static const struct ticket_backend_ops outbox_ops = {
        .submit = outbox_submit,
};

const struct ticket_backend ticket_backend_outbox = {
        .name = "outbox",
        .ops = &outbox_ops,
};
