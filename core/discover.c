/*
 * discover — which reads a sweep makes, and what each answer changes in the
 * model (see engine.h for the schedule and engine_int.h for reads/sweeps).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armclient.h"
#include "engine_int.h"
#include "kvclient.h"
#include "xmem.h"

static struct model *M(struct read *r)
{
    return r->e->model;
}

static void stamp(struct read *r, struct fresh *f, const struct az_status *st)
{
    int64_t now = engine_wall(r->e);
    if (st->err == CORE_OK)
        model_fresh_ok(M(r), f, now, st->request_id);
    else
        model_fresh_fail(M(r), f, now, st->err, (int)st->status, st->error, st->request_id);
}

static bool network_failure(enum core_err err)
{
    return err == CORE_ERR_NETWORK || err == CORE_ERR_TIMEOUT || err == CORE_ERR_TLS;
}

static void follow_arm(struct read *r, const struct az_status *st)
{
    if (st->ratelimit_reads >= 0)
        engine_arm_remaining(r->e, st->ratelimit_reads);
}

/* -- vaults ----------------------------------------------------------------------------------- */

/* https://NAME.SUFFIX[:PORT] of a key or vault URI (heap), or NULL. */
static char *vault_base_of(const char *uri)
{
    char *norm = model_uri_normalise(uri);
    if (norm == NULL)
        return NULL;
    char *slash = strchr(norm + 8, '/');
    if (slash)
        *slash = '\0';
    return norm;
}

static bool is_deleted(struct engine *e, const char *name)
{
    for (size_t i = 0; i < e->ndeleted; i++) {
        if (strcasecmp(e->deleted_vaults[i], name) == 0)
            return true;
    }
    return false;
}

/* Takes a vault's ARM view out of the cache (NULL when ARM did not list it). */
static bool cache_take(struct engine *e, const char *name, struct model_vault *out)
{
    struct arm_vault_cache *c = &e->arm_vaults;
    for (size_t i = 0; i < c->n; i++) {
        if (c->vaults[i].name && strcasecmp(c->vaults[i].name, name) == 0) {
            *out = c->vaults[i];
            c->vaults[i] = c->vaults[--c->n];
            return true;
        }
    }
    return false;
}

/* Role assignments matter for RBAC vaults (a revoked grant is CRIT): read once ARM told us the id.
 */
static void role_reads(struct engine *e, struct sweep *sw, const struct model_vault *v)
{
    if (sw->kind != ENGINE_SWEEP_PROBE && v->rbac && v->id && !v->deleted &&
        engine_sweep_claim(sw, "roles", v->name))
        engine_read(e, sw, R_ROLES, v->name, v->id, NULL, NULL);
}

static void vault_reads(struct engine *e, struct sweep *sw, struct model_vault *v)
{
    role_reads(e, sw, v);
    if (v->deleted || v->uri == NULL || !engine_sweep_claim(sw, "vault", v->name))
        return;
    if (!sw->urgent && !pace_backoff_ready(engine_vault_backoff(e, v->name), engine_wall(e)))
        return; /* a vault that keeps failing is left alone for a while */
    engine_read(e, sw, R_KEYS, v->name, v->uri, NULL, NULL);
}

/* A key URI names a vault that matters: make sure the model has it and read it. */
static void key_vault(struct engine *e, struct sweep *sw, const char *key_uri)
{
    char name[128], key[128], version[64];
    if (key_uri == NULL || model_uri_parse(key_uri, name, key, version) < 0)
        return;
    struct model_vault *v = model_vault(e->model, name);
    if (v == NULL) {
        struct model_vault scratch = {0};
        if (!cache_take(e, name, &scratch)) {
            scratch.name = xstrdup(name);
            scratch.rbac_before = -1;
        }
        if (scratch.uri == NULL)
            scratch.uri = vault_base_of(key_uri);
        scratch.probe_latency_ms = -1;
        scratch.deleted = scratch.deleted || is_deleted(e, name);
        v = model_put_vault(e->model, &scratch);
        engine_read(e, sw, R_PROBE, v->name, v->uri, NULL, NULL);
    }
    vault_reads(e, sw, v);
}

static void on_vaults(const struct az_status *st, struct model_vault *items, size_t n, void *arg)
{
    struct read *r = arg;
    struct engine *e = r->e;
    r->call = NULL;
    follow_arm(r, st);
    for (size_t i = 0; i < n; i++) {
        struct model_vault *v = &items[i];
        stamp(r, &v->arm_fresh, st);
        v->deleted = false;
        struct model_vault *known = model_vault(e->model, v->name);
        if (known) {
            bool was_deleted = known->deleted;
            known = model_put_vault(e->model, v);
            role_reads(e, r->sw, known);
            if (was_deleted) { /* recovered: its keys and path are worth a look now */
                vault_reads(e, r->sw, known);
                engine_read(e, r->sw, R_PROBE, known->name, known->uri, NULL, NULL);
            }
            continue;
        }
        struct arm_vault_cache *c = &e->arm_vaults;
        for (size_t j = 0; j < c->n; j++) {
            if (strcasecmp(c->vaults[j].name, v->name) == 0) {
                model_vault_cleanup(&c->vaults[j]);
                c->vaults[j] = c->vaults[--c->n];
                break;
            }
        }
        c->vaults = xrealloc(c->vaults, c->n + 1, sizeof *c->vaults);
        c->vaults[c->n++] = *v;
        memset(v, 0, sizeof *v);
    }
    free(items);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_deleted_vaults(const struct az_status *st, char **names, size_t n, void *arg)
{
    struct read *r = arg;
    struct engine *e = r->e;
    r->call = NULL;
    follow_arm(r, st);
    for (size_t i = 0; i < n; i++) {
        struct model_vault *v = model_vault(e->model, names[i]);
        if (v && !v->deleted) {
            v->deleted = true;
            model_bump(e->model);
        }
        if (!is_deleted(e, names[i])) {
            e->deleted_vaults = xrealloc(e->deleted_vaults, e->ndeleted + 1, sizeof *names);
            e->deleted_vaults[e->ndeleted++] = names[i];
        } else {
            free(names[i]);
        }
    }
    free(names);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_roles(const struct az_status *st, struct model_role *items, size_t n, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    struct model_vault *v = model_vault(M(r), r->a);
    if (v) {
        stamp(r, &v->roles_fresh, st);
        if (st->err == CORE_OK) {
            for (size_t i = 0; i < v->nroles; i++)
                model_role_cleanup(&v->roles[i]);
            free(v->roles);
            v->roles = items;
            v->nroles = n;
            v->roles_known = true;
            items = NULL;
            n = 0;
            model_bump(M(r));
        }
    }
    for (size_t i = 0; i < n; i++)
        model_role_cleanup(&items[i]);
    free(items);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_pes(const struct az_status *st, struct model_pe *items, size_t n, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    for (size_t i = 0; i < n; i++) {
        stamp(r, &items[i].fresh, st);
        model_put_pe(M(r), &items[i]);
    }
    free(items);
    engine_read_done(r, st->err != CORE_OK);
}

/* -- the data plane --------------------------------------------------------------------------- */

static struct model_key *key_of(struct read *r)
{
    return model_key(model_vault(M(r), r->a), r->c);
}

static void vault_outcome(struct read *r, const struct az_status *st)
{
    struct pace_backoff *b = engine_vault_backoff(r->e, r->a);
    if (network_failure(st->err))
        pace_backoff_fail(b, engine_wall(r->e), r->e->o.health_ms, r->e->o.structure_ms);
    else
        pace_backoff_ok(b);
}

static void on_keys(const struct az_status *st, char **names, size_t n, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    vault_outcome(r, st);
    struct model_vault *v = model_vault(M(r), r->a);
    if (v == NULL || st->err != CORE_OK) {
        if (v)
            stamp(r, &v->keys_fresh, st);
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        engine_read_done(r, st->err != CORE_OK);
        return;
    }
    model_set_key_names(M(r), v, names, n);
    stamp(r, &v->keys_fresh, st);
    for (size_t i = 0; i < v->nkeys; i++) {
        engine_read(r->e, r->sw, R_VERSIONS, v->name, v->uri, v->keys[i].name, NULL);
        /* Policies change rarely: full sweeps, and any key whose policy was never read. */
        if (r->sw->kind == ENGINE_SWEEP_FULL || v->keys[i].rotation_fresh.tried_at == 0)
            engine_read(r->e, r->sw, R_ROTATION, v->name, v->uri, v->keys[i].name, NULL);
    }
    engine_read_done(r, false);
}

static void on_versions(const struct az_status *st, struct model_version *items, size_t n,
                        void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    struct model_key *k = key_of(r);
    if (k == NULL || st->err != CORE_OK) {
        if (k)
            stamp(r, &k->versions_fresh, st);
        for (size_t i = 0; i < n; i++)
            model_version_cleanup(&items[i]);
        free(items);
        engine_read_done(r, st->err != CORE_OK);
        return;
    }
    model_set_versions(M(r), k, items, n);
    stamp(r, &k->versions_fresh, st);
    /* The material of a version never changes: read it once. */
    for (size_t i = 0; i < k->nversions; i++) {
        if (k->versions[i].fingerprint[0] == '\0' && k->versions[i].kty == NULL)
            engine_read(r->e, r->sw, R_VERSION, r->a, r->b, k->name, k->versions[i].version);
    }
    engine_read_done(r, false);
}

static void on_version(const struct az_status *st, struct model_version *v, const char *key_name,
                       void *arg)
{
    (void)key_name;
    struct read *r = arg;
    r->call = NULL;
    struct model_key *k = key_of(r);
    struct model_version *known = k ? model_version(k, r->d) : NULL;
    if (known && st->err != CORE_OK) {
        stamp(r, &known->fresh, st);
    } else if (k && st->err == CORE_OK && v->version) {
        stamp(r, &v->fresh, st);
        model_put_version(M(r), k, v);
    }
    model_version_cleanup(v);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_rotation(const struct az_status *st, struct model_rotation *rot, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    struct model_key *k = key_of(r);
    if (k) {
        stamp(r, &k->rotation_fresh, st);
        if (st->err == CORE_OK) {
            free(k->rotation.expiry_time);
            k->rotation = *rot;
            memset(rot, 0, sizeof *rot);
            model_bump(M(r));
        }
    }
    free(rot->expiry_time);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_probe(const struct az_reply *reply, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    const struct az_status *st = &reply->st;
    struct model_vault *v = model_vault(M(r), r->a);
    /* Any answer, even 401 or 403, proves the console's path to the vault works. */
    bool answered = st->status > 0 && !network_failure(st->err);
    if (!st->sent) { /* nothing reached the vault: the probe says nothing about the path */
        engine_read_done(r, false);
        return;
    }
    vault_outcome(r, st);
    if (v) {
        int64_t now = engine_wall(r->e);
        if (answered) {
            model_fresh_ok(M(r), &v->probe_fresh, now, st->request_id);
            v->probe_latency_ms = st->attempt_ms; /* the path alone: no queue, no retry waits */
        } else {
            model_fresh_fail(M(r), &v->probe_fresh, now, st->err, (int)st->status, st->error,
                             st->request_id);
        }
    }
    engine_read_done(r, !answered);
}

/* -- instances -------------------------------------------------------------------------------- */

static void instance_reads(struct engine *e, struct sweep *sw, const struct model_instance *mi)
{
    if (!engine_sweep_claim(sw, "instance", mi->id))
        return;
    engine_read(e, sw, R_SERVER_KEYS, mi->id, NULL, NULL, NULL);
    engine_read(e, sw, R_PROTECTOR, mi->id, NULL, NULL, NULL);
    engine_read(e, sw, R_DATABASES, mi->id, NULL, NULL, NULL);
    if (sw->kind != ENGINE_SWEEP_FULL || !mi->subscription_id || !mi->resource_group ||
        !mi->location)
        return;
    char *place = xasprintf("%s/%s/%s", mi->subscription_id, mi->resource_group, mi->location);
    if (engine_sweep_claim(sw, "fogs", place))
        engine_read(e, sw, R_FOGS, mi->subscription_id, mi->resource_group, mi->location, NULL);
    free(place);
}

static struct model_subscription *subscription(struct model *m, const char *id)
{
    for (size_t i = 0; i < m->nsubs; i++) {
        if (strcasecmp(m->subs[i]->id, id) == 0)
            return m->subs[i];
    }
    struct model_subscription s = {.id = xstrdup(id)};
    return model_put_subscription(m, &s);
}

static void on_instances(const struct az_status *st, struct model_instance *items, size_t n,
                         void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    stamp(r, &subscription(M(r), r->a)->fresh, st);
    for (size_t i = 0; i < n; i++) {
        stamp(r, &items[i].arm_fresh, st);
        struct model_instance *mi = model_put_instance(M(r), &items[i]);
        instance_reads(r->e, r->sw, mi);
    }
    free(items);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_instance(const struct az_status *st, struct model_instance *mi, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    struct model_instance *known = model_instance(M(r), r->a);
    if (st->err == CORE_OK && mi->id) {
        stamp(r, &mi->arm_fresh, st);
        known = model_put_instance(M(r), mi);
        instance_reads(r->e, r->sw, known);
    } else if (known) {
        stamp(r, &known->arm_fresh, st);
    }
    model_instance_cleanup(mi);
    engine_read_done(r, st->err != CORE_OK);
}

/* The instance a per-instance ARM answer is about (NULL when it left the model), with part stamped.
 */
static struct model_instance *instance_answered(struct read *r, const struct az_status *st,
                                                size_t part)
{
    r->call = NULL;
    follow_arm(r, st);
    struct model_instance *mi = model_instance(M(r), r->a);
    if (mi)
        stamp(r, (struct fresh *)(void *)((char *)mi + part), st);
    return mi;
}

static void on_server_keys(const struct az_status *st, struct model_server_key *items, size_t n,
                           void *arg)
{
    struct read *r = arg;
    struct model_instance *mi =
        instance_answered(r, st, offsetof(struct model_instance, keys_fresh));
    if (mi && st->err == CORE_OK) {
        model_set_server_keys(M(r), mi, items, n);
        model_note_protector(M(r), mi);
        for (size_t i = 0; i < mi->nkeys; i++)
            key_vault(r->e, r->sw, mi->keys[i].uri);
    } else {
        for (size_t i = 0; i < n; i++)
            model_server_key_cleanup(&items[i]);
        free(items);
    }
    engine_read_done(r, st->err != CORE_OK);
}

static void on_protector(const struct az_status *st, struct model_protector *p, void *arg)
{
    struct read *r = arg;
    struct model_instance *mi =
        instance_answered(r, st, offsetof(struct model_instance, protector_fresh));
    if (mi && st->err == CORE_OK) {
        model_set_protector(M(r), mi, p, engine_wall(r->e));
        key_vault(r->e, r->sw, mi->protector.uri);
    }
    model_protector_cleanup(p);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_databases(const struct az_status *st, struct model_database *items, size_t n,
                         void *arg)
{
    struct read *r = arg;
    struct model_instance *mi =
        instance_answered(r, st, offsetof(struct model_instance, dbs_fresh));
    if (mi && st->err == CORE_OK) {
        model_set_databases(M(r), mi, items, n, engine_wall(r->e));
    } else {
        for (size_t i = 0; i < n; i++)
            model_database_cleanup(&items[i]);
        free(items);
    }
    engine_read_done(r, st->err != CORE_OK);
}

/* -- failover groups and subscriptions -------------------------------------------------------- */

static void put_fog(struct read *r, struct model_fog *fg, const struct az_status *st)
{
    stamp(r, &fg->fresh, st);
    engine_sweep_claim(r->sw, "fog", fg->id); /* read now: no need for a GET this sweep */
    struct model_fog *known = model_put_fog(M(r), fg);
    const char *ids[] = {known->primary_id, known->secondary_id};
    for (size_t i = 0; i < 2; i++) {
        if (ids[i] && model_instance(M(r), ids[i]) == NULL)
            engine_read(r->e, r->sw, R_INSTANCE, ids[i], NULL, NULL, NULL);
    }
}

static void on_fogs(const struct az_status *st, struct model_fog *items, size_t n, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    for (size_t i = 0; i < n; i++)
        put_fog(r, &items[i], st);
    free(items);
    engine_read_done(r, st->err != CORE_OK);
}

static void on_fog(const struct az_status *st, struct model_fog *fg, void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    if (st->err == CORE_OK && fg->id) {
        put_fog(r, fg, st);
    } else {
        /* Mark the group we know, if any, as stale. */
        for (size_t i = 0; i < M(r)->nfogs; i++) {
            struct model_fog *known = M(r)->fogs[i];
            if (strcasecmp(known->name, r->d) == 0 && strcasecmp(known->resource_group, r->b) == 0)
                stamp(r, &known->fresh, st);
        }
    }
    model_fog_cleanup(fg);
    engine_read_done(r, st->err != CORE_OK);
}

/*
 * A subscription's vaults, deleted vaults and private endpoints: one request
 * each however many there are, and what a revoked grant, a permission-model
 * flip, a deleted vault or a rejected endpoint changes, so health sweeps read
 * them too.
 */
static void vault_list_reads(struct engine *e, struct sweep *sw, const char *sub)
{
    if (!engine_sweep_claim(sw, "vaults", sub))
        return;
    engine_read(e, sw, R_VAULTS, sub, NULL, NULL, NULL);
    engine_read(e, sw, R_DELETED_VAULTS, sub, NULL, NULL, NULL);
    engine_read(e, sw, R_PES, sub, NULL, NULL, NULL);
}

static void subscription_reads(struct engine *e, struct sweep *sw, const char *sub)
{
    engine_read(e, sw, R_INSTANCES, sub, NULL, NULL, NULL);
    vault_list_reads(e, sw, sub);
}

static void on_subscriptions(const struct az_status *st, struct model_subscription *items, size_t n,
                             void *arg)
{
    struct read *r = arg;
    r->call = NULL;
    follow_arm(r, st);
    for (size_t i = 0; i < n; i++) {
        stamp(r, &items[i].fresh, st);
        struct model_subscription *s = model_put_subscription(M(r), &items[i]);
        subscription_reads(r->e, r->sw, s->id);
    }
    free(items);
    engine_read_done(r, st->err != CORE_OK);
}

/* -- starting reads and sweeps ---------------------------------------------------------------- */

void discover_start(struct read *r)
{
    struct azure *az = r->e->az;
    switch (r->kind) {
    case R_SUBSCRIPTIONS:
        r->call = arm_list_subscriptions(az, on_subscriptions, r);
        break;
    case R_INSTANCES:
        r->call = arm_list_instances(az, r->a, on_instances, r);
        break;
    case R_VAULTS:
        r->call = arm_list_vaults(az, r->a, on_vaults, r);
        break;
    case R_DELETED_VAULTS:
        r->call = arm_list_deleted_vaults(az, r->a, on_deleted_vaults, r);
        break;
    case R_PES:
        r->call = arm_list_pes(az, r->a, on_pes, r);
        break;
    case R_FOGS:
        r->call = arm_list_fogs(az, r->a, r->b, r->c, on_fogs, r);
        break;
    case R_FOG:
        r->call = arm_get_fog(az, r->a, r->b, r->c, r->d, on_fog, r);
        break;
    case R_INSTANCE:
        r->call = arm_get_instance(az, r->a, on_instance, r);
        break;
    case R_SERVER_KEYS:
        r->call = arm_list_server_keys(az, r->a, on_server_keys, r);
        break;
    case R_PROTECTOR:
        r->call = arm_get_protector(az, r->a, on_protector, r);
        break;
    case R_DATABASES:
        r->call = arm_list_databases(az, r->a, on_databases, r);
        break;
    case R_ROLES:
        r->call = arm_list_roles(az, r->b, on_roles, r);
        break;
    case R_KEYS:
        r->call = kv_list_keys(az, r->b, on_keys, r);
        break;
    case R_VERSIONS:
        r->call = kv_list_versions(az, r->b, r->c, on_versions, r);
        break;
    case R_VERSION:
        r->call = kv_get_key(az, r->b, r->c, r->d, on_version, r);
        break;
    case R_ROTATION:
        r->call = kv_get_rotation_policy(az, r->b, r->c, on_rotation, r);
        break;
    case R_PROBE:
        r->call = kv_probe(az, r->b, on_probe, r);
        break;
    }
}

void discover_full(struct engine *e, struct sweep *sw)
{
    for (size_t i = 0; i < e->ndeleted; i++)
        free(e->deleted_vaults[i]);
    free(e->deleted_vaults);
    e->deleted_vaults = NULL;
    e->ndeleted = 0;
    if (e->o.all_subscriptions)
        engine_read(e, sw, R_SUBSCRIPTIONS, NULL, NULL, NULL, NULL);
    for (size_t i = 0; i < e->o.nsubscriptions; i++) {
        subscription(e->model, e->o.subscriptions[i]);
        subscription_reads(e, sw, e->o.subscriptions[i]);
    }
    for (size_t i = 0; i < e->o.nfogs; i++) {
        const struct engine_fog_target *t = &e->o.fogs[i];
        engine_read(e, sw, R_FOG, t->subscription, t->resource_group, t->location, t->name);
    }
    /* Groups and instances known from the snapshot are read even if discovery misses them. */
    discover_health(e, sw);
}

void discover_health(struct engine *e, struct sweep *sw)
{
    struct model *m = e->model;
    for (size_t i = 0; i < m->nsubs; i++)
        vault_list_reads(e, sw, m->subs[i]->id);
    for (size_t i = 0; i < m->ninstances; i++)
        instance_reads(e, sw, m->instances[i]);
    for (size_t i = 0; i < m->nfogs; i++) {
        const struct model_fog *fg = m->fogs[i];
        if (fg->subscription_id && fg->resource_group && fg->primary_location && fg->name &&
            engine_sweep_claim(sw, "fog", fg->id))
            engine_read(e, sw, R_FOG, fg->subscription_id, fg->resource_group, fg->primary_location,
                        fg->name);
    }
    for (size_t i = 0; i < m->nvaults; i++)
        vault_reads(e, sw, m->vaults[i]);
}

void discover_probe(struct engine *e, struct sweep *sw)
{
    for (size_t i = 0; i < e->model->nvaults; i++) {
        const struct model_vault *v = e->model->vaults[i];
        if (v->uri && !v->deleted)
            engine_read(e, sw, R_PROBE, v->name, v->uri, NULL, NULL);
    }
}

void discover_cleanup(struct engine *e)
{
    for (size_t i = 0; i < e->arm_vaults.n; i++)
        model_vault_cleanup(&e->arm_vaults.vaults[i]);
    free(e->arm_vaults.vaults);
    for (size_t i = 0; i < e->ndeleted; i++)
        free(e->deleted_vaults[i]);
    free(e->deleted_vaults);
}
