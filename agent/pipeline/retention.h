/* SPDX-License-Identifier: MIT */
/*
 * Retention of the bundles the agent keeps itself in the state directory:
 * bundles/ (hooks, remote requests) and quarantine/ (stopped by the leak
 * check), pruned by age and total size (policy `retention:`), newest kept.
 */
#pragma once

#include "policy/policy.h"

#define RETENTION_BUNDLE_DIR "bundles"
#define RETENTION_QUARANTINE_DIR "quarantine"

/* Prunes; what is removed is logged. Returns how many bundles were removed,
 * or -errno (-ENOMEM). Missing directories are not an error. */
int retention_prune(const char *state_dir, const struct policy *p);
