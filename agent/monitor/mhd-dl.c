/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd, loaded on first use, for the same reason as libcurl
 * (agent/ticket/curl-dl.c): linking it pulls in GnuTLS and costs about 2.5 MiB of
 * resident memory on every run, while only `collect watch --listen` serves
 * HTTP. The few entry points the listener uses forward to the real ones in
 * libmicrohttpd.so.12; MHD_start_daemon's options travel as a va_list through
 * MHD_start_daemon_va.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "log.h"

#define LIBMHD_SONAME "libmicrohttpd.so.12"

static struct {
        struct MHD_Daemon *(*start_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                       MHD_AccessHandlerCallback, void *, va_list);
        void (*stop)(struct MHD_Daemon *);
        struct MHD_Response *(*from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
        enum MHD_Result (*add_header)(struct MHD_Response *, const char *, const char *);
        enum MHD_Result (*queue)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
        void (*destroy)(struct MHD_Response *);
        const char *(*lookup)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

static void load(void)
{
        void *h = dlopen(LIBMHD_SONAME, RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                log_error("cannot load %s (install libmicrohttpd12): %s", LIBMHD_SONAME, dlerror());
                return;
        }
#define SYM(field, name)                                               \
        do {                                                           \
                *(void **) &lib.field = dlsym(h, name);                \
                if (!lib.field) {                                      \
                        log_error("%s lacks %s", LIBMHD_SONAME, name); \
                        dlclose(h);                                    \
                        return;                                        \
                }                                                      \
        } while (0)
        SYM(start_va, "MHD_start_daemon_va");
        SYM(stop, "MHD_stop_daemon");
        SYM(from_buffer, "MHD_create_response_from_buffer");
        SYM(add_header, "MHD_add_response_header");
        SYM(queue, "MHD_queue_response");
        SYM(destroy, "MHD_destroy_response");
        SYM(lookup, "MHD_lookup_connection_value");
#undef SYM
        loaded = true;
}

static bool ready(void)
{
        (void) pthread_once(&once, load);
        return loaded;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
        struct MHD_Daemon *d;
        va_list ap;

        if (!ready())
                return NULL;
        va_start(ap, dh_cls);
        d = lib.start_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
        va_end(ap);
        return d;
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
        if (d && ready())
                lib.stop(d);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
        return ready() ? lib.from_buffer(size, buffer, mode) : NULL;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header,
                                        const char *content)
{
        return ready() ? lib.add_header(r, header, content) : MHD_NO;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status,
                                   struct MHD_Response *r)
{
        return ready() ? lib.queue(c, status, r) : MHD_NO;
}

void MHD_destroy_response(struct MHD_Response *r)
{
        if (r && ready())
                lib.destroy(r);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                        const char *key)
{
        return ready() ? lib.lookup(c, kind, key) : NULL;
}
