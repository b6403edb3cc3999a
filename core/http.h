/*
 * http — the transport: every request tdectl sends to Azure goes through here.
 *
 * libcurl multi on the one loop; TLS always verified (system CAs, or a CA file
 * for azsim); HTTP/2 and keep-alive where offered; connect and total timeouts;
 * a cap on the response size and a memory budget for all the answers being
 * read at once; a limit of concurrent transfers per host (one
 * connection per HTTP/1.1 host, per_host streams on an HTTP/2 one; the
 * rest wait in a FIFO queue, and waiting costs them neither a retry nor their
 * timeout); retries as the Azure SDKs do them (retry.h), waited on loop timers
 * and capped so an on-call console never hangs; an x-ms-client-request-id on
 * every request (the same for all its attempts); the read-only gate (rogate.h)
 * checked before anything is sent, on every attempt. https only, except plain
 * http to loopback and the instance metadata service; no redirects followed;
 * a request that may act (not idempotent) gets a fresh connection, because
 * libcurl silently resends on a reused connection found dead.
 *
 * Lifetimes: http_send copies what it needs from the request. The result given
 * to the callback is the transport's and lives until the callback returns
 * (take what you keep, e.g. with http_result_take_body). The callback always
 * runs later, from the loop, never inside http_send: an invalid request ends
 * with CORE_ERR_CONFIG and a refused one with CORE_ERR_REFUSED the same way.
 * http_send returns NULL only when h or req is NULL. A call handle is invalid
 * once its callback runs; a callback may send, cancel other calls, or destroy
 * the transport. A cancelled call's callback never runs. http_destroy cancels
 * every call. One transport per loop (it takes the loop's done hook);
 * destroy it before the loop.
 *
 * Memory: the bodies being read by all calls together hold at most
 * max_buffered bytes (their buffers' allocated size; raised to max_response
 * when smaller, so a lone answer under the cap always fits). A body whose
 * growth would pass it fails with CORE_ERR_LIMIT ("the answers being read
 * together exceed ..."), and, unlike an answer over max_response, is retried
 * as a transfer broken after sending is (idempotent requests only, within the
 * retry limits): it fits once the others are done. A body counts until its
 * result is handed to the callback (nothing else is read while that runs).
 *
 * Secrets: the Authorization value and request bodies are never logged; the
 * command log (http_set_log) gets method, URL without query, status, ids,
 * attempt and timing only.
 */
#ifndef TDECTL_HTTP_H
#define TDECTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct loop;
struct http;
struct http_call;

struct http_config {
    const char *ca_file;           /* NULL: the system's CAs */
    long connect_timeout_ms;       /* 0: 5000 */
    long timeout_ms;               /* one attempt, whole transfer; 0: 30000 */
    size_t max_response;           /* bytes; 0: 16 MiB; larger answers fail with CORE_ERR_LIMIT */
    size_t max_buffered;           /* bytes of all bodies being read at once; 0: 64 MiB (below) */
    unsigned per_host;             /* concurrent requests per HTTP/2 host (streams); 0: 6 */
    unsigned connections_per_host; /* connections, so requests, per HTTP/1.1 host; 0: 1 */
    unsigned max_attempts;         /* including the first; 0: 4 */
    int64_t max_retry_wait_ms;     /* longest single wait before a retry; 0: 8000 */
    int64_t retry_base_ms;         /* first backoff, doubled each retry; 0: 800 */
    int64_t retry_budget_ms;       /* retries stop once a request has taken this long; 0: 30000 */
    bool read_only;                /* the gate: refuse what could change Azure */
    const char *const *resolve;    /* CURLOPT_RESOLVE entries ("host:port:addr"), NULL-terminated */
    const char *user_agent;        /* NULL: "tdectl/VERSION" */
};

struct http_header {
    const char *name;
    const char *value;
};

struct http_request {
    const char *method; /* "GET", "PUT", "POST", "PATCH", "DELETE", "HEAD" */
    const char *url;
    const char *body; /* may be NULL; copied */
    size_t body_len;
    const char *content_type;  /* default "application/json" when there is a body */
    const char *authorization; /* whole header value ("Bearer ..."); secret */
    const struct http_header *headers;
    size_t nheaders;
    /*
     * A POST or PATCH whose repetition is harmless (token requests, wrap/unwrap,
     * validate): retried like a GET. Anything else is retried only when the
     * service says so (Retry-After) or nothing was sent.
     */
    bool idempotent;
    /*
     * A new connection for this request even when one to the host is open
     * (CURLOPT_FRESH_CONNECT), so its timing shows name lookup, connect and
     * TLS handshake: `tdectl doctor`'s probes. The DNS cache and TLS session
     * cache are still shared, so those phases may be short.
     */
    bool fresh_connection;
};

/*
 * libcurl's timing of the last attempt (CURLINFO_NAMELOOKUP_TIME_T,
 * CONNECT_TIME_T, APPCONNECT_TIME_T, TOTAL_TIME_T): microseconds from the
 * attempt's start to the end of each phase, cumulative as libcurl counts
 * them (connect includes the lookup, tls the connect). 0 for a phase a
 * reused connection skipped or a plain-http transfer has none of (tls); -1
 * when no transfer ran.
 */
struct http_timing {
    int64_t dns_us;
    int64_t connect_us;
    int64_t tls_us;
    int64_t total_us;
};

struct http_result {
    enum core_err err; /* CORE_OK when a response arrived, whatever its status */
    char *cause;       /* why, when err != CORE_OK */
    long status;       /* 0 when no response arrived */
    char *body;        /* NUL-terminated, never NULL */
    size_t len;
    /* Response headers tdectl uses (NULL when absent). */
    char *request_id;        /* x-ms-request-id */
    char *correlation_id;    /* x-ms-correlation-request-id */
    char *client_request_id; /* the one sent */
    char *www_authenticate;
    char *location;
    char *azure_async_operation;
    char *content_type;
    char *date;             /* Date (the server's clock, RFC 7231 text) */
    int64_t retry_after_ms; /* Retry-After / retry-after-ms / x-ms-retry-after-ms; -1 absent */
    long ratelimit_reads;   /* x-ms-ratelimit-remaining-subscription-reads; -1 absent */
    long ratelimit_writes;  /* x-ms-ratelimit-remaining-subscription-writes; -1 absent */
    unsigned attempts;      /* how many times it was sent */
    bool unanswered;    /* the last attempt went out and no answer came: it may have been done */
    int64_t elapsed_ms; /* from http_send to the end, waits included */
    int64_t attempt_ms; /* the last attempt alone (no queue, no retry waits); 0: none */
    struct http_timing timing; /* of the last attempt */
};

typedef void (*http_done_fn)(struct http_result *res, void *arg);

/* What the command log sees of each attempt. */
struct http_log_entry {
    const char *method;
    const char *url; /* without the query string */
    long status;
    enum core_err err;
    const char *request_id;
    const char *client_request_id;
    const char *correlation_id;
    unsigned attempt;    /* 1-based; 0: ended before any transfer (refused, invalid) */
    int64_t elapsed_ms;  /* this attempt */
    int64_t retry_in_ms; /* -1: final; else the wait before the next attempt */
};
typedef void (*http_log_fn)(const struct http_log_entry *entry, void *arg);

struct http_stats {
    uint64_t requests; /* http_send calls */
    uint64_t attempts; /* transfers started (requests + retries) */
    uint64_t retries;
    uint64_t refused;  /* stopped by the read-only gate */
    uint64_t failures; /* ended without an answer (refusals not included) */
    uint64_t bytes_in;
    size_t buffered;      /* bytes held now for bodies being read (their buffers' size) */
    size_t buffered_peak; /* the most ever held at once; never above max_buffered */
};

struct http *http_create(struct loop *loop, const struct http_config *config, char **cause);
void http_destroy(struct http *h);

struct http_call *http_send(struct http *h, const struct http_request *req, http_done_fn done,
                            void *arg);
void http_cancel(struct http_call *call);

/* Takes the body out of a result (the caller frees it); the result then holds "". */
char *http_result_take_body(struct http_result *res, size_t *len);

void http_set_read_only(struct http *h, bool read_only);
bool http_read_only(const struct http *h);
/* The log hook must not cancel calls nor destroy the transport. */
void http_set_log(struct http *h, http_log_fn fn, void *arg);
struct http_stats http_stats(const struct http *h);
/* Transfers in flight or queued. */
size_t http_pending(const struct http *h);

#endif
