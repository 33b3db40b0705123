#define _POSIX_C_SOURCE 200809L
#include "cx_vcd.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VCD_BUF = 1 << 16 };

typedef char vcd_id[CX_VCD_ID_MAX];

struct cx_vcd {
    char *path, *tmp;
    FILE *fp;
    int write_errno; /* errno of the first failed write, 0 while all is well */
    char *buf;       /* pending output, written in VCD_BUF chunks */
    size_t len, cap;
    size_t n_vars, n_reals, n_wires, reals_cap, wires_cap;
    vcd_id *real_id, *wire_id;
    int started;       /* $enddefinitions written, per-variable state allocated */
    int block_open;    /* something was given at block_time and is not written yet */
    int first_block;   /* the next block written is the first: $dumpvars */
    int block_sampled; /* cur holds a sample at block_time */
    uint64_t block_time;
    double *cur;               /* reals at block_time */
    uint64_t *last_bits;       /* reals as last written, bit for bit */
    unsigned char *written;    /* real i has been written at least once */
    unsigned char *high;       /* wire is 1 in the file */
    unsigned char *spiked;     /* wire spiked at block_time */
    size_t *high_list, n_high; /* wires that are 1 in the file */
    size_t *spike_list, n_spike;
};

void cx_vcd_id(size_t i, char out[CX_VCD_ID_MAX])
{
    /* Bijective base 94, so every string of printable characters is used once. */
    size_t n = 0;
    for (;;) {
        out[n++] = (char)(33 + i % 94);
        if (i < 94 || n == CX_VCD_ID_MAX - 1) break;
        i = i / 94 - 1;
    }
    out[n] = '\0';
}

/* Writes the buffer out; remembers the first failure. */
static void vcd_drain(cx_vcd *vcd)
{
    errno = 0;
    if (vcd->len && !vcd->write_errno && fwrite(vcd->buf, 1, vcd->len, vcd->fp) != vcd->len)
        vcd->write_errno = errno ? errno : EIO;
    vcd->len = 0;
}

/* Room for need more bytes. */
static int vcd_reserve(cx_vcd *vcd, size_t need)
{
    if (vcd->len + need <= vcd->cap) return 1;
    vcd_drain(vcd);
    if (need <= vcd->cap) return 1;
    char *grown = realloc(vcd->buf, need);
    if (!grown) return 0;
    vcd->buf = grown;
    vcd->cap = need;
    return 1;
}

static void vcd_put(cx_vcd *vcd, const char *s, size_t n)
{
    memcpy(vcd->buf + vcd->len, s, n);
    vcd->len += n;
}

static cx_status vcd_io_error(const cx_vcd *vcd)
{
    return cx_fail(CX_ERR_IO, "%s: cannot write: %s", vcd->path, strerror(vcd->write_errno));
}

/* Letters, digits and '_'; a leading digit gets a '_'; empty becomes "_". */
static void vcd_put_name(cx_vcd *vcd, const char *name)
{
    if (!isalpha((unsigned char)*name) && *name != '_') vcd->buf[vcd->len++] = '_';
    for (const char *c = name; *c; c++)
        vcd->buf[vcd->len++] = isalnum((unsigned char)*c) ? *c : '_';
}

static void vcd_free(cx_vcd *vcd)
{
    free(vcd->path);
    free(vcd->tmp);
    free(vcd->buf);
    free(vcd->real_id);
    free(vcd->wire_id);
    free(vcd->cur);
    free(vcd->last_bits);
    free(vcd->written);
    free(vcd->high);
    free(vcd->spiked);
    free(vcd->high_list);
    free(vcd->spike_list);
    free(vcd);
}

static int parse_timescale(const char *ts, int *mult, const char **unit)
{
    static const char *units[] = {"s", "ms", "us", "ns", "ps", "fs"};
    if (!ts) return 0;
    char *end;
    errno = 0;
    long m = strtol(ts, &end, 10);
    if (end == ts || errno || (m != 1 && m != 10 && m != 100)) return 0;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i]) == 0) {
            *mult = (int)m;
            *unit = units[i];
            return 1;
        }
    return 0;
}

cx_status cx_vcd_open(const char *path, const char *timescale, const char *module, cx_vcd **out)
{
    *out = NULL;
    int mult;
    const char *unit;
    if (!parse_timescale(timescale, &mult, &unit))
        return cx_fail(CX_ERR_VALUE,
                       "%s: timescale '%s': expected 1, 10 or 100 then s, ms, us, ns, ps or fs",
                       path, timescale ? timescale : "(null)");
    cx_vcd *vcd = calloc(1, sizeof *vcd);
    size_t plen = strlen(path);
    if (vcd) {
        vcd->path = strdup(path);
        vcd->tmp = malloc(plen + 5);
        vcd->buf = malloc(VCD_BUF);
        vcd->cap = VCD_BUF;
    }
    if (!vcd || !vcd->path || !vcd->tmp || !vcd->buf) {
        if (vcd) vcd_free(vcd);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(vcd->tmp, path, plen);
    memcpy(vcd->tmp + plen, ".tmp", 5);
    vcd->fp = fopen(vcd->tmp, "wb");
    if (!vcd->fp) {
        cx_status st = cx_fail(CX_ERR_IO, "%s: cannot create: %s", vcd->tmp, strerror(errno));
        vcd_free(vcd);
        return st;
    }
    setvbuf(vcd->fp, NULL, _IONBF, 0); /* vcd->buf is the buffer */
    if (!module || !*module) module = "top";
    vcd->len = (size_t)snprintf(vcd->buf, vcd->cap,
                                "$version cortile $end\n$timescale %d %s $end\n$scope module ",
                                mult, unit);
    if (!vcd_reserve(vcd, 2 * strlen(module) + 16)) {
        cx_vcd_discard(vcd);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    }
    vcd_put_name(vcd, module);
    vcd_put(vcd, " $end\n", 6);
    vcd->first_block = 1;
    *out = vcd;
    return CX_OK;
}

static cx_status vcd_add(cx_vcd *vcd, const char *name, size_t *index, int is_real)
{
    if (!name) name = "";
    if (vcd->started)
        return cx_fail(CX_ERR_VALUE, "%s: variable '%s' declared after the first sample", vcd->path,
                       name);
    vcd_id **ids = is_real ? &vcd->real_id : &vcd->wire_id;
    size_t *n = is_real ? &vcd->n_reals : &vcd->n_wires;
    size_t *cap = is_real ? &vcd->reals_cap : &vcd->wires_cap;
    if (*n == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 16;
        vcd_id *grown = realloc(*ids, grown_cap * sizeof **ids);
        if (!grown) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", vcd->path);
        *ids = grown;
        *cap = grown_cap;
    }
    cx_vcd_id(vcd->n_vars++, (*ids)[*n]);
    if (!vcd_reserve(vcd, 2 * strlen(name) + 48))
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", vcd->path);
    vcd->len += (size_t)sprintf(vcd->buf + vcd->len,
                                is_real ? "$var real 64 %s " : "$var wire 1 %s ", (*ids)[*n]);
    vcd_put_name(vcd, name);
    vcd_put(vcd, " $end\n", 6);
    if (index) *index = *n;
    (*n)++;
    return CX_OK;
}

cx_status cx_vcd_add_real(cx_vcd *vcd, const char *name, size_t *index)
{
    return vcd_add(vcd, name, index, 1);
}

cx_status cx_vcd_add_wire(cx_vcd *vcd, const char *name, size_t *index)
{
    return vcd_add(vcd, name, index, 0);
}

/* Ends the declarations; allocates the per-variable state once. */
static cx_status vcd_start(cx_vcd *vcd)
{
    size_t nr = vcd->n_reals ? vcd->n_reals : 1, nw = vcd->n_wires ? vcd->n_wires : 1;
    vcd->cur = malloc(nr * sizeof *vcd->cur);
    vcd->last_bits = malloc(nr * sizeof *vcd->last_bits);
    vcd->written = calloc(nr, 1);
    vcd->high = calloc(nw, 1);
    vcd->spiked = calloc(nw, 1);
    vcd->high_list = malloc(nw * sizeof *vcd->high_list);
    vcd->spike_list = malloc(nw * sizeof *vcd->spike_list);
    if (!vcd->cur || !vcd->last_bits || !vcd->written || !vcd->high || !vcd->spiked ||
        !vcd->high_list || !vcd->spike_list)
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory for %zu variables", vcd->path, vcd->n_vars);
    static const char end[] = "$upscope $end\n$enddefinitions $end\n";
    vcd_reserve(vcd, sizeof end);
    vcd_put(vcd, end, sizeof end - 1);
    vcd->started = 1;
    return CX_OK;
}

/* "#time\n", once per block, before its first change. */
static void vcd_put_time(cx_vcd *vcd, uint64_t t, int *emitted)
{
    if (*emitted) return;
    vcd_reserve(vcd, 40);
    vcd->len += (size_t)sprintf(vcd->buf + vcd->len, "#%" PRIu64 "\n", t);
    if (vcd->first_block) vcd_put(vcd, "$dumpvars\n", 10);
    *emitted = 1;
}

static void vcd_put_bit(cx_vcd *vcd, char bit, const char *id)
{
    vcd_reserve(vcd, CX_VCD_ID_MAX + 2);
    vcd->buf[vcd->len++] = bit;
    size_t n = strlen(id);
    vcd_put(vcd, id, n);
    vcd->buf[vcd->len++] = '\n';
}

/* Writes the open block: changed reals, wires rising and falling. */
static void vcd_write_block(cx_vcd *vcd)
{
    int emitted = 0;
    uint64_t t = vcd->block_time;
    if (vcd->block_sampled)
        for (size_t i = 0; i < vcd->n_reals; i++) {
            uint64_t bits;
            memcpy(&bits, &vcd->cur[i], sizeof bits);
            if (vcd->written[i] && bits == vcd->last_bits[i]) continue;
            vcd_put_time(vcd, t, &emitted);
            vcd_reserve(vcd, 40 + CX_VCD_ID_MAX);
            vcd->len +=
                (size_t)sprintf(vcd->buf + vcd->len, "r%.17g %s\n", vcd->cur[i], vcd->real_id[i]);
            vcd->last_bits[i] = bits;
            vcd->written[i] = 1;
        }
    for (size_t k = 0; k < vcd->n_high; k++) {
        size_t w = vcd->high_list[k];
        if (vcd->spiked[w]) continue;
        vcd_put_time(vcd, t, &emitted);
        vcd_put_bit(vcd, '0', vcd->wire_id[w]);
        vcd->high[w] = 0;
    }
    if (vcd->first_block)
        for (size_t w = 0; w < vcd->n_wires; w++)
            if (!vcd->spiked[w]) {
                vcd_put_time(vcd, t, &emitted);
                vcd_put_bit(vcd, '0', vcd->wire_id[w]);
            }
    for (size_t k = 0; k < vcd->n_spike; k++) {
        size_t w = vcd->spike_list[k];
        vcd->spiked[w] = 0;
        if (vcd->high[w]) continue;
        vcd_put_time(vcd, t, &emitted);
        vcd_put_bit(vcd, '1', vcd->wire_id[w]);
        vcd->high[w] = 1;
    }
    if (emitted && vcd->first_block) {
        vcd_reserve(vcd, 8);
        vcd_put(vcd, "$end\n", 5);
    }
    if (emitted) vcd->first_block = 0;
    /* The wires that spiked now are the ones to lower next. */
    size_t *swap = vcd->high_list;
    vcd->high_list = vcd->spike_list;
    vcd->spike_list = swap;
    vcd->n_high = vcd->n_spike;
    vcd->n_spike = 0;
    vcd->block_sampled = 0;
    vcd->block_open = 0;
}

/* Lowers every raised wire at t (the tick after the last block). */
static void vcd_write_resets(cx_vcd *vcd, uint64_t t)
{
    int emitted = 0;
    for (size_t k = 0; k < vcd->n_high; k++) {
        vcd_put_time(vcd, t, &emitted);
        vcd_put_bit(vcd, '0', vcd->wire_id[vcd->high_list[k]]);
        vcd->high[vcd->high_list[k]] = 0;
    }
    vcd->n_high = 0;
}

/* Makes t the open block's time, writing the blocks before it. */
static cx_status vcd_at(cx_vcd *vcd, uint64_t t)
{
    if (!vcd->started) CX_TRY(vcd_start(vcd));
    if (vcd->write_errno) return vcd_io_error(vcd);
    if (vcd->block_open) {
        if (t < vcd->block_time)
            return cx_fail(CX_ERR_VALUE,
                           "%s: time %" PRIu64 " is before the previous time %" PRIu64, vcd->path,
                           t, vcd->block_time);
        if (t == vcd->block_time) return CX_OK;
        uint64_t prev = vcd->block_time;
        vcd_write_block(vcd);
        if (vcd->n_high && t > prev + 1) vcd_write_resets(vcd, prev + 1);
    }
    vcd->block_open = 1;
    vcd->block_time = t;
    return CX_OK;
}

cx_status cx_vcd_sample(cx_vcd *vcd, uint64_t time_ticks, const double *reals)
{
    if (!reals && vcd->n_reals)
        return cx_fail(CX_ERR_VALUE, "%s: sample at %" PRIu64 " without values", vcd->path,
                       time_ticks);
    CX_TRY(vcd_at(vcd, time_ticks));
    if (vcd->n_reals) memcpy(vcd->cur, reals, vcd->n_reals * sizeof *reals);
    vcd->block_sampled = 1;
    return CX_OK;
}

cx_status cx_vcd_spike(cx_vcd *vcd, uint64_t time_ticks, size_t wire)
{
    if (wire >= vcd->n_wires)
        return cx_fail(CX_ERR_VALUE, "%s: spike on wire %zu, only %zu declared", vcd->path, wire,
                       vcd->n_wires);
    CX_TRY(vcd_at(vcd, time_ticks));
    if (!vcd->spiked[wire]) {
        vcd->spiked[wire] = 1;
        vcd->spike_list[vcd->n_spike++] = wire;
    }
    return CX_OK;
}

void cx_vcd_discard(cx_vcd *vcd)
{
    if (!vcd) return;
    if (vcd->fp) fclose(vcd->fp);
    remove(vcd->tmp);
    vcd_free(vcd);
}

cx_status cx_vcd_close(cx_vcd *vcd)
{
    if (!vcd) return CX_OK;
    cx_status st = CX_OK;
    if (!vcd->started) st = vcd_start(vcd);
    if (st == CX_OK && vcd->block_open) {
        uint64_t t = vcd->block_time;
        vcd_write_block(vcd);
        if (vcd->n_high) vcd_write_resets(vcd, t + 1);
    }
    vcd_drain(vcd);
    if (st == CX_OK && !vcd->write_errno && fflush(vcd->fp) != 0) vcd->write_errno = errno;
    if (fclose(vcd->fp) != 0 && !vcd->write_errno) vcd->write_errno = errno ? errno : EIO;
    vcd->fp = NULL;
    if (st == CX_OK && !vcd->write_errno && rename(vcd->tmp, vcd->path) != 0)
        vcd->write_errno = errno;
    if (st == CX_OK && vcd->write_errno) st = vcd_io_error(vcd);
    if (st != CX_OK) remove(vcd->tmp);
    vcd_free(vcd);
    return st;
}
