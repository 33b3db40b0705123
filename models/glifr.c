#include "cx_glifr.h"
#include "cx_fileio.h"
#include "cx_json.h"
#include "cx_model_limits.h"
#include "cx_st.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cx_glifr_workspace {
    double *S_ring; /* [d][H] last d rates; slot t % d holds S_{t-d} before step t writes it */
    double *S_prev, *V, *I_asc, *I_syn, *S_new, *tmp;
};

void cx_glifr_free(cx_glifr_model *m)
{
    if (!m) return;
    free(m->w_in);
    free(m->lat_row);
    free(m->lat_col);
    free(m->lat_w);
    free(m->thresh);
    free(m->dtk_m);
    free(m->dtk_j);
    free(m->r_j);
    free(m->a_j);
    free(m->w_out);
    free(m->b_out);
    free(m->sil_row);
    free(m->sil_col);
    free(m->sil_w);
    free(m);
}

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static const char *const TIME_UNITS[] = {"ms", NULL};

/* The keys of config.json: the GLIFR constants and layer sizes, and the
 * descriptive keys the upstream and synthetic configs carry. */
/* clang-format off */
#define SIZE_KEY(name) {name, CX_JSON_INT, 1, (double)CX_MODEL_MAX_ELEMS, NULL, NULL, 1}
#define TEXT_KEY(name) {name, CX_JSON_STRING, 0, 0, NULL, NULL, 0}
#define ANY_KEY(name) {name, CX_JSON_ANY, 0, 0, NULL, NULL, 0}
static const cx_json_key GLIFR_KEYS[] = {
    /* layer sizes, when given, set the shapes every tensor must have */
    SIZE_KEY("input_size"),
    SIZE_KEY("hidden_size"),
    SIZE_KEY("output_size"),
    SIZE_KEY("num_ascs"),
    /* the Euler step: 1 µs to 10 ms (trained: 0.05 ms); dt·k = σ(·) for any dt */
    {"dt", CX_JSON_NUMBER, 1e-3, 10, "ms", NULL, 1},
    /* the rate normalisation: dt/tau scales the after-spike jump and the reset */
    {"tau", CX_JSON_NUMBER, 1e-3, 1e3, "ms", NULL, 1},
    /* smoothness of S = σ((V - V_th)/σ_V) (trained: 1) */
    {"sigma_v", CX_JSON_NUMBER, 1e-6, 1e6, NULL, NULL, 1},
    /* membrane resistance, background current, reset voltage (trained: 0.1, 0, 0) */
    {"R", CX_JSON_NUMBER, 0, 1e6, NULL, NULL, 1},
    {"I0", CX_JSON_NUMBER, -1e6, 1e6, NULL, NULL, 1},
    {"v_reset", CX_JSON_NUMBER, -1e6, 1e6, NULL, NULL, 1},
    {"synaptic_delay", CX_JSON_NUMBER, 0, CX_GLIFR_MAX_DELAY_MS, "ms", NULL, 1},
    /* stated int(synaptic_delay / dt), checked against the computed one */
    {"delay_steps", CX_JSON_INT, 1, CX_GLIFR_MAX_DELAY_STEPS, NULL, NULL, 1},
    /* the ranges above are in ms */
    {"time_unit", CX_JSON_STRING, 0, 0, NULL, TIME_UNITS, 0},
    {"dt_over_tau", CX_JSON_NUMBER, -HUGE_VAL, HUGE_VAL, NULL, NULL, 0},
    {"dropout_prob", CX_JSON_NUMBER, 0, 1, NULL, NULL, 0},
    {"output_weight", CX_JSON_BOOL, 0, 0, NULL, NULL, 0},
    {"readout_bias", CX_JSON_BOOL, 0, 0, NULL, NULL, 0},
    {"params_learned", CX_JSON_BOOL, 0, 0, NULL, NULL, 0},
    TEXT_KEY("model_name"),
    TEXT_KEY("task"),
    TEXT_KEY("variant"),
    TEXT_KEY("delay_steps_rule"),
    TEXT_KEY("final_reduction"),
    TEXT_KEY("initialization"),
    TEXT_KEY("initial_state"),
    TEXT_KEY("param_dtype"),
    TEXT_KEY("spec"),
    TEXT_KEY("compare_hint"),
    ANY_KEY("upstream"),
    ANY_KEY("state_dict"),
    ANY_KEY("input_encoding"),
    ANY_KEY("training"),
    ANY_KEY("metric"),
    ANY_KEY("reference_check_numpy_spec_maxabs"),
    ANY_KEY("public_trace_max_abs"),
    ANY_KEY("traces"),
    ANY_KEY("synthetic"),
};
#undef SIZE_KEY
#undef TEXT_KEY
#undef ANY_KEY
/* clang-format on */

static const cx_json_schema GLIFR_SCHEMA = {GLIFR_KEYS, sizeof GLIFR_KEYS / sizeof GLIFR_KEYS[0]};

const cx_json_schema *cx_glifr_config_schema(void)
{
    return &GLIFR_SCHEMA;
}

static cx_status read_constants(cx_glifr_model *m, const cJSON *cfg, const char *label)
{
    const double dt = 0.05, sigma_v = 1.0, r = 0.1, zero = 0.0, delay = 1.0;
    const cx_json_schema *sc = &GLIFR_SCHEMA;
    CX_TRY(cx_json_check(cfg, label, sc));
    CX_TRY(cx_json_get_number(cfg, label, sc, "dt", &dt, &m->dt_ms));
    CX_TRY(cx_json_get_number(cfg, label, sc, "tau", &m->dt_ms, &m->tau_ms));
    CX_TRY(cx_json_get_number(cfg, label, sc, "sigma_v", &sigma_v, &m->sigma_v));
    CX_TRY(cx_json_get_number(cfg, label, sc, "R", &r, &m->r_m));
    CX_TRY(cx_json_get_number(cfg, label, sc, "I0", &zero, &m->i0));
    CX_TRY(cx_json_get_number(cfg, label, sc, "v_reset", &zero, &m->v_reset));
    CX_TRY(cx_json_get_number(cfg, label, sc, "synaptic_delay", &delay, &m->synaptic_delay_ms));
    /* upstream: d = int(synaptic_delay / dt), and 0 becomes 1; both are in
     * range, so the quotient is at most 1e6 and the cast is exact */
    double d = floor(m->synaptic_delay_ms / m->dt_ms);
    if (d > CX_GLIFR_MAX_DELAY_STEPS)
        return cx_fail(CX_ERR_VALUE,
                       "%s: keys 'synaptic_delay' / 'dt' = %g ms / %g ms give %.0f delay steps; "
                       "at most %d",
                       label, m->synaptic_delay_ms, m->dt_ms, d, CX_GLIFR_MAX_DELAY_STEPS);
    m->delay_steps = d < 1 ? 1 : (int)d;
    long stated, computed = m->delay_steps;
    CX_TRY(cx_json_get_long(cfg, label, sc, "delay_steps", &computed, &stated));
    if (stated != computed)
        return cx_fail(CX_ERR_VALUE,
                       "%s: key 'delay_steps' is %ld but int(synaptic_delay / dt) = int(%g / %g) "
                       "gives %ld",
                       label, stated, m->synaptic_delay_ms, m->dt_ms, computed);
    return CX_OK;
}

/* One layer size: the config's key when present, else axis `axis` of tensor
 * `name` (which must then exist with `ndim` dimensions). */
static cx_status read_size(const cx_st_file *f, const cJSON *cfg, const char *label,
                           const char *key, const char *name, int ndim, int axis, int *out)
{
    long v;
    if (!cJSON_GetObjectItemCaseSensitive(cfg, key) ||
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cfg, key))) {
        const cx_st_tensor *t;
        const int64_t any[3] = {-1, -1, -1};
        CX_TRY(cx_st_require(f, name, CX_DTM_FLOAT, ndim, any, &t));
        if (t->shape[axis] < 1 || t->shape[axis] > CX_MODEL_MAX_ELEMS)
            return cx_fail(CX_ERR_SHAPE,
                           "%s: tensor '%s': dimension %d is %lld, must be in 1..%lld (the "
                           "config leaves out '%s')",
                           f->path, name, axis, (long long)t->shape[axis],
                           (long long)CX_MODEL_MAX_ELEMS, key);
        *out = (int)t->shape[axis];
        return CX_OK;
    }
    CX_TRY(cx_json_get_long(cfg, label, &GLIFR_SCHEMA, key, NULL, &v));
    *out = (int)v; /* the schema bounds it by CX_MODEL_MAX_ELEMS = INT_MAX */
    return CX_OK;
}

/* Layer sizes: the config's, or the tensors' where it leaves them out. Every
 * tensor is then read at the shape they give, so a wrong one is named. */
static cx_status read_sizes(cx_glifr_model *m, const cx_st_file *f, const cJSON *cfg,
                            const char *label)
{
    CX_TRY(read_size(f, cfg, label, "input_size", "neuron_layer.weight_iv", 2, 0, &m->n_in));
    CX_TRY(read_size(f, cfg, label, "hidden_size", "neuron_layer.weight_iv", 2, 1, &m->hidden));
    CX_TRY(read_size(f, cfg, label, "output_size", "output_linear.weight", 2, 0, &m->n_out));
    CX_TRY(read_size(f, cfg, label, "num_ascs", "neuron_layer.a_j", 3, 0, &m->num_asc));
    const int64_t H = m->hidden;
    int64_t n;
    CX_TRY(cx_model_size(label, "input_size x hidden_size", (int64_t[]){m->n_in, H}, 2, &n));
    CX_TRY(cx_model_size(label, "output_size x hidden_size", (int64_t[]){m->n_out, H}, 2, &n));
    CX_TRY(cx_model_size(label, "num_ascs x hidden_size", (int64_t[]){m->num_asc, H}, 2, &n));
    return cx_model_size(label, "delay steps int(synaptic_delay / dt) x hidden_size",
                         (int64_t[]){m->delay_steps, H}, 2, &n);
}

/* Element i of an integer tensor. */
static int64_t get_int(const cx_st_tensor *t, size_t i)
{
    if (t->dtype != CX_DT_I64) return (int64_t)cx_st_get(t, i);
    int64_t v;
    memcpy(&v, t->data + 8 * i, 8);
    return v;
}

static cx_status csr_alloc(const cx_st_file *f, int64_t H, int64_t nnz, int64_t **row,
                           int32_t **col, double **w)
{
    *row = calloc((size_t)H + 1, sizeof **row);
    *col = malloc((size_t)(nnz ? nnz : 1) * sizeof **col);
    *w = malloc((size_t)(nnz ? nnz : 1) * sizeof **w);
    if (!*row || !*col || !*w) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    return CX_OK;
}

/* CSR of a dense [H][H] tensor by row, zeros dropped, in two passes over
 * the file's data (no dense copy). */
static cx_status csr_from_dense(const cx_st_file *f, const char *name, int64_t H, int64_t **row,
                                int32_t **col, double **w, int64_t *nnz)
{
    const cx_st_tensor *t;
    CX_TRY(cx_st_require(f, name, CX_DTM_FLOAT, 2, (int64_t[]){H, H}, &t));
    int64_t n = 0;
    for (size_t i = 0; i < t->nelem; i++) {
        double v = cx_st_get(t, i);
        if (!isfinite(v))
            return cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %zu is %s", f->path, name, i,
                           isnan(v) ? "NaN" : "infinite");
        n += v != 0;
    }
    CX_TRY(csr_alloc(f, H, n, row, col, w));
    int64_t e = 0;
    for (int64_t j = 0; j < H; j++) {
        for (int64_t i = 0; i < H; i++) {
            double v = cx_st_get(t, (size_t)(j * H + i));
            if (v == 0) continue;
            (*col)[e] = (int32_t)i;
            (*w)[e++] = v;
        }
        (*row)[j + 1] = e;
    }
    *nnz = n;
    return CX_OK;
}

/* CSR from the sparse extension (name.indptr, .indices, .values), validated:
 * shapes, indptr from 0, non-decreasing, ending at nnz; indices in range and
 * strictly increasing in each row; finite values. Explicit zeros are dropped. */
static cx_status csr_from_sparse(const cx_st_file *f, const char *name, int64_t H, int64_t **row,
                                 int32_t **col, double **w, int64_t *nnz)
{
    char kp[160], ki[160], kv[160];
    snprintf(kp, sizeof kp, "%s.indptr", name);
    snprintf(ki, sizeof ki, "%s.indices", name);
    snprintf(kv, sizeof kv, "%s.values", name);
    const char *keys[] = {kp, ki, kv};
    for (int k = 0; k < 3; k++)
        if (!cx_st_find(f, keys[k]))
            return cx_fail(CX_ERR_MISSING,
                           "%s: sparse '%s' needs '%s', '%s' and '%s'; missing tensor '%s'",
                           f->path, name, kp, ki, kv, keys[k]);
    const cx_st_tensor *tp, *ti, *tv;
    CX_TRY(cx_st_require(f, kp, CX_DTM_INT, 1, (int64_t[]){H + 1}, &tp));
    CX_TRY(cx_st_require(f, ki, CX_DTM_INT, 1, (int64_t[]){-1}, &ti));
    const int64_t n = ti->shape[0];
    CX_TRY(cx_st_require(f, kv, CX_DTM_FLOAT, 1, (int64_t[]){n}, &tv));
    int64_t first = get_int(tp, 0), last = get_int(tp, (size_t)H);
    if (first != 0)
        return cx_fail(CX_ERR_VALUE, "%s: tensor '%s': entry 0 is %lld, must be 0", f->path, kp,
                       (long long)first);
    if (last != n)
        return cx_fail(CX_ERR_VALUE,
                       "%s: tensor '%s': last entry is %lld but '%s' has %lld elements", f->path,
                       kp, (long long)last, ki, (long long)n);
    int64_t kept = 0;
    for (int64_t j = 0; j < H; j++) {
        int64_t b = get_int(tp, (size_t)j), e = get_int(tp, (size_t)j + 1);
        if (e < b)
            return cx_fail(CX_ERR_VALUE,
                           "%s: tensor '%s': not non-decreasing: entry %lld is %lld after %lld",
                           f->path, kp, (long long)(j + 1), (long long)e, (long long)b);
        for (int64_t q = b; q < e; q++) {
            int64_t c = get_int(ti, (size_t)q);
            if (c < 0 || c >= H)
                return cx_fail(CX_ERR_VALUE,
                               "%s: tensor '%s': element %lld (row %lld) is %lld, outside 0..%lld",
                               f->path, ki, (long long)q, (long long)j, (long long)c,
                               (long long)(H - 1));
            if (q > b && c <= get_int(ti, (size_t)q - 1))
                return cx_fail(CX_ERR_VALUE,
                               "%s: tensor '%s': row %lld is not sorted and unique (column %lld "
                               "after %lld at element %lld)",
                               f->path, ki, (long long)j, (long long)c,
                               (long long)get_int(ti, (size_t)q - 1), (long long)q);
            double v = cx_st_get(tv, (size_t)q);
            if (!isfinite(v))
                return cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %lld is %s", f->path, kv,
                               (long long)q, isnan(v) ? "NaN" : "infinite");
            kept += v != 0;
        }
    }
    CX_TRY(csr_alloc(f, H, kept, row, col, w));
    int64_t e = 0;
    for (int64_t j = 0; j < H; j++) {
        for (int64_t q = get_int(tp, (size_t)j); q < get_int(tp, (size_t)j + 1); q++) {
            double v = cx_st_get(tv, (size_t)q);
            if (v == 0) continue;
            (*col)[e] = (int32_t)get_int(ti, (size_t)q);
            (*w)[e++] = v;
        }
        (*row)[j + 1] = e;
    }
    *nnz = kept;
    return CX_OK;
}

/* The lateral weights from exactly one of the dense and the sparse form. */
static cx_status load_lateral(cx_glifr_model *m, const cx_st_file *f)
{
    static const char *name = "neuron_layer.weight_lat";
    int dense = cx_st_find(f, name) != NULL;
    int sparse = cx_st_find(f, "neuron_layer.weight_lat.indptr") ||
                 cx_st_find(f, "neuron_layer.weight_lat.indices") ||
                 cx_st_find(f, "neuron_layer.weight_lat.values");
    if (dense && sparse)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: both the dense '%s' and its sparse form ('%s.indptr', '.indices', "
                       "'.values') are present; keep one",
                       f->path, name, name);
    if (!dense && !sparse)
        return cx_fail(CX_ERR_MISSING,
                       "%s: missing tensor '%s' (or its sparse form '%s.indptr', '.indices', "
                       "'.values')",
                       f->path, name, name);
    if (dense)
        return csr_from_dense(f, name, m->hidden, &m->lat_row, &m->lat_col, &m->lat_w, &m->lat_nnz);
    return csr_from_sparse(f, name, m->hidden, &m->lat_row, &m->lat_col, &m->lat_w, &m->lat_nnz);
}

/* silence_mult: dropped when it is the identity. */
static cx_status load_silence(cx_glifr_model *m, const cx_st_file *f)
{
    const int64_t H = m->hidden;
    int64_t nnz = 0;
    if (!cx_st_find(f, "silence_mult")) return CX_OK;
    CX_TRY(csr_from_dense(f, "silence_mult", H, &m->sil_row, &m->sil_col, &m->sil_w, &nnz));
    int identity = nnz == H;
    for (int64_t j = 0; j < H && identity; j++)
        identity = m->sil_row[j] == j && m->sil_col[j] == j && m->sil_w[j] == 1.0;
    if (identity) {
        free(m->sil_row), free(m->sil_col), free(m->sil_w);
        m->sil_row = NULL, m->sil_col = NULL, m->sil_w = NULL;
    }
    return CX_OK;
}

static cx_status load_tensors(cx_glifr_model *m, const cx_st_file *f)
{
    int64_t H = m->hidden, J = m->num_asc;
    double *tk, *tkj, *trj;
    CX_TRY(cx_st_read_f64(f, "neuron_layer.weight_iv", 2, (int64_t[]){m->n_in, H}, &m->w_in));
    CX_TRY(load_lateral(m, f));
    CX_TRY(cx_st_read_f64(f, "neuron_layer.thresh", 2, (int64_t[]){1, H}, &m->thresh));
    CX_TRY(cx_st_read_f64(f, "neuron_layer.trans_k_m", 2, (int64_t[]){1, H}, &tk));
    m->dtk_m = tk;
    /* k = σ(trans)/dt, used as dt*k, computed in that order as upstream */
    for (int64_t h = 0; h < H; h++)
        m->dtk_m[h] = m->dt_ms * (sigmoid(tk[h]) / m->dt_ms);
    CX_TRY(cx_st_read_f64(f, "neuron_layer.trans_k_j", 3, (int64_t[]){J, 1, H}, &tkj));
    m->dtk_j = tkj;
    for (int64_t i = 0; i < J * H; i++)
        m->dtk_j[i] = m->dt_ms * (sigmoid(tkj[i]) / m->dt_ms);
    CX_TRY(cx_st_read_f64(f, "neuron_layer.trans_r_j", 3, (int64_t[]){J, 1, H}, &trj));
    m->r_j = trj;
    for (int64_t i = 0; i < J * H; i++)
        m->r_j[i] = 1.0 - 2.0 * sigmoid(trj[i]);
    CX_TRY(cx_st_read_f64(f, "neuron_layer.a_j", 3, (int64_t[]){J, 1, H}, &m->a_j));
    CX_TRY(cx_st_read_f64(f, "output_linear.weight", 2, (int64_t[]){m->n_out, H}, &m->w_out));
    CX_TRY(cx_st_read_f64(f, "output_linear.bias", 1, (int64_t[]){m->n_out}, &m->b_out));
    return load_silence(m, f);
}

cx_status cx_glifr_load(const char *dir, const cJSON *config, const char *config_label,
                        cx_glifr_model **out)
{
    *out = NULL;
    cx_glifr_model *m = calloc(1, sizeof *m);
    if (!m) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_status st = read_constants(m, config, config_label);
    char *path = NULL;
    cx_st_file *f = NULL;
    if (st == CX_OK) {
        path = cx_path_join(dir, "model.safetensors");
        st = path ? cx_st_open(path, &f) : cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK) st = read_sizes(m, f, config, config_label);
    if (st == CX_OK) st = load_tensors(m, f);
    cx_st_close(f);
    free(path);
    if (st != CX_OK) {
        cx_glifr_free(m);
        return st;
    }
    *out = m;
    return CX_OK;
}

cx_glifr_workspace *cx_glifr_workspace_alloc(const cx_glifr_model *m)
{
    cx_glifr_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    size_t H = (size_t)m->hidden;
    ws->S_ring = malloc((size_t)m->delay_steps * H * sizeof(double));
    ws->S_prev = malloc(H * sizeof(double));
    ws->V = malloc(H * sizeof(double));
    ws->I_asc = malloc((size_t)m->num_asc * H * sizeof(double));
    ws->I_syn = malloc(H * sizeof(double));
    ws->S_new = malloc(H * sizeof(double));
    ws->tmp = malloc(H * sizeof(double));
    if (!ws->S_ring || !ws->S_prev || !ws->V || !ws->I_asc || !ws->I_syn || !ws->S_new ||
        !ws->tmp) {
        cx_glifr_workspace_free(ws);
        return NULL;
    }
    return ws;
}

void cx_glifr_workspace_free(cx_glifr_workspace *ws)
{
    if (!ws) return;
    free(ws->S_ring);
    free(ws->S_prev);
    free(ws->V);
    free(ws->I_asc);
    free(ws->I_syn);
    free(ws->S_new);
    free(ws->tmp);
    free(ws);
}

/* out[i] += Σ_j in[j] W[j][i] over the CSR rows of W, in row order like
 * the dense product (whose zero terms leave out unchanged). */
static void row_times_csr(const double *restrict in, const int64_t *restrict row,
                          const int32_t *restrict col, const double *restrict w, int rows,
                          double *restrict out)
{
    for (int j = 0; j < rows; j++) {
        double a = in[j];
        if (a == 0) continue;
        for (int64_t q = row[j]; q < row[j + 1]; q++)
            out[col[q]] += a * w[q];
    }
}

/* out[h] += Σ_p in[p] W[p][h], in row order like a row vector times W */
static void row_times_matrix(const double *restrict in, const double *restrict w, int rows,
                             int cols, double *restrict out)
{
    for (int p = 0; p < rows; p++) {
        double a = in[p];
        if (a == 0) continue; /* adding a*w = ±0 leaves out unchanged */
        const double *wr = w + (size_t)p * cols;
#pragma omp simd
        for (int h = 0; h < cols; h++)
            out[h] += a * wr[h];
    }
}

void cx_glifr_forward(const cx_glifr_model *m, cx_glifr_workspace *ws, const double *x, int T,
                      double *y, const cx_glifr_record *rec)
{
    const int H = m->hidden, J = m->num_asc, d = m->delay_steps;
    const double dt_tau = m->dt_ms / m->tau_ms;
    memset(ws->S_ring, 0, (size_t)d * H * sizeof(double));
    memset(ws->S_prev, 0, (size_t)H * sizeof(double));
    memset(ws->V, 0, (size_t)H * sizeof(double));
    memset(ws->I_asc, 0, (size_t)J * H * sizeof(double));
    for (int t = 0; t < T; t++) {
        double *S_delayed = ws->S_ring + (size_t)(t % d) * H; /* S_{t-d}, zero while t < d */
        memset(ws->I_syn, 0, (size_t)H * sizeof(double));
        row_times_matrix(x + (size_t)t * m->n_in, m->w_in, m->n_in, H, ws->I_syn);
        row_times_csr(S_delayed, m->lat_row, m->lat_col, m->lat_w, H, ws->I_syn);
        for (int j = 0; j < J; j++) {
            double *I = ws->I_asc + (size_t)j * H;
            const double *r = m->r_j + (size_t)j * H, *a = m->a_j + (size_t)j * H;
            const double *k = m->dtk_j + (size_t)j * H;
            for (int h = 0; h < H; h++)
                I[h] = (I[h] * r[h] + a[h]) * ws->S_prev[h] * dt_tau + (1.0 - k[h]) * I[h];
        }
        for (int h = 0; h < H; h++) {
            double asc = 0;
            for (int j = 0; j < J; j++)
                asc += ws->I_asc[(size_t)j * H + h];
            double V = ws->V[h];
            ws->V[h] = ws->I_syn[h] + (m->dtk_m[h] * m->r_m) * (asc + m->i0) +
                       (1.0 - m->dtk_m[h]) * V - dt_tau * ws->S_prev[h] * (V - m->v_reset);
            ws->S_new[h] = sigmoid((ws->V[h] - m->thresh[h]) / m->sigma_v);
        }
        if (m->sil_row) {
            memset(ws->tmp, 0, (size_t)H * sizeof(double));
            row_times_csr(ws->S_new, m->sil_row, m->sil_col, m->sil_w, H, ws->tmp);
            memcpy(ws->S_new, ws->tmp, (size_t)H * sizeof(double));
        }
        memcpy(ws->S_prev, ws->S_new, (size_t)H * sizeof(double));
        memcpy(S_delayed, ws->S_new, (size_t)H * sizeof(double)); /* becomes S_{t'-d} at t' = t+d */
        double *yt = y + (size_t)t * m->n_out;
        for (int o = 0; o < m->n_out; o++) {
            const double *w = m->w_out + (size_t)o * H;
            double acc = 0;
            for (int h = 0; h < H; h++)
                acc += ws->S_new[h] * w[h];
            yt[o] = acc + m->b_out[o];
        }
        if (!rec) continue;
        size_t row = (size_t)t * H;
        if (rec->S) memcpy(rec->S + row, ws->S_new, (size_t)H * sizeof(double));
        if (rec->V) memcpy(rec->V + row, ws->V, (size_t)H * sizeof(double));
        if (rec->I_syn) memcpy(rec->I_syn + row, ws->I_syn, (size_t)H * sizeof(double));
        for (int j = 0; rec->I_asc && j < J; j++)
            memcpy(rec->I_asc + (size_t)j * rec->asc_stride + row, ws->I_asc + (size_t)j * H,
                   (size_t)H * sizeof(double));
    }
}

double cx_glifr_macs_per_sample(const cx_glifr_model *m, int T)
{
    double H = m->hidden, lateral_steps = T > m->delay_steps ? T - m->delay_steps : 0;
    return (double)T * ((double)m->n_in + m->n_out) * H + lateral_steps * (double)m->lat_nnz;
}
