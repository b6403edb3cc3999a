/*
 * Microsoft.Network: private endpoints, in the shapes of api-version
 * 2025-05-01 (any api-version is served the same). Each endpoint connects to
 * one vault (groupId "vault"); its connection state is pe->status, which the
 * vault's privateEndpointConnections show too (armkv.c), so the two agree.
 *
 * azsim's choices: the endpoint's address is dynamic in the model, so
 * ipConfigurations is [] (as Azure answers for dynamic allocation) and the
 * address shows in customDnsConfigs; subnet and network interface ids are
 * derived from the endpoint (vnet-{region}/subnets/private-endpoints,
 * {name}.nic.{guid}); etags and resourceGuid are stable hashes of the ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armint.h"
#include "instance.h"
#include "sim.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define PES "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints"

/* A stable GUID for text (the same text always gives the same GUID). */
static void stable_guid(const char *text, char out[37])
{
    unsigned long long a = 14695981039346656037ull, b = 0x84222325cbf29ce4ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        a = (a ^ *p) * 1099511628211ull;
        b = (b ^ *p) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
    }
    snprintf(out, 37, "%08llx-%04llx-4%03llx-%04llx-%012llx", a >> 32, (a >> 16) & 0xffff,
             a & 0xfff, (b >> 48 & 0x3fff) | 0x8000, b & 0xffffffffffffull);
}

/* W/"guid" for text and the endpoint's state. */
static char *etag_of(const char *text, const char *status)
{
    char *salt = xasprintf("%s|%s", text, status), guid[37];
    stable_guid(salt, guid);
    free(salt);
    return xasprintf("W/\"%s\"", guid);
}

/* What Azure writes next to a connection state (the vault shows the same: armkv.c). */
static const char *state_description(const char *status)
{
    if (strcasecmp(status, "Approved") == 0)
        return "Auto-Approved";
    if (strcasecmp(status, "Pending") == 0)
        return "Awaiting approval";
    if (strcasecmp(status, "Rejected") == 0)
        return "Rejected by the vault owner";
    return "The private endpoint connection was disconnected";
}

static char *pe_id(const struct private_endpoint *pe)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                     "privateEndpoints/%s",
                     pe->subscription_id, pe->resource_group, pe->name);
}

static cJSON *connection_json(const struct arm_ctx *ctx, const struct private_endpoint *pe,
                              const char *id)
{
    const struct vault *v = world_vault(ctx->world, pe->vault);
    char *cid = xasprintf("%s/privateLinkServiceConnections/%s", id, pe->name);
    char *etag = etag_of(cid, pe->status);
    char *vid = v ? arm_vault_id(v)
                  : xasprintf("/subscriptions/%s/resourceGroups/%s/providers/"
                              "Microsoft.KeyVault/vaults/%s",
                              pe->subscription_id, pe->resource_group, pe->vault);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", cid);
    cJSON_AddStringToObject(c, "name", pe->name);
    cJSON_AddStringToObject(c, "type",
                            "Microsoft.Network/privateEndpoints/privateLinkServiceConnections");
    cJSON_AddStringToObject(c, "etag", etag);
    cJSON *p = cJSON_AddObjectToObject(c, "properties");
    cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
    cJSON_AddStringToObject(p, "privateLinkServiceId", vid);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "groupIds"), cJSON_CreateString("vault"));
    cJSON_AddStringToObject(p, "requestMessage", "");
    cJSON *state = cJSON_AddObjectToObject(p, "privateLinkServiceConnectionState");
    cJSON_AddStringToObject(state, "status", pe->status);
    cJSON_AddStringToObject(state, "description", state_description(pe->status));
    cJSON_AddStringToObject(state, "actionsRequired", "None");
    free(cid);
    free(etag);
    free(vid);
    return c;
}

/* subnet, networkInterfaces and customDnsConfigs of the endpoint's properties. */
static void add_network(const struct arm_ctx *ctx, const struct private_endpoint *pe,
                        const char *id, cJSON *p)
{
    char guid[37];
    stable_guid(id, guid);
    char *subnet = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                             "virtualNetworks/vnet-%s/subnets/private-endpoints",
                             pe->subscription_id, pe->resource_group, pe->region);
    char *nic = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                          "networkInterfaces/%s.nic.%s",
                          pe->subscription_id, pe->resource_group, pe->name, guid);
    char *fqdn = xasprintf("%s.vault.%s", pe->vault, ctx->sim->dns_suffix);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "subnet"), "id", subnet);
    cJSON *nicref = cJSON_CreateObject();
    cJSON_AddStringToObject(nicref, "id", nic);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "networkInterfaces"), nicref);
    cJSON *dns = cJSON_CreateObject();
    cJSON_AddStringToObject(dns, "fqdn", fqdn);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(dns, "ipAddresses"), cJSON_CreateString(pe->ip));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "customDnsConfigs"), dns);
    free(subnet);
    free(nic);
    free(fqdn);
}

static cJSON *pe_json(const struct arm_ctx *ctx, const struct private_endpoint *pe)
{
    char *id = pe_id(pe), *etag = etag_of(id, pe->status), guid[37];
    stable_guid(pe->name, guid);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", pe->name);
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "etag", etag);
    cJSON_AddStringToObject(j, "type", "Microsoft.Network/privateEndpoints");
    cJSON_AddStringToObject(j, "location", pe->region);
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
    cJSON_AddStringToObject(p, "resourceGuid", guid);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "privateLinkServiceConnections"),
                         connection_json(ctx, pe, id));
    cJSON_AddArrayToObject(p, "manualPrivateLinkServiceConnections");
    add_network(ctx, pe, id, p);
    cJSON_AddArrayToObject(p, "applicationSecurityGroups");
    cJSON_AddArrayToObject(p, "ipConfigurations");
    cJSON_AddStringToObject(p, "customNetworkInterfaceName", "");
    free(id);
    free(etag);
    return j;
}

/* Serves both lists: by subscription, and by resource group when the route has one. */
static void list_pes(struct arm_ctx *ctx)
{
    const char *rg = ctx->nparams > 1 ? ctx->params[1] : NULL;
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < ctx->world->npes; i++) {
        const struct private_endpoint *pe = ctx->world->pes[i];
        if (strcasecmp(pe->subscription_id, ctx->params[0]) == 0 &&
            (rg == NULL || strcasecmp(pe->resource_group, rg) == 0))
            cJSON_AddItemToArray(values, pe_json(ctx, pe));
    }
    arm_reply_list(ctx, values);
}

static void get_pe(struct arm_ctx *ctx)
{
    const struct private_endpoint *pe = world_pe(ctx->world, ctx->params[2]);
    if (pe && strcasecmp(pe->subscription_id, ctx->params[0]) == 0 &&
        strcasecmp(pe->resource_group, ctx->params[1]) == 0) {
        arm_reply(ctx, 200, pe_json(ctx, pe));
        return;
    }
    arm_error(ctx, 404, "ResourceNotFound",
              "The Resource 'Microsoft.Network/privateEndpoints/%s' under resource group '%s' was "
              "not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
              ctx->params[2], ctx->params[1]);
}

const struct arm_route armnet_routes[] = {
    {"GET", "subscriptions/{}/providers/Microsoft.Network/privateEndpoints", list_pes,
     "Microsoft.Network/privateEndpoints/read"},
    {"GET", PES, list_pes, "Microsoft.Network/privateEndpoints/read"},
    {"GET", PES "/{}", get_pe, "Microsoft.Network/privateEndpoints/read"},
    {NULL, NULL, NULL, NULL},
};
