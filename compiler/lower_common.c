/* Lowering passes shared by the model lowerings: tile positions, probes and
 * state scaling. */
#define _POSIX_C_SOURCE 200809L
#include "lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int pos_cmp(const void *a, const void *b)
{
    const cx_lower_pos *p = a, *q = b;
    if (p->dead != q->dead) return p->dead - q->dead;
    if (p->dist != q->dist) return p->dist < q->dist ? -1 : 1;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    return (p->x > q->x) - (p->x < q->x);
}

cx_status cx_lower_host_order(const cx_chip_config *chip, cx_lower_pos *pos, int *n_live)
{
    const int W = chip->mesh.width, H = chip->mesh.height;
    int hx = chip->router.n_hosts ? chip->router.hosts[0].x : 0;
    int hy = chip->router.n_hosts ? chip->router.hosts[0].y : 0;
    cx_chip_defect_map dm = {0};
    if (chip->defects.remap && cx_chip_has_defects(chip)) CX_TRY(cx_chip_defects(chip, &dm));
    int *hops = dm.dead_link ? malloc((size_t)(W * H) * sizeof *hops) : NULL;
    if (dm.dead_link && !hops) {
        cx_chip_defects_free(&dm);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    cx_status st = hops ? cx_chip_defect_hops(&dm, hy * W + hx, hops) : CX_OK;
    if (st != CX_OK) {
        free(hops);
        cx_chip_defects_free(&dm);
        return st;
    }
    int live = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int node = y * W + x, d = hops ? hops[node] : abs(x - hx) + abs(y - hy);
            /* a dead core, or one the host cannot reach over live links */
            int dead = dm.dead_tile ? dm.dead_tile[node] || d < 0 : 0;
            pos[node] = (cx_lower_pos){x, y, d, dead};
            live += !dead;
        }
    free(hops);
    cx_chip_defects_free(&dm);
    qsort(pos, (size_t)(W * H), sizeof *pos, pos_cmp);
    if (n_live) *n_live = live;
    return CX_OK;
}

int cx_lower_live_tiles(const cx_chip_config *chip)
{
    int all = cx_chip_tiles(chip), live = all;
    if (!chip->defects.remap || !cx_chip_has_defects(chip)) return all;
    cx_lower_pos *pos = malloc((size_t)all * sizeof *pos);
    if (pos && cx_lower_host_order(chip, pos, &live) != CX_OK) live = all;
    free(pos);
    return live;
}

cx_status cx_lower_too_few_tiles(const cx_chip_config *chip, int need, int live)
{
    int all = cx_chip_tiles(chip);
    if (live < all)
        return cx_fail(CX_ERR_FIT,
                       "chip: needs %d tiles, %d of the chip's %d work (%d dead or cut off from "
                       "the host by dead links: defects.*)",
                       need, live, all, all - live);
    return cx_fail(CX_ERR_FIT, "chip: needs %d tiles (mesh.width x mesh.height), the chip has %d",
                   need, all);
}

cx_status cx_lower_begin(const cx_chip_config *chip, cx_model_kind kind, const char *model_dir,
                         double step_ms, int n_inputs, int n_outputs, int n_tiles, cx_program **out)
{
    *out = NULL;
    int W = chip->mesh.width, H = chip->mesh.height, live = W * H;
    if (n_tiles > W * H) return cx_lower_too_few_tiles(chip, n_tiles, W * H);
    cx_program *p = calloc(1, sizeof *p);
    cx_lower_pos *pos = malloc((size_t)(W * H) * sizeof *pos);
    cx_status st =
        p && pos ? cx_lower_host_order(chip, pos, &live) : cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK && n_tiles > live) st = cx_lower_too_few_tiles(chip, n_tiles, live);
    if (st != CX_OK) {
        free(p);
        free(pos);
        return st;
    }
    p->kind = kind;
    p->model_dir = strdup(model_dir ? model_dir : "");
    p->chip_name = strdup(chip->name ? chip->name : "");
    p->step_ms = step_ms;
    p->n_inputs = n_inputs;
    p->n_outputs = n_outputs;
    p->n_chips = 1;
    p->in_sign = malloc((size_t)(n_inputs ? n_inputs : 1) * sizeof(double));
    p->in_scale = malloc((size_t)(n_inputs ? n_inputs : 1) * sizeof(double));
    p->out_row = calloc((size_t)n_outputs + 1, sizeof *p->out_row);
    p->out_bias = calloc((size_t)(n_outputs ? n_outputs : 1), sizeof(double));
    p->tiles = calloc((size_t)n_tiles, sizeof *p->tiles);
    if (!p->model_dir || !p->chip_name || !p->in_sign || !p->in_scale || !p->out_row ||
        !p->out_bias || !p->tiles) {
        free(pos);
        cx_program_free(p);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; c < n_inputs; c++)
        p->in_sign[c] = p->in_scale[c] = 1.0;
    /* Tiles nearest the host port first: host traffic takes the fewest hops. */
    p->n_tiles = n_tiles;
    for (int i = 0; i < n_tiles; i++)
        cx_prog_tile_init(&p->tiles[i], pos[i].x, pos[i].y, step_ms, 0);
    free(pos);
    *out = p;
    return CX_OK;
}

cx_status cx_lower_probe(cx_program *p, const char *name, int groups, size_t n, const int *tile,
                         const cx_tile_sig *sig, const double *scale)
{
    cx_prog_probe *np = realloc(p->probes, (size_t)(p->n_probes + 1) * sizeof *np);
    if (!np) return cx_fail(CX_ERR_NOMEM, "out of memory");
    p->probes = np;
    cx_prog_probe *q = &np[p->n_probes];
    memset(q, 0, sizeof *q);
    q->name = strdup(name);
    q->groups = groups;
    q->n = n;
    q->tile = malloc(n * sizeof *q->tile + 1);
    q->sig = malloc(n * sizeof *q->sig + 1);
    q->scale = malloc(n * sizeof *q->scale + 1);
    p->n_probes++;
    if (!q->name || !q->tile || !q->sig || !q->scale) return cx_fail(CX_ERR_NOMEM, "out of memory");
    memcpy(q->tile, tile, n * sizeof *tile);
    memcpy(q->sig, sig, n * sizeof *sig);
    memcpy(q->scale, scale, n * sizeof *scale);
    return CX_OK;
}

/* ------------------------------------------------------------ scaling */

/* Factor of the state a signal reads (1 for anything but a state). */
static double state_factor(cx_tile_sig s, const double *k)
{
    return s.kind == CX_TILE_SIG_STATE ? k[s.index] : 1.0;
}

/* x_c becomes x_c / k[c] for every compartment of a tile at once: a
 * compartment's inputs shrink by k, its readers weigh it k times more, in
 * one pass over the tile's terms. Powers of two keep this exact in binary. */
static void scale_tile(cx_program *p, int ti, const double *k)
{
    cx_prog_tile *t = &p->tiles[ti];
    for (size_t c = 0; c < t->n_comps; c++) {
        if (k[c] == 1.0) continue;
        cx_tile_comp_spec *s = &t->comps[c];
        s->gain /= k[c];
        s->offset /= k[c];
        s->x0 /= k[c];
        s->v0 /= k[c];
        for (size_t q = 0; q < s->n_cond; q++)
            t->conds[t->comp_cond0[c] + q].reversal /= k[c];
        t->comp_scale[c] *= k[c];
    }
    for (size_t q = 0; q < t->n_terms; q++)
        t->terms[q].weight *= state_factor(t->terms[q].sig, k);
    for (size_t q = 0; q < t->n_conds; q++)
        t->conds[q].weight *= state_factor(t->conds[q].sig, k);
    for (size_t q = 0; q < t->n_rterms; q++)
        t->rterms[q].weight *= state_factor(t->rterms[q].sig, k);
    for (size_t d = 0; d < t->n_dends; d++) {
        const cx_tile_dendrite_spec *ds = &t->dends[d];
        for (size_t in = 0; in < ds->n_in; in++) {
            double f = state_factor(t->dend_sigs[t->dend_in0[d] + in], k);
            if (f == 1.0) continue;
            for (size_t r = 0; r < ds->n_out; r++)
                t->dend_vals[t->dend_w0[d] + r * ds->n_in + in] *= f;
        }
    }
    for (size_t m = 0; m < t->n_somas; m++) {
        cx_tile_soma_spec *so = &t->somas[m];
        double f = state_factor(so->input, k);
        if (f == 1.0) continue;
        so->threshold /= f;
        if (so->kind == CX_TILE_SOMA_SIGMOID)
            so->width /= f;
        else
            so->reset /= f;
    }
}

static double pow2_at_least(double r)
{
    return r <= 1.0 ? 1.0 : ldexp(1.0, (int)ceil(log2(r)));
}

size_t cx_lower_scale(cx_program *p, const cx_chip_config *chip, double *const *max_abs,
                      double *const *readout_max, double headroom)
{
    double rail = fmin(fabs(chip->tile.rails.x_min), fabs(chip->tile.rails.x_max)) * headroom;
    /* A gain below a few DAC steps would be mostly quantization error. */
    double gain_floor = 8.0 * chip->tile.compartment.gain_max /
                        (ldexp(1.0, chip->tile.compartment.param_bits - 1) - 1.0);
    size_t over = 0;
    double **kc = calloc((size_t)p->n_tiles + 1, sizeof *kc); /* factors, for the probes */
    double **kr = calloc((size_t)p->n_tiles + 1, sizeof *kr); /* readout factors */
    for (int ti = 0; kc && kr && ti < p->n_tiles; ti++) {
        cx_prog_tile *t = &p->tiles[ti];
        kc[ti] = malloc((t->n_comps + 1) * sizeof **kc);
        kr[ti] = malloc((t->n_readouts + 1) * sizeof **kr);
        if (!kc[ti] || !kr[ti]) break;
        int any = 0;
        for (size_t c = 0; c < t->n_comps; c++) {
            double m = max_abs[ti][c], k = 1.0;
            kc[ti][c] = 1.0;
            if (!(m > 0) || !isfinite(m)) continue;
            k = pow2_at_least(m / rail);
            double g = fabs(t->comps[c].gain);
            while (k > 1 && g > 0 && g / k < gain_floor)
                k *= 0.5;
            kc[ti][c] = k;
            any |= k > 1;
            if (m / k > rail / headroom) over++;
        }
        if (any) scale_tile(p, ti, kc[ti]);
        for (size_t r = 0; r < t->n_readouts; r++) {
            double k = readout_max ? pow2_at_least(readout_max[ti][r] / rail) : 1.0;
            kr[ti][r] = k;
            if (k == 1) continue;
            for (size_t q = 0; q < t->readouts[r].n_terms; q++)
                t->rterms[t->readout_term0[r] + q].weight /= k;
            t->readouts[r].bias /= k;
        }
    }
    for (size_t q = 0; kr && q < p->out_row[p->n_outputs]; q++)
        if (kr[p->out_tile[q]]) p->out_scale[q] *= kr[p->out_tile[q]][p->out_chan[q]];
    for (int q = 0; kc && q < p->n_probes; q++)
        for (size_t i = 0; i < p->probes[q].n; i++) {
            const double *k = kc[p->probes[q].tile[i]];
            if (k) p->probes[q].scale[i] *= state_factor(p->probes[q].sig[i], k);
        }
    for (int ti = 0; ti < p->n_tiles; ti++) {
        if (kc) free(kc[ti]);
        if (kr) free(kr[ti]);
        cx_prog_tile_link(&p->tiles[ti]);
    }
    free(kc);
    free(kr);
    return over;
}

cx_status cx_lower_route(cx_program *p, uint32_t key, int src_tile, int src_index, double due,
                         const int *dests, int n)
{
    if (p->n_routes >= p->cap_routes) { /* doubling: a route per neuron stays O(H) */
        int cap = p->n_routes < 8 ? 16 : 2 * p->n_routes;
        cx_prog_route *grown = realloc(p->routes, (size_t)cap * sizeof *grown);
        if (!grown) return cx_fail(CX_ERR_NOMEM, "out of memory");
        p->routes = grown;
        p->cap_routes = cap;
    }
    cx_prog_route *r = &p->routes[p->n_routes];
    *r = (cx_prog_route){.key = key,
                         .src_tile = src_tile,
                         .src_index = src_index,
                         .due_offset_ms = due,
                         .n_dests = n,
                         .dests = malloc((size_t)(n ? n : 1) * sizeof(int))};
    if (!r->dests) return cx_fail(CX_ERR_NOMEM, "out of memory");
    memcpy(r->dests, dests, (size_t)n * sizeof(int));
    p->n_routes++;
    return CX_OK;
}
