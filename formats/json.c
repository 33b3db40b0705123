#include "cx_json.h"
#include "cx_fileio.h"
#include "cx_suggest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cx_status cx_json_load(const char *path, cJSON **out)
{
    uint8_t *buf;
    size_t size;
    *out = NULL;
    CX_TRY(cx_read_file(path, &buf, &size));
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)buf, size, &end, 0);
    if (!root) {
        /* cJSON reports where it stopped; turn the offset into line:column. */
        size_t off = end ? (size_t)(end - (const char *)buf) : 0, line = 1, col = 1;
        for (size_t i = 0; i < off && i < size; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        free(buf);
        return cx_fail(CX_ERR_FORMAT, "%s:%zu:%zu: malformed JSON", path, line, col);
    }
    free(buf);
    *out = root;
    return CX_OK;
}

cx_status cx_json_save(const char *path, const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    if (!text) return cx_fail(CX_ERR_NOMEM, "out of memory");
    const void *parts[] = {text, "\n"};
    size_t sizes[] = {strlen(text), 1};
    cx_status st = cx_write_file_atomic(path, parts, sizes, 2);
    free(text);
    return st;
}

static const cJSON *lookup(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return (v && !cJSON_IsNull(v)) ? v : NULL;
}

cx_status cx_json_number(const cJSON *obj, const char *file, const char *key, const double *dflt,
                         double *out)
{
    const cJSON *v = lookup(obj, key);
    if (!v) {
        if (!dflt) return cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", file, key);
        *out = *dflt;
        return CX_OK;
    }
    if (!cJSON_IsNumber(v))
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': expected a number", file, key);
    if (!isfinite(v->valuedouble))
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': not a finite number", file, key);
    *out = v->valuedouble;
    return CX_OK;
}

cx_status cx_json_int(const cJSON *obj, const char *file, const char *key, const long *dflt,
                      long *out)
{
    double d = 0, dd = dflt ? (double)*dflt : 0;
    CX_TRY(cx_json_number(obj, file, key, dflt ? &dd : NULL, &d));
    if (d != floor(d) || fabs(d) > 1e15)
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': expected an integer, found %g", file, key, d);
    *out = (long)d;
    return CX_OK;
}

cx_status cx_json_bool(const cJSON *obj, const char *file, const char *key, const int *dflt,
                       int *out)
{
    const cJSON *v = lookup(obj, key);
    if (!v) {
        if (!dflt) return cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", file, key);
        *out = *dflt;
        return CX_OK;
    }
    if (!cJSON_IsBool(v))
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': expected true or false", file, key);
    *out = cJSON_IsTrue(v);
    return CX_OK;
}

cx_status cx_json_string(const cJSON *obj, const char *file, const char *key, const char *dflt,
                         const char **out)
{
    const cJSON *v = lookup(obj, key);
    if (!v) {
        if (!dflt) return cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", file, key);
        *out = dflt;
        return CX_OK;
    }
    if (!cJSON_IsString(v))
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': expected a string", file, key);
    *out = v->valuestring;
    return CX_OK;
}

/* ------------------------------------------------------------ schemas */

/* Integers beyond 2^53 lose their value in a double; refuse them as out of range. */
static const double INT_LIMIT = 9007199254740992.0;

static const cx_json_key *schema_find(const cx_json_schema *schema, const char *key)
{
    for (size_t i = 0; i < schema->n; i++)
        if (!strcmp(schema->keys[i].key, key)) return &schema->keys[i];
    return NULL;
}

static const char *type_name(cx_json_type t)
{
    switch (t) {
    case CX_JSON_INT:
        return "a number (an integer)";
    case CX_JSON_NUMBER:
        return "a number";
    case CX_JSON_BOOL:
        return "true or false";
    case CX_JSON_STRING:
        return "a string";
    case CX_JSON_ANY:
        break;
    }
    return "any value";
}

/* What a JSON value is, for "expected X, found Y". */
static void describe_value(const cJSON *v, char *buf, size_t len)
{
    if (cJSON_IsString(v))
        snprintf(buf, len, "the string '%.60s'", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, len, "%.15g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsArray(v))
        snprintf(buf, len, "an array");
    else
        snprintf(buf, len, "an object");
}

/* "an integer in 1..2147483647", "in [0.001, 10] ms", ">= 0 ms". */
static void describe_range(const cx_json_key *k, char *buf, size_t len)
{
    const char *unit = k->unit ? k->unit : "", *sp = k->unit ? " " : "";
    int lo = isfinite(k->min), hi = isfinite(k->max);
    if (k->type == CX_JSON_INT && lo && hi)
        snprintf(buf, len, "an integer in %.15g..%.15g%s%s", k->min, k->max, sp, unit);
    else if (k->type == CX_JSON_INT && lo)
        snprintf(buf, len, "an integer >= %.15g%s%s", k->min, sp, unit);
    else if (lo && hi)
        snprintf(buf, len, "in [%.15g, %.15g]%s%s", k->min, k->max, sp, unit);
    else if (lo)
        snprintf(buf, len, ">= %.15g%s%s", k->min, sp, unit);
    else if (hi)
        snprintf(buf, len, "<= %.15g%s%s", k->max, sp, unit);
    else
        snprintf(buf, len, "finite");
}

/* A number of key k, present (defaulted = 0) or its default, against the range. */
static cx_status check_number(const cx_json_key *k, const char *file, double v, int defaulted)
{
    const char *dflt = defaulted ? " (its default: the config leaves the key out)" : "";
    if (!isfinite(v))
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': not a finite number%s", file, k->key, dflt);
    if (k->type == CX_JSON_INT && v != floor(v))
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': expected an integer, found %.15g%s", file,
                       k->key, v, dflt);
    if (v < k->min || v > k->max || (k->type == CX_JSON_INT && fabs(v) > INT_LIMIT)) {
        char range[96];
        describe_range(k, range, sizeof range);
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': must be %s, found %.15g%s", file, k->key, range,
                       v, dflt);
    }
    return CX_OK;
}

static cx_status check_string(const cx_json_key *k, const char *file, const char *v)
{
    if (!k->choices) return CX_OK;
    for (const char *const *c = k->choices; *c; c++)
        if (!strcmp(*c, v)) return CX_OK;
    char hint[256];
    cx_suggest_hint(v, k->choices, hint, sizeof hint);
    return cx_fail(CX_ERR_VALUE, "%s: key '%s': unknown value '%.60s'%s", file, k->key, v, hint);
}

/* A present, non-null value of key k. */
static cx_status check_value(const cx_json_key *k, const char *file, const cJSON *v)
{
    int ok = k->type == CX_JSON_ANY || (k->type == CX_JSON_BOOL && cJSON_IsBool(v)) ||
             (k->type == CX_JSON_STRING && cJSON_IsString(v)) ||
             ((k->type == CX_JSON_INT || k->type == CX_JSON_NUMBER) && cJSON_IsNumber(v));
    if (!ok) {
        char found[96];
        describe_value(v, found, sizeof found);
        return cx_fail(CX_ERR_VALUE, "%s: key '%s': expected %s, found %s", file, k->key,
                       type_name(k->type), found);
    }
    if (k->type == CX_JSON_INT || k->type == CX_JSON_NUMBER)
        return check_number(k, file, v->valuedouble, 0);
    if (k->type == CX_JSON_STRING) return check_string(k, file, v->valuestring);
    return CX_OK;
}

/* The schema's keys as a NULL-terminated list (params only when asked); caller frees. */
static const char **key_list(const cx_json_schema *schema, int params_only)
{
    const char **list = calloc(schema->n + 1, sizeof *list);
    size_t n = 0;
    for (size_t i = 0; list && i < schema->n; i++)
        if (!params_only || schema->keys[i].param) list[n++] = schema->keys[i].key;
    return list;
}

static cx_status unknown_key(const char *file, const char *key, const cx_json_schema *schema,
                             int params_only)
{
    const char **list = key_list(schema, params_only);
    if (!list) return cx_fail(CX_ERR_NOMEM, "out of memory");
    char hint[640];
    cx_suggest_hint(key, list, hint, sizeof hint);
    free(list);
    return cx_fail(CX_ERR_FORMAT, "%s: unknown key '%.80s'%s", file, key, hint);
}

cx_status cx_json_check(const cJSON *obj, const char *file, const cx_json_schema *schema)
{
    for (const cJSON *v = obj ? obj->child : NULL; v; v = v->next) {
        const cx_json_key *k = schema_find(schema, v->string);
        if (!k) return unknown_key(file, v->string, schema, 0);
        /* the getters see only the first of two equal keys */
        for (const cJSON *w = v->next; w; w = w->next)
            if (!strcmp(w->string, v->string))
                return cx_fail(CX_ERR_FORMAT, "%s: key '%s' appears twice", file, v->string);
        if (!cJSON_IsNull(v)) CX_TRY(check_value(k, file, v));
    }
    return CX_OK;
}

/* The schema entry of a key the caller reads; absent only by a programming error. */
static cx_status entry(const cx_json_schema *schema, const char *file, const char *key,
                       cx_json_type type, const cx_json_key **out)
{
    *out = schema_find(schema, key);
    if (!*out || (*out)->type != type)
        return cx_fail(CX_ERR_UNSUPPORTED, "%s: key '%s' is read but not in the schema as %s", file,
                       key, type_name(type));
    return CX_OK;
}

cx_status cx_json_get_number(const cJSON *obj, const char *file, const cx_json_schema *schema,
                             const char *key, const double *dflt, double *out)
{
    const cx_json_key *k;
    CX_TRY(entry(schema, file, key, CX_JSON_NUMBER, &k));
    const cJSON *v = lookup(obj, key);
    if (v) {
        CX_TRY(check_value(k, file, v));
        *out = v->valuedouble;
        return CX_OK;
    }
    if (!dflt) return cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", file, key);
    CX_TRY(check_number(k, file, *dflt, 1));
    *out = *dflt;
    return CX_OK;
}

cx_status cx_json_get_long(const cJSON *obj, const char *file, const cx_json_schema *schema,
                           const char *key, const long *dflt, long *out)
{
    const cx_json_key *k;
    CX_TRY(entry(schema, file, key, CX_JSON_INT, &k));
    const cJSON *v = lookup(obj, key);
    if (v) {
        CX_TRY(check_value(k, file, v));
        *out = (long)v->valuedouble; /* integral and within 2^53: exact */
        return CX_OK;
    }
    if (!dflt) return cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", file, key);
    CX_TRY(check_number(k, file, (double)*dflt, 1));
    *out = *dflt;
    return CX_OK;
}

cx_status cx_json_get_string(const cJSON *obj, const char *file, const cx_json_schema *schema,
                             const char *key, const char *dflt, const char **out)
{
    const cx_json_key *k;
    CX_TRY(entry(schema, file, key, CX_JSON_STRING, &k));
    const cJSON *v = lookup(obj, key);
    if (v) {
        CX_TRY(check_value(k, file, v));
        *out = v->valuestring;
        return CX_OK;
    }
    if (!dflt) return cx_fail(CX_ERR_MISSING, "%s: missing key '%s'", file, key);
    *out = dflt;
    return CX_OK;
}

cx_status cx_json_apply_override(cJSON *obj, const char *assignment, const cx_json_schema *schema,
                                 const char *label)
{
    char where[160];
    snprintf(where, sizeof where, "%s %.120s", label, assignment);
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) return cx_fail(CX_ERR_USAGE, "%s: expected KEY=VALUE", where);
    size_t klen = (size_t)(eq - assignment);
    char *key = malloc(klen + 1);
    if (!key) return cx_fail(CX_ERR_NOMEM, "out of memory");
    memcpy(key, assignment, klen);
    key[klen] = 0;
    const cx_json_key *k = schema ? schema_find(schema, key) : NULL;
    cx_status st = CX_OK;
    if (schema && !k)
        st = unknown_key(where, key, schema, 1);
    else if (schema && !k->param)
        st = cx_fail(CX_ERR_VALUE, "%s: key '%s' is descriptive: it does not change the model",
                     where, key);
    cJSON *value = NULL;
    if (st == CX_OK) {
        value = cJSON_Parse(eq + 1);
        if (!value) value = cJSON_CreateString(eq + 1);
        if (!value) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK && k && !cJSON_IsNull(value)) st = check_value(k, where, value);
    if (st != CX_OK) {
        cJSON_Delete(value);
        free(key);
        return st;
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
    free(key);
    return CX_OK;
}
