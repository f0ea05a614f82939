/* SPDX-License-Identifier: MIT */
/*
 * The log files opened ahead: with many small files the collecting thread
 * spends a third of its time in open, fstat and close. A second thread opens
 * the next files (beneath the root, as open_beneath() does for everyone) and
 * measures them while the collecting thread reads, filters and writes the
 * current one; a ring of LOGS_AHEAD slots bounds the descriptors held. The
 * thread sleeps when the ring is full until half of it is free again, and the
 * collecting thread, when it finds the ring empty, until a quarter of it is
 * open: the two threads wake each other once per several files, not per file,
 * and neither takes a lock per file. The first 8 KiB of a file are read here
 * too when nothing but its listed path (never_collect checked it at listing)
 * leads to it: opened without following a link (open_beneath_direct()), one
 * hard link, the device and inode listed. Any other file is first read on the
 * collecting thread, after the sink's never_collect check of what was opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "logs.h"
#include "thread-util.h"

struct logs_ahead {
        int root_fd;
        const struct logs_file *files;
        size_t n;
        struct logs_opened slots[LOGS_AHEAD];
        char *heads;
        bool threaded;
        pthread_t thread;
        /* The counters and flags are atomics, so that neither thread takes a
         * lock or makes a system call per file; lock and the conditions are
         * only for sleeping. A sleeper sets its flag, then checks the counter;
         * the other side changes the counter, then checks the flag (both
         * sequentially consistent): one of them sees the other. */
        size_t ready;    /* files [0, ready) are open (or failed) */
        size_t released; /* files [0, released) were given back */
        size_t room_at;  /* the opening thread sleeps until released reaches this */
        size_t ready_at; /* the collecting thread sleeps until ready reaches this */
        bool main_waits, thread_waits, stop;
        pthread_mutex_t lock;
        pthread_cond_t ready_cond; /* the collecting thread waits for a file */
        pthread_cond_t room_cond;  /* the opening thread waits for free slots */
};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* The first bytes of a file that can only be the file listed (its path
 * passed never_collect at listing): no link was followed and no other name
 * leads to it. Tests that change the file after the open read on the
 * collecting thread, after their hook. */
static void read_head(struct logs_opened *o, const struct logs_file *f)
{
        ssize_t n;

        if (!o->head || !o->direct || o->stat_error < 0 || !S_ISREG(o->st.st_mode) ||
            o->st.st_nlink != 1 || o->st.st_ino != f->ino || o->st.st_dev != f->dev ||
            logs_test_after_open)
                return;
        do
                n = pread(o->fd, o->head, LOGS_SNIFF_BYTES, 0);
        while (n < 0 && errno == EINTR);
        o->head_len = n > 0 ? (size_t) n : 0;
        o->gz = logs_is_gzip(o->head, o->head_len);
        o->binary = !o->gz && o->head_len > 0 ? logs_sniff_binary(o->head, o->head_len) : NULL;
        o->read = true;
}

static void open_one(struct logs_ahead *a, size_t i)
{
        struct logs_opened *o = &a->slots[i % LOGS_AHEAD];

        safe_close(o->fd); /* released already */
        o->read = false;
        o->fd = open_beneath_direct(a->root_fd, a->files[i].path,
                                    O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, &o->direct);
        o->stat_error = 0;
        if (o->fd < 0)
                return;
        if (fstat(o->fd, &o->st) < 0)
                o->stat_error = -errno;
        read_head(o, &a->files[i]);
}

/* Waits until file i has a free slot; false when told to stop. */
static bool wait_room(struct logs_ahead *a, size_t i)
{
        if (i < LOAD(a->released) + LOGS_AHEAD)
                return !LOAD(a->stop);
        pthread_mutex_lock(&a->lock);
        STORE(a->room_at, i + 1 - LOGS_AHEAD / 2);
        STORE(a->thread_waits, true);
        while (!LOAD(a->stop) && LOAD(a->released) < a->room_at)
                pthread_cond_wait(&a->room_cond, &a->lock);
        STORE(a->thread_waits, false);
        pthread_mutex_unlock(&a->lock);
        return !LOAD(a->stop);
}

/* Taking the lock waits for a sleeper that saw its flag set to be inside
 * pthread_cond_wait(); the signal follows the unlock, so that the woken
 * thread does not at once block on the lock the waker holds. */
static void wake(struct logs_ahead *a, pthread_cond_t *cond)
{
        pthread_mutex_lock(&a->lock);
        pthread_mutex_unlock(&a->lock);
        pthread_cond_signal(cond);
}

static void *ahead_main(void *userdata)
{
        struct logs_ahead *a = userdata;

        for (size_t i = 0; i < a->n && wait_room(a, i); i++) {
                open_one(a, i);
                STORE(a->ready, i + 1);
                if (LOAD(a->main_waits) && i + 1 >= LOAD(a->ready_at))
                        wake(a, &a->ready_cond);
        }
        return NULL;
}

int logs_ahead_start(int root_fd, const struct logs_file *files, size_t n, struct logs_ahead **ret)
{
        struct logs_ahead *a = xcalloc(1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        a->root_fd = root_fd;
        a->files = files;
        a->n = n;
        for (size_t k = 0; k < LOGS_AHEAD; k++)
                a->slots[k].fd = -EBADF;
        *ret = a;
        if (n < LOGS_AHEAD_MIN)
                return 0;
        /* one block for the heads of all slots: LOGS_AHEAD * 8 KiB */
        a->heads = xmalloc((size_t) LOGS_AHEAD * LOGS_SNIFF_BYTES);
        if (!a->heads)
                return 0; /* no thread: each file opened and read when asked for */
        for (size_t k = 0; k < LOGS_AHEAD; k++)
                a->slots[k].head = a->heads + k * LOGS_SNIFF_BYTES;
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->ready_cond, NULL);
        pthread_cond_init(&a->room_cond, NULL);
        a->threaded = thread_start(&a->thread, 0, ahead_main, a) == 0;
        if (!a->threaded) { /* open each file when asked for */
                pthread_cond_destroy(&a->room_cond);
                pthread_cond_destroy(&a->ready_cond);
                pthread_mutex_destroy(&a->lock);
        }
        return 0;
}

const struct logs_opened *logs_ahead_get(struct logs_ahead *a, size_t i)
{
        if (!a->threaded) {
                open_one(a, i);
                return &a->slots[i % LOGS_AHEAD];
        }
        if (i >= LOAD(a->ready)) {
                pthread_mutex_lock(&a->lock);
                /* woken when a few files are ready, not for each */
                STORE(a->ready_at, MIN(a->n, i + LOGS_AHEAD / 4));
                STORE(a->main_waits, true);
                while (LOAD(a->ready) < a->ready_at)
                        pthread_cond_wait(&a->ready_cond, &a->lock);
                STORE(a->main_waits, false);
                pthread_mutex_unlock(&a->lock);
        }
        return &a->slots[i % LOGS_AHEAD];
}

void logs_ahead_release(struct logs_ahead *a, size_t i)
{
        if (!a->threaded) {
                a->slots[i % LOGS_AHEAD].fd = safe_close(a->slots[i % LOGS_AHEAD].fd);
                return;
        }
        STORE(a->released, i + 1);
        if (LOAD(a->thread_waits) && i + 1 >= LOAD(a->room_at))
                wake(a, &a->room_cond);
}

void logs_ahead_free(struct logs_ahead *a)
{
        if (!a)
                return;
        if (a->threaded) {
                STORE(a->stop, true);
                wake(a, &a->room_cond);
                pthread_join(a->thread, NULL);
                pthread_cond_destroy(&a->room_cond);
                pthread_cond_destroy(&a->ready_cond);
                pthread_mutex_destroy(&a->lock);
        }
        for (size_t k = 0; k < LOGS_AHEAD; k++)
                safe_close(a->slots[k].fd);
        free(a->heads);
        free(a);
}

/* ---- the listing's helper ---- */

struct logs_helper {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        void (*fn)(void *userdata, size_t k);
        void *userdata;
        size_t from, to;
        bool busy, stop;
};

static void *helper_main(void *userdata)
{
        struct logs_helper *h = userdata;

        pthread_mutex_lock(&h->lock);
        for (;;) {
                while (!h->busy && !h->stop)
                        pthread_cond_wait(&h->cond, &h->lock);
                if (h->stop)
                        break;
                pthread_mutex_unlock(&h->lock);
                for (size_t k = h->from; k < h->to; k++)
                        h->fn(h->userdata, k);
                pthread_mutex_lock(&h->lock);
                h->busy = false;
                pthread_cond_broadcast(&h->cond);
        }
        pthread_mutex_unlock(&h->lock);
        return NULL;
}

struct logs_helper *logs_helper_new(void)
{
        struct logs_helper *h = xcalloc(1, sizeof(*h));
        int r;

        if (!h)
                return NULL;
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->cond, NULL);
        r = thread_start(&h->thread, 0, helper_main, h);
        if (r < 0) {
                pthread_cond_destroy(&h->cond);
                pthread_mutex_destroy(&h->lock);
                free(h);
                return NULL;
        }
        return h;
}

void logs_helper_split(struct logs_helper *h, void (*fn)(void *userdata, size_t k), void *userdata,
                       size_t n)
{
        size_t half = h && n >= 8 ? n / 2 : n;

        if (half < n) {
                pthread_mutex_lock(&h->lock);
                h->fn = fn;
                h->userdata = userdata;
                h->from = half;
                h->to = n;
                h->busy = true;
                pthread_cond_broadcast(&h->cond);
                pthread_mutex_unlock(&h->lock);
        }
        for (size_t k = 0; k < half; k++)
                fn(userdata, k);
        if (half < n) {
                pthread_mutex_lock(&h->lock);
                while (h->busy)
                        pthread_cond_wait(&h->cond, &h->lock);
                pthread_mutex_unlock(&h->lock);
        }
}

void logs_helper_free(struct logs_helper *h)
{
        if (!h)
                return;
        pthread_mutex_lock(&h->lock);
        h->stop = true;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->thread, NULL);
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->lock);
        free(h);
}
