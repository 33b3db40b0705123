/* The compile driver: lowering, calibration, and the compile report. */
#define _POSIX_C_SOURCE 200809L
#include "cx_compile.h"

#include "cx_evaluate.h"
#include "lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cx_compile_opts cx_compile_opts_default(void)
{
    return (cx_compile_opts){.min_tiles = 0,
                             .seed = 1,
                             .calib = NULL,
                             .mc_instances = 4,
                             .budget = 1,
                             .headroom = 0.9,
                             .label = NULL,
                             .routing = 1};
}

static cx_status lower_model(const cx_model *m, const cx_chip_config *chip,
                             const cx_compile_opts *o, cx_program **p)
{
    if (m->kind == CX_KIND_ELM) {
        if (o->min_tiles > 1)
            return cx_fail(CX_ERR_UNSUPPORTED,
                           "an ELM neuron compiles onto one tile; --tiles %d cannot apply",
                           o->min_tiles);
        return cx_lower_elm(m->elm, chip, m->dir, p);
    }
    int *part = malloc((size_t)m->glifr->hidden * sizeof *part);
    if (!part) return cx_fail(CX_ERR_NOMEM, "out of memory");
    int k = 0;
    cx_status st = cx_place_glifr(m->glifr, chip, o->min_tiles, o->seed, part, &k);
    if (st == CX_OK) st = cx_lower_glifr(m->glifr, chip, m->dir, part, k, p);
    free(part);
    return st;
}

/* Ranges on the ideal chip; states rescaled into the rails; the report's
 * dynamic-range section. */
static cx_status calibrate_range(cx_program *p, const cx_chip_config *chip,
                                 const cx_compile_opts *o, cJSON *rep)
{
    cx_chip_config ideal;
    cx_chip_with_source(chip, -1, &ideal);
    cx_exec_opts eo = {.seed = 0, .router = 0, .track_range = 1};
    const cx_inputs *in = o->calib;
    double *y = malloc((size_t)(in->samples * in->steps * p->n_outputs + 1) * sizeof(double));
    if (!y) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_exec *e = NULL;
    cx_status st = cx_evaluate(p, &ideal, &eo, in, y, o->label ? "calibration" : NULL, &e);
    free(y);
    if (st != CX_OK) return st;
    double **cr = malloc((size_t)p->n_tiles * sizeof *cr);
    double **rr = malloc((size_t)p->n_tiles * sizeof *rr);
    if (!cr || !rr) {
        free(cr), free(rr), cx_exec_free(e);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < p->n_tiles; k++) {
        cr[k] = cx_exec_comp_range(e, k);
        rr[k] = cx_exec_readout_range(e, k);
    }
    double rail = fmin(fabs(chip->tile.rails.x_min), fabs(chip->tile.rails.x_max));
    size_t over = cx_lower_scale(p, chip, cr, rr, o->headroom);
    cJSON *dr = cJSON_AddObjectToObject(rep, "dynamic_range");
    cJSON_AddNumberToObject(dr, "rail", rail);
    cJSON_AddNumberToObject(dr, "headroom", o->headroom);
    cJSON_AddNumberToObject(dr, "calibration_samples", (double)in->samples);
    size_t scaled = 0;
    double worst = 0;
    cJSON *sat = cJSON_AddArrayToObject(dr, "saturating");
    for (int k = 0; k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        for (size_t c = 0; c < t->n_comps; c++) {
            scaled += t->comp_scale[c] != 1.0;
            double model_max = cr[k][c]; /* measured before scaling, model units */
            double state_max = model_max / t->comp_scale[c];
            if (state_max <= rail) continue;
            worst = fmax(worst, state_max / rail);
            if (cJSON_GetArraySize(sat) >= 50) continue;
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "tile", k);
            cJSON_AddStringToObject(j, "compartment", t->comp_names[c] ? t->comp_names[c] : "?");
            cJSON_AddNumberToObject(j, "max_abs", model_max);
            cJSON_AddNumberToObject(j, "scale", t->comp_scale[c]);
            cJSON_AddNumberToObject(j, "state_max_abs", state_max);
            cJSON_AddItemToArray(sat, j);
        }
    }
    cJSON_AddNumberToObject(dr, "scaled_compartments", (double)scaled);
    cJSON_AddNumberToObject(dr, "saturating_compartments", (double)over);
    cJSON_AddNumberToObject(dr, "worst_over_rail", worst);
    free(cr);
    free(rr);
    cx_exec_free(e);
    return CX_OK;
}

/* RMSE under the chip as configured (instances) and per source alone. */
static cx_status predict_noise(const cx_program *p, const cx_chip_config *chip,
                               const cx_compile_opts *o, const double *ref, cJSON *rep)
{
    const cx_inputs *in = o->calib;
    const int O = p->n_outputs;
    size_t ny = (size_t)(in->samples * in->steps * O);
    double *y = malloc((ny + 1) * sizeof *y);
    double *acc = calloc((size_t)O + 1, sizeof *acc);
    if (!y || !acc) {
        free(y), free(acc);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    cx_status st = CX_OK;
    cJSON *nz = cJSON_AddObjectToObject(rep, "noise");
    cJSON_AddNumberToObject(nz, "instances", o->mc_instances);
    cJSON_AddNumberToObject(nz, "samples", (double)in->samples);
    double mse = 0, mse_last = 0, worst = 0;
    /* prediction instances use seeds a run's --seed 1..N would not */
    const uint64_t mc_seed = 0x6d6f6e7465ull;
    for (int i = 0; i < o->mc_instances && st == CX_OK; i++) {
        cx_exec_opts eo = {.seed = mc_seed + (uint64_t)i, .router = 0};
        st = cx_evaluate(p, chip, &eo, in, y, o->label ? "noise prediction" : NULL, NULL);
        cx_error err;
        if (st == CX_OK) st = cx_error_of(y, ref, in->samples, in->steps, O, &err);
        if (st != CX_OK) break;
        mse += err.rmse * err.rmse;
        mse_last += err.rmse_last * err.rmse_last;
        worst = fmax(worst, err.max_abs);
        for (int k = 0; k < O; k++)
            acc[k] += err.per_output[k] * err.per_output[k];
        cx_error_release(&err);
    }
    if (st == CX_OK && o->mc_instances > 0) {
        double n = o->mc_instances;
        cJSON *pr = cJSON_AddObjectToObject(nz, "predicted");
        cJSON_AddNumberToObject(pr, "rmse", sqrt(mse / n));
        cJSON_AddNumberToObject(pr, "rmse_last_step", sqrt(mse_last / n));
        cJSON_AddNumberToObject(pr, "max_abs", worst);
        cJSON *po = cJSON_AddArrayToObject(pr, "rmse_per_output");
        for (int k = 0; k < O; k++)
            cJSON_AddItemToArray(po, cJSON_CreateNumber(sqrt(acc[k] / n)));
        if (in->labels)
            cJSON_AddNumberToObject(pr, "reference_accuracy",
                                    cx_accuracy_last(ref, in->labels, in->samples, in->steps, O));
    }
    cJSON *bud = o->budget ? cJSON_AddObjectToObject(nz, "budget") : NULL;
    for (int s = 0; bud && s < CX_NOISE_SOURCES && st == CX_OK; s++) {
        cx_chip_config one;
        if (!cx_chip_with_source(chip, s, &one)) continue;
        double b = 0;
        int n = one.noise.mismatch.enabled ? o->mc_instances : 1;
        for (int i = 0; i < (n > 0 ? n : 1) && st == CX_OK; i++) {
            cx_exec_opts eo = {.seed = mc_seed + (uint64_t)i, .router = 0};
            st = cx_evaluate(p, &one, &eo, in, y, NULL, NULL);
            cx_error err;
            if (st == CX_OK) st = cx_error_of(y, ref, in->samples, in->steps, O, &err);
            if (st != CX_OK) break;
            b += err.rmse * err.rmse;
            cx_error_release(&err);
        }
        cJSON_AddNumberToObject(bud, cx_noise_source_name(s), sqrt(b / (n > 0 ? n : 1)));
    }
    free(y);
    free(acc);
    return st;
}

/* Noise-free copies of the board's chips, for the routing prediction. */
static cx_chip_config *ideal_chips(const cx_board *b)
{
    cx_chip_config *c = malloc((size_t)b->n_chips * sizeof *c);
    for (int i = 0; c && i < b->n_chips; i++)
        cx_chip_with_source(&b->chips[i], -1, &c[i]);
    return c;
}

/* The router on the calibration input: expected traffic, late spikes and
 * what they cost (noise off, so the error is the router's alone). */
static cx_status predict_routing(const cx_program *p, const cx_chip_config *chip,
                                 const cx_compile_opts *o, const double *ref, cJSON *rep)
{
    const cx_inputs *in = o->calib;
    size_t ny = (size_t)(in->samples * in->steps * p->n_outputs);
    double *y = malloc((ny + 1) * sizeof *y);
    if (!y) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_chip_config ideal;
    cx_chip_with_source(chip, -1, &ideal);
    cx_exec_opts eo = {.seed = o->seed, .router = 1, .board = o->board};
    cx_chip_config *chips = o->board ? ideal_chips(o->board) : NULL;
    if (o->board && !chips) {
        free(y);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    eo.chips = chips;
    cx_exec *e = NULL;
    cx_status st = cx_evaluate(p, &ideal, &eo, in, y, o->label ? "routing" : NULL, &e);
    if (st == CX_OK) {
        cJSON *df = cx_report_defects(chip, p, e);
        if (df) cJSON_ReplaceItemInObjectCaseSensitive(rep, "defects", df);
        cJSON *r = cx_report_routing(e, chip, p->step_ms);
        cx_error err;
        if (cx_error_of(y, ref, in->samples, in->steps, p->n_outputs, &err) == CX_OK) {
            cJSON_AddItemToObject(r, "error_from_routing", cx_error_json(&err));
            cx_error_release(&err);
        }
        cJSON_AddItemToObject(rep, "routing", r);
        cJSON_AddItemToObject(rep, "energy", cx_report_energy(e));
    }
    cx_exec_free(e);
    free(chips);
    free(y);
    return st;
}

/* The chip with the compartments and synapse entries of its worst tile
 * (stuck slots and dead entries taken away), for placement. */
static cx_status working_capacity(const cx_chip_config *chip, cx_chip_config *fit)
{
    cx_chip_tile_defect_totals d;
    CX_TRY(cx_chip_tile_defects_all(chip, &d));
    fit->tile.compartments = chip->tile.compartments - (int)d.max_comps;
    fit->tile.synapses.entries = chip->tile.synapses.entries - (int)d.max_synapses;
    return CX_OK;
}

cx_status cx_compile(const cx_model *m, const cx_chip_config *chip, const cx_compile_opts *o,
                     cx_program **prog, cJSON **report)
{
    *prog = NULL;
    if (report) *report = NULL;
    /* a board compiles on its chips stacked into one mesh, then splits */
    cx_chip_config stacked;
    if (o->board) {
        stacked = cx_board_stack(o->board);
        chip = &stacked;
    }
    /* defects.remap false: a toolchain that does not know the defects
     * places, calibrates and predicts as if there were none (the run then
     * meets them); the report still lists them */
    const cx_chip_config *real = chip;
    cx_chip_config unaware;
    if (cx_chip_has_defects(chip) && !chip->defects.remap) {
        unaware = *chip;
        memset(&unaware.defects, 0, sizeof unaware.defects);
        chip = &unaware;
    }
    /* remapped defects inside tiles: every tile offers what its worst one works */
    cx_chip_config fit = *chip;
    if (chip->defects.remap && cx_chip_has_tile_defects(chip)) CX_TRY(working_capacity(chip, &fit));
    cx_program *p = NULL;
    CX_TRY(lower_model(m, &fit, o, &p));
    cJSON *rep = cJSON_CreateObject();
    cJSON_AddStringToObject(rep, "report", "compile");
    cJSON *mj = cJSON_AddObjectToObject(rep, "model");
    cJSON_AddStringToObject(mj, "kind", cx_model_kind_name(m->kind));
    cJSON_AddStringToObject(mj, "dir", m->dir);
    cJSON *cj = cJSON_AddObjectToObject(rep, "chip");
    cJSON_AddStringToObject(cj, "name", chip->name ? chip->name : "");
    cJSON_AddStringToObject(cj, "mode", cx_chip_mode_name(chip->tile.mode));
    cJSON_AddNumberToObject(cj, "acceleration", chip->acceleration);
    cJSON_AddNumberToObject(cj, "step_ms", p->step_ms);
    cx_status st = CX_OK;
    /* every tile against the chip: resource errors name what is missing */
    cx_exec_opts eo = {.seed = o->seed, .router = 0};
    cx_exec *probe = NULL;
    st = cx_exec_alloc(p, chip, &eo, &probe);
    cx_exec_free(probe);
    if (st == CX_OK && o->calib) {
        if (o->calib->n != p->n_inputs)
            st = cx_fail(CX_ERR_SHAPE, "calibration input has %lld channels, the model %d",
                         (long long)o->calib->n, p->n_inputs);
        if (st == CX_OK) st = calibrate_range(p, chip, o, rep);
        p->steps_hint = (int)o->calib->steps;
        /* input full scales for graded host packets */
        for (int c = 0; st == CX_OK && c < p->n_inputs; c++) {
            double mx = 0;
            for (int64_t i = c; i < o->calib->samples * o->calib->steps * o->calib->n;
                 i += o->calib->n)
                mx = fmax(mx, fabs(o->calib->x[i] / p->in_sign[c]));
            p->in_scale[c] = mx > 0 ? mx : 1.0;
        }
    }
    /* the reference on the calibration input, once for both predictions */
    double *ref = NULL;
    if (st == CX_OK && o->calib) {
        ref =
            malloc((size_t)(o->calib->samples * o->calib->steps * p->n_outputs + 1) * sizeof *ref);
        st = ref ? cx_inputs_reference(m, o->calib, ref) : cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    /* noise: on the fast kernel, where the tiles sit does not matter (a
     * board's prediction uses chip 0's noise) */
    if (st == CX_OK && o->calib && o->mc_instances > 0) st = predict_noise(p, chip, o, ref, rep);
    if (st == CX_OK && o->board) {
        st = cx_board_assign(p, o->board, o->min_chips, o->seed);
        cJSON *bj = cJSON_AddObjectToObject(rep, "board");
        cJSON_AddStringToObject(bj, "name", o->board->name);
        cJSON_AddNumberToObject(bj, "chips", o->board->n_chips);
        int n_used = 0;
        for (int c = 0; c < o->board->n_chips; c++)
            for (int k = 0; k < p->n_tiles; k++)
                if (p->tiles[k].chip == c) {
                    n_used++;
                    break;
                }
        cJSON_AddNumberToObject(bj, "chips_used", n_used);
    }
    cJSON_AddItemToObject(rep, "resources", cx_report_resources(p, chip));
    if (!o->board) {
        cJSON *df = cx_report_defects(real, p, NULL);
        if (df) cJSON_AddItemToObject(rep, "defects", df);
    }
    if (st == CX_OK && o->calib && o->routing) st = predict_routing(p, chip, o, ref, rep);
    free(ref);
    if (st != CX_OK) {
        cJSON_Delete(rep);
        cx_program_free(p);
        return st;
    }
    *prog = p;
    if (report)
        *report = rep;
    else
        cJSON_Delete(rep);
    return CX_OK;
}
