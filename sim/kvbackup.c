/*
 * Backup and restore. A backup carries every version of a key (material,
 * attributes, tags, version ids) but not its rotation policy, sealed for the
 * vault's geography (blob.h) and stamped with its subscription. Restore opens
 * it with the target vault's geography, refuses another subscription, and
 * never lands on a name that exists, live or soft-deleted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "blob.h"
#include "kvint.h"
#include "rsakey.h"
#include "secret.h"
#include "sim.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define BACKUP_FORMAT 1

static cJSON *version_json(const struct key_version *v)
{
    cJSON *j = cJSON_CreateObject();
    unsigned char *der = NULL;
    size_t len = 0;
    if (rsakey_to_der(v->material, &der, &len, NULL) < 0)
        abort(); /* serialising a key we hold cannot fail short of memory */
    char *text = b64_url_encode(der, len);
    secret_free(der, len);
    cJSON_AddStringToObject(j, "id", v->id);
    cJSON_AddStringToObject(j, "der", text);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    cJSON_AddBoolToObject(j, "hsm", v->hsm);
    cJSON_AddItemToObject(j, "key_ops", keyops_to_json(v->ops));
    cJSON_AddBoolToObject(j, "enabled", v->enabled);
    cJSON_AddNumberToObject(j, "nbf", (double)v->nbf);
    cJSON_AddNumberToObject(j, "exp", (double)v->exp);
    cJSON_AddNumberToObject(j, "created", (double)v->created);
    cJSON_AddNumberToObject(j, "updated", (double)v->updated);
    cJSON_AddItemToObject(j, "tags", tags_to_json(&v->tags));
    return j;
}

void kv_op_backup(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    if (key == NULL)
        return;
    if (key->nversions > (size_t)ctx->world->settings.backup_max_versions) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Key %s has %zu versions: keys with more than %d versions cannot be backed up.",
                 key->name, key->nversions, ctx->world->settings.backup_max_versions);
        return;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "format", BACKUP_FORMAT);
    cJSON_AddStringToObject(doc, "subscription", ctx->vault->subscription_id);
    cJSON_AddStringToObject(doc, "vault", ctx->vault->name);
    cJSON_AddStringToObject(doc, "name", key->name);
    cJSON *versions = cJSON_AddArrayToObject(doc, "versions");
    for (size_t i = 0; i < key->nversions; i++)
        cJSON_AddItemToArray(versions, version_json(key->versions[i]));
    char *plain = cJSON_PrintUnformatted(doc);
    secret_json_delete(doc);

    const char *geography = world_geography(ctx->world, ctx->vault->region);
    char *sealed =
        blob_seal(ctx->sim->master, geography, (const unsigned char *)plain, strlen(plain));
    OPENSSL_cleanse(plain, strlen(plain));
    free(plain);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "value", sealed);
    free(sealed);
    kv_reply(ctx, body);
}

static int64_t num(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(item) ? (int64_t)item->valuedouble : 0;
}

/* One version from the opened blob; NULL if the blob content is not ours. */
static struct key_version *version_from_json(const cJSON *j)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *der = cJSON_GetObjectItemCaseSensitive(j, "der");
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (!cJSON_IsString(id) || !key_version_id_valid(id->valuestring) || !cJSON_IsString(der) ||
        b64_decode(der->valuestring, strlen(der->valuestring), &bytes, &len) < 0)
        return NULL;
    struct rsakey *material = rsakey_from_der(bytes, len, NULL);
    OPENSSL_cleanse(bytes, len);
    free(bytes);
    if (material == NULL)
        return NULL;
    struct key_version *v =
        key_version_create(material, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "hsm")), 0);
    rsakey_unref(material);
    memcpy(v->id, id->valuestring, KEY_VERSION_ID - 1);
    if (keyops_from_json(cJSON_GetObjectItemCaseSensitive(j, "key_ops"), &v->ops, NULL) < 0 ||
        tags_from_json(cJSON_GetObjectItemCaseSensitive(j, "tags"), &v->tags, NULL) < 0) {
        key_version_destroy(v);
        return NULL;
    }
    v->enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "enabled"));
    v->nbf = num(j, "nbf");
    v->exp = num(j, "exp");
    v->created = num(j, "created");
    v->updated = num(j, "updated");
    return v;
}

static struct key *key_from_blob(const cJSON *doc)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(doc, "name");
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(doc, "versions");
    if (!cJSON_IsString(name) || !key_name_valid(name->valuestring) || !cJSON_IsArray(versions) ||
        cJSON_GetArraySize(versions) == 0)
        return NULL;
    struct key *key = key_create(name->valuestring);
    const cJSON *item;
    cJSON_ArrayForEach(item, versions)
    {
        struct key_version *v = version_from_json(item);
        if (v == NULL) {
            key_destroy(key);
            return NULL;
        }
        key_add_version(key, v);
    }
    return key;
}

static void restore_conflict(struct kv_ctx *ctx, const struct key *existing)
{
    char *kid = kv_kid(ctx, existing, NULL);
    kv_error(ctx, 409, "Conflict", NULL,
             "There was a conflict restoring the key '%s'. This can happen if either: a second key "
             "with the same name was created after the first key was deleted; thus trying to "
             "restore a key whose name is already in use. To fix this, rename the second key to "
             "something else so that the restore works. The second probable cause of this "
             "exception is when multiple operations are performed in parallel against the key. "
             "To avoid this error, perform operations against a key in a sequential manner.",
             kid);
    free(kid);
}

/* Opens the blob of the body for this vault; NULL after answering 400. */
static cJSON *open_blob(struct kv_ctx *ctx)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(ctx->body, "value");
    if (!cJSON_IsString(value) || value->valuestring[0] == '\0') {
        kv_error(ctx, 400, "BadParameter", NULL, "The backup blob (value) is required.");
        return NULL;
    }
    unsigned char *plain = NULL;
    size_t len = 0;
    const char *geography = world_geography(ctx->world, ctx->vault->region);
    if (blob_open(ctx->sim->master, geography, value->valuestring, &plain, &len) < 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "Cannot decrypt backup blob.");
        return NULL;
    }
    cJSON *doc = cJSON_ParseWithLength((const char *)plain, len);
    secret_free(plain, len);
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(doc, "subscription");
    if (!cJSON_IsString(sub)) {
        secret_json_delete(doc);
        kv_error(ctx, 400, "BadParameter", NULL, "Backup blob contains invalid or corrupt data.");
        return NULL;
    }
    if (strcasecmp(sub->valuestring, ctx->vault->subscription_id) != 0) {
        secret_json_delete(doc);
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Backup blob cannot be restored into this vault: a key backup can be restored "
                 "only into a vault in the same subscription and geography as the source vault.");
        return NULL;
    }
    return doc;
}

void kv_op_restore(struct kv_ctx *ctx)
{
    cJSON *doc = open_blob(ctx);
    if (doc == NULL)
        return;
    struct key *key = key_from_blob(doc);
    secret_json_delete(doc);
    if (key == NULL) {
        kv_error(ctx, 400, "BadParameter", NULL, "Backup blob contains invalid or corrupt data.");
        return;
    }
    struct key *existing = vault_find_key(ctx->vault, key->name);
    if (existing && key_state(existing, ctx->mono, ctx->now) == KEY_PURGED) {
        vault_remove_key(ctx->vault, existing);
        existing = NULL;
    }
    if (existing) {
        restore_conflict(ctx, existing);
        key_destroy(key);
        return;
    }
    vault_add_key(ctx->vault, key);
    ctx->changed = true;
    kv_reply(ctx, kv_bundle(ctx, key, key_latest(key)));
}
