/* cx_suggest: a suggestion for a mistyped key or name, as the strict readers
 * (YAML schemas, model configs, command options) print it. */
#ifndef CX_SUGGEST_H
#define CX_SUGGEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keeps cand in *best (distance *best_d; start with NULL and SIZE_MAX) when
 * it is the closest plausible spelling of word seen so far: at most 1 edit
 * for words up to 4 characters, 2 up to 10, else 3 (a swapped pair is one). */
void cx_suggest_consider(const char *word, const char *cand, const char **best, size_t *best_d);
/* buf = " (did you mean 'x'?)" for the closest of the NULL-terminated
 * allowed, else " (allowed: a, b, c)". */
void cx_suggest_allowed(const char *word, const char *const *allowed, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
