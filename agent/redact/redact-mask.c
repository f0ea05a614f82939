/* SPDX-License-Identifier: MIT */
/*
 * Masking (--mask): host names, domains, IPv4/IPv6 and MAC addresses, user
 * names and e-mail addresses become pseudonyms that stay the same within a
 * bundle and across runs. The map (real value -> pseudonym) is a JSON file in
 * the state directory, mode 0600; it never enters a bundle. IPv4 addresses
 * keep their subnet structure: the /24 network part and the host byte are
 * mapped separately (10.1.2.3 and 10.1.2.4 become 100.64.0.3 and 100.64.0.4);
 * IPv6 likewise with the /64 prefix and the interface id. Non-logging.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc-util.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "redact/redact-internal.h"
#include "strv.h"

static const char *const mask_keys[] = {
        "hostnames", "domains", "users", "keep_users", "ipv4", "ipv6", "mac", "email", NULL,
};

struct mask {
        char **hostnames, **domains, **users, **keep_users;
        bool ipv4, ipv6, mac, email;

        bool enabled;
        char *map_path;
        int lock_fd; /* flock()ed from mask_enable() until the map is freed */
        json_t *map;

        pcre2_code *re_ipv4, *re_ipv6, *re_mac, *re_email, *re_user_ctx, *re_names;
        uint32_t g_prefix, g_domain, g_host, g_user, g_ctxuser;
        pcre2_match_data *md;
        char tmp[128];
};

struct mask *mask_free(struct mask *m)
{
        if (!m)
                return NULL;
        strv_free(m->hostnames);
        strv_free(m->domains);
        strv_free(m->users);
        strv_free(m->keep_users);
        free(m->map_path);
        safe_close(m->lock_fd);
        json_decref(m->map);
        pcre2_code_free(m->re_ipv4);
        pcre2_code_free(m->re_ipv6);
        pcre2_code_free(m->re_mac);
        pcre2_code_free(m->re_email);
        pcre2_code_free(m->re_user_ctx);
        pcre2_code_free(m->re_names);
        pcre2_match_data_free(m->md);
        free(m);
        return NULL;
}

bool mask_enabled(const struct mask *m)
{
        return m && m->enabled;
}

static int strv_union(char ***dst, char **src, bool lower)
{
        STRV_FOREACH(s, src) {
                _cleanup_free_ char *v = xstrdup(*s);
                int r;

                if (!v)
                        return -ENOMEM;
                if (lower)
                        for (char *p = v; *p; p++)
                                if (*p >= 'A' && *p <= 'Z')
                                        *p = (char) (*p + 32);
                if (isempty(v) || strv_contains(*dst, v))
                        continue;
                r = strv_consume(dst, TAKE_PTR(v));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_settings(struct mask *m, const struct pnode *n, char **ret_error)
{
        static const char *const list_keys[] = { "hostnames", "domains", "users", "keep_users" };
        char ***lists[] = { &m->hostnames, &m->domains, &m->users, &m->keep_users };
        int r;

        if (!n)
                return 0;
        r = pnode_check_keys(n, "redaction.mask", mask_keys, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(list_keys); i++) {
                _cleanup_strv_free_ char **l = NULL;

                r = pnode_to_strv(pnode_get(n, list_keys[i]), &l, ret_error);
                if (r < 0)
                        return r;
                r = strv_union(lists[i], l, i < 2);
                if (r < 0)
                        return r;
        }
        r = pnode_to_bool(pnode_get(n, "ipv4"), &m->ipv4, ret_error);
        if (r >= 0)
                r = pnode_to_bool(pnode_get(n, "ipv6"), &m->ipv6, ret_error);
        if (r >= 0)
                r = pnode_to_bool(pnode_get(n, "mac"), &m->mac, ret_error);
        if (r >= 0)
                r = pnode_to_bool(pnode_get(n, "email"), &m->email, ret_error);
        return r;
}

static int compile(const char *re, pcre2_code **ret)
{
        PCRE2_SIZE erroff;
        int errcode;

        *ret = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
        if (!*ret)
                return errcode == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EINVAL;
        (void) pcre2_jit_compile(*ret, PCRE2_JIT_COMPLETE);
        return 0;
}

int mask_new(const struct pnode *builtin, const struct pnode *section, struct mask **ret,
             char **ret_error)
{
        _cleanup_(mask_freep) struct mask *m = xcalloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->ipv4 = m->ipv6 = m->mac = m->email = true;
        m->lock_fd = -1;
        r = load_settings(m, builtin, ret_error);
        if (r >= 0)
                r = load_settings(m, section, ret_error);
        if (r < 0)
                return r;
        m->md = pcre2_match_data_create(16, NULL);
        if (!m->md)
                return -ENOMEM;
        r = compile("(?<![0-9.])((?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\."
                    "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\."
                    "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))\\."
                    "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9]|\\.[0-9])",
                    &m->re_ipv4);
        if (r >= 0)
                r = compile("(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}"
                            "(?![0-9A-Za-z:])",
                            &m->re_ipv6);
        if (r >= 0)
                r = compile("(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}"
                            "(?:\\1[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f:-])",
                            &m->re_mac);
        if (r >= 0)
                r = compile("(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
                            "(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}(?![A-Za-z0-9-])",
                            &m->re_email);
        if (r >= 0)
                r = compile("(?:\\bfor (?:invalid user )?(?=[A-Za-z_][A-Za-z0-9_.-]* from )|"
                            "\\b[Ii]nvalid user |\\bfor user |"
                            "\\b(?:user|ruser|logname|USER|LOGNAME|username|login)=|"
                            "/home/|\\buid=[0-9]+\\()"
                            "(?<u>[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?)(?![A-Za-z0-9_.-])",
                            &m->re_user_ctx);
        if (r < 0)
                return r;
        m->g_ctxuser = (uint32_t) pcre2_substring_number_from_name(m->re_user_ctx,
                                                                   (PCRE2_SPTR) "u");
        *ret = TAKE_PTR(m);
        return 0;
}

int mask_check(const struct pnode *section, char **ret_error)
{
        _cleanup_(mask_freep) struct mask *m = NULL;

        return mask_new(NULL, section, &m, ret_error);
}

/* Appends s to b with regex metacharacters escaped. */
static int add_escaped(struct dynbuf *b, const char *s)
{
        int r = 0;

        for (const char *p = s; *p && r >= 0; p++) {
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_'))
                        r = dynbuf_addc(b, '\\');
                if (r >= 0)
                        r = dynbuf_addc(b, *p);
        }
        return r;
}

static int add_alternation(struct dynbuf *b, char **l)
{
        int r = dynbuf_addc(b, '(');

        STRV_FOREACH(s, l) {
                if (r >= 0 && s != l)
                        r = dynbuf_addc(b, '|');
                if (r >= 0)
                        r = add_escaped(b, *s);
        }
        if (r >= 0)
                r = dynbuf_addc(b, ')');
        return r;
}

/* One regex for the literal names: (prefix.)(domain) | (host) | (user). */
static int build_names(struct mask *m)
{
        _cleanup_dynbuf_ struct dynbuf b;
        int r, alt = 0;

        pcre2_code_free(m->re_names);
        m->re_names = NULL;
        m->g_prefix = m->g_domain = m->g_host = m->g_user = 0;
        if (strv_length(m->domains) + strv_length(m->hostnames) + strv_length(m->users) == 0)
                return 0;
        dynbuf_init(&b, 1024 * 1024);
        r = dynbuf_addstr(&b, "(?i)(?<![A-Za-z0-9_-])(?:");
        if (r >= 0 && m->domains && m->domains[0]) {
                r = dynbuf_addstr(&b, "((?:[A-Za-z0-9-]+\\.)*)");
                if (r >= 0)
                        r = add_alternation(&b, m->domains);
                m->g_prefix = 1;
                m->g_domain = 2;
                alt = 2;
        }
        if (r >= 0 && m->hostnames && m->hostnames[0]) {
                if (alt)
                        r = dynbuf_addc(&b, '|');
                if (r >= 0)
                        r = add_alternation(&b, m->hostnames);
                m->g_host = (uint32_t) ++alt;
        }
        if (r >= 0 && m->users && m->users[0]) {
                if (alt)
                        r = dynbuf_addc(&b, '|');
                if (r >= 0)
                        r = add_alternation(&b, m->users);
                m->g_user = (uint32_t) ++alt;
        }
        if (r >= 0)
                r = dynbuf_addstr(&b, ")(?![A-Za-z0-9_-])(?!\\.[A-Za-z0-9])");
        if (r < 0)
                return r == -E2BIG ? -EINVAL : r;
        return compile(b.buf, &m->re_names);
}

int mask_add_users(struct mask *m, char *const *users)
{
        int r = strv_union(&m->users, (char **) users, false);

        if (r < 0)
                return r;
        /* system accounts stay */
        STRV_FOREACH(k, m->keep_users)
                for (size_t i = 0; m->users && m->users[i]; i++)
                        if (streq(m->users[i], *k)) {
                                free(m->users[i]);
                                memmove(m->users + i, m->users + i + 1,
                                        (strv_length(m->users + i + 1) + 1) * sizeof(char *));
                                i--;
                        }
        return m->enabled ? build_names(m) : 0;
}

static const char *const kinds[] = {
        "host", "domain", "ipv4net", "ipv4", "ipv6net", "ipv6iid", "ipv6", "mac", "user", "email",
};

/*
 * Takes the map's lock ("<map>.lock", exclusive, held until the mask is freed)
 * and loads the map: a concurrent --mask run waits, so that the pseudonyms it
 * hands out continue the map this run saves, and no two values share one.
 */
static int map_lock_and_load(struct mask *m, const char *map_path)
{
        _cleanup_free_ char *lock = xasprintf("%s.lock", map_path);
        _cleanup_(json_decrefp) json_t *map = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (!lock)
                return -ENOMEM;
        if (m->lock_fd < 0) {
                char *slash = strrchr(lock, '/');

                if (slash && slash != lock) {
                        int r;

                        *slash = 0;
                        r = mkdir_p(lock, 0700);
                        *slash = '/';
                        if (r < 0)
                                return r;
                }
                m->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (m->lock_fd < 0)
                        return -errno;
                while (flock(m->lock_fd, LOCK_EX) < 0)
                        if (errno != EINTR)
                                return -errno;
        }
        fd = open(map_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((st.st_mode & 077) && fchmod(fd, 0600) < 0)
                return -errno;
        /* An unreadable map starts afresh rather than failing the run. */
        map = json_loadfd(fd, 0, NULL);
        if (json_is_object(map))
                m->map = TAKE_PTR(map);
        return 0;
}

/* Adds the host's own names: "web01.corp.example.com" masks web01 and corp.example.com. */
static int add_hostnames(struct mask *m, char *const *hostnames)
{
        int r;

        STRV_FOREACH(h, (char **) hostnames) {
                _cleanup_free_ char *v = xstrdup(*h);
                char *dot;

                if (!v)
                        return -ENOMEM;
                for (char *p = v; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p + 32);
                if (isempty(v) || strneq(v, "localhost", 9))
                        continue;
                dot = strchr(v, '.');
                if (dot) {
                        *dot = 0;
                        if (dot[1] && strchr(dot + 1, '.') && !strv_contains(m->domains, dot + 1)) {
                                r = strv_extend(&m->domains, dot + 1);
                                if (r < 0)
                                        return r;
                        }
                }
                if (!isempty(v) && !strv_contains(m->hostnames, v)) {
                        r = strv_extend(&m->hostnames, v);
                        if (r < 0)
                                return r;
                }
        }
        /* Split the policy's fully qualified host names the same way. */
        for (size_t i = 0; m->hostnames && m->hostnames[i]; i++) {
                char *dot = strchr(m->hostnames[i], '.');

                if (!dot)
                        continue;
                if (strchr(dot + 1, '.') && !strv_contains(m->domains, dot + 1)) {
                        r = strv_extend(&m->domains, dot + 1);
                        if (r < 0)
                                return r;
                }
                *dot = 0;
        }
        return 0;
}

int mask_enable(struct mask *m, const char *map_path, char *const *hostnames)
{
        int r;

        if (!m)
                return -EINVAL;
        json_decref(m->map);
        m->map = NULL;
        if (map_path) {
                r = map_lock_and_load(m, map_path);
                if (r < 0)
                        return r;
                free(m->map_path);
                m->map_path = xstrdup(map_path);
                if (!m->map_path)
                        return -ENOMEM;
        }
        if (!m->map)
                m->map = json_object();
        if (!m->map)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (!json_is_object(json_object_get(m->map, kinds[i])) &&
                    json_object_set_new(m->map, kinds[i], json_object()) < 0)
                        return -ENOMEM;
        r = add_hostnames(m, hostnames);
        if (r < 0)
                return r;
        m->enabled = true;
        return build_names(m);
}

int mask_save(struct mask *m)
{
        _cleanup_free_ char *tmp = NULL;
        int fd, r;

        if (!m || !m->enabled || !m->map_path)
                return 0;
        tmp = xasprintf("%s.tmp", m->map_path);
        if (!tmp)
                return -ENOMEM;
        {
                _cleanup_free_ char *dir = xstrdup(m->map_path);
                char *slash = dir ? strrchr(dir, '/') : NULL;

                if (!dir)
                        return -ENOMEM;
                if (slash && slash != dir) {
                        *slash = 0;
                        r = mkdir_p(dir, 0700);
                        if (r < 0)
                                return r;
                }
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = fchmod(fd, 0600) < 0 ? -errno : 0;
        if (r >= 0 && json_dumpfd(m->map, fd, JSON_INDENT(1) | JSON_SORT_KEYS) < 0)
                r = -EIO;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        safe_close(fd);
        if (r >= 0 && rename(tmp, m->map_path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* The pseudonym of key in kind, "<prefix><index><suffix>" on first sight. */
static const char *pseudonym(struct mask *m, const char *kind, const char *key, const char *prefix,
                             const char *suffix)
{
        json_t *o = json_object_get(m->map, kind), *v;
        char buf[96];

        v = json_object_get(o, key);
        if (v)
                return json_string_value(v);
        snprintf(buf, sizeof(buf), "%s%zu%s", prefix, json_object_size(o), suffix);
        v = json_string(buf);
        if (!v || json_object_set_new(o, key, v) < 0)
                return NULL;
        return json_string_value(v);
}

static const char *pseudonym_str(struct mask *m, const char *kind, const char *key,
                                 const char *value)
{
        json_t *o = json_object_get(m->map, kind), *v;

        v = json_object_get(o, key);
        if (v)
                return json_string_value(v);
        v = json_string(value);
        if (!v || json_object_set_new(o, key, v) < 0)
                return NULL;
        return json_string_value(v);
}

static size_t json_index(struct mask *m, const char *kind, const char *key)
{
        json_t *o = json_object_get(m->map, kind), *v = json_object_get(o, key);

        if (v)
                return (size_t) json_integer_value(v);
        size_t i = json_object_size(o);
        (void) json_object_set_new(o, key, json_integer((json_int_t) i));
        return i;
}

static char *lower_dup(const char *s, size_t n)
{
        char *v = xstrndup(s, n);

        if (v)
                for (char *p = v; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p + 32);
        return v;
}

static int push(struct spanvec *sv, size_t s, size_t e, const char *repl)
{
        if (!repl)
                return -ENOMEM;
        return spanvec_push(sv, &(struct span) { .start = s,
                                                 .end = e,
                                                 .rule = -1,
                                                 .repl = repl,
                                                 .repl_len = strlen(repl) });
}

typedef int (*match_fn)(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv);

static int each_match(struct mask *m, const pcre2_code *re, const char *text, size_t len,
                      struct spanvec *sv, match_fn fn)
{
        size_t off = 0;

        while (off < len) {
                int rc = pcre2_match(re, (PCRE2_SPTR) text, len, off, 0, m->md, NULL);
                PCRE2_SIZE *ov;

                if (rc < 0)
                        break;
                ov = pcre2_get_ovector_pointer(m->md);
                rc = fn(m, text, ov, sv);
                if (rc < 0)
                        return rc;
                off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        return 0;
}

static int on_ipv4(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv)
{
        _cleanup_free_ char *net = xstrndup(text + ov[2], ov[3] - ov[2]);
        _cleanup_free_ char *full = xstrndup(text + ov[0], ov[1] - ov[0]);
        unsigned first;
        const char *p;

        if (!net || !full)
                return -ENOMEM;
        first = 0;
        for (const char *q = net; *q >= '0' && *q <= '9'; q++)
                first = first * 10 + (unsigned) (*q - '0');
        if (first == 0 || first == 127 || first >= 224 || streq(full, "255.255.255.255") ||
            strneq(full, "255.", 4))
                return 0;
        p = json_string_value(json_object_get(json_object_get(m->map, "ipv4"), full));
        if (!p) {
                size_t i = json_index(m, "ipv4net", net);
                char buf[32];

                snprintf(buf, sizeof(buf), "100.%zu.%zu.%.*s", 64 + (i / 256) % 64, i % 256,
                         (int) (ov[5] - ov[4]), text + ov[4]);
                p = pseudonym_str(m, "ipv4", full, buf);
        }
        return push(sv, ov[0], ov[1], p);
}

static int on_ipv6(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv)
{
        _cleanup_free_ char *s = lower_dup(text + ov[0], ov[1] - ov[0]);
        unsigned char a[16], b[16];
        char key[64], out[INET6_ADDRSTRLEN];
        const char *p;

        if (!s)
                return -ENOMEM;
        if (ov[1] - ov[0] < 3 || inet_pton(AF_INET6, s, a) != 1)
                return 0;
        static const unsigned char zero[16];
        if (memcmp(a, zero, 15) == 0 && a[15] <= 1) /* :: and ::1 */
                return 0;
        if (a[0] == 0xff) /* multicast */
                return 0;
        p = json_string_value(json_object_get(json_object_get(m->map, "ipv6"), s));
        if (!p) {
                size_t ni, ii;

                memset(b, 0, sizeof(b));
                if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
                        memcpy(b, a, 8); /* link-local prefix says nothing */
                } else {
                        snprintf(key, sizeof(key), "%02x%02x:%02x%02x:%02x%02x:%02x%02x", a[0],
                                 a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
                        ni = json_index(m, "ipv6net", key);
                        b[0] = 0xfd;
                        b[6] = (unsigned char) (ni >> 8);
                        b[7] = (unsigned char) ni;
                }
                snprintf(key, sizeof(key), "%02x%02x:%02x%02x:%02x%02x:%02x%02x", a[8], a[9], a[10],
                         a[11], a[12], a[13], a[14], a[15]);
                ii = json_index(m, "ipv6iid", key) + 1;
                b[12] = (unsigned char) (ii >> 24);
                b[13] = (unsigned char) (ii >> 16);
                b[14] = (unsigned char) (ii >> 8);
                b[15] = (unsigned char) ii;
                if (!inet_ntop(AF_INET6, b, out, sizeof(out)))
                        return 0;
                p = pseudonym_str(m, "ipv6", s, out);
        }
        return push(sv, ov[0], ov[1], p);
}

static int on_mac(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv)
{
        _cleanup_free_ char *s = lower_dup(text + ov[0], ov[1] - ov[0]);

        if (!s)
                return -ENOMEM;
        for (char *p = s; *p; p++)
                if (*p == '-')
                        *p = ':';
        if (streq(s, "00:00:00:00:00:00") || streq(s, "ff:ff:ff:ff:ff:ff"))
                return 0;
        json_t *o = json_object_get(m->map, "mac");
        const char *p = json_string_value(json_object_get(o, s));
        if (!p) {
                size_t i = json_object_size(o);
                char buf[32];

                snprintf(buf, sizeof(buf), "02:00:00:%02zx:%02zx:%02zx", (i >> 16) & 0xff,
                         (i >> 8) & 0xff, i & 0xff);
                p = pseudonym_str(m, "mac", s, buf);
        }
        return push(sv, ov[0], ov[1], p);
}

static int on_email(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv)
{
        _cleanup_free_ char *s = lower_dup(text + ov[0], ov[1] - ov[0]);

        if (!s)
                return -ENOMEM;
        return push(sv, ov[0], ov[1], pseudonym(m, "email", s, "email", "@example.invalid"));
}

static int on_user_ctx(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv)
{
        size_t s = ov[2 * m->g_ctxuser], e = ov[2 * m->g_ctxuser + 1];
        _cleanup_free_ char *u = NULL;

        if (s == PCRE2_UNSET)
                return 0;
        u = xstrndup(text + s, e - s);
        if (!u)
                return -ENOMEM;
        if (strv_contains(m->keep_users, u) || strneq(u, "systemd-", 8) || streq(u, "unknown"))
                return 0;
        return push(sv, s, e, pseudonym(m, "user", u, "user", ""));
}

static int on_names(struct mask *m, const char *text, PCRE2_SIZE *ov, struct spanvec *sv)
{
        if (m->g_domain && ov[2 * m->g_domain] != PCRE2_UNSET) {
                size_t ps = ov[2 * m->g_prefix], pe = ov[2 * m->g_prefix + 1];
                size_t ds = ov[2 * m->g_domain], de = ov[2 * m->g_domain + 1];
                _cleanup_free_ char *dom = lower_dup(text + ds, de - ds);
                _cleanup_free_ char *full = lower_dup(text + ov[0], ov[1] - ov[0]);
                const char *d, *p;

                if (!dom || !full)
                        return -ENOMEM;
                p = json_string_value(json_object_get(json_object_get(m->map, "host"), full));
                if (p)
                        return push(sv, ov[0], ov[1], p);
                d = pseudonym(m, "domain", dom, "domain", ".example");
                if (!d)
                        return -ENOMEM;
                if (pe > ps) {
                        _cleanup_free_ char *host = lower_dup(text + ps, pe - ps - 1);
                        const char *h;

                        if (!host)
                                return -ENOMEM;
                        h = pseudonym(m, "host", host, "host", "");
                        if (!h)
                                return -ENOMEM;
                        snprintf(m->tmp, sizeof(m->tmp), "%s.%s", h, d);
                        p = pseudonym_str(m, "host", full, m->tmp);
                } else
                        p = d;
                return push(sv, ov[0], ov[1], p);
        }
        if (m->g_host && ov[2 * m->g_host] != PCRE2_UNSET) {
                _cleanup_free_ char *h = lower_dup(text + ov[0], ov[1] - ov[0]);

                if (!h)
                        return -ENOMEM;
                return push(sv, ov[0], ov[1], pseudonym(m, "host", h, "host", ""));
        }
        if (m->g_user && ov[2 * m->g_user] != PCRE2_UNSET) {
                _cleanup_free_ char *u = xstrndup(text + ov[0], ov[1] - ov[0]);

                if (!u)
                        return -ENOMEM;
                return push(sv, ov[0], ov[1], pseudonym(m, "user", u, "user", ""));
        }
        return 0;
}

int mask_collect(struct mask *m, const char *text, size_t len, struct spanvec *sv)
{
        int r = 0;

        if (!m || !m->enabled)
                return 0;
        if (m->re_names)
                r = each_match(m, m->re_names, text, len, sv, on_names);
        if (r >= 0)
                r = each_match(m, m->re_user_ctx, text, len, sv, on_user_ctx);
        if (r >= 0 && m->email && memchr(text, '@', len))
                r = each_match(m, m->re_email, text, len, sv, on_email);
        if (r >= 0 && m->ipv4 && memchr(text, '.', len))
                r = each_match(m, m->re_ipv4, text, len, sv, on_ipv4);
        if (r >= 0 && (m->ipv6 || m->mac) && memchr(text, ':', len)) {
                if (m->ipv6)
                        r = each_match(m, m->re_ipv6, text, len, sv, on_ipv6);
                if (r >= 0 && m->mac)
                        r = each_match(m, m->re_mac, text, len, sv, on_mac);
        } else if (r >= 0 && m->mac && memchr(text, '-', len))
                r = each_match(m, m->re_mac, text, len, sv, on_mac);
        return r;
}
