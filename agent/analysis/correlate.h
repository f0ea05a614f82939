/* SPDX-License-Identifier: MIT */
/*
 * Findings that need two collectors: a configuration change that touched a
 * service that failed, crashed or logged errors. Collectors cannot see each
 * other's findings, so the agent relates them after the run.
 */
#pragma once

#include "analysis/report.h"

/*
 * Adds a FINDING_CONFIG_TOUCHES_FAILING for every changed configuration path
 * (from the FINDING_CONFIG_CHANGES details) that belongs to a unit with a
 * failure, crash, restarts or errors: the path has a component named after the
 * unit ("/etc/nginx/…" for nginx.service) or is the unit file itself. Returns
 * the number added, or -ENOMEM.
 */
int correlate_config_changes(struct report *r);
