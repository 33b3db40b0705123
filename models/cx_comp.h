/* cx_comp: the compartment, a universal second-order oscillator (DESIGN.md s3).
 *
 * State (x, v), output x, model time t in ms:
 *     dx = v dt
 *     dv = [w^2 (g*u + b - x + sum_c Gc*(Ec - x)) - 2*zeta*w*v] dt + sigma dW
 * Inputs are held over a step h (zero-order hold). With the scalar drive
 * d = g*u + b + sum_c Gc*Ec and gsum = sum_c Gc, one step is exactly
 *     [x'; v'] = Phi [x; v] + Gamma d + noise,   noise ~ N(0, Q),
 * Phi = e^{A h}, A = [[0, 1], [-w^2 (1 + gsum), -2 zeta w]],
 * Gamma = A^-1 (Phi - I) [0, w^2]^T, Q = int_0^h e^{A s} G G^T e^{A^T s} ds, G = [0, sigma]^T.
 * Conductances stiffen the oscillator (w_eff = w sqrt(1 + gsum),
 * zeta_eff = zeta / sqrt(1 + gsum)) and scale its DC gain by 1 / (1 + gsum).
 *
 * Phi, Gamma and Q are closed forms (Taylor series for steps short against the
 * fastest pole), accurate to ~1e-14 relative for every zeta > 0 and steps from
 * far below to many time constants. The first-order unit
 * dx = (-x + g*u + b)/tau dt + sigma dW has its own exact step (cx_comp_fo_*). */
#ifndef CX_COMP_H
#define CX_COMP_H

#include "cx_status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double omega_rad_per_ms; /* natural frequency w > 0 */
    double zeta;             /* damping ratio > 0 (< 1 resonant, >= 1 overdamped) */
    double gain;             /* g */
    double offset;           /* b */
    double sigma;            /* white-noise density on v, >= 0 (state units per ms^1.5) */
} cx_comp_params;

/* Exact discretization of one compartment for one step. */
typedef struct {
    double phi[4];   /* Phi row-major: x' = phi[0] x + phi[1] v, v' = phi[2] x + phi[3] v */
    double gamma[2]; /* response of (x, v) to a unit drive d held over the step */
    double q[3];     /* noise covariance Q11, Q12 (= Q21), Q22 */
    double chol[3];  /* lower Cholesky factor L of Q: L11, L21, L22; noise = L [n1, n2] */
} cx_comp_disc;

/* CX_ERR_VALUE naming the parameter unless w > 0, zeta > 0, sigma >= 0, all finite. */
cx_status cx_comp_params_check(const cx_comp_params *p);

/* Phi, Gamma, Q and L for one step h_ms. Needs gsum > -1 (positive stiffness).
 * sigma = 0 gives Q = L = 0 and skips the noise computation. */
cx_status cx_comp_discretize(double omega_rad_per_ms, double zeta, double gsum, double sigma,
                             double h_ms, cx_comp_disc *out);

/* Lower Cholesky factor of the symmetric [q0 q1; q1 q2]. Robust for a
 * near-singular or underflowed Q: a non-positive pivot gives a zero column. */
void cx_comp_cholesky(const double q[3], double chol[3]);

/* One step of one compartment; normals = {n1, n2}, or NULL for no noise. */
void cx_comp_disc_step(const cx_comp_disc *d, double drive, const double *normals, double *x,
                       double *v);

/* First-order unit, exact step x' = phi x + gamma d + sd n. */
typedef struct {
    double phi;   /* e^{-h/tau} */
    double gamma; /* 1 - phi */
    double var;   /* sigma^2 tau/2 (1 - e^{-2h/tau}) */
    double sd;    /* sqrt(var) */
} cx_comp_fo_disc;

cx_status cx_comp_fo_discretize(double tau_ms, double sigma, double h_ms, cx_comp_fo_disc *out);
double cx_comp_fo_step(const cx_comp_fo_disc *d, double x, double drive, double normal);

/* Realizes the first-order unit (tau, g, b, sigma_fo) as an overdamped
 * compartment with poles 1/tau and 1/tau_fast: w^2 = 1/(tau tau_fast),
 * 2 zeta w = 1/tau + 1/tau_fast; g and b unchanged (both DC gains are g);
 * sigma = sigma_fo / tau_fast (the first-order noise as tau_fast -> 0).
 * Started with v = 0, its x tracks the first-order response to O(tau_fast/tau). */
cx_status cx_comp_realize_first_order(double tau_ms, double tau_fast_ms, double gain, double offset,
                                      double sigma_fo, cx_comp_params *out);

/* A bank of n compartments stepped together, as structure of arrays. The
 * gsum = 0 coefficients are precomputed by cx_comp_bank_set; stepping never
 * allocates. Noise normals come from the caller: 2n values, all n1 then all n2. */
typedef struct {
    size_t n;
    double *x, *v; /* state: x[0..n), then v[0..n) in one block */
    /* gsum = 0 coefficients, one plane of n each */
    double *phi11, *phi12, *phi21, *phi22, *gamma1, *gamma2, *l11, *l21, *l22;
    double *gain, *offset;
    double *h_ms;           /* step of each compartment */
    cx_comp_params *params; /* as set, for the conductance path */
    unsigned char *is_set;
    double *zeros; /* stands in for absent inputs */
    void *block;   /* the one allocation behind the planes */
} cx_comp_bank;

/* Compartments start unset: state 0 and held, no drive, no noise. */
cx_status cx_comp_bank_alloc(size_t n, cx_comp_bank **out);
void cx_comp_bank_free(cx_comp_bank *b);
/* Validates and precomputes compartment i for steps of h_ms; state untouched. */
cx_status cx_comp_bank_set(cx_comp_bank *b, size_t i, const cx_comp_params *p, double h_ms);
/* Steps every compartment once with drive d = g*u + b; u (n values) and
 * normals (2n) may be NULL. */
void cx_comp_bank_step(cx_comp_bank *b, const double *u, const double *normals);
/* Steps once with conductance inputs gsum[i] = sum_c Gc and gsum_e[i] =
 * sum_c Gc*Ec (NULL: 0). Compartments with gsum[i] != 0 are discretized on the
 * fly (slow path). Every gsum is validated before any state changes. */
cx_status cx_comp_bank_step_cond(cx_comp_bank *b, const double *u, const double *gsum,
                                 const double *gsum_e, const double *normals);

#ifdef __cplusplus
}
#endif
#endif
