/* SPDX-License-Identifier: MIT */
/*
 * One line of evidence per finding, in words a person reads in a ticket.
 * Non-logging.
 */
#pragma once

#include "finding.h"
#include "time-util.h"

/* One line of evidence for a finding, e.g. "app.service failed 5 times in 10
 * minutes (exit-code)"; NULL on OOM. Used by the reasons and the prompt. */
char *severity_describe_finding(const struct finding *f);

/* "10 minutes", "2 hours", "45 seconds": a rounded human span. */
char *severity_format_span(usec_t span);
