/* SPDX-License-Identifier: MIT */
/*
 * timeline.svg (analysis/timeline-svg.h). Fixed geometry: a legend of the
 * error sources on top, the bars above the time axis, the markers as dashed
 * lines through the bars with a number, and below the axis the key that says
 * what each number is.
 */
#include <string.h>
#include <time.h>

#include "alloc-util.h"
#include "analysis/timeline-svg.h"

#define W 1000
#define X0 70
#define X1 970
#define Y_TOP 50
#define Y_AXIS 270
#define KEY_Y 320
#define KEY_ROW 18
#define COLORS 7

static const char *const source_colors[COLORS] = {
        "#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c9c9c",
};

static const char *category_color(enum timeline_category c)
{
        switch (c) {
        case TIMELINE_CHANGE:
                return "#1f77b4";
        case TIMELINE_CRASH:
                return "#d62728";
        case TIMELINE_FAILURE:
                return "#ff7f0e";
        case TIMELINE_ALERT:
                return "#9467bd";
        case TIMELINE_COLLECTION:
                return "#2ca02c";
        default:
                return "#7f7f7f";
        }
}

/* Bytes of the valid UTF-8 sequence (allowed in XML) at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
        size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 :
                   s[0] >= 0xE0 && s[0] <= 0xEF ? 3 :
                   s[0] >= 0xC2 && s[0] <= 0xDF ? 2 :
                                                  0;

        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
        if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
            (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90) ||
            (s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE))
                return 0;
        return n;
}

int svg_escape(struct dynbuf *b, const char *s, size_t max)
{
        const unsigned char *p = (const unsigned char *) (s ?: "");
        size_t done = 0;
        int r = 0;

        while (*p && done < max && r >= 0) {
                size_t n = *p < 0x80 ? 1 : utf8_len(p);

                if (n == 0) {
                        r = dynbuf_addc(b, '?');
                        n = 1;
                } else if (*p == '&')
                        r = dynbuf_addstr(b, "&amp;");
                else if (*p == '<')
                        r = dynbuf_addstr(b, "&lt;");
                else if (*p == '>')
                        r = dynbuf_addstr(b, "&gt;");
                else if (*p == '"')
                        r = dynbuf_addstr(b, "&quot;");
                else if (*p == '\'')
                        r = dynbuf_addstr(b, "&apos;");
                else if (*p < 0x20)
                        r = dynbuf_addc(b, ' ');
                else
                        r = dynbuf_add(b, p, n);
                p += n;
                done += n;
        }
        if (r >= 0 && *p)
                r = dynbuf_addstr(b, "…");
        return r;
}

static double x_of(usec_t t, usec_t since, usec_t until)
{
        if (t <= since)
                return X0;
        if (t >= until)
                return X1;
        return X0 + (double) (t - since) * (X1 - X0) / (double) (until - since);
}

static void clock_text(char *buf, size_t size, usec_t t, bool with_date)
{
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&s, &tm) ||
            strftime(buf, size, with_date ? "%m-%d %H:%M" : "%H:%M", &tm) == 0)
                snprintf(buf, size, "?");
}

static int write_axis(struct dynbuf *b, usec_t since, usec_t until, uint64_t ymax)
{
        bool with_date = until - since > 20 * USEC_PER_HOUR;
        char buf[32];
        int r;

        r = dynbuf_addf(b,
                        "<g class=\"axis\" stroke=\"#333\" font-size=\"11\">\n"
                        "<line class=\"x-axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
                        "<line class=\"y-axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                        X0, Y_AXIS, X1, Y_AXIS, X0, Y_TOP, X0, Y_AXIS);
        for (int i = 0; r >= 0 && i <= 6; i++) {
                usec_t t = since + (until - since) / 6 * (usec_t) i;
                double x = x_of(t, since, until);

                clock_text(buf, sizeof(buf), t, with_date);
                r = dynbuf_addf(b,
                                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
                                "<text class=\"tick\" x=\"%.1f\" y=\"%d\" stroke=\"none\" "
                                "text-anchor=\"middle\">%s</text>\n",
                                x, Y_AXIS, x, Y_AXIS + 5, x, Y_AXIS + 18, buf);
        }
        if (r >= 0)
                r = dynbuf_addf(b,
                                "<text x=\"%d\" y=\"%d\" stroke=\"none\" text-anchor=\"end\">"
                                "%llu</text><text x=\"%d\" y=\"%d\" stroke=\"none\" "
                                "text-anchor=\"end\">0</text>\n"
                                "<text x=\"%d\" y=\"%d\" stroke=\"none\">time (UTC)</text>\n"
                                "</g>\n",
                                X0 - 4, Y_TOP + 4, (unsigned long long) ymax, X0 - 4, Y_AXIS,
                                X1 - 60, Y_AXIS + 34);
        return r;
}

static uint64_t bucket_total(json_t *sources, size_t k)
{
        uint64_t n = 0;
        size_t i;
        json_t *s;

        json_array_foreach(sources, i, s)
                n += (uint64_t) json_integer_value(json_array_get(json_object_get(s, "counts"), k));
        return n;
}

static int write_legend(struct dynbuf *b, json_t *sources)
{
        size_t i;
        json_t *s;
        int r;

        r = dynbuf_addstr(b, "<g class=\"legend\" font-size=\"11\">\n");
        json_array_foreach(sources, i, s) {
                if (r < 0 || i >= COLORS)
                        break;
                (void) dynbuf_addf(b,
                                   "<rect x=\"%zu\" y=\"12\" width=\"10\" height=\"10\" "
                                   "fill=\"%s\"/><text x=\"%zu\" y=\"21\">",
                                   X0 + i * 130, source_colors[i], X0 + i * 130 + 14);
                (void) svg_escape(b, json_string_value(json_object_get(s, "name")), 18);
                r = dynbuf_addstr(b, "</text>\n");
        }
        if (r >= 0)
                r = dynbuf_addstr(b, "</g>\n");
        return r;
}

static int write_bars(struct dynbuf *b, json_t *hist, usec_t since, usec_t until, uint64_t ymax)
{
        json_t *sources = json_object_get(hist, "sources");
        size_t n = (size_t) json_integer_value(json_object_get(hist, "buckets"));
        double bw = n ? (double) (X1 - X0) / (double) n : 0;
        bool with_date = until - since > 20 * USEC_PER_HOUR;
        int r = dynbuf_addstr(b, "<g class=\"bars\">\n");

        for (size_t k = 0; r >= 0 && k < n && k < 1000; k++) {
                double y = Y_AXIS;
                size_t i;
                json_t *s;
                char from[32], to[32];

                clock_text(from, sizeof(from), since + (until - since) / n * k, with_date);
                clock_text(to, sizeof(to), since + (until - since) / n * (k + 1), false);
                json_array_foreach(sources, i, s) {
                        json_int_t c = json_integer_value(
                                json_array_get(json_object_get(s, "counts"), k));
                        double h = (double) c * (Y_AXIS - Y_TOP) / (double) ymax;

                        if (c <= 0 || r < 0)
                                continue;
                        y -= h;
                        (void) dynbuf_addf(b,
                                           "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
                                           "width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                                           "<title>",
                                           X0 + bw * k + 0.5, y, MAX(bw - 1, 1.0), h,
                                           source_colors[MIN(i, (size_t) COLORS - 1)]);
                        (void) svg_escape(b, json_string_value(json_object_get(s, "name")), 100);
                        r = dynbuf_addf(b, ": %lld error(s), %s to %s</title></rect>\n",
                                        (long long) c, from, to);
                }
        }
        if (r >= 0)
                r = dynbuf_addstr(b, "</g>\n");
        return r;
}

/* The events that get a marker: the weightiest non-error ones, in time order. */
static size_t pick_markers(const struct timeline *t, size_t *idx)
{
        size_t k = 0;

        for (unsigned w = 1000; k < TIMELINE_SVG_MARKERS; w--) {
                for (size_t i = 0; i < t->n && k < TIMELINE_SVG_MARKERS; i++)
                        if (t->events[i].weight == w && t->events[i].category != TIMELINE_ERROR)
                                idx[k++] = i;
                if (w == 0)
                        break;
        }
        for (size_t i = 1; i < k; i++)
                for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
                        size_t x = idx[j];

                        idx[j] = idx[j - 1];
                        idx[j - 1] = x;
                }
        return k;
}

static int write_markers(struct dynbuf *b, const struct timeline *t, const size_t *idx, size_t n,
                         usec_t since, usec_t until)
{
        int r = dynbuf_addstr(b, "<g class=\"markers\" font-size=\"11\">\n");

        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct timeline_event *e = &t->events[idx[i]];
                const char *color = category_color(e->category);
                double x = x_of(e->time, since, until);
                int level = 0, ly;

                /* markers close together are stacked, not drawn over each other */
                for (size_t k = 0; k < i; k++)
                        if (x_of(t->events[idx[k]].time, since, until) > x - 15)
                                level++;
                ly = Y_TOP - 8 + MIN(level, 12) * 16;

                (void) dynbuf_addf(b,
                                   "<g class=\"marker marker-%s\">"
                                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                                   "stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>"
                                   "<circle cx=\"%.1f\" cy=\"%d\" r=\"7\" fill=\"%s\"/>"
                                   "<text x=\"%.1f\" y=\"%d\" fill=\"#fff\" "
                                   "text-anchor=\"middle\">%zu</text><title>",
                                   timeline_category_to_string(e->category), x, ly + 7, x, Y_AXIS,
                                   color, x, ly, color, x, ly + 4, i + 1);
                (void) svg_escape(b, e->what, 200);
                r = dynbuf_addstr(b, "</title></g>\n");
        }
        if (r >= 0)
                r = dynbuf_addstr(b, "</g>\n");
        return r;
}

static int write_key(struct dynbuf *b, const struct timeline *t, const size_t *idx, size_t n)
{
        int r = dynbuf_addf(b, "<g class=\"key\" font-size=\"12\">\n");

        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct timeline_event *e = &t->events[idx[i]];
                char when[64];

                (void) dynbuf_addf(b,
                                   "<text class=\"label label-%s\" x=\"%d\" y=\"%zu\">"
                                   "<tspan fill=\"%s\" font-weight=\"bold\">%zu</tspan> %s ",
                                   timeline_category_to_string(e->category), X0,
                                   KEY_Y + i * KEY_ROW, category_color(e->category), i + 1,
                                   format_iso8601(when, sizeof(when), e->time));
                (void) svg_escape(b, e->what, 130);
                r = dynbuf_addstr(b, "</text>\n");
        }
        if (r >= 0)
                r = dynbuf_addstr(b, "</g>\n");
        return r;
}

int timeline_svg(const struct timeline *t, json_t *histogram, usec_t since, usec_t until,
                 struct dynbuf *out)
{
        size_t idx[TIMELINE_SVG_MARKERS], n, buckets;
        uint64_t ymax = 1;
        char a[64], z[64];
        int r;

        if (until <= since)
                return -EINVAL;
        buckets = (size_t) json_integer_value(json_object_get(histogram, "buckets"));
        for (size_t k = 0; k < buckets && k < 1000; k++)
                ymax = MAX(ymax, bucket_total(json_object_get(histogram, "sources"), k));
        n = pick_markers(t, idx);
        r = dynbuf_addf(out,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                        "width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" "
                        "font-family=\"sans-serif\">\n<title>Errors and events from %s "
                        "to %s (UTC)</title>\n<rect width=\"100%%\" height=\"100%%\" "
                        "fill=\"#fff\"/>\n",
                        W, (size_t) KEY_Y + n * KEY_ROW + 10, W, (size_t) KEY_Y + n * KEY_ROW + 10,
                        format_iso8601(a, sizeof(a), since), format_iso8601(z, sizeof(z), until));
        if (r >= 0)
                r = write_legend(out, json_object_get(histogram, "sources"));
        if (r >= 0)
                r = write_bars(out, histogram, since, until, ymax);
        if (r >= 0)
                r = write_axis(out, since, until, ymax);
        if (r >= 0)
                r = write_markers(out, t, idx, n, since, until);
        if (r >= 0)
                r = dynbuf_addf(out,
                                "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
                                "font-weight=\"bold\">%s</text>\n",
                                X0, KEY_Y - 18,
                                n ? "Events (numbered on the chart):" :
                                    "No changes, failures, crashes or alerts "
                                    "in the window.");
        if (r >= 0)
                r = write_key(out, t, idx, n);
        if (r >= 0)
                r = dynbuf_addstr(out, "</svg>\n");
        return r;
}
