/* SystemC driver of the mesh kernel: a `Noc` module whose process wakes at
 * the cycle of the next pending event and lets the C kernel process it, so
 * simulated time advances only when some router has work. */
#ifndef CX_NOC_SC_H
#define CX_NOC_SC_H

#include "cx_noc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elaborates a Noc module around `noc` and runs the SystemC kernel until no
 * event before end_cycle remains. The result equals cx_noc_run(noc,
 * end_cycle). SystemC elaborates once per process: call this at most once. */
cx_status cx_noc_run_systemc(cx_noc *noc, uint64_t end_cycle);

#ifdef __cplusplus
}
#endif
#endif
