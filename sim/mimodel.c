#include "mimodel.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "fault.h"
#include "instance.h"
#include "key.h"
#include "rsakey.h"
#include "sim.h"
#include "slog.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

static const char *const access_names[] = {"ok", "secondary", "lost"};

const char *mimodel_access_name(int access)
{
    return access_names[access];
}

static struct probe outcome(enum probe_result r, const char *code)
{
    return (struct probe){r, code};
}

/* Network path from the instance's region: a private endpoint, or the public endpoint. */
static struct probe probe_path(struct sim *sim, const struct instance *mi, const struct vault *v)
{
    if (fault_vault_outage(v->name, mi->region))
        return outcome(PROBE_OUTAGE, "AzureKeyVaultConnectionFailed");
    const struct private_endpoint *pe = world_pe_for(sim->world, v->name, mi->region);
    if (pe)
        return strcasecmp(pe->status, "Approved") == 0
                   ? outcome(PROBE_OK, "")
                   : outcome(PROBE_OUTAGE, "AzureKeyVaultConnectionFailed");
    /* Public path: SQL is a trusted service, so only a closed door or no bypass stops it. */
    if (!v->public_access || (v->acl_deny && !v->acl_bypass_azure))
        return outcome(PROBE_DENIED, "AkvKeyOperationNotAllowedByFirewall");
    return outcome(PROBE_OK, "");
}

static struct probe probe_key(const struct vault *v, const char *name, const char *version,
                              int64_t now)
{
    struct key *key = vault_find_key(v, name);
    if (key == NULL || key->deleted)
        return outcome(PROBE_DENIED, "AkvKeyDeleted");
    struct key_version *kv = version ? key_find_version(key, version) : key_latest(key);
    if (kv == NULL)
        return outcome(PROBE_DENIED, "AkvKeyDeleted");
    const char *what;
    const char *why = key_version_unusable(kv, now, &what);
    if (why)
        return outcome(PROBE_DENIED, strcmp(why, "KeyExpired") == 0
                                         ? "AzureKeyVaultInvalidExpirationDate"
                                         : "AzureKeyVaultKeyDisabled");
    if ((kv->ops & (KEYOP_WRAP | KEYOP_UNWRAP)) != (KEYOP_WRAP | KEYOP_UNWRAP))
        return outcome(PROBE_DENIED, "AkvKeyAccessDenied");
    int bits = rsakey_bits(kv->material);
    if (bits != 2048 && bits != 3072)
        return outcome(PROBE_DENIED, "AzureKeyVaultRsaKeyNotSupported");
    return outcome(PROBE_OK, "");
}

struct probe mimodel_probe(struct sim *sim, const struct instance *mi, const char *vault,
                           const char *key, const char *version, int64_t now)
{
    static const char *const actions[] = {"Microsoft.KeyVault/vaults/keys/read",
                                          "Microsoft.KeyVault/vaults/keys/wrap/action",
                                          "Microsoft.KeyVault/vaults/keys/unwrap/action"};
    const struct vault *v = world_vault(sim->world, vault);
    if (v == NULL || v->deleted)
        return outcome(PROBE_DENIED, "AkvKeyDNS"); /* the name no longer resolves */
    struct probe p = probe_path(sim, mi, v);
    if (p.result != PROBE_OK)
        return p;
    const struct principal *id = world_principal_by_oid(sim->world, mi->identity_oid);
    if (id == NULL)
        return outcome(PROBE_DENIED, "AzureKeyVaultNoServerIdentity");
    if (strcasecmp(id->tenant_id, v->tenant_id) != 0 ||
        !authz_allows(v, id->tenant_id, id->object_id, key,
                      KPERM_GET | KPERM_WRAPKEY | KPERM_UNWRAPKEY, actions, 3))
        return outcome(PROBE_DENIED, v->rbac ? "AkvKeyOperationNotAllowedByRBAC"
                                             : "AzureKeyVaultMissingPermissions");
    return probe_key(v, key, version, now);
}

/* Moves every database in status from to status to; returns how many moved. */
static long set_dbs(struct instance *mi, enum db_status from, enum db_status to)
{
    long moved = 0;
    for (size_t i = 0; i < mi->ndbs; i++) {
        if (mi->dbs[i].status == from) {
            mi->dbs[i].status = to;
            moved++;
        }
    }
    return moved;
}

static bool any_db(const struct instance *mi, enum db_status status)
{
    for (size_t i = 0; i < mi->ndbs; i++) {
        if (mi->dbs[i].status == status)
            return true;
    }
    return false;
}

/* Which key the instance can unwrap with now; NULL and *code when none. */
static const struct server_key *find_serving(struct sim *sim, const struct instance *mi, int64_t t,
                                             const char **code, bool *secondary)
{
    const struct server_key *p = instance_find_key(mi, mi->protector);
    *secondary = false;
    if (p == NULL) {
        *code = "ServerKeyNotFound";
        return NULL;
    }
    struct probe r = mimodel_probe(sim, mi, p->vault, p->key, p->version, t);
    *code = r.code;
    if (r.result == PROBE_OK)
        return p;
    if (r.result == PROBE_DENIED)
        return NULL; /* intentional: no fallback */
    for (size_t i = 0; i < mi->nkeys; i++) {
        const struct server_key *k = &mi->keys[i];
        if (k == p || strcasecmp(k->thumbprint, p->thumbprint) != 0 ||
            strcasecmp(k->vault, p->vault) == 0)
            continue;
        if (mimodel_probe(sim, mi, k->vault, k->key, k->version, t).result == PROBE_OK) {
            *secondary = true;
            return k;
        }
    }
    return NULL;
}

static bool access_back(struct sim *sim, struct instance *mi, int64_t t)
{
    const struct world_settings *s = &sim->world->settings;
    bool changed = false;
    if (mi->lost_since) {
        if (t - mi->lost_since <= s->heal_window && !mi->revalidate_needed) {
            mi->restored_at = t;
            slog(SLOG_INFO, "model: %s has key access again; databases heal in %lld s", mi->name,
                 (long long)s->heal_delay);
        } else {
            mi->revalidate_needed = true;
            slog(SLOG_INFO,
                 "model: %s has key access again, too late to heal on its own: "
                 "revalidate needed",
                 mi->name);
        }
        mi->lost_since = 0;
        changed = true;
    }
    if (mi->restored_at && t >= mi->restored_at + s->heal_delay) {
        if (any_db(mi, DB_INACCESSIBLE))
            slog(SLOG_INFO, "model: %s databases healed (Online)", mi->name);
        set_dbs(mi, DB_INACCESSIBLE, DB_ONLINE);
        mi->restored_at = 0;
        changed = true;
    }
    return changed;
}

static bool access_lost(struct sim *sim, struct instance *mi, int64_t t, const char *code)
{
    const struct world_settings *s = &sim->world->settings;
    bool changed = false;
    if (mi->lost_since == 0) {
        mi->lost_since = t;
        mi->restored_at = 0;
        mi->lost_events++;
        slog(SLOG_INFO, "model: %s lost access to its protector (%s)", mi->name, code);
        changed = true;
    }
    if (t - mi->lost_since >= s->inaccessible_after && any_db(mi, DB_ONLINE)) {
        mi->inaccessible_events += set_dbs(mi, DB_ONLINE, DB_INACCESSIBLE);
        slog(SLOG_INFO, "model: %s databases Inaccessible (%s)", mi->name, code);
        changed = true;
    }
    if (t - mi->lost_since > s->heal_window && !mi->revalidate_needed) {
        mi->revalidate_needed = true;
        changed = true;
    }
    return changed;
}

const struct server_key *mimodel_serving_key(struct sim *sim, const struct instance *mi,
                                             int64_t now, const char **code)
{
    bool secondary;
    *code = "";
    if (mi->protector == NULL)
        return NULL;
    return find_serving(sim, mi, now, code, &secondary);
}

bool mimodel_check(struct sim *sim, struct instance *mi, int64_t t)
{
    enum mi_access before = mi->access;
    char *before_serving = mi->serving ? xstrdup(mi->serving) : NULL;
    bool changed;
    if (mi->protector == NULL) { /* service-managed: nothing to reach */
        mi->access = MI_ACCESS_OK;
        mi->last_error[0] = '\0';
        free(mi->serving);
        mi->serving = NULL;
        changed = access_back(sim, mi, t);
    } else {
        const char *code = "";
        bool secondary = false;
        const struct server_key *k = find_serving(sim, mi, t, &code, &secondary);
        free(mi->serving);
        mi->serving = k ? server_key_name(k) : NULL;
        if (k) {
            mi->access = secondary ? MI_ACCESS_SECONDARY : MI_ACCESS_OK;
            mi->last_error[0] = '\0';
            changed = access_back(sim, mi, t);
        } else {
            mi->access = MI_ACCESS_LOST;
            snprintf(mi->last_error, sizeof mi->last_error, "%s", code);
            changed = access_lost(sim, mi, t, code);
        }
    }
    if (mi->access != before || (mi->serving == NULL) != (before_serving == NULL) ||
        (mi->serving && before_serving && strcmp(mi->serving, before_serving) != 0)) {
        if (mi->access == MI_ACCESS_SECONDARY)
            slog(SLOG_INFO, "model: %s primary vault out; serving from %s", mi->name, mi->serving);
        changed = true;
    }
    free(before_serving);
    return changed;
}

/* Registers vault/key/version on mi unless it already is; returns the server key name (heap). */
static char *ensure_registered(struct instance *mi, const char *vault, const char *key,
                               const struct key_version *kv, int64_t t)
{
    char *name = server_key_name_of(vault, key, kv->id);
    if (instance_find_key(mi, name) == NULL) {
        char tp[THUMBPRINT_LEN];
        instance_thumbprint(kv->material, tp);
        instance_add_key(mi, vault, key, kv->id, tp, t);
    }
    return name;
}

/*
 * Auto-rotation: follow the newest enabled version of the protector's key,
 * once the pickup time has passed. Only forward: a version older than the
 * current protector's (say the current one was disabled) is never taken back.
 */
static bool auto_rotate(struct sim *sim, struct instance *mi, int64_t t)
{
    const struct server_key *p = mi->protector ? instance_find_key(mi, mi->protector) : NULL;
    if (!mi->auto_rotation || p == NULL)
        return false;
    struct vault *v = world_vault(sim->world, p->vault);
    struct key *key = v && !v->deleted ? vault_find_key(v, p->key) : NULL;
    size_t n = key && !key->deleted ? key->nversions : 0, first = 0;
    for (size_t i = 0; p->version && i < n; i++) {
        if (strcasecmp(key->versions[i]->id, p->version) == 0)
            first = i + 1; /* versions are kept oldest first */
    }
    const struct key_version *latest = NULL; /* the newest enabled version after the current */
    for (size_t i = n; i-- > first && latest == NULL;) {
        if (key->versions[i]->enabled)
            latest = key->versions[i];
    }
    if (latest == NULL || t < latest->created + sim->world->settings.rotation_pickup)
        return false;
    char *vault = xstrdup(p->vault), *kname = xstrdup(p->key);
    char *name = ensure_registered(mi, vault, kname, latest, t);
    free(mi->protector);
    mi->protector = name;
    slog(SLOG_INFO, "model: %s auto-rotated its protector to %s", mi->name, name);
    /* Azure pushes the rotated version to the geo partner that has this key registered. */
    struct failover_group *fg = world_fog_of(sim->world, mi->name);
    struct instance *partner = NULL;
    if (fg)
        partner = world_instance(sim->world, strcasecmp(fg->primary, mi->name) == 0 ? fg->secondary
                                                                                    : fg->primary);
    for (size_t i = 0; partner && i < partner->nkeys; i++) {
        if (strcasecmp(partner->keys[i].vault, vault) == 0 &&
            strcasecmp(partner->keys[i].key, kname) == 0) {
            free(ensure_registered(partner, vault, kname, latest, t));
            break;
        }
    }
    free(vault);
    free(kname);
    return true;
}

bool mimodel_tick(struct sim *sim, int64_t now)
{
    struct world *w = sim->world;
    int64_t interval = w->settings.mi_check_interval;
    bool changed = false;
    for (size_t i = 0; i < w->ninstances; i++) {
        struct instance *mi = w->instances[i];
        if (mi->next_check == 0)
            mi->next_check = now; /* first check at boot, before listening */
        while (mi->next_check <= now) {
            changed |= auto_rotate(sim, mi, mi->next_check);
            changed |= mimodel_check(sim, mi, mi->next_check);
            mi->next_check += interval;
        }
    }
    return changed;
}

static void leave_failover_group(struct sim *sim, struct instance *mi)
{
    struct world *w = sim->world;
    for (size_t i = 0; i < w->nfogs; i++) {
        struct failover_group *fg = w->fogs[i];
        if (strcasecmp(fg->primary, mi->name) != 0 && strcasecmp(fg->secondary, mi->name) != 0)
            continue;
        slog(SLOG_INFO,
             "model: failover group %s is lost: %s was Inaccessible past the "
             "auto-heal window",
             fg->name, mi->name);
        failover_group_destroy(fg);
        memmove(&w->fogs[i], &w->fogs[i + 1], (w->nfogs - i - 1) * sizeof *w->fogs);
        w->nfogs--;
        return;
    }
}

const char *mimodel_revalidate(struct sim *sim, struct instance *mi, int64_t now)
{
    bool late = mi->revalidate_needed;
    mimodel_check(sim, mi, now);
    if (mi->access == MI_ACCESS_LOST)
        return mi->last_error[0] ? mi->last_error : "AzureKeyVaultConnectionFailed";
    if (any_db(mi, DB_INACCESSIBLE))
        slog(SLOG_INFO, "model: %s revalidated: databases Online", mi->name);
    set_dbs(mi, DB_INACCESSIBLE, DB_ONLINE);
    mi->revalidate_needed = false;
    mi->lost_since = mi->restored_at = 0;
    if (late)
        leave_failover_group(sim, mi);
    return NULL;
}
