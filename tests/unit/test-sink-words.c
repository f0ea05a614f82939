/* SPDX-License-Identifier: MIT */
/*
 * Tests of the one literal scan per line (agent/pipeline/sink.c with the real
 * redactor): a line observer's words and a collector's words join the
 * redactor's scan; the observer gets the words found with each line written as
 * it was fed, and no verdict where the line was redacted or cut into pieces;
 * the collector gets those of the raw line it wrote. Every verdict given is
 * checked against a naive search, on the observers' own thread and without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "litscan.h"
#include "pipeline/sink-agent.h"
#include "redact/redact.h"
#include "sink.h"

static char dir[] = "/tmp/collect-test-sink-words-XXXXXX";
static unsigned seq;

static const char *const observer_words[] = { "error", "fatal", "segfault", "oom", NULL };
static const char *const collector_words[] = { "Killed process ", "systemd", "password", NULL };

struct seen {
        size_t lines, known, unknown;
        bool redacted_known; /* a line with [REDACTED: came with words known */
        bool long_known;     /* a line longer than 64 KiB came with words known */
};

struct fixture {
        char path[512];
        struct bundle *b;
        struct redactor *rd;
        struct report report;
        struct sink *s;
        struct collect_ctx ctx;
        struct seen seen;
};

static uint64_t naive(const char *const *words, const char *text, size_t len, bool exact)
{
        uint64_t m = 0;

        for (size_t i = 0; words[i]; i++) {
                size_t n = strlen(words[i]);

                for (size_t at = 0; at + n <= len; at++)
                        if (exact ? memcmp(text + at, words[i], n) == 0 :
                                    strncasecmp(text + at, words[i], n) == 0) {
                                m |= UINT64_C(1) << i;
                                break;
                        }
        }
        return m;
}

static int on_line(void *userdata, const char *source, const struct sink_line_meta *meta,
                   const char *line, size_t len)
{
        struct seen *s = userdata;

        (void) source;
        s->lines++;
        if (!meta || !meta->words_known) {
                s->unknown++;
                return 0;
        }
        s->known++;
        assert_int_equal(meta->words, naive(observer_words, line, len, false));
        if (memmem(line, len, "[REDACTED:", 10))
                s->redacted_known = true;
        if (len > 64 * 1024)
                s->long_known = true;
        return 0;
}

/* A second observer without words: never told any. */
static int on_line_plain(void *userdata, const char *source, const struct sink_line_meta *meta,
                         const char *line, size_t len)
{
        (void) userdata;
        (void) source;
        (void) line;
        (void) len;
        assert_false(meta && meta->words_known);
        return 0;
}

static struct fixture *fixture_new(const char *line_thread)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char *err = NULL;

        assert_non_null(f);
        setenv("COLLECT_TEST_LINE_THREAD", line_thread, 1);
        snprintf(f->path, sizeof(f->path), "%s/b%u.tar.gz", dir, seq++);
        assert_int_equal(bundle_new(f->path, 0, &f->b), 0);
        assert_int_equal(redactor_new(NULL, &f->rd, &err), 0);
        assert_int_equal(sink_new(f->b, f->rd, &f->report, dir, &f->s), 0);
        assert_int_equal(sink_add_line_observer_words(f->s, on_line, NULL, &f->seen,
                                                      (char *const *) observer_words),
                         0);
        assert_int_equal(sink_add_line_observer(f->s, on_line_plain, NULL, NULL), 0);
        f->ctx = (struct collect_ctx) {
                .name = "test",
                .root = dir,
                .root_fd = -1,
                .budget = 64 << 20,
                .per_file = 64 << 20,
                .deadline = now(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC,
        };
        sink_begin(f->s, &f->ctx);
        return f;
}

static void fixture_free(struct fixture *f)
{
        struct collector_status st = {};

        sink_end(f->s, &st);
        free(st.note);
        assert_int_equal(bundle_commit(f->b), 0);
        sink_free(f->s);
        bundle_free(f->b);
        redactor_free(f->rd);
        report_done(&f->report);
        free(f);
}

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static const char *const lines[] = {
        "Nov 27 10:00:00 host kernel: app[42]: segfault at 0 ip 00007f",
        "Nov 27 10:00:01 host systemd[1]: app.service: Failed with result 'exit-code'.",
        "Nov 27 10:00:02 host kernel: Out of memory: Killed process 3131 (java)",
        "Nov 27 10:00:03 host app[7]: login ok for bob",
        "Nov 27 10:00:04 host app[7]: ERROR: db password=hunter2secret rejected",
        "Nov 27 10:00:05 host app[7]: FATAL OOM in worker",
        "x",
        "",
        "er",
        "Nov 27 10:00:06 host app[7]: token=abcdefabcdefabcdef0123 error",
};

static void run(const char *line_thread)
{
        struct fixture *f = fixture_new(line_thread);
        struct sink_stream *st = NULL;
        int set, set2;
        size_t pieces;
        char *big;

        set = sink_add_words(f->s, collector_words, LITSCAN_EXACT);
        assert_true(set > 0);
        set2 = sink_add_words(f->s, collector_words, LITSCAN_EXACT);
        assert_int_equal(set2, set); /* the same list: the same set */
        assert_int_equal(sink_add_words(f->s, (const char *const[]) { "ab", NULL }, 0), -EINVAL);
        assert_int_equal(sink_add_words(f->s, (const char *const[]) { "a\rb", NULL }, 0), -EINVAL);
        assert_int_equal(sink_open_stream(f->s, "logs/x.log", "/var/log/x.log", SINK_SCAN_ERRORS,
                                          &st),
                         0);
        for (int round = 0; round < 50; round++)
                for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                        struct sink_line_meta meta = { .priority = -1 };
                        const char *l = lines[i];
                        uint64_t w;

                        assert_int_equal(sink_stream_write_line(st, round % 2 ? &meta : NULL, l,
                                                                strlen(l)),
                                         0);
                        /* the collector's words of the raw line, redacted or not */
                        assert_true(sink_stream_line_words(st, set, &w));
                        assert_int_equal(w, naive(collector_words, l, strlen(l), true));
                        assert_false(sink_stream_line_words(st, 0, &w));
                }
        /* a line in pieces: no verdict for either */
        big = malloc(200 * 1024 + 1);
        assert_non_null(big);
        memset(big, 'a', 200 * 1024);
        memcpy(big + 100 * 1024, " error systemd ", 15);
        assert_int_equal(sink_stream_write_line(st, NULL, big, 200 * 1024), 0);
        uint64_t w;
        assert_false(sink_stream_line_words(st, set, &w));
        /* lines written in any split by sink_stream_write(): the observer's verdicts */
        assert_int_equal(sink_stream_write(st, "plain fatal line\nand a", 22), 0);
        assert_int_equal(sink_stream_write(st, "nother with oom\n", 16), 0);
        assert_int_equal(sink_stream_close(st, false), 0);
        assert_int_equal(sink_sync_observers(f->s), 0);
        free(big);

        /* the long line reaches the observers in pieces (at least 3 of 64 KiB) */
        pieces = f->seen.lines - 50 * ELEMENTSOF(lines) - 2;
        assert_true(pieces >= 3);
        /* every line as written but the redacted ones (two a round) and the pieces */
        assert_int_equal(f->seen.unknown, 50 * 2 + pieces);
        assert_int_equal(f->seen.known, f->seen.lines - f->seen.unknown);
        assert_false(f->seen.redacted_known);
        assert_false(f->seen.long_known);
        fixture_free(f);
}

static void test_words_caller_thread(void **state)
{
        (void) state;
        run("0");
}

static void test_words_line_thread(void **state)
{
        (void) state;
        run("1");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_words_caller_thread),
                cmocka_unit_test(test_words_line_thread),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
