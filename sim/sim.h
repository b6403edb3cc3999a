/*
 * sim — the running emulator: the world, the identity keys, the addresses it
 * answers to, and the dispatch of each HTTPS request to the service that owns
 * its host name:
 *
 *   {vault}.vault.{suffix}   Key Vault data plane        (kv.h)
 *   login.{suffix}           Microsoft Entra ID          (entra.h)
 *   management.{suffix}      Azure Resource Manager      (arm.h)
 *   anything else            404
 *
 * Injected faults (fault.h) are applied here, before and after the service.
 *
 * The managed-identity endpoint is served on its own plain-HTTP port
 * (imds.h), as IMDS is plain HTTP in Azure.
 *
 * Addresses follow Azure's shapes with the suffix "localhost" instead of
 * "azure.net": a vault is https://kv-east.vault.localhost:PORT, and the Key
 * Vault challenge names the resource https://vault.localhost:PORT so that a
 * client's challenge-resource check (request host ends with "." + resource
 * host, port included, as Microsoft's SDK compares them) passes exactly as it
 * does against Azure.
 */
#ifndef AZSIM_SIM_H
#define AZSIM_SIM_H

#include <stdbool.h>

#include "http.h"

struct world;
struct jwt_signer;

#define SIM_MASTER_LEN 32

struct sim {
    struct world *world;
    struct jwt_signer *signer;
    unsigned char master[SIM_MASTER_LEN]; /* seals backup blobs (per geography) */
    char *dns_suffix;                     /* "localhost" */
    int port;                             /* HTTPS port */
    char *state_dir;                      /* NULL: state lives in memory only */
    size_t max_body;

    /* Derived from the above once the port is known. */
    char *authority;           /* https://login.localhost:PORT */
    char *vault_resource;      /* https://vault.localhost:PORT */
    char *management_resource; /* https://management.localhost:PORT */
};

/* Fills the derived addresses (call again if the port changes). */
void sim_set_addresses(struct sim *sim, int port);
void sim_cleanup(struct sim *sim);

/* https://{vault}.vault.{suffix}[:port] (heap). */
char *sim_vault_url(const struct sim *sim, const char *vault_name);
/* The scheme+host[:port] part for a host name under the suffix (heap). */
char *sim_origin(const struct sim *sim, const char *host);

struct fault_action;

/* The HTTPS handler (http_handler). */
void sim_handle(void *ctx, const struct http_req *req, struct http_resp *resp);

/*
 * Applies the network part of a fault action to a request on listener for
 * service/name (drop, hold, delay, injected status). false: do not handle it.
 */
bool sim_fault_gate(const char *listener, const char *service, const char *name,
                    const struct fault_action *a, struct http_resp *resp);
/* Applies the body part of a fault action (malformed, truncated, oversized, reset, slow). */
void sim_fault_body(const struct fault_action *a, struct http_resp *resp);

/*
 * Writes the world to the state folder when there is one. Call with the world
 * lock held (exclusively) right after a change; logs and carries on if the disk
 * write fails, as the change is already live.
 */
void sim_persist(struct sim *sim);

#endif
