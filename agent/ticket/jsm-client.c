/* SPDX-License-Identifier: MIT */
/*
 * The Jira Service Management REST client (ticket/jsm-client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "basic/json-util.h"
#include "testhook.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "ticket/credentials.h"
#include "ticket/http.h"
#include "ticket/jsm-client.h"

#define BACKOFF_BASE (1 * USEC_PER_SEC)
#define BACKOFF_MAX (30 * USEC_PER_SEC)
#define RETRY_AFTER_MAX (60 * USEC_PER_SEC)
#define PAGES_MAX 50

usec_t jsm_env_usec(const char *name, usec_t def)
{
#ifdef COLLECT_TESTING
        const char *e = testhook_getenv(name);
        uint64_t v;

        if (e && safe_atou64(e, &v) >= 0)
                return v * USEC_PER_MSEC;
#else
        (void) name;
#endif
        return def;
}

void jsm_sleep(usec_t u)
{
        struct timespec ts = { .tv_sec = (time_t) (u / USEC_PER_SEC),
                               .tv_nsec = (long) (u % USEC_PER_SEC) * 1000 };

        /* a stop signal ends the wait; the next call then returns -EINTR */
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !interrupt_pending())
                ;
}

usec_t jsm_backoff(unsigned attempt)
{
        usec_t base = jsm_env_usec("COLLECT_TEST_BACKOFF_MS", BACKOFF_BASE);
        usec_t d = base;
        unsigned short rnd = 0;

        for (unsigned i = 0; i < attempt && d < BACKOFF_MAX; i++)
                d *= 2;
        d = MIN(d, BACKOFF_MAX);
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t) sizeof(rnd))
                rnd = (unsigned short) (now(CLOCK_MONOTONIC) % 601); /* jitter only */
        /* jitter: x [0.7, 1.3] */
        return d * (700 + (usec_t) (rnd % 601)) / 1000;
}

void jsm_done(struct jsm *j)
{
        http_client_free(j->http);
        free(j->desk_id);
        free(j->rt_id);
        json_decref(j->meta);
        free(j->last_message);
        *j = (struct jsm) {};
}

int jsm_init(struct jsm *j, const struct config *c, bool dry_run)
{
        _cleanup_free_ char *err = NULL, *auth = NULL;
        struct credentials cred = {};
        int r;

        *j = (struct jsm) { .c = c, .dry_run = dry_run };
        if (!c || !c->has_portal)
                return -EINVAL;
        r = http_client_new(c->portal.url, c->portal.ca_file, &j->http);
        if (r < 0)
                return log_error_errno(r, "portal url '%s' is not usable (https only)",
                                       c->portal.url);
        http_client_set_experimental(j->http, true);
        if (dry_run)
                return 0;
        r = credentials_load(&cred, c->portal.credentials, c->portal.deployment, &err);
        if (r < 0) {
                log_error("portal credentials: %s", err ? err : strerror(-r));
                r = r == -ENOMEM ? r : -EACCES;
                goto fail;
        }
        auth = credentials_auth_header(&cred, c->portal.deployment);
        credentials_done(&cred);
        if (!auth) {
                r = -ENOMEM;
                goto fail;
        }
        r = http_client_set_auth(j->http, auth);
        explicit_bzero(auth, strlen(auth));
        if (r >= 0)
                return r;
fail:
        /* the caller only cleans up after a successful init */
        jsm_done(j);
        return r;
}

/* The portal's own words from an error body (protocols.md §1.6). */
static char *portal_message(const struct http_response *resp)
{
        json_error_t err;
        _cleanup_(json_decrefp) json_t *b = resp->body ? json_loads(resp->body, 0, &err) : NULL;
        char **l = NULL;
        char *s;

        if (b) {
                const char *k;
                size_t i;
                json_t *v;

                if (json_string_value(json_object_get(b, "errorMessage")))
                        (void) strv_extend(&l,
                                           json_string_value(json_object_get(b, "errorMessage")));
                json_array_foreach(json_object_get(b, "errorMessages"), i, v)
                        if (json_string_value(v))
                                (void) strv_extend(&l, json_string_value(v));
                json_object_foreach(json_object_get(b, "errors"), k, v) {
                        _cleanup_free_ char *kv = xasprintf("%s: %s", k,
                                                            json_string_value(v) ?: "?");

                        if (kv)
                                (void) strv_extend(&l, kv);
                }
        }
        if (l) {
                s = strv_join(l, "; ");
                strv_free(l);
                return s;
        }
        if (!isempty(resp->body)) {
                size_t n = strnlen(resp->body, 512);

                s = xstrndup(resp->body, n);
                for (char *p = s; p && *p; p++)
                        if (*p == '\n' || *p == '\r')
                                *p = ' ';
                return s;
        }
        return xasprintf("HTTP %ld", resp->status);
}

static void explain_status(struct jsm *j, const char *method, const char *path, long status)
{
        const char *m = j->last_message ? j->last_message : "";

        if (status == 401)
                log_error("the portal rejected the credentials (HTTP 401): the JSM_API token is "
                          "wrong or expired, or the e-mail does not match it%s%s. Create a new "
                          "token (Cloud: id.atlassian.com, Data Center: a personal access token) "
                          "and update %s",
                          isempty(m) ? "" : "; the portal said: ", m,
                          j->c->portal.credentials ?: "the credentials");
        else if (status == 403)
                log_error("the portal refused permission for %s %s (HTTP 403): %s. The account "
                          "may not be a customer of this service desk, or may not do this here",
                          method, path, m);
        else if (status == 404)
                log_error("the portal does not know %s (HTTP 404): %s", path, m);
        else
                log_error("the portal refused %s %s (HTTP %ld): %s", method, path, status, m);
}

/*
 * One JSM_API call with retries. 0 for a 2xx with *ret the parsed body (may be
 * NULL), else: -EACCES (401/403), -EINVAL (400 and other 4xx), -ENOENT
 * (404), -EAGAIN (unreachable or busy after all attempts), JSM_OUTCOME_UNKNOWN
 * or JSM_SERVER_BUSY (non-idempotent call; the caller decides), -errno.
 */
int jsm_call(struct jsm *j, const char *method, const char *path, json_t *body,
             const struct http_file *files, size_t n_files, unsigned flags, json_t **ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        if (body) {
                text = json_dumps(body, JSON_COMPACT);
                if (!text)
                        return -ENOMEM;
        }
        for (unsigned attempt = 0;; attempt++) {
                struct http_response resp = {};
                usec_t delay;

                j->last_message = mfree(j->last_message);
                r = http_send(j->http,
                              &(struct http_request) { .method = method,
                                                       .path = path,
                                                       .json = text,
                                                       .files = files,
                                                       .n_files = n_files },
                              &resp);
                if (r < 0) {
                        j->last_message = xasprintf("%s", http_client_error(j->http));
                        j->last_status = 0;
                        if (r == -EINTR) /* the caller says what was interrupted */
                                return r;
                        if (r == -EPROTO) {
                                /* the TLS handshake failed, nothing was sent: the
                                 * submission waits in the spool for a trusted portal */
                                log_error("portal %s: %s", http_client_base_url(j->http),
                                          http_client_error(j->http));
                                return -EAGAIN;
                        }
                        if (!http_error_is_transient(r)) {
                                log_error_errno(r, "portal: %s %s failed: %s", method, path,
                                                http_client_error(j->http));
                                return r;
                        }
                        log_warning("portal: %s %s: %s", method, path, http_client_error(j->http));
                        if (!(flags & JSM_CALL_IDEMPOTENT))
                                return JSM_OUTCOME_UNKNOWN;
                        if (attempt + 1 >= JSM_ATTEMPTS_MAX)
                                return -EAGAIN;
                        jsm_sleep(jsm_backoff(attempt));
                        continue;
                }
                j->last_status = resp.status;
                if (resp.status >= 200 && resp.status < 300) {
                        json_error_t err;

                        if (ret)
                                *ret = resp.body && resp.body_len ? json_loads(resp.body, 0, &err) :
                                                                    NULL;
                        http_response_done(&resp);
                        return 0;
                }
                j->last_message = portal_message(&resp);
                if (resp.status == 429 || resp.status >= 500) {
                        delay = http_retry_after(&resp, now(CLOCK_REALTIME));
                        log_warning("portal: %s %s: HTTP %ld%s%s%s", method, path, resp.status,
                                    resp.retry_after ? " (Retry-After " : "",
                                    resp.retry_after ?: "", resp.retry_after ? "s)" : "");
                        http_response_done(&resp);
                        if (!(flags & JSM_CALL_IDEMPOTENT) && j->last_status != 429)
                                return j->last_status == 503 ? JSM_SERVER_BUSY :
                                                               JSM_OUTCOME_UNKNOWN;
                        if (attempt + 1 >= JSM_ATTEMPTS_MAX)
                                return (flags & JSM_CALL_IDEMPOTENT) ? -EAGAIN : JSM_SERVER_BUSY;
                        if (delay == USEC_INFINITY)
                                delay = jsm_backoff(attempt);
                        else if (delay > RETRY_AFTER_MAX) {
                                log_warning("portal: asked to wait longer than %us, giving up "
                                            "for now",
                                            (unsigned) (RETRY_AFTER_MAX / USEC_PER_SEC));
                                return (flags & JSM_CALL_IDEMPOTENT) ? -EAGAIN : JSM_SERVER_BUSY;
                        }
                        jsm_sleep(delay);
                        continue;
                }
                http_response_done(&resp);
                explain_status(j, method, path, j->last_status);
                switch (j->last_status) {
                case 401:
                case 403:
                        return -EACCES;
                case 404:
                        return -ENOENT;
                default:
                        return -EINVAL;
                }
        }
}

char *jsm_escape(const char *s)
{
        char *e = curl_easy_escape(NULL, s, 0);
        char *r = e ? xstrdup(e) : NULL;

        curl_free(e);
        return r;
}

/* GET of a PagedDTO, all pages, values appended to *ret (an array). */
int jsm_get_paged(struct jsm *j, const char *path, json_t **ret)
{
        _cleanup_(json_decrefp) json_t *all = json_array();
        long start = 0;
        int r;

        if (!all)
                return -ENOMEM;
        for (unsigned page = 0; page < PAGES_MAX; page++) {
                _cleanup_free_ char *p = xasprintf("%s%sstart=%ld&limit=50", path,
                                                   strchr(path, '?') ? "&" : "?", start);
                _cleanup_(json_decrefp) json_t *b = NULL;
                json_t *values;
                size_t n;

                if (!p)
                        return -ENOMEM;
                r = jsm_call(j, "GET", p, NULL, NULL, 0, JSM_CALL_IDEMPOTENT, &b);
                if (r < 0)
                        return r;
                values = json_object_get(b, "values");
                n = json_array_size(values);
                json_array_extend(all, values);
                if (json_is_true(json_object_get(b, "isLastPage")) || n == 0 ||
                    !json_is_array(values))
                        break;
                start += json_integer_value(json_object_get(b, "size")) ?: (json_int_t) n;
        }
        *ret = TAKE_PTR(all);
        return 0;
}

int jsm_resolve_desk(struct jsm *j)
{
        const char *want = j->c->portal.service_desk;
        _cleanup_free_ char *e = jsm_escape(want), *path = NULL;
        _cleanup_(json_decrefp) json_t *b = NULL, *all = NULL;
        json_t *v;
        size_t i;
        int r;

        if (j->desk_id)
                return 0;
        if (!e)
                return -ENOMEM;
        path = xasprintf(JSM_API "/servicedesk/%s", e);
        if (!path)
                return -ENOMEM;
        r = jsm_call(j, "GET", path, NULL, NULL, 0, JSM_CALL_IDEMPOTENT, &b);
        if (r >= 0 && json_str(b, "id")) {
                j->desk_id = xstrdup(json_str(b, "id"));
                return j->desk_id ? 0 : -ENOMEM;
        }
        if (r != -ENOENT)
                return r;
        /* older sites: look through the desks this account can see */
        r = jsm_get_paged(j, JSM_API "/servicedesk", &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v) {
                if ((json_str(v, "id") && streq(json_str(v, "id"), want)) ||
                    (json_str(v, "projectKey") &&
                     strcasecmp(json_str(v, "projectKey"), want) == 0) ||
                    (json_str(v, "projectName") &&
                     strcasecmp(json_str(v, "projectName"), want) == 0)) {
                        j->desk_id = xstrdup(json_str(v, "id"));
                        return j->desk_id ? 0 : -ENOMEM;
                }
        }
        log_error("service desk '%s' (portal.service_desk in %s) is not among the %zu desks this "
                  "account can use; if it is right, the account is not a customer of that desk "
                  "(see 'collect portal desks')",
                  want, j->c->path ?: "collect.yaml", json_array_size(all));
        return -ENOENT;
}

int jsm_resolve_request_type(struct jsm *j, const char *use)
{
        const char *want = config_request_type(j->c, use);
        _cleanup_free_ char *path = NULL;
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_t *v, *found = NULL;
        size_t i;
        int r;

        if (j->rt_id)
                return 0;
        r = jsm_resolve_desk(j);
        if (r < 0)
                return r;
        path = xasprintf(JSM_API "/servicedesk/%s/requesttype", j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(j, path, &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v)
                if (want && json_str(v, "id") && streq(json_str(v, "id"), want))
                        found = v;
        json_array_foreach(all, i, v)
                if (!found && want && json_str(v, "name") &&
                    strcasecmp(json_str(v, "name"), want) == 0)
                        found = v;
        if (!found) {
                char **names = NULL;

                json_array_foreach(all, i, v)
                        (void) strv_extend(&names, json_str(v, "name") ?: "?");
                _cleanup_free_ char *l = names ? strv_join(names, "', '") : NULL;

                strv_free(names);
                log_error("request type '%s' (portal.request_types.%s) does not exist on desk %s; "
                          "available: '%s'",
                          want ?: "?", use, j->desk_id, l ?: "");
                return -ENOENT;
        }
        j->rt_id = xstrdup(json_str(found, "id"));
        log_debug("portal: request type '%s' is id %s", json_str(found, "name") ?: "?",
                  j->rt_id ?: "?");
        if (!j->rt_id)
                return -ENOMEM;

        free(path);
        path = xasprintf(JSM_API "/servicedesk/%s/requesttype/%s/field", j->desk_id, j->rt_id);
        if (!path)
                return -ENOMEM;
        return jsm_call(j, "GET", path, NULL, NULL, 0, JSM_CALL_IDEMPOTENT, &j->meta);
}

json_t *jsm_find_field(json_t *fields, const char *id)
{
        size_t i;
        json_t *v;

        json_array_foreach(fields, i, v)
                if (json_str(v, "fieldId") && streq(json_str(v, "fieldId"), id))
                        return v;
        return NULL;
}

/* "P1 - Critical", "p1–critical", "P1" -> 1; 0 when the label has no P-level. */
static int label_level(const char *label)
{
        while (label && (*label == ' ' || *label == '['))
                label++;
        if (!label || (label[0] != 'P' && label[0] != 'p') || label[1] < '1' || label[1] > '4')
                return 0;
        if (label[2] >= '0' && label[2] <= '9')
                return 0;
        return label[1] - '0';
}

int jsm_pick_severity(json_t *fields, const char *configured, const char *sev, char **ret_field,
                      char **ret_option_id)
{
        json_t *f = NULL, *opts, *v, *pick = NULL;
        int level = label_level(sev);
        size_t i, n;

        if (level == 0)
                level = 3;
        if (configured && !streq(configured, "auto")) {
                f = jsm_find_field(fields, configured);
                if (!f)
                        return -ENOENT;
        } else {
                f = jsm_find_field(fields, "priority");
                json_array_foreach(fields, i, v)
                        if (!f && json_str(v, "name") &&
                            strcasecmp(json_str(v, "name"), "severity") == 0)
                                f = v;
                if (!f)
                        return 0;
        }
        opts = json_object_get(f, "validValues");
        n = json_array_size(opts);
        if (n == 0)
                return 0;
        json_array_foreach(opts, i, v)
                if (!pick && label_level(json_str(v, "label")) == level)
                        pick = v;
        if (!pick)
                pick = json_array_get(opts, MIN((size_t) level - 1, n - 1));
        if (!json_str(pick, "value"))
                return 0;
        *ret_field = xstrdup(json_str(f, "fieldId"));
        *ret_option_id = xstrdup(json_str(pick, "value"));
        if (!*ret_field || !*ret_option_id) {
                *ret_field = mfree(*ret_field);
                *ret_option_id = mfree(*ret_option_id);
                return -ENOMEM;
        }
        return 1;
}

/* ---- steps ----------------------------------------------------------- */
