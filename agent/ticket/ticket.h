/* SPDX-License-Identifier: MIT */
/*
 * Filing the bundle: the backend table (jsm: Jira Service Management over
 * http.c; outbox: no portal configured, a ready-to-paste draft next to the
 * bundle) and the submit orchestration. Every portal submission has an ID
 * and a marker (in the summary, labels and description), is written to the
 * spool before anything is sent, and records each completed step (upload,
 * create, attach, share, escalate) so that a resumed submission continues
 * where it stopped and a retry never opens a second ticket.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "policy/site-config.h"
#include "macro.h"
#include "ticket/spool.h"

struct ticket_job {
        enum ticket_action { TICKET_OPEN, TICKET_ATTACH } action;
        const char *key;            /* TICKET_ATTACH: existing ticket */
        const char *bundle_path;    /* finished bundle (already leak-checked by the caller) */
        json_t *manifest;           /* the manifest object, borrowed */
        const struct config *config;
        char **share;               /* --share IDs (config share_with is added for OPEN) */
        const char *state_dir, *spool_dir;
        bool dry_run, assume_yes, interactive; /* interactive: ask before filing */
        bool allow_incomplete;      /* say in the ticket what is missing */
        bool draft;                 /* write the outbox draft even with a portal configured */
};

/*
 * Files the bundle. *ret_ticket (may be NULL) gets the DESIGN.md ticket
 * object {action: created|commented|attached|drafted|spooled|none, key, url,
 * spool_id} (plus "draft": {text, json} for the outbox), also on failure.
 * Returns 0; -EAGAIN: spooled, will be retried (exit 75); -EACCES: the
 * portal refused the credentials or permission (77); -EINVAL/-ENOENT:
 * configuration, or the portal answered 400/404 (78; the portal's own
 * message is logged); -ENOTTY: would need to ask but not on a terminal and
 * no --yes (64); other -errno (1). Use ticket_exit_code().
 */
int ticket_submit(const struct ticket_job *job, json_t **ret_ticket);

/* Continues a spooled submission (takes ownership of e, which is locked);
 * removes it from the spool when done. Same returns as ticket_submit(). */
int ticket_resume(const struct config *c, const char *state_dir, struct spool_entry *e,
                  json_t **ret_ticket);

/* Maps a ticket_submit() result to the sysexits exit code. */
int ticket_exit_code(int r) _pure_;

/* "create, attach, share" — the steps a spooled submission still needs. */
char *ticket_pending_steps(json_t *request, json_t *state);

/* `collect portal test|desks|types|fields`; returns the exit code. */
int ticket_verb_portal(const struct config *c, int argc, char **argv);

/* --- backends --------------------------------------------------------- */

struct ticket_submission {
        const struct config *config;
        const char *state_dir;
        json_t *request;            /* what to send (request.json) */
        json_t *state;              /* steps done; saved with ticket_submission_save() */
        const char *bundle_path;    /* the spooled copy, or the caller's for dry-run/outbox */
        struct spool_entry *entry;  /* NULL for the outbox and --dry-run */
        bool dry_run;
        json_t *ticket;             /* the result object being filled */
};

/* Saves s->state to the spool (no-op without an entry). */
int ticket_submission_save(struct ticket_submission *s);

struct ticket_backend_ops {
        /* Required. Performs (or continues) the submission. Returns as
         * ticket_submit(); sets "done" in the state when nothing is left to
         * retry (the spool entry is then removed). */
        int (*submit)(struct ticket_submission *s);
};

struct ticket_backend {
        const char *name;
        const struct ticket_backend_ops *ops;
};

extern const struct ticket_backend ticket_backend_jsm;
extern const struct ticket_backend ticket_backend_outbox;

/* By name ("jsm", "outbox"); NULL if unknown. */
const struct ticket_backend *ticket_backend_find(const char *name);

/* JSM helpers exposed for the portal verb and the unit tests. */
int jsm_portal_verb(const struct config *c, int argc, char **argv);

/*
 * Picks the severity field and option for sev ("P1".."P4") from a request
 * type's requestTypeFields array: the configured field ("auto", "priority"
 * or "customfield_N"), else "priority", else a field named Severity; the
 * option whose label starts with the P-level, else by position. Returns 1
 * with *ret_field and *ret_option_id (option id = validValues[].value), 0
 * when the request type has no such field, -ENOENT when a configured field
 * is absent, -ENOMEM.
 */
int jsm_pick_severity(json_t *fields, const char *configured, const char *sev, char **ret_field,
                      char **ret_option_id);

/* Slack incoming webhook (URL read from a 0600 file). 0 sent; -EAGAIN
 * worth retrying (429, 5xx, unreachable); -EACCES file permissions;
 * -EINVAL refused (4xx); the URL is never logged. */
int slack_notify(const char *webhook_file, json_t *payload);

/* The Slack message for a P1 ticket; new reference or NULL. */
json_t *slack_payload(const char *key, const char *url, const char *summary, const char *host,
                      json_t *reasons);
