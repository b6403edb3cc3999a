/*
 * arm — Azure Resource Manager at https://management.{suffix}:PORT, for the
 * resource providers tdectl reads and drives: Microsoft.Sql (managed
 * instances, their keys, TDE protector, databases, instance failover groups),
 * Microsoft.KeyVault (vaults, access policies, private endpoint connections,
 * deleted vaults), Microsoft.Network (private endpoints) and
 * Microsoft.Authorization (role assignments, read only), Microsoft.Resources
 * tags at a managed instance or vault, plus the subscriptions list.
 *
 * Every request goes through ARM's front door in order: request ids and
 * headers; bearer token for the management audience (401
 * AuthenticationFailed / InvalidAuthenticationToken...); api-version (400
 * MissingApiVersionParameter / InvalidApiVersionParameter); throttling, a
 * token bucket per principal and subscription for reads and for writes (429
 * SubscriptionRequestsThrottled with Retry-After, and the
 * x-ms-ratelimit-remaining-subscription-* headers); routing (404
 * InvalidResourceType, ResourceGroupNotFound, SubscriptionNotFound); control
 * plane RBAC (403 AuthorizationFailed); then the provider's handler.
 * Long-running operations (armlro.h) answer 202 with Azure-AsyncOperation,
 * Location and Retry-After.
 */
#ifndef AZSIM_ARM_H
#define AZSIM_ARM_H

#include "http.h"

struct sim;

void arm_handle(struct sim *sim, const struct http_req *req, struct http_resp *resp);

/* Completes long-running operations that are due (called about once a second). */
void arm_tick(struct sim *sim);
void arm_shutdown(void);

#endif
