#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"

struct model *model_create(void)
{
    struct model *m = xcalloc(1, sizeof *m);
    m->generation = 1;
    return m;
}

void model_bump(struct model *m)
{
    m->generation++;
}

/* -- cleanup ---------------------------------------------------------------------------------- */

void model_fresh_cleanup(struct fresh *f)
{
    free(f->error);
    free(f->request_id);
    memset(f, 0, sizeof *f);
}

void model_version_cleanup(struct model_version *v)
{
    free(v->version);
    free(v->kid);
    free(v->recovery_level);
    free(v->kty);
    model_fresh_cleanup(&v->fresh);
    memset(v, 0, sizeof *v);
}

void model_key_cleanup(struct model_key *k)
{
    free(k->name);
    for (size_t i = 0; i < k->nversions; i++)
        model_version_cleanup(&k->versions[i]);
    free(k->versions);
    free(k->rotation.expiry_time);
    model_fresh_cleanup(&k->versions_fresh);
    model_fresh_cleanup(&k->rotation_fresh);
    memset(k, 0, sizeof *k);
}

void model_policy_cleanup(struct model_policy *p)
{
    free(p->tenant_id);
    free(p->object_id);
    free(p->application_id);
    memset(p, 0, sizeof *p);
}

void model_role_cleanup(struct model_role *r)
{
    free(r->id);
    free(r->principal_id);
    free(r->role_definition_id);
    free(r->scope);
    memset(r, 0, sizeof *r);
}

void model_pec_cleanup(struct model_pec *p)
{
    free(p->name);
    free(p->endpoint_id);
    free(p->status);
    memset(p, 0, sizeof *p);
}

static void policies_free(struct model_policy *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_policy_cleanup(&p[i]);
    free(p);
}

static void roles_free(struct model_role *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_role_cleanup(&r[i]);
    free(r);
}

static void pecs_free(struct model_pec *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_pec_cleanup(&p[i]);
    free(p);
}

static void keys_free(struct model_key *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_key_cleanup(&k[i]);
    free(k);
}

void model_vault_cleanup(struct model_vault *v)
{
    free(v->name);
    free(v->id);
    free(v->uri);
    free(v->subscription_id);
    free(v->resource_group);
    free(v->location);
    free(v->tenant_id);
    free(v->sku);
    free(v->default_action);
    free(v->bypass);
    free(v->public_network_access);
    policies_free(v->policies, v->npolicies);
    roles_free(v->roles, v->nroles);
    pecs_free(v->pecs, v->npecs);
    keys_free(v->keys, v->nkeys);
    model_fresh_cleanup(&v->arm_fresh);
    model_fresh_cleanup(&v->roles_fresh);
    model_fresh_cleanup(&v->keys_fresh);
    model_fresh_cleanup(&v->probe_fresh);
    memset(v, 0, sizeof *v);
}

void model_server_key_cleanup(struct model_server_key *k)
{
    free(k->name);
    free(k->type);
    free(k->uri);
    free(k->thumbprint);
    memset(k, 0, sizeof *k);
}

void model_protector_cleanup(struct model_protector *p)
{
    free(p->server_key_name);
    free(p->type);
    free(p->uri);
    free(p->thumbprint);
    memset(p, 0, sizeof *p);
}

void model_database_cleanup(struct model_database *d)
{
    free(d->name);
    free(d->status);
    memset(d, 0, sizeof *d);
}

static void server_keys_free(struct model_server_key *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_server_key_cleanup(&k[i]);
    free(k);
}

static void dbs_free(struct model_database *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_database_cleanup(&d[i]);
    free(d);
}

static void strings_free(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void model_instance_cleanup(struct model_instance *mi)
{
    free(mi->id);
    free(mi->name);
    free(mi->subscription_id);
    free(mi->resource_group);
    free(mi->location);
    free(mi->state);
    free(mi->identity_type);
    free(mi->principal_id);
    free(mi->tenant_id);
    free(mi->primary_uami);
    free(mi->lock_owner);
    free(mi->lock_reason);
    free(mi->lock_op);
    for (size_t i = 0; i < mi->nuamis; i++) {
        free(mi->uamis[i].id);
        free(mi->uamis[i].principal_id);
        free(mi->uamis[i].client_id);
    }
    free(mi->uamis);
    server_keys_free(mi->keys, mi->nkeys);
    model_protector_cleanup(&mi->protector);
    dbs_free(mi->dbs, mi->ndbs);
    strings_free(mi->past_protectors, mi->npast);
    model_fresh_cleanup(&mi->arm_fresh);
    model_fresh_cleanup(&mi->keys_fresh);
    model_fresh_cleanup(&mi->protector_fresh);
    model_fresh_cleanup(&mi->dbs_fresh);
    memset(mi, 0, sizeof *mi);
}

void model_fog_cleanup(struct model_fog *fg)
{
    free(fg->name);
    free(fg->id);
    free(fg->subscription_id);
    free(fg->resource_group);
    free(fg->primary_location);
    free(fg->secondary_location);
    free(fg->primary_id);
    free(fg->secondary_id);
    free(fg->replication_state);
    free(fg->failover_policy);
    model_fresh_cleanup(&fg->fresh);
    memset(fg, 0, sizeof *fg);
}

void model_pe_cleanup(struct model_pe *pe)
{
    free(pe->id);
    free(pe->name);
    free(pe->subscription_id);
    free(pe->resource_group);
    free(pe->location);
    free(pe->target_id);
    free(pe->status);
    model_fresh_cleanup(&pe->fresh);
    memset(pe, 0, sizeof *pe);
}

void model_subscription_cleanup(struct model_subscription *s)
{
    free(s->id);
    free(s->name);
    model_fresh_cleanup(&s->fresh);
    memset(s, 0, sizeof *s);
}

#define FREE_ALL(arr, n, cleanup)             \
    do {                                      \
        for (size_t i_ = 0; i_ < (n); i_++) { \
            cleanup((arr)[i_]);               \
            free((arr)[i_]);                  \
        }                                     \
        free(arr);                            \
    } while (0)

void model_destroy(struct model *m)
{
    if (m == NULL)
        return;
    FREE_ALL(m->subs, m->nsubs, model_subscription_cleanup);
    FREE_ALL(m->fogs, m->nfogs, model_fog_cleanup);
    FREE_ALL(m->instances, m->ninstances, model_instance_cleanup);
    FREE_ALL(m->vaults, m->nvaults, model_vault_cleanup);
    FREE_ALL(m->pes, m->npes, model_pe_cleanup);
    free(m);
}

/* -- lookups ---------------------------------------------------------------------------------- */

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

struct model_instance *model_instance(const struct model *m, const char *id)
{
    for (size_t i = 0; id && i < m->ninstances; i++) {
        if (same(m->instances[i]->id, id))
            return m->instances[i];
    }
    return NULL;
}

struct model_instance *model_instance_by_name(const struct model *m, const char *name)
{
    for (size_t i = 0; name && i < m->ninstances; i++) {
        if (same(m->instances[i]->name, name))
            return m->instances[i];
    }
    return NULL;
}

/* Vaults are kept sorted by name (estates have hundreds; lookups are everywhere). */
static int vault_cmp(const void *a, const void *b)
{
    const struct model_vault *const *x = a, *const *y = b;
    return strcasecmp((*x)->name ? (*x)->name : "", (*y)->name ? (*y)->name : "");
}

void model_sort_vaults(struct model *m)
{
    if (m->nvaults > 1)
        qsort(m->vaults, m->nvaults, sizeof *m->vaults, vault_cmp);
}

struct model_vault *model_vault(const struct model *m, const char *name)
{
    size_t lo = 0, hi = name ? m->nvaults : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcasecmp(m->vaults[mid]->name ? m->vaults[mid]->name : "", name);
        if (c == 0)
            return m->vaults[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct model_vault *model_vault_by_id(const struct model *m, const char *id)
{
    for (size_t i = 0; id && i < m->nvaults; i++) {
        if (same(m->vaults[i]->id, id))
            return m->vaults[i];
    }
    return NULL;
}

struct model_vault *model_vault_by_uri(const struct model *m, const char *uri)
{
    char vault[128], key[128], version[64];
    if (uri == NULL || model_uri_parse(uri, vault, key, version) < 0)
        return NULL;
    return model_vault(m, vault);
}

struct model_fog *model_fog(const struct model *m, const char *id)
{
    for (size_t i = 0; id && i < m->nfogs; i++) {
        if (same(m->fogs[i]->id, id))
            return m->fogs[i];
    }
    return NULL;
}

struct model_fog *model_fog_of(const struct model *m, const struct model_instance *mi)
{
    for (size_t i = 0; mi && i < m->nfogs; i++) {
        if (same(m->fogs[i]->primary_id, mi->id) || same(m->fogs[i]->secondary_id, mi->id))
            return m->fogs[i];
    }
    return NULL;
}

struct model_pe *model_pe(const struct model *m, const char *id)
{
    for (size_t i = 0; id && i < m->npes; i++) {
        if (same(m->pes[i]->id, id))
            return m->pes[i];
    }
    return NULL;
}

struct model_key *model_key(const struct model_vault *v, const char *name)
{
    for (size_t i = 0; v && name && i < v->nkeys; i++) {
        if (same(v->keys[i].name, name))
            return &v->keys[i];
    }
    return NULL;
}

struct model_version *model_version(const struct model_key *k, const char *version)
{
    for (size_t i = 0; k && version && i < k->nversions; i++) {
        if (k->versions[i].version && strcmp(k->versions[i].version, version) == 0)
            return &k->versions[i];
    }
    return NULL;
}

struct model_version *model_version_by_uri(const struct model *m, const char *uri)
{
    char vault[128], key[128], version[64];
    if (uri == NULL || model_uri_parse(uri, vault, key, version) < 0 || key[0] == '\0')
        return NULL;
    struct model_key *k = model_key(model_vault(m, vault), key);
    if (k == NULL || k->nversions == 0)
        return NULL;
    return version[0] ? model_version(k, version) : &k->versions[k->nversions - 1];
}

/* -- adoption --------------------------------------------------------------------------------- */

static void *append(void *array, size_t *n, size_t size)
{
    array = xrealloc(array, *n + 1, size);
    (*n)++;
    return array;
}

static void keep_fresh(struct fresh *into, struct fresh *from)
{
    /* A scratch struct that was never tried keeps the model's bookkeeping. */
    if (into->tried_at == 0 && into->read_at == 0) {
        model_fresh_cleanup(into);
        *into = *from;
        memset(from, 0, sizeof *from);
    }
}

struct model_vault *model_put_vault(struct model *m, struct model_vault *v)
{
    struct model_vault *old = v->id ? model_vault_by_id(m, v->id) : NULL;
    if (old == NULL)
        old = model_vault(m, v->name);
    if (old == NULL) {
        m->vaults = append(m->vaults, &m->nvaults, sizeof *m->vaults);
        /* Insert in name order (model_vault's binary search relies on it). */
        size_t at = m->nvaults - 1;
        while (at > 0 && strcasecmp(m->vaults[at - 1]->name ? m->vaults[at - 1]->name : "",
                                    v->name ? v->name : "") > 0) {
            m->vaults[at] = m->vaults[at - 1];
            at--;
        }
        old = m->vaults[at] = xcalloc(1, sizeof *old);
        *old = *v;
        old->rbac_before = old->arm_fresh.read_at ? old->rbac : -1;
        memset(v, 0, sizeof *v);
        model_bump(m);
        return old;
    }
    /* Keep what the ARM view does not carry: keys, roles, probe, first-seen RBAC flag. */
    struct model_key *keys = old->keys;
    size_t nkeys = old->nkeys;
    old->keys = NULL;
    old->nkeys = 0;
    if (!v->roles_known) {
        roles_free(v->roles, v->nroles);
        v->roles = old->roles;
        v->nroles = old->nroles;
        v->roles_known = old->roles_known;
        old->roles = NULL;
        old->nroles = 0;
    }
    /* The probe is the engine's own: an ARM view never carries one. */
    if (v->probe_fresh.tried_at == 0 && v->probe_fresh.read_at == 0)
        v->probe_latency_ms = old->probe_latency_ms;
    keep_fresh(&v->arm_fresh, &old->arm_fresh);
    keep_fresh(&v->roles_fresh, &old->roles_fresh);
    keep_fresh(&v->keys_fresh, &old->keys_fresh);
    keep_fresh(&v->probe_fresh, &old->probe_fresh);
    int rbac_before = old->rbac_before;
    if (rbac_before < 0 && v->arm_fresh.read_at)
        rbac_before = v->rbac ? 1 : 0;
    if (v->id == NULL && old->id) { /* known from a key URI only: keep the ARM part */
        v->id = old->id;
        old->id = NULL;
    }
    model_vault_cleanup(old);
    *old = *v;
    memset(v, 0, sizeof *v);
    old->keys = keys;
    old->nkeys = nkeys;
    old->rbac_before = rbac_before;
    model_bump(m);
    return old;
}

struct model_instance *model_put_instance(struct model *m, struct model_instance *mi)
{
    struct model_instance *old = model_instance(m, mi->id);
    if (old == NULL) {
        m->instances = append(m->instances, &m->ninstances, sizeof *m->instances);
        old = m->instances[m->ninstances - 1] = xcalloc(1, sizeof *old);
        *old = *mi;
        memset(mi, 0, sizeof *mi);
        model_bump(m);
        return old;
    }
    /* The ARM instance resource carries none of keys, protector, databases, history. */
    struct model_instance keep = *old;
    memset(old, 0, sizeof *old);
    *old = *mi;
    memset(mi, 0, sizeof *mi);
    old->keys = keep.keys;
    old->nkeys = keep.nkeys;
    old->protector = keep.protector;
    old->dbs = keep.dbs;
    old->ndbs = keep.ndbs;
    old->past_protectors = keep.past_protectors;
    old->npast = keep.npast;
    old->inaccessible_since = keep.inaccessible_since;
    keep_fresh(&old->arm_fresh, &keep.arm_fresh);
    old->keys_fresh = keep.keys_fresh;
    old->protector_fresh = keep.protector_fresh;
    old->dbs_fresh = keep.dbs_fresh;
    keep.keys = NULL;
    keep.nkeys = 0;
    memset(&keep.protector, 0, sizeof keep.protector);
    keep.dbs = NULL;
    keep.ndbs = 0;
    keep.past_protectors = NULL;
    keep.npast = 0;
    memset(&keep.keys_fresh, 0, sizeof keep.keys_fresh);
    memset(&keep.protector_fresh, 0, sizeof keep.protector_fresh);
    memset(&keep.dbs_fresh, 0, sizeof keep.dbs_fresh);
    model_instance_cleanup(&keep);
    model_bump(m);
    return old;
}

struct model_fog *model_put_fog(struct model *m, struct model_fog *fg)
{
    struct model_fog *old = model_fog(m, fg->id);
    if (old == NULL) {
        m->fogs = append(m->fogs, &m->nfogs, sizeof *m->fogs);
        old = m->fogs[m->nfogs - 1] = xcalloc(1, sizeof *old);
    } else {
        keep_fresh(&fg->fresh, &old->fresh);
        model_fog_cleanup(old);
    }
    *old = *fg;
    memset(fg, 0, sizeof *fg);
    model_bump(m);
    return old;
}

struct model_pe *model_put_pe(struct model *m, struct model_pe *pe)
{
    struct model_pe *old = model_pe(m, pe->id);
    if (old == NULL) {
        m->pes = append(m->pes, &m->npes, sizeof *m->pes);
        old = m->pes[m->npes - 1] = xcalloc(1, sizeof *old);
    } else {
        keep_fresh(&pe->fresh, &old->fresh);
        model_pe_cleanup(old);
    }
    *old = *pe;
    memset(pe, 0, sizeof *pe);
    model_bump(m);
    return old;
}

struct model_subscription *model_put_subscription(struct model *m, struct model_subscription *s)
{
    struct model_subscription *old = NULL;
    for (size_t i = 0; i < m->nsubs && old == NULL; i++) {
        if (same(m->subs[i]->id, s->id))
            old = m->subs[i];
    }
    if (old == NULL) {
        m->subs = append(m->subs, &m->nsubs, sizeof *m->subs);
        old = m->subs[m->nsubs - 1] = xcalloc(1, sizeof *old);
    } else {
        keep_fresh(&s->fresh, &old->fresh);
        model_subscription_cleanup(old);
    }
    *old = *s;
    memset(s, 0, sizeof *s);
    model_bump(m);
    return old;
}

void model_set_server_keys(struct model *m, struct model_instance *mi,
                           struct model_server_key *keys, size_t n)
{
    server_keys_free(mi->keys, mi->nkeys);
    mi->keys = keys;
    mi->nkeys = n;
    model_bump(m);
}

static void remember_protector(struct model_instance *mi, const char *thumbprint)
{
    if (thumbprint == NULL || thumbprint[0] == '\0')
        return;
    for (size_t i = 0; i < mi->npast; i++) {
        if (strcasecmp(mi->past_protectors[i], thumbprint) == 0)
            return;
    }
    mi->past_protectors = append(mi->past_protectors, &mi->npast, sizeof *mi->past_protectors);
    mi->past_protectors[mi->npast - 1] = xstrdup(thumbprint);
}

void model_set_protector(struct model *m, struct model_instance *mi, struct model_protector *p,
                         int64_t now_ms)
{
    (void)now_ms;
    model_protector_cleanup(&mi->protector);
    mi->protector = *p;
    memset(p, 0, sizeof *p);
    /* The protector resource rarely carries a thumbprint: take it from the registered key. */
    const char *tp = mi->protector.thumbprint;
    for (size_t i = 0; tp == NULL && i < mi->nkeys; i++) {
        if (same(mi->keys[i].name, mi->protector.server_key_name))
            tp = mi->keys[i].thumbprint;
    }
    remember_protector(mi, tp);
    model_bump(m);
}

void model_note_protector(struct model *m, struct model_instance *mi)
{
    const char *tp = mi->protector.thumbprint;
    for (size_t i = 0; tp == NULL && mi->protector.server_key_name && i < mi->nkeys; i++) {
        if (same(mi->keys[i].name, mi->protector.server_key_name))
            tp = mi->keys[i].thumbprint;
    }
    size_t before = mi->npast;
    remember_protector(mi, tp);
    if (mi->npast != before)
        model_bump(m);
}

void model_set_databases(struct model *m, struct model_instance *mi, struct model_database *dbs,
                         size_t n, int64_t now_ms)
{
    dbs_free(mi->dbs, mi->ndbs);
    mi->dbs = dbs;
    mi->ndbs = n;
    bool inaccessible = false;
    for (size_t i = 0; i < n && !inaccessible; i++)
        inaccessible = same(dbs[i].status, "Inaccessible");
    if (!inaccessible)
        mi->inaccessible_since = 0;
    else if (mi->inaccessible_since == 0)
        mi->inaccessible_since = now_ms;
    model_bump(m);
}

static int key_cmp(const void *a, const void *b)
{
    return strcasecmp(((const struct model_key *)a)->name, ((const struct model_key *)b)->name);
}

void model_set_key_names(struct model *m, struct model_vault *v, char **names, size_t n)
{
    struct model_key *keys = xcalloc(n ? n : 1, sizeof *keys);
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++) {
        struct model_key *old = model_key(v, names[i]);
        bool dup = false;
        for (size_t j = 0; j < nkeys && !dup; j++)
            dup = same(keys[j].name, names[i]);
        if (dup)
            continue;
        if (old) {
            keys[nkeys] = *old;
            memset(old, 0, sizeof *old);
        } else {
            keys[nkeys].name = xstrdup(names[i]);
        }
        nkeys++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    keys_free(v->keys, v->nkeys); /* what is left was not listed any more */
    if (nkeys > 1)
        qsort(keys, nkeys, sizeof *keys, key_cmp);
    v->keys = keys;
    v->nkeys = nkeys;
    model_bump(m);
}

static int version_cmp(const void *a, const void *b)
{
    const struct model_version *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->version ? x->version : "", y->version ? y->version : "");
}

/* Keeps the material (kty, bits, ops, fingerprint, fresh) of a version read before. */
static void carry_material(struct model_version *into, struct model_version *from)
{
    if (into->kty == NULL && from->kty) {
        into->kty = from->kty;
        from->kty = NULL;
    }
    if (into->bits == 0)
        into->bits = from->bits;
    if (!into->ops_known && from->ops_known) {
        into->ops = from->ops;
        into->ops_known = true;
    }
    if (into->fingerprint[0] == '\0')
        memcpy(into->fingerprint, from->fingerprint, sizeof into->fingerprint);
    keep_fresh(&into->fresh, &from->fresh);
}

void model_set_versions(struct model *m, struct model_key *k, struct model_version *versions,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct model_version *old = model_version(k, versions[i].version);
        if (old)
            carry_material(&versions[i], old);
    }
    for (size_t i = 0; i < k->nversions; i++)
        model_version_cleanup(&k->versions[i]);
    free(k->versions);
    if (n > 1)
        qsort(versions, n, sizeof *versions, version_cmp);
    k->versions = versions;
    k->nversions = n;
    model_bump(m);
}

void model_put_version(struct model *m, struct model_key *k, struct model_version *ver)
{
    struct model_version *old = model_version(k, ver->version);
    if (old) {
        carry_material(ver, old);
        model_version_cleanup(old);
        *old = *ver;
    } else {
        k->versions = append(k->versions, &k->nversions, sizeof *k->versions);
        k->versions[k->nversions - 1] = *ver;
        qsort(k->versions, k->nversions, sizeof *k->versions, version_cmp);
    }
    memset(ver, 0, sizeof *ver);
    model_bump(m);
}

/* -- freshness -------------------------------------------------------------------------------- */

void model_fresh_ok(struct model *m, struct fresh *f, int64_t now_ms, const char *request_id)
{
    f->read_at = now_ms;
    f->tried_at = now_ms;
    f->err = CORE_OK;
    f->status = 0;
    free(f->error);
    f->error = NULL;
    xstr_set(&f->request_id, request_id);
    model_bump(m);
}

void model_fresh_fail(struct model *m, struct fresh *f, int64_t now_ms, enum core_err err,
                      int status, const char *error, const char *request_id)
{
    f->tried_at = now_ms;
    f->err = err == CORE_OK ? CORE_ERR_HTTP : err;
    f->status = status;
    xstr_set(&f->error, error ? error : core_err_name(f->err));
    xstr_set(&f->request_id, request_id);
    model_bump(m);
}

bool model_fresh_stale(const struct fresh *f)
{
    return f->read_at == 0 || f->err != CORE_OK;
}
