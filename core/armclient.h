/*
 * armclient — the ARM operations tdectl uses (reference/azure-protocol.md
 * sections 4–7): Microsoft.Sql managed instances, their keys, encryption
 * protector and databases, instance failover groups; Microsoft.KeyVault
 * vaults and deleted vaults; Microsoft.Authorization role assignments;
 * Microsoft.Network private endpoints; subscriptions.
 *
 * Every function starts one call and returns it (cancel with azure_cancel).
 * Results are model structs (core/model.h) that the callback adopts: it owns
 * the items and the array, even on failure (then usually none). Lists follow
 * nextLink to the end. Writes are long-running operations (azure_lro) and
 * are refused by the transport in read-only mode.
 */
#ifndef TDECTL_ARMCLIENT_H
#define TDECTL_ARMCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "azure.h"
#include "model.h"

/* The api-versions tdectl sends (the newest stable ones). */
#define ARM_API_SQL           "2025-01-01"
#define ARM_API_KEYVAULT      "2026-02-01"
#define ARM_API_NETWORK       "2025-05-01"
#define ARM_API_AUTHORIZATION "2022-04-01"
#define ARM_API_RESOURCES     "2022-12-01"

typedef void (*arm_subscriptions_fn)(const struct az_status *st, struct model_subscription *items,
                                     size_t n, void *arg);
typedef void (*arm_instances_fn)(const struct az_status *st, struct model_instance *items, size_t n,
                                 void *arg);
typedef void (*arm_server_keys_fn)(const struct az_status *st, struct model_server_key *items,
                                   size_t n, void *arg);
typedef void (*arm_databases_fn)(const struct az_status *st, struct model_database *items, size_t n,
                                 void *arg);
typedef void (*arm_fogs_fn)(const struct az_status *st, struct model_fog *items, size_t n,
                            void *arg);
typedef void (*arm_vaults_fn)(const struct az_status *st, struct model_vault *items, size_t n,
                              void *arg);
typedef void (*arm_roles_fn)(const struct az_status *st, struct model_role *items, size_t n,
                             void *arg);
typedef void (*arm_pes_fn)(const struct az_status *st, struct model_pe *items, size_t n, void *arg);
typedef void (*arm_names_fn)(const struct az_status *st, char **names, size_t n, void *arg);
/* Single objects: the struct is the callback's (zeroed when the call failed). */
typedef void (*arm_protector_fn)(const struct az_status *st, struct model_protector *p, void *arg);
typedef void (*arm_server_key_fn)(const struct az_status *st, struct model_server_key *k,
                                  void *arg);
typedef void (*arm_instance_fn)(const struct az_status *st, struct model_instance *mi, void *arg);
typedef void (*arm_vault_fn)(const struct az_status *st, struct model_vault *v, void *arg);
typedef void (*arm_fog_fn)(const struct az_status *st, struct model_fog *fg, void *arg);

struct az_call *arm_list_subscriptions(struct azure *az, arm_subscriptions_fn fn, void *arg);
struct az_call *arm_list_instances(struct azure *az, const char *subscription, arm_instances_fn fn,
                                   void *arg);
struct az_call *arm_get_instance(struct azure *az, const char *instance_id, arm_instance_fn fn,
                                 void *arg);
struct az_call *arm_list_server_keys(struct azure *az, const char *instance_id,
                                     arm_server_keys_fn fn, void *arg);
struct az_call *arm_get_protector(struct azure *az, const char *instance_id, arm_protector_fn fn,
                                  void *arg);
struct az_call *arm_list_databases(struct azure *az, const char *instance_id, arm_databases_fn fn,
                                   void *arg);
struct az_call *arm_list_fogs(struct azure *az, const char *subscription,
                              const char *resource_group, const char *location, arm_fogs_fn fn,
                              void *arg);
struct az_call *arm_get_fog(struct azure *az, const char *subscription, const char *resource_group,
                            const char *location, const char *name, arm_fog_fn fn, void *arg);
struct az_call *arm_list_vaults(struct azure *az, const char *subscription, arm_vaults_fn fn,
                                void *arg);
struct az_call *arm_get_vault(struct azure *az, const char *vault_id, arm_vault_fn fn, void *arg);
struct az_call *arm_list_deleted_vaults(struct azure *az, const char *subscription, arm_names_fn fn,
                                        void *arg);
/* Role assignments at a scope and above it (atScope()). */
struct az_call *arm_list_roles(struct azure *az, const char *scope, arm_roles_fn fn, void *arg);
struct az_call *arm_list_pes(struct azure *az, const char *subscription, arm_pes_fn fn, void *arg);

/* -- writes (long-running; refused in read-only mode) -- */

/* The name SQL gives a registered key: {vault}_{key}_{version} (heap), NULL when uri is no key URI.
 */
char *arm_server_key_name(const char *key_uri);
/* Registers key_uri on the instance (PUT .../keys/{name}). */
struct az_call *arm_put_server_key(struct azure *az, const char *instance_id, const char *key_uri,
                                   arm_server_key_fn fn, void *arg);
/* Makes a registered key the protector (PUT .../encryptionProtector/current). */
struct az_call *arm_set_protector(struct azure *az, const char *instance_id,
                                  const char *server_key_name, bool auto_rotation,
                                  arm_protector_fn fn, void *arg);
/* POST .../encryptionProtector/current/revalidate. */
struct az_call *arm_revalidate(struct azure *az, const char *instance_id, az_fn fn, void *arg);
/* POST .../validateAzureKeyVaultEncryptionKey (read-only: allowed in read-only mode). */
struct az_call *arm_validate_key(struct azure *az, const char *instance_id, const char *key_uri,
                                 az_fn fn, void *arg);
/* Planned (or forced) failover, sent to the secondary's location as Azure requires. */
struct az_call *arm_fog_failover(struct azure *az, const struct model_fog *fg, bool force, az_fn fn,
                                 void *arg);

#endif
