/* SVG pictures of sweep tables: line plots with spread, heat maps. */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIDTH = 720, HEIGHT = 440 };
#define FONT "Helvetica, Arial, 'DejaVu Sans', sans-serif"
#define INK "#222"
#define GRID "#e6e6e6"
#define GRID_MINOR "#f3f3f3"
#define NOTE "#666"
/* Average glyph width over font size, for layout estimates. */
#define GLYPH 0.58
#define MAX_LABEL_CHARS 22

/* ---- scales ---- */

typedef struct {
    double lo, hi; /* data units */
    int log;
    double p0, p1; /* pixels of lo and hi */
} scale;

static double sc_t(const scale *s, double v)
{
    return s->log ? log10(v) : v;
}

static double sc_px(const scale *s, double v)
{
    if (s->log && !(v > 0)) return s->p0 + (s->p0 < s->p1 ? -1e4 : 1e4); /* far outside, clipped */
    double a = sc_t(s, s->lo), b = sc_t(s, s->hi);
    double p = s->p0 + (sc_t(s, v) - a) / (b - a) * (s->p1 - s->p0);
    return p < -1e5 ? -1e5 : p > 1e5 ? 1e5 : p;
}

/* [lo, hi] given a width when it has none, then frac of it more on each side
 * (in log10 units on a log axis). */
static void pad_range(double *lo, double *hi, int log_scale, double frac)
{
    double a = log_scale ? log10(*lo) : *lo, b = log_scale ? log10(*hi) : *hi;
    if (!(b - a > 1e-9 * fmax(fabs(a), fabs(b)))) {
        double mid = 0.5 * (a + b);
        double half = log_scale ? 0.5 : (mid != 0 ? 0.1 * fabs(mid) : 1.0);
        a = mid - half;
        b = mid + half;
    }
    double pad = frac * (b - a);
    a -= pad;
    b += pad;
    *lo = log_scale ? pow(10.0, a) : a;
    *hi = log_scale ? pow(10.0, b) : b;
}

/* ---- pieces ---- */

static void svg_begin(cx_strbuf *b, const char *title)
{
    cx_strbuf_printf(b,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"" FONT "\" font-size=\"11\">\n",
                     WIDTH, HEIGHT, WIDTH, HEIGHT);
    cx_strbuf_printf(b, "<title>");
    cx_strbuf_xml(b, title, 0, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(b, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", WIDTH,
                     HEIGHT);
}

/* Title centred over the plot area (over the picture when it is too long for
 * that), shortened to the picture's width; an optional grey line under it. */
static void svg_heading(cx_strbuf *b, double x_mid, const char *title, const char *subtitle)
{
    const double glyph = 0.62 * 15; /* bold 15 px */
    double w = glyph * (double)cx_strbuf_utf8_len(title);
    if (w / 2 > x_mid - 10 || w / 2 > WIDTH - 10 - x_mid) x_mid = WIDTH / 2.0;
    cx_strbuf_printf(b,
                     "<text x=\"%.1f\" y=\"22\" font-size=\"15\" font-weight=\"bold\" "
                     "fill=\"" INK "\" text-anchor=\"middle\">",
                     x_mid);
    cx_strbuf_xml(b, title, (size_t)((WIDTH - 24) / glyph), CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(b, "</text>\n");
    if (subtitle && *subtitle) {
        cx_strbuf_printf(b,
                         "<text x=\"%.1f\" y=\"38\" font-size=\"11\" fill=\"" NOTE
                         "\" text-anchor=\"middle\">",
                         x_mid);
        cx_strbuf_xml(b, subtitle, 110, CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(b, "</text>\n");
    }
}

static void x_title(cx_strbuf *b, double x_mid, double y, const char *label)
{
    cx_strbuf_printf(
        b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"" INK "\" text-anchor=\"middle\">",
        x_mid, y);
    cx_strbuf_xml(b, label, 80, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(b, "</text>\n");
}

static void y_title(cx_strbuf *b, double x, double y_mid, const char *label)
{
    cx_strbuf_printf(b,
                     "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"" INK
                     "\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">",
                     x, y_mid, x, y_mid);
    cx_strbuf_xml(b, label, 50, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(b, "</text>\n");
}

static void note_line(cx_strbuf *b, double x, double y, const char *text)
{
    cx_strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"" NOTE "\">", x, y);
    cx_strbuf_xml(b, text, 140, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(b, "</text>\n");
}

static double text_px(const char *s, double font)
{
    size_t n = cx_strbuf_utf8_len(s);
    if (n > MAX_LABEL_CHARS) n = MAX_LABEL_CHARS;
    return GLYPH * font * (double)n;
}

/* Category labels under an x range: horizontal when they fit, else turned
 * 40 degrees; every k-th when even that is too dense. Returns the height used. */
typedef struct {
    int rotate, stride;
    double height;
} cat_layout;

static cat_layout layout_categories(char *const *labels, size_t n, double width)
{
    cat_layout L = {0, 1, 18};
    double spacing = width / (double)(n ? n : 1), widest = 0;
    for (size_t i = 0; i < n; i++)
        widest = fmax(widest, text_px(labels[i], 11));
    if (widest > spacing - 6) {
        L.rotate = 1;
        L.height = 14 + 0.64 * widest + 8;
        if (spacing < 13) L.stride = (int)ceil(13 / spacing);
    }
    return L;
}

static void draw_category_labels(cx_strbuf *b, char *const *labels, size_t n, const scale *x,
                                 double y_axis, cat_layout L)
{
    for (size_t i = 0; i < n; i += (size_t)L.stride) {
        double px = sc_px(x, (double)i);
        if (L.rotate) {
            double ty = y_axis + 12;
            cx_strbuf_printf(b,
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"" INK
                             "\" transform=\"rotate(-40 %.1f %.1f)\">",
                             px + 3, ty, px + 3, ty);
        } else {
            cx_strbuf_printf(b,
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"" INK "\">",
                             px, y_axis + 16);
        }
        cx_strbuf_xml(b, labels[i], MAX_LABEL_CHARS, CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(b, "</text>\n");
    }
}

/* Marker shapes cycle with the series, so series differ without colour too. */
enum { NSHAPES = 5 };

/* data: the marker of a data point (class "marker"), else a legend's; r: radius. */
static void marker_open(cx_strbuf *b, int shape, double x, double y, double r, const char *color,
                        int data)
{
    char paint[48];
    snprintf(paint, sizeof paint, "stroke=\"#fff\" stroke-width=\"%.2f\"", 0.24 * r);
    const char *cls = data ? " class=\"marker\"" : "";
    switch (shape % NSHAPES) {
    case 0:
        cx_strbuf_printf(b,
                         "<circle%s cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" "
                         "fill=\"%s\" %s>",
                         cls, x, y, r, color, paint);
        return;
    case 1: {
        double h = r * 0.9;
        cx_strbuf_printf(b,
                         "<rect%s x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                         "height=\"%.2f\" fill=\"%s\" %s>",
                         cls, x - h, y - h, 2 * h, 2 * h, color, paint);
        return;
    }
    case 2:
        cx_strbuf_printf(b,
                         "<path%s d=\"M%.2f,%.2fL%.2f,%.2fL%.2f,%.2fZ\" "
                         "fill=\"%s\" %s>",
                         cls, x, y - 1.25 * r, x + 1.1 * r, y + 0.75 * r, x - 1.1 * r, y + 0.75 * r,
                         color, paint);
        return;
    case 3:
        cx_strbuf_printf(b,
                         "<path%s d=\"M%.2f,%.2fL%.2f,%.2fL%.2f,%.2fL%.2f,%.2fZ\" "
                         "fill=\"%s\" %s>",
                         cls, x, y - 1.3 * r, x + 1.1 * r, y, x, y + 1.3 * r, x - 1.1 * r, y, color,
                         paint);
        return;
    default:
        cx_strbuf_printf(b,
                         "<path%s d=\"M%.2f,%.2fL%.2f,%.2fL%.2f,%.2fZ\" "
                         "fill=\"%s\" %s>",
                         cls, x, y + 1.25 * r, x + 1.1 * r, y - 0.75 * r, x - 1.1 * r, y - 0.75 * r,
                         color, paint);
        return;
    }
}

static const char *marker_close(int shape)
{
    switch (shape % NSHAPES) {
    case 0:
        return "</circle>\n";
    case 1:
        return "</rect>\n";
    default:
        return "</path>\n";
    }
}

/* A grid line across the plot at pixel p and a tick mark `len` long outside
 * the axis: x (p a column) or y (p a row). */
static void grid_tick(cx_strbuf *b, int is_x, double p, double axis, double grid0, double grid1,
                      double len, const char *grid_color)
{
    if (is_x)
        cx_strbuf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" INK
                         "\"/>\n",
                         p, grid0, p, grid1, grid_color, p, axis, p, axis + len);
    else
        cx_strbuf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" INK
                         "\"/>\n",
                         grid0, p, grid1, p, grid_color, axis - len, p, axis, p);
}

/* Major grid lines and tick marks with labels, minor ticks; an axis is either
 * x (horizontal, at pixel y_axis) or y (vertical, at pixel x_axis). */
static void draw_ticks(cx_strbuf *b, const scale *s, const cx_plot_ticks *tk, int is_x, double axis,
                       double grid0, double grid1, int labels)
{
    cx_strbuf_printf(b, "<g shape-rendering=\"crispEdges\">\n");
    for (int i = 0; i < tk->n_minor; i++)
        grid_tick(b, is_x, sc_px(s, tk->minor[i]), axis, grid0, grid1, 2.5, GRID_MINOR);
    for (int i = 0; i < tk->n_major; i++)
        grid_tick(b, is_x, sc_px(s, tk->major[i]), axis, grid0, grid1, 4.5, GRID);
    cx_strbuf_printf(b, "</g>\n");
    for (int i = 0; i < tk->n_major && labels; i++) {
        double p = sc_px(s, tk->major[i]);
        if (is_x)
            cx_strbuf_printf(b,
                             "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                             "fill=\"" INK "\">%s</text>\n",
                             p, axis + 17, tk->label[i]);
        else
            cx_strbuf_printf(b,
                             "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                             "fill=\"" INK "\">%s</text>\n",
                             axis - 7, p + 4, tk->label[i]);
    }
}

static int widest_label(const cx_plot_ticks *tk)
{
    size_t w = 0;
    for (int i = 0; i < tk->n_major; i++)
        if (strlen(tk->label[i]) > w) w = strlen(tk->label[i]);
    return (int)w;
}

/* ---- line plot ---- */

static const char *or_default(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static void fmt4(double v, char *out, size_t n)
{
    cx_plot_format_sig(v, 4, out, n);
}

/* "n = 3" or "n = 2 to 5" over every point, for the subtitle; 0 when all n are 1. */
static int n_range(const cx_plot_groups *g, size_t *lo, size_t *hi)
{
    *lo = (size_t)-1;
    *hi = 0;
    for (size_t s = 0; s < g->n_series; s++)
        for (size_t i = 0; i < g->series[s].n_points; i++) {
            size_t n = g->series[s].points[i].n;
            if (n < *lo) *lo = n;
            if (n > *hi) *hi = n;
        }
    return *hi > 1;
}

static void skipped_note(char *out, size_t n, size_t missing, size_t log_x, size_t log_y,
                         const char *x, const char *y)
{
    size_t len = 0;
    out[0] = '\0';
    if (missing)
        len += (size_t)snprintf(out + len, n - len, "%zu row%s with a missing value", missing,
                                missing == 1 ? "" : "s");
    if (log_x && len < n)
        len += (size_t)snprintf(out + len, n - len, "%s%zu row%s with %s \xe2\x89\xa4 0 (log axis)",
                                len ? "; " : "", log_x, log_x == 1 ? "" : "s", x);
    if (log_y && len < n)
        snprintf(out + len, n - len, "%s%zu row%s with %s \xe2\x89\xa4 0 (log axis)",
                 len ? "; " : "", log_y, log_y == 1 ? "" : "s", y);
}

cx_status cx_plot_line_svg(const char *path, const cx_plot_table *t, const char *x, const char *y,
                           const char *series, const cx_plot_style *s)
{
    static const cx_plot_style none = {0};
    if (!path) return cx_fail(CX_ERR_USAGE, "line plot: no output path");
    if (!s) s = &none;
    cx_plot_groups g;
    cx_status st = cx_plot_group_stats(t, x, y, series, s->log_x, s->log_y, &g);
    if (st != CX_OK) return cx_fail_context(st, "%s", path);
    int log_x = s->log_x && !g.x_is_text, log_y = s->log_y;

    char title[256];
    snprintf(title, sizeof title, "%s vs %s", y, x);
    const char *ttl = or_default(s->title, title);
    const char *xl = or_default(s->x_label, x), *yl = or_default(s->y_label, y);
    char subtitle[160] = "";
    size_t n_lo, n_hi;
    if (n_range(&g, &n_lo, &n_hi)) {
        char nn[48];
        if (n_lo == n_hi)
            snprintf(nn, sizeof nn, "n = %zu", n_lo);
        else
            snprintf(nn, sizeof nn, "n = %zu to %zu", n_lo, n_hi);
        snprintf(subtitle, sizeof subtitle,
                 "mean over %s rows per point; bars \xc2\xb1"
                 "1 std, band min to max",
                 nn);
    }
    char note[256];
    skipped_note(note, sizeof note, g.skipped_missing, g.skipped_log_x, g.skipped_log_y, x, y);

    /* Data ranges: x over points; y over bands and error bars. */
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (size_t k = 0; k < g.n_series; k++)
        for (size_t i = 0; i < g.series[k].n_points; i++) {
            const cx_plot_point *p = &g.series[k].points[i];
            x_lo = fmin(x_lo, p->x);
            x_hi = fmax(x_hi, p->x);
            y_lo = fmin(y_lo, p->min);
            y_hi = fmax(y_hi, p->max);
            if (!log_y || p->mean - p->std > 0) y_lo = fmin(y_lo, p->mean - p->std);
            y_hi = fmax(y_hi, p->mean + p->std);
        }
    if (g.x_is_text) {
        x_lo = -0.5;
        x_hi = (double)g.n_categories - 0.5;
    } else {
        pad_range(&x_lo, &x_hi, log_x, 0.05);
    }
    pad_range(&y_lo, &y_hi, log_y, 0.06);

    /* Layout: legend at the right when there is more than one series. */
    int legend = g.n_series > 1;
    double legend_w = 0;
    if (legend) {
        legend_w = text_px(series, 11) + 8;
        for (size_t k = 0; k < g.n_series; k++)
            legend_w = fmax(legend_w, 30 + text_px(g.series[k].label, 11));
        legend_w = fmin(fmax(legend_w, 60), 190);
    }
    double top = subtitle[0] ? 52 : 40;
    double right = WIDTH - 20 - (legend ? legend_w + 16 : 0);
    scale sy = {y_lo, y_hi, log_y, 0, top};
    cx_plot_ticks ty;
    double bottom_guess = HEIGHT - 56 - (note[0] ? 12 : 0);
    cx_plot_axis_ticks(y_lo, y_hi, log_y, (int)((bottom_guess - top) / 55), &ty);
    double left = fmin(fmax(30 + 10 + 6.4 * widest_label(&ty), 62), 150);
    cat_layout cat = {0, 1, 18};
    if (g.x_is_text) cat = layout_categories(g.categories, g.n_categories, right - left);
    double bottom = HEIGHT - (cat.height + 38) - (note[0] ? 12 : 0);
    if (bottom < top + 120) bottom = top + 120;
    sy.p0 = bottom;
    scale sx = {x_lo, x_hi, log_x, left, right};
    cx_plot_ticks tx = {0};
    if (!g.x_is_text) cx_plot_axis_ticks(x_lo, x_hi, log_x, (int)((right - left) / 90), &tx);

    cx_strbuf b = {0};
    svg_begin(&b, ttl);
    svg_heading(&b, 0.5 * (left + right), ttl, subtitle);
    cx_strbuf_printf(&b,
                     "<defs><clipPath id=\"plot-area\"><rect x=\"%.1f\" y=\"%.1f\" "
                     "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n",
                     left, top, right - left, bottom - top);
    draw_ticks(&b, &sy, &ty, 0, left, left, right, 1);
    if (g.x_is_text) {
        /* Ticks in batches: there may be more categories than a cx_plot_ticks holds. */
        for (size_t i0 = 0; i0 < g.n_categories; i0 += CX_PLOT_MAX_TICKS) {
            cx_plot_ticks cats = {0};
            for (size_t i = i0; i < g.n_categories && i < i0 + CX_PLOT_MAX_TICKS; i++)
                cats.major[cats.n_major++] = (double)i;
            draw_ticks(&b, &sx, &cats, 1, bottom, top, bottom, 0);
        }
        draw_category_labels(&b, g.categories, g.n_categories, &sx, bottom, cat);
    } else {
        draw_ticks(&b, &sx, &tx, 1, bottom, top, bottom, 1);
    }

    /* Categorical x: series side by side around each category so bars stay apart. */
    double dodge = 0;
    if (g.x_is_text && g.n_series > 1)
        dodge = fmin(7.0, 0.35 * (right - left) / (double)g.n_categories / (double)g.n_series);

    /* Markers and caps shrink when a series has many points (average spacing:
     * log-spaced values on a linear axis crowd at one end only). */
    size_t most = 1;
    for (size_t k = 0; k < g.n_series; k++)
        if (g.series[k].n_points > most) most = g.series[k].n_points;
    double spacing = (right - left) / (double)(g.x_is_text ? g.n_categories : most);
    if (g.x_is_text && g.n_series > 1) spacing = fmin(spacing, 2 * dodge);
    double radius = fmin(3.8, fmax(1.8, 0.3 * spacing)), cap = fmin(3.5, fmax(1.5, 0.3 * spacing));
    cx_strbuf_printf(&b, "<g clip-path=\"url(#plot-area)\">\n");
    for (size_t k = 0; k < g.n_series; k++) { /* bands under everything */
        const cx_plot_series *se = &g.series[k];
        int spread = 0;
        for (size_t i = 0; i < se->n_points; i++)
            spread |= se->points[i].max > se->points[i].min;
        if (!spread || se->n_points < 2) continue;
        double off = dodge * ((double)k - 0.5 * (double)(g.n_series - 1));
        /* Fainter when many overlap. */
        double alpha = g.n_series <= 2 ? 0.16 : g.n_series <= 4 ? 0.10 : 0.06;
        cx_strbuf_printf(&b, "<path class=\"band\" fill=\"%s\" fill-opacity=\"%.2f\" d=\"",
                         cx_plot_palette[k % CX_PLOT_NPALETTE], alpha);
        for (size_t i = 0; i < se->n_points; i++)
            cx_strbuf_printf(&b, "%s%.2f,%.2f", i ? "L" : "M", sc_px(&sx, se->points[i].x) + off,
                             sc_px(&sy, se->points[i].max));
        for (size_t i = se->n_points; i-- > 0;)
            cx_strbuf_printf(&b, "L%.2f,%.2f", sc_px(&sx, se->points[i].x) + off,
                             sc_px(&sy, se->points[i].min));
        cx_strbuf_printf(&b, "Z\"/>\n");
    }
    for (size_t k = 0; k < g.n_series; k++) {
        const cx_plot_series *se = &g.series[k];
        const char *color = cx_plot_palette[k % CX_PLOT_NPALETTE];
        double off = dodge * ((double)k - 0.5 * (double)(g.n_series - 1));
        cx_strbuf_printf(&b, "<path class=\"errorbars\" stroke=\"%s\" stroke-width=\"1.2\" d=\"",
                         color);
        for (size_t i = 0; i < se->n_points; i++) {
            const cx_plot_point *p = &se->points[i];
            if (p->n < 2 || !(p->std > 0)) continue;
            double px = sc_px(&sx, p->x) + off;
            double y0 = sc_px(&sy, p->mean - p->std), y1 = sc_px(&sy, p->mean + p->std);
            cx_strbuf_printf(&b, "M%.2f,%.2fV%.2fM%.2f,%.2fh%.2fM%.2f,%.2fh%.2f", px, y0, y1,
                             px - cap, y0, 2 * cap, px - cap, y1, 2 * cap);
        }
        cx_strbuf_printf(&b, "\"/>\n");
        if (se->n_points > 1) {
            cx_strbuf_printf(&b,
                             "<path class=\"line\" fill=\"none\" stroke=\"%s\" "
                             "stroke-width=\"1.8\" stroke-linejoin=\"round\" d=\"",
                             color);
            for (size_t i = 0; i < se->n_points; i++)
                cx_strbuf_printf(&b, "%s%.2f,%.2f", i ? "L" : "M",
                                 sc_px(&sx, se->points[i].x) + off, sc_px(&sy, se->points[i].mean));
            cx_strbuf_printf(&b, "\"/>\n");
        }
    }
    cx_strbuf_printf(&b, "</g>\n");
    /* Markers last, unclipped (they sit inside the padded range), with tooltips. */
    for (size_t k = 0; k < g.n_series; k++) {
        const cx_plot_series *se = &g.series[k];
        double off = dodge * ((double)k - 0.5 * (double)(g.n_series - 1));
        for (size_t i = 0; i < se->n_points; i++) {
            const cx_plot_point *p = &se->points[i];
            char xs[64], m[32], sd[32], lo[32], hi[32];
            if (g.x_is_text)
                snprintf(xs, sizeof xs, "%s", ""); /* the category is printed below */
            else
                cx_plot_format_value(p->x, xs, sizeof xs);
            fmt4(p->mean, m, sizeof m);
            fmt4(p->std, sd, sizeof sd);
            fmt4(p->min, lo, sizeof lo);
            fmt4(p->max, hi, sizeof hi);
            marker_open(&b, (int)k, sc_px(&sx, p->x) + off, sc_px(&sy, p->mean), radius,
                        cx_plot_palette[k % CX_PLOT_NPALETTE], 1);
            cx_strbuf_printf(&b, "<title>");
            if (se->label) {
                cx_strbuf_xml(&b, series, 0, CX_STRBUF_XML_TEXT);
                cx_strbuf_printf(&b, " = ");
                cx_strbuf_xml(&b, se->label, 0, CX_STRBUF_XML_TEXT);
                cx_strbuf_printf(&b, "&#10;");
            }
            cx_strbuf_xml(&b, x, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, " = ");
            cx_strbuf_xml(&b, g.x_is_text ? g.categories[(size_t)p->x] : xs, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "&#10;");
            cx_strbuf_xml(&b, y, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, ": mean %s (n = %zu)", m, p->n);
            if (p->n > 1) cx_strbuf_printf(&b, "&#10;std %s, min %s, max %s", sd, lo, hi);
            cx_strbuf_printf(&b, "</title>%s", marker_close((int)k));
        }
    }
    cx_strbuf_printf(&b,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                     "stroke=\"" INK "\" shape-rendering=\"crispEdges\"/>\n",
                     left, top, right - left, bottom - top);
    x_title(&b, 0.5 * (left + right), bottom + cat.height + 20, xl);
    y_title(&b, 16, 0.5 * (top + bottom), yl);

    if (legend) {
        double lx = right + 16, ly = top + 6;
        cx_strbuf_printf(&b,
                         "<g class=\"legend\"><text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\" "
                         "fill=\"" INK "\">",
                         lx, ly + 4);
        cx_strbuf_xml(&b, series, MAX_LABEL_CHARS + 4, CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(&b, "</text>\n");
        size_t fit = (size_t)((bottom - ly - 12) / 17);
        for (size_t k = 0; k < g.n_series; k++) {
            double ey = ly + 20 + 17.0 * (double)k;
            if (k + 1 >= fit && k + 1 < g.n_series) {
                cx_strbuf_printf(
                    &b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"" NOTE "\">and %zu more</text>\n", lx,
                    ey + 4, g.n_series - k);
                break;
            }
            const char *color = cx_plot_palette[k % CX_PLOT_NPALETTE];
            cx_strbuf_printf(&b,
                             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                             "stroke=\"%s\" stroke-width=\"1.8\"/>\n",
                             lx, ey, lx + 22, ey, color);
            marker_open(&b, (int)k, lx + 11, ey, 3.8, color, 0);
            cx_strbuf_printf(&b, "%s<text x=\"%.1f\" y=\"%.1f\" fill=\"" INK "\">",
                             marker_close((int)k), lx + 28, ey + 4);
            cx_strbuf_xml(&b, g.series[k].label, MAX_LABEL_CHARS, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "</text>\n");
        }
        cx_strbuf_printf(&b, "</g>\n");
    }
    if (note[0]) {
        char text[300];
        snprintf(text, sizeof text, "skipped: %s", note);
        note_line(&b, 8, HEIGHT - 7, text);
    }
    cx_strbuf_printf(&b, "</svg>\n");
    cx_plot_groups_free(&g);
    return cx_strbuf_write(&b, path);
}

/* ---- heat map ---- */

static void cell_color(double t, char out[8], double *luminance)
{
    int rgb[3];
    cx_plot_viridis(t, rgb);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
    *luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255.0;
}

/* Every k-th label so labels are at least min_px apart. */
static size_t label_stride(double spacing, double min_px)
{
    return spacing >= min_px ? 1 : (size_t)ceil(min_px / spacing);
}

cx_status cx_plot_heatmap_svg(const char *path, const cx_plot_table *t, const char *x,
                              const char *y, const char *z, const cx_plot_style *s)
{
    static const cx_plot_style none = {0};
    if (!path) return cx_fail(CX_ERR_USAGE, "heat map: no output path");
    if (!s) s = &none;
    cx_plot_grid g;
    cx_status st = cx_plot_grid_stats(t, x, y, z, &g);
    if (st != CX_OK) return cx_fail_context(st, "%s", path);

    char title[256], zdef[128];
    snprintf(title, sizeof title, "%s over %s and %s", z, x, y);
    snprintf(zdef, sizeof zdef, "mean %s", z);
    const char *ttl = or_default(s->title, title);
    const char *xl = or_default(s->x_label, x), *yl = or_default(s->y_label, y);
    const char *zl = or_default(s->z_label, zdef);
    size_t n_lo = (size_t)-1, n_hi = 0, empty = 0;
    for (size_t i = 0; i < g.nx * g.ny; i++) {
        if (!g.n[i]) {
            empty++;
            continue;
        }
        if (g.n[i] < n_lo) n_lo = g.n[i];
        if (g.n[i] > n_hi) n_hi = g.n[i];
    }
    char subtitle[160];
    if (n_lo == n_hi)
        snprintf(subtitle, sizeof subtitle, "mean of %zu row%s per cell", n_lo,
                 n_lo == 1 ? "" : "s");
    else
        snprintf(subtitle, sizeof subtitle, "mean of %zu to %zu rows per cell", n_lo, n_hi);

    /* Colour scale: min..max of the cell means, given a width when they are equal. */
    double c_lo = g.lo, c_hi = g.hi;
    if (!(c_hi - c_lo > 1e-12 * fmax(fabs(c_lo), fabs(c_hi)))) pad_range(&c_lo, &c_hi, 0, 0);
    cx_plot_ticks tc;
    cx_plot_axis_ticks(c_lo, c_hi, 0, 5, &tc);

    /* Layout: y labels at the left, colour bar and its labels at the right. */
    double widest_y = 0;
    for (size_t j = 0; j < g.ny; j++)
        widest_y = fmax(widest_y, text_px(g.y_labels[j], 11));
    double left = fmin(fmax(34 + 10 + widest_y, 62), 190);
    double bar_w = 16, bar_labels = 10 + 6.4 * widest_label(&tc);
    double right = WIDTH - (18 + bar_w + bar_labels + 30);
    double top = 52;
    cat_layout cat = layout_categories(g.x_labels, g.nx, right - left);
    char note[200] = "";
    if (g.skipped)
        snprintf(note, sizeof note, "skipped: %zu row%s with a missing value", g.skipped,
                 g.skipped == 1 ? "" : "s");
    if (empty) {
        size_t len = strlen(note);
        snprintf(note + len, sizeof note - len, "%sgrey: %zu cell%s without rows", len ? "; " : "",
                 empty, empty == 1 ? "" : "s");
    }
    double bottom = HEIGHT - (cat.height + 38) - (note[0] ? 12 : 0);
    if (bottom < top + 100) bottom = top + 100;
    double cw = (right - left) / (double)g.nx, ch = (bottom - top) / (double)g.ny;
    scale sx = {-0.5, (double)g.nx - 0.5, 0, left, right};

    cx_strbuf b = {0};
    svg_begin(&b, ttl);
    svg_heading(&b, 0.5 * (left + right), ttl, subtitle);

    /* Mean printed in the cells when every label fits its cell. */
    double font = fmin(12, 0.42 * ch);
    int values = g.nx * g.ny <= 400 && font >= 8.5;
    for (size_t i = 0; i < g.nx * g.ny && values; i++) {
        char v[32];
        cx_plot_format_sig(g.mean[i], 3, v, sizeof v);
        if (isfinite(g.mean[i]) && GLYPH * font * (double)strlen(v) > cw - 6) values = 0;
    }

    double gap = cw > 6 && ch > 6 ? 1.0 : 0.0;
    cx_strbuf_printf(&b, "<g class=\"cells\">\n");
    for (size_t j = 0; j < g.ny; j++)
        for (size_t i = 0; i < g.nx; i++) {
            size_t k = j * g.nx + i;
            double px = left + cw * (double)i, py = bottom - ch * (double)(j + 1);
            char fill[8] = "#eeeeee", m[32];
            double lum = 1;
            if (g.n[k]) cell_color((g.mean[k] - c_lo) / (c_hi - c_lo), fill, &lum);
            cx_strbuf_printf(&b,
                             "<rect class=\"cell\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                             "height=\"%.2f\" fill=\"%s\"",
                             px + 0.5 * gap, py + 0.5 * gap, fmax(cw - gap, 0.5),
                             fmax(ch - gap, 0.5), fill);
            cx_strbuf_printf(&b, "><title>");
            cx_strbuf_xml(&b, x, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, " = ");
            cx_strbuf_xml(&b, g.x_labels[i], 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, ", ");
            cx_strbuf_xml(&b, y, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, " = ");
            cx_strbuf_xml(&b, g.y_labels[j], 0, CX_STRBUF_XML_TEXT);
            if (g.n[k]) {
                fmt4(g.mean[k], m, sizeof m);
                cx_strbuf_printf(&b, "&#10;mean ");
                cx_strbuf_xml(&b, z, 0, CX_STRBUF_XML_TEXT);
                cx_strbuf_printf(&b, " %s (n = %zu)</title></rect>\n", m, g.n[k]);
            } else {
                cx_strbuf_printf(&b, "&#10;no rows</title></rect>\n");
            }
            if (values && g.n[k]) {
                cx_plot_format_sig(g.mean[k], 3, m, sizeof m);
                cx_strbuf_printf(&b,
                                 "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" "
                                 "text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
                                 px + 0.5 * cw, py + 0.5 * ch + 0.35 * font, font,
                                 lum < 0.5 ? "#fff" : INK, m);
            }
        }
    cx_strbuf_printf(&b, "</g>\n");

    /* Axes: a label per column and row (every k-th when dense), ticks between. */
    cx_strbuf_printf(&b, "<g shape-rendering=\"crispEdges\" stroke=\"" INK "\">\n");
    for (size_t i = 0; i < g.nx; i++)
        cx_strbuf_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                         left + cw * ((double)i + 0.5), bottom, left + cw * ((double)i + 0.5),
                         bottom + 4);
    for (size_t j = 0; j < g.ny; j++)
        cx_strbuf_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left - 4,
                         bottom - ch * ((double)j + 0.5), left, bottom - ch * ((double)j + 0.5));
    cx_strbuf_printf(&b, "</g>\n");
    draw_category_labels(&b, g.x_labels, g.nx, &sx, bottom, cat);
    for (size_t j = 0, step = label_stride(ch, 13); j < g.ny; j += step) {
        cx_strbuf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"" INK "\">",
                         left - 7, bottom - ch * ((double)j + 0.5) + 4);
        cx_strbuf_xml(&b, g.y_labels[j], MAX_LABEL_CHARS, CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(&b, "</text>\n");
    }
    x_title(&b, 0.5 * (left + right), bottom + cat.height + 20, xl);
    y_title(&b, 16, 0.5 * (top + bottom), yl);

    /* Colour bar: the gradient spans exactly [c_lo, c_hi]. */
    double bx = right + 18, bt = top, bb = bottom;
    char lo_s[40], hi_s[40];
    cx_plot_format_value(g.lo, lo_s, sizeof lo_s);
    cx_plot_format_value(g.hi, hi_s, sizeof hi_s);
    cx_strbuf_printf(&b,
                     "<g class=\"colorbar\" data-lo=\"%.17g\" data-hi=\"%.17g\">\n<title>"
                     "colour scale: %s to %s</title>\n"
                     "<defs><linearGradient id=\"viridis\" x1=\"0\" y1=\"1\" x2=\"0\" "
                     "y2=\"0\">\n",
                     c_lo, c_hi, lo_s, hi_s);
    for (int k = 0; k <= 16; k++) {
        int rgb[3];
        cx_plot_viridis(k / 16.0, rgb);
        cx_strbuf_printf(&b, "<stop offset=\"%.4f\" stop-color=\"#%02x%02x%02x\"/>\n", k / 16.0,
                         rgb[0], rgb[1], rgb[2]);
    }
    cx_strbuf_printf(&b,
                     "</linearGradient></defs>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\" fill=\"url(#viridis)\" stroke=\"" INK
                     "\" stroke-width=\"0.6\"/>\n",
                     bx, bt, bar_w, bb - bt);
    scale sc = {c_lo, c_hi, 0, bb, bt};
    for (int i = 0; i < tc.n_major; i++) {
        double py = sc_px(&sc, tc.major[i]);
        cx_strbuf_printf(&b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" INK
                         "\" shape-rendering=\"crispEdges\"/><text class=\"tick\" x=\"%.1f\" "
                         "y=\"%.1f\" fill=\"" INK "\">%s</text>\n",
                         bx + bar_w, py, bx + bar_w + 4, py, bx + bar_w + 7, py + 4, tc.label[i]);
    }
    cx_strbuf_printf(&b, "</g>\n");
    y_title(&b, bx + bar_w + bar_labels + 16, 0.5 * (bt + bb), zl);
    if (note[0]) note_line(&b, 8, HEIGHT - 7, note);
    cx_strbuf_printf(&b, "</svg>\n");
    cx_plot_grid_free(&g);
    return cx_strbuf_write(&b, path);
}
