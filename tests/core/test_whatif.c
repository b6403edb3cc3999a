/*
 * Unit tests for core/whatif: predictions over the demo estate of
 * support_estate, checked against the rules azsim's managed-instance model
 * follows (sim/mimodel.c): an outage of the primary vault falls back to the
 * registered same-thumbprint key elsewhere, a refusal never does, the
 * fallback needs registration, grant, an enabled key and a path from the
 * instance's region, and with nothing usable the databases turn
 * Inaccessible at the next check plus the grace.
 *
 * Degenerate inputs first: an empty model, targets that are not there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "support_estate.h"
#include "whatif.h"
#include "xmem.h"

#define NOW_S SUPPORT_NOW_S

static struct whatif_params params(void)
{
    struct whatif_params p;
    whatif_params_init(&p, SUPPORT_NOW_MS);
    return p;
}

/* Runs one scenario; results in r[0] (eus2) and r[1] (cus). */
static struct whatif_result *run(struct model *m, enum whatif_kind kind, const char *target,
                                 const char *key)
{
    struct whatif_scenario sc = {.kind = kind, .target = target, .key = key};
    struct whatif_params p = params();
    size_t n;
    char *cause = NULL;
    struct whatif_result *r = whatif_run(m, &sc, 1, &p, &n, &cause);
    if (r == NULL)
        fail_msg("whatif_run: %s", cause);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].instance, SUPPORT_MI_EUS2);
    assert_string_equal(r[1].instance, SUPPORT_MI_CUS);
    return r;
}

static void expect(const struct whatif_result *r, enum whatif_outcome o, const char *via,
                   bool changed)
{
    if (r->outcome != o)
        fail_msg("%s: %s (%s), expected %s", r->instance, whatif_outcome_name(r->outcome),
                 r->reason, whatif_outcome_name(o));
    assert_string_equal(r->via, via ? via : "");
    assert_int_equal(r->changed, changed);
}

static void test_degenerate(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct whatif_params p = params();
    size_t n = 99;
    struct whatif_result *r = whatif_current(m, &p, &n);
    assert_non_null(r);
    assert_int_equal(n, 0);
    free(r);
    char *cause = NULL;
    assert_null(whatif_run(NULL, NULL, 0, &p, &n, &cause));
    free(cause);
    cause = NULL;
    assert_null(whatif_run(m, NULL, 0, NULL, &n, NULL));
    r = whatif_run(m, NULL, 3, &p, &n, NULL); /* no scenarios: the current path */
    assert_non_null(r);
    free(r);
    struct whatif_scenario sc = {WHATIF_VAULT_OUTAGE, "kv-nowhere", NULL, NULL, NULL};
    assert_null(whatif_run(m, &sc, 1, &p, &n, &cause));
    assert_non_null(strstr(cause, "kv-nowhere"));
    free(cause);
    model_destroy(m);

    m = support_estate(NULL);
    struct whatif_scenario bad[] = {
        {WHATIF_PE_DOWN, "pe-nowhere", NULL, NULL, NULL},
        {WHATIF_PE_DOWN, NULL, NULL, NULL, NULL},
        {WHATIF_REGION_DOWN, "westeurope", NULL, NULL, NULL},
        {WHATIF_KEY_DISABLED, SUPPORT_KV_EUS2, NULL, "no-such-key", NULL},
        {WHATIF_KEY_DELETED, "kv-nowhere", NULL, SUPPORT_KEY_2025, NULL},
        {WHATIF_ACCESS_REVOKED, NULL, NULL, NULL, NULL},
        {(enum whatif_kind)99, "x", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cause = NULL;
        assert_null(whatif_run(m, &bad[i], 1, &p, &n, &cause));
        assert_int_equal(n, 0);
        assert_non_null(cause);
        free(cause);
    }
    /* One bad target spoils the whole set. */
    struct whatif_scenario two[] = {{WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL, NULL, NULL},
                                    {WHATIF_VAULT_OUTAGE, "kv-x", NULL, NULL, NULL}};
    assert_null(whatif_run(m, two, 2, &p, &n, NULL));
    assert_string_equal(whatif_outcome_name(WHATIF_VIA_SECONDARY), "via secondary");
    assert_string_equal(whatif_kind_name(WHATIF_PE_DOWN), "private endpoint down");
    assert_string_equal(whatif_kind_name((enum whatif_kind)99), "?");
    model_destroy(m);
}

static void test_current_healthy(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_params p = params();
    size_t n;
    struct whatif_result *r = whatif_current(m, &p, &n);
    assert_int_equal(n, 2);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    assert_int_equal(r[0].when_s, 0);
    assert_string_equal(r[0].code, "");
    free(r);
    /* A WHATIF_NONE scenario is the current path too. */
    r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    free(r);
    model_destroy(m);
}

static void test_primary_outage_falls_back(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_result *r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_VIA_SECONDARY, SUPPORT_KV_CUS, true);
    assert_int_equal(r[0].when_s, NOW_S + 600); /* by the next check */
    assert_non_null(strstr(r[0].reason, "falls back to kv-tde-cus"));
    /* cus only loses its secondary: still served by its own vault. */
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    free(r);
    model_destroy(m);
}

static void test_both_vaults_down(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_scenario sc[2] = {{WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL, NULL, NULL},
                                    {WHATIF_VAULT_OUTAGE, SUPPORT_KV_CUS, NULL, NULL, NULL}};
    struct whatif_params p = params();
    p.check_interval_s = 300;
    p.grace_s = 900;
    size_t n;
    struct whatif_result *r = whatif_run(m, sc, 2, &p, &n, NULL);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < 2; i++) {
        expect(&r[i], WHATIF_INACCESSIBLE, NULL, true);
        assert_string_equal(r[i].code, "AzureKeyVaultConnectionFailed");
        assert_int_equal(r[i].when_s, NOW_S + 300 + 900);
        assert_int_equal(r[i].earliest_s, NOW_S + 900);
    }
    free(r);
    /* The default parameters: next check (10 min) plus the grace (10 min). */
    p = params();
    r = whatif_run(m, sc, 2, &p, &n, NULL);
    assert_int_equal(r[0].when_s, NOW_S + 1200);
    free(r);
    model_destroy(m);
}

static void test_revoked_never_falls_back(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_result *r = run(m, WHATIF_ACCESS_REVOKED, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
    assert_string_equal(r[0].code, "AzureKeyVaultMissingPermissions");
    assert_int_equal(r[0].when_s, NOW_S + 1200);
    assert_non_null(strstr(r[0].reason, "never falls back"));
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    free(r);
    /* On an RBAC vault the code says so. */
    support_vault(m, SUPPORT_KV_EUS2)->rbac = true;
    support_vault(m, SUPPORT_KV_EUS2)->roles_known = true;
    r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, false);
    assert_string_equal(r[0].code, "AkvKeyOperationNotAllowedByRBAC");
    free(r);
    model_destroy(m);
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        enum whatif_kind kind;
        const char *key;
        const char *code;
    } cases[] = {
        {WHATIF_KEY_DISABLED, SUPPORT_KEY_2025, "AzureKeyVaultKeyDisabled"},
        {WHATIF_KEY_EXPIRED, SUPPORT_KEY_2025, "AzureKeyVaultInvalidExpirationDate"},
        {WHATIF_KEY_DELETED, SUPPORT_KEY_2025, "AkvKeyDeleted"},
        {WHATIF_VAULT_DELETED, NULL, "AkvKeyDNS"},
    };
    struct model *m = support_estate(NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct whatif_result *r = run(m, cases[i].kind, SUPPORT_KV_EUS2, cases[i].key);
        expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
        assert_string_equal(r[0].code, cases[i].code);
        expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
        free(r);
    }
    /* Disabling an older version (not the protector) changes nothing. */
    struct whatif_scenario sc = {WHATIF_KEY_DISABLED, SUPPORT_KV_EUS2, NULL, SUPPORT_KEY_2025,
                                 SUPPORT_VER_V1};
    struct whatif_params p = params();
    size_t n;
    struct whatif_result *r = whatif_run(m, &sc, 1, &p, &n, NULL);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    free(r);
    model_destroy(m);
}

static void test_model_refusals(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_version *v = support_version(m, SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V2);
    v->exp = NOW_S; /* expired now: SQL's own date check */
    struct whatif_result *r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, false);
    assert_string_equal(r[0].code, "AzureKeyVaultInvalidExpirationDate");
    free(r);
    v->exp = 0;
    v->nbf = NOW_S + 60;
    r = run(m, WHATIF_NONE, NULL, NULL);
    assert_string_equal(r[0].code, "AzureKeyVaultKeyDisabled");
    free(r);
    v->nbf = 0;
    v->ops = MODEL_OP_WRAP;
    r = run(m, WHATIF_NONE, NULL, NULL);
    assert_string_equal(r[0].code, "AkvKeyAccessDenied");
    free(r);
    v->ops = MODEL_OP_WRAP | MODEL_OP_UNWRAP;
    v->bits = 4096;
    r = run(m, WHATIF_NONE, NULL, NULL);
    assert_string_equal(r[0].code, "AzureKeyVaultRsaKeyNotSupported");
    free(r);
    v->bits = 3072;
    struct model_vault *kve = support_vault(m, SUPPORT_KV_EUS2);
    xstr_set(&kve->tenant_id, "another-tenant");
    r = run(m, WHATIF_NONE, NULL, NULL);
    assert_string_equal(r[0].code, "AzureKeyVaultMissingPermissions");
    free(r);
    xstr_set(&kve->tenant_id, SUPPORT_TENANT);
    struct model_instance *mi = support_mi(m, SUPPORT_MI_EUS2);
    char *pid = mi->principal_id;
    mi->principal_id = NULL;
    r = run(m, WHATIF_NONE, NULL, NULL);
    assert_string_equal(r[0].code, "AzureKeyVaultNoServerIdentity");
    free(r);
    mi->principal_id = pid;
    /* A firewall without bypass and no endpoint in the region is a refusal too. */
    xstr_set(&kve->bypass, "None");
    xstr_set(&support_pe(m, "pe-kv-tde-eus2-in-eus2")->location, "westus");
    r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, false);
    assert_string_equal(r[0].code, "AkvKeyOperationNotAllowedByFirewall");
    free(r);
    model_destroy(m);
}

static void test_pe_down_one_region(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_result *r = run(m, WHATIF_PE_DOWN, "pe-kv-tde-eus2-in-eus2", NULL);
    expect(&r[0], WHATIF_VIA_SECONDARY, SUPPORT_KV_CUS, true);
    assert_non_null(strstr(r[0].reason, "pe-kv-tde-eus2-in-eus2"));
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    free(r);
    /* By resource id as well. */
    r = run(m, WHATIF_PE_DOWN, support_pe(m, "pe-kv-tde-cus-in-cus")->id, NULL);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    expect(&r[1], WHATIF_VIA_SECONDARY, SUPPORT_KV_EUS2, true);
    free(r);
    /* The endpoint that only serves the secondary path: nobody notices. */
    r = run(m, WHATIF_PE_DOWN, "pe-kv-tde-cus-in-eus2", NULL);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    free(r);
    model_destroy(m);
}

static void test_region_down(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_result *r = run(m, WHATIF_REGION_DOWN, "eastus2", NULL);
    expect(&r[0], WHATIF_INSTANCE_DOWN, NULL, true);
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    free(r);
    r = run(m, WHATIF_REGION_DOWN, "Central US", NULL);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    expect(&r[1], WHATIF_INSTANCE_DOWN, NULL, true);
    free(r);
    /* Single-vault variant: cus uses kv-tde-eus2 as primary; eastus2 down takes its vault. */
    support_set_protector(m, support_mi(m, SUPPORT_MI_CUS), SUPPORT_KV_EUS2, SUPPORT_KEY_2025,
                          SUPPORT_VER_V2, SUPPORT_TP_V2, false);
    r = run(m, WHATIF_REGION_DOWN, "eastus2", NULL);
    expect(&r[1], WHATIF_VIA_SECONDARY, SUPPORT_KV_CUS, true);
    free(r);
    model_destroy(m);
}

static void test_outage_from_one_region(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct whatif_scenario sc = {WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, "centralus", NULL, NULL};
    struct whatif_params p = params();
    size_t n;
    struct whatif_result *r = whatif_run(m, &sc, 1, &p, &n, NULL);
    expect(&r[0], WHATIF_UNAFFECTED, SUPPORT_KV_EUS2, false);
    expect(&r[1], WHATIF_UNAFFECTED, SUPPORT_KV_CUS, false);
    free(r);
    sc.region = "eastus2";
    r = whatif_run(m, &sc, 1, &p, &n, NULL);
    expect(&r[0], WHATIF_VIA_SECONDARY, SUPPORT_KV_CUS, true);
    free(r);
    model_destroy(m);
}

/* Each thing the fallback needs, taken away in turn: the outage then makes it Inaccessible. */
static void test_fallback_needs(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_instance *eus2 = support_mi(m, SUPPORT_MI_EUS2);
    struct model_server_key *copy =
        support_server_key(eus2, SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2);
    struct model_version *v = support_version(m, SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2);
    struct model_policy *pol = support_policy(support_vault(m, SUPPORT_KV_CUS), SUPPORT_OID_EUS2);
    struct model_pe *pe = support_pe(m, "pe-kv-tde-cus-in-eus2");
    struct whatif_result *r;

    xstr_set(&copy->thumbprint, "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"); /* not registered */
    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
    assert_string_equal(r[0].code, "AzureKeyVaultConnectionFailed");
    assert_non_null(strstr(r[0].reason, "no registered key"));
    free(r);
    xstr_set(&copy->thumbprint, SUPPORT_TP_V2);

    v->enabled = false;
    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
    free(r);
    v->enabled = true;

    pol->key_perms = MODEL_PERM_GET;
    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
    free(r);
    pol->key_perms = MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP;

    xstr_set(&pe->status, "Pending");
    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
    assert_non_null(strstr(r[0].reason, "not approved"));
    free(r);
    xstr_set(&pe->status, "Approved");

    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_EUS2, NULL);
    expect(&r[0], WHATIF_VIA_SECONDARY, SUPPORT_KV_CUS, true);
    free(r);
    model_destroy(m);
}

static void test_current_paths(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_instance *eus2 = support_mi(m, SUPPORT_MI_EUS2);
    /* A pending endpoint of the primary in its region: on the secondary right now. */
    xstr_set(&support_pe(m, "pe-kv-tde-eus2-in-eus2")->status, "Pending");
    struct whatif_result *r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_VIA_SECONDARY, SUPPORT_KV_CUS, false);
    assert_int_equal(r[0].when_s, 0);
    free(r);
    /* Then the secondary vault fails too. */
    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_CUS, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, true);
    free(r);
    xstr_set(&support_pe(m, "pe-kv-tde-eus2-in-eus2")->status, "Approved");
    /* Already Inaccessible (grant gone, databases flipped): the time is when it happened. */
    support_policy(support_vault(m, SUPPORT_KV_EUS2), SUPPORT_OID_EUS2)->key_perms = 0;
    support_set_dbs(m, eus2, 3, 2, SUPPORT_NOW_MS - 300000);
    r = run(m, WHATIF_VAULT_OUTAGE, SUPPORT_KV_CUS, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, false);
    assert_int_equal(r[0].when_s, NOW_S - 300);
    free(r);
    model_destroy(m);
}

static void test_unknown_and_service_managed(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_vault *kve = support_vault(m, SUPPORT_KV_EUS2);
    /* The key list never read and the key unknown: no guess. */
    struct model_key *k = model_key(kve, SUPPORT_KEY_2025);
    k->versions_fresh.read_at = 0;
    struct model_version *v = support_version(m, SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V2);
    xstr_set(&v->version, "0000");
    struct whatif_result *r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_UNKNOWN, NULL, false);
    assert_non_null(strstr(r[0].reason, "never read"));
    free(r);
    /* The same, known to be gone: a refusal. */
    k->versions_fresh.read_at = SUPPORT_NOW_MS;
    r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_INACCESSIBLE, NULL, false);
    assert_string_equal(r[0].code, "AkvKeyDeleted");
    free(r);
    xstr_set(&v->version, SUPPORT_VER_V2);
    /* An RBAC vault whose role assignments could not be read. */
    kve->rbac = true;
    r = run(m, WHATIF_NONE, NULL, NULL);
    expect(&r[0], WHATIF_UNKNOWN, NULL, false);
    free(r);
    kve->rbac = false;
    /* A service-managed instance is untouched by any vault. */
    struct model_instance *cus = support_mi(m, SUPPORT_MI_CUS);
    struct model_protector p = {.type = xstrdup("ServiceManaged"),
                                .server_key_name = xstrdup("ServiceManaged")};
    model_set_protector(m, cus, &p, SUPPORT_NOW_MS);
    r = run(m, WHATIF_VAULT_DELETED, SUPPORT_KV_CUS, NULL);
    expect(&r[1], WHATIF_UNAFFECTED, NULL, false);
    assert_non_null(strstr(r[1].reason, "service-managed"));
    free(r);
    model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_current_healthy),
        cmocka_unit_test(test_primary_outage_falls_back),
        cmocka_unit_test(test_both_vaults_down),
        cmocka_unit_test(test_revoked_never_falls_back),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_model_refusals),
        cmocka_unit_test(test_pe_down_one_region),
        cmocka_unit_test(test_region_down),
        cmocka_unit_test(test_outage_from_one_region),
        cmocka_unit_test(test_fallback_needs),
        cmocka_unit_test(test_current_paths),
        cmocka_unit_test(test_unknown_and_service_managed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
