/* SPDX-License-Identifier: MIT */
/*
 * One submission in progress and the backends that perform it (JSM,
 * outbox). The orchestration (ticket.c) picks a backend; a backend sees
 * only this, never the orchestration.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "policy/site-config.h"
#include "ticket/spool.h"

struct ticket_submission {
        const struct config *config;
        const char *state_dir;
        json_t *request;           /* what to send (request.json) */
        json_t *state;             /* steps done; saved with ticket_submission_save() */
        const char *bundle_path;   /* the spooled copy, or the caller's for dry-run/outbox */
        struct spool_entry *entry; /* NULL for the outbox and --dry-run */
        bool dry_run;
        json_t *ticket; /* the result object being filled */
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
