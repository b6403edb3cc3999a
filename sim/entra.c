#include "entra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "jwt.h"
#include "sim.h"
#include "simclock.h"
#include "token.h"
#include "world.h"
#include "xmem.h"

#define FORM_FIELDS    12
#define FORM_VALUE_MAX (32 * 1024)

/* The posted form, collected with libmicrohttpd's own form parser. */
struct form {
    char *names[FORM_FIELDS];
    char *values[FORM_FIELDS];
    int n;
    bool overflow;
};

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *encoding, const char *data, uint64_t off, size_t size)
{
    struct form *f = cls;
    int i = 0;
    while (i < f->n && strcmp(f->names[i], key) != 0)
        i++;
    if (i == f->n) {
        if (f->n == FORM_FIELDS) {
            f->overflow = true;
            return MHD_YES;
        }
        f->names[i] = xstrdup(key);
        f->values[i] = xstrdup("");
        f->n++;
    }
    size_t have = strlen(f->values[i]);
    if (have + size > FORM_VALUE_MAX) {
        f->overflow = true;
        return MHD_YES;
    }
    f->values[i] = xrealloc(f->values[i], have + size + 1, 1);
    memcpy(f->values[i] + have, data, size);
    f->values[i][have + size] = '\0';
    return MHD_YES;
}

static const char *form_get(const struct form *f, const char *name)
{
    for (int i = 0; i < f->n; i++) {
        if (strcmp(f->names[i], name) == 0)
            return f->values[i][0] ? f->values[i] : NULL;
    }
    return NULL;
}

static void form_cleanup(struct form *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->names[i]);
        OPENSSL_cleanse(f->values[i], strlen(f->values[i]));
        free(f->values[i]);
    }
}

static bool form_parse(const struct http_req *req, struct form *f)
{
    memset(f, 0, sizeof *f);
    const char *type = http_header(req, "Content-Type");
    if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)
        return false;
    struct MHD_PostProcessor *pp = MHD_create_post_processor(req->conn, 4096, form_field, f);
    if (pp == NULL)
        return false;
    bool ok = req->body_len == 0 || MHD_post_process(pp, req->body, req->body_len) == MHD_YES;
    MHD_destroy_post_processor(pp);
    return ok && !f->overflow;
}

static void entra_headers(const struct http_req *req, struct http_resp *resp)
{
    const char *client_id = http_header(req, "client-request-id");
    http_resp_header(resp, "Cache-Control", "no-store, no-cache");
    http_resp_header(resp, "Pragma", "no-cache");
    http_resp_header(resp, "x-ms-request-id", "%s", req->request_id);
    http_resp_header(resp, "x-ms-ests-server", "azsim");
    if (client_id && strlen(client_id) <= 128)
        http_resp_header(resp, "client-request-id", "%s", client_id);
}

static void entra_error(const struct sim *sim, const struct http_req *req, struct http_resp *resp,
                        int status, const char *error, int code, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void entra_error(const struct sim *sim, const struct http_req *req, struct http_resp *resp,
                        int status, const char *error, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = xvasprintf(fmt, ap);
    va_end(ap);
    /* Entra writes "2020-04-07 20:52:51Z" and ends the description with CRLF-separated ids. */
    char stamp[32], correlation[37];
    time_t now = (time_t)simclock_wall();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%SZ", &tm);
    http_uuid(correlation);
    char *description =
        xasprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", code, what,
                  req->request_id, correlation, stamp);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", error);
    cJSON_AddStringToObject(body, "error_description", description);
    cJSON_AddItemToObject(body, "error_codes", cJSON_CreateIntArray(&code, 1));
    cJSON_AddStringToObject(body, "timestamp", stamp);
    cJSON_AddStringToObject(body, "trace_id", req->request_id);
    cJSON_AddStringToObject(body, "correlation_id", correlation);
    char *uri = xasprintf("%s/error?code=%d", sim->authority, code);
    cJSON_AddStringToObject(body, "error_uri", uri);
    http_resp_json(resp, status, body);
    http_resp_note(resp, "error=%s/AADSTS%d", error, code);
    free(uri);
    free(description);
    free(what);
}

static cJSON *openid_config(const struct sim *sim, const char *tid, bool v2)
{
    const char *a = sim->authority;
    const char *ver = v2 ? "/v2.0" : "";
    cJSON *c = cJSON_CreateObject();
    char *s;
#define ADD(key, ...)                   \
    s = xasprintf(__VA_ARGS__);         \
    cJSON_AddStringToObject(c, key, s); \
    free(s)
    ADD("token_endpoint", "%s/%s/oauth2%s/token", a, tid, ver);
    ADD("jwks_uri", "%s/%s/discovery%s/keys", a, tid, ver);
    ADD("issuer", v2 ? "%s/%s/v2.0" : "https://sts.windows.net/%s/", v2 ? a : tid, tid);
    ADD("authorization_endpoint", "%s/%s/oauth2%s/authorize", a, tid, ver);
    ADD("device_authorization_endpoint", "%s/%s/oauth2%s/devicecode", a, tid, ver);
    ADD("end_session_endpoint", "%s/%s/oauth2%s/logout", a, tid, ver);
#undef ADD
    const char *methods[] = {"client_secret_post", "private_key_jwt", "client_secret_basic"};
    cJSON_AddItemToObject(c, "token_endpoint_auth_methods_supported",
                          cJSON_CreateStringArray(methods, 3));
    const char *modes[] = {"query", "fragment", "form_post"};
    cJSON_AddItemToObject(c, "response_modes_supported", cJSON_CreateStringArray(modes, 3));
    const char *subjects[] = {"pairwise"};
    cJSON_AddItemToObject(c, "subject_types_supported", cJSON_CreateStringArray(subjects, 1));
    const char *algs[] = {"RS256"};
    cJSON_AddItemToObject(c, "id_token_signing_alg_values_supported",
                          cJSON_CreateStringArray(algs, 1));
    const char *types[] = {"code", "id_token", "code id_token", "id_token token"};
    cJSON_AddItemToObject(c, "response_types_supported", cJSON_CreateStringArray(types, 4));
    cJSON_AddStringToObject(c, "tenant_region_scope", "NA");
    cJSON_AddStringToObject(c, "cloud_instance_name", "azsim");
    return c;
}

/* The client's credential check; false after answering. */
static bool authenticate_client(const struct sim *sim, const struct http_req *req,
                                struct http_resp *resp, const struct form *f,
                                const struct principal *p, const char *endpoint, const char **acr)
{
    const char *secret = form_get(f, "client_secret");
    const char *assertion = form_get(f, "client_assertion");
    const char *atype = form_get(f, "client_assertion_type");
    if (secret) {
        size_t n = strlen(secret);
        if (p->secret == NULL || strlen(p->secret) != n || CRYPTO_memcmp(secret, p->secret, n)) {
            entra_error(sim, req, resp, 401, "invalid_client", 7000215,
                        "Invalid client secret provided. Ensure the secret being sent in the "
                        "request is the client secret value, not the client secret ID, for a "
                        "secret added to app '%s'.",
                        p->client_id);
            return false;
        }
        *acr = "1";
        return true;
    }
    if (assertion == NULL || atype == NULL ||
        strcmp(atype, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") != 0) {
        entra_error(sim, req, resp, 401, "invalid_client", 7000216,
                    "'client_assertion', 'client_secret' or 'request' is required for the "
                    "'client_credentials' grant type.");
        return false;
    }
    cJSON *claims = NULL;
    char *why = NULL;
    if (p->cert_pem == NULL ||
        jwt_verify_assertion(assertion, strlen(assertion), p->cert_pem, &claims, &why) < 0) {
        entra_error(sim, req, resp, 401, "invalid_client", 700027,
                    "Client assertion failed signature validation.");
        free(why);
        return false;
    }
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(claims, "sub");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(claims, "nbf");
    int64_t now = simclock_wall();
    bool ok = false;
    if (!cJSON_IsString(aud) || strcasecmp(aud->valuestring, endpoint) != 0 ||
        !cJSON_IsString(iss) || strcasecmp(iss->valuestring, p->client_id) != 0 ||
        !cJSON_IsString(sub) || strcasecmp(sub->valuestring, p->client_id) != 0)
        entra_error(sim, req, resp, 400, "invalid_client", 50027,
                    "JWT token is invalid or malformed: the aud, iss and sub claims must be the "
                    "token endpoint and the client id.");
    else if (!cJSON_IsNumber(exp) || exp->valuedouble + 300 < (double)now ||
             (cJSON_IsNumber(nbf) && nbf->valuedouble - 300 > (double)now))
        entra_error(sim, req, resp, 400, "invalid_client", 700024,
                    "Client assertion is not within its valid time range.");
    else
        ok = true;
    cJSON_Delete(claims);
    *acr = "2";
    return ok;
}

/* The resource a token request is for, from scope (v2) or resource (v1); NULL after answering. */
static char *requested_resource(const struct sim *sim, const struct http_req *req,
                                struct http_resp *resp, const struct form *f, bool v2,
                                const char *tenant)
{
    const char *given = form_get(f, v2 ? "scope" : "resource");
    if (given == NULL) {
        entra_error(sim, req, resp, 400, "invalid_request", 900144,
                    "The request body must contain the following parameter: '%s'.",
                    v2 ? "scope" : "resource");
        return NULL;
    }
    char *resource = xstrdup(given);
    if (v2) {
        size_t n = strlen(resource);
        if (strchr(resource, ' ') || n < 9 || strcmp(resource + n - 9, "/.default") != 0) {
            entra_error(sim, req, resp, 400, "invalid_scope", 1002012,
                        "The provided value for scope %.200s is not valid. Client credential "
                        "flows must have a scope value with /.default suffixed to the resource "
                        "identifier (application ID URI).",
                        given);
            free(resource);
            return NULL;
        }
        resource[n - 9] = '\0';
    }
    char *canonical = token_resource(sim, resource);
    if (canonical == NULL)
        entra_error(sim, req, resp, 400, "invalid_resource", 500011,
                    "The resource principal named %.200s was not found in the tenant named %s. "
                    "This can happen if the application has not been installed by the "
                    "administrator of the tenant or consented to by any user in the tenant.",
                    resource, tenant);
    free(resource);
    return canonical;
}

static void token_reply(const struct sim *sim, struct http_resp *resp, const struct principal *p,
                        const char *resource, const char *acr, bool v2)
{
    int expires_in = 0;
    char *token = token_mint(sim, p, resource, acr, &expires_in);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "token_type", "Bearer");
    if (v2) {
        cJSON_AddNumberToObject(body, "expires_in", expires_in);
        cJSON_AddNumberToObject(body, "ext_expires_in", expires_in);
    } else {
        char n[24], on[24], nb[24];
        int64_t now = simclock_wall();
        snprintf(n, sizeof n, "%d", expires_in);
        snprintf(on, sizeof on, "%lld", (long long)now + expires_in);
        snprintf(nb, sizeof nb, "%lld", (long long)now);
        cJSON_AddStringToObject(body, "expires_in", n);
        cJSON_AddStringToObject(body, "ext_expires_in", n);
        cJSON_AddStringToObject(body, "expires_on", on);
        cJSON_AddStringToObject(body, "not_before", nb);
        cJSON_AddStringToObject(body, "resource", resource);
    }
    cJSON_AddStringToObject(body, "access_token", token);
    OPENSSL_cleanse(token, strlen(token));
    free(token);
    http_resp_json(resp, 200, body);
    http_resp_note(resp, "token for %s to %s", p->name, resource);
}

static void token_endpoint(struct sim *sim, const struct http_req *req, struct http_resp *resp,
                           const struct tenant *t, bool v2)
{
    struct form f;
    if (req->body_too_large) {
        /* Never act on a truncated form. */
        entra_error(sim, req, resp, 413, "invalid_request", 90023,
                    "The request body exceeds the maximum allowed size.");
        return;
    }
    if (!form_parse(req, &f) || form_get(&f, "grant_type") == NULL) {
        entra_error(sim, req, resp, 400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'grant_type'.");
        form_cleanup(&f);
        return;
    }
    const char *grant = form_get(&f, "grant_type"), *client = form_get(&f, "client_id");
    const struct principal *p = NULL;
    char *resource = NULL, *endpoint = NULL;
    const char *acr = NULL;
    if (strcmp(grant, "client_credentials") != 0) {
        entra_error(sim, req, resp, 400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '%.40s'.", grant);
    } else if (client == NULL) {
        entra_error(sim, req, resp, 400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'client_id'.");
    } else if ((resource = requested_resource(sim, req, resp, &f, v2, t->id)) == NULL) {
        /* answered */
    } else if ((p = world_principal_by_client(sim->world, t->id, client)) == NULL ||
               p->kind != PRINCIPAL_APP) {
        entra_error(sim, req, resp, 400, "unauthorized_client", 700016,
                    "Application with identifier '%.64s' was not found in the directory '%s'.",
                    client, t->name);
    } else {
        endpoint = xasprintf("%s%s", sim->authority, req->path);
        if (authenticate_client(sim, req, resp, &f, p, endpoint, &acr))
            token_reply(sim, resp, p, resource, acr, v2);
    }
    free(endpoint);
    free(resource);
    form_cleanup(&f);
}

static void reply_json(struct http_resp *resp, cJSON *body)
{
    http_resp_json(resp, 200, body);
}

void entra_handle(struct sim *sim, const struct http_req *req, struct http_resp *resp)
{
    char tenant[128], rest[128];
    entra_headers(req, resp);
    if (sscanf(req->path, "/%127[^/]/%127[^?]", tenant, rest) != 2) {
        entra_error(sim, req, resp, 404, "not_found", 90002, "Unknown endpoint.");
        return;
    }
    world_rdlock(sim->world);
    const struct tenant *t = world_tenant(sim->world, tenant);
    bool is_get = strcmp(req->method, "GET") == 0, is_post = strcmp(req->method, "POST") == 0;
    if (t == NULL) {
        /* The token endpoint calls it an invalid request, discovery an invalid tenant. */
        entra_error(sim, req, resp, 400, is_post ? "invalid_request" : "invalid_tenant", 90002,
                    "Tenant '%.64s' not found. Check to make sure you have the correct tenant ID "
                    "and are signing into the correct cloud.",
                    tenant);
    } else if (is_get && strcmp(rest, "v2.0/.well-known/openid-configuration") == 0) {
        reply_json(resp, openid_config(sim, t->id, true));
    } else if (is_get && strcmp(rest, ".well-known/openid-configuration") == 0) {
        reply_json(resp, openid_config(sim, t->id, false));
    } else if (is_get &&
               (strcmp(rest, "discovery/v2.0/keys") == 0 || strcmp(rest, "discovery/keys") == 0)) {
        char *jwks = jwt_signer_jwks(sim->signer);
        http_resp_bytes(resp, 200, "application/json; charset=utf-8", jwks, strlen(jwks));
        free(jwks);
    } else if (is_post && strcmp(rest, "oauth2/v2.0/token") == 0) {
        token_endpoint(sim, req, resp, t, true);
    } else if (is_post && strcmp(rest, "oauth2/token") == 0) {
        token_endpoint(sim, req, resp, t, false);
    } else {
        entra_error(sim, req, resp, 404, "not_found", 90002, "Unknown endpoint %.80s.", rest);
    }
    world_unlock(sim->world);
}
