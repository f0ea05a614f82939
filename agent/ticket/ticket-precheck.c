/* SPDX-License-Identifier: MIT */
/*
 * Checks before work (agent/ticket/ticket.h): the portal credentials are
 * usable, and a request to attach to exists and is visible, so that a run
 * that cannot file stops before it collects anything.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "testhook.h"
#include "log.h"
#include "parse-util.h"
#include "ticket/credentials.h"
#include "ticket/http.h"
#include "ticket/ticket.h"

int ticket_check_credentials(const struct config *c, char **ret_error)
{
        _cleanup_free_ char *error = NULL;
        struct credentials cred = {};
        int r;

        if (!c->has_portal)
                return 0;
        r = credentials_load(&cred, c->portal.credentials, c->portal.deployment, &error);
        credentials_done(&cred);
        if (r < 0 && ret_error)
                *ret_error = error ? TAKE_PTR(error) :
                                     xasprintf("%s: %s", c->portal.credentials ?: "credentials",
                                               strerror(-r));
        return r;
}

static bool key_plain(const char *key)
{
        size_t n = 0;

        for (const char *p = key; *p; p++, n++)
                if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_')
                        return false;
        return n > 0 && n <= 64;
}

static usec_t check_timeout(void)
{
#ifdef COLLECT_TESTING
        const char *e = testhook_getenv("COLLECT_TEST_HTTP_TIMEOUT_MS");
        uint64_t v;

        if (e && safe_atou64(e, &v) >= 0)
                return v * USEC_PER_MSEC;
#endif
        return 30 * USEC_PER_SEC;
}

int ticket_check_request(const struct config *c, const char *key)
{
        _cleanup_(http_client_freep) struct http_client *h = NULL;
        _cleanup_free_ char *auth = NULL, *path = NULL;
        struct credentials cred = {};
        struct http_response resp = {};
        long status;
        int r;

        if (!c->has_portal)
                return 0;
        if (!key_plain(key))
                return -EINVAL;
        r = http_client_new(c->portal.url, c->portal.ca_file, &h);
        if (r < 0)
                return r;
        http_client_set_experimental(h, true);
        http_client_set_timeouts(h, 0, check_timeout());
        r = credentials_load(&cred, c->portal.credentials, c->portal.deployment, NULL);
        auth = r >= 0 ? credentials_auth_header(&cred, c->portal.deployment) : NULL;
        credentials_done(&cred);
        if (r >= 0 && !auth)
                r = -ENOMEM;
        if (r >= 0)
                r = http_client_set_auth(h, auth);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        path = xasprintf("/rest/servicedeskapi/request/%s", key);
        if (r < 0 || !path)
                return r < 0 ? r : -ENOMEM;
        r = http_send(h, &(struct http_request) { .method = "GET", .path = path }, &resp);
        status = resp.status;
        http_response_done(&resp);
        if (r < 0)
                return http_error_is_transient(r) ? -EAGAIN : r;
        if (status >= 200 && status < 300)
                return 0;
        if (status == 404)
                return -ENOENT;
        if (status == 401 || status == 403)
                return -EACCES;
        return status == 429 || status >= 500 ? -EAGAIN : -EPROTO;
}
