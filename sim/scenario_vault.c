/* Scenario loading, second half: key material and vaults with their keys. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "http.h"
#include "key.h"
#include "policy.h"
#include "rsakey.h"
#include "scenario.h"
#include "scenario_int.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

static struct rsakey *find_material(const struct loader *ld, const char *id)
{
    for (size_t i = 0; i < ld->nmaterials; i++) {
        if (strcmp(ld->materials[i].id, id) == 0)
            return ld->materials[i].key;
    }
    return NULL;
}

/* Key material from "pem", "pem_file" or generated from "size" (and "exponent"). */
static struct rsakey *material_from(struct loader *ld, const cJSON *item)
{
    const char *pem = NULL, *file = NULL;
    int64_t size = 2048, exponent = 65537;
    if (!jcheck_string(&ld->jc, item, "pem", false, &pem) ||
        !jcheck_string(&ld->jc, item, "pem_file", false, &file) ||
        !jcheck_int(&ld->jc, item, "size", 2048, 4096, &size) ||
        !jcheck_int(&ld->jc, item, "exponent", 3, 65537, &exponent))
        return NULL;
    char *why = NULL, *text = NULL;
    size_t len = 0;
    struct rsakey *key = NULL;
    if (pem && file) {
        jcheck_fail(&ld->jc, "give pem or pem_file, not both");
        return NULL;
    }
    if (file) {
        char *path = scenario_path(ld, file);
        text = scenario_read_file(path, 1 << 20, &len, &why);
        free(path);
    }
    if (pem || text)
        key = rsakey_from_pem(pem ? pem : text, pem ? strlen(pem) : len, &why);
    else
        key = rsakey_generate((int)size, (unsigned long)exponent, &why);
    if (text) {
        memset(text, 0, len);
        free(text);
    }
    if (key == NULL)
        jcheck_fail(&ld->jc, "%s", why ? why : "unusable key material");
    free(why);
    return key;
}

static bool load_material(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"id", "kty", "size", "exponent", "pem", "pem_file", NULL};
    const char *id;
    if (!jcheck_object(&ld->jc, item, fields) || !jcheck_string(&ld->jc, item, "id", true, &id))
        return false;
    if (find_material(ld, id))
        return jcheck_fail(&ld->jc, "material '%s' is listed twice", id);
    struct rsakey *key = material_from(ld, item);
    if (key == NULL)
        return false;
    ld->materials = xrealloc(ld->materials, ld->nmaterials + 1, sizeof *ld->materials);
    ld->materials[ld->nmaterials++] = (struct material){xstrdup(id), key};
    return true;
}

bool scenario_vault_materials(struct loader *ld, const cJSON *top)
{
    return scenario_each(ld, top, "materials", false, load_material, NULL);
}

/* "tags" of a key version, by Key Vault's rules (arm false), or of a resource, by ARM's. */
static bool load_tags(struct loader *ld, const cJSON *obj, struct tags *tags, bool arm)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "tags");
    char *why = NULL;
    if (item == NULL || cJSON_IsNull(item))
        return true;
    if (arm ? tags_from_json_arm(item, tags, &why) == NULL : tags_from_json(item, tags, &why) == 0)
        return true;
    jcheck_push(&ld->jc, "tags");
    jcheck_fail(&ld->jc, "%s", why);
    jcheck_pop(&ld->jc);
    free(why);
    return false;
}

bool scenario_arm_tags(struct loader *ld, const cJSON *obj, struct tags *tags)
{
    return load_tags(ld, obj, tags, true);
}

static bool version_fields(struct loader *ld, const cJSON *item, struct key_version *v)
{
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(item, "key_ops");
    char *why = NULL;
    if (ops && keyops_from_json(ops, &v->ops, &why) < 0) {
        jcheck_push(&ld->jc, "key_ops");
        jcheck_fail(&ld->jc, "%s", why);
        jcheck_pop(&ld->jc);
        free(why);
        return false;
    }
    v->updated = 0;
    if (!jcheck_bool(&ld->jc, item, "enabled", &v->enabled) ||
        !jcheck_time(&ld->jc, item, "nbf", &v->nbf) ||
        !jcheck_time(&ld->jc, item, "exp", &v->exp) ||
        !jcheck_time(&ld->jc, item, "created", &v->created) ||
        !jcheck_time(&ld->jc, item, "updated", &v->updated) ||
        !load_tags(ld, item, &v->tags, false))
        return false;
    if (v->updated == 0)
        v->updated = v->created;
    if (v->nbf && v->exp && v->exp <= v->nbf)
        return jcheck_fail(&ld->jc, "exp must be later than nbf");
    return true;
}

static bool load_version(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"version", "material", "kty",     "size", "exponent",
                                         "pem",     "key_ops",  "enabled", "nbf",  "exp",
                                         "created", "updated",  "tags",    NULL};
    static const char *const ktys[] = {"RSA", "RSA-HSM", NULL};
    struct key *key = arg;
    const char *id = NULL, *material = NULL;
    int kty = 0;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "version", false, &id) ||
        !jcheck_string(&ld->jc, item, "material", false, &material) ||
        !jcheck_enum(&ld->jc, item, "kty", ktys, &kty))
        return false;
    if (id && !key_version_id_valid(id))
        return jcheck_fail(&ld->jc, "version must be 32 hexadecimal characters");
    if (id && key_find_version(key, id))
        return jcheck_fail(&ld->jc, "version %s is listed twice", id);
    struct rsakey *rk = material ? find_material(ld, material) : material_from(ld, item);
    if (material && rk == NULL)
        return jcheck_fail(&ld->jc, "no material '%s' in this scenario's materials", material);
    if (rk == NULL)
        return false;
    if (material)
        rsakey_ref(rk); /* material_from returned a reference of its own */
    struct key_version *v = key_version_create(rk, kty == 1, ld->jc.now);
    rsakey_unref(rk);
    if (id) {
        for (size_t i = 0; i < 32; i++)
            v->id[i] = (char)tolower((unsigned char)id[i]);
    }
    if (!version_fields(ld, item, v)) {
        key_version_destroy(v);
        return false;
    }
    key_add_version(key, v);
    return true;
}

static bool load_key_policy(struct loader *ld, const cJSON *item, struct key *key)
{
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(item, "rotation_policy");
    if (policy == NULL)
        return true;
    char *why = NULL;
    jcheck_push(&ld->jc, "rotation_policy");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(policy, "attributes");
    cJSON *clean = cJSON_Duplicate(policy, 1);
    cJSON *cattrs = cJSON_GetObjectItemCaseSensitive(clean, "attributes");
    cJSON_DeleteItemFromObjectCaseSensitive(cattrs, "created");
    cJSON_DeleteItemFromObjectCaseSensitive(cattrs, "updated");
    cJSON_DeleteItemFromObjectCaseSensitive(clean, "id");
    bool ok = policy_from_json(clean, &key->policy, &why) == 0 || jcheck_fail(&ld->jc, "%s", why);
    cJSON_Delete(clean);
    free(why);
    key->policy.created = key->policy.updated = ld->jc.now;
    if (ok && attrs)
        ok = jcheck_time(&ld->jc, attrs, "created", &key->policy.created) &&
             jcheck_time(&ld->jc, attrs, "updated", &key->policy.updated);
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_key_deleted(struct loader *ld, const cJSON *item, const struct vault *vault,
                             struct key *key)
{
    static const char *const fields[] = {"date", "scheduled_purge", NULL};
    const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(item, "deleted");
    if (deleted == NULL)
        return true;
    jcheck_push(&ld->jc, "deleted");
    key->deleted = true;
    key->deleted_date = ld->jc.now;
    key->scheduled_purge = 0;
    bool ok = jcheck_object(&ld->jc, deleted, fields) &&
              jcheck_time(&ld->jc, deleted, "date", &key->deleted_date) &&
              jcheck_time(&ld->jc, deleted, "scheduled_purge", &key->scheduled_purge);
    if (ok && !vault->soft_delete)
        ok = jcheck_fail(&ld->jc, "the vault has soft delete off: deleted keys are gone");
    if (key->scheduled_purge == 0)
        key->scheduled_purge = key->deleted_date + (int64_t)vault->retention_days * 86400;
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_key(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"name",    "managed",  "rotation_policy",
                                         "deleted", "versions", NULL};
    struct vault *vault = arg;
    const char *name;
    const cJSON *versions;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_array(&ld->jc, item, "versions", true, &versions))
        return false;
    if (!key_name_valid(name))
        return jcheck_fail(&ld->jc, "key names are 1-127 letters, digits and hyphens");
    if (vault_find_key(vault, name))
        return jcheck_fail(&ld->jc, "key %s is listed twice in this vault", name);
    if (cJSON_GetArraySize(versions) == 0)
        return jcheck_fail(&ld->jc, "a key needs at least one version");
    struct key *key = key_create(name);
    vault_add_key(vault, key);
    bool ok = jcheck_bool(&ld->jc, item, "managed", &key->managed) &&
              scenario_each(ld, item, "versions", true, load_version, key) &&
              load_key_policy(ld, item, key) && load_key_deleted(ld, item, vault, key);
    for (size_t i = 0; ok && i < key->nversions; i++) {
        if (key->versions[i]->hsm && strcasecmp(vault->sku, "premium") != 0)
            ok = jcheck_fail(&ld->jc, "RSA-HSM keys need a vault of the premium SKU");
    }
    return ok;
}

/* object_id from "principal" (a name or id of the scenario) or "object_id". */
static const char *subject(struct loader *ld, const cJSON *item)
{
    const char *ref = NULL, *oid = NULL;
    if (!jcheck_string(&ld->jc, item, "principal", false, &ref) ||
        !jcheck_string(&ld->jc, item, "object_id", false, &oid))
        return NULL;
    if ((ref == NULL) == (oid == NULL)) {
        jcheck_fail(&ld->jc, "give exactly one of principal and object_id");
        return NULL;
    }
    if (oid) {
        if (!scenario_guid(oid))
            jcheck_fail(&ld->jc, "object_id must be a GUID");
        return scenario_guid(oid) ? oid : NULL;
    }
    const struct principal *p = world_principal(ld->world, ref);
    if (p == NULL)
        jcheck_fail(&ld->jc, "no principal '%s' in this scenario", ref);
    return p ? p->object_id : NULL;
}

static bool load_policy(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"principal",      "object_id", "tenant",
                                         "application_id", "keys",      NULL};
    struct vault *vault = arg;
    const char *oid, *tenant = NULL, *app = NULL;
    const cJSON *keys;
    if (!jcheck_object(&ld->jc, item, fields) || (oid = subject(ld, item)) == NULL ||
        !jcheck_string(&ld->jc, item, "tenant", false, &tenant) ||
        !jcheck_string(&ld->jc, item, "application_id", false, &app) ||
        !jcheck_array(&ld->jc, item, "keys", true, &keys))
        return false;
    uint32_t perms = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, keys)
    {
        uint32_t bit = cJSON_IsString(p) ? kperm_parse(p->valuestring) : 0;
        if (bit == 0) {
            jcheck_push(&ld->jc, "keys");
            return jcheck_fail(&ld->jc, "unknown key permission '%s'",
                               cJSON_IsString(p) ? p->valuestring : "?");
        }
        perms |= bit;
    }
    vault->policies = xrealloc(vault->policies, vault->npolicies + 1, sizeof *vault->policies);
    vault->policies[vault->npolicies++] =
        (struct access_policy){xstrdup(tenant ? tenant : vault->tenant_id), xstrdup(oid),
                               app ? xstrdup(app) : NULL, perms};
    return true;
}

static bool load_role(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"principal", "object_id", "role", "key", "id", NULL};
    struct vault *vault = arg;
    const char *oid, *role, *key = NULL, *id = NULL;
    if (!jcheck_object(&ld->jc, item, fields) || (oid = subject(ld, item)) == NULL ||
        !jcheck_string(&ld->jc, item, "role", true, &role) ||
        !jcheck_string(&ld->jc, item, "key", false, &key) ||
        !jcheck_string(&ld->jc, item, "id", false, &id))
        return false;
    if (!authz_role_known(role))
        return jcheck_fail(&ld->jc, "unknown role '%s' (use a built-in Key Vault role name)", role);
    char guid[37];
    http_uuid(guid);
    vault->roles = xrealloc(vault->roles, vault->nroles + 1, sizeof *vault->roles);
    vault->roles[vault->nroles++] = (struct role_assignment){
        xstrdup(id ? id : guid), xstrdup(oid), xstrdup(role), key ? xstrdup(key) : NULL};
    return true;
}

static bool load_acls(struct loader *ld, const cJSON *item, struct vault *vault)
{
    static const char *const fields[] = {"default_action", "bypass", "ip_rules", NULL};
    static const char *const actions[] = {"Allow", "Deny", NULL};
    static const char *const bypass[] = {"None", "AzureServices", NULL};
    const cJSON *acls = cJSON_GetObjectItemCaseSensitive(item, "network_acls"), *rules = NULL;
    if (acls == NULL)
        return true;
    int action = 0, by = 1;
    jcheck_push(&ld->jc, "network_acls");
    bool ok = jcheck_object(&ld->jc, acls, fields) &&
              jcheck_enum(&ld->jc, acls, "default_action", actions, &action) &&
              jcheck_enum(&ld->jc, acls, "bypass", bypass, &by) &&
              jcheck_array(&ld->jc, acls, "ip_rules", false, &rules);
    vault->acl_deny = action == 1;
    vault->acl_bypass_azure = by == 1;
    const cJSON *r;
    if (!ok)
        rules = NULL;
    cJSON_ArrayForEach(r, rules)
    {
        struct ip_rule rule;
        if (!cJSON_IsString(r) || ip_rule_parse(r->valuestring, &rule) < 0) {
            ok = jcheck_fail(&ld->jc, "ip_rules entries are addresses or CIDR ranges");
            break;
        }
        vault->ip_rules = xrealloc(vault->ip_rules, vault->nip_rules + 1, sizeof rule);
        vault->ip_rules[vault->nip_rules++] = rule;
    }
    jcheck_pop(&ld->jc);
    return ok;
}

static bool vault_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len < 3 || len > 24 || !isalpha((unsigned char)name[0]) || name[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '-')
            return false;
        if (name[i] == '-' && name[i + 1] == '-')
            return false;
    }
    return true;
}

static bool vault_refs(struct loader *ld, const cJSON *item, struct vault *v)
{
    const char *sub, *rg, *region, *tenant = NULL;
    if (!jcheck_string(&ld->jc, item, "subscription", true, &sub) ||
        !jcheck_string(&ld->jc, item, "resource_group", true, &rg) ||
        !jcheck_string(&ld->jc, item, "region", true, &region) ||
        !jcheck_string(&ld->jc, item, "tenant", false, &tenant))
        return false;
    const struct subscription *s = world_subscription(ld->world, sub);
    const struct region *r = world_region(ld->world, region);
    const struct tenant *t = tenant ? world_tenant(ld->world, tenant) : NULL;
    if (s == NULL)
        return jcheck_fail(&ld->jc, "no subscription '%s' in this scenario", sub);
    if (r == NULL)
        return jcheck_fail(&ld->jc, "no region '%s' in this scenario's regions", region);
    if (tenant && t == NULL)
        return jcheck_fail(&ld->jc, "no tenant '%s' in this scenario", tenant);
    v->subscription_id = xstrdup(s->id);
    v->resource_group = xstrdup(rg);
    v->region = xstrdup(r->name);
    v->tenant_id = xstrdup(t ? t->id : s->tenant_id);
    return true;
}

static bool vault_properties(struct loader *ld, const cJSON *item, struct vault *v)
{
    static const char *const skus[] = {"standard", "premium", NULL};
    static const char *const access[] = {"Enabled", "Disabled", NULL};
    int sku = 0, pub = 0;
    int64_t retention = 90;
    if (!jcheck_enum(&ld->jc, item, "sku", skus, &sku) ||
        !jcheck_bool(&ld->jc, item, "soft_delete", &v->soft_delete) ||
        !jcheck_int(&ld->jc, item, "retention_days", 7, 90, &retention) ||
        !jcheck_bool(&ld->jc, item, "purge_protection", &v->purge_protection) ||
        !jcheck_bool(&ld->jc, item, "rbac", &v->rbac) ||
        !jcheck_enum(&ld->jc, item, "public_network_access", access, &pub) ||
        !load_acls(ld, item, v))
        return false;
    free(v->sku);
    v->sku = xstrdup(skus[sku]);
    v->retention_days = (int)retention;
    v->public_access = pub == 0;
    if (v->purge_protection && !v->soft_delete)
        return jcheck_fail(&ld->jc, "purge protection needs soft delete");
    return true;
}

/* "deleted": {"date", "scheduled_purge"} for a soft-deleted vault; "read_only" during a failover.
 */
static bool vault_deleted(struct loader *ld, const cJSON *item, struct vault *v)
{
    static const char *const fields[] = {"date", "scheduled_purge", NULL};
    const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(item, "deleted");
    if (!jcheck_bool(&ld->jc, item, "read_only", &v->read_only))
        return false;
    if (deleted == NULL)
        return true;
    jcheck_push(&ld->jc, "deleted");
    v->deleted = true;
    v->deleted_date = ld->jc.now;
    bool ok = jcheck_object(&ld->jc, deleted, fields) &&
              jcheck_time(&ld->jc, deleted, "date", &v->deleted_date) &&
              jcheck_time(&ld->jc, deleted, "scheduled_purge", &v->scheduled_purge);
    if (v->scheduled_purge == 0)
        v->scheduled_purge = v->deleted_date + (int64_t)v->retention_days * 86400;
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_vault(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"name",
                                         "subscription",
                                         "resource_group",
                                         "region",
                                         "tenant",
                                         "sku",
                                         "soft_delete",
                                         "retention_days",
                                         "purge_protection",
                                         "rbac",
                                         "public_network_access",
                                         "network_acls",
                                         "access_policies",
                                         "role_assignments",
                                         "keys",
                                         "deleted",
                                         "read_only",
                                         "tags",
                                         NULL};
    const char *name;
    if (!jcheck_object(&ld->jc, item, fields) || !jcheck_string(&ld->jc, item, "name", true, &name))
        return false;
    if (!vault_name_valid(name))
        return jcheck_fail(&ld->jc, "vault names are 3-24 letters, digits and single hyphens, "
                                    "starting with a letter");
    if (world_vault(ld->world, name))
        return jcheck_fail(&ld->jc, "vault %s is listed twice", name);
    struct vault *v = vault_create(name);
    world_add_vault(ld->world, v);
    return vault_refs(ld, item, v) && vault_properties(ld, item, v) && vault_deleted(ld, item, v) &&
           scenario_arm_tags(ld, item, &v->tags) &&
           scenario_each(ld, item, "access_policies", false, load_policy, v) &&
           scenario_each(ld, item, "role_assignments", false, load_role, v) &&
           scenario_each(ld, item, "keys", false, load_key, v);
}

bool scenario_vault_all(struct loader *ld, const cJSON *top)
{
    return scenario_each(ld, top, "vaults", false, load_vault, NULL);
}
