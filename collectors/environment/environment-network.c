/* SPDX-License-Identifier: MIT */
/*
 * Network summary in environment/network.txt: every interface from
 * /proc/net/dev (or /sys/class/net) with its state, MTU, MAC address and
 * counters; the addresses (getifaddrs(3) on the live host, otherwise the
 * root's /proc/net/fib_trie and /proc/net/if_inet6); and the default route
 * from /proc/net/route.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc-util.h"
#include "environment.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"
#include "sink.h"
#include "strv.h"

#define NET_FILE_MAX (1024u * 1024u)
#define NET_OUT_MAX (1024u * 1024u)
#define MAX_INTERFACES 1024u

struct iface {
        char *name;
        uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
        uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
        bool have_counters;
};

static bool ifname_valid(const char *n)
{
        size_t len = strlen(n);

        return len > 0 && len < IFNAMSIZ * 4 && !strchr(n, '/') && !streq(n, ".") &&
               !streq(n, "..");
}

/* Parses exactly the hex digits of s (no prefix, no sign). 0 or -EINVAL. */
static int parse_hex(const char *s, uint64_t *ret)
{
        uint64_t v = 0;

        if (!*s || strlen(s) > 16)
                return -EINVAL;
        for (; *s; s++) {
                int d;

                if (*s >= '0' && *s <= '9')
                        d = *s - '0';
                else if (*s >= 'a' && *s <= 'f')
                        d = *s - 'a' + 10;
                else if (*s >= 'A' && *s <= 'F')
                        d = *s - 'A' + 10;
                else
                        return -EINVAL;
                v = v << 4 | (uint64_t) d;
        }
        *ret = v;
        return 0;
}

/* Splits s at whitespace into at most n fields; returns how many were found. */
static size_t split_fields(char *s, char **f, size_t n)
{
        size_t i = 0;

        while (i < n) {
                s += strspn(s, " \t");
                if (!*s)
                        break;
                f[i++] = s;
                s += strcspn(s, " \t");
                if (*s)
                        *s++ = 0;
        }
        return i;
}

static int parse_net_dev(struct collect_ctx *ctx, struct sink *s, struct iface **ret, size_t *ret_n)
{
        _cleanup_free_ char *text = NULL;
        struct iface *list = NULL;
        size_t n = 0;
        char *p, *line;
        int r;

        r = environment_read(ctx, s, "proc/net/dev", NET_FILE_MAX, false, &text, NULL);
        if (r < 0)
                return r;
        for (p = text; p && n < MAX_INTERFACES; p = line) {
                char *colon, *f[16];
                struct iface *e;
                uint64_t v[16] = {};
                size_t k;

                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                colon = strchr(p, ':');
                if (!colon || strchr(p, '|'))
                        continue; /* the two header lines */
                *colon = 0;
                p = environment_strip(p);
                if (!ifname_valid(p))
                        continue;
                k = split_fields(colon + 1, f, ELEMENTSOF(f));
                for (size_t i = 0; i < k; i++)
                        (void) safe_atou64(f[i], &v[i]);
                e = xrealloc(list, (n + 1) * sizeof(*list));
                if (!e)
                        goto oom;
                list = e;
                e = &list[n];
                *e = (struct iface) {
                        .name = xstrdup(p),
                        .rx_bytes = v[0],
                        .rx_packets = v[1],
                        .rx_errs = v[2],
                        .rx_drop = v[3],
                        .tx_bytes = v[8],
                        .tx_packets = v[9],
                        .tx_errs = v[10],
                        .tx_drop = v[11],
                        .have_counters = k >= 12,
                };
                n++;
                if (!e->name)
                        goto oom;
        }
        *ret = list;
        *ret_n = n;
        return 0;
oom:
        for (size_t i = 0; i < n; i++)
                free(list[i].name);
        free(list);
        return -ENOMEM;
}

/* Without /proc/net/dev: the names in /sys/class/net. */
static int list_sys_class_net(struct collect_ctx *ctx, struct iface **ret, size_t *ret_n)
{
        _cleanup_close_ int fd = -1;
        struct iface *list = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        fd = open_beneath(ctx_root_fd(ctx), "sys/class/net",
                          O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while (n < MAX_INTERFACES && (de = readdir(d))) {
                struct iface *e;

                if (de->d_name[0] == '.' || !ifname_valid(de->d_name))
                        continue;
                e = xrealloc(list, (n + 1) * sizeof(*list));
                if (!e)
                        break;
                list = e;
                list[n] = (struct iface) { .name = xstrdup(de->d_name) };
                if (!list[n].name)
                        break;
                n++;
        }
        closedir(d);
        *ret = list;
        *ret_n = n;
        return 0;
}

static char *sys_attr(struct collect_ctx *ctx, struct sink *s, const char *ifname, const char *attr)
{
        _cleanup_free_ char *path = xasprintf("sys/class/net/%s/%s", ifname, attr);
        char *text = NULL;

        if (!path || environment_read(ctx, s, path, 4096, true, &text, NULL) < 0)
                return NULL;
        environment_strip(text);
        return text;
}

static void write_interfaces(struct collect_ctx *ctx, struct sink *s, struct dynbuf *out,
                             const struct iface *list, size_t n)
{
        (void) dynbuf_addf(out, "%-16s %-10s %6s %-18s %14s %14s %10s %10s %10s %10s\n",
                           "interface", "state", "mtu", "mac", "rx_bytes", "tx_bytes", "rx_errs",
                           "tx_errs", "rx_drop", "tx_drop");
        for (size_t i = 0; i < n; i++) {
                const struct iface *e = &list[i];
                _cleanup_free_ char *state = sys_attr(ctx, s, e->name, "operstate");
                _cleanup_free_ char *mtu = sys_attr(ctx, s, e->name, "mtu");
                _cleanup_free_ char *mac = sys_attr(ctx, s, e->name, "address");

                (void) dynbuf_addf(out, "%-16s %-10s %6s %-18s", e->name,
                                   isempty(state) ? "-" : state, isempty(mtu) ? "-" : mtu,
                                   isempty(mac) ? "-" : mac);
                if (e->have_counters)
                        (void) dynbuf_addf(out,
                                           " %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64
                                           " %10" PRIu64 " %10" PRIu64 "\n",
                                           e->rx_bytes, e->tx_bytes, e->rx_errs, e->tx_errs,
                                           e->rx_drop, e->tx_drop);
                else
                        (void) dynbuf_addstr(out, "\n");
        }
}

static unsigned prefix_len(const struct sockaddr *mask)
{
        const unsigned char *b;
        size_t len;
        unsigned bits = 0;

        if (!mask)
                return 0;
        if (mask->sa_family == AF_INET) {
                b = (const unsigned char *) &((const struct sockaddr_in *) mask)->sin_addr;
                len = 4;
        } else if (mask->sa_family == AF_INET6) {
                b = (const unsigned char *) &((const struct sockaddr_in6 *) mask)->sin6_addr;
                len = 16;
        } else {
                return 0;
        }
        for (size_t i = 0; i < len; i++)
                bits += (unsigned) __builtin_popcount(b[i]);
        return bits;
}

static int addresses_live(struct sink *s, struct dynbuf *out)
{
        struct ifaddrs *ifa = NULL;

        if (getifaddrs(&ifa) < 0) {
                sink_note(s, "getifaddrs: %s", strerror(errno));
                return -errno;
        }
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                char addr[INET6_ADDRSTRLEN];
                const void *a;
                int fam;

                if (!i->ifa_addr)
                        continue;
                fam = i->ifa_addr->sa_family;
                if (fam == AF_INET)
                        a = &((const struct sockaddr_in *) i->ifa_addr)->sin_addr;
                else if (fam == AF_INET6)
                        a = &((const struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
                else
                        continue;
                if (!inet_ntop(fam, a, addr, sizeof(addr)))
                        continue;
                (void) dynbuf_addf(out, "%-16s %-5s %s/%u\n", i->ifa_name,
                                   fam == AF_INET ? "inet" : "inet6", addr,
                                   prefix_len(i->ifa_netmask));
        }
        freeifaddrs(ifa);
        return 0;
}

/* The local IPv4 addresses of an offline root: "/32 host LOCAL" leaves of the fib trie. */
static int addresses_fib_trie(struct collect_ctx *ctx, struct sink *s, struct dynbuf *out)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **seen = NULL;
        char last[64] = "";
        char *p, *line;
        int r;

        r = environment_read(ctx, s, "proc/net/fib_trie", NET_FILE_MAX, true, &text, NULL);
        if (r < 0)
                return r;
        for (p = text; p; p = line) {
                char *t;

                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                t = strstr(p, "|-- ");
                if (t) {
                        snprintf(last, sizeof(last), "%s", environment_strip(t + 4));
                        continue;
                }
                if (!strstr(p, "/32 host LOCAL") || !last[0] || strv_contains(seen, last))
                        continue;
                r = strv_extend(&seen, last);
                if (r < 0)
                        return r;
                (void) dynbuf_addf(out, "%-16s %-5s %s/32\n", "-", "inet", last);
        }
        return 0;
}

/* /proc/net/if_inet6: "address ifindex prefixlen scope flags name", address in 32 hex digits. */
static int addresses_if_inet6(struct collect_ctx *ctx, struct sink *s, struct dynbuf *out)
{
        _cleanup_free_ char *text = NULL;
        char *p, *line;
        int r;

        r = environment_read(ctx, s, "proc/net/if_inet6", NET_FILE_MAX, true, &text, NULL);
        if (r < 0)
                return r;
        for (p = text; p; p = line) {
                char *f[6], addr[INET6_ADDRSTRLEN];
                unsigned char bin[16];
                uint64_t plen = 0;

                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                if (split_fields(p, f, ELEMENTSOF(f)) < 6 || strlen(f[0]) != 32)
                        continue;
                for (size_t i = 0; i < 16; i++) {
                        char hex[3] = { f[0][2 * i], f[0][2 * i + 1], 0 };
                        uint64_t b;

                        if (parse_hex(hex, &b) < 0)
                                goto next;
                        bin[i] = (unsigned char) b;
                }
                if (parse_hex(f[2], &plen) < 0 || plen > 128)
                        continue;
                if (!inet_ntop(AF_INET6, bin, addr, sizeof(addr)))
                        continue;
                (void) dynbuf_addf(out, "%-16s %-5s %s/%" PRIu64 "\n", f[5], "inet6", addr, plen);
next:;
        }
        return 0;
}

/* The IPv4 default route(s) from /proc/net/route. */
static int default_route(struct collect_ctx *ctx, struct sink *s, struct dynbuf *out)
{
        _cleanup_free_ char *text = NULL;
        bool any = false;
        char *p, *line;
        int r;

        r = environment_read(ctx, s, "proc/net/route", NET_FILE_MAX, true, &text, NULL);
        if (r < 0)
                return r;
        for (p = text; p; p = line) {
                char *f[8], addr[INET_ADDRSTRLEN];
                struct in_addr gw;
                uint64_t v;

                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                if (split_fields(p, f, ELEMENTSOF(f)) < 8 || !streq(f[1], "00000000") ||
                    !streq(f[7], "00000000") || strlen(f[2]) != 8)
                        continue;
                if (parse_hex(f[2], &v) < 0)
                        continue;
                /* The kernel prints the network-order address as a native integer, so
                 * parsing it back into a native integer restores the bytes (same-endian
                 * root assumed). */
                gw.s_addr = (uint32_t) v;
                if (!inet_ntop(AF_INET, &gw, addr, sizeof(addr)))
                        continue;
                (void) dynbuf_addf(out, "default via %s dev %s\n", addr, f[0]);
                any = true;
        }
        if (!any)
                (void) dynbuf_addstr(out, "no IPv4 default route\n");
        return 0;
}

int environment_network(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_dynbuf_ struct dynbuf out = {};
        struct iface *list = NULL;
        size_t n = 0;
        bool any = false;
        int r;

        dynbuf_init(&out, NET_OUT_MAX);
        r = parse_net_dev(ctx, s, &list, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                (void) list_sys_class_net(ctx, &list, &n);
        if (n > 0) {
                (void) dynbuf_addstr(&out, "# interfaces\n");
                write_interfaces(ctx, s, &out, list, n);
                any = true;
        }
        for (size_t i = 0; i < n; i++)
                free(list[i].name);
        free(list);

        (void) dynbuf_addstr(&out, "\n# addresses\n");
        if (ctx_is_live(ctx)) {
                if (addresses_live(s, &out) >= 0)
                        any = true;
        } else {
                if (addresses_fib_trie(ctx, s, &out) >= 0)
                        any = true;
                if (addresses_if_inet6(ctx, s, &out) >= 0)
                        any = true;
        }
        (void) dynbuf_addstr(&out, "\n# routes\n");
        if (default_route(ctx, s, &out) >= 0)
                any = true;

        if (!any) {
                sink_note(s, "no network information: no /proc/net/dev, /sys/class/net or routes");
                return -ENOENT;
        }
        return environment_add(st, s, "environment/network.txt", &out);
}
