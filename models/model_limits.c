#include "cx_model_limits.h"

#include <inttypes.h>

cx_status cx_model_size(const char *file, const char *what, const int64_t *factors, int n,
                        int64_t *out)
{
    int64_t p = 1;
    double approx = 1; /* the true product, for the message once p is past the limit */
    int over = 0;
    for (int i = 0; i < n; i++) {
        approx *= (double)factors[i];
        if (factors[i] < 1)
            return cx_fail(CX_ERR_VALUE, "%s: %s: factor %d is %" PRId64 ", must be >= 1", file,
                           what, i + 1, factors[i]);
        /* p <= limit and the test keeps p * factor <= limit: no overflow */
        if (!over && p > CX_MODEL_MAX_ELEMS / factors[i])
            over = 1;
        else if (!over)
            p *= factors[i];
    }
    if (over)
        return cx_fail(CX_ERR_VALUE, "%s: %s = %.15g exceeds the limit of %" PRId64 " elements",
                       file, what, approx, CX_MODEL_MAX_ELEMS);
    *out = p;
    return CX_OK;
}
