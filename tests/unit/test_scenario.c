/*
 * Unit tests for sim/scenario (+ scenario_vault): texts that are not scenarios
 * first, then one valid scenario read back field by field, then one mistake
 * at a time, each of which must give no world and a cause naming the exact
 * path and reason, and finally the embedded demo scenario.
 *
 * Key material is inline PEM generated once (2048 bits), so loading is fast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "boot.h"
#include "key.h"
#include "rsakey.h"
#include "scenario.h"
#include "simclock.h"
#include "support.h"
#include "vault.h"
#include "world.h"

#define DAY     INT64_C(86400)
#define TENANT  "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
#define SUB     "558aba93-77f9-4064-aa55-4db325ca1cbf"
#define OP_OID  "a0fe1e45-cffb-4be8-8b04-7557671c0962"
#define MI_OID  "756a35a4-1b5e-495e-93af-6fc9eefb32d0"
#define RAW_OID "f78ab195-5c4b-4638-909c-9fba4bd80287"
#define ROLE_ID "0b8bcd6e-7a0f-4f3b-9d4a-6c8f1c0e2d11"
#define V1      "0123456789abcdef0123456789abcdef"
#define V2      "fedcba9876543210fedcba9876543210"

static char *pem1, *pem2;

static int group_setup(void **state)
{
    (void)state;
    pem1 = support_rsa_pem();
    pem2 = support_rsa_pem();
    return pem1 && pem2 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(pem1);
    free(pem2);
    return 0;
}

/* Everything the loader knows, once; materials are added by base(). */
static const char base_text[] =
    "{"
    " \"name\": \"unit\","
    " \"description\": \"two vaults, two materials\","
    " \"settings\": {\"soft_delete_transition_ms\": 10, \"token_lifetime_seconds\": 600,"
    "               \"backup_max_versions\": 3},"
    " \"regions\": [{\"name\": \"eastus2\", \"geography\": \"United States\"},"
    "               {\"name\": \"westeurope\", \"geography\": \"Europe\"}],"
    " \"tenants\": [{\"id\": \"" TENANT "\", \"name\": \"contoso\"}],"
    " \"subscriptions\": [{\"id\": \"" SUB "\", \"name\": \"sub1\"}],"
    " \"principals\": ["
    "  {\"name\": \"operator\", \"kind\": \"app\", \"client_id\": "
    "   \"7d248692-5828-4a0d-ae0c-8333f4a54257\", \"object_id\": \"" OP_OID "\","
    "   \"secret\": \"s3cret\"},"
    "  {\"name\": \"mi\", \"kind\": \"managed_identity\", \"tenant\": \"contoso\","
    "   \"client_id\": \"920a9567-25b0-4683-8a53-4663d01c33f1\", \"object_id\": \"" MI_OID "\","
    "   \"imds_default\": true}],"
    " \"vaults\": ["
    "  {\"name\": \"kv-one\", \"subscription\": \"sub1\", \"resource_group\": \"rg1\","
    "   \"region\": \"eastus2\", \"sku\": \"premium\", \"retention_days\": 30,"
    "   \"purge_protection\": true,"
    "   \"network_acls\": {\"default_action\": \"Deny\", \"bypass\": \"None\","
    "                     \"ip_rules\": [\"10.0.0.0/8\", \"::1\"]},"
    "   \"access_policies\": ["
    "    {\"principal\": \"operator\", \"keys\": [\"get\", \"list\", \"wrapKey\", \"unwrapKey\"]},"
    "    {\"object_id\": \"" RAW_OID "\", \"application_id\": "
    "     \"62a50920-39f7-44ce-af52-b5ad5ff7b541\", \"keys\": [\"all\"]}],"
    "   \"keys\": ["
    "    {\"name\": \"k1\","
    "     \"rotation_policy\": {\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": "
    "\"P90D\"},"
    "       \"action\": {\"type\": \"Rotate\"}}], \"attributes\": {\"expiryTime\": \"P1Y\"}},"
    "     \"versions\": ["
    "      {\"version\": \"0123456789ABCDEF0123456789abcdef\", \"material\": \"m1\","
    "       \"kty\": \"RSA-HSM\", \"created\": \"now-10d\", \"nbf\": \"now-10d\","
    "       \"exp\": \"now+100d\", \"key_ops\": [\"wrapKey\", \"unwrapKey\"],"
    "       \"tags\": {\"purpose\": \"tde\"}},"
    "      {\"version\": \"" V2 "\", \"material\": \"m2\", \"created\": \"now-1d\","
    "       \"enabled\": false}]},"
    "    {\"name\": \"gone\", \"deleted\": {\"date\": \"now-2d\"},"
    "     \"versions\": [{\"material\": \"m2\", \"created\": 1700000000}]}]},"
    "  {\"name\": \"kv-two\", \"subscription\": \"" SUB "\", \"resource_group\": \"rg2\","
    "   \"region\": \"westeurope\", \"rbac\": true, \"soft_delete\": false,"
    "   \"public_network_access\": \"Disabled\","
    "   \"role_assignments\": [{\"principal\": \"mi\", \"id\": \"" ROLE_ID "\","
    "     \"role\": \"Key Vault Crypto Service Encryption User\", \"key\": \"k1\"}],"
    "   \"keys\": [{\"name\": \"k1\", \"managed\": true,"
    "     \"versions\": [{\"version\": \"" V1 "\", \"material\": \"m1\"}]}]}]"
    "}";

static cJSON *base(void)
{
    cJSON *top = cJSON_Parse(base_text);
    if (top == NULL)
        fail_msg("the base scenario does not parse near: %.40s", cJSON_GetErrorPtr());
    cJSON *materials = cJSON_CreateArray();
    cJSON *m1 = cJSON_CreateObject(), *m2 = cJSON_CreateObject();
    cJSON_AddStringToObject(m1, "id", "m1");
    cJSON_AddStringToObject(m1, "pem", pem1);
    cJSON_AddStringToObject(m2, "id", "m2");
    cJSON_AddStringToObject(m2, "kty", "RSA");
    cJSON_AddStringToObject(m2, "pem", pem2);
    cJSON_AddItemToArray(materials, m1);
    cJSON_AddItemToArray(materials, m2);
    cJSON_AddItemToObject(top, "materials", materials);
    return top;
}

static cJSON *at(cJSON *root, const char *path);

/*
 * The base without a materials list: every version carries pem1 inline. A
 * material costs a pairwise check of some 40 ms when it is read, and inline
 * ones are only read when their version is, so the dozens of mistakes found
 * before the keys cost nothing.
 */
static cJSON *base_light(void)
{
    cJSON *top = base();
    cJSON_DeleteItemFromObjectCaseSensitive(top, "materials");
    cJSON *vault, *key, *version;
    cJSON_ArrayForEach(vault, at(top, "vaults"))
    {
        cJSON_ArrayForEach(key, cJSON_GetObjectItemCaseSensitive(vault, "keys"))
        {
            cJSON_ArrayForEach(version, cJSON_GetObjectItemCaseSensitive(key, "versions"))
            {
                cJSON_DeleteItemFromObjectCaseSensitive(version, "material");
                cJSON_AddStringToObject(version, "pem", pem1);
            }
        }
    }
    return top;
}

/* The node at "vaults/0/keys/1": object members by name, array items by index. */
static cJSON *at(cJSON *root, const char *path)
{
    cJSON *node = root;
    const char *p = path;
    while (*p) {
        char part[64];
        size_t n = strcspn(p, "/");
        assert_true(n < sizeof part);
        memcpy(part, p, n);
        part[n] = '\0';
        if (cJSON_IsArray(node))
            node = cJSON_GetArrayItem(node, (int)strtol(part, NULL, 10));
        else
            node = cJSON_GetObjectItemCaseSensitive(node, part);
        if (node == NULL)
            fail_msg("test path %s: no %s", path, part);
        p += n;
        if (*p == '/')
            p++;
    }
    return node;
}

/* Sets (or replaces) obj.field. */
static void set(cJSON *obj, const char *field, cJSON *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, field);
    cJSON_AddItemToObject(obj, field, value);
}

static struct world *load_json(const cJSON *top, char **cause)
{
    char *text = cJSON_PrintUnformatted(top);
    struct world *w = scenario_load_text(text, strlen(text), NULL, cause);
    free(text);
    return w;
}

static void assert_cause_has(const char *cause, const char *needle)
{
    if (strstr(cause, needle) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
}

/* Loading must fail with a cause holding both fragments; consumes top. */
static void assert_load_fails(cJSON *top, const char *path, const char *reason)
{
    char *cause = NULL;
    struct world *w = load_json(top, &cause);
    cJSON_Delete(top);
    if (w != NULL) {
        world_destroy(w);
        fail_msg("the scenario loaded; expected \"%s: %s\"", path, reason);
    }
    assert_non_null(cause);
    assert_cause_has(cause, path);
    assert_cause_has(cause, reason);
    free(cause);
}

/*
 * The same in a child process, for a mistake that has been seen to crash the
 * loader: the crash fails this test instead of ending the whole program.
 */
static void assert_load_fails_isolated(cJSON *top, const char *path, const char *reason)
{
    char *text = cJSON_PrintUnformatted(top);
    cJSON_Delete(top);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Undo cmocka's handlers: a crash must end this child, not resume its test loop. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        char *cause = NULL;
        struct world *w = scenario_load_text(text, strlen(text), NULL, &cause);
        int ok = w == NULL && cause && strstr(cause, path) && strstr(cause, reason);
        if (!ok)
            fprintf(stderr, "child: world %p, cause \"%s\"\n", (void *)w, cause ? cause : "");
        _exit(ok ? 0 : 1);
    }
    free(text);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("scenario_load_text crashed (signal %d); expected \"%s: %s\"", WTERMSIG(status),
                 path, reason);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("scenario_load_text did not fail with \"%s: %s\" (child status %d)", path, reason,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void assert_text_fails(const char *text, const char *needle)
{
    char *cause = NULL;
    struct world *w = scenario_load_text(text, strlen(text), NULL, &cause);
    if (w != NULL) {
        world_destroy(w);
        fail_msg("\"%s\" loaded", text);
    }
    assert_non_null(cause);
    assert_cause_has(cause, needle);
    free(cause);
}

static void test_not_scenarios(void **state)
{
    (void)state;
    assert_text_fails("", "not valid JSON");
    assert_text_fails("   ", "not valid JSON");
    assert_text_fails("{\n  \"name\": \"t\",\n  oops\n}", "not valid JSON (line 3, column");
    assert_text_fails("{\"name\": ", "not valid JSON (line 1, column");
    assert_text_fails("\n\n\n\n[1, 2,,]", "not valid JSON (line 5");
    assert_text_fails("[]", "(top level): expected an object");
    assert_text_fails("42", "(top level): expected an object");
    assert_text_fails("{}", "name: required field is missing");
    assert_text_fails("{\"name\": \"\"}", "name: must not be empty");
    assert_text_fails("{\"name\": \"x\"}", "regions: required field is missing");
    assert_text_fails("{\"name\": \"x\", \"regions\": []}", "regions: needs at least one entry");
    assert_text_fails("{\"name\": \"x\", \"regions\": {}}", "regions: expected an array");

    /* Only len bytes count: a valid scenario cut short is invalid JSON. */
    cJSON *top = base();
    char *text = cJSON_PrintUnformatted(top);
    char *cause = NULL;
    struct world *w = scenario_load_text(text, strlen(text) - 1, NULL, &cause);
    assert_null(w);
    assert_non_null(cause);
    assert_cause_has(cause, "not valid JSON");
    free(cause);
    free(text);
    cJSON_Delete(top);
}

static void test_valid_scenario(void **state)
{
    (void)state;
    cJSON *top = base();
    char *cause = NULL;
    int64_t before = simclock_now();
    struct world *w = load_json(top, &cause);
    int64_t after = simclock_now();
    cJSON_Delete(top);
    if (w == NULL)
        fail_msg("the base scenario did not load: %s", cause);
    assert_null(cause);

    assert_string_equal(w->name, "unit");
    assert_int_equal(w->settings.transition_ms, 10);
    assert_int_equal(w->settings.token_lifetime, 600);
    assert_int_equal(w->settings.backup_max_versions, 3);
    assert_int_equal(w->nregions, 2);
    assert_string_equal(world_geography(w, "westeurope"), "Europe");
    assert_int_equal(w->ntenants, 1);
    assert_int_equal(w->nsubscriptions, 1);
    assert_string_equal(w->subscriptions[0].tenant_id, TENANT);
    assert_int_equal(w->nprincipals, 2);
    const struct principal *op = world_principal(w, "operator");
    assert_non_null(op);
    assert_int_equal(op->kind, PRINCIPAL_APP);
    assert_string_equal(op->secret, "s3cret");
    assert_string_equal(op->tenant_id, TENANT);
    const struct principal *mi = world_principal(w, "mi");
    assert_non_null(mi);
    assert_int_equal(mi->kind, PRINCIPAL_MANAGED_IDENTITY);
    assert_true(mi->imds_default);
    assert_null(mi->secret);

    assert_int_equal(w->nvaults, 2);
    struct vault *one = world_vault(w, "KV-ONE"), *two = world_vault(w, "kv-two");
    assert_non_null(one);
    assert_non_null(two);
    assert_string_equal(one->name, "kv-one");
    assert_string_equal(one->subscription_id, SUB);
    assert_string_equal(one->resource_group, "rg1");
    assert_string_equal(one->region, "eastus2");
    assert_string_equal(one->tenant_id, TENANT);
    assert_string_equal(one->sku, "premium");
    assert_true(one->soft_delete);
    assert_int_equal(one->retention_days, 30);
    assert_true(one->purge_protection);
    assert_false(one->rbac);
    assert_true(one->public_access);
    assert_true(one->acl_deny);
    assert_false(one->acl_bypass_azure);
    assert_int_equal(one->nip_rules, 2);
    assert_string_equal(one->ip_rules[0].text, "10.0.0.0/8");
    assert_string_equal(one->ip_rules[1].text, "::1/128");
    assert_int_equal(one->npolicies, 2);
    assert_string_equal(one->policies[0].object_id, OP_OID);
    assert_string_equal(one->policies[0].tenant_id, TENANT);
    assert_null(one->policies[0].application_id);
    assert_int_equal(one->policies[0].keys,
                     KPERM_GET | KPERM_LIST | KPERM_WRAPKEY | KPERM_UNWRAPKEY);
    assert_string_equal(one->policies[1].object_id, RAW_OID);
    assert_string_equal(one->policies[1].application_id, "62a50920-39f7-44ce-af52-b5ad5ff7b541");
    assert_int_equal(one->policies[1].keys, KPERM_ALL);

    assert_int_equal(one->nkeys, 2);
    struct key *k1 = vault_find_key(one, "k1");
    assert_non_null(k1);
    assert_false(k1->deleted);
    assert_true(k1->policy.set);
    assert_int_equal(k1->policy.nactions, 1);
    assert_string_equal(k1->policy.expiry, "P1Y");
    assert_int_equal(k1->nversions, 2);
    struct key_version *v1 = k1->versions[0], *v2 = k1->versions[1];
    /* The version id is kept in lower case. */
    assert_string_equal(v1->id, V1);
    assert_true(v1->hsm);
    assert_true(v1->enabled);
    assert_int_equal(v1->ops, KEYOP_WRAP | KEYOP_UNWRAP);
    assert_in_range(v1->created, before - 10 * DAY, after - 10 * DAY);
    assert_int_equal(v1->nbf, v1->created);
    assert_in_range(v1->exp, before + 100 * DAY, after + 100 * DAY);
    assert_int_equal(v1->updated, v1->created);
    assert_int_equal(v1->tags.n, 1);
    assert_string_equal(v1->tags.v[0].name, "purpose");
    assert_string_equal(v1->tags.v[0].value, "tde");
    assert_string_equal(v2->id, V2);
    assert_false(v2->hsm);
    assert_false(v2->enabled);
    assert_int_equal(v2->ops, KEYOP_RSA_DEFAULT);
    assert_int_equal(v2->exp, 0);
    assert_ptr_equal(key_latest(k1), v2);

    struct rsakey *m1 = rsakey_from_pem(pem1, strlen(pem1), NULL);
    assert_non_null(m1);
    assert_true(rsakey_same_material(v1->material, m1));
    assert_false(rsakey_same_material(v2->material, m1));
    rsakey_unref(m1);

    struct key *gone = vault_find_key(one, "gone");
    assert_non_null(gone);
    assert_true(gone->deleted);
    assert_in_range(gone->deleted_date, before - 2 * DAY, after - 2 * DAY);
    assert_int_equal(gone->scheduled_purge, gone->deleted_date + 30 * DAY);
    assert_int_equal(gone->nversions, 1);
    assert_true(key_version_id_valid(gone->versions[0]->id));
    assert_int_equal(gone->versions[0]->created, 1700000000);
    /* Two versions naming one material share it. */
    assert_ptr_equal(gone->versions[0]->material, v2->material);

    assert_string_equal(two->sku, "standard");
    assert_string_equal(two->tenant_id, TENANT);
    assert_false(two->soft_delete);
    assert_false(two->purge_protection);
    assert_true(two->rbac);
    assert_false(two->public_access);
    assert_false(two->acl_deny);
    assert_true(two->acl_bypass_azure);
    assert_int_equal(two->nroles, 1);
    assert_string_equal(two->roles[0].id, ROLE_ID);
    assert_string_equal(two->roles[0].principal_id, MI_OID);
    assert_string_equal(two->roles[0].role, "Key Vault Crypto Service Encryption User");
    assert_string_equal(two->roles[0].key_scope, "k1");
    struct key *k1b = vault_find_key(two, "k1");
    assert_non_null(k1b);
    assert_true(k1b->managed);
    assert_false(k1b->policy.set);
    assert_ptr_equal(k1b->versions[0]->material, v1->material);
    assert_string_equal(k1b->versions[0]->id, V1);
    world_destroy(w);
}

static void test_mistakes_top(void **state)
{
    (void)state;
    cJSON *top;

    top = base_light();
    cJSON_AddNumberToObject(top, "colour", 1);
    assert_load_fails(top, "colour", "unknown field");

    top = base_light();
    cJSON_DeleteItemFromObjectCaseSensitive(top, "regions");
    assert_load_fails(top, "regions", "required field is missing");

    top = base_light();
    cJSON_DeleteItemFromObjectCaseSensitive(top, "name");
    assert_load_fails(top, "name", "required field is missing");

    top = base_light();
    set(at(top, "settings"), "token_lifetime_seconds", cJSON_CreateNumber(5));
    assert_load_fails(top, "settings.token_lifetime_seconds", "expected a whole number");

    top = base_light();
    cJSON_AddItemToArray(at(top, "regions"), cJSON_Parse("{\"name\": \"eastus2\", "
                                                         "\"geography\": \"X\"}"));
    assert_load_fails(top, "regions[2]", "listed twice");

    top = base_light();
    set(at(top, "tenants/0"), "id", cJSON_CreateString("1fc969be-ee9e-424f-9ec5-a33b1d15ab7"));
    assert_load_fails(top, "tenants[0].id", "expected a GUID");

    top = base_light();
    set(at(top, "tenants/0"), "id", cJSON_CreateString("1fc969be-ee9e-424f-9ec5_a33b1d15ab71"));
    assert_load_fails(top, "tenants[0].id", "expected a GUID");

    top = base_light();
    set(at(top, "subscriptions/0"), "tenant", cJSON_CreateString("fabrikam"));
    assert_load_fails(top, "subscriptions[0].tenant", "no tenant 'fabrikam'");

    top = base_light();
    set(at(top, "principals/0"), "client_id", cJSON_CreateString("nope"));
    assert_load_fails(top, "principals[0].client_id", "expected a GUID");

    top = base_light();
    cJSON_DeleteItemFromObjectCaseSensitive(at(top, "principals/0"), "secret");
    assert_load_fails(top, "principals[0]", "needs a secret or a certificate");

    top = base_light();
    set(at(top, "principals/1"), "kind", cJSON_CreateString("robot"));
    assert_load_fails(top, "principals[1].kind", "expected one of: app managed_identity");

    top = base();
    cJSON_AddItemToArray(at(top, "materials"), cJSON_Parse("{\"id\": \"m1\", \"size\": 2048}"));
    assert_load_fails(top, "materials[2]", "material 'm1' is listed twice");

    top = base();
    set(at(top, "materials/0"), "pem", cJSON_CreateString("-----BEGIN PRIVATE KEY-----\nAAAA\n"));
    assert_load_fails(top, "materials[0]", "");

    top = base();
    set(at(top, "materials/1"), "size", cJSON_CreateNumber(1024));
    assert_load_fails(top, "materials[1].size", "from 2048 to 4096");
}

static void test_mistakes_vault(void **state)
{
    (void)state;
    cJSON *top;

    top = base_light();
    set(at(top, "vaults/0"), "region", cJSON_CreateString("westus9"));
    assert_load_fails(top, "vaults[0]", "no region 'westus9'");

    /* A vault's ARM tags follow ARM's rules, not a key version's. */
    top = base_light();
    set(at(top, "vaults/0"), "tags", cJSON_Parse("{\"a/b\": \"x\"}"));
    assert_load_fails(top, "vaults[0].tags", "reserved characters");

    top = base_light();
    set(at(top, "vaults/0"), "tags", cJSON_Parse("{\"a\": 1}"));
    assert_load_fails(top, "vaults[0].tags", "not a string");

    top = base_light();
    set(at(top, "vaults/0"), "tags", cJSON_Parse("[]"));
    assert_load_fails(top, "vaults[0].tags", "object of string values");

    top = base_light();
    set(at(top, "vaults/1"), "subscription", cJSON_CreateString("sub9"));
    assert_load_fails(top, "vaults[1]", "no subscription 'sub9'");

    top = base_light();
    set(at(top, "vaults/0"), "retention_days", cJSON_CreateNumber(5));
    assert_load_fails(top, "vaults[0].retention_days", "expected a whole number from 7 to 90");

    top = base_light();
    set(at(top, "vaults/0"), "retention_days", cJSON_CreateNumber(91));
    assert_load_fails(top, "vaults[0].retention_days", "expected a whole number from 7 to 90");

    top = base_light();
    set(at(top, "vaults/0"), "soft_delete", cJSON_CreateFalse());
    assert_load_fails(top, "vaults[0]", "purge protection needs soft delete");

    top = base_light();
    set(at(top, "vaults/1"), "name", cJSON_CreateString("KV-One"));
    assert_load_fails(top, "vaults[1]", "vault KV-One is listed twice");

    static const char *const bad_names[] = {"1kv",   "kv",  "k_v",
                                            "kv--x", "kv-", "abcdefghijklmnopqrstuvwxy"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        top = base_light();
        set(at(top, "vaults/0"), "name", cJSON_CreateString(bad_names[i]));
        assert_load_fails(top, "vaults[0]", "vault names are 3-24");
    }

    top = base_light();
    set(at(top, "vaults/0"), "sku", cJSON_CreateString("gold"));
    assert_load_fails(top, "vaults[0].sku", "expected one of: standard premium");

    top = base_light();
    set(at(top, "vaults/0"), "colour", cJSON_CreateString("blue"));
    assert_load_fails(top, "vaults[0].colour", "unknown field");

    top = base_light();
    cJSON_AddItemToArray(at(top, "vaults/0/access_policies/0/keys"), cJSON_CreateString("fly"));
    assert_load_fails(top, "vaults[0].access_policies[0].keys", "unknown key permission 'fly'");

    top = base_light();
    set(at(top, "vaults/0/access_policies/0"), "principal", cJSON_CreateString("ghost"));
    assert_load_fails(top, "vaults[0].access_policies[0]", "no principal 'ghost'");

    top = base_light();
    set(at(top, "vaults/0/access_policies/0"), "object_id", cJSON_CreateString(RAW_OID));
    assert_load_fails(top, "vaults[0].access_policies[0]",
                      "exactly one of principal and object_id");

    top = base_light();
    set(at(top, "vaults/1/role_assignments/0"), "role", cJSON_CreateString("Key Vault Wizard"));
    assert_load_fails(top, "vaults[1].role_assignments[0]", "unknown role 'Key Vault Wizard'");

    top = base_light();
    cJSON_AddItemToArray(at(top, "vaults/0/network_acls/ip_rules"),
                         cJSON_CreateString("10.0.0.0/33"));
    assert_load_fails(top, "vaults[0].network_acls", "ip_rules");

    top = base_light();
    set(at(top, "vaults/0/network_acls"), "default_action", cJSON_CreateString("Block"));
    assert_load_fails(top, "vaults[0].network_acls.default_action", "expected one of");
}

static void test_mistakes_keys(void **state)
{
    (void)state;
    cJSON *top;

    top = base_light();
    set(at(top, "vaults/0"), "sku", cJSON_CreateString("standard"));
    assert_load_fails(top, "vaults[0].keys[0]", "RSA-HSM keys need a vault of the premium SKU");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/0"), "version", cJSON_CreateString("0123"));
    assert_load_fails(top, "vaults[0].keys[0].versions[0]", "version must be 32 hexadecimal");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/0"), "version",
        cJSON_CreateString("0123456789abcdef0123456789abcdeg"));
    assert_load_fails(top, "vaults[0].keys[0].versions[0]", "version must be 32 hexadecimal");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/1"), "version", cJSON_CreateString(V1));
    assert_load_fails(top, "vaults[0].keys[0].versions[1]", "listed twice");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/0"), "nbf", cJSON_CreateString("now+10d"));
    set(at(top, "vaults/0/keys/0/versions/0"), "exp", cJSON_CreateString("now+5d"));
    assert_load_fails(top, "vaults[0].keys[0].versions[0]", "exp must be later than nbf");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/0"), "nbf", cJSON_CreateString("now+10d"));
    set(at(top, "vaults/0/keys/0/versions/0"), "exp", cJSON_CreateString("now+10d"));
    assert_load_fails(top, "vaults[0].keys[0].versions[0]", "exp must be later than nbf");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/1"), "exp", cJSON_CreateString("later"));
    assert_load_fails(top, "vaults[0].keys[0].versions[1].exp",
                      "expected Unix seconds or a time such as \"now+90d\"");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/0"), "key_ops", cJSON_Parse("[\"fly\"]"));
    assert_load_fails(top, "vaults[0].keys[0].versions[0].key_ops", "invalid operation");

    top = base_light();
    set(at(top, "vaults/0/keys/0/versions/0"), "kty", cJSON_CreateString("EC"));
    assert_load_fails(top, "vaults[0].keys[0].versions[0].kty", "expected one of: RSA RSA-HSM");

    top = base_light();
    cJSON *tags = cJSON_CreateObject();
    for (int i = 0; i < 16; i++) {
        char name[8];
        snprintf(name, sizeof name, "t%d", i);
        cJSON_AddStringToObject(tags, name, "v");
    }
    set(at(top, "vaults/0/keys/0/versions/0"), "tags", tags);
    assert_load_fails(top, "vaults[0].keys[0].versions[0].tags", "too many tags");

    top = base_light();
    set(at(top, "vaults/0/keys/1"), "name", cJSON_CreateString("a_b"));
    assert_load_fails(top, "vaults[0].keys[1]", "key names are 1-127");

    top = base_light();
    set(at(top, "vaults/0/keys/1"), "name", cJSON_CreateString("K1"));
    assert_load_fails(top, "vaults[0].keys[1]", "key K1 is listed twice");

    top = base_light();
    set(at(top, "vaults/0/keys/1"), "versions", cJSON_CreateArray());
    assert_load_fails(top, "vaults[0].keys[1]", "at least one version");

    top = base_light();
    set(at(top, "vaults/1/keys/0"), "deleted", cJSON_CreateObject());
    assert_load_fails(top, "vaults[1].keys[0].deleted", "soft delete off");

    top = base_light();
    set(at(top, "vaults/0/keys/0/rotation_policy/attributes"), "expiryTime",
        cJSON_CreateString("P27D"));
    assert_load_fails(top, "vaults[0].keys[0].rotation_policy", "at least 28 days");
}

static void test_mistake_missing_material(void **state)
{
    (void)state;
    cJSON *top = base();
    set(at(top, "vaults/0/keys/0/versions/0"), "material", cJSON_CreateString("m9"));
    assert_load_fails_isolated(top, "vaults[0].keys[0].versions[0]",
                               "no material 'm9' in this scenario's materials");
}

static void test_read_file(void **state)
{
    (void)state;
    char *cause = NULL;
    size_t len = 0;

    assert_null(scenario_read_file("/nonexistent/azsim/scenario.json", 1000, &len, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_null(scenario_read_file("/", 1000, &len, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_null(scenario_load_file("/nonexistent/azsim/scenario.json", &cause));
    assert_non_null(cause);
    assert_cause_has(cause, "/nonexistent/azsim/scenario.json");
    free(cause);
    cause = NULL;

    /* The demo file from the source tree: read whole, and refused over a size limit. */
    const char *path = TDECTL_SOURCE_DIR "/sim/scenarios/demo.json";
    char *text = scenario_read_file(path, 1 << 20, &len, &cause);
    assert_non_null(text);
    assert_int_equal(len, azsim_demo_scenario_len);
    assert_memory_equal(text, azsim_demo_scenario, len);
    assert_int_equal(text[len], '\0');
    free(text);
    assert_null(scenario_read_file(path, 100, &len, &cause));
    assert_non_null(cause);
    free(cause);
}

static void test_demo(void **state)
{
    (void)state;
    char *cause = NULL;
    struct world *w =
        scenario_load_text(azsim_demo_scenario, azsim_demo_scenario_len, NULL, &cause);
    if (w == NULL)
        fail_msg("the demo scenario did not load: %s", cause);
    assert_null(cause);
    assert_string_equal(w->name, "demo");
    assert_int_equal(w->nregions, 4);
    assert_int_equal(w->nprincipals, 5);
    /* The two TDE vaults, a scratch vault and one in another geography (backup wizard). */
    assert_int_equal(w->nvaults, 4);
    assert_string_equal(world_geography(w, "eastus2"), world_geography(w, "centralus"));

    struct vault *eus2 = world_vault(w, "kv-tde-eus2"), *cus = world_vault(w, "kv-tde-cus");
    assert_non_null(eus2);
    assert_non_null(cus);
    assert_string_equal(vault_recovery_level(eus2), "Recoverable");
    assert_true(eus2->acl_deny);
    assert_int_equal(eus2->nip_rules, 2);
    assert_int_equal(eus2->npolicies, 5);
    struct key *a = vault_find_key(eus2, "tde-protector-2025");
    struct key *b = vault_find_key(cus, "tde-protector-2025");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->nversions, 2);
    assert_int_equal(b->nversions, 2);
    assert_true(a->policy.set);
    assert_string_equal(a->policy.expiry, "P2Y");
    for (size_t i = 0; i < 2; i++) {
        /* The same version ids and the very same material in both vaults. */
        assert_string_equal(a->versions[i]->id, b->versions[i]->id);
        assert_ptr_equal(a->versions[i]->material, b->versions[i]->material);
        assert_int_equal(rsakey_bits(a->versions[i]->material), 3072);
        assert_true(a->versions[i]->hsm);
    }
    assert_false(rsakey_same_material(a->versions[0]->material, a->versions[1]->material));
    struct key *old = vault_find_key(eus2, "tde-protector-2024");
    assert_non_null(old);
    assert_int_equal(rsakey_bits(old->versions[0]->material), 2048);
    world_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_scenarios), cmocka_unit_test(test_valid_scenario),
        cmocka_unit_test(test_mistakes_top),  cmocka_unit_test(test_mistakes_vault),
        cmocka_unit_test(test_mistakes_keys), cmocka_unit_test(test_mistake_missing_material),
        cmocka_unit_test(test_read_file),     cmocka_unit_test(test_demo),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
