/* Synthetic traffic: seeding the per-tile generators, setting a pattern
 * (with the fixed destination sets of multicast traffic), and the backlog
 * the generators would still produce. */
#include "cx_noc.h"
#include "noc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void cx_noc_rng_seed(uint64_t *s, uint64_t seed, uint64_t stream)
{
    uint64_t sm = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&sm);
}

uint64_t cx_noc_source_backlog(const cx_noc *n, uint64_t end_cycle)
{
    uint64_t count = 0;
    for (int e = 0; e < n->endpoints; e++) {
        const cx_noc_fifo *f = &n->fifo[e];
        for (int k = 0; k < f->n; k++)
            count += n->pkt_gen[f->ids[(f->head + (uint32_t)k) & (f->cap - 1)]] < end_cycle;
        if (e >= n->nodes || !n->gen_t) continue;
        uint64_t s[4], t = n->gen_t[e];
        int dst;
        memcpy(s, n->gen_rng + 4 * (size_t)e, sizeof s);
        while (t < end_cycle) {
            count++;
            gen_draw(n, s, e, t + 1, &t, &dst);
        }
    }
    return count;
}

cx_status cx_noc_set_traffic(cx_noc *n, const cx_noc_traffic *tr)
{
    int w = n->cfg.width, h = n->cfg.height;
    if (n->gen_t) return cx_fail(CX_ERR_USAGE, "router: synthetic traffic is already set");
    if (tr->pattern == CX_NOC_TRAFFIC_NONE) return CX_OK;
    if (!(tr->rate > 0 && tr->rate <= 1))
        return cx_fail(CX_ERR_VALUE, "traffic: rate must be in (0, 1] packets/cycle/node, got %g",
                       tr->rate);
    if (n->nodes < 2) return cx_fail(CX_ERR_VALUE, "traffic: needs a mesh of at least 2 tiles");
    if (tr->pattern == CX_NOC_TRAFFIC_TRANSPOSE && w != h)
        return cx_fail(CX_ERR_VALUE, "traffic: transpose needs a square mesh, got %dx%d", w, h);
    if (tr->pattern == CX_NOC_TRAFFIC_HOTSPOT &&
        (tr->hotspot_x < 0 || tr->hotspot_x >= w || tr->hotspot_y < 0 || tr->hotspot_y >= h ||
         !(tr->hotspot_fraction >= 0 && tr->hotspot_fraction <= 1)))
        return cx_fail(CX_ERR_VALUE,
                       "traffic: hotspot (%d, %d) must lie in the %dx%d mesh and its fraction %g "
                       "in [0, 1]",
                       tr->hotspot_x, tr->hotspot_y, w, h, tr->hotspot_fraction);
    if (tr->pattern == CX_NOC_TRAFFIC_MULTICAST && (tr->fanout < 1 || tr->fanout > n->nodes - 1))
        return cx_fail(CX_ERR_VALUE, "traffic: multicast fanout must be 1..%d, got %d",
                       n->nodes - 1, tr->fanout);
    n->traffic = *tr;
    n->log1m_rate = log1p(-tr->rate);
    n->gen_rng = malloc((size_t)n->nodes * 4 * sizeof *n->gen_rng);
    n->gen_t = malloc((size_t)n->nodes * sizeof *n->gen_t);
    n->gen_dst = malloc((size_t)n->nodes * sizeof *n->gen_dst);
    if (!n->gen_rng || !n->gen_t || !n->gen_dst)
        return cx_fail(CX_ERR_NOMEM, "traffic: out of memory");
    if (tr->pattern == CX_NOC_TRAFFIC_MULTICAST) {
        /* Every tile gets a fixed destination set, like a neuron's fan-out. */
        n->gen_key0 = 0x80000000u;
        int *cand = malloc((size_t)n->nodes * sizeof *cand);
        for (int e = 0; e < n->nodes; e++) {
            uint64_t s[4];
            cx_noc_rng_seed(s, tr->seed ^ 0x6d756c7469636173ULL, (uint64_t)e);
            int m = 0;
            for (int d = 0; d < n->nodes; d++)
                if (d != e) cand[m++] = d;
            for (int k = 0; k < tr->fanout; k++) {
                int j = k + (int)rng_below(s, (uint32_t)(m - k)), tmp = cand[k];
                cand[k] = cand[j];
                cand[j] = tmp;
            }
            cx_status st = cx_noc_set_route(n, n->gen_key0 + (uint32_t)e, e, cand, tr->fanout);
            if (st != CX_OK) {
                free(cand);
                return st;
            }
        }
        free(cand);
    }
    for (int e = 0; e < n->nodes; e++) {
        uint64_t *s = n->gen_rng + 4 * (size_t)e;
        cx_noc_rng_seed(s, tr->seed, (uint64_t)e);
        int silent = tr->pattern == CX_NOC_TRAFFIC_TRANSPOSE && e % w == e / w;
        n->gen_t[e] = CX_NOC_NEVER;
        if (!silent) gen_next(n, e, n->now);
        if (n->gen_t[e] != CX_NOC_NEVER) heap_push(n, n->gen_t[e], e);
    }
    return CX_OK;
}
