/* Reading the tree: key paths, typed scalar and keyed reads with ranges, and
 * strict key checks with "did you mean" suggestions. */
#include "yaml_internal.h"

#include "cx_suggest.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------- suggestions */

/* " (did you mean 'x'?)" for the closest key of map, or "". */
static void suggest_key(const cx_yaml_node *map, const char *word, char *buf, size_t len)
{
    cx_suggest s;
    cx_suggest_init(&s, word);
    for (size_t i = 0; map->kind == CX_YAML_MAPPING && i < map->n; i++)
        cx_suggest_consider(&s, map->keys[i]->value);
    buf[0] = 0;
    if (s.best) snprintf(buf, len, " (did you mean '%s'?)", s.best);
}

/* ----------------------------------------------------------------- paths */

typedef struct {
    const char *s; /* start of the component in the path text */
    size_t len;    /* its length, brackets included */
    int is_index;
    size_t index;
} component;

/* Reads the next path component; 1 ok, 0 at the end, -1 malformed. */
static int next_component(const char **p, component *c)
{
    const char *s = *p;
    if (!*s) return 0;
    c->s = s;
    c->is_index = *s == '[';
    if (c->is_index) {
        char *end;
        if (s[1] < '0' || s[1] > '9') return -1;
        errno = 0;
        unsigned long long v = strtoull(s + 1, &end, 10);
        if (*end != ']' || errno) return -1;
        c->index = (size_t)v;
        s = end + 1;
    } else {
        s += strcspn(s, ".[");
        if (s == c->s) return -1;
    }
    c->len = (size_t)(s - c->s);
    if (*s == '.' && (!s[1] || s[1] == '.' || s[1] == '[')) return -1;
    *p = *s == '.' ? s + 1 : s;
    return 1;
}

/* A key of all digits also indexes a sequence ("layers.2"). */
static int component_index(const component *c, size_t *index)
{
    if (c->is_index) {
        *index = c->index;
        return 1;
    }
    size_t v = 0;
    for (size_t i = 0; i < c->len; i++) {
        if (c->s[i] < '0' || c->s[i] > '9' || v > SIZE_MAX / 10 - 1) return 0;
        v = v * 10 + (size_t)(c->s[i] - '0');
    }
    *index = v;
    return 1;
}

static cx_yaml_node *step(const cx_yaml_node *n, const component *c)
{
    size_t i;
    if (n->kind == CX_YAML_MAPPING && !c->is_index) {
        for (i = 0; i < n->n; i++) {
            const char *k = n->keys[i]->value;
            if (strlen(k) == c->len && !memcmp(k, c->s, c->len)) return n->items[i];
        }
    } else if (n->kind == CX_YAML_SEQUENCE && component_index(c, &i) && i < n->n) {
        return n->items[i];
    }
    return NULL;
}

/* Records why component c (of path, relative to base) cannot be found under n. */
static cx_status walk_fail(const cx_yaml_node *base, const cx_yaml_node *n, const char *path,
                           const component *c)
{
    size_t rel = (size_t)(c->s - path) + c->len, blen = strlen(base->path);
    const char *dot = blen && path[0] != '[' ? "." : "";
    char full[MSG_LEN / 2], word[MSG_LEN / 4], hint[MSG_LEN / 4];
    snprintf(full, sizeof full, "%s%s%.*s", base->path, dot, (int)rel, path);
    snprintf(word, sizeof word, "%.*s", (int)c->len, c->s);
    size_t i;
    if (n->kind == CX_YAML_MAPPING && !c->is_index) {
        suggest_key(n, word, hint, sizeof hint);
        return cx_yaml_node_fail(CX_ERR_MISSING, n, "missing key '%s'%s", full, hint);
    }
    if (n->kind == CX_YAML_SEQUENCE && component_index(c, &i))
        return cx_yaml_node_fail(CX_ERR_MISSING, n, "missing key '%s' (the sequence has %zu items)",
                                 full, n->n);
    return cx_yaml_expect_fail(n, n->kind == CX_YAML_SEQUENCE || !c->is_index ? "a mapping"
                                                                              : "a sequence");
}

/* Follows path from node; `report` records an error message on failure. */
cx_status cx_yaml_walk(const cx_yaml_node *node, const char *path, int report, cx_yaml_node **out)
{
    const char *p = path;
    const cx_yaml_node *n = node;
    component c;
    int r;
    *out = NULL;
    while ((r = next_component(&p, &c)) > 0) {
        const cx_yaml_node *child = step(n, &c);
        if (!child) return report ? walk_fail(node, n, path, &c) : CX_ERR_MISSING;
        n = child;
    }
    if (r < 0)
        return report ? cx_fail(CX_ERR_USAGE, "malformed key path '%s'", path) : CX_ERR_USAGE;
    *out = (cx_yaml_node *)n; /* callers that got node as const keep the result const */
    return CX_OK;
}

const cx_yaml_node *cx_yaml_get(const cx_yaml_node *map, const char *key)
{
    for (size_t i = 0; map->kind == CX_YAML_MAPPING && i < map->n; i++)
        if (!strcmp(map->keys[i]->value, key)) return map->items[i];
    return NULL;
}

const cx_yaml_node *cx_yaml_find(const cx_yaml_node *node, const char *path)
{
    cx_yaml_node *n;
    return cx_yaml_walk(node, path, 0, &n) == CX_OK ? n : NULL;
}

cx_status cx_yaml_at(const cx_yaml_node *node, const char *path, const cx_yaml_node **out)
{
    cx_yaml_node *n;
    *out = NULL;
    CX_TRY(cx_yaml_walk(node, path, 1, &n));
    *out = n;
    return CX_OK;
}

/* ---------------------------------------------------------------- scalars */

/* YAML 1.2 core float syntax, checked before strtod (which accepts more). */
static int float_syntax(const char *s)
{
    size_t i = (*s == '-' || *s == '+'), digits = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (s[i] == '.')
        for (i++; s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (!digits) return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        i += 1 + (s[i + 1] == '-' || s[i + 1] == '+');
        if (s[i] < '0' || s[i] > '9') return 0;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return s[i] == 0;
}

static int special_float(const char *s, double *out)
{
    int neg = *s == '-';
    const char *t = s + (*s == '-' || *s == '+');
    if (!strcmp(t, ".inf") || !strcmp(t, ".Inf") || !strcmp(t, ".INF")) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
        *out = NAN;
        return 1;
    }
    return 0;
}

static int hex_syntax(const char *s)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2]) return 0;
    return strspn(s + 2, "0123456789abcdefABCDEF") == strlen(s + 2);
}

/* A plain scalar read as a number; 0 when it is not one. */
static int scalar_number(const cx_yaml_node *n, double *out)
{
    if (n->kind != CX_YAML_SCALAR || n->quoted) return 0;
    if (special_float(n->value, out)) return 1;
    if (hex_syntax(n->value)) {
        *out = (double)strtoull(n->value + 2, NULL, 16);
        return 1;
    }
    if (!float_syntax(n->value)) return 0;
    errno = 0;
    *out = strtod(n->value, NULL);
    return !(errno == ERANGE && isinf(*out)); /* 1e999 is not a number we can hold */
}

static int in_range(double v, const cx_yaml_range *r)
{
    if (!r) return 1;
    if ((r->flags & CX_YAML_GE) && !(v >= r->min)) return 0;
    if ((r->flags & CX_YAML_GT) && !(v > r->min)) return 0;
    if ((r->flags & CX_YAML_LE) && !(v <= r->max)) return 0;
    if ((r->flags & CX_YAML_LT) && !(v < r->max)) return 0;
    return 1;
}

/* "a number > 0", "an integer in [1, 8)", "a number <= 5". */
static const char *want_text(const char *what, const cx_yaml_range *r, char *buf, size_t len)
{
    unsigned lo = r ? r->flags & (CX_YAML_GE | CX_YAML_GT) : 0;
    unsigned hi = r ? r->flags & (CX_YAML_LE | CX_YAML_LT) : 0;
    if (lo && hi)
        snprintf(buf, len, "%s in %c%g, %g%c", what, lo & CX_YAML_GE ? '[' : '(', r->min, r->max,
                 hi & CX_YAML_LE ? ']' : ')');
    else if (lo)
        snprintf(buf, len, "%s %s %g", what, lo & CX_YAML_GE ? ">=" : ">", r->min);
    else if (hi)
        snprintf(buf, len, "%s %s %g", what, hi & CX_YAML_LE ? "<=" : "<", r->max);
    else
        snprintf(buf, len, "%s", what);
    return buf;
}

cx_status cx_yaml_to_double(const cx_yaml_node *node, const cx_yaml_range *range, double *out)
{
    char want[128];
    double v;
    if (!scalar_number(node, &v))
        return cx_yaml_expect_fail(node, want_text("a number", range, want, sizeof want));
    if (isnan(v) || (isinf(v) && !(range && (range->flags & CX_YAML_ALLOW_INF))))
        return cx_yaml_expect_fail(node, want_text("a finite number", range, want, sizeof want));
    if (!in_range(v, range))
        return cx_yaml_expect_fail(node, want_text("a number", range, want, sizeof want));
    *out = v;
    return CX_OK;
}

/* Decimal integers go through strtol so large values stay exact. */
static int scalar_long(const cx_yaml_node *n, long *out)
{
    double d;
    if (n->kind != CX_YAML_SCALAR || n->quoted) return 0;
    const char *s = n->value, *digits = s + (*s == '-' || *s == '+');
    if (*digits && strspn(digits, "0123456789") == strlen(digits)) {
        errno = 0;
        *out = strtol(s, NULL, 10);
        return errno == 0;
    }
    if (!scalar_number(n, &d) || d != floor(d) || fabs(d) > 9007199254740992.0) return 0;
    *out = (long)d;
    return 1;
}

cx_status cx_yaml_to_long(const cx_yaml_node *node, const cx_yaml_range *range, long *out)
{
    char want[128];
    long v;
    want_text("an integer", range, want, sizeof want);
    if (!scalar_long(node, &v) || !in_range((double)v, range))
        return cx_yaml_expect_fail(node, want);
    *out = v;
    return CX_OK;
}

cx_status cx_yaml_to_bool(const cx_yaml_node *node, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                              "FALSE"};
    for (int i = 0; i < 3 && node->kind == CX_YAML_SCALAR && !node->quoted; i++) {
        if (!strcmp(node->value, yes[i]) || !strcmp(node->value, no[i])) {
            *out = !strcmp(node->value, yes[i]);
            return CX_OK;
        }
    }
    return cx_yaml_expect_fail(node, "true or false");
}

cx_status cx_yaml_to_string(const cx_yaml_node *node, const char **out)
{
    if (node->kind != CX_YAML_SCALAR || cx_yaml_is_null(node))
        return cx_yaml_expect_fail(node, "a string");
    *out = node->value;
    return CX_OK;
}

/* -------------------------------------------------------------- keyed reads */

/* Finds map's key; *out stays NULL when it is missing or null and optional. */
static cx_status lookup(const cx_yaml_node *map, const char *key, int optional,
                        const cx_yaml_node **out)
{
    cx_yaml_node *n;
    *out = NULL;
    cx_status st = cx_yaml_walk(map, key, 1, &n);
    if (st == CX_ERR_MISSING && optional) return CX_OK;
    CX_TRY(st);
    if (cx_yaml_is_null(n))
        return optional ? CX_OK : cx_yaml_fail(CX_ERR_MISSING, n, "missing value");
    *out = n;
    return CX_OK;
}

cx_status cx_yaml_get_double(const cx_yaml_node *map, const char *key, const double *dflt,
                             const cx_yaml_range *range, double *out)
{
    const cx_yaml_node *n;
    CX_TRY(lookup(map, key, dflt != NULL, &n));
    if (!n) {
        *out = *dflt;
        return CX_OK;
    }
    return cx_yaml_to_double(n, range, out);
}

cx_status cx_yaml_get_long(const cx_yaml_node *map, const char *key, const long *dflt,
                           const cx_yaml_range *range, long *out)
{
    const cx_yaml_node *n;
    CX_TRY(lookup(map, key, dflt != NULL, &n));
    if (!n) {
        *out = *dflt;
        return CX_OK;
    }
    return cx_yaml_to_long(n, range, out);
}

cx_status cx_yaml_get_bool(const cx_yaml_node *map, const char *key, const int *dflt, int *out)
{
    const cx_yaml_node *n;
    CX_TRY(lookup(map, key, dflt != NULL, &n));
    if (!n) {
        *out = *dflt;
        return CX_OK;
    }
    return cx_yaml_to_bool(n, out);
}

cx_status cx_yaml_get_string(const cx_yaml_node *map, const char *key, const char *dflt,
                             const char **out)
{
    const cx_yaml_node *n;
    CX_TRY(lookup(map, key, dflt != NULL, &n));
    if (!n) {
        *out = dflt;
        return CX_OK;
    }
    return cx_yaml_to_string(n, out);
}

/* A required sequence whose length is within [min_len, max_len]. */
static cx_status lookup_sequence(const cx_yaml_node *map, const char *key, size_t min_len,
                                 size_t max_len, const char *what, const cx_yaml_node **out)
{
    char want[96];
    CX_TRY(lookup(map, key, 0, out));
    const cx_yaml_node *seq = *out;
    if (seq->kind != CX_YAML_SEQUENCE) {
        snprintf(want, sizeof want, "a sequence of %s", what);
        return cx_yaml_expect_fail(seq, want);
    }
    if (seq->n >= min_len && (!max_len || seq->n <= max_len)) return CX_OK;
    if (min_len == max_len)
        snprintf(want, sizeof want, "%zu %s", min_len, what);
    else if (!max_len)
        snprintf(want, sizeof want, "at least %zu %s", min_len, what);
    else
        snprintf(want, sizeof want, "%zu to %zu %s", min_len, max_len, what);
    return cx_yaml_fail(CX_ERR_SHAPE, seq, "expected %s, found %zu", want, seq->n);
}

cx_status cx_yaml_get_doubles(const cx_yaml_node *map, const char *key, size_t min_len,
                              size_t max_len, const cx_yaml_range *range, double **out, size_t *n)
{
    const cx_yaml_node *seq;
    *out = NULL;
    *n = 0;
    CX_TRY(lookup_sequence(map, key, min_len, max_len, "numbers", &seq));
    double *v = seq->n ? malloc(seq->n * sizeof *v) : NULL;
    if (seq->n && !v) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", seq->file);
    for (size_t i = 0; i < seq->n; i++) {
        cx_status st = cx_yaml_to_double(seq->items[i], range, &v[i]);
        if (st != CX_OK) {
            free(v);
            return st;
        }
    }
    *out = v;
    *n = seq->n;
    return CX_OK;
}

cx_status cx_yaml_get_longs(const cx_yaml_node *map, const char *key, size_t min_len,
                            size_t max_len, const cx_yaml_range *range, long **out, size_t *n)
{
    const cx_yaml_node *seq;
    *out = NULL;
    *n = 0;
    CX_TRY(lookup_sequence(map, key, min_len, max_len, "integers", &seq));
    long *v = seq->n ? malloc(seq->n * sizeof *v) : NULL;
    if (seq->n && !v) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", seq->file);
    for (size_t i = 0; i < seq->n; i++) {
        cx_status st = cx_yaml_to_long(seq->items[i], range, &v[i]);
        if (st != CX_OK) {
            free(v);
            return st;
        }
    }
    *out = v;
    *n = seq->n;
    return CX_OK;
}

cx_status cx_yaml_check_keys(const cx_yaml_node *map, const char *const *allowed)
{
    CX_TRY(cx_yaml_expect(map, CX_YAML_MAPPING));
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->value;
        const char *const *a = allowed;
        while (*a && strcmp(*a, key))
            a++;
        if (*a) continue;
        char hint[MSG_LEN / 2];
        cx_suggest_hint(key, allowed, hint, sizeof hint);
        if (!map->path[0])
            return cx_yaml_node_fail(CX_ERR_FORMAT, map->keys[i], "unknown key '%s'%s", key, hint);
        return cx_yaml_node_fail(CX_ERR_FORMAT, map->keys[i], "unknown key '%s' in '%s'%s", key,
                                 map->path, hint);
    }
    return CX_OK;
}
