/*
 * challenge — Key Vault's bearer challenge (reference/azure-protocol.md 2.2).
 *
 * A vault answers a request without a token with 401 and
 *   WWW-Authenticate: Bearer authorization="https://login.../TENANT",
 * resource="https://vault.azure.net" (or authorization_uri, scope, claims). tdectl learns the
 * tenant and the scope from it, and verifies the resource against the vault's own host: the host
 * must end with "." + the resource's host (and ports must agree), else a hostile or misconfigured
 * endpoint could harvest a Key Vault token.
 */
#ifndef TDECTL_CHALLENGE_H
#define TDECTL_CHALLENGE_H

#include <stdbool.h>

struct challenge {
    char *authorization; /* the authorization URI */
    char *tenant;        /* its first path segment */
    char *scope;         /* scope if given, else resource + "/.default" */
    char *resource;      /* as given, may be NULL when only scope was */
    char *claims;        /* CAE claims (base64 JSON), NULL when none */
};

/* 0, or -1 with *cause when the header is not a usable Bearer challenge. */
int challenge_parse(const char *header, struct challenge *out, char **cause);
void challenge_cleanup(struct challenge *c);

/* Does the challenge's scope fit the URL the request went to? */
bool challenge_fits(const struct challenge *c, const char *request_url);

#endif
