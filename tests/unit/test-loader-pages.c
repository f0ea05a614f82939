/* SPDX-License-Identifier: MIT */
/*
 * Dropping the loader's pages (include/loader-pages.h): a clean read-only
 * private mapping of a file from its start loses its resident pages and reads
 * the same afterwards; one holding a copy-on-write page (written, then made
 * read-only) keeps what was written; a mapping from a later offset is left
 * alone; and the libraries still resolve symbols afterwards.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader-pages.h"

#define SIZE (256 * 1024)

/* The Rss (KiB) of the mapping that starts at p, from /proc/self/smaps. */
static long rss_of(const void *p)
{
        char line[4096], want[32];
        FILE *f = fopen("/proc/self/smaps", "re");
        bool in = false;
        long kib = -1;

        assert_non_null(f);
        (void) snprintf(want, sizeof(want), "%" PRIxPTR "-", (uintptr_t) p);
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, want, strlen(want)) == 0)
                        in = true;
                else if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
                        break;
        }
        fclose(f);
        return kib;
}

static void test_drops_clean_keeps_written(void **state)
{
        char path[] = "/tmp/test-loader-pages-XXXXXX";
        unsigned char *buf = malloc(SIZE);
        volatile unsigned char *clean, *written, *later;
        unsigned long sum = 0;
        int fd;

        (void) state;
        assert_non_null(buf);
        for (size_t i = 0; i < SIZE; i++)
                buf[i] = (unsigned char) (i * 7);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, SIZE), SIZE);
        clean = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
        written = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        later = mmap(NULL, SIZE / 2, PROT_READ, MAP_PRIVATE, fd, SIZE / 2);
        assert_true(clean != MAP_FAILED && written != MAP_FAILED && later != MAP_FAILED);
        close(fd);
        unlink(path);
        for (size_t i = 0; i < SIZE; i += 4096)
                sum += clean[i] + written[i];
        for (size_t i = 0; i < SIZE / 2; i += 4096)
                sum += later[i];
        written[4096] = 0xAB; /* a page of its own, then read-only */
        assert_int_equal(mprotect((void *) written, SIZE, PROT_READ), 0);
        assert_true(rss_of((const void *) clean) > 0);
        assert_true(rss_of((const void *) later) > 0);

        assert_true(loader_pages_drop() >= 1);
        assert_int_equal(rss_of((const void *) clean), 0);
        assert_true(rss_of((const void *) later) > 0);
        assert_int_equal(written[4096], 0xAB);
        for (size_t i = 0; i < SIZE; i++) {
                assert_int_equal(clean[i], buf[i]);
                if (i != 4096)
                        assert_int_equal(written[i], buf[i]);
        }
        (void) sum;

        /* the libraries' symbol tables are read again where needed */
        void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
        assert_non_null(h);
        assert_non_null(dlsym(h, "zlibVersion"));
        dlclose(h);
        munmap((void *) clean, SIZE);
        munmap((void *) written, SIZE);
        munmap((void *) later, SIZE / 2);
        free(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drops_clean_keeps_written),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
