/* SPDX-License-Identifier: MIT */
/*
 * What the CLI prints: the exit code of an outcome, the human summary on
 * stderr, and the one --json object on stdout (on every exit path).
 */
#pragma once

#include <stdbool.h>

#include "pipeline/collect.h"

/* The version of the --json result's layout. */
#define CLI_JSON_FORMAT_VERSION 1

/* The sysexits code for an outcome (128 + signal when interrupted). */
int cli_exit_code(enum collect_status st, int signal) _pure_;

/* The human summary of a finished bundle (stderr; nothing with -q). */
void output_human(const struct collect_result *res, enum collect_mode mode, int verbosity);

/* The --json result of a collection; exit_code is ex. */
void output_json_result(const struct collect_result *res, int ex);

/* The --json object of a verb that has no result of its own, and of a failure
 * before any: {format_version, exit_code, error (when ex != 0)}. */
void output_json_error(const struct collect_error *err, int ex);

/* Prints o as the one --json object. */
void output_json_object(json_t *o);

/* Whether the --json object was printed already. */
bool output_json_printed(void);
