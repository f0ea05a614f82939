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
#include "ticket/ticket-submission.h"

struct ticket_job {
        enum ticket_action { TICKET_OPEN, TICKET_ATTACH } action;
        const char *key;         /* TICKET_ATTACH: existing ticket */
        const char *bundle_path; /* finished bundle (already leak-checked by the caller) */
        json_t *manifest;        /* the manifest object, borrowed */
        const struct config *config;
        char **share; /* --share IDs (config share_with is added for OPEN) */
        const char *state_dir, *spool_dir;
        bool dry_run, assume_yes, interactive; /* interactive: ask before filing */
        bool allow_incomplete;                 /* say in the ticket what is missing */
        const char *problem_marker; /* monitoring: a word of the summary naming the problem
                                     * fleet-wide; an open request carrying it gets this
                                     * bundle as a comment instead of a new ticket */
        bool draft;                 /* write the outbox draft even with a portal configured */
        const char *comment_intro;  /* TICKET_ATTACH: a first paragraph for the comment */
};

/*
 * Files the bundle. *ret_ticket (may be NULL) gets the DESIGN.md ticket
 * object {action: created|commented|attached|drafted|spooled|none, key, url,
 * spool_id} (plus "draft": {text, json} for the outbox), also on failure.
 * Returns 0; -EAGAIN: spooled, will be retried (exit 75); -EACCES: the
 * portal refused the credentials or permission (77); -EINVAL/-ENOENT:
 * configuration, or the portal answered 400/404 (78; the portal's own
 * message is logged); -ENOTTY: would need to ask but not on a terminal and
 * no --yes (64); other -errno (1). The CLI maps these (cli/exit-code.h).
 */
int ticket_submit(const struct ticket_job *job, json_t **ret_ticket);

/* Continues a spooled submission (takes ownership of e, which is locked);
 * removes it from the spool when done. Same returns as ticket_submit(). */
int ticket_resume(const struct config *c, const char *state_dir, struct spool_entry *e,
                  json_t **ret_ticket);

/* Checks before work: the credentials the configuration names can be used
 * (mode, owner, contents). 0 (also when no portal is configured) or -errno
 * with *ret_error naming the file. */
int ticket_check_credentials(const struct config *c, char **ret_error);

/* Whether request key exists and this account can see it: 0, -ENOENT (404),
 * -EACCES (401/403), -EAGAIN (the portal cannot be reached now), -errno. */
int ticket_check_request(const struct config *c, const char *key);

/* "create, attach, share" — the steps a spooled submission still needs. */
char *ticket_pending_steps(json_t *request, json_t *state);

/* By name ("jsm", "outbox"); NULL if unknown. */
const struct ticket_backend *ticket_backend_find(const char *name);
