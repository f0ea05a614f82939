/* SPDX-License-Identifier: MIT */
/*
 * timeline.svg: the window as a picture that opens in any browser — errors per
 * interval by source as stacked bars, and the changes, crashes, failures and
 * alerts of the timeline as numbered markers on the same time axis, with a
 * key below. Plain SVG 1.1 written directly: no scripts, no external
 * resources, every text escaped (and invalid UTF-8 replaced). Pure.
 */
#pragma once

#include <jansson.h>

#include "analysis/timeline.h"
#include "dynbuf.h"
#include "time-util.h"

#define TIMELINE_SVG_MARKERS 20

/*
 * Writes the picture of [since, until] into out. histogram is
 * errors_histogram()'s object (may be NULL: no bars). 0, -EINVAL for an empty
 * window, -ENOMEM.
 */
int timeline_svg(const struct timeline *t, json_t *histogram, usec_t since, usec_t until,
                 struct dynbuf *out);

/* Appends s escaped for XML text and attribute values, at most max bytes of it. */
int svg_escape(struct dynbuf *b, const char *s, size_t max);
