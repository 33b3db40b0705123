/* cx_glifr: a GLIFR network layer with after-spike currents (GLIFS_ASC), float64.
 *
 * Import of an upstream checkpoint folder (config.json + model.safetensors under
 * the GLIFRN state_dict keys) and the reference forward pass exactly as in
 * reference/glifr/MODEL.md §4: I_syn from the input and the delayed rate
 * S_{t-d}; ASCs from the undelayed S_{t-1}; V from the new ASCs; S = σ((V-V_th)/σ_V).
 *
 * Lateral weights are held sparse (CSR by presynaptic neuron, zeros dropped),
 * so memory is O(H + nnz). model.safetensors carries them in exactly one of
 * two forms:
 *   - dense, as upstream: neuron_layer.weight_lat [H, H] float, row =
 *     presynaptic j, column = postsynaptic i (I_syn += S_{t-d} @ W_lat);
 *   - sparse (cortile extension for large networks), the CSR of that same
 *     matrix in three tensors:
 *       neuron_layer.weight_lat.indptr   [H + 1] integer, indptr[0] = 0,
 *                                        non-decreasing, indptr[H] = nnz
 *       neuron_layer.weight_lat.indices  [nnz] integer, postsynaptic i in
 *                                        0..H-1, strictly increasing in a row
 *       neuron_layer.weight_lat.values   [nnz] float, finite
 *     (scipy.sparse.csr_matrix(W_lat): indptr, indices, data).
 * silence_mult [H, H] may be absent (the identity). The reference pass adds
 * the lateral terms of each postsynaptic neuron in presynaptic order, as the
 * dense product does, so both forms of one matrix give bitwise equal runs. */
#ifndef CX_GLIFR_H
#define CX_GLIFR_H

#include "cx_json.h"
#include "cx_status.h"

#include <cJSON.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n_in, hidden, n_out, num_asc; /* from the tensors, checked against the config */
    int delay_steps;                  /* lateral delay d >= 1 */
    double dt_ms, tau_ms, sigma_v, r_m, i0, v_reset, synaptic_delay_ms;

    double *w_in;     /* [n_in][H] */
    int64_t lat_nnz;  /* nonzero lateral weights */
    int64_t *lat_row; /* [H + 1] CSR by presynaptic neuron j */
    int32_t *lat_col; /* [nnz] postsynaptic neuron i, ascending within a row */
    double *lat_w;    /* [nnz] W_lat[j][i], nonzero */
    double *thresh;   /* [H] */
    double *dtk_m;    /* [H] dt * k_m, k_m = σ(trans_k_m) / dt */
    double *dtk_j;    /* [J][H] */
    double *r_j;      /* [J][H] 1 - 2 σ(trans_r_j) */
    double *a_j;      /* [J][H] */
    double *w_out;    /* [n_out][H] */
    double *b_out;    /* [n_out] */
    /* silence_mult in CSR by row (S <- S @ silence_mult); NULL when it is
     * absent or the identity */
    int64_t *sil_row;
    int32_t *sil_col;
    double *sil_w;
} cx_glifr_model;

/* Bounds of the lateral delay: synaptic_delay up to 1 s (synaptic and axonal
 * delays are a few ms; the trained models use 1 ms), and d = int(synaptic_delay
 * / dt) up to 100000 steps (the delay ring holds d rate vectors of H). */
#define CX_GLIFR_MAX_DELAY_MS 1000.0
#define CX_GLIFR_MAX_DELAY_STEPS 100000

/* The keys config.json may hold, with their types and ranges (dt 0.001..10
 * ms, tau 0.001..1000 ms, synaptic_delay 0..CX_GLIFR_MAX_DELAY_MS, ...); an
 * override may set those marked param. */
const cx_json_schema *cx_glifr_config_schema(void);

/* Loads dir/model.safetensors with the constants of `config` (config.json
 * with overrides), checked against cx_glifr_config_schema (an unknown key, a
 * value of the wrong type or out of range is refused naming config_label and
 * the key). Missing keys take the upstream defaults: dt 0.05, tau = dt,
 * sigma_v 1, R 0.1, I0 0, v_reset 0, synaptic_delay 1 (ms). Layer sizes
 * (input_size, hidden_size, output_size, num_ascs) the config leaves out are
 * read from neuron_layer.weight_iv, output_linear.weight and neuron_layer.a_j;
 * every tensor must then have the shape they imply. */
cx_status cx_glifr_load(const char *dir, const cJSON *config, const char *config_label,
                        cx_glifr_model **out);
void cx_glifr_free(cx_glifr_model *m);

typedef struct cx_glifr_workspace cx_glifr_workspace;
cx_glifr_workspace *cx_glifr_workspace_alloc(const cx_glifr_model *m);
void cx_glifr_workspace_free(cx_glifr_workspace *ws);

/* Optional per-step records, each NULL to skip; layouts follow the upstream
 * traces for one sample: S, V, I_syn [T][H]; I_asc [J] blocks of
 * asc_stride doubles, each [T][H] (asc_stride lets a caller interleave samples). */
typedef struct {
    double *S, *V, *I_syn, *I_asc;
    size_t asc_stride;
} cx_glifr_record;

/* One sample from the zero state: x [T][n_in] -> y [T][n_out]. */
void cx_glifr_forward(const cx_glifr_model *m, cx_glifr_workspace *ws, const double *x, int T,
                      double *y, const cx_glifr_record *rec);

/* Multiply-adds of the products (dense input and readout, the nonzero
 * lateral weights once S_{t-d} exists) over a T-step sample, for benchmarks. */
double cx_glifr_macs_per_sample(const cx_glifr_model *m, int T);

#ifdef __cplusplus
}
#endif
#endif
