/* Reference simulators on the fixtures bundled in data/ (always available). */
#include "cx_lmnist.h"
#include "cx_model.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *run_elm(const cx_elm_model *m, const cx_st_tensor *spikes, int64_t sample)
{
    int T = (int)spikes->shape[1], NI = (int)spikes->shape[2];
    cx_elm_input ev = {0};
    ck_assert_int_eq(
        cx_elm_input_from_neuronio_spikes(&ev, spikes->data + (size_t)sample * T * NI, T, NI),
        CX_OK);
    double *y = malloc((size_t)T * m->num_output * sizeof(double));
    cx_elm_workspace *ws = cx_elm_workspace_alloc(m);
    cx_elm_forward(m, ws, &ev, y, NULL, NULL);
    cx_elm_workspace_free(ws);
    cx_elm_input_release(&ev);
    return y;
}

START_TEST(elm_num_memory_20_matches_reference)
{
    char *dir = cx_test_data("elm/num_memory_20");
    char *inp = cx_test_data("elm/inputs_small.safetensors");
    char *ref = cx_test_data("elm/num_memory_20/outputs_small.safetensors");
    cx_model *m = cx_test_model(dir);
    ck_assert_int_eq(m->kind, CX_KIND_ELM);
    ck_assert_int_eq(m->elm->num_memory, 20);
    ck_assert_int_eq(m->elm->mlp_hidden_size, 40);
    ck_assert(m->elm->lambda == 5.0);
    ck_assert_int_eq(m->elm->routing, CX_ROUTING_NEURONIO);
    cx_st_file *fi = cx_test_open(inp), *fr = cx_test_open(ref);
    const cx_st_tensor *spikes = cx_st_find(fi, "spikes"), *out = cx_st_find(fr, "outputs");
    double *y = run_elm(m->elm, spikes, 0);
    double err = cx_test_max_diff(out, y, 0);
    ck_assert_msg(err <= 1e-9, "max abs error %g", err);
    free(y);
    cx_st_close(fi);
    cx_st_close(fr);
    cx_model_free(m);
    free(dir);
    free(inp);
    free(ref);
}
END_TEST

/* The stored routing equals MODEL.md's neuronio formula (45 branches x 100 slots). */
START_TEST(elm_routing_matches_formula)
{
    char *dir = cx_test_data("elm/num_memory_20");
    cx_model *m;
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_ELM, NULL, 0, &m), CX_OK);
    const cx_elm_model *e = m->elm;
    int valid = 0;
    for (int b = 0; b < 45; b++) {
        for (int j = 0; j < 100; j++) {
            int k = 100 * b + j, q = 29 * b + j, qc = q < 1277 ? q : 1277;
            ck_assert_int_eq(e->syn_valid[k], q < 1278);
            ck_assert_int_eq(e->syn_input[k], (qc % 2) * 639 + qc / 2);
            valid += e->syn_valid[k];
        }
    }
    ck_assert_int_eq(valid, 4282);
    /* every τ_s is 5 ms, so each branch collapses to one trace group */
    ck_assert_int_eq(e->num_groups, 45);
    ck_assert_double_eq_tol(e->kappa_s[0], exp(-0.2), 1e-15);
    cx_model_free(m);
    free(dir);
}
END_TEST

/* Constructor defaults can be overridden, and the override changes the run. */
START_TEST(elm_param_override)
{
    char *dir = cx_test_data("elm/num_memory_20");
    const char *params[] = {"lambda_value=2.5", "mlp_activation=\"silu\""};
    cx_model *m;
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_AUTO, params, 2, &m), CX_OK);
    ck_assert(m->elm->lambda == 2.5);
    ck_assert_int_eq(m->elm->activation, CX_ACT_SILU);
    cx_model_free(m);
    const char *bad[] = {"mlp_hidden_size=41"};
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_AUTO, bad, 1, &m), CX_ERR_SHAPE);
    ck_assert_ptr_nonnull(
        strstr(cx_last_error(), "mlp.network.0.weight': expected shape [41, 65], found [40, 65]"));
    free(dir);
}
END_TEST

START_TEST(glifr_lmnist_matches_traces)
{
    char *dir = cx_test_data("glifr/lmnist_glifr_lheta");
    char *tr = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
    cx_model *m = cx_test_model(dir);
    ck_assert_int_eq(m->kind, CX_KIND_GLIFR);
    ck_assert_int_eq(m->glifr->hidden, 128);
    ck_assert_int_eq(m->glifr->delay_steps, 20);
    cx_model_free(m);
    cx_test_check_glifr_traces(dir, tr);
    free(dir);
    free(tr);
}
END_TEST

/* The float32 torchvision preprocessing reproduces the traces' inputs bit for
 * bit, and classification gives the upstream predictions. */
START_TEST(lmnist_preprocessing_is_exact)
{
    char *dir = cx_test_data("glifr/lmnist_glifr_lheta");
    char *tr = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
    cx_model *m;
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_GLIFR, NULL, 0, &m), CX_OK);
    cx_st_file *f = cx_test_open(tr);
    const cx_st_tensor *img = cx_st_find(f, "images_u8"), *x = cx_st_find(f, "x");
    const cx_st_tensor *pred = cx_st_find(f, "pred");
    ck_assert_int_eq(img->dtype, CX_DT_U8);
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(m->glifr);
    double xv[784], y[28 * 10];
    for (int b = 0; b < (int)img->shape[0]; b++) {
        cx_lmnist_input(img->data + 784 * b, xv);
        for (int i = 0; i < 784; i++)
            ck_assert(xv[i] == cx_st_get(x, (size_t)784 * b + i));
        ck_assert_int_eq(cx_lmnist_classify(m->glifr, ws, img->data + 784 * b, y),
                         (int)cx_st_get(pred, (size_t)b));
    }
    cx_glifr_workspace_free(ws);
    cx_st_close(f);
    cx_model_free(m);
    free(dir);
    free(tr);
}
END_TEST

/* End to end: the CLI writes the reference layout and compare accepts it. */
START_TEST(cli_reference_and_compare)
{
    char *dir = cx_test_data("elm/num_memory_20");
    char *inp = cx_test_data("elm/inputs_small.safetensors");
    char *ref = cx_test_data("elm/num_memory_20/outputs_small.safetensors");
    char *out = cx_test_tmp("ref_out.safetensors"), args[2048], *text;
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s' --record --json", dir,
             inp, out);
    ck_assert_int_eq(cx_test_cli(args, &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "\"samples\":\t1"));
    free(text);
    cx_st_file *f = cx_test_open(out);
    const cx_st_tensor *t;
    ck_assert_int_eq(cx_st_require(f, "outputs", CX_DTM(CX_DT_F64), 3, (int64_t[]){1, 600, 2}, &t),
                     CX_OK);
    ck_assert_int_eq(
        cx_st_require(f, "memory_m", CX_DTM(CX_DT_F64), 3, (int64_t[]){1, 600, 20}, &t), CX_OK);
    ck_assert_int_eq(
        cx_st_require(f, "branch_input", CX_DTM(CX_DT_F64), 3, (int64_t[]){1, 600, 45}, &t), CX_OK);
    ck_assert_str_eq(cx_st_meta(f, "kind"), "elm");
    cx_st_close(f);
    snprintf(args, sizeof args, "compare '%s' '%s' --tol 1e-9", out, ref);
    ck_assert_int_eq(cx_test_cli(args, NULL, NULL), 0);
    free(dir);
    free(inp);
    free(ref);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reference_bundled");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, elm_num_memory_20_matches_reference);
    tcase_add_test(tc, elm_routing_matches_formula);
    tcase_add_test(tc, elm_param_override);
    tcase_add_test(tc, glifr_lmnist_matches_traces);
    tcase_add_test(tc, lmnist_preprocessing_is_exact);
    tcase_add_test(tc, cli_reference_and_compare);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
