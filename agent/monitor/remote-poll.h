/* SPDX-License-Identifier: MIT */
/*
 * One pass over the open requests this portal account can see, answering
 * `/collect` comments (see monitor/remote.h). The collection itself is the
 * caller's (the answer callback runs collect_run() for that request only),
 * so this module never runs anything but a collection on the request the
 * trigger is on.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "monitor/remote.h"
#include "policy/site-config.h"

struct remote_poll_stats {
        unsigned requests; /* open requests looked at */
        unsigned triggers; /* trigger comments seen (new or not) */
        unsigned answered; /* bundles sent or spooled in answer */
        unsigned refused;  /* refusal comments (options, daily cap) */
        unsigned ignored;  /* triggers from authors not on the allow list */
        unsigned failed;   /* answers that failed */
};

/*
 * Answers one trigger: collects t's window and attaches the bundle to key,
 * with intro as the first paragraph of the comment. Returns 0 (answered),
 * -EAGAIN (spooled: will be sent later), or -errno.
 */
typedef int (*remote_answer_fn)(void *userdata, const char *key, const struct remote_trigger *t,
                                const char *intro);

/*
 * Looks at every open request (owned and shared, not DONE) and its public
 * comments. 0 when the pass completed (individual answers may have failed:
 * see stats), -EAGAIN when the portal was unreachable or busy, -EACCES when
 * it refused the credentials, -errno.
 */
int remote_poll(const struct config *c, const char *state_dir, remote_answer_fn answer,
                void *userdata, struct remote_poll_stats *stats);
