/* Checkpoint folders and model parameters, adversarially: every config key
 * is known (a typo is refused with a suggestion), every size and every
 * product of sizes from a file is checked in 64 bits against a limit before
 * use, time constants and delays lie in sane ranges, --param names only
 * constructor arguments, tensors of the wrong shape are named. Each case
 * goes through the CLI: exit code, one stderr line naming the file and the
 * key / tensor / option, no sanitizer report, the output file untouched. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_st.h"
#include "test_util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A copy of a bundled checkpoint with config key `key` set to the JSON
 * `value` (NULL: removed; key NULL: unchanged). */
static char *edited(const char *tag, const char *model, const char *cfg_name, const char *key,
                    const char *value)
{
    char *dir = cx_test_tmp(tag), *src = cx_test_data(model), cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dir, src, dir);
    ck_assert_int_eq(system(cmd), 0);
    char *cfg = cx_path_join(dir, cfg_name);
    char *text = cx_test_slurp(cfg, NULL);
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    if (key) {
        cJSON_DeleteItemFromObjectCaseSensitive(j, key);
        if (value) cJSON_AddItemToObject(j, key, cJSON_Parse(value));
    }
    char *out = cJSON_Print(j);
    cx_test_write(cfg, out, strlen(out));
    free(out), free(text), free(cfg), free(src);
    cJSON_Delete(j);
    return dir;
}

typedef struct {
    const char *name, *model, *key, *value, *params;
    int rc;
    const char *want[3];
} model_case;

static const model_case cases[] = {
    /* ELM model_config.json */
    {"elm typo key",
     "elm/num_memory_20",
     "num_memroy",
     "20",
     "",
     1,
     {"model_config.json: unknown key 'num_memroy'", "did you mean 'num_memory'?"}},
    {"elm key of another model",
     "elm/num_memory_20",
     "num_ascs",
     "2",
     "",
     1,
     {"model_config.json: unknown model kind", "has both the ELM keys"}},
    {"elm key of another model, kind given",
     "elm/num_memory_20",
     "num_ascs",
     "2",
     "--kind elm",
     1,
     {"unknown key 'num_ascs' (elm config)"}},
    {"elm num_input zero",
     "elm/num_memory_20",
     "num_input",
     "0",
     "",
     1,
     {"key 'num_input': expected a positive integer"}},
    {"elm num_input negative", "elm/num_memory_20", "num_input", "-5", "", 1, {"key 'num_input'"}},
    {"elm num_input fraction", "elm/num_memory_20", "num_input", "2.5", "", 1, {"key 'num_input'"}},
    {"elm num_input text",
     "elm/num_memory_20",
     "num_input",
     "\"many\"",
     "",
     1,
     {"key 'num_input'"}},
    {"elm num_memory huge", "elm/num_memory_20", "num_memory", "1e12", "", 1, {"key 'num_memory'"}},
    {"elm synapse product overflows int",
     "elm/num_memory_20",
     "num_synapse_per_branch",
     "100000000",
     "--param num_branch=100000000",
     1,
     {"keys 'num_branch' x 'num_synapse_per_branch' give 10000000000000000 synapses"}},
    {"elm mlp product",
     "elm/num_memory_20",
     NULL,
     NULL,
     "--param mlp_hidden_size=50000000 --param num_branch=45",
     1,
     {"'mlp_hidden_size'", "MLP of more than"}},
    {"elm tau order",
     "elm/num_memory_20",
     "memory_tau_max",
     "0.5",
     "",
     1,
     {"memory_tau_max (0.5) must exceed memory_tau_min"}},
    {"elm activation",
     "elm/num_memory_20",
     "mlp_activation",
     "\"gelu\"",
     "",
     1,
     {"key 'mlp_activation': 'gelu' is not supported"}},
    {"elm routing",
     "elm/num_memory_20",
     "input_to_synapse_routing",
     "\"magic\"",
     "",
     1,
     {"key 'input_to_synapse_routing': unknown routing 'magic'"}},
    {"elm delta_t zero",
     "elm/num_memory_20",
     NULL,
     NULL,
     "--param delta_t=0",
     1,
     {"key 'delta_t'"}},
    /* --param */
    {"param unknown",
     "elm/num_memory_20",
     NULL,
     NULL,
     "--param foo=1",
     2,
     {"--param 'foo': not a parameter of elm models", "allowed: lambda_value"}},
    {"param typo",
     "elm/num_memory_20",
     NULL,
     NULL,
     "--param lamda_value=3",
     2,
     {"--param 'lamda_value'", "did you mean 'lambda_value'?"}},
    {"param without value",
     "elm/num_memory_20",
     NULL,
     NULL,
     "--param lambda_value",
     2,
     {"--param 'lambda_value': expected KEY=VALUE"}},
    {"param of the other kind",
     "glifr/lmnist_glifr_lheta",
     NULL,
     NULL,
     "--param lambda_value=2",
     2,
     {"--param 'lambda_value': not a parameter of glifr models"}},
    /* GLIFR config.json */
    {"glifr typo key",
     "glifr/lmnist_glifr_lheta",
     "synaptic_dealy",
     "2",
     "",
     1,
     {"config.json: unknown key 'synaptic_dealy'", "did you mean 'synaptic_delay'?"}},
    {"glifr dt tiny",
     "glifr/lmnist_glifr_lheta",
     NULL,
     NULL,
     "--param dt=1e-300",
     1,
     {"key 'dt': expected a step in [0.001, 100] ms, found 1e-300"}},
    {"glifr dt huge", "glifr/lmnist_glifr_lheta", NULL, NULL, "--param dt=1e300", 1, {"key 'dt'"}},
    {"glifr dt negative", "glifr/lmnist_glifr_lheta", "dt", "-0.05", "", 1, {"key 'dt'"}},
    {"glifr dt text",
     "glifr/lmnist_glifr_lheta",
     "dt",
     "\"fast\"",
     "",
     1,
     {"key 'dt': expected a number"}},
    {"glifr delay huge",
     "glifr/lmnist_glifr_lheta",
     NULL,
     NULL,
     "--param synaptic_delay=1e300",
     1,
     {"key 'synaptic_delay': expected a delay in [0, 10000] ms"}},
    {"glifr delay negative",
     "glifr/lmnist_glifr_lheta",
     "synaptic_delay",
     "-1",
     "",
     1,
     {"key 'synaptic_delay'"}},
    {"glifr delay steps",
     "glifr/lmnist_glifr_lheta",
     NULL,
     NULL,
     "--param dt=0.001 --param synaptic_delay=9999",
     1,
     {"keys 'synaptic_delay' / 'dt' give", "at most 1e6"}},
    {"glifr tau", "glifr/lmnist_glifr_lheta", NULL, NULL, "--param tau=0", 1, {"key 'tau'"}},
    {"glifr sigma_v",
     "glifr/lmnist_glifr_lheta",
     NULL,
     NULL,
     "--param sigma_v=0",
     1,
     {"key 'sigma_v'"}},
    {"glifr hidden_size disagrees",
     "glifr/lmnist_glifr_lheta",
     "hidden_size",
     "64",
     "",
     1,
     {"key 'hidden_size' is 64 but the checkpoint tensors have 128"}},
    {"glifr delay_steps disagrees",
     "glifr/lmnist_glifr_lheta",
     "delay_steps",
     "3",
     "",
     1,
     {"key 'delay_steps' is 3 but int(synaptic_delay / dt) gives 20"}},
};

static void run_case(const model_case *c)
{
    int elm = !strncmp(c->model, "elm", 3);
    char *dir =
        edited("model", c->model, elm ? "model_config.json" : "config.json", c->key, c->value);
    char *inp = cx_test_data(elm ? "elm/inputs_small.safetensors"
                                 : "glifr/lmnist_glifr_lheta/traces.safetensors");
    char *out = cx_test_tmp("kept.safetensors"), args[8192];
    cx_test_write(out, "old", 3);
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s' %s", dir, inp, out,
             c->params);
    cx_test_refused(c->name, args, c->rc, out, c->want);
    free(dir), free(inp), free(out);
}

START_TEST(config_cases)
{
    run_case(&cases[_i]);
}
END_TEST

/* A tensor of the wrong shape is named with both shapes. */
START_TEST(tensor_shapes_are_named)
{
    static const struct {
        const char *tensor;
        int64_t shape[2];
        int ndim;
        const char *want;
    } t[] = {
        {"neuron_layer.thresh",
         {128, 1},
         2,
         "tensor 'neuron_layer.thresh': expected shape [1, 128], found [128, 1]"},
        {"neuron_layer.weight_lat",
         {64, 256},
         2,
         "tensor 'neuron_layer.weight_lat': expected shape [128, 128], found [64, 256]"},
        {"output_linear.bias",
         {5, 2},
         2,
         "tensor 'output_linear.bias': expected shape [10], found [5, 2]"},
    };
    for (size_t k = 0; k < sizeof t / sizeof *t; k++) {
        char *dir = edited("shape", "glifr/lmnist_glifr_lheta", "config.json", NULL, NULL);
        char *st = cx_path_join(dir, "model.safetensors");
        cx_st_file *f = cx_test_open(st);
        cx_st_writer *w = cx_st_writer_alloc();
        for (size_t i = 0; i < f->ntensors; i++) {
            const cx_st_tensor *x = &f->tensors[i];
            int same = strcmp(x->name, t[k].tensor) != 0;
            ck_assert_int_eq(cx_st_writer_add(w, x->name, x->dtype, same ? x->ndim : t[k].ndim,
                                              same ? x->shape : t[k].shape, x->data),
                             CX_OK);
        }
        cx_st_close(f);
        ck_assert_int_eq(cx_st_writer_write(w, st), CX_OK);
        cx_st_writer_free(w);
        char *inp = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
        char *out = cx_test_tmp("kept.safetensors"), args[8192];
        cx_test_write(out, "old", 3);
        snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s'", dir, inp, out);
        const char *want[] = {t[k].want, "model.safetensors", NULL};
        cx_test_refused(t[k].tensor, args, 1, out, want);
        free(dir), free(st), free(inp), free(out);
    }
}
END_TEST

/* The shipped and reference checkpoints still load: no key of theirs is unknown. */
START_TEST(published_configs_pass)
{
    const char *dirs[] = {"elm/num_memory_20", "glifr/lmnist_glifr_lheta"};
    for (size_t i = 0; i < 2; i++) {
        char *d = cx_test_data(dirs[i]);
        cx_model *m = cx_test_model(d);
        cx_model_free(m);
        free(d);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bad_models");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, config_cases, 0, (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, tensor_shapes_are_named);
    tcase_add_test(tc, published_configs_pass);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
