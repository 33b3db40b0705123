/* YAML reader: tree with line info, strict typed accessors, schema checks,
 * overrides and the writer. Error tests assert the whole FILE:LINE prefix. */
#include "cx_yaml.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Line numbers below are part of the assertions: keep this text stable. */
static const char CHIP[] = "# chip description\n"         /* 1 */
                           "name: demo\n"                 /* 2 */
                           "tile:\n"                      /* 3 */
                           "  cores: 4\n"                 /* 4 */
                           "  enabled: true\n"            /* 5 */
                           "  label: '5'\n"               /* 6 */
                           "  noise:\n"                   /* 7 */
                           "    thermal_sigma: 0.02\n"    /* 8 */
                           "    seed: ~\n"                /* 9 */
                           "  compartment:\n"             /* 10 */
                           "    tau_max_ms: 80\n"         /* 11 */
                           "    tau_min_ms: -3\n"         /* 12 */
                           "    taus_ms: [1, 2.5, 1e1]\n" /* 13 */
                           "    gains: [1, 2, -7, 4]\n"   /* 14 */
                           "layers:\n"                    /* 15 */
                           "  - size: 784\n"              /* 16 */
                           "  - size: 100\n"              /* 17 */
                           "    kind: \"glifr\"\n";       /* 18 */

static cx_yaml_doc *load(const char *text)
{
    cx_yaml_doc *doc = NULL;
    cx_status st = cx_yaml_load_string("chip.yaml", text, &doc);
    ck_assert_msg(st == CX_OK, "load failed: %s", cx_last_error());
    return doc;
}

/* Asserts status and the exact error message. */
static void expect_error(cx_status got, cx_status want, const char *msg)
{
    ck_assert_msg(got == want, "status %s, want %s (%s)", cx_status_name(got), cx_status_name(want),
                  cx_last_error());
    ck_assert_str_eq(cx_last_error(), msg);
}

static void expect_load_error(const char *text, cx_status want, const char *msg)
{
    cx_yaml_doc *doc = (cx_yaml_doc *)1;
    expect_error(cx_yaml_load_string("bad.yaml", text, &doc), want, msg);
    ck_assert_ptr_null(doc);
}

START_TEST(tree_keeps_lines_paths_and_quoting)
{
    cx_yaml_doc *doc = load(CHIP);
    const cx_yaml_node *root = doc->root, *n;
    ck_assert_int_eq(root->kind, CX_YAML_MAPPING);
    ck_assert_uint_eq(root->n, 3);
    ck_assert_str_eq(root->keys[1]->value, "tile"); /* file order */
    ck_assert_str_eq(root->keys[2]->value, "layers");
    n = cx_yaml_find(root, "tile.noise.thermal_sigma");
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(n->value, "0.02");
    ck_assert_str_eq(n->path, "tile.noise.thermal_sigma");
    ck_assert_str_eq(n->file, "chip.yaml");
    ck_assert_int_eq(n->line, 8);
    ck_assert_int_eq(n->col, 20);
    ck_assert_int_eq(n->quoted, 0);
    ck_assert_int_eq(cx_yaml_find(root, "tile.label")->quoted, 1);
    ck_assert_int_eq(cx_yaml_find(root, "tile.noise")->line, 8);
    ck_assert(cx_yaml_is_null(cx_yaml_find(root, "tile.noise.seed")));
    /* Indices as [i] or .i, and paths of sequence items. */
    n = cx_yaml_find(root, "layers[1].kind");
    ck_assert_str_eq(n->value, "glifr");
    ck_assert_str_eq(n->path, "layers[1].kind");
    ck_assert_ptr_eq(cx_yaml_find(root, "layers.1.kind"), n);
    ck_assert_ptr_eq(cx_yaml_find(cx_yaml_find(root, "layers"), "[1].kind"), n);
    ck_assert_ptr_eq(cx_yaml_get(cx_yaml_find(root, "layers[1]"), "kind"), n);
    ck_assert_ptr_eq(cx_yaml_find(root, ""), root);
    ck_assert_ptr_null(cx_yaml_find(root, "layers[2]"));
    ck_assert_ptr_null(cx_yaml_find(root, "tile.nope"));
    ck_assert_ptr_null(cx_yaml_find(root, "name.x"));
    ck_assert_ptr_null(cx_yaml_get(root, "tile.cores")); /* get takes one key, not a path */
    cx_yaml_free(doc);
}
END_TEST

START_TEST(malformed_yaml_names_file_line_col)
{
    expect_load_error("a: b: c\n", CX_ERR_FORMAT,
                      "bad.yaml:1:5: mapping values are not allowed in this context");
    expect_load_error("a: 1\nb: [1, 2\nc: 3\n", CX_ERR_FORMAT,
                      "bad.yaml:3:2: did not find expected ',' or ']' (while parsing a flow "
                      "sequence at line 2)");
    expect_load_error("a:\n  b: 1\n c: 2\n", CX_ERR_FORMAT,
                      "bad.yaml:3:2: did not find expected key (while parsing a block mapping "
                      "at line 1)");
    expect_load_error("a: 'open\n", CX_ERR_FORMAT,
                      "bad.yaml:2:1: found unexpected end of stream (while scanning a quoted "
                      "scalar at line 1)");
    expect_load_error("a: 1\n\tb: 2\n", CX_ERR_FORMAT,
                      "bad.yaml:2:1: found a tab character that violates indentation (while "
                      "scanning a plain scalar at line 1)");
    expect_load_error("a: 1\n\xff\n", CX_ERR_FORMAT, "bad.yaml:2:1: invalid leading UTF-8 octet");
    expect_load_error("a: 1\nb: *nope\n", CX_ERR_FORMAT, "bad.yaml:2:4: unknown anchor 'nope'");
    expect_load_error("a: 1\n---\nb: 2\n", CX_ERR_UNSUPPORTED,
                      "bad.yaml:2:1: a second YAML document; one document per file is supported");
    expect_load_error("a: !custom 1\n", CX_ERR_UNSUPPORTED,
                      "bad.yaml:1:4: tag '!custom' is not supported");
    expect_load_error("? [a]\n: 1\n", CX_ERR_UNSUPPORTED,
                      "bad.yaml:1:3: a sequence as a mapping key is not supported");
    expect_load_error("# nothing\n", CX_ERR_FORMAT, "bad.yaml: empty YAML document");
    char deep[200] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    expect_load_error(deep, CX_ERR_UNSUPPORTED, "bad.yaml:1:66: nested deeper than 64 levels");
}
END_TEST

START_TEST(duplicate_keys_name_both_lines)
{
    expect_load_error("tile:\n  tau: 1\n  gain: 2\n  tau: 3\n", CX_ERR_FORMAT,
                      "bad.yaml:4:3: duplicate key 'tau' in 'tile' (first at line 2)");
    expect_load_error("a: 1\nb: 2\n\"a\": 3\n", CX_ERR_FORMAT,
                      "bad.yaml:3:1: duplicate key 'a' (first at line 1)");
    expect_load_error("xs:\n  - {k: 1, k: 2}\n", CX_ERR_FORMAT,
                      "bad.yaml:2:12: duplicate key 'k' in 'xs[0]' (first at line 2)");
    /* The same key in sibling mappings is fine. */
    cx_yaml_doc *doc = load("a: {k: 1}\nb: {k: 2}\n");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(unknown_keys_suggest_or_list)
{
    cx_yaml_doc *doc = load("tile:\n  compartment:\n    tau_min: 1\n    tau_mn: 2\n"
                            "    thermal_sgima: 0\n    wibble: 3\n");
    const cx_yaml_node *comp = cx_yaml_find(doc->root, "tile.compartment");
    const char *const all[] = {"tau_min", "tau_mn", "thermal_sgima", "wibble", NULL};
    ck_assert_int_eq(cx_yaml_check_keys(comp, all), CX_OK);
    const char *const a1[] = {"tau_min", "thermal_sgima", "wibble", NULL};
    expect_error(cx_yaml_check_keys(comp, a1), CX_ERR_FORMAT,
                 "chip.yaml:4: unknown key 'tau_mn' in 'tile.compartment' (did you mean "
                 "'tau_min'?)");
    const char *const a2[] = {"tau_min", "tau_mn", "thermal_sigma", "wibble", NULL};
    expect_error(cx_yaml_check_keys(comp, a2), CX_ERR_FORMAT,
                 "chip.yaml:5: unknown key 'thermal_sgima' in 'tile.compartment' (did you mean "
                 "'thermal_sigma'?)");
    const char *const a3[] = {"tau_min", "tau_mn", "thermal_sgima", "gain", "bias", NULL};
    expect_error(cx_yaml_check_keys(comp, a3), CX_ERR_FORMAT,
                 "chip.yaml:6: unknown key 'wibble' in 'tile.compartment' (allowed: tau_min, "
                 "tau_mn, thermal_sgima, gain, bias)");
    const char *const top[] = {"tiles", NULL};
    expect_error(cx_yaml_check_keys(doc->root, top), CX_ERR_FORMAT,
                 "chip.yaml:1: unknown key 'tile' (did you mean 'tiles'?)");
    expect_error(cx_yaml_check_keys(cx_yaml_find(doc->root, "tile.compartment.tau_min"), top),
                 CX_ERR_VALUE,
                 "chip.yaml:3: key 'tile.compartment.tau_min': expected a mapping, found 1");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(typed_reads)
{
    cx_yaml_doc *doc = load(CHIP);
    const cx_yaml_node *tile = cx_yaml_find(doc->root, "tile");
    double d;
    long l;
    int b;
    const char *s;
    ck_assert_int_eq(cx_yaml_get_double(tile, "noise.thermal_sigma", NULL, NULL, &d), CX_OK);
    ck_assert(d == 0.02);
    ck_assert_int_eq(cx_yaml_get_long(tile, "cores", NULL, CX_YAML_AT_LEAST(1), &l), CX_OK);
    ck_assert_int_eq(l, 4);
    ck_assert_int_eq(cx_yaml_get_double(tile, "cores", NULL, NULL, &d), CX_OK);
    ck_assert(d == 4.0);
    ck_assert_int_eq(cx_yaml_get_bool(tile, "enabled", NULL, &b), CX_OK);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(cx_yaml_get_string(tile, "label", NULL, &s), CX_OK);
    ck_assert_str_eq(s, "5");
    ck_assert_int_eq(cx_yaml_get_string(doc->root, "layers[1].kind", NULL, &s), CX_OK);
    ck_assert_str_eq(s, "glifr");
    ck_assert_int_eq(cx_yaml_get_string(tile, "cores", NULL, &s), CX_OK); /* any scalar */
    ck_assert_str_eq(s, "4");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(wrong_types_are_errors)
{
    cx_yaml_doc *doc = load(CHIP);
    const cx_yaml_node *tile = cx_yaml_find(doc->root, "tile");
    double d, dflt = 1;
    long l;
    int b;
    const char *s;
    expect_error(cx_yaml_get_double(tile, "label", &dflt, NULL, &d), CX_ERR_VALUE,
                 "chip.yaml:6: key 'tile.label': expected a number, found the string \"5\"");
    expect_error(cx_yaml_get_double(doc->root, "name", NULL, NULL, &d), CX_ERR_VALUE,
                 "chip.yaml:2: key 'name': expected a number, found demo");
    expect_error(cx_yaml_get_double(tile, "noise", NULL, NULL, &d), CX_ERR_VALUE,
                 "chip.yaml:8: key 'tile.noise': expected a number, found a mapping");
    expect_error(cx_yaml_get_long(tile, "compartment.taus_ms", NULL, NULL, &l), CX_ERR_VALUE,
                 "chip.yaml:13: key 'tile.compartment.taus_ms': expected an integer, found a "
                 "sequence");
    expect_error(cx_yaml_get_long(doc->root, "tile.noise.thermal_sigma", NULL, NULL, &l),
                 CX_ERR_VALUE,
                 "chip.yaml:8: key 'tile.noise.thermal_sigma': expected an integer, found 0.02");
    expect_error(cx_yaml_get_bool(tile, "cores", NULL, &b), CX_ERR_VALUE,
                 "chip.yaml:4: key 'tile.cores': expected true or false, found 4");
    expect_error(cx_yaml_get_string(doc->root, "layers", NULL, &s), CX_ERR_VALUE,
                 "chip.yaml:16: key 'layers': expected a string, found a sequence");
    /* A path through a scalar, and a malformed path. */
    expect_error(cx_yaml_get_double(doc->root, "name.x", &dflt, NULL, &d), CX_ERR_VALUE,
                 "chip.yaml:2: key 'name': expected a mapping, found demo");
    expect_error(cx_yaml_get_double(doc->root, "tile..cores", NULL, NULL, &d), CX_ERR_USAGE,
                 "malformed key path 'tile..cores'");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(missing_null_and_defaults)
{
    cx_yaml_doc *doc = load(CHIP);
    const cx_yaml_node *tile = cx_yaml_find(doc->root, "tile"), *n;
    double d, dflt = 0.5;
    long l, ldflt = 7;
    int b, bdflt = 0;
    const char *s;
    ck_assert_int_eq(cx_yaml_get_double(tile, "noise.shot_sigma", &dflt, NULL, &d), CX_OK);
    ck_assert(d == 0.5);
    /* Null counts as missing: the default applies, or it is an error. */
    ck_assert_int_eq(cx_yaml_get_long(tile, "noise.seed", &ldflt, NULL, &l), CX_OK);
    ck_assert_int_eq(l, 7);
    expect_error(cx_yaml_get_long(tile, "noise.seed", NULL, NULL, &l), CX_ERR_MISSING,
                 "chip.yaml:9: key 'tile.noise.seed': missing value");
    ck_assert_int_eq(cx_yaml_get_bool(tile, "nope", &bdflt, &b), CX_OK);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(cx_yaml_get_string(tile, "mode", "fast", &s), CX_OK);
    ck_assert_str_eq(s, "fast");
    /* Defaults are not range checked: they are the caller's own value. */
    ck_assert_int_eq(cx_yaml_get_double(tile, "gain", &dflt, CX_YAML_ABOVE(1), &d), CX_OK);
    expect_error(cx_yaml_get_double(tile, "compartment.tau_mid_ms", NULL, NULL, &d), CX_ERR_MISSING,
                 "chip.yaml:11: missing key 'tile.compartment.tau_mid_ms' (did you mean "
                 "'tau_min_ms'?)");
    expect_error(cx_yaml_at(doc->root, "tile.compartmnt.tau_ms", &n), CX_ERR_MISSING,
                 "chip.yaml:4: missing key 'tile.compartmnt' (did you mean 'compartment'?)");
    ck_assert_ptr_null(n);
    expect_error(cx_yaml_at(doc->root, "layers[5].size", &n), CX_ERR_MISSING,
                 "chip.yaml:16: missing key 'layers[5]' (the sequence has 2 items)");
    expect_error(cx_yaml_at(tile, "cores[0]", &n), CX_ERR_VALUE,
                 "chip.yaml:4: key 'tile.cores': expected a sequence, found 4");
    ck_assert_int_eq(cx_yaml_at(doc->root, "layers[1]", &n), CX_OK);
    ck_assert_int_eq(n->line, 17);
    ck_assert_int_eq(cx_yaml_expect(n, CX_YAML_MAPPING), CX_OK);
    expect_error(cx_yaml_expect(n, CX_YAML_SEQUENCE), CX_ERR_VALUE,
                 "chip.yaml:17: key 'layers[1]': expected a sequence, found a mapping");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(ranges)
{
    cx_yaml_doc *doc = load(CHIP);
    const cx_yaml_node *comp = cx_yaml_find(doc->root, "tile.compartment");
    double d;
    long l;
    expect_error(cx_yaml_get_double(comp, "tau_min_ms", NULL, CX_YAML_ABOVE(0), &d), CX_ERR_VALUE,
                 "chip.yaml:12: key 'tile.compartment.tau_min_ms': expected a number > 0, "
                 "found -3");
    expect_error(cx_yaml_get_double(comp, "tau_max_ms", NULL, CX_YAML_BETWEEN(0, 50), &d),
                 CX_ERR_VALUE,
                 "chip.yaml:11: key 'tile.compartment.tau_max_ms': expected a number in [0, 50], "
                 "found 80");
    cx_yaml_range open_hi = {.min = 0, .max = 80, .flags = CX_YAML_GT | CX_YAML_LT};
    expect_error(cx_yaml_get_double(comp, "tau_max_ms", NULL, &open_hi, &d), CX_ERR_VALUE,
                 "chip.yaml:11: key 'tile.compartment.tau_max_ms': expected a number in (0, 80), "
                 "found 80");
    open_hi.flags = CX_YAML_GT | CX_YAML_LE;
    ck_assert_int_eq(cx_yaml_get_double(comp, "tau_max_ms", NULL, &open_hi, &d), CX_OK);
    ck_assert(d == 80);
    cx_yaml_range below = {.max = -3, .flags = CX_YAML_LT};
    expect_error(cx_yaml_get_long(comp, "tau_min_ms", NULL, &below, &l), CX_ERR_VALUE,
                 "chip.yaml:12: key 'tile.compartment.tau_min_ms': expected an integer < -3, "
                 "found -3");
    below.flags = CX_YAML_LE;
    ck_assert_int_eq(cx_yaml_get_long(comp, "tau_min_ms", NULL, &below, &l), CX_OK);
    ck_assert_int_eq(l, -3);
    cx_yaml_free(doc);
}
END_TEST

/* Reads text as the value of key 'v' (one line, so errors are at line 1). */
static cx_status read_double(const char *text, const cx_yaml_range *r, double *d)
{
    char buf[128];
    snprintf(buf, sizeof buf, "v: %s\n", text);
    cx_yaml_doc *doc = load(buf);
    cx_status st = cx_yaml_get_double(doc->root, "v", NULL, r, d);
    cx_yaml_free(doc);
    return st;
}

static cx_status read_long(const char *text, long *l)
{
    char buf[128];
    snprintf(buf, sizeof buf, "v: %s\n", text);
    cx_yaml_doc *doc = load(buf);
    cx_status st = cx_yaml_get_long(doc->root, "v", NULL, NULL, l);
    cx_yaml_free(doc);
    return st;
}

START_TEST(number_and_bool_syntax)
{
    static const struct {
        const char *text;
        double want;
    } good[] = {{"1", 1},       {"-2.5", -2.5}, {"+3", 3},    {".5", 0.5}, {"5.", 5},
                {"1e-3", 1e-3}, {"2E+2", 200},  {"0x1F", 31}, {"-0", 0},   {"1e-400", 0}};
    static const char *const bad[] = {"1_000", "inf", "nan", "1.2.3", "--1",   "0x",     "1e",
                                      "e5",    "'1'", "1 2", "0b101", "1e999", "!!str 3"};
    double d;
    long l;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ck_assert_msg(read_double(good[i].text, NULL, &d) == CX_OK, "%s: %s", good[i].text,
                      cx_last_error());
        ck_assert_msg(d == good[i].want, "%s read as %g", good[i].text, d);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(read_double(bad[i], NULL, &d) == CX_ERR_VALUE, "'%s' accepted", bad[i]);
    /* Non-finite values only when the range allows infinity; NaN never. */
    expect_error(read_double(".inf", CX_YAML_ABOVE(0), &d), CX_ERR_VALUE,
                 "chip.yaml:1: key 'v': expected a finite number > 0, found .inf");
    cx_yaml_range inf_ok = {.min = 0, .flags = CX_YAML_GT | CX_YAML_ALLOW_INF};
    ck_assert_int_eq(read_double(".inf", &inf_ok, &d), CX_OK);
    ck_assert(isinf(d) && d > 0);
    expect_error(read_double("-.Inf", &inf_ok, &d), CX_ERR_VALUE,
                 "chip.yaml:1: key 'v': expected a number > 0, found -.Inf");
    /* Overflow is not infinity, even where infinity is allowed. */
    expect_error(read_double("1e999", &inf_ok, &d), CX_ERR_VALUE,
                 "chip.yaml:1: key 'v': expected a number > 0, found 1e999");
    expect_error(read_double(".nan", &inf_ok, &d), CX_ERR_VALUE,
                 "chip.yaml:1: key 'v': expected a finite number > 0, found .nan");
    /* Integers: exact decimal, hex, integral float literals; no fractions or overflow. */
    ck_assert_int_eq(read_long("9007199254740993", &l), CX_OK);
    ck_assert_int_eq(l, 9007199254740993L);
    ck_assert_int_eq(read_long("1e3", &l), CX_OK);
    ck_assert_int_eq(l, 1000);
    ck_assert_int_eq(read_long("-0x10", &l), CX_ERR_VALUE);
    ck_assert_int_eq(read_long("0x10", &l), CX_OK);
    ck_assert_int_eq(l, 16);
    expect_error(read_long("2.5", &l), CX_ERR_VALUE,
                 "chip.yaml:1: key 'v': expected an integer, found 2.5");
    ck_assert_int_eq(read_long("99999999999999999999", &l), CX_ERR_VALUE);
    /* Booleans: true/false spellings only, never YAML 1.1's yes/no/on/off. */
    cx_yaml_doc *doc = load("a: True\nb: FALSE\nc: yes\nd: 'true'\ne: off\n");
    int b;
    ck_assert_int_eq(cx_yaml_get_bool(doc->root, "a", NULL, &b), CX_OK);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(cx_yaml_get_bool(doc->root, "b", NULL, &b), CX_OK);
    ck_assert_int_eq(b, 0);
    expect_error(cx_yaml_get_bool(doc->root, "c", NULL, &b), CX_ERR_VALUE,
                 "chip.yaml:3: key 'c': expected true or false, found yes");
    ck_assert_int_eq(cx_yaml_get_bool(doc->root, "d", NULL, &b), CX_ERR_VALUE);
    ck_assert_int_eq(cx_yaml_get_bool(doc->root, "e", NULL, &b), CX_ERR_VALUE);
    cx_yaml_free(doc);
}
END_TEST

START_TEST(sequences_of_numbers)
{
    cx_yaml_doc *doc = load(CHIP);
    const cx_yaml_node *comp = cx_yaml_find(doc->root, "tile.compartment");
    double *v;
    long *g;
    size_t n;
    ck_assert_int_eq(cx_yaml_get_doubles(comp, "taus_ms", 3, 3, CX_YAML_ABOVE(0), &v, &n), CX_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(v[0] == 1 && v[1] == 2.5 && v[2] == 10);
    free(v);
    ck_assert_int_eq(cx_yaml_get_longs(comp, "gains", 1, 0, NULL, &g, &n), CX_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(g[2], -7);
    free(g);
    expect_error(cx_yaml_get_longs(comp, "gains", 1, 0, CX_YAML_AT_LEAST(0), &g, &n), CX_ERR_VALUE,
                 "chip.yaml:14: key 'tile.compartment.gains[2]': expected an integer >= 0, "
                 "found -7");
    ck_assert_ptr_null(g);
    expect_error(cx_yaml_get_longs(comp, "taus_ms", 0, 0, NULL, &g, &n), CX_ERR_VALUE,
                 "chip.yaml:13: key 'tile.compartment.taus_ms[1]': expected an integer, found "
                 "2.5");
    expect_error(cx_yaml_get_doubles(comp, "taus_ms", 2, 2, NULL, &v, &n), CX_ERR_SHAPE,
                 "chip.yaml:13: key 'tile.compartment.taus_ms': expected 2 numbers, found 3");
    expect_error(cx_yaml_get_doubles(comp, "gains", 1, 3, NULL, &v, &n), CX_ERR_SHAPE,
                 "chip.yaml:14: key 'tile.compartment.gains': expected 1 to 3 numbers, found 4");
    expect_error(cx_yaml_get_doubles(comp, "taus_ms", 5, 0, NULL, &v, &n), CX_ERR_SHAPE,
                 "chip.yaml:13: key 'tile.compartment.taus_ms': expected at least 5 numbers, "
                 "found 3");
    expect_error(cx_yaml_get_doubles(comp, "tau_max_ms", 0, 0, NULL, &v, &n), CX_ERR_VALUE,
                 "chip.yaml:11: key 'tile.compartment.tau_max_ms': expected a sequence of "
                 "numbers, found 80");
    expect_error(cx_yaml_get_doubles(comp, "tau_ms", 0, 0, NULL, &v, &n), CX_ERR_MISSING,
                 "chip.yaml:11: missing key 'tile.compartment.tau_ms' (did you mean "
                 "'taus_ms'?)");
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(n, 0);
    cx_yaml_free(doc);
    doc = load("empty: []\n");
    ck_assert_int_eq(cx_yaml_get_doubles(doc->root, "empty", 0, 0, NULL, &v, &n), CX_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(v);
    cx_yaml_free(doc);
}
END_TEST

START_TEST(override_by_path)
{
    cx_yaml_doc *doc = load(CHIP);
    double d;
    ck_assert_int_eq(cx_yaml_set(doc, "tile.noise.thermal_sigma", "0.01"), CX_OK);
    const cx_yaml_node *n = cx_yaml_find(doc->root, "tile.noise.thermal_sigma");
    ck_assert_str_eq(n->value, "0.01");
    ck_assert_str_eq(n->file, "<override>");
    ck_assert_int_eq(n->line, 0);
    ck_assert_str_eq(n->path, "tile.noise.thermal_sigma");
    ck_assert_int_eq(cx_yaml_get_double(doc->root, "tile.noise.thermal_sigma", NULL, NULL, &d),
                     CX_OK);
    ck_assert(d == 0.01);
    /* A bad override value is reported against "<override>", not the file. */
    ck_assert_int_eq(cx_yaml_override(doc, "tile.compartment.tau_max_ms=-1"), CX_OK);
    expect_error(
        cx_yaml_get_double(doc->root, "tile.compartment.tau_max_ms", NULL, CX_YAML_ABOVE(0), &d),
        CX_ERR_VALUE,
        "<override>: key 'tile.compartment.tau_max_ms': expected a number > 0, found -1");
    /* Null values can be overridden, and the value is taken verbatim. */
    ck_assert_int_eq(cx_yaml_override(doc, "tile.noise.seed=a=b: c"), CX_OK);
    ck_assert_str_eq(cx_yaml_find(doc->root, "tile.noise.seed")->value, "a=b: c");
    /* Sequence items by index, and whole sequences from flow syntax. */
    ck_assert_int_eq(cx_yaml_override(doc, "layers[0].size=10"), CX_OK);
    ck_assert_str_eq(cx_yaml_find(doc->root, "layers.0.size")->value, "10");
    ck_assert_int_eq(cx_yaml_override(doc, "tile.compartment.taus_ms=[4, 5, {x: 6}]"), CX_OK);
    n = cx_yaml_find(doc->root, "tile.compartment.taus_ms[2].x");
    ck_assert_str_eq(n->value, "6");
    ck_assert_str_eq(n->path, "tile.compartment.taus_ms[2].x");
    ck_assert_str_eq(n->file, "<override>");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(override_errors)
{
    cx_yaml_doc *doc = load(CHIP);
    expect_error(cx_yaml_set(doc, "tile.noise.thermal_sigam", "1"), CX_ERR_MISSING,
                 "override 'tile.noise.thermal_sigam': chip.yaml:8: missing key "
                 "'tile.noise.thermal_sigam' (did you mean 'thermal_sigma'?)");
    expect_error(cx_yaml_set(doc, "tile.noise.shot.sigma", "1"), CX_ERR_MISSING,
                 "override 'tile.noise.shot.sigma': chip.yaml:8: missing key 'tile.noise.shot'");
    expect_error(cx_yaml_set(doc, "layers[2].size", "1"), CX_ERR_MISSING,
                 "override 'layers[2].size': chip.yaml:16: missing key 'layers[2]' (the "
                 "sequence has 2 items)");
    expect_error(cx_yaml_set(doc, "tile.noise", "1"), CX_ERR_USAGE,
                 "override 'tile.noise': the key is a mapping; set one of its keys");
    expect_error(cx_yaml_set(doc, "", "1"), CX_ERR_USAGE,
                 "override '': the document root is a mapping; set one of its keys");
    expect_error(cx_yaml_override(doc, "tile.cores"), CX_ERR_USAGE,
                 "override 'tile.cores': expected KEY=VALUE");
    expect_error(cx_yaml_override(doc, "=3"), CX_ERR_USAGE, "override '=3': expected KEY=VALUE");
    expect_error(cx_yaml_override(doc, "tile.compartment.taus_ms=[1, 2"), CX_ERR_FORMAT,
                 "override 'tile.compartment.taus_ms': <override>:2:1: did not find expected "
                 "',' or ']' (while parsing a flow sequence at line 1)");
    expect_error(cx_yaml_override(doc, "tile.compartment.taus_ms=[1] x"), CX_ERR_FORMAT,
                 "override 'tile.compartment.taus_ms': <override>:1:5: did not find expected "
                 "<document start>");
    /* Failed overrides leave the tree untouched. */
    ck_assert_str_eq(cx_yaml_find(doc->root, "tile.compartment.taus_ms[2]")->value, "1e1");
    ck_assert_str_eq(cx_yaml_find(doc->root, "tile.cores")->value, "4");
    cx_yaml_free(doc);
}
END_TEST

START_TEST(anchors_aliases_and_tags)
{
    cx_yaml_doc *doc = load("base: &b\n  tau: 5\n  gain: [1, 2]\n"
                            "copy: *b\n"
                            "tau: &t 7\nalso: *t\n"
                            "s: !!str 12\nt: ! 13\n");
    const cx_yaml_node *n = cx_yaml_find(doc->root, "copy.gain[1]");
    ck_assert_str_eq(n->value, "2");
    ck_assert_str_eq(n->path, "copy.gain[1]"); /* the alias's own path... */
    ck_assert_int_eq(n->line, 3);              /* ...and the anchor's line */
    ck_assert_str_eq(cx_yaml_find(doc->root, "also")->value, "7");
    /* Aliases are copies: overriding one leaves the anchored original. */
    ck_assert_int_eq(cx_yaml_set(doc, "copy.tau", "6"), CX_OK);
    ck_assert_str_eq(cx_yaml_find(doc->root, "base.tau")->value, "5");
    double d;
    ck_assert_int_eq(cx_yaml_get_double(doc->root, "s", NULL, NULL, &d), CX_ERR_VALUE);
    ck_assert_int_eq(cx_yaml_get_double(doc->root, "t", NULL, NULL, &d), CX_ERR_VALUE);
    cx_yaml_free(doc);
    expect_load_error("a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n", CX_ERR_UNSUPPORTED,
                      "bad.yaml:3:3: merge keys ('<<') are not supported; alias a whole mapping "
                      "instead");
    expect_load_error("a: &a [1, *a]\n", CX_ERR_FORMAT, "bad.yaml:1:11: unknown anchor 'a'");
    /* Exponential alias expansion stops at the node budget. */
    char bomb[1024] = "a: &a [x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'h'; c++) {
        size_t len = strlen(bomb);
        snprintf(bomb + len, sizeof bomb - len,
                 "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c, c - 1, c - 1, c - 1,
                 c - 1, c - 1, c - 1, c - 1, c - 1);
    }
    cx_yaml_doc *out = NULL;
    ck_assert_int_eq(cx_yaml_load_string("bomb.yaml", bomb, &out), CX_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "runaway aliases"));
    ck_assert_ptr_null(out);
}
END_TEST

/* Same kinds, values, quoting and keys, recursively. */
static void assert_same_tree(const cx_yaml_node *a, const cx_yaml_node *b)
{
    ck_assert_int_eq(a->kind, b->kind);
    ck_assert_str_eq(a->path, b->path);
    ck_assert_uint_eq(a->n, b->n);
    if (a->kind == CX_YAML_SCALAR) {
        ck_assert_int_eq(cx_yaml_is_null(a), cx_yaml_is_null(b));
        if (!cx_yaml_is_null(a)) ck_assert_str_eq(a->value, b->value);
        ck_assert_int_eq(a->quoted, b->quoted);
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->keys) ck_assert_str_eq(a->keys[i]->value, b->keys[i]->value);
        assert_same_tree(a->items[i], b->items[i]);
    }
}

START_TEST(write_round_trip)
{
    const char *text = "name: \"demo: #1\"\n"
                       "count: 3\n"
                       "flag: true\n"
                       "nothing:\n"
                       "quoted_num: '5'\n"
                       "empty: ''\n"
                       "multi: |\n  line one\n  line two\n"
                       "taus: [1, 2.5, .inf, null, '']\n"
                       "layers:\n  - {size: 784, kind: input}\n  - size: 10\n"
                       "unicode: \"\xc3\xa9t\xc3\xa9\"\n";
    cx_yaml_doc *doc = load(text), *back;
    ck_assert_int_eq(cx_yaml_set(doc, "count", "key: value"), CX_OK);
    char *path = cx_test_tmp("round.yaml");
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(cx_yaml_write(fp, doc->root), CX_OK);
    fclose(fp);
    ck_assert_int_eq(cx_yaml_load_file(path, &back), CX_OK);
    /* The verbatim override had to be quoted to stay one scalar. */
    cx_yaml_node *count = (cx_yaml_node *)cx_yaml_find(doc->root, "count");
    count->quoted = 1;
    assert_same_tree(doc->root, back->root);
    ck_assert_str_eq(back->file, path);
    cx_yaml_free(back);
    cx_yaml_free(doc);
    free(path);
}
END_TEST

START_TEST(load_file_errors_name_path)
{
    cx_yaml_doc *doc = (cx_yaml_doc *)1;
    expect_error(cx_yaml_load_file("/nonexistent/chip.yaml", &doc), CX_ERR_IO,
                 "/nonexistent/chip.yaml: cannot open: No such file or directory");
    ck_assert_ptr_null(doc);
    char *path = cx_test_tmp("bad.yaml");
    cx_test_write(path, "a: 1\nb: [\n", 10);
    ck_assert_int_eq(cx_yaml_load_file(path, &doc), CX_ERR_FORMAT);
    char want[512];
    snprintf(want, sizeof want,
             "%s:3:1: did not find expected node content (while parsing a "
             "flow node at line 3)",
             path);
    ck_assert_str_eq(cx_last_error(), want);
    /* An embedded NUL is caught by libyaml, not silently cut off. */
    cx_test_write(path, "a: 1\n\0b: 2\n", 11);
    ck_assert_int_eq(cx_yaml_load_file(path, &doc), CX_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:2:1: control characters are not allowed", path);
    ck_assert_str_eq(cx_last_error(), want);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("yaml");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, tree_keeps_lines_paths_and_quoting);
    tcase_add_test(tc, malformed_yaml_names_file_line_col);
    tcase_add_test(tc, duplicate_keys_name_both_lines);
    tcase_add_test(tc, unknown_keys_suggest_or_list);
    tcase_add_test(tc, typed_reads);
    tcase_add_test(tc, wrong_types_are_errors);
    tcase_add_test(tc, missing_null_and_defaults);
    tcase_add_test(tc, ranges);
    tcase_add_test(tc, number_and_bool_syntax);
    tcase_add_test(tc, sequences_of_numbers);
    tcase_add_test(tc, override_by_path);
    tcase_add_test(tc, override_errors);
    tcase_add_test(tc, anchors_aliases_and_tags);
    tcase_add_test(tc, write_round_trip);
    tcase_add_test(tc, load_file_errors_name_path);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
