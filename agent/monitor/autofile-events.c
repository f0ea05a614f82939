/* SPDX-License-Identifier: MIT */
/*
 * Monitoring events (agent/monitor/autofile.h): an Alertmanager webhook
 * payload, a failed unit, systemd-coredump entries. A crash's fingerprint is
 * its crash signature (include/coredump.h), its identity the boot id, pid and
 * time of the crash, so that each crash is filed once whichever path
 * delivered it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "basic/json-util.h"
#include "coredump.h"
#include "dynbuf.h"
#include "monitor/autofile.h"
#include "parse-util.h"

#define STACK_LINES 8

/* ---- events ---- */

void autofile_event_done(struct autofile_event *e)
{
        free(e->fingerprint);
        free(e->summary);
        free(e->description);
        free(e->unit);
        free(e->identity);
        *e = (struct autofile_event) {};
}

void autofile_events_free(struct autofile_event *e, size_t n)
{
        for (size_t i = 0; e && i < n; i++)
                autofile_event_done(&e[i]);
        free(e);
}

/* The annotations a support engineer follows, and the alert's severity and source. */
static void alert_annotations(struct dynbuf *d, json_t *a)
{
        static const char *const keys[] = { "summary", "description", "runbook_url" };
        json_t *ann = json_object_get(a, "annotations");

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (json_str(ann, keys[i]))
                        (void) dynbuf_addf(d, "  %s: %s\n", keys[i], json_str(ann, keys[i]));
        if (json_str(json_object_get(a, "labels"), "severity"))
                (void) dynbuf_addf(d, "  severity: %s\n",
                                   json_str(json_object_get(a, "labels"), "severity"));
        if (json_str(a, "generatorURL"))
                (void) dynbuf_addf(d, "  generatorURL: %s\n", json_str(a, "generatorURL"));
}

/* The systemd unit the alert is about, from the common labels. */
static char *alert_unit(json_t *m)
{
        static const char *const keys[] = { "unit", "systemd_unit", "name", "service" };
        json_t *labels = json_object_get(m, "commonLabels");

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *u = json_str(labels, keys[i]);

                if (u && strchr(u, '.') && !strchr(u, '/'))
                        return xstrdup(u);
                if (u && !strchr(u, '/') && i < 2)
                        return xasprintf("%s.service", u);
        }
        return NULL;
}

/* When the group's first alert started, or (resolved) its last one ended. */
static usec_t alert_time(json_t *alerts, bool resolved)
{
        const char *key = resolved ? "endsAt" : "startsAt";
        json_t *a;
        size_t i;
        usec_t best = 0, t;

        json_array_foreach(alerts, i, a) {
                if (i >= 50)
                        break;
                if (!json_str(a, key) || parse_iso8601(json_str(a, key), &t, NULL) < 0)
                        continue;
                if (best == 0 || (resolved ? t > best : t < best))
                        best = t;
        }
        return best;
}

int autofile_event_from_alertmanager(const char *json, size_t len, struct autofile_event *ret,
                                     char **ret_error)
{
        json_t *m, *alerts, *a;
        json_error_t err;
        struct dynbuf d;
        const char *status, *group, *summary, *name;
        size_t i;

        m = json_loadb(json, len, 0, &err);
        if (!m || !json_is_object(m)) {
                if (ret_error)
                        *ret_error = xasprintf("alertmanager payload:%d:%d: %s", err.line,
                                               err.column, m ? "not an object" : err.text);
                json_decref(m);
                return -EBADMSG;
        }
        status = json_str(m, "status");
        group = json_str(m, "groupKey");
        alerts = json_object_get(m, "alerts");
        if (!status || !group || !json_is_array(alerts)) {
                if (ret_error)
                        *ret_error = xasprintf("alertmanager payload: 'status', 'groupKey' and "
                                               "'alerts' are required");
                json_decref(m);
                return -EBADMSG;
        }
        name = json_str(json_object_get(m, "commonLabels"), "alertname") ?:
               json_str(json_object_get(m, "groupLabels"), "alertname") ?: "alert";
        summary = json_str(json_object_get(m, "commonAnnotations"), "summary");
        dynbuf_init(&d, 256 * 1024);
        (void) dynbuf_addf(&d, "Alertmanager %s: %s (group %s)\n", status, name, group);
        json_array_foreach(alerts, i, a) {
                json_t *labels = json_object_get(a, "labels");
                const char *k;
                json_t *v;

                if (i >= 50) {
                        (void) dynbuf_addf(&d, "- … and %zu more alerts\n",
                                           json_array_size(alerts) - 50);
                        break;
                }
                (void) dynbuf_addf(&d, "- %s since %s:", json_str(a, "status") ?: "?",
                                   json_str(a, "startsAt") ?: "?");
                json_object_foreach(labels, k, v)
                        if (json_is_string(v))
                                (void) dynbuf_addf(&d, " %s=%s", k, json_string_value(v));
                (void) dynbuf_addc(&d, '\n');
                alert_annotations(&d, a);
        }
        *ret = (struct autofile_event) {
                .unit = alert_unit(m),
                .time = alert_time(alerts, streq(status, "resolved")),
                .fingerprint = xasprintf("alert:%s", group),
                .summary = summary ? xasprintf("%s: %s", name, summary) :
                                     xasprintf("Alert %s is %s", name, status),
                .description = dynbuf_steal(&d),
                .resolved = streq(status, "resolved"),
                .critical = json_str(json_object_get(m, "commonLabels"), "severity") &&
                            streq(json_str(json_object_get(m, "commonLabels"), "severity"),
                                  "critical"),
        };
        json_decref(m);
        if (!ret->fingerprint || !ret->summary || !ret->description) {
                autofile_event_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int autofile_event_from_unit(const char *unit, struct autofile_event *ret)
{
        const char *result = getenv("MONITOR_SERVICE_RESULT");
        const char *code = getenv("MONITOR_EXIT_CODE"), *status = getenv("MONITOR_EXIT_STATUS");

        *ret = (struct autofile_event) {
                .fingerprint = xasprintf("unit-failure:%s", unit),
                .summary = result ? xasprintf("%s failed (%s)", unit, result) :
                                    xasprintf("%s failed", unit),
                .description = xasprintf("The unit %s entered the failed state%s%s%s%s%s%s.",
                                         unit, result ? "; result " : "", result ?: "",
                                         code ? ", " : "", code ?: "",
                                         status ? " with status " : "", status ?: ""),
                .unit = xstrdup(unit),
        };
        if (!ret->fingerprint || !ret->summary || !ret->description || !ret->unit) {
                autofile_event_done(ret);
                return -ENOMEM;
        }
        return 0;
}

#ifdef HAVE_LIBSYSTEMD
static void describe_stack(struct dynbuf *d, const struct coredump *cd)
{
        if (cd->n_frames == 0)
                return;
        (void) dynbuf_addstr(d, "\nStack of the crashing thread:\n");
        for (size_t i = 0; i < MIN(cd->n_frames, (size_t) STACK_LINES); i++)
                (void) dynbuf_addf(d, "  #%zu %s (%s + 0x%" PRIx64 ")\n", i,
                                   cd->frames[i].function ?: "n/a", cd->frames[i].module ?: "n/a",
                                   cd->frames[i].offset);
        if (cd->n_frames > STACK_LINES)
                (void) dynbuf_addf(d, "  … %zu more frames\n", cd->n_frames - STACK_LINES);
}

/* One crash as an event: fingerprint = signature, identity = boot id + pid + time. */
static int coredump_event(const struct coredump *cd, struct autofile_event *ret)
{
        _cleanup_(coredump_signature_done) struct coredump_signature sig = {};
        const char *what = cd->exe ?: cd->comm ?: "a process";
        const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;
        char when[64];
        struct dynbuf d;
        int r;

        r = coredump_signature(cd, &sig);
        if (r < 0)
                return r;
        dynbuf_init(&d, 64 * 1024);
        (void) dynbuf_addf(&d, "systemd-coredump recorded a crash at %s: %s, pid %" PRIu64
                           ", signal %s%s%s.\nCrash signature %s (%s).\n",
                           format_iso8601(when, sizeof(when), cd->timestamp), what, cd->pid,
                           cd->signal_name ?: "?", cd->unit ? ", unit " : "", cd->unit ?: "",
                           sig.hash, sig.title);
        describe_stack(&d, cd);
        *ret = (struct autofile_event) {
                .fingerprint = xasprintf("crash:%s", sig.hash),
                .summary = xasprintf("%s: %s%s%s%s", base, sig.title, cd->unit ? " (" : "",
                                     cd->unit ?: "", cd->unit ? ")" : ""),
                .description = dynbuf_steal(&d),
                .unit = cd->unit ? xstrdup(cd->unit) : NULL,
                .identity = coredump_identity(cd),
                .time = cd->timestamp,
                .crash = true,
        };
        if (!ret->fingerprint || !ret->summary || !ret->description || !ret->identity ||
            (cd->unit && !ret->unit)) {
                autofile_event_done(ret);
                return -ENOMEM;
        }
        return 0;
}

static int journal_open_window(const char *dir, usec_t since, sd_journal **ret)
{
        sd_journal *j = NULL;
        int r;

        r = dir ? sd_journal_open_directory(&j, dir, 0) :
                  sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, 256 * 1024);
        r = coredump_journal_add_match(j);
        if (r >= 0)
                r = sd_journal_seek_realtime_usec(j, since);
        if (r < 0) {
                sd_journal_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

int autofile_events_from_coredumps(const char *dir, usec_t since, usec_t until, size_t max,
                                   struct autofile_event **ret, size_t *ret_n)
{
        struct autofile_event *evs = NULL;
        sd_journal *j = NULL;
        size_t n = 0;
        int r;

        r = journal_open_window(dir, since, &j);
        if (r < 0)
                return r;
        evs = calloc(MAX(max, (size_t) 1), sizeof(*evs));
        if (!evs) {
                sd_journal_close(j);
                return -ENOMEM;
        }
        for (unsigned i = 0; n < max && i < 1000000u; i++) {
                _cleanup_(coredump_done) struct coredump cd = {};
                usec_t t;

                r = sd_journal_next(j);
                if (r <= 0)
                        break;
                if (sd_journal_get_realtime_usec(j, &t) < 0 || t < since)
                        continue;
                if (t > until)
                        break;
                r = coredump_from_journal(j, &cd);
                if (r == -ENOMSG)
                        continue;
                if (r >= 0)
                        r = coredump_event(&cd, &evs[n]);
                if (r < 0)
                        break;
                n++;
        }
        sd_journal_close(j);
        if (r < 0) {
                autofile_events_free(evs, n);
                return r;
        }
        *ret = evs;
        *ret_n = n;
        return 0;
}

int autofile_event_from_coredump(const char *dir, usec_t since, usec_t until,
                                 struct autofile_event *ret)
{
        struct autofile_event *evs = NULL;
        size_t n = 0;
        int r;

        r = autofile_events_from_coredumps(dir, since, until, 1000, &evs, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                free(evs);
                return -ENOENT;
        }
        *ret = evs[n - 1];
        evs[n - 1] = (struct autofile_event) {};
        autofile_events_free(evs, n);
        return 0;
}
#else
int autofile_events_from_coredumps(const char *dir, usec_t since, usec_t until, size_t max,
                                   struct autofile_event **ret, size_t *ret_n)
{
        (void) dir;
        (void) since;
        (void) until;
        (void) max;
        (void) ret;
        (void) ret_n;
        return -EOPNOTSUPP;
}

int autofile_event_from_coredump(const char *dir, usec_t since, usec_t until,
                                 struct autofile_event *ret)
{
        (void) dir;
        (void) since;
        (void) until;
        (void) ret;
        return -EOPNOTSUPP;
}
#endif
