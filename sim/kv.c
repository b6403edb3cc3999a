#include "kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kvint.h"
#include "rsakey.h"
#include "sim.h"
#include "simclock.h"
#include "slog.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define SERVICE_VERSION "1.9.2795.1"

static void common_headers(struct kv_ctx *ctx, const char *region)
{
    const struct http_req *req = ctx->req;
    struct http_resp *resp = ctx->resp;
    const char *client_id = http_header(req, "x-ms-client-request-id");
    http_resp_header(resp, "Cache-Control", "no-cache");
    http_resp_header(resp, "Pragma", "no-cache");
    http_resp_header(resp, "Expires", "-1");
    if (client_id && strlen(client_id) <= 128)
        http_resp_header(resp, "x-ms-client-request-id", "%s", client_id);
    http_resp_header(resp, "x-ms-request-id", "%s", req->request_id);
    http_resp_header(resp, "x-ms-keyvault-region", "%s", region);
    http_resp_header(resp, "x-ms-keyvault-service-version", SERVICE_VERSION);
    http_resp_header(resp, "x-ms-keyvault-network-info", "conn_type=%s;addr=%s;act_addr_fam=%s;",
                     req->client_family == AF_INET6 ? "Ipv6" : "Ipv4", req->client_addr,
                     req->client_family == AF_INET6 ? "InterNetworkV6" : "InterNetwork");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "Strict-Transport-Security", "max-age=31536000;includeSubDomains");
}

static bool parse_body(struct kv_ctx *ctx)
{
    const struct kv_opinfo *info = kv_opinfo(ctx->route.op);
    if (!info->has_body)
        return true;
    if (ctx->req->body_len == 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "The request body is required for operation '%s'.",
                 info->word);
        return false;
    }
    const char *end = NULL;
    ctx->body = cJSON_ParseWithLengthOpts(ctx->req->body, ctx->req->body_len, &end, false);
    /* One JSON value and nothing after it but white space (RFC 8259). */
    while (ctx->body && end < ctx->req->body + ctx->req->body_len && strchr(" \t\r\n", *end) &&
           *end)
        end++;
    if (!cJSON_IsObject(ctx->body) || end != ctx->req->body + ctx->req->body_len) {
        cJSON_Delete(ctx->body);
        ctx->body = NULL;
        kv_error(ctx, 400, "BadParameter", NULL, "The request body is not a valid JSON object.");
        return false;
    }
    return true;
}

/*
 * The checks every request passes before its operation runs, in the order the
 * service applies them. Needs the world lock. false: the answer is written.
 */
static bool prelude(struct kv_ctx *ctx, const char *vault_name, int route_status,
                    const char *route_code, const char *route_message)
{
    ctx->vault = world_vault(ctx->world, vault_name);
    if (ctx->vault == NULL || ctx->vault->deleted) {
        /* In Azure the name would not even resolve: behave like an unreachable host. */
        ctx->resp->status = 0;
        http_resp_note(ctx->resp, "no vault named %s: connection dropped", vault_name);
        return false;
    }
    free(ctx->base);
    ctx->base = sim_vault_url(ctx->sim, ctx->vault->name);
    common_headers(ctx, ctx->vault->region);

    if (ctx->req->body_too_large) {
        kv_error(ctx, 413, "RequestTooLarge", NULL,
                 "The request body exceeds the maximum allowed size of %zu bytes.",
                 ctx->sim->max_body);
        return false;
    }
    const char *api = http_query(ctx->req, "api-version");
    if (kv_api_parse(api, &ctx->api) < 0) {
        if (api == NULL)
            kv_error(ctx, 400, "BadParameter", NULL,
                     "The api-version query parameter is required.");
        else
            kv_error(ctx, 400, "BadParameter", NULL,
                     "The specified version (%.40s) is not recognized. Consider using the latest "
                     "supported version (2025-07-01).",
                     api);
        return false;
    }
    if (!kv_authenticate(ctx) || !kv_firewall_allows(ctx))
        return false;
    http_resp_note(ctx->resp, "oid=%s", ctx->who.oid);
    if (route_status) {
        kv_error(ctx, route_status, route_code, NULL, "%s", route_message);
        return false;
    }
    if (!kv_authorize(ctx) || !parse_body(ctx))
        return false;
    if (ctx->vault->read_only && kv_opinfo(ctx->route.op)->writes) {
        kv_error(ctx, 503, "ServiceUnavailable", NULL,
                 "The vault is read-only while its region fails over: operations that change it "
                 "are refused until it fails back.");
        http_resp_header(ctx->resp, "Retry-After", "60");
        return false;
    }
    return true;
}

/* Key generation is slow (RSA 4096: about a second): do it before taking the write lock. */
static bool needs_material(enum kv_op op)
{
    return op == KV_CREATE || op == KV_ROTATE;
}

static bool material_params(struct kv_ctx *ctx, struct kv_newkey *nk)
{
    if (ctx->route.op == KV_CREATE)
        return kv_newkey_from_body(ctx, nk);
    struct key *key = kv_live_key(ctx);
    if (key == NULL)
        return false;
    const struct key_version *latest = key_latest(key);
    nk->bits = rsakey_bits(latest->material);
    nk->exponent = 65537;
    nk->hsm = latest->hsm;
    return true;
}

static bool pregenerate(struct kv_ctx *ctx, const char *vault_name, int route_status,
                        const char *route_code, const char *route_message)
{
    struct http_resp scratch = {0};
    struct http_resp *real = ctx->resp;
    struct kv_newkey nk = {0};
    ctx->resp = &scratch;

    world_rdlock(ctx->world);
    ctx->now = simclock_now();
    ctx->mono = simclock_mono_ms();
    bool ok = prelude(ctx, vault_name, route_status, route_code, route_message) &&
              material_params(ctx, &nk);
    world_unlock(ctx->world);
    cJSON_Delete(ctx->body);
    ctx->body = NULL;
    ctx->resp = real;
    if (!ok) {
        *real = scratch; /* the refusal is the answer */
        return false;
    }
    http_resp_cleanup(&scratch);

    char *cause = NULL;
    ctx->pregen = rsakey_generate(nk.bits, nk.exponent, &cause);
    if (ctx->pregen == NULL) {
        slog(SLOG_ERROR, "key generation failed: %s", cause);
        free(cause);
        http_resp_json(real, 500,
                       cJSON_Parse("{\"error\":{\"code\":\"InternalServerError\","
                                   "\"message\":\"Key generation failed.\"}}"));
        return false;
    }
    return true;
}

void kv_handle(struct sim *sim, const char *vault_name, const struct http_req *req,
               struct http_resp *resp)
{
    struct kv_ctx ctx = {.sim = sim, .world = sim->world, .req = req, .resp = resp};
    const char *route_code = NULL;
    char *route_message = NULL;
    int route_status =
        kv_route_parse(req->method, req->path, &ctx.route, &route_code, &route_message);

    if (route_status == 0 && needs_material(ctx.route.op) &&
        !pregenerate(&ctx, vault_name, route_status, route_code, route_message))
        goto out;

    const struct kv_opinfo *info = route_status == 0 ? kv_opinfo(ctx.route.op) : NULL;
    bool writes = info && info->writes;
    if (writes)
        world_wrlock(sim->world);
    else
        world_rdlock(sim->world);
    ctx.now = simclock_now();
    ctx.mono = simclock_mono_ms();
    if (prelude(&ctx, vault_name, route_status, route_code, route_message) && info) {
        info->fn(&ctx);
        if (ctx.changed)
            sim_persist(sim);
    }
    world_unlock(sim->world);
out:
    cJSON_Delete(ctx.body);
    rsakey_unref(ctx.pregen);
    free(ctx.base);
    free(route_message);
}
