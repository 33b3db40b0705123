#include "cx_lmnist.h"

void cx_lmnist_input(const uint8_t *image, double *x)
{
    const float mean = 0.1307f, std = 0.3081f;
    for (int i = 0; i < CX_LMNIST_ROWS * CX_LMNIST_COLS; i++) {
        float v = (float)image[i] / 255.0f; /* ToTensor */
        v = v - mean;                        /* Normalize, in float32 like torch */
        v = v / std;
        x[i] = (double)v;
    }
}

int cx_lmnist_classify(const cx_glifr_model *m, cx_glifr_workspace *ws, const uint8_t *image,
                       double *y)
{
    double x[CX_LMNIST_ROWS * CX_LMNIST_COLS];
    cx_lmnist_input(image, x);
    cx_glifr_forward(m, ws, x, CX_LMNIST_ROWS, y, NULL);
    const double *last = y + (size_t)(CX_LMNIST_ROWS - 1) * (size_t)m->n_out;
    int best = 0;
    for (int o = 1; o < m->n_out; o++)
        if (last[o] > last[best]) best = o;
    return best;
}
