/* SPDX-License-Identifier: MIT */
/*
 * The Jira Service Management REST client (reference/protocols.md §1, §2):
 * one call with retries (429/503 honour Retry-After, otherwise exponential
 * backoff with jitter, a bounded number of attempts), paged GETs, and the
 * discovery of the service desk, request type and severity field. The
 * submission steps (ticket-jsm.c) and `collect portal` (cli/verb-portal.c)
 * are built on it. Logs what the portal refused, once.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "policy/site-config.h"
#include "ticket/http.h"
#include "time-util.h"

#define JSM_API "/rest/servicedeskapi"
#define JSM_ATTEMPTS_MAX 5

/* jsm_call() result for a non-idempotent call whose outcome is unknown */
#define JSM_OUTCOME_UNKNOWN (-EREMOTEIO)
/* ... and for a server that said it did not process the call (5xx, 429 exhausted) */
#define JSM_SERVER_BUSY (-EBUSY)

struct jsm {
        const struct config *c;
        struct http_client *http;
        bool dry_run;
        char *desk_id;
        char *rt_id;
        json_t *meta; /* CustomerRequestCreateMetaDTO */
        char *last_message;
        long last_status;
};

enum {
        JSM_CALL_IDEMPOTENT = 1 << 0, /* safe to repeat after any failure */
};

/*
 * Sets up j for the portal of c (borrowed; must outlive j). dry_run: no
 * credentials are read. 0; -EINVAL no portal or an unusable URL; -EACCES
 * unreadable credentials (logged); -ENOMEM. On failure j needs no jsm_done().
 */
int jsm_init(struct jsm *j, const struct config *c, bool dry_run);
/* Releases what j holds (not j itself). */
void jsm_done(struct jsm *j);

/*
 * One API call with retries. 0 for a 2xx with *ret the parsed body (may be
 * NULL), else: -EACCES (401/403), -EINVAL (400 and other 4xx), -ENOENT
 * (404), -EAGAIN (unreachable or busy after all attempts), JSM_OUTCOME_UNKNOWN
 * or JSM_SERVER_BUSY (non-idempotent call; the caller decides), -errno.
 */
int jsm_call(struct jsm *j, const char *method, const char *path, json_t *body,
             const struct http_file *files, size_t n_files, unsigned flags, json_t **ret);

/* GET of a PagedDTO, all pages (bounded): *ret a new array of the values.
 * Returns as jsm_call(). */
int jsm_get_paged(struct jsm *j, const char *path, json_t **ret);

/* Fills j->desk_id from the configured service desk (id or project key).
 * Returns as jsm_call(); -ENOENT (logged) when the desk is not found. */
int jsm_resolve_desk(struct jsm *j);
/* Fills j->rt_id and j->meta for the request type of use ("incident",
 * "question", "crash"). Needs the desk. Returns as jsm_call(). */
int jsm_resolve_request_type(struct jsm *j, const char *use);

/*
 * Where severity sev ("P1".."P4") goes among the request type's fields:
 * configured is "auto", "priority" or a field id. 1 with *ret_field and
 * *ret_option_id (new strings); 0 no severity field (auto found none);
 * -ENOENT the configured field is not there; -ENOMEM.
 */
int jsm_pick_severity(json_t *fields, const char *configured, const char *sev, char **ret_field,
                      char **ret_option_id);

/* The field id of a request type's requestTypeFields array, or NULL. Borrowed. */
json_t *jsm_find_field(json_t *fields, const char *id);

/* s escaped for a URL path or query; new string, NULL on OOM. */
char *jsm_escape(const char *s);

/* The back-off before attempt+1 (exponential, capped, with jitter). */
usec_t jsm_backoff(unsigned attempt);
/* Sleeps u, resuming after signals. */
void jsm_sleep(usec_t u);
/* name's value in milliseconds from the environment in test builds, else def. */
usec_t jsm_env_usec(const char *name, usec_t def);
