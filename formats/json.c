#include "cx_json.h"
#include "cx_fileio.h"

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

cx_status cx_json_apply_override(cJSON *obj, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return cx_fail(CX_ERR_USAGE, "override '%s': expected KEY=VALUE", assignment);
    size_t klen = (size_t)(eq - assignment);
    char *key = malloc(klen + 1);
    if (!key) return cx_fail(CX_ERR_NOMEM, "out of memory");
    memcpy(key, assignment, klen);
    key[klen] = 0;
    cJSON *value = cJSON_Parse(eq + 1);
    if (!value) value = cJSON_CreateString(eq + 1);
    if (!value) {
        free(key);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
    free(key);
    return CX_OK;
}
