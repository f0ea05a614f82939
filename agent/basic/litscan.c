/* SPDX-License-Identifier: MIT */
/*
 * The multi-literal scan (include/litscan.h). Every literal is known by one
 * of its byte triples (its rarest in log text), folded with | 0x20. The scan
 * reads the text four bytes at a time at even offsets, which gives the
 * triples at both offsets; each is looked up in a bit set of the literals'
 * triples (a hash of 17 bits: 16 KiB, most of text misses without a branch
 * taken), and only on a hit are the literals with that triple compared where
 * they would start.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "litscan.h"

#define TRI_BITS 17u  /* the bit set of triples: 2^17 bits */
#define BUCKETS 4096u /* chains of triple entries, by the same hash */

struct lit {
        char *text;                          /* folded to lower case unless exact */
        uint64_t head, head_mask, head_fold; /* its first 8 bytes (see lit_at()) */
        uint64_t mask;
        uint16_t len;
        uint8_t set;
        bool exact;
};

/* A literal's triple at offset in it (with the literal's set and mask, so
 * that a literal found already costs no look at it). */
struct tri_entry {
        uint32_t key; /* the triple, folded, as a little-endian 24-bit number */
        uint16_t lit;
        uint16_t offset;
        uint8_t set;
        uint32_t next; /* index + 1 of the next entry in the same bucket */
        uint64_t mask;
};

struct litscan {
        uint64_t tri[(1u << TRI_BITS) / 64]; /* the literals' triples, hashed */
        uint32_t head[BUCKETS];
        struct tri_entry *tris;
        size_t n_tris;
        struct lit *lits;
        size_t n_lits;
        uint64_t sets; /* bit s: set s has a literal */
};

/* ASCII lower case. */
static inline uint8_t fold(uint8_t c)
{
        return (uint8_t) (c + ((unsigned) (c - 'A') < 26u) * 32u);
}

/* Triples are folded with | 0x20 (ASCII lower case, and a few harmless
 * collisions such as '_' with DEL that the exact comparison sorts out). */
static inline uint32_t tri_key(const uint8_t *t)
{
        return ((uint32_t) t[0] | (uint32_t) t[1] << 8 | (uint32_t) t[2] << 16) | 0x202020u;
}

static inline unsigned tri_hash(uint32_t key)
{
        return (key * 2654435761u) >> (32 - TRI_BITS);
}

static inline unsigned bucket_of(unsigned hash)
{
        return hash & (BUCKETS - 1);
}

static inline bool bit(const uint64_t *set, unsigned k)
{
        return set[k >> 6] & (UINT64_C(1) << (k & 63));
}

int litscan_new(struct litscan **ret)
{
        struct litscan *ls = xcalloc(1, sizeof(*ls));

        if (!ls)
                return -ENOMEM;
        *ret = ls;
        return 0;
}

struct litscan *litscan_free(struct litscan *ls)
{
        if (!ls)
                return NULL;
        for (size_t i = 0; i < ls->n_lits; i++)
                free(ls->lits[i].text);
        free(ls->lits);
        free(ls->tris);
        free(ls);
        return NULL;
}

static int tri_add(struct litscan *ls, size_t lit, unsigned offset)
{
        const struct lit *l = &ls->lits[lit];
        uint32_t key = tri_key((const uint8_t *) l->text + offset);
        unsigned h = tri_hash(key), b = bucket_of(h);
        struct tri_entry *v = xrealloc(ls->tris, (ls->n_tris + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        ls->tris = v;
        v[ls->n_tris] = (struct tri_entry) { .key = key,
                                             .lit = (uint16_t) lit,
                                             .offset = (uint16_t) offset,
                                             .set = l->set,
                                             .next = ls->head[b],
                                             .mask = l->mask };
        ls->head[b] = (uint32_t) ++ls->n_tris;
        ls->tri[h >> 6] |= UINT64_C(1) << (h & 63);
        return 0;
}

/* How common a (lower-case) byte pair is in log text, roughly: the product of
 * English letter frequencies (a space and digits count as common, other bytes
 * as moderately rare), ten times more for the pairs most frequent in English
 * words. */
static double pair_score(const uint8_t *p)
{
        static const double freq[26] = {
                8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.2, 0.8, 4.0, 2.4,
                6.7, 7.5, 1.9, 0.1, 6.0,  6.3, 9.1, 2.8, 1.0, 2.4, 0.2, 2.0, 0.1,
        };
        static const char common[] = "th he in er an re on at en nd ti es or te of ed is it al "
                                     "ar st to nt ng se ha as ou io le ve co me de hi ri ro ic "
                                     "ne ea ra ce li ch ll be ma si om ur ss ";
        double f[2];

        for (int i = 0; i < 2; i++) {
                uint8_t c = fold(p[i]);

                if (c >= 'a' && c <= 'z')
                        f[i] = freq[c - 'a'];
                else if (c == ' ')
                        f[i] = 15.0;
                else if ((c >= '0' && c <= '9') || c == '=' || c == '.' || c == '-' || c == ':' ||
                         c == '/')
                        f[i] = 5.0;
                else
                        f[i] = 1.5;
        }
        for (size_t i = 0; i + 2 < sizeof(common); i += 3)
                if (fold(p[0]) == common[i] && fold(p[1]) == common[i + 1])
                        return 10 * f[0] * f[1];
        return f[0] * f[1];
}

static bool same(const struct lit *l, const char *text, size_t len, unsigned set, bool exact)
{
        if (l->len != len || l->set != set || l->exact != exact)
                return false;
        return exact ? memcmp(l->text, text, len) == 0 : strncasecmp(l->text, text, len) == 0;
}

int litscan_add(struct litscan *ls, const char *lit, unsigned set, uint64_t mask, unsigned flags)
{
        bool exact = flags & LITSCAN_EXACT;
        size_t len = lit ? strlen(lit) : 0, best = 0;
        double best_score = 1e9;
        struct lit *l;

        if (!ls || len < LITSCAN_MIN || len > LITSCAN_MAX || set >= LITSCAN_SETS || mask == 0)
                return -EINVAL;
        for (size_t i = 0; i < ls->n_lits; i++)
                if (same(&ls->lits[i], lit, len, set, exact)) {
                        ls->lits[i].mask |= mask;
                        for (size_t j = 0; j < ls->n_tris; j++)
                                if (ls->tris[j].lit == i)
                                        ls->tris[j].mask |= mask;
                        return 0;
                }
        if (ls->n_lits >= UINT16_MAX)
                return -E2BIG;
        l = xrealloc(ls->lits, (ls->n_lits + 1) * sizeof(*l));
        if (!l)
                return -ENOMEM;
        ls->lits = l;
        l = &ls->lits[ls->n_lits];
        *l = (struct lit) { .text = xstrdup(lit),
                            .mask = mask,
                            .len = (uint16_t) len,
                            .set = (uint8_t) set,
                            .exact = exact };
        if (!l->text)
                return -ENOMEM;
        if (!exact)
                for (size_t i = 0; i < len; i++)
                        l->text[i] = (char) fold((uint8_t) l->text[i]);
        for (size_t i = 0; i < MIN(len, (size_t) 8); i++) {
                l->head |= (uint64_t) (uint8_t) l->text[i] << (8 * i);
                l->head_mask |= UINT64_C(0xff) << (8 * i);
        }
        l->head_fold = exact ? 0 : UINT64_C(0x2020202020202020) & l->head_mask;
        l->head |= l->head_fold;
        ls->n_lits++;
        ls->sets |= UINT64_C(1) << set;
        /* the triple rarest in log text */
        for (size_t q = 0; q + 2 < len; q++) {
                const uint8_t *t = (const uint8_t *) l->text + q;
                double sc = pair_score(t) + pair_score(t + 1);

                if (sc < best_score) {
                        best_score = sc;
                        best = q;
                }
        }
        return tri_add(ls, ls->n_lits - 1, (unsigned) best);
}

int litscan_add_list(struct litscan *ls, const char *const *lits, unsigned set, unsigned flags)
{
        for (size_t i = 0; lits && lits[i]; i++) {
                int r = i < 64 ? litscan_add(ls, lits[i], set, UINT64_C(1) << i, flags) : -E2BIG;

                if (r < 0)
                        return r;
        }
        return 0;
}

bool litscan_has_set(const struct litscan *ls, unsigned set)
{
        return ls && set < LITSCAN_SETS && (ls->sets >> set & 1);
}

/* Whether literal l is at p (which has room for it); room: bytes from p on. */
static inline bool lit_at(const struct lit *l, const uint8_t *p, size_t room)
{
        size_t k = 0;

        /* most candidates differ in their first 8 bytes: one compare, with the
         * case folded the way | 0x20 does (a necessary condition) */
        if (room >= 8) {
                uint64_t w;

                memcpy(&w, p, 8);
                if (((le64toh(w) | l->head_fold) & l->head_mask) != l->head)
                        return false;
        }
        if (l->exact)
                return memcmp(p, l->text, l->len) == 0;
        while (k < l->len && fold(p[k]) == (uint8_t) l->text[k])
                k++;
        return k == l->len;
}

/* The literals with the triple key at i, compared where they would start. */
static void candidates(const struct litscan *ls, uint32_t key, const uint8_t *p, size_t len,
                       size_t i, uint64_t *masks)
{
        for (uint32_t e = ls->head[bucket_of(tri_hash(key))]; e;) {
                const struct tri_entry *te = &ls->tris[e - 1];

                e = te->next;
                if (te->key != key || te->offset > i || (masks[te->set] & te->mask) == te->mask)
                        continue;
                const struct lit *l = &ls->lits[te->lit];
                size_t at = i - te->offset;

                if (l->len <= len - at && lit_at(l, p + at, len - at))
                        masks[l->set] |= l->mask;
        }
}

void litscan_scan(const struct litscan *ls, const char *text, size_t len,
                  uint64_t masks[static LITSCAN_SETS])
{
        const uint8_t *p = (const uint8_t *) text;
        size_t i = 0;

        memset(masks, 0, LITSCAN_SETS * sizeof(uint64_t));
        if (!ls || ls->n_lits == 0)
                return;
        /* the triples at i and i + 1 from one load */
        for (; i + 4 <= len; i += 2) {
                uint32_t w, a, b;
                bool at_a, at_b;

                memcpy(&w, p + i, 4);
                w = le32toh(w) | 0x20202020u;
                a = w & 0xffffffu;
                b = w >> 8;
                at_a = bit(ls->tri, tri_hash(a));
                at_b = bit(ls->tri, tri_hash(b));
                if (_likely_(!(at_a | at_b)))
                        continue;
                if (at_a)
                        candidates(ls, a, p, len, i, masks);
                if (at_b)
                        candidates(ls, b, p, len, i + 1, masks);
        }
        if (i + 3 == len) { /* the last triple */
                uint32_t a = tri_key(p + i);

                if (bit(ls->tri, tri_hash(a)))
                        candidates(ls, a, p, len, i, masks);
        }
}
