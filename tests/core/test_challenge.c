/* Unit tests for core/challenge: Key Vault's Bearer challenge and the resource check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "challenge.h"
#include "xmem.h"

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"

/* Parses header, expecting success; the caller cleans up. */
static void parse_ok(const char *header, struct challenge *c)
{
    char *cause = NULL;
    int rc = challenge_parse(header, c, &cause);
    if (rc != 0)
        fail_msg("refused [%.80s]: %s", header, cause);
    assert_null(cause);
}

/* Parses header, expecting refusal with a cause containing want (when not NULL). */
static void parse_bad(const char *header, const char *want)
{
    struct challenge c;
    char *cause = NULL;
    if (challenge_parse(header, &c, &cause) == 0)
        fail_msg("accepted [%.80s]", header ? header : "(null)");
    assert_non_null(cause);
    if (want && strstr(cause, want) == NULL)
        fail_msg("cause [%s] lacks [%s]", cause, want);
    assert_null(c.authorization);
    assert_null(c.scope);
    free(cause);
    challenge_cleanup(&c); /* harmless on a refused parse */
}

static void test_degenerate(void **state)
{
    (void)state;
    parse_bad(NULL, "no WWW-Authenticate");
    parse_bad("", "no WWW-Authenticate");
    parse_bad("   ", "not a Bearer challenge");
    parse_bad(",,,", "not a Bearer challenge");
    parse_bad("Bearer", "no authorization URI");
    parse_bad("Bearer ,", "no authorization URI");
    parse_bad("=", "malformed");
    parse_bad("Bearer =x", "unexpected character");
    /* No cause pointer: refused all the same. */
    struct challenge c;
    assert_int_equal(challenge_parse("Basic realm=\"x\"", &c, NULL), -1);
    challenge_cleanup(NULL);
}

static void test_key_vault_form(void **state)
{
    (void)state;
    struct challenge c;
    parse_ok("Bearer authorization=\"https://login.windows.net/" TENANT "\", "
             "resource=\"https://vault.azure.net\"",
             &c);
    assert_string_equal(c.authorization, "https://login.windows.net/" TENANT);
    assert_string_equal(c.tenant, TENANT);
    assert_string_equal(c.resource, "https://vault.azure.net");
    assert_string_equal(c.scope, "https://vault.azure.net/.default");
    assert_null(c.claims);
    challenge_cleanup(&c);
    assert_null(c.tenant);
}

static void test_spellings(void **state)
{
    (void)state;
    static const char *const headers[] = {
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "\",resource=\"https://vault.azure.net\"",
        "bearer AUTHORIZATION=\"https://login.windows.net/" TENANT
        "\", Resource=\"https://vault.azure.net\"",
        "BEARER authorization_uri=\"https://login.windows.net/" TENANT
        "\", resource=\"https://vault.azure.net\"",
        "  Bearer   authorization = \"https://login.windows.net/" TENANT
        "\" ,\t resource =\t\"https://vault.azure.net\"  ",
        "Bearer authorization=https://login.windows.net/" TENANT
        ", resource=https://vault.azure.net",
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "/\", resource=\"https://vault.azure.net/\"",
        "Bearer realm=\"\", authorization=\"https://login.windows.net/" TENANT
        "\", error=\"invalid_token\", "
        "resource=\"https://vault.azure.net\", x-extra=\"a=b\"",
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "\", scope=\"https://vault.azure.net/.default\"",
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "?x=1\", resource=\"https://vault.azure.net\"",
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "\", resource=\"https://vault.\\azure.net\"",
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "\",,, resource=\"https://vault.azure.net\",",
        "PoP nonce=\"abc\", Bearer authorization=\"https://login.windows.net/" TENANT
        "\", resource=\"https://vault.azure.net\"",
        "Basic realm=\"x\", Bearer authorization=\"https://login.windows.net/" TENANT
        "\", resource=\"https://vault.azure.net\"",
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "\", resource=\"https://vault.azure.net\", PoP nonce=\"x\"",
        /* First spelling wins. */
        "Bearer authorization=\"https://login.windows.net/" TENANT
        "\", authorization=\"https://evil.example/x\", "
        "resource=\"https://vault.azure.net\", resource=\"https://evil.example\"",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        struct challenge c;
        parse_ok(headers[i], &c);
        if (strcmp(c.tenant, TENANT) != 0 ||
            strcmp(c.scope, "https://vault.azure.net/.default") != 0)
            fail_msg("case %zu: tenant %s scope %s", i, c.tenant, c.scope);
        challenge_cleanup(&c);
    }
}

static void test_scope_and_resource(void **state)
{
    (void)state;
    struct challenge c;
    /* scope wins over resource; resource is still reported. */
    parse_ok("Bearer authorization=\"https://login.microsoftonline.com/contoso.onmicrosoft.com\", "
             "resource=\"https://vault.azure.net\", "
             "scope=\"https://vault.azure.net/user_impersonation\"",
             &c);
    assert_string_equal(c.tenant, "contoso.onmicrosoft.com");
    assert_string_equal(c.scope, "https://vault.azure.net/user_impersonation");
    assert_string_equal(c.resource, "https://vault.azure.net");
    challenge_cleanup(&c);
    /* Only a scope: resource stays NULL. */
    parse_ok("Bearer authorization_uri=\"https://login.localhost:8443/" TENANT "\", "
             "scope=\"https://vault.localhost:8443/.default\"",
             &c);
    assert_null(c.resource);
    assert_string_equal(c.scope, "https://vault.localhost:8443/.default");
    challenge_cleanup(&c);
}

static void test_claims(void **state)
{
    (void)state;
    struct challenge c;
    parse_ok(
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/"
        "oauth2/authorize\", error=\"insufficient_claims\", resource=\"https://vault.azure.net\", "
        "claims=\"eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZX19fQ==\"",
        &c);
    assert_string_equal(c.tenant, "common");
    assert_string_equal(c.claims, "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZX19fQ==");
    challenge_cleanup(&c);
}

static void test_refused(void **state)
{
    (void)state;
    parse_bad("Basic realm=\"vault\"", "not a Bearer");
    parse_bad("Negotiate", "not a Bearer");
    parse_bad("PoP nonce=\"x\"", "not a Bearer");
    parse_bad("Bearerx authorization=\"https://login.windows.net/" TENANT
              "\", resource=\"https://v.x.net\"",
              "not a Bearer");
    parse_bad("Bearer resource=\"https://vault.azure.net\"", "no authorization URI");
    parse_bad("Bearer authorization=\"\", resource=\"https://vault.azure.net\"",
              "no authorization URI");
    parse_bad("Bearer authorization=\"http://login.windows.net/" TENANT
              "\", resource=\"https://vault.azure.net\"",
              "https");
    parse_bad("Bearer authorization=\"login.windows.net/" TENANT
              "\", resource=\"https://vault.azure.net\"",
              "authorization URI");
    parse_bad(
        "Bearer authorization=\"https://login.windows.net\", resource=\"https://vault.azure.net\"",
        "no tenant");
    parse_bad(
        "Bearer authorization=\"https://login.windows.net/\", resource=\"https://vault.azure.net\"",
        "no tenant");
    parse_bad("Bearer authorization=\"https://login.windows.net/a%2F..\", "
              "resource=\"https://v.azure.net\"",
              "unexpected characters");
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT "\"",
              "no resource or scope");
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT "\", resource=\"\"",
              "no resource or scope");
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT "\", scope=\"a b\"",
              "not one URL");
    /* Unterminated quotes, anywhere. */
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT, "unterminated");
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT
              "\", resource=\"https://vault",
              "unterminated");
    parse_bad("Bearer authorization=\"", "unterminated");
    parse_bad("Bearer authorization=\"\\", "unterminated");
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT "\"\"",
              "unexpected character");
    parse_bad("Bearer authorization=\"https://login.windows.net/" TENANT "\", \x01=\"x\"",
              "unexpected character");
}

static void test_huge(void **state)
{
    (void)state;
    /* A 10 KB claims value is fine. */
    size_t n = 10 * 1024;
    char *big = xmalloc(n + 1);
    memset(big, 'A', n);
    big[n] = '\0';
    char *h = xasprintf("Bearer authorization=\"https://login.windows.net/" TENANT "\", "
                        "resource=\"https://vault.azure.net\", claims=\"%s\"",
                        big);
    struct challenge c;
    parse_ok(h, &c);
    assert_int_equal(strlen(c.claims), n);
    challenge_cleanup(&c);
    free(h);
    /* A 10 KB tenant is not a tenant. */
    h = xasprintf("Bearer authorization=\"https://login.windows.net/%s\", "
                  "resource=\"https://vault.azure.net\"",
                  big);
    parse_bad(h, "no tenant");
    free(h);
    /* A 10 KB unterminated value. */
    h = xasprintf("Bearer authorization=\"https://login.windows.net/" TENANT "\", resource=\"%s",
                  big);
    parse_bad(h, "unterminated");
    free(h);
    /* 10 KB of parameter names, of commas, of whitespace. */
    h = xasprintf("Bearer %s", big);
    parse_bad(h, "no authorization URI");
    free(h);
    memset(big, ',', n);
    h = xasprintf("Bearer %s authorization=\"https://login.windows.net/" TENANT
                  "\"%s resource=\"https://vault.azure.net\"",
                  big, big);
    parse_ok(h, &c);
    challenge_cleanup(&c);
    free(h);
    free(big);
    /* Past the cap: refused without parsing. */
    n = 40 * 1024;
    big = xmalloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    h = xasprintf("Bearer authorization=\"https://login.windows.net/" TENANT
                  "\", resource=\"https://vault.azure.net\"%s",
                  big);
    parse_bad(h, "longer than");
    free(h);
    free(big);
}

/* Does a challenge with this resource fit url? */
static bool fits(const char *resource, const char *url)
{
    char *h = xasprintf(
        "Bearer authorization=\"https://login.windows.net/" TENANT "\", resource=\"%s\"", resource);
    struct challenge c;
    char *cause = NULL;
    if (challenge_parse(h, &c, &cause) != 0)
        fail_msg("%s: %s", h, cause);
    bool ok = challenge_fits(&c, url);
    challenge_cleanup(&c);
    free(h);
    return ok;
}

static void test_fits(void **state)
{
    (void)state;
    assert_true(
        fits("https://vault.azure.net", "https://kv1.vault.azure.net/keys/x?api-version=7.4"));
    assert_true(fits("https://vault.azure.net", "https://KV1.VAULT.AZURE.NET"));
    assert_true(fits("https://vault.azure.net/", "https://kv1.vault.azure.net:443/"));
    assert_true(fits("https://vault.azure.net:443", "https://kv1.vault.azure.net/"));
    assert_true(fits("https://vault.azure.net", "https://kv1.vault.azure.net./"));
    assert_true(fits("https://vault.localhost:8443", "https://kv-a.vault.localhost:8443/keys"));
    assert_true(fits("https://vault.localhost:8443", "https://a.b.vault.localhost:8443/keys"));

    /* Look-alikes and other hosts. */
    assert_false(fits("https://vault.localhost:8443", "https://evilvault.localhost:8443/keys"));
    assert_false(fits("https://vault.localhost:8443", "https://vault.localhost.evil.com:8443/"));
    assert_false(fits("https://vault.localhost:8443", "https://vault.localhost:8443/"));
    assert_false(fits("https://vault.azure.net", "https://kv1.vault.azure.net.evil.com/"));
    assert_false(fits("https://vault.azure.net", "https://kv1.evil.com/"));
    assert_false(fits("https://evil.com", "https://kv1.vault.azure.net/"));
    assert_false(fits("https://vault.azure.net", "https://vault.azure.net@kv1.evil.com/"));
    assert_false(fits("https://vault.azure.net", "https://kv1.vault.azure.net@evil.com/"));
    /* Ports must agree. */
    assert_false(fits("https://vault.localhost:8443", "https://kv-a.vault.localhost:9443/"));
    assert_false(fits("https://vault.localhost:8443", "https://kv-a.vault.localhost/"));
    assert_false(fits("https://vault.localhost", "https://kv-a.vault.localhost:8443/"));
    /* Never plain http, never an address, never a one-label resource. */
    assert_false(fits("https://vault.azure.net", "http://kv1.vault.azure.net/"));
    assert_false(fits("http://vault.azure.net", "https://kv1.vault.azure.net/"));
    assert_false(fits("https://0.1", "https://127.0.0.1/"));
    assert_false(fits("https://vault.localhost", "https://127.0.0.1/"));
    assert_false(fits("https://0.0.1", "https://127.0.0.1:8443/"));
    assert_false(fits("https://1", "https://127.0.0.1/"));
    assert_false(fits("https://[::1]", "https://[::1]/"));
    assert_false(fits("https://com", "https://kv1.evil.com/"));
    assert_false(fits("https://localhost", "https://vault.localhost/"));
    assert_false(fits("vault.azure.net", "https://kv1.vault.azure.net/"));
    assert_false(fits("https://vault.azure.net", "garbage"));
    assert_false(fits("https://vault.azure.net", ""));

    /* Scope, when given, is what is checked. */
    struct challenge c;
    parse_ok("Bearer authorization=\"https://login.windows.net/" TENANT
             "\", resource=\"https://vault.azure.net\", "
             "scope=\"https://vault.localhost:8443/.default\"",
             &c);
    assert_true(challenge_fits(&c, "https://kv.vault.localhost:8443/"));
    assert_false(challenge_fits(&c, "https://kv.vault.azure.net/"));
    challenge_cleanup(&c);

    /* Degenerate. */
    assert_false(challenge_fits(NULL, "https://kv.vault.azure.net/"));
    struct challenge empty = {0};
    assert_false(challenge_fits(&empty, "https://kv.vault.azure.net/"));
    parse_ok("Bearer authorization=\"https://login.windows.net/" TENANT
             "\", resource=\"https://vault.azure.net\"",
             &c);
    assert_false(challenge_fits(&c, NULL));
    challenge_cleanup(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate), cmocka_unit_test(test_key_vault_form),
        cmocka_unit_test(test_spellings),  cmocka_unit_test(test_scope_and_resource),
        cmocka_unit_test(test_claims),     cmocka_unit_test(test_refused),
        cmocka_unit_test(test_huge),       cmocka_unit_test(test_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
