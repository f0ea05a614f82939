/* SPDX-License-Identifier: MIT */
/*
 * Tests of the enum <-> string tables (agent/basic/string-table.h): both
 * directions, out-of-range values, holes in a table, the case-insensitive
 * variant, and the tables the agent defines with them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/checklist.h"
#include "analysis/report.h"
#include "analysis/timeline.h"
#include "basic/string-table.h"
#include "policy/site-config.h"

enum colour {
        COLOUR_RED,
        COLOUR_GREEN,
        COLOUR_UNUSED, /* a hole in the table */
        COLOUR_BLUE,
        _COLOUR_MAX,
        _COLOUR_INVALID = -EINVAL,
};

static const char *const colour_table[_COLOUR_MAX] = {
        [COLOUR_RED] = "red",
        [COLOUR_GREEN] = "green",
        [COLOUR_BLUE] = "blue",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP(colour, enum colour);

static void test_private_table(void **state)
{
        (void) state;
        assert_string_equal(colour_to_string(COLOUR_RED), "red");
        assert_string_equal(colour_to_string(COLOUR_BLUE), "blue");
        assert_null(colour_to_string(COLOUR_UNUSED));
        assert_null(colour_to_string(_COLOUR_MAX));
        assert_null(colour_to_string(_COLOUR_INVALID));
        assert_int_equal(colour_from_string("green"), COLOUR_GREEN);
        assert_int_equal(colour_from_string("blue"), COLOUR_BLUE);
        assert_int_equal(colour_from_string("Blue"), _COLOUR_INVALID);
        assert_int_equal(colour_from_string(""), _COLOUR_INVALID);
        assert_int_equal(colour_from_string(NULL), _COLOUR_INVALID);
}

static void test_agent_tables(void **state)
{
        (void) state;
        /* case-insensitive where the manifest and the command line are read */
        assert_int_equal(finding_kind_from_string("OOM_KILL"), FINDING_OOM_KILL);
        assert_string_equal(finding_kind_to_string(FINDING_OOM_KILL), "oom_kill");
        assert_int_equal(request_type_from_string("Question"), REQUEST_QUESTION);
        assert_int_equal(collector_result_from_string("nope"), -EINVAL);
        assert_string_equal(severity_to_string(SEVERITY_P2), "P2");
        assert_null(severity_to_string(_SEVERITY_MAX));
        /* exact elsewhere */
        assert_int_equal(checklist_item_from_string("config_changes"), CHECKLIST_CONFIG_CHANGES);
        assert_int_equal(checklist_item_from_string("Config_Changes"), _CHECKLIST_ITEM_INVALID);
        assert_int_equal(timeline_category_from_string("crash"), TIMELINE_CRASH);
        assert_string_equal(timeline_category_to_string(TIMELINE_SURGE), "surge");
        assert_int_equal(support_tier_from_string("premium"), TIER_PREMIUM);
        assert_int_equal(portal_deployment_from_string("server"), PORTAL_DATACENTER);
        assert_int_equal(portal_deployment_from_string("cloud"), PORTAL_CLOUD);
        assert_int_equal(portal_deployment_from_string("moon"), _PORTAL_DEPLOYMENT_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_private_table),
                cmocka_unit_test(test_agent_tables),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
