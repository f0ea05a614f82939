/* SPDX-License-Identifier: MIT */
/*
 * manifest.json and summary.md (agent/pipeline/manifest.h). summary.md is the page a
 * support engineer reads first: severity and reasons and the checklist open
 * it, then what happened, the top errors, what changed and what was cut.
 */
#include <errno.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "alloc-util.h"
#include "analysis/timeline-svg.h"
#include "analysis/timeline.h"
#include "log.h"
#include "pipeline/manifest.h"
#include "parse-util.h"
#include "sink.h"
#include "strv.h"

static json_t *time_json(usec_t t)
{
        char buf[64];

        if (t == 0 || t == USEC_INFINITY)
                return json_null();
        return json_string(format_iso8601(buf, sizeof(buf), t));
}

json_t *statuses_to_json(const struct report *r)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < r->n_statuses; i++) {
                const struct collector_status *s = &r->statuses[i];

                json_array_append_new(a,
                                      json_pack("{s:s, s:s, s:f, s:I, s:s?}", "name", s->name,
                                                "status", collector_result_to_string(s->result),
                                                "seconds", (double) s->duration / USEC_PER_SEC,
                                                "bytes", (json_int_t) s->bytes, "note", s->note));
        }
        return a;
}

json_t *findings_to_json(const struct report *r)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];
                json_t *o = json_pack("{s:s, s:s?, s:I, s:s?, s:s?}", "kind",
                                      finding_kind_to_string(f->kind), "subject", f->subject,
                                      "count", (json_int_t) f->count, "detail", f->detail, "source",
                                      f->source);

                if (!o)
                        continue;
                json_object_set_new(o, "first", time_json(f->first));
                json_object_set_new(o, "last", time_json(f->last));
                json_array_append_new(a, o);
        }
        return a;
}

json_t *input_to_json(const struct user_input *u)
{
        return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "type",
                         request_type_to_string(u->type), "environment", u->environment,
                         "environment_source", input_source_to_string(u->environment_source),
                         "product", u->product, "summary", u->summary, "description",
                         u->description, "steps", u->steps, "impact", u->impact, "workaround",
                         u->workaround == TRISTATE_UNKNOWN ? NULL :
                         u->workaround == TRISTATE_YES     ? "yes" :
                                                             "no",
                         "selected_severity", severity_to_string(u->selected));
}

static uint64_t finding_total(const struct report *r, enum finding_kind k, bool *found)
{
        uint64_t n = 0;

        *found = false;
        for (size_t i = 0; i < r->n_findings; i++)
                if (r->findings[i].kind == k) {
                        n += r->findings[i].count;
                        *found = true;
                }
        return n;
}

int manifest_timeline(const struct manifest_params *p, struct timeline *ret)
{
        const struct report *r = p->report;
        json_t *findings = findings_to_json(r);
        int k;

        if (!findings)
                return -ENOMEM;
        k = timeline_build(findings, p->errors_top, r->since, r->until, r->until, ret);
        json_decref(findings);
        return k;
}

int manifest_timeline_svg(const struct manifest_params *p, struct dynbuf *out)
{
        struct timeline tl = {};
        int r;

        r = manifest_timeline(p, &tl);
        if (r >= 0)
                r = timeline_svg(&tl, p->error_histogram, p->report->since, p->report->until, out);
        timeline_done(&tl);
        return r;
}

int manifest_add_timeline_svg(const struct manifest_params *p, struct sink *s)
{
        _cleanup_(dynbuf_donep) struct dynbuf svg = {};
        int r;

        dynbuf_init(&svg, 2 << 20);
        r = manifest_timeline_svg(p, &svg);
        if (r == -EINVAL)
                return 0; /* no window, no picture */
        if (r < 0)
                return log_warning_errno(r, "cannot draw timeline.svg: %m"), 0;
        return sink_add_data(s, "timeline.svg", svg.buf, svg.len, 0);
}

json_t *manifest_build(const struct manifest_params *p)
{
        const struct report *r = p->report;
        json_t *m, *changes;
        bool has_files, has_pkgs;
        uint64_t files = finding_total(r, FINDING_CONFIG_CHANGES, &has_files);
        uint64_t pkgs = finding_total(r, FINDING_PACKAGE_CHANGES, &has_pkgs);

        m = json_pack("{s:i, s:{s:s, s:s}, s:s, s:s, s:b}", "format_version",
                      MANIFEST_FORMAT_VERSION, "tool", "name", "collect", "version",
                      COLLECT_VERSION, "host", r->host ? r->host : "unknown", "bundle",
                      p->bundle_name, "masked", p->masked);
        if (!m)
                return NULL;
        json_object_set_new(m, "created", time_json(now(CLOCK_REALTIME)));
        json_object_set_new(m, "window",
                            json_pack("{s:o, s:o}", "since", time_json(r->since), "until",
                                      time_json(r->until)));
        json_object_set_new(m, "collectors", statuses_to_json(r));
        json_object_set_new(m, "checklist",
                            p->checklist ? checklist_to_json(p->checklist) : json_array());
        json_object_set_new(m, "severity",
                            p->severity ? severity_to_json(p->severity) : json_null());
        json_object_set_new(m, "redaction",
                            p->redaction ? json_deep_copy(p->redaction) : json_object());
        json_object_set_new(m, "findings", findings_to_json(r));
        json_object_set_new(m, "errors_top",
                            p->errors_top ? json_deep_copy(p->errors_top) : json_array());
        changes = json_object();
        json_object_set_new(changes, "files",
                            has_files ? json_integer((json_int_t) files) : json_null());
        json_object_set_new(changes, "packages",
                            has_pkgs ? json_integer((json_int_t) pkgs) : json_null());
        json_object_set_new(m, "config_changes", changes);
        json_object_set_new(m, "input", input_to_json(&r->input));
        json_object_set_new(m, "cuts", p->cuts ? json_deep_copy(p->cuts) : json_array());
        {
                struct timeline tl = {};

                if (manifest_timeline(p, &tl) >= 0)
                        json_object_set_new(m, "timeline", timeline_to_json(&tl));
                timeline_done(&tl);
        }
        if (p->error_histogram)
                json_object_set_new(m, "error_histogram", json_deep_copy(p->error_histogram));
        if (p->leaks)
                json_object_set_new(m, "leak_check", json_deep_copy(p->leaks));
        return m;
}

static void md_escape_line(struct dynbuf *b, const char *s, size_t max)
{
        size_t n = 0;

        for (; s && *s && n < max; s++, n++) {
                if (*s == '\n' || *s == '\r')
                        (void) dynbuf_addc(b, ' ');
                else if (*s == '|' || *s == '`')
                        (void) dynbuf_addf(b, "\\%c", *s);
                else
                        (void) dynbuf_addc(b, *s);
        }
        if (s && *s)
                (void) dynbuf_addstr(b, "…");
}

static void findings_section(struct dynbuf *b, const struct report *r, enum finding_kind k,
                             const char *title)
{
        bool any = false;

        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];
                _cleanup_free_ char *d = NULL;

                if (f->kind != k)
                        continue;
                if (!any)
                        (void) dynbuf_addf(b, "\n**%s**\n\n", title);
                any = true;
                d = severity_describe_finding(f);
                (void) dynbuf_addstr(b, "- ");
                md_escape_line(b, d ? d : (f->subject ? f->subject : "?"), 300);
                (void) dynbuf_addc(b, '\n');
        }
}

static void summary_errors(const struct manifest_params *p, struct dynbuf *b)
{
        (void) dynbuf_addstr(b, "\n## Top errors\n\n");
        if (!p->errors_top || json_array_size(p->errors_top) == 0) {
                (void) dynbuf_addstr(b, "No error messages in the window.\n");
        } else {
                size_t i;
                json_t *e;

                (void) dynbuf_addstr(b, "| count | first seen | last seen | message | where |\n"
                                        "| ---: | --- | --- | --- | --- |\n");
                json_array_foreach(p->errors_top, i, e) {
                        json_t *srcs = json_object_get(e, "sources");
                        json_t *units = json_object_get(e, "units");
                        const char *where = json_string_value(json_array_get(units, 0));

                        if (i >= 10)
                                break;
                        if (!where)
                                where = json_string_value(json_array_get(srcs, 0));
                        (void) dynbuf_addf(
                                b, "| %lld | %s | %s | ",
                                (long long) json_integer_value(json_object_get(e, "count")),
                                json_string_value(json_object_get(e, "first_seen")) ?: "-",
                                json_string_value(json_object_get(e, "last_seen")) ?: "-");
                        md_escape_line(b,
                                       timeline_strip_log_prefix(
                                               json_string_value(json_object_get(e, "sample"))),
                                       200);
                        (void) dynbuf_addstr(b, " | ");
                        md_escape_line(b, where ? where : "-", 80);
                        (void) dynbuf_addstr(b, " |\n");
                }
                (void) dynbuf_addstr(b, "\nAll groups: `errors/errors.json`, readable: "
                                        "`errors/errors.txt`.\n");
        }
}

static void summary_config(const struct report *r, struct dynbuf *b)
{
        (void) dynbuf_addstr(b, "\n## Configuration changes\n\n");
        {
                bool hf, hp;
                uint64_t files = finding_total(r, FINDING_CONFIG_CHANGES, &hf);
                uint64_t pkgs = finding_total(r, FINDING_PACKAGE_CHANGES, &hp);

                if (!hf && !hp)
                        (void) dynbuf_addstr(b, "Not collected (see the collectors below).\n");
                else
                        (void) dynbuf_addf(b,
                                           "%llu configuration file(s) and %llu package(s) "
                                           "changed in the window. Details: "
                                           "`config/changes.diff`, `config/changes.json`, "
                                           "`config/packages.json`.\n",
                                           (unsigned long long) files, (unsigned long long) pkgs);
                for (size_t i = 0; i < r->n_findings; i++)
                        if (r->findings[i].kind == FINDING_CONFIG_CHANGES &&
                            r->findings[i].detail) {
                                (void) dynbuf_addstr(b, "\n");
                                md_escape_line(b, r->findings[i].detail, 600);
                                (void) dynbuf_addstr(b, "\n");
                        }
                findings_section(b, r, FINDING_CONFIG_TOUCHES_FAILING,
                                 "Changes touching a failing service");
        }
}

int summary_render(const struct manifest_params *p, struct dynbuf *b)
{
        const struct report *r = p->report;
        char since[32], until[32];
        size_t n;
        int rr;

        (void) dynbuf_addf(b, "# Support bundle: %s\n\n", r->host ? r->host : "unknown host");
        (void) dynbuf_addf(b, "Window: %s to %s (UTC). Bundle: `%s`.\n\n",
                           format_iso8601(since, sizeof(since), r->since),
                           format_iso8601(until, sizeof(until), r->until), p->bundle_name);
        if (r->input.summary) {
                (void) dynbuf_addstr(b, "Summary: ");
                md_escape_line(b, r->input.summary, 500);
                (void) dynbuf_addstr(b, "\n\n");
        }
        if (p->checklist && p->severity) {
                rr = checklist_severity_markdown(p->checklist, p->severity, b);
                if (rr < 0)
                        return rr;
        }
        if (p->leaks && json_array_size(p->leaks) > 0)
                (void) dynbuf_addf(b,
                                   "\n**Leak check: %zu possible secret(s) found after "
                                   "redaction — this bundle must not be sent.**\n",
                                   json_array_size(p->leaks));

        {
                struct timeline tl = {};

                rr = manifest_timeline(p, &tl);
                if (rr >= 0)
                        rr = timeline_markdown(&tl, b);
                timeline_done(&tl);
                if (rr == -ENOMEM)
                        return rr;
        }
        (void) dynbuf_addstr(b, "\n## What happened\n");
        n = b->len;
        findings_section(b, r, FINDING_UNIT_FAILED, "Failed units");
        findings_section(b, r, FINDING_UNIT_DOWN, "Units down");
        findings_section(b, r, FINDING_UNIT_RESTARTS, "Restarts (crash loops)");
        findings_section(b, r, FINDING_CRASH, "Crashes");
        findings_section(b, r, FINDING_OOM_KILL, "Out-of-memory kills");
        findings_section(b, r, FINDING_SEGFAULT, "Segmentation faults");
        findings_section(b, r, FINDING_KERNEL_ERROR, "Kernel errors");
        findings_section(b, r, FINDING_DISK_FULL, "Disks nearly full");
        findings_section(b, r, FINDING_INODES_FULL, "Inodes nearly exhausted");
        findings_section(b, r, FINDING_ERROR_SURGE, "Error surges");
        if (b->len == n)
                (void) dynbuf_addstr(b, "\nNo failed units, crashes, OOM kills or full disks "
                                        "were found in the window.\n");

        summary_errors(p, b);
        summary_config(r, b);
        (void) dynbuf_addstr(b, "\n## Collectors\n\n| collector | status | time | bytes | note |\n"
                                "| --- | --- | ---: | ---: | --- |\n");
        for (size_t i = 0; i < r->n_statuses; i++) {
                const struct collector_status *s = &r->statuses[i];
                char d[32];

                (void) dynbuf_addf(b, "| %s | %s | %s | %llu | ", s->name,
                                   collector_result_to_string(s->result),
                                   format_duration(d, sizeof(d), s->duration),
                                   (unsigned long long) s->bytes);
                md_escape_line(b, s->note ? s->note : "", 400);
                (void) dynbuf_addstr(b, " |\n");
        }
        if (p->cuts && json_array_size(p->cuts) > 0) {
                size_t i;
                json_t *c;

                (void) dynbuf_addstr(b, "\n## Skipped or cut\n\n");
                json_array_foreach(p->cuts, i, c) {
                        if (i >= 50) {
                                (void) dynbuf_addf(b, "- … and %zu more (manifest.json)\n",
                                                   json_array_size(p->cuts) - 50);
                                break;
                        }
                        (void) dynbuf_addf(b, "- %s: ",
                                           json_string_value(json_object_get(c, "collector")));
                        md_escape_line(b, json_string_value(json_object_get(c, "note")), 300);
                        (void) dynbuf_addc(b, '\n');
                }
        }
        if (p->redaction) {
                (void) dynbuf_addf(b,
                                   "\n## Redaction\n\n%lld value(s) replaced; masking %s. "
                                   "Details: `redaction.json` (never the values).\n",
                                   (long long) json_integer_value(
                                           json_object_get(p->redaction, "replacements")),
                                   p->masked ? "on" : "off");
        }
        return 0;
}

int manifest_read(const char *bundle_path, json_t **ret, char **ret_error)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r = -ENOENT;

        if (!a)
                return -ENOMEM;
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, bundle_path, 64 * 1024) != ARCHIVE_OK) {
                if (ret_error)
                        *ret_error = xasprintf("%s: %s", bundle_path, archive_error_string(a));
                archive_read_free(a);
                return -EBADMSG;
        }
        for (;;) {
                int s = archive_read_next_header(a, &e);
                const char *name, *slash;

                if (s == ARCHIVE_EOF)
                        break;
                if (s != ARCHIVE_OK) {
                        if (ret_error)
                                *ret_error = xasprintf("%s: %s", bundle_path,
                                                       archive_error_string(a));
                        r = -EBADMSG;
                        break;
                }
                name = archive_entry_pathname(e);
                slash = name ? strchr(name, '/') : NULL;
                if (!slash || !streq(slash + 1, "manifest.json"))
                        continue;
                la_int64_t size = archive_entry_size(e);
                if (size <= 0 || size > 64 * 1024 * 1024) {
                        r = -EBADMSG;
                        break;
                }
                _cleanup_free_ char *buf = xmalloc((size_t) size + 1);
                if (!buf) {
                        r = -ENOMEM;
                        break;
                }
                la_ssize_t n = archive_read_data(a, buf, (size_t) size);
                if (n != size) {
                        r = -EBADMSG;
                        break;
                }
                json_error_t err;
                json_t *m = json_loadb(buf, (size_t) n, 0, &err);
                if (!m) {
                        if (ret_error)
                                *ret_error = xasprintf("%s: manifest.json:%d:%d: %s", bundle_path,
                                                       err.line, err.column, err.text);
                        r = -EBADMSG;
                        break;
                }
                *ret = m;
                r = 0;
                break;
        }
        archive_read_free(a);
        if (r == -ENOENT && ret_error && !*ret_error)
                *ret_error = xasprintf("%s: no manifest.json (not a collect bundle?)", bundle_path);
        return r;
}

static char *dup_str(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? xstrdup(s) : NULL;
}

static usec_t parse_json_time(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        usec_t t = 0;

        if (s)
                (void) parse_iso8601(s, &t, NULL);
        return t;
}

int report_from_manifest(json_t *m, struct report *r)
{
        json_t *a, *v, *in;
        size_t i;
        int rr;

        r->host = dup_str(m, "host");
        r->since = parse_json_time(json_object_get(m, "window"), "since");
        r->until = parse_json_time(json_object_get(m, "window"), "until");
        a = json_object_get(m, "collectors");
        r->statuses = xcalloc(json_array_size(a) + 1, sizeof(struct collector_status));
        if (!r->statuses)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                struct collector_status *s = &r->statuses[r->n_statuses];
                enum collector_result res = collector_result_from_string(
                        json_string_value(json_object_get(v, "status")));

                s->name = dup_str(v, "name");
                if (!s->name)
                        continue;
                s->result = res < 0 ? COLLECTOR_FAILED : res;
                s->duration = (usec_t) (json_number_value(json_object_get(v, "seconds")) *
                                        USEC_PER_SEC);
                s->bytes = (uint64_t) json_integer_value(json_object_get(v, "bytes"));
                s->note = dup_str(v, "note");
                r->n_statuses++;
        }
        json_array_foreach(json_object_get(m, "findings"), i, v) {
                enum finding_kind k = finding_kind_from_string(
                        json_string_value(json_object_get(v, "kind")));
                struct finding f;

                if (k < 0)
                        continue;
                f = (struct finding) {
                        .kind = k,
                        .subject = json_string_value(json_object_get(v, "subject")),
                        .count = (uint64_t) json_integer_value(json_object_get(v, "count")),
                        .first = parse_json_time(v, "first"),
                        .last = parse_json_time(v, "last"),
                        .detail = json_string_value(json_object_get(v, "detail")),
                        .source = json_string_value(json_object_get(v, "source")),
                };
                rr = report_add_finding(r, &f);
                if (rr < 0)
                        return rr;
        }
        in = json_object_get(m, "input");
        r->input.type = request_type_from_string(json_string_value(json_object_get(in, "type")));
        if ((int) r->input.type < 0)
                r->input.type = REQUEST_INCIDENT;
        r->input.environment = dup_str(in, "environment");
        r->input.environment_source = r->input.environment ? INPUT_CLI : INPUT_NONE;
        r->input.product = dup_str(in, "product");
        r->input.product_source = r->input.product ? INPUT_CLI : INPUT_NONE;
        r->input.summary = dup_str(in, "summary");
        r->input.description = dup_str(in, "description");
        r->input.steps = dup_str(in, "steps");
        r->input.steps_source = r->input.steps ? INPUT_CLI : INPUT_NONE;
        r->input.impact = dup_str(in, "impact");
        r->input.impact_source = r->input.impact ? INPUT_CLI : INPUT_NONE;
        {
                const char *w = json_string_value(json_object_get(in, "workaround"));

                r->input.workaround = !w              ? TRISTATE_UNKNOWN :
                                      streq(w, "yes") ? TRISTATE_YES :
                                                        TRISTATE_NO;
                r->input.workaround_source = w ? INPUT_CLI : INPUT_NONE;
        }
        r->input.selected = severity_from_string(
                json_string_value(json_object_get(in, "selected_severity")));
        return 0;
}
