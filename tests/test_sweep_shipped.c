/* The sweeps shipped in configs/sweeps/ run end to end through the CLI,
 * produce every plot their index names, and show the effect each was written
 * to show: error grows with thermal noise and mismatch, shrinks with weight
 * bits, the router becomes the bottleneck as acceleration rises, and
 * remapping around chip defects keeps the error of a working die. */
#include "test_util.h"

#include "cx_fileio.h"
#include "cx_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    cx_plot_table t;
    cx_plot_owned *own;
    char *dir;
} sweep_result;

/* Runs configs/sweeps/name.yaml with two workers; reads its results.csv and
 * checks that every point ran and every picture exists. */
static sweep_result run_shipped_errors(const char *name, int n_plots, int n_errors)
{
    sweep_result r = {0};
    r.dir = cx_test_tmp(name);
    char args[4096], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "sweep '%s/configs/sweeps/%s.yaml' --output '%s' -j 2",
             CX_SOURCE_DIR, name, r.dir);
    int rc = cx_test_cli(args, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    char errors[32];
    snprintf(errors, sizeof errors, " %d errors", n_errors);
    ck_assert_msg(strstr(out, errors), "%s: expected%s in\n%s", name, errors, out);
    char want[64];
    snprintf(want, sizeof want, "index.html (%d plots)", n_plots);
    ck_assert_msg(strstr(out, want), "%s: expected %s in\n%s", name, want, out);
    free(out), free(err);
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", r.dir);
    char *html = NULL;
    size_t n = 0;
    ck_assert(cx_read_file(path, (uint8_t **)&html, &n) == CX_OK);
    /* every picture the index embeds is there and is an SVG */
    int found = 0;
    for (const char *p = html; (p = strstr(p, "<img src=\"")) != NULL; found++) {
        p += 10;
        const char *q = strchr(p, '"');
        ck_assert_ptr_nonnull(q);
        snprintf(path, sizeof path, "%s/%.*s", r.dir, (int)(q - p), p);
        uint8_t *svg = NULL;
        size_t m = 0;
        ck_assert_msg(cx_read_file(path, &svg, &m) == CX_OK, "%s", cx_last_error());
        ck_assert_msg(m > 200 && strstr((char *)svg, "<svg"), "%s is not an SVG", path);
        free(svg);
    }
    ck_assert_int_eq(found, n_plots);
    free(html);
    snprintf(path, sizeof path, "%s/results.csv", r.dir);
    ck_assert_msg(cx_plot_read_csv(path, &r.t, &r.own) == CX_OK, "%s", cx_last_error());
    return r;
}

static sweep_result run_shipped(const char *name, int n_plots)
{
    return run_shipped_errors(name, n_plots, 0);
}

static void result_free(sweep_result *r)
{
    cx_plot_owned_free(r->own);
    free(r->dir);
}

/* Mean of column y over the rows where column x equals v (and, when x2 is
 * given, column x2 equals v2). */
static double mean_at(const sweep_result *r, const char *x, double v, const char *x2, double v2,
                      const char *y)
{
    int cx = cx_plot_column(&r->t, x), cy = cx_plot_column(&r->t, y);
    int cx2 = x2 ? cx_plot_column(&r->t, x2) : -1;
    ck_assert_msg(cx >= 0 && cy >= 0 && (!x2 || cx2 >= 0), "missing column %s or %s", x, y);
    double s = 0;
    int n = 0;
    for (size_t i = 0; i < r->t.n_rows; i++) {
        const double *row = r->t.num + i * (size_t)r->t.n_cols;
        if (row[cx] != v || (x2 && row[cx2] != v2)) continue;
        s += row[cy];
        n++;
    }
    ck_assert_msg(n > 0, "no row with %s = %g", x, v);
    return s / n;
}

/* Mean of y over the ok rows where x equals v and text column k is s. */
static double mean_where(const sweep_result *r, const char *x, double v, const char *k,
                         const char *s, const char *y)
{
    int cx = cx_plot_column(&r->t, x), cy = cx_plot_column(&r->t, y), ck = cx_plot_column(&r->t, k);
    ck_assert_msg(cx >= 0 && cy >= 0 && ck >= 0, "missing column %s, %s or %s", x, y, k);
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < r->t.n_rows; i++) {
        const double *row = r->t.num + i * (size_t)r->t.n_cols;
        const char *cell = r->t.text[i * (size_t)r->t.n_cols + (size_t)ck];
        if (row[cx] != v || !cell || strcmp(cell, s) || isnan(row[cy])) continue;
        sum += row[cy];
        n++;
    }
    ck_assert_msg(n > 0, "no row with %s = %g and %s = %s", x, v, k, s);
    return sum / n;
}

START_TEST(lmnist_yield)
{
    /* two drawn dies have too few working tiles for the model: error rows */
    sweep_result r = run_shipped_errors("lmnist_yield", 3, 2);
    const char *rate = "defect_rate", *remap = "defects.remap";
    double base = mean_where(&r, rate, 0, remap, "true", "rmse");
    ck_assert(fabs(mean_where(&r, rate, 0, remap, "false", "rmse") - base) < 1e-12);
    static const double rates[] = {0.05, 0.1, 0.15, 0.2, 0.3};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        double good = mean_where(&r, rate, rates[i], remap, "true", "rmse");
        double bad = mean_where(&r, rate, rates[i], remap, "false", "rmse");
        /* remapped: the error of a working die; unaware: many times more */
        ck_assert_msg(good < 1.5 * base, "rate %g: remapped rmse %g, defect-free %g", rates[i],
                      good, base);
        ck_assert_msg(bad > 5 * good, "rate %g: unaware rmse %g, remapped %g", rates[i], bad, good);
        ck_assert(mean_where(&r, rate, rates[i], remap, "true", "dropped_spikes") == 0);
    }
    ck_assert(mean_where(&r, rate, 0.3, remap, "false", "accuracy") <
              mean_where(&r, rate, 0.3, remap, "true", "accuracy"));
    result_free(&r);
}
END_TEST

START_TEST(elm_thermal_mismatch)
{
    sweep_result r = run_shipped("elm_thermal_mismatch", 4);
    const char *th = "noise.thermal.sigma";
    /* more thermal noise, more error; mismatch adds to it */
    ck_assert(mean_at(&r, th, 1e-4, "mismatch", 0, "rmse") <
              mean_at(&r, th, 0.1, "mismatch", 0, "rmse"));
    ck_assert(mean_at(&r, th, 1e-4, "mismatch", 0, "rmse") <
              mean_at(&r, th, 1e-4, "mismatch", 0.1, "rmse"));
    result_free(&r);
}
END_TEST

START_TEST(lmnist_weight_bits)
{
    sweep_result r = run_shipped("lmnist_weight_bits", 4);
    const char *syn = "tile.synapses.weight_bits", *xb = "tile.dendrite.weight_bits";
    double e2 = mean_at(&r, syn, 2, xb, 8, "rmse"), e8 = mean_at(&r, syn, 8, xb, 8, "rmse");
    ck_assert_msg(e2 > 3 * e8, "2-bit synapses rmse %g, 8-bit %g", e2, e8);
    ck_assert(mean_at(&r, syn, 8, xb, 8, "accuracy") >= mean_at(&r, syn, 2, xb, 2, "accuracy"));
    result_free(&r);
}
END_TEST

START_TEST(lmnist_acceleration)
{
    sweep_result r = run_shipped("lmnist_acceleration", 6);
    const char *acc = "acceleration";
    /* real time: no late spikes; 300x: the router delivers late and the
     * error jumps; link load grows with acceleration */
    ck_assert(mean_at(&r, acc, 1, NULL, 0, "late_fraction") == 0);
    ck_assert(mean_at(&r, acc, 300, NULL, 0, "late_fraction") > 0.1);
    ck_assert(mean_at(&r, acc, 300, NULL, 0, "rmse") > 10 * mean_at(&r, acc, 1, NULL, 0, "rmse"));
    ck_assert(mean_at(&r, acc, 100, NULL, 0, "link_util_max") >
              10 * mean_at(&r, acc, 1, NULL, 0, "link_util_max"));
    result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep_shipped");
    TCase *tc = tcase_create("shipped");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, elm_thermal_mismatch);
    tcase_add_test(tc, lmnist_weight_bits);
    tcase_add_test(tc, lmnist_acceleration);
    tcase_add_test(tc, lmnist_yield);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
