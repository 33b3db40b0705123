/* Shared by the YAML sources (yaml_tree.c, yaml_error.c, yaml_get.c): the
 * message buffer size, node error reporting and key path walking. */
#ifndef CX_YAML_INTERNAL_H
#define CX_YAML_INTERNAL_H

#include "cx_yaml.h"

enum { MSG_LEN = 768 };

/* "FILE:LINE: msg" (just "FILE: msg" for override nodes). */
cx_status cx_yaml_node_fail(cx_status st, const cx_yaml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* cx_yaml_fail "expected WANT, found ..." (CX_ERR_VALUE), describing what n holds. */
cx_status cx_yaml_expect_fail(const cx_yaml_node *n, const char *want);

/* Follows path from node; `report` records an error message on failure. */
cx_status cx_yaml_walk(const cx_yaml_node *node, const char *path, int report, cx_yaml_node **out);

#endif
