#include "cx_elm.h"
#include "cx_json.h"
#include "cx_st.h"
#include "cx_fileio.h"
#include "cx_model_limits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cx_elm_workspace {
    double *trace;         /* [num_groups] */
    double *z;             /* [B + M] MLP input */
    double *act_a, *act_b; /* ping-pong layer buffers */
    double *m;             /* [M] memory */
};

void cx_elm_free(cx_elm_model *m)
{
    if (!m) return;
    free(m->w_s);
    free(m->kappa_s);
    free(m->syn_input);
    free(m->syn_valid);
    free(m->tau_m_ms);
    free(m->kappa_m);
    for (int l = 0; m->layer_w && l < m->num_layers; l++) {
        free(m->layer_w[l]);
        free(m->layer_b[l]);
    }
    free(m->layer_w);
    free(m->layer_b);
    free(m->layer_in);
    free(m->layer_out);
    free(m->w_y);
    free(m->b_y);
    free(m->group_branch);
    free(m->group_kappa);
    free(m->fan_start);
    free(m->fan_group);
    free(m->fan_weight);
    free(m);
}

static const char *const ACTIVATIONS[] = {"relu", "silu", NULL};
static const char *const ROUTINGS[] = {"none", "neuronio_routing", "random_routing", NULL};

/* The keys of model_config.json: the upstream ELM constructor arguments. */
/* clang-format off */
#define SIZE_KEY(name) {name, CX_JSON_INT, 1, (double)CX_MODEL_MAX_ELEMS, NULL, NULL, 1}
static const cx_json_key ELM_KEYS[] = {
    SIZE_KEY("num_input"),
    SIZE_KEY("num_output"),
    SIZE_KEY("num_memory"),
    SIZE_KEY("num_branch"),
    SIZE_KEY("num_synapse_per_branch"),
    SIZE_KEY("mlp_hidden_size"),
    /* hidden layers of the MLP; upstream uses 1, and each is a tensor pair */
    {"mlp_num_layers", CX_JSON_INT, 1, 1000, NULL, NULL, 1},
    {"mlp_activation", CX_JSON_STRING, 0, 0, NULL, ACTIVATIONS, 1},
    {"input_to_synapse_routing", CX_JSON_STRING, 0, 0, NULL, ROUTINGS, 1},
    /* gain λ of the memory update λ(1 - κ_m)Δm; upstream 5 */
    {"lambda_value", CX_JSON_NUMBER, 0, 1000, NULL, NULL, 1},
    /* the step: 1 µs to 1 s (the trained models use 1 ms) */
    {"delta_t", CX_JSON_NUMBER, 1e-3, 1e3, "ms", NULL, 1},
    /* bounds of the memory time constants: 1 µs to ~3 h (trained: 1..150 ms) */
    {"memory_tau_min", CX_JSON_NUMBER, 1e-3, 1e7, "ms", NULL, 1},
    {"memory_tau_max", CX_JSON_NUMBER, 1e-3, 1e7, "ms", NULL, 1},
    /* initial values of tensors the checkpoint holds trained, and a training
     * switch: they do not change the model */
    {"tau_s_value", CX_JSON_NUMBER, 0, 1e7, "ms", NULL, 0},
    {"w_s_value", CX_JSON_NUMBER, -HUGE_VAL, HUGE_VAL, NULL, NULL, 0},
    {"learn_memory_tau", CX_JSON_BOOL, 0, 0, NULL, NULL, 0},
};
#undef SIZE_KEY
/* clang-format on */

static const cx_json_schema ELM_SCHEMA = {ELM_KEYS, sizeof ELM_KEYS / sizeof ELM_KEYS[0]};

const cx_json_schema *cx_elm_config_schema(void)
{
    return &ELM_SCHEMA;
}

static cx_status size_key(const cJSON *cfg, const char *label, const char *key, long dflt,
                          int has_dflt, int *out)
{
    long v;
    CX_TRY(cx_json_get_long(cfg, label, &ELM_SCHEMA, key, has_dflt ? &dflt : NULL, &v));
    *out = (int)v; /* the schema bounds it by CX_MODEL_MAX_ELEMS = INT_MAX */
    return CX_OK;
}

/* Every array the sizes imply, as products in 64 bits, within CX_MODEL_MAX_ELEMS
 * (the last MLP layer, num_memory x mlp_hidden_size, is below the first). */
static cx_status check_sizes(cx_elm_model *m, const char *label)
{
    const int64_t B = m->num_branch, P = m->num_synapse_per_branch, M = m->num_memory;
    const int64_t H = m->mlp_hidden_size, O = m->num_output;
    int64_t n;
    CX_TRY(cx_model_size(label, "num_branch x num_synapse_per_branch", (int64_t[]){B, P}, 2, &n));
    m->num_synapse = (int)n;
    CX_TRY(cx_model_size(label, "mlp_hidden_size x (num_branch + num_memory)",
                         (int64_t[]){H, B + M}, 2, &n));
    if (m->mlp_num_layers > 1)
        CX_TRY(cx_model_size(label, "mlp_hidden_size x mlp_hidden_size (mlp_num_layers > 1)",
                             (int64_t[]){H, H}, 2, &n));
    CX_TRY(cx_model_size(label, "num_output x num_memory", (int64_t[]){O, M}, 2, &n));
    return CX_OK;
}

static cx_status read_constructor_args(cx_elm_model *m, const cJSON *cfg, const char *label)
{
    const double lambda = 5.0, tau_min = 1.0, tau_max = 1000.0, delta_t = 1.0;
    const cx_json_schema *sc = &ELM_SCHEMA;
    CX_TRY(cx_json_check(cfg, label, sc));
    CX_TRY(size_key(cfg, label, "num_input", 0, 0, &m->num_input));
    CX_TRY(size_key(cfg, label, "num_output", 0, 0, &m->num_output));
    CX_TRY(size_key(cfg, label, "num_memory", 100, 1, &m->num_memory));
    CX_TRY(size_key(cfg, label, "num_branch", m->num_input, 1, &m->num_branch));
    CX_TRY(size_key(cfg, label, "num_synapse_per_branch", 1, 1, &m->num_synapse_per_branch));
    CX_TRY(size_key(cfg, label, "mlp_num_layers", 1, 1, &m->mlp_num_layers));
    CX_TRY(size_key(cfg, label, "mlp_hidden_size", 2L * m->num_memory, 1, &m->mlp_hidden_size));
    CX_TRY(check_sizes(m, label));
    CX_TRY(cx_json_get_number(cfg, label, sc, "lambda_value", &lambda, &m->lambda));
    CX_TRY(cx_json_get_number(cfg, label, sc, "memory_tau_min", &tau_min, &m->memory_tau_min_ms));
    CX_TRY(cx_json_get_number(cfg, label, sc, "memory_tau_max", &tau_max, &m->memory_tau_max_ms));
    CX_TRY(cx_json_get_number(cfg, label, sc, "delta_t", &delta_t, &m->delta_t_ms));
    if (!(m->memory_tau_max_ms > m->memory_tau_min_ms))
        return cx_fail(CX_ERR_VALUE, "%s: memory_tau_max (%g) must exceed memory_tau_min (%g)",
                       label, m->memory_tau_max_ms, m->memory_tau_min_ms);
    const char *act, *routing;
    CX_TRY(cx_json_get_string(cfg, label, sc, "mlp_activation", "relu", &act));
    m->activation = !strcmp(act, "silu") ? CX_ACT_SILU : CX_ACT_RELU;
    CX_TRY(cx_json_get_string(cfg, label, sc, "input_to_synapse_routing", "none", &routing));
    m->routing = !strcmp(routing, "neuronio_routing") ? CX_ROUTING_NEURONIO
                 : !strcmp(routing, "random_routing") ? CX_ROUTING_RANDOM
                                                      : CX_ROUTING_NONE;
    if (m->routing == CX_ROUTING_NONE && m->num_synapse != m->num_input)
        return cx_fail(CX_ERR_VALUE,
                       "%s: without input_to_synapse_routing, num_branch x num_synapse_per_branch "
                       "(%d) must equal num_input (%d)",
                       label, m->num_synapse, m->num_input);
    return CX_OK;
}

static cx_status read_routing(cx_elm_model *m, const cx_st_file *f)
{
    int64_t n = m->num_synapse;
    m->syn_input = malloc((size_t)n * sizeof *m->syn_input);
    m->syn_valid = malloc((size_t)n);
    if (!m->syn_input || !m->syn_valid) return cx_fail(CX_ERR_NOMEM, "out of memory");
    if (m->routing == CX_ROUTING_NONE) {
        for (int64_t k = 0; k < n; k++) {
            m->syn_input[k] = k;
            m->syn_valid[k] = 1;
        }
        return CX_OK;
    }
    const cx_st_tensor *ti, *tv;
    int64_t *idx, *valid;
    CX_TRY(cx_st_require(f, "input_to_synapse_indices", CX_DTM_INT, 1, &n, &ti));
    CX_TRY(cx_st_require(f, "valid_indices_mask", CX_DTM_INT | CX_DTM(CX_DT_BOOL), 1, &n, &tv));
    CX_TRY(cx_st_to_i64(f, ti, &idx));
    cx_status st = cx_st_to_i64(f, tv, &valid);
    if (st != CX_OK) {
        free(idx);
        return st;
    }
    for (int64_t k = 0; k < n && st == CX_OK; k++) {
        if (idx[k] < 0 || idx[k] >= m->num_input)
            st = cx_fail(CX_ERR_VALUE,
                         "%s: tensor 'input_to_synapse_indices': element %lld is %lld, outside "
                         "[0, %d)",
                         f->path, (long long)k, (long long)idx[k], m->num_input);
        m->syn_input[k] = idx[k];
        m->syn_valid[k] = valid[k] != 0;
    }
    free(idx);
    free(valid);
    return st;
}

/* Transposes a [rows][cols] matrix in place through a scratch copy. */
static cx_status transpose(double **m, int rows, int cols)
{
    double *t = malloc((size_t)rows * cols * sizeof(double));
    if (!t) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            t[(size_t)c * rows + r] = (*m)[(size_t)r * cols + c];
    free(*m);
    *m = t;
    return CX_OK;
}

static cx_status read_mlp(cx_elm_model *m, const cx_st_file *f)
{
    int L = m->num_layers = m->mlp_num_layers + 1;
    m->layer_in = calloc((size_t)L, sizeof(int));
    m->layer_out = calloc((size_t)L, sizeof(int));
    m->layer_w = calloc((size_t)L, sizeof(double *));
    m->layer_b = calloc((size_t)L, sizeof(double *));
    if (!m->layer_in || !m->layer_out || !m->layer_w || !m->layer_b)
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int l = 0; l < L; l++) {
        /* nn.Sequential(Linear, act, Linear, act, ..., Linear): linears at even indices */
        char wname[64], bname[64];
        snprintf(wname, sizeof wname, "mlp.network.%d.weight", 2 * l);
        snprintf(bname, sizeof bname, "mlp.network.%d.bias", 2 * l);
        m->layer_in[l] = l == 0 ? m->num_branch + m->num_memory : m->mlp_hidden_size;
        m->layer_out[l] = l == L - 1 ? m->num_memory : m->mlp_hidden_size;
        int64_t ws[2] = {m->layer_out[l], m->layer_in[l]}, bs[1] = {m->layer_out[l]};
        CX_TRY(cx_st_read_f64(f, wname, 2, ws, &m->layer_w[l]));
        CX_TRY(cx_st_read_f64(f, bname, 1, bs, &m->layer_b[l]));
        CX_TRY(transpose(&m->layer_w[l], m->layer_out[l], m->layer_in[l]));
    }
    return CX_OK;
}

/* Groups synapses by (branch, κ_s) and builds the input -> group fan-out. */
static cx_status build_groups(cx_elm_model *m)
{
    int B = m->num_branch, P = m->num_synapse_per_branch, N = m->num_synapse;
    int *syn_group = malloc((size_t)N * sizeof(int));
    m->group_branch = malloc((size_t)N * sizeof(int));
    m->group_kappa = malloc((size_t)N * sizeof(double));
    m->fan_start = calloc((size_t)m->num_input + 1, sizeof(int));
    m->fan_group = malloc((size_t)N * sizeof(int));
    m->fan_weight = malloc((size_t)N * sizeof(double));
    if (!syn_group || !m->group_branch || !m->group_kappa || !m->fan_start || !m->fan_group ||
        !m->fan_weight) {
        free(syn_group);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    m->num_groups = 0;
    for (int k = 0; k < N; k++)
        syn_group[k] = -1;
    for (int b = 0; b < B; b++) {
        int first = m->num_groups;
        for (int j = 0; j < P; j++) {
            int k = b * P + j, g = first;
            if (!m->syn_valid[k] || m->w_s[k] == 0) continue; /* s stays 0 */
            while (g < m->num_groups && m->group_kappa[g] != m->kappa_s[k])
                g++;
            if (g == m->num_groups) {
                m->group_branch[g] = b;
                m->group_kappa[g] = m->kappa_s[k];
                m->num_groups++;
            }
            syn_group[k] = g;
        }
    }
    for (int k = 0; k < N; k++)
        if (syn_group[k] >= 0) m->fan_start[m->syn_input[k] + 1]++;
    for (int c = 0; c < m->num_input; c++)
        m->fan_start[c + 1] += m->fan_start[c];
    int *fill = malloc((size_t)m->num_input * sizeof(int));
    if (!fill) {
        free(syn_group);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    memcpy(fill, m->fan_start, (size_t)m->num_input * sizeof(int));
    for (int k = 0; k < N; k++) {
        if (syn_group[k] < 0) continue;
        int e = fill[m->syn_input[k]]++;
        m->fan_group[e] = syn_group[k];
        m->fan_weight[e] = m->w_s[k];
    }
    free(fill);
    free(syn_group);
    return CX_OK;
}

static cx_status load_tensors(cx_elm_model *m, const cx_st_file *f)
{
    int64_t n = m->num_synapse, M = m->num_memory, O = m->num_output;
    double *proto_w, *tau_s, *proto_tau;
    CX_TRY(cx_st_read_f64(f, "_proto_w_s", 1, &n, &proto_w));
    m->w_s = proto_w;
    for (int64_t k = 0; k < n; k++)
        m->w_s[k] = fmax(proto_w[k], 0.0);
    CX_TRY(cx_st_read_f64(f, "tau_s", 1, &n, &tau_s));
    m->kappa_s = tau_s;
    for (int64_t k = 0; k < n; k++)
        m->kappa_s[k] = exp(-m->delta_t_ms / fmax(tau_s[k], 1e-6));
    CX_TRY(cx_st_read_f64(f, "_proto_tau_m", 1, &M, &proto_tau));
    m->tau_m_ms = proto_tau;
    m->kappa_m = malloc((size_t)M * sizeof(double));
    if (!m->kappa_m) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < M; i++) {
        double sig = 1.0 / (1.0 + exp(-proto_tau[i]));
        m->tau_m_ms[i] = m->memory_tau_min_ms + (m->memory_tau_max_ms - m->memory_tau_min_ms) * sig;
        m->kappa_m[i] = exp(-m->delta_t_ms / fmax(m->tau_m_ms[i], 1e-6));
    }
    CX_TRY(read_routing(m, f));
    CX_TRY(read_mlp(m, f));
    int64_t wy[2] = {O, M};
    CX_TRY(cx_st_read_f64(f, "w_y.weight", 2, wy, &m->w_y));
    CX_TRY(cx_st_read_f64(f, "w_y.bias", 1, &O, &m->b_y));
    CX_TRY(transpose(&m->w_y, (int)O, (int)M));
    return build_groups(m);
}

cx_status cx_elm_load(const char *dir, const cJSON *config, const char *config_label,
                      cx_elm_model **out)
{
    *out = NULL;
    cx_elm_model *m = calloc(1, sizeof *m);
    if (!m) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_status st = read_constructor_args(m, config, config_label);
    if (st == CX_OK) {
        char *path = cx_path_join(dir, "model.safetensors");
        cx_st_file *f = NULL;
        st = path ? cx_st_open(path, &f) : cx_fail(CX_ERR_NOMEM, "out of memory");
        if (st == CX_OK) st = load_tensors(m, f);
        cx_st_close(f);
        free(path);
    }
    if (st != CX_OK) {
        cx_elm_free(m);
        return st;
    }
    *out = m;
    return CX_OK;
}

cx_elm_workspace *cx_elm_workspace_alloc(const cx_elm_model *m)
{
    cx_elm_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    int widest = m->num_branch + m->num_memory;
    if (m->mlp_hidden_size > widest) widest = m->mlp_hidden_size;
    ws->trace = malloc((size_t)(m->num_groups ? m->num_groups : 1) * sizeof(double));
    ws->z = malloc((size_t)(m->num_branch + m->num_memory) * sizeof(double));
    ws->act_a = malloc((size_t)widest * sizeof(double));
    ws->act_b = malloc((size_t)widest * sizeof(double));
    ws->m = malloc((size_t)m->num_memory * sizeof(double));
    if (!ws->trace || !ws->z || !ws->act_a || !ws->act_b || !ws->m) {
        cx_elm_workspace_free(ws);
        return NULL;
    }
    return ws;
}

void cx_elm_workspace_free(cx_elm_workspace *ws)
{
    if (!ws) return;
    free(ws->trace);
    free(ws->z);
    free(ws->act_a);
    free(ws->act_b);
    free(ws->m);
    free(ws);
}

enum { ROW_BLOCK = 32 };

/* out = W in + b with W stored transposed, wt [cols][rows]. Each output sums
 * its terms in column order whatever the vector width, and a zero input
 * (common after relu) skips its column. Rows go in register-sized blocks. */
static void affine_t(const double *restrict wt, const double *restrict b, const double *restrict in,
                     int rows, int cols, double *restrict out)
{
    int r0 = 0;
    for (; r0 + ROW_BLOCK <= rows; r0 += ROW_BLOCK) {
        double acc[ROW_BLOCK];
        for (int r = 0; r < ROW_BLOCK; r++)
            acc[r] = b[r0 + r];
        for (int c = 0; c < cols; c++) {
            const double a = in[c];
            if (a == 0) continue;
            const double *w = wt + (size_t)c * rows + r0;
#pragma omp simd
            for (int r = 0; r < ROW_BLOCK; r++)
                acc[r] += a * w[r];
        }
        for (int r = 0; r < ROW_BLOCK; r++)
            out[r0 + r] = acc[r];
    }
    if (r0 == rows) return;
    const int rn = rows - r0;
    for (int r = 0; r < rn; r++)
        out[r0 + r] = b[r0 + r];
    for (int c = 0; c < cols; c++) {
        const double a = in[c];
        if (a == 0) continue;
        const double *w = wt + (size_t)c * rows + r0;
#pragma omp simd
        for (int r = 0; r < rn; r++)
            out[r0 + r] += a * w[r];
    }
}

static void activate(cx_activation act, double *v, int n)
{
    if (act == CX_ACT_RELU)
        for (int i = 0; i < n; i++)
            v[i] = v[i] > 0 ? v[i] : 0;
    else
        for (int i = 0; i < n; i++)
            v[i] = v[i] / (1.0 + exp(-v[i]));
}

static cx_status input_reserve(cx_elm_input *in, int T, size_t events)
{
    int *start = realloc(in->step_start, ((size_t)T + 1) * sizeof(int));
    if (!start) return cx_fail(CX_ERR_NOMEM, "out of memory for %d input steps", T);
    in->step_start = start;
    if (events > in->capacity) {
        int *ch = realloc(in->channel, events * sizeof(int));
        if (ch) in->channel = ch;
        double *val = ch ? realloc(in->value, events * sizeof(double)) : NULL;
        if (!val) return cx_fail(CX_ERR_NOMEM, "out of memory for %zu input events", events);
        in->value = val;
        in->capacity = events;
    }
    in->steps = T;
    return CX_OK;
}

cx_status cx_elm_input_from_dense(cx_elm_input *in, const double *x, int T, int num_input)
{
    size_t n = 0, total = (size_t)T * (size_t)num_input;
    for (size_t i = 0; i < total; i++)
        n += x[i] != 0;
    CX_TRY(input_reserve(in, T, n));
    size_t e = 0;
    for (int t = 0; t < T; t++) {
        in->step_start[t] = (int)e;
        for (int c = 0; c < num_input; c++) {
            double v = x[(size_t)t * num_input + c];
            if (v == 0) continue;
            in->channel[e] = c;
            in->value[e++] = v;
        }
    }
    in->step_start[T] = (int)e;
    return CX_OK;
}

/* Runs body with c set to each index of a nonzero byte in row[0..n), in order.
 * Spike rows are mostly zero: whole 8-byte words are tested at once and the
 * nonzero bytes of a word found by counting trailing zeros. */
#define FOR_EACH_NONZERO_BYTE(row, n, c, body)                                                     \
    do {                                                                                           \
        int w_ = 0;                                                                                \
        for (; w_ + 8 <= (n); w_ += 8) {                                                           \
            uint64_t word_;                                                                        \
            memcpy(&word_, (row) + w_, 8);                                                         \
            while (word_) {                                                                        \
                int byte_ = __builtin_ctzll(word_) / 8;                                            \
                int c = w_ + byte_;                                                                \
                body;                                                                              \
                word_ &= ~(0xffULL << (8 * byte_));                                                \
            }                                                                                      \
        }                                                                                          \
        for (int c = w_; c < (n); c++)                                                             \
            if ((row)[c]) body;                                                                    \
    } while (0)

cx_status cx_elm_input_from_neuronio_spikes(cx_elm_input *in, const uint8_t *spikes, int T,
                                            int num_input)
{
    size_t n = 0;
    for (int t = 0; t < T; t++) {
        const uint8_t *row = spikes + (size_t)t * num_input;
        FOR_EACH_NONZERO_BYTE(row, num_input, c, ((void)c, n++));
    }
    CX_TRY(input_reserve(in, T, n));
    size_t e = 0;
    for (int t = 0; t < T; t++) {
        const uint8_t *row = spikes + (size_t)t * num_input;
        in->step_start[t] = (int)e;
        FOR_EACH_NONZERO_BYTE(row, num_input, c, {
            in->channel[e] = c;
            in->value[e++] = c >= num_input / 2 ? -(double)row[c] : (double)row[c];
        });
    }
    in->step_start[T] = (int)e;
    return CX_OK;
}

void cx_elm_input_release(cx_elm_input *in)
{
    free(in->step_start);
    free(in->channel);
    free(in->value);
    memset(in, 0, sizeof *in);
}

void cx_elm_forward(const cx_elm_model *m, cx_elm_workspace *ws, const cx_elm_input *in, double *y,
                    double *rec_branch, double *rec_memory)
{
    const int B = m->num_branch, M = m->num_memory, G = m->num_groups, T = in->steps;
    memset(ws->trace, 0, (size_t)(G ? G : 1) * sizeof(double));
    memset(ws->m, 0, (size_t)M * sizeof(double));
    for (int t = 0; t < T; t++) {
        for (int g = 0; g < G; g++)
            ws->trace[g] *= m->group_kappa[g];
        for (int ev = in->step_start[t]; ev < in->step_start[t + 1]; ev++) {
            int c = in->channel[ev];
            double v = in->value[ev];
            for (int e = m->fan_start[c]; e < m->fan_start[c + 1]; e++)
                ws->trace[m->fan_group[e]] += m->fan_weight[e] * v;
        }
        double *z = ws->z;
        memset(z, 0, (size_t)B * sizeof(double));
        for (int g = 0; g < G; g++)
            z[m->group_branch[g]] += ws->trace[g];
        for (int i = 0; i < M; i++)
            z[B + i] = m->kappa_m[i] * ws->m[i];
        const double *layer_input = z;
        double *outbuf = ws->act_a;
        for (int l = 0; l < m->num_layers; l++) {
            affine_t(m->layer_w[l], m->layer_b[l], layer_input, m->layer_out[l], m->layer_in[l],
                     outbuf);
            if (l < m->num_layers - 1) activate(m->activation, outbuf, m->layer_out[l]);
            layer_input = outbuf;
            outbuf = outbuf == ws->act_a ? ws->act_b : ws->act_a;
        }
        for (int i = 0; i < M; i++) {
            double dm = 1.7159 * tanh(layer_input[i] * 2.0 / 3.0);
            ws->m[i] = z[B + i] + m->lambda * (1.0 - m->kappa_m[i]) * dm;
        }
        affine_t(m->w_y, m->b_y, ws->m, m->num_output, M, y + (size_t)t * m->num_output);
        if (rec_branch) memcpy(rec_branch + (size_t)t * B, z, (size_t)B * sizeof(double));
        if (rec_memory) memcpy(rec_memory + (size_t)t * M, ws->m, (size_t)M * sizeof(double));
    }
}

double cx_elm_macs_per_step(const cx_elm_model *m)
{
    double macs = (double)m->num_output * m->num_memory;
    for (int l = 0; l < m->num_layers; l++)
        macs += (double)m->layer_in[l] * m->layer_out[l];
    return macs;
}
