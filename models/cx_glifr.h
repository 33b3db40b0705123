/* cx_glifr: a GLIFR network layer with after-spike currents (GLIFS_ASC), float64.
 *
 * Import of an upstream checkpoint folder (config.json + model.safetensors under
 * the GLIFRN state_dict keys) and the reference forward pass exactly as in
 * reference/glifr/MODEL.md §4: I_syn from the input and the delayed rate
 * S_{t-d}; ASCs from the undelayed S_{t-1}; V from the new ASCs; S = σ((V-V_th)/σ_V). */
#ifndef CX_GLIFR_H
#define CX_GLIFR_H

#include "cx_status.h"

#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n_in, hidden, n_out, num_asc; /* from the tensors, checked against the config */
    int delay_steps;                   /* lateral delay d >= 1 */
    double dt_ms, tau_ms, sigma_v, r_m, i0, v_reset, synaptic_delay_ms;

    double *w_in;     /* [n_in][H] */
    double *w_lat;    /* [H][H], row = presynaptic */
    double *thresh;   /* [H] */
    double *dtk_m;    /* [H] dt * k_m, k_m = σ(trans_k_m) / dt */
    double *dtk_j;    /* [J][H] */
    double *r_j;      /* [J][H] 1 - 2 σ(trans_r_j) */
    double *a_j;      /* [J][H] */
    double *w_out;    /* [n_out][H] */
    double *b_out;    /* [n_out] */
    double *silence;  /* [H][H], NULL when it is the identity */
} cx_glifr_model;

/* Loads dir/model.safetensors with the constants of `config` (config.json
 * with overrides). Missing keys take the upstream defaults: dt 0.05,
 * tau = dt, sigma_v 1, R 0.1, I0 0, v_reset 0, synaptic_delay 1 (ms). */
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

/* Multiply-adds of the dense products (input, lateral once S_{t-d} exists,
 * readout) over a T-step sample, for benchmarks. */
double cx_glifr_macs_per_sample(const cx_glifr_model *m, int T);

#ifdef __cplusplus
}
#endif
#endif
