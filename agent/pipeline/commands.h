/* SPDX-License-Identifier: MIT */
/*
 * The "commands" collector: diagnostic commands from the policy's
 * `commands:` list ({name, argv, timeout, live_only}), each through
 * sink_add_command(). Lives in agent/ because its configuration is a list of
 * maps, which collector option tables do not express.
 */
#pragma once

#include "collector.h"
#include "policy/pnode.h"

extern const struct collector collector_commands;

/* Validates a `commands:` list. -EINVAL with a located message. */
int commands_check_policy(const struct pnode *list, char **ret_error);

/* Gives the collector its list (borrowed; must outlive the run). */
void commands_configure(const struct pnode *list);
