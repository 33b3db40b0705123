/* MNIST test-set evaluation of a GLIFR L-MNIST checkpoint (argmax of the last readout). */
#include "cx_cli.h"
#include "cx_idx.h"
#include "cx_lmnist.h"
#include "cx_progress.h"
#include "cx_status.h"

#include <stdio.h>
#include <stdlib.h>

cx_status cx_reference_mnist(const char *dir, const cx_glifr_model *m, long limit, long *samples,
                             long *correct, double *seconds)
{
    if (m->n_in != CX_LMNIST_COLS)
        return cx_fail(CX_ERR_SHAPE, "line-by-line MNIST needs a GLIFR input size of %d, found %d",
                       CX_LMNIST_COLS, m->n_in);
    if (m->n_out < 10)
        return cx_fail(CX_ERR_SHAPE, "MNIST needs at least 10 outputs, found %d", m->n_out);
    cx_idx *images = NULL, *labels = NULL;
    CX_TRY(cx_idx_load_mnist_dir(dir, &images, &labels));
    cx_status st = CX_OK;
    long n = (long)images->count;
    if (limit > 0 && limit < n) n = limit;
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(m);
    double *y = malloc((size_t)CX_LMNIST_ROWS * (size_t)m->n_out * sizeof(double));
    if (!ws || !y) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_progress prog;
    cx_progress_start(&prog, "mnist", (size_t)n);
    double t0 = cx_now_s();
    long hits = 0;
    for (long i = 0; i < n && st == CX_OK; i++) {
        int pred = cx_lmnist_classify(m, ws, images->data + (size_t)i * images->item_size, y);
        hits += pred == labels->data[i];
        cx_progress_update(&prog, (size_t)i + 1);
    }
    *seconds = cx_now_s() - t0;
    cx_progress_finish(&prog);
    *samples = n;
    *correct = hits;
    free(y);
    cx_glifr_workspace_free(ws);
    cx_idx_free(images);
    cx_idx_free(labels);
    return st;
}
