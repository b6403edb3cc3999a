/*
 * Microsoft.Resources tags at a resource scope, {scope}/providers/Microsoft.Resources/tags/default
 * (Tags - Get, Create Or Update, Update and Delete At Scope; api-version 2021-04-01 shapes),
 * for managed instances and key vaults. ARM answers these itself, not the resource's provider,
 * so a missing resource gets ARM's ResourceNotFound text. Every answer is synchronous (200);
 * newer api-versions allow 202, and clients that accept it accept 200.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armint.h"
#include "instance.h"
#include "tags.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define TAGS  "/providers/Microsoft.Resources/tags/default"
#define MI    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Sql/managedInstances/{}"
#define VAULT "subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}"

/* The resource whose tags a request reads or changes. */
struct target {
    struct tags *tags; /* the resource's own */
    char *id;          /* its resource id, heap */
};

static bool find_instance(struct arm_ctx *ctx, struct target *t)
{
    struct instance *mi = world_instance(ctx->world, ctx->params[2]);
    if (mi == NULL || strcasecmp(mi->subscription_id, ctx->params[0]) != 0 ||
        strcasecmp(mi->resource_group, ctx->params[1]) != 0) {
        arm_error(ctx, 404, "ResourceNotFound",
                  "The Resource 'Microsoft.Sql/managedInstances/%s' under resource group '%s' was "
                  "not found. For more details please go to "
                  "https://aka.ms/ARMResourceNotFoundFix",
                  ctx->params[2], ctx->params[1]);
        return false;
    }
    t->tags = &mi->tags;
    t->id = arm_instance_id(mi);
    return true;
}

static bool find_vault(struct arm_ctx *ctx, struct target *t)
{
    struct vault *v = arm_find_vault(ctx, ctx->params[0], ctx->params[1], ctx->params[2]);
    if (v == NULL)
        return false;
    t->tags = &v->tags;
    t->id = arm_vault_id(v);
    return true;
}

/* The TagsResource answer: {"id", "name": "default", "type", "properties": {"tags"}}. */
static void reply(struct arm_ctx *ctx, const struct target *t)
{
    char *id = xasprintf("%s" TAGS, t->id);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", "default");
    cJSON_AddStringToObject(j, "type", "Microsoft.Resources/tags");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(j, "properties"), "tags", tags_to_json(t->tags));
    free(id);
    arm_reply(ctx, 200, j);
}

/*
 * The body's properties.tags into *out by ARM's rules (absent or null: none).
 * With nulls (a Delete) a null value reads as "", "any value". False after
 * answering 400.
 */
static bool body_tags(struct arm_ctx *ctx, bool nulls, struct tags *out)
{
    const cJSON *props = ctx->body ? cJSON_GetObjectItem(ctx->body, "properties") : NULL;
    out->v = NULL;
    out->n = 0;
    if (!cJSON_IsObject(props)) {
        arm_error(ctx, 400, "InvalidRequestContent",
                  "The request content was invalid: the tags go in "
                  "{\"properties\": {\"tags\": {...}}}.");
        return false;
    }
    const cJSON *tags = cJSON_GetObjectItem(props, "tags");
    if (tags == NULL || cJSON_IsNull(tags))
        return true;
    cJSON *copy = nulls && cJSON_IsObject(tags) ? cJSON_Duplicate(tags, true) : NULL;
    for (cJSON *item = copy ? copy->child : NULL, *next; item; item = next) {
        next = item->next;
        if (cJSON_IsNull(item)) /* (ReplaceItemViaPointer would drop the name) */
            cJSON_ReplaceItemInObjectCaseSensitive(copy, item->string, cJSON_CreateString(""));
    }
    char *cause = NULL;
    const char *code = tags_from_json_arm(copy ? copy : tags, out, &cause);
    cJSON_Delete(copy);
    if (code)
        arm_error(ctx, 400, code, "%s", cause);
    free(cause);
    return code == NULL;
}

static void op_get(struct arm_ctx *ctx, struct target *t)
{
    reply(ctx, t);
}

static void replace_all(struct arm_ctx *ctx, struct target *t, const struct tags *with)
{
    tags_clear(t->tags);
    *t->tags = *with;
    ctx->changed = true;
    reply(ctx, t);
}

static void op_put(struct arm_ctx *ctx, struct target *t)
{
    struct tags next;
    if (body_tags(ctx, false, &next))
        replace_all(ctx, t, &next);
}

/* Merge: new names are added, existing names (any case) take the new value. */
static void merge(struct arm_ctx *ctx, struct target *t, const struct tags *given)
{
    struct tags next = {NULL, 0};
    tags_copy(&next, t->tags);
    for (size_t i = 0; i < given->n; i++)
        tags_set(&next, given->v[i].name, given->v[i].value);
    if (next.n > TAGS_ARM_MAX) {
        arm_error(ctx, 400, "InvalidTags",
                  "Too many tags: the merge would leave %zu, at most %d are allowed.", next.n,
                  TAGS_ARM_MAX);
        tags_clear(&next);
        return;
    }
    replace_all(ctx, t, &next);
}

/*
 * Delete: a tag goes when its name (any case) is given with its value, or
 * with "" or null (by name, whatever its value); a name given with another
 * value leaves the tag alone.
 */
static void delete_some(struct arm_ctx *ctx, struct target *t, const struct tags *given)
{
    for (size_t i = 0; i < given->n; i++) {
        const struct tag *have = tags_find(t->tags, given->v[i].name);
        if (have && (given->v[i].value[0] == '\0' || strcmp(have->value, given->v[i].value) == 0))
            tags_remove(t->tags, given->v[i].name);
    }
    ctx->changed = true;
    reply(ctx, t);
}

static void op_patch(struct arm_ctx *ctx, struct target *t)
{
    static const char *const ops[] = {"Replace", "Merge", "Delete"};
    const cJSON *op = ctx->body ? cJSON_GetObjectItem(ctx->body, "operation") : NULL;
    int which = -1;
    for (int i = 0; i < 3 && op && cJSON_IsString(op); i++) {
        if (strcasecmp(op->valuestring, ops[i]) == 0)
            which = i;
    }
    if (which < 0) {
        arm_error(ctx, 400, "InvalidRequestContent",
                  "The request content was invalid: 'operation' must be 'Replace', 'Merge' or "
                  "'Delete'.");
        return;
    }
    struct tags given;
    if (!body_tags(ctx, which == 2, &given))
        return;
    if (which == 0) {
        replace_all(ctx, t, &given);
        return;
    }
    if (which == 1)
        merge(ctx, t, &given);
    else
        delete_some(ctx, t, &given);
    tags_clear(&given);
}

static void op_delete(struct arm_ctx *ctx, struct target *t)
{
    tags_clear(t->tags);
    ctx->changed = true;
    arm_reply(ctx, 200, NULL);
}

typedef void (*tags_op)(struct arm_ctx *ctx, struct target *t);

static void on_instance(struct arm_ctx *ctx, tags_op op)
{
    struct target t;
    if (find_instance(ctx, &t)) {
        op(ctx, &t);
        free(t.id);
    }
}

static void on_vault(struct arm_ctx *ctx, tags_op op)
{
    struct target t;
    if (find_vault(ctx, &t)) {
        op(ctx, &t);
        free(t.id);
    }
}

static void mi_get(struct arm_ctx *ctx)
{
    on_instance(ctx, op_get);
}

static void mi_put(struct arm_ctx *ctx)
{
    on_instance(ctx, op_put);
}

static void mi_patch(struct arm_ctx *ctx)
{
    on_instance(ctx, op_patch);
}

static void mi_delete(struct arm_ctx *ctx)
{
    on_instance(ctx, op_delete);
}

static void vault_get(struct arm_ctx *ctx)
{
    on_vault(ctx, op_get);
}

static void vault_put(struct arm_ctx *ctx)
{
    on_vault(ctx, op_put);
}

static void vault_patch(struct arm_ctx *ctx)
{
    on_vault(ctx, op_patch);
}

static void vault_delete(struct arm_ctx *ctx)
{
    on_vault(ctx, op_delete);
}

#define TAGS_READ   "Microsoft.Resources/tags/read"
#define TAGS_WRITE  "Microsoft.Resources/tags/write"
#define TAGS_DELETE "Microsoft.Resources/tags/delete"

const struct arm_route armtags_routes[] = {
    {"GET", MI TAGS, mi_get, TAGS_READ},
    {"PUT", MI TAGS, mi_put, TAGS_WRITE},
    {"PATCH", MI TAGS, mi_patch, TAGS_WRITE},
    {"DELETE", MI TAGS, mi_delete, TAGS_DELETE},
    {"GET", VAULT TAGS, vault_get, TAGS_READ},
    {"PUT", VAULT TAGS, vault_put, TAGS_WRITE},
    {"PATCH", VAULT TAGS, vault_patch, TAGS_WRITE},
    {"DELETE", VAULT TAGS, vault_delete, TAGS_DELETE},
    {NULL, NULL, NULL, NULL},
};
