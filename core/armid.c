#include "armid.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"

/* The segment starting at *p (after any slashes); moves *p past it. */
static bool next_segment(const char **p, const char **seg, size_t *len)
{
    while (**p == '/')
        (*p)++;
    if (**p == '\0' || **p == '?' || **p == '#')
        return false;
    *seg = *p;
    *len = strcspn(*p, "/?#");
    *p += *len;
    return true;
}

char *armid_segment(const char *id, const char *word)
{
    if (id == NULL || word == NULL)
        return NULL;
    const char *p = id, *seg, *val;
    size_t len, vlen, wlen = strlen(word);
    while (next_segment(&p, &seg, &len)) {
        if (len != wlen || strncasecmp(seg, word, len) != 0)
            continue;
        if (!next_segment(&p, &val, &vlen))
            return NULL;
        return xstrndup(val, vlen);
    }
    return NULL;
}

char *armid_last(const char *id)
{
    if (id == NULL)
        return NULL;
    const char *p = id, *seg, *last = NULL;
    size_t len, lastlen = 0;
    while (next_segment(&p, &seg, &len)) {
        last = seg;
        lastlen = len;
    }
    return last ? xstrndup(last, lastlen) : NULL;
}

char *armid_location(const char *location)
{
    if (location == NULL)
        return NULL;
    size_t o = 0;
    char *out = xmalloc(strlen(location) + 1);
    for (const unsigned char *p = (const unsigned char *)location; *p; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        /* Region names are ASCII letters and digits: anything else is not one. */
        if (!isalnum(*p) || *p >= 0x80 || o >= ARMID_LOCATION_MAX) {
            o = 0;
            break;
        }
        out[o++] = (char)tolower(*p);
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}
