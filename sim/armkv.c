/*
 * Microsoft.KeyVault (control plane): vaults, access policies, private
 * endpoint connections, the ARM view of keys and soft-deleted vaults, in the
 * shapes of api-version 2026-02-01 (any api-version is served the same).
 *
 * azsim's choices where the world model has no value to show:
 *   - systemData: the vault's creator is not recorded; createdBy/lastModifiedBy
 *     say "azsim" (an Application), and createdAt/lastModifiedAt are the
 *     creation of the vault's oldest key version (omitted for a vault without
 *     keys): the vault existed by then.
 *   - access policies keep key permissions only (struct access_policy):
 *     secret, certificate and storage permissions are validated and dropped,
 *     so they always read back as [].
 *   - hsmPoolResourceId and createMode are not shown (never set for a vault).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armint.h"
#include "instance.h"
#include "key.h"
#include "rsakey.h"
#include "sim.h"
#include "simclock.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define PROVIDER     "subscriptions/{}/providers/Microsoft.KeyVault"
#define VAULTS       "subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults"
#define VAULT        VAULTS "/{}"
#define MAX_POLICIES 1024 /* Key Vault's limit of access policies per vault */

/* A stable quoted GUID-shaped etag for text: it changes when text does. */
static void etag_of(const char *text, char out[40])
{
    unsigned long long a = 14695981039346656037ull, b = 0x84222325cbf29ce4ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        a = (a ^ *p) * 1099511628211ull;
        b = (b ^ *p) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
    }
    snprintf(out, 40, "\"%08llx-%04llx-%04llx-%04llx-%012llx\"", a >> 32, (a >> 16) & 0xffff,
             a & 0xffff, b >> 48, b & 0xffffffffffffull);
}

/* What Azure writes next to a connection state (the endpoint shows the same: armnet.c). */
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

/* -- vault ------------------------------------------------------------------------------ */

static cJSON *perm_names(uint32_t bits)
{
    cJSON *array = cJSON_CreateArray();
    for (uint32_t bit = 1; bit & KPERM_ALL; bit <<= 1) {
        if (bits & bit)
            cJSON_AddItemToArray(array, cJSON_CreateString(kperm_name(bit)));
    }
    return array;
}

static cJSON *policies_json(const struct vault *v)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < v->npolicies; i++) {
        const struct access_policy *p = &v->policies[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "tenantId", p->tenant_id ? p->tenant_id : v->tenant_id);
        cJSON_AddStringToObject(j, "objectId", p->object_id);
        if (p->application_id)
            cJSON_AddStringToObject(j, "applicationId", p->application_id);
        cJSON *perms = cJSON_AddObjectToObject(j, "permissions");
        cJSON_AddItemToObject(perms, "keys", perm_names(p->keys));
        cJSON_AddArrayToObject(perms, "secrets");
        cJSON_AddArrayToObject(perms, "certificates");
        cJSON_AddItemToArray(array, j);
    }
    return array;
}

static cJSON *acls_json(const struct vault *v)
{
    cJSON *acls = cJSON_CreateObject();
    cJSON_AddStringToObject(acls, "bypass", v->acl_bypass_azure ? "AzureServices" : "None");
    cJSON_AddStringToObject(acls, "defaultAction", v->acl_deny ? "Deny" : "Allow");
    cJSON *rules = cJSON_AddArrayToObject(acls, "ipRules");
    for (size_t i = 0; i < v->nip_rules; i++) {
        cJSON *rule = cJSON_CreateObject();
        cJSON_AddStringToObject(rule, "value", v->ip_rules[i].text);
        cJSON_AddItemToArray(rules, rule);
    }
    cJSON_AddArrayToObject(acls, "virtualNetworkRules");
    return acls;
}

/* A private endpoint connection: the item inside the vault, or (full) the resource. */
static cJSON *pec_json(const struct vault *v, const struct private_endpoint *pe, bool full)
{
    char *vid = arm_vault_id(v), etag[40];
    char *id = xasprintf("%s/privateEndpointConnections/%s", vid, pe->name);
    char *peid = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                           "privateEndpoints/%s",
                           pe->subscription_id, pe->resource_group, pe->name);
    char *salt = xasprintf("%s|%s", id, pe->status);
    etag_of(salt, etag);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    if (full) {
        cJSON_AddStringToObject(j, "name", pe->name);
        cJSON_AddStringToObject(j, "type", "Microsoft.KeyVault/vaults/privateEndpointConnections");
        cJSON_AddStringToObject(j, "location", v->region);
    }
    cJSON_AddStringToObject(j, "etag", etag);
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "privateEndpoint"), "id", peid);
    cJSON *state = cJSON_AddObjectToObject(p, "privateLinkServiceConnectionState");
    cJSON_AddStringToObject(state, "status", pe->status);
    cJSON_AddStringToObject(state, "description", state_description(pe->status));
    cJSON_AddStringToObject(state, "actionsRequired", "None");
    cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
    free(vid);
    free(id);
    free(peid);
    free(salt);
    return j;
}

static cJSON *pecs_json(const struct world *w, const struct vault *v, bool full)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < w->npes; i++) {
        if (strcasecmp(w->pes[i]->vault, v->name) == 0)
            cJSON_AddItemToArray(array, pec_json(v, w->pes[i], full));
    }
    return array;
}

static void add_system_data(cJSON *j, const struct vault *v)
{
    int64_t created = 0;
    for (size_t i = 0; i < v->nkeys; i++) {
        for (size_t n = 0; n < v->keys[i]->nversions; n++) {
            int64_t t = v->keys[i]->versions[n]->created;
            if (t > 0 && (created == 0 || t < created))
                created = t;
        }
    }
    char at[32];
    arm_time(created, at, sizeof at);
    cJSON *sd = cJSON_AddObjectToObject(j, "systemData");
    cJSON_AddStringToObject(sd, "createdBy", "azsim");
    cJSON_AddStringToObject(sd, "createdByType", "Application");
    if (created)
        cJSON_AddStringToObject(sd, "createdAt", at);
    cJSON_AddStringToObject(sd, "lastModifiedBy", "azsim");
    cJSON_AddStringToObject(sd, "lastModifiedByType", "Application");
    if (created)
        cJSON_AddStringToObject(sd, "lastModifiedAt", at);
}

static cJSON *vault_json(const struct arm_ctx *ctx, const struct vault *v)
{
    char *id = arm_vault_id(v), *url = sim_vault_url(ctx->sim, v->name);
    char *uri = xasprintf("%s/", url);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", v->name);
    cJSON_AddStringToObject(j, "type", "Microsoft.KeyVault/vaults");
    cJSON_AddStringToObject(j, "location", v->region);
    cJSON_AddItemToObject(j, "tags", tags_to_json(&v->tags));
    add_system_data(j, v);
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON *sku = cJSON_AddObjectToObject(p, "sku");
    cJSON_AddStringToObject(sku, "family", "A");
    cJSON_AddStringToObject(sku, "name", v->sku);
    cJSON_AddStringToObject(p, "tenantId", v->tenant_id);
    cJSON_AddItemToObject(p, "accessPolicies", policies_json(v));
    cJSON_AddBoolToObject(p, "enabledForDeployment", false);
    cJSON_AddBoolToObject(p, "enabledForDiskEncryption", false);
    cJSON_AddBoolToObject(p, "enabledForTemplateDeployment", false);
    cJSON_AddBoolToObject(p, "enableSoftDelete", v->soft_delete);
    cJSON_AddNumberToObject(p, "softDeleteRetentionInDays", v->retention_days);
    cJSON_AddBoolToObject(p, "enableRbacAuthorization", v->rbac);
    if (v->purge_protection) /* Azure shows it only once it is on */
        cJSON_AddBoolToObject(p, "enablePurgeProtection", true);
    cJSON_AddStringToObject(p, "vaultUri", uri);
    cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
    cJSON_AddStringToObject(p, "publicNetworkAccess", v->public_access ? "Enabled" : "Disabled");
    cJSON_AddItemToObject(p, "networkAcls", acls_json(v));
    cJSON *pecs = pecs_json(ctx->world, v, false);
    if (cJSON_GetArraySize(pecs) > 0)
        cJSON_AddItemToObject(p, "privateEndpointConnections", pecs);
    else
        cJSON_Delete(pecs);
    free(id);
    free(url);
    free(uri);
    return j;
}

/* Serves both lists: by subscription, and by resource group when the route has one. */
static void list_vaults(struct arm_ctx *ctx)
{
    const char *rg = ctx->nparams > 1 ? ctx->params[1] : NULL;
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < ctx->world->nvaults; i++) {
        const struct vault *v = ctx->world->vaults[i];
        if (!v->deleted && strcasecmp(v->subscription_id, ctx->params[0]) == 0 &&
            (rg == NULL || strcasecmp(v->resource_group, rg) == 0))
            cJSON_AddItemToArray(values, vault_json(ctx, v));
    }
    arm_reply_list(ctx, values);
}

static struct vault *this_vault(struct arm_ctx *ctx)
{
    return arm_find_vault(ctx, ctx->params[0], ctx->params[1], ctx->params[2]);
}

static void get_vault(struct arm_ctx *ctx)
{
    struct vault *v = this_vault(ctx);
    if (v)
        arm_reply(ctx, 200, vault_json(ctx, v));
}

/* -- access policies -------------------------------------------------------------------- */

/* One entry of a PUT accessPolicies body, borrowed from the request's JSON. */
struct policy_edit {
    const char *tid, *oid, *app;
    uint32_t keys;
};

/* The names Key Vault accepts besides key permissions, as "|name|" lists. */
static const char secret_perms[] = "|all|get|list|set|delete|backup|restore|recover|purge|";
static const char cert_perms[] = "|all|get|list|delete|create|import|update|managecontacts|"
                                 "getissuers|listissuers|setissuers|deleteissuers|manageissuers|"
                                 "recover|purge|backup|restore|";
static const char storage_perms[] = "|all|get|list|delete|set|update|regeneratekey|recover|purge|"
                                    "backup|restore|setsas|listsas|getsas|deletesas|";

static bool name_in(const char *name, const char *names)
{
    size_t n = strlen(name);
    if (n == 0 || strchr(name, '|'))
        return false;
    for (const char *p = names; (p = strchr(p, '|')) != NULL && p[1]; p++) {
        if (strncasecmp(p + 1, name, n) == 0 && p[1 + n] == '|')
            return true;
    }
    return false;
}

/* Checks permissions.<kind> of entry idx; key permissions go to *bits. false after a 400. */
static bool parse_perms(struct arm_ctx *ctx, const cJSON *perms, const char *kind,
                        const char *names, int idx, uint32_t *bits)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(perms, kind), *item;
    if (list == NULL || cJSON_IsNull(list))
        return true;
    if (!cJSON_IsArray(list)) {
        arm_error(ctx, 400, "BadRequest",
                  "Invalid value found at properties.accessPolicies[%d].permissions.%s: an array "
                  "of permission names is expected.",
                  idx, kind);
        return false;
    }
    int n = 0;
    cJSON_ArrayForEach(item, list)
    {
        uint32_t bit = 0;
        bool known = cJSON_IsString(item) && (names ? name_in(item->valuestring, names)
                                                    : (bit = kperm_parse(item->valuestring)) != 0);
        if (!known) {
            arm_error(ctx, 400, "BadRequest",
                      "Invalid value found at properties.accessPolicies[%d].permissions.%s[%d]: "
                      "'%.64s' is not a valid %s permission.",
                      idx, kind, n, cJSON_IsString(item) ? item->valuestring : "(not a string)",
                      kind);
            return false;
        }
        *bits |= bit;
        n++;
    }
    return true;
}

static const char *string_field(const cJSON *obj, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(j) && j->valuestring[0] ? j->valuestring : NULL;
}

static bool parse_edit(struct arm_ctx *ctx, const cJSON *item, int idx, struct policy_edit *e)
{
    const cJSON *perms = cJSON_GetObjectItemCaseSensitive(item, "permissions");
    e->tid = string_field(item, "tenantId");
    e->oid = string_field(item, "objectId");
    e->app = string_field(item, "applicationId");
    e->keys = 0;
    if (!cJSON_IsObject(item) || e->tid == NULL || e->oid == NULL || !cJSON_IsObject(perms)) {
        arm_error(ctx, 400, "BadRequest",
                  "properties.accessPolicies[%d] must have tenantId, objectId and permissions.",
                  idx);
        return false;
    }
    return parse_perms(ctx, perms, "keys", NULL, idx, &e->keys) &&
           parse_perms(ctx, perms, "secrets", secret_perms, idx, &e->keys) &&
           parse_perms(ctx, perms, "certificates", cert_perms, idx, &e->keys) &&
           parse_perms(ctx, perms, "storage", storage_perms, idx, &e->keys);
}

static bool same_id(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcasecmp(a, b) == 0);
}

static struct access_policy *find_policy(struct vault *v, const struct policy_edit *e)
{
    for (size_t i = 0; i < v->npolicies; i++) {
        struct access_policy *p = &v->policies[i];
        if (same_id(p->tenant_id ? p->tenant_id : v->tenant_id, e->tid) &&
            same_id(p->object_id, e->oid) && same_id(p->application_id, e->app))
            return p;
    }
    return NULL;
}

static void drop_policy(struct vault *v, struct access_policy *p)
{
    free(p->tenant_id);
    free(p->object_id);
    free(p->application_id);
    size_t i = (size_t)(p - v->policies);
    memmove(p, p + 1, (v->npolicies - i - 1) * sizeof *p);
    v->npolicies--;
}

/* kind: 'a'dd (merge), 'r'eplace, 'x' remove. */
static void apply_edit(struct vault *v, const struct policy_edit *e, char kind)
{
    struct access_policy *p = find_policy(v, e);
    if (p == NULL && kind != 'x') {
        v->policies = xrealloc(v->policies, v->npolicies + 1, sizeof *v->policies);
        p = &v->policies[v->npolicies++];
        p->tenant_id = xstrdup(e->tid);
        p->object_id = xstrdup(e->oid);
        p->application_id = e->app ? xstrdup(e->app) : NULL;
        p->keys = 0;
    }
    if (p == NULL)
        return;
    if (kind == 'a')
        p->keys |= e->keys;
    else if (kind == 'r')
        p->keys = e->keys;
    else if ((p->keys &= ~e->keys) == 0)
        drop_policy(v, p);
}

static char edit_kind(const char *word)
{
    if (strcasecmp(word, "add") == 0)
        return 'a';
    if (strcasecmp(word, "replace") == 0)
        return 'r';
    return strcasecmp(word, "remove") == 0 ? 'x' : 0;
}

static cJSON *policies_reply(const struct vault *v)
{
    char *vid = arm_vault_id(v);
    char *id = xasprintf("%s/accessPolicies/", vid);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "type", "Microsoft.KeyVault/vaults/accessPolicies");
    cJSON_AddStringToObject(j, "location", v->region);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(j, "properties"), "accessPolicies",
                          policies_json(v));
    free(vid);
    free(id);
    return j;
}

/*
 * PUT .../accessPolicies/{add|replace|remove}. Every entry is checked before
 * any is applied. A read-only vault (a regional failover in progress) answers
 * 409 "Conflict": azsim's choice, as Azure documents that vault properties
 * cannot change during a failover without naming the error.
 */
static void update_policies(struct arm_ctx *ctx)
{
    struct vault *v = this_vault(ctx);
    if (v == NULL)
        return;
    char kind = edit_kind(ctx->params[3]);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(ctx->body, "properties");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(props, "accessPolicies"), *item;
    if (kind == 0) {
        arm_error(ctx, 400, "BadRequest",
                  "The access policy operation '%.32s' is not valid: use add, replace or remove.",
                  ctx->params[3]);
        return;
    }
    if (!cJSON_IsArray(list)) {
        arm_error(ctx, 400, "BadRequest",
                  "The request body must have properties.accessPolicies, an array.");
        return;
    }
    if (v->read_only) {
        arm_error(ctx, 409, "Conflict",
                  "The vault '%s' is read-only while its region fails over: its access policies "
                  "cannot change until it fails back.",
                  v->name);
        return;
    }
    int n = cJSON_GetArraySize(list), i = 0;
    struct policy_edit *edits = xcalloc((size_t)n + 1, sizeof *edits);
    cJSON_ArrayForEach(item, list)
    {
        if (!parse_edit(ctx, item, i, &edits[i]))
            goto out;
        i++;
    }
    size_t added = 0;
    for (i = 0; i < n && kind != 'x'; i++)
        added += find_policy(v, &edits[i]) == NULL;
    if (v->npolicies + added > MAX_POLICIES) {
        arm_error(ctx, 400, "BadRequest", "A vault can have at most %d access policies.",
                  MAX_POLICIES);
        goto out;
    }
    for (i = 0; i < n; i++)
        apply_edit(v, &edits[i], kind);
    ctx->changed = true;
    arm_reply(ctx, 200, policies_reply(v));
out:
    free(edits);
}

/* -- private endpoint connections -------------------------------------------------------- */

static void list_pecs(struct arm_ctx *ctx)
{
    struct vault *v = this_vault(ctx);
    if (v == NULL)
        return;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "value", pecs_json(ctx->world, v, true));
    cJSON_AddNullToObject(body, "nextLink"); /* one page, as the service answers */
    arm_reply(ctx, 200, body);
}

static void get_pec(struct arm_ctx *ctx)
{
    struct vault *v = this_vault(ctx);
    if (v == NULL)
        return;
    for (size_t i = 0; i < ctx->world->npes; i++) {
        const struct private_endpoint *pe = ctx->world->pes[i];
        if (strcasecmp(pe->vault, v->name) == 0 && strcasecmp(pe->name, ctx->params[3]) == 0) {
            arm_reply(ctx, 200, pec_json(v, pe, true));
            return;
        }
    }
    arm_not_found(ctx, "Microsoft.KeyVault/vaults/privateEndpointConnections", ctx->params[3]);
}

/* -- keys (the ARM view: attributes and URIs, never the key material) -------------------- */

static cJSON *rotation_json(const struct rotation_policy *rp)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *attrs = cJSON_AddObjectToObject(j, "attributes");
    cJSON_AddNumberToObject(attrs, "created", (double)rp->created);
    cJSON_AddNumberToObject(attrs, "updated", (double)rp->updated);
    if (rp->expiry[0])
        cJSON_AddStringToObject(attrs, "expiryTime", rp->expiry);
    cJSON *actions = cJSON_AddArrayToObject(j, "lifetimeActions");
    for (int i = 0; i < rp->nactions; i++) {
        const struct lifetime_action *la = &rp->actions[i];
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "trigger"),
                                la->after_create ? "timeAfterCreate" : "timeBeforeExpiry",
                                la->duration);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "action"), "type",
                                la->rotate ? "rotate" : "notify");
        cJSON_AddItemToArray(actions, a);
    }
    return j;
}

static cJSON *key_attributes(const struct vault *v, const struct key_version *kv)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddBoolToObject(a, "enabled", kv->enabled);
    if (kv->nbf)
        cJSON_AddNumberToObject(a, "nbf", (double)kv->nbf);
    if (kv->exp)
        cJSON_AddNumberToObject(a, "exp", (double)kv->exp);
    cJSON_AddNumberToObject(a, "created", (double)kv->created);
    cJSON_AddNumberToObject(a, "updated", (double)kv->updated);
    cJSON_AddStringToObject(a, "recoveryLevel", vault_recovery_level(v));
    cJSON_AddBoolToObject(a, "exportable", kv->exportable);
    return a;
}

static cJSON *key_json(const struct arm_ctx *ctx, const struct vault *v, const struct key *k)
{
    const struct key_version *kv = key_latest(k);
    char *vid = arm_vault_id(v), *base = sim_vault_url(ctx->sim, v->name);
    char *id = xasprintf("%s/keys/%s", vid, k->name);
    char *uri = xasprintf("%s/keys/%s", base, k->name);
    char *versioned = xasprintf("%s/%s", uri, kv->id);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", k->name);
    cJSON_AddStringToObject(j, "type", "Microsoft.KeyVault/vaults/keys");
    cJSON_AddStringToObject(j, "location", v->region);
    cJSON_AddItemToObject(j, "tags", tags_to_json(&kv->tags));
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddItemToObject(p, "attributes", key_attributes(v, kv));
    cJSON_AddStringToObject(p, "kty", kv->hsm ? "RSA-HSM" : "RSA");
    cJSON_AddItemToObject(p, "keyOps", keyops_to_json(kv->ops));
    cJSON_AddNumberToObject(p, "keySize", rsakey_bits(kv->material));
    cJSON_AddStringToObject(p, "keyUri", uri);
    cJSON_AddStringToObject(p, "keyUriWithVersion", versioned);
    if (k->policy.set)
        cJSON_AddItemToObject(p, "rotationPolicy", rotation_json(&k->policy));
    free(vid);
    free(base);
    free(id);
    free(uri);
    free(versioned);
    return j;
}

static bool key_live(const struct arm_ctx *ctx, const struct key *k)
{
    return key_latest(k) != NULL && key_state(k, simclock_mono_ms(), ctx->now) == KEY_LIVE;
}

static void list_keys(struct arm_ctx *ctx)
{
    struct vault *v = this_vault(ctx);
    if (v == NULL)
        return;
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < v->nkeys; i++) {
        if (key_live(ctx, v->keys[i]))
            cJSON_AddItemToArray(values, key_json(ctx, v, v->keys[i]));
    }
    arm_reply_list(ctx, values);
}

static void get_key(struct arm_ctx *ctx)
{
    struct vault *v = this_vault(ctx);
    if (v == NULL)
        return;
    const struct key *k = vault_find_key(v, ctx->params[3]);
    if (k && key_live(ctx, k))
        arm_reply(ctx, 200, key_json(ctx, v, k));
    else
        arm_not_found(ctx, "Microsoft.KeyVault/vaults/keys", ctx->params[3]);
}

/* -- soft-deleted vaults ------------------------------------------------------------------ */

static cJSON *deleted_json(const struct vault *v)
{
    char loc[64], deleted[32], purge[32];
    arm_location(v->region, loc);
    arm_time(v->deleted_date, deleted, sizeof deleted);
    arm_time(v->scheduled_purge, purge, sizeof purge);
    char *id = xasprintf("/subscriptions/%s/providers/Microsoft.KeyVault/locations/%s/"
                         "deletedVaults/%s",
                         v->subscription_id, loc, v->name);
    char *vid = arm_vault_id(v);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", v->name);
    cJSON_AddStringToObject(j, "type", "Microsoft.KeyVault/deletedVaults");
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "vaultId", vid);
    cJSON_AddStringToObject(p, "location", v->region);
    cJSON_AddStringToObject(p, "deletionDate", deleted);
    cJSON_AddStringToObject(p, "scheduledPurgeDate", purge);
    cJSON_AddItemToObject(p, "tags", tags_to_json(&v->tags));
    cJSON_AddBoolToObject(p, "purgeProtectionEnabled", v->purge_protection);
    free(id);
    free(vid);
    return j;
}

static void list_deleted(struct arm_ctx *ctx)
{
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < ctx->world->nvaults; i++) {
        const struct vault *v = ctx->world->vaults[i];
        if (v->deleted && strcasecmp(v->subscription_id, ctx->params[0]) == 0)
            cJSON_AddItemToArray(values, deleted_json(v));
    }
    arm_reply_list(ctx, values);
}

static void get_deleted(struct arm_ctx *ctx)
{
    const struct vault *v = world_vault(ctx->world, ctx->params[2]);
    char want[64], have[64];
    arm_location(ctx->params[1], want);
    if (v)
        arm_location(v->region, have);
    if (v && v->deleted && strcasecmp(v->subscription_id, ctx->params[0]) == 0 &&
        strcmp(want, have) == 0)
        arm_reply(ctx, 200, deleted_json(v));
    else
        arm_not_found(ctx, "Microsoft.KeyVault/deletedVaults", ctx->params[2]);
}

const struct arm_route armkv_routes[] = {
    {"GET", PROVIDER "/vaults", list_vaults, "Microsoft.KeyVault/vaults/read"},
    {"GET", VAULTS, list_vaults, "Microsoft.KeyVault/vaults/read"},
    {"GET", VAULT, get_vault, "Microsoft.KeyVault/vaults/read"},
    {"PUT", VAULT "/accessPolicies/{}", update_policies,
     "Microsoft.KeyVault/vaults/accessPolicies/write"},
    {"GET", VAULT "/privateEndpointConnections", list_pecs,
     "Microsoft.KeyVault/vaults/privateEndpointConnections/read"},
    {"GET", VAULT "/privateEndpointConnections/{}", get_pec,
     "Microsoft.KeyVault/vaults/privateEndpointConnections/read"},
    {"GET", VAULT "/keys", list_keys, "Microsoft.KeyVault/vaults/keys/read"},
    {"GET", VAULT "/keys/{}", get_key, "Microsoft.KeyVault/vaults/keys/read"},
    {"GET", PROVIDER "/deletedVaults", list_deleted, "Microsoft.KeyVault/deletedVaults/read"},
    {"GET", PROVIDER "/locations/{}/deletedVaults/{}", get_deleted,
     "Microsoft.KeyVault/locations/deletedVaults/read"},
    {NULL, NULL, NULL, NULL},
};
