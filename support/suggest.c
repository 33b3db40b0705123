/* "Did you mean" for a mistyped key or name: the closest plausible spelling
 * by optimal string alignment distance. */
#include "cx_suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Optimal string alignment distance, so a swapped pair costs 1 like a typo. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 63 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXLEN || lb > MAXLEN) return SIZE_MAX;
    size_t d[MAXLEN + 1][MAXLEN + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Keeps cand in *best when it is the closest plausible spelling of word. */
void cx_suggest_consider(const char *word, const char *cand, const char **best, size_t *best_d)
{
    size_t len = strlen(word), limit = len <= 4 ? 1 : len <= 10 ? 2 : 3;
    size_t d = edit_distance(word, cand);
    if (d <= limit && d < len && d < *best_d) {
        *best = cand;
        *best_d = d;
    }
}

/* " (did you mean 'x'?)" or " (allowed: a, b, c)". */
void cx_suggest_allowed(const char *word, const char *const *allowed, char *buf, size_t len)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const char *const *a = allowed; *a; a++)
        cx_suggest_consider(word, *a, &best, &best_d);
    if (best) {
        snprintf(buf, len, " (did you mean '%s'?)", best);
        return;
    }
    size_t used = (size_t)snprintf(buf, len, " (allowed:");
    for (const char *const *a = allowed; *a && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s %s", a == allowed ? "" : ",", *a);
    if (used < len) snprintf(buf + used, len - used, ")");
}

