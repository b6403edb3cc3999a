/*
 * armint — what the arm*.c files share: the request context, the route table
 * types, answers in ARM's shapes, resource ids, paging and long-running
 * operations. Not for use outside arm*.c.
 *
 * Files: arm.c (front door, routes), armlro.c (operations), armjson.c
 * (errors, ids, paging), armsql.c (instances, keys, protector, databases),
 * armfog.c (failover groups), armkv.c (vaults), armnet.c (private endpoints),
 * armauthz.c (role assignments), armtags.c (Microsoft.Resources tags at a resource).
 */
#ifndef AZSIM_ARMINT_H
#define AZSIM_ARMINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "token.h"

struct sim;
struct world;
struct instance;
struct vault;

#define ARM_MAX_PARAMS 6

struct arm_ctx {
    struct sim *sim;
    struct world *world;
    const struct http_req *req;
    struct http_resp *resp;
    struct identity who;
    const char *api;                    /* the api-version asked for */
    const char *params[ARM_MAX_PARAMS]; /* the route's {placeholders}, in order */
    int nparams;
    cJSON *body;      /* a PUT/POST body parsed as a JSON object, or NULL */
    int64_t now;      /* simulated Unix seconds */
    bool changed;     /* persist after the handler */
    char origin[160]; /* https://management.localhost:PORT */
};

typedef void (*arm_fn)(struct arm_ctx *ctx);

struct arm_route {
    const char *method;
    const char *pattern; /* "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Sql/..." */
    arm_fn fn;
    const char *action; /* RBAC action, e.g. "Microsoft.Sql/managedInstances/read" */
};

/* Route tables of the providers (NULL-terminated by a route with method NULL). */
extern const struct arm_route armsql_routes[];
extern const struct arm_route armfog_routes[];
extern const struct arm_route armkv_routes[];
extern const struct arm_route armnet_routes[];
extern const struct arm_route armauthz_routes[];
extern const struct arm_route armtags_routes[];

/* -- answers (armjson.c) -------------------------------------------------------------- */
void arm_error(struct arm_ctx *ctx, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void arm_reply(struct arm_ctx *ctx, int status, cJSON *body);
/* The standard 404 for a resource of `type` (e.g. "Microsoft.Sql/managedInstances") and name. */
void arm_not_found(struct arm_ctx *ctx, const char *type, const char *name);
/* A list page: {"value":[...], "nextLink"?}; honours $top/$skiptoken for large lists. */
void arm_reply_list(struct arm_ctx *ctx, cJSON *values);

/* "Japan East" / "japaneast" / "JapanEast" -> "japaneast" (out has room for 64). */
void arm_location(const char *text, char out[64]);
/* "2025-11-29T15:20:01.000Z" for simulated Unix seconds, into buf (>= 32). */
void arm_time(int64_t t, char *buf, size_t size);

/* Resource ids. */
char *arm_rg_id(const char *sub, const char *rg);
char *arm_instance_id(const struct instance *mi);
char *arm_vault_id(const struct vault *v);

/* Lookups that answer 404 themselves and return NULL. */
struct instance *arm_find_instance(struct arm_ctx *ctx, const char *sub, const char *rg,
                                   const char *name);
struct vault *arm_find_vault(struct arm_ctx *ctx, const char *sub, const char *rg,
                             const char *name);

/* -- long-running operations (armlro.c) ------------------------------------------------ */
typedef void (*arm_apply_fn)(struct sim *sim, void *payload);

/*
 * A long-running operation. It ends settings.arm_operation_ms after it
 * starts. On success (error_code NULL) apply(payload) runs then, under the
 * world write lock, and result_body (if any) is what the Location URL answers
 * at the end (for POST actions). On failure the operation ends Failed with
 * error_code/error_message and nothing changes.
 */
struct arm_lro {
    const char *kind;     /* the family as SQL names it: "managedInstanceKey" */
    const char *region;   /* where it runs: the resource's region */
    const char *resource; /* the resource id it changes (for arm_lro_busy) */
    int status;           /* the first answer: 202, or 200/201 with initial_body */
    cJSON *initial_body;  /* taken */
    arm_apply_fn apply;
    void *payload;
    void (*free_payload)(void *);
    cJSON *result_body; /* taken */
    const char *error_code;
    char *error_message; /* taken */
    int error_status;    /* what the Location URL answers for the failure (default 400) */
};

/* Starts op and answers the request (status, Azure-AsyncOperation, Location, Retry-After). */
void arm_lro_start(struct arm_ctx *ctx, struct arm_lro *op);
/* GET .../locations/{loc}/{kind}AzureAsyncOperation/{id} and .../{kind}OperationResults/{id}. */
void arm_lro_poll(struct arm_ctx *ctx);
/* Forgets every operation (at exit). */
void arm_shutdown_ops(void);
/* True while an operation of kind on resource is running (e.g. a protector change). */
bool arm_lro_busy(const char *kind, const char *resource);

#endif
