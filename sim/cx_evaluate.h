/* cx_evaluate: a program over a set of inputs, its error against the
 * reference, and the noise prediction (Monte Carlo over chip instances on
 * the fast kernel, one noise source at a time for the error budget). */
#ifndef CX_EVALUATE_H
#define CX_EVALUATE_H

#include "cx_exec.h"
#include "cx_inputs.h"

#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Noise sources of the chip description, in report order. */
enum { CX_NOISE_SOURCES = 6 };
const char *cx_noise_source_name(int s);
/* The chip with every source off (ideal) when s < 0, or only source s on as
 * configured; 0 when the chip has that source off (nothing to budget). */
int cx_chip_with_source(const cx_chip_config *chip, int s, cx_chip_config *out);

/* Runs every sample of `in`; y [S][T][n_out]. Progress goes to `label` when
 * non-NULL. With keep, the executor stays alive for its statistics. */
cx_status cx_evaluate(const cx_program *p, const cx_chip_config *chip, const cx_exec_opts *o,
                      const cx_inputs *in, double *y, const char *label, cx_exec **keep);

typedef struct {
    int n_out;
    double rmse;        /* over outputs, steps and samples */
    double rmse_last;   /* last step only */
    double *per_output; /* n_out, over steps and samples */
    double max_abs;
} cx_error;

/* Error of y against ref ([S][T][O]); free with cx_error_release. */
cx_status cx_error_of(const double *y, const double *ref, int64_t S, int64_t T, int O, cx_error *e);
void cx_error_release(cx_error *e);
cJSON *cx_error_json(const cx_error *e);

/* Accuracy of the last-step argmax against labels. */
double cx_accuracy_last(const double *y, const uint8_t *labels, int64_t S, int64_t T, int O);

#ifdef __cplusplus
}
#endif
#endif
