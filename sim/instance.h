/*
 * instance — SQL managed instances, their registered keys, TDE protector and
 * databases, and the failover groups that pair them.
 *
 * Registered keys ("server keys") are kept as vault + key + version; their
 * URI is rendered with the running emulator's address when answered, so a
 * state folder survives a port change. Each carries the thumbprint SQL would
 * report: 40 upper-case hex characters that depend on the key material only
 * (see instance_thumbprint).
 *
 * The fields under "model" belong to mimodel.c: what the instance last found
 * when it checked its protector. Owned by the world; accessed under its lock.
 */
#ifndef AZSIM_INSTANCE_H
#define AZSIM_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tags.h"

struct rsakey;

#define THUMBPRINT_LEN 41 /* 40 hex + NUL */

struct server_key {
    char *vault;   /* vault name as in the URI */
    char *key;     /* key name */
    char *version; /* 32 hex; NULL for a versionless registration */
    char thumbprint[THUMBPRINT_LEN];
    int64_t created; /* simulated Unix seconds */
};

enum db_status { DB_ONLINE, DB_INACCESSIBLE, DB_CREATING, DB_OFFLINE };

struct database {
    char *name;
    enum db_status status;
    int64_t created;
    char *collation;
};

/* What the instance's last key check found. */
enum mi_access {
    MI_ACCESS_OK,        /* protector reachable in its own vault */
    MI_ACCESS_SECONDARY, /* primary vault out, same-thumbprint key reached in the other vault */
    MI_ACCESS_LOST,      /* neither: databases go Inaccessible after the grace time */
};

struct instance {
    char *name;
    char *subscription_id;
    char *resource_group;
    char *region;
    char *identity_oid;      /* object id of the identity the instance uses for Key Vault */
    char *identity_type;     /* "SystemAssigned" or "UserAssigned" */
    char *identity_resource; /* the user-assigned identity's resource id, or NULL */
    char *sku;               /* e.g. "GP_Gen5" */
    int vcores;
    char *dns_zone;
    int64_t created;
    struct tags tags; /* ARM resource tags (ARM's rules) */

    struct server_key *keys;
    size_t nkeys;
    char *protector; /* server key name ({vault}_{key}_{version}), NULL = ServiceManaged */
    bool auto_rotation;

    struct database *dbs;
    size_t ndbs;

    /* model (mimodel.c) */
    int64_t next_check; /* simulated time of the next key check */
    enum mi_access access;
    int64_t lost_since;     /* first failed check, 0 when access is fine */
    int64_t restored_at;    /* access came back (within the window): heal at restored_at + delay */
    bool revalidate_needed; /* lost for longer than the auto-heal window */
    char last_error[64];    /* Azure's code for the last failure ("AzureKeyVaultKeyDisabled") */
    char *serving;          /* server key name currently unwrapping, NULL when none */

    /* Counters since this process started, for tests (GET /model); never persisted. */
    long inaccessible_events; /* database transitions Online -> Inaccessible */
    long lost_events;         /* times access went from fine to lost (the first failed check) */
};

struct failover_group {
    char *name;
    char *subscription_id;
    char *resource_group;
    char *primary;   /* instance name (current primary) */
    char *secondary; /* instance name */
    bool automatic;  /* readWriteEndpoint.failoverPolicy Automatic, else Manual */
    int grace_minutes;
    bool readonly_enabled;
    char *secondary_type; /* "Geo" or "Standby" */
};

struct private_endpoint {
    char *name;
    char *subscription_id;
    char *resource_group;
    char *region;
    char *vault;  /* the vault it connects to */
    char *status; /* Approved, Pending, Rejected, Disconnected */
    char *ip;     /* private address, e.g. 10.1.2.5 */
};

struct instance *instance_create(const char *name);
void instance_destroy(struct instance *mi);

/* "{vault}_{key}_{version}" (or "{vault}_{key}" when version is NULL), heap. */
char *server_key_name(const struct server_key *k);
char *server_key_name_of(const char *vault, const char *key, const char *version);
struct server_key *instance_find_key(const struct instance *mi, const char *name);
struct server_key *instance_find_thumbprint(const struct instance *mi, const char *thumbprint);
void instance_add_key(struct instance *mi, const char *vault, const char *key, const char *version,
                      const char *thumbprint, int64_t created);
void instance_remove_key(struct instance *mi, const char *name);
struct database *instance_find_db(const struct instance *mi, const char *name);
void instance_add_db(struct instance *mi, const char *name, enum db_status status, int64_t created);
const char *db_status_name(enum db_status status);
int db_status_parse(const char *name); /* -1 when unknown */

/*
 * azsim's thumbprint of RSA material: the upper-case hex SHA-1 of the
 * big-endian modulus bytes. Emulator-only: Azure does not publish its
 * derivation; what matters is that equal material gives equal thumbprints.
 */
void instance_thumbprint(const struct rsakey *key, char out[THUMBPRINT_LEN]);

void failover_group_destroy(struct failover_group *fg);
void private_endpoint_destroy(struct private_endpoint *pe);

#endif
