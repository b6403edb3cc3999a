#include "authz.h"

#include <fnmatch.h>
#include <stddef.h>
#include <strings.h>

#include "vault.h"

/*
 * Built-in roles and their Key Vault data actions (Azure's role definitions,
 * keys part). Patterns use fnmatch: '*' spans segments.
 */
static const struct {
    const char *role;
    const char *actions[10];
} roles[] = {
    {"Key Vault Administrator", {"Microsoft.KeyVault/vaults/*"}},
    {"Key Vault Crypto Officer",
     {"Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/deletedKeys/*",
      "Microsoft.KeyVault/vaults/keyrotationpolicies/*"}},
    {"Key Vault Crypto User",
     {"Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/update/action",
      "Microsoft.KeyVault/vaults/keys/backup/action",
      "Microsoft.KeyVault/vaults/keys/encrypt/action",
      "Microsoft.KeyVault/vaults/keys/decrypt/action", "Microsoft.KeyVault/vaults/keys/wrap/action",
      "Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/sign/action",
      "Microsoft.KeyVault/vaults/keys/verify/action"}},
    {"Key Vault Crypto Service Encryption User",
     {"Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action",
      "Microsoft.KeyVault/vaults/keys/unwrap/action"}},
    {"Key Vault Crypto Service Release User", {"Microsoft.KeyVault/vaults/keys/release/action"}},
    {"Key Vault Reader", {"Microsoft.KeyVault/vaults/*/read"}},
};

bool authz_role_known(const char *role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcasecmp(roles[i].role, role) == 0)
            return true;
    }
    return false;
}

static bool role_allows(const char *role, const char *action)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcasecmp(roles[i].role, role) != 0)
            continue;
        for (size_t j = 0; j < 10 && roles[i].actions[j]; j++) {
            if (fnmatch(roles[i].actions[j], action, 0) == 0)
                return true;
        }
    }
    return false;
}

uint32_t authz_policy_perms(const struct vault *v, const char *tid, const char *oid,
                            const char *appid)
{
    uint32_t granted = 0;
    for (size_t i = 0; i < v->npolicies; i++) {
        const struct access_policy *p = &v->policies[i];
        if (strcasecmp(p->object_id, oid) != 0 || (p->tenant_id && strcasecmp(p->tenant_id, tid)))
            continue;
        if (p->application_id && (appid == NULL || strcasecmp(p->application_id, appid) != 0))
            continue;
        granted |= p->keys;
    }
    return granted;
}

const struct role_assignment *authz_rbac_grant(const struct vault *v, const char *oid,
                                               const char *key_name, const char *action)
{
    for (size_t i = 0; i < v->nroles; i++) {
        const struct role_assignment *ra = &v->roles[i];
        if (strcasecmp(ra->principal_id, oid) != 0)
            continue;
        if (ra->key_scope && (key_name == NULL || strcasecmp(ra->key_scope, key_name) != 0))
            continue;
        if (role_allows(ra->role, action))
            return ra;
    }
    return NULL;
}

bool authz_allows(const struct vault *v, const char *tid, const char *oid, const char *key_name,
                  uint32_t perms, const char *const *actions, int nactions)
{
    if (!v->rbac)
        return (authz_policy_perms(v, tid, oid, NULL) & perms) == perms;
    for (int i = 0; i < nactions; i++) {
        if (authz_rbac_grant(v, oid, key_name, actions[i]) == NULL)
            return false;
    }
    return true;
}
