/* SPDX-License-Identifier: MIT */
/*
 * Parsing of numbers, sizes, durations, booleans and times (include/parse-util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "parse-util.h"

int safe_atou64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int safe_atoi(const char *s, int *ret)
{
        bool neg = false;
        uint64_t v;
        int r;

        if (s && *s == '-') {
                neg = true;
                s++;
        }
        r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > (uint64_t) 2147483647 + neg)
                return -ERANGE;
        *ret = neg ? (int) -(int64_t) v : (int) v;
        return 0;
}

/* Parses "<digits>[.<digits>]" at *p; returns the value scaled by 1e6 (fixed
 * point) so that "1.5" gives 1500000. */
static int parse_fixed(const char **p, uint64_t *ret)
{
        const char *s = *p;
        uint64_t whole = 0, frac = 0, scale = 1000000;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        while (isdigit((unsigned char) *s)) {
                if (whole > UINT64_MAX / 10 - 10)
                        return -ERANGE;
                whole = whole * 10 + (uint64_t) (*s++ - '0');
        }
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                while (isdigit((unsigned char) *s)) {
                        if (scale > 1) {
                                scale /= 10;
                                frac += (uint64_t) (*s - '0') * scale;
                        }
                        s++;
                }
        }
        if (whole > UINT64_MAX / 1000000)
                return -ERANGE;
        *ret = whole * 1000000 + frac;
        *p = s;
        return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                { "K", 1ULL << 10 }, { "M", 1ULL << 20 }, { "G", 1ULL << 30 },
                { "T", 1ULL << 40 }, { "", 1 },
        };
        const char *p = s;
        uint64_t fixed;
        int r;

        if (isempty(s))
                return -EINVAL;
        r = parse_fixed(&p, &fixed);
        if (r < 0)
                return r;
        while (*p == ' ')
                p++;
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                size_t n = strlen(table[i].suffix);

                if (strncasecmp(p, table[i].suffix, n) != 0)
                        continue;
                const char *rest = p + n;
                if (!(streq(rest, "") || strcasecmp(rest, "B") == 0 ||
                      (n > 0 && strcasecmp(rest, "iB") == 0)))
                        continue;
                if (fixed / 1000000 > UINT64_MAX / table[i].factor)
                        return -ERANGE;
                *ret = fixed / 1000000 * table[i].factor +
                       (fixed % 1000000) * table[i].factor / 1000000;
                return 0;
        }
        return -EINVAL;
}

int parse_duration(const char *s, usec_t *ret)
{
        static const struct {
                const char *suffix;
                usec_t factor;
        } table[] = {
                /* longest first so that "ms" wins over "m" */
                { "msec", USEC_PER_MSEC },
                { "ms", USEC_PER_MSEC },
                { "usec", 1 },
                { "us", 1 },
                { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "min", USEC_PER_MINUTE },
                { "m", USEC_PER_MINUTE },
                { "h", USEC_PER_HOUR },
                { "d", USEC_PER_DAY },
                { "w", 7 * USEC_PER_DAY },
        };
        const char *p = s;
        usec_t total = 0;
        bool any = false;

        if (isempty(s))
                return -EINVAL;
        while (*p) {
                uint64_t fixed;
                size_t i;
                int r;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                r = parse_fixed(&p, &fixed);
                if (r < 0)
                        return r;
                while (*p == ' ')
                        p++;
                if (!*p || isdigit((unsigned char) *p)) {
                        /* a bare number is seconds */
                        if (any && *p)
                                return -EINVAL;
                        total += fixed;
                        any = true;
                        continue;
                }
                for (i = 0; i < ELEMENTSOF(table); i++) {
                        size_t n = strlen(table[i].suffix);

                        if (strncmp(p, table[i].suffix, n) == 0 && !isalpha((unsigned char) p[n]))
                                break;
                }
                if (i >= ELEMENTSOF(table))
                        return -EINVAL;
                if (fixed / 1000000 > UINT64_MAX / table[i].factor)
                        return -ERANGE;
                total += fixed / 1000000 * table[i].factor +
                         (fixed % 1000000) * table[i].factor / 1000000;
                p += strlen(table[i].suffix);
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

int parse_boolean(const char *s, bool *ret)
{
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

static int take_digits(const char **p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

int parse_iso8601(const char *s, usec_t *ret, const char **ret_end)
{
        struct tm tm = {};
        const char *p = s;
        int year, mon, day, hour = 0, min = 0, sec = 0;
        usec_t frac = 0;
        long offset = 0;
        time_t t;

        if (!s || take_digits(&p, 4, &year) < 0 || *p++ != '-' || take_digits(&p, 2, &mon) < 0 ||
            *p++ != '-' || take_digits(&p, 2, &day) < 0)
                return -EINVAL;
        if (mon < 1 || mon > 12 || day < 1 || day > 31)
                return -EINVAL;
        if ((*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char) p[1])) {
                p++;
                if (take_digits(&p, 2, &hour) < 0 || *p++ != ':' || take_digits(&p, 2, &min) < 0)
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (take_digits(&p, 2, &sec) < 0)
                                return -EINVAL;
                        if (*p == '.' || *p == ',') {
                                usec_t scale = USEC_PER_SEC;

                                p++;
                                if (!isdigit((unsigned char) *p))
                                        return -EINVAL;
                                while (isdigit((unsigned char) *p)) {
                                        scale /= 10;
                                        frac += (usec_t) (*p - '0') * scale;
                                        p++;
                                }
                        }
                }
                if (hour > 23 || min > 59 || sec > 60)
                        return -EINVAL;
                if (*p == 'Z' || *p == 'z') {
                        p++;
                } else if ((*p == '+' || *p == '-') && isdigit((unsigned char) p[1])) {
                        int sign = *p == '-' ? -1 : 1, oh, om = 0;

                        p++;
                        if (take_digits(&p, 2, &oh) < 0)
                                return -EINVAL;
                        if (*p == ':')
                                p++;
                        if (isdigit((unsigned char) *p) && take_digits(&p, 2, &om) < 0)
                                return -EINVAL;
                        offset = sign * (oh * 3600L + om * 60L);
                }
        }
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t) -1 || t - offset < 0)
                return -ERANGE;
        *ret = (usec_t) (t - offset) * USEC_PER_SEC + frac;
        if (ret_end)
                *ret_end = p;
        return 0;
}

int parse_time(const char *s, usec_t now_usec, usec_t *ret)
{
        const char *end;
        usec_t t, d;

        if (isempty(s))
                return -EINVAL;
        if (parse_iso8601(s, &t, &end) >= 0 && *end == 0) {
                *ret = t;
                return 0;
        }
        if (streq(s, "now")) {
                *ret = now_usec;
                return 0;
        }
        if (parse_duration(s[0] == '-' ? s + 1 : s, &d) < 0)
                return -EINVAL;
        if (d > now_usec)
                return -ERANGE;
        *ret = now_usec - d;
        return 0;
}
