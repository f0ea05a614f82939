/* SPDX-License-Identifier: MIT */
/*
 * Tests of the log-files collector on a root built from tests/data/logs:
 * every timestamp format and the window edges, rotated and gzip-compressed
 * files, a corrupt .gz, the newest-first cut of plain and gzip files, the
 * bisection of a large file, FIFOs, binaries, symlinks leaving the root, and
 * files truncated or rotated while being read.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "alloc-util.h"
#include "analysis/errors.h"
#include "logtime.h"
#include "logs/logs.h"
#include "sink-mock.h"
#include "tree-util.h"

extern const struct collector collector_logs;

#define T(s) ((usec_t) (s) *USEC_PER_SEC)
#define DAY2 T(1795737600) /* 2026-11-27T00:00:00Z */
#define DAY3 (DAY2 + USEC_PER_DAY)

static char root[] = "/tmp/test-logs-XXXXXX";

static char *path_in_root(const char *rel)
{
        char *p = xasprintf("%s/%s", root, rel);
        assert_non_null(p);
        return p;
}

static void mkdirs_for(const char *full)
{
        _cleanup_free_ char *d = xstrdup(full);
        for (char *s = d + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        (void) mkdir(d, 0755);
                        *s = '/';
                }
}

static void set_mtime(const char *rel, usec_t t)
{
        _cleanup_free_ char *p = path_in_root(rel);
        struct timespec ts[2] = { { .tv_sec = (time_t) (t / USEC_PER_SEC) },
                                  { .tv_sec = (time_t) (t / USEC_PER_SEC) } };
        assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void write_file(const char *rel, const char *data, size_t len, usec_t mtime)
{
        _cleanup_free_ char *p = path_in_root(rel);
        FILE *f;

        mkdirs_for(p);
        f = fopen(p, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
        set_mtime(rel, mtime);
}

static void write_gz(const char *rel, const char *data, size_t len, usec_t mtime)
{
        _cleanup_free_ char *p = path_in_root(rel);
        gzFile g;

        mkdirs_for(p);
        g = gzopen(p, "wb");
        assert_non_null(g);
        assert_int_equal(gzwrite(g, data, (unsigned) len), (int) len);
        assert_int_equal(gzclose(g), Z_OK);
        set_mtime(rel, mtime);
}

static char *read_data(const char *name, size_t *ret_len)
{
        const char *srcdir = getenv("COLLECT_SRCDIR") ?: COLLECT_SRCDIR;
        _cleanup_free_ char *p = xasprintf("%s/tests/data/logs/%s", srcdir, name);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(p, "re");

        assert_non_null(f);
        buf = malloc(1 << 20);
        len = fread(buf, 1, (1 << 20) - 1, f);
        buf[len] = 0;
        fclose(f);
        *ret_len = len;
        return buf;
}

static void install(const char *name, const char *rel, usec_t mtime, bool gz)
{
        size_t len;
        _cleanup_free_ char *d = read_data(name, &len);

        if (gz)
                write_gz(rel, d, len, mtime);
        else
                write_file(rel, d, len, mtime);
}

/* n lines of ~100 bytes from start, step seconds apart, ISO timestamps. */
static char *make_lines(usec_t start, usec_t step, size_t n, size_t *ret_len)
{
        size_t alloc = n * 128 + 1, len = 0;
        char *b = malloc(alloc);

        assert_non_null(b);
        for (size_t i = 0; i < n; i++) {
                time_t sec = (time_t) ((start + i * step) / USEC_PER_SEC);
                struct tm tm;
                char ts[32];
                gmtime_r(&sec, &tm);
                strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
                len += (size_t) snprintf(
                        b + len, alloc - len,
                        "%s INFO line %08zu of the generated log, some padding text here......\n",
                        ts, i);
        }
        *ret_len = len;
        return b;
}

static int setup(void **state)
{
        (void) state;
        if (!mkdtemp(root))
                return -1;
        install("syslog", "var/log/syslog", DAY3 + T(30), false);
        install("syslog.1", "var/log/syslog.1", DAY2 + T(6 * 3600), false);
        install("syslog.3", "var/log/syslog.3.gz", DAY2 - 6 * USEC_PER_DAY, true);
        install("kern.log.1", "var/log/kern.log.1.gz", DAY2 + T(4 * 3600 + 1), true);
        install("access.log", "var/log/nginx/access.log", DAY3 + T(3600), false);
        install("error.log", "var/log/nginx/error.log", DAY2 + T(10 * 3600 + 5), false);
        install("apache_error_log", "var/log/httpd/error_log", DAY2 + T(11 * 3600), false);
        install("app.log", "var/log/app/app.log", DAY2 + T(9 * 3600 + 1800), false);
        install("app.json", "var/log/app/app.json", DAY2 + T(11 * 3600), false);
        install("postgresql.log", "var/log/postgresql/postgresql-16-main.log", DAY2 + T(36001),
                false);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        return tree_remove(root);
}

static struct sink *run(usec_t since, usec_t until, uint64_t per_file, const char *const *overrides)
{
        struct collect_ctx *ctx = mock_ctx_new("logs", root, since, until);
        struct sink *s = mock_sink_new();

        assert_non_null(ctx);
        assert_non_null(s);
        mock_ctx_set_live(ctx, false);
        if (per_file)
                mock_ctx_set_budget(ctx, 256ULL << 20, per_file);
        assert_int_equal(mock_run_collector(&collector_logs, ctx, s, overrides), 0);
        mock_ctx_free(ctx);
        return s;
}

static const struct mock_artifact *must_find(struct sink *s, const char *name)
{
        const struct mock_artifact *a = mock_sink_find(s, name);
        if (!a)
                fail_msg("no member %s; notes: %s", name, mock_sink_notes(s));
        return a;
}

/* Zone-less times in the host's zone, through the C library. */
static void test_logtime_zone(void **state)
{
        char dir[] = "/tmp/collect-tz-XXXXXX", link[64];
        struct logtime_hint h = { .year = 2026, .month = 11 };
        usec_t t;
        int fd;

        (void) state;
        assert_non_null(mkdtemp(dir));
        (void) snprintf(link, sizeof(link), "%s/etc", dir);
        assert_int_equal(mkdir(link, 0755), 0);
        (void) snprintf(link, sizeof(link), "%s/etc/localtime", dir);
        assert_int_equal(symlink("/usr/share/zoneinfo/America/New_York", link), 0);
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(logtime_zone_setup(fd, dir), 1);
        assert_string_equal(logtime_zone_name(), "America/New_York");
        /* EST in November (UTC-5), EDT in July (UTC-4); a stated zone wins. */
        assert_true(logtime_parse("Nov 27 07:00:00 host x", 22, &h, &t));
        assert_int_equal(t, 1795780800ULL * USEC_PER_SEC); /* 2026-11-27T12:00:00Z */
        assert_true(logtime_parse("2026-07-01 10:00:00 x", 21, &h, &t));
        assert_int_equal(t, 1782914400ULL * USEC_PER_SEC); /* 2026-07-01T14:00:00Z */
        assert_true(logtime_parse("2026-07-01T10:00:00Z x", 22, &h, &t));
        assert_int_equal(t, 1782900000ULL * USEC_PER_SEC);
        assert_true(logtime_parse("2026-07-01 10:00:00 +0200 x", 27, &h, &t));
        assert_int_equal(t, 1782892800ULL * USEC_PER_SEC);
        /* apt's two spaces; Redis "pid:role DD Mon YYYY". */
        assert_true(logtime_parse("Start-Date: 2026-11-27  07:00:00", 32, &h, &t));
        assert_int_equal(t, 1795780800ULL * USEC_PER_SEC);
        assert_true(logtime_parse("77:M 27 Nov 2026 07:00:00.123 * Ready", 37, &h, &t));
        assert_int_equal(t, 1795780800ULL * USEC_PER_SEC + 123000);
        /* A tree without a zone: UTC again. */
        assert_int_equal(unlink(link), 0);
        assert_int_equal(logtime_zone_setup(fd, dir), 0);
        assert_true(logtime_parse("Nov 27 07:00:00 host x", 22, &h, &t));
        assert_int_equal(t, 1795762800ULL * USEC_PER_SEC);
        close(fd);
        (void) snprintf(link, sizeof(link), "%s/etc", dir);
        assert_int_equal(rmdir(link), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_text_repair_and_sniff(void **state)
{
        static const char damaged[] = "a\0\0\0\0\0b\xff"
                                      "c\0d";
        static const char wtmp_rec[] = "\x07\x00\x00\x00\x10\x27\x00\x00pts/0\0\0\0\0\0\0\0\0"
                                       "ts/0root\0\0\0\0\0\0\0\0\0\0\x01\x02\x03";
        struct logs_repair rep = {};
        char out[128], big[8192];
        size_t n;

        (void) state;
        assert_false(logs_text_clean(damaged, sizeof(damaged) - 1));
        assert_true(logs_text_clean("plain text", 10));
        n = logs_text_repair(damaged, sizeof(damaged) - 1, out, &rep);
        assert_int_equal(n, strlen("a[NUL\xc3\x97"
                                   "5]b\xef\xbf\xbd"
                                   "c\xef\xbf\xbd"
                                   "d"));
        assert_memory_equal(out,
                            "a[NUL\xc3\x97"
                            "5]b\xef\xbf\xbd"
                            "c\xef\xbf\xbd"
                            "d",
                            n);
        assert_int_equal(rep.nul, 6);
        assert_int_equal(rep.invalid, 1);
        /* Valid UTF-8 is kept as it is. */
        n = logs_text_repair("caf\xc3\xa9 \xe2\x82\xac", 9, out, &rep);
        assert_memory_equal(out, "caf\xc3\xa9 \xe2\x82\xac", 9);
        assert_int_equal(n, 9);

        assert_null(logs_sniff_binary("Nov 27 10:00:00 host x: y\n", 26));
        assert_non_null(logs_sniff_binary("\xfd"
                                          "7zXZ\0rest",
                                          10));
        assert_non_null(logs_sniff_binary("LPKSHHRH\0\0\0\0", 12));
        /* A NUL run in text (a crash left it) is text; records are not. */
        memset(big, 0, sizeof(big));
        memcpy(big + 6000, "Nov 27 10:00:00 host x: after\n", 30);
        assert_null(logs_sniff_binary(big, sizeof(big)));
        for (size_t i = 0; i + sizeof(wtmp_rec) <= sizeof(big); i += sizeof(wtmp_rec))
                memcpy(big + i, wtmp_rec, sizeof(wtmp_rec));
        assert_non_null(logs_sniff_binary(big, sizeof(big)));
}

/* The sniff as first written, a byte at a time: the word-at-a-time one must
 * give the same verdict on every input. */
static const char *sniff_reference(const char *buf, size_t n)
{
        size_t runs = 0, nul = 0, controls = 0, other = 0;

        n = MIN(n, (size_t) LOGS_SNIFF_BYTES);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) buf[i];

                if (c == 0) {
                        nul++;
                        if (i == 0 || buf[i - 1] != 0)
                                runs++;
                } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' &&
                           c != '\r' && c != '\b' && c != 0x1b)
                        controls++;
                else
                        other++;
        }
        if (controls * 100 > controls + other)
                return "binary data (control bytes)";
        if (nul > 0 && runs * 128 > n && runs > 8)
                return "binary records (NUL bytes throughout)";
        return NULL;
}

static void test_sniff_same_verdicts(void **state)
{
        /* bytes drawn from text, the controls text holds, the ones it never
         * holds, NUL and high bytes, in proportions that put the inputs on
         * both sides of both thresholds */
        static const unsigned char pool[] = { 'a',  ' ',  '\n', '\t', '\r', 0x1b, '\b', 0x01,
                                              0x1f, 0x0e, 0x1c, 0,    0xff, 0x80, 0x20, 0x7f };
        static char buf[LOGS_SNIFF_BYTES + 64];
        unsigned seed = 12345;
        size_t checked[3] = {};

        (void) state;
        for (unsigned round = 0; round < 3000; round++) {
                size_t n = (size_t) (rand_r(&seed) % sizeof(buf)) + 1;
                unsigned mix = (unsigned) rand_r(&seed) % 400; /* per 10,000: odd bytes */
                const char *got, *want;

                if (round % 7 == 0)
                        n = round % 17; /* short inputs, tails only */
                for (size_t i = 0; i < n; i++) {
                        unsigned r = (unsigned) rand_r(&seed);

                        buf[i] = (char) (r % 10000 < mix ? pool[(r >> 16) % sizeof(pool)] :
                                                           'a' + (r >> 16) % 26);
                        if (round % 5 == 0 && (r >> 8) % 3 == 0)
                                buf[i] = 0; /* NUL runs */
                }
                got = logs_sniff_binary(buf, n);
                want = sniff_reference(buf, n);
                if (n >= 2 && memcmp(buf, "\x1f\x9d", 2) == 0)
                        continue; /* a magic number: not the byte counts */
                assert_true(got == want || (got && want && streq(got, want)));
                checked[!want ? 0 : want[0] == 'b' && strstr(want, "control") ? 1 : 2]++;
        }
        /* each verdict was reached */
        assert_true(checked[0] > 0 && checked[1] > 0 && checked[2] > 0);
}

static void test_logtime_formats(void **state)
{
        struct logtime_hint h = { .year = 2026, .month = 11 }, jan = { .year = 2027, .month = 1 };
        usec_t t;
        const struct {
                const char *line;
                usec_t expect;
        } cases[] = {
                { "2026-11-27T10:00:00Z x", DAY2 + T(36000) },
                { "2026-11-27T10:00:00.250+02:00 x", DAY2 + T(28800) + 250000 },
                { "2026-11-27 10:00:00,123 ERROR", DAY2 + T(36000) + 123000 },
                { "2026-11-27 10:00:00.123 UTC [1] LOG", DAY2 + T(36000) + 123000 },
                { "2026-11-27T10:00:00.123456789Z stdout F x", DAY2 + T(36000) + 123456 },
                { "Nov 27 10:00:00 host app[1]: x", DAY2 + T(36000) },
                { "Nov  7 10:00:00 host app[1]: x", DAY2 - 20 * USEC_PER_DAY + T(36000) },
                { "1.2.3.4 - - [27/Nov/2026:10:00:00 +0100] \"GET /\"", DAY2 + T(32400) },
                { "2026/11/27 10:00:00 [error] 1#1: x", DAY2 + T(36000) },
                { "[Fri Nov 27 10:00:00.123456 2026] [core:error] x", DAY2 + T(36000) + 123456 },
                { "[2026-11-27 10:00:00] app.ERROR: x", DAY2 + T(36000) },
                { "{\"time\":\"2026-11-27T10:00:00Z\",\"msg\":\"x\"}", DAY2 + T(36000) },
                { "time=\"2026-11-27T10:00:00Z\" level=error msg=x", DAY2 + T(36000) },
                { "<34>1 2026-11-27T10:00:00Z host app - - x", DAY2 + T(36000) },
                { "I1127 10:00:00.123456    1234 main.go:12] klog", DAY2 + T(36000) + 123456 },
                { "E1127 10:00:00.000001 7 server.go:1] x", DAY2 + T(36000) + 1 },
                { "27-Nov-2026 10:00:00.123 SEVERE [main] x", DAY2 + T(36000) + 123000 },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (!logtime_parse(cases[i].line, strlen(cases[i].line), &h, &t))
                        fail_msg("not parsed: %s", cases[i].line);
                if (t != cases[i].expect)
                        fail_msg("%s: got %llu want %llu", cases[i].line, (unsigned long long) t,
                                 (unsigned long long) cases[i].expect);
        }
        /* A December line in a file written in January is from the year before. */
        assert_true(logtime_parse("Dec 31 23:00:00 h x", 19, &jan, &t));
        assert_int_equal(t, T(1798758000));
        assert_false(logtime_parse("  File \"/srv/app.py\", line 10", 29, &h, &t));
        assert_false(logtime_parse("Traceback (most recent call last):", 34, &h, &t));
        assert_false(logtime_parse("2026-13-45T10:00:00Z bad", 24, &h, &t));
        assert_false(logtime_parse("I1327 10:00:00.1 bad month", 26, &h, &t));
        assert_false(logtime_parse("Info: starting", 14, &h, &t));
        assert_int_equal(logtime_prefix_len("Nov 27 10:00:00 host", 20), 15);
        assert_int_equal(logtime_prefix_len("[27/Nov/2026:10:00:00 +0000] x", 30), 28);
}

/* The phrases of findings are found wherever they fall in a line: host names
 * of every length from 1 to 13 shift them through every alignment; a phrase
 * one byte short is not found. */
static void test_findings_any_offset(void **state)
{
        static const char *const phrases[] = {
                "No space left on device", "Disk quota exceeded", "Too many open files",
                "Cannot allocate memory",  "OutOfMemoryError",    "memory exhausted",
                "out of inodes",           "no free inodes",
        };
        struct logs_findings *lf = calloc(1, sizeof(*lf));
        uint64_t restarts = 0, exhausted = 0;
        char line[512];

        (void) state;
        assert_non_null(lf);
        for (int h = 1; h <= 13; h++) {
                int n = snprintf(line, sizeof(line),
                                 "Nov 27 10:00:00 %.*s systemd[1]: app.service: Scheduled restart "
                                 "job, restart counter is at 3.",
                                 h, "hhhhhhhhhhhhh");

                logs_findings_scan(lf, "/var/log/syslog", line, (size_t) n, 0);
                for (size_t i = 0; i < ELEMENTSOF(phrases); i++) {
                        n = snprintf(line, sizeof(line), "Nov 27 10:00:00 %.*s app[7]: write: %s",
                                     h, "hhhhhhhhhhhhh", phrases[i]);
                        logs_findings_scan(lf, "/var/log/syslog", line, (size_t) n, 0);
                        /* the phrase cut short by one byte, at either end */
                        logs_findings_scan(lf, "/var/log/syslog", line, (size_t) n - 1, 0);
                        n = snprintf(line, sizeof(line), "Nov 27 10:00:00 %.*s app[7]: write: %s",
                                     h, "hhhhhhhhhhhhh", phrases[i] + 1);
                        logs_findings_scan(lf, "/var/log/syslog", line, (size_t) n, 0);
                }
        }
        for (size_t i = 0; i < lf->n_records; i++) {
                if (lf->records[i].kind == FINDING_UNIT_RESTARTS)
                        restarts += lf->records[i].count;
                if (lf->records[i].kind == FINDING_RESOURCE_EXHAUSTED)
                        exhausted += lf->records[i].count;
        }
        assert_int_equal(restarts, 13);
        assert_int_equal(exhausted, 13 * ELEMENTSOF(phrases));
        logs_findings_done(lf);
        free(lf);
}

static void test_window(void **state)
{
        struct sink *s = run(DAY2, DAY3, 0, NULL);
        const struct mock_artifact *a;

        (void) state;
        a = must_find(s, "logs/files/var/log/syslog");
        assert_string_equal(a->source, "/var/log/syslog");
        assert_true(a->flags & SINK_SCAN_ERRORS);
        assert_true(a->flags & SINK_KEEP_TAIL);
        assert_string_equal(
                a->data,
                "Nov 27 00:00:00 fixturehost app[101]: first line in window\n"
                "Nov 27 08:00:00 fixturehost app[102]: ERROR database connection refused (attempt 3)\n"
                "Nov 27 08:05:00 fixturehost app[102]: ERROR database connection refused (attempt 4)\n"
                "Nov 27 12:00:00 fixturehost kernel: [12345.678901] app[4242]: segfault at 0 ip "
                "00007f3a1c2d3e4f sp 00007ffd5e6f7a80 error 4 in libc.so.6[7f3a1c2c5000+195000]\n"
                "Nov 27 23:59:59 fixturehost app[101]: last line in window\n");

        a = must_find(s, "logs/files/var/log/syslog.1");
        assert_null(strstr(a->data, "rotated old line"));
        assert_non_null(strstr(a->data, "rotated in-window line"));
        assert_non_null(strstr(a->data, "CRITICAL disk quota"));

        /* Older than the window by mtime: not read at all. */
        assert_null(mock_sink_find(s, "logs/files/var/log/syslog.3"));
        assert_null(mock_sink_find(s, "logs/files/var/log/syslog.3.gz"));

        /* Rotated .gz: inflated, named without .gz, source recorded. */
        a = must_find(s, "logs/files/var/log/kern.log.1");
        assert_string_equal(a->source, "/var/log/kern.log.1.gz");
        assert_null(strstr(a->data, "old kernel line"));
        assert_non_null(strstr(a->data, "Out of memory: Killed process 3131"));
        assert_non_null(strstr(a->data, "kernel line in window from gz\n"));

        a = must_find(s, "logs/files/var/log/nginx/access.log");
        assert_string_equal(
                a->data,
                "10.0.0.3 - - [27/Nov/2026:10:00:00 +0000] \"GET /in-window HTTP/1.1\" 500 12 \"-\" \"curl/8.0\"\n"
                "10.0.0.4 - - [28/Nov/2026:00:30:00 +0100] \"GET /zone-in HTTP/1.1\" 200 612 \"-\" \"curl/8.0\"\n");

        a = must_find(s, "logs/files/var/log/nginx/error.log");
        assert_null(strstr(a->data, "old error"));
        assert_non_null(strstr(a->data, "missing.html"));
        assert_non_null(strstr(a->data, "Permission denied"));

        a = must_find(s, "logs/files/var/log/httpd/error_log");
        assert_null(strstr(a->data, "old apache error"));
        assert_non_null(strstr(a->data, "AH00037: Symbolic link"));
        assert_non_null(strstr(a->data, "AH00489"));

        a = must_find(s, "logs/files/var/log/postgresql/postgresql-16-main.log");
        assert_null(strstr(a->data, "old checkpoint"));
        assert_non_null(strstr(a->data, "FATAL:  password authentication failed"));
        mock_sink_free(s);
}

static void test_app_formats_and_traces(void **state)
{
        const char *o[] = { "paths=/var/log/app/*", NULL };
        struct sink *s = run(DAY2, DAY3, 0, o);
        const struct mock_artifact *a;

        (void) state;
        /* The trace stays with its first line; the old trace goes with the old line. */
        a = must_find(s, "logs/files/var/log/app/app.log");
        assert_string_equal(a->data,
                            "2026-11-27 09:00:00,123 ERROR Unhandled exception in worker 7\n"
                            "Traceback (most recent call last):\n"
                            "  File \"/srv/app/worker.py\", line 10, in run\n"
                            "    result = compute(x)\n"
                            "ValueError: invalid literal for int() with base 10: 'abc'\n"
                            "2026-11-27 09:00:01,000 INFO worker 7 restarted\n"
                            "2026-11-27T09:30:00.250+02:00 WARN zoned line (07:30 UTC)\n");
        a = must_find(s, "logs/files/var/log/app/app.json");
        assert_null(strstr(a->data, "json old"));
        assert_non_null(strstr(a->data, "json boom in window"));
        assert_non_null(strstr(a->data, "json info in window"));
        assert_null(mock_sink_find(s, "logs/files/var/log/syslog"));
        mock_sink_free(s);
}

static void test_window_excludes_file(void **state)
{
        /* A window in which app.log has no line: no member at all. */
        const char *o[] = { "paths=/var/log/app/app.log", NULL };
        struct sink *s = run(DAY2 + T(10 * 3600), DAY3, 0, o);

        (void) state;
        assert_null(mock_sink_find(s, "logs/files/var/log/app/app.log"));
        mock_sink_free(s);
}

static void test_skipped_kinds(void **state)
{
        const char *o[] = { "paths=/var/log/odd/*", NULL };
        _cleanup_free_ char *fifo = path_in_root("var/log/odd/pipe.log");
        _cleanup_free_ char *l1 = path_in_root("var/log/odd/escape.log");
        _cleanup_free_ char *l2 = path_in_root("var/log/odd/escape-abs.log");
        static const char bin[] = "ib\0\0\0\x01\x02 binary log";
        struct sink *s;

        (void) state;
        write_file("var/log/odd/ib_logfile0", bin, sizeof(bin), DAY2 + T(100));
        write_file("var/log/odd/plain.log", "no timestamps here\nsecond line\n", 31, DAY2 + T(100));
        assert_int_equal(mkfifo(fifo, 0600), 0);
        /* Both links resolve inside the root (where nothing exists), never to the host. */
        assert_int_equal(symlink("../../../../../../../../etc/hostname", l1), 0);
        assert_int_equal(symlink("/etc/hostname", l2), 0);

        s = run(DAY2, DAY3, 0, o);
        assert_non_null(strstr(mock_sink_notes(s), "pipe.log: FIFO"));
        assert_non_null(strstr(mock_sink_notes(s), "ib_logfile0: binary"));
        assert_non_null(strstr(mock_sink_notes(s), "escape.log"));
        assert_non_null(strstr(mock_sink_notes(s), "escape-abs.log"));
        assert_null(mock_sink_find(s, "logs/files/var/log/odd/ib_logfile0"));
        assert_null(mock_sink_find(s, "logs/files/var/log/odd/pipe.log"));
        assert_null(mock_sink_find(s, "logs/files/var/log/odd/escape.log"));
        assert_null(mock_sink_find(s, "logs/files/var/log/odd/escape-abs.log"));
        /* No timestamps: the mtime decides, the whole file is kept. */
        assert_string_equal(must_find(s, "logs/files/var/log/odd/plain.log")->data,
                            "no timestamps here\nsecond line\n");
        mock_sink_free(s);
}

static void test_forbidden(void **state)
{
        const char *o[] = { "paths=/var/log/nginx/*", NULL };
        char *globs[] = { (char *) "/var/log/nginx/access.log", NULL };
        struct collect_ctx *ctx = mock_ctx_new("logs", root, DAY2, DAY3);
        struct sink *s = mock_sink_new();

        (void) state;
        mock_ctx_set_never_collect(ctx, globs);
        assert_int_equal(mock_run_collector(&collector_logs, ctx, s, o), 0);
        assert_null(mock_sink_find(s, "logs/files/var/log/nginx/access.log"));
        assert_non_null(mock_sink_find(s, "logs/files/var/log/nginx/error.log"));
        assert_non_null(strstr(mock_sink_notes(s), "access.log: never collected"));
        mock_ctx_free(ctx);
        mock_sink_free(s);
}

/* The generated big files: 3 days of lines, 5 s apart. */
static size_t big_len;
static char *big;

static void ensure_big(void)
{
        if (big)
                return;
        big = make_lines(DAY2 - USEC_PER_DAY, 5 * USEC_PER_SEC, 3 * 17280, &big_len);
        write_file("var/log/big/plain.log", big, big_len, DAY3 + USEC_PER_DAY);
        write_gz("var/log/big/rot.log.1.gz", big, big_len, DAY3 + USEC_PER_DAY);
}

static const char *day2_part(size_t *ret_len)
{
        const char *a = strstr(big, "2026-11-27T00:00:00Z");
        const char *b = strstr(big, "2026-11-28T00:00:05Z");

        assert_non_null(a);
        assert_non_null(b);
        *ret_len = b - a;
        return a;
}

static void test_bisect_and_gz_window(void **state)
{
        const char *o[] = { "paths=/var/log/big/*", NULL };
        struct sink *s;
        const struct mock_artifact *a;
        size_t len;
        const char *want;

        (void) state;
        ensure_big();
        assert_true(big_len > 4 * 1024 * 1024); /* large enough to be bisected */
        want = day2_part(&len);
        s = run(DAY2, DAY3, 0, o);
        a = must_find(s, "logs/files/var/log/big/plain.log");
        assert_int_equal(a->len, len);
        assert_memory_equal(a->data, want, len);
        a = must_find(s, "logs/files/var/log/big/rot.log.1");
        assert_int_equal(a->len, len);
        assert_memory_equal(a->data, want, len);
        assert_false(mock_sink_partial(s));
        mock_sink_free(s);
}

static void test_cut_keeps_newest(void **state)
{
        const char *o[] = { "paths=/var/log/big/*", NULL };
        struct sink *s;
        const struct mock_artifact *a;
        size_t len;
        const char *want;

        (void) state;
        ensure_big();
        want = day2_part(&len);
        s = run(DAY2, DAY3, 65536, o);
        for (int i = 0; i < 2; i++) {
                a = must_find(s, i == 0 ? "logs/files/var/log/big/plain.log" :
                                          "logs/files/var/log/big/rot.log.1");
                assert_true(a->len <= 65536);
                assert_true(a->len > 65536 - 200);
                /* Exactly the newest whole lines of the window. */
                assert_memory_equal(a->data, want + len - a->len, a->len);
                assert_memory_equal(a->data, "2026-11-27T", 11);
        }
        assert_true(mock_sink_partial(s));
        assert_non_null(strstr(mock_sink_notes(s), "newest part is kept"));
        mock_sink_free(s);
}

static void test_corrupt_gz(void **state)
{
        const char *o[] = { "paths=/var/log/corrupt/*", NULL };
        _cleanup_free_ char *p = NULL;
        size_t len;
        _cleanup_free_ char *lines = make_lines(DAY2, USEC_PER_SEC, 20000, &len);
        struct stat st;
        struct sink *s;
        const struct mock_artifact *a;
        int fd;

        (void) state;
        write_gz("var/log/corrupt/app.log.2.gz", lines, len, DAY2 + T(3600));
        p = path_in_root("var/log/corrupt/app.log.2.gz");
        assert_int_equal(stat(p, &st), 0);
        fd = open(p, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        {
                char junk[4096];
                memset(junk, 0xff, sizeof(junk));
                assert_int_equal(pwrite(fd, junk, sizeof(junk), st.st_size / 2), sizeof(junk));
        }
        close(fd);
        set_mtime("var/log/corrupt/app.log.2.gz", DAY2 + T(3600));

        s = run(DAY2, DAY3, 0, o);
        a = must_find(s, "logs/files/var/log/corrupt/app.log.2");
        /* The readable part is kept, intact, and the damage is noted. */
        if (a->len < 1000 || a->len >= len)
                fail_msg("len %zu of %zu; notes: %s", a->len, len, mock_sink_notes(s));
        assert_memory_equal(a->data, lines, 1000);
        assert_non_null(strstr(mock_sink_notes(s), "app.log.2.gz"));
        assert_non_null(strstr(mock_sink_notes(s), "readable part is kept"));
        assert_true(mock_sink_partial(s));

        /* A gzip file cut short (truncated download, full disk). */
        assert_int_equal(truncate(p, st.st_size / 3), 0);
        set_mtime("var/log/corrupt/app.log.2.gz", DAY2 + T(3600));
        mock_sink_free(s);
        s = run(DAY2, DAY3, 0, o);
        a = must_find(s, "logs/files/var/log/corrupt/app.log.2");
        assert_true(a->len > 1000);
        assert_memory_equal(a->data, lines, 1000);
        assert_non_null(strstr(mock_sink_notes(s), "ends unexpectedly"));
        mock_sink_free(s);
}

static void truncate_hook(const char *path, int fd)
{
        _cleanup_free_ char *p = path_in_root(path + 1);
        (void) fd;
        assert_int_equal(truncate(p, 5000), 0);
}

static char *rotated_path;

static void rotate_hook(const char *path, int fd)
{
        _cleanup_free_ char *to = xasprintf("%s.1", rotated_path);
        (void) path;
        (void) fd;
        /* logrotate's rename + create: the open file keeps its content. */
        assert_int_equal(rename(rotated_path, to), 0);
        write_file("var/log/rot/app.log", "2026-11-27T23:00:00Z new file\n", 30, DAY2 + T(3600));
}

static void test_changed_during_read(void **state)
{
        const char *o[] = { "paths=/var/log/rot/app.log", NULL };
        size_t len;
        _cleanup_free_ char *lines = make_lines(DAY2, USEC_PER_SEC, 5000, &len);
        struct sink *s;
        const struct mock_artifact *a;

        (void) state;
        write_file("var/log/rot/app.log", lines, len, DAY2 + T(7200));
        logs_test_after_open = truncate_hook;
        s = run(DAY2, DAY3, 0, o);
        logs_test_after_open = NULL;
        a = must_find(s, "logs/files/var/log/rot/app.log");
        /* Whole lines of the first 5000 bytes; the shrink is noted. */
        assert_true(a->len <= 5000 && a->len > 4800);
        assert_memory_equal(a->data, lines, a->len);
        assert_non_null(strstr(mock_sink_notes(s), "shrank while being read"));
        mock_sink_free(s);

        write_file("var/log/rot/app.log", lines, len, DAY2 + T(7200));
        rotated_path = path_in_root("var/log/rot/app.log");
        logs_test_after_open = rotate_hook;
        s = run(DAY2, DAY3, 0, o);
        logs_test_after_open = NULL;
        a = must_find(s, "logs/files/var/log/rot/app.log");
        assert_int_equal(a->len, len);
        assert_memory_equal(a->data, lines, len);
        assert_false(mock_sink_partial(s));
        rotated_path = mfree(rotated_path);
        mock_sink_free(s);
}

/* A rotation inflated under its name without ".gz" does not take the name of
 * a plain file collected before it. */
static void test_gz_name_taken(void **state)
{
        const char *o[] = { "paths=/var/log/dup/*", NULL };
        size_t len;
        _cleanup_free_ char *lines = make_lines(DAY2 + T(3600), USEC_PER_SEC, 20, &len);
        struct sink *s;
        const struct mock_artifact *plain, *gz;

        (void) state;
        write_file("var/log/dup/app.log.1", lines, len, DAY2 + T(7200));
        write_gz("var/log/dup/app.log.1.gz", lines, len / 2, DAY2 + T(3700));
        s = run(DAY2, DAY3, 0, o);
        plain = must_find(s, "logs/files/var/log/dup/app.log.1");
        gz = must_find(s, "logs/files/var/log/dup/app.log.1.gz");
        assert_int_equal(plain->len, len);
        assert_int_equal(gz->len, len / 2);
        assert_memory_equal(gz->data, lines, len / 2);
        mock_sink_free(s);
}

/* A directory walked in batches (name checks and fstatat() shared with a
 * helper thread): every file arrives, and the notes come in the directory's
 * own order, as when entries were taken one at a time. */
static void test_wide_directory(void **state)
{
        const char *o[] = { "paths=/var/log/wide", NULL };
        char *globs[] = { (char *) "/var/log/wide/secret-*", NULL };
        _cleanup_free_ char *dir = path_in_root("var/log/wide");
        struct collect_ctx *ctx = mock_ctx_new("logs", root, DAY2, DAY3);
        struct sink *s = mock_sink_new();
        const char *notes, *last = NULL;
        char rel[128], line[512];
        size_t n_said = 0;
        DIR *d;

        (void) state;
        for (int i = 0; i < 150; i++) {
                snprintf(rel, sizeof(rel), "var/log/wide/f%03d.log", i);
                snprintf(line, sizeof(line), "2026-11-27T10:00:%02dZ file %d\n", i % 60, i);
                write_file(rel, line, strlen(line), DAY2 + T(3600 + i));
        }
        for (int i = 0; i < 3; i++) {
                snprintf(rel, sizeof(rel), "var/log/wide/sub/s%d.log", i);
                snprintf(line, sizeof(line), "2026-11-27T11:00:0%dZ sub %d\n", i, i);
                write_file(rel, line, strlen(line), DAY2 + T(7200 + i));
        }
        for (int i = 0; i < 4; i++) {
                _cleanup_free_ char *fifo = NULL;

                snprintf(rel, sizeof(rel), "var/log/wide/secret-%d.log", i);
                write_file(rel, "2026-11-27T10:00:00Z SecretMark\n", 32, DAY2 + T(3600));
                snprintf(rel, sizeof(rel), "var/log/wide/pipe-%d.log", i);
                fifo = path_in_root(rel);
                assert_int_equal(mkfifo(fifo, 0600), 0);
        }
        write_file("var/log/wide/old.log.xz", "not read", 8, DAY2 + T(3600));
        {
                _cleanup_free_ char *l = path_in_root("var/log/wide/link.log");
                assert_int_equal(symlink("f000.log", l), 0);
        }
        mock_ctx_set_never_collect(ctx, globs);
        assert_int_equal(mock_run_collector(&collector_logs, ctx, s, o), 0);

        assert_int_equal(mock_sink_n_artifacts(s), 153);
        for (int i = 0; i < 150; i++) {
                snprintf(rel, sizeof(rel), "logs/files/var/log/wide/f%03d.log", i);
                snprintf(line, sizeof(line), "2026-11-27T10:00:%02dZ file %d\n", i % 60, i);
                assert_string_equal(must_find(s, rel)->data, line);
        }
        must_find(s, "logs/files/var/log/wide/sub/s2.log");
        assert_null(mock_sink_find(s, "logs/files/var/log/wide/link.log"));
        assert_null(mock_sink_find(s, "logs/files/var/log/wide/old.log.xz"));
        /* the notes on the FIFOs and the never-collected files, in readdir order */
        notes = mock_sink_notes(s);
        d = opendir(dir);
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                const char *at;

                if (strncmp(de->d_name, "secret-", 7) != 0 && strncmp(de->d_name, "pipe-", 5) != 0)
                        continue;
                snprintf(line, sizeof(line), "/var/log/wide/%s: %s", de->d_name,
                         de->d_name[0] == 's' ? "never collected" : "FIFO");
                at = strstr(notes, line);
                if (!at)
                        fail_msg("no note \"%s\" in %s", line, notes);
                assert_true(!last || at > last);
                last = at;
                n_said++;
        }
        closedir(d);
        assert_int_equal(n_said, 8);
        mock_ctx_free(ctx);
        mock_sink_free(s);
}

static void test_max_files(void **state)
{
        const char *o[] = { "paths=/var/log/nginx/*", "paths=/var/log/httpd/*", "max_files=2",
                            NULL };
        struct sink *s = run(DAY2, DAY3, 0, o);

        (void) state;
        assert_int_equal(mock_sink_n_artifacts(s), 2);
        assert_non_null(strstr(mock_sink_notes(s), "1 more log files not collected"));
        mock_sink_free(s);
}

/* What the real sink does with SINK_SCAN_ERRORS members: every line of the
 * collected files through the error extractor, then errors/ and findings. */
static void test_errors_from_collected(void **state)
{
        const char *o[] = { "paths=/var/log/syslog*",
                            "paths=/var/log/kern.log*",
                            "paths=/var/log/nginx/*",
                            "paths=/var/log/httpd/*",
                            "paths=/var/log/postgresql/*",
                            "paths=/var/log/app/*",
                            NULL };
        struct sink *s = run(DAY2, DAY3, 0, o);
        struct sink *out = mock_sink_new();
        _cleanup_(errors_freep) struct errors *e = NULL;
        const struct mock_artifact *j;
        const struct finding *f;
        json_t *a, *g;
        size_t n_lines = 0;

        (void) state;
        assert_int_equal(errors_new(NULL, &e, NULL), 0);
        errors_set_window(e, DAY2, DAY3);
        for (size_t i = 0; i < mock_sink_n_artifacts(s); i++) {
                const struct mock_artifact *m = mock_sink_artifact(s, i);
                for (const char *p = m->data; *p;) {
                        const char *nl = strchr(p, '\n');
                        size_t l = nl ? (size_t) (nl - p) : strlen(p);
                        assert_int_equal(errors_feed_line(e, m->source, NULL, p, l), 0);
                        n_lines++;
                        p += l + (nl ? 1 : 0);
                }
                errors_end_source(e, m->source);
        }
        /* A late surge in one more source: 12 errors in the last hours. */
        for (int i = 0; i < 12; i++) {
                char line[128];
                int l = snprintf(line, sizeof(line), "2026-11-27T22:%02d:00Z ERROR queue full (%d)",
                                 i, i);
                assert_int_equal(errors_feed_line(e, "/var/log/queue.log", NULL, line, (size_t) l),
                                 0);
        }
        assert_true(n_lines > 20);
        assert_int_equal(errors_emit(e, out), 0);

        j = mock_sink_find(out, "errors/errors.json");
        assert_non_null(j);
        a = json_loads(j->data, 0, NULL);
        assert_non_null(a);
        for (size_t i = 0; i < json_array_size(a); i++) {
                g = json_array_get(a, i);
                /* Nothing from before the window reached the bundle. */
                assert_null(strstr(json_string_value(json_object_get(g, "sample")), "old"));
                assert_null(
                        strstr(json_string_value(json_object_get(g, "sample")), "before-window"));
        }
        g = json_array_get(a, 0);
        assert_string_equal(json_string_value(json_object_get(g, "signature")),
                            "ERROR queue full (<n>)");
        assert_int_equal(json_integer_value(json_object_get(g, "count")), 12);
        json_decref(a);
        assert_non_null(strstr(mock_sink_find(out, "errors/errors.txt")->data,
                               "ERROR database connection refused (attempt 3)"));
        assert_non_null(strstr(mock_sink_find(out, "errors/errors.txt")->data,
                               "ValueError: invalid literal"));

        f = mock_sink_find_finding(out, FINDING_ERRORS, "/var/log/syslog");
        assert_non_null(f);
        assert_int_equal(f->count, 3); /* 2 ERROR + the segfault line */
        assert_int_equal(f->first, DAY2 + T(8 * 3600));
        f = mock_sink_find_finding(out, FINDING_ERROR_SURGE, "/var/log/queue.log");
        assert_non_null(f);
        assert_int_equal(f->count, 12);
        assert_null(mock_sink_find_finding(out, FINDING_ERROR_SURGE, "/var/log/syslog"));
        /* OOM kills and segfaults name the process, never the log file. */
        assert_null(mock_sink_find_finding(out, FINDING_OOM_KILL, "/var/log/kern.log.1.gz"));
        assert_null(mock_sink_find_finding(out, FINDING_SEGFAULT, "/var/log/syslog"));
        f = mock_sink_find_finding(s, FINDING_OOM_KILL, "java");
        assert_non_null(f);
        assert_int_equal(f->count, 1);
        assert_non_null(strstr(f->detail, "pid 3131"));
        f = mock_sink_find_finding(s, FINDING_SEGFAULT, "app");
        assert_non_null(f);
        assert_non_null(strstr(f->detail, "pid 4242"));
        assert_non_null(mock_sink_find_finding(out, FINDING_ERROR_SIGNATURES, "total"));
        mock_sink_free(out);
        mock_sink_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_logtime_formats),
                cmocka_unit_test(test_logtime_zone),
                cmocka_unit_test(test_text_repair_and_sniff),
                cmocka_unit_test(test_sniff_same_verdicts),
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_findings_any_offset),
                cmocka_unit_test(test_app_formats_and_traces),
                cmocka_unit_test(test_window_excludes_file),
                cmocka_unit_test(test_skipped_kinds),
                cmocka_unit_test(test_forbidden),
                cmocka_unit_test(test_bisect_and_gz_window),
                cmocka_unit_test(test_cut_keeps_newest),
                cmocka_unit_test(test_corrupt_gz),
                cmocka_unit_test(test_changed_during_read),
                cmocka_unit_test(test_gz_name_taken),
                cmocka_unit_test(test_wide_directory),
                cmocka_unit_test(test_max_files),
                cmocka_unit_test(test_errors_from_collected),
        };
        int r = cmocka_run_group_tests(tests, setup, teardown);

        free(big);
        return r;
}
