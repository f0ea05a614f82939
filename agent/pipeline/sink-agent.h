/* SPDX-License-Identifier: MIT */
/*
 * The agent's side of the sink (include/sink.h is the collectors' side):
 * creation, per-collector accounting, and what the manifest needs.
 */
#pragma once

#include <jansson.h>

#include "pipeline/bundle.h"
#include "redact/redact.h"
#include "analysis/report.h"
#include "basic/collect-ctx-agent.h"
#include "collector.h"
#include "macro.h"

/* From include/sink.h, which this header extends without including it (so
 * that the sink and its agent side form no include circle). */
struct sink;
struct sink_line_meta;

/*
 * A sink writing to bundle b (NULL: none, every member is refused with
 * -EROFS), redacting with r (never NULL with a bundle), feeding findings to
 * report. Staged member content (already redacted) lives in unlinked
 * temporary files in stage_dir.
 */
int sink_new(struct bundle *b, struct redactor *r, struct report *report, const char *stage_dir,
             struct sink **ret);
struct sink *sink_free(struct sink *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sink *, sink_free);

/*
 * Registers an observer of the redacted lines of every stream opened with
 * SINK_SCAN_ERRORS (the error extraction): line gets each line without its
 * newline, end_source (may be NULL) the end of a stream. With three CPUs or
 * more they run on a thread of their own (pipeline/linequeue.h): a line
 * callback's -errno then fails a later write and sink_end() logs it; otherwise
 * it fails the write of that line. Such streams are read whole even when cut, so
 * that observers see every line. 0, -ENOBUFS (at most 4), -EINVAL.
 */
int sink_add_line_observer(struct sink *s,
                           int (*line)(void *userdata, const char *source,
                                       const struct sink_line_meta *meta, const char *text,
                                       size_t len),
                           void (*end_source)(void *userdata, const char *source), void *userdata);

/* The same for an observer that looks for words (a NULL-terminated list,
 * matched caseless, at least LITSCAN_MIN bytes each, no control byte): they
 * join the redactor's scan of every line, and the observer gets in the
 * line's meta (words, words_known) those found when the line reaches it as
 * it was written (nothing redacted in it, not a piece of a long line); else
 * words_known is false and it scans the line itself. -EINVAL for bad words. */
int sink_add_line_observer_words(struct sink *s,
                                 int (*line)(void *userdata, const char *source,
                                             const struct sink_line_meta *meta, const char *text,
                                             size_t len),
                                 void (*end_source)(void *userdata, const char *source),
                                 void *userdata, char *const *words);

/* Waits until the line observers have seen every line written so far (they
 * run on a thread of their own; sink_end() waits too). 0 or the first error
 * an observer returned. */
int sink_sync_observers(struct sink *s);

/* Starts and ends the accounting of one collector: bytes, notes, partial. The
 * ctx must outlive the collector's run. */
void sink_begin(struct sink *s, struct collect_ctx *ctx);
/* Fills bytes, note (joined notes) and raises result to partial if data was cut. */
void sink_end(struct sink *s, struct collector_status *st);

/* The members added so far, in order: fn gets each row of the manifest's
 * "members" ({path, size, sha256, truncated, source, collector}) as compact
 * JSON text. The rows wait in the staging directory, not in memory. 0, the
 * first error of fn, or -errno. */
int sink_members_foreach(struct sink *s, int (*fn)(void *userdata, const char *row, size_t len),
                         void *userdata);

/* Waits until every member handed to the bundle's writer thread is written
 * and recorded (before anything else reads the bundle's state). 0 or the
 * first error of one of them (the sink then fails, see sink_fatal_error()). */
int sink_flush(struct sink *s);

/* Adds manifest.json: the object head with "members" (every row so far)
 * as its last key. The member is recorded like any other. */
int sink_add_manifest(struct sink *s, const char *name, json_t *head);

/* Every note of every collector, e.g. for summary.md's "what was cut". Borrowed. */
json_t *sink_cuts(struct sink *s);

/* Adds a member that is not redacted (manifest.json) and records it. */
int sink_add_raw(struct sink *s, const char *name, const void *data, size_t len);

/* Called after every member with the running total of bytes (progress line). */
void sink_set_progress(struct sink *s, void (*fn)(uint64_t total));

/* The error that makes the bundle impossible (disk full, archive write
 * failure), or 0. The caller then gives up the bundle (exit 73). */
int sink_fatal_error(const struct sink *s);

/* Total bytes of staged members so far. */
uint64_t sink_total_bytes(const struct sink *s);
