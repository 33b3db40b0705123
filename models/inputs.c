/* Model inputs from safetensors or MNIST files, and reference outputs. */
#define _POSIX_C_SOURCE 200809L
#include "cx_inputs.h"

#include "cx_idx.h"
#include "cx_lmnist.h"
#include "cx_st.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cx_model_outputs(const cx_model *m)
{
    return m->kind == CX_KIND_ELM ? m->elm->num_output : m->glifr->n_out;
}

int cx_model_inputs(const cx_model *m)
{
    return m->kind == CX_KIND_ELM ? m->elm->num_input : m->glifr->n_in;
}

void cx_inputs_release(cx_inputs *in)
{
    free(in->x);
    free(in->labels);
    memset(in, 0, sizeof *in);
}

/* Class labels of the samples: an integer 'labels' tensor [S] (or longer),
 * if the file has one; values must be classes 0..255. */
static cx_status load_labels(const cx_st_file *f, const char *path, cx_inputs *in)
{
    const cx_st_tensor *t = cx_st_find(f, "labels");
    if (!t) return CX_OK;
    if (t->ndim != 1 || t->shape[0] < in->samples)
        return cx_fail(CX_ERR_SHAPE, "%s: tensor 'labels': expected [%lld] (one class per sample)",
                       path, (long long)in->samples);
    in->labels = malloc((size_t)in->samples + 1);
    if (!in->labels) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < in->samples; i++) {
        double v = cx_st_get(t, (size_t)i);
        if (!(v >= 0 && v < 256 && v == floor(v)))
            return cx_fail(CX_ERR_VALUE, "%s: tensor 'labels': element %lld is %g, not a class",
                           path, (long long)i, v);
        in->labels[i] = (uint8_t)v;
    }
    return CX_OK;
}

cx_status cx_inputs_load(const char *path, cx_model_kind kind, int n_inputs, long limit,
                         cx_inputs *out)
{
    memset(out, 0, sizeof *out);
    cx_st_file *f;
    CX_TRY(cx_st_open(path, &f));
    int64_t shape[3] = {-1, -1, n_inputs};
    const cx_st_tensor *t = NULL;
    cx_status st;
    int spikes = kind == CX_KIND_ELM && cx_st_find(f, "spikes") != NULL;
    if (spikes)
        st = cx_st_require(f, "spikes", CX_DTM_INT | CX_DTM(CX_DT_BOOL), 3, shape, &t);
    else if (cx_st_find(f, "x"))
        st = cx_st_require(f, "x", CX_DTM_FLOAT, 3, shape, &t);
    else
        st = cx_fail(CX_ERR_MISSING, "%s: missing tensor '%s' with the model input", path,
                     kind == CX_KIND_ELM ? "spikes' (or 'x" : "x");
    if (st == CX_OK) {
        int64_t S = t->shape[0], T = t->shape[1];
        if (limit > 0 && S > limit) S = limit;
        size_t n = (size_t)(S * T * n_inputs);
        out->x = malloc(n * sizeof(double) + 1);
        if (!out->x) st = cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n && st == CX_OK; i++) {
            double v = cx_st_get(t, i);
            if (spikes && (int)(i % (size_t)n_inputs) >= n_inputs / 2) v = -v;
            if (!isfinite(v))
                st = cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %zu is not finite", path,
                             t->name, i);
            out->x[i] = v;
        }
        out->samples = S;
        out->steps = T;
        out->n = n_inputs;
        out->spikes = spikes;
    }
    if (st == CX_OK) st = load_labels(f, path, out);
    cx_st_close(f);
    if (st != CX_OK) cx_inputs_release(out);
    return st;
}

cx_status cx_inputs_mnist(const char *dir, long limit, cx_inputs *out)
{
    memset(out, 0, sizeof *out);
    cx_idx *images = NULL, *labels = NULL;
    CX_TRY(cx_idx_load_mnist_dir(dir, &images, &labels));
    cx_status st = CX_OK;
    long n = (long)images->count;
    if (limit > 0 && limit < n) n = limit;
    const size_t per = (size_t)CX_LMNIST_ROWS * CX_LMNIST_COLS;
    out->x = malloc((size_t)n * per * sizeof(double) + 1);
    out->labels = malloc((size_t)n + 1);
    if (!out->x || !out->labels) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (long i = 0; i < n && st == CX_OK; i++) {
        cx_lmnist_input(images->data + (size_t)i * images->item_size, out->x + (size_t)i * per);
        out->labels[i] = labels->data[i];
    }
    out->samples = n;
    out->steps = CX_LMNIST_ROWS;
    out->n = CX_LMNIST_COLS;
    cx_idx_free(images);
    cx_idx_free(labels);
    if (st != CX_OK) cx_inputs_release(out);
    return st;
}

cx_status cx_inputs_reference(const cx_model *m, const cx_inputs *in, double *y)
{
    const int64_t S = in->samples, T = in->steps, NI = in->n;
    const int O = cx_model_outputs(m);
    cx_status st = CX_OK;
    if (m->kind == CX_KIND_ELM) {
        cx_elm_workspace *ws = cx_elm_workspace_alloc(m->elm);
        cx_elm_input ev = {0};
        if (!ws) return cx_fail(CX_ERR_NOMEM, "out of memory");
        for (int64_t s = 0; s < S && st == CX_OK; s++) {
            st = cx_elm_input_from_dense(&ev, in->x + (size_t)(s * T * NI), (int)T, (int)NI);
            if (st == CX_OK) cx_elm_forward(m->elm, ws, &ev, y + (size_t)(s * T * O), NULL, NULL);
        }
        cx_elm_input_release(&ev);
        cx_elm_workspace_free(ws);
        return st;
    }
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(m->glifr);
    if (!ws) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int64_t s = 0; s < S; s++)
        cx_glifr_forward(m->glifr, ws, in->x + (size_t)(s * T * NI), (int)T,
                         y + (size_t)(s * T * O), NULL);
    cx_glifr_workspace_free(ws);
    return CX_OK;
}
