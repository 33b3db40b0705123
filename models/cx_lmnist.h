/* cx_lmnist: line-by-line MNIST with a GLIFR network (row t of the image is
 * the input at step t), as in the upstream L-MNIST task. */
#ifndef CX_LMNIST_H
#define CX_LMNIST_H

#include "cx_glifr.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CX_LMNIST_ROWS = 28, CX_LMNIST_COLS = 28 };

/* The upstream torchvision pipeline in float32, each operation rounded:
 * x = (float(p)/255 - 0.1307f) / 0.3081f, widened to double. */
void cx_lmnist_input(const uint8_t *image, double *x);

/* Runs one 28x28 image; returns the argmax of the last-step readout (first
 * index on ties, as torch.argmax). `y` is scratch of 28*n_out doubles and
 * holds the readout of every step on return. */
int cx_lmnist_classify(const cx_glifr_model *m, cx_glifr_workspace *ws, const uint8_t *image,
                       double *y);

#ifdef __cplusplus
}
#endif
#endif
