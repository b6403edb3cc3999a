/*
 * kvclient — the Key Vault keys data-plane operations tdectl uses
 * (reference/azure-protocol.md section 3), through azure.c's challenge flow.
 *
 * vault is the vault's base URL (https://NAME.vault.azure.net); key names must
 * match ^[0-9A-Za-z-]{1,127}$ and versions ^[0-9a-f]{32}$, else the call fails
 * with CORE_ERR_CONFIG without sending anything (no path ever carries an
 * unchecked name). Results are model structs the callback adopts. Backup
 * blobs, wrapped keys and private key material are secrets: they are given to
 * the callback only for its duration and cleansed afterwards.
 *
 * Writes (create, import, backup, restore) are refused by the transport in
 * read-only mode; wrap and unwrap are allowed (they change nothing).
 */
#ifndef TDECTL_KVCLIENT_H
#define TDECTL_KVCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure.h"
#include "kvparse.h"
#include "model.h"

/* The api-version tdectl sends (the newest stable one). */
#define KV_API "2025-07-01"

typedef void (*kv_names_fn)(const struct az_status *st, char **names, size_t n, void *arg);
typedef void (*kv_versions_fn)(const struct az_status *st, struct model_version *items, size_t n,
                               void *arg);
/* One key version (adopted, zeroed on failure) and the key's name ("" on failure). */
typedef void (*kv_version_fn)(const struct az_status *st, struct model_version *v,
                              const char *key_name, void *arg);
typedef void (*kv_rotation_fn)(const struct az_status *st, struct model_rotation *r, void *arg);
typedef void (*kv_deleted_fn)(const struct az_status *st, struct kv_deleted *items, size_t n,
                              void *arg);
/* Bytes valid during the callback only (cleansed afterwards). */
typedef void (*kv_bytes_fn)(const struct az_status *st, const unsigned char *value, size_t len,
                            void *arg);

bool kv_name_valid(const char *name);
bool kv_version_valid(const char *version);

struct az_call *kv_list_keys(struct azure *az, const char *vault, kv_names_fn fn, void *arg);
struct az_call *kv_list_versions(struct azure *az, const char *vault, const char *key,
                                 kv_versions_fn fn, void *arg);
/* version NULL or "": the latest. */
struct az_call *kv_get_key(struct azure *az, const char *vault, const char *key,
                           const char *version, kv_version_fn fn, void *arg);
struct az_call *kv_get_rotation_policy(struct azure *az, const char *vault, const char *key,
                                       kv_rotation_fn fn, void *arg);
struct az_call *kv_list_deleted(struct azure *az, const char *vault, kv_deleted_fn fn, void *arg);
/*
 * The console's reachability probe: GET /keys?maxresults=1 without a token
 * (no dependency on Entra ID or on permissions); any answer, 401 included,
 * proves the path works.
 */
struct az_call *kv_probe(struct azure *az, const char *vault, az_fn fn, void *arg);

/* What a new key looks like (create). */
struct kv_key_spec {
    bool hsm;     /* RSA-HSM (premium vaults) */
    int bits;     /* 2048 or 3072 for TDE */
    int64_t nbf;  /* Unix seconds; 0: unset */
    int64_t exp;  /* Unix seconds; 0: unset */
    unsigned ops; /* MODEL_OP_*; 0: the service default */
};

struct az_call *kv_create_key(struct azure *az, const char *vault, const char *key,
                              const struct kv_key_spec *spec, kv_version_fn fn, void *arg);
/*
 * Imports RSA material: jwk is the JSON text of a private JWK (kty RSA, n, e,
 * d, dp, dq, qi, p, q — secret, cleansed after sending); a new version of key.
 */
struct az_call *kv_import_key(struct azure *az, const char *vault, const char *key, const char *jwk,
                              const struct kv_key_spec *spec, kv_version_fn fn, void *arg);
/* The backup blob (secret-equivalent: it restores the key in the same geography). */
struct az_call *kv_backup_key(struct azure *az, const char *vault, const char *key, kv_bytes_fn fn,
                              void *arg);
struct az_call *kv_restore_key(struct azure *az, const char *vault, const unsigned char *blob,
                               size_t len, kv_version_fn fn, void *arg);
/* key_uri names a version; alg "RSA-OAEP", "RSA-OAEP-256" or "RSA1_5". */
struct az_call *kv_wrap(struct azure *az, const char *key_uri, const char *alg,
                        const unsigned char *value, size_t len, kv_bytes_fn fn, void *arg);
struct az_call *kv_unwrap(struct azure *az, const char *key_uri, const char *alg,
                          const unsigned char *value, size_t len, kv_bytes_fn fn, void *arg);

#endif
