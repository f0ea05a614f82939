/* SPDX-License-Identifier: MIT */
/*
 * The CLI's output (agent/cli/output.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "alloc-util.h"
#include "cli/output.h"
#include "log.h"
#include "pipeline/manifest.h"
#include "strv.h"

int cli_exit_code(enum collect_status st, int signal)
{
        static const int codes[_COLLECT_STATUS_MAX] = {
                [COLLECT_OK] = 0,
                [COLLECT_USAGE] = EX_USAGE,
                [COLLECT_NOT_FIT] = EX_DATAERR,
                [COLLECT_NO_INPUT] = EX_NOINPUT,
                [COLLECT_CANT_CREATE] = EX_CANTCREAT,
                [COLLECT_SPOOLED] = EX_TEMPFAIL,
                [COLLECT_NO_PERMISSION] = EX_NOPERM,
                [COLLECT_CONFIG] = EX_CONFIG,
                [COLLECT_FAILED] = 1,
                [COLLECT_INTERRUPTED] = 128 + SIGTERM,
        };

        if (st == COLLECT_INTERRUPTED)
                return 128 + (signal > 0 ? signal : SIGTERM);
        return (unsigned) st < _COLLECT_STATUS_MAX ? codes[st] : 1;
}

static void human_collectors(const struct report *rep)
{
        char d[32];

        for (size_t i = 0; i < rep->n_statuses; i++) {
                const struct collector_status *s = &rep->statuses[i];

                fprintf(stderr, "  %-12s %-8s %8s %10llu B%s%s\n", s->name,
                        collector_result_to_string(s->result),
                        format_duration(d, sizeof(d), s->duration), (unsigned long long) s->bytes,
                        s->note ? "  " : "", s->note ? s->note : "");
        }
}

void output_human(const struct collect_result *res, enum collect_mode mode, int verbosity)
{
        const struct severity_result *sev = &res->severity;
        char d[32];

        if (verbosity < 0 || !res->bundle_path)
                return;
        fprintf(stderr, "collect: bundle %s (%.1f MB, %s)\n", res->bundle_path,
                (double) res->bundle_bytes / 1e6, format_duration(d, sizeof(d), res->duration));
        human_collectors(&res->report);
        if (res->redaction)
                fprintf(stderr, "  redaction: %lld value(s) replaced\n",
                        (long long) json_integer_value(
                                json_object_get(res->redaction, "replacements")));
        if (!res->evaluated)
                return;
        fprintf(stderr, "  severity suggested: %s", severity_to_string(sev->suggested));
        if (sev->selected >= 0 && sev->selected != sev->suggested)
                fprintf(stderr, " (you chose %s)", severity_to_string(sev->selected));
        fputc('\n', stderr);
        STRV_FOREACH(reason, sev->reasons)
                fprintf(stderr, "    - %s\n", *reason);
        if (mode != COLLECT_MODE_ATTACH) {
                _cleanup_free_ char *missing = NULL;

                if (checklist_n_missing(&res->checklist) > 0 &&
                    checklist_missing_text(&res->checklist, &missing) >= 0)
                        fprintf(stderr, "  checklist: missing required information:\n%s", missing);
                else
                        fprintf(stderr, "  checklist: complete\n");
        }
}

static json_t *error_json(const struct collect_error *err)
{
        const char *msg = err->message ? err->message : log_last_error();

        return json_pack("{s:s, s:s?}", "message", msg ? msg : "failed", "path", err->path);
}

static bool json_printed;

bool output_json_printed(void)
{
        return json_printed;
}

void output_json_object(json_t *o)
{
        json_printed = true;
        if (!o) {
                /* Out of memory: still one object. */
                fputs("{\"exit_code\": 1, \"error\": {\"message\": \"out of memory\"}}\n", stdout);
                return;
        }
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        fflush(stdout);
}

void output_json_result(const struct collect_result *res, int ex)
{
        _cleanup_(json_decrefp) json_t *o = json_object();
        json_t *redaction = res->redaction;

        if (!o) {
                output_json_object(NULL);
                return;
        }
        json_object_set_new(o, "format_version", json_integer(CLI_JSON_FORMAT_VERSION));
        json_object_set_new(o, "bundle",
                            res->bundle_path ?
                                    json_pack("{s:s, s:I, s:s}", "path", res->bundle_path, "bytes",
                                              (json_int_t) res->bundle_bytes, "sha256",
                                              res->bundle_sha256) :
                                    json_null());
        json_object_set_new(o, "collectors", statuses_to_json(&res->report));
        json_object_set_new(o, "checklist",
                            res->evaluated ? checklist_to_json(&res->checklist) : json_array());
        json_object_set_new(o, "severity",
                            res->evaluated ? severity_to_json(&res->severity) : json_null());
        json_object_set_new(o, "redaction",
                            redaction ?
                                    json_pack("{s:O, s:O}", "replacements",
                                              json_object_get(redaction, "replacements"), "by_rule",
                                              json_object_get(redaction, "by_rule")) :
                                    json_null());
        json_object_set_new(o, "ticket",
                            res->ticket ? json_incref(res->ticket) :
                                          json_pack("{s:s, s:n, s:n, s:n}", "action", "none", "key",
                                                    "url", "spool_id"));
        json_object_set_new(o, "leak_check",
                            res->leak_check ? json_incref(res->leak_check) : json_null());
        json_object_set_new(o, "exit_code", json_integer(ex));
        if (res->status == COLLECT_INTERRUPTED)
                json_object_set_new(o, "interrupted",
                                    json_pack("{s:s?, s:i}", "signal", sigabbrev_np(res->signal),
                                              "number", res->signal));
        if (ex != 0)
                json_object_set_new(o, "error", error_json(&res->error));
        output_json_object(o);
}

void output_json_error(const struct collect_error *err, int ex)
{
        _cleanup_(json_decrefp) json_t *o = json_pack("{s:i, s:i}", "format_version",
                                                      CLI_JSON_FORMAT_VERSION, "exit_code", ex);

        if (o && ex != 0)
                json_object_set_new(o, "error", error_json(err));

        output_json_object(o);
}
