/* SPDX-License-Identifier: MIT */
/*
 * A set of 64-bit keys with open addressing: the logs collector's names and
 * device/inode pairs, the journal collector's units left without a file.
 */
#include <errno.h>
#include <string.h>

#include "alloc-util.h"
#include "fnv.h"
#include "keyset.h"

uint64_t keyset_key(const void *p, size_t n, uint64_t seed)
{
        return fnv1a64(p, n, FNV1A64_INIT ^ seed) ?: 1;
}

static size_t slot(const struct keyset *s, uint64_t key)
{
        size_t i = (size_t) (key ^ (key >> 29)) & (s->size - 1);

        while (s->keys[i] != 0 && s->keys[i] != key)
                i = (i + 1) & (s->size - 1);
        return i;
}

static int grow(struct keyset *s)
{
        size_t size = s->size ? s->size * 2 : 256;
        struct keyset n = { .keys = xcalloc(size, sizeof(uint64_t)), .size = size };

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

int keyset_add(struct keyset *s, uint64_t key)
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

bool keyset_contains(const struct keyset *s, uint64_t key)
{
        if (key == 0)
                key = 1;
        return s->size > 0 && s->keys[slot(s, key)] == key;
}

void keyset_done(struct keyset *s)
{
        free(s->keys);
        *s = (struct keyset) {};
}
