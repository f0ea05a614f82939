/* SPDX-License-Identifier: MIT */
/*
 * Bounded reading of plain and gzip-compressed log files (see logs.h). The
 * raw bytes come from pread() between the offsets fixed at open; gzip data is
 * inflated with zlib in a fixed buffer, concatenated members included.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "logs.h"

void (*logs_test_after_open)(const char *path, int fd) = NULL;

static ssize_t raw_read(struct logs_reader *r, void *buf, size_t size)
{
        ssize_t n;

        if (r->pos >= r->limit)
                return 0;
        size = (size_t) MIN((uint64_t) size, r->limit - r->pos);
        if (r->pos < r->head_len) { /* read already: a small file costs one read */
                size = (size_t) MIN((uint64_t) size, r->head_len - r->pos);
                memcpy(buf, r->head + r->pos, size);
                r->pos += size;
                return (ssize_t) size;
        }
        do
                n = pread(r->fd, buf, size, (off_t) r->pos);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0) {
                /* Truncated (or replaced by copytruncate) while we read. */
                r->shrank = true;
                r->limit = r->pos;
                return 0;
        }
        r->pos += (uint64_t) n;
        return n;
}

int logs_reader_init(struct logs_reader *r, int fd, bool gz, uint64_t start, uint64_t limit)
{
        *r = (struct logs_reader) { .fd = fd, .gz = gz, .pos = start, .limit = limit };
        if (!gz)
                return 0;
        r->in_size = LOGS_READ_CHUNK;
        r->in = xmalloc(r->in_size);
        if (!r->in)
                return -ENOMEM;
        if (inflateInit2(&r->z, 15 + 32) != Z_OK) {
                r->in = mfree(r->in);
                return -ENOMEM;
        }
        r->z_ready = true;
        return 0;
}

static void damage(struct logs_reader *r, const char *what, size_t pending)
{
        r->damaged = true;
        (void) snprintf(r->damage, sizeof(r->damage), "%s after %llu bytes of content", what,
                        (unsigned long long) (r->out_bytes + pending));
}

static ssize_t gz_read(struct logs_reader *r, char *buf, size_t size)
{
        r->z.next_out = (unsigned char *) buf;
        r->z.avail_out = (uInt) size;

        while (r->z.avail_out > 0) {
                int zr;

                if (r->z.avail_in == 0) {
                        ssize_t n = raw_read(r, r->in, r->in_size);
                        if (n < 0)
                                return n;
                        if (n == 0) {
                                if (!r->z_member_done)
                                        damage(r,
                                               r->shrank ? "file shrank while read" :
                                                           "gzip data ends unexpectedly",
                                               size - r->z.avail_out);
                                break;
                        }
                        r->z.next_in = r->in;
                        r->z.avail_in = (uInt) n;
                }
                if (r->z_member_done) {
                        /* Padding after a member (preallocated files) is not damage;
                         * anything else must be another member (concatenated gzip). */
                        while (r->z.avail_in > 0 && *r->z.next_in == 0) {
                                r->z.next_in++;
                                r->z.avail_in--;
                        }
                        if (r->z.avail_in == 0)
                                continue;
                        if (inflateReset(&r->z) != Z_OK) {
                                damage(r, "gzip reset failed", size - r->z.avail_out);
                                break;
                        }
                        r->z_member_done = false;
                }
                zr = inflate(&r->z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END) {
                        r->z_member_done = true;
                        continue;
                }
                if (zr == Z_OK || (zr == Z_BUF_ERROR && r->z.avail_in == 0))
                        continue;
                damage(r, r->z.msg ?: "corrupt gzip data", size - r->z.avail_out);
                break;
        }
        size -= r->z.avail_out;
        r->out_bytes += size;
        return (ssize_t) size;
}

ssize_t logs_reader_read(struct logs_reader *r, char *buf, size_t size)
{
        ssize_t n;

        if (r->damaged)
                return 0;
        if (r->gz)
                return gz_read(r, buf, size);
        n = raw_read(r, buf, size);
        if (n > 0)
                r->out_bytes += (uint64_t) n;
        return n;
}

void logs_reader_done(struct logs_reader *r)
{
        if (r->z_ready)
                (void) inflateEnd(&r->z);
        r->z_ready = false;
        r->in = mfree(r->in);
}

bool logs_is_gzip(const void *head, size_t n)
{
        const unsigned char *magic = head;

        return n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

uint64_t logs_gzip_isize(int fd, uint64_t size)
{
        unsigned char t[4];

        if (size < 18 || pread(fd, t, 4, (off_t) (size - 4)) != 4)
                return 0;
        return (uint64_t) t[0] | (uint64_t) t[1] << 8 | (uint64_t) t[2] << 16 |
               (uint64_t) t[3] << 24;
}
