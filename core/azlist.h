/*
 * azlist — reading a whole paged list into one array, for the typed clients.
 *
 * A list is read page by page through azure_get_all; each page is parsed by a
 * page parser of the armparse/kvparse shape and its items appended to one
 * array, which the final callback adopts (it owns the items and the array,
 * even when the status is a failure: then the array holds what was read
 * before the failure, usually nothing).
 *
 * The typed clients wrap this in a few lines per type (AZLIST_DEFINE below),
 * so their public functions keep typed callbacks.
 */
#ifndef TDECTL_AZLIST_H
#define TDECTL_AZLIST_H

#include <stddef.h>

#include "azure.h"

struct azlist;

/* A page parser with its item type erased (see AZLIST_DEFINE). */
typedef int (*azlist_parse_fn)(const char *body, size_t len, void **items, size_t *n,
                               char **next_link, char **cause);
/* The end of the list: items is an array of n elements of the list's size. */
typedef void (*azlist_done_fn)(const struct az_status *st, void *items, size_t n, void *typed_fn,
                               void *arg);
/* Frees one element's members. */
typedef void (*azlist_cleanup_fn)(void *item);

struct az_call *azlist_read(struct azure *az, enum az_service service, const char *url,
                            size_t elem_size, azlist_parse_fn parse, azlist_cleanup_fn cleanup,
                            azlist_done_fn done, void *typed_fn, void *arg);

/*
 * AZLIST_DEFINE(prefix, T, page_parser, item_cleanup, callback_type) defines
 *   static struct az_call *prefix##_list(struct azure *az, enum az_service service,
 *                                        const char *url, callback_type fn, void *arg)
 * reading a list of T with page_parser (int (*)(const char *, size_t, T **, size_t *,
 * char **, char **); on failure it returns nothing) and delivering it to fn
 * (void (*)(const struct az_status *, T *, size_t, void *)); item_cleanup
 * (void (*)(T *)) frees an item's members when the read is cancelled. Function pointers travel
 * through azlist as a struct holding the typed pointer, never cast to another function type.
 */
/* NOLINTBEGIN(bugprone-macro-parentheses): T is a type name */
#define AZLIST_DEFINE(prefix, T, page_parser, item_cleanup, callback_type)                       \
    struct prefix##_fn {                                                                         \
        callback_type fn;                                                                        \
    };                                                                                           \
    static void prefix##_cleanup(void *item)                                                     \
    {                                                                                            \
        item_cleanup((T *)item);                                                                 \
    }                                                                                            \
    static int prefix##_parse(const char *body, size_t len, void **items, size_t *n,             \
                              char **next_link, char **cause)                                    \
    {                                                                                            \
        T *typed = NULL;                                                                         \
        int rc = page_parser(body, len, &typed, n, next_link, cause);                            \
        *items = typed;                                                                          \
        return rc;                                                                               \
    }                                                                                            \
    static void prefix##_done(const struct az_status *st, void *items, size_t n, void *typed_fn, \
                              void *arg)                                                         \
    {                                                                                            \
        struct prefix##_fn holder = *(struct prefix##_fn *)typed_fn;                             \
        free(typed_fn);                                                                          \
        holder.fn(st, (T *)items, n, arg);                                                       \
    }                                                                                            \
    static struct az_call *prefix##_list(struct azure *az, enum az_service service,              \
                                         const char *url, callback_type fn, void *arg)           \
    {                                                                                            \
        struct prefix##_fn *holder = xmalloc(sizeof *holder);                                    \
        holder->fn = fn;                                                                         \
        return azlist_read(az, service, url, sizeof(T), prefix##_parse, prefix##_cleanup,        \
                           prefix##_done, holder, arg);                                          \
    }
/* NOLINTEND(bugprone-macro-parentheses) */

#endif
