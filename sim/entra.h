/*
 * entra — Microsoft Entra ID, the parts clients of Azure use before anything
 * else, served at https://login.{suffix}:PORT:
 *
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration   (MSAL fetches it first)
 *   GET  /{tenant}/.well-known/openid-configuration        (v1)
 *   GET  /{tenant}/discovery/v2.0/keys, /discovery/keys     (JWKS)
 *   POST /{tenant}/oauth2/v2.0/token   client credentials, scope={resource}/.default
 *   POST /{tenant}/oauth2/token        v1 form, resource={resource}
 *
 * Client credentials are a client secret or a certificate-signed client
 * assertion (RFC 7523). Errors carry Entra's AADSTS codes and body shape
 * (error, error_description, error_codes, timestamp, trace_id,
 * correlation_id, error_uri).
 */
#ifndef AZSIM_ENTRA_H
#define AZSIM_ENTRA_H

#include "http.h"

struct sim;

void entra_handle(struct sim *sim, const struct http_req *req, struct http_resp *resp);

#endif
