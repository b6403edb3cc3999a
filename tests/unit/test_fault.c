/*
 * Unit tests for sim/fault (+ faultstate): what fault_add refuses and why,
 * listing and clearing, which requests a fault applies to, how rates and
 * jitter behave, which faults make a vault unreachable from a region, expiry
 * by duration, and the state faults, each applied to a small world and taken
 * back.
 *
 * Degenerate specs first. The registry is process-wide: every test starts
 * and ends with it empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "fault.h"
#include "instance.h"
#include "key.h"
#include "scenario.h"
#include "sim.h"
#include "simclock.h"
#include "slog.h"
#include "support.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define TENANT      "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
#define SUB         "558aba93-77f9-4064-aa55-4db325ca1cbf"
#define OID_APP     "a0fe1e45-cffb-4be8-8b04-7557671c0962"
#define OID_MI      "756a35a4-1b5e-495e-93af-6fc9eefb32d0"
#define V1          "0123456789abcdef0123456789abcdef"
#define V2          "fedcba9876543210fedcba9876543210"

#define CRYPTO_USER "Key Vault Crypto Service Encryption User"

#define VAULT_HEAD(name)                                                                  \
    "{\"name\": \"" name "\", \"subscription\": \"" SUB "\", \"resource_group\": \"rg\"," \
    " \"region\": \"eastus2\", \"retention_days\": 7, "

/* kv-a: policies and roles for both principals; k1 (two versions) and k-off (disabled). */
#define KV_A                                                                                 \
    VAULT_HEAD("kv-a")                                                                       \
    "\"purge_protection\": true,"                                                            \
    " \"access_policies\": [{\"principal\": \"app\", \"keys\": [\"all\"]},"                  \
    "  {\"principal\": \"mi\", \"keys\": [\"get\", \"wrapKey\", \"unwrapKey\"]}],"           \
    " \"role_assignments\": [{\"principal\": \"mi\", \"role\": \"" CRYPTO_USER "\"},"        \
    "  {\"principal\": \"app\", \"role\": \"Key Vault Crypto Officer\"}],"                   \
    " \"keys\": [{\"name\": \"k1\", \"versions\": ["                                         \
    "   {\"version\": \"" V1 "\", \"material\": \"m1\"},"                                    \
    "   {\"version\": \"" V2 "\", \"material\": \"m1\", \"exp\": \"now+30d\"}]},"            \
    "  {\"name\": \"k-off\", \"versions\": [{\"version\": \"" V1 "\", \"material\": \"m1\"," \
    "   \"enabled\": false}]}]}"

/* kv-nosoft: soft delete off; kv-gone: already soft-deleted. */
#define KV_NOSOFT             \
    VAULT_HEAD("kv-nosoft")   \
    "\"soft_delete\": false," \
    " \"keys\": [{\"name\": \"k1\", \"versions\": [{\"material\": \"m1\"}]}]}"
#define KV_GONE VAULT_HEAD("kv-gone") "\"deleted\": {\"date\": \"now-1d\"}}"

#define PE_A                                                                          \
    "{\"name\": \"pe-a\", \"subscription\": \"" SUB "\", \"resource_group\": \"rg\"," \
    " \"region\": \"eastus2\", \"vault\": \"kv-a\", \"status\": \"Approved\"}"

static const char world_text[] =
    "{\"name\": \"faults\","
    " \"regions\": [{\"name\": \"eastus2\", \"geography\": \"United States\"}],"
    " \"tenants\": [{\"id\": \"" TENANT "\"}],"
    " \"subscriptions\": [{\"id\": \"" SUB "\"}],"
    " \"principals\": ["
    "  {\"name\": \"app\", \"kind\": \"app\", \"secret\": \"s\","
    "   \"client_id\": \"7d248692-5828-4a0d-ae0c-8333f4a54257\", \"object_id\": \"" OID_APP "\"},"
    "  {\"name\": \"mi\", \"kind\": \"managed_identity\","
    "   \"client_id\": \"920a9567-25b0-4683-8a53-4663d01c33f1\", \"object_id\": \"" OID_MI "\"}],"
    " \"vaults\": [" KV_A ", " KV_NOSOFT ", " KV_GONE "],"
    " \"private_endpoints\": [" PE_A "]"
    "}";

static char *pem1;
static struct sim sim;
static struct vault *kva;

static int group_setup(void **state)
{
    (void)state;
    slog_set_level(SLOG_ERROR);
    pem1 = support_rsa_pem();
    sim.dns_suffix = xstrdup("localhost");
    sim_set_addresses(&sim, 8443);
    fault_init(&sim);
    return pem1 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    fault_shutdown();
    sim_cleanup(&sim);
    free(pem1);
    return 0;
}

static int world_setup(void **state)
{
    (void)state;
    cJSON *top = cJSON_Parse(world_text);
    if (top == NULL) {
        print_error("the world does not parse near %.40s\n", cJSON_GetErrorPtr());
        return -1;
    }
    cJSON *m1 = cJSON_CreateObject();
    cJSON_AddStringToObject(m1, "id", "m1");
    cJSON_AddStringToObject(m1, "pem", pem1);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(top, "materials"), m1);
    char *text = cJSON_PrintUnformatted(top), *cause = NULL;
    cJSON_Delete(top);
    sim.world = scenario_load_text(text, strlen(text), NULL, &cause);
    free(text);
    if (sim.world == NULL) {
        print_error("the world did not load: %s\n", cause);
        free(cause);
        return -1;
    }
    kva = world_vault(sim.world, "kv-a");
    return kva ? 0 : -1;
}

static int world_teardown(void **state)
{
    (void)state;
    fault_clear_all();
    world_destroy(sim.world);
    sim.world = NULL;
    kva = NULL;
    return 0;
}

static int registry_teardown(void **state)
{
    (void)state;
    fault_clear_all();
    return 0;
}

/* ---- helpers ---- */

static int nlisted(void)
{
    cJSON *list = fault_list();
    int n = cJSON_GetArraySize(list);
    cJSON_Delete(list);
    return n;
}

/* Adds the fault in json; returns its id (heap). */
static char *add(const char *json)
{
    cJSON *spec = cJSON_Parse(json);
    if (spec == NULL)
        fail_msg("test spec does not parse: %s", json);
    char *cause = NULL;
    cJSON *f = fault_add(spec, &cause);
    cJSON_Delete(spec);
    if (f == NULL)
        fail_msg("%s refused: %s", json, cause ? cause : "?");
    assert_null(cause);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
    assert_true(cJSON_IsString(id));
    char *out = xstrdup(id->valuestring);
    cJSON_Delete(f);
    return out;
}

static void add_ok(const char *json)
{
    free(add(json));
}

/* fault_add must refuse json with a cause holding needle, and list nothing new. */
static void refused(const char *json, const char *needle)
{
    int before = nlisted();
    cJSON *spec = json ? cJSON_Parse(json) : NULL;
    if (json && spec == NULL)
        fail_msg("test spec does not parse: %s", json);
    char *cause = NULL;
    cJSON *f = fault_add(spec, &cause);
    cJSON_Delete(spec);
    if (f != NULL) {
        cJSON_Delete(f);
        fault_clear_all();
        fail_msg("%s was accepted; expected a cause with \"%s\"", json ? json : "NULL", needle);
    }
    if (cause == NULL || strstr(cause, needle) == NULL)
        fail_msg("%s: cause \"%s\" lacks \"%s\"", json ? json : "NULL", cause ? cause : "(none)",
                 needle);
    free(cause);
    assert_int_equal(nlisted(), before);
}

static struct fault_action act(const char *listener, const char *service, const char *name)
{
    struct fault_action a;
    memset(&a, 0x5a, sizeof a); /* fault_for_request must fill all of it */
    fault_for_request(listener, service, name, &a);
    return a;
}

static bool action_empty(const struct fault_action *a)
{
    struct fault_action zero;
    memset(&zero, 0, sizeof zero);
    return !a->drop && !a->blackhole && a->delay_ms == 0 && a->status == 0 && a->retry_after == 0 &&
           !a->malformed && !a->truncated && a->oversized == 0 && !a->reset && a->slow_bps == 0;
}

static void assert_untouched(const char *listener, const char *service, const char *name)
{
    struct fault_action a = act(listener, service, name);
    if (!action_empty(&a))
        fail_msg("a request %s/%s/%s was touched", listener, service, name ? name : "-");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static struct key_version *ver(const char *vault, const char *key, const char *version)
{
    struct vault *v = world_vault(sim.world, vault);
    assert_non_null(v);
    struct key *k = vault_find_key(v, key);
    assert_non_null(k);
    struct key_version *kv = key_find_version(k, version);
    assert_non_null(kv);
    return kv;
}

static const struct access_policy *policy_of(const struct vault *v, const char *oid)
{
    for (size_t i = 0; i < v->npolicies; i++) {
        if (strcmp(v->policies[i].object_id, oid) == 0)
            return &v->policies[i];
    }
    return NULL;
}

static size_t roles_of(const struct vault *v, const char *oid)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nroles; i++)
        n += strcmp(v->roles[i].principal_id, oid) == 0;
    return n;
}

/* ---- fault_add: what it refuses ---- */

static void test_add_degenerate(void **state)
{
    (void)state;
    assert_int_equal(nlisted(), 0);
    refused(NULL, "unknown fault kind ''");
    refused("{}", "unknown fault kind ''");
    refused("[]", "unknown fault kind ''");
    refused("{\"kind\": 3, \"target\": \"arm\"}", "unknown fault kind ''");
    refused("{\"kind\": \"\", \"target\": \"arm\"}", "unknown fault kind ''");
    refused("{\"kind\": \"nope\", \"target\": \"arm\"}", "unknown fault kind 'nope'");
    refused("{\"kind\": \"Refused\", \"target\": \"arm\"}", "unknown fault kind 'Refused'");
    refused("{\"kind\": \"refused \", \"target\": \"arm\"}", "unknown fault kind");
    /* A NULL cause pointer is allowed. */
    cJSON *spec = cJSON_Parse("{\"kind\": \"nope\"}");
    assert_null(fault_add(spec, NULL));
    cJSON_Delete(spec);
    assert_int_equal(nlisted(), 0);
}

static void test_add_targets(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "vault",
        "vault:",
        "vault:@eastus2",
        "vault:@",
        "vaults:kv-a",
        "Vault:kv-a",
        "ARM",
        "arm ",
        "kv-a",
        "listener",
        "listener:",
        "listener:ftp",
        "listener:HTTPS",
        "vault:a123456789b123456789c123456789d123456789e123456789f123456789g123456789",
        "vault:kv-a@", /* a view must be named; last, so a pass here cannot hide the others */
    };
    refused("{\"kind\": \"refused\"}", "a refused fault needs a target");
    refused("{\"kind\": \"latency\", \"target\": 5}", "\"target\" must be a string");
    refused("{\"kind\": \"throttle\", \"target\": null}", "\"target\" must be a string");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"kind\": \"refused\", \"target\": \"%s\"}", bad[i]);
        refused(json, "target must be vault:NAME");
    }
    static const char *const good[] = {
        "vault:kv-a", "vault:kv-a@console", "vault:kv-a@eastus2", "arm", "login",
        "imds",       "listener:https",     "listener:imds",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"kind\": \"refused\", \"target\": \"%s\"}", good[i]);
        add_ok(json);
    }
    assert_int_equal(nlisted(), (int)(sizeof good / sizeof good[0]));
}

/* A misspelt, mistyped or misplaced parameter, or a vault or view the world lacks, is refused. */
static void test_add_strict(void **state)
{
    (void)state;
    refused("{\"kind\": \"latency\", \"target\": \"arm\", \"msec\": 800}",
            "a latency fault has no parameter \"msec\"");
    refused("{\"kind\": \"latency\", \"target\": \"arm\", \"ms\": \"800\"}",
            "\"ms\" must be a number");
    refused("{\"kind\": \"refused\", \"target\": \"arm\", \"rate\": 0.5}",
            "a refused fault has no parameter \"rate\"");
    refused("{\"kind\": \"error\", \"target\": \"arm\", \"duration_seconds\": \"5\"}",
            "\"duration_seconds\" must be a number");
    refused("{\"kind\": \"refused\", \"target\": \"vault:kv-a@mars\"}",
            "'mars' is neither \"console\" nor a region");
    refused("{\"kind\": \"refused\", \"target\": \"vault:kv-nowhere\"}", "no vault 'kv-nowhere'");
    refused("{\"kind\": \"key-disable\", \"target\": \"vault:kv-a\", \"vault\": \"kv-a\", "
            "\"key\": \"k1\"}",
            "a key-disable fault has no parameter \"target\"");
    refused("{\"kind\": \"revoke\", \"vault\": \"kv-a\", \"principal\": \"x\", \"key\": \"k1\"}",
            "a revoke fault has no parameter \"key\"");
    assert_int_equal(nlisted(), 0);
    /* Every documented parameter of a kind is taken. */
    add_ok("{\"kind\": \"error\", \"target\": \"arm\", \"rate\": 0.5, \"status\": 500, "
           "\"retry_after\": 2, \"duration_seconds\": 60}");
    add_ok("{\"kind\": \"latency\", \"target\": \"vault:KV-A@EastUS2\", \"ms\": 5, "
           "\"jitter_ms\": 1}");
    assert_int_equal(nlisted(), 2);
}

static void test_add_params(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"kind\": \"latency\", \"ms\": -1",
        "\"kind\": \"latency\", \"ms\": 600001",
        "\"kind\": \"latency\", \"ms\": 1e12",
        "\"kind\": \"latency\", \"jitter_ms\": -1",
        "\"kind\": \"latency\", \"jitter_ms\": 600001",
        "\"kind\": \"throttle\", \"rate\": -0.01",
        "\"kind\": \"throttle\", \"rate\": 1.01",
        "\"kind\": \"throttle\", \"retry_after\": -1",
        "\"kind\": \"throttle\", \"retry_after\": 3601",
        "\"kind\": \"error\", \"status\": 399",
        "\"kind\": \"error\", \"status\": 600",
        "\"kind\": \"error\", \"status\": 200",
        "\"kind\": \"oversized\", \"bytes\": -1",
        "\"kind\": \"oversized\", \"bytes\": 1073741825",
        "\"kind\": \"slow\", \"bytes_per_second\": 0",
        "\"kind\": \"slow\", \"bytes_per_second\": -5",
    };
    static const char *const good[] = {
        "\"kind\": \"latency\", \"ms\": 0",
        "\"kind\": \"latency\", \"ms\": 600000, \"jitter_ms\": 600000",
        "\"kind\": \"throttle\", \"rate\": 0",
        "\"kind\": \"throttle\", \"rate\": 1, \"retry_after\": 0",
        "\"kind\": \"throttle\", \"retry_after\": 3600",
        "\"kind\": \"error\", \"status\": 400",
        "\"kind\": \"error\", \"status\": 599",
        "\"kind\": \"oversized\", \"bytes\": 0",
        "\"kind\": \"oversized\", \"bytes\": 1073741824",
        "\"kind\": \"slow\", \"bytes_per_second\": 1",
        "\"kind\": \"malformed\", \"rate\": 0.5",
        "\"kind\": \"truncated\", \"rate\": 0.5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{%s, \"target\": \"arm\"}", bad[i]);
        refused(json, "a parameter is out of range");
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{%s, \"target\": \"arm\"}", good[i]);
        add_ok(json);
    }
    assert_int_equal(nlisted(), (int)(sizeof good / sizeof good[0]));
}

static void test_add_tls_listener_https_only(void **state)
{
    (void)state;
    refused("{\"kind\": \"tls\", \"target\": \"vault:kv-a\"}", "tls faults apply to a whole");
    refused("{\"kind\": \"tls\", \"target\": \"arm\"}", "target listener:https");
    refused("{\"kind\": \"tls\", \"target\": \"imds\"}", "target listener:https");
    /* The IMDS listener is plain HTTP: there is no TLS to break. */
    refused("{\"kind\": \"tls\", \"target\": \"listener:imds\"}", "target listener:https");
    assert_false(fault_listener("https", FAULT_TLS));
    add_ok("{\"kind\": \"tls\", \"target\": \"listener:https\"}");
    assert_true(fault_listener("https", FAULT_TLS));
    assert_false(fault_listener("https", FAULT_REFUSED));
    assert_false(fault_listener("imds", FAULT_TLS));
    /* TLS is the listener's matter, not a per-request action. */
    assert_untouched("https", "vault", "kv-a");
    assert_untouched("https", "arm", NULL);
}

static void test_add_duration(void **state)
{
    (void)state;
    refused("{\"kind\": \"refused\", \"target\": \"arm\", \"duration_seconds\": -1}",
            "duration_seconds must be 0..604800");
    refused("{\"kind\": \"refused\", \"target\": \"arm\", \"duration_seconds\": 604801}",
            "duration_seconds must be 0..604800");
    refused("{\"kind\": \"refused\", \"target\": \"arm\", \"duration_seconds\": -0.001}",
            "duration_seconds");
    /* Checked before anything else about the fault, state faults included. */
    refused("{\"kind\": \"read-only\", \"vault\": \"kv-a\", \"duration_seconds\": 1e9}",
            "duration_seconds");
    add_ok("{\"kind\": \"refused\", \"target\": \"arm\", \"duration_seconds\": 0}");
    add_ok("{\"kind\": \"refused\", \"target\": \"login\", \"duration_seconds\": 604800}");
    add_ok("{\"kind\": \"refused\", \"target\": \"imds\", \"duration_seconds\": 10}");
    cJSON *list = fault_list();
    assert_int_equal(cJSON_GetArraySize(list), 3);
    const cJSON *f0 = cJSON_GetArrayItem(list, 0), *f1 = cJSON_GetArrayItem(list, 1),
                *f2 = cJSON_GetArrayItem(list, 2);
    assert_null(cJSON_GetObjectItemCaseSensitive(f0, "expires_in_seconds")); /* until cleared */
    const cJSON *e1 = cJSON_GetObjectItemCaseSensitive(f1, "expires_in_seconds");
    const cJSON *e2 = cJSON_GetObjectItemCaseSensitive(f2, "expires_in_seconds");
    assert_true(cJSON_IsNumber(e1) && cJSON_IsNumber(e2));
    assert_true(e1->valuedouble > 604700 && e1->valuedouble <= 604800);
    assert_true(e2->valuedouble > 9 && e2->valuedouble <= 10);
    cJSON_Delete(list);
}

/* ---- listing and clearing ---- */

static void test_list_and_clear(void **state)
{
    (void)state;
    assert_int_equal(fault_clear(""), -1);
    assert_int_equal(fault_clear("f1"), -1); /* nothing is registered */
    fault_clear_all();                       /* on an empty registry */
    cJSON *list = fault_list();
    assert_true(cJSON_IsArray(list));
    assert_int_equal(cJSON_GetArraySize(list), 0);
    cJSON_Delete(list);

    char *a = add("{\"kind\": \"latency\", \"target\": \"vault:kv-a\", \"ms\": 250, "
                  "\"jitter_ms\": 5}");
    char *b = add("{\"kind\": \"throttle\", \"target\": \"arm\", \"retry_after\": 7}");
    char *c = add("{\"kind\": \"refused\", \"target\": \"listener:imds\"}");
    assert_string_not_equal(a, b);
    assert_string_not_equal(b, c);
    assert_string_not_equal(a, c);
    list = fault_list();
    assert_int_equal(cJSON_GetArraySize(list), 3);
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "id")->valuestring, a);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "kind")->valuestring, "latency");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "target")->valuestring,
                        "vault:kv-a");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(first, "ms")->valueint, 250);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(first, "jitter_ms")->valueint, 5);
    cJSON_Delete(list);

    /* Clear the middle one: the others stay, in order. */
    assert_int_equal(fault_clear(b), 0);
    assert_int_equal(fault_clear(b), -1);
    list = fault_list();
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "id")->valuestring, a);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 1), "id")->valuestring, c);
    cJSON_Delete(list);
    assert_untouched("https", "arm", NULL);

    /* Ids are not reused after a clear. */
    char *d = add("{\"kind\": \"refused\", \"target\": \"login\"}");
    assert_string_not_equal(d, b);
    assert_int_equal(fault_clear("F1x"), -1);
    fault_clear_all();
    assert_int_equal(nlisted(), 0);
    assert_int_equal(fault_clear(a), -1);
    assert_untouched("https", "vault", "kv-a");
    free(a);
    free(b);
    free(c);
    free(d);
}

/* ---- which requests a fault applies to ---- */

static void test_request_no_faults(void **state)
{
    (void)state;
    assert_untouched("https", "vault", "kv-a");
    assert_untouched("https", "arm", NULL);
    assert_untouched("imds", "imds", NULL);
    assert_false(fault_still_active("https", "vault", "kv-a"));
    assert_false(fault_listener("https", FAULT_REFUSED));
    assert_false(fault_vault_outage("kv-a", "eastus2"));
}

static void test_request_vault_targets(void **state)
{
    (void)state;
    add_ok("{\"kind\": \"refused\", \"target\": \"vault:kv-a\"}");
    struct fault_action a = act("https", "vault", "kv-a");
    assert_true(a.drop);
    assert_false(a.blackhole);
    assert_true(act("https", "vault", "KV-A").drop);
    assert_untouched("https", "vault", "kv-b");
    assert_untouched("https", "vault", "kv-a2");
    assert_untouched("https", "vault", NULL);
    assert_untouched("https", "arm", NULL);
    assert_untouched("https", "arm", "kv-a"); /* a vault fault is for the vault host only */
    assert_untouched("https", "login", NULL);
    fault_clear_all();

    add_ok("{\"kind\": \"blackhole\", \"target\": \"vault:kv-a@console\"}");
    a = act("https", "vault", "kv-a");
    assert_true(a.blackhole);
    assert_false(a.drop);
    assert_true(fault_still_active("https", "vault", "kv-a"));
    assert_false(fault_still_active("https", "vault", "kv-b"));
    assert_untouched("https", "vault", "kv-b");
    fault_clear_all();
    assert_false(fault_still_active("https", "vault", "kv-a"));

    /* A region's view is the instances' path: never a request's. */
    add_ok("{\"kind\": \"refused\", \"target\": \"vault:kv-a@eastus2\"}");
    add_ok("{\"kind\": \"blackhole\", \"target\": \"vault:kv-a@westus\"}");
    add_ok("{\"kind\": \"throttle\", \"target\": \"vault:kv-a@eastus2\", \"rate\": 1}");
    assert_untouched("https", "vault", "kv-a");
    assert_false(fault_still_active("https", "vault", "kv-a"));
}

static void test_request_services(void **state)
{
    (void)state;
    add_ok("{\"kind\": \"throttle\", \"target\": \"arm\", \"retry_after\": 7}");
    add_ok("{\"kind\": \"error\", \"target\": \"login\", \"status\": 500}");
    add_ok("{\"kind\": \"error\", \"target\": \"imds\", \"status\": 503, \"retry_after\": 9}");
    struct fault_action a = act("https", "arm", NULL);
    assert_int_equal(a.status, 429);
    assert_int_equal(a.retry_after, 7);
    a = act("https", "login", NULL);
    assert_int_equal(a.status, 500);
    assert_int_equal(a.retry_after, 0); /* Retry-After goes with 503 only */
    a = act("imds", "imds", NULL);
    assert_int_equal(a.status, 503);
    assert_int_equal(a.retry_after, 9);
    assert_untouched("https", "vault", "arm");
    assert_untouched("https", "vault", "kv-a");
    fault_clear_all();

    add_ok("{\"kind\": \"malformed\", \"target\": \"arm\"}");
    add_ok("{\"kind\": \"truncated\", \"target\": \"arm\"}");
    add_ok("{\"kind\": \"oversized\", \"target\": \"login\", \"bytes\": 1000}");
    add_ok("{\"kind\": \"slow\", \"target\": \"login\", \"bytes_per_second\": 10}");
    add_ok("{\"kind\": \"reset\", \"target\": \"vault:kv-a\"}");
    a = act("https", "arm", NULL);
    assert_true(a.malformed);
    assert_true(a.truncated);
    assert_int_equal(a.status, 0);
    a = act("https", "login", NULL);
    assert_int_equal(a.oversized, 1000);
    assert_int_equal(a.slow_bps, 10);
    assert_false(a.malformed);
    a = act("https", "vault", "kv-a");
    assert_true(a.reset);
    assert_false(a.drop);
}

static void test_request_listener(void **state)
{
    (void)state;
    add_ok("{\"kind\": \"refused\", \"target\": \"listener:https\"}");
    assert_true(fault_listener("https", FAULT_REFUSED));
    assert_false(fault_listener("imds", FAULT_REFUSED));
    assert_true(act("https", "vault", "kv-a").drop);
    assert_true(act("https", "vault", "anything").drop);
    assert_true(act("https", "arm", NULL).drop);
    assert_true(act("https", "login", NULL).drop);
    assert_untouched("imds", "imds", NULL);
    /* A listener fault is no vault outage for the instances' model. */
    assert_false(fault_vault_outage("kv-a", "eastus2"));
    fault_clear_all();

    add_ok("{\"kind\": \"latency\", \"target\": \"listener:imds\", \"ms\": 40}");
    assert_int_equal(act("imds", "imds", NULL).delay_ms, 40);
    assert_untouched("https", "arm", NULL);
}

/* ---- rates and latency ---- */

static void test_rates(void **state)
{
    (void)state;
    add_ok("{\"kind\": \"throttle\", \"target\": \"arm\", \"rate\": 1}");
    add_ok("{\"kind\": \"throttle\", \"target\": \"login\", \"rate\": 0}");
    add_ok("{\"kind\": \"error\", \"target\": \"vault:kv-a\", \"rate\": 1, \"status\": 502}");
    add_ok("{\"kind\": \"error\", \"target\": \"vault:kv-b\", \"rate\": 0}");
    add_ok("{\"kind\": \"malformed\", \"target\": \"imds\", \"rate\": 0}");
    add_ok("{\"kind\": \"truncated\", \"target\": \"imds\", \"rate\": 1}");
    for (int i = 0; i < 300; i++) {
        assert_int_equal(act("https", "arm", NULL).status, 429);
        assert_int_equal(act("https", "vault", "kv-a").status, 502);
        assert_true(act("imds", "imds", NULL).truncated);
        assert_false(act("imds", "imds", NULL).malformed);
        assert_untouched("https", "login", NULL);
        assert_untouched("https", "vault", "kv-b");
        assert_true(fault_vault_outage("kv-a", "eastus2"));
        assert_false(fault_vault_outage("kv-b", "eastus2"));
    }
}

static void test_latency_jitter(void **state)
{
    (void)state;
    char *id = add("{\"kind\": \"latency\", \"target\": \"arm\", \"ms\": 100}");
    for (int i = 0; i < 20; i++)
        assert_int_equal(act("https", "arm", NULL).delay_ms, 100); /* no jitter: exact */
    fault_clear(id);
    free(id);

    id = add("{\"kind\": \"latency\", \"target\": \"arm\", \"ms\": 100, \"jitter_ms\": 20}");
    int lo = 1 << 30, hi = -1;
    for (int i = 0; i < 1000; i++) {
        int d = act("https", "arm", NULL).delay_ms;
        if (d < 80 || d > 120)
            fail_msg("delay %d outside 100 +- 20", d);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(lo < hi); /* it does vary */
    assert_true(lo <= 85 && hi >= 115);
    fault_clear(id);
    free(id);

    /* Jitter larger than the latency: never negative. */
    add_ok("{\"kind\": \"latency\", \"target\": \"login\", \"ms\": 10, \"jitter_ms\": 50}");
    for (int i = 0; i < 500; i++) {
        int d = act("https", "login", NULL).delay_ms;
        if (d < 0 || d > 60)
            fail_msg("delay %d outside 0..60", d);
    }
    fault_clear_all();

    /* Two latency faults on one request add up. */
    add_ok("{\"kind\": \"latency\", \"target\": \"vault:kv-a\", \"ms\": 100}");
    add_ok("{\"kind\": \"latency\", \"target\": \"listener:https\", \"ms\": 50}");
    assert_int_equal(act("https", "vault", "kv-a").delay_ms, 150);
    assert_int_equal(act("https", "arm", NULL).delay_ms, 50);
}

/* ---- a region's path to a vault ---- */

static void test_vault_outage(void **state)
{
    (void)state;
    add_ok("{\"kind\": \"refused\", \"target\": \"vault:kv-a\"}");
    assert_true(fault_vault_outage("kv-a", "eastus2"));
    assert_true(fault_vault_outage("KV-A", "centralus"));
    assert_false(fault_vault_outage("kv-b", "eastus2"));
    fault_clear_all();

    add_ok("{\"kind\": \"blackhole\", \"target\": \"vault:kv-a@eastus2\"}");
    assert_true(fault_vault_outage("kv-a", "eastus2"));
    assert_true(fault_vault_outage("kv-a", "EastUS2"));
    assert_false(fault_vault_outage("kv-a", "centralus"));
    fault_clear_all();

    /* The console's path is not the instances'. */
    add_ok("{\"kind\": \"refused\", \"target\": \"vault:kv-a@console\"}");
    assert_false(fault_vault_outage("kv-a", "eastus2"));
    assert_false(fault_vault_outage("kv-a", "centralus"));
    fault_clear_all();

    add_ok("{\"kind\": \"latency\", \"target\": \"vault:kv-a\", \"ms\": 29999}");
    assert_false(fault_vault_outage("kv-a", "eastus2"));
    add_ok("{\"kind\": \"latency\", \"target\": \"vault:kv-a\", \"ms\": 30000}");
    assert_true(fault_vault_outage("kv-a", "eastus2"));
    fault_clear_all();

    add_ok("{\"kind\": \"reset\", \"target\": \"vault:kv-a@eastus2\"}");
    assert_true(fault_vault_outage("kv-a", "eastus2"));
    fault_clear_all();

    /* Faults that slow or spoil answers are no outage; nor are other services'. */
    add_ok("{\"kind\": \"slow\", \"target\": \"vault:kv-a\"}");
    add_ok("{\"kind\": \"malformed\", \"target\": \"vault:kv-a\"}");
    add_ok("{\"kind\": \"truncated\", \"target\": \"vault:kv-a\"}");
    add_ok("{\"kind\": \"oversized\", \"target\": \"vault:kv-a\"}");
    add_ok("{\"kind\": \"throttle\", \"target\": \"vault:kv-a\", \"rate\": 0}");
    add_ok("{\"kind\": \"refused\", \"target\": \"arm\"}");
    add_ok("{\"kind\": \"refused\", \"target\": \"login\"}");
    assert_false(fault_vault_outage("kv-a", "eastus2"));
}

/* ---- expiry ---- */

static void test_expire(void **state)
{
    (void)state;
    fault_expire(); /* nothing registered */
    add_ok("{\"kind\": \"refused\", \"target\": \"arm\", \"duration_seconds\": 0.05}");
    add_ok("{\"kind\": \"refused\", \"target\": \"login\"}");
    add_ok("{\"kind\": \"refused\", \"target\": \"imds\", \"duration_seconds\": 60}");
    fault_expire();
    assert_int_equal(nlisted(), 3);
    assert_true(act("https", "arm", NULL).drop);
    sleep_ms(120);
    assert_true(act("https", "arm", NULL).drop); /* expiry happens in fault_expire */
    fault_expire();
    assert_int_equal(nlisted(), 2);
    assert_untouched("https", "arm", NULL);
    assert_true(act("https", "login", NULL).drop);
    assert_true(act("imds", "imds", NULL).drop);
}

/* ---- state faults ---- */

static void test_state_validation(void **state)
{
    (void)state;
    refused("{\"kind\": \"key-disable\"}", "needs \"key\"");
    refused("{\"kind\": \"key-disable\", \"key\": \"k1\"}", "needs \"vault\"");
    refused("{\"kind\": \"key-disable\", \"vault\": \"kv-a\"}", "needs \"key\"");
    refused("{\"kind\": \"key-disable\", \"vault\": 3, \"key\": \"k1\"}",
            "\"vault\" must be a string");
    refused("{\"kind\": \"key-disable\", \"vault\": \"kv-x\", \"key\": \"k1\"}", "no vault 'kv-x'");
    refused("{\"kind\": \"key-disable\", \"vault\": \"kv-a\", \"key\": \"nope\"}",
            "no key version kv-a/nope");
    refused("{\"kind\": \"key-expire\", \"vault\": \"kv-a\", \"key\": \"k1\", \"version\": \"" V2 V2
            "\"}",
            "needs \"version\"");
    refused("{\"kind\": \"key-expire\", \"vault\": \"kv-a\", \"key\": \"k1\", "
            "\"version\": \"00000000000000000000000000000000\"}",
            "no key version kv-a/k1/00000000000000000000000000000000");
    refused("{\"kind\": \"key-delete\", \"vault\": \"kv-a\"}", "needs \"key\"");
    refused("{\"kind\": \"key-delete\", \"vault\": \"kv-nosoft\", \"key\": \"k1\"}",
            "no live key 'k1' in a soft-delete vault");
    refused("{\"kind\": \"key-delete\", \"vault\": \"kv-a\", \"key\": \"nope\"}", "no live key");
    refused("{\"kind\": \"vault-delete\"}", "needs \"vault\"");
    refused("{\"kind\": \"vault-delete\", \"vault\": \"kv-x\"}", "no vault 'kv-x'");
    refused("{\"kind\": \"revoke\", \"vault\": \"kv-a\"}", "needs \"principal\"");
    refused("{\"kind\": \"revoke\", \"principal\": \"mi\"}", "needs \"vault\"");
    refused("{\"kind\": \"revoke\", \"vault\": \"kv-a\", \"principal\": \"nobody\"}",
            "no principal 'nobody'");
    refused("{\"kind\": \"rbac-flip\", \"vault\": \"\"}", "no vault ''");
    refused("{\"kind\": \"pe-state\"}", "needs \"pe\"");
    refused("{\"kind\": \"pe-state\", \"pe\": \"pe-x\", \"status\": \"Rejected\"}",
            "no private endpoint 'pe-x'");
    refused("{\"kind\": \"pe-state\", \"pe\": \"pe-a\"}",
            "status must be Disconnected, Rejected or Pending");
    refused("{\"kind\": \"pe-state\", \"pe\": \"pe-a\", \"status\": \"Approved\"}",
            "status must be Disconnected, Rejected or Pending");
    refused("{\"kind\": \"read-only\", \"vault\": \"kv-x\"}", "no vault 'kv-x'");

    /* Nothing changed on the way. */
    assert_true(ver("kv-a", "k1", V2)->enabled);
    assert_false(vault_find_key(kva, "k1")->deleted);
    assert_false(kva->rbac);
    assert_int_equal(kva->npolicies, 2);
    assert_int_equal(kva->nroles, 2);
    assert_string_equal(world_pe(sim.world, "pe-a")->status, "Approved");
}

static void test_state_key_disable(void **state)
{
    (void)state;
    struct key_version *v1 = ver("kv-a", "k1", V1), *v2 = ver("kv-a", "k1", V2);
    char *id = add("{\"kind\": \"key-disable\", \"vault\": \"kv-a\", \"key\": \"k1\"}");
    assert_false(v2->enabled); /* latest by default */
    assert_true(v1->enabled);
    assert_untouched("https", "vault", "kv-a"); /* state faults are not per request */
    assert_false(fault_vault_outage("kv-a", "eastus2"));
    assert_int_equal(fault_clear(id), 0);
    assert_true(v2->enabled);
    free(id);

    id = add("{\"kind\": \"key-disable\", \"vault\": \"KV-A\", \"key\": \"K1\", \"version\": "
             "\"" V1 "\"}");
    assert_false(v1->enabled);
    assert_true(v2->enabled);
    assert_int_equal(fault_clear(id), 0);
    assert_true(v1->enabled);
    free(id);

    /* A key that was already disabled stays so. */
    struct key_version *off = ver("kv-a", "k-off", V1);
    add_ok("{\"kind\": \"key-disable\", \"vault\": \"kv-a\", \"key\": \"k-off\"}");
    assert_false(off->enabled);
    fault_clear_all();
    assert_false(off->enabled);
}

/* Two faults on one thing, cleared in the order they were added: the world is as before. */
/*
 * Two state faults on one thing could not be undone in every clearing order
 * (each would restore what it saw), so the second is refused and names the first.
 */
static void test_state_stacked(void **state)
{
    (void)state;
    struct key_version *v2 = ver("kv-a", "k1", V2);
    char *a = add("{\"kind\": \"key-disable\", \"vault\": \"kv-a\", \"key\": \"k1\"}");
    char *needle = xasprintf("fault %s already changes this", a);
    refused("{\"kind\": \"key-disable\", \"vault\": \"kv-a\", \"key\": \"k1\", "
            "\"version\": \"" V2 "\"}",
            needle);
    /* The grants of a vault are moved by revoke, rbac-flip and vault-delete alike. */
    char *b = add("{\"kind\": \"rbac-flip\", \"vault\": \"kv-a\"}");
    refused("{\"kind\": \"vault-delete\", \"vault\": \"kv-a\"}", "already changes this");
    assert_false(v2->enabled);
    assert_int_equal(fault_clear(a), 0);
    assert_int_equal(fault_clear(b), 0);
    assert_true(v2->enabled);
    free(needle);
    free(a);
    free(b);
}

static void test_state_key_expire(void **state)
{
    (void)state;
    struct key_version *v1 = ver("kv-a", "k1", V1), *v2 = ver("kv-a", "k1", V2);
    int64_t exp2 = v2->exp;
    assert_true(exp2 > simclock_now());
    add_ok("{\"kind\": \"key-expire\", \"vault\": \"kv-a\", \"key\": \"k1\"}");
    assert_true(v2->exp != 0 && v2->exp < simclock_now());
    const char *what;
    assert_non_null(key_version_unusable(v2, simclock_now(), &what));
    assert_string_equal(key_version_unusable(v2, simclock_now(), &what), "KeyExpired");
    assert_int_equal(v1->exp, 0);
    fault_clear_all();
    assert_int_equal(v2->exp, exp2);

    add_ok("{\"kind\": \"key-expire\", \"vault\": \"kv-a\", \"key\": \"k1\", \"version\": \"" V1
           "\"}");
    assert_true(v1->exp != 0 && v1->exp < simclock_now());
    fault_clear_all();
    assert_int_equal(v1->exp, 0); /* never expired before: no exp again */
    assert_true(v1->enabled);
}

static void test_state_key_delete(void **state)
{
    (void)state;
    struct key *k = vault_find_key(kva, "k1");
    int64_t before = simclock_now();
    add_ok("{\"kind\": \"key-delete\", \"vault\": \"kv-a\", \"key\": \"k1\"}");
    assert_true(k->deleted);
    assert_true(k->deleted_date >= before && k->deleted_date <= simclock_now());
    assert_int_equal(k->scheduled_purge, k->deleted_date + 7 * 86400);
    /* A deleted key cannot be deleted again: the active fault is named. */
    refused("{\"kind\": \"key-delete\", \"vault\": \"kv-a\", \"key\": \"k1\"}",
            "already changes this");
    fault_clear_all();
    assert_false(k->deleted);
    assert_int_equal(k->deleted_date, 0);
    assert_int_equal(k->scheduled_purge, 0);
    assert_int_equal(k->nversions, 2);
}

static void test_state_vault_delete(void **state)
{
    (void)state;
    int64_t before = simclock_now();
    char *id = add("{\"kind\": \"vault-delete\", \"vault\": \"kv-a\"}");
    assert_true(kva->deleted);
    assert_true(kva->deleted_date >= before);
    assert_int_equal(kva->scheduled_purge, kva->deleted_date + 7 * 86400);
    assert_int_equal(kva->nroles, 0); /* deleting a vault deletes its role assignments */
    assert_int_equal(kva->npolicies, 2);
    assert_int_equal(kva->nkeys, 2);
    assert_int_equal(fault_clear(id), 0);
    free(id);
    assert_false(kva->deleted);
    assert_int_equal(kva->deleted_date, 0);
    assert_int_equal(kva->scheduled_purge, 0);
    assert_int_equal(kva->nroles, 2);
    assert_int_equal(roles_of(kva, OID_MI), 1);
    assert_int_equal(roles_of(kva, OID_APP), 1);
}

/* "Put it back": a vault that was already soft-deleted is still deleted afterwards. */
static void test_state_vault_delete_of_deleted(void **state)
{
    (void)state;
    struct vault *gone = world_vault(sim.world, "kv-gone");
    assert_true(gone->deleted);
    int64_t date = gone->deleted_date, purge = gone->scheduled_purge;
    cJSON *spec = cJSON_Parse("{\"kind\": \"vault-delete\", \"vault\": \"kv-gone\"}");
    char *cause = NULL;
    cJSON *f = fault_add(spec, &cause);
    cJSON_Delete(spec);
    cJSON_Delete(f);
    free(cause);
    fault_clear_all();
    assert_true(gone->deleted);
    assert_int_equal(gone->deleted_date, date);
    assert_int_equal(gone->scheduled_purge, purge);
}

static void test_state_revoke(void **state)
{
    (void)state;
    uint32_t perms = policy_of(kva, OID_MI)->keys;
    char *id = add("{\"kind\": \"revoke\", \"vault\": \"kv-a\", \"principal\": \"mi\"}");
    assert_null(policy_of(kva, OID_MI));
    assert_int_equal(roles_of(kva, OID_MI), 0);
    assert_non_null(policy_of(kva, OID_APP)); /* others keep theirs */
    assert_int_equal(roles_of(kva, OID_APP), 1);
    assert_int_equal(fault_clear(id), 0);
    free(id);
    assert_non_null(policy_of(kva, OID_MI));
    assert_int_equal(policy_of(kva, OID_MI)->keys, perms);
    assert_string_equal(policy_of(kva, OID_MI)->tenant_id, TENANT);
    assert_int_equal(roles_of(kva, OID_MI), 1);
    assert_int_equal(kva->npolicies, 2);
    assert_int_equal(kva->nroles, 2);

    /* By object id too. */
    add_ok("{\"kind\": \"revoke\", \"vault\": \"kv-a\", \"principal\": \"" OID_APP "\"}");
    assert_null(policy_of(kva, OID_APP));
    assert_non_null(policy_of(kva, OID_MI));
    fault_clear_all();
    assert_int_equal(policy_of(kva, OID_APP)->keys, KPERM_ALL);
}

static void test_state_rbac_flip(void **state)
{
    (void)state;
    add_ok("{\"kind\": \"rbac-flip\", \"vault\": \"kv-a\"}");
    assert_true(kva->rbac);
    assert_int_equal(kva->npolicies, 0); /* the flip wipes every access policy */
    assert_int_equal(kva->nroles, 2);    /* role assignments stay */
    fault_clear_all();
    assert_false(kva->rbac);
    assert_int_equal(kva->npolicies, 2);
    assert_int_equal(policy_of(kva, OID_APP)->keys, KPERM_ALL);
    assert_int_equal(policy_of(kva, OID_MI)->keys, KPERM_GET | KPERM_WRAPKEY | KPERM_UNWRAPKEY);
    assert_int_equal(kva->nroles, 2);
}

static void test_state_pe_and_read_only(void **state)
{
    (void)state;
    struct private_endpoint *pe = world_pe(sim.world, "pe-a");
    char *id = add("{\"kind\": \"pe-state\", \"pe\": \"pe-a\", \"status\": \"Disconnected\"}");
    assert_string_equal(pe->status, "Disconnected");
    assert_int_equal(fault_clear(id), 0);
    free(id);
    assert_string_equal(pe->status, "Approved");
    add_ok("{\"kind\": \"pe-state\", \"pe\": \"pe-a\", \"status\": \"Pending\"}");
    assert_string_equal(pe->status, "Pending");
    fault_clear_all();
    assert_string_equal(pe->status, "Approved");

    assert_false(kva->read_only);
    add_ok("{\"kind\": \"read-only\", \"vault\": \"kv-a\"}");
    assert_true(kva->read_only);
    fault_clear_all();
    assert_false(kva->read_only);
}

static void test_state_expires(void **state)
{
    (void)state;
    struct key_version *v2 = ver("kv-a", "k1", V2);
    add_ok("{\"kind\": \"key-disable\", \"vault\": \"kv-a\", \"key\": \"k1\", "
           "\"duration_seconds\": 0.05}");
    add_ok("{\"kind\": \"read-only\", \"vault\": \"kv-a\"}");
    assert_false(v2->enabled);
    sleep_ms(120);
    fault_expire();
    assert_true(v2->enabled);
    assert_true(kva->read_only); /* no duration: stays */
    assert_int_equal(nlisted(), 1);
}

#define REGISTRY_TEST(fn) cmocka_unit_test_teardown(fn, registry_teardown)
#define WORLD_TEST(fn)    cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        REGISTRY_TEST(test_add_degenerate),
        REGISTRY_TEST(test_add_targets),
        WORLD_TEST(test_add_strict),
        REGISTRY_TEST(test_add_params),
        REGISTRY_TEST(test_add_tls_listener_https_only),
        WORLD_TEST(test_add_duration),
        REGISTRY_TEST(test_list_and_clear),
        REGISTRY_TEST(test_request_no_faults),
        REGISTRY_TEST(test_request_vault_targets),
        REGISTRY_TEST(test_request_services),
        REGISTRY_TEST(test_request_listener),
        REGISTRY_TEST(test_rates),
        REGISTRY_TEST(test_latency_jitter),
        REGISTRY_TEST(test_vault_outage),
        REGISTRY_TEST(test_expire),
        WORLD_TEST(test_state_validation),
        WORLD_TEST(test_state_key_disable),
        WORLD_TEST(test_state_stacked),
        WORLD_TEST(test_state_key_expire),
        WORLD_TEST(test_state_key_delete),
        WORLD_TEST(test_state_vault_delete),
        WORLD_TEST(test_state_vault_delete_of_deleted),
        WORLD_TEST(test_state_revoke),
        WORLD_TEST(test_state_rbac_flip),
        WORLD_TEST(test_state_pe_and_read_only),
        WORLD_TEST(test_state_expires),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
