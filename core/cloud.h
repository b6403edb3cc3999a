/*
 * cloud — the endpoints of an Azure cloud: where to get tokens, where ARM is,
 * which suffix vaults have, and the token scopes of ARM and Key Vault.
 *
 * Profiles: AzureCloud, AzureUSGovernment, AzureChinaCloud, and "custom"
 * (every endpoint given, e.g. azsim's https://login.localhost:8443). A cloud
 * is plain data; custom ones are made with cloud_custom and freed with
 * cloud_destroy (the built-in ones are static and cloud_destroy ignores them).
 */
#ifndef TDECTL_CLOUD_H
#define TDECTL_CLOUD_H

struct cloud {
    const char *name;
    const char *authority_host; /* https://login.microsoftonline.com (no trailing slash) */
    const char *arm_endpoint;   /* https://management.azure.com */
    const char *arm_scope;      /* https://management.azure.com/.default */
    const char *vault_suffix;   /* vault.azure.net: vaults are https://NAME.vault.azure.net */
    const char *vault_scope;    /* https://vault.azure.net/.default */
    int is_custom;
};

/* Case-insensitive name ("AzureCloud", "azureusgovernment", ...); NULL when unknown. */
const struct cloud *cloud_find(const char *name);

/*
 * A custom cloud. vault_resource is the Key Vault resource
 * ("https://vault.localhost:8443"); the vault suffix is its host[:port].
 * NULL with *cause when an endpoint is not an https URL.
 */
struct cloud *cloud_custom(const char *authority_host, const char *arm_endpoint,
                           const char *vault_resource, char **cause);
void cloud_destroy(const struct cloud *cloud);

/* A vault's base URL in this cloud: https://NAME.SUFFIX (heap). */
char *cloud_vault_url(const struct cloud *cloud, const char *vault_name);

/*
 * The origin of an https URL, as challenge checks and custom clouds need it:
 * *host lower-case without a trailing dot (heap; an IPv6 literal keeps its
 * brackets), *port the explicit port or 443. A URL with user info, another
 * scheme or no host is refused: -1 with *cause (and *host NULL).
 */
int cloud_https_origin(const char *url, char **host, long *port, char **cause);

#endif
