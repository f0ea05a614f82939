/* SPDX-License-Identifier: MIT */
/*
 * Number, size, duration and time parsing. Non-logging: every function
 * returns 0 or -errno (-EINVAL for bad syntax, -ERANGE for overflow) and
 * leaves ret untouched on failure.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "time-util.h"

/* Decimal unsigned integer, the whole string, no sign, no spaces. */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi(const char *s, int *ret);

/* "512", "512K", "20M", "1G", "1.5M" (base 1024, optional "B"/"iB"). */
int parse_size(const char *s, uint64_t *ret);

/* "30s", "90m", "24h", "7d", "1h30m", "500ms", "2w"; a bare number is seconds. */
int parse_duration(const char *s, usec_t *ret);

/* "true/false/yes/no/on/off/1/0". */
int parse_boolean(const char *s, bool *ret);

/*
 * An ISO 8601 time ("2026-11-27", "2026-11-27T10:00", "2026-11-27T10:00:00Z",
 * "2026-11-27 10:00:00+02:00", fractional seconds allowed; no zone = UTC) or a
 * duration meaning "that long before now_usec". Returns µs since the epoch.
 */
int parse_time(const char *s, usec_t now_usec, usec_t *ret);

/* ISO 8601 only (no durations). Returns -EINVAL if s does not start with one.
 * On success *ret_end (may be NULL) points after the parsed text. */
int parse_iso8601(const char *s, usec_t *ret, const char **ret_end);
