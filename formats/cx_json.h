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

/* ------------------------------------------------------------ schemas
 * A flat config object is checked against a table of its keys, so that
 * every key and value is validated in one place whatever its source (the
 * file, an override, a default): an unknown key is refused with a
 * did-you-mean, a value of the wrong type or outside its range names the key
 * and the range. JSON null counts as absent (the default). */

typedef enum {
    CX_JSON_ANY,    /* descriptive: any value, never read */
    CX_JSON_INT,    /* a number with an integral value */
    CX_JSON_NUMBER, /* a finite number */
    CX_JSON_BOOL,
    CX_JSON_STRING,
} cx_json_type;

typedef struct {
    const char *key;
    cx_json_type type;
    double min, max;            /* INT, NUMBER: the allowed range, inclusive (±HUGE_VAL: open) */
    const char *unit;           /* of the range in messages ("ms"), or NULL */
    const char *const *choices; /* STRING: the allowed values, NULL-terminated; NULL: any */
    int param;                  /* read by the model, so an override may set it */
} cx_json_key;

typedef struct {
    const cx_json_key *keys;
    size_t n;
} cx_json_schema;

/* The first key of obj missing from the schema is CX_ERR_FORMAT "FILE:
 * unknown key 'num_membory' (did you mean 'num_memory'?)"; the first
 * present value of the wrong type or out of range is CX_ERR_VALUE "FILE: key
 * 'dt': must be in [0.001, 10] ms, found 1e-300". */
cx_status cx_json_check(const cJSON *obj, const char *file, const cx_json_schema *schema);

/* Typed getters through the schema entry of `key`: a missing key takes
 * *dflt (NULL: the key is required), and the value, a default included (it
 * may derive from other keys), is checked against the key's type and range. */
cx_status cx_json_get_long(const cJSON *obj, const char *file, const cx_json_schema *schema,
                           const char *key, const long *dflt, long *out);
cx_status cx_json_get_number(const cJSON *obj, const char *file, const cx_json_schema *schema,
                             const char *key, const double *dflt, double *out);
/* Returns a pointer into obj (valid while obj lives) or dflt. */
cx_status cx_json_get_string(const cJSON *obj, const char *file, const cx_json_schema *schema,
                             const char *key, const char *dflt, const char **out);

/* Applies a "key=value" override onto a flat config object. The value is read
 * as JSON (5, 1e-3, true, "silu", null) or else taken as a plain string. With
 * a schema, the key must be a parameter of it (an unknown one is refused with
 * a did-you-mean among the parameters) and the value must pass its check;
 * errors are labelled "LABEL key=value" (LABEL names where the override came
 * from, e.g. a command-line option). */
cx_status cx_json_apply_override(cJSON *obj, const char *assignment, const cx_json_schema *schema,
                                 const char *label);

#ifdef __cplusplus
}
#endif
#endif
