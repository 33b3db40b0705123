/* Sweep pictures: the CSV reader, the statistics behind the plots (against
 * hand-computed values), axis ticks, well-formed SVG/HTML, and errors. */
#include "cx_plot.h"
#include "cx_fileio.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void write_text(const char *path, const char *text)
{
    cx_test_write(path, text, strlen(text));
}

static void expect_status(cx_status got, cx_status want)
{
    ck_assert_msg(got == want, "status %s, want %s (%s)", cx_status_name(got), cx_status_name(want),
                  cx_last_error());
}

/* ---- a tiny XML well-formedness check: tags balance, attributes are quoted,
 * every '&' starts an entity, no raw '<' or '>' in text or attributes ---- */

static int entity_ok(const char *p)
{
    static const char *const names[] = {"&amp;",  "&lt;",  "&gt;", "&quot;",
                                        "&apos;", "&#39;", "&#10;"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(p, names[i], strlen(names[i])) == 0) return 1;
    return 0;
}

/* NULL when well-formed, else what is wrong (static buffer). */
static const char *xml_problem(const char *s)
{
    static char why[256];
    char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            if (!entity_ok(p)) return snprintf(why, sizeof why, "bad entity at %.20s", p), why;
            p++;
            continue;
        }
        if (*p == '>') return snprintf(why, sizeof why, "raw '>' in text at %.20s", p), why;
        if (*p != '<') {
            p++;
            continue;
        }
        if (strncmp(p, "<?", 2) == 0) {
            const char *e = strstr(p, "?>");
            if (!e) return "unterminated <?";
            p = e + 2;
            continue;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p, "-->");
            if (!e) return "unterminated comment";
            p = e + 3;
            continue;
        }
        if (strncmp(p, "<!", 2) == 0) { /* DOCTYPE */
            const char *e = strchr(p, '>');
            if (!e) return "unterminated <!";
            p = e + 1;
            continue;
        }
        int closing = p[1] == '/';
        p += closing ? 2 : 1;
        char name[64];
        size_t n = 0;
        while (*p && !strchr(" \t\n/>", *p) && n < sizeof name - 1)
            name[n++] = *p++;
        name[n] = '\0';
        if (n == 0) return snprintf(why, sizeof why, "empty tag name at %.20s", p), why;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                return snprintf(why, sizeof why, "</%s> closes <%s>", name,
                                depth ? stack[depth - 1] : "(nothing)"),
                       why;
            depth--;
            while (*p == ' ')
                p++;
            if (*p != '>') return snprintf(why, sizeof why, "junk in </%s>", name), why;
            p++;
            continue;
        }
        /* attributes: name="value" */
        for (;;) {
            while (*p && strchr(" \t\n", *p))
                p++;
            if (*p == '>' || (p[0] == '/' && p[1] == '>')) break;
            if (!*p) return "unterminated tag";
            while (*p && *p != '=' && *p != '>' && !strchr(" \t\n", *p))
                p++;
            if (*p != '=' || (p[1] != '"' && p[1] != '\''))
                return snprintf(why, sizeof why, "unquoted attribute in <%s> at %.20s", name, p),
                       why;
            char q = p[1];
            p += 2;
            while (*p && *p != q) {
                if (*p == '<')
                    return snprintf(why, sizeof why, "'<' in an attribute of <%s>", name), why;
                if (*p == '&' && !entity_ok(p))
                    return snprintf(why, sizeof why, "bad entity in <%s>: %.20s", name, p), why;
                p++;
            }
            if (!*p) return "unterminated attribute";
            p++;
        }
        if (*p == '/') {
            p += 2;
            if (depth == 0) roots++;
            continue;
        }
        p++;
        if (depth == 0) roots++;
        if (depth == 64) return "nested too deep";
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
    }
    if (depth) return snprintf(why, sizeof why, "<%s> never closed", stack[depth - 1]), why;
    if (roots != 1) return snprintf(why, sizeof why, "%d root elements", roots), why;
    return NULL;
}

static char *read_svg(const char *path)
{
    char *s = cx_test_slurp(path, NULL);
    const char *why = xml_problem(s);
    ck_assert_msg(why == NULL, "%s is not well-formed: %s", path, why);
    ck_assert_msg(strstr(s, "viewBox=\"0 0 720 440\"") != NULL, "%s: no viewBox", path);
    ck_assert_msg(!strstr(s, "nan") && !strstr(s, "inf\""), "%s: a NaN or inf coordinate", path);
    return s;
}

/* ---- tables built by hand ---- */

enum { MAXR = 32, MAXC = 4 };
typedef struct {
    const char *names[MAXC];
    int is_text[MAXC];
    double num[MAXR * MAXC];
    const char *text[MAXR * MAXC];
    cx_plot_table t;
} hand_table;

/* Columns named in `names`; cells as strings ("" = missing; text columns by is_text). */
static void hand_init(hand_table *h, int n_cols, const char *const *names, const int *is_text,
                      size_t n_rows, const char *const *cells)
{
    ck_assert(n_cols <= MAXC && n_rows <= MAXR);
    memset(h, 0, sizeof *h);
    for (int c = 0; c < n_cols; c++) {
        h->names[c] = names[c];
        h->is_text[c] = is_text[c];
    }
    for (size_t r = 0; r < n_rows; r++)
        for (int c = 0; c < n_cols; c++) {
            const char *s = cells[r * (size_t)n_cols + (size_t)c];
            size_t i = r * (size_t)n_cols + (size_t)c;
            h->num[i] = NAN;
            if (is_text[c])
                h->text[i] = s;
            else if (*s)
                h->num[i] = strtod(s, NULL);
        }
    h->t = (cx_plot_table){n_cols, h->names, h->is_text, n_rows, h->num, h->text};
}

/* x (number), y (number), s (text): the grouping fixture. */
static void stats_fixture(hand_table *h)
{
    static const char *const names[] = {"x", "y", "s"};
    static const int is_text[] = {0, 0, 1};
    static const char *const cells[] = {
        "1", "2", "b", /* b first: series follow their first appearance */
        "1", "1", "a", "1",   "3", "a", "1", "5", "a", "2", "10", "a", "2", "", "a", /* missing y */
        "",  "7", "a",                                                               /* missing x */
        "1", "4", "b", "0.5", "8", "b", "3", "1", "", /* missing series */
    };
    hand_init(h, 3, names, is_text, 10, cells);
}

static void check_point(const cx_plot_point *p, double x, double mean, double std, double lo,
                        double hi, size_t n)
{
    ck_assert_double_eq(p->x, x);
    ck_assert_double_eq_tol(p->mean, mean, 1e-12);
    ck_assert_double_eq_tol(p->std, std, 1e-12);
    ck_assert_double_eq(p->min, lo);
    ck_assert_double_eq(p->max, hi);
    ck_assert_uint_eq(p->n, n);
}

START_TEST(group_stats_by_hand)
{
    hand_table h;
    stats_fixture(&h);
    cx_plot_groups g;
    ck_assert_msg(cx_plot_group_stats(&h.t, "x", "y", "s", 0, 0, &g) == CX_OK, "%s",
                  cx_last_error());
    ck_assert_int_eq(g.x_is_text, 0);
    ck_assert_uint_eq(g.n_series, 2);
    ck_assert_uint_eq(g.n_used, 7);
    ck_assert_uint_eq(g.skipped_missing, 3);
    ck_assert_str_eq(g.series[0].label, "b");
    ck_assert_str_eq(g.series[1].label, "a");
    /* b: x 0.5 -> {8}; x 1 -> {2, 4}: mean 3, std sqrt(2). */
    ck_assert_uint_eq(g.series[0].n_points, 2);
    check_point(&g.series[0].points[0], 0.5, 8, 0, 8, 8, 1);
    check_point(&g.series[0].points[1], 1, 3, sqrt(2.0), 2, 4, 2);
    /* a: x 1 -> {1, 3, 5}: mean 3, sample std 2; x 2 -> {10}. */
    ck_assert_uint_eq(g.series[1].n_points, 2);
    check_point(&g.series[1].points[0], 1, 3, 2, 1, 5, 3);
    check_point(&g.series[1].points[1], 2, 10, 0, 10, 10, 1);
    cx_plot_groups_free(&g);

    /* One series: every row with x and y, series ignored. */
    ck_assert_int_eq(cx_plot_group_stats(&h.t, "x", "y", NULL, 0, 0, &g), CX_OK);
    ck_assert_uint_eq(g.n_series, 1);
    ck_assert_ptr_null(g.series[0].label);
    ck_assert_uint_eq(g.n_used, 8);
    ck_assert_uint_eq(g.series[0].n_points, 4);
    /* x 1 -> {2, 1, 3, 5, 4}: mean 3, std sqrt(2.5). */
    check_point(&g.series[0].points[1], 1, 3, sqrt(2.5), 1, 5, 5);
    check_point(&g.series[0].points[3], 3, 1, 0, 1, 1, 1);
    cx_plot_groups_free(&g);
}
END_TEST

START_TEST(group_stats_numeric_series_and_categories)
{
    static const char *const names[] = {"mode", "acc", "bits"};
    static const int is_text[] = {1, 0, 0};
    static const char *const cells[] = {
        "slow", "0.5", "8", "fast", "0.7", "4", "slow", "0.6", "8",
        "mid",  "0.9", "4", "fast", "0.8", "8", "fast", "0.2", "4",
    };
    hand_table h;
    hand_init(&h, 3, names, is_text, 6, cells);
    cx_plot_groups g;
    ck_assert_int_eq(cx_plot_group_stats(&h.t, "mode", "acc", "bits", 0, 0, &g), CX_OK);
    ck_assert_int_eq(g.x_is_text, 1);
    ck_assert_uint_eq(g.n_categories, 3);
    ck_assert_str_eq(g.categories[0], "slow"); /* as they come, not sorted */
    ck_assert_str_eq(g.categories[1], "fast");
    ck_assert_str_eq(g.categories[2], "mid");
    ck_assert_uint_eq(g.n_series, 2);
    ck_assert_str_eq(g.series[0].label, "4"); /* numeric series ascending */
    ck_assert_str_eq(g.series[1].label, "8");
    /* bits 4: fast {0.7, 0.2} at 1, mid {0.9} at 2. */
    ck_assert_uint_eq(g.series[0].n_points, 2);
    check_point(&g.series[0].points[0], 1, 0.45, sqrt(0.125), 0.2, 0.7, 2);
    check_point(&g.series[0].points[1], 2, 0.9, 0, 0.9, 0.9, 1);
    /* bits 8: slow {0.5, 0.6} at 0, fast {0.8} at 1. */
    check_point(&g.series[1].points[0], 0, 0.55, sqrt(0.005), 0.5, 0.6, 2);
    check_point(&g.series[1].points[1], 1, 0.8, 0, 0.8, 0.8, 1);
    cx_plot_groups_free(&g);
}
END_TEST

START_TEST(group_stats_log_axes)
{
    static const char *const names[] = {"x", "y"};
    static const int is_text[] = {0, 0};
    static const char *const cells[] = {"0", "1", "1", "2", "10", "-1", "10", "4", "-5", "3"};
    hand_table h;
    hand_init(&h, 2, names, is_text, 5, cells);
    cx_plot_groups g;
    ck_assert_int_eq(cx_plot_group_stats(&h.t, "x", "y", NULL, 1, 1, &g), CX_OK);
    ck_assert_uint_eq(g.skipped_log_x, 2);
    ck_assert_uint_eq(g.skipped_log_y, 1);
    ck_assert_uint_eq(g.n_used, 2);
    ck_assert_uint_eq(g.series[0].n_points, 2);
    check_point(&g.series[0].points[1], 10, 4, 0, 4, 4, 1);
    cx_plot_groups_free(&g);
    /* Equal values average to themselves exactly (0.1 * 3 / 3 is not 0.1). */
    static const char *const same[] = {"1", "0.1", "1", "0.1", "1", "0.1"};
    hand_init(&h, 2, names, is_text, 3, same);
    ck_assert_int_eq(cx_plot_group_stats(&h.t, "x", "y", NULL, 0, 0, &g), CX_OK);
    ck_assert(g.series[0].points[0].mean == 0.1);
    ck_assert(g.series[0].points[0].std == 0);
    cx_plot_groups_free(&g);
}
END_TEST

START_TEST(grid_stats_by_hand)
{
    static const char *const names[] = {"x", "y", "z"};
    static const int is_text[] = {0, 1, 0};
    static const char *const cells[] = {
        "1", "lo", "1", "2", "lo", "5", "1", "hi", "4", "1", "lo", "3", "2", "hi", "",
    };
    hand_table h;
    hand_init(&h, 3, names, is_text, 5, cells);
    cx_plot_grid g;
    ck_assert_int_eq(cx_plot_grid_stats(&h.t, "x", "y", "z", &g), CX_OK);
    ck_assert_uint_eq(g.nx, 2);
    ck_assert_uint_eq(g.ny, 2);
    ck_assert_str_eq(g.x_labels[0], "1");
    ck_assert_str_eq(g.x_labels[1], "2");
    ck_assert_str_eq(g.y_labels[0], "lo");
    ck_assert_str_eq(g.y_labels[1], "hi");
    ck_assert_double_eq(g.mean[0], 2); /* (1, lo): {1, 3} */
    ck_assert_double_eq(g.mean[1], 5); /* (2, lo) */
    ck_assert_double_eq(g.mean[2], 4); /* (1, hi) */
    ck_assert(isnan(g.mean[3]));       /* (2, hi): its only row has no z */
    ck_assert_uint_eq(g.n[0], 2);
    ck_assert_uint_eq(g.n[3], 0);
    ck_assert_double_eq(g.lo, 2);
    ck_assert_double_eq(g.hi, 5);
    ck_assert_uint_eq(g.skipped, 1);
    cx_plot_grid_free(&g);
}
END_TEST

/* ---- ticks and numbers ---- */

static void expect_labels(const cx_plot_ticks *tk, const char *joined)
{
    char got[512] = "";
    for (int i = 0; i < tk->n_major; i++) {
        strcat(got, i ? " " : "");
        strcat(got, tk->label[i]);
    }
    ck_assert_str_eq(got, joined);
}

START_TEST(ticks_linear)
{
    cx_plot_ticks tk;
    cx_plot_axis_ticks(-0.03, 1.04, 0, 6, &tk);
    expect_labels(&tk, "0 0.2 0.4 0.6 0.8 1.0");
    cx_plot_axis_ticks(0.05, 0.75, 0, 7, &tk);
    expect_labels(&tk, "0.1 0.2 0.3 0.4 0.5 0.6 0.7"); /* no 0.30000000000000004 */
    cx_plot_axis_ticks(-17, 42, 0, 6, &tk);
    expect_labels(&tk, "-10 0 10 20 30 40");
    cx_plot_axis_ticks(0, 3.1e6, 0, 6, &tk);
    expect_labels(&tk, "0 5e5 1e6 1.5e6 2e6 2.5e6 3e6");
    cx_plot_axis_ticks(1e-6, 5.2e-5, 0, 5, &tk);
    expect_labels(&tk, "1e-5 2e-5 3e-5 4e-5 5e-5");
    cx_plot_axis_ticks(0.855, 1.045, 0, 6, &tk);
    expect_labels(&tk, "0.90 0.95 1.00");
    /* Empty or non-finite ranges give no ticks rather than a loop. */
    cx_plot_axis_ticks(1, 1, 0, 6, &tk);
    ck_assert_int_eq(tk.n_major, 0);
    cx_plot_axis_ticks(0, INFINITY, 0, 6, &tk);
    ck_assert_int_eq(tk.n_major, 0);
}
END_TEST

START_TEST(ticks_log)
{
    cx_plot_ticks tk;
    cx_plot_axis_ticks(0.7, 1500, 1, 6, &tk);
    expect_labels(&tk, "1 10 100 1000");
    /* Minor: 0.7, 0.8, 0.9, then 2..9 x 1, 10, 100 (2000 is past 1500). */
    ck_assert_int_eq(tk.n_minor, 3 + 8 * 3);
    int has_08 = 0, has_900 = 0;
    for (int i = 0; i < tk.n_minor; i++) {
        has_08 |= tk.minor[i] == 0.8;
        has_900 |= tk.minor[i] == 900;
    }
    ck_assert(has_08 && has_900);
    /* Two decades: 1-2-5 labels; under one decade: every digit. */
    cx_plot_axis_ticks(0.008, 0.97, 1, 6, &tk);
    expect_labels(&tk, "0.01 0.02 0.05 0.1 0.2 0.5");
    cx_plot_axis_ticks(2.5, 9.5, 1, 6, &tk);
    expect_labels(&tk, "3 4 5 6 7 8 9");
    /* Thirteen decades: every third labelled, the others minor. */
    cx_plot_axis_ticks(1e-6, 1e6, 1, 6, &tk);
    expect_labels(&tk, "1e-6 0.001 1 1000 1e6");
    ck_assert_int_eq(tk.n_minor, 8);
}
END_TEST

START_TEST(format_values)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {{0.1, "0.1"},
                 {1000, "1000"},
                 {1e-6, "1e-6"},
                 {2.5e6, "2.5e6"},
                 {-0.0, "0"},
                 {123456, "123456"},
                 {0.30000000000000004, "0.30000000000000004"},
                 {1.0 / 3, "0.3333333333333333"},
                 {NAN, "nan"},
                 {-INFINITY, "-inf"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[40];
        cx_plot_format_value(cases[i].v, out, sizeof out);
        ck_assert_str_eq(out, cases[i].s);
    }
}
END_TEST

/* ---- CSV ---- */

START_TEST(csv_quoting)
{
    char *path = cx_test_tmp("quoted.csv");
    /* BOM, CRLF and LF, quoted commas, doubled quotes, a newline in a cell,
     * empty cells, a blank line, no newline at the end. */
    write_text(path, "\xef\xbb\xbfname,\"x, in volts\",note,y\r\n"
                     "alpha,1,\"say \"\"hi\"\"\",0.5\r\n"
                     "\"beta, gamma\",2,\"two\nlines\",\n"
                     "\n"
                     "delta,,,\" 7 \"\n"
                     "eps,1e-3,\"\",-inf");
    cx_plot_table t;
    cx_plot_owned *own;
    ck_assert_msg(cx_plot_read_csv(path, &t, &own) == CX_OK, "%s", cx_last_error());
    ck_assert_int_eq(t.n_cols, 4);
    ck_assert_uint_eq(t.n_rows, 4);
    ck_assert_str_eq(t.names[0], "name");
    ck_assert_str_eq(t.names[1], "x, in volts");
    ck_assert_int_eq(cx_plot_column(&t, "x, in volts"), 1);
    ck_assert_int_eq(cx_plot_column(&t, "nope"), -1);
    ck_assert_int_eq(t.is_text[0], 1);
    ck_assert_int_eq(t.is_text[1], 0);
    ck_assert_int_eq(t.is_text[2], 1);
    ck_assert_int_eq(t.is_text[3], 0);
    ck_assert_str_eq(t.text[0 * 4 + 0], "alpha");
    ck_assert_str_eq(t.text[1 * 4 + 0], "beta, gamma");
    ck_assert_str_eq(t.text[0 * 4 + 2], "say \"hi\"");
    ck_assert_str_eq(t.text[1 * 4 + 2], "two\nlines");
    ck_assert_str_eq(t.text[2 * 4 + 2], "");
    ck_assert_ptr_null(t.text[0 * 4 + 1]); /* numeric cells have no text */
    ck_assert(isnan(t.num[0 * 4 + 0]));    /* text cells have no number */
    ck_assert_double_eq(t.num[0 * 4 + 1], 1);
    ck_assert_double_eq(t.num[3 * 4 + 1], 1e-3);
    ck_assert(isnan(t.num[2 * 4 + 1])); /* empty = NaN */
    ck_assert(isnan(t.num[1 * 4 + 3]));
    ck_assert_double_eq(t.num[2 * 4 + 3], 7); /* spaces around a number */
    ck_assert(isinf(t.num[3 * 4 + 3]) && t.num[3 * 4 + 3] < 0);
    cx_plot_owned_free(own);

    /* Header only: a valid table without rows. */
    write_text(path, "a,b\n");
    ck_assert_int_eq(cx_plot_read_csv(path, &t, &own), CX_OK);
    ck_assert_uint_eq(t.n_rows, 0);
    ck_assert_int_eq(t.n_cols, 2);
    cx_plot_owned_free(own);
    free(path);
}
END_TEST

static void expect_csv_error(const char *text, cx_status want, const char *message_after_path)
{
    char *path = cx_test_tmp("bad.csv");
    write_text(path, text);
    cx_plot_table t;
    cx_plot_owned *own = (cx_plot_owned *)1;
    expect_status(cx_plot_read_csv(path, &t, &own), want);
    ck_assert_ptr_null(own);
    char want_msg[512];
    snprintf(want_msg, sizeof want_msg, "%s%s", path, message_after_path);
    ck_assert_str_eq(cx_last_error(), want_msg);
    free(path);
}

START_TEST(csv_errors)
{
    /* The ragged row starts on line 4: the quoted cell above spans two lines. */
    expect_csv_error("a,b,c\n1,\"x\ny\",3\n4,5\n", CX_ERR_FORMAT, ":4: 2 fields, the header has 3");
    expect_csv_error("a,b\n1,2,3\n", CX_ERR_FORMAT, ":2: 3 fields, the header has 2");
    expect_csv_error("a,b\n1,\"open\n2,3\n", CX_ERR_FORMAT,
                     ":2: field 2: quote opened here is never closed");
    expect_csv_error("a,b\n\"x\"y,2\n", CX_ERR_FORMAT,
                     ":2: field 1: 'y' after the closing quote (a quote inside a quoted field is "
                     "written \"\")");
    expect_csv_error("a,b,a\n1,2,3\n", CX_ERR_FORMAT,
                     ":1: column 'a' appears twice (columns 1 and 3)");
    expect_csv_error("a,,c\n1,2,3\n", CX_ERR_FORMAT, ":1: column 2 has no name");
    expect_csv_error("\n\n", CX_ERR_FORMAT, ": empty file, no header row");
    cx_plot_table t;
    cx_plot_owned *own;
    expect_status(cx_plot_read_csv("/nonexistent/results.csv", &t, &own), CX_ERR_IO);
    ck_assert(strstr(cx_last_error(), "/nonexistent/results.csv") != NULL);
}
END_TEST

/* ---- pictures ---- */

START_TEST(line_svg_markers_legend)
{
    hand_table h;
    stats_fixture(&h);
    char *path = cx_test_tmp("line.svg");
    cx_plot_style st = {.title = "rmse <vs> noise & \"friends\"", .y_label = "rmse (V)"};
    ck_assert_msg(cx_plot_line_svg(path, &h.t, "x", "y", "s", &st) == CX_OK, "%s", cx_last_error());
    char *svg = read_svg(path);
    /* One marker per (series, x): 2 for b, 2 for a; a legend entry per series. */
    ck_assert_uint_eq(count(svg, "class=\"marker\""), 4);
    ck_assert(strstr(svg, "class=\"legend\"") != NULL);
    ck_assert(strstr(svg, ">b</text>") && strstr(svg, ">a</text>"));
    ck_assert(strstr(svg, "rmse &lt;vs&gt; noise &amp; &quot;friends&quot;") != NULL);
    ck_assert(strstr(svg, ">rmse (V)</text>") != NULL);
    ck_assert(strstr(svg, ">x</text>") != NULL); /* x label defaults to the column */
    /* Tooltips carry n; bands and error bars exist where n > 1. */
    ck_assert(strstr(svg, "mean 3 (n = 3)&#10;std 2, min 1, max 5") != NULL);
    ck_assert_uint_eq(count(svg, "class=\"band\""), 2); /* both spread at x 1 */
    ck_assert(strstr(svg, "skipped: 3 rows with a missing value") != NULL);
    free(svg);

    /* One series: no legend. */
    ck_assert_int_eq(cx_plot_line_svg(path, &h.t, "x", "y", NULL, NULL), CX_OK);
    svg = read_svg(path);
    ck_assert_uint_eq(count(svg, "class=\"marker\""), 4);
    ck_assert_ptr_null(strstr(svg, "class=\"legend\""));
    ck_assert(strstr(svg, "<title>y vs x</title>") != NULL);
    free(svg);
    free(path);
}
END_TEST

START_TEST(line_svg_log_and_degenerate)
{
    static const char *const names[] = {"bits", "err"};
    static const int is_text[] = {0, 0};
    static const char *const cells[] = {"1000", "0.2", "1", "0.5", "10",   "0.3",
                                        "100",  "0.1", "0", "0.9", "1000", "0.4"};
    hand_table h;
    hand_init(&h, 2, names, is_text, 6, cells);
    char *path = cx_test_tmp("log.svg");
    cx_plot_style st = {.log_x = 1};
    ck_assert_int_eq(cx_plot_line_svg(path, &h.t, "bits", "err", NULL, &st), CX_OK);
    char *svg = read_svg(path);
    ck_assert_uint_eq(count(svg, "class=\"marker\""), 4);
    /* Decades labelled, minor ticks between, the x = 0 row noted. */
    ck_assert(strstr(svg, "class=\"tick\"") != NULL);
    const char *labels[] = {">1</text>", ">10</text>", ">100</text>", ">1000</text>"};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(strstr(svg, labels[i]) != NULL, "no tick %s", labels[i]);
    ck_assert(strstr(svg, "1 row with bits \xe2\x89\xa4 0 (log axis)") != NULL);
    free(svg);

    /* A single x and a constant y: a padded range, finite coordinates. */
    static const char *const one[] = {"5", "0.25", "5", "0.25", "5", "0.25"};
    hand_init(&h, 2, names, is_text, 3, one);
    ck_assert_int_eq(cx_plot_line_svg(path, &h.t, "bits", "err", NULL, NULL), CX_OK);
    svg = read_svg(path);
    ck_assert_uint_eq(count(svg, "class=\"marker\""), 1);
    ck_assert(strstr(svg, ">5.0</text>") != NULL);
    ck_assert(strstr(svg, ">0.25</text>") != NULL);
    free(svg);
    st = (cx_plot_style){.log_x = 1, .log_y = 1};
    ck_assert_int_eq(cx_plot_line_svg(path, &h.t, "bits", "err", NULL, &st), CX_OK);
    free(read_svg(path));
    free(path);
}
END_TEST

START_TEST(line_svg_categorical)
{
    static const char *const names[] = {"encoder", "energy", "tile"};
    static const int is_text[] = {1, 0, 1};
    static const char *const cells[] = {"rate",  "3", "t<0>", "graded", "2", "t<0>",
                                        "burst", "5", "t<1>", "rate",   "4", "t<1>"};
    hand_table h;
    hand_init(&h, 3, names, is_text, 4, cells);
    char *path = cx_test_tmp("cat.svg");
    ck_assert_int_eq(cx_plot_line_svg(path, &h.t, "encoder", "energy", "tile", NULL), CX_OK);
    char *svg = read_svg(path);
    ck_assert_uint_eq(count(svg, "class=\"marker\""), 4);
    const char *r = strstr(svg, ">rate</text>"), *g = strstr(svg, ">graded</text>"),
               *b = strstr(svg, ">burst</text>");
    ck_assert_msg(r && g && b && r < g && g < b, "categories not in the order given");
    ck_assert(strstr(svg, ">t&lt;0&gt;</text>") != NULL);
    free(svg);
    free(path);
}
END_TEST

START_TEST(heatmap_cells_and_colorbar)
{
    static const char *const names[] = {"noise", "bits", "rmse"};
    static const int is_text[] = {0, 0, 0};
    /* 3 noise x 2 bits, one cell without rows, two seeds in some. */
    static const char *const cells[] = {"0",   "4",   "0.2", "0",   "4",   "0.4", "0.1", "4",
                                        "0.5", "0.3", "4",   "0.9", "0",   "8",   "0.1", "0.1",
                                        "8",   "0.3", "0.1", "8",   "0.2", "0.3", "",    "0.7"};
    hand_table h;
    hand_init(&h, 3, names, is_text, 8, cells);
    cx_plot_grid g;
    ck_assert_int_eq(cx_plot_grid_stats(&h.t, "noise", "bits", "rmse", &g), CX_OK);
    ck_assert_double_eq_tol(g.lo, 0.1, 1e-15);
    ck_assert_double_eq_tol(g.hi, 0.9, 1e-15);
    char *path = cx_test_tmp("heat.svg");
    cx_plot_style st = {.z_label = "rmse (V)"};
    ck_assert_msg(cx_plot_heatmap_svg(path, &h.t, "noise", "bits", "rmse", &st) == CX_OK, "%s",
                  cx_last_error());
    char *svg = read_svg(path);
    ck_assert_uint_eq(count(svg, "class=\"cell\""), 3 * 2);
    ck_assert_uint_eq(count(svg, "no rows</title>"), 1);
    char lohi[128];
    snprintf(lohi, sizeof lohi, "data-lo=\"%.17g\" data-hi=\"%.17g\"", g.lo, g.hi);
    ck_assert_msg(strstr(svg, lohi) != NULL, "colour bar is not %s", lohi);
    ck_assert(strstr(svg, ">0.3</text>") != NULL); /* (0, 4): mean of 0.2 and 0.4 */
    ck_assert(strstr(svg, ">rmse (V)</text>") != NULL);
    ck_assert(strstr(svg, "1 row with a missing value") && strstr(svg, "1 cell without rows"));
    free(svg);
    cx_plot_grid_free(&g);

    /* A constant z still gets a colour bar of non-zero height. */
    static const char *const flat[] = {"0", "4", "1", "1", "4", "1"};
    hand_init(&h, 3, names, is_text, 2, flat);
    ck_assert_int_eq(cx_plot_heatmap_svg(path, &h.t, "noise", "bits", "rmse", NULL), CX_OK);
    svg = read_svg(path);
    ck_assert_uint_eq(count(svg, "class=\"cell\""), 2);
    free(svg);
    free(path);
}
END_TEST

START_TEST(index_html)
{
    char *dir = cx_test_tmp("sweep-index");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    char *csv = cx_path_join(dir, "results.csv");
    write_text(csv, "noise,encoder,rmse\n0,rate,0.1\n0.1,rate,0.2\n0,a&b,0.15\n");
    cx_plot_entry pics[] = {{"rmse_vs_noise.svg", "rmse <vs> noise"}, {"heat map.svg", NULL}};
    cx_plot_entry data[] = {{"results.csv", "one row per run"}, {"results.jsonl", NULL}};
    ck_assert_msg(cx_plot_index_html(dir, "Sweep <1> & co", "Noise \"sweep\".\nSecond line.", pics,
                                     2, data, 2) == CX_OK,
                  "%s", cx_last_error());
    char *index = cx_path_join(dir, "index.html");
    char *html = cx_test_slurp(index, NULL);
    const char *why = xml_problem(html);
    ck_assert_msg(why == NULL, "index.html: %s", why);
    ck_assert(strstr(html, "<title>Sweep &lt;1&gt; &amp; co</title>") != NULL);
    ck_assert(strstr(html, "Noise &quot;sweep&quot;.\nSecond line.") != NULL);
    ck_assert(strstr(html, "<img src=\"rmse_vs_noise.svg\" alt=\"rmse &lt;vs&gt; noise\"") != NULL);
    ck_assert(strstr(html, "<img src=\"heat%20map.svg\"") != NULL);
    ck_assert(strstr(html, "<figcaption>heat map.svg</figcaption>") != NULL);
    ck_assert(strstr(html, "<a href=\"results.csv\">") != NULL);
    ck_assert(strstr(html, "<a href=\"results.jsonl\">") != NULL);
    /* The columns of results.csv stand in for the axes. */
    ck_assert(strstr(html, "Columns of results.csv") != NULL);
    ck_assert(strstr(html, ">0, 0.1</td>") != NULL);
    ck_assert(strstr(html, ">rate, a&amp;b</td>") != NULL);
    free(html);

    cx_plot_axis axes[] = {{"noise.thermal", "0, 0.1"}, {"encoder", "rate, <graded>"}};
    ck_assert_int_eq(cx_plot_index_html_axes(dir, "Sweep", NULL, axes, 2, pics, 1, data, 1), CX_OK);
    html = cx_test_slurp(index, NULL);
    ck_assert_ptr_null(xml_problem(html));
    ck_assert(strstr(html, "<h2>Axes</h2>") != NULL);
    ck_assert(strstr(html, ">rate, &lt;graded&gt;</td>") != NULL);
    ck_assert_ptr_null(strstr(html, "Columns of"));
    free(html);

    expect_status(cx_plot_index_html("/nonexistent/sweep", "t", NULL, pics, 1, data, 1), CX_ERR_IO);
    ck_assert(strstr(cx_last_error(), "/nonexistent/sweep/index.html") != NULL);
    free(index);
    free(csv);
    free(dir);
}
END_TEST

/* ---- errors ---- */

START_TEST(bad_inputs)
{
    hand_table h;
    stats_fixture(&h);
    char *path = cx_test_tmp("err.svg");
    char want[512];
    expect_status(cx_plot_line_svg(path, &h.t, "x", "nope", NULL, NULL), CX_ERR_MISSING);
    snprintf(want, sizeof want, "%s: no column 'nope' (for y) in the table; columns: x, y, s",
             path);
    ck_assert_str_eq(cx_last_error(), want);
    expect_status(cx_plot_line_svg(path, &h.t, "x", "s", NULL, NULL), CX_ERR_DTYPE);
    snprintf(want, sizeof want, "%s: column 's' (for y) is text, numbers are needed", path);
    ck_assert_str_eq(cx_last_error(), want);
    expect_status(cx_plot_line_svg(path, &h.t, "x", "y", "ghost", NULL), CX_ERR_MISSING);
    ck_assert(strstr(cx_last_error(), "'ghost'") != NULL);
    expect_status(cx_plot_heatmap_svg(path, &h.t, "x", "y", "s", NULL), CX_ERR_DTYPE);
    ck_assert(strstr(cx_last_error(), "column 's' (for z)") != NULL);
    expect_status(cx_plot_heatmap_svg(path, &h.t, "x", "nope", "y", NULL), CX_ERR_MISSING);

    cx_plot_table empty = h.t;
    empty.n_rows = 0;
    expect_status(cx_plot_line_svg(path, &empty, "x", "y", NULL, NULL), CX_ERR_VALUE);
    snprintf(want, sizeof want, "%s: the table has no rows", path);
    ck_assert_str_eq(cx_last_error(), want);
    expect_status(cx_plot_heatmap_svg(path, &empty, "x", "y", "y", NULL), CX_ERR_VALUE);

    /* Every row misses y: nothing to draw is an error, not an empty picture. */
    static const char *const names[] = {"x", "y"};
    static const int is_text[] = {0, 0};
    static const char *const cells[] = {"1", "", "2", ""};
    hand_table none;
    hand_init(&none, 2, names, is_text, 2, cells);
    expect_status(cx_plot_line_svg(path, &none.t, "x", "y", NULL, NULL), CX_ERR_VALUE);
    snprintf(want, sizeof want, "%s: no row to plot: of 2 rows, 2 without x 'x', y 'y'", path);
    ck_assert_str_eq(cx_last_error(), want);
    cx_plot_style lg = {.log_y = 1};
    static const char *const neg[] = {"1", "-1", "2", "0"};
    hand_init(&none, 2, names, is_text, 2, neg);
    expect_status(cx_plot_line_svg(path, &none.t, "x", "y", NULL, &lg), CX_ERR_VALUE);
    snprintf(want, sizeof want, "%s: no row to plot: of 2 rows, 2 with y <= 0 on a log axis", path);
    ck_assert_str_eq(cx_last_error(), want);

    expect_status(cx_plot_line_svg("/nonexistent/dir/p.svg", &h.t, "x", "y", NULL, NULL),
                  CX_ERR_IO);
    ck_assert(strstr(cx_last_error(), "/nonexistent/dir/p.svg") != NULL);
    expect_status(cx_plot_heatmap_svg("/nonexistent/dir/h.svg", &h.t, "x", "y", "y", NULL),
                  CX_ERR_IO);
    ck_assert(!cx_path_exists(path)); /* no half-written or stray file on failure */
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, group_stats_by_hand);
    tcase_add_test(tc, group_stats_numeric_series_and_categories);
    tcase_add_test(tc, group_stats_log_axes);
    tcase_add_test(tc, grid_stats_by_hand);
    tcase_add_test(tc, ticks_linear);
    tcase_add_test(tc, ticks_log);
    tcase_add_test(tc, format_values);
    tcase_add_test(tc, csv_quoting);
    tcase_add_test(tc, csv_errors);
    tcase_add_test(tc, line_svg_markers_legend);
    tcase_add_test(tc, line_svg_log_and_degenerate);
    tcase_add_test(tc, line_svg_categorical);
    tcase_add_test(tc, heatmap_cells_and_colorbar);
    tcase_add_test(tc, index_html);
    tcase_add_test(tc, bad_inputs);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
