/*
 * Unit tests for core/armparse, its Microsoft.KeyVault / Authorization /
 * Network / operations part (armparse_kv.c, armparse_misc.c): vault defaults
 * and access policies, role assignments, deleted vaults, subscriptions,
 * private endpoints and their connections, long-running operation status,
 * then every official Microsoft.KeyVault and Microsoft.Network example with
 * the values tdectl needs checked against the files. Degenerate bodies for
 * these parsers are in test_armparse.c with the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "armparse.h"
#include "azerr.h"
#include "support_azdata.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Cleans n elements with cleanup and frees the array. */
#define FREE_ITEMS(arr, n, cleanup)         \
    do {                                    \
        for (size_t i_ = 0; i_ < (n); i_++) \
            cleanup(&(arr)[i_]);            \
        free(arr);                          \
    } while (0)

#define ZERO_GUID "00000000-0000-0000-0000-000000000000"

/* -- the rules, on made-up bodies ------------------------------------------------------------- */

static void test_vault_rules(void **state)
{
    (void)state;
    static const char body[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/"
        "KV-East\",\"location\":\"East US\",\"sku\":{\"name\":\"Premium\"},\"properties\":{"
        "\"tenantId\":\"T\",\"vaultUri\":\"https://KV-East.vault.azure.net:443/\","
        "\"enableSoftDelete\":false,\"enablePurgeProtection\":true,\"softDeleteRetentionInDays\":"
        "7,\"enableRbacAuthorization\":true,\"networkAcls\":{\"defaultAction\":\"deny\","
        "\"bypass\":\"azureservices\"},\"publicNetworkAccess\":\"disabled\",\"accessPolicies\":["
        "{\"objectId\":\"O1\",\"tenantId\":\"T\",\"permissions\":{\"keys\":[\"All\"]}},"
        "{\"objectId\":\"O2\",\"applicationId\":\"A\",\"permissions\":{\"keys\":[\"GET\","
        "\"WrapKey\",\"unwrapkey\",\"bogus\",5,\"GetRotationPolicy\"]}},{\"objectId\":\"O3\","
        "\"permissions\":{\"keys\":\"get\"}}],\"privateEndpointConnections\":[{\"id\":\"/v/"
        "privateEndpointConnections/pec1\",\"properties\":{\"privateEndpoint\":{\"id\":\"/pe/1\"},"
        "\"privateLinkServiceConnectionState\":{\"status\":\"pending\"}}},{\"name\":\"pec2\"}]}}";
    struct model_vault v;
    char *cause = NULL;
    if (armparse_vault(body, strlen(body), &v, &cause) != 0)
        fail_msg("%s", cause);
    assert_string_equal(v.name, "kv-east");
    assert_string_equal(v.uri, "https://kv-east.vault.azure.net");
    assert_string_equal(v.location, "eastus");
    assert_string_equal(v.sku, "premium"); /* top-level sku as a fallback */
    assert_string_equal(v.tenant_id, "T");
    assert_false(v.soft_delete);
    assert_true(v.purge_protection);
    assert_int_equal(v.retention_days, 7);
    assert_true(v.rbac);
    assert_int_equal(v.rbac_before, -1);
    assert_int_equal(v.probe_latency_ms, -1);
    assert_false(v.roles_known);
    assert_string_equal(v.default_action, "Deny");
    assert_string_equal(v.bypass, "AzureServices");
    assert_string_equal(v.public_network_access, "Disabled");
    assert_int_equal(v.npolicies, 3);
    assert_int_equal(v.policies[0].key_perms, MODEL_PERM_ALL);
    assert_string_equal(v.policies[1].object_id, "O2");
    assert_string_equal(v.policies[1].application_id, "A");
    assert_null(v.policies[1].tenant_id);
    assert_int_equal(v.policies[1].key_perms, MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP |
                                                  MODEL_PERM_GETROTATIONPOLICY);
    assert_int_equal(v.policies[2].key_perms, 0);
    assert_int_equal(v.npecs, 2);
    assert_string_equal(v.pecs[0].name, "pec1");
    assert_string_equal(v.pecs[0].endpoint_id, "/pe/1");
    assert_string_equal(v.pecs[0].status, "Pending");
    assert_string_equal(v.pecs[1].name, "pec2");
    assert_null(v.pecs[1].status);
    model_vault_cleanup(&v);
    /* Defaults when the properties say nothing (or the wrong type). */
    static const char bare[] = "{\"id\":\"/v/x\",\"properties\":{\"enableSoftDelete\":\"no\","
                               "\"softDeleteRetentionInDays\":-3,\"accessPolicies\":{}}}";
    assert_int_equal(armparse_vault(bare, strlen(bare), &v, NULL), 0);
    assert_true(v.soft_delete);
    assert_false(v.purge_protection);
    assert_int_equal(v.retention_days, 90);
    assert_false(v.rbac);
    assert_null(v.uri);
    assert_null(v.sku);
    assert_null(v.default_action);
    assert_int_equal(v.npolicies, 0);
    model_vault_cleanup(&v);
}

static void test_roles_and_friends(void **state)
{
    (void)state;
    static const char roles[] =
        "{\"value\":[{\"id\":\"/subscriptions/S/providers/Microsoft.Authorization/"
        "roleAssignments/r1\",\"properties\":{\"principalId\":\"P\",\"roleDefinitionId\":"
        "\"/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/"
        "E147488A-F6F5-4113-8E2D-B22465E65BF6\",\"scope\":\"/subscriptions/S\"}}],"
        "\"nextLink\":\"https://management.azure.com/next?$skiptoken=1\"}";
    struct model_role *r;
    size_t n;
    char *next;
    assert_int_equal(armparse_role_page(roles, strlen(roles), &r, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].role_definition_id, MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER);
    assert_string_equal(r[0].principal_id, "P");
    assert_string_equal(r[0].scope, "/subscriptions/S");
    assert_string_equal(next, "https://management.azure.com/next?$skiptoken=1");
    FREE_ITEMS(r, n, model_role_cleanup);
    free(next);
    static const char deleted[] =
        "{\"value\":[{\"id\":\"/subscriptions/S/providers/Microsoft.KeyVault/locations/westus/"
        "deletedVaults/Old-Vault\",\"name\":\"x\"},{\"name\":\"ByName\"}]}";
    char **names;
    assert_int_equal(armparse_deleted_vault_page(deleted, strlen(deleted), &names, &n, NULL, NULL),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "old-vault");
    assert_string_equal(names[1], "byname");
    free(names[0]);
    free(names[1]);
    free(names);
    static const char subs[] =
        "{\"value\":[{\"id\":\"/subscriptions/S1\",\"subscriptionId\":\"S1\",\"displayName\":"
        "\"Prod\",\"state\":\"Enabled\"},{\"id\":\"/subscriptions/S2\"}]}";
    struct model_subscription *s;
    assert_int_equal(armparse_subscription_page(subs, strlen(subs), &s, &n, NULL, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].id, "S1");
    assert_string_equal(s[0].name, "Prod");
    assert_string_equal(s[1].id, "S2");
    assert_null(s[1].name);
    FREE_ITEMS(s, n, model_subscription_cleanup);
    /* A private endpoint whose only connection is a manual one (waiting for approval). */
    static const char pe[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/"
        "privateEndpoints/pe-west\",\"location\":\"West US\",\"properties\":{"
        "\"privateLinkServiceConnections\":[],\"manualPrivateLinkServiceConnections\":[{"
        "\"properties\":{\"privateLinkServiceId\":\"/v/kv\",\"privateLinkServiceConnectionState\":"
        "{\"status\":\"PENDING\"}}}]}}";
    struct model_pe p;
    assert_int_equal(armparse_pe(pe, strlen(pe), &p, NULL), 0);
    assert_string_equal(p.name, "pe-west");
    assert_string_equal(p.location, "westus");
    assert_string_equal(p.target_id, "/v/kv");
    assert_string_equal(p.status, "Pending");
    model_pe_cleanup(&p);
}

static void test_lro(void **state)
{
    (void)state;
    static const struct {
        const char *body, *status, *code, *message, *location;
    } cases[] = {
        {"{\"name\":\"op\",\"status\":\"InProgress\",\"startTime\":\"2024-05-01T10:00:00Z\"}",
         "InProgress", NULL, NULL, NULL},
        {"{\"status\":\"succeeded\",\"resourceLocation\":\"https://management.azure.com/x\"}",
         "Succeeded", NULL, NULL, "https://management.azure.com/x"},
        {"{\"status\":\"Failed\",\"error\":{\"code\":\"OperationTimedOut\",\"message\":\"The "
         "operation timed out.\"}}",
         "Failed", "OperationTimedOut", "The operation timed out.", NULL},
        {"{\"status\":\"Failed\",\"error\":{}}", "Failed", "Failed", "", NULL},
        {"{\"status\":\"Canceled\",\"error\":{\"message\":\"stopped\"}}", "Canceled", "Canceled",
         "stopped", NULL},
        {"{\"status\":\"Failed\",\"error\":\"text\"}", "Failed", NULL, NULL, NULL},
        {"{\"status\":\"Accepted\"}", "Accepted", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *status, *loc;
        struct az_error e;
        assert_int_equal(
            armparse_lro_status(cases[i].body, strlen(cases[i].body), &status, &e, &loc, NULL), 0);
        assert_string_equal(status, cases[i].status);
        if (cases[i].code) {
            assert_string_equal(e.code, cases[i].code);
            assert_string_equal(e.message, cases[i].message);
        } else {
            assert_null(e.code);
        }
        if (cases[i].location)
            assert_string_equal(loc, cases[i].location);
        else
            assert_null(loc);
        free(status);
        free(loc);
        az_error_cleanup(&e);
        /* error and resource_location are optional. */
        assert_int_equal(
            armparse_lro_status(cases[i].body, strlen(cases[i].body), &status, NULL, NULL, NULL),
            0);
        free(status);
    }
}

/* -- the official examples -------------------------------------------------------------------- */

static void check_vault_common(const struct model_vault *v, const char *rg)
{
    assert_string_equal(v->name, "sample-vault");
    assert_string_equal(v->subscription_id, ZERO_GUID);
    assert_string_equal(v->resource_group, rg);
    assert_string_equal(v->location, "westus");
    assert_string_equal(v->tenant_id, ZERO_GUID);
    assert_string_equal(v->uri, "https://sample-vault.vault.azure.net");
    assert_true(v->soft_delete);       /* absent or true */
    assert_false(v->purge_protection); /* absent */
    assert_int_equal(v->retention_days, 90);
    assert_false(v->rbac);
}

static const unsigned all16 =
    MODEL_PERM_ENCRYPT | MODEL_PERM_DECRYPT | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP |
    MODEL_PERM_SIGN | MODEL_PERM_VERIFY | MODEL_PERM_GET | MODEL_PERM_LIST | MODEL_PERM_CREATE |
    MODEL_PERM_UPDATE | MODEL_PERM_IMPORT | MODEL_PERM_DELETE | MODEL_PERM_BACKUP |
    MODEL_PERM_RESTORE | MODEL_PERM_RECOVER | MODEL_PERM_PURGE;

static void check_vault_get(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_vault v;
    assert_int_equal(armparse_vault(body, len, &v, NULL), 0);
    check_vault_common(&v, "sample-resource-group");
    assert_string_equal(v.sku, "standard");
    assert_string_equal(v.public_network_access, "Enabled");
    assert_null(v.default_action);
    assert_int_equal(v.npolicies, 1);
    assert_string_equal(v.policies[0].object_id, ZERO_GUID);
    assert_string_equal(v.policies[0].tenant_id, ZERO_GUID);
    assert_null(v.policies[0].application_id);
    assert_int_equal(v.policies[0].key_perms, all16);
    assert_int_equal(v.npecs, 0);
    model_vault_cleanup(&v);
}

static void check_vault_acls(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_vault v;
    assert_int_equal(armparse_vault(body, len, &v, NULL), 0);
    check_vault_common(&v, "sample-resource-group");
    assert_string_equal(v.default_action, "Deny");
    assert_string_equal(v.bypass, "AzureServices");
    assert_null(v.public_network_access);
    assert_int_equal(v.npolicies, 0);
    model_vault_cleanup(&v);
}

static void check_vault_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_vault *v;
    size_t n;
    char *next;
    assert_int_equal(armparse_vault_page(body, len, &v, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    check_vault_common(&v[0], "sample-group"); /* vaultUri had a trailing slash */
    assert_string_equal(v[0].sku, "premium");
    assert_int_equal(v[0].policies[0].key_perms, all16);
    assert_string_equal(next, "https://management.azure.com/subscriptions/" ZERO_GUID
                              "/resourceGroups/sample-group/providers/Microsoft.KeyVault/vaults?"
                              "api-version=2026-02-01&$skiptoken=dmF1bHQtcGVza3ktanVyeS03MzA3Ng==");
    model_vault_cleanup(&v[0]);
    free(v);
    free(next);
}

static void check_policies(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_policy *p;
    size_t n;
    assert_int_equal(armparse_access_policies(body, len, &p, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].object_id, ZERO_GUID);
    assert_int_equal(p[0].key_perms, MODEL_PERM_ENCRYPT);
    FREE_ITEMS(p, n, model_policy_cleanup);
}

#define SAMPLE_PE                                                                                \
    "/subscriptions/00000000-0000-0000-1234-000000000000/resourceGroups/sample-group/providers/" \
    "Microsoft.Network/privateEndpoints/sample-pe"

static void check_pec(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_pec c;
    assert_int_equal(armparse_pec(body, len, &c, NULL), 0);
    assert_string_equal(c.name, "sample-pec");
    assert_string_equal(c.endpoint_id, SAMPLE_PE);
    assert_string_equal(c.status, "Approved");
    model_pec_cleanup(&c);
}

static void check_pec_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_pec *c;
    size_t n;
    char *next = (char *)1;
    assert_int_equal(armparse_pec_page(body, len, &c, &n, &next, NULL), 0);
    assert_int_equal(n, 2);
    assert_null(next); /* "nextLink": null */
    assert_string_equal(c[1].endpoint_id, SAMPLE_PE);
    assert_string_equal(c[1].status, "Approved");
    FREE_ITEMS(c, n, model_pec_cleanup);
}

static void check_vault_key(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_version v;
    char *name;
    assert_int_equal(armparse_vault_key(body, len, &v, &name, NULL), 0);
    assert_string_equal(name, "sample-key-name");
    assert_string_equal(v.version, "fd618d9519b74f9aae94ade66b876acc");
    /* keyUriWithVersion has ":443": the kid is normalised. */
    assert_string_equal(v.kid, "https://sample-vault-name.vault.azure.net/keys/sample-key-name/"
                               "fd618d9519b74f9aae94ade66b876acc");
    assert_true(v.enabled);
    assert_int_equal(v.created, 1598533051);
    assert_string_equal(v.recovery_level, "Purgeable");
    assert_string_equal(v.kty, "RSA");
    assert_int_equal(v.bits, 2048);
    assert_true(v.ops_known);
    assert_int_equal(v.ops & (MODEL_OP_WRAP | MODEL_OP_UNWRAP), MODEL_OP_WRAP | MODEL_OP_UNWRAP);
    assert_string_equal(v.fingerprint, "");
    model_version_cleanup(&v);
    free(name);
}

static void check_pe(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_pe pe;
    assert_int_equal(armparse_pe(body, len, &pe, NULL), 0);
    assert_string_equal(pe.id,
                        "/subscriptions/subId/resourceGroups/rg1/providers/Microsoft.Network/"
                        "privateEndpoints/testPe");
    assert_string_equal(pe.name, "testPe");
    assert_string_equal(pe.subscription_id, "subId");
    assert_string_equal(pe.resource_group, "rg1");
    assert_string_equal(pe.location, "eastus");
    assert_string_equal(pe.target_id, "/subscriptions/subId/resourceGroups/rg1/providers/"
                                      "Microsoft.Network/privateLinkServices/testPls");
    assert_string_equal(pe.status, "Approved");
    model_pe_cleanup(&pe);
}

static const struct support_azdata_check kv_examples[] = {
    {"keyvault-mgmt/2026-02-01/createVaultWithNetworkAcls.json", check_vault_acls},
    {"keyvault-mgmt/2026-02-01/getKey.json", check_vault_key},
    {"keyvault-mgmt/2026-02-01/getPrivateEndpointConnection.json", check_pec},
    {"keyvault-mgmt/2026-02-01/getVault.json", check_vault_get},
    {"keyvault-mgmt/2026-02-01/listPrivateEndpointConnection.json", check_pec_list},
    {"keyvault-mgmt/2026-02-01/listVaultByResourceGroup.json", check_vault_list},
    {"keyvault-mgmt/2026-02-01/updateAccessPoliciesAdd.json", check_policies},
    {"network/2025-05-01/PrivateEndpointGet.json", check_pe},
};

static void test_examples(void **state)
{
    (void)state;
    struct support_azdata_counts c = {0};
    support_azdata_walk("keyvault-mgmt", kv_examples, COUNT(kv_examples), &c);
    support_azdata_walk("network", kv_examples, COUNT(kv_examples), &c);
    assert_int_equal(c.files, COUNT(kv_examples));
    assert_int_equal(c.parsed, 10);
    assert_int_equal(c.empty, 1);
    assert_int_equal(c.errors, 1); /* getKey.json's "default": empty code and message */
}

int main(void)
{
    support_azdata_init(TDECTL_SHARED_DIR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vault_rules),
        cmocka_unit_test(test_roles_and_friends),
        cmocka_unit_test(test_lro),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
