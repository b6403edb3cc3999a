/* Key lifecycle operations: create, import, get, update, list, rotate, rotation policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvint.h"
#include "rsakey.h"
#include "vault.h"
#include "xmem.h"

struct key *kv_live_key(struct kv_ctx *ctx)
{
    struct key *key = vault_find_key(ctx->vault, ctx->route.name);
    enum key_state state = key ? key_state(key, ctx->mono, ctx->now) : KEY_PURGED;
    if (state == KEY_LIVE)
        return key;
    if (state == KEY_RECOVERING && kv_opinfo(ctx->route.op)->writes)
        kv_error(ctx, 409, "Conflict", "ObjectIsBeingRecovered",
                 "Key %s is currently being recovered. Retry the operation when recovery has "
                 "completed.",
                 ctx->route.name);
    else
        kv_key_not_found(ctx);
    return NULL;
}

struct key_version *kv_version(struct kv_ctx *ctx, struct key *key)
{
    struct key_version *v =
        ctx->route.version[0] ? key_find_version(key, ctx->route.version) : key_latest(key);
    if (v == NULL)
        kv_key_not_found(ctx);
    return v;
}

bool kv_name_blocked(struct kv_ctx *ctx, struct key *key)
{
    switch (key_state(key, ctx->mono, ctx->now)) {
    case KEY_DELETING:
        kv_error(ctx, 409, "Conflict", "ObjectIsBeingDeleted", "Key %s is currently being deleted.",
                 key->name);
        return true;
    case KEY_DELETED:
        kv_error(ctx, 409, "Conflict", "ObjectIsDeletedButRecoverable",
                 "Key %s is currently in a deleted but recoverable state, and its name cannot be "
                 "reused; in this state, the key can only be recovered or purged.",
                 key->name);
        return true;
    case KEY_RECOVERING:
        kv_error(ctx, 409, "Conflict", "ObjectIsBeingRecovered",
                 "Key %s is currently being recovered.", key->name);
        return true;
    case KEY_PURGED: /* past its purge date: the name is free again */
        vault_remove_key(ctx->vault, key);
        return false;
    case KEY_LIVE:
        return false;
    }
    return false;
}

static bool read_time(struct kv_ctx *ctx, const cJSON *attrs, const char *name, int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(attrs, name);
    if (item == NULL || cJSON_IsNull(item))
        return true;
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 253402300799.0) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Invalid value for attribute '%s': expected Unix seconds.", name);
        return false;
    }
    *out = (int64_t)item->valuedouble;
    return true;
}

static bool read_bool(struct kv_ctx *ctx, const cJSON *attrs, const char *name, bool *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(attrs, name);
    if (item == NULL || cJSON_IsNull(item))
        return true;
    if (!cJSON_IsBool(item)) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Invalid value for attribute '%s': expected true or false.", name);
        return false;
    }
    *out = cJSON_IsTrue(item);
    return true;
}

bool kv_apply_attributes(struct kv_ctx *ctx, const cJSON *attrs, struct key_version *v)
{
    if (attrs == NULL || cJSON_IsNull(attrs))
        return true;
    if (!cJSON_IsObject(attrs)) {
        kv_error(ctx, 400, "BadParameter", NULL, "attributes must be a JSON object.");
        return false;
    }
    struct key_version next = *v;
    if (!read_bool(ctx, attrs, "enabled", &next.enabled) ||
        !read_time(ctx, attrs, "nbf", &next.nbf) || !read_time(ctx, attrs, "exp", &next.exp) ||
        !read_bool(ctx, attrs, "exportable", &next.exportable))
        return false;
    if (next.exportable) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "An exportable key requires a release policy, which azsim does not emulate.");
        return false;
    }
    if (next.nbf && next.exp && next.exp <= next.nbf) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "The expiration time (exp) must be later than the activation time (nbf).");
        return false;
    }
    v->enabled = next.enabled;
    v->nbf = next.nbf;
    v->exp = next.exp;
    v->exportable = next.exportable;
    return true;
}

/* key_ops, attributes and tags of a create/import body, applied to a new version. */
static bool apply_common(struct kv_ctx *ctx, const cJSON *ops, struct key_version *v)
{
    char *cause = NULL;
    if (ops && !cJSON_IsNull(ops) && keyops_from_json(ops, &v->ops, &cause) < 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "%s", cause);
        free(cause);
        return false;
    }
    if (!kv_apply_attributes(ctx, cJSON_GetObjectItemCaseSensitive(ctx->body, "attributes"), v))
        return false;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(ctx->body, "tags");
    if (tags && tags_from_json(tags, &v->tags, &cause) < 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "%s", cause);
        free(cause);
        return false;
    }
    if (cJSON_GetObjectItemCaseSensitive(ctx->body, "release_policy")) {
        kv_error(ctx, 400, "BadParameter", NULL, "azsim does not emulate key release policies.");
        return false;
    }
    return true;
}

static bool check_kty(struct kv_ctx *ctx, const cJSON *kty, bool *hsm)
{
    if (!cJSON_IsString(kty)) {
        kv_error(ctx, 400, "BadParameter", NULL, "The key type (kty) is required.");
        return false;
    }
    if (strcmp(kty->valuestring, "RSA") == 0 || strcmp(kty->valuestring, "RSA-HSM") == 0) {
        *hsm = strcmp(kty->valuestring, "RSA-HSM") == 0;
        return true;
    }
    if (strcmp(kty->valuestring, "EC") == 0 || strcmp(kty->valuestring, "EC-HSM") == 0 ||
        strcmp(kty->valuestring, "oct") == 0 || strcmp(kty->valuestring, "oct-HSM") == 0)
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Key type '%s' is valid in Key Vault but azsim emulates RSA keys only.",
                 kty->valuestring);
    else
        kv_error(ctx, 400, "BadParameter", NULL, "Invalid key type (kty) '%.32s'.",
                 kty->valuestring);
    return false;
}

static bool check_sku(struct kv_ctx *ctx, bool hsm)
{
    if (hsm && strcasecmp(ctx->vault->sku, "premium") != 0) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "HSM-protected keys (RSA-HSM) need a vault of the premium SKU.");
        return false;
    }
    return true;
}

bool kv_newkey_from_body(struct kv_ctx *ctx, struct kv_newkey *out)
{
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(ctx->body, "key_size");
    const cJSON *exponent = cJSON_GetObjectItemCaseSensitive(ctx->body, "public_exponent");
    if (!check_kty(ctx, cJSON_GetObjectItemCaseSensitive(ctx->body, "kty"), &out->hsm) ||
        !check_sku(ctx, out->hsm))
        return false;
    out->bits = 2048;
    out->exponent = 65537;
    if (size && !cJSON_IsNull(size)) {
        double d = cJSON_IsNumber(size) ? size->valuedouble : 0;
        if (d != 2048 && d != 3072 && d != 4096) {
            kv_error(ctx, 400, "BadParameter", NULL,
                     "Invalid key_size: RSA keys are 2048, 3072 or 4096 bits.");
            return false;
        }
        out->bits = (int)d;
    }
    if (exponent && !cJSON_IsNull(exponent)) {
        double d = cJSON_IsNumber(exponent) ? exponent->valuedouble : 0;
        if (d != 65537 && d != 3) {
            kv_error(ctx, 400, "BadParameter", NULL,
                     "Invalid public_exponent: 65537 (or 3) is supported.");
            return false;
        }
        out->exponent = (unsigned long)d;
    }
    return true;
}

/* Adds v to the key named in the route (creating the key), and answers with its bundle. */
static void add_version_and_reply(struct kv_ctx *ctx, struct key *key, struct key_version *v)
{
    if (key == NULL) {
        key = key_create(ctx->route.name);
        vault_add_key(ctx->vault, key);
    }
    key_add_version(key, v);
    ctx->changed = true;
    kv_reply(ctx, kv_bundle(ctx, key, v));
}

void kv_op_create(struct kv_ctx *ctx)
{
    struct kv_newkey nk;
    if (!kv_newkey_from_body(ctx, &nk))
        return;
    struct key *key = vault_find_key(ctx->vault, ctx->route.name);
    if (key && kv_name_blocked(ctx, key))
        return;
    key = vault_find_key(ctx->vault, ctx->route.name); /* may have been purged just now */
    struct key_version *v = key_version_create(ctx->pregen, nk.hsm, ctx->now);
    if (!apply_common(ctx, cJSON_GetObjectItemCaseSensitive(ctx->body, "key_ops"), v)) {
        key_version_destroy(v);
        return;
    }
    add_version_and_reply(ctx, key, v);
}

static const char *jwk_str(const cJSON *jwk, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(jwk, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static struct rsakey *import_material(struct kv_ctx *ctx, const cJSON *jwk, bool *hsm)
{
    const cJSON *flag = cJSON_GetObjectItemCaseSensitive(ctx->body, "Hsm");
    if (!cJSON_IsObject(jwk)) {
        kv_error(ctx, 400, "BadParameter", NULL, "The key (JWK) to import is required.");
        return NULL;
    }
    if (!check_kty(ctx, cJSON_GetObjectItemCaseSensitive(jwk, "kty"), hsm))
        return NULL;
    if (flag && !cJSON_IsNull(flag) && !cJSON_IsBool(flag)) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Invalid value for 'Hsm': expected true or false.");
        return NULL;
    }
    *hsm = *hsm || cJSON_IsTrue(flag);
    if (jwk_str(jwk, "key_hsm") || jwk_str(jwk, "t")) {
        kv_error(ctx, 400, "BadParameter", NULL,
                 "BYOK blobs (key_hsm) are not emulated by azsim: import the private key parts.");
        return NULL;
    }
    if (!check_sku(ctx, *hsm))
        return NULL;
    char *cause = NULL;
    struct rsakey *material = rsakey_from_jwk(
        jwk_str(jwk, "n"), jwk_str(jwk, "e"), jwk_str(jwk, "d"), jwk_str(jwk, "p"),
        jwk_str(jwk, "q"), jwk_str(jwk, "dp"), jwk_str(jwk, "dq"), jwk_str(jwk, "qi"), &cause);
    if (material == NULL) {
        kv_error(ctx, 400, "BadParameter", NULL, "The key to import is not valid: %s", cause);
        free(cause);
    }
    return material;
}

void kv_op_import(struct kv_ctx *ctx)
{
    const cJSON *jwk = cJSON_GetObjectItemCaseSensitive(ctx->body, "key");
    bool hsm = false;
    struct rsakey *material = import_material(ctx, jwk, &hsm);
    if (material == NULL)
        return;
    struct key *key = vault_find_key(ctx->vault, ctx->route.name);
    if (key && kv_name_blocked(ctx, key)) {
        rsakey_unref(material);
        return;
    }
    key = vault_find_key(ctx->vault, ctx->route.name);
    struct key_version *v = key_version_create(material, hsm, ctx->now);
    rsakey_unref(material);
    if (!apply_common(ctx, cJSON_GetObjectItemCaseSensitive(jwk, "key_ops"), v)) {
        key_version_destroy(v);
        return;
    }
    add_version_and_reply(ctx, key, v);
}

void kv_op_get_key(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    struct key_version *v = key ? kv_version(ctx, key) : NULL;
    if (v)
        kv_reply(ctx, kv_bundle(ctx, key, v));
}

void kv_op_update(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    struct key_version *v = key ? kv_version(ctx, key) : NULL;
    if (v == NULL)
        return;
    if (key->managed) {
        kv_error(ctx, 403, "Forbidden", NULL,
                 "Operation update is not allowed on a managed key (its lifetime is owned by a "
                 "certificate).");
        return;
    }
    struct key_version next = *v;
    next.tags.v = NULL;
    next.tags.n = 0;
    char *cause = NULL;
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(ctx->body, "key_ops");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(ctx->body, "tags");
    if ((ops && !cJSON_IsNull(ops) && keyops_from_json(ops, &next.ops, &cause) < 0) ||
        (tags && tags_from_json(tags, &next.tags, &cause) < 0)) {
        kv_error(ctx, 400, "BadParameter", NULL, "%s", cause);
        free(cause);
        return;
    }
    if (!kv_apply_attributes(ctx, cJSON_GetObjectItemCaseSensitive(ctx->body, "attributes"),
                             &next)) {
        tags_clear(&next.tags);
        return;
    }
    if (tags) {
        tags_clear(&v->tags);
        v->tags = next.tags;
    }
    v->ops = next.ops;
    v->enabled = next.enabled;
    v->nbf = next.nbf;
    v->exp = next.exp;
    v->updated = ctx->now;
    ctx->changed = true;
    kv_reply(ctx, kv_bundle(ctx, key, v));
}

static int compare_keys(const void *a, const void *b)
{
    const struct key *ka = *(const struct key *const *)a, *kb = *(const struct key *const *)b;
    return strcasecmp(ka->name, kb->name);
}

void kv_list_keys_in_state(struct kv_ctx *ctx, enum key_state state,
                           cJSON *(*item)(const struct kv_ctx *, const struct key *))
{
    struct key **keys = xcalloc(ctx->vault->nkeys + 1, sizeof *keys);
    size_t n = 0, start, count;
    for (size_t i = 0; i < ctx->vault->nkeys; i++) {
        if (key_state(ctx->vault->keys[i], ctx->mono, ctx->now) == state)
            keys[n++] = ctx->vault->keys[i];
    }
    qsort(keys, n, sizeof *keys, compare_keys);
    if (kv_page_bounds(ctx, n, &start, &count)) {
        cJSON *values = cJSON_CreateArray();
        for (size_t i = start; i < start + count; i++)
            cJSON_AddItemToArray(values, item(ctx, keys[i]));
        kv_page_reply(ctx, values, start + count, n);
    }
    free(keys);
}

static cJSON *live_item(const struct kv_ctx *ctx, const struct key *key)
{
    return kv_item(ctx, key, key_latest(key), false);
}

void kv_op_list_keys(struct kv_ctx *ctx)
{
    kv_list_keys_in_state(ctx, KEY_LIVE, live_item);
}

void kv_op_list_versions(struct kv_ctx *ctx)
{
    struct key *key = vault_find_key(ctx->vault, ctx->route.name);
    size_t n = key && key_state(key, ctx->mono, ctx->now) == KEY_LIVE ? key->nversions : 0;
    size_t start, count;
    if (!kv_page_bounds(ctx, n, &start, &count))
        return;
    cJSON *values = cJSON_CreateArray();
    for (size_t i = start; i < start + count; i++)
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): count is 0 without a key */
        cJSON_AddItemToArray(values, kv_item(ctx, key, key->versions[i], true));
    kv_page_reply(ctx, values, start + count, n);
}

void kv_op_rotate(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    if (key == NULL)
        return;
    const struct key_version *latest = key_latest(key);
    struct key_version *v = key_version_create(ctx->pregen, latest->hsm, ctx->now);
    v->ops = latest->ops;
    tags_copy(&v->tags, &latest->tags); /* as the official RotateKey example shows */
    if (key->policy.set && key->policy.expiry[0])
        v->exp = ctx->now + key->policy.expiry_seconds;
    add_version_and_reply(ctx, key, v);
}

static char *policy_url(const struct kv_ctx *ctx, const struct key *key)
{
    return xasprintf("%s/keys/%s/rotationpolicy", ctx->base, key->name);
}

void kv_op_get_policy(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    if (key == NULL)
        return;
    char *url = policy_url(ctx, key);
    kv_reply(ctx, policy_to_json(&key->policy, url));
    free(url);
}

void kv_op_set_policy(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    if (key == NULL)
        return;
    struct rotation_policy p;
    char *cause = NULL;
    if (policy_from_json(ctx->body, &p, &cause) < 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "%s", cause);
        free(cause);
        return;
    }
    p.created = key->policy.set ? key->policy.created : ctx->now;
    p.updated = ctx->now;
    key->policy = p;
    ctx->changed = true;
    char *url = policy_url(ctx, key);
    kv_reply(ctx, policy_to_json(&key->policy, url));
    free(url);
}
