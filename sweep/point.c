/* One point of a sweep: its chip, its program (from a small cache of
 * compiled programs), a run on chip instance `seed`, and its row. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include "cx_compile.h"
#include "cx_evaluate.h"
#include "cx_progress.h"
#include "cx_st.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Programs kept per process; points are handed out grouped by program. */
enum { CACHE_SLOTS = 8 };

typedef struct {
    int group; /* -1: empty */
    cx_program *prog;
    char *error; /* the compile failed: its message */
    unsigned long used;
} cache_slot;

struct cx_sweep_worker {
    const cx_sweep_spec *s;
    const cx_sweep_plan *plan;
    cx_model *m;
    cx_inputs in, calib;
    double *ref, *y;
    cache_slot cache[CACHE_SLOTS];
    unsigned long tick;
    cx_sweep_row row;
};

static cx_status load_inputs(const cx_model *m, const char *path, long limit, cx_inputs *in)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (m->kind != CX_KIND_GLIFR || cx_model_inputs(m) != 28)
            return cx_fail(CX_ERR_USAGE,
                           "%s: an MNIST folder is input for a line-by-line MNIST GLIFR model only",
                           path);
        return cx_inputs_mnist(path, limit, in);
    }
    return cx_inputs_load(path, m->kind, cx_model_inputs(m), limit, in);
}

cx_status cx_sweep_worker_alloc(const cx_sweep_spec *s, const cx_sweep_plan *plan,
                                cx_sweep_worker **out)
{
    *out = NULL;
    cx_sweep_worker *w = calloc(1, sizeof *w);
    if (!w) return cx_fail(CX_ERR_NOMEM, "out of memory");
    w->s = s;
    w->plan = plan;
    for (int i = 0; i < CACHE_SLOTS; i++)
        w->cache[i].group = -1;
    cx_status st = cx_sweep_row_init(s, &w->row);
    if (st == CX_OK) st = cx_model_load(s->model_dir, CX_KIND_AUTO, NULL, 0, &w->m);
    if (st == CX_OK) st = load_inputs(w->m, s->inputs_path, s->samples, &w->in);
    if (st == CX_OK && s->calib_path)
        st = load_inputs(w->m, s->calib_path, s->calib_samples, &w->calib);
    if (st == CX_OK) {
        size_t ny = (size_t)(w->in.samples * w->in.steps * cx_model_outputs(w->m));
        w->ref = malloc((ny + 1) * sizeof *w->ref);
        w->y = malloc((ny + 1) * sizeof *w->y);
        if (!w->ref || !w->y) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK) st = cx_inputs_reference(w->m, &w->in, w->ref);
    if (st != CX_OK) {
        cx_sweep_worker_free(w);
        return st;
    }
    *out = w;
    return CX_OK;
}

void cx_sweep_worker_free(cx_sweep_worker *w)
{
    if (!w) return;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        cx_program_free(w->cache[i].prog);
        free(w->cache[i].error);
    }
    cx_sweep_row_release(w->s, &w->row);
    free(w->ref);
    free(w->y);
    cx_inputs_release(&w->in);
    cx_inputs_release(&w->calib);
    cx_model_free(w->m);
    free(w);
}

double cx_sweep_worker_reference_accuracy(const cx_sweep_worker *w)
{
    if (!w->in.labels) return NAN;
    return cx_accuracy_last(w->ref, w->in.labels, w->in.samples, w->in.steps,
                            cx_model_outputs(w->m));
}

/* Compiles group g for the ideal version of its first cell's chip, so the
 * program (and a compile error) is the same whichever point asks first. */
static cx_status compile_group(cx_sweep_worker *w, int g, cache_slot *slot)
{
    cx_chip_config chip;
    cx_status st = cx_sweep_cell_chip(w->s, w->plan->group_cell[g], &chip);
    if (st == CX_OK) {
        cx_chip_config ideal;
        cx_chip_with_source(&chip, -1, &ideal);
        cx_compile_opts o = cx_compile_opts_default();
        o.calib = w->s->calib_path ? &w->calib : NULL;
        o.mc_instances = 0;
        o.budget = 0;
        o.routing = 0; /* a report; each point measures its own routing */
        st = cx_compile(w->m, &ideal, &o, &slot->prog, NULL);
    }
    cx_chip_free(&chip);
    if (st == CX_ERR_NOMEM) return st;
    if (st != CX_OK && !(slot->error = strdup(cx_last_error())))
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    return CX_OK;
}

static cx_status program_of(cx_sweep_worker *w, int g, cache_slot **out, cx_sweep_timing *t)
{
    cache_slot *slot = &w->cache[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (w->cache[i].group == g) {
            w->cache[i].used = ++w->tick;
            *out = &w->cache[i];
            return CX_OK;
        }
        if (w->cache[i].used < slot->used) slot = &w->cache[i];
    }
    cx_program_free(slot->prog);
    free(slot->error);
    memset(slot, 0, sizeof *slot);
    slot->group = -1;
    double t0 = cx_now_s();
    CX_TRY(compile_group(w, g, slot));
    t->compiled = 1;
    t->compile_s = cx_now_s() - t0;
    slot->group = g;
    slot->used = ++w->tick;
    *out = slot;
    return CX_OK;
}

static void set_error(cx_sweep_worker *w, const char *stage, const char *msg)
{
    const cx_sweep_spec *s = w->s;
    char buf[1200];
    snprintf(buf, sizeof buf, "%s: %s", stage, msg);
    cx_sweep_row_set_text(s, &w->row, cx_sweep_rcol(s, COL_STATUS), "error");
    cx_sweep_row_set_text(s, &w->row, cx_sweep_rcol(s, COL_MESSAGE), buf);
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

/* The measured columns of a finished run. */
static cx_status measure(cx_sweep_worker *w, const cx_program *p, const cx_chip_config *chip,
                         const cx_exec *e)
{
    const cx_sweep_spec *s = w->s;
    double *num = w->row.num;
    const int O = p->n_outputs;
    cx_error err;
    CX_TRY(cx_error_of(w->y, w->ref, w->in.samples, w->in.steps, O, &err));
    num[cx_sweep_rcol(s, COL_RMSE)] = err.rmse;
    num[cx_sweep_rcol(s, COL_RMSE_LAST)] = err.rmse_last;
    num[cx_sweep_rcol(s, COL_MAX_ABS)] = err.max_abs;
    cx_error_release(&err);
    if (w->in.labels)
        num[cx_sweep_rcol(s, COL_ACCURACY)] =
            cx_accuracy_last(w->y, w->in.labels, w->in.samples, w->in.steps, O);
    cJSON *rt = cx_report_routing(e, chip, p->step_ms);
    cJSON *en = cx_report_energy(e);
    if (!rt || !en) {
        cJSON_Delete(rt);
        cJSON_Delete(en);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    double received = jnum(rt, "spikes_received"), late = jnum(rt, "late_spikes");
    num[cx_sweep_rcol(s, COL_PACKETS)] = jnum(rt, "packets_per_inference");
    num[cx_sweep_rcol(s, COL_RECEIVED)] = received;
    num[cx_sweep_rcol(s, COL_LATE)] = late;
    num[cx_sweep_rcol(s, COL_LATE_FRAC)] = received > 0 ? late / received : 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(rt, "router");
    if (r) {
        num[cx_sweep_rcol(s, COL_LINK_UTIL)] = jnum(r, "link_utilization_max");
        num[cx_sweep_rcol(s, COL_LAT_MEAN)] = jnum(r, "latency_mean");
        num[cx_sweep_rcol(s, COL_LAT_P99)] = jnum(r, "latency_p99");
        num[cx_sweep_rcol(s, COL_DROPPED)] = jnum(r, "packets_dropped");
    }
    num[cx_sweep_rcol(s, COL_ENERGY)] = jnum(en, "per_inference_pj") * 1e-3;
    num[cx_sweep_rcol(s, COL_ROUTER_ENERGY)] = jnum(en, "router_pj") * 1e-3;
    cJSON_Delete(rt);
    cJSON_Delete(en);
    return CX_OK;
}

/* Fills w->row for point id. */
static cx_status evaluate(cx_sweep_worker *w, size_t id, cx_sweep_timing *t)
{
    const cx_sweep_spec *s = w->s;
    cx_sweep_row *row = &w->row;
    size_t cell, si, idx[s->n_axes + 1];
    cx_sweep_point_of(s, id, &cell, &si, idx);
    for (size_t c = 0; c < s->n_cols; c++) {
        row->num[c] = NAN;
        free(row->text[c]);
        row->text[c] = NULL;
    }
    row->id = id;
    row->num[0] = (double)id;
    for (size_t a = 0; a < s->n_axes; a++) {
        size_t c = CX_SWEEP_LEAD_COLS + a;
        if (s->axes[a].is_text)
            cx_sweep_row_set_text(s, row, c, s->axes[a].text[idx[a]]);
        else
            row->num[c] = s->axes[a].num[idx[a]];
    }
    row->num[cx_sweep_rcol(s, COL_SEED)] = (double)s->seeds[si];
    cx_sweep_row_set_text(s, row, cx_sweep_rcol(s, COL_STATUS), "ok");
    cx_sweep_row_set_text(s, row, cx_sweep_rcol(s, COL_MESSAGE), "");
    int g = w->plan->group[cell];
    if (g < 0) {
        set_error(w, "chip", w->plan->cell_error[cell]);
        return CX_OK;
    }
    row->num[cx_sweep_rcol(s, COL_PROGRAM)] = g;
    row->num[cx_sweep_rcol(s, COL_CACHED)] = !(w->plan->group_cell[g] == cell && si == 0);
    cache_slot *slot;
    CX_TRY(program_of(w, g, &slot, t));
    if (slot->error) {
        set_error(w, "compile", slot->error);
        return CX_OK;
    }
    cx_chip_config chip;
    if (cx_sweep_cell_chip(s, cell, &chip) != CX_OK) {
        set_error(w, "chip", cx_last_error());
        return CX_OK;
    }
    double t0 = cx_now_s();
    cx_exec_opts eo = {.seed = s->seeds[si], .router = s->router};
    cx_exec *e = NULL;
    cx_status st = cx_evaluate(slot->prog, &chip, &eo, &w->in, w->y, NULL, &e);
    if (st == CX_OK) st = measure(w, slot->prog, &chip, e);
    t->run_s = cx_now_s() - t0;
    if (st != CX_OK && st != CX_ERR_NOMEM) {
        set_error(w, "run", cx_last_error());
        st = CX_OK;
    }
    cx_exec_free(e);
    cx_chip_free(&chip);
    return st;
}

cx_status cx_sweep_worker_point(cx_sweep_worker *w, size_t id, char **line, size_t *len,
                                cx_sweep_timing *t)
{
    memset(t, 0, sizeof *t);
    *line = NULL;
    *len = 0;
    CX_TRY(evaluate(w, id, t));
    cx_strbuf b = {0};
    cx_sweep_row_json(w->s, &w->row, &b);
    *len = b.len;
    *line = cx_strbuf_take(&b);
    return *line ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
}
