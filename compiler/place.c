/* Placement of GLIFR neurons on tiles: METIS k-way partitioning of the
 * lateral connection graph, balanced so every part fits a tile. */
#include "cx_compile.h"

#include <math.h>
#include <metis.h>
#include <stdlib.h>

/* Resources of a tile holding n neurons of a dense GLIFR layer. */
static int tile_fits(const cx_chip_config *chip, const cx_glifr_model *m, long n, const char **what,
                     long *need, long *have)
{
    const long H = m->hidden, NI = m->n_in, O = m->n_out, J = m->num_asc;
    long rows = chip->tile.dendrite.rows, cols = chip->tile.dendrite.cols;
    struct {
        const char *name;
        long need, have;
    } r[] = {
        {"compartments (tile.compartments)", n * (1 + J), chip->tile.compartments},
        {"somas (tile.somas.count)", n, chip->tile.somas.count},
        {"synapse entries (tile.synapses.entries)", n * NI + n * (H - n),
         chip->tile.synapses.entries},
        {"dendrite arrays (tile.dendrite.arrays)",
         ((n + rows - 1) / rows) * ((n + cols - 1) / cols), chip->tile.dendrite.arrays},
        {"readout channels (tile.readout.channels)", O, chip->tile.readout.channels},
    };
    for (size_t i = 0; i < sizeof r / sizeof *r; i++)
        if (r[i].need > r[i].have) {
            *what = r[i].name;
            *need = r[i].need;
            *have = r[i].have;
            return 0;
        }
    return 1;
}

static cx_status partition(const cx_glifr_model *m, int k, uint64_t seed, int *part)
{
    const idx_t H = m->hidden;
    if (k == 1) {
        for (idx_t i = 0; i < H; i++)
            part[i] = 0;
        return CX_OK;
    }
    idx_t *xadj = malloc((size_t)(H + 1) * sizeof *xadj);
    idx_t *adj = malloc((size_t)(H * H + 1) * sizeof *adj);
    idx_t *wgt = malloc((size_t)(H * H + 1) * sizeof *wgt);
    idx_t *where = malloc((size_t)H * sizeof *where);
    if (!xadj || !adj || !wgt || !where) {
        free(xadj), free(adj), free(wgt), free(where);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    double wmax = 0;
    for (idx_t i = 0; i < H * H; i++)
        wmax = fmax(wmax, fabs(m->w_lat[i]));
    /* Edge weight: one for the connection (a packet stream when cut) plus
     * its strength (strong connections suffer most from spike coding). */
    idx_t e = 0;
    xadj[0] = 0;
    for (idx_t i = 0; i < H; i++) {
        for (idx_t j = 0; j < H; j++) {
            if (i == j) continue;
            double w = fabs(m->w_lat[i * H + j]) + fabs(m->w_lat[j * H + i]);
            if (w == 0) continue;
            adj[e] = j;
            wgt[e] = 1 + (idx_t)lround(100.0 * w / (2.0 * (wmax > 0 ? wmax : 1.0)));
            e++;
        }
        xadj[i + 1] = e;
    }
    idx_t options[METIS_NOPTIONS];
    METIS_SetDefaultOptions(options);
    options[METIS_OPTION_SEED] = (idx_t)(seed & 0x7fffffff);
    options[METIS_OPTION_UFACTOR] = 1; /* parts within 0.1% of equal: tiles fill evenly */
    idx_t ncon = 1, nparts = k, cut = 0;
    int rc = METIS_PartGraphKway((idx_t *)&H, &ncon, xadj, adj, NULL, NULL, wgt, &nparts, NULL,
                                 NULL, options, &cut, where);
    for (idx_t i = 0; i < H; i++)
        part[i] = (int)where[i];
    free(xadj), free(adj), free(wgt), free(where);
    if (rc != METIS_OK) return cx_fail(CX_ERR_VALUE, "placement: METIS failed (code %d)", rc);
    return CX_OK;
}

cx_status cx_place_glifr(const cx_glifr_model *m, const cx_chip_config *chip, int min_tiles,
                         uint64_t seed, int *part, int *n_tiles)
{
    const int H = m->hidden, tiles = cx_chip_tiles(chip);
    const char *what = NULL;
    long need = 0, have = 0;
    int k0 = min_tiles > 1 ? min_tiles : 1;
    if (k0 > H) k0 = H;
    for (int k = k0; k <= tiles && k <= H; k++) {
        long per = (H + k - 1) / k;
        if (!tile_fits(chip, m, per, &what, &need, &have)) continue;
        CX_TRY(partition(m, k, seed, part));
        int *count = calloc((size_t)k, sizeof *count);
        if (!count) return cx_fail(CX_ERR_NOMEM, "out of memory");
        int ok = 1;
        for (int i = 0; i < H; i++)
            count[part[i]]++;
        for (int p = 0; p < k && ok; p++)
            ok = count[p] > 0 && tile_fits(chip, m, count[p], &what, &need, &have);
        free(count);
        if (ok) {
            *n_tiles = k;
            return CX_OK;
        }
    }
    /* Not even one neuron per tile over the whole mesh, or parts too big. */
    long per = (H + tiles - 1) / tiles;
    if (!tile_fits(chip, m, per, &what, &need, &have))
        return cx_fail(
            CX_ERR_FIT,
            "chip: %d GLIFR neurons over %d tiles put %ld on a tile, which needs %ld %s; "
            "the chip's tile has %ld",
            H, tiles, per, need, what, have);
    return cx_fail(CX_ERR_FIT, "chip: %d GLIFR neurons do not fit %d tiles (%s: %ld needed, %ld)",
                   H, tiles, what ? what : "?", need, have);
}
