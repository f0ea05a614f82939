/* SPDX-License-Identifier: MIT */
/*
 * Findings from journal entries: failed units, restart loops, OOM kills,
 * segfaults and kernel errors, each with a count and the first and last time
 * seen in the window. Core dumps (systemd-coredump's entries, include/coredump.h)
 * are the crash collector's: one finding per problem, not per executable.
 */
#include <string.h>

#include "alloc-util.h"
#include "coredump.h"
#include "journal.h"

const char *journal_entry_unit(const struct journal_entry *e)
{
        const char *sunit = journal_entry_get(e, JF_SYSTEMD_UNIT);
        const char *u;

        if (coredump_message_id_is(journal_entry_get(e, JF_MESSAGE_ID)) &&
            journal_entry_get(e, JF_COREDUMP_UNIT))
                return journal_entry_get(e, JF_COREDUMP_UNIT);
        u = journal_entry_get(e, JF_UNIT);
        if (u && (!sunit || streq(sunit, "init.scope")))
                return u;
        u = journal_entry_get(e, JF_USER_UNIT);
        if (u)
                return u;
        return sunit;
}

static struct journal_record *record_find(struct journal_findings *jf, enum finding_kind kind,
                                          const char *subject, size_t subject_len)
{
        for (size_t i = 0; i < jf->n_records; i++) {
                struct journal_record *r = &jf->records[i];

                if (r->kind == kind && strlen(r->subject) == subject_len &&
                    memcmp(r->subject, subject, subject_len) == 0)
                        return r;
        }
        return NULL;
}

static struct journal_record *record_get(struct journal_findings *jf, enum finding_kind kind,
                                         const char *subject, size_t subject_len)
{
        struct journal_record *found = record_find(jf, kind, subject, subject_len);

        if (found)
                return found;
        if (jf->n_records >= JOURNAL_MAX_RECORDS) {
                jf->dropped++;
                return NULL;
        }

        struct journal_record *r = &jf->records[jf->n_records];
        *r = (struct journal_record) { .kind = kind, .subject = xstrndup(subject, subject_len) };
        if (!r->subject)
                return NULL;
        jf->n_records++;
        return r;
}

static void record_hit(struct journal_findings *jf, enum finding_kind kind, const char *subject,
                       size_t subject_len, usec_t t, const char *detail, size_t detail_len)
{
        struct journal_record *r;

        if (!subject || subject_len == 0)
                return;
        r = record_get(jf, kind, subject, subject_len);
        if (!r)
                return;
        r->count++;
        if (r->first == 0 || t < r->first)
                r->first = t;
        if (t > r->last)
                r->last = t;
        if (detail) {
                /* Keep the latest detail. */
                char *d = xstrndup(detail, detail_len);
                if (d) {
                        free(r->detail);
                        r->detail = d;
                }
        }
}

/* The unit named in a systemd message "unit: text", when UNIT= is absent. */
static const char *message_unit(const struct journal_entry *e, const char *msg, size_t *ret_len)
{
        const char *u = journal_entry_unit(e), *colon;

        if (u && !streq(u, "init.scope")) {
                *ret_len = strlen(u);
                return u;
        }
        colon = strstr(msg, ": ");
        if (!colon || colon == msg || memchr(msg, ' ', colon - msg))
                return NULL;
        *ret_len = colon - msg;
        return msg;
}

/* "comm[pid]: segfault at …" → comm. */
static const char *segfault_subject(const char *msg, size_t *ret_len)
{
        const char *b = strchr(msg, '[');
        const char *seg = strstr(msg, "segfault at");

        if (b && b < seg && b > msg && !memchr(msg, ' ', b - msg)) {
                *ret_len = b - msg;
                return msg;
        }
        *ret_len = strlen("unknown");
        return "unknown";
}

/* "…Killed process 3131 (java) …" → java. */
static const char *oom_subject(const char *msg, size_t *ret_len)
{
        const char *p = strstr(msg, "Killed process");
        const char *open, *close;

        if (p) {
                open = strchr(p, '(');
                close = open ? strchr(open, ')') : NULL;
                if (open && close && close > open + 1) {
                        *ret_len = close - open - 1;
                        return open + 1;
                }
        }
        p = strstr(msg, "task=");
        if (p) {
                p += 5;
                *ret_len = strcspn(p, ", ");
                if (*ret_len > 0)
                        return p;
        }
        *ret_len = strlen("unknown");
        return "unknown";
}

static const char *kernel_error_kind(const char *msg)
{
        static const struct {
                const char *needle;
                const char *kind;
        } table[] = {
                { "I/O error", "I/O error" },
                { "blocked for more than", "hung task" },
                { "soft lockup", "soft lockup" },
                { "hard LOCKUP", "hard lockup" },
                { "Kernel panic", "panic" },
                { "Oops", "oops" },
                { "BUG:", "bug" },
                { "general protection", "general protection fault" },
                { "Machine check", "machine check" },
                { "mce:", "machine check" },
                { "EXT4-fs error", "filesystem error" },
                { "XFS", "filesystem error" },
                { "Btrfs", "filesystem error" },
                { "Remounting filesystem read-only", "filesystem read-only" },
                { "nfs: server", "nfs" },
                { "Call Trace", "call trace" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strstr(msg, table[i].needle))
                        return table[i].kind;
        return "kernel error";
}

void journal_findings_scan(struct journal_findings *jf, const struct journal_entry *e)
{
        const char *msg = journal_entry_get(e, JF_MESSAGE);
        const char *id = journal_entry_get(e, JF_MESSAGE_ID);
        const char *transport = journal_entry_get(e, JF_TRANSPORT);
        const char *ident = journal_entry_get(e, JF_IDENTIFIER);
        const char *p, *s;
        size_t len;

        if (!msg)
                return;

        /* crashes and their problems are the crash collector's findings */
        if (coredump_message_id_is(id))
                return;

        if (transport && streq(transport, "kernel")) {
                if ((p = strstr(msg, "Killed process"))) {
                        jf->saw_killed_process = true;
                        s = oom_subject(msg, &len);
                        record_hit(jf, FINDING_OOM_KILL, s, len, e->t, msg, strlen(msg));
                } else if (strstr(msg, "oom-kill:")) {
                        /* Counted only if no "Killed process" line says the same. */
                        s = oom_subject(msg, &len);
                        record_hit(jf, JOURNAL_KIND_OOM_LINE, s, len, e->t, msg, strlen(msg));
                } else if (strstr(msg, "segfault at")) {
                        s = segfault_subject(msg, &len);
                        record_hit(jf, FINDING_SEGFAULT, s, len, e->t, msg, strlen(msg));
                } else if (e->priority >= 0 && e->priority <= 3 && !strstr(msg, "Out of memory")) {
                        s = kernel_error_kind(msg);
                        record_hit(jf, FINDING_KERNEL_ERROR, s, strlen(s), e->t, msg, strlen(msg));
                }
                return;
        }

        if (ident && (streq(ident, "systemd") || streq(ident, "systemd-oomd"))) {
                if ((p = strstr(msg, "Failed with result '"))) {
                        const char *res = p + strlen("Failed with result '");
                        size_t rlen = strcspn(res, "'");

                        s = message_unit(e, msg, &len);
                        record_hit(jf, FINDING_UNIT_FAILED, s, len, e->t, res, rlen);
                } else if (strstr(msg, "Main process exited, code=dumped")) {
                        s = message_unit(e, msg, &len);
                        record_hit(jf, JOURNAL_KIND_DUMPED, s, len, e->t, "core-dump", 9);
                } else if (strstr(msg, "Scheduled restart job, restart counter is at")) {
                        s = message_unit(e, msg, &len);
                        record_hit(jf, FINDING_UNIT_RESTARTS, s, len, e->t, msg, strlen(msg));
                } else if (streq(ident, "systemd-oomd") && (p = strstr(msg, "Killed "))) {
                        s = p + strlen("Killed ");
                        len = strcspn(s, " ");
                        record_hit(jf, FINDING_OOM_KILL, s, len, e->t, msg, strlen(msg));
                }
        }
}

void journal_findings_merge(struct journal_findings *jf, struct journal_record *rec)
{
        struct journal_record *r = record_find(jf, rec->kind, rec->subject, strlen(rec->subject));

        if (!r && jf->n_records < JOURNAL_MAX_RECORDS) {
                jf->records[jf->n_records++] = *rec;
                return;
        }
        if (!r)
                jf->dropped += rec->count; /* as each of its hits would have been */
        else {
                r->count += rec->count;
                if (rec->first && (!r->first || rec->first < r->first))
                        r->first = rec->first;
                if (rec->last > r->last)
                        r->last = rec->last;
                if (rec->detail) { /* the later part's: the latest */
                        free(r->detail);
                        r->detail = TAKE_PTR(rec->detail);
                }
        }
        free(rec->subject);
        free(rec->detail);
}

void journal_findings_done(struct journal_findings *jf)
{
        for (size_t i = 0; i < jf->n_records; i++) {
                free(jf->records[i].subject);
                free(jf->records[i].detail);
        }
        jf->n_records = 0;
}
