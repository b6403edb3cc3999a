#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "kvint.h"
#include "rsakey.h"
#include "vault.h"
#include "xmem.h"

void kv_error(struct kv_ctx *ctx, int status, const char *code, const char *inner, const char *fmt,
              ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = xvasprintf(fmt, ap);
    va_end(ap);

    cJSON *body = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(body, "error");
    cJSON_AddStringToObject(error, "code", code);
    cJSON_AddStringToObject(error, "message", message);
    if (inner)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(error, "innererror"), "code", inner);
    http_resp_json(ctx->resp, status, body);
    http_resp_note(ctx->resp, "error=%s%s%s", code, inner ? "/" : "", inner ? inner : "");
    free(message);
}

void kv_key_not_found(struct kv_ctx *ctx)
{
    if (ctx->route.version[0])
        kv_error(ctx, 404, "KeyNotFound", NULL,
                 "A key with (name/id) %s/%s was not found in this key vault. If you recently "
                 "deleted this key you may be able to recover it using the correct recovery "
                 "command. For help resolving this issue, please see "
                 "https://go.microsoft.com/fwlink/?linkid=2125182",
                 ctx->route.name, ctx->route.version);
    else
        kv_error(ctx, 404, "KeyNotFound", NULL,
                 "A key with (name/id) %s was not found in this key vault. If you recently "
                 "deleted this key you may be able to recover it using the correct recovery "
                 "command. For help resolving this issue, please see "
                 "https://go.microsoft.com/fwlink/?linkid=2125182",
                 ctx->route.name);
}

void kv_reply(struct kv_ctx *ctx, cJSON *body)
{
    http_resp_json(ctx->resp, 200, body);
}

char *kv_kid(const struct kv_ctx *ctx, const struct key *key, const struct key_version *v)
{
    if (v)
        return xasprintf("%s/keys/%s/%s", ctx->base, key->name, v->id);
    return xasprintf("%s/keys/%s", ctx->base, key->name);
}

static cJSON *attributes(const struct kv_ctx *ctx, const struct key_version *v)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddBoolToObject(a, "enabled", v->enabled);
    if (v->nbf)
        cJSON_AddNumberToObject(a, "nbf", (double)v->nbf);
    if (v->exp)
        cJSON_AddNumberToObject(a, "exp", (double)v->exp);
    cJSON_AddNumberToObject(a, "created", (double)v->created);
    cJSON_AddNumberToObject(a, "updated", (double)v->updated);
    cJSON_AddStringToObject(a, "recoveryLevel", vault_recovery_level(ctx->vault));
    if (ctx->vault->soft_delete)
        cJSON_AddNumberToObject(a, "recoverableDays", ctx->vault->retention_days);
    if (ctx->api.level >= 73)
        cJSON_AddBoolToObject(a, "exportable", v->exportable);
    if (ctx->api.level >= 75 && v->hsm)
        cJSON_AddStringToObject(a, "hsmPlatform", "2");
    return a;
}

cJSON *kv_bundle(const struct kv_ctx *ctx, const struct key *key, const struct key_version *v)
{
    cJSON *bundle = cJSON_CreateObject();
    cJSON *jwk = cJSON_AddObjectToObject(bundle, "key");
    char *kid = kv_kid(ctx, key, v);
    cJSON_AddStringToObject(jwk, "kid", kid);
    free(kid);
    cJSON_AddStringToObject(jwk, "kty", v->hsm ? "RSA-HSM" : "RSA");
    cJSON_AddItemToObject(jwk, "key_ops", keyops_to_json(v->ops));
    cJSON_AddStringToObject(jwk, "n", rsakey_n(v->material));
    cJSON_AddStringToObject(jwk, "e", rsakey_e(v->material));
    cJSON_AddItemToObject(bundle, "attributes", attributes(ctx, v));
    if (v->tags.n)
        cJSON_AddItemToObject(bundle, "tags", tags_to_json(&v->tags));
    if (key->managed)
        cJSON_AddBoolToObject(bundle, "managed", true);
    return bundle;
}

static void add_deleted_fields(const struct kv_ctx *ctx, const struct key *key, cJSON *json)
{
    char *rid = xasprintf("%s/deletedkeys/%s", ctx->base, key->name);
    cJSON_AddStringToObject(json, "recoveryId", rid);
    free(rid);
    cJSON_AddNumberToObject(json, "deletedDate", (double)key->deleted_date);
    cJSON_AddNumberToObject(json, "scheduledPurgeDate", (double)key->scheduled_purge);
}

cJSON *kv_deleted_bundle(const struct kv_ctx *ctx, const struct key *key)
{
    cJSON *json = cJSON_CreateObject();
    add_deleted_fields(ctx, key, json);
    cJSON *bundle = kv_bundle(ctx, key, key_latest(key));
    cJSON *item;
    while ((item = bundle->child) != NULL)
        cJSON_AddItemToObject(json, item->string, cJSON_DetachItemViaPointer(bundle, item));
    cJSON_Delete(bundle);
    return json;
}

cJSON *kv_item(const struct kv_ctx *ctx, const struct key *key, const struct key_version *v,
               bool versioned)
{
    cJSON *item = cJSON_CreateObject();
    char *kid = kv_kid(ctx, key, versioned ? v : NULL);
    cJSON_AddStringToObject(item, "kid", kid);
    free(kid);
    cJSON_AddItemToObject(item, "attributes", attributes(ctx, v));
    if (v->tags.n)
        cJSON_AddItemToObject(item, "tags", tags_to_json(&v->tags));
    if (key->managed)
        cJSON_AddBoolToObject(item, "managed", true);
    return item;
}

cJSON *kv_deleted_item(const struct kv_ctx *ctx, const struct key *key)
{
    cJSON *json = cJSON_CreateObject();
    add_deleted_fields(ctx, key, json);
    cJSON *item = kv_item(ctx, key, key_latest(key), false);
    cJSON *child;
    while ((child = item->child) != NULL)
        cJSON_AddItemToObject(json, child->string, cJSON_DetachItemViaPointer(item, child));
    cJSON_Delete(item);
    return json;
}

/*
 * $skiptoken, in the shape the service uses: base64url of
 * {"NextMarker":"2!<len>!<base64url of marker>","TargetLocation":0}, where our
 * marker is "<offset>!<path>!" so a token from another listing is refused.
 */
static char *make_skiptoken(const char *path, size_t offset)
{
    char *marker = xasprintf("%06zu!%s!", offset, path);
    char *inner = b64_url_encode((const unsigned char *)marker, strlen(marker));
    char *json =
        xasprintf("{\"NextMarker\":\"2!%zu!%s\",\"TargetLocation\":0}", strlen(inner), inner);
    char *token = b64_url_encode((const unsigned char *)json, strlen(json));
    free(marker);
    free(inner);
    free(json);
    return token;
}

static int parse_skiptoken(const char *token, const char *path, size_t *offset)
{
    unsigned char *json = NULL, *marker = NULL;
    size_t len;
    int rc = -1;
    if (b64_decode(token, strlen(token), &json, &len) < 0)
        return -1;
    cJSON *doc = cJSON_ParseWithLength((const char *)json, len);
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "NextMarker");
    const char *bang = cJSON_IsString(next) ? strrchr(next->valuestring, '!') : NULL;
    if (bang && b64_decode(bang + 1, strlen(bang + 1), &marker, &len) == 0) {
        char *end;
        unsigned long long n = strtoull((const char *)marker, &end, 10);
        size_t plen = strlen(path);
        if (*end == '!' && strncmp(end + 1, path, plen) == 0 && strcmp(end + 1 + plen, "!") == 0) {
            *offset = (size_t)n;
            rc = 0;
        }
    }
    cJSON_Delete(doc);
    free(json);
    free(marker);
    return rc;
}

bool kv_page_bounds(struct kv_ctx *ctx, size_t total, size_t *start, size_t *count)
{
    const char *max = http_query(ctx->req, "maxresults");
    const char *skip = http_query(ctx->req, "$skiptoken");
    long n = 25;
    if (max) {
        char *end;
        n = strtol(max, &end, 10);
        if (*end != '\0' || end == max || n < 1 || n > 25) {
            kv_error(ctx, 400, "BadParameter", NULL,
                     "The value of maxresults must be between 1 and 25.");
            return false;
        }
    }
    *start = 0;
    if (skip && parse_skiptoken(skip, ctx->req->path, start) < 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "The skip token is not valid.");
        return false;
    }
    if (*start > total)
        *start = total;
    *count = total - *start < (size_t)n ? total - *start : (size_t)n;
    return true;
}

void kv_page_reply(struct kv_ctx *ctx, cJSON *values, size_t next, size_t total)
{
    cJSON *page = cJSON_CreateObject();
    cJSON_AddItemToObject(page, "value", values);
    if (next < total) {
        const char *max = http_query(ctx->req, "maxresults");
        const char *api = http_query(ctx->req, "api-version");
        char *token = make_skiptoken(ctx->req->path, next);
        char *link = xasprintf("%s%s?api-version=%s&$skiptoken=%s&maxresults=%s", ctx->base,
                               ctx->req->path, api, token, max ? max : "25");
        cJSON_AddStringToObject(page, "nextLink", link);
        free(token);
        free(link);
    } else {
        cJSON_AddNullToObject(page, "nextLink");
    }
    kv_reply(ctx, page);
}
