/* Host data in, recordings out (cx_tile_run.h). */
#include "cx_tile_run.h"

#include "cx_limits.h"
#include "cx_plot_trace.h"
#include "cx_vcd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cx_tile_recorder {
    cx_tile *t;
    cx_tile_run_io *io;
    size_t n_readouts, n_somas, n_in;
    uint32_t *due; /* packets of the current step */
    size_t cap_due;
    cx_vcd *vcd;
    double *vcd_row;
    double step_ms;
    uint64_t ticks_per_step; /* VCD time is model time */
};

void cx_tile_run_io_free(cx_tile_run_io *io)
{
    free(io->inputs);
    free(io->spikes);
    free(io->readout);
    free(io->trace);
    free(io->soma_spikes);
    io->inputs = io->spikes = io->readout = io->trace = NULL;
    io->soma_spikes = NULL;
}

/* The coarsest VCD timescale (1, 10 or 100 of s..fs) that divides the model
 * step, so a tick count is exact and a spike pulse spans as much of a step as can be. */
static void pick_timescale(double step_ms, char *buf, size_t len, uint64_t *ticks)
{
    static const char *units[] = {"s", "ms", "us", "ns", "ps", "fs"};
    double step_s = step_ms * 1e-3;
    for (int u = 0; u < 6; u++)
        for (int m = 100; m >= 1; m /= 10) {
            double tick = m * pow(1e-3, u);
            double n = step_s / tick;
            if (n >= 1 && fabs(n - round(n)) < 1e-9 * n) {
                snprintf(buf, len, "%d %s", m, units[u]);
                *ticks = (uint64_t)round(n);
                return;
            }
        }
    snprintf(buf, len, "1 fs");
    *ticks = (uint64_t)round(step_s / 1e-15);
}

static cx_status open_vcd(cx_tile_recorder *r)
{
    cx_tile_run_io *io = r->io;
    char ts[32];
    pick_timescale(r->step_ms, ts, sizeof ts, &r->ticks_per_step);
    CX_TRY(cx_vcd_open(io->vcd_path, ts, "tile0", &r->vcd));
    cx_status st = CX_OK;
    for (size_t i = 0; st == CX_OK && i < io->n_record; i++)
        st = cx_vcd_add_real(r->vcd, io->record_names ? io->record_names[i] : "signal", NULL);
    for (size_t i = 0; st == CX_OK && i < r->n_somas; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s_spike", io->soma_names ? io->soma_names[i] : "soma");
        st = cx_vcd_add_wire(r->vcd, name, NULL);
    }
    return st;
}

cx_status cx_tile_run_check(const cx_tile *t, const cx_tile_run_io *io)
{
    /* per step: readouts and trace (f64), spikes (u8), the plot's copy of the trace */
    uint64_t row = 8 * (uint64_t)cx_tile_n_readouts(t) + 8 * (uint64_t)io->n_record +
                   (uint64_t)cx_tile_n_somas(t) +
                   (io->svg_path ? 8 * ((uint64_t)io->n_record + 1) : 0),
             bytes;
    if (!cx_output_fits(io->steps, row, &bytes))
        return cx_fail(CX_ERR_FIT,
                       "%zu steps of %llu bytes of recordings each need %.3g bytes, more than "
                       "the limit of %llu",
                       io->steps, (unsigned long long)row, (double)bytes,
                       (unsigned long long)CX_MAX_OUTPUT_BYTES);
    return CX_OK;
}

cx_status cx_tile_recorder_begin(cx_tile *t, cx_tile_run_io *io, cx_tile_recorder **out)
{
    *out = NULL;
    CX_TRY(cx_tile_run_check(t, io));
    cx_tile_recorder *r = calloc(1, sizeof *r);
    if (!r) return cx_fail(CX_ERR_NOMEM, "out of memory");
    r->t = t, r->io = io;
    /* sizes from the tile's accessors' netlist */
    r->n_readouts = cx_tile_n_readouts(t), r->n_somas = cx_tile_n_somas(t);
    r->n_in = cx_tile_n_inputs(t);
    r->step_ms = cx_tile_step_ms(t);
    r->cap_due = io->n_sources ? io->n_sources * 4 : 1;
    size_t T = io->steps;
    io->readout = calloc(T * r->n_readouts + 1, sizeof *io->readout);
    io->trace = calloc(T * io->n_record + 1, sizeof *io->trace);
    io->soma_spikes = calloc(T * r->n_somas + 1, 1);
    r->due = calloc(r->cap_due, sizeof *r->due);
    r->vcd_row = calloc(io->n_record + 1, sizeof *r->vcd_row);
    if (!io->readout || !io->trace || !io->soma_spikes || !r->due || !r->vcd_row)
        return cx_tile_recorder_end(r, cx_fail(CX_ERR_NOMEM, "out of memory"));
    if (io->vcd_path) {
        cx_status st = open_vcd(r);
        if (st != CX_OK) return cx_tile_recorder_end(r, st);
    }
    *out = r;
    return CX_OK;
}

void cx_tile_recorder_host(cx_tile_recorder *r, size_t k, const uint32_t **sources, size_t *n)
{
    cx_tile_run_io *io = r->io;
    if (io->inputs && r->n_in) cx_tile_set_inputs(r->t, io->inputs + k * r->n_in);
    *n = 0;
    for (size_t j = 0; io->spikes && j < io->n_sources; j++) {
        for (double c = io->spikes[k * io->n_sources + j]; c > 0; c--) {
            if (*n == r->cap_due) {
                uint32_t *d = realloc(r->due, 2 * r->cap_due * sizeof *d);
                if (!d) break; /* out of memory: the rest of this step's spikes are dropped */
                r->due = d, r->cap_due *= 2;
            }
            r->due[(*n)++] = (uint32_t)j;
        }
    }
    *sources = r->due;
}

cx_status cx_tile_recorder_after(cx_tile_recorder *r, size_t k)
{
    cx_tile_run_io *io = r->io;
    memcpy(io->readout + k * r->n_readouts, cx_tile_readout(r->t), r->n_readouts * sizeof(double));
    for (size_t i = 0; i < io->n_record; i++)
        r->vcd_row[i] = io->trace[k * io->n_record + i] = cx_tile_signal(r->t, io->record[i]);
    const uint32_t *who;
    size_t n = cx_tile_spikes(r->t, &who, NULL);
    uint8_t *row = io->soma_spikes + k * r->n_somas;
    for (size_t i = 0; i < n; i++)
        if (row[who[i]] < 255) row[who[i]]++;
    if (io->progress && ((k + 1) % 1024 == 0 || k + 1 == io->steps))
        io->progress(io->progress_ctx, k + 1, io->steps);
    if (!r->vcd) return CX_OK;
    /* one VCD tick per model step; spikes mark the step they were emitted in */
    uint64_t tick = (uint64_t)(k + 1) * r->ticks_per_step; /* the state at the end of step k */
    CX_TRY(cx_vcd_sample(r->vcd, tick, r->vcd_row));
    for (size_t i = 0; i < n; i++)
        CX_TRY(cx_vcd_spike(r->vcd, tick, who[i]));
    return CX_OK;
}

static cx_status write_plot(cx_tile_recorder *r)
{
    cx_tile_run_io *io = r->io;
    size_t T = io->steps, n = io->n_record;
    if (n == 0)
        return cx_fail(CX_ERR_VALUE, "--plot: the netlist records no signals (key 'record')");
    double *t = malloc(T * sizeof *t), *cols = malloc(T * n * sizeof *cols);
    const double **y = malloc(n * sizeof *y);
    cx_status st = CX_OK;
    if (!t || !cols || !y) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == CX_OK && k < T; k++) {
        t[k] = (double)(k + 1) * r->step_ms;
        for (size_t i = 0; i < n; i++)
            cols[i * T + k] = io->trace[k * n + i];
    }
    for (size_t i = 0; st == CX_OK && i < n; i++)
        y[i] = cols + i * T;
    cx_svg_options opt = {.layout = n > 1 ? CX_SVG_STACKED : CX_SVG_OVERLAY};
    if (st == CX_OK)
        st = cx_svg_plot_traces(io->svg_path, io->title ? io->title : "tile", "model time (ms)",
                                "state (model units)", n, io->record_names, t, y, T, &opt);
    free(t), free(cols), free((void *)y);
    return st;
}

cx_status cx_tile_recorder_end(cx_tile_recorder *r, cx_status status)
{
    if (r->vcd) {
        if (status == CX_OK)
            status = cx_vcd_close(r->vcd);
        else
            cx_vcd_discard(r->vcd);
    }
    if (status == CX_OK && r->io->svg_path) status = write_plot(r);
    free(r->due);
    free(r->vcd_row);
    free(r);
    return status;
}

cx_status cx_tile_run(cx_tile *t, cx_tile_run_io *io)
{
    cx_tile_recorder *r;
    CX_TRY(cx_tile_recorder_begin(t, io, &r));
    double h = cx_tile_step_ms(t);
    cx_status st = CX_OK;
    for (size_t k = 0; st == CX_OK && k < io->steps; k++) {
        const uint32_t *src;
        size_t n;
        cx_tile_recorder_host(r, k, &src, &n);
        for (size_t i = 0; i < n; i++)
            cx_tile_deliver(t, src[i], (double)k * h, (double)k * h);
        cx_tile_step(t);
        st = cx_tile_recorder_after(r, k);
    }
    return cx_tile_recorder_end(r, st);
}
