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

void cx_suggest_init(cx_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = SIZE_MAX;
}

void cx_suggest_consider(cx_suggest *s, const char *candidate)
{
    size_t len = strlen(s->word), limit = len <= 4 ? 1 : len <= 10 ? 2 : 3;
    size_t d = edit_distance(s->word, candidate);
    if (d <= limit && d < len && d < s->dist) {
        s->best = candidate;
        s->dist = d;
    }
}

void cx_suggest_hint(const char *word, const char *const *allowed, char *buf, size_t len)
{
    if (!len) return;
    cx_suggest s;
    cx_suggest_init(&s, word);
    for (const char *const *a = allowed; *a; a++)
        cx_suggest_consider(&s, *a);
    if (s.best) {
        snprintf(buf, len, " (did you mean '%s'?)", s.best);
        return;
    }
    size_t used = (size_t)snprintf(buf, len, " (allowed:");
    for (const char *const *a = allowed; *a && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s %s", a == allowed ? "" : ",", *a);
    if (used < len) snprintf(buf + used, len - used, ")");
}
