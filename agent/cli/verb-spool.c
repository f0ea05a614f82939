/* SPDX-License-Identifier: MIT */
/*
 * `collect spool` (cli/verb-spool.h): listing, sending again and dropping
 * spooled submissions. The spool itself only stores; this maps its results
 * to messages and exit codes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "cli/exit-code.h"
#include "cli/verb-spool.h"
#include "log.h"
#include "strv.h"
#include "ticket/spool.h"
#include "ticket/ticket.h"

static void list_one(const char *spool_dir, const char *id, usec_t t_now)
{
        _cleanup_(json_decrefp) json_t *req = NULL;
        _cleanup_(json_decrefp) json_t *st = NULL;
        usec_t c = 0;
        char age[64];

        (void) spool_entry_peek(spool_dir, id, &req, &st, &c);

        const char *key = json_string_value(json_object_get(st, "key"));
        const char *err = json_string_value(json_object_get(st, "last_error"));
        _cleanup_free_ char *pending = ticket_pending_steps(req, st);
        _cleanup_free_ char *bundle = xasprintf("%s/%s/bundle.tar.gz", spool_dir, id);
        _cleanup_free_ char *lost = st ? spool_entry_unsendable(st, bundle && access(bundle,
                                                                                     F_OK) >= 0) :
                                         NULL;

        if (lost) {
                /* never sent again: said instead of the steps it waits for */
                char *l = xasprintf("not sent: %s; 'collect spool drop %s'", lost, id);

                if (l) {
                        free(pending);
                        pending = l;
                        err = NULL;
                }
        }

        format_duration(age, sizeof(age), c && c < t_now ? t_now - c : 0);
        printf("%-20s %-8s %-10llu %-10s %-12s %s%s%s%s\n", id, age,
               (unsigned long long) spool_entry_size(spool_dir, id),
               json_string_value(json_object_get(req, "action")) ?: "?", key ?: "-", pending ?: "?",
               err ? " (last error: " : "", err ? err : "", err ? ")" : "");
}

static int verb_list(const char *spool_dir)
{
        _cleanup_strv_free_ char **ids = NULL;
        usec_t t_now = now(CLOCK_REALTIME);
        int r;

        r = spool_list(spool_dir, &ids);
        if (r < 0) {
                log_error_errno(r, "cannot list spool '%s': %m", spool_dir);
                return 73;
        }
        if (!ids[0]) {
                fprintf(stderr, "spool '%s' is empty\n", spool_dir);
                return 0;
        }
        printf("%-20s %-8s %-10s %-10s %-12s %s\n", "ID", "AGE", "SIZE", "ACTION", "KEY",
               "WAITING FOR");
        STRV_FOREACH(id, ids)
                list_one(spool_dir, *id, t_now);
        return 0;
}

static int verb_drop(const char *spool_dir, const char *id)
{
        _cleanup_(spool_entry_freep) struct spool_entry *e = NULL;
        int r;

        r = spool_entry_open(spool_dir, id, &e);
        if (r == -ENOENT) {
                log_error("no submission '%s' in the spool '%s'", id, spool_dir);
                return 66;
        }
        if (r == -EBUSY) {
                log_error("submission '%s' is being sent by another run", id);
                return 75;
        }
        if (r < 0 && r != -EBADMSG) {
                log_error_errno(r, "cannot open submission '%s': %m", id);
                return 1;
        }
        r = spool_entry_remove(TAKE_PTR(e));
        if (r < 0) {
                log_error_errno(r, "cannot remove submission '%s': %m", id);
                return 1;
        }
        fprintf(stderr, "dropped submission %s\n", id);
        return 0;
}

static int verb_flush(const char *spool_dir, const char *state_dir, const struct config *c,
                      const char *only)
{
        _cleanup_strv_free_ char **ids = NULL;
        int r, ex = 0, n = 0;

        if (c)
                (void) spool_vacuum(spool_dir, c->spool_max_size, c->spool_max_age, NULL);
        r = spool_list(spool_dir, &ids);
        if (r < 0) {
                log_error_errno(r, "cannot list spool '%s': %m", spool_dir);
                return 73;
        }
        STRV_FOREACH(id, ids) {
                _cleanup_(spool_entry_freep) struct spool_entry *e = NULL;
                _cleanup_(json_decrefp) json_t *t = NULL;

                if (only && !streq(*id, only))
                        continue;
                n++;
                r = spool_entry_open(spool_dir, *id, &e);
                if (r == -ENOENT)
                        continue;
                if (r == -EBUSY) {
                        log_notice("submission %s is being sent by another run, skipped", *id);
                        ex = exit_code_worst(ex, 75);
                        continue;
                }
                if (r < 0) {
                        log_error_errno(r, "cannot open submission %s: %m", *id);
                        ex = exit_code_worst(ex, 1);
                        continue;
                }
                _cleanup_free_ char *lost = spool_entry_unsendable(e->state, e->bundle != NULL);
                if (lost) {
                        /* retrying could never succeed: said once, then dropped */
                        log_error("submission %s not sent: %s; dropped from the spool", *id, lost);
                        r = spool_entry_remove(TAKE_PTR(e));
                        if (r < 0)
                                log_warning_errno(r, "cannot remove submission %s: %m", *id);
                        ex = exit_code_worst(ex, 1);
                        continue;
                }
                r = ticket_resume(c, state_dir, TAKE_PTR(e), &t);
                if (r == -EINTR || interrupt_pending()) {
                        log_error("interrupted by SIG%s while sending submission %s: it stays "
                                  "in the spool",
                                  sigabbrev_np(interrupt_pending()) ?: "?", *id);
                        return 128 + (interrupt_pending() ?: SIGTERM);
                }
                ex = exit_code_worst(ex, exit_code_from_ticket(r));
        }
        if (only && n == 0) {
                log_error("no submission '%s' in the spool '%s'", only, spool_dir);
                return 66;
        }
        if (n == 0)
                fprintf(stderr, "spool '%s' is empty, nothing to send\n", spool_dir);
        return ex;
}

int verb_spool_run(const char *spool_dir, const char *state_dir, const struct config *c, int argc,
                   char **argv)
{
        if (!spool_dir)
                spool_dir = "/var/spool/collect";
        if (!state_dir)
                state_dir = "/var/lib/collect";
        if (argc < 1) {
                log_error("usage: collect spool list|flush [ID]|drop ID");
                return 64;
        }
        if (streq(argv[0], "list") && argc == 1)
                return verb_list(spool_dir);
        if (streq(argv[0], "flush") && argc <= 2)
                return verb_flush(spool_dir, state_dir, c, argc == 2 ? argv[1] : NULL);
        if (streq(argv[0], "drop") && argc == 2)
                return verb_drop(spool_dir, argv[1]);
        log_error("unknown or incomplete spool command '%s' (use list, flush [ID], drop ID)",
                  argv[0]);
        return 64;
}
