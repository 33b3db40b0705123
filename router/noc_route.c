/* Multicast routes: the per-router tables of tree replication (the union of
 * the XY paths from a source to its destinations) and the destination lists
 * of source replication. */
#include "noc_internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

uint32_t route_find(const cx_noc *n, uint32_t key)
{
    if (!n->route_slots) return NONE32;
    for (uint64_t i = hash64(key);; i++) {
        uint32_t r = n->route_slots[i & n->route_slots_mask];
        if (r == NONE32) return NONE32;
        if (n->routes[r].key == key) return r;
    }
}

unsigned route_tree_mask(const cx_noc *n, uint32_t r, int node)
{
    const cx_noc_route *rt = &n->routes[r];
    if (rt->box_w > 0) {
        int x = node % n->cfg.width - rt->box_x, y = node / n->cfg.width - rt->box_y;
        if (x < 0 || x >= rt->box_w || y < 0 || y >= rt->box_h) return 0;
        return n->tree_mask[rt->tree_off + (uint32_t)(y * rt->box_w + x)];
    }
    const uint32_t *nodes = n->tree_node + n->routes[r].tree_off;
    uint32_t lo = 0, hi = n->routes[r].tree_n, want = (uint32_t)node;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (nodes[mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n->routes[r].tree_n && nodes[lo] == want ? n->tree_mask[n->routes[r].tree_off + lo]
                                                         : 0;
}

unsigned cx_noc_route_mask(const cx_noc *n, int node, uint32_t key)
{
    uint32_t r = route_find(n, key);
    return r == NONE32 || n->cfg.multicast != CX_NOC_MCAST_TREE ? 0 : route_tree_mask(n, r, node);
}

static cx_status route_slots_grow(cx_noc *n)
{
    uint32_t cap = n->route_slots ? 2 * (n->route_slots_mask + 1) : 64;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots) return cx_fail(CX_ERR_NOMEM, "router: out of memory for routes");
    for (uint32_t i = 0; i < cap; i++)
        slots[i] = NONE32;
    for (uint32_t r = 0; r < n->nroutes; r++)
        for (uint64_t i = hash64(n->routes[r].key);; i++)
            if (slots[i & (cap - 1)] == NONE32) {
                slots[i & (cap - 1)] = r;
                break;
            }
    free(n->route_slots);
    n->route_slots = slots;
    n->route_slots_mask = cap - 1;
    return CX_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int ep_router(const cx_noc *n, int e)
{
    return e < n->nodes ? e : n->host_node[e - n->nodes];
}

/* One XY step from node towards target's router: the output port and the
 * next router (next == node at the target). */
static int xy_step(const cx_noc *n, int node, int target, int d, int *next)
{
    int w = n->cfg.width, x = node % w, y = node / w, tx = target % w, ty = target / w;
    *next = node;
    if (tx > x) return *next = node + 1, CX_NOC_PORT_E;
    if (tx < x) return *next = node - 1, CX_NOC_PORT_W;
    if (ty > y) return *next = node + w, CX_NOC_PORT_S;
    if (ty < y) return *next = node - w, CX_NOC_PORT_N;
    return d < n->nodes ? CX_NOC_PORT_LOCAL : CX_NOC_PORT_HOST;
}

/* 1 when no XY path from src to a destination crosses a dead link. */
static int xy_paths_live(const cx_noc *n, int src, const int *dests, int ndests)
{
    for (int i = 0; i < ndests; i++) {
        int target = ep_router(n, dests[i]), node = ep_router(n, src), next;
        for (;;) {
            int port = xy_step(n, node, target, dests[i], &next);
            if (next == node) break;
            if (n->dead_link[node] & (1u << port)) return 0;
            node = next;
        }
    }
    return 1;
}

static const int dir_port[4] = {CX_NOC_PORT_N, CX_NOC_PORT_E, CX_NOC_PORT_S, CX_NOC_PORT_W};
static const int dir_dx[4] = {0, 1, 0, -1}, dir_dy[4] = {-1, 0, 1, 0};

/* The neighbour of node in direction d over a live link, or -1. */
static int live_neighbour(const cx_noc *n, int node, int d)
{
    int w = n->cfg.width, x = node % w + dir_dx[d], y = node / w + dir_dy[d];
    if (x < 0 || x >= w || y < 0 || y >= n->cfg.height) return -1;
    return n->dead_link[node] & (1u << dir_port[d]) ? -1 : y * w + x;
}

/* The tree of a route around dead links, in scratch_mask / scratch_nodes: a
 * breadth-first search from the source over live links, each router's
 * parent one step nearer the source, preferring the vertical step while the
 * router is off the source's row and the horizontal one on it. Every router
 * has one parent, so the union of the paths is a tree; with no dead link on
 * the way it is exactly the XY tree. */
static cx_status detour_tree(cx_noc *n, uint32_t key, int src, const int *dests, int ndests,
                             uint32_t *tree_n)
{
    const int nodes = n->nodes, w = n->cfg.width, s = ep_router(n, src);
    int *dist = malloc((size_t)nodes * sizeof *dist),
        *queue = malloc((size_t)nodes * sizeof *queue);
    if (!dist || !queue) {
        free(dist);
        free(queue);
        return cx_fail(CX_ERR_NOMEM, "router: out of memory for routes");
    }
    for (int i = 0; i < nodes; i++)
        dist[i] = -1;
    int head = 0, tail = 0;
    dist[s] = 0;
    queue[tail++] = s;
    while (head < tail) {
        int v = queue[head++];
        for (int d = 0; d < 4; d++) {
            int u = live_neighbour(n, v, d);
            if (u >= 0 && dist[u] < 0) dist[u] = dist[v] + 1, queue[tail++] = u;
        }
    }
    cx_status st = CX_OK;
    for (int i = 0; i < ndests && st == CX_OK; i++) {
        int v = ep_router(n, dests[i]);
        if (dist[v] < 0) {
            st = cx_fail(CX_ERR_FIT,
                         "router: route %u: destination %d at (%d, %d) cannot be reached from "
                         "(%d, %d): dead links cut it off",
                         key, dests[i], v % w, v / w, s % w, s / w);
            break;
        }
        int port = dests[i] < nodes ? CX_NOC_PORT_LOCAL : CX_NOC_PORT_HOST;
        for (;;) {
            if (!n->scratch_mask[v]) n->scratch_nodes[(*tree_n)++] = (uint32_t)v;
            n->scratch_mask[v] |= (uint8_t)(1u << port);
            if (v == s) break;
            int x = v % w, y = v / w, sx = s % w, sy = s / w;
            /* preference: towards the source's row, then its column, then any */
            int order[4] = {y > sy ? 0 : 2, x > sx ? 3 : 1, 0, 1}, parent = -1, back = 0;
            if (y == sy) order[0] = order[1];
            for (int k = 0; k < 6 && parent < 0; k++) {
                int d = k < 2 ? order[k] : k - 2;
                int u = live_neighbour(n, v, d);
                if (u >= 0 && dist[u] == dist[v] - 1) parent = u, back = (d + 2) % 4;
            }
            port = dir_port[back]; /* the parent's output towards v */
            v = parent;
        }
    }
    free(dist);
    free(queue);
    if (st != CX_OK)
        for (uint32_t k = 0; k < *tree_n; k++)
            n->scratch_mask[n->scratch_nodes[k]] = 0;
    return st;
}

cx_status cx_noc_set_route(cx_noc *n, uint32_t key, int src, const int *dests, int ndests)
{
    if (key == CX_NOC_UNICAST_KEY)
        return cx_fail(CX_ERR_VALUE, "router: key %u is reserved for unicast packets", key);
    if (src < 0 || src >= n->endpoints)
        return cx_fail(CX_ERR_VALUE, "router: route %u: source endpoint %d is not in 0..%d", key,
                       src, n->endpoints - 1);
    if (ndests < 1) return cx_fail(CX_ERR_VALUE, "router: route %u has no destination", key);
    if (route_find(n, key) != NONE32)
        return cx_fail(CX_ERR_VALUE, "router: route %u is already installed", key);
    for (int i = 0; i < ndests; i++) {
        if (dests[i] < 0 || dests[i] >= n->endpoints)
            return cx_fail(CX_ERR_VALUE, "router: route %u: destination %d is not in 0..%d", key,
                           dests[i], n->endpoints - 1);
        for (int j = 0; j < i; j++)
            if (dests[j] == dests[i])
                return cx_fail(CX_ERR_VALUE, "router: route %u lists destination %d twice", key,
                               dests[i]);
    }
    if (n->nroutes == n->routes_cap) {
        uint32_t cap = n->routes_cap ? 2 * n->routes_cap : 64;
        cx_noc_route *r = realloc(n->routes, cap * sizeof *r);
        if (!r) return cx_fail(CX_ERR_NOMEM, "router: out of memory for routes");
        n->routes = r;
        n->routes_cap = cap;
    }
    if (n->ndests + (uint32_t)ndests > n->dests_cap) {
        uint32_t cap = n->dests_cap ? n->dests_cap : 256;
        while (cap < n->ndests + (uint32_t)ndests)
            cap *= 2;
        int *d = realloc(n->route_dests, cap * sizeof *d);
        if (!d) return cx_fail(CX_ERR_NOMEM, "router: out of memory for routes");
        n->route_dests = d;
        n->dests_cap = cap;
    }
    if (2 * (n->nroutes + 1) > (n->route_slots ? n->route_slots_mask + 1 : 0))
        CX_TRY(route_slots_grow(n));
    uint32_t tree_off = (uint32_t)n->ntree, tree_n = 0;
    int box = 0, bx = 0, by = 0, bw = 0, bh = 0;
    int detour = n->cfg.multicast == CX_NOC_MCAST_TREE && n->dead_link && n->route_around &&
                 !xy_paths_live(n, src, dests, ndests);
    if (detour) {
        CX_TRY(detour_tree(n, key, src, dests, ndests, &tree_n));
        n->stats.routes_detoured++;
    }
    if (n->cfg.multicast == CX_NOC_MCAST_TREE) {
        int w = n->cfg.width;
        /* walk the XY paths, OR-ing each router's output */
        for (int i = 0; i < ndests && !detour; i++) {
            int d = dests[i], target = ep_router(n, d), node = ep_router(n, src), next;
            for (;;) {
                int port = xy_step(n, node, target, d, &next);
                if (!n->scratch_mask[node]) n->scratch_nodes[tree_n++] = (uint32_t)node;
                n->scratch_mask[node] |= (uint8_t)(1u << port);
                if (next == node) break;
                node = next;
            }
        }
        int x0 = w, y0 = n->cfg.height, x1 = -1, y1 = -1;
        for (uint32_t k = 0; k < tree_n; k++) {
            int x = (int)n->scratch_nodes[k] % w, y = (int)n->scratch_nodes[k] / w;
            x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
            y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
        }
        uint64_t area = (uint64_t)(x1 - x0 + 1) * (uint64_t)(y1 - y0 + 1);
        box = area <= 4 * (uint64_t)tree_n; /* a byte per box router vs 5 per listed one */
        uint64_t need = box ? area : tree_n;
        if (!box) qsort(n->scratch_nodes, tree_n, sizeof *n->scratch_nodes, cmp_u32);
        cx_status st = CX_OK;
        if (n->ntree + need > UINT32_MAX)
            st = cx_fail(CX_ERR_UNSUPPORTED, "router: more than 2^32 routing-table entries");
        if (st == CX_OK && n->ntree + need > n->tree_cap) {
            uint64_t cap = n->tree_cap ? n->tree_cap : 1024;
            while (cap < n->ntree + need)
                cap *= 2;
            uint32_t *tn = realloc(n->tree_node, cap * sizeof *tn);
            if (tn) n->tree_node = tn;
            uint8_t *tm = realloc(n->tree_mask, cap * sizeof *tm);
            if (tm) n->tree_mask = tm;
            if (!tn || !tm) st = cx_fail(CX_ERR_NOMEM, "router: out of memory for routing tables");
            if (st == CX_OK) n->tree_cap = cap;
        }
        if (st == CX_OK && box) {
            memset(n->tree_mask + n->ntree, 0, area);
            bx = x0, by = y0, bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        }
        for (uint32_t k = 0; k < tree_n; k++) {
            uint32_t node = n->scratch_nodes[k];
            if (st == CX_OK && box) {
                int x = (int)node % w - x0, y = (int)node / w - y0;
                n->tree_mask[n->ntree + (uint64_t)(y * bw + x)] = n->scratch_mask[node];
            } else if (st == CX_OK) {
                n->tree_node[n->ntree + k] = node;
                n->tree_mask[n->ntree + k] = n->scratch_mask[node];
            }
            n->scratch_mask[node] = 0;
        }
        if (st != CX_OK) return st;
        n->ntree += need;
    }
    cx_noc_route *r = &n->routes[n->nroutes];
    r->key = key;
    r->src = src;
    r->off = (int)n->ndests;
    r->n = ndests;
    r->tree_off = tree_off;
    r->tree_n = tree_n;
    r->box_x = bx, r->box_y = by, r->box_w = box ? bw : 0, r->box_h = bh;
    for (int i = 0; i < ndests; i++)
        n->route_dests[n->ndests++] = dests[i];
    n->nroutes++;
    for (uint64_t i = hash64(key);; i++)
        if (n->route_slots[i & n->route_slots_mask] == NONE32) {
            n->route_slots[i & n->route_slots_mask] = n->nroutes - 1;
            break;
        }
    return CX_OK;
}
