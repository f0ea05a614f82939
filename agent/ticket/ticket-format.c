/* SPDX-License-Identifier: MIT */
/*
 * Ticket text from the manifest (see ticket-format.h), in the manner of
 * libreport's bugzilla_format.conf: fixed sections, each optional, the
 * description cut at a section boundary when it would be too long.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alloc-util.h"
#include "basic/json-util.h"
#include "dynbuf.h"
#include "strv.h"
#include "ticket/ticket-format.h"

#define FULL_MAX (4U * 1024 * 1024)
#define USER_TEXT_MAX 8000
#define CELL_MAX 300

static const char *jpath(json_t *o, const char *a, const char *b)
{
        return json_str(json_object_get(o, a), b);
}

char *wiki_escape(const char *s, size_t max)
{
        struct dynbuf b;
        size_t n = 0;

        dynbuf_init(&b, 4 * max + 16);
        if (!s)
                s = "";
        for (const char *p = s; *p && n < max; p++, n++) {
                char c = *p;
                int r;

                if (c == '\n' || c == '\r' || c == '\t')
                        r = dynbuf_addc(&b, ' ');
                else if (strchr("|[]{}*_^~!\\", c)) {
                        r = dynbuf_addc(&b, '\\');
                        if (r >= 0)
                                r = dynbuf_addc(&b, c);
                } else
                        r = dynbuf_addc(&b, c);
                if (r < 0) {
                        dynbuf_done(&b);
                        return NULL;
                }
        }
        if (*s && strlen(s) > max && dynbuf_addstr(&b, "…") < 0) {
                dynbuf_done(&b);
                return NULL;
        }
        return dynbuf_steal(&b);
}

/* Text inside {noformat}: only the closing tag itself must not appear. */
static int add_noformat(struct dynbuf *b, const char *s, size_t max)
{
        size_t len = strlen(s);
        int r;

        r = dynbuf_addstr(b, "{noformat}\n");
        for (size_t i = 0; r >= 0 && i < len && i < max; i++) {
                if (strneq(s + i, "{noformat}", 10)) {
                        r = dynbuf_addstr(b, "(noformat)");
                        i += 9;
                } else
                        r = dynbuf_addc(b, s[i]);
        }
        if (r >= 0 && len > max)
                r = dynbuf_addf(b, "\n… (%zu more characters)", len - max);
        if (r >= 0)
                r = dynbuf_addstr(b, "\n{noformat}\n");
        return r;
}

static int add_cell(struct dynbuf *b, const char *s)
{
        _cleanup_free_ char *e = wiki_escape(isempty(s) ? " " : s, CELL_MAX);

        if (!e)
                return -ENOMEM;
        return dynbuf_addf(b, "%s|", isempty(e) ? " " : e);
}

static int add_row(struct dynbuf *b, const char *head, const char *value)
{
        _cleanup_free_ char *e = wiki_escape(value ? value : "unknown", CELL_MAX);

        if (!e)
                return -ENOMEM;
        return dynbuf_addf(b, "||%s|%s|\n", head, e);
}

const char *ticket_severity(json_t *manifest)
{
        json_t *sev = json_object_get(manifest, "severity");

        return json_str(sev, "selected") ?: json_str(sev, "suggested") ?: "P3";
}

static const char *severity_label(const char *s)
{
        static const char *const labels[] = { "P1 - Critical", "P2 - High", "P3 - Medium",
                                              "P4 - Low" };

        if (s && s[0] == 'P' && s[1] >= '1' && s[1] <= '4' && !s[2])
                return labels[s[1] - '1'];
        return s;
}

static bool kind_is(const char *kind, const char *const *names)
{
        if (!kind)
                return false;
        for (size_t i = 0; names[i]; i++) {
                const char *a = kind, *b = names[i];

                for (; *a && *b; a++, b++)
                        if (!(*a == *b || ((*a == '-' || *a == '_') && (*b == '-' || *b == '_'))))
                                break;
                if (!*a && !*b)
                        return true;
        }
        return false;
}

static int add_user_text(struct dynbuf *b, const char *title, const char *text)
{
        int r;

        if (isempty(text))
                return 0;
        r = dynbuf_addf(b, "h3. %s\n", title);
        if (r >= 0)
                r = add_noformat(b, text, USER_TEXT_MAX);
        if (r >= 0)
                r = dynbuf_addc(b, '\n');
        return r;
}

static int section_head(struct dynbuf *b, json_t *manifest, const struct ticket_format_options *o)
{
        json_t *input = json_object_get(manifest, "input");
        json_t *sev = json_object_get(manifest, "severity");
        const char *selected = ticket_severity(manifest);
        const char *suggested = json_str(sev, "suggested");
        const char *env = json_str(input, "environment") ?: o->environment;
        const char *product = json_str(input, "product") ?: o->product;
        const char *since = jpath(manifest, "window", "since");
        const char *until = jpath(manifest, "window", "until");
        _cleanup_free_ char *window = NULL, *sevtext = NULL, *tool = NULL;
        json_t *wa = json_object_get(input, "workaround");
        const char *workaround = json_is_true(wa)    ? "yes" :
                                 json_is_false(wa)   ? "no" :
                                 json_string_value(wa) ?: "not stated";
        int r;

        window = xasprintf("%s to %s", since ?: "?", until ?: "?");
        if (suggested && !streq(suggested, selected))
                sevtext = xasprintf("%s (collect suggested %s)", severity_label(selected),
                                    suggested);
        else
                sevtext = xstrdup(severity_label(selected));
        tool = xasprintf("%s %s", jpath(manifest, "tool", "name") ?: "collect",
                         jpath(manifest, "tool", "version") ?: "");
        if (!window || !sevtext || !tool)
                return -ENOMEM;

        r = dynbuf_addstr(b, "h2. Support request filed by collect\n");
        if (r >= 0)
                r = add_row(b, "Host", json_str(manifest, "host"));
        if (r >= 0)
                r = add_row(b, "Environment", env ?: "not stated");
        if (r >= 0)
                r = add_row(b, "Product / service", product ?: "not stated");
        if (r >= 0)
                r = add_row(b, "Severity", sevtext);
        if (r >= 0)
                r = add_row(b, "Workaround", workaround);
        if (r >= 0)
                r = add_row(b, "Time window", window);
        if (r >= 0)
                r = add_row(b, "Request type", json_str(input, "type") ?: "incident");
        if (r >= 0)
                r = add_row(b, "Collected by", tool);
        if (r >= 0)
                r = add_row(b, "Reference", o->marker);
        if (r >= 0)
                r = dynbuf_addc(b, '\n');
        if (r >= 0)
                r = add_user_text(b, "Summary", json_str(input, "summary"));
        if (r >= 0)
                r = add_user_text(b, "Description", json_str(input, "description"));
        if (r >= 0)
                r = add_user_text(b, "Steps to reproduce", json_str(input, "steps"));
        if (r >= 0)
                r = add_user_text(b, "Impact", json_str(input, "impact"));
        return r;
}

static int section_severity(struct dynbuf *b, json_t *manifest)
{
        json_t *sev = json_object_get(manifest, "severity");
        json_t *reasons = json_object_get(sev, "reasons");
        size_t i;
        json_t *v;
        int r;

        r = dynbuf_addf(b, "h3. Severity: %s\n", severity_label(ticket_severity(manifest)));
        if (r < 0)
                return r;
        if (json_array_size(reasons) == 0)
                return dynbuf_addstr(b, "No reasons were recorded.\n\n");
        json_array_foreach(reasons, i, v) {
                const char *s = json_string_value(v) ?: json_str(v, "text") ?: json_str(v, "reason");
                _cleanup_free_ char *e = wiki_escape(s ?: "?", 500);

                if (!e)
                        return -ENOMEM;
                r = dynbuf_addf(b, "* %s\n", e);
                if (r < 0)
                        return r;
        }
        return dynbuf_addc(b, '\n');
}

static int section_checklist(struct dynbuf *b, json_t *manifest,
                             const struct ticket_format_options *o)
{
        json_t *list = json_object_get(manifest, "checklist");
        _cleanup_strv_free_ char **missing = NULL;
        size_t i;
        json_t *v;
        int r;

        if (json_array_size(list) == 0)
                return 0;
        r = dynbuf_addstr(b, "h3. Required information\n||Item||Status||Source||Detail||\n");
        json_array_foreach(list, i, v) {
                const char *st = json_str(v, "status");

                if (r >= 0)
                        r = dynbuf_addc(b, '|');
                if (r >= 0)
                        r = add_cell(b, json_str(v, "item"));
                if (r >= 0)
                        r = add_cell(b, st);
                if (r >= 0)
                        r = add_cell(b, json_str(v, "source"));
                if (r >= 0)
                        r = add_cell(b, json_str(v, "detail"));
                if (r >= 0)
                        r = dynbuf_addc(b, '\n');
                if (r >= 0 && st && streq(st, "missing"))
                        r = strv_extend(&missing, json_str(v, "item") ?: "?");
        }
        if (r >= 0 && missing) {
                _cleanup_free_ char *j = strv_join(missing, ", ");
                _cleanup_free_ char *e = j ? wiki_escape(j, 1000) : NULL;

                if (!e)
                        return -ENOMEM;
                r = dynbuf_addf(b, "\n*Incomplete:* %s missing%s.\n", e,
                                o->allow_incomplete ? " (filed anyway with --allow-incomplete)" :
                                                      "");
        }
        if (r >= 0)
                r = dynbuf_addc(b, '\n');
        return r;
}

static int section_findings(struct dynbuf *b, json_t *manifest, const char *title,
                            const char *const *kinds)
{
        json_t *list = json_object_get(manifest, "findings");
        bool any = false;
        size_t i;
        json_t *v;
        int r = 0;

        json_array_foreach(list, i, v) {
                _cleanup_free_ char *subj = NULL, *det = NULL;
                json_int_t count = json_integer_value(json_object_get(v, "count"));

                if (!kind_is(json_str(v, "kind"), kinds))
                        continue;
                if (!any) {
                        r = dynbuf_addf(b, "h3. %s\n", title);
                        if (r < 0)
                                return r;
                        any = true;
                }
                subj = wiki_escape(json_str(v, "subject") ?: "?", 200);
                det = wiki_escape(json_str(v, "detail") ?: "", 400);
                if (!subj || !det)
                        return -ENOMEM;
                r = dynbuf_addf(b, "* *%s*%s%s", subj, isempty(det) ? "" : " — ", det);
                if (r >= 0 && count > 1)
                        r = dynbuf_addf(b, " (%lld times)", (long long) count);
                if (r >= 0 && json_str(v, "last"))
                        r = dynbuf_addf(b, ", last %s", json_str(v, "last"));
                if (r >= 0)
                        r = dynbuf_addc(b, '\n');
                if (r < 0)
                        return r;
        }
        if (any)
                r = dynbuf_addc(b, '\n');
        return r;
}

static int section_errors(struct dynbuf *b, json_t *manifest)
{
        json_t *list = json_object_get(manifest, "errors_top");
        size_t i;
        json_t *v;
        int r;

        if (json_array_size(list) == 0)
                return 0;
        r = dynbuf_addstr(b, "h3. Top error messages\n"
                             "||Count||First seen||Last seen||Where||Message||\n");
        json_array_foreach(list, i, v) {
                json_t *src = json_object_get(v, "units");
                _cleanup_free_ char *where = NULL, *count = NULL;
                char **l = NULL;
                size_t k;
                json_t *s;

                if (json_array_size(src) == 0)
                        src = json_object_get(v, "sources");
                json_array_foreach(src, k, s)
                        if (json_string_value(s) && k < 3)
                                (void) strv_extend(&l, json_string_value(s));
                where = l ? strv_join(l, ", ") : xstrdup("");
                strv_free(l);
                count = xasprintf("%lld", (long long) json_integer_value(json_object_get(v,
                                                                                         "count")));
                if (!where || !count)
                        return -ENOMEM;
                if (r >= 0)
                        r = dynbuf_addc(b, '|');
                if (r >= 0)
                        r = add_cell(b, count);
                if (r >= 0)
                        r = add_cell(b, json_str(v, "first_seen"));
                if (r >= 0)
                        r = add_cell(b, json_str(v, "last_seen"));
                if (r >= 0)
                        r = add_cell(b, where);
                if (r >= 0)
                        r = add_cell(b, json_str(v, "sample") ?: json_str(v, "signature"));
                if (r >= 0)
                        r = dynbuf_addc(b, '\n');
                if (r < 0)
                        return r;
        }
        return dynbuf_addc(b, '\n');
}

static int section_config(struct dynbuf *b, json_t *manifest)
{
        json_t *cc = json_object_get(manifest, "config_changes");
        json_t *top = json_object_get(cc, "top");
        json_t *files = json_object_get(cc, "files"), *pk = json_object_get(cc, "packages");
        size_t i;
        json_t *v;
        int r;

        if (!json_is_object(cc))
                return 0;
        r = dynbuf_addstr(b, "h3. Recent configuration changes\n");
        if (r >= 0)
                r = dynbuf_addf(b, "%lld configuration files and %lld packages changed in the "
                                   "window (details in config/ in the bundle).\n",
                                json_is_array(files) ? (long long) json_array_size(files) :
                                                       (long long) json_integer_value(files),
                                json_is_array(pk) ? (long long) json_array_size(pk) :
                                                    (long long) json_integer_value(pk));
        json_array_foreach(top, i, v) {
                _cleanup_free_ char *e = wiki_escape(json_string_value(v) ?: json_str(v, "path"), 300);

                if (!e)
                        return -ENOMEM;
                if (r >= 0 && i < 20)
                        r = dynbuf_addf(b, "* %s\n", e);
        }
        if (r >= 0)
                r = dynbuf_addc(b, '\n');
        return r;
}

static int section_collection(struct dynbuf *b, json_t *manifest)
{
        json_t *cols = json_object_get(manifest, "collectors");
        json_t *cuts = json_object_get(manifest, "cuts");
        size_t i;
        json_t *v;
        int r = 0;

        if (json_array_size(cols) > 0) {
                r = dynbuf_addstr(b, "h3. Collection\n||Collector||Status||Seconds||Bytes||Note||\n");
                json_array_foreach(cols, i, v) {
                        _cleanup_free_ char *secs = NULL, *bytes = NULL;

                        secs = xasprintf("%.2f", json_number_value(json_object_get(v, "seconds")));
                        bytes = xasprintf("%lld",
                                          (long long) json_integer_value(json_object_get(v, "bytes")));
                        if (!secs || !bytes)
                                return -ENOMEM;
                        if (r >= 0)
                                r = dynbuf_addc(b, '|');
                        if (r >= 0)
                                r = add_cell(b, json_str(v, "name"));
                        if (r >= 0)
                                r = add_cell(b, json_str(v, "status"));
                        if (r >= 0)
                                r = add_cell(b, secs);
                        if (r >= 0)
                                r = add_cell(b, bytes);
                        if (r >= 0)
                                r = add_cell(b, json_str(v, "note"));
                        if (r >= 0)
                                r = dynbuf_addc(b, '\n');
                }
                if (r >= 0)
                        r = dynbuf_addc(b, '\n');
        }
        if (r >= 0 && json_array_size(cuts) > 0) {
                r = dynbuf_addstr(b, "*What was cut or skipped:*\n");
                json_array_foreach(cuts, i, v) {
                        _cleanup_free_ char *e = wiki_escape(json_string_value(v) ?: json_str(v, "note"),
                                                             300);

                        if (!e)
                                return -ENOMEM;
                        if (r >= 0 && i < 30)
                                r = dynbuf_addf(b, "* %s\n", e);
                }
                if (r >= 0)
                        r = dynbuf_addc(b, '\n');
        }
        return r;
}

static const char *bundle_name(json_t *manifest)
{
        const char *p = jpath(manifest, "bundle", "path");
        const char *s = p ? strrchr(p, '/') : NULL;

        return s ? s + 1 : p;
}

static int section_bundle(struct dynbuf *b, json_t *manifest, const char *marker)
{
        json_t *bundle = json_object_get(manifest, "bundle");
        _cleanup_free_ char *name = wiki_escape(bundle_name(manifest) ?: "bundle", 300);
        int r;

        if (!name)
                return -ENOMEM;
        r = dynbuf_addf(b, "h3. Diagnostics bundle\n[^%s] — %lld bytes, sha256 {{%s}}. "
                           "Start with summary.md and manifest.json inside it.\n\n",
                        name, (long long) json_integer_value(json_object_get(bundle, "bytes")),
                        json_str(bundle, "sha256") ?: "unknown");
        if (r >= 0)
                r = dynbuf_addf(b, "----\n_Filed by collect. Reference: %s (used to avoid "
                                   "duplicate tickets; please keep it in the summary)._\n",
                                marker);
        return r;
}

static char *make_summary(json_t *manifest, const char *marker)
{
        json_t *input = json_object_get(manifest, "input");
        json_t *reasons = json_object_get(json_object_get(manifest, "severity"), "reasons");
        const char *text = json_str(input, "summary");
        const char *host = json_str(manifest, "host") ?: "host";
        _cleanup_free_ char *auto_text = NULL;
        struct dynbuf b;
        size_t room;

        if (!text) {
                const char *reason = json_string_value(json_array_get(reasons, 0)) ?:
                                     json_str(json_array_get(reasons, 0), "text");
                const char *product = json_str(input, "product");

                auto_text = xasprintf("%s: %s%s%s", host, product ?: "",
                                      product ? ": " : "", reason ?: "diagnostics for review");
                if (!auto_text)
                        return NULL;
                text = auto_text;
        }
        dynbuf_init(&b, TICKET_SUMMARY_MAX + 8);
        room = TICKET_SUMMARY_MAX - strlen(marker) - strlen(" - ref ");
        for (const char *p = text; *p && b.len < room; p++)
                if (dynbuf_addc(&b, (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p) < 0)
                        goto oom;
        /* do not leave half a UTF-8 sequence */
        while (b.len > 0 && strlen(text) > room && ((unsigned char) b.buf[b.len - 1] & 0xC0) == 0x80)
                b.buf[--b.len] = 0;
        if (b.len > 0 && strlen(text) > room && ((unsigned char) b.buf[b.len - 1] & 0x80))
                b.buf[--b.len] = 0;
        while (b.len > 0 && b.buf[b.len - 1] == ' ')
                b.buf[--b.len] = 0;
        if (dynbuf_addf(&b, " - ref %s", marker) < 0)
                goto oom;
        return dynbuf_steal(&b);
oom:
        dynbuf_done(&b);
        return NULL;
}

static char *make_comment(json_t *manifest, const char *marker)
{
        json_t *sev = json_object_get(manifest, "severity");
        json_t *list = json_object_get(manifest, "checklist");
        json_t *cuts = json_object_get(manifest, "cuts");
        _cleanup_free_ char *host = wiki_escape(json_str(manifest, "host") ?: "?", 200);
        _cleanup_free_ char *name = wiki_escape(bundle_name(manifest) ?: "bundle", 300);
        struct dynbuf b;
        size_t i, ok = 0;
        json_t *v;
        int r;

        if (!host || !name)
                return NULL;
        dynbuf_init(&b, 64 * 1024);
        json_array_foreach(list, i, v)
                if (json_str(v, "status") && streq(json_str(v, "status"), "ok"))
                        ok++;
        r = dynbuf_addf(&b, "Diagnostics bundle [^%s] from host *%s*, window %s to %s.\n", name,
                        host, jpath(manifest, "window", "since") ?: "?",
                        jpath(manifest, "window", "until") ?: "?");
        if (r >= 0 && json_array_size(list) > 0)
                r = dynbuf_addf(&b, "Checklist: %zu of %zu items present.\n", ok,
                                json_array_size(list));
        if (r >= 0)
                r = dynbuf_addf(&b, "Severity suggested by collect: %s.\n",
                                json_str(sev, "suggested") ?: "none");
        json_array_foreach(json_object_get(sev, "reasons"), i, v) {
                _cleanup_free_ char *e = wiki_escape(json_string_value(v) ?: json_str(v, "text"), 300);

                if (r >= 0 && e && i < 5)
                        r = dynbuf_addf(&b, "* %s\n", e);
        }
        if (r >= 0 && json_array_size(cuts) > 0) {
                r = dynbuf_addstr(&b, "Cut or skipped:\n");
                json_array_foreach(cuts, i, v) {
                        _cleanup_free_ char *e = wiki_escape(json_string_value(v) ?: json_str(v, "note"),
                                                             200);

                        if (r >= 0 && e && i < 10)
                                r = dynbuf_addf(&b, "* %s\n", e);
                }
        }
        if (r >= 0)
                r = dynbuf_addf(&b, "sha256 {{%s}}. Reference: %s\n",
                                jpath(manifest, "bundle", "sha256") ?: "unknown", marker);
        if (r < 0) {
                dynbuf_done(&b);
                return NULL;
        }
        return dynbuf_steal(&b);
}

typedef int (*section_fn)(struct dynbuf *b, json_t *manifest,
                          const struct ticket_format_options *o);

static int s_head(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        return section_head(b, m, o);
}
static int s_severity(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        (void) o;
        return section_severity(b, m);
}
static int s_checklist(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        return section_checklist(b, m, o);
}
static int s_units(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "unit_failed", "unit_down", "unit_restarts", NULL };

        (void) o;
        return section_findings(b, m, "Failed units", kinds);
}
static int s_crashes(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "crash", "segfault", "oom_kill", NULL };

        (void) o;
        return section_findings(b, m, "Crashes", kinds);
}
static int s_errors(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        (void) o;
        return section_errors(b, m);
}
static int s_config(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        (void) o;
        return section_config(b, m);
}
static int s_other(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        static const char *const kinds[] = { "disk_full", "inodes_full", "kernel_error",
                                             "error_surge", "config_touches_failing", NULL };

        (void) o;
        return section_findings(b, m, "Other findings", kinds);
}
static int s_collection(struct dynbuf *b, json_t *m, const struct ticket_format_options *o)
{
        (void) o;
        return section_collection(b, m);
}

int ticket_format(json_t *manifest, const struct ticket_format_options *o, struct ticket_text *ret)
{
        static const section_fn sections[] = { s_head,  s_severity, s_checklist, s_units,
                                                s_crashes, s_errors, s_config,   s_other,
                                                s_collection };
        size_t max = o->description_max ? o->description_max : TICKET_DESCRIPTION_MAX;
        struct ticket_text t = {};
        struct dynbuf full, cut, tail, sec;
        bool was_cut = false;
        int r = 0;

        dynbuf_init(&full, FULL_MAX);
        dynbuf_init(&cut, max);
        dynbuf_init(&tail, 64 * 1024);
        dynbuf_init(&sec, FULL_MAX);

        r = section_bundle(&tail, manifest, o->marker);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sections); i++) {
                dynbuf_reset(&sec);
                r = sections[i](&sec, manifest, o);
                if (r == -E2BIG)
                        r = 0; /* a huge section: keep what fit */
                if (r < 0)
                        break;
                (void) dynbuf_add(&full, sec.buf ?: "", sec.len);
                /* keep whole sections while they fit, with room for the tail and a note */
                if (!was_cut && cut.len + sec.len + tail.len + 200 < max)
                        r = dynbuf_add(&cut, sec.buf ?: "", sec.len);
                else
                        was_cut = true;
        }
        if (r >= 0 && was_cut)
                r = dynbuf_addstr(&cut, "_The description was too long for the portal; the full "
                                        "text is attached as ticket-description.txt._\n\n");
        if (r >= 0)
                r = dynbuf_add(&cut, tail.buf ?: "", tail.len);
        if (r >= 0)
                (void) dynbuf_add(&full, tail.buf ?: "", tail.len);
        if (r < 0)
                goto fail;

        t.summary = make_summary(manifest, o->marker);
        t.comment = make_comment(manifest, o->marker);
        t.description = dynbuf_steal(&cut);
        if (was_cut)
                t.full = dynbuf_steal(&full);
        if (!t.summary || !t.comment || !t.description || (was_cut && !t.full)) {
                r = -ENOMEM;
                goto fail;
        }
        *ret = t;
        r = 0;
fail:
        if (r < 0)
                ticket_text_done(&t);
        dynbuf_done(&full);
        dynbuf_done(&cut);
        dynbuf_done(&tail);
        dynbuf_done(&sec);
        return r;
}

void ticket_text_done(struct ticket_text *t)
{
        if (!t)
                return;
        free(t->summary);
        free(t->description);
        free(t->full);
        free(t->comment);
        *t = (struct ticket_text) {};
}
