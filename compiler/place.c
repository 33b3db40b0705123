/* Placement of GLIFR neurons on tiles: METIS k-way partitioning of the
 * lateral connection graph, balanced so every part fits a tile.
 *
 * Everything is O(H + nnz): the graph comes from the CSR of W_lat
 * (symmetrized), and a part's resources are counted from its neurons' real
 * connections: input synapses with a nonzero weight, remote lateral in-edges,
 * and local lateral edges either on the crossbar or in the synapse table
 * (cx_glifr_local_crossbar). */
#include "cx_compile.h"
#include "lower.h"

#include <math.h>
#include <metis.h>
#include <stdio.h>
#include <stdlib.h>

int cx_glifr_local_crossbar(const cx_chip_config *chip, const cx_glifr_part *p)
{
    long rows = chip->tile.dendrite.rows, cols = chip->tile.dendrite.cols;
    if (p->local == 0 || p->n == 0 || rows < 1 || cols < 1) return 0;
    long arrays = ((p->n + rows - 1) / rows) * ((p->n + cols - 1) / cols);
    long entries = chip->tile.synapses.entries, other = p->inputs + p->remote;
    int xbar_fits = arrays <= chip->tile.dendrite.arrays && other <= entries;
    int syn_fits = other + p->local <= entries;
    if (!xbar_fits) return 0;
    if (!syn_fits) return 1;
    /* both fit: the cheaper per step, n^2 crossbar MACs or one synaptic event
     * per local edge (graded spikes arrive every step); break-even density
     * dendrite_mac_pj / synaptic_event_pj (0.5 on the shipped chips) */
    return (double)p->n * (double)p->n * chip->energy.dendrite_mac_pj <=
           (double)p->local * chip->energy.synaptic_event_pj;
}

/* Nonzero input weights of neuron i. */
static long input_synapses(const cx_glifr_model *m, int i)
{
    long n = 0;
    for (int c = 0; c < m->n_in; c++)
        n += m->w_in[(size_t)c * m->hidden + i] != 0;
    return n;
}

cx_status cx_glifr_parts(const cx_glifr_model *m, const int *part, int n_tiles, cx_glifr_part *out)
{
    for (int k = 0; k < n_tiles; k++)
        out[k] = (cx_glifr_part){0, 0, 0, 0};
    for (int i = 0; i < m->hidden; i++) {
        if (part[i] < 0 || part[i] >= n_tiles)
            return cx_fail(CX_ERR_VALUE, "placement: neuron %d on tile %d of %d", i, part[i],
                           n_tiles);
        out[part[i]].n++;
        out[part[i]].inputs += input_synapses(m, i);
    }
    for (int j = 0; j < m->hidden; j++)
        for (int64_t q = m->lat_row[j]; q < m->lat_row[j + 1]; q++) {
            int i = m->lat_col[q];
            if (part[i] == part[j])
                out[part[i]].local++;
            else
                out[part[i]].remote++;
        }
    return CX_OK;
}

/* Resources of a tile holding a part, checked in a fixed order so that the
 * error names the first resource short. */
static int tile_fits(const cx_chip_config *chip, const cx_glifr_model *m, const cx_glifr_part *pt,
                     const char **what, long *need, long *have)
{
    const long J = m->num_asc, n = pt->n;
    long rows = chip->tile.dendrite.rows, cols = chip->tile.dendrite.cols;
    int xbar = cx_glifr_local_crossbar(chip, pt);
    struct {
        const char *name;
        long need, have;
    } r[] = {
        {"compartments (tile.compartments)", n * (1 + J), chip->tile.compartments},
        {"somas (tile.somas.count)", n, chip->tile.somas.count},
        {"synapse entries (tile.synapses.entries)",
         pt->inputs + pt->remote + (xbar ? 0 : pt->local), chip->tile.synapses.entries},
        {"dendrite arrays (tile.dendrite.arrays)",
         xbar ? ((n + rows - 1) / rows) * ((n + cols - 1) / cols) : 0, chip->tile.dendrite.arrays},
        {"readout channels (tile.readout.channels)", m->n_out, chip->tile.readout.channels},
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

/* A part of n neurons before placement, assuming its connections are those
 * of an average neuron and its sources are spread like a random placement
 * (for a dense layer exactly what any placement gives). */
static cx_glifr_part average_part(const cx_glifr_model *m, long n, double in_per_neuron)
{
    double H = m->hidden, deg = (double)m->lat_nnz / H, f_local = n / H;
    cx_glifr_part p = {.n = n,
                       .inputs = (long)ceil(n * in_per_neuron - 1e-9),
                       .local = (long)llround(n * deg * f_local),
                       .remote = (long)llround(n * deg * (1.0 - f_local))};
    return p;
}

/* The symmetrized lateral graph: neighbors of i are its targets and its
 * sources (self loops left out), in ascending order; edge weight one for
 * the connection (a packet stream when cut) plus its strength relative to
 * the strongest (strong connections suffer most from spike coding). */
static cx_status build_graph(const cx_glifr_model *m, idx_t **xadj_out, idx_t **adj_out,
                             idx_t **wgt_out)
{
    const int H = m->hidden;
    const int64_t nnz = m->lat_nnz;
    int64_t *trow = calloc((size_t)H + 1, sizeof *trow); /* W^T in CSR: sources of i */
    int32_t *tcol = malloc((size_t)(nnz ? nnz : 1) * sizeof *tcol);
    double *tw = malloc((size_t)(nnz ? nnz : 1) * sizeof *tw);
    idx_t *xadj = malloc((size_t)(H + 1) * sizeof *xadj);
    idx_t *adj = malloc((size_t)(2 * nnz + 1) * sizeof *adj);
    idx_t *wgt = malloc((size_t)(2 * nnz + 1) * sizeof *wgt);
    int64_t *fill = malloc((size_t)(H + 1) * sizeof *fill);
    if (!trow || !tcol || !tw || !xadj || !adj || !wgt || !fill) {
        free(trow), free(tcol), free(tw), free(xadj), free(adj), free(wgt), free(fill);
        return cx_fail(CX_ERR_NOMEM, "placement: out of memory");
    }
    if (2 * nnz + 1 > (int64_t)INT32_MAX) {
        free(trow), free(tcol), free(tw), free(xadj), free(adj), free(wgt), free(fill);
        return cx_fail(CX_ERR_UNSUPPORTED, "placement: %lld lateral weights are too many for METIS",
                       (long long)nnz);
    }
    double wmax = 0;
    for (int64_t q = 0; q < nnz; q++) {
        wmax = fmax(wmax, fabs(m->lat_w[q]));
        trow[m->lat_col[q] + 1]++;
    }
    for (int i = 0; i < H; i++)
        trow[i + 1] += trow[i];
    for (int i = 0; i < H; i++)
        fill[i] = trow[i];
    for (int j = 0; j < H; j++) /* ascending j: every row of W^T comes out sorted */
        for (int64_t q = m->lat_row[j]; q < m->lat_row[j + 1]; q++) {
            int64_t at = fill[m->lat_col[q]]++;
            tcol[at] = j;
            tw[at] = m->lat_w[q];
        }
    double norm = 2.0 * (wmax > 0 ? wmax : 1.0);
    idx_t e = 0;
    xadj[0] = 0;
    for (int i = 0; i < H; i++) {
        int64_t a = m->lat_row[i], ae = m->lat_row[i + 1], b = trow[i], be = trow[i + 1];
        while (a < ae || b < be) {
            int ja = a < ae ? m->lat_col[a] : H, jb = b < be ? tcol[b] : H;
            int j = ja < jb ? ja : jb;
            double w = 0;
            if (ja == j) w += fabs(m->lat_w[a++]); /* i -> j */
            if (jb == j) w += fabs(tw[b++]);       /* j -> i */
            if (j == i || w == 0) continue;
            adj[e] = j;
            wgt[e] = 1 + (idx_t)lround(100.0 * w / norm);
            e++;
        }
        xadj[i + 1] = e;
    }
    free(trow), free(tcol), free(tw), free(fill);
    *xadj_out = xadj, *adj_out = adj, *wgt_out = wgt;
    return CX_OK;
}

static cx_status partition(const cx_glifr_model *m, int k, uint64_t seed, const idx_t *xadj,
                           const idx_t *adj, const idx_t *wgt, int *part)
{
    idx_t H = m->hidden;
    if (k == 1) {
        for (idx_t i = 0; i < H; i++)
            part[i] = 0;
        return CX_OK;
    }
    idx_t *where = malloc((size_t)H * sizeof *where);
    if (!where) return cx_fail(CX_ERR_NOMEM, "placement: out of memory");
    idx_t options[METIS_NOPTIONS];
    METIS_SetDefaultOptions(options);
    options[METIS_OPTION_SEED] = (idx_t)(seed & 0x7fffffff);
    options[METIS_OPTION_UFACTOR] = 1; /* parts within 0.1% of equal: tiles fill evenly */
    idx_t ncon = 1, nparts = k, cut = 0;
    int rc = METIS_PartGraphKway(&H, &ncon, (idx_t *)xadj, (idx_t *)adj, NULL, NULL, (idx_t *)wgt,
                                 &nparts, NULL, NULL, options, &cut, where);
    for (idx_t i = 0; i < H; i++)
        part[i] = (int)where[i];
    free(where);
    if (rc != METIS_OK) return cx_fail(CX_ERR_VALUE, "placement: METIS failed (code %d)", rc);
    return CX_OK;
}

/* Fewest tiles k >= min_tiles whose METIS parts all fit. k grows by one,
 * and by k/64 once k > 64, so that a big network partitions a few times,
 * not hundreds (each partition costs O(nnz log k)). */
cx_status cx_place_glifr(const cx_glifr_model *m, const cx_chip_config *chip, int min_tiles,
                         uint64_t seed, int *part, int *n_tiles)
{
    const int H = m->hidden, tiles = cx_lower_live_tiles(chip);
    const char *what = NULL;
    long need = 0, have = 0, total_in = 0;
    for (int i = 0; i < H; i++)
        total_in += input_synapses(m, i);
    const double in_per_neuron = (double)total_in / H;
    int k0 = min_tiles > 1 ? min_tiles : 1;
    if (k0 > H) k0 = H;
    if (k0 > tiles) return cx_lower_too_few_tiles(chip, k0, tiles);
    idx_t *xadj = NULL, *adj = NULL, *wgt = NULL;
    cx_glifr_part *parts = malloc((size_t)(tiles + 1) * sizeof *parts);
    if (!parts) return cx_fail(CX_ERR_NOMEM, "placement: out of memory");
    cx_status st = CX_OK;
    for (int k = k0; k <= tiles && k <= H && st == CX_OK;) {
        long per = (H + k - 1) / k;
        cx_glifr_part avg = average_part(m, per, in_per_neuron);
        if (!tile_fits(chip, m, &avg, &what, &need, &have)) {
            k++;
            continue;
        }
        if (k > 1 && !xadj) st = build_graph(m, &xadj, &adj, &wgt);
        if (st == CX_OK) st = partition(m, k, seed, xadj, adj, wgt, part);
        if (st == CX_OK) st = cx_glifr_parts(m, part, k, parts);
        int ok = st == CX_OK;
        for (int p = 0; p < k && ok; p++)
            ok = parts[p].n > 0 && tile_fits(chip, m, &parts[p], &what, &need, &have);
        if (ok) {
            *n_tiles = k;
            free(xadj), free(adj), free(wgt), free(parts);
            return CX_OK;
        }
        k += k > 64 ? k / 64 : 1;
    }
    free(xadj), free(adj), free(wgt), free(parts);
    if (st != CX_OK) return st;
    /* Not even one neuron per tile over the whole mesh, or parts too big. */
    long per = (H + tiles - 1) / tiles;
    cx_glifr_part avg = average_part(m, per, in_per_neuron);
    char lost[160] = "";
    if (tiles < cx_chip_tiles(chip))
        snprintf(lost, sizeof lost,
                 " (%d of the chip's %d tiles work: the others are dead or cut off from the "
                 "host by dead links, defects.*)",
                 tiles, cx_chip_tiles(chip));
    if (!tile_fits(chip, m, &avg, &what, &need, &have))
        return cx_fail(
            CX_ERR_FIT,
            "chip: %d GLIFR neurons over %d tiles put %ld on a tile, which needs %ld %s; "
            "the chip's tile has %ld%s",
            H, tiles, per, need, what, have, lost);
    return cx_fail(CX_ERR_FIT, "chip: %d GLIFR neurons do not fit %d tiles (%s: %ld needed, %ld)%s",
                   H, tiles, what ? what : "?", need, have, lost);
}
