/* SPDX-License-Identifier: MIT */
/*
 * The streaming redactor. Input is cut into lines; a line is matched only
 * against the rules whose literal hints it contains (one pass over the line
 * with a table of two-byte prefixes), every match becomes a span, spans are
 * merged and the line is written out with "[REDACTED:<rule>]" in their place
 * (and pseudonyms for masked values). Lines longer than 64 KiB are handled in
 * 64 KiB windows that overlap by 4 KiB of context, so memory stays bounded and
 * a secret at a seam is seen whole. Private-key blocks are followed across
 * lines. Non-logging.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "redact/redact-internal.h"
#include "redact/redact.h"
#include "redact/spans.h"
#include "strv.h"

#define WINDOW (64u * 1024u)     /* a line piece is processed when this much is buffered */
#define CONTEXT_KEEP 4096u       /* emitted bytes kept as context for the next piece */
#define LOOKAHEAD 4096u          /* bytes of a piece held back for the next one */
#define SAMPLE_NUL (64u * 1024u) /* a NUL byte within this much: binary */
#define SAMPLE_UTF8 8192u        /* invalid UTF-8 ratio measured over this much */
#define LINE_MAX_OUT (WINDOW * 4u + 4096u)
#define MATCH_LIMIT 5000000u
#define K8S_HOLD_MAX (256u * 1024u) /* lines of a manifest held until its kind is known */
#define KEY_CACHE_SLOTS 1024u       /* key decisions remembered (direct-mapped) */
#define KEY_CACHE_LEN 48u           /* longer keys are checked every time */
#define REDACT_SET_RULES 0u         /* the scan's set of the rules' hints */

/* A key's verdict under one rule's key and weak_key patterns. They see only
 * the key's bytes (the subject starts at the key), so the verdict is a
 * function of the rule and those bytes: logfmt and JSON lines repeat the same
 * few keys, and each costs two pattern runs without this. */
enum key_verdict {
        KEY_UNKNOWN, /* an empty slot */
        KEY_NOT_SECRET,
        KEY_STRONG,
        KEY_WEAK,
};

struct key_slot {
        uint8_t verdict; /* enum key_verdict */
        uint8_t rule;
        uint8_t len;
        char key[KEY_CACHE_LEN];
};

struct redactor {
        struct rule *rules;
        size_t n_rules;
        struct litscan *scan; /* the rules' hints (set REDACT_SET_RULES), and the words of others */
        unsigned n_sets;      /* sets of the scan given to others (redactor_words_set()) */
        uint64_t always;
        uint64_t multiline;
        int k8s_rule; /* "kubernetes-secret": data of Secret manifests; -1 when disabled */

        pcre2_match_data *md, *md2;
        pcre2_match_context *mctx;
        pcre2_jit_stack *jit;
        bool jit_off; /* JIT compilation failed once: interpret what is not compiled */

        uint64_t *by_rule;
        uint64_t total;
        uint64_t masked;
        json_t *by_member;
        json_t *skipped;

        struct mask *mask;
        bool masking;

        uint64_t not_in;                         /* rules with hints_not_in */
        uint64_t not_in_peers[REDACT_RULES_MAX]; /* the rules with the same hints_not_in */
        struct dynbuf blank; /* a line with hints_not_in words blanked (hint_scan()) */

        struct spanvec spans;
        struct dynbuf out;
        struct key_slot *keys; /* [KEY_CACHE_SLOTS] */
};

struct redact_stream {
        struct redactor *r;
        char *member;
        redact_write_fn write;
        void *userdata;

        struct dynbuf buf; /* the unfinished line */
        size_t ctx;        /* bytes at the start of buf already written */
        int cont_rule;     /* a span ran to the end of the previous piece */
        bool open_span;    /* the previous piece ended inside a span */
        bool line_binary;  /* the current long line had a NUL byte */
        bool block_piece;  /* pieces of the current line were swallowed inside a block */

        /* the hint scan of the line handle_line() looked at, for process_text() */
        const char *scanned;
        size_t scanned_len;
        uint64_t scanned_mask;
        uint64_t scanned_words[LITSCAN_SETS]; /* every set of that scan */

        /* the scans of whole lines as fed (redact_stream_line_words()) */
        uint64_t line_scans;
        size_t line_len;
        uint64_t line_words[LITSCAN_SETS];
        /* the words of the line being written, when it is written as it was fed */
        const uint64_t *emit_words;

        int block_rule; /* >= 0: inside a multi-line secret of this rule */
        int next_rule;  /* >= 0: the previous line said the secret is on this one */

        struct k8s k8s;     /* Kubernetes Secret manifests */
        struct dynbuf hold; /* held lines: a tag byte ('D' data entry, 'O' other), the line, '\n' */
        bool releasing;     /* held lines are being processed */
        bool k8s_piece;     /* pieces of a long data entry were swallowed */

        uint64_t seen;
        uint64_t utf8_bad;
        bool utf8_done;
        bool binary;

        uint64_t *counts;
        uint64_t masked;
        bool merged;
        int error;
};

/* The first of byte a or b in p[0, n), or NULL. */
static const char *memchr2(const char *p, size_t n, char a, char b)
{
        const char *x = memchr(p, a, n);
        const char *y = a == b ? NULL : memchr(p, b, x ? (size_t) (x - p) : n);

        return y ? y : x;
}

/* Whether text[0, len) holds w (ASCII-caseless); blanks (NUL bytes, in no
 * hint) each occurrence in out, a copy of text. */
static bool blank_word(const char *text, size_t len, const char *w, char *out)
{
        size_t wl = strlen(w);
        char lo = (char) tolower((unsigned char) w[0]), up = (char) toupper((unsigned char) w[0]);
        bool found = false;

        for (size_t i = 0; i + wl <= len;) {
                const char *p = memchr2(text + i, len - wl + 1 - i, lo, up);

                if (!p)
                        break;
                i = (size_t) (p - text);
                if (strncasecmp(p, w, wl) == 0) {
                        memset(out + i, 0, wl);
                        found = true;
                        i += wl;
                } else
                        i++;
        }
        return found;
}

/*
 * The hinted rules with hints_not_in whose hints occur only inside those
 * words: the line is scanned again with the words blanked, once per set of
 * words (rules with the same list share the scan). Only lines where such a
 * rule was hinted pay for it.
 */
static uint64_t hints_not_in(struct redactor *r, const char *text, size_t len, uint64_t rules)
{
        uint64_t left = rules & r->not_in, masks[LITSCAN_SETS];

        while (left) {
                unsigned i = (unsigned) __builtin_ctzll(left);
                const struct rule *rule = &r->rules[i];
                uint64_t same = r->not_in_peers[i] & left;
                bool blanked = false;
                char *copy;

                left &= ~same;
                dynbuf_reset(&r->blank);
                if (dynbuf_add(&r->blank, text, len) < 0)
                        continue; /* no memory: the rules run, as without the words */
                copy = r->blank.buf;
                STRV_FOREACH(w, rule->hints_not_in)
                        blanked = blank_word(text, len, *w, copy) || blanked;
                if (!blanked)
                        continue;
                litscan_scan(r->scan, copy, len, masks);
                rules = (rules & ~same) | (masks[REDACT_SET_RULES] & same);
        }
        return rules;
}

/*
 * One pass over text: the rules whose hints occur in it (plus those without
 * hints), not counting hints inside a rule's hints_not_in words; masks gets
 * every set of the scan (the words others added).
 */
static uint64_t hint_scan(struct redactor *r, const char *text, size_t len,
                          uint64_t masks[static LITSCAN_SETS])
{
        uint64_t rules;

        litscan_scan(r->scan, text, len, masks);
        rules = r->always | masks[REDACT_SET_RULES];
        if (rules & r->not_in)
                rules = hints_not_in(r, text, len, rules);
        return rules;
}

/* The scan of text[0, len) (done once: handle_line() and process_text()
 * share it); whole: text is a complete line as it was fed. */
static uint64_t stream_scan(struct redact_stream *rs, const char *text, size_t len, bool whole)
{
        if (text == rs->scanned && len == rs->scanned_len)
                return rs->scanned_mask;
        rs->scanned = text;
        rs->scanned_len = len;
        rs->scanned_mask = hint_scan(rs->r, text, len, rs->scanned_words);
        if (whole) {
                rs->line_scans++;
                rs->line_len = len;
                memcpy(rs->line_words, rs->scanned_words, sizeof(rs->line_words));
        }
        return rs->scanned_mask;
}

struct redactor *redactor_free(struct redactor *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_rules; i++)
                rule_done(&r->rules[i]);
        free(r->rules);
        litscan_free(r->scan);
        pcre2_match_data_free(r->md);
        pcre2_match_data_free(r->md2);
        pcre2_match_context_free(r->mctx);
        pcre2_jit_stack_free(r->jit);
        free(r->by_rule);
        json_decref(r->by_member);
        json_decref(r->skipped);
        mask_free(r->mask);
        spanvec_done(&r->spans);
        dynbuf_done(&r->out);
        dynbuf_done(&r->blank);
        free(r->keys);
        free(r);
        return NULL;
}

int redactor_new(const struct pnode *section, struct redactor **ret, char **ret_error)
{
        _cleanup_(redactor_freep) struct redactor *r = NULL;
        _cleanup_(pnode_freep) struct pnode *tree = NULL;
        const struct pnode *base;
        int k;

        r = xcalloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        dynbuf_init(&r->out, LINE_MAX_OUT * 2);
        dynbuf_init(&r->blank, LINE_MAX_OUT * 2);
        k = rules_load(section, &r->rules, &r->n_rules, ret_error);
        if (k < 0)
                return k;
        k = redact_builtin_tree(&tree, &base, ret_error);
        if (k < 0)
                return k;
        k = mask_new(pnode_get(base, "mask"), pnode_get(section, "mask"), &r->mask, ret_error);
        if (k < 0)
                return k;

        k = litscan_new(&r->scan);
        if (k < 0)
                return k;
        r->by_rule = xcalloc(r->n_rules + 1, sizeof(uint64_t));
        r->by_member = json_object();
        r->skipped = json_array();
        r->md = pcre2_match_data_create(64, NULL);
        r->md2 = pcre2_match_data_create(16, NULL);
        r->keys = xcalloc(KEY_CACHE_SLOTS, sizeof(struct key_slot));
        r->mctx = pcre2_match_context_create(NULL);
        r->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (!r->by_rule || !r->by_member || !r->skipped || !r->md || !r->md2 || !r->mctx ||
            !r->jit || !r->keys)
                return -ENOMEM;
        pcre2_jit_stack_assign(r->mctx, NULL, r->jit);
        (void) pcre2_set_match_limit(r->mctx, MATCH_LIMIT);

        r->k8s_rule = -1;
        for (size_t i = 0; i < r->n_rules; i++) {
                struct rule *rule = &r->rules[i];

                if (streq(rule->name, "kubernetes-secret"))
                        r->k8s_rule = (int) i;
                if (rule->multiline)
                        r->multiline |= UINT64_C(1) << i;
                if (!rule->hints || !rule->hints[0]) {
                        r->always |= UINT64_C(1) << i;
                        continue;
                }
                if (rule->hints_not_in && rule->hints_not_in[0]) {
                        r->not_in |= UINT64_C(1) << i;
                        for (size_t j = 0; j <= i; j++)
                                if (strv_equal(r->rules[j].hints_not_in, rule->hints_not_in)) {
                                        r->not_in_peers[i] |= UINT64_C(1) << j;
                                        r->not_in_peers[j] |= UINT64_C(1) << i;
                                }
                }
                STRV_FOREACH(h, rule->hints) {
                        k = litscan_add(r->scan, *h, REDACT_SET_RULES, UINT64_C(1) << i, 0);
                        if (k < 0)
                                return k;
                }
        }
        *ret = TAKE_PTR(r);
        return 0;
}

int redactor_words_set(struct redactor *r)
{
        if (!r)
                return -EINVAL;
        if (r->n_sets + 1 >= LITSCAN_SETS)
                return -ENOSPC;
        return (int) ++r->n_sets;
}

int redactor_add_words(struct redactor *r, int set, unsigned first, const char *const *words,
                       unsigned flags)
{
        if (!r || set <= (int) REDACT_SET_RULES || set > (int) r->n_sets)
                return -EINVAL;
        for (size_t i = 0; words && words[i]; i++) {
                int k = first + i < 64 ? litscan_add(r->scan, words[i], (unsigned) set,
                                                     UINT64_C(1) << (first + i), flags) :
                                         -EINVAL;

                if (k < 0)
                        return k;
        }
        return 0;
}

bool redact_stream_emit_words(const struct redact_stream *rs, uint64_t *masks)
{
        if (!rs || !rs->emit_words)
                return false;
        memcpy(masks, rs->emit_words, LITSCAN_SETS * sizeof(uint64_t));
        return true;
}

uint64_t redact_stream_line_words(const struct redact_stream *rs, size_t *ret_len, uint64_t *masks)
{
        if (!rs)
                return 0;
        if (ret_len)
                *ret_len = rs->line_len;
        if (masks)
                memcpy(masks, rs->line_words, sizeof(rs->line_words));
        return rs->line_scans;
}

int redactor_check_policy(const struct pnode *section, char **ret_error)
{
        _cleanup_(redactor_freep) struct redactor *r = NULL;

        return redactor_new(section, &r, ret_error);
}

int redactor_enable_mask(struct redactor *r, const char *map_path, char *const *hostnames)
{
        int k;

        if (!r)
                return -EINVAL;
        k = mask_enable(r->mask, map_path, hostnames);
        if (k < 0)
                return k;
        r->masking = true;
        return 0;
}

int redactor_mask_add_users(struct redactor *r, char *const *users)
{
        if (!r)
                return -EINVAL;
        return mask_add_users(r->mask, users);
}

int redactor_save_mask(struct redactor *r)
{
        if (!r || !r->masking)
                return 0;
        return mask_save(r->mask);
}

uint64_t redactor_replacements(const struct redactor *r)
{
        return r ? r->total : 0;
}

int redactor_note_skipped(struct redactor *r, const char *path, const char *reason)
{
        if (!r || !path)
                return -EINVAL;
        json_t *o = json_pack("{s:s, s:s}", "path", path, "reason", reason ? reason : "");
        if (!o || json_array_append_new(r->skipped, o) < 0)
                return -ENOMEM;
        return 0;
}

json_t *redactor_report(const struct redactor *r)
{
        json_t *by_rule = json_object();

        if (!by_rule)
                return NULL;
        for (size_t i = 0; i < r->n_rules; i++)
                if (r->by_rule[i] > 0 &&
                    json_object_set_new(by_rule, r->rules[i].name,
                                        json_integer((json_int_t) r->by_rule[i])) < 0) {
                        json_decref(by_rule);
                        return NULL;
                }
        return json_pack("{s:I, s:o, s:O, s:O, s:b, s:I}", "replacements", (json_int_t) r->total,
                         "by_rule", by_rule, "by_member", r->by_member, "skipped", r->skipped,
                         "masking", r->masking, "masked", (json_int_t) r->masked);
}

/* ---- matching ---- */

static bool is_quote(char c)
{
        return c == '"' || c == '\'';
}

/* A value in quotes loses them: "x", 'x', the JSON-escaped \"x\" (a quoted value
 * inside a JSON string) and the doubled ''x'' (one inside an SQL string) alike.
 * The quotes stay in the output. */
static void strip_quotes(const char *text, size_t *gs, size_t *ge)
{
        size_t s = *gs, e = *ge;

        if (e - s >= 2 && (text[s] == '\\' || text[s] == text[s + 1]) && is_quote(text[s + 1])) {
                char q = text[s + 1];

                s += 2;
                if (e - s >= 2 && text[e - 1] == q && (text[e - 2] == '\\' || text[e - 2] == q))
                        e -= 2;
        } else if (e > s && is_quote(text[s])) {
                if (e - s >= 2 && text[e - 1] == text[s])
                        e--;
                s++;
        }
        *gs = s;
        *ge = MAX(s, e);
}

/* The payload of a line that wraps a logged line: the string of a JSON log
 * record ({"log":"...\n", ...}, as docker writes them, or "message"/"msg"),
 * else the text after the last ": " (a syslog or journal prefix). NULL when
 * the line wraps nothing. */
static const char *wrapped_payload(const char *t, size_t len, size_t *ret_len)
{
        static const char *const keys[] = { "\"log\":\"", "\"message\":\"", "\"msg\":\"",
                                            "\"MESSAGE\":\"" };
        const char *end = t + len;

        if (len > 0 && t[0] == '{') {
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        const char *p = memmem(t, len, keys[i], strlen(keys[i])), *q;

                        if (!p)
                                continue;
                        p += strlen(keys[i]);
                        for (q = p; q < end && *q != '"' && *q != '\\'; q++)
                                ;
                        *ret_len = (size_t) (q - p);
                        return p;
                }
                return NULL;
        }
        for (const char *p = end; p > t + 1; p--)
                if (p[-2] == ':' && p[-1] == ' ') {
                        *ret_len = (size_t) (end - p);
                        return p;
                }
        return NULL;
}

/*
 * pcre2_match() of a whole subject from offset (at most its length): the
 * JIT-compiled code called directly, which is what pcre2_match() does after
 * checks that cannot fail here. A pattern gets its JIT code on its first use:
 * most rules never run on a given host's text, and the code of all of them
 * was about half a MiB of executable memory for the whole run. Where JIT
 * compilation fails (no JIT, no executable memory), the interpreter runs
 * this pattern and every one not compiled yet.
 */
static int re_run(struct redactor *r, pcre2_code *re, const char *p, size_t n, size_t off,
                  pcre2_match_data *md)
{
        int rc = pcre2_jit_match(re, (PCRE2_SPTR) p, n, off, 0, md, r->mctx);

        if (rc != PCRE2_ERROR_JIT_BADOPTION)
                return rc;
        if (!r->jit_off && pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0)
                return pcre2_jit_match(re, (PCRE2_SPTR) p, n, off, 0, md, r->mctx);
        r->jit_off = true;
        return pcre2_match(re, (PCRE2_SPTR) p, n, off, 0, md, r->mctx);
}

/* Adds the secret of a "next" rule's second line, if text is that line. */
static int next_line_span(struct redactor *r, unsigned idx, const char *text, size_t len,
                          struct spanvec *sv)
{
        const struct rule *rule = &r->rules[idx];
        int g = pcre2_substring_number_from_name(rule->next_re, (PCRE2_SPTR) "secret");
        PCRE2_SIZE *ov;
        size_t gs, ge;

        const char *p = text;
        size_t n = len;

        if (g <= 0)
                return 0;
        /* the line a JSON log record wraps, or the line itself, or the line
         * after a syslog prefix */
        if (len > 0 && text[0] == '{' && !(p = wrapped_payload(text, len, &n))) {
                p = text;
                n = len;
        }
        if (re_run(r, rule->next_re, p, n, 0, r->md) < 0 &&
            (p != text || !(p = wrapped_payload(text, len, &n)) ||
             re_run(r, rule->next_re, p, n, 0, r->md) < 0))
                return 0;
        ov = pcre2_get_ovector_pointer(r->md);
        gs = ov[2 * g] + (size_t) (p - text);
        ge = ov[2 * g + 1] + (size_t) (p - text);
        if (gs == PCRE2_UNSET)
                return 0;
        strip_quotes(text, &gs, &ge);
        if (rule->keep_re && re_run(r, rule->keep_re, text + gs, ge - gs, 0, r->md2) >= 0)
                return 0;
        if (ge <= gs)
                return 0;
        return spanvec_push(sv, &(struct span) { .start = gs, .end = ge, .rule = (int) idx });
}

static bool re_matches(struct redactor *r, pcre2_code *re, const char *p, size_t n)
{
        return re && re_run(r, re, p, n, 0, r->md2) >= 0;
}

static enum key_verdict key_check(struct redactor *r, const struct rule *rule, const char *key,
                                  size_t len)
{
        if (re_matches(r, rule->key_re, key, len))
                return KEY_STRONG;
        if (re_matches(r, rule->weak_key_re, key, len))
                return KEY_WEAK;
        return KEY_NOT_SECRET;
}

/* key_check(), remembered per rule and key (see struct key_slot). */
static enum key_verdict key_verdict(struct redactor *r, const struct rule *rule, const char *key,
                                    size_t len)
{
        size_t idx = (size_t) (rule - r->rules);
        uint32_t h = 2166136261u ^ (uint32_t) idx;
        struct key_slot *slot;

        if (len > KEY_CACHE_LEN || idx > UINT8_MAX)
                return key_check(r, rule, key, len);
        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t) key[i]) * 16777619u;
        slot = &r->keys[h & (KEY_CACHE_SLOTS - 1)];
        if (slot->verdict != KEY_UNKNOWN && slot->rule == idx && slot->len == len &&
            memcmp(slot->key, key, len) == 0)
                return (enum key_verdict) slot->verdict;
        slot->verdict = (uint8_t) key_check(r, rule, key, len);
        slot->rule = (uint8_t) idx;
        slot->len = (uint8_t) len;
        memcpy(slot->key, key, len);
        return (enum key_verdict) slot->verdict;
}

/*
 * The key check of a match (its ovector in r->md): false when the key is not
 * secret (then *next may move back into the value, which can hold the next
 * key); *ret_weak when only the rule's weak_key matched.
 */
static bool key_ok(struct redactor *r, const struct rule *rule, const char *text, bool *ret_weak,
                   size_t *next)
{
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        size_t ks, ke;

        *ret_weak = false;
        if (!rule->key_group || !rule->key_re)
                return true;
        ks = ov[2 * rule->key_group];
        ke = ov[2 * rule->key_group + 1];
        if (ks == PCRE2_UNSET)
                return false;
        switch (key_verdict(r, rule, text + ks, ke - ks)) {
        case KEY_STRONG:
                return true;
        case KEY_WEAK:
                *ret_weak = true;
                return true;
        default:
                *next = MAX(ov[0] + 1, ke);
                return false;
        }
}

/* The secret of an accepted match: 1 with its bounds, 0 when its value is kept. */
static int match_secret(struct redactor *r, const struct rule *rule, const char *text, bool weak,
                        size_t *ret_s, size_t *ret_e)
{
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        size_t gs = ov[0], ge = ov[1];

        if (rule->secret_group) {
                gs = ov[2 * rule->secret_group];
                ge = ov[2 * rule->secret_group + 1];
                if (gs == PCRE2_UNSET)
                        return 0;
        }
        strip_quotes(text, &gs, &ge);
        if (re_matches(r, rule->keep_re, text + gs, ge - gs))
                return 0;
        if (weak && re_matches(r, rule->weak_keep_re, text + gs, ge - gs))
                return 0;
        if (rule->entropy > 0 && (weak || !rule->weak_key_re) &&
            shannon_entropy(text + gs, ge - gs) < rule->entropy)
                return 0;
        *ret_s = gs;
        *ret_e = ge;
        return ge > gs;
}

/* A "next" rule whose first line is wrapped in a log record (docker JSON, a
 * syslog prefix): sets *ret_next when the payload matches with a secret key. */
static int next_in_payload(struct redactor *r, unsigned idx, const char *text, size_t len,
                           int *ret_next)
{
        const struct rule *rule = &r->rules[idx];
        const char *p;
        size_t n;
        bool weak;

        /* JSON log records only: a syslog-prefixed first line is rare, and
         * looking for its payload on every hinted line would cost */
        if (len == 0 || text[0] != '{')
                return 0;
        p = wrapped_payload(text, len, &n);
        if (!p || re_run(r, rule->re, p, n, 0, r->md) < 0)
                return 0;
        if (key_ok(r, rule, p, &weak, &n) && !weak)
                *ret_next = (int) idx;
        return 0;
}

/* Runs one rule over text and adds its spans. A rule with "next" adds none:
 * it sets *ret_next when it matches (with a key that is not only weak). */
static int rule_spans(struct redactor *r, unsigned idx, const char *text, size_t len,
                      struct spanvec *sv, int *ret_next)
{
        const struct rule *rule = &r->rules[idx];
        size_t off = 0;
        int rc, k;

        while (off <= len) {
                PCRE2_SIZE *ov;
                size_t s, e, next;
                bool weak;

                rc = re_run(r, rule->re, text, len, off, r->md);
                if (rc == PCRE2_ERROR_NOMATCH)
                        break;
                if (rc < 0) {
                        /* Too complex to decide (match limit): hide the rest of the text. */
                        k = spanvec_push(sv, &(struct span) {
                                                     .start = off, .end = len, .rule = (int) idx });
                        return k < 0 ? k : 0;
                }
                ov = pcre2_get_ovector_pointer(r->md);
                next = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
                if (key_ok(r, rule, text, &weak, &next)) {
                        if (rule->next_re && !weak) {
                                *ret_next = (int) idx;
                                break;
                        }
                        if (!rule->next_re && match_secret(r, rule, text, weak, &s, &e) > 0) {
                                k = spanvec_push(sv, &(struct span) { .start = s,
                                                                      .end = e,
                                                                      .rule = (int) idx });
                                if (k < 0)
                                        return k;
                        }
                }
                off = next;
        }
        if (rule->next_re && *ret_next < 0)
                return next_in_payload(r, idx, text, len, ret_next);
        return 0;
}

static int span_cmp(const void *a, const void *b)
{
        const struct span *x = a, *y = b;

        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end > y->end ? -1 : 1;
        /* redaction before masking, then the rule that comes first in the policy */
        if ((x->rule < 0) != (y->rule < 0))
                return (x->rule < 0) - (y->rule < 0);
        return (x->rule > y->rule) - (x->rule < y->rule);
}

/* Sorts and merges overlapping spans: redactions absorb what they overlap. */
static void spans_merge(struct spanvec *sv)
{
        size_t n = 0;

        if (sv->n < 2)
                return;
        qsort(sv->v, sv->n, sizeof(struct span), span_cmp);
        for (size_t i = 0; i < sv->n; i++) {
                struct span *x = &sv->v[i];
                struct span *last = n > 0 ? &sv->v[n - 1] : NULL;

                if (!last || x->start >= last->end) {
                        sv->v[n++] = *x;
                        continue;
                }
                if (last->rule >= 0 && x->rule >= 0)
                        last->end = MAX(last->end, x->end);
                else if (last->rule < 0 && x->rule >= 0) {
                        last->rule = x->rule;
                        last->end = MAX(last->end, x->end);
                }
                /* a mask span overlapping anything earlier is dropped */
        }
        sv->n = n;
}

/* All spans of text. m: the rules to run (from hint_scan). prev_next: the
 * rule whose "next" line this is (or -1); *ret_next: a rule whose "next" line
 * follows. */
static int collect_spans(struct redactor *r, const char *text, size_t len, uint64_t m,
                         int prev_next, struct spanvec *sv, int *ret_next)
{
        int k;

        sv->n = 0;
        *ret_next = -1;
        if (prev_next >= 0) {
                k = next_line_span(r, (unsigned) prev_next, text, len, sv);
                if (k < 0)
                        return k;
        }
        m &= ~r->multiline;
        if (r->k8s_rule >= 0 && (m & (UINT64_C(1) << r->k8s_rule))) {
                m &= ~(UINT64_C(1) << r->k8s_rule);
                k = k8s_json_spans(text, len, r->k8s_rule, sv);
                if (k < 0)
                        return k;
        }
        while (m) {
                unsigned i = (unsigned) __builtin_ctzll(m);

                m &= m - 1;
                k = rule_spans(r, i, text, len, sv, ret_next);
                if (k < 0)
                        return k;
        }
        if (r->masking) {
                k = mask_collect(r->mask, text, len, sv);
                if (k < 0)
                        return k;
        }
        spans_merge(sv);
        return 0;
}

/* ---- streams ---- */

static int stream_write(struct redact_stream *rs, const char *data, size_t len)
{
        int k;

        if (rs->error < 0)
                return rs->error;
        if (len == 0)
                return 0;
        k = rs->write(rs->userdata, data, len);
        if (k < 0)
                rs->error = k;
        return k < 0 ? k : 0;
}

enum eol {
        EOL_NONE,    /* write text[from, to) only */
        EOL_IN_TEXT, /* text[to] is '\n': write it too */
        EOL_ADD,     /* append a '\n' */
};

/* Writes text[from, to) with the spans applied, as one write. words: the
 * scan of exactly text[from, to) (NULL: none), told to the write callback
 * when nothing in it is replaced. */
static int emit(struct redact_stream *rs, const char *text, size_t from, size_t to,
                const struct spanvec *sv, enum eol eol, const uint64_t *words)
{
        struct redactor *r = rs->r;
        size_t pos = from;
        bool any = false;
        int k = 0;

        for (size_t i = 0; i < sv->n; i++)
                if (sv->v[i].end > from && sv->v[i].start < to) {
                        any = true;
                        break;
                }
        if (!any && eol != EOL_ADD) {
                rs->emit_words = words;
                k = stream_write(rs, text + from, to - from + (eol == EOL_IN_TEXT));
                rs->emit_words = NULL;
                return k;
        }

        dynbuf_reset(&r->out);
        for (size_t i = 0; i < sv->n && k >= 0; i++) {
                const struct span *x = &sv->v[i];
                size_t s;

                if (x->end <= from || x->start >= to)
                        continue;
                s = MAX(x->start, from);
                if (s > pos)
                        k = dynbuf_add(&r->out, text + pos, s - pos);
                if (k >= 0 && x->rule >= 0) {
                        if (!(x->start < from && rs->open_span)) {
                                k = dynbuf_add(&r->out, r->rules[x->rule].marker,
                                               r->rules[x->rule].marker_len);
                                rs->counts[x->rule]++;
                        }
                } else if (k >= 0) {
                        k = dynbuf_add(&r->out, x->repl, x->repl_len);
                        rs->masked++;
                }
                pos = MAX(pos, MIN(x->end, to));
        }
        if (k >= 0 && pos < to)
                k = dynbuf_add(&r->out, text + pos, to - pos);
        if (k >= 0 && eol != EOL_NONE)
                k = dynbuf_addc(&r->out, '\n');
        if (k < 0)
                return k;
        rs->emit_words = any ? NULL : words;
        k = stream_write(rs, r->out.buf, r->out.len);
        rs->emit_words = NULL;
        return k;
}

static int emit_marker_line(struct redact_stream *rs, int rule)
{
        const struct rule *x = &rs->r->rules[rule];
        char line[128];
        int n;

        rs->counts[rule]++;
        n = snprintf(line, sizeof(line), "%s\n", x->marker);
        return stream_write(rs, line, (size_t) MIN((size_t) n, sizeof(line) - 1));
}

static bool is_delim(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' ||
               c == ',' || c == ';' || c == '&';
}

/*
 * Processes text[0, len) of which [0, ctx) was written already. final: the
 * line ends here (eol says how); otherwise this is a piece of a long line and
 * the last LOOKAHEAD bytes are held back. Returns the number of bytes written
 * through (the cut) or -errno.
 */
static int process_text(struct redact_stream *rs, const char *text, size_t len, size_t ctx,
                        bool final, enum eol eol, size_t *ret_cut)
{
        struct redactor *r = rs->r;
        struct spanvec *sv = &r->spans;
        size_t cut = final ? len : len - LOOKAHEAD;
        int prev_next = ctx == 0 && final ? rs->next_rule : -1, next = -1;
        uint64_t m, words[LITSCAN_SETS];
        int k;

        rs->next_rule = -1;
        m = stream_scan(rs, text, len, ctx == 0 && final);
        memcpy(words, rs->scanned_words, sizeof(words));
        rs->scanned = NULL;
        if (m == 0 && !r->masking && rs->cont_rule < 0 && prev_next < 0) {
                sv->n = 0;
        } else {
                k = collect_spans(r, text, len, m, prev_next, sv, &next);
                if (k < 0)
                        return k;
                if (final)
                        rs->next_rule = next;
                if (rs->cont_rule >= 0) {
                        size_t d = ctx;

                        while (d < len && !is_delim(text[d]))
                                d++;
                        if (d > ctx) {
                                k = spanvec_push(sv, &(struct span) { .start = ctx,
                                                                      .end = d,
                                                                      .rule = rs->cont_rule });
                                if (k < 0)
                                        return k;
                                spans_merge(sv);
                        }
                }
        }
        rs->cont_rule = -1;

        bool open = false;
        if (!final)
                for (size_t i = 0; i < sv->n; i++) {
                        const struct span *x = &sv->v[i];

                        if (x->start < cut && x->end > cut) {
                                if (x->start > ctx)
                                        cut = x->start;
                                else if (x->rule >= 0) {
                                        open = true;
                                        if (x->end >= len)
                                                rs->cont_rule = x->rule;
                                } else
                                        cut = MAX(x->start, ctx + 1);
                                break;
                        }
                }
        k = emit(rs, text, ctx, cut, sv, eol, ctx == 0 && cut == len ? words : NULL);
        rs->open_span = open;
        if (k < 0)
                return k;
        *ret_cut = cut;
        return 0;
}

static bool looks_like_key_material(const char *t, size_t len)
{
        size_t i = 0;

        /* a line of a unified diff */
        if (len > 0 && (t[0] == '+' || t[0] == '-' || t[0] == ' ')) {
                t++;
                len--;
        }
        /* "Proc-Type: 4,ENCRYPTED", "DEK-Info: ...", "Comment: ..." headers */
        while (i < len &&
               ((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') || t[i] == '-'))
                i++;
        if (i > 0 && i + 1 < len && t[i] == ':' && t[i + 1] == ' ')
                return true;
        for (i = 0; i < len; i++) {
                char c = t[i];

                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '+' || c == '/' || c == '=' || c == ' ' || c == '\t' || c == '\r' ||
                      c == '"' || c == '\'' || c == ',' || c == '\\' || c == '|' || c == '>'))
                        return false;
        }
        return true;
}

/* Whether a line inside a private-key block still carries key material: the
 * line itself, or the payload of a log record that wraps it (a key logged
 * line by line into docker JSON logs, syslog or the journal). */
static bool continues_block(const char *t, size_t len)
{
        const char *p;
        size_t n;

        if (looks_like_key_material(t, len))
                return true;
        /* a wrapped payload is one word: base64 or a header value */
        p = wrapped_payload(t, len, &n);
        return p && n > 0 && !memchr(p, ' ', n) && looks_like_key_material(p, n);
}

static int match_at(struct redactor *r, pcre2_code *re, const char *text, size_t len,
                    size_t *ret_start, size_t *ret_end)
{
        int rc = re_run(r, re, text, len, 0, r->md2);
        PCRE2_SIZE *ov;

        if (rc < 0)
                return 0;
        ov = pcre2_get_ovector_pointer(r->md2);
        *ret_start = ov[0];
        *ret_end = ov[1];
        return 1;
}

/* ---- Kubernetes Secret manifests (the tracking itself is in redact-k8s.c) ---- */

static int handle_line(struct redact_stream *rs, const char *text, size_t len, enum eol eol);

/* A data entry of a Secret: its value replaced. 1 when written, 0 when it has
 * nothing to replace (then it is processed as usual). */
static int k8s_emit_redacted(struct redact_stream *rs, const char *text, size_t len, enum eol eol)
{
        struct spanvec *sv = &rs->r->spans;
        size_t s, e;
        int k;

        if (!k8s_value_span(text, len, &s, &e))
                return 0;
        sv->n = 0;
        k = spanvec_push(sv, &(struct span) { .start = s, .end = e, .rule = rs->r->k8s_rule });
        if (k >= 0)
                k = emit(rs, text, 0, len, sv, eol, NULL);
        return k < 0 ? k : 1;
}

/* Writes the held lines: data entries redacted when secret, the rest as usual. */
static int k8s_release(struct redact_stream *rs, bool secret)
{
        const char *p = rs->hold.buf, *end = p + rs->hold.len;
        int k = 0;

        rs->releasing = true;
        while (k >= 0 && p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = (size_t) (nl - p) - 1;

                if (secret && p[0] == 'D')
                        k = k8s_emit_redacted(rs, p + 1, n, EOL_IN_TEXT);
                else
                        k = 0;
                if (k == 0)
                        k = handle_line(rs, p + 1, n, EOL_IN_TEXT);
                p = nl + 1;
        }
        rs->releasing = false;
        dynbuf_reset(&rs->hold);
        return MIN(k, 0);
}

/* Held lines that cannot wait (too many, a long line): taken as a Secret's. */
static int k8s_force_secret(struct redact_stream *rs)
{
        int col = rs->k8s.hold_col;

        rs->k8s.hold_col = -1;
        rs->k8s.secret_col = col;
        if (rs->k8s.data_col >= 0)
                rs->k8s.data_redact = true;
        return k8s_release(rs, true);
}

/* The tracker's verdict on a complete line: 1 when the line was consumed
 * (held or written), 0 when it is processed as usual. */
static int k8s_handle(struct redact_stream *rs, const char *text, size_t len, enum eol eol)
{
        struct redactor *r = rs->r;
        bool hinted = (rs->scanned_mask >> r->k8s_rule) & 1;
        enum k8s_release rel;
        enum k8s_verdict v = k8s_line(&rs->k8s, text, len, hinted, &rel);
        int k = 0;

        if (rel != K8S_RELEASE_NONE)
                k = k8s_release(rs, rel == K8S_RELEASE_SECRET);
        if (k < 0 || v == K8S_PASS)
                return k;
        if (v == K8S_REDACT)
                return k8s_emit_redacted(rs, text, len, eol);
        if (rs->hold.len + len + 2 <= K8S_HOLD_MAX) {
                k = dynbuf_addc(&rs->hold, v == K8S_HOLD_DATA ? 'D' : 'O');
                if (k >= 0)
                        k = dynbuf_add(&rs->hold, text, len);
                if (k >= 0)
                        k = dynbuf_addc(&rs->hold, '\n');
                return k < 0 ? k : 1;
        }
        k = k8s_force_secret(rs);
        if (k < 0 || v == K8S_HOLD_OTHER)
                return k;
        return k8s_emit_redacted(rs, text, len, eol);
}

/* The first piece of a long line: inside a Secret's data block (or held data)
 * the whole line is replaced. 1 when swallowed. */
static int k8s_piece(struct redact_stream *rs, const char *text, size_t len)
{
        size_t ind = 0;
        int k;

        if (rs->r->k8s_rule < 0 || rs->ctx != 0)
                return 0;
        if (rs->hold.len > 0) {
                k = k8s_force_secret(rs);
                if (k < 0)
                        return k;
        }
        while (ind < len && (text[ind] == ' ' || text[ind] == '\t'))
                ind++;
        if (rs->k8s.data_col < 0 || !rs->k8s.data_redact || ind <= (size_t) rs->k8s.data_col)
                return 0;
        rs->k8s_piece = true;
        return 1;
}

/* A complete line. */
/* A complete line text[0, len); eol tells whether text[len] is its '\n'. */
static int handle_line(struct redact_stream *rs, const char *text, size_t len, enum eol eol)
{
        struct redactor *r = rs->r;
        size_t ctx = rs->ctx, cut, s, e;
        int k;

        rs->ctx = 0;
        rs->scanned = NULL; /* an earlier line's scan: the text may be at the same place */
        if (rs->line_binary || (rs->utf8_done && memchr(text + ctx, 0, len - ctx))) {
                char note[80];
                int n;

                rs->line_binary = false;
                rs->cont_rule = -1;
                rs->open_span = false;
                n = snprintf(note, sizeof(note), "[binary data skipped: %zu bytes]\n", len);
                return stream_write(rs, note, (size_t) n);
        }

        if (rs->block_rule >= 0) {
                const struct rule *rule = &r->rules[rs->block_rule];
                bool piece = rs->block_piece;

                rs->block_piece = false;
                if (match_at(r, rule->end_re, text + ctx, len - ctx, &s, &e)) {
                        k = emit_marker_line(rs, rs->block_rule);
                        rs->block_rule = -1;
                        if (k < 0)
                                return k;
                        /* the part before the end marker is key material, unless it is
                         * only indentation or a diff or quote prefix */
                        size_t keep = ctx + s;

                        for (size_t j = ctx; j < ctx + s; j++)
                                if (!strchr(" \t+-\"'", text[j])) {
                                        keep = 0;
                                        break;
                                }
                        keep = keep ? ctx : ctx + s;
                        text += keep;
                        len -= keep;
                        ctx = 0;
                        rs->cont_rule = -1;
                        rs->open_span = false;
                        return process_text(rs, text, len, 0, true, eol, &cut);
                }
                if (piece || continues_block(text + ctx, len - ctx))
                        return 0; /* swallowed */
                k = emit_marker_line(rs, rs->block_rule);
                rs->block_rule = -1;
                if (k < 0)
                        return k;
                if (ctx > 0) /* cannot happen: pieces inside a block set block_piece */
                        return process_text(rs, text, len, ctx, true, eol, &cut);
        }

        if (rs->k8s_piece) { /* the end of a long data entry of a Secret */
                rs->k8s_piece = false;
                return emit_marker_line(rs, r->k8s_rule);
        }
        if (ctx == 0 && (r->multiline || r->k8s_rule >= 0))
                (void) stream_scan(rs, text, len, true);
        if (ctx == 0 && r->k8s_rule >= 0 && !rs->releasing &&
            (((rs->scanned_mask >> r->k8s_rule) & 1) || k8s_active(&rs->k8s))) {
                k = k8s_handle(rs, text, len, eol);
                if (k != 0)
                        return MIN(k, 0);
                if (rs->scanned != text) /* held lines were processed meanwhile */
                        (void) stream_scan(rs, text, len, true);
        }
        if (ctx == 0 && r->multiline && (rs->scanned_mask & r->multiline)) {
                for (size_t i = 0; i < r->n_rules; i++) {
                        const struct rule *rule = &r->rules[i];
                        size_t s2, e2;

                        if (!rule->multiline || !match_at(r, rule->re, text, len, &s, &e))
                                continue;
                        if (match_at(r, rule->end_re, text + e, len - e, &s2, &e2))
                                continue; /* begins and ends here: the inline rules see it */
                        /* The line up to the header stays; the block starts after it. */
                        rs->cont_rule = -1;
                        k = process_text(rs, text, e, 0, true, EOL_ADD, &cut);
                        if (k < 0)
                                return k;
                        rs->block_rule = (int) i;
                        return 0;
                }
        }
        return process_text(rs, text, len, ctx, true, eol, &cut);
}

/* Processes a piece of the long line held in buf. */
static int handle_piece(struct redact_stream *rs)
{
        char *text = rs->buf.buf;
        size_t len = rs->buf.len, cut, keep;
        int k;

        if (!rs->k8s_piece && rs->block_rule < 0 && !rs->line_binary) {
                k = k8s_piece(rs, text, len);
                if (k < 0)
                        return k;
        }
        if (rs->k8s_piece) {
                dynbuf_reset(&rs->buf);
                rs->ctx = 0;
                return 0;
        }
        if (rs->block_rule >= 0 || rs->line_binary) {
                rs->block_piece = rs->block_rule >= 0;
                dynbuf_reset(&rs->buf);
                rs->ctx = 0;
                return 0;
        }
        if (rs->utf8_done && memchr(text + rs->ctx, 0, len - rs->ctx)) {
                rs->line_binary = true;
                dynbuf_reset(&rs->buf);
                rs->ctx = 0;
                return 0;
        }
        k = process_text(rs, text, len, rs->ctx, false, EOL_NONE, &cut);
        if (k < 0)
                return k;
        keep = cut > CONTEXT_KEEP ? cut - CONTEXT_KEEP : 0;
        memmove(text, text + keep, len - keep);
        rs->buf.len = len - keep;
        rs->buf.buf[rs->buf.len] = 0;
        rs->ctx = cut - keep;
        return 0;
}

/* Whether the 8 bytes at p are all printable ASCII (0x20..0x7f): a word at a
 * time, as most log text is. */
static bool printable8(const uint8_t *p)
{
        const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
        uint64_t x;

        memcpy(&x, p, sizeof(x));
        /* no byte >= 0x80, and none below 0x20 (exact once no high bit is set) */
        return !(x & high) && !((x - 0x20 * ones) & ~x & high);
}

static size_t utf8_invalid(const uint8_t *p, size_t n)
{
        size_t bad = 0, i = 0;

        while (i < n) {
                uint8_t c = p[i];
                size_t need;

                if (i + 8 <= n && printable8(p + i)) {
                        i += 8;
                        continue;
                }

                if (c < 0x80) {
                        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' &&
                            c != '\v' && c != 0x1b && c != '\b')
                                bad++;
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        need = 1;
                else if (c >= 0xe0 && c <= 0xef)
                        need = 2;
                else if (c >= 0xf0 && c <= 0xf4)
                        need = 3;
                else {
                        bad++;
                        i++;
                        continue;
                }
                if (i + need >= n) /* cut by the sample end: not counted */
                        break;
                size_t j = 1;
                while (j <= need && (p[i + j] & 0xc0) == 0x80)
                        j++;
                if (j <= need) {
                        bad++;
                        i++;
                        continue;
                }
                i += need + 1;
        }
        return bad;
}

static void sample(struct redact_stream *rs, const char *data, size_t len)
{
        if (rs->seen < SAMPLE_NUL) {
                size_t n = (size_t) MIN((uint64_t) len, SAMPLE_NUL - rs->seen);

                if (memchr(data, 0, n))
                        rs->binary = true;
        }
        if (!rs->utf8_done) {
                size_t n = (size_t) MIN((uint64_t) len, SAMPLE_UTF8 - rs->seen);

                rs->utf8_bad += utf8_invalid((const uint8_t *) data, n);
                if (rs->seen + n >= SAMPLE_UTF8) {
                        rs->utf8_done = true;
                        if (rs->utf8_bad * 10 > SAMPLE_UTF8 * 3)
                                rs->binary = true;
                }
        }
        rs->seen += len;
        if (rs->seen >= SAMPLE_NUL)
                rs->utf8_done = true;
}

int redact_stream_new(struct redactor *r, const char *member, redact_write_fn write, void *userdata,
                      struct redact_stream **ret)
{
        struct redact_stream *rs;

        if (!r || !write || !ret)
                return -EINVAL;
        rs = xcalloc(1, sizeof(*rs));
        if (!rs)
                return -ENOMEM;
        rs->r = r;
        rs->member = xstrdup(member ? member : "");
        rs->counts = xcalloc(r->n_rules + 1, sizeof(uint64_t));
        if (!rs->member || !rs->counts) {
                free(rs->member);
                free(rs->counts);
                free(rs);
                return -ENOMEM;
        }
        rs->write = write;
        rs->userdata = userdata;
        rs->cont_rule = -1;
        rs->block_rule = -1;
        rs->next_rule = -1;
        k8s_reset(&rs->k8s);
        dynbuf_init(&rs->buf, WINDOW + 1);
        dynbuf_init(&rs->hold, K8S_HOLD_MAX + 1);
        *ret = rs;
        return 0;
}

int redact_stream_feed(struct redact_stream *rs, const char *data, size_t len)
{
        const char *p = data, *end = data + len;
        int k;

        if (!rs || (!data && len > 0))
                return -EINVAL;
        if (rs->error < 0)
                return rs->error;
        if (rs->binary)
                return 0;
        sample(rs, data, len);
        if (rs->binary) {
                dynbuf_reset(&rs->buf);
                return 0;
        }

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                if (nl && rs->buf.len == 0 && (size_t) (nl - p) < WINDOW) {
                        k = handle_line(rs, p, (size_t) (nl - p), EOL_IN_TEXT);
                        if (k < 0)
                                return k;
                        p = nl + 1;
                        continue;
                }
                /* Append to the unfinished line, up to the window size. */
                size_t want = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
                size_t room = WINDOW - rs->buf.len;
                size_t n = MIN(want, room);

                k = dynbuf_add(&rs->buf, p, n);
                if (k < 0)
                        return k;
                p += n;
                if (nl && n == want) {
                        k = handle_line(rs, rs->buf.buf, rs->buf.len - 1, EOL_IN_TEXT);
                        dynbuf_reset(&rs->buf);
                        if (k < 0)
                                return k;
                } else if (rs->buf.len >= WINDOW) {
                        k = handle_piece(rs);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

int redact_stream_feed_line(struct redact_stream *rs, const char *line, size_t len)
{
        if (!rs || !line)
                return -EINVAL;
        /* the general way: an error or binary content to say, an unfinished
         * line before it, a line for the window's pieces, the sampled start */
        if (rs->error < 0 || rs->binary || rs->buf.len > 0 || len >= WINDOW || !rs->utf8_done ||
            rs->seen < SAMPLE_NUL)
                return redact_stream_feed(rs, line, len + 1);
        rs->seen += len + 1;
        return handle_line(rs, line, len, EOL_IN_TEXT);
}

static void stream_merge(struct redact_stream *rs)
{
        struct redactor *r = rs->r;
        json_t *m = NULL;

        if (rs->merged)
                return;
        rs->merged = true;
        r->masked += rs->masked;
        for (size_t i = 0; i < r->n_rules; i++) {
                if (!rs->counts[i])
                        continue;
                r->by_rule[i] += rs->counts[i];
                r->total += rs->counts[i];
                if (!m) {
                        m = json_object_get(r->by_member, rs->member);
                        if (!m) {
                                m = json_object();
                                if (!m || json_object_set_new(r->by_member, rs->member, m) < 0)
                                        return;
                        }
                }
                json_int_t prev = json_integer_value(json_object_get(m, r->rules[i].name));
                (void) json_object_set_new(m, r->rules[i].name,
                                           json_integer(prev + (json_int_t) rs->counts[i]));
        }
        if (rs->binary)
                (void) redactor_note_skipped(r, rs->member, "binary content");
}

int redact_stream_finish(struct redact_stream *rs)
{
        int k = 0;

        if (!rs)
                return -EINVAL;
        if (rs->error < 0)
                return rs->error;
        if (!rs->binary && !rs->utf8_done && rs->seen > 0) {
                rs->utf8_done = true;
                if (rs->utf8_bad * 10 > rs->seen * 3)
                        rs->binary = true;
        }
        if (!rs->binary && rs->buf.len > 0) {
                k = handle_line(rs, rs->buf.buf, rs->buf.len, EOL_NONE);
                dynbuf_reset(&rs->buf);
        }
        if (k >= 0 && !rs->binary && rs->hold.len > 0) /* the object ended with the member */
                k = k8s_release(rs, false);
        if (k >= 0 && !rs->binary && rs->block_rule >= 0) {
                k = emit_marker_line(rs, rs->block_rule);
                rs->block_rule = -1;
        }
        stream_merge(rs);
        return k;
}

bool redact_stream_binary(const struct redact_stream *rs)
{
        return rs && rs->binary;
}

struct redact_stream *redact_stream_free(struct redact_stream *rs)
{
        if (!rs)
                return NULL;
        stream_merge(rs);
        dynbuf_done(&rs->buf);
        dynbuf_done(&rs->hold);
        free(rs->counts);
        free(rs->member);
        free(rs);
        return NULL;
}

struct collect_buf {
        struct dynbuf b;
};

static int collect_write(void *userdata, const char *data, size_t len)
{
        struct collect_buf *c = userdata;

        return dynbuf_add(&c->b, data, len);
}

int redact_buffer(struct redactor *r, const char *member, const char *data, size_t len, char **ret,
                  size_t *ret_len)
{
        _cleanup_(redact_stream_freep) struct redact_stream *rs = NULL;
        struct collect_buf c;
        int k;

        if (!r || !ret)
                return -EINVAL;
        dynbuf_init(&c.b, SIZE_MAX / 2);
        k = redact_stream_new(r, member, collect_write, &c, &rs);
        if (k >= 0)
                k = redact_stream_feed(rs, data, len);
        if (k >= 0)
                k = redact_stream_finish(rs);
        if (k >= 0 && redact_stream_binary(rs))
                k = -EMEDIUMTYPE;
        if (k < 0) {
                dynbuf_done(&c.b);
                return k;
        }
        if (ret_len)
                *ret_len = c.b.len;
        *ret = c.b.buf ? dynbuf_steal(&c.b) : xstrdup("");
        return *ret ? 0 : -ENOMEM;
}
