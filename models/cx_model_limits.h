/* cx_model_limits: the size limit of checkpoint import.
 *
 * Sizes read from a config (ELM num_branch, num_synapse_per_branch, ...) or
 * implied by it (a weight matrix, the synapses, the GLIFR delay ring) are
 * multiplied in 64 bits without overflow and refused, naming their keys,
 * when a product exceeds CX_MODEL_MAX_ELEMS. */
#ifndef CX_MODEL_LIMITS_H
#define CX_MODEL_LIMITS_H

#include "cx_status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Elements of any one array a checkpoint implies: 2^31 - 1, so every index
 * fits the int the kernels index with. Far beyond the shipped models (the
 * largest ELM array has 29,000 elements); memory runs out before it. */
#define CX_MODEL_MAX_ELEMS INT64_C(2147483647)

/* factors[0] x ... x factors[n-1] (each >= 1) into *out, or CX_ERR_VALUE
 * "FILE: WHAT = ... exceeds the limit of 2147483647 elements" when it is
 * larger than CX_MODEL_MAX_ELEMS; `what` names the keys ("num_branch x
 * num_synapse_per_branch"). */
cx_status cx_model_size(const char *file, const char *what, const int64_t *factors, int n,
                        int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
