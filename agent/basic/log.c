/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr (include/log.h). Messages are prefixed with "collect: "
 * and, at warning or worse, the level; a redraw hook lets the progress line
 * get out of the way. Threads (the bundle writer, the journal reader) may log:
 * one message is written whole under a lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_NOTICE;
static void (*redraw_hook)(int before);
static bool muted;
static char last_error[512];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

const char *log_last_error(void)
{
        return last_error[0] ? last_error : NULL;
}

void log_set_muted(bool b)
{
        muted = b;
}

void log_set_max_level(int level)
{
        max_level = level;
}

int log_get_max_level(void)
{
        return max_level;
}

void log_set_redraw_hook(void (*hook)(int before))
{
        redraw_hook = hook;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
{
        int saved = errno;
        va_list ap;

        (void) file;
        (void) line;
        if (error < 0)
                error = -error;
        pthread_mutex_lock(&lock);
        if (level <= LOG_ERR) {
                errno = error;
                va_start(ap, fmt);
                (void) vsnprintf(last_error, sizeof(last_error), fmt, ap);
                va_end(ap);
                errno = saved;
        }
        if (level > max_level || (muted && level > LOG_CRIT)) {
                pthread_mutex_unlock(&lock);
                return -error;
        }
        if (redraw_hook)
                redraw_hook(1);
        errno = error;
        fputs("collect: ", stderr);
        if (level <= LOG_ERR)
                fputs("error: ", stderr);
        else if (level == LOG_WARNING)
                fputs("warning: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
        if (redraw_hook)
                redraw_hook(0);
        pthread_mutex_unlock(&lock);
        errno = saved;
        return -error;
}
