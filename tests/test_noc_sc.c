/* The SystemC shell drives the same kernel: identical statistics to the C
 * engine, and it refuses a second elaboration in one process. */
#include "cx_noc.h"
#include "cx_noc_sc.h"
#include "test_util.h"

#include <string.h>

static cx_noc *loaded(void)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 6, c.height = 6, c.packet_bits = 96, c.flow = CX_NOC_FLOW_DROP;
    c.buffer_depth_packets = 2;
    cx_noc *n = NULL;
    ck_assert_int_eq(cx_noc_alloc(&c, &n), CX_OK);
    cx_noc_traffic t = {.pattern = CX_NOC_TRAFFIC_MULTICAST,
                        .rate = 0.03,
                        .seed = 4,
                        .end_cycle = 20000,
                        .fanout = 5};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
    /* and a few packets from the host with deadlines */
    for (uint64_t k = 0; k < 50; k++)
        ck_assert_int_eq(cx_noc_inject(n, 100 * k, 36, (int)(k % 36), 5, 100 * k + 25, 0), CX_OK);
    cx_noc_set_window(n, 2000);
    return n;
}

START_TEST(systemc_matches_c)
{
    cx_noc *a = loaded(), *b = loaded();
    cx_noc_run(a, 20000);
    ck_assert_int_eq(cx_noc_run_systemc(b, 20000), CX_OK);
    const cx_noc_stats *x = cx_noc_get_stats(a), *y = cx_noc_get_stats(b);
    ck_assert_uint_gt(x->packets_delivered, 10000);
    ck_assert_uint_gt(x->packets_dropped, 0);
    ck_assert_uint_gt(x->packets_late, 0);
    ck_assert_uint_eq(x->now, y->now);
    ck_assert_uint_eq(x->packets_generated, y->packets_generated);
    ck_assert_uint_eq(x->packets_injected, y->packets_injected);
    ck_assert_uint_eq(x->packets_replicated, y->packets_replicated);
    ck_assert_uint_eq(x->packets_delivered, y->packets_delivered);
    ck_assert_uint_eq(x->packets_dropped, y->packets_dropped);
    ck_assert_uint_eq(x->packets_late, y->packets_late);
    ck_assert_uint_eq(x->link_traversals, y->link_traversals);
    ck_assert(x->latency_sum == y->latency_sum);
    ck_assert_uint_eq(x->latency_hist_len, y->latency_hist_len);
    ck_assert_int_eq(
        memcmp(x->latency_hist, y->latency_hist, x->latency_hist_len * sizeof *x->latency_hist), 0);
    ck_assert_int_eq(memcmp(x->out_packets, y->out_packets, 36 * 6 * sizeof *x->out_packets), 0);
    /* the kernel stopped at the same place: continuing in C gives the same end */
    cx_noc_run(a, CX_NOC_NEVER);
    cx_noc_run(b, CX_NOC_NEVER);
    ck_assert_uint_eq(x->packets_delivered, y->packets_delivered);
    ck_assert_uint_eq(x->now, y->now);
    /* SystemC elaborates once per process */
    ck_assert_int_eq(cx_noc_run_systemc(a, 30000), CX_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "once per process"));
    cx_noc_free(a);
    cx_noc_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noc_systemc");
    TCase *tc = tcase_create("shell");
    tcase_add_test(tc, systemc_matches_c);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
