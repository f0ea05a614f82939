/* SPDX-License-Identifier: MIT */
/*
 * The program's policy schema (cli/policy-load.h).
 */
#include "analysis/checklist.h"
#include "analysis/errors.h"
#include "analysis/severity-policy.h"
#include "cli/policy-load.h"
#include "monitor/autofile.h"
#include "pipeline/registry.h"
#include "redact/redact.h"

static const char *const global_keys[] = {
        "collectors", "budgets",  "never_collect", "commands",  "errors", "redaction",
        "checklist",  "severity", "autofile",      "retention", "bundle", NULL,
};

static int autofile_check(const struct pnode *section, char **ret_error)
{
        struct autofile_policy ap;

        return autofile_policy_load(section, &ap, ret_error);
}

static const struct policy_section_check checks[] = {
        { "errors", errors_check_policy },       { "redaction", redactor_check_policy },
        { "checklist", checklist_check_policy }, { "severity", severity_check_policy },
        { "autofile", autofile_check },          {},
};

static const struct policy_schema schema = {
        .keys = global_keys,
        .collector_find = registry_find,
        .collector_count = registry_size,
        .collector_get = registry_get,
        .checks = checks,
};

int policy_load(const char *shipped_dir, char *const *dirs, char *const *files, struct policy **ret,
                char **ret_error)
{
        return policy_load_schema(&schema, shipped_dir, dirs, files, ret, ret_error);
}
