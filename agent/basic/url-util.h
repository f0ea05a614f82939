/* SPDX-License-Identifier: MIT */
/*
 * URL checks shared by the site configuration and the HTTP client.
 */
#pragma once

#include <stdbool.h>

/* Whether url is https://, or http:// to a loopback host (127.0.0.0/8, ::1,
 * localhost), the only plain http allowed (tests). */
bool url_is_allowed(const char *url);
