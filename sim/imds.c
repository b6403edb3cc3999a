#include "imds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "fault.h"
#include "sim.h"
#include "simclock.h"
#include "token.h"
#include "world.h"
#include "xmem.h"

static char identity_header[65];

void imds_set_identity_header(const char *secret)
{
    snprintf(identity_header, sizeof identity_header, "%s", secret);
}

const char *imds_identity_header(void)
{
    return identity_header;
}

static void imds_error(struct http_resp *resp, int status, const char *error,
                       const char *description)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", error);
    cJSON_AddStringToObject(body, "error_description", description);
    http_resp_json(resp, status, body);
    http_resp_note(resp, "error=%s", error);
}

/* The managed identity a request asks for, or NULL. */
static const struct principal *pick_identity(const struct world *w, const struct http_req *req)
{
    const char *client = http_query(req, "client_id");
    const char *object = http_query(req, "object_id");
    const char *res = http_query(req, "msi_res_id");
    if (res == NULL)
        res = http_query(req, "mi_res_id");
    for (size_t i = 0; i < w->nprincipals; i++) {
        const struct principal *p = &w->principals[i];
        if (p->kind != PRINCIPAL_MANAGED_IDENTITY)
            continue;
        if (client   ? strcasecmp(client, p->client_id) == 0
            : object ? strcasecmp(object, p->object_id) == 0
            : res    ? p->resource_id && strcasecmp(res, p->resource_id) == 0
                     : p->imds_default)
            return p;
    }
    return NULL;
}

static void token_reply(const struct sim *sim, struct http_resp *resp, const struct principal *p,
                        const char *resource)
{
    int expires_in = 0;
    char *token = token_mint(sim, p, resource, "0", &expires_in);
    int64_t now = simclock_wall();
    char in[24], on[24], nb[24];
    snprintf(in, sizeof in, "%d", expires_in);
    snprintf(on, sizeof on, "%lld", (long long)now + expires_in);
    snprintf(nb, sizeof nb, "%lld", (long long)now);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "access_token", token);
    cJSON_AddStringToObject(body, "client_id", p->client_id);
    cJSON_AddStringToObject(body, "expires_in", in);
    cJSON_AddStringToObject(body, "expires_on", on);
    cJSON_AddStringToObject(body, "ext_expires_in", in);
    cJSON_AddStringToObject(body, "not_before", nb);
    cJSON_AddStringToObject(body, "resource", resource);
    cJSON_AddStringToObject(body, "token_type", "Bearer");
    OPENSSL_cleanse(token, strlen(token));
    free(token);
    http_resp_json(resp, 200, body);
    http_resp_note(resp, "token for %s to %s", p->name, resource);
}

/* Checks the caller's proof that it runs on the host; false after answering. */
static bool caller_allowed(const struct http_req *req, struct http_resp *resp, bool app_service)
{
    if (app_service) {
        const char *h = http_header(req, "X-IDENTITY-HEADER");
        size_t n = strlen(identity_header);
        if (h == NULL || strlen(h) != n || n == 0 || CRYPTO_memcmp(h, identity_header, n) != 0) {
            imds_error(resp, 401, "invalid_request", "X-IDENTITY-HEADER is missing or wrong");
            return false;
        }
        return true;
    }
    const char *meta = http_header(req, "Metadata");
    if (meta == NULL || strcasecmp(meta, "true") != 0) {
        imds_error(resp, 400, "invalid_request", "Required metadata header not specified");
        return false;
    }
    return true;
}

static void imds_serve(struct sim *sim, const struct http_req *req, struct http_resp *resp);

void imds_handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
    struct sim *sim = ctx;
    struct fault_action a;
    fault_for_request("imds", "imds", NULL, &a);
    if (!sim_fault_gate("imds", "imds", NULL, &a, resp))
        return;
    imds_serve(sim, req, resp);
    sim_fault_body(&a, resp);
}

static void imds_serve(struct sim *sim, const struct http_req *req, struct http_resp *resp)
{
    bool imds = strcmp(req->path, "/metadata/identity/oauth2/token") == 0;
    bool app_service = strcmp(req->path, "/msi/token") == 0;
    if (!imds && !app_service) {
        imds_error(resp, 404, "not_found", "Unknown endpoint");
        return;
    }
    if (strcmp(req->method, "GET") != 0) {
        imds_error(resp, 405, "invalid_request", "Only GET is supported");
        return;
    }
    if (!caller_allowed(req, resp, app_service))
        return;
    const char *api = http_query(req, "api-version");
    const char *resource = http_query(req, "resource");
    if (api == NULL) {
        imds_error(resp, 400, "invalid_request",
                   "Required query variable 'api-version' is missing");
        return;
    }
    if (resource == NULL) {
        imds_error(resp, 400, "invalid_request", "Required query variable 'resource' is missing");
        return;
    }
    char *canonical = token_resource(sim, resource);
    if (canonical == NULL) {
        imds_error(resp, 400, "invalid_resource",
                   "AADSTS500011: The resource principal was not found in the tenant.");
        return;
    }
    world_rdlock(sim->world);
    const struct principal *p = pick_identity(sim->world, req);
    if (p == NULL)
        imds_error(resp, 400, "invalid_request", "Identity not found");
    else
        token_reply(sim, resp, p, canonical);
    world_unlock(sim->world);
    free(canonical);
}
