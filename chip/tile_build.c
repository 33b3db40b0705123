/* Tile construction: realization of every programmed value (DACs, mismatch,
 * crossbar programming noise), the update coefficients, and cx_tile_alloc,
 * which assembles the tile and draws its random streams in a fixed order. */
#include "cx_comp.h"
#include "cx_dac.h"
#include "tile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- realize */

typedef struct {
    double n_tau, n_damp, n_gain, n_offset;
} comp_draw;

static void realize_comp(const cx_chip_config *chip, const cx_tile_comp_spec *c,
                         const comp_draw *dr, cx_tile_realized_comp *r)
{
    int quant = chip->noise.quantization.enabled && chip->noise.quantization.params;
    int mis = chip->noise.mismatch.enabled;
    double s_tau = chip->noise.mismatch.tau_rel;
    r->kind = c->kind;
    if (c->kind == CX_TILE_FIRST_ORDER) {
        double tau = quant ? cx_dac_tau(chip, c->tau_ms) : c->tau_ms;
        r->tau_ms = mis ? tau * exp(s_tau * dr->n_tau) : tau;
        r->omega_rad_per_ms = 1.0 / r->tau_ms;
        r->zeta = INFINITY;
    } else {
        /* Two time-constant elements: the integrators' 1/omega and the damping path. */
        double tau_w = 1.0 / c->omega_rad_per_ms, zeta = c->zeta;
        if (quant) tau_w = cx_dac_tau(chip, tau_w), zeta = cx_dac_zeta(chip, zeta);
        double tau_d = tau_w / (2.0 * zeta);
        if (mis) tau_w *= exp(s_tau * dr->n_tau), tau_d *= exp(s_tau * dr->n_damp);
        r->omega_rad_per_ms = 1.0 / tau_w;
        r->zeta = tau_w / (2.0 * tau_d);
        r->tau_ms = tau_w;
    }
    r->gain = quant ? cx_dac_gain(chip, c->gain) : c->gain;
    r->offset = quant ? cx_dac_offset(chip, c->offset) : c->offset;
    if (mis) {
        r->gain *= exp(chip->noise.mismatch.gain_rel * dr->n_gain);
        r->offset += chip->noise.mismatch.offset_sigma * dr->n_offset;
    }
}

/* Update coefficients of internal compartment j from its realization. */
static cx_status set_coefficients(cx_tile *t, const cx_chip_config *chip, size_t j,
                                  const cx_tile_realized_comp *r)
{
    cx_comp_disc d;
    memset(&d, 0, sizeof d);
    if (!t->continuous) {
        if (r->kind == CX_TILE_FIRST_ORDER) {
            cx_comp_fo_disc fo;
            CX_TRY(cx_comp_fo_discretize(r->tau_ms, 0, t->h_ms, &fo));
            d.phi[0] = fo.phi;
            d.gamma[0] = fo.gamma;
        } else {
            CX_TRY(cx_comp_discretize(r->omega_rad_per_ms, r->zeta, 0, 0, t->h_ms, &d));
        }
        d.chol[0] = r->sigma_x; /* one kT/C sample on x per step */
        d.chol[1] = d.chol[2] = 0;
    } else {
        double omega = r->omega_rad_per_ms, zeta = r->zeta;
        if (r->kind == CX_TILE_FIRST_ORDER) {
            cx_comp_params p;
            CX_TRY(cx_comp_realize_first_order(r->tau_ms, chip->tile.compartment.tau_min_ms, 1, 0,
                                               0, &p));
            omega = p.omega_rad_per_ms, zeta = p.zeta;
        }
        double sigma = cx_chip_thermal_diffusion(r->sigma_x, omega, zeta);
        CX_TRY(cx_comp_discretize(omega, zeta, 0, sigma, t->sub_ms, &d));
    }
    t->p11[j] = d.phi[0], t->p12[j] = d.phi[1], t->p21[j] = d.phi[2], t->p22[j] = d.phi[3];
    t->g1[j] = d.gamma[0], t->g2[j] = d.gamma[1];
    t->l11[j] = d.chol[0], t->l21[j] = d.chol[1], t->l22[j] = d.chol[2];
    t->gain[j] = r->gain, t->offset[j] = r->offset;
    return CX_OK;
}

static cx_status build_comps(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                             cx_rng *mismatch)
{
    size_t n = net->n_comps;
    /* Stages run 0 .. the highest stage of any compartment or dendrite. */
    t->n_stages = 1;
    for (size_t i = 0; i < n; i++)
        if (net->comps[i].stage + 1 > t->n_stages) t->n_stages = net->comps[i].stage + 1;
    for (size_t i = 0; i < net->n_dendrites; i++)
        if (net->dendrites[i].stage + 1 > t->n_stages) t->n_stages = net->dendrites[i].stage + 1;
    t->stage_at = calloc((size_t)t->n_stages + 1, sizeof *t->stage_at);
    if (!t->stage_at) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    /* Stable counting sort by stage: each stage becomes one contiguous run. */
    for (size_t i = 0; i < n; i++)
        t->stage_at[net->comps[i].stage + 1]++;
    size_t next[CX_TILE_MAX_STAGES];
    for (int st = 0; st < t->n_stages; st++) {
        t->stage_at[st + 1] += t->stage_at[st];
        next[st] = t->stage_at[st];
    }
    for (size_t i = 0; i < n; i++)
        t->perm[next[net->comps[i].stage]++] = i;
    for (size_t j = 0; j < n; j++)
        t->inv[t->perm[j]] = j;
    t->sigma_x = chip->noise.thermal.enabled ? cx_chip_thermal_sigma_x(chip) : 0.0;
    for (size_t i = 0; i < n; i++) {
        comp_draw dr = {0, 0, 0, 0};
        if (chip->noise.mismatch.enabled) {
            double z[4];
            cx_rng_fill_normal(mismatch, z, 4);
            dr = (comp_draw){z[0], z[1], z[2], z[3]};
        }
        cx_tile_realized_comp *r = &t->realized[i];
        realize_comp(chip, &net->comps[i], &dr, r);
        r->sigma_x = t->sigma_x;
        size_t j = t->inv[i];
        cx_status st = set_coefficients(t, chip, j, r);
        if (st != CX_OK) return cx_fail_context(st, "tile: compartment %zu", i);
        t->x0[j] = net->comps[i].x0;
        t->v0[j] = net->comps[i].v0;
    }
    return CX_OK;
}

static cx_status build_flicker(cx_tile *t, const cx_chip_config *chip, int *failed)
{
    t->flicker_on = chip->noise.flicker.enabled;
    if (!t->flicker_on) return CX_OK;
    int k = cx_chip_flicker_processes(chip);
    if (k < 1) k = 1;
    t->n_flicker = k;
    t->fl_state = cx_tile_zalloc((size_t)k * t->n_comps, sizeof *t->fl_state, failed);
    t->fl_a = cx_tile_zalloc((size_t)k, sizeof *t->fl_a, failed);
    t->fl_s = cx_tile_zalloc((size_t)k, sizeof *t->fl_s, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    /* Equal-variance OU processes with log-uniform corners sum to a 1/f
     * spectrum sigma^2 / (f ln(f_high/f_low)) inside the band. */
    double lo = chip->noise.flicker.f_low_hz, hi = chip->noise.flicker.f_high_hz;
    double s = chip->noise.flicker.sigma / sqrt((double)k);
    t->fl_every = cx_tile_zalloc((size_t)k, sizeof *t->fl_every, failed);
    t->fl_sum = cx_tile_zalloc(t->n_comps, sizeof *t->fl_sum, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    for (int p = 0; p < k; p++) {
        double fc = lo * pow(hi / lo, (p + 0.5) / k);
        /* A slow process moves little per update: step it (exactly) once per
         * 1/50 of its corner period and hold it between, which leaves its
         * spectrum intact below ~50 fc and costs a fraction of a normal. */
        double every = floor(0.02 / (fc * t->sub_ms / 1000.0));
        t->fl_every[p] = every < 1 ? 1 : every > 1e9 ? 1000000000 : (uint64_t)every;
        t->fl_a[p] = exp(-CX_TWO_PI * fc * (double)t->fl_every[p] * t->sub_ms / 1000.0);
        t->fl_s[p] = s; /* stationary std; innovation is s sqrt(1 - a^2) */
    }
    return CX_OK;
}

static double max_abs(const double *w, size_t count)
{
    double m = 0;
    for (size_t i = 0; i < count; i++)
        m = fmax(m, fabs(w[i]));
    return m;
}

typedef struct {
    uint32_t source, index;
} syn_order;

static int syn_order_cmp(const void *a, const void *b)
{
    const syn_order *x = a, *y = b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The runs of equal sources in the sorted table, and a hash index from a
 * source key to its run, at most half full: a delivery costs one probe, not
 * a search. */
static cx_status build_source_index(cx_tile *t, int *failed)
{
    size_t runs = 0;
    for (size_t k = 0; k < t->n_syn; k++)
        runs += k == 0 || t->syn_src[k] != t->syn_src[k - 1];
    int bits = 4;
    while (((size_t)1 << bits) < 2 * runs)
        bits++;
    t->src_shift = 64 - bits;
    t->src_mask = ((uint64_t)1 << bits) - 1;
    t->runs = cx_tile_zalloc(runs, sizeof *t->runs, failed);
    t->src_slots = cx_tile_zalloc((size_t)1 << bits, sizeof *t->src_slots, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    memset(t->src_slots, 0xff, ((size_t)1 << bits) * sizeof *t->src_slots);
    t->n_runs = 0;
    for (size_t k = 0; k < t->n_syn;) {
        size_t e = k;
        while (e < t->n_syn && t->syn_src[e] == t->syn_src[k])
            e++;
        uint64_t h = cx_tile_src_hash(t, t->syn_src[k]);
        while (t->src_slots[h] != UINT32_MAX)
            h = (h + 1) & t->src_mask;
        t->src_slots[h] = (uint32_t)t->n_runs;
        t->runs[t->n_runs++] = (tile_src_slot){t->syn_src[k], (uint32_t)k, (uint32_t)(e - k)};
        k = e;
    }
    return CX_OK;
}

static cx_status build_synapses(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                                const cx_chip_tile_defect_list *def, cx_rng *mismatch, int *failed)
{
    size_t n = net->n_synapses;
    t->n_syn = n;
    t->syn_src = cx_tile_zalloc(n, sizeof *t->syn_src, failed);
    t->syn_comp = cx_tile_zalloc(n, sizeof *t->syn_comp, failed);
    t->syn_w = cx_tile_zalloc(n, sizeof *t->syn_w, failed);
    t->syn_w_user = cx_tile_zalloc(n, sizeof *t->syn_w_user, failed);
    size_t *order = cx_tile_zalloc(n, sizeof *order, failed);
    if (*failed) {
        free(order);
        return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    }
    double fs = net->synapse_full_scale;
    for (size_t i = 0; i < n && net->synapse_full_scale == 0; i++)
        fs = fmax(fs, fabs(net->synapses[i].weight));
    int quant = chip->noise.quantization.enabled && chip->noise.quantization.weights;
    for (size_t i = 0; i < n; i++) {
        double w = net->synapses[i].weight;
        if (quant) w = cx_dac_magnitude(w, fs, chip->tile.synapses.weight_bits);
        if (chip->noise.mismatch.enabled)
            w *= exp(chip->noise.mismatch.weight_rel * cx_rng_normal(mismatch));
        t->syn_w_user[i] = w;
        order[i] = i;
    }
    /* dead entries: remapped, the table skips them; else synapse e is lost */
    for (size_t k = 0; !chip->defects.remap && k < def->n_synapses && def->synapse[k] < n; k++) {
        t->syn_w_user[def->synapse[k]] = 0;
        t->defects.dead_synapses++;
    }
    /* Stable by source: equal sources stay in netlist order. */
    syn_order *ord = cx_tile_zalloc(n, sizeof *ord, failed);
    if (*failed) {
        free(order);
        return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        ord[i] = (syn_order){net->synapses[i].source, (uint32_t)i};
    qsort(ord, n, sizeof *ord, syn_order_cmp);
    for (size_t k = 0; k < n; k++)
        order[k] = ord[k].index;
    free(ord);
    for (size_t k = 0; k < n; k++) {
        const cx_tile_synapse_spec *s = &net->synapses[order[k]];
        t->syn_src[k] = s->source;
        t->syn_comp[k] = (uint32_t)t->inv[s->compartment];
        t->syn_w[k] = t->syn_w_user[order[k]];
    }
    free(order);
    return build_source_index(t, failed);
}

/* 1 when physical column c of array a has a stuck cell in rows 0..n_rows-1. */
static int column_stuck(const cx_chip_tile_defect_list *def, size_t a, size_t c, size_t n_rows,
                        size_t rows, size_t cols)
{
    for (size_t k = 0; k < def->n_cells; k++) {
        size_t cell = def->cell[k], ka = cell / (rows * cols), kr = cell / cols % rows;
        if (ka == a && cell % cols == c && kr < n_rows) return 1;
    }
    return 0;
}

/* Value (x full scale) of the stuck cell (a, r, c), or NAN when it works. */
static double cell_stuck(const cx_chip_tile_defect_list *def, size_t a, size_t r, size_t c,
                         size_t rows, size_t cols)
{
    uint32_t want = (uint32_t)((a * rows + r) * cols + c);
    for (size_t k = 0; k < def->n_cells; k++)
        if (def->cell[k] == want) return def->cell_value[k];
    return NAN;
}

/* Stuck crossbar cells of array A (physical index a): with remap, a used
 * column that meets one moves to a spare column that does not; the weights
 * left on stuck cells take the cells' values. */
static cx_status place_columns(cx_tile *t, const cx_chip_config *chip,
                               const cx_chip_tile_defect_list *def, size_t a, tile_array *A,
                               double *abs_sum, double *lost)
{
    size_t rows = (size_t)chip->tile.dendrite.rows, cols = (size_t)chip->tile.dendrite.cols;
    size_t *col = malloc((A->n_out + 1) * sizeof *col); /* logical -> physical column */
    if (!col) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    for (size_t c = 0; c < A->n_out; c++)
        col[c] = c;
    /* spares are taken in order: one skipped as stuck stays so for later columns */
    for (size_t c = 0, spare = A->n_out; chip->defects.remap && c < A->n_out; c++) {
        if (!column_stuck(def, a, c, A->n_in, rows, cols)) continue;
        while (spare < cols && column_stuck(def, a, spare, A->n_in, rows, cols))
            spare++;
        if (spare == cols) break;
        col[c] = spare++;
        t->defects.moved_columns++;
    }
    for (size_t c = 0; c < A->n_out; c++)
        for (size_t r = 0; r < A->n_in; r++) {
            double *w = &A->w[c * A->n_in + r];
            *abs_sum += fabs(*w);
            double v = cell_stuck(def, a, r, col[c], rows, cols);
            if (isnan(v)) continue;
            *lost += fabs(*w - v * A->full_scale);
            *w = v * A->full_scale;
            t->defects.stuck_weights++;
        }
    free(col);
    return CX_OK;
}

static cx_status build_dendrites(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                                 const cx_chip_tile_defect_list *def, int *failed)
{
    double abs_sum = 0, lost = 0;
    size_t nd = net->n_dendrites, total = 0, out = 0, scratch = 1;
    for (size_t i = 0; i < nd; i++)
        total += (size_t)cx_tile_arrays_needed(chip, &net->dendrites[i]);
    t->n_dend = nd;
    t->dend = cx_tile_zalloc(nd, sizeof *t->dend, failed);
    t->arrays = cx_tile_zalloc(total, sizeof *t->arrays, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    t->n_arrays = total;
    int quant = chip->noise.quantization.enabled && chip->noise.quantization.weights;
    int xbar = chip->noise.crossbar.enabled;
    t->read_sigma = xbar ? chip->noise.crossbar.read_sigma : 0.0;
    cx_rng prog;
    cx_rng_seed(&prog, t->id.seed, t->id.chip, t->id.tile, CX_RNG_STREAM_CROSSBAR_PROGRAMMING);
    size_t rows = (size_t)chip->tile.dendrite.rows, cols = (size_t)chip->tile.dendrite.cols;
    size_t a = 0;
    for (size_t i = 0; i < nd; i++) {
        const cx_tile_dendrite_spec *s = &net->dendrites[i];
        tile_dendrite *d = &t->dend[i];
        size_t n_in = s->n_in + (s->bias != NULL); /* the bias is an input held at 1 */
        d->n_in = n_in, d->n_out = s->n_out, d->act = s->activation, d->stage = s->stage;
        d->out_bus = t->bus_dend + out;
        out += s->n_out;
        d->in_bus = cx_tile_zalloc(n_in, sizeof *d->in_bus, failed);
        if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
        for (size_t k = 0; k < s->n_in; k++)
            CX_TRY(cx_tile_bus_index(t, &s->inputs[k], &d->in_bus[k]));
        if (s->bias) d->in_bus[s->n_in] = 0;
        d->array0 = a;
        for (size_t r0 = 0; r0 < s->n_out; r0 += cols)
            for (size_t c0 = 0; c0 < n_in; c0 += rows, a++) {
                tile_array *A = &t->arrays[a];
                A->spec = i, A->in0 = c0, A->out0 = r0;
                A->n_in = n_in - c0 < rows ? n_in - c0 : rows;
                A->n_out = s->n_out - r0 < cols ? s->n_out - r0 : cols;
                A->w = cx_tile_zalloc(A->n_in * A->n_out, sizeof *A->w, failed);
                if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
                for (size_t r = 0; r < A->n_out; r++)
                    for (size_t c = 0; c < A->n_in; c++) {
                        size_t gi = c0 + c, go = r0 + r;
                        A->w[r * A->n_in + c] =
                            gi < s->n_in ? s->weights[go * s->n_in + gi] : s->bias[go];
                    }
                A->full_scale =
                    s->full_scale > 0 ? s->full_scale : max_abs(A->w, A->n_in * A->n_out);
                for (size_t k = 0; k < A->n_in * A->n_out; k++) {
                    double w = A->w[k];
                    if (quant)
                        w = cx_dac_magnitude(w, A->full_scale, chip->tile.dendrite.weight_bits);
                    if (xbar)
                        w += chip->noise.crossbar.programming_sigma * A->full_scale *
                             cx_rng_normal(&prog);
                    A->w[k] = w;
                }
                if (def->n_cells) CX_TRY(place_columns(t, chip, def, a, A, &abs_sum, &lost));
            }
        d->n_arrays = a - d->array0;
        if (n_in > scratch) scratch = n_in;
        if (s->n_out > scratch) scratch = s->n_out;
    }
    t->defects.lost_weight = abs_sum > 0 ? lost / abs_sum : 0;
    t->dend_scratch = scratch;
    t->dend_in = cx_tile_zalloc(scratch, sizeof *t->dend_in, failed);
    t->dend_acc = cx_tile_zalloc(scratch, sizeof *t->dend_acc, failed);
    t->dend_noise = cx_tile_zalloc(scratch, sizeof *t->dend_noise, failed);
    return *failed ? cx_fail(CX_ERR_NOMEM, "tile: out of memory") : CX_OK;
}

/* ---------------------------------------------------------------- alloc */

static cx_status alloc_planes(cx_tile *t, size_t n, int *failed)
{
    double **planes[] = {&t->v,    &t->x_user, &t->v_user, &t->p11, &t->p12,   &t->p21,
                         &t->p22,  &t->g1,     &t->g2,     &t->l11, &t->l21,   &t->l22,
                         &t->gain, &t->offset, &t->x0,     &t->v0,  &t->drive, &t->syn};
    for (size_t k = 0; k < sizeof planes / sizeof planes[0]; k++)
        *planes[k] = cx_tile_zalloc(n, sizeof(double), failed);
    t->normals = cx_tile_zalloc(2 * n, sizeof(double), failed);
    t->perm = cx_tile_zalloc(n, sizeof *t->perm, failed);
    t->inv = cx_tile_zalloc(n, sizeof *t->inv, failed);
    t->realized = cx_tile_zalloc(n, sizeof *t->realized, failed);
    return *failed ? cx_fail(CX_ERR_NOMEM, "tile: out of memory") : CX_OK;
}

/* With remap the netlist must fit the working compartment slots and
 * synapse entries; the message names the defects that take the rest. */
static cx_status check_capacity(const cx_chip_config *chip, const cx_tile_netlist *net,
                                const cx_chip_tile_defect_list *def)
{
    if (!chip->defects.remap) return CX_OK;
    long comps = chip->tile.compartments - (long)def->n_comps;
    long entries = chip->tile.synapses.entries - (long)def->n_synapses;
    if ((long)net->n_comps > comps)
        return cx_fail(CX_ERR_FIT,
                       "tile: needs %zu compartments, %ld of the tile's %d work (%zu stuck: "
                       "defects.compartments, defects.random.compartments)",
                       net->n_comps, comps, chip->tile.compartments, def->n_comps);
    if ((long)net->n_synapses > entries)
        return cx_fail(CX_ERR_FIT,
                       "tile: needs %zu synapse entries, %ld of the tile's %d work (%zu dead: "
                       "defects.synapses, defects.random.synapses)",
                       net->n_synapses, entries, chip->tile.synapses.entries, def->n_synapses);
    return CX_OK;
}

/* Stuck compartment slots: with remap the netlist's compartments sit on the
 * working slots; without it compartment i sits on slot i, and a stuck slot
 * holds its compartment's state at the slot's value. */
static cx_status stick_comps(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                             const cx_chip_tile_defect_list *def)
{
    if (chip->defects.remap || !def->n_comps) return CX_OK;
    t->stuck_idx = malloc(def->n_comps * sizeof *t->stuck_idx);
    t->stuck_val = malloc(def->n_comps * sizeof *t->stuck_val);
    if (!t->stuck_idx || !t->stuck_val) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    for (size_t k = 0; k < def->n_comps && def->comp[k] < net->n_comps; k++) {
        t->stuck_idx[t->n_stuck] = t->inv[def->comp[k]];
        t->stuck_val[t->n_stuck++] = def->comp_value[k];
    }
    t->defects.stuck_compartments = t->n_stuck;
    return CX_OK;
}

static cx_status build(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net)
{
    int failed = 0;
    t->continuous = chip->tile.mode == CX_CHIP_CONTINUOUS;
    t->h_ms = net->step_ms;
    t->nsub = t->continuous ? (int)round(net->step_ms / chip->tile.analog_step_ms) : 1;
    t->sub_ms = t->h_ms / t->nsub;
    t->n_comps = net->n_comps, t->n_in = net->n_inputs;
    t->n_dend_out = cx_tile_dendrite_outputs(net), t->n_somas = net->n_somas;
    t->n_readouts = net->n_readouts;
    t->x_min = chip->tile.rails.x_min, t->x_max = chip->tile.rails.x_max;
    t->clip = chip->noise.saturation.enabled;
    t->thermal_on = chip->noise.thermal.enabled;
    CX_TRY(alloc_planes(t, t->n_comps, &failed));
    CX_TRY(cx_tile_build_delays(t, net, &failed));
    t->bus_in = 1;
    t->bus_x = t->bus_in + t->n_in;
    t->bus_dend = t->bus_x + t->n_comps;
    t->bus_soma = t->bus_dend + t->n_dend_out;
    t->bus_delayed = t->bus_soma + t->n_somas;
    t->bus_n = t->bus_delayed + t->n_delayed;
    for (size_t k = 0; k < t->n_delayed; k++)
        t->delayed[k].bus = t->bus_delayed + k;
    t->bus = cx_tile_zalloc(t->bus_n, sizeof *t->bus, &failed);
    if (failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");

    cx_chip_tile_defect_list def = {0};
    int W = chip->mesh.width;
    if (cx_chip_has_tile_defects(chip) && t->id.tile < (uint32_t)(W * chip->mesh.height))
        CX_TRY(cx_chip_tile_defects(chip, (int)(t->id.tile % (uint32_t)W),
                                    (int)(t->id.tile / (uint32_t)W), &def));
    cx_status st = check_capacity(chip, net, &def);
    cx_rng mismatch;
    cx_rng_seed(&mismatch, t->id.seed, t->id.chip, t->id.tile, CX_RNG_STREAM_MISMATCH);
    if (st == CX_OK) st = build_comps(t, chip, net, &mismatch);
    if (st == CX_OK) st = stick_comps(t, chip, net, &def);
    if (st == CX_OK) st = cx_tile_build_comp_inputs(t, net, &failed);
    if (st == CX_OK) st = build_flicker(t, chip, &failed);
    if (st == CX_OK) st = build_synapses(t, chip, net, &def, &mismatch, &failed);
    if (st == CX_OK) st = build_dendrites(t, chip, net, &def, &failed);
    cx_chip_tile_defects_free(&def);
    CX_TRY(st);
    CX_TRY(cx_tile_build_somas_readouts(t, chip, net, &failed));
    t->ring_len = 1;
    while (t->ring_len < (size_t)t->nsub * 2 + 2)
        t->ring_len *= 2;
    t->ring = cx_tile_zalloc(t->ring_len * t->n_comps, sizeof *t->ring, &failed);
    t->ring_used = cx_tile_zalloc(t->ring_len, 1, &failed);
    if (failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    double phys_ms = t->h_ms / chip->acceleration;
    t->static_pj_per_step = (chip->energy.compartment_static_nw * (double)t->n_comps +
                             chip->energy.tile_static_uw * 1000.0) *
                            phys_ms;
    return CX_OK;
}

cx_status cx_tile_alloc(const cx_chip_config *chip, const cx_tile_netlist *net,
                        const cx_tile_id *id, cx_tile **out)
{
    *out = NULL;
    CX_TRY(cx_tile_check_netlist(chip, net));
    cx_tile *t = calloc(1, sizeof *t);
    if (!t) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    t->chip_scalars = *chip;
    t->chip_scalars.name = t->chip_scalars.description = NULL;
    t->chip_scalars.router.hosts = NULL;
    t->chip_scalars.router.n_hosts = 0;
    memset(&t->chip_scalars.defects, 0, sizeof t->chip_scalars.defects);
    t->id = *id;
    cx_status st = build(t, chip, net);
    if (st != CX_OK) {
        cx_tile_free(t);
        return st;
    }
    cx_tile_reset(t);
    *out = t;
    return CX_OK;
}
