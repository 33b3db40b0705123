/* Compartment kernel: exact zero-order-hold steps, noise covariance, banks.
 *
 * Everything reduces to the dimensionless oscillator y'' + 2 zeta y' + y = 0
 * over tau in [0, r], r = w_eff h. Its impulse response S (S(0) = 0, S'(0) = 1)
 * gives Phi = [[C, S/w], [-w S, S']] with C = S' + 2 zeta S, the step response
 * 1 - C = int_0^r S, and Q from int S^2, S(r)^2 / 2 = int S S', int S'^2. */
#include "cx_comp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double s;           /* S(r) */
    double ds;          /* S'(r) */
    double c;           /* C(r): response to y(0) = 1, y'(0) = 0 */
    double one_minus_c; /* 1 - C(r) = int_0^r S */
    double i2;          /* int_0^r S^2 */
    double j2;          /* int_0^r S'^2 */
} unit_resp;

/* Series terms up to k = 32: the products in int S^2 fall like (2 rho)^k / k!,
 * below 1e-21 for spectral radius * r = rho <= 4/3, the largest series step. */
enum { SERIES_TERMS = 32 };
#define SERIES_RHO_MAX 1.0
/* Which closed form of Q keeps cancellation below ~20x: trig for clearly
 * resonant, poles for clearly overdamped, energy identities near zeta = 1. */
#define ZETA_TRIG_MAX 0.8
#define ZETA_POLE_MIN 1.25
/* The pole forms divide by the pole gap; below this gap * r they cancel. */
#define POLE_GAP_MIN 1.0

/* sqrt(zeta^2 - 1) without cancellation near 1 or overflow for huge zeta. */
static double over_root(double zeta)
{
    return sqrt(zeta - 1.0) * sqrt(zeta + 1.0);
}

static double under_root(double zeta)
{
    return sqrt(1.0 - zeta) * sqrt(1.0 + zeta);
}

static double spectral_radius(double zeta)
{
    return zeta > 1.0 ? zeta + over_root(zeta) : 1.0;
}

static int use_poles(double zeta, double r)
{
    return zeta > 1.0 && 2.0 * over_root(zeta) * r >= POLE_GAP_MIN;
}

/* Taylor series of S around 0: no cancellation for short steps, where every
 * closed form subtracts nearly equal terms. c[n] = a_n r^(n-1), so c[1] = 1
 * and nothing underflows before the final scaling by powers of r. */
static void unit_series(double zeta, double r, int want_q, unit_resp *u)
{
    double c[SERIES_TERMS];
    c[0] = 0.0;
    c[1] = 1.0;
    for (int n = 0; n + 2 < SERIES_TERMS; n++)
        c[n + 2] = -(2.0 * zeta * r * (n + 1) * c[n + 1] + r * r * c[n]) / ((n + 2.0) * (n + 1.0));
    double s = 0.0, ds = 0.0, g1 = 0.0;
    for (int n = SERIES_TERMS - 1; n >= 1; n--) { /* small terms first */
        s += c[n];
        ds += n * c[n];
        g1 += c[n] / (n + 1);
    }
    u->s = s * r;
    u->ds = ds;
    u->one_minus_c = g1 * r * r;
    u->c = 1.0 - u->one_minus_c;
    u->i2 = u->j2 = 0.0;
    if (!want_q) return;
    /* Cauchy products; terms with m + n >= SERIES_TERMS are below rounding. */
    double i2 = 0.0, j2 = 0.0;
    for (int k = SERIES_TERMS - 1; k >= 2; k--) {
        double pk = 0.0, qk = 0.0;
        for (int m = 1; m < k; m++) {
            double cc = c[m] * c[k - m];
            pk += cc;
            qk += (double)(m * (k - m)) * cc;
        }
        i2 += pk / (k + 1);
        j2 += qk / (k - 1);
    }
    u->i2 = i2 * r * r * r;
    u->j2 = j2 * r;
}

/* S = r e^{-p} sinc(theta), with trig for zeta < 1 and hyperbolic for zeta > 1;
 * the sinc ratios stay exact as theta -> 0, so zeta near 1 needs no series. */
static void unit_damped(double zeta, double r, unit_resp *u)
{
    double p = zeta * r, e = exp(-p), co = 1.0, sc = 1.0;
    if (zeta < 1.0) {
        double th = under_root(zeta) * r;
        if (th > 0.0) {
            co = cos(th);
            sc = sin(th) / th;
        }
    } else if (zeta > 1.0) {
        double th = over_root(zeta) * r;
        if (th > 0.0) {
            co = cosh(th);
            sc = sinh(th) / th;
        }
    }
    u->s = r * e * sc;
    u->ds = e * (co - p * sc);
    u->c = e * (co + p * sc);
    u->one_minus_c = 1.0 - u->c;
}

/* Overdamped with well separated poles mu1 (slow), mu2 (fast), mu1 mu2 = 1.
 * The slow pole comes from the product, not from -zeta + root. */
static void unit_poles(double zeta, double r, unit_resp *u)
{
    double root = over_root(zeta), mu2 = -(zeta + root), mu1 = 1.0 / mu2;
    double z1 = mu1 * r, z2 = mu2 * r, gap = 2.0 * root;
    double e2 = exp(z2);
    u->s = exp(z1) * (-expm1(-gap * r)) / gap;
    u->ds = mu1 * u->s + e2;
    u->c = -mu2 * u->s + e2;
    /* short steps (C near 1): expm1 form; long ones: mu1 - mu2 would cancel near zeta = 1 */
    u->one_minus_c = u->c > 0.5 ? (mu2 * expm1(z1) - mu1 * expm1(z2)) / gap : 1.0 - u->c;
}

/* int_0^r e^{k t} dt */
static double exp_integral(double k, double r)
{
    double z = k * r;
    return z == 0.0 ? r : expm1(z) / k;
}

/* S^2 = e^{-2 zeta t} (1 - cos 2 beta t) / (2 beta^2); accurate for small zeta. */
static void noise_trig(double zeta, double r, unit_resp *u)
{
    double beta = under_root(zeta), th = beta * r, p = zeta * r;
    double e2p = exp(-2.0 * p), decay = -expm1(-2.0 * p), sn = sin(th);
    double mean = decay / (2.0 * zeta);
    double one_minus_e2cos = decay + 2.0 * e2p * sn * sn;
    double osc = 0.5 * (zeta * one_minus_e2cos + beta * e2p * sin(2.0 * th));
    u->i2 = (mean - osc) / (2.0 * beta * beta);
    u->j2 = u->i2 + zeta * u->s * u->s + u->s * u->ds; /* from (S S')' = S'^2 - 2 zeta S S' - S^2 */
}

/* S = (e^{mu1 t} - e^{mu2 t}) / (mu1 - mu2): squares give three exponentials. */
static void noise_poles(double zeta, double r, unit_resp *u)
{
    double root = over_root(zeta), mu2 = -(zeta + root), mu1 = 1.0 / mu2, gap = 2.0 * root;
    double g11 = exp_integral(2.0 * mu1, r), g12 = exp_integral(-2.0 * zeta, r);
    double g22 = exp_integral(2.0 * mu2, r);
    u->i2 = ((g11 - 2.0 * g12 + g22) / gap) / gap;
    /* mu2^2 g22 = mu2 expm1(2 mu2 r) / 2 avoids overflowing mu2^2 */
    double fast = 0.5 * mu2 * expm1(2.0 * mu2 * r);
    u->j2 = ((mu1 * mu1 * g11 - 2.0 * g12 + fast) / gap) / gap;
}

/* Energy balance (S'^2 + S^2)' = -4 zeta S'^2 and (S S')' = S'^2 - 2 zeta S S' - S^2:
 * well conditioned near zeta = 1 once r is not small. */
static void noise_energy(double zeta, double r, unit_resp *u)
{
    double energy = u->ds * u->ds + u->s * u->s;
    u->j2 = (1.0 - energy) / (4.0 * zeta);
    u->i2 = u->j2 - zeta * u->s * u->s - u->s * u->ds;
}

/* Above ZETA_POLE_MIN the series also takes the steps too short for the pole
 * forms (spectral radius * r < 4/3 there): 1 - C and int S^2 would cancel in
 * any closed form. */
static int use_series(double zeta, double r)
{
    if (spectral_radius(zeta) * r <= SERIES_RHO_MAX) return 1;
    return zeta > ZETA_POLE_MIN && !use_poles(zeta, r);
}

static void unit_response(double zeta, double r, int want_q, unit_resp *u)
{
    if (r == 0.0) { /* w h underflowed: the step does nothing */
        *u = (unit_resp){.s = 0.0, .ds = 1.0, .c = 1.0};
        return;
    }
    if (use_series(zeta, r)) {
        unit_series(zeta, r, want_q, u);
        return;
    }
    if (use_poles(zeta, r))
        unit_poles(zeta, r, u);
    else
        unit_damped(zeta, r, u); /* here r >= 1/2, so 1 - C >= ~0.08 */
    u->i2 = u->j2 = 0.0;
    if (!want_q) return;
    if (zeta < ZETA_TRIG_MAX)
        noise_trig(zeta, r, u);
    else if (zeta > ZETA_POLE_MIN)
        noise_poles(zeta, r, u);
    else
        noise_energy(zeta, r, u);
}

static cx_status need_positive(const char *name, double value)
{
    if (isfinite(value) && value > 0.0) return CX_OK;
    return cx_fail(CX_ERR_VALUE, "compartment: %s must be finite and > 0, got %g", name, value);
}

static cx_status need_nonnegative(const char *name, double value)
{
    if (isfinite(value) && value >= 0.0) return CX_OK;
    return cx_fail(CX_ERR_VALUE, "compartment: %s must be finite and >= 0, got %g", name, value);
}

static cx_status need_finite(const char *name, double value)
{
    if (isfinite(value)) return CX_OK;
    return cx_fail(CX_ERR_VALUE, "compartment: %s must be finite, got %g", name, value);
}

static cx_status need_gsum(double gsum)
{
    if (isfinite(gsum) && gsum > -1.0) return CX_OK;
    return cx_fail(CX_ERR_VALUE,
                   "compartment: gsum must be finite and > -1 (positive stiffness), got %g", gsum);
}

cx_status cx_comp_params_check(const cx_comp_params *p)
{
    CX_TRY(need_positive("omega_rad_per_ms", p->omega_rad_per_ms));
    CX_TRY(need_positive("zeta", p->zeta));
    CX_TRY(need_finite("gain", p->gain));
    CX_TRY(need_finite("offset", p->offset));
    return need_nonnegative("sigma", p->sigma);
}

void cx_comp_cholesky(const double q[3], double chol[3])
{
    double l11 = q[0] > 0.0 ? sqrt(q[0]) : 0.0;
    double l21 = l11 > 0.0 ? q[1] / l11 : 0.0;
    double schur = q[2] - l21 * l21; /* the compartment's Q has corr^2 <= 3/4 */
    chol[0] = l11;
    chol[1] = l21;
    chol[2] = schur > 0.0 ? sqrt(schur) : 0.0;
}

cx_status cx_comp_discretize(double omega_rad_per_ms, double zeta, double gsum, double sigma,
                             double h_ms, cx_comp_disc *out)
{
    CX_TRY(need_positive("omega_rad_per_ms", omega_rad_per_ms));
    CX_TRY(need_positive("zeta", zeta));
    CX_TRY(need_gsum(gsum));
    CX_TRY(need_nonnegative("sigma", sigma));
    CX_TRY(need_positive("h_ms", h_ms));
    double stiff = 1.0 + gsum, root = sqrt(stiff);
    double w = omega_rad_per_ms * root, z = zeta / root, r = w * h_ms;
    if (!isfinite(r))
        return cx_fail(CX_ERR_VALUE, "compartment: h_ms = %g is too long for omega_rad_per_ms = %g",
                       h_ms, omega_rad_per_ms);
    unit_resp u;
    unit_response(z, r, sigma > 0.0, &u);
    out->phi[0] = u.c;
    out->phi[1] = u.s / w;
    out->phi[2] = -w * u.s;
    out->phi[3] = u.ds;
    out->gamma[0] = u.one_minus_c / stiff;
    out->gamma[1] = omega_rad_per_ms * (u.s / root);
    /* Q = sigma^2 D Qu D with D = diag(w^-1.5, w^-0.5); factor Qu, then scale,
     * so tiny sigma or w never underflows before the square root. */
    double qu[3] = {u.i2, 0.5 * u.s * u.s, u.j2}, lu[3];
    cx_comp_cholesky(qu, lu);
    double dx = sigma / (w * sqrt(w)), dv = sigma / sqrt(w);
    out->q[0] = dx * dx * qu[0];
    out->q[1] = dx * dv * qu[1];
    out->q[2] = dv * dv * qu[2];
    out->chol[0] = dx * lu[0];
    out->chol[1] = dv * lu[1];
    out->chol[2] = dv * lu[2];
    return CX_OK;
}

void cx_comp_disc_step(const cx_comp_disc *d, double drive, const double *normals, double *x,
                       double *v)
{
    /* Same expression and order as the bank loop, so both paths round alike. */
    double n1 = normals ? normals[0] : 0.0, n2 = normals ? normals[1] : 0.0;
    double x0 = *x, v0 = *v;
    *x = d->phi[0] * x0 + d->phi[1] * v0 + d->gamma[0] * drive + d->chol[0] * n1;
    *v = d->phi[2] * x0 + d->phi[3] * v0 + d->gamma[1] * drive + d->chol[1] * n1 + d->chol[2] * n2;
}

cx_status cx_comp_fo_discretize(double tau_ms, double sigma, double h_ms, cx_comp_fo_disc *out)
{
    CX_TRY(need_positive("tau_ms", tau_ms));
    CX_TRY(need_nonnegative("sigma", sigma));
    CX_TRY(need_positive("h_ms", h_ms));
    double a = h_ms / tau_ms;
    out->phi = exp(-a);
    out->gamma = -expm1(-a); /* 1 - phi without cancellation for short steps */
    out->var = sigma * sigma * tau_ms * 0.5 * -expm1(-2.0 * a);
    out->sd = sqrt(out->var);
    return CX_OK;
}

double cx_comp_fo_step(const cx_comp_fo_disc *d, double x, double drive, double normal)
{
    return d->phi * x + d->gamma * drive + d->sd * normal;
}

cx_status cx_comp_realize_first_order(double tau_ms, double tau_fast_ms, double gain, double offset,
                                      double sigma_fo, cx_comp_params *out)
{
    CX_TRY(need_positive("tau_ms", tau_ms));
    CX_TRY(need_positive("tau_fast_ms", tau_fast_ms));
    CX_TRY(need_finite("gain", gain));
    CX_TRY(need_finite("offset", offset));
    CX_TRY(need_nonnegative("sigma", sigma_fo));
    double ratio = sqrt(tau_ms / tau_fast_ms);
    out->omega_rad_per_ms = 1.0 / (sqrt(tau_ms) * sqrt(tau_fast_ms));
    out->zeta = 0.5 * (ratio + 1.0 / ratio); /* (tau + tau_f) / (2 sqrt(tau tau_f)) */
    out->gain = gain;
    out->offset = offset;
    out->sigma = sigma_fo / tau_fast_ms;
    return CX_OK;
}

/* ---- banks ---- */

/* x v phi11 phi12 phi21 phi22 gamma1 gamma2 l11 l21 l22 gain offset h zeros */
enum { BANK_PLANES = 15 };

cx_status cx_comp_bank_alloc(size_t n, cx_comp_bank **out)
{
    *out = NULL;
    size_t stride = (n + 7) / 8 * 8; /* 64-byte aligned planes */
    if (stride == 0) stride = 8;
    if (stride > SIZE_MAX / (BANK_PLANES * sizeof(double)))
        return cx_fail(CX_ERR_NOMEM, "compartment bank: %zu compartments is too many", n);
    size_t bytes = stride * BANK_PLANES * sizeof(double);
    cx_comp_bank *b = calloc(1, sizeof *b);
    double *block = aligned_alloc(64, bytes);
    if (b) {
        b->params = calloc(n ? n : 1, sizeof *b->params);
        b->is_set = calloc(n ? n : 1, 1);
    }
    if (!b || !block || !b->params || !b->is_set) {
        free(block);
        if (b) {
            free(b->params);
            free(b->is_set);
        }
        free(b);
        return cx_fail(CX_ERR_NOMEM, "compartment bank: cannot allocate %zu compartments", n);
    }
    memset(block, 0, bytes);
    double **planes[BANK_PLANES] = {&b->x,     &b->v,      &b->phi11,  &b->phi12, &b->phi21,
                                    &b->phi22, &b->gamma1, &b->gamma2, &b->l11,   &b->l21,
                                    &b->l22,   &b->gain,   &b->offset, &b->h_ms,  &b->zeros};
    for (int k = 0; k < BANK_PLANES; k++)
        *planes[k] = block + (size_t)k * stride;
    for (size_t i = 0; i < n; i++)
        b->phi11[i] = b->phi22[i] = 1.0; /* unset: hold */
    b->n = n;
    b->block = block;
    *out = b;
    return CX_OK;
}

void cx_comp_bank_free(cx_comp_bank *b)
{
    if (!b) return;
    free(b->block);
    free(b->params);
    free(b->is_set);
    free(b);
}

cx_status cx_comp_bank_set(cx_comp_bank *b, size_t i, const cx_comp_params *p, double h_ms)
{
    if (i >= b->n)
        return cx_fail(CX_ERR_VALUE, "compartment bank: index %zu out of range (n = %zu)", i, b->n);
    cx_comp_disc d;
    cx_status st = cx_comp_params_check(p);
    if (st == CX_OK) st = cx_comp_discretize(p->omega_rad_per_ms, p->zeta, 0.0, p->sigma, h_ms, &d);
    if (st != CX_OK) return cx_fail_context(st, "compartment bank entry %zu", i);
    b->phi11[i] = d.phi[0];
    b->phi12[i] = d.phi[1];
    b->phi21[i] = d.phi[2];
    b->phi22[i] = d.phi[3];
    b->gamma1[i] = d.gamma[0];
    b->gamma2[i] = d.gamma[1];
    b->l11[i] = d.chol[0];
    b->l21[i] = d.chol[1];
    b->l22[i] = d.chol[2];
    b->gain[i] = p->gain;
    b->offset[i] = p->offset;
    b->h_ms[i] = h_ms;
    b->params[i] = *p;
    b->is_set[i] = 1;
    return CX_OK;
}

/* restrict on parameters (not on locals) is what lets compilers vectorize. */
static void step_planes(size_t n, double *restrict x, double *restrict v,
                        const double *restrict p11, const double *restrict p12,
                        const double *restrict p21, const double *restrict p22,
                        const double *restrict g1, const double *restrict g2,
                        const double *restrict l11, const double *restrict l21,
                        const double *restrict l22, const double *restrict gain,
                        const double *restrict offset, const double *restrict u,
                        const double *restrict n1, const double *restrict n2)
{
    for (size_t i = 0; i < n; i++) {
        double d = gain[i] * u[i] + offset[i];
        double xi = x[i], vi = v[i];
        x[i] = p11[i] * xi + p12[i] * vi + g1[i] * d + l11[i] * n1[i];
        v[i] = p21[i] * xi + p22[i] * vi + g2[i] * d + l21[i] * n1[i] + l22[i] * n2[i];
    }
}

void cx_comp_bank_step(cx_comp_bank *b, const double *u, const double *normals)
{
    /* Absent inputs read the zero plane, so one branch-free loop serves all. */
    const double *in = u ? u : b->zeros;
    const double *n1 = normals ? normals : b->zeros, *n2 = normals ? normals + b->n : b->zeros;
    step_planes(b->n, b->x, b->v, b->phi11, b->phi12, b->phi21, b->phi22, b->gamma1, b->gamma2,
                b->l11, b->l21, b->l22, b->gain, b->offset, in, n1, n2);
}

static cx_status check_cond_inputs(const cx_comp_bank *b, const double *gsum)
{
    for (size_t i = 0; i < b->n; i++) {
        if (gsum[i] == 0.0) continue;
        cx_status st = need_gsum(gsum[i]);
        if (st != CX_OK) return cx_fail_context(st, "compartment bank entry %zu", i);
        if (!b->is_set[i])
            return cx_fail(CX_ERR_VALUE, "compartment bank entry %zu: gsum %g on an unset entry", i,
                           gsum[i]);
        if (!isfinite(b->params[i].omega_rad_per_ms * sqrt(1.0 + gsum[i]) * b->h_ms[i]))
            return cx_fail(CX_ERR_VALUE, "compartment bank entry %zu: gsum %g is too stiff", i,
                           gsum[i]);
    }
    return CX_OK;
}

cx_status cx_comp_bank_step_cond(cx_comp_bank *b, const double *u, const double *gsum,
                                 const double *gsum_e, const double *normals)
{
    const double *gs = gsum ? gsum : b->zeros, *ge = gsum_e ? gsum_e : b->zeros;
    CX_TRY(check_cond_inputs(b, gs));
    size_t n = b->n;
    for (size_t i = 0; i < n; i++) {
        double d = b->gain[i] * (u ? u[i] : 0.0) + b->offset[i] + ge[i];
        double nn[2] = {normals ? normals[i] : 0.0, normals ? normals[n + i] : 0.0};
        cx_comp_disc disc;
        if (gs[i] == 0.0) {
            disc = (cx_comp_disc){.phi = {b->phi11[i], b->phi12[i], b->phi21[i], b->phi22[i]},
                                  .gamma = {b->gamma1[i], b->gamma2[i]},
                                  .chol = {b->l11[i], b->l21[i], b->l22[i]}};
        } else {
            const cx_comp_params *p = &b->params[i];
            double sigma = normals ? p->sigma : 0.0;
            CX_TRY(
                cx_comp_discretize(p->omega_rad_per_ms, p->zeta, gs[i], sigma, b->h_ms[i], &disc));
        }
        cx_comp_disc_step(&disc, d, normals ? nn : NULL, &b->x[i], &b->v[i]);
    }
    return CX_OK;
}
