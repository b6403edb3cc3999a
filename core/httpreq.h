/*
 * httpreq — what the transport (http.c) sends for a struct http_request.
 *
 * The checks a request passes before anything leaves: a known method, a URL
 * libcurl parses, https unless the host is loopback or the instance metadata
 * service (169.254.169.254), no credentials in the URL, no CR or LF in a
 * header. Then the header lines (Accept, x-ms-client-request-id with a fresh
 * UUID v4, x-ms-return-client-request-id, Content-Type, the caller's,
 * Authorization last) and a copy of the body.
 *
 * Ownership: struct httpreq is caller storage (httpreq_init fills it,
 * httpreq_cleanup frees it, also after a failed init). The body and the
 * header list are cleansed when freed: a token request's body holds a client
 * secret, the list holds the Authorization line. Lists are built here with
 * xmem's allocation policy, not curl_slist_append; libcurl only reads them.
 */
#ifndef TDECTL_HTTPREQ_H
#define TDECTL_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "http.h"

struct httpreq {
    char client_request_id[37]; /* x-ms-client-request-id, lower-case UUID v4 */
    char *log_url;              /* scheme://host[:port]/path: no query, no user info */
    char *host_key;             /* scheme://host:port, lower case: the per-host slot */
    bool local;                 /* loopback or IMDS: never through a proxy */
    bool plain;                 /* plain http (local hosts only) */
    bool fields;                /* a body is sent, maybe empty: POST, PUT, PATCH always */
    char *body;
    size_t body_len;
    struct curl_slist *headers;
};

/* NULL, or why the request cannot be sent as given (heap). */
char *httpreq_init(struct httpreq *r, const struct http_request *req);
void httpreq_cleanup(struct httpreq *r);

/* Appends line (taken) to a list libcurl reads. */
void httpreq_list_add(struct curl_slist **list, char *line);
/* Cleanses and frees a list made with httpreq_list_add. */
void httpreq_list_free(struct curl_slist *list);

#endif
