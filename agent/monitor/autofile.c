/* SPDX-License-Identifier: MIT */
/*
 * Monitoring hooks' filing decisions (agent/monitor/autofile.h), in the manner of
 * libreport's duphash: a fingerprint names the problem, the ledger maps it to
 * its ticket, and a rolling hour of portal actions bounds a storm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "basic/json-util.h"
#include "basic/fileio.h"
#include "monitor/autofile.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "parse-util.h"

#define STATE_FILE "autofile.json"
#define LOCK_FILE "autofile.lock"
#define PROBLEMS_MAX 1000
/* A filing that started this long ago and never recorded its end has failed. */
#define OPENING_MAX (15 * USEC_PER_MINUTE)

static const char *const decision_table[] = {
        [AUTOFILE_OPEN] = "open",
        [AUTOFILE_COMMENT] = "comment",
        [AUTOFILE_SUPPRESS] = "suppress",
        [AUTOFILE_SKIP] = "skip",
};

const char *autofile_decision_to_string(enum autofile_decision d)
{
        return d >= 0 && d < (int) ELEMENTSOF(decision_table) ? decision_table[d] : NULL;
}

int autofile_policy_load(const struct pnode *section, struct autofile_policy *ret,
                         char **ret_error)
{
        static const char *const keys[] = { "enabled", "max_tickets_per_hour", "dedup_window",
                                            NULL };
        struct autofile_policy p = {
                .enabled = true,
                .max_per_hour = 3,
                .dedup_window = 7 * USEC_PER_DAY,
        };
        int r;

        if (section && !pnode_is_null(section)) {
                r = pnode_check_keys(section, "autofile", keys, ret_error);
                if (r >= 0)
                        r = pnode_to_bool(pnode_get(section, "enabled"), &p.enabled, ret_error);
                if (r >= 0)
                        r = pnode_to_u64(pnode_get(section, "max_tickets_per_hour"), 0, 1000,
                                         &p.max_per_hour, ret_error);
                if (r >= 0)
                        r = pnode_to_duration(pnode_get(section, "dedup_window"),
                                              &p.dedup_window, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = p;
        return 0;
}

/* ---- the state, under a lock ---- */

struct state {
        int lock_fd;
        char *path;
        json_t *root; /* {"problems": {fp: {key, first, last, count, suppressed}}, "actions": [t]} */
};

static void state_done(struct state *s)
{
        json_decref(s->root);
        free(s->path);
        if (s->lock_fd >= 0) {
                (void) flock(s->lock_fd, LOCK_UN);
                safe_close(s->lock_fd);
        }
}

static int state_open(const char *dir, struct state *s)
{
        _cleanup_free_ char *lock = xasprintf("%s/%s", dir, LOCK_FILE);
        json_error_t err;

        *s = (struct state) { .lock_fd = -1 };
        if (!lock)
                return -ENOMEM;
        s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0)
                return -errno;
        if (flock(s->lock_fd, LOCK_EX) < 0)
                return -errno;
        s->path = xasprintf("%s/%s", dir, STATE_FILE);
        if (!s->path)
                return -ENOMEM;
        s->root = json_load_file(s->path, 0, &err);
        if (!s->root || !json_is_object(s->root)) {
                /* absent or damaged: start afresh (losing dedup memory, never a crash) */
                json_decref(s->root);
                s->root = json_pack("{s:{}, s:[]}", "problems", "actions");
                if (!s->root)
                        return -ENOMEM;
        }
        if (!json_is_object(json_object_get(s->root, "problems")))
                json_object_set_new(s->root, "problems", json_object());
        if (!json_is_array(json_object_get(s->root, "actions")))
                json_object_set_new(s->root, "actions", json_array());
        return 0;
}

static int state_save(struct state *s)
{
        _cleanup_free_ char *text = json_dumps(s->root, JSON_COMPACT | JSON_SORT_KEYS);

        if (!text)
                return -ENOMEM;
        return write_file_atomic(s->path, text, strlen(text), 0600);
}

static usec_t jtime(json_t *o, const char *key)
{
        return (usec_t) json_integer_value(json_object_get(o, key));
}

/* Drops actions older than an hour and problems older than the window. */
static void state_prune(struct state *s, const struct autofile_policy *p, usec_t t)
{
        json_t *actions = json_object_get(s->root, "actions"), *problems, *v, *kept = json_array();
        const char *fp;
        size_t i;
        void *tmp;

        json_array_foreach(actions, i, v)
                if ((usec_t) json_integer_value(v) + USEC_PER_HOUR > t)
                        json_array_append(kept, v);
        json_object_set_new(s->root, "actions", kept);
        problems = json_object_get(s->root, "problems");
        json_object_foreach_safe(problems, tmp, fp, v)
                if (jtime(v, "last") + p->dedup_window < t)
                        json_object_del(problems, fp);
}

int autofile_decide(const char *state_dir, const struct autofile_policy *p,
                    const char *fingerprint, usec_t t, bool resolved,
                    enum autofile_decision *ret, char **ret_key, uint64_t *ret_suppressed)
{
        _cleanup_(state_done) struct state s = { .lock_fd = -1 };
        enum autofile_decision d;
        json_t *problems, *prob;
        const char *key;
        bool budget;
        int r;

        if (!p->enabled) {
                *ret = AUTOFILE_SKIP;
                return 0;
        }
        r = state_open(state_dir, &s);
        if (r < 0)
                return r;
        state_prune(&s, p, t);
        problems = json_object_get(s.root, "problems");
        prob = json_object_get(problems, fingerprint);
        key = json_string_value(json_object_get(prob, "key"));
        budget = json_array_size(json_object_get(s.root, "actions")) < p->max_per_hour;

        if (resolved)
                d = key && budget ? AUTOFILE_COMMENT : AUTOFILE_SKIP;
        else if (!prob || !json_is_true(json_object_get(prob, "filed"))) {
                /* never filed; but another hook may be filing it right now */
                usec_t opening = jtime(prob, "opening");

                d = opening && opening + OPENING_MAX > t ? AUTOFILE_SUPPRESS :
                    budget                              ? AUTOFILE_OPEN :
                                                          AUTOFILE_SUPPRESS;
        }
        else if (key)
                d = budget ? AUTOFILE_COMMENT : AUTOFILE_SUPPRESS;
        else
                d = AUTOFILE_SUPPRESS; /* filed, ticket not known yet (drafted or spooled) */

        if (!prob) {
                if (json_object_size(problems) >= PROBLEMS_MAX)
                        d = d == AUTOFILE_OPEN ? AUTOFILE_SUPPRESS : d;
                prob = json_pack("{s:n, s:I, s:I, s:I, s:I}", "key", "first", (json_int_t) t,
                                 "last", (json_int_t) t, "count", (json_int_t) 0,
                                 "suppressed", (json_int_t) 0);
                if (!prob)
                        return -ENOMEM;
                json_object_set_new(problems, fingerprint, prob);
        }
        json_object_set_new(prob, "last", json_integer((json_int_t) t));
        json_object_set_new(prob, "count",
                            json_integer(json_integer_value(json_object_get(prob, "count")) + 1));
        if (ret_suppressed)
                *ret_suppressed = (uint64_t) json_integer_value(json_object_get(prob,
                                                                                 "suppressed"));
        if (d == AUTOFILE_OPEN)
                json_object_set_new(prob, "opening", json_integer((json_int_t) t));
        if (d == AUTOFILE_SUPPRESS)
                json_object_set_new(prob, "suppressed",
                                    json_integer(json_integer_value(
                                            json_object_get(prob, "suppressed")) + 1));
        if (ret_key && d == AUTOFILE_COMMENT) {
                *ret_key = xstrdup(key);
                if (!*ret_key)
                        return -ENOMEM;
        }
        r = state_save(&s);
        if (r < 0)
                return r;
        *ret = d;
        return 0;
}

int autofile_record(const char *state_dir, const char *fingerprint, const char *key, usec_t t)
{
        _cleanup_(state_done) struct state s = { .lock_fd = -1 };
        json_t *prob;
        int r;

        r = state_open(state_dir, &s);
        if (r < 0)
                return r;
        prob = json_object_get(json_object_get(s.root, "problems"), fingerprint);
        if (prob) {
                if (key)
                        json_object_set_new(prob, "key", json_string(key));
                json_object_set_new(prob, "filed", json_true());
                json_object_set_new(prob, "suppressed", json_integer(0));
        }
        json_array_append_new(json_object_get(s.root, "actions"), json_integer((json_int_t) t));
        return state_save(&s);
}

/* ---- events ---- */

void autofile_event_done(struct autofile_event *e)
{
        free(e->fingerprint);
        free(e->summary);
        free(e->description);
        free(e->unit);
        *e = (struct autofile_event) {};
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
                if (json_str(json_object_get(a, "annotations"), "summary"))
                        (void) dynbuf_addf(&d, " — %s",
                                           json_str(json_object_get(a, "annotations"), "summary"));
                (void) dynbuf_addc(&d, '\n');
                /* the alert's own words and links, for the ticket */
                if (json_str(json_object_get(a, "annotations"), "description"))
                        (void) dynbuf_addf(&d, "  description: %s\n",
                                           json_str(json_object_get(a, "annotations"), "description"));
                if (json_str(json_object_get(a, "annotations"), "runbook_url"))
                        (void) dynbuf_addf(&d, "  runbook: %s\n",
                                           json_str(json_object_get(a, "annotations"), "runbook_url"));
                if (json_str(a, "generatorURL"))
                        (void) dynbuf_addf(&d, "  source: %s\n", json_str(a, "generatorURL"));
        }
        *ret = (struct autofile_event) {
                .fingerprint = xasprintf("alert:%s", group),
                .summary = summary ? xasprintf("%s: %s", name, summary) :
                                     xasprintf("Alert %s is %s", name, status),
                .description = dynbuf_steal(&d),
                .resolved = streq(status, "resolved"),
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
static char *field(sd_journal *j, const char *name)
{
        const void *d;
        size_t l, n = strlen(name);

        if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= n + 1)
                return NULL;
        return xstrndup((const char *) d + n + 1, MIN(l - n - 1, (size_t) 4096));
}

int autofile_event_from_coredump(const char *dir, usec_t since, usec_t until,
                                 struct autofile_event *ret)
{
        sd_journal *j = NULL;
        int r;

        r = dir ? sd_journal_open_directory(&j, dir, 0) :
                  sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, 8192);
        r = sd_journal_add_match(j, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", 0);
        if (r >= 0)
                r = sd_journal_seek_realtime_usec(j, until);
        for (; r >= 0;) {
                usec_t t;

                r = sd_journal_previous(j);
                if (r <= 0) {
                        r = r < 0 ? r : -ENOENT;
                        break;
                }
                if (sd_journal_get_realtime_usec(j, &t) < 0 || t > until)
                        continue;
                if (t < since) {
                        r = -ENOENT;
                        break;
                }
                _cleanup_free_ char *exe = field(j, "COREDUMP_EXE");
                _cleanup_free_ char *comm = field(j, "COREDUMP_COMM");
                _cleanup_free_ char *sig = field(j, "COREDUMP_SIGNAL_NAME");
                _cleanup_free_ char *signum = field(j, "COREDUMP_SIGNAL");
                _cleanup_free_ char *unit = field(j, "COREDUMP_UNIT");
                _cleanup_free_ char *pid = field(j, "COREDUMP_PID");
                const char *what = exe ?: comm ?: "a process";
                const char *s = sig ?: signum ?: "a signal";
                char when[64];

                *ret = (struct autofile_event) {
                        .fingerprint = xasprintf("crash:%s:%s", unit ?: what, s),
                        .summary = xasprintf("%s%s%s%s crashed (%s)", comm ?: what,
                                             unit ? " (" : "", unit ?: "", unit ? ")" : "", s),
                        .description = xasprintf("systemd-coredump recorded a crash at %s: "
                                                 "%s, pid %s, signal %s%s%s.",
                                                 format_iso8601(when, sizeof(when), t), what,
                                                 pid ?: "?", s, unit ? ", unit " : "",
                                                 unit ?: ""),
                        .unit = unit ? xstrdup(unit) : NULL,
                };
                r = ret->fingerprint && ret->summary && ret->description ? 0 : -ENOMEM;
                if (r < 0)
                        autofile_event_done(ret);
                break;
        }
        sd_journal_close(j);
        return r;
}
#else
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
