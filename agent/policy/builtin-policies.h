/* SPDX-License-Identifier: MIT */
/*
 * The shipped policies compiled into the binary, so that it works before it
 * is installed (agent/policy/builtin-policies.c).
 */
#pragma once

#include <stddef.h>

/* The built-in copy of a shipped policy file ("collection.yaml"), or NULL. */
const char *policy_builtin(const char *name, size_t *ret_len);
const char *policy_builtin_name(size_t i);
