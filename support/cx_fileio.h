/* cx_fileio: whole-file reads and atomic writes with cx_status errors. */
#ifndef CX_FILEIO_H
#define CX_FILEIO_H

#include "cx_status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a whole file into a fresh buffer (NUL-terminated, size excludes it). */
cx_status cx_read_file(const char *path, uint8_t **out, size_t *size);
/* Reads a gzip-compressed file (or a plain one: zlib passes it through). */
cx_status cx_read_gzip_file(const char *path, uint8_t **out, size_t *size);
/* Writes path.tmp then renames it over path, so readers never see half a file. */
cx_status cx_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes,
                               size_t nparts);
/* 1 when path exists as a regular file or a directory. */
int cx_path_exists(const char *path);
/* Joins dir and name into a fresh string. */
char *cx_path_join(const char *dir, const char *name);

#ifdef __cplusplus
}
#endif
#endif
