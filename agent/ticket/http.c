/* SPDX-License-Identifier: MIT */
/*
 * libcurl wrapper (see http.h). One easy handle per request keeps the state
 * simple; the handful of calls per run does not need connection reuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "testhook.h"
#include "basic/url-util.h"
#include "policy/site-config.h"
#include "strv.h"
#include "ticket/http.h"
#include "log.h"
#include "parse-util.h"

#define HTTP_CONNECT_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)
#define HTTP_TOTAL_TIMEOUT_DEFAULT (300 * USEC_PER_SEC)

struct http_client {
        char *base_url;
        char *ca_file;
        char *auth;
        bool experimental;
        bool secret_url; /* the URL is the credential: no request trace */
        usec_t connect_timeout;
        usec_t total_timeout;
        char curl_error[CURL_ERROR_SIZE];
        char error[CURL_ERROR_SIZE + 256];
};

struct body_sink {
        struct http_response *resp;
        size_t alloc;
        bool too_big;
};

/* The site's outbound trust (http_set_outbound()). */
static struct {
        char *ca_file;
        char *proxy;
        char *no_proxy; /* comma-separated, as libcurl takes it */
} outbound;

int http_set_outbound(const char *ca_file, const char *proxy, char *const *no_proxy)
{
        /* a CA file that cannot be read is a configuration error, found before any work */
        if (ca_file && access(ca_file, R_OK) < 0)
                return -errno;
        free(outbound.ca_file);
        free(outbound.proxy);
        free(outbound.no_proxy);
        outbound.ca_file = ca_file ? xstrdup(ca_file) : NULL;
        outbound.proxy = proxy ? xstrdup(proxy) : NULL;
        outbound.no_proxy = no_proxy ? strv_join((char **) no_proxy, ",") : NULL;
        if ((ca_file && !outbound.ca_file) || (proxy && !outbound.proxy) ||
            (no_proxy && !outbound.no_proxy))
                return -ENOMEM;
        return 0;
}

static void curl_global(void)
{
        static bool done;

        if (!done) {
                curl_global_init(CURL_GLOBAL_DEFAULT);
                done = true;
        }
}

int http_client_new(const char *base_url, const char *ca_file, struct http_client **ret)
{
        struct http_client *h;

        if (!base_url || !url_is_allowed(base_url))
                return -EPROTONOSUPPORT;
        curl_global();
        h = xcalloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->base_url = xstrdup(base_url);
        if (!ca_file)
                ca_file = outbound.ca_file;
        h->ca_file = ca_file ? xstrdup(ca_file) : NULL;
        if (!h->base_url || (ca_file && !h->ca_file)) {
                http_client_free(h);
                return -ENOMEM;
        }
        for (size_t l = strlen(h->base_url); l > 0 && h->base_url[l - 1] == '/'; l--)
                h->base_url[l - 1] = 0;
        h->connect_timeout = HTTP_CONNECT_TIMEOUT_DEFAULT;
        h->total_timeout = HTTP_TOTAL_TIMEOUT_DEFAULT;
#ifdef COLLECT_TESTING
        {
                const char *e = testhook_getenv("COLLECT_TEST_HTTP_TIMEOUT_MS");
                uint64_t v;

                if (e && safe_atou64(e, &v) >= 0 && v > 0)
                        h->total_timeout = h->connect_timeout = v * USEC_PER_MSEC;
        }
#endif
        *ret = h;
        return 0;
}

struct http_client *http_client_free(struct http_client *h)
{
        if (!h)
                return NULL;
        free(h->base_url);
        free(h->ca_file);
        if (h->auth) {
                explicit_bzero(h->auth, strlen(h->auth));
                free(h->auth);
        }
        free(h);
        return NULL;
}

int http_client_set_auth(struct http_client *h, const char *header_line)
{
        char *a = NULL;

        if (header_line) {
                a = xstrdup(header_line);
                if (!a)
                        return -ENOMEM;
        }
        if (h->auth) {
                explicit_bzero(h->auth, strlen(h->auth));
                free(h->auth);
        }
        h->auth = a;
        return 0;
}

void http_client_set_secret_url(struct http_client *h)
{
        h->secret_url = true;
}

void http_client_set_experimental(struct http_client *h, bool b)
{
        h->experimental = b;
}

void http_client_set_timeouts(struct http_client *h, usec_t connect, usec_t total)
{
        if (connect > 0)
                h->connect_timeout = connect;
        if (total > 0)
                h->total_timeout = total;
}

const char *http_client_base_url(const struct http_client *h)
{
        return h->base_url;
}

const char *http_client_error(const struct http_client *h)
{
        return h->error;
}

void http_response_done(struct http_response *r)
{
        if (!r)
                return;
        free(r->body);
        free(r->content_type);
        free(r->retry_after);
        free(r->ratelimit_reset);
        free(r->request_id);
        free(r->account_id);
        *r = (struct http_response) {};
}

int http_curl_code_to_errno(int code)
{
        switch ((CURLcode) code) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return -ECONNRESET;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                return -EPROTO;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                return -EPROTONOSUPPORT;
        case CURLE_TOO_MANY_REDIRECTS:
                return -ELOOP;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_FILESIZE_EXCEEDED:
                return -EFBIG;
        case CURLE_ABORTED_BY_CALLBACK:
                return -EINTR;
        case CURLE_READ_ERROR:
        case CURLE_FILE_COULDNT_READ_FILE:
                return -ENOENT;
        default:
                return -EIO;
        }
}

bool http_error_is_transient(int r)
{
        switch (r) {
        case -ETIMEDOUT:
        case -ECONNREFUSED:
        case -ECONNRESET:
        case -EHOSTUNREACH:
        case -ENETUNREACH:
        case -EIO:
                return true;
        default:
                return false;
        }
}

static char *header_value(const char *line, size_t len, const char *name)
{
        size_t n = strlen(name);
        const char *v, *e;

        if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return NULL;
        v = line + n + 1;
        e = line + len;
        while (v < e && (*v == ' ' || *v == '\t'))
                v++;
        while (e > v && strchr(" \t\r\n", e[-1]))
                e--;
        return xstrndup(v, (size_t) (e - v));
}

static void set_header(char **field, char *v)
{
        if (!v)
                return;
        free(*field);
        *field = v;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
        struct http_response *r = userdata;
        size_t len = size * nitems;

        /* a new status line (after a redirect or 100-continue) resets what we kept */
        if (len >= 5 && strneq(buf, "HTTP/", 5)) {
                r->content_type = mfree(r->content_type);
                r->retry_after = mfree(r->retry_after);
                r->ratelimit_reset = mfree(r->ratelimit_reset);
                return len;
        }
        set_header(&r->content_type, header_value(buf, len, "Content-Type"));
        set_header(&r->retry_after, header_value(buf, len, "Retry-After"));
        set_header(&r->ratelimit_reset, header_value(buf, len, "X-RateLimit-Reset"));
        set_header(&r->request_id, header_value(buf, len, "X-AREQUESTID"));
        set_header(&r->account_id, header_value(buf, len, "X-AAccountId"));
        return len;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct body_sink *b = userdata;
        struct http_response *r = b->resp;
        size_t len = size * nmemb;

        if (r->body_len + len > HTTP_BODY_MAX) {
                b->too_big = true;
                return 0;
        }
        if (r->body_len + len + 1 > b->alloc) {
                size_t a = MAX(b->alloc * 2, r->body_len + len + 1);
                char *p = xrealloc(r->body, MAX(a, (size_t) 4096));

                if (!p)
                        return 0;
                r->body = p;
                b->alloc = MAX(a, (size_t) 4096);
        }
        memcpy(r->body + r->body_len, ptr, len);
        r->body_len += len;
        r->body[r->body_len] = 0;
        return len;
}

/* Debug trace: headers and connection info only, Authorization masked, no bodies. */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *userptr)
{
        (void) c;
        (void) userptr;
        if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN)
                return 0;
        for (const char *p = data, *end = data + size; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

                while (n > 0 && p[n - 1] == '\r')
                        n--;
                if (n > 0) {
                        const char *dir = type == CURLINFO_HEADER_OUT ? "> " :
                                          type == CURLINFO_HEADER_IN  ? "< " :
                                                                        "* ";

                        if (n >= 14 && strncasecmp(p, "Authorization:", 14) == 0)
                                log_debug("http: %sAuthorization: ***", dir);
                        else
                                log_debug("http: %s%.*s", dir, (int) MIN(n, (size_t) 300), p);
                }
                p += (nl ? (size_t) (nl - p) + 1 : n);
                if (!nl)
                        break;
        }
        return 0;
}

/* Called by libcurl at least once a second while a transfer runs, and after
 * each wake-up (a signal interrupts its poll): nonzero aborts the transfer. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        (void) userp;
        (void) dltotal;
        (void) dlnow;
        (void) ultotal;
        (void) ulnow;
        return interrupt_pending() ? 1 : 0;
}

static bool url_is_plain_http(const char *url)
{
        return strncasecmp(url, "http://", 7) == 0;
}

static void curl_slist_free_allp(struct curl_slist **l)
{
        curl_slist_free_all(*l);
}

static void curl_mime_freep(curl_mime **m)
{
        curl_mime_free(*m);
}

static void curl_easy_cleanupp(CURL **c)
{
        curl_easy_cleanup(*c);
}

static int add_header(struct curl_slist **l, const char *h)
{
        struct curl_slist *n = curl_slist_append(*l, h);

        if (!n)
                return -ENOMEM;
        *l = n;
        return 0;
}

static int build_mime(CURL *c, const struct http_request *req, curl_mime **ret)
{
        _cleanup_(curl_mime_freep) curl_mime *mime = curl_mime_init(c);

        if (!mime)
                return -ENOMEM;
        for (size_t i = 0; i < req->n_files; i++) {
                const struct http_file *f = &req->files[i];
                curl_mimepart *part = curl_mime_addpart(mime);
                CURLcode cc;

                if (!part)
                        return -ENOMEM;
                curl_mime_name(part, "file");
                if (f->path) {
                        struct stat st;

                        if (stat(f->path, &st) < 0)
                                return -errno;
                        cc = curl_mime_filedata(part, f->path);
                } else
                        cc = curl_mime_data(part, f->data ? f->data : "", f->size);
                if (cc != CURLE_OK)
                        return http_curl_code_to_errno(cc);
                curl_mime_filename(part, f->name);
                curl_mime_type(part,
                               f->content_type ? f->content_type : "application/octet-stream");
        }
        *ret = TAKE_PTR(mime);
        return 0;
}

/* Where the request may go and how: https only (plain http to loopback),
 * verified TLS, bounded redirects and time; never ~/.netrc. */
static void set_transport(struct http_client *h, CURL *c, const char *url)
{
        curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms; 7.76 (RHEL 8/9) has the masks */
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, url_is_plain_http(url) ? "http" : "https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
        curl_easy_setopt(c, CURLOPT_PROTOCOLS,
                         (long) (url_is_plain_http(url) ? CURLPROTO_HTTP : CURLPROTO_HTTPS));
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long) CURLPROTO_HTTPS);
#endif
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        /* TLS to a proxy (an https:// proxy URL) is verified like the rest */
        curl_easy_setopt(c, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
        if (h->ca_file) {
                /* the site's CAs replace the system's, whatever CA directory
                 * libcurl was built with */
                curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
                curl_easy_setopt(c, CURLOPT_CAPATH, (char *) NULL);
                curl_easy_setopt(c, CURLOPT_PROXY_CAINFO, h->ca_file);
                curl_easy_setopt(c, CURLOPT_PROXY_CAPATH, (char *) NULL);
        }
        if (outbound.proxy) {
                /* the configuration decides alone: the environment's https_proxy,
                 * all_proxy and no_proxy are ignored */
                curl_easy_setopt(c, CURLOPT_PROXY, outbound.proxy);
                curl_easy_setopt(c, CURLOPT_NOPROXY, outbound.no_proxy ?: "");
        } else if (outbound.no_proxy)
                /* libcurl's https_proxy from the environment, these hosts excepted */
                curl_easy_setopt(c, CURLOPT_NOPROXY, outbound.no_proxy);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) (h->connect_timeout / USEC_PER_MSEC));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) (h->total_timeout / USEC_PER_MSEC));
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_error);
        /* a stop signal (SIGTERM, SIGINT, SIGHUP) ends a transfer at once */
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_NETRC, (long) CURL_NETRC_IGNORED);
        if (log_get_max_level() >= LOG_DEBUG && !h->secret_url) {
                curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
                curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
        }
}

/* Methods other than GET and POST, and a POST without a body. */
static void set_method(CURL *c, const struct http_request *req)
{
        if (req->method && !streq(req->method, "GET") && !streq(req->method, "POST"))
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        else if (req->method && streq(req->method, "POST") && !req->json && req->n_files == 0) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
        }
}

/* A failed transfer: -errno, and h->error says what failed in words, with
 * what to do about an untrusted certificate. */
static int transfer_error(struct http_client *h, CURLcode cc)
{
        const char *what = h->curl_error[0] ? h->curl_error : curl_easy_strerror(cc);
        int r = http_curl_code_to_errno(cc);

        if (r == -EINTR)
                snprintf(h->error, sizeof(h->error), "interrupted by SIG%s",
                         sigabbrev_np(interrupt_pending()) ?: "?");
        else if (cc == CURLE_SSL_CACERT_BADFILE)
                snprintf(h->error, sizeof(h->error), "cannot use the CA file: %s", what);
        else if (r == -EPROTO)
                snprintf(h->error, sizeof(h->error),
                         "TLS failed, nothing was sent: %s (verification is always on: the "
                         "certificate must name the host and chain to the system CAs or to "
                         "portal.ca_file)",
                         what);
        else
                snprintf(h->error, sizeof(h->error), "%s", what);
        return r;
}

int http_send(struct http_client *h, const struct http_request *req, struct http_response *ret)
{
        _cleanup_(curl_easy_cleanupp) CURL *c = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_(curl_mime_freep) curl_mime *mime = NULL;
        _cleanup_free_ char *url = NULL;
        struct http_response resp = {};
        struct body_sink sink = { .resp = &resp };
        CURLcode cc;
        long status = 0;
        int r;

        h->error[0] = h->curl_error[0] = 0;
        if (interrupt_pending())
                return transfer_error(h, CURLE_ABORTED_BY_CALLBACK);
        url = req->path ? xasprintf("%s%s", h->base_url, req->path) : xstrdup(h->base_url);
        if (!url)
                return -ENOMEM;
        if (!url_is_allowed(url)) {
                snprintf(h->error, sizeof(h->error), "refusing a URL that is not https");
                return -EPROTONOSUPPORT;
        }
        c = curl_easy_init();
        if (!c)
                return -ENOMEM;

        if (add_header(&headers, "Accept: application/json") < 0 ||
            add_header(&headers, "User-Agent: collect/" COLLECT_VERSION) < 0 ||
            add_header(&headers, "Expect:") < 0)
                return -ENOMEM;
        if (h->experimental && add_header(&headers, "X-ExperimentalApi: opt-in") < 0)
                return -ENOMEM;
        if (h->auth && !req->no_auth && add_header(&headers, h->auth) < 0)
                return -ENOMEM;
        if (req->json && add_header(&headers, "Content-Type: application/json") < 0)
                return -ENOMEM;
        if (req->n_files > 0) {
                if (add_header(&headers, "X-Atlassian-Token: no-check") < 0)
                        return -ENOMEM;
                r = build_mime(c, req, &mime);
                if (r < 0) {
                        snprintf(h->error, sizeof(h->error), "cannot read the file to upload");
                        return r;
                }
                curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
        } else if (req->json) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->json);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(req->json));
        }
        set_method(c, req);

        set_transport(h, c, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

        cc = curl_easy_perform(c);
        if (cc != CURLE_OK) {
                http_response_done(&resp);
                r = transfer_error(h, cc);
                return sink.too_big ? -EFBIG : r;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        resp.status = status;
        if (!resp.body) {
                resp.body = xstrdup("");
                if (!resp.body) {
                        http_response_done(&resp);
                        return -ENOMEM;
                }
        }
        *ret = resp;
        return 0;
}

usec_t http_retry_after(const struct http_response *r, usec_t now_usec)
{
        uint64_t secs;
        time_t t;

        if (!r || isempty(r->retry_after))
                return USEC_INFINITY;
        if (safe_atou64(r->retry_after, &secs) >= 0)
                return secs > 86400 ? 86400 * USEC_PER_SEC : secs * USEC_PER_SEC;
        t = curl_getdate(r->retry_after, NULL);
        if (t < 0)
                return USEC_INFINITY;
        if ((usec_t) t * USEC_PER_SEC <= now_usec)
                return 0;
        return (usec_t) t * USEC_PER_SEC - now_usec;
}
