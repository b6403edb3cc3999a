/*
 * wmem — allocation that never returns NULL (see wmem.h).
 */
#include "wmem.h"

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noreturn)) static void exhausted(void)
{
    if (!isendwin())
        endwin();
    fputs("tdectl: out of memory\n", stderr);
    abort();
}

void *wmem_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        exhausted();
    return p;
}

void *wmem_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        exhausted();
    return p;
}

void *wmem_realloc(void *ptr, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        exhausted();
    size_t n = nmemb * size;
    void *p = realloc(ptr, n ? n : 1);
    if (!p)
        exhausted();
    return p;
}

char *wmem_strdup(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    char *p = wmem_alloc(len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *wmem_vasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return wmem_strdup("");
    char *p = wmem_alloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}
