/* The tile kernel: exactness against the compartment kernel, synapse
 * pulses, dendrite arrays split across crossbars, somas, clipping,
 * determinism and resource errors. Noise statistics: test_tile_noise.c. */
#include "cx_comp.h"
#include "cx_tile.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CX_PI 3.14159265358979323846

static const cx_tile_term INPUT0 = {{CX_TILE_SIG_INPUT, 0, 0}, 1.0};

/* Sampled mode, noise off: every compartment equals the C kernel bitwise. */
START_TEST(sampled_equals_kernel_bitwise)
{
    cx_chip_config c = cx_test_quiet_chip();
    enum { N = 6, STEPS = 500 };
    const double h = 0.1;
    cx_tile_comp_spec comps[N];
    const double f_hz[N] = {5, 20, 40, 100, 0, 0}, zeta[N] = {0.1, 0.5, 1.0, 2.1, 0, 0};
    const double tau[N] = {0, 0, 0, 0, 1.5, 40};
    for (int i = 0; i < N; i++) {
        comps[i] = (cx_tile_comp_spec){.kind = i < 4 ? CX_TILE_SECOND_ORDER : CX_TILE_FIRST_ORDER,
                                       .omega_rad_per_ms = 2 * CX_PI * f_hz[i] / 1000,
                                       .zeta = zeta[i],
                                       .tau_ms = tau[i],
                                       .gain = 0.5 + 0.25 * i,
                                       .offset = 0.1 * i - 0.2,
                                       .x0 = 0.3,
                                       .v0 = i < 4 ? -0.01 : 0,
                                       .n_drive = 1,
                                       .drive = &INPUT0};
    }
    cx_tile_netlist net = {.step_ms = h, .n_inputs = 1, .n_comps = N, .comps = comps};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    cx_comp_disc disc[N];
    double x[N], v[N];
    for (int i = 0; i < N; i++) {
        if (i < 4) {
            ck_assert_int_eq(
                cx_comp_discretize(comps[i].omega_rad_per_ms, zeta[i], 0, 0, h, &disc[i]), CX_OK);
        } else {
            cx_comp_fo_disc fo;
            ck_assert_int_eq(cx_comp_fo_discretize(tau[i], 0, h, &fo), CX_OK);
            memset(&disc[i], 0, sizeof disc[i]);
            disc[i].phi[0] = fo.phi, disc[i].gamma[0] = fo.gamma;
        }
        x[i] = comps[i].x0, v[i] = comps[i].v0;
    }
    for (int k = 0; k < STEPS; k++) {
        double u = sin(0.013 * k) + (k % 37 == 0);
        cx_tile_set_inputs(t, &u);
        cx_tile_step(t);
        const double *tx = cx_tile_x(t), *tv = cx_tile_v(t);
        for (int i = 0; i < N; i++) {
            double d = comps[i].gain * u + comps[i].offset;
            if (i < 4) {
                cx_comp_disc_step(&disc[i], d, NULL, &x[i], &v[i]);
            } else {
                cx_comp_fo_disc fo = {disc[i].phi[0], disc[i].gamma[0], 0, 0};
                x[i] = cx_comp_fo_step(&fo, x[i], d, 0.0);
            }
            ck_assert_msg(memcmp(&tx[i], &x[i], sizeof x[i]) == 0 &&
                              memcmp(&tv[i], &v[i], sizeof v[i]) == 0,
                          "step %d compartment %d: tile (%.17g, %.17g) kernel (%.17g, %.17g)", k, i,
                          tx[i], tv[i], x[i], v[i]);
        }
    }
    ck_assert_uint_eq(cx_tile_get_stats(t)->compartment_steps, (uint64_t)N * STEPS);
    ck_assert_uint_eq(cx_tile_get_stats(t)->clipped_steps, 0);
    cx_tile_free(t);
}
END_TEST

/* Stages order the dataflow: stage 1 reads stage 0's new state. */
START_TEST(stages_read_new_states)
{
    cx_chip_config c = cx_test_quiet_chip();
    cx_tile_term from_a = {{CX_TILE_SIG_STATE, 0, 0}, 1.0};
    cx_tile_comp_spec comps[2] = {
        {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 2, .gain = 1, .n_drive = 1, .drive = &INPUT0},
        {.kind = CX_TILE_FIRST_ORDER,
         .tau_ms = 3,
         .gain = 1,
         .stage = 1,
         .n_drive = 1,
         .drive = &from_a}};
    cx_tile_netlist net = {.step_ms = 1, .n_inputs = 1, .n_comps = 2, .comps = comps};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    double one = 1.0, a = 0, b = 0, pa = exp(-1.0 / 2), pb = exp(-1.0 / 3);
    cx_tile_set_inputs(t, &one);
    for (int k = 0; k < 20; k++) {
        cx_tile_step(t);
        a = pa * a + (1 - pa) * 1.0;
        b = pb * b + (1 - pb) * a; /* the new a */
        ck_assert_double_eq_tol(cx_tile_x(t)[0], a, 1e-15);
        ck_assert_double_eq_tol(cx_tile_x(t)[1], b, 1e-15);
    }
    cx_tile_free(t);
}
END_TEST

/* A spike adds its weight to the input for one model step: sampled at the
 * due step, late when it arrives after it; continuous over [t, t + h). */
START_TEST(synapse_pulses)
{
    cx_chip_config c = cx_test_quiet_chip();
    cx_tile_comp_spec comp = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 4, .gain = 1};
    cx_tile_synapse_spec syn[2] = {{7, 0, 0.5}, {7, 0, 0.25}};
    cx_tile_netlist net = {
        .step_ms = 1, .n_comps = 1, .comps = &comp, .n_synapses = 2, .synapses = syn};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    double phi = exp(-0.25);
    cx_tile_deliver(t, 7, 3.0, 0.2); /* due at step 3, early */
    cx_tile_deliver(t, 9, 3.0, 0.2); /* no synapse: ignored */
    double x = 0;
    for (int k = 0; k < 6; k++) {
        cx_tile_step(t);
        x = phi * x + (1 - phi) * (k == 3 ? 0.75 : 0.0);
        ck_assert_double_eq_tol(cx_tile_x(t)[0], x, 1e-15);
    }
    ck_assert_uint_eq(cx_tile_get_stats(t)->late_spikes, 0);
    cx_tile_deliver(t, 7, 5.0, 6.3); /* arrives after its step: acts at step 7 */
    cx_tile_deliver(t, 7, 2.0, 2.0); /* its time has passed: acts now (step 6) */
    for (int k = 6; k < 9; k++) {
        cx_tile_step(t);
        x = phi * x + (1 - phi) * (k == 6 || k == 7 ? 0.75 : 0.0);
        ck_assert_double_eq_tol(cx_tile_x(t)[0], x, 1e-15);
    }
    const cx_tile_stats *s = cx_tile_get_stats(t);
    ck_assert_uint_eq(s->late_spikes, 2);
    ck_assert_uint_eq(s->spikes_in, 4);
    ck_assert_uint_eq(s->synaptic_events, 6);
    cx_tile_free(t);

    /* Continuous: the pulse lasts one model step from its arrival. With a
     * first-order unit realized at tau_f, x(t) is the pulse response. */
    c.tile.mode = CX_CHIP_CONTINUOUS;
    c.tile.analog_step_ms = 0.01;
    c.tile.compartment.tau_min_ms = 0.01;
    comp.tau_ms = 50;
    t = cx_test_tile(&c, &net, 1, 0);
    cx_tile_deliver(t, 7, 2.25, 0.0);
    double peak = 0;
    int peak_step = -1;
    for (int k = 0; k < 10; k++) {
        cx_tile_step(t);
        if (cx_tile_x(t)[0] > peak) peak = cx_tile_x(t)[0], peak_step = k;
        if (k < 2) ck_assert_double_eq(cx_tile_x(t)[0], 0.0);
    }
    /* Area 0.75 ms over tau 50 ms: the peak is ~0.75/50 at t = 3.25 ms (step 3). */
    ck_assert_int_eq(peak_step, 3);
    ck_assert_double_eq_tol(peak, 0.75 / 50 * exp(-0.0), 0.75 / 50 * 0.03);
    cx_tile_free(t);
}
END_TEST

/* A matrix larger than one crossbar is split; the partial sums add. */
/* The synapse table's index by source key: every source of a large,
 * shuffled table is found (keys anywhere in 32 bits, 0 included), unknown
 * keys are not, and a delivery through the run found once equals one by
 * key. */
START_TEST(source_index_finds_every_source)
{
    enum { SOURCES = 1500, PER = 3, COMPS = 5 };
    cx_chip_config c = cx_test_quiet_chip();
    c.tile.synapses.entries = SOURCES * PER;
    cx_tile_comp_spec comp[COMPS];
    for (int i = 0; i < COMPS; i++)
        comp[i] = (cx_tile_comp_spec){.kind = CX_TILE_FIRST_ORDER, .tau_ms = 2 + i, .gain = 1};
    cx_tile_synapse_spec *syn = malloc(SOURCES * PER * sizeof *syn);
    uint32_t *key = malloc(SOURCES * sizeof *key);
    for (uint32_t s = 0; s < SOURCES; s++)
        key[s] = s == 0 ? 0u : s == 1 ? 0xfffffffeu : s * 2654435761u; /* distinct */
    for (int k = 0; k < SOURCES * PER; k++) { /* sources interleaved, not sorted */
        uint32_t s = (uint32_t)((k * 7919) % SOURCES);
        syn[k] = (cx_tile_synapse_spec){key[s], k % COMPS, 0.001 * (1 + k % 13)};
    }
    cx_tile_netlist net = {.step_ms = 1,
                           .n_comps = COMPS,
                           .comps = comp,
                           .n_synapses = SOURCES * PER,
                           .synapses = syn};
    cx_tile *a = cx_test_tile(&c, &net, 1, 0), *b = cx_test_tile(&c, &net, 1, 0);
    for (uint32_t s = 0; s < SOURCES; s++) {
        long run = cx_tile_source_run(a, key[s]);
        ck_assert_int_ge(run, 0);
        ck_assert_int_ne(run, cx_tile_source_run(a, key[(s + 1) % SOURCES]));
        cx_tile_deliver_run(a, run, 0.5 + s % 3, 1.0, 0.0);
        cx_tile_deliver_value(b, key[s], 0.5 + s % 3, 1.0, 0.0);
    }
    ck_assert_int_eq(cx_tile_source_run(a, 12345u), -1);
    cx_tile_deliver_value(b, 12345u, 1.0, 1.0, 0.0); /* counted, no synapse */
    cx_tile_deliver_run(a, -1, 1.0, 1.0, 0.0);
    for (int k = 0; k < 3; k++) {
        cx_tile_step(a);
        cx_tile_step(b);
        ck_assert_int_eq(memcmp(cx_tile_x(a), cx_tile_x(b), COMPS * sizeof(double)), 0);
    }
    ck_assert_uint_eq(cx_tile_get_stats(a)->synaptic_events, SOURCES * PER);
    ck_assert_uint_eq(cx_tile_get_stats(b)->spikes_in, SOURCES + 1);
    /* the realized weights are still reported in netlist order */
    for (int k = 0; k < SOURCES * PER; k++)
        ck_assert_double_eq(cx_tile_synapse_weight(a, (size_t)k), syn[k].weight);
    cx_tile_free(a), cx_tile_free(b);
    free(syn), free(key);
}
END_TEST

START_TEST(dendrite_split_across_arrays)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.tile.dendrite.arrays = 4, c.tile.dendrite.rows = c.tile.dendrite.cols = 64;
    enum { NI = 100, NO = 70 };
    static cx_tile_sig in[NI];
    static double w[NO * NI], bias[NO];
    static cx_tile_comp_spec comps[NI];
    for (int i = 0; i < NI; i++) {
        in[i] = (cx_tile_sig){CX_TILE_SIG_STATE, i, 0};
        comps[i] = (cx_tile_comp_spec){
            .kind = CX_TILE_FIRST_ORDER, .tau_ms = 1, .gain = 1, .x0 = sin(0.7 * i)};
    }
    for (int k = 0; k < NO * NI; k++)
        w[k] = cos(0.37 * k) * 0.1;
    for (int r = 0; r < NO; r++)
        bias[r] = 0.01 * r - 0.3;
    cx_tile_dendrite_spec d = {.n_in = NI,
                               .n_out = NO,
                               .inputs = in,
                               .weights = w,
                               .bias = bias,
                               .activation = CX_CHIP_ACT_RELU,
                               .stage = 0};
    ck_assert_int_eq(cx_tile_arrays_needed(&c, &d), 4); /* 101 rows x 70 cols on 64x64 */
    cx_tile_netlist net = {
        .step_ms = 1, .n_comps = NI, .comps = comps, .n_dendrites = 1, .dendrites = &d};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    cx_tile_step(t);
    const double *out = cx_tile_dendrite_out(t);
    for (int r = 0; r < NO; r++) {
        double s = bias[r];
        for (int i = 0; i < NI; i++)
            s += w[r * NI + i] * comps[i].x0; /* dendrites read states before the step */
        ck_assert_double_eq_tol(out[r], s > 0 ? s : 0, 1e-14);
    }
    ck_assert_uint_eq(cx_tile_get_stats(t)->dendrite_macs, (uint64_t)(NI + 1) * NO);
    cx_tile_free(t);

    c.tile.dendrite.arrays = 3;
    cx_tile_id id = {1, 0, 0};
    ck_assert_int_eq(cx_tile_alloc(&c, &net, &id, &t), CX_ERR_FIT);
    ck_assert_str_eq(cx_last_error(),
                     "tile: needs 4 dendrite arrays (tile.dendrite.arrays), the chip's tile has 3");
    c.tile.dendrite.arrays = 4;
    c.tile.dendrite.activations = CX_CHIP_ACT_TANH;
    ck_assert_int_eq(cx_tile_alloc(&c, &net, &id, &t), CX_ERR_FIT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "activation relu"));
}
END_TEST

/* Sigma-delta emits floor(sum p) spikes; Bernoulli matches p on average;
 * a threshold soma fires and resets its compartment. */
START_TEST(somas_and_encoders)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.tile.somas.encoder = CX_CHIP_ENC_SIGMA_DELTA; /* graded spikes: test_tile_graded.c */
    c.tile.somas.max_rate_hz = 200;                 /* p = r * 0.2 per 1 ms step */
    cx_tile_comp_spec comp = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 1, .gain = 1, .x0 = 0.4};
    cx_tile_soma_spec soma = {.kind = CX_TILE_SOMA_SIGMOID,
                              .input = {CX_TILE_SIG_STATE, 0, 0},
                              .threshold = 0.4,
                              .width = 0.1,
                              .emit = 1};
    cx_tile_netlist net = {
        .step_ms = 1, .n_comps = 1, .comps = &comp, .n_somas = 1, .somas = &soma};
    /* x stays at 0: r = sigmoid(-4) */
    comp.x0 = 0;
    double r = 1 / (1 + exp(4.0)), p = r * 0.2;
    enum { STEPS = 20000 };
    cx_tile *t = cx_test_tile(&c, &net, 3, 0);
    for (int k = 0; k < STEPS; k++)
        cx_tile_step(t);
    ck_assert_double_eq_tol(cx_tile_soma_rate(t)[0], r, 1e-15);
    double expect = floor(STEPS * p + 1e-9);
    ck_assert_double_le(fabs((double)cx_tile_get_stats(t)->spikes_out - expect), 1.0);
    cx_tile_free(t);

    c.tile.somas.encoder = CX_CHIP_ENC_BERNOULLI;
    t = cx_test_tile(&c, &net, 3, 0);
    for (int k = 0; k < STEPS; k++)
        cx_tile_step(t);
    double n = (double)cx_tile_get_stats(t)->spikes_out, sd = sqrt(STEPS * p * (1 - p));
    ck_assert_msg(fabs(n - STEPS * p) < 5 * sd, "bernoulli %g spikes, expected %g", n, STEPS * p);
    cx_tile_free(t);

    /* Integrate-and-fire: drive 1 toward x = 1, threshold 0.5, reset 0. */
    cx_tile_comp_spec lif = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 10, .gain = 1, .offset = 1};
    cx_tile_soma_spec thr = {.kind = CX_TILE_SOMA_THRESHOLD,
                             .input = {CX_TILE_SIG_STATE, 0, 0},
                             .threshold = 0.5,
                             .reset = 0,
                             .emit = 1};
    net.comps = &lif, net.somas = &thr;
    t = cx_test_tile(&c, &net, 3, 0);
    int first = -1;
    for (int k = 0; k < 100; k++) {
        cx_tile_step(t);
        const uint32_t *who;
        const double *when;
        if (cx_tile_spikes(t, &who, &when) && first < 0) {
            first = k;
            ck_assert_uint_eq(who[0], 0);
            ck_assert_double_eq_tol(when[0], k + 1.0, 1e-12);
            ck_assert_double_eq(cx_tile_x(t)[0], 0.0);
        }
    }
    /* x_k = 1 - e^{-k/10} crosses 0.5 at k = 10 ln 2 = 6.93: the 7th step. */
    ck_assert_int_eq(first, 6);
    ck_assert_uint_eq(cx_tile_get_stats(t)->spikes_out, 100 / 7);
    cx_tile_free(t);
}
END_TEST

/* A soma rate read with a delay is the rate of that many steps ago. */
START_TEST(delayed_soma_rates)
{
    cx_chip_config c = cx_test_quiet_chip();
    cx_tile_term from_soma = {{CX_TILE_SIG_SOMA, 0, 3}, 1.0};
    cx_tile_comp_spec comps[2] = {
        {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 1, .gain = 1, .n_drive = 1, .drive = &INPUT0},
        {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 1, .gain = 1, .n_drive = 1, .drive = &from_soma}};
    cx_tile_soma_spec soma = {.kind = CX_TILE_SOMA_SIGMOID,
                              .input = {CX_TILE_SIG_STATE, 0, 0},
                              .threshold = 0,
                              .width = 1};
    cx_tile_readout_spec ro = {.n_terms = 1, .terms = &from_soma, .bias = 0};
    cx_tile_netlist net = {.step_ms = 1,
                           .n_inputs = 1,
                           .n_comps = 2,
                           .comps = comps,
                           .n_somas = 1,
                           .somas = &soma,
                           .n_readouts = 1,
                           .readouts = &ro};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    double rates[40];
    for (int k = 0; k < 40; k++) {
        double u = sin(0.3 * k);
        cx_tile_set_inputs(t, &u);
        cx_tile_step(t);
        rates[k] = cx_tile_soma_rate(t)[0];
        /* readout at step k reads the rate pushed at the end of step k - 3 */
        ck_assert_double_eq(cx_tile_readout(t)[0], k >= 3 ? rates[k - 3] : 0.0);
    }
    cx_tile_free(t);
}
END_TEST

/* Rails: a compartment driven past x_max clips and every clipped update counts. */
START_TEST(rails_clip_and_count)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.noise.saturation.enabled = 1;
    cx_tile_comp_spec comps[2] = {
        {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 2, .gain = 1, .offset = 0},
        {.kind = CX_TILE_SECOND_ORDER, .omega_rad_per_ms = 0.5, .zeta = 0.3, .gain = 1}};
    cx_tile_term big = {{CX_TILE_SIG_INPUT, 0, 0}, 1.0};
    comps[0].n_drive = comps[1].n_drive = 1;
    comps[0].drive = comps[1].drive = &big;
    cx_tile_netlist net = {.step_ms = 1, .n_inputs = 1, .n_comps = 2, .comps = comps};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    double u = 6.0; /* the target 6 is beyond the rail 4 */
    cx_tile_set_inputs(t, &u);
    uint64_t expect = 0;
    double x = 0;
    for (int k = 0; k < 50; k++) {
        cx_tile_step(t);
        x = fmin(exp(-0.5) * x + (1 - exp(-0.5)) * 6.0, 4.0);
        expect += x == 4.0;
        ck_assert_double_eq(cx_tile_x(t)[0], x);
        ck_assert_double_le(cx_tile_x(t)[1], 4.0);
        if (cx_tile_x(t)[1] == 4.0) expect++;
    }
    ck_assert_uint_gt(expect, 40);
    ck_assert_uint_eq(cx_tile_get_stats(t)->clipped_steps, expect);
    cx_tile_free(t);
    /* Off: the state passes the rail. */
    c.noise.saturation.enabled = 0;
    t = cx_test_tile(&c, &net, 1, 0);
    cx_tile_set_inputs(t, &u);
    for (int k = 0; k < 50; k++)
        cx_tile_step(t);
    ck_assert_double_gt(cx_tile_x(t)[0], 5.9);
    ck_assert_uint_eq(cx_tile_get_stats(t)->clipped_steps, 0);
    cx_tile_free(t);
}
END_TEST

/* A noisy tile with every source on, in both modes. */
static cx_tile *noisy_tile(cx_chip_mode mode, uint32_t tile, uint64_t seed)
{
    static cx_tile_comp_spec comps[16];
    static cx_tile_synapse_spec syn[16];
    static cx_tile_sig in[16];
    static double w[8 * 16];
    static cx_tile_soma_spec soma;
    static cx_tile_term ro_term = {{CX_TILE_SIG_DENDRITE, 3, 0}, 1.0};
    static cx_tile_readout_spec ro;
    for (int i = 0; i < 16; i++) {
        comps[i] = (cx_tile_comp_spec){.kind = i % 3 ? CX_TILE_SECOND_ORDER : CX_TILE_FIRST_ORDER,
                                       .omega_rad_per_ms = 0.05 + 0.02 * i,
                                       .zeta = 0.2 + 0.1 * i,
                                       .tau_ms = 1 + i,
                                       .gain = 1,
                                       .offset = 0.1};
        syn[i] = (cx_tile_synapse_spec){(uint32_t)(i % 4), i, 0.1 * (i + 1)};
        in[i] = (cx_tile_sig){CX_TILE_SIG_STATE, i, 0};
    }
    for (int k = 0; k < 8 * 16; k++)
        w[k] = sin(k);
    static cx_tile_dendrite_spec d;
    d = (cx_tile_dendrite_spec){
        .n_in = 16, .n_out = 8, .inputs = in, .weights = w, .activation = CX_CHIP_ACT_TANH};
    soma = (cx_tile_soma_spec){.kind = CX_TILE_SOMA_SIGMOID,
                               .input = {CX_TILE_SIG_STATE, 1, 0},
                               .threshold = 0,
                               .width = 0.1,
                               .emit = 1};
    ro = (cx_tile_readout_spec){.n_terms = 1, .terms = &ro_term};
    cx_tile_netlist net = {.step_ms = 0.5,
                           .n_comps = 16,
                           .comps = comps,
                           .n_dendrites = 1,
                           .dendrites = &d,
                           .n_somas = 1,
                           .somas = &soma,
                           .n_readouts = 1,
                           .readouts = &ro,
                           .n_synapses = 16,
                           .synapses = syn};
    cx_chip_config c;
    ck_assert_int_eq(cx_chip_config_default(&c), CX_OK);
    c.noise.flicker.enabled = 1;
    c.tile.somas.encoder = CX_CHIP_ENC_BERNOULLI;
    c.tile.mode = mode;
    c.tile.analog_step_ms = 0.05;
    cx_tile_id id = {seed, 0, tile};
    cx_tile *t = NULL;
    ck_assert_msg(cx_tile_alloc(&c, &net, &id, &t) == CX_OK, "%s", cx_last_error());
    cx_chip_free(&c);
    return t;
}

/* Runs 200 steps with spikes in; returns a digest of all states and outputs. */
static void run_noisy(cx_tile *t, double *trace)
{
    for (int k = 0; k < 200; k++) {
        if (k % 7 == 0) cx_tile_deliver(t, (uint32_t)(k % 4), k * 0.5 + 0.5, k * 0.5 + 0.1);
        cx_tile_step(t);
        memcpy(trace + k * 18, cx_tile_x(t), 16 * sizeof(double));
        trace[k * 18 + 16] = cx_tile_readout(t)[0];
        trace[k * 18 + 17] = (double)cx_tile_get_stats(t)->spikes_out;
    }
}

START_TEST(same_seed_bitwise_other_seed_differs)
{
    for (int m = 0; m < 2; m++) {
        cx_chip_mode mode = m ? CX_CHIP_CONTINUOUS : CX_CHIP_SAMPLED;
        static double a[200 * 18], b[200 * 18], c2[200 * 18], d[200 * 18];
        cx_tile *t1 = noisy_tile(mode, 2, 42), *t2 = noisy_tile(mode, 2, 42);
        cx_tile *t3 = noisy_tile(mode, 2, 43), *t4 = noisy_tile(mode, 5, 42);
        /* Evaluation order must not matter: run t2 before t1. */
        run_noisy(t2, b);
        run_noisy(t1, a);
        run_noisy(t3, c2);
        run_noisy(t4, d);
        ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
        ck_assert_int_ne(memcmp(a, c2, sizeof a), 0);
        ck_assert_int_ne(memcmp(a, d, sizeof a), 0);
        /* another seed draws another chip instance */
        ck_assert_double_ne(cx_tile_realized(t1, 1)->omega_rad_per_ms,
                            cx_tile_realized(t3, 1)->omega_rad_per_ms);
        /* reset replays the same run */
        cx_tile_reset(t1);
        run_noisy(t1, c2);
        ck_assert_int_eq(memcmp(a, c2, sizeof a), 0);
        cx_tile_free(t1), cx_tile_free(t2), cx_tile_free(t3), cx_tile_free(t4);
    }
}
END_TEST

static void expect_bad(cx_tile_netlist *net, cx_status status, const char *msg)
{
    cx_chip_config c = cx_test_quiet_chip();
    cx_tile_id id = {1, 0, 0};
    cx_tile *t = (cx_tile *)&id;
    ck_assert_int_eq(cx_tile_alloc(&c, net, &id, &t), status);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(cx_last_error(), msg), "'%s' lacks '%s'", cx_last_error(), msg);
}

START_TEST(bad_netlists_are_named)
{
    cx_tile_comp_spec comp = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 5000, .gain = 1};
    cx_tile_netlist net = {.step_ms = 1, .n_comps = 1, .comps = &comp};
    expect_bad(&net, CX_ERR_FIT, "compartment 0: tau_ms 5000 is outside the chip's range");
    comp.tau_ms = 5;
    comp.gain = NAN;
    expect_bad(&net, CX_ERR_VALUE, "compartment 0: gain is nan");
    comp.gain = 50;
    expect_bad(&net, CX_ERR_FIT, "|gain| 50 > gain_max 10");
    comp.gain = 1;
    cx_tile_term bad = {{CX_TILE_SIG_STATE, 3, 0}, 1.0};
    comp.n_drive = 1, comp.drive = &bad;
    expect_bad(&net, CX_ERR_VALUE, "reads compartment 3 of 1");
    bad.sig = (cx_tile_sig){CX_TILE_SIG_INPUT, 0, 2};
    net.n_inputs = 1;
    expect_bad(&net, CX_ERR_VALUE, "only soma rates can be delayed");
    comp.n_drive = 0;
    comp.kind = CX_TILE_SECOND_ORDER;
    comp.omega_rad_per_ms = 2 * CX_PI * 0.9;
    comp.zeta = 0.2;
    expect_bad(&net, CX_ERR_FIT,
               "resonant frequency (Hz) 900 is outside the chip's range [1, 500]");
    static cx_tile_comp_spec many[300];
    for (int i = 0; i < 300; i++)
        many[i] = (cx_tile_comp_spec){.kind = CX_TILE_FIRST_ORDER, .tau_ms = 1};
    net.comps = many, net.n_comps = 300;
    expect_bad(&net, CX_ERR_FIT,
               "needs 300 compartments (tile.compartments), the chip's tile has 256");
    net.n_comps = 1;
    net.step_ms = 0;
    expect_bad(&net, CX_ERR_VALUE, "step_ms 0 must be > 0");
}
END_TEST

/* Continuous mode needs whole analog steps per model step. */
START_TEST(continuous_step_ratio)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.tile.mode = CX_CHIP_CONTINUOUS;
    c.tile.analog_step_ms = 0.03;
    cx_tile_comp_spec comp = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 5, .gain = 1};
    cx_tile_netlist net = {.step_ms = 0.1, .n_comps = 1, .comps = &comp};
    cx_tile_id id = {1, 0, 0};
    cx_tile *t;
    ck_assert_int_eq(cx_tile_alloc(&c, &net, &id, &t), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "not a whole number of analog steps"));
    net.step_ms = 0.09;
    ck_assert_int_eq(cx_tile_alloc(&c, &net, &id, &t), CX_OK);
    cx_tile_step(t);
    ck_assert_uint_eq(cx_tile_get_stats(t)->compartment_steps, 3);
    cx_tile_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tile");
    TCase *tc = tcase_create("tile");
    tcase_add_test(tc, sampled_equals_kernel_bitwise);
    tcase_add_test(tc, stages_read_new_states);
    tcase_add_test(tc, synapse_pulses);
    tcase_add_test(tc, source_index_finds_every_source);
    tcase_add_test(tc, dendrite_split_across_arrays);
    tcase_add_test(tc, somas_and_encoders);
    tcase_add_test(tc, delayed_soma_rates);
    tcase_add_test(tc, rails_clip_and_count);
    tcase_add_test(tc, same_seed_bitwise_other_seed_differs);
    tcase_add_test(tc, bad_netlists_are_named);
    tcase_add_test(tc, continuous_step_ratio);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
