#include "cx_rng.h"
#include <math.h>
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
void cx_rng_seed(cx_rng *r, uint64_t seed, uint32_t chip, uint32_t tile, uint32_t stream)
{
    uint64_t x = seed ^ ((uint64_t)chip << 40) ^ ((uint64_t)tile << 8) ^ stream;
    x = splitmix(&x);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&x);
    r->has_spare = 0;
}
static uint64_t next(cx_rng *r)
{
    uint64_t *s = r->s, res = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}
void cx_rng_fill_u64(cx_rng *r, uint64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = next(r);
}
double cx_rng_uniform(cx_rng *r)
{
    return ((next(r) >> 11) + 1) * 0x1.0p-53;
}
void cx_rng_fill_uniform(cx_rng *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = cx_rng_uniform(r);
}
double cx_rng_normal(cx_rng *r)
{
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    double u1 = cx_rng_uniform(r), u2 = cx_rng_uniform(r);
    double m = sqrt(-2 * log(u1));
    r->spare = m * sin(6.283185307179586476925 * u2);
    r->has_spare = 1;
    return m * cos(6.283185307179586476925 * u2);
}
void cx_rng_fill_normal(cx_rng *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = cx_rng_normal(r);
}
