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
        char *marker; /* "[REDACTED:<name>]" */
        size_t marker_len;
        pcre2_code *re;
        pcre2_code *key_re;       /* NULL: no key check */
        pcre2_code *keep_re;      /* NULL: nothing kept */
        pcre2_code *weak_key_re;  /* a key that is secret only for a high-entropy value */
        pcre2_code *weak_keep_re; /* values kept for a weak key */
        pcre2_code *end_re;       /* multiline rules only */
        pcre2_code *next_re;      /* the secret is on the next line, matched by this */
        char **hints;             /* NULL or empty: runs on every line */
        char **hints_not_in;      /* words taken out of a line before its hints are looked for */
        uint32_t secret_group;    /* 0: the whole match is replaced */
        uint32_t key_group;       /* 0: no "key" group */
        double entropy;           /* > 0: a value below this Shannon entropy (bits/byte) is kept
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

/* ---- Kubernetes Secret manifests (redact-k8s.c) ---- */

struct k8s {
        int secret_col;   /* >= 0: the object at this key column is a Secret */
        int other_col;    /* >= 0: the object at this key column is of another kind */
        int data_col;     /* >= 0: inside a data/stringData block of this key column */
        int hold_col;     /* >= 0: lines are held until the kind of this object is known */
        bool data_redact; /* the current data block belongs to a Secret */
};

enum k8s_verdict {
        K8S_PASS,       /* the line is processed as usual */
        K8S_REDACT,     /* a data entry of a Secret: replace its value (k8s_value_span) */
        K8S_HOLD_DATA,  /* hold the line: a data entry of an object of unknown kind */
        K8S_HOLD_OTHER, /* hold the line: it follows held lines */
};

enum k8s_release {
        K8S_RELEASE_NONE,
        K8S_RELEASE_SECRET, /* before this line: the held data entries are secret */
        K8S_RELEASE_PLAIN,  /* before this line: the held lines are ordinary */
};

void k8s_reset(struct k8s *k);
/* Whether lines must be followed even without a hint (inside an object or block). */
static inline bool k8s_active(const struct k8s *k)
{
        return k->secret_col >= 0 || k->other_col >= 0 || k->data_col >= 0 || k->hold_col >= 0;
}
/* Follows one complete line; hinted: the line contains "kind" or "data". */
enum k8s_verdict k8s_line(struct k8s *k, const char *t, size_t len, bool hinted,
                          enum k8s_release *ret_release);
/* The value of a data entry line to replace: 1 with its bounds, 0 none. */
int k8s_value_span(const char *t, size_t len, size_t *ret_s, size_t *ret_e);
/* Spans (of rule) for the data values of a one-line JSON Secret. 0 or -ENOMEM. */
int k8s_json_spans(const char *t, size_t len, int rule, struct spanvec *sv);
