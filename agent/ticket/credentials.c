/* SPDX-License-Identifier: MIT */
/*
 * Portal credentials and other secret files: strict permission checks before
 * reading, environment overrides, and an Authorization header built in memory
 * that is never printed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "alloc-util.h"
#include "ticket/credentials.h"
#include "fd-util.h"
#include "policy/pnode.h"

#define SECRET_FILE_MAX (64 * 1024)

static void explicit_wipe(char *s)
{
        if (s)
                explicit_bzero(s, strlen(s));
}

int secret_file_open(const char *path, char **ret_error)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;

                if (ret_error)
                        *ret_error = xasprintf("cannot open '%s': %s", path, strerror(-r));
                return r == -ELOOP ? -EACCES : r;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) {
                if (ret_error)
                        *ret_error = xasprintf("'%s' is not a regular file", path);
                return -EACCES;
        }
        if (st.st_uid != geteuid() && st.st_uid != 0) {
                if (ret_error)
                        *ret_error = xasprintf("refusing '%s': owned by uid %u, not by this user "
                                               "or root",
                                               path, (unsigned) st.st_uid);
                return -EACCES;
        }
        if (st.st_mode & 0077) {
                if (ret_error)
                        *ret_error = xasprintf("refusing '%s': mode %04o lets others read it; "
                                               "run 'chmod 600 %s'",
                                               path, (unsigned) (st.st_mode & 07777), path);
                return -EACCES;
        }
        return TAKE_FD(fd);
}

int secret_file_read(const char *path, char **ret, char **ret_error)
{
        _cleanup_close_ int fd = -1;
        char *buf;
        ssize_t n;

        fd = secret_file_open(path, ret_error);
        if (fd < 0)
                return fd;
        buf = xmalloc(SECRET_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = loop_read(fd, buf, SECRET_FILE_MAX + 1);
        if (n < 0 || n > SECRET_FILE_MAX) {
                explicit_bzero(buf, SECRET_FILE_MAX + 1);
                free(buf);
                if (ret_error)
                        *ret_error = xasprintf("cannot read '%s': %s", path,
                                               n < 0 ? strerror((int) -n) : "file too large");
                return n < 0 ? (int) n : -EFBIG;
        }
        while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
                n--;
        buf[n] = 0;
        *ret = buf;
        return 0;
}

static int take_env(const char *name, char **ret)
{
        const char *e = getenv(name);

        if (isempty(e))
                return 0;
        *ret = xstrdup(e);
        return *ret ? 1 : -ENOMEM;
}

static int parse_file(struct credentials *c, const char *path, char **ret_error)
{
        static const char *const keys[] = { "email", "token", "user", "username", NULL };
        _cleanup_(pnode_freep) struct pnode *root = NULL;
        _cleanup_free_ char *data = NULL;
        int r;

        r = secret_file_read(path, &data, ret_error);
        if (r < 0)
                return r;
        r = pnode_parse_string(path, data, strlen(data), &root, ret_error);
        explicit_wipe(data);
        if (r < 0)
                return r;
        r = pnode_check_keys(root, "credentials", keys, ret_error);
        if (r < 0)
                return r;
        if (!c->email) {
                const struct pnode *e = pnode_get(root, "email")            ?:
                                                pnode_get(root, "username") ?:
                                                                              pnode_get(root, "user");
                r = pnode_to_string(e, &c->email, ret_error);
                if (r < 0)
                        return r;
        }
        if (!c->token) {
                const struct pnode *t = pnode_get(root, "token");

                if (t && t->type != PNODE_SCALAR) {
                        if (ret_error)
                                *ret_error = pnode_error(t, "'token' must be a value");
                        return -EINVAL;
                }
                r = pnode_to_string(t, &c->token, ret_error);
                /* wipe the copy kept in the tree */
                if (t && t->value)
                        explicit_wipe(t->value);
                if (r < 0)
                        return r;
        }
        return 0;
}

int credentials_load(struct credentials *c, const char *path, enum portal_deployment d,
                     char **ret_error)
{
        int r;

        *c = (struct credentials) {};
        r = take_env("COLLECT_PORTAL_EMAIL", &c->email);
        if (r >= 0)
                r = take_env("COLLECT_PORTAL_TOKEN", &c->token);
        if (r < 0)
                goto fail;

        if (!c->token || (d == PORTAL_CLOUD && !c->email)) {
                if (!path) {
                        r = -ENOENT;
                        if (ret_error)
                                *ret_error = xasprintf("no portal credentials: set "
                                                       "COLLECT_PORTAL_TOKEN or a credentials "
                                                       "file");
                        goto fail;
                }
                r = parse_file(c, path, ret_error);
                if (r < 0)
                        goto fail;
        }
        if (isempty(c->token)) {
                r = -EINVAL;
                if (ret_error && !*ret_error)
                        *ret_error = xasprintf("%s: 'token:' is missing", path ?: "credentials");
                goto fail;
        }
        if (d == PORTAL_CLOUD && isempty(c->email)) {
                r = -EINVAL;
                if (ret_error && !*ret_error)
                        *ret_error = xasprintf("%s: 'email:' is missing (Cloud API tokens are "
                                               "used with the account's e-mail address)",
                                               path ?: "credentials");
                goto fail;
        }
        return 0;
fail:
        credentials_done(c);
        return r;
}

void credentials_done(struct credentials *c)
{
        if (!c)
                return;
        explicit_wipe(c->token);
        free(c->token);
        free(c->email);
        *c = (struct credentials) {};
}

char *credentials_auth_header(const struct credentials *c, enum portal_deployment d)
{
        _cleanup_free_ char *plain = NULL;
        _cleanup_free_ unsigned char *b64 = NULL;
        char *h;
        size_t n;

        if (d == PORTAL_DATACENTER)
                return xasprintf("Authorization: Bearer %s", c->token);
        /* Cloud: Basic base64(email:token) */
        plain = xasprintf("%s:%s", c->email ? c->email : "", c->token);
        if (!plain)
                return NULL;
        n = strlen(plain);
        b64 = xmalloc(4 * ((n + 2) / 3) + 1);
        if (!b64) {
                explicit_wipe(plain);
                return NULL;
        }
        EVP_EncodeBlock(b64, (const unsigned char *) plain, (int) n);
        explicit_wipe(plain);
        h = xasprintf("Authorization: Basic %s", (char *) b64);
        explicit_wipe((char *) b64);
        return h;
}
