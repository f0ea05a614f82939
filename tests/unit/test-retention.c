/* SPDX-License-Identifier: MIT */
/*
 * Tests of what the pipeline keeps and how it names (agent/pipeline/retention.c,
 * agent/pipeline/bundle.c): pruning by age and total size with the newest
 * kept, renames that never replace, and the sweep of stale temporary bundles
 * that skips one a live writer holds.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fd-util.h"
#include "pipeline/bundle.h"
#include "pipeline/retention.h"

static char dir[] = "/tmp/collect-test-retention-XXXXXX";

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static void make_file(const char *path, size_t size, time_t age)
{
        struct timespec ts[2];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        char buf[256] = {};

        assert_true(fd >= 0);
        for (size_t left = size; left > 0;) {
                size_t n = left < sizeof(buf) ? left : sizeof(buf);

                assert_int_equal(write(fd, buf, n), (ssize_t) n);
                left -= n;
        }
        close(fd);
        ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
        ts[0].tv_nsec = ts[1].tv_nsec = 0;
        assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

static void test_prune(void **state)
{
        struct policy p = { .retention_max_age = 7 * USEC_PER_DAY, .retention_max_size = 1000 };
        char b[512], q[512], old[600], newest[600], fits[600], big[600], other[600];

        (void) state;
        snprintf(b, sizeof(b), "%s/state/" RETENTION_BUNDLE_DIR, dir);
        snprintf(q, sizeof(q), "%s/state/" RETENTION_QUARANTINE_DIR, dir);
        assert_int_equal(mkdir_p(b, 0700), 0);
        assert_int_equal(mkdir_p(q, 0700), 0);
        snprintf(old, sizeof(old), "%s/collect-h-1.tar.gz", b);
        snprintf(newest, sizeof(newest), "%s/collect-h-2.tar.gz", b);
        snprintf(fits, sizeof(fits), "%s/collect-h-3.tar.gz", b);
        snprintf(big, sizeof(big), "%s/collect-h-4.tar.gz", q);
        snprintf(other, sizeof(other), "%s/notes.txt", b);
        make_file(old, 10, 8 * 86400);
        make_file(newest, 900, 60);
        make_file(fits, 50, 120);
        make_file(big, 500, 180);
        make_file(other, 5000, 9 * 86400);
        snprintf(b, sizeof(b), "%s/state", dir);
        assert_int_equal(retention_prune(b, &p), 2);
        assert_false(exists(old));
        assert_false(exists(big));
        assert_true(exists(newest) && exists(fits) && exists(other));

        /* The newest stays even when it alone is over the limit. */
        p.retention_max_size = 10;
        assert_int_equal(retention_prune(b, &p), 1);
        assert_true(exists(newest));
        assert_false(exists(fits));
        /* No directories at all: nothing to do. */
        snprintf(b, sizeof(b), "%s/absent", dir);
        assert_int_equal(retention_prune(b, &p), 0);
}

static void test_rename_noreplace(void **state)
{
        char a[512], c[512];

        (void) state;
        snprintf(a, sizeof(a), "%s/a", dir);
        snprintf(c, sizeof(c), "%s/c", dir);
        make_file(a, 1, 0);
        make_file(c, 2, 0);
        assert_int_equal(rename_noreplace(a, c), -EEXIST);
        assert_true(exists(a));
        unlink(c);
        assert_int_equal(rename_noreplace(a, c), 0);
        assert_false(exists(a));
        assert_true(exists(c));
}

static void test_sweep(void **state)
{
        char d[512], stale[600], held[600], fresh[600], other[600];
        int fd;

        (void) state;
        snprintf(d, sizeof(d), "%s/out", dir);
        assert_int_equal(mkdir_p(d, 0700), 0);
        snprintf(stale, sizeof(stale), "%s/collect-h-1.tar.gz.tmp", d);
        snprintf(held, sizeof(held), "%s/collect-h-2.tar.gz.tmp", d);
        snprintf(fresh, sizeof(fresh), "%s/collect-h-3.tar.gz.tmp", d);
        snprintf(other, sizeof(other), "%s/other.tmp", d);
        make_file(stale, 10, 7200);
        make_file(held, 10, 7200);
        make_file(fresh, 10, 60);
        make_file(other, 10, 7200);
        fd = open(held, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        assert_int_equal(bundle_sweep(d), 1);
        close(fd);
        assert_false(exists(stale));
        assert_true(exists(held) && exists(fresh) && exists(other));
}

static void test_bundle_name_taken(void **state)
{
        char path[512];
        struct bundle *b = NULL, *b2 = NULL;

        (void) state;
        snprintf(path, sizeof(path), "%s/collect-h-x.tar.gz", dir);
        assert_int_equal(bundle_new(path, 0, &b), 0);
        /* Another run cannot take the name while the first writes it. */
        assert_int_equal(bundle_new(path, 0, &b2), -EEXIST);
        assert_int_equal(bundle_commit(b), 0);
        assert_int_equal(bundle_new(path, 0, &b2), -EEXIST);
        bundle_free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prune),
                cmocka_unit_test(test_rename_noreplace),
                cmocka_unit_test(test_sweep),
                cmocka_unit_test(test_bundle_name_taken),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
