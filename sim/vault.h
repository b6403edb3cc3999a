/*
 * vault — one key vault: its properties (as ARM shows them), who may do what
 * (access policies or RBAC role assignments), its network rules, and its keys.
 *
 * Owned by the world (world.h); every access happens under the world lock.
 * Keys are found by name case-insensitively, whatever their state (live,
 * deleted, in transition); the caller looks at key_state().
 */
#ifndef AZSIM_VAULT_H
#define AZSIM_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tags.h"

struct key;

/* Key permissions of the access-policy model (ARM permissions.keys). */
enum kperm {
    KPERM_ENCRYPT = 1u << 0,
    KPERM_DECRYPT = 1u << 1,
    KPERM_WRAPKEY = 1u << 2,
    KPERM_UNWRAPKEY = 1u << 3,
    KPERM_SIGN = 1u << 4,
    KPERM_VERIFY = 1u << 5,
    KPERM_GET = 1u << 6,
    KPERM_LIST = 1u << 7,
    KPERM_CREATE = 1u << 8,
    KPERM_UPDATE = 1u << 9,
    KPERM_IMPORT = 1u << 10,
    KPERM_DELETE = 1u << 11,
    KPERM_BACKUP = 1u << 12,
    KPERM_RESTORE = 1u << 13,
    KPERM_RECOVER = 1u << 14,
    KPERM_PURGE = 1u << 15,
    KPERM_RELEASE = 1u << 16,
    KPERM_ROTATE = 1u << 17,
    KPERM_GETROTATIONPOLICY = 1u << 18,
    KPERM_SETROTATIONPOLICY = 1u << 19,
};
#define KPERM_ALL ((1u << 20) - 1)

/* "get" -> KPERM_GET, "all" -> KPERM_ALL; case-insensitive; 0 when unknown. */
uint32_t kperm_parse(const char *name);
/* The ARM spelling of one permission bit ("wrapKey", "getrotationpolicy"). */
const char *kperm_name(uint32_t bit);

struct access_policy {
    char *tenant_id;
    char *object_id;
    char *application_id; /* NULL unless a compound identity */
    uint32_t keys;        /* enum kperm bits */
};

struct role_assignment {
    char *id;           /* GUID */
    char *principal_id; /* object id */
    char *role;         /* built-in role name, e.g. "Key Vault Crypto Officer" */
    char *key_scope;    /* NULL: the whole vault; else one key name */
};

struct ip_rule {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int prefix;
    char *text; /* as ARM shows it: "10.0.0.1/32" */
};

struct vault {
    char *name;
    char *subscription_id;
    char *resource_group;
    char *region;
    char *tenant_id;
    char *sku;        /* "standard" or "premium" */
    struct tags tags; /* ARM resource tags (ARM's rules) */

    bool soft_delete;
    int retention_days;
    bool purge_protection;
    bool rbac;
    bool public_access;    /* publicNetworkAccess Enabled */
    bool acl_deny;         /* networkAcls.defaultAction Deny */
    bool acl_bypass_azure; /* networkAcls.bypass AzureServices */
    struct ip_rule *ip_rules;
    size_t nip_rules;

    struct access_policy *policies;
    size_t npolicies;
    struct role_assignment *roles;
    size_t nroles;

    struct key **keys;
    size_t nkeys;

    /* A soft-deleted vault: its name no longer resolves; ARM lists it under deletedVaults. */
    bool deleted;
    int64_t deleted_date;    /* simulated Unix seconds */
    int64_t scheduled_purge; /* simulated Unix seconds */
    bool read_only;          /* a regional failover in progress: writes refused */
};

struct vault *vault_create(const char *name);
void vault_destroy(struct vault *vault);

struct key *vault_find_key(const struct vault *vault, const char *name);
void vault_add_key(struct vault *vault, struct key *key);    /* takes key */
void vault_remove_key(struct vault *vault, struct key *key); /* destroys it */

/* recoveryLevel of keys in this vault ("Recoverable", "CustomizedRecoverable+Purgeable" ...). */
const char *vault_recovery_level(const struct vault *vault);

/* Parses "10.1.2.3", "10.1.0.0/16", "2001:db8::/32" into *rule. -1 when malformed. */
int ip_rule_parse(const char *text, struct ip_rule *rule);
void ip_rule_cleanup(struct ip_rule *rule);
/* True when addr (AF_INET: 4 bytes, AF_INET6: 16 bytes; v4-mapped v6 counts as v4) matches. */
bool ip_rule_match(const struct ip_rule *rule, int family, const unsigned char *addr);

#endif
