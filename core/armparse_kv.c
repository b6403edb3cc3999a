/* armparse, Microsoft.KeyVault and Microsoft.Authorization part: vaults, their access, ARM keys. */
#include "armparse.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armid.h"
#include "json.h"
#include "kvparse.h"
#include "xmem.h"

static const char *const default_actions[] = {"Allow", "Deny", NULL};
static const char *const bypasses[] = {"AzureServices", "None", NULL};
static const char *const enabled_disabled[] = {"Enabled", "Disabled", NULL};
static const char *const connection_states[] = {"Approved", "Pending", "Rejected", "Disconnected",
                                                NULL};

/* Access policy key permissions as ARM spells them (compared case-insensitively). */
static const struct {
    const char *name;
    unsigned bit;
} perm_names[] = {
    {"all", MODEL_PERM_ALL},
    {"get", MODEL_PERM_GET},
    {"list", MODEL_PERM_LIST},
    {"wrapKey", MODEL_PERM_WRAP},
    {"unwrapKey", MODEL_PERM_UNWRAP},
    {"create", MODEL_PERM_CREATE},
    {"import", MODEL_PERM_IMPORT},
    {"update", MODEL_PERM_UPDATE},
    {"backup", MODEL_PERM_BACKUP},
    {"restore", MODEL_PERM_RESTORE},
    {"delete", MODEL_PERM_DELETE},
    {"recover", MODEL_PERM_RECOVER},
    {"purge", MODEL_PERM_PURGE},
    {"encrypt", MODEL_PERM_ENCRYPT},
    {"decrypt", MODEL_PERM_DECRYPT},
    {"sign", MODEL_PERM_SIGN},
    {"verify", MODEL_PERM_VERIFY},
    {"rotate", MODEL_PERM_ROTATE},
    {"getrotationpolicy", MODEL_PERM_GETROTATIONPOLICY},
    {"setrotationpolicy", MODEL_PERM_SETROTATIONPOLICY},
    {"release", MODEL_PERM_RELEASE},
};

static unsigned key_perms(const cJSON *policy)
{
    unsigned perms = 0;
    const cJSON *keys = json_array(policy, "permissions.keys"), *p;
    cJSON_ArrayForEach(p, keys)
    {
        for (size_t i = 0; cJSON_IsString(p) && i < sizeof perm_names / sizeof perm_names[0]; i++) {
            if (strcasecmp(p->valuestring, perm_names[i].name) == 0)
                perms |= perm_names[i].bit;
        }
    }
    return perms;
}

static void strlower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* -- access policies -------------------------------------------------------------------------- */

/* Frees n policies and the array. */
static void policies_free(struct model_policy *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_policy_cleanup(&items[i]);
    free(items);
}

/* The array at path of obj (absent: none) as policies; where names obj. */
static int read_policies(const cJSON *obj, const char *path, const char *where,
                         struct model_policy **items, size_t *n, char **cause)
{
    *items = NULL;
    *n = 0;
    const cJSON *arr = json_array(obj, path), *p;
    size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
    if (count == 0)
        return 0;
    struct model_policy *out = xcalloc(count, sizeof *out);
    cJSON_ArrayForEach(p, arr)
    {
        char at[192];
        snprintf(at, sizeof at, "%s%s%s[%zu]", where, *where ? "." : "", path, i++);
        const char *object_id =
            json_need_object(p, "", at, cause) ? json_need_str(p, "objectId", at, cause) : NULL;
        if (object_id == NULL) {
            policies_free(out, *n);
            *n = 0;
            return -1;
        }
        struct model_policy *mp = &out[(*n)++];
        mp->object_id = xstrdup(object_id);
        mp->tenant_id = json_dup(p, "tenantId");
        mp->application_id = json_dup(p, "applicationId");
        mp->key_perms = key_perms(p);
    }
    *items = out;
    return 0;
}

int armparse_access_policies(const char *body, size_t len, struct model_policy **items, size_t *n,
                             char **cause)
{
    *items = NULL;
    *n = 0;
    cJSON *root = json_parse_object(body, len, cause);
    if (root == NULL)
        return -1;
    int rc = -1;
    if (json_need_array(root, "properties.accessPolicies", "", cause))
        rc = read_policies(root, "properties.accessPolicies", "", items, n, cause);
    cJSON_Delete(root);
    return rc;
}

/* -- private endpoint connections ------------------------------------------------------------- */

static int pec_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_pec *c = slot;
    if (json_need_object(e, "", where, cause) == NULL)
        return -1;
    c->name = armid_last(json_str(e, "id"));
    if (c->name == NULL)
        c->name = json_dup(e, "name");
    c->endpoint_id = json_dup(e, "properties.privateEndpoint.id");
    c->status =
        json_dup_enum(e, "properties.privateLinkServiceConnectionState.status", connection_states);
    return 0;
}

static void pec_cleanup(void *slot)
{
    model_pec_cleanup(slot);
}

int armparse_pec(const char *body, size_t len, struct model_pec *out, char **cause)
{
    memset(out, 0, sizeof *out);
    return json_one(body, len, pec_item, out, NULL, cause);
}

int armparse_pec_page(const char *body, size_t len, struct model_pec **items, size_t *n,
                      char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, pec_item, pec_cleanup, NULL, &arr, n, next_link,
                       cause);
    *items = arr;
    return rc;
}

static int read_pecs(const cJSON *e, const char *where, struct model_vault *v, char **cause)
{
    const cJSON *arr = json_array(e, "properties.privateEndpointConnections"), *c;
    size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
    if (count == 0)
        return 0;
    v->pecs = xcalloc(count, sizeof *v->pecs);
    cJSON_ArrayForEach(c, arr)
    {
        char at[192];
        snprintf(at, sizeof at, "%s%sproperties.privateEndpointConnections[%zu]", where,
                 *where ? "." : "", i++);
        if (pec_item(c, at, &v->pecs[v->npecs], NULL, cause) < 0)
            return -1;
        v->npecs++;
    }
    return 0;
}

/* -- vaults ----------------------------------------------------------------------------------- */

static void read_vault_properties(const cJSON *e, struct model_vault *v)
{
    const cJSON *p = json_object(e, "properties");
    v->uri = model_uri_normalise(json_str(p, "vaultUri"));
    v->tenant_id = json_dup(p, "tenantId");
    v->sku = json_dup_lower(p, "sku.name");
    if (v->sku == NULL)
        v->sku = json_dup_lower(e, "sku.name");
    v->soft_delete = json_bool(p, "enableSoftDelete", true);
    v->purge_protection = json_bool(p, "enablePurgeProtection", false);
    int64_t days = json_int64_or(p, "softDeleteRetentionInDays", 90);
    v->retention_days = days > 0 && days <= 36500 ? (int)days : 90;
    v->rbac = json_bool(p, "enableRbacAuthorization", false);
    v->default_action = json_dup_enum(p, "networkAcls.defaultAction", default_actions);
    v->bypass = json_dup_enum(p, "networkAcls.bypass", bypasses);
    v->public_network_access = json_dup_enum(p, "publicNetworkAccess", enabled_disabled);
}

static int vault_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_vault *v = slot;
    const char *id = json_need_id(e, where, cause);
    if (id == NULL)
        return -1;
    v->rbac_before = -1;
    v->probe_latency_ms = -1;
    v->id = xstrdup(id);
    v->name = armid_last(id);
    strlower(v->name);
    v->subscription_id = armid_segment(id, "subscriptions");
    v->resource_group = armid_segment(id, "resourceGroups");
    v->location = armid_location(json_str(e, "location"));
    read_vault_properties(e, v);
    char at[160];
    snprintf(at, sizeof at, "%s%sproperties", where, *where ? "." : "");
    if (read_policies(json_object(e, "properties"), "accessPolicies", at, &v->policies,
                      &v->npolicies, cause) < 0 ||
        read_pecs(e, where, v, cause) < 0) {
        model_vault_cleanup(v);
        return -1;
    }
    return 0;
}

static void vault_cleanup(void *slot)
{
    model_vault_cleanup(slot);
}

int armparse_vault(const char *body, size_t len, struct model_vault *out, char **cause)
{
    memset(out, 0, sizeof *out);
    return json_one(body, len, vault_item, out, NULL, cause);
}

int armparse_vault_page(const char *body, size_t len, struct model_vault **items, size_t *n,
                        char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, vault_item, vault_cleanup, NULL, &arr, n,
                       next_link, cause);
    *items = arr;
    return rc;
}

static int deleted_vault_item(const cJSON *e, const char *where, void *slot, void *arg,
                              char **cause)
{
    (void)arg;
    char **name = slot;
    if (json_need_object(e, "", where, cause) == NULL)
        return -1;
    *name = armid_last(json_str(e, "id"));
    if (*name == NULL) {
        const char *s = json_need_str(e, "name", where, cause);
        if (s == NULL)
            return -1;
        *name = xstrdup(s);
    }
    strlower(*name);
    return 0;
}

static void string_cleanup(void *slot)
{
    free(*(char **)slot);
    *(char **)slot = NULL;
}

int armparse_deleted_vault_page(const char *body, size_t len, char ***names, size_t *n,
                                char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **names, deleted_vault_item, string_cleanup, NULL, &arr, n,
                       next_link, cause);
    *names = arr;
    return rc;
}

/* -- role assignments ------------------------------------------------------------------------- */

static int role_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_role *r = slot;
    const char *id = json_need_id(e, where, cause);
    const char *principal = id ? json_need_str(e, "properties.principalId", where, cause) : NULL;
    const char *def =
        principal ? json_need_str(e, "properties.roleDefinitionId", where, cause) : NULL;
    if (def == NULL)
        return -1;
    r->id = xstrdup(id);
    r->principal_id = xstrdup(principal);
    r->role_definition_id = armid_last(def);
    strlower(r->role_definition_id);
    r->scope = json_dup(e, "properties.scope");
    return 0;
}

static void role_cleanup(void *slot)
{
    model_role_cleanup(slot);
}

int armparse_role_page(const char *body, size_t len, struct model_role **items, size_t *n,
                       char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, role_item, role_cleanup, NULL, &arr, n, next_link,
                       cause);
    *items = arr;
    return rc;
}

/* -- ARM view of a key ------------------------------------------------------------------------ */

static void vault_key_material(const cJSON *p, struct model_version *v)
{
    const cJSON *a = json_object(p, "attributes"), *ops = json_array(p, "keyOps"), *op;
    v->enabled = json_bool(a, "enabled", true);
    v->nbf = json_int64_or(a, "nbf", 0);
    v->exp = json_int64_or(a, "exp", 0);
    v->created = json_int64_or(a, "created", 0);
    v->updated = json_int64_or(a, "updated", 0);
    v->recovery_level = json_dup(a, "recoveryLevel");
    v->kty = json_dup(p, "kty");
    int64_t bits = json_int64_or(p, "keySize", 0);
    v->bits = bits > 0 && bits <= 16384 ? (int)bits : 0;
    v->ops_known = ops != NULL;
    cJSON_ArrayForEach(op, ops)
    {
        if (cJSON_IsString(op))
            v->ops |= kvparse_op_bit(op->valuestring);
    }
}

int armparse_vault_key(const char *body, size_t len, struct model_version *out, char **key_name,
                       char **cause)
{
    memset(out, 0, sizeof *out);
    if (key_name)
        *key_name = NULL;
    char vault[128], name[128], version[64];
    int rc = -1;
    cJSON *root = json_parse_object(body, len, cause);
    const cJSON *p = root ? json_need_object(root, "properties", "", cause) : NULL;
    const char *uri = p ? json_need_str(p, "keyUriWithVersion", "properties", cause) : NULL;
    if (uri == NULL)
        goto out;
    if (model_uri_parse(uri, vault, name, version) < 0 || name[0] == '\0' || version[0] == '\0') {
        xcause(cause, "properties.keyUriWithVersion: not a key identifier with a version");
        goto out;
    }
    out->kid = model_uri_normalise(uri);
    out->version = xstrdup(version);
    vault_key_material(p, out);
    if (key_name)
        *key_name = xstrdup(name);
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}
