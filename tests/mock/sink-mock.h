/* SPDX-License-Identifier: MIT */
/*
 * A sink and a collect_ctx for collector tests: artifacts and findings are
 * kept in memory so that tests can assert what a collector emitted. Budgets
 * are enforced like the real sink (head kept, or the tail with
 * SINK_KEEP_TAIL); there is no redaction and no error extraction.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect-ctx.h"
#include "collector.h"
#include "finding.h"
#include "sink.h"

struct mock_artifact {
        char *name;
        char *source;
        char *data; /* NUL-terminated */
        size_t len;
        unsigned flags;
        bool truncated;
};

struct sink *mock_sink_new(void);
void mock_sink_free(struct sink *s);

size_t mock_sink_n_artifacts(const struct sink *s);
const struct mock_artifact *mock_sink_artifact(const struct sink *s, size_t i);
/* The artifact with this member name, or NULL. */
const struct mock_artifact *mock_sink_find(const struct sink *s, const char *name);

size_t mock_sink_n_findings(const struct sink *s);
const struct finding *mock_sink_finding(const struct sink *s, size_t i);
/* The first finding of kind k (and subject, when not NULL), or NULL. */
const struct finding *mock_sink_find_finding(const struct sink *s, enum finding_kind k,
                                             const char *subject);

/* All notes so far joined with '\n' ("" when none). */
const char *mock_sink_notes(const struct sink *s);
bool mock_sink_partial(const struct sink *s);

/* A context reading from root (a directory), window [since, until]. Budget
 * defaults: 64 MiB total, 16 MiB per file, deadline in 60 s. */
struct collect_ctx *mock_ctx_new(const char *name, const char *root, usec_t since, usec_t until);
void mock_ctx_free(struct collect_ctx *ctx);
void mock_ctx_set_budget(struct collect_ctx *ctx, uint64_t total, uint64_t per_file);
void mock_ctx_set_journal_dir(struct collect_ctx *ctx, const char *dir);
void mock_ctx_set_state_dir(struct collect_ctx *ctx, const char *dir);
void mock_ctx_set_never_collect(struct collect_ctx *ctx, char *const *globs);
void mock_ctx_set_deadline(struct collect_ctx *ctx, usec_t monotonic_deadline);
void mock_ctx_set_live(struct collect_ctx *ctx, bool live);
void mock_ctx_set_snapshot_only(struct collect_ctx *ctx, bool b);

/*
 * Runs collector c the way the runner does: zeroed state, option defaults,
 * then overrides ("key=value"; for OPTION_STRV the value is one element and a
 * repeated key appends; NULL-terminated, may be NULL), probe, init, collect,
 * done, options freed. Returns the collect (or probe/init) result: > 0 never,
 * 0 ok, -ECANCELED when probe said not applicable, -errno otherwise.
 */
int mock_run_collector(const struct collector *c, struct collect_ctx *ctx, struct sink *s,
                       const char *const *overrides);
