/* cx_strbuf: text built in memory (SVG, HTML, CSV, JSON lines). The first
 * allocation failure sticks: callers append freely and check nomem once. */
#ifndef CX_STRBUF_H
#define CX_STRBUF_H

#include "cx_status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *s; /* NUL-terminated once anything is in it */
    size_t len, cap;
    int nomem; /* an allocation failed; s holds what fitted */
} cx_strbuf;

void cx_strbuf_put(cx_strbuf *b, const char *s, size_t n);
void cx_strbuf_puts(cx_strbuf *b, const char *s);
void cx_strbuf_printf(cx_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What cx_strbuf_xml makes of an apostrophe and of control characters. */
typedef enum {
    /* ' as &#39;, which HTML 4 reads too; control characters other than tab,
     * CR and LF (XML 1.0 forbids them) as spaces */
    CX_STRBUF_XML_TEXT,
    /* ' as &apos;; every control character dropped (one-line labels) */
    CX_STRBUF_XML_LABEL,
} cx_strbuf_xml_style;

/* Appends s (NULL: nothing) escaped for XML text or attribute values
 * (&<>"'). max_chars >= 3 shortens longer text to that many UTF-8
 * characters with an ellipsis in the middle; 0 keeps it whole. */
void cx_strbuf_xml(cx_strbuf *b, const char *s, size_t max_chars, cx_strbuf_xml_style style);

/* UTF-8 characters in s (what max_chars counts; layout estimates). */
size_t cx_strbuf_utf8_len(const char *s);

/* Takes the text (NUL-terminated; NULL when an allocation failed); b is
 * empty after. */
char *cx_strbuf_take(cx_strbuf *b);
void cx_strbuf_free(cx_strbuf *b);
/* Writes the text to path atomically (cx_write_file_atomic) and frees b. */
cx_status cx_strbuf_write(cx_strbuf *b, const char *path);

#ifdef __cplusplus
}
#endif
#endif
