/* SPDX-License-Identifier: MIT */
/*
 * Premium P1 escalation: a Slack incoming webhook. The webhook URL is the
 * credential: it is read from a 0600 file and never printed.
 */
#include <string.h>

#include <jansson.h>

#include "alloc-util.h"
#include "ticket/credentials.h"
#include "dynbuf.h"
#include "ticket/http.h"
#include "log.h"
#include "ticket/slack.h"

static int add_escaped(struct dynbuf *b, const char *s)
{
        int r = 0;

        for (const char *p = s ? s : ""; *p && r >= 0; p++) {
                if (*p == '&')
                        r = dynbuf_addstr(b, "&amp;");
                else if (*p == '<')
                        r = dynbuf_addstr(b, "&lt;");
                else if (*p == '>')
                        r = dynbuf_addstr(b, "&gt;");
                else
                        r = dynbuf_addc(b, *p);
        }
        return r;
}

json_t *slack_payload(const char *key, const char *url, const char *summary, const char *host,
                      json_t *reasons)
{
        _cleanup_free_ char *text = NULL;
        struct dynbuf b;
        size_t i;
        json_t *v, *j;
        int r;

        text = xasprintf(":rotating_light: P1 %s %s — %s", key ?: "?", summary ?: "", url ?: "");
        if (!text)
                return NULL;
        dynbuf_init(&b, 16 * 1024);
        r = dynbuf_addstr(&b, "*P1* <");
        if (r >= 0)
                r = add_escaped(&b, url ?: "");
        if (r >= 0)
                r = dynbuf_addc(&b, '|');
        if (r >= 0)
                r = add_escaped(&b, key ?: "?");
        if (r >= 0)
                r = dynbuf_addstr(&b, "> — ");
        if (r >= 0)
                r = add_escaped(&b, summary);
        if (r >= 0)
                r = dynbuf_addstr(&b, "\n*Host:* ");
        if (r >= 0)
                r = add_escaped(&b, host ?: "?");
        json_array_foreach(reasons, i, v) {
                const char *s = json_string_value(v) ?:
                                                       json_string_value(json_object_get(v, "text"));

                if (r >= 0 && s && i < 5) {
                        r = dynbuf_addstr(&b, "\n• ");
                        if (r >= 0)
                                r = add_escaped(&b, s);
                }
        }
        if (r < 0) {
                dynbuf_done(&b);
                return NULL;
        }
        j = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "text", text, "blocks", "type", "section",
                      "text", "type", "mrkdwn", "text", b.buf ?: "");
        dynbuf_done(&b);
        return j;
}

int slack_notify(const char *webhook_file, json_t *payload)
{
        _cleanup_(http_client_freep) struct http_client *h = NULL;
        _cleanup_free_ char *url = NULL, *err = NULL, *body = NULL;
        struct http_response resp = {};
        int r;

        r = secret_file_read(webhook_file, &url, &err);
        if (r < 0) {
                log_error("slack: %s", err ? err : strerror(-r));
                return r == -EACCES ? -EACCES : -EINVAL;
        }
        r = http_client_new(url, NULL, &h);
        explicit_bzero(url, strlen(url));
        if (r < 0) {
                log_error("slack: the webhook in '%s' is not an https:// URL", webhook_file);
                return -EINVAL;
        }
        http_client_set_secret_url(h);
        body = json_dumps(payload, JSON_COMPACT);
        if (!body)
                return -ENOMEM;
        r = http_send(h, &(struct http_request) { .method = "POST", .json = body, .no_auth = true },
                      &resp);
        if (r == -EINTR)
                return r; /* a stop signal: the caller says what was interrupted */
        if (r < 0) {
                /* the URL is the credential: the host and path are never named */
                log_warning("slack: cannot reach the webhook: %s", http_client_error(h));
                return -EAGAIN;
        }
        if (resp.status == 200) {
                http_response_done(&resp);
                return 0;
        }
        log_warning("slack: the webhook answered HTTP %ld: %.200s", resp.status,
                    resp.body ? resp.body : "");
        r = (resp.status == 429 || resp.status >= 500) ? -EAGAIN : -EINVAL;
        http_response_done(&resp);
        return r;
}
