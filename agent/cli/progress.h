/* SPDX-License-Identifier: MIT */
/*
 * The progress line on a terminal: "[collector] 1.2s, 3.4 MB", redrawn in
 * place; none with TERM=dumb, no escape sequences with NO_COLOR.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "analysis/report.h"

/* Turns the line on when stderr is a capable terminal and enabled is true. */
void progress_start(bool enabled);

/* Observers for collect_request's on_collector and on_bytes. */
void progress_collector(const char *name, const struct collector_status *done);
void progress_total(uint64_t total);

/* Removes the line and stops drawing. */
void progress_stop(void);
