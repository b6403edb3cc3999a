/*
 * authcert — a client certificate credential: the PEM file named by
 * AZURE_CLIENT_CERTIFICATE_PATH (an RSA private key and its certificate, in
 * either order, possibly with more certificates of the chain), and the
 * client assertion signed with it (reference/azure-protocol.md 2.3):
 *
 *   header {"alg":"RS256","typ":"JWT","x5t":base64url(SHA-1(cert DER))}
 *   claims {"aud":token endpoint,"iss":client id,"sub":client id,"jti":random,
 *           "nbf":now,"iat":now,"exp":now+600}
 *
 * signed RSASSA-PKCS1-v1_5 SHA-256 (OpenSSL EVP). The key lives in the
 * struct authcert until authcert_destroy (OpenSSL clears RSA key material
 * when it frees it); the file's text is cleansed as soon as it is parsed.
 * Errors: NULL with *cause, which never contains key material.
 */
#ifndef TDECTL_AUTHCERT_H
#define TDECTL_AUTHCERT_H

#include <stddef.h>
#include <stdint.h>

struct authcert;

/* Reads and parses the PEM file (at most 1 MiB). */
struct authcert *authcert_load(const char *path, char **cause);
/* The same from PEM text in memory (the caller keeps and cleanses it). */
struct authcert *authcert_from_pem(const char *pem, size_t len, char **cause);
void authcert_destroy(struct authcert *c);

/* base64url (no padding) SHA-1 of the certificate's DER: the x5t header; borrowed. */
const char *authcert_x5t(const struct authcert *c);

/* A signed client assertion (heap; a credential: free with authprov_free_secret). */
char *authcert_assertion(const struct authcert *c, const char *client_id, const char *audience,
                         int64_t now, char **cause);

#endif
