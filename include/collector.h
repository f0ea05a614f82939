/* SPDX-License-Identifier: MIT */
/*
 * The contract between the agent and every collector. A collector is a
 * static const descriptor; the runner allocates its zeroed state, applies the
 * option defaults and the policy values, then calls probe, init, collect and
 * done. Collectors emit artifacts and findings to the sink only.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct collect_ctx;
struct sink;

enum option_type {
        OPTION_STRING,   /* char *, owned by the framework */
        OPTION_STRV,     /* char **, NULL-terminated, owned by the framework */
        OPTION_BOOL,     /* bool */
        OPTION_U64,      /* uint64_t */
        OPTION_SIZE,     /* uint64_t; accepts "512K", "20M" */
        OPTION_DURATION, /* usec_t; accepts "30s", "2h" */
        OPTION_RECORDS,  /* struct option_records: a list of maps, each a record of typed
                          * fields (struct option_record_type); owned by the framework */
        _OPTION_TYPE_MAX,
        _OPTION_TYPE_INVALID = -EINVAL,
};

struct collector_option {
        const char *key; /* policy key, snake_case */
        enum option_type type;
        const char *def;  /* default as text, parsed like user input; NULL = unset.
                                * For OPTION_STRV, elements separated by '\n'.
                                * OPTION_RECORDS has none: the list is empty. */
        size_t offset;    /* offsetof(struct <name>_state, field); for a record field,
                                * offsetof(struct <record>, field) */
        const char *help; /* one line */
};

/* The value of an OPTION_RECORDS option: n records of the record type's size. */
struct option_records {
        void *records;
        size_t n;
};

#define OPTION_RECORD(l, i, size) ((void *) ((char *) (l)->records + (i) * (size)))

/*
 * What one record of an OPTION_RECORDS option is (struct collector.record_types).
 * Fields are options whose offsets are into the record; each record gets the
 * fields' defaults, then its values; errors carry file:line:column.
 */
struct option_record_type {
        const char *key;                       /* the OPTION_RECORDS option described */
        const char *name;                      /* one record in messages: "command" */
        size_t size;                           /* sizeof(struct <record>) */
        const struct collector_option *fields; /* scalar or list fields; all-zero ends */
        const char *const *required;           /* keys each record must give; NULL-terminated */
        const char *unique;                    /* an OPTION_STRING field no two records share */
        /* Optional: checks a parsed record; -EINVAL with the key at fault and a message
         * (allocated) that the framework prefixes with that value's place. */
        int (*check)(const void *record, const char **ret_key, char **ret_why);
};

struct collector_ops {
        /* Optional. > 0: applicable here; 0: not applicable (reported as skipped, with
         * the note the collector gave through sink_note); < 0: -errno. */
        int (*probe)(void *state, struct collect_ctx *ctx, struct sink *sink);
        /* Optional. State is zeroed and options are applied; validate and open handles. */
        int (*init)(void *state, struct collect_ctx *ctx);
        /* Required. Emit artifacts and findings; honour the budget and the deadline.
         * Return 0 on partial success too (truncation is a sink note), -errno if nothing
         * usable was produced. */
        int (*collect)(void *state, struct collect_ctx *ctx, struct sink *sink);
        /* Optional. Release what init/collect acquired; must cope with a half-initialized
         * state. Option values are freed by the framework. */
        void (*done)(void *state);
};

enum {
        COLLECTOR_NEEDS_ROOT = 1u << 0,    /* reads files only root may read */
        COLLECTOR_READS_JOURNAL = 1u << 1, /* needs systemd-journal group membership */
        COLLECTOR_SLOW = 1u << 2,          /* excluded from the "quick" profile */
        COLLECTOR_LIVE_ONLY = 1u << 3,     /* only meaningful when the root is "/" */
};

struct collector {
        const char *name;                       /* unique, [a-z0-9-], equals the policy key */
        const char *summary;                    /* one line */
        unsigned flags;                         /* COLLECTOR_* */
        size_t state_size;                      /* sizeof(struct <name>_state) */
        const struct collector_option *options; /* terminated by an all-zero entry */
        /* One entry per OPTION_RECORDS option, terminated by an all-zero entry. A records
         * option named after the collector also takes the list as its whole policy
         * section ("commands: [{...}, ...]"). */
        const struct option_record_type *record_types;
        const struct collector_ops *ops; /* NULL: known name, not built in */
};
