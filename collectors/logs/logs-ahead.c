/* SPDX-License-Identifier: MIT */
/*
 * The log files opened ahead: with many small files the collecting thread
 * spends a third of its time in open, fstat and close. A second thread opens
 * the next files (beneath the root, as open_beneath() does for everyone) and
 * measures them while the collecting thread reads, filters and writes the
 * current one; a ring of LOGS_AHEAD slots bounds the descriptors held. The
 * thread sleeps when the ring is full until half of it is free again, so that
 * the two threads wake each other about once per LOGS_AHEAD / 2 files, not
 * per file. Nothing is read here: the first read of a file comes after the
 * never_collect check, on the collecting thread.
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

struct logs_ahead {
        int root_fd;
        const struct logs_file *files;
        size_t n;
        struct logs_opened slots[LOGS_AHEAD];
        bool threaded;
        size_t seen_ready; /* the collecting thread's copy of ready */
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t ready_cond; /* the collecting thread waits for a file */
        pthread_cond_t room_cond;  /* the opening thread waits for free slots */
        /* under lock */
        size_t ready;    /* files [0, ready) are open (or failed) */
        size_t released; /* files [0, released) were given back */
        size_t room_at;  /* the opening thread sleeps until released reaches this */
        bool main_waits, thread_waits, stop;
};

static void open_one(struct logs_ahead *a, size_t i)
{
        struct logs_opened *o = &a->slots[i % LOGS_AHEAD];

        safe_close(o->fd); /* released already */
        o->fd = open_beneath(a->root_fd, a->files[i].path,
                             O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        o->stat_error = 0;
        if (o->fd >= 0 && fstat(o->fd, &o->st) < 0)
                o->stat_error = -errno;
}

/* Waits until file i has a free slot; false when told to stop. */
static bool wait_room(struct logs_ahead *a, size_t i)
{
        bool go;

        pthread_mutex_lock(&a->lock);
        if (i >= a->released + LOGS_AHEAD) {
                a->room_at = i + 1 - LOGS_AHEAD / 2;
                a->thread_waits = true;
                while (!a->stop && a->released < a->room_at)
                        pthread_cond_wait(&a->room_cond, &a->lock);
                a->thread_waits = false;
        }
        go = !a->stop;
        pthread_mutex_unlock(&a->lock);
        return go;
}

static void *ahead_main(void *userdata)
{
        struct logs_ahead *a = userdata;

        for (size_t i = 0; i < a->n && wait_room(a, i); i++) {
                open_one(a, i);
                pthread_mutex_lock(&a->lock);
                a->ready = i + 1;
                if (a->main_waits)
                        pthread_cond_signal(&a->ready_cond);
                pthread_mutex_unlock(&a->lock);
        }
        return NULL;
}

int logs_ahead_start(int root_fd, const struct logs_file *files, size_t n, struct logs_ahead **ret)
{
        struct logs_ahead *a = xcalloc(1, sizeof(*a));
        sigset_t all, old;

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
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->ready_cond, NULL);
        pthread_cond_init(&a->room_cond, NULL);
        /* signals are the collecting thread's business */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        a->threaded = pthread_create(&a->thread, NULL, ahead_main, a) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
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
        if (i >= a->seen_ready) {
                pthread_mutex_lock(&a->lock);
                while (a->ready <= i) {
                        a->main_waits = true;
                        pthread_cond_wait(&a->ready_cond, &a->lock);
                }
                a->main_waits = false;
                a->seen_ready = a->ready;
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
        pthread_mutex_lock(&a->lock);
        a->released = i + 1;
        if (a->thread_waits && a->released >= a->room_at)
                pthread_cond_signal(&a->room_cond);
        pthread_mutex_unlock(&a->lock);
}

void logs_ahead_free(struct logs_ahead *a)
{
        if (!a)
                return;
        if (a->threaded) {
                pthread_mutex_lock(&a->lock);
                a->stop = true;
                pthread_cond_signal(&a->room_cond);
                pthread_mutex_unlock(&a->lock);
                pthread_join(a->thread, NULL);
                pthread_cond_destroy(&a->room_cond);
                pthread_cond_destroy(&a->ready_cond);
                pthread_mutex_destroy(&a->lock);
        }
        for (size_t k = 0; k < LOGS_AHEAD; k++)
                safe_close(a->slots[k].fd);
        free(a);
}
