/* SPDX-License-Identifier: MIT */
/*
 * Findings as lines of evidence (agent/analysis/severity-evidence.h), as the
 * severity reasons, the checklist, the manifest and the prompt quote them.
 */
#include "alloc-util.h"
#include "finding.h"
#include "macro.h"
#include "analysis/severity-evidence.h"

char *severity_format_span(usec_t span)
{
        uint64_t s = (span + USEC_PER_SEC / 2) / USEC_PER_SEC;

        if (s < 120)
                return xasprintf("%llu second%s", (unsigned long long) s, s == 1 ? "" : "s");
        if (s < 120 * 60)
                return xasprintf("%llu minutes", (unsigned long long) ((s + 30) / 60));
        if (s < 48 * 3600)
                return xasprintf("%llu hours", (unsigned long long) ((s + 1800) / 3600));
        return xasprintf("%llu days", (unsigned long long) ((s + 43200) / 86400));
}

static const char *subj(const struct finding *f)
{
        return isempty(f->subject) ? "unknown" : f->subject;
}

char *severity_describe_finding(const struct finding *f)
{
        _cleanup_free_ char *span = NULL, *times = NULL;
        unsigned long long c = (unsigned long long) f->count;
        const char *d = isempty(f->detail) ? NULL : f->detail;

        if (f->count > 1 && f->first > 0 && f->last > f->first) {
                _cleanup_free_ char *s = severity_format_span(f->last - f->first);

                if (!s)
                        return NULL;
                span = xasprintf(" in %s", s);
        } else
                span = xstrdup("");
        if (!span)
                return NULL;
        times = f->count > 1 ? xasprintf(" %llu times", c) : xstrdup("");
        if (!times)
                return NULL;

        switch (f->kind) {
        case FINDING_UNIT_FAILED:
                return xasprintf("%s failed%s%s%s%s%s", subj(f), times, span, d ? " (" : "",
                                 d ? d : "", d ? ")" : "");
        case FINDING_UNIT_RESTARTS:
                return xasprintf("%s restarted %llu times%s", subj(f), c, span);
        case FINDING_UNIT_DOWN:
                return xasprintf("%s is not running%s%s%s", subj(f), d ? " (" : "", d ? d : "",
                                 d ? ")" : "");
        case FINDING_OOM_KILL:
                return xasprintf("out-of-memory killer killed %s%s%s", subj(f), times, span);
        case FINDING_SEGFAULT:
                return xasprintf("%s segfaulted%s%s", subj(f), times, span);
        case FINDING_CRASH:
                return xasprintf("%s crashed%s%s%s%s%s", subj(f), times, span, d ? " (" : "",
                                 d ? d : "", d ? ")" : "");
        case FINDING_ERRORS:
                return xasprintf("%llu error line%s from %s%s", c, c == 1 ? "" : "s", subj(f),
                                 span);
        case FINDING_ERROR_SIGNATURES:
                return xasprintf("%llu distinct error message%s", c, c == 1 ? "" : "s");
        case FINDING_ERROR_SURGE:
                return xasprintf("error surge in %s (%llu errors late in the window%s%s)", subj(f),
                                 c, d ? "; " : "", d ? d : "");
        case FINDING_DISK_FULL:
                return xasprintf("file system %s is %llu%% full", subj(f), c);
        case FINDING_INODES_FULL:
                return xasprintf("file system %s has used %llu%% of its inodes", subj(f), c);
        case FINDING_CONFIG_CHANGES:
                if (c == 0)
                        return xstrdup("no configuration changes in the window");
                return xasprintf("%llu configuration file%s changed in the window", c,
                                 c == 1 ? "" : "s");
        case FINDING_PACKAGE_CHANGES:
                return xasprintf("%llu package change%s in the window", c, c == 1 ? "" : "s");
        case FINDING_CONFIG_TOUCHES_FAILING:
                return xasprintf("a configuration change touched %s, used by a failing unit%s%s%s",
                                 subj(f), d ? " (" : "", d ? d : "", d ? ")" : "");
        case FINDING_KERNEL_ERROR:
                return xasprintf("kernel: %s%s%s", subj(f), times, span);
        case FINDING_HOST_FACT:
                return xasprintf("%s: %s", subj(f), d ? d : "");
        case FINDING_RESOURCE_EXHAUSTED:
                /* detail: "disk space exhausted for app, reported in …" */
                return xasprintf("%.*s: %s%s%s", d ? (int) strcspn(d, ",") : 8, d ? d : "resource",
                                 subj(f), times, span);
        default:
                return xasprintf("%s%s", subj(f), times);
        }
}
