/* SPDX-License-Identifier: MIT */
/*
 * Ticket text from the manifest (see ticket-format.h), in the manner of
 * libreport's bugzilla_format.conf: fixed sections in a fixed order, each a
 * list of ADF nodes, the description cut at a section boundary when too long.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alloc-util.h"
#include "analysis/timeline-svg.h"
#include "analysis/timeline.h"
#include "dynbuf.h"
#include "parse-util.h"
#include "strv.h"
#include "ticket/ticket-format.h"

#define FULL_MAX (4U * 1024 * 1024)
#define USER_TEXT_MAX 8000
#define CELL_MAX 300
#define ERRORS_MAX 10
#define CUTS_MAX 30

static const char *jstr(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return isempty(s) ? NULL : s;
}

static const char *jpath(json_t *o, const char *a, const char *b)
{
        return jstr(json_object_get(o, a), b);
}

/* Appends node to the section (an array); a NULL node is out of memory. */
static int put(json_t *sec, json_t *node)
{
        if (!node || json_array_append_new(sec, node) < 0)
                return -ENOMEM;
        return 0;
}

/* s cut to max bytes at a character boundary, with "…" when cut. */
static char *cut_text(const char *s, size_t max)
{
        size_t n = strlen(s ?: "");

        if (n <= max)
                return xstrdup(s ?: "");
        while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
                max--;
        return xasprintf("%.*s…", (int) max, s);
}

/* Text with its http(s) URLs as links (an alert's runbook and source). */
static int add_linked(json_t *p, char *line)
{
        int r = 0;

        for (unsigned n = 0; r >= 0 && *line && n < 64; n++) {
                char *u = strstr(line, "https://") ?: strstr(line, "http://");
                size_t len;
                char c;

                if (!u)
                        return adf_add(p, adf_text(line, ADF_PLAIN));
                len = strcspn(u, " \t<>\"");
                if (u > line) {
                        c = *u;
                        *u = 0;
                        r = adf_add(p, adf_text(line, ADF_PLAIN));
                        *u = c;
                }
                c = u[len];
                u[len] = 0;
                if (r >= 0)
                        r = adf_add(p, adf_link(u, u));
                u[len] = c;
                line = u + len;
        }
        return r;
}

/* A paragraph: optional strong label, then the lines of text with hard breaks. */
static json_t *para_lines(const char *label, const char *text)
{
        _cleanup_free_ char *t = cut_text(text, USER_TEXT_MAX);
        _cleanup_(json_decrefp) json_t *p = adf_paragraph();
        char *save = NULL;
        bool first = true;
        int r = 0;

        if (!p || !t)
                return NULL;
        if (label)
                r = adf_add(p, adf_text(label, ADF_STRONG));
        for (char *line = strtok_r(t, "\n", &save); r >= 0 && line;
             line = strtok_r(NULL, "\n", &save)) {
                if (!first || label)
                        r = adf_add(p, json_pack("{s:s}", "type", "hardBreak"));
                first = false;
                line[strcspn(line, "\r")] = 0;
                if (r >= 0 && !isempty(line))
                        r = add_linked(p, line);
        }
        if (r < 0)
                return NULL;
        return TAKE_PTR(p);
}

const char *ticket_severity(json_t *manifest)
{
        json_t *sev = json_object_get(manifest, "severity");

        return jstr(sev, "selected") ?: jstr(sev, "suggested") ?: "P3";
}

static const char *severity_label(const char *s)
{
        static const char *const labels[] = { "P1 - Critical", "P2 - High", "P3 - Medium",
                                              "P4 - Low" };

        if (s && s[0] == 'P' && s[1] >= '1' && s[1] <= '4' && !s[2])
                return labels[s[1] - '1'];
        return s;
}

bool ticket_is_monitoring(json_t *manifest)
{
        const char *type = jpath(manifest, "input", "type");

        return type && streq(type, "crash");
}

static const char *workaround_text(json_t *input)
{
        json_t *wa = json_object_get(input, "workaround");

        return json_is_true(wa)      ? "yes" :
               json_is_false(wa)     ? "no" :
               json_string_value(wa) ?:
                                       "not stated";
}

/* ---- the person's own words ------------------------------------------------ */

static int sec_words(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        json_t *input = json_object_get(m, "input");
        static const struct {
                const char *key, *label;
        } parts[] = {
                { "summary", "Summary:" },
                { "description", "What happened:" },
                { "impact", "Impact:" },
                { "steps", "Steps to reproduce:" },
        };
        int r;

        (void) o;
        r = put(sec, adf_heading(3, ticket_is_monitoring(m) ? "What monitoring reported" :
                                                              "In the reporter's words"));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(parts); i++)
                if (jstr(input, parts[i].key))
                        r = put(sec, para_lines(parts[i].label, jstr(input, parts[i].key)));
        if (r >= 0 && !ticket_is_monitoring(m)) {
                _cleanup_free_ char *w = xasprintf("Workaround available: %s",
                                                   workaround_text(input));

                r = put(sec, adf_para_text(w, ADF_PLAIN));
        }
        if (r >= 0 && !jstr(input, "description") && !jstr(input, "impact") &&
            !jstr(input, "steps"))
                r = put(sec, adf_para_text("(no description, impact or steps were given)", ADF_EM));
        return r;
}

/* ---- severity with every reason ------------------------------------------- */

static int sec_severity(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        json_t *sev = json_object_get(m, "severity"), *v;
        _cleanup_(json_decrefp) json_t *list = NULL;
        const char *selected = ticket_severity(m), *suggested = jstr(sev, "suggested");
        _cleanup_free_ char *head = NULL;
        size_t i;
        int r;

        (void) o;
        if (suggested && !streq(suggested, selected))
                head = xasprintf("Severity: %s (collect suggested %s)", severity_label(selected),
                                 suggested);
        else
                head = xasprintf("Severity: %s", severity_label(selected));
        r = put(sec, adf_heading(3, head));
        if (r < 0 || json_array_size(json_object_get(sev, "reasons")) == 0)
                return r < 0 ? r : put(sec, adf_para_text("No reasons were recorded.", ADF_EM));
        list = adf_bullet_list();
        json_array_foreach(json_object_get(sev, "reasons"), i, v) {
                const char *s = json_string_value(v) ?: jstr(v, "text") ?: jstr(v, "reason");

                if (r >= 0)
                        r = adf_list_add(list, adf_para_text(s ?: "?", ADF_PLAIN));
        }
        if (r < 0)
                return r;
        return put(sec, TAKE_PTR(list));
}

/* ---- the checklist -------------------------------------------------------- */

static char *missing_names(json_t *m)
{
        _cleanup_strv_free_ char **l = NULL;
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(m, "checklist"), i, v)
                if (jstr(v, "status") && streq(jstr(v, "status"), "missing") &&
                    strv_extend(&l, jstr(v, "label")        ?:
                                            jstr(v, "item") ?:
                                                              "?") < 0)
                        return NULL;
        return l ? strv_join(l, ", ") : xstrdup("");
}

static int checklist_row(json_t *table, json_t *v)
{
        const char *st = jstr(v, "status") ?: "?";
        const char *value = jstr(v, "value") ?: jstr(v, "detail");
        _cleanup_free_ char *cell = NULL;

        if (streq(st, "missing"))
                cell = xasprintf("missing%s%s", value ? " — " : "", value ?: "");
        else
                cell = cut_text(value ?: st, CELL_MAX);
        if (!cell)
                return -ENOMEM;
        return adf_table_row(table, false,
                             (const char *const[]) { jstr(v, "label") ?: jstr(v, "item"),
                                                     streq(st, "ok") ? "present" : st, cell },
                             3);
}

static int sec_checklist(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        json_t *list = json_object_get(m, "checklist"), *v;
        _cleanup_(json_decrefp) json_t *table = NULL;
        _cleanup_free_ char *missing = missing_names(m), *head = NULL, *line = NULL;
        size_t i, ok = 0;
        int r;

        if (!missing)
                return -ENOMEM;
        if (json_array_size(list) == 0)
                return 0;
        json_array_foreach(list, i, v)
                ok += jstr(v, "status") && !streq(jstr(v, "status"), "missing");
        head = xasprintf("Required information: %zu of %zu present", ok, json_array_size(list));
        r = put(sec, adf_heading(3, head));
        table = adf_table();
        if (r >= 0)
                r = adf_table_row(table, true, (const char *const[]) { "Item", "Status", "Value" },
                                  3);
        json_array_foreach(list, i, v)
                if (r >= 0)
                        r = checklist_row(table, v);
        if (r < 0)
                return r;
        r = put(sec, TAKE_PTR(table));
        if (r < 0 || isempty(missing))
                return r;
        if (ticket_is_monitoring(m))
                line = xasprintf("Filed automatically by monitoring; not known to it: %s.",
                                 missing);
        else if (o->allow_incomplete)
                line = xasprintf("Filed although incomplete; missing: %s.", missing);
        else
                line = xasprintf("Missing: %s.", missing);
        return put(sec, adf_para_text(line, ADF_STRONG));
}

/* ---- environment ---------------------------------------------------------- */

static const char *host_fact(json_t *m, const char *const *names)
{
        size_t i;
        json_t *v;

        for (size_t k = 0; names[k]; k++)
                json_array_foreach(json_object_get(m, "findings"), i, v)
                        if (jstr(v, "kind") && streq(jstr(v, "kind"), "host_fact") &&
                            jstr(v, "subject") && streq(jstr(v, "subject"), names[k]) &&
                            jstr(v, "detail"))
                                return jstr(v, "detail");
        return NULL;
}

/* The version of the crashing package, when a crash finding carries one. */
static const char *crash_version(json_t *m)
{
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(m, "findings"), i, v)
                if (jstr(v, "package") || jstr(v, "version"))
                        return jstr(v, "version") ?: jstr(v, "package");
        json_array_foreach(json_object_get(m, "crashes"), i, v)
                if (jstr(v, "version") || jstr(v, "package_version"))
                        return jstr(v, "version") ?: jstr(v, "package_version");
        return NULL;
}

static int sec_environment(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        json_t *input = json_object_get(m, "input");
        _cleanup_free_ char *window = xasprintf("%s to %s (UTC)",
                                                jpath(m, "window", "since") ?: "?",
                                                jpath(m, "window", "until") ?: "?");
        _cleanup_free_ char *tool = xasprintf("%s %s", jpath(m, "tool", "name") ?: "collect",
                                              jpath(m, "tool", "version") ?: "");
        const char *rows[][2] = {
                { "Host", jstr(m, "host") },
                { "Environment", jstr(input, "environment") ?: o->environment },
                { "Product / service", jstr(input, "product") ?: o->product },
                { "Product version",
                  host_fact(m, (const char *const[]) { "product_version", "version", NULL }) ?:
                          crash_version(m) },
                { "Host role", host_fact(m, (const char *const[]) { "role", "host_role", NULL }) },
                { "OS", host_fact(m, (const char *const[]) { "os", NULL }) },
                { "Kernel", host_fact(m, (const char *const[]) { "kernel", NULL }) },
                { "Virtualization",
                  host_fact(m, (const char *const[]) { "virtualization", "container", NULL }) },
                { "Uptime", host_fact(m, (const char *const[]) { "uptime", NULL }) },
                { "Time window", window },
                { "Request type", jstr(input, "type") ?: "incident" },
                { "Collected by", tool },
        };
        _cleanup_(json_decrefp) json_t *table = adf_table();
        int r;

        if (!window || !tool || !table)
                return -ENOMEM;
        r = put(sec, adf_heading(3, "Environment"));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(rows); i++)
                r = adf_table_row(table, false,
                                  (const char *const[]) { rows[i][0], rows[i][1] ?: "not known" },
                                  2);
        if (r < 0)
                return r;
        return put(sec, TAKE_PTR(table));
}

/* ---- the timeline ------------------------------------------------------- */

static int manifest_timeline(json_t *m, struct timeline *ret)
{
        usec_t since = 0, until = 0;

        if (json_is_array(json_object_get(m, "timeline")))
                return timeline_from_json(json_object_get(m, "timeline"), ret);
        if (jpath(m, "window", "since"))
                (void) parse_iso8601(jpath(m, "window", "since"), &since, NULL);
        if (jpath(m, "window", "until"))
                (void) parse_iso8601(jpath(m, "window", "until"), &until, NULL);
        return timeline_build(json_object_get(m, "findings"), json_object_get(m, "errors_top"),
                              since, until, until, ret);
}

static int timeline_list(json_t *list, const struct timeline *t, size_t n)
{
        size_t idx[TICKET_TIMELINE_TOP],
                k = timeline_top(t, MIN(n, (size_t) TICKET_TIMELINE_TOP), idx);
        int r = 0;

        for (size_t i = 0; r >= 0 && i < k; i++) {
                const struct timeline_event *e = &t->events[idx[i]];
                _cleanup_(json_decrefp) json_t *p = adf_paragraph();
                char when[64];

                r = p ? adf_add(p,
                                adf_text(format_iso8601(when, sizeof(when), e->time), ADF_STRONG)) :
                        -ENOMEM;
                if (r >= 0)
                        r = adf_add(p, adf_text(" ", ADF_PLAIN));
                if (r >= 0)
                        r = adf_add(p, adf_text(e->what, ADF_PLAIN));
                if (r >= 0)
                        r = adf_list_add(list, TAKE_PTR(p));
        }
        return r;
}

static int sec_timeline(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        _cleanup_(timeline_done) struct timeline t = {};
        _cleanup_free_ char *more = NULL;
        _cleanup_(json_decrefp) json_t *list = NULL;
        int r;

        (void) o;
        r = manifest_timeline(m, &t);
        if (r < 0 || t.n == 0)
                return r;
        r = put(sec, adf_heading(3, "What happened (timeline, UTC)"));
        list = adf_bullet_list();
        if (r >= 0)
                r = list ? timeline_list(list, &t, TICKET_TIMELINE_TOP) : -ENOMEM;
        if (r < 0)
                return r;
        r = put(sec, TAKE_PTR(list));
        more = t.n > TICKET_TIMELINE_TOP ?
                       xasprintf("The %d most significant of %zu events. The whole timeline is in "
                                 "summary.md in the bundle; timeline.svg shows it as a picture.",
                                 TICKET_TIMELINE_TOP, t.n) :
                       xstrdup("The timeline is also in summary.md in the bundle; timeline.svg "
                               "shows it as a picture.");
        return r >= 0 ? put(sec, adf_para_text(more, ADF_EM)) : r;
}

/* ---- crashes and failed units ------------------------------------------- */

static bool kind_in(const char *kind, const char *const *names)
{
        for (size_t i = 0; kind && names[i]; i++)
                if (streq(kind, names[i]))
                        return true;
        return false;
}

static const char *const standard_keys[] = { "kind",   "subject", "count", "detail",
                                             "source", "first",   "last",  NULL };

/* Fields beyond the standard ones (package, version, signal, stack, …): a
 * one-line value joins the line, a multi-line one (a stack) becomes a block. */
static int finding_extras(json_t *sec, json_t *f, struct dynbuf *line)
{
        const char *k;
        json_t *v;
        int r = 0;

        json_object_foreach(f, k, v) {
                _cleanup_free_ char *joined = NULL;
                const char *s = json_string_value(v);

                if (kind_in(k, standard_keys) || r < 0)
                        continue;
                if (json_is_array(v)) {
                        _cleanup_strv_free_ char **l = NULL;
                        size_t i;
                        json_t *e;

                        json_array_foreach(v, i, e)
                                if (i < 64 && json_string_value(e))
                                        (void) strv_extend(&l, json_string_value(e));
                        s = joined = l ? strv_join(l, "\n") : NULL;
                } else if (json_is_integer(v))
                        s = joined = xasprintf("%lld", (long long) json_integer_value(v));
                if (isempty(s))
                        continue;
                if (strchr(s, '\n')) {
                        r = put(sec, para_lines(NULL, k));
                        if (r >= 0)
                                r = put(sec, adf_code_block(s));
                } else
                        r = dynbuf_addf(line, "; %s %s", k, s);
        }
        return r;
}

static const char *kind_verb(const char *kind)
{
        static const char *const verbs[][2] = {
                { "crash", " crashed" },
                { "segfault", " segfaulted" },
                { "oom_kill", " killed by the OOM killer" },
                { "unit_failed", " failed" },
                { "unit_restarts", " restarted" },
                { "unit_down", " is down" },
                { "disk_full", " full (percent used)" },
                { "inodes_full", " inodes (percent used)" },
                { "error_surge", ": error surge" },
                { "kernel_error", ": kernel error" },
        };

        for (size_t i = 0; kind && i < ELEMENTSOF(verbs); i++)
                if (streq(kind, verbs[i][0]))
                        return verbs[i][1];
        return "";
}

static int crash_line(struct dynbuf *line, json_t *f)
{
        const char *kind = jstr(f, "kind"), *detail = jstr(f, "detail") ?: "";
        size_t first_line = strcspn(detail, "\n");
        json_int_t count = json_integer_value(json_object_get(f, "count"));
        bool percent = kind && (streq(kind, "disk_full") || streq(kind, "inodes_full"));
        int r;

        r = dynbuf_addstr(line, kind_verb(kind));
        if (r >= 0 && (count > 1 || percent))
                r = dynbuf_addf(line, percent ? ": %lld%%" : " %lld times", (long long) count);
        if (r >= 0 && *detail)
                r = dynbuf_addf(line, " — %.*s", (int) first_line, detail);
        if (r >= 0 && jstr(f, "first"))
                r = dynbuf_addf(line, "; first %s", jstr(f, "first"));
        if (r >= 0 && jstr(f, "last") && count > 1)
                r = dynbuf_addf(line, ", last %s", jstr(f, "last"));
        return r;
}

static int crash_entry(json_t *sec, json_t *f)
{
        const char *detail = jstr(f, "detail") ?: "";
        const char *nl = strchr(detail, '\n');
        _cleanup_(dynbuf_donep) struct dynbuf line = {};
        _cleanup_(json_decrefp) json_t *extra = json_array();
        int r;

        dynbuf_init(&line, 4096);
        r = extra ? crash_line(&line, f) : -ENOMEM;
        if (r >= 0)
                r = finding_extras(extra, f, &line);
        if (r >= 0) {
                _cleanup_(json_decrefp) json_t *p = adf_paragraph();

                r = p ? adf_add(p, adf_text(jstr(f, "subject") ?: "?", ADF_STRONG)) : -ENOMEM;
                if (r >= 0 && line.len > 0)
                        r = adf_add(p, adf_text(line.buf, ADF_PLAIN));
                if (r >= 0)
                        r = put(sec, TAKE_PTR(p));
        }
        if (r >= 0 && nl && nl[1])
                r = put(sec, adf_code_block(nl + 1));
        if (r >= 0)
                json_array_extend(sec, extra);
        return r;
}

static int sec_findings(json_t *sec, json_t *m, const char *title, const char *const *kinds)
{
        size_t i;
        json_t *v;
        bool any = false;
        int r = 0;

        json_array_foreach(json_object_get(m, "findings"), i, v) {
                if (!kind_in(jstr(v, "kind"), kinds) || r < 0)
                        continue;
                if (!any)
                        r = put(sec, adf_heading(3, title));
                any = true;
                if (r >= 0)
                        r = crash_entry(sec, v);
        }
        return r;
}

/* crash/crashes.json's problems when the manifest carries them ("crashes"). */
static int sec_crash_list(json_t *sec, json_t *m)
{
        size_t i;
        json_t *v;
        int r = 0;

        json_array_foreach(json_object_get(m, "crashes"), i, v) {
                if (r < 0 || i >= 10 || !json_is_object(v))
                        break;
                _cleanup_(json_decrefp) json_t *f = json_deep_copy(v);

                if (!f)
                        return -ENOMEM;
                if (!jstr(f, "subject"))
                        json_object_set(f, "subject",
                                        json_object_get(v, "executable") ?:
                                                json_object_get(v, "signature"));
                r = crash_entry(sec, f);
        }
        return r;
}

static int sec_crashes(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "crash", "segfault", "oom_kill", NULL };
        size_t before = json_array_size(sec);
        int r;

        (void) o;
        r = sec_findings(sec, m, "Crashes", kinds);
        if (r >= 0 && json_array_size(json_object_get(m, "crashes")) > 0) {
                if (json_array_size(sec) == before)
                        r = put(sec, adf_heading(3, "Crashes"));
                if (r >= 0)
                        r = sec_crash_list(sec, m);
        }
        return r;
}

static int sec_units(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "unit_failed", "unit_down", "unit_restarts", NULL };

        (void) o;
        return sec_findings(sec, m, "Failed units", kinds);
}

static int sec_other(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "disk_full", "inodes_full", "kernel_error",
                                             "error_surge", NULL };

        (void) o;
        return sec_findings(sec, m, "Other findings", kinds);
}

/* ---- errors, changes, cuts, bundle ---------------------------------------- */

static int error_row(json_t *table, json_t *v)
{
        json_t *src = json_object_get(v, "units");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *where = NULL, *count = NULL, *msg = NULL;
        size_t k;
        json_t *s;

        if (json_array_size(src) == 0)
                src = json_object_get(v, "sources");
        json_array_foreach(src, k, s)
                if (json_string_value(s) && k < 3)
                        (void) strv_extend(&l, json_string_value(s));
        where = l ? strv_join(l, ", ") : xstrdup("");
        count = xasprintf("%lld", (long long) json_integer_value(json_object_get(v, "count")));
        msg = cut_text(timeline_strip_log_prefix(jstr(v, "sample")            ?:
                                                         jstr(v, "signature") ?:
                                                                                "?"),
                       CELL_MAX);
        if (!where || !count || !msg)
                return -ENOMEM;
        msg[strcspn(msg, "\n")] = 0; /* the first line; the trace is in errors.txt */
        return adf_table_row(table, false,
                             (const char *const[]) { count, jstr(v, "first_seen"),
                                                     jstr(v, "last_seen"), where, msg },
                             5);
}

static int sec_errors(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        json_t *list = json_object_get(m, "errors_top"), *v;
        _cleanup_(json_decrefp) json_t *table = NULL;
        size_t i;
        int r;

        (void) o;
        if (json_array_size(list) == 0)
                return 0;
        r = put(sec, adf_heading(3, "Top errors"));
        table = adf_table();
        if (r >= 0)
                r = adf_table_row(table, true,
                                  (const char *const[]) { "Count", "First seen", "Last seen",
                                                          "Where", "Message" },
                                  5);
        json_array_foreach(list, i, v)
                if (r >= 0 && i < ERRORS_MAX)
                        r = error_row(table, v);
        if (r < 0)
                return r;
        r = put(sec, TAKE_PTR(table));
        if (r >= 0 && json_array_size(list) > ERRORS_MAX)
                r = put(sec,
                        adf_para_text("More groups: errors/errors.txt in the bundle.", ADF_EM));
        return r;
}

static long long change_count(json_t *cc, const char *key)
{
        json_t *v = json_object_get(cc, key);

        return json_is_array(v)   ? (long long) json_array_size(v) :
               json_is_integer(v) ? (long long) json_integer_value(v) :
                                    -1;
}

static int sec_config(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "config_changes", "package_changes",
                                             "config_touches_failing", NULL };
        json_t *cc = json_object_get(m, "config_changes"), *v;
        _cleanup_(json_decrefp) json_t *list = NULL;
        long long files = change_count(cc, "files"), pkgs = change_count(cc, "packages");
        _cleanup_free_ char *line = NULL;
        size_t i;
        int r;

        (void) o;
        if (!json_is_object(cc))
                return 0;
        r = put(sec, adf_heading(3, "Configuration changes in the window"));
        line = files < 0 && pkgs < 0 ?
                       xstrdup("Configuration changes were not collected.") :
                       xasprintf("%lld configuration file(s) and %lld package(s) changed (details: "
                                 "config/changes.diff, config/changes.json, config/packages.json).",
                                 MAX(files, 0LL), MAX(pkgs, 0LL));
        if (r >= 0)
                r = put(sec, adf_para_text(line, ADF_PLAIN));
        list = adf_bullet_list();
        json_array_foreach(json_object_get(cc, "top"), i, v)
                if (r >= 0 && i < 20)
                        r = adf_list_add(list, adf_para_text(json_string_value(v)    ?:
                                                                     jstr(v, "path") ?:
                                                                                       "?",
                                                             ADF_CODE));
        json_array_foreach(json_object_get(m, "findings"), i, v) {
                _cleanup_free_ char *d = NULL;

                if (r < 0 || !kind_in(jstr(v, "kind"), kinds) ||
                    (!jstr(v, "detail") && !streq(jstr(v, "kind"), "config_touches_failing")))
                        continue;
                d = xasprintf("%s%s%s", jstr(v, "subject") ?: "", jstr(v, "detail") ? ": " : "",
                              jstr(v, "detail") ?: "");
                r = adf_list_add(list, para_lines(NULL, d));
        }
        if (r < 0 || json_array_size(json_object_get(list, "content")) == 0)
                return r;
        return put(sec, TAKE_PTR(list));
}

static int cuts_list(json_t *list, json_t *m, size_t max)
{
        json_t *cuts = json_object_get(m, "cuts"), *v;
        size_t i;
        int r = 0;

        json_array_foreach(cuts, i, v) {
                _cleanup_free_ char *s = NULL;

                if (i >= max) {
                        s = xasprintf("… and %zu more (manifest.json)",
                                      json_array_size(cuts) - max);
                        return adf_list_add(list, adf_para_text(s, ADF_EM));
                }
                s = json_is_string(v) ?
                            xstrdup(json_string_value(v)) :
                            xasprintf("%s%s%s", jstr(v, "collector") ?: "",
                                      jstr(v, "collector") ? ": " : "", jstr(v, "note") ?: "?");
                r = adf_list_add(list, adf_para_text(s, ADF_PLAIN));
                if (r < 0)
                        return r;
        }
        return r;
}

static int sec_cuts(json_t *sec, json_t *m, const struct ticket_format_options *o)
{
        _cleanup_(json_decrefp) json_t *list = NULL;
        int r;

        (void) o;
        if (json_array_size(json_object_get(m, "cuts")) == 0)
                return 0;
        r = put(sec, adf_heading(3, "What was cut or skipped"));
        list = adf_bullet_list();
        if (r >= 0)
                r = list ? cuts_list(list, m, CUTS_MAX) : -ENOMEM;
        if (r < 0)
                return r;
        return put(sec, TAKE_PTR(list));
}

static const char *bundle_name(json_t *manifest)
{
        const char *p = jpath(manifest, "bundle", "path");
        const char *s = p ? strrchr(p, '/') : NULL;

        return s ? s + 1 : p;
}

static int sec_bundle(json_t *sec, json_t *m, const char *marker)
{
        json_t *bundle = json_object_get(m, "bundle");
        _cleanup_(json_decrefp) json_t *p = adf_paragraph();
        _cleanup_free_ char *size = xasprintf(", %lld bytes, sha256 ",
                                              (long long) json_integer_value(
                                                      json_object_get(bundle, "bytes")));
        _cleanup_free_ char *ref = xasprintf("Filed by collect. Reference: %s (it keeps duplicate "
                                             "tickets away; please leave it in the description).",
                                             marker);
        int r;

        r = put(sec, adf_heading(3, "Diagnostics bundle"));
        if (r >= 0)
                r = p && size ? adf_add(p, adf_text(bundle_name(m) ?: "bundle", ADF_CODE)) :
                                -ENOMEM;
        if (r >= 0)
                r = adf_add(p, adf_text(size, ADF_PLAIN));
        if (r >= 0)
                r = adf_add(p, adf_text(jstr(bundle, "sha256") ?: "unknown", ADF_CODE));
        if (r >= 0)
                r = adf_add(p, adf_text(". Start with summary.md inside it; timeline.svg shows "
                                        "the window as a picture.",
                                        ADF_PLAIN));
        if (r >= 0)
                r = put(sec, TAKE_PTR(p));
        if (r >= 0)
                r = put(sec, adf_rule());
        if (r >= 0)
                r = put(sec, adf_para_text(ref, ADF_EM));
        return r;
}

/* ---- the summary line ------------------------------------------------------- */

static char *span_text(json_t *f)
{
        usec_t a = 0, b = 0, d;

        if (!jstr(f, "first") || !jstr(f, "last") ||
            parse_iso8601(jstr(f, "first"), &a, NULL) < 0 ||
            parse_iso8601(jstr(f, "last"), &b, NULL) < 0 || b <= a)
                return xstrdup("");
        d = (b - a) / USEC_PER_MINUTE;
        if (d < 120)
                return xasprintf(" in %llu min", (unsigned long long) MAX(d, (usec_t) 1));
        if (d < 48 * 60)
                return xasprintf(" in %llu h", (unsigned long long) (d / 60));
        return xasprintf(" in %llu days", (unsigned long long) (d / (24 * 60)));
}

static json_t *find_kind(json_t *m, const char *kind)
{
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(m, "findings"), i, v)
                if (jstr(v, "kind") && streq(jstr(v, "kind"), kind))
                        return v;
        return NULL;
}

/* "app.service crash-looping — SIGSEGV in f, 5 failures in 45 min" */
static char *symptom_crash(json_t *m, json_t *f)
{
        json_t *unit = find_kind(m, "unit_restarts") ?: find_kind(m, "unit_failed");
        json_int_t n = MAX(json_integer_value(json_object_get(f, "count")),
                           json_integer_value(json_object_get(unit, "count")));
        _cleanup_free_ char *span = span_text(f), *detail = NULL;
        const char *d = jstr(f, "detail");

        detail = d ? xstrndup(d, MIN(strcspn(d, "\n"), (size_t) 100)) : NULL;
        if (!span)
                return NULL;
        if (n > 1)
                return xasprintf("%s %s%s%s, %lld failures%s",
                                 jstr(unit, "subject")      ?:
                                         jstr(f, "subject") ?:
                                                              "a process",
                                 n >= 3 ? "crash-looping" : "crashed", detail ? " — " : "",
                                 detail ?: "", (long long) n, span);
        return xasprintf("%s crashed%s%s",
                         jstr(unit, "subject")      ?:
                                 jstr(f, "subject") ?:
                                                      "a process",
                         detail ? " — " : "", detail ?: "");
}

static char *symptom_of(json_t *m, json_t *f)
{
        const char *kind = jstr(f, "kind"), *subj = jstr(f, "subject") ?: "?";
        json_int_t n = json_integer_value(json_object_get(f, "count"));
        _cleanup_free_ char *span = span_text(f), *base = NULL;
        const char *d = jstr(f, "detail");

        if (!span)
                return NULL;
        if (streq(kind, "crash") || streq(kind, "segfault"))
                return symptom_crash(m, f);
        if (streq(kind, "unit_failed"))
                base = xasprintf("%s %s%s%s%s", subj, n >= 3 ? "crash-looping" : "failed",
                                 d ? " (" : "", d ?: "", d ? ")" : "");
        else if (streq(kind, "oom_kill"))
                base = xasprintf("%s killed by the OOM killer", subj);
        else if (streq(kind, "unit_down"))
                base = xasprintf("%s is down", subj);
        else if (streq(kind, "error_surge"))
                base = xasprintf("error surge in %s", subj);
        else if (streq(kind, "disk_full"))
                base = xasprintf("%s is %lld%% full", subj, (long long) n);
        else if (streq(kind, "inodes_full"))
                base = xasprintf("%s has used %lld%% of its inodes", subj, (long long) n);
        else
                base = xasprintf("kernel: %s", subj);
        if (!base)
                return NULL;
        if (n > 1 && !streq(kind, "disk_full") && !streq(kind, "inodes_full"))
                return xasprintf("%s, %lld %s%s", base, (long long) n,
                                 streq(kind, "error_surge") ? "errors" :
                                 streq(kind, "oom_kill")    ? "kills" :
                                                              "failures",
                                 span);
        return TAKE_PTR(base);
}

char *ticket_symptom(json_t *m)
{
        static const char *const order[] = { "crash",     "unit_failed", "oom_kill",
                                             "segfault",  "unit_down",   "error_surge",
                                             "disk_full", "inodes_full", "kernel_error",
                                             NULL };
        json_t *top = json_array_get(json_object_get(m, "errors_top"), 0);
        const char *where;
        _cleanup_free_ char *msg = NULL;

        for (size_t i = 0; order[i]; i++) {
                json_t *f = find_kind(m, order[i]);

                if (f && (json_integer_value(json_object_get(f, "count")) > 0 ||
                          !json_is_integer(json_object_get(f, "count"))))
                        return symptom_of(m, f);
        }
        if (!top)
                return NULL;
        where = json_string_value(json_array_get(json_object_get(top, "units"), 0))           ?:
                        json_string_value(json_array_get(json_object_get(top, "sources"), 0)) ?:
                        "the logs";
        msg = cut_text(timeline_strip_log_prefix(jstr(top, "sample") ?: "?"), 90);
        if (!msg)
                return NULL;
        msg[strcspn(msg, "\n")] = 0;
        return xasprintf("%lld errors in %s — %s",
                         (long long) json_integer_value(json_object_get(top, "count")), where, msg);
}

static char *summary_prefix(json_t *m, const struct ticket_format_options *o)
{
        json_t *input = json_object_get(m, "input");
        const char *env = jstr(input, "environment") ?: o->environment;
        const char *product = jstr(input, "product") ?: o->product;
        const char *host = jstr(m, "host") ?: "host";

        if (product)
                return xasprintf("%s (%s%s%s): ", product, env ?: "", env ? ", " : "", host);
        return xasprintf("%s%s%s%s: ", host, env ? " (" : "", env ?: "", env ? ")" : "");
}

static char *make_summary(json_t *m, const struct ticket_format_options *o)
{
        const char *given = jpath(m, "input", "summary");
        _cleanup_free_ char *prefix = summary_prefix(m, o), *symptom = ticket_symptom(m);
        _cleanup_free_ char *body = NULL, *all = NULL;

        if (!prefix)
                return NULL;
        if (given && symptom && !strstr(given, symptom) &&
            !(find_kind(m, "crash") == NULL && find_kind(m, "unit_failed") == NULL &&
              find_kind(m, "oom_kill") == NULL))
                body = xasprintf("%s — %s", given, symptom);
        else
                body = xstrdup(
                        given           ?:
                                symptom ?:
                                          (jpath(m, "input", "type") &&
                                                 streq(jpath(m, "input", "type"), "question") ?
                                                   "question for support" :
                                                   "diagnostics for review"));
        all = body ? xasprintf("%s%s", prefix, body) : NULL;
        if (!all)
                return NULL;
        for (char *p = all; *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t')
                        *p = ' ';
        return cut_text(all, TICKET_SUMMARY_MAX - strlen("…"));
}

/* ---- the comment ------------------------------------------------------------ */

static int comment_doc(json_t *doc, json_t *m, const struct ticket_format_options *o)
{
        json_t *sev = json_object_get(m, "severity"), *v;
        _cleanup_(json_decrefp) json_t *list = NULL;
        _cleanup_free_ char *head = NULL, *check = NULL, *sevline = NULL;
        _cleanup_free_ char *missing = missing_names(m);
        size_t i, ok = 0, n = json_array_size(json_object_get(m, "checklist"));
        int r;

        json_array_foreach(json_object_get(m, "checklist"), i, v)
                ok += jstr(v, "status") && !streq(jstr(v, "status"), "missing");
        head = xasprintf("Diagnostics bundle %s from host %s, window %s to %s (UTC).",
                         bundle_name(m) ?: "bundle", jstr(m, "host") ?: "?",
                         jpath(m, "window", "since") ?: "?", jpath(m, "window", "until") ?: "?");
        check = n == 0           ? xstrdup("") :
                isempty(missing) ? xasprintf("Checklist: all %zu items present.", n) :
                                   xasprintf("Checklist: %zu of %zu items present; missing: %s.",
                                             ok, n, missing);
        sevline = xasprintf("Severity suggested by collect: %s.", jstr(sev, "suggested") ?: "none");
        if (!head || !check || !sevline || !missing)
                return -ENOMEM;
        /* what happened, when the comment is about a new occurrence (monitoring) */
        r = 0;
        if (jpath(m, "input", "description") && jpath(m, "input", "type") &&
            streq(jpath(m, "input", "type"), "crash"))
                r = adf_add(doc, adf_para_text(jpath(m, "input", "description"), ADF_PLAIN));
        if (r >= 0)
                r = adf_add(doc, adf_para_text(head, ADF_PLAIN));
        if (r >= 0 && n > 0)
                r = adf_add(doc, adf_para_text(check, ADF_PLAIN));
        if (r >= 0)
                r = adf_add(doc, adf_para_text(sevline, ADF_PLAIN));
        list = adf_bullet_list();
        json_array_foreach(json_object_get(sev, "reasons"), i, v)
                if (r >= 0)
                        r = adf_list_add(list, adf_para_text(json_string_value(v)    ?:
                                                                     jstr(v, "text") ?:
                                                                                       "?",
                                                             ADF_PLAIN));
        if (r >= 0 && json_array_size(json_object_get(list, "content")) > 0)
                r = adf_add(doc, TAKE_PTR(list));
        if (r >= 0 && o->attach) {
                /* the comment is the whole message: what happened and what was cut */
                _cleanup_(json_decrefp) json_t *sec = json_array();

                r = sec ? sec_timeline(sec, m, o) : -ENOMEM;
                if (r >= 0)
                        r = sec_cuts(sec, m, o);
                if (r >= 0)
                        json_array_extend(json_object_get(doc, "content"), sec);
        }
        return r;
}

static char *trimmed(struct dynbuf *b)
{
        /* trailing blank lines are noise in a comment */
        while (b->len > 0 && b->buf[b->len - 1] == '\n')
                b->buf[--b->len] = 0;
        return dynbuf_steal(b);
}

static int make_comment(json_t *m, const struct ticket_format_options *o, struct ticket_text *t)
{
        _cleanup_(dynbuf_donep) struct dynbuf w = {}, x = {};
        _cleanup_(json_decrefp) json_t *doc = adf_doc();
        _cleanup_free_ char *ref = NULL;
        int r;

        dynbuf_init(&w, 64 * 1024);
        dynbuf_init(&x, 64 * 1024);
        r = doc ? comment_doc(doc, m, o) : -ENOMEM;
        ref = xasprintf("sha256 %s. Reference: %s", jpath(m, "bundle", "sha256") ?: "unknown",
                        o->marker);
        if (r >= 0)
                r = adf_add(doc, adf_para_text(ref, ADF_PLAIN));
        if (r >= 0)
                r = adf_to_wiki(doc, &w);
        if (r >= 0)
                r = adf_to_text(doc, &x);
        if (r < 0)
                return r;
        t->comment = trimmed(&w);
        t->comment_text = trimmed(&x);
        return t->comment && t->comment_text ? 0 : -ENOMEM;
}

char *ticket_timeline_svg(json_t *m)
{
        _cleanup_(timeline_done) struct timeline t = {};
        _cleanup_(dynbuf_donep) struct dynbuf b = {};
        usec_t since = 0, until = 0;

        if (!jpath(m, "window", "since") || !jpath(m, "window", "until") ||
            parse_iso8601(jpath(m, "window", "since"), &since, NULL) < 0 ||
            parse_iso8601(jpath(m, "window", "until"), &until, NULL) < 0)
                return NULL;
        dynbuf_init(&b, 2 << 20);
        if (manifest_timeline(m, &t) < 0 ||
            timeline_svg(&t, json_object_get(m, "error_histogram"), since, until, &b) < 0)
                return NULL;
        return dynbuf_steal(&b);
}

/* ---- assembly ----------------------------------------------------------------- */

typedef int (*section_fn)(json_t *sec, json_t *m, const struct ticket_format_options *o);

static const section_fn sections[] = {
        sec_words, sec_severity, sec_checklist, sec_environment, sec_timeline, sec_crashes,
        sec_units, sec_errors,   sec_config,    sec_other,       sec_cuts,
};

struct assembly {
        json_t *adf; /* the cut document */
        struct dynbuf wiki, full, text;
        size_t max;
        size_t adf_len;    /* compact JSON bytes of adf's content so far */
        bool cut, adf_cut; /* wiki markup / ADF: a section did not fit */
};

static size_t adf_size(json_t *sec)
{
        _cleanup_free_ char *d = json_dumps(sec, JSON_COMPACT);

        return d ? strlen(d) : SIZE_MAX / 4;
}

/*
 * tail_len: room kept for the tail; SIZE_MAX: this is the tail, always kept.
 * The portal counts an ADF description by its JSON, several times longer than
 * the same text in wiki markup: each format is cut on its own length.
 */
static int assemble_section(struct assembly *a, json_t *sec, size_t tail_len)
{
        _cleanup_(dynbuf_donep) struct dynbuf w = {};
        bool tail = tail_len == SIZE_MAX;
        size_t i, adf_len = adf_size(sec);
        json_t *n;
        int r = 0;

        dynbuf_init(&w, FULL_MAX);
        json_array_foreach(sec, i, n) {
                if (r >= 0)
                        r = adf_to_wiki(n, &w);
                if (r >= 0)
                        r = adf_to_text(n, &a->text);
        }
        if (r == -E2BIG)
                r = 0; /* a huge section: keep what fit */
        if (r < 0)
                return r;
        (void) dynbuf_add(&a->full, w.buf ?: "", w.len);
        if (!tail && (a->adf_cut || a->adf_len + adf_len + 4 * tail_len + 800 >= a->max))
                a->adf_cut = true;
        else {
                json_array_extend(json_object_get(a->adf, "content"), sec);
                a->adf_len += adf_len;
        }
        /* keep whole sections while they fit, with room for the tail and a note */
        if (!tail && (a->cut || a->wiki.len + w.len + tail_len + 200 >= a->max)) {
                a->cut = true;
                return 0;
        }
        return dynbuf_add(&a->wiki, w.buf ?: "", w.len);
}

static int assemble(struct assembly *a, json_t *m, const struct ticket_format_options *o)
{
        _cleanup_(dynbuf_donep) struct dynbuf tail_wiki = {};
        _cleanup_(json_decrefp) json_t *tail = json_array(), *note = NULL;
        int r;

        dynbuf_init(&tail_wiki, 64 * 1024);
        r = tail ? sec_bundle(tail, m, o->marker) : -ENOMEM;
        for (size_t i = 0; r >= 0 && i < json_array_size(tail); i++)
                r = adf_to_wiki(json_array_get(tail, i), &tail_wiki);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sections); i++) {
                _cleanup_(json_decrefp) json_t *sec = json_array();

                r = sec ? sections[i](sec, m, o) : -ENOMEM;
                if (r >= 0)
                        r = assemble_section(a, sec, tail_wiki.len);
        }
        note = adf_para_text("The description was too long for the portal; the full text is "
                             "attached as ticket-description.txt.",
                             ADF_EM);
        if (r >= 0 && !note)
                r = -ENOMEM;
        if (r >= 0 && a->cut)
                r = adf_to_wiki(note, &a->wiki);
        if (r >= 0 && a->adf_cut)
                r = adf_add(a->adf, TAKE_PTR(note));
        if (r >= 0)
                r = assemble_section(a, tail, SIZE_MAX);
        return r;
}

int ticket_format(json_t *manifest, const struct ticket_format_options *o, struct ticket_text *ret)
{
        struct assembly a = {
                .adf = adf_doc(),
                .max = o->description_max ?: TICKET_DESCRIPTION_MAX,
        };
        struct ticket_text t = {};
        bool cut;
        int r;

        dynbuf_init(&a.wiki, a.max);
        dynbuf_init(&a.full, FULL_MAX);
        dynbuf_init(&a.text, FULL_MAX);
        r = a.adf ? assemble(&a, manifest, o) : -ENOMEM;
        cut = a.cut || a.adf_cut;
        if (r >= 0) {
                t.summary = make_summary(manifest, o);
                r = make_comment(manifest, o, &t);
                t.adf = TAKE_PTR(a.adf);
                t.description = dynbuf_steal(&a.wiki);
                t.text = dynbuf_steal(&a.text);
                if (cut)
                        t.full = dynbuf_steal(&a.full);
                if (r >= 0 && (!t.summary || !t.description || !t.text || (cut && !t.full)))
                        r = -ENOMEM;
        }
        json_decref(a.adf);
        dynbuf_done(&a.wiki);
        dynbuf_done(&a.full);
        dynbuf_done(&a.text);
        if (r < 0) {
                ticket_text_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

void ticket_text_done(struct ticket_text *t)
{
        if (!t)
                return;
        free(t->summary);
        free(t->description);
        json_decref(t->adf);
        free(t->full);
        free(t->text);
        free(t->comment);
        free(t->comment_text);
        *t = (struct ticket_text) {};
}
