/* Scenario loading, third part: managed instances, failover groups, private endpoints, ARM roles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "instance.h"
#include "key.h"
#include "scenario_int.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

static const struct subscription *sub_ref(struct loader *ld, const cJSON *item, const char *dflt)
{
    const char *ref = dflt;
    if (!jcheck_string(&ld->jc, item, "subscription", dflt == NULL, &ref))
        return NULL;
    const struct subscription *s = world_subscription(ld->world, ref);
    if (s == NULL)
        jcheck_fail(&ld->jc, "no subscription '%s' in this scenario", ref);
    return s;
}

static const struct region *region_ref(struct loader *ld, const cJSON *item)
{
    const char *name;
    if (!jcheck_string(&ld->jc, item, "region", true, &name))
        return NULL;
    const struct region *r = world_region(ld->world, name);
    if (r == NULL)
        jcheck_fail(&ld->jc, "no region '%s' in this scenario's regions", name);
    return r;
}

static bool load_pe(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {
        "name", "subscription", "resource_group", "region", "vault", "status", "ip", NULL};
    static const char *const statuses[] = {"Approved", "Pending", "Rejected", "Disconnected", NULL};
    const char *name, *rg, *vault, *ip = "10.0.0.4";
    int status = 0;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_string(&ld->jc, item, "resource_group", true, &rg) ||
        !jcheck_string(&ld->jc, item, "vault", true, &vault) ||
        !jcheck_enum(&ld->jc, item, "status", statuses, &status) ||
        !jcheck_string(&ld->jc, item, "ip", false, &ip))
        return false;
    const struct subscription *s = sub_ref(ld, item, NULL);
    const struct region *r = s ? region_ref(ld, item) : NULL;
    if (r == NULL)
        return false;
    if (world_vault(ld->world, vault) == NULL)
        return jcheck_fail(&ld->jc, "no vault '%s' in this scenario", vault);
    if (world_pe(ld->world, name))
        return jcheck_fail(&ld->jc, "private endpoint %s is listed twice", name);
    struct private_endpoint *pe = xcalloc(1, sizeof *pe);
    *pe = (struct private_endpoint){xstrdup(name),    xstrdup(s->id), xstrdup(rg),
                                    xstrdup(r->name), xstrdup(vault), xstrdup(statuses[status]),
                                    xstrdup(ip)};
    world_add_pe(ld->world, pe);
    return true;
}

/* The vault key version a registration names; NULL (and an error) when it does not exist. */
static struct key_version *find_version(struct loader *ld, const char *vault, const char *key,
                                        const char *version)
{
    struct vault *v = world_vault(ld->world, vault);
    struct key *k = v ? vault_find_key(v, key) : NULL;
    struct key_version *kv = k ? (version ? key_find_version(k, version) : key_latest(k)) : NULL;
    if (kv == NULL)
        jcheck_fail(&ld->jc,
                    "no key %s/%s%s%s in this scenario (give \"thumbprint\" for a key "
                    "that no longer exists)",
                    vault, key, version ? "/" : "", version ? version : "");
    return kv;
}

static bool load_server_key(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"vault", "key", "version", "thumbprint", "created", NULL};
    struct instance *mi = arg;
    const char *vault, *key, *version = NULL, *thumb = NULL;
    int64_t created = ld->jc.now;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "vault", true, &vault) ||
        !jcheck_string(&ld->jc, item, "key", true, &key) ||
        !jcheck_string(&ld->jc, item, "version", false, &version) ||
        !jcheck_string(&ld->jc, item, "thumbprint", false, &thumb) ||
        !jcheck_time(&ld->jc, item, "created", &created))
        return false;
    char tp[THUMBPRINT_LEN];
    if (thumb) {
        if (strlen(thumb) != 40 || strspn(thumb, "0123456789ABCDEFabcdef") != 40)
            return jcheck_fail(&ld->jc, "thumbprint must be 40 hexadecimal characters");
        snprintf(tp, sizeof tp, "%s", thumb);
        if (version == NULL)
            return jcheck_fail(&ld->jc, "a key given by thumbprint needs its version");
    } else {
        struct key_version *kv = find_version(ld, vault, key, version);
        if (kv == NULL)
            return false;
        instance_thumbprint(kv->material, tp);
        version = kv->id;
    }
    char *name = server_key_name_of(vault, key, version);
    bool dup = instance_find_key(mi, name) != NULL;
    free(name);
    if (dup)
        return jcheck_fail(&ld->jc, "this key is registered twice");
    instance_add_key(mi, vault, key, version, tp, created);
    return true;
}

static bool load_db(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"name", "status", "created", NULL};
    static const char *const statuses[] = {"Online", "Inaccessible", "Creating", "Offline", NULL};
    struct instance *mi = arg;
    const char *name;
    int status = 0;
    int64_t created = ld->jc.now - 30 * 86400;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_enum(&ld->jc, item, "status", statuses, &status) ||
        !jcheck_time(&ld->jc, item, "created", &created))
        return false;
    if (instance_find_db(mi, name))
        return jcheck_fail(&ld->jc, "database %s is listed twice", name);
    instance_add_db(mi, name, (enum db_status)status, created);
    return true;
}

static bool load_protector(struct loader *ld, const cJSON *item, struct instance *mi)
{
    static const char *const fields[] = {"vault", "key", "version", "auto_rotation", NULL};
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(item, "protector");
    if (p == NULL || cJSON_IsNull(p) ||
        (cJSON_IsString(p) && strcasecmp(p->valuestring, "ServiceManaged") == 0))
        return true;
    jcheck_push(&ld->jc, "protector");
    const char *vault = NULL, *key = NULL, *version = NULL;
    bool ok = jcheck_object(&ld->jc, p, fields) &&
              jcheck_string(&ld->jc, p, "vault", true, &vault) &&
              jcheck_string(&ld->jc, p, "key", true, &key) &&
              jcheck_string(&ld->jc, p, "version", false, &version) &&
              jcheck_bool(&ld->jc, p, "auto_rotation", &mi->auto_rotation);
    struct server_key *found = NULL;
    for (size_t i = 0; ok && i < mi->nkeys; i++) {
        struct server_key *k = &mi->keys[i];
        if (strcasecmp(k->vault, vault) == 0 && strcasecmp(k->key, key) == 0 &&
            (version == NULL || (k->version && strcasecmp(k->version, version) == 0)))
            found = k; /* the last registered one when no version is given */
    }
    if (ok && found == NULL)
        ok = jcheck_fail(&ld->jc, "the protector must be one of the instance's keys");
    if (ok)
        mi->protector = server_key_name(found);
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_identity(struct loader *ld, const cJSON *item, struct instance *mi)
{
    static const char *const fields[] = {"principal", "type", NULL};
    static const char *const types[] = {"SystemAssigned", "UserAssigned", NULL};
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "identity");
    const char *ref;
    int type = 0;
    jcheck_push(&ld->jc, "identity");
    bool ok = jcheck_object(&ld->jc, id, fields) &&
              jcheck_string(&ld->jc, id, "principal", true, &ref) &&
              jcheck_enum(&ld->jc, id, "type", types, &type);
    const struct principal *p = ok ? world_principal(ld->world, ref) : NULL;
    if (ok && (p == NULL || p->kind != PRINCIPAL_MANAGED_IDENTITY))
        ok = jcheck_fail(&ld->jc, "principal must name a managed identity of this scenario");
    if (ok && p && type == 1 && p->resource_id == NULL)
        ok = jcheck_fail(&ld->jc, "a user-assigned identity needs its resource_id");
    if (ok && p) {
        mi->identity_oid = xstrdup(p->object_id);
        mi->identity_type = xstrdup(types[type]);
        mi->identity_resource = type == 1 ? xstrdup(p->resource_id) : NULL;
    }
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_model(struct loader *ld, const cJSON *item, struct instance *mi)
{
    static const char *const fields[] = {
        "access",     "lost_since", "restored_at", "revalidate_needed",
        "last_error", "serving",    "next_check",  NULL};
    static const char *const access[] = {"ok", "secondary", "lost", NULL};
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(item, "model");
    if (m == NULL)
        return true;
    int a = 0;
    const char *err = NULL, *serving = NULL;
    jcheck_push(&ld->jc, "model");
    bool ok = jcheck_object(&ld->jc, m, fields) && jcheck_enum(&ld->jc, m, "access", access, &a) &&
              jcheck_time(&ld->jc, m, "lost_since", &mi->lost_since) &&
              jcheck_time(&ld->jc, m, "restored_at", &mi->restored_at) &&
              jcheck_bool(&ld->jc, m, "revalidate_needed", &mi->revalidate_needed) &&
              jcheck_string(&ld->jc, m, "last_error", false, &err) &&
              jcheck_string(&ld->jc, m, "serving", false, &serving) &&
              jcheck_time(&ld->jc, m, "next_check", &mi->next_check);
    mi->access = (enum mi_access)a;
    if (err)
        snprintf(mi->last_error, sizeof mi->last_error, "%s", err);
    if (serving)
        mi->serving = xstrdup(serving);
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_instance(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {
        "name",      "subscription", "resource_group", "region",  "identity",
        "sku",       "vcores",       "dns_zone",       "created", "keys",
        "protector", "databases",    "model",          "tags",    NULL};
    const char *name, *rg, *sku = "GP_Gen5", *zone = "1b4e2caff2530";
    int64_t vcores = 8, created = ld->jc.now - 400 * 86400;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_string(&ld->jc, item, "resource_group", true, &rg) ||
        !jcheck_string(&ld->jc, item, "sku", false, &sku) ||
        !jcheck_int(&ld->jc, item, "vcores", 4, 128, &vcores) ||
        !jcheck_string(&ld->jc, item, "dns_zone", false, &zone) ||
        !jcheck_time(&ld->jc, item, "created", &created))
        return false;
    const struct subscription *s = sub_ref(ld, item, NULL);
    const struct region *r = s ? region_ref(ld, item) : NULL;
    if (r == NULL)
        return false;
    if (world_instance(ld->world, name))
        return jcheck_fail(&ld->jc, "instance %s is listed twice", name);
    struct instance *mi = instance_create(name);
    world_add_instance(ld->world, mi);
    mi->subscription_id = xstrdup(s->id);
    mi->resource_group = xstrdup(rg);
    mi->region = xstrdup(r->name);
    mi->sku = xstrdup(sku);
    mi->vcores = (int)vcores;
    mi->dns_zone = xstrdup(zone);
    mi->created = created;
    return load_identity(ld, item, mi) && scenario_arm_tags(ld, item, &mi->tags) &&
           scenario_each(ld, item, "keys", false, load_server_key, mi) &&
           load_protector(ld, item, mi) &&
           scenario_each(ld, item, "databases", false, load_db, mi) && load_model(ld, item, mi);
}

static bool load_fog(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {
        "name",          "resource_group",   "primary",        "secondary", "read_write_policy",
        "grace_minutes", "read_only_policy", "secondary_type", NULL};
    static const char *const rw[] = {"Manual", "Automatic", NULL};
    static const char *const ro[] = {"Disabled", "Enabled", NULL};
    static const char *const types[] = {"Geo", "Standby", NULL};
    const char *name, *rg, *primary, *secondary;
    int policy = 0, ronly = 0, type = 0;
    int64_t grace = 60;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_string(&ld->jc, item, "resource_group", true, &rg) ||
        !jcheck_string(&ld->jc, item, "primary", true, &primary) ||
        !jcheck_string(&ld->jc, item, "secondary", true, &secondary) ||
        !jcheck_enum(&ld->jc, item, "read_write_policy", rw, &policy) ||
        !jcheck_int(&ld->jc, item, "grace_minutes", 60, 100000, &grace) ||
        !jcheck_enum(&ld->jc, item, "read_only_policy", ro, &ronly) ||
        !jcheck_enum(&ld->jc, item, "secondary_type", types, &type))
        return false;
    struct instance *p = world_instance(ld->world, primary);
    struct instance *s = world_instance(ld->world, secondary);
    if (p == NULL || s == NULL || p == s)
        return jcheck_fail(&ld->jc, "primary and secondary must be two instances of this scenario");
    if (strcasecmp(p->region, s->region) == 0)
        return jcheck_fail(&ld->jc, "the two instances must be in different regions");
    if (world_fog(ld->world, name) || world_fog_of(ld->world, primary) ||
        world_fog_of(ld->world, secondary))
        return jcheck_fail(&ld->jc, "an instance can be in one failover group only");
    struct failover_group *fg = xcalloc(1, sizeof *fg);
    *fg = (struct failover_group){xstrdup(name),       xstrdup(p->subscription_id),
                                  xstrdup(rg),         xstrdup(p->name),
                                  xstrdup(s->name),    policy == 1,
                                  (int)grace,          ronly == 1,
                                  xstrdup(types[type])};
    world_add_fog(ld->world, fg);
    return true;
}

static bool load_arm_role(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"principal", "role", "scope", "id", NULL};
    static const char *const roles[] = {"Owner",
                                        "Contributor",
                                        "Reader",
                                        "SQL Managed Instance Contributor",
                                        "Key Vault Contributor",
                                        "Network Contributor",
                                        "Tag Contributor",
                                        NULL};
    const char *ref, *scope, *id = NULL;
    int role = 0;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "principal", true, &ref) ||
        !jcheck_enum(&ld->jc, item, "role", roles, &role) ||
        !jcheck_string(&ld->jc, item, "scope", true, &scope) ||
        !jcheck_string(&ld->jc, item, "id", false, &id))
        return false;
    if (cJSON_GetObjectItemCaseSensitive(item, "role") == NULL)
        return jcheck_fail(&ld->jc, "role is required");
    const struct principal *p = world_principal(ld->world, ref);
    if (p == NULL)
        return jcheck_fail(&ld->jc, "no principal '%s' in this scenario", ref);
    if (strncasecmp(scope, "/subscriptions/", 15) != 0)
        return jcheck_fail(&ld->jc, "scope must start with /subscriptions/");
    char guid[37];
    http_uuid(guid);
    world_add_arm_role(ld->world, (struct arm_role){xstrdup(id ? id : guid), xstrdup(p->object_id),
                                                    xstrdup(roles[role]), xstrdup(scope)});
    return true;
}

bool scenario_sql_all(struct loader *ld, const cJSON *top)
{
    return scenario_each(ld, top, "private_endpoints", false, load_pe, NULL) &&
           scenario_each(ld, top, "instances", false, load_instance, NULL) &&
           scenario_each(ld, top, "failover_groups", false, load_fog, NULL) &&
           scenario_each(ld, top, "arm_role_assignments", false, load_arm_role, NULL);
}
