/*
 * model — tdectl's picture of the estate: subscriptions, instance failover
 * groups, managed instances (identity, registered keys, protector, databases),
 * key vaults (properties, access, private endpoint connections), their keys and
 * key versions, and private endpoints.
 *
 * Ownership: the model owns every entity and every string in it. Entities are
 * plain structs so that health, what-if and the front ends can read them
 * directly; they are changed only through model_* functions and the parsers
 * (which fill a fresh struct that a model_put_* function then adopts). A
 * pointer into the model stays valid until the next model_put_* / model_drop_*
 * call or model_destroy; front ends re-read after the generation changes.
 *
 * Freshness: every part that is read from Azure carries a struct fresh: when
 * it was last read successfully, when it was last tried, and why the last try
 * failed (the data then is the last good one, marked stale). Nothing is
 * dropped because a read failed.
 *
 * Generation: every change bumps model->generation, so a front end redraws
 * only when it moved.
 */
#ifndef TDECTL_MODEL_H
#define TDECTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The state of one read. Times are wall-clock Unix milliseconds; 0 = never. */
struct fresh {
    int64_t read_at;  /* last successful read */
    int64_t tried_at; /* last attempt, successful or not */
    enum core_err err;
    int status;       /* HTTP status of the failed attempt, 0 if none */
    char *error;      /* "code: message" of the failed attempt; NULL when the last one worked */
    char *request_id; /* x-ms-request-id of the last attempt (what support asks for) */
};

/* Key Vault key operations (key_ops) and access-policy key permissions. */
enum {
    MODEL_OP_ENCRYPT = 1u << 0,
    MODEL_OP_DECRYPT = 1u << 1,
    MODEL_OP_WRAP = 1u << 2,
    MODEL_OP_UNWRAP = 1u << 3,
    MODEL_OP_SIGN = 1u << 4,
    MODEL_OP_VERIFY = 1u << 5,
    MODEL_OP_IMPORT = 1u << 6,
    MODEL_OP_EXPORT = 1u << 7,
};
enum {
    MODEL_PERM_GET = 1u << 0,
    MODEL_PERM_LIST = 1u << 1,
    MODEL_PERM_WRAP = 1u << 2,
    MODEL_PERM_UNWRAP = 1u << 3,
    MODEL_PERM_CREATE = 1u << 4,
    MODEL_PERM_IMPORT = 1u << 5,
    MODEL_PERM_UPDATE = 1u << 6,
    MODEL_PERM_BACKUP = 1u << 7,
    MODEL_PERM_RESTORE = 1u << 8,
    MODEL_PERM_DELETE = 1u << 9,
    MODEL_PERM_RECOVER = 1u << 10,
    MODEL_PERM_PURGE = 1u << 11,
    MODEL_PERM_ENCRYPT = 1u << 12,
    MODEL_PERM_DECRYPT = 1u << 13,
    MODEL_PERM_SIGN = 1u << 14,
    MODEL_PERM_VERIFY = 1u << 15,
    MODEL_PERM_ROTATE = 1u << 16,
    MODEL_PERM_GETROTATIONPOLICY = 1u << 17,
    MODEL_PERM_SETROTATIONPOLICY = 1u << 18,
    MODEL_PERM_RELEASE = 1u << 19,
    MODEL_PERM_ALL = (1u << 20) - 1,
};

/* The built-in role SQL needs on an RBAC vault. */
#define MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER "e147488a-f6f5-4113-8e2d-b22465e65bf6"

/* SHA-256 hex of the public key (see model_fingerprint). */
#define MODEL_FINGERPRINT_LEN 65

/* One version of a Key Vault key, from the data plane. */
struct model_version {
    char *version; /* 32 lower-case hex */
    char *kid;     /* https://{vault}.vault.../keys/{name}/{version}, normalised */
    bool enabled;
    int64_t nbf, exp;         /* Unix seconds; 0 = not set */
    int64_t created, updated; /* Unix seconds */
    char *recovery_level;     /* "Recoverable+Purgeable", ...; NULL when not given */
    char *kty;                /* "RSA", "RSA-HSM", ...; NULL until the version was read */
    int bits;                 /* modulus size; 0 until the material was read */
    unsigned ops;             /* MODEL_OP_* */
    bool ops_known;           /* key_ops was present */
    char fingerprint[MODEL_FINGERPRINT_LEN]; /* "" until the material was read */
    struct fresh fresh;                      /* the GET of this version */
};

/* A key's rotation policy, as far as health needs it. */
struct model_rotation {
    bool read;         /* the policy was read at least once */
    bool notify;       /* a Notify action exists */
    bool rotate;       /* a Rotate action exists (Key Vault makes new versions itself) */
    char *expiry_time; /* ISO 8601 duration, NULL when unset */
};

struct model_key {
    char *name;
    struct model_version *versions; /* oldest first (by created, then version) */
    size_t nversions;
    bool managed;
    struct model_rotation rotation;
    struct fresh versions_fresh; /* the list of versions */
    struct fresh rotation_fresh;
};

/* An access policy entry (access-policy vaults). */
struct model_policy {
    char *tenant_id;
    char *object_id;
    char *application_id; /* NULL unless compound */
    unsigned key_perms;   /* MODEL_PERM_* */
};

/* A role assignment at the vault's scope or above (RBAC vaults). */
struct model_role {
    char *id;
    char *principal_id;
    char *role_definition_id; /* the GUID at the end of roleDefinitionId, lower-case */
    char *scope;
};

/* A private endpoint connection as the vault reports it. */
struct model_pec {
    char *name;
    char *endpoint_id; /* the private endpoint's resource id */
    char *status;      /* Approved, Pending, Rejected, Disconnected */
};

struct model_vault {
    char *name; /* lower-case */
    char *id;   /* ARM resource id; NULL when known only from a key URI */
    char *uri;  /* https://{name}.vault.azure.net (no trailing slash) */
    char *subscription_id;
    char *resource_group;
    char *location;
    char *tenant_id;
    char *sku; /* "standard" / "premium" */
    bool soft_delete;
    bool purge_protection;
    int retention_days;
    bool rbac;
    int rbac_before;      /* rbac as first seen: -1 unknown, 0, 1 (a flip is finding V08) */
    bool deleted;         /* found among deleted vaults */
    char *default_action; /* networkAcls.defaultAction: "Allow" / "Deny"; NULL = Allow */
    char *bypass;         /* networkAcls.bypass: "AzureServices" / "None" */
    char *public_network_access;
    struct model_policy *policies;
    size_t npolicies;
    struct model_role *roles;
    size_t nroles;
    bool roles_known; /* role assignments could be read */
    struct model_pec *pecs;
    size_t npecs;
    struct model_key *keys; /* sorted by name (case-insensitive) */
    size_t nkeys;
    struct fresh arm_fresh;   /* the ARM vault resource */
    struct fresh roles_fresh; /* role assignments */
    struct fresh keys_fresh;  /* the data-plane key list */
    /* The console's own path to the vault (a probe request, timed). */
    struct fresh probe_fresh;
    int64_t probe_latency_ms; /* of the last successful probe; -1 none */
};

/* A key registered on a managed instance (managedInstances/{mi}/keys). */
struct model_server_key {
    char *name;       /* {vault}_{key}_{version} */
    char *type;       /* "AzureKeyVault" / "ServiceManaged" */
    char *uri;        /* normalised key URI, NULL for ServiceManaged */
    char *thumbprint; /* 40 upper-case hex, as SQL reports it */
    int64_t created;  /* Unix seconds; 0 when not given */
    bool auto_rotation;
};

struct model_protector {
    char *server_key_name;
    char *type; /* "AzureKeyVault" / "ServiceManaged" */
    char *uri;
    char *thumbprint;
    bool auto_rotation;
};

struct model_database {
    char *name;
    char *status; /* "Online", "Inaccessible", ... as ARM says */
};

struct model_uami {
    char *id; /* resource id */
    char *principal_id;
    char *client_id;
};

struct model_instance {
    char *id; /* ARM resource id (the key for lookups, compared case-insensitively) */
    char *name;
    char *subscription_id;
    char *resource_group;
    char *location;
    char *state; /* "Ready", ... */
    char *identity_type;
    char *principal_id; /* system-assigned identity */
    char *tenant_id;
    char *primary_uami; /* primaryUserAssignedIdentityId */
    struct model_uami *uamis;
    size_t nuamis;
    struct model_server_key *keys;
    size_t nkeys;
    struct model_protector protector;
    struct model_database *dbs;
    size_t ndbs;
    /*
     * Thumbprints seen as this instance's protector, oldest first, kept across
     * runs by the snapshot: backups written under them still need the material.
     */
    char **past_protectors;
    size_t npast;
    /* When a database was first seen Inaccessible (wall ms), 0 when none is. */
    int64_t inaccessible_since;
    /*
     * The operator lock a wizard holds on this instance (tags, core/oplock), as
     * the ARM resource last showed it: lock_owner NULL when none; lock_bad when
     * the tags are there but unreadable (held: never overwritten).
     */
    char *lock_owner;
    char *lock_reason;
    char *lock_op;
    int64_t lock_expires; /* Unix seconds */
    bool lock_bad;
    struct fresh arm_fresh;
    struct fresh keys_fresh;
    struct fresh protector_fresh;
    struct fresh dbs_fresh;
};

struct model_fog {
    char *name;
    char *id;
    char *subscription_id;
    char *resource_group;
    char *primary_location; /* where the primary role is */
    char *secondary_location;
    char *primary_id; /* instance resource ids */
    char *secondary_id;
    char *replication_state;
    char *failover_policy; /* "Automatic" / "Manual" */
    int grace_minutes;
    struct fresh fresh;
};

struct model_pe {
    char *id;
    char *name;
    char *subscription_id;
    char *resource_group;
    char *location;
    char *target_id; /* privateLinkServiceId: the vault's resource id */
    char *status;    /* connection state as the endpoint reports it */
    struct fresh fresh;
};

struct model_subscription {
    char *id;
    char *name;
    struct fresh fresh;
};

struct model {
    uint64_t generation;
    struct model_subscription **subs;
    size_t nsubs;
    struct model_fog **fogs;
    size_t nfogs;
    struct model_instance **instances;
    size_t ninstances;
    struct model_vault **vaults;
    size_t nvaults;
    struct model_pe **pes;
    size_t npes;
    int64_t snapshot_at; /* wall ms of the snapshot this was loaded from; 0: live */
};

struct model *model_create(void);
void model_destroy(struct model *m);
/* Marks a change (front ends compare generations). */
void model_bump(struct model *m);

/*
 * Lookups, all case-insensitive. model_vault_by_uri accepts any key or vault
 * URI (https://NAME.vault.../keys/...): the vault is its first host label.
 */
struct model_instance *model_instance(const struct model *m, const char *id);
struct model_instance *model_instance_by_name(const struct model *m, const char *name);
struct model_vault *model_vault(const struct model *m, const char *name);
struct model_vault *model_vault_by_id(const struct model *m, const char *id);
struct model_vault *model_vault_by_uri(const struct model *m, const char *uri);
struct model_fog *model_fog(const struct model *m, const char *id);
struct model_fog *model_fog_of(const struct model *m, const struct model_instance *mi);
struct model_pe *model_pe(const struct model *m, const char *id);
struct model_key *model_key(const struct model_vault *v, const char *name);
struct model_version *model_version(const struct model_key *k, const char *version);
/* The version a key URI names (the latest when the URI has none), or NULL. */
struct model_version *model_version_by_uri(const struct model *m, const char *uri);

/*
 * Adoption: put_* takes the contents of *e (leaving it zeroed) and either adds
 * a new entity or replaces the matching one (same id / name). Parts a parser
 * could not know (freshness of sub-reads, a vault's keys, an instance's past
 * protectors) are kept from the existing entity. Each bumps the generation.
 */
struct model_vault *model_put_vault(struct model *m, struct model_vault *v);
struct model_instance *model_put_instance(struct model *m, struct model_instance *mi);
struct model_fog *model_put_fog(struct model *m, struct model_fog *fg);
struct model_pe *model_put_pe(struct model *m, struct model_pe *pe);
struct model_subscription *model_put_subscription(struct model *m, struct model_subscription *s);
/* Puts m->vaults in name order (model_put_vault keeps it; loaders that fill the array call this).
 */
void model_sort_vaults(struct model *m);
/* Replaces an instance's registered keys / protector / databases (adopting the arrays). */
void model_set_server_keys(struct model *m, struct model_instance *mi,
                           struct model_server_key *keys, size_t n);
void model_set_protector(struct model *m, struct model_instance *mi, struct model_protector *p,
                         int64_t now_ms);
/* Records the protector's thumbprint (from the protector or its registered key) as seen. */
void model_note_protector(struct model *m, struct model_instance *mi);
void model_set_databases(struct model *m, struct model_instance *mi, struct model_database *dbs,
                         size_t n, int64_t now_ms);
/* A vault's key names from the data-plane list: keys no longer listed are dropped. */
void model_set_key_names(struct model *m, struct model_vault *v, char **names, size_t n);
/* Replaces a key's versions (adopting the array); versions already read keep their material. */
void model_set_versions(struct model *m, struct model_key *k, struct model_version *versions,
                        size_t n);
/* Stores one version read with its material (adopting *ver). */
void model_put_version(struct model *m, struct model_key *k, struct model_version *ver);

/* Freshness bookkeeping: a success, or a failure that keeps the old data. */
void model_fresh_ok(struct model *m, struct fresh *f, int64_t now_ms, const char *request_id);
void model_fresh_fail(struct model *m, struct fresh *f, int64_t now_ms, enum core_err err,
                      int status, const char *error, const char *request_id);
/* True when f was never read or its last try failed. */
bool model_fresh_stale(const struct fresh *f);

/* Entity cleanup for parsers' scratch structs (frees members, zeroes). */
void model_vault_cleanup(struct model_vault *v);
void model_key_cleanup(struct model_key *k);
void model_version_cleanup(struct model_version *v);
void model_instance_cleanup(struct model_instance *mi);
void model_server_key_cleanup(struct model_server_key *k);
void model_protector_cleanup(struct model_protector *p);
void model_database_cleanup(struct model_database *d);
void model_fog_cleanup(struct model_fog *fg);
void model_pe_cleanup(struct model_pe *pe);
void model_fresh_cleanup(struct fresh *f);
void model_subscription_cleanup(struct model_subscription *s);
void model_policy_cleanup(struct model_policy *p);
void model_role_cleanup(struct model_role *r);
void model_pec_cleanup(struct model_pec *p);

/*
 * Key URIs. normalise: lower-case scheme and host, drop ":443" and trailing
 * slashes, keep the path's case; NULL when it is not an https key or vault URI.
 * parse: the vault name (lower-case), key name and version ("" when absent);
 * -1 when one of them holds anything but ASCII letters, digits and '-' (Key
 * Vault's own rule), so a garbled identifier never names some other key.
 */
char *model_uri_normalise(const char *uri);
int model_uri_parse(const char *uri, char vault[128], char key[128], char version[64]);

/*
 * The fingerprint of an RSA public key, tdectl's own: SHA-256 over the
 * big-endian modulus and exponent (leading zero bytes stripped), each preceded
 * by its length as 4 big-endian bytes, as lower-case hex. Same material in two
 * vaults gives the same fingerprint; it is not SQL's thumbprint (Azure does not
 * publish that derivation), which tdectl only ever compares with itself.
 */
void model_fingerprint(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
                       char out[MODEL_FINGERPRINT_LEN]);

#endif
