/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr. The _errno forms return the (negative) error they were
 * given so that "return log_error_errno(r, ...);" reads naturally; %m in the
 * format stands for strerror of that error.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* LOG_ERR .. LOG_DEBUG from syslog.h; messages above the level are dropped. */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Optional hook that is called before and after every message is printed, so
 * that a live progress line can be cleared and redrawn. */
void log_set_redraw_hook(void (*hook)(int before));

/* While muted, only LOG_CRIT and worse are printed: after a failure that one
 * message will report (a full disk), the errors it causes are not news. */
void log_set_muted(bool b);

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
        _printf_(5, 6);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "out of memory")
