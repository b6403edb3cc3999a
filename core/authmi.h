/*
 * authmi — a managed identity's token (reference/azure-protocol.md 2.4).
 *
 * IMDS: GET {endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01
 * &resource=R[&client_id=C] with "Metadata: true"; endpoint
 * http://169.254.169.254 unless IMDS_ENDPOINT or
 * AZURE_POD_IDENTITY_AUTHORITY_HOST says otherwise. App Service (when
 * IDENTITY_ENDPOINT and IDENTITY_HEADER are set): GET
 * $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R[&client_id=C] with
 * "X-IDENTITY-HEADER: $IDENTITY_HEADER" (a secret: it is never put in a cause).
 *
 * The probe: inside the default chain a machine without IMDS must not stall
 * the chain for the transport's connect timeout and retries, so when the IMDS
 * endpoint is an IP address authmi first opens a TCP connection to it,
 * non-blocking, watched by the loop and bounded by probe_timeout_ms; only when
 * that connects is the token requested. (A per-request timeout in http_request
 * would let the probe be an HTTP request instead.)
 *
 * Lifetimes: authmi_send copies what it needs; the callback runs once, from
 * the loop, unless the call is cancelled first.
 */
#ifndef TDECTL_AUTHMI_H
#define TDECTL_AUTHMI_H

#include <stdbool.h>
#include <stdint.h>

#include "authprov.h"

struct loop;
struct http;
struct authmi_call;

struct authmi_request {
    const char *imds_endpoint;     /* NULL: http://169.254.169.254 */
    const char *identity_endpoint; /* App Service: the whole token URL; with identity_header */
    const char *identity_header;
    const char *client_id;    /* a user-assigned identity, or NULL */
    const char *resource;     /* v1 resource: the scope without "/.default" */
    bool probe;               /* check first that IMDS is there at all */
    int64_t probe_timeout_ms; /* 0: 1000 */
};

/* The token URL for req (heap): pure, for tests and logs (it holds no secret). */
char *authmi_url(const struct authmi_request *req);

struct authmi_call *authmi_send(struct loop *loop, struct http *http,
                                const struct authmi_request *req, authprov_fn fn, void *arg);
void authmi_cancel(struct authmi_call *c);

#endif
