/* SPDX-License-Identifier: MIT */
/*
 * Error extraction (errors.h): lines at error priority or matching the
 * policy's patterns (PCRE2, JIT-compiled; with the built-in patterns only
 * where a cheap literal scan found one of their words) are grouped by a
 * normalised signature — numbers, hex, UUIDs, addresses and temporary paths
 * masked — so that one message repeated 10,000 times is one group. Stack
 * traces (indented lines, "Caused by:", the final "XError: …") following an
 * error in the same source are kept with its sample. Groups are capped; the
 * rest is counted as "other". Journal entries that reach the extractor twice
 * (warnings.log and a unit's file) are counted once.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "fnv.h"
#include "analysis/errors.h"
#include "litscan.h"
#include "strv.h"
#include "logtime.h"

#define SIGNATURE_MAX 240
#define LIST_MAX 8          /* sources and units kept per group */
#define SOURCES_MAX 512     /* per-source counters */
#define SEEN_MAX (1U << 17) /* journal entries remembered for de-duplication */

static const char *const default_patterns[] = {
        "\\b(?:ERROR|FATAL|CRITICAL|CRIT|EMERG|ALERT|SEVERE|PANIC)\\b",
        "\\[[\\w:]*(?:error|crit|alert|emerg)\\]",
        "\\b(?:level|severity|lvl)\\W{0,3}(?:error|fatal|critical|crit|ERROR|FATAL|CRITICAL)\\b",
        "\\bpanic(?::|\\()",
        "Kernel panic|kernel BUG|\\bOops\\b|BUG: ",
        "Traceback \\(most recent call last\\)",
        "Exception\\b",
        "\\bsegfault\\b",
        "\\bOOM\\b|oom-kill|Out of memory|Killed process|invoked oom-killer",
        "\\b(?:Failed|failed) with result\\b",
        "code=dumped|dumped core",
        NULL,
};

/*
 * Every match of a default pattern contains one of these words (caseless), so
 * a line with none of them cannot match: the literal scan below decides, and
 * PCRE2 runs only on the few lines where a word was found, and only the
 * patterns whose words were (pattern_words[]: "debug" holds "bug" and runs
 * one pattern, not eleven).
 */
enum {
        W_ERR,
        W_FATAL,
        W_CRIT,
        W_EMERG,
        W_ALERT,
        W_SEVERE,
        W_PANIC,
        W_OOPS,
        W_BUG,
        W_TRACEBACK,
        W_EXCEPTION,
        W_SEGFAULT,
        W_OOM,
        W_OUT_OF_MEMORY,
        W_KILLED_PROCESS,
        W_FAILED_WITH_RESULT,
        W_DUMPED,
        W_MAX,
};

static const char *const hint_words[W_MAX + 1] = {
        [W_ERR] = "err",
        [W_FATAL] = "fatal",
        [W_CRIT] = "crit",
        [W_EMERG] = "emerg",
        [W_ALERT] = "alert",
        [W_SEVERE] = "severe",
        [W_PANIC] = "panic",
        [W_OOPS] = "oops",
        [W_BUG] = "bug",
        [W_TRACEBACK] = "traceback",
        [W_EXCEPTION] = "exception",
        [W_SEGFAULT] = "segfault",
        [W_OOM] = "oom",
        [W_OUT_OF_MEMORY] = "out of memory",
        [W_KILLED_PROCESS] = "killed process",
        [W_FAILED_WITH_RESULT] = "failed with result",
        [W_DUMPED] = "dumped",
        [W_MAX] = NULL,
};

#define W(x) (UINT64_C(1) << W_##x)

/* The words every match of default_patterns[i] contains one of. */
static const uint64_t pattern_words[] = {
        W(ERR) | W(FATAL) | W(CRIT) | W(EMERG) | W(ALERT) | W(SEVERE) | W(PANIC),
        W(ERR) | W(CRIT) | W(ALERT) | W(EMERG),
        W(ERR) | W(FATAL) | W(CRIT),
        W(PANIC),
        W(PANIC) | W(BUG) | W(OOPS),
        W(TRACEBACK),
        W(EXCEPTION),
        W(SEGFAULT),
        W(OOM) | W(OUT_OF_MEMORY) | W(KILLED_PROCESS),
        W(FAILED_WITH_RESULT),
        W(DUMPED),
};

_Static_assert(ELEMENTSOF(pattern_words) + 1 == ELEMENTSOF(default_patterns),
               "a word mask for each default pattern");

static const char *const allowed_keys[] = {
        "patterns",       "ignore",       "max_groups",
        "max_sample_len", "max_priority", "trace_continuation",
        "trace_lines",    "surge_min",    NULL,
};

struct group {
        uint64_t hash;
        char *signature;
        struct dynbuf sample;
        uint64_t count;
        usec_t first, last;
        char **sources;
        char **units;
        uint64_t more_sources;
        bool oom, segfault;
};

struct source_stat {
        char *name; /* unit, or the source when no unit */
        uint64_t count;
        uint64_t late;                    /* in the last quarter of the window */
        uint32_t buckets[ERRORS_BUCKETS]; /* per interval of the window, for timeline.svg */
        usec_t first, last;
        bool journal;
};

struct errors {
        /* Patterns are matched one by one: a single alternation of them is several
         * times slower with PCRE2, which cannot optimise its start. */
        pcre2_code **re;
        size_t n_re;
        pcre2_code **ignore;
        size_t n_ignore;
        /* With the default patterns: one caseless literal scan for the words they
         * all contain, so that ordinary lines cost one pass instead of eleven
         * (none when the sink's scan of the line found them already). */
        struct litscan *words;
        pcre2_match_data *md;
        size_t last_re, last_ignore; /* the patterns that matched last (see matches()) */
        uint64_t max_groups;
        uint64_t max_sample_len;
        uint64_t max_priority;
        uint64_t trace_lines;
        bool trace_continuation;

        struct group *groups;
        size_t n_groups;
        size_t *index; /* open addressing: group number + 1, 0 = empty */
        size_t index_size;
        uint64_t other;
        uint64_t total;
        uint64_t duplicates;

        struct source_stat sources[SOURCES_MAX];
        size_t n_sources;

        uint64_t *seen; /* journal de-duplication: hashes, 0 = empty */
        size_t seen_size, n_seen;

        /* the trace being followed */
        char *trace_source;
        struct group *trace_group;
        uint64_t trace_n;
        bool trace_append;
        bool trace_python; /* saw a Python frame: the "XError: …" line ends it */

        int year_hint;
        usec_t since, until;
        uint64_t surge_min;
};

/* Never 0 (an empty slot). */
static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
        h = fnv1a64(p, n, h);
        return h ? h : 1;
}

/* ---- policy ---- */

static void codes_free(pcre2_code **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pcre2_code_free(v[i]);
        free(v);
}

static int compile_list(char **list, const struct pnode *node, pcre2_code ***ret, size_t *ret_n,
                        char **ret_error)
{
        size_t n = strv_length(list);
        pcre2_code **v = xcalloc(n + 1, sizeof(pcre2_code *));
        PCRE2_SIZE off;
        int code;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                v[i] = pcre2_compile((PCRE2_SPTR) list[i], PCRE2_ZERO_TERMINATED, 0, &code, &off,
                                     NULL);
                if (!v[i]) {
                        PCRE2_UCHAR msg[160];
                        const struct pnode *at = node;

                        if (node && node->type == PNODE_SEQ && i < node->n_items)
                                at = node->items[i];
                        (void) pcre2_get_error_message(code, msg, sizeof(msg));
                        if (ret_error)
                                *ret_error = at ? pnode_error(at,
                                                              "bad pattern '%s': %s at offset %zu",
                                                              list[i], (char *) msg, (size_t) off) :
                                                  xasprintf("bad pattern '%s': %s", list[i],
                                                            (char *) msg);
                        codes_free(v, i);
                        return -EINVAL;
                }
                (void) pcre2_jit_compile(v[i], PCRE2_JIT_COMPLETE); /* else interpreted */
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int load_policy(struct errors *e, const struct pnode *section, char **ret_error)
{
        _cleanup_strv_free_ char **patterns = NULL, **ignore = NULL;
        int r;

        e->max_groups = 500;
        e->max_sample_len = 2048;
        e->max_priority = 3;
        e->trace_lines = 50;
        e->trace_continuation = true;
        e->surge_min = 10;

        if (section) {
                r = pnode_check_keys(section, "errors", allowed_keys, ret_error);
                if (r < 0)
                        return r;
                if ((r = pnode_to_strv(pnode_get(section, "patterns"), &patterns, ret_error)) < 0 ||
                    (r = pnode_to_strv(pnode_get(section, "ignore"), &ignore, ret_error)) < 0 ||
                    (r = pnode_to_u64(pnode_get(section, "max_groups"), 1, 100000, &e->max_groups,
                                      ret_error)) < 0 ||
                    (r = pnode_to_u64(pnode_get(section, "max_sample_len"), 80, 1 << 20,
                                      &e->max_sample_len, ret_error)) < 0 ||
                    (r = pnode_to_u64(pnode_get(section, "max_priority"), 0, 7, &e->max_priority,
                                      ret_error)) < 0 ||
                    (r = pnode_to_u64(pnode_get(section, "trace_lines"), 0, 10000, &e->trace_lines,
                                      ret_error)) < 0 ||
                    (r = pnode_to_u64(pnode_get(section, "surge_min"), 1, UINT64_MAX, &e->surge_min,
                                      ret_error)) < 0 ||
                    (r = pnode_to_bool(pnode_get(section, "trace_continuation"),
                                       &e->trace_continuation, ret_error)) < 0)
                        return r;
        }
        if (!patterns) {
                patterns = strv_copy((char *const *) default_patterns);
                if (!patterns)
                        return -ENOMEM;
                r = litscan_new(&e->words);
                if (r >= 0)
                        r = litscan_add_list(e->words, hint_words, 0, 0);
                if (r < 0)
                        return r;
        }
        r = compile_list(patterns, pnode_get(section, "patterns"), &e->re, &e->n_re, ret_error);
        if (r < 0)
                return r;
        return compile_list(ignore, pnode_get(section, "ignore"), &e->ignore, &e->n_ignore,
                            ret_error);
}

int errors_check_policy(const struct pnode *section, char **ret_error)
{
        _cleanup_(errors_freep) struct errors *e = NULL;

        return errors_new(section, &e, ret_error);
}

int errors_new(const struct pnode *section, struct errors **ret, char **ret_error)
{
        _cleanup_(errors_freep) struct errors *e = xcalloc(1, sizeof(*e));
        time_t t = time(NULL);
        struct tm tm;
        int r;

        if (!e)
                return -ENOMEM;
        r = load_policy(e, section, ret_error);
        if (r < 0)
                return r;
        e->md = pcre2_match_data_create(4, NULL);
        if (!e->md)
                return -ENOMEM;
        e->year_hint = gmtime_r(&t, &tm) ? tm.tm_year + 1900 : 1970;
        *ret = TAKE_PTR(e);
        return 0;
}

struct errors *errors_free(struct errors *e)
{
        if (!e)
                return NULL;
        codes_free(e->re, e->n_re);
        codes_free(e->ignore, e->n_ignore);
        pcre2_match_data_free(e->md);
        litscan_free(e->words);
        for (size_t i = 0; i < e->n_groups; i++) {
                free(e->groups[i].signature);
                dynbuf_done(&e->groups[i].sample);
                strv_free(e->groups[i].sources);
                strv_free(e->groups[i].units);
        }
        free(e->groups);
        free(e->index);
        for (size_t i = 0; i < e->n_sources; i++)
                free(e->sources[i].name);
        free(e->seen);
        free(e->trace_source);
        free(e);
        return NULL;
}

/* ---- lines ---- */

/* isalpha() and isalnum() of the C locale (no locale is set), inline: they
 * run for every byte of an error line, where the library's cost a call for
 * its table. */
static inline bool ascii_alpha(char c)
{
        return (unsigned) (((unsigned char) c | 0x20) - 'a') < 26u;
}

static inline bool ascii_alnum(char c)
{
        return ascii_alpha(c) || (unsigned) ((unsigned char) c - '0') < 10u;
}

static bool is_word(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!ascii_alnum(p[i]) && !strchr("_-.@/[]#:", p[i]))
                        return false;
        return n > 0;
}

static bool is_upper_word(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (islower((unsigned char) p[i]))
                        return false;
        return true;
}

/* Where the message starts: after the timestamp, a journal priority name and a
 * syslog "host ident[pid]: " prefix. */
static size_t message_start(const char *line, size_t len)
{
#define PRIO(s)                  \
        {                        \
                s, sizeof(s) - 1 \
        }
        static const struct {
                const char *s;
                size_t n;
        } prios[] = {
                PRIO("emerg "),  PRIO("alert "), PRIO("crit "),  PRIO("err "), PRIO("warning "),
                PRIO("notice "), PRIO("info "),  PRIO("debug "), PRIO("- "),
        };
#undef PRIO
        size_t i = logtime_prefix_len(line, len);
        const char *sp1, *sp2;

        if (i == 0)
                return 0;
        while (i < len && line[i] == ' ')
                i++;
        for (size_t k = 0; i < len && k < ELEMENTSOF(prios); k++)
                if (line[i] == prios[k].s[0] && len - i > prios[k].n &&
                    memcmp(line + i, prios[k].s, prios[k].n) == 0) {
                        i += prios[k].n;
                        break;
                }
        /* "host ident[pid]: " or "host ident: " (not "[123] FATAL: ", "[error] 1#1: ") */
        sp1 = memchr(line + i, ' ', len - i);
        if (sp1 && line[i] != '[' && is_word(line + i, sp1 - (line + i))) {
                sp2 = memchr(sp1 + 1, ' ', len - (sp1 + 1 - line));
                if (sp2 && sp2 > sp1 + 2 && sp2[-1] == ':' && is_word(sp1 + 1, sp2 - sp1 - 2) &&
                    (sp2[-2] == ']' || !is_upper_word(sp1 + 1, sp2 - sp1 - 2)))
                        return (size_t) (sp2 + 1 - line);
        }
        return i;
}

static bool is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The normalised signature of a message (NUL-terminated into out). */
static size_t normalise(const char *m, size_t len, char *out, size_t size)
{
        size_t o = 0, i = 0;

#define PUT(s)                                   \
        do {                                     \
                const char *_s = (s);            \
                size_t _n = strlen(_s);          \
                if (o + _n < size) {             \
                        memcpy(out + o, _s, _n); \
                        o += _n;                 \
                }                                \
        } while (0)

        while (i < len && o + 1 < size) {
                char c = m[i];
                bool word_start = i == 0 || !ascii_alnum(m[i - 1]);

                /* the letters of a word after its start are kept as they are */
                if (!word_start && ascii_alpha(c)) {
                        do
                                out[o++] = m[i++];
                        while (i < len && o + 1 < size && ascii_alpha(m[i]));
                        continue;
                }

                if (word_start && c == '0' && i + 2 < len && (m[i + 1] == 'x' || m[i + 1] == 'X') &&
                    is_hex(m[i + 2])) {
                        i += 2;
                        while (i < len && is_hex(m[i]))
                                i++;
                        PUT("<hex>");
                        continue;
                }
                if (word_start && is_hex(c)) {
                        /* UUIDs and long hex runs (ids, hashes, addresses) */
                        size_t j = i, digits = 0, hex = 0;
                        while (j < len && (is_hex(m[j]) || m[j] == '-')) {
                                if (m[j] >= '0' && m[j] <= '9')
                                        digits++;
                                if (m[j] != '-')
                                        hex++;
                                j++;
                        }
                        if (hex >= 8 && digits > 0 && (j >= len || !ascii_alnum(m[j]))) {
                                PUT(hex == 32 ? "<uuid>" : "<hex>");
                                i = j;
                                continue;
                        }
                }
                if (c >= '0' && c <= '9') {
                        while (i < len &&
                               ((m[i] >= '0' && m[i] <= '9') || m[i] == '.' ||
                                (m[i] == ':' && i + 1 < len && m[i + 1] >= '0' && m[i + 1] <= '9')))
                                i++;
                        PUT("<n>");
                        continue;
                }
                if (c == '/' &&
                    (strneq(m + i, "/tmp/", MIN(len - i, (size_t) 5)) ||
                     strneq(m + i, "/var/tmp/", MIN(len - i, (size_t) 9))) &&
                    len - i >= 5) {
                        while (i < len && m[i] != ' ' && m[i] != '\'' && m[i] != '"' && m[i] != ')')
                                i++;
                        PUT("<tmp>");
                        continue;
                }
                if (c == ' ' || c == '\t') {
                        while (i < len && (m[i] == ' ' || m[i] == '\t'))
                                i++;
                        if (o > 0 && i < len)
                                out[o++] = ' ';
                        continue;
                }
                out[o++] = c;
                i++;
        }
#undef PUT
        out[o] = '\0';
        return o;
}

static bool try_pattern(struct errors *e, pcre2_code *re, const uint64_t *need, size_t i,
                        uint64_t words, const char *p, size_t n)
{
        return (!need || (need[i] & words)) &&
               pcre2_match(re, (PCRE2_SPTR) p, n, 0, 0, e->md, NULL) >= 0;
}

/* Whether one of the patterns matches; with need, pattern i is tried only
 * where the line has one of the words need[i] (bits of words). The pattern
 * that matched last is tried first (*last): the answer is the same in any
 * order, and a log's error lines tend to come in one shape. */
static bool matches(struct errors *e, pcre2_code **re, size_t n_re, const uint64_t *need,
                    uint64_t words, const char *p, size_t n, size_t *last)
{
        if (*last < n_re && try_pattern(e, re[*last], need, *last, words, p, n))
                return true;
        for (size_t i = 0; i < n_re; i++)
                if (i != *last && try_pattern(e, re[i], need, i, words, p, n)) {
                        *last = i;
                        return true;
                }
        return false;
}

/* Lines that continue a stack trace or a multi-line error. */
static bool is_continuation(struct errors *e, const char *m, size_t n)
{
        if (n == 0)
                return false;
        if (m[0] == ' ' || m[0] == '\t')
                return true;
        if (strneq(m, "Caused by:", MIN(n, (size_t) 10)) && n >= 10)
                return true;
        if (n >= 3 && strneq(m, "...", 3))
                return true;
        if (n >= 11 && strneq(m, "During hand", 11))
                return true;
        if (n >= 12 && strneq(m, "The above ex", 12))
                return true;
        if (n >= 9 && strneq(m, "goroutine", 9))
                return true;
        if (n >= 11 && strneq(m, "Traceback (", 11)) {
                e->trace_python = true;
                return true;
        }
        if (e->trace_python) {
                /* "ValueError: …" closes a Python traceback. */
                size_t i = 0;
                while (i < n && (isalnum((unsigned char) m[i]) || m[i] == '_' || m[i] == '.'))
                        i++;
                if (i > 0 && i < n && m[i] == ':') {
                        e->trace_python = false;
                        return true;
                }
        }
        return false;
}

static void trace_end(struct errors *e)
{
        e->trace_source = mfree(e->trace_source);
        e->trace_group = NULL;
        e->trace_n = 0;
        e->trace_append = false;
        e->trace_python = false;
}

static size_t *index_slot(struct errors *e, uint64_t h, const char *sig)
{
        size_t mask = e->index_size - 1;

        for (size_t i = (size_t) h & mask;; i = (i + 1) & mask) {
                size_t g = e->index[i];
                if (g == 0)
                        return &e->index[i];
                if (e->groups[g - 1].hash == h && streq(e->groups[g - 1].signature, sig))
                        return &e->index[i];
        }
}

static int index_grow(struct errors *e)
{
        size_t n = e->index_size ? e->index_size * 2 : 256;
        size_t *old = e->index, old_size = e->index_size;

        e->index = xcalloc(n, sizeof(size_t));
        if (!e->index) {
                e->index = old;
                return -ENOMEM;
        }
        e->index_size = n;
        for (size_t i = 0; i < old_size; i++)
                if (old[i])
                        *index_slot(e, e->groups[old[i] - 1].hash,
                                    e->groups[old[i] - 1].signature) = old[i];
        free(old);
        return 0;
}

static struct group *group_get(struct errors *e, const char *sig, size_t sig_len, bool *ret_new)
{
        uint64_t h = hash_bytes(sig, sig_len, FNV1A64_INIT);
        size_t *slot;
        struct group *g;

        *ret_new = false;
        if ((e->n_groups + 1) * 2 > e->index_size && index_grow(e) < 0)
                return NULL;
        slot = index_slot(e, h, sig);
        if (*slot)
                return &e->groups[*slot - 1];
        if (e->n_groups >= e->max_groups)
                return NULL;
        g = xrealloc(e->groups, (e->n_groups + 1) * sizeof(*g));
        if (!g)
                return NULL;
        e->groups = g;
        g = &e->groups[e->n_groups];
        *g = (struct group) { .hash = h, .signature = xstrndup(sig, sig_len) };
        if (!g->signature)
                return NULL;
        dynbuf_init(&g->sample, e->max_sample_len);
        e->n_groups++;
        *slot = e->n_groups;
        *ret_new = true;
        return g;
}

static void list_add(char ***l, uint64_t *more, const char *s)
{
        if (!s || strv_contains(*l, s))
                return;
        if (strv_length(*l) >= LIST_MAX) {
                if (more)
                        (*more)++;
                return;
        }
        (void) strv_extend(l, s);
}

void errors_set_window(struct errors *e, usec_t since, usec_t until)
{
        if (!e || until <= since || until == USEC_INFINITY)
                return;
        e->since = since;
        e->until = until;
}

static void source_count(struct errors *e, const char *name, bool journal, usec_t t)
{
        struct source_stat *st = NULL;

        for (size_t i = 0; i < e->n_sources; i++)
                if (streq(e->sources[i].name, name)) {
                        st = &e->sources[i];
                        break;
                }
        if (!st) {
                if (e->n_sources >= SOURCES_MAX)
                        return;
                st = &e->sources[e->n_sources];
                *st = (struct source_stat) { .name = xstrdup(name), .journal = journal };
                if (!st->name)
                        return;
                e->n_sources++;
        }
        st->count++;
        if (e->until > 0 && t >= e->until - (e->until - e->since) / 4 && t <= e->until)
                st->late++;
        if (e->until > 0 && t >= e->since && t <= e->until)
                st->buckets[MIN((t - e->since) * ERRORS_BUCKETS / (e->until - e->since),
                                (usec_t) ERRORS_BUCKETS - 1)]++;
        if (t && (!st->first || t < st->first))
                st->first = t;
        if (t > st->last)
                st->last = t;
}

/* True if this journal entry was already counted (it reaches us through
 * warnings.log and again through its unit's file). */
static bool seen_before(struct errors *e, uint64_t key)
{
        size_t mask;

        if (e->seen_size == 0) {
                e->seen = xcalloc(4096, sizeof(uint64_t));
                if (!e->seen)
                        return false;
                e->seen_size = 4096;
        }
        if ((e->n_seen + 1) * 2 > e->seen_size) {
                size_t n = e->seen_size * 2;
                uint64_t *s;

                if (n > SEEN_MAX)
                        return false; /* full: count everything from now on */
                s = xcalloc(n, sizeof(uint64_t));
                if (!s)
                        return false;
                for (size_t i = 0; i < e->seen_size; i++)
                        if (e->seen[i])
                                for (size_t k = (size_t) e->seen[i] & (n - 1);;
                                     k = (k + 1) & (n - 1))
                                        if (!s[k]) {
                                                s[k] = e->seen[i];
                                                break;
                                        }
                free(e->seen);
                e->seen = s;
                e->seen_size = n;
        }
        mask = e->seen_size - 1;
        for (size_t i = (size_t) key & mask;; i = (i + 1) & mask) {
                if (e->seen[i] == key)
                        return true;
                if (!e->seen[i]) {
                        e->seen[i] = key;
                        e->n_seen++;
                        return false;
                }
        }
}

/* A line continuing the trace being followed: kept with its error. */
static bool trace_follow(struct errors *e, const char *source, const char *line, size_t len,
                         size_t ms)
{
        if (!e->trace_source || !streq(e->trace_source, source) || !e->trace_continuation ||
            !is_continuation(e, line + ms, len - ms))
                return false;
        if (e->trace_append && e->trace_group && e->trace_n < e->trace_lines) {
                if (dynbuf_addc(&e->trace_group->sample, '\n') == 0)
                        (void) dynbuf_add(&e->trace_group->sample, line, len);
                e->trace_n++;
        }
        if (memmem(line + ms, len - ms, "File \"", 6))
                e->trace_python = true;
        return true;
}

/* A journal entry counted already: its trace is still followed. */
static void follow_duplicate(struct errors *e, const char *source, const char *sig)
{
        struct group *g = NULL;

        e->duplicates++;
        e->trace_source = xstrdup(source);
        for (size_t i = 0; i < e->n_groups; i++)
                if (streq(e->groups[i].signature, sig))
                        g = &e->groups[i];
        e->trace_group = g;
        e->trace_append = g && g->count == 1 && !memchr(g->sample.buf, '\n', g->sample.len);
}

/* The hint_words the line has (bit i: hint_words[i]): as the sink's scan
 * found, or scanned here. */
static uint64_t line_words(const struct errors *e, const struct sink_line_meta *meta,
                           const char *line, size_t len)
{
        uint64_t masks[LITSCAN_SETS];

        if (meta && meta->words_known)
                return meta->words;
        litscan_scan(e->words, line, len, masks);
        return masks[0];
}

/* An error by its journal priority, or by a pattern (with the built-in ones,
 * only where the literal scan found a word), and no ignore pattern. */
static bool is_error(struct errors *e, const struct sink_line_meta *meta, const char *line,
                     size_t len)
{
        int priority = meta ? meta->priority : -1;
        uint64_t words;

        if (!(priority >= 0 && priority <= (int) e->max_priority)) {
                if (!e->words)
                        words = UINT64_MAX;
                else if ((words = line_words(e, meta, line, len)) == 0)
                        return false;
                if (!matches(e, e->re, e->n_re, e->words ? pattern_words : NULL, words, line, len,
                             &e->last_re))
                        return false;
        }
        return !matches(e, e->ignore, e->n_ignore, NULL, 0, line, len, &e->last_ignore);
}

int errors_feed_line(struct errors *e, const char *source, const struct sink_line_meta *meta,
                     const char *line, size_t len)
{
        char sig[SIGNATURE_MAX + 16];
        size_t ms = SIZE_MAX, sig_len;
        bool journal = meta && meta->priority >= 0, is_new;
        usec_t t = meta ? meta->timestamp : 0;
        struct group *g;

        if (!e || !line)
                return 0;
        source = source ?: "unknown";
        /* where the message starts is only needed in a trace or on an error line */
        if (e->trace_source) {
                ms = message_start(line, len);
                if (trace_follow(e, source, line, len, ms))
                        return 0;
                trace_end(e);
        }

        if (!is_error(e, meta, line, len))
                return 0;
        if (ms == SIZE_MAX)
                ms = message_start(line, len);

        sig_len = normalise(line + ms, len - ms, sig, SIGNATURE_MAX);

        if (journal && t > 0 && seen_before(e, hash_bytes(line, len, t * 0x9e3779b97f4a7c15ULL))) {
                follow_duplicate(e, source, sig);
                return 0;
        }

        if (t == 0) {
                struct logtime_hint hint = { .year = e->year_hint };
                if (!logtime_parse(line, len, &hint, &t))
                        t = 0;
        }
        e->total++;
        source_count(e, meta && meta->unit ? meta->unit : source, journal, t);

        g = group_get(e, sig, sig_len, &is_new);
        if (!g) {
                e->other++;
                return 0;
        }
        if (is_new) {
                if (dynbuf_add(&g->sample, line, MIN(len, (size_t) e->max_sample_len)) < 0)
                        return -ENOMEM;
                g->oom = strstr(sig, "Out of memory") || strstr(sig, "Killed process") ||
                         strstr(sig, "oom-kill");
                g->segfault = strstr(sig, "segfault at") != NULL;
        }
        g->count++;
        if (t && (!g->first || t < g->first))
                g->first = t;
        if (t > g->last)
                g->last = t;
        list_add(&g->sources, &g->more_sources, source);
        if (meta && meta->unit)
                list_add(&g->units, NULL, meta->unit);

        e->trace_source = xstrdup(source);
        e->trace_group = g;
        e->trace_append = is_new;
        e->trace_n = 0;
        e->trace_python = memmem(line + ms, len - ms, "Traceback (most recent call last)", 33) !=
                          NULL;
        return 0;
}

void errors_end_source(struct errors *e, const char *source)
{
        if (e && e->trace_source && (!source || streq(e->trace_source, source)))
                trace_end(e);
}

/* ---- output ---- */

static int cmp_groups(const void *a, const void *b)
{
        const struct group *x = *(const struct group *const *) a,
                           *y = *(const struct group *const *) b;

        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return strcmp(x->signature, y->signature);
}

static struct group **sorted_groups(const struct errors *e)
{
        struct group **v = xmalloc((e->n_groups + 1) * sizeof(*v));

        if (!v)
                return NULL;
        for (size_t i = 0; i < e->n_groups; i++)
                v[i] = &e->groups[i];
        qsort(v, e->n_groups, sizeof(*v), cmp_groups);
        return v;
}

static json_t *time_json(usec_t t)
{
        char buf[32];

        if (!t)
                return json_null();
        return json_string(format_iso8601(buf, sizeof(buf), t));
}

static json_t *strv_json(char **l)
{
        json_t *a = json_array();

        STRV_FOREACH(s, l)
                json_array_append_new(a, json_string(*s));
        return a;
}

static json_t *group_json(const struct group *g)
{
        return json_pack("{s:s, s:s%, s:I, s:o, s:o, s:o, s:o}", "signature", g->signature,
                         "sample", g->sample.buf ?: "", g->sample.len, "count",
                         (json_int_t) g->count, "first_seen", time_json(g->first), "last_seen",
                         time_json(g->last), "sources", strv_json(g->sources), "units",
                         strv_json(g->units));
}

static json_t *histogram_source(const char *name, const uint64_t *counts)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < ERRORS_BUCKETS; i++)
                json_array_append_new(a, json_integer((json_int_t) counts[i]));
        return json_pack("{s:s, s:o}", "name", name, "counts", a);
}

json_t *errors_histogram(const struct errors *e, size_t n)
{
        uint64_t other[ERRORS_BUCKETS] = {};
        bool picked[SOURCES_MAX] = {}, any_other = false;
        _cleanup_(json_decrefp) json_t *a = json_array();
        char since[32], until[32];

        if (!e || !a || e->until == 0)
                return NULL;
        for (size_t k = 0; k < n && k < e->n_sources; k++) {
                size_t best = SIZE_MAX;
                uint64_t c[ERRORS_BUCKETS];

                for (size_t i = 0; i < e->n_sources; i++)
                        if (!picked[i] &&
                            (best == SIZE_MAX || e->sources[i].count > e->sources[best].count))
                                best = i;
                picked[best] = true;
                for (size_t b = 0; b < ERRORS_BUCKETS; b++)
                        c[b] = e->sources[best].buckets[b];
                json_array_append_new(a, histogram_source(e->sources[best].name, c));
        }
        for (size_t i = 0; i < e->n_sources; i++)
                for (size_t b = 0; !picked[i] && b < ERRORS_BUCKETS; b++) {
                        other[b] += e->sources[i].buckets[b];
                        any_other = true;
                }
        if (any_other)
                json_array_append_new(a, histogram_source("other", other));
        return json_pack("{s:s, s:s, s:i, s:o}", "since",
                         format_iso8601(since, sizeof(since), e->since), "until",
                         format_iso8601(until, sizeof(until), e->until), "buckets", ERRORS_BUCKETS,
                         "sources", TAKE_PTR(a));
}

json_t *errors_top(const struct errors *e, size_t n)
{
        _cleanup_free_ struct group **v = NULL;
        _cleanup_(json_decrefp) json_t *a = json_array();

        if (!a || !e)
                return TAKE_PTR(a);
        v = sorted_groups(e);
        if (!v)
                return NULL;
        for (size_t i = 0; i < e->n_groups && i < n; i++) {
                json_t *o = group_json(v[i]);
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

static int write_text(const struct errors *e, struct group **v, struct sink *s)
{
        _cleanup_(dynbuf_donep) struct dynbuf b = {};
        char t1[32], t2[32];

        dynbuf_init(&b, 4 << 20);
        (void) dynbuf_addf(&b, "%" PRIu64 " error lines, %zu distinct messages", e->total,
                           e->n_groups);
        if (e->other > 0)
                (void) dynbuf_addf(&b, " (+%" PRIu64 " lines of further messages not grouped)",
                                   e->other);
        (void) dynbuf_addstr(&b, "\n\n");
        for (size_t i = 0; i < e->n_groups && i < 100; i++) {
                const struct group *g = v[i];
                _cleanup_free_ char *src = strv_join(g->sources, ", ");

                (void) dynbuf_addf(&b, "%" PRIu64 "x  %s .. %s  %s%s\n", g->count,
                                   g->first ? format_iso8601(t1, sizeof(t1), g->first) : "?",
                                   g->last ? format_iso8601(t2, sizeof(t2), g->last) : "?",
                                   src ?: "", g->more_sources ? ", …" : "");
                /* The sample, indented, at most 10 lines. */
                const char *p = g->sample.buf ?: "";
                for (int k = 0; k < 10 && *p; k++) {
                        const char *nl = strchr(p, '\n');
                        size_t l = nl ? (size_t) (nl - p) : strlen(p);
                        (void) dynbuf_addf(&b, "    %.*s\n", (int) MIN(l, (size_t) 400), p);
                        p = nl ? nl + 1 : p + l;
                }
                (void) dynbuf_addc(&b, '\n');
        }
        return sink_add_data(s, "errors/errors.txt", b.buf ?: "", b.len, 0);
}

int errors_emit(struct errors *e, struct sink *s)
{
        _cleanup_free_ struct group **v = NULL;
        _cleanup_free_ char *json = NULL;
        _cleanup_(json_decrefp) json_t *a = NULL;
        int r;

        if (!e)
                return 0;
        trace_end(e);
        v = sorted_groups(e);
        a = errors_top(e, e->n_groups);
        if (!v || !a)
                return -ENOMEM;
        json = json_dumps(a, JSON_INDENT(2));
        if (!json)
                return -ENOMEM;
        r = sink_add_data(s, "errors/errors.json", json, strlen(json), 0);
        if (r < 0)
                return r;
        r = write_text(e, v, s);
        if (r < 0)
                return r;

        for (size_t i = 0; i < e->n_sources; i++) {
                const struct source_stat *st = &e->sources[i];
                struct finding f = {
                        .kind = FINDING_ERRORS,
                        .subject = st->name,
                        .count = st->count,
                        .first = st->first,
                        .last = st->last,
                };
                (void) sink_add_finding(s, &f);
        }
        for (size_t i = 0; e->until > 0 && i < e->n_sources; i++) {
                const struct source_stat *st = &e->sources[i];
                uint64_t before = st->count - st->late;
                _cleanup_free_ char *detail = NULL;

                /* The last quarter against the three before: the rate at least
                 * tripled, i.e. as many errors in a quarter as in three. */
                if (st->late < e->surge_min || st->late < before)
                        continue;
                detail = xasprintf("%" PRIu64 " in the last quarter of the window, %" PRIu64
                                   " in the three quarters before",
                                   st->late, before);
                struct finding f = { .kind = FINDING_ERROR_SURGE,
                                     .subject = st->name,
                                     .count = st->late,
                                     .first = st->first,
                                     .last = st->last,
                                     .detail = detail };
                (void) sink_add_finding(s, &f);
        }
        {
                struct finding f = { .kind = FINDING_ERROR_SIGNATURES,
                                     .subject = "total",
                                     .count = e->n_groups };
                (void) sink_add_finding(s, &f);
        }
        /* OOM kills and segfaults in log files are findings of the logs
         * collector, which names the process (never the file). */
        return 0;
}

char *const *errors_words(const struct errors *e)
{
        return e && e->words ? (char *const *) hint_words : NULL;
}

int errors_observe_line(void *userdata, const char *source, const struct sink_line_meta *meta,
                        const char *line, size_t len)
{
        return errors_feed_line(userdata, source, meta, line, len);
}

void errors_observe_end(void *userdata, const char *source)
{
        errors_end_source(userdata, source);
}
