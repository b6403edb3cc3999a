/* ARM answers: errors, lists with paging, resource ids, times, and lookups. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "armint.h"
#include "b64.h"
#include "instance.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

void arm_error(struct arm_ctx *ctx, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = xvasprintf(fmt, ap);
    va_end(ap);
    cJSON *body = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(body, "error");
    cJSON_AddStringToObject(error, "code", code);
    cJSON_AddStringToObject(error, "message", message);
    http_resp_json(ctx->resp, status, body);
    http_resp_note(ctx->resp, "error=%s", code);
    free(message);
}

void arm_reply(struct arm_ctx *ctx, int status, cJSON *body)
{
    if (body)
        http_resp_json(ctx->resp, status, body);
    else
        ctx->resp->status = status;
}

void arm_not_found(struct arm_ctx *ctx, const char *type, const char *name)
{
    arm_error(ctx, 404, "ResourceNotFound",
              "The requested resource of type '%s' with name '%s' was not found.", type, name);
}

/* text percent-encoded for a query value (unreserved characters stay as they are). */
static char *query_escape(const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = xmalloc(strlen(text) * 3 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/*
 * Lists answer everything at once unless the client asks for a page with
 * $top; nextLink then carries a $skiptoken (base64url of the offset) and the
 * client's query ($top, $filter), as ARM's providers do.
 */
void arm_reply_list(struct arm_ctx *ctx, cJSON *values)
{
    const char *top = http_query(ctx->req, "$top");
    const char *skip = http_query(ctx->req, "$skiptoken");
    long total = cJSON_GetArraySize(values), start = 0, count = total;
    if (skip) {
        unsigned char *raw = NULL;
        size_t len = 0;
        char *end = NULL;
        if (b64_decode(skip, strlen(skip), &raw, &len) == 0)
            start = strtol((const char *)raw, &end, 10);
        bool ok = end && *end == '\0' && start >= 0 && start <= total;
        free(raw);
        if (!ok) {
            cJSON_Delete(values);
            arm_error(ctx, 400, "InvalidSkipToken", "The skip token is not valid.");
            return;
        }
    }
    if (top) {
        char *end;
        count = strtol(top, &end, 10);
        if (*end || end == top || count < 1 || count > 1000) {
            cJSON_Delete(values);
            arm_error(ctx, 400, "InvalidParameter", "The value of $top must be 1 to 1000.");
            return;
        }
    }
    cJSON *page = cJSON_CreateArray();
    for (long i = 0; i < total; i++) {
        cJSON *item = cJSON_DetachItemFromArray(values, 0);
        if (i >= start && i < start + count)
            cJSON_AddItemToArray(page, item);
        else
            cJSON_Delete(item);
    }
    cJSON_Delete(values);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "value", page);
    if (start + count < total) {
        char offset[24];
        snprintf(offset, sizeof offset, "%ld", start + count);
        char *token = b64_url_encode((const unsigned char *)offset, strlen(offset));
        const char *filter = http_query(ctx->req, "$filter");
        char *escaped = filter ? query_escape(filter) : NULL;
        char *link =
            xasprintf("%s%s?api-version=%s&$top=%ld&$skiptoken=%s%s%s", ctx->origin, ctx->req->path,
                      ctx->api, count, token, escaped ? "&$filter=" : "", escaped ? escaped : "");
        cJSON_AddStringToObject(body, "nextLink", link);
        free(link);
        free(token);
        free(escaped);
    }
    arm_reply(ctx, 200, body);
}

void arm_location(const char *text, char out[64])
{
    size_t n = 0;
    for (const char *p = text; *p && n < 63; p++) {
        if (*p != ' ')
            out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = '\0';
}

void arm_time(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

char *arm_rg_id(const char *sub, const char *rg)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s", sub, rg);
}

char *arm_instance_id(const struct instance *mi)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/"
                     "managedInstances/%s",
                     mi->subscription_id, mi->resource_group, mi->name);
}

char *arm_vault_id(const struct vault *v)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s",
                     v->subscription_id, v->resource_group, v->name);
}

struct instance *arm_find_instance(struct arm_ctx *ctx, const char *sub, const char *rg,
                                   const char *name)
{
    struct instance *mi = world_instance(ctx->world, name);
    if (mi && strcasecmp(mi->subscription_id, sub) == 0 && strcasecmp(mi->resource_group, rg) == 0)
        return mi;
    arm_not_found(ctx, "Microsoft.Sql/managedInstances", name);
    return NULL;
}

struct vault *arm_find_vault(struct arm_ctx *ctx, const char *sub, const char *rg, const char *name)
{
    struct vault *v = world_vault(ctx->world, name);
    if (v && !v->deleted && strcasecmp(v->subscription_id, sub) == 0 &&
        strcasecmp(v->resource_group, rg) == 0)
        return v;
    arm_error(ctx, 404, "ResourceNotFound",
              "The Resource 'Microsoft.KeyVault/vaults/%s' under resource group '%s' was not "
              "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
              name, rg);
    return NULL;
}
