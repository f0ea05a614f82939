/* SPDX-License-Identifier: MIT */
/*
 * FNV-1a, 64 bits: the hash of the small hash tables (error signatures, unit
 * names), not a digest. Header only. Non-logging.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FNV1A64_INIT 0xcbf29ce484222325ULL

/* h carried on over p[0, n): start from FNV1A64_INIT (or a seed). */
static inline uint64_t fnv1a64(const void *p, size_t n, uint64_t h)
{
        const unsigned char *s = p;

        for (size_t i = 0; i < n; i++)
                h = (h ^ s[i]) * 0x100000001b3ULL;
        return h;
}
