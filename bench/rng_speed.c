/* Speed of the per-tile random numbers (cx_rng): ns per value and values per
 * second for bulk fills of u64, uniforms and normals from a buffer that stays
 * in L1, for the single-draw calls, and for GSL's Mersenne Twister with its
 * ziggurat normal as a yardstick. Best of several repetitions.
 *
 *   cortile_rng_speed [values]        (default 2e8 per measurement) */
#define _POSIX_C_SOURCE 200809L
#include "cx_rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { CHUNK = 4096, REPS = 3 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double sink; /* keeps results alive */

typedef enum {
    K_U64,
    K_UNIFORM,
    K_NORMAL,
    K_UNIFORM1,
    K_NORMAL1,
    K_GSL_UNIFORM,
    K_GSL_NORMAL
} kind;

static double run(kind k, size_t n, cx_rng *r, gsl_rng *g)
{
    static uint64_t u[CHUNK];
    static double d[CHUNK];
    double t0 = now_s(), acc = 0;
    for (size_t done = 0; done < n; done += CHUNK) {
        switch (k) {
        case K_U64:
            cx_rng_fill_u64(r, u, CHUNK);
            acc += (double)(u[0] >> 11);
            break;
        case K_UNIFORM:
            cx_rng_fill_uniform(r, d, CHUNK);
            break;
        case K_NORMAL:
            cx_rng_fill_normal(r, d, CHUNK);
            break;
        case K_UNIFORM1:
            for (int i = 0; i < CHUNK; i++)
                acc += cx_rng_uniform(r);
            break;
        case K_NORMAL1:
            for (int i = 0; i < CHUNK; i++)
                acc += cx_rng_normal(r);
            break;
        case K_GSL_UNIFORM:
            for (int i = 0; i < CHUNK; i++)
                acc += gsl_rng_uniform_pos(g);
            break;
        case K_GSL_NORMAL:
            for (int i = 0; i < CHUNK; i++)
                acc += gsl_ran_gaussian_ziggurat(g, 1.0);
            break;
        }
        acc += d[done % CHUNK];
    }
    sink += acc;
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtod(argv[1], NULL) : (size_t)2e8;
    n = n < CHUNK ? CHUNK : n / CHUNK * CHUNK; /* whole fills */
    cx_rng r;
    cx_rng_seed(&r, 1, 0, 0, CX_RNG_STREAM_THERMAL);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    static const struct {
        kind k;
        const char *name, *target;
    } rows[] = {
        {K_U64, "cx_rng_fill_u64", "<= 0.5"},
        {K_UNIFORM, "cx_rng_fill_uniform", ""},
        {K_NORMAL, "cx_rng_fill_normal", "<= 1.5"},
        {K_UNIFORM1, "cx_rng_uniform (one at a time)", ""},
        {K_NORMAL1, "cx_rng_normal (one at a time)", ""},
        {K_GSL_UNIFORM, "gsl mt19937 uniform_pos", ""},
        {K_GSL_NORMAL, "gsl mt19937 ziggurat normal", ""},
    };
    printf("cx_rng: 8-lane xoshiro256+, %zu values per measurement, fills of %d, best of %d\n", n,
           CHUNK, REPS);
#if defined(__AVX512F__)
    const char *isa = "AVX-512";
#elif defined(__AVX2__)
    const char *isa = "AVX2";
#else
    const char *isa = "SSE2";
#endif
    printf("built for %s vectors\n\n%-32s %10s %14s %8s\n", isa, "draw", "ns/value", "values/s",
           "target");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double best = 1e99;
        run(rows[i].k, n / 10 + CHUNK, &r, g); /* warm up caches and clocks */
        for (int rep = 0; rep < REPS; rep++) {
            double dt = run(rows[i].k, n, &r, g);
            if (dt < best) best = dt;
        }
        double ns = best * 1e9 / (double)n;
        printf("%-32s %10.3f %14.3e %8s\n", rows[i].name, ns, 1e9 / ns, rows[i].target);
    }
    gsl_rng_free(g);
    fprintf(stderr, "(checksum %g)\n", sink);
    return 0;
}
