/* SPDX-License-Identifier: MIT */
/*
 * A submission's state, saved to its spool entry (ticket/ticket-submission.h).
 */
#include "log.h"
#include "ticket/ticket-submission.h"

int ticket_submission_save(struct ticket_submission *s)
{
        int r;

        if (!s->entry)
                return 0;
        if (s->entry->state != s->state) {
                json_decref(s->entry->state);
                s->entry->state = json_incref(s->state);
        }
        r = spool_entry_save(s->entry);
        if (r < 0)
                log_warning_errno(r, "cannot save the spool state of %s: %m", s->entry->id);
        return r;
}
