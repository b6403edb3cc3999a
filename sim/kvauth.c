#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "kv.h"
#include "kvint.h"
#include "sim.h"
#include "vault.h"
#include "xmem.h"

static void add_challenge(struct kv_ctx *ctx)
{
    http_resp_header(ctx->resp, "WWW-Authenticate",
                     "Bearer authorization=\"%s/%s\", resource=\"%s\"", ctx->sim->authority,
                     ctx->vault->tenant_id, ctx->sim->vault_resource);
}

bool kv_authenticate(struct kv_ctx *ctx)
{
    char *message = NULL;
    enum token_result r =
        token_check(ctx->sim, http_header(ctx->req, "Authorization"), ctx->sim->vault_resource,
                    ctx->vault->tenant_id, &ctx->who, &message);
    if (r == TOKEN_OK)
        return true;
    kv_error(ctx, 401, "Unauthorized", NULL, "%s", message);
    add_challenge(ctx);
    free(message);
    return false;
}

static char *caller(const struct kv_ctx *ctx)
{
    return xasprintf("appid=%s;oid=%s;iss=%s", ctx->who.appid, ctx->who.oid, ctx->who.iss);
}

bool kv_firewall_allows(struct kv_ctx *ctx)
{
    const struct vault *v = ctx->vault;
    const struct http_req *req = ctx->req;
    if (v->public_access && !v->acl_deny)
        return true;
    if (v->public_access) {
        for (size_t i = 0; i < v->nip_rules; i++) {
            if (ip_rule_match(&v->ip_rules[i], req->client_family, req->client_bin))
                return true;
        }
    }
    char *who = caller(ctx);
    if (!v->public_access)
        kv_error(ctx, 403, "Forbidden", "ForbiddenByFirewall",
                 "Public network access is disabled and request is not from a trusted service "
                 "nor via an approved private link.\r\nCaller: %s\r\nVault: %s;location=%s",
                 who, v->name, v->region);
    else
        kv_error(ctx, 403, "Forbidden", "ForbiddenByFirewall",
                 "Client address is not authorized and caller is not a trusted service.\r\n"
                 "Client address: %s\r\nCaller: %s\r\nVault: %s;location=%s",
                 req->client_addr, who, v->name, v->region);
    free(who);
    return false;
}

static bool authorize_rbac(struct kv_ctx *ctx, const struct kv_opinfo *info)
{
    const struct vault *v = ctx->vault;
    const struct role_assignment *ra =
        authz_rbac_grant(v, ctx->who.oid, ctx->route.name, info->data_action);
    if (ra) {
        http_resp_header(ctx->resp, "x-ms-keyvault-rbac-assignment-id", "%s", ra->id);
        http_resp_header(ctx->resp, "x-ms-keyvault-rbac-cache",
                         "ra_age=0;da_age=0;rd_age=0;brd_age=0;ra_notif_age=0;dec_lev=1;");
        return true;
    }
    char *who = caller(ctx);
    char *resource = xasprintf("/subscriptions/%s/resourcegroups/%s/providers/microsoft.keyvault/"
                               "vaults/%s%s%s",
                               v->subscription_id, v->resource_group, v->name,
                               ctx->route.name[0] ? "/keys/" : "", ctx->route.name);
    kv_error(ctx, 403, "Forbidden", "ForbiddenByRbac",
             "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny "
             "assignments or role definitions were changed recently, please observe propagation "
             "time.\r\nCaller: %s\r\nAction: '%s'\r\nResource: '%s'\r\nAssignment: (not found)\r\n"
             "DenyAssignmentId: null\r\nDecisionReason: null \r\nVault: %s;location=%s\r\n",
             who, info->data_action, resource, v->name, v->region);
    free(resource);
    free(who);
    return false;
}

static bool authorize_policies(struct kv_ctx *ctx, const struct kv_opinfo *info)
{
    const struct vault *v = ctx->vault;
    uint32_t granted = authz_policy_perms(v, ctx->who.tid, ctx->who.oid, ctx->who.appid);
    if ((granted & info->perm) == info->perm)
        return true;
    char *who = caller(ctx);
    kv_error(ctx, 403, "Forbidden", "AccessDenied",
             "The user, group or application '%s' does not have keys %s permission on key vault "
             "'%s;location=%s'. For help resolving this issue, please see "
             "https://go.microsoft.com/fwlink/?linkid=2125287",
             who, kperm_name(info->perm), v->name, v->region);
    free(who);
    return false;
}

bool kv_authorize(struct kv_ctx *ctx)
{
    const struct kv_opinfo *info = kv_opinfo(ctx->route.op);
    if (info->perm == 0)
        return true;
    return ctx->vault->rbac ? authorize_rbac(ctx, info) : authorize_policies(ctx, info);
}
