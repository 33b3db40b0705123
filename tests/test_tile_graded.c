/* Graded spikes: a graded soma sends its exact rate (or the payload code of
 * it) once per model step, nothing for a zero value, and a delivered value
 * scales the synapse pulse exactly; plain spikes keep value 1. */
#include "cx_dac.h"
#include "cx_tile.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>

enum { NS = 5 };
/* Host inputs per soma; soma 3 sits far below threshold (rate 0 in double),
 * soma 4 has a small rate that 8 payload bits round to 0. */
static const double INPUTS[NS] = {0.5, 0.31, 0.9, -1000, 0.5 - 6.9 * 0.1};

static cx_chip_config graded_chip(void)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.tile.somas.encoder = CX_CHIP_ENC_GRADED;
    c.tile.somas.payload_bits = 8;
    return c;
}

static double sigmoid(double s, double threshold, double width)
{
    return 1.0 / (1.0 + exp(-(s - threshold) / width));
}

/* NS sigmoid somas on the host inputs plus a silent one (emit = 0). */
static cx_tile *soma_tile(const cx_chip_config *c, double step_ms, cx_tile_soma_spec *somas)
{
    for (int i = 0; i <= NS; i++)
        somas[i] = (cx_tile_soma_spec){.kind = CX_TILE_SOMA_SIGMOID,
                                       .input = {CX_TILE_SIG_INPUT, i % NS, 0},
                                       .threshold = 0.5,
                                       .width = 0.1,
                                       .emit = i < NS};
    cx_tile_netlist net = {.step_ms = step_ms, .n_inputs = NS, .n_somas = NS + 1, .somas = somas};
    cx_tile *t = cx_test_tile(c, &net, 1, 0);
    cx_tile_set_inputs(t, INPUTS);
    return t;
}

/* Runs `steps` steps; checks one spike per nonzero value at the end of the
 * step, valued `expect(rate)`, and returns the spikes sent. */
static size_t run_graded(cx_tile *t, int steps, int bits, int quantized)
{
    size_t sent = 0;
    double h = cx_tile_step_ms(t);
    for (int k = 0; k < steps; k++) {
        cx_tile_step(t);
        const uint32_t *who;
        const double *when, *val = cx_tile_spike_values(t);
        size_t n = cx_tile_spikes(t, &who, &when);
        const double *rate = cx_tile_soma_rate(t);
        int seen[NS + 1] = {0};
        for (size_t j = 0; j < n; j++) {
            uint32_t i = who[j];
            ck_assert_uint_lt(i, NS); /* the silent soma never sends */
            ck_assert_int_eq(seen[i]++, 0);
            ck_assert_double_eq_tol(when[j], (k + 1) * h, 1e-12);
            double want = quantized ? cx_dac_payload_unsigned(rate[i], bits) : rate[i];
            ck_assert_msg(val[j] == want, "soma %u: value %.17g, want %.17g", i, val[j], want);
            ck_assert(val[j] != 0);
        }
        for (int i = 0; i < NS; i++) {
            double want = quantized ? cx_dac_payload_unsigned(rate[i], bits) : rate[i];
            ck_assert_msg(seen[i] == (want != 0), "soma %d: %d spikes for value %g", i, seen[i],
                          want);
        }
        sent += n;
    }
    return sent;
}

/* Quantization off: the value is the sigmoid rate itself, bit for bit. */
START_TEST(graded_values_are_exact_rates)
{
    cx_chip_config c = graded_chip();
    cx_tile_soma_spec somas[NS + 1];
    cx_tile *t = soma_tile(&c, 0.5, somas);
    ck_assert_uint_eq(run_graded(t, 3, 8, 0), 3 * (NS - 1)); /* soma 3's rate is exactly 0 */
    const double *rate = cx_tile_soma_rate(t), *val = cx_tile_spike_values(t);
    const uint32_t *who;
    size_t n = cx_tile_spikes(t, &who, NULL);
    for (size_t j = 0; j < n; j++)
        ck_assert(val[j] == sigmoid(INPUTS[who[j]], 0.5, 0.1) && val[j] == rate[who[j]]);
    ck_assert(rate[3] == 0.0);
    ck_assert(rate[4] > 0 && rate[4] < 0.5 / 255); /* sent as is: only quantization zeroes it */
    ck_assert_uint_eq(cx_tile_get_stats(t)->spikes_out, 3 * (NS - 1));
    cx_tile_free(t);
    /* The master switch alone does not round values: the weights grid does. */
    c.noise.quantization.enabled = 1;
    c.noise.quantization.weights = 0;
    t = soma_tile(&c, 0.5, somas);
    ck_assert_uint_eq(run_graded(t, 2, 8, 0), 2 * (NS - 1));
    cx_tile_free(t);
}
END_TEST

/* Quantization of weights on: values are payload codes k / (2^bits - 1); a
 * rate that rounds to 0 sends nothing. */
START_TEST(graded_values_on_payload_grid)
{
    cx_chip_config c = graded_chip();
    c.noise.quantization.enabled = c.noise.quantization.weights = 1;
    const int bits[] = {8, 3, 1};
    const size_t want_sent[] = {NS - 2, NS - 2, 2}; /* 1 bit: only rates >= 0.5 (somas 0, 2) */
    for (size_t b = 0; b < 3; b++) {
        c.tile.somas.payload_bits = bits[b];
        cx_tile_soma_spec somas[NS + 1];
        cx_tile *t = soma_tile(&c, 1.0, somas);
        ck_assert_uint_eq(run_graded(t, 1, bits[b], 1), want_sent[b]);
        double codes = ldexp(1.0, bits[b]) - 1;
        const double *val = cx_tile_spike_values(t), *rate = cx_tile_soma_rate(t);
        const uint32_t *who;
        size_t n = cx_tile_spikes(t, &who, NULL);
        for (size_t j = 0; j < n; j++) {
            double k = round(val[j] * codes);
            ck_assert(val[j] == k / codes);
            ck_assert(fabs(val[j] - rate[who[j]]) <= 0.5 / codes);
        }
        cx_tile_free(t);
    }
}
END_TEST

/* Continuous mode: somas update every analog step but send once per model
 * step, at its end, the rate they have then. */
START_TEST(graded_continuous_once_per_model_step)
{
    cx_chip_config c = graded_chip();
    c.tile.mode = CX_CHIP_CONTINUOUS;
    c.tile.analog_step_ms = 0.01;
    c.tile.compartment.tau_min_ms = 0.01;
    /* a rising state, so the rate differs at every analog step */
    cx_tile_term in = {{CX_TILE_SIG_INPUT, 0, 0}, 1.0};
    cx_tile_comp_spec comp = {
        .kind = CX_TILE_FIRST_ORDER, .tau_ms = 0.5, .gain = 1, .n_drive = 1, .drive = &in};
    cx_tile_soma_spec soma = {.kind = CX_TILE_SOMA_SIGMOID,
                              .input = {CX_TILE_SIG_STATE, 0, 0},
                              .threshold = 0.5,
                              .width = 0.2,
                              .emit = 1};
    cx_tile_netlist net = {
        .step_ms = 0.1, .n_inputs = 1, .n_comps = 1, .comps = &comp, .n_somas = 1, .somas = &soma};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    const double one = 1.0;
    cx_tile_set_inputs(t, &one);
    double prev = -1;
    for (int k = 0; k < 20; k++) {
        cx_tile_step(t);
        const uint32_t *who;
        const double *when;
        ck_assert_uint_eq(cx_tile_spikes(t, &who, &when), 1);
        ck_assert_double_eq_tol(when[0], (k + 1) * 0.1, 1e-12);
        double v = cx_tile_spike_values(t)[0];
        ck_assert(v == cx_tile_soma_rate(t)[0]);
        ck_assert(v == sigmoid(cx_tile_x(t)[0], 0.5, 0.2)); /* the state at the end of the step */
        ck_assert(v > prev);
        prev = v;
    }
    ck_assert_uint_eq(cx_tile_get_stats(t)->spikes_out, 20);
    ck_assert_uint_eq(cx_tile_get_stats(t)->compartment_steps, 200);
    cx_tile_free(t);
}
END_TEST

/* Sigma-delta, Bernoulli and threshold spikes all carry value 1. */
START_TEST(plain_spikes_have_value_one)
{
    cx_chip_config c = cx_test_quiet_chip();
    const cx_chip_encoder enc[] = {CX_CHIP_ENC_SIGMA_DELTA, CX_CHIP_ENC_BERNOULLI};
    for (int e = 0; e < 2; e++) {
        c.tile.somas.encoder = enc[e];
        cx_tile_soma_spec somas[NS + 1];
        cx_tile *t = soma_tile(&c, 1.0, somas);
        size_t total = 0;
        for (int k = 0; k < 50; k++) {
            cx_tile_step(t);
            const double *val = cx_tile_spike_values(t);
            size_t n = cx_tile_spikes(t, NULL, NULL);
            for (size_t j = 0; j < n; j++)
                ck_assert(val[j] == 1.0);
            total += n;
        }
        ck_assert_uint_gt(total, 50);
        cx_tile_free(t);
    }
    c.tile.somas.encoder = CX_CHIP_ENC_GRADED; /* a threshold soma spikes, it has no rate to send */
    cx_tile_comp_spec lif = {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 10, .gain = 1, .offset = 1};
    cx_tile_soma_spec thr = {.kind = CX_TILE_SOMA_THRESHOLD,
                             .input = {CX_TILE_SIG_STATE, 0, 0},
                             .threshold = 0.5,
                             .emit = 1};
    cx_tile_netlist net = {.step_ms = 1, .n_comps = 1, .comps = &lif, .n_somas = 1, .somas = &thr};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    size_t total = 0;
    for (int k = 0; k < 30; k++) {
        cx_tile_step(t);
        size_t n = cx_tile_spikes(t, NULL, NULL);
        for (size_t j = 0; j < n; j++)
            ck_assert(cx_tile_spike_values(t)[j] == 1.0);
        total += n;
    }
    ck_assert_uint_eq(total, 30 / 7); /* fires on every 7th step (test_tile.c) */
    cx_tile_free(t);
}
END_TEST

/* The response of `steps` steps of compartment 0 and 1 to one spike of
 * source 7 due at 1 ms with `value` (< 0: cx_tile_deliver). */
static void pulse_response(const cx_chip_config *c, double value, int steps, double *x)
{
    cx_tile_comp_spec comps[2] = {
        {.kind = CX_TILE_FIRST_ORDER, .tau_ms = 4, .gain = 1.3},
        {.kind = CX_TILE_SECOND_ORDER, .omega_rad_per_ms = 0.9, .zeta = 0.3, .gain = 0.7}};
    cx_tile_synapse_spec syn[3] = {{7, 0, 0.5}, {7, 1, -0.8}, {7, 0, 0.25}};
    cx_tile_netlist net = {
        .step_ms = 0.5, .n_comps = 2, .comps = comps, .n_synapses = 3, .synapses = syn};
    cx_tile *t = cx_test_tile(c, &net, 1, 0);
    if (value < 0)
        cx_tile_deliver(t, 7, 1.0, 0.0);
    else
        cx_tile_deliver_value(t, 7, value, 1.0, 0.0);
    for (int k = 0; k < steps; k++) {
        cx_tile_step(t);
        x[2 * k] = cx_tile_x(t)[0];
        x[2 * k + 1] = cx_tile_x(t)[1];
    }
    ck_assert_uint_eq(cx_tile_get_stats(t)->spikes_in, 1);
    ck_assert_uint_eq(cx_tile_get_stats(t)->synaptic_events, 3);
    cx_tile_free(t);
}

/* Noise off, the tile is linear in the pulse: a value scales the response
 * exactly; value 1 is cx_tile_deliver bit for bit. Sampled and continuous. */
START_TEST(deliver_value_scales_the_pulse)
{
    cx_chip_config c = cx_test_quiet_chip();
    enum { STEPS = 40 };
    double one[2 * STEPS], plain[2 * STEPS], scaled[2 * STEPS];
    for (int mode = 0; mode < 2; mode++) {
        c.tile.mode = mode ? CX_CHIP_CONTINUOUS : CX_CHIP_SAMPLED;
        c.tile.analog_step_ms = 0.05;
        c.tile.compartment.tau_min_ms = 0.05;
        pulse_response(&c, -1, STEPS, plain);
        pulse_response(&c, 1.0, STEPS, one);
        pulse_response(&c, 0.37, STEPS, scaled);
        double peak = 0;
        for (int k = 0; k < 2 * STEPS; k++)
            peak = fmax(peak, fabs(one[k]));
        ck_assert_double_gt(peak, 0.01);
        ck_assert_double_eq(one[0], 0.0); /* due at 1 ms: nothing before it */
        for (int k = 0; k < 2 * STEPS; k++) {
            ck_assert(one[k] == plain[k]);
            /* rounding only: a few ulps of the peak */
            ck_assert_msg(fabs(scaled[k] - 0.37 * one[k]) <= 1e-15 * peak,
                          "mode %d step %d: %.17g vs 0.37 x %.17g", mode, k / 2, scaled[k], one[k]);
        }
    }
}
END_TEST

/* Tile to tile: graded spikes of tile A delivered with their values give
 * tile B the drive w * r: the exact analog rate crosses the link. */
START_TEST(graded_rates_cross_to_another_tile)
{
    cx_chip_config c = graded_chip();
    cx_tile_soma_spec somas[NS + 1];
    cx_tile *a = soma_tile(&c, 1.0, somas);
    cx_tile_comp_spec comp[NS];
    cx_tile_synapse_spec syn[NS];
    for (int i = 0; i < NS; i++) {
        comp[i] = (cx_tile_comp_spec){.kind = CX_TILE_FIRST_ORDER, .tau_ms = 2, .gain = 1};
        syn[i] = (cx_tile_synapse_spec){(uint32_t)i, i, 0.6};
    }
    cx_tile_netlist net = {
        .step_ms = 1.0, .n_comps = NS, .comps = comp, .n_synapses = NS, .synapses = syn};
    cx_tile *b = cx_test_tile(&c, &net, 1, 1);
    cx_tile_step(a);
    cx_tile_step(b);
    const uint32_t *who;
    const double *when, *val = cx_tile_spike_values(a);
    size_t n = cx_tile_spikes(a, &who, &when);
    for (size_t j = 0; j < n; j++)
        cx_tile_deliver_value(b, who[j], val[j], when[j], when[j]);
    cx_tile_step(b); /* first-order sampled step from 0: x = (1 - e^{-h/tau}) * g * w * r */
    double gain = 1 - exp(-0.5);
    for (int i = 0; i < NS; i++)
        ck_assert_double_eq_tol(cx_tile_x(b)[i], gain * 0.6 * cx_tile_soma_rate(a)[i], 1e-15);
    ck_assert_uint_eq(cx_tile_get_stats(b)->spikes_in, NS - 1);
    ck_assert_uint_eq(cx_tile_get_stats(b)->late_spikes, 0);
    cx_tile_free(a);
    cx_tile_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tile_graded");
    TCase *tc = tcase_create("tile_graded");
    tcase_add_test(tc, graded_values_are_exact_rates);
    tcase_add_test(tc, graded_values_on_payload_grid);
    tcase_add_test(tc, graded_continuous_once_per_model_step);
    tcase_add_test(tc, plain_spikes_have_value_one);
    tcase_add_test(tc, deliver_value_scales_the_pulse);
    tcase_add_test(tc, graded_rates_cross_to_another_tile);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
