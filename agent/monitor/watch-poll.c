/* SPDX-License-Identifier: MIT */
/*
 * Periodic `collect poll` children for `collect watch` (agent/monitor/watch-poll.h).
 */
#include <errno.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "monitor/watch-poll.h"
#include "strv.h"

#define POLL_BACKOFF_MAX USEC_PER_HOUR

static usec_t jitter(usec_t interval)
{
        uint32_t r = 0;

        /* ±10 %, so that a fleet does not poll in step */
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r))
                r = (uint32_t) getpid() * 2654435761U;
        return interval - interval / 10 + (usec_t) (r % (interval / 5 + 1));
}

static void reap(struct watch_poll *w)
{
        int status = 0;
        pid_t r;

        if (w->child <= 0)
                return;
        r = waitpid(w->child, &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR))
                return;
        w->child = 0;
        if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == EX_TEMPFAIL) {
                w->backoff = w->backoff ? w->backoff * 2 : w->interval;
                if (w->backoff > POLL_BACKOFF_MAX)
                        w->backoff = POLL_BACKOFF_MAX;
                log_notice("watch: the portal is busy or unreachable; next poll in %llus",
                           (unsigned long long) ((w->interval + w->backoff) / USEC_PER_SEC));
        } else
                w->backoff = 0;
        w->next = now(CLOCK_MONOTONIC) + jitter(w->interval) + w->backoff;
}

static void start(struct watch_poll *w)
{
        _cleanup_strv_free_ char **argv = NULL;
        pid_t pid;

        if (strv_extend(&argv, "collect") < 0 || strv_extend(&argv, "poll") < 0)
                return;
        STRV_FOREACH(a, w->args)
                if (strv_extend(&argv, *a) < 0)
                        return;
        pid = fork();
        if (pid < 0) {
                log_warning_errno(-errno, "watch: cannot start a poll: %m");
                w->next = now(CLOCK_MONOTONIC) + w->interval;
                return;
        }
        if (pid == 0) {
                execv(w->self, argv);
                _exit(127);
        }
        w->child = pid;
}

void watch_poll_tick(struct watch_poll *w)
{
        if (!w || w->interval == 0)
                return;
        reap(w);
        if (w->child > 0)
                return;
        if (w->next == 0) /* the first pass soon after start, jittered */
                w->next = now(CLOCK_MONOTONIC) + jitter(w->interval) / 10;
        if (now(CLOCK_MONOTONIC) >= w->next)
                start(w);
}

void watch_poll_stop(struct watch_poll *w)
{
        if (!w || w->child <= 0)
                return;
        (void) kill(w->child, SIGTERM);
        (void) waitpid(w->child, NULL, 0);
        w->child = 0;
}
