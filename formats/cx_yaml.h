/* cx_yaml: YAML documents (chip descriptions, sweeps, boards, manifests) as a
 * node tree that remembers where every node came from, plus strict typed
 * accessors whose errors read "chip.yaml:12: key 'tile.compartment.tau_ms':
 * expected a number > 0, found -3".
 *
 * Scope, chosen for config files:
 * - one document per file; duplicate keys, merge keys ('<<') and tags other
 *   than !!str/!!seq/!!map are errors; anchors and aliases work (an alias is
 *   a copy of the anchored node, so overriding one copy leaves the other);
 * - scalars keep their raw text: a plain scalar is typed on access (numbers
 *   as in YAML 1.2 core, booleans true/false only, never yes/no/on/off); a
 *   quoted or block scalar is always a string; plain "", "~" and "null" are
 *   null, and a null value counts as a missing key;
 * - key paths are dotted, with sequence indices as "[2]" or ".2":
 *   "tile.compartment.tau_ms", "layers[1].size". Keys containing '.' or '['
 *   cannot be addressed by path. */
#ifndef CX_YAML_H
#define CX_YAML_H

#include "cx_status.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CX_YAML_SCALAR, CX_YAML_SEQUENCE, CX_YAML_MAPPING } cx_yaml_kind;

typedef struct cx_yaml_node cx_yaml_node;
struct cx_yaml_node {
    cx_yaml_kind kind;
    const char *file;     /* label for errors: the loaded path, or "<override>" */
    int line, col;        /* 1-based; 0 for nodes set by an override */
    char *path;           /* dotted key path from the root; "" for the root */
    char *value;          /* scalar: text as written (after YAML unescaping) */
    int quoted;           /* scalar: quoted or block style, so always a string */
    size_t n;             /* number of sequence items or mapping pairs */
    cx_yaml_node **keys;  /* mapping: key scalars, in file order */
    cx_yaml_node **items; /* sequence items, or mapping values (keys[i] -> items[i]) */
};

typedef struct {
    char *file; /* label every node's file points to */
    cx_yaml_node *root;
    char **labels; /* labels of subtrees grafted from other documents */
    size_t n_labels;
} cx_yaml_doc;

/* Malformed YAML is CX_ERR_FORMAT "FILE:LINE:COL: problem"; an empty stream
 * or a second document is an error too. */
cx_status cx_yaml_load_file(const char *path, cx_yaml_doc **out);
/* `label` names the text in errors (a file name, "<override>", ...). */
cx_status cx_yaml_load_string(const char *label, const char *text, cx_yaml_doc **out);
void cx_yaml_free(cx_yaml_doc *doc);

const char *cx_yaml_kind_name(cx_yaml_kind kind);
/* 1 for a plain "", "~", "null", "Null" or "NULL" scalar. */
int cx_yaml_is_null(const cx_yaml_node *node);

/* Direct child of a mapping; NULL when absent or node is not a mapping. */
const cx_yaml_node *cx_yaml_get(const cx_yaml_node *map, const char *key);
/* Follows a key path from node ("" is node itself); NULL when absent. */
const cx_yaml_node *cx_yaml_find(const cx_yaml_node *node, const char *path);
/* Like cx_yaml_find, but absence is CX_ERR_MISSING naming the full path
 * (with a suggestion for a near-miss key), a path through a scalar is
 * CX_ERR_VALUE and a malformed path CX_ERR_USAGE. */
cx_status cx_yaml_at(const cx_yaml_node *node, const char *path, const cx_yaml_node **out);
/* CX_ERR_VALUE "FILE:LINE: key 'p': expected a mapping, found ..." unless node is `kind`. */
cx_status cx_yaml_expect(const cx_yaml_node *node, cx_yaml_kind kind);
/* Records "FILE:LINE: key 'a.b': message" for a value that parses but does
 * not fit ("FILE: ..." for a node set by an override, "document root" for
 * the root) and returns st. */
cx_status cx_yaml_fail(cx_status st, const cx_yaml_node *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Allowed interval for numbers; flags combine one lower and one upper bound. */
enum {
    CX_YAML_GE = 1 << 0,       /* value >= min */
    CX_YAML_GT = 1 << 1,       /* value > min */
    CX_YAML_LE = 1 << 2,       /* value <= max */
    CX_YAML_LT = 1 << 3,       /* value < max */
    CX_YAML_ALLOW_INF = 1 << 4 /* accept .inf / -.inf (NaN is never accepted) */
};
typedef struct {
    double min, max;
    unsigned flags;
} cx_yaml_range;
#define CX_YAML_ABOVE(lo) (&(const cx_yaml_range){.min = (lo), .flags = CX_YAML_GT})
#define CX_YAML_AT_LEAST(lo) (&(const cx_yaml_range){.min = (lo), .flags = CX_YAML_GE})
#define CX_YAML_BETWEEN(lo, hi)                                                                    \
    (&(const cx_yaml_range){.min = (lo), .max = (hi), .flags = CX_YAML_GE | CX_YAML_LE})

/* Typed reads of one node; `range` may be NULL. Errors are CX_ERR_VALUE
 * naming file, line, key path, what was expected and what was found. */
cx_status cx_yaml_to_double(const cx_yaml_node *node, const cx_yaml_range *range, double *out);
/* Integers: decimal, 0x hex, or a float literal with an integral value (1e3). */
cx_status cx_yaml_to_long(const cx_yaml_node *node, const cx_yaml_range *range, long *out);
/* true/True/TRUE/false/False/FALSE only. */
cx_status cx_yaml_to_bool(const cx_yaml_node *node, int *out);
/* Any non-null scalar; points into the node. */
cx_status cx_yaml_to_string(const cx_yaml_node *node, const char **out);

/* Typed reads of map's `key` (a key path). With a non-NULL default a missing
 * or null key takes *dflt (not range-checked); without one it is
 * CX_ERR_MISSING. A present value of the wrong type is always an error. */
cx_status cx_yaml_get_double(const cx_yaml_node *map, const char *key, const double *dflt,
                             const cx_yaml_range *range, double *out);
cx_status cx_yaml_get_long(const cx_yaml_node *map, const char *key, const long *dflt,
                           const cx_yaml_range *range, long *out);
cx_status cx_yaml_get_bool(const cx_yaml_node *map, const char *key, const int *dflt, int *out);
cx_status cx_yaml_get_string(const cx_yaml_node *map, const char *key, const char *dflt,
                             const char **out);

/* A required sequence of numbers with min_len..max_len items (max_len 0: no
 * limit), each checked against range; *out is a fresh array (caller frees,
 * NULL when empty). */
cx_status cx_yaml_get_doubles(const cx_yaml_node *map, const char *key, size_t min_len,
                              size_t max_len, const cx_yaml_range *range, double **out, size_t *n);
cx_status cx_yaml_get_longs(const cx_yaml_node *map, const char *key, size_t min_len,
                            size_t max_len, const cx_yaml_range *range, long **out, size_t *n);

/* Strict schema: the first key of map not in the NULL-terminated `allowed`
 * is CX_ERR_FORMAT "FILE:LINE: unknown key 'tau_mn' in 'tile.compartment'
 * (did you mean 'tau_min'?)"; without a close match the allowed keys are listed. */
cx_status cx_yaml_check_keys(const cx_yaml_node *map, const char *const *allowed);

/* Overrides an existing scalar or sequence at a key path (never creates
 * keys; mappings cannot be replaced whole). A value starting with '[' is
 * parsed as a YAML flow sequence; anything else becomes a plain scalar taken
 * verbatim. New nodes report their file as "<override>". */
cx_status cx_yaml_set(cx_yaml_doc *doc, const char *path, const char *value);
/* cx_yaml_set from "KEY=VALUE" (the CLI's --set). */
cx_status cx_yaml_override(cx_yaml_doc *doc, const char *assignment);
/* Moves the value of top-level `key` of src (a mapping) into doc's root,
 * replacing doc's value of that key or adding it; the moved nodes keep
 * naming src's file and lines. Frees src in every case. */
cx_status cx_yaml_graft(cx_yaml_doc *doc, const char *key, cx_yaml_doc *src);

/* Writes node as a YAML document (libyaml emitter); quoted scalars stay
 * quoted, so reading the text back gives the same tree. */
cx_status cx_yaml_write(FILE *fp, const cx_yaml_node *node);

#ifdef __cplusplus
}
#endif
#endif
