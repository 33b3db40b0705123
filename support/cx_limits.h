/* cx_limits: how much a run may allocate for the outputs it records.
 *
 * Output buffers are sized by the user (--steps, samples x steps, --record):
 * they are checked against this limit before anything is allocated, so a
 * run that is too long is one clear error naming the option instead of an
 * attempt at terabytes. */
#ifndef CX_LIMITS_H
#define CX_LIMITS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CX_MAX_OUTPUT_BYTES (UINT64_C(4) << 30) /* 4 GiB */

/* *bytes = rows x row_bytes (UINT64_MAX when that overflows); 1 when it is
 * at most CX_MAX_OUTPUT_BYTES. */
int cx_output_fits(uint64_t rows, uint64_t row_bytes, uint64_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
