/* cx_vcd: an IEEE 1364 value change dump (GTKWave opens it) of real-valued
 * signals (compartment states, dendrite outputs) and 1-bit spike wires.
 * Declare every variable, then feed samples and spikes in time order:
 *
 *     cx_vcd *vcd;
 *     CX_TRY(cx_vcd_open("run.vcd", "10 us", "tile0", &vcd));
 *     cx_vcd_add_real(vcd, "x 0", NULL);      // declared as x_0
 *     cx_vcd_add_wire(vcd, "soma0", NULL);
 *     for (...) { cx_vcd_sample(vcd, t, x); if (fired) cx_vcd_spike(vcd, t, 0); }
 *     CX_TRY(cx_vcd_close(vcd));              // path appears only now
 *
 * Everything given at one time tick lands in one `#time` block, written when
 * time moves on; timestamps in the file increase strictly. Reals are written
 * when their bits change (%.17g: they read back exactly). A spike at tick t
 * raises its wire at t and lowers it at t + 1 (spikes on consecutive ticks
 * merge into one longer pulse). The file is written as path.tmp and renamed
 * over path by cx_vcd_close, so a crash never leaves half a file at path.
 * Output is deterministic: no $date. */
#ifndef CX_VCD_H
#define CX_VCD_H

#include "cx_status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cx_vcd cx_vcd;

/* Creates path.tmp. timescale is "1", "10" or "100" then s, ms, us, ns, ps or
 * fs, with or without a space ("1 ns", "10us"); module names the scope. */
cx_status cx_vcd_open(const char *path, const char *timescale, const char *module, cx_vcd **out);
/* Declare variables before the first sample or spike. A name is sanitized
 * (characters other than letters, digits and '_' become '_'; a leading digit
 * gets a '_' before it). index (may be NULL) receives the real's position in
 * the array cx_vcd_sample takes, or the wire's index for cx_vcd_spike. */
cx_status cx_vcd_add_real(cx_vcd *vcd, const char *name, size_t *index);
cx_status cx_vcd_add_wire(cx_vcd *vcd, const char *name, size_t *index);
/* Values of every real, in declaration order, at time_ticks (>= the previous
 * call's time; at an equal time the later values replace the earlier ones). */
cx_status cx_vcd_sample(cx_vcd *vcd, uint64_t time_ticks, const double *reals);
/* A spike on wire at time_ticks (>= the previous call's time). */
cx_status cx_vcd_spike(cx_vcd *vcd, uint64_t time_ticks, size_t wire);
/* Writes what is pending, closes and renames path.tmp to path; frees vcd
 * whatever happens. A write error (disk full) is CX_ERR_IO naming path, and
 * leaves neither path.tmp nor a changed path behind. NULL is a no-op. */
cx_status cx_vcd_close(cx_vcd *vcd);
/* Removes path.tmp and frees vcd, for error paths. NULL is a no-op. */
void cx_vcd_discard(cx_vcd *vcd);

/* The identifier code of variable i (declaration order, reals and wires
 * together): printable ASCII 33..126, one character for the first 94, then
 * two, ... out must hold CX_VCD_ID_MAX bytes. */
enum { CX_VCD_ID_MAX = 8 };
void cx_vcd_id(size_t i, char out[CX_VCD_ID_MAX]);

#ifdef __cplusplus
}
#endif
#endif
