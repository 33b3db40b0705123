/* Trace plots (plot/cx_plot_trace.h) checked for well-formed XML, nice
 * ticks, decimation that keeps the envelope and skipped NaN/Inf points. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_plot_trace.h"
#include "test_util.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

static int file_exists(const char *path)
{
    return cx_path_exists(path);
}

static void expect(cx_status got, cx_status status, const char *want)
{
    ck_assert_msg(got == status, "status %s, want %s (%s)", cx_status_name(got),
                  cx_status_name(status), cx_last_error());
    ck_assert_msg(strstr(cx_last_error(), want), "'%s' does not name '%s'", cx_last_error(), want);
}

/* ---- SVG ---- */

/* NULL when s is well-formed XML with one root element, else what is wrong. */
static const char *xml_error(const char *s, char *root)
{
    static char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = s;
    if (strncmp(p, "<?xml", 5) == 0) {
        p = strstr(p, "?>");
        if (!p) return "unterminated prolog";
        p += 2;
    }
    while (*p) {
        if (*p == '&') {
            static const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            int ok = 0;
            for (int i = 0; i < 5; i++)
                ok |= strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok) return "bare '&'";
            p++;
            continue;
        }
        if (*p == '>') return "'>' outside a tag";
        if (*p != '<') {
            p++;
            continue;
        }
        int closing = p[1] == '/';
        p += 1 + closing;
        char name[64];
        size_t n = 0;
        while (isalnum((unsigned char)*p) || *p == '-' || *p == ':' || *p == '_')
            if (n < sizeof name - 1)
                name[n++] = *p++;
            else
                return "long name";
        name[n] = '\0';
        if (!n) return "tag without a name";
        if (closing) {
            if (!depth || strcmp(stack[depth - 1], name) != 0) return "mismatched closing tag";
            depth--;
            while (isspace((unsigned char)*p))
                p++;
            if (*p++ != '>') return "bad closing tag";
            continue;
        }
        if (!depth && roots++) return "more than one root";
        if (!depth && root) strcpy(root, name);
        for (;;) {
            while (isspace((unsigned char)*p))
                p++;
            if (*p == '/' && p[1] == '>') {
                p += 2;
                break;
            }
            if (*p == '>') {
                if (depth == 64) return "too deep";
                strcpy(stack[depth++], name);
                p++;
                break;
            }
            if (!isalpha((unsigned char)*p)) return "bad attribute";
            while (isalnum((unsigned char)*p) || *p == '-' || *p == ':' || *p == '_')
                p++;
            if (*p++ != '=' || *p++ != '"') return "attribute without =\"";
            for (; *p != '"'; p++) {
                if (!*p || *p == '<') return "unterminated attribute";
                if (*p == '&' && strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) &&
                    strncmp(p, "&gt;", 4) && strncmp(p, "&quot;", 6) && strncmp(p, "&apos;", 6))
                    return "bare '&' in attribute";
            }
            p++;
        }
    }
    if (depth) return "unclosed element";
    return roots == 1 ? NULL : "no root element";
}

static void assert_svg(const char *svg)
{
    char root[64] = "";
    const char *err = xml_error(svg, root);
    ck_assert_msg(!err, "not well-formed: %s", err);
    ck_assert_str_eq(root, "svg");
    for (const char *p = svg; *p; p++) { /* a NaN or Inf printed as a coordinate */
        ck_assert_msg(strncasecmp(p, "nan", 3) != 0, "'nan' at %.40s", p);
        ck_assert_msg(strncasecmp(p, "inf", 3) != 0, "'inf' at %.40s", p);
    }
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* Coordinates of the path stroked with color; moves counts the 'M's. */
static size_t path_points(const char *svg, const char *color, double **xs, double **ys,
                          size_t *moves)
{
    char key[64];
    snprintf(key, sizeof key, "stroke=\"%s\"", color);
    const char *p = strstr(svg, key);
    ck_assert_ptr_nonnull(p);
    p = strstr(p, " d=\"");
    ck_assert_ptr_nonnull(p);
    p += 4;
    size_t n = 0, cap = 1024;
    *xs = malloc(cap * sizeof **xs);
    *ys = malloc(cap * sizeof **ys);
    *moves = 0;
    while (*p != '"') {
        while (*p == ' ')
            p++;
        if (*p == 'M') {
            (*moves)++;
            p++;
        }
        double x, y;
        int used;
        ck_assert_int_eq(sscanf(p, "%lf,%lf%n", &x, &y, &used), 2);
        p += used;
        if (n == cap) {
            cap *= 2;
            *xs = realloc(*xs, cap * sizeof **xs);
            *ys = realloc(*ys, cap * sizeof **ys);
        }
        (*xs)[n] = x;
        (*ys)[n++] = y;
    }
    return n;
}

/* The plot frame: the first unfilled rectangle. */
static void frame(const char *svg, double *x, double *y, double *w, double *h)
{
    for (const char *p = svg; (p = strstr(p, "<rect x=")); p++) {
        int used = 0;
        if (sscanf(p, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\" fill=\"none\"%n", x,
                   y, w, h, &used) == 4 &&
            used)
            return;
    }
    ck_abort_msg("no frame");
}

START_TEST(svg_overlay_ticks_legend)
{
    enum { N = 1001 };
    double t[N], a[N], b[N], c[N];
    for (int i = 0; i < N; i++) {
        t[i] = i;
        a[i] = -0.73 + 1.64 * i / (N - 1); /* y data spans [-0.73, 0.91] */
        b[i] = 0.5 * sin(i * 0.02);
        c[i] = 0.25;
    }
    const double *y[] = {a, b, c};
    const char *names[] = {"ramp", "sine <&> \"q\" 'a'", NULL};
    char *path = cx_test_tmp("overlay.svg");
    ck_assert_msg(
        cx_svg_plot_traces(path, "Tile & friends", "t (ms)", "x", 3, names, t, y, N, NULL) == CX_OK,
        "%s", cx_last_error());
    char *svg = cx_test_slurp(path, NULL);
    assert_svg(svg);
    /* x from 0 to 1000: ticks every 100; y loose to whole ticks of 0.5. */
    char label[64];
    for (int v = 0; v <= 1000; v += 100) {
        snprintf(label, sizeof label, "\">%d</text>", v);
        ck_assert_msg(strstr(svg, label), "no x tick %d", v);
    }
    static const char *yt[] = {">-1.0</text>", ">-0.5</text>", ">0.0</text>", ">0.5</text>",
                               ">1.0</text>"};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(strstr(svg, yt[i]), "no y tick %s", yt[i]);
    ck_assert_ptr_null(strstr(svg, ">-0.0<"));
    ck_assert_ptr_null(strstr(svg, ">1.5</text>"));
    /* Title, labels and legend, escaped. */
    ck_assert_ptr_nonnull(strstr(svg, ">Tile &amp; friends</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">t (ms)</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">sine &lt;&amp;&gt; &quot;q&quot; &apos;a&apos;</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">trace 2</text>"));
    ck_assert_uint_eq(count(svg, "<path "), 3);
    /* Few points per column are kept as they are. */
    double *xs, *ys;
    size_t moves, n = path_points(svg, "#4e79a7", &xs, &ys, &moves);
    ck_assert_uint_eq(n, N);
    ck_assert_uint_eq(moves, 1);
    for (size_t i = 1; i < n; i++)
        ck_assert(xs[i] >= xs[i - 1] && ys[i] <= ys[i - 1] + 1e-9); /* rising ramp */
    free(xs);
    free(ys);
    free(svg);
    free(path);
}
END_TEST

START_TEST(svg_decimation_keeps_envelope)
{
    enum { N = 1000000 };
    double *t = malloc(N * sizeof *t), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) {
        t[i] = i * 0.01;
        y[i] = 0.5 * sin(i * 1e-4) + 0.1 * sin(i * 0.7);
    }
    y[123457] = 10; /* one-sample excursions must survive */
    y[876543] = -1;
    cx_svg_options opt = {.y_min = -1, .y_max = 10};
    char *path = cx_test_tmp("million.svg");
    const double *ys_in[] = {y};
    ck_assert_int_eq(cx_svg_plot_traces(path, "1e6 points", "t", "y", 1, NULL, t, ys_in, N, &opt),
                     CX_OK);
    char *svg = cx_test_slurp(path, NULL);
    assert_svg(svg);
    size_t bytes = strlen(svg);
    ck_assert_msg(bytes < 150000, "%zu bytes", bytes);
    double fx, fy, fw, fh, *xs, *ys;
    frame(svg, &fx, &fy, &fw, &fh);
    size_t moves, n = path_points(svg, "#4e79a7", &xs, &ys, &moves);
    ck_assert_uint_le(n, 4 * ((size_t)fw + 2));
    double top = ys[0], bottom = ys[0];
    for (size_t i = 0; i < n; i++) {
        top = fmin(top, ys[i]);
        bottom = fmax(bottom, ys[i]);
        ck_assert(xs[i] >= fx - 0.05 && xs[i] <= fx + fw + 0.05);
    }
    ck_assert_double_eq_tol(top, fy, 0.051);
    ck_assert_double_eq_tol(bottom, fy + fh, 0.051);
    free(xs);
    free(ys);
    free(svg);
    free(t);
    free(y);
    free(path);
}
END_TEST

START_TEST(svg_skips_nan_and_inf)
{
    enum { N = 50 };
    double t[N], y[N];
    for (int i = 0; i < N; i++) {
        t[i] = i;
        y[i] = i % 7;
    }
    y[10] = NAN;
    y[20] = INFINITY;
    y[21] = -INFINITY;
    t[30] = NAN;
    const double *ys_in[] = {y};
    const char *names[] = {"gappy"};
    char *path = cx_test_tmp("nan.svg");
    cx_svg_options opt = {.layout = CX_SVG_STACKED};
    ck_assert_int_eq(cx_svg_plot_traces(path, NULL, NULL, NULL, 1, names, t, ys_in, N, &opt),
                     CX_OK);
    char *svg = cx_test_slurp(path, NULL);
    assert_svg(svg);
    double *xs, *ys;
    size_t moves, n = path_points(svg, "#4e79a7", &xs, &ys, &moves);
    ck_assert_uint_eq(n, N - 4);
    ck_assert_uint_eq(moves, 4); /* three gaps */
    free(xs);
    free(ys);
    free(svg);

    /* Nothing finite at all: still a valid, empty plot. */
    for (int i = 0; i < N; i++)
        y[i] = NAN;
    ck_assert_int_eq(cx_svg_plot_traces(path, "", "", "", 1, NULL, t, ys_in, N, NULL), CX_OK);
    svg = cx_test_slurp(path, NULL);
    assert_svg(svg);
    free(svg);
    free(path);
}
END_TEST

START_TEST(svg_stacked_and_raster)
{
    enum { N = 300, K = 4 };
    double t[N], y[K][N];
    for (int i = 0; i < N; i++) {
        t[i] = 1000 + i * 0.5;
        for (int k = 0; k < K; k++)
            y[k][i] = (k + 1) * 1e-3 * cos(i * 0.05 * (k + 1));
    }
    const double *ys_in[K] = {y[0], y[1], y[2], y[3]};
    const char *names[K] = {"x0", "x1", "x2", "x3"};
    char *path = cx_test_tmp("stacked.svg");
    cx_svg_options opt = {.layout = CX_SVG_STACKED, .width_px = 640};
    ck_assert_int_eq(
        cx_svg_plot_traces(path, "stacked", "t (ms)", "x", K, names, t, ys_in, N, &opt), CX_OK);
    char *svg = cx_test_slurp(path, NULL);
    assert_svg(svg);
    ck_assert_uint_eq(count(svg, "<clipPath "), K);
    ck_assert_uint_eq(count(svg, "<path "), K);
    ck_assert_ptr_nonnull(strstr(svg, "width=\"640\" height=\"640\""));
    ck_assert_ptr_nonnull(strstr(svg, ">1100</text>"));
    free(svg);

    enum { E = 100000, R = 16 };
    double *et = malloc(E * sizeof *et);
    size_t *row = malloc(E * sizeof *row);
    for (int i = 0; i < E; i++) {
        et[i] = i * 0.01;
        row[i] = (size_t)(i * 7) % R;
    }
    et[5] = NAN;
    const char *rows[R];
    char rname[R][16];
    for (int r = 0; r < R; r++) {
        snprintf(rname[r], sizeof rname[r], "soma<%d>", r);
        rows[r] = rname[r];
    }
    char *raster = cx_test_tmp("raster.svg");
    ck_assert_int_eq(cx_svg_plot_raster(raster, "spikes", "t (ms)", R, rows, et, row, E, NULL),
                     CX_OK);
    svg = cx_test_slurp(raster, NULL);
    assert_svg(svg);
    ck_assert_ptr_nonnull(strstr(svg, ">soma&lt;15&gt;</text>"));
    ck_assert_msg(strlen(svg) < 400000, "%zu bytes", strlen(svg)); /* one tick per pixel */
    free(svg);
    /* Unnamed rows are numbered. */
    ck_assert_int_eq(cx_svg_plot_raster(raster, NULL, NULL, R, NULL, et, row, E, NULL), CX_OK);
    svg = cx_test_slurp(raster, NULL);
    assert_svg(svg);
    ck_assert_ptr_nonnull(strstr(svg, ">row</text>"));
    free(svg);
    row[7] = R;
    expect(cx_svg_plot_raster(raster, NULL, NULL, R, NULL, et, row, E, NULL), CX_ERR_VALUE,
           "event 7 on row 16, only 16 rows");
    free(et);
    free(row);
    free(raster);
    free(path);
}
END_TEST

START_TEST(svg_errors)
{
    double t[2] = {0, 1}, y[2] = {0, 1};
    const double *ys_in[] = {y};
    expect(
        cx_svg_plot_traces("/nonexistent-dir/p.svg", NULL, NULL, NULL, 1, NULL, t, ys_in, 2, NULL),
        CX_ERR_IO, "/nonexistent-dir/p.svg");
    char *path = cx_test_tmp("small.svg");
    cx_svg_options tiny = {.width_px = 50, .height_px = 50};
    expect(cx_svg_plot_traces(path, NULL, NULL, NULL, 1, NULL, t, ys_in, 2, &tiny), CX_ERR_VALUE,
           "too small");
    expect(cx_svg_plot_traces(path, NULL, NULL, NULL, 1, NULL, NULL, ys_in, 2, NULL), CX_ERR_VALUE,
           "without data");
    const double *missing[] = {NULL};
    expect(cx_svg_plot_traces(path, NULL, NULL, NULL, 1, NULL, t, missing, 2, NULL), CX_ERR_VALUE,
           "trace 0 has no data");
    ck_assert(!file_exists(path));
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plot_trace");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, svg_overlay_ticks_legend);
    tcase_add_test(tc, svg_decimation_keeps_envelope);
    tcase_add_test(tc, svg_skips_nan_and_inf);
    tcase_add_test(tc, svg_stacked_and_raster);
    tcase_add_test(tc, svg_errors);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
