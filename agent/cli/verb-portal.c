/* SPDX-License-Identifier: MIT */
/*
 * `collect portal test|desks|types|fields` (cli/verb-portal.h): checks the
 * site, the credentials and the account step by step, and lists what the
 * configuration may name, over the REST client (ticket/jsm-client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/json-util.h"
#include "cli/exit-code.h"
#include "cli/verb-portal.h"
#include "log.h"
#include "strv.h"
#include "ticket/credentials.h"
#include "ticket/http.h"
#include "ticket/jsm-client.h"

static const char *const personal_domains[] = {
        "gmail.com",    "googlemail.com", "outlook.com", "hotmail.com",    "live.com",
        "msn.com",      "yahoo.com",      "ymail.com",   "icloud.com",     "me.com",
        "mac.com",      "aol.com",        "proton.me",   "protonmail.com", "gmx.com",
        "gmx.de",       "gmx.net",        "web.de",      "mail.com",       "yandex.com",
        "yandex.ru",    "qq.com",         "163.com",     "126.com",        "zoho.com",
        "tutanota.com", "fastmail.com",   "hey.com",     "yahoo.co.uk",    "hotmail.co.uk",
        NULL,
};

static bool email_is_personal(const char *email)
{
        const char *at = email ? strrchr(email, '@') : NULL;

        if (!at)
                return false;
        for (size_t i = 0; personal_domains[i]; i++)
                if (strcasecmp(at + 1, personal_domains[i]) == 0)
                        return true;
        return false;
}

static int portal_test(struct jsm *j)
{
        _cleanup_free_ char *err = NULL;
        struct credentials cred = {};
        struct http_response resp = {};
        _cleanup_(json_decrefp) json_t *me = NULL;
        int r;

        fprintf(stderr, "portal: %s (%s)\n", j->c->portal.url,
                portal_deployment_to_string(j->c->portal.deployment));
        r = http_send(j->http,
                      &(struct http_request) {
                              .method = "GET", .path = JSM_API "/info", .no_auth = true },
                      &resp);
        if (r < 0) {
                log_error("cannot reach %s: %s", j->c->portal.url, http_client_error(j->http));
                return r == -EPROTO ? 78 : 75;
        }
        if (resp.status != 200) {
                log_error("%s does not look like a Jira Service Management site "
                          "(GET /rest/servicedeskapi/info answered HTTP %ld); check portal.url",
                          j->c->portal.url, resp.status);
                http_response_done(&resp);
                return resp.status == 404 ? 78 : 75;
        }
        http_response_done(&resp);
        fprintf(stderr, "ok: the site answers (Jira Service Management)\n");

        r = credentials_load(&cred, j->c->portal.credentials, j->c->portal.deployment, &err);
        if (r >= 0 && j->c->portal.deployment == PORTAL_CLOUD && email_is_personal(cred.email)) {
                log_error("the account %s is registered with a personal e-mail address; the "
                          "support team requires your company address: sign up on the portal "
                          "with it and create the JSM_API token for that account",
                          cred.email);
                credentials_done(&cred);
                return 77;
        }
        if (r >= 0)
                fprintf(stderr, "ok: credentials%s%s read (%s)\n", cred.email ? " for " : "",
                        cred.email ?: "",
                        getenv("COLLECT_PORTAL_TOKEN") ? "environment" : j->c->portal.credentials);
        credentials_done(&cred);
        if (r < 0) {
                log_error("portal credentials: %s", err ?: strerror(-r));
                return 77;
        }
        r = jsm_resolve_desk(j);
        if (r < 0)
                return exit_code_from_ticket(r);
        fprintf(stderr, "ok: credentials accepted; service desk '%s' is id %s\n",
                j->c->portal.service_desk, j->desk_id);
        /* the account's own e-mail, where the portal tells it */
        if (j->c->portal.deployment == PORTAL_CLOUD &&
            jsm_call(j, "GET", "/rest/api/3/myself", NULL, NULL, 0, JSM_CALL_IDEMPOTENT, &me) >=
                    0 &&
            email_is_personal(json_str(me, "emailAddress"))) {
                log_error("the account %s is registered with a personal e-mail address; the "
                          "support team requires your company address",
                          json_str(me, "emailAddress"));
                return 77;
        }
        for (const char *const *use = (const char *const[]) { "incident", "question", NULL }; *use;
             use++) {
                _cleanup_free_ char *f = NULL, *o = NULL;

                j->rt_id = mfree(j->rt_id);
                json_decref(j->meta);
                j->meta = NULL;
                r = jsm_resolve_request_type(j, *use);
                if (r < 0)
                        return exit_code_from_ticket(r);
                r = jsm_pick_severity(json_object_get(j->meta, "requestTypeFields"),
                                      j->c->portal.severity_field, "P3", &f, &o);
                if (r == -ENOENT) {
                        log_error("the severity field '%s' is not on request type '%s'",
                                  j->c->portal.severity_field, config_request_type(j->c, *use));
                        return 78;
                }
                fprintf(stderr, "ok: %s requests use request type '%s' (id %s); severity %s%s\n",
                        *use, config_request_type(j->c, *use), j->rt_id,
                        r > 0 ? "goes in field " : "goes into the summary (no severity field)",
                        r > 0 ? f : "");
                if (json_is_false(json_object_get(j->meta, "canAddRequestParticipants")) &&
                    strv_length(j->c->portal.share_with) > 0)
                        log_warning("this account may not share requests on this request type; "
                                    "share_with will fail");
        }
        fprintf(stderr, "portal test passed\n");
        return 0;
}

static int portal_list(struct jsm *j, const char *what, const char *arg)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_t *v;
        size_t i;
        int r;

        if (streq(what, "desks")) {
                r = jsm_get_paged(j, JSM_API "/servicedesk", &all);
                if (r < 0)
                        return exit_code_from_ticket(r);
                printf("%-8s %-12s %s\n", "ID", "KEY", "NAME");
                json_array_foreach(all, i, v)
                        printf("%-8s %-12s %s\n", json_str(v, "id") ?: "?",
                               json_str(v, "projectKey") ?: "?", json_str(v, "projectName") ?: "");
                return 0;
        }
        r = jsm_resolve_desk(j);
        if (r < 0)
                return exit_code_from_ticket(r);
        if (streq(what, "types")) {
                path = xasprintf(JSM_API "/servicedesk/%s/requesttype", j->desk_id);
                if (!path)
                        return 1;
                r = jsm_get_paged(j, path, &all);
                if (r < 0)
                        return exit_code_from_ticket(r);
                printf("%-8s %s\n", "ID", "NAME");
                json_array_foreach(all, i, v)
                        printf("%-8s %s\n", json_str(v, "id") ?: "?", json_str(v, "name") ?: "");
                return 0;
        }
        /* fields [TYPE] */
        if (arg) {
                /* a request type name or id given on the command line */
                struct config c2 = *j->c;

                c2.portal.request_type_incident = (char *) arg;
                j->c = &c2;
                r = jsm_resolve_request_type(j, "incident");
                j->c = NULL;
        } else
                r = jsm_resolve_request_type(j, "incident");
        if (r < 0)
                return exit_code_from_ticket(r);
        printf("%-22s %-9s %-24s %s\n", "FIELD", "REQUIRED", "NAME", "OPTIONS (id=label)");
        json_array_foreach(json_object_get(j->meta, "requestTypeFields"), i, v) {
                size_t k;
                json_t *o;

                printf("%-22s %-9s %-24s", json_str(v, "fieldId") ?: "?",
                       json_is_true(json_object_get(v, "required")) ? "yes" : "no",
                       json_str(v, "name") ?: "");
                json_array_foreach(json_object_get(v, "validValues"), k, o)
                        printf("%s%s=%s", k ? ", " : " ", json_str(o, "value") ?: "?",
                               json_str(o, "label") ?: "");
                printf("\n");
        }
        return 0;
}

int verb_portal_run(const struct config *c, int argc, char **argv)
{
        struct jsm j;
        int r, ex;

        if (argc < 1 ||
            !(streq(argv[0], "test") || streq(argv[0], "desks") || streq(argv[0], "types") ||
              streq(argv[0], "fields")) ||
            argc > 2) {
                log_error("usage: collect portal test|desks|types|fields [REQUEST-TYPE]");
                return 64;
        }
        if (!c || !c->has_portal) {
                log_error("no portal is configured (portal: in %s); see the README for an "
                          "example",
                          c && c->path ? c->path : "/etc/collect/collect.yaml");
                return 78;
        }
        if (streq(argv[0], "test")) {
                r = jsm_init(&j, c, true);
                if (r < 0)
                        return exit_code_from_ticket(r);
                /* credentials are read inside portal_test, to report them step by step */
                {
                        _cleanup_free_ char *err = NULL, *auth = NULL;
                        struct credentials cred = {};

                        if (credentials_load(&cred, c->portal.credentials, c->portal.deployment,
                                             &err) >= 0) {
                                auth = credentials_auth_header(&cred, c->portal.deployment);
                                credentials_done(&cred);
                                if (auth)
                                        (void) http_client_set_auth(j.http, auth);
                                if (auth)
                                        explicit_bzero(auth, strlen(auth));
                        }
                }
                ex = portal_test(&j);
                jsm_done(&j);
                return ex;
        }
        r = jsm_init(&j, c, false);
        if (r < 0)
                return exit_code_from_ticket(r);
        ex = portal_list(&j, argv[0], argc > 1 ? argv[1] : NULL);
        jsm_done(&j);
        return ex;
}
