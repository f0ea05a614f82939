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
        assert_string_equal(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_multi_member),
                cmocka_unit_test(test_exists),
                cmocka_unit_test(test_write_failure_leaves_nothing),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
