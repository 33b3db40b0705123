/* Link-load heat map of a mesh (see cx_plot_mesh.h). */
#include "cx_plot_mesh.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const dir_names[CX_PLOT_MESH_DIRS] = {"N", "E", "S", "W"};
static const int step_x[CX_PLOT_MESH_DIRS] = {0, 1, 0, -1};
static const int step_y[CX_PLOT_MESH_DIRS] = {-1, 0, 1, 0};

static int has_link(const cx_plot_mesh *m, int node, int o)
{
    int x = node % m->width + step_x[o], y = node / m->width + step_y[o];
    return x >= 0 && x < m->width && y >= 0 && y < m->height;
}

/* Sequential map: light gray (idle) -> yellow -> orange -> red -> dark red (busy every cycle). */
static void heat(double u, int rgb[3])
{
    static const double stops[5][3] = {
        {225, 225, 225}, {254, 217, 118}, {253, 141, 60}, {227, 26, 28}, {128, 0, 38}};
    if (!(u > 0)) u = 0;
    if (u > 1) u = 1;
    int k = u >= 1 ? 3 : (int)(u * 4);
    double f = u * 4 - k;
    for (int i = 0; i < 3; i++)
        rgb[i] = (int)(stops[k][i] + f * (stops[k + 1][i] - stops[k][i]) + 0.5);
}

cx_status cx_plot_mesh_svg(const char *path, const cx_plot_mesh *m)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return cx_fail(CX_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    const int cell = 72, margin = 40, box = 30, top = 50;
    int w = m->width, h = m->height, nodes = w * h;
    int width = 2 * margin + (w - 1) * cell + box,
        height = top + margin + (h - 1) * cell + box + 60;
    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"24\" font-size=\"14\">link utilization, %dx%d mesh, cycles "
            "%llu..%llu</text>\n",
            width < 440 ? 440 : width, height, width < 440 ? 440 : width, height, margin, w, h,
            (unsigned long long)m->start_cycle, (unsigned long long)m->end_cycle);
    for (int node = 0; node < nodes; node++) {
        int x0 = margin + (node % w) * cell + box / 2, y0 = top + (node / w) * cell + box / 2;
        for (int o = 0; o < CX_PLOT_MESH_DIRS; o++) {
            if (!has_link(m, node, o)) continue;
            size_t q = (size_t)node * CX_PLOT_MESH_DIRS + (size_t)o;
            double u = m->utilization[q];
            int rgb[3];
            heat(u, rgb);
            /* the two directions of a link run side by side, offset to their right */
            int dx = step_x[o], dy = step_y[o], ox = -dy * 6, oy = dx * 6;
            int xa = x0 + dx * box / 2 + ox, ya = y0 + dy * box / 2 + oy;
            int xb = x0 + dx * (cell - box / 2) + ox, yb = y0 + dy * (cell - box / 2) + oy;
            fprintf(fp,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"rgb(%d,%d,%d)\" "
                    "stroke-width=\"6\"><title>(%d,%d) %s: %llu packets, utilization "
                    "%.3f</title></line>\n",
                    xa, ya, xb, yb, rgb[0], rgb[1], rgb[2], node % w, node / w, dir_names[o],
                    (unsigned long long)m->packets[q], u);
        }
    }
    for (int node = 0; node < nodes; node++) {
        int x = margin + (node % w) * cell, y = top + (node / w) * cell;
        fprintf(fp,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" "
                "stroke=\"#333\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"10\" "
                "text-anchor=\"middle\">%d</text>\n",
                x, y, box, box, m->host[node] ? "#d9d9d9" : "#f7f7f7", x + box / 2, y + box / 2 + 4,
                node);
    }
    int ly = top + (h - 1) * cell + box + 25;
    fprintf(fp, "<defs><linearGradient id=\"heat\">");
    for (int i = 0; i <= 4; i++) {
        int rgb[3];
        heat(i / 4.0, rgb);
        fprintf(fp, "<stop offset=\"%d%%\" stop-color=\"rgb(%d,%d,%d)\"/>", i * 25, rgb[0], rgb[1],
                rgb[2]);
    }
    fprintf(fp,
            "</linearGradient></defs>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"200\" height=\"12\" fill=\"url(#heat)\"/>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">0</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">1 (busy every cycle)</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">shaded router: host I/O port</text>\n"
            "</svg>\n",
            margin, ly, margin, ly + 26, margin + 180, ly + 26, margin + 220, ly + 10);
    if (fclose(fp) != 0) return cx_fail(CX_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return CX_OK;
}
