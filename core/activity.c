#include "activity.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "xmem.h"

struct activity {
    struct activity_entry *ring;
    size_t capacity;
    size_t start; /* index of the oldest entry */
    size_t count;
    uint64_t dropped;
    uint64_t generation;
    struct activity_counts counts;
};

struct activity *activity_create(size_t capacity)
{
    struct activity *a = xcalloc(1, sizeof *a);
    a->capacity = capacity ? capacity : 1;
    a->ring = xcalloc(a->capacity, sizeof *a->ring);
    return a;
}

static void entry_cleanup(struct activity_entry *e)
{
    free(e->method);
    free(e->url);
    free(e->request_id);
    free(e->client_request_id);
    free(e->correlation_id);
    free(e->text);
    memset(e, 0, sizeof *e);
}

void activity_destroy(struct activity *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->count; i++)
        entry_cleanup(&a->ring[(a->start + i) % a->capacity]);
    free(a->ring);
    free(a);
}

/* A fresh slot at the end, dropping the oldest entry when the ring is full. */
static struct activity_entry *push(struct activity *a)
{
    struct activity_entry *e;
    if (a->count == a->capacity) {
        e = &a->ring[a->start];
        entry_cleanup(e);
        a->start = (a->start + 1) % a->capacity;
        a->dropped++;
    } else {
        e = &a->ring[(a->start + a->count) % a->capacity];
        a->count++;
    }
    a->generation++;
    return e;
}

static void count_call(struct activity_counts *c, int64_t at_ms, long status)
{
    c->calls++;
    if (status >= 200 && status < 300)
        c->ok++;
    else if (status == 429) {
        c->throttled++;
        c->last_throttled_ms = at_ms;
    } else if (status >= 400 && status < 500)
        c->client++;
    else if (status >= 500)
        c->server++;
    else
        c->failed++;
}

void activity_add_call(struct activity *a, int64_t at_ms, const struct http_log_entry *le)
{
    if (a == NULL || le == NULL)
        return;
    count_call(&a->counts, at_ms, le->status);
    struct activity_entry *e = push(a);
    e->kind = ACTIVITY_CALL;
    e->at_ms = at_ms;
    e->method = xstrdup_or_null(le->method);
    e->url = xstrdup_or_null(le->url);
    e->status = le->status;
    e->err = le->err;
    e->latency_ms = le->elapsed_ms;
    e->attempt = le->attempt;
    e->retry_in_ms = le->retry_in_ms;
    e->request_id = xstrdup_or_null(le->request_id);
    e->client_request_id = xstrdup_or_null(le->client_request_id);
    e->correlation_id = xstrdup_or_null(le->correlation_id);
}

void activity_add_note(struct activity *a, int64_t at_ms, const char *text)
{
    if (a == NULL || text == NULL)
        return;
    struct activity_entry *e = push(a);
    e->kind = ACTIVITY_NOTE;
    e->at_ms = at_ms;
    e->text = xstrdup(text);
}

void activity_http_hook(const struct http_log_entry *e, void *arg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    activity_add_call(arg, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, e);
}

size_t activity_count(const struct activity *a)
{
    return a ? a->count : 0;
}

const struct activity_entry *activity_get(const struct activity *a, size_t i)
{
    if (a == NULL || i >= a->count)
        return NULL;
    return &a->ring[(a->start + i) % a->capacity];
}

uint64_t activity_dropped(const struct activity *a)
{
    return a ? a->dropped : 0;
}

uint64_t activity_generation(const struct activity *a)
{
    return a ? a->generation : 0;
}

struct activity_counts activity_counts(const struct activity *a)
{
    struct activity_counts none = {0};
    return a ? a->counts : none;
}

/* True when url's host (after "scheme://", up to ':' or '/') is host. */
static int url_has_host(const char *url, const char *host)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (p == NULL || host == NULL)
        return 0;
    p += 3;
    size_t n = strcspn(p, ":/");
    return n == strlen(host) && strncasecmp(p, host, n) == 0;
}

size_t activity_throttled_since(const struct activity *a, const char *host, int64_t since_ms)
{
    size_t n = 0;
    for (size_t i = a ? a->count : 0; i-- > 0;) {
        const struct activity_entry *e = activity_get(a, i);
        if (e->at_ms < since_ms)
            break;
        n += e->kind == ACTIVITY_CALL && e->status == 429 && url_has_host(e->url, host);
    }
    return n;
}
