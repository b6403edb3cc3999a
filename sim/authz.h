/*
 * authz — who may do what with a vault's keys: the access-policy model
 * (permissions per tenant + object id, optionally + application id) or, when
 * the vault uses RBAC, built-in role assignments at vault or key scope. Used
 * by the data plane for every request and by the managed-instance model to
 * decide whether an instance's identity can still reach its protector.
 * Callers hold the world lock.
 */
#ifndef AZSIM_AUTHZ_H
#define AZSIM_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

struct vault;
struct role_assignment;

/* True for a built-in Key Vault role name azsim knows the data actions of. */
bool authz_role_known(const char *role);

/* Union of the key permissions (enum kperm) the vault's access policies grant. */
uint32_t authz_policy_perms(const struct vault *v, const char *tid, const char *oid,
                            const char *appid);

/* The role assignment that allows `action` (a data action) for oid on key_name, or NULL. */
const struct role_assignment *authz_rbac_grant(const struct vault *v, const char *oid,
                                               const char *key_name, const char *action);

/* Whether oid may do everything in perms (access policies) or every action (RBAC) on key_name. */
bool authz_allows(const struct vault *v, const char *tid, const char *oid, const char *key_name,
                  uint32_t perms, const char *const *actions, int nactions);

#endif
