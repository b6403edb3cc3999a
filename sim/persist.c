#include "persist.h"
#include "secret.h"
#include "simclock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "instance.h"
#include "key.h"
#include "policy.h"
#include "rsakey.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

int persist_prepare_dir(const char *dir, char **cause)
{
    struct stat st;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        xcause(cause, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        xcause(cause, "%s is not a folder", dir);
        return -1;
    }
    if (st.st_mode & 077) {
        xcause(cause,
               "%s can be read by other users (mode %03o): it will hold private keys; "
               "chmod 700 it",
               dir, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int persist_write(const char *dir, const char *name, const void *data, size_t len, char **cause)
{
    char *tmp = xasprintf("%s/.%s.tmp", dir, name), *final = xasprintf("%s/%s", dir, name);
    int rc = -1;
    /* A leftover temp file (a crash mid-write) could have other modes: start afresh. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        xcause(cause, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, final) < 0) {
        xcause(cause, "cannot replace %s: %s", final, strerror(errno));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    free(tmp);
    free(final);
    return rc;
}

char *persist_read(const char *dir, const char *name, size_t *len, bool *missing, char **cause)
{
    char *path = xasprintf("%s/%s", dir, name);
    *missing = false;
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    if (f == NULL) {
        *missing = errno == ENOENT;
        xcause(cause, "cannot open %s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (256 << 20)) {
        text = xmalloc((size_t)st.st_size + 1);
        *len = fread(text, 1, (size_t)st.st_size, f);
        text[*len] = '\0';
        if (*len != (size_t)st.st_size) {
            free(text);
            text = NULL;
        }
    }
    if (text == NULL)
        xcause(cause, "cannot read %s", path);
    fclose(f);
    free(path);
    return text;
}

static char *material_pem(const struct rsakey *key)
{
    unsigned char *der = NULL;
    size_t len = 0;
    if (rsakey_to_der(key, &der, &len, NULL) < 0)
        abort();
    char *b64 = b64_std_encode(der, len);
    secret_free(der, len);
    size_t blen = strlen(b64);
    size_t cap = blen + blen / 64 + 80;
    char *pem = xmalloc(cap);
    size_t o = (size_t)snprintf(pem, cap, "-----BEGIN PRIVATE KEY-----\n");
    for (size_t i = 0; i < blen; i += 64) {
        size_t n = blen - i < 64 ? blen - i : 64;
        memcpy(pem + o, b64 + i, n);
        o += n;
        pem[o++] = '\n';
    }
    snprintf(pem + o, cap - o, "-----END PRIVATE KEY-----\n");
    OPENSSL_cleanse(b64, blen);
    free(b64);
    return pem;
}

/* Materials are shared between versions (a restored copy is the same key): write each once. */
struct materials {
    const struct rsakey **keys;
    size_t n;
    cJSON *array;
};

static const char *material_id(struct materials *m, const struct rsakey *key)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->keys[i] == key)
            return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(m->array, (int)i), "id")
                ->valuestring;
    }
    m->keys = xrealloc(m->keys, m->n + 1, sizeof *m->keys);
    m->keys[m->n] = key;
    cJSON *item = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "m%zu", ++m->n);
    cJSON_AddStringToObject(item, "id", id);
    char *pem = material_pem(key);
    cJSON_AddStringToObject(item, "pem", pem);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    cJSON_AddItemToArray(m->array, item);
    return cJSON_GetObjectItemCaseSensitive(item, "id")->valuestring;
}

static cJSON *version_json(struct materials *m, const struct key_version *v)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "version", v->id);
    cJSON_AddStringToObject(j, "material", material_id(m, v->material));
    cJSON_AddStringToObject(j, "kty", v->hsm ? "RSA-HSM" : "RSA");
    cJSON_AddItemToObject(j, "key_ops", keyops_to_json(v->ops));
    cJSON_AddBoolToObject(j, "enabled", v->enabled);
    if (v->nbf)
        cJSON_AddNumberToObject(j, "nbf", (double)v->nbf);
    if (v->exp)
        cJSON_AddNumberToObject(j, "exp", (double)v->exp);
    cJSON_AddNumberToObject(j, "created", (double)v->created);
    cJSON_AddNumberToObject(j, "updated", (double)v->updated);
    if (v->tags.n)
        cJSON_AddItemToObject(j, "tags", tags_to_json(&v->tags));
    return j;
}

static cJSON *key_json(struct materials *m, const struct key *key)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", key->name);
    if (key->managed)
        cJSON_AddBoolToObject(j, "managed", true);
    if (key->policy.set) {
        cJSON *policy = policy_to_json(&key->policy, "");
        cJSON_DeleteItemFromObjectCaseSensitive(policy, "id");
        cJSON_AddItemToObject(j, "rotation_policy", policy);
    }
    if (key->deleted) {
        cJSON *d = cJSON_AddObjectToObject(j, "deleted");
        cJSON_AddNumberToObject(d, "date", (double)key->deleted_date);
        cJSON_AddNumberToObject(d, "scheduled_purge", (double)key->scheduled_purge);
    }
    cJSON *versions = cJSON_AddArrayToObject(j, "versions");
    for (size_t i = 0; i < key->nversions; i++)
        cJSON_AddItemToArray(versions, version_json(m, key->versions[i]));
    return j;
}

static cJSON *access_json(const struct vault *v)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < v->npolicies; i++) {
        const struct access_policy *p = &v->policies[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "object_id", p->object_id);
        cJSON_AddStringToObject(j, "tenant", p->tenant_id);
        if (p->application_id)
            cJSON_AddStringToObject(j, "application_id", p->application_id);
        cJSON *keys = cJSON_AddArrayToObject(j, "keys");
        for (uint32_t bit = 1; bit & KPERM_ALL; bit <<= 1) {
            if (p->keys & bit)
                cJSON_AddItemToArray(keys, cJSON_CreateString(kperm_name(bit)));
        }
        cJSON_AddItemToArray(array, j);
    }
    return array;
}

static cJSON *roles_json(const struct vault *v)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < v->nroles; i++) {
        const struct role_assignment *r = &v->roles[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", r->id);
        cJSON_AddStringToObject(j, "object_id", r->principal_id);
        cJSON_AddStringToObject(j, "role", r->role);
        if (r->key_scope)
            cJSON_AddStringToObject(j, "key", r->key_scope);
        cJSON_AddItemToArray(array, j);
    }
    return array;
}

static cJSON *vault_json(struct materials *m, const struct vault *v)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", v->name);
    cJSON_AddStringToObject(j, "subscription", v->subscription_id);
    cJSON_AddStringToObject(j, "resource_group", v->resource_group);
    cJSON_AddStringToObject(j, "region", v->region);
    cJSON_AddStringToObject(j, "tenant", v->tenant_id);
    cJSON_AddStringToObject(j, "sku", v->sku);
    if (v->tags.n)
        cJSON_AddItemToObject(j, "tags", tags_to_json(&v->tags));
    cJSON_AddBoolToObject(j, "soft_delete", v->soft_delete);
    cJSON_AddNumberToObject(j, "retention_days", v->retention_days);
    cJSON_AddBoolToObject(j, "purge_protection", v->purge_protection);
    cJSON_AddBoolToObject(j, "rbac", v->rbac);
    cJSON_AddStringToObject(j, "public_network_access", v->public_access ? "Enabled" : "Disabled");
    cJSON *acls = cJSON_AddObjectToObject(j, "network_acls");
    cJSON_AddStringToObject(acls, "default_action", v->acl_deny ? "Deny" : "Allow");
    cJSON_AddStringToObject(acls, "bypass", v->acl_bypass_azure ? "AzureServices" : "None");
    cJSON *rules = cJSON_AddArrayToObject(acls, "ip_rules");
    for (size_t i = 0; i < v->nip_rules; i++)
        cJSON_AddItemToArray(rules, cJSON_CreateString(v->ip_rules[i].text));
    cJSON_AddItemToObject(j, "access_policies", access_json(v));
    cJSON_AddItemToObject(j, "role_assignments", roles_json(v));
    cJSON *keys = cJSON_AddArrayToObject(j, "keys");
    for (size_t i = 0; i < v->nkeys; i++)
        cJSON_AddItemToArray(keys, key_json(m, v->keys[i]));
    if (v->deleted) {
        cJSON *d = cJSON_AddObjectToObject(j, "deleted");
        cJSON_AddNumberToObject(d, "date", (double)v->deleted_date);
        cJSON_AddNumberToObject(d, "scheduled_purge", (double)v->scheduled_purge);
    }
    if (v->read_only)
        cJSON_AddBoolToObject(j, "read_only", true);
    return j;
}

static cJSON *instance_json(const struct instance *mi)
{
    static const char *const access[] = {"ok", "secondary", "lost"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", mi->name);
    cJSON_AddStringToObject(j, "subscription", mi->subscription_id);
    cJSON_AddStringToObject(j, "resource_group", mi->resource_group);
    cJSON_AddStringToObject(j, "region", mi->region);
    cJSON *id = cJSON_AddObjectToObject(j, "identity");
    cJSON_AddStringToObject(id, "principal", mi->identity_oid);
    cJSON_AddStringToObject(id, "type", mi->identity_type);
    cJSON_AddStringToObject(j, "sku", mi->sku);
    cJSON_AddNumberToObject(j, "vcores", mi->vcores);
    cJSON_AddStringToObject(j, "dns_zone", mi->dns_zone);
    cJSON_AddNumberToObject(j, "created", (double)mi->created);
    if (mi->tags.n)
        cJSON_AddItemToObject(j, "tags", tags_to_json(&mi->tags));
    cJSON *keys = cJSON_AddArrayToObject(j, "keys");
    for (size_t i = 0; i < mi->nkeys; i++) {
        const struct server_key *k = &mi->keys[i];
        cJSON *kj = cJSON_CreateObject();
        cJSON_AddStringToObject(kj, "vault", k->vault);
        cJSON_AddStringToObject(kj, "key", k->key);
        if (k->version)
            cJSON_AddStringToObject(kj, "version", k->version);
        cJSON_AddStringToObject(kj, "thumbprint", k->thumbprint);
        cJSON_AddNumberToObject(kj, "created", (double)k->created);
        cJSON_AddItemToArray(keys, kj);
    }
    const struct server_key *p = mi->protector ? instance_find_key(mi, mi->protector) : NULL;
    if (p) {
        cJSON *pj = cJSON_AddObjectToObject(j, "protector");
        cJSON_AddStringToObject(pj, "vault", p->vault);
        cJSON_AddStringToObject(pj, "key", p->key);
        if (p->version)
            cJSON_AddStringToObject(pj, "version", p->version);
        cJSON_AddBoolToObject(pj, "auto_rotation", mi->auto_rotation);
    }
    cJSON *dbs = cJSON_AddArrayToObject(j, "databases");
    for (size_t i = 0; i < mi->ndbs; i++) {
        cJSON *dj = cJSON_CreateObject();
        cJSON_AddStringToObject(dj, "name", mi->dbs[i].name);
        cJSON_AddStringToObject(dj, "status", db_status_name(mi->dbs[i].status));
        cJSON_AddNumberToObject(dj, "created", (double)mi->dbs[i].created);
        cJSON_AddItemToArray(dbs, dj);
    }
    cJSON *m = cJSON_AddObjectToObject(j, "model");
    cJSON_AddStringToObject(m, "access", access[mi->access]);
    cJSON_AddNumberToObject(m, "lost_since", (double)mi->lost_since);
    cJSON_AddNumberToObject(m, "restored_at", (double)mi->restored_at);
    cJSON_AddBoolToObject(m, "revalidate_needed", mi->revalidate_needed);
    cJSON_AddStringToObject(m, "last_error", mi->last_error);
    if (mi->serving)
        cJSON_AddStringToObject(m, "serving", mi->serving);
    cJSON_AddNumberToObject(m, "next_check", (double)mi->next_check);
    return j;
}

static void sql_json(const struct world *w, cJSON *top)
{
    cJSON *pes = cJSON_AddArrayToObject(top, "private_endpoints");
    for (size_t i = 0; i < w->npes; i++) {
        const struct private_endpoint *pe = w->pes[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", pe->name);
        cJSON_AddStringToObject(j, "subscription", pe->subscription_id);
        cJSON_AddStringToObject(j, "resource_group", pe->resource_group);
        cJSON_AddStringToObject(j, "region", pe->region);
        cJSON_AddStringToObject(j, "vault", pe->vault);
        cJSON_AddStringToObject(j, "status", pe->status);
        cJSON_AddStringToObject(j, "ip", pe->ip);
        cJSON_AddItemToArray(pes, j);
    }
    cJSON *mis = cJSON_AddArrayToObject(top, "instances");
    for (size_t i = 0; i < w->ninstances; i++)
        cJSON_AddItemToArray(mis, instance_json(w->instances[i]));
    cJSON *fogs = cJSON_AddArrayToObject(top, "failover_groups");
    for (size_t i = 0; i < w->nfogs; i++) {
        const struct failover_group *fg = w->fogs[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", fg->name);
        cJSON_AddStringToObject(j, "resource_group", fg->resource_group);
        cJSON_AddStringToObject(j, "primary", fg->primary);
        cJSON_AddStringToObject(j, "secondary", fg->secondary);
        cJSON_AddStringToObject(j, "read_write_policy", fg->automatic ? "Automatic" : "Manual");
        cJSON_AddNumberToObject(j, "grace_minutes", fg->grace_minutes);
        cJSON_AddStringToObject(j, "read_only_policy",
                                fg->readonly_enabled ? "Enabled" : "Disabled");
        cJSON_AddStringToObject(j, "secondary_type", fg->secondary_type);
        cJSON_AddItemToArray(fogs, j);
    }
    cJSON *roles = cJSON_AddArrayToObject(top, "arm_role_assignments");
    for (size_t i = 0; i < w->narm_roles; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", w->arm_roles[i].id);
        cJSON_AddStringToObject(j, "principal", w->arm_roles[i].principal_id);
        cJSON_AddStringToObject(j, "role", w->arm_roles[i].role);
        cJSON_AddStringToObject(j, "scope", w->arm_roles[i].scope);
        cJSON_AddItemToArray(roles, j);
    }
}

static cJSON *principal_json(const struct principal *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", p->name);
    cJSON_AddStringToObject(j, "kind", p->kind == PRINCIPAL_APP ? "app" : "managed_identity");
    cJSON_AddStringToObject(j, "tenant", p->tenant_id);
    cJSON_AddStringToObject(j, "client_id", p->client_id);
    cJSON_AddStringToObject(j, "object_id", p->object_id);
    if (p->secret)
        cJSON_AddStringToObject(j, "secret", p->secret);
    if (p->cert_pem)
        cJSON_AddStringToObject(j, "certificate", p->cert_pem);
    if (p->resource_id)
        cJSON_AddStringToObject(j, "resource_id", p->resource_id);
    if (p->imds_default)
        cJSON_AddBoolToObject(j, "imds_default", true);
    return j;
}

static cJSON *identity_json(const struct world *w, cJSON *top)
{
    cJSON *regions = cJSON_AddArrayToObject(top, "regions");
    for (size_t i = 0; i < w->nregions; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", w->regions[i].name);
        cJSON_AddStringToObject(j, "geography", w->regions[i].geography);
        cJSON_AddItemToArray(regions, j);
    }
    cJSON *tenants = cJSON_AddArrayToObject(top, "tenants");
    for (size_t i = 0; i < w->ntenants; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", w->tenants[i].id);
        cJSON_AddStringToObject(j, "name", w->tenants[i].name);
        cJSON_AddItemToArray(tenants, j);
    }
    cJSON *subs = cJSON_AddArrayToObject(top, "subscriptions");
    for (size_t i = 0; i < w->nsubscriptions; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", w->subscriptions[i].id);
        cJSON_AddStringToObject(j, "name", w->subscriptions[i].name);
        cJSON_AddStringToObject(j, "tenant", w->subscriptions[i].tenant_id);
        cJSON_AddItemToArray(subs, j);
    }
    cJSON *principals = cJSON_AddArrayToObject(top, "principals");
    for (size_t i = 0; i < w->nprincipals; i++)
        cJSON_AddItemToArray(principals, principal_json(&w->principals[i]));
    return top;
}

cJSON *persist_world_json(const struct world *w)
{
    cJSON *top = cJSON_CreateObject();
    cJSON_AddStringToObject(top, "name", w->name ? w->name : "state");
    cJSON *s = cJSON_AddObjectToObject(top, "settings");
    cJSON_AddNumberToObject(s, "soft_delete_transition_ms", (double)w->settings.transition_ms);
    cJSON_AddNumberToObject(s, "token_lifetime_seconds", w->settings.token_lifetime);
    cJSON_AddNumberToObject(s, "backup_max_versions", w->settings.backup_max_versions);
    const struct world_settings *ws = &w->settings;
    cJSON_AddNumberToObject(s, "mi_check_interval_seconds", (double)ws->mi_check_interval);
    cJSON_AddNumberToObject(s, "inaccessible_after_seconds", (double)ws->inaccessible_after);
    cJSON_AddNumberToObject(s, "heal_window_seconds", (double)ws->heal_window);
    cJSON_AddNumberToObject(s, "heal_delay_seconds", (double)ws->heal_delay);
    cJSON_AddNumberToObject(s, "rotation_pickup_seconds", (double)ws->rotation_pickup);
    cJSON_AddNumberToObject(s, "arm_operation_ms", (double)ws->arm_operation_ms);
    cJSON_AddNumberToObject(s, "arm_read_bucket", ws->arm_read_bucket);
    cJSON_AddNumberToObject(s, "arm_read_refill", ws->arm_read_refill);
    cJSON_AddNumberToObject(s, "arm_write_bucket", ws->arm_write_bucket);
    cJSON_AddNumberToObject(s, "arm_write_refill", ws->arm_write_refill);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(top, "clock"), "now", (double)simclock_now());
    identity_json(w, top);
    struct materials m = {.array = cJSON_AddArrayToObject(top, "materials")};
    cJSON *vaults = cJSON_AddArrayToObject(top, "vaults");
    for (size_t i = 0; i < w->nvaults; i++)
        cJSON_AddItemToArray(vaults, vault_json(&m, w->vaults[i]));
    free(m.keys);
    sql_json(w, top);
    return top;
}

int persist_save_world(const char *dir, const struct world *world, char **cause)
{
    cJSON *json = persist_world_json(world);
    char *text = cJSON_Print(json);
    secret_json_delete(json);
    int rc = persist_write(dir, "state.json", text, strlen(text), cause);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    return rc;
}
