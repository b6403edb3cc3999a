#include "key.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "rsakey.h"
#include "xmem.h"

static const struct {
    unsigned bit;
    const char *name;
} keyop_names[] = {
    {KEYOP_ENCRYPT, "encrypt"}, {KEYOP_DECRYPT, "decrypt"}, {KEYOP_SIGN, "sign"},
    {KEYOP_VERIFY, "verify"},   {KEYOP_WRAP, "wrapKey"},    {KEYOP_UNWRAP, "unwrapKey"},
    {KEYOP_IMPORT, "import"},   {KEYOP_EXPORT, "export"},
};

struct key *key_create(const char *name)
{
    struct key *key = xcalloc(1, sizeof *key);
    key->name = xstrdup(name);
    return key;
}

void key_destroy(struct key *key)
{
    if (key == NULL)
        return;
    for (size_t i = 0; i < key->nversions; i++)
        key_version_destroy(key->versions[i]);
    free(key->versions);
    free(key->name);
    free(key);
}

struct key_version *key_version_create(struct rsakey *material, bool hsm, int64_t now)
{
    struct key_version *v = xcalloc(1, sizeof *v);
    key_version_id_random(v->id);
    v->material = rsakey_ref(material);
    v->hsm = hsm;
    v->ops = KEYOP_RSA_DEFAULT;
    v->enabled = true;
    v->created = v->updated = now;
    return v;
}

struct key_version *key_version_clone(const struct key_version *v)
{
    struct key_version *c = xmalloc(sizeof *c);
    *c = *v;
    c->material = rsakey_ref(v->material);
    c->tags.v = NULL;
    c->tags.n = 0;
    tags_copy(&c->tags, &v->tags);
    return c;
}

void key_version_destroy(struct key_version *v)
{
    if (v == NULL)
        return;
    rsakey_unref(v->material);
    tags_clear(&v->tags);
    free(v);
}

void key_add_version(struct key *key, struct key_version *v)
{
    key->versions = xrealloc(key->versions, key->nversions + 1, sizeof *key->versions);
    key->versions[key->nversions++] = v;
}

struct key_version *key_latest(const struct key *key)
{
    return key->nversions ? key->versions[key->nversions - 1] : NULL;
}

struct key_version *key_find_version(const struct key *key, const char *id)
{
    for (size_t i = 0; i < key->nversions; i++) {
        if (strcasecmp(key->versions[i]->id, id) == 0)
            return key->versions[i];
    }
    return NULL;
}

enum key_state key_state(const struct key *key, int64_t mono_ms, int64_t sim_now)
{
    bool in_transition = mono_ms < key->transition_until;
    if (!key->deleted)
        return in_transition ? KEY_RECOVERING : KEY_LIVE;
    if (in_transition)
        return KEY_DELETING;
    if (key->scheduled_purge != 0 && sim_now >= key->scheduled_purge)
        return KEY_PURGED;
    return KEY_DELETED;
}

bool key_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > KEY_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '-')
            return false;
    }
    return true;
}

bool key_version_id_valid(const char *id)
{
    if (strlen(id) != 32)
        return false;
    for (size_t i = 0; i < 32; i++) {
        if (!isxdigit((unsigned char)id[i]))
            return false;
    }
    return true;
}

void key_version_id_random(char out[KEY_VERSION_ID])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort(); /* the DRBG failing is not a state to serve from */
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[32] = '\0';
}

const char *key_version_unusable(const struct key_version *v, int64_t now, const char **what)
{
    if (!v->enabled) {
        *what = "a disabled key";
        return "KeyDisabled";
    }
    return key_version_out_of_window(v, now, what);
}

const char *key_version_out_of_window(const struct key_version *v, int64_t now, const char **what)
{
    if (v->exp != 0 && now >= v->exp) {
        *what = "an expired key";
        return "KeyExpired";
    }
    if (v->nbf != 0 && now < v->nbf) {
        *what = "a key that is not yet valid";
        return "KeyNotYetValid";
    }
    return NULL;
}

unsigned keyop_parse(const char *name)
{
    for (size_t i = 0; i < sizeof keyop_names / sizeof keyop_names[0]; i++) {
        if (strcmp(keyop_names[i].name, name) == 0)
            return keyop_names[i].bit;
    }
    return 0;
}

int keyops_from_json(const cJSON *array, unsigned *ops, char **cause)
{
    if (!cJSON_IsArray(array)) {
        xcause(cause, "key_ops must be an array of strings");
        return -1;
    }
    unsigned bits = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        unsigned bit = cJSON_IsString(item) ? keyop_parse(item->valuestring) : 0;
        if (bit == 0) {
            xcause(cause, "key_ops contains an invalid operation");
            return -1;
        }
        bits |= bit;
    }
    *ops = bits;
    return 0;
}

cJSON *keyops_to_json(unsigned ops)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof keyop_names / sizeof keyop_names[0]; i++) {
        if (ops & keyop_names[i].bit)
            cJSON_AddItemToArray(array, cJSON_CreateString(keyop_names[i].name));
    }
    return array;
}
