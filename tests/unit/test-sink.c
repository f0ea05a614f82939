/* SPDX-License-Identifier: MIT */
/*
 * Tests of the sink (agent/pipeline/sink.c) with the real redactor and bundle writer:
 * budgets (the head kept, or the newest lines with SINK_KEEP_TAIL), refusals
 * (FIFO, never_collect), redaction on the way in, binary content skipped,
 * command output, and the member list against the archive read back.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "dynbuf.h"
#include "fd-util.h"
#include "pipeline/sink-agent.h"
#include "redact/redact.h"
#include "sha256.h"
#include "sink.h"

static char dir[] = "/tmp/collect-test-sink-XXXXXX";
static unsigned seq;

struct fixture {
        char path[512];
        struct bundle *b;
        struct redactor *rd;
        struct report report;
        struct sink *s;
        struct collect_ctx ctx;
        char *never[3];
        int root_fd;
        json_t *rows; /* rows member() returned */
};

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static struct fixture *fixture_new(uint64_t budget, uint64_t per_file)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char *err = NULL;

        snprintf(f->path, sizeof(f->path), "%s/b%u.tar.gz", dir, seq++);
        assert_int_equal(bundle_new(f->path, 0, &f->b), 0);
        assert_int_equal(redactor_new(NULL, &f->rd, &err), 0);
        assert_int_equal(sink_new(f->b, f->rd, &f->report, dir, &f->s), 0);
        f->rows = json_array();
        assert_non_null(f->rows);
        f->never[0] = (char *) "/etc/shadow";
        f->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        f->ctx = (struct collect_ctx) {
                .name = "test",
                .root = dir,
                .root_fd = f->root_fd,
                .budget = budget,
                .per_file = per_file,
                .deadline = now(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC,
                .never_collect = f->never,
        };
        sink_begin(f->s, &f->ctx);
        return f;
}

/* Reads member name of the committed bundle back (NULL: absent). */
static char *read_member(struct fixture *f, const char *name)
{
        struct archive *a;
        struct archive_entry *e;
        char *found = NULL;

        a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, f->path, 10240), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *p = strchr(archive_entry_pathname(e), '/') + 1;
                la_int64_t size = archive_entry_size(e);

                if (strcmp(p, name) != 0)
                        continue;
                found = calloc(1, (size_t) size + 1);
                assert_int_equal(archive_read_data(a, found, (size_t) size), size);
        }
        archive_read_free(a);
        return found;
}

/* Ends the collector, commits, reads member name back (NULL: absent). */
static char *finish_and_read(struct fixture *f, const char *name, struct collector_status *st)
{
        sink_end(f->s, st);
        assert_int_equal(bundle_commit(f->b), 0);
        return read_member(f, name);
}

static void fixture_free(struct fixture *f)
{
        json_decref(f->rows);
        sink_free(f->s);
        bundle_free(f->b);
        redactor_free(f->rd);
        report_done(&f->report);
        close(f->root_fd);
        free(f);
}

struct find {
        const char *name;
        json_t *found;
};

static int find_row(void *userdata, const char *row, size_t len)
{
        struct find *x = userdata;
        json_t *m = json_loadb(row, len, 0, NULL);

        assert_non_null(m); /* every row is a JSON object */
        if (!x->found && strcmp(json_string_value(json_object_get(m, "path")), x->name) == 0)
                x->found = m;
        else
                json_decref(m);
        return 0;
}

/* The manifest row of member name (kept until the fixture ends), or NULL. */
static json_t *member(struct fixture *f, const char *name)
{
        struct find x = { .name = name };

        assert_int_equal(sink_members_foreach(f->s, find_row, &x), 0);
        if (x.found)
                assert_int_equal(json_array_append_new(f->rows, x.found), 0);
        return x.found;
}

static void test_head_cut(void **state)
{
        struct fixture *f = fixture_new(1 << 20, 100);
        struct collector_status st = {};
        struct sink_stream *s;
        char *data;
        int r = 0;

        (void) state;
        assert_int_equal(sink_open_stream(f->s, "a.txt", NULL, 0, &s), 0);
        for (int i = 0; i < 100 && r >= 0; i++)
                r = sink_stream_printf(s, "line %03d\n", i);
        assert_int_equal(r, -ENOSPC);
        assert_true(sink_stream_truncated(s));
        assert_int_equal(sink_stream_close(s, false), 0);
        assert_true(json_is_true(json_object_get(member(f, "a.txt"), "truncated")));
        data = finish_and_read(f, "a.txt", &st);
        assert_true(strlen(data) <= 100);
        assert_true(strncmp(data, "line 000\n", 9) == 0);
        assert_int_equal(st.result, COLLECTOR_PARTIAL);
        assert_non_null(strstr(st.note, "beginning"));
        free(data);
        free(st.note);
        fixture_free(f);
}

static void test_tail_keeps_newest(void **state)
{
        struct fixture *f = fixture_new(1 << 20, 4096);
        struct collector_status st = {};
        struct sink_stream *s;
        char *data;

        (void) state;
        assert_int_equal(sink_open_stream(f->s, "t.log", "/var/log/t", SINK_KEEP_TAIL, &s), 0);
        for (int i = 0; i < 100000; i++)
                assert_int_equal(sink_stream_printf(s, "entry %06d\n", i), 0);
        assert_int_equal(sink_stream_close(s, false), 0);
        data = finish_and_read(f, "t.log", &st);
        assert_true(strlen(data) <= 4096);
        assert_non_null(strstr(data, "entry 099999\n"));
        assert_null(strstr(data, "entry 000000"));
        assert_true(strncmp(data, "entry ", 6) == 0); /* starts at a line */
        assert_non_null(strstr(st.note, "newest"));
        free(data);
        free(st.note);
        fixture_free(f);
}

static void test_redacts_and_lists(void **state)
{
        struct fixture *f = fixture_new(1 << 20, 1 << 20);
        struct collector_status st = {};
        const char *text = "user=alice password=hunter2secret port=8080\n";
        char *data;
        json_t *m;

        (void) state;
        assert_int_equal(sink_add_data(f->s, "c/app.conf", text, strlen(text), 0), 0);
        m = member(f, "c/app.conf");
        assert_non_null(m);
        data = finish_and_read(f, "c/app.conf", &st);
        assert_null(strstr(data, "hunter2secret"));
        assert_non_null(strstr(data, "REDACTED"));
        assert_non_null(strstr(data, "port=8080"));
        assert_int_equal(json_integer_value(json_object_get(m, "size")), (json_int_t) strlen(data));
        assert_int_equal(strlen(json_string_value(json_object_get(m, "sha256"))), 64);
        assert_true(redactor_replacements(f->rd) >= 1);
        free(data);
        free(st.note);
        fixture_free(f);
}

static void test_refusals(void **state)
{
        struct fixture *f = fixture_new(1 << 20, 1 << 20);
        struct collector_status st = {};
        char fifo[600], shadow[600], bin[600];
        char zeros[4096] = { 1, 0, 2, 0 };
        int fd;

        (void) state;
        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        (void) mkfifo(fifo, 0600);
        assert_int_equal(sink_add_file(f->s, "fifo", f->root_fd, "fifo", 0), -EBADFD);
        snprintf(shadow, sizeof(shadow), "%s/etc", dir);
        (void) mkdir(shadow, 0700);
        snprintf(shadow, sizeof(shadow), "%s/etc/shadow", dir);
        fd = open(shadow, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_int_equal(write(fd, "root:$6$x:1::\n", 14), 14);
        close(fd);
        assert_int_equal(sink_add_file(f->s, "etc/shadow", f->root_fd, "/etc/shadow", 0), -EPERM);
        snprintf(bin, sizeof(bin), "%s/blob", dir);
        fd = open(bin, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_int_equal(write(fd, zeros, sizeof(zeros)), (ssize_t) sizeof(zeros));
        close(fd);
        assert_int_equal(sink_add_file(f->s, "blob", f->root_fd, "blob", 0), 0);
        assert_null(member(f, "blob"));
        assert_null(member(f, "etc/shadow"));
        assert_null(finish_and_read(f, "etc/shadow", &st));
        assert_non_null(strstr(st.note, "FIFO"));
        assert_non_null(strstr(st.note, "never collected"));
        assert_non_null(strstr(st.note, "binary"));
        free(st.note);
        fixture_free(f);
}

static void test_command(void **state)
{
        struct fixture *f = fixture_new(1 << 20, 1 << 20);
        struct collector_status st = {};
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "echo hello; exit 4", NULL };
        char *argv2[] = { (char *) "sleep", (char *) "10", NULL };
        int status = 0;
        char *data;

        (void) state;
        assert_int_equal(sink_add_command(f->s, "greet", argv, 5 * USEC_PER_SEC, &status), 0);
        assert_int_equal(WEXITSTATUS(status), 4);
        assert_int_equal(sink_add_command(f->s, "slow", argv2, 200 * USEC_PER_MSEC, NULL),
                         -ETIMEDOUT);
        data = finish_and_read(f, "commands/greet.txt", &st);
        assert_non_null(strstr(data, "$ sh -c echo hello; exit 4"));
        assert_non_null(strstr(data, "hello\n"));
        assert_non_null(strstr(data, "exit status 4"));
        free(data);
        free(st.note);
        fixture_free(f);
}

static void test_finding_source(void **state)
{
        struct fixture *f = fixture_new(1 << 20, 1 << 20);
        struct collector_status st = {};
        struct finding x = { .kind = FINDING_UNIT_FAILED, .subject = "a.service", .count = 2 };

        (void) state;
        assert_int_equal(sink_add_finding(f->s, &x), 0);
        assert_int_equal(f->report.n_findings, 1);
        assert_string_equal(f->report.findings[0].source, "test");
        assert_string_equal(f->report.findings[0].subject, "a.service");
        x.kind = _FINDING_KIND_MAX;
        assert_int_equal(sink_add_finding(f->s, &x), -EINVAL);
        free(finish_and_read(f, "none", &st));
        free(st.note);
        fixture_free(f);
}

/* Writes n numbered lines to st; returns what was written (to compare). */
static char *write_lines(struct sink_stream *st, const char *tag, int from, int n)
{
        size_t cap = (size_t) n * 64 + 1, len = 0;
        char *all = malloc(cap);

        assert_non_null(all);
        for (int i = from; i < from + n; i++) {
                int k = snprintf(all + len, cap - len, "%s line %07d of the test, plain words\n",
                                 tag, i);

                assert_int_equal(sink_stream_write(st, all + len, (size_t) k), 0);
                len += (size_t) k;
        }
        return all;
}

/* A large member is staged packed (hashed, checked and compressed while it is
 * written) while another large one, open at the same time, is staged plain,
 * and small members come between them: all read back whole, with their
 * manifest digests, in a gzip file gzip accepts, and the leak check saw
 * every byte of every member once. */
static void test_packed_and_plain(void **state)
{
        struct fixture *f = fixture_new(64 << 20, 64 << 20);
        struct collector_status st = {};
        struct leakcheck *lc = NULL;
        struct leakcheck_stats ls = {};
        struct sink_stream *a, *b;
        char *want_a, *want_a2, *want_b, *got, hex[65], cmd[600];
        json_t *hits = NULL;
        size_t la;

        (void) state;
        assert_int_equal(leakcheck_new(&lc), 0);
        bundle_set_leakcheck(f->b, lc);
        assert_int_equal(sink_open_stream(f->s, "big-a.log", "/a", SINK_KEEP_TAIL, &a), 0);
        want_a = write_lines(a, "a", 0, 30000); /* over 1 MiB while alone: packed */
        assert_int_equal(sink_open_stream(f->s, "big-b.log", "/b", SINK_KEEP_TAIL, &b), 0);
        want_b = write_lines(b, "b", 0, 30000); /* b grows while a packs: plain */
        assert_int_equal(sink_add_data(f->s, "small.txt", "small\n", 6, 0), 0);
        want_a2 = write_lines(a, "a", 30000, 5000);
        assert_int_equal(sink_stream_close(a, false), 0);
        assert_int_equal(sink_stream_close(b, false), 0);
        assert_int_equal(sink_flush(f->s), 0);
        la = strlen(want_a);
        want_a = realloc(want_a, la + strlen(want_a2) + 1);
        strcpy(want_a + la, want_a2);

        const char *names[] = { "big-a.log", "big-b.log" };
        const char *wants[] = { want_a, want_b };
        for (size_t i = 0; i < 2; i++) {
                json_t *m = member(f, names[i]);

                assert_non_null(m);
                sha256_hex(wants[i], strlen(wants[i]), hex);
                assert_string_equal(json_string_value(json_object_get(m, "sha256")), hex);
                assert_int_equal(json_integer_value(json_object_get(m, "size")),
                                 (json_int_t) strlen(wants[i]));
        }
        assert_int_equal(leakcheck_sync(lc, &hits, &ls), 0);
        assert_int_equal(ls.members, 3);
        assert_int_equal(ls.bytes, strlen(want_a) + strlen(want_b) + 6);
        got = finish_and_read(f, "big-a.log", &st);
        assert_string_equal(got, want_a);
        free(got);
        got = read_member(f, "big-b.log");
        assert_string_equal(got, want_b);
        free(got);
        got = read_member(f, "small.txt");
        assert_string_equal(got, "small\n");
        free(got);
        snprintf(cmd, sizeof(cmd), "gzip -t '%s'", f->path);
        assert_int_equal(system(cmd), 0);
        json_decref(hits);
        free(want_a);
        free(want_a2);
        free(want_b);
        free(st.note);
        fixture_free(f);
        leakcheck_free(lc);
}

/* A member packed as it grew, then cut to its newest part: it is inflated
 * back, cut at a line start, and its digest and leak check (its counts too)
 * are those of what is kept. */
static void test_packed_then_cut(void **state)
{
        const uint64_t limit = 3u << 20;
        struct fixture *f = fixture_new(64 << 20, limit);
        struct collector_status st = {};
        struct leakcheck *lc = NULL;
        struct leakcheck_stats ls = {};
        struct sink_stream *a;
        char *all, *got, hex[65];
        const char *tail;
        json_t *m;
        size_t len;

        (void) state;
        assert_int_equal(leakcheck_new(&lc), 0);
        bundle_set_leakcheck(f->b, lc);
        assert_int_equal(sink_open_stream(f->s, "cut.log", "/c", SINK_KEEP_TAIL, &a), 0);
        all = write_lines(a, "c", 0, 200000); /* about 9 MB: packed at 1 MiB, cut at 7 MiB */
        assert_int_equal(sink_stream_close(a, false), 0);
        len = strlen(all);
        tail = all + len - limit;
        tail = strchr(tail, '\n') + 1; /* the cut keeps whole lines */
        m = member(f, "cut.log");
        assert_non_null(m);
        assert_true(json_is_true(json_object_get(m, "truncated")));
        sha256_hex(tail, strlen(tail), hex);
        assert_string_equal(json_string_value(json_object_get(m, "sha256")), hex);
        assert_int_equal(leakcheck_sync(lc, NULL, &ls), 0);
        /* the packed check of the whole member was dropped: only what is kept counts */
        assert_int_equal(ls.members, 1);
        assert_int_equal(ls.bytes, strlen(tail));
        got = finish_and_read(f, "cut.log", &st);
        assert_string_equal(got, tail);
        free(got);
        free(all);
        free(st.note);
        fixture_free(f);
        leakcheck_free(lc);
}

/* Lines i of tag into st, appended to all; line at holds a token the leak
 * check knows (the stream is not redacted). */
static void side_lines(struct sink_stream *st, const char *tag, int from, int n, long at,
                       struct dynbuf *all)
{
        for (int i = from; i < from + n; i++) {
                char line[160];
                int k = snprintf(line, sizeof(line), "%s line %07d%s\n", tag, i,
                                 i == at ? " token ghp_Planted0123456789abcdefXYZXYZXYZ0123" :
                                           " of the test, plain words");

                assert_int_equal(dynbuf_add(all, line, (size_t) k), 0);
                assert_int_equal(sink_stream_write(st, line, (size_t) k), 0);
        }
}

/* Members staged plain side by side (as the journal's units are) are hashed
 * as they are staged: the digests are those of the members, also of one cut
 * to its newest part at the end (hashed again); the leak check finds the
 * token of one once, under its name, not the one cut away, counts each
 * member's bytes once, and the finished file's check agrees. */
static void test_plain_side_by_side(void **state)
{
        const uint64_t limit = 1u << 20;
        const unsigned flags = SINK_KEEP_TAIL | SINK_NO_REDACT;
        struct fixture *f = fixture_new(64 << 20, limit);
        struct collector_status st = {};
        struct leakcheck *lc = NULL;
        struct leakcheck_stats ls = {};
        struct sink_stream *u[3];
        struct dynbuf all[3];
        char hex[65];
        const char *names[] = { "u1.log", "u2.log", "u3.log" }, *tail;
        json_t *hits = NULL, *file_hits = NULL;

        (void) state;
        assert_int_equal(leakcheck_new(&lc), 0);
        bundle_set_leakcheck(f->b, lc);
        for (size_t i = 0; i < 3; i++) {
                dynbuf_init(&all[i], 64 << 20);
                assert_int_equal(sink_open_stream(f->s, names[i], "/u", flags, &u[i]), 0);
        }
        /* u1 0.7 MB (a token), u2 0.4 MB, u3 2.1 MB (a token in what is cut away) */
        for (int b = 0; b < 10; b++) {
                side_lines(u[0], "u1", b * 1500, 1500, 7777, &all[0]);
                side_lines(u[1], "u2", b * 900, 900, -1, &all[1]);
                side_lines(u[2], "u3", b * 4500, 4500, 10, &all[2]);
        }
        /* u3 first, while the others are open: cut, not packed */
        assert_int_equal(sink_stream_close(u[2], false), 0);
        assert_int_equal(sink_stream_close(u[0], false), 0);
        assert_int_equal(sink_stream_close(u[1], false), 0);
        tail = strchr(all[2].buf + all[2].len - limit, '\n') + 1;
        for (size_t i = 0; i < 3; i++) {
                json_t *m = member(f, names[i]);
                const char *want = i == 2 ? tail : all[i].buf;

                assert_non_null(m);
                sha256_hex(want, strlen(want), hex);
                assert_string_equal(json_string_value(json_object_get(m, "sha256")), hex);
        }
        assert_int_equal(leakcheck_sync(lc, &hits, &ls), 1);
        assert_int_equal(json_array_size(hits), 1);
        assert_non_null(
                strstr(json_string_value(json_object_get(json_array_get(hits, 0), "member")),
                       "/u1.log"));
        assert_int_equal(ls.members, 3);
        assert_int_equal(ls.bytes, all[0].len + all[1].len + strlen(tail));
        sink_end(f->s, &st);
        assert_int_equal(bundle_finish(f->b), 0);
        assert_int_equal(leakcheck_bundle(bundle_tmp_path(f->b), &file_hits), 1);
        assert_int_equal(json_array_size(file_hits), 1);
        json_decref(hits);
        json_decref(file_hits);
        for (size_t i = 0; i < 3; i++)
                dynbuf_done(&all[i]);
        free(st.note);
        fixture_free(f);
        leakcheck_free(lc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_head_cut),
                cmocka_unit_test(test_tail_keeps_newest),
                cmocka_unit_test(test_redacts_and_lists),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_command),
                cmocka_unit_test(test_finding_source),
                cmocka_unit_test(test_packed_and_plain),
                cmocka_unit_test(test_packed_then_cut),
                cmocka_unit_test(test_plain_side_by_side),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
