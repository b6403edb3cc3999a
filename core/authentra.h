/*
 * authentra — the client-credentials token request to Microsoft Entra ID
 * (reference/azure-protocol.md 2.3):
 *
 *   POST {authority}/{tenant}/oauth2/v2.0/token
 *   grant_type=client_credentials&client_id=..&scope=..&client_secret=..
 *   (or client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
 *    &client_assertion=..), and claims=.. for a CAE claims challenge.
 *
 * The request is marked idempotent (asking twice for a token is harmless, so
 * the transport may retry it). The form body holds the secret: it is
 * cleansed as soon as the transport has copied it. Causes name the AADSTS
 * code Entra answered, never the secret.
 *
 * Lifetimes: authentra_send copies what it needs; the callback runs once,
 * from the loop, unless the call is cancelled first.
 */
#ifndef TDECTL_AUTHENTRA_H
#define TDECTL_AUTHENTRA_H

#include "authprov.h"

struct loop;
struct http;
struct authentra_call;

struct authentra_request {
    const char *authority; /* https://login.microsoftonline.com, no trailing slash */
    const char *tenant;
    const char *client_id;
    const char *scope;            /* one v2 scope, ".../.default" */
    const char *claims;           /* claims JSON (decoded), or NULL */
    const char *client_secret;    /* either this ... */
    const char *client_assertion; /* ... or this */
};

/* {authority}/{tenant}/oauth2/v2.0/token (heap): also the aud of a client assertion. */
char *authentra_token_url(const char *authority, const char *tenant);

/* NULL with *cause when the request lacks a field (nothing is sent then). */
struct authentra_call *authentra_send(struct loop *loop, struct http *http,
                                      const struct authentra_request *req, authprov_fn fn,
                                      void *arg, char **cause);
void authentra_cancel(struct authentra_call *c);

#endif
