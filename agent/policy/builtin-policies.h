/* SPDX-License-Identifier: MIT */
/*
 * The shipped policies compiled into the binary, so that it works before it
 * is installed (agent/policy/builtin-policies.c).
 */
#pragma once

#include <stddef.h>

struct pnode;

/* The built-in copy of a shipped policy file ("collection.yaml"), or NULL. */
const char *policy_builtin(const char *name, size_t *ret_len);
const char *policy_builtin_name(size_t i);

/* Parses the built-in file and finds its top-level section key: *ret_tree owns
 * the tree, *ret_section points into it (NULL when absent). -ENOENT when there
 * is no such built-in file; -EINVAL with a located message. */
int policy_builtin_section(const char *file, const char *key, struct pnode **ret_tree,
                           const struct pnode **ret_section, char **ret_error);
