#define _POSIX_C_SOURCE 200809L
#include "cx_yaml.h"
#include "cx_fileio.h"
#include "cx_suggest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deep nesting is a hostile or broken file, and the loader recurses. */
enum { MAX_DEPTH = 64 };
/* Caps alias expansion ("billion laughs"), since aliases are copied. */
enum { MAX_NODES = 1 << 20 };
enum { MSG_LEN = 768, SHOW_LEN = 40 };

static const char OVERRIDE_LABEL[] = "<override>";

/* ---------------------------------------------------------------- nodes */

static cx_yaml_node *node_new(cx_yaml_kind kind, const char *file, int line, int col,
                              const char *path)
{
    cx_yaml_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->path = strdup(path);
    if (!n->path) {
        free(n);
        return NULL;
    }
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

static void node_free(cx_yaml_node *n);

/* Frees a node's value and children, keeping the node and its path. */
static void node_clear(cx_yaml_node *n)
{
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys) node_free(n->keys[i]);
        node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->value);
    n->keys = n->items = NULL;
    n->value = NULL;
    n->n = 0;
}

static void node_free(cx_yaml_node *n)
{
    if (!n) return;
    node_clear(n);
    free(n->path);
    free(n);
}

/* Appends a child (and its key, for mappings); 0 when out of memory. */
static int node_push(cx_yaml_node *parent, cx_yaml_node *key, cx_yaml_node *item)
{
    cx_yaml_node **items = realloc(parent->items, (parent->n + 1) * sizeof *items);
    if (!items) return 0;
    parent->items = items;
    if (parent->kind == CX_YAML_MAPPING) {
        cx_yaml_node **keys = realloc(parent->keys, (parent->n + 1) * sizeof *keys);
        if (!keys) return 0;
        parent->keys = keys;
        keys[parent->n] = key;
    }
    items[parent->n++] = item;
    return 1;
}

static char *key_path(const char *parent, const char *key)
{
    size_t n = strlen(parent) + strlen(key) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, parent[0] ? "%s.%s" : "%s%s", parent, key);
    return p;
}

static char *index_path(const char *parent, size_t i)
{
    size_t n = strlen(parent) + 24;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s[%zu]", parent, i);
    return p;
}

/* Child path of item i under parent (a key for mappings, an index otherwise). */
static char *child_path(const cx_yaml_node *parent, size_t i, const char *path)
{
    if (parent->kind == CX_YAML_MAPPING) return key_path(path, parent->keys[i]->value);
    return index_path(path, i);
}

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
static cx_status node_fail(cx_status st, const cx_yaml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cx_status node_fail(cx_status st, const cx_yaml_node *n, const char *fmt, ...)
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
    if (!n->path[0]) return node_fail(st, n, "document root: %s", msg);
    return node_fail(st, n, "key '%s': %s", n->path, msg);
}

static cx_status expect_fail(const cx_yaml_node *n, const char *want)
{
    char buf[SHOW_LEN + 32];
    return cx_yaml_fail(CX_ERR_VALUE, n, "expected %s, found %s", want,
                        describe(n, buf, sizeof buf));
}

cx_status cx_yaml_expect(const cx_yaml_node *node, cx_yaml_kind kind)
{
    if (node->kind == kind) return CX_OK;
    return expect_fail(node, kind == CX_YAML_MAPPING    ? "a mapping"
                             : kind == CX_YAML_SEQUENCE ? "a sequence"
                                                        : "a scalar");
}

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

/* --------------------------------------------------------------- loader */

typedef struct {
    char *name;
    const cx_yaml_node *node;
} anchor;

typedef struct {
    yaml_parser_t parser;
    const char *file;
    const char *text;
    size_t len;
    anchor *anchors;
    size_t nanchors;
    size_t nodes;
} loader;

static cx_status mark_fail(const loader *L, yaml_mark_t m, cx_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static cx_status mark_fail(const loader *L, yaml_mark_t m, cx_status st, const char *fmt, ...)
{
    char msg[MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cx_fail(st, "%s:%zu:%zu: %s", L->file, m.line + 1, m.column + 1, msg);
}

/* Reader errors (bad encoding) carry a byte offset instead of a line. */
static yaml_mark_t offset_mark(const loader *L, size_t offset)
{
    yaml_mark_t m = {0, 0, 0};
    for (size_t i = 0; i < offset && i < L->len; i++) {
        if (L->text[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    return m;
}

static cx_status parser_fail(const loader *L)
{
    const yaml_parser_t *p = &L->parser;
    if (p->error == YAML_MEMORY_ERROR) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", L->file);
    yaml_mark_t m =
        p->error == YAML_READER_ERROR ? offset_mark(L, p->problem_offset) : p->problem_mark;
    const char *problem = p->problem ? p->problem : "cannot parse YAML";
    if (p->context)
        return mark_fail(L, m, CX_ERR_FORMAT, "%s (%s at line %zu)", problem, p->context,
                         p->context_mark.line + 1);
    return mark_fail(L, m, CX_ERR_FORMAT, "%s", problem);
}

static cx_status next_event(loader *L, yaml_event_t *ev)
{
    if (yaml_parser_parse(&L->parser, ev)) return CX_OK;
    return parser_fail(L);
}

static cx_status nomem(const loader *L)
{
    return cx_fail(CX_ERR_NOMEM, "%s: out of memory", L->file);
}

/* A node of the tree being loaded, counted against MAX_NODES. */
static cx_status loader_node(loader *L, cx_yaml_kind kind, yaml_mark_t m, const char *path,
                             cx_yaml_node **out)
{
    if (++L->nodes > MAX_NODES)
        return mark_fail(L, m, CX_ERR_UNSUPPORTED, "more than %d nodes (runaway aliases?)",
                         MAX_NODES);
    *out = node_new(kind, L->file, (int)m.line + 1, (int)m.column + 1, path);
    return *out ? CX_OK : nomem(L);
}

/* Deep copy of src under a new path (aliases), keeping src's lines. */
static cx_status copy_node(loader *L, const cx_yaml_node *src, const char *path, cx_yaml_node **out)
{
    yaml_mark_t m = {0, (size_t)src->line - 1, (size_t)src->col - 1};
    CX_TRY(loader_node(L, src->kind, m, path, out));
    cx_yaml_node *n = *out;
    n->quoted = src->quoted;
    if (src->value && !(n->value = strdup(src->value))) return nomem(L);
    for (size_t i = 0; i < src->n; i++) {
        char *cpath = child_path(src, i, path);
        cx_yaml_node *key = NULL, *item = NULL;
        cx_status st = cpath ? CX_OK : nomem(L);
        if (st == CX_OK && src->keys) st = copy_node(L, src->keys[i], cpath, &key);
        if (st == CX_OK) st = copy_node(L, src->items[i], cpath, &item);
        if (st == CX_OK && !node_push(n, key, item)) st = nomem(L);
        free(cpath);
        if (st != CX_OK) {
            node_free(key);
            node_free(item);
            return st;
        }
    }
    return CX_OK;
}

/* Untagged nodes, and the standard tag of their own kind, are all we accept. */
static cx_status check_tag(const loader *L, const yaml_event_t *ev, const char *tag,
                           const char *own)
{
    if (!tag || !strcmp(tag, "!") || !strcmp(tag, own)) return CX_OK;
    return mark_fail(L, ev->start_mark, CX_ERR_UNSUPPORTED, "tag '%s' is not supported", tag);
}

static cx_status parse_node(loader *L, yaml_event_t *ev, const char *path, int depth,
                            cx_yaml_node **out);

static cx_status parse_scalar(loader *L, yaml_event_t *ev, const char *path, cx_yaml_node **out)
{
    CX_TRY(check_tag(L, ev, (const char *)ev->data.scalar.tag, YAML_STR_TAG));
    CX_TRY(loader_node(L, CX_YAML_SCALAR, ev->start_mark, path, out));
    cx_yaml_node *n = *out;
    size_t len = ev->data.scalar.length;
    if (!(n->value = malloc(len + 1))) return nomem(L);
    memcpy(n->value, ev->data.scalar.value, len);
    n->value[len] = 0;
    /* An explicit tag ("!" or !!str) makes even a plain scalar a string. */
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag != NULL;
    return CX_OK;
}

static cx_status parse_alias(loader *L, yaml_event_t *ev, const char *path, cx_yaml_node **out)
{
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = L->nanchors; i-- > 0;)
        if (!strcmp(L->anchors[i].name, name)) return copy_node(L, L->anchors[i].node, path, out);
    return mark_fail(L, ev->start_mark, CX_ERR_FORMAT, "unknown anchor '%s'", name);
}

static cx_status add_anchor(loader *L, const char *name, const cx_yaml_node *node)
{
    anchor *a = realloc(L->anchors, (L->nanchors + 1) * sizeof *a);
    if (!a) return nomem(L);
    L->anchors = a;
    if (!(a[L->nanchors].name = strdup(name))) return nomem(L);
    a[L->nanchors++].node = node;
    return CX_OK;
}

/* Reads the next event and parses the node it starts. */
static cx_status parse_next(loader *L, const char *path, int depth, cx_yaml_node **out)
{
    yaml_event_t ev;
    *out = NULL;
    CX_TRY(next_event(L, &ev));
    return parse_node(L, &ev, path, depth, out);
}

static cx_status parse_sequence(loader *L, const char *path, int depth, cx_yaml_node *seq)
{
    for (;;) {
        yaml_event_t ev;
        CX_TRY(next_event(L, &ev));
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return CX_OK;
        }
        char *ipath = index_path(path, seq->n);
        if (!ipath) {
            yaml_event_delete(&ev);
            return nomem(L);
        }
        cx_yaml_node *item;
        cx_status st = parse_node(L, &ev, ipath, depth + 1, &item);
        free(ipath);
        CX_TRY(st);
        if (!node_push(seq, NULL, item)) {
            node_free(item);
            return nomem(L);
        }
    }
}

/* Keys must be plain strings, unique within their mapping, and not '<<'. */
static cx_status check_key(const loader *L, const cx_yaml_node *map, const cx_yaml_node *key)
{
    yaml_mark_t m = {0, (size_t)key->line - 1, (size_t)key->col - 1};
    if (key->kind != CX_YAML_SCALAR)
        return mark_fail(L, m, CX_ERR_UNSUPPORTED, "a %s as a mapping key is not supported",
                         cx_yaml_kind_name(key->kind));
    if (!key->quoted && !strcmp(key->value, "<<"))
        return mark_fail(L, m, CX_ERR_UNSUPPORTED,
                         "merge keys ('<<') are not supported; alias a whole mapping instead");
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->value, key->value)) continue;
        if (!map->path[0])
            return mark_fail(L, m, CX_ERR_FORMAT, "duplicate key '%s' (first at line %d)",
                             key->value, map->keys[i]->line);
        return mark_fail(L, m, CX_ERR_FORMAT, "duplicate key '%s' in '%s' (first at line %d)",
                         key->value, map->path, map->keys[i]->line);
    }
    return CX_OK;
}

/* One key: value pair; on success both belong to map. */
static cx_status parse_pair(loader *L, yaml_event_t *kev, const char *path, int depth,
                            cx_yaml_node *map)
{
    cx_yaml_node *key, *value = NULL;
    CX_TRY(parse_node(L, kev, path, depth + 1, &key));
    cx_status st = check_key(L, map, key);
    char *vpath = st == CX_OK ? key_path(path, key->value) : NULL;
    if (st == CX_OK && !vpath) st = nomem(L);
    if (st == CX_OK) st = parse_next(L, vpath, depth + 1, &value);
    if (st == CX_OK) {
        free(key->path);
        key->path = vpath;
        vpath = NULL;
        if (!node_push(map, key, value)) st = nomem(L);
    }
    free(vpath);
    if (st != CX_OK) {
        node_free(key);
        node_free(value);
    }
    return st;
}

static cx_status parse_mapping(loader *L, const char *path, int depth, cx_yaml_node *map)
{
    for (;;) {
        yaml_event_t ev;
        CX_TRY(next_event(L, &ev));
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return CX_OK;
        }
        CX_TRY(parse_pair(L, &ev, path, depth, map));
    }
}

static const char *event_anchor(const yaml_event_t *ev)
{
    if (ev->type == YAML_SCALAR_EVENT) return (const char *)ev->data.scalar.anchor;
    if (ev->type == YAML_SEQUENCE_START_EVENT) return (const char *)ev->data.sequence_start.anchor;
    if (ev->type == YAML_MAPPING_START_EVENT) return (const char *)ev->data.mapping_start.anchor;
    return NULL;
}

static cx_status parse_collection(loader *L, yaml_event_t *ev, const char *path, int depth,
                                  cx_yaml_node **out)
{
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    const char *tag =
        (const char *)(is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    CX_TRY(check_tag(L, ev, tag, is_map ? YAML_MAP_TAG : YAML_SEQ_TAG));
    CX_TRY(loader_node(L, is_map ? CX_YAML_MAPPING : CX_YAML_SEQUENCE, ev->start_mark, path, out));
    return is_map ? parse_mapping(L, path, depth, *out) : parse_sequence(L, path, depth, *out);
}

/* Parses the node that ev starts; always consumes ev. */
static cx_status parse_node(loader *L, yaml_event_t *ev, const char *path, int depth,
                            cx_yaml_node **out)
{
    cx_status st;
    *out = NULL;
    if (depth > MAX_DEPTH) {
        st = mark_fail(L, ev->start_mark, CX_ERR_UNSUPPORTED, "nested deeper than %d levels",
                       MAX_DEPTH);
    } else if (ev->type == YAML_ALIAS_EVENT) {
        st = parse_alias(L, ev, path, out);
    } else if (ev->type == YAML_SCALAR_EVENT) {
        st = parse_scalar(L, ev, path, out);
    } else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
        st = parse_collection(L, ev, path, depth, out);
    } else {
        st = mark_fail(L, ev->start_mark, CX_ERR_FORMAT, "unexpected YAML event");
    }
    const char *name = event_anchor(ev);
    if (st == CX_OK && name) st = add_anchor(L, name, *out);
    yaml_event_delete(ev);
    if (st != CX_OK) {
        node_free(*out);
        *out = NULL;
    }
    return st;
}

/* Skips one event that must be of the given type (stream/document framing). */
static cx_status skip_event(loader *L, yaml_event_type_t type)
{
    yaml_event_t ev;
    CX_TRY(next_event(L, &ev));
    yaml_event_type_t got = ev.type;
    yaml_mark_t m = ev.start_mark;
    yaml_event_delete(&ev);
    return got == type ? CX_OK : mark_fail(L, m, CX_ERR_FORMAT, "unexpected YAML structure");
}

static cx_status load_document(loader *L, cx_yaml_node **root)
{
    yaml_event_t ev;
    CX_TRY(skip_event(L, YAML_STREAM_START_EVENT));
    CX_TRY(next_event(L, &ev));
    yaml_event_type_t type = ev.type;
    yaml_event_delete(&ev);
    if (type == YAML_STREAM_END_EVENT)
        return cx_fail(CX_ERR_FORMAT, "%s: empty YAML document", L->file);
    CX_TRY(parse_next(L, "", 0, root));
    CX_TRY(skip_event(L, YAML_DOCUMENT_END_EVENT));
    CX_TRY(next_event(L, &ev));
    type = ev.type;
    yaml_mark_t m = ev.start_mark;
    yaml_event_delete(&ev);
    if (type == YAML_DOCUMENT_START_EVENT)
        return mark_fail(L, m, CX_ERR_UNSUPPORTED,
                         "a second YAML document; one document per file is supported");
    return CX_OK;
}

static cx_status load_buffer(const char *label, const char *text, size_t len, cx_yaml_doc **out)
{
    *out = NULL;
    cx_yaml_doc *doc = calloc(1, sizeof *doc);
    if (!doc || !(doc->file = strdup(label))) {
        free(doc);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", label);
    }
    loader L = {.file = doc->file, .text = text, .len = len};
    if (!yaml_parser_initialize(&L.parser)) {
        cx_yaml_free(doc);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", label);
    }
    yaml_parser_set_input_string(&L.parser, (const unsigned char *)text, len);
    cx_status st = load_document(&L, &doc->root);
    yaml_parser_delete(&L.parser);
    for (size_t i = 0; i < L.nanchors; i++)
        free(L.anchors[i].name);
    free(L.anchors);
    if (st != CX_OK) {
        cx_yaml_free(doc);
        return st;
    }
    *out = doc;
    return CX_OK;
}

cx_status cx_yaml_load_string(const char *label, const char *text, cx_yaml_doc **out)
{
    return load_buffer(label, text, strlen(text), out);
}

cx_status cx_yaml_load_file(const char *path, cx_yaml_doc **out)
{
    uint8_t *buf;
    size_t size;
    *out = NULL;
    CX_TRY(cx_read_file(path, &buf, &size));
    cx_status st = load_buffer(path, (const char *)buf, size, out);
    free(buf);
    return st;
}

void cx_yaml_free(cx_yaml_doc *doc)
{
    if (!doc) return;
    node_free(doc->root);
    free(doc->file);
    free(doc);
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
        return node_fail(CX_ERR_MISSING, n, "missing key '%s'%s", full, hint);
    }
    if (n->kind == CX_YAML_SEQUENCE && component_index(c, &i))
        return node_fail(CX_ERR_MISSING, n, "missing key '%s' (the sequence has %zu items)", full,
                         n->n);
    return expect_fail(n, n->kind == CX_YAML_SEQUENCE || !c->is_index ? "a mapping" : "a sequence");
}

/* Follows path from node; `report` records an error message on failure. */
static cx_status walk(const cx_yaml_node *node, const char *path, int report, cx_yaml_node **out)
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
    return walk(node, path, 0, &n) == CX_OK ? n : NULL;
}

cx_status cx_yaml_at(const cx_yaml_node *node, const char *path, const cx_yaml_node **out)
{
    cx_yaml_node *n;
    *out = NULL;
    CX_TRY(walk(node, path, 1, &n));
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
        return expect_fail(node, want_text("a number", range, want, sizeof want));
    if (isnan(v) || (isinf(v) && !(range && (range->flags & CX_YAML_ALLOW_INF))))
        return expect_fail(node, want_text("a finite number", range, want, sizeof want));
    if (!in_range(v, range))
        return expect_fail(node, want_text("a number", range, want, sizeof want));
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
    if (!scalar_long(node, &v) || !in_range((double)v, range)) return expect_fail(node, want);
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
    return expect_fail(node, "true or false");
}

cx_status cx_yaml_to_string(const cx_yaml_node *node, const char **out)
{
    if (node->kind != CX_YAML_SCALAR || cx_yaml_is_null(node)) return expect_fail(node, "a string");
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
    cx_status st = walk(map, key, 1, &n);
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
        return expect_fail(seq, want);
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
            return node_fail(CX_ERR_FORMAT, map->keys[i], "unknown key '%s'%s", key, hint);
        return node_fail(CX_ERR_FORMAT, map->keys[i], "unknown key '%s' in '%s'%s", key, map->path,
                         hint);
    }
    return CX_OK;
}

/* -------------------------------------------------------------- overrides */

/* Marks a subtree as coming from an override and gives it its new path. */
static int relabel(cx_yaml_node *n, const char *path)
{
    char *p = strdup(path); /* path may be n->path itself */
    if (!p) return 0;
    free(n->path);
    n->path = p;
    n->file = OVERRIDE_LABEL;
    n->line = n->col = 0;
    for (size_t i = 0; i < n->n; i++) {
        char *cpath = child_path(n, i, n->path);
        int ok = cpath && (!n->keys || relabel(n->keys[i], cpath)) && relabel(n->items[i], cpath);
        free(cpath);
        if (!ok) return 0;
    }
    return 1;
}

static cx_status set_scalar(cx_yaml_node *n, const char *value)
{
    char *v = strdup(value);
    if (!v) return cx_fail(CX_ERR_NOMEM, "override: out of memory");
    node_clear(n);
    n->kind = CX_YAML_SCALAR;
    n->value = v;
    n->quoted = 0;
    return relabel(n, n->path) ? CX_OK : cx_fail(CX_ERR_NOMEM, "override: out of memory");
}

static cx_status set_sequence(cx_yaml_node *n, const char *path, const char *value)
{
    cx_yaml_doc *doc;
    cx_status st = cx_yaml_load_string(OVERRIDE_LABEL, value, &doc);
    if (st != CX_OK) return cx_fail_context(st, "override '%s'", path);
    if (doc->root->kind != CX_YAML_SEQUENCE) {
        cx_yaml_free(doc);
        return cx_fail(CX_ERR_USAGE, "override '%s': '%s' is not a YAML sequence", path, value);
    }
    node_clear(n);
    cx_yaml_node *seq = doc->root;
    n->kind = CX_YAML_SEQUENCE;
    n->n = seq->n;
    n->items = seq->items;
    seq->n = 0;
    seq->items = NULL;
    cx_yaml_free(doc);
    return relabel(n, n->path) ? CX_OK : cx_fail(CX_ERR_NOMEM, "override: out of memory");
}

cx_status cx_yaml_set(cx_yaml_doc *doc, const char *path, const char *value)
{
    cx_yaml_node *n;
    cx_status st = walk(doc->root, path, 1, &n);
    if (st != CX_OK) return cx_fail_context(st, "override '%s'", path);
    if (n->kind == CX_YAML_MAPPING)
        return cx_fail(CX_ERR_USAGE, "override '%s': %s is a mapping; set one of its keys", path,
                       n->path[0] ? "the key" : "the document root");
    if (value[0] == '[') return set_sequence(n, path, value);
    return set_scalar(n, value);
}

cx_status cx_yaml_override(cx_yaml_doc *doc, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return cx_fail(CX_ERR_USAGE, "override '%s': expected KEY=VALUE", assignment);
    char *key = strndup(assignment, (size_t)(eq - assignment));
    if (!key) return cx_fail(CX_ERR_NOMEM, "override: out of memory");
    cx_status st = cx_yaml_set(doc, key, eq + 1);
    free(key);
    return st;
}

/* ---------------------------------------------------------------- writer */

static int emit_scalar(yaml_emitter_t *em, const cx_yaml_node *n)
{
    yaml_event_t ev;
    /* Plain null written as "null" so it survives flow context, where "" cannot. */
    const char *v = !n->quoted && !n->value[0] ? "null" : n->value;
    yaml_scalar_style_t style = n->quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), !n->quoted, 1,
                                 style);
    return yaml_emitter_emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, const cx_yaml_node *n)
{
    yaml_event_t ev;
    if (n->kind == CX_YAML_SCALAR) return emit_scalar(em, n);
    if (n->kind == CX_YAML_SEQUENCE) {
        /* Flow style for rows of scalars keeps number lists on one line. */
        int flow = 1;
        for (size_t i = 0; i < n->n; i++)
            flow &= n->items[i]->kind == CX_YAML_SCALAR;
        yaml_sequence_start_event_initialize(
            &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    } else {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    }
    if (!yaml_emitter_emit(em, &ev)) return 0;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys && !emit_scalar(em, n->keys[i])) return 0;
        if (!emit_node(em, n->items[i])) return 0;
    }
    if (n->kind == CX_YAML_SEQUENCE)
        yaml_sequence_end_event_initialize(&ev);
    else
        yaml_mapping_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev);
}

static int emit_document(yaml_emitter_t *em, const cx_yaml_node *node)
{
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(em, &ev)) return 0;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(em, &ev) || !emit_node(em, node)) return 0;
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(em, &ev)) return 0;
    yaml_stream_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) && yaml_emitter_flush(em);
}

cx_status cx_yaml_write(FILE *fp, const cx_yaml_node *node)
{
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em)) return cx_fail(CX_ERR_NOMEM, "YAML writer: out of memory");
    yaml_emitter_set_output_file(&em, fp);
    yaml_emitter_set_unicode(&em, 1);
    int ok = emit_document(&em, node);
    cx_status st = CX_OK;
    if (!ok)
        st = cx_fail(em.error == YAML_WRITER_ERROR ? CX_ERR_IO : CX_ERR_FORMAT,
                     "cannot write YAML for '%s': %s", node->path,
                     em.problem ? em.problem : "emitter error");
    yaml_emitter_delete(&em);
    if (st == CX_OK && (fflush(fp) != 0 || ferror(fp)))
        st = cx_fail(CX_ERR_IO, "cannot write YAML: %s", strerror(errno));
    return st;
}
