/* SPDX-License-Identifier: MIT */
/*
 * Retention of the bundles the agent keeps itself: in the state directory
 * bundles/ (hooks, remote requests) and quarantine/ (stopped by the leak
 * check), and in the spool the bundles of failed sends, pruned together by
 * age and total size (policy `retention:`), newest kept. A spooled
 * submission whose bundle is pruned stays listed, marked, and is not sent.
 */
#pragma once

#include "policy/policy.h"

#define RETENTION_BUNDLE_DIR "bundles"
#define RETENTION_QUARANTINE_DIR "quarantine"

/* Prunes; what is removed is logged. spool_dir may be NULL (no spool). A
 * spooled bundle that a run is sending (locked) is left alone. Returns how
 * many bundles were removed, or -errno (-ENOMEM). Missing directories are
 * not an error. */
int retention_prune(const char *state_dir, const char *spool_dir, const struct policy *p);
