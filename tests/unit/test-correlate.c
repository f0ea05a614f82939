/* SPDX-License-Identifier: MIT */
/*
 * Tests of agent/analysis/correlate.c: changed configuration paths related to failing
 * services, and unrelated ones left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/correlate.h"

static void add(struct report *r, enum finding_kind k, const char *subject, const char *detail)
{
        struct finding f = { .kind = k, .subject = subject, .count = 1, .detail = detail };

        assert_int_equal(report_add_finding(r, &f), 0);
}

static size_t count_kind(const struct report *r, enum finding_kind k, const char *subject)
{
        size_t n = 0;

        for (size_t i = 0; i < r->n_findings; i++)
                if (r->findings[i].kind == k &&
                    (!subject || strcmp(r->findings[i].subject, subject) == 0))
                        n++;
        return n;
}

static void test_related(void **state)
{
        struct report r = {};

        (void) state;
        add(&r, FINDING_CONFIG_CHANGES, "files",
            "4 configuration files changed: /etc/nginx/nginx.conf, "
            "/etc/systemd/system/app.service, /etc/hosts, /etc/default/postgresql");
        add(&r, FINDING_UNIT_FAILED, "nginx.service", "exit-code");
        add(&r, FINDING_UNIT_RESTARTS, "app.service", NULL);
        add(&r, FINDING_ERRORS, "sshd.service", NULL);
        add(&r, FINDING_HOST_FACT, "hostname", "web-1");
        assert_int_equal(correlate_config_changes(&r), 2);
        assert_int_equal(count_kind(&r, FINDING_CONFIG_TOUCHES_FAILING, "/etc/nginx/nginx.conf"),
                         1);
        assert_int_equal(count_kind(&r, FINDING_CONFIG_TOUCHES_FAILING,
                                    "/etc/systemd/system/app.service"),
                         1);
        assert_int_equal(count_kind(&r, FINDING_CONFIG_TOUCHES_FAILING, "/etc/hosts"), 0);
        for (size_t i = 0; i < r.n_findings; i++)
                if (r.findings[i].kind == FINDING_CONFIG_TOUCHES_FAILING &&
                    strcmp(r.findings[i].subject, "/etc/nginx/nginx.conf") == 0)
                        assert_non_null(strstr(r.findings[i].detail, "nginx.service failed"));
        report_done(&r);
}

static void test_unrelated(void **state)
{
        struct report r = {};

        (void) state;
        /* "app" must not match "/etc/apparmor.d/…" nor short stems anything */
        add(&r, FINDING_CONFIG_CHANGES, "files",
            "1 configuration files changed: /etc/apparmor.d/x");
        add(&r, FINDING_UNIT_FAILED, "app.service", NULL);
        add(&r, FINDING_UNIT_FAILED, "ab.service", NULL);
        assert_int_equal(correlate_config_changes(&r), 0);
        report_done(&r);

        r = (struct report) {};
        add(&r, FINDING_UNIT_FAILED, "nginx.service", NULL);
        assert_int_equal(correlate_config_changes(&r), 0); /* no changes at all */
        report_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_related),
                cmocka_unit_test(test_unrelated),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
