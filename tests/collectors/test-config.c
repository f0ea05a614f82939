/* SPDX-License-Identifier: MIT */
/*
 * Tests of the config collector: snapshots, changes in and out of the window,
 * no-baseline reporting, stat-data reuse, crash safety (snapshots SIGKILLed
 * half-way), the store's size bound, and package logs of both families
 * (rotated .gz included). Snapshot times are controlled with COLLECT_TEST_NOW.
 */

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "collector.h"
#include "config/config-diff.h"
#include "config/config-snapshot.h"
#include "sink-mock.h"

extern const struct collector collector_config;

#define T0 ((usec_t) 1700000000 * USEC_PER_SEC) /* 2023-11-14T22:13:20Z */
#define H USEC_PER_HOUR

static char *xjoin(const char *a, const char *b)
{
        size_t n = strlen(a) + strlen(b) + 2;
        char *s = malloc(n);

        assert_non_null(s);
        (void) snprintf(s, n, "%s/%s", a, b);
        return s;
}

static void mkdirs(const char *path)
{
        char buf[4096];

        (void) snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        (void) mkdir(buf, 0755);
                        *p = '/';
                }
        (void) mkdir(buf, 0755);
}

static void put(const char *root, const char *rel, const void *data, size_t len)
{
        char *path = xjoin(root, rel);
        char *slash = strrchr(path, '/');
        FILE *f;

        *slash = 0;
        mkdirs(path);
        *slash = '/';
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        free(path);
}

static void puts_file(const char *root, const char *rel, const char *s)
{
        put(root, rel, s, strlen(s));
}

static void put_gz(const char *root, const char *rel, const char *s)
{
        char *path = xjoin(root, rel);
        gzFile gz = gzopen(path, "wb");

        assert_non_null(gz);
        assert_int_equal(gzwrite(gz, s, (unsigned) strlen(s)), (int) strlen(s));
        assert_int_equal(gzclose(gz), Z_OK);
        free(path);
}

static void set_mtime(const char *root, const char *rel, usec_t t)
{
        char *path = xjoin(root, rel);
        struct timespec ts[2] = {
                { .tv_sec = (time_t) (t / USEC_PER_SEC) },
                { .tv_sec = (time_t) (t / USEC_PER_SEC) },
        };

        assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
        free(path);
}

static char *mktmp(void)
{
        char tmpl[] = "/tmp/test-config.XXXXXX";
        char *d = mkdtemp(tmpl);

        assert_non_null(d);
        return strdup(d);
}

static void rm_rf(const char *path)
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                execlp("rm", "rm", "-rf", path, (char *) NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void set_now(usec_t t)
{
        char buf[32];

        (void) snprintf(buf, sizeof(buf), "%llu", (unsigned long long) t);
        assert_int_equal(setenv("COLLECT_TEST_NOW", buf, 1), 0);
}

static char *const never[] = { (char *) "/etc/shadow", (char *) "/etc/ssl/private/*",
                               (char *) "*.key", NULL };

/* Runs the collector at time t with window [since, until]. */
static struct sink *run_config(const char *root, const char *state, usec_t t, usec_t since,
                               usec_t until, bool snapshot_only, const char *const *overrides,
                               int *ret)
{
        struct collect_ctx *ctx = mock_ctx_new("config", root, since, until);
        struct sink *s = mock_sink_new();
        int r;

        assert_non_null(ctx);
        assert_non_null(s);
        set_now(t);
        mock_ctx_set_state_dir(ctx, state);
        mock_ctx_set_never_collect(ctx, never);
        mock_ctx_set_snapshot_only(ctx, snapshot_only);
        r = mock_run_collector(&collector_config, ctx, s, overrides);
        mock_ctx_free(ctx);
        if (ret)
                *ret = r;
        else
                assert_int_equal(r, 0);
        return s;
}

static json_t *artifact_json(struct sink *s, const char *name)
{
        const struct mock_artifact *a = mock_sink_find(s, name);
        json_error_t err;
        json_t *j;

        assert_non_null(a);
        j = json_loadb(a->data, a->len, 0, &err);
        if (!j)
                fail_msg("%s: %s", name, err.text);
        return j;
}

static json_t *find_change(json_t *root, const char *path)
{
        json_t *list = json_object_get(root, "changes"), *c;
        size_t i;

        json_array_foreach(list, i, c)
                if (strcmp(json_string_value(json_object_get(c, "path")), path) == 0)
                        return c;
        return NULL;
}

static const char *jstr(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *change_kind(json_t *root, const char *path)
{
        json_t *c = find_change(root, path);

        return c ? json_string_value(json_object_get(c, "kind")) : NULL;
}

static size_t count_idx(const char *state)
{
        char *dir = xjoin(state, "snapshots");
        DIR *d = opendir(dir);
        size_t n = 0;

        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                size_t l = strlen(de->d_name);
                if (l > 4 && strcmp(de->d_name + l - 4, ".idx") == 0 && de->d_name[0] != '.')
                        n++;
        }
        closedir(d);
        free(dir);
        return n;
}

/* True if any object of the store inflates to content containing needle. */
static bool store_contains(const char *state, const char *needle)
{
        char *objects = xjoin(state, "snapshots/objects");
        DIR *top = opendir(objects);
        bool found = false;

        assert_non_null(top);
        for (struct dirent *de; !found && (de = readdir(top));) {
                if (de->d_name[0] == '.')
                        continue;
                char *sub = xjoin(objects, de->d_name);
                DIR *d = opendir(sub);
                for (struct dirent *oe; d && !found && (oe = readdir(d));) {
                        if (oe->d_name[0] == '.')
                                continue;
                        char *path = xjoin(sub, oe->d_name);
                        FILE *f = fopen(path, "re");
                        static unsigned char z[1 << 20], out[1 << 20];
                        size_t zl = fread(z, 1, sizeof(z), f);
                        uLongf ol = sizeof(out) - 1;
                        fclose(f);
                        assert_int_equal(uncompress(out, &ol, z, zl), Z_OK);
                        out[ol] = 0;
                        found = memmem(out, ol, needle, strlen(needle)) != NULL;
                        free(path);
                }
                if (d)
                        closedir(d);
                free(sub);
        }
        closedir(top);
        free(objects);
        return found;
}

static void make_etc(const char *root)
{
        static const unsigned char bin[] = { 0x7f, 'E', 'L', 'F', 0, 1, 2, 3, 0, 'x', '\n' };

        puts_file(root, "etc/app.conf",
                  "# app\nlisten 80\nserver_name example.org\nworkers 4\ntimeout 30\n"
                  "keepalive on\nlog /var/log/app.log\n");
        puts_file(root, "etc/mode.conf", "mode test\n");
        puts_file(root, "etc/owner.conf", "owner test\n");
        puts_file(root, "etc/gone.conf", "to be removed\nsecond line\n");
        puts_file(root, "etc/nested/dir/deep.conf", "deep=1\n");
        put(root, "etc/bin.dat", bin, sizeof(bin));
        puts_file(root, "etc/shadow", "root:$6$SECRETSALT$hash:19000:0:99999:7:::\n");
        puts_file(root, "etc/ssl/private/server.key", "-----BEGIN PRIVATE KEY-----\nKEYDATA\n");
        puts_file(root, "etc/nginx/site.key", "not a pem but forbidden by name: NAMEKEY\n");
        puts_file(root, "etc/nginx/bundle.pem",
                  "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n"
                  "-----BEGIN RSA PRIVATE KEY-----\nPEMKEYDATA1\n-----END RSA PRIVATE KEY-----\n");
        char *link = xjoin(root, "etc/app-link.conf");
        assert_int_equal(symlink("app.conf", link), 0);
        free(link);
}

static void test_changes_in_and_out_of_window(void **state)
{
        char *root = mktmp(), *st = mktmp();
        bool is_root = geteuid() == 0;
        struct sink *s;
        json_t *j;

        (void) state;
        make_etc(root);

        /* 1. first snapshot at T0 (`collect snapshot`): nothing emitted. */
        s = run_config(root, st, T0, T0 - 24 * H, T0, true, NULL, NULL);
        assert_int_equal(mock_sink_n_artifacts(s), 0);
        assert_int_equal(mock_sink_n_findings(s), 0);
        assert_non_null(strstr(mock_sink_notes(s), "snapshot"));
        mock_sink_free(s);
        assert_int_equal(count_idx(st), 1);

        /* 2. change things. */
        puts_file(root, "etc/app.conf",
                  "# app\nlisten 80\nserver_name changed.example.org\nworkers 4\ntimeout 30\n"
                  "keepalive on\nlog /var/log/app.log\n");
        char *p = xjoin(root, "etc/mode.conf");
        assert_int_equal(chmod(p, 0600), 0);
        free(p);
        if (is_root) {
                p = xjoin(root, "etc/owner.conf");
                assert_int_equal(chown(p, 1234, 1234), 0);
                free(p);
        }
        p = xjoin(root, "etc/gone.conf");
        assert_int_equal(unlink(p), 0);
        free(p);
        puts_file(root, "etc/new.conf", "brand new\n");
        static const unsigned char bin2[] = { 0x7f, 'E', 'L', 'F', 0, 9, 9, 9, 0, 'y', '\n' };
        put(root, "etc/bin.dat", bin2, sizeof(bin2));
        puts_file(root, "etc/shadow", "root:$6$OTHERSALT$hash2:19001:0:99999:7:::\n");
        puts_file(root, "etc/nginx/site.key", "changed NAMEKEY2\n");
        puts_file(root, "etc/nginx/bundle.pem",
                  "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n"
                  "-----BEGIN RSA PRIVATE KEY-----\nPEMKEYDATA2\n-----END RSA PRIVATE KEY-----\n");

        /* 3. a window that includes the change. */
        s = run_config(root, st, T0 + 2 * H, T0 + H, T0 + 2 * H, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        size_t expected = is_root ? 7 : 6; /* bundle.pem: a change, the key one redacted line */
        assert_int_equal(json_integer_value(json_object_get(j, "count")), expected);
        assert_true(json_is_true(json_object_get(j, "diff_available")));
        assert_string_equal(change_kind(j, "/etc/app.conf"), "modified");
        assert_string_equal(change_kind(j, "/etc/mode.conf"), "mode_changed");
        assert_string_equal(change_kind(j, "/etc/gone.conf"), "removed");
        assert_string_equal(change_kind(j, "/etc/new.conf"), "added");
        assert_string_equal(change_kind(j, "/etc/bin.dat"), "modified");
        if (is_root)
                assert_string_equal(change_kind(j, "/etc/owner.conf"), "owner_changed");
        assert_null(find_change(j, "/etc/shadow"));
        assert_null(find_change(j, "/etc/ssl/private/server.key"));
        assert_null(find_change(j, "/etc/nested/dir/deep.conf"));
        assert_null(find_change(j, "/etc/nginx/site.key"));
        /* Redacted, not withheld: the key is one line, the rest diffed. */
        assert_string_equal(jstr(find_change(j, "/etc/nginx/bundle.pem"), "diff"), "unified");
        json_t *c = find_change(j, "/etc/mode.conf");
        assert_string_equal(json_string_value(json_object_get(c, "old_mode")), "0644");
        assert_string_equal(json_string_value(json_object_get(c, "new_mode")), "0600");
        c = find_change(j, "/etc/app.conf");
        assert_string_equal(json_string_value(json_object_get(c, "observed")), "2023-11-15T00:13:20Z");
        assert_string_equal(json_string_value(json_object_get(c, "not_before")), "2023-11-14T22:13:20Z");
        assert_int_equal(json_integer_value(json_object_get(c, "new_size")), 103);
        assert_int_equal(strlen(json_string_value(json_object_get(c, "old_sha256"))), 64);
        c = find_change(j, "/etc/new.conf");
        assert_true(json_is_null(json_object_get(c, "old_sha256")));
        json_decref(j);

        const struct mock_artifact *d = mock_sink_find(s, "config/changes.diff");
        assert_non_null(d);
        assert_non_null(strstr(d->data, "--- a/etc/app.conf\n+++ b/etc/app.conf\n"
                                        "@@ -1,6 +1,6 @@\n # app\n listen 80\n"
                                        "-server_name example.org\n+server_name changed.example.org\n"
                                        " workers 4\n timeout 30\n keepalive on\n"));
        assert_non_null(strstr(d->data, "--- /dev/null\n+++ b/etc/new.conf\n@@ -0,0 +1 @@\n+brand new\n"));
        assert_non_null(strstr(d->data, "--- a/etc/gone.conf\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"));
        assert_non_null(strstr(d->data, "Binary files a/etc/bin.dat and b/etc/bin.dat differ"));
        assert_non_null(strstr(d->data, "# mode of /etc/mode.conf changed: 0644 -> 0600"));
        assert_null(strstr(d->data, "SALT"));
        assert_null(strstr(d->data, "KEYDATA"));
        assert_null(strstr(d->data, "NAMEKEY"));
        assert_null(strstr(d->data, "PEMKEYDATA"));
        assert_non_null(strstr(d->data, "-[REDACTED:private-key fingerprint "));
        assert_non_null(strstr(d->data, "+[REDACTED:private-key fingerprint "));
        assert_non_null(strstr(d->data, " -----BEGIN CERTIFICATE-----\n"));
        /* changes.diff applies with patch -p1 to the old tree (its keys
         * redacted the same way). */
        char *old = mktmp();
        make_etc(old);
        {
                char pem[] = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n"
                             "-----BEGIN RSA PRIVATE KEY-----\nPEMKEYDATA1\n"
                             "-----END RSA PRIVATE KEY-----\n";
                size_t n = config_diff_strip_keys(pem, strlen(pem));

                pem[n] = 0;
                puts_file(old, "etc/nginx/bundle.pem", pem);
        }
        char *diff_path = xjoin(old, "changes.diff");
        FILE *df = fopen(diff_path, "we");
        assert_non_null(df);
        fwrite(d->data, 1, d->len, df);
        fclose(df);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                dup2(null, 1);
                execlp("patch", "patch", "-s", "-p1", "-d", old, "-i", diff_path, (char *) NULL);
                _exit(127);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        const char *same[] = { "etc/app.conf", "etc/new.conf", NULL };
        for (size_t k = 0; same[k]; k++) {
                char *pa = xjoin(old, same[k]), *pb = xjoin(root, same[k]);
                char ba[512] = {}, bb[512] = {};
                FILE *fa = fopen(pa, "re"), *fb = fopen(pb, "re");
                assert_non_null(fa);
                assert_non_null(fb);
                size_t la = fread(ba, 1, sizeof(ba), fa), lb = fread(bb, 1, sizeof(bb), fb);
                fclose(fa);
                fclose(fb);
                assert_int_equal(la, lb);
                assert_memory_equal(ba, bb, la);
                free(pa);
                free(pb);
        }
        char *gone = xjoin(old, "etc/gone.conf");
        assert_int_equal(access(gone, F_OK), -1);
        free(gone);
        free(diff_path);
        rm_rf(old);
        free(old);

        const struct finding *f = mock_sink_find_finding(s, FINDING_CONFIG_CHANGES, "files");
        assert_non_null(f);
        assert_int_equal(f->count, expected);
        mock_sink_free(s);
        assert_int_equal(count_idx(st), 2); /* the collection recorded a snapshot */

        /* Secrets never reach the store. */
        assert_true(store_contains(st, "changed.example.org")); /* the check works */
        assert_false(store_contains(st, "SALT"));
        assert_false(store_contains(st, "KEYDATA"));
        assert_false(store_contains(st, "NAMEKEY"));
        char hash[65];
        const char *shadow2 = "root:$6$OTHERSALT$hash2:19001:0:99999:7:::\n";
        assert_int_equal(config_snapshot_sha256(shadow2, strlen(shadow2), hash), 0);
        char objpath[256];
        (void) snprintf(objpath, sizeof(objpath), "%s/snapshots/objects/%.2s/%s", st, hash, hash + 2);
        assert_int_equal(access(objpath, F_OK), -1);

        /* 4. a window after the change (baseline: the snapshot taken at T0+2h). */
        s = run_config(root, st, T0 + 5 * H, T0 + 3 * H, T0 + 5 * H, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
        json_decref(j);
        f = mock_sink_find_finding(s, FINDING_CONFIG_CHANGES, "files");
        assert_non_null(f);
        assert_int_equal(f->count, 0);
        mock_sink_free(s);

        /* 5. a past window [T0+1h, T0+2h] asked at T0+6h, with a later change
         * that must not be reported: the window ends at the T0+2h snapshot. */
        puts_file(root, "etc/nested/dir/deep.conf", "deep=2\n");
        s = run_config(root, st, T0 + 6 * H, T0 + H, T0 + 2 * H, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), expected);
        assert_null(find_change(j, "/etc/nested/dir/deep.conf"));
        assert_null(find_change(j, "/etc/nginx/site.key"));
        assert_string_equal(jstr(find_change(j, "/etc/nginx/bundle.pem"), "diff"), "unified");
        assert_non_null(find_change(j, "/etc/app.conf"));
        json_decref(j);
        mock_sink_free(s);

        /* ... and a window that covers it reports only it. */
        s = run_config(root, st, T0 + 7 * H, T0 + 5 * H + H / 2, T0 + 7 * H, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        assert_string_equal(change_kind(j, "/etc/nested/dir/deep.conf"), "modified");
        c = find_change(j, "/etc/nested/dir/deep.conf");
        /* seen first by the T0+6h collection */
        assert_string_equal(json_string_value(json_object_get(c, "observed")), "2023-11-15T04:13:20Z");
        json_decref(j);
        mock_sink_free(s);

        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

static void test_no_baseline(void **state)
{
        char *root = mktmp(), *st = mktmp();
        struct sink *s;
        json_t *j;

        (void) state;
        puts_file(root, "etc/in.conf", "inside\n");
        puts_file(root, "etc/out.conf", "outside\n");
        set_mtime(root, "etc/in.conf", T0 - H / 2);
        set_mtime(root, "etc/out.conf", T0 - 5 * H);

        s = run_config(root, st, T0, T0 - H, T0, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        assert_true(json_is_false(json_object_get(j, "diff_available")));
        assert_non_null(find_change(j, "/etc/in.conf"));
        assert_null(find_change(j, "/etc/out.conf"));
        assert_non_null(strstr(json_string_value(json_object_get(j, "note")), "no configuration snapshot"));
        json_decref(j);
        const struct mock_artifact *d = mock_sink_find(s, "config/changes.diff");
        assert_non_null(d);
        assert_non_null(strstr(d->data, "no configuration diff available"));
        assert_non_null(strstr(mock_sink_notes(s), "no configuration diff"));
        const struct finding *f = mock_sink_find_finding(s, FINDING_CONFIG_CHANGES, "files");
        assert_non_null(f);
        assert_int_equal(f->count, 1);
        mock_sink_free(s);
        assert_int_equal(count_idx(st), 1); /* the first snapshot was taken */

        /* Only a snapshot inside the window: it is the baseline, with a warning. */
        puts_file(root, "etc/out.conf", "changed\n");
        s = run_config(root, st, T0 + H / 6, T0 - H, T0 + H / 6, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        /* in.conf, found by mtime by the run that took the first snapshot, is
         * still reported: the re-run says what the first run said. */
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
        assert_string_equal(change_kind(j, "/etc/out.conf"), "modified");
        assert_string_equal(jstr(find_change(j, "/etc/in.conf"), "evidence"), "mtime");
        assert_true(json_is_true(json_object_get(json_object_get(j, "baseline"), "in_window")));
        assert_non_null(strstr(json_string_value(json_object_get(j, "note")), "unknown"));
        json_decref(j);
        mock_sink_free(s);

        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

/* With the real clock, a change made after the baseline but before the window
 * start (by inode change time) is not reported. */
static void test_changed_before_window(void **state)
{
        char *root = mktmp(), *st = mktmp();
        struct timespec ts;
        struct sink *s;
        json_t *j;

        (void) state;
        clock_gettime(CLOCK_REALTIME, &ts);
        usec_t r = (usec_t) ts.tv_sec * USEC_PER_SEC;
        puts_file(root, "etc/a.conf", "one\n");
        s = run_config(root, st, r - 3 * H, r - 4 * H, r - 3 * H, true, NULL, NULL);
        mock_sink_free(s);
        puts_file(root, "etc/a.conf", "two\n");

        s = run_config(root, st, r + 60 * USEC_PER_SEC, r + 30 * USEC_PER_SEC, r + 60 * USEC_PER_SEC,
                       false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
        assert_int_equal(json_integer_value(json_object_get(j, "changed_before_window")), 1);
        json_decref(j);
        mock_sink_free(s);

        s = run_config(root, st, r + 120 * USEC_PER_SEC, r - H, r + 120 * USEC_PER_SEC, false, NULL,
                       NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        assert_string_equal(change_kind(j, "/etc/a.conf"), "modified");
        json_decref(j);
        mock_sink_free(s);
        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

static void test_stat_reuse(void **state)
{
        char *root = mktmp(), *st = mktmp(), name[64];
        struct sink *s;

        (void) state;
        for (int i = 0; i < 200; i++) {
                (void) snprintf(name, sizeof(name), "etc/d%d/f%d.conf", i % 10, i);
                puts_file(root, name, "some content\nline two\n");
        }
        usleep(300 * 1000); /* past the racy window */
        s = run_config(root, st, T0, T0 - H, T0, true, NULL, NULL);
        assert_non_null(strstr(mock_sink_notes(s), "200 files (200 read"));
        mock_sink_free(s);
        s = run_config(root, st, T0 + H, T0, T0 + H, true, NULL, NULL);
        assert_non_null(strstr(mock_sink_notes(s), "200 files (0 read, 200 unchanged"));
        mock_sink_free(s);
        /* A changed file is read again, even with the same size and mtime. */
        puts_file(root, "etc/d3/f3.conf", "SOME CONTENT\nline two\n");
        set_mtime(root, "etc/d3/f3.conf", T0); /* ctime still changes */
        s = run_config(root, st, T0 + 2 * H, T0, T0 + 2 * H, true, NULL, NULL);
        assert_non_null(strstr(mock_sink_notes(s), "200 files (1 read, 199 unchanged"));
        mock_sink_free(s);
        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

static size_t verify_store(const char *state, size_t *ret_entries_newest);

static uint64_t file_size(const char *dir, const char *name)
{
        char *sub = xjoin(dir, "snapshots"), *path = xjoin(sub, name);
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        free(sub);
        free(path);
        return (uint64_t) st.st_size;
}

/* Unchanged snapshots are written as references to the full index; dropping
 * that one writes the entries out into the oldest kept snapshot. */
static void test_unchanged_reference(void **state)
{
        char *root = mktmp(), *st = mktmp(), name[64];
        const char *const keep2[] = { "max_snapshots=2", NULL };
        struct config_snapshot_store *store = NULL;
        struct config_snapshot_info *l = NULL;
        size_t n = 0;

        (void) state;
        for (int i = 0; i < 100; i++) {
                (void) snprintf(name, sizeof(name), "etc/f%d.conf", i);
                puts_file(root, name, "content of a config file\n");
        }
        usleep(300 * 1000);
        for (int k = 0; k < 3; k++)
                mock_sink_free(run_config(root, st, T0 + (usec_t) k * H, T0, T0 + (usec_t) k * H, true,
                                          NULL, NULL));
        assert_int_equal(config_snapshot_store_open(st, &store), 0);
        assert_int_equal(config_snapshot_list(store, &l, &n), 0);
        assert_int_equal(n, 3);
        assert_true(file_size(st, l[0].name) > 5000);
        assert_true(file_size(st, l[1].name) < 300);
        assert_true(file_size(st, l[2].name) < 300);
        for (size_t i = 0; i < n; i++) {
                struct config_snapshot_index *idx = NULL;
                char *ref = NULL;

                assert_int_equal(config_snapshot_load(store, l[i].name, &idx), 0);
                assert_int_equal(idx->n_entries, 100);
                assert_int_equal(idx->time, T0 + (usec_t) i * H);
                assert_int_equal(config_snapshot_ref(store, l[i].name, &ref), 0);
                assert_string_equal(ref, l[0].name);
                free(ref);
                config_snapshot_index_free(idx);
        }
        config_snapshot_info_free_many(l, n);
        store = config_snapshot_store_free(store);

        /* Keep 2: the full index goes, the next one gets the entries. */
        mock_sink_free(run_config(root, st, T0 + 3 * H, T0, T0 + 3 * H, true, keep2, NULL));
        assert_int_equal(verify_store(st, NULL), 2);
        assert_int_equal(config_snapshot_store_open(st, &store), 0);
        assert_int_equal(config_snapshot_list(store, &l, &n), 0);
        assert_int_equal(n, 2);
        assert_true(file_size(st, l[0].name) > 5000);
        for (size_t i = 0; i < n; i++) {
                struct config_snapshot_index *idx = NULL;

                assert_int_equal(config_snapshot_load(store, l[i].name, &idx), 0);
                assert_int_equal(idx->n_entries, 100);
                config_snapshot_index_free(idx);
        }
        config_snapshot_info_free_many(l, n);
        config_snapshot_store_free(store);

        /* And the diff still works against a reference baseline. */
        puts_file(root, "etc/f7.conf", "changed\n");
        struct sink *s = run_config(root, st, T0 + 5 * H, T0 + 4 * H, T0 + 5 * H, false, NULL, NULL);
        json_t *j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
        assert_string_equal(change_kind(j, "/etc/f7.conf"), "modified");
        json_decref(j);
        mock_sink_free(s);
        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

/* Every committed snapshot loads and its stored contents verify. */
static size_t verify_store(const char *state, size_t *ret_entries_newest)
{
        struct config_snapshot_store *store = NULL;
        struct config_snapshot_info *l = NULL;
        size_t n = 0;

        assert_int_equal(config_snapshot_store_open(state, &store), 0);
        assert_int_equal(config_snapshot_list(store, &l, &n), 0);
        for (size_t i = 0; i < n; i++) {
                struct config_snapshot_index *idx = NULL;

                assert_int_equal(config_snapshot_load(store, l[i].name, &idx), 0);
                if (i == 0 || i == n - 1)
                        for (size_t k = 0; k < idx->n_entries; k++) {
                                char *data = NULL;
                                size_t len;

                                if (!idx->entries[k].stored)
                                        continue;
                                int r = config_snapshot_read_object(store, idx->entries[k].sha256,
                                                                    1 << 20, &data, &len);
                                if (r < 0)
                                        fail_msg("snapshot %s: object of %s: %s", l[i].name,
                                                 idx->entries[k].path, strerror(-r));
                                free(data);
                        }
                if (i == n - 1 && ret_entries_newest)
                        *ret_entries_newest = idx->n_entries;
                config_snapshot_index_free(idx);
        }
        config_snapshot_info_free_many(l, n);
        config_snapshot_store_free(store);
        return n;
}

#define N_FILES 400

static void test_killed_snapshot(void **state)
{
        char *root = mktmp(), *st = mktmp(), name[64], content[600];
        unsigned seed = 4242;
        size_t prev = 0, kills = 0, entries = 0;
        struct sink *s;

        (void) state;
        if (getenv("CONFIG_TEST_SEED"))
                seed = (unsigned) strtoul(getenv("CONFIG_TEST_SEED"), NULL, 0);
        srand(seed);
        for (int i = 0; i < N_FILES; i++) {
                (void) snprintf(name, sizeof(name), "etc/d%d/f%d.conf", i % 30, i);
                for (size_t k = 0; k + 1 < sizeof(content); k++)
                        content[k] = (char) ('a' + rand() % 26);
                content[sizeof(content) - 1] = 0;
                puts_file(root, name, content);
        }
        s = run_config(root, st, T0, T0 - H, T0, true, NULL, NULL);
        mock_sink_free(s);
        prev = verify_store(st, &entries);
        assert_int_equal(prev, 1);
        assert_int_equal(entries, N_FILES);

        /* How long does a snapshot with a third of the files changed take? */
        struct timespec t1, t2;
        for (int k = 0; k < N_FILES / 3; k++) {
                int i = rand() % N_FILES;
                (void) snprintf(name, sizeof(name), "etc/d%d/f%d.conf", i % 30, i);
                (void) snprintf(content, sizeof(content), "warm-up %d %d\n", k, rand());
                puts_file(root, name, content);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s = run_config(root, st, T0 + H / 2, T0, T0 + H / 2, true, NULL, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        mock_sink_free(s);
        long duration_us = (t2.tv_sec - t1.tv_sec) * 1000000L + (t2.tv_nsec - t1.tv_nsec) / 1000;
        prev = verify_store(st, &entries);
        assert_int_equal(prev, 2);

        for (int it = 0; it < 12; it++) {
                /* change some files so that the snapshot has work to do */
                for (int k = 0; k < N_FILES / 3; k++) {
                        int i = rand() % N_FILES;
                        (void) snprintf(name, sizeof(name), "etc/d%d/f%d.conf", i % 30, i);
                        (void) snprintf(content, sizeof(content), "changed %d %d %d\n", it, k, rand());
                        puts_file(root, name, content);
                }
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        struct sink *cs = run_config(root, st, T0 + (usec_t) (it + 1) * H, T0,
                                                     T0 + (usec_t) (it + 1) * H, true, NULL, NULL);
                        mock_sink_free(cs);
                        _exit(0);
                }
                /* anywhere from the start to past the end of a snapshot */
                usleep((useconds_t) (rand() % (duration_us * 3 / 2 + 1)));
                (void) kill(pid, SIGKILL);
                int status;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                if (WIFSIGNALED(status))
                        kills++;
                size_t n = verify_store(st, &entries);
                assert_true(n >= prev);
                assert_int_equal(entries, N_FILES);
                prev = n;
        }
        print_message("%zu snapshots committed, %zu runs killed (a snapshot takes ~%ld ms)\n", prev,
                      kills, duration_us / 1000);
        /* A normal snapshot still works afterwards (lock released, temps removed). */
        s = run_config(root, st, T0 + 100 * H, T0, T0 + 100 * H, true, NULL, NULL);
        mock_sink_free(s);
        assert_int_equal(verify_store(st, NULL), prev + 1);
        char *objects = xjoin(st, "snapshots/objects");
        DIR *d = opendir(objects);
        for (struct dirent *de; (de = readdir(d));)
                assert_false(strncmp(de->d_name, ".tmp-", 5) == 0);
        closedir(d);
        free(objects);
        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

static uint64_t store_bytes(const char *state)
{
        char *dir = xjoin(state, "snapshots"), cmd[4200];
        uint64_t total = 0;
        FILE *f;

        /* sum of apparent sizes of objects and indexes */
        (void) snprintf(cmd, sizeof(cmd), "find '%s' -type f ! -name lock -printf '%%s\\n'", dir);
        f = popen(cmd, "re");
        assert_non_null(f);
        for (unsigned long long v; fscanf(f, "%llu", &v) == 1;)
                total += v;
        pclose(f);
        free(dir);
        return total;
}

static void test_store_bound(void **state)
{
        char *root = mktmp(), *st = mktmp();
        unsigned char buf[60000];
        const char *const limits[] = { "max_store_size=200K", "max_snapshots=100", NULL };
        const char *const count_limit[] = { "max_snapshots=2", NULL };

        (void) state;
        srand(7);
        puts_file(root, "etc/small.conf", "small\n");
        for (int it = 0; it < 10; it++) {
                for (size_t k = 0; k < sizeof(buf); k++)
                        buf[k] = (unsigned char) rand();
                put(root, "etc/big.bin", buf, sizeof(buf));
                struct sink *s = run_config(root, st, T0 + (usec_t) it * H, T0, T0 + (usec_t) it * H,
                                            true, limits, NULL);
                mock_sink_free(s);
                uint64_t b = store_bytes(st);
                if (b > 200 * 1024)
                        fail_msg("iteration %d: store holds %llu bytes", it, (unsigned long long) b);
        }
        size_t n = verify_store(st, NULL);
        assert_true(n >= 2 && n <= 4);
        struct sink *s = run_config(root, st, T0 + 20 * H, T0, T0 + 20 * H, true, count_limit, NULL);
        mock_sink_free(s);
        assert_int_equal(verify_store(st, NULL), 2);
        assert_true(store_bytes(st) < 3 * 61000);
        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

static json_t *find_pkg(json_t *root, const char *name, const char *action)
{
        json_t *list = json_object_get(root, "changes"), *c;
        size_t i;

        json_array_foreach(list, i, c)
                if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0 &&
                    strcmp(json_string_value(json_object_get(c, "action")), action) == 0)
                        return c;
        return NULL;
}

static void test_packages(void **state)
{
        char *root = mktmp(), *st = mktmp();
        struct sink *s;
        json_t *j, *p;

        (void) state;
        mkdirs(root);
        puts_file(root, "var/log/dpkg.log",
                  "2023-11-14 21:00:00 startup archives unpack\n"
                  "2023-11-14 21:00:01 upgrade openssl:amd64 3.0.11-1~deb12u1 3.0.11-1~deb12u2\n"
                  "2023-11-14 21:00:02 status half-configured openssl:amd64 3.0.11-1~deb12u2\n"
                  "2023-11-14 21:00:03 install nginx:amd64 <none> 1.22.1-9\n"
                  "2023-11-14 21:00:04 configure nginx:amd64 1.22.1-9 <none>\n"
                  "2023-11-14 21:00:05 remove oldpkg:amd64 1.0-1 <none>\n"
                  "2023-11-14 21:00:06 purge oldpkg:amd64 1.0-1 <none>\n"
                  "2023-11-14 23:00:00 install future:amd64 <none> 1.0\n");
        mkdirs(root); /* var/log exists now */
        char *gz = xjoin(root, "var/log");
        mkdirs(gz);
        free(gz);
        put_gz(root, "var/log/dpkg.log.2.gz",
               "2023-11-10 10:00:00 upgrade vim:amd64 2:9.0.1378-2 2:9.0.1378-3\n"
               "2023-11-14 20:30:00 upgrade curl:amd64 7.88.1-10 7.88.1-10+deb12u4\n");
        puts_file(root, "var/log/apt/history.log",
                  "\nStart-Date: 2023-11-14  21:00:00\n"
                  "Commandline: apt-get install nginx\n"
                  "Requested-By: admin (1000)\n"
                  "Install: nginx:amd64 (1.22.1-9), libfoo1:amd64 (1.0-2, automatic)\n"
                  "Upgrade: openssl:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2)\n"
                  "End-Date: 2023-11-14  21:00:10\n");
        put_gz(root, "var/log/apt/history.log.1.gz",
               "\nStart-Date: 2023-11-01  08:00:00\n"
               "Commandline: apt-get upgrade\n"
               "Upgrade: bash:amd64 (5.2.15-2, 5.2.15-2+b2)\n"
               "End-Date: 2023-11-01  08:00:05\n");
        puts_file(root, "var/log/dnf.rpm.log",
                  "2023-11-13T10:00:00+0000 SUBDEBUG Installed: old-1.0-1.fc38.noarch\n"
                  "2023-11-14T21:30:00+0000 INFO --- logging initialized ---\n"
                  "2023-11-14T21:30:01+0000 SUBDEBUG Upgrade: bash-5.2.15-3.fc38.x86_64\n"
                  "2023-11-14T21:30:02+0000 SUBDEBUG Upgraded: bash-5.2.15-1.fc38.x86_64\n"
                  "2023-11-14T21:30:03+0000 SUBDEBUG Installed: htop-3.2.2-1.fc38.x86_64\n"
                  "2023-11-14T21:30:04+0000 SUBDEBUG Erase: telnet-1:0.17-85.fc38.x86_64\n");
        put_gz(root, "var/log/dnf.rpm.log-20231114.gz",
               "2023-11-14T20:20:00Z SUBDEBUG Installed: jq-1.6-16.fc38.x86_64\n");
        puts_file(root, "var/log/yum.log",
                  "Nov 14 21:45:00 Updated: zlib-1.2.7-21.el7_9.x86_64\n"
                  "Nov 14 21:46:00 Erased: ftp\n"
                  "Nov 01 09:00:00 Installed: 1:ntp-4.2.6p5-29.el7.x86_64\n");
        set_mtime(root, "var/log/yum.log", T0);

        s = run_config(root, st, T0, T0 - 2 * H, T0, false, NULL, NULL);
        j = artifact_json(s, "config/packages.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 11);

        p = find_pkg(j, "openssl", "upgrade");
        assert_non_null(p);
        assert_string_equal(jstr(p, "old_version"), "3.0.11-1~deb12u1");
        assert_string_equal(jstr(p, "new_version"), "3.0.11-1~deb12u2");
        assert_string_equal(jstr(p, "arch"), "amd64");
        assert_string_equal(jstr(p, "time"), "2023-11-14T21:00:01Z");
        assert_string_equal(jstr(p, "source"), "/var/log/dpkg.log");
        assert_string_equal(jstr(p, "command"), "apt-get install nginx");
        p = find_pkg(j, "nginx", "install");
        assert_non_null(p);
        assert_null(jstr(p, "old_version"));
        assert_string_equal(jstr(p, "new_version"), "1.22.1-9");
        p = find_pkg(j, "oldpkg", "purge");
        assert_non_null(p);
        assert_string_equal(jstr(p, "old_version"), "1.0-1");
        assert_null(find_pkg(j, "oldpkg", "remove"));
        p = find_pkg(j, "curl", "upgrade");
        assert_non_null(p);
        assert_string_equal(jstr(p, "source"), "/var/log/dpkg.log.2.gz");
        p = find_pkg(j, "libfoo1", "install");
        assert_non_null(p);
        assert_string_equal(jstr(p, "new_version"), "1.0-2");
        assert_string_equal(jstr(p, "source"), "/var/log/apt/history.log");
        p = find_pkg(j, "bash", "upgrade");
        assert_non_null(p);
        assert_string_equal(jstr(p, "old_version"), "5.2.15-1.fc38");
        assert_string_equal(jstr(p, "new_version"), "5.2.15-3.fc38");
        assert_string_equal(jstr(p, "arch"), "x86_64");
        assert_string_equal(jstr(p, "time"), "2023-11-14T21:30:01Z");
        assert_non_null(find_pkg(j, "htop", "install"));
        p = find_pkg(j, "telnet", "remove");
        assert_non_null(p);
        assert_string_equal(jstr(p, "old_version"), "1:0.17-85.fc38");
        p = find_pkg(j, "jq", "install");
        assert_non_null(p);
        assert_string_equal(jstr(p, "source"), "/var/log/dnf.rpm.log-20231114.gz");
        p = find_pkg(j, "zlib", "upgrade");
        assert_non_null(p);
        assert_string_equal(jstr(p, "new_version"), "1.2.7-21.el7_9");
        assert_string_equal(jstr(p, "time"), "2023-11-14T21:45:00Z");
        assert_non_null(find_pkg(j, "ftp", "remove"));
        assert_null(find_pkg(j, "vim", "upgrade"));
        assert_null(find_pkg(j, "future", "install"));
        assert_null(find_pkg(j, "old", "install"));
        assert_null(find_pkg(j, "ntp", "install"));
        json_decref(j);

        const struct finding *f = mock_sink_find_finding(s, FINDING_PACKAGE_CHANGES, "packages");
        assert_non_null(f);
        assert_int_equal(f->count, 11);
        mock_sink_free(s);

        /* A window with none of them: 0 is an answer. */
        s = run_config(root, st, T0 - 10 * H, T0 - 12 * H, T0 - 10 * H, false, NULL, NULL);
        f = mock_sink_find_finding(s, FINDING_PACKAGE_CHANGES, "packages");
        assert_non_null(f);
        assert_int_equal(f->count, 0);
        mock_sink_free(s);

        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

/*
 * A snapshot cut at max_files: the files it did not reach are not "removed"
 * in the diff (it keeps what the previous snapshot had of them), and the
 * next full snapshot finds nothing "added" either.
 */
static void test_cut_at_max_files(void **state)
{
        char *root = mktmp(), *st = mktmp(), name[64];
        const char *const cut[] = { "max_files=5", NULL };
        struct sink *s;
        json_t *j;

        (void) state;
        for (int i = 0; i < 30; i++) {
                (void) snprintf(name, sizeof(name), "etc/d%d/f%d.conf", i % 3, i);
                puts_file(root, name, "content of a config file\n");
        }
        usleep(300 * 1000);
        mock_sink_free(run_config(root, st, T0, T0, T0, true, NULL, NULL));

        s = run_config(root, st, T0 + H, T0, T0 + H, false, cut, NULL);
        assert_non_null(strstr(mock_sink_notes(s), "snapshot cut at 5 files"));
        assert_non_null(strstr(mock_sink_notes(s), "25 files not reached"));
        j = artifact_json(s, "config/changes.json");
        for (int i = 0; i < 30; i++) {
                (void) snprintf(name, sizeof(name), "/etc/d%d/f%d.conf", i % 3, i);
                assert_null(change_kind(j, name));
        }
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
        json_decref(j);
        mock_sink_free(s);

        s = run_config(root, st, T0 + 2 * H, T0 + H, T0 + 2 * H, false, NULL, NULL);
        j = artifact_json(s, "config/changes.json");
        assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
        json_decref(j);
        mock_sink_free(s);
        assert_int_equal(verify_store(st, NULL), 3);
        rm_rf(root);
        rm_rf(st);
        free(root);
        free(st);
}

/*
 * Two first snapshots at once: the first run gives up its empty store (its
 * snapshot failed) while the second waits for the lock. The second must not
 * go on in the removed directory: it starts over and gets a store of its own.
 */
static void test_first_stores_at_once(void **state)
{
        char *st = mktmp(), *lockp = xjoin(st, "snapshots/lock"),
             *objs = xjoin(st, "snapshots/objects");
        struct config_snapshot_store *a = NULL;
        int status = -1;
        pid_t pid;

        (void) state;
        assert_int_equal(config_snapshot_store_open(st, &a), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct config_snapshot_store *b = NULL;
                int r;

                closefrom(3); /* the parent's lock is not ours (flock follows the file) */
                r = config_snapshot_store_open(st, &b);

                if (r < 0)
                        _exit(2);
                r = access(lockp, F_OK) == 0 && access(objs, F_OK) == 0;
                config_snapshot_store_free(b);
                _exit(r ? 0 : 3);
        }
        usleep(300 * 1000);            /* the child waits on the lock */
        config_snapshot_store_free(a); /* nothing committed: the store goes */
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        rm_rf(st);
        free(st);
        free(lockp);
        free(objs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_changes_in_and_out_of_window),
                cmocka_unit_test(test_no_baseline),
                cmocka_unit_test(test_changed_before_window),
                cmocka_unit_test(test_stat_reuse),
                cmocka_unit_test(test_unchanged_reference),
                cmocka_unit_test(test_killed_snapshot),
                cmocka_unit_test(test_store_bound),
                cmocka_unit_test(test_packages),
                cmocka_unit_test(test_first_stores_at_once),
                cmocka_unit_test(test_cut_at_max_files),
        };

        if (getenv("CONFIG_TEST_FILTER"))
                cmocka_set_test_filter(getenv("CONFIG_TEST_FILTER"));
        (void) setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
