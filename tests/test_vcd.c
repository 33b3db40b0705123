/* VCD output (formats/cx_vcd.h) read back by a parser written from IEEE
 * 1364: header, declarations, strictly increasing times, exact reals, spike
 * pulses, identifiers, errors, disk full. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_vcd.h"
#include "test_util.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

/* ---- a VCD reader, independent of the writer ---- */

enum { MAXVARS = 512 };

typedef struct {
    uint64_t t;
    double v; /* reals; 0 or 1 for wires */
} change;

typedef struct {
    char id[16], name[128], type[16];
    int size;
    change *ch;
    size_t n, cap;
} vcd_var;

typedef struct {
    char version[64], timescale[32], module[256];
    int has_date, has_dumpvars;
    vcd_var vars[MAXVARS];
    size_t nvars;
    size_t ntimes;
    uint64_t last_time;
} vcd_doc;

static char *next_token(char **cursor)
{
    char *p = *cursor;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (!*p) return NULL;
    char *start = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p) *p++ = '\0';
    *cursor = p;
    return start;
}

/* The tokens up to $end joined by single spaces. */
static void section(char **cursor, char *out, size_t n)
{
    out[0] = '\0';
    for (char *tok; (tok = next_token(cursor)) && strcmp(tok, "$end") != 0;) {
        if (out[0]) strncat(out, " ", n - strlen(out) - 1);
        strncat(out, tok, n - strlen(out) - 1);
    }
}

static vcd_var *find_var(vcd_doc *d, const char *id)
{
    for (size_t i = 0; i < d->nvars; i++)
        if (strcmp(d->vars[i].id, id) == 0) return &d->vars[i];
    ck_abort_msg("change for undeclared identifier '%s'", id);
    return NULL;
}

static void add_change(vcd_var *v, uint64_t t, double value)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 64;
        v->ch = realloc(v->ch, v->cap * sizeof *v->ch);
    }
    v->ch[v->n++] = (change){t, value};
}

static vcd_doc *vcd_parse(const char *path)
{
    uint8_t *text;
    size_t size;
    ck_assert_msg(cx_read_file(path, &text, &size) == CX_OK, "%s", cx_last_error());
    vcd_doc *d = calloc(1, sizeof *d);
    char *cur = (char *)text, *tok, buf[256];
    int in_body = 0, have_time = 0;
    while ((tok = next_token(&cur))) {
        if (!in_body) {
            if (strcmp(tok, "$version") == 0)
                section(&cur, d->version, sizeof d->version);
            else if (strcmp(tok, "$timescale") == 0)
                section(&cur, d->timescale, sizeof d->timescale);
            else if (strcmp(tok, "$date") == 0) {
                d->has_date = 1;
                section(&cur, buf, sizeof buf);
            } else if (strcmp(tok, "$comment") == 0)
                section(&cur, buf, sizeof buf);
            else if (strcmp(tok, "$scope") == 0) {
                section(&cur, buf, sizeof buf);
                ck_assert_msg(strncmp(buf, "module ", 7) == 0, "scope '%s'", buf);
                snprintf(d->module, sizeof d->module, "%s", buf + 7);
            } else if (strcmp(tok, "$var") == 0) {
                ck_assert_uint_lt(d->nvars, MAXVARS);
                vcd_var *v = &d->vars[d->nvars++];
                section(&cur, buf, sizeof buf);
                ck_assert_int_eq(
                    sscanf(buf, "%15s %d %15s %127s", v->type, &v->size, v->id, v->name), 4);
            } else if (strcmp(tok, "$upscope") == 0)
                section(&cur, buf, sizeof buf);
            else if (strcmp(tok, "$enddefinitions") == 0) {
                section(&cur, buf, sizeof buf);
                in_body = 1;
            } else
                ck_abort_msg("unexpected header token '%s'", tok);
            continue;
        }
        if (tok[0] == '#') {
            char *end;
            uint64_t t = strtoull(tok + 1, &end, 10);
            ck_assert_msg(*end == '\0', "bad time '%s'", tok);
            ck_assert_msg(!have_time || t > d->last_time, "time %s after %llu", tok,
                          (unsigned long long)d->last_time);
            d->last_time = t;
            have_time = 1;
            d->ntimes++;
        } else if (strcmp(tok, "$dumpvars") == 0) {
            ck_assert_msg(d->ntimes == 1, "$dumpvars not in the first block");
            d->has_dumpvars = 1;
        } else if (strcmp(tok, "$end") == 0) {
        } else if (tok[0] == 'r') {
            ck_assert(have_time);
            char *end;
            double v = strtod(tok + 1, &end);
            ck_assert_msg(*end == '\0', "bad real '%s'", tok);
            vcd_var *var = find_var(d, next_token(&cur));
            ck_assert_str_eq(var->type, "real");
            add_change(var, d->last_time, v);
        } else if (tok[0] == '0' || tok[0] == '1') {
            ck_assert(have_time);
            vcd_var *var = find_var(d, tok + 1);
            ck_assert_str_eq(var->type, "wire");
            add_change(var, d->last_time, tok[0] - '0');
        } else
            ck_abort_msg("unexpected token '%s'", tok);
    }
    ck_assert_msg(in_body, "no $enddefinitions");
    free(text);
    return d;
}

static void vcd_doc_free(vcd_doc *d)
{
    for (size_t i = 0; i < d->nvars; i++)
        free(d->vars[i].ch);
    free(d);
}

/* Value at time t: the last change at or before t; NAN before the first. */
static double value_at(const vcd_var *v, uint64_t t)
{
    double val = NAN;
    for (size_t i = 0; i < v->n && v->ch[i].t <= t; i++)
        val = v->ch[i].v;
    return val;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t xorshift(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int file_exists(const char *path)
{
    return cx_path_exists(path);
}

static char *tmp_of(const char *path)
{
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    return tmp;
}

/* ---- VCD ---- */

enum { NR = 6, NW = 3, NSAMP = 200, DT = 10 };

static double signal_value(int r, int k)
{
    static const double specials[] = {-0.0,     0.0,    DBL_MIN / 3, DBL_MAX,
                                      -DBL_MAX, 1e-300, 5e-324,      1.0 / 3.0};
    switch (r) {
    case 0:
        return sin(k * 0.1) * 1e-3 + 1.0 / 3.0;
    case 1:
        return 0.1;
    case 2:
        return floor(k / 7.0) * 0.25;
    case 3: {
        uint64_t bits = xorshift();
        if (((bits >> 52) & 0x7ff) == 0x7ff) bits &= ~(1ull << 60); /* finite */
        double v;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    case 4:
        return specials[(k / 3) % 8];
    default:
        return k < 100 ? INFINITY : -INFINITY;
    }
}

/* Ticks at which wire w spikes. */
static int spikes_at(int w, uint64_t t)
{
    switch (w) {
    case 0:
        return t % (5 * DT) == 0 && t < NSAMP * DT; /* with the samples */
    case 1:
        return t % (3 * DT) == 3 && t < NSAMP * DT; /* between samples */
    default:
        return t == 500 || t == 501 || t == 502 || t == (NSAMP - 1) * DT;
    }
}

static void write_round_trip(const char *path, double (*vals)[NR])
{
    cx_vcd *vcd;
    ck_assert_msg(cx_vcd_open(path, "1 us", "tile 0", &vcd) == CX_OK, "%s", cx_last_error());
    static const char *reals[NR] = {"x 0", "const", "steps", "rand-bits", "specials", "1st"};
    static const char *wires[NW] = {"spike a", "spk_b", "spk.c"};
    for (size_t i = 0; i < NR; i++) {
        size_t index;
        ck_assert_int_eq(cx_vcd_add_real(vcd, reals[i], &index), CX_OK);
        ck_assert_uint_eq(index, i);
    }
    for (size_t i = 0; i < NW; i++) {
        size_t index;
        ck_assert_int_eq(cx_vcd_add_wire(vcd, wires[i], &index), CX_OK);
        ck_assert_uint_eq(index, i);
    }
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < NSAMP; k++) {
        uint64_t t = (uint64_t)k * DT;
        for (int r = 0; r < NR; r++)
            vals[k][r] = signal_value(r, k);
        /* Spikes before the sample, after it, and a sample replaced at the same time. */
        if (k % 10 == 0 && spikes_at(0, t)) ck_assert_int_eq(cx_vcd_spike(vcd, t, 0), CX_OK);
        if (k == 50) {
            double junk[NR] = {1, 2, 3, 4, 5, 6};
            ck_assert_int_eq(cx_vcd_sample(vcd, t, junk), CX_OK);
        }
        ck_assert_int_eq(cx_vcd_sample(vcd, t, vals[k]), CX_OK);
        for (uint64_t s = t; s < t + DT; s++)
            for (size_t w = 0; w < NW; w++)
                if (spikes_at((int)w, s) && !(w == 0 && k % 10 == 0))
                    ck_assert_msg(cx_vcd_spike(vcd, s, w) == CX_OK, "%s", cx_last_error());
    }
    ck_assert_msg(cx_vcd_close(vcd) == CX_OK, "%s", cx_last_error());
}

START_TEST(vcd_round_trip)
{
    char *path = cx_test_tmp("round.vcd");
    double(*vals)[NR] = malloc(NSAMP * sizeof *vals);
    write_round_trip(path, vals);
    char *tmp = tmp_of(path);
    ck_assert(!file_exists(tmp));
    vcd_doc *d = vcd_parse(path);

    ck_assert_str_eq(d->version, "cortile");
    ck_assert_str_eq(d->timescale, "1 us");
    ck_assert_str_eq(d->module, "tile_0");
    ck_assert_int_eq(d->has_date, 0);
    ck_assert_int_eq(d->has_dumpvars, 1);
    ck_assert_uint_eq(d->nvars, NR + NW);
    static const char *names[NR + NW] = {"x_0",  "const",   "steps", "rand_bits", "specials",
                                         "_1st", "spike_a", "spk_b", "spk_c"};
    for (size_t i = 0; i < d->nvars; i++) {
        ck_assert_str_eq(d->vars[i].name, names[i]);
        ck_assert_str_eq(d->vars[i].type, i < NR ? "real" : "wire");
        ck_assert_int_eq(d->vars[i].size, i < NR ? 64 : 1);
    }

    /* Every sample reads back bit for bit, and only changes were written. */
    for (int r = 0; r < NR; r++) {
        const vcd_var *v = &d->vars[r];
        size_t changes = 0;
        for (int k = 0; k < NSAMP; k++) {
            double got = value_at(v, (uint64_t)k * DT);
            ck_assert_msg(same_bits(got, vals[k][r]), "%s at sample %d: %.17g, want %.17g", v->name,
                          k, got, vals[k][r]);
            changes += k == 0 || !same_bits(vals[k][r], vals[k - 1][r]);
        }
        ck_assert_uint_eq(v->n, changes);
    }
    ck_assert_uint_eq(d->vars[1].n, 1); /* the constant is written once */

    /* Wires: 1 on each spike tick, 0 on the next unless it spikes again. */
    for (int w = 0; w < NW; w++) {
        const vcd_var *v = &d->vars[NR + w];
        ck_assert_uint_eq(v->ch[0].t, 0);
        for (size_t i = 1; i < v->n; i++)
            ck_assert_msg(v->ch[i].v != v->ch[i - 1].v, "%s: redundant change at %llu", v->name,
                          (unsigned long long)v->ch[i].t);
        for (uint64_t t = 0; t < NSAMP * DT + 5; t++)
            ck_assert_msg(value_at(v, t) == spikes_at(w, t), "%s at %llu: %g", v->name,
                          (unsigned long long)t, value_at(v, t));
    }
    /* The last spike's fall is the last block. */
    ck_assert_uint_eq(d->last_time, (NSAMP - 1) * DT + 1);
    vcd_doc_free(d);

    /* The same calls give the same bytes. */
    char *again = cx_test_tmp("round2.vcd");
    write_round_trip(again, vals);
    uint8_t *a, *b;
    size_t na, nb;
    ck_assert_int_eq(cx_read_file(path, &a, &na), CX_OK);
    ck_assert_int_eq(cx_read_file(again, &b, &nb), CX_OK);
    ck_assert_uint_eq(na, nb);
    ck_assert_mem_eq(a, b, na);
    free(a);
    free(b);
    free(again);
    free(vals);
    free(tmp);
    free(path);
}
END_TEST

static int compare_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* GTKWave's own reader, when installed: vcd2fst, then back with fst2vcd (which
 * prints reals with 16 digits, hence the tolerance). */
START_TEST(vcd_gtkwave_reads_it)
{
    if (system("command -v vcd2fst >/dev/null 2>&1 && command -v fst2vcd >/dev/null 2>&1") != 0) {
        printf("vcd_gtkwave_reads_it: vcd2fst/fst2vcd (gtkwave) absent, skipped\n");
        return;
    }
    char *path = cx_test_tmp("gtk.vcd"), *fst = cx_test_tmp("gtk.fst"),
         *back = cx_test_tmp("gtk-back.vcd");
    double(*vals)[NR] = malloc(NSAMP * sizeof *vals);
    write_round_trip(path, vals);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "vcd2fst '%s' -f '%s' >/dev/null 2>&1 && fst2vcd -f '%s' -o '%s' >/dev/null 2>&1",
             path, fst, fst, back);
    ck_assert_int_eq(system(cmd), 0);
    vcd_doc *a = vcd_parse(path), *b = vcd_parse(back);
    ck_assert_str_eq(b->module, "tile_0");
    ck_assert_uint_eq(b->nvars, a->nvars);
    for (size_t i = 0; i < a->nvars; i++) {
        const vcd_var *va = &a->vars[i], *vb = &b->vars[i];
        ck_assert_str_eq(vb->name, va->name);
        ck_assert_str_eq(vb->type, va->type);
        for (uint64_t t = 0; t < NSAMP * DT + 5; t++) {
            double x = value_at(va, t), y = value_at(vb, t);
            if (isnan(x) || isinf(x))
                ck_assert(same_bits(x, y) || (isnan(x) && isnan(y)));
            else if (fabs(x) == DBL_MAX) /* 16 digits round it up to infinity */
                ck_assert(fabs(y) >= DBL_MAX && signbit(x) == signbit(y));
            else
                ck_assert_msg(fabs(x - y) <= 1e-15 * fabs(x), "%s at %llu: %.17g vs %.17g",
                              va->name, (unsigned long long)t, x, y);
        }
    }
    vcd_doc_free(a);
    vcd_doc_free(b);
    free(vals);
    free(path);
    free(fst);
    free(back);
}
END_TEST

START_TEST(vcd_identifiers)
{
    /* Bijective: every id distinct, printable, and as short as possible. */
    enum { N = 94 + 94 * 94 + 100 };
    char(*ids)[CX_VCD_ID_MAX] = malloc(N * sizeof *ids);
    for (size_t i = 0; i < N; i++) {
        cx_vcd_id(i, ids[i]);
        size_t len = strlen(ids[i]);
        ck_assert_uint_eq(len, i < 94 ? 1 : i < 94 + 94 * 94 ? 2 : 3);
        for (size_t c = 0; c < len; c++)
            ck_assert(ids[i][c] >= 33 && ids[i][c] <= 126);
    }
    qsort(ids, N, sizeof *ids, compare_ids);
    for (size_t i = 1; i < N; i++)
        ck_assert_str_ne(ids[i], ids[i - 1]);
    free(ids);

    /* 200 signals in one file: unique ids, each reads back its own values. */
    enum { NS = 200, NK = 20 };
    char *path = cx_test_tmp("many.vcd");
    cx_vcd *vcd;
    ck_assert_int_eq(cx_vcd_open(path, "10ns", "bank", &vcd), CX_OK);
    char name[32];
    for (int i = 0; i < NS; i++) {
        snprintf(name, sizeof name, "x[%d]", i);
        ck_assert_int_eq(cx_vcd_add_real(vcd, name, NULL), CX_OK);
    }
    double v[NS];
    for (int k = 0; k < NK; k++) {
        for (int i = 0; i < NS; i++)
            v[i] = i + 0.001 * k * (i % 3);
        ck_assert_int_eq(cx_vcd_sample(vcd, (uint64_t)k, v), CX_OK);
    }
    ck_assert_int_eq(cx_vcd_close(vcd), CX_OK);
    vcd_doc *d = vcd_parse(path);
    ck_assert_str_eq(d->timescale, "10 ns");
    ck_assert_uint_eq(d->nvars, NS);
    for (int i = 0; i < NS; i++) {
        snprintf(name, sizeof name, "x_%d_", i);
        ck_assert_str_eq(d->vars[i].name, name);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(d->vars[i].id, d->vars[j].id);
        for (int k = 0; k < NK; k++)
            ck_assert(same_bits(value_at(&d->vars[i], (uint64_t)k), i + 0.001 * k * (i % 3)));
        ck_assert_uint_eq(d->vars[i].n, i % 3 ? NK : 1);
    }
    vcd_doc_free(d);
    free(path);
}
END_TEST

/* Asserts status and that the message contains want. */
static void expect(cx_status got, cx_status status, const char *want)
{
    ck_assert_msg(got == status, "status %s, want %s (%s)", cx_status_name(got),
                  cx_status_name(status), cx_last_error());
    ck_assert_msg(strstr(cx_last_error(), want), "'%s' does not name '%s'", cx_last_error(), want);
}

START_TEST(vcd_errors)
{
    cx_vcd *vcd = (cx_vcd *)1;
    expect(cx_vcd_open("/nonexistent-dir/w.vcd", "1 ns", "m", &vcd), CX_ERR_IO,
           "/nonexistent-dir/w.vcd");
    ck_assert_ptr_null(vcd);
    char *path = cx_test_tmp("err.vcd");
    expect(cx_vcd_open(path, "2 ns", "m", &vcd), CX_ERR_VALUE, "timescale '2 ns'");
    expect(cx_vcd_open(path, "1 hours", "m", &vcd), CX_ERR_VALUE, "timescale");
    expect(cx_vcd_open(path, NULL, "m", &vcd), CX_ERR_VALUE, "timescale");

    ck_assert_int_eq(cx_vcd_open(path, "100 ps", NULL, &vcd), CX_OK);
    ck_assert_int_eq(cx_vcd_add_real(vcd, "a", NULL), CX_OK);
    ck_assert_int_eq(cx_vcd_add_wire(vcd, "s", NULL), CX_OK);
    double one = 1;
    expect(cx_vcd_sample(vcd, 5, NULL), CX_ERR_VALUE, "without values");
    ck_assert_int_eq(cx_vcd_sample(vcd, 5, &one), CX_OK);
    expect(cx_vcd_add_real(vcd, "late", NULL), CX_ERR_VALUE, "'late' declared after");
    expect(cx_vcd_sample(vcd, 4, &one), CX_ERR_VALUE, "time 4 is before the previous time 5");
    expect(cx_vcd_spike(vcd, 3, 0), CX_ERR_VALUE, "time 3 is before");
    expect(cx_vcd_spike(vcd, 6, 1), CX_ERR_VALUE, "wire 1, only 1 declared");
    /* Nothing at path until the close: a crash leaves only path.tmp. */
    char *tmp = tmp_of(path);
    ck_assert(!file_exists(path));
    ck_assert(file_exists(tmp));
    cx_vcd_discard(vcd);
    ck_assert(!file_exists(tmp));
    ck_assert(!file_exists(path));

    /* An empty dump is still a valid file. */
    ck_assert_int_eq(cx_vcd_open(path, "1 s", "empty", &vcd), CX_OK);
    ck_assert_int_eq(cx_vcd_close(vcd), CX_OK);
    vcd_doc *d = vcd_parse(path);
    ck_assert_uint_eq(d->nvars, 0);
    ck_assert_uint_eq(d->ntimes, 0);
    vcd_doc_free(d);
    cx_vcd_discard(NULL);
    ck_assert_int_eq(cx_vcd_close(NULL), CX_OK);
    free(tmp);
    free(path);
}
END_TEST

START_TEST(vcd_disk_full)
{
    /* A file size limit makes writes fail like a full disk (EFBIG). */
    char *path = cx_test_tmp("full.vcd"), *tmp = tmp_of(path);
    cx_test_write(path, "old", 3);
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100000;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    cx_vcd *vcd;
    ck_assert_int_eq(cx_vcd_open(path, "1 ns", "m", &vcd), CX_OK);
    ck_assert_int_eq(cx_vcd_add_real(vcd, "a", NULL), CX_OK);
    cx_status st = CX_OK;
    for (uint64_t t = 0; t < 100000 && st == CX_OK; t++) {
        double v = (double)t / 3;
        st = cx_vcd_sample(vcd, t, &v);
    }
    ck_assert_int_eq(st, CX_ERR_IO); /* reported as soon as a write fails */
    st = cx_vcd_close(vcd);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    expect(st, CX_ERR_IO, path);
    ck_assert(!file_exists(tmp));
    uint8_t *text;
    size_t n;
    ck_assert_int_eq(cx_read_file(path, &text, &n), CX_OK);
    ck_assert_str_eq((char *)text, "old"); /* untouched */
    free(text);
    free(tmp);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vcd");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, vcd_round_trip);
    tcase_add_test(tc, vcd_gtkwave_reads_it);
    tcase_add_test(tc, vcd_identifiers);
    tcase_add_test(tc, vcd_errors);
    tcase_add_test(tc, vcd_disk_full);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
