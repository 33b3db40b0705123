/* Measures this core's attainable double-precision FMA throughput (GFLOP/s),
 * the yardstick for "fraction of peak" in the benchmarks. Independent
 * accumulator chains hide the FMA latency; the vector width follows -march. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

enum { CHAINS = 12, LANES = 4 };
typedef double vec __attribute__((vector_size(LANES * sizeof(double))));

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    vec acc[CHAINS], a = {1.0000001, 1.0000002, 1.0000003, 1.0000004}, b = {1e-9, 2e-9, 3e-9, 4e-9};
    for (int c = 0; c < CHAINS; c++) acc[c] = (vec){c, c, c, c};
    const long iters = 200000000L;
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        for (long i = 0; i < iters / 10; i++) {
#pragma GCC unroll 12
            for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * a + b;
        }
        double dt = now_s() - t0, gflops = 2.0 * LANES * CHAINS * (double)(iters / 10) / dt / 1e9;
        if (gflops > best) best = gflops;
    }
    double sink = 0;
    for (int c = 0; c < CHAINS; c++) sink += acc[c][0] + acc[c][3];
    printf("peak_gflops %.2f\n", best);
    fprintf(stderr, "(checksum %g)\n", sink);
    return 0;
}
