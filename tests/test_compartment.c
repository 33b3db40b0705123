/* Compartment kernel: exact steps against textbook solutions, noise covariance
 * against quadrature and Van Loan, long noisy runs, the first-order limit,
 * conductance inputs, banks and parameter errors. */
#include "cx_comp.h"
#include "test_util.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef long double ld;

/* w = 2 rad/ms rather than 1 so that a slip in units shows. */
#define OMEGA 2.0
static const double ZETAS[] = {0.05, 0.5, 1.0, 3.0, 1.0 - 1e-9, 1.0 + 1e-9, 1e3, 0.999, 1.001};
/* Steps in time constants 1/w. */
static const double STEPS_WH[] = {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
enum { NZ = sizeof ZETAS / sizeof ZETAS[0], NH = sizeof STEPS_WH / sizeof STEPS_WH[0] };

static double root_over(double zeta)
{
    return sqrt(zeta - 1.0) * sqrt(zeta + 1.0);
}

/* |fastest pole| / w */
static double spectral(double zeta)
{
    return zeta > 1.0 ? zeta + root_over(zeta) : 1.0;
}

/* Free responses of x'' + 2 zeta w x' + w^2 x = 0 in long double, textbook
 * forms: s from x(0) = 0, v(0) = 1 (with derivative ds) and c from x(0) = 1, v(0) = 0. */
static void ref_free(double omega, double zeta, ld t, ld *s, ld *ds, ld *c)
{
    ld w = omega, z = zeta, a = z * w;
    if (zeta < 1.0) {
        ld b = w * sqrtl((1 - z) * (1 + z)), e = expl(-a * t), sn = sinl(b * t), cs = cosl(b * t);
        *s = e * sn / b;
        *ds = e * (cs - a * sn / b);
        *c = e * (cs + a * sn / b);
    } else if (zeta == 1.0) {
        ld e = expl(-w * t);
        *s = t * e;
        *ds = (1 - w * t) * e;
        *c = (1 + w * t) * e;
    } else if (zeta < 1.5) { /* the poles nearly coincide: hyperbolic form */
        ld d = w * sqrtl((z - 1) * (z + 1)), e = expl(-a * t), sh = sinhl(d * t), ch = coshl(d * t);
        *s = e * sh / d;
        *ds = e * (ch - a * sh / d);
        *c = e * (ch + a * sh / d);
    } else { /* two real poles, the slow one from r1 r2 = w^2 */
        ld r2 = -(a + w * sqrtl((z - 1) * (z + 1))), r1 = w * w / r2;
        ld e1 = expl(r1 * t), e2 = expl(r2 * t);
        *s = (e1 - e2) / (r1 - r2);
        *ds = (r1 * e1 - r2 * e2) / (r1 - r2);
        *c = (r1 * e2 - r2 * e1) / (r1 - r2);
    }
}

/* ---- Gauss-Legendre quadrature in long double, for reference integrals ---- */

enum { GL_N = 16 };
static ld gl_node[GL_N], gl_weight[GL_N];

static void gl_init(void)
{
    const ld pi = acosl(-1.0L);
    for (int i = 0; i < GL_N; i++) {
        ld z = cosl(pi * (i + 0.75L) / (GL_N + 0.5L)), pp = 1, dz = 1;
        for (int it = 0; it < 100 && fabsl(dz) > 1e-19L; it++) {
            ld p1 = 1, p2 = 0;
            for (int j = 1; j <= GL_N; j++) {
                ld p3 = p2;
                p2 = p1;
                p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
            }
            pp = GL_N * (z * p1 - p2) / (z * z - 1);
            dz = p1 / pp;
            z -= dz;
        }
        gl_node[i] = z;
        gl_weight[i] = 2 / ((1 - z * z) * pp * pp);
    }
}

/* int_0^h of s, s^2 and s'^2, panels a quarter of the fastest time constant
 * wide (16-point rule: error far below 1e-18), Kahan-summed. */
static void ref_integrals(double omega, double zeta, double h, ld out[3])
{
    double rho = omega * h * spectral(zeta);
    long panels = rho < 0.25 ? 1 : (long)ceil(4.0 * rho);
    ld width = (ld)h / panels, sum[3] = {0, 0, 0}, comp[3] = {0, 0, 0};
    for (long k = 0; k < panels; k++) {
        ld part[3] = {0, 0, 0};
        for (int i = 0; i < GL_N; i++) {
            ld t = width * (k + 0.5L + 0.5L * gl_node[i]), s, ds, c;
            ref_free(omega, zeta, t, &s, &ds, &c);
            part[0] += gl_weight[i] * s;
            part[1] += gl_weight[i] * s * s;
            part[2] += gl_weight[i] * ds * ds;
        }
        for (int j = 0; j < 3; j++) {
            ld y = part[j] * width * 0.5L - comp[j], t = sum[j] + y;
            comp[j] = (t - sum[j]) - y;
            sum[j] = t;
        }
    }
    for (int j = 0; j < 3; j++)
        out[j] = sum[j];
}

static double rel(double got, ld want, ld scale)
{
    return (double)(fabsl(got - want) / scale);
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

static cx_comp_disc discretize(double zeta, double gsum, double sigma, double h)
{
    cx_comp_disc d;
    ck_assert_msg(cx_comp_discretize(OMEGA, zeta, gsum, sigma, h, &d) == CX_OK, "%s",
                  cx_last_error());
    return d;
}

START_TEST(gauss_legendre_is_sane)
{
    /* Weights sum to 2 and the rule integrates t^30 exactly. */
    ld sw = 0, s30 = 0;
    for (int i = 0; i < GL_N; i++) {
        sw += gl_weight[i];
        s30 += gl_weight[i] * powl(gl_node[i], 30);
    }
    ck_assert(fabsl(sw - 2) < 1e-17L);
    ck_assert(fabsl(s30 - 2.0L / 31) < 1e-17L);
}
END_TEST

START_TEST(one_step_matches_closed_forms)
{
    /* Phi columns in the energy norm sqrt(w^2 x^2 + v^2); Gamma1 and the Q
     * diagonal relative to themselves; Q12 relative to sqrt(Q11 Q22). */
    double w = OMEGA, sigma = 0.7, worst_phi = 0, worst_gam = 0, worst_q = 0;
    for (int iz = 0; iz < NZ; iz++) {
        for (int ih = 0; ih < NH; ih++) {
            double zeta = ZETAS[iz], h = STEPS_WH[ih] / w;
            cx_comp_disc d = discretize(zeta, 0.0, sigma, h);
            ld s, ds, c, in[3], sg2 = (ld)sigma * sigma;
            ref_free(w, zeta, h, &s, &ds, &c);
            ref_integrals(w, zeta, h, in);
            ld n1 = sqrtl(w * w * c * c + w * w * w * w * s * s),
               n2 = sqrtl(w * w * s * s + ds * ds);
            double e_phi =
                max2(hypot(w * (d.phi[0] - (double)c), d.phi[2] + (double)(w * w * s)) / (double)n1,
                     hypot(w * (d.phi[1] - (double)s), d.phi[3] - (double)ds) / (double)n2);
            double e_gam = max2(rel(d.gamma[0], w * w * in[0], w * w * in[0]),
                                rel(d.gamma[1], w * w * s, w * n2));
            ld q11 = sg2 * in[1], q22 = sg2 * in[2], q12 = sg2 * s * s / 2;
            double e_q = max2(max2(rel(d.q[0], q11, q11), rel(d.q[2], q22, q22)),
                              rel(d.q[1], q12, sqrtl(q11 * q22)));
            ck_assert_msg(e_phi < 1e-13 && e_gam < 1e-13 && e_q < 1e-13,
                          "zeta %.12g, w h %g: errors Phi %.3g Gamma %.3g Q %.3g", zeta,
                          STEPS_WH[ih], e_phi, e_gam, e_q);
            worst_phi = max2(worst_phi, e_phi);
            worst_gam = max2(worst_gam, e_gam);
            worst_q = max2(worst_q, e_q);
        }
    }
    printf("one step vs closed forms: max rel error Phi %.2e, Gamma %.2e, Q %.2e\n", worst_phi,
           worst_gam, worst_q);
}
END_TEST

/* Iterates N steps from (x0, v0) under a constant drive and returns the
 * largest error of x and of v, each relative to its largest value on the way. */
static void iterate_vs_ref(double zeta, double h, int kind, double *ex, double *ev)
{
    enum { N = 1000 };
    double w = OMEGA, gain = 1.5, offset = -0.25, x = 0, v = 0, drive = 0;
    if (kind == 0) v = 1.0;                     /* free response to an impulse in v */
    if (kind == 1) x = 1.0;                     /* free response to a displacement */
    if (kind == 2) drive = gain * 1.0 + offset; /* step of u = 1 */
    cx_comp_disc d = discretize(zeta, 0.0, 0.0, h);
    double dx = 0, dv = 0, sx = 0, sv = 0;
    for (int n = 1; n <= N; n++) {
        cx_comp_disc_step(&d, drive, NULL, &x, &v);
        ld s, ds, c, rx, rv;
        ref_free(w, zeta, (ld)h * n, &s, &ds, &c);
        if (kind == 0) {
            rx = s;
            rv = ds;
        } else if (kind == 1) {
            rx = c;
            rv = -(ld)w * w * s;
        } else { /* step response: x = d (1 - c), v = d w^2 s */
            rx = drive * (1 - c);
            rv = drive * (ld)w * w * s;
        }
        dx = max2(dx, (double)fabsl(x - rx));
        dv = max2(dv, (double)fabsl(v - rv));
        sx = max2(sx, (double)fabsl(rx));
        sv = max2(sv, (double)fabsl(rv));
    }
    *ex = dx / sx;
    *ev = dv / sv;
}

START_TEST(impulse_and_step_responses_over_many_steps)
{
    const char *kinds[] = {"impulse", "displacement", "step"};
    double worst = 0;
    for (int iz = 0; iz < NZ; iz++) {
        for (int ih = 0; ih < NH; ih++) {
            for (int kind = 0; kind < 3; kind++) {
                double ex, ev;
                iterate_vs_ref(ZETAS[iz], STEPS_WH[ih] / OMEGA, kind, &ex, &ev);
                ck_assert_msg(ex < 1e-12 && ev < 1e-12,
                              "%s response, zeta %.12g, w h %g: error x %.3g, v %.3g", kinds[kind],
                              ZETAS[iz], STEPS_WH[ih], ex, ev);
                worst = max2(worst, max2(ex, ev));
            }
        }
    }
    printf("1000 steps vs analytic responses: max error / scale %.2e\n", worst);
}
END_TEST

/* Largest difference between two discretizations, each part in its own
 * scale: Phi columns and Gamma2 in the energy norm, Gamma1, Q11, Q22 relative,
 * Q12 relative to sqrt(Q11 Q22). */
static double disc_distance(const cx_comp_disc *a, const cx_comp_disc *b, double w)
{
    double n1 = hypot(w * a->phi[0], a->phi[2]), n2 = hypot(w * a->phi[1], a->phi[3]);
    double e = hypot(w * (a->phi[0] - b->phi[0]), a->phi[2] - b->phi[2]) / n1;
    e = max2(e, hypot(w * (a->phi[1] - b->phi[1]), a->phi[3] - b->phi[3]) / n2);
    e = max2(e, fabs(a->gamma[0] - b->gamma[0]) / fabs(a->gamma[0]));
    e = max2(e, fabs(a->gamma[1] - b->gamma[1]) / (w * n2));
    if (a->q[0] > 0 || b->q[0] > 0) {
        e = max2(e, fabs(a->q[0] - b->q[0]) / a->q[0]);
        e = max2(e, fabs(a->q[2] - b->q[2]) / a->q[2]);
        e = max2(e, fabs(a->q[1] - b->q[1]) / sqrt(a->q[0] * a->q[2]));
    }
    return e;
}

START_TEST(formulas_join_continuously)
{
    /* Each point sits on a switch between two formulas in compartment.c
     * (series/closed form at spectral radius * w h = 1, trig/energy Q at
     * zeta = 0.8, energy/pole Q at 1.25, hyperbolic/pole Phi at pole gap * w h = 1,
     * and zeta = 1 itself); both sides must agree to rounding. */
    struct {
        double zeta, wh;
    } at[] = {
        {0.05, 1.0},
        {0.5, 1.0},
        {1.0, 1.0},
        {3.0, 1.0 / spectral(3.0)},
        {1e3, 1.0 / spectral(1e3)},
        {0.8, 2.0},
        {0.8, 10.0},
        {1.25, 2.0},
        {1.25, 10.0},
        {1.1, 0.5 / root_over(1.1)},
        {2.0, 0.5 / root_over(2.0)},
        {1.0, 3.0},
    };
    double worst = 0;
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        double z = at[k].zeta, h = at[k].wh / OMEGA;
        /* a few ulps either side: the natural change stays below 1e-14 */
        double zlo = z * (1 - 4e-16), zhi = z * (1 + 4e-16), hlo = h * (1 - 4e-16),
               hhi = h * (1 + 4e-16);
        cx_comp_disc a = discretize(zlo, 0, 1.0, hlo), b = discretize(zhi, 0, 1.0, hhi);
        cx_comp_disc c = discretize(zlo, 0, 1.0, hhi), d = discretize(zhi, 0, 1.0, hlo);
        double e = max2(disc_distance(&a, &b, OMEGA), disc_distance(&c, &d, OMEGA));
        ck_assert_msg(e < 1e-13, "zeta %g, w h %g: sides differ by %.3g", z, at[k].wh, e);
        worst = max2(worst, e);
    }
    /* zeta = 1 +- 1e-9 move the step by the derivative only, ~2e-9 w h */
    for (int ih = 0; ih < NH; ih++) {
        double h = STEPS_WH[ih] / OMEGA, tol = 1e-9 * (1 + 4 * STEPS_WH[ih]);
        cx_comp_disc a = discretize(1.0, 0, 1.0, h);
        cx_comp_disc b = discretize(1.0 - 1e-9, 0, 1.0, h), c = discretize(1.0 + 1e-9, 0, 1.0, h);
        ck_assert(disc_distance(&a, &b, OMEGA) < tol);
        ck_assert(disc_distance(&a, &c, OMEGA) < tol);
    }
    printf("formula switches: max jump %.2e\n", worst);
}
END_TEST

/* Sum of products a[k] b[k] with the sum of their magnitudes, which bounds the
 * rounding of the sum (the composed entries below can cancel deeply). */
static double dot(int n, const double *a, const double *b, double *mag)
{
    double s = 0;
    *mag = 0;
    for (int k = 0; k < n; k++) {
        s += a[k] * b[k];
        *mag += fabs(a[k] * b[k]);
    }
    return s;
}

START_TEST(steps_compose)
{
    /* Two steps of h are one step of 2h: Phi(2h) = Phi^2, Gamma(2h) = (I + Phi) Gamma,
     * Q(2h) = Q + Phi Q Phi^T; h and 2h often use different formulas. Each
     * entry is compared against the magnitude of the terms it is summed from. */
    double worst = 0;
    for (int iz = 0; iz < NZ; iz++) {
        for (int ih = 0; ih < NH; ih++) {
            double h = STEPS_WH[ih] / OMEGA, m;
            cx_comp_disc a = discretize(ZETAS[iz], 0, 0.7, h);
            cx_comp_disc two = discretize(ZETAS[iz], 0, 0.7, 2 * h);
            const double *p = a.phi, *q = a.q, *g = a.gamma;
            double e = 0;
#define CHECK_ENTRY(got, n, ...)                                                                   \
    do {                                                                                           \
        const double ab_[2][n] = __VA_ARGS__;                                                      \
        double want_ = dot(n, ab_[0], ab_[1], &m);                                                 \
        e = max2(e, fabs((got)-want_) / max2(m, fabs(got)));                                       \
    } while (0)
            CHECK_ENTRY(two.phi[0], 2, {{p[0], p[1]}, {p[0], p[2]}});
            CHECK_ENTRY(two.phi[1], 2, {{p[0], p[1]}, {p[1], p[3]}});
            CHECK_ENTRY(two.phi[2], 2, {{p[2], p[3]}, {p[0], p[2]}});
            CHECK_ENTRY(two.phi[3], 2, {{p[2], p[3]}, {p[1], p[3]}});
            CHECK_ENTRY(two.gamma[0], 3, {{1, p[0], p[1]}, {g[0], g[0], g[1]}});
            CHECK_ENTRY(two.gamma[1], 3, {{1, p[2], p[3]}, {g[1], g[0], g[1]}});
            /* (Phi Q Phi^T)_ij = sum_kl Phi_ik Q_kl Phi_jl */
            double qf[2][2] = {{q[0], q[1]}, {q[1], q[2]}}, pf[2][2] = {{p[0], p[1]}, {p[2], p[3]}};
            int ij[3][2] = {{0, 0}, {0, 1}, {1, 1}};
            for (int t = 0; t < 3; t++) {
                int i = ij[t][0], j = ij[t][1];
                CHECK_ENTRY(two.q[t], 5,
                            {{1, pf[i][0] * qf[0][0], pf[i][0] * qf[0][1], pf[i][1] * qf[1][0],
                              pf[i][1] * qf[1][1]},
                             {qf[i][j], pf[j][0], pf[j][1], pf[j][0], pf[j][1]}});
            }
#undef CHECK_ENTRY
            ck_assert_msg(e < 1e-14, "zeta %.12g, w h %g: composed differs by %.3g", ZETAS[iz],
                          STEPS_WH[ih], e);
            worst = max2(worst, e);
        }
    }
    printf("two steps of h vs one of 2h: max difference / term size %.2e\n", worst);
}
END_TEST

/* Q by Van Loan's method with GSL's matrix exponential: exp([[-A, G G^T],
 * [0, A^T]] h) = [[., F12], [0, F22]], Phi = F22^T, Q = F22^T F12. The
 * blocks hold e^{+|lambda| h}, which wipes out every digit once |lambda| h is
 * large, so it runs on h / 2^k with |A| h / 2^k <= 1/2 and doubles back up:
 * Q(2t) = Q(t) + Phi(t) Q(t) Phi(t)^T. The 16 doublings at zeta = 1e3, w h = 10
 * leave this reference ~4e-11 off (the closed form matches quadrature to 1e-15). */
static void van_loan(double omega, double zeta, double sigma, double h, double q[2][2])
{
    double a[2][2] = {{0, 1}, {-omega * omega, -2 * zeta * omega}};
    double norm = max2(omega * omega, 1 + 2 * zeta * omega), hs = h;
    int k = 0;
    while (norm * hs > 0.5) {
        hs *= 0.5;
        k++;
    }
    gsl_matrix *m = gsl_matrix_calloc(4, 4), *e = gsl_matrix_alloc(4, 4);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            gsl_matrix_set(m, i, j, -a[i][j] * hs);
            gsl_matrix_set(m, 2 + i, 2 + j, a[j][i] * hs);
        }
    }
    gsl_matrix_set(m, 1, 3, sigma * sigma * hs);
    ck_assert_int_eq(gsl_linalg_exponential_ss(m, e, GSL_PREC_DOUBLE), 0);
    double phi[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            phi[i][j] = gsl_matrix_get(e, 2 + j, 2 + i);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            q[i][j] =
                phi[i][0] * gsl_matrix_get(e, 0, 2 + j) + phi[i][1] * gsl_matrix_get(e, 1, 2 + j);
    for (; k > 0; k--) {
        double pq[2][2], nq[2][2], pp[2][2];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                pq[i][j] = phi[i][0] * q[0][j] + phi[i][1] * q[1][j];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                nq[i][j] = q[i][j] + pq[i][0] * phi[j][0] + pq[i][1] * phi[j][1];
                pp[i][j] = phi[i][0] * phi[0][j] + phi[i][1] * phi[1][j];
            }
        memcpy(q, nq, sizeof nq);
        memcpy(phi, pp, sizeof pp);
    }
    gsl_matrix_free(m);
    gsl_matrix_free(e);
}

START_TEST(noise_covariance_matches_van_loan)
{
    double sigma = 0.7, worst = 0, least = INFINITY;
    for (int iz = 0; iz < NZ; iz++) {
        for (int ih = 0; ih < NH; ih++) {
            double zeta = ZETAS[iz], h = STEPS_WH[ih] / OMEGA, vl[2][2];
            cx_comp_disc d = discretize(zeta, 0.0, sigma, h);
            van_loan(OMEGA, zeta, sigma, h, vl);
            double sym = fabs(vl[0][1] - vl[1][0]) / sqrt(vl[0][0] * vl[1][1]);
            double e = max2(fabs(d.q[0] - vl[0][0]) / vl[0][0], fabs(d.q[2] - vl[1][1]) / vl[1][1]);
            e = max2(e, fabs(d.q[1] - 0.5 * (vl[0][1] + vl[1][0])) / sqrt(vl[0][0] * vl[1][1]));
            ck_assert_msg(sym < 1e-10, "Van Loan's Q is not symmetric (%.3g)", sym);
            ck_assert_msg(e < 1e-10, "zeta %.12g, w h %g: Q differs from Van Loan by %.3g", zeta,
                          STEPS_WH[ih], e);
            /* PSD: smallest eigenvalue of Q, and of its correlation form */
            double tr = d.q[0] + d.q[2], dif = d.q[0] - d.q[2];
            double lmin = 0.5 * (tr - sqrt(dif * dif + 4 * d.q[1] * d.q[1]));
            double det_rel = 1 - d.q[1] * d.q[1] / (d.q[0] * d.q[2]);
            ck_assert_msg(lmin >= -1e-15 * tr && det_rel > 0, "zeta %g, w h %g: Q not PSD", zeta,
                          STEPS_WH[ih]);
            worst = max2(worst, e);
            least = fmin(least, lmin / tr);
        }
    }
    printf("Q vs Van Loan: max rel difference %.2e; min eigenvalue / trace %.2e\n", worst, least);
}
END_TEST

START_TEST(noise_covariance_reaches_stationary)
{
    /* After 60 slow time constants Q is the stationary covariance
     * diag(sigma^2 / (4 zeta w^3), sigma^2 / (4 zeta w)). */
    double w = OMEGA, sigma = 0.7;
    for (int iz = 0; iz < NZ; iz++) {
        double zeta = ZETAS[iz];
        double slow = zeta <= 1 ? zeta * w : w / spectral(zeta); /* slowest decay rate */
        cx_comp_disc d = discretize(zeta, 0.0, sigma, 60.0 / slow);
        double vx = sigma * sigma / (4 * zeta * w * w * w), vv = sigma * sigma / (4 * zeta * w);
        ck_assert_msg(fabs(d.q[0] / vx - 1) < 1e-13 && fabs(d.q[2] / vv - 1) < 1e-13 &&
                          fabs(d.q[1]) < 1e-13 * sqrt(vx * vv),
                      "zeta %g: Q = [%g %g %g], want [%g 0 %g]", zeta, d.q[0], d.q[1], d.q[2], vx,
                      vv);
    }
}
END_TEST

START_TEST(cholesky_factor_reproduces_q)
{
    double sigma = 0.7;
    for (int iz = 0; iz < NZ; iz++) {
        for (int ih = -2; ih < NH; ih++) {
            /* two extra steps: 1e-30 / w, and 1e-200 / w where Q11 underflows */
            double wh = ih == -2 ? 1e-200 : ih == -1 ? 1e-30 : STEPS_WH[ih];
            cx_comp_disc d = discretize(ZETAS[iz], 0.0, sigma, wh / OMEGA);
            const double *l = d.chol, *q = d.q;
            for (int k = 0; k < 3; k++)
                ck_assert(isfinite(l[k]));
            ck_assert(l[0] >= 0 && l[2] >= 0);
            if (ih == -2) { /* all noise goes to v */
                ck_assert(l[0] == 0 && l[1] == 0);
                ck_assert(fabs(l[2] / (sigma * sqrt(wh / OMEGA)) - 1) < 1e-12);
                continue;
            }
            double s = sqrt(q[0] * q[2]);
            ck_assert(fabs(l[0] * l[0] - q[0]) <= 1e-14 * q[0]);
            ck_assert(fabs(l[1] * l[0] - q[1]) <= 1e-14 * s);
            ck_assert(fabs(l[1] * l[1] + l[2] * l[2] - q[2]) <= 1e-14 * q[2]);
        }
    }
    /* no noise, and the generic factor on singular or indefinite input */
    cx_comp_disc d = discretize(0.5, 0.0, 0.0, 1.0);
    ck_assert(d.q[0] == 0 && d.q[1] == 0 && d.q[2] == 0);
    ck_assert(d.chol[0] == 0 && d.chol[1] == 0 && d.chol[2] == 0);
    double l[3];
    cx_comp_cholesky((double[]){4, 2, 1}, l);
    ck_assert(l[0] == 2 && l[1] == 1 && l[2] == 0);
    cx_comp_cholesky((double[]){4, 2, 1 - 1e-15}, l);
    ck_assert(l[2] == 0);
    cx_comp_cholesky((double[]){0, 0, 9}, l);
    ck_assert(l[0] == 0 && l[1] == 0 && l[2] == 3);
}
END_TEST

/* Runs m independent compartments for k steps of h from a stationary start
 * and returns the sample variances of x and v over the theoretical ones. */
static void noisy_run(double zeta, double sigma, double h, int m, long k, double ratio[2])
{
    double w = 1.0, vx = sigma * sigma / (4 * zeta * w * w * w),
           vv = sigma * sigma / (4 * zeta * w);
    cx_comp_bank *b;
    ck_assert_int_eq(cx_comp_bank_alloc((size_t)m, &b), CX_OK);
    cx_comp_params p = {.omega_rad_per_ms = w, .zeta = zeta, .sigma = sigma};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240611);
    for (int i = 0; i < m; i++) {
        ck_assert_int_eq(cx_comp_bank_set(b, (size_t)i, &p, h), CX_OK);
        b->x[i] = sqrt(vx) * gsl_ran_gaussian_ziggurat(rng, 1.0);
        b->v[i] = sqrt(vv) * gsl_ran_gaussian_ziggurat(rng, 1.0);
    }
    double *normals = malloc(2 * (size_t)m * sizeof *normals), sx = 0, sv = 0;
    for (long n = 0; n < k; n++) {
        for (int i = 0; i < 2 * m; i++)
            normals[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        cx_comp_bank_step(b, NULL, normals);
        for (int i = 0; i < m; i++) {
            sx += b->x[i] * b->x[i];
            sv += b->v[i] * b->v[i];
        }
    }
    ratio[0] = sx / ((double)m * k) / vx;
    ratio[1] = sv / ((double)m * k) / vv;
    free(normals);
    gsl_rng_free(rng);
    cx_comp_bank_free(b);
}

/* Relative standard error of the mean of x^2 over m chains of k samples:
 * for a Gaussian process Var(mean x^2) / var^2 = 2 sum_j rho_j^2 / (m k),
 * rho_j = autocorrelation at lag j h, i.e. m k / sum_j rho_j^2 effectively
 * independent samples. In the stationary state E[x v] = 0, so rho_x(t) = c(t)
 * and rho_v(t) = s'(t). */
static void standard_errors(double zeta, double h, int m, long k, double se[2])
{
    ld sum[2] = {1, 1};
    for (long j = 1; j < 100000000L; j++) {
        ld s, ds, c;
        ref_free(1.0, zeta, (ld)h * j, &s, &ds, &c);
        sum[0] += 2 * c * c;
        sum[1] += 2 * ds * ds;
        if (c * c + ds * ds + s * s < 1e-30L) break;
    }
    for (int i = 0; i < 2; i++)
        se[i] = sqrt((double)(2 * sum[i]) / ((double)m * k));
}

static void check_stationary_variance(double zeta, double h, long k)
{
    enum { M = 64 };
    double se[2], ratio[2];
    standard_errors(zeta, h, M, k, se);
    ck_assert_msg(4 * se[0] <= 0.02 && 4 * se[1] <= 0.02, "run too short: SE %.3g, %.3g", se[0],
                  se[1]);
    noisy_run(zeta, 0.5, h, M, k, ratio);
    printf("zeta %g: var x / theory = %.5f (SE %.4f, N_eff %.0f), var v / theory = %.5f\n", zeta,
           ratio[0], se[0], 2 / (se[0] * se[0]), ratio[1]);
    ck_assert_msg(fabs(ratio[0] - 1) < 0.02 && fabs(ratio[1] - 1) < 0.02,
                  "zeta %g: variance ratios x %.4f, v %.4f", zeta, ratio[0], ratio[1]);
}

/* Run lengths. Var(sample variance) / var^2 = 2 / N_eff with N_eff = T / (2 tau_c),
 * T the total simulated time and tau_c = int_0^inf rho(t)^2 dt. For x,
 * rho = c(t) and the energy identities give tau_c = (1 + 4 zeta^2) / (4 zeta w);
 * for v, tau_c = 1 / (4 zeta w) is shorter. With w = 1 rad/ms:
 *   zeta 0.2: tau_c = 1.45 ms; T = 64 x 60000 x 0.2 ms = 768000 ms,
 *             N_eff = 2.6e5, SE = sqrt(2 / N_eff) = 0.27%: 2% is 7 SE.
 *   zeta 3:   tau_c = 3.08 ms; T = 64 x 60000 x 0.5 ms = 1.92e6 ms,
 *             N_eff = 3.1e5, SE = 0.25%: 2% is 8 SE.
 * standard_errors() recomputes SE from the exact discrete autocorrelation. */
START_TEST(stationary_variance_underdamped)
{
    check_stationary_variance(0.2, 0.2, 60000);
}
END_TEST

START_TEST(stationary_variance_overdamped)
{
    check_stationary_variance(3.0, 0.5, 60000);
}
END_TEST

START_TEST(first_order_exact_step)
{
    double tau = 3.0, drive = 1.5, sigma = 0.4;
    const double steps[] = {1e-4, 1e-2, 1.0, 10.0}; /* in units of tau */
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        double h = steps[k] * tau, x = 0, worst = 0;
        cx_comp_fo_disc d, d2;
        ck_assert_int_eq(cx_comp_fo_discretize(tau, sigma, h, &d), CX_OK);
        for (int n = 1; n <= 1000; n++) {
            x = cx_comp_fo_step(&d, x, drive, 0.0);
            ld want = drive * -expm1l(-(ld)h * n / tau);
            worst = max2(worst, (double)fabsl(x - want));
        }
        ld scale = drive * -expm1l(-(ld)h * 1000 / tau);
        ck_assert_msg(worst < 1e-13 * scale, "h = %g tau: error %.3g", steps[k],
                      (double)(worst / scale));
        /* variance: closed form, and two steps of h = one of 2h */
        ld var = (ld)sigma * sigma * tau / 2 * -expm1l(-2 * (ld)h / tau);
        ck_assert(fabsl(d.var - var) < 1e-15L * var);
        ck_assert(fabs(d.sd * d.sd - d.var) < 1e-15 * d.var);
        ck_assert_int_eq(cx_comp_fo_discretize(tau, sigma, 2 * h, &d2), CX_OK);
        ck_assert(fabs(d2.var - (d.phi * d.phi * d.var + d.var)) < 1e-14 * d2.var);
        ck_assert(fabs(d.phi + d.gamma - 1) < 1e-16);
    }
    /* limits: sigma^2 h for short steps, sigma^2 tau / 2 for long ones */
    cx_comp_fo_disc d;
    ck_assert_int_eq(cx_comp_fo_discretize(tau, sigma, 1e-9, &d), CX_OK);
    ck_assert(fabs(d.var / (sigma * sigma * 1e-9) - 1) < 1e-9);
    ck_assert_int_eq(cx_comp_fo_discretize(tau, sigma, 100 * tau, &d), CX_OK);
    ck_assert(fabs(d.var / (sigma * sigma * tau / 2) - 1) < 1e-15);
}
END_TEST

START_TEST(overdamped_realization_converges_to_first_order)
{
    /* Step response error max_t |x_comp - x_fo| = tau_f/(tau - tau_f) max(e^{-t/tau} -
     * e^{-t/tau_f}): ~0.077, 0.0096, 0.00099 for tau_f / tau = 0.1, 0.01, 0.001. */
    double tau = 2.0, err[3];
    for (int k = 0; k < 3; k++) {
        double tau_f = tau * pow(10.0, -(k + 1)), h = tau_f / 8;
        cx_comp_params p;
        ck_assert_int_eq(cx_comp_realize_first_order(tau, tau_f, 1.25, -0.5, 0.3, &p), CX_OK);
        double w = p.omega_rad_per_ms;
        ck_assert(fabs(w * w * tau * tau_f - 1) < 1e-14);
        ck_assert(fabs(2 * p.zeta * w / (1 / tau + 1 / tau_f) - 1) < 1e-14);
        ck_assert(p.gain == 1.25 && p.offset == -0.5 &&
                  fabs(p.sigma - 0.3 / tau_f) < 1e-15 * p.sigma);
        cx_comp_disc d;
        cx_comp_fo_disc f;
        ck_assert_int_eq(cx_comp_discretize(w, p.zeta, 0, 0, h, &d), CX_OK);
        ck_assert_int_eq(cx_comp_fo_discretize(tau, 0, h, &f), CX_OK);
        double x = 0, v = 0, y = 0, u = 1.0, drive = p.gain * u + p.offset;
        err[k] = 0;
        for (long n = 0; n * h < 10 * tau; n++) {
            cx_comp_disc_step(&d, drive, NULL, &x, &v);
            y = cx_comp_fo_step(&f, y, drive, 0.0);
            err[k] = max2(err[k], fabs(x - y) / fabs(drive));
        }
        ck_assert_msg(err[k] < tau_f / tau && err[k] > 0.5 * tau_f / tau, "tau_f %g: error %.3g",
                      tau_f, err[k]);
        /* stationary variance: sigma_fo^2 tau / 2 / (1 + tau_f / tau), -> first order */
        ck_assert_int_eq(cx_comp_discretize(w, p.zeta, 0, p.sigma, 100 * tau, &d), CX_OK);
        double want = 0.3 * 0.3 * tau / 2 / (1 + tau_f / tau);
        ck_assert(fabs(d.q[0] / want - 1) < 1e-13);
    }
    printf("realization vs first order: errors %.3e %.3e %.3e (ratios %.2f, %.2f)\n", err[0],
           err[1], err[2], err[0] / err[1], err[1] / err[2]);
    ck_assert(err[0] / err[1] > 7 && err[0] / err[1] < 13);
    ck_assert(err[1] / err[2] > 7 && err[1] / err[2] < 13);
}
END_TEST

START_TEST(conductance_sets_steady_state)
{
    /* Two conductances G = 1, 1.5 with reversal levels 0.6, -1.2. */
    const double zetas[] = {0.3, 2.0};
    double gsum = 2.5, gsum_e = 1.0 * 0.6 + 1.5 * -1.2, u = 1.3, g = 1.5, b0 = 0.2;
    double want = (g * u + b0 + gsum_e) / (1 + gsum);
    cx_comp_bank *b;
    ck_assert_int_eq(cx_comp_bank_alloc(2, &b), CX_OK);
    for (int i = 0; i < 2; i++) {
        cx_comp_params p = {.omega_rad_per_ms = OMEGA, .zeta = zetas[i], .gain = g, .offset = b0};
        ck_assert_int_eq(cx_comp_bank_set(b, (size_t)i, &p, 0.5), CX_OK);
    }
    double us[2] = {u, u}, gs[2] = {gsum, gsum}, ge[2] = {gsum_e, gsum_e};
    for (int n = 0; n < 2000; n++)
        ck_assert_int_eq(cx_comp_bank_step_cond(b, us, gs, ge, NULL), CX_OK);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(fabs(b->x[i] - want) < 1e-13 && fabs(b->v[i]) < 1e-13,
                      "zeta %g: x %.17g v %.3g, want x %.17g", zetas[i], b->x[i], b->v[i], want);
    }
    cx_comp_bank_free(b);
    /* A conductance is a stiffer, relatively less damped oscillator with DC gain 1/(1+gsum). */
    for (int iz = 0; iz < NZ; iz++) {
        for (int ih = 0; ih < NH; ih++) {
            double h = STEPS_WH[ih] / OMEGA, k = 1 + gsum, we = OMEGA * sqrt(k);
            cx_comp_disc a, e;
            ck_assert_int_eq(cx_comp_discretize(OMEGA, ZETAS[iz], gsum, 0.7, h, &a), CX_OK);
            ck_assert_int_eq(cx_comp_discretize(we, ZETAS[iz] / sqrt(k), 0, 0.7, h, &e), CX_OK);
            e.gamma[0] /= k;
            e.gamma[1] /= k;
            double dist = disc_distance(&a, &e, we);
            ck_assert_msg(dist < 1e-14, "zeta %g, w h %g: %.3g", ZETAS[iz], STEPS_WH[ih], dist);
        }
    }
}
END_TEST

static cx_comp_bank *sample_bank(size_t n)
{
    cx_comp_bank *b;
    ck_assert_int_eq(cx_comp_bank_alloc(n, &b), CX_OK);
    for (size_t i = 0; i < n; i++) {
        cx_comp_params p = {.omega_rad_per_ms = 0.5 + 0.3 * (double)i,
                            .zeta = 0.1 * pow(3.0, (double)i),
                            .gain = 1.0 - 0.2 * (double)i,
                            .offset = 0.05 * (double)i,
                            .sigma = 0.1 + 0.05 * (double)i};
        ck_assert_int_eq(cx_comp_bank_set(b, i, &p, 0.1 * (double)(i + 1)), CX_OK);
        b->x[i] = 0.3 - 0.1 * (double)i;
        b->v[i] = 0.2 * (double)i;
    }
    return b;
}

START_TEST(bank_matches_single_steps)
{
    enum { N = 7, STEPS = 300 };
    cx_comp_bank *b = sample_bank(N), *c = sample_bank(N);
    cx_comp_disc d[N];
    double x[N], v[N], u[N], nrm[2 * N], zero[N] = {0};
    for (int i = 0; i < N; i++) {
        const cx_comp_params *p = &b->params[i];
        ck_assert_int_eq(
            cx_comp_discretize(p->omega_rad_per_ms, p->zeta, 0, p->sigma, b->h_ms[i], &d[i]),
            CX_OK);
        x[i] = b->x[i];
        v[i] = b->v[i];
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    double worst = 0;
    for (int n = 0; n < STEPS; n++) {
        for (int i = 0; i < N; i++)
            u[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (int i = 0; i < 2 * N; i++)
            nrm[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        int noisy = n % 3 != 0; /* also exercise the noise-free path */
        cx_comp_bank_step(b, u, noisy ? nrm : NULL);
        ck_assert_int_eq(cx_comp_bank_step_cond(c, u, zero, NULL, noisy ? nrm : NULL), CX_OK);
        for (int i = 0; i < N; i++) {
            double drive = b->gain[i] * u[i] + b->offset[i];
            double nn[2] = {nrm[i], nrm[N + i]};
            cx_comp_disc_step(&d[i], drive, noisy ? nn : NULL, &x[i], &v[i]);
            double sc = 1 + fabs(x[i]) + fabs(v[i]);
            worst = max2(worst, (fabs(b->x[i] - x[i]) + fabs(b->v[i] - v[i])) / sc);
            worst = max2(worst, (fabs(c->x[i] - x[i]) + fabs(c->v[i] - v[i])) / sc);
        }
    }
    ck_assert_msg(worst < 1e-13, "bank and single steps differ by %.3g", worst);
    /* NULL inputs: offset drive only, no noise */
    double x0 = b->x[2], v0 = b->v[2];
    cx_comp_disc_step(&d[2], b->offset[2], NULL, &x0, &v0);
    cx_comp_bank_step(b, NULL, NULL);
    ck_assert(fabs(b->x[2] - x0) < 1e-15 && fabs(b->v[2] - v0) < 1e-15);
    gsl_rng_free(rng);
    cx_comp_bank_free(b);
    cx_comp_bank_free(c);
}
END_TEST

START_TEST(bank_unset_entries_hold)
{
    cx_comp_bank *b;
    ck_assert_int_eq(cx_comp_bank_alloc(3, &b), CX_OK);
    b->x[0] = 0.5;
    b->v[0] = -0.25;
    double u[3] = {1, 1, 1}, nrm[6] = {1, 1, 1, 1, 1, 1};
    cx_comp_bank_step(b, u, nrm);
    ck_assert(b->x[0] == 0.5 && b->v[0] == -0.25 && b->x[1] == 0);
    double gs[3] = {0, 0.5, 0};
    ck_assert_int_eq(cx_comp_bank_step_cond(b, u, gs, NULL, NULL), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "entry 1"));
    cx_comp_bank_free(b);
    cx_comp_bank_free(NULL);
}
END_TEST

static void expect_value_error(cx_status st, const char *name)
{
    ck_assert_int_eq(st, CX_ERR_VALUE);
    ck_assert_msg(strstr(cx_last_error(), name), "message '%s' does not name '%s'", cx_last_error(),
                  name);
}

START_TEST(bad_parameters_are_named)
{
    cx_comp_disc d;
    const double bad[] = {0.0, -1.0, NAN, INFINITY};
    for (int k = 0; k < 4; k++) {
        expect_value_error(cx_comp_discretize(bad[k], 0.5, 0, 0.1, 0.1, &d), "omega_rad_per_ms");
        expect_value_error(cx_comp_discretize(1.0, bad[k], 0, 0.1, 0.1, &d), "zeta");
        expect_value_error(cx_comp_discretize(1.0, 0.5, 0, 0.1, bad[k], &d), "h_ms");
    }
    expect_value_error(cx_comp_discretize(1.0, 0.5, 0, -0.1, 0.1, &d), "sigma");
    expect_value_error(cx_comp_discretize(1.0, 0.5, 0, NAN, 0.1, &d), "sigma");
    expect_value_error(cx_comp_discretize(1.0, 0.5, -1.0, 0.1, 0.1, &d), "gsum");
    expect_value_error(cx_comp_discretize(1.0, 0.5, NAN, 0.1, 0.1, &d), "gsum");
    ck_assert_int_eq(cx_comp_discretize(1.0, 0.5, -0.5, 0.1, 0.1, &d), CX_OK);

    cx_comp_params p = {.omega_rad_per_ms = 1, .zeta = 0.5, .gain = NAN};
    expect_value_error(cx_comp_params_check(&p), "gain");
    p.gain = 1;
    p.offset = INFINITY;
    expect_value_error(cx_comp_params_check(&p), "offset");
    p.offset = 0;
    p.sigma = -1;
    expect_value_error(cx_comp_params_check(&p), "sigma");
    p.sigma = 0;
    ck_assert_int_eq(cx_comp_params_check(&p), CX_OK);

    cx_comp_fo_disc f;
    expect_value_error(cx_comp_fo_discretize(0.0, 0.1, 0.1, &f), "tau_ms");
    expect_value_error(cx_comp_fo_discretize(1.0, 0.1, -0.1, &f), "h_ms");
    expect_value_error(cx_comp_realize_first_order(1.0, 0.0, 1, 0, 0, &p), "tau_fast_ms");
    expect_value_error(cx_comp_realize_first_order(-1.0, 0.1, 1, 0, 0, &p), "tau_ms");

    cx_comp_bank *b;
    ck_assert_int_eq(cx_comp_bank_alloc(3, &b), CX_OK);
    p = (cx_comp_params){.omega_rad_per_ms = 1, .zeta = 0.5};
    expect_value_error(cx_comp_bank_set(b, 3, &p, 0.1), "index 3");
    expect_value_error(cx_comp_bank_set(b, 1, &p, 0.0), "h_ms");
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "entry 1"));
    p.zeta = -2;
    expect_value_error(cx_comp_bank_set(b, 2, &p, 0.1), "zeta");
    /* a bad gsum leaves every state untouched */
    p.zeta = 0.5;
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(cx_comp_bank_set(b, i, &p, 0.1), CX_OK);
    double gs[3] = {0.5, 0, -1.5}, u[3] = {1, 1, 1};
    expect_value_error(cx_comp_bank_step_cond(b, u, gs, NULL, NULL), "gsum");
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "entry 2"));
    for (int i = 0; i < 3; i++)
        ck_assert(b->x[i] == 0 && b->v[i] == 0);
    cx_comp_bank_free(b);
}
END_TEST

int main(void)
{
    gl_init();
    Suite *s = suite_create("compartment");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, gauss_legendre_is_sane);
    tcase_add_test(tc, one_step_matches_closed_forms);
    tcase_add_test(tc, impulse_and_step_responses_over_many_steps);
    tcase_add_test(tc, formulas_join_continuously);
    tcase_add_test(tc, steps_compose);
    tcase_add_test(tc, noise_covariance_matches_van_loan);
    tcase_add_test(tc, noise_covariance_reaches_stationary);
    tcase_add_test(tc, cholesky_factor_reproduces_q);
    tcase_add_test(tc, stationary_variance_underdamped);
    tcase_add_test(tc, stationary_variance_overdamped);
    tcase_add_test(tc, first_order_exact_step);
    tcase_add_test(tc, overdamped_realization_converges_to_first_order);
    tcase_add_test(tc, conductance_sets_steady_state);
    tcase_add_test(tc, bank_matches_single_steps);
    tcase_add_test(tc, bank_unset_entries_hold);
    tcase_add_test(tc, bad_parameters_are_named);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
