#include "cloud.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "xmem.h"

/*
 * The public clouds. ARM scopes are the resource manager URL + "/.default" as
 * the Azure SDKs build them (credential_scopes=[resource_manager + "/.default"]);
 * Key Vault's are the AzureKeyVaultServiceEndpointResourceId values.
 */
static const struct cloud clouds[] = {
    {"AzureCloud", "https://login.microsoftonline.com", "https://management.azure.com",
     "https://management.azure.com/.default", "vault.azure.net", "https://vault.azure.net/.default",
     0},
    {"AzureUSGovernment", "https://login.microsoftonline.us",
     "https://management.usgovcloudapi.net", "https://management.usgovcloudapi.net/.default",
     "vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net/.default", 0},
    {"AzureChinaCloud", "https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn",
     "https://management.chinacloudapi.cn/.default", "vault.azure.cn",
     "https://vault.azure.cn/.default", 0},
};

/* Other spellings people type (the Python SDK's constants, azure-cli's short forms). */
static const struct {
    const char *alias;
    const char *name;
} aliases[] = {
    {"AzurePublicCloud", "AzureCloud"},       {"public", "AzureCloud"},
    {"AZURE_PUBLIC_CLOUD", "AzureCloud"},     {"AzureUSGov", "AzureUSGovernment"},
    {"usgov", "AzureUSGovernment"},           {"AZURE_US_GOVERNMENT", "AzureUSGovernment"},
    {"AzureChina", "AzureChinaCloud"},        {"china", "AzureChinaCloud"},
    {"AZURE_CHINA_CLOUD", "AzureChinaCloud"},
};

/* A custom cloud and the strings its public part points to. */
struct cloud_box {
    struct cloud pub; /* first: a struct cloud pointer is a box pointer */
    char *authority_host;
    char *arm_endpoint;
    char *arm_scope;
    char *vault_suffix;
    char *vault_scope;
};

const struct cloud *cloud_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcasecmp(name, aliases[i].alias) == 0) {
            name = aliases[i].name;
            break;
        }
    }
    for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++) {
        if (strcasecmp(name, clouds[i].name) == 0)
            return &clouds[i];
    }
    return NULL;
}

static char *url_part(CURLU *u, CURLUPart part)
{
    char *raw = NULL;
    if (curl_url_get(u, part, &raw, 0) != CURLUE_OK)
        return NULL;
    char *copy = xstrdup(raw);
    curl_free(raw);
    return copy;
}

int cloud_https_origin(const char *url, char **host, long *port, char **cause)
{
    *host = NULL;
    *port = 0;
    if (url == NULL || *url == '\0') {
        xcause(cause, "empty URL");
        return -1;
    }
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *h = NULL, *p = NULL;
    int rc = -1;
    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        xcause(cause, "not a URL");
        goto out;
    }
    scheme = url_part(u, CURLUPART_SCHEME);
    user = url_part(u, CURLUPART_USER);
    h = url_part(u, CURLUPART_HOST);
    p = url_part(u, CURLUPART_PORT);
    if (scheme == NULL || strcasecmp(scheme, "https") != 0) {
        xcause(cause, "not an https URL");
        goto out;
    }
    if (user != NULL || h == NULL || *h == '\0') {
        xcause(cause, user ? "user info in an https URL" : "no host in the URL");
        goto out;
    }
    char *end = NULL;
    long n = p ? strtol(p, &end, 10) : 443;
    if (p && (end == p || *end != '\0' || n < 1 || n > 65535)) {
        xcause(cause, "bad port in the URL");
        goto out;
    }
    size_t len = strlen(h);
    if (len > 1 && h[len - 1] == '.')
        h[len - 1] = '\0'; /* "vault.azure.net." is the same name */
    for (char *c = h; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    *host = h;
    h = NULL;
    *port = n;
    rc = 0;
out:
    free(scheme);
    free(user);
    free(h);
    free(p);
    curl_url_cleanup(u);
    return rc;
}

/* An https endpoint without query or fragment, trailing slashes dropped (heap), or NULL. */
static char *endpoint_normalise(const char *what, const char *url, bool path_allowed, char **cause)
{
    char *host = NULL, *why = NULL;
    long port;
    if (cloud_https_origin(url, &host, &port, &why) < 0) {
        xcause(cause, "%s: %s", what, why);
        free(why);
        return NULL;
    }
    free(host);
    const char *rest = strstr(url, "://");
    if (rest == NULL) {
        xcause(cause, "%s: not an https:// URL", what);
        return NULL;
    }
    rest += 3;
    size_t auth_len = strcspn(rest, "/?#");
    const char *tail = rest + auth_len;
    if (strpbrk(tail, "?#") != NULL || (!path_allowed && strspn(tail, "/") != strlen(tail))) {
        xcause(cause, "%s: %s", what,
               path_allowed ? "a query or fragment in the URL" : "a path in the URL");
        return NULL;
    }
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return xstrndup(url, n);
}

/* host[:port] of the vault resource, the port left out when it is 443. */
static char *vault_suffix(const char *resource)
{
    char *host = NULL;
    long port;
    if (cloud_https_origin(resource, &host, &port, NULL) < 0)
        return NULL;
    if (port == 443)
        return host;
    char *s = xasprintf("%s:%ld", host, port);
    free(host);
    return s;
}

static void box_free(struct cloud_box *b)
{
    free(b->authority_host);
    free(b->arm_endpoint);
    free(b->arm_scope);
    free(b->vault_suffix);
    free(b->vault_scope);
    free(b);
}

struct cloud *cloud_custom(const char *authority_host, const char *arm_endpoint,
                           const char *vault_resource, char **cause)
{
    struct cloud_box *b = xcalloc(1, sizeof *b);
    b->authority_host = endpoint_normalise("authority host", authority_host, true, cause);
    if (b->authority_host == NULL)
        goto fail;
    b->arm_endpoint = endpoint_normalise("ARM endpoint", arm_endpoint, true, cause);
    if (b->arm_endpoint == NULL)
        goto fail;
    char *vault = endpoint_normalise("vault resource", vault_resource, false, cause);
    if (vault == NULL)
        goto fail;
    b->vault_suffix = vault_suffix(vault);
    b->vault_scope = xasprintf("%s/.default", vault);
    free(vault);
    b->arm_scope = xasprintf("%s/.default", b->arm_endpoint);
    b->pub = (struct cloud){.name = "custom",
                            .authority_host = b->authority_host,
                            .arm_endpoint = b->arm_endpoint,
                            .arm_scope = b->arm_scope,
                            .vault_suffix = b->vault_suffix,
                            .vault_scope = b->vault_scope,
                            .is_custom = 1};
    return &b->pub;
fail:
    box_free(b);
    return NULL;
}

void cloud_destroy(const struct cloud *cloud)
{
    if (cloud == NULL || !cloud->is_custom)
        return; /* the built-in clouds are static */
    /* The box was allocated by cloud_custom; the const only keeps callers from editing it. */
    box_free((struct cloud_box *)(uintptr_t)cloud);
}

char *cloud_vault_url(const struct cloud *cloud, const char *vault_name)
{
    return xasprintf("https://%s.%s", vault_name, cloud->vault_suffix);
}
