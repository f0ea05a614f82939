/* SPDX-License-Identifier: MIT */
/*
 * A thin libcurl wrapper for the portal and Slack: https only (plain http
 * only to a loopback address, for tests), redirects only to https,
 * certificate verification always on, an optional site CA file, connect and
 * total timeouts, bounded response bodies. The Authorization header is kept
 * in memory only; the debug trace masks it. CURLcode never leaves this
 * module: transport failures come back as -errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "time-util.h"

#define HTTP_BODY_MAX (4U * 1024 * 1024)

struct http_client;

/* A multipart file part (always named "file"): either a path or data. */
struct http_file {
        const char *name; /* filename in Content-Disposition; required */
        const char *path; /* file to send, or NULL */
        const char *data; /* in-memory content when path is NULL */
        size_t size;
        const char *content_type; /* NULL: application/octet-stream */
};

struct http_request {
        const char *method;            /* "GET", "POST", "DELETE" */
        const char *path;              /* appended to the base URL; NULL: the base URL itself */
        const char *json;              /* JSON body (Content-Type: application/json), or NULL */
        const struct http_file *files; /* multipart/form-data with X-Atlassian-Token: no-check */
        size_t n_files;
        bool no_auth; /* do not send the Authorization header */
};

struct http_response {
        long status;
        char *body; /* NUL-terminated, at most HTTP_BODY_MAX */
        size_t body_len;
        char *content_type;
        char *retry_after;     /* Retry-After, verbatim */
        char *ratelimit_reset; /* X-RateLimit-Reset */
        char *request_id;      /* X-AREQUESTID (for support escalations) */
        char *account_id;      /* X-AAccountId: the caller's accountId */
};

/*
 * Creates a client for base_url (checked with url_is_allowed()). ca_file may
 * be NULL. -EPROTONOSUPPORT for a URL that is not https (or loopback http),
 * -ENOMEM.
 */
int http_client_new(const char *base_url, const char *ca_file, struct http_client **ret);
struct http_client *http_client_free(struct http_client *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct http_client *, http_client_free);

/*
 * The site's outbound trust, for every client made afterwards (portal and Slack
 * alike): ca_file for clients created without one, and proxy (NULL: libcurl's
 * https_proxy environment) with no_proxy hosts. Copies; NULLs reset. 0, -ENOMEM,
 * or -errno when ca_file cannot be read.
 *
 * A ca_file replaces the system's CAs; a proxy given here is used alone (the
 * environment's https_proxy, all_proxy and no_proxy are ignored); without one,
 * libcurl's https_proxy environment applies, no_proxy (when given) replacing
 * the environment's. A stop signal (basic/interrupt.h) ends a transfer at once:
 * http_send() returns -EINTR.
 */
int http_set_outbound(const char *ca_file, const char *proxy, char *const *no_proxy);

/* Takes a copy of a full header line "Authorization: ..."; NULL clears it. */
int http_client_set_auth(struct http_client *h, const char *header_line);

/* The URL itself is a credential (a Slack webhook): with -v, no request trace
 * (the request line would name it). */
void http_client_set_secret_url(struct http_client *h);

/* Sends "X-ExperimentalApi: opt-in" on every call (JSM). */
void http_client_set_experimental(struct http_client *h, bool b);

/* Timeouts; 0 keeps the default (connect 10 s, total 300 s). */
void http_client_set_timeouts(struct http_client *h, usec_t connect, usec_t total);

const char *http_client_base_url(const struct http_client *h);

/*
 * Performs one request. Returns 0 when a response arrived, whatever its
 * status (in ret->status), or -errno for a transport failure: -ETIMEDOUT,
 * -ECONNREFUSED, -ECONNRESET (dropped, nothing or partial received),
 * -EHOSTUNREACH (name not resolved, no route), -EPROTO (TLS or certificate
 * failure; nothing was sent), -EPROTONOSUPPORT (not https), -ELOOP (redirects),
 * -EFBIG (body over HTTP_BODY_MAX), -ENOENT (file to upload missing), -EINTR (a
 * stop signal, before or during the transfer), -ENOMEM, -EIO.
 * The libcurl error text is available from http_client_error().
 */
int http_send(struct http_client *h, const struct http_request *req, struct http_response *ret);

/* The last transport error in words (curl's error buffer), "" if none. */
const char *http_client_error(const struct http_client *h);

void http_response_done(struct http_response *r);

/* Maps a libcurl result to -errno (exposed for the unit test). */
int http_curl_code_to_errno(int code);

/* Retry-After in µs (seconds or an HTTP date); USEC_INFINITY if absent or bad. */
usec_t http_retry_after(const struct http_response *r, usec_t now_usec);

/* True for a transport error worth retrying (the server may be back later). */
bool http_error_is_transient(int r);
