/* Result rows: one JSON line per point in results.jsonl, one CSV line in
 * results.csv. Numbers use the shortest text that reads back exactly, so a
 * row parsed from the journal prints the same bytes again. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t cx_sweep_rcol(const cx_sweep_spec *s, int k)
{
    return CX_SWEEP_LEAD_COLS + s->n_axes + (size_t)k;
}

cx_status cx_sweep_row_init(const cx_sweep_spec *s, cx_sweep_row *r)
{
    r->id = 0;
    r->num = malloc(s->n_cols * sizeof *r->num);
    r->text = calloc(s->n_cols, sizeof *r->text);
    if (!r->num || !r->text) {
        free(r->num);
        free(r->text);
        r->num = NULL;
        r->text = NULL;
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (size_t c = 0; c < s->n_cols; c++)
        r->num[c] = NAN;
    return CX_OK;
}

void cx_sweep_row_release(const cx_sweep_spec *s, cx_sweep_row *r)
{
    for (size_t c = 0; r->text && c < s->n_cols; c++)
        free(r->text[c]);
    free(r->text);
    free(r->num);
    r->text = NULL;
    r->num = NULL;
}

void cx_sweep_row_set_text(const cx_sweep_spec *s, cx_sweep_row *r, size_t col, const char *t)
{
    (void)s;
    free(r->text[col]);
    r->text[col] = strdup(t ? t : "");
}

static void json_string(cx_strbuf *b, const char *s)
{
    cx_strbuf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            cx_strbuf_put(b, e, 2);
        } else if (*p == '\n') {
            cx_strbuf_put(b, "\\n", 2);
        } else if (*p < 0x20) {
            cx_strbuf_printf(b, "\\u%04x", *p);
        } else {
            cx_strbuf_put(b, (const char *)p, 1);
        }
    }
    cx_strbuf_put(b, "\"", 1);
}

void cx_sweep_row_json(const cx_sweep_spec *s, const cx_sweep_row *r, cx_strbuf *b)
{
    cx_strbuf_put(b, "{", 1);
    for (size_t c = 0; c < s->n_cols; c++) {
        if (c) cx_strbuf_put(b, ",", 1);
        json_string(b, s->col_names[c]);
        cx_strbuf_put(b, ":", 1);
        if (s->col_text[c]) {
            json_string(b, r->text[c] ? r->text[c] : "");
        } else if (isnan(r->num[c])) {
            cx_strbuf_puts(b, "null");
        } else {
            char num[32];
            cx_sweep_fmt_num(num, r->num[c]);
            if (isinf(r->num[c]))
                json_string(b, num); /* JSON has no infinity */
            else
                cx_strbuf_puts(b, num);
        }
    }
    cx_strbuf_put(b, "}\n", 2);
}

static void csv_field(cx_strbuf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r") && s[0] != ' ' && (!s[0] || s[strlen(s) - 1] != ' ')) {
        cx_strbuf_puts(b, s);
        return;
    }
    cx_strbuf_put(b, "\"", 1);
    for (const char *p = s; *p; p++)
        cx_strbuf_put(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    cx_strbuf_put(b, "\"", 1);
}

void cx_sweep_header_csv(const cx_sweep_spec *s, cx_strbuf *b)
{
    for (size_t c = 0; c < s->n_cols; c++) {
        if (c) cx_strbuf_put(b, ",", 1);
        csv_field(b, s->col_names[c]);
    }
    cx_strbuf_put(b, "\n", 1);
}

void cx_sweep_row_csv(const cx_sweep_spec *s, const cx_sweep_row *r, cx_strbuf *b)
{
    for (size_t c = 0; c < s->n_cols; c++) {
        if (c) cx_strbuf_put(b, ",", 1);
        if (s->col_text[c]) {
            csv_field(b, r->text[c] ? r->text[c] : "");
        } else if (!isnan(r->num[c])) {
            char num[32];
            cx_sweep_fmt_num(num, r->num[c]);
            cx_strbuf_puts(b, num);
        }
    }
    cx_strbuf_put(b, "\n", 1);
}

cx_status cx_sweep_row_parse(const cx_sweep_spec *s, const char *line, size_t len, cx_sweep_row *r)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return cx_fail(CX_ERR_FORMAT, "not a JSON object");
    }
    cx_status st = CX_OK;
    for (size_t c = 0; c < s->n_cols && st == CX_OK; c++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, s->col_names[c]);
        if (!v) {
            st = cx_fail(CX_ERR_MISSING, "no column '%s'", s->col_names[c]);
        } else if (s->col_text[c]) {
            if (!cJSON_IsString(v))
                st = cx_fail(CX_ERR_FORMAT, "column '%s' is not a string", s->col_names[c]);
            else
                cx_sweep_row_set_text(s, r, c, v->valuestring);
        } else if (cJSON_IsNull(v)) {
            r->num[c] = NAN;
        } else if (cJSON_IsNumber(v)) {
            r->num[c] = v->valuedouble;
        } else if (cJSON_IsString(v) && !strcmp(v->valuestring, "inf")) {
            r->num[c] = INFINITY;
        } else if (cJSON_IsString(v) && !strcmp(v->valuestring, "-inf")) {
            r->num[c] = -INFINITY;
        } else {
            st = cx_fail(CX_ERR_FORMAT, "column '%s' is not a number", s->col_names[c]);
        }
    }
    double id = r->num[0];
    if (st == CX_OK && !(id >= 0 && id < (double)cx_sweep_points(s) && id == floor(id)))
        st = cx_fail(CX_ERR_VALUE, "point %g is not a point of this sweep", id);
    if (st == CX_OK) r->id = (size_t)id;
    cJSON_Delete(j);
    return st;
}
