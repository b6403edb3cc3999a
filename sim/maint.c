#include "maint.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arm.h"
#include "fault.h"
#include "key.h"
#include "mimodel.h"
#include "policy.h"
#include "rsakey.h"
#include "sim.h"
#include "simclock.h"
#include "slog.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

struct due {
    char *vault;
    char *key;
    int bits;
};

static bool rotation_due(const struct key *key, int64_t mono, int64_t now)
{
    if (key_state(key, mono, now) != KEY_LIVE || !key->policy.set)
        return false;
    const struct key_version *latest = key_latest(key);
    int64_t due = policy_rotation_due(&key->policy, latest->created, latest->exp);
    return due != 0 && due <= now;
}

/* Under the read lock: which keys are due, and whether anything waits to be purged. */
static size_t collect(struct sim *sim, struct due **out, bool *purge)
{
    struct world *w = sim->world;
    int64_t mono = simclock_mono_ms(), now = simclock_now();
    size_t n = 0;
    *out = NULL;
    *purge = false;
    for (size_t i = 0; i < w->nvaults; i++) {
        const struct vault *v = w->vaults[i];
        for (size_t j = 0; j < v->nkeys; j++) {
            const struct key *k = v->keys[j];
            *purge |= key_state(k, mono, now) == KEY_PURGED;
            if (!rotation_due(k, mono, now))
                continue;
            *out = xrealloc(*out, n + 1, sizeof **out);
            (*out)[n++] = (struct due){xstrdup(v->name), xstrdup(k->name),
                                       rsakey_bits(key_latest(k)->material)};
        }
    }
    return n;
}

static bool rotate_one(struct sim *sim, const struct due *d, struct rsakey *material)
{
    struct world *w = sim->world;
    int64_t now = simclock_now();
    struct vault *v = world_vault(w, d->vault);
    struct key *k = v ? vault_find_key(v, d->key) : NULL;
    if (k == NULL || !rotation_due(k, simclock_mono_ms(), now))
        return false;
    const struct key_version *latest = key_latest(k);
    struct key_version *nv = key_version_create(material, latest->hsm, now);
    nv->ops = latest->ops;
    if (k->policy.expiry[0])
        nv->exp = now + k->policy.expiry_seconds;
    key_add_version(k, nv);
    slog(SLOG_INFO, "rotation policy: key %s in vault %s rotated to version %s", k->name, v->name,
         nv->id);
    return true;
}

static void purge_expired(struct sim *sim)
{
    struct world *w = sim->world;
    int64_t mono = simclock_mono_ms(), now = simclock_now();
    for (size_t i = 0; i < w->nvaults; i++) {
        struct vault *v = w->vaults[i];
        for (size_t j = v->nkeys; j-- > 0;) {
            if (key_state(v->keys[j], mono, now) == KEY_PURGED) {
                slog(SLOG_INFO, "key %s in vault %s purged at the end of its retention",
                     v->keys[j]->name, v->name);
                vault_remove_key(v, v->keys[j]);
            }
        }
    }
}

static int key_maintenance(struct sim *sim)
{
    struct due *due;
    bool purge;
    world_rdlock(sim->world);
    size_t n = collect(sim, &due, &purge);
    world_unlock(sim->world);
    if (n == 0 && !purge)
        return 0;

    int rotated = 0;
    for (size_t i = 0; i < n; i++) {
        char *cause = NULL;
        struct rsakey *material = rsakey_generate(due[i].bits, 65537, &cause);
        if (material == NULL) {
            slog(SLOG_ERROR, "rotation policy: key generation failed: %s", cause);
            free(cause);
            continue;
        }
        world_wrlock(sim->world);
        if (rotate_one(sim, &due[i], material)) {
            rotated++;
            sim_persist(sim);
        }
        world_unlock(sim->world);
        rsakey_unref(material);
    }
    if (purge) {
        world_wrlock(sim->world);
        purge_expired(sim);
        sim_persist(sim);
        world_unlock(sim->world);
    }
    for (size_t i = 0; i < n; i++) {
        free(due[i].vault);
        free(due[i].key);
    }
    free(due);
    return rotated;
}

/* Serialises whole passes: the main loop and the control interface may both ask for one. */
static pthread_mutex_t pass = PTHREAD_MUTEX_INITIALIZER;

int maint_tick(struct sim *sim)
{
    pthread_mutex_lock(&pass);
    fault_expire();
    int rotated = key_maintenance(sim);
    arm_tick(sim);
    world_wrlock(sim->world);
    if (mimodel_tick(sim, simclock_now()))
        sim_persist(sim);
    world_unlock(sim->world);
    pthread_mutex_unlock(&pass);
    return rotated;
}
