/* SPDX-License-Identifier: MIT */
/*
 * Tests of agent/redact/never-collect.h on a root made here: a never-collect
 * file is refused whatever route opened it (itself, a symbolic link to it, a
 * link to a link, a linked directory, a hard link), an ordinary file is not;
 * never_collect_fd_at(), given the path a direct open used, says the same as
 * never_collect_fd() asking /proc, for every file opened without a link.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "redact/never-collect.h"
#include "tree-util.h"

static char root[] = "/tmp/collect-test-nc-XXXXXX";

static void put(const char *rel, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        FILE *f;

        assert_non_null(p);
        f = fopen(p, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void link_at(const char *target, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);

        assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
        _cleanup_free_ char *a = NULL, *b = NULL;

        (void) state;
        if (!mkdtemp(root))
                return -1;
        for (const char *d = "etc\0etc/ssl\0etc/ssl/private\0var\0var/log\0"; *d;
             d += strlen(d) + 1) {
                _cleanup_free_ char *p = xasprintf("%s/%s", root, d);
                if (mkdir(p, 0755) < 0)
                        return -1;
        }
        put("etc/shadow", "root:x:1::::::\n");
        put("etc/ssl/private/server.pem", "KEY\n");
        put("etc/opasswd", "old\n");
        put("var/log/app.log", "ordinary\n");
        put("var/log/site.key", "a key by its name\n");
        link_at("/etc/shadow", "var/log/abs.log");
        link_at("../../etc/shadow", "var/log/rel.log");
        link_at("abs.log", "var/log/link-to-link.log");
        link_at("/etc/ssl/private", "var/log/keys");
        link_at("/var/log/app.log", "var/log/to-ordinary.log");
        a = xasprintf("%s/etc/opasswd", root);
        b = xasprintf("%s/var/log/hard.log", root);
        return link(a, b);
}

static int teardown(void **state)
{
        (void) state;
        return tree_remove(root);
}

static void test_every_route(void **state)
{
        static const struct {
                const char *path;
                bool refused;
        } cases[] = {
                { "/etc/shadow", true },
                { "/etc/ssl/private/server.pem", true },
                { "/etc/opasswd", true },
                { "/var/log/site.key", true }, /* a pattern without '/': the name */
                { "/var/log/abs.log", true },
                { "/var/log/rel.log", true },
                { "/var/log/link-to-link.log", true },
                { "/var/log/keys/server.pem", true }, /* a linked directory */
                { "/var/log/hard.log", true },        /* a hard link: device and inode */
                { "/var/log/app.log", false },
                { "/var/log/to-ordinary.log", false },
        };
        char *patterns[] = { (char *) "/etc/shadow", (char *) "/etc/ssl/private",
                             (char *) "/etc/opasswd", (char *) "*.key", NULL };
        _cleanup_(never_collect_freep) struct never_collect *nc = NULL;
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        size_t direct_seen = 0;

        (void) state;
        assert_true(dfd >= 0);
        assert_int_equal(never_collect_new(root, patterns, &nc), 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *via_proc = NULL, *via_path = NULL;
                struct stat st;
                bool direct;
                int fd = open_beneath_direct(dfd, cases[i].path, O_RDONLY, &direct);

                assert_true(fd >= 0);
                assert_int_equal(fstat(fd, &st), 0);
                assert_int_equal(never_collect_fd(nc, fd, &st, &via_proc), cases[i].refused);
                /* the path passed is used only when the open followed no link */
                assert_int_equal(never_collect_fd_at(nc, fd, &st, direct ? cases[i].path : NULL,
                                                     &via_path),
                                 cases[i].refused);
                if (direct) {
                        _cleanup_free_ char *via_rel = NULL;

                        /* the same path without its leading slash means the same file */
                        assert_int_equal(never_collect_fd_at(nc, fd, &st, cases[i].path + 1,
                                                             &via_rel),
                                         cases[i].refused);
                        if (cases[i].refused)
                                assert_string_equal(via_rel, cases[i].path);
                        direct_seen++;
                        assert_non_null(via_proc);
                        assert_string_equal(via_proc, cases[i].path);
                        if (cases[i].refused)
                                assert_string_equal(via_path, cases[i].path);
                        else
                                assert_null(via_path);
                }
                close(fd);
        }
        assert_int_equal(direct_seen, 6); /* the links were opened the other way */
        /* without a set nothing is refused */
        assert_false(never_collect_fd_at(NULL, dfd, NULL, "/etc/shadow", NULL));
        close(dfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_route),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
