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
#include "sink.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "analysis/timeline.h"

#define MANIFEST_FORMAT_VERSION 1

struct manifest_params {
        const char *bundle_name; /* top directory */
        const struct report *report;
        json_t *cuts; /* borrowed: [{collector, note}] */
        const struct checklist_result *checklist;
        const struct severity_result *severity;
        json_t *redaction;       /* borrowed: redactor_report() */
        json_t *errors_top;      /* borrowed, may be NULL */
        json_t *leaks;           /* borrowed, may be NULL: leak-check hits */
        json_t *error_histogram; /* borrowed, may be NULL: errors_histogram() */
        bool masked;
};

/* The statuses as the --json/manifest "collectors" array. New reference. */
json_t *statuses_to_json(const struct report *r);
json_t *findings_to_json(const struct report *r);
json_t *input_to_json(const struct user_input *u);

/* manifest.json as an object, without "members" (sink_add_manifest() adds them
 * as it writes the file). New reference, NULL on OOM. */
json_t *manifest_build(const struct manifest_params *p);

/* The run's timeline (findings, error groups, the collection). 0 or -ENOMEM. */
int manifest_timeline(const struct manifest_params *p, struct timeline *ret);

/* timeline.svg into out. 0, -EINVAL (empty window) or -ENOMEM. */
int manifest_timeline_svg(const struct manifest_params *p, struct dynbuf *out);

/* Draws timeline.svg and adds it to the bundle through the sink (redacted like
 * every member). 0 (also when there is nothing to draw) or the sink's -errno. */
int manifest_add_timeline_svg(const struct manifest_params *p, struct sink *s);

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
