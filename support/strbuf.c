#include "cx_strbuf.h"
#include "cx_fileio.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `more` bytes and the NUL; 0 once an allocation has failed. */
static int grow(cx_strbuf *b, size_t more)
{
    if (b->nomem) return 0;
    if (b->len + more + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->nomem = 1;
        return 0;
    }
    b->s = s;
    b->cap = cap;
    return 1;
}

void cx_strbuf_put(cx_strbuf *b, const char *s, size_t n)
{
    if (!grow(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void cx_strbuf_puts(cx_strbuf *b, const char *s)
{
    cx_strbuf_put(b, s, strlen(s));
}

void cx_strbuf_printf(cx_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void put_xml(cx_strbuf *b, const char *s, const char *end, cx_strbuf_xml_style style)
{
    for (; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = c == '&'    ? "&amp;"
                          : c == '<'  ? "&lt;"
                          : c == '>'  ? "&gt;"
                          : c == '"'  ? "&quot;"
                          : c == '\'' ? (style == CX_STRBUF_XML_LABEL ? "&apos;" : "&#39;")
                                      : NULL;
        if (esc)
            cx_strbuf_puts(b, esc);
        else if (c >= 0x20 && c != 0x7f)
            cx_strbuf_put(b, s, 1);
        else if (style == CX_STRBUF_XML_TEXT)
            cx_strbuf_put(b, c == '\t' || c == '\n' || c == '\r' ? s : " ", 1);
    }
}

/* Byte offset of UTF-8 character k of s. */
static size_t utf8_offset(const char *s, size_t k)
{
    size_t i = 0, chars = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == k) return i;
    }
    return i;
}

void cx_strbuf_xml(cx_strbuf *b, const char *s, size_t max_chars, cx_strbuf_xml_style style)
{
    if (!s) return;
    size_t len = cx_strbuf_utf8_len(s);
    if (max_chars < 3 || len <= max_chars) {
        put_xml(b, s, s + strlen(s), style);
        return;
    }
    /* Middle ellipsis: labels of a sweep often differ only at their ends. */
    size_t head = max_chars / 2, tail = max_chars - 1 - head;
    put_xml(b, s, s + utf8_offset(s, head), style);
    cx_strbuf_put(b, "\xe2\x80\xa6", 3);
    const char *t = s + utf8_offset(s, len - tail);
    put_xml(b, t, t + strlen(t), style);
}

size_t cx_strbuf_utf8_len(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

char *cx_strbuf_take(cx_strbuf *b)
{
    if (!b->s && grow(b, 0)) b->s[0] = '\0';
    if (b->nomem) {
        cx_strbuf_free(b);
        return NULL;
    }
    char *s = b->s;
    memset(b, 0, sizeof *b);
    return s;
}

void cx_strbuf_free(cx_strbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

cx_status cx_strbuf_write(cx_strbuf *b, const char *path)
{
    cx_status st;
    if (b->nomem) {
        st = cx_fail(CX_ERR_NOMEM, "%s: out of memory building the file", path);
    } else {
        const void *parts[] = {b->s ? b->s : ""};
        size_t sizes[] = {b->len};
        st = cx_write_file_atomic(path, parts, sizes, 1);
    }
    cx_strbuf_free(b);
    return st;
}
