/*
 * xmem — allocation helpers for azsim.
 *
 * azsim is a test fixture: running out of memory is not a state it can serve
 * from, so these abort with a message instead of returning NULL (tmux's
 * xmalloc.c does the same). Everything they return is heap memory the caller
 * frees with free().
 */
#ifndef AZSIM_XMEM_H
#define AZSIM_XMEM_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Sets *cause (when cause is not NULL) to a newly allocated message. */
void xcause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
