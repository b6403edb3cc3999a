/*
 * Long-running operations as ARM providers run them: the first answer is 202
 * (or 201/200 with a body) with Azure-AsyncOperation (a status resource),
 * Location (answers 202 until done, then the result) and Retry-After. The
 * change happens when the operation ends, settings.arm_operation_ms later.
 * Operations live in memory only: a restarted azsim has none in flight.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "armint.h"
#include "sim.h"
#include "simclock.h"
#include "world.h"
#include "xmem.h"

#define MAX_OPS      4096
#define KEEP_DONE_MS (3600 * 1000)

struct op {
    char id[37];
    char kind[64];
    char region[64];
    char *resource;
    char *sub;
    int64_t start, end; /* wall-clock seconds, for startTime/endTime */
    int64_t due_ms;     /* real monotonic ms */
    int64_t done_ms;    /* 0 while running */
    arm_apply_fn apply;
    void *payload;
    void (*free_payload)(void *);
    cJSON *result;
    char *error_code, *error_message;
    int error_status;
};

/* Guarded by the world write lock: every caller holds it. */
static struct op **ops;
static size_t nops;

static void op_free(struct op *op)
{
    if (op->free_payload)
        op->free_payload(op->payload);
    cJSON_Delete(op->result);
    free(op->resource);
    free(op->sub);
    free(op->error_code);
    free(op->error_message);
    free(op);
}

void arm_shutdown_ops(void)
{
    for (size_t i = 0; i < nops; i++)
        op_free(ops[i]);
    free(ops);
    ops = NULL;
    nops = 0;
}

/* Ends the operations that are due and forgets old ones. World write lock held. */
static bool complete_due(struct sim *sim)
{
    int64_t now = simclock_mono_ms();
    bool changed = false;
    size_t keep = 0;
    for (size_t i = 0; i < nops; i++) {
        struct op *op = ops[i];
        if (op->done_ms == 0 && op->due_ms <= now) {
            op->done_ms = now;
            op->end = simclock_wall();
            if (op->error_code == NULL && op->apply) {
                op->apply(sim, op->payload);
                changed = true;
            }
        }
        if (op->done_ms && now - op->done_ms > KEEP_DONE_MS)
            op_free(op);
        else
            ops[keep++] = op;
    }
    nops = keep;
    return changed;
}

void arm_tick(struct sim *sim)
{
    world_wrlock(sim->world);
    if (complete_due(sim))
        sim_persist(sim);
    world_unlock(sim->world);
}

static char *sub_of(const char *resource)
{
    const char *p = strncasecmp(resource, "/subscriptions/", 15) == 0 ? resource + 15 : resource;
    return xstrndup(p, strcspn(p, "/"));
}

void arm_lro_start(struct arm_ctx *ctx, struct arm_lro *spec)
{
    struct op *op = xcalloc(1, sizeof *op);
    http_uuid(op->id);
    snprintf(op->kind, sizeof op->kind, "%s", spec->kind);
    arm_location(spec->region, op->region);
    op->resource = xstrdup(spec->resource);
    op->sub = sub_of(spec->resource);
    op->start = simclock_wall();
    op->due_ms = simclock_mono_ms() + ctx->world->settings.arm_operation_ms;
    op->apply = spec->apply;
    op->payload = spec->payload;
    op->free_payload = spec->free_payload;
    op->result = spec->result_body;
    op->error_code = spec->error_code ? xstrdup(spec->error_code) : NULL;
    op->error_message = spec->error_message;
    op->error_status = spec->error_status ? spec->error_status : 400;
    complete_due(ctx->sim);
    if (nops == MAX_OPS) { /* never more than this in memory: drop the oldest */
        op_free(ops[0]);
        memmove(&ops[0], &ops[1], (nops - 1) * sizeof *ops);
        nops--;
    }
    ops = xrealloc(ops, nops + 1, sizeof *ops);
    ops[nops++] = op;

    char *base = xasprintf("%s/subscriptions/%s/providers/Microsoft.Sql/locations/%s/%s",
                           ctx->origin, op->sub, op->region, op->kind);
    http_resp_header(ctx->resp, "Azure-AsyncOperation", "%sAzureAsyncOperation/%s?api-version=%s",
                     base, op->id, ctx->api);
    http_resp_header(ctx->resp, "Location", "%sOperationResults/%s?api-version=%s", base, op->id,
                     ctx->api);
    http_resp_header(ctx->resp, "Retry-After", "1");
    http_resp_note(ctx->resp, "operation=%s", op->id);
    free(base);
    arm_reply(ctx, spec->status, spec->initial_body);
}

bool arm_lro_busy(const char *kind, const char *resource)
{
    for (size_t i = 0; i < nops; i++) {
        if (ops[i]->done_ms == 0 && strcasecmp(ops[i]->kind, kind) == 0 &&
            strcasecmp(ops[i]->resource, resource) == 0)
            return true;
    }
    return false;
}

static cJSON *status_body(const struct op *op)
{
    char start[32], end[32];
    arm_time(op->start, start, sizeof start);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", op->id);
    cJSON_AddStringToObject(j, "status",
                            op->done_ms == 0 ? "InProgress"
                            : op->error_code ? "Failed"
                                             : "Succeeded");
    cJSON_AddStringToObject(j, "startTime", start);
    if (op->done_ms) {
        arm_time(op->end, end, sizeof end);
        cJSON_AddStringToObject(j, "endTime", end);
    }
    if (op->done_ms && op->error_code) {
        cJSON *e = cJSON_AddObjectToObject(j, "error");
        cJSON_AddStringToObject(e, "code", op->error_code);
        cJSON_AddStringToObject(e, "message", op->error_message ? op->error_message : "");
    }
    return j;
}

void arm_lro_poll(struct arm_ctx *ctx)
{
    const char *what = ctx->params[2], *id = ctx->params[3];
    size_t n = strlen(what);
    bool async = n > 19 && strcasecmp(what + n - 19, "AzureAsyncOperation") == 0;
    bool results = n > 16 && strcasecmp(what + n - 16, "OperationResults") == 0;
    if (complete_due(ctx->sim))
        ctx->changed = true;
    struct op *op = NULL;
    for (size_t i = 0; i < nops && !op; i++) {
        if (strcasecmp(ops[i]->id, id) == 0)
            op = ops[i];
    }
    if (op == NULL || (!async && !results)) {
        arm_error(ctx, 404, "ResourceNotFound", "The operation '%.64s' was not found.", id);
        return;
    }
    if (async) {
        if (op->done_ms == 0)
            http_resp_header(ctx->resp, "Retry-After", "1");
        arm_reply(ctx, 200, status_body(op));
        return;
    }
    if (op->done_ms == 0) {
        http_resp_header(ctx->resp, "Location", "%s%s?api-version=%s", ctx->origin, ctx->req->path,
                         ctx->api);
        http_resp_header(ctx->resp, "Retry-After", "1");
        arm_reply(ctx, 202, NULL);
    } else if (op->error_code) {
        arm_error(ctx, op->error_status, op->error_code, "%s",
                  op->error_message ? op->error_message : "");
    } else {
        arm_reply(ctx, op->result ? 200 : 204, op->result ? cJSON_Duplicate(op->result, 1) : NULL);
    }
}
