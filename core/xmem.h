/*
 * xmem — allocation helpers for core and the front ends.
 *
 * Running out of memory is not a state an on-call console can serve from, so
 * these never return NULL: they call the fatal hook (the console sets one that
 * restores the terminal first), write one line to stderr and abort (as tmux's
 * xmalloc.c does). Everything they return is heap memory freed with free().
 */
#ifndef TDECTL_XMEM_H
#define TDECTL_XMEM_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
/* Resizes to nmemb * size bytes, refusing an overflowing product. */
void *xrealloc(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* NULL stays NULL. */
char *xstrdup_or_null(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Sets *cause (when cause is not NULL) to a newly allocated message, replacing any old one. */
void xcause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Called once before aborting on exhaustion (the console restores the terminal). */
void xmem_set_fatal_hook(void (*hook)(void));

/* Replaces *slot with a copy of value (NULL allowed), freeing the old string. */
void xstr_set(char **slot, const char *value);
/* Appends printf output to the heap string *slot (NULL: starts one). */
void xstr_appendf(char **slot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
