/* SPDX-License-Identifier: MIT */
/*
 * Timestamps at the start of log lines: RFC 3339 / ISO 8601 (also with a
 * space, a comma before the fraction, a zone word), classic syslog
 * ("Nov 27 10:00:00", year inferred), nginx/Apache access
 * ("[27/Nov/2026:10:00:00 +0000]"), nginx error ("2026/11/27 10:00:00"),
 * Apache error ("[Fri Nov 27 10:00:00.123 2026]") and ISO times a little into
 * the line (JSON, logfmt, bracketed). Non-logging, no allocation, no locale.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "time-util.h"

/* Context for lines whose timestamp has no year (classic syslog): the year
 * and month of the file's modification time. A line dated in a later month
 * than that belongs to the previous year. */
struct logtime_hint {
        int year;  /* e.g. 2026 */
        int month; /* 1..12 */
};

void logtime_hint_from_time(struct logtime_hint *h, time_t t);

/* Parses a timestamp near the start of line[0..len). Returns true and the
 * time in µs since the epoch (zone applied; no zone means the host's zone
 * once logtime_zone_setup() ran, else UTC) in *ret. */
bool logtime_parse(const char *line, size_t len, const struct logtime_hint *hint, usec_t *ret);

/* A wall-clock time without a zone (the host's zone once logtime_zone_setup()
 * ran, else UTC) in µs since the epoch; 0 when out of range. */
usec_t logtime_local(int year, int mon, int day, int hour, int min, int sec);

/* Reads zone-less times in the zone of the host tree at root_fd (root is its
 * path, "/" for the live host): the zone named by etc/localtime (a link into
 * zoneinfo) or etc/timezone, else the etc/localtime file itself, else UTC.
 * Converts through the C library: sets TZ for the process (so that mktime and
 * localtime_r use it too). Returns 1 (a zone other than UTC), 0 (UTC) or
 * -errno. */
int logtime_zone_setup(int root_fd, const char *root);

/* The zone in use: "America/New_York", "UTC", "etc/localtime". */
const char *logtime_zone_name(void);

/* Length of the timestamp prefix at the very start of line (0 if none), so
 * that error signatures can leave it out. */
size_t logtime_prefix_len(const char *line, size_t len);
