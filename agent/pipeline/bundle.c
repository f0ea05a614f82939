/* SPDX-License-Identifier: MIT */
/*
 * Bundle writer (agent/pipeline/bundle.h) over libarchive: pax restricted format,
 * no libarchive filter; the plain tar stream goes to our callback, which cuts
 * it into blocks compressed in parallel (pipeline/gzpool.h) into a multi-member
 * gzip file. Short writes and ENOSPC surface as -errno and the archive's SHA-256
 * is computed on the fly as the members are written in order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <pthread.h>
#include <signal.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "pipeline/bundle.h"
#include "pipeline/gzpool.h"
#include "fd-util.h"
#include "log.h"
#include "redact/redact.h"
#include "sha256.h"
#include "thread-util.h"

/* A staged member added on the writer thread (bundle_add_fd_async). */
struct bundle_job {
        char *name;
        int fd;
        uint64_t size;
        uint64_t tag;
        void *data;           /* bundle_add_data_async(): the member's bytes (fd is -1) */
        bool packed;          /* bundle_add_packed_async() */
        uint64_t packed_size; /* then: the compressed bytes in fd */
        bool hashed;          /* hex was given (bundle_add_fd_async()) */
        int result;
        char hex[65];
};

struct bundle {
        char *path;
        char *tmp_path;
        char *top;
        int fd;
        struct archive *a;
        struct gzpool *gz; /* started with the first tar bytes */
        int level;
        struct sha256 *sha; /* of the compressed file */
        uint64_t bytes;
        uint64_t flushing; /* bytes whose writeback was started (bundle_output) */
        int write_error;
        uint64_t skip; /* tar bytes from libarchive to drop: a packed member's stand-in NULs */
        usec_t mtime;
        struct leakcheck *lc; /* sees every member as it enters the archive, or NULL */
        /* the writer thread: started with the first job; the archive is used by one
         * thread at a time, the writer while jobs are queued, else the caller */
        pthread_mutex_t lock;
        pthread_cond_t work; /* a job was queued, or stop */
        pthread_cond_t done; /* jobs were written */
        pthread_t writer;
        bool writer_started;
        bool writer_idle; /* the writer waits for work */
        unsigned waiting; /* callers waiting on done */
        uint64_t wake_at; /* a waiting caller is woken when run reaches this */
        bool stop;
        struct bundle_job jobs[BUNDLE_JOBS_MAX];
        uint64_t put, run, reaped; /* jobs queued, written, handed back */
        bool finished;
        bool committed;
        char hex[65];
};

/*
 * Every BUNDLE_WRITEBACK bytes written, the kernel is asked to start writing
 * them to the disk (sync_file_range(), without waiting), so that the fsync()
 * at the end, when every other thread is done, waits for the last MiB and the
 * disk's cache flush only: 31-41 ms -> 20-25 ms for the 32 MB bundle of the
 * end-to-end benchmark. A failure is left to the fsync() to report.
 */
#define BUNDLE_WRITEBACK (1u << 20)

/* A compressed member, in order: to the file and the archive's digest. */
static int bundle_output(void *userdata, const void *buf, size_t len)
{
        struct bundle *b = userdata;
        int r;

        r = loop_write(b->fd, buf, len);
        if (r < 0)
                return r;
        sha256_update(b->sha, buf, len);
        b->bytes += len;
        if (b->bytes - b->flushing >= BUNDLE_WRITEBACK) {
                (void) sync_file_range(b->fd, (off_t) b->flushing, (off_t) (b->bytes - b->flushing),
                                       SYNC_FILE_RANGE_WRITE);
                b->flushing = b->bytes;
        }
        return 0;
}

static la_ssize_t bundle_write_cb(struct archive *a, void *userdata, const void *buf, size_t len)
{
        struct bundle *b = userdata;
        size_t drop = (size_t) MIN((uint64_t) len, b->skip);
        int r = 0;

        b->skip -= drop;
        if (!b->gz)
                r = gzpool_new(b->level, 0, 0, bundle_output, b, &b->gz);
        if (r >= 0 && len > drop)
                r = gzpool_write(b->gz, (const char *) buf + drop, len - drop);
        if (r < 0) {
                b->write_error = r;
                archive_set_error(a, -r, "write: %s", strerror(-r));
                return -1;
        }
        return (la_ssize_t) len;
}

int bundle_set_compression(struct bundle *b, int level)
{
        if (level < 0 || level > GZPOOL_LEVEL_MAX)
                return -ERANGE;
        if (b->gz)
                return -EBUSY;
        b->level = level;
        return 0;
}

void bundle_set_leakcheck(struct bundle *b, struct leakcheck *lc)
{
        b->lc = lc;
}

int bundle_new(const char *final_path, usec_t mtime, struct bundle **ret)
{
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        const char *base;
        size_t n;

        if (access(final_path, F_OK) == 0)
                return -EEXIST;
        b = xcalloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->fd = -1;
        b->mtime = mtime;
        pthread_mutex_init(&b->lock, NULL);
        pthread_cond_init(&b->work, NULL);
        pthread_cond_init(&b->done, NULL);
        b->level = GZPOOL_LEVEL_DEFAULT;
        b->path = xstrdup(final_path);
        b->tmp_path = xasprintf("%s.tmp", final_path);
        base = strrchr(final_path, '/');
        base = base ? base + 1 : final_path;
        n = strlen(base);
        if (n > 7 && streq(base + n - 7, ".tar.gz"))
                n -= 7;
        else if (n > 4 && streq(base + n - 4, ".tgz"))
                n -= 4;
        b->top = xstrndup(base, n);
        b->sha = sha256_new();
        if (!b->path || !b->tmp_path || !b->top || !b->sha)
                return -ENOMEM;
        b->fd = open(b->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (b->fd < 0) {
                b->tmp_path = mfree(b->tmp_path);
                return -errno;
        }
        /* Held while writing: a sweep of stale temporary files skips a live one. */
        (void) flock(b->fd, LOCK_EX | LOCK_NB);
        /* Another run may have committed this name between the check and the
         * creation: its rename made the temporary name free again. */
        if (access(final_path, F_OK) == 0)
                return -EEXIST;
        (void) fchmod(b->fd, 0600);
        b->a = archive_write_new();
        if (!b->a)
                return -ENOMEM;
        if (archive_write_set_format_pax_restricted(b->a) != ARCHIVE_OK ||
            archive_write_add_filter_none(b->a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(b->a, 0) != ARCHIVE_OK ||
            archive_write_open2(b->a, b, NULL, bundle_write_cb, NULL, NULL) != ARCHIVE_OK) {
                log_error("cannot start archive '%s': %s", final_path, archive_error_string(b->a));
                return -EIO;
        }
        *ret = TAKE_PTR(b);
        return 0;
}

static int bundle_header(struct bundle *b, const char *name, uint64_t size, bool check)
{
        _cleanup_free_ char *full = xasprintf("%s/%s", b->top, name);
        struct archive_entry *e;
        int r;

        if (!full)
                return -ENOMEM;
        if (b->committed)
                return -EINVAL;
        e = archive_entry_new();
        if (!e)
                return -ENOMEM;
        archive_entry_set_pathname(e, full);
        archive_entry_set_size(e, (la_int64_t) size);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0600);
        archive_entry_set_mtime(e, (time_t) (b->mtime / USEC_PER_SEC), 0);
        archive_entry_set_uname(e, "root");
        archive_entry_set_gname(e, "root");
        r = archive_write_header(b->a, e);
        archive_entry_free(e);
        if (r == ARCHIVE_OK && b->lc && check)
                (void) leakcheck_member(b->lc, full); /* a failure fails the check */
        if (r != ARCHIVE_OK) {
                if (b->write_error < 0)
                        return b->write_error;
                log_error("cannot add '%s' to the bundle: %s", name, archive_error_string(b->a));
                return -EIO;
        }
        return 0;
}

static int bundle_data(struct bundle *b, const void *data, size_t len)
{
        la_ssize_t n = archive_write_data(b->a, data, len);

        if (b->lc)
                leakcheck_feed(b->lc, data, len);
        if (n < 0 || (size_t) n != len) {
                if (b->write_error < 0)
                        return b->write_error;
                log_error("cannot write to the bundle: %s", archive_error_string(b->a));
                return -EIO;
        }
        return 0;
}

static int bundle_add_fd_now(struct bundle *b, const char *name, int fd, uint64_t size, char *hex)
{
        char buf[64 * 1024];
        uint64_t left = size;
        _cleanup_(sha256_freep) struct sha256 *c = NULL;
        int r;

        /* the digest first: once the header is written, only a read error fails */
        if (hex) {
                c = sha256_new();
                if (!c)
                        return -ENOMEM;
        }
        r = bundle_header(b, name, size, true);
        if (r < 0)
                return r;
        while (left > 0) {
                ssize_t n = loop_read(fd, buf, (size_t) MIN(left, (uint64_t) sizeof(buf)));

                if (n < 0)
                        return (int) n;
                if (n == 0) {
                        /* The staged file shrank: pad so the header stays true. */
                        memset(buf, 0, sizeof(buf));
                        n = (ssize_t) MIN(left, (uint64_t) sizeof(buf));
                }
                if (c)
                        sha256_update(c, buf, (size_t) n);
                r = interrupt_pending() ? -EINTR : bundle_data(b, buf, (size_t) n);
                if (r < 0)
                        return r;
                left -= (uint64_t) n;
        }
        if (c)
                sha256_final_hex(c, hex);
        return 0;
}

/* A packed member (bundle_add_packed_async): the header through libarchive
 * and out as a gzip member of its own, the packed members copied, and the
 * NULs libarchive then writes in place of the content dropped (its padding
 * goes on into the next gzip member). */
static int bundle_add_packed_now(struct bundle *b, struct bundle_job *j)
{
        char buf[64 * 1024];
        uint64_t left = j->packed_size;
        int r;

        r = bundle_header(b, j->name, j->size, false);
        if (r < 0)
                return r;
        r = b->gz ? gzpool_flush(b->gz) : -EIO;
        while (r >= 0 && left > 0) {
                ssize_t n = loop_read(j->fd, buf, (size_t) MIN(left, (uint64_t) sizeof(buf)));

                if (n <= 0)
                        r = n < 0 ? (int) n : -EIO; /* the staged file shrank */
                else if (interrupt_pending())
                        r = -EINTR;
                else
                        r = bundle_output(b, buf, (size_t) n);
                left -= n > 0 ? (uint64_t) n : 0;
        }
        if (r < 0) {
                b->write_error = b->write_error ?: r;
                return r;
        }
        b->skip = j->size;
        if (archive_write_finish_entry(b->a) != ARCHIVE_OK || b->skip != 0) {
                b->skip = 0;
                if (b->write_error < 0)
                        return b->write_error;
                log_error("cannot add '%s' to the bundle: %s", j->name, archive_error_string(b->a));
                return -EIO;
        }
        return 0;
}

/*
 * Hand-offs come in batches, each wake-up costs both threads a context
 * switch (and on a machine with few CPUs the woken thread preempts the
 * waker): an idle writer is woken when half the ring is queued (at once for
 * a staged member), a waiting caller when the writer has written half the
 * ring or everything. A caller about to wait wakes the writer first.
 */

/* One wait for the writer, under lock: woken when run reaches wake_at (or
 * every job is written). */
static void wait_done(struct bundle *b, uint64_t wake_at)
{
        if (b->writer_idle && b->run < b->put)
                pthread_cond_signal(&b->work); /* a batch not yet handed over */
        b->wake_at = wake_at;
        b->waiting++;
        pthread_cond_wait(&b->done, &b->lock);
        b->waiting--;
}

/* Waits until the writer thread has written every queued job: the caller
 * may then use the archive. */
static void wait_idle(struct bundle *b)
{
        pthread_mutex_lock(&b->lock);
        while (b->run < b->put)
                wait_done(b, b->put);
        pthread_mutex_unlock(&b->lock);
}

int bundle_add_fd(struct bundle *b, const char *name, int fd, uint64_t size, char *hex)
{
        wait_idle(b);
        return bundle_add_fd_now(b, name, fd, size, hex);
}

static int bundle_add_data_now(struct bundle *b, const char *name, const void *data, size_t len,
                               char *hex)
{
        int r;

        if (hex)
                sha256_hex(data, len, hex);
        r = bundle_header(b, name, len, true);
        if (r < 0)
                return r;
        return len ? bundle_data(b, data, len) : 0;
}

static void *writer_main(void *userdata)
{
        struct bundle *b = userdata;

        thread_helper_priority();

        pthread_mutex_lock(&b->lock);
        for (;;) {
                while (!b->stop && b->run == b->put) {
                        b->writer_idle = true;
                        pthread_cond_wait(&b->work, &b->lock);
                        b->writer_idle = false;
                }
                if (b->stop)
                        break;
                struct bundle_job *j = &b->jobs[b->run % BUNDLE_JOBS_MAX];

                pthread_mutex_unlock(&b->lock);
                if (j->data) {
                        j->result = bundle_add_data_now(b, j->name, j->data, (size_t) j->size,
                                                        j->hex);
                        j->data = mfree(j->data);
                } else if (j->packed)
                        j->result = bundle_add_packed_now(b, j);
                else
                        j->result = bundle_add_fd_now(b, j->name, j->fd, j->size,
                                                      j->hashed ? NULL : j->hex);
                j->fd = safe_close(j->fd);
                pthread_mutex_lock(&b->lock);
                b->run++;
                if (b->waiting > 0 && (b->run == b->put || b->run >= b->wake_at)) {
                        pthread_mutex_unlock(&b->lock);
                        pthread_cond_broadcast(&b->done);
                        pthread_mutex_lock(&b->lock);
                }
        }
        pthread_mutex_unlock(&b->lock);
        return NULL;
}

static int start_writer(struct bundle *b)
{
        int r;

        if (b->writer_started)
                return 0;
        /* bundle_add_fd_now() keeps a 64 KiB buffer on the stack */
        r = thread_start(&b->writer, 512 * 1024, writer_main, b);
        if (r < 0)
                return r;
        b->writer_started = true;
        return 0;
}

static int queue_job(struct bundle *b, const struct bundle_job *job)
{
        struct bundle_job *j;
        char *n;
        int r;

        if (b->put - b->reaped >= BUNDLE_JOBS_MAX)
                return -EBUSY;
        r = start_writer(b);
        if (r < 0)
                return r;
        n = xstrdup(job->name);
        if (!n)
                return -ENOMEM;
        j = &b->jobs[b->put % BUNDLE_JOBS_MAX];
        *j = *job;
        j->name = n;
        pthread_mutex_lock(&b->lock);
        b->put++;
        /* small members are handed over in batches: one wake-up for several */
        bool wake = b->writer_idle && (!j->data || b->put - b->run >= BUNDLE_JOBS_MAX / 2);
        pthread_mutex_unlock(&b->lock);
        if (wake)
                pthread_cond_signal(&b->work);
        return 0;
}

int bundle_add_fd_async(struct bundle *b, const char *name, int fd, uint64_t size, const char *hex,
                        uint64_t tag)
{
        struct bundle_job j = {
                .name = (char *) name, .fd = fd, .size = size, .tag = tag, .hashed = hex != NULL
        };

        if (hex)
                memcpy(j.hex, hex, sizeof(j.hex));
        return queue_job(b, &j);
}

int bundle_add_packed_async(struct bundle *b, const char *name, int fd, uint64_t size,
                            uint64_t packed_size, const char hex[static 65], uint64_t tag)
{
        struct bundle_job j = { .name = (char *) name,
                                .fd = fd,
                                .size = size,
                                .tag = tag,
                                .packed = true,
                                .packed_size = packed_size };

        memcpy(j.hex, hex, sizeof(j.hex));
        return queue_job(b, &j);
}

int bundle_add_data_async(struct bundle *b, const char *name, void *data, size_t len, uint64_t tag)
{
        int r = queue_job(b, &(struct bundle_job) { .name = (char *) name,
                                                    .fd = -1,
                                                    .data = data,
                                                    .size = len,
                                                    .tag = tag });

        if (r < 0)
                free(data);
        return r;
}

int bundle_level(const struct bundle *b)
{
        return b->level;
}

struct leakcheck *bundle_leakcheck(const struct bundle *b)
{
        return b->lc;
}

int bundle_reap(struct bundle *b, bool wait, uint64_t *ret_tag, char hex[static 65])
{
        struct bundle_job *j;
        int r;

        if (b->reaped == b->put)
                return 0;
        pthread_mutex_lock(&b->lock);
        while (wait && b->run == b->reaped)
                wait_done(b, b->reaped + BUNDLE_JOBS_MAX / 2);
        r = b->run > b->reaped;
        pthread_mutex_unlock(&b->lock);
        if (!r)
                return 0;
        j = &b->jobs[b->reaped % BUNDLE_JOBS_MAX];
        *ret_tag = j->tag;
        memcpy(hex, j->hex, 65);
        j->name = mfree(j->name);
        b->reaped++;
        return j->result < 0 ? j->result : 1;
}

unsigned bundle_jobs(const struct bundle *b)
{
        return (unsigned) (b->put - b->reaped);
}

int bundle_add_data(struct bundle *b, const char *name, const void *data, size_t len, char *hex)
{
        wait_idle(b);
        return bundle_add_data_now(b, name, data, len, hex);
}

int bundle_finish(struct bundle *b)
{
        int r;

        if (b->finished)
                return -EINVAL;
        wait_idle(b);
        if (archive_write_close(b->a) != ARCHIVE_OK) {
                if (b->write_error < 0)
                        return b->write_error;
                log_error("cannot finish the bundle: %s", archive_error_string(b->a));
                return -EIO;
        }
        if (b->write_error < 0)
                return b->write_error;
        r = b->gz ? gzpool_finish(b->gz) : -EIO;
        if (r < 0)
                return r;
        if (fsync(b->fd) < 0)
                return -errno;
        b->finished = true;
        sha256_final_hex(b->sha, b->hex);
        return 0;
}

int rename_noreplace(const char *from, const char *to)
{
        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) >= 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        /* No renameat2 on this filesystem: link refuses to replace as well. */
        if (link(from, to) < 0)
                return -errno;
        (void) unlink(from);
        return 0;
}

int bundle_commit(struct bundle *b)
{
        int r;

        if (b->committed)
                return -EINVAL;
        if (!b->finished) {
                r = bundle_finish(b);
                if (r < 0)
                        return r;
        }
        r = rename_noreplace(b->tmp_path, b->path);
        if (r < 0)
                return r;
        b->tmp_path = mfree(b->tmp_path);
        b->committed = true;
        return 0;
}

int bundle_move_aside(struct bundle *b, const char *path)
{
        int r;

        if (!b->finished || b->committed)
                return -EINVAL;
        r = rename_noreplace(b->tmp_path, path);
        if (r < 0)
                return r;
        b->tmp_path = mfree(b->tmp_path);
        free(b->path);
        b->path = xstrdup(path);
        b->committed = true;
        return b->path ? 0 : -ENOMEM;
}

const char *bundle_tmp_path(const struct bundle *b)
{
        return b->tmp_path;
}

/* Temporary bundles older than an hour that no live writer holds (flock). */
int bundle_sweep(const char *dir)
{
        DIR *d = opendir(dir);
        time_t cutoff = time(NULL) - 3600;
        unsigned seen = 0, removed = 0;
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d)) && seen++ < 100000) {
                _cleanup_close_ int fd = -1;
                size_t n = strlen(de->d_name);
                struct stat st;

                if (strncmp(de->d_name, "collect-", 8) != 0 || n < 11 ||
                    !streq(de->d_name + n - 11, ".tar.gz.tmp"))
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_mtime > cutoff ||
                    flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) >= 0) {
                        log_info("removed the stale temporary bundle '%s/%s'", dir, de->d_name);
                        removed++;
                }
        }
        closedir(d);
        return (int) removed;
}

struct bundle *bundle_free(struct bundle *b)
{
        if (!b)
                return NULL;
        if (b->writer_started) {
                pthread_mutex_lock(&b->lock);
                b->stop = true;
                pthread_cond_broadcast(&b->work);
                pthread_mutex_unlock(&b->lock);
                pthread_join(b->writer, NULL);
        }
        for (uint64_t i = b->reaped; i < b->put; i++) {
                struct bundle_job *j = &b->jobs[i % BUNDLE_JOBS_MAX];

                safe_close(j->fd);
                free(j->data);
                free(j->name);
        }
        pthread_cond_destroy(&b->work);
        pthread_cond_destroy(&b->done);
        pthread_mutex_destroy(&b->lock);
        if (b->a)
                archive_write_free(b->a);
        gzpool_free(b->gz);
        safe_close(b->fd);
        if (b->tmp_path)
                (void) unlink(b->tmp_path);
        sha256_free(b->sha);
        free(b->tmp_path);
        free(b->path);
        free(b->top);
        free(b);
        return NULL;
}

const char *bundle_path(const struct bundle *b)
{
        return b->path;
}

const char *bundle_top(const struct bundle *b)
{
        return b->top;
}

uint64_t bundle_bytes(const struct bundle *b)
{
        return b->bytes;
}

const char *bundle_sha256(const struct bundle *b)
{
        return b->hex;
}

int sha256_fd_hex(int fd, char hex[static 65])
{
        _cleanup_(sha256_freep) struct sha256 *c = sha256_new();
        unsigned char buf[64 * 1024];
        ssize_t n;

        if (!c)
                return -ENOMEM;
        while ((n = loop_read(fd, buf, sizeof(buf))) > 0)
                sha256_update(c, buf, (size_t) n);
        if (n < 0)
                return (int) n;
        sha256_final_hex(c, hex);
        return 0;
}
