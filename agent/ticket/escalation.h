/* SPDX-License-Identifier: MIT */
/*
 * Escalation of a Premium P1 request (support process: the emergency
 * channel): belongs to ticketing, not to a portal's transport.
 */
#pragma once

#include "ticket/ticket-submission.h"

/*
 * Once per submission (remembered as "escalated" in its state): for a P1
 * request of a Premium site, notifies the Slack webhook and names the phone
 * number; otherwise says why not. 0; -EAGAIN the notification should be
 * retried (the submission stays in the spool); -ENOMEM.
 */
int escalation_run(struct ticket_submission *s);
