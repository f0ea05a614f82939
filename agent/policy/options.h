/* SPDX-License-Identifier: MIT */
/*
 * Applies a collector's option table (struct collector_option) to its state:
 * defaults first, then the values of the policy section named after it.
 * Non-logging: errors come back as located messages.
 */
#pragma once

#include "collector.h"
#include "policy/pnode.h"

/* Parses every default into state. -EINVAL if a default does not parse (a
 * programmer error, caught by test-registry). */
int options_apply_defaults(const struct collector *c, void *state, char **ret_error);

/* Applies the policy section (a map; NULL is fine) to state. Unknown keys
 * are refused with a message listing the valid ones; values are typed. */
int options_apply_policy(const struct collector *c, void *state, const struct pnode *section,
                         char **ret_error);

/* Applies one "key=value" override (tests, --set). */
int options_apply_string(const struct collector *c, void *state, const char *key, const char *value,
                         char **ret_error);

/* Frees every option value (strings, string vectors) in state. */
void options_free(const struct collector *c, void *state);
