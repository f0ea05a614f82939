/* SPDX-License-Identifier: MIT */
/*
 * The facts of one run that the checklist, the severity engine, the summary
 * and the ticket text are computed from: collector status rows, findings,
 * and what the person (or the configuration) stated.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "macro.h"
#include "time-util.h"

enum collector_result {
        COLLECTOR_OK,
        COLLECTOR_PARTIAL,
        COLLECTOR_SKIPPED,
        COLLECTOR_FAILED,
        COLLECTOR_TIMEOUT,
        _COLLECTOR_RESULT_MAX,
        _COLLECTOR_RESULT_INVALID = -EINVAL,
};

const char *collector_result_to_string(enum collector_result r) _pure_;
enum collector_result collector_result_from_string(const char *s) _pure_;

struct collector_status {
        char *name;
        enum collector_result result;
        usec_t duration;
        uint64_t bytes;
        char *note; /* first notes joined with "; ", may be NULL */
        int error;  /* COLLECTOR_FAILED: the -errno the collector returned, else 0 */
};

enum request_type {
        REQUEST_INCIDENT, /* default */
        REQUEST_QUESTION, /* information request: P4 */
        REQUEST_CRASH,    /* filed by a monitoring hook */
        _REQUEST_TYPE_MAX,
        _REQUEST_TYPE_INVALID = -EINVAL,
};

const char *request_type_to_string(enum request_type t) _pure_;
enum request_type request_type_from_string(const char *s) _pure_;

enum severity {
        SEVERITY_P1, /* critical: production outage, no viable workaround */
        SEVERITY_P2, /* high: major degradation with significant impact */
        SEVERITY_P3, /* medium: limited impact, workaround available */
        SEVERITY_P4, /* low: information request or minor issue */
        _SEVERITY_MAX,
        _SEVERITY_INVALID = -EINVAL,
};

const char *severity_to_string(enum severity s) _pure_;   /* "P1" … "P4" */
enum severity severity_from_string(const char *s) _pure_; /* "P1"/"p1"/"1" … */

enum tristate {
        TRISTATE_UNKNOWN = -1,
        TRISTATE_NO = 0,
        TRISTATE_YES = 1,
};

/* Where a stated value came from, for the reasons and the checklist. */
enum input_source {
        INPUT_NONE,
        INPUT_CLI,    /* command-line option */
        INPUT_PROMPT, /* answered at the terminal prompt */
        INPUT_CONFIG, /* collect.yaml */
        INPUT_POLICY, /* a policy mapping (e.g. unit -> product) */
        _INPUT_SOURCE_MAX,
        _INPUT_SOURCE_INVALID = -EINVAL,
};

const char *input_source_to_string(enum input_source s) _pure_;

struct user_input {
        enum request_type type;
        char *environment;
        enum input_source environment_source;
        char *product;
        enum input_source product_source;
        char *summary;
        char *description;
        char *steps;
        enum input_source steps_source;
        char *impact;
        enum input_source impact_source;
        enum tristate workaround;
        enum input_source workaround_source;
        enum severity selected; /* _SEVERITY_INVALID when the person chose none */
        char **critical_units;  /* from collect.yaml, plus the policy's */
};

/* Everything known after collection. Arrays are owned by the report. */
struct report {
        char *host;
        usec_t since, until, started;
        struct collector_status *statuses;
        size_t n_statuses;
        struct finding *findings; /* each string field owned (copied by the sink) */
        size_t n_findings;
        struct user_input input;
};

void report_done(struct report *r);
void user_input_done(struct user_input *u);

/* Adds a copy of f (strings duplicated). 0 or -ENOMEM. */
int report_add_finding(struct report *r, const struct finding *f);

/* Finds the status row of a collector, or NULL. */
const struct collector_status *report_status(const struct report *r, const char *name);
