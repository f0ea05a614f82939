/* SPDX-License-Identifier: MIT */
/*
 * The incident's timeline (analysis/timeline.h): a table maps each finding
 * kind to a category, a significance and the words of its events; findings
 * of kinds not in the table (added by newer collectors) still appear, by a
 * category guessed from the kind's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/string-table.h"
#include "alloc-util.h"
#include "analysis/timeline.h"
#include "parse-util.h"

#define WHAT_MAX 200
#define DETAIL_MAX 120

static const char *const timeline_category_table[_TIMELINE_CATEGORY_MAX] = {
        [TIMELINE_CHANGE] = "change", [TIMELINE_ERROR] = "error",
        [TIMELINE_SURGE] = "surge",   [TIMELINE_FAILURE] = "failure",
        [TIMELINE_CRASH] = "crash",   [TIMELINE_ALERT] = "alert",
        [TIMELINE_KERNEL] = "kernel", [TIMELINE_COLLECTION] = "collection",
};

DEFINE_STRING_TABLE_LOOKUP(timeline_category, enum timeline_category);

struct kind_rule {
        const char *kind;
        enum timeline_category category;
        unsigned weight;
        const char *pre, *post; /* the event's words around the subject */
        const char *last;       /* words for a later last occurrence; NULL: none */
        bool count_is_subject;  /* "3 configuration files changed" */
};

static const struct kind_rule kind_rules[] = {
        { "crash", TIMELINE_CRASH, 90, "", " crashed", "last crash of ", false },
        { "segfault", TIMELINE_CRASH, 85, "segfault in ", "", "last segfault in ", false },
        { "oom_kill", TIMELINE_CRASH, 85, "OOM killer killed ", "", "last OOM kill of ", false },
        { "unit_failed", TIMELINE_FAILURE, 80, "", " failed", "last failure of ", false },
        { "unit_restarts", TIMELINE_FAILURE, 70, "", " restarting", "last restart of ", false },
        { "unit_down", TIMELINE_FAILURE, 60, "", " down", NULL, false },
        { "alert_firing", TIMELINE_ALERT, 75, "alert firing: ", "", NULL, false },
        { "alert_resolved", TIMELINE_ALERT, 40, "alert resolved: ", "", NULL, false },
        { "error_surge", TIMELINE_SURGE, 60, "error surge in ", "", NULL, false },
        { "config_touches_failing", TIMELINE_CHANGE, 65, "changed ",
          " (configuration of a "
          "failing unit)",
          NULL, false },
        { "config_changes", TIMELINE_CHANGE, 55, "", " configuration file(s) changed",
          "last configuration change", true },
        { "package_changes", TIMELINE_CHANGE, 50, "", " package change(s)", "last package change",
          true },
        { "kernel_error", TIMELINE_KERNEL, 45, "kernel: ", "", NULL, false },
        /* carried elsewhere: per-source totals (the error groups are finer), host facts */
        { "errors", _TIMELINE_CATEGORY_INVALID, 0, NULL, NULL, NULL, false },
        { "error_signatures", _TIMELINE_CATEGORY_INVALID, 0, NULL, NULL, NULL, false },
        { "host_fact", _TIMELINE_CATEGORY_INVALID, 0, NULL, NULL, NULL, false },
};

static const struct kind_rule *rule_for(const char *kind)
{
        for (size_t i = 0; kind && i < ELEMENTSOF(kind_rules); i++)
                if (streq(kind_rules[i].kind, kind))
                        return &kind_rules[i];
        return NULL;
}

/* A kind this table does not know: placed by its name. */
static enum timeline_category guess_category(const char *kind)
{
        static const struct {
                const char *part;
                enum timeline_category c;
        } guesses[] = {
                { "alert", TIMELINE_ALERT },    { "crash", TIMELINE_CRASH },
                { "oom", TIMELINE_CRASH },      { "config", TIMELINE_CHANGE },
                { "package", TIMELINE_CHANGE }, { "unit", TIMELINE_FAILURE },
                { "error", TIMELINE_ERROR },    { "kernel", TIMELINE_KERNEL },
        };

        for (size_t i = 0; kind && i < ELEMENTSOF(guesses); i++)
                if (strstr(kind, guesses[i].part))
                        return guesses[i].c;
        return TIMELINE_KERNEL;
}

static void event_done(struct timeline_event *e)
{
        free(e->what);
}

void timeline_done(struct timeline *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++)
                event_done(&t->events[i]);
        free(t->events);
        *t = (struct timeline) {};
}

/* One line of at most max bytes, not ending inside a UTF-8 sequence. */
static char *one_line(const char *s, size_t max)
{
        size_t n = 0;
        char *r;

        while (s[n] && s[n] != '\n' && n < max)
                n++;
        while (n > 0 && s[n] && s[n] != '\n' && ((unsigned char) s[n] & 0xC0) == 0x80)
                n--;
        r = xstrndup(s, n);
        for (char *p = r; p && *p; p++)
                if (*p == '\r' || *p == '\t')
                        *p = ' ';
        return r;
}

int timeline_add(struct timeline *t, usec_t time, enum timeline_category c, unsigned weight,
                 const char *what)
{
        _cleanup_free_ char *w = one_line(what ?: "?", WHAT_MAX);
        size_t at;

        if (!w)
                return -ENOMEM;
        weight = MIN(weight, 1000u);
        for (size_t i = 0; i < t->n; i++) {
                struct timeline_event *e = &t->events[i];

                if (e->category == c && e->time / USEC_PER_SEC == time / USEC_PER_SEC &&
                    streq(e->what, w)) {
                        e->weight = MAX(e->weight, weight);
                        return 0;
                }
        }
        if (t->n >= TIMELINE_MAX)
                return -E2BIG;
        if (t->n % 32 == 0) {
                struct timeline_event *n = xrealloc(t->events, (t->n + 32) * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                t->events = n;
        }
        /* insertion keeps time order; at one time the weightier event first */
        for (at = t->n; at > 0; at--) {
                const struct timeline_event *p = &t->events[at - 1];

                if (p->time < time || (p->time == time && p->weight >= weight))
                        break;
        }
        memmove(&t->events[at + 1], &t->events[at], (t->n - at) * sizeof(t->events[0]));
        t->events[at] = (struct timeline_event) {
                .time = time, .category = c, .weight = weight, .what = TAKE_PTR(w)
        };
        t->n++;
        return 0;
}

static const char *jstr(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return isempty(s) ? NULL : s;
}

static usec_t jtime(json_t *o, const char *key)
{
        usec_t t = 0;

        if (!jstr(o, key) || parse_iso8601(jstr(o, key), &t, NULL) < 0)
                return 0;
        return t;
}

static bool in_window(usec_t t, usec_t since, usec_t until)
{
        return t > 0 && (since == 0 || t >= since) && (until == 0 || t <= until);
}

/* The words of one finding's event: the rule's, the detail's first line, the count. */
static char *finding_text(json_t *f, const struct kind_rule *rule, bool last)
{
        const char *subject = jstr(f, "subject") ?: "?";
        json_int_t count = json_integer_value(json_object_get(f, "count"));
        _cleanup_free_ char *detail = jstr(f, "detail") ? one_line(jstr(f, "detail"), DETAIL_MAX) :
                                                          NULL;
        _cleanup_free_ char *base = NULL, *cnt = NULL;

        if (!rule)
                base = xasprintf("%s: %s", jstr(f, "kind") ?: "finding", subject);
        else if (last)
                base = rule->count_is_subject ? xstrdup(rule->last) :
                                                xasprintf("%s%s", rule->last, subject);
        else if (rule->count_is_subject)
                base = xasprintf("%lld%s", (long long) count, rule->post);
        else
                base = xasprintf("%s%s%s", rule->pre, subject, rule->post);
        if (!base)
                return NULL;
        if (!last && count > 1 && !(rule && rule->count_is_subject))
                cnt = xasprintf(" (%lld times)", (long long) count);
        return xasprintf("%s%s%s%s", base, isempty(detail) ? "" : " — ", detail ?: "", cnt ?: "");
}

static int add_finding(struct timeline *t, json_t *f, usec_t since, usec_t until)
{
        const struct kind_rule *rule = rule_for(jstr(f, "kind"));
        enum timeline_category c = rule ? rule->category : guess_category(jstr(f, "kind"));
        usec_t first = jtime(f, "first"), last = jtime(f, "last");
        int r = 0;

        if (c < 0)
                return 0;
        if (!first)
                first = last;
        if (in_window(first, since, until)) {
                _cleanup_free_ char *w = finding_text(f, rule, false);

                r = w ? timeline_add(t, first, c, rule ? rule->weight : 40, w) : -ENOMEM;
        }
        if (r >= 0 && rule && rule->last && last > first + USEC_PER_SEC &&
            in_window(last, since, until)) {
                _cleanup_free_ char *w = finding_text(f, rule, true);

                r = w ? timeline_add(t, last, c, (rule->weight * 2) / 3, w) : -ENOMEM;
        }
        return r;
}

static int add_error_group(struct timeline *t, json_t *g, usec_t since, usec_t until)
{
        usec_t first = jtime(g, "first_seen");
        json_int_t count = json_integer_value(json_object_get(g, "count"));
        const char *msg = jstr(g, "sample") ?: jstr(g, "signature") ?: "?";
        const char *where = json_string_value(json_array_get(json_object_get(g, "units"), 0)) ?:
                                    json_string_value(
                                            json_array_get(json_object_get(g, "sources"), 0));
        _cleanup_free_ char *line = one_line(timeline_strip_log_prefix(msg), DETAIL_MAX);
        _cleanup_free_ char *w = NULL;
        unsigned weight = 20;

        if (!line)
                return -ENOMEM;
        if (!in_window(first, since, until))
                return 0;
        for (json_int_t c = count; c >= 10 && weight < 50; c /= 10)
                weight += 8;
        w = xasprintf("first error%s%s: %s (%lld in all)", where ? " in " : "", where ?: "", line,
                      (long long) count);
        return w ? timeline_add(t, first, TIMELINE_ERROR, weight, w) : -ENOMEM;
}

int timeline_build(json_t *findings, json_t *errors_top, usec_t since, usec_t until,
                   usec_t collected, struct timeline *ret)
{
        struct timeline t = {};
        size_t i;
        json_t *v;
        int r = 0;

        json_array_foreach(findings, i, v) {
                r = add_finding(&t, v, since, until);
                if (r < 0)
                        break;
        }
        json_array_foreach(errors_top, i, v) {
                if (r < 0)
                        break;
                r = add_error_group(&t, v, since, until);
        }
        if (r >= 0 && (collected || until))
                r = timeline_add(&t, collected ?: until, TIMELINE_COLLECTION, 10,
                                 "diagnostics collected (this bundle)");
        if (r == -E2BIG)
                r = 0; /* the first TIMELINE_MAX events are plenty */
        if (r < 0) {
                timeline_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

json_t *timeline_to_json(const struct timeline *t)
{
        _cleanup_(json_decrefp) json_t *a = json_array();
        char buf[64];

        for (size_t i = 0; a && i < t->n; i++) {
                const struct timeline_event *e = &t->events[i];

                if (json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:s}", "time",
                                                       format_iso8601(buf, sizeof(buf), e->time),
                                                       "category",
                                                       timeline_category_to_string(e->category),
                                                       "weight", (int) e->weight, "what",
                                                       e->what)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

int timeline_from_json(json_t *a, struct timeline *ret)
{
        struct timeline t = {};
        size_t i;
        json_t *v;

        json_array_foreach(a, i, v) {
                enum timeline_category c = timeline_category_from_string(jstr(v, "category"));
                usec_t time = jtime(v, "time");
                int r;

                if (c < 0 || !time || !jstr(v, "what"))
                        continue;
                r = timeline_add(&t, time, c,
                                 (unsigned) json_integer_value(json_object_get(v, "weight")),
                                 jstr(v, "what"));
                if (r == -E2BIG)
                        break;
                if (r < 0) {
                        timeline_done(&t);
                        return r;
                }
        }
        *ret = t;
        return 0;
}

size_t timeline_top(const struct timeline *t, size_t n, size_t *ret_idx)
{
        size_t k = 0;

        /* pick the weightiest (earlier wins a tie), then restore time order */
        for (unsigned w = 1000; k < n && k < t->n; w--) {
                for (size_t i = 0; i < t->n && k < n; i++)
                        if (t->events[i].weight == w || (w == 0 && t->events[i].weight == 0))
                                ret_idx[k++] = i;
                if (w == 0)
                        break;
        }
        for (size_t i = 1; i < k; i++)
                for (size_t j = i; j > 0 && ret_idx[j - 1] > ret_idx[j]; j--) {
                        size_t x = ret_idx[j];

                        ret_idx[j] = ret_idx[j - 1];
                        ret_idx[j - 1] = x;
                }
        return k;
}

static bool is_month(const char *s)
{
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

        for (size_t i = 0; i < 36; i += 3)
                if (strneq(s, months + i, 3))
                        return true;
        return false;
}

/* After a leading timestamp ("Mar  1 13:41:02 " or an ISO 8601 time), or NULL. */
static const char *skip_timestamp(const char *s)
{
        const char *p = s;
        usec_t t;

        if (is_month(s) && s[3] == ' ') {
                p = s + 4;
                while (*p == ' ')
                        p++;
                while (*p >= '0' && *p <= '9')
                        p++;
                if (*p++ != ' ')
                        return NULL;
                for (int i = 0; i < 8; i++, p++)
                        if (!(*p == ':' ? i == 2 || i == 5 : *p >= '0' && *p <= '9'))
                                return NULL;
                while (*p == '.' || (*p >= '0' && *p <= '9'))
                        p++;
        } else if (parse_iso8601(s, &t, &p) < 0 || p - s < 16)
                return NULL;
        return *p == ' ' ? p + 1 : NULL;
}

/* Length of a token "ident:" or "ident[pid]:" ending the prefix, or 0. */
static size_t ident_len(const char *p)
{
        size_t n = 0;

        while (p[n] && p[n] != ' ' && n < 128)
                n++;
        return n > 1 && p[n - 1] == ':' && p[n] == ' ' ? n + 1 : 0;
}

/* After a syslog priority word ("err ", "warning "), as journal exports write it. */
static const char *skip_priority(const char *p)
{
        static const char *const words[] = { "emerg ",   "alert ",  "crit ", "err ",
                                             "warning ", "notice ", "info ", "debug " };

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strneq(p, words[i], strlen(words[i])))
                        return p + strlen(words[i]);
        return p;
}

const char *timeline_strip_log_prefix(const char *s)
{
        const char *p = s ? skip_timestamp(s) : NULL;
        size_t n;

        if (!p)
                return s;
        p = skip_priority(p);
        n = ident_len(p);
        if (n > 0)
                return p + n; /* no host: "TIME ident: msg" */
        while (*p && *p != ' ')
                p++; /* the host */
        if (*p == ' ')
                p++;
        n = ident_len(p);
        return n > 0 ? p + n : s;
}

static void md_cell(struct dynbuf *b, const char *s)
{
        for (; *s; s++)
                if (*s == '|' || *s == '`' || *s == '\\')
                        (void) dynbuf_addf(b, "\\%c", *s);
                else
                        (void) dynbuf_addc(b, *s == '\n' ? ' ' : *s);
}

int timeline_markdown(const struct timeline *t, struct dynbuf *b)
{
        char buf[64];
        int r;

        r = dynbuf_addstr(b, "\n## Timeline\n\n");
        if (r < 0)
                return r;
        if (t->n == 0)
                return dynbuf_addstr(b, "No dated events in the window.\n");
        r = dynbuf_addstr(b, "The window's events in time order (UTC); the picture is "
                             "`timeline.svg`.\n\n| time | what | kind |\n| --- | --- | --- |\n");
        for (size_t i = 0; r >= 0 && i < t->n; i++) {
                (void) dynbuf_addf(b, "| %s | ",
                                   format_iso8601(buf, sizeof(buf), t->events[i].time));
                md_cell(b, t->events[i].what);
                r = dynbuf_addf(b, " | %s |\n", timeline_category_to_string(t->events[i].category));
        }
        return r;
}
