/* cx_inputs: model inputs for compile (calibration) and run, in the layouts
 * `cortile reference` reads, and the float64 reference outputs on them. */
#ifndef CX_INPUTS_H
#define CX_INPUTS_H

#include "cx_model.h"
#include "cx_status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t samples, steps, n; /* x is [samples][steps][n] */
    double *x;                 /* model inputs (NeuronIO signs applied) */
    uint8_t *labels;           /* [samples] class labels (MNIST, or a 'labels' tensor), else NULL */
    int spikes;                /* 1: from a 'spikes' tensor */
} cx_inputs;

/* ELM: 'spikes' [S,T,n] (channels >= n/2 inhibitory: -1) or 'x' [S,T,n];
 * GLIFR: 'x' [B,T,n]. At most `limit` samples when limit > 0. */
cx_status cx_inputs_load(const char *path, cx_model_kind kind, int n_inputs, long limit,
                         cx_inputs *out);
/* Line-by-line MNIST test set from DIR (t10k-*-ubyte[.gz]): [S][28][28]. */
cx_status cx_inputs_mnist(const char *dir, long limit, cx_inputs *out);
void cx_inputs_release(cx_inputs *in);

/* The reference simulator's outputs on every sample: y [S][T][n_out]. */
cx_status cx_inputs_reference(const cx_model *m, const cx_inputs *in, double *y);
int cx_model_outputs(const cx_model *m);
int cx_model_inputs(const cx_model *m);

#ifdef __cplusplus
}
#endif
#endif
