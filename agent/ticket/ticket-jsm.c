/* SPDX-License-Identifier: MIT */
/*
 * Jira Service Management backend (reference/protocols.md §2, §4), the
 * submission steps over the REST client (ticket/jsm-client.h): upload the
 * bundle as a temporary attachment, create the request (deduplicated by its
 * marker), attach, share, then the escalation (ticket/escalation.c). A
 * create whose outcome is unknown is never repeated before the marker was
 * looked up. Each step's result is saved in the submission's state, so a
 * spooled submission resumes where it stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/json-util.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "ticket/adf.h"
#include "ticket/escalation.h"
#include "ticket/jsm-client.h"
#include "ticket/ledger.h"
#include "ticket/slack.h"
#include "ticket/ticket-submission.h"

#define CREATE_SETTLE (20 * USEC_PER_SEC)

static json_t *st(struct ticket_submission *s, const char *k)
{
        return json_object_get(s->state, k);
}

static int st_set(struct ticket_submission *s, const char *k, json_t *v)
{
        if (!v || json_object_set_new(s->state, k, v) < 0)
                return -ENOMEM;
        return ticket_submission_save(s);
}

static const char *req(struct ticket_submission *s, const char *k)
{
        return json_str(s->request, k);
}

static int step_upload(struct jsm *j, struct ticket_submission *s, json_t **ret_ids)
{
        _cleanup_free_ char *path = NULL;
        struct http_file files[3];
        size_t n = 0;
        _cleanup_(json_decrefp) json_t *b = NULL, *ids = NULL;
        json_t *v;
        size_t i;
        int r;

        files[n++] = (struct http_file) { .name = req(s, "bundle_name") ?: "bundle.tar.gz",
                                          .path = s->bundle_path,
                                          .content_type = "application/gzip" };
        if (req(s, "description_full")) {
                const char *t = req(s, "description_full");

                files[n++] = (struct http_file) { .name = "ticket-description.txt",
                                                  .data = t,
                                                  .size = strlen(t),
                                                  .content_type = "text/plain" };
        }
        if (req(s, "timeline_svg") && streq(req(s, "action") ?: "open", "open")) {
                const char *t = req(s, "timeline_svg");

                files[n++] = (struct http_file) { .name = "timeline.svg",
                                                  .data = t,
                                                  .size = strlen(t),
                                                  .content_type = "image/svg+xml" };
        }
        path = xasprintf(JSM_API "/servicedesk/%s/attachTemporaryFile", j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_call(j, "POST", path, NULL, files, n, JSM_CALL_IDEMPOTENT, &b);
        if (r < 0)
                return r;
        ids = json_array();
        json_array_foreach(json_object_get(b, "temporaryAttachments"), i, v)
                if (json_str(v, "temporaryAttachmentId"))
                        json_array_append_new(ids,
                                              json_string(json_str(v, "temporaryAttachmentId")));
        if (json_array_size(ids) == 0) {
                log_error("portal: the upload returned no temporary attachment id");
                return -EIO;
        }
        *ret_ids = TAKE_PTR(ids);
        return 0;
}

static int record_key(struct ticket_submission *s, const char *key, const char *url)
{
        int r;

        r = ledger_record(s->state_dir, req(s, "id"), key, url);
        if (r < 0)
                log_warning_errno(r, "cannot record %s in the ledger: %m", key);
        json_object_set_new(s->state, "key", json_string(key));
        if (url)
                json_object_set_new(s->state, "url", json_string(url));
        json_object_set_new(s->ticket, "key", json_string(key));
        if (url)
                json_object_set_new(s->ticket, "url", json_string(url));
        return ticket_submission_save(s);
}

static char *web_url(struct jsm *j, json_t *request, const char *key)
{
        const char *w = json_str(json_object_get(request, "_links"), "web");

        if (w)
                return xstrdup(w);
        return xasprintf("%s/servicedesk/customer/portal/%s/%s", j->c->portal.url,
                         j->desk_id ?: "1", key);
}

/* The marker is in the labels and the description (older submissions: the summary). */
static bool request_has_marker(json_t *r, const char *marker)
{
        const char *sum = json_str(r, "summary");
        size_t i, k;
        json_t *v, *l;

        if (sum && strstr(sum, marker))
                return true;
        json_array_foreach(json_object_get(r, "requestFieldValues"), i, v) {
                json_t *val = json_object_get(v, "value");
                _cleanup_free_ char *dump = NULL;

                if (json_is_string(val) && strstr(json_string_value(val), marker))
                        return true;
                json_array_foreach(val, k, l)
                        if (json_is_string(l) && streq(json_string_value(l), marker))
                                return true;
                dump = json_is_object(val) ? json_dumps(val, JSON_COMPACT) : NULL;
                if (dump && strstr(dump, marker))
                        return true;
        }
        return false;
}

/* Looks for a request carrying the marker. 1 found (key recorded), 0 not, -errno. */
static int find_by_marker(struct jsm *j, struct ticket_submission *s)
{
        const char *marker = req(s, "marker");
        _cleanup_free_ char *path = NULL, *key = NULL, *url = NULL;
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_t *v;
        size_t i;
        int r;

        r = ledger_lookup(s->state_dir, req(s, "id"), &key, &url);
        if (r > 0) {
                log_info("submission %s was already filed as %s (ledger)", req(s, "id"), key);
                return record_key(s, key, url) < 0 ? -EIO : 1;
        }
        /* searchTerm matches summaries only, and the marker is not in the summary: the
         * desk's requests (most recent activity first), checked here */
        path = xasprintf(JSM_API "/request?requestStatus=ALL_REQUESTS&serviceDeskId=%s",
                         j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(j, path, &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v) {
                if (!request_has_marker(v, marker) || !json_str(v, "issueKey"))
                        continue;
                url = web_url(j, v, json_str(v, "issueKey"));
                log_info("submission %s was already filed as %s (found on the portal)",
                         req(s, "id"), json_str(v, "issueKey"));
                r = record_key(s, json_str(v, "issueKey"), url);
                return r < 0 ? r : 1;
        }
        return 0;
}

/* Fleet-wide: an open request whose summary carries the problem marker (the same
 * problem reported by another host). 1 found (its key recorded), 0 not, -errno. */
static int find_open_problem(struct jsm *j, struct ticket_submission *s)
{
        const char *marker = req(s, "problem_marker");
        _cleanup_free_ char *path = NULL;
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_t *v;
        size_t i;
        int r;

        if (!marker || json_str(s->state, "key"))
                return 0;
        path = xasprintf(JSM_API "/request?searchTerm=%s&requestStatus=OPEN_REQUESTS"
                                 "&serviceDeskId=%s",
                         marker, j->desk_id);
        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(j, path, &all);
        if (r < 0)
                return r;
        r = 0;
        json_array_foreach(all, i, v) {
                _cleanup_free_ char *url = NULL;

                if (!request_has_marker(v, marker) || !json_str(v, "issueKey"))
                        continue;
                url = web_url(j, v, json_str(v, "issueKey"));
                log_info("problem %s is already open as %s: commenting on it", marker,
                         json_str(v, "issueKey"));
                r = record_key(s, json_str(v, "issueKey"), url);
                r = r < 0 ? r : 1;
                break;
        }
        return r;
}

/* After an unknown outcome: search until CREATE_SETTLE has passed since the
 * last attempt. 1 found, 0 not found and settled, -errno. */
static int settle_and_find(struct jsm *j, struct ticket_submission *s)
{
        usec_t settle = jsm_env_usec("COLLECT_TEST_SETTLE_MS", CREATE_SETTLE);
        usec_t attempted = (usec_t) json_integer_value(st(s, "create_attempted"));

        for (unsigned i = 0;; i++) {
                usec_t t = now(CLOCK_REALTIME);
                int r = find_by_marker(j, s);

                if (r != 0)
                        return r;
                if (t >= attempted + settle)
                        return 0;
                jsm_sleep(MIN(jsm_backoff(i), attempted + settle - t));
        }
}

/* What collect knows for a request-type field: the environment, the product or
 * component; NULL when the field is not one of those (*ret_known false). */
static const char *field_want(struct ticket_submission *s, json_t *f, bool *ret_known)
{
        const char *name = json_str(f, "name") ?: "", *id = json_str(f, "fieldId") ?: "";

        *ret_known = true;
        if (strcasestr(name, "environment") || streq(id, "environment"))
                return req(s, "environment");
        if (strcasestr(name, "product") || strcasestr(name, "service") ||
            strcasestr(name, "component") || streq(id, "components"))
                return req(s, "product");
        *ret_known = false;
        return NULL;
}

/* The field's value for want: an option by its label, a component by name, or text. */
static json_t *field_value(json_t *f, const char *want)
{
        json_t *opts = json_object_get(f, "validValues"), *o;
        json_t *schema = json_object_get(f, "jiraSchema");
        const char *type = json_str(schema, "type") ?: "string";
        bool array = streq(type, "array");
        size_t k;

        if (json_array_size(opts) == 0) {
                if (array && json_str(schema, "items") &&
                    streq(json_str(schema, "items"), "component"))
                        return json_pack("[{s:s}]", "name", want);
                return streq(type, "string") ? json_string(want) : NULL;
        }
        json_array_foreach(opts, k, o) {
                const char *label = json_str(o, "label");

                if (!label || !json_str(o, "value") ||
                    !(strncasecmp(label, want, strlen(want)) == 0 ||
                      strncasecmp(want, label, strlen(label)) == 0))
                        continue;
                return array ? json_pack("[{s:s}]", "id", json_str(o, "value")) :
                               json_pack("{s:s}", "id", json_str(o, "value"));
        }
        return NULL;
}

/*
 * Fills the request type's fields from what is known (environment, product or
 * component), required or not. A required field that cannot be filled is an
 * error; an optional one collect knows of but cannot fill is named in *notes.
 */
static int fill_fields(struct jsm *j, struct ticket_submission *s, json_t *values, char ***notes)
{
        json_t *fields = json_object_get(j->meta, "requestTypeFields");
        size_t i;
        json_t *f;

        json_array_foreach(fields, i, f) {
                const char *id = json_str(f, "fieldId"), *name = json_str(f, "name") ?: "";
                bool known, required = json_is_true(json_object_get(f, "required"));
                const char *want;
                json_t *v;

                if (!id || json_object_get(values, id) || streq(id, "attachment") ||
                    streq(id, "description") || streq(id, "summary") ||
                    json_array_size(json_object_get(f, "presetValues")) > 0 ||
                    json_array_size(json_object_get(f, "defaultValues")) > 0)
                        continue;
                want = field_want(s, f, &known);
                v = want ? field_value(f, want) : NULL;
                if (v) {
                        json_object_set_new(values, id, v);
                        continue;
                }
                if (required) {
                        log_error("request type %s requires the field '%s' (%s), which collect "
                                  "cannot fill%s%s%s; choose another request type in "
                                  "portal.request_types",
                                  j->rt_id, name, id, want ? " (no option matches '" : "",
                                  want ?: "", want ? "')" : "");
                        return -EINVAL;
                }
                if (known &&
                    strv_consume(notes,
                                 want ? xasprintf("%s (no option matches '%s')", name, want) :
                                        xasprintf("%s (not known to collect)", name)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The description for the deployment: ADF for Cloud (isAdfRequest), wiki markup for
 * Data Center; sev when no field carries the severity, notes on unfilled fields. */
static json_t *make_description(struct jsm *j, struct ticket_submission *s, const char *sev,
                                char **notes, bool *ret_adf)
{
        _cleanup_free_ char *sevtext = sev ? xasprintf("Severity: %s", sev) : NULL;
        _cleanup_free_ char *joined = notes ? strv_join(notes, "; ") : NULL;
        _cleanup_free_ char *note = joined ? xasprintf("Request-type fields not filled: %s.",
                                                       joined) :
                                             NULL;
        json_t *adf = json_object_get(s->request, "description_adf");

        *ret_adf = j->c->portal.deployment == PORTAL_CLOUD && json_is_object(adf);
        if (*ret_adf) {
                json_t *d = json_deep_copy(adf), *content = json_object_get(d, "content");

                if (d && note)
                        json_array_insert_new(content,
                                              json_array_size(content) > 2 ?
                                                      json_array_size(content) - 2 :
                                                      0,
                                              adf_para_text(note, ADF_STRONG));
                if (d && sevtext)
                        json_array_insert_new(content, 0, adf_para_text(sevtext, ADF_STRONG));
                return d;
        }
        _cleanup_free_ char *t = xasprintf("%s%s%s%s%s%s%s", sevtext ? "*" : "", sevtext ?: "",
                                           sevtext ? "*\n\n" : "", req(s, "description") ?: "",
                                           note ? "\n*" : "", note ?: "", note ? "*\n" : "");

        return t ? json_string(t) : NULL;
}

static int build_create(struct jsm *j, struct ticket_submission *s, json_t *temp_ids, json_t **ret)
{
        json_t *fields = json_object_get(j->meta, "requestTypeFields");
        _cleanup_free_ char *sev_field = NULL, *sev_opt = NULL, *summary = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        const char *sev = req(s, "severity") ?: "P3";
        _cleanup_(json_decrefp) json_t *values = NULL, *body = NULL;
        bool adf = false;
        int r, k;

        if (j->dry_run && !j->meta) {
                /* nothing was discovered: show where the severity goes */
                sev_field = xasprintf("{severity field: %s}",
                                      j->c->portal.severity_field ?: "auto");
                sev_opt = xasprintf("{option id of %s}", sev);
                r = sev_field && sev_opt ? 1 : -ENOMEM;
        } else
                r = jsm_pick_severity(fields, j->c->portal.severity_field, sev, &sev_field,
                                      &sev_opt);
        if (r == -ENOENT) {
                log_error("the severity field '%s' (portal.severity_field) is not on request "
                          "type %s; see 'collect portal fields'",
                          j->c->portal.severity_field, j->rt_id);
                return -EINVAL;
        }
        if (r < 0)
                return r;
        if (r == 0)
                summary = xasprintf("[%s] %s", sev, req(s, "summary") ?: "");
        else
                summary = xstrdup(req(s, "summary") ?: "");
        values = json_pack("{s:s}", "summary", summary ?: "");
        if (!values)
                return -ENOMEM;
        if (r > 0)
                json_object_set_new(values, sev_field, json_pack("{s:s}", "id", sev_opt));
        if (jsm_find_field(fields, "labels"))
                json_object_set(values, "labels", json_object_get(s->request, "labels"));
        if (temp_ids && jsm_find_field(fields, "attachment") &&
            json_is_true(json_object_get(jsm_find_field(fields, "attachment"), "required")))
                json_object_set(values, "attachment", temp_ids);
        k = fill_fields(j, s, values, &notes);
        if (k >= 0 && (jsm_find_field(fields, "description") || !fields)) {
                json_t *d = make_description(j, s, r == 0 ? sev : NULL, notes, &adf);

                k = d ? json_object_set_new(values, "description", d) : -ENOMEM;
        }
        if (k < 0)
                return k;
        body = json_pack("{s:s, s:s, s:o}", "serviceDeskId", j->desk_id ?: "{serviceDeskId}",
                         "requestTypeId", j->rt_id ?: "{requestTypeId}", "requestFieldValues",
                         TAKE_PTR(values));
        if (!body)
                return -ENOMEM;
        if (adf)
                json_object_set_new(body, "isAdfRequest", json_true());
        *ret = TAKE_PTR(body);
        return 0;
}

static int step_create(struct jsm *j, struct ticket_submission *s, json_t *temp_ids)
{
        _cleanup_(json_decrefp) json_t *body = NULL;
        int r;

        if (json_str(s->state, "key"))
                return 0;
        /* a previous attempt may have gone through */
        if (json_integer_value(st(s, "create_attempted")) > 0) {
                r = settle_and_find(j, s);
                if (r != 0)
                        return r < 0 ? r : 0;
        } else {
                r = find_by_marker(j, s); /* the ledger, mostly */
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        r = build_create(j, s, temp_ids, &body);
        if (r < 0)
                return r;
        for (unsigned attempt = 0;; attempt++) {
                _cleanup_(json_decrefp) json_t *resp = NULL;
                _cleanup_free_ char *url = NULL;

                r = st_set(s, "create_attempted", json_integer((json_int_t) now(CLOCK_REALTIME)));
                if (r < 0)
                        break;
                r = jsm_call(j, "POST", JSM_API "/request", body, NULL, 0, 0, &resp);
                if (r >= 0) {
                        const char *key = json_str(resp, "issueKey");

                        if (!key) {
                                log_error("portal: the create answer has no issueKey");
                                r = -EIO;
                                break;
                        }
                        url = web_url(j, resp, key);
                        json_object_set_new(s->state, "created_ms",
                                            json_integer(json_integer_value(json_object_get(
                                                    json_object_get(resp, "createdDate"),
                                                    "epochMillis"))));
                        r = record_key(s, key, url);
                        if (temp_ids && json_object_get(json_object_get(body, "requestFieldValues"),
                                                        "attachment"))
                                json_object_set_new(s->state, "attached", json_true());
                        break;
                }
                if (r != JSM_OUTCOME_UNKNOWN && r != JSM_SERVER_BUSY)
                        break;
                /* never create again before looking for the first one */
                r = r == JSM_OUTCOME_UNKNOWN ? settle_and_find(j, s) : find_by_marker(j, s);
                if (r != 0) {
                        r = r < 0 ? r : 0;
                        break;
                }
                if (attempt + 1 >= JSM_ATTEMPTS_MAX) {
                        r = -EAGAIN;
                        break;
                }
                jsm_sleep(jsm_backoff(attempt));
        }
        return r;
}

static int step_attach(struct jsm *j, struct ticket_submission *s, json_t **temp_ids)
{
        _cleanup_free_ char *path = NULL;
        const char *key = json_str(s->state, "key");
        bool unknown = false;
        int r;

        if (json_is_true(st(s, "attached")))
                return 0;
        path = xasprintf(JSM_API "/request/%s/attachment", key);
        if (!path)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < JSM_ATTEMPTS_MAX; attempt++) {
                _cleanup_(json_decrefp) json_t *body = NULL;

                if (!*temp_ids) {
                        r = step_upload(j, s, temp_ids);
                        if (r < 0)
                                return r;
                }
                body = json_pack("{s:O, s:b, s:{s:s}}", "temporaryAttachmentIds", *temp_ids,
                                 "public", 1, "additionalComment", "body",
                                 req(s, "comment") ?: "Diagnostics bundle attached by collect.");
                if (!body)
                        return -ENOMEM;
                r = jsm_call(j, "POST", path, body, NULL, 0, 0, NULL);
                if (r >= 0)
                        return st_set(s, "attached", json_true());
                if (r == -EINVAL && unknown) {
                        /* the earlier attempt went through and used the temporary ids */
                        log_info("portal: the bundle was attached by the earlier attempt");
                        return st_set(s, "attached", json_true());
                }
                if (r == -EINVAL && attempt == 0) {
                        /* temporary ids expire; upload once more */
                        *temp_ids = (json_decref(*temp_ids), NULL);
                        continue;
                }
                if (r != JSM_OUTCOME_UNKNOWN && r != JSM_SERVER_BUSY)
                        return r;
                unknown = unknown || r == JSM_OUTCOME_UNKNOWN;
                jsm_sleep(jsm_backoff(attempt));
        }
        return -EAGAIN;
}

static int step_share(struct jsm *j, struct ticket_submission *s)
{
        _cleanup_free_ char *path = NULL;
        json_t *share = json_object_get(s->request, "share");
        json_t *st_shared = st(s, "shared");
        _cleanup_(json_decrefp) json_t *body = NULL;
        int r;

        if (json_array_size(share) == 0 || json_is_true(st_shared) || json_is_string(st_shared))
                return 0;
        if (j->meta && json_is_false(json_object_get(j->meta, "canAddRequestParticipants")))
                log_notice("the request type says this account may not share requests; trying");
        path = xasprintf(JSM_API "/request/%s/participant", json_str(s->state, "key"));
        body = json_pack("{s:O}",
                         j->c->portal.deployment == PORTAL_DATACENTER ? "usernames" : "accountIds",
                         share);
        if (!path || !body)
                return -ENOMEM;
        r = jsm_call(j, "POST", path, body, NULL, 0, JSM_CALL_IDEMPOTENT, NULL);
        if (r >= 0)
                return st_set(s, "shared", json_true());
        if (r == -EINVAL || r == -ENOENT || r == -EACCES) {
                /* the ticket stands; sharing will not work by retrying */
                log_error("could not share %s: %s (check share_with / --share: %s)",
                          json_str(s->state, "key"), j->last_message ?: "?",
                          j->c->portal.deployment == PORTAL_DATACENTER ? "usernames" :
                                                                         "accountIds");
                (void) st_set(s, "shared", json_string(j->last_message ?: "failed"));
        }
        return r;
}

static int resolve_existing(struct jsm *j, struct ticket_submission *s)
{
        _cleanup_free_ char *path = NULL, *e = jsm_escape(req(s, "key") ?: "");
        _cleanup_(json_decrefp) json_t *b = NULL;
        int r;

        if (j->desk_id)
                return 0;
        if (!e)
                return -ENOMEM;
        path = xasprintf(JSM_API "/request/%s", e);
        if (!path)
                return -ENOMEM;
        r = jsm_call(j, "GET", path, NULL, NULL, 0, JSM_CALL_IDEMPOTENT, &b);
        if (r == -ENOENT)
                log_error("ticket %s does not exist or this account cannot see it", req(s, "key"));
        if (r < 0)
                return r;
        j->desk_id = xstrdup(json_str(b, "serviceDeskId") ?: "");
        if (!json_str(s->state, "key")) {
                _cleanup_free_ char *url = web_url(j, b, req(s, "key"));

                json_object_set_new(s->state, "key", json_string(req(s, "key")));
                if (url)
                        json_object_set_new(s->state, "url", json_string(url));
        }
        json_object_set(s->ticket, "key", json_object_get(s->state, "key"));
        json_object_set(s->ticket, "url", json_object_get(s->state, "url"));
        return j->desk_id ? 0 : -ENOMEM;
}

/* ---- fleet-wide convergence ---- */

/* The number of a key ("SUP-481" -> 481; 0 when there is none). */
static uint64_t key_number(const char *key)
{
        const char *dash = key ? strrchr(key, '-') : NULL;
        uint64_t n = 0;

        if (!dash || safe_atou64(dash + 1, &n) < 0)
                return 0;
        return n;
}

/* true if request a (created at ms_a, key a) is older than b: earlier, then (also
 * when a time is not known) the lower key, as a project numbers its requests. */
static bool older(int64_t ms_a, const char *a, int64_t ms_b, const char *b)
{
        if (ms_a > 0 && ms_b > 0 && ms_a != ms_b)
                return ms_a < ms_b;
        return key_number(a) < key_number(b);
}

/*
 * The oldest open request carrying the problem marker, if it is older than
 * own (created at own_ms). 1 with *ret (a new reference), 0 none, -errno.
 */
static int find_older_problem(struct jsm *j, const char *marker, const char *own, int64_t own_ms,
                              json_t **ret)
{
        _cleanup_free_ char *path = xasprintf(JSM_API "/request?searchTerm=%s&requestStatus="
                                                      "OPEN_REQUESTS&serviceDeskId=%s",
                                              marker, j->desk_id);
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_t *v, *best = NULL;
        int64_t best_ms = own_ms;
        const char *best_key = own;
        size_t i;
        int r;

        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(j, path, &all);
        if (r < 0)
                return r;
        json_array_foreach(all, i, v) {
                const char *key = json_str(v, "issueKey");
                int64_t ms = json_integer_value(
                        json_object_get(json_object_get(v, "createdDate"), "epochMillis"));

                if (!key || streq(key, own) || !request_has_marker(v, marker) ||
                    streq(json_str(json_object_get(v, "currentStatus"), "statusCategory") ?: "",
                          "DONE"))
                        continue;
                if (older(ms, key, best_ms, best_key)) {
                        best = v;
                        best_ms = ms;
                        best_key = key;
                }
        }
        if (best)
                *ret = json_incref(best);
        return best ? 1 : 0;
}

/* This host's bundle as a comment on the problem's request. */
static int merge_attach(struct jsm *j, struct ticket_submission *s, const char *into,
                        const char *own)
{
        _cleanup_free_ char *path = xasprintf(JSM_API "/request/%s/attachment", into);
        _cleanup_free_ char *text = xasprintf(
                "The same problem on %s (its bundle is attached). %s was opened for it by that "
                "host at the same moment and is closed as a duplicate of %s.\n\n%s",
                req(s, "host") ?: "another host", own, into, req(s, "summary") ?: "");
        _cleanup_(json_decrefp) json_t *ids = NULL, *body = NULL;
        int r;

        if (!path || !text)
                return -ENOMEM;
        r = step_upload(j, s, &ids);
        if (r < 0)
                return r;
        body = json_pack("{s:o, s:b, s:{s:s}}", "temporaryAttachmentIds", TAKE_PTR(ids), "public",
                         1, "additionalComment", "body", text);
        if (!body)
                return -ENOMEM;
        return jsm_call(j, "POST", path, body, NULL, 0, 0, NULL);
}

/* The customer transition that closes a request (by its name), or NULL. */
static char *close_transition(struct jsm *j, const char *key)
{
        static const char *const words[] = { "duplicate", "cancel", "resolve", "close", "done" };
        _cleanup_free_ char *path = xasprintf(JSM_API "/request/%s/transition", key);
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_t *v;
        char *id = NULL;
        size_t i;

        if (!path || jsm_get_paged(j, path, &all) < 0)
                return NULL;
        for (size_t w = 0; w < ELEMENTSOF(words) && !id; w++)
                json_array_foreach(all, i, v)
                        if (json_str(v, "id") && json_str(v, "name") &&
                            strcasestr(json_str(v, "name"), words[w])) {
                                id = xstrdup(json_str(v, "id"));
                                break;
                        }
        return id;
}

/* Closes own as a duplicate of into (a customer transition with the comment; a
 * comment alone when the workflow offers the customer none). */
static int close_duplicate(struct jsm *j, const char *own, const char *into)
{
        _cleanup_free_ char *text = xasprintf(
                "Duplicate of %s: the same problem was reported by another host at the same "
                "moment; this host's bundle is attached to %s.",
                into, into);
        _cleanup_free_ char *tid = close_transition(j, own), *path = NULL;
        _cleanup_(json_decrefp) json_t *body = NULL;
        int r;

        if (!text)
                return -ENOMEM;
        path = tid ? xasprintf(JSM_API "/request/%s/transition", own) :
                     xasprintf(JSM_API "/request/%s/comment", own);
        body = tid ? json_pack("{s:s, s:{s:s}}", "id", tid, "additionalComment", "body", text) :
                     json_pack("{s:s, s:b}", "body", text, "public", 1);
        if (!path || !body)
                return -ENOMEM;
        r = jsm_call(j, "POST", path, body, NULL, 0, 0, NULL);
        if (r >= 0 && !tid)
                log_notice("%s: no customer transition closes it; commented 'duplicate of %s'", own,
                           into);
        return r;
}

/*
 * Two hosts that searched for the problem at the same moment both found
 * nothing and both created a request. After creating, look again: when an
 * older open request carries the same problem marker (created earlier; on a
 * tie the lower key), that one is the problem's request. This host's bundle
 * goes there as a comment, its own request is closed as a duplicate pointing
 * at it, and the filing reports the older key, so later repeats comment
 * there. Every host orders the requests the same way, so they converge on one.
 */
static int step_converge(struct jsm *j, struct ticket_submission *s)
{
        const char *marker = req(s, "problem_marker");
        _cleanup_free_ char *own = xstrdup(json_str(s->state, "key") ?: "");
        _cleanup_free_ char *url = NULL;
        _cleanup_(json_decrefp) json_t *older_req = NULL;
        json_t *st_into = st(s, "duplicate_of");
        int r;

        if (!marker || !own || isempty(own) || json_is_true(st(s, "converged")) ||
            json_is_true(st(s, "fleet_comment")))
                return own ? 0 : -ENOMEM;
        if (!json_is_string(st_into)) {
                r = find_older_problem(j, marker, own, json_integer_value(st(s, "created_ms")),
                                       &older_req);
                if (r <= 0)
                        return r < 0 ? r : st_set(s, "converged", json_true());
                url = web_url(j, older_req, json_str(older_req, "issueKey"));
                r = st_set(s, "duplicate_of", json_string(json_str(older_req, "issueKey")));
                if (r < 0)
                        return r;
                st_into = st(s, "duplicate_of");
                json_object_set_new(s->state, "duplicate_url", json_string(url ?: ""));
        }
        log_notice("problem %s: %s is older than %s (created at the same moment by another "
                   "host): moving this host's filing there",
                   marker, json_string_value(st_into), own);
        if (!json_is_true(st(s, "merged"))) {
                r = merge_attach(j, s, json_string_value(st_into), own);
                if (r < 0)
                        return r;
                (void) st_set(s, "merged", json_true());
        }
        r = close_duplicate(j, own, json_string_value(st_into));
        if (r < 0)
                log_warning("could not close %s as a duplicate of %s: %s", own,
                            json_string_value(st_into), j->last_message ?: "?");
        json_object_set_new(s->ticket, "duplicate", json_string(own));
        r = record_key(s, json_string_value(st_into), json_str(s->state, "duplicate_url"));
        if (r >= 0)
                r = st_set(s, "converged", json_true());
        return r;
}

/* step_converge(); a refusal (not worth a retry) leaves the ticket as it stands. */
static int converge(struct jsm *j, struct ticket_submission *s)
{
        int r = step_converge(j, s);

        if (r >= 0 || r == -ENOMEM || r == -EAGAIN || r == JSM_OUTCOME_UNKNOWN ||
            r == JSM_SERVER_BUSY || http_error_is_transient(r))
                return r;
        log_warning("problem %s: could not check for an older request of another host: %s",
                    req(s, "problem_marker"), j->last_message ?: strerror(-r));
        return st_set(s, "converged", json_true());
}

static void print_dry(const char *method, const char *path, json_t *body, const char *extra)
{
        _cleanup_free_ char *t = body ? json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

        fprintf(stderr, "would send: %s %s%s%s\n%s%s", method, path, extra ? " " : "", extra ?: "",
                t ?: "", t ? "\n" : "");
}

static int jsm_dry_run(struct jsm *j, struct ticket_submission *s)
{
        bool open = streq(req(s, "action") ?: "open", "open");
        const char *key = open ? "{issueKey}" : req(s, "key");
        _cleanup_free_ char *p = NULL, *desk = NULL;
        _cleanup_(json_decrefp) json_t *attach = NULL;
        int r;

        fprintf(stderr, "dry run: nothing is sent to %s\n", j->c->portal.url);
        desk = xstrdup(open ? j->c->portal.service_desk : "{serviceDeskId of the ticket}");
        if (!desk)
                return -ENOMEM;
        if (!open) {
                p = xasprintf(JSM_API "/request/%s", key);
                print_dry("GET", p ?: "", NULL, NULL);
                free(p);
        }
        p = xasprintf(JSM_API "/servicedesk/%s/attachTemporaryFile", desk);
        print_dry("POST", p ?: "", NULL,
                  "(multipart/form-data, X-Atlassian-Token: no-check, "
                  "part 'file')");
        fprintf(stderr, "  file: %s\n%s", req(s, "bundle_name") ?: "bundle.tar.gz",
                req(s, "description_full") ? "  file: ticket-description.txt\n" : "");
        if (open) {
                _cleanup_(json_decrefp) json_t *create = NULL;

                j->meta = NULL;
                r = build_create(j, s, NULL, &create);
                if (r < 0)
                        return r;
                print_dry("POST", JSM_API "/request", create, NULL);
        }
        free(p);
        p = xasprintf(JSM_API "/request/%s/attachment", key);
        attach = json_pack("{s:[s], s:b, s:{s:s}}", "temporaryAttachmentIds",
                           "{temporaryAttachmentId}", "public", 1, "additionalComment", "body",
                           req(s, "comment") ?: "");
        print_dry("POST", p ?: "", attach, NULL);
        if (json_array_size(json_object_get(s->request, "share")) > 0) {
                _cleanup_(json_decrefp) json_t *body = NULL;

                free(p);
                p = xasprintf(JSM_API "/request/%s/participant", key);
                body = json_pack("{s:O}",
                                 j->c->portal.deployment == PORTAL_DATACENTER ? "usernames" :
                                                                                "accountIds",
                                 json_object_get(s->request, "share"));
                print_dry("POST", p ?: "", body, NULL);
        }
        if (json_is_true(json_object_get(s->request, "p1"))) {
                if (s->config->tier == TIER_PREMIUM && s->config->slack_webhook_file) {
                        _cleanup_(json_decrefp)
                                json_t *body = slack_payload(key, "{portal link}",
                                                             req(s, "summary"), req(s, "host"),
                                                             json_object_get(s->request,
                                                                             "severity_reasons"));

                        print_dry("POST", "(Slack webhook from the escalation file)", body, NULL);
                } else if (s->config->tier != TIER_PREMIUM)
                        fprintf(stderr, "(P1: the emergency channel is Premium-only; not "
                                        "notified)\n");
        }
        json_object_set_new(s->ticket, "action", json_string("none"));
        return 0;
}

static int jsm_submit(struct ticket_submission *s)
{
        _cleanup_(json_decrefp) json_t *temp_ids = NULL;
        bool open = streq(req(s, "action") ?: "open", "open");
        struct jsm j;
        int r;

        r = jsm_init(&j, s->config, s->dry_run);
        if (r < 0)
                return r;
        if (s->dry_run) {
                r = jsm_dry_run(&j, s);
                jsm_done(&j);
                return r;
        }
        if (open) {
                r = jsm_resolve_request_type(&j, req(s, "request_type") ?: "incident");
                if (r >= 0 && !json_integer_value(st(s, "create_attempted")))
                        r = find_open_problem(&j, s);
                if (r < 0)
                        goto finish;
                open = r == 0 && !json_is_true(st(s, "fleet_comment"));
                if (!open)
                        (void) st_set(s, "fleet_comment", json_true());
        }
        if (open) {
                if (!json_is_true(st(s, "attached")) && !json_str(s->state, "key")) {
                        /* upload first: a bundle that cannot be uploaded opens no ticket */
                        r = step_upload(&j, s, &temp_ids);
                        if (r < 0)
                                goto finish;
                }
                r = step_create(&j, s, temp_ids);
                if (r < 0)
                        goto finish;
        } else {
                r = resolve_existing(&j, s);
                if (r < 0)
                        goto finish;
        }
        r = step_attach(&j, s, &temp_ids);
        if (r >= 0 && open)
                r = converge(&j, s);
        if (r < 0)
                goto finish;
        if (json_is_string(st(s, "duplicate_of")))
                open = false; /* the older request of another host is the problem's */
        json_object_set_new(s->ticket, "action",
                            json_string(open ? "created" :
                                        json_is_true(st(s, "fleet_comment")) ||
                                                        json_is_string(st(s, "duplicate_of")) ?
                                               "commented" :
                                               "attached"));
        r = step_share(&j, s);
        if (r < 0 && r != -EAGAIN) {
                /* the ticket stands; the share failure is reported in the exit code */
                (void) st_set(s, "done", json_true());
                goto finish;
        }
        if (r == -EAGAIN)
                goto finish;
        r = escalation_run(s);
        if (r < 0)
                goto finish;
        r = st_set(s, "done", json_true());
finish:
        if (r < 0 && j.last_message && r != -ENOMEM)
                json_object_set_new(s->state, "last_error", json_string(j.last_message));
        if (r == JSM_OUTCOME_UNKNOWN || r == JSM_SERVER_BUSY || http_error_is_transient(r))
                r = -EAGAIN;
        jsm_done(&j);
        return r;
}

static const struct ticket_backend_ops jsm_ops = {
        .submit = jsm_submit,
};

const struct ticket_backend ticket_backend_jsm = {
        .name = "jsm",
        .ops = &jsm_ops,
};
