#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arm.h"
#include "entra.h"
#include "fault.h"
#include "jwt.h"
#include "kv.h"
#include "persist.h"
#include "slog.h"
#include "world.h"
#include "xmem.h"

char *sim_origin(const struct sim *sim, const char *host)
{
    if (sim->port == 443)
        return xasprintf("https://%s", host);
    return xasprintf("https://%s:%d", host, sim->port);
}

void sim_set_addresses(struct sim *sim, int port)
{
    sim->port = port;
    free(sim->authority);
    free(sim->vault_resource);
    free(sim->management_resource);
    char *login = xasprintf("login.%s", sim->dns_suffix);
    char *vault = xasprintf("vault.%s", sim->dns_suffix);
    char *mgmt = xasprintf("management.%s", sim->dns_suffix);
    sim->authority = sim_origin(sim, login);
    sim->vault_resource = sim_origin(sim, vault);
    sim->management_resource = sim_origin(sim, mgmt);
    free(login);
    free(vault);
    free(mgmt);
}

void sim_cleanup(struct sim *sim)
{
    world_destroy(sim->world);
    jwt_signer_destroy(sim->signer);
    free(sim->dns_suffix);
    free(sim->state_dir);
    free(sim->authority);
    free(sim->vault_resource);
    free(sim->management_resource);
    memset(sim, 0, sizeof *sim);
}

char *sim_vault_url(const struct sim *sim, const char *vault_name)
{
    char *host = xasprintf("%s.vault.%s", vault_name, sim->dns_suffix);
    char *url = sim_origin(sim, host);
    free(host);
    return url;
}

/* "kv-east" when host is "kv-east.vault.{suffix}", else NULL (heap). */
static char *vault_of(const struct sim *sim, const char *host)
{
    size_t slen = strlen(sim->dns_suffix), hlen = strlen(host);
    size_t tail = slen + 7; /* ".vault." + suffix */
    if (hlen <= tail || strcmp(host + hlen - slen, sim->dns_suffix) != 0 ||
        strncmp(host + hlen - tail, ".vault.", 7) != 0)
        return NULL;
    char *name = xstrndup(host, hlen - tail);
    if (strchr(name, '.')) {
        free(name);
        return NULL;
    }
    return name;
}

/* The answer an injected 429/5xx gets, in the shape of the service that "sent" it. */
static void fault_status(const char *service, const struct fault_action *a, struct http_resp *resp)
{
    const char *code = a->status == 429
                           ? (strcmp(service, "vault") == 0 ? "Throttled" : "TooManyRequests")
                       : a->status == 503 ? "ServiceUnavailable"
                       : a->status == 502 ? "BadGateway"
                       : a->status == 504 ? "GatewayTimeout"
                                          : "InternalServerError";
    cJSON *body = cJSON_CreateObject();
    if (strcmp(service, "login") == 0 || strcmp(service, "imds") == 0) {
        cJSON_AddStringToObject(body, "error",
                                a->status == 429 ? "temporarily_unavailable" : "server_error");
        cJSON_AddStringToObject(body, "error_description",
                                "The service is temporarily "
                                "unavailable.");
    } else {
        cJSON *error = cJSON_AddObjectToObject(body, "error");
        cJSON_AddStringToObject(error, "code", code);
        cJSON_AddStringToObject(error, "message",
                                a->status == 429 ? "Request was not processed because too many "
                                                   "requests were received."
                                                 : "The service is temporarily unavailable.");
    }
    http_resp_json(resp, a->status, body);
    if (a->retry_after)
        http_resp_header(resp, "Retry-After", "%d", a->retry_after);
    http_resp_note(resp, "fault=%d", a->status);
}

/* Breaks a JSON body the way a bad proxy or a buggy service would. */
void sim_fault_body(const struct fault_action *a, struct http_resp *resp)
{
    if (resp->len == 0)
        return;
    if (a->malformed) {
        resp->body[resp->len / 2] = '\x01'; /* a control byte inside the document */
        resp->body[0] = '<';
    }
    if (a->truncated)
        resp->len /= 2;
    if (a->oversized > 0 && (size_t)a->oversized > resp->len) {
        /* Valid JSON padded with white space: only a size cap protects a client. */
        resp->body = xrealloc(resp->body, (size_t)a->oversized + 1, 1);
        memset(resp->body + resp->len, ' ', (size_t)a->oversized - resp->len);
        resp->len = (size_t)a->oversized;
        resp->body[resp->len] = '\0';
    }
    resp->reset = a->reset;
    resp->slow_bps = a->slow_bps;
}

/*
 * Network faults: a dropped connection, a hold that ends only when the fault
 * is cleared (or after two minutes), a delay. Runs in the connection's own
 * thread. Returns false when the request must not be handled.
 */
bool sim_fault_gate(const char *listener, const char *service, const char *name,
                    const struct fault_action *a, struct http_resp *resp)
{
    if (a->drop) {
        resp->status = 0;
        http_resp_note(resp, "fault=refused");
        return false;
    }
    if (a->blackhole) {
        for (int i = 0; i < 1200 && fault_still_active(listener, service, name); i++) {
            struct timespec t = {0, 100 * 1000 * 1000};
            nanosleep(&t, NULL);
        }
        resp->status = 0;
        http_resp_note(resp, "fault=blackhole");
        return false;
    }
    for (int left = a->delay_ms; left > 0 && !fault_released(); left -= 100) {
        int ms = left < 100 ? left : 100;
        struct timespec t = {0, (long)ms * 1000000L};
        nanosleep(&t, NULL);
    }
    if (a->status) {
        fault_status(service, a, resp);
        return false;
    }
    return true;
}

void sim_handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
    struct sim *sim = ctx;
    char *vault = vault_of(sim, req->host);
    size_t slen = strlen(sim->dns_suffix);
    const char *service = NULL;
    if (vault)
        service = "vault";
    else if (strncmp(req->host, "login.", 6) == 0 && strcmp(req->host + 6, sim->dns_suffix) == 0 &&
             strlen(req->host) == slen + 6)
        service = "login";
    else if (strncmp(req->host, "management.", 11) == 0 &&
             strcmp(req->host + 11, sim->dns_suffix) == 0 && strlen(req->host) == slen + 11)
        service = "arm";
    if (service == NULL) {
        cJSON *body = cJSON_CreateObject();
        cJSON *error = cJSON_AddObjectToObject(body, "error");
        cJSON_AddStringToObject(error, "code", "NotFound");
        char *message = xasprintf("azsim serves {vault}.vault.%s, login.%s and management.%s "
                                  "on this port, not '%s'.",
                                  sim->dns_suffix, sim->dns_suffix, sim->dns_suffix, req->host);
        cJSON_AddStringToObject(error, "message", message);
        free(message);
        http_resp_json(resp, 404, body);
        return;
    }
    struct fault_action a;
    fault_for_request("https", service, vault, &a);
    if (sim_fault_gate("https", service, vault, &a, resp)) {
        if (vault)
            kv_handle(sim, vault, req, resp);
        else if (strcmp(service, "login") == 0)
            entra_handle(sim, req, resp);
        else
            arm_handle(sim, req, resp);
        sim_fault_body(&a, resp);
    }
    free(vault);
}

void sim_persist(struct sim *sim)
{
    if (sim->state_dir == NULL)
        return;
    char *cause = NULL;
    if (persist_save_world(sim->state_dir, sim->world, &cause) < 0) {
        slog(SLOG_ERROR, "state not saved: %s", cause);
        free(cause);
    }
}
