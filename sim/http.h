/*
 * http — azsim's HTTP(S) front, on libmicrohttpd.
 *
 * A server listens on the loopback addresses (127.0.0.1 and ::1 by default;
 * both on the same port, so names under ".localhost" work whichever family a
 * client resolves first), with one thread per connection (so a delayed or
 * stalled answer never holds up another client), up to a connection limit.
 * For each request it
 * collects the body up to a cap, builds a struct http_req, calls the handler,
 * and sends the struct http_resp it filled. A body over the cap is drained
 * and the handler sees body_too_large (it answers 413 in its service's error
 * shape). Each request is logged in one line after it is answered.
 *
 * TLS: when a certificate chain and key are given the server speaks HTTPS
 * only (GnuTLS inside libmicrohttpd); without them it is plain HTTP (only
 * the managed-identity endpoint, as IMDS is plain HTTP in Azure too).
 *
 * Lifetimes: an http_req and everything it points to live until the handler
 * returns. The handler owns nothing in it.
 */
#ifndef AZSIM_HTTP_H
#define AZSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct MHD_Connection;

struct http_req {
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* decoded path, query removed */
    char host[256];   /* Host header, lower-case, port removed */
    int port;         /* port of the Host header, or the listening port */
    char client_addr[64];
    int client_family; /* AF_INET / AF_INET6 */
    unsigned char client_bin[16];
    char request_id[37]; /* the x-ms-request-id we answer with */
    char *body;          /* NUL-terminated, may be NULL when empty */
    size_t body_len;
    bool body_too_large;
};

#define HTTP_MAX_HEADERS 24

struct http_resp {
    int status; /* 0: drop the connection without answering (an unreachable endpoint) */
    char *body; /* heap, owned; sent as is */
    size_t len;
    const char *content_type;
    char *names[HTTP_MAX_HEADERS];
    char *values[HTTP_MAX_HEADERS];
    int nheaders;
    char *note;    /* extra text for the request log line (caller, error code); heap */
    bool reset;    /* send half of the body, then break the connection */
    long slow_bps; /* send the body at this many bytes per second (0: at once) */
};

const char *http_header(const struct http_req *req, const char *name);
const char *http_query(const struct http_req *req, const char *name);

void http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Serialises body (consumed) as the response with "application/json; charset=utf-8". */
void http_resp_json(struct http_resp *resp, int status, cJSON *body);
/* Body of the given bytes (copied) and content type (static string). */
void http_resp_bytes(struct http_resp *resp, int status, const char *content_type,
                     const char *bytes, size_t len);
void http_resp_note(struct http_resp *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees what a response holds and zeroes it. */
void http_resp_cleanup(struct http_resp *resp);

typedef void (*http_handler)(void *ctx, const struct http_req *req, struct http_resp *resp);

struct http_config {
    const char *name;         /* for the log: "https", "imds" */
    const char *const *binds; /* addresses to listen on; NULL = 127.0.0.1 and ::1 */
    size_t nbinds;
    int port;                   /* 0 = pick one */
    const char *cert_chain_pem; /* NULL = plain HTTP */
    const char *key_pem;
    unsigned max_connections; /* each is a thread */
    size_t max_body;
    http_handler handler;
    void *ctx;
    bool log_requests;
};

struct http_server;

struct http_server *http_server_start(const struct http_config *config, char **cause);
int http_server_port(const struct http_server *server);
void http_server_stop(struct http_server *server);

/* A random UUID v4 in lower case (out: 37 bytes). */
void http_uuid(char out[37]);

#endif
