/* Reference simulators against every public upstream trace in the shared
 * fixtures: all 15 ELM checkpoints and both GLIFR models. Skipped (exit 77)
 * when the fixtures are absent. */
#include "cx_model.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static const char *elm_checkpoints[] = {
    "num_memory_1",  "num_memory_2",  "num_memory_3",  "num_memory_5",   "num_memory_7",
    "num_memory_10", "num_memory_15", "num_memory_20", "num_memory_25",  "num_memory_30",
    "num_memory_40", "num_memory_50", "num_memory_75", "num_memory_100", "best_elm_neuron"};

/* Runs every sample of inputs.safetensors; records are for sample 0 only. */
static double *run_all(const cx_elm_model *m, const cx_st_tensor *spikes, double *rec_branch,
                       double *rec_memory)
{
    int S = (int)spikes->shape[0], T = (int)spikes->shape[1], NI = (int)spikes->shape[2];
    double *y = malloc((size_t)S * T * m->num_output * sizeof(double));
    cx_elm_workspace *ws = cx_elm_workspace_alloc(m);
    cx_elm_input ev = {0};
    for (int s = 0; s < S; s++) {
        ck_assert_int_eq(
            cx_elm_input_from_neuronio_spikes(&ev, spikes->data + (size_t)s * T * NI, T, NI),
            CX_OK);
        cx_elm_forward(m, ws, &ev, y + (size_t)s * T * m->num_output, s ? NULL : rec_branch,
                       s ? NULL : rec_memory);
    }
    cx_elm_input_release(&ev);
    cx_elm_workspace_free(ws);
    return y;
}

START_TEST(elm_checkpoint_matches_upstream)
{
    const char *name = elm_checkpoints[_i];
    char rel[256];
    snprintf(rel, sizeof rel, "reference/elm/%s", name);
    char *dir = cx_test_shared(rel), *inp = cx_test_shared("reference/elm/inputs.safetensors");
    snprintf(rel, sizeof rel, "reference/elm/%s/outputs.safetensors", name);
    char *ref = cx_test_shared(rel);
    ck_assert_ptr_nonnull(dir);
    cx_model *m = cx_test_model(dir);
    ck_assert_int_eq(m->elm->activation,
                     strcmp(name, "best_elm_neuron") ? CX_ACT_RELU : CX_ACT_SILU);
    cx_st_file *fi = cx_test_open(inp), *fr = cx_test_open(ref);
    const cx_st_tensor *spikes = cx_st_find(fi, "spikes"), *out = cx_st_find(fr, "outputs");
    ck_assert_int_eq(spikes->shape[0], 3);
    ck_assert_int_eq(spikes->shape[1], 2000);
    double *y = run_all(m->elm, spikes, NULL, NULL);
    double err = cx_test_max_diff(out, y, 0);
    ck_assert_msg(err <= 1e-9, "%s: max abs error %g", name, err);
    printf("%-16s max abs error %.3e\n", name, err);
    free(y);
    cx_st_close(fi);
    cx_st_close(fr);
    cx_model_free(m);
    free(dir);
    free(inp);
    free(ref);
}
END_TEST

START_TEST(elm_internal_states_match)
{
    char *dir = cx_test_shared("reference/elm/num_memory_20");
    char *inp = cx_test_shared("reference/elm/inputs.safetensors");
    char *st = cx_test_shared("reference/elm/num_memory_20/internal_states_sample0.safetensors");
    cx_model *m;
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_AUTO, NULL, 0, &m), CX_OK);
    cx_st_file *fi = cx_test_open(inp), *fs = cx_test_open(st);
    double *branch = malloc(2000 * 45 * sizeof(double)), *mem = malloc(2000 * 20 * sizeof(double));
    double *y = run_all(m->elm, cx_st_find(fi, "spikes"), branch, mem);
    /* the internal states cover steps 0..199 of sample 0 */
    ck_assert_double_le(cx_test_max_diff(cx_st_find(fs, "branch_input"), branch, 0), 1e-9);
    ck_assert_double_le(cx_test_max_diff(cx_st_find(fs, "memory_m"), mem, 0), 1e-9);
    ck_assert_double_le(cx_test_max_diff(cx_st_find(fs, "outputs"), y, 0), 1e-9);
    ck_assert_double_le(cx_test_max_diff(cx_st_find(fs, "kappa_m"), m->elm->kappa_m, 0), 1e-15);
    ck_assert_double_le(cx_test_max_diff(cx_st_find(fs, "tau_m"), m->elm->tau_m_ms, 1), 1e-14);
    ck_assert_double_le(cx_test_max_diff(cx_st_find(fs, "w_s"), m->elm->w_s, 0), 0);
    free(branch);
    free(mem);
    free(y);
    cx_st_close(fi);
    cx_st_close(fs);
    cx_model_free(m);
    free(dir);
    free(inp);
    free(st);
}
END_TEST

static void check_glifr(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "reference/glifr/%s", name);
    char *dir = cx_test_shared(rel);
    snprintf(rel, sizeof rel, "reference/glifr/%s/traces.safetensors", name);
    char *tr = cx_test_shared(rel);
    cx_test_check_glifr_traces(dir, tr);
    free(dir);
    free(tr);
}

START_TEST(glifr_sine_matches_upstream)
{
    check_glifr("sine_glifr_lheta");
}
END_TEST

START_TEST(glifr_lmnist_matches_upstream)
{
    check_glifr("lmnist_glifr_lheta");
}
END_TEST

int main(void)
{
    char *root = cx_test_shared("reference");
    if (!root) {
        printf("shared reference fixtures not found: skipped\n");
        return 77;
    }
    free(root);
    Suite *s = suite_create("reference_full");
    TCase *tc = tcase_create("upstream");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, elm_checkpoint_matches_upstream, 0,
                        (int)(sizeof elm_checkpoints / sizeof elm_checkpoints[0]));
    tcase_add_test(tc, elm_internal_states_match);
    tcase_add_test(tc, glifr_sine_matches_upstream);
    tcase_add_test(tc, glifr_lmnist_matches_upstream);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
