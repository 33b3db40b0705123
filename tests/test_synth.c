/* Synthetic GLIFR networks (cortile synth) and the sparse lateral weights:
 * determinism, connectivity statistics, dense and sparse forms of one
 * network running bit for bit alike, validation of the sparse tensors, the
 * command line, and bounded, spread activity. */
#include "cx_glifr_synth.h"
#include "cx_model.h"
#include "cx_st.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *synth(const char *name, long n, long f, uint64_t seed, int dense, long steps)
{
    char *dir = cx_test_tmp(name);
    cx_glifr_synth_opts o = cx_glifr_synth_defaults();
    o.neurons = n, o.fanout = f, o.seed = seed, o.dense = dense, o.steps = steps;
    cx_status st = cx_glifr_synth_write(&o, dir, NULL);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return dir;
}

/* `file` holds the same bytes in folders a and b. */
static int same_file(const char *a, const char *b, const char *file)
{
    char x[1024], y[1024];
    snprintf(x, sizeof x, "%s/%s", a, file);
    snprintf(y, sizeof y, "%s/%s", b, file);
    return cx_test_same_file(x, y);
}

START_TEST(same_arguments_same_bytes)
{
    char *a = synth("det_a", 300, 20, 7, 0, 100), *b = synth("det_b", 300, 20, 7, 0, 100);
    char *c = synth("det_c", 300, 20, 8, 0, 100);
    const char *files[] = {"config.json", "model.safetensors", "inputs.safetensors"};
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(same_file(a, b, files[i]), "%s differs between two runs", files[i]);
        ck_assert_msg(!same_file(a, c, files[i]), "%s is the same for seeds 7 and 8", files[i]);
    }
    free(a), free(b), free(c);
}
END_TEST

START_TEST(exact_fanout_no_self_loops_dale)
{
    const long N = 500, F = 37;
    char *dir = synth("stats", N, F, 3, 0, 10);
    cx_model *m = cx_test_model(dir);
    const cx_glifr_model *g = m->glifr;
    ck_assert_int_eq(g->hidden, N);
    ck_assert_int_eq(g->lat_nnz, N * F);
    long inh = 0, min_in = N, max_in = 0;
    long *indeg = calloc((size_t)N, sizeof *indeg);
    for (long j = 0; j < N; j++) {
        ck_assert_int_eq(g->lat_row[j + 1] - g->lat_row[j], F);
        int neg = g->lat_w[g->lat_row[j]] < 0;
        inh += neg;
        for (int64_t q = g->lat_row[j]; q < g->lat_row[j + 1]; q++) {
            ck_assert_int_ne(g->lat_col[q], j);
            if (q > g->lat_row[j]) ck_assert_int_gt(g->lat_col[q], g->lat_col[q - 1]);
            ck_assert_int_eq(g->lat_w[q] < 0, neg); /* one sign per source */
            /* magnitudes g/sqrt(F) x U(0.5, 1.5), g = 1 or 4 */
            double a = fabs(g->lat_w[q]) * sqrt((double)F) / (neg ? 4.0 : 1.0);
            ck_assert(a >= 0.5 - 1e-6 && a <= 1.5 + 1e-6);
            indeg[g->lat_col[q]]++;
        }
    }
    ck_assert_int_eq(inh, lround(0.2 * N));
    for (long i = 0; i < N; i++) {
        if (indeg[i] < min_in) min_in = indeg[i];
        if (indeg[i] > max_in) max_in = indeg[i];
    }
    /* the config's statistics say the same */
    const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(m->config, "synthetic"), "statistics");
    ck_assert_int_eq(cJSON_GetObjectItem(s, "inhibitory")->valuedouble, inh);
    ck_assert_int_eq(cJSON_GetObjectItem(s, "lateral_weights")->valuedouble, N * F);
    const cJSON *deg = cJSON_GetObjectItem(s, "in_degree");
    ck_assert_int_eq(cJSON_GetObjectItem(deg, "min")->valuedouble, min_in);
    ck_assert_int_eq(cJSON_GetObjectItem(deg, "max")->valuedouble, max_in);
    ck_assert_int_eq(g->delay_steps, 20);
    ck_assert_ptr_null(g->sil_row);
    free(indeg);
    cx_model_free(m);
    free(dir);
}
END_TEST

/* Runs sample 0 of DIR/inputs.safetensors; returns y, S, V, I_syn, I_asc in one buffer. */
static double *forward(const cx_glifr_model *g, const char *dir, int *T_out, size_t *n_out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/inputs.safetensors", dir);
    cx_st_file *f = cx_test_open(path);
    const cx_st_tensor *t = cx_st_find(f, "x");
    double *x;
    ck_assert_int_eq(cx_st_to_f64(f, t, 1, &x), CX_OK);
    int T = (int)t->shape[1];
    size_t H = (size_t)g->hidden, TH = (size_t)T * H, n = (size_t)T * g->n_out + 3 * TH;
    n += (size_t)g->num_asc * TH;
    double *buf = calloc(n, sizeof *buf);
    double *y = buf, *S = y + (size_t)T * g->n_out, *V = S + TH, *I = V + TH, *A = I + TH;
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(g);
    cx_glifr_record rec = {S, V, I, A, TH};
    cx_glifr_forward(g, ws, x, T, y, &rec);
    cx_glifr_workspace_free(ws);
    free(x);
    cx_st_close(f);
    *T_out = T;
    *n_out = n;
    return buf;
}

START_TEST(dense_and_sparse_run_bit_for_bit)
{
    char *sp = synth("sparse", 200, 30, 11, 0, 120), *de = synth("dense", 200, 30, 11, 1, 120);
    cx_model *ms = cx_test_model(sp), *md = cx_test_model(de);
    ck_assert_int_eq(ms->glifr->lat_nnz, md->glifr->lat_nnz);
    ck_assert_int_eq(memcmp(ms->glifr->lat_col, md->glifr->lat_col,
                            (size_t)ms->glifr->lat_nnz * sizeof(int32_t)),
                     0);
    int T;
    size_t n, n2;
    double *a = forward(ms->glifr, sp, &T, &n), *b = forward(md->glifr, de, &T, &n2);
    ck_assert_uint_eq(n, n2);
    ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "dense and sparse forms run differently");
    /* the inputs and every tensor but the lateral weights are the same bytes */
    ck_assert(same_file(sp, de, "inputs.safetensors"));
    free(a), free(b);
    cx_model_free(ms), cx_model_free(md);
    free(sp), free(de);
}
END_TEST

START_TEST(activity_is_spread_and_bounded)
{
    char *dir = synth("activity", 400, 40, 5, 0, 400);
    cx_model *m = cx_test_model(dir);
    const cx_glifr_model *g = m->glifr;
    int T;
    size_t n;
    double *buf = forward(g, dir, &T, &n);
    const size_t H = (size_t)g->hidden;
    const double *S = buf + (size_t)T * g->n_out, *A = S + 3 * (size_t)T * H;
    int low = 0, mid = 0, high = 0;
    for (size_t i = 0; i < H; i++) { /* mean rate of each neuron over the last 200 steps */
        double s = 0;
        for (int t = T - 200; t < T; t++)
            s += S[(size_t)t * H + i];
        s /= 200;
        low += s<0.05, high += s> 0.95, mid += s >= 0.05 && s <= 0.95;
    }
    ck_assert_msg(mid > (int)H / 3 && low < (int)H * 3 / 4 && high < (int)H / 10,
                  "rates: %d low, %d spread, %d high", low, mid, high);
    double amax = 0; /* |I_j| <= max|a_j| / min(dt k_j - r_j) = 0.5 / 0.01 */
    for (size_t i = 0; i < (size_t)g->num_asc * (size_t)T * H; i++)
        amax = fmax(amax, fabs(A[i]));
    ck_assert_msg(amax < 50 && amax > 0, "max |I_asc| %g", amax);
    free(buf);
    cx_model_free(m);
    free(dir);
}
END_TEST

/* ---- validation of the sparse form ---- */

/* Copies a synthetic model with one tensor replaced (NULL data: dropped),
 * or, with extra, an added one; returns the folder. */
static char *edited(const char *src, const char *name, const char *replace, cx_dtype dtype,
                    int64_t n, const void *data, int extra)
{
    char *dir = cx_test_tmp(name);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/config.json' '%s/'", dir, src, dir);
    ck_assert_int_eq(system(cmd), 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", src);
    cx_st_file *f = cx_test_open(path);
    cx_st_writer *w = cx_st_writer_alloc();
    for (size_t i = 0; i < f->ntensors; i++) {
        const cx_st_tensor *t = &f->tensors[i];
        if (!extra && !strcmp(t->name, replace)) {
            if (data) ck_assert_int_eq(cx_st_writer_add(w, t->name, dtype, 1, &n, data), CX_OK);
            continue;
        }
        ck_assert_int_eq(cx_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data), CX_OK);
    }
    if (extra)
        ck_assert_int_eq(cx_st_writer_add(w, replace, dtype, 2, (int64_t[]){n, n}, data), CX_OK);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    ck_assert_int_eq(cx_st_writer_write(w, path), CX_OK);
    cx_st_writer_free(w);
    cx_st_close(f);
    return dir;
}

static void expect_error(const char *dir, cx_status want, const char *a, const char *b)
{
    cx_model *m = NULL;
    cx_status st = cx_model_load(dir, CX_KIND_AUTO, NULL, 0, &m);
    ck_assert_ptr_null(m);
    const char *msg = cx_last_error();
    ck_assert_msg(st == want, "status %s, expected %s: %s", cx_status_name(st),
                  cx_status_name(want), msg);
    ck_assert_msg(strstr(msg, "model.safetensors") && strstr(msg, a) && (!b || strstr(msg, b)),
                  "message lacks '%s'/'%s': %s", a, b ? b : "", msg);
}

START_TEST(sparse_tensors_are_validated)
{
    const int N = 12, F = 3;
    char *src = synth("valid_src", N, F, 2, 0, 5);
    int64_t indptr[13];
    int32_t idx[36];
    float val[36];
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", src);
    cx_st_file *f = cx_test_open(path);
    memcpy(indptr, cx_st_find(f, "neuron_layer.weight_lat.indptr")->data, sizeof indptr);
    memcpy(idx, cx_st_find(f, "neuron_layer.weight_lat.indices")->data, sizeof idx);
    memcpy(val, cx_st_find(f, "neuron_layer.weight_lat.values")->data, sizeof val);
    cx_st_close(f);
    const char *P = "neuron_layer.weight_lat.indptr", *I = "neuron_layer.weight_lat.indices",
               *V = "neuron_layer.weight_lat.values";

    int64_t bad_ptr[13];
    memcpy(bad_ptr, indptr, sizeof bad_ptr);
    bad_ptr[5] = bad_ptr[4] - 1; /* decreasing */
    char *d = edited(src, "v_dec", P, CX_DT_I64, N + 1, bad_ptr, 0);
    expect_error(d, CX_ERR_VALUE, P, "non-decreasing");
    free(d);
    memcpy(bad_ptr, indptr, sizeof bad_ptr);
    bad_ptr[N] = 35; /* does not end at nnz */
    d = edited(src, "v_end", P, CX_DT_I64, N + 1, bad_ptr, 0);
    expect_error(d, CX_ERR_VALUE, P, "36 elements");
    free(d);
    d = edited(src, "v_shape", P, CX_DT_I64, N, indptr, 0); /* [N] instead of [N + 1] */
    expect_error(d, CX_ERR_SHAPE, P, "[13]");
    free(d);

    int32_t bad_idx[36];
    memcpy(bad_idx, idx, sizeof bad_idx);
    bad_idx[7] = N; /* out of range */
    d = edited(src, "v_range", I, CX_DT_I32, 36, bad_idx, 0);
    expect_error(d, CX_ERR_VALUE, I, "outside 0..11");
    free(d);
    memcpy(bad_idx, idx, sizeof bad_idx);
    bad_idx[4] = bad_idx[3]; /* row 1 repeats a column */
    d = edited(src, "v_dup", I, CX_DT_I32, 36, bad_idx, 0);
    expect_error(d, CX_ERR_VALUE, I, "not sorted and unique");
    free(d);

    float bad_val[36];
    memcpy(bad_val, val, sizeof bad_val);
    bad_val[10] = NAN;
    d = edited(src, "v_nan", V, CX_DT_F32, 36, bad_val, 0);
    expect_error(d, CX_ERR_VALUE, V, "element 10 is NaN");
    free(d);

    d = edited(src, "v_missing", V, CX_DT_F32, 36, NULL, 0);
    expect_error(d, CX_ERR_MISSING, V, NULL);
    free(d);

    float *dense = calloc((size_t)N * N, sizeof *dense);
    d = edited(src, "v_both", "neuron_layer.weight_lat", CX_DT_F32, N, dense, 1);
    expect_error(d, CX_ERR_FORMAT, "both the dense", NULL);
    free(d);
    free(dense);
    free(src);
}
END_TEST

START_TEST(command_line)
{
    char *dir = cx_test_tmp("cli_synth"), args[1024], *out, *err;
    snprintf(args, sizeof args, "synth --neurons 50 --fanout 5 --seed 1 --output '%s' --steps 30",
             dir);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
    ck_assert_msg(strstr(out, "250 weights") && strstr(out, "40 excitatory, 10 inhibitory"), "%s",
                  out);
    free(out), free(err);
    const struct {
        const char *args;
        int rc;
        const char *msg;
    } bad[] = {
        {"synth --neurons 1 --fanout 0 --seed 1 --output x", 2, "--neurons"},
        {"synth --neurons 10 --fanout 10 --seed 1 --output x", 2, "--fanout"},
        {"synth --neurons 10 --fanout -1 --seed 1 --output x", 2, "--fanout"},
        {"synth --neurons 10 --fanout 2 --output x", 2, "--seed"},
        {"synth --neurons 9000 --fanout 2 --seed 1 --output x --dense", 2, "--dense"},
        {"synth --neurons 10 --fanout 2 --seed 1 --output x --delay-ms 0.05", 2, "--delay-ms"},
        {"synth --neurons 10 --fanout 2 --seed 1 --output /nonexistent/dir/x", 1, "cannot create"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = cx_test_cli(bad[i].args, &out, &err);
        ck_assert_msg(rc == bad[i].rc && strstr(err, bad[i].msg), "%s: exit %d, %s", bad[i].args,
                      rc, err);
        free(out), free(err);
    }
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("synth");
    tcase_add_test(tc, same_arguments_same_bytes);
    tcase_add_test(tc, exact_fanout_no_self_loops_dale);
    tcase_add_test(tc, dense_and_sparse_run_bit_for_bit);
    tcase_add_test(tc, activity_is_spread_and_bounded);
    tcase_add_test(tc, sparse_tensors_are_validated);
    tcase_add_test(tc, command_line);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
