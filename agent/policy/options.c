/* SPDX-License-Identifier: MIT */
/*
 * Collector option tables applied to collector state (agent/policy/options.h), in
 * the manner of fluent-bit's config maps: defaults are text parsed exactly
 * like user input, unknown keys are refused with the list of valid ones. A
 * list of records (OPTION_RECORDS) is parsed record by record with the
 * fields of its struct option_record_type, validated the same way.
 */
#include <string.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "policy/options.h"
#include "parse-util.h"
#include "strv.h"

static const char *const expected[_OPTION_TYPE_MAX] = {
        [OPTION_STRING] = "a string",
        [OPTION_STRV] = "a list",
        [OPTION_BOOL] = "true or false",
        [OPTION_U64] = "a whole number",
        [OPTION_SIZE] = "a size such as 512K, 20M or 1G",
        [OPTION_DURATION] = "a duration such as 30s, 5m or 2h",
        [OPTION_RECORDS] = "a list of mappings",
};

static void *field(void *state, const struct collector_option *o)
{
        return (char *) state + o->offset;
}

/* The record type of an OPTION_RECORDS option, or NULL (a table error). */
static const struct option_record_type *record_type(const struct collector *c,
                                                    const struct collector_option *o)
{
        for (const struct option_record_type *t = c->record_types; t && t->key; t++)
                if (streq(t->key, o->key))
                        return t;
        return NULL;
}

static void option_clear(const struct collector *c, void *state, const struct collector_option *o);

static void records_clear(const struct collector *c, const struct option_record_type *t,
                          struct option_records *l)
{
        for (size_t i = 0; t && i < l->n; i++)
                for (const struct collector_option *f = t->fields; f->key; f++)
                        option_clear(c, OPTION_RECORD(l, i, t->size), f);
        l->records = mfree(l->records);
        l->n = 0;
}

static void option_clear(const struct collector *c, void *state, const struct collector_option *o)
{
        switch (o->type) {
        case OPTION_STRING: {
                char **p = field(state, o);
                *p = mfree(*p);
                break;
        }
        case OPTION_STRV: {
                char ***p = field(state, o);
                *p = strv_free(*p);
                break;
        }
        case OPTION_RECORDS:
                records_clear(c, record_type(c, o), field(state, o));
                break;
        default:
                break;
        }
}

/* Splits '\n'-separated text into a string vector (empty lines dropped). */
static int strv_from_lines(const char *text, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = xstrdup(text);
        char *p, *nl;

        if (!copy)
                return -ENOMEM;
        for (p = copy; p && *p; p = nl) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl++ = 0;
                if (*p && strv_extend(&l, p) < 0)
                        return -ENOMEM;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Parses text for one option; for OPTION_STRV the text is '\n'-separated. */
static int option_parse(const struct collector *c, void *state, const struct collector_option *o,
                        const char *text)
{
        int r;

        switch (o->type) {
        case OPTION_STRING: {
                char *s = xstrdup(text);

                if (!s)
                        return -ENOMEM;
                option_clear(c, state, o);
                *(char **) field(state, o) = s;
                return 0;
        }
        case OPTION_STRV: {
                char **l;

                r = strv_from_lines(text, &l);
                if (r < 0)
                        return r;
                option_clear(c, state, o);
                *(char ***) field(state, o) = l;
                return 0;
        }
        case OPTION_BOOL:
                return parse_boolean(text, field(state, o));
        case OPTION_U64:
                return safe_atou64(text, field(state, o));
        case OPTION_SIZE:
                return parse_size(text, field(state, o));
        case OPTION_DURATION: {
                usec_t u;

                r = parse_duration(text, &u);
                if (r < 0)
                        return r;
                *(usec_t *) field(state, o) = u;
                return 0;
        }
        default:
                /* OPTION_RECORDS has no text form */
                return -EINVAL;
        }
}

int options_apply_defaults(const struct collector *c, void *state, char **ret_error)
{
        for (const struct collector_option *o = c->options; o && o->key; o++) {
                int r = 0;

                if (o->type == OPTION_RECORDS)
                        r = record_type(c, o) && !o->def ? 0 : -EINVAL;
                else if (o->def)
                        r = option_parse(c, state, o, o->def);
                if (r < 0) {
                        if (ret_error)
                                *ret_error = xasprintf("%s: bad default for option '%s': '%s'",
                                                       c->name, o->key, o->def ? o->def : "(none)");
                        return r;
                }
        }
        return 0;
}

static const struct collector_option *find_option(const struct collector_option *table,
                                                  const char *key)
{
        for (const struct collector_option *o = table; o && o->key; o++)
                if (streq(o->key, key))
                        return o;
        return NULL;
}

static char *valid_keys(const struct collector *c)
{
        struct dynbuf b;

        dynbuf_init(&b, 4096);
        for (const struct collector_option *o = c->options; o && o->key; o++)
                (void) dynbuf_addf(&b, "%s%s", o == c->options ? "" : ", ", o->key);
        if (b.len == 0)
                (void) dynbuf_addstr(&b, "none; always on");
        return dynbuf_steal(&b);
}

static int apply_node(const struct collector *c, void *state, const struct collector_option *o,
                      const struct pnode *n, char **ret_error);

/* Every key the record type requires is there: "a command needs 'name' and 'argv'". */
static int record_check_required(const struct option_record_type *t, const struct pnode *n,
                                 char **ret_error)
{
        _cleanup_free_ char *keys = NULL;
        bool missing = false;

        STRV_FOREACH(k, (char **) t->required)
                if (!pnode_get(n, *k))
                        missing = true;
        if (!missing)
                return 0;
        keys = strv_join((char **) t->required, "' and '");
        if (!keys)
                return -ENOMEM;
        if (ret_error)
                *ret_error = pnode_error(n, "a %s needs '%s'", t->name, keys);
        return -EINVAL;
}

/* The unique field of record i differs from that of every earlier record. */
static int record_check_unique(const struct option_record_type *t, const struct option_records *l,
                               size_t i, const struct pnode *n, char **ret_error)
{
        const struct collector_option *f = t->unique ? find_option(t->fields, t->unique) : NULL;
        const char *v;

        if (!f || f->type != OPTION_STRING)
                return 0;
        v = *(char **) field(OPTION_RECORD(l, i, t->size), f);
        for (size_t j = 0; v && j < i; j++) {
                const char *w = *(char **) field(OPTION_RECORD(l, j, t->size), f);

                if (w && streq(v, w)) {
                        if (ret_error)
                                *ret_error = pnode_error(n, "%s '%s' is defined twice", t->name, v);
                        return -EINVAL;
                }
        }
        return 0;
}

/* The record type's own check, located at the value it names. */
static int record_check(const struct option_record_type *t, const void *rec, const struct pnode *n,
                        char **ret_error)
{
        _cleanup_free_ char *why = NULL;
        const char *key = NULL;
        int r;

        if (!t->check)
                return 0;
        r = t->check(rec, &key, &why);
        if (r >= 0 || r == -ENOMEM)
                return r;
        if (ret_error)
                *ret_error = pnode_error(key && pnode_get(n, key) ? pnode_get(n, key) : n, "%s",
                                         why ? why : "invalid record");
        return r;
}

/* Parses map n into record i (zeroed): the fields' defaults, then the map's values. */
static int record_parse(const struct collector *c, const struct option_record_type *t,
                        struct option_records *l, size_t i, const struct pnode *n, char **ret_error)
{
        _cleanup_free_ char *what = xasprintf("a %s", t->name);
        _cleanup_strv_free_ char **keys = NULL;
        void *rec = OPTION_RECORD(l, i, t->size);
        int r;

        if (!what)
                return -ENOMEM;
        r = pnode_expect(n, PNODE_MAP, what, ret_error);
        if (r < 0)
                return r;
        for (const struct collector_option *f = t->fields; f->key; f++)
                if (strv_extend(&keys, f->key) < 0)
                        return -ENOMEM;
        r = pnode_check_keys(n, t->key, (const char *const *) keys, ret_error);
        if (r >= 0)
                r = record_check_required(t, n, ret_error);
        for (const struct collector_option *f = t->fields; r >= 0 && f->key; f++)
                if (f->def)
                        r = option_parse(c, rec, f, f->def);
        for (const struct collector_option *f = t->fields; r >= 0 && f->key; f++)
                if (pnode_get(n, f->key))
                        r = apply_node(c, rec, f, pnode_get(n, f->key), ret_error);
        if (r >= 0)
                r = record_check(t, rec, n, ret_error);
        if (r >= 0)
                r = record_check_unique(t, l, i, n, ret_error);
        return r;
}

/* An OPTION_RECORDS value: a list of maps, each a record of its type. */
static int records_apply(const struct collector *c, void *state, const struct collector_option *o,
                         const struct pnode *n, char **ret_error)
{
        const struct option_record_type *t = record_type(c, o);
        struct option_records *l = field(state, o);
        int r;

        if (!t)
                return -EINVAL;
        r = pnode_expect(n, PNODE_SEQ, o->key, ret_error);
        if (r < 0)
                return r;
        records_clear(c, t, l);
        if (n->n_items == 0)
                return 0;
        l->records = calloc(n->n_items, t->size);
        if (!l->records)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_items; i++) {
                l->n = i + 1;
                r = record_parse(c, t, l, i, n->items[i], ret_error);
                if (r < 0) {
                        records_clear(c, t, l);
                        return r;
                }
        }
        return 0;
}

/* One policy value n for option o into state (a collector's state or a record). */
static int apply_node(const struct collector *c, void *state, const struct collector_option *o,
                      const struct pnode *n, char **ret_error)
{
        int r;

        if (o->type == OPTION_RECORDS)
                return records_apply(c, state, o, n, ret_error);
        if (o->type == OPTION_STRV) {
                _cleanup_strv_free_ char **l = NULL;

                r = pnode_to_strv(n, &l, ret_error);
                if (r < 0)
                        return r;
                option_clear(c, state, o);
                *(char ***) field(state, o) = TAKE_PTR(l);
                return 0;
        }
        if (n->type != PNODE_SCALAR) {
                if (ret_error)
                        *ret_error = pnode_error(n, "'%s' must be a single value", n->key);
                return -EINVAL;
        }
        r = option_parse(c, state, o, n->value);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (ret_error)
                        *ret_error = pnode_error(n, "'%s' must be %s, not '%s'", n->key,
                                                 expected[o->type], n->value);
                return -EINVAL;
        }
        return 0;
}

/* `enabled` and `timeout` are the runner's; checked here so that a typo is located. */
static int check_runner_key(const struct pnode *n, char **ret_error)
{
        usec_t t;
        bool b;

        if (streq(n->key, "enabled"))
                return pnode_to_bool(n, &b, ret_error);
        return pnode_to_duration(n, &t, ret_error);
}

int options_apply_policy(const struct collector *c, void *state, const struct pnode *section,
                         char **ret_error)
{
        const struct collector_option *whole = find_option(c->options, c->name);
        int r;

        if (!section)
                return 0;
        /* a records option named after the collector: the section may be the list itself */
        if (section->type == PNODE_SEQ && whole && whole->type == OPTION_RECORDS)
                return apply_node(c, state, whole, section, ret_error);
        if (section->type != PNODE_MAP) {
                if (ret_error)
                        *ret_error = pnode_error(section, "'%s' must be a mapping of options",
                                                 c->name);
                return -EINVAL;
        }
        for (size_t i = 0; i < section->n_items; i++) {
                const struct pnode *n = section->items[i];
                const struct collector_option *o;

                if (streq(n->key, "enabled") || streq(n->key, "timeout")) {
                        r = check_runner_key(n, ret_error);
                        if (r < 0)
                                return r;
                        continue;
                }
                o = find_option(c->options, n->key);
                if (!o) {
                        _cleanup_free_ char *keys = valid_keys(c);

                        if (ret_error)
                                *ret_error = pnode_key_error(n,
                                                             "unknown key '%s' for collector '%s' "
                                                             "(valid keys: enabled, timeout, %s)",
                                                             n->key, c->name, keys ? keys : "?");
                        return -EINVAL;
                }
                r = apply_node(c, state, o, n, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int options_apply_string(const struct collector *c, void *state, const char *key, const char *value,
                         char **ret_error)
{
        const struct collector_option *o = find_option(c->options, key);
        int r;

        if (!o) {
                if (ret_error)
                        *ret_error = xasprintf("unknown option '%s' for collector '%s'", key,
                                               c->name);
                return -EINVAL;
        }
        if (o->type == OPTION_STRV) {
                char ***p = field(state, o);

                return strv_extend(p, value);
        }
        r = option_parse(c, state, o, value);
        if (r < 0 && ret_error)
                *ret_error = o->type == OPTION_RECORDS ?
                                     xasprintf("option '%s' is a list of records, set in a policy",
                                               key) :
                                     xasprintf("bad value '%s' for option '%s'", value, key);
        return r;
}

void options_free(const struct collector *c, void *state)
{
        for (const struct collector_option *o = c->options; o && o->key; o++)
                option_clear(c, state, o);
}
