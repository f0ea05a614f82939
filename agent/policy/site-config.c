/* SPDX-License-Identifier: MIT */
/*
 * The site configuration, /etc/collect/collect.yaml: parsed with the pnode
 * loader so that every error names file:line:column, checked key by key
 * against the contract in DESIGN.md ("Configuration and policy keys").
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "basic/string-table.h"
#include "alloc-util.h"
#include "policy/site-config.h"
#include "policy/pnode.h"
#include "strv.h"

static const char *const support_tier_table[_SUPPORT_TIER_MAX] = {
        [TIER_STANDARD] = "standard",
        [TIER_PREMIUM] = "premium",
};

static const char *const portal_deployment_table[_PORTAL_DEPLOYMENT_MAX] = {
        [PORTAL_CLOUD] = "cloud",
        [PORTAL_DATACENTER] = "datacenter",
};

DEFINE_STRING_TABLE_LOOKUP(support_tier, enum support_tier);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(portal_deployment, enum portal_deployment);

enum portal_deployment portal_deployment_from_string(const char *s)
{
        if (!s)
                return _PORTAL_DEPLOYMENT_INVALID;
        /* "server" and "data-center" are what people also call it */
        if (streq(s, "data-center") || streq(s, "server"))
                return PORTAL_DATACENTER;
        return string_table_lookup(portal_deployment_table, ELEMENTSOF(portal_deployment_table), s);
}

const char *config_request_type(const struct config *c, const char *use)
{
        const char *t = NULL;

        if (!c)
                return NULL;
        if (use && streq(use, "question"))
                t = c->portal.request_type_question;
        else if (use && streq(use, "crash"))
                t = c->portal.request_type_crash;
        return t ?: c->portal.request_type_incident;
}

static int set_error(char **ret_error, char *msg)
{
        if (ret_error) {
                free(*ret_error);
                *ret_error = msg;
        } else
                free(msg);
        return msg ? -EINVAL : -ENOMEM;
}

static int parse_enum(const struct pnode *n, const char *what, int (*from)(const char *),
                      const char *valid, int *ret, char **ret_error)
{
        _cleanup_free_ char *s = NULL;
        int r, v;

        if (!n)
                return 0;
        r = pnode_to_string(n, &s, ret_error);
        if (r < 0)
                return r;
        v = from(s);
        if (v < 0)
                return set_error(ret_error,
                                 pnode_error(n, "invalid %s '%s' (valid: %s)", what, s, valid));
        *ret = v;
        return 0;
}

static int tier_from(const char *s)
{
        return support_tier_from_string(s);
}

static int deployment_from(const char *s)
{
        return portal_deployment_from_string(s);
}

static int parse_request_types(const struct pnode *n, struct portal_config *p, char **ret_error)
{
        static const char *const keys[] = { "incident", "question", "crash", NULL };
        int r;

        if (!n)
                return 0;
        r = pnode_check_keys(n, "portal.request_types", keys, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_string(pnode_get(n, "incident"), &p->request_type_incident, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_string(pnode_get(n, "question"), &p->request_type_question, ret_error);
        if (r < 0)
                return r;
        return pnode_to_string(pnode_get(n, "crash"), &p->request_type_crash, ret_error);
}

static bool severity_field_valid(const char *s)
{
        if (streq(s, "auto") || streq(s, "priority"))
                return true;
        if (!strneq(s, "customfield_", 12) || !s[12])
                return false;
        for (const char *p = s + 12; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

static int parse_portal(const struct pnode *n, struct config *c, char **ret_error)
{
        static const char *const keys[] = { "url",
                                            "deployment",
                                            "credentials",
                                            "ca_file",
                                            "service_desk",
                                            "request_types",
                                            "severity_field",
                                            "share_with",
                                            "proxy",
                                            "no_proxy",
                                            NULL };
        struct portal_config *p = &c->portal;
        const struct pnode *v;
        int r, d = PORTAL_CLOUD;

        r = pnode_check_keys(n, "portal", keys, ret_error);
        if (r < 0)
                return r;

        v = pnode_get(n, "url");
        if (!v)
                return set_error(ret_error, pnode_error(n, "portal: 'url' is required"));
        r = pnode_to_string(v, &p->url, ret_error);
        if (r < 0)
                return r;
        if (!url_is_allowed(p->url))
                return set_error(ret_error, pnode_error(v,
                                                        "portal.url '%s' must be an https:// URL "
                                                        "(plain http only to a loopback address)",
                                                        p->url));
        /* no trailing slash: paths are appended */
        for (size_t l = strlen(p->url); l > 0 && p->url[l - 1] == '/'; l--)
                p->url[l - 1] = 0;

        r = parse_enum(pnode_get(n, "deployment"), "portal.deployment", deployment_from,
                       "cloud, datacenter", &d, ret_error);
        if (r < 0)
                return r;
        p->deployment = d;

        r = pnode_to_string(pnode_get(n, "credentials"), &p->credentials, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_string(pnode_get(n, "ca_file"), &p->ca_file, ret_error);
        if (r >= 0)
                r = pnode_to_string(pnode_get(n, "proxy"), &p->proxy, ret_error);
        if (r >= 0)
                r = pnode_to_strv(pnode_get(n, "no_proxy"), &p->no_proxy, ret_error);
        if (r < 0)
                return r;

        v = pnode_get(n, "service_desk");
        if (!v)
                return set_error(ret_error, pnode_error(n, "portal: 'service_desk' is required "
                                                           "(see 'collect portal desks')"));
        r = pnode_to_string(v, &p->service_desk, ret_error);
        if (r < 0)
                return r;
        if (isempty(p->service_desk))
                return set_error(ret_error, pnode_error(v, "portal.service_desk is empty"));

        r = parse_request_types(pnode_get(n, "request_types"), p, ret_error);
        if (r < 0)
                return r;

        v = pnode_get(n, "severity_field");
        r = pnode_to_string(v, &p->severity_field, ret_error);
        if (r < 0)
                return r;
        if (p->severity_field && !severity_field_valid(p->severity_field))
                return set_error(ret_error,
                                 pnode_error(v,
                                             "invalid portal.severity_field '%s' "
                                             "(valid: auto, priority, customfield_NNNNN)",
                                             p->severity_field));

        r = pnode_to_strv(pnode_get(n, "share_with"), &p->share_with, ret_error);
        if (r < 0)
                return r;

        if (!p->credentials) {
                p->credentials = xstrdup(COLLECT_SYSCONFDIR "/credentials");
                if (!p->credentials)
                        return -ENOMEM;
        }
        if (!p->severity_field) {
                p->severity_field = xstrdup("auto");
                if (!p->severity_field)
                        return -ENOMEM;
        }
        if (!p->request_type_incident) {
                p->request_type_incident = xstrdup("Report an incident");
                if (!p->request_type_incident)
                        return -ENOMEM;
        }
        if (!p->request_type_question) {
                p->request_type_question = xstrdup("Ask a question");
                if (!p->request_type_question)
                        return -ENOMEM;
        }
        c->has_portal = true;
        return 0;
}

static int parse_escalation(const struct pnode *n, struct config *c, char **ret_error)
{
        static const char *const keys[] = { "slack_webhook_file", "phone", NULL };
        int r;

        if (!n)
                return 0;
        r = pnode_check_keys(n, "escalation", keys, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_string(pnode_get(n, "slack_webhook_file"), &c->slack_webhook_file, ret_error);
        if (r < 0)
                return r;
        return pnode_to_string(pnode_get(n, "phone"), &c->phone, ret_error);
}

static int parse_monitoring(const struct pnode *n, struct config *c, char **ret_error)
{
        static const char *const keys[] = { "webhook_token_file", NULL };
        int r;

        if (!n)
                return 0;
        r = pnode_check_keys(n, "monitoring", keys, ret_error);
        if (r < 0)
                return r;
        return pnode_to_string(pnode_get(n, "webhook_token_file"), &c->webhook_token_file,
                               ret_error);
}

static int parse_spool(const struct pnode *n, struct config *c, char **ret_error)
{
        static const char *const keys[] = { "max_size", "max_age", NULL };
        int r;

        if (!n)
                return 0;
        r = pnode_check_keys(n, "spool", keys, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_size(pnode_get(n, "max_size"), &c->spool_max_size, ret_error);
        if (r < 0)
                return r;
        return pnode_to_duration(pnode_get(n, "max_age"), &c->spool_max_age, ret_error);
}

static int parse_remote(const struct pnode *n, struct config *c, char **ret_error)
{
        static const char *const keys[] = { "enabled",     "allow",      "interval",
                                            "max_per_day", "max_window", NULL };
        int r;

        if (!n)
                return 0;
        r = pnode_check_keys(n, "remote_requests", keys, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_bool(pnode_get(n, "enabled"), &c->remote.enabled, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_strv(pnode_get(n, "allow"), &c->remote.allow, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_duration(pnode_get(n, "interval"), &c->remote.interval, ret_error);
        if (r < 0)
                return r;
        if (c->remote.interval < 10 * USEC_PER_SEC)
                return set_error(ret_error, pnode_error(pnode_get(n, "interval"),
                                                        "interval must be at least 10s"));
        r = pnode_to_u64(pnode_get(n, "max_per_day"), 0, 10000, &c->remote.max_per_day, ret_error);
        if (r < 0)
                return r;
        return pnode_to_duration(pnode_get(n, "max_window"), &c->remote.max_window, ret_error);
}

static int config_parse(struct config *c, const struct pnode *root, char **ret_error)
{
        static const char *const keys[] = { "environment", "product",         "critical_units",
                                            "tier",        "portal",          "escalation",
                                            "spool",       "remote_requests", "monitoring",
                                            NULL };
        const struct pnode *v;
        int r, t = TIER_STANDARD;

        r = pnode_check_keys(root, "collect.yaml", keys, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_string(pnode_get(root, "environment"), &c->environment, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_string(pnode_get(root, "product"), &c->product, ret_error);
        if (r < 0)
                return r;
        r = pnode_to_strv(pnode_get(root, "critical_units"), &c->critical_units, ret_error);
        if (r < 0)
                return r;
        r = parse_enum(pnode_get(root, "tier"), "tier", tier_from, "standard, premium", &t,
                       ret_error);
        if (r < 0)
                return r;
        c->tier = t;

        v = pnode_get(root, "portal");
        if (v && !(v->type == PNODE_SCALAR &&
                   (isempty(v->value) || streq(v->value, "null") || streq(v->value, "~")))) {
                r = pnode_expect(v, PNODE_MAP, "portal", ret_error);
                if (r < 0)
                        return r;
                r = parse_portal(v, c, ret_error);
                if (r < 0)
                        return r;
        }
        r = parse_escalation(pnode_get(root, "escalation"), c, ret_error);
        if (r < 0)
                return r;
        r = parse_monitoring(pnode_get(root, "monitoring"), c, ret_error);
        if (r < 0)
                return r;
        r = parse_remote(pnode_get(root, "remote_requests"), c, ret_error);
        if (r < 0)
                return r;
        return parse_spool(pnode_get(root, "spool"), c, ret_error);
}

int config_load(struct config *c, const char *path, bool missing_ok, char **ret_error)
{
        _cleanup_(pnode_freep) struct pnode *root = NULL;
        int r;

        *c = (struct config) {
                .tier = TIER_STANDARD,
                .spool_max_size = CONFIG_SPOOL_MAX_SIZE_DEFAULT,
                .spool_max_age = CONFIG_SPOOL_MAX_AGE_DEFAULT,
                .remote = {
                        .interval = CONFIG_REMOTE_INTERVAL_DEFAULT,
                        .max_per_day = CONFIG_REMOTE_MAX_PER_DAY_DEFAULT,
                        .max_window = CONFIG_REMOTE_MAX_WINDOW_DEFAULT,
                },
        };
        if (!path)
                return 0;

        r = pnode_parse_file(path, &root, ret_error);
        if (r == -ENOENT && missing_ok) {
                if (ret_error)
                        *ret_error = mfree(*ret_error);
                return 0;
        }
        if (r < 0) {
                if (ret_error && !*ret_error)
                        *ret_error = xasprintf("%s: %s", path, strerror(-r));
                return r;
        }
        c->path = xstrdup(path);
        if (!c->path)
                return -ENOMEM;
        if (root->type != PNODE_MAP)
                r = set_error(ret_error, pnode_error(root, "collect.yaml must be a map"));
        else
                r = config_parse(c, root, ret_error);
        if (r < 0)
                config_done(c);
        return r;
}

void config_done(struct config *c)
{
        if (!c)
                return;
        free(c->path);
        free(c->environment);
        free(c->product);
        strv_free(c->critical_units);
        free(c->portal.url);
        free(c->portal.credentials);
        free(c->portal.ca_file);
        free(c->portal.proxy);
        strv_free(c->portal.no_proxy);
        free(c->portal.service_desk);
        free(c->portal.request_type_incident);
        free(c->portal.request_type_question);
        free(c->portal.request_type_crash);
        free(c->portal.severity_field);
        strv_free(c->portal.share_with);
        free(c->slack_webhook_file);
        free(c->webhook_token_file);
        free(c->phone);
        strv_free(c->remote.allow);
        *c = (struct config) {};
}
