#include "armclient.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "armparse.h"
#include "azlist.h"
#include "cloud.h"
#include "xmem.h"

static void name_cleanup(char **name)
{
    free(*name);
}

AZLIST_DEFINE(subs, struct model_subscription, armparse_subscription_page,
              model_subscription_cleanup, arm_subscriptions_fn)
AZLIST_DEFINE(instances, struct model_instance, armparse_instance_page, model_instance_cleanup,
              arm_instances_fn)
AZLIST_DEFINE(server_keys, struct model_server_key, armparse_server_key_page,
              model_server_key_cleanup, arm_server_keys_fn)
AZLIST_DEFINE(databases, struct model_database, armparse_database_page, model_database_cleanup,
              arm_databases_fn)
AZLIST_DEFINE(fogs, struct model_fog, armparse_fog_page, model_fog_cleanup, arm_fogs_fn)
AZLIST_DEFINE(vaults, struct model_vault, armparse_vault_page, model_vault_cleanup, arm_vaults_fn)
AZLIST_DEFINE(roles, struct model_role, armparse_role_page, model_role_cleanup, arm_roles_fn)
AZLIST_DEFINE(pes, struct model_pe, armparse_pe_page, model_pe_cleanup, arm_pes_fn)
AZLIST_DEFINE(names, char *, armparse_deleted_vault_page, name_cleanup, arm_names_fn)

/* {arm}{path}?api-version=V (path starts with '/'); extra query after it when given. */
static char *arm_url(struct azure *az, const char *path, const char *api, const char *extra)
{
    return xasprintf("%s%s?api-version=%s%s%s", azure_cloud(az)->arm_endpoint, path, api,
                     extra ? "&" : "", extra ? extra : "");
}

/* The same with the path made from fmt. */
static char *arm_urlf(struct azure *az, const char *api, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *arm_urlf(struct azure *az, const char *api, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *path = xvasprintf(fmt, ap);
    va_end(ap);
    char *url = arm_url(az, path, api, NULL);
    free(path);
    return url;
}

#define LIST(prefix, az, path, api, extra, fn, arg)                          \
    do {                                                                     \
        char *url_ = arm_url((az), (path), (api), (extra));                  \
        struct az_call *c_ = prefix##_list((az), AZ_ARM, url_, (fn), (arg)); \
        free(url_);                                                          \
        return c_;                                                           \
    } while (0)

struct az_call *arm_list_subscriptions(struct azure *az, arm_subscriptions_fn fn, void *arg)
{
    LIST(subs, az, "/subscriptions", ARM_API_RESOURCES, NULL, fn, arg);
}

struct az_call *arm_list_instances(struct azure *az, const char *subscription, arm_instances_fn fn,
                                   void *arg)
{
    char *url =
        arm_urlf(az, ARM_API_SQL, "/subscriptions/%s/providers/Microsoft.Sql/managedInstances",
                 subscription);
    struct az_call *c = instances_list(az, AZ_ARM, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_list_server_keys(struct azure *az, const char *instance_id,
                                     arm_server_keys_fn fn, void *arg)
{
    char *url = arm_urlf(az, ARM_API_SQL, "%s/keys", instance_id);
    struct az_call *c = server_keys_list(az, AZ_ARM, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_list_databases(struct azure *az, const char *instance_id, arm_databases_fn fn,
                                   void *arg)
{
    char *url = arm_urlf(az, ARM_API_SQL, "%s/databases", instance_id);
    struct az_call *c = databases_list(az, AZ_ARM, url, fn, arg);
    free(url);
    return c;
}

static char *fogs_path(const char *subscription, const char *resource_group, const char *location)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/locations/%s/"
                     "instanceFailoverGroups",
                     subscription, resource_group, location);
}

struct az_call *arm_list_fogs(struct azure *az, const char *subscription,
                              const char *resource_group, const char *location, arm_fogs_fn fn,
                              void *arg)
{
    char *path = fogs_path(subscription, resource_group, location);
    char *url = arm_url(az, path, ARM_API_SQL, NULL);
    struct az_call *c = fogs_list(az, AZ_ARM, url, fn, arg);
    free(url);
    free(path);
    return c;
}

struct az_call *arm_list_vaults(struct azure *az, const char *subscription, arm_vaults_fn fn,
                                void *arg)
{
    char *url = arm_urlf(az, ARM_API_KEYVAULT,
                         "/subscriptions/%s/providers/Microsoft.KeyVault/vaults", subscription);
    struct az_call *c = vaults_list(az, AZ_ARM, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_list_deleted_vaults(struct azure *az, const char *subscription, arm_names_fn fn,
                                        void *arg)
{
    char *url =
        arm_urlf(az, ARM_API_KEYVAULT,
                 "/subscriptions/%s/providers/Microsoft.KeyVault/deletedVaults", subscription);
    struct az_call *c = names_list(az, AZ_ARM, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_list_roles(struct azure *az, const char *scope, arm_roles_fn fn, void *arg)
{
    char *path = xasprintf("%s/providers/Microsoft.Authorization/roleAssignments", scope);
    char *url = arm_url(az, path, ARM_API_AUTHORIZATION, "$filter=atScope%28%29");
    struct az_call *c = roles_list(az, AZ_ARM, url, fn, arg);
    free(url);
    free(path);
    return c;
}

struct az_call *arm_list_pes(struct azure *az, const char *subscription, arm_pes_fn fn, void *arg)
{
    char *url =
        arm_urlf(az, ARM_API_NETWORK,
                 "/subscriptions/%s/providers/Microsoft.Network/privateEndpoints", subscription);
    struct az_call *c = pes_list(az, AZ_ARM, url, fn, arg);
    free(url);
    return c;
}

/* -- single objects --------------------------------------------------------------------------- */

/*
 * A GET of one object parsed by a typed parser. The typed parser and callback
 * travel in a small struct per type (no function-pointer casts).
 */
#define GET_ONE(prefix, T, parser, cleanup, callback_type)                                    \
    struct prefix##_one {                                                                     \
        callback_type fn;                                                                     \
        void *arg;                                                                            \
    };                                                                                        \
    static void prefix##_got(const struct az_reply *r, void *arg)                             \
    {                                                                                         \
        struct prefix##_one g = *(struct prefix##_one *)arg;                                  \
        free(arg);                                                                            \
        T item;                                                                               \
        memset(&item, 0, sizeof item);                                                        \
        struct az_status st = r->st;                                                          \
        char *cause = NULL;                                                                   \
        if (st.err == CORE_OK && parser(r->body, r->len, &item, &cause) < 0) {                \
            cleanup(&item);                                                                   \
            st.err = CORE_ERR_PARSE;                                                          \
            st.error = cause;                                                                 \
        }                                                                                     \
        g.fn(&st, &item, g.arg);                                                              \
        free(cause);                                                                          \
    }                                                                                         \
    static struct az_call *prefix##_get(struct azure *az, const char *url, callback_type fn,  \
                                        void *arg)                                            \
    {                                                                                         \
        struct prefix##_one *g = xmalloc(sizeof *g);                                          \
        g->fn = fn;                                                                           \
        g->arg = arg;                                                                         \
        struct az_call *c = azure_send(az, AZ_ARM, "GET", url, NULL, false, prefix##_got, g); \
        azure_on_cancel(c, free, g);                                                          \
        return c;                                                                             \
    }

GET_ONE(instance, struct model_instance, armparse_instance, model_instance_cleanup, arm_instance_fn)
GET_ONE(protector, struct model_protector, armparse_protector, model_protector_cleanup,
        arm_protector_fn)
GET_ONE(vault, struct model_vault, armparse_vault, model_vault_cleanup, arm_vault_fn)
GET_ONE(fog, struct model_fog, armparse_fog, model_fog_cleanup, arm_fog_fn)

struct az_call *arm_get_instance(struct azure *az, const char *instance_id, arm_instance_fn fn,
                                 void *arg)
{
    char *url = arm_url(az, instance_id, ARM_API_SQL, NULL);
    struct az_call *c = instance_get(az, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_get_protector(struct azure *az, const char *instance_id, arm_protector_fn fn,
                                  void *arg)
{
    char *url = arm_urlf(az, ARM_API_SQL, "%s/encryptionProtector/current", instance_id);
    struct az_call *c = protector_get(az, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_get_vault(struct azure *az, const char *vault_id, arm_vault_fn fn, void *arg)
{
    char *url = arm_url(az, vault_id, ARM_API_KEYVAULT, NULL);
    struct az_call *c = vault_get(az, url, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_get_fog(struct azure *az, const char *subscription, const char *resource_group,
                            const char *location, const char *name, arm_fog_fn fn, void *arg)
{
    char *list = fogs_path(subscription, resource_group, location);
    char *path = xasprintf("%s/%s", list, name);
    char *url = arm_url(az, path, ARM_API_SQL, NULL);
    struct az_call *c = fog_get(az, url, fn, arg);
    free(url);
    free(path);
    free(list);
    return c;
}

/* -- writes ----------------------------------------------------------------------------------- */

char *arm_server_key_name(const char *key_uri)
{
    char vault[128], key[128], version[64];
    if (model_uri_parse(key_uri, vault, key, version) < 0 || key[0] == '\0')
        return NULL;
    return version[0] ? xasprintf("%s_%s_%s", vault, key, version) : xasprintf("%s_%s", vault, key);
}

/* The result of a PUT that settles into one object, parsed by a typed parser. */
#define LRO_ONE(prefix, T, parser, cleanup, callback_type)                                   \
    struct prefix##_settle {                                                                 \
        callback_type fn;                                                                    \
        void *arg;                                                                           \
    };                                                                                       \
    static void prefix##_settled(const struct az_reply *r, void *arg)                        \
    {                                                                                        \
        struct prefix##_settle g = *(struct prefix##_settle *)arg;                           \
        free(arg);                                                                           \
        T item;                                                                              \
        memset(&item, 0, sizeof item);                                                       \
        struct az_status st = r->st;                                                         \
        char *cause = NULL;                                                                  \
        if (st.err == CORE_OK && r->len > 0 && parser(r->body, r->len, &item, &cause) < 0) { \
            cleanup(&item);                                                                  \
            st.err = CORE_ERR_PARSE;                                                         \
            st.error = cause;                                                                \
        }                                                                                    \
        g.fn(&st, &item, g.arg);                                                             \
        free(cause);                                                                         \
    }                                                                                        \
    static struct az_call *prefix##_put(struct azure *az, const char *url, const char *body, \
                                        callback_type fn, void *arg)                         \
    {                                                                                        \
        struct prefix##_settle *g = xmalloc(sizeof *g);                                      \
        g->fn = fn;                                                                          \
        g->arg = arg;                                                                        \
        struct az_call *c = azure_lro(az, "PUT", url, body, 0, prefix##_settled, g);         \
        azure_on_cancel(c, free, g);                                                         \
        return c;                                                                            \
    }

LRO_ONE(server_key, struct model_server_key, armparse_server_key, model_server_key_cleanup,
        arm_server_key_fn)
LRO_ONE(protector, struct model_protector, armparse_protector, model_protector_cleanup,
        arm_protector_fn)

static char *body_text(cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (text == NULL)
        abort(); /* cJSON only fails on allocation */
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

struct az_call *arm_put_server_key(struct azure *az, const char *instance_id, const char *key_uri,
                                   arm_server_key_fn fn, void *arg)
{
    char *name = arm_server_key_name(key_uri);
    if (name == NULL)
        name = xstrdup("invalid-key-uri"); /* ARM answers 400 with its own words */
    cJSON *j = cJSON_CreateObject();
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "serverKeyType", "AzureKeyVault");
    cJSON_AddStringToObject(p, "uri", key_uri);
    char *body = body_text(j);
    char *path = xasprintf("%s/keys/%s", instance_id, name);
    char *url = arm_url(az, path, ARM_API_SQL, NULL);
    struct az_call *c = server_key_put(az, url, body, fn, arg);
    free(url);
    free(path);
    free(body);
    free(name);
    return c;
}

struct az_call *arm_set_protector(struct azure *az, const char *instance_id,
                                  const char *server_key_name, bool auto_rotation,
                                  arm_protector_fn fn, void *arg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    bool service_managed = strcmp(server_key_name, "ServiceManaged") == 0;
    cJSON_AddStringToObject(p, "serverKeyType",
                            service_managed ? "ServiceManaged" : "AzureKeyVault");
    cJSON_AddStringToObject(p, "serverKeyName", server_key_name);
    cJSON_AddBoolToObject(p, "autoRotationEnabled", auto_rotation);
    char *body = body_text(j);
    char *path = xasprintf("%s/encryptionProtector/current", instance_id);
    char *url = arm_url(az, path, ARM_API_SQL, NULL);
    struct az_call *c = protector_put(az, url, body, fn, arg);
    free(url);
    free(path);
    free(body);
    return c;
}

struct az_call *arm_revalidate(struct azure *az, const char *instance_id, az_fn fn, void *arg)
{
    char *url = arm_urlf(az, ARM_API_SQL, "%s/encryptionProtector/current/revalidate", instance_id);
    struct az_call *c = azure_lro(az, "POST", url, NULL, 0, fn, arg);
    free(url);
    return c;
}

struct az_call *arm_validate_key(struct azure *az, const char *instance_id, const char *key_uri,
                                 az_fn fn, void *arg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tdeKeyUri", key_uri);
    char *body = body_text(j);
    char *path = xasprintf("%s/validateAzureKeyVaultEncryptionKey", instance_id);
    char *url = arm_url(az, path, ARM_API_SQL, NULL);
    struct az_call *c = azure_lro(az, "POST", url, body, 0, fn, arg);
    free(url);
    free(path);
    free(body);
    return c;
}

struct az_call *arm_fog_failover(struct azure *az, const struct model_fog *fg, bool force, az_fn fn,
                                 void *arg)
{
    char *list = fogs_path(fg->subscription_id, fg->resource_group, fg->secondary_location);
    char *path =
        xasprintf("%s/%s/%s", list, fg->name, force ? "forceFailoverAllowDataLoss" : "failover");
    char *url = arm_url(az, path, ARM_API_SQL, NULL);
    struct az_call *c = azure_lro(az, "POST", url, NULL, 0, fn, arg);
    free(url);
    free(path);
    free(list);
    return c;
}
