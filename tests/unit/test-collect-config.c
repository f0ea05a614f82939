/* SPDX-License-Identifier: MIT */
/*
 * collect.yaml: good files load with their defaults, bad ones are refused
 * with file:line:column; secret files are refused unless 0600.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "policy/site-config.h"
#include "ticket/credentials.h"
#include "fd-util.h"

static char path[] = "/tmp/test-config-XXXXXX";

static void put(const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, text, strlen(text)), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void expect_error(const char *text, const char *where, const char *what)
{
        _cleanup_free_ char *err = NULL;
        struct config c;

        put(text, 0644);
        assert_int_equal(config_load(&c, path, false, &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, where));
        assert_non_null(strstr(err, what));
}

static void test_good(void **state)
{
        _cleanup_free_ char *err = NULL;
        struct config c;

        (void) state;
        put("environment: production\nproduct: Payments API\ncritical_units: [app.service]\n"
            "tier: premium\nportal:\n  url: https://example.atlassian.net/\n"
            "  deployment: datacenter\n  service_desk: SUP\n"
            "  request_types: {incident: Report an incident, crash: '41'}\n"
            "  severity_field: customfield_10150\n  share_with: [jdoe, asmith]\n"
            "escalation:\n  slack_webhook_file: /etc/collect/slack-webhook\n  phone: '+00 1'\n"
            "spool: {max_size: 20M, max_age: 2d}\n",
            0644);
        assert_int_equal(config_load(&c, path, false, &err), 0);
        assert_true(c.has_portal);
        assert_string_equal(c.portal.url, "https://example.atlassian.net");
        assert_int_equal(c.portal.deployment, PORTAL_DATACENTER);
        assert_int_equal(c.tier, TIER_PREMIUM);
        assert_string_equal(config_request_type(&c, "crash"), "41");
        assert_string_equal(config_request_type(&c, "question"), "Ask a question");
        assert_string_equal(c.portal.share_with[1], "asmith");
        assert_string_equal(c.portal.credentials, COLLECT_SYSCONFDIR "/credentials");
        assert_int_equal(c.spool_max_size, 20 * 1024 * 1024);
        assert_true(c.spool_max_age == 2 * USEC_PER_DAY);
        config_done(&c);

        /* no portal: the outbox; a missing default file is fine */
        put("environment: staging\n", 0644);
        assert_int_equal(config_load(&c, path, false, &err), 0);
        assert_false(c.has_portal);
        assert_int_equal(c.spool_max_size, CONFIG_SPOOL_MAX_SIZE_DEFAULT);
        config_done(&c);
        assert_int_equal(config_load(&c, "/nonexistent/collect.yaml", true, &err), 0);
        assert_int_equal(config_load(&c, "/nonexistent/collect.yaml", false, &err), -ENOENT);
}

static void test_bad(void **state)
{
        (void) state;
        expect_error("tier: gold\n", ":1:7:", "invalid tier 'gold'");
        expect_error("portal:\n  url: http://example.com\n  service_desk: SUP\n",
                     ":2:8:", "must be an https://");
        expect_error("portal:\n  url: https://x.example\n  service_desk: SUP\n  colour: red\n",
                     ":4:3:", "unknown key 'colour'");
        expect_error("portal:\n  url: https://x.example\n", ":2:3:", "'service_desk' is required");
        expect_error("portal:\n  url: https://x.example\n  service_desk: SUP\n"
                     "  severity_field: urgency\n",
                     ":4:19:", "invalid portal.severity_field");
        expect_error("portal:\n  url: https://x.example\n  service_desk: SUP\n"
                     "  deployment: onprem\n",
                     ":4:15:", "invalid portal.deployment");
        expect_error("escalation:\n  slack: x\n", ":2:3:", "unknown key 'slack'");
}

static void test_urls(void **state)
{
        (void) state;
        assert_true(url_is_allowed("https://example.atlassian.net"));
        assert_true(url_is_allowed("http://127.0.0.1:8080/x"));
        assert_true(url_is_allowed("http://127.1.2.3/"));
        assert_true(url_is_allowed("http://[::1]:99/"));
        assert_true(url_is_allowed("http://localhost:99/"));
        assert_false(url_is_allowed("http://example.com/"));
        assert_false(url_is_allowed("http://128.0.0.1/"));
        assert_false(url_is_allowed("ftp://127.0.0.1/"));
        assert_false(url_is_allowed("file:///etc/passwd"));
}

static void test_credentials(void **state)
{
        _cleanup_free_ char *err = NULL, *h = NULL;
        struct credentials c;

        (void) state;
        unsetenv("COLLECT_PORTAL_TOKEN");
        unsetenv("COLLECT_PORTAL_EMAIL");
        put("email: ops@customer.example\ntoken: abc\n", 0644);
        assert_int_equal(credentials_load(&c, path, PORTAL_CLOUD, &err), -EACCES);
        assert_non_null(strstr(err, "chmod 600"));
        assert_null(strstr(err, "abc"));
        err = mfree(err);
        put("email: ops@customer.example\ntoken: abc\n", 0600);
        assert_int_equal(credentials_load(&c, path, PORTAL_CLOUD, &err), 0);
        h = credentials_auth_header(&c, PORTAL_CLOUD);
        /* base64("ops@customer.example:abc") */
        assert_string_equal(h, "Authorization: Basic b3BzQGN1c3RvbWVyLmV4YW1wbGU6YWJj");
        credentials_done(&c);
        h = mfree(h);
        put("token: pat\n", 0600);
        assert_int_equal(credentials_load(&c, path, PORTAL_CLOUD, &err), -EINVAL);
        err = mfree(err);
        assert_int_equal(credentials_load(&c, path, PORTAL_DATACENTER, &err), 0);
        h = credentials_auth_header(&c, PORTAL_DATACENTER);
        assert_string_equal(h, "Authorization: Bearer pat");
        credentials_done(&c);
        setenv("COLLECT_PORTAL_TOKEN", "envtok", 1);
        assert_int_equal(credentials_load(&c, "/nonexistent", PORTAL_DATACENTER, &err), 0);
        assert_string_equal(c.token, "envtok");
        credentials_done(&c);
        unsetenv("COLLECT_PORTAL_TOKEN");
}

static int setup(void **state)
{
        int fd = mkstemp(path);

        (void) state;
        assert_true(fd >= 0);
        close(fd);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        unlink(path);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_urls),
                cmocka_unit_test(test_credentials),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
