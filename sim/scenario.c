#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rsakey.h"
#include "scenario_int.h"
#include "simclock.h"
#include "world.h"
#include "xmem.h"

#define SCENARIO_MAX (64u << 20)

char *scenario_read_file(const char *path, size_t max, size_t *len, char **cause)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        xcause(cause, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        xcause(cause, "%s: not a regular file of at most %zu bytes", path, max);
        fclose(f);
        return NULL;
    }
    char *text = xmalloc((size_t)st.st_size + 1);
    size_t n = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    if (n != (size_t)st.st_size) {
        xcause(cause, "cannot read %s", path);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

char *scenario_path(const struct loader *ld, const char *name)
{
    if (name[0] == '/' || ld->base_dir == NULL)
        return xstrdup(name);
    return xasprintf("%s/%s", ld->base_dir, name);
}

bool scenario_guid(const char *text)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    const char *p = text;
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, p++) {
            if (!isxdigit((unsigned char)*p))
                return false;
        }
        if (g < 4 && *p++ != '-')
            return false;
    }
    return *p == '\0';
}

/* A required GUID field. */
static bool guid_field(struct loader *ld, const cJSON *obj, const char *field, const char **out)
{
    if (!jcheck_string(&ld->jc, obj, field, true, out))
        return false;
    if (!scenario_guid(*out)) {
        jcheck_push(&ld->jc, field);
        jcheck_fail(&ld->jc, "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47");
        jcheck_pop(&ld->jc);
        return false;
    }
    return true;
}

static bool load_settings(struct loader *ld, const cJSON *obj)
{
    static const char *const fields[] = {"soft_delete_transition_ms",
                                         "token_lifetime_seconds",
                                         "backup_max_versions",
                                         "mi_check_interval_seconds",
                                         "inaccessible_after_seconds",
                                         "heal_window_seconds",
                                         "heal_delay_seconds",
                                         "rotation_pickup_seconds",
                                         "arm_operation_ms",
                                         "arm_read_bucket",
                                         "arm_read_refill",
                                         "arm_write_bucket",
                                         "arm_write_refill",
                                         NULL};
    static const struct {
        const char *name;
        int64_t min, max;
        size_t offset;
        bool is_int; /* else double */
    } table[] = {
#define S(name, min, max, field, is_int) \
    {name, min, max, offsetof(struct world_settings, field), is_int}
        S("soft_delete_transition_ms", 0, 600000, transition_ms, true),
        S("backup_max_versions", 1, 100000, backup_max_versions, false),
        S("token_lifetime_seconds", 60, 86400, token_lifetime, false),
        S("mi_check_interval_seconds", 1, 86400, mi_check_interval, true),
        S("inaccessible_after_seconds", 0, 86400, inaccessible_after, true),
        S("heal_window_seconds", 0, 7 * 86400, heal_window, true),
        S("heal_delay_seconds", 0, 86400, heal_delay, true),
        S("rotation_pickup_seconds", 0, 7 * 86400, rotation_pickup, true),
        S("arm_operation_ms", 0, 600000, arm_operation_ms, true),
#undef S
    };
    if (obj == NULL)
        return true;
    struct world_settings *s = &ld->world->settings;
    jcheck_push(&ld->jc, "settings");
    bool ok = jcheck_object(&ld->jc, obj, fields);
    for (size_t i = 0; ok && i < sizeof table / sizeof table[0]; i++) {
        char *field = (char *)s + table[i].offset;
        int64_t v = table[i].is_int ? *(int64_t *)(void *)field : *(int *)(void *)field;
        ok = jcheck_int(&ld->jc, obj, table[i].name, table[i].min, table[i].max, &v);
        if (table[i].is_int)
            *(int64_t *)(void *)field = v;
        else
            *(int *)(void *)field = (int)v;
    }
    static const char *const rates[] = {"arm_read_bucket", "arm_read_refill", "arm_write_bucket",
                                        "arm_write_refill"};
    double *targets[] = {&s->arm_read_bucket, &s->arm_read_refill, &s->arm_write_bucket,
                         &s->arm_write_refill};
    for (size_t i = 0; ok && i < 4; i++) {
        int64_t v = (int64_t)*targets[i];
        ok = jcheck_int(&ld->jc, obj, rates[i], 1, 1000000, &v);
        *targets[i] = (double)v;
    }
    jcheck_pop(&ld->jc);
    return ok;
}

bool scenario_each(struct loader *ld, const cJSON *obj, const char *field, bool required,
                   scenario_item_fn fn, void *arg)
{
    const cJSON *array;
    if (!jcheck_array(&ld->jc, obj, field, required, &array))
        return false;
    if (array == NULL)
        return true;
    jcheck_push(&ld->jc, field);
    if (required && cJSON_GetArraySize(array) == 0)
        return jcheck_fail(&ld->jc, "needs at least one entry");
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        jcheck_push_index(&ld->jc, i++);
        bool ok = fn(ld, item, arg);
        jcheck_pop(&ld->jc);
        if (!ok)
            return false;
    }
    jcheck_pop(&ld->jc);
    return true;
}

static bool load_region(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"name", "geography", NULL};
    const char *name, *geography;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_string(&ld->jc, item, "geography", true, &geography))
        return false;
    if (world_region(ld->world, name))
        return jcheck_fail(&ld->jc, "region %s is listed twice", name);
    world_add_region(ld->world, (struct region){xstrdup(name), xstrdup(geography)});
    return true;
}

static bool load_tenant(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"id", "name", NULL};
    const char *id, *name = NULL;
    if (!jcheck_object(&ld->jc, item, fields) || !guid_field(ld, item, "id", &id) ||
        !jcheck_string(&ld->jc, item, "name", false, &name))
        return false;
    if (world_tenant(ld->world, id) || (name && world_tenant(ld->world, name)))
        return jcheck_fail(&ld->jc, "tenant is listed twice");
    world_add_tenant(ld->world, (struct tenant){xstrdup(id), xstrdup(name ? name : id)});
    return true;
}

/* Resolves the optional "tenant" field (id or name), defaulting to the only tenant. */
static const struct tenant *tenant_ref(struct loader *ld, const cJSON *item)
{
    const char *ref = NULL;
    if (!jcheck_string(&ld->jc, item, "tenant", false, &ref))
        return NULL;
    if (ref == NULL) {
        if (ld->world->ntenants == 1)
            return &ld->world->tenants[0];
        jcheck_fail(&ld->jc, "tenant is required when the scenario has several tenants");
        return NULL;
    }
    const struct tenant *t = world_tenant(ld->world, ref);
    if (t == NULL) {
        jcheck_push(&ld->jc, "tenant");
        jcheck_fail(&ld->jc, "no tenant '%s' in this scenario", ref);
        jcheck_pop(&ld->jc);
    }
    return t;
}

static bool load_subscription(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {"id", "name", "tenant", NULL};
    const char *id, *name = NULL;
    if (!jcheck_object(&ld->jc, item, fields) || !guid_field(ld, item, "id", &id) ||
        !jcheck_string(&ld->jc, item, "name", false, &name))
        return false;
    const struct tenant *t = tenant_ref(ld, item);
    if (t == NULL)
        return false;
    if (world_subscription(ld->world, id))
        return jcheck_fail(&ld->jc, "subscription is listed twice");
    world_add_subscription(
        ld->world, (struct subscription){xstrdup(id), xstrdup(name ? name : id), xstrdup(t->id)});
    return true;
}

static bool principal_certificate(struct loader *ld, const cJSON *item, char **pem)
{
    const char *inline_pem = NULL, *file = NULL;
    if (!jcheck_string(&ld->jc, item, "certificate", false, &inline_pem) ||
        !jcheck_string(&ld->jc, item, "certificate_file", false, &file))
        return false;
    if (inline_pem && file)
        return jcheck_fail(&ld->jc, "give certificate or certificate_file, not both");
    if (inline_pem)
        *pem = xstrdup(inline_pem);
    if (file) {
        char *path = scenario_path(ld, file), *why = NULL;
        size_t len;
        *pem = scenario_read_file(path, 1 << 20, &len, &why);
        free(path);
        if (*pem == NULL) {
            jcheck_push(&ld->jc, "certificate_file");
            jcheck_fail(&ld->jc, "%s", why);
            jcheck_pop(&ld->jc);
            free(why);
            return false;
        }
    }
    if (*pem && strstr(*pem, "-----BEGIN CERTIFICATE-----") == NULL)
        return jcheck_fail(&ld->jc, "the certificate is not a PEM certificate");
    return true;
}

static bool load_principal(struct loader *ld, const cJSON *item, void *arg)
{
    static const char *const fields[] = {
        "name",        "kind",         "tenant",      "client_id",
        "object_id",   "secret",       "certificate", "certificate_file",
        "resource_id", "imds_default", NULL};
    static const char *const kinds[] = {"app", "managed_identity", NULL};
    const char *name, *client_id, *object_id, *secret = NULL, *resource_id = NULL;
    int kind = 0;
    bool imds_default = false;
    char *cert = NULL;
    if (!jcheck_object(&ld->jc, item, fields) ||
        !jcheck_string(&ld->jc, item, "name", true, &name) ||
        !jcheck_enum(&ld->jc, item, "kind", kinds, &kind) ||
        !guid_field(ld, item, "client_id", &client_id) ||
        !guid_field(ld, item, "object_id", &object_id) ||
        !jcheck_string(&ld->jc, item, "secret", false, &secret) ||
        !jcheck_string(&ld->jc, item, "resource_id", false, &resource_id) ||
        !jcheck_bool(&ld->jc, item, "imds_default", &imds_default) ||
        !principal_certificate(ld, item, &cert)) {
        free(cert);
        return false;
    }
    const struct tenant *t = tenant_ref(ld, item);
    bool ok = t != NULL;
    if (ok && kind == PRINCIPAL_APP && secret == NULL && cert == NULL)
        ok = jcheck_fail(&ld->jc, "an app needs a secret or a certificate to sign in");
    if (ok && kind == PRINCIPAL_MANAGED_IDENTITY && (secret || cert))
        ok = jcheck_fail(&ld->jc, "a managed identity has no secret or certificate");
    if (ok && (world_principal(ld->world, name) || world_principal(ld->world, object_id) ||
               world_principal(ld->world, client_id)))
        ok = jcheck_fail(&ld->jc, "a principal with this name, client_id or object_id exists");
    if (!ok) {
        free(cert);
        return false;
    }
    struct principal p = {
        .name = xstrdup(name),
        .kind = kind == 1 ? PRINCIPAL_MANAGED_IDENTITY : PRINCIPAL_APP,
        .tenant_id = xstrdup(t->id),
        .client_id = xstrdup(client_id),
        .object_id = xstrdup(object_id),
        .secret = secret ? xstrdup(secret) : NULL,
        .cert_pem = cert,
        .resource_id = resource_id ? xstrdup(resource_id) : NULL,
        .imds_default = imds_default,
    };
    world_add_principal(ld->world, p);
    return true;
}

/* "clock": {"now": T}: where simulated time had got to when a state was saved. */
static bool load_clock(struct loader *ld, const cJSON *obj)
{
    static const char *const fields[] = {"now", NULL};
    if (obj == NULL)
        return true;
    jcheck_push(&ld->jc, "clock");
    bool ok = jcheck_object(&ld->jc, obj, fields) &&
              jcheck_time(&ld->jc, obj, "now", &ld->world->clock_now);
    jcheck_pop(&ld->jc);
    return ok;
}

static bool load_top(struct loader *ld, const cJSON *top)
{
    static const char *const fields[] = {"name",
                                         "description",
                                         "settings",
                                         "regions",
                                         "tenants",
                                         "subscriptions",
                                         "principals",
                                         "materials",
                                         "vaults",
                                         "private_endpoints",
                                         "instances",
                                         "failover_groups",
                                         "arm_role_assignments",
                                         "clock",
                                         NULL};
    const char *name = NULL;
    if (!jcheck_object(&ld->jc, top, fields) || !jcheck_string(&ld->jc, top, "name", true, &name))
        return false;
    ld->world->name = xstrdup(name);
    return load_settings(ld, cJSON_GetObjectItemCaseSensitive(top, "settings")) &&
           load_clock(ld, cJSON_GetObjectItemCaseSensitive(top, "clock")) &&
           scenario_each(ld, top, "regions", true, load_region, NULL) &&
           scenario_each(ld, top, "tenants", true, load_tenant, NULL) &&
           scenario_each(ld, top, "subscriptions", true, load_subscription, NULL) &&
           scenario_each(ld, top, "principals", false, load_principal, NULL) &&
           scenario_vault_materials(ld, top) && scenario_vault_all(ld, top) &&
           scenario_sql_all(ld, top);
}

/* "line 12, column 4" of the position where cJSON gave up. */
static void parse_error(const char *text, size_t len, char **cause)
{
    const char *at = cJSON_GetErrorPtr();
    size_t line = 1, col = 1;
    for (const char *p = text; at && p < at && p < text + len; p++) {
        if (*p == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    xcause(cause, "not valid JSON (line %zu, column %zu)", line, col);
}

struct world *scenario_load_text(const char *text, size_t len, const char *base_dir, char **cause)
{
    cJSON *top = cJSON_ParseWithLength(text, len);
    if (top == NULL) {
        parse_error(text, len, cause);
        return NULL;
    }
    struct loader ld = {.world = world_create(), .base_dir = base_dir};
    jcheck_init(&ld.jc, simclock_now());
    bool ok = load_top(&ld, top);
    cJSON_Delete(top);
    for (size_t i = 0; i < ld.nmaterials; i++) {
        free(ld.materials[i].id);
        rsakey_unref(ld.materials[i].key);
    }
    free(ld.materials);
    if (!ok) {
        xcause(cause, "%s", ld.jc.cause ? ld.jc.cause : "invalid scenario");
        jcheck_cleanup(&ld.jc);
        world_destroy(ld.world);
        return NULL;
    }
    jcheck_cleanup(&ld.jc);
    return ld.world;
}

struct world *scenario_load_file(const char *path, char **cause)
{
    size_t len;
    char *why = NULL;
    char *text = scenario_read_file(path, SCENARIO_MAX, &len, &why);
    if (text == NULL) {
        xcause(cause, "%s", why);
        free(why);
        return NULL;
    }
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    struct world *world = scenario_load_text(text, len, slash ? dir : ".", &why);
    if (world == NULL) {
        xcause(cause, "%s: %s", path, why);
        free(why);
    }
    memset(text, 0, len); /* may hold secrets and private keys */
    free(text);
    free(dir);
    return world;
}
