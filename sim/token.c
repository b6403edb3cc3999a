#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "jwt.h"
#include "sim.h"
#include "simclock.h"
#include "world.h"
#include "xmem.h"

#define CLOCK_SKEW 300 /* seconds of leeway on nbf/exp, as Entra-validating services allow */

static bool same_resource(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 0 && a[la - 1] == '/')
        la--;
    if (lb > 0 && b[lb - 1] == '/')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

char *token_resource(const struct sim *sim, const char *resource)
{
    if (resource == NULL)
        return NULL;
    if (same_resource(resource, sim->vault_resource))
        return xstrdup(sim->vault_resource);
    if (same_resource(resource, sim->management_resource))
        return xstrdup(sim->management_resource);
    return NULL;
}

char *token_mint(const struct sim *sim, const struct principal *principal, const char *resource,
                 const char *appidacr, int *expires_in)
{
    int64_t now = simclock_wall();
    int lifetime = sim->world->settings.token_lifetime;
    char iss[160], uti[37], aio[37];
    snprintf(iss, sizeof iss, "https://sts.windows.net/%s/", principal->tenant_id);
    http_uuid(uti);
    http_uuid(aio);

    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "aud", resource);
    cJSON_AddStringToObject(c, "iss", iss);
    cJSON_AddNumberToObject(c, "iat", (double)now);
    cJSON_AddNumberToObject(c, "nbf", (double)now);
    cJSON_AddNumberToObject(c, "exp", (double)(now + lifetime));
    cJSON_AddStringToObject(c, "aio", aio);
    cJSON_AddStringToObject(c, "appid", principal->client_id);
    cJSON_AddStringToObject(c, "appidacr", appidacr);
    cJSON_AddStringToObject(c, "idp", iss);
    cJSON_AddStringToObject(c, "oid", principal->object_id);
    cJSON_AddStringToObject(c, "rh", "0.azsim.");
    cJSON_AddStringToObject(c, "sub", principal->object_id);
    cJSON_AddStringToObject(c, "tid", principal->tenant_id);
    cJSON_AddStringToObject(c, "uti", uti);
    cJSON_AddStringToObject(c, "ver", "1.0");
    if (principal->resource_id)
        cJSON_AddStringToObject(c, "xms_mirid", principal->resource_id);
    char *token = jwt_sign(sim->signer, c);
    cJSON_Delete(c);
    *expires_in = lifetime;
    return token;
}

static const char *claim_str(const cJSON *claims, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(claims, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool claim_num(const cJSON *claims, const char *name, int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(claims, name);
    if (!cJSON_IsNumber(item))
        return false;
    *out = (int64_t)item->valuedouble;
    return true;
}

static enum token_result check_claims(const cJSON *claims, const char *audience,
                                      const char *tenant_id, struct identity *who, char **message)
{
    const char *aud = claim_str(claims, "aud"), *tid = claim_str(claims, "tid");
    const char *oid = claim_str(claims, "oid"), *iss = claim_str(claims, "iss");
    const char *appid = claim_str(claims, "appid");
    int64_t exp, nbf, now = simclock_wall();
    if (!aud || !tid || !oid || !iss || !appid || !claim_num(claims, "exp", &exp) ||
        !claim_num(claims, "nbf", &nbf)) {
        xcause(message, "AKV10013: Invalid token: required claims are missing.");
        return TOKEN_MALFORMED;
    }
    if (now > exp + CLOCK_SKEW) {
        xcause(message, "[TokenExpired] Error validating token: 'S2S12086'.");
        return TOKEN_EXPIRED;
    }
    if (now + CLOCK_SKEW < nbf) {
        xcause(message, "AKV10020: Token not yet valid.");
        return TOKEN_NOT_YET_VALID;
    }
    if (!same_resource(aud, audience)) {
        xcause(message, "AKV10022: Invalid audience. Expected %s, found: %s.", audience, aud);
        return TOKEN_AUDIENCE;
    }
    if (tenant_id && strcasecmp(tid, tenant_id) != 0) {
        xcause(message,
               "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/%s/, "
               "found %s.",
               tenant_id, iss);
        return TOKEN_ISSUER;
    }
    snprintf(who->oid, sizeof who->oid, "%s", oid);
    snprintf(who->tid, sizeof who->tid, "%s", tid);
    snprintf(who->appid, sizeof who->appid, "%s", appid);
    snprintf(who->iss, sizeof who->iss, "%s", iss);
    return TOKEN_OK;
}

enum token_result token_check(const struct sim *sim, const char *authorization,
                              const char *audience, const char *tenant_id, struct identity *who,
                              char **message)
{
    memset(who, 0, sizeof *who);
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0 ||
        authorization[7] == '\0') {
        xcause(message, "AKV10000: Request is missing a Bearer or PoP token.");
        return TOKEN_MISSING;
    }
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    char *why = NULL;
    cJSON *claims = NULL;
    int rc = jwt_verify(sim->signer, token, strlen(token), &claims, &why);
    free(why);
    if (rc == JWT_UNKNOWN_KEY) {
        xcause(message, "AKV10046: Unable to resolve the key used for signature validation.");
        return TOKEN_BAD_KEY;
    }
    if (rc == JWT_BAD_SIGNATURE) {
        xcause(message, "AKV10005: Signature validation failed.");
        return TOKEN_BAD_SIGNATURE;
    }
    if (rc < 0) {
        xcause(message, "AKV10013: Invalid token: the token is not a well-formed JWT.");
        return TOKEN_MALFORMED;
    }
    enum token_result r = check_claims(claims, audience, tenant_id, who, message);
    cJSON_Delete(claims);
    return r;
}
