/* SPDX-License-Identifier: MIT */
/*
 * The policy as this program knows it: the schema naming every top-level
 * section with the module that checks it, and the collectors of the
 * registry. Lives at the top so that agent/policy/ depends on none of them.
 */
#pragma once

#include "policy/policy.h"

/* policy_load_schema() with the program's schema (see there for the
 * arguments and returns). */
int policy_load(const char *shipped_dir, char *const *dirs, char *const *files, struct policy **ret,
                char **ret_error);
