/* The compiler over the full reference fixtures: all 15 ELM checkpoints and
 * both GLIFR models exact on the ideal chip through the router; the largest
 * ELMs on the default chip; L-MNIST on the default chip for 5 chip instances
 * with the compile report's predicted error against the measured one; the
 * 1000x accelerated chip's late spikes. Skipped (77) without the fixtures. */
#include "cx_compile.h"
#include "cx_evaluate.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *ELM[] = {"num_memory_1",  "num_memory_2",   "num_memory_3",   "num_memory_5",
                            "num_memory_7",  "num_memory_10",  "num_memory_15",  "num_memory_20",
                            "num_memory_25", "num_memory_30",  "num_memory_40",  "num_memory_50",
                            "num_memory_75", "num_memory_100", "best_elm_neuron"};

static cx_chip_config chip(const char *name, const char *const *sets, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/chips/%s.yaml", CX_SOURCE_DIR, name);
    cx_chip_config c;
    cx_status st = cx_chip_load(path, sets, n, &c);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return c;
}

static cx_model *model(const char *rel)
{
    char *dir = cx_test_shared(rel);
    cx_model *m = cx_test_model(dir);
    free(dir);
    return m;
}

static cx_program *compile(const cx_model *m, const cx_chip_config *c, const cx_compile_opts *o,
                           cJSON **rep)
{
    cx_program *p = NULL;
    cx_status st = cx_compile(m, c, o, &p, rep);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return p;
}

START_TEST(every_elm_exact_on_ideal)
{
    cx_chip_config c = chip("ideal", NULL, 0);
    char *inp = cx_test_shared("reference/elm/inputs.safetensors");
    cx_inputs in;
    ck_assert_int_eq(cx_inputs_load(inp, CX_KIND_ELM, 1278, 0, &in), CX_OK);
    cx_compile_opts o = cx_compile_opts_default();
    double *y = malloc((size_t)(in.samples * in.steps * 2) * sizeof *y);
    for (size_t k = 0; k < sizeof ELM / sizeof *ELM; k++) {
        char rel[128];
        snprintf(rel, sizeof rel, "reference/elm/%s", ELM[k]);
        cx_model *m = model(rel);
        cx_program *p = compile(m, &c, &o, NULL);
        cx_exec_opts eo = {.seed = 1, .router = 1};
        cx_exec *e = NULL;
        ck_assert_int_eq(cx_evaluate(p, &c, &eo, &in, y, NULL, &e), CX_OK);
        snprintf(rel, sizeof rel, "reference/elm/%s/outputs.safetensors", ELM[k]);
        char *refp = cx_test_shared(rel);
        cx_st_file *ref = cx_test_open(refp);
        double d = cx_test_max_diff(cx_st_find(ref, "outputs"), y, 0);
        printf("%-16s max |y - ref| %.3g, late %llu\n", ELM[k], d,
               (unsigned long long)cx_exec_get_stats(e)->tiles.late_spikes);
        ck_assert_msg(d <= 1e-9, "%s: %g", ELM[k], d);
        ck_assert_uint_eq(cx_exec_get_stats(e)->tiles.late_spikes, 0);
        cx_st_close(ref);
        free(refp);
        cx_exec_free(e);
        cx_program_free(p);
        cx_model_free(m);
    }
    free(y);
    free(inp);
    cx_inputs_release(&in);
    cx_chip_free(&c);
}
END_TEST

START_TEST(glifr_models_exact_on_ideal)
{
    static const char *names[] = {"lmnist_glifr_lheta", "sine_glifr_lheta"};
    cx_chip_config c = chip("ideal", NULL, 0);
    for (int k = 0; k < 2; k++) {
        char rel[128];
        snprintf(rel, sizeof rel, "reference/glifr/%s", names[k]);
        cx_model *m = model(rel);
        cx_compile_opts o = cx_compile_opts_default();
        o.min_tiles = 4;
        cx_program *p = compile(m, &c, &o, NULL);
        ck_assert_int_ge(p->n_tiles, 4);
        snprintf(rel, sizeof rel, "reference/glifr/%s/traces.safetensors", names[k]);
        char *tr = cx_test_shared(rel);
        cx_inputs in;
        ck_assert_int_eq(cx_inputs_load(tr, CX_KIND_GLIFR, m->glifr->n_in, 0, &in), CX_OK);
        double *y = malloc((size_t)(in.samples * in.steps * m->glifr->n_out) * sizeof *y);
        cx_exec_opts eo = {.seed = 1, .router = 1};
        cx_exec *e = NULL;
        ck_assert_int_eq(cx_evaluate(p, &c, &eo, &in, y, NULL, &e), CX_OK);
        cx_st_file *ref = cx_test_open(tr);
        double d = cx_test_max_diff(cx_st_find(ref, "y"), y, 0);
        printf("%s on %d tiles: max |y - ref| %.3g\n", names[k], p->n_tiles, d);
        ck_assert_msg(d <= 1e-9, "%s: %g", names[k], d);
        ck_assert_uint_eq(cx_exec_get_stats(e)->tiles.late_spikes, 0);
        cx_st_close(ref);
        cx_exec_free(e);
        free(y);
        free(tr);
        cx_inputs_release(&in);
        cx_program_free(p);
        cx_model_free(m);
    }
    cx_chip_free(&c);
}
END_TEST

START_TEST(largest_elms_fit_the_default_chip)
{
    cx_chip_config c = chip("default", NULL, 0);
    const char *small[] = {"tile.dendrite.arrays=4"};
    cx_chip_config s = chip("default", small, 1);
    cx_compile_opts o = cx_compile_opts_default();
    const char *names[] = {"reference/elm/num_memory_100", "reference/elm/best_elm_neuron"};
    for (int k = 0; k < 2; k++) {
        cx_model *m = model(names[k]);
        cx_program *p = compile(m, &c, &o, NULL);
        cx_prog_usage u = cx_prog_tile_usage(&c, &p->tiles[0]);
        ck_assert_int_eq(u.arrays, 6); /* W1 200 x 146 and W2 100 x 201 on 128 x 128 arrays */
        ck_assert_uint_eq(u.comps, 145);
        cx_program_free(p);
        ck_assert_int_eq(cx_compile(m, &s, &o, &p, NULL), CX_ERR_FIT);
        ck_assert_msg(strstr(cx_last_error(), "needs 6 dendrite arrays") &&
                          strstr(cx_last_error(), "has 4"),
                      "%s", cx_last_error());
        cx_model_free(m);
    }
    cx_chip_free(&s);
    cx_chip_free(&c);
}
END_TEST

static double num(const cJSON *j, const char *a, const char *b)
{
    const cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, a), b);
    ck_assert_msg(cJSON_IsNumber(o), "report lacks %s.%s", a, b);
    return o->valuedouble;
}

START_TEST(lmnist_on_default_chip_prediction_within_1_5x)
{
    cx_model *m = model("reference/glifr/lmnist_glifr_lheta");
    cx_chip_config c = chip("default", NULL, 0);
    char *mn = cx_test_shared("reference/mnist");
    /* the full test set in the release build; a tenth under the sanitizers */
    long limit = getenv("ASAN_OPTIONS") ? 1000 : 0;
    cx_inputs calib, test;
    ck_assert_int_eq(cx_inputs_mnist(mn, 200, &calib), CX_OK);
    ck_assert_int_eq(cx_inputs_mnist(mn, limit, &test), CX_OK);
    cx_compile_opts o = cx_compile_opts_default();
    o.calib = &calib;
    o.mc_instances = 8;
    o.budget = 0;
    cJSON *rep = NULL;
    cx_program *p = compile(m, &c, &o, &rep);
    const cJSON *pred = cJSON_GetObjectItem(rep, "noise");
    double predicted = num(pred, "predicted", "rmse");
    size_t ny = (size_t)(test.samples * test.steps * 10);
    double *y = malloc(ny * sizeof *y), *ref = malloc(ny * sizeof *ref);
    ck_assert_int_eq(cx_inputs_reference(m, &test, ref), CX_OK);
    double acc_ref = cx_accuracy_last(ref, test.labels, test.samples, test.steps, 10);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        cx_exec_opts eo = {.seed = seed, .router = 1};
        ck_assert_int_eq(cx_evaluate(p, &c, &eo, &test, y, NULL, NULL), CX_OK);
        cx_error err;
        ck_assert_int_eq(cx_error_of(y, ref, test.samples, test.steps, 10, &err), CX_OK);
        double acc = cx_accuracy_last(y, test.labels, test.samples, test.steps, 10);
        printf("L-MNIST default chip seed %llu: accuracy %.4f (reference %.4f) over %lld, "
               "rmse measured %.4f predicted %.4f (ratio %.3f)\n",
               (unsigned long long)seed, acc, acc_ref, (long long)test.samples, err.rmse, predicted,
               predicted / err.rmse);
        ck_assert(predicted <= 1.5 * err.rmse && err.rmse <= 1.5 * predicted);
        ck_assert(acc > acc_ref - 0.05);
        cx_error_release(&err);
    }
    free(y), free(ref), free(mn);
    cJSON_Delete(rep);
    cx_program_free(p);
    cx_inputs_release(&calib);
    cx_inputs_release(&test);
    cx_chip_free(&c);
    cx_model_free(m);
}
END_TEST

START_TEST(accelerated_chip_reports_late_spikes)
{
    cx_model *m = model("reference/glifr/lmnist_glifr_lheta");
    const char *sets[] = {"acceleration=1000"};
    cx_chip_config c = chip("default", sets, 1);
    char *mn = cx_test_shared("reference/mnist");
    cx_inputs calib;
    ck_assert_int_eq(cx_inputs_mnist(mn, 50, &calib), CX_OK);
    cx_compile_opts o = cx_compile_opts_default();
    o.calib = &calib;
    o.min_tiles = 4;
    o.mc_instances = 0;
    cJSON *rep = NULL;
    cx_program *p = compile(m, &c, &o, &rep);
    double late = num(rep, "routing", "late_spikes");
    const cJSON *cost =
        cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "routing"), "error_from_routing");
    double rmse = cJSON_GetObjectItem(cost, "rmse")->valuedouble;
    printf("1000x chip, %d tiles: late spikes %.0f of %.0f, error from routing rmse %.4g\n",
           p->n_tiles, late, num(rep, "routing", "spikes_received"), rmse);
    ck_assert(late > 0);
    ck_assert(rmse > 1e-6); /* late spikes cost fidelity, and the report says how much */
    free(mn);
    cJSON_Delete(rep);
    cx_program_free(p);
    cx_inputs_release(&calib);
    cx_chip_free(&c);
    cx_model_free(m);
}
END_TEST

int main(void)
{
    char *probe = cx_test_shared("reference/elm/inputs.safetensors");
    if (!probe) {
        printf("shared reference fixtures not found: skipped\n");
        return 77;
    }
    free(probe);
    Suite *s = suite_create("compile_full");
    TCase *tc = tcase_create("fixtures");
    tcase_add_test(tc, every_elm_exact_on_ideal);
    tcase_add_test(tc, glifr_models_exact_on_ideal);
    tcase_add_test(tc, largest_elms_fit_the_default_chip);
    tcase_add_test(tc, lmnist_on_default_chip_prediction_within_1_5x);
    tcase_add_test(tc, accelerated_chip_reports_late_spikes);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
