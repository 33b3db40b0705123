/* cortile tile and cortile bench tile end to end: the shipped netlist on the
 * bundled input, both engines, seeds, VCD and plot, and bad input. */
#include "cx_st.h"
#include "test_util.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs the shipped example; returns the exit status. */
static int run_example(const char *extra, const char *out, const char *vcd, char **err)
{
    char cmd[4096], *o, *in = cx_test_data("tile_input.safetensors");
    snprintf(cmd, sizeof cmd,
             "tile %s/configs/tiles/resonators.yaml --chip %s/configs/chips/default.yaml "
             "--input %s --output %s --vcd %s %s",
             CX_SOURCE_DIR, CX_SOURCE_DIR, in, out, vcd, extra);
    int rc = cx_test_cli(cmd, &o, err);
    free(o);
    free(in);
    return rc;
}

START_TEST(example_runs_deterministically_in_both_engines)
{
    char *o1 = cx_test_tmp("k1.st"), *o2 = cx_test_tmp("k2.st"), *o3 = cx_test_tmp("sc.st"),
         *o4 = cx_test_tmp("s2.st");
    char *v1 = cx_test_tmp("k1.vcd"), *v2 = cx_test_tmp("k2.vcd"), *v3 = cx_test_tmp("sc.vcd"),
         *v4 = cx_test_tmp("s2.vcd");
    char *err;
    ck_assert_msg(run_example("--seed 7", o1, v1, &err) == 0, "%s", err);
    free(err);
    ck_assert_int_eq(run_example("--seed 7", o2, v2, &err), 0);
    free(err);
    ck_assert_msg(run_example("--seed 7 --engine systemc", o3, v3, &err) == 0, "%s", err);
    free(err);
    ck_assert_int_eq(run_example("--seed 8", o4, v4, &err), 0);
    free(err);
    ck_assert(cx_test_same_file(o1, o2) && cx_test_same_file(v1, v2));
    ck_assert_msg(cx_test_same_file(o1, o3) && cx_test_same_file(v1, v3),
                  "SystemC engine differs from the kernel");
    ck_assert(!cx_test_same_file(o1, o4) && !cx_test_same_file(v1, v4));

    /* The output has the documented tensors and the VCD the recorded signals. */
    cx_st_file *f = cx_test_open(o1);
    const cx_st_tensor *t;
    int64_t rs[2] = {2000, 1}, ts[2] = {2000, 5}, ss[2] = {2000, 1};
    ck_assert_int_eq(cx_st_require(f, "readout", CX_DTM(CX_DT_F64), 2, rs, &t), CX_OK);
    ck_assert_int_eq(cx_st_require(f, "trace", CX_DTM(CX_DT_F64), 2, ts, &t), CX_OK);
    ck_assert_int_eq(cx_st_require(f, "spikes", CX_DTM(CX_DT_U8), 2, ss, &t), CX_OK);
    size_t spikes = 0;
    for (size_t i = 0; i < t->nelem; i++)
        spikes += t->data[i];
    ck_assert_uint_gt(spikes, 10);
    cx_st_close(f);
    char *vcd = cx_test_slurp(v1, NULL);
    ck_assert_ptr_nonnull(strstr(vcd, "$timescale 100 us $end"));
    ck_assert_ptr_nonnull(strstr(vcd, "$var real 64 \" res20 $end"));
    ck_assert_ptr_nonnull(strstr(vcd, "$var wire 1 & out_spike $end"));
    ck_assert_ptr_nonnull(strstr(vcd, "\n#2000\n"));
    free(vcd);
    char *paths[] = {o1, o2, o3, o4, v1, v2, v3, v4};
    for (int i = 0; i < 8; i++)
        free(paths[i]);
}
END_TEST

START_TEST(plot_and_json)
{
    char cmd[4096], *out, *err, *svg = cx_test_tmp("plot.svg");
    char *in = cx_test_data("tile_input.safetensors");
    snprintf(cmd, sizeof cmd,
             "tile %s/configs/tiles/resonators.yaml --chip %s/configs/chips/default.yaml "
             "--input %s --steps 500 --plot %s --json --set tile.mode=continuous",
             CX_SOURCE_DIR, CX_SOURCE_DIR, in, svg);
    free(in);
    ck_assert_msg(cx_test_cli(cmd, &out, &err) == 0, "%s", err);
    cJSON *j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    /* continuous: 10 analog steps of 0.01 ms per 0.1 ms step, 3 compartments */
    ck_assert_double_eq(cJSON_GetObjectItem(j, "compartment_steps")->valuedouble, 500 * 10 * 3);
    ck_assert_double_eq(cJSON_GetObjectItem(j, "steps")->valuedouble, 500);
    cJSON_Delete(j);
    free(out), free(err);
    char *s = cx_test_slurp(svg, NULL);
    ck_assert_ptr_nonnull(strstr(s, "<svg"));
    ck_assert_ptr_nonnull(strstr(s, "res60"));
    ck_assert_ptr_nonnull(strstr(s, "</svg>"));
    free(s);
    free(svg);
}
END_TEST

static void expect_error(const char *netlist_text, const char *extra, const char *msg)
{
    char *path = cx_test_tmp("bad.yaml"), cmd[4096], *out, *err;
    cx_test_write(path, netlist_text, strlen(netlist_text));
    snprintf(cmd, sizeof cmd, "tile %s --chip %s/configs/chips/default.yaml --steps 10 %s", path,
             CX_SOURCE_DIR, extra);
    int rc = cx_test_cli(cmd, &out, &err);
    ck_assert_msg(rc == 1, "exit %d for %s", rc, msg);
    ck_assert_msg(strstr(err, msg) != NULL, "stderr '%s' lacks '%s'", err, msg);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "one line: %s", err);
    free(out), free(err), free(path);
}

START_TEST(bad_netlists_and_chips)
{
    const char *ok = "step_ms: 1\ncompartments:\n  - {name: a, kind: first_order, tau_ms: 5}\n";
    expect_error("step_ms: 1\ncompartments:\n  - {name: a, kind: first_order, tau_mss: 5}\n", "",
                 "bad.yaml:3: unknown key 'tau_mss' in 'compartments[0]' (did you mean 'tau_ms'?)");
    expect_error("step_ms: 1\ncompartments:\n  - {name: a, kind: first_order, tau_ms: 5, drive: "
                 "{b: 1}}\n",
                 "", "bad.yaml:3: key 'compartments[0].drive.b': unknown signal b");
    expect_error("step_ms: 1\ncompartments:\n  - {name: a, kind: first_order, tau_ms: 5000}\n", "",
                 "compartment 0: tau_ms 5000 is outside the chip's range [0.1, 1000]");
    expect_error("step_ms: 1\ncompartments:\n  - {name: a, kind: third_order}\n", "",
                 "expected second_order or first_order, found third_order");
    expect_error("step_ms: 1\ncompartments:\n  - {name: a, kind: first_order, tau_ms: 5}\n"
                 "  - {name: a, kind: first_order, tau_ms: 5}\n",
                 "", "bad.yaml:4: key 'compartments[1].name': duplicate name a");
    expect_error("step_ms: [1\n", "", "bad.yaml:");
    expect_error(ok, "--set tile.compartment.param_bits=0",
                 "key 'tile.compartment.param_bits': expected an integer in [1, 24], found 0");
    expect_error(ok, "--set tile.compartments=0", "tile.compartments");
    expect_error(ok, "--input /nonexistent.safetensors", "/nonexistent.safetensors");
}
END_TEST

START_TEST(bench_tile_reports_rate)
{
    char *out, *err;
    for (int m = 0; m < 2; m++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd,
                 "bench tile --compartments 64 --ms 20 --step 0.01 --mode %s --json",
                 m ? "continuous" : "sampled");
        ck_assert_msg(cx_test_cli(cmd, &out, &err) == 0, "%s", err);
        cJSON *j = cJSON_Parse(out);
        ck_assert_ptr_nonnull(j);
        double steps = cJSON_GetObjectItem(j, "compartment_steps")->valuedouble;
        ck_assert_double_eq(steps, m ? 64.0 * 2000 : 64.0 * 2000);
        ck_assert_double_gt(cJSON_GetObjectItem(j, "compartment_steps_per_s")->valuedouble, 0);
        cJSON_Delete(j);
        free(out), free(err);
    }
    ck_assert_int_eq(cx_test_cli("bench tile --mode quantum", &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--mode needs sampled or continuous"));
    free(out), free(err);
    ck_assert_int_eq(cx_test_cli("bench nothing", &out, &err), 2);
    free(out), free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tile_cli");
    TCase *tc = tcase_create("tile_cli");
    tcase_add_test(tc, example_runs_deterministically_in_both_engines);
    tcase_add_test(tc, plot_and_json);
    tcase_add_test(tc, bad_netlists_and_chips);
    tcase_add_test(tc, bench_tile_reports_rate);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
