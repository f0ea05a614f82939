/* SPDX-License-Identifier: MIT */
/*
 * Findings from the lines of log files, named by their subject: the process
 * the out-of-memory killer killed (name, pid, unit from the "oom-kill:" line
 * before it), the process that segfaulted, and resources that programs
 * report exhausted ("No space left on device", "Too many open files", …) with
 * the path or the program concerned. Never the log file as a process.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc-util.h"
#include "finding.h"
#include "litscan.h"
#include "logs.h"
#include "logtime.h"
#include "macro.h"
#include "sink.h"
#include "strv.h"

#define SUBJECT_MAX 200

static const struct {
        const char *needle;
        const char *what;
} exhaustion[] = {
        { "No space left on device", "disk space" },
        { "Disk quota exceeded", "disk quota" },
        { "Too many open files", "open files" },
        { "Cannot allocate memory", "memory" },
        { "OutOfMemoryError", "memory" },
        { "memory exhausted", "memory" },
        { "out of inodes", "inodes" },
        { "no free inodes", "inodes" },
};

static struct logs_record *record_get(struct logs_findings *lf, int kind, const char *what,
                                      const char *subject, size_t n)
{
        struct logs_record *r;

        for (size_t i = 0; i < lf->n_records; i++) {
                r = &lf->records[i];
                if (r->kind == kind && r->what == what && strlen(r->subject) == n &&
                    memcmp(r->subject, subject, n) == 0)
                        return r;
        }
        if (lf->n_records >= LOGS_MAX_RECORDS) {
                lf->dropped++;
                return NULL;
        }
        r = &lf->records[lf->n_records];
        *r = (struct logs_record) { .kind = kind, .what = what, .subject = xstrndup(subject, n) };
        if (!r->subject)
                return NULL;
        lf->n_records++;
        return r;
}

static void hit(struct logs_findings *lf, int kind, const char *what, const char *subject, size_t n,
                uint64_t t, char *detail)
{
        struct logs_record *r;

        n = MIN(n, (size_t) SUBJECT_MAX);
        r = n > 0 ? record_get(lf, kind, what, subject, n) : NULL;
        if (!r) {
                free(detail);
                return;
        }
        r->count++;
        if (t > 0 && (r->first == 0 || t < r->first))
                r->first = t;
        if (t > r->last)
                r->last = t;
        if (detail) {
                free(r->detail);
                r->detail = detail; /* the latest */
        }
}

/* "…name=value,…" → value (up to , or space). */
static size_t field(const char *line, const char *end, const char *name, const char **ret)
{
        const char *p = memmem(line, end - line, name, strlen(name));

        if (!p)
                return 0;
        p += strlen(name);
        *ret = p;
        return strcspn(p, ", \n") <= (size_t) (end - p) ? strcspn(p, ", \n") : (size_t) (end - p);
}

static void copy_field(char *buf, size_t size, const char *p, size_t n)
{
        n = MIN(n, size - 1);
        memcpy(buf, p, n);
        buf[n] = 0;
}

/* "oom-kill:…task_memcg=/system.slice/app.service,task=java,pid=3131" */
static void oom_line(struct logs_findings *lf, const char *line, const char *end)
{
        const char *v, *slash;
        size_t n;

        lf->oom_unit[0] = lf->oom_pid[0] = 0;
        n = field(line, end, "task_memcg=", &v);
        if (n > 0) {
                slash = memrchr(v, '/', n);
                if (slash && (size_t) (slash + 1 - v) < n) {
                        n -= (size_t) (slash + 1 - v);
                        v = slash + 1;
                }
                copy_field(lf->oom_unit, sizeof(lf->oom_unit), v, n);
        }
        n = field(line, end, ",pid=", &v);
        if (n > 0)
                copy_field(lf->oom_pid, sizeof(lf->oom_pid), v, n);
}

/* "Killed process 3131 (java) total-vm:…" */
static void killed_line(struct logs_findings *lf, const char *p, const char *end, uint64_t t)
{
        const char *pid = p + strlen("Killed process "), *open, *close;
        size_t pid_len = strspn(pid, "0123456789");
        char *detail;
        bool unit;

        open = memchr(pid, '(', end - pid);
        close = open ? memchr(open, ')', end - open) : NULL;
        if (!open || !close || close == open + 1)
                return;
        unit = lf->oom_unit[0] && strlen(lf->oom_pid) == pid_len &&
               strncmp(lf->oom_pid, pid, pid_len) == 0 && !streq(lf->oom_unit, "/");
        detail = xasprintf("%.*s (pid %.*s%s%s): %.*s", (int) (close - open - 1), open + 1,
                           (int) pid_len, pid, unit ? ", unit " : "", unit ? lf->oom_unit : "",
                           (int) MIN((size_t) (end - p), (size_t) 300), p);
        hit(lf, FINDING_OOM_KILL, NULL, open + 1, close - open - 1, t, detail);
}

/* "… app[4242]: segfault at 0 ip …" → app, 4242. */
static void segfault_line(struct logs_findings *lf, const char *line, const char *seg,
                          const char *end, uint64_t t)
{
        const char *colon = seg - 2, *start, *b;

        if (colon < line || colon[0] != ':' || colon[1] != ' ')
                return;
        start = colon;
        while (start > line && start[-1] != ' ')
                start--;
        b = memchr(start, '[', colon - start);
        if (!b || b == start)
                return;
        hit(lf, FINDING_SEGFAULT, NULL, start, b - start, t,
            xasprintf("%.*s (pid %.*s): %.*s", (int) (b - start), start,
                      (int) (colon - b - 1 > 0 ? colon - b - 2 : 0), b + 1,
                      (int) MIN((size_t) (end - seg), (size_t) 300), seg));
}

/* The program of a syslog line: "<time> <host> <tag>[pid]: …" → tag. */
static size_t program_of(const char *line, const char *end, const char **ret)
{
        const char *p = line + logtime_prefix_len(line, end - line), *tag;
        size_t n;

        p += strspn(p, " ");
        p = memchr(p, ' ', end - p); /* after the host */
        if (!p)
                return 0;
        tag = p + 1;
        n = strcspn(tag, "[: ");
        if (n == 0 || tag + n >= end || (tag[n] != '[' && tag[n] != ':'))
                return 0;
        *ret = tag;
        return n;
}

/* The first absolute path in the line after its timestamp. */
static size_t path_in(const char *line, const char *end, const char **ret)
{
        for (const char *p = line + 1; p < end - 1; p++) {
                size_t n;

                if (*p != '/' || !strchr(" '\"(=<[", p[-1]) || p[1] == ' ' || p[1] == '/')
                        continue;
                n = strcspn(p, " '\":,;)>]\n");
                n = MIN(n, (size_t) (end - p));
                if (n > 1) {
                        *ret = p;
                        return n;
                }
        }
        return 0;
}

static void exhaustion_line(struct logs_findings *lf, const char *source, const char *line,
                            const char *end, const char *what, uint64_t t)
{
        const char *subj = NULL, *prog = NULL;
        size_t n = path_in(line, end, &subj), pn = program_of(line, end, &prog);
        char *detail;

        if (n == 0) {
                subj = pn > 0 ? prog : source;
                n = pn > 0 ? pn : strlen(source);
        }
        detail = xasprintf("%s exhausted%s%.*s, reported in %s: %.*s", what, pn > 0 ? " for " : "",
                           (int) pn, prog ?: "", source,
                           (int) MIN((size_t) (end - line), (size_t) 300), line);
        hit(lf, FINDING_RESOURCE_EXHAUSTED, what, subj, n, t, detail);
}

/* systemd's own job messages in syslog: "systemd[1]: app.service: Failed with
 * result 'exit-code'." is a failure, "…: Scheduled restart job, restart
 * counter is at 3." a restart (not a failure). */
static bool systemd_line(struct logs_findings *lf, const char *line, const char *end, uint64_t t)
{
        const char *prog = NULL, *u, *colon, *msg;
        size_t pn = program_of(line, end, &prog), un;

        if (pn != 7 || memcmp(prog, "systemd", 7) != 0)
                return false;
        u = memchr(prog, ':', end - prog);
        if (!u || u + 2 >= end)
                return false;
        u += 2;
        colon = memchr(u, ':', end - u);
        if (!colon || colon + 2 >= end || memchr(u, ' ', colon - u))
                return false;
        un = (size_t) (colon - u);
        msg = colon + 2;
        if ((size_t) (end - msg) > 20 && memcmp(msg, "Failed with result '", 20) == 0) {
                const char *res = msg + 20;
                size_t rn = strcspn(res, "'");

                hit(lf, FINDING_UNIT_FAILED, NULL, u, un, t,
                    xasprintf("%.*s", (int) MIN(rn, (size_t) (end - res)), res));
                return true;
        }
        if (memmem(msg, end - msg, "Scheduled restart job", 21)) {
                hit(lf, FINDING_UNIT_RESTARTS, NULL, u, un, t,
                    xasprintf("%.*s", (int) MIN((size_t) (end - msg), (size_t) 200), msg));
                return true;
        }
        return false;
}

/* The phrases looked for, in order of precedence; exhaustion's follow. */
enum { NEEDLE_SYSTEMD, NEEDLE_KILLED, NEEDLE_OOM, NEEDLE_SEGFAULT, NEEDLE_EXHAUSTION };

static const char *needle(size_t i)
{
        static const char *const first[] = { "systemd", "Killed process ",
                                             "oom-kill:", "segfault at " };

        return i < NEEDLE_EXHAUSTION ? first[i] : exhaustion[i - NEEDLE_EXHAUSTION].needle;
}

#define N_NEEDLES (NEEDLE_EXHAUSTION + ELEMENTSOF(exhaustion))

const char *const *logs_findings_words(void)
{
        static const char *list[N_NEEDLES + 1];

        if (!list[0])
                for (size_t i = 0; i < N_NEEDLES; i++)
                        list[i] = needle(i);
        return list;
}

void logs_findings_line(struct logs_findings *lf, const char *source, const char *line, size_t len,
                        uint64_t t, uint64_t found)
{
        const char *end = line + len, *at;

        if (len < 16 || found == 0)
                return;
        if ((found & (1u << NEEDLE_SYSTEMD)) && systemd_line(lf, line, end, t))
                return;
        if (found & (1u << NEEDLE_KILLED)) {
                at = memmem(line, len, needle(NEEDLE_KILLED), strlen(needle(NEEDLE_KILLED)));
                return killed_line(lf, at, end, t);
        }
        if (found & (1u << NEEDLE_OOM))
                return oom_line(lf, line, end);
        if (found & (1u << NEEDLE_SEGFAULT)) {
                at = memmem(line, len, needle(NEEDLE_SEGFAULT), strlen(needle(NEEDLE_SEGFAULT)));
                return segfault_line(lf, line, at, end, t);
        }
        for (size_t i = 0; i < ELEMENTSOF(exhaustion); i++)
                if (found & (1u << (NEEDLE_EXHAUSTION + i)))
                        return exhaustion_line(lf, source, line, end, exhaustion[i].what, t);
}

void logs_findings_scan(struct logs_findings *lf, const char *source, const char *line, size_t len,
                        uint64_t t)
{
        static struct litscan *ls; /* the phrases, built on first use (collecting thread) */
        uint64_t masks[LITSCAN_SETS];

        if (len < 16)
                return;
        if (!ls && (litscan_new(&ls) < 0 ||
                    litscan_add_list(ls, logs_findings_words(), 0, LITSCAN_EXACT) < 0)) {
                ls = litscan_free(ls);
                return;
        }
        litscan_scan(ls, line, len, masks);
        logs_findings_line(lf, source, line, len, t, masks[0]);
}

void logs_findings_emit(struct logs_findings *lf, struct sink *sink, char *const *known_units)
{
        for (size_t i = 0; i < lf->n_records; i++) {
                const struct logs_record *r = &lf->records[i];

                /* The journal's own account of a unit comes first. */
                if ((r->kind == FINDING_UNIT_FAILED || r->kind == FINDING_UNIT_RESTARTS) &&
                    strv_contains(known_units, r->subject))
                        continue;
                struct finding f = {
                        .kind = r->kind,
                        .subject = r->subject,
                        .count = r->count,
                        .first = r->first,
                        .last = r->last,
                        .detail = r->detail,
                };

                (void) sink_add_finding(sink, &f);
        }
        if (lf->dropped > 0)
                sink_note(sink, "%" PRIu64 " findings from log lines not recorded (table full)",
                          lf->dropped);
}

void logs_findings_done(struct logs_findings *lf)
{
        for (size_t i = 0; i < lf->n_records; i++) {
                free(lf->records[i].subject);
                free(lf->records[i].detail);
        }
        lf->n_records = 0;
}
