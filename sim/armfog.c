/*
 * Microsoft.Sql instance failover groups. A group lives under a location:
 * each of its two regions has its own view of it (replicationRole Primary in
 * the primary's region, Secondary in the other). Updates and deletes go to
 * the primary's location, failovers to the secondary's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armint.h"
#include "armsqlint.h"
#include "instance.h"
#include "sim.h"
#include "world.h"
#include "xmem.h"

#define FOGS                                                                   \
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Sql/locations/{}/" \
    "instanceFailoverGroups"

static const struct instance *inst(const struct arm_ctx *ctx, const char *name)
{
    return world_instance(ctx->world, name);
}

/* The group as seen from location loc (normalised), or NULL when loc is neither of its regions. */
static cJSON *fog_json(const struct arm_ctx *ctx, const struct failover_group *fg, const char *loc)
{
    const struct instance *p = inst(ctx, fg->primary), *s = inst(ctx, fg->secondary);
    if (p == NULL || s == NULL)
        return NULL;
    bool primary_view = strcasecmp(loc, p->region) == 0;
    if (!primary_view && strcasecmp(loc, s->region) != 0)
        return NULL;
    char *id = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/locations/%s/"
                         "instanceFailoverGroups/%s",
                         fg->subscription_id, fg->resource_group, loc, fg->name);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", fg->name);
    cJSON_AddStringToObject(j, "type", "Microsoft.Sql/locations/instanceFailoverGroups");
    cJSON_AddStringToObject(j, "id", id);
    free(id);
    cJSON *props = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(props, "secondaryType", fg->secondary_type);
    cJSON *rw = cJSON_AddObjectToObject(props, "readWriteEndpoint");
    cJSON_AddStringToObject(rw, "failoverPolicy", fg->automatic ? "Automatic" : "Manual");
    if (fg->automatic)
        cJSON_AddNumberToObject(rw, "failoverWithDataLossGracePeriodMinutes", fg->grace_minutes);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "readOnlyEndpoint"), "failoverPolicy",
                            fg->readonly_enabled ? "Enabled" : "Disabled");
    cJSON_AddStringToObject(props, "replicationRole", primary_view ? "Primary" : "Secondary");
    cJSON_AddStringToObject(props, "replicationState", "CATCH_UP");
    cJSON *partner = cJSON_CreateObject();
    cJSON_AddStringToObject(partner, "location", primary_view ? s->region : p->region);
    cJSON_AddStringToObject(partner, "replicationRole", primary_view ? "Secondary" : "Primary");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(props, "partnerRegions"), partner);
    cJSON *pair = cJSON_CreateObject();
    char *pid = arm_instance_id(p), *sid = arm_instance_id(s);
    cJSON_AddStringToObject(pair, "primaryManagedInstanceId", pid);
    cJSON_AddStringToObject(pair, "partnerManagedInstanceId", sid);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(props, "managedInstancePairs"), pair);
    free(pid);
    free(sid);
    return j;
}

static void list_fogs(struct arm_ctx *ctx)
{
    char loc[64];
    arm_location(ctx->params[2], loc);
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < ctx->world->nfogs; i++) {
        const struct failover_group *fg = ctx->world->fogs[i];
        if (strcasecmp(fg->subscription_id, ctx->params[0]) != 0 ||
            strcasecmp(fg->resource_group, ctx->params[1]) != 0)
            continue;
        cJSON *j = fog_json(ctx, fg, loc);
        if (j)
            cJSON_AddItemToArray(values, j);
    }
    arm_reply_list(ctx, values);
}

/* The group of the route, visible from its location; NULL after answering 404. */
static struct failover_group *this_fog(struct arm_ctx *ctx, char loc[64])
{
    arm_location(ctx->params[2], loc);
    struct failover_group *fg = world_fog(ctx->world, ctx->params[3]);
    cJSON *view = fg && strcasecmp(fg->resource_group, ctx->params[1]) == 0 &&
                          strcasecmp(fg->subscription_id, ctx->params[0]) == 0
                      ? fog_json(ctx, fg, loc)
                      : NULL;
    if (view == NULL) {
        arm_not_found(ctx, "Microsoft.Sql/locations/instanceFailoverGroups", ctx->params[3]);
        return NULL;
    }
    cJSON_Delete(view);
    return fg;
}

static void get_fog(struct arm_ctx *ctx)
{
    char loc[64];
    struct failover_group *fg = this_fog(ctx, loc);
    if (fg)
        arm_reply(ctx, 200, fog_json(ctx, fg, loc));
}

struct fog_change {
    char name[128];
    char rg[128];
    char sub[64];
    char primary[128], secondary[128];
    bool automatic, readonly_enabled;
    int grace;
    char type[16];
    enum { CHANGE_UPSERT, CHANGE_DELETE, CHANGE_FAILOVER } what;
};

static void apply_fog(struct sim *sim, void *payload)
{
    struct fog_change *c = payload;
    struct world *w = sim->world;
    struct failover_group *fg = world_fog(w, c->name);
    if (c->what == CHANGE_DELETE) {
        for (size_t i = 0; fg && i < w->nfogs; i++) {
            if (w->fogs[i] == fg) {
                failover_group_destroy(fg);
                memmove(&w->fogs[i], &w->fogs[i + 1], (w->nfogs - i - 1) * sizeof *w->fogs);
                w->nfogs--;
                break;
            }
        }
        return;
    }
    if (c->what == CHANGE_FAILOVER) {
        if (fg) { /* the roles swap */
            char *p = fg->primary;
            fg->primary = fg->secondary;
            fg->secondary = p;
        }
        return;
    }
    if (fg == NULL) {
        fg = xcalloc(1, sizeof *fg);
        fg->name = xstrdup(c->name);
        fg->subscription_id = xstrdup(c->sub);
        fg->resource_group = xstrdup(c->rg);
        fg->primary = xstrdup(c->primary);
        fg->secondary = xstrdup(c->secondary);
        fg->secondary_type = xstrdup(c->type);
        world_add_fog(w, fg);
    }
    fg->automatic = c->automatic;
    fg->grace_minutes = c->grace;
    fg->readonly_enabled = c->readonly_enabled;
}

static const cJSON *prop(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

/* The one instance pair of a PUT body; false after answering 400. */
static bool body_pair(struct arm_ctx *ctx, const cJSON *props, struct fog_change *c)
{
    const cJSON *pairs = prop(props, "managedInstancePairs", NULL);
    const cJSON *pair = cJSON_GetArrayItem(pairs, 0);
    const cJSON *p = prop(pair, "primaryManagedInstanceId", NULL);
    const cJSON *s = prop(pair, "partnerManagedInstanceId", NULL);
    if (cJSON_GetArraySize(pairs) != 1 || !cJSON_IsString(p) || !cJSON_IsString(s)) {
        arm_error(ctx, 400, "InvalidParameterValue",
                  "managedInstancePairs must hold exactly one pair with primaryManagedInstanceId "
                  "and partnerManagedInstanceId.");
        return false;
    }
    const char *ids[2] = {p->valuestring, s->valuestring};
    char *names[2] = {c->primary, c->secondary};
    for (int i = 0; i < 2; i++) {
        const char *slash = strrchr(ids[i], '/');
        const struct instance *mi = slash ? inst(ctx, slash + 1) : NULL;
        char *id = mi ? arm_instance_id(mi) : NULL;
        bool ok = id && strcasecmp(id, ids[i]) == 0;
        free(id);
        if (!ok) {
            arm_error(ctx, 404, "ResourceNotFound", "The managed instance '%.300s' was not found.",
                      ids[i]);
            return false;
        }
        snprintf(names[i], sizeof c->primary, "%s", mi->name);
    }
    return true;
}

static bool body_policies(struct arm_ctx *ctx, const cJSON *props, struct fog_change *c)
{
    const cJSON *policy = prop(prop(props, "readWriteEndpoint", NULL), "failoverPolicy", NULL);
    const cJSON *grace = prop(prop(props, "readWriteEndpoint", NULL),
                              "failoverWithDataLossGracePeriodMinutes", NULL);
    const cJSON *ro = prop(prop(props, "readOnlyEndpoint", NULL), "failoverPolicy", NULL);
    const cJSON *type = prop(props, "secondaryType", NULL);
    c->automatic = cJSON_IsString(policy) && strcasecmp(policy->valuestring, "Automatic") == 0;
    if (!cJSON_IsString(policy) ||
        (!c->automatic && strcasecmp(policy->valuestring, "Manual") != 0)) {
        arm_error(ctx, 400, "InvalidParameterValue",
                  "readWriteEndpoint.failoverPolicy must be 'Manual' or 'Automatic'.");
        return false;
    }
    c->grace = cJSON_IsNumber(grace) ? (int)grace->valuedouble : 60;
    if (c->automatic && (!cJSON_IsNumber(grace) || c->grace < 60)) {
        arm_error(ctx, 400, "InvalidParameterValue",
                  "failoverWithDataLossGracePeriodMinutes is required with an Automatic policy and "
                  "must be at least 60.");
        return false;
    }
    c->readonly_enabled = cJSON_IsString(ro) && strcasecmp(ro->valuestring, "Enabled") == 0;
    snprintf(c->type, sizeof c->type, "%s",
             cJSON_IsString(type) && strcasecmp(type->valuestring, "Standby") == 0 ? "Standby"
                                                                                   : "Geo");
    return true;
}

static void start(struct arm_ctx *ctx, struct fog_change *c, const char *region, cJSON *result)
{
    char *resource = xasprintf("/subscriptions/%s/resourceGroups/%s/instanceFailoverGroups/%s",
                               c->sub, c->rg, c->name);
    struct arm_lro op = {.kind = "instanceFailoverGroup",
                         .region = region,
                         .resource = resource,
                         .status = 202,
                         .apply = apply_fog,
                         .payload = c,
                         .free_payload = free,
                         .result_body = result};
    arm_lro_start(ctx, &op);
    free(resource);
}

/*
 * Why a create or update cannot go ahead (answered), or NULL. An update goes to
 * the existing group's primary location and keeps its instance pair; a create
 * goes to the location of the instance the body names as primary.
 */
static const char *put_problem(struct arm_ctx *ctx, const struct failover_group *fg,
                               const struct fog_change *c, const char *loc)
{
    const struct instance *p = inst(ctx, fg ? fg->primary : c->primary);
    const struct instance *s = inst(ctx, fg ? fg->secondary : c->secondary);
    if (strcasecmp(p->region, loc) != 0) {
        arm_error(ctx, 400, "InstanceFailoverGroupUpdateOrDeleteRequestOnSecondary",
                  "Create and update requests must be sent to the primary's location '%s'.",
                  p->region);
        return "secondary";
    }
    if (fg && (strcasecmp(fg->primary, c->primary) || strcasecmp(fg->secondary, c->secondary))) {
        arm_error(ctx, 400, "InvalidParameterValue",
                  "The managed instance pair of an existing failover group cannot change.");
        return "pair";
    }
    if (strcasecmp(p->region, s->region) == 0) {
        arm_error(ctx, 400, "InvalidParameterValue",
                  "The two managed instances of a failover group must be in different regions.");
        return "regions";
    }
    if (fg == NULL && (world_fog_of(ctx->world, p->name) || world_fog_of(ctx->world, s->name))) {
        arm_error(ctx, 409, "InstanceAlreadyInFailoverGroup",
                  "A managed instance can belong to one instance failover group only.");
        return "taken";
    }
    return NULL;
}

static void put_fog(struct arm_ctx *ctx)
{
    char loc[64];
    arm_location(ctx->params[2], loc);
    const cJSON *props = prop(ctx->body, "properties", NULL);
    struct fog_change *c = xcalloc(1, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", ctx->params[3]);
    snprintf(c->rg, sizeof c->rg, "%s", ctx->params[1]);
    snprintf(c->sub, sizeof c->sub, "%s", ctx->params[0]);
    if (!cJSON_IsObject(props) || !body_policies(ctx, props, c) || !body_pair(ctx, props, c)) {
        if (!cJSON_IsObject(props))
            arm_error(ctx, 400, "InvalidRequestContent", "The request needs 'properties'.");
        free(c);
        return;
    }
    struct failover_group *fg = world_fog(ctx->world, c->name);
    if (fg && (strcasecmp(fg->resource_group, c->rg) || strcasecmp(fg->subscription_id, c->sub)))
        fg = NULL;
    const char *fail = put_problem(ctx, fg, c, loc);
    if (fail) {
        free(c);
        return;
    }
    c->what = CHANGE_UPSERT;
    start(ctx, c, loc, NULL);
}

static void delete_fog(struct arm_ctx *ctx)
{
    char loc[64];
    arm_location(ctx->params[2], loc);
    struct failover_group *fg = world_fog(ctx->world, ctx->params[3]);
    if (fg == NULL || strcasecmp(fg->resource_group, ctx->params[1]) != 0) {
        arm_reply(ctx, 204, NULL); /* nothing to delete: done */
        return;
    }
    fg = this_fog(ctx, loc);
    if (fg == NULL)
        return;
    const struct instance *p = inst(ctx, fg->primary);
    if (strcasecmp(p->region, loc) != 0) {
        arm_error(ctx, 400, "InstanceFailoverGroupUpdateOrDeleteRequestOnSecondary",
                  "Delete requests must be sent to the primary's location '%s'.", p->region);
        return;
    }
    struct fog_change *c = xcalloc(1, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", fg->name);
    snprintf(c->rg, sizeof c->rg, "%s", fg->resource_group);
    snprintf(c->sub, sizeof c->sub, "%s", fg->subscription_id);
    c->what = CHANGE_DELETE;
    start(ctx, c, loc, NULL);
}

static void failover(struct arm_ctx *ctx)
{
    char loc[64];
    struct failover_group *fg = this_fog(ctx, loc);
    if (fg == NULL)
        return;
    const struct instance *p = inst(ctx, fg->primary);
    if (strcasecmp(p->region, loc) == 0) {
        arm_error(ctx, 400, "InstanceFailoverGroupFailoverRequestOnPrimary",
                  "Failover requests must be sent to the secondary's location, not to the "
                  "primary's location '%s'.",
                  loc);
        return;
    }
    struct fog_change *c = xcalloc(1, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", fg->name);
    snprintf(c->rg, sizeof c->rg, "%s", fg->resource_group);
    snprintf(c->sub, sizeof c->sub, "%s", fg->subscription_id);
    c->what = CHANGE_FAILOVER;
    /* What the Location URL answers at the end: the group seen from here, now the primary. */
    struct failover_group after = *fg;
    after.primary = fg->secondary;
    after.secondary = fg->primary;
    start(ctx, c, loc, fog_json(ctx, &after, loc));
}

#define FOG_READ  "Microsoft.Sql/locations/instanceFailoverGroups/read"
#define FOG_WRITE "Microsoft.Sql/locations/instanceFailoverGroups/write"

const struct arm_route armfog_routes[] = {
    {"GET", FOGS, list_fogs, FOG_READ},
    {"GET", FOGS "/{}", get_fog, FOG_READ},
    {"PUT", FOGS "/{}", put_fog, FOG_WRITE},
    {"DELETE", FOGS "/{}", delete_fog, "Microsoft.Sql/locations/instanceFailoverGroups/delete"},
    {"POST", FOGS "/{}/failover", failover,
     "Microsoft.Sql/locations/instanceFailoverGroups/failover/action"},
    {"POST", FOGS "/{}/forceFailoverAllowDataLoss", failover,
     "Microsoft.Sql/locations/instanceFailoverGroups/forceFailoverAllowDataLoss/action"},
    {NULL, NULL, NULL, NULL},
};
