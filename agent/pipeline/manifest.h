/* SPDX-License-Identifier: MIT */
/*
 * manifest.json and summary.md: written last, once every member is known.
 * Also the reverse, for `collect check BUNDLE`: the facts of a run read back
 * from its manifest.
 */
#pragma once

#include <jansson.h>

#include "analysis/checklist.h"
#include "dynbuf.h"
#include "analysis/report.h"
#include "analysis/severity.h"

#define MANIFEST_FORMAT_VERSION 1

struct manifest_params {
        const char *bundle_name;  /* top directory */
        const struct report *report;
        json_t *members;          /* borrowed: [{path,size,sha256,...}] */
        json_t *cuts;             /* borrowed: [{collector, note}] */
        const struct checklist_result *checklist;
        const struct severity_result *severity;
        json_t *redaction;        /* borrowed: redactor_report() */
        json_t *errors_top;       /* borrowed, may be NULL */
        json_t *leaks;            /* borrowed, may be NULL: leak-check hits */
        bool masked;
};

/* The statuses as the --json/manifest "collectors" array. New reference. */
json_t *statuses_to_json(const struct report *r);
json_t *findings_to_json(const struct report *r);
json_t *input_to_json(const struct user_input *u);

/* manifest.json as an object. New reference, NULL on OOM. */
json_t *manifest_build(const struct manifest_params *p);

/* summary.md into out. 0 or -ENOMEM/-E2BIG. */
int summary_render(const struct manifest_params *p, struct dynbuf *out);

/*
 * Reads manifest.json out of a bundle (libarchive) into a new object.
 * -ENOENT if the bundle has none, -EBADMSG if it is not a bundle or the JSON
 * is invalid (with a message in *ret_error).
 */
int manifest_read(const char *bundle_path, json_t **ret, char **ret_error);

/* Rebuilds the facts of a run (statuses, findings, input) from a manifest. */
int report_from_manifest(json_t *m, struct report *r);
