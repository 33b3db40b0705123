#include "cx_limits.h"

int cx_output_fits(uint64_t rows, uint64_t row_bytes, uint64_t *bytes)
{
    if (__builtin_mul_overflow(rows, row_bytes, bytes)) *bytes = UINT64_MAX;
    return *bytes <= CX_MAX_OUTPUT_BYTES;
}
