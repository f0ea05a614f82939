/* SPDX-License-Identifier: MIT */
/*
 * Which URLs outbound connections may use (basic/url-util.h), parsed with
 * libcurl's URL API.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "basic/url-util.h"

static bool host_is_loopback(const char *host)
{
        struct in_addr a4;
        struct in6_addr a6;
        char buf[64];
        size_t n;

        if (!host)
                return false;
        if (strcasecmp(host, "localhost") == 0)
                return true;
        n = strlen(host);
        if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
                memcpy(buf, host + 1, n - 2);
                buf[n - 2] = 0;
                host = buf;
        }
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, host, &a6) == 1)
                return IN6_IS_ADDR_LOOPBACK(&a6);
        return false;
}

bool url_is_allowed(const char *url)
{
        CURLU *u;
        char *scheme = NULL, *host = NULL;
        bool ok = false;

        if (!url)
                return false;
        u = curl_url();
        if (!u)
                return false;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
                goto finish;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                goto finish;
        if (strcasecmp(scheme, "https") == 0)
                ok = true;
        else if (strcasecmp(scheme, "http") == 0)
                ok = host_is_loopback(host);
finish:
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(u);
        return ok;
}
