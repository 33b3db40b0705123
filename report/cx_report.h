/* cx_report: the vocabulary compile and run reports share (DESIGN.md s7):
 * resources per tile, routing load, energy per inference as JSON sections,
 * and the readable text of a whole report. */
#ifndef CX_REPORT_H
#define CX_REPORT_H

#include "cx_exec.h"
#include "cx_program.h"

#include <cJSON.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Resources per tile against the chip's. */
cJSON *cx_report_resources(const cx_program *p, const cx_chip_config *chip);
/* Routing load, late and dropped spikes, latency of a run with the router. */
cJSON *cx_report_routing(const cx_exec *e, const cx_chip_config *chip, double step_ms);
/* The chip's defects and what they cost the program: dead tiles and links,
 * whether the compiler mapped around them, program tiles on dead cores; with
 * a run (e may be NULL), spike copies lost in dead links and detoured
 * routes. NULL when the chip has no defect. */
cJSON *cx_report_defects(const cx_chip_config *chip, const cx_program *p, const cx_exec *e);
/* Energy of a run per inference (sample). */
cJSON *cx_report_energy(const cx_exec *e);
/* The readable text of a compile or run report. */
void cx_report_print(FILE *fp, const cJSON *report);

#ifdef __cplusplus
}
#endif
#endif
