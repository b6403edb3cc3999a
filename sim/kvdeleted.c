/* Soft delete: delete, get/list deleted keys, recover, purge. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvint.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

static void deleted_not_found(struct kv_ctx *ctx)
{
    kv_error(ctx, 404, "KeyNotFound", NULL, "Deleted Key not found");
}

/* The soft-deleted key named in the route, or NULL after answering 404/409. */
static struct key *deleted_key(struct kv_ctx *ctx)
{
    struct key *key = vault_find_key(ctx->vault, ctx->route.name);
    switch (key ? key_state(key, ctx->mono, ctx->now) : KEY_PURGED) {
    case KEY_DELETED:
        return key;
    case KEY_DELETING:
        if (kv_opinfo(ctx->route.op)->writes) {
            kv_error(ctx, 409, "Conflict", "ObjectIsBeingDeleted",
                     "Key %s is currently being deleted. Retry the operation when deletion has "
                     "completed.",
                     key->name);
            return NULL;
        }
        break;
    case KEY_RECOVERING:
        if (ctx->route.op == KV_RECOVER) {
            char *kid = kv_kid(ctx, key, key_latest(key));
            kv_error(ctx, 409, "Conflict", NULL,
                     "There was a conflict while recovering the soft-deleted key '%s'. This can "
                     "happen when multiple operations are performed in parallel against the "
                     "soft-deleted key. To avoid this error, perform operations against the "
                     "soft-deleted key in a sequential manner.",
                     kid);
            free(kid);
            return NULL;
        }
        break;
    case KEY_LIVE:
    case KEY_PURGED:
        break;
    }
    deleted_not_found(ctx);
    return NULL;
}

void kv_op_delete(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    if (key == NULL)
        return;
    if (key->managed) {
        kv_error(ctx, 403, "Forbidden", NULL,
                 "Operation delete is not allowed on a managed key (its lifetime is owned by a "
                 "certificate).");
        return;
    }
    ctx->changed = true;
    if (!ctx->vault->soft_delete) {
        kv_reply(ctx, kv_bundle(ctx, key, key_latest(key)));
        vault_remove_key(ctx->vault, key);
        return;
    }
    key->deleted = true;
    key->deleted_date = ctx->now;
    key->scheduled_purge = ctx->now + (int64_t)ctx->vault->retention_days * 86400;
    key->transition_until = ctx->mono + ctx->world->settings.transition_ms;
    kv_reply(ctx, kv_deleted_bundle(ctx, key));
}

void kv_op_get_deleted(struct kv_ctx *ctx)
{
    struct key *key = deleted_key(ctx);
    if (key)
        kv_reply(ctx, kv_deleted_bundle(ctx, key));
}

void kv_op_list_deleted(struct kv_ctx *ctx)
{
    kv_list_keys_in_state(ctx, KEY_DELETED, kv_deleted_item);
}

void kv_op_recover(struct kv_ctx *ctx)
{
    struct key *key = deleted_key(ctx);
    if (key == NULL)
        return;
    key->deleted = false;
    key->deleted_date = key->scheduled_purge = 0;
    key->transition_until = ctx->mono + ctx->world->settings.transition_ms;
    ctx->changed = true;
    kv_reply(ctx, kv_bundle(ctx, key, key_latest(key)));
}

void kv_op_purge(struct kv_ctx *ctx)
{
    struct key *key = deleted_key(ctx);
    if (key == NULL)
        return;
    if (ctx->vault->purge_protection) {
        kv_error(ctx, 403, "Forbidden", NULL,
                 "Operation \"purge\" is not allowed because purge protection is enabled for this "
                 "vault. Key Vault service will automatically purge it after the retention period "
                 "has passed.");
        return;
    }
    vault_remove_key(ctx->vault, key);
    ctx->changed = true;
    ctx->resp->status = 204;
}
