/* cx_rng: per-tile random streams (placeholder, scalar). */
#ifndef CX_RNG_H
#define CX_RNG_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef struct {
    uint64_t s[4];
    double spare;
    int has_spare;
} cx_rng;
void cx_rng_seed(cx_rng *r, uint64_t seed, uint32_t chip, uint32_t tile, uint32_t stream);
void cx_rng_fill_u64(cx_rng *r, uint64_t *out, size_t n);
void cx_rng_fill_uniform(cx_rng *r, double *out, size_t n);
void cx_rng_fill_normal(cx_rng *r, double *out, size_t n);
double cx_rng_uniform(cx_rng *r);
double cx_rng_normal(cx_rng *r);
#ifdef __cplusplus
}
#endif
#endif
