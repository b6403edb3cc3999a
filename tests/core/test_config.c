/*
 * Unit tests for core/config: the option table and its defaults, every option
 * parsed, every error naming its path (unknown field, wrong type, out of range
 * for every integer option, client_secret, custom cloud rules, https), a
 * failed parse leaving the config as it was, where the file is looked for
 * (explicit, TDECTL_CONFIG, XDG), files others could write refused, and the
 * state directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "support_tmpdir.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SUB1     "11111111-2222-3333-4444-555555555555"
#define SUB2     "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define SCOPE    "\"subscriptions\": [\"" SUB1 "\"]"

static const char *const env_names[] = {"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
                                        "TDECTL_CONFIG"};

struct fixture {
    char *dir;
    char *saved_env[COUNT(env_names)];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = support_tmpdir_make();
    if (f->dir == NULL)
        return -1;
    for (size_t i = 0; i < COUNT(env_names); i++) {
        const char *v = getenv(env_names[i]);
        f->saved_env[i] = v ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
    setenv("HOME", f->dir, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < COUNT(env_names); i++) {
        if (f->saved_env[i])
            setenv(env_names[i], f->saved_env[i], 1);
        else
            unsetenv(env_names[i]);
        free(f->saved_env[i]);
    }
    support_tmpdir_remove(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *path_in(const struct fixture *f, const char *rel)
{
    size_t n = strlen(f->dir) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", f->dir, rel);
    return p;
}

/* Frees a cause and forgets it (xcause frees the old one it replaces). */
static void drop(char **cause)
{
    free(*cause);
    *cause = NULL;
}

static int parse(struct config *c, const char *text, char **cause)
{
    return config_parse(c, text, strlen(text), "t.json", cause);
}

/* text must fail; the cause must contain want; c must keep its defaults. */
static void assert_refused(const char *text, const char *want)
{
    struct config c;
    char *cause = NULL;
    config_init(&c);
    if (parse(&c, text, &cause) == 0)
        fail_msg("accepted: %s", text);
    if (cause == NULL || strstr(cause, want) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\" (input %s)", cause ? cause : "(none)", want, text);
    assert_true(strncmp(cause, "t.json: ", 8) == 0);
    assert_int_equal(c.poll_health_s, 60);
    assert_null(c.origin);
    drop(&cause);
    config_cleanup(&c);
}

static void assert_accepted(const char *text, struct config *c)
{
    char *cause = NULL;
    config_init(c);
    if (parse(c, text, &cause) != 0)
        fail_msg("refused (%s): %s", cause ? cause : "(no cause)", text);
}

/* -- the table and the defaults --------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    size_t n = 0;
    const struct config_option *o = config_options(&n);
    assert_true(n >= 25);
    struct config c;
    config_init(&c);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(o[i].name);
        assert_true(strlen(o[i].help) > 20);
        assert_string_not_equal(config_type_name(o[i].type), "?");
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(o[i].name, o[k].name);
        /* The default as the table writes it is what config_init holds. */
        char *value = config_value_text(&c, &o[i]);
        if (o[i].def == NULL) {
            assert_string_equal(value, "null");
        } else {
            cJSON *j = cJSON_Parse(o[i].def);
            char *norm = cJSON_PrintUnformatted(j);
            assert_string_equal(value, norm);
            cJSON_free(norm);
            cJSON_Delete(j);
        }
        free(value);
        char *range = config_option_range(&o[i]);
        if (o[i].type == CONFIG_INT)
            assert_true(strstr(range, "..") != NULL);
        free(range);
    }
    config_cleanup(&c);
    assert_string_equal(config_type_name((enum config_type)99), "?");
    assert_string_equal(config_cloud_name(CONFIG_CLOUD_CUSTOM), "custom");
    assert_null(config_cloud_name((enum config_cloud)7));
}

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    config_init(&c);
    assert_null(c.origin);
    assert_int_equal(c.cloud, CONFIG_CLOUD_AZURE);
    assert_string_equal(config_cloud_name(c.cloud), "AzureCloud");
    assert_null(c.authority);
    assert_null(c.ca_file);
    assert_int_equal(c.auth_mode, AUTH_DEFAULT);
    assert_null(c.tenant_id);
    assert_null(c.client_id);
    assert_int_equal(c.nsubscriptions, 0);
    assert_int_equal(c.nfogs, 0);
    assert_false(c.discover_all_subscriptions);
    assert_false(c.read_only);
    assert_true(c.snapshot);
    assert_int_equal(c.poll_structure_s, 300);
    assert_int_equal(c.poll_health_s, 60);
    assert_int_equal(c.poll_probe_s, 30);
    assert_int_equal(c.poll_jitter_percent, 10);
    assert_int_equal(c.poll_max_rpm, 600);
    assert_int_equal(c.http_connect_timeout_ms, 5000);
    assert_int_equal(c.http_timeout_ms, 30000);
    assert_int_equal(c.http_max_response_bytes, 16 * 1024 * 1024);
    assert_int_equal(c.http_max_buffered_bytes, 64 * 1024 * 1024);
    assert_int_equal(c.http_per_host, 6);
    assert_int_equal(c.http_retry_budget_ms, 30000);
    assert_int_equal(c.nexpiry_warn_days, 3);
    assert_int_equal(c.expiry_warn_days[0], 90);
    assert_int_equal(c.expiry_warn_days[1], 30);
    assert_int_equal(c.expiry_warn_days[2], 7);
    assert_null(c.theme);
    assert_null(c.keymap);
    config_cleanup(&c);
    config_cleanup(&c); /* twice is harmless */

    size_t n;
    const struct config_option *o = config_options(&n);
    char *range = config_option_range(&o[0]);
    assert_string_equal(range, "AzureCloud | AzureUSGovernment | AzureChinaCloud | custom");
    free(range);
}

/* -- every option ----------------------------------------------------------------------------- */

static const char full[] =
    "\xef\xbb\xbf{\n"
    "  \"cloud\": \"custom\",\n"
    "  \"endpoints\": {\"authority\": \"https://login.localhost:8443\",\n"
    "                \"arm\": \"https://management.localhost:8443/\",\n"
    "                \"vault_resource\": \"https://vault.localhost:8443\"},\n"
    "  \"ca_file\": \"~/azsim/ca.pem\",\n"
    "  \"auth\": {\"mode\": \"Certificate\", \"tenant_id\": \"contoso.onmicrosoft.com\",\n"
    "           \"client_id\": \"" SUB2 "\", \"certificate_path\": \"/etc/tdectl/sp.pem\"},\n"
    "  \"subscriptions\": [\"" SUB1 "\", \"" SUB2 "\"],\n"
    "  \"failover_groups\": [\n"
    "    {\"subscription\": \"" SUB1 "\", \"resource_group\": \"rg-sql\",\n"
    "     \"location\": \"westeurope\", \"name\": \"fog-a\"},\n"
    "    {\"name\": \"fog-b\", \"location\": \"northeurope\", \"resource_group\": \"rg-sql\",\n"
    "     \"subscription\": \"" SUB2 "\"}],\n"
    "  \"discover_all_subscriptions\": true,\n"
    "  \"read_only\": true,\n"
    "  \"poll\": {\"structure_seconds\": 600, \"health_seconds\": 120, \"probe_seconds\": 15,\n"
    "           \"jitter_percent\": 0, \"max_requests_per_minute\": 1200},\n"
    "  \"http\": {\"connect_timeout_ms\": 2000, \"timeout_ms\": 20000,\n"
    "           \"max_response_bytes\": 1048576, \"per_host\": 2, \"retry_budget_ms\": 0,\n"
    "           \"max_buffered_bytes\": 8388608},\n"
    "  \"expiry_warn_days\": [14, 60],\n"
    "  \"theme\": \"solarized\",\n"
    "  \"keymap\": \"/etc/tdectl/vi-keymap.json\",\n"
    "  \"mouse\": true,\n"
    "  \"snapshot\": false\n"
    "}\n";

static void test_every_option(void **state)
{
    struct fixture *f = *state;
    struct config c;
    assert_accepted(full, &c);
    assert_string_equal(c.origin, "t.json");
    assert_int_equal(c.cloud, CONFIG_CLOUD_CUSTOM);
    assert_string_equal(c.authority, "https://login.localhost:8443");
    assert_string_equal(c.arm, "https://management.localhost:8443/");
    assert_string_equal(c.vault_resource, "https://vault.localhost:8443");
    char *ca = path_in(f, "azsim/ca.pem");
    assert_string_equal(c.ca_file, ca); /* ~/ expanded */
    free(ca);
    assert_int_equal(c.auth_mode, AUTH_CERTIFICATE);
    assert_string_equal(c.tenant_id, "contoso.onmicrosoft.com");
    assert_string_equal(c.client_id, SUB2);
    assert_string_equal(c.certificate_path, "/etc/tdectl/sp.pem");
    assert_int_equal(c.nsubscriptions, 2);
    assert_string_equal(c.subscriptions[0], SUB1);
    assert_string_equal(c.subscriptions[1], SUB2);
    assert_int_equal(c.nfogs, 2);
    assert_string_equal(c.fogs[0].subscription, SUB1);
    assert_string_equal(c.fogs[0].resource_group, "rg-sql");
    assert_string_equal(c.fogs[0].location, "westeurope");
    assert_string_equal(c.fogs[0].name, "fog-a");
    assert_string_equal(c.fogs[1].subscription, SUB2);
    assert_string_equal(c.fogs[1].location, "northeurope");
    assert_string_equal(c.fogs[1].name, "fog-b");
    assert_true(c.discover_all_subscriptions);
    assert_true(c.read_only);
    assert_int_equal(c.poll_structure_s, 600);
    assert_int_equal(c.poll_health_s, 120);
    assert_int_equal(c.poll_probe_s, 15);
    assert_int_equal(c.poll_jitter_percent, 0);
    assert_int_equal(c.poll_max_rpm, 1200);
    assert_int_equal(c.http_connect_timeout_ms, 2000);
    assert_int_equal(c.http_timeout_ms, 20000);
    assert_int_equal(c.http_max_response_bytes, 1048576);
    assert_int_equal(c.http_max_buffered_bytes, 8388608);
    assert_int_equal(c.http_per_host, 2);
    assert_int_equal(c.http_retry_budget_ms, 0);
    assert_int_equal(c.nexpiry_warn_days, 2);
    assert_int_equal(c.expiry_warn_days[0], 60); /* sorted, largest first */
    assert_int_equal(c.expiry_warn_days[1], 14);
    assert_string_equal(c.theme, "solarized");
    assert_string_equal(c.keymap, "/etc/tdectl/vi-keymap.json");
    assert_true(c.mouse);
    assert_false(c.snapshot);

    size_t n;
    const struct config_option *o = config_options(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(o[i].name, "failover_groups") == 0) {
            char *v = config_value_text(&c, &o[i]);
            assert_non_null(strstr(v, "\"name\":\"fog-b\""));
            free(v);
        }
    }

    /* A second parse replaces everything (lists included), and leaks nothing. */
    char *cause = NULL;
    assert_int_equal(parse(&c,
                           "{\"subscriptions\": [], \"failover_groups\": [], "
                           "\"expiry_warn_days\": [], \"discover_all_subscriptions\": true}",
                           &cause),
                     0);
    assert_int_equal(c.nsubscriptions, 0);
    assert_int_equal(c.nfogs, 0);
    assert_int_equal(c.nexpiry_warn_days, 0);
    assert_int_equal(c.cloud, CONFIG_CLOUD_AZURE);
    assert_null(c.theme);
    config_cleanup(&c);
}

static void test_small_forms(void **state)
{
    (void)state;
    struct config c;
    assert_accepted("{\"failover_groups\": [{\"subscription\": \"" SUB1 "\", "
                    "\"resource_group\": \"r\", \"location\": \"l\", \"name\": \"n\"}]}",
                    &c);
    assert_int_equal(c.nfogs, 1);
    config_cleanup(&c);
    assert_accepted("{\"discover_all_subscriptions\": true, \"cloud\": \"azurechinacloud\", "
                    "\"theme\": null, \"auth\": {\"mode\": \"managed-identity\", "
                    "\"tenant_id\": \"" SUB1 "\"}}",
                    &c);
    assert_int_equal(c.cloud, CONFIG_CLOUD_CHINA);
    assert_int_equal(c.auth_mode, AUTH_MANAGED_IDENTITY);
    assert_null(c.theme);
    config_cleanup(&c);
    assert_accepted("{" SCOPE ", \"cloud\": \"AzureUSGovernment\", \"auth\": {\"mode\": \"cli\"}, "
                    "\"poll\": {}, \"http\": {\"connect_timeout_ms\": 30000}}   \n\t",
                    &c);
    assert_int_equal(c.cloud, CONFIG_CLOUD_USGOV);
    assert_int_equal(c.auth_mode, AUTH_CLI);
    config_cleanup(&c);
}

/* -- errors, each named by its path ----------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        /* degenerate */
        {"", "not valid JSON"},
        {"   ", "not valid JSON"},
        {"[1]", "(top level): expected an object, got an array"},
        {"null", "expected an object, got null"},
        {"{\n  \"read_only\": tru\n}", "line 2, column"},
        {"{" SCOPE "} x", "text after the JSON object"},
        {"{" SCOPE "}{}", "text after the JSON object"},
        {"{}", "nothing to watch"},
        {"{\"subscriptions\": []}", "nothing to watch"},
        /* unknown fields */
        {"{" SCOPE ", \"reed_only\": true}",
         "reed_only: unknown field (did you mean \"read_only\"?)"},
        {"{" SCOPE ", \"poll\": {\"helth_seconds\": 60}}",
         "poll.helth_seconds: unknown field (did you mean \"health_seconds\"?)"},
        {"{" SCOPE ", \"raed_only\": true}",
         "raed_only: unknown field (did you mean \"read_only\"?)"},
        {"{" SCOPE ", \"pol\": {}}", "pol: unknown field (did you mean \"poll\"?)"},
        {"{" SCOPE ", \"colour\": \"red\"}", "colour: unknown field (known here: "},
        {"{" SCOPE ", \"zzzzzzzz\": 1}", "zzzzzzzz: unknown field (known here: cloud, endpoints, "},
        {"{" SCOPE ", \"auth\": {\"xyzzyplugh\": 1}}",
         "auth.xyzzyplugh: unknown field (known here: mode, tenant_id, client_id, "
         "certificate_path)"},
        {"{" SCOPE ", \"a\\u0001b\": 1}", "a?b: unknown field"},
        {"{" SCOPE ", \"poll.health_seconds\": 60}", "poll.health_seconds: a field name cannot"},
        {"{" SCOPE ", \"read_only\": true, \"read_only\": false}", "read_only: given twice"},
        {"{" SCOPE ", \"poll\": {\"probe_seconds\": 9, \"probe_seconds\": 9}}",
         "poll.probe_seconds: given twice"},
        {"{\"failover_groups\": [{\"subscription\": \"" SUB1 "\", \"resource_group\": \"r\", "
         "\"location\": \"l\", \"nmae\": \"n\"}]}",
         "failover_groups[0].nmae: unknown field (did you mean \"name\"?)"},
        /* secrets never belong in the file */
        {"{" SCOPE ", \"auth\": {\"client_secret\": \"hunter2\"}}",
         "auth.client_secret: a client secret never goes in the config file; set "
         "AZURE_CLIENT_SECRET"},
        {"{" SCOPE ", \"client_secret\": \"hunter2\"}", "client_secret: a client secret never"},
        /* wrong types */
        {"{" SCOPE ", \"read_only\": \"yes\"}", "read_only: expected true or false, got a string"},
        {"{" SCOPE ", \"snapshot\": 1}", "snapshot: expected true or false, got a number"},
        {"{" SCOPE ", \"poll\": 5}", "poll: expected an object, got a number"},
        {"{" SCOPE ", \"poll\": {\"health_seconds\": \"60\"}}",
         "poll.health_seconds: expected an integer, got a string"},
        {"{" SCOPE ", \"poll\": {\"health_seconds\": 60.5}}",
         "poll.health_seconds: must be a whole number"},
        {"{" SCOPE ", \"poll\": {\"health_seconds\": 1e300}}",
         "poll.health_seconds: 1e+300 is out of range (10..3600)"},
        {"{" SCOPE ", \"cloud\": 3}", "cloud: expected a string, got a number"},
        {"{" SCOPE ", \"cloud\": \"AzurCloud\"}",
         "cloud: \"AzurCloud\" is not one of AzureCloud | AzureUSGovernment | AzureChinaCloud | "
         "custom"},
        {"{" SCOPE ", \"auth\": {\"mode\": \"password\"}}",
         "auth.mode: \"password\" is not one of default | secret"},
        {"{" SCOPE ", \"auth\": []}", "auth: expected an object, got an array"},
        {"{" SCOPE ", \"theme\": 5}", "theme: expected a string, got a number"},
        {"{" SCOPE ", \"theme\": \"\"}", "theme: must not be empty"},
        {"{" SCOPE ", \"keymap\": \"/a\\nb\"}", "keymap: contains a control character"},
        {"{" SCOPE ", \"keymap\": \"vi\"}", "keymap: "},
        {"{" SCOPE ", \"mouse\": \"yes\"}", "mouse: expected true or false, got a string"},
        {"{" SCOPE ", \"auth\": {\"client_id\": \"not-a-guid\"}}",
         "auth.client_id: must be a GUID"},
        {"{" SCOPE ", \"auth\": {\"client_id\": \"11111111-2222-3333-4444-55555555555\"}}",
         "auth.client_id: must be a GUID"},
        {"{" SCOPE ", \"auth\": {\"tenant_id\": \"not a tenant\"}}",
         "auth.tenant_id: must be a tenant GUID or domain"},
        {"{" SCOPE ", \"ca_file\": \"ca.pem\"}",
         "ca_file: must be an absolute path or start with ~/"},
        {"{" SCOPE ", \"ca_file\": null, \"snapshot\": null}",
         "snapshot: expected true or false, got null"},
        {"{" SCOPE ", \"auth\": {\"certificate_path\": \"~sp.pem\"}}",
         "auth.certificate_path: must be an absolute path"},
        /* lists */
        {"{\"subscriptions\": \"" SUB1 "\"}",
         "subscriptions: expected an array of GUIDs, got a string"},
        {"{\"subscriptions\": [\"" SUB1 "\", \"x\"]}", "subscriptions[1]: must be a GUID"},
        {"{\"subscriptions\": [7]}", "subscriptions[0]: expected a GUID string, got a number"},
        {"{\"subscriptions\": [\"" SUB1 "\", \"" SUB2
         "\", \"11111111-2222-3333-4444-555555555555\"]}",
         "subscriptions[2]: repeats subscriptions[0]"},
        {"{\"failover_groups\": {}}",
         "failover_groups: expected an array of objects, got an object"},
        {"{\"failover_groups\": [1]}", "failover_groups[0]: expected an object, got a number"},
        {"{\"failover_groups\": [{\"subscription\": \"" SUB1 "\", \"resource_group\": \"r\", "
         "\"name\": \"n\"}]}",
         "failover_groups[0]: \"location\" is missing"},
        {"{\"failover_groups\": [{\"subscription\": \"nope\", \"resource_group\": \"r\", "
         "\"location\": \"l\", \"name\": \"n\"}]}",
         "failover_groups[0].subscription: must be a GUID"},
        {"{\"failover_groups\": [{\"subscription\": \"" SUB1 "\", \"resource_group\": 5, "
         "\"location\": \"l\", \"name\": \"n\"}]}",
         "failover_groups[0].resource_group: expected a string, got a number"},
        {"{\"failover_groups\": [{\"subscription\": \"" SUB1 "\", \"resource_group\": \"r\", "
         "\"location\": \"l\", \"name\": \"n\", \"name\": \"m\"}]}",
         "failover_groups[0].name: given twice"},
        {"{\"failover_groups\": [{\"subscription\": \"" SUB1 "\", \"resource_group\": \"r\", "
         "\"location\": \"l\", \"name\": \"n\"}, {\"subscription\": \"" SUB1 "\", "
         "\"resource_group\": \"R\", \"location\": \"l\", \"name\": \"N\"}]}",
         "failover_groups[1]: repeats failover_groups[0]"},
        {"{" SCOPE ", \"expiry_warn_days\": 30}",
         "expiry_warn_days: expected an array of integers"},
        {"{" SCOPE ", \"expiry_warn_days\": [30, 0]}",
         "expiry_warn_days[1]: 0 is out of range (1..3650)"},
        {"{" SCOPE ", \"expiry_warn_days\": [30, 7, 30]}", "expiry_warn_days[2]: repeats"},
        {"{" SCOPE ", \"expiry_warn_days\": [1,2,3,4,5,6,7,8,9]}",
         "expiry_warn_days: has 9 entries, at most 8"},
        {"{" SCOPE ", \"expiry_warn_days\": [\"7\"]}", "expiry_warn_days[0]: expected an integer"},
        /* rules across options */
        {"{" SCOPE ", \"cloud\": \"custom\"}",
         "endpoints.authority: is required when cloud is \"custom\""},
        {"{" SCOPE ", \"cloud\": \"custom\", \"endpoints\": {\"authority\": \"https://a\", "
         "\"arm\": \"https://b\"}}",
         "endpoints.vault_resource: is required when cloud is \"custom\""},
        {"{" SCOPE ", \"endpoints\": {\"arm\": \"https://management.azure.com\"}}",
         "endpoints.arm: is used only with cloud \"custom\" (cloud is \"AzureCloud\")"},
        {"{" SCOPE ", \"cloud\": \"custom\", \"endpoints\": {\"authority\": "
         "\"http://login.localhost\", \"arm\": \"https://b\", \"vault_resource\": \"https://c\"}}",
         "endpoints.authority: must be an https URL"},
        {"{" SCOPE ", \"cloud\": \"custom\", \"endpoints\": {\"arm\": \"https://user@host\"}}",
         "endpoints.arm: must be an https URL"},
        {"{" SCOPE ", \"cloud\": \"custom\", \"endpoints\": {\"arm\": \"https://\"}}",
         "endpoints.arm: must be an https URL"},
        {"{" SCOPE ", \"cloud\": \"custom\", \"endpoints\": {\"arm\": \"https://h/?q=1\"}}",
         "endpoints.arm: must be an https URL"},
        {"{" SCOPE ", \"http\": {\"connect_timeout_ms\": 40000}}",
         "http.connect_timeout_ms: is longer than http.timeout_ms (40000 > 30000)"},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        assert_refused(cases[i].text, cases[i].want);
}

static void test_secret_not_echoed(void **state)
{
    (void)state;
    const char *texts[] = {
        "{" SCOPE ", \"auth\": {\"client_secret\": \"Sup3r-S3cret~value\"}}",
        "{" SCOPE ", \"auth\": {\"tenant_id\": \"Sup3r-S3cret~value\"}}",
        "{" SCOPE ", \"auth\": {\"client_id\": \"Sup3r-S3cret~value\"}}",
        "{" SCOPE ", \"theme\": [\"Sup3r-S3cret~value\"]}",
    };
    for (size_t i = 0; i < COUNT(texts); i++) {
        struct config c;
        char *cause = NULL;
        config_init(&c);
        assert_int_equal(parse(&c, texts[i], &cause), -1);
        assert_non_null(cause);
        assert_null(strstr(cause, "Sup3r"));
        drop(&cause);
        config_cleanup(&c);
    }
}

/* Builds {"a": {"b": value}} for the dotted name "a.b", with a scope. */
static char *json_for(const char *name, long long value)
{
    char buf[512];
    const char *dot = strchr(name, '.');
    if (dot)
        snprintf(buf, sizeof buf, "{%s, \"%.*s\": {\"%s\": %lld}}", SCOPE, (int)(dot - name), name,
                 dot + 1, value);
    else
        snprintf(buf, sizeof buf, "{%s, \"%s\": %lld}", SCOPE, name, value);
    return strdup(buf);
}

static void test_every_range(void **state)
{
    (void)state;
    size_t n;
    const struct config_option *o = config_options(&n);
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (o[i].type != CONFIG_INT)
            continue;
        char want[256], *text;
        long long bounds[] = {o[i].min - 1, o[i].max + 1};
        for (size_t b = 0; b < 2; b++) {
            snprintf(want, sizeof want, "%s: %lld is out of range (%lld..%lld)", o[i].name,
                     bounds[b], (long long)o[i].min, (long long)o[i].max);
            text = json_for(o[i].name, bounds[b]);
            assert_refused(text, want);
            free(text);
        }
        /* The ends are accepted (where the connect timeout stays within the total one). */
        long long ends[] = {o[i].min, o[i].max};
        if (strcmp(o[i].name, "http.connect_timeout_ms") == 0)
            ends[1] = 30000;
        if (strcmp(o[i].name, "http.timeout_ms") == 0)
            ends[0] = 5000;
        for (size_t b = 0; b < 2; b++) {
            struct config c;
            text = json_for(o[i].name, ends[b]);
            assert_accepted(text, &c);
            free(text);
            char *v = config_value_text(&c, &o[i]);
            snprintf(want, sizeof want, "%lld", ends[b]);
            assert_string_equal(v, want);
            free(v);
            config_cleanup(&c);
        }
        checked++;
    }
    assert_int_equal(checked, 11);
}

static void test_long_names(void **state)
{
    (void)state;
    char text[1024], name[300];
    memset(name, 'q', 299);
    name[299] = '\0';
    snprintf(text, sizeof text, "{%s, \"%s\": 1}", SCOPE, name);
    struct config c;
    char *cause = NULL;
    config_init(&c);
    assert_int_equal(parse(&c, text, &cause), -1);
    assert_non_null(strstr(cause, "qqq...: unknown field"));
    assert_true(strlen(cause) < 600); /* the name is cut, the known list stays */
    drop(&cause);
    assert_int_equal(config_parse(&c, NULL, 0, NULL, &cause), -1);
    assert_string_equal(cause, "config: no text");
    drop(&cause);
    /* A NULL cause is allowed. */
    assert_int_equal(parse(&c, "{}", NULL), -1);
    config_cleanup(&c);
}

/* -- files ------------------------------------------------------------------------------------ */

static void write_text(const char *path, const char *text, mode_t mode)
{
    assert_int_equal(support_tmpdir_write(path, text, strlen(text), mode), 0);
}

static void test_load_xdg(void **state)
{
    struct fixture *f = *state;
    struct config c;
    char *cause = NULL, buf[4096];
    config_init(&c);

    /* Nothing at the XDG path: the defaults, no origin. */
    assert_int_equal(config_load(&c, NULL, &cause), 0);
    assert_null(c.origin);
    char *want = path_in(f, ".config/tdectl/config.json");
    assert_string_equal(config_path(buf, sizeof buf), want);
    assert_null(config_path(buf, 10)); /* too small a buffer */

    /* HOME/.config/tdectl/config.json */
    char *dir = path_in(f, ".config");
    mkdir(dir, 0700);
    free(dir);
    dir = path_in(f, ".config/tdectl");
    mkdir(dir, 0700);
    free(dir);
    write_text(want, "{" SCOPE ", \"read_only\": true}", 0600);
    assert_int_equal(config_load(&c, NULL, &cause), 0);
    assert_string_equal(c.origin, want);
    assert_true(c.read_only);
    free(want);

    /* XDG_CONFIG_HOME wins when absolute; a relative one is ignored, as the spec says. */
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    want = path_in(f, ".config/tdectl/config.json");
    assert_string_equal(config_path(buf, sizeof buf), want);
    free(want);
    char *xdg = path_in(f, "xdg");
    setenv("XDG_CONFIG_HOME", xdg, 1);
    want = path_in(f, "xdg/tdectl/config.json");
    assert_string_equal(config_path(buf, sizeof buf), want);
    assert_int_equal(config_load(&c, NULL, &cause), 0); /* missing there: defaults */
    assert_null(c.origin);
    assert_false(c.read_only);
    mkdir(xdg, 0700);
    char *xdgt = path_in(f, "xdg/tdectl");
    mkdir(xdgt, 0700);
    write_text(want, "{" SCOPE ", \"theme\": \"xdg\"}", 0600);
    assert_int_equal(config_load(&c, NULL, &cause), 0);
    assert_string_equal(c.theme, "xdg");
    assert_string_equal(c.origin, want);

    /* An error in the file names the file. */
    write_text(want, "{" SCOPE ", \"theme\": 1}", 0600);
    assert_int_equal(config_load(&c, NULL, &cause), -1);
    assert_true(strncmp(cause, want, strlen(want)) == 0);
    assert_non_null(strstr(cause, ": theme: expected a string"));
    assert_string_equal(c.theme, "xdg"); /* unchanged */
    drop(&cause);
    free(want);
    free(xdg);
    free(xdgt);

    /* No HOME at all falls back to the password database. */
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    assert_non_null(config_path(buf, sizeof buf));
    assert_non_null(strstr(buf, "/.config/tdectl/config.json"));
    setenv("HOME", f->dir, 1);
    config_cleanup(&c);
}

static void test_load_named(void **state)
{
    struct fixture *f = *state;
    struct config c;
    char *cause = NULL, buf[4096];
    config_init(&c);
    char *a = path_in(f, "a.json"), *b = path_in(f, "b.json"), *missing = path_in(f, "no.json");
    write_text(a, "{" SCOPE ", \"theme\": \"a\"}", 0600);
    write_text(b, "{" SCOPE ", \"theme\": \"b\"}", 0644);

    /* An explicit path that does not exist is an error (the operator named it). */
    assert_int_equal(config_load(&c, missing, &cause), -1);
    assert_non_null(strstr(cause, missing));
    assert_non_null(strstr(cause, "No such file"));
    drop(&cause);
    assert_int_equal(config_load(&c, "", &cause), -1);
    assert_non_null(strstr(cause, "empty"));
    drop(&cause);

    /* TDECTL_CONFIG: used when set, and an error when missing. */
    setenv("TDECTL_CONFIG", a, 1);
    assert_string_equal(config_path(buf, sizeof buf), a);
    assert_int_equal(config_load(&c, NULL, &cause), 0);
    assert_string_equal(c.theme, "a");
    /* An explicit path wins over TDECTL_CONFIG. */
    assert_int_equal(config_load(&c, b, &cause), 0);
    assert_string_equal(c.theme, "b");
    assert_string_equal(c.origin, b);
    setenv("TDECTL_CONFIG", missing, 1);
    assert_int_equal(config_load(&c, NULL, &cause), -1);
    assert_non_null(strstr(cause, missing));
    assert_string_equal(c.theme, "b"); /* unchanged */
    drop(&cause);
    setenv("TDECTL_CONFIG", "", 1); /* empty: as if unset */
    assert_int_equal(config_load(&c, NULL, &cause), 0);
    assert_null(c.origin);
    unsetenv("TDECTL_CONFIG");
    free(a);
    free(b);
    free(missing);
    config_cleanup(&c);
}

static void test_unsafe_files(void **state)
{
    struct fixture *f = *state;
    struct config c;
    char *cause = NULL;
    config_init(&c);
    char *path = path_in(f, "c.json");
    write_text(path, "{" SCOPE ", \"theme\": \"t\"}", 0600);
    assert_int_equal(config_load(&c, path, &cause), 0);

    static const mode_t unsafe[] = {0620, 0602, 0666, 0777};
    for (size_t i = 0; i < COUNT(unsafe); i++) {
        chmod(path, unsafe[i]);
        assert_int_equal(config_load(&c, path, &cause), -1);
        assert_non_null(strstr(cause, "writable by others"));
        assert_non_null(strstr(cause, "chmod go-w"));
        drop(&cause);
    }
    chmod(path, 0644); /* readable by others is fine: it holds no secret */
    assert_int_equal(config_load(&c, path, &cause), 0);

    /* A directory others could write lets them replace the file. */
    char *shared = path_in(f, "shared"), *inside = path_in(f, "shared/c.json");
    mkdir(shared, 0700);
    write_text(inside, "{" SCOPE ", \"theme\": \"t\"}", 0600);
    chmod(shared, 0777);
    assert_int_equal(config_load(&c, inside, &cause), -1);
    assert_non_null(strstr(cause, "its directory"));
    drop(&cause);
    chmod(shared, 01777); /* sticky, like /tmp: others cannot replace our file */
    assert_int_equal(config_load(&c, inside, &cause), 0);
    chmod(shared, 0700);

    /* Not a regular file: a directory, a FIFO (which must not hang the start). */
    assert_int_equal(config_load(&c, shared, &cause), -1);
    assert_non_null(strstr(cause, "not a regular file"));
    drop(&cause);
    char *fifo = path_in(f, "fifo.json");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(config_load(&c, fifo, &cause), -1);
    assert_non_null(strstr(cause, "not a regular file"));
    drop(&cause);

    /* Too large. */
    size_t big = CONFIG_MAX_BYTES + 10;
    char *text = malloc(big);
    memset(text, ' ', big);
    text[0] = '{';
    text[big - 1] = '}';
    assert_int_equal(support_tmpdir_write(path, text, big, 0600), 0);
    assert_int_equal(config_load(&c, path, &cause), -1);
    assert_non_null(strstr(cause, "larger than"));
    drop(&cause);
    free(text);
    assert_string_equal(c.theme, "t"); /* every failure left the last good config */
    free(path);
    free(shared);
    free(inside);
    free(fifo);
    config_cleanup(&c);
}

static void test_state_dir(void **state)
{
    struct fixture *f = *state;
    char *cause = NULL;
    struct stat st;

    char *dir = config_state_dir(), *want = path_in(f, ".local/state/tdectl");
    assert_string_equal(dir, want);
    free(dir);
    dir = config_ensure_state_dir(&cause);
    assert_string_equal(dir, want);
    assert_int_equal(stat(want, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    char *parent = path_in(f, ".local/state");
    assert_int_equal(stat(parent, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700); /* parents it made are private too */
    free(parent);
    free(dir);

    /* Ours but readable by others: tightened. */
    chmod(want, 0755);
    dir = config_ensure_state_dir(&cause);
    assert_non_null(dir);
    assert_int_equal(stat(want, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(dir);
    free(want);

    char *xdg = path_in(f, "state/deeper");
    setenv("XDG_STATE_HOME", xdg, 1);
    want = path_in(f, "state/deeper/tdectl");
    dir = config_ensure_state_dir(&cause);
    assert_string_equal(dir, want);
    free(dir);

    /* A file where the directory should be. */
    char *file = path_in(f, "file");
    write_text(file, "x", 0600);
    setenv("XDG_STATE_HOME", file, 1);
    assert_null(config_ensure_state_dir(&cause));
    assert_non_null(cause);
    drop(&cause);
    setenv("XDG_STATE_HOME", "relative", 1); /* ignored */
    dir = config_state_dir();
    assert_non_null(strstr(dir, "/.local/state/tdectl"));
    free(dir);
    unsetenv("XDG_STATE_HOME");
    free(file);
    free(xdg);
    free(want);
}

static void test_folder(void **state)
{
    (void)state;
    char *d = config_folder("/etc/tdectl/prod.json");
    assert_string_equal(d, "/etc/tdectl");
    free(d);
    d = config_folder("prod.json");
    assert_string_equal(d, ".");
    free(d);
    char buf[4096];
    const char *def = config_path(buf, sizeof buf);
    d = config_folder(NULL); /* the default path's folder */
    if (def)
        assert_non_null(strstr(def, d));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_every_option, setup, teardown),
        cmocka_unit_test(test_small_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_secret_not_echoed),
        cmocka_unit_test(test_every_range),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test_setup_teardown(test_load_xdg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_dir, setup, teardown),
        cmocka_unit_test(test_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
