/* Payload grids of graded spikes and host values (cx_dac_payload_*): known
 * codes, clamping, the grid property over a sweep, and the degenerate widths. */
#include "cx_dac.h"
#include "test_util.h"

#include <math.h>

START_TEST(payload_unsigned_known_codes)
{
    ck_assert(cx_dac_payload_unsigned(0.5, 8) == 128.0 / 255); /* 127.5 rounds away from 0 */
    ck_assert(cx_dac_payload_unsigned(0.25, 8) == 64.0 / 255);
    ck_assert(cx_dac_payload_unsigned(1.0 / 3, 2) == 1.0 / 3);
    ck_assert(cx_dac_payload_unsigned(0.49, 1) == 0.0);
    ck_assert(cx_dac_payload_unsigned(0.5, 1) == 1.0);
    ck_assert(cx_dac_payload_unsigned(1.0, 32) == 1.0);
    ck_assert(cx_dac_payload_unsigned(0.7, 32) == round(0.7 * 4294967295.0) / 4294967295.0);
    /* clamped to [0, 1]; nothing to carry without bits or a number */
    ck_assert(cx_dac_payload_unsigned(-0.1, 8) == 0.0);
    ck_assert(cx_dac_payload_unsigned(1.7, 8) == 1.0);
    ck_assert(cx_dac_payload_unsigned(0.9, 0) == 0.0);
    ck_assert(cx_dac_payload_unsigned(NAN, 8) == 0.0);
}
END_TEST

START_TEST(payload_unsigned_is_nearest_code)
{
    for (int bits = 1; bits <= 16; bits++) {
        double codes = ldexp(1.0, bits) - 1.0;
        for (int i = 0; i <= 1000; i++) {
            double r = i / 1000.0, q = cx_dac_payload_unsigned(r, bits), k = q * codes;
            ck_assert_msg(fabs(k - round(k)) < 1e-9, "bits %d r %g -> %.17g off the grid", bits, r,
                          q);
            ck_assert_msg(q == round(k) / codes, "bits %d r %g: not k / codes", bits, r);
            ck_assert(fabs(q - r) <= 0.5 / codes * (1 + 1e-12));
        }
    }
}
END_TEST

START_TEST(payload_signed_known_codes)
{
    ck_assert(cx_dac_payload_signed(1.0, 2.0, 8) == 64.0 / 127 * 2.0); /* 63.5 of 127 levels */
    ck_assert(cx_dac_payload_signed(-1.0, 2.0, 8) == -64.0 / 127 * 2.0);
    ck_assert(cx_dac_payload_signed(0.0, 2.0, 8) == 0.0);
    ck_assert(cx_dac_payload_signed(-3.0, 2.0, 8) == -2.0); /* clamped */
    ck_assert(cx_dac_payload_signed(5.0, 2.0, 8) == 2.0);
    /* two bits: sign and one magnitude level */
    ck_assert(cx_dac_payload_signed(0.6, 1.0, 2) == 1.0);
    ck_assert(cx_dac_payload_signed(-0.6, 1.0, 2) == -1.0);
    double z = cx_dac_payload_signed(-0.4, 1.0, 2);
    ck_assert(z == 0.0 && !signbit(z)); /* 0 is one code, not two */
    /* one bit is the sign alone; no range; no number */
    ck_assert(cx_dac_payload_signed(0.9, 1.0, 1) == 0.0);
    ck_assert(cx_dac_payload_signed(0.9, 1.0, 0) == 0.0);
    ck_assert(cx_dac_payload_signed(0.9, 0.0, 8) == 0.0);
    ck_assert(cx_dac_payload_signed(NAN, 1.0, 8) == 0.0);
    /* odd: the grid is symmetric */
    for (int i = -50; i <= 50; i++)
        ck_assert(cx_dac_payload_signed(-0.07 * i, 3.0, 6) ==
                  -cx_dac_payload_signed(0.07 * i, 3.0, 6));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dac");
    TCase *tc = tcase_create("dac");
    tcase_add_test(tc, payload_unsigned_known_codes);
    tcase_add_test(tc, payload_unsigned_is_nearest_code);
    tcase_add_test(tc, payload_signed_known_codes);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
