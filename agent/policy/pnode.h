/* SPDX-License-Identifier: MIT */
/*
 * Policies: YAML files loaded with libyaml into a tree of nodes that remember
 * where they came from (file:line:column), merged in order (shipped defaults,
 * /etc/collect/policies.d/ *.yaml, --policy-dir): maps merge key by key,
 * sequences are appended, scalars replace. Each module then converts its own
 * section with the pnode_* accessors, so that every error names its place.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "time-util.h"

enum pnode_type {
        PNODE_SCALAR,
        PNODE_MAP,
        PNODE_SEQ,
        _PNODE_TYPE_MAX,
        _PNODE_TYPE_INVALID = -EINVAL,
};

struct pnode {
        enum pnode_type type;
        char *key;            /* key in the parent map, NULL otherwise */
        char *value;          /* scalar text; NULL for maps and sequences */
        bool quoted;          /* scalar was quoted (so "yes" stays a string) */
        struct pnode **items; /* map values (each with ->key) or sequence items */
        size_t n_items;
        const char *file;  /* interned; lives as long as the tree */
        unsigned line;     /* 1-based */
        unsigned column;   /* 1-based */
        unsigned key_line; /* where the key of a map value is; 0 otherwise */
        unsigned key_column;
};

/* Caps that protect the loader from hostile input. */
#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_DEPTH_MAX 16
#define POLICY_NODES_MAX 100000

/*
 * Parses one YAML file into a tree. An empty file gives an empty map. On
 * error returns -EBADMSG (syntax), -EFBIG (cap), -errno (I/O) and sets
 * *ret_error to "file:line:column: message" (caller frees).
 */
int pnode_parse_file(const char *path, struct pnode **ret, char **ret_error);

/* Same for a memory buffer; name is used as the file name in messages. */
int pnode_parse_string(const char *name, const char *data, size_t len, struct pnode **ret,
                       char **ret_error);

/* Merges src into dst (both maps): maps recursively, sequences appended,
 * scalars replaced. Takes ownership of src. 0, -EINVAL (type clash; with
 * *ret_error naming src's place) or -ENOMEM. */
int pnode_merge(struct pnode *dst, struct pnode *src, char **ret_error);

struct pnode *pnode_free(struct pnode *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pnode *, pnode_free);

/* True for an absent node or an empty value ("key:" with nothing, "~", null). */
bool pnode_is_null(const struct pnode *n);

/* Child of a map by key, or NULL (also when map is NULL or not a map). */
const struct pnode *pnode_get(const struct pnode *map, const char *key);

/* Formats "file:line:column: message" for node n; NULL on OOM. */
char *pnode_error(const struct pnode *n, const char *fmt, ...) _printf_(2, 3);

/* The same, at the position of n's key (for "unknown key" messages). */
char *pnode_key_error(const struct pnode *n, const char *fmt, ...) _printf_(2, 3);

/*
 * Checks that n is a map whose keys are all in allowed (NULL-terminated).
 * -EINVAL with "file:line:column: unknown key 'x' in 'section' (valid keys:
 * a, b, c)" otherwise; a duplicate key is refused the same way.
 */
int pnode_check_keys(const struct pnode *n, const char *section, const char *const *allowed,
                     char **ret_error);

/* Typed conversions; each fails with -EINVAL and a located message naming
 * the expected type or range. A NULL node leaves *ret untouched and returns 0. */
int pnode_to_string(const struct pnode *n, char **ret, char **ret_error);
int pnode_to_bool(const struct pnode *n, bool *ret, char **ret_error);
int pnode_to_u64(const struct pnode *n, uint64_t min, uint64_t max, uint64_t *ret,
                 char **ret_error);
int pnode_to_size(const struct pnode *n, uint64_t *ret, char **ret_error);
int pnode_to_duration(const struct pnode *n, usec_t *ret, char **ret_error);
/* A sequence of scalars (or a single scalar) into a string vector. */
int pnode_to_strv(const struct pnode *n, char ***ret, char **ret_error);
/* Requires the node to be of the given type. */
int pnode_expect(const struct pnode *n, enum pnode_type type, const char *what, char **ret_error);
