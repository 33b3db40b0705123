/* Loading a program (cx_program_load): the manifest, then every tensor read
 * and checked against it and built into tile netlists, host maps, routes and
 * probes. */
#define _POSIX_C_SOURCE 200809L
#include "program_internal.h"

#include "cx_st.h"
#include "cx_yaml.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sig_kind_names[] = {"const", "input", "compartment", "dendrite output",
                                             "soma"};

/* What a tile's signals may index. */
typedef struct {
    size_t inputs, comps, dend_outputs, somas;
} sig_limits;

typedef struct {
    const cx_st_file *f;
    unsigned char *used; /* per tensor of f: read by the manifest's layout */
    void **bufs;         /* tensors read for the tile being built */
    size_t n_bufs, cap_bufs;
    char name[NAME_LEN];
} loader;

static cx_status keep(loader *L, void *buf)
{
    if (L->n_bufs == L->cap_bufs) {
        size_t cap = L->cap_bufs ? 2 * L->cap_bufs : 64;
        void **b = realloc(L->bufs, cap * sizeof *b);
        if (!b) {
            free(buf);
            return cx_fail(CX_ERR_NOMEM, "%s: out of memory", L->f->path);
        }
        L->bufs = b;
        L->cap_bufs = cap;
    }
    L->bufs[L->n_bufs++] = buf;
    return CX_OK;
}

static void drop_all(loader *L)
{
    for (size_t i = 0; i < L->n_bufs; i++)
        free(L->bufs[i]);
    L->n_bufs = 0;
}

static void *scratch(loader *L, size_t n, size_t size)
{
    void *p = malloc((n ? n : 1) * size);
    if (!p) {
        cx_fail(CX_ERR_NOMEM, "%s: out of memory", L->f->path);
        return NULL;
    }
    return keep(L, p) == CX_OK ? p : NULL;
}

/* Integer tensor `field` of tile k of shape [n] (cols 1) or [n, cols],
 * each element in [lo, hi]. With own = 0 the array is freed with the tile's
 * scratch, otherwise the caller owns it. */
static cx_status read_i64(loader *L, int k, const char *field, size_t n, int cols, int64_t lo,
                          int64_t hi, int own, int64_t **out)
{
    const cx_st_tensor *t;
    int64_t shape[2] = {(int64_t)n, cols};
    const char *name = tensor_name(L->name, k, field);
    *out = NULL;
    CX_TRY(cx_st_require(L->f, name, CX_DTM_INT, cols > 1 ? 2 : 1, shape, &t));
    L->used[t - L->f->tensors] = 1;
    int64_t *v;
    CX_TRY(cx_st_to_i64(L->f, t, &v));
    for (size_t i = 0; i < n * (size_t)cols; i++) {
        if (v[i] < lo || v[i] > hi) {
            cx_status st =
                cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %zu is %lld, expected %lld..%lld",
                        L->f->path, name, i, (long long)v[i], (long long)lo, (long long)hi);
            free(v);
            return st;
        }
    }
    if (!own) CX_TRY(keep(L, v));
    *out = v;
    return CX_OK;
}

/* Finite real tensor `field` of shape [n]. */
static cx_status read_f64(loader *L, int k, const char *field, size_t n, int own, double **out)
{
    const cx_st_tensor *t;
    int64_t shape[1] = {(int64_t)n};
    const char *name = tensor_name(L->name, k, field);
    *out = NULL;
    CX_TRY(cx_st_require(L->f, name, CX_DTM_FLOAT, 1, shape, &t));
    L->used[t - L->f->tensors] = 1;
    double *v;
    CX_TRY(cx_st_to_f64(L->f, t, 1, &v));
    if (!own) CX_TRY(keep(L, v));
    *out = v;
    return CX_OK;
}

/* Row i (kind, index, delay_steps) of signal tensor `name`, checked against
 * what the tile has. */
static cx_status check_sig(const loader *L, const char *name, size_t i, const int64_t *row,
                           const sig_limits *lim, cx_tile_sig *out)
{
    int64_t kind = row[0], index = row[1], delay = row[2];
    size_t limit = 0;
    switch (kind) {
    case CX_TILE_SIG_CONST:
        limit = 1;
        break;
    case CX_TILE_SIG_INPUT:
        limit = lim->inputs;
        break;
    case CX_TILE_SIG_STATE:
        limit = lim->comps;
        break;
    case CX_TILE_SIG_DENDRITE:
        limit = lim->dend_outputs;
        break;
    case CX_TILE_SIG_SOMA:
        limit = lim->somas;
        break;
    default:
        return cx_fail(CX_ERR_VALUE,
                       "%s: tensor '%s': row %zu: unknown signal kind %lld (0 const, 1 input, "
                       "2 compartment, 3 dendrite output, 4 soma)",
                       L->f->path, name, i, (long long)kind);
    }
    if (kind != CX_TILE_SIG_CONST && (index < 0 || (uint64_t)index >= limit))
        return cx_fail(CX_ERR_VALUE, "%s: tensor '%s': row %zu reads %s %lld, the tile has %zu",
                       L->f->path, name, i, sig_kind_names[kind], (long long)index, limit);
    if (delay < 0 || (delay && kind != CX_TILE_SIG_SOMA))
        return cx_fail(CX_ERR_VALUE,
                       "%s: tensor '%s': row %zu: delay_steps %lld (only soma rates can be "
                       "delayed, by 0 or more steps)",
                       L->f->path, name, i, (long long)delay);
    *out = (cx_tile_sig){
        .kind = (cx_tile_sig_kind)kind, .index = (int)index, .delay_steps = (int)delay};
    return CX_OK;
}

/* Signal tensor `field` [n, 3] of tile k, all rows read against lim. */
static cx_status read_sigs(loader *L, int k, const char *field, size_t n, const sig_limits *lim,
                           cx_tile_sig **out)
{
    int64_t *v;
    *out = NULL;
    CX_TRY(read_i64(L, k, field, n, 3, INT_MIN, INT_MAX, 0, &v));
    cx_tile_sig *sig = scratch(L, n, sizeof *sig);
    if (!sig) return CX_ERR_NOMEM;
    const char *name = tensor_name(L->name, k, field);
    for (size_t i = 0; i < n; i++)
        CX_TRY(check_sig(L, name, i, v + 3 * i, lim, &sig[i]));
    *out = sig;
    return CX_OK;
}

/* Sum of counts whose products with `per` must stay addressable. */
static cx_status sum_counts(loader *L, int k, const char *field, const int64_t *cnt,
                            const int64_t *per, size_t n, size_t *out)
{
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = (uint64_t)cnt[i], b = per ? (uint64_t)per[i] : 1;
        if ((b && a > (uint64_t)(INT64_MAX / 8) / b) || a * b > (uint64_t)(INT64_MAX / 8) - sum)
            return cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %zu: sizes too large",
                           L->f->path, tensor_name(L->name, k, field), i);
        sum += (size_t)(a * b);
    }
    *out = sum;
    return CX_OK;
}

/* Compartment names from the metadata, decoded in place into a scratch copy. */
static cx_status read_names(loader *L, int k, size_t nc, char ***out)
{
    *out = NULL;
    if (!nc) return CX_OK;
    const char *key = tensor_name(L->name, k, "names");
    const char *text = cx_st_meta(L->f, key);
    if (!text)
        return cx_fail(CX_ERR_MISSING, "%s: missing metadata '%s' (compartment names)", L->f->path,
                       key);
    char **names = scratch(L, nc, sizeof *names);
    char *buf = names ? scratch(L, strlen(text) + 1, 1) : NULL;
    if (!buf) return CX_ERR_NOMEM;
    memcpy(buf, text, strlen(text) + 1);
    size_t line = 0;
    char *rd = buf, *wr = buf;
    for (;;) {
        if (line == nc)
            return cx_fail(CX_ERR_SHAPE, "%s: metadata '%s': more than %zu names (one a line)",
                           L->f->path, key, nc);
        char *start = wr;
        int null_name = rd[0] == '\\' && rd[1] == '0' && (rd[2] == '\n' || !rd[2]);
        if (null_name) rd += 2;
        while (!null_name && *rd && *rd != '\n') {
            if (*rd != '\\') {
                *wr++ = *rd++;
            } else if (rd[1] == '\\' || rd[1] == 'n') {
                *wr++ = rd[1] == 'n' ? '\n' : '\\';
                rd += 2;
            } else {
                return cx_fail(CX_ERR_FORMAT,
                               "%s: metadata '%s': name %zu: bad escape (\\\\, \\n or a lone \\0)",
                               L->f->path, key, line);
            }
        }
        int end = !*rd;
        rd++;
        *wr++ = '\0';
        names[line++] = null_name ? NULL : start;
        if (end) break;
    }
    if (line != nc)
        return cx_fail(CX_ERR_SHAPE, "%s: metadata '%s': %zu names, the tile has %zu compartments",
                       L->f->path, key, line, nc);
    *out = names;
    return CX_OK;
}

static cx_status nomem(const loader *L)
{
    return cx_fail(CX_ERR_NOMEM, "%s: out of memory", L->f->path);
}

static sig_limits tile_limits(const cx_prog_tile *t)
{
    sig_limits lim = {.inputs = t->net.n_inputs, .comps = t->n_comps, .somas = t->n_somas};
    for (size_t i = 0; i < t->n_dends; i++)
        lim.dend_outputs += t->dends[i].n_out;
    return lim;
}

static cx_status load_tile(loader *L, int k, const tile_counts *c, cx_prog_tile *t)
{
    int64_t *n_inputs;
    double *step, *sfs;
    CX_TRY(read_f64(L, k, "net.step_ms", 1, 0, &step));
    CX_TRY(read_i64(L, k, "net.n_inputs", 1, 1, 0, INT_MAX, 0, &n_inputs));
    CX_TRY(read_f64(L, k, "net.synapse_full_scale", 1, 0, &sfs));
    cx_prog_tile_init(t, (int)c->x, (int)c->y, step[0], (size_t)n_inputs[0]);
    t->chip = (int)c->chip;
    t->net.synapse_full_scale = sfs[0];
    sig_limits lim = {
        .inputs = (size_t)n_inputs[0], .comps = (size_t)c->comps, .somas = (size_t)c->somas};

    /* Dendrite sizes first: their outputs bound the dendrite signals everywhere. */
    size_t nd = (size_t)c->dends, n_dsig = 0, n_w = 0, n_b = 0;
    int64_t *n_in, *n_out, *act, *dstage, *has_bias;
    double *fs, *w, *b;
    cx_tile_sig *dsig;
    CX_TRY(read_i64(L, k, "dend.n_in", nd, 1, 0, INT_MAX, 0, &n_in));
    CX_TRY(read_i64(L, k, "dend.n_out", nd, 1, 0, INT_MAX, 0, &n_out));
    CX_TRY(read_i64(L, k, "dend.activation", nd, 1, 1, (1 << CX_CHIP_NACTIVATIONS) - 1, 0, &act));
    for (size_t i = 0; i < nd; i++)
        if (act[i] & (act[i] - 1))
            return cx_fail(
                CX_ERR_VALUE, "%s: tensor '%s': element %zu is %lld, not a single activation bit",
                L->f->path, tensor_name(L->name, k, "dend.activation"), i, (long long)act[i]);
    CX_TRY(read_i64(L, k, "dend.stage", nd, 1, 0, INT_MAX, 0, &dstage));
    CX_TRY(read_i64(L, k, "dend.has_bias", nd, 1, 0, 1, 0, &has_bias));
    CX_TRY(read_f64(L, k, "dend.full_scale", nd, 0, &fs));
    CX_TRY(sum_counts(L, k, "dend.n_in", n_in, NULL, nd, &n_dsig));
    CX_TRY(sum_counts(L, k, "dend.n_out", n_out, n_in, nd, &n_w));
    CX_TRY(sum_counts(L, k, "dend.n_out", n_out, has_bias, nd, &n_b));
    CX_TRY(sum_counts(L, k, "dend.n_out", n_out, NULL, nd, &lim.dend_outputs));
    CX_TRY(read_sigs(L, k, "dend.inputs", n_dsig, &lim, &dsig));
    CX_TRY(read_f64(L, k, "dend.weights", n_w, 0, &w));
    CX_TRY(read_f64(L, k, "dend.bias", n_b, 0, &b));

    /* Compartments and their drive and conductance terms. */
    static const char *const comp_reals[8] = {
        "comp.omega_rad_per_ms", "comp.zeta", "comp.tau_ms", "comp.gain",
        "comp.offset",           "comp.x0",   "comp.v0",     "comp.scale"};
    size_t nc = (size_t)c->comps, n_drive = 0, n_cond = 0;
    int64_t *ckind, *cstage, *cnt_drive, *cnt_cond;
    double *cr[8], *drive_w, *cond_w, *cond_e;
    cx_tile_sig *drive_sig, *cond_sig;
    char **names;
    CX_TRY(read_i64(L, k, "comp.kind", nc, 1, 0, 1, 0, &ckind));
    CX_TRY(read_i64(L, k, "comp.stage", nc, 1, 0, INT_MAX, 0, &cstage));
    CX_TRY(read_i64(L, k, "comp.n_drive", nc, 1, 0, INT_MAX, 0, &cnt_drive));
    CX_TRY(read_i64(L, k, "comp.n_cond", nc, 1, 0, INT_MAX, 0, &cnt_cond));
    for (int q = 0; q < 8; q++)
        CX_TRY(read_f64(L, k, comp_reals[q], nc, 0, &cr[q]));
    CX_TRY(sum_counts(L, k, "comp.n_drive", cnt_drive, NULL, nc, &n_drive));
    CX_TRY(sum_counts(L, k, "comp.n_cond", cnt_cond, NULL, nc, &n_cond));
    CX_TRY(read_sigs(L, k, "drive.sig", n_drive, &lim, &drive_sig));
    CX_TRY(read_f64(L, k, "drive.weight", n_drive, 0, &drive_w));
    CX_TRY(read_sigs(L, k, "cond.sig", n_cond, &lim, &cond_sig));
    CX_TRY(read_f64(L, k, "cond.weight", n_cond, 0, &cond_w));
    CX_TRY(read_f64(L, k, "cond.reversal", n_cond, 0, &cond_e));
    CX_TRY(read_names(L, k, nc, &names));

    size_t ns = (size_t)c->somas;
    int64_t *skind, *emit;
    cx_tile_sig *sin;
    double *thr, *width, *reset;
    CX_TRY(read_i64(L, k, "soma.kind", ns, 1, 0, 1, 0, &skind));
    CX_TRY(read_i64(L, k, "soma.emit", ns, 1, 0, 1, 0, &emit));
    CX_TRY(read_sigs(L, k, "soma.input", ns, &lim, &sin));
    CX_TRY(read_f64(L, k, "soma.threshold", ns, 0, &thr));
    CX_TRY(read_f64(L, k, "soma.width", ns, 0, &width));
    CX_TRY(read_f64(L, k, "soma.reset", ns, 0, &reset));

    size_t nr = (size_t)c->readouts, n_rterms = 0;
    int64_t *cnt_rterms;
    double *rbias, *rw;
    cx_tile_sig *rsig;
    CX_TRY(read_i64(L, k, "readout.n_terms", nr, 1, 0, INT_MAX, 0, &cnt_rterms));
    CX_TRY(read_f64(L, k, "readout.bias", nr, 0, &rbias));
    CX_TRY(sum_counts(L, k, "readout.n_terms", cnt_rterms, NULL, nr, &n_rterms));
    CX_TRY(read_sigs(L, k, "readout.sig", n_rterms, &lim, &rsig));
    CX_TRY(read_f64(L, k, "readout.weight", n_rterms, 0, &rw));

    size_t ny = (size_t)c->synapses;
    int64_t *src, *ycomp;
    double *yw;
    CX_TRY(read_i64(L, k, "syn.source", ny, 1, 0, UINT32_MAX, 0, &src));
    CX_TRY(read_i64(L, k, "syn.compartment", ny, 1, 0, (int64_t)nc - 1, 0, &ycomp));
    CX_TRY(read_f64(L, k, "syn.weight", ny, 0, &yw));

    /* Everything is checked: build the tile with the program.c builders. */
    size_t nt = n_drive > n_rterms ? n_drive : n_rterms;
    cx_tile_term *terms = scratch(L, nt, sizeof *terms);
    cx_tile_cond *conds = scratch(L, n_cond, sizeof *conds);
    if (!terms || !conds) return CX_ERR_NOMEM;
    for (size_t i = 0; i < n_drive; i++)
        terms[i] = (cx_tile_term){.sig = drive_sig[i], .weight = drive_w[i]};
    for (size_t i = 0; i < n_cond; i++)
        conds[i] = (cx_tile_cond){.sig = cond_sig[i], .weight = cond_w[i], .reversal = cond_e[i]};
    for (size_t i = 0, od = 0, oc = 0; i < nc; i++) {
        cx_tile_comp_spec spec = {.kind = (cx_tile_comp_kind)ckind[i],
                                  .omega_rad_per_ms = cr[0][i],
                                  .zeta = cr[1][i],
                                  .tau_ms = cr[2][i],
                                  .gain = cr[3][i],
                                  .offset = cr[4][i],
                                  .x0 = cr[5][i],
                                  .v0 = cr[6][i],
                                  .stage = (int)cstage[i],
                                  .n_drive = (size_t)cnt_drive[i],
                                  .drive = terms + od,
                                  .n_cond = (size_t)cnt_cond[i],
                                  .cond = conds + oc};
        if (cx_prog_add_comp(t, &spec, names[i]) < 0 || (names[i] && !t->comp_names[i]))
            return nomem(L);
        t->comp_scale[i] = cr[7][i];
        od += spec.n_drive;
        oc += spec.n_cond;
    }
    for (size_t i = 0, oi = 0, ow = 0, ob = 0; i < nd; i++) {
        cx_tile_dendrite_spec spec = {.n_in = (size_t)n_in[i],
                                      .n_out = (size_t)n_out[i],
                                      .inputs = dsig + oi,
                                      .weights = w + ow,
                                      .bias = has_bias[i] ? b + ob : NULL,
                                      .activation = (cx_chip_activation)act[i],
                                      .stage = (int)dstage[i],
                                      .full_scale = fs[i]};
        if (cx_prog_add_dendrite(t, &spec) < 0) return nomem(L);
        oi += spec.n_in;
        ow += spec.n_in * spec.n_out;
        ob += has_bias[i] ? spec.n_out : 0;
    }
    for (size_t i = 0; i < ns; i++) {
        cx_tile_soma_spec spec = {.kind = (cx_tile_soma_kind)skind[i],
                                  .input = sin[i],
                                  .threshold = thr[i],
                                  .width = width[i],
                                  .reset = reset[i],
                                  .emit = (int)emit[i]};
        if (cx_prog_add_soma(t, &spec) < 0) return nomem(L);
    }
    for (size_t i = 0; i < n_rterms; i++)
        terms[i] = (cx_tile_term){.sig = rsig[i], .weight = rw[i]};
    for (size_t i = 0, o = 0; i < nr; i++) {
        if (cx_prog_add_readout(t, terms + o, (size_t)cnt_rterms[i], rbias[i]) < 0) return nomem(L);
        o += (size_t)cnt_rterms[i];
    }
    for (size_t i = 0; i < ny; i++)
        if (cx_prog_add_synapse(t, (uint32_t)src[i], (int)ycomp[i], yw[i]) < 0) return nomem(L);
    cx_prog_tile_link(t);
    return CX_OK;
}

/* Program-level tensors: the host maps, routes and probes. */
static cx_status load_maps(loader *L, cx_program *p)
{
    int64_t hi_tile = (int64_t)p->n_tiles - 1;
    size_t ni = (size_t)p->n_inputs, no = (size_t)p->n_outputs;
    CX_TRY(read_f64(L, -1, "in.sign", ni, 1, &p->in_sign));
    CX_TRY(read_f64(L, -1, "in.scale", ni, 1, &p->in_scale));

    int64_t *row, *otile, *ochan;
    CX_TRY(read_i64(L, -1, "out.row", no + 1, 1, 0, INT_MAX, 0, &row));
    for (size_t o = 0; o <= no; o++)
        if (o ? row[o] < row[o - 1] : row[o] != 0)
            return cx_fail(CX_ERR_VALUE,
                           "%s: tensor 'out.row': element %zu is %lld; the rows start at 0 and "
                           "never decrease",
                           L->f->path, o, (long long)row[o]);
    size_t nk = (size_t)row[no];
    p->out_row = malloc((no + 1) * sizeof *p->out_row);
    if (!p->out_row) return nomem(L);
    for (size_t o = 0; o <= no; o++)
        p->out_row[o] = (size_t)row[o];
    CX_TRY(read_i64(L, -1, "out.tile", nk, 1, 0, hi_tile, 0, &otile));
    CX_TRY(read_i64(L, -1, "out.chan", nk, 1, 0, INT_MAX, 0, &ochan));
    p->out_tile = malloc((nk ? nk : 1) * sizeof *p->out_tile);
    p->out_chan = malloc((nk ? nk : 1) * sizeof *p->out_chan);
    if (!p->out_tile || !p->out_chan) return nomem(L);
    for (size_t i = 0; i < nk; i++) {
        size_t have = p->tiles[otile[i]].n_readouts;
        if ((size_t)ochan[i] >= have)
            return cx_fail(CX_ERR_VALUE,
                           "%s: tensor 'out.chan': element %zu reads readout %lld of tile %lld, "
                           "which has %zu",
                           L->f->path, i, (long long)ochan[i], (long long)otile[i], have);
        p->out_tile[i] = (int)otile[i];
        p->out_chan[i] = (int)ochan[i];
    }
    CX_TRY(read_f64(L, -1, "out.scale", nk, 1, &p->out_scale));
    CX_TRY(read_f64(L, -1, "out.bias", no, 1, &p->out_bias));

    size_t nr = (size_t)p->n_routes, n_dests = 0;
    int64_t *key, *stile, *sindex, *cnt, *dests;
    double *due;
    CX_TRY(read_i64(L, -1, "route.key", nr, 1, 0, UINT32_MAX, 0, &key));
    CX_TRY(read_i64(L, -1, "route.src_tile", nr, 1, -1, hi_tile, 0, &stile));
    CX_TRY(read_i64(L, -1, "route.src_index", nr, 1, 0, INT_MAX, 0, &sindex));
    CX_TRY(read_i64(L, -1, "route.n_dests", nr, 1, 0, INT_MAX, 0, &cnt));
    CX_TRY(read_f64(L, -1, "route.due_offset_ms", nr, 0, &due));
    CX_TRY(sum_counts(L, -1, "route.n_dests", cnt, NULL, nr, &n_dests));
    CX_TRY(read_i64(L, -1, "route.dests", n_dests, 1, 0, hi_tile, 0, &dests));
    for (size_t i = 0, o = 0; i < nr; i++) {
        size_t have = stile[i] < 0 ? ni : p->tiles[stile[i]].n_somas;
        if ((size_t)sindex[i] >= have)
            return cx_fail(CX_ERR_VALUE,
                           "%s: tensor 'route.src_index': element %zu is %lld, its source (%s) "
                           "has %zu",
                           L->f->path, i, (long long)sindex[i],
                           stile[i] < 0 ? "host inputs" : "tile somas", have);
        cx_prog_route *r = &p->routes[i];
        *r = (cx_prog_route){.key = (uint32_t)key[i],
                             .src_tile = (int)stile[i],
                             .src_index = (int)sindex[i],
                             .due_offset_ms = due[i],
                             .n_dests = (int)cnt[i]};
        r->dests = malloc((cnt[i] ? (size_t)cnt[i] : 1) * sizeof *r->dests);
        if (!r->dests) return nomem(L);
        for (int q = 0; q < r->n_dests; q++)
            r->dests[q] = (int)dests[o++];
    }

    for (int j = 0; j < p->n_probes; j++) {
        cx_prog_probe *q = &p->probes[j];
        char field[NAME_LEN];
        int64_t *tile, *sig;
        snprintf(field, sizeof field, "probe%d.tile", j);
        CX_TRY(read_i64(L, -1, field, q->n, 1, 0, hi_tile, 0, &tile));
        snprintf(field, sizeof field, "probe%d.sig", j);
        CX_TRY(read_i64(L, -1, field, q->n, 3, INT_MIN, INT_MAX, 0, &sig));
        q->tile = malloc((q->n ? q->n : 1) * sizeof *q->tile);
        q->sig = malloc((q->n ? q->n : 1) * sizeof *q->sig);
        if (!q->tile || !q->sig) return nomem(L);
        for (size_t i = 0; i < q->n; i++) {
            sig_limits lim = tile_limits(&p->tiles[tile[i]]);
            q->tile[i] = (int)tile[i];
            CX_TRY(check_sig(L, field, i, sig + 3 * i, &lim, &q->sig[i]));
        }
        snprintf(field, sizeof field, "probe%d.scale", j);
        CX_TRY(read_f64(L, -1, field, q->n, 1, &q->scale));
    }
    return CX_OK;
}

/* The tensors file named in the manifest, relative to the manifest's folder. */
static char *resolve_tensors(const char *path, const char *tensors)
{
    const char *slash = strrchr(path, '/');
    if (tensors[0] == '/' || !slash) return strdup(tensors);
    size_t dir = (size_t)(slash - path), len = strlen(tensors);
    char *out = malloc(dir + len + 2);
    if (!out) return NULL;
    memcpy(out, path, dir + 1);
    memcpy(out + dir + 1, tensors, len + 1);
    return out;
}

static cx_status load_tensors(loader *L, cx_program *p, const tile_counts *tc)
{
    const char *format = cx_st_meta(L->f, "format");
    if (format && strcmp(format, FORMAT_NAME) != 0)
        return cx_fail(CX_ERR_FORMAT, "%s: metadata 'format' is '%s', expected '%s'", L->f->path,
                       format, FORMAT_NAME);
    for (int k = 0; k < p->n_tiles; k++) {
        CX_TRY(load_tile(L, k, &tc[k], &p->tiles[k]));
        drop_all(L);
    }
    CX_TRY(load_maps(L, p));
    /* A tensor the manifest does not account for: a cut or mismatched manifest. */
    for (size_t i = 0; i < L->f->ntensors; i++)
        if (!L->used[i])
            return cx_fail(CX_ERR_SHAPE,
                           "%s: tensor '%s' is not part of the program the manifest describes "
                           "(%d tiles, %d routes, %d probes)",
                           L->f->path, L->f->tensors[i].name, p->n_tiles, p->n_routes, p->n_probes);
    return CX_OK;
}

cx_status cx_program_load(const char *path, cx_program **out)
{
    *out = NULL;
    cx_program *p = calloc(1, sizeof *p);
    if (!p) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    cx_yaml_doc *doc = NULL;
    cx_st_file *f = NULL;
    tile_counts *tc = NULL;
    const char *tensors = NULL;
    char *tpath = NULL;
    loader L = {0};
    cx_status st = cx_yaml_load_file(path, &doc);
    if (st == CX_OK) st = prog_io_parse_manifest(doc, p, &tc, &tensors);
    if (st == CX_OK) {
        tpath = resolve_tensors(path, tensors);
        st = tpath ? cx_st_open(tpath, &f) : cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
        L.f = f;
        L.used = f ? calloc(f->ntensors ? f->ntensors : 1, 1) : NULL;
        if (st == CX_OK)
            st =
                L.used ? load_tensors(&L, p, tc) : cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
        if (st == CX_OK) st = prog_check_self(p, tpath);
        /* Name the manifest too: it names the tensors and their counts. */
        if (st != CX_OK) cx_fail_context(st, "%s", path);
    }
    drop_all(&L);
    free(L.bufs);
    free(L.used);
    cx_st_close(f);
    cx_yaml_free(doc);
    free(tc);
    free(tpath);
    if (st != CX_OK) {
        cx_program_free(p);
        return st;
    }
    *out = p;
    return CX_OK;
}
