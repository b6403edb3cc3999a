#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "config_int.h"
#include "xmem.h"

#define COUNT(a)   (sizeof(a) / sizeof((a)[0]))
#define AT(member) offsetof(struct config, member)

/* Enum options are stored through an int: the enums must be int-sized and in table order. */
_Static_assert(sizeof(enum config_cloud) == sizeof(int), "enum config_cloud is not int-sized");
_Static_assert(sizeof(enum auth_mode) == sizeof(int), "enum auth_mode is not int-sized");
_Static_assert(AUTH_DEFAULT == 0 && AUTH_SECRET == 1 && AUTH_CERTIFICATE == 2 &&
                   AUTH_MANAGED_IDENTITY == 3 && AUTH_CLI == 4,
               "auth_choices must follow enum auth_mode");

static const char *const cloud_choices[] = {"AzureCloud", "AzureUSGovernment", "AzureChinaCloud",
                                            "custom", NULL};
static const char *const auth_choices[] = {"default",          "secret", "certificate",
                                           "managed-identity", "cli",    NULL};

/* The option table (STYLE.md rule 8): parser, defaults, docs and `tdectl info` read it. */
static const struct config_option options[] = {
    {"cloud", CONFIG_CHOICE, "\"AzureCloud\"", 0, 0, cloud_choices,
     "Which Azure cloud: its token authority, ARM and Key Vault endpoints; \"custom\" takes "
     "them from endpoints.",
     AT(cloud), 0},
    {"endpoints.authority", CONFIG_URL, NULL, 0, 0, NULL,
     "Token authority (Entra ID) for cloud \"custom\", e.g. https://login.microsoftonline.com.",
     AT(authority), 0},
    {"endpoints.arm", CONFIG_URL, NULL, 0, 0, NULL,
     "Azure Resource Manager endpoint for cloud \"custom\", e.g. https://management.azure.com.",
     AT(arm), 0},
    {"endpoints.vault_resource", CONFIG_URL, NULL, 0, 0, NULL,
     "Key Vault resource for cloud \"custom\", e.g. https://vault.azure.net; vaults are "
     "https://NAME.<its host>.",
     AT(vault_resource), 0},
    {"ca_file", CONFIG_PATH, NULL, 0, 0, NULL,
     "PEM bundle of CA certificates trusted instead of the system's (e.g. azsim's CA).",
     AT(ca_file), 0},
    {"auth.mode", CONFIG_CHOICE, "\"default\"", 0, 0, auth_choices,
     "How tdectl gets tokens; \"default\" tries secret, certificate, managed identity, then the "
     "Azure CLI. A client secret comes from AZURE_CLIENT_SECRET only, never from this file.",
     AT(auth_mode), 0},
    {"auth.tenant_id", CONFIG_TENANT, NULL, 0, 0, NULL,
     "Entra tenant (GUID or domain) for secret, certificate and CLI auth; unset: "
     "AZURE_TENANT_ID.",
     AT(tenant_id), 0},
    {"auth.client_id", CONFIG_GUID, NULL, 0, 0, NULL,
     "Application (client) id, or the client id of a user-assigned managed identity; unset: "
     "AZURE_CLIENT_ID.",
     AT(client_id), 0},
    {"auth.certificate_path", CONFIG_PATH, NULL, 0, 0, NULL,
     "PEM file with the private key and certificate for certificate auth; unset: "
     "AZURE_CLIENT_CERTIFICATE_PATH.",
     AT(certificate_path), 0},
    {"subscriptions", CONFIG_GUID_LIST, "[]", 0, 0, NULL,
     "Subscriptions to scan for failover groups, instances and vaults.", AT(subscriptions),
     AT(nsubscriptions)},
    {"failover_groups", CONFIG_FOG_LIST, "[]", 0, 0, NULL,
     "Failover groups to watch: objects {\"subscription\", \"resource_group\", \"location\", "
     "\"name\"}.",
     AT(fogs), AT(nfogs)},
    {"discover_all_subscriptions", CONFIG_BOOL, "false", 0, 0, NULL,
     "Scan every subscription the identity can see. The file must set this, subscriptions or "
     "failover_groups.",
     AT(discover_all_subscriptions), 0},
    {"read_only", CONFIG_BOOL, "false", 0, 0, NULL,
     "Refuse, in the transport, every request that could change Azure.", AT(read_only), 0},
    {"poll.structure_seconds", CONFIG_INT, "300", 30, 86400, NULL,
     "How often everything is re-read (groups, instances, vaults, keys, rotation "
     "policies, role assignments).",
     AT(poll_structure_s), 0},
    {"poll.health_seconds", CONFIG_INT, "60", 10, 3600, NULL,
     "How often health data is re-read (protectors, registered keys, databases, key "
     "versions).",
     AT(poll_health_s), 0},
    {"poll.probe_seconds", CONFIG_INT, "30", 5, 3600, NULL,
     "How often each vault is probed (reachability and latency).", AT(poll_probe_s), 0},
    {"poll.jitter_percent", CONFIG_INT, "10", 0, 50, NULL,
     "Random spread added to every poll interval, so polls do not arrive in bursts.",
     AT(poll_jitter_percent), 0},
    {"poll.max_requests_per_minute", CONFIG_INT, "600", 10, 100000, NULL,
     "Ceiling on the requests periodic polling sends per minute, all hosts together.",
     AT(poll_max_rpm), 0},
    {"http.connect_timeout_ms", CONFIG_INT, "5000", 100, 120000, NULL,
     "Time allowed to connect (TCP and TLS) to a host.", AT(http_connect_timeout_ms), 0},
    {"http.timeout_ms", CONFIG_INT, "30000", 1000, 600000, NULL,
     "Time allowed for one attempt of a request, whole transfer; at least "
     "http.connect_timeout_ms.",
     AT(http_timeout_ms), 0},
    {"http.max_response_bytes", CONFIG_INT, "16777216", 65536, 1073741824, NULL,
     "Largest answer accepted; a larger one fails as too large.", AT(http_max_response_bytes), 0},
    {"http.max_buffered_bytes", CONFIG_INT, "67108864", 65536, 4294967296, NULL,
     "Memory for all the answers being read at once (never below http.max_response_bytes); "
     "an answer that would pass it fails and is retried.",
     AT(http_max_buffered_bytes), 0},
    {"http.per_host", CONFIG_INT, "6", 1, 64, NULL,
     "Requests at once per HTTP/2 host (an HTTP/1.1 host gets one connection); the rest "
     "wait in a queue.",
     AT(http_per_host), 0},
    {"http.retry_budget_ms", CONFIG_INT, "30000", 0, 600000, NULL,
     "Retries of a request stop once it has taken this long (0: no retries).",
     AT(http_retry_budget_ms), 0},
    {"expiry_warn_days", CONFIG_INT_LIST, "[90, 30, 7]", 1, 3650, NULL,
     "Days before a key's expiry at which tdectl warns (at most 8, no duplicates).",
     AT(expiry_warn_days), AT(nexpiry_warn_days)},
    {"theme", CONFIG_STRING, NULL, 0, 0, NULL,
     "The console's theme: default, dark, light, high-contrast, mono, or a theme file.", AT(theme),
     0},
    {"keymap", CONFIG_PATH, NULL, 0, 0, NULL,
     "The console's keymap file; unset: keymap.json beside the config file, if there is one.",
     AT(keymap), 0},
    {"mouse", CONFIG_BOOL, "false", 0, 0, NULL,
     "The console takes mouse clicks and the wheel (as --mouse does).", AT(mouse), 0},
    {"snapshot", CONFIG_BOOL, "true", 0, 0, NULL,
     "Keep the last good state on disk so the console shows it, marked old, at once on start.",
     AT(snapshot), 0},
};

const struct config_option *config_options(size_t *n)
{
    *n = COUNT(options);
    return options;
}

const char *config_type_name(enum config_type type)
{
    static const char *const names[] = {
        [CONFIG_BOOL] = "boolean",
        [CONFIG_INT] = "integer",
        [CONFIG_CHOICE] = "choice",
        [CONFIG_STRING] = "string",
        [CONFIG_URL] = "https URL",
        [CONFIG_PATH] = "path",
        [CONFIG_GUID] = "GUID",
        [CONFIG_TENANT] = "GUID or domain",
        [CONFIG_GUID_LIST] = "GUID list",
        [CONFIG_INT_LIST] = "integer list",
        [CONFIG_FOG_LIST] = "object list",
    };
    return (unsigned)type < COUNT(names) ? names[type] : "?";
}

const char *config_cloud_name(enum config_cloud cloud)
{
    return (unsigned)cloud <= CONFIG_CLOUD_CUSTOM ? cloud_choices[cloud] : NULL;
}

char *config_option_range(const struct config_option *o)
{
    switch (o->type) {
    case CONFIG_INT:
        return xasprintf("%lld..%lld", (long long)o->min, (long long)o->max);
    case CONFIG_INT_LIST:
        return xasprintf("each %lld..%lld", (long long)o->min, (long long)o->max);
    case CONFIG_CHOICE: {
        char *out = xstrdup("");
        for (size_t i = 0; o->choices[i]; i++) {
            char *next = xasprintf("%s%s%s", out, i ? " | " : "", o->choices[i]);
            free(out);
            out = next;
        }
        return out;
    }
    default:
        return xstrdup("");
    }
}

void config_free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void config_free_fogs(struct config_fog *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].subscription);
        free(f[i].resource_group);
        free(f[i].location);
        free(f[i].name);
    }
    free(f);
}

static void *slot(struct config *c, size_t offset)
{
    return (char *)c + offset;
}

/* Rules that span options. */
static int validate(const struct config *c, struct config_ctx *x)
{
    const char *endpoints[] = {c->authority, c->arm, c->vault_resource};
    const char *names[] = {"endpoints.authority", "endpoints.arm", "endpoints.vault_resource"};
    for (size_t i = 0; i < COUNT(endpoints); i++) {
        if (c->cloud == CONFIG_CLOUD_CUSTOM && endpoints[i] == NULL)
            return config_fail(x, names[i], "is required when cloud is \"custom\"");
        if (c->cloud != CONFIG_CLOUD_CUSTOM && endpoints[i] != NULL)
            return config_fail(x, names[i], "is used only with cloud \"custom\" (cloud is \"%s\")",
                               config_cloud_name(c->cloud));
    }
    if (c->http_connect_timeout_ms > c->http_timeout_ms)
        return config_fail(x, "http.connect_timeout_ms",
                           "is longer than http.timeout_ms (%lld > %lld)",
                           (long long)c->http_connect_timeout_ms, (long long)c->http_timeout_ms);
    if (c->nsubscriptions == 0 && c->nfogs == 0 && !c->discover_all_subscriptions)
        return config_fail(x, NULL,
                           "nothing to watch: set subscriptions, failover_groups or "
                           "\"discover_all_subscriptions\": true");
    return 0;
}

/* -- defaults, cleanup, values ---------------------------------------------------------------- */

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    struct config_ctx x = {"defaults", NULL};
    for (size_t i = 0; i < COUNT(options); i++) {
        if (options[i].def == NULL)
            continue;
        cJSON *j = cJSON_Parse(options[i].def);
        int rc = j ? config_set(c, &options[i], j, options[i].name, &x) : -1;
        cJSON_Delete(j);
        if (rc < 0)
            abort(); /* the table's own default is wrong: test_config catches it */
    }
}

void config_cleanup(struct config *c)
{
    for (size_t i = 0; i < COUNT(options); i++) {
        const struct config_option *o = &options[i];
        if (o->type == CONFIG_GUID_LIST)
            config_free_strings(*(char ***)slot(c, o->offset), *(size_t *)slot(c, o->count_offset));
        else if (o->type == CONFIG_FOG_LIST)
            config_free_fogs(*(struct config_fog **)slot(c, o->offset),
                             *(size_t *)slot(c, o->count_offset));
        else if (o->type != CONFIG_BOOL && o->type != CONFIG_INT && o->type != CONFIG_CHOICE)
            free(*(void **)slot(c, o->offset)); /* strings and the integer list */
    }
    free(c->origin);
    memset(c, 0, sizeof *c);
}

static cJSON *value_json(const struct config *c, const struct config_option *o)
{
    const void *at = (const char *)c + o->offset;
    const size_t *count = (const size_t *)((const char *)c + o->count_offset);
    switch (o->type) {
    case CONFIG_BOOL:
        return cJSON_CreateBool(*(const bool *)at);
    case CONFIG_INT:
        return cJSON_CreateNumber((double)*(const int64_t *)at);
    case CONFIG_CHOICE:
        return cJSON_CreateString(o->choices[*(const int *)at]);
    case CONFIG_GUID_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < *count; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString((*(char **const *)at)[i]));
        return a;
    }
    case CONFIG_INT_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < *count; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber((double)(*(int64_t *const *)at)[i]));
        return a;
    }
    case CONFIG_FOG_LIST: {
        cJSON *a = cJSON_CreateArray();
        const struct config_fog *fogs = *(struct config_fog *const *)at;
        for (size_t i = 0; i < *count; i++) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "subscription", fogs[i].subscription);
            cJSON_AddStringToObject(f, "resource_group", fogs[i].resource_group);
            cJSON_AddStringToObject(f, "location", fogs[i].location);
            cJSON_AddStringToObject(f, "name", fogs[i].name);
            cJSON_AddItemToArray(a, f);
        }
        return a;
    }
    default: {
        const char *s = *(char *const *)at;
        return s ? cJSON_CreateString(s) : cJSON_CreateNull();
    }
    }
}

char *config_value_text(const struct config *c, const struct config_option *o)
{
    cJSON *j = value_json(c, o);
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    char *out = xstrdup(text ? text : "?");
    cJSON_free(text);
    return out;
}

/* -- parse and load --------------------------------------------------------------------------- */

static void where(const char *text, const char *at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

int config_parse(struct config *c, const char *text, size_t len, const char *origin, char **cause)
{
    struct config_ctx x = {origin ? origin : "config", cause};
    const char *start = text, *end = NULL;
    if (text == NULL)
        return config_fail(&x, NULL, "no text");
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a BOM some editors write */
        start += 3;
    size_t line, col;
    cJSON *root = cJSON_ParseWithLengthOpts(start, len - (size_t)(start - text), &end, 0);
    if (root == NULL) {
        where(start, end ? end : start, &line, &col);
        return config_fail(&x, NULL, "line %zu, column %zu: not valid JSON", line, col);
    }
    while (end < text + len && isspace((unsigned char)*end))
        end++;
    struct config t;
    config_init(&t);
    int rc = -1;
    if (end < text + len) {
        where(start, end, &line, &col);
        config_fail(&x, NULL, "line %zu, column %zu: text after the JSON object", line, col);
    } else if (!cJSON_IsObject(root)) {
        config_wrong_type(&x, "(top level)", "an object", root);
    } else if (config_walk(&t, root, NULL, &x) == 0 && validate(&t, &x) == 0) {
        rc = 0;
    }
    cJSON_Delete(root);
    if (rc < 0) {
        config_cleanup(&t);
        return -1;
    }
    t.origin = xstrdup_or_null(origin);
    config_cleanup(c);
    *c = t;
    return 0;
}
