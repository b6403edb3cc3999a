/* Unit tests for core/cloud: the public clouds, custom (azsim) clouds, URL origins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cloud.h"

static void test_find_degenerate(void **state)
{
    (void)state;
    assert_null(cloud_find(NULL));
    assert_null(cloud_find(""));
    assert_null(cloud_find("AzureGermanCloud"));
    assert_null(cloud_find("AzureCloudX"));
    cloud_destroy(NULL);
}

static void test_find_public(void **state)
{
    (void)state;
    const struct cloud *c = cloud_find("AzureCloud");
    assert_non_null(c);
    assert_string_equal(c->name, "AzureCloud");
    assert_string_equal(c->authority_host, "https://login.microsoftonline.com");
    assert_string_equal(c->arm_endpoint, "https://management.azure.com");
    assert_string_equal(c->arm_scope, "https://management.azure.com/.default");
    assert_string_equal(c->vault_suffix, "vault.azure.net");
    assert_string_equal(c->vault_scope, "https://vault.azure.net/.default");
    assert_int_equal(c->is_custom, 0);
    assert_ptr_equal(cloud_find("azurecloud"), c);
    assert_ptr_equal(cloud_find("AzurePublicCloud"), c);
    cloud_destroy(c); /* ignored: static */
    assert_string_equal(cloud_find("AzureCloud")->name, "AzureCloud");
}

static void test_find_sovereign(void **state)
{
    (void)state;
    const struct cloud *g = cloud_find("AZUREUSGOVERNMENT");
    assert_non_null(g);
    assert_string_equal(g->authority_host, "https://login.microsoftonline.us");
    assert_string_equal(g->arm_endpoint, "https://management.usgovcloudapi.net");
    assert_string_equal(g->arm_scope, "https://management.usgovcloudapi.net/.default");
    assert_string_equal(g->vault_suffix, "vault.usgovcloudapi.net");
    assert_string_equal(g->vault_scope, "https://vault.usgovcloudapi.net/.default");

    const struct cloud *c = cloud_find("AzureChinaCloud");
    assert_non_null(c);
    assert_string_equal(c->authority_host, "https://login.chinacloudapi.cn");
    assert_string_equal(c->arm_endpoint, "https://management.chinacloudapi.cn");
    assert_string_equal(c->arm_scope, "https://management.chinacloudapi.cn/.default");
    assert_string_equal(c->vault_suffix, "vault.azure.cn");
    assert_string_equal(c->vault_scope, "https://vault.azure.cn/.default");
    assert_ptr_equal(cloud_find("china"), c);
}

static void test_vault_url(void **state)
{
    (void)state;
    char *u = cloud_vault_url(cloud_find("AzureCloud"), "kv-tde-eus2");
    assert_string_equal(u, "https://kv-tde-eus2.vault.azure.net");
    free(u);
    u = cloud_vault_url(cloud_find("AzureChinaCloud"), "kv1");
    assert_string_equal(u, "https://kv1.vault.azure.cn");
    free(u);
}

static void test_custom_azsim(void **state)
{
    (void)state;
    char *cause = NULL;
    struct cloud *c =
        cloud_custom("https://login.localhost:8443/", "https://management.localhost:8443",
                     "https://vault.localhost:8443", &cause);
    assert_non_null(c);
    assert_null(cause);
    assert_string_equal(c->name, "custom");
    assert_int_equal(c->is_custom, 1);
    assert_string_equal(c->authority_host, "https://login.localhost:8443");
    assert_string_equal(c->arm_endpoint, "https://management.localhost:8443");
    assert_string_equal(c->arm_scope, "https://management.localhost:8443/.default");
    assert_string_equal(c->vault_suffix, "vault.localhost:8443");
    assert_string_equal(c->vault_scope, "https://vault.localhost:8443/.default");
    char *u = cloud_vault_url(c, "kv-a");
    assert_string_equal(u, "https://kv-a.vault.localhost:8443");
    free(u);
    cloud_destroy(c);

    /* Port 443 is the default: it does not belong in the suffix. */
    c = cloud_custom("https://login.example.com", "https://arm.example.com/",
                     "https://Vault.Example.com:443/", &cause);
    assert_non_null(c);
    assert_string_equal(c->vault_suffix, "vault.example.com");
    assert_string_equal(c->vault_scope, "https://Vault.Example.com:443/.default");
    assert_string_equal(c->arm_scope, "https://arm.example.com/.default");
    cloud_destroy(c);
}

static void test_custom_refused(void **state)
{
    (void)state;
    static const char *const bad[][3] = {
        {NULL, "https://m.localhost", "https://vault.localhost"},
        {"", "https://m.localhost", "https://vault.localhost"},
        {"http://login.localhost", "https://m.localhost", "https://vault.localhost"},
        {"https://login.localhost", "ftp://m.localhost", "https://vault.localhost"},
        {"https://login.localhost", "https://m.localhost", "https://vault.localhost/keys"},
        {"https://login.localhost", "https://m.localhost", "https://u:p@vault.localhost"},
        {"https://login.localhost", "https://m.localhost?x=1", "https://vault.localhost"},
        {"https://login.localhost", "https://m.localhost", "vault.localhost"},
        {"https://login.localhost", "https://m.localhost", "https://vault.localhost:99999"},
        {"https://login.localhost", "https://m.localhost", "https:///"},
        {"https://login .localhost", "https://m.localhost", "https://vault.localhost"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *cause = NULL;
        struct cloud *c = cloud_custom(bad[i][0], bad[i][1], bad[i][2], &cause);
        if (c != NULL)
            fail_msg("case %zu accepted", i);
        assert_non_null(cause);
        free(cause);
    }
    /* No cause pointer: still refused, no crash. */
    assert_null(cloud_custom("http://x", "https://m", "https://v.x", NULL));
}

static void test_https_origin(void **state)
{
    (void)state;
    char *host = NULL, *cause = NULL;
    long port = 0;
    assert_int_equal(cloud_https_origin("https://KV1.Vault.Azure.NET./keys/x?api-version=1", &host,
                                        &port, &cause),
                     0);
    assert_string_equal(host, "kv1.vault.azure.net");
    assert_int_equal(port, 443);
    free(host);
    assert_int_equal(cloud_https_origin("https://kv.vault.localhost:8443", &host, &port, NULL), 0);
    assert_string_equal(host, "kv.vault.localhost");
    assert_int_equal(port, 8443);
    free(host);
    assert_int_equal(cloud_https_origin("https://[::1]:8443/", &host, &port, NULL), 0);
    assert_string_equal(host, "[::1]");
    free(host);

    static const char *const bad[] = {NULL,
                                      "",
                                      "http://kv.vault.azure.net",
                                      "https://user@kv.vault.azure.net",
                                      "https://vault.azure.net@evil.com",
                                      "kv.vault.azure.net",
                                      "https://kv.vault.azure.net:0",
                                      "https://kv.vault.azure.net:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cause = NULL;
        if (cloud_https_origin(bad[i], &host, &port, &cause) == 0)
            fail_msg("case %zu accepted (%s)", i, host);
        assert_null(host);
        assert_non_null(cause);
        free(cause);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_degenerate), cmocka_unit_test(test_find_public),
        cmocka_unit_test(test_find_sovereign),  cmocka_unit_test(test_vault_url),
        cmocka_unit_test(test_custom_azsim),    cmocka_unit_test(test_custom_refused),
        cmocka_unit_test(test_https_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
