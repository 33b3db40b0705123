/* cx_glifr_synth: random GLIFR networks of any size with given connectivity
 * statistics, written as checkpoint folders that cx_glifr_load reads.
 *
 * Network. N neurons; each has exactly F postsynaptic targets drawn
 * uniformly without replacement from the other N - 1 (no self loop). A
 * fixed 20% of the neurons (chosen at random) are inhibitory: all their
 * outgoing weights are negative, the others' positive (Dale's law). Weights
 * are g/sqrt(F) x U(0.5, 1.5) with g = 1 for excitatory and g = 4 for
 * inhibitory sources (0.8 x 1 = 0.2 x 4: balanced on average), so the
 * recurrent input of a neuron is O(1) whatever F. With the inputs below, a
 * 2000-neuron fanout-50 network settles at a mean rate S of ~0.25: ~40% of
 * the neurons near 0 (inhibited), the rest spread over 0.1 .. 0.8. Per neuron (upstream
 * transforms, see reference/glifr/MODEL.md §2): dt k_m ~ U(0.001, 0.003)
 * (tau_m 17-50 ms, as the trained L-MNIST model), dt k_j ~ U(0.05, 0.12),
 * r_j ~ U(-0.04, 0.04) (below every dt k_j, so each after-spike current
 * contracts at any rate: |I_j| <= |a_j| / (dt k_j - r_j) < 60), a_j ~
 * U(-0.5, 0.3) (mostly adapting), V_th ~ U(0.4, 1.0). W_in [n_in, N] ~
 * U(-1, 1) / sqrt(n_in), W_out [n_out, N] ~ U(-1, 1) sqrt(3 / N), bias 0.
 *
 * Files in DIR:
 *   config.json        upstream keys (input_size, hidden_size, output_size,
 *                      num_ascs, dt 0.05, tau 0.05, synaptic_delay,
 *                      delay_steps, sigma_v, R, I0, v_reset, ...) plus a
 *                      "synthetic" block: the arguments and the statistics
 *   model.safetensors  float32 tensors under the GLIFRN state_dict keys; the
 *                      lateral weights sparse (neuron_layer.weight_lat.indptr
 *                      I64 [N + 1], .indices I32 [N F], .values F32 [N F]; see
 *                      cx_glifr.h) or, with dense, neuron_layer.weight_lat
 *                      F32 [N, N] as upstream; no silence_mult (identity)
 *   inputs.safetensors 'x' F32 [samples, steps, n_in]: levels ~ U(-1, 1)
 *                      held for 1 ms (20 steps), per channel and sample
 *
 * Determinism. Every draw is a counter-based splitmix64 hash of (seed,
 * purpose, index, counter), and the file is compiled without floating-point
 * contraction, so the same arguments give byte-identical files. */
#ifndef CX_GLIFR_SYNTH_H
#define CX_GLIFR_SYNTH_H

#include "cx_status.h"

#include <cJSON.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CX_SYNTH_DENSE_MAX = 8192 };

typedef struct {
    long neurons, fanout;
    uint64_t seed;
    long inputs, outputs, asc; /* n_in (16), n_out (10), J (2) */
    long steps, samples;       /* of inputs.safetensors (2000, 1) */
    double delay_ms;           /* synaptic_delay (1 ms = 20 steps of 0.05 ms) */
    int dense;                 /* dense weight_lat (neurons <= CX_SYNTH_DENSE_MAX) */
} cx_glifr_synth_opts;

cx_glifr_synth_opts cx_glifr_synth_defaults(void);

/* Checks the options; CX_ERR_USAGE with a message naming the option. */
cx_status cx_glifr_synth_check(const cx_glifr_synth_opts *o);

/* Writes DIR/config.json, DIR/model.safetensors and DIR/inputs.safetensors
 * (DIR is created when missing). *summary (may be NULL) receives the
 * "synthetic" block of the config (caller deletes). */
cx_status cx_glifr_synth_write(const cx_glifr_synth_opts *o, const char *dir, cJSON **summary);

#ifdef __cplusplus
}
#endif
#endif
