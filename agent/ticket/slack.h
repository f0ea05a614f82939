/* SPDX-License-Identifier: MIT */
/*
 * Slack incoming webhooks (reference/protocols.md): the escalation channel.
 */
#pragma once

#include <jansson.h>

/* Slack incoming webhook (URL read from a 0600 file). 0 sent; -EAGAIN
 * worth retrying (429, 5xx, unreachable); -EACCES file permissions;
 * -EINVAL refused (4xx); the URL is never logged. */
int slack_notify(const char *webhook_file, json_t *payload);

/* The Slack message for a P1 ticket; new reference or NULL. */
json_t *slack_payload(const char *key, const char *url, const char *summary, const char *host,
                      json_t *reasons);
