/* The defect map of a chip: the listed dead tiles and links plus the ones
 * drawn at random, as per-router flags (see cx_chip.h). */
#include "cx_chip.h"

#include <stdlib.h>
#include <string.h>

static const int step_x[4] = {0, 1, 0, -1}, step_y[4] = {-1, 0, 1, 0};

/* A uniform draw in [0, 1) for (seed, kind, index): counter based, so the
 * map depends on nothing but these (splitmix64 finalizer). */
static double draw(int seed, unsigned kind, unsigned long long index)
{
    unsigned long long z = (unsigned long long)seed * 0x9e3779b97f4a7c15ull ^
                           ((unsigned long long)kind << 56) ^ (index + 1) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}

int cx_chip_neighbour(int width, int height, int x, int y, cx_chip_dir d, int *nx, int *ny)
{
    *nx = x + step_x[d], *ny = y + step_y[d];
    return *nx >= 0 && *nx < width && *ny >= 0 && *ny < height;
}

cx_status cx_chip_defect_hops(const cx_chip_defect_map *m, int from, int *hops)
{
    const int W = m->width, nodes = W * m->height;
    int *queue = malloc((size_t)nodes * sizeof *queue), head = 0, tail = 0;
    if (!queue) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int i = 0; i < nodes; i++)
        hops[i] = -1;
    hops[from] = 0;
    queue[tail++] = from;
    while (head < tail) {
        int v = queue[head++], x, y;
        for (int d = 0; d < 4; d++) {
            if ((m->dead_link[v] & (1u << d)) ||
                !cx_chip_neighbour(W, m->height, v % W, v / W, (cx_chip_dir)d, &x, &y))
                continue;
            int u = y * W + x;
            if (hops[u] < 0) hops[u] = hops[v] + 1, queue[tail++] = u;
        }
    }
    free(queue);
    return CX_OK;
}

/* Marks the link leaving node in direction d dead, at both ends. */
static void kill_link(cx_chip_defect_map *m, int node, int d)
{
    int x = node % m->width + step_x[d], y = node / m->width + step_y[d];
    if (m->dead_link[node] & (1u << d)) return;
    m->dead_link[node] |= (unsigned char)(1u << d);
    m->dead_link[y * m->width + x] |= (unsigned char)(1u << ((d + 2) % 4));
    m->n_dead_links++;
}

int cx_chip_has_tile_defects(const cx_chip_config *cfg)
{
    return cfg->defects.n_compartments || cfg->defects.n_synapses || cfg->defects.n_cells ||
           cfg->defects.random.compartments > 0 || cfg->defects.random.synapses > 0 ||
           cfg->defects.random.cells > 0;
}

int cx_chip_has_defects(const cx_chip_config *cfg)
{
    return cfg->defects.n_tiles || cfg->defects.n_links || cfg->defects.random.tiles > 0 ||
           cfg->defects.random.links > 0 || cx_chip_has_tile_defects(cfg);
}

cx_status cx_chip_defects(const cx_chip_config *cfg, cx_chip_defect_map *m)
{
    memset(m, 0, sizeof *m);
    const int W = cfg->mesh.width, H = cfg->mesh.height, nodes = W * H;
    m->width = W, m->height = H;
    m->dead_tile = calloc((size_t)nodes, 1);
    m->dead_link = calloc((size_t)nodes, 1);
    if (!m->dead_tile || !m->dead_link) {
        cx_chip_defects_free(m);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < cfg->defects.n_tiles; i++)
        m->dead_tile[cfg->defects.tiles[i].y * W + cfg->defects.tiles[i].x] = 1;
    for (size_t i = 0; i < cfg->defects.n_links; i++) {
        const cx_chip_link *l = &cfg->defects.links[i];
        kill_link(m, l->y * W + l->x, (int)l->dir);
    }
    const int seed = cfg->defects.random.seed;
    for (int node = 0; node < nodes; node++) {
        if (cfg->defects.random.tiles > 0 &&
            draw(seed, 0, (unsigned)node) < cfg->defects.random.tiles)
            m->dead_tile[node] = 1;
        /* each link once: the one to the east and the one to the south */
        int x = node % W, y = node / W;
        if (cfg->defects.random.links > 0 && x + 1 < W &&
            draw(seed, 1, 2ull * (unsigned)node) < cfg->defects.random.links)
            kill_link(m, node, CX_CHIP_DIR_E);
        if (cfg->defects.random.links > 0 && y + 1 < H &&
            draw(seed, 1, 2ull * (unsigned)node + 1) < cfg->defects.random.links)
            kill_link(m, node, CX_CHIP_DIR_S);
    }
    for (int node = 0; node < nodes; node++)
        m->n_dead_tiles += m->dead_tile[node];
    return CX_OK;
}

void cx_chip_defects_free(cx_chip_defect_map *m)
{
    free(m->dead_tile);
    free(m->dead_link);
    memset(m, 0, sizeof *m);
}

/* Slots 0..n-1 of one kind in one tile: the listed ones (flags[slot] = 1,
 * values[slot]) plus the drawn ones, gathered in slot order. */
static cx_status gather(size_t n, const unsigned char *flag, const double *value, uint32_t **slots,
                        double **values, size_t *count)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += flag[i];
    *slots = malloc((k + 1) * sizeof **slots);
    if (values) *values = malloc((k + 1) * sizeof **values);
    if (!*slots || (values && !*values)) return cx_fail(CX_ERR_NOMEM, "out of memory");
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (flag[i]) {
            (*slots)[k] = (uint32_t)i;
            if (values) (*values)[k] = value[i];
            k++;
        }
    *count = k;
    return CX_OK;
}

/* Marks the drawn slots of a kind (kind 2 + k) of tile `node` in flag. */
static void draw_slots(int seed, unsigned kind, int node, size_t n, double rate,
                       unsigned char *flag, double *value)
{
    if (!(rate > 0)) return;
    for (size_t i = 0; i < n; i++)
        if (!flag[i] && draw(seed, kind, (unsigned long long)node * n + i) < rate) {
            flag[i] = 1;
            if (value) value[i] = 0; /* drawn defects are dead: stuck at 0 */
        }
}

cx_status cx_chip_tile_defects(const cx_chip_config *cfg, int x, int y,
                               cx_chip_tile_defect_list *out)
{
    memset(out, 0, sizeof *out);
    const int node = y * cfg->mesh.width + x, seed = cfg->defects.random.seed;
    const size_t nc = (size_t)cfg->tile.compartments, ns = (size_t)cfg->tile.synapses.entries;
    const size_t rows = (size_t)cfg->tile.dendrite.rows, cols = (size_t)cfg->tile.dendrite.cols;
    const size_t nx = (size_t)cfg->tile.dendrite.arrays * rows * cols;
    size_t most = nc > ns ? nc : ns;
    most = most > nx ? most : nx;
    unsigned char *flag = calloc(most + 1, 1);
    double *value = calloc(most + 1, sizeof *value);
    cx_status st = flag && value ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    /* compartments */
    for (size_t i = 0; st == CX_OK && i < cfg->defects.n_compartments; i++) {
        const cx_chip_stuck_comp *d = &cfg->defects.compartments[i];
        if (d->x == x && d->y == y) flag[d->index] = 1, value[d->index] = d->value;
    }
    if (st == CX_OK) {
        draw_slots(seed, 2, node, nc, cfg->defects.random.compartments, flag, value);
        st = gather(nc, flag, value, &out->comp, &out->comp_value, &out->n_comps);
    }
    /* synapse entries */
    if (st == CX_OK) memset(flag, 0, most);
    for (size_t i = 0; st == CX_OK && i < cfg->defects.n_synapses; i++) {
        const cx_chip_dead_synapse *d = &cfg->defects.synapses[i];
        if (d->x == x && d->y == y) flag[d->entry] = 1;
    }
    if (st == CX_OK) {
        draw_slots(seed, 3, node, ns, cfg->defects.random.synapses, flag, NULL);
        st = gather(ns, flag, NULL, &out->synapse, NULL, &out->n_synapses);
    }
    /* crossbar cells */
    if (st == CX_OK) memset(flag, 0, most), memset(value, 0, most * sizeof *value);
    for (size_t i = 0; st == CX_OK && i < cfg->defects.n_cells; i++) {
        const cx_chip_stuck_cell *d = &cfg->defects.cells[i];
        size_t c = ((size_t)d->array * rows + (size_t)d->row) * cols + (size_t)d->col;
        if (d->x == x && d->y == y) flag[c] = 1, value[c] = d->value;
    }
    if (st == CX_OK) {
        draw_slots(seed, 4, node, nx, cfg->defects.random.cells, flag, value);
        st = gather(nx, flag, value, &out->cell, &out->cell_value, &out->n_cells);
    }
    free(flag);
    free(value);
    if (st != CX_OK) cx_chip_tile_defects_free(out);
    return st;
}

void cx_chip_tile_defects_free(cx_chip_tile_defect_list *d)
{
    free(d->comp);
    free(d->comp_value);
    free(d->synapse);
    free(d->cell);
    free(d->cell_value);
    memset(d, 0, sizeof *d);
}

cx_status cx_chip_tile_defects_all(const cx_chip_config *cfg, cx_chip_tile_defect_totals *out)
{
    memset(out, 0, sizeof *out);
    for (int y = 0; y < cfg->mesh.height; y++)
        for (int x = 0; x < cfg->mesh.width; x++) {
            cx_chip_tile_defect_list d;
            CX_TRY(cx_chip_tile_defects(cfg, x, y, &d));
            out->comps += d.n_comps, out->synapses += d.n_synapses, out->cells += d.n_cells;
            if (d.n_comps > out->max_comps) out->max_comps = d.n_comps;
            if (d.n_synapses > out->max_synapses) out->max_synapses = d.n_synapses;
            cx_chip_tile_defects_free(&d);
        }
    return CX_OK;
}
