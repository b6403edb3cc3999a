/*
 * rsakey — RSA key material and the Key Vault RSA algorithms, on OpenSSL 3.
 *
 * A struct rsakey holds one RSA private key (EVP_PKEY) plus its public JWK
 * members already encoded. It is reference counted (atomically) because the
 * same material legitimately lives in several places at once: a key version in
 * kv-east and its restored copy in kv-west share one rsakey. An rsakey is
 * immutable after creation, so concurrent use from several server threads is
 * safe.
 *
 * Algorithms (Key Vault names, matched exactly as the service does):
 *   encrypt/decrypt, wrapKey/unwrapKey: RSA-OAEP (SHA-1), RSA-OAEP-256 (SHA-256
 *     for OAEP and MGF1), RSA1_5 (PKCS#1 v1.5)
 *   sign/verify (input is the digest): RS256 RS384 RS512 (PKCS#1 v1.5),
 *     PS256 PS384 PS512 (PSS, MGF1 with the same hash, salt length = hash length)
 *
 * Errors: functions returning int give 0 on success and -1 on failure with an
 * allocated message in *cause (when cause is not NULL). Private key bytes are
 * never part of a message.
 */
#ifndef AZSIM_RSAKEY_H
#define AZSIM_RSAKEY_H

#include <stdbool.h>
#include <stddef.h>

struct rsakey;

enum rsakey_alg {
    RSAKEY_ALG_NONE = 0,
    RSAKEY_RSA_OAEP,
    RSAKEY_RSA_OAEP_256,
    RSAKEY_RSA1_5,
    RSAKEY_RS256,
    RSAKEY_RS384,
    RSAKEY_RS512,
    RSAKEY_PS256,
    RSAKEY_PS384,
    RSAKEY_PS512,
};

/* Creation: each returns a new key with one reference, or NULL and *cause. */
struct rsakey *rsakey_generate(int bits, unsigned long public_exponent, char **cause);

/*
 * From JWK members (base64url or standard base64, as b64_decode accepts).
 * n, e and d are required; p, q, dp, dq, qi are all given or all NULL (with
 * only n/e/d the key is still usable for every operation). The key must pass
 * OpenSSL's pairwise consistency check.
 */
struct rsakey *rsakey_from_jwk(const char *n, const char *e, const char *d, const char *p,
                               const char *q, const char *dp, const char *dq, const char *qi,
                               char **cause);

/* PKCS#8 DER (the form azsim keeps in backups and state files). */
struct rsakey *rsakey_from_der(const unsigned char *der, size_t len, char **cause);

/* PEM: "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1), unencrypted. */
struct rsakey *rsakey_from_pem(const char *pem, size_t len, char **cause);

struct rsakey *rsakey_ref(struct rsakey *key);
void rsakey_unref(struct rsakey *key); /* NULL is fine */

/* PKCS#8 DER of the private key. *der is secret: release it with secret_free (secret.h). */
int rsakey_to_der(const struct rsakey *key, unsigned char **der, size_t *len, char **cause);

int rsakey_bits(const struct rsakey *key);

/* Public JWK members, base64url without padding, no leading zero octets.
 * Borrowed: valid while the caller holds a reference. */
const char *rsakey_n(const struct rsakey *key);
const char *rsakey_e(const struct rsakey *key);

/* True when both keys have the same modulus and exponent. */
bool rsakey_same_material(const struct rsakey *a, const struct rsakey *b);

/* "RSA-OAEP" -> RSAKEY_RSA_OAEP ...; RSAKEY_ALG_NONE when unknown. */
enum rsakey_alg rsakey_alg_parse(const char *name);
const char *rsakey_alg_name(enum rsakey_alg alg);
bool rsakey_alg_is_encryption(enum rsakey_alg alg); /* OAEP/OAEP-256/1_5 */
bool rsakey_alg_is_signature(enum rsakey_alg alg);  /* RS* and PS* */
/* Digest length a signature algorithm expects (32/48/64), 0 for others. */
size_t rsakey_alg_digest_len(enum rsakey_alg alg);

/* Output buffers are heap memory (free()). */
int rsakey_encrypt(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *in,
                   size_t inlen, unsigned char **out, size_t *outlen, char **cause);
int rsakey_decrypt(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *in,
                   size_t inlen, unsigned char **out, size_t *outlen, char **cause);
int rsakey_sign(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *digest,
                size_t dlen, unsigned char **sig, size_t *siglen, char **cause);
/* 1 = valid signature, 0 = invalid, -1 = error (bad alg or digest length, *cause set). */
int rsakey_verify(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *digest,
                  size_t dlen, const unsigned char *sig, size_t siglen, char **cause);

#endif
