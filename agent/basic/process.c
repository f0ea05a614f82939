/* SPDX-License-Identifier: MIT */
/*
 * Command runner (agent/basic/process.h). The child gets its own process group so
 * that a deadline kills everything it started; an exec failure is reported
 * back over a close-on-exec pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/interrupt.h"
#include "basic/process.h"
#include "fd-util.h"
#include "macro.h"

static char *const clean_env[] = {
        (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        (char *) "LANG=C.UTF-8",
        (char *) "LC_ALL=C.UTF-8",
        (char *) "SYSTEMD_PAGER=",
        (char *) "PAGER=cat",
        (char *) "SYSTEMD_COLORS=0",
        (char *) "TERM=dumb",
        NULL,
};

static void child(char *const *argv, int out_fd, int err_fd)
{
        sigset_t all;
        int null_fd;

        (void) setpgid(0, 0);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                (void) signal(sig, SIG_DFL);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                goto fail;
        execvpe(argv[0], argv, clean_env);
fail:;
        int e = errno;
        (void) !write(err_fd, &e, sizeof(e));
        _exit(127);
}

static void kill_group(pid_t pid)
{
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
}

int command_run(char *const *argv, usec_t timeout, size_t cap, command_output_fn out,
                void *userdata, struct command_result *ret)
{
        _cleanup_close_ int out_r = -1, out_w = -1, err_r = -1, err_w = -1;
        struct command_result res = {};
        usec_t start = now(CLOCK_MONOTONIC), deadline = start + timeout;
        size_t total = 0;
        bool eof = false, stop = false;
        pid_t pid;
        int fds[2], e = 0;
        ssize_t n;

        if (!argv || !argv[0])
                return -EINVAL;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        out_r = fds[0];
        out_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        err_r = fds[0];
        err_w = fds[1];

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child(argv, out_w, err_w);
        (void) setpgid(pid, pid); /* also from the parent, against the race */
        out_w = safe_close(out_w);
        err_w = safe_close(err_w);

        n = loop_read(err_r, &e, sizeof(e));
        if (n == (ssize_t) sizeof(e))
                res.exec_error = e;

        (void) fcntl(out_r, F_SETFL, O_NONBLOCK);
        while (!eof && !stop) {
                struct pollfd p = { .fd = out_r, .events = POLLIN };
                usec_t t = now(CLOCK_MONOTONIC);
                char buf[16 * 1024];
                int r;

                if (t >= deadline) {
                        res.timed_out = true;
                        kill_group(pid);
                        break;
                }
                if (interrupt_pending()) {
                        kill_group(pid);
                        break;
                }
                r = poll(&p, 1, (int) ((deadline - t + 999) / 1000));
                if (r < 0 && errno != EINTR) {
                        kill_group(pid);
                        break;
                }
                if (r <= 0)
                        continue;
                n = read(out_r, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        break;
                }
                if (n == 0) {
                        eof = true;
                        break;
                }
                if (total < cap) {
                        size_t take = MIN((size_t) n, cap - total);

                        if (out && out(userdata, buf, take) < 0) {
                                kill_group(pid);
                                stop = true;
                        }
                        total += take;
                        if (take < (size_t) n)
                                res.truncated = true;
                } else {
                        res.truncated = true;
                }
        }
        /* Output closed (or we gave up): wait for the child, still bounded by the
         * deadline; a child that closed its output but keeps running is killed. */
        for (;;) {
                int status;
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid) {
                        res.status = status;
                        break;
                }
                if (w < 0 && errno != EINTR)
                        break;
                if (now(CLOCK_MONOTONIC) >= deadline || interrupt_pending()) {
                        res.timed_out = !interrupt_pending();
                        kill_group(pid);
                        (void) waitpid(pid, &status, 0);
                        res.status = status;
                        break;
                }
                (void) usleep(2000);
        }
        /* Anything left in its group (daemonised helpers) goes too. */
        (void) kill(-pid, SIGKILL);
        res.duration = now(CLOCK_MONOTONIC) - start;
        *ret = res;
        return 0;
}

char *command_status_string(const struct command_result *r, char *buf, size_t size)
{
        if (r->exec_error)
                snprintf(buf, size, "not run: %s", strerror(r->exec_error));
        else if (r->timed_out)
                snprintf(buf, size, "killed at its deadline (timeout)");
        else if (WIFEXITED(r->status))
                snprintf(buf, size, "exit status %d", WEXITSTATUS(r->status));
        else if (WIFSIGNALED(r->status))
                snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(r->status),
                         strsignal(WTERMSIG(r->status)));
        else
                snprintf(buf, size, "unknown status %d", r->status);
        return buf;
}
