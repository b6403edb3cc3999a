#include "rules_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "estate.h"
#include "rules.h"
#include "xmem.h"

/* The unreadable parts of one entity, gathered into one finding. */
struct parts {
    char text[1536];
    enum health_sev sev;
    bool any;
    bool stale; /* some part was read before (a stale last good copy exists) */
};

static void note(struct parts *ps, enum health_sev sev, const char *piece)
{
    size_t len = strlen(ps->text);
    if (len < sizeof ps->text)
        snprintf(ps->text + len, sizeof ps->text - len, "%s%s", len ? "; " : "", piece);
    if (!ps->any || sev > ps->sev)
        ps->sev = sev;
    ps->any = true;
}

static void part(struct rules_eval *ev, struct parts *ps, const struct fresh *f, const char *what,
                 enum health_sev sev)
{
    char piece[512], read[32], tried[32];
    if (!rules_stale(ev, f))
        return;
    const char *error = f->error ? f->error : core_err_name(f->err);
    rules_ago(ev->now_ms, f->read_at, read);
    rules_ago(ev->now_ms, f->tried_at, tried);
    if (f->read_at == 0 && f->tried_at == 0)
        snprintf(piece, sizeof piece, "%s never read", what);
    else if (f->read_at == 0)
        snprintf(piece, sizeof piece, "%s never read (%s, tried %s)", what, error, tried);
    else if (f->err != CORE_OK)
        snprintf(piece, sizeof piece, "%s: %s (tried %s; last good read %s)", what, error, tried,
                 read);
    else
        snprintf(piece, sizeof piece, "%s last read %s", what, read);
    ps->stale = ps->stale || f->read_at != 0;
    note(ps, sev, piece);
}

static void emit(struct rules_eval *ev, struct parts *ps, const char *kind, const char *name)
{
    char subj[192];
    if (ps->any)
        rules_emit(ev, ps->sev, ps->stale, rules_subject(subj, kind, name), "",
                   "tdectl cannot read: %s", ps->text);
}

static void instance_parts(struct rules_eval *ev, const struct model_instance *mi)
{
    struct parts ps = {0};
    char piece[512], vault[128], key[128], version[64];
    part(ev, &ps, &mi->arm_fresh, "instance", HEALTH_HIGH);
    part(ev, &ps, &mi->keys_fresh, "registered keys", HEALTH_HIGH);
    part(ev, &ps, &mi->protector_fresh, "encryption protector", HEALTH_HIGH);
    part(ev, &ps, &mi->dbs_fresh, "databases", HEALTH_HIGH);
    /* Without a region, which vault is the instance's primary cannot be judged. */
    if (rules_read(&mi->arm_fresh) && mi->location == NULL)
        note(&ps, HEALTH_HIGH, "instance region (location missing or not a region name)");
    if (estate_protector_is_akv(mi) &&
        model_uri_parse(mi->protector.uri, vault, key, version) == 0 &&
        model_vault(ev->m, vault) == NULL) {
        snprintf(piece, sizeof piece, "vault %s of its protector is not in the model", vault);
        note(&ps, HEALTH_HIGH, piece);
    }
    for (size_t i = 0; i < mi->nkeys; i++) {
        if (model_uri_parse(mi->keys[i].uri, vault, key, version) == 0 &&
            model_vault(ev->m, vault) == NULL && !strstr(ps.text, vault)) {
            snprintf(piece, sizeof piece, "vault %s of registered key %s is not in the model",
                     vault, mi->keys[i].name ? mi->keys[i].name : key);
            note(&ps, HEALTH_MED, piece);
        }
    }
    emit(ev, &ps, "instance", mi->name);
}

/* Versions lists, rotation policies and material of the keys instances registered from v. */
static void key_parts(struct rules_eval *ev, struct parts *ps, const struct model_vault *v)
{
    const struct model_key **seen = NULL;
    size_t nseen = 0;
    char what[320];
    for (size_t r = 0; r < ev->nregkeys; r++) {
        const struct rules_regkey *rk = &ev->regkeys[r];
        if (rk->vault != v)
            continue;
        const struct model_key *k = model_key(v, rk->key);
        bool dup = k == NULL;
        for (size_t n = 0; n < nseen && !dup; n++)
            dup = seen[n] == k;
        if (dup)
            continue;
        seen = xrealloc(seen, nseen + 1, sizeof *seen);
        seen[nseen++] = k;
        snprintf(what, sizeof what, "versions of %s", k->name);
        part(ev, ps, &k->versions_fresh, what, HEALTH_HIGH);
        snprintf(what, sizeof what, "rotation policy of %s", k->name);
        part(ev, ps, &k->rotation_fresh, what, HEALTH_LOW);
        const struct model_version *ver = rk->version[0] ? model_version(k, rk->version) : NULL;
        if (ver && ver->fingerprint[0] == '\0') {
            snprintf(what, sizeof what, "material of %s/%s", k->name, ver->version);
            part(ev, ps, &ver->fresh, what, HEALTH_MED);
        }
    }
    free(seen);
}

static void vault_parts(struct rules_eval *ev, const struct model_vault *v)
{
    struct parts ps = {0};
    char piece[320];
    part(ev, &ps, &v->arm_fresh, "vault properties", HEALTH_HIGH);
    if (rules_read(&v->arm_fresh) && v->location == NULL)
        note(&ps, HEALTH_HIGH, "vault region (location missing or not a region name)");
    if (!v->deleted) {
        part(ev, &ps, &v->keys_fresh, "key list", HEALTH_HIGH);
        if (v->rbac)
            part(ev, &ps, &v->roles_fresh, "role assignments", HEALTH_HIGH);
        key_parts(ev, &ps, v);
    }
    for (size_t i = 0; i < v->npecs; i++) {
        if (model_pe(ev->m, v->pecs[i].endpoint_id) != NULL)
            continue;
        snprintf(piece, sizeof piece, "private endpoint %s (%s on the vault) not read",
                 v->pecs[i].name ? v->pecs[i].name : "?",
                 v->pecs[i].status ? v->pecs[i].status : "?");
        note(&ps, HEALTH_MED, piece);
    }
    emit(ev, &ps, "vault", v->name);
}

static void fog_parts(struct rules_eval *ev, const struct model_fog *fg)
{
    struct parts ps = {0};
    char piece[320];
    const char *ids[2] = {fg->primary_id, fg->secondary_id};
    part(ev, &ps, &fg->fresh, "failover group", HEALTH_HIGH);
    for (size_t i = 0; i < 2; i++) {
        if (ids[i] && model_instance(ev->m, ids[i]) == NULL) {
            const char *slash = strrchr(ids[i], '/');
            snprintf(piece, sizeof piece, "instance %s not in the model",
                     slash ? slash + 1 : ids[i]);
            note(&ps, HEALTH_HIGH, piece);
        }
    }
    emit(ev, &ps, "pair", fg->name);
}

void rules_data_d01(struct rules_eval *ev)
{
    const struct model *m = ev->m;
    if (m->ninstances == 0) {
        struct parts ps = {0};
        note(&ps, HEALTH_HIGH,
             m->nsubs ? "no managed instance in the model (none found, or none readable)"
                      : "no subscription and no managed instance in the model");
        emit(ev, &ps, "estate", "(all)");
    }
    for (size_t i = 0; i < m->nsubs; i++) {
        struct parts ps = {0};
        part(ev, &ps, &m->subs[i]->fresh, "subscription", HEALTH_MED);
        emit(ev, &ps, "subscription", m->subs[i]->name ? m->subs[i]->name : m->subs[i]->id);
    }
    for (size_t i = 0; i < m->ninstances; i++)
        instance_parts(ev, m->instances[i]);
    for (size_t i = 0; i < m->nvaults; i++) {
        if (rules_vault_used(ev, m->vaults[i]))
            vault_parts(ev, m->vaults[i]);
    }
    for (size_t i = 0; i < m->nfogs; i++)
        fog_parts(ev, m->fogs[i]);
    for (size_t i = 0; i < m->npes; i++) {
        const struct model_pe *pe = m->pes[i];
        struct parts ps = {0};
        if (!rules_vault_used(ev, estate_pe_vault(m, pe)))
            continue;
        part(ev, &ps, &pe->fresh, "private endpoint", HEALTH_MED);
        emit(ev, &ps, "endpoint", pe->name);
    }
}
