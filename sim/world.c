#include "world.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vault.h"
#include "xmem.h"

struct world *world_create(void)
{
    struct world *world = xcalloc(1, sizeof *world);
    pthread_rwlock_init(&world->lock, NULL);
    world->settings.transition_ms = 1500;
    world->settings.token_lifetime = 3599;
    world->settings.backup_max_versions = 500;
    return world;
}

static void principal_cleanup(struct principal *p)
{
    free(p->name);
    free(p->tenant_id);
    free(p->client_id);
    free(p->object_id);
    if (p->secret) {
        memset(p->secret, 0, strlen(p->secret));
        free(p->secret);
    }
    free(p->cert_pem);
    free(p->resource_id);
}

void world_destroy(struct world *world)
{
    if (world == NULL)
        return;
    for (size_t i = 0; i < world->nvaults; i++)
        vault_destroy(world->vaults[i]);
    free(world->vaults);
    for (size_t i = 0; i < world->nprincipals; i++)
        principal_cleanup(&world->principals[i]);
    free(world->principals);
    for (size_t i = 0; i < world->nsubscriptions; i++) {
        free(world->subscriptions[i].id);
        free(world->subscriptions[i].name);
        free(world->subscriptions[i].tenant_id);
    }
    free(world->subscriptions);
    for (size_t i = 0; i < world->ntenants; i++) {
        free(world->tenants[i].id);
        free(world->tenants[i].name);
    }
    free(world->tenants);
    for (size_t i = 0; i < world->nregions; i++) {
        free(world->regions[i].name);
        free(world->regions[i].geography);
    }
    free(world->regions);
    free(world->name);
    pthread_rwlock_destroy(&world->lock);
    free(world);
}

void world_rdlock(struct world *world)
{
    pthread_rwlock_rdlock(&world->lock);
}

void world_wrlock(struct world *world)
{
    pthread_rwlock_wrlock(&world->lock);
}

void world_unlock(struct world *world)
{
    pthread_rwlock_unlock(&world->lock);
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

struct vault *world_vault(const struct world *world, const char *name)
{
    for (size_t i = 0; i < world->nvaults; i++) {
        if (same(world->vaults[i]->name, name))
            return world->vaults[i];
    }
    return NULL;
}

const struct tenant *world_tenant(const struct world *world, const char *id_or_name)
{
    for (size_t i = 0; i < world->ntenants; i++) {
        if (same(world->tenants[i].id, id_or_name) || same(world->tenants[i].name, id_or_name))
            return &world->tenants[i];
    }
    return NULL;
}

const struct subscription *world_subscription(const struct world *world, const char *id_or_name)
{
    for (size_t i = 0; i < world->nsubscriptions; i++) {
        const struct subscription *s = &world->subscriptions[i];
        if (same(s->id, id_or_name) || same(s->name, id_or_name))
            return s;
    }
    return NULL;
}

const struct region *world_region(const struct world *world, const char *name)
{
    for (size_t i = 0; i < world->nregions; i++) {
        if (same(world->regions[i].name, name))
            return &world->regions[i];
    }
    return NULL;
}

const char *world_geography(const struct world *world, const char *region)
{
    const struct region *r = world_region(world, region);
    return r ? r->geography : NULL;
}

const struct principal *world_principal(const struct world *world, const char *name_or_id)
{
    for (size_t i = 0; i < world->nprincipals; i++) {
        const struct principal *p = &world->principals[i];
        if (same(p->name, name_or_id) || same(p->object_id, name_or_id) ||
            same(p->client_id, name_or_id))
            return p;
    }
    return NULL;
}

const struct principal *world_principal_by_client(const struct world *world, const char *tenant_id,
                                                  const char *client_id)
{
    for (size_t i = 0; i < world->nprincipals; i++) {
        const struct principal *p = &world->principals[i];
        if (same(p->client_id, client_id) && same(p->tenant_id, tenant_id))
            return p;
    }
    return NULL;
}

const struct principal *world_principal_by_oid(const struct world *world, const char *object_id)
{
    for (size_t i = 0; i < world->nprincipals; i++) {
        if (same(world->principals[i].object_id, object_id))
            return &world->principals[i];
    }
    return NULL;
}

#define APPEND(array, count, item)                                 \
    do {                                                           \
        (array) = xrealloc((array), (count) + 1, sizeof *(array)); \
        (array)[(count)++] = (item);                               \
    } while (0)

void world_add_region(struct world *world, struct region region)
{
    APPEND(world->regions, world->nregions, region);
}

void world_add_tenant(struct world *world, struct tenant tenant)
{
    APPEND(world->tenants, world->ntenants, tenant);
}

void world_add_subscription(struct world *world, struct subscription sub)
{
    APPEND(world->subscriptions, world->nsubscriptions, sub);
}

void world_add_principal(struct world *world, struct principal principal)
{
    APPEND(world->principals, world->nprincipals, principal);
}

void world_add_vault(struct world *world, struct vault *vault)
{
    APPEND(world->vaults, world->nvaults, vault);
}
