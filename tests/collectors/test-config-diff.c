/* SPDX-License-Identifier: MIT */
/*
 * Randomised oracle test of the config line diff against GNU diffutils:
 * thousands of generated file pairs; `patch` must reproduce the new file from
 * our diff, our changed-line count must equal that of `diff -u --minimal`,
 * and for ordinary edits our hunks must be identical to `diff -u`.
 * CONFIG_DIFF_SEED changes the seed, CONFIG_DIFF_CASES the number of pairs.
 */

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config-diff.h"
#include "macro.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

static uint64_t rng_state;

static uint64_t rnd(void)
{
        /* xorshift64* */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ULL;
}

static size_t rnd_below(size_t n)
{
        return n ? (size_t) (rnd() % n) : 0;
}

struct text {
        char **lines;
        size_t n;
        bool no_eol; /* last line has no newline */
};

static void text_free(struct text *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->lines[i]);
        free(t->lines);
        *t = (struct text) {};
}

static void text_insert(struct text *t, size_t at, const char *s)
{
        t->lines = realloc(t->lines, (t->n + 1) * sizeof(char *));
        assert_non_null(t->lines);
        memmove(t->lines + at + 1, t->lines + at, (t->n - at) * sizeof(char *));
        t->lines[at] = strdup(s);
        t->n++;
}

static void text_delete(struct text *t, size_t at)
{
        free(t->lines[at]);
        memmove(t->lines + at, t->lines + at + 1, (t->n - at - 1) * sizeof(char *));
        t->n--;
}

static struct text text_copy(const struct text *t)
{
        struct text c = { .n = t->n, .no_eol = t->no_eol };

        c.lines = calloc(t->n + 1, sizeof(char *));
        for (size_t i = 0; i < t->n; i++)
                c.lines[i] = strdup(t->lines[i]);
        return c;
}

static char *text_render(const struct text *t, size_t *ret_len)
{
        size_t len = 0, pos = 0;
        char *buf;

        for (size_t i = 0; i < t->n; i++)
                len += strlen(t->lines[i]) + 1;
        buf = malloc(len + 1);
        assert_non_null(buf);
        for (size_t i = 0; i < t->n; i++) {
                size_t l = strlen(t->lines[i]);

                memcpy(buf + pos, t->lines[i], l);
                pos += l;
                if (i + 1 < t->n || !t->no_eol)
                        buf[pos++] = '\n';
        }
        buf[pos] = 0;
        *ret_len = pos;
        return buf;
}

static unsigned unique_counter;

static void unique_line(char *buf, size_t size)
{
        static const char *const words[] = { "listen", "server_name", "root", "option",
                                             "timeout", "include", "user", "port" };

        (void) snprintf(buf, size, "%s value-%u %zu", words[rnd_below(ELEMENTS(words))],
                        unique_counter++, rnd_below(1000));
}

/* An ordinary edit: unique lines, a few separate insertions, deletions,
 * replacements. */
static void gen_ordinary(struct text *a, struct text *b)
{
        char buf[128];
        size_t n = 5 + rnd_below(60);

        *a = (struct text) {};
        for (size_t i = 0; i < n; i++) {
                unique_line(buf, sizeof(buf));
                text_insert(a, a->n, buf);
        }
        a->no_eol = rnd_below(8) == 0;
        *b = text_copy(a);

        /* Edit positions from the end so earlier indexes stay valid. */
        size_t edits = 1 + rnd_below(4);
        size_t pos = b->n;
        for (size_t e = 0; e < edits && pos > 0; e++) {
                size_t step = 1 + rnd_below(MAX(pos, (size_t) 1));
                if (step > pos)
                        step = pos;
                pos -= step;
                switch (rnd_below(3)) {
                case 0: /* insert */
                        for (size_t k = 0, m = 1 + rnd_below(3); k < m; k++) {
                                unique_line(buf, sizeof(buf));
                                text_insert(b, pos, buf);
                        }
                        break;
                case 1: /* delete */
                        for (size_t k = 0, m = 1 + rnd_below(3); k < m && pos < b->n; k++)
                                text_delete(b, pos);
                        break;
                default: /* replace */
                        for (size_t k = 0, m = 1 + rnd_below(3); k < m && pos < b->n; k++)
                                text_delete(b, pos);
                        for (size_t k = 0, m = 1 + rnd_below(3); k < m; k++) {
                                unique_line(buf, sizeof(buf));
                                text_insert(b, pos, buf);
                        }
                        break;
                }
        }
        if (rnd_below(10) == 0)
                b->no_eol = !b->no_eol;
}

/* Anything goes: a small vocabulary (repeated and blank lines), moves,
 * duplications, empty files, trailing newline toggles. */
static void gen_general(struct text *a, struct text *b)
{
        static const char *const vocab[] = { "", "", "}", "{", "a = 1", "b = 2", "# comment",
                                             "  indent", "x", "y" };
        size_t vsize = 3 + rnd_below(ELEMENTS(vocab) - 2);
        size_t n = rnd_below(5) == 0 ? rnd_below(3) : rnd_below(80);
        char buf[64];

        *a = (struct text) {};
        for (size_t i = 0; i < n; i++)
                text_insert(a, a->n, vocab[rnd_below(vsize)]);
        a->no_eol = rnd_below(4) == 0;
        *b = text_copy(a);

        size_t ops = rnd_below(8);
        for (size_t o = 0; o < ops; o++) {
                size_t at = rnd_below(b->n + 1);

                switch (rnd_below(5)) {
                case 0:
                        text_insert(b, at, vocab[rnd_below(vsize)]);
                        break;
                case 1:
                        if (at < b->n)
                                text_delete(b, at);
                        break;
                case 2: { /* move a block */
                        if (b->n < 2)
                                break;
                        size_t from = rnd_below(b->n), len = 1 + rnd_below(MIN(b->n - from, (size_t) 5));
                        char *tmp[5];
                        for (size_t k = 0; k < len; k++) {
                                tmp[k] = strdup(b->lines[from]);
                                text_delete(b, from);
                        }
                        size_t to = rnd_below(b->n + 1);
                        for (size_t k = 0; k < len; k++) {
                                text_insert(b, to + k, tmp[k]);
                                free(tmp[k]);
                        }
                        break;
                }
                case 3:
                        if (at < b->n) {
                                (void) snprintf(buf, sizeof(buf), "%s", b->lines[at]);
                                text_insert(b, at, buf);
                        }
                        break;
                default:
                        (void) snprintf(buf, sizeof(buf), "new %zu", rnd_below(5));
                        text_insert(b, at, buf);
                        break;
                }
        }
        if (rnd_below(4) == 0)
                b->no_eol = !b->no_eol;
}

static void write_file(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0, alloc = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (alloc - len < 65536) {
                        alloc = alloc * 2 + 65536;
                        buf = realloc(buf, alloc + 1);
                        assert_non_null(buf);
                }
                size_t k = fread(buf + len, 1, alloc - len, f);
                if (k == 0)
                        break;
                len += k;
        }
        fclose(f);
        buf[len] = 0;
        *ret_len = len;
        return buf;
}

/* Runs argv in dir with stdout to out_path (or /dev/null); returns exit status. */
static int run(const char *dir, const char *out_path, const char *const *argv)
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                              0644);
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (fd < 0 || null < 0 || chdir(dir) < 0)
                        _exit(127);
                dup2(fd, 1);
                dup2(null, 2);
                execvp(argv[0], (char *const *) argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int append_cb(void *userdata, const char *data, size_t len)
{
        FILE *f = userdata;

        return fwrite(data, 1, len, f) == len ? 0 : -EIO;
}

struct section {
        const char *hunks; /* from the first "@@" */
        size_t len;
};

/* Finds the section of `diff -r` output for case name (NULL when identical). */
static struct section find_section(const char *out, const char *name)
{
        char key[128];
        const char *p;

        (void) snprintf(key, sizeof(key), " a/%s b/%s\n", name, name);
        for (p = out; (p = strstr(p, key)); p++) {
                const char *bol = p;
                while (bol > out && bol[-1] != '\n')
                        bol--;
                if (strncmp(bol, "diff ", 5) == 0)
                        break;
        }
        if (!p)
                return (struct section) {};
        const char *h = strstr(p, "\n@@ ");
        assert_non_null(h);
        h++;
        const char *end = h;
        for (;;) {
                const char *nl = strchr(end, '\n');
                if (!nl) {
                        end += strlen(end);
                        break;
                }
                end = nl + 1;
                if (strncmp(end, "diff ", 5) == 0 || *end == 0)
                        break;
        }
        return (struct section) { .hunks = h, .len = (size_t) (end - h) };
}

/* Counts '-' and '+' lines of a hunk section using the hunk header counts. */
static size_t count_changes(const char *s, size_t len)
{
        const char *p = s, *end = s + len;
        size_t changed = 0;

        while (p < end) {
                unsigned long s0, c0 = 1, s1, c1 = 1;
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                assert_true(strncmp(p, "@@ -", 4) == 0);
                const char *q = p + 4;
                char *e;
                s0 = strtoul(q, &e, 10);
                if (*e == ',')
                        c0 = strtoul(e + 1, &e, 10);
                assert_true(*e == ' ' && e[1] == '+');
                s1 = strtoul(e + 2, &e, 10);
                if (*e == ',')
                        c1 = strtoul(e + 1, &e, 10);
                (void) s0;
                (void) s1;
                p = nl + 1;
                while ((c0 > 0 || c1 > 0 || (p < end && *p == '\\')) && p < end) {
                        nl = memchr(p, '\n', (size_t) (end - p));
                        assert_non_null(nl);
                        if (*p == ' ') {
                                c0--;
                                c1--;
                        } else if (*p == '-') {
                                c0--;
                                changed++;
                        } else if (*p == '+') {
                                c1--;
                                changed++;
                        } else
                                assert_true(*p == '\\');
                        p = nl + 1;
                }
        }
        return changed;
}

static void test_oracle(void **state)
{
        const char *seed_env = getenv("CONFIG_DIFF_SEED"), *cases_env = getenv("CONFIG_DIFF_CASES");
        uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 20260127;
        size_t n_cases = cases_env ? strtoul(cases_env, NULL, 0) : 3000;
        char tmpl[] = "/tmp/test-config-diff.XXXXXX";
        char *dir = mkdtemp(tmpl);
        char path[4096], name[64];
        bool *ordinary = calloc(n_cases, sizeof(bool));
        size_t *our_changes = calloc(n_cases, sizeof(size_t));
        size_t n_ordinary = 0, n_whole = 0;

        (void) state;
        print_message("seed %llu (set CONFIG_DIFF_SEED to change), %zu cases\n",
                      (unsigned long long) seed, n_cases);
        rng_state = seed ? seed : 1;
        assert_non_null(dir);
        (void) snprintf(path, sizeof(path), "%s/a", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        (void) snprintf(path, sizeof(path), "%s/b", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        (void) snprintf(path, sizeof(path), "%s/work", dir);
        assert_int_equal(mkdir(path, 0755), 0);

        (void) snprintf(path, sizeof(path), "%s/ours.diff", dir);
        FILE *ours = fopen(path, "we");
        assert_non_null(ours);
        char **our_text = calloc(n_cases, sizeof(char *));

        for (size_t c = 0; c < n_cases; c++) {
                struct text a, b;
                size_t alen, blen;

                ordinary[c] = rnd_below(2) == 0;
                if (ordinary[c]) {
                        gen_ordinary(&a, &b);
                        n_ordinary++;
                } else
                        gen_general(&a, &b);
                char *adata = text_render(&a, &alen), *bdata = text_render(&b, &blen);

                (void) snprintf(name, sizeof(name), "case%05zu", c);
                (void) snprintf(path, sizeof(path), "%s/a/%s", dir, name);
                write_file(path, adata, alen);
                (void) snprintf(path, sizeof(path), "%s/work/%s", dir, name);
                write_file(path, adata, alen);
                (void) snprintf(path, sizeof(path), "%s/b/%s", dir, name);
                write_file(path, bdata, blen);

                char alabel[80], blabel[80];
                (void) snprintf(alabel, sizeof(alabel), "a/%s", name);
                (void) snprintf(blabel, sizeof(blabel), "b/%s", name);
                struct config_diff_stats st;
                char *buf = NULL;
                size_t buflen = 0;
                FILE *mem = open_memstream(&buf, &buflen);
                assert_int_equal(config_diff_unified(alabel, adata, alen, blabel, bdata, blen, NULL,
                                                     append_cb, mem, &st),
                                 0);
                fclose(mem);
                fputs(buf, ours);
                our_text[c] = buf;
                our_changes[c] = st.deleted + st.inserted;
                if (st.whole_file)
                        n_whole++;
                free(adata);
                free(bdata);
                text_free(&a);
                text_free(&b);
        }
        assert_int_equal(fclose(ours), 0);
        assert_int_equal(n_whole, 0);

        /* patch must turn every a/ file into its b/ file. */
        const char *patch_argv[] = { "patch", "-s", "-p1", "-i", "../ours.diff", NULL };
        (void) snprintf(path, sizeof(path), "%s/work", dir);
        assert_int_equal(run(path, NULL, patch_argv), 0);

        const char *min_argv[] = { "diff", "-u", "--minimal", "-r", "a", "b", NULL };
        const char *plain_argv[] = { "diff", "-u", "-r", "a", "b", NULL };
        char min_path[4096], plain_path[4096];
        (void) snprintf(min_path, sizeof(min_path), "%s/minimal.out", dir);
        (void) snprintf(plain_path, sizeof(plain_path), "%s/plain.out", dir);
        assert_true(run(dir, min_path, min_argv) <= 1);
        assert_true(run(dir, plain_path, plain_argv) <= 1);
        size_t min_len, plain_len;
        char *min_out = read_all(min_path, &min_len), *plain_out = read_all(plain_path, &plain_len);
        assert_non_null(min_out);
        assert_non_null(plain_out);

        size_t hunks_equal = 0;
        for (size_t c = 0; c < n_cases; c++) {
                size_t wlen, blen;

                (void) snprintf(name, sizeof(name), "case%05zu", c);
                (void) snprintf(path, sizeof(path), "%s/work/%s", dir, name);
                char *w = read_all(path, &wlen);
                (void) snprintf(path, sizeof(path), "%s/b/%s", dir, name);
                char *bb = read_all(path, &blen);
                assert_non_null(bb);
                if (!w) {
                        /* patch removes files that became empty */
                        assert_int_equal(blen, 0);
                } else {
                        if (wlen != blen || memcmp(w, bb, wlen) != 0)
                                fail_msg("%s: patch did not reproduce the new file", name);
                }
                free(w);
                free(bb);

                struct section ms = find_section(min_out, name);
                size_t min_changes = ms.hunks ? count_changes(ms.hunks, ms.len) : 0;
                if (min_changes != our_changes[c])
                        fail_msg("%s: %zu changed lines, diff --minimal has %zu", name,
                                 our_changes[c], min_changes);

                if (ordinary[c]) {
                        struct section ps = find_section(plain_out, name);
                        const char *our_h = strstr(our_text[c], "\n@@ ");
                        if (!ps.hunks) {
                                assert_null(our_h);
                        } else {
                                assert_non_null(our_h);
                                our_h++;
                                if (strlen(our_h) != ps.len || memcmp(our_h, ps.hunks, ps.len) != 0)
                                        fail_msg("%s: hunks differ from diff -u:\n--- ours\n%s--- diff -u\n%.*s",
                                                 name, our_h, (int) ps.len, ps.hunks);
                                hunks_equal++;
                        }
                }
        }
        print_message("%zu ordinary cases with hunks identical to diff -u\n", hunks_equal);
        assert_true(hunks_equal > n_ordinary / 2);

        for (size_t c = 0; c < n_cases; c++)
                free(our_text[c]);
        free(our_text);
        free(min_out);
        free(plain_out);
        free(ordinary);
        free(our_changes);
        const char *rm_argv[] = { "rm", "-rf", dir, NULL };
        assert_int_equal(run("/", NULL, rm_argv), 0);
}

static int collect_str(void *userdata, const char *data, size_t len)
{
        FILE *f = userdata;

        return fwrite(data, 1, len, f) == len ? 0 : -EIO;
}

static char *diff_str(const char *a, const char *b, const struct config_diff_limits *lim,
                      struct config_diff_stats *st)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);

        assert_int_equal(config_diff_unified("a/f", a, strlen(a), "b/f", b, strlen(b), lim,
                                             collect_str, mem, st),
                         0);
        fclose(mem);
        return buf;
}

static void test_fixed(void **state)
{
        struct config_diff_stats st;
        char *s;

        (void) state;
        s = diff_str("a\nb\nc\n", "a\nb\nc\n", NULL, &st);
        assert_string_equal(s, "");
        free(s);

        s = diff_str("a\nb\nc\n", "a\nB\nc\n", NULL, &st);
        assert_string_equal(s, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        assert_int_equal(st.deleted, 1);
        assert_int_equal(st.inserted, 1);
        free(s);

        s = diff_str("a\nb", "a\nb\n", NULL, &st);
        assert_string_equal(s, "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n"
                               "\\ No newline at end of file\n+b\n");
        free(s);

        s = diff_str("", "x\n", NULL, &st);
        assert_string_equal(s, "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n");
        free(s);

        /* Over the line limit: a whole-file change, still a valid patch. */
        struct config_diff_limits lim = { .max_lines = 2 };
        s = diff_str("a\nb\nc\n", "a\nb\nd\n", &lim, &st);
        assert_true(st.whole_file);
        assert_string_equal(s, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n-a\n-b\n-c\n+a\n+b\n+d\n");
        free(s);

        /* Over the work limit on completely different files. */
        lim = (struct config_diff_limits) { .max_work = 10 };
        s = diff_str("1\n2\n3\n4\n5\n6\n7\n8\n", "a\nb\nc\nd\ne\nf\ng\nh\n", &lim, &st);
        assert_true(st.whole_file);
        free(s);

        assert_true(config_diff_is_binary("a\0b", 3));
        assert_false(config_diff_is_binary("ab", 2));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixed),
                cmocka_unit_test(test_oracle),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
