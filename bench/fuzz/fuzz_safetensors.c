/* libFuzzer target: the safetensors reader (cx_st_parse) and the tensor
 * conversions every reader uses (cx_st_to_f64, cx_st_to_i64). Any input must
 * give CX_OK or an error, never a crash or a sanitizer report. */
#include "cx_st.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    cx_st_file *f = NULL;
    if (cx_st_parse("fuzz.safetensors", buf, size, &f) != CX_OK) return 0; /* buf taken */
    for (size_t i = 0; i < f->ntensors && i < 64; i++) {
        double *d = NULL;
        int64_t *v = NULL;
        if (cx_st_to_f64(f, &f->tensors[i], 1, &d) == CX_OK) free(d);
        if (cx_st_to_i64(f, &f->tensors[i], &v) == CX_OK) free(v);
    }
    (void)cx_st_meta(f, "format");
    cx_st_close(f);
    return 0;
}
