/* SPDX-License-Identifier: MIT */
/*
 * Atlassian Document Format (ADF), the rich text of Jira Cloud, built with
 * jansson: a small set of node builders (doc, heading, paragraph, bullet
 * list, code block, table, rule; text with strong, code and link marks), and
 * renderers of the same document as Jira wiki markup (Data Center, comments)
 * and as plain text (the outbox draft pasted into a portal's rich-text field).
 * One document, three renderings: the content cannot drift apart. Pure.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "dynbuf.h"

enum adf_mark {
        ADF_PLAIN = 0,
        ADF_STRONG = 1 << 0, /* "strong" */
        ADF_CODE = 1 << 1,   /* "code" */
        ADF_EM = 1 << 2,     /* "em" */
};

/* Builders return new references (NULL on OOM, or for empty text: ADF forbids
 * empty text nodes); the *_add functions steal the child and return 0 or -ENOMEM. */
json_t *adf_doc(void);
json_t *adf_heading(int level, const char *text);
json_t *adf_paragraph(void);
json_t *adf_text(const char *text, unsigned marks);
json_t *adf_link(const char *text, const char *href);
json_t *adf_bullet_list(void);
json_t *adf_code_block(const char *text);
json_t *adf_table(void);
json_t *adf_rule(void);

/* Appends a child node to parent's content. */
int adf_add(json_t *parent, json_t *child);
/* A paragraph holding one text node. */
json_t *adf_para_text(const char *text, unsigned marks);
/* A list item (holding child, a paragraph or code block) appended to list. */
int adf_list_add(json_t *list, json_t *child);
/* A table row of n cells (header cells when header); NULL cells are " ". */
int adf_table_row(json_t *table, bool header, const char *const *cells, size_t n);

/* The node rendered as Jira wiki markup / as plain text, appended to b. */
int adf_to_wiki(json_t *node, struct dynbuf *b);
int adf_to_text(json_t *node, struct dynbuf *b);

/* s escaped for wiki inline text, at most max bytes of it (then "…"). */
char *wiki_escape(const char *s, size_t max);
