/*
 * token — the access tokens azsim's identity surfaces mint and its services
 * check.
 *
 * Tokens are Entra ID v1-style JWTs signed by azsim's key (jwt.h):
 * aud = the resource asked for, iss = https://sts.windows.net/{tid}/, plus
 * tid, oid, sub, appid, appidacr, iat, nbf, exp, uti, ver "1.0". Lifetimes
 * run on the real wall clock (clients compare with their own clocks).
 *
 * A service checks a token against the audience it serves (a vault wants
 * https://vault.localhost:PORT, never the management audience) and, for Key
 * Vault, the tenant of the vault. Failures come back as a status and a message
 * in the words Key Vault uses (AKV100xx), without ever echoing the token.
 */
#ifndef AZSIM_TOKEN_H
#define AZSIM_TOKEN_H

#include <stdint.h>

struct sim;
struct principal;

enum token_result {
    TOKEN_OK,
    TOKEN_MISSING,   /* no "Authorization: Bearer ..." */
    TOKEN_MALFORMED, /* not a JWT we can read */
    TOKEN_BAD_KEY,   /* signed by a key we do not know */
    TOKEN_BAD_SIGNATURE,
    TOKEN_EXPIRED,
    TOKEN_NOT_YET_VALID,
    TOKEN_AUDIENCE, /* for another resource */
    TOKEN_ISSUER,   /* from another tenant */
};

struct identity {
    char oid[64];
    char tid[64];
    char appid[64];
    char iss[128];
};

/*
 * Checks the Authorization header value. audience: the resource the service
 * serves (compared ignoring one trailing slash); tenant_id: required tenant,
 * or NULL for any. On TOKEN_OK fills *who. On failure *message (heap) says
 * why, in Key Vault's words.
 */
enum token_result token_check(const struct sim *sim, const char *authorization,
                              const char *audience, const char *tenant_id, struct identity *who,
                              char **message);

/*
 * Mints a token for principal and resource (a resource URI without
 * "/.default"). appidacr: "1" secret, "2" certificate, "0" managed identity.
 * Returns the compact JWT (heap) and sets *expires_in (seconds).
 */
char *token_mint(const struct sim *sim, const struct principal *principal, const char *resource,
                 const char *appidacr, int *expires_in);

/*
 * The canonical form of a resource azsim serves ("https://vault.localhost:PORT"
 * or the management resource), heap, or NULL when azsim has no such resource.
 * Accepts a trailing slash.
 */
char *token_resource(const struct sim *sim, const char *resource);

#endif
