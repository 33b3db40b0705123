/* Chip descriptions: the shipped files load, default.yaml is the built-in
 * default, bad files fail with FILE:LINE and the key, overrides are checked
 * like the file, derived quantities match closed forms, and `cortile chip
 * check` works end to end. Bad files are default.yaml with one edit, so the
 * expected line is found in the text rather than hard-coded. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"
#include "test_util.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const SHIPPED[] = {"default", "ideal", "brainscales", "dynap"};
enum { NSHIPPED = sizeof SHIPPED / sizeof SHIPPED[0] };

static char *chip_path(const char *name)
{
    char *p = malloc(strlen(CX_SOURCE_DIR) + strlen(name) + 32);
    sprintf(p, "%s/configs/chips/%s.yaml", CX_SOURCE_DIR, name);
    return p;
}

static cx_chip_config load_ok(const char *path, const char *const *sets, size_t n)
{
    cx_chip_config cfg;
    cx_status st = cx_chip_load(path, sets, n, &cfg);
    ck_assert_msg(st == CX_OK, "%s: %s", path, cx_last_error());
    return cfg;
}

/* 1-based line of the first occurrence of `needle` in text. */
static int line_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    ck_assert_msg(p != NULL, "'%s' not in the text", needle);
    int line = 1;
    for (const char *q = text; q < p; q++)
        line += *q == '\n';
    return line;
}

/* default.yaml with the first `find` replaced by `repl`, written to a scratch file. */
static char *edited_default(const char *tag, const char *find, const char *repl, char **text_out)
{
    char *src = chip_path("default"), *text = cx_test_slurp(src, NULL);
    const char *p = strstr(text, find);
    ck_assert_msg(p != NULL, "'%s' not in default.yaml", find);
    size_t pre = (size_t)(p - text), n = strlen(text) - strlen(find) + strlen(repl);
    char *out = malloc(n + 1);
    memcpy(out, text, pre);
    strcpy(out + pre, repl);
    strcat(out, p + strlen(find));
    char name[64];
    snprintf(name, sizeof name, "%s.yaml", tag);
    char *path = cx_test_tmp(name);
    cx_test_write(path, out, strlen(out));
    free(src);
    free(text);
    *text_out = out;
    return path;
}

/* Loads default.yaml edited as given; expects `want` status and the message
 * "PATH:LINE: msg", LINE being the line of `at` (of `repl` when at is NULL). */
static void expect_bad(const char *tag, const char *find, const char *repl, const char *at,
                       cx_status want, const char *msg)
{
    char *text, *path = edited_default(tag, find, repl, &text);
    int line = line_of(text, at ? at : repl);
    cx_chip_config cfg;
    cx_status st = cx_chip_load(path, NULL, 0, &cfg);
    char expect[1024];
    snprintf(expect, sizeof expect, "%s:%d: %s", path, line, msg);
    ck_assert_msg(st == want, "%s: status %s, want %s (%s)", tag, cx_status_name(st),
                  cx_status_name(want), cx_last_error());
    ck_assert_str_eq(cx_last_error(), expect);
    ck_assert_ptr_null(cfg.name); /* nothing half-loaded is left behind */
    ck_assert_ptr_null(cfg.router.hosts);
    free(path);
    free(text);
}

/* First path where two JSON values differ, or "" when equal. */
static void json_diff(const cJSON *a, const cJSON *b, const char *path, char *out, size_t len)
{
    if (out[0]) return;
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", x->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y) {
                snprintf(out, len, "%s (missing on one side)", sub);
                return;
            }
            json_diff(x, y, sub, out, len);
        }
        if (!out[0] && cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            snprintf(out, len, "%s (key count)", path);
        return;
    }
    if (!cJSON_Compare(a, b, 1)) {
        char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
        snprintf(out, len, "%s: %s vs %s", path, sa, sb);
        free(sa);
        free(sb);
    }
}

START_TEST(shipped_chips_load)
{
    for (int i = 0; i < NSHIPPED; i++) {
        char *path = chip_path(SHIPPED[i]);
        cx_chip_config cfg = load_ok(path, NULL, 0);
        ck_assert_str_eq(cfg.name, SHIPPED[i]);
        ck_assert(cfg.description[0]);
        ck_assert_uint_ge(cfg.router.n_hosts, 1);
        cx_chip_free(&cfg);
        ck_assert_ptr_null(cfg.name);
        free(path);
    }
    char *path = chip_path("brainscales");
    cx_chip_config c = load_ok(path, NULL, 0);
    ck_assert(c.acceleration == 1000);
    ck_assert_int_eq(c.tile.compartments, 512);
    ck_assert_int_eq(c.tile.synapses.weight_bits, 6);
    ck_assert_int_eq(c.tile.compartment.param_bits, 10);
    ck_assert_int_eq(c.tile.readout.adc_bits, 8);
    ck_assert_int_eq(c.tile.mode, CX_CHIP_CONTINUOUS);
    ck_assert_int_eq(c.tile.somas.payload_bits, 8); /* 15 address bits of 32 */
    cx_chip_free(&c);
    free(path);
    path = chip_path("dynap");
    c = load_ok(path, NULL, 0);
    ck_assert(c.acceleration == 1);
    ck_assert_int_eq(cx_chip_tiles(&c), 4);
    ck_assert_int_eq(c.tile.somas.count, 256);
    ck_assert(c.noise.mismatch.tau_rel >= 0.2 && c.noise.mismatch.tau_rel <= 0.3);
    ck_assert_int_eq(c.noise.thermal.source, CX_CHIP_THERMAL_SIGMA);
    ck_assert_int_eq(c.tile.somas.payload_bits, 0);
    cx_chip_free(&c);
    free(path);
}
END_TEST

START_TEST(ideal_chip_is_noise_free)
{
    char *path = chip_path("ideal");
    cx_chip_config c = load_ok(path, NULL, 0);
    ck_assert_int_eq(c.tile.mode, CX_CHIP_SAMPLED);
    ck_assert_int_eq(c.noise.thermal.enabled, 0);
    ck_assert_int_eq(c.noise.flicker.enabled, 0);
    ck_assert_int_eq(c.noise.mismatch.enabled, 0);
    ck_assert_int_eq(c.noise.quantization.enabled, 0);
    ck_assert_int_eq(
        c.noise.quantization.params | c.noise.quantization.weights | c.noise.quantization.adc, 0);
    ck_assert_int_eq(c.noise.crossbar.enabled, 0);
    ck_assert_int_eq(c.noise.saturation.enabled, 0);
    /* exact analog rates between tiles */
    ck_assert_int_eq(c.tile.somas.encoder, CX_CHIP_ENC_GRADED);
    ck_assert_int_eq(c.tile.somas.payload_bits, 8);
    cx_chip_free(&c);
    free(path);
}
END_TEST

START_TEST(default_file_equals_builtin)
{
    char *path = chip_path("default");
    cx_chip_config file = load_ok(path, NULL, 0), builtin;
    ck_assert_int_eq(cx_chip_config_default(&builtin), CX_OK);
    cJSON *a = cx_chip_to_json(&file), *b = cx_chip_to_json(&builtin);
    char diff[512] = "";
    json_diff(a, b, "", diff, sizeof diff);
    json_diff(b, a, "", diff, sizeof diff);
    ck_assert_msg(!diff[0], "default.yaml and cx_chip_config_default differ at %s", diff);
    /* Fields the JSON does not show (the thermal source) agree too. */
    ck_assert_int_eq(file.noise.thermal.source, builtin.noise.thermal.source);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cx_chip_free(&file);
    cx_chip_free(&builtin);
    free(path);
}
END_TEST

/* Every mapping key of the YAML is in the JSON and back: the format, the
 * loader and the JSON mirror describe the same keys. */
static void same_shape(const cx_yaml_node *y, const cJSON *j)
{
    if (y->kind == CX_YAML_MAPPING) {
        ck_assert_msg(cJSON_IsObject(j), "'%s' is not an object in the JSON", y->path);
        ck_assert_msg((int)y->n == cJSON_GetArraySize(j), "'%s': %zu YAML keys, %d JSON keys",
                      y->path, y->n, cJSON_GetArraySize(j));
        for (size_t i = 0; i < y->n; i++) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, y->keys[i]->value);
            ck_assert_msg(c != NULL, "'%s.%s' missing from the JSON", y->path, y->keys[i]->value);
            same_shape(y->items[i], c);
        }
    } else if (y->kind == CX_YAML_SEQUENCE) {
        ck_assert_msg(cJSON_IsArray(j), "'%s' is not an array in the JSON", y->path);
        ck_assert_int_eq((int)y->n, cJSON_GetArraySize(j));
        for (size_t i = 0; i < y->n; i++)
            same_shape(y->items[i], cJSON_GetArrayItem(j, (int)i));
    } else {
        ck_assert_msg(!cJSON_IsObject(j) && !cJSON_IsArray(j), "'%s' is a scalar in YAML only",
                      y->path);
        ck_assert_msg(cx_yaml_is_null(y) == cJSON_IsNull(j), "'%s': null in one only", y->path);
    }
}

START_TEST(default_file_documents_every_key)
{
    char *path = chip_path("default"), *text = cx_test_slurp(path, NULL);
    cx_yaml_doc *doc;
    ck_assert_int_eq(cx_yaml_load_file(path, &doc), CX_OK);
    cx_chip_config cfg = load_ok(path, NULL, 0);
    cJSON *j = cx_chip_to_json(&cfg);
    same_shape(doc->root, j);
    /* Every line with a value carries a comment. */
    int line = 1;
    for (char *p = text; *p; line++) {
        char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 255 ? len : 255), p);
        char *colon = strstr(buf, ": ");
        if (buf[0] != '#' && colon && !strchr(buf, '#') && colon < buf + strcspn(buf, "#"))
            ck_abort_msg("default.yaml:%d has a value without a comment: %s", line, buf);
        p = end ? end + 1 : p + len;
    }
    cJSON_Delete(j);
    cx_chip_free(&cfg);
    cx_yaml_free(doc);
    free(text);
    free(path);
}
END_TEST

START_TEST(bad_files_name_line_and_key)
{
    expect_bad("typo", "    tau_min_ms: 0.1", "    tau_mn_ms: 0.1", NULL, CX_ERR_FORMAT,
               "unknown key 'tau_mn_ms' in 'tile.compartment' (did you mean 'tau_min_ms'?)");
    expect_bad("negcap", "capacitance_ff: 100", "capacitance_ff: -5", NULL, CX_ERR_VALUE,
               "key 'noise.thermal.capacitance_ff': expected a number > 0, found -5");
    expect_bad("dac0", "param_bits: 10", "param_bits: 0", NULL, CX_ERR_VALUE,
               "key 'tile.compartment.param_bits': expected an integer in [1, 24], found 0");
    expect_bad("tau", "tau_min_ms: 0.1", "tau_min_ms: 5000", NULL, CX_ERR_VALUE,
               "key 'tile.compartment.tau_min_ms': must be <= tau_max_ms (1000), found 5000");
    expect_bad("host", "- {x: 0, y: 0}", "- {x: 4, y: 0}", NULL, CX_ERR_VALUE,
               "key 'router.hosts[0].x': expected an integer in [0, 3], found 4");
    expect_bad("host_y", "- {x: 0, y: 0}", "- {x: 1, y: -1}", NULL, CX_ERR_VALUE,
               "key 'router.hosts[0].y': expected an integer in [0, 3], found -1");
    expect_bad("host_dup", "- {x: 0, y: 0}", "- {x: 0, y: 0}\n    - {x: 0, y: 0}",
               "y: 0}               # {x", CX_ERR_VALUE,
               "key 'router.hosts[1]': host (0, 0) is listed twice");
    /* Reported at the kT/C key, whichever of the two came from an edit. */
    expect_bad("both", "sigma: ~ ", "sigma: 0.01 ", "capacitance_ff:", CX_ERR_VALUE,
               "key 'noise.thermal.capacitance_ff': give either sigma or capacitance_ff with "
               "temperature_k (kT/C), not both");
    expect_bad("half_ktc", "temperature_k: 300", "temperature_k: ~",
               "capacitance_ff:", CX_ERR_VALUE,
               "key 'noise.thermal.capacitance_ff': kT/C needs both capacitance_ff and "
               "temperature_k");
    expect_bad("mode", "mode: sampled", "mode: bogus", NULL, CX_ERR_VALUE,
               "key 'tile.mode': expected one of sampled, continuous, found 'bogus'");
    expect_bad("type", "compartments: 256", "compartments: many", NULL, CX_ERR_VALUE,
               "key 'tile.compartments': expected an integer >= 1, found many");
    expect_bad("bool", "adc: true", "adc: yes", NULL, CX_ERR_VALUE,
               "key 'noise.quantization.adc': expected true or false, found yes");
    expect_bad("act", "activations: [relu, silu,", "activations: [relu, gelu,", NULL, CX_ERR_VALUE,
               "key 'tile.dendrite.activations[1]': expected one of relu, silu, sigmoid, tanh, "
               "scaled_tanh, identity, found 'gelu'");
    expect_bad("act_dup", "activations: [relu, silu,", "activations: [relu, relu,", NULL,
               CX_ERR_VALUE, "key 'tile.dendrite.activations[1]': 'relu' is listed twice");
    expect_bad("rails", "x_min: -4", "x_min: 4", NULL, CX_ERR_VALUE,
               "key 'tile.rails.x_min': must be < x_max (4), found 4");
    expect_bad("band", "f_low_hz: 0.1", "f_low_hz: 200", NULL, CX_ERR_VALUE,
               "key 'noise.flicker.f_low_hz': must be < f_high_hz (100), found 200");
    expect_bad("packet", "packet_bits: 32", "packet_bits: 8", NULL, CX_ERR_VALUE,
               "key 'router.packet_bits': must hold a source address of 10 bits (4x4 tiles, 64 "
               "somas per tile) plus tile.somas.payload_bits (8), found 8");
    /* the address fits, the value does not */
    expect_bad("packet_payload", "packet_bits: 32", "packet_bits: 17", NULL, CX_ERR_VALUE,
               "key 'router.packet_bits': must hold a source address of 10 bits (4x4 tiles, 64 "
               "somas per tile) plus tile.somas.payload_bits (8), found 17");
    expect_bad("payload", "payload_bits: 8", "payload_bits: 33", NULL, CX_ERR_VALUE,
               "key 'tile.somas.payload_bits': expected an integer in [0, 32], found 33");
    expect_bad("accel", "acceleration: 1 ", "acceleration: 0 ", NULL, CX_ERR_VALUE,
               "key 'acceleration': expected a number > 0, found 0");
    expect_bad("section",
               "mesh:\n  width: 4                       # tiles along x (one router per tile)\n"
               "  height: 4                      # tiles along y\n",
               "mesh: [4, 4]\n", NULL, CX_ERR_VALUE,
               "key 'mesh': expected a mapping, found a sequence");
    expect_bad("name", "name: default ", "name: \"\" ", NULL, CX_ERR_VALUE,
               "key 'name': expected a non-empty name");
    expect_bad("top", "energy:\n", "energie:\n", NULL, CX_ERR_FORMAT,
               "unknown key 'energie' (did you mean 'energy'?)");
    expect_bad("hostkey", "- {x: 0, y: 0}", "- {x: 0, z: 0}", NULL, CX_ERR_FORMAT,
               "unknown key 'z' in 'router.hosts[0]' (allowed: x, y)");
}
END_TEST

START_TEST(missing_keys_and_files)
{
    char *text, *path = edited_default("missing", "    zeta_max: 100", "    zeta_mx: 100", &text);
    cx_chip_config cfg;
    /* An unknown key is reported before the key it was meant to be. */
    ck_assert_int_eq(cx_chip_load(path, NULL, 0, &cfg), CX_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "did you mean 'zeta_max'?"));
    free(path);
    free(text);
    path = edited_default("missing2", "    zeta_max: 100", "    # gone", &text);
    ck_assert_int_eq(cx_chip_load(path, NULL, 0, &cfg), CX_ERR_MISSING);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "missing key 'tile.compartment.zeta_max'"));
    ck_assert_ptr_nonnull(strstr(cx_last_error(), path));
    free(path);
    free(text);
    ck_assert_int_eq(cx_chip_load("/nonexistent/chip.yaml", NULL, 0, &cfg), CX_ERR_IO);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "/nonexistent/chip.yaml"));
}
END_TEST

START_TEST(overrides_are_validated_like_the_file)
{
    char *path = chip_path("default");
    const char *ok[] = {"tile.mode=continuous", "noise.thermal.enabled=false",
                        "router.hosts=[{x: 3, y: 3}, {x: 0, y: 1}]", "mesh.width=8"};
    cx_chip_config c = load_ok(path, ok, 4);
    ck_assert_int_eq(c.tile.mode, CX_CHIP_CONTINUOUS);
    ck_assert_int_eq(c.noise.thermal.enabled, 0);
    ck_assert_uint_eq(c.router.n_hosts, 2);
    ck_assert_int_eq(c.router.hosts[0].x, 3);
    ck_assert_int_eq(c.router.hosts[1].y, 1);
    ck_assert_int_eq(cx_chip_tiles(&c), 32);
    cx_chip_free(&c);
    /* Thermal switches from kT/C to sigma by nulling one and setting the other. */
    const char *to_sigma[] = {"noise.thermal.capacitance_ff=~", "noise.thermal.temperature_k=~",
                              "noise.thermal.sigma=0.003"};
    c = load_ok(path, to_sigma, 3);
    ck_assert_int_eq(c.noise.thermal.source, CX_CHIP_THERMAL_SIGMA);
    ck_assert(cx_chip_thermal_sigma_x(&c) == 0.003);
    cx_chip_free(&c);

    static const struct {
        const char *set;
        cx_status st;
        const char *msg;
    } bad[] = {
        {"tile.mode=bogus", CX_ERR_VALUE,
         "<override>: key 'tile.mode': expected one of sampled, continuous, found 'bogus'"},
        {"tile.somas.encoder=analog", CX_ERR_VALUE,
         "<override>: key 'tile.somas.encoder': expected one of sigma_delta, bernoulli, graded, "
         "found 'analog'"},
        {"tile.compartment.param_bits=0", CX_ERR_VALUE,
         "<override>: key 'tile.compartment.param_bits': expected an integer in [1, 24], found 0"},
        {"router.hosts=[{x: 9, y: 0}]", CX_ERR_VALUE,
         "<override>: key 'router.hosts[0].x': expected an integer in [0, 3], found 9"},
        {"tile.modee=continuous", CX_ERR_MISSING, NULL},
        {"tile.mode", CX_ERR_USAGE, "override 'tile.mode': expected KEY=VALUE"},
        {"noise.thermal.sigma=0.01", CX_ERR_VALUE, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cx_status st = cx_chip_load(path, &bad[i].set, 1, &c);
        ck_assert_msg(st == bad[i].st, "%s: %s (%s)", bad[i].set, cx_status_name(st),
                      cx_last_error());
        if (bad[i].msg) ck_assert_str_eq(cx_last_error(), bad[i].msg);
    }
    /* Graded spikes need value bits; without graded, 0 bits (and a smaller packet) is fine. */
    const char *graded0[] = {"tile.somas.encoder=graded", "tile.somas.payload_bits=0"};
    ck_assert_int_eq(cx_chip_load(path, graded0, 2, &c), CX_ERR_VALUE);
    ck_assert_str_eq(cx_last_error(), "<override>: key 'tile.somas.payload_bits': encoder graded "
                                      "needs at least 1 bit for the spike value, found 0");
    const char *plain[] = {"tile.somas.encoder=bernoulli", "tile.somas.payload_bits=0",
                           "router.packet_bits=10"};
    c = load_ok(path, plain, 3);
    ck_assert_int_eq(c.tile.somas.encoder, CX_CHIP_ENC_BERNOULLI);
    ck_assert_int_eq(c.tile.somas.payload_bits, 0);
    cx_chip_free(&c);
    const char *graded1[] = {"tile.somas.encoder=graded", "tile.somas.payload_bits=1",
                             "router.packet_bits=11"};
    c = load_ok(path, graded1, 3);
    ck_assert_int_eq(c.tile.somas.encoder, CX_CHIP_ENC_GRADED);
    cx_chip_free(&c);
    /* A cross-key rule reported at a key the override did not touch. */
    const char *slow[] = {"tile.mode=continuous", "tile.analog_step_ms=1"};
    ck_assert_int_eq(cx_chip_load(path, slow, 2, &c), CX_ERR_VALUE);
    ck_assert_str_eq(cx_last_error(), "<override>: key 'tile.analog_step_ms': must be <= "
                                      "tile.compartment.tau_min_ms (0.1) in continuous mode, "
                                      "found 1");
    /* ...or at the file's key when the override made the other side wrong. */
    const char *tau[] = {"tile.compartment.tau_max_ms=0.01"};
    ck_assert_int_eq(cx_chip_load(path, tau, 1, &c), CX_ERR_VALUE);
    char *text = cx_test_slurp(path, NULL), want[1024];
    snprintf(want, sizeof want,
             "%s:%d: key 'tile.compartment.tau_min_ms': must be <= tau_max_ms (0.01), found 0.1",
             path, line_of(text, "tau_min_ms:"));
    ck_assert_str_eq(cx_last_error(), want);
    free(text);
    free(path);
}
END_TEST

/* Integrates dP/dt = A P + P A^T + G G^T to steady state: an independent
 * check of the closed-form stationary variance behind the thermal diffusion. */
static double stationary_var_x(double w, double z, double s)
{
    double p11 = 0, p12 = 0, p22 = 0, dt = 1e-3 / w;
    for (int i = 0; i < 400000; i++) {
        double d11 = 2 * p12;
        double d12 = p22 - w * w * p11 - 2 * z * w * p12;
        double d22 = -2 * w * w * p12 - 4 * z * w * p22 + s * s;
        p11 += dt * d11;
        p12 += dt * d12;
        p22 += dt * d22;
    }
    return p11;
}

START_TEST(derived_quantities)
{
    cx_chip_config c;
    ck_assert_int_eq(cx_chip_config_default(&c), CX_OK);
    /* kT/C: 100 fF at 300 K. */
    double v = sqrt(1.380649e-23 * 300 / 100e-15);
    ck_assert_double_eq_tol(cx_chip_ktc_vrms(100, 300), v, 1e-18);
    ck_assert_double_eq_tol(v, 203.5e-6, 0.1e-6);
    ck_assert_double_eq_tol(cx_chip_volts_per_unit(&c), 0.125, 1e-15);
    ck_assert_double_eq_tol(cx_chip_thermal_sigma_x(&c), v / 0.125, 1e-15);
    /* Time scales: 1 ms at acceleration 1 and 200 MHz. */
    ck_assert_double_eq_tol(cx_chip_physical_step_s(&c, 1.0), 1e-3, 1e-18);
    ck_assert_double_eq_tol(cx_chip_router_cycles_per_step(&c, 1.0), 200000, 1e-6);
    c.acceleration = 1000;
    ck_assert_double_eq_tol(cx_chip_physical_step_s(&c, 0.05), 50e-9, 1e-20);
    ck_assert_double_eq_tol(cx_chip_router_cycles_per_step(&c, 1.0), 200, 1e-9);
    ck_assert_int_eq(cx_chip_serialization_cycles(&c), 2);
    ck_assert_double_eq_tol(cx_chip_link_packets_per_model_ms(&c), 100, 1e-9);
    /* 10 Gb/s of 32-bit packets for 1 us of physical time. */
    ck_assert_double_eq_tol(cx_chip_chip_link_packets_per_model_ms(&c), 312.5, 1e-9);
    c.router.link_width_bits = 20;
    ck_assert_int_eq(cx_chip_serialization_cycles(&c), 2);
    c.router.link_width_bits = 64;
    ck_assert_int_eq(cx_chip_serialization_cycles(&c), 1);
    /* 16 tiles (4 bits) and 64 somas (6 bits); 17 tiles need 5 bits. */
    ck_assert_int_eq(cx_chip_address_bits(&c), 10);
    c.mesh.width = 17;
    c.mesh.height = 1;
    c.tile.somas.count = 1;
    ck_assert_int_eq(cx_chip_address_bits(&c), 5);
    /* Three decades at 2 per decade; log DAC ratio over 10^4 in 1023 steps. */
    ck_assert_int_eq(cx_chip_flicker_processes(&c), 6);
    ck_assert_double_eq_tol(cx_chip_tau_step_rel(&c), pow(1e4, 1.0 / 1023) - 1, 1e-15);
    c.tile.compartment.tau_spacing = CX_CHIP_SPACING_LINEAR;
    ck_assert_double_eq_tol(cx_chip_tau_step_rel(&c), (1000 - 0.1) / 1023 / 0.1, 1e-12);
    ck_assert_double_eq_tol(cx_chip_adc_lsb(&c), 8.0 / 1024, 1e-15);
    ck_assert(cx_chip_weight_step_rel(1) == 1.0);
    ck_assert_double_eq_tol(cx_chip_weight_step_rel(6), 1.0 / 63, 1e-15);
    /* Diffusion that gives a compartment the stationary std sigma_x. */
    const double cases[][2] = {{0.3, 0.2}, {2.0, 1.0}, {1.0, 5.0}};
    for (size_t i = 0; i < 3; i++) {
        double w = cases[i][0], z = cases[i][1];
        double s = cx_chip_thermal_diffusion(0.01, w, z);
        ck_assert_double_eq_tol(sqrt(stationary_var_x(w, z, s)), 0.01, 1e-5);
    }
    cx_chip_free(&c);
}
END_TEST

START_TEST(cli_check_text_and_json)
{
    for (int i = 0; i < NSHIPPED; i++) {
        char *path = chip_path(SHIPPED[i]), args[512], *out, *err;
        snprintf(args, sizeof args, "chip check '%s'", path);
        ck_assert_msg(cx_test_cli(args, &out, &err) == 0, "%s: %s", path, err);
        ck_assert_str_eq(err, "");
        ck_assert_ptr_nonnull(strstr(out, "resources"));
        ck_assert_ptr_nonnull(strstr(out, "time scales"));
        ck_assert_ptr_nonnull(strstr(out, "noise budget"));
        ck_assert_ptr_nonnull(strstr(out, "energy"));
        free(out);
        free(err);
        snprintf(args, sizeof args, "chip check '%s' --json", path);
        ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
        cJSON *doc = cJSON_Parse(out);
        ck_assert_msg(doc != NULL, "not JSON: %s", out);
        /* The JSON config is the loaded config, key for key. */
        cx_chip_config cfg = load_ok(path, NULL, 0);
        cJSON *want = cx_chip_to_json(&cfg);
        ck_assert(cJSON_Compare(cJSON_GetObjectItem(doc, "config"), want, 1));
        ck_assert_str_eq(cJSON_GetObjectItem(doc, "file")->valuestring, path);
        ck_assert_int_eq(
            cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "derived"), "tiles")->valueint,
            cx_chip_tiles(&cfg));
        cJSON_Delete(want);
        cJSON_Delete(doc);
        cx_chip_free(&cfg);
        free(out);
        free(err);
        free(path);
    }
    char *path = chip_path("default"), args[512], *out, *err;
    snprintf(args, sizeof args, "chip check '%s'", path);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "4 x 4 tiles (16), sampled tiles"));
    ck_assert_ptr_nonnull(strstr(out, "compartments              256          4096"));
    ck_assert_ptr_nonnull(strstr(out, "sigma_x 0.00163 per step"));
    ck_assert_ptr_nonnull(strstr(out, "kT/C: 100 fF at 300 K = 203.5 uV rms"));
    ck_assert_ptr_nonnull(strstr(out, "200000"));
    ck_assert_ptr_nonnull(strstr(out, "(graded encoders, <= 1000 Hz, 8-bit payloads)"));
    ck_assert_ptr_nonnull(strstr(out, "address 10 + payload 8 of 32 packet bits"));
    free(out);
    free(err);
    /* --set shows in the summary and in the JSON. */
    snprintf(args, sizeof args,
             "chip check '%s' --set tile.mode=continuous --set acceleration=1000 --json", path);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
    cJSON *doc = cJSON_Parse(out);
    ck_assert_ptr_nonnull(doc);
    cJSON *tile = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "config"), "tile");
    ck_assert_str_eq(cJSON_GetObjectItem(tile, "mode")->valuestring, "continuous");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "overrides")), 2);
    cJSON *steps = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "derived"), "time_scales");
    ck_assert_int_eq(cJSON_GetArraySize(steps), 3); /* ELM, GLIFR, analog step */
    ck_assert_double_eq_tol(
        cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "router_cycles")->valuedouble, 200, 1e-9);
    cJSON_Delete(doc);
    free(out);
    free(err);
    free(path);
}
END_TEST

START_TEST(cli_errors_and_help)
{
    char *out, *err, args[512];
    ck_assert_int_eq(cx_test_cli("chip check --help", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: cortile chip check CHIP.yaml"));
    ck_assert_ptr_nonnull(strstr(out, "--set KEY=VALUE"));
    ck_assert_ptr_nonnull(strstr(out, "--json"));
    free(out);
    free(err);
    ck_assert_int_eq(cx_test_cli("chip --help", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "check"));
    free(out);
    free(err);
    ck_assert_int_eq(cx_test_cli("--help", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "chip"));
    free(out);
    free(err);
    /* Usage errors exit 2. */
    const char *usage[] = {"chip", "chip frobnicate", "chip check", "chip check a.yaml b.yaml",
                           "chip check a.yaml --bogus"};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        ck_assert_msg(cx_test_cli(usage[i], &out, &err) == 2, "'%s' did not exit 2", usage[i]);
        ck_assert_ptr_nonnull(strstr(err, "cortile chip"));
        free(out);
        free(err);
    }
    /* A bad file or override exits 1 with one line naming file, line and key. */
    char *text, *bad = edited_default("cli_bad", "mode: sampled", "mode: bogus", &text);
    snprintf(args, sizeof args, "chip check '%s'", bad);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 1);
    char want[1024];
    snprintf(want, sizeof want,
             "cortile chip check: error: %s:%d: key 'tile.mode': expected one of sampled, "
             "continuous, found 'bogus'\n",
             bad, line_of(text, "mode: bogus"));
    ck_assert_str_eq(err, want);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    free(text);
    free(bad);
    char *path = chip_path("default");
    snprintf(args, sizeof args, "chip check '%s' --set tile.mode=bogus", path);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 1);
    ck_assert_str_eq(err, "cortile chip check: error: <override>: key 'tile.mode': expected one "
                          "of sampled, continuous, found 'bogus'\n");
    free(out);
    free(err);
    snprintf(args, sizeof args, "chip check '%s' --set tile.mode", path);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 2);
    free(out);
    free(err);
    ck_assert_int_eq(cx_test_cli("chip check /nonexistent.yaml", &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.yaml"));
    free(out);
    free(err);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chip_config");
    TCase *tc = tcase_create("chip_config");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shipped_chips_load);
    tcase_add_test(tc, ideal_chip_is_noise_free);
    tcase_add_test(tc, default_file_equals_builtin);
    tcase_add_test(tc, default_file_documents_every_key);
    tcase_add_test(tc, bad_files_name_line_and_key);
    tcase_add_test(tc, missing_keys_and_files);
    tcase_add_test(tc, overrides_are_validated_like_the_file);
    tcase_add_test(tc, derived_quantities);
    tcase_add_test(tc, cli_check_text_and_json);
    tcase_add_test(tc, cli_errors_and_help);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
