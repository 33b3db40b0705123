#define _POSIX_C_SOURCE 200809L
#include "cx_plot_trace.h"
#include "cx_strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tableau 10: distinct, and readable on white. */
static const char *const PALETTE[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
enum { NPALETTE = sizeof PALETTE / sizeof PALETTE[0] };

enum { MARGIN_LEFT = 72, MARGIN_RIGHT = 20, MARGIN_TOP = 34, MARGIN_BOTTOM = 46, PANEL_GAP = 12 };

/* ---- scales and ticks ---- */

/* Heckbert's nice numbers: 1, 2 or 5 times a power of ten. */
static double nice_num(double x, int round_it)
{
    double e = floor(log10(x)), f = x / pow(10.0, e), nf;
    if (round_it)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10.0, e);
}

static double tick_step(double lo, double hi, int nticks)
{
    return nice_num(nice_num(hi - lo, 0) / (nticks - 1), 1);
}

/* Gives [lo, hi] a non-zero width. */
static void widen(double *lo, double *hi)
{
    if (*hi > *lo) return;
    double pad = *lo != 0 ? fabs(*lo) * 0.1 : 1.0;
    *lo -= pad;
    *hi += pad;
}

static void tick_label(char *out, size_t n, double v, double step)
{
    if (fabs(v) < step * 1e-9) v = 0; /* no "-0" */
    int decimals = (int)-floor(log10(step) + 1e-9);
    if (decimals < 0) decimals = 0;
    if (decimals > 6 || fabs(v) >= 1e7)
        snprintf(out, n, "%g", v);
    else
        snprintf(out, n, "%.*f", decimals, v);
}

typedef struct {
    double x0, y0, w, h; /* panel in pixels */
    double lo_x, hi_x;   /* data range along x */
    double lo_y, hi_y;   /* data range along y */
} panel;

static double px_x(const panel *p, double x)
{
    return p->x0 + (x - p->lo_x) / (p->hi_x - p->lo_x) * p->w;
}

static double px_y(const panel *p, double y)
{
    double v = p->y0 + p->h - (y - p->lo_y) / (p->hi_y - p->lo_y) * p->h;
    return v < -1e6 ? -1e6 : v > 1e6 ? 1e6 : v; /* far outside is clipped anyway */
}

/* Frame, grid, ticks and tick labels; x labels only when with_x_labels. */
static void draw_axes(cx_strbuf *b, const panel *p, int with_x_labels, int y_ticks)
{
    char label[64];
    cx_strbuf_printf(b, "<g font-size=\"11\" fill=\"#333\">\n");
    double sx = tick_step(p->lo_x, p->hi_x, 8);
    for (double k = ceil(p->lo_x / sx - 1e-9); k * sx <= p->hi_x + sx * 1e-9; k++) {
        double x = px_x(p, k * sx);
        cx_strbuf_printf(
            b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", x,
            p->y0, x, p->y0 + p->h);
        cx_strbuf_printf(
            b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x,
            p->y0 + p->h, x, p->y0 + p->h + 4);
        if (!with_x_labels) continue;
        tick_label(label, sizeof label, k * sx, sx);
        cx_strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                         p->y0 + p->h + 16, label);
    }
    if (y_ticks) {
        double sy = tick_step(p->lo_y, p->hi_y, p->h < 120 ? 3 : 6);
        for (double k = ceil(p->lo_y / sy - 1e-9); k * sy <= p->hi_y + sy * 1e-9; k++) {
            double y = px_y(p, k * sy);
            cx_strbuf_printf(
                b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
                p->x0, y, p->x0 + p->w, y);
            cx_strbuf_printf(
                b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                p->x0 - 4, y, p->x0, y);
            tick_label(label, sizeof label, k * sy, sy);
            cx_strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                             p->x0 - 6, y + 4, label);
        }
    }
    cx_strbuf_printf(b,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                     "stroke=\"#333\"/>\n</g>\n",
                     p->x0, p->y0, p->w, p->h);
}

static void svg_begin(cx_strbuf *b, int width, int height, const char *title)
{
    cx_strbuf_printf(b,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                     "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                     width, height, width, height);
    if (title && *title) {
        cx_strbuf_printf(b, "<text x=\"%.1f\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">",
                         width / 2.0);
        cx_strbuf_xml(b, title, 0, CX_STRBUF_XML_LABEL);
        cx_strbuf_printf(b, "</text>\n");
    }
}

static void axis_labels(cx_strbuf *b, int width, int height, double mid_y, const char *x_label,
                        const char *y_label)
{
    if (x_label && *x_label) {
        cx_strbuf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">",
                         MARGIN_LEFT + (width - MARGIN_LEFT - MARGIN_RIGHT) / 2.0, height - 8);
        cx_strbuf_xml(b, x_label, 0, CX_STRBUF_XML_LABEL);
        cx_strbuf_printf(b, "</text>\n");
    }
    if (y_label && *y_label) {
        cx_strbuf_printf(b,
                         "<text x=\"14\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
                         "transform=\"rotate(-90 14 %.1f)\">",
                         mid_y, mid_y);
        cx_strbuf_xml(b, y_label, 0, CX_STRBUF_XML_LABEL);
        cx_strbuf_printf(b, "</text>\n");
    }
}

static cx_status svg_finish(cx_strbuf *b, const char *path)
{
    cx_strbuf_printf(b, "</svg>\n");
    return cx_strbuf_write(b, path);
}

/* ---- traces: min/max per pixel column ---- */

typedef struct {
    double x, y;
} pt;

/* Points of one pixel column: the first four as they come, then first,
 * min, max and last (min and max in the order they occurred). */
typedef struct {
    long col;
    size_t n;
    pt raw[4], first, last, min, max;
    size_t i_min, i_max;
    int pen_down; /* the next point continues the line */
} column;

static void put_point(cx_strbuf *b, column *c, pt p)
{
    cx_strbuf_printf(b, c->pen_down ? " %.1f,%.1f" : " M%.1f,%.1f", p.x, p.y);
    c->pen_down = 1;
}

static void column_flush(cx_strbuf *b, column *c)
{
    if (c->n <= 4) {
        for (size_t i = 0; i < c->n; i++)
            put_point(b, c, c->raw[i]);
    } else {
        put_point(b, c, c->first);
        put_point(b, c, c->i_min < c->i_max ? c->min : c->max);
        put_point(b, c, c->i_min < c->i_max ? c->max : c->min);
        put_point(b, c, c->last);
    }
    c->n = 0;
}

static void column_add(cx_strbuf *b, column *c, long col, pt p)
{
    if (c->n && col != c->col) column_flush(b, c);
    c->col = col;
    if (c->n < 4) c->raw[c->n] = p;
    if (c->n == 0) c->first = c->min = c->max = p;
    if (c->n == 0) c->i_min = c->i_max = 0;
    if (p.y < c->min.y) {
        c->min = p;
        c->i_min = c->n;
    }
    if (p.y > c->max.y) {
        c->max = p;
        c->i_max = c->n;
    }
    c->last = p;
    c->n++;
}

static void draw_trace(cx_strbuf *b, const panel *p, const double *t, const double *y, size_t n,
                       const char *color, int clip_id)
{
    cx_strbuf_printf(
        b,
        "<path clip-path=\"url(#clip%d)\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" "
        "stroke-linejoin=\"round\" d=\"",
        clip_id, color);
    column c = {0};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t[i]) || !isfinite(y[i])) { /* a gap */
            if (c.n) column_flush(b, &c);
            c.pen_down = 0;
            continue;
        }
        pt q = {px_x(p, t[i]), px_y(p, y[i])};
        column_add(b, &c, (long)floor(q.x - p->x0), q);
    }
    if (c.n) column_flush(b, &c);
    cx_strbuf_printf(b, "\"/>\n");
}

static void clip_rect(cx_strbuf *b, const panel *p, int id)
{
    cx_strbuf_printf(b,
                     "<clipPath id=\"clip%d\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\"/></clipPath>\n",
                     id, p->x0, p->y0 - 1, p->w, p->h + 2);
}

/* Finite range of v[0..n); 0 when none is finite. */
static int finite_range(const double *v, size_t n, double *lo, double *hi)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (!any || v[i] < *lo) *lo = v[i];
        if (!any || v[i] > *hi) *hi = v[i];
        any = 1;
    }
    return any;
}

/* Finite range of y where t is finite too. */
static int trace_range(const double *t, const double *y, size_t n, double *lo, double *hi)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t[i]) || !isfinite(y[i])) continue;
        if (!any || y[i] < *lo) *lo = y[i];
        if (!any || y[i] > *hi) *hi = y[i];
        any = 1;
    }
    return any;
}

/* y range of a panel: fixed, or the data's widened to whole ticks. */
static void y_range(const cx_svg_options *o, double lo, double hi, int any, double h_px,
                    double *out_lo, double *out_hi)
{
    if (o->y_min < o->y_max && isfinite(o->y_min) && isfinite(o->y_max)) {
        *out_lo = o->y_min;
        *out_hi = o->y_max;
        return;
    }
    if (!any) {
        lo = 0;
        hi = 1;
    }
    widen(&lo, &hi);
    double step = tick_step(lo, hi, h_px < 120 ? 3 : 6);
    *out_lo = floor(lo / step) * step;
    *out_hi = ceil(hi / step) * step;
}

static void legend_entry(cx_strbuf *b, double x, double y, const char *color, const char *name,
                         size_t k)
{
    cx_strbuf_printf(b,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\"/>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">",
                     x, y, x + 18, y, color, x + 24, y + 4);
    if (name)
        cx_strbuf_xml(b, name, 0, CX_STRBUF_XML_LABEL);
    else
        cx_strbuf_printf(b, "trace %zu", k);
    cx_strbuf_printf(b, "</text>\n");
}

cx_status cx_svg_plot_traces(const char *path, const char *title, const char *x_label,
                             const char *y_label, size_t n_traces, const char *const *names,
                             const double *t, const double *const *y, size_t n_points,
                             const cx_svg_options *opts)
{
    static const cx_svg_options defaults = {0};
    const cx_svg_options *o = opts ? opts : &defaults;
    if (n_points && (!t || (n_traces && !y)))
        return cx_fail(CX_ERR_VALUE, "%s: plot of %zu points without data", path, n_points);
    for (size_t k = 0; k < n_traces && n_points; k++)
        if (!y[k]) return cx_fail(CX_ERR_VALUE, "%s: trace %zu has no data", path, k);
    int stacked = o->layout == CX_SVG_STACKED && n_traces > 0;
    size_t n_panels = stacked ? n_traces : 1;
    int width = o->width_px > 0 ? o->width_px : 800;
    int height = o->height_px > 0 ? o->height_px
                 : stacked        ? MARGIN_TOP + MARGIN_BOTTOM + 140 * (int)n_panels
                                  : 480;
    /* Overlaid traces get a legend column at the right. */
    size_t longest = 8;
    for (size_t k = 0; k < n_traces && names; k++)
        if (names[k] && strlen(names[k]) > longest) longest = strlen(names[k]);
    double legend_w = !stacked && n_traces ? fmin(220.0, 36.0 + 6.5 * (double)longest) : 0;
    double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT - legend_w;
    double plot_h = (height - MARGIN_TOP - MARGIN_BOTTOM - PANEL_GAP * ((double)n_panels - 1)) /
                    (double)n_panels;
    if (plot_w < 20 || plot_h < 20)
        return cx_fail(CX_ERR_VALUE, "%s: %dx%d px is too small for %zu panel(s)", path, width,
                       height, n_panels);

    double lo_x = 0, hi_x = 1;
    if (!n_points || !finite_range(t, n_points, &lo_x, &hi_x)) {
        lo_x = 0;
        hi_x = 1;
    }
    widen(&lo_x, &hi_x);

    cx_strbuf b = {0};
    svg_begin(&b, width, height, title);
    for (size_t pi = 0; pi < n_panels; pi++) {
        panel p = {MARGIN_LEFT, MARGIN_TOP + (double)pi * (plot_h + PANEL_GAP),
                   plot_w,      plot_h,
                   lo_x,        hi_x,
                   0,           1};
        size_t k0 = stacked ? pi : 0, k1 = stacked ? pi + 1 : n_traces;
        double lo = 0, hi = 0;
        int any = 0;
        for (size_t k = k0; k < k1 && n_points; k++) {
            double l = 0, h = 0;
            if (!trace_range(t, y[k], n_points, &l, &h)) continue;
            lo = any ? fmin(lo, l) : l;
            hi = any ? fmax(hi, h) : h;
            any = 1;
        }
        y_range(o, lo, hi, any, plot_h, &p.lo_y, &p.hi_y);
        draw_axes(&b, &p, pi + 1 == n_panels, 1);
        clip_rect(&b, &p, (int)pi);
        for (size_t k = k0; k < k1 && n_points; k++)
            draw_trace(&b, &p, t, y[k], n_points, PALETTE[k % NPALETTE], (int)pi);
        if (stacked) { /* the panel's name stands in for a legend */
            cx_strbuf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\">",
                             p.x0 + 6, p.y0 + 13, PALETTE[pi % NPALETTE]);
            if (names && names[pi])
                cx_strbuf_xml(&b, names[pi], 0, CX_STRBUF_XML_LABEL);
            else
                cx_strbuf_printf(&b, "trace %zu", pi);
            cx_strbuf_printf(&b, "</text>\n");
        }
    }
    for (size_t k = 0; k < n_traces && !stacked; k++)
        legend_entry(&b, MARGIN_LEFT + plot_w + 14, MARGIN_TOP + 8 + 16.0 * (double)k,
                     PALETTE[k % NPALETTE], names ? names[k] : NULL, k);
    axis_labels(&b, width - (int)legend_w, height,
                MARGIN_TOP + (height - MARGIN_TOP - MARGIN_BOTTOM) / 2.0, x_label, y_label);
    return svg_finish(&b, path);
}

cx_status cx_svg_plot_raster(const char *path, const char *title, const char *x_label,
                             size_t n_rows, const char *const *row_names, const double *t,
                             const size_t *row, size_t n_events, const cx_svg_options *opts)
{
    static const cx_svg_options defaults = {0};
    const cx_svg_options *o = opts ? opts : &defaults;
    if (n_events && (!t || !row))
        return cx_fail(CX_ERR_VALUE, "%s: raster of %zu events without data", path, n_events);
    for (size_t i = 0; i < n_events; i++)
        if (row[i] >= n_rows)
            return cx_fail(CX_ERR_VALUE, "%s: event %zu on row %zu, only %zu rows", path, i, row[i],
                           n_rows);
    int width = o->width_px > 0 ? o->width_px : 800;
    int height = o->height_px > 0 ? o->height_px : 480;
    int named = row_names && n_rows <= 40;
    double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT - (named ? 40 : 0);
    double plot_h = height - MARGIN_TOP - MARGIN_BOTTOM;
    if (plot_w < 20 || plot_h < 20)
        return cx_fail(CX_ERR_VALUE, "%s: %dx%d px is too small", path, width, height);
    double lo_x = 0, hi_x = 1;
    if (!n_events || !finite_range(t, n_events, &lo_x, &hi_x)) {
        lo_x = 0;
        hi_x = 1;
    }
    widen(&lo_x, &hi_x);
    /* Row r spans [r - 0.5, r + 0.5] on a y axis that grows downwards. */
    double rows = n_rows ? (double)n_rows : 1;
    panel p = {
        MARGIN_LEFT + (named ? 40 : 0), MARGIN_TOP, plot_w, plot_h, lo_x, hi_x, -0.5, rows - 0.5};
    size_t cols = (size_t)ceil(plot_w) + 1, lines = (size_t)ceil(plot_h) + 1;
    unsigned char *seen = calloc(cols * lines, 1);
    if (!seen) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);

    cx_strbuf b = {0};
    svg_begin(&b, width, height, title);
    draw_axes(&b, &p, 1, 0);
    double row_px = plot_h / rows, half = fmax(0.5, 0.4 * row_px);
    if (named) {
        for (size_t r = 0; r < n_rows; r++) {
            cx_strbuf_printf(&b,
                             "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">",
                             p.x0 - 6, p.y0 + (r + 0.5) * row_px + 3.5);
            cx_strbuf_xml(&b, row_names[r], 0, CX_STRBUF_XML_LABEL);
            cx_strbuf_printf(&b, "</text>\n");
        }
    } else { /* row numbers as nice ticks, row 0 at the top */
        double step = fmax(1.0, tick_step(0, rows, 6));
        for (double r = 0; r < rows; r += step)
            cx_strbuf_printf(&b,
                             "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\" "
                             "text-anchor=\"end\">%.0f</text>\n",
                             p.x0 - 6, p.y0 + (r + 0.5) * row_px + 4, r);
    }
    clip_rect(&b, &p, 0);
    cx_strbuf_printf(&b, "<path clip-path=\"url(#clip0)\" stroke=\"#222\" stroke-width=\"1\" d=\"");
    for (size_t i = 0; i < n_events; i++) {
        if (!isfinite(t[i])) continue;
        double x = px_x(&p, t[i]), yc = p.y0 + ((double)row[i] + 0.5) * row_px;
        size_t cx = (size_t)(x - p.x0), cy = (size_t)(yc - p.y0);
        if (cx >= cols || cy >= lines || seen[cy * cols + cx]) continue;
        seen[cy * cols + cx] = 1;
        cx_strbuf_printf(&b, " M%.1f,%.1fv%.1f", x, yc - half, 2 * half);
    }
    cx_strbuf_printf(&b, "\"/>\n");
    free(seen);
    axis_labels(&b, width, height, MARGIN_TOP + plot_h / 2, x_label, named ? NULL : "row");
    return svg_finish(&b, path);
}
