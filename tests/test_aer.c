/* AER packet header: pack/unpack round trips, field overflow, step stamps. */
#include "cx_aer.h"
#include "test_util.h"

#include <string.h>

START_TEST(default_is_32_bits)
{
    cx_aer_format f = cx_aer_format_default();
    ck_assert_int_eq(cx_aer_format_bits(&f), 32);
    ck_assert_int_eq(cx_aer_format_check(&f), CX_OK);
}
END_TEST

START_TEST(round_trip_many_formats)
{
    const cx_aer_format fmts[] = {
        {10, 14, 8, 0}, {1, 1, 0, 0}, {16, 16, 16, 16}, {6, 10, 0, 16}, {31, 1, 0, 32}};
    uint64_t s = 12345;
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        const cx_aer_format *f = &fmts[i];
        ck_assert_int_eq(cx_aer_format_check(f), CX_OK);
        for (int k = 0; k < 1000; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            cx_aer_packet p = {.tile = (uint32_t)((s >> 7) & ((1ULL << f->tile_bits) - 1)),
                               .neuron = (uint32_t)((s >> 13) & ((1ULL << f->neuron_bits) - 1)),
                               .step = (uint32_t)(s >> 40),
                               .payload = f->payload_bits
                                              ? (s >> 3) & ((1ULL << f->payload_bits) - 1)
                                              : 0},
                          q;
            uint64_t w;
            ck_assert_int_eq(cx_aer_pack(f, &p, &w), CX_OK);
            ck_assert(cx_aer_format_bits(f) == 64 || w >> cx_aer_format_bits(f) == 0);
            cx_aer_unpack(f, w, &q);
            ck_assert_uint_eq(q.tile, p.tile);
            ck_assert_uint_eq(q.neuron, p.neuron);
            ck_assert_uint_eq(q.payload, p.payload);
            uint32_t smask = f->step_bits ? (uint32_t)((1ULL << f->step_bits) - 1) : 0;
            ck_assert_uint_eq(q.step, p.step & smask);
        }
    }
}
END_TEST

START_TEST(layout_is_msb_first)
{
    cx_aer_format f = {4, 4, 4, 4};
    cx_aer_packet p = {.tile = 0xA, .neuron = 0xB, .step = 0xC, .payload = 0xD};
    uint64_t w;
    ck_assert_int_eq(cx_aer_pack(&f, &p, &w), CX_OK);
    ck_assert_uint_eq(w, 0xABCD);
    ck_assert_uint_eq(cx_aer_source_id(&f, 0xA, 0xB), 0xAB);
}
END_TEST

START_TEST(overflow_and_bad_formats)
{
    cx_aer_format f = {4, 4, 4, 0};
    cx_aer_packet p = {.tile = 16, .neuron = 0};
    uint64_t w;
    ck_assert_int_eq(cx_aer_pack(&f, &p, &w), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tile 16 does not fit 4 bits"));
    p.tile = 1, p.neuron = 99;
    ck_assert_int_eq(cx_aer_pack(&f, &p, &w), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "neuron 99"));
    p.neuron = 1, p.payload = 1;
    ck_assert_int_eq(cx_aer_pack(&f, &p, &w), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "payload"));
    /* the step wraps */
    p.payload = 0, p.step = 0x35;
    ck_assert_int_eq(cx_aer_pack(&f, &p, &w), CX_OK);
    ck_assert_uint_eq(w & 0xF, 5);
    cx_aer_format bad = {0, 4, 0, 0};
    ck_assert_int_eq(cx_aer_format_check(&bad), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tile_bits must be 1..32, got 0"));
    bad = (cx_aer_format){20, 20, 0, 0};
    ck_assert_int_eq(cx_aer_format_check(&bad), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tile_bits + neuron_bits"));
    bad = (cx_aer_format){16, 16, 32, 8};
    ck_assert_int_eq(cx_aer_format_check(&bad), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "<= 64 bits, got 72"));
}
END_TEST

START_TEST(step_lag)
{
    cx_aer_format f = {4, 4, 3, 0}; /* stamps modulo 8 */
    ck_assert_uint_eq(cx_aer_step_lag(&f, 5, 5), 0);
    ck_assert_uint_eq(cx_aer_step_lag(&f, 5, 6), 1);
    ck_assert_uint_eq(cx_aer_step_lag(&f, 7, 9), 2); /* stamp 7, current step 9 = 1 mod 8 */
    cx_aer_format none = {4, 4, 0, 0};
    ck_assert_uint_eq(cx_aer_step_lag(&none, 0, 100), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("aer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, default_is_32_bits);
    tcase_add_test(tc, round_trip_many_formats);
    tcase_add_test(tc, layout_is_msb_first);
    tcase_add_test(tc, overflow_and_bad_formats);
    tcase_add_test(tc, step_lag);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
