/* SPDX-License-Identifier: MIT */
/*
 * Tests of what the pipeline keeps and how it names (agent/pipeline/retention.c,
 * agent/pipeline/bundle.c): pruning by age and total size with the newest
 * kept, renames that never replace, and the sweep of stale temporary bundles
 * that skips one a live writer holds.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fd-util.h"
#include "pipeline/bundle.h"
#include "pipeline/retention.h"
#include "ticket/spool.h"

static char dir[] = "/tmp/collect-test-retention-XXXXXX";

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

/* A failed assertion must not leave the small file system mounted. */
static int teardown(void **state)
{
        char mnt[512];

        (void) state;
        snprintf(mnt, sizeof(mnt), "%s/full", dir);
        (void) umount2(mnt, MNT_DETACH);
        return 0;
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
        assert_int_equal(retention_prune(b, NULL, &p), 2);
        assert_false(exists(old));
        assert_false(exists(big));
        assert_true(exists(newest) && exists(fits) && exists(other));

        /* The newest stays even when it alone is over the limit. */
        p.retention_max_size = 10;
        assert_int_equal(retention_prune(b, NULL, &p), 1);
        assert_true(exists(newest));
        assert_false(exists(fits));
        /* No directories at all: nothing to do. */
        snprintf(b, sizeof(b), "%s/absent", dir);
        assert_int_equal(retention_prune(b, NULL, &p), 0);
}

/* Spools one submission of a bundle of size bytes, age seconds old. */
static void spool_one(const char *spool, const char *id, const char *bundle, size_t size,
                      time_t age)
{
        struct spool_entry *e = NULL;
        json_t *req = json_pack("{s:s}", "action", "open");
        char in_spool[700];

        make_file(bundle, size, age);
        assert_int_equal(spool_entry_create(spool, id, bundle, req, NULL, &e), 0);
        spool_entry_free(e);
        json_decref(req);
        snprintf(in_spool, sizeof(in_spool), "%s/%s/bundle.tar.gz", spool, id);
        assert_int_equal(unlink(in_spool), 0); /* a file of its own, not a link */
        make_file(in_spool, size, age);
}

static void test_prune_spool(void **state)
{
        struct policy p = { .retention_max_age = 7 * USEC_PER_DAY, .retention_max_size = 1000 };
        char st[512], spool[512], b[600], kept[700], held[700], lockp[700];
        struct spool_entry *e = NULL;
        json_t *req = NULL, *s = NULL;
        usec_t created;
        char *why;
        int fd;

        (void) state;
        snprintf(st, sizeof(st), "%s/s2/state", dir);
        snprintf(spool, sizeof(spool), "%s/s2/spool", dir);
        snprintf(b, sizeof(b), "%s/s2/state/" RETENTION_BUNDLE_DIR, dir);
        assert_int_equal(mkdir_p(b, 0700), 0);
        snprintf(kept, sizeof(kept), "%s/collect-h-1.tar.gz", b);
        make_file(kept, 600, 60); /* newest */
        snprintf(b, sizeof(b), "%s/s2/src.tar.gz", dir);
        spool_one(spool, "old", b, 10, 8 * 86400);  /* too old */
        spool_one(spool, "big", b, 500, 300);       /* over the size with the newest */
        spool_one(spool, "busy", b, 10, 9 * 86400); /* too old, but being sent */
        snprintf(lockp, sizeof(lockp), "%s/busy/lock", spool);
        fd = open(lockp, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);

        assert_int_equal(retention_prune(st, spool, &p), 2);
        close(fd);
        assert_true(exists(kept));
        snprintf(held, sizeof(held), "%s/busy/bundle.tar.gz", spool);
        assert_true(exists(held));
        /* Pruned: the bundle is gone, the submission stays, marked. */
        assert_int_equal(spool_entry_open(spool, "old", &e), 0);
        assert_null(e->bundle);
        why = spool_entry_unsendable(e->state, false);
        assert_non_null(why);
        assert_non_null(strstr(why, "pruned"));
        assert_non_null(strstr(why, "max_age"));
        free(why);
        spool_entry_free(e);
        assert_int_equal(spool_entry_peek(spool, "big", &req, &s, &created), 0);
        why = spool_entry_unsendable(s, false);
        assert_non_null(strstr(why, "max_size"));
        free(why);
        json_decref(req);
        json_decref(s);
        /* Once attached, a missing bundle is no loss. */
        s = json_pack("{s:b}", "attached", 1);
        assert_null(spool_entry_unsendable(s, false));
        json_decref(s);
        s = json_object();
        why = spool_entry_unsendable(s, false);
        assert_string_equal(why, "its bundle is missing");
        free(why);
        assert_null(spool_entry_unsendable(s, true));
        json_decref(s);
}

/* A spooled bundle linked to a kept one takes no room of its own. */
static void test_prune_links(void **state)
{
        struct policy p = { .retention_max_age = 7 * USEC_PER_DAY, .retention_max_size = 1000 };
        char st[512], spool[512], b[600], kept[700], other[700], in_spool[700];
        struct spool_entry *e = NULL;
        json_t *req = json_pack("{s:s}", "action", "open");

        (void) state;
        snprintf(st, sizeof(st), "%s/s3/state", dir);
        snprintf(spool, sizeof(spool), "%s/s3/spool", dir);
        snprintf(b, sizeof(b), "%s/s3/state/" RETENTION_BUNDLE_DIR, dir);
        assert_int_equal(mkdir_p(b, 0700), 0);
        snprintf(kept, sizeof(kept), "%s/collect-h-1.tar.gz", b);
        snprintf(other, sizeof(other), "%s/collect-h-2.tar.gz", b);
        make_file(kept, 600, 60);
        make_file(other, 300, 120);
        assert_int_equal(spool_entry_create(spool, "linked", kept, req, NULL, &e), 0);
        spool_entry_free(e);
        json_decref(req);
        assert_int_equal(retention_prune(st, spool, &p), 0);
        snprintf(in_spool, sizeof(in_spool), "%s/linked/bundle.tar.gz", spool);
        assert_true(exists(kept) && exists(other) && exists(in_spool));
}

static uint64_t free_bytes(const char *path)
{
        struct statvfs sv;

        assert_int_equal(statvfs(path, &sv), 0);
        return (uint64_t) sv.f_bavail * sv.f_frsize;
}

/* True if dir holds a temporary file (nothing half-written stays). */
static bool has_tmp(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        bool found = false;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strstr(de->d_name, "tmp"))
                        found = true;
        closedir(d);
        return found;
}

/* Fills the file system of dir up to the last byte with one file. */
static void fill_up(const char *path)
{
        char buf[4096] = {};
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        while (write(fd, buf, sizeof(buf)) > 0)
                ;
        while (write(fd, buf, 1) > 0)
                ;
        close(fd);
}

/*
 * The spool's file system is full: saving the new state fails, yet the
 * bundle must go (the one case where retention has to free room) and the
 * submission must never look sendable afterwards.
 */
static void test_prune_spool_full_disk(void **state)
{
        struct policy p = { .retention_max_age = 7 * USEC_PER_DAY, .retention_max_size = 1 << 30 };
        char mnt[512], st[512], spool[600], src[512], filler[600], in_spool[700], tmp[700];
        char newest[700];
        struct spool_entry *e = NULL;
        uint64_t before;
        char *why;

        (void) state;
        snprintf(mnt, sizeof(mnt), "%s/full", dir);
        snprintf(st, sizeof(st), "%s/s5/state", dir);
        snprintf(src, sizeof(src), "%s/s5/src.tar.gz", dir);
        assert_int_equal(mkdir_p(mnt, 0700), 0);
        snprintf(newest, sizeof(newest), "%s/" RETENTION_BUNDLE_DIR, st);
        assert_int_equal(mkdir_p(newest, 0700), 0);
        snprintf(newest, sizeof(newest), "%s/" RETENTION_BUNDLE_DIR "/collect-h-1.tar.gz", st);
        make_file(newest, 10, 60); /* the newest stays whatever the limits */
        if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k,mode=0700") < 0) {
                skip(); /* needs root or a mount namespace */
                return;
        }
        snprintf(spool, sizeof(spool), "%s/spool", mnt);
        spool_one(spool, "old", src, 64 << 10, 8 * 86400);
        snprintf(filler, sizeof(filler), "%s/filler", mnt);
        fill_up(filler);
        before = free_bytes(mnt);
        assert_true(before < 4096);

        assert_int_equal(retention_prune(st, spool, &p), 1);
        snprintf(in_spool, sizeof(in_spool), "%s/old/bundle.tar.gz", spool);
        assert_false(exists(in_spool));
        assert_true(free_bytes(mnt) >= before + (64 << 10));
        snprintf(tmp, sizeof(tmp), "%s/old", spool);
        assert_false(has_tmp(tmp));
        assert_int_equal(spool_entry_open(spool, "old", &e), 0);
        assert_null(e->bundle);
        why = spool_entry_unsendable(e->state, false);
        assert_non_null(why);
        free(why);
        spool_entry_free(e);
        assert_int_equal(umount2(mnt, MNT_DETACH), 0);
}

/* A bundle that cannot be removed stays sendable: the mark is taken back. */
static void test_prune_spool_unlink_fails(void **state)
{
        char spool[512], src[512], in_spool[700], inner[800];
        struct spool_entry *e = NULL;
        json_t *req = NULL, *s = NULL;
        usec_t created;

        (void) state;
        snprintf(spool, sizeof(spool), "%s/s6/spool", dir);
        snprintf(src, sizeof(src), "%s/s6/src.tar.gz", dir);
        assert_int_equal(mkdir_p(spool, 0700), 0);
        spool_one(spool, "stuck", src, 100, 8 * 86400);
        snprintf(in_spool, sizeof(in_spool), "%s/stuck/bundle.tar.gz", spool);
        assert_int_equal(spool_entry_open(spool, "stuck", &e), 0);
        assert_non_null(e->bundle);
        /* unlink(2) refuses a directory: the removal fails after the save. */
        assert_int_equal(unlink(in_spool), 0);
        assert_int_equal(mkdir(in_spool, 0700), 0);
        snprintf(inner, sizeof(inner), "%s/x", in_spool);
        make_file(inner, 1, 0);
        assert_true(spool_entry_prune_bundle(e, "max_age") < 0);
        assert_non_null(e->bundle);
        assert_null(json_object_get(e->state, "bundle_pruned"));
        spool_entry_free(e);
        assert_int_equal(spool_entry_peek(spool, "stuck", &req, &s, &created), 0);
        assert_null(json_object_get(s, "bundle_pruned"));
        assert_null(spool_entry_unsendable(s, true));
        json_decref(req);
        json_decref(s);
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
                cmocka_unit_test(test_prune_spool),
                cmocka_unit_test(test_prune_links),
                cmocka_unit_test(test_rename_noreplace),
                cmocka_unit_test(test_sweep),
                cmocka_unit_test(test_bundle_name_taken),
                cmocka_unit_test(test_prune_spool_full_disk),
                cmocka_unit_test(test_prune_spool_unlink_fails),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
