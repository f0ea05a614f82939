/* SPDX-License-Identifier: MIT */
/*
 * How the bundle's compression level was chosen (README "Performance"): the
 * bytes of a file (e.g. a bundle's tar, `gzip -dc bundle.tar.gz > b.tar`)
 * cut into the bundle writer's 128 KiB blocks and compressed with libdeflate
 * at each level, as the writer does; prints the size and the CPU time per
 * level. Compare with `gzip -6 -c b.tar | wc -c`. Not part of the build:
 *   cc -O2 -o level-sizes tests/bench/level-sizes.c $(pkg-config --cflags --libs libdeflate)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libdeflate.h>

#define BLOCK (128u * 1024u) /* GZPOOL_BLOCK_SIZE */

int main(int argc, char **argv)
{
        unsigned char *in, *out;
        size_t n = 0, cap = 1u << 20, r;
        FILE *f;

        if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
                fprintf(stderr, "usage: level-sizes FILE\n");
                return 2;
        }
        in = malloc(cap);
        while (in && (r = fread(in + n, 1, cap - n, f)) > 0) {
                n += r;
                if (n == cap)
                        in = realloc(in, cap *= 2);
        }
        fclose(f);
        out = malloc(libdeflate_gzip_compress_bound(NULL, BLOCK));
        if (!in || !out)
                return 1;
        printf("input %zu bytes\n", n);
        for (int level = 1; level <= 9; level++) {
                struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
                clock_t t0 = clock();
                size_t total = 0;

                for (size_t off = 0; c && off < n; off += BLOCK) {
                        size_t len = n - off < BLOCK ? n - off : BLOCK;

                        total += libdeflate_gzip_compress(c, in + off, len, out,
                                                          libdeflate_gzip_compress_bound(c, BLOCK));
                }
                printf("level %d: %zu bytes (%.2f%%), %.2f CPU s\n", level, total,
                       100.0 * (double) total / (double) n,
                       (double) (clock() - t0) / CLOCKS_PER_SEC);
                libdeflate_free_compressor(c);
        }
        free(in);
        free(out);
        return 0;
}
