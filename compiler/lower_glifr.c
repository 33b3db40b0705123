/* GLIFR onto tiles (DESIGN.md s4). Per neuron, on its tile:
 *   stage 0  after-spike currents I_j: first order, 1 - h/tau_j = 1 - dt k_j,
 *            drive g w S with g w = a_j q / (dt k_j), conductance
 *            -r_j S q / (dt k_j) to 0;
 *   stage 1  voltage V: first order, 1 - h/tau_m = 1 - dt k_m, drive
 *            R (I_1 + I_2) + R I0 + lateral + input pulses / (dt k_m), and the
 *            reset conductance q S / (dt k_m) towards v_reset;
 *   soma     S = sigmoid((V - V_th) / sigma_V).
 * (q = dt/tau; S is the soma rate of the previous step, read at stage 0/1.)
 * With tau = -dt / ln(1 - dt k) the exact first-order step reproduces the
 * forward-Euler update of the model: x' = (1 - dt k) x + dt k d.
 *
 * Lateral input S_{t-d} W_lat: sources on other tiles arrive as graded
 * spikes through the synapse table, due d - 1 steps after their emission at
 * the end of step t - d. Sources on the same tile go through a crossbar
 * reading the delayed soma rates (analog, on the tile) when the tile's local
 * block is dense enough (cx_glifr_local_crossbar); otherwise they take the
 * synapse table too, their spikes routed back to their own tile. Inputs x_t
 * arrive as graded spikes from the host, due at the start of step t.
 * Readouts are partial sums per tile, added by the host. Every pass is
 * O(H + nnz) (plus n^2 per crossbar). */
#define _POSIX_C_SOURCE 200809L
#include "lower.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int tile;  /* program tile */
    int soma;  /* soma index on its tile */
    int v;     /* compartment of V */
    int asc0;  /* compartment of I_1 (I_j = asc0 + j) */
    int local; /* index among its tile's neurons */
} neuron_site;

static double tau_of_step(double dtk, double h)
{
    return -h / log1p(-dtk);
}

static cx_status add_neuron(cx_prog_tile *t, const cx_glifr_model *m, const cx_chip_config *chip,
                            int i, int lateral_dend, int local, neuron_site *site)
{
    const int H = m->hidden, J = m->num_asc;
    const double h = m->dt_ms, q = m->dt_ms / m->tau_ms;
    char name[48];
    cx_tile_sig self = {CX_TILE_SIG_SOMA, (int)t->n_somas, 0};
    site->asc0 = (int)t->n_comps;
    for (int j = 0; j < J; j++) {
        double dtk = m->dtk_j[(size_t)j * H + i];
        /* a large gain leaves room to scale the state down into the rails */
        double gain = fmin(1.0 / dtk, chip->tile.compartment.gain_max);
        cx_tile_term drive = {self, m->a_j[(size_t)j * H + i] * q / (dtk * gain)};
        cx_tile_cond cond = {self, -m->r_j[(size_t)j * H + i] * q / dtk, 0.0};
        cx_tile_comp_spec c = {.kind = CX_TILE_FIRST_ORDER,
                               .tau_ms = tau_of_step(dtk, h),
                               .gain = gain,
                               .stage = 0,
                               .n_drive = 1,
                               .drive = &drive,
                               .n_cond = 1,
                               .cond = &cond};
        snprintf(name, sizeof name, "I%d[%d]", j + 1, i);
        if (cx_prog_add_comp(t, &c, name) < 0) return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    double dtk = m->dtk_m[i];
    /* The voltage's gain carries as much of 1/(dt k_m) as the DAC allows;
     * the rest goes into the weights. */
    double gain = fmin(1.0 / dtk, chip->tile.compartment.gain_max);
    double wscale = 1.0 / (dtk * gain);
    cx_tile_cond reset = {self, q / dtk, m->v_reset};
    cx_tile_comp_spec v = {.kind = CX_TILE_FIRST_ORDER,
                           .tau_ms = tau_of_step(dtk, h),
                           .gain = gain,
                           .offset = m->r_m * m->i0,
                           .stage = 1,
                           .n_cond = 1,
                           .cond = &reset};
    snprintf(name, sizeof name, "V[%d]", i);
    site->v = cx_prog_add_comp(t, &v, name);
    if (site->v < 0) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int j = 0; j < J; j++) {
        cx_tile_term d = {{CX_TILE_SIG_STATE, site->asc0 + j, 0}, m->r_m / gain};
        if (cx_prog_add_drive(t, site->v, d) < 0) return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (lateral_dend >= 0) {
        cx_tile_term d = {{CX_TILE_SIG_DENDRITE, lateral_dend + local, 0}, wscale};
        if (cx_prog_add_drive(t, site->v, d) < 0) return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    cx_tile_soma_spec s = {.kind = CX_TILE_SOMA_SIGMOID,
                           .input = {CX_TILE_SIG_STATE, site->v, 0},
                           .threshold = m->thresh[i],
                           .width = m->sigma_v,
                           .emit = 0};
    site->soma = cx_prog_add_soma(t, &s);
    if (site->soma < 0) return cx_fail(CX_ERR_NOMEM, "out of memory");
    site->local = local;
    return CX_OK;
}

/* A tile's local lateral crossbar: delayed rates of its own neurons in,
 * one output per local neuron (row r = local target, column a = local source). */
static cx_status add_lateral(cx_prog_tile *t, const cx_glifr_model *m, const int *members, int n,
                             const int *part, const neuron_site *site)
{
    cx_tile_sig *in = malloc((size_t)n * sizeof *in);
    double *w = calloc((size_t)n * (size_t)n, sizeof *w);
    if (!in || !w) {
        free(in);
        free(w);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (int a = 0; a < n; a++) {
        int j = members[a];
        in[a] = (cx_tile_sig){CX_TILE_SIG_SOMA, a, m->delay_steps};
        for (int64_t q = m->lat_row[j]; q < m->lat_row[j + 1]; q++) {
            int i = m->lat_col[q];
            if (part[i] == part[j]) w[(size_t)site[i].local * n + a] = m->lat_w[q];
        }
    }
    cx_tile_dendrite_spec d = {.n_in = (size_t)n,
                               .n_out = (size_t)n,
                               .inputs = in,
                               .weights = w,
                               .activation = CX_CHIP_ACT_IDENTITY,
                               .stage = 0};
    int rc = cx_prog_add_dendrite(t, &d);
    free(in);
    free(w);
    return rc < 0 ? cx_fail(CX_ERR_NOMEM, "out of memory") : CX_OK;
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Scratch of the lowering, all O(H + K). */
typedef struct {
    neuron_site *site;
    int *order;        /* neurons grouped by tile, index order within a tile */
    int *start;        /* [K + 1] offsets into order */
    int *dests, *mark; /* a source's destination tiles; tile -> last source that used it */
    int *xbar;         /* [K] local lateral input on the crossbar */
    cx_glifr_part *parts;
} lower_ws;

/* Adds the synapse of a weight w onto neuron i's V, noting i's tile as a
 * destination of source `stamp`. */
static cx_status add_input(cx_program *p, const cx_glifr_model *m, lower_ws *w, const int *part,
                           uint32_t key, int i, double weight, int stamp, int *nd)
{
    int k = part[i];
    cx_prog_tile *t = &p->tiles[k];
    double gain = t->comps[w->site[i].v].gain;
    if (cx_prog_add_synapse(t, key, w->site[i].v, weight / (m->dtk_m[i] * gain)) < 0)
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    if (w->mark[k] != stamp) {
        w->mark[k] = stamp;
        w->dests[(*nd)++] = k;
    }
    return CX_OK;
}

static cx_status lower(cx_program *p, const cx_glifr_model *m, const cx_chip_config *chip,
                       const int *part, int K, lower_ws *w)
{
    const int H = m->hidden, NI = m->n_in, O = m->n_out, J = m->num_asc;
    const double h = m->dt_ms;
    neuron_site *site = w->site;
    cx_aer_format fmt = cx_aer_format_default();
    CX_TRY(cx_glifr_parts(m, part, K, w->parts));
    for (int i = 0; i < H; i++)
        w->start[part[i] + 1]++;
    for (int k = 0; k < K; k++)
        w->start[k + 1] += w->start[k];
    for (int i = 0; i < H; i++) { /* w->mark as fill pointers, reset below */
        int k = part[i];
        w->order[w->start[k] + w->mark[k]++] = i;
    }
    /* neurons tile by tile, in index order */
    for (int k = 0; k < K; k++) {
        cx_prog_tile *t = &p->tiles[k];
        const int *members = w->order + w->start[k];
        int n = w->start[k + 1] - w->start[k];
        w->mark[k] = -1;
        if (n == 0) continue;
        for (int a = 0; a < n; a++) {
            site[members[a]].tile = k;
            site[members[a]].local = a;
        }
        w->xbar[k] = cx_glifr_local_crossbar(chip, &w->parts[k]);
        if (w->xbar[k]) CX_TRY(add_lateral(t, m, members, n, part, site));
        for (int a = 0; a < n; a++)
            CX_TRY(add_neuron(t, m, chip, members[a], w->xbar[k] ? 0 : -1, a, &site[members[a]]));
    }
    /* host inputs: one route per channel to the tiles of its targets */
    for (int c = 0; c < NI; c++) {
        uint32_t key = cx_prog_host_key(chip, 0, c);
        int nd = 0;
        for (int i = 0; i < H; i++) {
            double wc = m->w_in[(size_t)c * H + i];
            if (wc != 0) CX_TRY(add_input(p, m, w, part, key, i, wc, c, &nd));
        }
        qsort(w->dests, (size_t)nd, sizeof *w->dests, int_cmp);
        if (nd) CX_TRY(cx_lower_route(p, key, -1, c, h, w->dests, nd));
    }
    /* lateral connections through the synapse table: graded spikes */
    for (int j = 0; j < H; j++) {
        const int sj = site[j].tile;
        uint32_t key =
            cx_aer_source_id(&fmt, cx_prog_tile_id(chip, &p->tiles[sj]), (uint32_t)site[j].soma);
        int nd = 0;
        for (int64_t q = m->lat_row[j]; q < m->lat_row[j + 1]; q++) {
            int i = m->lat_col[q];
            if (part[i] == sj && w->xbar[sj]) continue; /* on the crossbar */
            CX_TRY(add_input(p, m, w, part, key, i, m->lat_w[q], NI + j, &nd));
        }
        if (!nd) continue;
        qsort(w->dests, (size_t)nd, sizeof *w->dests, int_cmp);
        p->tiles[sj].somas[site[j].soma].emit = 1;
        /* emitted at the end of step t, read at step t + d */
        CX_TRY(cx_lower_route(p, key, sj, site[j].soma, (m->delay_steps - 1) * h, w->dests, nd));
    }
    /* readouts: a partial sum per tile and output, the bias on the first */
    size_t nk = 0;
    p->out_tile = malloc((size_t)(O * K + 1) * sizeof(int));
    p->out_chan = malloc((size_t)(O * K + 1) * sizeof(int));
    p->out_scale = malloc((size_t)(O * K + 1) * sizeof(double));
    cx_tile_term *terms = malloc((size_t)H * sizeof *terms);
    if (!p->out_tile || !p->out_chan || !p->out_scale || !terms) {
        free(terms);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (int o = 0; o < O; o++) {
        p->out_bias[o] = m->b_out[o];
        for (int k = 0; k < K; k++) {
            size_t n = 0;
            for (int a = w->start[k]; a < w->start[k + 1]; a++) {
                int i = w->order[a];
                terms[n++] = (cx_tile_term){{CX_TILE_SIG_SOMA, site[i].soma, 0},
                                            m->w_out[(size_t)o * H + i]};
            }
            if (!n) continue;
            int r = cx_prog_add_readout(&p->tiles[k], terms, n, 0.0);
            if (r < 0) {
                free(terms);
                return cx_fail(CX_ERR_NOMEM, "out of memory");
            }
            p->out_tile[nk] = k;
            p->out_chan[nk] = r;
            p->out_scale[nk] = 1.0;
            nk++;
        }
        p->out_row[o + 1] = nk;
    }
    free(terms);
    /* probes in the reference's layout */
    int *pt = malloc((size_t)(J * H + 1) * sizeof *pt);
    cx_tile_sig *ps = malloc((size_t)(J * H + 1) * sizeof *ps);
    double *sc = malloc((size_t)(J * H + 1) * sizeof *sc);
    cx_status st = pt && ps && sc ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int pass = 0; pass < 3 && st == CX_OK; pass++) {
        int groups = pass == 2 ? J : 1;
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < H; i++) {
                size_t e = (size_t)g * H + i;
                pt[e] = site[i].tile;
                sc[e] = 1.0;
                ps[e] = pass == 0   ? (cx_tile_sig){CX_TILE_SIG_SOMA, site[i].soma, 0}
                        : pass == 1 ? (cx_tile_sig){CX_TILE_SIG_STATE, site[i].v, 0}
                                    : (cx_tile_sig){CX_TILE_SIG_STATE, site[i].asc0 + g, 0};
            }
        static const char *names[] = {"S", "V", "I_asc"};
        st = cx_lower_probe(p, names[pass], groups, (size_t)(groups * H), pt, ps, sc);
    }
    free(pt);
    free(ps);
    free(sc);
    return st;
}

cx_status cx_lower_glifr(const cx_glifr_model *m, const cx_chip_config *chip, const char *model_dir,
                         const int *part, int n_tiles, cx_program **out)
{
    *out = NULL;
    if (m->sil_row)
        return cx_fail(CX_ERR_UNSUPPORTED,
                       "%s: silence_mult is not the identity; silenced neurons are not lowered",
                       model_dir);
    cx_program *p;
    CX_TRY(
        cx_lower_begin(chip, CX_KIND_GLIFR, model_dir, m->dt_ms, m->n_in, m->n_out, n_tiles, &p));
    size_t H = (size_t)m->hidden, K = (size_t)n_tiles + 1;
    lower_ws w = {.site = calloc(H, sizeof *w.site),
                  .order = malloc(H * sizeof *w.order),
                  .start = calloc(K, sizeof *w.start),
                  .dests = malloc(K * sizeof *w.dests),
                  .mark = calloc(K, sizeof *w.mark),
                  .xbar = calloc(K, sizeof *w.xbar),
                  .parts = malloc(K * sizeof *w.parts)};
    cx_status st = w.site && w.order && w.start && w.dests && w.mark && w.xbar && w.parts
                       ? lower(p, m, chip, part, n_tiles, &w)
                       : cx_fail(CX_ERR_NOMEM, "out of memory");
    free(w.site), free(w.order), free(w.start), free(w.dests), free(w.mark), free(w.xbar);
    free(w.parts);
    for (int k = 0; k < p->n_tiles; k++)
        cx_prog_tile_link(&p->tiles[k]);
    if (st != CX_OK) {
        cx_program_free(p);
        return st;
    }
    *out = p;
    return CX_OK;
}
