/* SPDX-License-Identifier: MIT */
/*
 * Clock and time formatting (include/time-util.h). Test builds honour
 * COLLECT_TEST_NOW so that windows and severity reasons are reproducible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testhook.h"
#include "time-util.h"

#ifdef COLLECT_TESTING
/* COLLECT_TEST_NOW: µs since the epoch, or "YYYY-MM-DDTHH:MM:SSZ". Parsed here
 * rather than with parse-util, which is built on this module. */
static bool test_now(const char *e, usec_t *ret)
{
        struct tm tm = {};
        char *end = NULL;
        unsigned long long v;
        const char *rest;
        time_t sec;

        if (!e || !*e)
                return false;
        v = strtoull(e, &end, 10);
        if (end && *end == 0) {
                *ret = v;
                return true;
        }
        rest = strptime(e, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!rest || (*rest && strcmp(rest, "Z") != 0))
                return false;
        sec = timegm(&tm);
        if (sec < 0)
                return false;
        *ret = (usec_t) sec * USEC_PER_SEC;
        return true;
}
#endif

usec_t now(clockid_t clock)
{
        struct timespec ts;

#ifdef COLLECT_TESTING
        if (clock == CLOCK_REALTIME) {
                const char *e = testhook_getenv("COLLECT_TEST_NOW");
                usec_t t;

                if (test_now(e, &t))
                        return t;
        }
#endif
        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static bool to_tm(usec_t t, struct tm *tm)
{
        time_t sec = (time_t) (t / USEC_PER_SEC);

        return gmtime_r(&sec, tm) != NULL;
}

char *format_iso8601(char *buf, size_t size, usec_t t)
{
        struct tm tm;

        if (!to_tm(t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}

char *format_iso8601_usec(char *buf, size_t size, usec_t t)
{
        struct tm tm;
        char b[32];

        if (!to_tm(t, &tm) || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%s.%06llu+00:00", b, (unsigned long long) (t % USEC_PER_SEC));
        return buf;
}

char *format_compact(char *buf, size_t size, usec_t t)
{
        struct tm tm;

        if (!to_tm(t, &tm) || strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}

char *format_duration(char *buf, size_t size, usec_t d)
{
        if (d < USEC_PER_SEC)
                snprintf(buf, size, "%llums", (unsigned long long) (d / USEC_PER_MSEC));
        else if (d < USEC_PER_MINUTE)
                snprintf(buf, size, "%.2fs", (double) d / USEC_PER_SEC);
        else if (d < USEC_PER_HOUR)
                snprintf(buf, size, "%llum%llus", (unsigned long long) (d / USEC_PER_MINUTE),
                         (unsigned long long) (d % USEC_PER_MINUTE / USEC_PER_SEC));
        else
                snprintf(buf, size, "%lluh%llum", (unsigned long long) (d / USEC_PER_HOUR),
                         (unsigned long long) (d % USEC_PER_HOUR / USEC_PER_MINUTE));
        return buf;
}
