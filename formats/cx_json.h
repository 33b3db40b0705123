/* cx_json: JSON config files (cJSON) with errors that name file and key. */
#ifndef CX_JSON_H
#define CX_JSON_H

#include "cx_status.h"

#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses a file; a syntax error names the line and column. */
cx_status cx_json_load(const char *path, cJSON **out);
/* Writes doc to a file, pretty-printed with a final newline, atomically. */
cx_status cx_json_save(const char *path, const cJSON *doc);

/* Typed getters. `file` labels errors. When `dflt` is non-NULL a missing key
 * takes *dflt; a present key of the wrong type is always an error. */
cx_status cx_json_number(const cJSON *obj, const char *file, const char *key, const double *dflt,
                         double *out);
cx_status cx_json_int(const cJSON *obj, const char *file, const char *key, const long *dflt,
                      long *out);
cx_status cx_json_bool(const cJSON *obj, const char *file, const char *key, const int *dflt,
                       int *out);
/* Returns a pointer into obj (valid while obj lives); JSON null counts as missing. */
cx_status cx_json_string(const cJSON *obj, const char *file, const char *key, const char *dflt,
                         const char **out);

/* Applies "key=value" overrides onto a flat config object. The value is read
 * as JSON (5, 1e-3, true, "silu", null) or else taken as a plain string. */
cx_status cx_json_apply_override(cJSON *obj, const char *assignment);

#ifdef __cplusplus
}
#endif
#endif
