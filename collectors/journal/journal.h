/* SPDX-License-Identifier: MIT */
/*
 * The journal collector's private declarations: its state, one parsed
 * entry, and the findings it accumulates while scanning the window.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "time-util.h"

#define JOURNAL_MAX_RECORDS 256

/* Private record kinds, merged into real findings at the end of the scan. */
#define JOURNAL_KIND_DUMPED ((enum finding_kind)(_FINDING_KIND_MAX + 1))   /* code=dumped */
#define JOURNAL_KIND_OOM_LINE ((enum finding_kind)(_FINDING_KIND_MAX + 2)) /* "oom-kill:" */

/* One finding being accumulated (subject and detail owned). */
struct journal_record {
        enum finding_kind kind;
        char *subject;
        char *detail;
        uint64_t count;
        usec_t first;
        usec_t last;
};

struct journal_findings {
        struct journal_record records[JOURNAL_MAX_RECORDS];
        size_t n_records;
        uint64_t dropped; /* records not kept because the table was full */
        bool saw_killed_process;
};

/* A field of the current entry: an offset and a length in the scratch buffer. */
struct journal_field {
        size_t off;
        size_t len;
        bool set;
};

enum {
        JF_MESSAGE,
        JF_PRIORITY,
        JF_IDENTIFIER,
        JF_COMM,
        JF_PID,
        JF_SYSLOG_PID,
        JF_HOSTNAME,
        JF_SYSTEMD_UNIT,
        JF_UNIT,
        JF_USER_UNIT,
        JF_TRANSPORT,
        JF_MESSAGE_ID,
        JF_COREDUMP_UNIT,
        JF_BOOT_ID,
        _JF_MAX,
};

/* One entry, its fields copied out of sd-journal (whose pointers do not survive
 * the next data call) into scratch, each NUL-terminated. */
struct journal_entry {
        usec_t t;
        int priority; /* -1 when absent */
        char *scratch;
        size_t scratch_len;
        size_t scratch_alloc;
        struct journal_field f[_JF_MAX];
};

static inline const char *journal_entry_get(const struct journal_entry *e, int field)
{
        return e->f[field].set ? e->scratch + e->f[field].off : NULL;
}

/* journal-findings.c */
void journal_findings_scan(struct journal_findings *jf, const struct journal_entry *e);
/* Unit the entry is about: UNIT= of systemd's own messages, COREDUMP_UNIT= of a
 * core dump, USER_UNIT=, _SYSTEMD_UNIT=; NULL if none. */
const char *journal_entry_unit(const struct journal_entry *e);
/* Adds a record of a later part of the window (read by another process) as
 * its hits would have been, one by one; takes rec's strings. */
void journal_findings_merge(struct journal_findings *jf, struct journal_record *rec);

void journal_findings_done(struct journal_findings *jf);
