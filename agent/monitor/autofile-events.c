/* SPDX-License-Identifier: MIT */
/*
 * Monitoring events (agent/monitor/autofile.h): an Alertmanager webhook
 * payload, a failed unit, systemd-coredump entries. A crash's fingerprint is
 * its crash signature (include/coredump.h), its identity the boot id, pid and
 * time of the crash; a unit failure's identity is the failed run (its
 * invocation id); an alert's the fingerprint, start and status of each of its
 * alerts. So each event is filed once whichever path delivered it, and a
 * re-sent Alertmanager group is a no-op.
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
#include "sha256.h"
#include "basic/json-util.h"
#include "coredump.h"
#include "dynbuf.h"
#include "log.h"
#include "monitor/autofile.h"
#include "parse-util.h"
#include "strv.h"

#define STACK_LINES 8
#define ALERTS_MAX 50 /* alerts of a group described and identified */

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

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* An alert without a fingerprint (older Alertmanager): the hash of its labels. */
static char *labels_fingerprint(json_t *labels)
{
        _cleanup_free_ char *text = json_dumps(labels ?: json_null(),
                                               JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        unsigned char md[32];
        char hex[17];

        if (!text)
                return NULL;
        sha256_bytes(text, strlen(text), md);
        for (unsigned i = 0; i < 8; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return xasprintf("labels-%s", hex);
}

/* "alert:<fingerprint>:<startsAt>:<status>" of each alert, one a line, sorted: a
 * re-sent group is the same event, a resolved one (or a new alert) is not. */
static char *alert_identities(json_t *alerts, const char *group_status)
{
        _cleanup_strv_free_ char **ids = NULL;
        json_t *a;
        size_t i;

        json_array_foreach(alerts, i, a) {
                _cleanup_free_ char *own = NULL;
                const char *fp = json_str(a, "fingerprint");

                if (i >= ALERTS_MAX)
                        break;
                if (!fp)
                        fp = own = labels_fingerprint(json_object_get(a, "labels"));
                /* a resolved group has only resolved alerts, whatever they say */
                if (!fp ||
                    strv_consume(&ids,
                                 xasprintf("alert:%s:%s:%s", fp, json_str(a, "startsAt") ?: "-",
                                           streq(group_status, "resolved") ? group_status :
                                           json_str(a, "status")           ?:
                                                                             group_status)) < 0)
                        return NULL;
        }
        if (!ids)
                return xasprintf("alert:-:-:%s", group_status);
        qsort(ids, strv_length(ids), sizeof(char *), cmp_str);
        return strv_join(ids, "\n");
}

int autofile_event_from_alertmanager(const char *json, size_t len, struct autofile_event *ret,
                                     char **ret_error)
{
        _cleanup_(json_decrefp) json_t *m = NULL;
        json_t *alerts, *a;
        json_error_t err;
        struct dynbuf d;
        const char *status, *group, *summary, *name;
        size_t i;

        m = json_loadb(json, len, 0, &err);
        if (!m || !json_is_object(m)) {
                if (ret_error)
                        *ret_error = xasprintf("alertmanager payload:%d:%d: %s", err.line,
                                               err.column, m ? "not an object" : err.text);
                return -EBADMSG;
        }
        status = json_str(m, "status");
        group = json_str(m, "groupKey");
        alerts = json_object_get(m, "alerts");
        if (!status || !group || !json_is_array(alerts)) {
                if (ret_error)
                        *ret_error = xasprintf("alertmanager payload: 'status', 'groupKey' and "
                                               "'alerts' are required");
                return -EBADMSG;
        }
        name = json_str(json_object_get(m, "commonLabels"), "alertname")        ?:
                       json_str(json_object_get(m, "groupLabels"), "alertname") ?:
                                                                                  "alert";
        summary = json_str(json_object_get(m, "commonAnnotations"), "summary");
        dynbuf_init(&d, 256 * 1024);
        (void) dynbuf_addf(&d, "Alertmanager %s: %s (group %s)\n", status, name, group);
        json_array_foreach(alerts, i, a) {
                json_t *labels = json_object_get(a, "labels");
                const char *k;
                json_t *v;

                if (i >= ALERTS_MAX) {
                        (void) dynbuf_addf(&d, "- … and %zu more alerts\n",
                                           json_array_size(alerts) - ALERTS_MAX);
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
                .identity = alert_identities(alerts, status),
                .resolved = streq(status, "resolved"),
                .critical = json_str(json_object_get(m, "commonLabels"), "severity") &&
                            streq(json_str(json_object_get(m, "commonLabels"), "severity"),
                                  "critical"),
        };
        if (!ret->fingerprint || !ret->summary || !ret->description || !ret->identity) {
                autofile_event_done(ret);
                return -ENOMEM;
        }
        return 0;
}

/* The unit's failed run as the journal recorded it (systemd's "Failed with result"). */
struct unit_failure {
        char *invocation; /* INVOCATION_ID */
        char *boot_id;
        char *result; /* UNIT_RESULT */
        usec_t realtime, monotonic;
};

static void unit_failure_done(struct unit_failure *f)
{
        free(f->invocation);
        free(f->boot_id);
        free(f->result);
}

#ifdef HAVE_LIBSYSTEMD
char *autofile_journal_field(sd_journal *j, const char *name, size_t max)
{
        const void *d;
        size_t l, n = strlen(name);

        if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= n + 1)
                return NULL;
        return xstrndup((const char *) d + n + 1, MIN(l - n - 1, max));
}

static int match(sd_journal *j, const char *field, const char *value)
{
        _cleanup_free_ char *m = xasprintf("%s=%s", field, value);

        return m ? sd_journal_add_match(j, m, 0) : -ENOMEM;
}

/* The newest "Failed with result" entry of unit in [since, until] (of invocation,
 * when known: then at any time). 1 found, 0 not, -errno. */
static int unit_failure_find(const char *dir, const char *unit, const char *invocation,
                             usec_t since, usec_t until, struct unit_failure *ret)
{
        sd_journal *j = NULL;
        sd_id128_t boot;
        int r;

        r = dir ? sd_journal_open_directory(&j, dir, 0) :
                  sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, 4096);
        r = match(j, "MESSAGE_ID", AUTOFILE_UNIT_FAILED_MESSAGE_ID);
        if (r >= 0)
                r = match(j, "UNIT", unit);
        if (r >= 0 && invocation)
                r = match(j, "INVOCATION_ID", invocation);
        if (r >= 0)
                r = invocation ? sd_journal_seek_tail(j) : sd_journal_seek_realtime_usec(j, until);
        for (unsigned i = 0; r >= 0 && i < 10000; i++) {
                r = sd_journal_previous(j);
                if (r <= 0)
                        break;
                if (sd_journal_get_realtime_usec(j, &ret->realtime) < 0)
                        continue;
                if (!invocation && ret->realtime > until)
                        continue;
                if (!invocation && ret->realtime < since) {
                        r = 0;
                        break;
                }
                if (sd_journal_get_monotonic_usec(j, &ret->monotonic, &boot) < 0)
                        continue;
                ret->boot_id = xasprintf(SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(boot));
                ret->invocation = autofile_journal_field(j, "INVOCATION_ID", 256);
                ret->result = autofile_journal_field(j, "UNIT_RESULT", 256);
                r = ret->boot_id ? 1 : -ENOMEM;
                break;
        }
        sd_journal_close(j);
        return r;
}
#else
static int unit_failure_find(const char *dir, const char *unit, const char *invocation,
                             usec_t since, usec_t until, struct unit_failure *ret)
{
        (void) dir;
        (void) unit;
        (void) invocation;
        (void) since;
        (void) until;
        (void) ret;
        return 0;
}
#endif

/* The failed run's identity (see autofile.h); NULL when nothing identifies it. */
static char *unit_identity(const char *unit, const char *invocation, const struct unit_failure *f,
                           bool found)
{
        if (invocation || (found && f->invocation))
                return xasprintf("unit:%s:%s", unit, invocation ?: f->invocation);
        if (found)
                return xasprintf("unit:%s:%s:%" PRIu64, f->boot_id, unit, (uint64_t) f->monotonic);
        return NULL;
}

int autofile_event_from_unit(const char *unit, const char *journal_dir, usec_t since, usec_t until,
                             struct autofile_event *ret)
{
        const char *result = getenv("MONITOR_SERVICE_RESULT");
        const char *code = getenv("MONITOR_EXIT_CODE"), *status = getenv("MONITOR_EXIT_STATUS");
        const char *invocation = getenv("MONITOR_INVOCATION_ID"), *mu = getenv("MONITOR_UNIT");
        _cleanup_(unit_failure_done) struct unit_failure f = {};
        bool found;
        int r;

        /* several units sharing one handler job: $MONITOR_* belong to another unit */
        if (isempty(invocation) || (mu && !streq(mu, unit)))
                invocation = NULL;
        r = unit_failure_find(journal_dir, unit, invocation, since, until, &f);
        if (r < 0 && r != -ENOENT)
                log_debug_errno(r, "cannot look up the failure of %s in the journal: %m", unit);
        found = r > 0;
        if (!result && found)
                result = f.result;
        *ret = (struct autofile_event) {
                .identity = unit_identity(unit, invocation, &f, found),
                .time = found ? f.realtime : 0,
                .fingerprint = xasprintf("unit-failure:%s", unit),
                .summary = result ? xasprintf("%s failed (%s)", unit, result) :
                                    xasprintf("%s failed", unit),
                .description = xasprintf("The unit %s entered the failed state%s%s%s%s%s%s.", unit,
                                         result ? "; result " : "", result ?: "", code ? ", " : "",
                                         code ?: "", status ? " with status " : "", status ?: ""),
                .unit = xstrdup(unit),
        };
        if (!ret->fingerprint || !ret->summary || !ret->description || !ret->unit ||
            ((invocation || found) && !ret->identity)) {
                autofile_event_done(ret);
                return -ENOMEM;
        }
        if (!ret->identity)
                log_debug("%s: the failed run is not known (no $MONITOR_INVOCATION_ID, no journal "
                          "entry): every delivery counts",
                          unit);
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
                                   coredump_frame_name(&cd->frames[i]),
                                   cd->frames[i].module ?: "n/a", cd->frames[i].offset);
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
        (void) dynbuf_addf(&d,
                           "systemd-coredump recorded a crash at %s: %s, pid %" PRIu64
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

int autofile_events_from_coredumps(const char *dir, usec_t since, usec_t until, size_t max,
                                   struct autofile_event **ret, size_t *ret_n)
{
        struct autofile_event *evs = NULL;
        sd_journal *j = NULL;
        size_t n = 0;
        int r;

        r = coredump_journal_open(&j, dir, since, until, 0, NULL);
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
