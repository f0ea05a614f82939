/* SPDX-License-Identifier: MIT */
/*
 * A pass over the portal for `/collect` triggers (agent/monitor/remote-poll.h),
 * after reference/protocols.md §2.12: the open requests the account can see
 * (owned and participated), their public comments oldest first; trust by
 * accountId or the e-mail when the portal shows it, never by display name;
 * each comment claimed under the state lock before anything is done.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/json-util.h"
#include "log.h"
#include "monitor/remote-poll.h"
#include "ticket/jsm-client.h"

/* Triggers older than this are not looked at (claims are kept longer). */
#define REMOTE_TRIGGER_MAX_AGE (7 * USEC_PER_DAY)
#define REMOTE_REQUESTS_MAX 500

struct poll {
        const struct config *c;
        const char *state_dir;
        struct jsm jsm;
        remote_answer_fn answer;
        void *userdata;
        struct remote_poll_stats *stats;
        char host[256];
};

static int post_comment(struct poll *p, const char *key, const char *text)
{
        _cleanup_free_ char *path = xasprintf(JSM_API "/request/%s/comment", key);
        _cleanup_(json_decrefp) json_t *body = json_pack("{s:s,s:b}", "body", text, "public", 1);

        if (!path || !body)
                return -ENOMEM;
        return jsm_call(&p->jsm, "POST", path, body, NULL, 0, 0, NULL);
}

static char *describe_author(json_t *author)
{
        const char *name = json_str(author, "displayName");
        const char *id = json_str(author, "accountId") ?: json_str(author, "name");

        return xasprintf("%s (%s)", name ?: "someone", id ?: "unknown account");
}

static char *comment_time_text(usec_t t)
{
        char buf[64];

        return xstrdup(format_iso8601(buf, sizeof(buf), t));
}

static int refuse_trigger(struct poll *p, const char *key, const char *id, const char *who,
                          const char *when, const char *why)
{
        _cleanup_free_ char *text = NULL;
        int r;

        text = xasprintf("collect on %s: the /collect request by %s at %s was not answered: %s. "
                         "Nothing was collected. A trigger accepts only --since WHEN, "
                         "--until WHEN and --mask.",
                         p->host, who, when, why);
        if (!text)
                return -ENOMEM;
        r = post_comment(p, key, text);
        if (r < 0)
                log_warning("%s: could not post the refusal: %s", key, strerror(-r));
        p->stats->refused++;
        (void) remote_record(p->state_dir, key, id, "refused");
        return 0;
}

static char *answer_intro(const struct poll *p, const char *who, const char *when,
                          const struct remote_trigger *t)
{
        char a[64], b[64];

        return xasprintf("collect on %s answers the /collect request by %s at %s: "
                         "window %s to %s%s%s.",
                         p->host, who, when, format_iso8601(a, sizeof(a), t->since),
                         format_iso8601(b, sizeof(b), t->until),
                         t->clamped ? " (narrowed to the longest window allowed)" : "",
                         t->mask ? ", names and addresses masked" : "");
}

static int handle_trigger(struct poll *p, const char *key, json_t *comment,
                          const struct remote_trigger *t)
{
        const char *id = json_str(comment, "id");
        json_t *author = json_object_get(comment, "author");
        _cleanup_free_ char *who = describe_author(author);
        _cleanup_free_ char *when = NULL, *intro = NULL, *why = NULL;
        enum remote_claim claim;
        int r;

        when = comment_time_text(
                (usec_t) json_integer_value(
                        json_object_get(json_object_get(comment, "created"), "epochMillis")) *
                1000);
        if (!who || !when)
                return -ENOMEM;
        if (!remote_author_allowed(p->c->remote.allow, json_str(author, "accountId"),
                                   json_str(author, "emailAddress"))) {
                r = remote_claim(p->state_dir, key, id, now(CLOCK_REALTIME), 0, false, &claim);
                if (r >= 0 && claim == REMOTE_CLAIM_GO) {
                        log_notice("%s: ignored a /collect request by %s: not on the "
                                   "remote_requests allow list",
                                   key, who);
                        p->stats->ignored++;
                        (void) remote_record(p->state_dir, key, id, "ignored: author");
                }
                return r;
        }
        r = remote_claim(p->state_dir, key, id, now(CLOCK_REALTIME), p->c->remote.max_per_day,
                         !t->refused, &claim);
        if (r < 0 || claim == REMOTE_CLAIM_DONE)
                return r;
        if (t->refused) {
                why = xasprintf("not accepted: %s", t->refused);
                return why ? refuse_trigger(p, key, id, who, when, why) : -ENOMEM;
        }
        if (claim == REMOTE_CLAIM_OVER_CAP) {
                why = xasprintf("the daily limit of %llu bundles sent in answer is reached",
                                (unsigned long long) p->c->remote.max_per_day);
                return why ? refuse_trigger(p, key, id, who, when, why) : -ENOMEM;
        }
        intro = answer_intro(p, who, when, t);
        if (!intro)
                return -ENOMEM;
        log_info("%s: answering the /collect request by %s", key, who);
        r = p->answer(p->userdata, key, t, intro);
        if (r >= 0 || r == -EAGAIN)
                p->stats->answered++;
        else
                p->stats->failed++;
        (void) remote_record(p->state_dir, key, id,
                             r >= 0       ? "answered" :
                             r == -EAGAIN ? "spooled" :
                                            "failed");
        return 0;
}

static int scan_comments(struct poll *p, const char *key)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_(json_decrefp) json_t *comments = NULL;
        usec_t t_now = now(CLOCK_REALTIME);
        json_t *c;
        size_t i;
        int r;

        path = xasprintf(JSM_API "/request/%s/comment?public=true&internal=false&limit=100", key);
        if (!path)
                return -ENOMEM;
        r = jsm_get_paged(&p->jsm, path, &comments);
        if (r < 0)
                return r;
        json_array_foreach(comments, i, c) {
                struct remote_trigger t = {};
                usec_t when = (usec_t) json_integer_value(
                                      json_object_get(json_object_get(c, "created"),
                                                      "epochMillis")) *
                              1000;

                if (!json_str(c, "id") || json_is_false(json_object_get(c, "public")))
                        continue;
                if (when + REMOTE_TRIGGER_MAX_AGE < t_now)
                        continue;
                r = remote_trigger_parse(json_str(c, "body"), when, p->c->remote.max_window, &t);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                p->stats->triggers++;
                r = handle_trigger(p, key, c, &t);
                remote_trigger_done(&t);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool request_is_open(json_t *req)
{
        const char *cat = json_str(json_object_get(req, "currentStatus"), "statusCategory");

        return !cat || !streq(cat, "DONE");
}

int remote_poll(const struct config *c, const char *state_dir, remote_answer_fn answer,
                void *userdata, struct remote_poll_stats *stats)
{
        struct poll p = { .c = c,
                          .state_dir = state_dir,
                          .answer = answer,
                          .userdata = userdata,
                          .stats = stats };
        _cleanup_(json_decrefp) json_t *requests = NULL;
        json_t *req;
        size_t i;
        int r;

        *stats = (struct remote_poll_stats) {};
        if (gethostname(p.host, sizeof(p.host) - 1) < 0)
                (void) snprintf(p.host, sizeof(p.host), "?");
        r = jsm_init(&p.jsm, c, false);
        if (r < 0)
                return r;
        r = jsm_get_paged(&p.jsm,
                          JSM_API "/request?requestStatus=OPEN_REQUESTS"
                                  "&requestOwnership=OWNED_REQUESTS"
                                  "&requestOwnership=PARTICIPATED_REQUESTS&limit=50",
                          &requests);
        json_array_foreach(requests, i, req) {
                const char *key = json_str(req, "issueKey");

                if (r < 0 || i >= REMOTE_REQUESTS_MAX)
                        break;
                if (!key || !request_is_open(req))
                        continue;
                stats->requests++;
                r = scan_comments(&p, key);
                if (r == -ENOENT || r == -EACCES) /* gone or no longer visible */
                        r = 0;
        }
        jsm_done(&p.jsm);
        return r;
}
