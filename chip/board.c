/* Board files (see cx_board.h). */
#define _POSIX_C_SOURCE 200809L
#include "cx_board.h"

#include "cx_fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cx_board_free(cx_board *b)
{
    if (!b) return;
    for (int c = 0; c < b->n_chips; c++) {
        if (b->chips) cx_chip_free(&b->chips[c]);
        if (b->chip_names) free(b->chip_names[c]);
        if (b->chip_sets) {
            for (int i = 0; i < b->n_chip_sets[c]; i++)
                free(b->chip_sets[c][i]);
            free(b->chip_sets[c]);
        }
    }
    free(b->chips);
    free(b->chip_names);
    free(b->chip_sets);
    free(b->n_chip_sets);
    free(b->links);
    free(b->tree_link);
    free(b->name);
    free(b->description);
    free(b->file);
    free(b->chip_file);
    memset(b, 0, sizeof *b);
}

/* The chip file path relative to the board file's folder. */
static char *resolve(const char *board_path, const char *rel)
{
    if (rel[0] == '/') return strdup(rel);
    const char *slash = strrchr(board_path, '/');
    if (!slash) return strdup(rel);
    size_t n = (size_t)(slash - board_path);
    char *dir = malloc(n + 1);
    if (!dir) return NULL;
    memcpy(dir, board_path, n);
    dir[n] = 0;
    char *out = cx_path_join(dir, rel);
    free(dir);
    return out;
}

/* What the compiler depends on must agree across the chips of a board. */
static cx_status check_homogeneous(const cx_board *b)
{
    static const char *sections[] = {"acceleration", "mesh", "tile", "router"};
    cJSON *first = cx_chip_to_json(&b->chips[0]);
    cx_status st = first ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int c = 1; c < b->n_chips && st == CX_OK; c++) {
        cJSON *other = cx_chip_to_json(&b->chips[c]);
        if (!other) {
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t s = 0; s < sizeof sections / sizeof *sections && st == CX_OK; s++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(first, sections[s]);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(other, sections[s]);
            if (!cJSON_Compare(x, y, 1))
                st = cx_fail(CX_ERR_VALUE,
                             "%s: chips '%s' and '%s' differ in '%s'; a board's chips may differ "
                             "only in noise and energy",
                             b->file, b->chip_names[0], b->chip_names[c], sections[s]);
        }
        cJSON_Delete(other);
    }
    cJSON_Delete(first);
    return st;
}

static cx_status read_chips(const cx_yaml_node *root, const char *const *overrides, size_t n_over,
                            cx_board *b)
{
    const cx_yaml_node *seq;
    CX_TRY(cx_yaml_at(root, "chips", &seq));
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    if (seq->n == 0)
        return cx_fail(CX_ERR_VALUE, "%s:%d: key 'chips': no chips", seq->file, seq->line);
    b->n_chips = (int)seq->n;
    b->chips = calloc(seq->n, sizeof *b->chips);
    b->chip_names = calloc(seq->n, sizeof *b->chip_names);
    b->chip_sets = calloc(seq->n, sizeof *b->chip_sets);
    b->n_chip_sets = calloc(seq->n, sizeof *b->n_chip_sets);
    if (!b->chips || !b->chip_names || !b->chip_sets || !b->n_chip_sets)
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    static const char *const keys[] = {"name", "set", NULL};
    for (size_t c = 0; c < seq->n; c++) {
        const cx_yaml_node *chip = seq->items[c];
        CX_TRY(cx_yaml_expect(chip, CX_YAML_MAPPING));
        CX_TRY(cx_yaml_check_keys(chip, keys));
        const char *name;
        CX_TRY(cx_yaml_get_string(chip, "name", NULL, &name));
        for (size_t d = 0; d < c; d++)
            if (!strcmp(b->chip_names[d], name))
                return cx_fail(CX_ERR_VALUE, "%s:%d: chip name '%s' is used twice", chip->file,
                               chip->line, name);
        b->chip_names[c] = strdup(name);
        const cx_yaml_node *sets = cx_yaml_get(chip, "set");
        size_t ns = sets && !cx_yaml_is_null(sets) ? sets->n : 0;
        if (ns) CX_TRY(cx_yaml_expect(sets, CX_YAML_SEQUENCE));
        b->chip_sets[c] = calloc(ns + 1, sizeof(char *));
        const char **all = calloc(n_over + ns + 1, sizeof *all);
        if (!b->chip_names[c] || !b->chip_sets[c] || !all) {
            free(all);
            return cx_fail(CX_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n_over; i++)
            all[i] = overrides[i];
        cx_status st = CX_OK;
        for (size_t i = 0; i < ns && st == CX_OK; i++) {
            const char *s;
            st = cx_yaml_to_string(sets->items[i], &s);
            if (st == CX_OK && !strchr(s, '='))
                st = cx_fail(CX_ERR_VALUE, "%s:%d: key '%s': expected KEY=VALUE, found '%s'",
                             sets->file, sets->items[i]->line, sets->items[i]->path, s);
            if (st == CX_OK) {
                b->chip_sets[c][i] = strdup(s);
                b->n_chip_sets[c] = (int)i + 1;
                all[n_over + i] = s;
            }
        }
        if (st == CX_OK) st = cx_chip_load(b->chip_file, all, n_over + ns, &b->chips[c]);
        free(all);
        if (st != CX_OK)
            return cx_fail_context(st, "%s: chip '%s' (%s)", b->file, name, b->chip_file);
    }
    return check_homogeneous(b);
}

static cx_status read_links(const cx_yaml_node *root, cx_board *b)
{
    const cx_yaml_node *seq = cx_yaml_get(root, "links");
    if (!seq || cx_yaml_is_null(seq)) return CX_OK;
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    b->links = calloc(seq->n + 1, sizeof *b->links);
    if (!b->links) return cx_fail(CX_ERR_NOMEM, "out of memory");
    static const char *const keys[] = {"a", "b", "port_a", "port_b", "latency_ns", "bandwidth_gbps",
                                       NULL};
    const int n_hosts = (int)b->chips[0].router.n_hosts;
    const cx_yaml_range *chip_range = CX_YAML_BETWEEN(0, b->n_chips - 1);
    const cx_yaml_range *port_range = CX_YAML_BETWEEN(1, n_hosts - 1);
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *l = seq->items[i];
        CX_TRY(cx_yaml_expect(l, CX_YAML_MAPPING));
        CX_TRY(cx_yaml_check_keys(l, keys));
        long a, bb, pa, pb;
        cx_board_link *k = &b->links[i];
        CX_TRY(cx_yaml_get_long(l, "a", NULL, chip_range, &a));
        CX_TRY(cx_yaml_get_long(l, "b", NULL, chip_range, &bb));
        if (n_hosts < 2)
            return cx_fail(CX_ERR_VALUE,
                           "%s:%d: links need ports: the chip has no router host port besides "
                           "the host I/O port (router.hosts has %d entry)",
                           l->file, l->line, n_hosts);
        CX_TRY(cx_yaml_get_long(l, "port_a", NULL, port_range, &pa));
        CX_TRY(cx_yaml_get_long(l, "port_b", NULL, port_range, &pb));
        CX_TRY(cx_yaml_get_double(l, "latency_ns", NULL, CX_YAML_ABOVE(0), &k->latency_ns));
        CX_TRY(cx_yaml_get_double(l, "bandwidth_gbps", NULL, CX_YAML_ABOVE(0), &k->bandwidth_gbps));
        if (a == bb)
            return cx_fail(CX_ERR_VALUE, "%s:%d: link %zu joins chip %ld to itself", l->file,
                           l->line, i, a);
        *k = (cx_board_link){(int)a, (int)bb, (int)pa, (int)pb, k->latency_ns, k->bandwidth_gbps};
        for (size_t j = 0; j < i; j++) {
            const cx_board_link *o = &b->links[j];
            int ends[2][2] = {{o->a, o->port_a}, {o->b, o->port_b}};
            for (int e = 0; e < 2; e++)
                if ((ends[e][0] == k->a && ends[e][1] == k->port_a) ||
                    (ends[e][0] == k->b && ends[e][1] == k->port_b))
                    return cx_fail(CX_ERR_VALUE,
                                   "%s:%d: links %zu and %zu share port %d of chip %d", l->file,
                                   l->line, j, i, ends[e][1], ends[e][0]);
        }
        b->n_links = (int)i + 1;
    }
    return CX_OK;
}

/* All-pairs shortest latency (Floyd-Warshall; boards are small), then each
 * root's tree: a chip's parent is its lowest-index link on a shortest path. */
static cx_status plan_routes(cx_board *b)
{
    const int C = b->n_chips;
    double *dist = malloc((size_t)(C * C) * sizeof *dist);
    b->tree_link = malloc((size_t)(C * C) * sizeof *b->tree_link);
    if (!dist || !b->tree_link) {
        free(dist);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < C * C; i++) {
        dist[i] = i % (C + 1) == 0 ? 0 : INFINITY;
        b->tree_link[i] = -1;
    }
    for (int l = 0; l < b->n_links; l++) {
        const cx_board_link *k = &b->links[l];
        dist[k->a * C + k->b] = fmin(dist[k->a * C + k->b], k->latency_ns);
        dist[k->b * C + k->a] = fmin(dist[k->b * C + k->a], k->latency_ns);
    }
    for (int m = 0; m < C; m++)
        for (int u = 0; u < C; u++)
            for (int v = 0; v < C; v++)
                dist[u * C + v] = fmin(dist[u * C + v], dist[u * C + m] + dist[m * C + v]);
    cx_status st = CX_OK;
    for (int r = 0; r < C && st == CX_OK; r++)
        for (int c = 0; c < C && st == CX_OK; c++) {
            if (c == r) continue;
            if (isinf(dist[r * C + c])) {
                st = cx_fail(CX_ERR_VALUE, "%s: no link path joins chips '%s' and '%s'", b->file,
                             b->chip_names[r], b->chip_names[c]);
                break;
            }
            for (int l = 0; l < b->n_links; l++) {
                const cx_board_link *k = &b->links[l];
                if (k->a != c && k->b != c) continue;
                double via = dist[r * C + cx_board_link_peer(k, c)] + k->latency_ns;
                if (via <= dist[r * C + c] * (1 + 1e-12)) {
                    b->tree_link[r * C + c] = l;
                    break;
                }
            }
        }
    free(dist);
    return st;
}

cx_status cx_board_load(const char *path, const char *const *overrides, size_t n, cx_board *out)
{
    memset(out, 0, sizeof *out);
    cx_yaml_doc *doc;
    CX_TRY(cx_yaml_load_file(path, &doc));
    static const char *const keys[] = {"name", "description", "chip", "chips", "links", NULL};
    const cx_yaml_node *root = doc->root;
    const char *name, *desc, *chip;
    cx_status st = cx_yaml_expect(root, CX_YAML_MAPPING);
    if (st == CX_OK) st = cx_yaml_check_keys(root, keys);
    if (st == CX_OK) st = cx_yaml_get_string(root, "name", NULL, &name);
    if (st == CX_OK) st = cx_yaml_get_string(root, "description", "", &desc);
    if (st == CX_OK) st = cx_yaml_get_string(root, "chip", NULL, &chip);
    if (st == CX_OK) {
        out->name = strdup(name);
        out->description = strdup(desc);
        out->file = strdup(path);
        out->chip_file = resolve(path, chip);
        if (!out->name || !out->description || !out->file || !out->chip_file)
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK) st = read_chips(root, overrides, n, out);
    if (st == CX_OK) st = read_links(root, out);
    if (st == CX_OK) st = plan_routes(out);
    cx_yaml_free(doc);
    if (st != CX_OK) cx_board_free(out);
    return st;
}

int cx_board_tree_link(const cx_board *b, int root, int chip)
{
    return b->tree_link[root * b->n_chips + chip];
}

int cx_board_link_peer(const cx_board_link *l, int c)
{
    return c == l->a ? l->b : l->a;
}

int cx_board_link_port(const cx_board_link *l, int c)
{
    return c == l->a ? l->port_a : l->port_b;
}

double cx_board_min_latency_ns(const cx_board *b)
{
    double m = INFINITY;
    for (int l = 0; l < b->n_links; l++)
        m = fmin(m, b->links[l].latency_ns);
    return m;
}

/* A YAML double-quoted scalar. */
static void put_quoted(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

cx_status cx_board_write(const cx_board *b, const char *path, const char *chip_file)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp) return cx_fail(CX_ERR_NOMEM, "out of memory");
    fprintf(fp, "# board of a compiled program (written by cortile compile)\nname: ");
    put_quoted(fp, b->name);
    fprintf(fp, "\ndescription: ");
    put_quoted(fp, b->description);
    fprintf(fp, "\nchip: ");
    put_quoted(fp, chip_file);
    fprintf(fp, "\nchips:\n");
    for (int c = 0; c < b->n_chips; c++) {
        fprintf(fp, "  - name: ");
        put_quoted(fp, b->chip_names[c]);
        fprintf(fp, "\n    set: [");
        for (int i = 0; i < b->n_chip_sets[c]; i++) {
            if (i) fprintf(fp, ", ");
            put_quoted(fp, b->chip_sets[c][i]);
        }
        fprintf(fp, "]\n");
    }
    fprintf(fp, "links:\n");
    for (int l = 0; l < b->n_links; l++) {
        const cx_board_link *k = &b->links[l];
        fprintf(fp,
                "  - {a: %d, b: %d, port_a: %d, port_b: %d, latency_ns: %.17g, "
                "bandwidth_gbps: %.17g}\n",
                k->a, k->b, k->port_a, k->port_b, k->latency_ns, k->bandwidth_gbps);
    }
    if (!b->n_links) fprintf(fp, "  []\n");
    fclose(fp);
    const void *parts[] = {text};
    cx_status st = cx_write_file_atomic(path, parts, &len, 1);
    free(text);
    return st;
}
