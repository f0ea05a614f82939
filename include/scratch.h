/* SPDX-License-Identifier: MIT */
/*
 * A sealed scratch file: records appended, then read back once in the same
 * order, encrypted on the way to the file (AES-256-CTR through libcrypto's
 * EVP) with a random key that exists only in this process's memory. For text
 * that has not been redacted yet and must wait (DESIGN.md: nothing is staged
 * unredacted on disk): what the file holds is useless once the process is
 * gone. The first use of EVP makes about 2 MiB of libcrypto resident
 * (include/sha256.h): the journal collector's second reader, a process of
 * its own, is its one user. Non-logging.
 */
#pragma once

#include <stddef.h>

#include "macro.h"

struct scratch;

/* For a process of its own that uses libcrypto for nothing else (a child):
 * initialises it without reading openssl.cnf, which keeps about 0.6 MiB out
 * of its resident set. Never in collect's own process: its TLS would then
 * ignore the site's OpenSSL configuration. */
void scratch_init_child(void);

/* A scratch over fd (an unlinked file, mode 0600: the caller's; closed by
 * scratch_free()). 0, -ENOMEM, -EIO (no cipher), or -errno (no key). */
int scratch_new(int fd, struct scratch **ret);

/* Appends one record of len bytes (len < 4 GiB). 0 or -errno. */
int scratch_append(struct scratch *s, const void *data, size_t len);

/* Reads the next record, in the order they were appended, into *buf (grown
 * as needed; *alloc its size): 1 and its length in *ret_len, 0 at the end,
 * -EBADMSG if the file does not read back, or -errno. The first call ends
 * the appending. */
int scratch_next(struct scratch *s, char **buf, size_t *alloc, size_t *ret_len);

/* Closes the file and wipes the key. Accepts NULL. */
struct scratch *scratch_free(struct scratch *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct scratch *, scratch_free);
