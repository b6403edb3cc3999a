/*
 * wmem — allocation for the widgets, which link neither core nor its xmem.
 *
 * As with xmem, running out of memory is not a state a console can serve
 * from: these never return NULL; they restore the terminal (endwin), say so on
 * stderr and abort. Everything returned is freed with free().
 */
#ifndef TDECTL_WMEM_H
#define TDECTL_WMEM_H

#include <stdarg.h>
#include <stddef.h>

void *wmem_alloc(size_t size);
void *wmem_calloc(size_t nmemb, size_t size);
/* Resizes to nmemb * size bytes, refusing an overflowing product. */
void *wmem_realloc(void *ptr, size_t nmemb, size_t size);
/* NULL gives "". */
char *wmem_strdup(const char *s);
char *wmem_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
