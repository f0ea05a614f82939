/* SPDX-License-Identifier: MIT */
/*
 * The environment collector's private interface: its state (options) and
 * the per-concern emitters split over environment-*.c. Every file is read
 * beneath the context root, so --root works and nothing leaves the tree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collect-ctx.h"
#include "dynbuf.h"
#include "sink.h"
#include "time-util.h"

struct environment_state {
        uint64_t disk_full_percent;   /* FINDING_DISK_FULL at or above this usage */
        uint64_t inodes_full_percent; /* FINDING_INODES_FULL at or above this usage */
        char **disk_skip_types;       /* filesystem types never measured with statvfs */
        bool include_packages;
        bool include_network;
        bool include_failed_units;
        usec_t rpm_timeout;
        usec_t bus_timeout;
        uint64_t max_failed_units;

        /* Not options: filled while collecting. */
        unsigned produced;   /* artifacts and findings emitted so far */
        bool cpu_seen;       /* /proc/cpuinfo could be read */
        bool cpu_hypervisor; /* /proc/cpuinfo has the "hypervisor" flag */
        struct dynbuf facts; /* "key: value" lines for environment/host.txt */
};

/* Longest line kept by environment_read_line(); the rest of a longer line is dropped. */
#define ENVIRONMENT_LINE_MAX (64u * 1024u)

/*
 * Reads the small regular file path (relative to the root, e.g. "proc/uptime")
 * into a NUL-terminated buffer of at most max bytes (more is silently cut:
 * /proc files have no size). Refuses non-regular files (-EBADFD), links
 * leaving the root, and paths the policy forbids (-EPERM). A failure is noted
 * in the sink unless it is -ENOENT and quiet is true. The caller frees *ret.
 */
int environment_read(struct collect_ctx *ctx, struct sink *s, const char *path, size_t max,
                     bool quiet, char **ret, size_t *ret_size);

/* Notes why path (relative to the root) could not be read: missing, not a regular
 * file, a link leaving the root, forbidden by policy, or the error. */
void environment_note_read_error(struct sink *s, const char *path, int r);

/* Like environment_read() but opens path as a stdio stream for line reading. */
int environment_fopen(struct collect_ctx *ctx, struct sink *s, const char *path, bool quiet,
                      FILE **ret);

/* True if path (relative to the root) exists (any type, not followed out of the root). */
bool environment_exists(struct collect_ctx *ctx, const char *path);

/* Reads one line (without '\n') into b, which is reset first; an overlong line is
 * cut at b's maximum. 1 when a line was read, 0 at EOF, -errno on error. */
int environment_read_line(FILE *f, struct dynbuf *b);

/* Strips leading and trailing whitespace in place; returns s. */
char *environment_strip(char *s);

/* Emits a FINDING_HOST_FACT (subject key, detail value). */
void environment_fact(struct environment_state *st, struct sink *s, const char *key,
                      const char *value);

/* Formats a byte count like "512B", "1.5K", "20.0G" into buf (at least 16 bytes). */
char *environment_format_bytes(char *buf, size_t size, uint64_t bytes);

/* Adds data as member name; counts it as produced. 0 or -errno (noted). */
int environment_add(struct environment_state *st, struct sink *s, const char *name,
                    const struct dynbuf *b);

/* The emitters, one per concern. Each notes what it could not do and returns
 * 0 if it produced something, -errno (already noted) otherwise. */
int environment_disk(struct environment_state *st, struct collect_ctx *ctx, struct sink *s);
int environment_virt(struct environment_state *st, struct collect_ctx *ctx, struct sink *s);
int environment_packages(struct environment_state *st, struct collect_ctx *ctx, struct sink *s);
int environment_network(struct environment_state *st, struct collect_ctx *ctx, struct sink *s);
int environment_units(struct environment_state *st, struct collect_ctx *ctx, struct sink *s);
