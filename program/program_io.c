/* Program files: a YAML manifest for people and checks, the numbers in a
 * safetensors file beside it.
 *
 * PATH (e.g. prog.yaml) is the manifest; the tensors go to PATH with its
 * extension replaced by .safetensors (prog.safetensors), which the manifest
 * names relative to its own folder:
 *
 *   format: cortile-program
 *   version: 1
 *   model: {kind: elm, dir: "models/elm"}     # cx_model_kind_name; dir may be ~
 *   chip: "default"                           # may be ~
 *   board: "quad"                             # optional: compiled for a board ...
 *   chips: 4                                  # ... of this many chips
 *   step_ms: 1
 *   steps_hint: 100
 *   host: 0
 *   inputs: 784
 *   outputs: 10
 *   tensors: "prog.safetensors"
 *   tiles:                                    # in program order, index = position
 *     - {index: 0, x: 0, y: 0, compartments: 12, dendrites: 1, somas: 4, readouts: 10, synapses: 0}
 *                                             # (board programs add chip: c)
 *   routes: 3
 *   probes:
 *     - {name: "V", groups: 1, n: 12}
 *
 * Tensors: reals F64, integers I64; a signal is an I64 row (kind, index,
 * delay_steps) of cx_tile_sig. With C, A, S, R, Y the tile's counts above:
 *
 *   tile<k>.net.step_ms, .net.synapse_full_scale [1]; .net.n_inputs [1] I64
 *   tile<k>.comp.kind, .comp.stage, .comp.n_drive, .comp.n_cond      [C] I64
 *   tile<k>.comp.omega_rad_per_ms, .zeta, .tau_ms, .gain, .offset, .x0, .v0,
 *          .comp.scale (comp_scale)                                 [C]
 *   tile<k>.drive.sig [D, 3], .drive.weight [D]     D = sum n_drive, compartment order
 *   tile<k>.cond.sig [G, 3], .cond.weight, .cond.reversal [G]   G = sum n_cond
 *   tile<k>.dend.n_in, .n_out, .activation (cx_chip_activation bit), .stage,
 *          .has_bias [A] I64; .dend.full_scale [A]
 *   tile<k>.dend.inputs [sum n_in, 3]; .dend.weights [sum n_out * n_in] (each
 *          dendrite's n_out x n_in, row-major); .dend.bias [sum n_out of biased ones]
 *   tile<k>.soma.kind, .soma.emit [S] I64; .soma.input [S, 3];
 *          .soma.threshold, .width, .reset [S]
 *   tile<k>.readout.n_terms [R] I64, .readout.bias [R];
 *          .readout.sig [T, 3], .readout.weight [T]     T = sum n_terms
 *   tile<k>.syn.source, .syn.compartment [Y] I64; .syn.weight [Y]
 *   in.sign, in.scale [inputs]
 *   out.row [outputs + 1] I64; out.tile, out.chan [K] I64; out.scale [K];
 *          out.bias [outputs]                           K = out.row[outputs]
 *   route.key, .src_tile, .src_index, .n_dests [routes] I64; route.due_offset_ms
 *          [routes]; route.dests [sum n_dests] I64
 *   probe<j>.tile [n] I64, probe<j>.sig [n, 3], probe<j>.scale [n]
 *
 * __metadata__ holds format = cortile-program and tile<k>.names: the
 * compartment names, one a line ('\' and newline escaped as "\\" and "\n";
 * a line "\0" is a compartment without a name).
 *
 * Manifest reals are written with the fewest digits (up to %.17g) that read
 * back exactly and tensors as F64, so loading gives back the saved program
 * bit for bit. Loading checks every count, kind, signal index and value, and
 * names the file and key or tensor at fault. */
#define _POSIX_C_SOURCE 200809L
#include "cx_program.h"

#include "cx_fileio.h"
#include "cx_st.h"
#include "cx_yaml.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "cortile-program"
enum { FORMAT_VERSION = 1, NAME_LEN = 96 };

static const char *const sig_kind_names[] = {"const", "input", "compartment", "dendrite output",
                                             "soma"};

/* "tile<k>.<field>", or field alone for program-level tensors (k < 0). */
static const char *tensor_name(char *buf, int k, const char *field)
{
    if (k < 0)
        snprintf(buf, NAME_LEN, "%s", field);
    else
        snprintf(buf, NAME_LEN, "tile%d.%s", k, field);
    return buf;
}

/* PATH with its extension (if any) replaced by .safetensors; caller frees. */
static char *tensors_path_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    char *out = malloc(stem + sizeof ".safetensors");
    if (!out) return NULL;
    memcpy(out, path, stem);
    memcpy(out + stem, ".safetensors", sizeof ".safetensors");
    return out;
}

/* ================================================================ save */

typedef struct {
    cx_st_writer *w;
    const char *file; /* the tensors file, for errors */
    int64_t *iv;      /* scratch for the tensor being written */
    double *dv;
    size_t *ord; /* pool indices of a tile's items in element order */
    size_t cap;
    char name[NAME_LEN];
} saver;

static cx_status reserve(saver *s, size_t n)
{
    if (n <= s->cap) return CX_OK;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n)
        cap *= 2;
    int64_t *iv = realloc(s->iv, cap * sizeof *iv);
    if (iv) s->iv = iv;
    double *dv = realloc(s->dv, cap * sizeof *dv);
    if (dv) s->dv = dv;
    size_t *ord = realloc(s->ord, cap * sizeof *ord);
    if (ord) s->ord = ord;
    if (!iv || !dv || !ord) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", s->file);
    s->cap = cap;
    return CX_OK;
}

/* Writes s->iv as [n] (cols 1) or [n, cols]. */
static cx_status put_i64(saver *s, const char *name, size_t n, int cols)
{
    int64_t shape[2] = {(int64_t)n, cols};
    return cx_st_writer_add(s->w, name, CX_DT_I64, cols > 1 ? 2 : 1, shape, s->iv);
}

/* Writes s->dv as [n]; a NaN or infinity could not be loaded back. */
static cx_status put_f64(saver *s, const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(s->dv[i]))
            return cx_fail(CX_ERR_VALUE, "%s: cannot save tensor '%s': element %zu is %s", s->file,
                           name, i, isnan(s->dv[i]) ? "NaN" : "infinite");
    int64_t shape[1] = {(int64_t)n};
    return cx_st_writer_add(s->w, name, CX_DT_F64, 1, shape, s->dv);
}

/* The save functions below write one tensor per line: element i of tensor
 * `field` of tile k (k < 0: program level) is `expr`, evaluated for i < n. */
#define SAVE_I64(k, field, n, expr)                                                                \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        CX_TRY(reserve(s, n_));                                                                    \
        for (size_t i = 0; i < n_; i++)                                                            \
            s->iv[i] = (int64_t)(expr);                                                            \
        CX_TRY(put_i64(s, tensor_name(s->name, (k), (field)), n_, 1));                             \
    } while (0)

#define SAVE_F64(k, field, n, expr)                                                                \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        CX_TRY(reserve(s, n_));                                                                    \
        for (size_t i = 0; i < n_; i++)                                                            \
            s->dv[i] = (expr);                                                                     \
        CX_TRY(put_f64(s, tensor_name(s->name, (k), (field)), n_));                                \
    } while (0)

#define SAVE_SIG(k, field, n, expr)                                                                \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        CX_TRY(reserve(s, 3 * n_));                                                                \
        for (size_t i = 0; i < n_; i++) {                                                          \
            cx_tile_sig sig_ = (expr);                                                             \
            s->iv[3 * i] = (int64_t)sig_.kind;                                                     \
            s->iv[3 * i + 1] = sig_.index;                                                         \
            s->iv[3 * i + 2] = sig_.delay_steps;                                                   \
        }                                                                                          \
        CX_TRY(put_i64(s, tensor_name(s->name, (k), (field)), n_, 3));                             \
    } while (0)

/* Appends pool indices off .. off + cnt - 1 to s->ord[*n]; the span must lie in the pool. */
static cx_status span(saver *s, size_t *n, size_t off, size_t cnt, size_t pool, int k,
                      const char *what, size_t i)
{
    if (off > pool || cnt > pool - off)
        return cx_fail(CX_ERR_VALUE,
                       "%s: cannot save tile %d: %s %zu uses items %zu..%zu of a pool of %zu",
                       s->file, k, what, i, off, off + cnt, pool);
    CX_TRY(reserve(s, *n + cnt));
    for (size_t q = 0; q < cnt; q++)
        s->ord[(*n)++] = off + q;
    return CX_OK;
}

/* One name line: '\' and newline escaped, NULL as "\0". */
static void put_name(FILE *fp, const char *name)
{
    if (!name) {
        fputs("\\0", fp);
        return;
    }
    for (const char *c = name; *c; c++) {
        if (*c == '\\')
            fputs("\\\\", fp);
        else if (*c == '\n')
            fputs("\\n", fp);
        else
            fputc(*c, fp);
    }
}

static cx_status save_names(saver *s, int k, const cx_prog_tile *t)
{
    if (!t->n_comps) return CX_OK;
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", s->file);
    for (size_t i = 0; i < t->n_comps; i++) {
        if (i) fputc('\n', fp);
        put_name(fp, t->comp_names ? t->comp_names[i] : NULL);
    }
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad) {
        free(text);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", s->file);
    }
    cx_status st = cx_st_writer_meta(s->w, tensor_name(s->name, k, "names"), text);
    free(text);
    return st;
}

static cx_status save_tile(saver *s, int k, const cx_prog_tile *t)
{
    const cx_tile_netlist *net = &t->net;
    SAVE_F64(k, "net.step_ms", 1, net->step_ms);
    SAVE_I64(k, "net.n_inputs", 1, net->n_inputs);
    SAVE_F64(k, "net.synapse_full_scale", 1, net->synapse_full_scale);

    size_t nc = t->n_comps;
    const cx_tile_comp_spec *c = t->comps;
    SAVE_I64(k, "comp.kind", nc, c[i].kind);
    SAVE_I64(k, "comp.stage", nc, c[i].stage);
    SAVE_I64(k, "comp.n_drive", nc, c[i].n_drive);
    SAVE_I64(k, "comp.n_cond", nc, c[i].n_cond);
    SAVE_F64(k, "comp.omega_rad_per_ms", nc, c[i].omega_rad_per_ms);
    SAVE_F64(k, "comp.zeta", nc, c[i].zeta);
    SAVE_F64(k, "comp.tau_ms", nc, c[i].tau_ms);
    SAVE_F64(k, "comp.gain", nc, c[i].gain);
    SAVE_F64(k, "comp.offset", nc, c[i].offset);
    SAVE_F64(k, "comp.x0", nc, c[i].x0);
    SAVE_F64(k, "comp.v0", nc, c[i].v0);
    SAVE_F64(k, "comp.scale", nc, t->comp_scale ? t->comp_scale[i] : 1.0);
    CX_TRY(save_names(s, k, t));

    size_t n = 0;
    for (size_t j = 0; j < nc; j++)
        CX_TRY(span(s, &n, t->comp_drive0[j], c[j].n_drive, t->n_terms, k, "compartment", j));
    SAVE_SIG(k, "drive.sig", n, t->terms[s->ord[i]].sig);
    SAVE_F64(k, "drive.weight", n, t->terms[s->ord[i]].weight);
    n = 0;
    for (size_t j = 0; j < nc; j++)
        CX_TRY(span(s, &n, t->comp_cond0[j], c[j].n_cond, t->n_conds, k, "compartment", j));
    SAVE_SIG(k, "cond.sig", n, t->conds[s->ord[i]].sig);
    SAVE_F64(k, "cond.weight", n, t->conds[s->ord[i]].weight);
    SAVE_F64(k, "cond.reversal", n, t->conds[s->ord[i]].reversal);

    size_t nd = t->n_dends;
    const cx_tile_dendrite_spec *d = t->dends;
    SAVE_I64(k, "dend.n_in", nd, d[i].n_in);
    SAVE_I64(k, "dend.n_out", nd, d[i].n_out);
    SAVE_I64(k, "dend.activation", nd, d[i].activation);
    SAVE_I64(k, "dend.stage", nd, d[i].stage);
    SAVE_I64(k, "dend.has_bias", nd, t->dend_b0[i] != SIZE_MAX);
    SAVE_F64(k, "dend.full_scale", nd, d[i].full_scale);
    n = 0;
    for (size_t j = 0; j < nd; j++)
        CX_TRY(span(s, &n, t->dend_in0[j], d[j].n_in, t->n_dend_sigs, k, "dendrite", j));
    SAVE_SIG(k, "dend.inputs", n, t->dend_sigs[s->ord[i]]);
    n = 0;
    for (size_t j = 0; j < nd; j++)
        CX_TRY(
            span(s, &n, t->dend_w0[j], d[j].n_in * d[j].n_out, t->n_dend_vals, k, "dendrite", j));
    SAVE_F64(k, "dend.weights", n, t->dend_vals[s->ord[i]]);
    n = 0;
    for (size_t j = 0; j < nd; j++)
        if (t->dend_b0[j] != SIZE_MAX)
            CX_TRY(span(s, &n, t->dend_b0[j], d[j].n_out, t->n_dend_vals, k, "dendrite", j));
    SAVE_F64(k, "dend.bias", n, t->dend_vals[s->ord[i]]);

    size_t ns = t->n_somas;
    const cx_tile_soma_spec *m = t->somas;
    SAVE_I64(k, "soma.kind", ns, m[i].kind);
    SAVE_I64(k, "soma.emit", ns, m[i].emit);
    SAVE_SIG(k, "soma.input", ns, m[i].input);
    SAVE_F64(k, "soma.threshold", ns, m[i].threshold);
    SAVE_F64(k, "soma.width", ns, m[i].width);
    SAVE_F64(k, "soma.reset", ns, m[i].reset);

    size_t nr = t->n_readouts;
    const cx_tile_readout_spec *r = t->readouts;
    SAVE_I64(k, "readout.n_terms", nr, r[i].n_terms);
    SAVE_F64(k, "readout.bias", nr, r[i].bias);
    n = 0;
    for (size_t j = 0; j < nr; j++)
        CX_TRY(span(s, &n, t->readout_term0[j], r[j].n_terms, t->n_rterms, k, "readout", j));
    SAVE_SIG(k, "readout.sig", n, t->rterms[s->ord[i]].sig);
    SAVE_F64(k, "readout.weight", n, t->rterms[s->ord[i]].weight);

    size_t ny = t->n_synapses;
    const cx_tile_synapse_spec *y = t->synapses;
    SAVE_I64(k, "syn.source", ny, y[i].source);
    SAVE_I64(k, "syn.compartment", ny, y[i].compartment);
    SAVE_F64(k, "syn.weight", ny, y[i].weight);
    return CX_OK;
}

static cx_status save_tensors(saver *s, const cx_program *p)
{
    CX_TRY(cx_st_writer_meta(s->w, "format", FORMAT_NAME));
    for (int k = 0; k < p->n_tiles; k++)
        CX_TRY(save_tile(s, k, &p->tiles[k]));

    size_t ni = (size_t)p->n_inputs, no = (size_t)p->n_outputs;
    SAVE_F64(-1, "in.sign", ni, p->in_sign[i]);
    SAVE_F64(-1, "in.scale", ni, p->in_scale[i]);
    size_t nk = p->out_row ? p->out_row[no] : 0;
    SAVE_I64(-1, "out.row", no + 1, p->out_row ? p->out_row[i] : 0);
    SAVE_I64(-1, "out.tile", nk, p->out_tile[i]);
    SAVE_I64(-1, "out.chan", nk, p->out_chan[i]);
    SAVE_F64(-1, "out.scale", nk, p->out_scale[i]);
    SAVE_F64(-1, "out.bias", no, p->out_bias[i]);

    size_t nr = (size_t)p->n_routes, n = 0;
    const cx_prog_route *r = p->routes;
    SAVE_I64(-1, "route.key", nr, r[i].key);
    SAVE_I64(-1, "route.src_tile", nr, r[i].src_tile);
    SAVE_I64(-1, "route.src_index", nr, r[i].src_index);
    SAVE_I64(-1, "route.n_dests", nr, r[i].n_dests);
    SAVE_F64(-1, "route.due_offset_ms", nr, r[i].due_offset_ms);
    for (size_t j = 0; j < nr; j++) {
        CX_TRY(reserve(s, n + (size_t)r[j].n_dests));
        for (int q = 0; q < r[j].n_dests; q++)
            s->iv[n++] = r[j].dests[q];
    }
    CX_TRY(put_i64(s, "route.dests", n, 1));

    for (int j = 0; j < p->n_probes; j++) {
        const cx_prog_probe *q = &p->probes[j];
        char field[NAME_LEN];
        snprintf(field, sizeof field, "probe%d.tile", j);
        SAVE_I64(-1, field, q->n, q->tile[i]);
        snprintf(field, sizeof field, "probe%d.sig", j);
        SAVE_SIG(-1, field, q->n, q->sig[i]);
        snprintf(field, sizeof field, "probe%d.scale", j);
        SAVE_F64(-1, field, q->n, q->scale[i]);
    }
    return CX_OK;
}

/* A YAML double-quoted scalar (~ for NULL) that reads back as the same bytes. */
static void put_yaml_str(FILE *fp, const char *str)
{
    if (!str) {
        fputc('~', fp);
        return;
    }
    fputc('"', fp);
    for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(fp, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(fp, "\\x%02x", *c);
        else
            fputc(*c, fp);
    }
    fputc('"', fp);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v: exact and short. */
static const char *exact(char buf[32], double v)
{
    for (int digits = 15; digits < 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return buf;
    }
    snprintf(buf, 32, "%.17g", v);
    return buf;
}

static cx_status save_manifest(const cx_program *p, const char *path, const char *tensors)
{
    if (!(p->step_ms > 0) || !isfinite(p->step_ms))
        return cx_fail(CX_ERR_VALUE, "%s: cannot save: step_ms is %g, not a time > 0", path,
                       p->step_ms);
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    fprintf(fp, "# cortile compiled program; the numbers are in the tensors file.\n");
    fprintf(fp, "format: %s\nversion: %d\n", FORMAT_NAME, FORMAT_VERSION);
    fprintf(fp, "model: {kind: %s, dir: ", cx_model_kind_name(p->kind));
    put_yaml_str(fp, p->model_dir);
    fprintf(fp, "}\nchip: ");
    put_yaml_str(fp, p->chip_name);
    if (p->board_name) {
        fprintf(fp, "\nboard: ");
        put_yaml_str(fp, p->board_name);
        fprintf(fp, "\nchips: %d", p->n_chips);
    }
    char num[32];
    fprintf(fp, "\nstep_ms: %s\nsteps_hint: %d\nhost: %d\n", exact(num, p->step_ms), p->steps_hint,
            p->host);
    fprintf(fp, "inputs: %d\noutputs: %d\ntensors: ", p->n_inputs, p->n_outputs);
    put_yaml_str(fp, tensors);
    fprintf(fp, "\ntiles:%s\n", p->n_tiles ? "" : " []");
    for (int k = 0; k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        fprintf(fp, "  - {index: %d, ", k);
        if (p->board_name) fprintf(fp, "chip: %d, ", t->chip);
        fprintf(fp,
                "x: %d, y: %d, compartments: %zu, dendrites: %zu, somas: %zu, readouts: %zu, "
                "synapses: %zu}\n",
                t->x, t->y, t->n_comps, t->n_dends, t->n_somas, t->n_readouts, t->n_synapses);
    }
    fprintf(fp, "routes: %d\nprobes:%s\n", p->n_routes, p->n_probes ? "" : " []");
    for (int j = 0; j < p->n_probes; j++) {
        fprintf(fp, "  - {name: ");
        put_yaml_str(fp, p->probes[j].name);
        fprintf(fp, ", groups: %d, n: %zu}\n", p->probes[j].groups, p->probes[j].n);
    }
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad) {
        free(text);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    }
    const void *parts[1] = {text};
    size_t sizes[1] = {len};
    cx_status st = cx_write_file_atomic(path, parts, sizes, 1);
    free(text);
    return st;
}

cx_status cx_program_save(const cx_program *p, const char *path)
{
    char *tpath = tensors_path_of(path);
    if (!tpath) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    if (strcmp(tpath, path) == 0) {
        cx_status st = cx_fail(CX_ERR_USAGE,
                               "%s: a program manifest cannot end in .safetensors (its tensors "
                               "go to that name); use .yaml",
                               path);
        free(tpath);
        return st;
    }
    saver s = {.w = cx_st_writer_alloc(), .file = tpath};
    cx_status st = s.w ? save_tensors(&s, p) : cx_fail(CX_ERR_NOMEM, "%s: out of memory", tpath);
    /* Tensors first: a manifest on disk always has its tensors beside it. */
    if (st == CX_OK) st = cx_st_writer_write(s.w, tpath);
    if (st == CX_OK) {
        const char *base = strrchr(tpath, '/');
        st = save_manifest(p, path, base ? base + 1 : tpath);
    }
    cx_st_writer_free(s.w);
    free(s.iv);
    free(s.dv);
    free(s.ord);
    free(tpath);
    return st;
}

/* ================================================================ load */

typedef struct {
    long chip, x, y, comps, dends, somas, readouts, synapses;
} tile_counts;

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

/* ------------------------------------------------------------ manifest */

static cx_status get_count(const cx_yaml_node *m, const char *key, long *out)
{
    CX_TRY(cx_yaml_get_long(m, key, NULL, CX_YAML_AT_LEAST(0), out));
    if (*out > INT_MAX)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(m, key), "%ld is too large (at most %d)",
                            *out, INT_MAX);
    return CX_OK;
}

/* A string, or NULL when the key is absent or ~. */
static cx_status get_opt_string(const cx_yaml_node *m, const char *key, char **out)
{
    const cx_yaml_node *n = cx_yaml_get(m, key);
    const char *s;
    *out = NULL;
    if (!n || cx_yaml_is_null(n)) return CX_OK;
    CX_TRY(cx_yaml_to_string(n, &s));
    *out = strdup(s);
    return *out ? CX_OK : cx_fail(CX_ERR_NOMEM, "%s: out of memory", n->file);
}

static cx_status parse_tile(const cx_yaml_node *n, int k, tile_counts *c)
{
    static const char *const keys[] = {"index",     "chip",  "x",        "y",        "compartments",
                                       "dendrites", "somas", "readouts", "synapses", NULL};
    long index;
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, keys));
    CX_TRY(get_count(n, "index", &index));
    if (index != k)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n, "index"),
                            "tile %ld listed at position %d (tiles are listed in order)", index, k);
    c->chip = 0;
    if (cx_yaml_get(n, "chip")) CX_TRY(get_count(n, "chip", &c->chip));
    CX_TRY(get_count(n, "x", &c->x));
    CX_TRY(get_count(n, "y", &c->y));
    CX_TRY(get_count(n, "compartments", &c->comps));
    CX_TRY(get_count(n, "dendrites", &c->dends));
    CX_TRY(get_count(n, "somas", &c->somas));
    CX_TRY(get_count(n, "readouts", &c->readouts));
    CX_TRY(get_count(n, "synapses", &c->synapses));
    return CX_OK;
}

static cx_status parse_probe(const cx_yaml_node *n, cx_prog_probe *q)
{
    static const char *const keys[] = {"name", "groups", "n", NULL};
    long groups, count;
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, keys));
    CX_TRY(get_opt_string(n, "name", &q->name));
    CX_TRY(get_count(n, "groups", &groups));
    CX_TRY(get_count(n, "n", &count));
    if (groups > 1 && count % groups)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n, "n"), "%ld samples in %ld groups", count,
                            groups);
    q->groups = (int)groups;
    q->n = (size_t)count;
    return CX_OK;
}

/* Everything but the tensors: p's scalars, tile and probe counts, the
 * tensors file name (points into doc). */
static cx_status parse_manifest(const cx_yaml_doc *doc, cx_program *p, tile_counts **tc,
                                const char **tensors)
{
    static const char *const keys[] = {
        "format", "version", "model",   "chip",       "board", "chips",  "step_ms", "host",
        "inputs", "outputs", "tensors", "steps_hint", "tiles", "routes", "probes",  NULL};
    static const char *const model_keys[] = {"kind", "dir", NULL};
    const cx_yaml_node *root = doc->root, *n;
    const char *s;
    long v;
    CX_TRY(cx_yaml_expect(root, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_get_string(root, "format", NULL, &s));
    if (strcmp(s, FORMAT_NAME) != 0)
        return cx_yaml_fail(CX_ERR_FORMAT, cx_yaml_get(root, "format"),
                            "'%s', expected '%s' (not a cortile program manifest)", s, FORMAT_NAME);
    CX_TRY(cx_yaml_get_long(root, "version", NULL, NULL, &v));
    if (v != FORMAT_VERSION)
        return cx_yaml_fail(CX_ERR_UNSUPPORTED, cx_yaml_get(root, "version"),
                            "version %ld; this build reads version %d", v, FORMAT_VERSION);
    CX_TRY(cx_yaml_check_keys(root, keys));

    CX_TRY(cx_yaml_at(root, "model", &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, model_keys));
    CX_TRY(cx_yaml_get_string(n, "kind", NULL, &s));
    if (cx_model_kind_parse(s, &p->kind) != CX_OK)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n, "kind"),
                            "unknown model kind '%s' (expected elm, glifr or auto)", s);
    CX_TRY(get_opt_string(n, "dir", &p->model_dir));
    CX_TRY(get_opt_string(root, "chip", &p->chip_name));
    CX_TRY(get_opt_string(root, "board", &p->board_name));
    p->n_chips = 1;
    if (p->board_name) {
        CX_TRY(get_count(root, "chips", &v));
        if (v < 1) return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(root, "chips"), "%ld chips", v);
        p->n_chips = (int)v;
    }
    CX_TRY(cx_yaml_get_double(root, "step_ms", NULL, CX_YAML_ABOVE(0), &p->step_ms));
    CX_TRY(get_count(root, "steps_hint", &v));
    p->steps_hint = (int)v;
    CX_TRY(get_count(root, "host", &v));
    p->host = (int)v;
    CX_TRY(get_count(root, "inputs", &v));
    p->n_inputs = (int)v;
    CX_TRY(get_count(root, "outputs", &v));
    p->n_outputs = (int)v;
    CX_TRY(cx_yaml_get_string(root, "tensors", NULL, tensors));

    CX_TRY(cx_yaml_at(root, "tiles", &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_SEQUENCE));
    if (n->n > INT_MAX) return cx_yaml_fail(CX_ERR_VALUE, n, "%zu tiles", n->n);
    *tc = calloc(n->n ? n->n : 1, sizeof **tc);
    p->tiles = calloc(n->n ? n->n : 1, sizeof *p->tiles);
    if (!*tc || !p->tiles) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", doc->file);
    p->n_tiles = (int)n->n;
    for (int k = 0; k < p->n_tiles; k++) {
        CX_TRY(parse_tile(n->items[k], k, &(*tc)[k]));
        if ((*tc)[k].chip >= p->n_chips)
            return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n->items[k], "chip"),
                                "chip %ld of a program for %d chip(s)", (*tc)[k].chip, p->n_chips);
    }

    CX_TRY(get_count(root, "routes", &v));
    p->routes = calloc(v ? (size_t)v : 1, sizeof *p->routes);
    if (!p->routes) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", doc->file);
    p->n_routes = (int)v;

    CX_TRY(cx_yaml_at(root, "probes", &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_SEQUENCE));
    if (n->n > INT_MAX) return cx_yaml_fail(CX_ERR_VALUE, n, "%zu probes", n->n);
    p->probes = calloc(n->n ? n->n : 1, sizeof *p->probes);
    if (!p->probes) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", doc->file);
    p->n_probes = (int)n->n;
    for (int j = 0; j < p->n_probes; j++)
        CX_TRY(parse_probe(n->items[j], &p->probes[j]));
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
    if (st == CX_OK) st = parse_manifest(doc, p, &tc, &tensors);
    if (st == CX_OK) {
        tpath = resolve_tensors(path, tensors);
        st = tpath ? cx_st_open(tpath, &f) : cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
        L.f = f;
        L.used = f ? calloc(f->ntensors ? f->ntensors : 1, 1) : NULL;
        if (st == CX_OK)
            st =
                L.used ? load_tensors(&L, p, tc) : cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
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
