/* SPDX-License-Identifier: MIT */
/*
 * The crash collector: every crash of the window (systemd-coredump entries,
 * kernel oops/panic/BUG lines, apport and kdump files in /var/crash, pstore)
 * into crash/crashes.json, grouped into problems by crash signature
 * (include/coredump.h), with a readable crash/<signature>.txt per problem and
 * one finding per problem.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "crash.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "journal-trim.h"
#include "kernel-lines.h"
#include "sink.h"

#define JOURNAL_ENTRIES_MAX 1000000u

struct crash_record *crash_record_new(struct crash_state *s)
{
        if (s->n_records >= MIN(s->max_crashes, (uint64_t) CRASH_RECORDS_MAX)) {
                s->dropped++;
                return NULL;
        }
        if (!s->records) {
                s->records = calloc(CRASH_RECORDS_MAX, sizeof(*s->records));
                if (!s->records)
                        return NULL;
        }
        s->records[s->n_records] = (struct crash_record) {};
        return &s->records[s->n_records++];
}

static void record_free(struct crash_record *rec)
{
        coredump_done(&rec->cd);
        coredump_signature_done(&rec->sig);
        free(rec->package);
        free(rec->version);
        free(rec->detail);
}

/* Drops the last record (one that turned out to be no crash). */
static void record_drop_last(struct crash_state *s)
{
        record_free(&s->records[--s->n_records]);
}

int crash_record_commit(struct crash_state *s, struct crash_record *rec)
{
        struct crash_problem *p = NULL;
        size_t idx = (size_t) (rec - s->records);
        int r;

        r = coredump_signature(&rec->cd, &rec->sig);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_problems && !p; i++)
                if (streq(s->problems[i].hash, rec->sig.hash))
                        p = &s->problems[i];
        if (!p) {
                if (s->n_problems >= CRASH_PROBLEMS_MAX) {
                        record_drop_last(s);
                        s->dropped++;
                        return 0;
                }
                if (!s->problems) {
                        s->problems = calloc(CRASH_PROBLEMS_MAX, sizeof(*s->problems));
                        if (!s->problems)
                                return -ENOMEM;
                }
                p = &s->problems[s->n_problems++];
                *p = (struct crash_problem) { .hash = rec->sig.hash,
                                              .first_record = idx,
                                              .first = rec->cd.timestamp };
        }
        p->count++;
        p->first = MIN(p->first, rec->cd.timestamp);
        p->last = MAX(p->last, rec->cd.timestamp);
        p->last_record = idx;
        rec->problem = (size_t) (p - s->problems);
        return 0;
}

/* ---- the journal: coredump entries and kernel crashes ---- */

#ifdef HAVE_LIBSYSTEMD
static void core_file_stat(struct collect_ctx *ctx, struct crash_record *rec)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (!rec->cd.filename || rec->cd.filename[0] != '/')
                return;
        fd = open_beneath(ctx_root_fd(ctx), rec->cd.filename + 1, O_PATH | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return;
        rec->core_present = true;
        rec->core_size = (uint64_t) st.st_size;
}

static int take_coredump(struct crash_state *s, struct collect_ctx *ctx, sd_journal *j)
{
        struct crash_record *rec;
        struct coredump cd;
        int r;

        r = coredump_from_journal(j, &cd);
        if (r == -ENOMSG)
                return 0; /* no crash entry, or a forged one */
        if (r < 0)
                return r;
        rec = crash_record_new(s);
        if (!rec) {
                coredump_done(&cd);
                return s->records ? 0 : -ENOMEM;
        }
        rec->source = "systemd-coredump";
        rec->cd = cd;
        core_file_stat(ctx, rec);
        for (size_t i = 0; rec->cd.exe && i + 1 < s->n_records && !rec->package; i++)
                if (s->records[i].cd.exe && streq(s->records[i].cd.exe, rec->cd.exe) &&
                    s->records[i].package) {
                        rec->package = xstrdup(s->records[i].package);
                        rec->version = xstrdup(s->records[i].version ?: "");
                }
        if (rec->cd.exe && !rec->package) {
                r = crash_package_lookup(ctx, rec->cd.exe, &rec->package, &rec->version);
                if (r < 0)
                        return r;
        }
        if (!rec->package && rec->cd.package_name) {
                rec->package = xstrdup(rec->cd.package_name);
                rec->version = rec->cd.package_version ? xstrdup(rec->cd.package_version) : NULL;
        }
        return crash_record_commit(s, rec);
}

static char *journal_string(sd_journal *j, const char *field)
{
        const void *d;
        size_t l, n = strlen(field) + 1;

        if (sd_journal_get_data(j, field, &d, &l) < 0 || l < n)
                return NULL;
        return xstrndup((const char *) d + n, MIN(l - n, (size_t) 4096));
}

/* A kernel line (boot_id: its entry's, NULL when unknown): starts a crash,
 * adds to the one being read, or ends it. */
static int take_kernel_line(struct crash_state *s, usec_t t, const char *msg, const char *boot_id,
                            struct crash_record **pending)
{
        struct crash_record *rec = *pending;
        bool headline;
        int r;

        if (!msg)
                return 0;
        headline = kernel_crash_headline_kind(msg) != NULL;
        /* "BUG: …" then "Oops: …" of the same report: one crash */
        if (headline && rec && rec->cd.n_frames == 0 && t <= rec->cd.timestamp + KERNEL_TRACE_SPAN)
                return 0;
        if (headline) {
                if (rec) {
                        *pending = NULL;
                        r = crash_record_commit(s, rec);
                        if (r < 0)
                                return r;
                }
                rec = crash_record_new(s);
                if (!rec)
                        return 0;
                rec->source = "kernel";
                rec->cd.timestamp = t;
                rec->cd.boot_id = boot_id ? xstrdup(boot_id) : NULL;
                *pending = rec;
                return crash_kernel_set_headline(&rec->cd, &rec->detail, msg);
        }
        if (!rec)
                return 0;
        if (t > rec->cd.timestamp + KERNEL_TRACE_SPAN) {
                *pending = NULL;
                return crash_record_commit(s, rec);
        }
        return crash_kernel_add_frame(&rec->cd, msg);
}

/* A kernel message read here: its line, with its entry's boot ID. */
static int take_kernel_entry(struct crash_state *s, sd_journal *j, usec_t t,
                             struct crash_record **pending)
{
        _cleanup_free_ char *msg = journal_string(j, "MESSAGE");
        _cleanup_free_ char *boot_id = NULL;

        if (msg && kernel_crash_headline_kind(msg))
                boot_id = journal_string(j, "_BOOT_ID");
        return take_kernel_line(s, t, msg, boot_id, pending);
}

/* The kernel lines an earlier collector handed on, up to time t (all of them:
 * USEC_INFINITY), in their order. */
static int take_given_lines(struct crash_state *s, const struct kernel_lines *kl, size_t *next,
                            usec_t t, struct crash_record **pending)
{
        int r = 0;

        for (; kl && *next < kl->n && kl->v[*next].t <= t && r >= 0; (*next)++)
                r = take_kernel_line(s, kl->v[*next].t, kl->v[*next].msg, kl->v[*next].boot_id,
                                     pending);
        return r;
}

/* Core dumps and kernel crashes of the window. The kernel's lines come from
 * the journal collector's first pass when it read them all (ctx_kernel_lines()),
 * merged in time order with the core dumps read here; else both are read here. */
static int scan_journal(struct crash_state *s, struct collect_ctx *ctx)
{
        const struct kernel_lines *given = s->kernel ? ctx_kernel_lines(ctx) : NULL;
        struct crash_record *pending = NULL;
        struct journal_trim trim = { .limit = JOURNAL_TRIM_LIMIT_SPARSE, /* few entries */
                                     .every_max = JOURNAL_TRIM_EVERY_SPARSE };
        sd_journal *j = NULL;
        size_t next = 0;
        int r;

        journal_trim_start(&trim);
        r = coredump_journal_open(&j, s->journal_dir, ctx_since(ctx), ctx_until(ctx),
                                  COREDUMP_JOURNAL_HELD |
                                          (s->kernel && !given ? COREDUMP_JOURNAL_KERNEL : 0),
                                  &trim);
        if (r == -ENODATA)
                r = 0; /* no core dump (and no kernel message) in these files */
        if (r < 0)
                return r;
        s->kernel_given = given != NULL;
        for (unsigned n = 0; j && n < JOURNAL_ENTRIES_MAX && !ctx_expired(ctx); n++) {
                _cleanup_free_ char *transport = NULL;
                usec_t t;

                journal_trim_step(&trim);
                r = sd_journal_next(j);
                if (r <= 0)
                        break;
                if (sd_journal_get_realtime_usec(j, &t) < 0 || t < ctx_since(ctx))
                        continue;
                if (t > ctx_until(ctx))
                        break;
                r = take_given_lines(s, given, &next, t, &pending);
                if (r < 0)
                        break;
                transport = given ? NULL : journal_string(j, "_TRANSPORT");
                if (transport && streq(transport, "kernel"))
                        r = take_kernel_entry(s, j, t, &pending);
                else {
                        /* a kernel crash being read stays the last record until committed */
                        r = pending ? crash_record_commit(s, TAKE_PTR(pending)) : 0;
                        if (r >= 0)
                                r = take_coredump(s, ctx, j);
                }
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = take_given_lines(s, given, &next, USEC_INFINITY, &pending);
        if (pending && r >= 0)
                r = crash_record_commit(s, pending);
        if (j)
                sd_journal_close(j);
        return r < 0 ? r : 0;
}

static bool is_dir(const char *p)
{
        struct stat st;

        return stat(p, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* The journal to read: --journal-dir, the system's, or the root's. */
static int find_journal(struct crash_state *s, struct collect_ctx *ctx)
{
        static const char *const candidates[] = { "var/log/journal", "run/log/journal" };

        if (ctx_journal_dir(ctx)) {
                s->journal_dir = xstrdup(ctx_journal_dir(ctx));
                return s->journal_dir ? 1 : -ENOMEM;
        }
        if (ctx_is_live(ctx))
                return 1;
        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                char *p = xasprintf("%s/%s", ctx_root(ctx), candidates[i]);

                if (!p)
                        return -ENOMEM;
                if (is_dir(p)) {
                        s->journal_dir = p;
                        return 1;
                }
                free(p);
        }
        return 0;
}
#endif

/* ---- output ---- */

static json_t *frames_json(const struct coredump *cd)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < cd->n_frames; i++) {
                const struct coredump_frame *f = &cd->frames[i];
                json_t *o = json_object();

                if (!o)
                        break;
                /* C++ names demangled for people; the symbol as systemd printed it kept */
                json_object_set_new(o, "function",
                                    f->function ? json_string(coredump_frame_name(f)) :
                                                  json_null());
                if (f->demangled)
                        json_object_set_new(o, "symbol", json_string(f->function));
                json_object_set_new(o, "module", f->module ? json_string(f->module) : json_null());
                json_object_set_new(o, "offset", json_integer((json_int_t) f->offset));
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *jstr_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *record_json(const struct crash_state *s, const struct crash_record *rec)
{
        char when[64];
        json_t *o = json_object();

        if (!o)
                return NULL;
        json_object_set_new(o, "source", json_string(rec->source));
        json_object_set_new(o, "time",
                            json_string(format_iso8601(when, sizeof(when), rec->cd.timestamp)));
        json_object_set_new(o, "pid",
                            rec->cd.pid ? json_integer((json_int_t) rec->cd.pid) : json_null());
        json_object_set_new(o, "uid",
                            rec->cd.has_uid ? json_integer((json_int_t) rec->cd.uid) : json_null());
        json_object_set_new(o, "exe", jstr_or_null(rec->cd.exe));
        json_object_set_new(o, "comm", jstr_or_null(rec->cd.comm));
        json_object_set_new(o, "cmdline", jstr_or_null(rec->cd.cmdline));
        json_object_set_new(o, "unit", jstr_or_null(rec->cd.unit));
        json_object_set_new(o, "signal", jstr_or_null(rec->cd.signal_name));
        json_object_set_new(o, "boot_id", jstr_or_null(rec->cd.boot_id));
        json_object_set_new(o, "package", jstr_or_null(rec->package));
        json_object_set_new(o, "version", jstr_or_null(rec->version));
        json_object_set_new(o, "detail", jstr_or_null(rec->detail));
        json_object_set_new(o, "frames", frames_json(&rec->cd));
        json_object_set_new(o, "core",
                            json_pack("{s:b, s:I, s:o}", "present", (int) rec->core_present, "size",
                                      (json_int_t) rec->core_size, "path",
                                      jstr_or_null(rec->cd.filename)));
        json_object_set_new(o, "signature", json_string(rec->sig.hash));
        json_object_set_new(o, "problem", json_integer((json_int_t) rec->problem));
        (void) s;
        return o;
}

static json_t *problem_json(const struct crash_state *s, const struct crash_problem *p)
{
        const struct crash_record *rec = &s->records[p->first_record];
        static const char *const kinds[] = { "symbolic", "address", "minimal" };
        char first[64], last[64], shortsig[COREDUMP_SIGNATURE_SHORT + 1];
        json_t *keys = json_array();

        for (size_t i = 0; keys && i < rec->sig.n_keys; i++)
                json_array_append_new(keys, json_string(rec->sig.keys[i]));
        snprintf(shortsig, sizeof(shortsig), "%s", p->hash);
        return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s?, s:s?, s:s?, s:s?, s:I, s:s, s:s, s:s, "
                         "s:o, s:s}",
                         "signature", p->hash, "short", shortsig, "kind", kinds[rec->sig.kind],
                         "title", rec->sig.title, "keys", keys ?: json_array(), "exe", rec->cd.exe,
                         "unit", rec->cd.unit, "package", rec->package, "version", rec->version,
                         "count", (json_int_t) p->count, "first",
                         format_iso8601(first, sizeof(first), p->first), "last",
                         format_iso8601(last, sizeof(last), p->last), "summary", p->summary,
                         "frames", frames_json(&s->records[p->last_record].cd), "text",
                         rec->sig.text);
}

static int write_json(struct crash_state *s, struct sink *sink)
{
        _cleanup_free_ char *text = NULL;
        json_t *root = json_pack("{s:[], s:[], s:I}", "crashes", "problems", "dropped",
                                 (json_int_t) s->dropped);
        json_t *crashes = json_object_get(root, "crashes"), *problems;

        problems = json_object_get(root, "problems");
        for (size_t i = 0; root && i < s->n_records; i++)
                json_array_append_new(crashes, record_json(s, &s->records[i]));
        for (size_t i = 0; root && i < s->n_problems; i++) {
                json_t *p = problem_json(s, &s->problems[i]);
                char name[64];

                snprintf(name, sizeof(name), "crash/%.*s.txt", COREDUMP_SIGNATURE_SHORT,
                         s->problems[i].hash);
                json_object_set_new(p, "report", json_string(name));
                json_array_append_new(problems, p);
        }
        if (root)
                text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (!text)
                return -ENOMEM;
        return sink_add_data(sink, "crash/crashes.json", text, strlen(text), 0);
}

/* "1 crash", "3 crashes in 12 minutes" */
static void describe_span(char *buf, size_t size, const struct crash_problem *p)
{
        static const struct {
                usec_t unit;
                const char *name;
        } units[] = {
                { USEC_PER_DAY, "days" },
                { USEC_PER_HOUR, "hours" },
                { USEC_PER_MINUTE, "minutes" },
                { USEC_PER_SEC, "seconds" },
        };
        usec_t d = p->last - p->first;
        size_t i = 0;

        if (p->count <= 1) {
                snprintf(buf, size, "1 crash");
                return;
        }
        while (i + 1 < ELEMENTSOF(units) && d < 2 * units[i].unit)
                i++;
        snprintf(buf, size, "%" PRIu64 " crashes in %" PRIu64 " %s", p->count,
                 (uint64_t) (d / units[i].unit), units[i].name);
}

static int problem_summaries(struct crash_state *s)
{
        for (size_t i = 0; i < s->n_problems; i++) {
                struct crash_problem *p = &s->problems[i];
                const struct crash_record *rec = &s->records[p->first_record];
                const char *who = rec->cd.comm ?: rec->cd.exe ?: "?";
                const char *base = who ? strrchr(who, '/') : NULL;
                char span[96];

                describe_span(span, sizeof(span), p);
                p->summary = xasprintf("%s: %s, %s", base ? base + 1 : who, rec->sig.title, span);
                if (!p->summary)
                        return -ENOMEM;
        }
        return 0;
}

static void report_stack(struct dynbuf *d, const struct coredump *cd)
{
        for (size_t i = 0; i < cd->n_frames; i++)
                (void) dynbuf_addf(d, "  #%-2zu %s (%s + 0x%" PRIx64 ")\n", i,
                                   coredump_frame_name(&cd->frames[i]),
                                   cd->frames[i].module ?: "n/a", cd->frames[i].offset);
        if (cd->n_frames == 0)
                (void) dynbuf_addstr(d, "  (no stack trace recorded)\n");
}

static int write_report(struct crash_state *s, struct sink *sink, const struct crash_problem *p)
{
        const struct crash_record *rec = &s->records[p->first_record];
        char first[64], last[64], name[64];
        struct dynbuf d;

        dynbuf_init(&d, 1024 * 1024);
        (void) dynbuf_addf(&d, "%s\n\nexecutable: %s\nsignal: %s\nunit: %s\npackage: %s %s\n",
                           p->summary, rec->cd.exe ?: "?", rec->cd.signal_name ?: "?",
                           rec->cd.unit ?: "-", rec->package ?: "unknown", rec->version ?: "");
        (void) dynbuf_addf(&d, "crashes: %" PRIu64 "\nfirst: %s\nlast: %s\nsignature: %s (%s)\n",
                           p->count, format_iso8601(first, sizeof(first), p->first),
                           format_iso8601(last, sizeof(last), p->last), p->hash,
                           rec->sig.kind == COREDUMP_SIGNATURE_SYMBOLIC ? "function names" :
                           rec->sig.kind == COREDUMP_SIGNATURE_ADDRESS  ? "module offsets" :
                                                                          "executable and signal");
        (void) dynbuf_addstr(&d, "\nOccurrences:\n");
        for (size_t i = 0; i < s->n_records; i++) {
                const struct crash_record *o = &s->records[i];

                if (o->problem != (size_t) (p - s->problems))
                        continue;
                (void) dynbuf_addf(&d, "  %s %s",
                                   format_iso8601(first, sizeof(first), o->cd.timestamp),
                                   o->source);
                if (o->cd.pid)
                        (void) dynbuf_addf(&d, " pid %" PRIu64, o->cd.pid);
                if (o->core_present)
                        (void) dynbuf_addf(&d, ", core %s (%" PRIu64 " bytes)", o->cd.filename,
                                           o->core_size);
                (void) dynbuf_addc(&d, '\n');
        }
        (void) dynbuf_addstr(&d, "\nStack of the crashing thread (latest):\n");
        report_stack(&d, &s->records[p->last_record].cd);
        if (rec->detail)
                (void) dynbuf_addf(&d, "\n%s\n", rec->detail);
        if (!d.buf)
                return -ENOMEM;
        snprintf(name, sizeof(name), "crash/%.*s.txt", COREDUMP_SIGNATURE_SHORT, p->hash);
        int r = sink_add_data(sink, name, d.buf, d.len, 0);
        dynbuf_done(&d);
        return r;
}

static int emit_findings(struct crash_state *s, struct sink *sink)
{
        for (size_t i = 0; i < s->n_problems; i++) {
                const struct crash_problem *p = &s->problems[i];
                const struct crash_record *rec = &s->records[p->first_record];
                struct finding f = {
                        .kind = FINDING_CRASH,
                        .subject = rec->cd.exe ?: rec->cd.comm,
                        .count = p->count,
                        .first = p->first,
                        .last = p->last,
                        .detail = p->summary,
                };
                int r;

                /* the journal collector reports kernel lines of this boot */
                if (streq(rec->source, "kernel"))
                        continue;
                r = sink_add_finding(sink, &f);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void add_cores(struct crash_state *s, struct collect_ctx *ctx, struct sink *sink)
{
        for (size_t i = 0; s->include_cores && i < s->n_records; i++) {
                const struct crash_record *rec = &s->records[i];
                const char *base;
                char name[300];

                if (!rec->core_present || rec->core_size > s->max_core_size)
                        continue;
                base = strrchr(rec->cd.filename, '/');
                snprintf(name, sizeof(name), "crash/cores/%s", base + 1);
                (void) sink_add_file(sink, name, ctx_root_fd(ctx), rec->cd.filename + 1,
                                     SINK_BINARY_OK | SINK_NO_REDACT);
        }
}

static int crash_collect(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        struct crash_state *s = state;
        int r = 0;

#ifdef HAVE_LIBSYSTEMD
        if (s->journal) {
                r = find_journal(s, ctx);
                if (r > 0)
                        r = scan_journal(s, ctx);
                if (r < 0)
                        sink_note(sink, "reading the journal: %s", strerror(-r));
                else
                        clog_debug(ctx, "the kernel's messages %s",
                                   s->kernel_given ? "as the journal collector kept them" :
                                                     "read here");
                if (r == 0 && !ctx_is_live(ctx) && !s->journal_dir)
                        sink_note(sink, "no journal under %s", ctx_root(ctx));
        }
#endif
        if (s->var_crash && (r = crash_scan_var_crash(s, ctx, sink)) < 0)
                sink_note(sink, "reading /var/crash: %s", strerror(-r));
        if (s->pstore && (r = crash_scan_pstore(s, ctx, sink)) < 0)
                sink_note(sink, "reading /sys/fs/pstore: %s", strerror(-r));
        if (s->dropped > 0) {
                sink_note(sink, "%" PRIu64 " crashes not recorded (more than %" PRIu64 ")",
                          s->dropped, s->max_crashes);
                sink_mark_partial(sink);
        }
        if (ctx_expired(ctx))
                sink_mark_partial(sink);
        r = problem_summaries(s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_problems; i++)
                if ((r = write_report(s, sink, &s->problems[i])) < 0)
                        sink_note(sink, "crash report: %s", strerror(-r));
        add_cores(s, ctx, sink);
        r = write_json(s, sink);
        if (r < 0)
                return r;
        return emit_findings(s, sink);
}

static void crash_done(void *state)
{
        struct crash_state *s = state;

        for (size_t i = 0; i < s->n_records; i++)
                record_free(&s->records[i]);
        for (size_t i = 0; i < s->n_problems; i++)
                free(s->problems[i].summary);
        s->records = mfree(s->records);
        s->problems = mfree(s->problems);
        s->journal_dir = mfree(s->journal_dir);
        s->n_records = s->n_problems = 0;
}

static const struct collector_option crash_options[] = {
        { "journal", OPTION_BOOL, "yes", offsetof(struct crash_state, journal),
          "systemd-coredump entries and kernel oops/panic/BUG lines from the journal" },
        { "kernel", OPTION_BOOL, "yes", offsetof(struct crash_state, kernel),
          "kernel oops, panic and BUG reports (journal kernel transport)" },
        { "var_crash", OPTION_BOOL, "yes", offsetof(struct crash_state, var_crash),
          "apport .crash files and kdump directories in /var/crash" },
        { "pstore", OPTION_BOOL, "yes", offsetof(struct crash_state, pstore),
          "panic records kept by the firmware in /sys/fs/pstore" },
        { "include_cores", OPTION_BOOL, "no", offsetof(struct crash_state, include_cores),
          "add core files (never by default: they hold the process's memory)" },
        { "max_core_size", OPTION_SIZE, "64M", offsetof(struct crash_state, max_core_size),
          "with include_cores, only cores at most this large" },
        { "max_crashes", OPTION_U64, "1000", offsetof(struct crash_state, max_crashes),
          "at most this many crashes recorded (the rest are counted)" },
        {}
};

static const struct collector_ops crash_ops = {
        .collect = crash_collect,
        .done = crash_done,
};

const struct collector collector_crash = {
        .name = "crash",
        .summary = "crashes of the window with their stacks, grouped into problems by signature",
        .flags = COLLECTOR_READS_JOURNAL,
        .state_size = sizeof(struct crash_state),
        .options = crash_options,
        .ops = &crash_ops,
};
