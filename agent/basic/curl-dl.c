/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded on first use. Linking libcurl pulls in some forty
 * libraries (TLS, LDAP, Kerberos, SSH, HTTP/2, …) whose loading alone costs
 * about 7 MiB of resident memory — half of the agent's budget — on every
 * run, while only the runs that talk to the portal need it. Like systemd's
 * dlopen-ed optional dependencies, each curl_* entry point the agent uses is
 * defined here and forwards to the real one in libcurl.so.4, opened with
 * dlopen() the first time. If libcurl cannot be loaded, the entry points fail
 * the way libcurl itself reports failure (NULL, CURLE_FAILED_INIT).
 */
#define CURL_DISABLE_TYPECHECK 1

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "log.h"
#include "macro.h"

#define LIBCURL_SONAME "libcurl.so.4"

static struct {
        void *handle;
        CURLcode (*global_init)(long);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_perform)(CURL *);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        void (*easy_cleanup)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        char *(*easy_escape)(CURL *, const char *, int);
        void (*free)(void *);
        time_t (*getdate)(const char *, const time_t *);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
        curl_mime *(*mime_init)(CURL *);
        curl_mimepart *(*mime_addpart)(curl_mime *);
        CURLcode (*mime_name)(curl_mimepart *, const char *);
        CURLcode (*mime_filename)(curl_mimepart *, const char *);
        CURLcode (*mime_type)(curl_mimepart *, const char *);
        CURLcode (*mime_data)(curl_mimepart *, const char *, size_t);
        CURLcode (*mime_filedata)(curl_mimepart *, const char *);
        void (*mime_free)(curl_mime *);
        CURLU *(*url)(void);
        void (*url_cleanup)(CURLU *);
        CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
        CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

static void load(void)
{
        void *h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                log_error("cannot load %s (install libcurl4): %s", LIBCURL_SONAME, dlerror());
                return;
        }
#define SYM(field, name)                                                \
        do {                                                            \
                *(void **) &lib.field = dlsym(h, name);                 \
                if (!lib.field) {                                       \
                        log_error("%s lacks %s", LIBCURL_SONAME, name); \
                        dlclose(h);                                     \
                        return;                                         \
                }                                                       \
        } while (0)
        SYM(global_init, "curl_global_init");
        SYM(easy_init, "curl_easy_init");
        SYM(easy_setopt, "curl_easy_setopt");
        SYM(easy_perform, "curl_easy_perform");
        SYM(easy_getinfo, "curl_easy_getinfo");
        SYM(easy_cleanup, "curl_easy_cleanup");
        SYM(easy_strerror, "curl_easy_strerror");
        SYM(easy_escape, "curl_easy_escape");
        SYM(free, "curl_free");
        SYM(getdate, "curl_getdate");
        SYM(slist_append, "curl_slist_append");
        SYM(slist_free_all, "curl_slist_free_all");
        SYM(mime_init, "curl_mime_init");
        SYM(mime_addpart, "curl_mime_addpart");
        SYM(mime_name, "curl_mime_name");
        SYM(mime_filename, "curl_mime_filename");
        SYM(mime_type, "curl_mime_type");
        SYM(mime_data, "curl_mime_data");
        SYM(mime_filedata, "curl_mime_filedata");
        SYM(mime_free, "curl_mime_free");
        SYM(url, "curl_url");
        SYM(url_cleanup, "curl_url_cleanup");
        SYM(url_set, "curl_url_set");
        SYM(url_get, "curl_url_get");
#undef SYM
        lib.handle = h;
        loaded = true;
}

static bool ready(void)
{
        (void) pthread_once(&once, load);
        return loaded;
}

CURLcode curl_global_init(long flags)
{
        return ready() ? lib.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
        return ready() ? lib.easy_init() : NULL;
}

/* Every option value is one machine word on LP64 (long, pointer, function
 * pointer or curl_off_t), so it is forwarded as such. */
CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...)
{
        va_list ap;
        void *arg;

        if (!ready())
                return CURLE_FAILED_INIT;
        va_start(ap, option);
        arg = va_arg(ap, void *);
        va_end(ap);
        return lib.easy_setopt(c, option, arg);
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
        va_list ap;
        void *arg;

        if (!ready())
                return CURLE_FAILED_INIT;
        va_start(ap, info);
        arg = va_arg(ap, void *);
        va_end(ap);
        return lib.easy_getinfo(c, info, arg);
}

CURLcode curl_easy_perform(CURL *c)
{
        return ready() ? lib.easy_perform(c) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *c)
{
        if (c && ready())
                lib.easy_cleanup(c);
}

const char *curl_easy_strerror(CURLcode code)
{
        return ready() ? lib.easy_strerror(code) : "libcurl is not available";
}

char *curl_easy_escape(CURL *c, const char *s, int len)
{
        return ready() ? lib.easy_escape(c, s, len) : NULL;
}

void curl_free(void *p)
{
        if (p && ready())
                lib.free(p);
}

time_t curl_getdate(const char *s, const time_t *unused)
{
        return ready() ? lib.getdate(s, unused) : -1;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
        return ready() ? lib.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
        if (l && ready())
                lib.slist_free_all(l);
}

curl_mime *curl_mime_init(CURL *c)
{
        return ready() ? lib.mime_init(c) : NULL;
}

curl_mimepart *curl_mime_addpart(curl_mime *m)
{
        return ready() ? lib.mime_addpart(m) : NULL;
}

CURLcode curl_mime_name(curl_mimepart *p, const char *name)
{
        return ready() ? lib.mime_name(p, name) : CURLE_FAILED_INIT;
}

CURLcode curl_mime_filename(curl_mimepart *p, const char *name)
{
        return ready() ? lib.mime_filename(p, name) : CURLE_FAILED_INIT;
}

CURLcode curl_mime_type(curl_mimepart *p, const char *type)
{
        return ready() ? lib.mime_type(p, type) : CURLE_FAILED_INIT;
}

CURLcode curl_mime_data(curl_mimepart *p, const char *data, size_t size)
{
        return ready() ? lib.mime_data(p, data, size) : CURLE_FAILED_INIT;
}

CURLcode curl_mime_filedata(curl_mimepart *p, const char *path)
{
        return ready() ? lib.mime_filedata(p, path) : CURLE_FAILED_INIT;
}

void curl_mime_free(curl_mime *m)
{
        if (m && ready())
                lib.mime_free(m);
}

CURLU *curl_url(void)
{
        return ready() ? lib.url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
        if (u && ready())
                lib.url_cleanup(u);
}

CURLUcode curl_url_set(CURLU *u, CURLUPart part, const char *content, unsigned int flags)
{
        return ready() ? lib.url_set(u, part, content, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_get(CURLU *u, CURLUPart part, char **ret, unsigned int flags)
{
        return ready() ? lib.url_get(u, part, ret, flags) : CURLUE_OUT_OF_MEMORY;
}
