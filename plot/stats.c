#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The distinct values of one column over the rows in use, and each row's index
 * among them: numbers ascending, text in order of first appearance. */
typedef struct {
    int is_text;
    size_t n;
    double *values;      /* numeric: ascending */
    const char **labels; /* text: pointers into the table */
    size_t *key;         /* per row; SIZE_MAX for rows not in use */
} axis_keys;

typedef struct {
    const char *s;
    size_t row;
} text_row;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_text_row(const void *a, const void *b)
{
    const text_row *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row);
}

typedef struct {
    size_t first_row, group;
} first_seen;

static int cmp_first_seen(const void *a, const void *b)
{
    const first_seen *x = a, *y = b;
    return (x->first_row > y->first_row) - (x->first_row < y->first_row);
}

static void axis_free(axis_keys *a)
{
    free(a->values);
    free(a->labels);
    free(a->key);
    *a = (axis_keys){0};
}

static cx_status nomem(void)
{
    return cx_fail(CX_ERR_NOMEM, "out of memory grouping the table");
}

static cx_status axis_build(const cx_plot_table *t, int col, const unsigned char *use, axis_keys *a)
{
    *a = (axis_keys){0};
    a->is_text = t->is_text && t->is_text[col];
    size_t nr = t->n_rows, nc = (size_t)t->n_cols, used = 0;
    a->key = malloc((nr ? nr : 1) * sizeof *a->key);
    if (!a->key) return nomem();
    for (size_t r = 0; r < nr; r++) {
        a->key[r] = SIZE_MAX;
        used += use[r];
    }
    if (!a->is_text) {
        a->values = malloc((used ? used : 1) * sizeof *a->values);
        if (!a->values) return nomem();
        for (size_t r = 0; r < nr; r++)
            if (use[r]) a->values[a->n++] = t->num[r * nc + (size_t)col];
        qsort(a->values, a->n, sizeof *a->values, cmp_double);
        size_t u = 0;
        for (size_t i = 0; i < a->n; i++)
            if (u == 0 || a->values[i] != a->values[u - 1]) a->values[u++] = a->values[i];
        a->n = u;
        for (size_t r = 0; r < nr; r++) {
            if (!use[r]) continue;
            double v = t->num[r * nc + (size_t)col];
            const double *hit = bsearch(&v, a->values, a->n, sizeof v, cmp_double);
            a->key[r] = (size_t)(hit - a->values);
        }
        return CX_OK;
    }
    text_row *rows = malloc((used ? used : 1) * sizeof *rows);
    first_seen *groups = malloc((used ? used : 1) * sizeof *groups);
    size_t *rank = malloc((used ? used : 1) * sizeof *rank);
    a->labels = malloc((used ? used : 1) * sizeof *a->labels);
    if (!rows || !groups || !rank || !a->labels) {
        free(rows);
        free(groups);
        free(rank);
        return nomem();
    }
    size_t m = 0;
    for (size_t r = 0; r < nr; r++)
        if (use[r]) rows[m++] = (text_row){t->text[r * nc + (size_t)col], r};
    qsort(rows, m, sizeof *rows, cmp_text_row);
    size_t ng = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || strcmp(rows[i].s, rows[i - 1].s) != 0) {
            groups[ng] = (first_seen){rows[i].row, ng};
            ng++;
        }
        a->key[rows[i].row] = ng - 1; /* group id for now, rank below */
    }
    qsort(groups, ng, sizeof *groups, cmp_first_seen);
    for (size_t k = 0; k < ng; k++) {
        rank[groups[k].group] = k;
        a->labels[k] = t->text[groups[k].first_row * nc + (size_t)col];
    }
    for (size_t r = 0; r < nr; r++)
        if (a->key[r] != SIZE_MAX) a->key[r] = rank[a->key[r]];
    a->n = ng;
    free(rows);
    free(groups);
    free(rank);
    return CX_OK;
}

/* The distinct values as owned text. */
static char **axis_labels(const axis_keys *a)
{
    char **out = calloc(a->n ? a->n : 1, sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < a->n; i++) {
        char tmp[40];
        if (!a->is_text) cx_plot_format_value(a->values[i], tmp, sizeof tmp);
        out[i] = cx_plot_strdup(a->is_text ? a->labels[i] : tmp);
        if (!out[i]) {
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            return NULL;
        }
    }
    return out;
}

static void free_labels(char **l, size_t n)
{
    for (size_t i = 0; l && i < n; i++)
        free(l[i]);
    free(l);
}

void cx_plot_free_labels(char **labels, size_t n)
{
    free_labels(labels, n);
}

cx_status cx_plot_distinct(const cx_plot_table *t, int col, char ***labels, size_t *n,
                           size_t *missing)
{
    *labels = NULL;
    *n = *missing = 0;
    unsigned char *use = malloc(t->n_rows ? t->n_rows : 1);
    if (!use) return nomem();
    for (size_t r = 0; r < t->n_rows; r++) {
        use[r] = (unsigned char)cx_plot_cell_present(t, r, col);
        *missing += !use[r];
    }
    axis_keys a;
    cx_status st = axis_build(t, col, use, &a);
    free(use);
    if (st == CX_OK && !(*labels = axis_labels(&a))) st = nomem();
    if (st == CX_OK) *n = a.n;
    axis_free(&a);
    return st;
}

/* ---- line plots ---- */

void cx_plot_groups_free(cx_plot_groups *g)
{
    if (!g) return;
    free_labels(g->categories, g->n_categories);
    for (size_t s = 0; s < g->n_series && g->series; s++) {
        free(g->series[s].label);
        free(g->series[s].points);
    }
    free(g->series);
    *g = (cx_plot_groups){0};
}

typedef struct {
    size_t n;
    double sum, min, max, mean, ssd;
} cell_acc;

/* The mean of equal values is that value, whatever the rounding of the sum;
 * and a mean never leaves [min, max]. */
static double cell_mean(double sum, size_t n, double lo, double hi)
{
    if (lo == hi) return lo;
    double m = sum / (double)n;
    return m < lo ? lo : m > hi ? hi : m;
}

cx_status cx_plot_group_stats(const cx_plot_table *t, const char *x, const char *y,
                              const char *series, int log_x, int log_y, cx_plot_groups *out)
{
    *out = (cx_plot_groups){0};
    CX_TRY(cx_plot_check_table(t));
    int cx, cy, cs = -1;
    CX_TRY(cx_plot_find(t, x, "x", 0, &cx));
    CX_TRY(cx_plot_find(t, y, "y", 1, &cy));
    if (series) CX_TRY(cx_plot_find(t, series, "series", 0, &cs));
    int x_text = t->is_text && t->is_text[cx];
    size_t nr = t->n_rows, nc = (size_t)t->n_cols;

    unsigned char *use = malloc(nr);
    if (!use) return nomem();
    for (size_t r = 0; r < nr; r++) {
        use[r] = 0;
        if (!cx_plot_cell_present(t, r, cx) || !cx_plot_cell_present(t, r, cy) ||
            (cs >= 0 && !cx_plot_cell_present(t, r, cs))) {
            out->skipped_missing++;
        } else if (log_x && !x_text && t->num[r * nc + (size_t)cx] <= 0) {
            out->skipped_log_x++;
        } else if (log_y && t->num[r * nc + (size_t)cy] <= 0) {
            out->skipped_log_y++;
        } else {
            use[r] = 1;
            out->n_used++;
        }
    }
    if (out->n_used == 0) {
        free(use);
        char why[256] = "";
        size_t len = 0;
        if (out->skipped_missing)
            len += (size_t)snprintf(why, sizeof why, ", %zu without x '%s', y '%s'%s%s%s",
                                    out->skipped_missing, x, y, series ? " or series '" : "",
                                    series ? series : "", series ? "'" : "");
        if (out->skipped_log_x && len < sizeof why)
            len += (size_t)snprintf(why + len, sizeof why - len, ", %zu with x <= 0 on a log axis",
                                    out->skipped_log_x);
        if (out->skipped_log_y && len < sizeof why)
            snprintf(why + len, sizeof why - len, ", %zu with y <= 0 on a log axis",
                     out->skipped_log_y);
        cx_status st = cx_fail(CX_ERR_VALUE, "no row to plot: of %zu rows%s", nr, why);
        *out = (cx_plot_groups){0};
        return st;
    }

    axis_keys kx, ks = {0};
    cx_status st = axis_build(t, cx, use, &kx);
    if (st == CX_OK && cs >= 0) st = axis_build(t, cs, use, &ks);
    size_t nx = kx.n, ns = cs >= 0 ? ks.n : 1;
    cell_acc *acc = NULL;
    if (st == CX_OK && (nx > 0 && ns > SIZE_MAX / sizeof *acc / nx))
        st = cx_fail(CX_ERR_VALUE, "%zu series x %zu x values are too many groups", ns, nx);
    if (st == CX_OK && !(acc = calloc(ns * nx, sizeof *acc))) st = nomem();
    if (st != CX_OK) {
        free(use);
        axis_free(&kx);
        axis_free(&ks);
        return st;
    }

    /* Two passes: mean first, then squared deviations from it (no cancellation). */
    for (size_t r = 0; r < nr; r++) {
        if (!use[r]) continue;
        cell_acc *a = &acc[(cs >= 0 ? ks.key[r] : 0) * nx + kx.key[r]];
        double v = t->num[r * nc + (size_t)cy];
        if (a->n == 0 || v < a->min) a->min = v;
        if (a->n == 0 || v > a->max) a->max = v;
        a->sum += v;
        a->n++;
    }
    for (size_t i = 0; i < ns * nx; i++)
        if (acc[i].n) acc[i].mean = cell_mean(acc[i].sum, acc[i].n, acc[i].min, acc[i].max);
    for (size_t r = 0; r < nr; r++) {
        if (!use[r]) continue;
        cell_acc *a = &acc[(cs >= 0 ? ks.key[r] : 0) * nx + kx.key[r]];
        double d = t->num[r * nc + (size_t)cy] - a->mean;
        a->ssd += d * d;
    }

    out->x_is_text = x_text;
    out->series = calloc(ns, sizeof *out->series);
    if (!out->series) st = nomem();
    if (st == CX_OK) out->n_series = ns;
    char **slabels = NULL;
    if (st == CX_OK && cs >= 0 && !(slabels = axis_labels(&ks))) st = nomem();
    if (st == CX_OK && x_text) {
        if (!(out->categories = axis_labels(&kx)))
            st = nomem();
        else
            out->n_categories = nx;
    }
    for (size_t s = 0; s < ns && st == CX_OK; s++) {
        cx_plot_series *se = &out->series[s];
        if (slabels) {
            se->label = slabels[s];
            slabels[s] = NULL;
        }
        se->points = malloc(nx * sizeof *se->points);
        if (!se->points) {
            st = nomem();
            break;
        }
        for (size_t i = 0; i < nx; i++) {
            const cell_acc *a = &acc[s * nx + i];
            if (a->n == 0) continue;
            se->points[se->n_points++] = (cx_plot_point){
                .x = x_text ? (double)i : kx.values[i],
                .mean = a->mean,
                .std = a->n > 1 ? sqrt(a->ssd / (double)(a->n - 1)) : 0.0,
                .min = a->min,
                .max = a->max,
                .n = a->n,
            };
        }
    }
    free_labels(slabels, cs >= 0 ? ks.n : 0);
    free(acc);
    free(use);
    axis_free(&kx);
    axis_free(&ks);
    if (st != CX_OK) cx_plot_groups_free(out);
    return st;
}

/* ---- heat maps ---- */

void cx_plot_grid_free(cx_plot_grid *g)
{
    if (!g) return;
    free_labels(g->x_labels, g->nx);
    free_labels(g->y_labels, g->ny);
    free(g->mean);
    free(g->n);
    *g = (cx_plot_grid){0};
}

cx_status cx_plot_grid_stats(const cx_plot_table *t, const char *x, const char *y, const char *z,
                             cx_plot_grid *out)
{
    *out = (cx_plot_grid){0};
    CX_TRY(cx_plot_check_table(t));
    int cx, cy, cz;
    CX_TRY(cx_plot_find(t, x, "x", 0, &cx));
    CX_TRY(cx_plot_find(t, y, "y", 0, &cy));
    CX_TRY(cx_plot_find(t, z, "z", 1, &cz));
    size_t nr = t->n_rows, nc = (size_t)t->n_cols, used = 0;
    unsigned char *use = malloc(nr);
    if (!use) return nomem();
    for (size_t r = 0; r < nr; r++) {
        use[r] = cx_plot_cell_present(t, r, cx) && cx_plot_cell_present(t, r, cy) &&
                 cx_plot_cell_present(t, r, cz);
        used += use[r];
    }
    out->skipped = nr - used;
    if (!used) {
        free(use);
        *out = (cx_plot_grid){0};
        return cx_fail(CX_ERR_VALUE, "no row to plot: all %zu rows miss x '%s', y '%s' or z '%s'",
                       nr, x, y, z);
    }
    axis_keys kx, ky = {0};
    cx_status st = axis_build(t, cx, use, &kx);
    if (st == CX_OK) st = axis_build(t, cy, use, &ky);
    double *sum = NULL, *lo = NULL, *hi = NULL;
    if (st == CX_OK && ky.n > SIZE_MAX / sizeof *sum / kx.n)
        st = cx_fail(CX_ERR_VALUE, "%zu x %zu cells are too many", kx.n, ky.n);
    if (st == CX_OK) {
        out->nx = kx.n;
        out->ny = ky.n;
        sum = calloc(kx.n * ky.n, sizeof *sum);
        lo = malloc(kx.n * ky.n * sizeof *lo);
        hi = malloc(kx.n * ky.n * sizeof *hi);
        out->mean = malloc(kx.n * ky.n * sizeof *out->mean);
        out->n = calloc(kx.n * ky.n, sizeof *out->n);
        out->x_labels = axis_labels(&kx);
        out->y_labels = axis_labels(&ky);
        if (!sum || !lo || !hi || !out->mean || !out->n || !out->x_labels || !out->y_labels)
            st = nomem();
    }
    if (st == CX_OK) {
        for (size_t r = 0; r < nr; r++) {
            if (!use[r]) continue;
            size_t i = ky.key[r] * kx.n + kx.key[r];
            double v = t->num[r * nc + (size_t)cz];
            if (!out->n[i] || v < lo[i]) lo[i] = v;
            if (!out->n[i] || v > hi[i]) hi[i] = v;
            sum[i] += v;
            out->n[i]++;
        }
        int any = 0;
        for (size_t i = 0; i < kx.n * ky.n; i++) {
            if (!out->n[i]) {
                out->mean[i] = NAN;
                continue;
            }
            out->mean[i] = cell_mean(sum[i], out->n[i], lo[i], hi[i]);
            if (!any || out->mean[i] < out->lo) out->lo = out->mean[i];
            if (!any || out->mean[i] > out->hi) out->hi = out->mean[i];
            any = 1;
        }
    }
    free(sum);
    free(lo);
    free(hi);
    free(use);
    axis_free(&kx);
    axis_free(&ky);
    if (st != CX_OK) cx_plot_grid_free(out);
    return st;
}
