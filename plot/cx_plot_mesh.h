/* cx_plot_mesh: the link load of a 2-D mesh network as an SVG heat map.
 *
 * Routers are drawn as numbered boxes (node = y * width + x, y down), a
 * link's two directions as two bars side by side, each coloured by its
 * utilization (light grey idle -> yellow -> red -> dark red busy every
 * cycle) with its packet count in a tooltip. Knows nothing of the router
 * model: the caller passes the numbers. */
#ifndef CX_PLOT_MESH_H
#define CX_PLOT_MESH_H

#include "cx_status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Output directions of a router, in the order of the arrays below. */
enum { CX_PLOT_MESH_N = 0, CX_PLOT_MESH_E, CX_PLOT_MESH_S, CX_PLOT_MESH_W, CX_PLOT_MESH_DIRS };

typedef struct {
    int width, height;               /* routers per row and column */
    const unsigned char *host;       /* [nodes]: 1 where a host I/O port attaches (shaded) */
    const uint64_t *packets;         /* [nodes][CX_PLOT_MESH_DIRS] packets sent on the link */
    const double *utilization;       /* [nodes][CX_PLOT_MESH_DIRS] busy fraction of the window */
    uint64_t start_cycle, end_cycle; /* the window, for the title */
} cx_plot_mesh;

/* Writes the heat map to path; links that leave the mesh are not drawn. */
cx_status cx_plot_mesh_svg(const char *path, const cx_plot_mesh *m);

#ifdef __cplusplus
}
#endif
#endif
