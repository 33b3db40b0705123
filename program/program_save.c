/* Saving a program: the tensors (safetensors, with the compartment names as
 * metadata) and then the YAML manifest beside them (cx_program_save). */
#define _POSIX_C_SOURCE 200809L
#include "program_internal.h"

#include "cx_fileio.h"
#include "cx_st.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The manifest's reals as the reader bounds them. */
static cx_status save_manifest_check(const cx_program *p, const char *path)
{
    if (!(p->step_ms > 0 && p->step_ms <= CX_PROG_MAX_STEP_MS))
        return cx_fail(CX_ERR_VALUE, "%s: cannot save: step_ms is %g, not a time in (0, %g] ms",
                       path, p->step_ms, CX_PROG_MAX_STEP_MS);
    return CX_OK;
}

static cx_status save_manifest(const cx_program *p, const char *path, const char *tensors)
{
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
    cx_status st = s.w ? CX_OK : cx_fail(CX_ERR_NOMEM, "%s: out of memory", tpath);
    if (st == CX_OK) st = save_manifest_check(p, path);
    if (st == CX_OK) st = prog_check_self(p, tpath);
    if (st == CX_OK) st = save_tensors(&s, p);
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
