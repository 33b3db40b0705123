/* Program files: a save/load round trip is bit-exact, and every broken file
 * gets an error naming the file and the key or tensor. */
#define _POSIX_C_SOURCE 200809L
#include "cx_program.h"
#include "cx_st.h"
#include "cx_yaml.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static cx_tile_sig sig(cx_tile_sig_kind kind, int index, int delay)
{
    return (cx_tile_sig){.kind = kind, .index = index, .delay_steps = delay};
}

static double *dup_doubles(const double *v, size_t n)
{
    double *d = malloc(n * sizeof *d + 1);
    memcpy(d, v, n * sizeof *d);
    return d;
}

static int *dup_ints(const int *v, size_t n)
{
    int *d = malloc(n * sizeof *d + 1);
    memcpy(d, v, n * sizeof *d);
    return d;
}

/* Two tiles with every kind of element; values chosen to need all 17 digits. */
static cx_program *sample_program(void)
{
    cx_program *p = calloc(1, sizeof *p);
    p->kind = CX_KIND_GLIFR;
    p->model_dir = strdup("models/x \"quoted\" \\ dir");
    p->chip_name = strdup("default");
    p->step_ms = 0.1 + 0.2; /* 0.30000000000000004: needs 17 digits */
    p->steps_hint = 17;
    p->host = 1;
    p->n_tiles = 2;
    p->tiles = calloc(2, sizeof *p->tiles);

    cx_prog_tile *t = &p->tiles[0];
    cx_prog_tile_init(t, 1, 0, p->step_ms, 2); /* a program steps its tiles together */
    t->net.synapse_full_scale = 2.0 / 3.0;
    cx_tile_term d0[2] = {{sig(CX_TILE_SIG_INPUT, 0, 0), 0.3},
                          {sig(CX_TILE_SIG_INPUT, 1, 0), -1e-300}};
    cx_tile_cond c0[1] = {{sig(CX_TILE_SIG_STATE, 1, 0), 0.2, -70.1}};
    cx_tile_comp_spec s0 = {.kind = CX_TILE_SECOND_ORDER,
                            .omega_rad_per_ms = M_PI / 7,
                            .zeta = 0.7,
                            .gain = 1.25,
                            .offset = -0.1,
                            .x0 = 0.1,
                            .v0 = -0.0,
                            .stage = 0,
                            .n_drive = 2,
                            .drive = d0,
                            .n_cond = 1,
                            .cond = c0};
    ck_assert_int_eq(cx_prog_add_comp(t, &s0, "V[0]"), 0);
    cx_tile_comp_spec s1 = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 3.3, .gain = 0.9, .stage = 1};
    ck_assert_int_eq(cx_prog_add_comp(t, &s1, "odd \\ name\nline"), 1);
    ck_assert_int_eq(
        cx_prog_add_drive(t, 1, (cx_tile_term){sig(CX_TILE_SIG_DENDRITE, 0, 0), 1.0 / 3}), 0);
    ck_assert_int_eq(cx_prog_add_drive(t, 1, (cx_tile_term){sig(CX_TILE_SIG_SOMA, 0, 2), 2.5}), 0);
    ck_assert_int_eq(
        cx_prog_add_cond(t, 1, (cx_tile_cond){sig(CX_TILE_SIG_CONST, 0, 0), 0.01, 1e-7}), 0);
    cx_tile_comp_spec s2 = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 10, .gain = 1, .x0 = 1.0 / 3};
    ck_assert_int_eq(cx_prog_add_comp(t, &s2, NULL), 2);
    t->comp_scale[0] = 4.0;
    t->comp_scale[1] = 0.125;

    cx_tile_sig in0[3] = {sig(CX_TILE_SIG_STATE, 0, 0), sig(CX_TILE_SIG_STATE, 1, 0),
                          sig(CX_TILE_SIG_INPUT, 1, 0)};
    double w0[6] = {0.1, -0.2, 0.3, 1.0 / 7, -2.0 / 7, 3e-5}, b0[2] = {0.5, -0.25};
    cx_tile_dendrite_spec dd0 = {.n_in = 3,
                                 .n_out = 2,
                                 .inputs = in0,
                                 .weights = w0,
                                 .bias = b0,
                                 .activation = CX_CHIP_ACT_SIGMOID,
                                 .full_scale = 0};
    ck_assert_int_eq(cx_prog_add_dendrite(t, &dd0), 0);
    cx_tile_sig in1[1] = {sig(CX_TILE_SIG_DENDRITE, 1, 0)};
    double w1[1] = {-1.5};
    cx_tile_dendrite_spec dd1 = {.n_in = 1,
                                 .n_out = 1,
                                 .inputs = in1,
                                 .weights = w1,
                                 .activation = CX_CHIP_ACT_TANH,
                                 .stage = 1,
                                 .full_scale = 2.5};
    ck_assert_int_eq(cx_prog_add_dendrite(t, &dd1), 1);

    cx_tile_soma_spec m0 = {.kind = CX_TILE_SOMA_SIGMOID,
                            .input = sig(CX_TILE_SIG_STATE, 0, 0),
                            .threshold = 0.2,
                            .width = 0.05,
                            .emit = 1};
    cx_tile_soma_spec m1 = {.kind = CX_TILE_SOMA_THRESHOLD,
                            .input = sig(CX_TILE_SIG_DENDRITE, 2, 0),
                            .threshold = 1,
                            .reset = -0.5};
    ck_assert_int_eq(cx_prog_add_soma(t, &m0), 0);
    ck_assert_int_eq(cx_prog_add_soma(t, &m1), 1);
    cx_tile_term r0[2] = {{sig(CX_TILE_SIG_STATE, 0, 0), 1.5}, {sig(CX_TILE_SIG_CONST, 0, 0), 0.1}};
    cx_tile_term r1[1] = {{sig(CX_TILE_SIG_SOMA, 1, 0), 1}};
    ck_assert_int_eq(cx_prog_add_readout(t, r0, 2, 0.2), 0);
    ck_assert_int_eq(cx_prog_add_readout(t, r1, 1, -1), 1);
    ck_assert_int_eq(cx_prog_add_synapse(t, 0xfffffffeu, 1, 0.75), 0);
    ck_assert_int_eq(cx_prog_add_synapse(t, 0xfffffffeu, 0, -M_PI), 1);
    cx_prog_tile_link(t);

    t = &p->tiles[1];
    cx_prog_tile_init(t, 0, 1, p->step_ms, 0);
    cx_tile_term d1[1] = {{sig(CX_TILE_SIG_CONST, 0, 0), 0.0625}};
    cx_tile_comp_spec s3 = {
        .kind = CX_TILE_FIRST_ORDER, .tau_ms = 2, .gain = 1, .n_drive = 1, .drive = d1};
    ck_assert_int_eq(cx_prog_add_comp(t, &s3, "u"), 0);
    cx_tile_term r2[1] = {{sig(CX_TILE_SIG_STATE, 0, 0), 0.5}};
    ck_assert_int_eq(cx_prog_add_readout(t, r2, 1, 0), 0);
    ck_assert_int_eq(cx_prog_add_synapse(t, 0x10000u, 0, 1e-3), 0);
    cx_prog_tile_link(t);

    p->n_inputs = 2;
    p->in_sign = dup_doubles((double[]){1, -1}, 2);
    p->in_scale = dup_doubles((double[]){0.7, 1.0 / 7}, 2);
    p->n_outputs = 2;
    p->out_row = malloc(3 * sizeof *p->out_row);
    p->out_row[0] = 0, p->out_row[1] = 2, p->out_row[2] = 3;
    p->out_tile = dup_ints((int[]){0, 1, 0}, 3);
    p->out_chan = dup_ints((int[]){0, 0, 1}, 3);
    p->out_scale = dup_doubles((double[]){0.3, -1.0 / 3, 1e10}, 3);
    p->out_bias = dup_doubles((double[]){0.1, -0.2}, 2);

    p->n_routes = 2;
    p->routes = calloc(2, sizeof *p->routes);
    /* every synapse listens to a route that reaches its tile */
    p->routes[0] = (cx_prog_route){.key = 0xfffffffe,
                                   .src_tile = -1,
                                   .src_index = 1,
                                   .due_offset_ms = 0.5,
                                   .n_dests = 2,
                                   .dests = dup_ints((int[]){0, 1}, 2)};
    p->routes[1] = (cx_prog_route){.key = 0x10000,
                                   .src_tile = 0,
                                   .src_index = 0,
                                   .due_offset_ms = 1.0 / 3,
                                   .n_dests = 1,
                                   .dests = dup_ints((int[]){1}, 1)};

    p->n_probes = 1;
    p->probes = calloc(1, sizeof *p->probes);
    cx_prog_probe *q = &p->probes[0];
    q->name = strdup("V");
    q->groups = 1;
    q->n = 3;
    q->tile = dup_ints((int[]){0, 0, 1}, 3);
    q->sig = malloc(3 * sizeof *q->sig);
    q->sig[0] = sig(CX_TILE_SIG_STATE, 0, 0);
    q->sig[1] = sig(CX_TILE_SIG_SOMA, 0, 1);
    q->sig[2] = sig(CX_TILE_SIG_STATE, 0, 0);
    q->scale = dup_doubles((double[]){1.0 / 3, 2, 4}, 3);
    return p;
}

/* ------------------------------------------------------------ comparison */

static int bits_eq(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

#define EQ_D(a, b) ck_assert_msg(bits_eq((a), (b)), "%s: %.17g vs %.17g", #a, (a), (b))

static void eq_str(const char *a, const char *b)
{
    ck_assert_int_eq(a == NULL, b == NULL);
    if (a) ck_assert_str_eq(a, b);
}

static void eq_sig(cx_tile_sig a, cx_tile_sig b)
{
    ck_assert_int_eq(a.kind, b.kind);
    ck_assert_int_eq(a.index, b.index);
    ck_assert_int_eq(a.delay_steps, b.delay_steps);
}

static void eq_term(const cx_tile_term *a, const cx_tile_term *b)
{
    eq_sig(a->sig, b->sig);
    EQ_D(a->weight, b->weight);
}

static void eq_tile(const cx_prog_tile *a, const cx_prog_tile *b)
{
    ck_assert_int_eq(a->x, b->x);
    ck_assert_int_eq(a->y, b->y);
    EQ_D(a->net.step_ms, b->net.step_ms);
    ck_assert_uint_eq(a->net.n_inputs, b->net.n_inputs);
    EQ_D(a->net.synapse_full_scale, b->net.synapse_full_scale);

    ck_assert_uint_eq(a->n_comps, b->n_comps);
    ck_assert_uint_eq(a->n_terms, b->n_terms);
    ck_assert_uint_eq(a->n_conds, b->n_conds);
    for (size_t i = 0; i < a->n_terms; i++)
        eq_term(&a->terms[i], &b->terms[i]);
    for (size_t i = 0; i < a->n_conds; i++) {
        eq_sig(a->conds[i].sig, b->conds[i].sig);
        EQ_D(a->conds[i].weight, b->conds[i].weight);
        EQ_D(a->conds[i].reversal, b->conds[i].reversal);
    }
    for (size_t i = 0; i < a->n_comps; i++) {
        const cx_tile_comp_spec *x = &a->comps[i], *y = &b->comps[i];
        ck_assert_int_eq(x->kind, y->kind);
        EQ_D(x->omega_rad_per_ms, y->omega_rad_per_ms);
        EQ_D(x->zeta, y->zeta);
        EQ_D(x->tau_ms, y->tau_ms);
        EQ_D(x->gain, y->gain);
        EQ_D(x->offset, y->offset);
        EQ_D(x->x0, y->x0);
        EQ_D(x->v0, y->v0);
        ck_assert_int_eq(x->stage, y->stage);
        ck_assert_uint_eq(x->n_drive, y->n_drive);
        ck_assert_uint_eq(x->n_cond, y->n_cond);
        ck_assert_uint_eq(a->comp_drive0[i], b->comp_drive0[i]);
        ck_assert_uint_eq(a->comp_cond0[i], b->comp_cond0[i]);
        /* linked: the spec points into the tile's own pools */
        ck_assert_ptr_eq(y->drive, y->n_drive ? b->terms + b->comp_drive0[i] : NULL);
        ck_assert_ptr_eq(y->cond, y->n_cond ? b->conds + b->comp_cond0[i] : NULL);
        eq_str(a->comp_names[i], b->comp_names[i]);
        EQ_D(a->comp_scale[i], b->comp_scale[i]);
    }

    ck_assert_uint_eq(a->n_dends, b->n_dends);
    ck_assert_uint_eq(a->n_dend_sigs, b->n_dend_sigs);
    ck_assert_uint_eq(a->n_dend_vals, b->n_dend_vals);
    for (size_t i = 0; i < a->n_dend_sigs; i++)
        eq_sig(a->dend_sigs[i], b->dend_sigs[i]);
    for (size_t i = 0; i < a->n_dend_vals; i++)
        EQ_D(a->dend_vals[i], b->dend_vals[i]);
    for (size_t i = 0; i < a->n_dends; i++) {
        const cx_tile_dendrite_spec *x = &a->dends[i], *y = &b->dends[i];
        ck_assert_uint_eq(x->n_in, y->n_in);
        ck_assert_uint_eq(x->n_out, y->n_out);
        ck_assert_int_eq(x->activation, y->activation);
        ck_assert_int_eq(x->stage, y->stage);
        EQ_D(x->full_scale, y->full_scale);
        ck_assert_uint_eq(a->dend_in0[i], b->dend_in0[i]);
        ck_assert_uint_eq(a->dend_w0[i], b->dend_w0[i]);
        ck_assert_uint_eq(a->dend_b0[i], b->dend_b0[i]);
        ck_assert_ptr_eq(y->inputs, b->dend_sigs + b->dend_in0[i]);
        ck_assert_ptr_eq(y->weights, b->dend_vals + b->dend_w0[i]);
        ck_assert_ptr_eq(y->bias, b->dend_b0[i] == SIZE_MAX ? NULL : b->dend_vals + b->dend_b0[i]);
    }

    ck_assert_uint_eq(a->n_somas, b->n_somas);
    for (size_t i = 0; i < a->n_somas; i++) {
        const cx_tile_soma_spec *x = &a->somas[i], *y = &b->somas[i];
        ck_assert_int_eq(x->kind, y->kind);
        eq_sig(x->input, y->input);
        EQ_D(x->threshold, y->threshold);
        EQ_D(x->width, y->width);
        EQ_D(x->reset, y->reset);
        ck_assert_int_eq(x->emit, y->emit);
    }

    ck_assert_uint_eq(a->n_readouts, b->n_readouts);
    ck_assert_uint_eq(a->n_rterms, b->n_rterms);
    for (size_t i = 0; i < a->n_rterms; i++)
        eq_term(&a->rterms[i], &b->rterms[i]);
    for (size_t i = 0; i < a->n_readouts; i++) {
        ck_assert_uint_eq(a->readouts[i].n_terms, b->readouts[i].n_terms);
        EQ_D(a->readouts[i].bias, b->readouts[i].bias);
        ck_assert_uint_eq(a->readout_term0[i], b->readout_term0[i]);
        ck_assert_ptr_eq(b->readouts[i].terms, b->rterms + b->readout_term0[i]);
    }

    ck_assert_uint_eq(a->n_synapses, b->n_synapses);
    for (size_t i = 0; i < a->n_synapses; i++) {
        ck_assert_uint_eq(a->synapses[i].source, b->synapses[i].source);
        ck_assert_int_eq(a->synapses[i].compartment, b->synapses[i].compartment);
        EQ_D(a->synapses[i].weight, b->synapses[i].weight);
    }

    const cx_tile_netlist *n = &b->net;
    ck_assert_uint_eq(n->n_comps, b->n_comps);
    ck_assert_ptr_eq(n->comps, b->comps);
    ck_assert_uint_eq(n->n_dendrites, b->n_dends);
    ck_assert_ptr_eq(n->dendrites, b->dends);
    ck_assert_uint_eq(n->n_somas, b->n_somas);
    ck_assert_ptr_eq(n->somas, b->somas);
    ck_assert_uint_eq(n->n_readouts, b->n_readouts);
    ck_assert_ptr_eq(n->readouts, b->readouts);
    ck_assert_uint_eq(n->n_synapses, b->n_synapses);
    ck_assert_ptr_eq(n->synapses, b->synapses);
}

static void eq_program(const cx_program *a, const cx_program *b)
{
    ck_assert_int_eq(a->kind, b->kind);
    eq_str(a->model_dir, b->model_dir);
    eq_str(a->chip_name, b->chip_name);
    EQ_D(a->step_ms, b->step_ms);
    ck_assert_int_eq(a->steps_hint, b->steps_hint);
    ck_assert_int_eq(a->host, b->host);
    ck_assert_int_eq(a->n_inputs, b->n_inputs);
    for (int c = 0; c < a->n_inputs; c++) {
        EQ_D(a->in_sign[c], b->in_sign[c]);
        EQ_D(a->in_scale[c], b->in_scale[c]);
    }
    ck_assert_int_eq(a->n_outputs, b->n_outputs);
    for (int o = 0; o <= a->n_outputs; o++)
        ck_assert_uint_eq(a->out_row[o], b->out_row[o]);
    for (int o = 0; o < a->n_outputs; o++)
        EQ_D(a->out_bias[o], b->out_bias[o]);
    for (size_t k = 0; k < a->out_row[a->n_outputs]; k++) {
        ck_assert_int_eq(a->out_tile[k], b->out_tile[k]);
        ck_assert_int_eq(a->out_chan[k], b->out_chan[k]);
        EQ_D(a->out_scale[k], b->out_scale[k]);
    }
    ck_assert_int_eq(a->n_tiles, b->n_tiles);
    for (int k = 0; k < a->n_tiles; k++)
        eq_tile(&a->tiles[k], &b->tiles[k]);
    ck_assert_int_eq(a->n_routes, b->n_routes);
    for (int r = 0; r < a->n_routes; r++) {
        const cx_prog_route *x = &a->routes[r], *y = &b->routes[r];
        ck_assert_uint_eq(x->key, y->key);
        ck_assert_int_eq(x->src_tile, y->src_tile);
        ck_assert_int_eq(x->src_index, y->src_index);
        EQ_D(x->due_offset_ms, y->due_offset_ms);
        ck_assert_int_eq(x->n_dests, y->n_dests);
        for (int d = 0; d < x->n_dests; d++)
            ck_assert_int_eq(x->dests[d], y->dests[d]);
    }
    ck_assert_int_eq(a->n_probes, b->n_probes);
    for (int j = 0; j < a->n_probes; j++) {
        const cx_prog_probe *x = &a->probes[j], *y = &b->probes[j];
        eq_str(x->name, y->name);
        ck_assert_int_eq(x->groups, y->groups);
        ck_assert_uint_eq(x->n, y->n);
        for (size_t i = 0; i < x->n; i++) {
            ck_assert_int_eq(x->tile[i], y->tile[i]);
            eq_sig(x->sig[i], y->sig[i]);
            EQ_D(x->scale[i], y->scale[i]);
        }
    }
}

/* ------------------------------------------------------------ helpers */

/* Saves the sample program as <name>.yaml; returns the manifest path. */
static char *save_sample(const char *name)
{
    char file[128];
    snprintf(file, sizeof file, "%s.yaml", name);
    char *path = cx_test_tmp(file);
    cx_program *p = sample_program();
    ck_assert_msg(cx_program_save(p, path) == CX_OK, "%s", cx_last_error());
    cx_program_free(p);
    return path;
}

/* Writes `to` as `from` with the first `find` replaced by `repl`. */
static void edit_file(const char *from, const char *to, const char *find, const char *repl)
{
    size_t n;
    char *text = cx_test_slurp(from, &n);
    char *at = strstr(text, find);
    ck_assert_msg(at != NULL, "'%s' not in %s", find, from);
    size_t pre = (size_t)(at - text), fl = strlen(find), rl = strlen(repl);
    char *out = malloc(n - fl + rl + 1);
    memcpy(out, text, pre);
    memcpy(out + pre, repl, rl);
    memcpy(out + pre + rl, at + fl, n - pre - fl + 1);
    cx_test_write(to, out, n - fl + rl);
    free(out);
    free(text);
}

/* Copies the tensors file `from` to `to` without tensor `drop` and with
 * tensor `name` (if given) replaced by F64/I64 data of the same shape. */
static void edit_tensors(const char *from, const char *to, const char *drop, const char *name,
                         const void *data)
{
    cx_st_file *f = cx_test_open(from);
    cx_st_writer *w = cx_st_writer_alloc();
    for (size_t i = 0; i < f->nmeta; i++)
        ck_assert_int_eq(cx_st_writer_meta(w, f->meta_keys[i], f->meta_values[i]), CX_OK);
    for (size_t i = 0; i < f->ntensors; i++) {
        const cx_st_tensor *t = &f->tensors[i];
        if (drop && !strcmp(t->name, drop)) continue;
        const void *d = name && !strcmp(t->name, name) ? data : t->data;
        ck_assert_int_eq(cx_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, d), CX_OK);
    }
    ck_assert_int_eq(cx_st_writer_write(w, to), CX_OK);
    cx_st_writer_free(w);
    cx_st_close(f);
}

/* Loading must fail with `status` and a message containing each of `want`. */
static void expect_fail(const char *path, cx_status status, const char *want1, const char *want2)
{
    cx_program *p = (cx_program *)1;
    cx_clear_error();
    cx_status st = cx_program_load(path, &p);
    ck_assert_msg(st == status, "status %s, expected %s: %s", cx_status_name(st),
                  cx_status_name(status), cx_last_error());
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(cx_last_error(), want1), "'%s' not in: %s", want1, cx_last_error());
    if (want2)
        ck_assert_msg(strstr(cx_last_error(), want2), "'%s' not in: %s", want2, cx_last_error());
}

/* ------------------------------------------------------------ tests */

START_TEST(round_trip_is_bit_exact)
{
    char *path = save_sample("rt");
    char *tpath = cx_test_tmp("rt.safetensors");
    cx_program *a = sample_program(), *b = NULL;
    ck_assert_msg(cx_program_load(path, &b) == CX_OK, "%s", cx_last_error());
    eq_program(a, b);

    /* Saving the loaded program again writes the same bytes. */
    char *path2 = cx_test_tmp("rt2.yaml"), *tpath2 = cx_test_tmp("rt2.safetensors");
    ck_assert_msg(cx_program_save(b, path2) == CX_OK, "%s", cx_last_error());
    size_t n1, n2;
    char *t1 = cx_test_slurp(tpath, &n1), *t2 = cx_test_slurp(tpath2, &n2);
    ck_assert(n1 == n2 && memcmp(t1, t2, n1) == 0);
    free(t1);
    free(t2);
    char *m1 = cx_test_slurp(path, NULL), *m2 = cx_test_slurp(path2, NULL);
    ck_assert_ptr_nonnull(strstr(m1, "tensors: \"rt.safetensors\""));
    ck_assert_ptr_nonnull(strstr(m2, "tensors: \"rt2.safetensors\""));
    free(m1);
    free(m2);
    cx_program_free(a);
    cx_program_free(b);
    free(path);
    free(tpath);
    free(path2);
    free(tpath2);
}
END_TEST

START_TEST(manifest_is_plain_yaml)
{
    char *path = save_sample("plain");
    cx_yaml_doc *doc;
    ck_assert_int_eq(cx_yaml_load_file(path, &doc), CX_OK);
    const char *s;
    long v;
    ck_assert_int_eq(cx_yaml_get_string(doc->root, "format", NULL, &s), CX_OK);
    ck_assert_str_eq(s, "cortile-program");
    ck_assert_int_eq(cx_yaml_get_long(doc->root, "version", NULL, NULL, &v), CX_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(cx_yaml_get_string(doc->root, "model.kind", NULL, &s), CX_OK);
    ck_assert_str_eq(s, "glifr");
    ck_assert_int_eq(cx_yaml_get_string(doc->root, "model.dir", NULL, &s), CX_OK);
    ck_assert_str_eq(s, "models/x \"quoted\" \\ dir");
    ck_assert_int_eq(cx_yaml_get_long(doc->root, "tiles[0].compartments", NULL, NULL, &v), CX_OK);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(cx_yaml_get_long(doc->root, "tiles[0].dendrites", NULL, NULL, &v), CX_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(cx_yaml_get_long(doc->root, "tiles[1].y", NULL, NULL, &v), CX_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(cx_yaml_get_long(doc->root, "routes", NULL, NULL, &v), CX_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(cx_yaml_get_string(doc->root, "probes[0].name", NULL, &s), CX_OK);
    ck_assert_str_eq(s, "V");
    cx_yaml_free(doc);
    free(path);
}
END_TEST

START_TEST(empty_program_round_trips)
{
    cx_program *p = calloc(1, sizeof *p), *q = NULL;
    p->kind = CX_KIND_ELM;
    p->step_ms = 1;
    p->out_row = calloc(1, sizeof *p->out_row);
    char *path = cx_test_tmp("empty.yaml");
    ck_assert_msg(cx_program_save(p, path) == CX_OK, "%s", cx_last_error());
    ck_assert_msg(cx_program_load(path, &q) == CX_OK, "%s", cx_last_error());
    eq_program(p, q);
    cx_program_free(p);
    cx_program_free(q);
    free(path);
}
END_TEST

START_TEST(save_refuses_what_cannot_load)
{
    cx_program *p = sample_program();
    char *path = cx_test_tmp("nan.yaml");
    p->tiles[1].synapses[0].weight = NAN;
    ck_assert_int_eq(cx_program_save(p, path), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tile1.syn.weight"));
    p->tiles[1].synapses[0].weight = 1;
    char *bad = cx_test_tmp("prog.safetensors");
    ck_assert_int_eq(cx_program_save(p, bad), CX_ERR_USAGE);
    cx_program_free(p);
    free(path);
    free(bad);
}
END_TEST

START_TEST(broken_manifests)
{
    char *path = save_sample("m"), *bad = cx_test_tmp("bad.yaml");
    size_t n;
    char *text = cx_test_slurp(path, &n);
    cx_test_write(bad, text, (size_t)(strstr(text, "tiles:") - text)); /* truncated at a line */
    expect_fail(bad, CX_ERR_MISSING, "bad.yaml", "missing key 'tiles'");
    for (size_t cut = 0; cut < n; cut += 7) { /* truncated anywhere */
        cx_program *p = (cx_program *)1;
        cx_test_write(bad, text, cut);
        ck_assert_int_ne(cx_program_load(bad, &p), CX_OK);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(cx_last_error(), "bad.yaml"), "cut %zu: %s", cut, cx_last_error());
    }
    free(text);

    edit_file(path, bad, "version: 1", "version: 2");
    expect_fail(bad, CX_ERR_UNSUPPORTED, "bad.yaml:", "version 2");
    edit_file(path, bad, "format: cortile-program", "format: something-else");
    expect_fail(bad, CX_ERR_FORMAT, "bad.yaml:", "not a cortile program");
    edit_file(path, bad, "kind: glifr", "kind: lstm");
    expect_fail(bad, CX_ERR_VALUE, "bad.yaml:", "model.kind");
    edit_file(path, bad, "routes: 2", "routes: 2\nextra: 1");
    expect_fail(bad, CX_ERR_FORMAT, "bad.yaml:", "extra");
    edit_file(path, bad, "index: 1", "index: 5");
    expect_fail(bad, CX_ERR_VALUE, "bad.yaml:", "tiles[1].index");
    /* Counts are checked against the tensors. */
    edit_file(path, bad, "compartments: 3", "compartments: 4");
    expect_fail(bad, CX_ERR_SHAPE, "m.safetensors", "tile0.comp.kind");
    edit_file(path, bad, "routes: 2", "routes: 3");
    expect_fail(bad, CX_ERR_SHAPE, "m.safetensors", "route.key");
    /* A manifest cut at a line of its last list still has to account for every tensor. */
    edit_file(path, bad, "probes:\n  - {name: \"V\", groups: 1, n: 3}\n", "probes: []\n");
    expect_fail(bad, CX_ERR_SHAPE, "bad.yaml: ", "tensor 'probe0.tile' is not part of the program");
    edit_file(path, bad, "tensors: \"m.safetensors\"", "tensors: \"gone.safetensors\"");
    expect_fail(bad, CX_ERR_IO, "bad.yaml: ", "gone.safetensors");
    expect_fail("/nonexistent/prog.yaml", CX_ERR_IO, "/nonexistent/prog.yaml", NULL);
    free(path);
    free(bad);
}
END_TEST

START_TEST(broken_tensors)
{
    char *path = save_sample("t"), *tpath = cx_test_tmp("t.safetensors");
    char *bad = cx_test_tmp("bad.yaml"), *btens = cx_test_tmp("bad.safetensors");
    edit_file(path, bad, "tensors: \"t.safetensors\"", "tensors: \"bad.safetensors\"");

    edit_tensors(tpath, btens, "tile1.readout.weight", NULL, NULL);
    expect_fail(bad, CX_ERR_MISSING, "bad.safetensors", "tile1.readout.weight");
    edit_tensors(tpath, btens, "probe0.scale", NULL, NULL);
    expect_fail(bad, CX_ERR_MISSING, "bad.safetensors", "probe0.scale");

    /* drive.sig of tile 0: rows (kind, index, delay) */
    int64_t drive[4 * 3] = {1, 0, 0, 1, 1, 0, 3, 0, 0, 4, 0, 2};
    drive[4] = 2; /* input 2 of 2 */
    edit_tensors(tpath, btens, NULL, "tile0.drive.sig", drive);
    expect_fail(bad, CX_ERR_VALUE, "tile0.drive.sig", "reads input 2, the tile has 2");
    drive[4] = 1, drive[6] = 9;
    edit_tensors(tpath, btens, NULL, "tile0.drive.sig", drive);
    expect_fail(bad, CX_ERR_VALUE, "tile0.drive.sig", "unknown signal kind 9");
    drive[6] = 3, drive[7] = 3; /* dendrite output 3 of 3 */
    edit_tensors(tpath, btens, NULL, "tile0.drive.sig", drive);
    expect_fail(bad, CX_ERR_VALUE, "tile0.drive.sig", "dendrite output 3");
    drive[7] = 0, drive[2] = 1; /* delayed input */
    edit_tensors(tpath, btens, NULL, "tile0.drive.sig", drive);
    expect_fail(bad, CX_ERR_VALUE, "tile0.drive.sig", "delay_steps");

    int64_t kinds[3] = {0, 1, 7};
    edit_tensors(tpath, btens, NULL, "tile0.comp.kind", kinds);
    expect_fail(bad, CX_ERR_VALUE, "tile0.comp.kind", "element 2 is 7");
    int64_t act[2] = {CX_CHIP_ACT_SIGMOID | CX_CHIP_ACT_TANH, CX_CHIP_ACT_TANH};
    edit_tensors(tpath, btens, NULL, "tile0.dend.activation", act);
    expect_fail(bad, CX_ERR_VALUE, "tile0.dend.activation", "single activation bit");
    double gain[3] = {1, INFINITY, 1};
    edit_tensors(tpath, btens, NULL, "tile0.comp.gain", gain);
    expect_fail(bad, CX_ERR_VALUE, "tile0.comp.gain", "infinite");
    int64_t ndrive[3] = {2, 3, 0}; /* sum no longer matches drive.sig */
    edit_tensors(tpath, btens, NULL, "tile0.comp.n_drive", ndrive);
    expect_fail(bad, CX_ERR_SHAPE, "tile0.drive.sig", "expected shape [5, 3]");
    int64_t syn[1] = {1}; /* compartment 1 of a 1-compartment tile */
    edit_tensors(tpath, btens, NULL, "tile1.syn.compartment", syn);
    expect_fail(bad, CX_ERR_VALUE, "tile1.syn.compartment", "element 0 is 1");
    int64_t chan[3] = {0, 1, 1}; /* tile 1 has one readout */
    edit_tensors(tpath, btens, NULL, "out.chan", chan);
    expect_fail(bad, CX_ERR_VALUE, "out.chan", "readout 1 of tile 1");
    int64_t src[2] = {2, 0}; /* host channel 2 of 2 */
    edit_tensors(tpath, btens, NULL, "route.src_index", src);
    expect_fail(bad, CX_ERR_VALUE, "route.src_index", "host inputs");
    int64_t dests[3] = {0, 2, 1};
    edit_tensors(tpath, btens, NULL, "route.dests", dests);
    expect_fail(bad, CX_ERR_VALUE, "route.dests", "element 1 is 2");
    int64_t psig[9] = {2, 0, 0, 4, 0, 1, 2, 1, 0}; /* tile 1 has one compartment */
    edit_tensors(tpath, btens, NULL, "probe0.sig", psig);
    expect_fail(bad, CX_ERR_VALUE, "probe0.sig", "row 2 reads compartment 1");
    free(path);
    free(tpath);
    free(bad);
    free(btens);
}
END_TEST

START_TEST(broken_names)
{
    char *path = save_sample("n"), *tpath = cx_test_tmp("n.safetensors");
    char *bad = cx_test_tmp("bad.yaml"), *btens = cx_test_tmp("bad.safetensors");
    edit_file(path, bad, "tensors: \"n.safetensors\"", "tensors: \"bad.safetensors\"");
    cx_st_file *f = cx_test_open(tpath);
    const char *cases[][2] = {
        {"a\nb", "2 names"}, {"a\nb\nc\nd", "more than 3"}, {"a\nb\\q\nc", "bad escape"}};
    for (int c = 0; c < 3; c++) {
        cx_st_writer *w = cx_st_writer_alloc();
        for (size_t i = 0; i < f->ntensors; i++) {
            const cx_st_tensor *t = &f->tensors[i];
            ck_assert_int_eq(cx_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data),
                             CX_OK);
        }
        ck_assert_int_eq(cx_st_writer_meta(w, "tile1.names", "u"), CX_OK);
        ck_assert_int_eq(cx_st_writer_meta(w, "tile0.names", cases[c][0]), CX_OK);
        ck_assert_int_eq(cx_st_writer_write(w, btens), CX_OK);
        cx_st_writer_free(w);
        expect_fail(bad, c == 2 ? CX_ERR_FORMAT : CX_ERR_SHAPE, "tile0.names", cases[c][1]);
    }
    cx_st_close(f);
    free(path);
    free(tpath);
    free(bad);
    free(btens);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("program_io");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip_is_bit_exact);
    tcase_add_test(tc, manifest_is_plain_yaml);
    tcase_add_test(tc, empty_program_round_trips);
    tcase_add_test(tc, save_refuses_what_cannot_load);
    tcase_add_test(tc, broken_manifests);
    tcase_add_test(tc, broken_tensors);
    tcase_add_test(tc, broken_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return cx_test_main(suite());
}
