/* SPDX-License-Identifier: MIT */
/*
 * The service mode (agent/monitor/watch.h). Journal events come from sd-journal
 * (sd_journal_wait), webhooks from libmicrohttpd on a loopback address. Each
 * event is handed to a `collect hook` child with a deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microhttpd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "monitor/watch.h"

#define BODY_MAX (1u << 20)
#define HOOK_TIMEOUT (30 * USEC_PER_MINUTE)
#define MSG_COREDUMP "fc2e22bc6ee647b6b90729ab34a250b1"
#define MSG_UNIT_FAILED "d9b373ed55a64feb8242e02dbe79a49c"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
        (void) sig;
        stop_requested = 1;
}

/* Runs `self hook <args…> <hook_args…>` with body on stdin; returns the child's exit
 * status, or -errno when it could not be run or did not finish in time. */
static int run_hook(const struct watch_params *p, char *const *args, const char *body, size_t len)
{
        _cleanup_strv_free_ char **argv = NULL;
        int in[2] = { -1, -1 }, status = 0;
        usec_t deadline = now(CLOCK_MONOTONIC) + HOOK_TIMEOUT;
        pid_t pid;

        if (strv_extend(&argv, "collect") < 0 || strv_extend(&argv, "hook") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, (char **) args)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        STRV_FOREACH(a, p->hook_args)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        if (pipe2(in, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int k = -errno;

                safe_close(in[0]);
                safe_close(in[1]);
                return k;
        }
        if (pid == 0) {
                (void) dup2(in[0], STDIN_FILENO);
                execv(p->self, argv);
                _exit(127);
        }
        safe_close(in[0]);
        if (body && len)
                (void) loop_write(in[1], body, len);
        safe_close(in[1]);
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (now(CLOCK_MONOTONIC) > deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        log_warning("hook %s did not finish in time", args[0]);
                        return -ETIME;
                }
                (void) usleep(20000);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

/* ---- the Alertmanager listener ---- */

struct request {
        struct dynbuf body;
        bool too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *text)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *) text,
                                                                 MHD_RESPMEM_MUST_COPY);
        enum MHD_Result ret;

        if (!r)
                return MHD_NO;
        (void) MHD_add_response_header(r, "Content-Type", "text/plain");
        ret = MHD_queue_response(c, code, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
        const struct watch_params *p = cls;
        struct request *req = *con_cls;
        char *args[] = { (char *) "alertmanager", NULL };
        int ex;

        (void) version;
        if (!req) {
                if (!streq(method, "POST"))
                        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n");
                if (!streq(url, "/alertmanager") && !streq(url, "/"))
                        return reply(c, MHD_HTTP_NOT_FOUND, "POST /alertmanager\n");
                req = xcalloc(1, sizeof(*req));
                if (!req)
                        return MHD_NO;
                dynbuf_init(&req->body, BODY_MAX);
                *con_cls = req;
                return MHD_YES;
        }
        if (*upload_size > 0) {
                if (dynbuf_add(&req->body, upload_data, *upload_size) < 0)
                        req->too_big = true;
                *upload_size = 0;
                return MHD_YES;
        }
        if (req->too_big)
                return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "payload larger than 1 MiB\n");
        ex = run_hook(p, args, req->body.buf, req->body.len);
        /* Alertmanager retries 5xx and drops other errors (protocols.md §7) */
        if (ex == 0)
                return reply(c, MHD_HTTP_OK, "ok\n");
        if (ex == 65 || ex == 64)
                return reply(c, MHD_HTTP_BAD_REQUEST, "payload refused\n");
        return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not filed yet; retry\n");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct request *req = *con_cls;

        (void) cls;
        (void) c;
        (void) toe;
        if (req) {
                dynbuf_done(&req->body);
                free(req);
                *con_cls = NULL;
        }
}

static int parse_listen(const char *s, struct sockaddr_in *ret)
{
        _cleanup_free_ char *host = NULL;
        const char *colon = strrchr(s, ':');
        uint64_t port;

        if (!colon || safe_atou64(colon + 1, &port) < 0 || port == 0 || port > 65535)
                return -EINVAL;
        host = xstrndup(s, (size_t) (colon - s));
        if (!host)
                return -ENOMEM;
        *ret = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        if (inet_pton(AF_INET, isempty(host) ? "127.0.0.1" : host, &ret->sin_addr) != 1)
                return -EINVAL;
        /* the agent is no public server: loopback only */
        if ((ntohl(ret->sin_addr.s_addr) >> 24) != 127)
                return -EADDRNOTAVAIL;
        return 0;
}

/* ---- the journal ---- */

#ifdef HAVE_LIBSYSTEMD
static char *get_field(sd_journal *j, const char *name)
{
        const void *d;
        size_t l, n = strlen(name);

        if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= n + 1)
                return NULL;
        return xstrndup((const char *) d + n + 1, MIN(l - n - 1, (size_t) 512));
}

static void journal_event(const struct watch_params *p, sd_journal *j)
{
        _cleanup_free_ char *id = get_field(j, "MESSAGE_ID");
        usec_t t;

        if (!id || sd_journal_get_realtime_usec(j, &t) < 0)
                return;
        if (streq(id, MSG_COREDUMP)) {
                char since[40], until[40];
                char *args[] = { (char *) "coredump", (char *) "--since", since, (char *) "--until",
                                 until, NULL };

                format_iso8601_usec(since, sizeof(since), t - MIN(t, USEC_PER_SEC));
                format_iso8601_usec(until, sizeof(until), t + USEC_PER_SEC);
                log_info("watch: crash recorded at %s", since);
                (void) run_hook(p, args, NULL, 0);
        } else if (streq(id, MSG_UNIT_FAILED)) {
                _cleanup_free_ char *unit = get_field(j, "UNIT");
                char *args[] = { (char *) "unit-failure", unit, NULL };

                if (!unit || strchr(unit, '/'))
                        return;
                if (strneq(unit, "collect", 7))
                        return; /* never report our own failures: no loops */
                log_info("watch: %s failed", unit);
                (void) run_hook(p, args, NULL, 0);
        }
}

static int journal_open(const struct watch_params *p, sd_journal **ret)
{
        sd_journal *j = NULL;
        int r;

        r = p->journal_dir ? sd_journal_open_directory(&j, p->journal_dir, 0) :
                             sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, 4096);
        if ((r = sd_journal_add_match(j, "MESSAGE_ID=" MSG_COREDUMP, 0)) < 0 ||
            (r = sd_journal_add_disjunction(j)) < 0 ||
            (r = sd_journal_add_match(j, "MESSAGE_ID=" MSG_UNIT_FAILED, 0)) < 0 ||
            (r = sd_journal_seek_tail(j)) < 0) {
                sd_journal_close(j);
                return r;
        }
        /* position on the newest entry: only what comes after it is new */
        (void) sd_journal_previous(j);
        *ret = j;
        return 0;
}
#endif

/* The listening socket, bound here so that a refusal says why (MHD does not). */
static int listen_socket(const struct sockaddr_in *addr)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;

        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (const struct sockaddr *) addr, sizeof(*addr)) < 0 || listen(fd, 16) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

int watch_run(const struct watch_params *p)
{
        struct MHD_Daemon *d = NULL;
        struct sigaction sa = { .sa_handler = on_signal };
#ifdef HAVE_LIBSYSTEMD
        sd_journal *j = NULL;
#endif
        int r;

        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGINT, &sa, NULL);
        if (p->listen) {
                struct sockaddr_in addr;

                r = parse_listen(p->listen, &addr);
                if (r < 0) {
                        log_error("--listen '%s': expected 127.0.0.1:PORT (loopback only)",
                                  p->listen);
                        return -EINVAL;
                }
                r = listen_socket(&addr);
                if (r < 0)
                        return log_error_errno(r, "cannot listen on %s: %m", p->listen);
                d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                     ntohs(addr.sin_port), NULL, NULL, on_request, (void *) p,
                                     MHD_OPTION_LISTEN_SOCKET, r, MHD_OPTION_NOTIFY_COMPLETED,
                                     on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT, 16,
                                     MHD_OPTION_CONNECTION_TIMEOUT, 60, MHD_OPTION_END);
                if (!d) {
                        close(r);
                        log_error("cannot listen on %s: the HTTP server did not start",
                                  p->listen);
                        return -EADDRNOTAVAIL;
                }
                log_notice("watch: Alertmanager webhooks on http://%s/alertmanager", p->listen);
        }
#ifdef HAVE_LIBSYSTEMD
        if (p->journal) {
                r = journal_open(p, &j);
                if (r < 0)
                        log_warning_errno(r, "watch: cannot follow the journal: %m");
                else
                        log_notice("watch: following the journal for crashes and failed units");
        }
#endif
        while (!stop_requested) {
                watch_poll_tick(p->poll);
#ifdef HAVE_LIBSYSTEMD
                if (j) {
                        r = sd_journal_wait(j, 500 * USEC_PER_MSEC);
                        if (r < 0 && r != -EINTR) {
                                log_warning_errno(r, "watch: journal: %m");
                                sd_journal_close(j);
                                j = NULL;
                                continue;
                        }
                        while (!stop_requested && sd_journal_next(j) > 0)
                                journal_event(p, j);
                        continue;
                }
#endif
                (void) usleep(200 * 1000);
        }
        watch_poll_stop(p->poll);
#ifdef HAVE_LIBSYSTEMD
        if (j)
                sd_journal_close(j);
#endif
        if (d)
                MHD_stop_daemon(d);
        log_notice("watch: stopped");
        return 0;
}
