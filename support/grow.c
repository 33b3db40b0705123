/* Amortized array growth (cx_grow.h). */
#include "cx_grow.h"

#include <stdlib.h>

int cx_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 1;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p) return 0;
    *arr = p;
    *cap = n;
    return 1;
}
