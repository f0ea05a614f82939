/* SPDX-License-Identifier: MIT */
/*
 * Consistency of the collector table with its documentation, after curl's
 * test1139: names unique and sorted; every option documented, its offset
 * inside the state, its default parsing; every option key present in
 * policies/collection.yaml under its collector; list values that the shipped
 * policy spells out equal to the compiled-in defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/options.h"
#include "cli/policy-load.h"
#include "policy/policy.h"
#include "pipeline/registry.h"
#include "strv.h"
#include "time-util.h"

static size_t option_size(enum option_type t)
{
        switch (t) {
        case OPTION_STRING:
                return sizeof(char *);
        case OPTION_STRV:
                return sizeof(char **);
        case OPTION_BOOL:
                return sizeof(bool);
        case OPTION_U64:
        case OPTION_SIZE:
                return sizeof(uint64_t);
        case OPTION_DURATION:
                return sizeof(usec_t);
        default:
                return 0;
        }
}

static void test_table(void **state)
{
        (void) state;
        assert_true(registry_size() >= 5);
        for (size_t i = 0; i < registry_size(); i++) {
                const struct collector *c = registry_get(i);

                assert_non_null(c->name);
                assert_non_null(c->summary);
                assert_true(registry_find(c->name) == c);
                if (i > 0)
                        assert_true(strcmp(registry_get(i - 1)->name, c->name) < 0);
                for (const char *p = c->name; *p; p++)
                        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789-", *p));
                for (const struct collector_option *o = c->options; o && o->key; o++) {
                        if (!o->help || !o->help[0])
                                fail_msg("%s.%s has no help text", c->name, o->key);
                        assert_true(o->type >= 0 && o->type < _OPTION_TYPE_MAX);
                        if (o->offset + option_size(o->type) > c->state_size)
                                fail_msg("%s.%s lies outside the state", c->name, o->key);
                }
        }
        assert_null(registry_find("nope"));
        assert_null(registry_get(registry_size()));
}

static void test_defaults_parse(void **state)
{
        (void) state;
        for (size_t i = 0; i < registry_size(); i++) {
                const struct collector *c = registry_get(i);
                void *st = calloc(1, c->state_size ? c->state_size : 1);
                char *err = NULL;

                if (options_apply_defaults(c, st, &err) < 0)
                        fail_msg("%s: %s", c->name, err);
                options_free(c, st);
                free(st);
        }
}

static char *read_policy(void)
{
        const char *src = getenv("COLLECT_SRCDIR");
        char path[1024], *buf;
        FILE *f;
        long n;

        snprintf(path, sizeof(path), "%s/policies/collection.yaml", src ? src : ".");
        f = fopen(path, "re");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = calloc(1, (size_t) n + 1);
        assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        return buf;
}

static void test_documented_in_policy(void **state)
{
        char *text = read_policy();

        (void) state;
        for (size_t i = 0; i < registry_size(); i++) {
                const struct collector *c = registry_get(i);
                char head[128], *section, *end;

                snprintf(head, sizeof(head), "\n%s:", c->name);
                section = strstr(text, head);
                if (!section)
                        fail_msg("policies/collection.yaml has no '%s:' section", c->name);
                /* the section runs to the next top-level key */
                end = section + 1;
                for (;;) {
                        end = strchr(end, '\n');
                        if (!end || (end[1] >= 'a' && end[1] <= 'z'))
                                break;
                        end++;
                }
                for (const struct collector_option *o = c->options; o && o->key; o++) {
                        char key[128];
                        char *hit;

                        snprintf(key, sizeof(key), " %s:", o->key);
                        hit = strstr(section, key);
                        if (!hit || (end && hit > end))
                                fail_msg("%s.%s is not documented in policies/collection.yaml",
                                         c->name, o->key);
                }
        }
        free(text);
}

static void test_policy_lists_equal_defaults(void **state)
{
        struct policy *p = NULL;
        char *err = NULL;

        (void) state;
        assert_int_equal(policy_load("/nonexistent", NULL, NULL, &p, &err), 0);
        for (size_t i = 0; i < registry_size(); i++) {
                const struct collector *c = registry_get(i);
                const struct pnode *sec = policy_collector_section(p, c->name);

                for (const struct collector_option *o = c->options; o && o->key; o++) {
                        char **from_policy = NULL, **from_default = NULL, *joined;
                        const struct pnode *n = pnode_get(sec, o->key);

                        if (o->type != OPTION_STRV || !n || !o->def)
                                continue;
                        assert_int_equal(pnode_to_strv(n, &from_policy, &err), 0);
                        joined = strv_join(from_policy, "\n");
                        from_default = NULL;
                        if (strcmp(joined, o->def) != 0)
                                fail_msg("%s.%s: policy '%s' differs from the default '%s'",
                                         c->name, o->key, joined, o->def);
                        free(joined);
                        strv_free(from_policy);
                        strv_free(from_default);
                }
        }
        policy_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_defaults_parse),
                cmocka_unit_test(test_documented_in_policy),
                cmocka_unit_test(test_policy_lists_equal_defaults),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
