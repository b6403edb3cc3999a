#include "kvparse.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "json.h"
#include "xmem.h"

/* JWK key_ops names (RFC 7517 spelling; compared case-insensitively). */
static const struct {
    const char *name;
    unsigned bit;
} op_names[] = {
    {"encrypt", MODEL_OP_ENCRYPT},  {"decrypt", MODEL_OP_DECRYPT}, {"wrapKey", MODEL_OP_WRAP},
    {"unwrapKey", MODEL_OP_UNWRAP}, {"sign", MODEL_OP_SIGN},       {"verify", MODEL_OP_VERIFY},
    {"import", MODEL_OP_IMPORT},    {"export", MODEL_OP_EXPORT},
};

unsigned kvparse_op_bit(const char *name)
{
    for (size_t i = 0; name && i < sizeof op_names / sizeof op_names[0]; i++) {
        if (strcasecmp(name, op_names[i].name) == 0)
            return op_names[i].bit;
    }
    return 0;
}

/*
 * A kid: its normalised form in *norm (heap, may be NULL) and the key name and
 * version ("" when versionless). -1 when it is not a key identifier.
 */
static int parse_kid(const char *kid, char **norm, char name[128], char version[64])
{
    char vault[128];
    if (norm)
        *norm = NULL;
    if (kid == NULL || model_uri_parse(kid, vault, name, version) < 0 || name[0] == '\0')
        return -1;
    if (norm)
        *norm = model_uri_normalise(kid);
    return 0;
}

static void read_attributes(const cJSON *item, struct model_version *v)
{
    const cJSON *a = json_object(item, "attributes");
    v->enabled = json_bool(a, "enabled", true); /* Key Vault's default */
    v->nbf = json_int64_or(a, "nbf", 0);
    v->exp = json_int64_or(a, "exp", 0);
    v->created = json_int64_or(a, "created", 0);
    v->updated = json_int64_or(a, "updated", 0);
    v->recovery_level = json_dup(a, "recoveryLevel");
}

static void read_ops(const cJSON *key, struct model_version *v)
{
    const cJSON *ops = json_array(key, "key_ops"), *op;
    if (ops == NULL)
        return;
    v->ops_known = true;
    cJSON_ArrayForEach(op, ops)
    {
        if (cJSON_IsString(op))
            v->ops |= kvparse_op_bit(op->valuestring);
    }
}

static int bit_length(const unsigned char *n, size_t len)
{
    while (len > 0 && *n == 0) {
        n++;
        len--;
    }
    if (len == 0 || len > 1024) /* over 8192 bits is no RSA key Key Vault makes */
        return 0;
    int bits = (int)(len - 1) * 8;
    for (unsigned top = n[0]; top; top >>= 1)
        bits++;
    return bits;
}

/* RSA n and e, when the JWK has them: modulus size and fingerprint. */
static int read_rsa(const cJSON *key, struct model_version *v, char **cause)
{
    const char *n64 = json_str(key, "n"), *e64 = json_str(key, "e");
    unsigned char *n = NULL, *e = NULL;
    size_t nlen = 0, elen = 0;
    int rc = -1;
    if (n64 == NULL || e64 == NULL)
        return 0; /* not an RSA key, or a view without material */
    if (json_b64_decode(n64, strlen(n64), &n, &nlen) < 0) {
        xcause(cause, "key.n: not base64url");
        goto out;
    }
    if (json_b64_decode(e64, strlen(e64), &e, &elen) < 0) {
        xcause(cause, "key.e: not base64url");
        goto out;
    }
    v->bits = bit_length(n, nlen);
    if (v->bits == 0 || bit_length(e, elen) == 0) {
        xcause(cause, "key.%s: not an RSA public key value", v->bits ? "e" : "n");
        goto out;
    }
    model_fingerprint(n, nlen, e, elen, v->fingerprint);
    rc = 0;
out:
    free(n);
    free(e);
    return rc;
}

int kvparse_key_bundle(const char *body, size_t len, struct model_version *out, char **key_name,
                       char **cause)
{
    memset(out, 0, sizeof *out);
    if (key_name)
        *key_name = NULL;
    char name[128], version[64];
    int rc = -1;
    cJSON *root = json_parse_object(body, len, cause);
    const cJSON *key = root ? json_need_object(root, "key", "", cause) : NULL;
    const char *kid = key ? json_need_str(key, "kid", "key", cause) : NULL;
    if (kid == NULL)
        goto out;
    if (parse_kid(kid, &out->kid, name, version) < 0 || version[0] == '\0') {
        xcause(cause, "key.kid: not a key identifier with a version");
        goto out;
    }
    out->version = xstrdup(version);
    out->kty = json_dup(key, "kty");
    read_attributes(root, out);
    read_ops(key, out);
    if (read_rsa(key, out, cause) < 0)
        goto out;
    if (key_name)
        *key_name = xstrdup(name);
    rc = 0;
out:
    if (rc < 0)
        model_version_cleanup(out);
    cJSON_Delete(root);
    return rc;
}

/* -- lists ------------------------------------------------------------------------------------ */

/*
 * A list item whose kid is not a key identifier makes the page unusable rather
 * than being skipped: a skipped item would read as a key that is not there,
 * and a missing protector key is a CRITICAL finding; an unreadable page is D01.
 */
static int bad_kid(const char *where, char **cause)
{
    xcause(cause, "%s.kid: not a Key Vault key identifier", where);
    return -1;
}

static int key_name_item(const cJSON *elem, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    char name[128], version[64];
    if (!cJSON_IsObject(elem)) {
        xcause(cause, "%s: expected an object", where);
        return -1;
    }
    const char *kid = json_need_str(elem, "kid", where, cause);
    if (kid == NULL)
        return -1;
    if (parse_kid(kid, NULL, name, version) < 0)
        return bad_kid(where, cause);
    *(char **)slot = xstrdup(name);
    return 0;
}

static void free_string_slot(void *slot)
{
    free(*(char **)slot);
}

int kvparse_key_list(const char *body, size_t len, char ***names, size_t *n, char **next_link,
                     char **cause)
{
    void *items;
    int rc = json_page(body, len, sizeof(char *), key_name_item, free_string_slot, NULL, &items, n,
                       next_link, cause);
    *names = items;
    return rc;
}

static int version_item(const cJSON *elem, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_version *v = slot;
    char name[128], version[64];
    if (!cJSON_IsObject(elem)) {
        xcause(cause, "%s: expected an object", where);
        return -1;
    }
    const char *kid = json_need_str(elem, "kid", where, cause);
    if (kid == NULL)
        return -1;
    if (parse_kid(kid, &v->kid, name, version) < 0 || version[0] == '\0') {
        model_version_cleanup(v);
        return bad_kid(where, cause);
    }
    v->version = xstrdup(version);
    read_attributes(elem, v);
    return 0;
}

static void version_slot_cleanup(void *slot)
{
    model_version_cleanup(slot);
}

int kvparse_version_list(const char *body, size_t len, struct model_version **versions, size_t *n,
                         char **next_link, char **cause)
{
    void *items;
    int rc = json_page(body, len, sizeof(struct model_version), version_item, version_slot_cleanup,
                       NULL, &items, n, next_link, cause);
    *versions = items;
    return rc;
}

static int deleted_item(const cJSON *elem, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct kv_deleted *d = slot;
    char name[128], version[64];
    if (!cJSON_IsObject(elem)) {
        xcause(cause, "%s: expected an object", where);
        return -1;
    }
    const char *kid = json_need_str(elem, "kid", where, cause);
    if (kid == NULL)
        return -1;
    if (parse_kid(kid, NULL, name, version) < 0)
        return bad_kid(where, cause);
    d->name = xstrdup(name);
    d->recovery_id = json_dup(elem, "recoveryId");
    d->deleted_date = json_int64_or(elem, "deletedDate", 0);
    d->scheduled_purge = json_int64_or(elem, "scheduledPurgeDate", 0);
    return 0;
}

static void deleted_slot_cleanup(void *slot)
{
    struct kv_deleted *d = slot;
    free(d->name);
    free(d->recovery_id);
    memset(d, 0, sizeof *d);
}

int kvparse_deleted_list(const char *body, size_t len, struct kv_deleted **items, size_t *n,
                         char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof(struct kv_deleted), deleted_item, deleted_slot_cleanup,
                       NULL, &arr, n, next_link, cause);
    *items = arr;
    return rc;
}

void kvparse_deleted_free(struct kv_deleted *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].name);
        free(items[i].recovery_id);
    }
    free(items);
}

/* -- single answers --------------------------------------------------------------------------- */

int kvparse_rotation_policy(const char *body, size_t len, struct model_rotation *out, char **cause)
{
    memset(out, 0, sizeof *out);
    cJSON *root = json_parse_object(body, len, cause);
    if (root == NULL)
        return -1;
    const cJSON *actions = json_array(root, "lifetimeActions"), *a;
    cJSON_ArrayForEach(a, actions)
    {
        const char *type = json_str(a, "action.type");
        if (type && strcasecmp(type, "Rotate") == 0)
            out->rotate = true;
        else if (type && strcasecmp(type, "Notify") == 0)
            out->notify = true;
    }
    const char *expiry = json_str(root, "attributes.expiryTime");
    out->expiry_time = expiry && *expiry ? xstrdup(expiry) : NULL;
    out->read = true;
    cJSON_Delete(root);
    return 0;
}

int kvparse_value(const char *body, size_t len, unsigned char **value, size_t *vlen, char **kid,
                  char **cause)
{
    *value = NULL;
    *vlen = 0;
    if (kid)
        *kid = NULL;
    int rc = -1;
    cJSON *root = json_parse_object(body, len, cause);
    const char *text = root ? json_need_str(root, "value", "", cause) : NULL;
    if (text == NULL)
        goto out;
    if (json_b64_decode(text, strlen(text), value, vlen) < 0) {
        xcause(cause, "value: not base64url");
        goto out;
    }
    if (kid)
        *kid = model_uri_normalise(json_str(root, "kid"));
    rc = 0;
out:
    if (text) {
        /* An unwrapped key is a secret: do not leave its text in freed memory. */
        cJSON *node = cJSON_GetObjectItemCaseSensitive(root, "value");
        OPENSSL_cleanse(node->valuestring, strlen(node->valuestring));
    }
    cJSON_Delete(root);
    return rc;
}
