/* cortile compare A B: error statistics per common tensor. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_st.h"

#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cortile compare A.safetensors B.safetensors [--tensor NAME]... [--tol X] [--rel] "
    "[--json]\n"
    "\n"
    "For every tensor present in both files (or only the named ones), prints the\n"
    "max absolute error, the RMSE and the max relative error |a-b| / max(1, |b|)\n"
    "(B is taken as the reference). NaN in one file but not the other counts as\n"
    "an infinite error; NaN in both at the same place counts as equal.\n"
    "\n"
    "  --tensor NAME  compare only this tensor (repeatable)\n"
    "  --tol X        exit 1 when an error exceeds X (max abs, or max rel with --rel)\n"
    "  --rel          apply --tol to the relative error\n"
    "  --json         print the statistics as JSON\n"
    "\n"
    "exit: 0 within tolerance, 1 tolerance exceeded or unreadable input, 2 usage\n";

typedef struct {
    double max_abs, rmse, max_rel;
    size_t argmax;
} diff_stats;

static void diff(const cx_st_tensor *a, const cx_st_tensor *b, diff_stats *s)
{
    double sum2 = 0;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < a->nelem; i++) {
        double x = cx_st_get(a, i), y = cx_st_get(b, i), d;
        if (isnan(x) || isnan(y))
            d = (isnan(x) && isnan(y)) ? 0 : INFINITY;
        else if (x == y)
            d = 0; /* also equal infinities */
        else
            d = fabs(x - y);
        double r = d / fmax(1.0, fabs(y));
        if (d > s->max_abs) {
            s->max_abs = d;
            s->argmax = i;
        }
        if (r > s->max_rel) s->max_rel = r;
        sum2 += d * d;
    }
    s->rmse = a->nelem ? sqrt(sum2 / (double)a->nelem) : 0;
}

static int same_shape(const cx_st_tensor *a, const cx_st_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

static int listed(const char *name, char **names, int n)
{
    if (n == 0) return 1;
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return 1;
    return 0;
}

int cx_cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tensor", required_argument, 0, 't'}, {"tol", required_argument, 0, 'o'},
        {"rel", no_argument, 0, 'r'},          {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    char **names = calloc((size_t)argc, sizeof *names);
    int nnames = 0, rel = 0, json = 0, c, rc = 0;
    double tol = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            names[nnames++] = optarg;
            break;
        case 'o':
            if (cx_cli_opt_double("compare", "--tol", optarg, 0, 0, DBL_MAX, &tol)) {
                free(names);
                return 2;
            }
            break;
        case 'r':
            rel = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(help, stdout);
            free(names);
            return 0;
        default:
            free(names);
            return cx_cli_usage("compare", "unknown option");
        }
    }
    if (argc - optind != 2) {
        free(names);
        return cx_cli_usage("compare", "expected two safetensors files");
    }
    const char *path_a = argv[optind], *path_b = argv[optind + 1];
    cx_st_file *fa = NULL, *fb = NULL;
    cx_status st = cx_st_open(path_a, &fa);
    if (st == CX_OK) st = cx_st_open(path_b, &fb);
    if (st != CX_OK) {
        free(names);
        cx_st_close(fa);
        cx_cli_error("compare", st);
        return 1;
    }
    for (int i = 0; i < nnames; i++) {
        if (!cx_st_find(fa, names[i]) || !cx_st_find(fb, names[i])) {
            fprintf(stderr, "cortile compare: error: tensor '%s' is not in both %s and %s\n",
                    names[i], path_a, path_b);
            rc = 1;
        }
    }
    cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "tensors");
    int compared = 0, exceeded = 0;
    if (!json && rc == 0)
        printf("%-24s %-16s %12s %12s %12s\n", "tensor", "shape", "max_abs", "rmse", "max_rel");
    for (size_t i = 0; i < fa->ntensors && rc == 0; i++) {
        const cx_st_tensor *a = &fa->tensors[i], *b = cx_st_find(fb, a->name);
        if (!b || !listed(a->name, names, nnames)) continue;
        if (a->dtype == CX_DT_BOOL && b->dtype != CX_DT_BOOL) continue;
        char shape[96];
        cx_st_shape_str(a->ndim, a->shape, shape, sizeof shape);
        if (!same_shape(a, b)) {
            char other[96];
            cx_st_shape_str(b->ndim, b->shape, other, sizeof other);
            fprintf(stderr, "cortile compare: error: tensor '%s': shape %s in %s but %s in %s\n",
                    a->name, shape, path_a, other, path_b);
            rc = 1;
            break;
        }
        diff_stats s;
        diff(a, b, &s);
        double err = rel ? s.max_rel : s.max_abs;
        int bad = tol >= 0 && !(err <= tol);
        exceeded += bad;
        compared++;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", a->name);
            cJSON_AddStringToObject(o, "shape", shape);
            cJSON_AddNumberToObject(o, "max_abs", s.max_abs);
            cJSON_AddNumberToObject(o, "rmse", s.rmse);
            cJSON_AddNumberToObject(o, "max_rel", s.max_rel);
            cJSON_AddNumberToObject(o, "argmax_abs", (double)s.argmax);
            if (tol >= 0) cJSON_AddBoolToObject(o, "within_tol", !bad);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%-24s %-16s %12.3e %12.3e %12.3e%s\n", a->name, shape, s.max_abs, s.rmse,
                   s.max_rel, bad ? "  EXCEEDS TOL" : "");
        }
    }
    if (rc == 0 && compared == 0) {
        fprintf(stderr, "cortile compare: error: no common numeric tensors in %s and %s\n", path_a,
                path_b);
        rc = 1;
    }
    if (rc == 0) {
        if (tol >= 0) {
            cJSON_AddNumberToObject(doc, "tol", tol);
            cJSON_AddBoolToObject(doc, "relative", rel);
            cJSON_AddNumberToObject(doc, "exceeded", exceeded);
        }
        if (json)
            cx_cli_print_json(doc), doc = NULL;
        else if (tol >= 0)
            printf("%d of %d tensors exceed the %s tolerance %g\n", exceeded, compared,
                   rel ? "relative" : "absolute", tol);
        rc = exceeded ? 1 : 0;
    }
    cJSON_Delete(doc);
    cx_st_close(fa);
    cx_st_close(fb);
    free(names);
    return rc;
}
