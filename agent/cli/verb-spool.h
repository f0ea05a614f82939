/* SPDX-License-Identifier: MIT */
/*
 * `collect spool list|flush [ID]|drop ID`: the submissions waiting in the
 * spool (ticket/spool.h), sent again through ticket_resume().
 */
#pragma once

#include "policy/site-config.h"

/*
 * Runs the spool verb with its arguments (argv[0] is list, flush or drop).
 * spool_dir, state_dir: NULL for the defaults. Returns a sysexits exit code:
 * 0, 64 usage, 66 no such submission, 73 the spool cannot be read, 75
 * something still waits, 77/78 as for ticket_submit, 1.
 */
int verb_spool_run(const char *spool_dir, const char *state_dir, const struct config *c, int argc,
                   char **argv);
