#include "kvclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "azlist.h"
#include "json.h"
#include "xmem.h"

static void name_cleanup(char **name)
{
    free(*name);
}

static void deleted_item_cleanup(struct kv_deleted *d)
{
    free(d->name);
    free(d->recovery_id);
    memset(d, 0, sizeof *d);
}

AZLIST_DEFINE(names, char *, kvparse_key_list, name_cleanup, kv_names_fn)
AZLIST_DEFINE(versions, struct model_version, kvparse_version_list, model_version_cleanup,
              kv_versions_fn)
AZLIST_DEFINE(deleted, struct kv_deleted, kvparse_deleted_list, deleted_item_cleanup, kv_deleted_fn)

bool kv_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 127)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-'))
            return false;
    }
    return true;
}

bool kv_version_valid(const char *version)
{
    if (version == NULL || strlen(version) != 32)
        return false;
    for (size_t i = 0; i < 32; i++) {
        char c = version[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* The vault's base URL without a trailing slash, or NULL when it is no https URL. */
static char *vault_base(const char *vault)
{
    char *norm = model_uri_normalise(vault);
    if (norm && strchr(norm + 8, '/')) { /* a vault URL has no path */
        free(norm);
        norm = NULL;
    }
    return norm;
}

/* "{vault}{path}?api-version=KV_API{extra}", or NULL when the vault URL is not one. */
static char *kv_url(const char *vault, const char *path, const char *extra)
{
    char *base = vault_base(vault);
    if (base == NULL)
        return NULL;
    char *url = xasprintf("%s%s?api-version=%s%s", base, path, KV_API, extra ? extra : "");
    free(base);
    return url;
}

static struct az_call *bad_argument(struct azure *az, const char *what, az_fn fn, void *arg)
{
    return azure_fail(az, CORE_ERR_CONFIG, what, fn, arg);
}

/* -- lists ------------------------------------------------------------------------------------ */

/* A list whose URL could not be built fails through a zero-length list callback. */
struct list_fail {
    kv_names_fn names;
    kv_versions_fn versions;
    kv_deleted_fn deleted;
    void *arg;
};

static void list_failed(const struct az_reply *r, void *arg)
{
    struct list_fail lf = *(struct list_fail *)arg;
    free(arg);
    if (lf.names)
        lf.names(&r->st, NULL, 0, lf.arg);
    else if (lf.versions)
        lf.versions(&r->st, NULL, 0, lf.arg);
    else
        lf.deleted(&r->st, NULL, 0, lf.arg);
}

static struct az_call *list_fail(struct azure *az, const char *why, struct list_fail lf)
{
    struct list_fail *held = xmalloc(sizeof *held);
    *held = lf;
    struct az_call *c = bad_argument(az, why, list_failed, held);
    azure_on_cancel(c, free, held);
    return c;
}

struct az_call *kv_list_keys(struct azure *az, const char *vault, kv_names_fn fn, void *arg)
{
    char *url = kv_url(vault, "/keys", "&maxresults=25");
    if (url == NULL)
        return list_fail(az, "not a vault URL", (struct list_fail){.names = fn, .arg = arg});
    struct az_call *c = names_list(az, AZ_VAULT, url, fn, arg);
    free(url);
    return c;
}

struct az_call *kv_list_versions(struct azure *az, const char *vault, const char *key,
                                 kv_versions_fn fn, void *arg)
{
    char *path = kv_name_valid(key) ? xasprintf("/keys/%s/versions", key) : NULL;
    char *url = path ? kv_url(vault, path, "&maxresults=25") : NULL;
    free(path);
    if (url == NULL)
        return list_fail(az, "not a vault URL and key name",
                         (struct list_fail){.versions = fn, .arg = arg});
    struct az_call *c = versions_list(az, AZ_VAULT, url, fn, arg);
    free(url);
    return c;
}

struct az_call *kv_list_deleted(struct azure *az, const char *vault, kv_deleted_fn fn, void *arg)
{
    char *url = kv_url(vault, "/deletedkeys", "&maxresults=25");
    if (url == NULL)
        return list_fail(az, "not a vault URL", (struct list_fail){.deleted = fn, .arg = arg});
    struct az_call *c = deleted_list(az, AZ_VAULT, url, fn, arg);
    free(url);
    return c;
}

struct az_call *kv_probe(struct azure *az, const char *vault, az_fn fn, void *arg)
{
    char *url = kv_url(vault, "/keys", "&maxresults=1");
    if (url == NULL)
        return bad_argument(az, "not a vault URL", fn, arg);
    struct az_call *c = azure_probe(az, url, fn, arg);
    free(url);
    return c;
}

/* -- one key version -------------------------------------------------------------------------- */

struct version_pending {
    kv_version_fn fn;
    void *arg;
};

static void version_got(const struct az_reply *r, void *arg)
{
    struct version_pending p = *(struct version_pending *)arg;
    free(arg);
    struct model_version v = {0};
    struct az_status st = r->st;
    char *name = NULL, *cause = NULL;
    if (st.err == CORE_OK && kvparse_key_bundle(r->body, r->len, &v, &name, &cause) < 0) {
        model_version_cleanup(&v);
        st.err = CORE_ERR_PARSE;
        st.error = cause;
    }
    p.fn(&st, &v, name ? name : "", p.arg);
    free(name);
    free(cause);
}

static struct az_call *send_for_version(struct azure *az, const char *method, char *url, char *body,
                                        kv_version_fn fn, void *arg)
{
    struct version_pending *p = xmalloc(sizeof *p);
    p->fn = fn;
    p->arg = arg;
    struct az_call *c =
        url ? azure_send(az, AZ_VAULT, method, url, body, false, version_got, p)
            : bad_argument(az, "not a vault URL, key name or version", version_got, p);
    azure_on_cancel(c, free, p);
    free(url);
    if (body) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
    }
    return c;
}

struct az_call *kv_get_key(struct azure *az, const char *vault, const char *key,
                           const char *version, kv_version_fn fn, void *arg)
{
    bool latest = version == NULL || version[0] == '\0';
    char *url = NULL;
    if (kv_name_valid(key) && (latest || kv_version_valid(version))) {
        char *path = xasprintf("/keys/%s/%s", key, latest ? "" : version);
        url = kv_url(vault, path, NULL);
        free(path);
    }
    return send_for_version(az, "GET", url, NULL, fn, arg);
}

/* -- rotation policy -------------------------------------------------------------------------- */

struct rotation_pending {
    kv_rotation_fn fn;
    void *arg;
};

static void rotation_got(const struct az_reply *r, void *arg)
{
    struct rotation_pending p = *(struct rotation_pending *)arg;
    free(arg);
    struct model_rotation rot = {0};
    struct az_status st = r->st;
    char *cause = NULL;
    if (st.err == CORE_OK && kvparse_rotation_policy(r->body, r->len, &rot, &cause) < 0) {
        free(rot.expiry_time);
        memset(&rot, 0, sizeof rot);
        st.err = CORE_ERR_PARSE;
        st.error = cause;
    }
    p.fn(&st, &rot, p.arg);
    free(cause);
}

struct az_call *kv_get_rotation_policy(struct azure *az, const char *vault, const char *key,
                                       kv_rotation_fn fn, void *arg)
{
    struct rotation_pending *p = xmalloc(sizeof *p);
    p->fn = fn;
    p->arg = arg;
    char *path = kv_name_valid(key) ? xasprintf("/keys/%s/rotationpolicy", key) : NULL;
    char *url = path ? kv_url(vault, path, NULL) : NULL;
    struct az_call *c = url ? azure_send(az, AZ_VAULT, "GET", url, NULL, false, rotation_got, p)
                            : bad_argument(az, "not a vault URL and key name", rotation_got, p);
    azure_on_cancel(c, free, p);
    free(path);
    free(url);
    return c;
}

/* -- writes ----------------------------------------------------------------------------------- */

static char *json_text(cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    if (text == NULL)
        abort(); /* cJSON only fails on allocation */
    char *out = xstrdup(text);
    OPENSSL_cleanse(text, strlen(text));
    cJSON_free(text);
    return out;
}

static void add_spec(cJSON *j, const struct kv_key_spec *spec)
{
    if (spec->ops) {
        static const struct {
            unsigned bit;
            const char *name;
        } ops[] = {{MODEL_OP_ENCRYPT, "encrypt"}, {MODEL_OP_DECRYPT, "decrypt"},
                   {MODEL_OP_WRAP, "wrapKey"},    {MODEL_OP_UNWRAP, "unwrapKey"},
                   {MODEL_OP_SIGN, "sign"},       {MODEL_OP_VERIFY, "verify"}};
        cJSON *a = cJSON_AddArrayToObject(j, "key_ops");
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            if (spec->ops & ops[i].bit)
                cJSON_AddItemToArray(a, cJSON_CreateString(ops[i].name));
        }
    }
    cJSON *attr = cJSON_AddObjectToObject(j, "attributes");
    cJSON_AddBoolToObject(attr, "enabled", true);
    if (spec->nbf)
        cJSON_AddNumberToObject(attr, "nbf", (double)spec->nbf);
    if (spec->exp)
        cJSON_AddNumberToObject(attr, "exp", (double)spec->exp);
}

struct az_call *kv_create_key(struct azure *az, const char *vault, const char *key,
                              const struct kv_key_spec *spec, kv_version_fn fn, void *arg)
{
    char *url = NULL;
    if (kv_name_valid(key)) {
        char *path = xasprintf("/keys/%s/create", key);
        url = kv_url(vault, path, NULL);
        free(path);
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kty", spec->hsm ? "RSA-HSM" : "RSA");
    cJSON_AddNumberToObject(j, "key_size", spec->bits ? spec->bits : 2048);
    add_spec(j, spec);
    char *body = json_text(j);
    cJSON_Delete(j);
    return send_for_version(az, "POST", url, body, fn, arg);
}

struct az_call *kv_import_key(struct azure *az, const char *vault, const char *key, const char *jwk,
                              const struct kv_key_spec *spec, kv_version_fn fn, void *arg)
{
    char *url = NULL;
    cJSON *material = jwk ? cJSON_Parse(jwk) : NULL; /* only to check it is an object */
    if (material && kv_name_valid(key) && cJSON_IsObject(material)) {
        char *path = xasprintf("/keys/%s", key);
        url = kv_url(vault, path, NULL);
        free(path);
    }
    for (cJSON *it = material ? material->child : NULL; it; it = it->next)
        if (cJSON_IsString(it))
            OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
    cJSON_Delete(material);
    /*
     * The body is spliced around the caller's JWK text in one buffer of the
     * right size: printing the private key through cJSON would grow its buffer
     * by realloc and leave uncleansed pieces of the key in freed memory.
     */
    cJSON *j = cJSON_CreateObject();
    if (spec->hsm)
        cJSON_AddBoolToObject(j, "Hsm", true); /* capital H on the wire */
    add_spec(j, spec);
    char *tail = json_text(j); /* "{...}": attributes and key_ops, nothing secret */
    cJSON_Delete(j);
    char *body = NULL;
    if (url) {
        size_t n = strlen("{\"key\":,") + strlen(jwk) + strlen(tail) + 1;
        body = xmalloc(n);
        snprintf(body, n, "{\"key\":%s%s%s", jwk, tail[1] == '}' ? "" : ",", tail + 1);
    }
    free(tail);
    return send_for_version(az, "PUT", url, body, fn, arg);
}

struct bytes_pending {
    kv_bytes_fn fn;
    void *arg;
};

static void bytes_got(const struct az_reply *r, void *arg)
{
    struct bytes_pending p = *(struct bytes_pending *)arg;
    free(arg);
    unsigned char *value = NULL;
    size_t len = 0;
    char *kid = NULL, *cause = NULL;
    struct az_status st = r->st;
    if (st.err == CORE_OK && kvparse_value(r->body, r->len, &value, &len, &kid, &cause) < 0) {
        st.err = CORE_ERR_PARSE;
        st.error = cause;
    }
    p.fn(&st, value, len, p.arg);
    if (value) {
        OPENSSL_cleanse(value, len);
        free(value);
    }
    free(kid);
    free(cause);
}

static struct az_call *send_for_bytes(struct azure *az, char *url, char *body, bool idempotent,
                                      kv_bytes_fn fn, void *arg)
{
    struct bytes_pending *p = xmalloc(sizeof *p);
    p->fn = fn;
    p->arg = arg;
    struct az_call *c =
        url ? azure_send(az, AZ_VAULT, "POST", url, body, idempotent, bytes_got, p)
            : bad_argument(az, "not a vault URL, key name or version", bytes_got, p);
    azure_on_cancel(c, free, p);
    free(url);
    if (body) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
    }
    return c;
}

struct az_call *kv_backup_key(struct azure *az, const char *vault, const char *key, kv_bytes_fn fn,
                              void *arg)
{
    char *url = NULL;
    if (kv_name_valid(key)) {
        char *path = xasprintf("/keys/%s/backup", key);
        url = kv_url(vault, path, NULL);
        free(path);
    }
    return send_for_bytes(az, url, NULL, false, fn, arg);
}

struct az_call *kv_restore_key(struct azure *az, const char *vault, const unsigned char *blob,
                               size_t len, kv_version_fn fn, void *arg)
{
    char *url = blob && len ? kv_url(vault, "/keys/restore", NULL) : NULL;
    cJSON *j = cJSON_CreateObject();
    char *value = json_b64url_encode(blob ? blob : (const unsigned char *)"", blob ? len : 0);
    cJSON_AddStringToObject(j, "value", value);
    OPENSSL_cleanse(value, strlen(value));
    free(value);
    char *body = json_text(j);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
    OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
    cJSON_Delete(j);
    return send_for_version(az, "POST", url, body, fn, arg);
}

static struct az_call *crypto_op(struct azure *az, const char *key_uri, const char *op,
                                 const char *alg, const unsigned char *value, size_t len,
                                 kv_bytes_fn fn, void *arg)
{
    char vault[128], key[128], version[64], *url = NULL;
    if (model_uri_parse(key_uri, vault, key, version) == 0 && kv_name_valid(key) &&
        kv_version_valid(version) && alg) {
        char *base = model_uri_normalise(key_uri);
        char *host_end = strchr(base + 8, '/');
        *host_end = '\0';
        url = xasprintf("%s/keys/%s/%s/%s?api-version=%s", base, key, version, op, KV_API);
        free(base);
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "alg", alg ? alg : "");
    char *v = json_b64url_encode(value ? value : (const unsigned char *)"", value ? len : 0);
    cJSON_AddStringToObject(j, "value", v);
    OPENSSL_cleanse(v, strlen(v));
    free(v);
    char *body = json_text(j);
    cJSON *item = cJSON_GetObjectItemCaseSensitive(j, "value");
    OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
    cJSON_Delete(j);
    return send_for_bytes(az, url, body, true, fn, arg);
}

struct az_call *kv_wrap(struct azure *az, const char *key_uri, const char *alg,
                        const unsigned char *value, size_t len, kv_bytes_fn fn, void *arg)
{
    return crypto_op(az, key_uri, "wrapkey", alg, value, len, fn, arg);
}

struct az_call *kv_unwrap(struct azure *az, const char *key_uri, const char *alg,
                          const unsigned char *value, size_t len, kv_bytes_fn fn, void *arg)
{
    return crypto_op(az, key_uri, "unwrapkey", alg, value, len, fn, arg);
}
