/* Bad programs, sweeps and options through the CLI: every case is refused
 * with one stderr line naming the file and the key, tensor or option, a
 * non-zero exit, no sanitizer report and an existing output left as it was.
 * The CLI runs under a timeout, so a case that used to hang fails instead. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_st.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Programs compiled once for the whole suite (main), and an output file that
 * every refused run must leave as it is. */
static char *glifr_prog, *elm_prog, *keep_out;

static char *src(const char *rel)
{
    char *p = malloc(strlen(CX_SOURCE_DIR) + strlen(rel) + 2);
    sprintf(p, "%s/%s", CX_SOURCE_DIR, rel);
    return p;
}

/* Before the suite runs (no test to fail yet): exits on error. */
static void compile_fixture(const char *model, const char *chip, const char *extra, char **out)
{
    char *m = src(model), *c = src(chip), cmd[4096];
    *out = cx_test_tmp(strstr(model, "elm") ? "E.yaml" : "P.yaml");
    snprintf(cmd, sizeof cmd, "'%s' compile '%s' --chip '%s' --output '%s' %s >/dev/null", CX_CLI,
             m, c, *out, extra);
    if (system(cmd) != 0) {
        fprintf(stderr, "fixture failed: %s\n", cmd);
        exit(1);
    }
    free(m), free(c);
}

/* ------------------------------------------------------------ programs */

typedef struct {
    const char *tensor; /* NULL: none */
    size_t index;
    double value;
    long copy_from; /* >= 0: element copy_from of the same tensor instead of value */
} tensor_edit;

typedef struct {
    const char *what;
    int elm;                     /* 0: the GLIFR program, 1: the ELM one */
    const char *from[2], *to[2]; /* manifest text replaced (first occurrence) */
    tensor_edit edits[3];
    const char *fragments[4]; /* besides the manifest's name */
} prog_case;

/* Replaces the first `from` in *text by `to`. */
static void replace(char **text, const char *from, const char *to, const char *what)
{
    char *at = strstr(*text, from);
    ck_assert_msg(at, "%s: '%s' not in the manifest", what, from);
    size_t head = (size_t)(at - *text), n = strlen(*text) + strlen(to) + 1;
    char *out = malloc(n);
    memcpy(out, *text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    free(*text);
    *text = out;
}

static void put_element(const cx_st_tensor *t, uint8_t *data, size_t i, double v)
{
    ck_assert_uint_lt(i, t->nelem);
    if (t->dtype == CX_DT_F64) {
        memcpy(data + 8 * i, &v, 8);
    } else {
        ck_assert_int_eq(t->dtype, CX_DT_I64);
        int64_t x = (int64_t)v;
        memcpy(data + 8 * i, &x, 8);
    }
}

/* Copies the base program to TAG.yaml / .safetensors / .chip.yaml with the
 * case's edits; returns the manifest's path. */
static char *make_program(const char *tag, const prog_case *c)
{
    const char *base = c->elm ? elm_prog : glifr_prog, *stem = c->elm ? "E" : "P";
    char name[64], *text = cx_test_slurp(base, NULL);
    char from[64], to[64];
    snprintf(from, sizeof from, "tensors: \"%s.safetensors\"", stem);
    snprintf(to, sizeof to, "tensors: \"%s.safetensors\"", tag);
    replace(&text, from, to, c->what);
    for (int e = 0; e < 2 && c->from[e]; e++)
        replace(&text, c->from[e], c->to[e], c->what);
    snprintf(name, sizeof name, "%s.yaml", tag);
    char *manifest = cx_test_tmp(name);
    cx_test_write(manifest, text, strlen(text));
    free(text);

    snprintf(name, sizeof name, "%s.chip.yaml", stem);
    char *chip_from = cx_test_tmp(name);
    snprintf(name, sizeof name, "%s.chip.yaml", tag);
    char *chip_to = cx_test_tmp(name);
    size_t n;
    char *chip = cx_test_slurp(chip_from, &n);
    cx_test_write(chip_to, chip, n);
    free(chip), free(chip_from), free(chip_to);

    snprintf(name, sizeof name, "%s.safetensors", stem);
    char *tfrom = cx_test_tmp(name);
    snprintf(name, sizeof name, "%s.safetensors", tag);
    char *tto = cx_test_tmp(name);
    cx_st_file *f = cx_test_open(tfrom);
    cx_st_writer *w = cx_st_writer_alloc();
    for (size_t i = 0; i < f->nmeta; i++)
        ck_assert_int_eq(cx_st_writer_meta(w, f->meta_keys[i], f->meta_values[i]), CX_OK);
    for (size_t i = 0; i < f->ntensors; i++) {
        const cx_st_tensor *t = &f->tensors[i];
        uint8_t *data = malloc(t->nbytes + 8);
        memcpy(data, t->data, t->nbytes);
        for (int e = 0; e < 3; e++) {
            const tensor_edit *ed = &c->edits[e];
            if (!ed->tensor || strcmp(ed->tensor, t->name)) continue;
            double v = ed->value;
            if (ed->copy_from >= 0) {
                int64_t x;
                double d;
                memcpy(t->dtype == CX_DT_F64 ? (void *)&d : (void *)&x,
                       data + 8 * (size_t)ed->copy_from, 8);
                v = t->dtype == CX_DT_F64 ? d : (double)x;
            }
            put_element(t, data, ed->index, v);
        }
        ck_assert_int_eq(cx_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, data), CX_OK);
        free(data);
    }
    for (int e = 0; e < 3; e++)
        ck_assert_msg(!c->edits[e].tensor || cx_st_find(f, c->edits[e].tensor), "%s: no tensor %s",
                      c->what, c->edits[e].tensor);
    ck_assert_int_eq(cx_st_writer_write(w, tto), CX_OK);
    cx_st_writer_free(w);
    cx_st_close(f);
    free(tfrom), free(tto);
    return manifest;
}

#define NO_EDIT                                                                                    \
    {                                                                                              \
        NULL, 0, 0, -1                                                                             \
    }
#define SET(t, i, v)                                                                               \
    {                                                                                              \
        t, i, v, -1                                                                                \
    }
#define COPY(t, i, from)                                                                           \
    {                                                                                              \
        t, i, 0, from                                                                              \
    }

static const prog_case prog_cases[] = {
    {"missing model folder",
     0,
     {"dir: \"", NULL},
     {"dir: \"/nonexistent/moved", NULL},
     {NO_EDIT},
     {"key 'model.dir'", "/nonexistent/moved", NULL}},
    {"model kind differs from the folder's",
     0,
     {"kind: glifr", NULL},
     {"kind: elm", NULL},
     {NO_EDIT},
     {"key 'model.kind' is elm", "is glifr", NULL}},
    {"empty model dir",
     1,
     {"dir: \"", NULL},
     {"dir: \"\"} #", NULL},
     {NO_EDIT},
     {"key 'model.dir' is empty", NULL}},
    {"ELM program claiming a GLIFR model",
     1,
     {"kind: elm", NULL},
     {"kind: glifr", NULL},
     {NO_EDIT},
     {"key 'model.kind' is glifr", "is elm", NULL}},
    {"step_ms edited in the manifest alone",
     0,
     {"step_ms: 0.05", NULL},
     {"step_ms: 0.1", NULL},
     {NO_EDIT},
     {"key 'step_ms' is 0.1", "tensor 'tile0.net.step_ms' is 0.05", NULL}},
    {"step_ms of program and tiles disagreeing with the model",
     0,
     {"step_ms: 0.05", NULL},
     {"step_ms: 0.1", NULL},
     {SET("tile0.net.step_ms", 0, 0.1), SET("tile1.net.step_ms", 0, 0.1), NO_EDIT},
     {"key 'step_ms' is 0.1", "model", "steps 0.05 ms", NULL}},
    {"step_ms out of range",
     1,
     {"step_ms: 1", NULL},
     {"step_ms: 1e9", NULL},
     {NO_EDIT},
     {"key 'step_ms'", "(0, 1000]", NULL}},
    {"one tile stepping on its own",
     0,
     {NULL},
     {NULL},
     {SET("tile1.net.step_ms", 0, 0.1), NO_EDIT},
     {"tensor 'tile1.net.step_ms' is 0.1", NULL}},
    {"duplicate route keys",
     0,
     {NULL},
     {NULL},
     {COPY("route.key", 1, 0), NO_EDIT},
     {".safetensors", "tensor 'route.key': elements 0 and 1", NULL}},
    {"duplicate ELM route keys",
     1,
     {NULL},
     {NULL},
     {COPY("route.key", 7, 3), NO_EDIT},
     {"tensor 'route.key': elements 3 and 7", NULL}},
    {"two routes of one source",
     0,
     {NULL},
     {NULL},
     {COPY("route.src_index", 1, 0), NO_EDIT},
     {"tensor 'route.src_index': routes 0 and 1", "host channel 0", NULL}},
    {"negative route due offset",
     0,
     {NULL},
     {NULL},
     {SET("route.due_offset_ms", 30, -1), NO_EDIT},
     {"tensor 'route.due_offset_ms': element 30 is -1", "10000 steps", NULL}},
    {"route due offset of 1e300 (hung the run)",
     0,
     {NULL},
     {NULL},
     {SET("route.due_offset_ms", 30, 1e300), NO_EDIT},
     {"tensor 'route.due_offset_ms': element 30 is 1e+300", NULL}},
    {"ELM route due offset past the limit",
     1,
     {NULL},
     {NULL},
     {SET("route.due_offset_ms", 0, 10001), NO_EDIT},
     {"tensor 'route.due_offset_ms': element 0", "0..10000", NULL}},
    {"infinite route due offset",
     0,
     {NULL},
     {NULL},
     {SET("route.due_offset_ms", 2, INFINITY), NO_EDIT},
     {"tensor 'route.due_offset_ms'", "infinite", NULL}},
    {"a route listing a tile twice",
     0,
     {NULL},
     {NULL},
     {COPY("route.dests", 1, 0), NO_EDIT},
     {"tensor 'route.dests': route 0 lists tile", "twice", NULL}},
    {"synapse source no route delivers",
     0,
     {NULL},
     {NULL},
     {SET("tile0.syn.source", 0, 999999), NO_EDIT},
     {"tensor 'tile0.syn.source': element 0 is source 999999", NULL}},
    {"ELM synapse beyond the input channels",
     1,
     {NULL},
     {NULL},
     {SET("tile0.syn.source", 5, 4000000000.0), NO_EDIT},
     {"tensor 'tile0.syn.source': element 5", NULL}},
    {"input sign that is not a sign",
     1,
     {NULL},
     {NULL},
     {SET("in.sign", 3, 0), NO_EDIT},
     {"tensor 'in.sign': element 3 is 0", NULL}},
    {"host port the chip lacks",
     0,
     {"host: 0", NULL},
     {"host: 7", NULL},
     {NO_EDIT},
     {"key 'host' is 7", "router.hosts", NULL}},
    {"tile outside the mesh",
     0,
     {"x: 1, y: 0", NULL},
     {"x: 99, y: 0", NULL},
     {NO_EDIT},
     {"key 'tiles[1]'", "outside", NULL}},
    {"two tiles on one mesh position",
     0,
     {"x: 1, y: 0", NULL},
     {"x: 0, y: 0", NULL},
     {NO_EDIT},
     {"keys 'tiles[0]' and 'tiles[1]'", NULL}},
    {"input full scale of zero",
     0,
     {NULL},
     {NULL},
     {SET("in.scale", 0, 0), NO_EDIT},
     {"tensor 'in.scale': element 0 is 0", NULL}},
};

START_TEST(bad_program)
{
    const prog_case *c = &prog_cases[_i];
    char tag[16], args[4096];
    snprintf(tag, sizeof tag, "case%d", _i);
    char *manifest = make_program(tag, c);
    char *in = src(c->elm ? "data/elm/inputs_small.safetensors"
                          : "data/glifr/lmnist_glifr_lheta/traces.safetensors");
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s' --record", manifest, in,
             keep_out);
    char file[32];
    snprintf(file, sizeof file, "%s.yaml", tag);
    const char *frags[6] = {file};
    for (int k = 0; k < 4 && c->fragments[k]; k++)
        frags[k + 1] = c->fragments[k];
    cx_test_refused(c->what, args, 1, keep_out, frags);
    free(manifest), free(in);
}
END_TEST

/* The unedited copies run: the cases fail for their edit alone. */
START_TEST(unedited_copies_run)
{
    for (int elm = 0; elm < 2; elm++) {
        prog_case c = {"unedited", elm, {NULL}, {NULL}, {NO_EDIT}, {NULL}};
        char *manifest = make_program(elm ? "okE" : "okP", &c), args[4096], *err;
        char *in = src(elm ? "data/elm/inputs_small.safetensors"
                           : "data/glifr/lmnist_glifr_lheta/traces.safetensors");
        char *out = cx_test_tmp("ok_out.safetensors");
        snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s' --limit 1", manifest, in,
                 out);
        ck_assert_msg(cx_test_cli(args, NULL, &err) == 0, "%s", err);
        free(err), free(manifest), free(in), free(out);
    }
}
END_TEST

/* ------------------------------------------------------------ sweeps */

static void refused_sweep(const char *what, const char *axes, const char *seeds,
                          const char *const *fragments)
{
    char *path = cx_test_tmp("grid.yaml"), *model = src("data/elm/num_memory_20");
    char *chip = src("configs/chips/default.yaml"), *in = src("data/elm/inputs_small.safetensors");
    char text[4096], args[2048];
    snprintf(text, sizeof text,
             "name: grid\nmodel: %s\nchip: %s\ninputs: {path: %s, samples: 1}\nseeds: %s\n"
             "axes:\n%s",
             model, chip, in, seeds, axes);
    cx_test_write(path, text, strlen(text));
    char *out = cx_test_tmp("grid_out");
    snprintf(args, sizeof args, "sweep '%s' --output '%s' --list", path, out);
    cx_test_refused(what, args, 1, NULL, fragments);
    free(path), free(model), free(chip), free(in), free(out);
}

START_TEST(sweep_grid_overflow)
{
    /* 65536^4 = 2^64 wrapped to 0 and then hung */
    refused_sweep(
        "four axes of 65536",
        "  - {key: noise.mismatch.offset_sigma, range: {from: 0, to: 1, steps: 65536}}\n"
        "  - {key: noise.mismatch.tau_rel, range: {from: 0, to: 0.1, steps: 65536}}\n"
        "  - {key: noise.mismatch.gain_rel, range: {from: 0, to: 0.1, steps: 65536}}\n"
        "  - {key: noise.mismatch.weight_rel, range: {from: 0, to: 0.1, steps: 65536}}\n",
        "1",
        (const char *const[]){"grid.yaml:", "key 'axes'", "'noise.mismatch.tau_rel' (65536)",
                              "'noise.mismatch.weight_rel' (65536)", "more than 2^64", NULL});
}
END_TEST

START_TEST(sweep_grid_too_large)
{
    refused_sweep("1001 x 1001 points",
                  "  - {key: noise.mismatch.tau_rel, range: {from: 0, to: 0.1, steps: 1001}}\n"
                  "  - {key: noise.mismatch.gain_rel, range: {from: 0, to: 0.1, steps: 1001}}\n",
                  "1",
                  (const char *const[]){"grid.yaml:",
                                        "'noise.mismatch.tau_rel' (1001) x "
                                        "'noise.mismatch.gain_rel' (1001)",
                                        "at most 1000000", NULL});
    refused_sweep("1001 values x 1000 seeds",
                  "  - {key: noise.mismatch.tau_rel, range: {from: 0, to: 0.1, steps: 1001}}\n",
                  "1000",
                  (const char *const[]){"grid.yaml:", "key 'axes'",
                                        "'noise.mismatch.tau_rel' (1001) x 1000 seeds", NULL});
}
END_TEST

/* ------------------------------------------------------------ options */

typedef struct {
    const char *what, *args; /* {src} the source tree, {keep} the kept output, ... (expand) */
    int rc;
    const char *fragments[4];
} option_case;

static const option_case option_cases[] = {
    {"compile --chips -1",
     "compile {src}/data/glifr/lmnist_glifr_lheta --board {src}/configs/boards/quad.yaml "
     "--chips -1 --output {keep}",
     2,
     {"--chips", "0..65536", "'-1'", NULL}},
    {"compile --tiles x",
     "compile {src}/data/glifr/lmnist_glifr_lheta --chip {src}/configs/chips/default.yaml "
     "--tiles x --output {keep}",
     2,
     {"--tiles", "got 'x'", NULL}},
    {"compile --instances 1e9",
     "compile {src}/data/elm/num_memory_20 --chip {src}/configs/chips/ideal.yaml "
     "--instances 1e9 --output {keep}",
     2,
     {"--instances", "0..100000", NULL}},
    {"compile --calibration-samples=-3",
     "compile {src}/data/elm/num_memory_20 --chip {src}/configs/chips/ideal.yaml "
     "--calibration-samples=-3 --output {keep}",
     2,
     {"--calibration-samples", "'-3'", NULL}},
    {"run --limit -1",
     "run {elm} --input {src}/data/elm/inputs_small.safetensors --limit -1 --output {keep}",
     2,
     {"--limit", "0..", NULL}},
    {"run --seed 1.5",
     "run {elm} --input {src}/data/elm/inputs_small.safetensors --seed 1.5 --output {keep}",
     2,
     {"--seed", "'1.5'", NULL}},
    {"tile --steps 1e12 (allocated terabytes)",
     "tile {plain} --chip {src}/configs/chips/default.yaml --steps 1e12 --output {keep}",
     1,
     {"--steps 1000000000000", "more than the limit", NULL}},
    {"tile --steps 0",
     "tile {plain} --chip {src}/configs/chips/default.yaml --steps 0 --output {keep}",
     2,
     {"--steps", "1..", NULL}},
    {"tile --seed -1",
     "tile {plain} --chip {src}/configs/chips/default.yaml --steps 5 --seed -1 --output {keep}",
     2,
     {"--seed", "'-1'", NULL}},
    {"tile synapse beyond the spike columns",
     "tile {fed} --chip {src}/configs/chips/default.yaml --input {src}/data/tile_input.safetensors "
     "--output {keep}",
     1,
     {"key 'synapses[1].source' is 7", "1 column(s) of tensor 'spikes'", "tile_input", NULL}},
    {"tile spike count past the limit",
     "tile {plain} --chip {src}/configs/chips/default.yaml --input {spikes} --output {keep}",
     1,
     {"tensor 'spikes' element 1", "0..65535", NULL}},
    {"noc --cycles 1e12",
     "noc --traffic uniform --rate 0.01 --cycles 1000000000000",
     2,
     {"--cycles", "1..1000000000", NULL}},
    {"noc --cycles whose packets pass the limit",
     "noc --traffic uniform --rate 0.5 --cycles 1e9",
     2,
     {"--cycles 1000000000", "--rate 0.5", "at most 1e+08", NULL}},
    {"noc --cycles 0", "noc --traffic uniform --rate 0.1 --cycles 0", 2, {"--cycles", NULL}},
    {"noc --seed -1",
     "noc --traffic uniform --rate 0.1 --cycles 10 --seed -1",
     2,
     {"--seed", "'-1'", NULL}},
    {"noc --pipeline 1.5",
     "noc --traffic uniform --rate 0.1 --cycles 10 --pipeline 1.5",
     2,
     {"--pipeline", NULL}},
    {"sweep -j 0",
     "sweep {src}/configs/sweeps/elm_thermal_mismatch.yaml -j 0",
     2,
     {"-j", "1..1024", NULL}},
    {"reference --limit 0",
     "reference {src}/data/glifr/lmnist_glifr_lheta --mnist /nonexistent --limit 0",
     2,
     {"--limit", "1..", NULL}},
    {"synth --fanout x",
     "synth --neurons 10 --fanout x --seed 1 --output {keep}.d",
     2,
     {"--fanout", "got 'x'", NULL}},
    {"bench tile --ms -1", "bench tile --ms -1", 2, {"--ms", "(0, ", NULL}},
    {"compare --tol nan", "compare {keep} {keep} --tol nan", 2, {"--tol", NULL}},
};

START_TEST(bad_option)
{
    const option_case *c = &option_cases[_i];
    static const char plain[] = "step_ms: 0.1\ncompartments:\n  - {name: a, kind: first_order, "
                                "tau_ms: 5}\nsynapses:\n  - {source: 0, target: a, weight: 1}\n"
                                "readouts:\n  - {name: r, terms: {a: 1.0}}\n";
    static const char fed[] = "step_ms: 0.1\ninputs: [u]\ncompartments:\n  - {name: a, kind: "
                              "first_order, tau_ms: 5, drive: {u: 1}}\nsynapses:\n  - {source: 0, "
                              "target: a, weight: 1}\n  - {source: 7, target: a, weight: 1}\n";
    char *plain_nl = cx_test_tmp("plain.yaml"), *fed_nl = cx_test_tmp("fed.yaml");
    cx_test_write(plain_nl, plain, strlen(plain));
    cx_test_write(fed_nl, fed, strlen(fed));
    /* spikes [2, 1]: a count that would send 1e15 packets in one step */
    char *spikes = cx_test_tmp("spikes.safetensors");
    int64_t counts[2] = {1, 1000000000000000LL}, shape[2] = {2, 1};
    cx_st_writer *w = cx_st_writer_alloc();
    ck_assert_int_eq(cx_st_writer_add(w, "spikes", CX_DT_I64, 2, shape, counts), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, spikes), CX_OK);
    cx_st_writer_free(w);
    const char *vars[][2] = {{"{src}", CX_SOURCE_DIR}, {"{keep}", keep_out}, {"{elm}", elm_prog},
                             {"{plain}", plain_nl},    {"{fed}", fed_nl},    {"{spikes}", spikes}};
    char *args = strdup(c->args);
    for (size_t v = 0; v < sizeof vars / sizeof *vars; v++)
        while (strstr(args, vars[v][0]))
            replace(&args, vars[v][0], vars[v][1], c->what);
    cx_test_refused(c->what, args, c->rc, keep_out, c->fragments);
    free(args), free(plain_nl), free(fed_nl), free(spikes);
}
END_TEST

/* samples x steps x (outputs + --record probes) past CX_MAX_OUTPUT_BYTES:
 * refused before the outputs are allocated (F16 input: 2 bytes per value
 * in, 8 per output value and probe sample out). */
START_TEST(run_outputs_past_the_limit)
{
    const int64_t T = 1100000, n = 28;
    uint16_t *x = calloc((size_t)(T * n), sizeof *x);
    int64_t shape[3] = {1, T, n};
    char *in = cx_test_tmp("long_x.safetensors"), args[4096];
    cx_st_writer *w = cx_st_writer_alloc();
    ck_assert_int_eq(cx_st_writer_add(w, "x", CX_DT_F16, 3, shape, x), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, in), CX_OK);
    cx_st_writer_free(w);
    free(x);
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s' --record", glifr_prog, in,
             keep_out);
    cx_test_refused("run --record past the output limit", args, 1, keep_out,
                    (const char *const[]){"long_x.safetensors", "1 samples x 1100000 steps",
                                          "--record", "--limit", NULL});
    remove(in);
    free(in);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bad_program");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, bad_program, 0, (int)(sizeof prog_cases / sizeof *prog_cases));
    tcase_add_test(tc, unedited_copies_run);
    tcase_add_test(tc, sweep_grid_overflow);
    tcase_add_test(tc, sweep_grid_too_large);
    tcase_add_loop_test(tc, bad_option, 0, (int)(sizeof option_cases / sizeof *option_cases));
    tcase_add_test(tc, run_outputs_past_the_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* a hang fails its case with exit 124 */
    cx_test_cli_timeout(20);
    compile_fixture("data/glifr/lmnist_glifr_lheta", "configs/chips/default.yaml", "--tiles 2",
                    &glifr_prog);
    compile_fixture("data/elm/num_memory_20", "configs/chips/ideal.yaml", "", &elm_prog);
    keep_out = cx_test_tmp("kept.safetensors");
    static const char known[] = "bytes a refused run must not touch\n";
    FILE *fp = fopen(keep_out, "wb");
    if (!fp || fwrite(known, 1, sizeof known - 1, fp) != sizeof known - 1 || fclose(fp)) return 1;
    return cx_test_main(suite());
}
