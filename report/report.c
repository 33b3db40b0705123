/* Compile and run reports: JSON sections and their readable text. */
#define _POSIX_C_SOURCE 200809L
#include "cx_report.h"

#include <math.h>
#include <string.h>

static cJSON *used_of(double used, double have)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "used", used);
    cJSON_AddNumberToObject(j, "available", have);
    return j;
}

cJSON *cx_report_resources(const cx_program *p, const cx_chip_config *chip)
{
    cJSON *arr = cJSON_CreateArray();
    for (int k = 0; k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        cx_prog_usage u = cx_prog_tile_usage(chip, t);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "tile", k);
        if (p->board_name) cJSON_AddNumberToObject(j, "chip", t->chip);
        int xy[2] = {t->x, t->y};
        cJSON_AddItemToObject(j, "at", cJSON_CreateIntArray(xy, 2));
        cJSON_AddItemToObject(j, "compartments", used_of((double)u.comps, chip->tile.compartments));
        cJSON_AddItemToObject(j, "somas", used_of((double)u.somas, chip->tile.somas.count));
        cJSON_AddItemToObject(j, "synapse_entries",
                              used_of((double)u.synapses, chip->tile.synapses.entries));
        cJSON_AddItemToObject(j, "dendrite_arrays", used_of(u.arrays, chip->tile.dendrite.arrays));
        cJSON_AddItemToObject(j, "readout_channels",
                              used_of((double)u.readouts, chip->tile.readout.channels));
        cJSON_AddItemToArray(arr, j);
    }
    return arr;
}

cJSON *cx_report_routing(const cx_exec *e, const cx_chip_config *chip, double step_ms)
{
    const cx_exec_stats *s = cx_exec_get_stats(e);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "acceleration", chip->acceleration);
    cJSON_AddNumberToObject(r, "cycles_per_step", cx_chip_router_cycles_per_step(chip, step_ms));
    cJSON_AddNumberToObject(r, "host_packets", (double)s->host_packets);
    cJSON_AddNumberToObject(r, "spikes_emitted", (double)s->tiles.spikes_out);
    cJSON_AddNumberToObject(r, "spikes_received", (double)s->tiles.spikes_in);
    cJSON_AddNumberToObject(r, "late_spikes", (double)s->tiles.late_spikes);
    double per = s->samples ? 1.0 / (double)s->samples : 0;
    cJSON_AddNumberToObject(r, "packets_per_inference",
                            (double)(s->host_packets + s->tiles.spikes_out) * per);
    const cx_noc *noc = cx_exec_noc(e);
    if (noc) {
        cJSON *n = cx_noc_report_json(noc, cx_noc_get_stats(noc)->now, 1);
        cJSON_AddItemToObject(r, "router", n);
    }
    const cx_board *b = cx_exec_board(e);
    if (b) {
        /* the router section above is chip 0's; the board adds its links */
        cJSON *bj = cJSON_AddObjectToObject(r, "board");
        cJSON_AddStringToObject(bj, "name", b->name);
        cJSON_AddNumberToObject(bj, "chips", b->n_chips);
        cJSON_AddNumberToObject(bj, "window_ns", cx_board_min_latency_ns(b));
        cJSON_AddNumberToObject(bj, "sync_windows", (double)s->sync_windows);
        cJSON_AddNumberToObject(bj, "link_packets", (double)s->chip_link_packets);
        cJSON_AddNumberToObject(bj, "packets_injected", (double)s->packets_injected);
        cJSON_AddNumberToObject(bj, "packets_late", (double)s->packets_late);
        cJSON_AddNumberToObject(bj, "latency_mean_cycles", s->latency_mean_cycles);
        cJSON_AddNumberToObject(bj, "latency_p99_cycles_worst_chip", (double)s->latency_p99_cycles);
        double run_ns = (double)s->noc_cycles * 1e3 / chip->router.clock_mhz;
        cJSON *links = cJSON_AddArrayToObject(bj, "links");
        for (int l = 0; l < b->n_links; l++) {
            uint64_t pk[2];
            double busy[2];
            cx_exec_link_load(e, l, pk, busy);
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "link", l);
            cJSON_AddStringToObject(j, "a", b->chip_names[b->links[l].a]);
            cJSON_AddStringToObject(j, "b", b->chip_names[b->links[l].b]);
            cJSON_AddNumberToObject(j, "packets_ab", (double)pk[0]);
            cJSON_AddNumberToObject(j, "packets_ba", (double)pk[1]);
            cJSON_AddNumberToObject(j, "utilization_ab", run_ns > 0 ? busy[0] / run_ns : 0);
            cJSON_AddNumberToObject(j, "utilization_ba", run_ns > 0 ? busy[1] / run_ns : 0);
            cJSON_AddItemToArray(links, j);
        }
    }
    return r;
}

cJSON *cx_report_defects(const cx_chip_config *chip, const cx_program *p, const cx_exec *e)
{
    cx_chip_defect_map dm;
    if (!cx_chip_has_defects(chip) || cx_chip_defects(chip, &dm) != CX_OK) return NULL;
    int on_dead = 0;
    for (int k = 0; k < p->n_tiles; k++)
        on_dead += dm.dead_tile[p->tiles[k].y * dm.width + p->tiles[k].x];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "dead_tiles", dm.n_dead_tiles);
    cJSON_AddNumberToObject(j, "dead_links", dm.n_dead_links);
    cJSON_AddNumberToObject(j, "tiles", (double)cx_chip_tiles(chip));
    cJSON_AddBoolToObject(j, "remap", chip->defects.remap);
    cJSON_AddNumberToObject(j, "program_tiles_on_dead_tiles", on_dead);
    if (e) {
        const cx_exec_stats *s = cx_exec_get_stats(e);
        cJSON_AddNumberToObject(j, "packets_lost_in_dead_links", (double)s->packets_dead_link);
        cJSON_AddNumberToObject(j, "routes_detoured", (double)s->routes_detoured);
        const cx_tile_defect_stats *d = &s->tile_defects;
        cJSON_AddNumberToObject(j, "stuck_compartments_used", (double)d->stuck_compartments);
        cJSON_AddNumberToObject(j, "dead_synapses_used", (double)d->dead_synapses);
        cJSON_AddNumberToObject(j, "weights_on_stuck_cells", (double)d->stuck_weights);
        cJSON_AddNumberToObject(j, "crossbar_columns_moved", (double)d->moved_columns);
        cJSON_AddNumberToObject(j, "crossbar_weight_lost", d->lost_weight);
    }
    cx_chip_defects_free(&dm);
    return j;
}

cJSON *cx_report_energy(const cx_exec *e)
{
    const cx_exec_stats *s = cx_exec_get_stats(e);
    double n = s->samples ? (double)s->samples : 1;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "per_inference_pj", (s->tiles.energy_pj + s->noc_energy_pj) / n);
    cJSON_AddNumberToObject(j, "tiles_pj", s->tiles.energy_pj / n);
    cJSON_AddNumberToObject(j, "router_pj", s->noc_energy_pj / n);
    cJSON_AddNumberToObject(j, "synaptic_events", (double)s->tiles.synaptic_events / n);
    cJSON_AddNumberToObject(j, "dendrite_macs", (double)s->tiles.dendrite_macs / n);
    cJSON_AddNumberToObject(j, "compartment_updates", (double)s->tiles.compartment_steps / n);
    return j;
}

/* ------------------------------------------------------------ text */

static double num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *j = o;
    for (char *tok = strtok(buf, "."); tok && j; tok = strtok(NULL, "."))
        j = cJSON_GetObjectItemCaseSensitive(j, tok);
    return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? j->valuestring : "";
}

/* A tile's position: (x,y), or cN(x,y) on a board. */
static void tile_where(const cJSON *t, char *where, size_t n)
{
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(t, "at");
    const cJSON *chip = cJSON_GetObjectItemCaseSensitive(t, "chip");
    int x = cJSON_GetArrayItem(at, 0)->valueint, y = cJSON_GetArrayItem(at, 1)->valueint;
    if (chip)
        snprintf(where, n, "c%d(%d,%d)", chip->valueint, x, y);
    else
        snprintf(where, n, "(%d,%d)", x, y);
}

static void print_resources(FILE *fp, const cJSON *res)
{
    static const char *keys[] = {"compartments", "somas", "synapse_entries", "dendrite_arrays",
                                 "readout_channels"};
    static const char *heads[] = {"compartments", "somas", "synapses", "arrays", "readouts"};
    static const int widths[] = {13, 9, 12, 7, 8};
    enum { NCOL = sizeof keys / sizeof *keys };
    char where[40];
    int at_w = 7; /* the widest position */
    const cJSON *t;
    cJSON_ArrayForEach(t, res)
    {
        tile_where(t, where, sizeof where);
        at_w = (int)strlen(where) > at_w ? (int)strlen(where) : at_w;
    }
    fprintf(fp, "resources per tile (used/available):\n  tile  %-*s", at_w, "at");
    for (int k = 0; k < NCOL; k++) /* the last column unpadded */
        fprintf(fp, "  %-*s", k + 1 < NCOL ? widths[k] : 0, heads[k]);
    fputc('\n', fp);
    cJSON_ArrayForEach(t, res)
    {
        tile_where(t, where, sizeof where);
        fprintf(fp, "  %4.0f  %-*s", num(t, "tile"), at_w, where);
        for (int k = 0; k < NCOL; k++) {
            char key[64];
            snprintf(key, sizeof key, "%s.used", keys[k]);
            double u = num(t, key);
            snprintf(key, sizeof key, "%s.available", keys[k]);
            char cell[32];
            snprintf(cell, sizeof cell, "%.0f/%.0f", u, num(t, key));
            fprintf(fp, "  %-*s", k + 1 < NCOL ? widths[k] : 0, cell);
        }
        fputc('\n', fp);
    }
}

static void print_error(FILE *fp, const char *label, const cJSON *e)
{
    if (!e) return;
    fprintf(fp, "  %-28s rmse %.4g (last step %.4g), max |err| %.4g\n", label, num(e, "rmse"),
            num(e, "rmse_last_step"), num(e, "max_abs"));
}

void cx_report_print(FILE *fp, const cJSON *rep)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(rep, "model");
    const cJSON *chip = cJSON_GetObjectItemCaseSensitive(rep, "chip");
    fprintf(fp, "%s report: %s model %s on chip %s (%s, acceleration %g, step %g ms)\n",
            str(rep, "report"), str(model, "kind"), str(model, "dir"), str(chip, "name"),
            str(chip, "mode"), num(chip, "acceleration"), num(chip, "step_ms"));
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(rep, "resources");
    if (res) print_resources(fp, res);
    const cJSON *dr = cJSON_GetObjectItemCaseSensitive(rep, "dynamic_range");
    if (dr) {
        fprintf(fp,
                "dynamic range (calibration, %.0f samples): rails +-%g, %.0f compartments "
                "rescaled, %.0f still exceed the rails",
                num(dr, "calibration_samples"), num(dr, "rail"), num(dr, "scaled_compartments"),
                num(dr, "saturating_compartments"));
        if (num(dr, "saturating_compartments") > 0)
            fprintf(fp, " (worst %.3g x the rail)", num(dr, "worst_over_rail"));
        fputc('\n', fp);
        const cJSON *s;
        int shown = 0;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(dr, "saturating"))
        {
            if (shown++ == 8) {
                fprintf(fp, "    ...\n");
                break;
            }
            fprintf(fp, "    tile %.0f %-10s |x| up to %.4g (state %.4g after scale %g)\n",
                    num(s, "tile"), str(s, "compartment"), num(s, "max_abs"),
                    num(s, "state_max_abs"), num(s, "scale"));
        }
    }
    const cJSON *df = cJSON_GetObjectItemCaseSensitive(rep, "defects");
    if (df) {
        fprintf(fp,
                "defects: %.0f dead tiles of %.0f, %.0f dead links; %s; %.0f program tiles on "
                "dead tiles",
                num(df, "dead_tiles"), num(df, "tiles"), num(df, "dead_links"),
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(df, "remap"))
                    ? "placed and routed around"
                    : "not mapped around (defects.remap false)",
                num(df, "program_tiles_on_dead_tiles"));
        if (cJSON_GetObjectItemCaseSensitive(df, "routes_detoured"))
            fprintf(fp, ", %.0f routes detoured, %.0f spike copies lost in dead links",
                    num(df, "routes_detoured"), num(df, "packets_lost_in_dead_links"));
        fputc('\n', fp);
        if (num(df, "stuck_compartments_used") + num(df, "dead_synapses_used") +
                num(df, "weights_on_stuck_cells") + num(df, "crossbar_columns_moved") >
            0)
            fprintf(fp,
                    "  inside tiles: %.0f compartments on stuck slots, %.0f synapses on dead "
                    "entries, %.0f crossbar weights on stuck cells (%.3g%% of the weight, worst "
                    "tile), %.0f crossbar columns moved around stuck cells\n",
                    num(df, "stuck_compartments_used"), num(df, "dead_synapses_used"),
                    num(df, "weights_on_stuck_cells"), 100 * num(df, "crossbar_weight_lost"),
                    num(df, "crossbar_columns_moved"));
    }
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(rep, "routing");
    if (rt) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(rt, "router");
        fprintf(fp,
                "routing: %.0f packets per inference, %.4g router cycles per step; late spikes "
                "%.0f of %.0f received",
                num(rt, "packets_per_inference"), num(rt, "cycles_per_step"),
                num(rt, "late_spikes"), num(rt, "spikes_received"));
        if (n)
            fprintf(fp,
                    "; dropped %.0f; latency mean %.1f, p99 %.0f, max %.0f cycles; busiest link "
                    "%.2f%% of capacity",
                    num(n, "packets_dropped"), num(n, "latency_mean"), num(n, "latency_p99"),
                    num(n, "latency_max"), 100 * num(n, "link_utilization_max"));
        fputc('\n', fp);
        const cJSON *bd = cJSON_GetObjectItemCaseSensitive(rt, "board");
        if (bd) {
            fprintf(fp,
                    "board %s: %.0f chips, %.0f packets crossed chip links, %.0f synchronization "
                    "windows of %g ns (the router figures above are chip 0's)\n",
                    str(bd, "name"), num(bd, "chips"), num(bd, "link_packets"),
                    num(bd, "sync_windows"), num(bd, "window_ns"));
            const cJSON *l;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(bd, "links"))
            {
                fprintf(fp, "  link %s-%s: %.0f / %.0f packets, utilization %.2f%% / %.2f%%\n",
                        str(l, "a"), str(l, "b"), num(l, "packets_ab"), num(l, "packets_ba"),
                        100 * num(l, "utilization_ab"), 100 * num(l, "utilization_ba"));
            }
        }
        print_error(fp, "error from routing alone:",
                    cJSON_GetObjectItemCaseSensitive(rt, "error_from_routing"));
    }
    const cJSON *nz = cJSON_GetObjectItemCaseSensitive(rep, "noise");
    if (nz) {
        fprintf(fp, "noise robustness (%.0f chip instances, %.0f samples):\n", num(nz, "instances"),
                num(nz, "samples"));
        print_error(fp,
                    "predicted, all sources:", cJSON_GetObjectItemCaseSensitive(nz, "predicted"));
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(nz, "budget"))
            fprintf(fp, "    budget %-14s rmse %.4g\n", b->string, b->valuedouble);
    }
    const cJSON *me = cJSON_GetObjectItemCaseSensitive(rep, "measured");
    if (me) {
        print_error(fp, "measured:", me);
        if (!isnan(num(me, "accuracy")))
            fprintf(fp, "  accuracy %.4f (reference %.4f) over %.0f samples\n", num(me, "accuracy"),
                    num(me, "reference_accuracy"), num(me, "samples"));
    }
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(rep, "energy");
    if (en)
        fprintf(fp, "energy per inference: %.4g nJ (tiles %.4g nJ, router %.4g nJ)\n",
                num(en, "per_inference_pj") * 1e-3, num(en, "tiles_pj") * 1e-3,
                num(en, "router_pj") * 1e-3);
}
