#include "textsafe.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

size_t textsafe_utf8_seq(const unsigned char *s, uint32_t *cp)
{
    size_t n;
    uint32_t min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        n = 2, min = 0x80, *cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, min = 0x800, *cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

bool textsafe_unsafe(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

bool textsafe_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = textsafe_utf8_seq(p, &cp);
        if (n == 0 || textsafe_unsafe(cp))
            return false;
        p += n;
    }
    return true;
}

char *textsafe_copy(const char *s)
{
    if (s == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    char *out = xmalloc(strlen(s) + 1); /* never longer: each replacement is one byte */
    size_t o = 0;
    while (*p) {
        uint32_t cp;
        size_t n = textsafe_utf8_seq(p, &cp);
        if (n == 0) {
            out[o++] = '?';
            p++;
        } else if (textsafe_unsafe(cp)) {
            out[o++] = ' ';
            p += n;
        } else {
            memcpy(out + o, p, n);
            o += n;
            p += n;
        }
    }
    out[o] = '\0';
    return out;
}
