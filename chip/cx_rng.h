/* cx_rng: the per-tile random-number source behind every noise model of the
 * chip layer (thermal, flicker, mismatch, crossbar, encoder).
 *
 * Generator. Eight xoshiro256+ generators (Blackman & Vigna, "Scrambled
 * linear pseudorandom number generators", 2018) run side by side as lanes.
 * The state is a structure of arrays, s[word][lane], so one step of all eight
 * lanes is a few vector integer operations (one 512-bit register per word
 * with AVX-512, two with AVX2, four with SSE2). The stream is defined by the
 * algorithm, not by the vector width: value 8k + j of the stream is the k-th
 * output of lane j. Every build (scalar -O0, baseline -O2, -march=native)
 * gives the same bits.
 *
 * Seeding. Each lane's 256-bit state is four consecutive splitmix64 outputs
 * started from a 64-bit hash of (seed, chip, tile, stream, lane). The hash
 * folds one field at a time through the splitmix64 finalizer, a bijection, so
 * tuples that differ in any field start at unrelated points of the 2^256 - 1
 * period (two tuples share a key with probability ~2^-64). Four consecutive
 * splitmix64 outputs are distinct, so a state is never all zero.
 *
 * Buffering. The u64 stream is read through a block buffer: cx_rng_fill_u64,
 * cx_rng_u64, cx_rng_fill_uniform and cx_rng_uniform each take the next values
 * of that one stream, one value per output, so splitting n draws into calls of
 * any sizes gives the same bits. Normals have their own buffer of
 * CX_RNG_NORMAL_BLOCK values; whenever it runs dry (and for every whole block a
 * fill writes directly) one block is made from the next CX_RNG_NORMAL_BLOCK
 * values of the u64 stream. Normal draws are likewise independent of how they
 * are split. Mixing kinds on one cx_rng is deterministic but couples them
 * (a normal refill moves the u64 stream on by a block); give each noise
 * source its own stream instead.
 *
 * Conversions. A uniform is ((x >> 11) + 1) * 2^-53, in (0, 1] (never 0, so
 * log is safe). Normals are Box-Muller pairs: block values v[j] and
 * v[j + P] (P = CX_RNG_NORMAL_BLOCK / 2) give u = ((v[j] >> 11) + 1) 2^-53,
 * t = (v[j + P] >> 11) 2^-53, r = sqrt(-2 ln u), out[j] = r cos(2 pi t),
 * out[j + P] = r sin(2 pi t). |normal| <= sqrt(2 * 53 ln 2) = 8.57.
 *
 * Accuracy. ln and sin/cos(2 pi t) are this module's own branch-free kernels
 * (so that the Box-Muller loop vectorizes): an exponent/mantissa split and
 * the fdlibm minimax polynomial for ln, an exact quadrant reduction of 4t and
 * the fdlibm minimax polynomials on [-pi/4, pi/4] for sin and cos. Both stay
 * within a few ulp of libm (worst relative errors seen: 3.7e-16 and
 * 2.5e-16; the tests demand 1e-13). rng.c is compiled without FMA
 * contraction (-ffp-contract=off), so no build rounds differently from
 * another; the tests pin hashes of long sequences to hold every build to it.
 *
 * Memory. A cx_rng is a plain struct (sizeof = 4360 bytes: state 256 B, u64
 * buffer 2 KiB, normal buffer 2 KiB); callers embed it, nothing is
 * allocated, no alignment beyond uint64_t's is assumed. One cx_rng is not
 * safe to share between threads; one per tile and stream is the plan. */
#ifndef CX_RNG_H
#define CX_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CX_RNG_LANES = 8,         /* interleaved xoshiro256+ generators */
    CX_RNG_BLOCK = 256,       /* u64 buffer: 32 steps of the 8 lanes */
    CX_RNG_NORMAL_BLOCK = 256 /* normals per refill: 128 Box-Muller pairs */
};

/* Stream numbers of the chip's noise sources, one generator each per tile. */
typedef enum {
    CX_RNG_STREAM_THERMAL = 0,
    CX_RNG_STREAM_FLICKER = 1,
    CX_RNG_STREAM_MISMATCH = 2,
    CX_RNG_STREAM_CROSSBAR_PROGRAMMING = 3, /* static weight errors, drawn once */
    CX_RNG_STREAM_CROSSBAR_READ = 4,        /* read noise, per evaluation */
    CX_RNG_STREAM_ENCODER = 5
} cx_rng_stream;

typedef struct {
    uint64_t s[4][CX_RNG_LANES];        /* xoshiro256+ state, word-major */
    uint64_t u64[CX_RNG_BLOCK];         /* buffered u64 stream values */
    double normal[CX_RNG_NORMAL_BLOCK]; /* buffered normals */
    uint32_t u64_next;                  /* next unread u64; CX_RNG_BLOCK when empty */
    uint32_t normal_next;               /* next unread normal; CX_RNG_NORMAL_BLOCK when empty */
} cx_rng;

/* Starts the generator of (seed, chip, tile, stream) with empty buffers.
 * Re-seeding with the same tuple restarts the same sequences. */
void cx_rng_seed(cx_rng *r, uint64_t seed, uint32_t chip, uint32_t tile, uint32_t stream);

/* The next n values of the u64 stream. The low 3 bits of xoshiro256+ are
 * weak (linear); take floating-point values from the top bits, as below. */
void cx_rng_fill_u64(cx_rng *r, uint64_t *out, size_t n);
uint64_t cx_rng_u64(cx_rng *r);

/* The next n values of the u64 stream as doubles in (0, 1], from the top 53 bits. */
void cx_rng_fill_uniform(cx_rng *r, double *out, size_t n);
double cx_rng_uniform(cx_rng *r);

/* The next n standard normals of the normal sequence. */
void cx_rng_fill_normal(cx_rng *r, double *out, size_t n);
double cx_rng_normal(cx_rng *r);

/* The Box-Muller kernels, exposed for their accuracy tests.
 * cx_rng_log: ln x for a positive normal finite x (no checks).
 * cx_rng_sincos_2pi: sin(2 pi t) and cos(2 pi t) for |t| < 2^49. */
double cx_rng_log(double x);
void cx_rng_sincos_2pi(double t, double *sin_out, double *cos_out);

#ifdef __cplusplus
}
#endif
#endif
