/* SPDX-License-Identifier: MIT */
/*
 * The progress line (agent/cli/progress.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/progress.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

static bool progress_on;
static bool progress_plain; /* NO_COLOR: no escape sequences, blanks instead */
static const char *progress_name;
static uint64_t progress_bytes;
static usec_t progress_started;
static bool progress_drawn;

static void progress_erase(void)
{
        if (progress_plain)
                fprintf(stderr, "\r%-72s\r", "");
        else
                fputs("\r\033[K", stderr);
}

static void progress_draw(void)
{
        char d[32];

        if (!progress_on)
                return;
        progress_erase();
        fprintf(stderr, "[%s] %s, %.1f MB", progress_name ? progress_name : "",
                format_duration(d, sizeof(d), now(CLOCK_MONOTONIC) - progress_started),
                (double) progress_bytes / 1e6);
        fflush(stderr);
        progress_drawn = true;
}

static void progress_clear(void)
{
        if (progress_on && progress_drawn) {
                progress_erase();
                fflush(stderr);
                progress_drawn = false;
        }
}

static void progress_redraw_hook(int before)
{
        if (before)
                progress_clear();
        else if (progress_name)
                progress_draw();
}

void progress_start(bool enabled)
{
        const char *term = getenv("TERM");
        const char *no_color = getenv("NO_COLOR");

        progress_on = enabled && isatty(STDERR_FILENO) && !(term && streq(term, "dumb"));
        progress_plain = no_color && no_color[0];
        progress_started = now(CLOCK_MONOTONIC);
        if (progress_on)
                log_set_redraw_hook(progress_redraw_hook);
}

void progress_collector(const char *name, const struct collector_status *done)
{
        progress_name = done ? NULL : name;
        if (!done)
                progress_draw();
}

void progress_total(uint64_t total)
{
        progress_bytes = total;
        if (progress_name)
                progress_draw();
}

void progress_stop(void)
{
        progress_clear();
        progress_name = NULL;
        if (progress_on)
                log_set_redraw_hook(NULL);
        progress_on = false;
}
