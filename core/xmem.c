#include "xmem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void (*fatal_hook)(void);

void xmem_set_fatal_hook(void (*hook)(void))
{
    fatal_hook = hook;
}

static void out_of_memory(size_t size)
{
    if (fatal_hook)
        fatal_hook();
    char line[96];
    int n = snprintf(line, sizeof line, "tdectl: out of memory (%zu bytes)\n", size);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        abort();
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(nmemb * size);
    return p;
}

void *xrealloc(void *ptr, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    size_t total = nmemb * size;
    void *p = realloc(ptr, total ? total : 1);
    if (p == NULL)
        out_of_memory(total);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xstrdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        abort(); /* a bad format is a programming error */
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void xcause(char **cause, const char *fmt, ...)
{
    if (cause == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    free(*cause);
    *cause = p;
}

void xstr_set(char **slot, const char *value)
{
    if (*slot == value)
        return;
    char *copy = value ? xstrdup(value) : NULL;
    free(*slot);
    *slot = copy;
}

void xstr_appendf(char **slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = xvasprintf(fmt, ap);
    va_end(ap);
    if (*slot == NULL) {
        *slot = more;
        return;
    }
    size_t a = strlen(*slot), b = strlen(more);
    *slot = xrealloc(*slot, a + b + 1, 1);
    memcpy(*slot + a, more, b + 1);
    free(more);
}
