/* SPDX-License-Identifier: MIT */
/*
 * The verbs of collect and the collecting flow (collect, --open-ticket,
 * --ticket KEY). Returns the process exit code.
 */
#pragma once

/* Runs the command line; returns the exit code (0, 64, 65, 66, 73, 75, 77, 78, 1). */
int cli_run(int argc, char *argv[]);
