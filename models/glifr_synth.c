/* Synthetic GLIFR checkpoints (see cx_glifr_synth.h). */
#define _POSIX_C_SOURCE 200809L
#include "cx_glifr_synth.h"
#include "cx_glifr.h"

#include "cx_fileio.h"
#include "cx_st.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const double DT_MS = 0.05, INH_FRACTION = 0.2, G_EXC = 1.0, G_INH = 4.0;
enum { HOLD_STEPS = 20 }; /* input levels last 1 ms */

/* Purposes of the random draws: one counter space each. */
enum { R_INH, R_TARGET, R_WEIGHT, R_PARAM, R_IN, R_OUT, R_X };

cx_glifr_synth_opts cx_glifr_synth_defaults(void)
{
    return (cx_glifr_synth_opts){.neurons = 0,
                                 .fanout = 0,
                                 .seed = 1,
                                 .inputs = 16,
                                 .outputs = 10,
                                 .asc = 2,
                                 .steps = 2000,
                                 .samples = 1,
                                 .delay_ms = 1.0,
                                 .dense = 0};
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Draw `k` of purpose `what` for item `i`: a hash, no state. */
static uint64_t draw(uint64_t seed, int what, uint64_t i, uint64_t k)
{
    return mix64(mix64(mix64(mix64(seed) ^ (uint64_t)what) ^ i) ^ k);
}

/* Uniform in [0, 1) with 53 bits. */
static double unif(uint64_t seed, int what, uint64_t i, uint64_t k)
{
    return (double)(draw(seed, what, i, k) >> 11) * 0x1p-53;
}

static double between(uint64_t seed, int what, uint64_t i, uint64_t k, double lo, double hi)
{
    return lo + (hi - lo) * unif(seed, what, i, k);
}

static long delay_steps(double delay_ms)
{
    return (long)floor(delay_ms / DT_MS); /* as cx_glifr_load: int(synaptic_delay / dt) */
}

cx_status cx_glifr_synth_check(const cx_glifr_synth_opts *o)
{
    if (o->neurons < 2 || o->neurons > (1L << 30))
        return cx_fail(CX_ERR_USAGE, "--neurons must be in 2..%ld, got %ld", 1L << 30, o->neurons);
    if (o->fanout < 0 || o->fanout >= o->neurons)
        return cx_fail(CX_ERR_USAGE,
                       "--fanout must be in 0..%ld (targets among the other neurons), got %ld",
                       o->neurons - 1, o->fanout);
    if ((double)o->neurons * (double)o->fanout > 2147483647.0)
        return cx_fail(CX_ERR_USAGE,
                       "--neurons x --fanout = %.0f lateral weights, at most 2^31 - 1",
                       (double)o->neurons * (double)o->fanout);
    if (o->dense && o->neurons > CX_SYNTH_DENSE_MAX)
        return cx_fail(CX_ERR_USAGE, "--dense needs --neurons <= %d, got %ld", CX_SYNTH_DENSE_MAX,
                       o->neurons);
    const struct {
        const char *flag;
        long v, max;
    } pos[] = {{"--inputs", o->inputs, 1L << 20},
               {"--outputs", o->outputs, 1L << 20},
               {"--asc", o->asc, 64},
               {"--steps", o->steps, 1L << 28},
               {"--samples", o->samples, 1L << 20}};
    for (size_t i = 0; i < sizeof pos / sizeof *pos; i++)
        if (pos[i].v < 1 || pos[i].v > pos[i].max)
            return cx_fail(CX_ERR_USAGE, "%s must be in 1..%ld, got %ld", pos[i].flag, pos[i].max,
                           pos[i].v);
    /* the loader's bounds (cx_glifr.h), so that every checkpoint written loads */
    if (!(o->delay_ms > 0) || !(o->delay_ms <= CX_GLIFR_MAX_DELAY_MS) ||
        delay_steps(o->delay_ms) < 2 || delay_steps(o->delay_ms) > CX_GLIFR_MAX_DELAY_STEPS)
        return cx_fail(CX_ERR_USAGE,
                       "--delay-ms %g: it must be at most %g ms and give int(delay / dt) = "
                       "2..%d steps of dt = %g ms",
                       o->delay_ms, CX_GLIFR_MAX_DELAY_MS, CX_GLIFR_MAX_DELAY_STEPS, DT_MS);
    if ((double)o->samples * (double)o->steps * (double)o->inputs > 1e10)
        return cx_fail(CX_ERR_USAGE, "--samples x --steps x --inputs is too large");
    return CX_OK;
}

/* ------------------------------------------------------------ network */

typedef struct {
    long N, F;
    unsigned char *inh; /* [N] */
    int64_t *row;       /* [N + 1] */
    int32_t *col;       /* [N F] ascending per row */
    float *w;           /* [N F] */
    long indeg_min, indeg_max;
} synth_net;

static void net_free(synth_net *n)
{
    free(n->inh), free(n->row), free(n->col), free(n->w);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Exactly round(0.2 N) inhibitory neurons: the head of a random permutation. */
static cx_status pick_inhibitory(const cx_glifr_synth_opts *o, synth_net *n)
{
    long N = n->N, n_inh = lround(INH_FRACTION * (double)N);
    int32_t *perm = malloc((size_t)N * sizeof *perm);
    n->inh = calloc((size_t)N, 1);
    if (!perm || !n->inh) {
        free(perm);
        return cx_fail(CX_ERR_NOMEM, "synth: out of memory");
    }
    for (long i = 0; i < N; i++)
        perm[i] = (int32_t)i;
    for (long i = 0; i < n_inh; i++) { /* partial Fisher-Yates */
        long r = i + (long)(unif(o->seed, R_INH, (uint64_t)i, 0) * (double)(N - i));
        int32_t t = perm[i];
        perm[i] = perm[r];
        perm[r] = t;
        n->inh[perm[i]] = 1;
    }
    free(perm);
    return CX_OK;
}

/* F distinct targets of neuron j among the others (Floyd's sampling over
 * 0..N-2, values >= j shifted past j), ascending. stamp marks the chosen. */
static void targets(const cx_glifr_synth_opts *o, long N, long F, long j, uint32_t *stamp,
                    int32_t *out)
{
    const uint32_t mark = (uint32_t)j + 1;
    long n = 0, M = N - 1;
    for (long r = M - F; r < M; r++) {
        long t = (long)(unif(o->seed, R_TARGET, (uint64_t)j, (uint64_t)r) * (double)(r + 1));
        if (stamp[t] == mark) t = r;
        stamp[t] = mark;
        out[n++] = (int32_t)(t >= j ? t + 1 : t);
    }
    if ((double)F * log2((double)F + 1) > (double)N) { /* dense: a scan beats sorting */
        n = 0;
        for (long t = 0; t < M; t++)
            if (stamp[t] == mark) out[n++] = (int32_t)(t >= j ? t + 1 : t);
    } else {
        qsort(out, (size_t)F, sizeof *out, cmp_i32);
    }
}

static cx_status build_net(const cx_glifr_synth_opts *o, synth_net *n)
{
    memset(n, 0, sizeof *n);
    n->N = o->neurons, n->F = o->fanout;
    const long N = n->N, F = n->F;
    CX_TRY(pick_inhibitory(o, n));
    size_t nnz = (size_t)N * (size_t)F;
    n->row = malloc(((size_t)N + 1) * sizeof *n->row);
    n->col = malloc((nnz ? nnz : 1) * sizeof *n->col);
    n->w = malloc((nnz ? nnz : 1) * sizeof *n->w);
    uint32_t *stamp = calloc((size_t)N, sizeof *stamp);
    int32_t *indeg = calloc((size_t)N, sizeof *indeg);
    if (!n->row || !n->col || !n->w || !stamp || !indeg) {
        free(stamp), free(indeg);
        return cx_fail(CX_ERR_NOMEM, "synth: out of memory for %zu lateral weights", nnz);
    }
    const double scale = F > 0 ? 1.0 / sqrt((double)F) : 0.0;
    for (long j = 0; j < N; j++) {
        n->row[j] = (int64_t)j * F;
        int32_t *c = n->col + (size_t)j * F;
        targets(o, N, F, j, stamp, c);
        double g = n->inh[j] ? -G_INH : G_EXC;
        for (long q = 0; q < F; q++) {
            indeg[c[q]]++;
            double u = unif(o->seed, R_WEIGHT, (uint64_t)j, (uint64_t)q);
            n->w[(size_t)j * F + q] = (float)(g * scale * (0.5 + u));
        }
    }
    n->row[N] = (int64_t)nnz;
    n->indeg_min = N, n->indeg_max = 0;
    for (long i = 0; i < N; i++) {
        if (indeg[i] < n->indeg_min) n->indeg_min = indeg[i];
        if (indeg[i] > n->indeg_max) n->indeg_max = indeg[i];
    }
    free(stamp), free(indeg);
    return CX_OK;
}

/* ------------------------------------------------------------ tensors */

static double logit(double p)
{
    return log(p / (1.0 - p));
}

/* Per-neuron parameters in their stored (transformed) form. */
static cx_status add_params(const cx_glifr_synth_opts *o, cx_st_writer *w)
{
    const long N = o->neurons, J = o->asc;
    float *th = malloc((size_t)N * sizeof *th), *km = malloc((size_t)N * sizeof *km);
    float *kj = malloc((size_t)(J * N) * sizeof *kj), *rj = malloc((size_t)(J * N) * sizeof *rj);
    float *aj = malloc((size_t)(J * N) * sizeof *aj);
    if (th && km && kj && rj && aj) {
        for (long i = 0; i < N; i++) {
            th[i] = (float)between(o->seed, R_PARAM, (uint64_t)i, 0, 0.4, 1.0);
            km[i] = (float)logit(between(o->seed, R_PARAM, (uint64_t)i, 1, 0.001, 0.003));
            for (long j = 0; j < J; j++) {
                uint64_t k = 2 + 3 * (uint64_t)j;
                double r = between(o->seed, R_PARAM, (uint64_t)i, k + 1, -0.04, 0.04);
                kj[j * N + i] = (float)logit(between(o->seed, R_PARAM, (uint64_t)i, k, 0.05, 0.12));
                rj[j * N + i] = (float)log((1.0 - r) / (1.0 + r)); /* r = 1 - 2 sigmoid(t) */
                aj[j * N + i] = (float)between(o->seed, R_PARAM, (uint64_t)i, k + 2, -0.5, 0.3);
            }
        }
    }
    int64_t hsh[2] = {1, N}, jsh[3] = {J, 1, N};
    const struct {
        const char *name;
        int ndim;
        const int64_t *shape;
        float *data;
    } t[] = {{"neuron_layer.thresh", 2, hsh, th},
             {"neuron_layer.trans_k_m", 2, hsh, km},
             {"neuron_layer.trans_k_j", 3, jsh, kj},
             {"neuron_layer.trans_r_j", 3, jsh, rj},
             {"neuron_layer.a_j", 3, jsh, aj}};
    cx_status st =
        th && km && kj && rj && aj ? CX_OK : cx_fail(CX_ERR_NOMEM, "synth: out of memory");
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (st == CX_OK)
            st = cx_st_writer_take(w, t[i].name, CX_DT_F32, t[i].ndim, t[i].shape, t[i].data);
        else
            free(t[i].data);
    return st;
}

/* Uniform (-a, a) weights of a [rows, N] tensor. */
static float *uniform_matrix(const cx_glifr_synth_opts *o, int what, long rows, double a)
{
    size_t n = (size_t)rows * (size_t)o->neurons;
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = (float)(a * (2.0 * unif(o->seed, what, i, 0) - 1.0));
    return v;
}

static cx_status add_lateral(const cx_glifr_synth_opts *o, const synth_net *n, cx_st_writer *w)
{
    const long N = n->N;
    if (o->dense) {
        float *d = calloc((size_t)N * (size_t)N, sizeof *d);
        if (!d) return cx_fail(CX_ERR_NOMEM, "synth: out of memory for a dense [%ld, %ld]", N, N);
        for (long j = 0; j < N; j++)
            for (int64_t q = n->row[j]; q < n->row[j + 1]; q++)
                d[(size_t)j * N + n->col[q]] = n->w[q];
        return cx_st_writer_take(w, "neuron_layer.weight_lat", CX_DT_F32, 2, (int64_t[]){N, N}, d);
    }
    int64_t nnz = n->row[N];
    CX_TRY(cx_st_writer_add(w, "neuron_layer.weight_lat.indptr", CX_DT_I64, 1, (int64_t[]){N + 1},
                            n->row));
    CX_TRY(cx_st_writer_add(w, "neuron_layer.weight_lat.indices", CX_DT_I32, 1, (int64_t[]){nnz},
                            n->col));
    return cx_st_writer_add(w, "neuron_layer.weight_lat.values", CX_DT_F32, 1, (int64_t[]){nnz},
                            n->w);
}

static cx_status write_model(const cx_glifr_synth_opts *o, const synth_net *n, const char *path)
{
    const long N = o->neurons;
    cx_st_writer *w = cx_st_writer_alloc();
    if (!w) return cx_fail(CX_ERR_NOMEM, "synth: out of memory");
    cx_status st =
        cx_st_writer_take(w, "neuron_layer.weight_iv", CX_DT_F32, 2, (int64_t[]){o->inputs, N},
                          uniform_matrix(o, R_IN, o->inputs, 1.0 / sqrt(o->inputs)));
    if (st == CX_OK) st = add_lateral(o, n, w);
    if (st == CX_OK) st = add_params(o, w);
    if (st == CX_OK)
        st = cx_st_writer_take(w, "output_linear.weight", CX_DT_F32, 2, (int64_t[]){o->outputs, N},
                               uniform_matrix(o, R_OUT, o->outputs, sqrt(3.0 / (double)N)));
    float *bias = calloc((size_t)o->outputs, sizeof *bias);
    if (st == CX_OK)
        st =
            cx_st_writer_take(w, "output_linear.bias", CX_DT_F32, 1, (int64_t[]){o->outputs}, bias);
    else
        free(bias);
    if (st == CX_OK) st = cx_st_writer_meta(w, "producer", "cortile synth");
    if (st == CX_OK) st = cx_st_writer_write(w, path);
    cx_st_writer_free(w);
    return st;
}

static cx_status write_inputs(const cx_glifr_synth_opts *o, const char *path)
{
    const long B = o->samples, T = o->steps, C = o->inputs;
    float *x = malloc((size_t)(B * T * C) * sizeof *x);
    if (!x) return cx_fail(CX_ERR_NOMEM, "synth: out of memory for the inputs");
    for (long b = 0; b < B; b++)
        for (long t = 0; t < T; t++)
            for (long c = 0; c < C; c++)
                x[(b * T + t) * C + c] = (float)(2.0 * unif(o->seed, R_X, (uint64_t)(b * C + c),
                                                            (uint64_t)(t / HOLD_STEPS)) -
                                                 1.0);
    cx_st_writer *w = cx_st_writer_alloc();
    if (!w) {
        free(x);
        return cx_fail(CX_ERR_NOMEM, "synth: out of memory");
    }
    cx_status st = cx_st_writer_take(w, "x", CX_DT_F32, 3, (int64_t[]){B, T, C}, x);
    if (st == CX_OK) st = cx_st_writer_meta(w, "producer", "cortile synth");
    if (st == CX_OK) st = cx_st_writer_write(w, path);
    cx_st_writer_free(w);
    return st;
}

/* ------------------------------------------------------------ config */

static void add_range(cJSON *obj, const char *key, double lo, double hi)
{
    cJSON *a = cJSON_AddArrayToObject(obj, key);
    cJSON_AddItemToArray(a, cJSON_CreateNumber(lo));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
}

static cJSON *synthetic_block(const cx_glifr_synth_opts *o, const synth_net *n)
{
    long n_inh = 0;
    for (long i = 0; i < n->N; i++)
        n_inh += n->inh[i];
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "generator", "cortile synth");
    cJSON_AddNumberToObject(s, "neurons", (double)o->neurons);
    cJSON_AddNumberToObject(s, "fanout", (double)o->fanout);
    cJSON_AddNumberToObject(s, "seed", (double)o->seed);
    cJSON_AddNumberToObject(s, "inputs", (double)o->inputs);
    cJSON_AddNumberToObject(s, "outputs", (double)o->outputs);
    cJSON_AddNumberToObject(s, "asc", (double)o->asc);
    cJSON_AddNumberToObject(s, "steps", (double)o->steps);
    cJSON_AddNumberToObject(s, "samples", (double)o->samples);
    cJSON_AddNumberToObject(s, "delay_ms", o->delay_ms);
    cJSON_AddStringToObject(s, "lateral_storage", o->dense ? "dense" : "sparse");
    cJSON_AddStringToObject(s, "dtype", "F32");
    cJSON *st = cJSON_AddObjectToObject(s, "statistics");
    cJSON_AddNumberToObject(st, "lateral_weights", (double)n->row[n->N]);
    cJSON_AddNumberToObject(st, "excitatory", (double)(n->N - n_inh));
    cJSON_AddNumberToObject(st, "inhibitory", (double)n_inh);
    cJSON_AddNumberToObject(st, "inhibitory_fraction", (double)n_inh / (double)n->N);
    cJSON_AddNumberToObject(st, "self_loops", 0);
    cJSON *deg = cJSON_AddObjectToObject(st, "in_degree");
    cJSON_AddNumberToObject(deg, "min", (double)n->indeg_min);
    cJSON_AddNumberToObject(deg, "mean", (double)o->fanout);
    cJSON_AddNumberToObject(deg, "max", (double)n->indeg_max);
    cJSON *dist = cJSON_AddObjectToObject(s, "distributions");
    double sf = o->fanout > 0 ? 1.0 / sqrt((double)o->fanout) : 0.0;
    add_range(dist, "weight_excitatory", 0.5 * G_EXC * sf, 1.5 * G_EXC * sf);
    add_range(dist, "weight_inhibitory", -1.5 * G_INH * sf, -0.5 * G_INH * sf);
    add_range(dist, "dt_k_m", 0.001, 0.003);
    add_range(dist, "dt_k_j", 0.05, 0.12);
    add_range(dist, "r_j", -0.04, 0.04);
    add_range(dist, "a_j", -0.5, 0.3);
    add_range(dist, "thresh", 0.4, 1.0);
    add_range(dist, "weight_iv", -1.0 / sqrt((double)o->inputs), 1.0 / sqrt((double)o->inputs));
    add_range(dist, "output_weight", -sqrt(3.0 / (double)o->neurons),
              sqrt(3.0 / (double)o->neurons));
    add_range(dist, "input_x", -1.0, 1.0);
    cJSON_AddNumberToObject(dist, "input_hold_steps", HOLD_STEPS);
    return s;
}

static void describe(cJSON *sd, const char *key, const char *shape, const char *dtype,
                     const char *meaning)
{
    cJSON *e = cJSON_AddObjectToObject(sd, key);
    cJSON_AddStringToObject(e, "shape", shape);
    cJSON_AddStringToObject(e, "dtype", dtype);
    cJSON_AddStringToObject(e, "meaning", meaning);
}

static cJSON *config(const cx_glifr_synth_opts *o, cJSON *synthetic)
{
    char name[96];
    snprintf(name, sizeof name, "synth_n%ld_f%ld_s%llu", o->neurons, o->fanout,
             (unsigned long long)o->seed);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "model_name", name);
    cJSON_AddStringToObject(c, "task", "synthetic (random connectivity, cortile synth)");
    cJSON_AddNumberToObject(c, "input_size", (double)o->inputs);
    cJSON_AddNumberToObject(c, "hidden_size", (double)o->neurons);
    cJSON_AddNumberToObject(c, "output_size", (double)o->outputs);
    cJSON_AddNumberToObject(c, "num_ascs", (double)o->asc);
    cJSON_AddNumberToObject(c, "dt", DT_MS);
    cJSON_AddNumberToObject(c, "tau", DT_MS);
    cJSON_AddNumberToObject(c, "dt_over_tau", 1.0);
    cJSON_AddNumberToObject(c, "synaptic_delay", o->delay_ms);
    cJSON_AddNumberToObject(c, "delay_steps", (double)delay_steps(o->delay_ms));
    cJSON_AddStringToObject(c, "delay_steps_rule",
                            "int(synaptic_delay/dt); lateral input at step t uses S from step "
                            "t-delay_steps (zeros before t=delay_steps)");
    cJSON_AddNumberToObject(c, "sigma_v", 1.0);
    cJSON_AddNumberToObject(c, "R", 0.1);
    cJSON_AddNumberToObject(c, "I0", 0.0);
    cJSON_AddNumberToObject(c, "v_reset", 0.0);
    cJSON_AddBoolToObject(c, "output_weight", 1);
    cJSON_AddBoolToObject(c, "readout_bias", 1);
    cJSON_AddNumberToObject(c, "dropout_prob", 0.0);
    cJSON_AddStringToObject(c, "final_reduction", "none");
    cJSON_AddStringToObject(c, "initialization", "synthetic");
    cJSON_AddBoolToObject(c, "params_learned", 0);
    cJSON_AddStringToObject(c, "time_unit", "ms");
    cJSON_AddStringToObject(c, "initial_state", "S=V=I_syn=I_asc=0, delay buffer zeros");
    cJSON *sd = cJSON_AddObjectToObject(c, "state_dict");
    describe(sd, "neuron_layer.weight_iv", "[n_in, H]", "F32", "I_syn += x_t @ weight_iv");
    if (o->dense)
        describe(sd, "neuron_layer.weight_lat", "[H, H]", "F32",
                 "I_syn += S_{t-d} @ weight_lat (row = presynaptic)");
    else {
        describe(sd, "neuron_layer.weight_lat.indptr", "[H + 1]", "I64",
                 "CSR of weight_lat by presynaptic row: row j spans indptr[j]..indptr[j+1]");
        describe(sd, "neuron_layer.weight_lat.indices", "[nnz]", "I32",
                 "postsynaptic neuron of each entry, ascending within a row");
        describe(sd, "neuron_layer.weight_lat.values", "[nnz]", "F32", "weight_lat[j][i]");
    }
    describe(sd, "neuron_layer.thresh", "[1, H]", "F32", "threshold V_th");
    describe(sd, "neuron_layer.trans_k_m", "[1, H]", "F32", "k_m = sigmoid(trans_k_m)/dt");
    describe(sd, "neuron_layer.trans_k_j", "[J, 1, H]", "F32", "k_j = sigmoid(trans_k_j)/dt");
    describe(sd, "neuron_layer.trans_r_j", "[J, 1, H]", "F32", "r_j = 1 - 2*sigmoid(trans_r_j)");
    describe(sd, "neuron_layer.a_j", "[J, 1, H]", "F32", "a_j, after-spike current amplitude");
    describe(sd, "output_linear.weight", "[n_out, H]", "F32", "y_t = S_t @ weight.T + bias");
    describe(sd, "output_linear.bias", "[n_out]", "F32", "readout bias (zero)");
    cJSON_AddStringToObject(c, "param_dtype", "float32");
    cJSON_AddItemToObject(c, "synthetic", synthetic);
    return c;
}

/* ------------------------------------------------------------ files */

static cx_status make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return CX_OK;
        return cx_fail(CX_ERR_IO, "%s: exists and is not a folder", dir);
    }
    return cx_fail(CX_ERR_IO, "%s: cannot create the folder: %s", dir, strerror(errno));
}

static cx_status write_config(const cJSON *cfg, const char *path)
{
    char *text = cJSON_Print(cfg);
    if (!text) return cx_fail(CX_ERR_NOMEM, "synth: out of memory");
    const void *parts[] = {text, "\n"};
    size_t sizes[] = {strlen(text), 1};
    cx_status st = cx_write_file_atomic(path, parts, sizes, 2);
    free(text);
    return st;
}

cx_status cx_glifr_synth_write(const cx_glifr_synth_opts *o, const char *dir, cJSON **summary)
{
    if (summary) *summary = NULL;
    CX_TRY(cx_glifr_synth_check(o));
    CX_TRY(make_dir(dir));
    synth_net n;
    cx_status st = build_net(o, &n);
    char *pc = cx_path_join(dir, "config.json"), *pm = cx_path_join(dir, "model.safetensors");
    char *pi = cx_path_join(dir, "inputs.safetensors");
    if (st == CX_OK && (!pc || !pm || !pi)) st = cx_fail(CX_ERR_NOMEM, "synth: out of memory");
    if (st == CX_OK) st = write_model(o, &n, pm);
    if (st == CX_OK) st = write_inputs(o, pi);
    if (st == CX_OK) {
        cJSON *syn = synthetic_block(o, &n);
        cJSON *cfg = config(o, syn);
        st = write_config(cfg, pc);
        if (st == CX_OK && summary) *summary = cJSON_Duplicate(syn, 1);
        cJSON_Delete(cfg);
    }
    net_free(&n);
    free(pc), free(pm), free(pi);
    return st;
}
