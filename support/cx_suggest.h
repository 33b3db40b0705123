/* cx_suggest: did-you-mean hints for misspelt keys and names.
 *
 * A candidate is suggested when its optimal string alignment distance to the
 * word (a swapped pair of letters costs 1, like any other typo) is at most 1
 * for words of up to 4 characters, 2 up to 10 and 3 beyond, and smaller than
 * the word itself; the closest such candidate wins, the first among equals. */
#ifndef CX_SUGGEST_H
#define CX_SUGGEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The search for the closest plausible spelling of `word`. */
typedef struct {
    const char *word;
    const char *best; /* NULL until a candidate qualifies */
    size_t dist;
} cx_suggest;

void cx_suggest_init(cx_suggest *s, const char *word);
/* Keeps `candidate` (which must outlive s) when it is the closest so far. */
void cx_suggest_consider(cx_suggest *s, const char *candidate);

/* Writes " (did you mean 'x'?)" for the closest entry of the NULL-terminated
 * `allowed`, or else " (allowed: a, b, c)" (cut to len). */
void cx_suggest_hint(const char *word, const char *const *allowed, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
