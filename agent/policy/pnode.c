/* SPDX-License-Identifier: MIT */
/*
 * libyaml -> struct pnode (agent/policy/pnode.h). Uses the document API: policies
 * are small, and a tree is easier to validate, merge and fuzz than an event
 * stream. Every node keeps its file:line:column; sizes, depth and node counts
 * are capped so that hostile input (alias bombs, deep nesting) is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "parse-util.h"
#include "policy/pnode.h"
#include "strv.h"

/* Interned file names: nodes point into this list, which lives for the
 * process (policies are loaded a handful of times per run). */
static char **interned_files;

static const char *intern_file(const char *name)
{
        STRV_FOREACH(f, interned_files)
                if (streq(*f, name))
                        return *f;
        if (strv_extend(&interned_files, name) < 0)
                return NULL;
        return interned_files[strv_length(interned_files) - 1];
}

struct pnode *pnode_free(struct pnode *n)
{
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_items; i++)
                pnode_free(n->items[i]);
        free(n->items);
        free(n->key);
        free(n->value);
        free(n);
        return NULL;
}

static char *format_located(const char *file, unsigned line, unsigned column, const char *fmt,
                            va_list ap)
{
        struct dynbuf b;

        dynbuf_init(&b, 64 * 1024);
        if (dynbuf_addf(&b, "%s:%u:%u: ", file ? file : "<policy>", line, column) < 0 ||
            dynbuf_vaddf(&b, fmt, ap) < 0) {
                dynbuf_done(&b);
                return NULL;
        }
        return dynbuf_steal(&b);
}

char *pnode_error(const struct pnode *n, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = format_located(n ? n->file : NULL, n ? n->line : 0, n ? n->column : 0, fmt, ap);
        va_end(ap);
        return s;
}

char *pnode_key_error(const struct pnode *n, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = format_located(n ? n->file : NULL,
                           n && n->key_line ? n->key_line :
                           n                ? n->line :
                                              0,
                           n && n->key_line ? n->key_column :
                           n                ? n->column :
                                              0,
                           fmt, ap);
        va_end(ap);
        return s;
}

static int set_error(char **ret_error, int r, const struct pnode *n, const char *fmt, ...)
        _printf_(4, 5);
static int set_error(char **ret_error, int r, const struct pnode *n, const char *fmt, ...)
{
        va_list ap;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        free(*ret_error);
        *ret_error = format_located(n ? n->file : NULL, n ? n->line : 0, n ? n->column : 0, fmt,
                                    ap);
        va_end(ap);
        return r;
}

struct convert {
        yaml_document_t *doc;
        const char *file;
        size_t count;
        char **error;
};

static int pnode_add_item(struct pnode *parent, struct pnode *child)
{
        struct pnode **a = xrealloc(parent->items, sizeof(*a) * (parent->n_items + 1));

        if (!a)
                return -ENOMEM;
        parent->items = a;
        parent->items[parent->n_items++] = child;
        return 0;
}

static int convert_node(struct convert *c, yaml_node_t *y, unsigned depth, struct pnode **ret)
{
        _cleanup_(pnode_freep) struct pnode *n = NULL;
        struct pnode where = {
                .file = c->file,
                .line = (unsigned) y->start_mark.line + 1,
                .column = (unsigned) y->start_mark.column + 1,
        };
        int r;

        if (depth > POLICY_DEPTH_MAX)
                return set_error(c->error, -E2BIG, &where, "nesting deeper than %d levels",
                                 POLICY_DEPTH_MAX);
        if (++c->count > POLICY_NODES_MAX)
                return set_error(c->error, -E2BIG, &where, "more than %d nodes", POLICY_NODES_MAX);
        n = xcalloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        *n = where;

        switch (y->type) {
        case YAML_SCALAR_NODE:
                n->type = PNODE_SCALAR;
                n->value = xstrndup((const char *) y->data.scalar.value, y->data.scalar.length);
                if (!n->value)
                        return -ENOMEM;
                if (strlen(n->value) != y->data.scalar.length)
                        return set_error(c->error, -EINVAL, n, "NUL byte in value");
                n->quoted = y->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                            y->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
                break;
        case YAML_SEQUENCE_NODE:
                n->type = PNODE_SEQ;
                for (yaml_node_item_t *i = y->data.sequence.items.start;
                     i < y->data.sequence.items.top; i++) {
                        struct pnode *child = NULL;

                        r = convert_node(c, yaml_document_get_node(c->doc, *i), depth + 1, &child);
                        if (r < 0)
                                return r;
                        r = pnode_add_item(n, child);
                        if (r < 0) {
                                pnode_free(child);
                                return r;
                        }
                }
                break;
        case YAML_MAPPING_NODE:
                n->type = PNODE_MAP;
                for (yaml_node_pair_t *p = y->data.mapping.pairs.start;
                     p < y->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
                        struct pnode *child = NULL;
                        struct pnode kw = {
                                .file = c->file,
                                .line = (unsigned) k->start_mark.line + 1,
                                .column = (unsigned) k->start_mark.column + 1,
                        };

                        if (k->type != YAML_SCALAR_NODE)
                                return set_error(c->error, -EINVAL, &kw,
                                                 "a key must be a plain string");
                        _cleanup_free_ char *key = xstrndup((const char *) k->data.scalar.value,
                                                            k->data.scalar.length);
                        if (!key)
                                return -ENOMEM;
                        if (pnode_get(n, key))
                                return set_error(c->error, -EINVAL, &kw, "duplicate key '%s'", key);
                        r = convert_node(c, yaml_document_get_node(c->doc, p->value), depth + 1,
                                         &child);
                        if (r < 0)
                                return r;
                        child->key = TAKE_PTR(key);
                        child->key_line = kw.line;
                        child->key_column = kw.column;
                        r = pnode_add_item(n, child);
                        if (r < 0) {
                                pnode_free(child);
                                return r;
                        }
                }
                break;
        default:
                return set_error(c->error, -EINVAL, n, "unsupported YAML node");
        }
        *ret = TAKE_PTR(n);
        return 0;
}

int pnode_parse_string(const char *name, const char *data, size_t len, struct pnode **ret,
                       char **ret_error)
{
        yaml_parser_t parser;
        yaml_document_t doc;
        yaml_node_t *root;
        struct pnode *tree = NULL;
        const char *file = intern_file(name);
        int r;

        if (!file)
                return -ENOMEM;
        if (len > POLICY_FILE_MAX)
                return set_error(ret_error, -EFBIG,
                                 &(struct pnode) { .file = file, .line = 1, .column = 1 },
                                 "file larger than %d bytes", POLICY_FILE_MAX);
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
        if (!yaml_parser_load(&parser, &doc)) {
                const yaml_mark_t *m = &parser.problem_mark;
                struct pnode where = { .file = file,
                                       .line = (unsigned) m->line + 1,
                                       .column = (unsigned) m->column + 1 };

                r = set_error(ret_error, -EBADMSG, &where, "%s%s%s",
                              parser.problem ? parser.problem : "malformed YAML",
                              parser.context ? " " : "", parser.context ? parser.context : "");
                yaml_parser_delete(&parser);
                return r;
        }
        root = yaml_document_get_root_node(&doc);
        if (!root) {
                tree = xcalloc(1, sizeof(*tree));
                if (!tree)
                        r = -ENOMEM;
                else {
                        *tree = (struct pnode) {
                                .type = PNODE_MAP, .file = file, .line = 1, .column = 1
                        };
                        r = 0;
                }
        } else {
                struct convert c = { .doc = &doc, .file = file, .error = ret_error };

                r = convert_node(&c, root, 0, &tree);
                if (r >= 0 && tree->type != PNODE_MAP) {
                        r = set_error(ret_error, -EINVAL, tree,
                                      "the top level must be a mapping of keys");
                        tree = pnode_free(tree);
                }
        }
        /* A second document in the same file is refused: it would be ignored silently. */
        if (r >= 0) {
                yaml_document_t extra;

                if (yaml_parser_load(&parser, &extra)) {
                        yaml_node_t *x = yaml_document_get_root_node(&extra);

                        if (x) {
                                r = set_error(ret_error, -EINVAL,
                                              &(struct pnode) {
                                                      .file = file,
                                                      .line = (unsigned) x->start_mark.line + 1,
                                                      .column = (unsigned) x->start_mark.column +
                                                                1 },
                                              "only one YAML document per file");
                                tree = pnode_free(tree);
                        }
                        yaml_document_delete(&extra);
                } else {
                        struct pnode where = { .file = file,
                                               .line = (unsigned) parser.problem_mark.line + 1,
                                               .column = (unsigned) parser.problem_mark.column +
                                                         1 };

                        r = set_error(ret_error, -EBADMSG, &where, "%s",
                                      parser.problem ? parser.problem : "malformed YAML");
                        tree = pnode_free(tree);
                }
        }
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        if (r < 0)
                return r;
        *ret = tree;
        return 0;
}

int pnode_parse_file(const char *path, struct pnode **ret, char **ret_error)
{
        _cleanup_free_ char *data = NULL;
        size_t len;

        {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
                struct stat st;

                if (fd < 0) {
                        int r = -errno;

                        return set_error(ret_error, r,
                                         &(struct pnode) { .file = path, .line = 0, .column = 0 },
                                         "cannot open: %s", strerror(-r));
                }
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (!S_ISREG(st.st_mode))
                        return set_error(ret_error, -EBADFD,
                                         &(struct pnode) { .file = path, .line = 1, .column = 1 },
                                         "not a regular file");
                if (st.st_size > POLICY_FILE_MAX)
                        return set_error(ret_error, -EFBIG,
                                         &(struct pnode) { .file = path, .line = 1, .column = 1 },
                                         "file larger than %d bytes", POLICY_FILE_MAX);
                data = xmalloc((size_t) st.st_size + 1);
                if (!data)
                        return -ENOMEM;
                ssize_t n = loop_read(fd, data, (size_t) st.st_size + 1);
                if (n < 0)
                        return (int) n;
                if (n > POLICY_FILE_MAX)
                        return -EFBIG;
                len = (size_t) n;
        }
        return pnode_parse_string(path, data, len, ret, ret_error);
}

const struct pnode *pnode_get(const struct pnode *map, const char *key)
{
        if (!map || map->type != PNODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n_items; i++)
                if (map->items[i]->key && streq(map->items[i]->key, key))
                        return map->items[i];
        return NULL;
}

bool pnode_is_null(const struct pnode *n)
{
        return !n || (n->type == PNODE_SCALAR && !n->quoted &&
                      (isempty(n->value) || streq(n->value, "~") || streq(n->value, "null")));
}

int pnode_merge(struct pnode *dst, struct pnode *src, char **ret_error)
{
        int r = 0;

        if (dst->type != PNODE_MAP || src->type != PNODE_MAP) {
                pnode_free(src);
                return -EINVAL;
        }
        for (size_t i = 0; i < src->n_items; i++) {
                struct pnode *s = src->items[i];
                struct pnode *d = (struct pnode *) pnode_get(dst, s->key);

                if (!d) {
                        r = pnode_add_item(dst, s);
                        if (r < 0)
                                break;
                        src->items[i] = NULL;
                        continue;
                }
                if (pnode_is_null(s))
                        continue; /* "key:" with nothing (all commented out) adds nothing */
                if (pnode_is_null(d)) {
                        /* take the new node in place of the empty one */
                        for (size_t j = 0; j < dst->n_items; j++)
                                if (dst->items[j] == d) {
                                        dst->items[j] = s;
                                        src->items[i] = NULL;
                                        pnode_free(d);
                                        break;
                                }
                        continue;
                }
                if (d->type != s->type) {
                        r = set_error(ret_error, -EINVAL, s, "'%s' is a %s here but a %s in %s:%u",
                                      s->key,
                                      s->type == PNODE_MAP ? "mapping" :
                                      s->type == PNODE_SEQ ? "list" :
                                                             "value",
                                      d->type == PNODE_MAP ? "mapping" :
                                      d->type == PNODE_SEQ ? "list" :
                                                             "value",
                                      d->file, d->line);
                        break;
                }
                if (s->type == PNODE_MAP) {
                        src->items[i] = NULL;
                        r = pnode_merge(d, s, ret_error);
                        if (r < 0)
                                break;
                } else if (s->type == PNODE_SEQ) {
                        struct pnode **a = xrealloc(d->items,
                                                    sizeof(*a) * (d->n_items + s->n_items));
                        if (!a) {
                                r = -ENOMEM;
                                break;
                        }
                        d->items = a;
                        if (s->n_items > 0)
                                memcpy(d->items + d->n_items, s->items, sizeof(*a) * s->n_items);
                        d->n_items += s->n_items;
                        s->n_items = 0;
                } else {
                        /* scalars replace */
                        free(d->value);
                        d->value = TAKE_PTR(s->value);
                        d->quoted = s->quoted;
                        d->file = s->file;
                        d->line = s->line;
                        d->column = s->column;
                }
        }
        pnode_free(src);
        return r;
}

int pnode_check_keys(const struct pnode *n, const char *section, const char *const *allowed,
                     char **ret_error)
{
        if (!n)
                return 0;
        if (n->type != PNODE_MAP)
                return set_error(ret_error, -EINVAL, n, "'%s' must be a mapping of keys", section);
        for (size_t i = 0; i < n->n_items; i++) {
                const struct pnode *c = n->items[i];
                bool ok = false;

                for (size_t j = 0; allowed[j]; j++)
                        if (streq(allowed[j], c->key))
                                ok = true;
                if (!ok) {
                        _cleanup_free_ char *valid = strv_join((char **) allowed, ", ");

                        if (ret_error) {
                                free(*ret_error);
                                *ret_error = pnode_key_error(c,
                                                             "unknown key '%s' in '%s' "
                                                             "(valid keys: %s)",
                                                             c->key, section, valid ? valid : "?");
                        }
                        return -EINVAL;
                }
                for (size_t j = 0; j < i; j++)
                        if (streq(n->items[j]->key, c->key))
                                return set_error(ret_error, -EINVAL,
                                                 &(struct pnode) { .file = c->file,
                                                                   .line = c->key_line,
                                                                   .column = c->key_column },
                                                 "duplicate key '%s'", c->key);
        }
        return 0;
}

static const char *what(const struct pnode *n)
{
        return n->key ? n->key : "value";
}

int pnode_expect(const struct pnode *n, enum pnode_type type, const char *desc, char **ret_error)
{
        static const char *const names[] = { "a value", "a mapping", "a list" };

        if (!n || n->type == type)
                return 0;
        return set_error(ret_error, -EINVAL, n, "'%s' must be %s", desc ? desc : what(n),
                         names[type]);
}

int pnode_to_string(const struct pnode *n, char **ret, char **ret_error)
{
        char *s;
        int r;

        if (!n)
                return 0;
        r = pnode_expect(n, PNODE_SCALAR, NULL, ret_error);
        if (r < 0)
                return r;
        s = xstrdup(n->value);
        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 0;
}

int pnode_to_bool(const struct pnode *n, bool *ret, char **ret_error)
{
        int r;

        if (!n)
                return 0;
        r = pnode_expect(n, PNODE_SCALAR, NULL, ret_error);
        if (r < 0)
                return r;
        if (parse_boolean(n->value, ret) < 0)
                return set_error(ret_error, -EINVAL, n, "'%s' must be true or false, not '%s'",
                                 what(n), n->value);
        return 0;
}

int pnode_to_u64(const struct pnode *n, uint64_t min, uint64_t max, uint64_t *ret, char **ret_error)
{
        uint64_t v;
        int r;

        if (!n)
                return 0;
        r = pnode_expect(n, PNODE_SCALAR, NULL, ret_error);
        if (r < 0)
                return r;
        if (safe_atou64(n->value, &v) < 0)
                return set_error(ret_error, -EINVAL, n, "'%s' must be a whole number, not '%s'",
                                 what(n), n->value);
        if (v < min || v > max)
                return set_error(ret_error, -ERANGE, n, "'%s' must be between %llu and %llu",
                                 what(n), (unsigned long long) min, (unsigned long long) max);
        *ret = v;
        return 0;
}

int pnode_to_size(const struct pnode *n, uint64_t *ret, char **ret_error)
{
        int r;

        if (!n)
                return 0;
        r = pnode_expect(n, PNODE_SCALAR, NULL, ret_error);
        if (r < 0)
                return r;
        if (parse_size(n->value, ret) < 0)
                return set_error(ret_error, -EINVAL, n,
                                 "'%s' must be a size such as 512K, 20M or 1G, not '%s'", what(n),
                                 n->value);
        return 0;
}

int pnode_to_duration(const struct pnode *n, usec_t *ret, char **ret_error)
{
        int r;

        if (!n)
                return 0;
        r = pnode_expect(n, PNODE_SCALAR, NULL, ret_error);
        if (r < 0)
                return r;
        if (parse_duration(n->value, ret) < 0)
                return set_error(ret_error, -EINVAL, n,
                                 "'%s' must be a duration such as 30s, 5m or 2h, not '%s'", what(n),
                                 n->value);
        return 0;
}

int pnode_to_strv(const struct pnode *n, char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **l = NULL;

        if (!n)
                return 0;
        if (n->type == PNODE_SCALAR) {
                if (strv_extend(&l, n->value) < 0)
                        return -ENOMEM;
        } else if (n->type == PNODE_SEQ) {
                for (size_t i = 0; i < n->n_items; i++) {
                        if (n->items[i]->type != PNODE_SCALAR)
                                return set_error(ret_error, -EINVAL, n->items[i],
                                                 "items of '%s' must be plain values", what(n));
                        if (strv_extend(&l, n->items[i]->value) < 0)
                                return -ENOMEM;
                }
                if (!l) {
                        l = calloc(1, sizeof(char *));
                        if (!l)
                                return -ENOMEM;
                }
        } else {
                return set_error(ret_error, -EINVAL, n, "'%s' must be a list", what(n));
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}
