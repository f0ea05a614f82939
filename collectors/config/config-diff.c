/* SPDX-License-Identifier: MIT */
/*
 * Myers' O(ND) line diff in linear space (the middle-snake divide and conquer
 * of GNU diffutils' diffseq.h, run in its minimal mode), followed by GNU
 * diff's shift_boundaries() so that change groups sit where `diff -u` puts
 * them, and GNU-compatible unified output.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "config-diff.h"
#include "config-snapshot.h"
#include "macro.h"

#define DEFAULT_MAX_LINES ((size_t) 200000)
#define DEFAULT_MAX_WORK ((uint64_t) 200000000)

struct line {
        const char *p;
        size_t len; /* including the '\n', if any */
};

struct side {
        struct line *lines;
        size_t n;
        int *eq;       /* equivalence class of each line */
        char *changed; /* n + 2 entries, index -1 and n are sentinels (0) */
};

struct diff_run {
        const int *xv, *yv;
        char *xchg, *ychg;
        ptrdiff_t *fdiag, *bdiag;
        uint64_t work, max_work;
        bool aborted;
};

bool config_diff_is_binary(const char *data, size_t len)
{
        return len > 0 && memchr(data, 0, len) != NULL;
}

static size_t count_lines(const char *data, size_t len)
{
        size_t n = 0;

        for (const char *p = data, *end = data + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                n++;
                p = nl ? nl + 1 : end;
        }
        return n;
}

static int split_lines(const char *data, size_t len, size_t max_lines, struct side *s)
{
        size_t n = count_lines(data, len), i = 0;

        if (n > max_lines)
                return -E2BIG;
        s->lines = xcalloc(n + 1, sizeof(struct line));
        s->eq = xcalloc(n + 1, sizeof(int));
        s->changed = xcalloc(n + 2, 1);
        if (!s->lines || !s->eq || !s->changed)
                return -ENOMEM;
        for (const char *p = data, *end = data + len; p < end; i++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *next = nl ? nl + 1 : end;

                s->lines[i] = (struct line) { .p = p, .len = (size_t) (next - p) };
                p = next;
        }
        s->n = n;
        return 0;
}

static void side_done(struct side *s)
{
        free(s->lines);
        free(s->eq);
        free(s->changed);
        *s = (struct side) {};
}

static uint64_t hash_line(const struct line *l)
{
        /* FNV-1a; only used to bucket lines, equality is checked byte for byte. */
        uint64_t h = 1469598103934665603ULL;

        for (size_t i = 0; i < l->len; i++) {
                h ^= (unsigned char) l->p[i];
                h *= 1099511628211ULL;
        }
        return h;
}

/* Gives every distinct line (text plus terminator) a small integer. */
static int assign_classes(struct side *a, struct side *b)
{
        size_t total = a->n + b->n, size = 16;
        _cleanup_free_ int *table = NULL;
        _cleanup_free_ const struct line **repr = NULL;
        int next = 0;

        while (size < total * 2)
                size <<= 1;
        table = xmalloc(size * sizeof(int));
        repr = xcalloc(total + 1, sizeof(struct line *));
        if (!table || !repr)
                return -ENOMEM;
        memset(table, 0xff, size * sizeof(int));

        for (int f = 0; f < 2; f++) {
                struct side *s = f == 0 ? a : b;

                for (size_t i = 0; i < s->n; i++) {
                        const struct line *l = &s->lines[i];
                        size_t k = (size_t) hash_line(l) & (size - 1);

                        for (;;) {
                                int c = table[k];

                                if (c < 0) {
                                        table[k] = next;
                                        repr[next] = l;
                                        s->eq[i] = next++;
                                        break;
                                }
                                if (repr[c]->len == l->len &&
                                    memcmp(repr[c]->p, l->p, l->len) == 0) {
                                        s->eq[i] = c;
                                        break;
                                }
                                k = (k + 1) & (size - 1);
                        }
                }
        }
        return 0;
}

struct partition {
        ptrdiff_t xmid, ymid;
};

/* Finds the midpoint of the shortest edit script for x[xoff..xlim) and
 * y[yoff..ylim), as diffseq.h's diag() with find_minimal set. */
static void diag(ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff, ptrdiff_t ylim, struct diff_run *r,
                 struct partition *part)
{
        ptrdiff_t *const fd = r->fdiag, *const bd = r->bdiag;
        const int *const xv = r->xv, *const yv = r->yv;
        const ptrdiff_t dmin = xoff - ylim, dmax = xlim - yoff;
        const ptrdiff_t fmid = xoff - yoff, bmid = xlim - ylim;
        ptrdiff_t fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
        const bool odd = (fmid - bmid) & 1;

        fd[fmid] = xoff;
        bd[bmid] = xlim;

        for (;;) {
                if (fmin > dmin)
                        fd[--fmin - 1] = -1;
                else
                        ++fmin;
                if (fmax < dmax)
                        fd[++fmax + 1] = -1;
                else
                        --fmax;
                for (ptrdiff_t d = fmax; d >= fmin; d -= 2) {
                        ptrdiff_t x, y, tlo = fd[d - 1], thi = fd[d + 1];
                        ptrdiff_t x0 = tlo < thi ? thi : tlo + 1;

                        for (x = x0, y = x0 - d; x < xlim && y < ylim && xv[x] == yv[y]; x++, y++)
                                continue;
                        fd[d] = x;
                        if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
                                part->xmid = x;
                                part->ymid = y;
                                return;
                        }
                }

                if (bmin > dmin)
                        bd[--bmin - 1] = PTRDIFF_MAX;
                else
                        ++bmin;
                if (bmax < dmax)
                        bd[++bmax + 1] = PTRDIFF_MAX;
                else
                        --bmax;
                for (ptrdiff_t d = bmax; d >= bmin; d -= 2) {
                        ptrdiff_t x, y, tlo = bd[d - 1], thi = bd[d + 1];
                        ptrdiff_t x0 = tlo < thi ? tlo : thi - 1;

                        for (x = x0, y = x0 - d; xoff < x && yoff < y && xv[x - 1] == yv[y - 1];
                             x--, y--)
                                continue;
                        bd[d] = x;
                        if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
                                part->xmid = x;
                                part->ymid = y;
                                return;
                        }
                }

                r->work += (uint64_t) (fmax - fmin + bmax - bmin + 2);
                if (r->work > r->max_work) {
                        r->aborted = true;
                        part->xmid = xoff;
                        part->ymid = yoff;
                        return;
                }
        }
}

static void compareseq(ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff, ptrdiff_t ylim,
                       struct diff_run *r)
{
        if (r->aborted)
                return;

        while (xoff < xlim && yoff < ylim && r->xv[xoff] == r->yv[yoff]) {
                xoff++;
                yoff++;
        }
        while (xoff < xlim && yoff < ylim && r->xv[xlim - 1] == r->yv[ylim - 1]) {
                xlim--;
                ylim--;
        }

        if (xoff == xlim) {
                while (yoff < ylim)
                        r->ychg[yoff++] = 1;
        } else if (yoff == ylim) {
                while (xoff < xlim)
                        r->xchg[xoff++] = 1;
        } else {
                struct partition part;

                diag(xoff, xlim, yoff, ylim, r, &part);
                if (r->aborted)
                        return;
                compareseq(xoff, part.xmid, yoff, part.ymid, r);
                compareseq(part.xmid, xlim, part.ymid, ylim, r);
        }
}

/* GNU diff's shift_boundaries(): slides each run of changes to merge with
 * neighbouring runs, then as far down as possible, or back to a point where
 * it lines up with a run of changes in the other file. */
static void shift_boundaries(struct side *sides[2])
{
        for (int f = 0; f < 2; f++) {
                char *changed = sides[f]->changed + 1;
                const char *other_changed = sides[1 - f]->changed + 1;
                const int *equivs = sides[f]->eq;
                ptrdiff_t i = 0, j = 0, i_end = (ptrdiff_t) sides[f]->n;

                for (;;) {
                        ptrdiff_t runlength, start, corresponding;

                        while (i < i_end && !changed[i]) {
                                while (other_changed[j++])
                                        continue;
                                i++;
                        }
                        if (i == i_end)
                                break;

                        start = i;
                        while (changed[++i])
                                continue;
                        while (other_changed[j])
                                j++;

                        do {
                                runlength = i - start;

                                while (start && equivs[start - 1] == equivs[i - 1]) {
                                        changed[--start] = 1;
                                        changed[--i] = 0;
                                        while (changed[start - 1])
                                                start--;
                                        while (other_changed[--j])
                                                continue;
                                }

                                corresponding = other_changed[j - 1] ? i : i_end;

                                while (i != i_end && equivs[start] == equivs[i]) {
                                        changed[start++] = 0;
                                        changed[i++] = 1;
                                        while (changed[i])
                                                i++;
                                        while (other_changed[++j])
                                                corresponding = i;
                                }
                        } while (runlength != i - start);

                        while (corresponding < i) {
                                changed[--start] = 1;
                                changed[--i] = 0;
                                while (other_changed[--j])
                                        continue;
                        }
                }
        }
}

struct change {
        size_t line0, deleted, line1, inserted;
};

struct out {
        config_diff_write_t write;
        void *userdata;
        int r;
};

static void out_write(struct out *o, const char *data, size_t len)
{
        if (o->r >= 0 && len > 0)
                o->r = o->write(o->userdata, data, len);
}

static void out_str(struct out *o, const char *s)
{
        out_write(o, s, strlen(s));
}

static void out_line(struct out *o, char prefix, const struct line *l)
{
        out_write(o, &prefix, 1);
        out_write(o, l->p, l->len);
        if (l->len == 0 || l->p[l->len - 1] != '\n')
                out_str(o, "\n\\ No newline at end of file\n");
}

static void out_range(struct out *o, size_t start, size_t count)
{
        char buf[64];

        if (count == 0)
                (void) snprintf(buf, sizeof(buf), "%zu,0", start);
        else if (count == 1)
                (void) snprintf(buf, sizeof(buf), "%zu", start + 1);
        else
                (void) snprintf(buf, sizeof(buf), "%zu,%zu", start + 1, count);
        out_str(o, buf);
}

static void out_header(struct out *o, const char *old_label, const char *new_label)
{
        out_str(o, "--- ");
        out_str(o, old_label);
        out_str(o, "\n+++ ");
        out_str(o, new_label);
        out_str(o, "\n");
}

static void out_hunk_header(struct out *o, size_t s0, size_t c0, size_t s1, size_t c1)
{
        out_str(o, "@@ -");
        out_range(o, s0, c0);
        out_str(o, " +");
        out_range(o, s1, c1);
        out_str(o, " @@\n");
}

/* Writes every line of data with prefix, without keeping a line table. */
static void out_all_lines(struct out *o, char prefix, const char *data, size_t len)
{
        for (const char *p = data, *end = data + len; p < end && o->r >= 0;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *next = nl ? nl + 1 : end;
                struct line l = { .p = p, .len = (size_t) (next - p) };

                out_line(o, prefix, &l);
                p = next;
        }
}

static int whole_file(struct out *o, const char *old_label, const char *old_data, size_t old_len,
                      const char *new_label, const char *new_data, size_t new_len,
                      struct config_diff_stats *stats)
{
        size_t n0 = count_lines(old_data, old_len), n1 = count_lines(new_data, new_len);

        out_header(o, old_label, new_label);
        out_hunk_header(o, 0, n0, 0, n1);
        out_all_lines(o, '-', old_data, old_len);
        out_all_lines(o, '+', new_data, new_len);
        *stats = (struct config_diff_stats) {
                .deleted = n0,
                .inserted = n1,
                .hunks = 1,
                .whole_file = true,
        };
        return o->r < 0 ? o->r : 0;
}

static int emit_hunks(struct out *o, const char *old_label, const char *new_label,
                      const struct side *a, const struct side *b, unsigned context,
                      struct config_diff_stats *stats)
{
        const char *xc = a->changed + 1, *yc = b->changed + 1;
        _cleanup_free_ struct change *changes = NULL;
        size_t n_changes = 0, alloc = 0, i = 0, j = 0;

        while (i < a->n || j < b->n) {
                if ((i < a->n && xc[i]) || (j < b->n && yc[j])) {
                        struct change c = { .line0 = i, .line1 = j };

                        while (i < a->n && xc[i])
                                i++;
                        while (j < b->n && yc[j])
                                j++;
                        c.deleted = i - c.line0;
                        c.inserted = j - c.line1;
                        if (n_changes == alloc) {
                                size_t na = alloc ? alloc * 2 : 16;
                                struct change *nc = xrealloc(changes, na * sizeof(*nc));

                                if (!nc)
                                        return -ENOMEM;
                                changes = nc;
                                alloc = na;
                        }
                        changes[n_changes++] = c;
                        stats->deleted += c.deleted;
                        stats->inserted += c.inserted;
                } else {
                        i++;
                        j++;
                }
        }

        if (n_changes == 0)
                return 0;

        out_header(o, old_label, new_label);
        for (size_t h = 0; h < n_changes && o->r >= 0;) {
                size_t last = h;

                while (last + 1 < n_changes &&
                       changes[last + 1].line0 - (changes[last].line0 + changes[last].deleted) <
                               2 * (size_t) context + 1)
                        last++;

                const struct change *first = &changes[h], *end = &changes[last];
                size_t s0 = first->line0 > context ? first->line0 - context : 0;
                size_t s1 = first->line1 - (first->line0 - s0);
                size_t e0 = MIN(end->line0 + end->deleted + context, a->n);
                size_t e1 = end->line1 + end->inserted + (e0 - (end->line0 + end->deleted));

                out_hunk_header(o, s0, e0 - s0, s1, e1 - s1);
                size_t x = s0;
                for (size_t k = h; k <= last; k++) {
                        const struct change *c = &changes[k];

                        for (; x < c->line0; x++)
                                out_line(o, ' ', &a->lines[x]);
                        for (size_t d = 0; d < c->deleted; d++)
                                out_line(o, '-', &a->lines[c->line0 + d]);
                        for (size_t d = 0; d < c->inserted; d++)
                                out_line(o, '+', &b->lines[c->line1 + d]);
                        x = c->line0 + c->deleted;
                }
                for (; x < e0; x++)
                        out_line(o, ' ', &a->lines[x]);
                stats->hunks++;
                h = last + 1;
        }
        return o->r < 0 ? o->r : 0;
}

int config_diff_unified(const char *old_label, const char *old_data, size_t old_len,
                        const char *new_label, const char *new_data, size_t new_len,
                        const struct config_diff_limits *limits, config_diff_write_t write,
                        void *userdata, struct config_diff_stats *ret_stats)
{
        size_t max_lines = limits && limits->max_lines ? limits->max_lines : DEFAULT_MAX_LINES;
        uint64_t max_work = limits && limits->max_work ? limits->max_work : DEFAULT_MAX_WORK;
        unsigned context = limits && (limits->context || limits->context_set) ? limits->context : 3;
        struct config_diff_stats stats = {};
        struct out o = { .write = write, .userdata = userdata };
        struct side a = {}, b = {};
        _cleanup_free_ ptrdiff_t *diags = NULL;
        int r;

        if (!old_data)
                old_len = 0;
        if (!new_data)
                new_len = 0;

        if (old_len == new_len && (old_len == 0 || memcmp(old_data, new_data, old_len) == 0)) {
                if (ret_stats)
                        *ret_stats = stats;
                return 0;
        }

        r = split_lines(old_data, old_len, max_lines, &a);
        if (r >= 0)
                r = split_lines(new_data, new_len, max_lines, &b);
        if (r == -E2BIG) {
                side_done(&a);
                side_done(&b);
                r = whole_file(&o, old_label, old_data, old_len, new_label, new_data, new_len,
                               &stats);
                goto finish;
        }
        if (r < 0)
                goto fail;

        r = assign_classes(&a, &b);
        if (r < 0)
                goto fail;

        size_t ndiags = a.n + b.n + 3;
        diags = xmalloc(2 * ndiags * sizeof(ptrdiff_t));
        if (!diags) {
                r = -ENOMEM;
                goto fail;
        }

        struct diff_run run = {
                .xv = a.eq,
                .yv = b.eq,
                .xchg = a.changed + 1,
                .ychg = b.changed + 1,
                .fdiag = diags + b.n + 1,
                .bdiag = diags + b.n + 1 + ndiags,
                .max_work = max_work,
        };
        compareseq(0, (ptrdiff_t) a.n, 0, (ptrdiff_t) b.n, &run);
        if (run.aborted) {
                side_done(&a);
                side_done(&b);
                r = whole_file(&o, old_label, old_data, old_len, new_label, new_data, new_len,
                               &stats);
                goto finish;
        }

        struct side *sides[2] = { &a, &b };
        shift_boundaries(sides);
        r = emit_hunks(&o, old_label, new_label, &a, &b, context, &stats);

finish:
        side_done(&a);
        side_done(&b);
        if (r < 0)
                return r;
        if (ret_stats)
                *ret_stats = stats;
        return 0;

fail:
        side_done(&a);
        side_done(&b);
        return r;
}

static bool key_line(const char *line, size_t len, const char *what)
{
        return memmem(line, len, what, strlen(what)) && memmem(line, len, "PRIVATE KEY", 11);
}

size_t config_diff_strip_keys(char *buf, size_t n)
{
        size_t in = 0, out = 0;

        while (in < n) {
                const char *nl = memchr(buf + in, '\n', n - in);
                size_t len = nl ? (size_t) (nl - (buf + in)) : n - in, end = in + len;
                char hash[65], line[96];
                int l;

                if (!key_line(buf + in, len, "BEGIN")) {
                        memmove(buf + out, buf + in, MIN(len + 1, n - in));
                        out += MIN(len + 1, n - in);
                        in += MIN(len + 1, n - in);
                        continue;
                }
                /* The block: through the END line, or to the end. */
                while (end < n) {
                        const char *s = buf + end + 1, *e = memchr(s, '\n', n - (end + 1));
                        size_t ll = e ? (size_t) (e - s) : n - (end + 1);

                        end += 1 + ll;
                        if (key_line(s, ll, "END"))
                                break;
                }
                if (config_snapshot_sha256(buf + in, end - in, hash) < 0)
                        memcpy(hash, "unknown", 8);
                l = snprintf(line, sizeof(line), "[REDACTED:private-key fingerprint %.8s]", hash);
                /* The replacement is never longer than the block's BEGIN line. */
                l = (int) MIN((size_t) l, end - in);
                memcpy(buf + out, line, (size_t) l);
                out += (size_t) l;
                in = end;
                if (in < n && buf[in] == '\n') {
                        buf[out++] = '\n';
                        in++;
                }
        }
        return out;
}
