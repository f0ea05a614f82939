/* SPDX-License-Identifier: MIT */
/*
 * One scan of a line for many literals at once (agent/basic/litscan.c). A
 * literal has at least LITSCAN_MIN bytes, is matched ASCII-caseless (or byte
 * for byte with LITSCAN_EXACT) and carries bits of one of LITSCAN_SETS 64-bit
 * masks ("sets", one per client: the redactor's rules, the error words, a
 * collector's phrases). litscan_scan() returns, per set, the union of the bits
 * of the literals that occur in the text. Where a literal is, a client finds
 * with memmem() (or a caseless compare) once the mask says it is there.
 *
 * Built by litscan_add() calls (each leaves the table usable), then read-only:
 * scans may run on several threads once no literal is added any more.
 * Non-logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define LITSCAN_SETS 4
#define LITSCAN_MIN 3u
#define LITSCAN_MAX 1024u /* bytes of one literal */

enum {
        LITSCAN_EXACT = 1u << 0, /* byte for byte (default: ASCII letters caseless) */
};

struct litscan;

int litscan_new(struct litscan **ret);
struct litscan *litscan_free(struct litscan *ls);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct litscan *, litscan_free);

/* Adds lit (a NUL-terminated string of LITSCAN_MIN..LITSCAN_MAX bytes) with
 * the bits mask of set. The same literal added again (same flags, same set)
 * gets the union of the masks. 0, -EINVAL (length, set or mask 0), -E2BIG
 * (65,535 literals), -ENOMEM. */
int litscan_add(struct litscan *ls, const char *lit, unsigned set, uint64_t mask, unsigned flags);

/* Adds the literals of a NULL-terminated list (at most 64): lits[i] with bit i
 * of set. 0 or as litscan_add(). */
int litscan_add_list(struct litscan *ls, const char *const *lits, unsigned set, unsigned flags);

/* One pass over text[0, len): masks[s] gets the union of the bits of set s of
 * the literals found in it (every set is written). */
void litscan_scan(const struct litscan *ls, const char *text, size_t len,
                  uint64_t masks[static LITSCAN_SETS]);

/* Whether set has any literal. */
bool litscan_has_set(const struct litscan *ls, unsigned set);
