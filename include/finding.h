/* SPDX-License-Identifier: MIT */
/*
 * Findings: facts that collectors establish ("unit app.service failed",
 * "23 errors from nginx", "3 config files changed"). The checklist and the
 * severity engine work only from findings, never from raw artifacts.
 */
#pragma once

#include <errno.h>
#include <stdint.h>

#include "macro.h"
#include "time-util.h"

enum finding_kind {
        FINDING_UNIT_FAILED,      /* subject: unit; detail: result ("exit-code", "core-dump") */
        FINDING_UNIT_RESTARTS,    /* subject: unit; count: restarts in the window */
        FINDING_UNIT_DOWN,        /* subject: unit; a unit that is not active now (live host) */
        FINDING_OOM_KILL,         /* subject: process or unit killed; count */
        FINDING_SEGFAULT,         /* subject: process; count (kernel "segfault at") */
        FINDING_CRASH,            /* subject: executable or unit; systemd-coredump entry; count */
        FINDING_ERRORS,           /* subject: unit or log file; count of error lines */
        FINDING_ERROR_SIGNATURES, /* subject: "total"; count of distinct error signatures */
        FINDING_ERROR_SURGE,      /* subject: source; count: errors in the last part vs start */
        FINDING_DISK_FULL,        /* subject: mount point; count: percent used */
        FINDING_INODES_FULL,      /* subject: mount point; count: percent of inodes used */
        FINDING_CONFIG_CHANGES,   /* subject: "files"; count: changed files (0 is an answer) */
        FINDING_PACKAGE_CHANGES,  /* subject: "packages"; count: package changes in window */
        FINDING_CONFIG_TOUCHES_FAILING, /* subject: path; a change touched a failing unit's config */
        FINDING_KERNEL_ERROR,           /* subject: kind ("hung task", "I/O error"); count */
        FINDING_HOST_FACT, /* subject: key ("hostname", "os", "virtualization"); detail: value */
        FINDING_RESOURCE_EXHAUSTED, /* subject: path or program; detail: "disk space exhausted …"; count */
        _FINDING_KIND_MAX,
        _FINDING_KIND_INVALID = -EINVAL,
};

/* A finding as passed to sink_add_finding(); the sink copies every field. */
struct finding {
        enum finding_kind kind;
        const char *subject; /* unit, path, mount point, …; may be NULL */
        uint64_t count;      /* occurrences, percent, …; meaning depends on kind */
        usec_t first;        /* first seen (0 = unknown) */
        usec_t last;         /* last seen (0 = unknown) */
        const char *detail;  /* one line of evidence, e.g. the log message; may be NULL */
        const char *source;  /* set by the sink to the collector name; ignored on input */
};

const char *finding_kind_to_string(enum finding_kind k) _pure_;
enum finding_kind finding_kind_from_string(const char *s) _pure_;
