/* SPDX-License-Identifier: MIT */
/*
 * Tests of the multi-literal scan (include/litscan.h) against a naive
 * reference (every literal compared at every offset): every literal at every
 * offset and alignment, at the start and end of a line, in both cases,
 * overlapping literals, near misses, empty and short lines, random text made
 * of pieces of the literals, and the real text of tests/data (logs, samples).
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "litscan.h"

struct tlit {
        const char *text;
        unsigned set;
        unsigned flags;
};

/* Sets as the clients use them: rule hints, error words (caseless), log
 * phrases (exact); overlapping literals, literals with the bytes that fold
 * together with | 0x20 ('_' and DEL, '@' and '`'), one in two sets. */
static const struct tlit lits[] = {
        { "password", 0, 0 },
        { "passwd", 0, 0 },
        { "secret", 0, 0 },
        { "token", 0, 0 },
        { "-----BEGIN", 0, 0 },
        { "AKIA", 0, 0 },
        { "ghp_", 0, 0 },
        { "xoxb-", 0, 0 },
        { "api_key", 0, 0 },
        { "a@b", 0, 0 },
        { "eyJ", 0, 0 },
        { "err", 1, 0 },
        { "error", 1, 0 },
        { "terror", 1, 0 },
        { "fatal", 1, 0 },
        { "bug", 1, 0 },
        { "oom", 1, 0 },
        { "out of memory", 1, 0 },
        { "killed process", 1, 0 },
        { "failed with result", 1, 0 },
        { "secret", 1, 0 },
        { "systemd", 2, LITSCAN_EXACT },
        { "Killed process ", 2, LITSCAN_EXACT },
        { "oom-kill:", 2, LITSCAN_EXACT },
        { "segfault at ", 2, LITSCAN_EXACT },
        { "No space left on device", 2, LITSCAN_EXACT },
        { "OutOfMemoryError", 2, LITSCAN_EXACT },
        { "aaa", 2, LITSCAN_EXACT },
        { "aab", 3, 0 },
        { "x_y", 3, LITSCAN_EXACT },
};

#define N_LITS ELEMENTSOF(lits)

static struct litscan *ls_real;

static unsigned bit_of(size_t i)
{
        unsigned b = 0;

        for (size_t j = 0; j < i; j++)
                if (lits[j].set == lits[i].set)
                        b++;
        return b;
}

static struct litscan *build(void)
{
        struct litscan *ls = NULL;

        assert_int_equal(litscan_new(&ls), 0);
        for (size_t i = 0; i < N_LITS; i++)
                assert_int_equal(litscan_add(ls, lits[i].text, lits[i].set,
                                             UINT64_C(1) << bit_of(i), lits[i].flags),
                                 0);
        return ls;
}

static void naive(const char *text, size_t len, uint64_t masks[LITSCAN_SETS])
{
        memset(masks, 0, LITSCAN_SETS * sizeof(uint64_t));
        for (size_t i = 0; i < N_LITS; i++) {
                size_t n = strlen(lits[i].text);

                for (size_t at = 0; at + n <= len; at++) {
                        bool eq = lits[i].flags & LITSCAN_EXACT ?
                                          memcmp(text + at, lits[i].text, n) == 0 :
                                          strncasecmp(text + at, lits[i].text, n) == 0;

                        if (eq) {
                                masks[lits[i].set] |= UINT64_C(1) << bit_of(i);
                                break;
                        }
                }
        }
}

/* text is copied to every alignment of a buffer and scanned there. */
static void check(const struct litscan *ls, const char *text, size_t len)
{
        uint64_t want[LITSCAN_SETS], got[LITSCAN_SETS];
        char *buf = xmalloc(len + 16);

        assert_non_null(buf);
        naive(text, len, want);
        for (size_t align = 0; align < 8; align++) {
                memcpy(buf + align, text, len);
                buf[align + len] = 'x'; /* a byte past the end is not read as text */
                litscan_scan(ls, buf + align, len, got);
                for (unsigned s = 0; s < LITSCAN_SETS; s++)
                        if (got[s] != want[s]) {
                                print_error("set %u: got %#llx want %#llx for '%.*s'\n", s,
                                            (unsigned long long) got[s],
                                            (unsigned long long) want[s], (int) len, text);
                                fail();
                        }
        }
        free(buf);
}

static uint32_t rnd(uint32_t *x)
{
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        return *x;
}

static void test_every_offset(void **state)
{
        _cleanup_(litscan_freep) struct litscan *ls = build();
        static const char filler[] = "the quick brown fox jumps over the lazy dog 0123456789 ";

        (void) state;
        for (size_t i = 0; i < N_LITS; i++) {
                size_t n = strlen(lits[i].text);

                for (size_t len = n; len <= n + 21; len++)
                        for (size_t at = 0; at + n <= len; at++)
                                for (int kase = 0; kase < 3; kase++) {
                                        char line[128];

                                        for (size_t k = 0; k < len; k++)
                                                line[k] = filler[k % (sizeof(filler) - 1)];
                                        memcpy(line + at, lits[i].text, n);
                                        for (size_t k = at; k < at + n; k++)
                                                if (kase == 1)
                                                        line[k] = (char) toupper(line[k]);
                                                else if (kase == 2 && k % 2)
                                                        line[k] = (char) tolower(line[k]);
                                        check(ls, line, len);
                                }
        }
}

static void test_cases(void **state)
{
        _cleanup_(litscan_freep) struct litscan *ls = build();
        uint64_t m[LITSCAN_SETS];

        (void) state;
        litscan_scan(ls, "Nov 27 host systemd[1]: app.service: ERROR", 42, m);
        assert_true(m[1] & UINT64_C(1) << 0); /* err */
        assert_true(m[1] & UINT64_C(1) << 1); /* error */
        assert_false(m[1] & UINT64_C(1) << 2);
        assert_int_equal(m[2], 1); /* systemd */
        /* exact literals in another case are not found, caseless ones are */
        litscan_scan(ls, "SYSTEMD KILLED PROCESS 12", 25, m);
        assert_int_equal(m[2], 0);
        assert_true(m[1] & UINT64_C(1) << 7); /* killed process */
        /* near misses: one byte short, one byte different, the folded twins */
        const char *misses[] = {
                "passwor",
                "asswordd x",
                "secre t",
                "tokn",
                "-----BEGI",
                "AKI",
                "gh_p",
                "fata1",
                "Killed proces",
                "Killed process",
                "oom-kill",
                "segfault at",
                "x\x7fy",
                "x_Y",
                "a`b",
                "aa",
                "",
                "e",
                "er",
                "eyj",
        };
        for (size_t i = 0; i < ELEMENTSOF(misses); i++)
                check(ls, misses[i], strlen(misses[i]));
        litscan_scan(ls, "x\x7fy a`b", 7, m);
        assert_int_equal(m[0] | m[1] | m[2] | m[3], 0);
        litscan_scan(ls, "eyj", 3, m);
        assert_int_equal(m[0], UINT64_C(1) << 10); /* caseless */
        /* overlapping literals, literals sharing bytes, a literal in two sets */
        check(ls, "terrorr", 7);
        check(ls, "aaab", 4);
        check(ls, "aaaa", 4);
        litscan_scan(ls, "aaab", 4, m);
        assert_int_equal(m[2], UINT64_C(1) << 6);
        assert_int_equal(m[3], 1);
        litscan_scan(ls, "my SECRET", 9, m);
        assert_int_equal(m[0], UINT64_C(1) << 2);
        assert_int_equal(m[1], UINT64_C(1) << 9);
        /* empty and short lines, a NULL scanner */
        litscan_scan(ls, "", 0, m);
        assert_int_equal(m[0] | m[1] | m[2] | m[3], 0);
        litscan_scan(NULL, "error", 5, m);
        assert_int_equal(m[1], 0);
        assert_true(litscan_has_set(ls, 3));
        assert_false(litscan_has_set(ls, 4));
}

static void test_add(void **state)
{
        _cleanup_(litscan_freep) struct litscan *ls = NULL;
        uint64_t m[LITSCAN_SETS];
        const char *words[] = { "alpha", "beta", "gamma", NULL };
        char big[LITSCAN_MAX + 2];

        (void) state;
        assert_int_equal(litscan_new(&ls), 0);
        litscan_scan(ls, "alpha", 5, m);
        assert_int_equal(m[0], 0);
        assert_int_equal(litscan_add(ls, "ab", 0, 1, 0), -EINVAL);
        assert_int_equal(litscan_add(ls, "abc", LITSCAN_SETS, 1, 0), -EINVAL);
        assert_int_equal(litscan_add(ls, "abc", 0, 0, 0), -EINVAL);
        assert_int_equal(litscan_add(ls, NULL, 0, 1, 0), -EINVAL);
        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(litscan_add(ls, big, 0, 1, 0), -EINVAL);
        big[LITSCAN_MAX] = 0;
        assert_int_equal(litscan_add(ls, big, 0, 1, 0), 0);
        /* the same literal again: the union of the masks, in any case */
        assert_int_equal(litscan_add(ls, "Delta", 1, 1, 0), 0);
        assert_int_equal(litscan_add(ls, "DELTA", 1, 4, 0), 0);
        assert_int_equal(litscan_add(ls, "DELTA", 1, 8, LITSCAN_EXACT), 0);
        litscan_scan(ls, "a delta b", 9, m);
        assert_int_equal(m[1], 5);
        litscan_scan(ls, "a DELTA b", 9, m);
        assert_int_equal(m[1], 13);
        assert_int_equal(litscan_add_list(ls, words, 2, 0), 0);
        litscan_scan(ls, "GAMMA and alpha", 15, m);
        assert_int_equal(m[2], 5);
        litscan_scan(ls, big, LITSCAN_MAX, m);
        assert_int_equal(m[0], 1);
        litscan_scan(ls, big, LITSCAN_MAX - 1, m);
        assert_int_equal(m[0], 0);
}

/* Random lines made of pieces of the literals, single bytes and spaces: many
 * near misses and overlaps. */
static void test_random(void **state)
{
        _cleanup_(litscan_freep) struct litscan *ls = build();
        uint32_t x = 2463534242u;

        (void) state;
        for (int n = 0; n < 20000; n++) {
                char line[160];
                size_t len = 0, want = rnd(&x) % 120;

                while (len < want) {
                        const char *l = lits[rnd(&x) % N_LITS].text;
                        size_t ll = strlen(l), from = rnd(&x) % ll, k = 1 + rnd(&x) % ll;
                        uint32_t how = rnd(&x) % 8;

                        if (how == 0)
                                line[len++] = (char) (rnd(&x) & 0xff);
                        else if (how == 1)
                                line[len++] = ' ';
                        else
                                for (size_t j = from; j < ll && j < from + k && len < want; j++)
                                        line[len++] = how == 2 ? (char) toupper(l[j]) : l[j];
                }
                check(ls, line, len);
        }
}

static size_t real_lines;

/* Every line of a file, as it is and with a literal put in. */
static int scan_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
        static uint32_t x = 88172645u;
        char *data;
        FILE *f;
        size_t size;

        (void) ftw;
        if (type != FTW_F || sb->st_size > (4 << 20) || !(f = fopen(path, "rb")))
                return 0;
        data = xmalloc((size_t) sb->st_size + 1);
        assert_non_null(data);
        size = fread(data, 1, (size_t) sb->st_size, f);
        fclose(f);
        for (char *p = data, *end = data + size; p < end;) {
                char *nl = memchr(p, '\n', (size_t) (end - p)), line[1024];
                size_t len = (size_t) ((nl ? nl : end) - p);

                check(ls_real, p, len);
                real_lines++;
                if (len + 32 < sizeof(line)) {
                        const char *l = lits[rnd(&x) % N_LITS].text;
                        size_t at = rnd(&x) % (len + 1), ll = strlen(l);

                        memcpy(line, p, at);
                        memcpy(line + at, l, ll);
                        memcpy(line + at + ll, p + at, len - at);
                        check(ls_real, line, len + ll);
                }
                p += len + 1;
        }
        free(data);
        return 0;
}

/* The text files of tests/data (logs, redaction samples, tickets). */
static void test_real_text(void **state)
{
        const char *src = getenv("COLLECT_SRCDIR");
        char dir[4096];

        (void) state;
        ls_real = build();
        snprintf(dir, sizeof(dir), "%s/tests/data", src ? src : ".");
        assert_int_equal(nftw(dir, scan_file, 16, FTW_PHYS), 0);
        ls_real = litscan_free(ls_real);
        assert_true(real_lines > 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_offset), cmocka_unit_test(test_cases),
                cmocka_unit_test(test_add),          cmocka_unit_test(test_random),
                cmocka_unit_test(test_real_text),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
