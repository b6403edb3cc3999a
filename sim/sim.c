#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entra.h"
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

void sim_handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
    struct sim *sim = ctx;
    char *vault = vault_of(sim, req->host);
    size_t slen = strlen(sim->dns_suffix);
    if (vault) {
        kv_handle(sim, vault, req, resp);
        free(vault);
        return;
    }
    if (strncmp(req->host, "login.", 6) == 0 && strcmp(req->host + 6, sim->dns_suffix) == 0 &&
        strlen(req->host) == slen + 6) {
        entra_handle(sim, req, resp);
        return;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(body, "error");
    cJSON_AddStringToObject(error, "code", "NotFound");
    char *message = xasprintf("azsim serves {vault}.vault.%s and login.%s on this port, not "
                              "'%s'.",
                              sim->dns_suffix, sim->dns_suffix, req->host);
    cJSON_AddStringToObject(error, "message", message);
    free(message);
    http_resp_json(resp, 404, body);
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
