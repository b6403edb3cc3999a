/*
 * Tests of doctor's judgements (cli/doctorjudge.c) and its report
 * (cli/doctorreport.c): degenerate inputs first, then the clock skew
 * thresholds, the unverified oid of a token, credentials named but never
 * shown, network probe outcomes, a vault's grants (access policies, RBAC,
 * a refused key list) and a subscription's reads; the report's order, exit
 * status and JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "doctorjudge.h"
#include "doctorreport.h"
#include "estate.h"
#include "xmem.h"

#define OID   "f78ab195-5c4b-4638-909c-9fba4bd80287"
#define OTHER "a0fe1e45-cffb-4be8-8b04-7557671c0962"

static void test_skew(void **state)
{
    (void)state;
    assert_int_equal(doctorjudge_skew(0), DOCTOR_OK);
    assert_int_equal(doctorjudge_skew(60), DOCTOR_OK);
    assert_int_equal(doctorjudge_skew(-60), DOCTOR_OK);
    assert_int_equal(doctorjudge_skew(61), DOCTOR_WARN);
    assert_int_equal(doctorjudge_skew(-300), DOCTOR_WARN);
    assert_int_equal(doctorjudge_skew(301), DOCTOR_FAIL);
    assert_int_equal(doctorjudge_skew(-86400), DOCTOR_FAIL);
    assert_int_equal(doctorjudge_skew(INT64_MIN + 1), DOCTOR_FAIL);
}

static void test_date_skew(void **state)
{
    (void)state;
    int64_t skew = 12345;
    assert_int_equal(doctorjudge_date_skew(NULL, 0, &skew), -1);
    assert_int_equal(doctorjudge_date_skew("", 0, &skew), -1);
    assert_int_equal(doctorjudge_date_skew("not a date", 0, &skew), -1);
    assert_int_equal(skew, 12345);
    /* 784887151 = Tue, 15 Nov 1994 08:12:31 GMT (RFC 7231's example). */
    assert_int_equal(doctorjudge_date_skew("Tue, 15 Nov 1994 08:12:31 GMT", 784887151, &skew), 0);
    assert_int_equal(skew, 0);
    assert_int_equal(doctorjudge_date_skew("Tue, 15 Nov 1994 08:12:31 GMT", 784887151 - 400, &skew),
                     0);
    assert_int_equal(skew, 400); /* the local clock is 400 s behind */
    assert_int_equal(doctorjudge_skew(skew), DOCTOR_FAIL);
    assert_int_equal(doctorjudge_date_skew("Tue, 15 Nov 1994 08:12:31 GMT", 784887151 + 90, &skew),
                     0);
    assert_int_equal(skew, -90);
    assert_int_equal(doctorjudge_skew(skew), DOCTOR_WARN);
}

static void test_jwt_claim(void **state)
{
    (void)state;
    assert_null(doctorjudge_jwt_claim(NULL, "oid"));
    assert_null(doctorjudge_jwt_claim("", "oid"));
    assert_null(doctorjudge_jwt_claim("abc", "oid"));
    assert_null(doctorjudge_jwt_claim("a..c", "oid"));
    assert_null(doctorjudge_jwt_claim("a.!!!.c", "oid"));
    /* {"oid":"f78a...","n":5} and a payload that is not an object */
    const char *tok = "eyJhbGciOiJSUzI1NiJ9."
                      "eyJvaWQiOiJmNzhhYjE5NS01YzRiLTQ2MzgtOTA5Yy05ZmJhNGJkODAyODciLCJuIjo1fQ.sig";
    char *oid = doctorjudge_jwt_claim(tok, "oid");
    assert_non_null(oid);
    assert_string_equal(oid, OID);
    free(oid);
    assert_null(doctorjudge_jwt_claim(tok, "n")); /* not a string */
    assert_null(doctorjudge_jwt_claim(tok, "tid"));
    assert_null(doctorjudge_jwt_claim("x.WzFd.y", "oid")); /* [1] */
    assert_null(doctorjudge_jwt_claim(tok, NULL));
}

static void test_credentials(void **state)
{
    (void)state;
    char *detail = NULL, *fix = NULL;
    struct auth_config ac = {
        .mode = AUTH_DEFAULT, .tenant_id = "t", .client_id = "c", .client_secret = "SUPERSECRET"};
    assert_int_equal(doctorjudge_credentials(&ac, false, &detail, &fix), DOCTOR_OK);
    assert_null(fix);
    assert_null(strstr(detail, "SUPERSECRET"));
    assert_non_null(strstr(detail, "client secret: configured"));
    assert_non_null(strstr(detail, "az not found"));
    free(detail);
    ac = (struct auth_config){.mode = AUTH_SECRET, .tenant_id = "t"};
    assert_int_equal(doctorjudge_credentials(&ac, true, &detail, &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "AZURE_CLIENT_SECRET"));
    free(detail);
    free(fix);
    ac = (struct auth_config){.mode = AUTH_CLI};
    assert_int_equal(doctorjudge_credentials(&ac, false, &detail, &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "az login"));
    free(detail);
    free(fix);
}

static void test_token_fix(void **state)
{
    (void)state;
    struct auth_config ac = {.client_id = "app-1", .client_secret = "SUPERSECRET"};
    char *fix = doctorjudge_token_fix(CORE_ERR_AUTH, "AADSTS7000215: Invalid client secret", &ac,
                                      "https://login");
    assert_non_null(strstr(fix, "AZURE_CLIENT_SECRET"));
    assert_non_null(strstr(fix, "app-1"));
    assert_null(strstr(fix, "SUPERSECRET"));
    free(fix);
    fix = doctorjudge_token_fix(CORE_ERR_AUTH, NULL, &ac, "https://login");
    assert_non_null(strstr(fix, "secret"));
    free(fix);
    fix = doctorjudge_token_fix(CORE_ERR_TLS, "bad cert", &ac, "https://login");
    assert_non_null(strstr(fix, "ca_file"));
    free(fix);
    fix = doctorjudge_token_fix(CORE_ERR_CONFIG, NULL, &(struct auth_config){0}, "https://login");
    assert_non_null(strstr(fix, "AZURE_TENANT_ID"));
    free(fix);
}

static void test_network(void **state)
{
    (void)state;
    char *detail = NULL, *fix = NULL;
    struct http_result r = {.err = CORE_OK, .status = 401, .timing = {100, 500, 3000, 4000}};
    assert_int_equal(doctorjudge_network(&r, "kv", NULL, &detail, &fix), DOCTOR_OK);
    assert_null(fix);
    assert_non_null(strstr(detail, "total 4.0 ms"));
    free(detail);
    r.timing.total_us = 1500000;
    assert_int_equal(doctorjudge_network(&r, "kv", NULL, &detail, &fix), DOCTOR_WARN);
    assert_non_null(strstr(fix, "kv"));
    free(detail);
    free(fix);
    r = (struct http_result){
        .err = CORE_ERR_TLS, .cause = "SSL certificate problem", .timing = {-1, -1, -1, -1}};
    assert_int_equal(doctorjudge_network(&r, "kv", "/ca.pem", &detail, &fix), DOCTOR_FAIL);
    assert_non_null(strstr(detail, "TLS verification failed"));
    assert_non_null(strstr(fix, "ca_file /ca.pem"));
    free(detail);
    free(fix);
    r = (struct http_result){.err = CORE_ERR_TIMEOUT};
    assert_int_equal(doctorjudge_network(&r, "kv", NULL, &detail, &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "timeout_ms"));
    free(detail);
    free(fix);
}

static enum doctor_level vault_level(const struct model_vault *v, const char *who, char **fix)
{
    char *detail = NULL;
    *fix = NULL;
    enum doctor_level l = doctorjudge_vault(v, who, &detail, fix);
    assert_non_null(detail);
    free(detail);
    return l;
}

static void test_vault_policies(void **state)
{
    (void)state;
    struct model_policy pol[2] = {
        {.tenant_id = "t", .object_id = OID, .key_perms = MODEL_PERM_GET | MODEL_PERM_LIST},
        {.tenant_id = "t", .object_id = OTHER, .key_perms = MODEL_PERM_GET}};
    struct model_vault v = {.name = "kv-a", .tenant_id = "t", .policies = pol, .npolicies = 2};
    char *fix;
    /* Never read: cannot tell. */
    assert_int_equal(vault_level(&v, OID, &fix), DOCTOR_WARN);
    free(fix);
    v.arm_fresh.read_at = 1;
    assert_int_equal(vault_level(&v, OID, &fix), DOCTOR_OK);
    assert_null(fix);
    assert_int_equal(vault_level(&v, OTHER, &fix), DOCTOR_WARN); /* get without list */
    assert_non_null(strstr(fix, "--key-permissions get list"));
    free(fix);
    assert_int_equal(vault_level(&v, "someone-else", &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "kv-a"));
    assert_non_null(strstr(fix, "someone-else"));
    free(fix);
    /* A policy in another tenant does not count. */
    pol[0].tenant_id = "other";
    assert_int_equal(vault_level(&v, OID, &fix), DOCTOR_FAIL);
    free(fix);
    /* A refused key list outranks the policies. */
    pol[0].tenant_id = "t";
    v.keys_fresh = (struct fresh){.err = CORE_ERR_FORBIDDEN, .status = 403};
    assert_int_equal(vault_level(&v, OID, &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "kv-a"));
    free(fix);
    assert_int_equal(vault_level(&v, NULL, &fix), DOCTOR_FAIL);
    free(fix);
}

static void test_vault_rbac(void **state)
{
    (void)state;
    struct model_role roles[2] = {
        {.principal_id = OID, .role_definition_id = ESTATE_ROLE_KV_CRYPTO_USER, .scope = "/v"},
        {.principal_id = OTHER,
         .role_definition_id = ESTATE_ROLE_KV_CRYPTO_USER,
         .scope = "/v/keys/k"}};
    struct model_vault v = {.name = "kv-r", .id = "/v", .rbac = true, .roles = roles, .nroles = 2};
    v.arm_fresh.read_at = 1;
    char *fix;
    assert_int_equal(vault_level(&v, OID, &fix), DOCTOR_WARN); /* roles not read */
    free(fix);
    v.roles_known = true;
    assert_int_equal(vault_level(&v, OID, &fix), DOCTOR_OK);
    assert_int_equal(vault_level(&v, OTHER, &fix), DOCTOR_WARN); /* one key only */
    free(fix);
    assert_int_equal(vault_level(&v, "nobody", &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "Key Vault Reader"));
    free(fix);
}

static void test_subscription(void **state)
{
    (void)state;
    char *detail, *fix;
    struct model_subscription s = {.id = "sub-1"};
    assert_int_equal(doctorjudge_subscription(&s, OID, &detail, &fix), DOCTOR_WARN);
    free(detail);
    free(fix);
    s.fresh = (struct fresh){.read_at = 5};
    assert_int_equal(doctorjudge_subscription(&s, OID, &detail, &fix), DOCTOR_OK);
    assert_null(fix);
    free(detail);
    s.fresh = (struct fresh){.tried_at = 5, .err = CORE_ERR_FORBIDDEN, .status = 403};
    assert_int_equal(doctorjudge_subscription(&s, OID, &detail, &fix), DOCTOR_FAIL);
    assert_non_null(strstr(fix, "grant Reader on subscription sub-1"));
    free(detail);
    free(fix);
}

static void test_report(void **state)
{
    (void)state;
    struct doctorreport *r = doctorreport_create();
    assert_int_equal(doctorreport_exit(r), 0);
    static const char *const order[] = {"a", "b", NULL};
    doctorreport_add(r, "b", "y", DOCTOR_OK, "fine", "ignored when OK");
    doctorreport_add(r, "zzz", NULL, DOCTOR_WARN, "hmm", "do x");
    struct doctor_check *c = doctorreport_add(r, "b", "x", DOCTOR_OK, "fine", NULL);
    doctorreport_figure(c, "total_ms", 2.5);
    doctorreport_add(r, "a", NULL, DOCTOR_OK, "first", NULL);
    assert_int_equal(doctorreport_exit(r), 1);
    doctorreport_sort(r, order);
    size_t n;
    assert_string_equal(doctorreport_check(r, 0, &n)->check, "a");
    assert_int_equal(n, 4);
    assert_string_equal(doctorreport_check(r, 1, NULL)->subject, "x");
    assert_string_equal(doctorreport_check(r, 2, NULL)->subject, "y");
    assert_null(doctorreport_check(r, 2, NULL)->fix);
    assert_string_equal(doctorreport_check(r, 3, NULL)->check, "zzz");
    assert_null(doctorreport_check(r, 4, NULL));
    doctorreport_add(r, "a", "z", DOCTOR_FAIL, "broken", "fix it");
    assert_int_equal(doctorreport_exit(r), 2);
    doctorreport_principal(r, OID, "client secret");
    char *text = doctorreport_text(r);
    assert_true(strncmp(text, "FAILED: 3 ok, 1 warning, 1 failed", 33) == 0);
    assert_non_null(strstr(text, "      fix: fix it\n"));
    free(text);
    char *json = doctorreport_json(r, 0, "1.2.3");
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "schema")->valuestring, "tdectl.doctor/v1");
    assert_string_equal(cJSON_GetObjectItem(j, "generated_at")->valuestring,
                        "1970-01-01T00:00:00Z");
    cJSON *st = cJSON_GetObjectItem(j, "status");
    assert_int_equal(cJSON_GetObjectItem(st, "exit_code")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(st, "name")->valuestring, "FAILED");
    cJSON *checks = cJSON_GetObjectItem(j, "checks");
    assert_int_equal(cJSON_GetArraySize(checks), 5);
    cJSON *second = cJSON_GetArrayItem(checks, 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(second, "fix")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(checks, 0), "subject")));
    assert_true(
        cJSON_GetObjectItem(cJSON_GetObjectItem(second, "figures"), "total_ms")->valuedouble ==
        2.5);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "principal"), "object_id")->valuestring, OID);
    cJSON_Delete(j);
    free(json);
    doctorreport_destroy(r);
    doctorreport_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skew),           cmocka_unit_test(test_date_skew),
        cmocka_unit_test(test_jwt_claim),      cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_token_fix),      cmocka_unit_test(test_network),
        cmocka_unit_test(test_vault_policies), cmocka_unit_test(test_vault_rbac),
        cmocka_unit_test(test_subscription),   cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
