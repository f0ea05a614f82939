/* SPDX-License-Identifier: MIT */
/*
 * What a log file holds, decided by its first bytes (magic numbers, control
 * bytes, how NUL bytes are spread), and the repair of damaged text: a run of
 * NUL bytes becomes one "[NUL×N]" marker, a byte that is not UTF-8 becomes
 * U+FFFD, the text around them is kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "logs.h"
#include "macro.h"

static const struct {
        const char *magic;
        size_t len;
        const char *what;
} magics[] = {
        { "\xfd"
          "7zXZ\0",
          6, "xz data" },
        { "BZh", 3, "bzip2 data" },
        { "\x28\xb5\x2f\xfd", 4, "zstd data" },
        { "\x04\x22\x4d\x18", 4, "lz4 data" },
        { "\x89LZO", 4, "lzo data" },
        { "LPKSHHRH", 8, "a journal file" },
        { "\x7f"
          "ELF",
          4, "an ELF binary" },
        { "SQLite format 3", 15, "an SQLite database" },
        { "PK\x03\x04", 4, "a zip archive" },
        { "7z\xbc\xaf\x27\x1c", 6, "a 7z archive" },
        { "\x1f\x9d", 2, "compress data" },
        { "\xed\xab\xee\xdb", 4, "an RPM package" },
};

/* What each byte is to the sniff: 0 text, 1 NUL, 2 a control byte that never
 * occurs in text (controls other than tab, newline, vertical tab, form feed,
 * carriage return, backspace and escape, for ANSI colours). */
static const unsigned char sniff_class[256] = {
        [0] = 1,  [1] = 2,  [2] = 2,  [3] = 2,  [4] = 2,  [5] = 2,  [6] = 2,  [7] = 2,  [14] = 2,
        [15] = 2, [16] = 2, [17] = 2, [18] = 2, [19] = 2, [20] = 2, [21] = 2, [22] = 2, [23] = 2,
        [24] = 2, [25] = 2, [26] = 2, [28] = 2, [29] = 2, [30] = 2, [31] = 2,
};

struct sniff_counts {
        size_t runs, nul, controls;
};

static void sniff_byte(struct sniff_counts *c, const char *buf, size_t i)
{
        switch (sniff_class[(unsigned char) buf[i]]) {
        case 1:
                c->nul++;
                if (i == 0 || buf[i - 1] != 0)
                        c->runs++;
                break;
        case 2:
                c->controls++;
                break;
        }
}

const char *logs_sniff_binary(const char *buf, size_t n)
{
        const uint64_t spaces = 0x2020202020202020ULL, highs = 0x8080808080808080ULL;
        struct sniff_counts c = {};
        size_t i = 0, other;

        for (size_t k = 0; k < ELEMENTSOF(magics); k++)
                if (n >= magics[k].len && memcmp(buf, magics[k].magic, magics[k].len) == 0)
                        return magics[k].what;
        n = MIN(n, (size_t) LOGS_SNIFF_BYTES);
        /* Eight bytes at a time; only a word that holds a byte below 0x20 (a
         * newline, mostly) is looked at byte by byte. */
        for (; i + 8 <= n; i += 8) {
                uint64_t w;

                memcpy(&w, buf + i, 8);
                if (((w - spaces) & ~w & highs) == 0)
                        continue;
                for (size_t j = i; j < i + 8; j++)
                        sniff_byte(&c, buf, j);
        }
        for (; i < n; i++)
                sniff_byte(&c, buf, i);
        other = n - c.nul - c.controls;
        /* Text damaged by a crash holds a few long runs of NUL bytes; records
         * (wtmp, lastlog, databases) hold many short ones between binary
         * fields. */
        if (c.controls * 100 > c.controls + other)
                return "binary data (control bytes)";
        if (c.nul > 0 && c.runs * 128 > n && c.runs > 8)
                return "binary records (NUL bytes throughout)";
        return NULL;
}

/* Length of a valid UTF-8 sequence at p (at most end - p bytes), 0 if none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
        size_t n;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                n = 2;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                n = 3;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                n = 4;
        else
                return 0;
        if ((size_t) (end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
                return 0; /* overlong, surrogate */
        if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
                return 0;
        return n;
}

bool logs_text_clean(const char *line, size_t len)
{
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        size_t i = 0;

        /* Eight bytes at a time: a byte >= 0x80, or a zero byte. */
        for (; i + 8 <= len; i += 8) {
                uint64_t w;

                memcpy(&w, line + i, 8);
                if ((w & highs) || ((w - ones) & ~w & highs))
                        return false;
        }
        for (; i < len; i++)
                if (line[i] == 0 || (unsigned char) line[i] >= 0x80)
                        return false;
        return true;
}

size_t logs_text_repair(const char *line, size_t len, char *out, struct logs_repair *stats)
{
        const unsigned char *p = (const unsigned char *) line, *end = p + len;
        char *o = out;

        while (p < end) {
                size_t n;

                if (*p == 0) {
                        const unsigned char *q = p;

                        while (q < end && *q == 0)
                                q++;
                        n = (size_t) (q - p);
                        stats->nul += n;
                        if (n < 4)
                                for (size_t i = 0; i < n; i++)
                                        o += snprintf(o, 4, "\xef\xbf\xbd");
                        else
                                o += snprintf(o, 32, "[NUL\xc3\x97%zu]", n);
                        p = q;
                        continue;
                }
                n = utf8_len(p, end);
                if (n == 0) {
                        stats->invalid++;
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        p++;
                        continue;
                }
                memcpy(o, p, n);
                o += n;
                p += n;
        }
        return (size_t) (o - out);
}
