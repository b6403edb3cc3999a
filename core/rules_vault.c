#include "rules_vault.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "estate.h"
#include "rules.h"

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* A vault whose ARM properties can be judged: used by an instance, read, not deleted. */
static bool judged(const struct rules_eval *ev, const struct model_vault *v)
{
    return rules_vault_used(ev, v) && rules_read(&v->arm_fresh) && !v->deleted;
}

/* "sqlmi-a (primary vault), sqlmi-b (secondary vault)" */
static const char *users(const struct rules_eval *ev, const struct model_vault *v, char *buf,
                         size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        struct estate_use use[3];
        size_t n = estate_uses(ev->m, ev->m->instances[i], use);
        for (size_t j = 0; j < n && len < size; j++) {
            if (use[j].vault != v)
                continue;
            int w = snprintf(buf + len, size - len, "%s%s (%s)", len ? ", " : "",
                             ev->m->instances[i]->name, estate_role_name(use[j].role));
            len += w > 0 ? (size_t)w : 0;
        }
    }
    return len ? buf : "no instance";
}

void rules_vault_v01(struct rules_eval *ev)
{
    char subj[192], who[256];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        if (!v->deleted || !rules_vault_used(ev, v))
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh),
                   rules_subject(subj, "vault", v->name), "",
                   "%s is deleted (listed among deleted vaults); used by %s", v->name,
                   users(ev, v, who, sizeof who));
    }
}

void rules_vault_v02(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        if (judged(ev, v) && !v->soft_delete)
            rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh),
                       rules_subject(subj, "vault", v->name), "", "%s: enableSoftDelete is off",
                       v->name);
    }
}

void rules_vault_v03(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        if (judged(ev, v) && !v->purge_protection)
            rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh),
                       rules_subject(subj, "vault", v->name), "",
                       "%s: enablePurgeProtection is off", v->name);
    }
}

void rules_vault_v04(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        if (judged(ev, v) && v->soft_delete && v->retention_days <= 0)
            rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh),
                       rules_subject(subj, "vault", v->name), "",
                       "%s: softDeleteRetentionInDays not recorded", v->name);
    }
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_instance *p, *s;
        const struct model_vault *a, *b;
        if (!rules_pair_vaults(ev, ev->m->fogs[i], &p, &s, &a, &b) || !judged(ev, a) ||
            !judged(ev, b) || a->retention_days <= 0 || b->retention_days <= 0 ||
            a->retention_days == b->retention_days)
            continue;
        rules_emit(ev, ev->rule->sev,
                   rules_stale(ev, &a->arm_fresh) || rules_stale(ev, &b->arm_fresh),
                   rules_subject(subj, "pair", ev->m->fogs[i]->name), "",
                   "%s keeps deleted keys %d days, %s %d days (fixed at creation): a deleted "
                   "name stays blocked that long",
                   a->name, a->retention_days, b->name, b->retention_days);
    }
}

void rules_vault_v05(struct rules_eval *ev)
{
    char subj[192], role[160];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        const char *level = a->ver->recovery_level;
        if (level == NULL || strstr(level, "Purgeable") == NULL)
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &a->ver->fresh),
                   rules_key_subject(subj, a->vault, a->key), a->ver->version,
                   "%s/%s/%s recoveryLevel %s (%s)", a->vault->name, a->key->name, a->ver->version,
                   level, rules_active_role(a, role));
    }
}

/* "wrapKey/unwrapKey": what of get, wrapKey and unwrapKey is missing. */
static const char *missing_perms(unsigned have, char buf[64])
{
    static const struct {
        unsigned perm;
        const char *name;
    } need[] = {
        {MODEL_PERM_GET, "get"}, {MODEL_PERM_WRAP, "wrapKey"}, {MODEL_PERM_UNWRAP, "unwrapKey"}};
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (have & need[i].perm)
            continue;
        int w = snprintf(buf + len, 64 - len, "%s%s", len ? "/" : "", need[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

static void grant_one(struct rules_eval *ev, const struct model_instance *mi, const char *principal,
                      const struct estate_use *u)
{
    const struct model_vault *v = u->vault;
    char subj[192], key[128], pid[16], miss[64];
    unsigned have;
    if (!rules_read(&v->arm_fresh) || v->deleted)
        return;
    bool has_key = estate_key_name_in(ev->m, mi, v, key);
    enum estate_grant g = estate_grant(v, principal, has_key ? key : NULL, &have);
    bool stale = rules_stale(ev, &v->arm_fresh) || (v->rbac && rules_stale(ev, &v->roles_fresh));
    rules_subject(subj, "vault", v->name);
    if (g == ESTATE_GRANT_YES)
        return;
    if (g == ESTATE_GRANT_UNKNOWN) {
        rules_emit(ev, HEALTH_HIGH, true, subj, mi->name,
                   "cannot judge: role assignments of RBAC vault %s could not be read; %s "
                   "(principal %s) needs Key Vault Crypto Service Encryption User there (%s)",
                   v->name, mi->name, rules_short(principal, pid), estate_role_name(u->role));
        return;
    }
    if (v->rbac)
        rules_emit(ev, ev->rule->sev, stale, subj, mi->name,
                   "%s (principal %s) has no Key Vault Crypto Service Encryption User (or "
                   "crypto) role on %s (RBAC; its %s)",
                   mi->name, rules_short(principal, pid), v->name, estate_role_name(u->role));
    else
        rules_emit(ev, ev->rule->sev, stale, subj, mi->name,
                   "%s (principal %s) has no %s on %s (access policies; its %s)", mi->name,
                   rules_short(principal, pid), missing_perms(have, miss), v->name,
                   estate_role_name(u->role));
}

void rules_vault_v07(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        const char *principal = estate_principal(mi);
        struct estate_use use[3];
        /* No identity at all is I01's finding, not one per vault. */
        if (!rules_read(&mi->arm_fresh) || principal == NULL || !estate_protector_is_akv(mi))
            continue;
        size_t n = estate_uses(ev->m, mi, use);
        for (size_t j = 0; j < n; j++)
            grant_one(ev, mi, principal, &use[j]);
    }
}

void rules_vault_v08(struct rules_eval *ev)
{
    char subj[192];
    static const char *const model_name[] = {"access policies", "RBAC"};
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        if (!judged(ev, v) || v->rbac_before < 0 || (v->rbac ? 1 : 0) == v->rbac_before)
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh),
                   rules_subject(subj, "vault", v->name), "",
                   "%s switched from %s to %s since tdectl first saw it: the %s no longer apply",
                   v->name, model_name[v->rbac_before ? 1 : 0], model_name[v->rbac ? 1 : 0],
                   v->rbac ? "access policies" : "role assignments");
    }
}

void rules_vault_v09(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        struct estate_use use[3];
        size_t n = estate_uses(ev->m, mi, use);
        for (size_t j = 0; j < n; j++) {
            const struct model_vault *v = use[j].vault;
            if (v->deleted ||
                estate_path(ev->m, v, mi->location, NULL, 0, NULL) != ESTATE_PATH_BLOCKED)
                continue;
            rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh),
                       rules_subject(subj, "vault", v->name), mi->location,
                       "%s: publicNetworkAccess %s, defaultAction %s, bypass %s, no approved "
                       "private endpoint in %s: %s (its %s) cannot reach it",
                       v->name, v->public_network_access ? v->public_network_access : "Enabled",
                       v->default_action ? v->default_action : "Allow",
                       v->bypass ? v->bypass : "None", mi->location, mi->name,
                       estate_role_name(use[j].role));
        }
    }
}

void rules_vault_v10(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        struct estate_use use[3];
        if (!rules_read(&mi->arm_fresh) || mi->nuamis == 0)
            continue;
        size_t n = estate_uses(ev->m, mi, use);
        for (size_t j = 0; j < n; j++) {
            const struct model_vault *v = use[j].vault;
            if (!rules_read(&v->arm_fresh) || !same(v->default_action, "Deny"))
                continue;
            rules_emit(ev, ev->rule->sev,
                       rules_stale(ev, &mi->arm_fresh) || rules_stale(ev, &v->arm_fresh),
                       rules_subject(subj, "instance", mi->name), v->name,
                       "%s uses a user-assigned identity and its %s %s has the firewall on "
                       "(defaultAction Deny): documented as unsupported for SQL MI",
                       mi->name, estate_role_name(use[j].role), v->name);
        }
    }
}

/* Does the vault use private endpoints at all (any connection or any endpoint targeting it)? */
static bool uses_pes(const struct rules_eval *ev, const struct model_vault *v)
{
    if (v->npecs)
        return true;
    for (size_t i = 0; i < ev->m->npes; i++) {
        if (estate_pe_vault(ev->m, ev->m->pes[i]) == v)
            return true;
    }
    return false;
}

static void pe_region(struct rules_eval *ev, const struct model_vault *v,
                      const struct model_instance *mi, enum estate_role role)
{
    char subj[192];
    const struct model_pe *pe;
    enum estate_path path = estate_path(ev->m, v, mi->location, NULL, 0, &pe);
    rules_subject(subj, "vault", v->name);
    if (path == ESTATE_PATH_PE_DOWN)
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &pe->fresh), subj, mi->location,
                   "private endpoint %s of %s in %s is %s: %s (its %s) cannot reach the vault "
                   "(an outage)",
                   pe->name, v->name, mi->location, pe->status ? pe->status : "not approved",
                   mi->name, estate_role_name(role));
    else if (path == ESTATE_PATH_PUBLIC || path == ESTATE_PATH_BLOCKED)
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->arm_fresh), subj, mi->location,
                   "no private endpoint of %s in %s: %s (its %s) goes %s", v->name, mi->location,
                   mi->name, estate_role_name(role),
                   path == ESTATE_PATH_PUBLIC ? "over the public endpoint" : "nowhere");
}

void rules_vault_v11(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        struct estate_use use[3];
        size_t n = estate_uses(ev->m, mi, use);
        for (size_t j = 0; j < n; j++) {
            if (!use[j].vault->deleted && uses_pes(ev, use[j].vault))
                pe_region(ev, use[j].vault, mi, use[j].role);
        }
    }
}

void rules_vault_v13(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        struct estate_use use[3];
        if (!rules_read(&mi->arm_fresh) || mi->tenant_id == NULL)
            continue;
        size_t n = estate_uses(ev->m, mi, use);
        for (size_t j = 0; j < n; j++) {
            const struct model_vault *v = use[j].vault;
            if (!rules_read(&v->arm_fresh) || v->tenant_id == NULL ||
                same(v->tenant_id, mi->tenant_id))
                continue;
            rules_emit(ev, ev->rule->sev,
                       rules_stale(ev, &mi->arm_fresh) || rules_stale(ev, &v->arm_fresh),
                       rules_subject(subj, "vault", v->name), mi->name,
                       "%s is in tenant %s, %s's identity in tenant %s", v->name, v->tenant_id,
                       mi->name, mi->tenant_id);
        }
    }
}

void rules_vault_v14(struct rules_eval *ev)
{
    char subj[192], role[160];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        if (!same(a->ver->kty, "RSA-HSM") || !rules_read(&a->vault->arm_fresh) ||
            !same(a->vault->sku, "standard"))
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &a->vault->arm_fresh),
                   rules_subject(subj, "vault", a->vault->name), a->key->name,
                   "%s/%s is RSA-HSM in a standard vault (%s)", a->vault->name, a->key->name,
                   rules_active_role(a, role));
    }
}

void rules_vault_v15(struct rules_eval *ev)
{
    char subj[192], ago[32];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        const struct fresh *f = &v->probe_fresh;
        if (f->tried_at == 0 || v->deleted)
            continue;
        rules_subject(subj, "vault", v->name);
        rules_ago(ev->now_ms, f->read_at, ago);
        if (f->err != CORE_OK)
            rules_emit(ev, HEALTH_HIGH, false, subj, "",
                       "console's path (not the instance's): probe of %s failed (%s); last "
                       "answer %s",
                       v->name, f->error ? f->error : core_err_name(f->err), ago);
        else if (v->probe_latency_ms >= 1000)
            rules_emit(ev, HEALTH_MED, false, subj, "",
                       "console's path (not the instance's): %s answered the probe in %lld ms "
                       "(alert level 1000 ms)",
                       v->name, (long long)v->probe_latency_ms);
    }
}

void rules_vault_v18(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        size_t dbs = 0, instances = 0;
        bool stale = false;
        for (size_t j = 0; j < ev->m->ninstances; j++) {
            const struct model_instance *mi = ev->m->instances[j];
            if (estate_primary_vault(ev->m, mi) != v || !rules_read(&mi->dbs_fresh))
                continue;
            dbs += mi->ndbs;
            instances++;
            stale = stale || rules_stale(ev, &mi->dbs_fresh);
        }
        if (dbs > 500)
            rules_emit(ev, ev->rule->sev, stale, rules_subject(subj, "vault", v->name), "",
                       "%s protects %zu databases of %zu instances (more than 500 per vault)",
                       v->name, dbs, instances);
    }
}
