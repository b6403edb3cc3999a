/*
 * httpresp — reading one answer for the transport (http.c): the response
 * headers tdectl keeps, the body under a size cap, and what a libcurl result
 * code means (which core_err, whether the request may have reached the
 * service, whether another attempt can help).
 *
 * Ownership: struct httpresp is caller storage (init/cleanup); it owns every
 * string of the http_result it fills, which http.c lends to its callback.
 * Hostile input: header values lose their control characters (no terminal
 * escapes reach a screen); a declared Content-Length, a body or a header
 * block over the cap aborts the transfer (over_limit, CORE_ERR_LIMIT).
 *
 * Memory: every response of one transport may share a budget (struct
 * httpresp_budget, the transport's): a response charges it the allocated
 * size of its body buffer as that grows, and gives the charge back when the
 * body is handed over (httpresp_hand_over, httpresp_take_body), when an
 * attempt is forgotten (httpresp_reset) and at cleanup. A growth the budget
 * cannot take aborts the transfer (over_budget): the answers being read
 * together, not this one alone, are too large. The budget is used from the
 * loop's thread only.
 */
#ifndef TDECTL_HTTPRESP_H
#define TDECTL_HTTPRESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "http.h"

struct httpresp_budget {
    size_t used; /* bytes charged now by the bodies being read */
    size_t peak; /* most ever charged at once */
    size_t max;  /* a growth past it is refused */
};

struct httpresp {
    struct http_result res;
    struct httpresp_budget *budget; /* NULL: no shared budget; set after init */
    size_t charged;                 /* what this response has charged the budget */
    size_t max;                     /* cap on the header block and on the body */
    size_t body_cap;                /* allocated size of res.body */
    size_t header_bytes;            /* of this attempt */
    uint64_t bytes_in;              /* received since the transport last took the count */
    bool over_limit;                /* a callback refused the answer for its size */
    bool over_budget;               /* a callback refused the answer for the shared budget */
    int64_t retry_after_s_ms;       /* Retry-After, in ms; -1 absent */
    int64_t retry_after_ms;         /* retry-after-ms / x-ms-retry-after-ms; -1 absent */
};

/* client_request_id is taken (freed by httpresp_cleanup). */
void httpresp_init(struct httpresp *r, size_t max, char *client_request_id);
void httpresp_cleanup(struct httpresp *r);
/* http_result_take_body: res must be the res member of a struct httpresp. */
char *httpresp_take_body(struct http_result *res, size_t *len);
/* The body leaves the budget (the result goes to its reader); the budget is not touched again. */
void httpresp_hand_over(struct httpresp *r);
/* Forgets an attempt's answer and frees its body (the client request id stays). */
void httpresp_reset(struct httpresp *r);
/* Sets res.retry_after_ms from the headers seen (the ms forms win). */
void httpresp_settle(struct httpresp *r);

/* libcurl's CURLOPT_HEADERFUNCTION and CURLOPT_WRITEFUNCTION; the data pointer is the httpresp. */
size_t httpresp_on_header(char *data, size_t size, size_t n, void *arg);
size_t httpresp_on_body(char *data, size_t size, size_t n, void *arg);

/*
 * What a failed transfer means. *sent: the request may have reached the
 * service (a timeout's answer depends on the timings: the caller decides);
 * *healable: another attempt may succeed (false for untrusted certificates,
 * size limits and unusable URLs).
 */
enum core_err httpresp_map_curl(CURLcode rc, bool *sent, bool *healable);

#endif
