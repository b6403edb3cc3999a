/* State faults: disable/expire/delete a key, delete a vault, revoke access, flip to RBAC ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "faultstate.h"
#include "instance.h"
#include "key.h"
#include "sim.h"
#include "simclock.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

static const char *param(const cJSON *spec, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(spec, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool copy_param(const cJSON *spec, const char *name, char *out, size_t size, bool required,
                       char **cause)
{
    const char *v = param(spec, name);
    bool present = cJSON_GetObjectItemCaseSensitive(spec, name) != NULL;
    if (v == NULL || strlen(v) >= size) {
        if (required || present)
            xcause(cause, "this fault needs \"%s\" (a string)", name);
        return !required && !present;
    }
    snprintf(out, size, "%s", v);
    return true;
}

static struct key_version *target_version(struct sim *sim, struct fault *f, char **cause)
{
    struct vault *v = world_vault(sim->world, f->vault);
    struct key *k = v ? vault_find_key(v, f->key) : NULL;
    struct key_version *kv =
        k ? (f->version[0] ? key_find_version(k, f->version) : key_latest(k)) : NULL;
    if (v == NULL)
        xcause(cause, "no vault '%s'", f->vault);
    else if (kv == NULL)
        xcause(cause, "no key version %s/%s%s%s", f->vault, f->key, f->version[0] ? "/" : "",
               f->version);
    else
        snprintf(f->version, sizeof f->version, "%s", kv->id);
    return kv;
}

/* Moves every access policy and role assignment of oid (NULL: all) out of v into the undo record.
 */
static void take_grants(struct vault *v, const char *oid, struct fault_undo *u, bool roles)
{
    size_t keep = 0;
    for (size_t i = 0; i < v->npolicies; i++) {
        if (oid == NULL || strcasecmp(v->policies[i].object_id, oid) == 0) {
            u->policies = xrealloc(u->policies, u->npolicies + 1, sizeof *u->policies);
            u->policies[u->npolicies++] = v->policies[i];
        } else {
            v->policies[keep++] = v->policies[i];
        }
    }
    v->npolicies = keep;
    keep = 0;
    for (size_t i = 0; roles && i < v->nroles; i++) {
        if (oid == NULL || strcasecmp(v->roles[i].principal_id, oid) == 0) {
            u->roles = xrealloc(u->roles, u->nroles + 1, sizeof *u->roles);
            u->roles[u->nroles++] = v->roles[i];
        } else {
            v->roles[keep++] = v->roles[i];
        }
    }
    if (roles)
        v->nroles = keep;
}

static bool same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcasecmp(a, b) == 0);
}

/*
 * Puts taken grants back. A policy for the same identity granted meanwhile
 * (through ARM) is merged with it, so no identity ends up with two entries.
 */
static void give_back_grants(struct vault *v, struct fault_undo *u)
{
    for (size_t i = 0; i < u->npolicies; i++) {
        struct access_policy *p = &u->policies[i], *same = NULL;
        for (size_t j = 0; j < v->npolicies && same == NULL; j++) {
            if (same_text(v->policies[j].tenant_id, p->tenant_id) &&
                same_text(v->policies[j].object_id, p->object_id) &&
                same_text(v->policies[j].application_id, p->application_id))
                same = &v->policies[j];
        }
        if (same) {
            same->keys |= p->keys;
            free(p->tenant_id);
            free(p->object_id);
            free(p->application_id);
            continue;
        }
        v->policies = xrealloc(v->policies, v->npolicies + 1, sizeof *v->policies);
        v->policies[v->npolicies++] = *p;
    }
    for (size_t i = 0; i < u->nroles; i++) {
        v->roles = xrealloc(v->roles, v->nroles + 1, sizeof *v->roles);
        v->roles[v->nroles++] = u->roles[i];
    }
    free(u->policies);
    free(u->roles);
    u->policies = NULL;
    u->roles = NULL;
    u->npolicies = u->nroles = 0;
}

static int apply_state(struct sim *sim, const cJSON *spec, struct fault *f, char **cause);

/* Resolves the version a key fault means, refuses a second fault on the same thing, applies. */
static int apply_locked(struct sim *sim, const cJSON *spec, struct fault *f, char **cause)
{
    if ((f->kind == FAULT_KEY_DISABLE || f->kind == FAULT_KEY_EXPIRE) &&
        target_version(sim, f, cause) == NULL)
        return -1;
    char other[16];
    fault_state_conflict(f, other);
    if (other[0]) {
        xcause(cause, "fault %s already changes this; clear it first", other);
        return -1;
    }
    return apply_state(sim, spec, f, cause);
}

static int apply_state(struct sim *sim, const cJSON *spec, struct fault *f, char **cause)
{
    struct world *w = sim->world;
    int64_t now = simclock_now();
    struct fault_undo *u = &f->undo;
    if (f->kind == FAULT_PE_STATE) {
        struct private_endpoint *pe = world_pe(w, f->pe);
        const char *status = param(spec, "status");
        if (pe == NULL) {
            xcause(cause, "no private endpoint '%s'", f->pe);
            return -1;
        }
        if (status == NULL || (strcmp(status, "Disconnected") && strcmp(status, "Rejected") &&
                               strcmp(status, "Pending"))) {
            xcause(cause, "status must be Disconnected, Rejected or Pending");
            return -1;
        }
        snprintf(u->status, sizeof u->status, "%s", pe->status);
        free(pe->status);
        pe->status = xstrdup(status);
        return 0;
    }
    struct vault *v = world_vault(w, f->vault);
    if (v == NULL) {
        xcause(cause, "no vault '%s'", f->vault);
        return -1;
    }
    switch (f->kind) {
    case FAULT_KEY_DISABLE:
    case FAULT_KEY_EXPIRE: {
        struct key_version *kv = target_version(sim, f, cause);
        if (kv == NULL)
            return -1;
        u->enabled = kv->enabled;
        u->exp = kv->exp;
        if (f->kind == FAULT_KEY_DISABLE)
            kv->enabled = false;
        else
            kv->exp = now - 60;
        kv->updated = now;
        return 0;
    }
    case FAULT_KEY_DELETE: {
        struct key *k = vault_find_key(v, f->key);
        if (k == NULL || k->deleted || !v->soft_delete) {
            xcause(cause, "no live key '%s' in a soft-delete vault '%s'", f->key, f->vault);
            return -1;
        }
        k->deleted = true;
        k->deleted_date = now;
        k->scheduled_purge = now + (int64_t)v->retention_days * 86400;
        return 0;
    }
    case FAULT_VAULT_DELETE:
        if (v->deleted) {
            xcause(cause, "vault '%s' is already deleted", f->vault);
            return -1;
        }
        v->deleted = true;
        v->deleted_date = now;
        v->scheduled_purge = now + (int64_t)v->retention_days * 86400;
        for (size_t i = 0; i < v->nroles; i++) {
            u->roles = xrealloc(u->roles, u->nroles + 1, sizeof *u->roles);
            u->roles[u->nroles++] = v->roles[i];
        }
        v->nroles = 0; /* deleting a vault deletes its role assignments */
        return 0;
    case FAULT_REVOKE: {
        const struct principal *p = world_principal(w, f->principal);
        if (p == NULL) {
            xcause(cause, "no principal '%s'", f->principal);
            return -1;
        }
        take_grants(v, p->object_id, u, true);
        return 0;
    }
    case FAULT_RBAC_FLIP:
        u->rbac = v->rbac;
        v->rbac = true;
        take_grants(v, NULL, u, false); /* the flip wipes every access policy */
        return 0;
    case FAULT_READ_ONLY:
        u->enabled = v->read_only;
        v->read_only = true;
        return 0;
    default:
        xcause(cause, "not a state fault");
        return -1;
    }
}

int faultstate_apply(struct sim *sim, const cJSON *spec, struct fault *f, char **cause)
{
    bool ok = true;
    switch (f->kind) {
    case FAULT_KEY_DISABLE:
    case FAULT_KEY_EXPIRE:
        ok = copy_param(spec, "version", f->version, sizeof f->version, false, cause);
        /* fall through */
    case FAULT_KEY_DELETE:
        ok = ok && copy_param(spec, "key", f->key, sizeof f->key, true, cause);
        /* fall through */
    case FAULT_VAULT_DELETE:
    case FAULT_RBAC_FLIP:
    case FAULT_READ_ONLY:
        ok = ok && copy_param(spec, "vault", f->vault, sizeof f->vault, true, cause);
        break;
    case FAULT_REVOKE:
        ok = copy_param(spec, "vault", f->vault, sizeof f->vault, true, cause) &&
             copy_param(spec, "principal", f->principal, sizeof f->principal, true, cause);
        break;
    case FAULT_PE_STATE:
        ok = copy_param(spec, "pe", f->pe, sizeof f->pe, true, cause);
        break;
    default:
        break;
    }
    if (!ok)
        return -1;
    world_wrlock(sim->world);
    int rc = apply_locked(sim, spec, f, cause);
    if (rc == 0)
        sim_persist(sim);
    world_unlock(sim->world);
    return rc;
}

static void undo_locked(struct sim *sim, struct fault *f)
{
    struct world *w = sim->world;
    struct fault_undo *u = &f->undo;
    if (f->kind == FAULT_PE_STATE) {
        struct private_endpoint *pe = world_pe(w, f->pe);
        if (pe) {
            free(pe->status);
            pe->status = xstrdup(u->status);
        }
        return;
    }
    struct vault *v = world_vault(w, f->vault);
    if (v == NULL)
        return;
    struct key *k = f->key[0] ? vault_find_key(v, f->key) : NULL;
    struct key_version *kv = k && f->version[0] ? key_find_version(k, f->version) : NULL;
    switch (f->kind) {
    case FAULT_KEY_DISABLE:
        if (kv)
            kv->enabled = u->enabled;
        break;
    case FAULT_KEY_EXPIRE:
        if (kv)
            kv->exp = u->exp;
        break;
    case FAULT_KEY_DELETE:
        if (k && k->deleted) {
            k->deleted = false;
            k->deleted_date = k->scheduled_purge = 0;
        }
        break;
    case FAULT_VAULT_DELETE:
        v->deleted = false;
        v->deleted_date = v->scheduled_purge = 0;
        give_back_grants(v, u);
        break;
    case FAULT_REVOKE:
        give_back_grants(v, u);
        break;
    case FAULT_RBAC_FLIP:
        v->rbac = u->rbac;
        give_back_grants(v, u);
        break;
    case FAULT_READ_ONLY:
        v->read_only = u->enabled;
        break;
    default:
        break;
    }
}

void faultstate_undo(struct sim *sim, struct fault *f)
{
    world_wrlock(sim->world);
    undo_locked(sim, f);
    sim_persist(sim);
    world_unlock(sim->world);
}

void faultstate_free_undo(struct fault *f)
{
    struct fault_undo *u = &f->undo;
    for (size_t i = 0; i < u->npolicies; i++) {
        free(u->policies[i].tenant_id);
        free(u->policies[i].object_id);
        free(u->policies[i].application_id);
    }
    for (size_t i = 0; i < u->nroles; i++) {
        free(u->roles[i].id);
        free(u->roles[i].principal_id);
        free(u->roles[i].role);
        free(u->roles[i].key_scope);
    }
    free(u->policies);
    free(u->roles);
    memset(u, 0, sizeof *u);
}
