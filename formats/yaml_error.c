/* Describing nodes and reporting errors about them: kind names, the null test,
 * cx_yaml_fail ("FILE:LINE: key 'a.b': message") and "expected X, found Y". */
#include "yaml_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { SHOW_LEN = 40 };

/* ---------------------------------------------------------------- nodes */

const char *cx_yaml_kind_name(cx_yaml_kind kind)
{
    switch (kind) {
    case CX_YAML_SCALAR:
        return "scalar";
    case CX_YAML_SEQUENCE:
        return "sequence";
    case CX_YAML_MAPPING:
        return "mapping";
    }
    return "unknown";
}

int cx_yaml_is_null(const cx_yaml_node *node)
{
    if (node->kind != CX_YAML_SCALAR || node->quoted) return 0;
    const char *v = node->value;
    return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

/* "a mapping", "null", "-3", "the string \"5\"" (for "found ..."). */
static const char *describe(const cx_yaml_node *n, char *buf, size_t len)
{
    if (n->kind == CX_YAML_MAPPING) return "a mapping";
    if (n->kind == CX_YAML_SEQUENCE) return "a sequence";
    if (cx_yaml_is_null(n)) return "null";
    const char *dots = strlen(n->value) > SHOW_LEN ? "..." : "";
    if (n->quoted)
        snprintf(buf, len, "the string \"%.*s%s\"", SHOW_LEN, n->value, dots);
    else
        snprintf(buf, len, "%.*s%s", SHOW_LEN, n->value, dots);
    return buf;
}

/* ---------------------------------------------------------------- errors */

/* "FILE:LINE: msg" (just "FILE: msg" for override nodes). */
cx_status cx_yaml_node_fail(cx_status st, const cx_yaml_node *n, const char *fmt, ...)
{
    char msg[MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n->line > 0) return cx_fail(st, "%s:%d: %s", n->file, n->line, msg);
    return cx_fail(st, "%s: %s", n->file, msg);
}

cx_status cx_yaml_fail(cx_status st, const cx_yaml_node *n, const char *fmt, ...)
{
    char msg[MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!n->path[0]) return cx_yaml_node_fail(st, n, "document root: %s", msg);
    return cx_yaml_node_fail(st, n, "key '%s': %s", n->path, msg);
}

cx_status cx_yaml_expect_fail(const cx_yaml_node *n, const char *want)
{
    char buf[SHOW_LEN + 32];
    return cx_yaml_fail(CX_ERR_VALUE, n, "expected %s, found %s", want,
                        describe(n, buf, sizeof buf));
}

cx_status cx_yaml_expect(const cx_yaml_node *node, cx_yaml_kind kind)
{
    if (node->kind == kind) return CX_OK;
    return cx_yaml_expect_fail(node, kind == CX_YAML_MAPPING    ? "a mapping"
                                     : kind == CX_YAML_SEQUENCE ? "a sequence"
                                                                : "a scalar");
}
