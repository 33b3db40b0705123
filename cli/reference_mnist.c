/* MNIST test-set evaluation of a GLIFR L-MNIST checkpoint (placeholder until the idx reader lands). */
#include "cx_glifr.h"
#include "cx_status.h"

cx_status cx_reference_mnist(const char *dir, const cx_glifr_model *m, long limit, long *samples,
                             long *correct, double *seconds);
cx_status cx_reference_mnist(const char *dir, const cx_glifr_model *m, long limit, long *samples,
                             long *correct, double *seconds)
{
    (void)m; (void)limit; (void)samples; (void)correct; (void)seconds;
    return cx_fail(CX_ERR_UNSUPPORTED, "%s: MNIST reader not built yet", dir);
}
