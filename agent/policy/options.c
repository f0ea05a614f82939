/* SPDX-License-Identifier: MIT */
/*
 * Collector option tables applied to collector state (agent/policy/options.h), in
 * the manner of fluent-bit's config maps: defaults are text parsed exactly
 * like user input, unknown keys are refused with the list of valid ones.
 */
#include <string.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "policy/options.h"
#include "parse-util.h"
#include "strv.h"

static void *field(void *state, const struct collector_option *o)
{
        return (char *) state + o->offset;
}

static void option_clear(void *state, const struct collector_option *o)
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
        default:
                break;
        }
}

/* Parses text for one option; for OPTION_STRV the text is '\n'-separated. */
static int option_parse(void *state, const struct collector_option *o, const char *text)
{
        int r;

        switch (o->type) {
        case OPTION_STRING: {
                char *s = xstrdup(text);

                if (!s)
                        return -ENOMEM;
                option_clear(state, o);
                *(char **) field(state, o) = s;
                return 0;
        }
        case OPTION_STRV: {
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
                option_clear(state, o);
                *(char ***) field(state, o) = TAKE_PTR(l);
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
                return -EINVAL;
        }
}

int options_apply_defaults(const struct collector *c, void *state, char **ret_error)
{
        for (const struct collector_option *o = c->options; o && o->key; o++) {
                int r;

                if (!o->def)
                        continue;
                r = option_parse(state, o, o->def);
                if (r < 0) {
                        if (ret_error)
                                *ret_error = xasprintf("%s: bad default for option '%s': '%s'",
                                                       c->name, o->key, o->def);
                        return r;
                }
        }
        return 0;
}

static const struct collector_option *find_option(const struct collector *c, const char *key)
{
        for (const struct collector_option *o = c->options; o && o->key; o++)
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

int options_apply_policy(const struct collector *c, void *state, const struct pnode *section,
                         char **ret_error)
{
        int r;

        if (!section)
                return 0;
        if (section->type != PNODE_MAP) {
                if (ret_error)
                        *ret_error = pnode_error(section, "'%s' must be a mapping of options",
                                                 c->name);
                return -EINVAL;
        }
        for (size_t i = 0; i < section->n_items; i++) {
                const struct pnode *n = section->items[i];
                const struct collector_option *o;

                if (streq(n->key, "enabled")) {
                        bool b;

                        r = pnode_to_bool(n, &b, ret_error);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (streq(n->key, "timeout")) {
                        usec_t t;

                        r = pnode_to_duration(n, &t, ret_error);
                        if (r < 0)
                                return r;
                        continue;
                }
                o = find_option(c, n->key);
                if (!o) {
                        _cleanup_free_ char *keys = valid_keys(c);

                        if (ret_error)
                                *ret_error = pnode_key_error(n, "unknown key '%s' for collector '%s' "
                                                         "(valid keys: enabled, timeout, %s)",
                                                         n->key, c->name, keys ? keys : "?");
                        return -EINVAL;
                }
                if (o->type == OPTION_STRV) {
                        _cleanup_strv_free_ char **l = NULL;

                        r = pnode_to_strv(n, &l, ret_error);
                        if (r < 0)
                                return r;
                        option_clear(state, o);
                        *(char ***) field(state, o) = TAKE_PTR(l);
                        continue;
                }
                if (n->type != PNODE_SCALAR) {
                        if (ret_error)
                                *ret_error = pnode_error(n, "'%s' must be a single value",
                                                         n->key);
                        return -EINVAL;
                }
                r = option_parse(state, o, n->value);
                if (r < 0) {
                        static const char *const expected[_OPTION_TYPE_MAX] = {
                                [OPTION_STRING] = "a string",
                                [OPTION_STRV] = "a list",
                                [OPTION_BOOL] = "true or false",
                                [OPTION_U64] = "a whole number",
                                [OPTION_SIZE] = "a size such as 512K, 20M or 1G",
                                [OPTION_DURATION] = "a duration such as 30s, 5m or 2h",
                        };

                        if (r == -ENOMEM)
                                return r;
                        if (ret_error)
                                *ret_error = pnode_error(n, "'%s' must be %s, not '%s'", n->key,
                                                         expected[o->type], n->value);
                        return -EINVAL;
                }
        }
        return 0;
}

int options_apply_string(const struct collector *c, void *state, const char *key,
                         const char *value, char **ret_error)
{
        const struct collector_option *o = find_option(c, key);
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
        r = option_parse(state, o, value);
        if (r < 0 && ret_error)
                *ret_error = xasprintf("bad value '%s' for option '%s'", value, key);
        return r;
}

void options_free(const struct collector *c, void *state)
{
        for (const struct collector_option *o = c->options; o && o->key; o++)
                option_clear(state, o);
}
