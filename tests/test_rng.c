/* Per-tile random numbers: every lane against the published scalar
 * xoshiro256+, pinned sequences (every build, vectorized or not, must give
 * the same bits), draws independent of how they are split, unrelated
 * streams, the uniform and normal laws, and the ln / sincos kernels of the
 * Box-Muller transform against long-double libm. */
#include "cx_rng.h"
#include "test_util.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NSTAT = 1000000 }; /* samples for the distribution tests */

/* ---- references and helpers ---- */

/* xoshiro256+ exactly as published by Blackman & Vigna (xoshiro256plus.c). */
static uint64_t ref_rotl(const uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t ref_next(uint64_t s[4])
{
    const uint64_t result = s[0] + s[3];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return result;
}

/* The stream of n values from per-lane reference states: value 8k + j is the
 * k-th output of lane j. */
static void ref_stream(uint64_t s[CX_RNG_LANES][4], uint64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ref_next(s[i % CX_RNG_LANES]);
}

/* FNV-1a, for pinning long sequences. */
static uint64_t fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static double correlation(const double *a, const double *b, size_t n, size_t stride)
{
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++)
        ma += a[i * stride], mb += b[i * stride];
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double da = a[i * stride] - ma, db = b[i * stride] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    return sab / sqrt(saa * sbb);
}

typedef enum { KIND_U64, KIND_UNIFORM, KIND_NORMAL } kind;

/* n values of one kind from a fresh generator, in one fill. */
static void *draw(kind k, uint64_t seed, uint32_t chip, uint32_t tile, uint32_t stream, size_t n)
{
    cx_rng r;
    cx_rng_seed(&r, seed, chip, tile, stream);
    void *out = malloc(n * 8);
    if (k == KIND_U64) cx_rng_fill_u64(&r, out, n);
    if (k == KIND_UNIFORM) cx_rng_fill_uniform(&r, out, n);
    if (k == KIND_NORMAL) cx_rng_fill_normal(&r, out, n);
    return out;
}

/* The same n values drawn in calls of the given sizes (cycled); size 0 means
 * one single-draw call. */
static void *draw_chunked(kind k, size_t n, const size_t *sizes, size_t nsizes)
{
    cx_rng r;
    cx_rng_seed(&r, 7, 1, 2, CX_RNG_STREAM_THERMAL);
    char *out = malloc(n * 8);
    for (size_t done = 0, c = 0; done < n; c++) {
        size_t m = sizes[c % nsizes];
        if (m > n - done) m = n - done;
        void *at = out + done * 8;
        if (m == 0) { /* single draw */
            m = 1;
            if (k == KIND_U64) *(uint64_t *)at = cx_rng_u64(&r);
            if (k == KIND_UNIFORM) *(double *)at = cx_rng_uniform(&r);
            if (k == KIND_NORMAL) *(double *)at = cx_rng_normal(&r);
        } else {
            if (k == KIND_U64) cx_rng_fill_u64(&r, at, m);
            if (k == KIND_UNIFORM) cx_rng_fill_uniform(&r, at, m);
            if (k == KIND_NORMAL) cx_rng_fill_normal(&r, at, m);
        }
        done += m;
    }
    return out;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* ---- generator and seeding ---- */

START_TEST(struct_has_the_documented_size)
{
    ck_assert_uint_eq(sizeof(cx_rng), 4360);
}
END_TEST

START_TEST(lanes_are_published_xoshiro256plus)
{
    /* A hand-set state (lane j: {j+1, 2(j+1), 3(j+1), 4(j+1)}) and a seeded one. */
    for (int seeded = 0; seeded < 2; seeded++) {
        cx_rng r;
        cx_rng_seed(&r, 12345, 3, 9, CX_RNG_STREAM_FLICKER);
        uint64_t ref[CX_RNG_LANES][4];
        for (int j = 0; j < CX_RNG_LANES; j++)
            for (int w = 0; w < 4; w++) {
                if (!seeded) r.s[w][j] = (uint64_t)(w + 1) * (uint64_t)(j + 1);
                ref[j][w] = r.s[w][j];
            }
        enum { N = 8 * 1000 + 5 };
        static uint64_t got[N], want[N];
        got[0] = cx_rng_u64(&r); /* through the buffer, then fills across block edges */
        cx_rng_fill_u64(&r, got + 1, 6);
        cx_rng_fill_u64(&r, got + 7, N - 7);
        ref_stream(ref, want, N);
        if (!seeded) ck_assert_uint_eq(want[0], 5); /* s0 + s3 of lane 0 */
        size_t i = 0; /* first mismatch (one assertion: Check logs every one) */
        while (i < N && got[i] == want[i])
            i++;
        ck_assert_msg(i == N, "state %s, position %zu: %016llx, want %016llx",
                      seeded ? "seeded" : "hand-set", i, (unsigned long long)got[i % N],
                      (unsigned long long)want[i % N]);
    }
}
END_TEST

START_TEST(seeding_is_deterministic_and_never_zero)
{
    cx_rng a, b;
    cx_rng_seed(&a, 99, 2, 5, CX_RNG_STREAM_CROSSBAR_PROGRAMMING);
    cx_rng_seed(&b, 99, 2, 5, CX_RNG_STREAM_CROSSBAR_PROGRAMMING);
    ck_assert(memcmp(a.s, b.s, sizeof a.s) == 0);
    /* Re-seeding restarts the sequences and empties both buffers. */
    uint64_t first[300], again[300];
    double n1[3], n2[3];
    cx_rng_fill_u64(&a, first, 300);
    cx_rng_fill_normal(&a, n1, 3);
    cx_rng_seed(&a, 99, 2, 5, CX_RNG_STREAM_CROSSBAR_PROGRAMMING);
    cx_rng_fill_u64(&a, again, 300);
    cx_rng_fill_normal(&a, n2, 3);
    ck_assert(memcmp(first, again, sizeof first) == 0);
    ck_assert(memcmp(n1, n2, sizeof n1) == 0);
    /* Every lane of many tuples: non-zero state, and no two lanes alike. */
    enum { NT = 64 * 5 * 4 };
    static uint64_t words[NT * CX_RNG_LANES];
    size_t nw = 0, zero = 0, alike = 0;
    for (uint32_t tile = 0; tile < 64; tile++)
        for (uint32_t stream = 0; stream < 5; stream++)
            for (uint64_t seed = 0; seed < 4; seed++) {
                cx_rng_seed(&a, seed, 0, tile, stream);
                for (int j = 0; j < CX_RNG_LANES; j++) {
                    zero += (a.s[0][j] | a.s[1][j] | a.s[2][j] | a.s[3][j]) == 0;
                    words[nw++] = a.s[0][j];
                }
            }
    qsort(words, nw, sizeof *words, cmp_u64);
    for (size_t i = 1; i < nw; i++)
        alike += words[i] == words[i - 1];
    ck_assert_msg(zero == 0 && alike == 0, "%zu zero states, %zu equal words", zero, alike);
}
END_TEST

/* Pinned sequences: the bits are defined by the algorithm, so every build
 * (the release build vectorizes with AVX-512 where available, the sanitizer
 * build is scalar -O0) must reproduce these hashes. */
START_TEST(sequences_are_pinned)
{
    enum { N = 100000 };
    uint64_t *u = draw(KIND_U64, 42, 1, 2, CX_RNG_STREAM_THERMAL, N);
    double *f = draw(KIND_UNIFORM, 42, 1, 2, CX_RNG_STREAM_THERMAL, N);
    double *g = draw(KIND_NORMAL, 42, 1, 2, CX_RNG_STREAM_THERMAL, N);
    ck_assert_msg(u[0] == 0x99231936a58a9f32ULL && u[1] == 0x6d89f41fc688f395ULL,
                  "first values %016llx %016llx", (unsigned long long)u[0],
                  (unsigned long long)u[1]);
    uint64_t hu = fnv1a(u, N * 8), hf = fnv1a(f, N * 8), hg = fnv1a(g, N * 8);
    ck_assert_msg(hu == 0x8139ff9744a927c9ULL, "u64 hash %016llx", (unsigned long long)hu);
    ck_assert_msg(hf == 0xb129785fa16877abULL, "uniform hash %016llx", (unsigned long long)hf);
    ck_assert_msg(hg == 0x48568992ebfb8e8aULL, "normal hash %016llx (first %.17g)",
                  (unsigned long long)hg, g[0]);
    free(u);
    free(f);
    free(g);
}
END_TEST

/* ---- buffering ---- */

START_TEST(splitting_draws_changes_nothing)
{
    enum { N = 5000 };
    static const size_t odd[] = {1, 7, 8, 255, 256, 257, 3, 1000, 0, 0, 513, 9};
    static const size_t ones[] = {0};
    static const size_t blocks[] = {256, 512, 4000};
    for (kind k = KIND_U64; k <= KIND_NORMAL; k++) {
        void *whole = draw(k, 7, 1, 2, CX_RNG_STREAM_THERMAL, N);
        void *parts[3] = {draw_chunked(k, N, odd, sizeof odd / sizeof odd[0]),
                          draw_chunked(k, N, ones, 1), draw_chunked(k, N, blocks, 3)};
        for (int p = 0; p < 3; p++) {
            ck_assert_msg(memcmp(whole, parts[p], N * 8) == 0, "kind %d, split %d", (int)k, p);
            free(parts[p]);
        }
        free(whole);
    }
}
END_TEST

START_TEST(uniforms_are_the_top_53_bits_of_the_u64_stream)
{
    enum { N = 3000 };
    uint64_t *x = draw(KIND_U64, 5, 0, 0, 0, N);
    double *u = draw(KIND_UNIFORM, 5, 0, 0, 0, N);
    size_t i = 0; /* the conversion is exact, so equality is the test */
    while (i < N && u[i] == (double)((x[i] >> 11) + 1) * 0x1p-53)
        i++;
    ck_assert_msg(i == N, "position %zu", i);
    free(x);
    free(u);
}
END_TEST

/* A normal block is the documented Box-Muller transform of the next 256 u64
 * values, with the exposed kernels: out[j] = r cos(2 pi t), out[j + 128] = r sin. */
START_TEST(normals_are_the_documented_box_muller)
{
    enum { N = 4 * CX_RNG_NORMAL_BLOCK, P = CX_RNG_NORMAL_BLOCK / 2 };
    uint64_t *x = draw(KIND_U64, 11, 2, 3, CX_RNG_STREAM_ENCODER, N);
    double *g = draw(KIND_NORMAL, 11, 2, 3, CX_RNG_STREAM_ENCODER, N);
    size_t bad = 0, first = 0;
    for (size_t b = 0; b < N; b += CX_RNG_NORMAL_BLOCK)
        for (size_t j = 0; j < P; j++) {
            double u = (double)((x[b + j] >> 11) + 1) * 0x1p-53;
            double t = (double)(x[b + j + P] >> 11) * 0x1p-53, s, c;
            double r = sqrt(-2.0 * cx_rng_log(u));
            cx_rng_sincos_2pi(t, &s, &c);
            if (!(g[b + j] == r * c && g[b + j + P] == r * s) && bad++ == 0) first = b + j;
        }
    ck_assert_msg(bad == 0, "%zu pairs differ, first at %zu: %.17g", bad, first, g[first]);
    free(x);
    free(g);
}
END_TEST

/* A normal refill takes the next block of the u64 stream, wherever it stands. */
START_TEST(normal_refill_consumes_one_u64_block)
{
    cx_rng a, b;
    cx_rng_seed(&a, 3, 0, 1, CX_RNG_STREAM_THERMAL);
    cx_rng_seed(&b, 3, 0, 1, CX_RNG_STREAM_THERMAL);
    uint64_t xa[150], xb[150 + CX_RNG_NORMAL_BLOCK];
    double n;
    cx_rng_fill_u64(&a, xa, 100);
    n = cx_rng_normal(&a);
    cx_rng_fill_u64(&a, xa + 100, 50);
    cx_rng_fill_u64(&b, xb, 150 + CX_RNG_NORMAL_BLOCK);
    ck_assert(memcmp(xa, xb, 100 * 8) == 0);
    ck_assert(memcmp(xa + 100, xb + 100 + CX_RNG_NORMAL_BLOCK, 50 * 8) == 0);
    ck_assert(isfinite(n));
    /* The remaining buffered normals come without touching the u64 stream. */
    uint64_t ya, yb;
    double rest[CX_RNG_NORMAL_BLOCK - 1];
    cx_rng_fill_normal(&a, rest, CX_RNG_NORMAL_BLOCK - 1);
    ya = cx_rng_u64(&a);
    yb = cx_rng_u64(&b);
    ck_assert(ya == yb);
}
END_TEST

/* ---- independence ---- */

START_TEST(distinct_tuples_give_unrelated_sequences)
{
    enum { N = 200000 };
    /* Each differs from the base (seed 1, chip 0, tile 0, thermal) in one field. */
    static const uint64_t t[][4] = {{2, 0, 0, 0}, {1, 1, 0, 0}, {1, 0, 1, 0},
                                    {1, 0, 0, 1}, {1, 0, 0, 4}, {1ULL << 32, 0, 0, 0}};
    const double bound = 4.0 / sqrt((double)N);
    uint64_t *x0 = draw(KIND_U64, 1, 0, 0, 0, N);
    double *u0 = draw(KIND_UNIFORM, 1, 0, 0, 0, N), *g0 = draw(KIND_NORMAL, 1, 0, 0, 0, N);
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        uint32_t chip = (uint32_t)t[c][1], tile = (uint32_t)t[c][2], st = (uint32_t)t[c][3];
        uint64_t *x = draw(KIND_U64, t[c][0], chip, tile, st, N);
        double *u = draw(KIND_UNIFORM, t[c][0], chip, tile, st, N);
        double *g = draw(KIND_NORMAL, t[c][0], chip, tile, st, N);
        size_t same = 0;
        for (size_t i = 0; i < N; i++)
            same += x[i] == x0[i];
        ck_assert_msg(same == 0, "case %zu: %zu equal values", c, same);
        double ru = correlation(u, u0, N, 1), rg = correlation(g, g0, N, 1);
        ck_assert_msg(fabs(ru) < bound && fabs(rg) < bound, "case %zu: r %.2e, %.2e (bound %.2e)",
                      c, ru, rg, bound);
        free(x);
        free(u);
        free(g);
    }
    /* Lanes of one generator: every eighth value is one lane. */
    for (int j = 1; j < CX_RNG_LANES; j++) {
        double r = correlation(u0, u0 + j, N / CX_RNG_LANES, CX_RNG_LANES);
        ck_assert_msg(fabs(r) < 4.0 / sqrt((double)N / CX_RNG_LANES), "lane %d: r %.2e", j, r);
    }
    free(x0);
    free(u0);
    free(g0);
}
END_TEST

/* ---- the uniform law ---- */

START_TEST(uniform_law)
{
    const double n = NSTAT;
    double *u = draw(KIND_UNIFORM, 2024, 0, 3, CX_RNG_STREAM_MISMATCH, NSTAT);
    enum { BINS = 1000 };
    static double count[BINS];
    double sum = 0, sum2 = 0, outside = 0;
    for (size_t i = 0; i < NSTAT; i++) {
        if (!(u[i] > 0.0 && u[i] <= 1.0)) {
            outside++;
            continue;
        }
        int bin = (int)ceil(u[i] * BINS) - 1; /* (0, 1] onto 0..999 */
        count[bin]++;
        sum += u[i];
        sum2 += u[i] * u[i];
    }
    ck_assert_msg(outside == 0, "%g values outside (0, 1]", outside);
    double mean = sum / n, var = sum2 / n - mean * mean;
    /* Standard errors: sqrt(1/12 / n) for the mean, sqrt((1/80 - 1/144) / n) for the variance. */
    ck_assert_msg(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / n), "mean %.6f", mean);
    ck_assert_msg(fabs(var - 1.0 / 12) < 5 * sqrt((1.0 / 80 - 1.0 / 144) / n), "variance %.6f",
                  var);
    double chi2 = 0, e = n / BINS;
    for (int b = 0; b < BINS; b++)
        chi2 += (count[b] - e) * (count[b] - e) / e;
    double crit = gsl_cdf_chisq_Pinv(0.9999, BINS - 1);
    ck_assert_msg(chi2 < crit, "chi-square %.1f >= %.1f", chi2, crit);
    double r1 = correlation(u, u + 1, NSTAT - 1, 1);
    ck_assert_msg(fabs(r1) < 5 / sqrt(n), "lag-1 autocorrelation %.2e", r1);
    free(u);
}
END_TEST

/* ---- the normal law ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(normal_moments_and_correlations)
{
    const double n = NSTAT;
    double *g = draw(KIND_NORMAL, 77, 0, 5, CX_RNG_STREAM_THERMAL, NSTAT);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, biggest = 0;
    for (size_t i = 0; i < NSTAT; i++)
        m1 += g[i];
    m1 /= n;
    for (size_t i = 0; i < NSTAT; i++) {
        double d = g[i] - m1, d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
        biggest = fmax(biggest, fabs(d + m1));
    }
    ck_assert_msg(biggest <= 8.58, "|n| = %g beyond sqrt(-2 ln 2^-53)", biggest);
    m2 /= n;
    m3 /= n;
    m4 /= n;
    double skew = m3 / pow(m2, 1.5), kurt = m4 / (m2 * m2) - 3;
    /* 5 standard errors: 1/sqrt(n), sqrt(2/n), sqrt(6/n), sqrt(24/n). */
    ck_assert_msg(fabs(m1) < 5 / sqrt(n), "mean %.2e", m1);
    ck_assert_msg(fabs(m2 - 1) < 5 * sqrt(2 / n), "variance %.6f", m2);
    ck_assert_msg(fabs(skew) < 5 * sqrt(6 / n), "skewness %.2e", skew);
    ck_assert_msg(fabs(kurt) < 5 * sqrt(24 / n), "excess kurtosis %.2e", kurt);
    double r1 = correlation(g, g + 1, NSTAT - 1, 1);
    ck_assert_msg(fabs(r1) < 5 / sqrt(n), "lag-1 autocorrelation %.2e", r1);
    /* The two normals of a Box-Muller pair sit half a block apart. */
    const int P = CX_RNG_NORMAL_BLOCK / 2;
    double sab = 0;
    size_t pairs = 0;
    for (size_t b = 0; b + CX_RNG_NORMAL_BLOCK <= NSTAT; b += CX_RNG_NORMAL_BLOCK)
        for (int j = 0; j < P; j++, pairs++)
            sab += g[b + j] * g[b + j + P];
    double rp = sab / (double)pairs; /* mean 0, variance 1 */
    ck_assert_msg(fabs(rp) < 5 / sqrt((double)pairs), "pair correlation %.2e", rp);
    free(g);
}
END_TEST

START_TEST(normal_distribution_and_tails)
{
    const double n = NSTAT;
    double *g = draw(KIND_NORMAL, 31337, 2, 0, CX_RNG_STREAM_CROSSBAR_PROGRAMMING, NSTAT);
    double tail3 = 0, tail4 = 0;
    for (size_t i = 0; i < NSTAT; i++) {
        tail3 += fabs(g[i]) > 3;
        tail4 += fabs(g[i]) > 4;
    }
    const double p3 = 2 * gsl_cdf_ugaussian_Q(3), p4 = 2 * gsl_cdf_ugaussian_Q(4);
    ck_assert_msg(fabs(tail3 - n * p3) < 5 * sqrt(n * p3 * (1 - p3)), "P(|n| > 3): %g of %g", tail3,
                  n * p3);
    ck_assert_msg(fabs(tail4 - n * p4) < 5 * sqrt(n * p4 * (1 - p4)), "P(|n| > 4): %g of %g", tail4,
                  n * p4);
    /* Kolmogorov-Smirnov: sqrt(n) D below 1.9495, the 0.1% critical value. */
    qsort(g, NSTAT, sizeof *g, cmp_double);
    double d = 0;
    for (size_t i = 0; i < NSTAT; i++) {
        double f = gsl_cdf_ugaussian_P(g[i]);
        d = fmax(d, fmax((double)(i + 1) / n - f, f - (double)i / n));
    }
    ck_assert_msg(sqrt(n) * d < 1.9495, "KS sqrt(n) D = %.3f", sqrt(n) * d);
    free(g);
}
END_TEST

/* ---- the Box-Muller kernels ---- */

typedef long double ld;

/* Worst relative error over many points (asserted once: Check logs every assertion). */
typedef struct {
    double rel, at;
    int exact_fail; /* a value that must be exact is not */
} worst;

static void note(worst *w, double rel, double at)
{
    if (!(rel <= w->rel)) w->rel = rel, w->at = at; /* NaN counts as worst */
}

static void check_log(double x, worst *w)
{
    double got = cx_rng_log(x);
    ld ref = logl((ld)x);
    if (x == 1.0)
        w->exact_fail |= got != 0.0;
    else
        note(w, (double)(fabsl((ld)got - ref) / fabsl(ref)), x);
}

START_TEST(log_kernel_matches_libm)
{
    worst w = {0, 0, 0};
    cx_rng r;
    cx_rng_seed(&r, 1, 0, 0, 0);
    for (int i = 0; i < 200000; i++)
        check_log(cx_rng_uniform(&r), &w);
    for (int k = 0; k < 3000; k++) {
        check_log(1.0 - k * 0x1p-53, &w); /* just below 1: ln u ~ u - 1 */
        check_log(1.0 + k * 0x1p-52, &w);
        check_log((k + 1) * 0x1p-53, &w); /* the smallest uniforms */
    }
    /* Around the split points sqrt(1/2) 2^e, at every binade of the domain. */
    for (int e = -1021; e <= 1023; e++) {
        double c = ldexp(0.70710678118654752440, e);
        check_log(ldexp(1.0, e), &w);
        check_log(c, &w);
        check_log(nextafter(c, 0), &w);
        check_log(nextafter(c, INFINITY), &w);
    }
    check_log(1.7976931348623157e308, &w);
    check_log(2.2250738585072014e-308, &w);
    ck_assert_msg(!w.exact_fail, "ln 1 is not 0");
    ck_assert_msg(w.rel <= 1e-13, "ln %.17g: relative error %.2e", w.at, w.rel);
    fprintf(stderr, "cx_rng_log: worst relative error %.2e\n", w.rel);
}
END_TEST

/* sin and cos of 2 pi t in long double, from an exact reduction t = j/4 + d
 * (|d| <= 1/8), so that the reference stays accurate near every zero. */
static void ref_sincos(double t, ld *s, ld *c)
{
    const ld two_pi = 2 * acosl(-1.0L);
    ld j = nearbyintl(4 * (ld)t), d = (ld)t - j / 4; /* exact in long double */
    ld sd = sinl(two_pi * d), cd = cosl(two_pi * d);
    switch ((long long)j & 3) {
    case 0:
        *s = sd, *c = cd;
        break;
    case 1:
        *s = cd, *c = -sd;
        break;
    case 2:
        *s = -sd, *c = -cd;
        break;
    default:
        *s = -cd, *c = sd;
        break;
    }
}

static double rel_err(double got, ld ref)
{
    if (ref == 0) return got == 0 ? 0 : INFINITY;
    return (double)(fabsl((ld)got - ref) / fabsl(ref));
}

static void check_sincos(double t, worst *w, double *libm_abs)
{
    double s, c;
    ld rs, rc;
    cx_rng_sincos_2pi(t, &s, &c);
    ref_sincos(t, &rs, &rc);
    note(w, fmax(rel_err(s, rs), rel_err(c, rc)), t);
    /* Plain double libm agrees up to its own rounding of 2 pi t. */
    const double two_pi = 2 * acos(-1.0);
    double d = fmax(fabs(s - sin(two_pi * t)), fabs(c - cos(two_pi * t))) / fmax(1, fabs(t));
    if (!(d <= *libm_abs)) *libm_abs = d;
}

START_TEST(sincos_kernel_matches_libm)
{
    worst w = {0, 0, 0};
    double libm_abs = 0;
    cx_rng r;
    cx_rng_seed(&r, 2, 0, 0, 0);
    for (int i = 0; i < 200000; i++) {
        uint64_t x = cx_rng_u64(&r);
        check_sincos((double)(x >> 11) * 0x1p-53, &w, &libm_abs); /* the Box-Muller angles */
    }
    /* Every octant edge and every zero of sin or cos, and a few ulps on either side. */
    for (int q = 0; q <= 8; q++)
        for (int k = -300; k <= 300; k++) {
            double t = q / 8.0 + k * 0x1p-53;
            if (t >= 0 && t < 1) check_sincos(t, &w, &libm_abs);
        }
    for (int k = 1; k < 3000; k++)
        check_sincos(k * 1e-19, &w, &libm_abs); /* tiny angles */
    for (int i = 0; i < 2000; i++)
        check_sincos(-3.0 + 6.0 * cx_rng_uniform(&r), &w, &libm_abs);
    ck_assert_msg(w.rel <= 1e-13, "sincos(2 pi %.17g): relative error %.2e", w.at, w.rel);
    ck_assert_msg(libm_abs <= 4e-15, "sin()/cos() differ by %.2e", libm_abs);
    /* Exact values at quarter turns. */
    double s, c;
    cx_rng_sincos_2pi(0.25, &s, &c);
    ck_assert(s == 1.0 && c == 0.0);
    cx_rng_sincos_2pi(0.5, &s, &c);
    ck_assert(s == 0.0 && c == -1.0);
    cx_rng_sincos_2pi(0.75, &s, &c);
    ck_assert(s == -1.0 && c == 0.0);
    fprintf(stderr, "cx_rng_sincos_2pi: worst relative error %.2e\n", w.rel);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, struct_has_the_documented_size);
    tcase_add_test(tc, lanes_are_published_xoshiro256plus);
    tcase_add_test(tc, seeding_is_deterministic_and_never_zero);
    tcase_add_test(tc, sequences_are_pinned);
    tcase_add_test(tc, splitting_draws_changes_nothing);
    tcase_add_test(tc, uniforms_are_the_top_53_bits_of_the_u64_stream);
    tcase_add_test(tc, normals_are_the_documented_box_muller);
    tcase_add_test(tc, normal_refill_consumes_one_u64_block);
    tcase_add_test(tc, distinct_tuples_give_unrelated_sequences);
    tcase_add_test(tc, uniform_law);
    tcase_add_test(tc, normal_moments_and_correlations);
    tcase_add_test(tc, normal_distribution_and_tails);
    tcase_add_test(tc, log_kernel_matches_libm);
    tcase_add_test(tc, sincos_kernel_matches_libm);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
