/*
 * auth — access tokens for ARM and Key Vault.
 *
 * Providers: client secret, client certificate (a JWT assertion signed with
 * OpenSSL, x5t of the certificate), managed identity (IMDS, with
 * IMDS_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST overrides, and the App
 * Service form IDENTITY_ENDPOINT + IDENTITY_HEADER), and the Azure CLI
 * (`az account get-access-token`, run as a child process watched by the loop,
 * its output never logged). "default" chains them in that order: the first
 * provider that is configured and answers serves from then on.
 *
 * Tokens are cached per (tenant, scope) and renewed 5 minutes before they
 * expire (a renewal that fails hands out the old token while it has more than
 * 30 s left, and the next renewal is tried 30 s later); concurrent requests
 * for the same token share one fetch; a claims challenge always fetches, and
 * its token replaces the cached one. Tokens never leave this module except as
 * the string handed to a callback, and are cleansed when dropped.
 *
 * Lifetimes: callbacks run from the loop, never inside auth_token. The token
 * string passed to a callback is valid only during the callback. A request
 * handle is valid until its callback has run or auth_cancel; auth_destroy
 * cancels every request (no callback runs) and may be called from a callback.
 *
 * Errors given to callbacks: a provider's own (CORE_ERR_AUTH when the
 * credentials were refused, the cause naming e.g. the AADSTS code; NETWORK,
 * TIMEOUT, ...), CORE_ERR_CONFIG when nothing usable is configured; the
 * default chain that found no working provider gives CORE_ERR_AUTH with one
 * line per provider saying why. Causes never contain a token or a secret.
 *
 * The modules behind it: authcache (the token cache and its health),
 * authprov (shared parsing), authentra (secret and certificate: Entra ID's
 * token endpoint), authcert (the client assertion), authmi (managed
 * identity), authcli (az).
 */
#ifndef TDECTL_AUTH_H
#define TDECTL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct loop;
struct http;
struct cloud;
struct auth;
struct auth_request;

enum auth_mode {
    AUTH_DEFAULT, /* secret, certificate, managed identity, CLI: the first that works */
    AUTH_SECRET,
    AUTH_CERTIFICATE,
    AUTH_MANAGED_IDENTITY,
    AUTH_CLI,
};

struct auth_config {
    enum auth_mode mode;
    const char *tenant_id;     /* AZURE_TENANT_ID */
    const char *client_id;     /* AZURE_CLIENT_ID (also picks a user-assigned managed identity) */
    const char *client_secret; /* AZURE_CLIENT_SECRET */
    const char *certificate_path;  /* AZURE_CLIENT_CERTIFICATE_PATH: PEM with key and cert */
    const char *authority_host;    /* AZURE_AUTHORITY_HOST; NULL: the cloud's */
    const char *imds_endpoint;     /* IMDS_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST */
    const char *identity_endpoint; /* IDENTITY_ENDPOINT (App Service) */
    const char *identity_header;   /* IDENTITY_HEADER (secret) */
    const char *az_command;        /* NULL: "az" on PATH */
};

/*
 * Fills c from the environment (getenv; the strings stay the environment's).
 * Fields already set are kept.
 */
void auth_config_from_env(struct auth_config *c);

struct auth *auth_create(struct loop *loop, struct http *http, const struct cloud *cloud,
                         const struct auth_config *config, char **cause);
void auth_destroy(struct auth *a);

typedef void (*auth_fn)(const char *token, enum core_err err, const char *cause, void *arg);

/*
 * A token for scope ("https://management.azure.com/.default") in tenant (NULL:
 * the configured one). claims: a CAE claims challenge to pass on, or NULL
 * (it bypasses the cache).
 */
struct auth_request *auth_token(struct auth *a, const char *tenant, const char *scope,
                                const char *claims, auth_fn fn, void *arg);
void auth_cancel(struct auth_request *r);
/* Drops a cached token (after the service refused it). */
void auth_forget(struct auth *a, const char *tenant, const char *scope);
/* Which provider served last ("client secret", "managed identity", ...), or NULL. */
const char *auth_source(const struct auth *a);

/*
 * How signing in has gone, for the front ends: a renewal that fails while the
 * cached token still works is otherwise invisible until the token runs out.
 * A (tenant, scope) is failing when its last fetch failed; it stops failing
 * when a fetch for it succeeds. Tokenless failing entries are kept (at most
 * AUTH_FAILING_KEPT, the newest) so a sign-in that never worked stays seen.
 */
#define AUTH_FAILING_KEPT 8
#define AUTH_CAUSE_MAX    256
struct auth_health {
    uint64_t signins;     /* token fetches that ended (renewals and claims included) */
    uint64_t failures;    /* of which failed */
    int64_t last_ok_ms;   /* wall ms of the last fetch that got a token; 0: never */
    int64_t last_fail_ms; /* wall ms of the last fetch that failed; 0: never */
    size_t failing;       /* (tenant, scope) pairs whose last fetch failed */
    /* Only when failing > 0: */
    int64_t failing_since_ms; /* wall ms the longest-failing of them first failed */
    enum core_err err;        /* the newest failure's error and cause (never a secret) */
    char cause[AUTH_CAUSE_MAX];
    int64_t token_left_ms; /* the least time a failing pair's cached token can still be
                              handed out; 0: one of them has none */
    /* Always: the least time any cached token can still be handed out; -1: none cached. */
    int64_t cached_left_ms;
};
void auth_health(const struct auth *a, struct auth_health *out);

/* How long `az account get-access-token` may run before it is killed; <= 0: 10000 ms. */
void auth_set_cli_timeout(struct auth *a, int64_t ms);
/* How long after a failed renewal the old token is handed out without another try; < 0:
 * 30000 ms (0: try again at every request). */
void auth_set_renew_hold(struct auth *a, int64_t ms);
/*
 * How long the default chain waits for a TCP connection to the IMDS address
 * before it moves on to the next provider (authmi.h); <= 0: 1000 ms.
 */
void auth_set_probe_timeout(struct auth *a, int64_t ms);

#endif
