/* SPDX-License-Identifier: MIT */
/*
 * The site configuration, /etc/collect/collect.yaml (keys fixed by DESIGN.md).
 * Absent file: everything unset, no portal (the outbox is used).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/url-util.h"
#include "macro.h"
#include "time-util.h"

enum portal_deployment {
        PORTAL_CLOUD,      /* basic auth e-mail:API token, accountIds */
        PORTAL_DATACENTER, /* bearer personal access token, usernames */
        _PORTAL_DEPLOYMENT_MAX,
        _PORTAL_DEPLOYMENT_INVALID = -EINVAL,
};

enum support_tier {
        TIER_STANDARD,
        TIER_PREMIUM,
        _SUPPORT_TIER_MAX,
        _SUPPORT_TIER_INVALID = -EINVAL,
};

struct portal_config {
        char *url; /* https://site.atlassian.net */
        enum portal_deployment deployment;
        char *credentials;           /* path, default /etc/collect/credentials */
        char *ca_file;               /* optional; every outbound connection (portal, Slack) */
        char *proxy;                 /* optional; every outbound connection */
        char **no_proxy;             /* hosts reached without the proxy */
        char *service_desk;          /* id or project key */
        char *request_type_incident; /* name or id */
        char *request_type_question;
        char *request_type_crash;
        char *severity_field; /* "auto", "priority" or "customfield_NNNNN" */
        char **share_with;
};

struct config {
        char *path; /* file it was read from, NULL if none */
        char *environment;
        char *product;
        char **critical_units;
        enum support_tier tier;
        bool has_portal;
        struct portal_config portal;
        char *slack_webhook_file;
        char *phone;
        char *webhook_token_file; /* monitoring: {webhook_token_file: PATH} (0600) */
        struct remote_config {
                bool enabled;         /* remote_requests: {enabled: false} */
                char **allow;         /* comment authors: e-mail globs or accountIds */
                usec_t interval;      /* how often open requests are looked at */
                uint64_t max_per_day; /* bundles sent in answer, all requests together */
                usec_t max_window;    /* the widest window a trigger may ask for */
        } remote;
        uint64_t spool_max_size; /* spool: {max_size: 512M}; oldest dropped first */
        usec_t spool_max_age;    /* spool: {max_age: 7d} */
};

#define CONFIG_SPOOL_MAX_SIZE_DEFAULT (UINT64_C(512) * 1024 * 1024)
#define CONFIG_SPOOL_MAX_AGE_DEFAULT (7 * USEC_PER_DAY)
#define CONFIG_REMOTE_INTERVAL_DEFAULT (5 * USEC_PER_MINUTE)
#define CONFIG_REMOTE_MAX_PER_DAY_DEFAULT 10
#define CONFIG_REMOTE_MAX_WINDOW_DEFAULT (7 * USEC_PER_DAY)

/* The request type configured for a use ("incident", "question", "crash");
 * falls back to the incident type, then to NULL. */
const char *config_request_type(const struct config *c, const char *use);

/*
 * Loads path into *c (zeroed first). A missing file is not an error when
 * missing_ok (the default path); an explicitly named one is (-ENOENT).
 * Unknown keys, wrong types and bad values give -EINVAL with *ret_error set to
 * "file:line:column: message". Caller frees with config_done().
 */
int config_load(struct config *c, const char *path, bool missing_ok, char **ret_error);
void config_done(struct config *c);

const char *support_tier_to_string(enum support_tier t) _pure_;
const char *portal_deployment_to_string(enum portal_deployment d) _pure_;
enum support_tier support_tier_from_string(const char *s) _pure_;
enum portal_deployment portal_deployment_from_string(const char *s) _pure_;
