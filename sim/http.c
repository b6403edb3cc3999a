#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "simclock.h"
#include "slog.h"
#include "xmem.h"

#define MAX_DAEMONS 4

struct http_server {
    struct http_config config;
    struct MHD_Daemon *daemons[MAX_DAEMONS];
    int ndaemons;
    int port;
};

/* Per-request state kept by libmicrohttpd between calls of the access handler. */
struct pending {
    char *body;
    size_t len, cap;
    bool too_large;
    int64_t started_ms;
};

void http_uuid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        abort();
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

const char *http_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
{
    if (resp->nheaders >= HTTP_MAX_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    resp->names[resp->nheaders] = xstrdup(name);
    resp->values[resp->nheaders] = xvasprintf(fmt, ap);
    resp->nheaders++;
    va_end(ap);
}

void http_resp_json(struct http_resp *resp, int status, cJSON *body)
{
    free(resp->body);
    resp->status = status;
    resp->body = cJSON_PrintUnformatted(body);
    resp->len = strlen(resp->body);
    resp->content_type = "application/json; charset=utf-8";
    cJSON_Delete(body);
}

void http_resp_bytes(struct http_resp *resp, int status, const char *content_type,
                     const char *bytes, size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->body = xmalloc(len + 1);
    memcpy(resp->body, bytes, len);
    resp->body[len] = '\0';
    resp->len = len;
    resp->content_type = content_type;
}

void http_resp_note(struct http_resp *resp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *add = xvasprintf(fmt, ap);
    va_end(ap);
    if (resp->note) {
        char *joined = xasprintf("%s %s", resp->note, add);
        free(resp->note);
        free(add);
        add = joined;
    }
    resp->note = add;
}

void http_resp_cleanup(struct http_resp *resp)
{
    free(resp->body);
    for (int i = 0; i < resp->nheaders; i++) {
        free(resp->names[i]);
        free(resp->values[i]);
    }
    free(resp->note);
    memset(resp, 0, sizeof *resp);
}

/* Host header -> lower-case host and port; bracketed IPv6 literals keep their brackets off. */
static void parse_host(const char *value, int default_port, struct http_req *req)
{
    req->port = default_port;
    req->host[0] = '\0';
    if (value == NULL)
        return;
    const char *end = value + strlen(value);
    const char *colon = NULL;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (close == NULL)
            return;
        colon = close[1] == ':' ? close + 1 : NULL;
        value++;
        end = close;
    } else {
        colon = strrchr(value, ':');
        if (colon)
            end = colon;
    }
    if (colon) {
        char *stop;
        long port = strtol(colon + 1, &stop, 10);
        if (*stop == '\0' && port > 0 && port < 65536)
            req->port = (int)port;
    }
    size_t n = (size_t)(end - value);
    if (n >= sizeof req->host)
        n = sizeof req->host - 1;
    for (size_t i = 0; i < n; i++)
        req->host[i] = (char)tolower((unsigned char)value[i]);
    req->host[n] = '\0';
}

static void fill_client(struct MHD_Connection *conn, struct http_req *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(req->client_addr, sizeof req->client_addr, "unknown");
    if (info == NULL || info->client_addr == NULL)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        req->client_family = AF_INET;
        memcpy(req->client_bin, &in->sin_addr, 4);
        inet_ntop(AF_INET, &in->sin_addr, req->client_addr, sizeof req->client_addr);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        req->client_family = AF_INET6;
        memcpy(req->client_bin, &in6->sin6_addr, 16);
        inet_ntop(AF_INET6, &in6->sin6_addr, req->client_addr, sizeof req->client_addr);
    }
}

static bool collect_body(struct pending *p, size_t max_body, const char *data, size_t size)
{
    if (p->too_large || p->len + size > max_body) {
        p->too_large = true;
        return true;
    }
    if (p->len + size + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 1024;
        while (cap < p->len + size + 1)
            cap *= 2;
        p->body = xrealloc(p->body, cap, 1);
        p->cap = cap;
    }
    memcpy(p->body + p->len, data, size);
    p->len += size;
    p->body[p->len] = '\0';
    return true;
}

/* A body sent in pieces: half then a broken connection (reset), or slowly (slow_bps). */
struct stream {
    char *body;
    size_t len;
    bool reset;
    long bps;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    size_t end = st->reset ? st->len / 2 : st->len;
    if (pos >= end)
        return st->reset ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = end - (size_t)pos;
    if (st->bps > 0) {
        /* A tenth of a second's worth at a time; this connection's own thread sleeps. */
        size_t chunk = (size_t)(st->bps / 10 > 0 ? st->bps / 10 : 1);
        if (n > chunk)
            n = chunk;
        struct timespec pause = {0, 100 * 1000 * 1000};
        if (st->bps < 10)
            pause = (struct timespec){0, (long)(1000000000L / st->bps)};
        nanosleep(&pause, NULL);
    }
    if (n > max)
        n = max;
    memcpy(buf, st->body + pos, n);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    free(st->body);
    free(st);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_resp *resp)
{
    struct MHD_Response *r;
    if (resp->len > 0 && (resp->reset || resp->slow_bps > 0)) {
        struct stream *st = xcalloc(1, sizeof *st);
        *st = (struct stream){resp->body, resp->len, resp->reset, resp->slow_bps};
        resp->body = NULL;
        r = MHD_create_response_from_callback(resp->len, 4096, stream_read, st, stream_free);
    } else if (resp->len > 0) {
        r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
        resp->body = NULL; /* now libmicrohttpd's */
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL)
        return MHD_NO;
    if (resp->content_type && resp->len > 0)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->names[i], resp->values[i]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    struct http_server *server = cls;
    struct pending *p = *state;
    if (p == NULL) {
        p = xcalloc(1, sizeof *p);
        p->started_ms = simclock_mono_ms();
        *state = p;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        collect_body(p, server->config.max_body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }

    struct http_req req = {.conn = conn, .method = method, .path = url};
    parse_host(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
               server->port, &req);
    fill_client(conn, &req);
    http_uuid(req.request_id);
    req.body = p->body;
    req.body_len = p->len;
    req.body_too_large = p->too_large;

    struct http_resp resp = {.status = 500};
    server->config.handler(server->config.ctx, &req, &resp);

    if (server->config.log_requests)
        slog(SLOG_INFO, "%s %d %s %s%s %lldms%s%s", server->config.name, resp.status, method,
             req.host, url, (long long)(simclock_mono_ms() - p->started_ms), resp.note ? " " : "",
             resp.note ? resp.note : "");
    enum MHD_Result ret = resp.status == 0 ? MHD_NO : send_response(conn, &resp);
    http_resp_cleanup(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode code)
{
    struct pending *p = *state;
    if (p) {
        free(p->body);
        free(p);
        *state = NULL;
    }
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    slog(SLOG_DEBUG, "libmicrohttpd: %s", line);
}

static struct MHD_Daemon *start_one(struct http_server *server, const char *bind, int port,
                                    char **cause)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, bind, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        xcause(cause, "cannot listen on '%s': not an IPv4 or IPv6 address", bind);
        return NULL;
    }
    const struct http_config *c = &server->config;
    if (c->cert_chain_pem)
        flags |= MHD_USE_TLS;

    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)c->cert_chain_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)c->key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, server, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_CONNECTION_LIMIT, c->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error,
        NULL, MHD_OPTION_ARRAY, c->cert_chain_pem ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    if (d == NULL)
        xcause(cause, "cannot listen on %s port %d (in use, or no such address?)", bind, port);
    return d;
}

struct http_server *http_server_start(const struct http_config *config, char **cause)
{
    static const char *const loopback[] = {"127.0.0.1", "::1"};
    struct http_server *server = xcalloc(1, sizeof *server);
    server->config = *config;
    if (server->config.max_connections == 0)
        server->config.max_connections = 64;
    const char *const *binds = config->binds ? config->binds : loopback;
    size_t nbinds = config->binds ? config->nbinds : 2;
    if (nbinds > MAX_DAEMONS)
        nbinds = MAX_DAEMONS;

    int port = config->port;
    for (size_t i = 0; i < nbinds; i++) {
        char *why = NULL;
        struct MHD_Daemon *d = start_one(server, binds[i], port, &why);
        if (d == NULL) {
            /* A host without IPv6 still serves on IPv4 when the default pair is used. */
            if (config->binds == NULL && i > 0) {
                slog(SLOG_WARN, "%s: %s; continuing without it", config->name, why);
                free(why);
                continue;
            }
            if (cause)
                *cause = why;
            else
                free(why);
            http_server_stop(server);
            return NULL;
        }
        if (port == 0) {
            const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
            port = info ? info->port : 0;
        }
        server->daemons[server->ndaemons++] = d;
    }
    server->port = port;
    return server;
}

int http_server_port(const struct http_server *server)
{
    return server->port;
}

void http_server_stop(struct http_server *server)
{
    if (server == NULL)
        return;
    for (int i = 0; i < server->ndaemons; i++)
        MHD_stop_daemon(server->daemons[i]);
    free(server);
}
