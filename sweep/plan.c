/* The plan of a sweep: which grid cells share a compiled program, which are
 * invalid, and the hash of everything the results depend on. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include "cx_fileio.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The compile-key rule. cx_compile reads the chip description in three
 * places, and nowhere else:
 * - the lowering (lower_*.c, place.c, cx_lower_begin): mesh size, the first
 *   host port (tiles are placed nearest to it), tile resources (compartments,
 *   somas, synapse entries, dendrite arrays, rows, cols, readout channels),
 *   compartment gain_max and param_bits, the rails, the chip's name; AER
 *   source ids use the default format, not router.packet_bits;
 * - the calibration run that rescales states into the rails: the chip with
 *   every noise source off (cx_chip_with_source(chip, -1)) on the fast
 *   kernel, so no noise.* key and nothing of the router takes part, and the
 *   quantization-only keys below are never read (tile_build.c reads them
 *   only when noise.quantization is enabled; full_scale_mv only converts
 *   kT/C noise);
 * - reports (routing prediction, resources), which are not part of the
 *   program and which the sweep does not keep.
 * A netlist that a chip instance rejects (cx_exec_alloc validates it again
 * at run time) fails the point when it runs. Everything else in the chip
 * description is part of the key. */
static const char *const PROGRAM_INVARIANT[] = {
    "description",
    "acceleration",
    "noise",
    "energy",
    "tile.synapses.weight_bits",
    "tile.dendrite.weight_bits",
    "tile.readout.adc_bits",
    "tile.compartment.tau_spacing",
    "tile.rails.full_scale_mv",
    NULL,
};

static void remove_path(cJSON *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *obj = root;
    char *save = NULL, *tok = strtok_r(buf, ".", &save);
    for (;;) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, tok);
            return;
        }
        obj = cJSON_GetObjectItemCaseSensitive(obj, tok);
        if (!obj) return;
        tok = next;
    }
}

char *cx_sweep_compile_key(const cx_chip_config *chip)
{
    cJSON *j = cx_chip_to_json(chip);
    if (!j) return NULL;
    for (const char *const *k = PROGRAM_INVARIANT; *k; k++)
        remove_path(j, *k);
    /* of the router only the host ports matter (placement) */
    cJSON *router = cJSON_GetObjectItemCaseSensitive(j, "router");
    for (cJSON *c = router ? router->child : NULL, *next; c; c = next) {
        next = c->next;
        if (strcmp(c->string, "hosts")) cJSON_DeleteItemFromObjectCaseSensitive(router, c->string);
    }
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

/* ------------------------------------------------------------ hashing */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static cx_status hash_file(uint64_t *h, const char *path)
{
    uint8_t *buf;
    size_t n;
    CX_TRY(cx_read_file(path, &buf, &n));
    *h = cx_sweep_hash(*h, &n, sizeof n);
    *h = cx_sweep_hash(*h, buf, n);
    free(buf);
    return CX_OK;
}

/* A file's bytes, or every regular file of a folder in name order. */
static cx_status hash_path(uint64_t *h, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return cx_fail(CX_ERR_IO, "%s: cannot read", path);
    if (!S_ISDIR(sb.st_mode)) return hash_file(h, path);
    DIR *d = opendir(path);
    if (!d) return cx_fail(CX_ERR_IO, "%s: cannot list the folder", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    cx_status st = CX_OK;
    for (struct dirent *e; st == CX_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **g = realloc(names, cap * sizeof *g);
            if (!g) {
                st = cx_fail(CX_ERR_NOMEM, "out of memory");
                break;
            }
            names = g;
        }
        if (!(names[n] = strdup(e->d_name))) st = cx_fail(CX_ERR_NOMEM, "out of memory");
        n += names[n] != NULL;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && st == CX_OK; i++) {
        char *p = cx_path_join(path, names[i]);
        if (!p) {
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
            break;
        }
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            *h = cx_sweep_hash(*h, names[i], strlen(names[i]) + 1);
            st = hash_file(h, p);
        }
        free(p);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    return cx_sweep_hash(h, s, strlen(s) + 1);
}

/* ------------------------------------------------------------ groups */

typedef struct {
    size_t cap;
    uint64_t *hash;
    char **key;
    int *group;
} key_table;

/* The group of key (a new one when unseen); takes ownership of key. */
static int table_group(key_table *t, cx_sweep_plan *p, char *key, size_t cell)
{
    uint64_t h = hash_str(CX_SWEEP_HASH_INIT, key);
    size_t i = (size_t)(h % t->cap);
    while (t->key[i]) {
        if (t->hash[i] == h && !strcmp(t->key[i], key)) {
            free(key);
            return t->group[i];
        }
        i = (i + 1) % t->cap;
    }
    t->key[i] = key;
    t->hash[i] = h;
    t->group[i] = (int)p->n_groups;
    p->group_cell[p->n_groups] = cell;
    return (int)p->n_groups++;
}

cx_status cx_sweep_plan_build(const cx_sweep_spec *s, cx_sweep_plan **out)
{
    *out = NULL;
    size_t n = cx_sweep_cells(s);
    cx_sweep_plan *p = calloc(1, sizeof *p);
    key_table t = {.cap = 2 * n + 1};
    if (p) {
        p->n_cells = n;
        p->group = malloc(n * sizeof *p->group);
        p->cell_error = calloc(n, sizeof *p->cell_error);
        p->group_cell = malloc(n * sizeof *p->group_cell);
    }
    t.hash = malloc(t.cap * sizeof *t.hash);
    t.key = calloc(t.cap, sizeof *t.key);
    t.group = malloc(t.cap * sizeof *t.group);
    cx_status st = CX_OK;
    if (!p || !p->group || !p->cell_error || !p->group_cell || !t.hash || !t.key || !t.group)
        st = cx_fail(CX_ERR_NOMEM, "out of memory");
    uint64_t h = hash_str(CX_SWEEP_HASH_INIT, "cortile sweep 1");
    for (size_t c = 0; st == CX_OK && c < s->n_cols; c++)
        h = hash_str(h, s->col_names[c]);
    if (st == CX_OK) {
        h = cx_sweep_hash(h, s->seeds, s->n_seeds * sizeof *s->seeds);
        long v[4] = {s->router, s->samples, s->calib_path != NULL, s->calib_samples};
        h = cx_sweep_hash(h, v, sizeof v);
    }
    for (size_t cell = 0; st == CX_OK && cell < n; cell++) {
        cx_chip_config chip;
        if (cx_sweep_cell_chip(s, cell, &chip) != CX_OK) {
            p->group[cell] = -1;
            if (!(p->cell_error[cell] = strdup(cx_last_error())))
                st = cx_fail(CX_ERR_NOMEM, "out of memory");
            else
                h = hash_str(h, p->cell_error[cell]);
            continue;
        }
        cJSON *j = cx_chip_to_json(&chip);
        char *full = j ? cJSON_PrintUnformatted(j) : NULL;
        char *key = cx_sweep_compile_key(&chip);
        cJSON_Delete(j);
        cx_chip_free(&chip);
        if (!full || !key) {
            free(full);
            free(key);
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
            break;
        }
        h = hash_str(h, full);
        free(full);
        p->group[cell] = table_group(&t, p, key, cell);
    }
    if (st == CX_OK) st = hash_path(&h, s->model_dir);
    if (st == CX_OK) st = hash_path(&h, s->inputs_path);
    if (st == CX_OK && s->calib_path) st = hash_path(&h, s->calib_path);
    for (size_t i = 0; t.key && i < t.cap; i++)
        free(t.key[i]);
    free(t.hash);
    free(t.key);
    free(t.group);
    if (st != CX_OK) {
        cx_sweep_plan_free(p);
        return st;
    }
    p->hash = h;
    *out = p;
    return CX_OK;
}

void cx_sweep_plan_free(cx_sweep_plan *p)
{
    if (!p) return;
    for (size_t c = 0; p->cell_error && c < p->n_cells; c++)
        free(p->cell_error[c]);
    free(p->cell_error);
    free(p->group);
    free(p->group_cell);
    free(p);
}
