/* Running a program over inputs; errors against the reference; one noise
 * source at a time. */
#define _POSIX_C_SOURCE 200809L
#include "cx_evaluate.h"

#include "cx_progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const SOURCES[CX_NOISE_SOURCES] = {"thermal",      "flicker",  "mismatch",
                                                      "quantization", "crossbar", "saturation"};

const char *cx_noise_source_name(int s)
{
    return s >= 0 && s < CX_NOISE_SOURCES ? SOURCES[s] : "?";
}

static int *source_flag(cx_chip_config *c, int s)
{
    switch (s) {
    case 0:
        return &c->noise.thermal.enabled;
    case 1:
        return &c->noise.flicker.enabled;
    case 2:
        return &c->noise.mismatch.enabled;
    case 3:
        return &c->noise.quantization.enabled;
    case 4:
        return &c->noise.crossbar.enabled;
    default:
        return &c->noise.saturation.enabled;
    }
}

int cx_chip_with_source(const cx_chip_config *chip, int s, cx_chip_config *out)
{
    *out = *chip; /* shares the pointer fields: never freed through out */
    int on = s >= 0 && *source_flag(out, s);
    for (int k = 0; k < CX_NOISE_SOURCES; k++)
        *source_flag(out, k) = 0;
    if (on) *source_flag(out, s) = 1;
    return s < 0 || on;
}

cx_status cx_evaluate(const cx_program *p, const cx_chip_config *chip, const cx_exec_opts *o,
                      const cx_inputs *in, double *y, const char *label, cx_exec **keep)
{
    cx_exec *e;
    CX_TRY(cx_exec_alloc(p, chip, o, &e));
    if (in->n != p->n_inputs) {
        cx_exec_free(e);
        return cx_fail(CX_ERR_SHAPE, "inputs have %lld channels, the program %d", (long long)in->n,
                       p->n_inputs);
    }
    cx_progress prog;
    if (label) cx_progress_start(&prog, label, (size_t)in->samples);
    cx_status st = CX_OK;
    const size_t xs = (size_t)(in->steps * in->n), ys = (size_t)in->steps * (size_t)p->n_outputs;
    for (int64_t s = 0; s < in->samples && st == CX_OK; s++) {
        st = cx_exec_sample(e, in->x + (size_t)s * xs, (int)in->steps, y + (size_t)s * ys, NULL);
        if (label) cx_progress_update(&prog, (size_t)s + 1);
    }
    if (label) cx_progress_finish(&prog);
    if (keep && st == CX_OK)
        *keep = e;
    else
        cx_exec_free(e);
    return st;
}

cx_status cx_error_of(const double *y, const double *ref, int64_t S, int64_t T, int O, cx_error *e)
{
    memset(e, 0, sizeof *e);
    e->n_out = O;
    e->per_output = calloc((size_t)(O ? O : 1), sizeof(double));
    if (!e->per_output) return cx_fail(CX_ERR_NOMEM, "out of memory");
    double all = 0, last = 0;
    for (int64_t s = 0; s < S; s++)
        for (int64_t t = 0; t < T; t++)
            for (int o = 0; o < O; o++) {
                size_t i = (size_t)((s * T + t) * O + o);
                double d = y[i] - ref[i];
                double d2 = d * d;
                all += d2;
                e->per_output[o] += d2;
                if (t == T - 1) last += d2;
                if (fabs(d) > e->max_abs || isnan(d)) e->max_abs = isnan(d) ? NAN : fabs(d);
            }
    double n = (double)S * (double)T;
    e->rmse = n > 0 && O > 0 ? sqrt(all / (n * O)) : 0;
    e->rmse_last = S > 0 && O > 0 ? sqrt(last / ((double)S * O)) : 0;
    for (int o = 0; o < O; o++)
        e->per_output[o] = n > 0 ? sqrt(e->per_output[o] / n) : 0;
    return CX_OK;
}

void cx_error_release(cx_error *e)
{
    free(e->per_output);
    memset(e, 0, sizeof *e);
}

cJSON *cx_error_json(const cx_error *e)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "rmse", e->rmse);
    cJSON_AddNumberToObject(j, "rmse_last_step", e->rmse_last);
    cJSON_AddNumberToObject(j, "max_abs", e->max_abs);
    cJSON *po = cJSON_AddArrayToObject(j, "rmse_per_output");
    for (int o = 0; o < e->n_out; o++)
        cJSON_AddItemToArray(po, cJSON_CreateNumber(e->per_output[o]));
    return j;
}

double cx_accuracy_last(const double *y, const uint8_t *labels, int64_t S, int64_t T, int O)
{
    if (S <= 0) return 0;
    int64_t hits = 0;
    for (int64_t s = 0; s < S; s++) {
        const double *row = y + (size_t)((s * T + T - 1) * O);
        int best = 0;
        for (int o = 1; o < O; o++)
            if (row[o] > row[best]) best = o;
        hits += best == labels[s];
    }
    return (double)hits / (double)S;
}
