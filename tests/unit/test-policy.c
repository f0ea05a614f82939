/* SPDX-License-Identifier: MIT */
/*
 * Tests of the policy loader (agent/policy/pnode.c, agent/policy/policy.c): merging
 * of drop-ins, and data-driven bad cases in tests/data/policies/bad/, each
 * starting with "# expect: LINE:COL: text" — the error must name the file,
 * the line and column, and contain the text.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/policy-load.h"
#include "policy/policy.h"
#include "strv.h"

static char *data_path(const char *rel)
{
        const char *src = getenv("COLLECT_SRCDIR");
        char *p;

        assert_true(asprintf(&p, "%s/tests/data/policies/%s", src ? src : ".", rel) > 0);
        return p;
}

static void test_builtin(void **state)
{
        struct policy *p = NULL;
        char *err = NULL;

        (void) state;
        assert_int_equal(policy_load("/nonexistent", NULL, NULL, &p, &err), 0);
        assert_null(err);
        assert_true(strv_contains(p->collectors, "environment"));
        assert_true(strv_contains(p->collectors, "logs"));
        assert_true(p->per_file_budget > 0);
        assert_true(strv_fnmatch_path(p->never_collect, "/etc/shadow"));
        assert_non_null(policy_section(p, "commands"));
        assert_true(policy_collector_enabled(p, "journal"));
        policy_free(p);
}

static void test_dropin(void **state)
{
        struct policy *p = NULL;
        char *err = NULL, *f = data_path("good/site.yaml");
        char *files[] = { f, NULL };
        const struct pnode *cmds, *logs;

        (void) state;
        assert_int_equal(policy_load("/nonexistent", NULL, files, &p, &err), 0);
        /* lists appended */
        cmds = policy_section(p, "commands");
        assert_string_equal(cmds->items[cmds->n_items - 1]->items[0]->value, "app-status");
        logs = pnode_get(policy_section(p, "logs"), "paths");
        assert_string_equal(logs->items[logs->n_items - 1]->value, "/var/log/app/*.log");
        /* scalars replaced */
        assert_int_equal(p->per_file_budget, 8 << 20);
        assert_false(policy_collector_enabled(p, "journal"));
        assert_true(strv_fnmatch_path(p->never_collect, "/etc/app/secret.conf"));
        assert_true(strv_fnmatch_path(p->never_collect, "/etc/shadow"));
        policy_free(p);
        free(f);
}

static void test_bad_cases(void **state)
{
        char *dir = data_path("bad");
        struct dirent **list;
        int n, checked = 0;

        (void) state;
        n = scandir(dir, &list, NULL, alphasort);
        assert_true(n > 2);
        for (int i = 0; i < n; i++) {
                char *path = NULL, *err = NULL, expect[256] = "", want_loc[64];
                char *files[2] = {};
                struct policy *p = NULL;
                FILE *f;
                int line, col, r;

                if (list[i]->d_name[0] == '.') {
                        free(list[i]);
                        continue;
                }
                assert_true(asprintf(&path, "%s/%s", dir, list[i]->d_name) > 0);
                f = fopen(path, "re");
                assert_non_null(f);
                assert_int_equal(fscanf(f, "# expect: %d:%d: %255[^\n]", &line, &col, expect), 3);
                fclose(f);
                files[0] = path;
                r = policy_load("/nonexistent", NULL, files, &p, &err);
                if (r >= 0 || !err)
                        fail_msg("%s: accepted, expected an error at %d:%d", path, line, col);
                snprintf(want_loc, sizeof(want_loc), "%s:%d:%d: ", path, line, col);
                if (strncmp(err, want_loc, strlen(want_loc)) != 0 || !strstr(err, expect))
                        fail_msg("%s: got '%s', expected '%s%s'", path, err, want_loc, expect);
                checked++;
                free(err);
                free(path);
                free(list[i]);
        }
        free(list);
        free(dir);
        assert_true(checked >= 10);
}

static void test_caps(void **state)
{
        struct pnode *t = NULL;
        char *err = NULL, *deep;
        size_t n = 0;

        (void) state;
        /* nesting beyond the cap is refused, with a location */
        deep = calloc(1, 4096);
        for (int i = 0; i < 40; i++)
                n += (size_t) sprintf(deep + n, "%sa:\n", "");
        /* build "a: {a: {a: ...}}" */
        n = 0;
        for (int i = 0; i < 40; i++)
                n += (size_t) snprintf(deep + n, 4096 - n, "{a: ");
        n += (size_t) snprintf(deep + n, 4096 - n, "1");
        for (int i = 0; i < 40; i++)
                n += (size_t) snprintf(deep + n, 4096 - n, "}");
        assert_true(pnode_parse_string("deep.yaml", deep, n, &t, &err) < 0);
        assert_non_null(strstr(err, "deep.yaml:1:"));
        assert_non_null(strstr(err, "nesting"));
        free(err);
        free(deep);

        /* an alias bomb is stopped by the node cap */
        const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                           "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                           "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                           "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        err = NULL;
        assert_true(pnode_parse_string("bomb.yaml", bomb, strlen(bomb), &t, &err) < 0);
        assert_non_null(strstr(err, "nodes"));
        free(err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_builtin),
                cmocka_unit_test(test_dropin),
                cmocka_unit_test(test_bad_cases),
                cmocka_unit_test(test_caps),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
