/*
 * kvint — what the kv*.c files share: the parsed request, the operation table
 * and the helpers that write Key Vault's answers. Not for use outside kv*.c.
 *
 * Files: kv.c (pipeline), kvroute.c (paths, api-versions, the op table),
 * kvauth.c (token, firewall, permissions), kvjson.c (bundles, items, paging,
 * errors), kvkeys.c (create/import/get/update/list/rotate/policy),
 * kvdeleted.c (delete/recover/purge), kvbackup.c (backup/restore),
 * kvcrypto.c (wrap/unwrap/encrypt/decrypt/sign/verify/rng).
 */
#ifndef AZSIM_KVINT_H
#define AZSIM_KVINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "key.h"
#include "token.h"

struct sim;
struct vault;
struct world;
struct rsakey;

enum kv_op {
    KV_NONE,
    KV_GET_KEY,
    KV_LIST_KEYS,
    KV_LIST_VERSIONS,
    KV_CREATE,
    KV_IMPORT,
    KV_UPDATE,
    KV_DELETE,
    KV_BACKUP,
    KV_RESTORE,
    KV_ROTATE,
    KV_GET_POLICY,
    KV_SET_POLICY,
    KV_ENCRYPT,
    KV_DECRYPT,
    KV_WRAP,
    KV_UNWRAP,
    KV_SIGN,
    KV_VERIFY,
    KV_RELEASE,
    KV_ATTESTATION,
    KV_LIST_DELETED,
    KV_GET_DELETED,
    KV_RECOVER,
    KV_PURGE,
    KV_RNG,
    KV_OP_COUNT
};

struct kv_ctx;
typedef void (*kv_op_fn)(struct kv_ctx *ctx);

struct kv_opinfo {
    const char *word;        /* the service's operation name, for messages */
    uint32_t perm;           /* access-policy permission (enum kperm), 0 = none */
    const char *data_action; /* RBAC data action */
    bool writes;             /* changes the vault: exclusive lock + persist */
    bool has_body;           /* expects a JSON object body */
    kv_op_fn fn;
};

const struct kv_opinfo *kv_opinfo(enum kv_op op);

struct kv_route {
    enum kv_op op;
    char name[KEY_NAME_MAX + 1];       /* "" when the route has none */
    char version[KEY_VERSION_ID + 16]; /* "" = latest */
};

/*
 * Parses method + path. Returns 0 with *route filled, or the HTTP status to
 * answer (400 or 404) with *code and *message (heap) describing why.
 */
int kv_route_parse(const char *method, const char *path, struct kv_route *route, const char **code,
                   char **message);

/* api-version: 0 when accepted (filling *level), -1 when unknown or missing. */
struct kv_api {
    int level; /* 70..76 for 7.x, 80+ for the date-named versions */
};
int kv_api_parse(const char *text, struct kv_api *api);

struct kv_ctx {
    struct sim *sim;
    struct world *world;
    struct vault *vault;
    const struct http_req *req;
    struct http_resp *resp;
    struct kv_route route;
    struct kv_api api;
    struct identity who;
    cJSON *body;           /* the request's JSON object, or NULL */
    char *base;            /* https://{vault}.vault.{suffix}:PORT (heap) */
    struct rsakey *pregen; /* material generated before the write lock, or NULL */
    int64_t now;           /* simulated Unix seconds */
    int64_t mono;          /* real monotonic ms */
    bool changed;          /* the operation changed state: persist */
};

/* kvauth.c */
bool kv_authenticate(struct kv_ctx *ctx);
bool kv_firewall_allows(struct kv_ctx *ctx);
bool kv_authorize(struct kv_ctx *ctx);

/* kvjson.c: answers */
void kv_error(struct kv_ctx *ctx, int status, const char *code, const char *inner, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));
void kv_key_not_found(struct kv_ctx *ctx);
void kv_reply(struct kv_ctx *ctx, cJSON *body); /* 200 */
char *kv_kid(const struct kv_ctx *ctx, const struct key *key, const struct key_version *v);
cJSON *kv_bundle(const struct kv_ctx *ctx, const struct key *key, const struct key_version *v);
cJSON *kv_deleted_bundle(const struct kv_ctx *ctx, const struct key *key);
cJSON *kv_item(const struct kv_ctx *ctx, const struct key *key, const struct key_version *v,
               bool versioned);
cJSON *kv_deleted_item(const struct kv_ctx *ctx, const struct key *key);
/* Paging: start and count from $skiptoken and maxresults; false after answering 400. */
bool kv_page_bounds(struct kv_ctx *ctx, size_t total, size_t *start, size_t *count);
void kv_page_reply(struct kv_ctx *ctx, cJSON *values, size_t next, size_t total);

/* Answers a page of the vault's keys in `state`, sorted by name, each made by item(). */
void kv_list_keys_in_state(struct kv_ctx *ctx, enum key_state state,
                           cJSON *(*item)(const struct kv_ctx *, const struct key *));

/* Lookups shared by the handlers: answer 404/409 themselves and return NULL. */
struct key *kv_live_key(struct kv_ctx *ctx);
struct key_version *kv_version(struct kv_ctx *ctx, struct key *key);
/* 409 for a name that is being deleted, deleted, or being recovered; true if answered. */
bool kv_name_blocked(struct kv_ctx *ctx, struct key *key);
/* Reads attributes (enabled, nbf, exp, exportable) from the body into v; false after 400. */
bool kv_apply_attributes(struct kv_ctx *ctx, const cJSON *attrs, struct key_version *v);

/* Operation handlers. */
void kv_op_get_key(struct kv_ctx *ctx);
void kv_op_list_keys(struct kv_ctx *ctx);
void kv_op_list_versions(struct kv_ctx *ctx);
void kv_op_create(struct kv_ctx *ctx);
void kv_op_import(struct kv_ctx *ctx);
void kv_op_update(struct kv_ctx *ctx);
void kv_op_rotate(struct kv_ctx *ctx);
void kv_op_get_policy(struct kv_ctx *ctx);
void kv_op_set_policy(struct kv_ctx *ctx);
void kv_op_delete(struct kv_ctx *ctx);
void kv_op_list_deleted(struct kv_ctx *ctx);
void kv_op_get_deleted(struct kv_ctx *ctx);
void kv_op_recover(struct kv_ctx *ctx);
void kv_op_purge(struct kv_ctx *ctx);
void kv_op_backup(struct kv_ctx *ctx);
void kv_op_restore(struct kv_ctx *ctx);
void kv_op_crypto(struct kv_ctx *ctx); /* encrypt/decrypt/wrap/unwrap/sign/verify */
void kv_op_release(struct kv_ctx *ctx);
void kv_op_rng(struct kv_ctx *ctx);

/* Parameters of a key to generate, read from a create body (kvkeys.c). */
struct kv_newkey {
    bool hsm;
    int bits;
    unsigned long exponent;
};
/* Validates the create body; false after answering 400. */
bool kv_newkey_from_body(struct kv_ctx *ctx, struct kv_newkey *out);

#endif
