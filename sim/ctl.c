#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fault.h"
#include "instance.h"
#include "maint.h"
#include "mimodel.h"
#include "sim.h"
#include "simclock.h"
#include "tags.h"
#include "world.h"
#include "xmem.h"

static char token[80];

void ctl_set_token(const char *t)
{
    snprintf(token, sizeof token, "%s", t);
}

const char *ctl_token(void)
{
    return token;
}

static void reply_error(struct http_resp *resp, int status, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(body, "error");
    cJSON_AddStringToObject(error, "code", status == 401 ? "Unauthorized" : "BadRequest");
    cJSON_AddStringToObject(error, "message", message);
    http_resp_json(resp, status, body);
}

static bool authorized(const struct http_req *req)
{
    const char *h = http_header(req, "Authorization");
    size_t n = strlen(token);
    return h && strncmp(h, "Bearer ", 7) == 0 && strlen(h + 7) == n && n > 0 &&
           CRYPTO_memcmp(h + 7, token, n) == 0;
}

static cJSON *clock_json(void)
{
    char iso[32];
    int64_t now = simclock_now();
    simclock_format(now, iso, sizeof iso);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "now", (double)now);
    cJSON_AddStringToObject(j, "now_iso", iso);
    cJSON_AddNumberToObject(j, "scale", simclock_scale());
    return j;
}

static cJSON *model_json(struct sim *sim)
{
    cJSON *list = cJSON_CreateArray();
    world_rdlock(sim->world);
    for (size_t i = 0; i < sim->world->ninstances; i++) {
        const struct instance *mi = sim->world->instances[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", mi->name);
        cJSON_AddStringToObject(j, "region", mi->region);
        cJSON_AddStringToObject(j, "access", mimodel_access_name(mi->access));
        cJSON_AddStringToObject(j, "protector", mi->protector ? mi->protector : "ServiceManaged");
        cJSON_AddStringToObject(j, "serving", mi->serving ? mi->serving : "");
        cJSON_AddStringToObject(j, "last_error", mi->last_error);
        cJSON_AddNumberToObject(j, "lost_since", (double)mi->lost_since);
        cJSON_AddBoolToObject(j, "revalidate_needed", mi->revalidate_needed);
        cJSON_AddNumberToObject(j, "next_check", (double)mi->next_check);
        cJSON_AddNumberToObject(j, "inaccessible_events", (double)mi->inaccessible_events);
        cJSON_AddNumberToObject(j, "lost_events", (double)mi->lost_events);
        cJSON_AddItemToObject(j, "tags", tags_to_json(&mi->tags));
        cJSON *dbs = cJSON_AddArrayToObject(j, "databases");
        for (size_t d = 0; d < mi->ndbs; d++) {
            cJSON *db = cJSON_CreateObject();
            cJSON_AddStringToObject(db, "name", mi->dbs[d].name);
            cJSON_AddStringToObject(db, "status", db_status_name(mi->dbs[d].status));
            cJSON_AddItemToArray(dbs, db);
        }
        cJSON_AddItemToArray(list, j);
    }
    world_unlock(sim->world);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "instances", list);
    return out;
}

static cJSON *body_object(const struct http_req *req)
{
    cJSON *body = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

static void faults(const struct http_req *req, struct http_resp *resp, const char *id)
{
    if (strcmp(req->method, "GET") == 0 && id == NULL) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddItemToObject(body, "value", fault_list());
        http_resp_json(resp, 200, body);
    } else if (strcmp(req->method, "POST") == 0 && id == NULL) {
        cJSON *spec = body_object(req);
        char *cause = NULL;
        cJSON *added = spec ? fault_add(spec, &cause) : NULL;
        if (added)
            http_resp_json(resp, 201, added);
        else
            reply_error(resp, 400, cause ? cause : "the body must be a JSON object");
        free(cause);
        cJSON_Delete(spec);
    } else if (strcmp(req->method, "DELETE") == 0) {
        if (id == NULL)
            fault_clear_all();
        if (id && fault_clear(id) < 0)
            reply_error(resp, 404, "no such fault");
        else
            resp->status = 204;
    } else {
        reply_error(resp, 405, "method not allowed");
    }
}

static void advance(struct sim *sim, const struct http_req *req, struct http_resp *resp)
{
    cJSON *body = body_object(req);
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(body, "seconds");
    if (!cJSON_IsNumber(seconds) || seconds->valuedouble < 0 ||
        seconds->valuedouble > 10.0 * 365 * 86400) {
        reply_error(resp, 400, "give {\"seconds\": N} with 0 <= N <= ten years");
    } else {
        simclock_advance((int64_t)seconds->valuedouble);
        maint_tick(sim);
        http_resp_json(resp, 200, clock_json());
    }
    cJSON_Delete(body);
}

void ctl_handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
    struct sim *sim = ctx;
    const char *p = req->path;
    if (!authorized(req)) {
        reply_error(resp, 401, "missing or wrong admin token");
        return;
    }
    if (strcmp(p, "/faults") == 0)
        faults(req, resp, NULL);
    else if (strncmp(p, "/faults/", 8) == 0 && p[8])
        faults(req, resp, p + 8);
    else if (strcmp(p, "/clock") == 0 && strcmp(req->method, "GET") == 0)
        http_resp_json(resp, 200, clock_json());
    else if (strcmp(p, "/clock/advance") == 0 && strcmp(req->method, "POST") == 0)
        advance(sim, req, resp);
    else if (strcmp(p, "/model") == 0 && strcmp(req->method, "GET") == 0)
        http_resp_json(resp, 200, model_json(sim));
    else if (strcmp(p, "/model/check") == 0 && strcmp(req->method, "POST") == 0) {
        maint_tick(sim);
        http_resp_json(resp, 200, model_json(sim));
    } else
        reply_error(resp, 404, "unknown control endpoint");
}
