/* SPDX-License-Identifier: MIT */
/*
 * ADF documents and their wiki-markup and plain-text renderings (ticket/adf.h).
 * Only the node types built here are rendered; anything else is skipped, so a
 * rendering never invents markup.
 */
#include <string.h>

#include "alloc-util.h"
#include "strv.h"
#include "ticket/adf.h"

#define DEPTH_MAX 8

static json_t *node(const char *type)
{
        return json_pack("{s:s, s:[]}", "type", type, "content");
}

json_t *adf_doc(void)
{
        return json_pack("{s:i, s:s, s:[]}", "version", 1, "type", "doc", "content");
}

json_t *adf_text(const char *text, unsigned marks)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = { { ADF_STRONG, "strong" }, { ADF_CODE, "code" }, { ADF_EM, "em" } };
        json_t *t, *m;

        if (isempty(text))
                return NULL;
        t = json_pack("{s:s, s:s}", "type", "text", "text", text);
        if (!t || marks == 0)
                return t;
        m = json_array();
        for (size_t i = 0; m && i < ELEMENTSOF(names); i++)
                if (marks & names[i].bit)
                        json_array_append_new(m, json_pack("{s:s}", "type", names[i].name));
        json_object_set_new(t, "marks", m);
        return t;
}

json_t *adf_link(const char *text, const char *href)
{
        if (isempty(text) || isempty(href))
                return NULL;
        return json_pack("{s:s, s:s, s:[{s:s, s:{s:s}}]}", "type", "text", "text", text, "marks",
                         "type", "link", "attrs", "href", href);
}

json_t *adf_heading(int level, const char *text)
{
        _cleanup_(json_decrefp) json_t *h = json_pack("{s:s, s:{s:i}, s:[]}", "type", "heading",
                                                      "attrs", "level", level, "content");

        if (h && adf_add(h, adf_text(text, ADF_PLAIN)) < 0)
                return NULL;
        return TAKE_PTR(h);
}

json_t *adf_paragraph(void)
{
        return node("paragraph");
}

json_t *adf_bullet_list(void)
{
        return node("bulletList");
}

json_t *adf_table(void)
{
        return json_pack("{s:s, s:{s:b, s:s}, s:[]}", "type", "table", "attrs",
                         "isNumberColumnEnabled", 0, "layout", "default", "content");
}

json_t *adf_rule(void)
{
        return json_pack("{s:s}", "type", "rule");
}

json_t *adf_code_block(const char *text)
{
        _cleanup_(json_decrefp) json_t *c = node("codeBlock");

        if (c && !isempty(text) && adf_add(c, adf_text(text, ADF_PLAIN)) < 0)
                return NULL;
        return TAKE_PTR(c);
}

int adf_add(json_t *parent, json_t *child)
{
        if (!child)
                return -ENOMEM;
        if (json_array_append_new(json_object_get(parent, "content"), child) < 0)
                return -ENOMEM;
        return 0;
}

json_t *adf_para_text(const char *text, unsigned marks)
{
        _cleanup_(json_decrefp) json_t *p = adf_paragraph();

        if (p && !isempty(text) && adf_add(p, adf_text(text, marks)) < 0)
                return NULL;
        return TAKE_PTR(p);
}

int adf_list_add(json_t *list, json_t *child)
{
        /* child is ours from here on, also on failure */
        _cleanup_(json_decrefp) json_t *c = child, *item = node("listItem");

        if (!item || !c)
                return -ENOMEM;
        if (adf_add(item, TAKE_PTR(c)) < 0)
                return -ENOMEM;
        return adf_add(list, TAKE_PTR(item));
}

int adf_table_row(json_t *table, bool header, const char *const *cells, size_t n)
{
        _cleanup_(json_decrefp) json_t *row = node("tableRow");

        for (size_t i = 0; row && i < n; i++) {
                _cleanup_(json_decrefp) json_t *cell = node(header ? "tableHeader" : "tableCell");

                if (!cell ||
                    adf_add(cell, adf_para_text(isempty(cells[i]) ? " " : cells[i], ADF_PLAIN)) <
                            0 ||
                    adf_add(row, TAKE_PTR(cell)) < 0)
                        return -ENOMEM;
        }
        return adf_add(table, TAKE_PTR(row));
}

/* ---- wiki markup --------------------------------------------------------- */

char *wiki_escape(const char *s, size_t max)
{
        struct dynbuf b;
        size_t n = 0;
        int r = 0;

        dynbuf_init(&b, 4 * max + 16);
        if (!s)
                s = "";
        for (const char *p = s; *p && n < max && r >= 0; p++, n++) {
                if (*p == '\n' || *p == '\r' || *p == '\t')
                        r = dynbuf_addc(&b, ' ');
                else if (strchr("|[]{}*_^~!\\", *p)) {
                        r = dynbuf_addc(&b, '\\');
                        if (r >= 0)
                                r = dynbuf_addc(&b, *p);
                } else
                        r = dynbuf_addc(&b, *p);
        }
        if (r >= 0 && strlen(s) > max)
                r = dynbuf_addstr(&b, "…");
        if (r < 0 || dynbuf_addstr(&b, "") < 0) {
                dynbuf_done(&b);
                return NULL;
        }
        return dynbuf_steal(&b);
}

static const char *type_of(json_t *n)
{
        return json_string_value(json_object_get(n, "type")) ?: "";
}

static bool has_mark(json_t *n, const char *mark)
{
        size_t i;
        json_t *m;

        json_array_foreach(json_object_get(n, "marks"), i, m)
                if (streq(type_of(m), mark))
                        return true;
        return false;
}

static const char *link_of(json_t *n)
{
        size_t i;
        json_t *m;

        json_array_foreach(json_object_get(n, "marks"), i, m)
                if (streq(type_of(m), "link"))
                        return json_string_value(
                                json_object_get(json_object_get(m, "attrs"), "href"));
        return NULL;
}

/* {{code}} may not hold "}}"; wiki-escaped otherwise. */
static int wiki_inline_text(json_t *n, struct dynbuf *b)
{
        const char *t = json_string_value(json_object_get(n, "text")) ?: "";
        const char *href = link_of(n);
        _cleanup_free_ char *e = wiki_escape(t, 4000);
        bool strong = has_mark(n, "strong"), em = has_mark(n, "em");
        int r;

        if (!e)
                return -ENOMEM;
        if (href)
                return dynbuf_addf(b, "[%s|%s]", e, href);
        if (has_mark(n, "code") && !strstr(t, "}}") && !strchr(t, '\n'))
                return dynbuf_addf(b, "{{%s}}", t);
        r = dynbuf_addf(b, "%s%s%s", strong ? "*" : "", em ? "_" : "", e);
        if (r >= 0)
                r = dynbuf_addf(b, "%s%s", em ? "_" : "", strong ? "*" : "");
        return r;
}

static int wiki_inlines(json_t *n, struct dynbuf *b)
{
        size_t i;
        json_t *c;
        int r = 0;

        json_array_foreach(json_object_get(n, "content"), i, c)
                if (r >= 0 && streq(type_of(c), "text"))
                        r = wiki_inline_text(c, b);
                else if (r >= 0 && streq(type_of(c), "hardBreak"))
                        r = dynbuf_addc(b, '\n');
        return r;
}

static int wiki_noformat(const char *s, struct dynbuf *b)
{
        int r = dynbuf_addstr(b, "{noformat}\n");

        for (size_t i = 0; r >= 0 && s[i]; i++) {
                if (strneq(s + i, "{noformat}", 10)) {
                        r = dynbuf_addstr(b, "(noformat)");
                        i += 9;
                } else
                        r = dynbuf_addc(b, s[i]);
        }
        if (r >= 0)
                r = dynbuf_addstr(b, "\n{noformat}\n");
        return r;
}

static int wiki_table(json_t *n, struct dynbuf *b)
{
        size_t i, k;
        json_t *row, *cell;
        int r = 0;

        json_array_foreach(json_object_get(n, "content"), i, row) {
                json_array_foreach(json_object_get(row, "content"), k, cell) {
                        bool head = streq(type_of(cell), "tableHeader");

                        if (r >= 0)
                                r = dynbuf_addstr(b, head ? "||" : "|");
                        /* the cell's paragraph, without the header's strong mark */
                        if (r >= 0)
                                r = wiki_inlines(json_array_get(json_object_get(cell, "content"),
                                                                0),
                                                 b);
                }
                if (r >= 0 && json_array_size(json_object_get(row, "content")) > 0)
                        r = dynbuf_addstr(
                                b,
                                streq(type_of(json_array_get(json_object_get(row, "content"), 0)),
                                      "tableHeader") ?
                                        "||\n" :
                                        "|\n");
        }
        return r;
}

static int wiki_node(json_t *n, struct dynbuf *b, unsigned depth);

static int wiki_children(json_t *n, struct dynbuf *b, unsigned depth)
{
        size_t i;
        json_t *c;
        int r = 0;

        json_array_foreach(json_object_get(n, "content"), i, c)
                if (r >= 0)
                        r = wiki_node(c, b, depth + 1);
        return r;
}

static int wiki_list(json_t *n, struct dynbuf *b, unsigned depth)
{
        size_t i;
        json_t *item;
        int r = 0;

        json_array_foreach(json_object_get(n, "content"), i, item) {
                json_t *first = json_array_get(json_object_get(item, "content"), 0);

                if (r >= 0 && streq(type_of(first), "paragraph")) {
                        r = dynbuf_addstr(b, "* ");
                        if (r >= 0)
                                r = wiki_inlines(first, b);
                        if (r >= 0)
                                r = dynbuf_addc(b, '\n');
                } else if (r >= 0)
                        r = wiki_node(first, b, depth + 1);
        }
        return r >= 0 ? dynbuf_addc(b, '\n') : r;
}

static int wiki_node(json_t *n, struct dynbuf *b, unsigned depth)
{
        const char *t = type_of(n);
        int r;

        if (depth > DEPTH_MAX)
                return 0;
        if (streq(t, "doc"))
                return wiki_children(n, b, depth);
        if (streq(t, "heading")) {
                r = dynbuf_addf(b, "h%d. ",
                                (int) json_integer_value(
                                        json_object_get(json_object_get(n, "attrs"), "level")));
                if (r >= 0)
                        r = wiki_inlines(n, b);
                return r >= 0 ? dynbuf_addc(b, '\n') : r;
        }
        if (streq(t, "paragraph")) {
                r = wiki_inlines(n, b);
                return r >= 0 ? dynbuf_addstr(b, "\n\n") : r;
        }
        if (streq(t, "bulletList"))
                return wiki_list(n, b, depth);
        if (streq(t, "codeBlock")) {
                r = wiki_noformat(
                        json_string_value(json_object_get(json_array_get(json_object_get(n, "content"), 0), "text")) ?:
                                "",
                        b);
                return r >= 0 ? dynbuf_addc(b, '\n') : r;
        }
        if (streq(t, "table")) {
                r = wiki_table(n, b);
                return r >= 0 ? dynbuf_addc(b, '\n') : r;
        }
        if (streq(t, "rule"))
                return dynbuf_addstr(b, "----\n");
        return 0;
}

int adf_to_wiki(json_t *n, struct dynbuf *b)
{
        return wiki_node(n, b, 0);
}

/* ---- plain text ------------------------------------------------------------ */

static int text_inlines(json_t *n, struct dynbuf *b)
{
        size_t i;
        json_t *c;
        int r = 0;

        json_array_foreach(json_object_get(n, "content"), i, c) {
                const char *href = link_of(c);

                if (r >= 0 && streq(type_of(c), "text"))
                        r = dynbuf_addstr(b, json_string_value(json_object_get(c, "text")) ?: "");
                else if (r >= 0 && streq(type_of(c), "hardBreak"))
                        r = dynbuf_addc(b, '\n');
                if (r >= 0 && href &&
                    !streq(href, json_string_value(json_object_get(c, "text")) ?: ""))
                        r = dynbuf_addf(b, " <%s>", href);
        }
        return r;
}

static int text_table(json_t *n, struct dynbuf *b)
{
        size_t i, k;
        json_t *row, *cell;
        int r = 0;

        json_array_foreach(json_object_get(n, "content"), i, row) {
                json_array_foreach(json_object_get(row, "content"), k, cell) {
                        if (r >= 0 && k > 0)
                                r = dynbuf_addstr(b, k == 1 ? ": " : " | ");
                        if (r >= 0)
                                r = text_inlines(json_array_get(json_object_get(cell, "content"),
                                                                0),
                                                 b);
                }
                if (r >= 0)
                        r = dynbuf_addc(b, '\n');
        }
        return r >= 0 ? dynbuf_addc(b, '\n') : r;
}

static int text_code(json_t *n, struct dynbuf *b)
{
        const char *s =
                json_string_value(json_object_get(json_array_get(json_object_get(n, "content"), 0), "text")) ?:
                        "";
        int r = dynbuf_addstr(b, "    ");

        for (; r >= 0 && *s; s++)
                r = *s == '\n' ? dynbuf_addstr(b, "\n    ") : dynbuf_addc(b, *s);
        return r >= 0 ? dynbuf_addstr(b, "\n\n") : r;
}

static int text_node(json_t *n, struct dynbuf *b, unsigned depth)
{
        const char *t = type_of(n);
        size_t i;
        json_t *c;
        int r = 0;

        if (depth > DEPTH_MAX)
                return 0;
        if (streq(t, "doc")) {
                json_array_foreach(json_object_get(n, "content"), i, c)
                        if (r >= 0)
                                r = text_node(c, b, depth + 1);
                return r;
        }
        if (streq(t, "heading") || streq(t, "paragraph")) {
                bool h = streq(t, "heading");

                r = text_inlines(n, b);
                return r >= 0 ? dynbuf_addstr(b, h ? "\n" : "\n\n") : r;
        }
        if (streq(t, "bulletList")) {
                json_array_foreach(json_object_get(n, "content"), i, c) {
                        json_t *first = json_array_get(json_object_get(c, "content"), 0);

                        if (r >= 0)
                                r = dynbuf_addstr(b, "- ");
                        if (r >= 0)
                                r = text_inlines(first, b);
                        if (r >= 0)
                                r = dynbuf_addc(b, '\n');
                }
                return r >= 0 ? dynbuf_addc(b, '\n') : r;
        }
        if (streq(t, "codeBlock"))
                return text_code(n, b);
        if (streq(t, "table"))
                return text_table(n, b);
        if (streq(t, "rule"))
                return dynbuf_addstr(b, "--\n");
        return 0;
}

int adf_to_text(json_t *n, struct dynbuf *b)
{
        return text_node(n, b, 0);
}
