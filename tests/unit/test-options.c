/* SPDX-License-Identifier: MIT */
/*
 * Tests of the option tables (agent/policy/options.c), above all the list of
 * records (OPTION_RECORDS): a collector in the manner of a future Kubernetes
 * collector, with {namespace, selector, max_pods, live_only} records, fed
 * real YAML through the policy parser. Every error must carry the
 * file:line:column of the value at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collector.h"
#include "policy/options.h"
#include "policy/pnode.h"
#include "strv.h"

struct pod_set {
        char *namespace;
        char **selector;
        uint64_t max_pods;
        bool live_only;
};

struct kube_state {
        char *context;
        struct option_records kube; /* of struct pod_set */
        struct option_records extra;
};

static int pod_set_check(const void *record, const char **ret_key, char **ret_why)
{
        const struct pod_set *p = record;

        if (p->max_pods > 0 && p->max_pods <= 500)
                return 0;
        *ret_key = "max_pods";
        *ret_why = strdup("'max_pods' must be between 1 and 500");
        return *ret_why ? -EINVAL : -ENOMEM;
}

static const struct collector_option pod_set_fields[] = {
        { "namespace", OPTION_STRING, NULL, offsetof(struct pod_set, namespace), "namespace" },
        { "selector", OPTION_STRV, "app=web\ntier=front", offsetof(struct pod_set, selector),
          "label selectors" },
        { "max_pods", OPTION_U64, "50", offsetof(struct pod_set, max_pods), "cap" },
        { "live_only", OPTION_BOOL, "true", offsetof(struct pod_set, live_only), "live" },
        {},
};

static const char *const pod_set_required[] = { "namespace", NULL };

static const struct option_record_type kube_records[] = {
        {
                .key = "kube",
                .name = "pod set",
                .size = sizeof(struct pod_set),
                .fields = pod_set_fields,
                .required = pod_set_required,
                .unique = "namespace",
                .check = pod_set_check,
        },
        {
                .key = "extra",
                .name = "extra set",
                .size = sizeof(struct pod_set),
                .fields = pod_set_fields,
        },
        {},
};

static const struct collector_option kube_options[] = {
        { "context", OPTION_STRING, "default", offsetof(struct kube_state, context), "context" },
        { "kube", OPTION_RECORDS, NULL, offsetof(struct kube_state, kube), "pod sets" },
        { "extra", OPTION_RECORDS, NULL, offsetof(struct kube_state, extra), "more pod sets" },
        {},
};

static const struct collector kube = {
        .name = "kube",
        .summary = "test collector with lists of records",
        .state_size = sizeof(struct kube_state),
        .options = kube_options,
        .record_types = kube_records,
};

static const struct pod_set *pod_set(const struct option_records *l, size_t i)
{
        assert_true(i < l->n);
        return OPTION_RECORD(l, i, sizeof(struct pod_set));
}

/* Parses yaml, applies its "kube" section; returns the result, *ret_error set on error. */
static int apply(const char *yaml, struct kube_state *st, char **ret_error)
{
        struct pnode *root = NULL;
        int r;

        memset(st, 0, sizeof(*st));
        *ret_error = NULL;
        assert_int_equal(pnode_parse_string("t.yaml", yaml, strlen(yaml), &root, ret_error), 0);
        assert_int_equal(options_apply_defaults(&kube, st, ret_error), 0);
        r = options_apply_policy(&kube, st, pnode_get(root, "kube"), ret_error);
        pnode_free(root);
        return r;
}

static void expect_error(const char *yaml, const char *where, const char *what)
{
        struct kube_state st;
        char *err = NULL;

        assert_int_equal(apply(yaml, &st, &err), -EINVAL);
        assert_non_null(err);
        if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, what))
                fail_msg("got '%s', expected '%s...%s'", err, where, what);
        free(err);
        options_free(&kube, &st);
        assert_int_equal(st.kube.n, 0);
        assert_null(st.kube.records);
}

static void test_records_map_form(void **state)
{
        struct kube_state st;
        char *err = NULL;

        (void) state;
        assert_int_equal(apply("kube:\n"
                               "  context: prod\n"
                               "  kube:\n"
                               "    - {namespace: web, selector: [app=shop], max_pods: 7}\n"
                               "    - namespace: db\n"
                               "      live_only: false\n"
                               "  extra: []\n",
                               &st, &err),
                         0);
        assert_null(err);
        assert_string_equal(st.context, "prod");
        assert_int_equal(st.kube.n, 2);
        assert_string_equal(pod_set(&st.kube, 0)->namespace, "web");
        assert_int_equal(strv_length(pod_set(&st.kube, 0)->selector), 1);
        assert_string_equal(pod_set(&st.kube, 0)->selector[0], "app=shop");
        assert_int_equal(pod_set(&st.kube, 0)->max_pods, 7);
        assert_true(pod_set(&st.kube, 0)->live_only);
        /* the second record has the fields' defaults where it says nothing */
        assert_string_equal(pod_set(&st.kube, 1)->namespace, "db");
        assert_int_equal(strv_length(pod_set(&st.kube, 1)->selector), 2);
        assert_string_equal(pod_set(&st.kube, 1)->selector[1], "tier=front");
        assert_int_equal(pod_set(&st.kube, 1)->max_pods, 50);
        assert_false(pod_set(&st.kube, 1)->live_only);
        assert_int_equal(st.extra.n, 0);
        options_free(&kube, &st);
        assert_null(st.context);
        assert_null(st.kube.records);
        assert_int_equal(st.kube.n, 0);
}

static void test_records_list_form(void **state)
{
        struct kube_state st;
        char *err = NULL;

        (void) state;
        /* the records option named after the collector: the section is the list */
        assert_int_equal(apply("kube:\n"
                               "  - {namespace: a}\n"
                               "  - {namespace: b, max_pods: 500}\n",
                               &st, &err),
                         0);
        assert_null(err);
        assert_int_equal(st.kube.n, 2);
        assert_string_equal(pod_set(&st.kube, 1)->namespace, "b");
        assert_int_equal(pod_set(&st.kube, 1)->max_pods, 500);
        assert_string_equal(st.context, "default");
        options_free(&kube, &st);
}

static void test_records_errors(void **state)
{
        (void) state;
        /* each record must be a mapping */
        expect_error("kube:\n  - web\n", "t.yaml:2:5: ", "'a pod set' must be a mapping");
        /* the list itself must be a list */
        expect_error("kube:\n  kube: {namespace: x}\n", "t.yaml:2:9: ", "'kube' must be a list");
        /* a required field is missing: located at the record */
        expect_error("kube:\n  - {max_pods: 3}\n", "t.yaml:2:5: ", "a pod set needs 'namespace'");
        /* an unknown field: located at its key, naming the valid ones */
        expect_error("kube:\n  - {namespace: a, pods: 3}\n", "t.yaml:2:20: ",
                     "unknown key 'pods' in 'kube' (valid keys: namespace, selector, max_pods, "
                     "live_only)");
        /* a typed field with a value of the wrong type: located at the value */
        expect_error("kube:\n  - {namespace: a}\n  - {namespace: b, max_pods: many}\n",
                     "t.yaml:3:30: ", "'max_pods' must be a whole number, not 'many'");
        expect_error("kube:\n  - {namespace: a, live_only: maybe}\n",
                     "t.yaml:2:31: ", "'live_only' must be true or false");
        expect_error("kube:\n  - {namespace: [a, b]}\n",
                     "t.yaml:2:17: ", "'namespace' must be a single value");
        /* the record type's own check names the field at fault */
        expect_error("kube:\n  - {namespace: a, max_pods: 0}\n",
                     "t.yaml:2:30: ", "'max_pods' must be between 1 and 500");
        /* a unique field repeated: located at the second record */
        expect_error("kube:\n  - {namespace: a}\n  - {namespace: b}\n  - {namespace: a}\n",
                     "t.yaml:4:5: ", "pod set 'a' is defined twice");
}

static void test_records_no_text_form(void **state)
{
        struct kube_state st = {};
        char *err = NULL;

        (void) state;
        assert_int_equal(options_apply_defaults(&kube, &st, &err), 0);
        assert_int_equal(options_apply_string(&kube, &st, "kube", "namespace=a", &err), -EINVAL);
        assert_non_null(strstr(err, "list of records"));
        free(err);
        err = NULL;
        assert_int_equal(options_apply_string(&kube, &st, "context", "stage", &err), 0);
        assert_string_equal(st.context, "stage");
        options_free(&kube, &st);
}

static void test_records_replaced_not_leaked(void **state)
{
        struct kube_state st;
        struct pnode *root = NULL;
        char *err = NULL;
        const char *yaml = "kube:\n  kube: [{namespace: z}]\n";

        (void) state;
        /* a second application replaces the list (run under ASan: nothing leaks) */
        assert_int_equal(apply("kube:\n  - {namespace: a}\n  - {namespace: b}\n", &st, &err), 0);
        assert_int_equal(pnode_parse_string("u.yaml", yaml, strlen(yaml), &root, &err), 0);
        assert_int_equal(options_apply_policy(&kube, &st, pnode_get(root, "kube"), &err), 0);
        assert_int_equal(st.kube.n, 1);
        assert_string_equal(pod_set(&st.kube, 0)->namespace, "z");
        pnode_free(root);
        options_free(&kube, &st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_records_map_form),
                cmocka_unit_test(test_records_list_form),
                cmocka_unit_test(test_records_errors),
                cmocka_unit_test(test_records_no_text_form),
                cmocka_unit_test(test_records_replaced_not_leaked),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
