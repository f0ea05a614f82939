/* SPDX-License-Identifier: MIT */
/*
 * The regions of a line that the redactor replaces, found by the rules and by
 * the masking (redact/redact.c, redact/redact-mask.c), kept apart from both so
 * that neither depends on the other for them.
 */
#pragma once

#include <stddef.h>

/* A region of a line to replace: by a rule's marker (rule >= 0) or a pseudonym. */
struct span {
        size_t start, end;
        int rule;         /* -1: mask replacement */
        const char *repl; /* mask replacement (not NUL-terminated necessarily) */
        size_t repl_len;
};

struct spanvec {
        struct span *v;
        size_t n, alloc;
};

int spanvec_push(struct spanvec *sv, const struct span *s);
void spanvec_done(struct spanvec *sv);
