/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the streaming redactor: the input (after a 4-byte seed) is redacted
 * once whole and once fed in pseudo-random chunks derived from the seed,
 * with masking on when the seed says so; both outputs must be the same, and
 * nothing may crash or leak memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"
#include "redact/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sinkbuf {
        struct dynbuf b;
};

static int put(void *userdata, const char *p, size_t n)
{
        struct sinkbuf *s = userdata;

        return dynbuf_add(&s->b, p, n);
}

static int run(struct redactor *r, const char *data, size_t len, uint32_t seed,
               struct sinkbuf *out, bool *ret_binary)
{
        struct redact_stream *rs = NULL;
        size_t pos = 0;
        int k;

        k = redact_stream_new(r, "fuzz", put, out, &rs);
        if (k < 0)
                return k;
        while (k >= 0 && pos < len) {
                size_t n = len - pos;

                if (seed) {
                        seed = seed * 1103515245u + 12345u;
                        n = MIN(n, (size_t) ((seed >> 16) % 300) + 1);
                }
                k = redact_stream_feed(rs, data + pos, n);
                pos += n;
        }
        if (k >= 0)
                k = redact_stream_finish(rs);
        *ret_binary = redact_stream_binary(rs);
        redact_stream_free(rs);
        return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct redactor *r, *rm;
        struct sinkbuf a, b;
        bool bin_a = false, bin_b = false;
        uint32_t seed;
        int ka, kb;

        if (size < 4 || size > 1024 * 1024)
                return 0;
        if (!r) {
                char *hosts[] = { (char *) "web01.corp.example.com", NULL };

                if (redactor_new(NULL, &r, NULL) < 0 || redactor_new(NULL, &rm, NULL) < 0)
                        abort();
                /* no map file: pseudonyms live for the process only */
                if (redactor_enable_mask(rm, NULL, hosts) < 0)
                        abort();
        }
        memcpy(&seed, data, 4);
        seed |= 1;
        data += 4;
        size -= 4;

        struct redactor *use = (seed & 2) ? rm : r;

        dynbuf_init(&a.b, 64u * 1024 * 1024);
        dynbuf_init(&b.b, 64u * 1024 * 1024);
        ka = run(use, (const char *) data, size, 0, &a, &bin_a);
        kb = run(use, (const char *) data, size, seed, &b, &bin_b);
        if (ka < 0 || kb < 0)
                abort();
        if (!bin_a && !bin_b && (a.b.len != b.b.len || (a.b.len && memcmp(a.b.buf, b.b.buf, a.b.len) != 0)))
                abort();
        dynbuf_done(&a.b);
        dynbuf_done(&b.b);
        return 0;
}
