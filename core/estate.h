/*
 * estate — relationships derived from the model, computed on demand: which
 * vault an instance uses as primary and as secondary, which registered key
 * holds which material, the failover partner, which geography a region is in
 * and whether a vault can be reached from a region.
 *
 * Ownership: nothing is stored. Every pointer returned points into the model
 * (or into static tables) and is valid as long as the model pointers are (see
 * model.h: until the next model_put_* / model_drop_* / model_destroy). All
 * functions accept NULL arguments and then answer NULL / false / UNKNOWN.
 *
 * Thumbprints and fingerprints: SQL's thumbprint (40 hex) is opaque; tdectl's
 * fingerprint (model_fingerprint) is computed from the public key it read.
 * A registered key's URI names a Key Vault version, so a thumbprint maps to a
 * fingerprint through any registered key (of any instance) whose version's
 * material was read, and back.
 */
#ifndef TDECTL_ESTATE_H
#define TDECTL_ESTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* Built-in roles whose data actions include keys read + wrap + unwrap. */
#define ESTATE_ROLE_KV_ADMINISTRATOR  "00482a5a-887f-4fb3-b363-3b7fe8e74483"
#define ESTATE_ROLE_KV_CRYPTO_OFFICER "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"
#define ESTATE_ROLE_KV_CRYPTO_USER    "12338af0-0e69-4776-bea7-57ae8d297424"

/* Whether two region names are the same region ("East US 2" = "eastus2"). */
bool estate_same_region(const char *a, const char *b);

/* Azure's geography of a region ("eastus2" or "East US 2"), NULL when unknown. */
const char *estate_geography(const char *region);

/*
 * The identity SQL uses against Key Vault: the primary user-assigned identity
 * when the instance has any, else the system-assigned one. NULL when there is
 * none usable (no identity, or UAMIs without a known primary).
 */
const char *estate_principal(const struct model_instance *mi);

/* The protector's thumbprint: the protector's own, else that of its registered key. */
const char *estate_protector_thumbprint(const struct model_instance *mi);

/* True when the protector is a Key Vault key (type AzureKeyVault with a URI). */
bool estate_protector_is_akv(const struct model_instance *mi);

/* The vault of the protector URI (the instance's primary vault), or NULL. */
const struct model_vault *estate_primary_vault(const struct model *m,
                                               const struct model_instance *mi);

/*
 * The registered key of mi, in another vault than the primary, with the
 * protector's thumbprint (what SQL falls back to), and its vault. NULL when
 * there is none (or the vault is not in the model, for the vault form).
 */
const struct model_server_key *estate_secondary_key(const struct model *m,
                                                    const struct model_instance *mi);
const struct model_vault *estate_secondary_vault(const struct model *m,
                                                 const struct model_instance *mi);

/* mi's registered key with that thumbprint in that vault (vault NULL: any vault). */
const struct model_server_key *estate_registered_key(const struct model_instance *mi,
                                                     const char *vault, const char *thumbprint);

/* thumbprint -> fingerprint and back, through registered keys whose material was read. */
const char *estate_fingerprint_of(const struct model *m, const char *thumbprint);
const char *estate_thumbprint_of(const struct model *m, const char *fingerprint);

/*
 * A version in v (any version of any key) whose material has that
 * fingerprint, preferring an enabled one; its key in *key when key is not
 * NULL. NULL when the vault holds no such material (as far as it was read).
 */
const struct model_version *estate_vault_material(const struct model_vault *v,
                                                  const char *fingerprint,
                                                  const struct model_key **key);

/* The failover partner of mi, and the instances in a group's two roles. */
const struct model_instance *estate_partner(const struct model *m, const struct model_instance *mi);
const struct model_instance *estate_fog_primary(const struct model *m, const struct model_fog *fg);
const struct model_instance *estate_fog_secondary(const struct model *m,
                                                  const struct model_fog *fg);

/*
 * The vaults an instance depends on: its primary vault, its secondary vault
 * and (when different) its partner's primary vault, which it needs after a
 * failover and for fallback. Returns how many were written (at most 3).
 */
enum estate_role { ESTATE_USE_PRIMARY, ESTATE_USE_SECONDARY, ESTATE_USE_PARTNER };
struct estate_use {
    const struct model_vault *vault;
    enum estate_role role;
};
size_t estate_uses(const struct model *m, const struct model_instance *mi,
                   struct estate_use out[3]);
const char *estate_role_name(enum estate_role role); /* "primary vault", ... */

/* True when any instance's protector or registered key is in v. */
bool estate_vault_used(const struct model *m, const struct model_vault *v);

/*
 * The name of the key mi uses in v: the protector's key when v is its primary
 * vault, else the key of its registered copy of the protector there. False
 * (and key "") when it has none.
 */
bool estate_key_name_in(const struct model *m, const struct model_instance *mi,
                        const struct model_vault *v, char key[128]);

/*
 * The network path from a region to a vault, as SQL takes it: a private
 * endpoint of the vault in that region (one that is not Approved is an outage,
 * not a refusal), else the public endpoint, where SQL is a trusted service:
 * public network access Disabled, or defaultAction Deny without the
 * AzureServices bypass, refuses it. down[0..ndown) are private endpoints to
 * treat as failed (what-if). *pe (may be NULL) gets the endpoint used or found.
 */
enum estate_path {
    ESTATE_PATH_UNKNOWN, /* the vault's network settings were never read */
    ESTATE_PATH_PRIVATE, /* an approved private endpoint in the region */
    ESTATE_PATH_PE_DOWN, /* endpoints in the region, none approved: an outage */
    ESTATE_PATH_PUBLIC,  /* no endpoint in the region; the firewall lets SQL in */
    ESTATE_PATH_BLOCKED, /* no endpoint in the region; the firewall refuses SQL */
};
enum estate_path estate_path(const struct model *m, const struct model_vault *v, const char *region,
                             const struct model_pe *const *down, size_t ndown,
                             const struct model_pe **pe);

/* The vault a private endpoint targets, and whether its connection is approved. */
const struct model_vault *estate_pe_vault(const struct model *m, const struct model_pe *pe);
bool estate_pe_approved(const struct model_vault *v, const struct model_pe *pe);

/*
 * Whether principal may get + wrapKey + unwrapKey on key_name (NULL: on any
 * key, i.e. a vault-wide grant) in v: by access policy (object id and the
 * vault's tenant) or, on an RBAC vault, by a role assignment of Key Vault
 * Crypto Service Encryption User, Crypto User, Crypto Officer or
 * Administrator at the vault (or that key's) scope. UNKNOWN when the vault
 * was never read or its role assignments could not be. *perms (may be NULL)
 * gets the access-policy key permissions found.
 */
enum estate_grant { ESTATE_GRANT_UNKNOWN, ESTATE_GRANT_YES, ESTATE_GRANT_NO };
enum estate_grant estate_grant(const struct model_vault *v, const char *principal,
                               const char *key_name, unsigned *perms);

#endif
