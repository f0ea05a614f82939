/* SPDX-License-Identifier: MIT */
/*
 * Sealed scratch files (include/scratch.h). The records are one stream under
 * AES-256-CTR: each is a 4-byte length and its bytes, encrypted as they are
 * appended through one buffer, and decrypted in the same order when read
 * back, so the counter needs no bookkeeping. No authentication: the file is
 * unlinked and only this process reads it back.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "scratch.h"

#define SCRATCH_BUF (64U * 1024U)

struct scratch {
        int fd;
        EVP_CIPHER_CTX *enc, *dec;
        bool reading;
        uint64_t in_file; /* bytes written, once reading: bytes left to read */
        size_t len, pos;  /* buf: bytes held, and read so far */
        unsigned char key[32], iv[16];
        unsigned char buf[SCRATCH_BUF];
};

struct scratch *scratch_free(struct scratch *s)
{
        if (!s)
                return NULL;
        EVP_CIPHER_CTX_free(s->enc);
        EVP_CIPHER_CTX_free(s->dec);
        safe_close(s->fd);
        OPENSSL_cleanse(s, sizeof(*s));
        free(s);
        return NULL;
}

static int random_bytes(void *p, size_t n)
{
        while (n > 0) {
                ssize_t k = getrandom(p, n, 0);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p = (char *) p + k;
                n -= (size_t) k;
        }
        return 0;
}

void scratch_init_child(void)
{
        (void) OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
}

int scratch_new(int fd, struct scratch **ret)
{
        struct scratch *s = xcalloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->fd = fd;
        r = random_bytes(s->key, sizeof(s->key));
        if (r >= 0)
                r = random_bytes(s->iv, sizeof(s->iv));
        if (r < 0) {
                scratch_free(s);
                return r;
        }
        s->enc = EVP_CIPHER_CTX_new();
        s->dec = EVP_CIPHER_CTX_new();
        if (!s->enc || !s->dec ||
            !EVP_EncryptInit_ex(s->enc, EVP_aes_256_ctr(), NULL, s->key, s->iv) ||
            !EVP_DecryptInit_ex(s->dec, EVP_aes_256_ctr(), NULL, s->key, s->iv)) {
                scratch_free(s);
                return -EIO;
        }
        *ret = s;
        return 0;
}

static int flush_out(struct scratch *s)
{
        size_t off = 0;

        while (off < s->len) {
                ssize_t k = write(s->fd, s->buf + off, s->len - off);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t) k;
        }
        s->in_file += s->len;
        s->len = 0;
        return 0;
}

/* Encrypts p[0, n) into the buffer, written out as it fills. */
static int put(struct scratch *s, const void *p, size_t n)
{
        while (n > 0) {
                size_t take = MIN(n, sizeof(s->buf) - s->len);
                int out = 0;

                if (!EVP_EncryptUpdate(s->enc, s->buf + s->len, &out, p, (int) take) ||
                    (size_t) out != take)
                        return -EIO;
                s->len += take;
                p = (const char *) p + take;
                n -= take;
                if (s->len == sizeof(s->buf)) {
                        int r = flush_out(s);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int scratch_append(struct scratch *s, const void *data, size_t len)
{
        uint32_t n = (uint32_t) len;
        int r;

        if (s->reading || len > UINT32_MAX)
                return -EINVAL;
        r = put(s, &n, sizeof(n));
        return r < 0 ? r : put(s, data, len);
}

/* Decrypts the next n bytes of the file into p. 0, -EBADMSG at a short file. */
static int get(struct scratch *s, void *p, size_t n)
{
        while (n > 0) {
                if (s->pos == s->len) {
                        ssize_t k = read(s->fd, s->buf,
                                         (size_t) MIN((uint64_t) sizeof(s->buf), s->in_file));
                        int out = 0;

                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return -errno;
                        if (k == 0)
                                return -EBADMSG;
                        if (!EVP_DecryptUpdate(s->dec, s->buf, &out, s->buf, (int) k) || out != k)
                                return -EIO;
                        s->in_file -= (uint64_t) k;
                        s->len = (size_t) k;
                        s->pos = 0;
                }
                size_t take = MIN(n, s->len - s->pos);

                memcpy(p, s->buf + s->pos, take);
                s->pos += take;
                p = (char *) p + take;
                n -= take;
        }
        return 0;
}

static int start_reading(struct scratch *s)
{
        int r = flush_out(s);

        if (r < 0)
                return r;
        if (lseek(s->fd, 0, SEEK_SET) < 0)
                return -errno;
        s->reading = true;
        s->len = s->pos = 0;
        return 0;
}

int scratch_next(struct scratch *s, char **buf, size_t *alloc, size_t *ret_len)
{
        uint32_t n;
        int r;

        if (!s->reading) {
                r = start_reading(s);
                if (r < 0)
                        return r;
        }
        if (s->in_file == 0 && s->pos == s->len)
                return 0;
        r = get(s, &n, sizeof(n));
        if (r < 0)
                return r;
        if (n > *alloc) {
                char *p = xrealloc(*buf, n);

                if (!p)
                        return -ENOMEM;
                *buf = p;
                *alloc = n;
        }
        r = get(s, *buf, n);
        if (r < 0)
                return r;
        *ret_len = n;
        return 1;
}
