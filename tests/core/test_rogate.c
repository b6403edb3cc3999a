/*
 * Unit tests for the read-only gate (core/rogate.c): degenerate input first,
 * then a table of allowed and refused method + URL pairs, including the tricks
 * a path matcher can fall for (query strings, fragments, encoded slashes, dot
 * segments, trailing segments, user info, unknown methods).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rogate.h"

#define KV  "https://myvault.vault.azure.net"
#define VER "0123456789abcdef0123456789abcdef"
#define MI                                                                             \
    "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000001/" \
    "resourceGroups/rg-tde/providers/Microsoft.Sql/managedInstances/mi-east"
#define LOGIN "https://login.microsoftonline.com"

struct pair {
    const char *method;
    const char *url;
};

static const struct pair allowed[] = {
    /* Reads, whatever they read. */
    {"GET", KV "/keys/tde-key?api-version=2025-07-01"},
    {"GET", KV "/keys/tde-key/?api-version=7.4"},
    {"GET", KV "/keys/tde-key/versions?maxresults=25"},
    {"GET", MI "?api-version=2025-01-01"},
    {"GET", MI "/encryptionProtector/current?api-version=2025-01-01"},
    {"GET", "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"},
    {"GET", "https://host"},
    {"HEAD", KV "/keys/tde-key"},
    {"OPTIONS", KV "/keys"},
    /* Key Vault operations that change nothing, any spelling of the action. */
    {"POST", KV "/keys/tde-key/" VER "/wrapkey?api-version=7.4"},
    {"POST", KV "/keys/tde-key/" VER "/unwrapkey?api-version=7.4"},
    {"POST", KV "/keys/tde-key/" VER "/wrapKey?api-version=7.4"},
    {"POST", KV "/keys/tde-key/" VER "/unwrapKey"},
    {"POST", KV "/keys/tde-key/" VER "/UNWRAPKEY"},
    {"POST", KV "/keys/tde-key/" VER "/encrypt"},
    {"POST", KV "/keys/tde-key/" VER "/decrypt"},
    {"POST", KV "/keys/tde-key/" VER "/sign"},
    {"POST", KV "/keys/tde-key/" VER "/verify"},
    {"POST", KV ":443/keys/k/v1/wrapkey"},
    {"POST", "HTTPS://vault.localhost:8443/Keys/k-1/abc/unwrapkey#frag"},
    {"POST", "http://127.0.0.1:8080/keys/k/v/unwrapkey"},
    {"POST", "https://[::1]:8443/keys/k/v/unwrapkey"},
    /* Token requests. */
    {"POST", LOGIN "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"},
    {"POST", LOGIN "/contoso.onmicrosoft.com/oauth2/v2.0/token"},
    {"POST", LOGIN "/organizations/oauth2/token"},
    {"POST", "https://login.localhost:8443/tenant/OAuth2/V2.0/Token"},
    {"POST", LOGIN "/tenant/oauth2/v2.0/token?client-request-id=x"},
    /* ARM validate. */
    {"POST", MI "/validateAzureKeyVaultEncryptionKey?api-version=2025-01-01"},
    {"POST", MI "/validateazurekeyvaultencryptionkey"},
    {"POST", "https://management.azure.com/SUBSCRIPTIONS/s/RESOURCEGROUPS/my%20rg/PROVIDERS/"
             "microsoft.sql/MANAGEDINSTANCES/mi/validateAzureKeyVaultEncryptionKey"},
};

static const struct pair refused[] = {
    /* Writes, whatever they write. */
    {"PUT", KV "/keys/tde-key"},
    {"PUT", MI "/encryptionProtector/current?api-version=2025-01-01"},
    {"PUT", MI "/keys/myvault_tde-key_" VER},
    {"PATCH", KV "/keys/tde-key/" VER},
    {"PATCH", MI},
    {"DELETE", KV "/keys/tde-key"},
    {"DELETE", MI "/keys/k"},
    /* POSTs that act. */
    {"POST", KV "/keys/tde-key/create?api-version=7.4"},
    {"POST", KV "/keys/tde-key/backup"},
    {"POST", KV "/keys/restore"},
    {"POST", KV "/keys/tde-key/rotate"},
    {"POST", KV "/keys/tde-key/import"},
    {"POST", KV "/deletedkeys/tde-key/recover"},
    {"POST", KV "/keys/tde-key/" VER "/release"},
    {"POST", MI "/encryptionProtector/current/revalidate?api-version=2025-01-01"},
    {"POST", MI "/failover"},
    {"POST", MI "/start"},
    {"POST", "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/"
             "Microsoft.Sql/locations/eastus/instanceFailoverGroups/fog/failover"},
    {"POST", "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/"
             "Microsoft.KeyVault/vaults/v/validateAzureKeyVaultEncryptionKey"},
    {"POST", LOGIN "/tenant/oauth2/v2.0/authorize"},
    {"POST", LOGIN "/tenant/oauth2/v2.0/devicecode"},
    {"POST", LOGIN "/"},
    {"POST", "https://host"},
    /* The wrong shape around an allowed action. */
    {"POST", KV "/keys/tde-key/wrapkey"},
    {"POST", KV "/keys/tde-key//wrapkey"},
    {"POST", KV "/keys//" VER "/wrapkey"},
    {"POST", KV "//keys/tde-key/" VER "/wrapkey"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey/"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey/create"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkeys"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey;create"},
    {"POST", KV "/secrets/tde-key/" VER "/wrapkey"},
    {"POST", KV "/x/keys/tde-key/" VER "/wrapkey"},
    {"POST", KV "/keys/tde_key/" VER "/wrapkey"},
    {"POST", KV "/keys/tde-key/ver-1/wrapkey"},
    {"POST", MI "/validateAzureKeyVaultEncryptionKey/x"},
    {"POST", MI "/validateAzureKeyVaultEncryptionKey/"},
    {"POST", "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/"
             "Microsoft.Sql/managedInstances//validateAzureKeyVaultEncryptionKey"},
    {"POST", "https://management.azure.com/providers/Microsoft.Sql/managedInstances/mi/"
             "validateAzureKeyVaultEncryptionKey"},
    {"POST", LOGIN "/oauth2/v2.0/token"},
    {"POST", LOGIN "/tenant/oauth2/v2.0/token/x"},
    {"POST", LOGIN "/a/b/oauth2/token"},
    {"POST", LOGIN "/tenant/oauth2/v1.0/token"},
    /* An allowed path outside the path. */
    {"POST", KV "/keys/tde-key/create?x=/wrapkey"},
    {"POST", KV "/keys/tde-key/create?/keys/k/" VER "/wrapkey"},
    {"POST", KV "/keys/tde-key/create#/keys/k/" VER "/wrapkey"},
    {"POST", KV "?/keys/k/" VER "/wrapkey"},
    {"POST", MI "/failover?op=/validateAzureKeyVaultEncryptionKey"},
    /* Encoded separators and escapes. */
    {"POST", KV "/keys/tde-key%2F" VER "/x/wrapkey"},
    {"POST", KV "/keys/tde-key%2f" VER "%2fwrapkey"},
    {"POST", KV "/keys/tde-key/" VER "%2Fwrapkey"},
    {"POST", KV "/keys/tde-key/" VER "/%77rapkey%2F..%2F..%2Fcreate"},
    {"POST", KV "/keys/tde-key/" VER "/wrap%25key"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey%00"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey%0d%0a"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey%5c..%5ccreate"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey%"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey%2"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey%zz"},
    /* Dot segments (libcurl squashes them before sending). */
    {"POST", KV "/keys/tde-key/" VER "/wrapkey/../../create"},
    {"POST", KV "/keys/tde-key/../tde-key/" VER "/wrapkey"},
    {"POST", KV "/keys/./tde-key/" VER "/wrapkey"},
    {"POST", KV "/keys/tde-key/" VER "/wrapkey/.."},
    {"POST", KV "/keys/tde-key/%2e%2e/create/x"},
    {"POST", KV "/keys/tde-key/" VER "/%2E/wrapkey"},
    {"POST", LOGIN "/../oauth2/token"},
    {"POST", LOGIN "/%2e%2e/oauth2/token"},
    {"GET", KV "/keys/../keys/k"},
    /* URLs that are not plainly readable. */
    {"POST", "/keys/tde-key/" VER "/wrapkey"},
    {"POST", "keys/tde-key/" VER "/wrapkey"},
    {"POST", "ftp://v/keys/tde-key/" VER "/wrapkey"},
    {"POST", "https:/v/keys/tde-key/" VER "/wrapkey"},
    {"POST", "https:///keys/tde-key/" VER "/wrapkey"},
    {"POST", "https://user@v/keys/tde-key/" VER "/wrapkey"},
    {"POST", "https://v/keys/create@x/keys/k/" VER "/wrapkey"},
    {"POST", "https://v\\keys\\tde-key\\" VER "\\wrapkey"},
    {"POST", "https://v/keys/tde-key/" VER "\\wrapkey"},
    {"POST", "https://v/keys/tde-key/" VER "/wrapkey "},
    {"POST", "https://v/keys/tde key/" VER "/wrapkey"},
    {"POST", "https://v/keys/tde-key/" VER "/wrapkey\r\nX: y"},
    {"POST", "https://v/keys/tde-k\xc3\xa9y/" VER "/wrapkey"},
    {"POST", ""},
    {"GET", ""},
    {"GET", "not a url"},
    {"GET", "https://"},
    /* Methods that are not (exactly) the allowed ones. */
    {"post", KV "/keys/tde-key/" VER "/wrapkey"},
    {"Post", KV "/keys/tde-key/" VER "/wrapkey"},
    {"get", KV "/keys/tde-key"},
    {"POST ", KV "/keys/tde-key/" VER "/wrapkey"},
    {"TRACE", KV "/keys/tde-key"},
    {"CONNECT", KV "/keys/tde-key"},
    {"PROPFIND", KV "/keys/tde-key"},
    {"", KV "/keys/tde-key"},
    {"MERGE", MI},
};

static void test_degenerate(void **state)
{
    (void)state;
    assert_non_null(rogate_check(NULL, NULL));
    assert_non_null(rogate_check("GET", NULL));
    assert_non_null(rogate_check(NULL, KV "/keys/k"));
    assert_non_null(rogate_check("", ""));
}

static void test_allowed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        const char *why = rogate_check(allowed[i].method, allowed[i].url);
        if (why != NULL)
            fail_msg("%s %s refused: %s", allowed[i].method, allowed[i].url, why);
    }
}

static void test_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *why = rogate_check(refused[i].method, refused[i].url);
        if (why == NULL || *why == '\0')
            fail_msg("%s %s allowed", refused[i].method, refused[i].url);
    }
}

static void test_reasons(void **state)
{
    (void)state;
    assert_string_equal(rogate_check("PUT", KV "/keys/k"), "PUT changes Azure");
    assert_string_equal(rogate_check("PATCH", KV "/keys/k"), "PATCH changes Azure");
    assert_string_equal(rogate_check("DELETE", KV "/keys/k"), "DELETE changes Azure");
    assert_non_null(strstr(rogate_check("POST", KV "/keys/k/create"), "POST"));
    assert_non_null(strstr(rogate_check("BREW", KV "/keys/k"), "method"));
    assert_non_null(strstr(rogate_check("POST", "ftp://x/"), "URL"));
}

static void test_long_urls(void **state)
{
    (void)state;
    /* A path longer than the gate reads is refused, not truncated into an allowed one. */
    size_t n = 20000;
    char *url = malloc(n + 64);
    assert_non_null(url);
    int head = snprintf(url, 64, "https://v/keys/k/%s", "v/");
    memset(url + head, 'a', n);
    snprintf(url + head + n, 64, "/wrapkey");
    assert_non_null(rogate_check("POST", url));
    assert_null(rogate_check("GET", "https://v/keys/k?q=" VER VER VER VER VER VER));
    /* Many segments. */
    char many[1024];
    int len = snprintf(many, sizeof many, "https://v");
    for (int i = 0; i < 100; i++)
        len += snprintf(many + len, sizeof many - (size_t)len, "/a");
    assert_non_null(rogate_check("GET", many));
    assert_non_null(rogate_check("POST", many));
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate), cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_refused),    cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_long_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
