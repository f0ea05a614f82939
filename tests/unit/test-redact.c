/* SPDX-License-Identifier: MIT */
/*
 * Redactor tests: every tests/data/redact/NAME.in must redact to NAME.expected
 * (whole, and fed in two chunks split at every offset, and byte by byte);
 * long lines with secrets at the window seams; binary input; policy
 * overrides; masking with a persistent map; the leak check on real tar.gz
 * bundles written with libarchive.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "policy/policy.h"
#include "policy/pnode.h"
#include "redact/redact.h"

static struct redactor *R; /* default rules */

static char *srcpath(const char *rel)
{
        const char *src = getenv("COLLECT_SRCDIR");
        char *p = NULL;

        assert_true(asprintf(&p, "%s/%s", src ? src : ".", rel) > 0);
        return p;
}

static char *read_all(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        char *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t) n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
        buf[n] = 0;
        fclose(f);
        *ret_len = (size_t) n;
        return buf;
}

struct out {
        struct dynbuf b;
        unsigned calls;
};

static int out_write(void *userdata, const char *data, size_t len)
{
        struct out *o = userdata;

        o->calls++;
        return dynbuf_add(&o->b, data, len);
}

/* Redacts data fed in chunks of the given sizes (0-terminated list, the rest
 * in one chunk). Returns the output (caller frees). */
static char *redact_chunked(struct redactor *r, const char *data, size_t len, const size_t *cuts)
{
        struct redact_stream *rs = NULL;
        struct out o = {};
        size_t pos = 0;

        dynbuf_init(&o.b, 1u << 30);
        assert_int_equal(redact_stream_new(r, "test", out_write, &o, &rs), 0);
        for (size_t i = 0; cuts && cuts[i] && pos < len; i++) {
                size_t n = cuts[i] < len - pos ? cuts[i] : len - pos;

                assert_int_equal(redact_stream_feed(rs, data + pos, n), 0);
                pos += n;
        }
        assert_int_equal(redact_stream_feed(rs, data + pos, len - pos), 0);
        assert_int_equal(redact_stream_finish(rs), 0);
        redact_stream_free(rs);
        if (!o.b.buf)
                return strdup("");
        return dynbuf_steal(&o.b);
}

static char *redact_str(struct redactor *r, const char *s)
{
        char *out = NULL;
        size_t n;

        assert_int_equal(redact_buffer(r, "str", s, strlen(s), &out, &n), 0);
        return out;
}

static int setup(void **state)
{
        char *err = NULL;

        (void) state;
        assert_int_equal(redactor_new(NULL, &R, &err), 0);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        R = redactor_free(R);
        return 0;
}

/* Every NAME.in gives NAME.expected, however it is chunked. */
static void test_data_files(void **state)
{
        char *dir = srcpath("tests/data/redact");
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n_files = 0;

        (void) state;
        assert_non_null(d);
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name), in_len, exp_len;
                char *in_path, *exp_path, *in, *exp, *out;

                if (l < 4 || strcmp(de->d_name + l - 3, ".in") != 0)
                        continue;
                assert_true(asprintf(&in_path, "%s/%s", dir, de->d_name) > 0);
                assert_true(asprintf(&exp_path, "%s/%.*s.expected", dir, (int) (l - 3),
                                     de->d_name) > 0);
                in = read_all(in_path, &in_len);
                exp = read_all(exp_path, &exp_len);

                out = redact_chunked(R, in, in_len, NULL);
                if (strcmp(out, exp) != 0)
                        fail_msg("%s: got\n%s\nexpected\n%s", de->d_name, out, exp);
                free(out);

                /* split into two at every offset */
                for (size_t k = 1; k < in_len; k++) {
                        size_t cuts[] = { k, 0 };

                        out = redact_chunked(R, in, in_len, cuts);
                        if (strcmp(out, exp) != 0)
                                fail_msg("%s split at %zu: got\n%s", de->d_name, k, out);
                        free(out);
                }
                /* byte by byte */
                {
                        size_t *cuts = calloc(in_len + 1, sizeof(size_t));

                        assert_non_null(cuts);
                        for (size_t k = 0; k < in_len; k++)
                                cuts[k] = 1;
                        out = redact_chunked(R, in, in_len, cuts);
                        assert_string_equal(out, exp);
                        free(out);
                        free(cuts);
                }
                n_files++;
                free(in);
                free(exp);
                free(in_path);
                free(exp_path);
        }
        closedir(d);
        free(dir);
        assert_true(n_files >= 15);
}

/* Complete lines are delivered before feed returns, one write per line. */
static void test_delivery(void **state)
{
        struct redact_stream *rs = NULL;
        struct out o = {};

        (void) state;
        dynbuf_init(&o.b, 1u << 20);
        assert_int_equal(redact_stream_new(R, "m", out_write, &o, &rs), 0);
        assert_int_equal(redact_stream_feed(rs, "first line\npass", 15), 0);
        assert_int_equal(o.calls, 1);
        assert_string_equal(o.b.buf, "first line\n");
        assert_int_equal(redact_stream_feed(rs, "word=abc\n", 9), 0);
        assert_int_equal(o.calls, 2);
        assert_string_equal(o.b.buf, "first line\npassword=[REDACTED:secret-key-value]\n");
        /* a PEM block is held until it ends */
        assert_int_equal(redact_stream_feed(rs, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n", 40),
                         0);
        assert_int_equal(o.calls, 3);
        assert_int_equal(redact_stream_feed(rs, "-----END EC PRIVATE KEY-----\n", 29), 0);
        assert_int_equal(o.calls, 5);
        assert_int_equal(redact_stream_feed(rs, "tail without newline", 20), 0);
        assert_int_equal(redact_stream_finish(rs), 0);
        assert_false(redact_stream_binary(rs));
        redact_stream_free(rs);
        assert_string_equal(o.b.buf, "first line\npassword=[REDACTED:secret-key-value]\n"
                                     "-----BEGIN EC PRIVATE KEY-----\n[REDACTED:pem-private-key]\n"
                                     "-----END EC PRIVATE KEY-----\ntail without newline");
        dynbuf_done(&o.b);
}

static const char *const long_secrets[] = {
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw",
};

/* A multi-megabyte line with secrets everywhere, including every seam. */
static void test_long_line(void **state)
{
        const size_t len = 5u * 1024 * 1024;
        char *line = malloc(len + 2), *out;
        size_t n_planted = 0;

        (void) state;
        assert_non_null(line);
        for (size_t i = 0; i < len; i++)
                line[i] = "abcdefgh ij"[i % 11];
        /* secrets straddling each 64 KiB boundary at several phases, and elsewhere */
        for (size_t pos = 1000; pos + 200 < len; pos += 7919 * 3) {
                const char *s = long_secrets[n_planted % 4];

                memcpy(line + pos, " ", 1);
                memcpy(line + pos + 1, s, strlen(s));
                line[pos + 1 + strlen(s)] = ' ';
                n_planted++;
        }
        for (size_t seam = 65536; seam + 200 < len; seam += 60000) {
                for (size_t ph = 0; ph < 50; ph += 17) {
                        const char *s = long_secrets[n_planted % 4];
                        size_t pos = seam - ph - 5;

                        line[pos] = ' ';
                        memcpy(line + pos + 1, s, strlen(s));
                        line[pos + 1 + strlen(s)] = ' ';
                        n_planted++;
                }
        }
        /* a key=value with a huge value crossing windows */
        memcpy(line + 300000, " password=", 10);
        for (size_t i = 300010; i < 300010 + 150000; i++)
                line[i] = 'Q';
        line[450010] = ' ';
        line[len] = '\n';
        line[len + 1] = 0;

        size_t cuts[] = { 4096, 1, 65535, 70000, 12345, 0 };
        out = redact_chunked(R, line, len + 1, cuts);
        for (size_t i = 0; i < 4; i++)
                assert_null(strstr(out, long_secrets[i]));
        assert_null(strstr(out, "QQQQQQQQ"));
        assert_non_null(strstr(out, "password=[REDACTED:secret-key-value]"));
        assert_int_equal(out[strlen(out) - 1], '\n');
        /* only the secrets went: the filler is still there */
        assert_true(strlen(out) > len / 2);
        free(out);
        free(line);
}

/* Secrets split across many lines of a big file at all chunk sizes. */
static void test_many_lines_chunks(void **state)
{
        struct dynbuf b;
        char *out;

        (void) state;
        dynbuf_init(&b, 1u << 26);
        for (int i = 0; i < 20000; i++)
                assert_int_equal(dynbuf_addf(&b,
                                             "Nov 27 10:00:%02d host app[%d]: token=tk%06dsecret "
                                             "port=%d\n",
                                             i % 60, i, i, 1000 + i % 100),
                                 0);
        for (size_t chunk = 1; chunk < 70000; chunk = chunk * 3 + 7) {
                size_t *cuts = calloc(b.len / chunk + 2, sizeof(size_t));

                assert_non_null(cuts);
                for (size_t k = 0; k < b.len / chunk; k++)
                        cuts[k] = chunk;
                out = redact_chunked(R, b.buf, b.len, cuts);
                assert_null(strstr(out, "secret "));
                assert_non_null(strstr(out, "port=1099"));
                free(out);
                free(cuts);
        }
        dynbuf_done(&b);
}

/* Key verdicts are remembered per rule and key: many distinct keys (more than
 * the cache holds, so slots are reused), each seen again later, secret and
 * ordinary ones mixed, must be judged every time as the first time. */
static void test_key_verdicts_repeat(void **state)
{
        struct dynbuf b, want;
        char *out;

        (void) state;
        dynbuf_init(&b, 1u << 26);
        dynbuf_init(&want, 1u << 26);
        for (int pass = 0; pass < 3; pass++)
                for (int i = 0; i < 3000; i++) {
                        assert_int_equal(dynbuf_addf(&b,
                                                     "app: k%d_token=Zx9q%dLmP2 k%d_port=8080 "
                                                     "agent_key%d=Qm7vX2pL9wR4 agent_key%d=v1.2.3 "
                                                     "level=info\n",
                                                     i, i, i, i, i),
                                         0);
                        assert_int_equal(dynbuf_addf(&want,
                                                     "app: k%d_token=[REDACTED:secret-key-value] "
                                                     "k%d_port=8080 "
                                                     "agent_key%d=[REDACTED:secret-key-value] "
                                                     "agent_key%d=v1.2.3 level=info\n",
                                                     i, i, i, i),
                                         0);
                }
        out = redact_chunked(R, b.buf, b.len, NULL);
        assert_string_equal(out, want.buf);
        free(out);
        dynbuf_done(&b);
        dynbuf_done(&want);
}

static void test_binary(void **state)
{
        struct redact_stream *rs = NULL;
        struct out o = {};
        char bin[4096];

        (void) state;
        /* NUL bytes at the start: binary, nothing passes */
        dynbuf_init(&o.b, 1u << 20);
        memset(bin, 0, sizeof(bin));
        memcpy(bin + 100, "password=hunter2\n", 17);
        assert_int_equal(redact_stream_new(R, "core", out_write, &o, &rs), 0);
        assert_int_equal(redact_stream_feed(rs, bin, sizeof(bin)), 0);
        assert_int_equal(redact_stream_feed(rs, "more text\n", 10), 0);
        assert_int_equal(redact_stream_finish(rs), 0);
        assert_true(redact_stream_binary(rs));
        assert_int_equal(o.b.len, 0);
        redact_stream_free(rs);

        /* mostly invalid UTF-8 (random high bytes): binary */
        dynbuf_reset(&o.b);
        for (size_t i = 0; i < sizeof(bin); i++)
                bin[i] = (char) (0x80 + (i * 37) % 0x7f);
        assert_int_equal(redact_stream_new(R, "blob", out_write, &o, &rs), 0);
        assert_int_equal(redact_stream_feed(rs, bin, sizeof(bin)), 0);
        assert_int_equal(redact_stream_feed(rs, bin, sizeof(bin)), 0);
        assert_int_equal(redact_stream_finish(rs), 0);
        assert_true(redact_stream_binary(rs));
        redact_stream_free(rs);

        /* a few Latin-1 bytes in text: not binary, passed through unchanged */
        const char latin1[] = "caf\xe9 ol\xe9 na\xefve\nport=22 \xff\n";
        char *out = NULL;
        size_t n;

        assert_int_equal(redact_buffer(R, "l1", latin1, strlen(latin1), &out, &n), 0);
        assert_memory_equal(out, latin1, strlen(latin1));
        free(out);
        assert_int_equal(redact_buffer(R, "bin", bin, sizeof(bin), &out, &n), -EMEDIUMTYPE);
        dynbuf_done(&o.b);
}

/* The invalid-UTF-8 ratio decides at its threshold (more than 30% of the
 * first 8 KiB): 2,457 bad bytes (control characters, 0xff) scattered over
 * every alignment among printable text are not binary, 2,458 are, fed at once
 * or in pieces. The count reads printable text a word at a time. */
static void test_binary_threshold(void **state)
{
        static const char bad_bytes[] = { 0x01, (char) 0xff, 0x07, (char) 0x80 };
        static const size_t pieces[] = { 8192, 7, 4096 + 3 };

        (void) state;
        for (unsigned seed = 1; seed <= 3; seed++)
                for (size_t n_bad = 2457; n_bad <= 2458; n_bad++)
                        for (size_t k = 0; k < ELEMENTSOF(pieces); k++) {
                                char buf[8192];
                                struct redact_stream *rs = NULL;
                                struct out o = {};
                                unsigned x = seed;
                                size_t placed = 0;

                                for (size_t i = 0; i < sizeof(buf); i++)
                                        buf[i] = (char) (i % 61 == 60 ? '\n' : 0x20 + i % 95);
                                while (placed < n_bad) {
                                        x = x * 1103515245u + 12345u;
                                        size_t at = (x >> 8) % sizeof(buf);

                                        if ((uint8_t) buf[at] >= 0x20 && (uint8_t) buf[at] < 0x7f) {
                                                buf[at] = bad_bytes[placed % 4];
                                                placed++;
                                        }
                                }
                                dynbuf_init(&o.b, 1u << 20);
                                assert_int_equal(redact_stream_new(R, "t", out_write, &o, &rs), 0);
                                for (size_t off = 0; off < sizeof(buf); off += pieces[k])
                                        assert_int_equal(redact_stream_feed(rs, buf + off,
                                                                            MIN(pieces[k],
                                                                                sizeof(buf) - off)),
                                                         0);
                                assert_int_equal(redact_stream_finish(rs), 0);
                                if (redact_stream_binary(rs) != (n_bad == 2458))
                                        fail_msg("seed %u, %zu bad bytes, pieces of %zu: %s", seed,
                                                 n_bad, pieces[k],
                                                 n_bad == 2458 ? "not binary" : "binary");
                                redact_stream_free(rs);
                                dynbuf_done(&o.b);
                        }
}

/* A NUL byte after the first 64 KiB: that line is replaced by a note. */
static void test_nul_later(void **state)
{
        struct dynbuf b;
        char *out;

        (void) state;
        dynbuf_init(&b, 1u << 22);
        for (int i = 0; i < 3000; i++)
                assert_int_equal(dynbuf_addf(&b, "line %d of ordinary text, nothing here\n", i), 0);
        assert_int_equal(dynbuf_add(&b, "abc\0password=x\n", 15), 0);
        assert_int_equal(dynbuf_addstr(&b, "last line\n"), 0);
        out = redact_chunked(R, b.buf, b.len, NULL);
        assert_non_null(strstr(out, "line 2999 of ordinary text"));
        assert_non_null(strstr(out, "[binary data skipped: 14 bytes]\nlast line\n"));
        assert_null(strstr(out, "password"));
        free(out);
        dynbuf_done(&b);
}

static void test_report(void **state)
{
        struct redactor *r = NULL;
        char *out;
        json_t *rep;

        (void) state;
        assert_int_equal(redactor_new(NULL, &r, NULL), 0);
        out = redact_str(r, "x password=abc pushed ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n");
        free(out);
        assert_int_equal(redactor_note_skipped(r, "/etc/shadow", "never_collect policy"), 0);
        assert_int_equal(redactor_replacements(r), 2);
        rep = redactor_report(r);
        assert_non_null(rep);
        char *s = json_dumps(rep, JSON_SORT_KEYS);
        assert_non_null(strstr(s, "\"replacements\": 2"));
        assert_non_null(strstr(s, "\"by_member\": {\"str\": {"));
        assert_non_null(strstr(s, "\"github-token\": 1"));
        assert_non_null(
                strstr(s, "{\"path\": \"/etc/shadow\", \"reason\": \"never_collect policy\"}"));
        assert_non_null(strstr(s, "\"masking\": false"));
        assert_null(strstr(s, "abc"));
        assert_null(strstr(s, "ghp_"));
        free(s);
        json_decref(rep);
        redactor_free(r);
}

/* Kubernetes Secrets beyond what a data file shows: held data that would
 * exceed the hold limit is taken as secret; a data entry longer than a
 * window is replaced whole; a ConfigMap that ends with the member is kept. */
static void test_kubernetes_limits(void **state)
{
        const char *mark = "[REDACTED:kubernetes-secret]";
        struct dynbuf in;
        char *out;

        (void) state;
        /* 300 KiB of data before the kind: more than may be held */
        dynbuf_init(&in, SIZE_MAX / 2);
        assert_int_equal(dynbuf_addstr(&in, "apiVersion: v1\ndata:\n"), 0);
        for (unsigned i = 0; i < 6000; i++)
                assert_int_equal(dynbuf_addf(&in, "  key%u: dmFsdWVPZk9yZGluYXJ5S2V5TnVtYmVy%06u\n",
                                             i, i),
                                 0);
        assert_int_equal(dynbuf_addstr(&in, "kind: ConfigMap\n"), 0);
        out = redact_chunked(R, in.buf, in.len, NULL);
        assert_null(strstr(out, "dmFsdWVPZk9yZGluYXJ5S2V5TnVtYmVy000000"));
        assert_null(strstr(out, "dmFsdWVPZk9yZGluYXJ5S2V5TnVtYmVy005999"));
        assert_non_null(strstr(out, "  key5999: [REDACTED:kubernetes-secret]\n"));
        assert_non_null(strstr(out, "kind: ConfigMap\n"));
        free(out);

        /* a 200 KiB value in a Secret's data block */
        dynbuf_reset(&in);
        assert_int_equal(dynbuf_addstr(&in, "kind: Secret\ndata:\n  big: "), 0);
        for (unsigned i = 0; i < 200 * 1024; i++)
                assert_int_equal(dynbuf_addc(&in, "QUJD"[i % 4]), 0);
        assert_int_equal(dynbuf_addstr(&in, "\n  small: c21hbGw=\ntype: Opaque\n"), 0);
        out = redact_chunked(R, in.buf, in.len, NULL);
        assert_null(strstr(out, "QUJDQUJD"));
        assert_null(strstr(out, "c21hbGw="));
        assert_non_null(strstr(out, mark));
        assert_non_null(strstr(out, "type: Opaque\n"));
        free(out);

        /* data held to the end of the member, no kind: ordinary */
        out = redact_str(R, "apiVersion: v1\ndata:\n  color: blue\n");
        assert_string_equal(out, "apiVersion: v1\ndata:\n  color: blue\n");
        free(out);
        dynbuf_done(&in);
}

static struct pnode *parse(const char *yaml)
{
        struct pnode *tree = NULL;
        char *err = NULL;

        if (pnode_parse_string("test.yaml", yaml, strlen(yaml), &tree, &err) < 0)
                fail_msg("parse: %s", err);
        return tree;
}

static void test_policy(void **state)
{
        struct redactor *r = NULL;
        struct pnode *tree;
        char *err = NULL, *out;

        (void) state;
        /* override a built-in rule, add one, disable one, extra keys */
        tree = parse("redaction:\n"
                     "  disable: [crypt-hash]\n"
                     "  extra_secret_keys: [license, dsn_url]\n"
                     "  rules:\n"
                     "    - name: employee-id\n"
                     "      regex: 'EMP-[0-9]{6}'\n"
                     "      hints: [EMP-]\n"
                     "    - name: jwt\n"
                     "      regex: 'eyJ[A-Za-z0-9_-]{5,}'\n"
                     "      hints: [eyJ]\n");
        assert_int_equal(redactor_new(pnode_get(tree, "redaction"), &r, &err), 0);
        out = redact_str(r, "id EMP-123456 hash $6$saltsalt$abcdefghijkl LICENSE=abc-123 "
                            "app.dsn_url=postgres://x eyJabcdefg password=p\n");
        assert_string_equal(out, "id [REDACTED:employee-id] hash $6$saltsalt$abcdefghijkl "
                                 "LICENSE=[REDACTED:extra-secret-key] "
                                 "app.dsn_url=[REDACTED:extra-secret-key] [REDACTED:jwt] "
                                 "password=[REDACTED:secret-key-value]\n");
        free(out);
        r = redactor_free(r);
        pnode_free(tree);

        /* a bad regex names its place */
        tree = parse("redaction:\n"
                     "  rules:\n"
                     "    - name: broken\n"
                     "      regex: 'abc(def'\n"
                     "      hints: [abc]\n");
        assert_int_equal(redactor_check_policy(pnode_get(tree, "redaction"), &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, "test.yaml:4:"));
        assert_non_null(strstr(err, "broken"));
        free(err);
        err = NULL;
        pnode_free(tree);

        /* unknown keys, short hints, unknown disabled rule */
        tree = parse("redaction:\n  rulez: []\n");
        assert_int_equal(redactor_check_policy(pnode_get(tree, "redaction"), &err), -EINVAL);
        assert_non_null(strstr(err, "test.yaml:2:3"));
        free(err);
        err = NULL;
        pnode_free(tree);
        tree = parse("redaction:\n  rules:\n    - {name: x, regex: 'ab', hints: [ab]}\n");
        assert_int_equal(redactor_check_policy(pnode_get(tree, "redaction"), &err), -EINVAL);
        assert_non_null(strstr(err, "hint 'ab' is shorter than 3 bytes"));
        free(err);
        err = NULL;
        pnode_free(tree);
        tree = parse("redaction:\n  disable: [no-such-rule]\n");
        assert_int_equal(redactor_check_policy(pnode_get(tree, "redaction"), &err), -EINVAL);
        assert_non_null(strstr(err, "no-such-rule"));
        free(err);
        err = NULL;
        pnode_free(tree);

        /* hints_not_in: each word holds a hint, and is as long as one */
        tree = parse("redaction:\n  rules:\n"
                     "    - {name: x, regex: 'key=\\S+', hints: [key],\n"
                     "       hints_not_in: [keyboard, monday]}\n");
        assert_int_equal(redactor_check_policy(pnode_get(tree, "redaction"), &err), -EINVAL);
        assert_non_null(strstr(err, "test.yaml:4:"));
        assert_non_null(strstr(err, "hints_not_in 'monday' holds none of the rule's hints"));
        free(err);
        err = NULL;
        pnode_free(tree);

        /* nor does a hint overlap one at its edge */
        tree = parse("redaction:\n  rules:\n"
                     "    - {name: x, regex: 'key\\S+', hints: [key, keyfile],\n"
                     "       hints_not_in: [publickey]}\n");
        assert_int_equal(redactor_check_policy(pnode_get(tree, "redaction"), &err), -EINVAL);
        assert_non_null(strstr(err, "hint 'keyfile' overlaps hints_not_in 'publickey'"));
        free(err);
        err = NULL;
        pnode_free(tree);

        /* a hint inside a hints_not_in word does not run the rule; one outside does */
        tree = parse("redaction:\n  rules:\n"
                     "    - {name: tok, regex: '(?i)[a-z]*key=(?<secret>\\S+)', hints: [key],\n"
                     "       hints_not_in: [PublicKey]}\n");
        assert_int_equal(redactor_new(pnode_get(tree, "redaction"), &r, &err), 0);
        out = redact_str(r, "publickey=abc\nPUBLICKEY=abc mykey=def\nmonkey=ghi publicKey=x\n"
                            "p pu publickey=a PublicKey=b pUbLiCkEy\n");
        assert_string_equal(out, "publickey=abc\n"
                                 "PUBLICKEY=[REDACTED:tok] mykey=[REDACTED:tok]\n"
                                 "monkey=[REDACTED:tok] publicKey=[REDACTED:tok]\n"
                                 "p pu publickey=a PublicKey=b pUbLiCkEy\n");
        free(out);
        r = redactor_free(r);
        pnode_free(tree);
}

/* The compiled-in defaults are the shipped file, and the shipped file loads
 * (as the policy loader gives it) to the same rules. */
static void test_builtin_is_shipped(void **state)
{
        char *path = srcpath("policies/redaction.yaml"), *text, *err = NULL;
        size_t len, blen;
        const char *builtin = policy_builtin("redaction.yaml", &blen);
        struct pnode *tree = NULL;
        struct redactor *r = NULL;

        (void) state;
        text = read_all(path, &len);
        assert_non_null(builtin);
        assert_int_equal(blen, len);
        assert_memory_equal(builtin, text, len);
        assert_int_equal(pnode_parse_file(path, &tree, &err), 0);
        assert_int_equal(redactor_new(pnode_get(tree, "redaction"), &r, &err), 0);
        const char *probe = "password=x ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 port=1\n";
        char *a = redact_str(r, probe), *b = redact_str(R, probe);
        assert_string_equal(a, b);
        free(a);
        free(b);
        redactor_free(r);
        pnode_free(tree);
        free(text);
        free(path);
}

static void test_mask(void **state)
{
        char dir[] = "/tmp/test-redact-XXXXXX", map[256];
        char *hosts[] = { (char *) "web01.corp.example.com", NULL };
        char *users[] = { (char *) "alice", (char *) "root", NULL };
        struct redactor *r = NULL;
        struct stat st;
        char *out, *out2;
        const char *in =
                "web01 talks to db.corp.example.com and WEB01.corp.example.com via 10.1.2.3 "
                "and 10.1.2.4 and 10.9.9.9; gw 2001:db8:1::1 peer 2001:db8:1::2 "
                "mac 52:54:00:ab:cd:ef mail alice@example.org user=bob uid=0(root) "
                "Failed password for carol from 10.1.2.5 port 22 /home/dave/x alice "
                "keep 127.0.0.1 255.255.255.0 ::1 10:20:30 v1.2.3 port 8080\n";

        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(map, sizeof(map), "%s/state/mask-map.json", dir);
        assert_int_equal(redactor_new(NULL, &r, NULL), 0);
        assert_int_equal(redactor_enable_mask(r, map, hosts), 0);
        assert_int_equal(redactor_mask_add_users(r, users), 0);
        out = redact_str(r, in);
        const char *gone[] = {
                "web01", "corp.example.com", "10.1.2.", "10.9.9.9", "2001:db8", "52:54:00:ab:cd:ef",
                "alice", "example.org",      "bob",     "carol",    "dave"
        };
        for (size_t i = 0; i < ELEMENTSOF(gone); i++)
                if (strcasestr(out, gone[i]))
                        fail_msg("'%s' not masked in: %s", gone[i], out);
        const char *kept[] = { "uid=0(root)", "127.0.0.1", "255.255.255.0", "::1",
                               "10:20:30",    "v1.2.3",    "port 8080",     "port 22" };
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                if (!strstr(out, kept[i]))
                        fail_msg("'%s' lost in: %s", kept[i], out);
        /* same value, same pseudonym; same /24, same pseudo network */
        assert_non_null(strstr(out, "host0 talks to host1.domain0.example and "
                                    "host0.domain0.example via 100.64.0.3 and 100.64.0.4 and "
                                    "100.64.1.9"));
        assert_non_null(strstr(out, "from 100.64.0.5 port 22"));
        assert_int_equal(redactor_save_mask(r), 0);
        assert_int_equal(stat(map, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        r = redactor_free(r);

        /* a second run with the map gives the same pseudonyms */
        assert_int_equal(redactor_new(NULL, &r, NULL), 0);
        assert_int_equal(redactor_enable_mask(r, map, hosts), 0);
        assert_int_equal(redactor_mask_add_users(r, users), 0);
        out2 = redact_str(r, in);
        assert_string_equal(out, out2);
        /* and a new value gets a new pseudonym */
        free(out2);
        out2 = redact_str(r, "10.1.2.77 10.7.7.7\n");
        assert_string_equal(out2, "100.64.0.77 100.64.2.7\n");
        free(out2);
        /* secrets still go, and a pseudonym never shows a secret */
        out2 = redact_str(r, "https://alice:s3cret@db.corp.example.com/x\n");
        assert_null(strstr(out2, "s3cret"));
        assert_null(strstr(out2, "alice"));
        free(out2);
        redactor_free(r);
        free(out);
        (void) unlink(map);
        snprintf(map, sizeof(map), "%s/state", dir);
        (void) rmdir(map);
        (void) rmdir(dir);
}

/* ---- leak check ---- */

static void write_bundle(const char *path, const char *const *members)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e;

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        for (size_t i = 0; members[i]; i += 2) {
                size_t len = strlen(members[i + 1]);

                e = archive_entry_new();
                archive_entry_set_pathname(e, members[i]);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0600);
                archive_entry_set_size(e, (la_int64_t) len);
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                assert_int_equal(archive_write_data(a, members[i + 1], len), (la_ssize_t) len);
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

static bool has_hit(json_t *hits, const char *member, int line, const char *detector)
{
        size_t i;
        json_t *h;

        json_array_foreach(hits, i, h)
                if (strcmp(json_string_value(json_object_get(h, "member")), member) == 0 &&
                    json_integer_value(json_object_get(h, "line")) == line &&
                    strcmp(json_string_value(json_object_get(h, "detector")), detector) == 0)
                        return true;
        return false;
}

static void test_leakcheck(void **state)
{
        char path[] = "/tmp/test-leak-XXXXXX.tar.gz";
        int fd = mkstemps(path, 7);
        json_t *hits = NULL;
        char *dump, *big;
        size_t big_len = 300000;

        (void) state;
        assert_true(fd >= 0);
        close(fd);
        /* a long line with a token beyond the first 64 KiB */
        big = malloc(big_len + 64);
        assert_non_null(big);
        memset(big, 'x', big_len);
        memcpy(big + 200000, " AKIAIOSFODNN7EXAMPLE ", 22);
        memcpy(big + big_len, "\n", 2);

        const char *const members[] = {
                "b/manifest.json",
                "{\"redaction\": {\"by_rule\": {\"secret-key-value\": 3}}}\n",
                "b/logs/ok.log",
                "password=[REDACTED:secret-key-value]\n"
                "-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:pem-private-key]\n"
                "-----END RSA PRIVATE KEY-----\ncommit 9fceb02d0ae598e95dc970b74767f19372d61af8\n"
                "request_id=7c9e6679-7425-40de-944b-e07fc1f90ae7 token=[REDACTED:x]\n",
                "b/logs/leak.log",
                "line one\nuser token ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n"
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                "db_secret: Zx9Qw8Er7Ty6Ui5Op4As\n"
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc\n",
                "b/logs/big.log",
                big,
                "b/logs/tail-pem.log",
                "ok\n-----BEGIN EC PRIVATE KEY-----",
                NULL,
        };
        write_bundle(path, members);
        assert_int_equal(leakcheck_bundle(path, &hits), 6);
        assert_true(has_hit(hits, "b/logs/leak.log", 2, "github-token"));
        assert_true(has_hit(hits, "b/logs/leak.log", 3, "private-key"));
        assert_true(has_hit(hits, "b/logs/leak.log", 5, "high-entropy-secret"));
        assert_true(has_hit(hits, "b/logs/leak.log", 6, "jwt"));
        assert_true(has_hit(hits, "b/logs/big.log", 1, "aws-access-key"));
        assert_true(has_hit(hits, "b/logs/tail-pem.log", 2, "private-key"));
        dump = json_dumps(hits, 0);
        assert_null(strstr(dump, "ghp_"));
        assert_null(strstr(dump, "AKIA"));
        assert_null(strstr(dump, "Zx9Qw8"));
        free(dump);
        json_decref(hits);
        hits = NULL;

        /* a clean bundle */
        const char *const clean[] = { "b/x.log", "password=[REDACTED:secret-key-value]\n", NULL };
        write_bundle(path, clean);
        assert_int_equal(leakcheck_bundle(path, &hits), 0);
        assert_int_equal(json_array_size(hits), 0);
        json_decref(hits);

        /* the redactor's own output of every data file passes the leak check */
        {
                char *dir = srcpath("tests/data/redact");
                const char *names[] = { "tokens",       "pem",    "cloud",
                                        "kubernetes",   "env",    "json",
                                        "http-headers", "url",    "yaml",
                                        "configs",      "keep",   "gcp-service-account",
                                        "cli-flags",    "sql",    "escaped",
                                        "formats",      "keepset" };
                const char *m[2 * ELEMENTSOF(names) + 1];
                char *bufs[ELEMENTSOF(names)];

                for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                        char *p;
                        size_t n;

                        assert_true(asprintf(&p, "%s/%s.expected", dir, names[i]) > 0);
                        bufs[i] = read_all(p, &n);
                        m[2 * i] = names[i];
                        m[2 * i + 1] = bufs[i];
                        free(p);
                }
                m[2 * ELEMENTSOF(names)] = NULL;
                write_bundle(path, m);
                hits = NULL;
                int k = leakcheck_bundle(path, &hits);
                if (k != 0) {
                        char *s = json_dumps(hits, 0);
                        fail_msg("leak check on redacted data: %d %s", k, s);
                }
                json_decref(hits);
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        free(bufs[i]);
                free(dir);
        }
        /* and the raw inputs do not */
        {
                char *p = srcpath("tests/data/redact/tokens.in");
                size_t n;
                char *raw = read_all(p, &n);
                const char *const m[] = { "tokens.in", raw, NULL };

                write_bundle(path, m);
                hits = NULL;
                assert_true(leakcheck_bundle(path, &hits) >= 10);
                json_decref(hits);
                free(raw);
                free(p);
        }
        /* the raw SQL and format corpora: every line with a secret is a hit */
        {
                static const struct {
                        const char *name;
                        unsigned min_hits;
                } raws[] = { { "sql", 8 }, { "formats", 18 }, { "escaped", 4 } };

                for (size_t i = 0; i < ELEMENTSOF(raws); i++) {
                        char *p, *raw;
                        size_t n;

                        assert_true(asprintf(&p, "tests/data/redact/%s.in", raws[i].name) > 0);
                        char *full = srcpath(p);
                        raw = read_all(full, &n);
                        const char *const m[] = { raws[i].name, raw, NULL };

                        write_bundle(path, m);
                        hits = NULL;
                        int k = leakcheck_bundle(path, &hits);
                        if (k < (int) raws[i].min_hits)
                                fail_msg("%s: %d hits, want >= %u", raws[i].name, k,
                                         raws[i].min_hits);
                        if (strcmp(raws[i].name, "sql") == 0)
                                assert_true(has_hit(hits, "sql", 1, "sql-password"));
                        json_decref(hits);
                        free(raw);
                        free(full);
                        free(p);
                }
        }
        /* the keep-set is not a leak */
        {
                char *p = srcpath("tests/data/redact/keepset.in");
                size_t n;
                char *raw = read_all(p, &n);
                const char *const m[] = { "keepset.in", raw, NULL };

                write_bundle(path, m);
                hits = NULL;
                int k = leakcheck_bundle(path, &hits);
                if (k != 0)
                        fail_msg("keep-set flagged: %s", json_dumps(hits, 0));
                json_decref(hits);
                free(raw);
                free(p);
        }
        assert_int_equal(leakcheck_bundle("/nonexistent/bundle.tar.gz", &hits), -ENOENT);
        (void) unlink(path);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_data_files),
                cmocka_unit_test(test_delivery),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_many_lines_chunks),
                cmocka_unit_test(test_key_verdicts_repeat),
                cmocka_unit_test(test_binary),
                cmocka_unit_test(test_binary_threshold),
                cmocka_unit_test(test_nul_later),
                cmocka_unit_test(test_report),
                cmocka_unit_test(test_policy),
                cmocka_unit_test(test_builtin_is_shipped),
                cmocka_unit_test(test_mask),
                cmocka_unit_test(test_leakcheck),
                cmocka_unit_test(test_kubernetes_limits),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
