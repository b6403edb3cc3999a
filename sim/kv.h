/*
 * kv — the Key Vault keys data plane (azure-protocol.md section 3).
 *
 * Every request goes through the same steps, in the order the service takes
 * them: api-version; bearer token (401 with the challenge when missing or bad,
 * audience and tenant checked); network rules (403 ForbiddenByFirewall); the
 * route (400 "Method X does not allow operation Y", 404 for paths the service
 * does not have); permissions from access policies or RBAC (403 AccessDenied /
 * ForbiddenByRbac); then the operation itself. Every answer carries the
 * headers Key Vault sends (x-ms-request-id, x-ms-keyvault-region, ...).
 */
#ifndef AZSIM_KV_H
#define AZSIM_KV_H

#include <stdbool.h>

#include "http.h"

struct sim;

void kv_handle(struct sim *sim, const char *vault_name, const struct http_req *req,
               struct http_resp *resp);

#endif
