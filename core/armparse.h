/*
 * armparse — ARM answers (Microsoft.Sql managed instances, their keys,
 * encryption protector, databases and instance failover groups;
 * Microsoft.KeyVault vaults; Microsoft.Authorization role assignments;
 * Microsoft.Network private endpoints; subscriptions; long-running operation
 * status) as plain model structs and heap strings. reference/azure-protocol.md
 * sections 4 to 7.
 *
 * Shapes: single-object functions are
 *   int armparse_X(const char *body, size_t len, struct model_X *out, char **cause)
 * and page functions
 *   int armparse_X_page(const char *body, size_t len, struct model_X **items, size_t *n,
 *                       char **next_link, char **cause)
 * Each returns 0, or -1 with *cause naming the field
 * ("value[3].properties.serverKeyName: missing"); on failure nothing is left
 * allocated and the outputs are NULL / zero. Output structs are scratch
 * structs for model_put_* / model_set_*: overwritten (not cleaned) on entry;
 * every struct fresh is left zero (the engine stamps it). A page's *items is
 * NULL when *n is 0; the array itself is the caller's to free() after
 * adopting each element or cleaning it with its model_*_cleanup. next_link is NULL when absent,
 * null or empty, else the text verbatim (next_link may be passed as NULL).
 *
 * Conventions: names come from the last segment of the id (the SQL key
 * examples put the instance name in "name"); subscription and resource group
 * from the id; locations normalised ("Japan East" -> "japaneast"); key URIs
 * normalised with model_uri_normalise; thumbprints upper-cased; ISO 8601
 * times in Unix seconds (0 when absent or unreadable); known enum values in
 * their canonical spelling ("azureKeyVault" -> "AzureKeyVault"), unknown ones
 * as sent. An element without an id (or, for keyless lists, a name) is an
 * error, as is a required field of the wrong type; optional fields of the
 * wrong type read as absent.
 */
#ifndef TDECTL_ARMPARSE_H
#define TDECTL_ARMPARSE_H

#include <stddef.h>

#include "azerr.h"
#include "model.h"

/* -- Microsoft.Sql (armparse.c) -- */

/* id, name, sub/rg, location, properties.state, identity, primaryUserAssignedIdentityId. */
int armparse_instance(const char *body, size_t len, struct model_instance *out, char **cause);
int armparse_instance_page(const char *body, size_t len, struct model_instance **items, size_t *n,
                           char **next_link, char **cause);
/* name from the id, serverKeyType (else from kind), uri, thumbprint, creationDate, autoRotation. */
int armparse_server_key(const char *body, size_t len, struct model_server_key *out, char **cause);
int armparse_server_key_page(const char *body, size_t len, struct model_server_key **items,
                             size_t *n, char **next_link, char **cause);
/* serverKeyName (required), serverKeyType (else from kind), uri, thumbprint, autoRotation. */
int armparse_protector(const char *body, size_t len, struct model_protector *out, char **cause);
/* The first protector of a list (an empty list is an error). */
int armparse_protector_page(const char *body, size_t len, struct model_protector *out,
                            char **next_link, char **cause);
/* name, properties.status. */
int armparse_database_page(const char *body, size_t len, struct model_database **items, size_t *n,
                           char **next_link, char **cause);
/*
 * An instance failover group as one region sees it. id is the location-free
 * key "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql/
 * instanceFailoverGroups/{name}" (both regions' views give the same one);
 * primary/secondary locations from replicationRole, the id's location and
 * partnerRegions; primary/secondary instance ids from managedInstancePairs[0];
 * replicationState, failover policy and grace period.
 */
int armparse_fog(const char *body, size_t len, struct model_fog *out, char **cause);
int armparse_fog_page(const char *body, size_t len, struct model_fog **items, size_t *n,
                      char **next_link, char **cause);

/* -- Microsoft.KeyVault and Microsoft.Authorization (armparse_kv.c) -- */

/*
 * A vault: name (lower-case), id, sub/rg, location, tenant, sku (lower-case),
 * vaultUri (normalised), soft delete (absent: on), purge protection (absent:
 * off), retention (absent: 90), RBAC (absent: off), access policies, network
 * ACL default action and bypass, public network access, private endpoint
 * connections. rbac_before and probe_latency_ms are -1, roles unknown.
 */
int armparse_vault(const char *body, size_t len, struct model_vault *out, char **cause);
int armparse_vault_page(const char *body, size_t len, struct model_vault **items, size_t *n,
                        char **next_link, char **cause);
/* Names (lower-case) of deleted vaults. */
int armparse_deleted_vault_page(const char *body, size_t len, char ***names, size_t *n,
                                char **next_link, char **cause);
/* Role assignments: id, principalId, the role definition's GUID (lower-case), scope. */
int armparse_role_page(const char *body, size_t len, struct model_role **items, size_t *n,
                       char **next_link, char **cause);
/* A vault's private endpoint connection(s): name, endpoint id, status. */
int armparse_pec(const char *body, size_t len, struct model_pec *out, char **cause);
int armparse_pec_page(const char *body, size_t len, struct model_pec **items, size_t *n,
                      char **next_link, char **cause);
/* The answer of PUT .../accessPolicies/{add|replace|remove}: the resulting policies. */
int armparse_access_policies(const char *body, size_t len, struct model_policy **items, size_t *n,
                             char **cause);
/*
 * ARM's view of a vault key (GET .../vaults/{v}/keys/{k}): version and kid
 * from keyUriWithVersion, attributes, kty, keySize as bits, keyOps. It never
 * carries n/e, so the fingerprint stays "". *key_name (optional) as for
 * kvparse_key_bundle.
 */
int armparse_vault_key(const char *body, size_t len, struct model_version *out, char **key_name,
                       char **cause);

/* -- Microsoft.Network, subscriptions, operations (armparse_misc.c) -- */

/* id, name, sub/rg, location; target and status of the first (else first manual) connection. */
int armparse_pe(const char *body, size_t len, struct model_pe *out, char **cause);
int armparse_pe_page(const char *body, size_t len, struct model_pe **items, size_t *n,
                     char **next_link, char **cause);
/* id = subscriptionId, name = displayName. */
int armparse_subscription_page(const char *body, size_t len, struct model_subscription **items,
                               size_t *n, char **next_link, char **cause);
/*
 * An Azure-AsyncOperation status body: *status (required; "InProgress",
 * "Succeeded", "Failed", "Canceled" canonical, others as sent), *error (may be
 * NULL; zeroed when the body has no error object, else parsed as
 * az_error_from_json with the status as code when the error has none) and
 * *resource_location (may be NULL; resourceLocation verbatim or NULL).
 */
int armparse_lro_status(const char *body, size_t len, char **status, struct az_error *error,
                        char **resource_location, char **cause);

#endif
