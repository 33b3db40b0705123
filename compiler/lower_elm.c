/* ELM / Branch-ELM onto one tile (DESIGN.md s4):
 *   stage 0      one first-order compartment per trace group (synapses of a
 *                branch sharing tau_s: linear-filter merging), fed by the
 *                synapse table;
 *   stage 1..L   the MLP, one dendrite spec per layer (split across arrays by
 *                the tile), kappa_m folded into the memory columns of W1;
 *   stage L+1    memory units: first-order, tau_m, gain lambda;
 *   readout      one channel per output.
 * In sampled mode every update is the trained discrete one:
 *   s' = k s + (1-k) g P  with g = 1/(1-k)  ->  s' = k s + P
 *   m' = k m + (1-k) lambda dm. */
#define _POSIX_C_SOURCE 200809L
#include "lower.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cx_chip_activation elm_activation(cx_activation a)
{
    return a == CX_ACT_SILU ? CX_CHIP_ACT_SILU : CX_CHIP_ACT_RELU;
}

/* Time constant whose exact step decays by kappa over h. */
static double tau_of_kappa(double kappa, double h)
{
    return -h / log(kappa);
}

cx_status cx_lower_elm(const cx_elm_model *m, const cx_chip_config *chip, const char *model_dir,
                       cx_program **out)
{
    const int G = m->num_groups, M = m->num_memory, B = m->num_branch, NI = m->num_input;
    const int O = m->num_output, L = m->num_layers;
    const double h = m->delta_t_ms;
    cx_program *p;
    CX_TRY(cx_lower_begin(chip, CX_KIND_ELM, model_dir, h, NI, O, 1, &p));
    cx_prog_tile *t = &p->tiles[0];
    cx_status st = CX_OK;
    char name[48];
    cx_tile_sig *sig = NULL;
    double *w = NULL, *scale = NULL;
    int *tiles = NULL;

    /* NeuronIO: the second half of the channels is inhibitory; folding the
     * sign into the weights lets spikes travel as plain spikes. */
    for (int c = 0; c < NI; c++)
        p->in_sign[c] = m->routing == CX_ROUTING_NEURONIO && c >= NI / 2 ? -1.0 : 1.0;

    /* stage 0: trace groups */
    for (int g = 0; g < G && st == CX_OK; g++) {
        double k = m->group_kappa[g];
        cx_tile_comp_spec c = {.kind = CX_TILE_FIRST_ORDER,
                               .tau_ms = tau_of_kappa(k, h),
                               .gain = 1.0 / (1.0 - k),
                               .stage = 0};
        snprintf(name, sizeof name, "s[%d]", m->group_branch[g]);
        if (cx_prog_add_comp(t, &c, name) != g) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; c < NI && st == CX_OK; c++) {
        uint32_t key = cx_prog_host_key(chip, 0, c);
        int used = 0;
        for (int e = m->fan_start[c]; e < m->fan_start[c + 1]; e++) {
            if (m->fan_weight[e] == 0) continue;
            if (cx_prog_add_synapse(t, key, m->fan_group[e], m->fan_weight[e] * p->in_sign[c]) < 0)
                st = cx_fail(CX_ERR_NOMEM, "out of memory");
            used = 1;
        }
        /* the input of step t leaves the host one step ahead, due at t h */
        static const int tile0 = 0;
        if (used && st == CX_OK) st = cx_lower_route(p, key, -1, c, h, &tile0, 1);
    }

    /* MLP layers on dendrite arrays */
    size_t max_in = (size_t)(G + M);
    for (int l = 0; l < L; l++)
        if ((size_t)m->layer_in[l] > max_in) max_in = (size_t)m->layer_in[l];
    size_t max_w = 0;
    for (int l = 0; l < L; l++)
        if ((size_t)m->layer_in[l] * m->layer_out[l] > max_w)
            max_w = (size_t)m->layer_in[l] * m->layer_out[l];
    sig = malloc(max_in * sizeof *sig);
    w = malloc((max_w + (size_t)G * 2 * M + 1) * sizeof *w);
    if (!sig || !w) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    int dend_out0 = 0; /* dendrite-signal index of the previous layer's outputs */
    for (int l = 0; l < L && st == CX_OK; l++) {
        int in = m->layer_in[l], outn = m->layer_out[l];
        size_t n_in;
        if (l == 0) {
            /* inputs: every trace group (its branch's column), then the
             * memory units (column times kappa_m: the MLP sees kappa_m m) */
            n_in = (size_t)(G + M);
            for (int g = 0; g < G; g++)
                sig[g] = (cx_tile_sig){CX_TILE_SIG_STATE, g, 0};
            for (int i = 0; i < M; i++)
                sig[G + i] = (cx_tile_sig){CX_TILE_SIG_STATE, G + i, 0};
            for (int r = 0; r < outn; r++) {
                for (int g = 0; g < G; g++)
                    w[(size_t)r * n_in + (size_t)g] =
                        m->layer_w[0][(size_t)m->group_branch[g] * (size_t)outn + (size_t)r];
                for (int i = 0; i < M; i++)
                    w[(size_t)r * n_in + (size_t)(G + i)] =
                        m->layer_w[0][(size_t)(B + i) * (size_t)outn + (size_t)r] * m->kappa_m[i];
            }
        } else {
            n_in = (size_t)in;
            for (int i = 0; i < in; i++)
                sig[i] = (cx_tile_sig){CX_TILE_SIG_DENDRITE, dend_out0 + i, 0};
            for (int r = 0; r < outn; r++)
                for (int i = 0; i < in; i++)
                    w[(size_t)r * n_in + (size_t)i] =
                        m->layer_w[l][(size_t)i * (size_t)outn + (size_t)r];
        }
        if (l > 0) dend_out0 += m->layer_out[l - 1];
        cx_tile_dendrite_spec d = {.n_in = n_in,
                                   .n_out = (size_t)outn,
                                   .inputs = sig,
                                   .weights = w,
                                   .bias = m->layer_b[l],
                                   .activation = l == L - 1 ? CX_CHIP_ACT_SCALED_TANH
                                                            : elm_activation(m->activation),
                                   .stage = l + 1};
        if (cx_prog_add_dendrite(t, &d) < 0) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    /* memory units, and the memory compartments the first layer reads */
    int last_out0 = dend_out0;
    for (int i = 0; i < M && st == CX_OK; i++) {
        cx_tile_term drive = {{CX_TILE_SIG_DENDRITE, last_out0 + i, 0}, 1.0};
        cx_tile_comp_spec c = {.kind = CX_TILE_FIRST_ORDER,
                               .tau_ms = m->kappa_m[i] > 0 ? tau_of_kappa(m->kappa_m[i], h)
                                                           : m->tau_m_ms[i],
                               .gain = m->lambda,
                               .stage = L + 1,
                               .n_drive = 1,
                               .drive = &drive};
        snprintf(name, sizeof name, "m[%d]", i);
        if (cx_prog_add_comp(t, &c, name) != G + i) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    /* readout channels */
    cx_tile_term *terms = malloc((size_t)(M ? M : 1) * sizeof *terms);
    p->out_tile = malloc((size_t)(O ? O : 1) * sizeof(int));
    p->out_chan = malloc((size_t)(O ? O : 1) * sizeof(int));
    p->out_scale = malloc((size_t)(O ? O : 1) * sizeof(double));
    if (!terms || !p->out_tile || !p->out_chan || !p->out_scale)
        st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int o = 0; o < O && st == CX_OK; o++) {
        for (int i = 0; i < M; i++)
            terms[i] = (cx_tile_term){{CX_TILE_SIG_STATE, G + i, 0},
                                      m->w_y[(size_t)i * (size_t)O + (size_t)o]};
        int r = cx_prog_add_readout(t, terms, (size_t)M, m->b_y[o]);
        p->out_row[o + 1] = (size_t)o + 1;
        p->out_tile[o] = 0;
        p->out_chan[o] = r;
        p->out_scale[o] = 1.0;
    }
    free(terms);
    /* probes: memory states and (one group per branch) branch inputs */
    size_t np = (size_t)(G > M ? G : M);
    tiles = calloc(np + 1, sizeof *tiles);
    scale = malloc((np + 1) * sizeof *scale);
    if (st == CX_OK && (!tiles || !scale)) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK) {
        for (size_t i = 0; i < np; i++)
            scale[i] = 1.0;
        for (int i = 0; i < M; i++)
            sig[i] = (cx_tile_sig){CX_TILE_SIG_STATE, G + i, 0};
        st = cx_lower_probe(p, "memory_m", 1, (size_t)M, tiles, sig, scale);
    }
    if (st == CX_OK && G == B) {
        for (int g = 0; g < G; g++)
            sig[m->group_branch[g]] = (cx_tile_sig){CX_TILE_SIG_STATE, g, 0};
        st = cx_lower_probe(p, "branch_input", 1, (size_t)B, tiles, sig, scale);
    }
    free(sig);
    free(w);
    free(scale);
    free(tiles);
    cx_prog_tile_link(t);
    if (st != CX_OK) {
        cx_program_free(p);
        return st;
    }
    *out = p;
    return CX_OK;
}
