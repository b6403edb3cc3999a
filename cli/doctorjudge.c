#include "doctorjudge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "estate.h"
#include "json.h"
#include "xmem.h"

/* Key Vault roles whose data actions include keys/read (get and list on RBAC vaults). */
#define ROLE_KV_READER "21090545-7ca7-4776-b22c-e363652d74d2"

enum doctor_level doctorjudge_skew(int64_t skew_s)
{
    int64_t a = skew_s < 0 ? -skew_s : skew_s;
    return a > DOCTOR_SKEW_FAIL_S ? DOCTOR_FAIL : a > DOCTOR_SKEW_WARN_S ? DOCTOR_WARN : DOCTOR_OK;
}

int doctorjudge_date_skew(const char *date, int64_t local_s, int64_t *skew_s)
{
    if (date == NULL || *date == '\0')
        return -1;
    time_t t = curl_getdate(date, NULL);
    if (t <= 0)
        return -1;
    *skew_s = (int64_t)t - local_s;
    return 0;
}

char *doctorjudge_jwt_claim(const char *jwt, const char *claim)
{
    if (jwt == NULL || claim == NULL)
        return NULL;
    const char *dot1 = strchr(jwt, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot2 == NULL || dot2 == dot1 + 1)
        return NULL;
    unsigned char *payload = NULL;
    size_t len = 0;
    if (json_b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &len) < 0)
        return NULL;
    cJSON *j = json_parse_object((const char *)payload, len, NULL);
    char *value = j ? json_dup(j, claim) : NULL;
    cJSON_Delete(j);
    OPENSSL_cleanse(payload, len);
    free(payload);
    return value;
}

static bool set(const char *s)
{
    return s != NULL && *s != '\0';
}

/* "client secret: configured (...)" and the like, for each provider of the chain. */
static char *credential_lines(const struct auth_config *ac, bool az_found)
{
    bool ids = set(ac->tenant_id) && set(ac->client_id);
    const char *secret = !set(ac->client_secret) ? "not configured (AZURE_CLIENT_SECRET unset)"
                         : ids                   ? "configured (AZURE_CLIENT_SECRET set, not shown)"
                                                 : "incomplete (needs tenant_id and client_id)";
    const char *cert = !set(ac->certificate_path) ? "not configured"
                       : ids                      ? "configured"
                                                  : "incomplete (needs tenant_id and client_id)";
    const char *mi = set(ac->identity_endpoint) ? "App Service (IDENTITY_ENDPOINT)"
                     : set(ac->imds_endpoint)   ? "IMDS at IMDS_ENDPOINT"
                                                : "IMDS (asked when reachable)";
    return xasprintf("client secret: %s; certificate: %s%s%s; managed identity: %s; "
                     "Azure CLI: %s",
                     secret, cert, set(ac->certificate_path) ? " " : "",
                     set(ac->certificate_path) ? ac->certificate_path : "", mi,
                     az_found ? "az found" : "az not found");
}

enum doctor_level doctorjudge_credentials(const struct auth_config *ac, bool az_found,
                                          char **detail, char **fix)
{
    bool ids = set(ac->tenant_id) && set(ac->client_id);
    char *lines = credential_lines(ac, az_found);
    enum doctor_level level = DOCTOR_OK;
    *fix = NULL;
    switch (ac->mode) {
    case AUTH_SECRET:
    case AUTH_CERTIFICATE: {
        bool secret = ac->mode == AUTH_SECRET;
        if (!ids || !set(secret ? ac->client_secret : ac->certificate_path)) {
            level = DOCTOR_FAIL;
            *fix = xasprintf("auth.mode is %s: set auth.tenant_id and auth.client_id (or "
                             "AZURE_TENANT_ID, AZURE_CLIENT_ID) and %s",
                             secret ? "secret" : "certificate",
                             secret ? "AZURE_CLIENT_SECRET in the environment"
                                    : "auth.certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)");
        }
        break;
    }
    case AUTH_CLI:
        if (!az_found) {
            level = DOCTOR_FAIL;
            *fix = xstrdup("auth.mode is cli: install the Azure CLI and run az login");
        }
        break;
    default:
        break;
    }
    static const char *const modes[] = {"default chain", "client secret", "certificate",
                                        "managed identity", "Azure CLI"};
    *detail = xasprintf("mode %s; %s", modes[ac->mode <= AUTH_CLI ? ac->mode : 0], lines);
    free(lines);
    return level;
}

/* The fix for an AADSTS code Entra answered, or NULL when none is known. */
static char *aadsts_fix(const char *cause, const char *app)
{
    if (cause == NULL)
        return NULL;
    if (strstr(cause, "AADSTS7000215") || strstr(cause, "AADSTS7000222"))
        return xasprintf("the client secret is wrong or expired: set AZURE_CLIENT_SECRET to a "
                         "current secret of application %s (az ad app credential reset --id %s "
                         "--append)",
                         app, app);
    if (strstr(cause, "AADSTS700016"))
        return xasprintf("application %s is not known in the tenant: check auth.client_id / "
                         "AZURE_CLIENT_ID and auth.tenant_id / AZURE_TENANT_ID",
                         app);
    if (strstr(cause, "AADSTS90002"))
        return xstrdup("the tenant is not known: check auth.tenant_id / AZURE_TENANT_ID");
    if (strstr(cause, "AADSTS700027"))
        return xasprintf("the certificate is not registered on application %s: upload it (az ad "
                         "app credential reset --id %s --cert @cert.pem --append)",
                         app, app);
    if (strstr(cause, "AADSTS700024"))
        return xstrdup("the client assertion is outside its time window: check the local clock "
                       "(NTP)");
    return NULL;
}

char *doctorjudge_token_fix(enum core_err err, const char *cause, const struct auth_config *ac,
                            const char *authority)
{
    const char *app = set(ac->client_id) ? ac->client_id : "(client id)";
    char *known = aadsts_fix(cause, app);
    if (known)
        return known;
    switch (err) {
    case CORE_ERR_AUTH:
        if (set(ac->client_secret))
            return xasprintf("the client secret was refused: set AZURE_CLIENT_SECRET to a "
                             "current secret of application %s",
                             app);
        if (set(ac->certificate_path))
            return xasprintf("the certificate was refused: register %s on application %s",
                             ac->certificate_path, app);
        return xstrdup("the credential was refused: see the error; for the Azure CLI run az "
                       "login, for a managed identity check it is assigned to this machine");
    case CORE_ERR_CONFIG:
        return xstrdup("configure a credential: AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                       "AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), a managed "
                       "identity, or az login");
    case CORE_ERR_TLS:
        return xasprintf("the certificate of %s is not trusted: set ca_file to the CA that "
                         "issued it (or remove a TLS-intercepting proxy)",
                         authority);
    case CORE_ERR_NETWORK:
    case CORE_ERR_TIMEOUT:
        return xasprintf("check the network path to %s (DNS, firewall, proxy)", authority);
    case CORE_ERR_THROTTLED:
        return xstrdup("the token service is throttling: retry later");
    default:
        return xasprintf("the token service at %s answered an error: see the detail", authority);
    }
}

static double ms(int64_t us)
{
    return us < 0 ? 0 : (double)us / 1000.0;
}

enum doctor_level doctorjudge_network(const struct http_result *res, const char *host,
                                      const char *ca_file, char **detail, char **fix)
{
    *fix = NULL;
    const struct http_timing *t = &res->timing;
    if (res->err == CORE_OK) {
        *detail = xasprintf("HTTP %ld; dns %.1f ms, connect %.1f ms, tls %.1f ms, total %.1f ms; "
                            "TLS verified",
                            res->status, ms(t->dns_us), ms(t->connect_us), ms(t->tls_us),
                            ms(t->total_us));
        if (t->total_us > (int64_t)DOCTOR_SLOW_MS * 1000) {
            *fix = xasprintf("%s answers slowly (over %d ms): check the network path (proxy, VPN, "
                             "private endpoint DNS) and the service's health",
                             host, DOCTOR_SLOW_MS);
            return DOCTOR_WARN;
        }
        return DOCTOR_OK;
    }
    const char *why = res->cause ? res->cause : core_err_name(res->err);
    if (res->err == CORE_ERR_TLS) {
        *detail = xasprintf("TLS verification failed: %s", why);
        *fix = xasprintf("the certificate %s serves is not trusted%s%s: set ca_file to the CA "
                         "that issued it, or remove a TLS-intercepting proxy",
                         host, ca_file ? " by ca_file " : "", ca_file ? ca_file : "");
        return DOCTOR_FAIL;
    }
    *detail = xasprintf("no answer (%s): %s", core_err_name(res->err), why);
    *fix = xasprintf("check the network path to %s: DNS, firewall, proxy%s", host,
                     res->err == CORE_ERR_TIMEOUT ? ", or raise http.timeout_ms" : "");
    return DOCTOR_FAIL;
}

/* Does an RBAC role assignment of principal grant keys/read on v? 2: vault-wide, 1: some key. */
static int rbac_read(const struct model_vault *v, const char *principal)
{
    static const char *const roles[] = {ESTATE_ROLE_KV_ADMINISTRATOR, ESTATE_ROLE_KV_CRYPTO_OFFICER,
                                        ESTATE_ROLE_KV_CRYPTO_USER,
                                        MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER, ROLE_KV_READER};
    int best = 0;
    for (size_t i = 0; i < v->nroles; i++) {
        const struct model_role *r = &v->roles[i];
        if (!r->principal_id || !r->role_definition_id ||
            strcasecmp(r->principal_id, principal) != 0)
            continue;
        for (size_t k = 0; k < sizeof roles / sizeof roles[0]; k++) {
            if (strcasecmp(r->role_definition_id, roles[k]) == 0) {
                int scope = r->scope && strstr(r->scope, "/keys/") ? 1 : 2;
                best = scope > best ? scope : best;
            }
        }
    }
    return best;
}

/* The key permissions access policies give principal on v (in v's tenant). */
static unsigned policy_perms(const struct model_vault *v, const char *principal)
{
    unsigned perms = 0;
    for (size_t i = 0; i < v->npolicies; i++) {
        const struct model_policy *p = &v->policies[i];
        if (p->object_id && strcasecmp(p->object_id, principal) == 0 && !p->application_id &&
            (!p->tenant_id || !v->tenant_id || strcasecmp(p->tenant_id, v->tenant_id) == 0))
            perms |= p->key_perms;
    }
    return perms;
}

static enum doctor_level judge_rbac(const struct model_vault *v, const char *principal,
                                    char **detail, char **fix)
{
    const char *id = v->id ? v->id : v->name;
    if (!v->roles_known) {
        *detail = xstrdup("RBAC vault; its role assignments could not be read");
        *fix = xasprintf("grant Reader (Microsoft.Authorization/roleAssignments/read) on %s, so "
                         "the grants can be checked",
                         id);
        return DOCTOR_WARN;
    }
    int r = rbac_read(v, principal);
    if (r == 2) {
        *detail = xstrdup("RBAC: a role granting keys/read (get, list) at the vault's scope");
        return DOCTOR_OK;
    }
    *detail = xstrdup(r ? "RBAC: keys/read only on some keys; keys cannot be listed"
                        : "RBAC: no role of this principal grants keys/read");
    *fix = xasprintf("az role assignment create --assignee-object-id %s --assignee-principal-type "
                     "ServicePrincipal --role \"Key Vault Reader\" --scope %s",
                     principal, id);
    return r ? DOCTOR_WARN : DOCTOR_FAIL;
}

static enum doctor_level judge_policies(const struct model_vault *v, const char *principal,
                                        char **detail, char **fix)
{
    unsigned perms = policy_perms(v, principal);
    bool get = perms & MODEL_PERM_GET, list = perms & MODEL_PERM_LIST;
    *detail =
        xasprintf("access policy: keys get %s, list %s%s", get ? "yes" : "no", list ? "yes" : "no",
                  perms & (MODEL_PERM_WRAP | MODEL_PERM_UNWRAP)
                      ? " (wrapKey/unwrapKey too: more than the console needs)"
                      : "");
    if (get && list)
        return DOCTOR_OK;
    *fix = xasprintf("az keyvault set-policy --name %s --object-id %s --key-permissions get list",
                     v->name, principal);
    return get || list ? DOCTOR_WARN : DOCTOR_FAIL;
}

enum doctor_level doctorjudge_vault(const struct model_vault *v, const char *principal,
                                    char **detail, char **fix)
{
    *fix = NULL;
    const struct fresh *kf = &v->keys_fresh;
    if (kf->err == CORE_ERR_FORBIDDEN || kf->status == 403) {
        *detail = xasprintf("the key list was refused (403): %s", kf->error ? kf->error : "");
        *fix = xasprintf("grant this principal get and list on the keys of %s: az keyvault "
                         "set-policy --name %s --object-id %s --key-permissions get list (on an "
                         "RBAC vault: the Key Vault Reader role)",
                         v->name, v->name, principal ? principal : "OBJECT_ID");
        return DOCTOR_FAIL;
    }
    if (principal && v->arm_fresh.read_at > 0)
        return v->rbac ? judge_rbac(v, principal, detail, fix)
                       : judge_policies(v, principal, detail, fix);
    if (kf->read_at > 0 && kf->err == CORE_OK) {
        *detail = xstrdup("the key list was read; the grants themselves could not be checked");
        *fix = xasprintf("grant Reader on the subscription or resource group of %s so its access "
                         "policies can be read",
                         v->name);
        return DOCTOR_WARN;
    }
    *detail = xasprintf("could not be checked: %s",
                        kf->error ? kf->error : "neither the vault nor its keys were read");
    *fix = xasprintf("check the vault.network line of %s, and that this principal has Reader on "
                     "its subscription and get/list on its keys",
                     v->name);
    return DOCTOR_WARN;
}

enum doctor_level doctorjudge_subscription(const struct model_subscription *s,
                                           const char *principal, char **detail, char **fix)
{
    *fix = NULL;
    const struct fresh *f = &s->fresh;
    if (f->err == CORE_ERR_FORBIDDEN || f->status == 403) {
        *detail =
            xasprintf("reading the subscription was refused (403): %s", f->error ? f->error : "");
        *fix = xasprintf("grant Reader on subscription %s (az role assignment create "
                         "--assignee-object-id %s --role Reader --scope /subscriptions/%s)",
                         s->id, principal ? principal : "OBJECT_ID", s->id);
        return DOCTOR_FAIL;
    }
    if (f->read_at > 0 && f->err == CORE_OK) {
        *detail = xstrdup("Reader or better: its managed instances were listed");
        return DOCTOR_OK;
    }
    *detail = xasprintf("not read: %s", f->error ? f->error : "no read finished");
    *fix = xasprintf("check that subscription %s exists in the tenant and this principal has "
                     "Reader on it",
                     s->id);
    return DOCTOR_WARN;
}
