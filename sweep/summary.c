/* The readable text of a sweep summary (DIR/summary.json). */
#define _POSIX_C_SOURCE 200809L
#include "cx_sweep.h"

#include <math.h>
#include <string.h>

/* Grid cells shown in the text; summary.json has them all. */
enum { SHOWN_CELLS = 40 };

static double num(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? j->valuestring : "";
}

/* Column width of an axis in the per-cell table. */
static int width(const cJSON *axis)
{
    int n = (int)strlen(str(axis, "name"));
    return n < 12 ? 12 : n;
}

void cx_sweep_summary_print(FILE *fp, const cJSON *sum)
{
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(sum, "axes");
    const cJSON *metric = cJSON_GetObjectItemCaseSensitive(sum, "metric");
    const char *mname = str(metric, "name");
    fprintf(fp, "sweep %s: %.0f grid cells x %.0f seeds = %.0f points (%s)\n", str(sum, "name"),
            num(sum, "cells"), num(sum, "seeds"), num(sum, "points"), str(sum, "sweep"));
    fprintf(fp, "  points     %.0f ok, %.0f errors; %.0f computed now, %.0f resumed\n",
            num(sum, "ok"), num(sum, "errors"), num(sum, "computed"), num(sum, "resumed"));
    if (num(sum, "ignored_journal_lines") > 0)
        fprintf(fp, "             %.0f unreadable lines of the journal ignored\n",
                num(sum, "ignored_journal_lines"));
    fprintf(fp, "  programs   %.0f distinct; %.0f compiled in this run\n", num(sum, "programs"),
            num(sum, "compiles"));
    fprintf(fp, "  time       %.2f s with %.0f worker%s x %.0f rank%s (%.3g points/s)\n",
            num(sum, "compute_s"), num(sum, "workers"), num(sum, "workers") > 1 ? "s" : "",
            num(sum, "ranks"), num(sum, "ranks") > 1 ? "s" : "", num(sum, "points_per_s"));
    if (num(metric, "points") > 0)
        fprintf(
            fp,
            "  %-10s mean %.4g over %.0f points; min %.4g (point %.0f), max %.4g (point %.0f)\n",
            mname, num(metric, "mean"), num(metric, "points"), num(metric, "min"),
            num(metric, "min_point"), num(metric, "max"), num(metric, "max_point"));
    if (!isnan(num(sum, "reference_accuracy")))
        fprintf(fp, "  reference  accuracy %.4f on the inputs\n", num(sum, "reference_accuracy"));
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(sum, "by_cell");
    int n_cells = cJSON_GetArraySize(cells);
    if (n_cells > 1 || cJSON_GetArraySize(axes) > 0) {
        fprintf(fp, "  %s per grid cell (over the seeds):\n   ", mname);
        const cJSON *a;
        cJSON_ArrayForEach(a, axes) fprintf(fp, " %-*s", width(a), str(a, "name"));
        fprintf(fp, " %10s %10s %10s %10s\n", "mean", "std", "min", "max");
        int shown = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cells)
        {
            if (shown++ == SHOWN_CELLS) {
                fprintf(fp, "    ... %d more cells in summary.json\n", n_cells - SHOWN_CELLS);
                break;
            }
            fprintf(fp, "   ");
            cJSON_ArrayForEach(a, axes)
            {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, str(a, "name"));
                if (cJSON_IsString(v))
                    fprintf(fp, " %-*s", width(a), v->valuestring);
                else
                    fprintf(fp, " %-*.6g", width(a), cJSON_IsNumber(v) ? v->valuedouble : NAN);
            }
            if (num(c, "ok") > 0)
                fprintf(fp, " %10.4g %10.4g %10.4g %10.4g", num(c, "mean"), num(c, "std"),
                        num(c, "min"), num(c, "max"));
            else
                fprintf(fp, " %10s %10s %10s %10s", "-", "-", "-", "-");
            if (num(c, "errors") > 0) fprintf(fp, "  (%.0f errors)", num(c, "errors"));
            fputc('\n', fp);
        }
    }
    const cJSON *e;
    int first = 1;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sum, "first_errors"))
    {
        if (first)
            fprintf(fp, "  errors (first %d):\n",
                    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sum, "first_errors")));
        first = 0;
        fprintf(fp, "    point %.0f: %s\n", num(e, "point"), str(e, "message"));
    }
    fprintf(fp, "  output     %s: results.csv, results.jsonl, summary.json, timing.jsonl",
            str(sum, "output"));
    if (num(sum, "plots") > 0) fprintf(fp, ", index.html (%.0f plots)", num(sum, "plots"));
    fputc('\n', fp);
}
