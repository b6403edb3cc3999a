#include "azlist.h"

#include <stdlib.h>
#include <string.h>

#include "xmem.h"

struct azlist {
    size_t size;
    azlist_parse_fn parse;
    azlist_done_fn done;
    azlist_cleanup_fn cleanup;
    void *typed_fn; /* heap holder of the typed callback */
    void *arg;
    char *items;
    size_t n;
};

static int on_page(const char *body, size_t len, char **next_link, char **cause, void *arg)
{
    struct azlist *l = arg;
    void *page = NULL;
    size_t n = 0;
    if (l->parse(body, len, &page, &n, next_link, cause) < 0) {
        free(page);
        return -1;
    }
    if (n > 0) {
        l->items = xrealloc(l->items, l->n + n, l->size);
        memcpy(l->items + l->n * l->size, page, n * l->size);
        l->n += n;
    }
    free(page);
    return 0;
}

static void on_done(const struct az_status *st, void *arg)
{
    struct azlist *l = arg;
    azlist_done_fn done = l->done;
    void *items = l->items, *typed_fn = l->typed_fn, *user = l->arg;
    size_t n = l->n;
    free(l);
    done(st, items, n, typed_fn, user);
}

/* Cancelled before the end: nobody takes the items read so far. */
static void on_cancel(void *arg)
{
    struct azlist *l = arg;
    for (size_t i = 0; i < l->n; i++)
        l->cleanup(l->items + i * l->size);
    free(l->typed_fn);
    free(l->items);
    free(l);
}

struct az_call *azlist_read(struct azure *az, enum az_service service, const char *url,
                            size_t elem_size, azlist_parse_fn parse, azlist_cleanup_fn cleanup,
                            azlist_done_fn done, void *typed_fn, void *arg)
{
    struct azlist *l = xcalloc(1, sizeof *l);
    l->size = elem_size;
    l->parse = parse;
    l->cleanup = cleanup;
    l->done = done;
    l->typed_fn = typed_fn;
    l->arg = arg;
    struct az_call *c = azure_get_all(az, service, url, 0, on_page, on_done, l);
    azure_on_cancel(c, on_cancel, l);
    return c;
}
