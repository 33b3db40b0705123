/* Noise and variability in a running tile against theory: thermal
 * stationary variance (sampled and continuous, under- and overdamped), the
 * 1/f flicker spectrum, mismatch statistics, DAC grids, and the convergence
 * order of continuous mode as the analog step shrinks. */
#include "cx_comp.h"
#include "cx_dac.h"
#include "cx_tile.h"
#include "test_util.h"

#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CX_PI 3.14159265358979323846

/* Stationary covariance of X' = Phi X + w, w ~ N(0, diag(s2, 0)) (sampled
 * mode: one kT/C sample on x per step): P = Phi P Phi^T + Q, solved for
 * (P11, P12, P22) by Cramer's rule. */
static double sampled_var_x(const double phi[4], double s2)
{
    double a = phi[0], b = phi[1], c = phi[2], d = phi[3];
    double M[3][3] = {{1 - a * a, -2 * a * b, -b * b},
                      {-a * c, 1 - (a * d + b * c), -b * d},
                      {-c * c, -2 * c * d, 1 - d * d}};
    double r[3] = {s2, 0, 0};
    double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                 M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                 M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
    double det1 = r[0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                  M[0][1] * (r[1] * M[2][2] - M[1][2] * r[2]) +
                  M[0][2] * (r[1] * M[2][1] - M[1][1] * r[2]);
    return det1 / det;
}

/* var(x) over n identical compartments and `steps` steps after a burn-in. */
static double measured_var(cx_tile *t, size_t n, int burn, int steps)
{
    for (int k = 0; k < burn; k++)
        cx_tile_step(t);
    double s = 0, s2 = 0;
    for (int k = 0; k < steps; k++) {
        cx_tile_step(t);
        const double *x = cx_tile_x(t);
        for (size_t i = 0; i < n; i++)
            s += x[i], s2 += x[i] * x[i];
    }
    double m = s / ((double)n * steps);
    return s2 / ((double)n * steps) - m * m;
}

enum { NV = 256 };

static void check_thermal(cx_chip_mode mode, cx_tile_comp_kind kind, double f_hz, double zeta,
                          double tau_ms, double h_ms, int burn, int steps)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.noise.thermal.enabled = 1;
    c.tile.mode = mode;
    c.tile.analog_step_ms = 0.05;
    c.tile.compartment.tau_min_ms = 0.05;
    double sx = cx_chip_thermal_sigma_x(&c);
    static cx_tile_comp_spec comps[NV];
    for (int i = 0; i < NV; i++)
        comps[i] = (cx_tile_comp_spec){.kind = kind,
                                       .omega_rad_per_ms = 2 * CX_PI * f_hz / 1000,
                                       .zeta = zeta,
                                       .tau_ms = tau_ms,
                                       .gain = 1,
                                       .offset = 0.5};
    cx_tile_netlist net = {.step_ms = h_ms, .n_comps = NV, .comps = comps};
    cx_tile *t = cx_test_tile(&c, &net, 11, 0);
    double theory = sx * sx; /* continuous: stationary std sigma_x by construction */
    if (mode == CX_CHIP_SAMPLED) {
        cx_comp_disc d;
        if (kind == CX_TILE_FIRST_ORDER) {
            double phi = exp(-h_ms / tau_ms);
            theory = sx * sx / (1 - phi * phi);
        } else {
            ck_assert_int_eq(cx_comp_discretize(comps[0].omega_rad_per_ms, zeta, 0, 0, h_ms, &d),
                             CX_OK);
            theory = sampled_var_x(d.phi, sx * sx);
        }
    }
    double var = measured_var(t, NV, burn, steps);
    ck_assert_msg(fabs(var / theory - 1) < 0.03, "%s %s f %g zeta %g: var/theory = %.4f",
                  cx_chip_mode_name(mode), kind == CX_TILE_FIRST_ORDER ? "first" : "second", f_hz,
                  zeta, var / theory);
    printf("thermal %-10s %s f=%g zeta=%g tau=%g: var/theory = %.4f\n", cx_chip_mode_name(mode),
           kind == CX_TILE_FIRST_ORDER ? "first-order " : "second-order", f_hz, zeta, tau_ms,
           var / theory);
    cx_tile_free(t);
}

START_TEST(thermal_variance_matches_theory)
{
    /* decay times 20 ms, 9 ms, 5 ms: >= 300 decay times each */
    check_thermal(CX_CHIP_SAMPLED, CX_TILE_SECOND_ORDER, 40, 0.2, 0, 0.1, 2000, 60000);
    check_thermal(CX_CHIP_SAMPLED, CX_TILE_SECOND_ORDER, 100, 3.0, 0, 0.1, 2000, 30000);
    check_thermal(CX_CHIP_SAMPLED, CX_TILE_FIRST_ORDER, 0, 0, 5, 0.1, 1000, 20000);
    check_thermal(CX_CHIP_CONTINUOUS, CX_TILE_SECOND_ORDER, 100, 0.2, 0, 0.1, 1000, 12000);
    check_thermal(CX_CHIP_CONTINUOUS, CX_TILE_SECOND_ORDER, 100, 3.0, 0, 0.1, 1000, 12000);
    check_thermal(CX_CHIP_CONTINUOUS, CX_TILE_FIRST_ORDER, 0, 0, 5, 0.1, 1000, 8000);
}
END_TEST

/* Flicker on a fast first-order unit (x follows its offset): the averaged
 * periodogram falls as 1/f across the band. */
START_TEST(flicker_spectrum_is_one_over_f)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.noise.flicker.enabled = 1;
    c.noise.flicker.f_low_hz = 1;
    c.noise.flicker.f_high_hz = 100;
    c.noise.flicker.sigma = 0.01;
    c.noise.flicker.processes_per_decade = 2;
    enum { N = 64, SEG = 8192, NSEG = 8 };
    const double h = 0.5; /* ms: Nyquist 1 kHz */
    static cx_tile_comp_spec comps[N];
    for (int i = 0; i < N; i++)
        comps[i] = (cx_tile_comp_spec){.kind = CX_TILE_FIRST_ORDER, .tau_ms = 0.1, .gain = 1};
    cx_tile_netlist net = {.step_ms = h, .n_comps = N, .comps = comps};
    cx_tile *t = cx_test_tile(&c, &net, 5, 0);
    static double seg[N][SEG], psd[SEG / 2 + 1], buf[SEG], win[SEG];
    double wsum = 0;
    for (int k = 0; k < SEG; k++) {
        win[k] = 0.5 - 0.5 * cos(2 * CX_PI * k / SEG);
        wsum += win[k] * win[k];
    }
    double fs_hz = 1000.0 / h;
    for (int s = 0; s < NSEG; s++) {
        for (int k = 0; k < SEG; k++) {
            cx_tile_step(t);
            for (int i = 0; i < N; i++)
                seg[i][k] = cx_tile_x(t)[i];
        }
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < SEG; k++)
                buf[k] = seg[i][k] * win[k];
            gsl_fft_real_radix2_transform(buf, 1, SEG);
            for (int f = 1; f < SEG / 2; f++) {
                double re = buf[f], im = buf[SEG - f];
                psd[f] += 2 * (re * re + im * im) / (fs_hz * wsum) / (N * NSEG); /* one-sided */
            }
        }
    }
    /* Log-spaced bins from 2 to 50 Hz, least-squares slope of log PSD. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int nb = 0;
    for (double f0 = 2; f0 < 50; f0 *= 1.25) {
        double acc = 0;
        int cnt = 0;
        for (int f = 1; f < SEG / 2; f++) {
            double fhz = f * fs_hz / SEG;
            if (fhz >= f0 && fhz < f0 * 1.25) acc += psd[f], cnt++;
        }
        if (!cnt) continue;
        double lx = log10(f0 * sqrt(1.25)), ly = log10(acc / cnt);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, nb++;
    }
    double slope = (nb * sxy - sx * sy) / (nb * sxx - sx * sx);
    /* level at 10 Hz against sigma^2 / (f ln(f_high / f_low)) */
    double level = 0;
    int cnt = 0;
    for (int f = 1; f < SEG / 2; f++) {
        double fhz = f * fs_hz / SEG;
        if (fhz >= 9 && fhz < 11) level += psd[f] * fhz, cnt++;
    }
    level /= cnt;
    double expect = 0.01 * 0.01 / log(100.0);
    printf("flicker: slope %.3f over 2-50 Hz (%d bins); f*PSD at 10 Hz / theory = %.3f\n", slope,
           nb, level / expect);
    ck_assert_msg(fabs(slope + 1) < 0.15, "slope %g", slope);
    ck_assert_msg(fabs(level / expect - 1) < 0.25, "level ratio %g", level / expect);
    cx_tile_free(t);
}
END_TEST

typedef struct {
    double n, s, s2;
} moments;

static void add(moments *m, double v)
{
    m->n++, m->s += v, m->s2 += v * v;
}

/* mean within 5 standard errors of 0, std within 5 standard errors of sigma */
static void check_normal(const moments *m, double sigma, const char *what)
{
    double mean = m->s / m->n, sd = sqrt(m->s2 / m->n - mean * mean);
    printf("mismatch %-22s n=%5.0f mean %+.5f (se %.5f) sd %.5f (expected %.5f)\n", what, m->n,
           mean, sigma / sqrt(m->n), sd, sigma);
    ck_assert_msg(fabs(mean) < 5 * sigma / sqrt(m->n), "%s: mean %g", what, mean);
    ck_assert_msg(fabs(sd / sigma - 1) < 5 / sqrt(2 * m->n), "%s: sd %g vs %g", what, sd, sigma);
}

START_TEST(mismatch_statistics)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.noise.mismatch.enabled = 1;
    enum { N = 256, NS = 4000, TILES = 8 };
    static cx_tile_comp_spec comps[N];
    static cx_tile_synapse_spec syn[NS];
    for (int i = 0; i < N; i++)
        comps[i] = (cx_tile_comp_spec){.kind = i % 2 ? CX_TILE_SECOND_ORDER : CX_TILE_FIRST_ORDER,
                                       .omega_rad_per_ms = 0.3,
                                       .zeta = 0.4,
                                       .tau_ms = 20,
                                       .gain = i % 4 < 2 ? 2.0 : -2.0,
                                       .offset = 0.25};
    for (int i = 0; i < NS; i++)
        syn[i] = (cx_tile_synapse_spec){(uint32_t)i, i % N, i % 2 ? 0.5 : -0.5};
    cx_tile_netlist net = {
        .step_ms = 1, .n_comps = N, .comps = comps, .n_synapses = NS, .synapses = syn};
    moments tau = {0}, omega = {0}, zeta = {0}, gain = {0}, off = {0}, w = {0};
    for (uint32_t k = 0; k < TILES; k++) {
        cx_tile *t = cx_test_tile(&c, &net, 77, k);
        for (int i = 0; i < N; i++) {
            const cx_tile_realized_comp *r = cx_tile_realized(t, (size_t)i);
            if (i % 2) {
                add(&omega, log(r->omega_rad_per_ms / 0.3));
                add(&zeta, log(r->zeta / 0.4));
            } else {
                add(&tau, log(r->tau_ms / 20));
            }
            ck_assert(r->gain * comps[i].gain > 0); /* the sign is kept */
            add(&gain, log(r->gain / comps[i].gain));
            add(&off, r->offset - 0.25);
        }
        for (int i = 0; i < NS; i++) {
            double wr = cx_tile_synapse_weight(t, (size_t)i);
            ck_assert(wr * syn[i].weight > 0);
            add(&w, log(wr / syn[i].weight));
        }
        cx_tile_free(t);
    }
    check_normal(&tau, c.noise.mismatch.tau_rel, "ln tau (first order)");
    check_normal(&omega, c.noise.mismatch.tau_rel, "ln omega");
    check_normal(&zeta, c.noise.mismatch.tau_rel * sqrt(2.0), "ln zeta");
    check_normal(&gain, c.noise.mismatch.gain_rel, "ln |gain|");
    check_normal(&off, c.noise.mismatch.offset_sigma, "offset");
    check_normal(&w, c.noise.mismatch.weight_rel, "ln |synapse weight|");

    /* Off: the programmed values exactly. */
    c.noise.mismatch.enabled = 0;
    cx_tile *t = cx_test_tile(&c, &net, 77, 0);
    ck_assert_double_eq(cx_tile_realized(t, 0)->tau_ms, 20);
    ck_assert_double_eq(cx_tile_realized(t, 1)->omega_rad_per_ms, 0.3);
    ck_assert_double_eq(cx_tile_synapse_weight(t, 3), 0.5);
    cx_tile_free(t);
}
END_TEST

static int on_log_grid(double v, double lo, double hi, int bits)
{
    double k = log(v / lo) / log(hi / lo) * (ldexp(1, bits) - 1);
    return fabs(k - round(k)) < 1e-9 && k > -1e-9 && k < ldexp(1, bits) - 1 + 1e-9;
}

static int on_step_grid(double v, double step)
{
    double k = v / step;
    return fabs(k - round(k)) < 1e-9 * fmax(1, fabs(k));
}

/* Quantization on, mismatch off: every programmed value is a DAC code. */
START_TEST(quantized_values_on_dac_grids)
{
    cx_chip_config c = cx_test_quiet_chip();
    c.noise.quantization.enabled = c.noise.quantization.params = 1;
    c.noise.quantization.weights = c.noise.quantization.adc = 1;
    const cx_chip_config *p = &c;
    int bits = c.tile.compartment.param_bits;
    enum { N = 64 };
    static cx_tile_comp_spec comps[N];
    static cx_tile_synapse_spec syn[N];
    static cx_tile_sig in[N];
    static double w[8 * N];
    static cx_tile_term rt[N];
    for (int i = 0; i < N; i++) {
        comps[i] = (cx_tile_comp_spec){.kind = i % 2 ? CX_TILE_SECOND_ORDER : CX_TILE_FIRST_ORDER,
                                       .omega_rad_per_ms = 0.05 + 0.037 * i,
                                       .zeta = 0.1 + 0.13 * i,
                                       .tau_ms = 0.3 + 7.7 * i,
                                       .gain = -5 + 0.17 * i,
                                       .offset = -1.5 + 0.051 * i,
                                       .x0 = sin(i)};
        syn[i] = (cx_tile_synapse_spec){(uint32_t)i, i, 0.3 * sin(3.0 * i)};
        in[i] = (cx_tile_sig){CX_TILE_SIG_STATE, i, 0};
        rt[i] = (cx_tile_term){{CX_TILE_SIG_STATE, i, 0}, 0.1 * cos(i)};
    }
    for (int k = 0; k < 8 * N; k++)
        w[k] = sin(0.1 * k);
    cx_tile_dendrite_spec d = {.n_in = N,
                               .n_out = 8,
                               .inputs = in,
                               .weights = w,
                               .activation = CX_CHIP_ACT_IDENTITY,
                               .full_scale = 1.0};
    cx_tile_readout_spec ro = {.n_terms = N, .terms = rt, .bias = 0.01};
    cx_tile_netlist net = {.step_ms = 0.5,
                           .n_comps = N,
                           .comps = comps,
                           .n_synapses = N,
                           .synapses = syn,
                           .n_dendrites = 1,
                           .dendrites = &d,
                           .n_readouts = 1,
                           .readouts = &ro};
    cx_tile *t = cx_test_tile(&c, &net, 1, 0);
    double tmin = p->tile.compartment.tau_min_ms, tmax = p->tile.compartment.tau_max_ms;
    double gstep = p->tile.compartment.gain_max / (ldexp(1, bits - 1) - 1);
    double ostep = p->tile.compartment.offset_max / (ldexp(1, bits - 1) - 1);
    for (int i = 0; i < N; i++) {
        const cx_tile_realized_comp *r = cx_tile_realized(t, (size_t)i);
        if (i % 2) {
            ck_assert_msg(on_log_grid(1 / r->omega_rad_per_ms, tmin, tmax, bits), "1/omega %d", i);
            ck_assert_msg(on_log_grid(r->zeta, p->tile.compartment.zeta_min,
                                      p->tile.compartment.zeta_max, bits),
                          "zeta %d", i);
            /* nearest code: within half a code of the programmed value */
            double half = 0.5 * log(tmax / tmin) / (ldexp(1, bits) - 1);
            ck_assert(fabs(log(comps[i].omega_rad_per_ms * (1 / r->omega_rad_per_ms))) <=
                      half * (1 + 1e-9));
        } else {
            ck_assert_msg(on_log_grid(r->tau_ms, tmin, tmax, bits), "tau %d = %.17g", i, r->tau_ms);
        }
        ck_assert_msg(on_step_grid(r->gain, gstep), "gain %d = %.17g", i, r->gain);
        ck_assert_msg(on_step_grid(r->offset, ostep), "offset %d", i);
        ck_assert(fabs(r->gain - comps[i].gain) <= 0.5 * gstep * (1 + 1e-9));
    }
    double sfs = 0;
    for (int i = 0; i < N; i++)
        sfs = fmax(sfs, fabs(syn[i].weight));
    double sstep = sfs / (ldexp(1, p->tile.synapses.weight_bits) - 1);
    for (int i = 0; i < N; i++)
        ck_assert_msg(on_step_grid(cx_tile_synapse_weight(t, (size_t)i), sstep), "synapse %d", i);
    double dstep = 1.0 / (ldexp(1, p->tile.dendrite.weight_bits) - 1);
    for (size_t r = 0; r < 8; r++)
        for (size_t k = 0; k < N; k++)
            ck_assert_msg(on_step_grid(cx_tile_dendrite_weight(t, 0, r, k), dstep), "xbar %zu %zu",
                          r, k);
    double lsb = cx_chip_adc_lsb(p);
    for (int k = 0; k < 20; k++) {
        cx_tile_step(t);
        double y = cx_tile_readout(t)[0];
        ck_assert_msg(on_step_grid(y - p->tile.rails.x_min, lsb), "adc %.17g", y);
    }
    cx_tile_free(t);
}
END_TEST

/* Continuous mode: compartment B driven by a free oscillator A converges to
 * the exact continuous-time solution at order 1 in the analog step (the
 * drive is held over each analog step); A itself is exact. */
START_TEST(continuous_mode_converges_first_order)
{
    const double T = 20, h_model = 0.4;
    double err[4], errA = 0;
    double omegaA = 2 * CX_PI * 50 / 1000, zetaA = 0.3, tau = 5, gain = 0.8, offset = 0.1;
    for (int r = 0; r < 4; r++) {
        cx_chip_config c = cx_test_quiet_chip();
        c.tile.mode = CX_CHIP_CONTINUOUS;
        c.tile.compartment.tau_min_ms = 0.2; /* tau_f of B's realization, fixed */
        c.tile.analog_step_ms = 0.2 / (1 << r);
        cx_tile_term fromA = {{CX_TILE_SIG_STATE, 0, 0}, 1.0};
        cx_tile_comp_spec comps[2] = {
            {.kind = CX_TILE_SECOND_ORDER, .omega_rad_per_ms = omegaA, .zeta = zetaA, .x0 = 1},
            {.kind = CX_TILE_FIRST_ORDER,
             .tau_ms = tau,
             .gain = gain,
             .offset = offset,
             .n_drive = 1,
             .drive = &fromA}};
        cx_tile_netlist net = {.step_ms = h_model, .n_comps = 2, .comps = comps};
        cx_tile *t = cx_test_tile(&c, &net, 1, 0);
        int steps = (int)round(T / h_model);
        for (int k = 0; k < steps; k++)
            cx_tile_step(t);
        /* Exact: the 4-state linear system, B realized with tau_f = 0.2 ms. */
        cx_comp_params pb;
        ck_assert_int_eq(cx_comp_realize_first_order(tau, 0.2, gain, offset, 0, &pb), CX_OK);
        double wB = pb.omega_rad_per_ms, zB = pb.zeta;
        /* augmented with a constant state for the offset */
        double A[25] = {0,
                        1,
                        0,
                        0,
                        0,
                        -omegaA * omegaA,
                        -2 * zetaA * omegaA,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        1,
                        0,
                        wB * wB * gain,
                        0,
                        -wB * wB,
                        -2 * zB * wB,
                        wB * wB * offset,
                        0,
                        0,
                        0,
                        0,
                        0};
        gsl_matrix_view Av = gsl_matrix_view_array(A, 5, 5);
        gsl_matrix_scale(&Av.matrix, T);
        gsl_matrix *E = gsl_matrix_alloc(5, 5);
        ck_assert_int_eq(gsl_linalg_exponential_ss(&Av.matrix, E, GSL_PREC_DOUBLE), 0);
        double X0[5] = {1, 0, 0, 0, 1}, xA = 0, xB = 0;
        for (int j = 0; j < 5; j++) {
            xA += gsl_matrix_get(E, 0, j) * X0[j];
            xB += gsl_matrix_get(E, 2, j) * X0[j];
        }
        gsl_matrix_free(E);
        err[r] = fabs(cx_tile_x(t)[1] - xB);
        errA = fmax(errA, fabs(cx_tile_x(t)[0] - xA));
        cx_tile_free(t);
    }
    for (int r = 1; r < 4; r++) {
        double order = log2(err[r - 1] / err[r]);
        printf("continuous: analog step %.4f ms: error %.3e, order %.3f\n", 0.2 / (1 << r), err[r],
               order);
        ck_assert_msg(fabs(order - 1) < 0.1, "order %g", order);
    }
    ck_assert_msg(errA < 1e-12, "free oscillator error %g", errA);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tile_noise");
    TCase *tc = tcase_create("tile_noise");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, thermal_variance_matches_theory);
    tcase_add_test(tc, flicker_spectrum_is_one_over_f);
    tcase_add_test(tc, mismatch_statistics);
    tcase_add_test(tc, quantized_values_on_dac_grids);
    tcase_add_test(tc, continuous_mode_converges_first_order);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
