/* SPDX-License-Identifier: MIT */
/*
 * `collect hook coredump|unit-failure UNIT|alertmanager`: one problem, one
 * ticket; later occurrences comment on it; a storm is counted, not filed.
 * The hook builds its own collection request from the event and the
 * autofile decision, and runs it with collect_run().
 */
#pragma once

#include "pipeline/collect.h"

struct hook_request {
        char **args;                    /* coredump | unit-failure UNIT | alertmanager */
        const char *since, *until;      /* as given on the command line, NULL: defaults */
        int payload_fd;                 /* alertmanager: the webhook payload (stdin) */
        struct collect_request collect; /* dirs, root, output, text: the rest is the hook's */
};

/*
 * Runs the hook. 0 when done, also when nothing was filed (storm control,
 * resolved, disabled: ret->bundle_path is then NULL); -errno with
 * ret->status and ret->error otherwise.
 */
int hook_run(const struct hook_request *h, struct collect_result *ret);
