/* Bad checkpoints through `cortile reference`: each case edits a copy of a
 * bundled checkpoint (its config JSON, a tensor's shape, or the --param
 * arguments) and asserts a refusal with cx_test_refused: the exit code, one
 * stderr line naming the file and the key, tensor or option, no sanitizer
 * report, and an existing output file left as it was. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_json.h"
#include "cx_st.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { ELM, GLIFR } base_model;

typedef struct {
    const char *name;
    base_model base;
    /* config edits, ';'-separated: "key=JSON" sets, "-key" deletes, "+key=JSON"
     * appends a second copy of the key */
    const char *edits;
    const char *tensor; /* a tensor given the same bytes under `shape`, or NULL */
    int ndim;
    int64_t shape[3];
    const char *args; /* more command-line arguments (shell syntax) */
    int rc;
    const char *fragments[4];
} bad_case;

/* clang-format off */
#define NO_TENSOR NULL, 0, {0}

static const bad_case CASES[] = {
    /* ---- ELM model_config.json: unknown keys */
    {"elm_typo_key", ELM, "-num_memory;num_membory=20", NO_TENSOR, "", 1,
     {"model_config.json: unknown key 'num_membory' (did you mean 'num_memory'?)"}},
    {"elm_unknown_key", ELM, "layers=3", NO_TENSOR, "", 1,
     {"model_config.json: unknown key 'layers' (allowed: num_input, num_output"}},
    {"elm_duplicate_key", ELM, "+num_memory=7", NO_TENSOR, "", 1,
     {"model_config.json: key 'num_memory' appears twice"}},
    /* ---- ELM sizes: type and range of each */
    {"elm_num_input_type", ELM, "num_input=\"many\"", NO_TENSOR, "", 1,
     {"model_config.json: key 'num_input': expected a number (an integer), found the string "
      "'many'"}},
    {"elm_num_output_zero", ELM, "num_output=0", NO_TENSOR, "", 1,
     {"model_config.json: key 'num_output': must be an integer in 1..2147483647, found 0"}},
    {"elm_num_memory_fraction", ELM, "num_memory=2.5", NO_TENSOR, "", 1,
     {"model_config.json: key 'num_memory': expected an integer, found 2.5"}},
    {"elm_num_branch_huge", ELM, "num_branch=1e300", NO_TENSOR, "", 1,
     {"model_config.json: key 'num_branch': must be an integer in 1..2147483647, found 1e+300"}},
    {"elm_synapses_negative", ELM, "num_synapse_per_branch=-100", NO_TENSOR, "", 1,
     {"model_config.json: key 'num_synapse_per_branch': must be an integer in 1..2147483647, "
      "found -100"}},
    {"elm_hidden_type", ELM, "mlp_hidden_size=[40]", NO_TENSOR, "", 1,
     {"model_config.json: key 'mlp_hidden_size': expected a number (an integer), found an "
      "array"}},
    {"elm_hidden_default_range", ELM, "num_memory=2147483647", NO_TENSOR, "", 1,
     {"model_config.json: key 'mlp_hidden_size': must be an integer in 1..2147483647, found "
      "4294967294 (its default"}},
    {"elm_layers_range", ELM, "mlp_num_layers=5000", NO_TENSOR, "", 1,
     {"model_config.json: key 'mlp_num_layers': must be an integer in 1..1000, found 5000"}},
    /* ---- ELM size products, in 64 bits */
    {"elm_product_synapses", ELM, "num_branch=100000;num_synapse_per_branch=100000", NO_TENSOR,
     "", 1,
     {"model_config.json: num_branch x num_synapse_per_branch = 10000000000 exceeds the limit "
      "of 2147483647 elements"}},
    {"elm_product_mlp_input", ELM, "num_memory=2000000000;mlp_hidden_size=2", NO_TENSOR, "", 1,
     {"model_config.json: mlp_hidden_size x (num_branch + num_memory) = 4000000090 exceeds"}},
    {"elm_product_mlp_hidden", ELM, "mlp_num_layers=2;mlp_hidden_size=50000", NO_TENSOR, "", 1,
     {"model_config.json: mlp_hidden_size x mlp_hidden_size (mlp_num_layers > 1) = 2500000000 "
      "exceeds"}},
    {"elm_product_readout", ELM, "num_output=200000000", NO_TENSOR, "", 1,
     {"model_config.json: num_output x num_memory = 4000000000 exceeds"}},
    /* ---- ELM strings, numbers and flags */
    {"elm_activation_value", ELM, "mlp_activation=\"tanh\"", NO_TENSOR, "", 1,
     {"model_config.json: key 'mlp_activation': unknown value 'tanh' (allowed: relu, silu)"}},
    {"elm_activation_type", ELM, "mlp_activation=1", NO_TENSOR, "", 1,
     {"model_config.json: key 'mlp_activation': expected a string, found 1"}},
    {"elm_routing_value", ELM, "input_to_synapse_routing=\"neuronio_routin\"", NO_TENSOR, "", 1,
     {"model_config.json: key 'input_to_synapse_routing': unknown value 'neuronio_routin' (did "
      "you mean 'neuronio_routing'?)"}},
    {"elm_lambda_range", ELM, "lambda_value=-1", NO_TENSOR, "", 1,
     {"model_config.json: key 'lambda_value': must be in [0, 1000], found -1"}},
    {"elm_delta_t_range", ELM, "delta_t=0", NO_TENSOR, "", 1,
     {"model_config.json: key 'delta_t': must be in [0.001, 1000] ms, found 0"}},
    {"elm_tau_min_type", ELM, "memory_tau_min=true", NO_TENSOR, "", 1,
     {"model_config.json: key 'memory_tau_min': expected a number, found true"}},
    {"elm_tau_max_range", ELM, "memory_tau_max=1e300", NO_TENSOR, "", 1,
     {"model_config.json: key 'memory_tau_max': must be in [0.001, 10000000] ms, found 1e+300"}},
    {"elm_tau_order", ELM, "memory_tau_min=200", NO_TENSOR, "", 1,
     {"model_config.json: memory_tau_max (150) must exceed memory_tau_min (200)"}},
    {"elm_tau_s_value_range", ELM, "tau_s_value=-5", NO_TENSOR, "", 1,
     {"model_config.json: key 'tau_s_value': must be in [0, 10000000] ms, found -5"}},
    {"elm_w_s_value_type", ELM, "w_s_value=\"half\"", NO_TENSOR, "", 1,
     {"model_config.json: key 'w_s_value': expected a number, found the string 'half'"}},
    {"elm_learn_tau_type", ELM, "learn_memory_tau=\"no\"", NO_TENSOR, "", 1,
     {"model_config.json: key 'learn_memory_tau': expected true or false, found the string "
      "'no'"}},
    /* ---- ELM --param */
    {"elm_param_unknown", ELM, "", NO_TENSOR, "--param lamda_value=3", 1,
     {"--param lamda_value=3: unknown key 'lamda_value' (did you mean 'lambda_value'?)"}},
    {"elm_param_unknown_far", ELM, "", NO_TENSOR, "--param foo=3", 1,
     {"--param foo=3: unknown key 'foo' (allowed: num_input,", "lambda_value, delta_t"}},
    {"elm_param_descriptive", ELM, "", NO_TENSOR, "--param tau_s_value=3", 1,
     {"--param tau_s_value=3: key 'tau_s_value' is descriptive"}},
    {"elm_param_not_a_number", ELM, "", NO_TENSOR, "--param lambda_value=abc", 1,
     {"--param lambda_value=abc: key 'lambda_value': expected a number, found the string "
      "'abc'"}},
    {"elm_param_activation", ELM, "", NO_TENSOR, "--param mlp_activation=slu", 1,
     {"--param mlp_activation=slu: key 'mlp_activation': unknown value 'slu' (did you mean "
      "'silu'?)"}},
    {"elm_param_product", ELM, "", NO_TENSOR,
     "--param num_branch=100000 --param num_synapse_per_branch=100000", 1,
     {"model_config.json: num_branch x num_synapse_per_branch = 10000000000 exceeds"}},
    {"elm_param_syntax", ELM, "", NO_TENSOR, "--param lambda_value", 2,
     {"--param needs KEY=VALUE, got 'lambda_value'"}},

    /* ---- GLIFR config.json: unknown keys */
    {"glifr_typo_key", GLIFR, "-hidden_size;hiden_size=128", NO_TENSOR, "", 1,
     {"config.json: unknown key 'hiden_size' (did you mean 'hidden_size'?)"}},
    /* ---- GLIFR dt and synaptic_delay */
    {"glifr_dt_tiny", GLIFR, "dt=1e-300", NO_TENSOR, "", 1,
     {"config.json: key 'dt': must be in [0.001, 10] ms, found 1e-300"}},
    {"glifr_dt_huge", GLIFR, "dt=1e300", NO_TENSOR, "", 1,
     {"config.json: key 'dt': must be in [0.001, 10] ms, found 1e+300"}},
    {"glifr_dt_negative", GLIFR, "dt=-0.05", NO_TENSOR, "", 1,
     {"config.json: key 'dt': must be in [0.001, 10] ms, found -0.05"}},
    {"glifr_dt_type", GLIFR, "dt=\"0.05\"", NO_TENSOR, "", 1,
     {"config.json: key 'dt': expected a number, found the string '0.05'"}},
    {"glifr_delay_huge", GLIFR, "synaptic_delay=1e300", NO_TENSOR, "", 1,
     {"config.json: key 'synaptic_delay': must be in [0, 1000] ms, found 1e+300"}},
    {"glifr_delay_negative", GLIFR, "synaptic_delay=-1", NO_TENSOR, "", 1,
     {"config.json: key 'synaptic_delay': must be in [0, 1000] ms, found -1"}},
    {"glifr_delay_steps_count", GLIFR, "synaptic_delay=1000;dt=0.001", NO_TENSOR, "", 1,
     {"config.json: keys 'synaptic_delay' / 'dt' = 1000 ms / 0.001 ms give 1000000 delay "
      "steps; at most 100000"}},
    {"glifr_delay_steps_mismatch", GLIFR, "delay_steps=10", NO_TENSOR, "", 1,
     {"config.json: key 'delay_steps' is 10 but int(synaptic_delay / dt) = int(1 / 0.05) gives "
      "20"}},
    {"glifr_delay_steps_range", GLIFR, "delay_steps=0", NO_TENSOR, "", 1,
     {"config.json: key 'delay_steps': must be an integer in 1..100000, found 0"}},
    /* ---- GLIFR constants */
    {"glifr_tau_range", GLIFR, "tau=0", NO_TENSOR, "", 1,
     {"config.json: key 'tau': must be in [0.001, 1000] ms, found 0"}},
    {"glifr_sigma_v_range", GLIFR, "sigma_v=0", NO_TENSOR, "", 1,
     {"config.json: key 'sigma_v': must be in [1e-06, 1000000], found 0"}},
    {"glifr_R_type", GLIFR, "R=\"0.1\"", NO_TENSOR, "", 1,
     {"config.json: key 'R': expected a number, found the string '0.1'"}},
    {"glifr_R_range", GLIFR, "R=-0.1", NO_TENSOR, "", 1,
     {"config.json: key 'R': must be in [0, 1000000], found -0.1"}},
    {"glifr_I0_range", GLIFR, "I0=1e300", NO_TENSOR, "", 1,
     {"config.json: key 'I0': must be in [-1000000, 1000000], found 1e+300"}},
    {"glifr_v_reset_type", GLIFR, "v_reset=[0]", NO_TENSOR, "", 1,
     {"config.json: key 'v_reset': expected a number, found an array"}},
    /* ---- GLIFR descriptive keys: typed, never read */
    {"glifr_time_unit", GLIFR, "time_unit=\"s\"", NO_TENSOR, "", 1,
     {"config.json: key 'time_unit': unknown value 's' (allowed: ms)"}},
    {"glifr_dropout_range", GLIFR, "dropout_prob=2", NO_TENSOR, "", 1,
     {"config.json: key 'dropout_prob': must be in [0, 1], found 2"}},
    {"glifr_bool_type", GLIFR, "readout_bias=\"yes\"", NO_TENSOR, "", 1,
     {"config.json: key 'readout_bias': expected true or false, found the string 'yes'"}},
    {"glifr_text_type", GLIFR, "model_name=5", NO_TENSOR, "", 1,
     {"config.json: key 'model_name': expected a string, found 5"}},
    /* ---- GLIFR sizes: type, agreement with the tensors, products */
    {"glifr_hidden_type", GLIFR, "hidden_size=128.5", NO_TENSOR, "", 1,
     {"config.json: key 'hidden_size': expected an integer, found 128.5"}},
    {"glifr_input_size_mismatch", GLIFR, "input_size=27", NO_TENSOR, "", 1,
     {"model.safetensors: tensor 'neuron_layer.weight_iv': expected shape [27, 128], found "
      "[28, 128]"}},
    {"glifr_output_size_mismatch", GLIFR, "output_size=9", NO_TENSOR, "", 1,
     {"model.safetensors: tensor 'output_linear.weight': expected shape [9, 128], found [10, "
      "128]"}},
    {"glifr_num_ascs_mismatch", GLIFR, "num_ascs=3", NO_TENSOR, "", 1,
     {"model.safetensors: tensor 'neuron_layer.trans_k_j': expected shape [3, 1, 128], found "
      "[2, 1, 128]"}},
    {"glifr_product_input", GLIFR, "input_size=100000;hidden_size=100000", NO_TENSOR, "", 1,
     {"config.json: input_size x hidden_size = 10000000000 exceeds the limit of 2147483647"}},
    {"glifr_product_output", GLIFR, "output_size=2000000000", NO_TENSOR, "", 1,
     {"config.json: output_size x hidden_size = 256000000000 exceeds"}},
    {"glifr_product_ascs", GLIFR, "num_ascs=2000000000", NO_TENSOR, "", 1,
     {"config.json: num_ascs x hidden_size = 256000000000 exceeds"}},
    {"glifr_product_delay_ring", GLIFR,
     /* dt = 2^-6 ms: 1000 / dt is exact */
     "input_size=1;output_size=1;num_ascs=1;hidden_size=40000;synaptic_delay=1000;"
     "dt=0.015625;delay_steps=64000",
     NO_TENSOR, "", 1,
     {"config.json: delay steps int(synaptic_delay / dt) x hidden_size = 2560000000 exceeds"}},
    /* ---- GLIFR tensors of the wrong shape, named with both shapes */
    {"glifr_weight_iv_transposed", GLIFR, "", "neuron_layer.weight_iv", 2, {128, 28}, "", 1,
     {"model.safetensors: tensor 'neuron_layer.weight_iv': expected shape [28, 128], found [128, "
      "28]"}},
    {"glifr_weight_iv_reshaped", GLIFR, "", "neuron_layer.weight_iv", 2, {14, 256}, "", 1,
     {"model.safetensors: tensor 'neuron_layer.weight_iv': expected shape [28, 128], found [14, "
      "256]"}},
    {"glifr_weight_lat_shape", GLIFR, "", "neuron_layer.weight_lat", 2, {64, 256}, "", 1,
     {"model.safetensors: tensor 'neuron_layer.weight_lat': expected shape [128, 128], found "
      "[64, 256]"}},
    {"glifr_readout_transposed", GLIFR, "", "output_linear.weight", 2, {128, 10}, "", 1,
     {"model.safetensors: tensor 'output_linear.weight': expected shape [10, 128], found [128, "
      "10]"}},
    {"glifr_a_j_axes", GLIFR, "", "neuron_layer.a_j", 3, {1, 2, 128}, "", 1,
     {"model.safetensors: tensor 'neuron_layer.a_j': expected shape [2, 1, 128], found [1, 2, "
      "128]"}},
    /* ---- GLIFR --param */
    {"glifr_param_dt_tiny", GLIFR, "", NO_TENSOR, "--param dt=1e-300", 1,
     {"--param dt=1e-300: key 'dt': must be in [0.001, 10] ms, found 1e-300"}},
    {"glifr_param_dt_huge", GLIFR, "", NO_TENSOR, "--param dt=1e300", 1,
     {"--param dt=1e300: key 'dt': must be in [0.001, 10] ms, found 1e+300"}},
    {"glifr_param_dt_nan", GLIFR, "", NO_TENSOR, "--param dt=NaN", 1,
     {"--param dt=NaN: key 'dt': expected a number, found the string 'NaN'"}},
    {"glifr_param_dt_inf", GLIFR, "", NO_TENSOR, "--param dt=inf", 1,
     {"--param dt=inf: key 'dt': expected a number, found the string 'inf'"}},
    {"glifr_param_delay_overflow", GLIFR, "", NO_TENSOR, "--param synaptic_delay=1e999", 1,
     {"--param synaptic_delay=1e999: key 'synaptic_delay': not a finite number"}},
    {"glifr_param_delay_negative", GLIFR, "", NO_TENSOR, "--param synaptic_delay=-1", 1,
     {"--param synaptic_delay=-1: key 'synaptic_delay': must be in [0, 1000] ms, found -1"}},
    {"glifr_param_unknown", GLIFR, "", NO_TENSOR, "--param sigma=2", 1,
     {"--param sigma=2: unknown key 'sigma' (did you mean 'sigma_v'?)"}},
    {"glifr_param_descriptive", GLIFR, "", NO_TENSOR, "--param model_name=x", 1,
     {"--param model_name=x: key 'model_name' is descriptive"}},
};
/* clang-format on */

/* Applies the ';'-separated edits to a config object. */
static void edit_config(cJSON *cfg, const char *edits)
{
    char *copy = strdup(edits), *save = NULL;
    for (char *e = strtok_r(copy, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
        if (e[0] == '-') {
            ck_assert_msg(cJSON_GetObjectItemCaseSensitive(cfg, e + 1), "no key %s", e + 1);
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, e + 1);
            continue;
        }
        int append = e[0] == '+';
        char *key = e + append, *eq = strchr(key, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        cJSON *v = cJSON_Parse(eq + 1);
        ck_assert_msg(v != NULL, "edit '%s': bad JSON", eq + 1);
        if (!append && cJSON_GetObjectItemCaseSensitive(cfg, key))
            cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, v);
        else
            cJSON_AddItemToObject(cfg, key, v);
    }
    free(copy);
}

/* Copies model.safetensors, giving tensor c->tensor (if any) the shape c->shape. */
static void copy_tensors(const bad_case *c, const char *src, const char *dst)
{
    cx_st_file *f = cx_test_open(src);
    cx_st_writer *w = cx_st_writer_alloc();
    int found = c->tensor == NULL;
    for (size_t i = 0; i < f->ntensors; i++) {
        const cx_st_tensor *t = &f->tensors[i];
        int64_t shape[CX_ST_MAX_DIMS];
        int ndim = t->ndim;
        memcpy(shape, t->shape, sizeof shape);
        if (c->tensor && !strcmp(t->name, c->tensor)) {
            int64_t n = 1;
            for (int d = 0; d < c->ndim; d++)
                n *= c->shape[d];
            ck_assert_msg((size_t)n == t->nelem, "%s: the new shape must keep the size", c->name);
            ndim = c->ndim;
            memcpy(shape, c->shape, sizeof c->shape);
            found = 1;
        }
        ck_assert_int_eq(cx_st_writer_add(w, t->name, t->dtype, ndim, shape, t->data), CX_OK);
    }
    ck_assert_msg(found, "%s: no tensor %s", c->name, c->tensor);
    ck_assert_int_eq(cx_st_writer_write(w, dst), CX_OK);
    cx_st_writer_free(w);
    cx_st_close(f);
}

/* A scratch copy of the case's base checkpoint with its edits; returns the folder. */
static char *make_checkpoint(const bad_case *c)
{
    const char *src_rel = c->base == ELM ? "elm/num_memory_20" : "glifr/lmnist_glifr_lheta";
    const char *cfg_name = c->base == ELM ? "model_config.json" : "config.json";
    char *src = cx_test_data(src_rel), *dir = cx_test_tmp(c->name);
    mkdir(dir, 0700);
    char *src_cfg = cx_path_join(src, cfg_name), *dst_cfg = cx_path_join(dir, cfg_name);
    cJSON *cfg;
    ck_assert_int_eq(cx_json_load(src_cfg, &cfg), CX_OK);
    edit_config(cfg, c->edits);
    ck_assert_int_eq(cx_json_save(dst_cfg, cfg), CX_OK);
    cJSON_Delete(cfg);
    char *src_st = cx_path_join(src, "model.safetensors");
    char *dst_st = cx_path_join(dir, "model.safetensors");
    copy_tensors(c, src_st, dst_st);
    free(src), free(src_cfg), free(dst_cfg), free(src_st), free(dst_st);
    return dir;
}

START_TEST(refused)
{
    const bad_case *c = &CASES[_i];
    char *dir = make_checkpoint(c);
    char *input = cx_test_data(c->base == ELM ? "elm/inputs_small.safetensors"
                                              : "glifr/lmnist_glifr_lheta/traces.safetensors");
    /* an output that already exists must survive the refusal */
    char *out = cx_test_tmp("kept_output.safetensors");
    static const char known[] = "bytes a refused run must leave alone\n";
    cx_test_write(out, known, sizeof known - 1);
    char args[4096];
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s' %s", dir, input, out,
             c->args);
    cx_test_refused(c->name, args, c->rc, out, c->fragments);
    free(dir), free(input), free(out);
}
END_TEST

/* The edits themselves are sound: unedited copies of both checkpoints run. */
START_TEST(unedited_copies_run)
{
    const bad_case ok[] = {{"ok_elm", ELM, "", NO_TENSOR, "", 0, {NULL}},
                           {"ok_glifr", GLIFR, "", NO_TENSOR, "", 0, {NULL}}};
    for (size_t i = 0; i < 2; i++) {
        char *dir = make_checkpoint(&ok[i]);
        char *input =
            cx_test_data(ok[i].base == ELM ? "elm/inputs_small.safetensors"
                                           : "glifr/lmnist_glifr_lheta/traces.safetensors");
        char *out = cx_test_tmp("ok_output.safetensors"), args[4096], *err;
        snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s'", dir, input, out);
        ck_assert_msg(cx_test_cli(args, NULL, &err) == 0, "%s: %s", ok[i].name, err);
        free(err), free(dir), free(input), free(out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bad_models");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unedited_copies_run);
    tcase_add_loop_test(tc, refused, 0, (int)(sizeof CASES / sizeof CASES[0]));
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
