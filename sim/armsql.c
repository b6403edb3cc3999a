/* Microsoft.Sql: managed instances, their keys, the TDE protector, databases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armint.h"
#include "armsqlint.h"
#include "instance.h"
#include "key.h"
#include "mimodel.h"
#include "rsakey.h"
#include "sim.h"
#include "simclock.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define MI "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Sql/managedInstances/{}"

char *armsql_key_uri(const struct arm_ctx *ctx, const struct server_key *k)
{
    char *base = sim_vault_url(ctx->sim, k->vault);
    char *uri = k->version ? xasprintf("%s/keys/%s/%s", base, k->key, k->version)
                           : xasprintf("%s/keys/%s", base, k->key);
    free(base);
    return uri;
}

struct instance *armsql_partner(const struct arm_ctx *ctx, const struct instance *mi)
{
    const struct failover_group *fg = world_fog_of(ctx->world, mi->name);
    if (fg == NULL)
        return NULL;
    return world_instance(ctx->world,
                          strcasecmp(fg->primary, mi->name) == 0 ? fg->secondary : fg->primary);
}

static cJSON *identity_json(const struct arm_ctx *ctx, const struct instance *mi)
{
    const struct principal *p = world_principal_by_oid(ctx->world, mi->identity_oid);
    cJSON *id = cJSON_CreateObject();
    cJSON_AddStringToObject(id, "type", mi->identity_type);
    if (strcmp(mi->identity_type, "SystemAssigned") == 0) {
        cJSON_AddStringToObject(id, "principalId", mi->identity_oid);
        cJSON_AddStringToObject(id, "tenantId", p ? p->tenant_id : "");
    } else {
        cJSON_AddStringToObject(id, "tenantId", p ? p->tenant_id : "");
        cJSON *ua = cJSON_AddObjectToObject(cJSON_AddObjectToObject(id, "userAssignedIdentities"),
                                            mi->identity_resource);
        cJSON_AddStringToObject(ua, "principalId", mi->identity_oid);
        cJSON_AddStringToObject(ua, "clientId", p ? p->client_id : "");
    }
    return id;
}

static cJSON *instance_json(const struct arm_ctx *ctx, const struct instance *mi)
{
    char *id = arm_instance_id(mi), created[32];
    arm_time(mi->created, created, sizeof created);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", mi->name);
    cJSON_AddStringToObject(j, "type", "Microsoft.Sql/managedInstances");
    cJSON_AddStringToObject(j, "location", mi->region);
    cJSON *sku = cJSON_AddObjectToObject(j, "sku");
    cJSON_AddStringToObject(sku, "name", mi->sku);
    cJSON_AddStringToObject(sku, "tier",
                            strncmp(mi->sku, "BC", 2) == 0 ? "BusinessCritical" : "GeneralPurpose");
    cJSON_AddStringToObject(sku, "family", "Gen5");
    cJSON_AddNumberToObject(sku, "capacity", mi->vcores);
    cJSON_AddItemToObject(j, "identity", identity_json(ctx, mi));
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
    cJSON_AddStringToObject(p, "state", "Ready");
    char *fqdn = xasprintf("%s.%s.database.windows.net", mi->name, mi->dns_zone);
    cJSON_AddStringToObject(p, "fullyQualifiedDomainName", fqdn);
    free(fqdn);
    cJSON_AddStringToObject(p, "dnsZone", mi->dns_zone);
    cJSON_AddStringToObject(p, "administratorLogin", "sqladmin");
    char *subnet = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                             "virtualNetworks/vnet-%s/subnets/ManagedInstance",
                             mi->subscription_id, mi->resource_group, mi->region);
    cJSON_AddStringToObject(p, "subnetId", subnet);
    free(subnet);
    cJSON_AddNumberToObject(p, "vCores", mi->vcores);
    cJSON_AddNumberToObject(p, "storageSizeInGB", 1024);
    cJSON_AddStringToObject(p, "licenseType", "LicenseIncluded");
    cJSON_AddStringToObject(p, "collation", "SQL_Latin1_General_CP1_CI_AS");
    cJSON_AddStringToObject(p, "createTime", created);
    cJSON_AddBoolToObject(p, "publicDataEndpointEnabled", false);
    cJSON_AddStringToObject(p, "proxyOverride", "Default");
    cJSON_AddStringToObject(p, "timezoneId", "UTC");
    cJSON_AddStringToObject(p, "minimalTlsVersion", "1.2");
    cJSON_AddStringToObject(p, "requestedBackupStorageRedundancy", "Geo");
    cJSON_AddStringToObject(p, "currentBackupStorageRedundancy", "Geo");
    cJSON_AddBoolToObject(p, "zoneRedundant", false);
    char *maint = xasprintf("/subscriptions/%s/providers/Microsoft.Maintenance/"
                            "publicMaintenanceConfigurations/SQL_Default",
                            mi->subscription_id);
    char *vc = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/"
                         "virtualClusters/vc-%s",
                         mi->subscription_id, mi->resource_group, mi->dns_zone);
    cJSON_AddStringToObject(p, "maintenanceConfigurationId", maint);
    cJSON_AddStringToObject(p, "virtualClusterId", vc);
    free(maint);
    free(vc);
    cJSON_AddStringToObject(p, "externalGovernanceStatus", "Disabled");
    cJSON_AddStringToObject(p, "hybridSecondaryUsage", "Active");
    cJSON_AddStringToObject(p, "authenticationMetadata", "AzureAD");
    cJSON_AddStringToObject(p, "pricingModel", "Regular");
    cJSON_AddStringToObject(p, "databaseFormat", "AlwaysUpToDate");
    const struct server_key *k = mi->protector ? instance_find_key(mi, mi->protector) : NULL;
    if (k) {
        char *uri = armsql_key_uri(ctx, k);
        cJSON_AddStringToObject(p, "keyId", uri);
        free(uri);
    }
    if (mi->identity_resource)
        cJSON_AddStringToObject(p, "primaryUserAssignedIdentityId", mi->identity_resource);
    cJSON_AddItemToObject(j, "tags", tags_to_json(&mi->tags));
    free(id);
    return j;
}

static void list_instances(struct arm_ctx *ctx, const char *rg)
{
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < ctx->world->ninstances; i++) {
        const struct instance *mi = ctx->world->instances[i];
        if (strcasecmp(mi->subscription_id, ctx->params[0]) == 0 &&
            (rg == NULL || strcasecmp(mi->resource_group, rg) == 0))
            cJSON_AddItemToArray(values, instance_json(ctx, mi));
    }
    arm_reply_list(ctx, values);
}

static void list_in_subscription(struct arm_ctx *ctx)
{
    list_instances(ctx, NULL);
}

static void list_in_group(struct arm_ctx *ctx)
{
    list_instances(ctx, ctx->params[1]);
}

static struct instance *this_instance(struct arm_ctx *ctx)
{
    return arm_find_instance(ctx, ctx->params[0], ctx->params[1], ctx->params[2]);
}

static void get_instance(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi)
        arm_reply(ctx, 200, instance_json(ctx, mi));
}

/* -- keys ------------------------------------------------------------------------------ */

static cJSON *key_json(const struct arm_ctx *ctx, const struct instance *mi,
                       const struct server_key *k)
{
    char *mid = arm_instance_id(mi), *name = server_key_name(k), *uri = armsql_key_uri(ctx, k);
    char *id = xasprintf("%s/keys/%s", mid, name), created[32];
    arm_time(k->created, created, sizeof created);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddStringToObject(j, "type", "Microsoft.Sql/managedInstances/keys");
    cJSON_AddStringToObject(j, "kind", "azurekeyvault");
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "serverKeyType", "AzureKeyVault");
    cJSON_AddStringToObject(p, "uri", uri);
    cJSON_AddStringToObject(p, "thumbprint", k->thumbprint);
    cJSON_AddStringToObject(p, "creationDate", created);
    cJSON_AddBoolToObject(p, "autoRotationEnabled",
                          mi->auto_rotation && mi->protector &&
                              strcasecmp(mi->protector, name) == 0);
    free(mid);
    free(name);
    free(uri);
    free(id);
    return j;
}

static void list_keys(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < mi->nkeys; i++)
        cJSON_AddItemToArray(values, key_json(ctx, mi, &mi->keys[i]));
    arm_reply_list(ctx, values);
}

static void get_key(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    struct server_key *k = instance_find_key(mi, ctx->params[3]);
    if (k == NULL)
        arm_error(ctx, 404, "ResourceNotFound",
                  "The requested resource of type 'Microsoft.Sql/managedInstances/keys' with "
                  "name '%s' was not found.",
                  ctx->params[3]);
    else
        arm_reply(ctx, 200, key_json(ctx, mi, k));
}

/* -- what SQL checks before it takes a key ---------------------------------------------- */

struct key_ref {
    char vault[64];
    char key[KEY_NAME_MAX + 1];
    char version[KEY_VERSION_ID];
};

/* https://{vault}.vault.{suffix}[:port]/keys/{key}[/{version}]; -1 when not a vault key URI. */
static int parse_key_uri(const struct arm_ctx *ctx, const char *uri, struct key_ref *out)
{
    memset(out, 0, sizeof *out);
    if (uri == NULL || strncasecmp(uri, "https://", 8) != 0)
        return -1;
    const char *host = uri + 8, *slash = strchr(host, '/');
    if (slash == NULL)
        return -1;
    size_t hlen = strcspn(host, ":/");
    char *suffix = xasprintf(".vault.%s", ctx->sim->dns_suffix);
    size_t slen = strlen(suffix);
    bool ok = hlen > slen && hlen - slen < sizeof out->vault &&
              strncasecmp(host + hlen - slen, suffix, slen) == 0;
    free(suffix);
    if (!ok)
        return -1;
    memcpy(out->vault, host, hlen - slen);
    char path[300];
    snprintf(path, sizeof path, "%s", slash);
    char *name = NULL, *version = NULL, *save = NULL;
    if (strncmp(path, "/keys/", 6) != 0)
        return -1;
    name = strtok_r(path + 6, "/", &save);
    version = name ? strtok_r(NULL, "/", &save) : NULL;
    if (name == NULL || !key_name_valid(name) || strtok_r(NULL, "/", &save) ||
        (version && !key_version_id_valid(version)))
        return -1;
    snprintf(out->key, sizeof out->key, "%s", name);
    if (version)
        for (size_t i = 0; i < 32; i++)
            out->version[i] = (char)(version[i] | 0x20);
    return 0;
}

struct problem {
    const char *code; /* NULL: no problem */
    int status;
    char *message;
};

static struct problem problem(const char *code, int status, char *message)
{
    return (struct problem){code, status, message};
}

/*
 * Why mi cannot take ref as a TDE key now (code NULL when it can). *version_out
 * gets the version the reference resolves to.
 */
static struct problem key_problem(struct arm_ctx *ctx, struct instance *mi,
                                  const struct key_ref *ref, const char *uri,
                                  struct key_version **version_out)
{
    struct vault *v = world_vault(ctx->world, ref->vault);
    if (v == NULL || v->deleted)
        return problem("AzureKeyVaultConnectionFailed", 503,
                       xasprintf("The server '%s' attempts to connect to Azure Key Vault '%s' "
                                 "have failed.",
                                 mi->name, ref->vault));
    if (!v->soft_delete || !v->purge_protection)
        return problem("SecurityInvalidAzureKeyVaultRecoveryLevel", 400,
                       xasprintf("The provided Key Vault uri '%s' is not valid. Please ensure the "
                                 "vault has the right Recovery Level other than 'Purgeable'.",
                                 uri));
    struct key *k = vault_find_key(v, ref->key);
    struct key_version *kv =
        k && !k->deleted ? (ref->version[0] ? key_find_version(k, ref->version) : key_latest(k))
                         : NULL;
    if (kv == NULL)
        return problem(
            "AzureKeyVaultKeyNameNotFound", 409,
            xasprintf("The key '%s' was not found in Azure Key Vault '%s'.", ref->key, ref->vault));
    *version_out = kv;
    int bits = rsakey_bits(kv->material);
    if (bits != 2048 && bits != 3072)
        return problem("AzureKeyVaultRsaKeyNotSupported", 400,
                       xasprintf("The provided key '%s' is not supported: only RSA or RSA-HSM "
                                 "keys of 2048 or 3072 bits can be used (this one has %d).",
                                 uri, bits));
    struct probe p = mimodel_probe(ctx->sim, mi, ref->vault, ref->key, kv->id, ctx->now);
    if (p.result == PROBE_OK)
        return problem(NULL, 0, NULL);
    int status = strcmp(p.code, "AzureKeyVaultConnectionFailed") == 0     ? 503
                 : strcmp(p.code, "AzureKeyVaultMissingPermissions") == 0 ? 401
                 : strcmp(p.code, "AzureKeyVaultKeyDisabled") == 0        ? 401
                                                                          : 400;
    if (strcmp(p.code, "AzureKeyVaultMissingPermissions") == 0 ||
        strcmp(p.code, "AkvKeyOperationNotAllowedByRBAC") == 0)
        return problem(p.code, status,
                       xasprintf("The server %s requires the Key Vault Crypto Service Encryption "
                                 "User permission for the RBAC policy or following Azure Key "
                                 "Vault permissions: Get, WrapKey, UnwrapKey. Please grant the "
                                 "missing permissions to the service principal with ID %s.",
                                 mi->name, mi->identity_oid));
    return problem(p.code, status,
                   xasprintf("The server %s cannot use the key '%s' (%s).", mi->name, uri, p.code));
}

struct key_change {
    char instance[128];
    struct key_ref ref;
    char thumbprint[THUMBPRINT_LEN];
    char *protector; /* for protector changes: server key name or NULL (ServiceManaged) */
    bool auto_rotation;
};

static void free_change(void *p)
{
    struct key_change *c = p;
    free(c->protector);
    free(c);
}

static void apply_register(struct sim *sim, void *payload)
{
    struct key_change *c = payload;
    struct instance *mi = world_instance(sim->world, c->instance);
    if (mi == NULL)
        return;
    const char *version = c->ref.version[0] ? c->ref.version : NULL;
    char *name = server_key_name_of(c->ref.vault, c->ref.key, version);
    if (instance_find_key(mi, name) == NULL)
        instance_add_key(mi, c->ref.vault, c->ref.key, version, c->thumbprint, simclock_now());
    free(name);
}

static const char *body_string(const struct arm_ctx *ctx, const char *name)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(ctx->body, "properties");
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(props, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Answers a change that SQL refuses in its workflow: 202, then the operation fails. */
static void lro_refuse(struct arm_ctx *ctx, const char *kind, const char *region,
                       const char *resource, struct problem p)
{
    struct arm_lro op = {.kind = kind,
                         .region = region,
                         .resource = resource,
                         .status = 202,
                         .error_code = p.code,
                         .error_message = p.message,
                         .error_status = p.status};
    arm_lro_start(ctx, &op);
}

static void put_key(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    const char *type = body_string(ctx, "serverKeyType"), *uri = body_string(ctx, "uri");
    struct key_ref ref;
    if (type == NULL || strcasecmp(type, "AzureKeyVault") != 0) {
        arm_error(ctx, 400, "InvalidUpsertKeyType",
                  "Only keys of type 'AzureKeyVault' can be created or updated.");
        return;
    }
    if (parse_key_uri(ctx, uri, &ref) < 0) {
        arm_error(ctx, 400, "AzureKeyVaultInvalidUri",
                  "The provided Key Vault uri '%.300s' is not valid.", uri ? uri : "");
        return;
    }
    char *want = server_key_name_of(ref.vault, ref.key, ref.version[0] ? ref.version : NULL);
    if (strcasecmp(want, ctx->params[3]) != 0) {
        arm_error(ctx, 400, "InvalidKeyName",
                  "The provided key name '%s' does not match the key name '%s' that the uri "
                  "gives.",
                  ctx->params[3], want);
        free(want);
        return;
    }
    free(want);
    char *mid = arm_instance_id(mi);
    struct key_version *kv = NULL;
    struct problem p = key_problem(ctx, mi, &ref, uri, &kv);
    if (p.code) {
        lro_refuse(ctx, "managedInstanceKey", mi->region, mid, p);
    } else {
        struct key_change *c = xcalloc(1, sizeof *c);
        snprintf(c->instance, sizeof c->instance, "%s", mi->name);
        c->ref = ref;
        instance_thumbprint(kv->material, c->thumbprint);
        struct arm_lro op = {.kind = "managedInstanceKey",
                             .region = mi->region,
                             .resource = mid,
                             .status = 202,
                             .apply = apply_register,
                             .payload = c,
                             .free_payload = free_change};
        arm_lro_start(ctx, &op);
    }
    free(mid);
}

static void apply_unregister(struct sim *sim, void *payload)
{
    struct key_change *c = payload;
    struct instance *mi = world_instance(sim->world, c->instance);
    if (mi && c->protector && (mi->protector == NULL || strcasecmp(mi->protector, c->protector)))
        instance_remove_key(mi, c->protector);
}

static void delete_key(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    struct server_key *k = instance_find_key(mi, ctx->params[3]);
    if (k == NULL) {
        arm_reply(ctx, 204, NULL);
        return;
    }
    if (mi->protector && strcasecmp(mi->protector, ctx->params[3]) == 0) {
        arm_error(ctx, 409, "AzureKeyVaultKeyInUse",
                  "The key is currently being used by the server.");
        return;
    }
    struct key_change *c = xcalloc(1, sizeof *c);
    snprintf(c->instance, sizeof c->instance, "%s", mi->name);
    c->protector = xstrdup(ctx->params[3]); /* the key to remove */
    char *mid = arm_instance_id(mi);
    struct arm_lro op = {.kind = "managedInstanceKey",
                         .region = mi->region,
                         .resource = mid,
                         .status = 202,
                         .apply = apply_unregister,
                         .payload = c,
                         .free_payload = free_change};
    arm_lro_start(ctx, &op);
    free(mid);
}

/* -- the TDE protector ------------------------------------------------------------------ */

static cJSON *protector_json(const struct arm_ctx *ctx, const struct instance *mi)
{
    char *mid = arm_instance_id(mi);
    char *id = xasprintf("%s/encryptionProtector/current", mid);
    const struct server_key *k = mi->protector ? instance_find_key(mi, mi->protector) : NULL;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", "current");
    cJSON_AddStringToObject(j, "type", "Microsoft.Sql/managedInstances/encryptionProtector");
    cJSON_AddStringToObject(j, "kind", k ? "azurekeyvault" : "servicemanaged");
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    if (k) {
        char *name = server_key_name(k), *uri = armsql_key_uri(ctx, k);
        cJSON_AddStringToObject(p, "serverKeyName", name);
        cJSON_AddStringToObject(p, "serverKeyType", "AzureKeyVault");
        cJSON_AddStringToObject(p, "uri", uri);
        cJSON_AddStringToObject(p, "thumbprint", k->thumbprint);
        free(name);
        free(uri);
    } else {
        cJSON_AddStringToObject(p, "serverKeyName", "ServiceManaged");
        cJSON_AddStringToObject(p, "serverKeyType", "ServiceManaged");
    }
    cJSON_AddBoolToObject(p, "autoRotationEnabled", k && mi->auto_rotation);
    free(mid);
    free(id);
    return j;
}

static void list_protectors(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    cJSON *values = cJSON_CreateArray();
    cJSON_AddItemToArray(values, protector_json(ctx, mi));
    arm_reply_list(ctx, values);
}

static bool protector_named(struct arm_ctx *ctx)
{
    if (strcasecmp(ctx->params[3], "current") == 0)
        return true;
    arm_error(ctx, 400, "InvalidEncryptionProtectorName",
              "The only encryption protector name is 'current', not '%.64s'.", ctx->params[3]);
    return false;
}

static void get_protector(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi && protector_named(ctx))
        arm_reply(ctx, 200, protector_json(ctx, mi));
}

static bool any_inaccessible(const struct instance *mi)
{
    for (size_t i = 0; i < mi->ndbs; i++) {
        if (mi->dbs[i].status == DB_INACCESSIBLE)
            return true;
    }
    return false;
}

static void apply_protector(struct sim *sim, void *payload)
{
    struct key_change *c = payload;
    struct instance *mi = world_instance(sim->world, c->instance);
    if (mi == NULL)
        return;
    free(mi->protector);
    mi->protector = c->protector ? xstrdup(c->protector) : NULL;
    mi->auto_rotation = c->protector && c->auto_rotation;
    mimodel_check(sim, mi, simclock_now());
}

static bool protector_body(struct arm_ctx *ctx, bool *akv, const char **name, bool *rotate)
{
    const char *type = body_string(ctx, "serverKeyType");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(ctx->body, "properties");
    const cJSON *auto_rot = cJSON_GetObjectItemCaseSensitive(props, "autoRotationEnabled");
    *name = body_string(ctx, "serverKeyName");
    *akv = type && strcasecmp(type, "AzureKeyVault") == 0;
    *rotate = cJSON_IsTrue(auto_rot);
    if (type == NULL || (!*akv && strcasecmp(type, "ServiceManaged") != 0)) {
        arm_error(ctx, 400, "InvalidKeyType",
                  "serverKeyType must be 'AzureKeyVault' or 'ServiceManaged'.");
        return false;
    }
    if (*akv && *name == NULL) {
        arm_error(ctx, 400, "InvalidKeyName",
                  "serverKeyName is required for an 'AzureKeyVault' "
                  "protector.");
        return false;
    }
    if (auto_rot && !cJSON_IsBool(auto_rot)) {
        arm_error(ctx, 400, "InvalidParameterValue", "autoRotationEnabled must be true or false.");
        return false;
    }
    return true;
}

/* The checks of an AzureKeyVault protector change that end in the workflow (code NULL: fine). */
static struct problem protector_problem(struct arm_ctx *ctx, struct instance *mi,
                                        const struct server_key *k)
{
    struct key_ref ref;
    char *uri = armsql_key_uri(ctx, k);
    memset(&ref, 0, sizeof ref);
    snprintf(ref.vault, sizeof ref.vault, "%s", k->vault);
    snprintf(ref.key, sizeof ref.key, "%s", k->key);
    snprintf(ref.version, sizeof ref.version, "%s", k->version ? k->version : "");
    struct key_version *kv = NULL;
    struct problem p = key_problem(ctx, mi, &ref, uri, &kv);
    if (p.code == NULL) {
        struct key *key = vault_find_key(world_vault(ctx->world, k->vault), k->key);
        const struct key_version *latest = key_latest(key);
        const struct instance *partner = armsql_partner(ctx, mi);
        if (latest != kv)
            p = problem("OldGenerationOfAKVKeyBeingUsedError", 400,
                        xasprintf("The key '%s' is not the latest version of key '%s': a TDE "
                                  "protector always uses the latest version of its key.",
                                  uri, k->key));
        else if (partner && instance_find_thumbprint(partner, k->thumbprint) == NULL)
            p = problem("SameKeyMaterialNotFoundOnRemoteServer", 400,
                        xasprintf("All servers linked by Geo replication should have the same "
                                  "key material as the encryption protector of the primary "
                                  "server. Please add the key '%s' with the same key material "
                                  "to the secondary server '%s'.",
                                  uri, partner->name));
    }
    free(uri);
    return p;
}

static void put_protector(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    bool akv, rotate;
    const char *name;
    if (mi == NULL || !protector_named(ctx) || !protector_body(ctx, &akv, &name, &rotate))
        return;
    char *mid = arm_instance_id(mi);
    const struct server_key *k = akv ? instance_find_key(mi, name) : NULL;
    if (arm_lro_busy("managedInstanceEncryptionProtector", mid))
        arm_error(ctx, 409, "EncryptionProtectorChangeInProgress",
                  "An encryption protector change is already in progress on '%s'.", mi->name);
    else if (any_inaccessible(mi))
        arm_error(ctx, 409, "ManagedInstanceContainsInaccessibleDatabases",
                  "The encryption protector of '%s' cannot change while databases are "
                  "Inaccessible; revalidate the current key first.",
                  mi->name);
    else if (akv && k == NULL)
        arm_error(ctx, 404, "ServerKeyNotFound",
                  "The requested server key was not found on the current subscription.");
    else {
        struct problem p = akv ? protector_problem(ctx, mi, k) : problem(NULL, 0, NULL);
        if (p.code) {
            lro_refuse(ctx, "managedInstanceEncryptionProtector", mi->region, mid, p);
        } else {
            struct key_change *c = xcalloc(1, sizeof *c);
            snprintf(c->instance, sizeof c->instance, "%s", mi->name);
            c->protector = akv ? server_key_name(k) : NULL;
            c->auto_rotation = rotate;
            struct arm_lro op = {.kind = "managedInstanceEncryptionProtector",
                                 .region = mi->region,
                                 .resource = mid,
                                 .status = 202,
                                 .apply = apply_protector,
                                 .payload = c,
                                 .free_payload = free_change};
            arm_lro_start(ctx, &op);
        }
    }
    free(mid);
}

static void apply_revalidate(struct sim *sim, void *payload)
{
    struct key_change *c = payload;
    struct instance *mi = world_instance(sim->world, c->instance);
    if (mi)
        mimodel_revalidate(sim, mi, simclock_now());
}

static void revalidate(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL || !protector_named(ctx))
        return;
    char *mid = arm_instance_id(mi);
    const char *code = "";
    if (mi->protector && mimodel_serving_key(ctx->sim, mi, ctx->now, &code) == NULL) {
        lro_refuse(ctx, "managedInstanceEncryptionProtector", mi->region, mid,
                   problem(code, strcmp(code, "AzureKeyVaultConnectionFailed") == 0 ? 503 : 400,
                           xasprintf("The server %s still cannot reach its TDE protector (%s).",
                                     mi->name, code)));
    } else {
        struct key_change *c = xcalloc(1, sizeof *c);
        snprintf(c->instance, sizeof c->instance, "%s", mi->name);
        struct arm_lro op = {.kind = "managedInstanceEncryptionProtector",
                             .region = mi->region,
                             .resource = mid,
                             .status = 202,
                             .apply = apply_revalidate,
                             .payload = c,
                             .free_payload = free_change};
        arm_lro_start(ctx, &op);
    }
    free(mid);
}

static void validate_key(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(ctx->body, "tdeKeyUri");
    if (!cJSON_IsString(uri)) /* the official example sends "uri" */
        uri = cJSON_GetObjectItemCaseSensitive(ctx->body, "uri");
    struct key_ref ref;
    if (!cJSON_IsString(uri) || parse_key_uri(ctx, uri->valuestring, &ref) < 0) {
        arm_error(ctx, 400, "AzureKeyVaultInvalidUri",
                  "The provided Key Vault uri '%.300s' is not valid.",
                  cJSON_IsString(uri) ? uri->valuestring : "");
        return;
    }
    char *mid = arm_instance_id(mi);
    struct key_version *kv = NULL;
    struct problem p = key_problem(ctx, mi, &ref, uri->valuestring, &kv);
    lro_refuse(ctx, "managedInstance", mi->region, mid, p); /* code NULL: it succeeds */
    free(mid);
}

/* -- databases ------------------------------------------------------------------------- */

static cJSON *database_json(const struct arm_ctx *ctx, const struct instance *mi,
                            const struct database *db)
{
    char *mid = arm_instance_id(mi), *id = xasprintf("%s/databases/%s", mid, db->name);
    char created[32];
    arm_time(db->created, created, sizeof created);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", db->name);
    cJSON_AddStringToObject(j, "type", "Microsoft.Sql/managedInstances/databases");
    cJSON_AddStringToObject(j, "location", mi->region);
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "collation", db->collation);
    cJSON_AddStringToObject(p, "status", db_status_name(db->status));
    cJSON_AddStringToObject(p, "creationDate", created);
    cJSON_AddStringToObject(p, "earliestRestorePoint", created);
    const struct instance *partner = armsql_partner(ctx, mi);
    if (partner)
        cJSON_AddStringToObject(p, "defaultSecondaryLocation", partner->region);
    cJSON_AddBoolToObject(p, "isLedgerOn", false);
    free(mid);
    free(id);
    return j;
}

static void list_databases(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    if (mi == NULL)
        return;
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < mi->ndbs; i++)
        cJSON_AddItemToArray(values, database_json(ctx, mi, &mi->dbs[i]));
    arm_reply_list(ctx, values);
}

static void get_database(struct arm_ctx *ctx)
{
    struct instance *mi = this_instance(ctx);
    const struct database *db = mi ? instance_find_db(mi, ctx->params[3]) : NULL;
    if (mi && db == NULL)
        arm_not_found(ctx, "Microsoft.Sql/managedInstances/databases", ctx->params[3]);
    else if (db)
        arm_reply(ctx, 200, database_json(ctx, mi, db));
}

#define READ "Microsoft.Sql/managedInstances/read"

const struct arm_route armsql_routes[] = {
    {"GET", "subscriptions/{}/providers/Microsoft.Sql/managedInstances", list_in_subscription,
     READ},
    {"GET", "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Sql/managedInstances",
     list_in_group, READ},
    {"GET", MI, get_instance, READ},
    {"POST", MI "/validateAzureKeyVaultEncryptionKey", validate_key,
     "Microsoft.Sql/managedInstances/validateAzureKeyVaultEncryptionKey/action"},
    {"GET", MI "/keys", list_keys, "Microsoft.Sql/managedInstances/keys/read"},
    {"GET", MI "/keys/{}", get_key, "Microsoft.Sql/managedInstances/keys/read"},
    {"PUT", MI "/keys/{}", put_key, "Microsoft.Sql/managedInstances/keys/write"},
    {"DELETE", MI "/keys/{}", delete_key, "Microsoft.Sql/managedInstances/keys/delete"},
    {"GET", MI "/encryptionProtector", list_protectors,
     "Microsoft.Sql/managedInstances/encryptionProtector/read"},
    {"GET", MI "/encryptionProtector/{}", get_protector,
     "Microsoft.Sql/managedInstances/encryptionProtector/read"},
    {"PUT", MI "/encryptionProtector/{}", put_protector,
     "Microsoft.Sql/managedInstances/encryptionProtector/write"},
    {"POST", MI "/encryptionProtector/{}/revalidate", revalidate,
     "Microsoft.Sql/managedInstances/encryptionProtector/revalidate/action"},
    {"GET", MI "/databases", list_databases, "Microsoft.Sql/managedInstances/databases/read"},
    {"GET", MI "/databases/{}", get_database, "Microsoft.Sql/managedInstances/databases/read"},
    {NULL, NULL, NULL, NULL},
};
