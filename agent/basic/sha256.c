/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (include/sha256.h). SHA256_Init/Update/Final are deprecated in
 * OpenSSL 3 in favour of EVP, whose first use costs about 2 MiB of resident
 * memory (provider and configuration loading); this file is the one place
 * that uses them, so nothing else in the agent touches EVP digests.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/sha.h>

#include "alloc-util.h"
#include "sha256.h"

struct sha256 {
        SHA256_CTX c;
};

static void to_hex(const unsigned char md[static 32], char hex[static SHA256_HEX_LEN + 1])
{
        static const char digits[] = "0123456789abcdef";

        for (unsigned i = 0; i < 32; i++) {
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[SHA256_HEX_LEN] = 0;
}

struct sha256 *sha256_new(void)
{
        struct sha256 *s = xmalloc(sizeof(*s));

        if (s)
                SHA256_Init(&s->c);
        return s;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
        if (len > 0)
                SHA256_Update(&s->c, data, len);
}

void sha256_final_hex(struct sha256 *s, char hex[static SHA256_HEX_LEN + 1])
{
        unsigned char md[SHA256_DIGEST_LENGTH];

        SHA256_Final(md, &s->c);
        to_hex(md, hex);
        SHA256_Init(&s->c);
}

struct sha256 *sha256_free(struct sha256 *s)
{
        free(s);
        return NULL;
}

void sha256_bytes(const void *data, size_t len, unsigned char md[static 32])
{
        SHA256_CTX c;

        SHA256_Init(&c);
        if (len > 0)
                SHA256_Update(&c, data, len);
        SHA256_Final(md, &c);
}

void sha256_hex(const void *data, size_t len, char hex[static SHA256_HEX_LEN + 1])
{
        unsigned char md[SHA256_DIGEST_LENGTH];

        sha256_bytes(data, len, md);
        to_hex(md, hex);
}
