/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 from libcrypto's SHA256_* functions. Not EVP: in OpenSSL 3 every
 * EVP digest (EVP_MD_fetch, EVP_Digest, even the one-shot SHA256()) first
 * loads the provider machinery and the configuration, which makes about
 * 2 MiB of libcrypto resident for the whole run; SHA256_* touch only the
 * hash code (and use the same SHA-NI/AVX2 assembly). Implemented in
 * agent/basic/sha256.c.
 */
#pragma once

#include <stddef.h>

#include "macro.h"

#define SHA256_HEX_LEN 64

struct sha256;

/* A running digest, or NULL when out of memory. */
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest as 64 lower-case hex digits and a NUL; s is then reset for reuse. */
void sha256_final_hex(struct sha256 *s, char hex[static SHA256_HEX_LEN + 1]);
struct sha256 *sha256_free(struct sha256 *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sha256 *, sha256_free);

/* The digest of data[0..len) as hex (for a digest of several pieces, the functions above). */
void sha256_hex(const void *data, size_t len, char hex[static SHA256_HEX_LEN + 1]);
/* The raw 32 bytes. */
void sha256_bytes(const void *data, size_t len, unsigned char md[static 32]);
