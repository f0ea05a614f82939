/* SPDX-License-Identifier: MIT */
/*
 * The verbs that do not collect: check, policy, snapshot, spool, portal,
 * watch. Each takes its arguments, reads the parsed options, returns the
 * exit code and fills err when it fails.
 */
#pragma once

#include "pipeline/collect.h"

/* The directories named by the options. */
struct collect_dirs cli_dirs(void);

/* The policy: shipped, drop-ins, --policy-dir, then files. 0 or -errno with err. */
int cli_load_policy(char *const *files, struct policy **ret, struct collect_error *err);

int verb_check(char **args, struct collect_error *err);
int verb_policy(char **args, struct collect_error *err);
int verb_snapshot(char **args, struct collect_error *err);
int verb_spool(char **args, struct collect_error *err);
int verb_portal(char **args, struct collect_error *err);
int verb_watch(char **args, struct collect_error *err);
