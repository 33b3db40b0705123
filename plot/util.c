#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cx_plot_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- colours ---- */

const char *const cx_plot_palette[CX_PLOT_NPALETTE] = {
    "#0072B2", /* blue */
    "#D55E00", /* vermillion */
    "#009E73", /* bluish green */
    "#CC79A7", /* reddish purple */
    "#E69F00", /* orange */
    "#56B4E9", /* sky blue */
    "#000000", /* black */
    "#F0E442", /* yellow: last, it is faint on white */
};

/* matplotlib's viridis (CC0) at entries 0, 16, ..., 240 and 255 of 256. */
static const double VIRIDIS[17][3] = {
    {0.267004, 0.004874, 0.329415}, {0.282327, 0.094955, 0.417331}, {0.278826, 0.175490, 0.483397},
    {0.258965, 0.251537, 0.524736}, {0.229739, 0.322361, 0.545706}, {0.199430, 0.387607, 0.554642},
    {0.172719, 0.448791, 0.557885}, {0.149039, 0.508051, 0.557250}, {0.127568, 0.566949, 0.550556},
    {0.120638, 0.625828, 0.533488}, {0.157851, 0.683765, 0.501686}, {0.246070, 0.738910, 0.452024},
    {0.369214, 0.788888, 0.382914}, {0.515992, 0.831158, 0.294279}, {0.678489, 0.863742, 0.189503},
    {0.845561, 0.887322, 0.099702}, {0.993248, 0.906157, 0.143936}};

void cx_plot_viridis(double t, int rgb[3])
{
    if (!(t > 0)) t = 0; /* NaN too */
    if (t > 1) t = 1;
    double pos = t * 255.0 / 16.0; /* stop k sits at entry 16k; the last at 255 */
    int k = (int)pos;
    if (k > 15) k = 15;
    double t0 = 16.0 * k / 255.0, t1 = k == 15 ? 1.0 : 16.0 * (k + 1) / 255.0;
    double f = (t - t0) / (t1 - t0);
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    for (int c = 0; c < 3; c++) {
        double v = VIRIDIS[k][c] + f * (VIRIDIS[k + 1][c] - VIRIDIS[k][c]);
        rgb[c] = (int)lround(v * 255.0);
    }
}

/* ---- tables ---- */

cx_status cx_plot_check_table(const cx_plot_table *t)
{
    if (!t) return cx_fail(CX_ERR_VALUE, "no table");
    if (t->n_cols <= 0 || !t->names) return cx_fail(CX_ERR_VALUE, "the table has no columns");
    if (t->n_rows == 0) return cx_fail(CX_ERR_VALUE, "the table has no rows");
    if (!t->num) return cx_fail(CX_ERR_VALUE, "the table has %zu rows but no cells", t->n_rows);
    for (int c = 0; c < t->n_cols; c++) {
        if (!t->names[c]) return cx_fail(CX_ERR_VALUE, "column %d of the table has no name", c);
        if (t->is_text && t->is_text[c] && !t->text)
            return cx_fail(CX_ERR_VALUE, "column '%s' is text but the table has no text cells",
                           t->names[c]);
    }
    return CX_OK;
}

int cx_plot_column(const cx_plot_table *t, const char *name)
{
    if (!t || !t->names || !name) return -1;
    for (int c = 0; c < t->n_cols; c++)
        if (t->names[c] && strcmp(t->names[c], name) == 0) return c;
    return -1;
}

cx_status cx_plot_find(const cx_plot_table *t, const char *name, const char *what, int need_number,
                       int *col)
{
    *col = -1;
    if (!name || !*name) return cx_fail(CX_ERR_USAGE, "no column given for %s", what);
    int c = cx_plot_column(t, name);
    if (c < 0) {
        char list[512];
        size_t n = 0;
        list[0] = '\0';
        for (int k = 0; k < t->n_cols && n < sizeof list; k++) {
            int w = snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", t->names[k]);
            if (w < 0) break;
            n += (size_t)w;
        }
        if (n >= sizeof list) strcpy(list + sizeof list - 5, "...");
        return cx_fail(CX_ERR_MISSING, "no column '%s' (for %s) in the table; columns: %s", name,
                       what, list);
    }
    if (need_number && t->is_text && t->is_text[c])
        return cx_fail(CX_ERR_DTYPE, "column '%s' (for %s) is text, numbers are needed", name,
                       what);
    *col = c;
    return CX_OK;
}

int cx_plot_cell_present(const cx_plot_table *t, size_t r, int c)
{
    if (t->is_text && t->is_text[c]) {
        const char *s = t->text[r * (size_t)t->n_cols + (size_t)c];
        return s && *s;
    }
    return isfinite(t->num[r * (size_t)t->n_cols + (size_t)c]);
}

const char *cx_plot_cell_text(const cx_plot_table *t, size_t r, int c, char *tmp, size_t n)
{
    if (!cx_plot_cell_present(t, r, c)) return NULL;
    if (t->is_text && t->is_text[c]) return t->text[r * (size_t)t->n_cols + (size_t)c];
    cx_plot_format_value(t->num[r * (size_t)t->n_cols + (size_t)c], tmp, n);
    return tmp;
}

/* ---- numbers as text ---- */

/* "1e+06" -> "1e6", "1e-05" -> "1e-5", "-0" -> "0". */
static void tidy_number(char *s)
{
    if (strcmp(s, "-0") == 0) strcpy(s, "0");
    char *e = strchr(s, 'e');
    if (!e) return;
    char *src = e + 1, *dst = e + 1;
    if (*src == '+')
        src++;
    else if (*src == '-')
        *dst++ = *src++;
    while (*src == '0' && src[1])
        src++;
    memmove(dst, src, strlen(src) + 1);
}

void cx_plot_format_sig(double v, int sig, char *out, size_t n)
{
    snprintf(out, n, "%.*g", sig, v);
    tidy_number(out);
}

void cx_plot_format_value(double v, char *out, size_t n)
{
    if (!n) return;
    if (isnan(v)) {
        snprintf(out, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, n, v > 0 ? "inf" : "-inf");
        return;
    }
    int p = 1;
    for (; p < 17; p++) {
        snprintf(out, n, "%.*g", p, v);
        if (strtod(out, NULL) == v) break;
    }
    /* Plain digits for moderate magnitudes: 1000, not 1e+03. */
    double a = fabs(v);
    if (a >= 1 && a < 1e6) {
        int digits = (int)floor(log10(a)) + 1;
        if (digits > p) p = digits;
    }
    snprintf(out, n, "%.*g", p, v);
    tidy_number(out);
}

/* A tick label: v rounded to the step's precision (no 0.30000000000000004). */
static void tick_label(char *out, size_t n, double v, double step, double span_max)
{
    if (fabs(v) < step * 1e-6) {
        snprintf(out, n, "0");
        return;
    }
    int step_exp = (int)floor(log10(step) + 1e-9);
    double big = fmax(fabs(v), span_max);
    if (big < 1e6 && step_exp >= -4) {
        int decimals = step_exp < 0 ? -step_exp : 0;
        snprintf(out, n, "%.*f", decimals, v);
    } else {
        int sig = (int)floor(log10(fabs(v)) + 1e-9) - step_exp + 1;
        if (sig < 1) sig = 1;
        if (sig > 15) sig = 15;
        snprintf(out, n, "%.*e", sig - 1, v);
        /* drop trailing zeros of the mantissa: 2.50e+06 -> 2.5e+06 */
        char *e = strchr(out, 'e'), *m = e;
        if (e && strchr(out, '.')) {
            while (m[-1] == '0')
                m--;
            if (m[-1] == '.') m--;
            memmove(m, e, strlen(e) + 1);
        }
    }
    tidy_number(out);
}

/* ---- ticks ---- */

/* Heckbert's nice numbers: 1, 2 or 5 times a power of ten. */
static double nice_step(double raw)
{
    double e = floor(log10(raw)), f = raw / pow(10.0, e);
    double nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return nf * pow(10.0, e);
}

static void linear_ticks(double lo, double hi, int target, cx_plot_ticks *out)
{
    if (target < 2) target = 2;
    double step = nice_step((hi - lo) / target);
    double span_max = fmax(fabs(lo), fabs(hi));
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    while (k1 - k0 + 1 > CX_PLOT_MAX_TICKS) { /* only when target is absurd */
        step *= 2;
        k0 = ceil(lo / step - 1e-9);
        k1 = floor(hi / step + 1e-9);
    }
    for (double k = k0; k <= k1; k++) {
        int i = out->n_major++;
        out->major[i] = k * step;
        tick_label(out->label[i], CX_PLOT_TICK_LABEL, k * step, step, span_max);
    }
}

static void add_major(cx_plot_ticks *out, double v)
{
    if (out->n_major >= CX_PLOT_MAX_TICKS) return;
    int i = out->n_major++;
    out->major[i] = v;
    cx_plot_format_value(v, out->label[i], CX_PLOT_TICK_LABEL);
}

static void add_minor(cx_plot_ticks *out, double v)
{
    if (out->n_minor < CX_PLOT_MAX_TICKS) out->minor[out->n_minor++] = v;
}

/* 1..9 x 10^d rounded to the decimal it names (no 3.0000000000000004e-5). */
static double log_mark(int m, int d)
{
    char s[32];
    snprintf(s, sizeof s, "%de%d", m, d);
    return strtod(s, NULL);
}

/* On a log axis (lo > 0): within rounding of [lo, hi]. */
static int in_range(double v, double lo, double hi)
{
    return v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
}

static void log_ticks(double lo, double hi, int target, cx_plot_ticks *out)
{
    int d0 = (int)floor(log10(lo)) - 1, d1 = (int)ceil(log10(hi)) + 1;
    int decades = 0;
    for (int d = d0; d <= d1; d++)
        decades += in_range(log_mark(1, d), lo, hi);
    if (decades >= 3) {
        int stride = (decades + target - 1) / (target > 1 ? target : 1);
        if (stride < 1) stride = 1;
        for (int d = d0; d <= d1; d++) {
            double v = log_mark(1, d);
            /* Labelled decades are the multiples of the stride; the rest are minor. */
            if (in_range(v, lo, hi)) {
                if (((d % stride) + stride) % stride == 0)
                    add_major(out, v);
                else
                    add_minor(out, v);
            }
            for (int m = 2; m <= 9 && stride == 1 && decades <= 12; m++)
                if (in_range(log_mark(m, d), lo, hi)) add_minor(out, log_mark(m, d));
        }
        if (out->n_major >= 2) return;
        out->n_major = out->n_minor = 0;
    }
    /* Up to about two decades: 1-2-5 marks, or every digit when those are too few. */
    static const int SETS[2][9] = {{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
    static const int SIZES[2] = {3, 9};
    for (int set = 0; set < 2; set++) {
        out->n_major = out->n_minor = 0;
        for (int d = d0; d <= d1; d++)
            for (int m = 1; m <= 9; m++) {
                double v = log_mark(m, d);
                if (!in_range(v, lo, hi)) continue;
                int major = 0;
                for (int k = 0; k < SIZES[set]; k++)
                    major |= SETS[set][k] == m;
                if (major)
                    add_major(out, v);
                else
                    add_minor(out, v);
            }
        if (out->n_major >= 3) return;
    }
    /* Narrower still: linear steps, drawn at their log positions. */
    out->n_major = out->n_minor = 0;
    linear_ticks(lo, hi, target, out);
}

void cx_plot_axis_ticks(double lo, double hi, int log_scale, int target, cx_plot_ticks *out)
{
    out->n_major = out->n_minor = 0;
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) return;
    if (log_scale && lo > 0)
        log_ticks(lo, hi, target, out);
    else
        linear_ticks(lo, hi, target, out);
}
