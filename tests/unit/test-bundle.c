/* SPDX-License-Identifier: MIT */
/*
 * Tests of the bundle writer (agent/pipeline/bundle.c): members read back with
 * libarchive's reader, mode 0600, one top directory, the archive's SHA-256,
 * a member spanning many gzip members read back byte for byte, and a write
 * failure (file size limit) that leaves nothing behind.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "pipeline/bundle.h"
#include "redact/redact.h"

static char dir[] = "/tmp/collect-test-bundle-XXXXXX";

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static void test_roundtrip(void **state)
{
        char path[512], hex[65], tmpl[] = "/tmp/collect-test-member-XXXXXX";
        struct bundle *b = NULL;
        struct archive *a;
        struct archive_entry *e;
        struct stat st;
        int fd, n = 0;

        (void) state;
        snprintf(path, sizeof(path), "%s/collect-h-20261127T100000Z.tar.gz", dir);
        assert_int_equal(bundle_new(path, 1795773600ULL * USEC_PER_SEC, &b), 0);
        assert_int_equal(bundle_add_data(b, "a/one.txt", "hello\n", 6, hex), 0);
        assert_string_equal(hex,
                            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        fd = mkstemp(tmpl);
        assert_true(fd >= 0);
        unlink(tmpl);
        for (int i = 0; i < 10000; i++)
                assert_int_equal(write(fd, "0123456789\n", 11), 11);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(bundle_add_fd(b, "b/two.log", fd, 110000, hex), 0);
        close(fd);
        assert_int_equal(bundle_add_data(b, "manifest.json", "{}", 2, NULL), 0);
        /* not visible before commit */
        assert_true(access(path, F_OK) < 0);
        assert_int_equal(bundle_commit(b), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_true(bundle_bytes(b) == (uint64_t) st.st_size);
        assert_int_equal(strlen(bundle_sha256(b)), 64);
        {
                char tmp[600];

                snprintf(tmp, sizeof(tmp), "%s.tmp", path);
                assert_true(access(tmp, F_OK) < 0);
        }
        bundle_free(b);

        a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);

                assert_true(strncmp(name, "collect-h-20261127T100000Z/", 27) == 0);
                assert_int_equal(archive_entry_perm(e), 0600);
                if (strcmp(name + 27, "b/two.log") == 0)
                        assert_int_equal(archive_entry_size(e), 110000);
                n++;
        }
        assert_int_equal(archive_format(a) & ARCHIVE_FORMAT_BASE_MASK, ARCHIVE_FORMAT_TAR);
        archive_read_free(a);
        assert_int_equal(n, 3);
}

static void test_multi_member(void **state)
{
        const size_t n = 5 * 1024 * 1024 + 333;
        char path[512], hex[65];
        struct bundle *b = NULL;
        struct archive *a;
        struct archive_entry *e;
        char *data = malloc(n), *back = malloc(n);
        la_ssize_t got;
        size_t off = 0;

        (void) state;
        assert_non_null(data);
        assert_non_null(back);
        for (size_t i = 0; i < n; i++)
                data[i] = (char) (i % 73 == 72 ? '\n' : 'A' + (i * 7919 / 13) % 26);
        snprintf(path, sizeof(path), "%s/multi.tar.gz", dir);
        assert_int_equal(bundle_new(path, 0, &b), 0);
        assert_int_equal(bundle_set_compression(b, 12), -ERANGE);
        assert_int_equal(bundle_set_compression(b, 1), 0);
        assert_int_equal(bundle_add_data(b, "big.log", data, n, hex), 0);
        assert_int_equal(bundle_set_compression(b, 6), -EBUSY);
        assert_int_equal(bundle_commit(b), 0);
        bundle_free(b);

        a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
        assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
        assert_int_equal(archive_entry_size(e), (la_int64_t) n);
        while (off < n && (got = archive_read_data(a, back + off, n - off)) > 0)
                off += (size_t) got;
        assert_int_equal(off, n);
        assert_memory_equal(back, data, n);
        assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
        archive_read_free(a);
        free(data);
        free(back);
}

static void test_exists(void **state)
{
        char path[512];
        struct bundle *b = NULL;
        int fd;

        (void) state;
        snprintf(path, sizeof(path), "%s/exists.tar.gz", dir);
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(fd);
        assert_int_equal(bundle_new(path, 0, &b), -EEXIST);
        assert_int_equal(bundle_new("/nonexistent-dir/x.tar.gz", 0, &b), -ENOENT);
}

static void test_write_failure_leaves_nothing(void **state)
{
        struct rlimit old, small = { 64 * 1024, 64 * 1024 };
        char path[512], tmp[600];
        struct bundle *b = NULL;
        char *junk;
        int r = 0;

        (void) state;
        snprintf(path, sizeof(path), "%s/full.tar.gz", dir);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &old);
        setrlimit(RLIMIT_FSIZE, &small);
        assert_int_equal(bundle_new(path, 0, &b), 0);
        junk = malloc(1 << 20);
        for (size_t i = 0; i < (1 << 20); i++)
                junk[i] = (char) (random() & 0xff); /* incompressible */
        for (int i = 0; i < 4 && r >= 0; i++)
                r = bundle_add_data(b, "junk", junk, 1 << 20, NULL);
        if (r >= 0)
                r = bundle_commit(b);
        setrlimit(RLIMIT_FSIZE, &old);
        assert_true(r < 0);
        bundle_free(b);
        assert_true(access(tmp, F_OK) < 0);
        assert_true(access(path, F_OK) < 0);
        free(junk);
}

/* A staged member of n bytes of ordinary lines with token planted at offset at. */
static int staged(size_t n, const char *token, size_t at)
{
        char tmpl[] = "/tmp/collect-test-member-XXXXXX";
        int fd = mkstemp(tmpl);
        char *buf = malloc(n);

        assert_true(fd >= 0 && buf);
        unlink(tmpl);
        for (size_t i = 0; i < n; i++)
                buf[i] = i % 64 == 63 ? '\n' : (char) ('a' + i % 23);
        if (token)
                memcpy(buf + at, token, strlen(token));
        assert_int_equal(write(fd, buf, n), (ssize_t) n);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        free(buf);
        return fd;
}

/* The streamed leak check sees what the bundle holds: the same hits as the
 * check of the finished file, also for a token cut by a 64 KiB chunk edge and
 * for members written on the writer thread; members keep their order; a
 * digest given with a staged member is the one handed back (not made again). */
static void test_streamed_leak_check(void **state)
{
        const char *token = " ghp_Planted0123456789abcdefXYZXYZXYZ ";
        const char *given = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char path[512], hex[65], tag_hex[65];
        struct bundle *b = NULL;
        struct leakcheck *lc = NULL;
        struct leakcheck_stats st = {};
        json_t *hits = NULL, *file_hits = NULL;
        uint64_t tag = 0;
        int fd;

        (void) state;
        snprintf(path, sizeof(path), "%s/collect-h-20261127T110000Z.tar.gz", dir);
        assert_int_equal(bundle_new(path, 1795773600ULL * USEC_PER_SEC, &b), 0);
        assert_int_equal(leakcheck_new(&lc), 0);
        bundle_set_leakcheck(b, lc);
        assert_int_equal(bundle_add_data(b, "a/clean.txt", "hello\n", 6, hex), 0);
        fd = staged(300000, token, 65536 - 10); /* across the first chunk edge */
        assert_int_equal(bundle_add_fd_async(b, "b/one.log", fd, 300000, NULL, 7), 0);
        fd = staged(100000, NULL, 0);
        assert_int_equal(bundle_add_fd_async(b, "b/two.log", fd, 100000, given, 8), 0);
        assert_int_equal(bundle_reap(b, true, &tag, tag_hex), 1);
        assert_int_equal(tag, 7);
        assert_int_equal(strlen(tag_hex), 64);
        assert_string_not_equal(tag_hex, given);
        /* synchronous adds wait for the queue: the order stays */
        assert_int_equal(bundle_add_data(b, "c/last.txt", "x ghp_\n", 7, NULL), 0);
        assert_int_equal(bundle_reap(b, false, &tag, tag_hex), 1);
        assert_int_equal(tag, 8);
        assert_string_equal(tag_hex, given);
        assert_int_equal(bundle_jobs(b), 0);
        assert_int_equal(leakcheck_sync(lc, &hits, &st), 1);
        assert_int_equal(st.members, 4);
        assert_int_equal(st.bytes, 6 + 300000 + 100000 + 7);
        assert_string_equal(json_string_value(json_object_get(json_array_get(hits, 0), "member")),
                            "collect-h-20261127T110000Z/b/one.log");
        assert_int_equal(bundle_finish(b), 0);
        assert_int_equal(leakcheck_bundle(bundle_tmp_path(b), &file_hits), 1);
        assert_true(json_equal(hits, file_hits));
        {
                struct archive *a = archive_read_new();
                struct archive_entry *e;
                const char *want[] = { "a/clean.txt", "b/one.log", "b/two.log", "c/last.txt" };
                size_t k = 0;

                archive_read_support_filter_gzip(a);
                archive_read_support_format_tar(a);
                assert_int_equal(archive_read_open_filename(a, bundle_tmp_path(b), 10240),
                                 ARCHIVE_OK);
                while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                        assert_true(k < ELEMENTSOF(want));
                        assert_string_equal(archive_entry_pathname(e) + 27, want[k++]);
                }
                assert_int_equal(k, ELEMENTSOF(want));
                archive_read_free(a);
        }
        json_decref(hits);
        json_decref(file_hits);
        bundle_free(b);
        leakcheck_free(lc);
}

/* Many small members share a chunk of the streamed check: each is still
 * checked on its own (a token cut between two members is no hit, a member's
 * last line without a newline is checked), with the hits of the file check. */
static void test_streamed_leak_check_small_members(void **state)
{
        const char *token = "x ghp_Planted0123456789abcdefXYZXYZXYZ y\n";
        char path[512], name[64], body[600];
        struct bundle *b = NULL;
        struct leakcheck *lc = NULL;
        struct leakcheck_stats st = {};
        json_t *hits = NULL, *file_hits = NULL;
        uint64_t bytes = 0;
        int planted = 0;

        (void) state;
        snprintf(path, sizeof(path), "%s/collect-h-20261127T120000Z.tar.gz", dir);
        assert_int_equal(bundle_new(path, 1795773600ULL * USEC_PER_SEC, &b), 0);
        assert_int_equal(leakcheck_new(&lc), 0);
        bundle_set_leakcheck(b, lc);
        for (int i = 0; i < 400; i++) {
                size_t n = (size_t) snprintf(body, sizeof(body), "line %d of member %d\n", i, i);

                for (; n < 200u + (size_t) (i % 7) * 50u; n++)
                        body[n] = (char) ('a' + n % 23);
                if (i % 97 == 5) { /* a token, at a different place each time */
                        memcpy(body + n, token, strlen(token));
                        n += strlen(token);
                        planted++;
                }
                if (i == 200) /* the head of a token ends this member ... */
                        n += (size_t) snprintf(body + n, 40, "ghp_Planted01234");
                if (i == 201) /* ... its tail begins the next one: no hit */
                        n = (size_t) snprintf(body, sizeof(body), "56789abcdefXYZXYZXYZ\n");
                if (i == 300) /* the last line without a newline */
                        n += (size_t) snprintf(body + n, 60, "\n%s", token + 2) - 1;
                snprintf(name, sizeof(name), "m/%03d.log", i);
                assert_int_equal(bundle_add_data(b, name, body, n, NULL), 0);
                bytes += n;
        }
        planted++; /* member 300 */
        assert_int_equal(leakcheck_sync(lc, &hits, &st), planted);
        assert_int_equal(st.members, 400);
        assert_int_equal(st.bytes, bytes);
        assert_int_equal(bundle_finish(b), 0);
        assert_int_equal(leakcheck_bundle(bundle_tmp_path(b), &file_hits), planted);
        assert_true(json_equal(hits, file_hits));
        json_decref(hits);
        json_decref(file_hits);
        bundle_free(b);
        leakcheck_free(lc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_streamed_leak_check),
                cmocka_unit_test(test_streamed_leak_check_small_members),
                cmocka_unit_test(test_multi_member),
                cmocka_unit_test(test_exists),
                cmocka_unit_test(test_write_failure_leaves_nothing),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
