/* cx_grow: amortized growth of a heap array (capacity doubles). */
#ifndef CX_GROW_H
#define CX_GROW_H

#include <stddef.h>

/* Grows *arr (elements of `size` bytes, capacity *cap) to hold at least
 * `need` elements; 0 when out of memory (the array is left as it was). */
int cx_grow(void **arr, size_t *cap, size_t need, size_t size);

#define CX_GROW(arr, cap, need) cx_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

#endif
