/* SPDX-License-Identifier: MIT */
/*
 * The service mode (agent/monitor/watch.h). Journal events come from sd-journal
 * (sd_journal_wait), webhooks from libmicrohttpd on a loopback address. Each
 * event is handed to a `collect hook` child with a deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microhttpd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "coredump.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "monitor/autofile.h"
#include "monitor/watch.h"

#define BODY_MAX (1u << 20)
#define QUEUE_MAX 32         /* alerts waiting for their hook; beyond: 503 */
#define CONNECTIONS_MAX 512  /* open connections (fewer under a low RLIMIT_NOFILE) */
#define CONNECTION_TIMEOUT 5 /* seconds a client may stay idle */
#define HOOK_TIMEOUT (30 * USEC_PER_MINUTE)
#define FLUSH_INTERVAL (5 * USEC_PER_MINUTE) /* spooled filings retried this often */
#define MSG_UNIT_FAILED AUTOFILE_UNIT_FAILED_MESSAGE_ID

/* SIGTERM, SIGINT and SIGHUP: the CLI's handlers (basic/interrupt.h) set the flag
 * that the loops here, the hooks' waits and an HTTP transfer made in this process
 * (flushing the spool) all check, so a stop is never held up by a slow portal. */
#define stop_requested interrupt_pending()

extern char **environ;

/* The environment of a hook: ours without $MONITOR_*, plus env ("NAME=value"). */
static char **hook_environment(char *const *env)
{
        _cleanup_strv_free_ char **l = NULL;

        for (char **e = environ; e && *e; e++)
                if (!strneq(*e, "MONITOR_", 8) && strv_extend(&l, *e) < 0)
                        return NULL;
        STRV_FOREACH(e, (char **) env)
                if (strv_extend(&l, *e) < 0)
                        return NULL;
        return l ? TAKE_PTR(l) : strv_copy((char *[]) { NULL });
}

/* Runs `self hook <args…> <hook_args…>` with body on stdin and env added to the
 * environment; returns its exit code. */
static int run_hook(const struct watch_params *p, char *const *args, char *const *env,
                    const char *body, size_t len)
{
        _cleanup_strv_free_ char **argv = NULL, **envp = hook_environment(env);
        int in[2] = { -1, -1 }, status = 0;
        usec_t deadline = now(CLOCK_MONOTONIC) + HOOK_TIMEOUT;
        pid_t pid;

        if (!envp || strv_extend(&argv, "collect") < 0 || strv_extend(&argv, "hook") < 0)
                return 1;
        STRV_FOREACH(a, (char **) args)
                if (strv_extend(&argv, *a) < 0)
                        return 1;
        STRV_FOREACH(a, p->hook_args)
                if (strv_extend(&argv, *a) < 0)
                        return 1;
        if (pipe2(in, O_CLOEXEC) < 0)
                return 1;
        pid = fork();
        if (pid < 0) {
                safe_close(in[0]);
                safe_close(in[1]);
                return 1;
        }
        if (pid == 0) {
                (void) dup2(in[0], STDIN_FILENO);
                execve(p->self, argv, envp);
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
                        return 1;
                if (stop_requested) {
                        /* stopping: the hook removes its temporary files on SIGTERM */
                        (void) kill(pid, SIGTERM);
                        (void) waitpid(pid, &status, 0);
                        return 1;
                }
                if (now(CLOCK_MONOTONIC) > deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        log_warning("hook %s did not finish in time", args[0]);
                        return 1;
                }
                (void) usleep(20000);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Runs `self spool flush` with the options that verb takes: a monitoring filing
 * spooled during a portal outage is sent once the portal is back. */
static void flush_spool(const struct watch_params *p)
{
        static const char *const keep[] = { "--config", "--state-dir", "--spool-dir",
                                            "--policy-dir" };
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int null = -1;
        int status = 0;
        pid_t pid;

        if (strv_extend(&argv, "collect") < 0 || strv_extend(&argv, "spool") < 0 ||
            strv_extend(&argv, "flush") < 0 || strv_extend(&argv, "-q") < 0)
                return;
        for (char **a = p->hook_args; a && a[0] && a[1]; a++)
                for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                        if (streq(a[0], keep[i]) &&
                            (strv_extend(&argv, a[0]) < 0 || strv_extend(&argv, a[1]) < 0))
                                return;
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        pid = fork();
        if (pid < 0)
                return;
        if (pid == 0) {
                (void) dup2(null, STDIN_FILENO);
                (void) dup2(null, STDOUT_FILENO);
                execv(p->self, argv);
                _exit(127);
        }
        /* bounded: the spool's own requests have timeouts */
        for (usec_t deadline = now(CLOCK_MONOTONIC) + HOOK_TIMEOUT;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid || (w < 0 && errno != EINTR))
                        break;
                if (now(CLOCK_MONOTONIC) > deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        break;
                }
                (void) usleep(20000);
        }
}

/* ---- the hook queue: webhooks are answered at once, filed by a worker ---- */

struct job {
        char *body;
        size_t len;
};

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job jobs[QUEUE_MAX];
        size_t head, n;
        bool stop;
        const struct watch_params *p;
} queue = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* Takes body. false when the queue is full (the caller answers 503). */
static bool queue_push(char *body, size_t len)
{
        bool ok;

        pthread_mutex_lock(&queue.lock);
        ok = queue.n < QUEUE_MAX && !queue.stop;
        if (ok) {
                queue.jobs[(queue.head + queue.n) % QUEUE_MAX] = (struct job) { body, len };
                queue.n++;
                pthread_cond_signal(&queue.cond);
        }
        pthread_mutex_unlock(&queue.lock);
        if (!ok)
                free(body);
        return ok;
}

static void *queue_worker(void *arg)
{
        char *args[] = { (char *) "alertmanager", NULL };

        (void) arg;
        for (;;) {
                struct job j;
                int ex;

                pthread_mutex_lock(&queue.lock);
                while (queue.n == 0 && !queue.stop)
                        pthread_cond_wait(&queue.cond, &queue.lock);
                if (queue.n == 0) {
                        pthread_mutex_unlock(&queue.lock);
                        return NULL;
                }
                j = queue.jobs[queue.head];
                queue.head = (queue.head + 1) % QUEUE_MAX;
                queue.n--;
                pthread_mutex_unlock(&queue.lock);
                ex = run_hook(queue.p, args, NULL, j.body, j.len);
                if (ex != 0)
                        log_warning("watch: alert hook exited with %d", ex);
                free(j.body);
        }
}

static void queue_stop(pthread_t worker)
{
        size_t dropped;

        pthread_mutex_lock(&queue.lock);
        queue.stop = true;
        dropped = queue.n;
        for (; queue.n > 0; queue.n--, queue.head = (queue.head + 1) % QUEUE_MAX)
                free(queue.jobs[queue.head].body);
        pthread_cond_broadcast(&queue.cond);
        pthread_mutex_unlock(&queue.lock);
        if (dropped > 0)
                log_warning("watch: %zu queued alerts not filed (Alertmanager repeats them)",
                            dropped);
        (void) pthread_join(worker, NULL);
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
        if (code == MHD_HTTP_UNAUTHORIZED)
                (void) MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"collect\"");
        ret = MHD_queue_response(c, code, r);
        MHD_destroy_response(r);
        return ret;
}

/* Compares the Authorization header with the token in constant time. */
static bool authorized(struct MHD_Connection *c, const char *token)
{
        const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        size_t n = strlen(token), hl;
        unsigned char diff = 0;

        if (!h || strncasecmp(h, "Bearer ", 7) != 0)
                return false;
        h += 7;
        hl = strlen(h);
        for (size_t i = 0; i < n; i++)
                diff |= (unsigned char) (token[i] ^ (i < hl ? h[i] : 0));
        return diff == 0 && hl == n;
}

/* The first call of a request: method, path and credentials, before any body is read. */
static enum MHD_Result on_headers(const struct watch_params *p, struct MHD_Connection *c,
                                  const char *url, const char *method, void **con_cls)
{
        struct request *req;

        if (!streq(method, "POST"))
                return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n");
        if (!streq(url, "/alertmanager") && !streq(url, "/"))
                return reply(c, MHD_HTTP_NOT_FOUND, "POST /alertmanager\n");
        if (!p->token || !authorized(c, p->token))
                return reply(c, MHD_HTTP_UNAUTHORIZED, "a bearer token is required\n");
        req = xcalloc(1, sizeof(*req));
        if (!req)
                return MHD_NO;
        dynbuf_init(&req->body, BODY_MAX);
        *con_cls = req;
        return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
        struct request *req = *con_cls;
        struct autofile_event ev = {};
        _cleanup_free_ char *error = NULL;
        int r;

        (void) version;
        if (!req)
                return on_headers(cls, c, url, method, con_cls);
        if (*upload_size > 0) {
                if (dynbuf_add(&req->body, upload_data, *upload_size) < 0)
                        req->too_big = true;
                *upload_size = 0;
                return MHD_YES;
        }
        if (req->too_big)
                return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "payload larger than 1 MiB\n");
        /* a malformed payload is refused now: Alertmanager drops 4xx, retries 5xx */
        r = autofile_event_from_alertmanager(req->body.buf ?: "", req->body.len, &ev, &error);
        autofile_event_done(&ev);
        if (r < 0)
                return reply(c, MHD_HTTP_BAD_REQUEST, "payload refused\n");
        size_t len = req->body.len;

        if (!queue_push(dynbuf_steal(&req->body), len))
                return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "queue full; retry\n");
        return reply(c, MHD_HTTP_OK, "queued\n");
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

static void journal_event(const struct watch_params *p, sd_journal *j)
{
        _cleanup_free_ char *id = autofile_journal_field(j, "MESSAGE_ID", 512);
        usec_t t;

        if (!id || sd_journal_get_realtime_usec(j, &t) < 0)
                return;
        if (coredump_message_id_is(id)) {
                _cleanup_(coredump_done) struct coredump cd = {};
                char since[40], until[40];
                char *args[] = { (char *) "coredump",
                                 (char *) "--since",
                                 since,
                                 (char *) "--until",
                                 until,
                                 NULL };

                if (coredump_from_journal(j, &cd) < 0)
                        return; /* forged by another program, or unreadable */
                /*
                 * Exactly this entry: the hook anchors the collection on the crash (the
                 * hour before it) and files each crash once, whoever delivered it.
                 */
                format_iso8601_usec(since, sizeof(since), t);
                format_iso8601_usec(until, sizeof(until), t + 1);
                log_info("watch: %s crashed (%s, pid %" PRIu64 ")",
                         cd.exe          ?:
                                 cd.comm ?:
                                           "a process",
                         cd.signal_name ?: "?", cd.pid);
                (void) run_hook(p, args, NULL, NULL, 0);
        } else if (streq(id, MSG_UNIT_FAILED)) {
                _cleanup_free_ char *unit = autofile_journal_field(j, "UNIT", 512);
                _cleanup_free_ char *inv = autofile_journal_field(j, "INVOCATION_ID", 512);
                _cleanup_free_ char *res = autofile_journal_field(j, "UNIT_RESULT", 512);
                _cleanup_strv_free_ char **env = NULL;
                char *args[] = { (char *) "unit-failure", unit, NULL };

                if (!unit || strchr(unit, '/'))
                        return;
                if (strneq(unit, "collect", 7))
                        return; /* never report our own failures: no loops */
                /* as systemd sets them for OnFailure=: the failed run is one event,
                 * whichever of the two delivers it */
                if (strv_consume(&env, xasprintf("MONITOR_UNIT=%s", unit)) < 0 ||
                    (inv && strv_consume(&env, xasprintf("MONITOR_INVOCATION_ID=%s", inv)) < 0) ||
                    (res && strv_consume(&env, xasprintf("MONITOR_SERVICE_RESULT=%s", res)) < 0))
                        return;
                log_info("watch: %s failed", unit);
                (void) run_hook(p, args, env, NULL, 0);
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
        if ((r = sd_journal_add_match(j, "MESSAGE_ID=" COREDUMP_MESSAGE_ID, 0)) < 0 ||
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
        if (bind(fd, (const struct sockaddr *) addr, sizeof(*addr)) < 0 || listen(fd, 128) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

/* The bearer token Alertmanager must send: a file only its owner may read. */
static int load_token(const char *path, char **ret)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[1024];
        struct stat st;
        ssize_t n;
        size_t l;

        if (fd < 0)
                return log_error_errno(errno, "webhook token file '%s': %m", path);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0077))
                return log_error_errno(EPERM,
                                       "webhook token file '%s' must be a regular file "
                                       "of mode 0600 or stricter",
                                       path);
        n = loop_read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return log_error_errno((int) n, "webhook token file '%s': %m", path);
        buf[n] = 0;
        l = strcspn(buf, "\r\n");
        buf[l] = 0;
        if (l < 16)
                return log_error_errno(EINVAL,
                                       "webhook token in '%s' is shorter than 16 "
                                       "characters",
                                       path);
        *ret = xstrdup(buf);
        explicit_bzero(buf, sizeof(buf));
        return *ret ? 0 : -ENOMEM;
}

/* Connections the listener keeps open: many, so that a crowd of slow clients
 * leaves room for Alertmanager, within the descriptors the process may open. */
static unsigned connection_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return CONNECTIONS_MAX;
        if (rl.rlim_cur < CONNECTIONS_MAX + 64 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) CONNECTIONS_MAX + 64);
                (void) setrlimit(RLIMIT_NOFILE, &rl);
                (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        return (unsigned) MAX((rlim_t) 16, MIN((rlim_t) CONNECTIONS_MAX,
                                               rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 16));
}

static int listen_start(struct watch_params *q, struct MHD_Daemon **ret)
{
        struct sockaddr_in addr;
        struct MHD_Daemon *d;
        int r, fd;

        r = parse_listen(q->listen, &addr);
        if (r < 0) {
                log_error("--listen '%s': expected 127.0.0.1:PORT (loopback only)", q->listen);
                return -EINVAL;
        }
        /* without a token every post is refused (401): a local user cannot trigger
         * collections or use up the budget */
        if (!q->token_file)
                log_warning("--listen: monitoring.webhook_token_file is not set in collect.yaml: "
                            "every webhook is refused (401) until it is");
        else if (load_token(q->token_file, &q->token) < 0)
                return -EKEYREJECTED;
        fd = listen_socket(&addr);
        if (fd < 0)
                return log_error_errno(fd, "cannot listen on %s: %m", q->listen);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
                             ntohs(addr.sin_port), NULL, NULL, on_request, q,
                             MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
                             on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONNECTION_TIMEOUT,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 64 * 1024,
                             MHD_OPTION_END);
        if (!d) {
                close(fd);
                log_error("cannot listen on %s: the HTTP server did not start", q->listen);
                return -EADDRNOTAVAIL;
        }
        log_notice("watch: Alertmanager webhooks on http://%s/alertmanager", q->listen);
        *ret = d;
        return 0;
}

int watch_run(const struct watch_params *p)
{
        struct MHD_Daemon *d = NULL;
        struct watch_params q = *p;
        pthread_t worker;
        bool have_worker = false;
        usec_t next_flush = 0;
#ifdef HAVE_LIBSYSTEMD
        sd_journal *j = NULL;
#endif
        int r;

        q.token = NULL;
        if (q.listen) {
                r = listen_start(&q, &d);
                if (r != 0) {
                        free(q.token);
                        return r;
                }
                queue.p = &q;
                have_worker = pthread_create(&worker, NULL, queue_worker, NULL) == 0;
        }
#ifdef HAVE_LIBSYSTEMD
        if (q.journal) {
                r = journal_open(&q, &j);
                if (r < 0)
                        log_warning_errno(r, "watch: cannot follow the journal: %m");
                else
                        log_notice("watch: following the journal for crashes and failed units");
        }
#endif
        while (!stop_requested) {
                if (now(CLOCK_MONOTONIC) >= next_flush) {
                        flush_spool(&q);
                        next_flush = now(CLOCK_MONOTONIC) + FLUSH_INTERVAL;
                }
                watch_poll_tick(q.poll);
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
                                journal_event(&q, j);
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
        if (have_worker)
                queue_stop(worker);
        if (q.token)
                explicit_bzero(q.token, strlen(q.token));
        free(q.token);
        log_notice("watch: stopped");
        return 0;
}
