/* cx_elm: the Expressive Leaky Memory neuron (ELM v1 / Branch-ELM), float64.
 *
 * Import of an upstream checkpoint folder (model_config.json + model.safetensors
 * under the original state_dict keys) and the reference forward pass, exactly
 * as specified in reference/elm/MODEL.md:
 *   s_t = κ_s ⊙ s_{t-1} + w_s ⊙ u_t,  β_t[b] = Σ_j s_t[b,j]
 *   z_t = [β_t, κ_m ⊙ m_{t-1}],  o_t = MLP(z_t),  Δm_t = 1.7159 tanh(2/3 o_t)
 *   m_t = κ_m ⊙ m_{t-1} + λ (1 - κ_m) ⊙ Δm_t,  y_t = W_y m_t + b_y
 * Synapses of one branch with the same κ_s share one trace (the branch sum is
 * linear), which is exact up to float64 rounding and makes a step cost
 * O(active synapses + MLP) instead of O(all synapses). */
#ifndef CX_ELM_H
#define CX_ELM_H

#include "cx_json.h"
#include "cx_status.h"

#include <cJSON.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CX_ACT_RELU, CX_ACT_SILU } cx_activation;
typedef enum { CX_ROUTING_NONE, CX_ROUTING_NEURONIO, CX_ROUTING_RANDOM } cx_elm_routing;

typedef struct {
    /* constructor arguments (config, or upstream defaults; see cx_elm_load) */
    int num_input, num_output, num_memory, num_branch, num_synapse_per_branch;
    int mlp_num_layers, mlp_hidden_size;
    double lambda, delta_t_ms, memory_tau_min_ms, memory_tau_max_ms;
    cx_activation activation;
    cx_elm_routing routing;

    /* derived parameters, float64, transforms already applied */
    int num_synapse;
    double *w_s;        /* [num_synapse] relu(_proto_w_s) */
    double *kappa_s;    /* [num_synapse] exp(-Δt / max(τ_s, 1e-6)) */
    int64_t *syn_input; /* [num_synapse] input channel feeding each synapse */
    uint8_t *syn_valid; /* [num_synapse] routing mask */
    double *tau_m_ms;   /* [M] */
    double *kappa_m;    /* [M] */
    int num_layers;     /* linear layers in the MLP: mlp_num_layers + 1 */
    int *layer_in, *layer_out;
    double **layer_w;  /* [in][out]: transposed for column-order accumulation */
    double **layer_b;  /* [out] */
    double *w_y, *b_y; /* [M][num_output] (transposed), [num_output] */

    /* trace groups: synapses sharing (branch, κ_s) share one trace */
    int num_groups;
    int *group_branch;   /* [num_groups] */
    double *group_kappa; /* [num_groups] */
    /* input channel -> (group, weight) fan-out in CSR form */
    int *fan_start; /* [num_input + 1] */
    int *fan_group;
    double *fan_weight;
} cx_elm_model;

/* The keys model_config.json may hold (the upstream constructor arguments),
 * with their types and ranges; an override may set those marked param. */
const cx_json_schema *cx_elm_config_schema(void);

/* Loads dir/model.safetensors with the constructor arguments in `config`
 * (the parsed model_config.json with any overrides applied), checked against
 * cx_elm_config_schema: an unknown key, a value of the wrong type or out of
 * range, and a size product over CX_MODEL_MAX_ELEMS are refused, naming
 * config_label and the keys. Missing keys take the upstream constructor
 * defaults: lambda_value 5, mlp_num_layers 1, mlp_hidden_size 2*num_memory,
 * tau_s_value 5, memory_tau_min 1, memory_tau_max 1000, num_branch
 * num_input, num_synapse_per_branch 1, input_to_synapse_routing null,
 * delta_t 1, mlp_activation "relu". */
cx_status cx_elm_load(const char *dir, const cJSON *config, const char *config_label,
                      cx_elm_model **out);
void cx_elm_free(cx_elm_model *m);

/* Scratch for one forward pass; no allocation inside cx_elm_forward. */
typedef struct cx_elm_workspace cx_elm_workspace;
cx_elm_workspace *cx_elm_workspace_alloc(const cx_elm_model *m);
void cx_elm_workspace_free(cx_elm_workspace *ws);

/* One sample's input as sparse events: at step t the nonzero inputs are
 * channel[e], value[e] for e in [step_start[t], step_start[t+1]). Spike
 * rasters are sparse, so a step costs O(events), not O(num_input). */
typedef struct {
    int steps;
    int *step_start; /* [steps + 1] */
    int *channel;
    double *value;
    size_t capacity;
} cx_elm_input;

/* Builds events from a dense [T][num_input] array (zeros dropped); reuses `in`'s buffers. */
cx_status cx_elm_input_from_dense(cx_elm_input *in, const double *x, int T, int num_input);
/* Builds events from a uint8 spike raster [T][num_input]; channels >= num_input/2
 * enter as -count (NeuronIO: the second half of the channels is inhibitory). */
cx_status cx_elm_input_from_neuronio_spikes(cx_elm_input *in, const uint8_t *spikes, int T,
                                            int num_input);
void cx_elm_input_release(cx_elm_input *in);

/* One sample from the all-zero state: y [T][num_output]. Optional records
 * (NULL to skip): branch input β [T][B], memory m [T][M]. */
void cx_elm_forward(const cx_elm_model *m, cx_elm_workspace *ws, const cx_elm_input *in, double *y,
                    double *rec_branch, double *rec_memory);

/* Multiply-adds per step of the dense part (MLP + readout), for benchmarks. */
double cx_elm_macs_per_step(const cx_elm_model *m);

#ifdef __cplusplus
}
#endif
#endif
