/* A program compiled on a board: lowered onto the board's chips stacked
 * into one tall mesh, then its tiles grouped into chips (METIS on the
 * tile-to-tile spike traffic, so that few routes cross chips), placed on
 * each chip nearest its host port, and every AER key renumbered. */
#define _POSIX_C_SOURCE 200809L
#include "cx_compile.h"
#include "lower.h"

#include <metis.h>
#include <stdlib.h>
#include <string.h>

cx_chip_config cx_board_stack(const cx_board *b)
{
    cx_chip_config c = b->chips[0]; /* shallow: pointers stay the board's */
    c.mesh.height *= b->n_chips;
    return c;
}

static int edge_cmp(const void *a, const void *b)
{
    const idx_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Tile graph: an edge per (source tile, destination tile) of every route,
 * weighted by the number of routes; METIS k-way into `parts` chips. */
static cx_status group_tiles(const cx_program *p, int parts, uint64_t seed, int *chip_of)
{
    const idx_t K = p->n_tiles;
    size_t n_pairs = 0;
    for (int r = 0; r < p->n_routes; r++)
        if (p->routes[r].src_tile >= 0) n_pairs += 2 * (size_t)p->routes[r].n_dests;
    idx_t *pairs = malloc((n_pairs + 1) * 2 * sizeof *pairs);
    idx_t *xadj = calloc((size_t)K + 1, sizeof *xadj);
    idx_t *adj = malloc((n_pairs + 1) * sizeof *adj);
    idx_t *wgt = malloc((n_pairs + 1) * sizeof *wgt);
    idx_t *where = malloc((size_t)K * sizeof *where);
    cx_status st = CX_OK;
    if (!pairs || !xadj || !adj || !wgt || !where) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    size_t np = 0;
    for (int r = 0; st == CX_OK && r < p->n_routes; r++) {
        const cx_prog_route *rt = &p->routes[r];
        if (rt->src_tile < 0) continue;
        for (int d = 0; d < rt->n_dests; d++) {
            if (rt->dests[d] == rt->src_tile) continue;
            pairs[2 * np] = rt->src_tile, pairs[2 * np + 1] = rt->dests[d], np++;
            pairs[2 * np] = rt->dests[d], pairs[2 * np + 1] = rt->src_tile, np++;
        }
    }
    if (st == CX_OK) {
        qsort(pairs, np, 2 * sizeof *pairs, edge_cmp);
        idx_t e = 0;
        for (size_t i = 0; i < np; i++) {
            if (i > 0 && pairs[2 * i] == pairs[2 * i - 2] && pairs[2 * i + 1] == pairs[2 * i - 1]) {
                wgt[e - 1]++;
                continue;
            }
            adj[e] = pairs[2 * i + 1];
            wgt[e] = 1;
            xadj[pairs[2 * i] + 1] = ++e;
        }
        for (idx_t v = 1; v <= K; v++) /* vertices without edges */
            if (xadj[v] < xadj[v - 1]) xadj[v] = xadj[v - 1];
        idx_t options[METIS_NOPTIONS];
        METIS_SetDefaultOptions(options);
        options[METIS_OPTION_SEED] = (idx_t)(seed & 0x7fffffff);
        options[METIS_OPTION_UFACTOR] = 1;
        idx_t ncon = 1, nparts = parts, cut = 0;
        int rc = METIS_PartGraphKway((idx_t *)&K, &ncon, xadj, adj, NULL, NULL, wgt, &nparts, NULL,
                                     NULL, options, &cut, where);
        if (rc != METIS_OK)
            st = cx_fail(CX_ERR_VALUE, "board placement: METIS failed (code %d)", rc);
        for (idx_t v = 0; st == CX_OK && v < K; v++)
            chip_of[v] = (int)where[v];
    }
    free(pairs), free(xadj), free(adj), free(wgt), free(where);
    return st;
}

/* METIS balances to within a fraction: move the last tiles of an over-full
 * chip to the emptiest chips until every chip holds at most cap, and none
 * of the `parts` chips is empty. */
static void rebalance(int K, int parts, int cap, int *chip_of)
{
    int *count = calloc((size_t)parts, sizeof *count);
    if (!count) return;
    for (int k = 0; k < K; k++)
        count[chip_of[k]]++;
    for (int k = K - 1; k >= 0; k--) {
        int c = chip_of[k], emptiest = 0;
        for (int d = 1; d < parts; d++)
            if (count[d] < count[emptiest]) emptiest = d;
        if (count[c] > cap || (count[emptiest] == 0 && count[c] > 1)) {
            count[c]--;
            count[emptiest]++;
            chip_of[k] = emptiest;
        }
    }
    free(count);
}

static uint32_t renumber(uint32_t key, const int64_t *new_id, uint32_t n_ids)
{
    cx_aer_format f = cx_aer_format_default();
    uint32_t tile = key >> f.neuron_bits, neuron = key & ((1u << f.neuron_bits) - 1u);
    if (tile >= n_ids || new_id[tile] < 0) return key; /* host keys keep theirs */
    return cx_aer_source_id(&f, (uint32_t)new_id[tile], neuron);
}

cx_status cx_board_assign(cx_program *p, const cx_board *b, int min_chips, uint64_t seed)
{
    const int W = b->chips[0].mesh.width, H = b->chips[0].mesh.height, cap = W * H;
    const int K = p->n_tiles, C = b->n_chips;
    int want = (K + cap - 1) / cap;
    if (min_chips > want) want = min_chips;
    if (want > C)
        return cx_fail(CX_ERR_FIT,
                       "board '%s': the program needs %d chips of %d tiles, the board "
                       "has %d",
                       b->name, want, cap, C);
    if (want > K)
        return cx_fail(CX_ERR_FIT,
                       "board '%s': spreading over %d chips needs at least %d tiles, the program "
                       "has %d (compile with --tiles %d)",
                       b->name, want, want, K, want);
    int *chip_of = calloc((size_t)K + 1, sizeof *chip_of);
    cx_lower_pos *pos = malloc((size_t)cap * sizeof *pos);
    const uint32_t n_ids = (uint32_t)(cap * C);
    int64_t *new_id = malloc((size_t)n_ids * sizeof *new_id);
    cx_status st = chip_of && pos && new_id ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK && want > 1) st = group_tiles(p, want, seed, chip_of);
    if (st == CX_OK) rebalance(K, want, cap, chip_of);
    /* positions on each chip: nearest its host port first, tiles in program order */
    for (uint32_t i = 0; st == CX_OK && i < n_ids; i++)
        new_id[i] = -1;
    for (int c = 0, used, live = 0; st == CX_OK && c < want; c++) {
        used = 0;
        st = cx_lower_host_order(&b->chips[c], pos, &live); /* each chip's own defects */
        for (int k = 0; k < K && st == CX_OK; k++) {
            if (chip_of[k] != c) continue;
            if (used == live) {
                st = cx_fail(CX_ERR_FIT,
                             "board '%s': chip %d needs more than its %d working tiles (defects "
                             "of that chip)",
                             b->name, c, live);
                break;
            }
            cx_prog_tile *t = &p->tiles[k];
            uint32_t old = (uint32_t)(t->y * W + t->x); /* on the stacked mesh */
            t->chip = c;
            t->x = pos[used].x;
            t->y = pos[used].y;
            used++;
            new_id[old] = (int64_t)(c * cap + t->y * W + t->x);
        }
    }
    for (int k = 0; st == CX_OK && k < K; k++) {
        cx_prog_tile *t = &p->tiles[k];
        for (size_t s = 0; s < t->n_synapses; s++)
            t->synapses[s].source = renumber(t->synapses[s].source, new_id, n_ids);
        cx_prog_tile_link(t);
    }
    for (int r = 0; st == CX_OK && r < p->n_routes; r++)
        p->routes[r].key = renumber(p->routes[r].key, new_id, n_ids);
    if (st == CX_OK) {
        free(p->board_name);
        p->board_name = strdup(b->name);
        p->n_chips = C;
        if (!p->board_name) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    free(chip_of);
    free(pos);
    free(new_id);
    return st;
}
