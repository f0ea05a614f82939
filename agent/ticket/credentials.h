/* SPDX-License-Identifier: MIT */
/*
 * Portal credentials: /etc/collect/credentials ("email:" and "token:" for a
 * Cloud API token, "token:" alone for a Data Center personal access token),
 * refused unless mode 0600 or stricter and owned by the caller or root. The
 * environment (COLLECT_PORTAL_EMAIL, COLLECT_PORTAL_TOKEN) overrides the file.
 * Secrets never reach argv, logs or error messages.
 */
#pragma once

#include <stdbool.h>

#include "policy/site-config.h"
#include "macro.h"

struct credentials {
        char *email; /* Cloud: the Atlassian account e-mail; NULL for a PAT */
        char *token; /* API token or personal access token; wiped on free */
};

/*
 * Opens path (no symlinks followed), checks owner and mode, and returns a
 * file descriptor ready for reading. -EACCES with *ret_error naming the fix
 * when the file is group/world accessible or owned by someone else; -errno
 * otherwise. Used for the credentials and the Slack webhook file.
 */
int secret_file_open(const char *path, char **ret_error);

/* Reads a secret file (checked as above) whole, at most 64 KiB, trailing
 * white space removed. 0 or -errno with *ret_error. */
int secret_file_read(const char *path, char **ret, char **ret_error);

/*
 * Loads credentials for deployment d: environment first, then path. Cloud
 * needs email and token, Data Center a token. -ENOENT (no credentials
 * anywhere), -EACCES (bad mode/owner), -EINVAL (syntax or a missing key;
 * "file:line:column: ..."), -ENOMEM. The message never contains the token.
 */
int credentials_load(struct credentials *c, const char *path, enum portal_deployment d,
                     char **ret_error);

/* Zeroes the token memory and frees everything. */
void credentials_done(struct credentials *c);

/* "Authorization: ..." header line for the deployment; NULL on OOM. */
char *credentials_auth_header(const struct credentials *c, enum portal_deployment d);
