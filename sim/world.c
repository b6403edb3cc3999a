#include "world.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instance.h"
#include "vault.h"
#include "xmem.h"

struct world *world_create(void)
{
    struct world *world = xcalloc(1, sizeof *world);
    pthread_rwlock_init(&world->lock, NULL);
    world->settings.transition_ms = 1500;
    world->settings.token_lifetime = 3599;
    world->settings.backup_max_versions = 500;
    world->settings.mi_check_interval = 600;
    world->settings.inaccessible_after = 600;
    world->settings.heal_window = 1800;
    world->settings.heal_delay = 600;
    world->settings.rotation_pickup = 3600;
    world->settings.arm_operation_ms = 1000;
    world->settings.arm_read_bucket = 250;
    world->settings.arm_read_refill = 25;
    world->settings.arm_write_bucket = 200;
    world->settings.arm_write_refill = 10;
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
    for (size_t i = 0; i < world->ninstances; i++)
        instance_destroy(world->instances[i]);
    free(world->instances);
    for (size_t i = 0; i < world->nfogs; i++)
        failover_group_destroy(world->fogs[i]);
    free(world->fogs);
    for (size_t i = 0; i < world->npes; i++)
        private_endpoint_destroy(world->pes[i]);
    free(world->pes);
    for (size_t i = 0; i < world->narm_roles; i++) {
        free(world->arm_roles[i].id);
        free(world->arm_roles[i].principal_id);
        free(world->arm_roles[i].role);
        free(world->arm_roles[i].scope);
    }
    free(world->arm_roles);
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

void world_add_instance(struct world *world, struct instance *mi)
{
    APPEND(world->instances, world->ninstances, mi);
}

void world_add_fog(struct world *world, struct failover_group *fg)
{
    APPEND(world->fogs, world->nfogs, fg);
}

void world_add_pe(struct world *world, struct private_endpoint *pe)
{
    APPEND(world->pes, world->npes, pe);
}

void world_add_arm_role(struct world *world, struct arm_role role)
{
    APPEND(world->arm_roles, world->narm_roles, role);
}

struct instance *world_instance(const struct world *world, const char *name)
{
    for (size_t i = 0; i < world->ninstances; i++) {
        if (same(world->instances[i]->name, name))
            return world->instances[i];
    }
    return NULL;
}

struct failover_group *world_fog_of(const struct world *world, const char *instance)
{
    for (size_t i = 0; i < world->nfogs; i++) {
        if (same(world->fogs[i]->primary, instance) || same(world->fogs[i]->secondary, instance))
            return world->fogs[i];
    }
    return NULL;
}

struct failover_group *world_fog(const struct world *world, const char *name)
{
    for (size_t i = 0; i < world->nfogs; i++) {
        if (same(world->fogs[i]->name, name))
            return world->fogs[i];
    }
    return NULL;
}

struct private_endpoint *world_pe(const struct world *world, const char *name)
{
    for (size_t i = 0; i < world->npes; i++) {
        if (same(world->pes[i]->name, name))
            return world->pes[i];
    }
    return NULL;
}

struct private_endpoint *world_pe_for(const struct world *world, const char *vault,
                                      const char *region)
{
    for (size_t i = 0; i < world->npes; i++) {
        if (same(world->pes[i]->vault, vault) && same(world->pes[i]->region, region))
            return world->pes[i];
    }
    return NULL;
}
