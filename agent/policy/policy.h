/* SPDX-License-Identifier: MIT */
/*
 * The merged policy of a run: the built-in (or shipped) policies, then
 * /etc/collect/policies.d/ *.yaml, then --policy-dir, validated section by
 * section so that every error names file:line:column.
 */
#pragma once

#include "policy/builtin-policies.h"

#include <stdint.h>

#include "collector.h"
#include "macro.h"
#include "policy/pnode.h"
#include "time-util.h"

struct policy {
        struct pnode *root;
        char **collectors; /* in run order */
        uint64_t total_budget;
        uint64_t per_collector_budget;
        uint64_t per_file_budget;
        usec_t collector_timeout;
        char **never_collect;
        unsigned compression_level;  /* bundle.compression_level: gzip level 0..9 */
        usec_t retention_max_age;    /* bundles the agent keeps: retention.max_age */
        uint64_t retention_max_size; /* and retention.max_size (all of them together) */
        char **files;                /* what was loaded, for messages */
};

/* A top-level section and the function of the module that owns it, which
 * validates it: 0 or -errno with a located *ret_error. section may be NULL. */
struct policy_section_check {
        const char *key;
        int (*check)(const struct pnode *section, char **ret_error);
};

/* What a policy may contain: given by the layer that knows the collectors
 * and the modules (cli/policy-load.h), so that this one depends on none. */
struct policy_schema {
        const char *const *keys; /* top-level keys, NULL-terminated */
        const struct collector *(*collector_find)(const char *name);
        size_t (*collector_count)(void);
        const struct collector *(*collector_get)(size_t i); /* their option tables */
        const struct policy_section_check *checks;          /* in order; ends with { NULL } */
};

/*
 * Loads the base policies (shipped_dir's *.yaml if it has any, else the
 * compiled-in copy), then every *.yaml of each directory in dirs (NULL-
 * terminated; missing directories are skipped), then each file in files.
 * Validates the result against schema. -EINVAL/-EBADMSG/-EFBIG with a
 * located *ret_error.
 */
int policy_load_schema(const struct policy_schema *schema, const char *shipped_dir,
                       char *const *dirs, char *const *files, struct policy **ret,
                       char **ret_error);
struct policy *policy_free(struct policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free);

/* The section of a top-level key (NULL when absent or empty). */
const struct pnode *policy_section(const struct policy *p, const char *key);

/* The options map of collector name (NULL when absent). */
const struct pnode *policy_collector_section(const struct policy *p, const char *name);

/* Whether collector name is enabled (`<name>: {enabled: false}` turns it off). */
bool policy_collector_enabled(const struct policy *p, const char *name);

/* Per-collector `timeout:` override, or the policy's collector_timeout. */
usec_t policy_collector_timeout(const struct policy *p, const char *name);
