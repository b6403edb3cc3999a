/*
 * key — one Key Vault key: its versions, its soft-delete state and its
 * rotation policy.
 *
 * A key is owned by its vault (vault.h) and every access happens under the
 * world lock (world.h). Versions are kept in creation order; the last one is
 * "latest", which is what a versionless request means.
 *
 * State: a key is stored either live or deleted; a short transition window
 * after delete and after recover (soft_delete_transition_ms of real time)
 * makes it look half-way, as the real service does: during "deleting" the key
 * is neither at /keys nor yet at /deletedkeys, during "recovering" it is at
 * neither /deletedkeys nor yet /keys, and conflicting calls get 409. Past its
 * scheduled purge date a deleted key is gone. key_state() computes this from
 * timestamps without mutating, so readers need only the read lock.
 */
#ifndef AZSIM_KEY_H
#define AZSIM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "policy.h"
#include "tags.h" /* a version's tags (Key Vault's rules) */

struct rsakey;

#define KEY_NAME_MAX   127
#define KEY_VERSION_ID 33 /* 32 lower-case hex + NUL */

/* JWK key_ops, in the order Key Vault lists them. */
enum keyop {
    KEYOP_ENCRYPT = 1u << 0,
    KEYOP_DECRYPT = 1u << 1,
    KEYOP_SIGN = 1u << 2,
    KEYOP_VERIFY = 1u << 3,
    KEYOP_WRAP = 1u << 4,
    KEYOP_UNWRAP = 1u << 5,
    KEYOP_IMPORT = 1u << 6,
    KEYOP_EXPORT = 1u << 7,
};
#define KEYOP_RSA_DEFAULT \
    (KEYOP_ENCRYPT | KEYOP_DECRYPT | KEYOP_SIGN | KEYOP_VERIFY | KEYOP_WRAP | KEYOP_UNWRAP)

struct key_version {
    char id[KEY_VERSION_ID];
    struct rsakey *material; /* one reference owned */
    bool hsm;                /* kty RSA-HSM */
    unsigned ops;            /* enum keyop bits */
    bool enabled;
    int64_t nbf, exp; /* Unix seconds; 0 = not set */
    int64_t created, updated;
    bool exportable;
    struct tags tags;
};

enum key_state { KEY_LIVE, KEY_DELETING, KEY_DELETED, KEY_RECOVERING, KEY_PURGED };

struct key {
    char *name; /* spelling used at creation */
    struct key_version **versions;
    size_t nversions;
    struct rotation_policy policy;
    bool managed;

    bool deleted;             /* stored state */
    int64_t deleted_date;     /* simulated Unix seconds */
    int64_t scheduled_purge;  /* simulated Unix seconds */
    int64_t transition_until; /* real monotonic ms: deleting/recovering until then */
};

struct key *key_create(const char *name);
void key_destroy(struct key *key);

/* Takes a reference to material. New versions are enabled, with default ops. */
struct key_version *key_version_create(struct rsakey *material, bool hsm, int64_t now);
struct key_version *key_version_clone(const struct key_version *v);
void key_version_destroy(struct key_version *v);
void key_add_version(struct key *key, struct key_version *v); /* takes v */

struct key_version *key_latest(const struct key *key);
struct key_version *key_find_version(const struct key *key, const char *id);

enum key_state key_state(const struct key *key, int64_t mono_ms, int64_t sim_now);

/* Name rule of the service: 1-127 of [0-9a-zA-Z-]. */
bool key_name_valid(const char *name);
bool key_version_id_valid(const char *id);
void key_version_id_random(char out[KEY_VERSION_ID]);

/*
 * Why the version cannot serve at `now`: NULL when it can, else the innererror
 * code ("KeyDisabled", "KeyExpired", "KeyNotYetValid") with *what a static
 * explanation fragment ("a disabled key").
 */
const char *key_version_unusable(const struct key_version *v, int64_t now, const char **what);
/* Only the nbf/exp window part of the above ("KeyExpired", "KeyNotYetValid" or NULL). */
const char *key_version_out_of_window(const struct key_version *v, int64_t now, const char **what);

/* key_ops <-> JSON. from_json: -1 with *cause on anything but an array of known names. */
int keyops_from_json(const cJSON *array, unsigned *ops, char **cause);
cJSON *keyops_to_json(unsigned ops);
unsigned keyop_parse(const char *name); /* 0 when unknown */

#endif
