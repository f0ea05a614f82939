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

/* Bytes that never occur in text: controls other than tab, newline, vertical
 * tab, form feed, carriage return, backspace and escape (ANSI colours). */
static bool is_control(unsigned char c)
{
        return c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' &&
               c != '\b' && c != 0x1b;
}

const char *logs_sniff_binary(const char *buf, size_t n)
{
        size_t runs = 0, nul = 0, controls = 0, other = 0;

        for (size_t i = 0; i < ELEMENTSOF(magics); i++)
                if (n >= magics[i].len && memcmp(buf, magics[i].magic, magics[i].len) == 0)
                        return magics[i].what;
        n = MIN(n, (size_t) LOGS_SNIFF_BYTES);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) buf[i];

                if (c == 0) {
                        nul++;
                        if (i == 0 || buf[i - 1] != 0)
                                runs++;
                } else if (is_control(c))
                        controls++;
                else
                        other++;
        }
        /* Text damaged by a crash holds a few long runs of NUL bytes; records
         * (wtmp, lastlog, databases) hold many short ones between binary
         * fields. */
        if (controls * 100 > controls + other)
                return "binary data (control bytes)";
        if (nul > 0 && runs * 128 > n && runs > 8)
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
