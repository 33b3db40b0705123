/* Shared by the safetensors reader and writer, so that the writer never
 * makes a file the reader refuses. */
#ifndef ST_INTERNAL_H
#define ST_INTERNAL_H

#include <stdint.h>

/* 1 when the C string is valid UTF-8 (no overlong forms, no surrogates). */
int st_utf8_valid(const char *s);

/* Elements of a shape into *nelem; 0 when an extent is negative or the
 * product of the non-zero extents passes CX_ST_MAX_ELEMS. */
int st_shape_elems(int ndim, const int64_t *shape, uint64_t *nelem);

#endif
