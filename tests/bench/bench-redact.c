/* SPDX-License-Identifier: MIT */
/*
 * Redaction throughput: feeds files through a redact stream in 64 KiB reads
 * with the default rules (or --mask) and prints MB/s of CPU time, with the
 * time of a plain read-and-split-lines pass for comparison.
 * Usage: bench-redact [--mask] [--repeat N] FILE...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "redact/redact.h"

static uint64_t lines_out, bytes_out;

static int discard(void *userdata, const char *data, size_t len)
{
        (void) userdata;
        (void) data;
        lines_out++;
        bytes_out += len;
        return 0;
}

static double cpu_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        struct redactor *r = NULL;
        char *err = NULL, *buf;
        bool mask = false;
        int repeat = 1, i = 1, k;
        double t_redact = 0, t_plain = 0;
        uint64_t total = 0, nl = 0;

        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--mask") == 0)
                        mask = true;
                else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
                        repeat = (int) strtoul(argv[++i], NULL, 10);
        }
        if (i >= argc) {
                fprintf(stderr, "usage: bench-redact [--mask] [--repeat N] FILE...\n");
                return 64;
        }
        k = redactor_new(NULL, &r, &err);
        if (k < 0) {
                fprintf(stderr, "redactor_new: %s\n", err ? err : strerror(-k));
                return 1;
        }
        if (mask) {
                char map[] = "/tmp/bench-redact-map-XXXXXX";
                char *hosts[] = { (char *) "web01.corp.example.com", (char *) "db01", NULL };
                int fd = mkstemp(map);

                close(fd);
                unlink(map);
                k = redactor_enable_mask(r, map, hosts);
                if (k < 0) {
                        fprintf(stderr, "mask: %s\n", strerror(-k));
                        return 1;
                }
        }
        buf = malloc(65536);
        if (!buf)
                return 1;
        for (int rep = 0; rep < repeat; rep++)
                for (int f = i; f < argc; f++) {
                        struct redact_stream *rs = NULL;
                        int fd = open(argv[f], O_RDONLY | O_CLOEXEC);
                        ssize_t n;
                        double t0;

                        if (fd < 0) {
                                perror(argv[f]);
                                return 66;
                        }
                        /* plain pass: read and find the line ends */
                        t0 = cpu_now();
                        while ((n = read(fd, buf, 65536)) > 0) {
                                const char *p = buf, *end = buf + n;

                                while ((p = memchr(p, '\n', (size_t) (end - p)))) {
                                        p++;
                                        nl++;
                                }
                        }
                        t_plain += cpu_now() - t0;
                        lseek(fd, 0, SEEK_SET);
                        t0 = cpu_now();
                        k = redact_stream_new(r, argv[f], discard, NULL, &rs);
                        while (k >= 0 && (n = read(fd, buf, 65536)) > 0) {
                                k = redact_stream_feed(rs, buf, (size_t) n);
                                total += (uint64_t) n;
                        }
                        if (k >= 0)
                                k = redact_stream_finish(rs);
                        redact_stream_free(rs);
                        t_redact += cpu_now() - t0;
                        close(fd);
                        if (k < 0) {
                                fprintf(stderr, "%s: %s\n", argv[f], strerror(-k));
                                return 1;
                        }
                }
        printf("bytes %llu lines %llu replacements %llu\n", (unsigned long long) total,
               (unsigned long long) nl, (unsigned long long) redactor_replacements(r));
        printf("redact_mb_s %.1f\n", (double) total / 1048576.0 / t_redact);
        printf("read_mb_s %.1f\n", (double) total / 1048576.0 / (t_plain > 0 ? t_plain : 1e-9));
        free(buf);
        redactor_free(r);
        return 0;
}
