/* SPDX-License-Identifier: MIT */
/*
 * Monitoring hooks' filing decisions (agent/monitor/autofile.h), in the manner of
 * libreport's duphash: a fingerprint names the problem, the state maps it to
 * its ticket, handled events are remembered so that a second delivery is a
 * no-op, and two rolling hours of reserved portal actions (new tickets;
 * comments) bound a storm without letting repeats starve a first filing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "sha256.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "log.h"
#include "monitor/autofile.h"
#include "parse-util.h"
#include "ticket/ledger.h"
#include "basic/fileio.h"

#define STATE_FILE "autofile.json"
#define LOCK_FILE "autofile.lock"
#define PROBLEMS_MAX 1000
#define EVENTS_MAX 20000
#define SUMMARY_LINES_MAX 50
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

static int load_durations(const struct pnode *section, struct autofile_policy *p, char **ret_error)
{
        const struct {
                const char *key;
                usec_t *v;
        } d[] = {
                { "dedup_window", &p->dedup_window },
                { "window_before", &p->window_before },
                { "window_after", &p->window_after },
                { "incident_window", &p->incident_window },
        };
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(d); i++)
                r = pnode_to_duration(pnode_get(section, d[i].key), d[i].v, ret_error);
        return r;
}

int autofile_policy_load(const struct pnode *section, struct autofile_policy *ret, char **ret_error)
{
        static const char *const keys[] = {
                "enabled",       "max_tickets_per_hour", "max_comments_per_hour", "dedup_window",
                "window_before", "window_after",         "incident_window",       NULL
        };
        struct autofile_policy p = {
                .enabled = true,
                .max_per_hour = 3,
                .max_comments_per_hour = 12,
                .dedup_window = 7 * USEC_PER_DAY,
                .window_before = USEC_PER_HOUR,
                .window_after = USEC_PER_MINUTE,
                .incident_window = 10 * USEC_PER_MINUTE,
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
                        r = pnode_to_u64(pnode_get(section, "max_comments_per_hour"), 0, 10000,
                                         &p.max_comments_per_hour, ret_error);
                if (r >= 0)
                        r = load_durations(section, &p, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = p;
        return 0;
}

void autofile_window(const struct autofile_policy *p, usec_t event, usec_t *ret_since,
                     usec_t *ret_until)
{
        *ret_since = event - MIN(event, p->window_before);
        *ret_until = event + p->window_after;
}

/* ---- the state, under a lock ---- */

struct state {
        int lock_fd;
        char *path;
        json_t *root; /* {"problems": {fp: {…}}, "actions": [{t, kind}], "events": {id: t}} */
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

static void state_ensure(json_t *root, const char *key, bool array)
{
        json_t *v = json_object_get(root, key);

        if (array ? !json_is_array(v) : !json_is_object(v))
                json_object_set_new(root, key, array ? json_array() : json_object());
}

static int state_open(const char *dir, struct state *s)
{
        _cleanup_free_ char *lock = xasprintf("%s/%s", dir, LOCK_FILE);
        json_error_t err;

        *s = (struct state) { .lock_fd = -1 };
        if (!lock)
                return -ENOMEM;
        (void) mkdir_p(dir, 0700);
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
                s->root = json_object();
                if (!s->root)
                        return -ENOMEM;
        }
        state_ensure(s->root, "problems", false);
        state_ensure(s->root, "actions", true);
        state_ensure(s->root, "events", false);
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

static const char *jstring(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static void jset_int(json_t *o, const char *key, uint64_t v)
{
        json_object_set_new(o, key, json_integer((json_int_t) v));
}

/* An action: {"t": µs, "kind": "ticket"|"comment"}; older states kept bare times (tickets). */
static usec_t action_time(json_t *a)
{
        return json_is_integer(a) ? (usec_t) json_integer_value(a) : jtime(a, "t");
}

static bool action_is_comment(json_t *a)
{
        const char *k = jstring(a, "kind");

        return k && streq(k, "comment");
}

/* Drops actions older than an hour, problems and events older than the window. */
static void state_prune(struct state *s, const struct autofile_policy *p, usec_t t)
{
        _cleanup_(json_decrefp) json_t *kept = json_array();
        json_t *actions = json_object_get(s->root, "actions"), *v;
        json_t *problems = json_object_get(s->root, "problems");
        json_t *events = json_object_get(s->root, "events");
        const char *k;
        size_t i;
        void *tmp;

        json_array_foreach(actions, i, v)
                if (action_time(v) + USEC_PER_HOUR > t)
                        json_array_append(kept, v);
        json_object_set_new(s->root, "actions", TAKE_PTR(kept));
        json_object_foreach_safe(problems, tmp, k, v)
                if (jtime(v, "last") + p->dedup_window < t)
                        json_object_del(problems, k);
        json_object_foreach_safe(events, tmp, k, v)
                if ((usec_t) json_integer_value(v) + p->dedup_window < t ||
                    json_object_size(events) > EVENTS_MAX)
                        json_object_del(events, k);
}

static uint64_t actions_used(struct state *s, bool comments)
{
        json_t *v;
        size_t i;
        uint64_t n = 0;

        json_array_foreach(json_object_get(s->root, "actions"), i, v)
                n += action_is_comment(v) == comments;
        return n;
}

static int reserve(struct state *s, usec_t t, bool comment)
{
        json_t *a = json_pack("{s:I, s:s}", "t", (json_int_t) t, "kind",
                              comment ? "comment" : "ticket");

        return a ? json_array_append_new(json_object_get(s->root, "actions"), a) : -ENOMEM;
}

/* A filing left spooled: the spool's ledger knows the key once it was created. */
static void resolve_spooled(const char *dir, json_t *prob)
{
        const char *spool_id = jstring(prob, "spool_id");
        _cleanup_free_ char *key = NULL;

        if (!prob || jstring(prob, "key") || !spool_id)
                return;
        if (ledger_lookup(dir, spool_id, &key, NULL) > 0 && key)
                json_object_set_new(prob, "key", json_string(key));
}

/* For a unit failure or alert naming a unit: the crash of that unit within
 * the incident window, whose ticket the event belongs to. */
static const char *incident_of(struct state *s, const struct autofile_policy *p,
                               const struct autofile_event *ev, usec_t t)
{
        json_t *problems = json_object_get(s->root, "problems"), *v;
        const char *fp, *best = NULL;
        usec_t best_t = 0;

        if (ev->crash || !ev->unit || p->incident_window == 0)
                return NULL;
        json_object_foreach(problems, fp, v) {
                const char *unit = jstring(v, "unit");
                usec_t last = jtime(v, "seen") ?: jtime(v, "last");

                if (!json_is_true(json_object_get(v, "crash")) || !unit || !streq(unit, ev->unit))
                        continue;
                if (last + p->incident_window < t || last > t + p->incident_window)
                        continue;
                if (last >= best_t) {
                        best = fp;
                        best_t = last;
                }
        }
        return best;
}

static enum autofile_decision decide(const struct autofile_policy *p, struct state *s, json_t *prob,
                                     const struct autofile_event *ev, usec_t t)
{
        const char *key = jstring(prob, "key");
        bool tickets = actions_used(s, false) < p->max_per_hour;
        bool comments = actions_used(s, true) < p->max_comments_per_hour;

        if (ev->resolved)
                return key && comments ? AUTOFILE_COMMENT : AUTOFILE_SKIP;
        if (!prob || !json_is_true(json_object_get(prob, "filed"))) {
                /* never filed; but another hook may be filing it right now */
                usec_t opening = jtime(prob, "opening");

                if (opening && opening + OPENING_MAX > t)
                        return AUTOFILE_SUPPRESS;
                return tickets ? AUTOFILE_OPEN : AUTOFILE_SUPPRESS;
        }
        if (key)
                return comments ? AUTOFILE_COMMENT : AUTOFILE_SUPPRESS;
        return AUTOFILE_SUPPRESS; /* filed, ticket not known yet (drafted or spooled) */
}

static json_t *problem_get(struct state *s, const char *fp, const struct autofile_event *ev,
                           usec_t t)
{
        json_t *problems = json_object_get(s->root, "problems");
        json_t *prob = json_object_get(problems, fp);

        if (prob)
                return prob;
        if (json_object_size(problems) >= PROBLEMS_MAX)
                return NULL;
        prob = json_pack("{s:n, s:I, s:I, s:I, s:I, s:b}", "key", "first", (json_int_t) t, "last",
                         (json_int_t) t, "count", (json_int_t) 0, "suppressed", (json_int_t) 0,
                         "crash", (int) ev->crash);
        if (!prob)
                return NULL;
        if (ev->unit)
                json_object_set_new(prob, "unit", json_string(ev->unit));
        if (ev->summary)
                json_object_set_new(prob, "summary", json_string(ev->summary));
        json_object_set_new(problems, fp, prob);
        return prob;
}

/* Other problems counted without filing, one line each; their counts start again. */
static char *take_suppressed(struct state *s, const char *self)
{
        json_t *problems = json_object_get(s->root, "problems"), *v;
        const char *fp;
        struct dynbuf d;
        unsigned n = 0;

        dynbuf_init(&d, 64 * 1024);
        json_object_foreach(problems, fp, v) {
                uint64_t c = (uint64_t) json_integer_value(json_object_get(v, "suppressed"));

                if (c == 0 || streq(fp, self))
                        continue;
                if (n++ < SUMMARY_LINES_MAX)
                        (void) dynbuf_addf(&d, "- %s (%s): %" PRIu64 " occurrence(s)%s\n",
                                           jstring(v, "summary") ?: fp, fp, c,
                                           jstring(v, "key") ? "" : ", no ticket yet");
                jset_int(v, "suppressed", 0);
        }
        if (n > SUMMARY_LINES_MAX)
                (void) dynbuf_addf(&d, "- and %u more problems\n", n - SUMMARY_LINES_MAX);
        if (d.len == 0) {
                dynbuf_done(&d);
                return NULL;
        }
        return dynbuf_steal(&d);
}

/* Tickets opened within the incident window of t, other than self's. */
static char *related_keys(struct state *s, const struct autofile_policy *p, const char *self,
                          usec_t t)
{
        json_t *problems = json_object_get(s->root, "problems"), *v;
        const char *fp, *key;
        struct dynbuf d;

        dynbuf_init(&d, 4096);
        json_object_foreach(problems, fp, v) {
                usec_t opened = jtime(v, "opened");

                key = jstring(v, "key");
                if (!key || streq(fp, self) || !opened || opened + p->incident_window < t)
                        continue;
                (void) dynbuf_addf(&d, "%s%s", d.len ? ", " : "", key);
        }
        if (d.len == 0) {
                dynbuf_done(&d);
                return NULL;
        }
        return dynbuf_steal(&d);
}

void autofile_verdict_done(struct autofile_verdict *v)
{
        free(v->fingerprint);
        free(v->key);
        free(v->suppressed_summary);
        free(v->related);
        *v = (struct autofile_verdict) {};
}

/* Applies decision d to the problem: counts, reservation, hand-over of state. */
static int apply(struct state *s, const struct autofile_policy *p, json_t *prob,
                 enum autofile_decision d, usec_t t, struct autofile_verdict *v)
{
        int r = 0;

        jset_int(prob, "last", MAX(jtime(prob, "last"), t));
        jset_int(prob, "count", (uint64_t) json_integer_value(json_object_get(prob, "count")) + 1);
        v->suppressed = (uint64_t) json_integer_value(json_object_get(prob, "suppressed"));
        if (d == AUTOFILE_SUPPRESS) {
                jset_int(prob, "suppressed", v->suppressed + 1);
                return 0;
        }
        if (d == AUTOFILE_OPEN) {
                jset_int(prob, "opening", t);
                r = reserve(s, t, false);
        } else if (d == AUTOFILE_COMMENT) {
                v->key = xstrdup(jstring(prob, "key"));
                r = v->key ? reserve(s, t, true) : -ENOMEM;
        }
        if (r < 0 || d == AUTOFILE_SKIP)
                return r;
        jset_int(prob, "suppressed", 0);
        v->suppressed_summary = take_suppressed(s, v->fingerprint);
        v->related = related_keys(s, p, v->fingerprint, t);
        return 0;
}

/* identity is one event identity a line: true when every one was handled. */
static bool events_known(json_t *events, const char *identity)
{
        for (const char *p = identity; *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *id = xstrndup(p, n);

                if (!id || !json_object_get(events, id))
                        return false;
                p += n + (p[n] == '\n');
        }
        return true;
}

static int events_remember(json_t *events, const char *identity, usec_t t)
{
        for (const char *p = identity; *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *id = xstrndup(p, n);

                if (!id || json_object_set_new(events, id, json_integer((json_int_t) t)) < 0)
                        return -ENOMEM;
                p += n + (p[n] == '\n');
        }
        return 0;
}

static int decide_locked(const char *dir, struct state *s, const struct autofile_policy *p,
                         const struct autofile_event *ev, usec_t t, struct autofile_verdict *v)
{
        json_t *events = json_object_get(s->root, "events"), *prob;
        const char *fp;
        enum autofile_decision d;
        int r;

        if (!isempty(ev->identity) && events_known(events, ev->identity)) {
                v->decision = AUTOFILE_SKIP;
                v->duplicate = true;
                return 0;
        }
        r = !isempty(ev->identity) ? events_remember(events, ev->identity, t) : 0;
        if (r < 0)
                return r;
        fp = incident_of(s, p, ev, ev->time ?: t) ?: ev->fingerprint;
        v->fingerprint = xstrdup(fp);
        if (!v->fingerprint)
                return -ENOMEM;
        prob = problem_get(s, fp, ev, ev->time ?: t);
        resolve_spooled(dir, prob);
        if (prob) /* when it last happened (the state's times are when it was handled) */
                jset_int(prob, "seen", MAX(jtime(prob, "seen"), ev->time ?: t));
        d = decide(p, s, prob, ev, t);
        if (!prob) /* the table is full: never a new ticket for an unknown problem */
                d = d == AUTOFILE_OPEN ? AUTOFILE_SUPPRESS : d;
        r = prob ? apply(s, p, prob, d, t, v) : 0;
        v->decision = d;
        return r;
}

int autofile_decide_event(const char *state_dir, const struct autofile_policy *p,
                          const struct autofile_event *ev, usec_t now_t,
                          struct autofile_verdict *ret)
{
        _cleanup_(state_done) struct state s = { .lock_fd = -1 };
        struct autofile_verdict v = {};
        int r;

        if (!p->enabled) {
                *ret = (struct autofile_verdict) { .decision = AUTOFILE_SKIP };
                return 0;
        }
        r = state_open(state_dir, &s);
        if (r < 0)
                return r;
        state_prune(&s, p, now_t);
        r = decide_locked(state_dir, &s, p, ev, now_t, &v);
        if (r >= 0)
                r = state_save(&s);
        if (r < 0) {
                autofile_verdict_done(&v);
                return r;
        }
        *ret = v;
        return 0;
}

int autofile_decide(const char *state_dir, const struct autofile_policy *p, const char *fingerprint,
                    usec_t t, bool resolved, enum autofile_decision *ret, char **ret_key,
                    uint64_t *ret_suppressed)
{
        struct autofile_event ev = { .fingerprint = (char *) fingerprint,
                                     .resolved = resolved,
                                     .crash = strneq(fingerprint, "crash:", 6) };
        struct autofile_verdict v = {};
        int r;

        r = autofile_decide_event(state_dir, p, &ev, t, &v);
        if (r < 0)
                return r;
        *ret = v.decision;
        if (ret_key)
                *ret_key = TAKE_PTR(v.key);
        if (ret_suppressed)
                *ret_suppressed = v.suppressed;
        autofile_verdict_done(&v);
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
        if (!prob)
                return 0;
        if (key && !jstring(prob, "key")) {
                json_object_set_new(prob, "key", json_string(key));
                jset_int(prob, "opened", t);
        }
        json_object_set_new(prob, "filed", json_true());
        json_object_del(prob, "opening");
        return state_save(&s);
}

int autofile_record_spooled(const char *state_dir, const char *fingerprint, const char *spool_id)
{
        _cleanup_(state_done) struct state s = { .lock_fd = -1 };
        json_t *prob;
        int r;

        r = state_open(state_dir, &s);
        if (r < 0)
                return r;
        prob = json_object_get(json_object_get(s.root, "problems"), fingerprint);
        if (!prob || !spool_id)
                return 0;
        json_object_set_new(prob, "spool_id", json_string(spool_id));
        json_object_set_new(prob, "filed", json_true());
        return state_save(&s);
}

/* A filing that failed (not spooled): the event was not handled after all. Its
 * identities are forgotten and the budget it reserved at t is given back, so a
 * later delivery (catch-up, re-send) files it. 0 or -errno. */
static int autofile_release(const char *state_dir, const struct autofile_event *ev,
                            const struct autofile_verdict *v, usec_t t)
{
        _cleanup_(state_done) struct state s = { .lock_fd = -1 };
        json_t *events, *actions, *prob, *a;
        size_t i;
        int r;

        r = state_open(state_dir, &s);
        if (r < 0)
                return r;
        events = json_object_get(s.root, "events");
        for (const char *p = ev->identity ?: ""; *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *id = xstrndup(p, n);

                if (id)
                        (void) json_object_del(events, id);
                p += n + (p[n] == '\n');
        }
        prob = json_object_get(json_object_get(s.root, "problems"), v->fingerprint);
        if (prob && jtime(prob, "opening") == t)
                (void) json_object_del(prob, "opening");
        actions = json_object_get(s.root, "actions");
        json_array_foreach(actions, i, a)
                if (action_time(a) == t &&
                    action_is_comment(a) == (v->decision == AUTOFILE_COMMENT)) {
                        (void) json_array_remove(actions, i);
                        break;
                }
        return state_save(&s);
}

char *autofile_describe(const struct autofile_event *ev, const struct autofile_verdict *v)
{
        struct dynbuf d;
        char when[64];

        dynbuf_init(&d, 1024 * 1024);
        if (v->decision == AUTOFILE_COMMENT)
                (void) dynbuf_addf(&d, "%s at %s: %s\n\n",
                                   ev->resolved ? "Resolved" : "It happened again",
                                   format_iso8601(when, sizeof(when),
                                                  ev->time ?: now(CLOCK_REALTIME)),
                                   ev->summary ?: ev->fingerprint);
        (void) dynbuf_addstr(&d, ev->description ?: "");
        if (v->fingerprint && !streq(v->fingerprint, ev->fingerprint))
                (void) dynbuf_addf(&d,
                                   "\nPart of the incident %s (%s within the incident "
                                   "window of a crash of %s).\n",
                                   v->fingerprint, ev->fingerprint, ev->unit ?: "the unit");
        if (v->related)
                (void) dynbuf_addf(&d, "\nrelated: %s\n", v->related);
        if (v->suppressed > 0)
                (void) dynbuf_addf(&d,
                                   "\n%" PRIu64 " more occurrence(s) of this problem were "
                                   "counted without filing (storm control).\n",
                                   v->suppressed);
        if (v->suppressed_summary)
                (void) dynbuf_addf(&d,
                                   "\nCounted without filing since the last filing "
                                   "(storm control):\n%s",
                                   v->suppressed_summary);
        (void) dynbuf_addf(&d, "\nProblem: %s\n", v->fingerprint ?: ev->fingerprint);
        return d.buf ? dynbuf_steal(&d) : NULL;
}

char *autofile_problem_marker(const char *fingerprint)
{
        unsigned char md[32];
        char hex[17];

        /* a crash's fingerprint is already a hash; other problems are hashed too, so
         * that the marker is one search word */
        sha256_bytes(fingerprint, strlen(fingerprint), md);
        for (unsigned i = 0; i < 8; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return xasprintf("problem%s", hex);
}

static void log_verdict(const struct autofile_event *ev, const struct autofile_verdict *v,
                        const struct autofile_policy *p)
{
        if (v->decision == AUTOFILE_SKIP)
                log_notice("%s: nothing to file (%s)", ev->fingerprint,
                           v->duplicate ? "this event was handled before" :
                           !p->enabled  ? "autofile is disabled by policy" :
                                          "resolved, and no ticket is known for it");
        else if (v->decision == AUTOFILE_SUPPRESS)
                log_notice("%s: counted, not filed (storm control: %" PRIu64 " tickets and %" PRIu64
                           " comments an hour, or its ticket is not known yet)",
                           ev->fingerprint, p->max_per_hour, p->max_comments_per_hour);
        else
                log_notice("%s: %s", ev->fingerprint,
                           v->decision == AUTOFILE_COMMENT ? "a repeat: commenting on its ticket" :
                                                             "a new problem: filing a ticket");
}

int autofile_handle(const char *state_dir, const struct autofile_policy *p,
                    const struct autofile_event *ev, autofile_file_fn fn, void *userdata)
{
        _cleanup_(autofile_verdict_done) struct autofile_verdict v = {};
        _cleanup_free_ char *text = NULL, *marker = NULL, *key = NULL, *spool_id = NULL;
        _cleanup_free_ char *summary = NULL;
        struct autofile_filing f = {};
        usec_t t = now(CLOCK_REALTIME);
        int r, ex;

        r = autofile_decide_event(state_dir, p, ev, t, &v);
        if (r < 0)
                return log_error_errno(r, "cannot update the autofile state in '%s': %m",
                                       state_dir),
                       1;
        log_verdict(ev, &v, p);
        if (v.decision == AUTOFILE_SKIP || v.decision == AUTOFILE_SUPPRESS)
                return 0;
        text = autofile_describe(ev, &v);
        marker = autofile_problem_marker(v.fingerprint);
        summary = marker ? xasprintf("%s [%s]", ev->summary ?: ev->fingerprint, marker) : NULL;
        if (!text || !summary)
                return log_oom(), 1;
        f = (struct autofile_filing) {
                .summary = summary, .description = text, .key = v.key, .problem_marker = marker
        };
        if (ev->critical && ev->unit && !ev->resolved) {
                f.down_unit = ev->unit;
                f.down_detail = ev->summary;
        }
        autofile_window(p, ev->time ?: t, &f.since, &f.until);
        ex = fn(userdata, &f, &key, &spool_id);
        if (ex == 0 || ex == 75) {
                /* spooled: the key is the one the spool ends with (the submission may
                 * still move to an older request of another host), from the ledger */
                const char *k = v.key ?: ex == 75 && spool_id ? NULL : key;

                r = autofile_record(state_dir, v.fingerprint, k, t);
                if (r >= 0 && !k && spool_id)
                        r = autofile_record_spooled(state_dir, v.fingerprint, spool_id);
                if (r < 0)
                        log_warning_errno(r, "cannot record the filing in '%s': %m", state_dir);
        } else {
                r = autofile_release(state_dir, ev, &v, t);
                if (r < 0)
                        log_warning_errno(r, "cannot release the failed filing in '%s': %m",
                                          state_dir);
        }
        return ex;
}
