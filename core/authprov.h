/*
 * authprov — what auth's token providers (authentra, authmi, authcli) share:
 * the token they hand back, the callback that carries it, form and query
 * encoding for token requests, and the parsers of the token endpoints'
 * answers (Microsoft Entra ID, managed identity). Pure functions, no I/O.
 *
 * Secrets: a token, a client secret and every buffer that held one are
 * cleansed before they are freed (authprov_free_secret). A cause never
 * contains a token; a cause built from a service's words has the client
 * secret masked in case a hostile endpoint echoes it.
 */
#ifndef TDECTL_AUTHPROV_H
#define TDECTL_AUTHPROV_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A token as a provider got it. */
struct authprov_token {
    char *access_token; /* secret; heap */
    int64_t expires_on; /* Unix seconds */
};

/* Cleanses and frees the token; the struct is zeroed. */
void authprov_token_cleanup(struct authprov_token *t);

/*
 * How a provider reports, always from the loop: err CORE_OK with tok (the
 * callee may take tok->access_token, setting it NULL; the provider cleans up
 * the rest after the callback), or an error with a cause (tok NULL). A
 * provider's call handle is gone once its callback has run.
 */
typedef void (*authprov_fn)(struct authprov_token *tok, enum core_err err, const char *cause,
                            void *arg);

/* Cleanses strlen(s) bytes, then frees. NULL is fine. */
void authprov_free_secret(char *s);

/* Percent-encodes everything but RFC 3986 unreserved characters (heap). */
char *authprov_urlencode(const char *s);

/*
 * Appends "name=value" (both encoded, '&' before all but the first) to *form,
 * which may start NULL. The old buffer is cleansed: forms carry secrets.
 */
void authprov_form_add(char **form, const char *name, const char *value);

/* The v1 resource of a v2 scope: "https://vault.azure.net/.default" -> "https://vault.azure.net".
 */
char *authprov_scope_resource(const char *scope);

/*
 * A claims challenge as the token endpoint wants it: challenges carry it as
 * base64 (either alphabet, padding optional) JSON; the decoded JSON (heap),
 * or a copy of the text when it does not decode to a JSON object.
 */
char *authprov_claims_json(const char *claims);

/* Replaces every occurrence of secret in text with '*' (no-op for NULL or ""). */
void authprov_mask(char *text, const char *secret);

/*
 * The answer of Entra ID's token endpoint (v2, client credentials): 200 with
 * {access_token, token_type "Bearer", expires_in (number or string)}; else
 * {error, error_description "AADSTSnnn: ..."}. now is Unix seconds. CORE_OK
 * with *out, or the kind of failure with *cause: CORE_ERR_AUTH when Entra
 * refused the credentials (the cause names the AADSTS code and the error),
 * CORE_ERR_THROTTLED on 429, CORE_ERR_HTTP for other statuses,
 * CORE_ERR_PARSE for a 200 without a usable token. secret is masked in the
 * cause.
 */
enum core_err authprov_parse_entra(long status, const char *body, size_t len, int64_t now,
                                   const char *secret, struct authprov_token *out, char **cause);

/*
 * The answer of IMDS or the App Service identity endpoint: 200 with string
 * values {access_token, expires_in, expires_on, token_type} (numbers are
 * accepted too; expires_in wins: it does not depend on the clocks agreeing);
 * else {error, error_description} or App Service's {statusCode, message}.
 * Same error kinds as authprov_parse_entra.
 */
enum core_err authprov_parse_mi(long status, const char *body, size_t len, int64_t now,
                                struct authprov_token *out, char **cause);

#endif
