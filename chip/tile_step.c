/* Tile stepping: synaptic pulses, dendrite arrays, compartments, somas and
 * readouts for one model step; spike delivery; accessors. */
#include "cx_dac.h"
#include "tile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *ring_row(const cx_tile *t, uint64_t update)
{
    return t->ring + (size_t)(update & (t->ring_len - 1)) * t->n_comps;
}

static double *x_plane(const cx_tile *t)
{
    return t->bus + t->bus_x;
}

/* The netlist-order copies are refreshed when read (cx_tile_x/v). */
static void sync_user_order(cx_tile *t)
{
    t->user_dirty = 0;
    if (t->identity) return;
    const double *x = x_plane(t);
    for (size_t j = 0; j < t->n_comps; j++) {
        t->x_user[t->perm[j]] = x[j];
        t->v_user[t->perm[j]] = t->v[j];
    }
}

/* The drive sees the sum of the processes, refreshed when one moves. */
static void sum_flicker(cx_tile *t)
{
    size_t n = t->n_comps;
    memset(t->fl_sum, 0, n * sizeof(double));
    for (int p = 0; p < t->n_flicker; p++) {
        const double *st = t->fl_state + (size_t)p * n;
        for (size_t j = 0; j < n; j++)
            t->fl_sum[j] += st[j];
    }
}

/* Stuck compartments hold their values, whatever drives them. */
static void hold_stuck(cx_tile *t)
{
    double *x = x_plane(t);
    for (size_t k = 0; k < t->n_stuck; k++) {
        x[t->stuck_idx[k]] = t->stuck_val[k];
        t->v[t->stuck_idx[k]] = 0;
    }
}

void cx_tile_reset(cx_tile *t)
{
    size_t n = t->n_comps;
    memset(t->bus, 0, t->bus_n * sizeof *t->bus);
    t->bus[0] = 1.0;
    memcpy(x_plane(t), t->x0, n * sizeof(double));
    memcpy(t->v, t->v0, n * sizeof(double));
    if (t->n_stuck) hold_stuck(t);
    memset(t->syn, 0, n * sizeof(double));
    memset(t->ring, 0, t->ring_len * n * sizeof(double));
    memset(t->ring_used, 0, t->ring_len);
    t->syn_live = 0;
    memset(t->rate_hist, 0, t->hist_len * t->n_somas * sizeof(double));
    memset(t->readout, 0, t->n_readouts * sizeof(double));
    for (size_t i = 0; i < t->n_somas; i++)
        t->somas[i].acc = 0;
    t->sub_now = t->step_now = 0;
    t->when_now = UINT64_MAX; /* no delivery times cached */
    t->n_spk = 0;
    memset(&t->stats, 0, sizeof t->stats);
    const cx_tile_id *id = &t->id;
    cx_rng_seed(&t->rng_thermal, id->seed, id->chip, id->tile, CX_RNG_STREAM_THERMAL);
    cx_rng_seed(&t->rng_flicker, id->seed, id->chip, id->tile, CX_RNG_STREAM_FLICKER);
    cx_rng_seed(&t->rng_read, id->seed, id->chip, id->tile, CX_RNG_STREAM_CROSSBAR_READ);
    cx_rng_seed(&t->rng_encoder, id->seed, id->chip, id->tile, CX_RNG_STREAM_ENCODER);
    /* Flicker starts in its stationary state: no start-up transient. */
    for (int p = 0; p < t->n_flicker; p++) {
        double *st = t->fl_state + (size_t)p * n;
        cx_rng_fill_normal(&t->rng_flicker, st, n);
        for (size_t j = 0; j < n; j++)
            st[j] *= t->fl_s[p];
    }
    if (t->n_flicker) sum_flicker(t);
    sync_user_order(t);
}

void cx_tile_set_inputs(cx_tile *t, const double *inputs)
{
    memcpy(t->bus + t->bus_in, inputs, t->n_in * sizeof(double));
}

/* Makes the ring hold updates up to `last` (exclusive of wrap-around). */
static int ring_reserve(cx_tile *t, uint64_t last)
{
    size_t need = (size_t)(last - t->sub_now) + 1;
    if (need <= t->ring_len) return 1;
    size_t len = t->ring_len;
    while (len < need)
        len *= 2;
    double *ring = calloc(len * t->n_comps, sizeof *ring);
    unsigned char *used = calloc(len, 1);
    if (!ring || !used) {
        free(ring);
        free(used);
        return 0;
    }
    for (uint64_t u = t->sub_now; u < t->sub_now + t->ring_len; u++) {
        memcpy(ring + (size_t)(u & (len - 1)) * t->n_comps, ring_row(t, u),
               t->n_comps * sizeof(double));
        used[u & (len - 1)] = t->ring_used[u & (t->ring_len - 1)];
    }
    free(t->ring);
    free(t->ring_used);
    t->ring = ring;
    t->ring_used = used;
    t->ring_len = len;
    return 1;
}

long cx_tile_source_run(const cx_tile *t, uint32_t source)
{
    for (uint64_t h = cx_tile_src_hash(t, source);; h = (h + 1) & t->src_mask) {
        uint32_t r = t->src_slots[h];
        if (r == UINT32_MAX) return -1;
        if (t->runs[r].key == source) return (long)r;
    }
}

void cx_tile_deliver_run(cx_tile *t, long run, double value, double due_ms, double arrival_ms)
{
    t->stats.spikes_in++;
    if (run < 0 || (size_t)run >= t->n_runs) return; /* no synapse entry: ignored */
    const tile_src_slot *slot = &t->runs[run];
    uint64_t update;
    int late;
    if (due_ms == t->when_due && arrival_ms == t->when_arrival && t->sub_now == t->when_now) {
        update = t->when_update; /* spikes of one step share their times: computed once */
        late = t->when_late;
    } else {
        double start = fmax(due_ms, arrival_ms);
        late = arrival_ms > due_ms + 1e-9 * t->h_ms;
        double k = ceil(start / t->sub_ms - 1e-9);
        update = k < (double)t->sub_now ? t->sub_now : (uint64_t)k;
        if ((double)update > k) late = 1; /* its time has passed: acts now */
        t->when_due = due_ms, t->when_arrival = arrival_ms, t->when_now = t->sub_now;
        t->when_update = update, t->when_late = late;
    }
    if (late) t->stats.late_spikes++;
    uint64_t last = t->continuous ? update + (uint64_t)t->nsub : update;
    if (!ring_reserve(t, last)) return; /* out of memory: the spike is lost, counted as late */
    double *on = ring_row(t, update), *off = t->continuous ? ring_row(t, last) : NULL;
    t->ring_used[update & (t->ring_len - 1)] = 1;
    if (off) t->ring_used[last & (t->ring_len - 1)] = 1;
    const uint32_t *restrict comp = t->syn_comp + slot->first;
    const double *restrict w = t->syn_w + slot->first;
    for (size_t e = 0; e < slot->n; e++) {
        double pulse = w[e] * value; /* exact for value 1: plain spikes are unchanged */
        on[comp[e]] += pulse;
        if (off) off[comp[e]] -= pulse;
    }
    t->stats.synaptic_events += slot->n;
    t->stats.energy_pj += (double)slot->n * t->chip_scalars.energy.synaptic_event_pj;
}

void cx_tile_deliver_value(cx_tile *t, uint32_t source, double value, double due_ms,
                           double arrival_ms)
{
    cx_tile_deliver_run(t, cx_tile_source_run(t, source), value, due_ms, arrival_ms);
}

void cx_tile_deliver(cx_tile *t, uint32_t source, double due_ms, double arrival_ms)
{
    cx_tile_deliver_value(t, source, 1.0, due_ms, arrival_ms);
}

/* ---------------------------------------------------------------- parts */

static double activate(cx_chip_activation act, double a)
{
    switch (act) {
    case CX_CHIP_ACT_RELU:
        return a > 0 ? a : 0;
    case CX_CHIP_ACT_SILU:
        return a / (1.0 + exp(-a));
    case CX_CHIP_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-a));
    case CX_CHIP_ACT_TANH:
        return tanh(a);
    case CX_CHIP_ACT_SCALED_TANH:
        return 1.7159 * tanh(a * (2.0 / 3.0));
    case CX_CHIP_ACT_IDENTITY:
        break;
    }
    return a;
}

static void eval_dendrite(cx_tile *t, const tile_dendrite *d)
{
    double *in = t->dend_in, *acc = t->dend_acc;
    for (size_t k = 0; k < d->n_in; k++)
        in[k] = t->bus[d->in_bus[k]];
    memset(acc, 0, d->n_out * sizeof *acc);
    for (size_t a = d->array0; a < d->array0 + d->n_arrays; a++) {
        const tile_array *A = &t->arrays[a];
        const double *x = in + A->in0;
        double noise_scale = 0;
        if (t->read_sigma > 0) {
            /* Independent read noise on every weight sums to one normal per
             * output with std read_sigma * fs * |x| (exact in distribution). */
            double norm2 = 0;
            for (size_t c = 0; c < A->n_in; c++)
                norm2 += x[c] * x[c];
            noise_scale = t->read_sigma * A->full_scale * sqrt(norm2);
            cx_rng_fill_normal(&t->rng_read, t->dend_noise, A->n_out);
        }
        for (size_t r = 0; r < A->n_out; r++) {
            const double *w = A->w + r * A->n_in;
            double s = 0;
            for (size_t c = 0; c < A->n_in; c++)
                s += w[c] * x[c];
            acc[A->out0 + r] += s + (noise_scale > 0 ? noise_scale * t->dend_noise[r] : 0.0);
        }
        t->stats.dendrite_macs += A->n_in * A->n_out;
    }
    double *out = t->bus + d->out_bus;
    for (size_t r = 0; r < d->n_out; r++)
        out[r] = activate(d->act, acc[r]);
}

/* Drives d = g * (sum w s + syn) + b + flicker + sum G (E - x) of [b, e):
 * one vector pass for the plain part, then the compartments with terms. */
static void compute_drives(cx_tile *t, size_t b, size_t e)
{
    const double *bus = t->bus, *x = x_plane(t);
    const tile_csr *D = &t->drive_csr, *C = &t->cond_csr;
    double *restrict d = t->drive;
    const double *restrict gain = t->gain, *restrict offset = t->offset, *restrict syn = t->syn;
    for (size_t j = b; j < e; j++)
        d[j] = gain[j] * syn[j] + offset[j];
    for (size_t k = t->termed_at[b]; k < t->termed_at[e]; k++) {
        size_t j = t->termed[k];
        double u = syn[j];
        for (size_t q = D->row[j]; q < D->row[j + 1]; q++)
            u += D->w[q] * bus[D->idx[q]];
        double dj = gain[j] * u + offset[j];
        for (size_t q = C->row[j]; q < C->row[j + 1]; q++)
            dj += C->w[q] * bus[C->idx[q]] * (C->e[q] - x[j]);
        d[j] = dj;
    }
    if (t->n_flicker) {
        const double *restrict fl = t->fl_sum;
        for (size_t j = b; j < e; j++)
            d[j] += fl[j];
    }
}

/* restrict on parameters is what lets the compiler vectorize. Returns the
 * number of updates that hit a rail. */
static uint64_t
update_planes(size_t n, double *restrict x, double *restrict v, const double *restrict p11,
              const double *restrict p12, const double *restrict p21, const double *restrict p22,
              const double *restrict g1, const double *restrict g2, const double *restrict l11,
              const double *restrict l21, const double *restrict l22, const double *restrict d,
              const double *restrict n1, const double *restrict n2, int clip, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], vi = v[i];
        x[i] = p11[i] * xi + p12[i] * vi + g1[i] * d[i] + l11[i] * n1[i];
        v[i] = p21[i] * xi + p22[i] * vi + g2[i] * d[i] + l21[i] * n1[i] + l22[i] * n2[i];
    }
    if (!clip) return 0;
    uint64_t clipped = 0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], vi = v[i];
        int above = xi > hi, below = xi < lo;
        clipped += (uint64_t)(above | below);
        /* A saturated integrator stops; the other keeps only motion back inside.
         * Plain selects (not fmin/fmax) so the loop vectorizes. */
        v[i] = (above && vi > 0) || (below && vi < 0) ? 0.0 : vi;
        x[i] = above ? hi : below ? lo : xi;
    }
    return clipped;
}

static void step_comps(cx_tile *t, size_t b, size_t e)
{
    size_t n = e - b;
    if (n == 0) return;
    compute_drives(t, b, e);
    double *n1 = t->normals, *n2 = t->normals + t->n_comps;
    if (t->thermal_on) {
        cx_rng_fill_normal(&t->rng_thermal, n1, n);
        if (t->continuous) cx_rng_fill_normal(&t->rng_thermal, n2, n);
    }
    t->stats.clipped_steps +=
        update_planes(n, x_plane(t) + b, t->v + b, t->p11 + b, t->p12 + b, t->p21 + b, t->p22 + b,
                      t->g1 + b, t->g2 + b, t->l11 + b, t->l21 + b, t->l22 + b, t->drive + b, n1,
                      n2, t->clip, t->x_min, t->x_max);
}

static void step_flicker(cx_tile *t)
{
    size_t n = t->n_comps;
    int moved = 0;
    for (int p = 0; p < t->n_flicker; p++) {
        if (t->sub_now % t->fl_every[p]) continue;
        double *st = t->fl_state + (size_t)p * n, *z = t->normals;
        double a = t->fl_a[p], s = t->fl_s[p] * sqrt(1.0 - a * a);
        cx_rng_fill_normal(&t->rng_flicker, z, n);
        for (size_t j = 0; j < n; j++)
            st[j] = a * st[j] + s * z[j];
        moved = 1;
    }
    if (moved) sum_flicker(t);
}

static void emit_spike(cx_tile *t, size_t soma, double value)
{
    if (t->n_spk < t->cap_spk) {
        t->spk_soma[t->n_spk] = (uint32_t)soma;
        t->spk_time[t->n_spk] = (double)(t->sub_now + 1) * t->sub_ms;
        t->spk_value[t->n_spk] = value;
        t->n_spk++;
    }
    t->stats.spikes_out++;
    t->stats.energy_pj += t->chip_scalars.energy.spike_encode_pj;
}

/* `last`: the last update of the model step, when graded somas send. */
static void step_somas(cx_tile *t, int last)
{
    double *rate = t->bus + t->bus_soma, *x = x_plane(t);
    for (size_t i = 0; i < t->n_somas; i++) {
        tile_soma *m = &t->somas[i];
        double s = t->bus[m->in_bus];
        if (m->kind == CX_TILE_SOMA_THRESHOLD) {
            int fire = s >= m->threshold;
            rate[i] = fire;
            if (fire) {
                x[m->reset_comp] = m->reset;
                t->v[m->reset_comp] = 0;
                if (m->emit) emit_spike(t, i, 1.0);
            }
            continue;
        }
        rate[i] = 1.0 / (1.0 + exp(-(s - m->threshold) / m->width));
        if (!m->emit) continue;
        if (t->encoder == CX_CHIP_ENC_GRADED) { /* one value per model step, not per update */
            if (!last) continue;
            double v =
                t->payload_quant ? cx_dac_payload_unsigned(rate[i], t->payload_bits) : rate[i];
            if (v != 0) emit_spike(t, i, v); /* a zero would change nothing downstream */
            continue;
        }
        double p = fmin(1.0, rate[i] * t->soma_dt_scale);
        int fire;
        if (t->encoder == CX_CHIP_ENC_BERNOULLI) {
            fire = cx_rng_uniform(&t->rng_encoder) < p;
        } else { /* sigma-delta: deterministic, error bounded by one spike */
            m->acc += p;
            fire = m->acc >= 1.0;
            if (fire) m->acc -= 1.0;
        }
        if (fire) emit_spike(t, i, 1.0);
    }
}

static void step_readouts(cx_tile *t)
{
    const tile_csr *R = &t->readout_csr;
    for (size_t i = 0; i < t->n_readouts; i++) {
        double y = t->readout_bias[i];
        for (size_t k = R->row[i]; k < R->row[i + 1]; k++)
            y += R->w[k] * t->bus[R->idx[k]];
        t->readout[i] = t->adc_on ? cx_dac_adc(&t->chip_scalars, y) : y;
    }
    t->stats.adc_conversions += t->n_readouts;
}

static void apply_pulses(cx_tile *t)
{
    size_t slot = (size_t)(t->sub_now & (t->ring_len - 1));
    if (!t->continuous && t->syn_live) { /* a sampled pulse lasts one step */
        memset(t->syn, 0, t->n_comps * sizeof(double));
        t->syn_live = 0;
    }
    if (!t->ring_used[slot]) return;
    double *row = ring_row(t, t->sub_now);
    for (size_t j = 0; j < t->n_comps; j++)
        t->syn[j] += row[j];
    memset(row, 0, t->n_comps * sizeof(double));
    t->ring_used[slot] = 0;
    t->syn_live = 1;
}

/* The rate `soma` had at the end of step (step - delay), as step `step` reads
 * it; 0 before the first step or beyond the history the netlist keeps. */
static double past_rate(const cx_tile *t, uint64_t step, uint64_t delay, size_t soma)
{
    if (step < delay || delay >= t->hist_len) return 0.0;
    return t->rate_hist[((step - delay) % t->hist_len) * t->n_somas + soma];
}

void cx_tile_set_dead(cx_tile *t)
{
    t->dead = 1;
}

const cx_tile_defect_stats *cx_tile_defects(const cx_tile *t)
{
    return &t->defects;
}

/* A dead core: nothing moves, the ADCs read 0. */
static void step_dead(cx_tile *t)
{
    memset(x_plane(t), 0, t->n_comps * sizeof(double));
    memset(t->v, 0, t->n_comps * sizeof(double));
    memset(t->readout, 0, t->n_readouts * sizeof(double));
    if (t->n_somas) memset(t->bus + t->bus_soma, 0, t->n_somas * sizeof(double));
    t->stats.steps++;
    t->step_now++;
    t->user_dirty = 1;
}

void cx_tile_step(cx_tile *t)
{
    t->n_spk = 0;
    if (t->dead) {
        step_dead(t);
        return;
    }
    for (size_t k = 0; k < t->n_delayed; k++) {
        const tile_delayed *d = &t->delayed[k];
        t->bus[d->bus] = past_rate(t, t->step_now, d->delay, d->soma);
    }
    uint64_t macs0 = t->stats.dendrite_macs;
    for (int sub = 0; sub < t->nsub; sub++) {
        apply_pulses(t);
        if (t->flicker_on && t->sub_now > 0) step_flicker(t);
        for (int s = 0; s < t->n_stages; s++) {
            for (size_t i = 0; i < t->n_dend; i++)
                if (t->dend[i].stage == s) eval_dendrite(t, &t->dend[i]);
            step_comps(t, t->stage_at[s], t->stage_at[s + 1]);
            if (t->n_stuck) hold_stuck(t);
        }
        step_somas(t, sub + 1 == t->nsub);
        t->sub_now++;
    }
    step_readouts(t);
    if (t->hist_len > 1 && t->n_somas)
        memcpy(t->rate_hist + (t->step_now % t->hist_len) * t->n_somas, t->bus + t->bus_soma,
               t->n_somas * sizeof(double));
    const cx_chip_config *c = &t->chip_scalars;
    uint64_t updates = (uint64_t)t->n_comps * (uint64_t)t->nsub;
    t->stats.steps++;
    t->stats.compartment_steps += updates;
    t->stats.energy_pj += c->energy.compartment_step_pj * (double)updates +
                          c->energy.dendrite_mac_pj * (double)(t->stats.dendrite_macs - macs0) +
                          c->energy.adc_conversion_pj * (double)t->n_readouts +
                          t->static_pj_per_step;
    t->step_now++;
    t->user_dirty = 1;
}

/* ---------------------------------------------------------------- access */

double cx_tile_time_ms(const cx_tile *t)
{
    return (double)t->step_now * t->h_ms;
}

double cx_tile_step_ms(const cx_tile *t)
{
    return t->h_ms;
}

size_t cx_tile_n_inputs(const cx_tile *t)
{
    return t->n_in;
}

size_t cx_tile_n_comps(const cx_tile *t)
{
    return t->n_comps;
}

size_t cx_tile_n_somas(const cx_tile *t)
{
    return t->n_somas;
}

size_t cx_tile_n_readouts(const cx_tile *t)
{
    return t->n_readouts;
}

const double *cx_tile_x(const cx_tile *t)
{
    if (t->user_dirty) sync_user_order((cx_tile *)t); /* a cache: logically const */
    return t->identity ? x_plane(t) : t->x_user;
}

const double *cx_tile_v(const cx_tile *t)
{
    if (t->user_dirty) sync_user_order((cx_tile *)t);
    return t->identity ? t->v : t->v_user;
}

const double *cx_tile_dendrite_out(const cx_tile *t)
{
    return t->bus + t->bus_dend;
}

const double *cx_tile_soma_rate(const cx_tile *t)
{
    return t->bus + t->bus_soma;
}

const double *cx_tile_readout(const cx_tile *t)
{
    return t->readout;
}

double cx_tile_signal(const cx_tile *t, cx_tile_sig sig)
{
    switch (sig.kind) {
    case CX_TILE_SIG_CONST:
        return 1.0;
    case CX_TILE_SIG_INPUT:
        return t->bus[t->bus_in + (size_t)sig.index];
    case CX_TILE_SIG_STATE:
        return cx_tile_x(t)[sig.index];
    case CX_TILE_SIG_DENDRITE:
        return t->bus[t->bus_dend + (size_t)sig.index];
    case CX_TILE_SIG_SOMA:
        if (sig.delay_steps == 0) return t->bus[t->bus_soma + (size_t)sig.index];
        /* as the step that just ran read it */
        return t->step_now
                   ? past_rate(t, t->step_now - 1, (uint64_t)sig.delay_steps, (size_t)sig.index)
                   : 0.0;
    }
    return NAN;
}

size_t cx_tile_spikes(const cx_tile *t, const uint32_t **somas, const double **times_ms)
{
    if (somas) *somas = t->spk_soma;
    if (times_ms) *times_ms = t->spk_time;
    return t->n_spk;
}

const double *cx_tile_spike_values(const cx_tile *t)
{
    return t->spk_value;
}

const cx_tile_stats *cx_tile_get_stats(const cx_tile *t)
{
    return &t->stats;
}

const cx_tile_realized_comp *cx_tile_realized(const cx_tile *t, size_t comp)
{
    return comp < t->n_comps ? &t->realized[comp] : NULL;
}

double cx_tile_synapse_weight(const cx_tile *t, size_t i)
{
    return i < t->n_syn ? t->syn_w_user[i] : NAN;
}

double cx_tile_dendrite_weight(const cx_tile *t, size_t a, size_t r, size_t c)
{
    if (a >= t->n_dend) return NAN;
    const tile_dendrite *d = &t->dend[a];
    for (size_t k = d->array0; k < d->array0 + d->n_arrays; k++) {
        const tile_array *A = &t->arrays[k];
        if (r >= A->out0 && r < A->out0 + A->n_out && c >= A->in0 && c < A->in0 + A->n_in)
            return A->w[(r - A->out0) * A->n_in + (c - A->in0)];
    }
    return NAN;
}
