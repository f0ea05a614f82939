/* SPDX-License-Identifier: MIT */
/*
 * `collect portal test|desks|types|fields [REQUEST-TYPE]`.
 */
#pragma once

#include "policy/site-config.h"

/* Runs the portal verb (argv[0] is test, desks, types or fields). Returns the
 * exit code: 0, 64 usage, 75 unreachable, 77 credentials, 78 configuration, 1. */
int verb_portal_run(const struct config *c, int argc, char **argv);
