/* SPDX-License-Identifier: MIT */
/*
 * A set of 64-bit keys with open addressing, so that listing many files
 * stays linear (names and device/inode pairs are hashed into keys).
 */
#include <errno.h>
#include <string.h>

#include "alloc-util.h"
#include "logs.h"

uint64_t logs_hash(const void *p, size_t n, uint64_t seed)
{
        const unsigned char *s = p;
        uint64_t h = 14695981039346656037ULL ^ seed;

        for (size_t i = 0; i < n; i++) {
                h ^= s[i];
                h *= 1099511628211ULL;
        }
        return h ?: 1;
}

static size_t slot(const struct logs_set *s, uint64_t key)
{
        size_t i = (size_t) (key ^ (key >> 29)) & (s->size - 1);

        while (s->keys[i] != 0 && s->keys[i] != key)
                i = (i + 1) & (s->size - 1);
        return i;
}

static int grow(struct logs_set *s)
{
        size_t size = s->size ? s->size * 2 : 256;
        struct logs_set n = { .keys = xcalloc(size, sizeof(uint64_t)), .size = size };

        if (!n.keys)
                return -ENOMEM;
        for (size_t i = 0; i < s->size; i++)
                if (s->keys[i] != 0) {
                        n.keys[slot(&n, s->keys[i])] = s->keys[i];
                        n.n++;
                }
        free(s->keys);
        *s = n;
        return 0;
}

int logs_set_add(struct logs_set *s, uint64_t key)
{
        size_t i;

        if (key == 0)
                key = 1;
        if ((s->n + 1) * 4 > s->size * 3 && grow(s) < 0) /* at most 3/4 full */
                return -ENOMEM;
        i = slot(s, key);
        if (s->keys[i] == key)
                return 0;
        s->keys[i] = key;
        s->n++;
        return 1;
}

bool logs_set_contains(const struct logs_set *s, uint64_t key)
{
        if (key == 0)
                key = 1;
        return s->size > 0 && s->keys[slot(s, key)] == key;
}

void logs_set_done(struct logs_set *s)
{
        free(s->keys);
        *s = (struct logs_set) {};
}
