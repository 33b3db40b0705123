/* The YAML document tree: nodes, the loader over libyaml (anchors and aliases,
 * depth and node-count caps, one document per file), freeing, and --set overrides. */
#define _POSIX_C_SOURCE 200809L
#include "yaml_internal.h"
#include "cx_fileio.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deep nesting is a hostile or broken file, and the loader recurses. */
enum { MAX_DEPTH = 64 };
/* Caps alias expansion ("billion laughs"), since aliases are copied. */
enum { MAX_NODES = 1 << 20 };

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
    for (size_t i = 0; i < doc->n_labels; i++)
        free(doc->labels[i]);
    free(doc->labels);
    free(doc);
}

cx_status cx_yaml_graft(cx_yaml_doc *doc, const char *key, cx_yaml_doc *src)
{
    const cx_yaml_node *from = cx_yaml_get(src->root, key);
    cx_status st = CX_OK;
    if (!from)
        st = cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", src->file, key);
    else if (doc->root->kind != CX_YAML_MAPPING)
        st = cx_fail(CX_ERR_FORMAT, "%s: the document is not a mapping", doc->file);
    char **labels = st == CX_OK ? realloc(doc->labels, (doc->n_labels + 1) * sizeof *labels) : NULL;
    if (st == CX_OK && !labels) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st != CX_OK) {
        cx_yaml_free(src);
        return st;
    }
    doc->labels = labels;
    doc->labels[doc->n_labels++] = src->file; /* the moved nodes point to it */
    src->file = NULL;
    cx_yaml_node *sroot = src->root;
    size_t si = 0;
    while (strcmp(sroot->keys[si]->value, key))
        si++;
    cx_yaml_node *skey = sroot->keys[si], *sval = sroot->items[si];
    sroot->keys[si] = sroot->items[si] = NULL; /* node_free skips NULL children */
    cx_yaml_node *root = doc->root;
    for (size_t i = 0; i < root->n; i++)
        if (!strcmp(root->keys[i]->value, key)) {
            node_free(root->items[i]);
            root->items[i] = sval;
            node_free(skey);
            cx_yaml_free(src);
            return CX_OK;
        }
    if (!node_push(root, skey, sval)) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_yaml_free(src);
    return st;
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
    cx_status st = cx_yaml_walk(doc->root, path, 1, &n);
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
