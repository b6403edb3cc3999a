/*
 * support_server — a scriptable HTTP(S) server inside a test process
 * (libmicrohttpd, one thread per connection, 127.0.0.1, an ephemeral port).
 *
 * Each request takes the next scripted reply (support_server_push), or the
 * default one when the script is empty: status, headers, body (or a large
 * generated one, with or without Content-Length, at once or stalled halfway:
 * several answers can then be mid-body together), a delay, or a dropped
 * connection. The server records what it saw of each request (method, path,
 * headers, body), the peak number of requests in progress at once and the
 * number of connections opened. Strings it returns stay valid until
 * support_server_stop. Stopping interrupts delays.
 */
#ifndef TDECTL_SUPPORT_SERVER_H
#define TDECTL_SUPPORT_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#define SUPPORT_SERVER_MAX_HEADERS 8

struct support_server;

struct support_server_reply {
    unsigned status; /* 0: 200 */
    struct {
        const char *name, *value;
    } headers[SUPPORT_SERVER_MAX_HEADERS]; /* until a NULL name */
    const char *body;                      /* NULL: empty */
    size_t big;                            /* > 0: a body of this many 'x' instead */
    bool chunked;                          /* send the body without Content-Length */
    int delay_ms;                          /* wait before answering */
    int stall_ms;                          /* with big: half the body, this wait, the rest */
    bool drop;                             /* close the connection without answering */
};

/* cert_pem and key_pem NULL: plain http. NULL when the server cannot start. */
struct support_server *support_server_start(const char *cert_pem, const char *key_pem);
void support_server_stop(struct support_server *s);
int support_server_port(const struct support_server *s);

/* Appends a reply to the script (copied). */
void support_server_push(struct support_server *s, const struct support_server_reply *r);
/* The reply when the script is empty (copied); initially 200 with body "{}". */
void support_server_set_default(struct support_server *s, const struct support_server_reply *r);

/* Requests seen so far. */
size_t support_server_count(struct support_server *s);
/* What request i contained; NULL when there is no request i (or no such header). */
const char *support_server_method(struct support_server *s, size_t i);
const char *support_server_path(struct support_server *s, size_t i);
const char *support_server_body(struct support_server *s, size_t i);
const char *support_server_header(struct support_server *s, size_t i, const char *name);
/* Most requests in progress at once. */
unsigned support_server_peak(struct support_server *s);
/* Connections opened. */
unsigned support_server_connections(struct support_server *s);

#endif
