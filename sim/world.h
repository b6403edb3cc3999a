/*
 * world — everything azsim knows: tenants, subscriptions, regions and their
 * geographies, principals, vaults (with their keys), and the settings of the
 * scenario that built it.
 *
 * Concurrency: one reader-writer lock guards the whole world. Request handlers
 * take it shared to read (GET, list, crypto) and exclusive to change state;
 * the holder of the write lock also persists the change (persist.h) before
 * releasing it, so an acknowledged write is on disk.
 *
 * Ownership: the world owns every entity; pointers handed out are borrowed and
 * valid while the caller holds the lock.
 */
#ifndef AZSIM_WORLD_H
#define AZSIM_WORLD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vault;
struct instance;
struct failover_group;
struct private_endpoint;

struct region {
    char *name;      /* short ARM name, e.g. "eastus2" */
    char *geography; /* e.g. "United States": backup blobs stay inside one */
};

struct tenant {
    char *id;
    char *name;
};

struct subscription {
    char *id;
    char *name;
    char *tenant_id;
};

enum principal_kind { PRINCIPAL_APP, PRINCIPAL_MANAGED_IDENTITY };

struct principal {
    char *name;
    enum principal_kind kind;
    char *tenant_id;
    char *client_id;   /* appid */
    char *object_id;   /* oid: what access policies and role assignments name */
    char *secret;      /* client secret, or NULL */
    char *cert_pem;    /* certificate for client assertions, or NULL */
    char *resource_id; /* managed identity ARM id, or NULL */
    bool imds_default; /* the identity the IMDS endpoint hands out without a selector */
};

struct world_settings {
    int64_t transition_ms;   /* soft-delete / recover transition window, real ms */
    int token_lifetime;      /* access token lifetime, seconds */
    int backup_max_versions; /* a key with more versions cannot be backed up */

    /* Managed-instance model, simulated seconds (DOMAIN.md; reference section E). */
    int64_t mi_check_interval;  /* an instance checks its protector this often (600) */
    int64_t inaccessible_after; /* from the first failed check to Inaccessible (600) */
    int64_t heal_window;        /* access back within this heals on its own (1800) */
    int64_t heal_delay;         /* ... this long after access is back (600) */
    int64_t rotation_pickup;    /* auto-rotation adopts a new version after this (3600) */

    /* ARM. */
    int64_t arm_operation_ms; /* how long a long-running operation runs, real ms (1000) */
    double arm_read_bucket, arm_read_refill;   /* token bucket per principal+subscription */
    double arm_write_bucket, arm_write_refill; /* (250, 25/s) and (200, 10/s) */
};

/* An ARM role assignment (control plane): Owner, Contributor, Reader ... at a scope. */
struct arm_role {
    char *id;
    char *principal_id;
    char *role;
    char *scope; /* "/subscriptions/{sub}" or ".../resourceGroups/{rg}" or a resource id */
};

struct world {
    pthread_rwlock_t lock;
    char *name;        /* scenario name */
    int64_t clock_now; /* simulated time a saved state had reached; 0: none */
    struct world_settings settings;

    struct region *regions;
    size_t nregions;
    struct tenant *tenants;
    size_t ntenants;
    struct subscription *subscriptions;
    size_t nsubscriptions;
    struct principal *principals;
    size_t nprincipals;
    struct vault **vaults;
    size_t nvaults;
    struct instance **instances;
    size_t ninstances;
    struct failover_group **fogs;
    size_t nfogs;
    struct private_endpoint **pes;
    size_t npes;
    struct arm_role *arm_roles;
    size_t narm_roles;
};

struct world *world_create(void);
void world_destroy(struct world *world);

void world_rdlock(struct world *world);
void world_wrlock(struct world *world);
void world_unlock(struct world *world);

/* Lookups: NULL when absent. Names compare case-insensitively, ids exactly (GUIDs: ignoring case).
 */
struct vault *world_vault(const struct world *world, const char *name);
const struct tenant *world_tenant(const struct world *world, const char *id_or_name);
const struct subscription *world_subscription(const struct world *world, const char *id_or_name);
const struct region *world_region(const struct world *world, const char *name);
const struct principal *world_principal(const struct world *world, const char *name_or_id);
const struct principal *world_principal_by_client(const struct world *world, const char *tenant_id,
                                                  const char *client_id);
const struct principal *world_principal_by_oid(const struct world *world, const char *object_id);

/* The geography of a region, or NULL for an unknown region. */
const char *world_geography(const struct world *world, const char *region);

/* Additions: the world takes ownership of the strings inside each struct / the vault. */
void world_add_region(struct world *world, struct region region);
void world_add_tenant(struct world *world, struct tenant tenant);
void world_add_subscription(struct world *world, struct subscription sub);
void world_add_principal(struct world *world, struct principal principal);
void world_add_vault(struct world *world, struct vault *vault);
void world_add_instance(struct world *world, struct instance *mi);
void world_add_fog(struct world *world, struct failover_group *fg);
void world_add_pe(struct world *world, struct private_endpoint *pe);
void world_add_arm_role(struct world *world, struct arm_role role);

struct instance *world_instance(const struct world *world, const char *name);
/* The failover group an instance belongs to, or NULL. */
struct failover_group *world_fog_of(const struct world *world, const char *instance);
struct failover_group *world_fog(const struct world *world, const char *name);
struct private_endpoint *world_pe(const struct world *world, const char *name);
/* The private endpoint in region that connects to vault, or NULL. */
struct private_endpoint *world_pe_for(const struct world *world, const char *vault,
                                      const char *region);

#endif
