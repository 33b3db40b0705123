/* Multicast routes: the per-router tables of tree replication (the union of
 * the XY paths from a source to its destinations) and the destination lists
 * of source replication. */
#include "noc_internal.h"

#include <stdlib.h>

#define NONE32 0xffffffffu

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

unsigned cx_noc_route_mask(const cx_noc *n, int node, uint32_t key)
{
    if (!n->table_keys) return 0;
    uint64_t k = ((uint64_t)node << 32 | key) + 1;
    for (uint64_t i = hash64(k);; i++) {
        uint64_t slot = i & n->table_mask;
        if (n->table_keys[slot] == k) return n->table_masks[slot];
        if (n->table_keys[slot] == 0) return 0;
    }
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

static void table_insert(uint64_t *keys, uint8_t *masks, uint64_t mask, uint64_t k, uint8_t bits)
{
    for (uint64_t i = hash64(k);; i++) {
        uint64_t slot = i & mask;
        if (keys[slot] == k || keys[slot] == 0) {
            keys[slot] = k;
            masks[slot] |= bits;
            return;
        }
    }
}

static cx_status table_or(cx_noc *n, int node, uint32_t key, unsigned bits)
{
    if (2 * (n->table_n + 1) > n->table_mask + 1 || !n->table_keys) {
        uint64_t cap = n->table_keys ? 2 * (n->table_mask + 1) : 256;
        uint64_t *keys = calloc(cap, sizeof *keys);
        uint8_t *masks = calloc(cap, sizeof *masks);
        if (!keys || !masks) {
            free(keys);
            free(masks);
            return cx_fail(CX_ERR_NOMEM, "router: out of memory for routing tables");
        }
        if (n->table_keys)
            for (uint64_t i = 0; i <= n->table_mask; i++)
                if (n->table_keys[i])
                    table_insert(keys, masks, cap - 1, n->table_keys[i], n->table_masks[i]);
        free(n->table_keys);
        free(n->table_masks);
        n->table_keys = keys;
        n->table_masks = masks;
        n->table_mask = cap - 1;
    }
    uint64_t k = ((uint64_t)node << 32 | key) + 1;
    if (cx_noc_route_mask(n, node, key) == 0) n->table_n++;
    table_insert(n->table_keys, n->table_masks, n->table_mask, k, (uint8_t)bits);
    return CX_OK;
}

static int ep_router(const cx_noc *n, int e)
{
    return e < n->nodes ? e : n->host_node[e - n->nodes];
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
    if (n->cfg.multicast == CX_NOC_MCAST_TREE) {
        int w = n->cfg.width;
        for (int i = 0; i < ndests; i++) { /* walk the XY path, OR-ing each router's output */
            int d = dests[i], target = ep_router(n, d), node = ep_router(n, src);
            int tx = target % w, ty = target / w;
            for (;;) {
                int x = node % w, y = node / w, port, next = node;
                if (tx > x)
                    port = CX_NOC_PORT_E, next = node + 1;
                else if (tx < x)
                    port = CX_NOC_PORT_W, next = node - 1;
                else if (ty > y)
                    port = CX_NOC_PORT_S, next = node + w;
                else if (ty < y)
                    port = CX_NOC_PORT_N, next = node - w;
                else
                    port = d < n->nodes ? CX_NOC_PORT_LOCAL : CX_NOC_PORT_HOST;
                CX_TRY(table_or(n, node, key, 1u << port));
                if (next == node) break;
                node = next;
            }
        }
    }
    cx_noc_route *r = &n->routes[n->nroutes];
    r->key = key;
    r->src = src;
    r->off = (int)n->ndests;
    r->n = ndests;
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
