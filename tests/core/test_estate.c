/*
 * Unit tests for core/estate: the relationships derived from the model.
 * Degenerate inputs first (NULL everywhere, an empty model), then the demo
 * estate of support_estate: primary and secondary vaults, registered keys,
 * thumbprint <-> fingerprint, material in a vault, partners, the identity SQL
 * uses, the network path from a region and the grant on a vault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "estate.h"
#include "support_estate.h"
#include "xmem.h"

static void test_degenerate(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct estate_use use[3];
    assert_null(estate_geography(NULL));
    assert_null(estate_geography(""));
    assert_null(estate_principal(NULL));
    assert_null(estate_protector_thumbprint(NULL));
    assert_false(estate_protector_is_akv(NULL));
    assert_null(estate_primary_vault(NULL, NULL));
    assert_null(estate_primary_vault(m, NULL));
    assert_null(estate_secondary_key(m, NULL));
    assert_null(estate_secondary_vault(m, NULL));
    assert_null(estate_registered_key(NULL, "kv", "AB"));
    assert_null(estate_fingerprint_of(m, NULL));
    assert_null(estate_fingerprint_of(NULL, "AB"));
    assert_null(estate_thumbprint_of(m, ""));
    assert_null(estate_vault_material(NULL, "ab", NULL));
    assert_null(estate_partner(m, NULL));
    assert_null(estate_fog_primary(m, NULL));
    assert_int_equal(estate_uses(m, NULL, use), 0);
    assert_false(estate_vault_used(m, NULL));
    assert_int_equal(estate_path(m, NULL, "eastus2", NULL, 0, NULL), ESTATE_PATH_UNKNOWN);
    assert_int_equal(estate_grant(NULL, "x", NULL, NULL), ESTATE_GRANT_UNKNOWN);
    assert_null(estate_pe_vault(m, NULL));
    assert_false(estate_pe_approved(NULL, NULL));
    assert_false(estate_same_region(NULL, "eastus"));
    model_destroy(m);
}

static void test_geography(void **state)
{
    (void)state;
    assert_string_equal(estate_geography("eastus"), "United States");
    assert_string_equal(estate_geography("eastus2"), "United States");
    assert_string_equal(estate_geography("East US 2"), "United States");
    assert_string_equal(estate_geography("centralus"), "United States");
    assert_string_equal(estate_geography("westus"), "United States");
    assert_string_equal(estate_geography("northeurope"), "Europe");
    assert_string_equal(estate_geography("WestEurope"), "Europe");
    assert_string_equal(estate_geography("japaneast"), "Japan");
    assert_string_equal(estate_geography("japanwest"), "Japan");
    assert_string_equal(estate_geography("uksouth"), "United Kingdom");
    assert_string_not_equal(estate_geography("usdodeast"), estate_geography("usgovvirginia"));
    assert_null(estate_geography("marsnorth"));
    assert_true(estate_same_region("East US 2", "eastus2"));
    assert_false(estate_same_region("eastus", "eastus2"));
}

static void test_vaults_of_instances(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_instance *eus2 = support_mi(m, SUPPORT_MI_EUS2);
    struct model_instance *cus = support_mi(m, SUPPORT_MI_CUS);
    struct model_vault *kve = support_vault(m, SUPPORT_KV_EUS2);
    struct model_vault *kvc = support_vault(m, SUPPORT_KV_CUS);
    assert_true(estate_protector_is_akv(eus2));
    assert_string_equal(estate_protector_thumbprint(eus2), SUPPORT_TP_V2);
    assert_ptr_equal(estate_primary_vault(m, eus2), kve);
    assert_ptr_equal(estate_primary_vault(m, cus), kvc);
    assert_ptr_equal(estate_secondary_vault(m, eus2), kvc);
    assert_ptr_equal(estate_secondary_vault(m, cus), kve);
    const struct model_server_key *sk = estate_secondary_key(m, eus2);
    assert_non_null(sk);
    assert_ptr_equal(sk,
                     support_server_key(eus2, SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2));
    /* The protector thumbprint comes from the registered key when the protector lacks one. */
    free(eus2->protector.thumbprint);
    eus2->protector.thumbprint = NULL;
    assert_string_equal(estate_protector_thumbprint(eus2), SUPPORT_TP_V2);
    /* Without a copy elsewhere there is no secondary. */
    xstr_set(
        &support_server_key(eus2, SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2)->thumbprint,
        "0000");
    assert_null(estate_secondary_vault(m, eus2));
    struct estate_use use[3];
    assert_int_equal(estate_uses(m, cus, use), 2);
    assert_ptr_equal(use[0].vault, kvc);
    assert_int_equal(use[0].role, ESTATE_USE_PRIMARY);
    assert_ptr_equal(use[1].vault, kve);
    assert_int_equal(use[1].role, ESTATE_USE_SECONDARY);
    /* eus2 lost its registered copy: kv-tde-cus is still the partner's vault. */
    assert_int_equal(estate_uses(m, eus2, use), 2);
    assert_int_equal(use[1].role, ESTATE_USE_PARTNER);
    assert_string_equal(estate_role_name(ESTATE_USE_PARTNER), "partner's primary vault");
    assert_true(estate_vault_used(m, kve));
    char key[128];
    assert_true(estate_key_name_in(m, cus, kve, key));
    assert_string_equal(key, SUPPORT_KEY_2025);
    model_destroy(m);
}

static void test_material(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_instance *eus2 = support_mi(m, SUPPORT_MI_EUS2);
    struct model_vault *kvc = support_vault(m, SUPPORT_KV_CUS);
    assert_string_equal(estate_fingerprint_of(m, SUPPORT_TP_2024), SUPPORT_FP_2024);
    assert_string_equal(estate_fingerprint_of(m, "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"),
                        SUPPORT_FP_V2); /* thumbprints compare case-insensitively */
    assert_null(estate_fingerprint_of(m, "FFFF"));
    assert_string_equal(estate_thumbprint_of(m, SUPPORT_FP_V1), SUPPORT_TP_V1);
    assert_null(estate_thumbprint_of(m, "ffff"));
    const struct model_key *k = NULL;
    const struct model_version *v = estate_vault_material(kvc, SUPPORT_FP_V1, &k);
    assert_non_null(v);
    assert_string_equal(v->version, SUPPORT_VER_V1);
    assert_string_equal(k->name, SUPPORT_KEY_2025);
    assert_null(estate_vault_material(kvc, "ffff", &k));
    assert_null(k);
    const struct model_server_key *rk =
        estate_registered_key(eus2, SUPPORT_KV_CUS, SUPPORT_TP_2024);
    assert_non_null(rk);
    assert_non_null(strstr(rk->uri, "kv-tde-cus.vault"));
    assert_non_null(estate_registered_key(eus2, NULL, SUPPORT_TP_V1));
    assert_null(estate_registered_key(eus2, "kv-other", SUPPORT_TP_V1));
    /* Material held twice, once disabled: the enabled copy wins. */
    memcpy(support_version(m, SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2)->fingerprint,
           SUPPORT_FP_2024, sizeof SUPPORT_FP_2024);
    support_version(m, SUPPORT_KV_CUS, SUPPORT_KEY_2024, SUPPORT_VER_2024)->enabled = false;
    v = estate_vault_material(kvc, SUPPORT_FP_2024, &k);
    assert_string_equal(v->version, SUPPORT_VER_V2);
    model_destroy(m);
}

static void test_partners(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_instance *eus2 = support_mi(m, SUPPORT_MI_EUS2);
    struct model_instance *cus = support_mi(m, SUPPORT_MI_CUS);
    assert_ptr_equal(estate_partner(m, eus2), cus);
    assert_ptr_equal(estate_partner(m, cus), eus2);
    assert_ptr_equal(estate_fog_primary(m, m->fogs[0]), eus2);
    assert_ptr_equal(estate_fog_secondary(m, m->fogs[0]), cus);
    xstr_set(&m->fogs[0]->secondary_id, "/subscriptions/x/managedInstances/gone");
    assert_null(estate_partner(m, eus2));
    model_destroy(m);
}

static void test_principal(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_instance *mi = support_mi(m, SUPPORT_MI_CUS);
    assert_string_equal(estate_principal(mi), SUPPORT_OID_CUS);
    mi->uamis = xcalloc(2, sizeof *mi->uamis);
    mi->nuamis = 2;
    mi->uamis[0].id = xstrdup("/uami/a");
    mi->uamis[0].principal_id = xstrdup("aaaa");
    mi->uamis[1].id = xstrdup("/uami/B");
    mi->uamis[1].principal_id = xstrdup("bbbb");
    /* UAMIs without a primary: SQL has no identity it will use (not the system one). */
    assert_null(estate_principal(mi));
    mi->primary_uami = xstrdup("/UAMI/b");
    assert_string_equal(estate_principal(mi), "bbbb");
    xstr_set(&mi->primary_uami, "/uami/c");
    assert_null(estate_principal(mi));
    model_destroy(m);
}

static void test_path(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_vault *kve = support_vault(m, SUPPORT_KV_EUS2);
    struct model_pe *pe = support_pe(m, "pe-kv-tde-eus2-in-cus");
    const struct model_pe *used;
    assert_ptr_equal(estate_pe_vault(m, pe), kve);
    assert_true(estate_pe_approved(kve, pe));
    assert_int_equal(estate_path(m, kve, "centralus", NULL, 0, &used), ESTATE_PATH_PRIVATE);
    assert_ptr_equal(used, pe);
    assert_int_equal(estate_path(m, kve, "Central US", NULL, 0, NULL), ESTATE_PATH_PRIVATE);
    /* A failed endpoint (what-if) or one not approved is an outage, not the public path. */
    const struct model_pe *down[1] = {pe};
    assert_int_equal(estate_path(m, kve, "centralus", down, 1, NULL), ESTATE_PATH_PE_DOWN);
    xstr_set(&kve->pecs[1].status, "Pending");
    assert_false(estate_pe_approved(kve, pe));
    assert_int_equal(estate_path(m, kve, "centralus", NULL, 0, NULL), ESTATE_PATH_PE_DOWN);
    xstr_set(&kve->pecs[1].status, "Approved");
    xstr_set(&pe->status, "Rejected");
    assert_int_equal(estate_path(m, kve, "centralus", NULL, 0, NULL), ESTATE_PATH_PE_DOWN);
    xstr_set(&pe->status, "Approved");
    /* No endpoint in the region: the firewall decides. */
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_PUBLIC);
    xstr_set(&kve->bypass, "None");
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_BLOCKED);
    xstr_set(&kve->default_action, "Allow");
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_PUBLIC);
    xstr_set(&kve->default_action, NULL);
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_PUBLIC);
    xstr_set(&kve->public_network_access, "Disabled");
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_BLOCKED);
    /* Never read: unknown. */
    kve->arm_fresh.read_at = 0;
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_UNKNOWN);
    model_destroy(m);
}

static void test_path_unread_endpoint(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_vault *kve = support_vault(m, SUPPORT_KV_EUS2);
    /* The vault lists a connection whose endpoint tdectl could not read (region unknown). */
    xstr_set(&kve->pecs[0].endpoint_id, "/subscriptions/other/privateEndpoints/pe-x");
    xstr_set(&kve->bypass, "None");
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_UNKNOWN);
    xstr_set(&kve->bypass, "AzureServices");
    assert_int_equal(estate_path(m, kve, "westus", NULL, 0, NULL), ESTATE_PATH_PUBLIC);
    model_destroy(m);
}

static void add_role(struct model_vault *v, const char *principal, const char *role,
                     const char *scope)
{
    v->roles = xrealloc(v->roles, v->nroles + 1, sizeof *v->roles);
    v->roles[v->nroles++] =
        (struct model_role){xstrdup("ra"), xstrdup(principal), xstrdup(role), xstrdup(scope)};
}

static void test_grant(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct model_vault *kve = support_vault(m, SUPPORT_KV_EUS2);
    unsigned perms;
    assert_int_equal(estate_grant(kve, SUPPORT_OID_CUS, NULL, &perms), ESTATE_GRANT_YES);
    assert_int_equal(perms, MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP);
    assert_int_equal(estate_grant(kve, "someone-else", NULL, &perms), ESTATE_GRANT_NO);
    assert_int_equal(estate_grant(kve, NULL, NULL, NULL), ESTATE_GRANT_NO);
    support_policy(kve, SUPPORT_OID_CUS)->key_perms = MODEL_PERM_GET | MODEL_PERM_UNWRAP;
    assert_int_equal(estate_grant(kve, SUPPORT_OID_CUS, NULL, &perms), ESTATE_GRANT_NO);
    assert_int_equal(perms, MODEL_PERM_GET | MODEL_PERM_UNWRAP);
    /* A policy for another tenant does not count. */
    support_policy(kve, SUPPORT_OID_CUS)->key_perms = MODEL_PERM_ALL;
    xstr_set(&support_policy(kve, SUPPORT_OID_CUS)->tenant_id, "other-tenant");
    assert_int_equal(estate_grant(kve, SUPPORT_OID_CUS, NULL, NULL), ESTATE_GRANT_NO);
    /* RBAC: policies no longer count; unread role assignments: unknown. */
    kve->rbac = true;
    assert_int_equal(estate_grant(kve, SUPPORT_OID_EUS2, NULL, NULL), ESTATE_GRANT_UNKNOWN);
    kve->roles_known = true;
    assert_int_equal(estate_grant(kve, SUPPORT_OID_EUS2, NULL, NULL), ESTATE_GRANT_NO);
    add_role(kve, SUPPORT_OID_EUS2, "21090545-7ca7-4776-b22c-e363652d74d2", "/subscriptions/x");
    assert_int_equal(estate_grant(kve, SUPPORT_OID_EUS2, NULL, NULL), ESTATE_GRANT_NO); /* Reader */
    add_role(kve, SUPPORT_OID_EUS2, MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER,
             "/subscriptions/x/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv-tde-eus2/"
             "keys/tde-protector-2025");
    assert_int_equal(estate_grant(kve, SUPPORT_OID_EUS2, NULL, NULL), ESTATE_GRANT_NO);
    assert_int_equal(estate_grant(kve, SUPPORT_OID_EUS2, "tde-protector-2024", NULL),
                     ESTATE_GRANT_NO);
    assert_int_equal(estate_grant(kve, SUPPORT_OID_EUS2, "TDE-protector-2025", NULL),
                     ESTATE_GRANT_YES);
    add_role(kve, SUPPORT_OID_CUS, ESTATE_ROLE_KV_CRYPTO_OFFICER, "/subscriptions/x");
    assert_int_equal(estate_grant(kve, SUPPORT_OID_CUS, NULL, NULL), ESTATE_GRANT_YES);
    add_role(kve, "admin", ESTATE_ROLE_KV_ADMINISTRATOR,
             "/subscriptions/x/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv-tde-eus2");
    assert_int_equal(estate_grant(kve, "admin", NULL, NULL), ESTATE_GRANT_YES);
    kve->arm_fresh.read_at = 0;
    assert_int_equal(estate_grant(kve, "admin", NULL, NULL), ESTATE_GRANT_UNKNOWN);
    model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_geography),
        cmocka_unit_test(test_vaults_of_instances),
        cmocka_unit_test(test_material),
        cmocka_unit_test(test_partners),
        cmocka_unit_test(test_principal),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_path_unread_endpoint),
        cmocka_unit_test(test_grant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
