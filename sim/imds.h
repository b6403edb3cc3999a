/*
 * imds — the managed-identity token endpoints, on their own plain-HTTP port
 * (IMDS is plain HTTP at 169.254.169.254 in Azure; clients are pointed here
 * with AZURE_POD_IDENTITY_AUTHORITY_HOST or IMDS_ENDPOINT):
 *
 *   GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R
 *       [&client_id=|&object_id=|&msi_res_id=]      header "Metadata: true"
 *   GET /msi/token?api-version=2019-08-01&resource=R [&client_id=...]
 *       header "X-IDENTITY-HEADER: <secret>"        (App Service form)
 *
 * The identity handed out without a selector is the managed identity marked
 * "imds_default" in the scenario. Responses carry every value as a string, as
 * IMDS does.
 */
#ifndef AZSIM_IMDS_H
#define AZSIM_IMDS_H

#include "http.h"

struct sim;

/* The App Service form's shared secret (IDENTITY_HEADER); set before serving. */
void imds_set_identity_header(const char *secret);
const char *imds_identity_header(void);

void imds_handle(void *ctx, const struct http_req *req, struct http_resp *resp);

#endif
