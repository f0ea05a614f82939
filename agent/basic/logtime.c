/* SPDX-License-Identifier: MIT */
/*
 * Log line timestamps (see include/logtime.h). Hand-written scanners over fixed
 * layouts, since they run on every line until the window start is found:
 * no regex, no strptime. A time without a zone is read in the host's zone
 * through the C library (TZ, mktime), one conversion per minute of log.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logtime.h"
#include "macro.h"

/* The host's zone for zone-less times; UTC until logtime_zone_setup(). */
static struct {
        bool local;
        char name[128];
        unsigned gen; /* changes with the zone: the threads' cached minutes are then stale */
} zone = { .name = "UTC" };

/* The last wall-clock minute converted, per thread (the error extraction
 * parses times beside the collectors). */
static _Thread_local struct {
        unsigned gen;
        int64_t key;  /* minutes since 1970 of the cached wall-clock minute, -1: none */
        int64_t base; /* its start in seconds since the epoch */
} minute = { .key = -1 };

#define SCAN_MAX 96 /* how far into a line an ISO time is looked for */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int month_from(const char *p)
{
        for (int i = 0; i < 12; i++)
                if (p[0] == months[i * 3] && p[1] == months[i * 3 + 1] && p[2] == months[i * 3 + 2])
                        return i + 1;
        return 0;
}

static bool digits(const char *p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        *ret = v;
        return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

/* The host zone's offset for a wall-clock minute, from mktime (cached). */
static bool local_minute(int y, int mo, int d, int h, int mi, int64_t *ret)
{
        int64_t key = (days_from_civil(y, mo, d) * 24 + h) * 60 + mi;
        struct tm tm = {
                .tm_year = y - 1900,
                .tm_mon = mo - 1,
                .tm_mday = d,
                .tm_hour = h,
                .tm_min = mi,
                .tm_isdst = -1,
        };
        time_t t;

        if (key != minute.key || minute.gen != zone.gen) {
                t = mktime(&tm);
                if (t == (time_t) -1)
                        return false;
                minute.key = key;
                minute.base = (int64_t) t;
                minute.gen = zone.gen;
        }
        *ret = minute.base;
        return true;
}

/* offset_sec LOGTIME_NO_ZONE: the line gave no zone (the host's is used). */
#define LOGTIME_NO_ZONE LONG_MIN

static bool make_time(int y, int mo, int d, int h, int mi, int s, long usec, long offset_sec,
                      usec_t *ret)
{
        int64_t t;

        if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
            s > 60)
                return false;
        if (offset_sec == LOGTIME_NO_ZONE && zone.local) {
                if (!local_minute(y, mo, d, h, mi, &t))
                        return false;
                t += s;
        } else
                t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
                    (offset_sec == LOGTIME_NO_ZONE ? 0 : offset_sec);
        if (t < 0)
                return false;
        *ret = (usec_t) t * USEC_PER_SEC + (usec_t) usec;
        return true;
}

usec_t logtime_local(int year, int mon, int day, int hour, int min, int sec)
{
        usec_t t;

        return make_time(year, mon, day, hour, min, sec, 0, LOGTIME_NO_ZONE, &t) ? t : 0;
}

/* "HH:MM:SS" at p; fraction after '.' or ','. Returns characters used or 0. */
static size_t parse_clock(const char *p, const char *end, int *h, int *mi, int *s, long *usec)
{
        const char *q = p;

        if (end - p < 8 || !digits(p, 2, h) || p[2] != ':' || !digits(p + 3, 2, mi) ||
            p[5] != ':' || !digits(p + 6, 2, s))
                return 0;
        q = p + 8;
        *usec = 0;
        if (q < end && (*q == '.' || *q == ',') && q + 1 < end && q[1] >= '0' && q[1] <= '9') {
                long scale = 100000;
                q++;
                while (q < end && *q >= '0' && *q <= '9') {
                        *usec += (*q - '0') * scale;
                        scale /= 10;
                        q++;
                }
        }
        return (size_t) (q - p);
}

/* Optional zone after a time: Z, +hh:mm, +hhmm, +hh, " +0000", " UTC". */
static size_t parse_zone(const char *p, const char *end, long *offset)
{
        const char *q = p;
        int hh, mm = 0;
        int sign;

        *offset = LOGTIME_NO_ZONE;
        if (q < end && *q == ' ' && q + 1 < end &&
            (q[1] == '+' || q[1] == '-' || q[1] == 'U' || q[1] == 'G'))
                q++;
        if (q < end && *q == 'Z') {
                *offset = 0;
                return (size_t) (q + 1 - p);
        }
        if (end - q >= 3 && (memcmp(q, "UTC", 3) == 0 || memcmp(q, "GMT", 3) == 0)) {
                *offset = 0;
                return (size_t) (q + 3 - p);
        }
        if (q < end && (*q == '+' || *q == '-')) {
                sign = *q == '-' ? -1 : 1;
                if (end - q >= 3 && digits(q + 1, 2, &hh)) {
                        const char *z = q + 3;
                        if (end - z >= 3 && *z == ':' && digits(z + 1, 2, &mm))
                                z += 3;
                        else if (end - z >= 2 && digits(z, 2, &mm))
                                z += 2;
                        *offset = sign * (hh * 3600L + mm * 60L);
                        return (size_t) (z - p);
                }
        }
        return 0;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.frac][zone]" or with '/' date separators. */
static size_t parse_iso(const char *p, const char *end, usec_t *ret)
{
        int y, mo, d, h, mi, s;
        long usec, offset;
        size_t n, z;
        char sep;

        if (end - p < 19 || !digits(p, 4, &y))
                return 0;
        sep = p[4];
        if ((sep != '-' && sep != '/') || !digits(p + 5, 2, &mo) || p[7] != sep ||
            !digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != ' '))
                return 0;
        /* apt's history.log and term.log: two spaces ("2026-11-27  10:00:00"). */
        size_t c = p[10] == ' ' && p[11] == ' ' ? 12 : 11;
        n = parse_clock(p + c, end, &h, &mi, &s, &usec);
        if (n == 0)
                return 0;
        z = parse_zone(p + c + n, end, &offset);
        if (!make_time(y, mo, d, h, mi, s, usec, offset, ret))
                return 0;
        return c + n + z;
}

/* "Nov 27 10:00:00" / "Nov  7 10:00:00" (year from the hint). */
/* Formats without a year: the file's year, or the one before for a month
 * later than the file's (December lines in a file written in January). */
static int year_of(const struct logtime_hint *hint, int month)
{
        int y = hint && hint->year > 0 ? hint->year : 1970;

        return hint && hint->month > 0 && month > hint->month ? y - 1 : y;
}

static size_t parse_syslog(const char *p, const char *end, const struct logtime_hint *hint,
                           usec_t *ret)
{
        int mo, d, h, mi, s, y;
        long usec;
        size_t n;

        if (end - p < 15 || p[3] != ' ')
                return 0;
        mo = month_from(p);
        if (mo == 0)
                return 0;
        if (p[4] == ' ' && p[5] >= '0' && p[5] <= '9')
                d = p[5] - '0';
        else if (!digits(p + 4, 2, &d))
                return 0;
        if (p[6] != ' ')
                return 0;
        n = parse_clock(p + 7, end, &h, &mi, &s, &usec);
        if (n == 0)
                return 0;
        y = year_of(hint, mo);
        if (!make_time(y, mo, d, h, mi, s, usec, LOGTIME_NO_ZONE, ret))
                return 0;
        return 7 + n;
}

/* "27/Nov/2026:10:00:00 +0000" (after the '['). */
static size_t parse_clf(const char *p, const char *end, usec_t *ret)
{
        int d, mo, y, h, mi, s;
        long usec, offset;
        size_t n, z;

        if (end - p < 20 || !digits(p, 2, &d) || p[2] != '/' || p[6] != '/' ||
            !digits(p + 7, 4, &y) || p[11] != ':')
                return 0;
        mo = month_from(p + 3);
        if (mo == 0)
                return 0;
        n = parse_clock(p + 12, end, &h, &mi, &s, &usec);
        if (n == 0)
                return 0;
        z = parse_zone(p + 12 + n, end, &offset);
        if (!make_time(y, mo, d, h, mi, s, usec, offset, ret))
                return 0;
        return 12 + n + z;
}

/* "Fri Nov 27 10:00:00.123456 2026" (after the '['). */
static size_t parse_ctime(const char *p, const char *end, usec_t *ret)
{
        int mo, d, h, mi, s, y;
        long usec;
        size_t n;
        const char *q;

        if (end - p < 24 || p[3] != ' ' || p[7] != ' ')
                return 0;
        mo = month_from(p + 4);
        if (mo == 0)
                return 0;
        if (p[8] == ' ' && p[9] >= '0' && p[9] <= '9')
                d = p[9] - '0';
        else if (!digits(p + 8, 2, &d))
                return 0;
        if (p[10] != ' ')
                return 0;
        n = parse_clock(p + 11, end, &h, &mi, &s, &usec);
        if (n == 0)
                return 0;
        q = p + 11 + n;
        if (end - q < 5 || *q != ' ' || !digits(q + 1, 4, &y))
                return 0;
        if (!make_time(y, mo, d, h, mi, s, usec, LOGTIME_NO_ZONE, ret))
                return 0;
        return (size_t) (q + 5 - p);
}

/* klog/glog (Kubernetes components): "I1127 10:00:00.123456 …", level
 * letter, month and day, the year from the hint. */
static size_t parse_klog(const char *p, const char *end, const struct logtime_hint *hint,
                         usec_t *ret)
{
        int mo, d, h, mi, s, y;
        long usec;
        size_t n;

        if (end - p < 14 || !strchr("IWEF", p[0]) || !digits(p + 1, 2, &mo) ||
            !digits(p + 3, 2, &d) || p[5] != ' ' || mo < 1 || mo > 12)
                return 0;
        n = parse_clock(p + 6, end, &h, &mi, &s, &usec);
        if (n == 0)
                return 0;
        y = year_of(hint, mo);
        if (!make_time(y, mo, d, h, mi, s, usec, LOGTIME_NO_ZONE, ret))
                return 0;
        return 6 + n;
}

/* Java and Tomcat "27-Nov-2026 10:00:00.123" (sep '-'), Redis "27 Nov 2026
 * 10:00:00.123" after "pid:role " (sep ' '). */
static size_t parse_day_mon_year(const char *p, const char *end, char sep, usec_t *ret)
{
        int d, mo, y, h, mi, s;
        long usec;
        size_t n;

        if (end - p < 20 || !digits(p, 2, &d) || p[2] != sep || p[6] != sep ||
            !digits(p + 7, 4, &y) || p[11] != ' ')
                return 0;
        mo = month_from(p + 3);
        if (mo == 0)
                return 0;
        n = parse_clock(p + 12, end, &h, &mi, &s, &usec);
        if (n == 0 || !make_time(y, mo, d, h, mi, s, usec, LOGTIME_NO_ZONE, ret))
                return 0;
        return 12 + n;
}

static size_t parse_at(const char *p, const char *end, const struct logtime_hint *hint, usec_t *ret)
{
        size_t n;

        if (p >= end)
                return 0;
        if (*p >= '0' && *p <= '9') {
                n = parse_iso(p, end, ret);
                return n > 0 ? n : parse_day_mon_year(p, end, '-', ret);
        }
        if (*p >= 'A' && *p <= 'Z') {
                n = parse_syslog(p, end, hint, ret);
                if (n > 0)
                        return n;
                n = parse_klog(p, end, hint, ret);
                if (n > 0)
                        return n;
                return parse_ctime(p, end, ret);
        }
        if (*p == '[' && p + 1 < end) {
                p++;
                if (p[0] >= '0' && p[0] <= '9' && (n = parse_clf(p, end, ret)) > 0)
                        return n + 1;
                n = parse_at(p, end, hint, ret);
                return n > 0 ? n + 1 : 0;
        }
        return 0;
}

bool logtime_parse(const char *line, size_t len, const struct logtime_hint *hint, usec_t *ret)
{
        const char *end = line + len, *scan_end;

        /* RFC 5424 "<34>1 2026-…": skip the priority and version. */
        if (len > 4 && line[0] == '<') {
                const char *gt = memchr(line, '>', MIN(len, (size_t) 5));
                if (gt && gt + 2 < end && gt[1] >= '1' && gt[1] <= '9' && gt[2] == ' ')
                        line = gt + 3;
        }
        if (parse_at(line, end, hint, ret) > 0)
                return true;

        /* Further in: "[27/Nov/2026:…]" of access logs, ISO times in JSON and
         * logfmt ("time=…"), bracketed app formats. */
        scan_end = line + MIN(len, (size_t) SCAN_MAX);
        for (const char *p = line + 1; p < scan_end; p++) {
                if (*p == '[' && p + 1 < end && p[1] >= '0' && p[1] <= '9' &&
                    parse_clf(p + 1, end, ret) > 0)
                        return true;
                if (*p == '2' && p[-1] != '.' && (p[-1] < '0' || p[-1] > '9') && end - p >= 19 &&
                    parse_iso(p, end, ret) > 0)
                        return true;
                if (*p >= '0' && *p <= '3' && p[-1] == ' ' && end - p >= 20 &&
                    parse_day_mon_year(p, end, ' ', ret) > 0)
                        return true;
        }
        return false;
}

size_t logtime_prefix_len(const char *line, size_t len)
{
        usec_t t;
        size_t n = parse_at(line, line + len, NULL, &t);

        if (n > 0 && line[0] == '[') {
                const char *close = memchr(line + n - 1, ']', len - (n - 1));
                if (close && close - line < 64)
                        n = (size_t) (close + 1 - line);
        }
        return n;
}

void logtime_hint_from_time(struct logtime_hint *h, time_t t)
{
        struct tm tm;

        if (zone.local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) {
                h->year = tm.tm_year + 1900;
                h->month = tm.tm_mon + 1;
        } else {
                h->year = 1970;
                h->month = 0;
        }
}

/* A zone name as found after ".../zoneinfo/" or in etc/timezone: letters,
 * digits, "_+-/" and no "..". */
static bool zone_name_valid(const char *n)
{
        if (isempty(n) || n[0] == '/' || strstr(n, ".."))
                return false;
        for (const char *p = n; *p; p++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/",
                            *p))
                        return false;
        return true;
}

/* The zone named by the tree's etc/localtime link or etc/timezone. */
static bool zone_name_of_tree(int root_fd, char *buf, size_t size)
{
        char link[PATH_MAX];
        const char *z;
        ssize_t n;
        int fd;

        n = readlinkat(root_fd, "etc/localtime", link, sizeof(link) - 1);
        if (n > 0) {
                link[n] = 0;
                z = strstr(link, "zoneinfo/");
                if (z && zone_name_valid(z + 9) && strlen(z + 9) < size) {
                        memcpy(buf, z + 9, strlen(z + 9) + 1);
                        return true;
                }
        }
        fd = openat(root_fd, "etc/timezone", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, link, sizeof(link) - 1);
        (void) close(fd);
        if (n <= 0)
                return false;
        link[n] = 0;
        link[strcspn(link, " \t\r\n")] = 0;
        if (!zone_name_valid(link) || strlen(link) >= size)
                return false;
        memcpy(buf, link, strlen(link) + 1);
        return true;
}

static bool is_utc(const char *name)
{
        static const char *const utc[] = { "UTC",       "Etc/UTC",       "Etc/UCT",
                                           "UCT",       "Zulu",          "Etc/Zulu",
                                           "Universal", "Etc/Universal", "GMT",
                                           "Etc/GMT",   "Etc/GMT0",      "Etc/GMT+0",
                                           "Etc/GMT-0", "Etc/Greenwich" };

        for (size_t i = 0; i < ELEMENTSOF(utc); i++)
                if (streq(name, utc[i]))
                        return true;
        return false;
}

/* True if the system's zone database has name. */
static bool access_zoneinfo(const char *name)
{
        char p[PATH_MAX];

        (void) snprintf(p, sizeof(p), "/usr/share/zoneinfo/%s", name);
        return access(p, R_OK) >= 0;
}

int logtime_zone_setup(int root_fd, const char *root)
{
        char name[128], spec[PATH_MAX + 16];
        struct stat st;
        bool named, file;

        named = zone_name_of_tree(root_fd, name, sizeof(name));
        file = fstatat(root_fd, "etc/localtime", &st, 0) >= 0 && S_ISREG(st.st_mode) &&
               faccessat(root_fd, "etc/localtime", R_OK, 0) >= 0;
        if (named && is_utc(name))
                file = named = false;
        if (named && (!file || access_zoneinfo(name)))
                (void) snprintf(spec, sizeof(spec), ":%s", name);
        else if (file)
                /* glibc reads a zone file given as ":/absolute/path". */
                (void) snprintf(spec, sizeof(spec), ":%s/etc/localtime",
                                isempty(root) || streq(root, "/") ? "" : root);
        else {
                /* UTC, also for mktime and localtime_r elsewhere in the run. */
                if (setenv("TZ", "UTC", 1) < 0)
                        return -errno;
                tzset();
                zone.local = false;
                zone.gen++;
                (void) snprintf(zone.name, sizeof(zone.name), "UTC");
                return 0;
        }
        if (setenv("TZ", spec, 1) < 0)
                return -errno;
        tzset();
        zone.local = true;
        zone.gen++;
        (void) snprintf(zone.name, sizeof(zone.name), "%s", named ? name : "etc/localtime");
        return 1;
}

const char *logtime_zone_name(void)
{
        return zone.name;
}
