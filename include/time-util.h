/* SPDX-License-Identifier: MIT */
/*
 * Time in microseconds since the epoch (usec_t) and formatting helpers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

/* Current time of the given clock in µs. In test builds COLLECT_TEST_NOW (µs or
 * ISO 8601) overrides CLOCK_REALTIME. */
usec_t now(clockid_t clock);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (at least 21 bytes). */
char *format_iso8601(char *buf, size_t size, usec_t t);

/* Formats t as "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00" (UTC) into buf (at least 33 bytes). */
char *format_iso8601_usec(char *buf, size_t size, usec_t t);

/* Formats t as the compact "YYYYMMDDTHHMMSSZ" (UTC) used in bundle names (>= 17 bytes). */
char *format_compact(char *buf, size_t size, usec_t t);

/* Formats a duration like "1.25s", "3m12s", "2h". */
char *format_duration(char *buf, size_t size, usec_t d);
