/* The sweep's index.html: what was swept, the pictures, the data files. */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"
#include "cx_fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Distinct values listed in full up to this many; beyond, the range. */
enum { LIST_MAX = 12 };

static const char STYLE[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:#222;line-height:1.45;max-width:1540px;margin:2rem auto;padding:0 1.5rem}\n"
    "h1{font-size:1.6rem;margin:0 0 .4rem}\n"
    "h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #e3e3e3;"
    "padding-bottom:.2rem}\n"
    "p.description{color:#444;max-width:60rem;white-space:pre-line}\n"
    "table{border-collapse:collapse;font-size:.92rem}\n"
    "th,td{border-bottom:1px solid #e3e3e3;padding:.3rem 1rem .3rem 0;text-align:left;"
    "vertical-align:top}\n"
    "th{color:#555;font-weight:600}\n"
    "td.name{font-weight:600}\n"
    "td.values{font-family:ui-monospace,Menlo,Consolas,monospace}\n"
    ".pictures{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));"
    "gap:1.5rem}\n"
    "figure{margin:0;border:1px solid #e3e3e3;border-radius:4px;padding:.5rem;background:#fff}\n"
    "figure img{width:100%;height:auto;display:block}\n"
    "figcaption{font-size:.9rem;color:#444;margin-top:.4rem}\n"
    "p.note{color:#777;font-size:.9rem}\n"
    "span.size{color:#777}\n";

/* A relative link: bytes outside the URL-safe set percent-encoded. */
static void put_href(cx_strbuf *b, const char *file)
{
    for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c))
            cx_strbuf_printf(b, "%c", c);
        else
            cx_strbuf_printf(b, "%%%02X", c);
    }
}

static void put_size(cx_strbuf *b, const char *dir, const char *file)
{
    char *path = cx_path_join(dir, file);
    struct stat st;
    if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        double n = (double)st.st_size;
        if (n < 1000)
            cx_strbuf_printf(b, " <span class=\"size\">(%.0f bytes)</span>", n);
        else if (n < 1e6)
            cx_strbuf_printf(b, " <span class=\"size\">(%.1f kB)</span>", n / 1e3);
        else
            cx_strbuf_printf(b, " <span class=\"size\">(%.1f MB)</span>", n / 1e6);
    }
    free(path);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The columns of a data file: name, kind, distinct values (listed or ranged). */
static void columns_table(cx_strbuf *b, const char *dir, const char *file)
{
    char *path = cx_path_join(dir, file);
    cx_plot_table t;
    cx_plot_owned *own = NULL;
    cx_status st = path ? cx_plot_read_csv(path, &t, &own) : CX_ERR_NOMEM;
    free(path);
    cx_strbuf_printf(b, "<h2>Columns of ");
    cx_strbuf_xml(b, file, 0, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(b, "</h2>\n");
    if (st != CX_OK) {
        cx_strbuf_printf(b, "<p class=\"note\">Cannot read the file: ");
        cx_strbuf_xml(b, st == CX_ERR_NOMEM ? "out of memory" : cx_last_error(), 0,
                      CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(b, "</p>\n");
        return;
    }
    cx_strbuf_printf(b,
                     "<p class=\"note\">%zu rows.</p>\n<table>\n<tr><th>column</th>"
                     "<th>kind</th><th>values</th></tr>\n",
                     t.n_rows);
    for (int c = 0; c < t.n_cols; c++) {
        char **labels = NULL;
        size_t n = 0, missing = 0;
        int text = t.is_text && t.is_text[c];
        cx_strbuf_printf(b, "<tr><td class=\"name\">");
        cx_strbuf_xml(b, t.names[c], 0, CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(b, "</td><td>%s</td><td class=\"values\">", text ? "text" : "number");
        if (cx_plot_distinct(&t, c, &labels, &n, &missing) == CX_OK) {
            if (n <= LIST_MAX) {
                for (size_t i = 0; i < n; i++) {
                    cx_strbuf_printf(b, "%s", i ? ", " : "");
                    cx_strbuf_xml(b, labels[i], 40, CX_STRBUF_XML_TEXT);
                }
            } else if (!text) {
                cx_strbuf_xml(b, labels[0], 0, CX_STRBUF_XML_TEXT);
                cx_strbuf_printf(b, " to ");
                cx_strbuf_xml(b, labels[n - 1], 0, CX_STRBUF_XML_TEXT);
                cx_strbuf_printf(b, " (%zu distinct)", n);
            } else {
                for (size_t i = 0; i < 4; i++) {
                    cx_strbuf_xml(b, labels[i], 40, CX_STRBUF_XML_TEXT);
                    cx_strbuf_printf(b, ", ");
                }
                cx_strbuf_printf(b, "\xe2\x80\xa6 (%zu distinct)", n);
            }
            if (missing) cx_strbuf_printf(b, "%s%zu missing", n ? "; " : "", missing);
            cx_plot_free_labels(labels, n);
        }
        cx_strbuf_printf(b, "</td></tr>\n");
    }
    cx_strbuf_printf(b, "</table>\n");
    cx_plot_owned_free(own);
}

cx_status cx_plot_index_html_axes(const char *dir, const char *title, const char *description,
                                  const cx_plot_axis *axes, int n_axes,
                                  const cx_plot_entry *pictures, int n_pictures,
                                  const cx_plot_entry *data_files, int n_data)
{
    if (!dir) return cx_fail(CX_ERR_USAGE, "index.html: no folder");
    if ((n_pictures > 0 && !pictures) || (n_data > 0 && !data_files) || (n_axes > 0 && !axes))
        return cx_fail(CX_ERR_USAGE, "%s/index.html: entries counted but not given", dir);
    for (int i = 0; i < n_pictures; i++)
        if (!pictures[i].file)
            return cx_fail(CX_ERR_USAGE, "%s/index.html: picture %d has no file", dir, i);
    for (int i = 0; i < n_data; i++)
        if (!data_files[i].file)
            return cx_fail(CX_ERR_USAGE, "%s/index.html: data file %d has no file", dir, i);
    for (int i = 0; i < n_axes; i++)
        if (!axes[i].name)
            return cx_fail(CX_ERR_USAGE, "%s/index.html: axis %d has no name", dir, i);
    if (!title || !*title) title = "Sweep";

    cx_strbuf b = {0};
    cx_strbuf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                         "<meta name=\"viewport\" content=\"width=device-width, "
                         "initial-scale=1\"/>\n<title>");
    cx_strbuf_xml(&b, title, 0, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", STYLE);
    cx_strbuf_xml(&b, title, 0, CX_STRBUF_XML_TEXT);
    cx_strbuf_printf(&b, "</h1>\n");
    if (description && *description) {
        cx_strbuf_printf(&b, "<p class=\"description\">");
        cx_strbuf_xml(&b, description, 0, CX_STRBUF_XML_TEXT);
        cx_strbuf_printf(&b, "</p>\n");
    }

    if (n_axes > 0) {
        cx_strbuf_printf(&b, "<h2>Axes</h2>\n<table>\n<tr><th>parameter</th><th>values</th>"
                             "</tr>\n");
        for (int i = 0; i < n_axes; i++) {
            cx_strbuf_printf(&b, "<tr><td class=\"name\">");
            cx_strbuf_xml(&b, axes[i].name, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "</td><td class=\"values\">");
            cx_strbuf_xml(&b, axes[i].values, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "</td></tr>\n");
        }
        cx_strbuf_printf(&b, "</table>\n");
    } else {
        for (int i = 0; i < n_data; i++)
            if (ends_with(data_files[i].file, ".csv")) {
                columns_table(&b, dir, data_files[i].file);
                break;
            }
    }

    if (n_pictures > 0) {
        cx_strbuf_printf(&b, "<h2>Pictures</h2>\n<div class=\"pictures\">\n");
        for (int i = 0; i < n_pictures; i++) {
            const char *cap = pictures[i].caption && *pictures[i].caption ? pictures[i].caption
                                                                          : pictures[i].file;
            cx_strbuf_printf(&b, "<figure><a href=\"");
            put_href(&b, pictures[i].file);
            cx_strbuf_printf(&b, "\"><img src=\"");
            put_href(&b, pictures[i].file);
            cx_strbuf_printf(&b, "\" alt=\"");
            cx_strbuf_xml(&b, cap, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "\" width=\"720\" height=\"440\" loading=\"lazy\"/></a>"
                                 "<figcaption>");
            cx_strbuf_xml(&b, cap, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "</figcaption></figure>\n");
        }
        cx_strbuf_printf(&b, "</div>\n");
    }

    if (n_data > 0) {
        cx_strbuf_printf(&b, "<h2>Data</h2>\n<ul>\n");
        for (int i = 0; i < n_data; i++) {
            cx_strbuf_printf(&b, "<li><a href=\"");
            put_href(&b, data_files[i].file);
            cx_strbuf_printf(&b, "\">");
            cx_strbuf_xml(&b, data_files[i].file, 0, CX_STRBUF_XML_TEXT);
            cx_strbuf_printf(&b, "</a>");
            put_size(&b, dir, data_files[i].file);
            if (data_files[i].caption && *data_files[i].caption) {
                cx_strbuf_printf(&b, ": ");
                cx_strbuf_xml(&b, data_files[i].caption, 0, CX_STRBUF_XML_TEXT);
            }
            cx_strbuf_printf(&b, "</li>\n");
        }
        cx_strbuf_printf(&b, "</ul>\n");
    }
    cx_strbuf_printf(&b, "</body>\n</html>\n");

    char *path = cx_path_join(dir, "index.html");
    if (!path) {
        cx_strbuf_free(&b);
        return cx_fail(CX_ERR_NOMEM, "%s/index.html: out of memory", dir);
    }
    cx_status st = cx_strbuf_write(&b, path);
    free(path);
    return st;
}

cx_status cx_plot_index_html(const char *dir, const char *title, const char *description,
                             const cx_plot_entry *pictures, int n_pictures,
                             const cx_plot_entry *data_files, int n_data)
{
    return cx_plot_index_html_axes(dir, title, description, NULL, 0, pictures, n_pictures,
                                   data_files, n_data);
}
