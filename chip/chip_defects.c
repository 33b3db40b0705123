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

/* Marks the link leaving node in direction d dead, at both ends. */
static void kill_link(cx_chip_defect_map *m, int node, int d)
{
    int x = node % m->width + step_x[d], y = node / m->width + step_y[d];
    if (m->dead_link[node] & (1u << d)) return;
    m->dead_link[node] |= (unsigned char)(1u << d);
    m->dead_link[y * m->width + x] |= (unsigned char)(1u << ((d + 2) % 4));
    m->n_dead_links++;
}

int cx_chip_has_defects(const cx_chip_config *cfg)
{
    return cfg->defects.n_tiles || cfg->defects.n_links || cfg->defects.random.tiles > 0 ||
           cfg->defects.random.links > 0;
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
