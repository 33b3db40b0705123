/* cortile reference: the float64 reference simulators on a checkpoint. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_model.h"
#include "cx_progress.h"
#include "cx_st.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cortile reference MODEL_DIR --input IN.safetensors --output OUT.safetensors\n"
    "                         [--kind elm|glifr] [--param KEY=VALUE]... [--record] [--json]\n"
    "       cortile reference MODEL_DIR --mnist DIR [--limit N] [--json]\n"
    "\n"
    "Runs the float64 reference simulator of an ELM/Branch-ELM or GLIFR checkpoint\n"
    "folder (upstream config JSON + model.safetensors), from the all-zero state.\n"
    "\n"
    "  --input FILE    ELM: 'spikes' uint8 [S,T,num_input] in NeuronIO channel order\n"
    "                  (channels >= num_input/2 are inhibitory and enter as -1), or\n"
    "                  'x' float [S,T,num_input] used as is. GLIFR: 'x' float [B,T,n_in].\n"
    "  --output FILE   ELM: 'outputs' f64 [S,T,num_output] (raw y); NeuronIO models also\n"
    "                  'eval_outputs' [sigmoid(y0), 10*y1]. GLIFR: 'y' [B,T,n_out],\n"
    "                  'S', 'V', 'I_syn' [B,T,H] and 'I_asc' [J,B,T,H].\n"
    "  --record        ELM: also write 'branch_input' [S,T,B] and 'memory_m' [S,T,M]\n"
    "  --mnist DIR     GLIFR: classify the MNIST test set in DIR (t10k-*-ubyte[.gz]) by\n"
    "                  the argmax of the last-step readout, and print the accuracy\n"
    "  --limit N       with --mnist, only the first N test images\n"
    "  --kind K        model kind instead of detecting it from the config\n"
    "  --param K=V     override a constructor argument the config leaves out (repeatable):\n"
    "                  ELM lambda_value (5), mlp_hidden_size (2*num_memory),\n"
    "                  mlp_num_layers (1), delta_t (1 ms), memory_tau_min/max (1/1000),\n"
    "                  mlp_activation (relu|silu), ...; GLIFR dt (0.05 ms, 0.001..10),\n"
    "                  tau (dt), sigma_v (1), R (0.1), I0 (0), v_reset (0),\n"
    "                  synaptic_delay (1 ms, 0..1000); an unknown key or a value of\n"
    "                  the wrong type or out of range is refused\n"
    "  --json          print the run summary as JSON\n";

typedef struct {
    const char *model_dir, *input, *output, *mnist;
    cx_model_kind kind;
    const char **params;
    int nparams, record, json;
    long limit;
} ref_args;

typedef struct {
    long samples, steps;
    double seconds;
    long correct; /* MNIST */
} ref_stats;

static cx_status elm_input(const cx_elm_model *m, const cx_st_file *in, const cx_st_tensor **t,
                           int *spikes)
{
    int64_t shape[3] = {-1, -1, m->num_input};
    *spikes = cx_st_find(in, "spikes") != NULL;
    if (*spikes) return cx_st_require(in, "spikes", CX_DTM_INT | CX_DTM(CX_DT_BOOL), 3, shape, t);
    if (!cx_st_find(in, "x"))
        return cx_fail(CX_ERR_MISSING, "%s: missing tensor 'spikes' (or 'x') with the ELM input",
                       in->path);
    return cx_st_require(in, "x", CX_DTM_FLOAT, 3, shape, t);
}

/* Fills `ev` with sample s of the input tensor. */
static cx_status elm_sample_events(const cx_elm_model *m, const cx_st_file *in,
                                   const cx_st_tensor *t, int spikes, int64_t s, double *dense,
                                   cx_elm_input *ev)
{
    const int64_t T = t->shape[1], NI = m->num_input;
    size_t base = (size_t)(s * T * NI);
    if (spikes && t->dtype == CX_DT_U8)
        return cx_elm_input_from_neuronio_spikes(ev, t->data + base, (int)T, (int)NI);
    for (int64_t i = 0; i < T * NI; i++) {
        double v = cx_st_get(t, base + (size_t)i);
        if (spikes && i % NI >= NI / 2) v = -v; /* NeuronIO: second half inhibitory */
        if (!isfinite(v))
            return cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %zu is not finite", in->path,
                           t->name, base + (size_t)i);
        dense[i] = v;
    }
    return cx_elm_input_from_dense(ev, dense, (int)T, (int)NI);
}

static cx_status run_elm(const cx_elm_model *m, const cx_st_file *in, cx_st_writer *w, int record,
                         ref_stats *rs)
{
    const cx_st_tensor *t;
    int spikes;
    CX_TRY(elm_input(m, in, &t, &spikes));
    const int64_t S = t->shape[0], T = t->shape[1], NI = m->num_input, O = m->num_output;
    const int64_t B = m->num_branch, M = m->num_memory;
    double *dense = malloc((size_t)(T * NI) * sizeof(double) + 1);
    double *y = malloc((size_t)(S * T * O) * sizeof(double) + 1);
    double *rb = record ? malloc((size_t)(S * T * B) * sizeof(double) + 1) : NULL;
    double *rm = record ? malloc((size_t)(S * T * M) * sizeof(double) + 1) : NULL;
    cx_elm_workspace *ws = cx_elm_workspace_alloc(m);
    cx_elm_input ev = {0};
    cx_status st = CX_OK;
    if (!dense || !y || !ws || (record && (!rb || !rm)))
        st = cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_progress prog;
    cx_progress_start(&prog, "reference", (size_t)S);
    double t0 = cx_now_s();
    for (int64_t s = 0; s < S && st == CX_OK; s++) {
        st = elm_sample_events(m, in, t, spikes, s, dense, &ev);
        if (st != CX_OK) break;
        cx_elm_forward(m, ws, &ev, y + s * T * O, rb ? rb + s * T * B : NULL,
                       rm ? rm + s * T * M : NULL);
        cx_progress_update(&prog, (size_t)s + 1);
    }
    rs->seconds = cx_now_s() - t0;
    cx_progress_finish(&prog);
    rs->samples = S;
    rs->steps = T;
    int64_t oshape[3] = {S, T, O};
    if (st == CX_OK) st = cx_st_writer_add(w, "outputs", CX_DT_F64, 3, oshape, y);
    if (st == CX_OK && m->routing == CX_ROUTING_NEURONIO && O == 2) {
        /* upstream neuronio_eval_forward: spike probability and soma in mV */
        for (int64_t i = 0; i < S * T; i++) {
            y[2 * i] = 1.0 / (1.0 + exp(-y[2 * i]));
            y[2 * i + 1] = y[2 * i + 1] / 0.1;
        }
        st = cx_st_writer_add(w, "eval_outputs", CX_DT_F64, 3, oshape, y);
    }
    if (st == CX_OK && record) {
        st = cx_st_writer_add(w, "branch_input", CX_DT_F64, 3, (int64_t[]){S, T, B}, rb);
        if (st == CX_OK)
            st = cx_st_writer_add(w, "memory_m", CX_DT_F64, 3, (int64_t[]){S, T, M}, rm);
    }
    cx_elm_input_release(&ev);
    cx_elm_workspace_free(ws);
    free(dense);
    free(y);
    free(rb);
    free(rm);
    return st;
}

static cx_status run_glifr(const cx_glifr_model *m, const cx_st_file *in, cx_st_writer *w,
                           ref_stats *rs)
{
    const cx_st_tensor *t;
    CX_TRY(cx_st_require(in, "x", CX_DTM_FLOAT, 3, (int64_t[]){-1, -1, m->n_in}, &t));
    double *x;
    CX_TRY(cx_st_to_f64(in, t, 1, &x));
    const int64_t B = t->shape[0], T = t->shape[1], H = m->hidden, O = m->n_out, J = m->num_asc;
    size_t bth = (size_t)(B * T * H);
    double *y = malloc((size_t)(B * T * O) * sizeof(double) + 1);
    double *S = malloc(bth * sizeof(double) + 1), *V = malloc(bth * sizeof(double) + 1);
    double *Isyn = malloc(bth * sizeof(double) + 1);
    double *Iasc = malloc((size_t)J * bth * sizeof(double) + 1);
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(m);
    cx_status st = CX_OK;
    if (!y || !S || !V || !Isyn || !Iasc || !ws) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    double t0 = cx_now_s();
    for (int64_t b = 0; b < B && st == CX_OK; b++) {
        size_t off = (size_t)(b * T * H);
        cx_glifr_record rec = {S + off, V + off, Isyn + off, Iasc + off, bth};
        cx_glifr_forward(m, ws, x + b * T * m->n_in, (int)T, y + b * T * O, &rec);
    }
    rs->seconds = cx_now_s() - t0;
    rs->samples = B;
    rs->steps = T;
    int64_t sh[3] = {B, T, H};
    if (st == CX_OK) st = cx_st_writer_add(w, "y", CX_DT_F64, 3, (int64_t[]){B, T, O}, y);
    if (st == CX_OK) st = cx_st_writer_add(w, "S", CX_DT_F64, 3, sh, S);
    if (st == CX_OK) st = cx_st_writer_add(w, "V", CX_DT_F64, 3, sh, V);
    if (st == CX_OK) st = cx_st_writer_add(w, "I_syn", CX_DT_F64, 3, sh, Isyn);
    if (st == CX_OK) st = cx_st_writer_add(w, "I_asc", CX_DT_F64, 4, (int64_t[]){J, B, T, H}, Iasc);
    cx_glifr_workspace_free(ws);
    free(x);
    free(y);
    free(S);
    free(V);
    free(Isyn);
    free(Iasc);
    return st;
}

static cx_status run_file(const ref_args *a, const cx_model *m, ref_stats *rs)
{
    cx_st_file *in;
    CX_TRY(cx_st_open(a->input, &in));
    cx_st_writer *w = cx_st_writer_alloc();
    cx_status st = w ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK)
        st = m->elm ? run_elm(m->elm, in, w, a->record, rs) : run_glifr(m->glifr, in, w, rs);
    if (st == CX_OK) st = cx_st_writer_meta(w, "producer", "cortile reference");
    if (st == CX_OK) st = cx_st_writer_meta(w, "model_dir", a->model_dir);
    if (st == CX_OK) st = cx_st_writer_meta(w, "kind", cx_model_kind_name(m->kind));
    if (st == CX_OK) st = cx_st_writer_write(w, a->output);
    cx_st_writer_free(w);
    cx_st_close(in);
    return st;
}

static int parse_args(int argc, char **argv, ref_args *a)
{
    static const struct option opts[] = {
        {"input", required_argument, 0, 'i'}, {"output", required_argument, 0, 'o'},
        {"mnist", required_argument, 0, 'm'}, {"limit", required_argument, 0, 'l'},
        {"kind", required_argument, 0, 'k'},  {"param", required_argument, 0, 'p'},
        {"record", no_argument, 0, 'r'},      {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->input = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case 'm':
            a->mnist = optarg;
            break;
        case 'l':
            if (cx_cli_opt_long("reference", "--limit", optarg, 1, LONG_MAX, &a->limit)) return 2;
            break;
        case 'k':
            if (cx_model_kind_parse(optarg, &a->kind) != CX_OK)
                return cx_cli_error("reference", CX_ERR_USAGE);
            break;
        case 'p':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return cx_cli_usage("reference", "--param needs KEY=VALUE, got '%s'", optarg);
            a->params[a->nparams++] = optarg;
            break;
        case 'r':
            a->record = 1;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        default:
            return cx_cli_usage("reference", "unknown option");
        }
    }
    if (argc - optind != 1) return cx_cli_usage("reference", "expected one MODEL_DIR");
    a->model_dir = argv[optind];
    if (a->mnist && (a->input || a->output))
        return cx_cli_usage("reference", "--mnist does not combine with --input/--output");
    if (!a->mnist && (!a->input || !a->output))
        return cx_cli_usage("reference", "--input and --output are required");
    if (a->limit && !a->mnist) return cx_cli_usage("reference", "--limit goes with --mnist");
    return 0;
}

static void report(const ref_args *a, const cx_model *m, const ref_stats *rs)
{
    double step_us = (rs->samples > 0 && rs->steps > 0)
                         ? 1e6 * rs->seconds / (double)(rs->samples * rs->steps)
                         : 0;
    if (a->json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "model_dir", a->model_dir);
        cJSON_AddStringToObject(doc, "kind", cx_model_kind_name(m->kind));
        cJSON_AddNumberToObject(doc, "samples", (double)rs->samples);
        cJSON_AddNumberToObject(doc, "steps", (double)rs->steps);
        cJSON_AddNumberToObject(doc, "seconds", rs->seconds);
        cJSON_AddNumberToObject(doc, "us_per_step", step_us);
        if (m->elm) cJSON_AddNumberToObject(doc, "macs_per_step", cx_elm_macs_per_step(m->elm));
        if (m->glifr)
            cJSON_AddNumberToObject(doc, "macs_per_sample",
                                    cx_glifr_macs_per_sample(m->glifr, (int)rs->steps));
        if (a->output) cJSON_AddStringToObject(doc, "output", a->output);
        if (a->mnist) {
            cJSON_AddNumberToObject(doc, "correct", (double)rs->correct);
            cJSON_AddNumberToObject(doc, "accuracy", (double)rs->correct / (double)rs->samples);
        }
        cx_cli_print_json(doc);
        return;
    }
    printf("model      %s (%s)\n", a->model_dir, cx_model_kind_name(m->kind));
    printf("run        %ld samples x %ld steps in %.3f s (%.2f us per step)\n", rs->samples,
           rs->steps, rs->seconds, step_us);
    if (a->output) printf("output     %s\n", a->output);
    if (a->mnist)
        printf("accuracy   %.4f (%ld of %ld test images)\n",
               (double)rs->correct / (double)rs->samples, rs->correct, rs->samples);
}

int cx_cmd_reference(int argc, char **argv)
{
    ref_args a = {0};
    a.params = calloc((size_t)argc, sizeof(char *));
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        free(a.params);
        return rc < 0 ? 0 : rc;
    }
    cx_model *m = NULL;
    ref_stats rs = {0};
    cx_status st = cx_model_load(a.model_dir, a.kind, a.params, a.nparams, &m);
    if (st == CX_OK && a.mnist) {
        if (!m->glifr)
            st = cx_fail(CX_ERR_UNSUPPORTED, "%s: --mnist needs a GLIFR checkpoint", a.model_dir);
        else
            st = cx_reference_mnist(a.mnist, m->glifr, a.limit, &rs.samples, &rs.correct,
                                    &rs.seconds);
        rs.steps = 28;
    } else if (st == CX_OK) {
        st = run_file(&a, m, &rs);
    }
    if (st == CX_OK) report(&a, m, &rs);
    cx_model_free(m);
    free(a.params);
    return st == CX_OK ? 0 : cx_cli_error("reference", st);
}
