/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes Secret manifests: the values under "data:" and "stringData:" of
 * an object of "kind: Secret" are secret whatever their key names. A manifest
 * is followed line by line by indentation (YAML, and pretty-printed JSON whose
 * keys are indented the same way); "kubectl get -o yaml" writes "data:"
 * before "kind:", so a data block whose object's kind is not known yet is held
 * back (by the stream, bounded) until the kind is seen or the object ends. One-
 * line JSON ({"kind":"Secret","data":{...}}, as in last-applied-configuration
 * annotations, JSON-escaped or not) is handled within the line. Non-logging.
 */
#include <stdbool.h>
#include <string.h>

#include "redact/redact-internal.h"

/* One line, as far as the tracker cares. */
struct yline {
        bool blank; /* empty or a comment */
        bool sep;   /* "---" or "..." */
        size_t ind; /* column of the first character that is not a space */
        size_t col; /* column of the key (after "- ") */
        bool has_key;
        const char *key;
        size_t key_len;
        size_t vs, ve; /* the value (key lines) or the content (other lines) */
};

static bool is_key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-' || c == '/';
}

static size_t skip_blank(const char *t, size_t i, size_t len)
{
        while (i < len && (t[i] == ' ' || t[i] == '\t'))
                i++;
        return i;
}

static void yline_key(const char *t, size_t len, size_t i, struct yline *y)
{
        char q = 0;
        size_t ks;

        if (i < len && (t[i] == '"' || t[i] == '\''))
                q = t[i++];
        ks = i;
        while (i < len && is_key_char(t[i]))
                i++;
        if (i == ks)
                return;
        y->key = t + ks;
        y->key_len = i - ks;
        if (q) {
                if (i >= len || t[i] != q)
                        return;
                i++;
        }
        i = skip_blank(t, i, len);
        if (i >= len || t[i] != ':' || (i + 1 < len && t[i + 1] != ' ' && t[i + 1] != '\t'))
                return;
        y->has_key = true;
        y->vs = skip_blank(t, i + 1, len);
}

static void yline_parse(const char *t, size_t len, struct yline *y)
{
        size_t i, e = len;

        *y = (struct yline) {};
        i = skip_blank(t, 0, len);
        y->ind = y->col = i;
        if (i >= len || t[i] == '#' || t[i] == '\r') {
                y->blank = true;
                return;
        }
        if (i == 0 && len >= 3 && (memcmp(t, "---", 3) == 0 || memcmp(t, "...", 3) == 0) &&
            skip_blank(t, 3, len) >= len - (t[len - 1] == '\r')) {
                y->sep = true;
                return;
        }
        if (t[i] == '-' && (i + 1 == len || t[i + 1] == ' ')) {
                i = skip_blank(t, i + 1, len);
                y->col = i;
        }
        y->vs = i;
        yline_key(t, len, i, y);
        while (e > y->vs && (t[e - 1] == '\r' || t[e - 1] == ' ' || t[e - 1] == '\t'))
                e--;
        if (e > y->vs && t[e - 1] == ',') /* JSON */
                e--;
        y->ve = MAX(e, y->vs);
}

static bool key_is(const struct yline *y, const char *k)
{
        return y->has_key && y->key_len == strlen(k) && memcmp(y->key, k, y->key_len) == 0;
}

static bool value_is(const char *t, const struct yline *y, const char *v)
{
        size_t s = y->vs, e = y->ve;

        if (e - s >= 2 && (t[s] == '"' || t[s] == '\'') && t[e - 1] == t[s]) {
                s++;
                e--;
        }
        return e - s == strlen(v) && memcmp(t + s, v, e - s) == 0;
}

/*
 * The part of a data-block line to replace: a key's value (quotes kept), or
 * the content of a continuation line (a block scalar's text); none for an
 * empty value, a block scalar indicator or punctuation ("{", "}").
 */
int k8s_value_span(const char *t, size_t len, size_t *ret_s, size_t *ret_e)
{
        struct yline y;
        size_t s, e;

        yline_parse(t, len, &y);
        if (y.blank || y.sep)
                return 0;
        s = y.has_key ? y.vs : y.ind;
        e = y.ve;
        if (e - s >= 2 && (t[s] == '"' || t[s] == '\'') && t[e - 1] == t[s]) {
                s++;
                e--;
        }
        if (e <= s || t[s] == '|' || t[s] == '>' || strspn(t + s, "{}[], ") >= e - s)
                return 0;
        if (y.has_key && (t[s] == '&' || t[s] == '*')) /* a YAML anchor or alias */
                return 0;
        *ret_s = s;
        *ret_e = e;
        return 1;
}

void k8s_reset(struct k8s *k)
{
        *k = (struct k8s) { .secret_col = -1, .other_col = -1, .data_col = -1, .hold_col = -1 };
}

/* The object (mapping) of column col ends at a line indented less. */
static void k8s_scope(struct k8s *k, const struct yline *y, enum k8s_release *rel)
{
        if (k->secret_col >= 0 && y->ind < (size_t) k->secret_col)
                k->secret_col = -1;
        if (k->other_col >= 0 && y->ind < (size_t) k->other_col)
                k->other_col = -1;
        if (k->data_col >= 0 && y->ind <= (size_t) k->data_col)
                k->data_col = -1;
        if (k->hold_col >= 0 && y->ind < (size_t) k->hold_col) {
                k->hold_col = -1;
                *rel = K8S_RELEASE_PLAIN;
        }
}

static enum k8s_verdict k8s_kind(struct k8s *k, const char *t, const struct yline *y,
                                 enum k8s_release *rel)
{
        bool secret = value_is(t, y, "Secret");

        if (secret)
                k->secret_col = (int) y->col;
        else
                k->other_col = (int) y->col;
        if (k->hold_col == (int) y->col) {
                k->hold_col = -1;
                *rel = secret ? K8S_RELEASE_SECRET : K8S_RELEASE_PLAIN;
        }
        return K8S_PASS;
}

static enum k8s_verdict k8s_data(struct k8s *k, const char *t, const struct yline *y)
{
        size_t n = y->ve - y->vs;
        bool block = n == 0 || (n == 1 && t[y->vs] == '{');
        bool inline_map = n > 1 && t[y->vs] == '{';

        if (!block && !inline_map) /* "data: x" is not a map */
                return k->hold_col >= 0 ? K8S_HOLD_OTHER : K8S_PASS;
        if (block)
                k->data_col = (int) y->col;
        if (k->secret_col == (int) y->col) {
                k->data_redact = true;
                return inline_map ? K8S_REDACT : K8S_PASS;
        }
        k->data_redact = false;
        if (k->other_col == (int) y->col)
                return K8S_PASS;
        if (k->hold_col < 0)
                k->hold_col = (int) y->col;
        return inline_map ? K8S_HOLD_DATA : K8S_HOLD_OTHER;
}

enum k8s_verdict k8s_line(struct k8s *k, const char *t, size_t len, bool hinted,
                          enum k8s_release *ret_release)
{
        struct yline y;

        *ret_release = K8S_RELEASE_NONE;
        if (!hinted && k->secret_col < 0 && k->other_col < 0 && k->data_col < 0 && k->hold_col < 0)
                return K8S_PASS;
        yline_parse(t, len, &y);
        if (y.sep) {
                if (k->hold_col >= 0)
                        *ret_release = K8S_RELEASE_PLAIN;
                k8s_reset(k);
                return K8S_PASS;
        }
        if (y.blank)
                return k->hold_col >= 0 ? K8S_HOLD_OTHER : K8S_PASS;
        k8s_scope(k, &y, ret_release);
        if (k->data_col >= 0) /* an entry of the current data block */
                return k->data_redact ? K8S_REDACT : k->hold_col >= 0 ? K8S_HOLD_DATA : K8S_PASS;
        if (key_is(&y, "kind"))
                return k8s_kind(k, t, &y, ret_release);
        if (key_is(&y, "data") || key_is(&y, "stringData"))
                return k8s_data(k, t, &y);
        return k->hold_col >= 0 ? K8S_HOLD_OTHER : K8S_PASS;
}

/* ---- one-line JSON ---- */

/* The quote at t[i]: 1 for ", 2 for \" (a JSON string inside a JSON string), 0 none. */
static size_t quote_at(const char *t, size_t i, size_t len)
{
        if (i < len && t[i] == '"')
                return 1;
        if (i + 1 < len && t[i] == '\\' && t[i + 1] == '"')
                return 2;
        return 0;
}

/* The end of the string whose content starts at i, quoted by a quote of qlen. */
static size_t string_end(const char *t, size_t i, size_t len, size_t qlen)
{
        while (i < len) {
                if (qlen == 2 && t[i] == '\\' && i + 1 < len && t[i + 1] == '"')
                        return i;
                if (qlen == 2 && t[i] == '\\' && i + 2 < len && t[i + 1] == '\\')
                        i += 3; /* an escaped escape: \\\" inside */
                else if (qlen == 1 && t[i] == '\\')
                        i += 2;
                else if (qlen == 1 && t[i] == '"')
                        return i;
                else
                        i++;
        }
        return len;
}

/* The values of the object whose '{' is at t[i]: each string value a span. */
static int object_spans(const char *t, size_t i, size_t len, int rule, struct spanvec *sv)
{
        for (i++; i < len;) {
                size_t q, e;
                int k;

                while (i < len && strchr(" \t,", t[i]))
                        i++;
                if (i >= len || t[i] == '}' || !(q = quote_at(t, i, len)))
                        return 0;
                i = string_end(t, i + q, len, q) + q; /* the key */
                i = skip_blank(t, i, len);
                if (i >= len || t[i] != ':')
                        return 0;
                i = skip_blank(t, i + 1, len);
                q = quote_at(t, i, len);
                if (!q) {
                        while (i < len && !strchr(",}", t[i]))
                                i++;
                        continue;
                }
                e = string_end(t, i + q, len, q);
                if (e > i + q) {
                        k = spanvec_push(sv,
                                         &(struct span) { .start = i + q, .end = e, .rule = rule });
                        if (k < 0)
                                return k;
                }
                i = e + q;
        }
        return 0;
}

static const char *find_word(const char *t, size_t from, size_t len, const char *w)
{
        return from < len ? memmem(t + from, len - from, w, strlen(w)) : NULL;
}

/* A "kind": "Secret" member somewhere on the line (quotes plain or escaped). */
static bool json_kind_secret(const char *t, size_t len)
{
        for (const char *p = find_word(t, 0, len, "kind"); p;
             p = find_word(t, (size_t) (p - t) + 4, len, "kind")) {
                size_t i = (size_t) (p - t) + 4, q;

                if (!(q = quote_at(t, i, len)))
                        continue;
                i = skip_blank(t, i + q, len);
                if (i >= len || t[i] != ':')
                        continue;
                i = skip_blank(t, i + 1, len);
                if (!(q = quote_at(t, i, len)))
                        continue;
                if (len - i - q >= 6 && memcmp(t + i + q, "Secret", 6) == 0 &&
                    quote_at(t, i + q + 6, len))
                        return true;
        }
        return false;
}

int k8s_json_spans(const char *t, size_t len, int rule, struct spanvec *sv)
{
        static const char *const keys[] = { "data", "stringData" };

        if (!memmem(t, len, "Secret", 6) || !json_kind_secret(t, len))
                return 0;
        for (size_t j = 0; j < ELEMENTSOF(keys); j++)
                for (const char *p = find_word(t, 0, len, keys[j]); p;
                     p = find_word(t, (size_t) (p - t) + 1, len, keys[j])) {
                        size_t i = (size_t) (p - t) + strlen(keys[j]), q;
                        int k;

                        if (p == t || (p[-1] != '"') || !(q = quote_at(t, i, len)))
                                continue;
                        i = skip_blank(t, i + q, len);
                        if (i >= len || t[i] != ':')
                                continue;
                        i = skip_blank(t, i + 1, len);
                        if (i < len && t[i] == '{') {
                                k = object_spans(t, i, len, rule, sv);
                                if (k < 0)
                                        return k;
                        }
                }
        return 0;
}
