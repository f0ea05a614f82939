/* SPDX-License-Identifier: MIT */
/*
 * A set of 64-bit keys (open addressing, grows at three quarters full), so
 * that "seen before?" stays constant-time whatever the number of names:
 * callers hash what they keep (keyset_key()). 0 is not a key. Non-logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyset {
        uint64_t *keys;
        size_t size, n;
};

/* 1 if key was added, 0 if it was there, -ENOMEM. */
int keyset_add(struct keyset *s, uint64_t key);
bool keyset_contains(const struct keyset *s, uint64_t key);
void keyset_done(struct keyset *s);

/* The key of p[0, n) (FNV-1a, 64 bits, from a seed; never 0). */
uint64_t keyset_key(const void *p, size_t n, uint64_t seed);
