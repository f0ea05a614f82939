/* SPDX-License-Identifier: MIT */
/*
 * The runner: each enabled collector in policy order, with its options,
 * a deadline and a byte budget; a failing, slow or cut collector never stops
 * the run — its status row says what happened.
 */
#pragma once

#include <stdbool.h>

#include "policy/policy.h"
#include "analysis/report.h"
#include "pipeline/sink-agent.h"

struct runner_params {
        const struct policy *policy;
        const char *root; /* "/" or --root */
        int root_fd;
        usec_t since, until;
        const char *journal_dir; /* may be NULL */
        const char *state_dir;
        bool snapshot_only; /* `collect snapshot`: only the config collector */
        /* Called when a collector starts (name) and ends (name, status). May be NULL. */
        void (*progress)(const char *name, const struct collector_status *done);
};

/*
 * Runs the collectors into sink s, appending a status row per collector to
 * report->statuses. Returns 0, -ENOMEM, or -EINTR when a stop signal came
 * (checked between collectors; a running collector sees it in ctx_expired()).
 */
int runner_run(const struct runner_params *p, struct sink *s, struct report *report);
