/* SPDX-License-Identifier: MIT */
/*
 * Private to the redactor (redact.c, redact-rules.c, redact-mask.c): compiled
 * rules, replacement spans and the masking state. Non-logging.
 */
#pragma once

#include "redact/spans.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcre2.h>

#include "macro.h"
#include "policy/pnode.h"

/* At most this many rules (they are tracked in a 64-bit mask per line). */
#define REDACT_RULES_MAX 64

struct rule {
        char *name;
        char *marker;          /* "[REDACTED:<name>]" */
        size_t marker_len;
        pcre2_code *re;
        pcre2_code *key_re;    /* NULL: no key check */
        pcre2_code *keep_re;   /* NULL: nothing kept */
        pcre2_code *weak_key_re;  /* a key that is secret only for a high-entropy value */
        pcre2_code *weak_keep_re; /* values kept for a weak key */
        pcre2_code *end_re;    /* multiline rules only */
        pcre2_code *next_re;   /* the secret is on the next line, matched by this */
        char **hints;          /* NULL or empty: runs on every line */
        uint32_t secret_group; /* 0: the whole match is replaced */
        uint32_t key_group;    /* 0: no "key" group */
        double entropy;        /* > 0: a value below this Shannon entropy (bits/byte) is kept
                                * (with weak_key_re: only for a weak key) */
        bool multiline;
};

void rule_done(struct rule *rule);

/* Shannon entropy of p[0, n) in bits per byte (0 for n == 0). */
double shannon_entropy(const char *p, size_t n);

/*
 * Builds the effective rule list: the built-in rules of the compiled-in
 * policies/redaction.yaml, then the section's (same name replaces, a new name
 * is appended), minus the names in "disable", plus "extra_secret_keys".
 * -EINVAL with a located *ret_error, -ENOMEM.
 */
int rules_load(const struct pnode *section, struct rule **ret, size_t *ret_n, char **ret_error);

/* The compiled-in "redaction" section (parsed once per call; caller frees the tree). */
int redact_builtin_tree(struct pnode **ret_tree, const struct pnode **ret_section,
                        char **ret_error);


struct mask;

/* The "mask" settings of the built-in section overridden by section's. */
int mask_new(const struct pnode *builtin, const struct pnode *section, struct mask **ret,
             char **ret_error);
struct mask *mask_free(struct mask *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct mask *, mask_free);
int mask_check(const struct pnode *section, char **ret_error);

/* Loads the pseudonym map (if it exists) and adds names to mask. */
int mask_enable(struct mask *m, const char *map_path, char *const *hostnames);
int mask_add_users(struct mask *m, char *const *users);
int mask_save(struct mask *m);
bool mask_enabled(const struct mask *m);

/* Appends the mask spans of text to sv. 0 or -ENOMEM. */
int mask_collect(struct mask *m, const char *text, size_t len, struct spanvec *sv);
