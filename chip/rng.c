/* Eight-lane xoshiro256+, its seeding, buffered draws and a vectorized
 * Box-Muller (cx_rng.h explains the design). Built with -ffp-contract=off
 * (no build fuses a multiply-add another would not) and -fno-math-errno (so
 * that sqrt vectorizes). */
#include "cx_rng.h"

#include <math.h>
#include <string.h>

_Static_assert(sizeof(cx_rng) == 4360, "cx_rng.h documents the size");
_Static_assert(CX_RNG_BLOCK % CX_RNG_LANES == 0, "whole steps per block");
_Static_assert(CX_RNG_NORMAL_BLOCK % (2 * CX_RNG_LANES) == 0, "pairs fill whole vectors");

enum { LANES = CX_RNG_LANES, PAIRS = CX_RNG_NORMAL_BLOCK / 2 };

/* ---- bit casts (memcpy: no aliasing hazard, compiles to nothing) ---- */

static inline uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double double_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- generator ---- */

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Runs `steps` steps of all lanes: out[8k + j] = k-th output of lane j. */
static void generate(uint64_t (*restrict s)[LANES], uint64_t *restrict out, size_t steps)
{
    uint64_t s0[LANES], s1[LANES], s2[LANES], s3[LANES];
    memcpy(s0, s[0], sizeof s0);
    memcpy(s1, s[1], sizeof s1);
    memcpy(s2, s[2], sizeof s2);
    memcpy(s3, s[3], sizeof s3);
    for (size_t k = 0; k < steps; k++) {
#pragma omp simd
        for (int j = 0; j < LANES; j++) {
            out[k * LANES + j] = s0[j] + s3[j];
            uint64_t t = s1[j] << 17;
            s2[j] ^= s0[j];
            s3[j] ^= s1[j];
            s1[j] ^= s2[j];
            s0[j] ^= s3[j];
            s2[j] ^= t;
            s3[j] = rotl(s3[j], 45);
        }
    }
    memcpy(s[0], s0, sizeof s0);
    memcpy(s[1], s1, sizeof s1);
    memcpy(s[2], s2, sizeof s2);
    memcpy(s[3], s3, sizeof s3);
}

/* ---- seeding ---- */

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL

/* splitmix64's finalizer (Stafford's Mix13): a bijection of 64-bit words. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x)
{
    return mix64(*x += SPLITMIX_GAMMA);
}

/* Folds a field into the hash; a bijection of h for fixed v and of v for fixed h. */
static uint64_t absorb(uint64_t h, uint64_t v)
{
    return mix64((h ^ v) + SPLITMIX_GAMMA);
}

void cx_rng_seed(cx_rng *r, uint64_t seed, uint32_t chip, uint32_t tile, uint32_t stream)
{
    uint64_t h = absorb(0x63782d726e672d31ULL /* "cx-rng-1" */, seed);
    h = absorb(h, chip);
    h = absorb(h, tile);
    h = absorb(h, stream);
    for (int j = 0; j < LANES; j++) {
        /* Never all zero: splitmix64 maps four distinct counters through a
         * bijection, so at most one of the four words is 0. */
        uint64_t x = absorb(h, (uint64_t)j);
        for (int w = 0; w < 4; w++)
            r->s[w][j] = splitmix64(&x);
    }
    r->u64_next = CX_RNG_BLOCK;
    r->normal_next = CX_RNG_NORMAL_BLOCK;
}

/* ---- u64 and uniform draws ---- */

/* 53-bit integer to double, exact. AVX-512DQ converts 64-bit integers in
 * one instruction; elsewhere two 2^52-offset halves keep the loop vectorizable
 * (no vector int64 conversion). Both give the same bits. */
static inline double top53(uint64_t x)
{
#ifdef __AVX512DQ__
    return (double)(int64_t)(x >> 11);
#else
    double hi = double_of(0x4330000000000000ULL | (x >> 32)) - 0x1p52;
    double lo = double_of(0x4330000000000000ULL | ((x >> 11) & 0x1fffff)) - 0x1p52;
    return hi * 0x1p21 + lo;
#endif
}

/* 2^53 times the uniform of x, an integer in [1, 2^53]. */
static inline double uniform_2p53(uint64_t x)
{
    return top53(x) + 1.0;
}

/* (0, 1]: never 0, so log is safe. */
static inline double to_uniform(uint64_t x)
{
    return uniform_2p53(x) * 0x1p-53;
}

static void refill_u64(cx_rng *r)
{
    generate(r->s, r->u64, CX_RNG_BLOCK / LANES);
    r->u64_next = 0;
}

void cx_rng_fill_u64(cx_rng *r, uint64_t *out, size_t n)
{
    while (n > 0) {
        if (r->u64_next == CX_RNG_BLOCK) {
            if (n >= LANES) { /* whole steps straight to out: the same values, no copy */
                size_t steps = n / LANES;
                generate(r->s, out, steps);
                out += steps * LANES;
                n -= steps * LANES;
                continue;
            }
            refill_u64(r);
        }
        size_t take = CX_RNG_BLOCK - r->u64_next;
        if (take > n) take = n;
        memcpy(out, r->u64 + r->u64_next, take * sizeof *out);
        r->u64_next += (uint32_t)take;
        out += take;
        n -= take;
    }
}

uint64_t cx_rng_u64(cx_rng *r)
{
    if (r->u64_next == CX_RNG_BLOCK) refill_u64(r);
    return r->u64[r->u64_next++];
}

void cx_rng_fill_uniform(cx_rng *r, double *out, size_t n)
{
    uint64_t x[CX_RNG_BLOCK];
    while (n > 0) {
        size_t m = n < CX_RNG_BLOCK ? n : CX_RNG_BLOCK;
        cx_rng_fill_u64(r, x, m);
#pragma omp simd
        for (size_t i = 0; i < m; i++)
            out[i] = to_uniform(x[i]);
        out += m;
        n -= m;
    }
}

double cx_rng_uniform(cx_rng *r)
{
    return to_uniform(cx_rng_u64(r));
}

/* ---- vectorizable ln and sincos(2 pi t) ---- */

/* ln(x 2^-shift) for positive normal x (shift = 53 takes the integer 2^53 u
 * straight to ln u, saving the scaling): x = 2^k m, m in [sqrt(1/2), sqrt(2)),
 * ln m = ln(1 + s) - ln(1 - s) = 2s + s R(s^2), s = (m - 1) / (m + 1), with
 * fdlibm's minimax polynomial for R (e_log.c, |error| < 2^-58.45). The bit
 * split is branch-free and k reaches double through a 2^52 offset (vectors
 * have no int64 convert before AVX-512). */
static inline double log_kernel(double x, double shift)
{
    const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000: k ln2_hi is exact */
    const double ln2_lo = 1.90821492927058770002e-10;
    const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                 lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                 lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                 lg7 = 1.479819860511658591e-01;
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdULL; /* bits of sqrt(1/2) */
    /* Offsetting the bits by those of 1 - sqrt(1/2) makes the exponent field
     * step up exactly where the mantissa reaches sqrt(2). */
    uint64_t ix = bits_of(x) + (0x3ff0000000000000ULL - sqrt_half);
    double k = double_of(0x4330000000000000ULL | (ix >> 52)) - (0x1p52 + 1023.0 + shift);
    double m = double_of((ix & 0x000fffffffffffffULL) + sqrt_half);
    double f = m - 1.0; /* exact: m is within a factor 2 of 1 */
    double s = f / (2.0 + f), z = s * s, w = z * z;
    double rr = w * (lg2 + w * (lg4 + w * lg6)) + z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
    return k * ln2_hi + (s * (2.0 + rr) + k * ln2_lo);
}

/* sin and cos of 2 pi t from y = 4t (quarter turns, |y| < 2^51): y = q + r
 * with q the nearest integer (both steps exact), so 2 pi t = q pi/2 + a,
 * a = r pi/2 in [-pi/4, pi/4]. fdlibm's minimax polynomials on a (k_sin.c,
 * k_cos.c: |error| < 2^-58), then q mod 4 swaps them (a select) and flips
 * their signs (a sign-bit xor): no branch, so the Box-Muller loop vectorizes. */
static inline void sincos_quarter_turns(double y, double *sn, double *cs)
{
    const double s1 = -1.66666666666666324348e-01, s2 = 8.33333333332248946124e-03,
                 s3 = -1.98412698298579493134e-04, s4 = 2.75573137070700676789e-06,
                 s5 = -2.50507602534068634195e-08, s6 = 1.58969099521155010221e-10;
    const double c1 = 4.16666666666666019037e-02, c2 = -1.38888888888741095749e-03,
                 c3 = 2.48015872894767294178e-05, c4 = -2.75573143513906633035e-07,
                 c5 = 2.08757232129817482790e-09, c6 = -1.13596475577881948265e-11;
    const double half_pi = 1.57079632679489661923;
    const double round_magic = 0x1.8p52; /* y + 1.5 2^52 holds round(y) in its low bits */
    const uint64_t sign = 0x8000000000000000ULL;
    double yq = y + round_magic;
    uint64_t q = bits_of(yq); /* low bits: round(y), two's complement */
    double a = (y - (yq - round_magic)) * half_pi;
    double z = a * a;
    double sa = a + z * a * (s1 + z * (s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))));
    double ca = 1.0 + z * (-0.5 + z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6))))));
    int odd = (int)(q & 1);
    double s_abs = odd ? ca : sa, c_abs = odd ? sa : ca;
    *sn = double_of(bits_of(s_abs) ^ ((q << 62) & sign));
    *cs = double_of(bits_of(c_abs) ^ (((q + 1) << 62) & sign));
}

double cx_rng_log(double x)
{
    return log_kernel(x, 0.0);
}

void cx_rng_sincos_2pi(double t, double *sin_out, double *cos_out)
{
    sincos_quarter_turns(4.0 * t, sin_out, cos_out);
}

/* ---- normals ---- */

/* Box-Muller over one block of u64 values (pairs v[j], v[j + PAIRS]). */
static void box_muller(const uint64_t *restrict v, double *restrict out)
{
#pragma omp simd
    for (int j = 0; j < PAIRS; j++) {
        double u_2p53 = uniform_2p53(v[j]), quarter_turns = top53(v[j + PAIRS]) * 0x1p-51; /* 4t */
        double rad = sqrt(-2.0 * log_kernel(u_2p53, 53.0)), sn, cs; /* bits of ln u */
        sincos_quarter_turns(quarter_turns, &sn, &cs);
        out[j] = rad * cs;
        out[j + PAIRS] = rad * sn;
    }
}

static void normal_block(cx_rng *r, double *out)
{
    uint64_t v[CX_RNG_NORMAL_BLOCK];
    cx_rng_fill_u64(r, v, CX_RNG_NORMAL_BLOCK);
    box_muller(v, out);
}

void cx_rng_fill_normal(cx_rng *r, double *out, size_t n)
{
    while (n > 0) {
        if (r->normal_next == CX_RNG_NORMAL_BLOCK) {
            if (n >= CX_RNG_NORMAL_BLOCK) { /* whole blocks straight to out */
                normal_block(r, out);
                out += CX_RNG_NORMAL_BLOCK;
                n -= CX_RNG_NORMAL_BLOCK;
                continue;
            }
            normal_block(r, r->normal);
            r->normal_next = 0;
        }
        size_t take = CX_RNG_NORMAL_BLOCK - r->normal_next;
        if (take > n) take = n;
        memcpy(out, r->normal + r->normal_next, take * sizeof *out);
        r->normal_next += (uint32_t)take;
        out += take;
        n -= take;
    }
}

double cx_rng_normal(cx_rng *r)
{
    if (r->normal_next == CX_RNG_NORMAL_BLOCK) {
        normal_block(r, r->normal);
        r->normal_next = 0;
    }
    return r->normal[r->normal_next++];
}
