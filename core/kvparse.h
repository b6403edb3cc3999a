/*
 * kvparse — Key Vault keys data-plane answers (reference/azure-protocol.md
 * section 3) as plain model structs and heap strings.
 *
 * Every function parses one response body of len bytes and returns 0, or -1
 * with *cause naming the field ("value[3].kid: expected a string"); on
 * failure nothing is left allocated and the outputs are NULL / zero. The
 * output structs are scratch structs the engine adopts with model_put_* /
 * model_set_*: they are overwritten (not cleaned) on entry, so pass zeroed or
 * already cleaned ones. No cJSON node outlives a call.
 *
 * Key identifiers are normalised with model_uri_normalise (host case, ":443",
 * trailing slash); key and vault names come from the kid. Attribute times are
 * Unix seconds; a time that is absent or not an integer is 0 (not set).
 * next_link is NULL when absent, null or empty, else the text verbatim (it may
 * carry another api-version or ":443": follow it as given). Lists with an
 * empty "value" are fine; a body without a "value" array is an error, so a
 * broken answer never reads as "no keys".
 */
#ifndef TDECTL_KVPARSE_H
#define TDECTL_KVPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * A KeyBundle (get, create, import, update, rotate, restore, recover) or a
 * DeletedKeyBundle: version, kid, attributes, kty, key_ops (ops_known when
 * present), and for RSA keys the modulus size and model_fingerprint of n/e.
 * *key_name (optional, heap) is the key's name as the kid spells it.
 */
int kvparse_key_bundle(const char *body, size_t len, struct model_version *out, char **key_name,
                       char **cause);

/* A /keys page: key names from the kids; a kid that does not parse fails the page. */
int kvparse_key_list(const char *body, size_t len, char ***names, size_t *n, char **next_link,
                     char **cause);

/* A /keys/{name}/versions page: version, kid, attributes (no material); a kid without a
 * version or that does not parse fails the page. */
int kvparse_version_list(const char *body, size_t len, struct model_version **versions, size_t *n,
                         char **next_link, char **cause);

/* A /deletedkeys entry. */
struct kv_deleted {
    char *name;
    char *recovery_id;                     /* verbatim; NULL when absent */
    int64_t deleted_date, scheduled_purge; /* Unix seconds, 0 when absent */
};
int kvparse_deleted_list(const char *body, size_t len, struct kv_deleted **items, size_t *n,
                         char **next_link, char **cause);
void kvparse_deleted_free(struct kv_deleted *items, size_t n);

/*
 * A KeyRotationPolicy: which actions exist and attributes.expiryTime. The
 * service default (no id, "attributes": null, one Notify action) parses; read
 * is set on success.
 */
int kvparse_rotation_policy(const char *body, size_t len, struct model_rotation *out, char **cause);

/*
 * {"kid"?, "value": base64url}: the result of backup, wrapkey, unwrapkey,
 * encrypt, decrypt, sign. *value (heap, NUL-terminated after *vlen bytes) is
 * the decoded value (for backup the raw blob; for unwrap a secret: cleanse it
 * before free). *kid (optional, heap) is the normalised kid, NULL when
 * absent. Both alphabets are accepted, padded or not.
 */
int kvparse_value(const char *body, size_t len, unsigned char **value, size_t *vlen, char **kid,
                  char **cause);

/* The MODEL_OP_* bit of a JWK key_ops name ("wrapKey", any case), 0 when unknown. */
unsigned kvparse_op_bit(const char *name);

#endif
