#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "b64.h"
#include "rsakey.h"
#include "xmem.h"

static const char *const db_statuses[] = {"Online", "Inaccessible", "Creating", "Offline"};

struct instance *instance_create(const char *name)
{
    struct instance *mi = xcalloc(1, sizeof *mi);
    mi->name = xstrdup(name);
    return mi;
}

static void server_key_cleanup(struct server_key *k)
{
    free(k->vault);
    free(k->key);
    free(k->version);
}

void instance_destroy(struct instance *mi)
{
    if (mi == NULL)
        return;
    for (size_t i = 0; i < mi->nkeys; i++)
        server_key_cleanup(&mi->keys[i]);
    free(mi->keys);
    for (size_t i = 0; i < mi->ndbs; i++) {
        free(mi->dbs[i].name);
        free(mi->dbs[i].collation);
    }
    free(mi->dbs);
    free(mi->name);
    free(mi->subscription_id);
    free(mi->resource_group);
    free(mi->region);
    free(mi->identity_oid);
    free(mi->identity_type);
    free(mi->identity_resource);
    free(mi->sku);
    free(mi->dns_zone);
    tags_clear(&mi->tags);
    free(mi->protector);
    free(mi->serving);
    free(mi);
}

char *server_key_name_of(const char *vault, const char *key, const char *version)
{
    if (version)
        return xasprintf("%s_%s_%s", vault, key, version);
    return xasprintf("%s_%s", vault, key);
}

char *server_key_name(const struct server_key *k)
{
    return server_key_name_of(k->vault, k->key, k->version);
}

struct server_key *instance_find_key(const struct instance *mi, const char *name)
{
    for (size_t i = 0; i < mi->nkeys; i++) {
        char *n = server_key_name(&mi->keys[i]);
        bool same = strcasecmp(n, name) == 0;
        free(n);
        if (same)
            return &mi->keys[i];
    }
    return NULL;
}

struct server_key *instance_find_thumbprint(const struct instance *mi, const char *thumbprint)
{
    for (size_t i = 0; i < mi->nkeys; i++) {
        if (strcasecmp(mi->keys[i].thumbprint, thumbprint) == 0)
            return &mi->keys[i];
    }
    return NULL;
}

void instance_add_key(struct instance *mi, const char *vault, const char *key, const char *version,
                      const char *thumbprint, int64_t created)
{
    mi->keys = xrealloc(mi->keys, mi->nkeys + 1, sizeof *mi->keys);
    struct server_key *k = &mi->keys[mi->nkeys++];
    memset(k, 0, sizeof *k);
    k->vault = xstrdup(vault);
    k->key = xstrdup(key);
    k->version = version ? xstrdup(version) : NULL;
    snprintf(k->thumbprint, sizeof k->thumbprint, "%s", thumbprint);
    k->created = created;
}

void instance_remove_key(struct instance *mi, const char *name)
{
    struct server_key *k = instance_find_key(mi, name);
    if (k == NULL)
        return;
    size_t i = (size_t)(k - mi->keys);
    server_key_cleanup(k);
    memmove(&mi->keys[i], &mi->keys[i + 1], (mi->nkeys - i - 1) * sizeof *mi->keys);
    mi->nkeys--;
}

struct database *instance_find_db(const struct instance *mi, const char *name)
{
    for (size_t i = 0; i < mi->ndbs; i++) {
        if (strcasecmp(mi->dbs[i].name, name) == 0)
            return &mi->dbs[i];
    }
    return NULL;
}

void instance_add_db(struct instance *mi, const char *name, enum db_status status, int64_t created)
{
    mi->dbs = xrealloc(mi->dbs, mi->ndbs + 1, sizeof *mi->dbs);
    mi->dbs[mi->ndbs++] =
        (struct database){xstrdup(name), status, created, xstrdup("SQL_Latin1_General_CP1_CI_AS")};
}

const char *db_status_name(enum db_status status)
{
    return db_statuses[status];
}

int db_status_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof db_statuses / sizeof db_statuses[0]); i++) {
        if (strcasecmp(db_statuses[i], name) == 0)
            return i;
    }
    return -1;
}

void instance_thumbprint(const struct rsakey *key, char out[THUMBPRINT_LEN])
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char *n = NULL, digest[EVP_MAX_MD_SIZE];
    size_t len = 0;
    unsigned int dlen = 0;
    if (b64_decode(rsakey_n(key), strlen(rsakey_n(key)), &n, &len) < 0 ||
        EVP_Digest(n, len, digest, &dlen, EVP_sha1(), NULL) != 1 || dlen != 20)
        abort(); /* rsakey_n is our own encoding; SHA-1 does not fail */
    free(n);
    for (size_t i = 0; i < 20; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[40] = '\0';
}

void failover_group_destroy(struct failover_group *fg)
{
    if (fg == NULL)
        return;
    free(fg->name);
    free(fg->subscription_id);
    free(fg->resource_group);
    free(fg->primary);
    free(fg->secondary);
    free(fg->secondary_type);
    free(fg);
}

void private_endpoint_destroy(struct private_endpoint *pe)
{
    if (pe == NULL)
        return;
    free(pe->name);
    free(pe->subscription_id);
    free(pe->resource_group);
    free(pe->region);
    free(pe->vault);
    free(pe->status);
    free(pe->ip);
    free(pe);
}
