/* SPDX-License-Identifier: MIT */
/*
 * Tests of include/fd-util.h: open_beneath() keeps every path inside the
 * root (absolute and relative links out of it land inside or fail), never
 * blocks on a FIFO; open_beneath_direct() says "no link followed" only when
 * the path given is the path opened; read_file_beneath() refuses what is not a regular file
 * and bounds what it reads; mkdir_p.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fd-util.h"

static char base[] = "/tmp/collect-test-fd-XXXXXX";
static char root[256], outside[256];

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        char p[512];

        (void) state;
        if (!mkdtemp(base))
                return -1;
        snprintf(root, sizeof(root), "%s/root", base);
        snprintf(outside, sizeof(outside), "%s/outside.txt", base);
        snprintf(p, sizeof(p), "%s/etc", root);
        if (mkdir_p(p, 0755) < 0)
                return -1;
        snprintf(p, sizeof(p), "%s/etc/hostname", root);
        write_file(p, "inside\n");
        write_file(outside, "OUTSIDE\n");
        snprintf(p, sizeof(p), "%s/etc/abs-link", root);
        if (symlink(outside, p) < 0)
                return -1;
        snprintf(p, sizeof(p), "%s/etc/rel-link", root);
        if (symlink("../../outside.txt", p) < 0)
                return -1;
        snprintf(p, sizeof(p), "%s/etc/good-link", root);
        if (symlink("/etc/hostname", p) < 0)
                return -1;
        snprintf(p, sizeof(p), "%s/etc/fifo", root);
        return mkfifo(p, 0600);
}

static void test_inside(void **state)
{
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *data = NULL;
        size_t n;

        (void) state;
        assert_int_equal(read_file_beneath(dfd, "/etc/hostname", 1024, &data, &n), 0);
        assert_string_equal(data, "inside\n");
        assert_int_equal(n, 7);
        free(data);
        /* an absolute link resolves inside the root, like a chroot */
        assert_int_equal(read_file_beneath(dfd, "etc/good-link", 1024, &data, NULL), 0);
        assert_string_equal(data, "inside\n");
        free(data);
        close(dfd);
}

static void test_links_out(void **state)
{
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *data = NULL;
        int r;

        (void) state;
        /* the link to the absolute outside path cannot reach it */
        r = read_file_beneath(dfd, "etc/abs-link", 1024, &data, NULL);
        assert_true(r < 0 || !strstr(data, "OUTSIDE"));
        free(data);
        data = NULL;
        r = read_file_beneath(dfd, "etc/rel-link", 1024, &data, NULL);
        assert_true(r < 0 || !strstr(data, "OUTSIDE"));
        free(data);
        data = NULL;
        r = read_file_beneath(dfd, "../outside.txt", 1024, &data, NULL);
        assert_true(r < 0 || !strstr(data, "OUTSIDE"));
        free(data);
        close(dfd);
}

static void test_not_regular(void **state)
{
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *data = NULL;
        int fd;

        (void) state;
        /* a FIFO with no writer would block a plain open: this returns at once */
        fd = open_beneath(dfd, "etc/fifo", O_RDONLY);
        assert_true(fd >= 0);
        close(fd);
        /* O_PATH handles (directories for walking) work too */
        fd = open_beneath(dfd, "etc", O_PATH | O_DIRECTORY);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(read_file_beneath(dfd, "etc/fifo", 1024, &data, NULL), -EBADFD);
        assert_int_equal(read_file_beneath(dfd, "etc", 1024, &data, NULL), -EBADFD);
        assert_int_equal(read_file_beneath(dfd, "etc/missing", 1024, &data, NULL), -ENOENT);
        assert_int_equal(read_file_beneath(dfd, "etc/hostname", 3, &data, NULL), -EFBIG);
        close(dfd);
}

/* What /proc says fd is, inside the root ("/etc/hostname"), or "". */
static void proc_path(int fd, char *buf, size_t size)
{
        char proc[64], full[1024];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, full, sizeof(full) - 1);
        assert_true(n > 0);
        full[n] = 0;
        buf[0] = 0;
        if (strncmp(full, root, strlen(root)) == 0)
                snprintf(buf, size, "%s", full + strlen(root));
}

static void test_direct(void **state)
{
        static const struct {
                const char *path;
                bool direct;
        } cases[] = {
                { "/etc/hostname", true },
                { "etc/hostname", true },
                { "etc", true },
                { "etc/good-link", false },
                { "linkdir/hostname", false },
                { "/linkdir/hostname", false },
                { "etc/./hostname", false },
                { "etc//hostname", false },
                { "etc/../etc/hostname", false },
                { "./etc/hostname", false },
                { "etc/abs-link", false },
                { "etc/rel-link", false },
        };
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char p[512], seen[512];
        bool direct = true;
        int fd;

        (void) state;
        snprintf(p, sizeof(p), "%s/linkdir", root);
        assert_int_equal(symlink("/etc", p), 0); /* a linked directory, inside the root */
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                fd = open_beneath_direct(dfd, cases[i].path, O_RDONLY, &direct);
                if (fd < 0) { /* only the links out of the root may fail */
                        assert_false(direct);
                        assert_non_null(strstr(cases[i].path, "-link"));
                        continue;
                }
                assert_int_equal(direct, cases[i].direct);
                proc_path(fd, seen, sizeof(seen));
                if (direct) /* then the path given is the path opened */
                        assert_string_equal(seen,
                                            cases[i].path[0] == '/' ?
                                                    cases[i].path :
                                                    (snprintf(p, sizeof(p), "/%s", cases[i].path),
                                                     p));
                else /* never outside the root */
                        assert_true(seen[0] == '/');
                close(fd);
        }
        fd = open_beneath_direct(dfd, "etc/missing", O_RDONLY, &direct);
        assert_int_equal(fd, -ENOENT);
        assert_false(direct);
        /* a FIFO does not block here either */
        fd = open_beneath_direct(dfd, "etc/fifo", O_RDONLY, &direct);
        assert_true(fd >= 0 && direct);
        close(fd);
        snprintf(p, sizeof(p), "%s/linkdir", root);
        assert_int_equal(unlink(p), 0);
        close(dfd);
}

static void test_mkdir_p(void **state)
{
        char p[512];
        struct stat st;

        (void) state;
        snprintf(p, sizeof(p), "%s/a/b/c", base);
        assert_int_equal(mkdir_p(p, 0700), 0);
        assert_int_equal(mkdir_p(p, 0700), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(loop_write(-1, "x", 1), -EBADF);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_inside),      cmocka_unit_test(test_links_out),
                cmocka_unit_test(test_not_regular), cmocka_unit_test(test_direct),
                cmocka_unit_test(test_mkdir_p),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
