/* SPDX-License-Identifier: MIT */
/*
 * The facts of one run (agent/analysis/report.h) and the string tables of the enums
 * shared by the checklist, the severity engine and the manifest.
 */
#include <string.h>
#include <strings.h>

#include "basic/string-table.h"
#include "alloc-util.h"
#include "finding.h"
#include "analysis/report.h"
#include "strv.h"

static const char *const finding_kind_table[_FINDING_KIND_MAX] = {
        [FINDING_UNIT_FAILED] = "unit_failed",
        [FINDING_UNIT_RESTARTS] = "unit_restarts",
        [FINDING_UNIT_DOWN] = "unit_down",
        [FINDING_OOM_KILL] = "oom_kill",
        [FINDING_SEGFAULT] = "segfault",
        [FINDING_CRASH] = "crash",
        [FINDING_ERRORS] = "errors",
        [FINDING_ERROR_SIGNATURES] = "error_signatures",
        [FINDING_ERROR_SURGE] = "error_surge",
        [FINDING_DISK_FULL] = "disk_full",
        [FINDING_INODES_FULL] = "inodes_full",
        [FINDING_CONFIG_CHANGES] = "config_changes",
        [FINDING_PACKAGE_CHANGES] = "package_changes",
        [FINDING_CONFIG_TOUCHES_FAILING] = "config_touches_failing",
        [FINDING_KERNEL_ERROR] = "kernel_error",
        [FINDING_HOST_FACT] = "host_fact",
        [FINDING_RESOURCE_EXHAUSTED] = "resource_exhausted",
};
DEFINE_STRING_TABLE_LOOKUP_CASE(finding_kind, enum finding_kind);

static const char *const collector_result_table[_COLLECTOR_RESULT_MAX] = {
        [COLLECTOR_OK] = "ok",           [COLLECTOR_PARTIAL] = "partial",
        [COLLECTOR_SKIPPED] = "skipped", [COLLECTOR_FAILED] = "failed",
        [COLLECTOR_TIMEOUT] = "timeout",
};
DEFINE_STRING_TABLE_LOOKUP_CASE(collector_result, enum collector_result);

static const char *const request_type_table[_REQUEST_TYPE_MAX] = {
        [REQUEST_INCIDENT] = "incident",
        [REQUEST_QUESTION] = "question",
        [REQUEST_CRASH] = "crash",
};
DEFINE_STRING_TABLE_LOOKUP_CASE(request_type, enum request_type);

static const char *const severity_table[_SEVERITY_MAX] = {
        [SEVERITY_P1] = "P1",
        [SEVERITY_P2] = "P2",
        [SEVERITY_P3] = "P3",
        [SEVERITY_P4] = "P4",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(severity, enum severity);

enum severity severity_from_string(const char *s)
{
        if (!s)
                return _SEVERITY_INVALID;
        if (s[0] == 'P' || s[0] == 'p')
                s++;
        if (s[0] >= '1' && s[0] <= '4' && s[1] == 0)
                return (enum severity)(s[0] - '1');
        return _SEVERITY_INVALID;
}

static const char *const input_source_table[_INPUT_SOURCE_MAX] = {
        [INPUT_NONE] = "none",           [INPUT_CLI] = "command line", [INPUT_PROMPT] = "stated",
        [INPUT_CONFIG] = "collect.yaml", [INPUT_POLICY] = "policy",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(input_source, enum input_source);

void user_input_done(struct user_input *u)
{
        free(u->environment);
        free(u->product);
        free(u->summary);
        free(u->description);
        free(u->steps);
        free(u->impact);
        strv_free(u->critical_units);
        *u = (struct user_input) { .workaround = TRISTATE_UNKNOWN, .selected = _SEVERITY_INVALID };
}

static void finding_done(struct finding *f)
{
        free((char *) f->subject);
        free((char *) f->detail);
        free((char *) f->source);
}

void report_done(struct report *r)
{
        free(r->host);
        for (size_t i = 0; i < r->n_statuses; i++) {
                free(r->statuses[i].name);
                free(r->statuses[i].note);
        }
        free(r->statuses);
        for (size_t i = 0; i < r->n_findings; i++)
                finding_done(&r->findings[i]);
        free(r->findings);
        user_input_done(&r->input);
        r->host = NULL;
        r->statuses = NULL;
        r->findings = NULL;
        r->n_statuses = r->n_findings = 0;
}

int report_add_finding(struct report *r, const struct finding *f)
{
        struct finding *a, c = *f;

        c.subject = f->subject ? xstrdup(f->subject) : NULL;
        c.detail = f->detail ? xstrdup(f->detail) : NULL;
        c.source = f->source ? xstrdup(f->source) : NULL;
        if ((f->subject && !c.subject) || (f->detail && !c.detail) || (f->source && !c.source)) {
                finding_done(&c);
                return -ENOMEM;
        }
        a = xrealloc(r->findings, sizeof(*a) * (r->n_findings + 1));
        if (!a) {
                finding_done(&c);
                return -ENOMEM;
        }
        r->findings = a;
        r->findings[r->n_findings++] = c;
        return 0;
}

const struct collector_status *report_status(const struct report *r, const char *name)
{
        for (size_t i = 0; i < r->n_statuses; i++)
                if (streq(r->statuses[i].name, name))
                        return &r->statuses[i];
        return NULL;
}
