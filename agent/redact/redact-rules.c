/* SPDX-License-Identifier: MIT */
/*
 * Redaction rules: read from the "redaction" policy section on top of the
 * built-in section (the compiled-in copy of policies/redaction.yaml, so the
 * shipped file and the defaults are one text), compiled with PCRE2 and JIT.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc-util.h"
#include "litscan.h"
#include "policy/builtin-policies.h"
#include "policy/pnode.h"
#include "redact/redact-internal.h"
#include "strv.h"

static const char *const section_keys[] = {
        "rules", "disable", "extra_secret_keys", "mask", NULL,
};

static const char *const rule_keys[] = {
        "name",      "description", "regex", "hints",   "hints_not_in", "key",       "keep",
        "multiline", "end",         "next",  "entropy", "weak_key",     "weak_keep", NULL,
};

void rule_done(struct rule *rule)
{
        if (!rule)
                return;
        free(rule->name);
        free(rule->marker);
        pcre2_code_free(rule->re);
        pcre2_code_free(rule->key_re);
        pcre2_code_free(rule->keep_re);
        pcre2_code_free(rule->weak_key_re);
        pcre2_code_free(rule->weak_keep_re);
        pcre2_code_free(rule->end_re);
        pcre2_code_free(rule->next_re);
        strv_free(rule->hints);
        strv_free(rule->hints_not_in);
        *rule = (struct rule) {};
}

int redact_builtin_tree(struct pnode **ret_tree, const struct pnode **ret_section, char **ret_error)
{
        return policy_builtin_section("redaction.yaml", "redaction", ret_tree, ret_section,
                                      ret_error);
}

/* Compiles re (whole-string match when anchored) into *ret; JIT when possible. */
static int compile_regex(const struct pnode *where, const char *rule, const char *what,
                         const char *re, bool anchored, pcre2_code **ret, char **ret_error)
{
        _cleanup_free_ char *wrapped = NULL;
        PCRE2_SIZE erroff;
        pcre2_code *code;
        int errcode;

        if (anchored) {
                wrapped = xasprintf("(?:%s)", re);
                if (!wrapped)
                        return -ENOMEM;
                re = wrapped;
        }
        code = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED,
                             anchored ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0, &errcode, &erroff,
                             NULL);
        if (!code) {
                PCRE2_UCHAR msg[256];

                if (errcode == PCRE2_ERROR_NOMEMORY)
                        return -ENOMEM;
                (void) pcre2_get_error_message(errcode, msg, sizeof(msg));
                if (ret_error)
                        *ret_error = pnode_error(where, "rule '%s': bad %s regex: %s at offset %zu",
                                                 rule, what, (const char *) msg,
                                                 (size_t) erroff - (anchored ? 3 : 0));
                return -EINVAL;
        }
        /* JIT code is made on the pattern's first use (redact.c's re_run()) */
        *ret = code;
        return 0;
}

double shannon_entropy(const char *p, size_t n)
{
        unsigned counts[256] = {};
        double h = 0;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                counts[(unsigned char) p[i]]++;
        for (unsigned i = 0; i < 256; i++)
                if (counts[i]) {
                        double f = (double) counts[i] / (double) n;

                        h -= f * log2(f);
                }
        return h;
}

/* The optional "entropy" threshold: a number of bits per byte in (0, 8]. */
static int node_entropy(const struct pnode *rule, double *ret, char **ret_error)
{
        const struct pnode *n = pnode_get(rule, "entropy");
        char *end = NULL;
        double v;

        *ret = 0;
        if (!n)
                return 0;
        if (n->type == PNODE_SCALAR && n->value) {
                errno = 0;
                v = strtod(n->value, &end);
                if (errno == 0 && end != n->value && *end == 0 && v > 0 && v <= 8) {
                        *ret = v;
                        return 0;
                }
        }
        if (ret_error)
                *ret_error = pnode_error(n, "'entropy' must be a number of bits per byte in "
                                            "(0, 8]");
        return -EINVAL;
}

static int node_string(const struct pnode *rule, const char *key, const char **ret,
                       char **ret_error)
{
        const struct pnode *n = pnode_get(rule, key);

        *ret = NULL;
        if (!n)
                return 0;
        if (n->type != PNODE_SCALAR) {
                if (ret_error)
                        *ret_error = pnode_error(n, "'%s' must be a string", key);
                return -EINVAL;
        }
        *ret = n->value;
        return 0;
}

static bool valid_name(const char *s)
{
        if (isempty(s) || strlen(s) > 64)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return false;
        return true;
}

/* The optional regexes of a rule: YAML key, what the error calls it, whether it must match
 * a whole string, and where it goes. */
struct rule_regex {
        const char *key;
        const char *what;
        bool anchored;
        size_t offset;
};

static const struct rule_regex rule_regexes[] = {
        { "regex", "match", false, offsetof(struct rule, re) },
        { "key", "key", true, offsetof(struct rule, key_re) },
        { "weak_key", "weak_key", true, offsetof(struct rule, weak_key_re) },
        { "keep", "keep", true, offsetof(struct rule, keep_re) },
        { "weak_keep", "weak_keep", true, offsetof(struct rule, weak_keep_re) },
        { "end", "end", false, offsetof(struct rule, end_re) },
        { "next", "next", false, offsetof(struct rule, next_re) },
};

/* -EINVAL with "rule 'NAME': what" located at n. */
static int rule_fail(const struct pnode *n, char **ret_error, const char *name, const char *what)
{
        if (ret_error)
                *ret_error = pnode_error(n, "rule '%s': %s", name, what);
        return -EINVAL;
}

static int rule_compile_regexes(const struct pnode *n, const char *name, struct rule *rule,
                                char **ret_error)
{
        int r;

        for (size_t i = 0; i < ELEMENTSOF(rule_regexes); i++) {
                const struct rule_regex *x = &rule_regexes[i];
                const char *v;

                r = node_string(n, x->key, &v, ret_error);
                if (r < 0)
                        return r;
                if (!v)
                        continue;
                r = compile_regex(pnode_get(n, x->key), name, x->what, v, x->anchored,
                                  (pcre2_code **) ((char *) rule + x->offset), ret_error);
                if (r < 0)
                        return r;
        }
        if (!rule->re)
                return rule_fail(n, ret_error, name, "no regex");
        if (rule->multiline != !!rule->end_re)
                return rule_fail(n, ret_error, name, "'end' goes with 'multiline: true'");
        if (rule->next_re &&
            pcre2_substring_number_from_name(rule->next_re, (PCRE2_SPTR) "secret") <= 0)
                return rule_fail(pnode_get(n, "next"), ret_error, name,
                                 "'next' needs a (?<secret>...) group");
        if ((rule->weak_key_re || rule->weak_keep_re) && !rule->key_re)
                return rule_fail(n, ret_error, name, "'weak_key' and 'weak_keep' go with 'key'");
        return 0;
}

/* The literals under key (hints, hints_not_in) into *ret: each of
 * LITSCAN_MIN..LITSCAN_MAX bytes, as the literal scan takes them. */
static int rule_literals(const struct pnode *n, const char *key, const char *what, const char *name,
                         char ***ret, char **ret_error)
{
        const struct pnode *hn = pnode_get(n, key);
        int r;

        if (!hn)
                return 0;
        r = pnode_to_strv(hn, ret, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(l, *ret) {
                size_t len = strlen(*l);

                if (len >= LITSCAN_MIN && len <= LITSCAN_MAX)
                        continue;
                if (ret_error)
                        *ret_error = len < LITSCAN_MIN ?
                                             pnode_error(hn,
                                                         "rule '%s': %s '%s' is shorter than %u "
                                                         "bytes%s",
                                                         name, what, *l, LITSCAN_MIN,
                                                         streq(key, "hints") ?
                                                                 " (a short hint would run the "
                                                                 "regex on almost every line)" :
                                                                 "") :
                                             pnode_error(hn,
                                                         "rule '%s': a %s is longer than %u "
                                                         "bytes",
                                                         name, what, LITSCAN_MAX);
                return -EINVAL;
        }
        return 0;
}

/* Whether the ASCII-caseless text of word holds hint. */
static bool word_holds(const char *word, const char *hint)
{
        size_t wl = strlen(word), hl = strlen(hint);

        for (size_t i = 0; i + hl <= wl; i++)
                if (strncasecmp(word + i, hint, hl) == 0)
                        return true;
        return false;
}

/* Whether hint could lie partly in word and partly beside it, or hold it:
 * taking the word out of a line would then take part of the hint (caseless). */
static bool hint_straddles(const char *word, const char *hint)
{
        size_t wl = strlen(word), hl = strlen(hint);

        if (word_holds(hint, word))
                return true;
        for (size_t k = 1; k < hl && k <= wl; k++)
                if (strncasecmp(word + wl - k, hint, k) == 0 ||
                    strncasecmp(word, hint + hl - k, k) == 0)
                        return true;
        return false;
}

/* hints_not_in: words (as long as hints) that each hold one of the rule's
 * hints, and that no hint straddles; a hint inside them does not count (see
 * redact.c's hint_scan()). */
static int rule_hints_not_in(const struct pnode *n, const char *name, struct rule *rule,
                             char **ret_error)
{
        const struct pnode *hn = pnode_get(n, "hints_not_in");
        int r;

        r = rule_literals(n, "hints_not_in", "hints_not_in word", name, &rule->hints_not_in,
                          ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(w, rule->hints_not_in) {
                bool holds = false;

                STRV_FOREACH(h, rule->hints) {
                        if (word_holds(*w, *h))
                                holds = true;
                        else if (hint_straddles(*w, *h)) {
                                if (ret_error)
                                        *ret_error = pnode_error(
                                                hn,
                                                "rule '%s': hint '%s' overlaps hints_not_in "
                                                "'%s' (taking the word out of a line would "
                                                "take part of the hint)",
                                                name, *h, *w);
                                return -EINVAL;
                        }
                }
                if (!holds) {
                        if (ret_error)
                                *ret_error = pnode_error(hn,
                                                         "rule '%s': hints_not_in '%s' holds "
                                                         "none of the rule's hints",
                                                         name, *w);
                        return -EINVAL;
                }
        }
        return 0;
}

/* Compiles one rule description into out. */
static int rule_compile(const struct pnode *n, struct rule *out, char **ret_error)
{
        _cleanup_(rule_done) struct rule rule = {};
        const char *name;
        int r, g;

        r = pnode_check_keys(n, "redaction.rules", rule_keys, ret_error);
        if (r < 0)
                return r;
        r = node_string(n, "name", &name, ret_error);
        if (r < 0)
                return r;
        if (!valid_name(name)) {
                if (ret_error)
                        *ret_error = pnode_error(n,
                                                 "a rule needs a name of [a-z0-9-] (at most 64)");
                return -EINVAL;
        }
        r = pnode_to_bool(pnode_get(n, "multiline"), &rule.multiline, ret_error);
        if (r >= 0)
                r = node_entropy(n, &rule.entropy, ret_error);
        if (r >= 0)
                r = rule_compile_regexes(n, name, &rule, ret_error);
        if (r < 0)
                return r;

        rule.name = xstrdup(name);
        rule.marker = xasprintf("[REDACTED:%s]", name);
        if (!rule.name || !rule.marker)
                return -ENOMEM;
        rule.marker_len = strlen(rule.marker);

        g = pcre2_substring_number_from_name(rule.re, (PCRE2_SPTR) "secret");
        rule.secret_group = g > 0 ? (uint32_t) g : 0;
        g = pcre2_substring_number_from_name(rule.re, (PCRE2_SPTR) "key");
        rule.key_group = g > 0 ? (uint32_t) g : 0;
        if (rule.key_re && !rule.key_group)
                return rule_fail(pnode_get(n, "key"), ret_error, name,
                                 "'key' needs a (?<key>...) group");
        r = rule_literals(n, "hints", "hint", name, &rule.hints, ret_error);
        if (r >= 0)
                r = rule_hints_not_in(n, name, &rule, ret_error);
        if (r < 0)
                return r;
        *out = rule;
        rule = (struct rule) {};
        return 0;
}

static int check_word(const struct pnode *n, const char *w, char **ret_error)
{
        if (strlen(w) < 3 || strlen(w) > 64)
                goto bad;
        for (const char *p = w; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
                        goto bad;
        return 0;
bad:
        if (ret_error)
                *ret_error = pnode_error(n,
                                         "extra_secret_keys: '%s' must be 3-64 characters "
                                         "of [A-Za-z0-9_.-]",
                                         w);
        return -EINVAL;
}

/* The rule generated from extra_secret_keys (needs the built-in secret-key-value regex). */
static int extra_rule(const struct pnode *words_node, char **words, const char *kv_regex,
                      struct rule *out, char **ret_error)
{
        _cleanup_(rule_done) struct rule rule = {};
        _cleanup_free_ char *alt = NULL, *key = NULL;
        int r;

        STRV_FOREACH(w, words) {
                r = check_word(words_node, *w, ret_error);
                if (r < 0)
                        return r;
        }
        alt = strv_join(words, "|");
        if (!alt)
                return -ENOMEM;
        /* '.' and '-' are literal in the words. */
        {
                _cleanup_free_ char *esc = xmalloc(strlen(alt) * 2 + 1);
                char *q = esc;

                if (!esc)
                        return -ENOMEM;
                for (const char *p = alt; *p; p++) {
                        if (*p == '.' || *p == '-')
                                *q++ = '\\';
                        *q++ = *p;
                }
                *q = 0;
                key = xasprintf("(?:[A-Za-z0-9_.\\-]*?[_.\\-]|)(?i:%s)"
                                "(?:[_.\\-]?(?i:key|token|secret|value))*",
                                esc);
        }
        rule.name = xstrdup("extra-secret-key");
        rule.marker = xstrdup("[REDACTED:extra-secret-key]");
        rule.hints = strv_copy(words);
        if (!key || !rule.name || !rule.marker || !rule.hints)
                return -ENOMEM;
        rule.marker_len = strlen(rule.marker);
        r = compile_regex(words_node, rule.name, "match", kv_regex, false, &rule.re, ret_error);
        if (r >= 0)
                r = compile_regex(words_node, rule.name, "key", key, true, &rule.key_re, ret_error);
        if (r < 0)
                return r;
        rule.secret_group = (uint32_t) MAX(0,
                                           pcre2_substring_number_from_name(rule.re,
                                                                            (PCRE2_SPTR) "secret"));
        rule.key_group = (uint32_t) MAX(0, pcre2_substring_number_from_name(rule.re,
                                                                            (PCRE2_SPTR) "key"));
        *out = rule;
        rule = (struct rule) {};
        return 0;
}

static const char *rule_name_of(const struct pnode *n)
{
        const struct pnode *v = pnode_get(n, "name");

        return v && v->type == PNODE_SCALAR ? v->value : NULL;
}

#define RULE_DEFS_MAX (REDACT_RULES_MAX * 2)

/* The rule definitions of the shipped section, then the site's: a rule of the
 * same name replaces the shipped one. */
static int collect_defs(const struct pnode *base, const struct pnode *section,
                        const struct pnode **defs, size_t *n_defs, char **ret_error)
{
        int r;

        for (int pass = 0; pass < 2; pass++) {
                const struct pnode *rules_node = pnode_get(pass == 0 ? base : section, "rules");

                if (!rules_node)
                        continue;
                r = pnode_expect(rules_node, PNODE_SEQ, "a list of rules", ret_error);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < rules_node->n_items; i++) {
                        const struct pnode *d = rules_node->items[i];
                        const char *name;
                        size_t j;

                        r = pnode_expect(d, PNODE_MAP, "a rule (a map)", ret_error);
                        if (r < 0)
                                return r;
                        name = rule_name_of(d);
                        for (j = 0; j < *n_defs; j++)
                                if (name && rule_name_of(defs[j]) &&
                                    streq(name, rule_name_of(defs[j])))
                                        break;
                        if (j < *n_defs) {
                                defs[j] = d; /* same name: replaces */
                                continue;
                        }
                        if (*n_defs >= RULE_DEFS_MAX) {
                                if (ret_error)
                                        *ret_error = pnode_error(d, "too many rules");
                                return -EINVAL;
                        }
                        defs[(*n_defs)++] = d;
                }
        }
        return 0;
}

static int add_disabled(const struct pnode *dn, char **l, const struct pnode *const *defs,
                        size_t n_defs, char ***disable, char **ret_error)
{
        STRV_FOREACH(name, l) {
                bool found = false;

                for (size_t j = 0; j < n_defs; j++)
                        if (rule_name_of(defs[j]) && streq(*name, rule_name_of(defs[j])))
                                found = true;
                if (!found) {
                        if (ret_error)
                                *ret_error = pnode_error(dn, "disable: no rule named '%s'", *name);
                        return -EINVAL;
                }
                if (strv_extend(disable, *name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int add_extra(const struct pnode *dn, char **l, char ***extra, char **ret_error)
{
        int r;

        STRV_FOREACH(w, l) {
                r = check_word(dn, *w, ret_error);
                if (r < 0)
                        return r;
                if (!strv_contains(*extra, *w) && strv_extend(extra, *w) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* `disable:` (names that must exist) and `extra_secret_keys:` of both sections. */
static int collect_lists(const struct pnode *base, const struct pnode *section,
                         const struct pnode *const *defs, size_t n_defs, char ***disable,
                         char ***extra, char **ret_error)
{
        int r;

        for (int pass = 0; pass < 2; pass++) {
                const struct pnode *src = pass == 0 ? base : section;
                _cleanup_strv_free_ char **d = NULL, **e = NULL;
                const struct pnode *dn = pnode_get(src, "disable");
                const struct pnode *en = pnode_get(src, "extra_secret_keys");

                r = pnode_to_strv(dn, &d, ret_error);
                if (r >= 0)
                        r = add_disabled(dn, d, defs, n_defs, disable, ret_error);
                if (r >= 0)
                        r = pnode_to_strv(en, &e, ret_error);
                if (r >= 0)
                        r = add_extra(en, e, extra, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Compiles the enabled rules into rules[] (a disabled rule is still validated,
 * so that a typo in it is reported); returns the number compiled or -errno. */
static int compile_defs(const struct pnode *const *defs, size_t n_defs, char **disable,
                        struct rule *rules, const struct pnode **ret_kv, char **ret_error)
{
        size_t n = 0;
        int r;

        for (size_t i = 0; i < n_defs; i++) {
                const char *name = rule_name_of(defs[i]);
                struct rule tmp = {};

                if (name && streq(name, "secret-key-value"))
                        *ret_kv = pnode_get(defs[i], "regex");
                if (name && strv_contains(disable, name)) {
                        r = rule_compile(defs[i], &tmp, ret_error);
                        rule_done(&tmp);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = rule_compile(defs[i], &rules[n], ret_error);
                if (r < 0)
                        return r;
                n++;
        }
        return (int) n;
}

int rules_load(const struct pnode *section, struct rule **ret, size_t *ret_n, char **ret_error)
{
        _cleanup_(pnode_freep) struct pnode *tree = NULL;
        _cleanup_strv_free_ char **disable = NULL, **extra = NULL;
        const struct pnode *defs[RULE_DEFS_MAX];
        const struct pnode *base, *kv = NULL;
        struct rule *rules = NULL;
        size_t n_defs = 0, n = 0;
        int r;

        r = redact_builtin_tree(&tree, &base, ret_error);
        if (r >= 0)
                r = pnode_check_keys(base, "redaction", section_keys, ret_error);
        if (r >= 0 && section)
                r = pnode_check_keys(section, "redaction", section_keys, ret_error);
        if (r >= 0)
                r = collect_defs(base, section, defs, &n_defs, ret_error);
        if (r >= 0)
                r = collect_lists(base, section, defs, n_defs, &disable, &extra, ret_error);
        if (r < 0)
                return r;

        rules = xcalloc(n_defs + 1, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        r = compile_defs(defs, n_defs, disable, rules, &kv, ret_error);
        if (r < 0)
                goto fail;
        n = (size_t) r;
        if (extra && extra[0]) {
                if (!kv || kv->type != PNODE_SCALAR) {
                        if (ret_error)
                                *ret_error = xstrdup("extra_secret_keys needs the "
                                                     "secret-key-value rule");
                        r = -EINVAL;
                        goto fail;
                }
                r = extra_rule(pnode_get(section ? section : base, "extra_secret_keys"), extra,
                               kv->value, &rules[n], ret_error);
                if (r < 0)
                        goto fail;
                n++;
        }
        if (n > REDACT_RULES_MAX) {
                if (ret_error)
                        *ret_error = xasprintf("at most %d redaction rules", REDACT_RULES_MAX);
                r = -EINVAL;
                goto fail;
        }
        *ret = rules;
        *ret_n = n;
        return 0;
fail:
        for (size_t i = 0; i < n_defs + 1; i++)
                rule_done(&rules[i]);
        free(rules);
        return r;
}
