/* SPDX-License-Identifier: MIT */
/*
 * Only the command line speaks in exit codes (sysexits.h, DESIGN.md): the
 * layers below return -errno, and these map them.
 */
#pragma once

#include "macro.h"

/*
 * The exit code of a ticket action's result (ticket_submit, ticket_resume,
 * a portal call): 0; 75 -EAGAIN (spooled, will be retried); 77 -EACCES or
 * -EPERM (credentials, permission); 78 -EINVAL or -ENOENT (configuration);
 * 64 -ENOTTY (no terminal and no --yes); 73 -ENOSPC, -EDQUOT, -EROFS (the
 * output cannot be created); a positive r as is; 1 otherwise.
 */
int exit_code_from_ticket(int r) _pure_;

/* Of two exit codes of one run over several items, the one to report:
 * configuration and credential problems first, then failures, then "still
 * waiting" (75), then success. */
int exit_code_worst(int a, int b) _pure_;
