/*
 * azure — one request to Azure, authenticated: the pipeline every typed client
 * (armclient, kvclient) sends through.
 *
 * ARM: a token for the cloud's ARM scope, sent as Bearer; on 401 the token is
 * dropped and the request sent once more with a fresh one.
 *
 * Key Vault: the challenge flow of reference/azure-protocol.md 2.2. The first
 * request to a vault authority (host[:port]) goes without a token and without
 * its body; the 401 challenge names the tenant and the scope, which must fit
 * the vault's host (else nothing is sent with a token: CORE_ERR_REFUSED); then
 * the token is fetched and the request sent with its body. The challenge is
 * cached per authority; a later 401 repeats it once (the vault may have moved
 * tenant), and a claims challenge is passed to the token provider.
 *
 * Pages and long-running operations: azure_get_all follows nextLink verbatim
 * (bounded), azure_lro starts a PUT/POST/DELETE and polls
 * Azure-AsyncOperation or Location honouring Retry-After, then reads the
 * result the way Azure's SDKs settle one.
 *
 * Lifetimes: callbacks run from the loop; the reply and everything it points to
 * live until the callback returns. A cancelled call never calls back.
 */
#ifndef TDECTL_AZURE_H
#define TDECTL_AZURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct loop;
struct http;
struct auth;
struct cloud;
struct azure;
struct az_call;

enum az_service { AZ_ARM, AZ_VAULT };

/* How a call ended: what the front ends show and the model stores. */
struct az_status {
    enum core_err err;      /* CORE_OK for 2xx */
    long status;            /* HTTP status, 0 when none arrived */
    const char *error;      /* "Code (Inner): message" or the transport's cause; NULL when ok */
    const char *code;       /* the service's error code ("KeyNotFound"), NULL when none */
    const char *inner;      /* Key Vault innererror code, NULL when none */
    const char *request_id; /* x-ms-request-id */
    const char *correlation_id;
    int64_t elapsed_ms;     /* the whole call: token, queue, retries */
    int64_t attempt_ms;     /* the last HTTP attempt alone: the path's own latency */
    bool sent;              /* a request reached the transport (else no token, bad argument) */
    bool unanswered;        /* the last attempt went out, no answer came: it may have been done */
    int64_t retry_after_ms; /* -1 absent */
    long ratelimit_reads;   /* ARM's x-ms-ratelimit-remaining-subscription-reads; -1 absent */
};

struct az_reply {
    struct az_status st;
    const char *body; /* NUL-terminated, "" when none */
    size_t len;
    const char *location;
    const char *azure_async_operation;
};

typedef void (*az_fn)(const struct az_reply *reply, void *arg);

struct azure *azure_create(struct loop *loop, struct http *http, struct auth *auth,
                           const struct cloud *cloud, const char *tenant);
void azure_destroy(struct azure *az);

const struct cloud *azure_cloud(const struct azure *az);

/*
 * Do two https URLs name the same host[:port] (case-insensitive, ":443"
 * dropped)? False when either is not https or carries credentials ("user@").
 * The check a nextLink and a polling URL pass before they are followed.
 */
bool azure_same_authority(const char *a_url, const char *b_url);

/*
 * One request. body may be NULL. idempotent marks a POST whose repetition is
 * harmless (see http.h).
 */
struct az_call *azure_send(struct azure *az, enum az_service service, const char *method,
                           const char *url, const char *body, bool idempotent, az_fn fn, void *arg);
void azure_cancel(struct az_call *call);
/*
 * Runs fn(arg) if the call is cancelled (azure_cancel, azure_destroy) before it
 * calls back, so a wrapper can free what its callback would have freed.
 */
void azure_on_cancel(struct az_call *call, void (*fn)(void *arg), void *arg);

/*
 * Every page of a list. on_page parses one page body: it returns 0 and sets
 * *next_link (heap, NULL at the end) or -1 with *cause (the pages stop with
 * CORE_ERR_PARSE). on_done gets the final status (the last page's, or the
 * failure). At most max_pages pages (0: 1000) are read: a service that keeps
 * sending nextLink is stopped with CORE_ERR_LIMIT.
 */
typedef int (*az_page_fn)(const char *body, size_t len, char **next_link, char **cause, void *arg);
typedef void (*az_done_fn)(const struct az_status *st, void *arg);
struct az_call *azure_get_all(struct azure *az, enum az_service service, const char *url,
                              unsigned max_pages, az_page_fn on_page, az_done_fn on_done,
                              void *arg);

/*
 * A long-running ARM operation: method PUT, POST or DELETE at url with body.
 * 200/204 without polling headers: done. 201/202: polls Azure-AsyncOperation
 * (else Location) every Retry-After (1..60 s; 5 s when absent) until a terminal
 * status, at most timeout_ms (0: 10 minutes), then reads the result: PUT and
 * PATCH a GET of url, POST a GET of Location when there was one. The reply's
 * body is the final resource ("" when none). A Failed or Canceled operation
 * ends with CORE_ERR_HTTP and the operation's error code and message.
 */
struct az_call *azure_lro(struct azure *az, const char *method, const char *url, const char *body,
                          int64_t timeout_ms, az_fn fn, void *arg);

/*
 * A bare GET without a token (it never asks Entra ID for one): whatever the
 * host answers, 401 included, proves the path to it works. For the console's
 * reachability probe of a vault.
 */
struct az_call *azure_probe(struct azure *az, const char *url, az_fn fn, void *arg);

/*
 * A call that fails without sending anything (a bad argument caught before a
 * URL is built): fn runs from the loop with err and cause, like any other.
 */
struct az_call *azure_fail(struct azure *az, enum core_err err, const char *cause, az_fn fn,
                           void *arg);

/* err for an HTTP status (2xx: CORE_OK; 401 AUTH; 403 FORBIDDEN; 404 NOT_FOUND; 429 THROTTLED). */
enum core_err azure_status_err(long status);

#endif
