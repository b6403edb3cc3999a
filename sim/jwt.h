/*
 * jwt — compact JWS for azsim's identity surfaces.
 *
 * Two uses:
 *  - azsim's own access tokens, which Entra ID and the managed-identity
 *    endpoint mint and every vault verifies: RS256 with one azsim signing key
 *    (RSA 2048). Header {"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}; the kid
 *    is the base64url SHA-1 thumbprint of the signing key's self-signed
 *    certificate, as Entra ID's keys have. That certificate is rebuilt
 *    identically from the key, so a signer loaded from its saved key keeps its
 *    kid. The public key is published as a JWKS document so a client could
 *    check tokens as it would Entra's.
 *  - client assertions sent by a service principal that authenticates with a
 *    certificate (RFC 7523): RS256 or PS256, checked against the certificate
 *    registered for that principal; when the header carries "x5t" (base64url
 *    SHA-1 of the certificate DER) or "x5t#S256", it must match.
 *
 * The functions check signatures and structure only. Claims (aud, iss, exp,
 * nbf ...) are the caller's business: it gets them back as a cJSON object that
 * it owns and must cJSON_Delete.
 *
 * Errors: NULL / -1 with an allocated *cause (when cause is not NULL).
 */
#ifndef AZSIM_JWT_H
#define AZSIM_JWT_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct jwt_signer;

struct jwt_signer *jwt_signer_generate(char **cause);
/* Loads a signer saved with jwt_signer_key_pem (PKCS#8 PEM of the RSA key). */
struct jwt_signer *jwt_signer_load(const char *key_pem, char **cause);
void jwt_signer_destroy(struct jwt_signer *signer);

char *jwt_signer_key_pem(const struct jwt_signer *signer); /* secret: free with secret_free_str */
const char *jwt_signer_kid(const struct jwt_signer *signer);
/* {"keys":[{"kty":"RSA","use":"sig","kid":..,"x5t":..,"n":..,"e":..,"x5c":[..]}]} — heap text. */
char *jwt_signer_jwks(const struct jwt_signer *signer);

/* Signs the claims object (not consumed) and returns the compact token (heap). */
char *jwt_sign(const struct jwt_signer *signer, const cJSON *claims);

/*
 * Verifies a token made by jwt_sign with this signer: three base64url parts,
 * header alg RS256 and matching kid, valid signature. On success returns 0 and
 * the claims object in *claims; on failure JWT_MALFORMED, JWT_UNKNOWN_KEY (a
 * kid that is not ours) or JWT_BAD_SIGNATURE, with *cause.
 */
#define JWT_MALFORMED     (-1)
#define JWT_UNKNOWN_KEY   (-2)
#define JWT_BAD_SIGNATURE (-3)
int jwt_verify(const struct jwt_signer *signer, const char *token, size_t len, cJSON **claims,
               char **cause);

/*
 * Verifies a client assertion against a PEM certificate (the principal's
 * registered certificate). On success returns 0 with the claims in *claims.
 */
int jwt_verify_assertion(const char *token, size_t len, const char *cert_pem, cJSON **claims,
                         char **cause);

/* base64url SHA-1 of the first certificate in cert_pem (an "x5t"), heap; NULL if unreadable. */
char *jwt_cert_x5t(const char *cert_pem);

#endif
