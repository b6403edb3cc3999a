#include "support_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "xmem.h"

struct reply {
    unsigned status;
    size_t nheaders;
    char *names[SUPPORT_SERVER_MAX_HEADERS], *values[SUPPORT_SERVER_MAX_HEADERS];
    char *body;
    size_t big;
    bool chunked;
    int delay_ms;
    int stall_ms;
    bool drop;
};

struct seen {
    char *method, *path, *body;
    size_t nheaders;
    char **names, **values;
};

struct support_server {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stopping;
    struct reply **script;
    size_t nscript, next, script_cap;
    struct reply *fallback;
    struct seen **seen;
    size_t nseen, seen_cap;
    unsigned active, peak, connections;
};

/* The body of one request as it arrives. */
struct pending {
    char *body;
    size_t len;
    bool answered; /* no longer counted as in progress */
};

static struct reply *reply_copy(const struct support_server_reply *r)
{
    struct reply *c = xcalloc(1, sizeof *c);
    c->status = r->status ? r->status : 200;
    for (size_t i = 0; i < SUPPORT_SERVER_MAX_HEADERS && r->headers[i].name; i++) {
        c->names[i] = xstrdup(r->headers[i].name);
        c->values[i] = xstrdup(r->headers[i].value ? r->headers[i].value : "");
        c->nheaders = i + 1;
    }
    c->body = xstrdup(r->body ? r->body : "");
    c->big = r->big;
    c->chunked = r->chunked;
    c->delay_ms = r->delay_ms;
    c->stall_ms = r->stall_ms;
    c->drop = r->drop;
    return c;
}

static void reply_free(struct reply *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->body);
    free(r);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct seen *q = cls;
    q->names = xrealloc(q->names, q->nheaders + 1, sizeof *q->names);
    q->values = xrealloc(q->values, q->nheaders + 1, sizeof *q->values);
    q->names[q->nheaders] = xstrdup(key);
    q->values[q->nheaders] = xstrdup(value ? value : "");
    q->nheaders++;
    return MHD_YES;
}

/* Under s->mu. */
static void record(struct support_server *s, struct MHD_Connection *c, const char *method,
                   const char *url, struct pending *p)
{
    struct seen *q = xcalloc(1, sizeof *q);
    q->method = xstrdup(method);
    q->path = xstrdup(url);
    q->body = p->body ? xstrndup(p->body, p->len) : xstrdup("");
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, q);
    if (s->nseen == s->seen_cap) {
        s->seen_cap = s->seen_cap ? s->seen_cap * 2 : 16;
        s->seen = xrealloc(s->seen, s->seen_cap, sizeof *s->seen);
    }
    s->seen[s->nseen++] = q;
}

/* Under s->mu: waits ms unless the server stops. */
static void delay(struct support_server *s, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->mu, &until) != ETIMEDOUT)
        ;
}

static ssize_t big_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    size_t total = *(size_t *)cls;
    if (pos >= total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = total - (size_t)pos < max ? total - (size_t)pos : max;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

/* A big body sent in two halves with a wait between (on the connection's own thread). */
struct stalled {
    struct support_server *s;
    size_t total;
    int stall_ms;
    bool waited;
};

static ssize_t stalled_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stalled *t = cls;
    size_t half = t->total / 2;
    if (pos >= t->total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (pos >= half && !t->waited) { /* the first half is out */
        t->waited = true;
        pthread_mutex_lock(&t->s->mu);
        delay(t->s, t->stall_ms);
        pthread_mutex_unlock(&t->s->mu);
    }
    size_t end = pos < half ? half : t->total;
    size_t n = end - (size_t)pos < max ? end - (size_t)pos : max;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

/* Under s->mu. */
static struct MHD_Response *make_response(struct support_server *s, const struct reply *r)
{
    struct MHD_Response *resp;
    if (r->big && r->stall_ms > 0) {
        struct stalled *t = xcalloc(1, sizeof *t);
        *t = (struct stalled){s, r->big, r->stall_ms, false};
        resp = MHD_create_response_from_callback(r->chunked ? MHD_SIZE_UNKNOWN : r->big, 4096,
                                                 stalled_read, t, free);
    } else if (r->big && r->chunked) {
        size_t *total = xmalloc(sizeof *total);
        *total = r->big;
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, big_read, total, free);
    } else if (r->big) {
        char *buf = xmalloc(r->big);
        memset(buf, 'x', r->big);
        resp = MHD_create_response_from_buffer(r->big, buf, MHD_RESPMEM_MUST_FREE);
    } else {
        resp = MHD_create_response_from_buffer(strlen(r->body), r->body, MHD_RESPMEM_MUST_COPY);
    }
    for (size_t i = 0; resp && i < r->nheaders; i++)
        MHD_add_response_header(resp, r->names[i], r->values[i]);
    return resp;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    struct support_server *s = cls;
    struct pending *p = *state;
    if (p == NULL) {
        *state = xcalloc(1, sizeof *p);
        pthread_mutex_lock(&s->mu);
        if (++s->active > s->peak)
            s->peak = s->active;
        pthread_mutex_unlock(&s->mu);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        p->body = xrealloc(p->body, p->len + *upload_size, 1);
        memcpy(p->body + p->len, upload, *upload_size);
        p->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->mu);
    record(s, c, method, url, p);
    const struct reply *r = s->next < s->nscript ? s->script[s->next++] : s->fallback;
    if (r->delay_ms > 0)
        delay(s, r->delay_ms);
    s->active--;
    p->answered = true;
    bool drop = r->drop || s->stopping;
    struct MHD_Response *resp = drop ? NULL : make_response(s, r);
    unsigned status = r->status;
    pthread_mutex_unlock(&s->mu);
    if (resp == NULL)
        return MHD_NO; /* closes the connection without an answer */
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    struct support_server *s = cls;
    struct pending *p = *state;
    if (p) {
        if (!p->answered) { /* the client went away first */
            pthread_mutex_lock(&s->mu);
            s->active--;
            pthread_mutex_unlock(&s->mu);
        }
        free(p->body);
        free(p);
        *state = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct support_server *s = cls;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&s->mu);
    s->connections++;
    pthread_mutex_unlock(&s->mu);
}

static void quiet(void *cls, const char *fmt, va_list ap)
{
}

struct support_server *support_server_start(const char *cert_pem, const char *key_pem)
{
    struct support_server *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->fallback = reply_copy(&(struct support_server_reply){.body = "{}"});

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (cert_pem)
        flags |= MHD_USE_TLS;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_EXTERNAL_LOGGER, quiet, s, MHD_OPTION_ARRAY,
        cert_pem ? tls : tls + 2, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (info == NULL) {
        support_server_stop(s);
        return NULL;
    }
    s->port = info->port;
    return s;
}

static void seen_free(struct seen *q)
{
    for (size_t i = 0; i < q->nheaders; i++) {
        free(q->names[i]);
        free(q->values[i]);
    }
    free(q->names);
    free(q->values);
    free(q->method);
    free(q->path);
    free(q->body);
    free(q);
}

void support_server_stop(struct support_server *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    for (size_t i = 0; i < s->nscript; i++)
        reply_free(s->script[i]);
    free(s->script);
    reply_free(s->fallback);
    for (size_t i = 0; i < s->nseen; i++)
        seen_free(s->seen[i]);
    free(s->seen);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int support_server_port(const struct support_server *s)
{
    return s->port;
}

void support_server_push(struct support_server *s, const struct support_server_reply *r)
{
    struct reply *c = reply_copy(r);
    pthread_mutex_lock(&s->mu);
    if (s->nscript == s->script_cap) {
        s->script_cap = s->script_cap ? s->script_cap * 2 : 16;
        s->script = xrealloc(s->script, s->script_cap, sizeof *s->script);
    }
    s->script[s->nscript++] = c;
    pthread_mutex_unlock(&s->mu);
}

void support_server_set_default(struct support_server *s, const struct support_server_reply *r)
{
    struct reply *c = reply_copy(r);
    pthread_mutex_lock(&s->mu);
    reply_free(s->fallback);
    s->fallback = c;
    pthread_mutex_unlock(&s->mu);
}

size_t support_server_count(struct support_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->nseen;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static struct seen *seen_at(struct support_server *s, size_t i)
{
    pthread_mutex_lock(&s->mu);
    struct seen *q = i < s->nseen ? s->seen[i] : NULL;
    pthread_mutex_unlock(&s->mu);
    return q; /* never changed once recorded */
}

const char *support_server_method(struct support_server *s, size_t i)
{
    struct seen *q = seen_at(s, i);
    return q ? q->method : NULL;
}

const char *support_server_path(struct support_server *s, size_t i)
{
    struct seen *q = seen_at(s, i);
    return q ? q->path : NULL;
}

const char *support_server_body(struct support_server *s, size_t i)
{
    struct seen *q = seen_at(s, i);
    return q ? q->body : NULL;
}

const char *support_server_header(struct support_server *s, size_t i, const char *name)
{
    struct seen *q = seen_at(s, i);
    for (size_t k = 0; q && k < q->nheaders; k++) {
        if (strcasecmp(q->names[k], name) == 0)
            return q->values[k];
    }
    return NULL;
}

unsigned support_server_peak(struct support_server *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->peak;
    pthread_mutex_unlock(&s->mu);
    return n;
}

unsigned support_server_connections(struct support_server *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->connections;
    pthread_mutex_unlock(&s->mu);
    return n;
}
