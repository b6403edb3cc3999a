/*
 * Unit tests for sim/mimodel: how a managed instance uses its two vaults
 * (DOMAIN.md, "How an instance uses its vaults").
 *
 * Every test loads one small world: two vaults (kv-east in eastus2, kv-west in
 * centralus) holding the same material under tde/V1, two instances in a
 * failover group, each with its own-region copy as protector and the other
 * copy registered. Tests then change the world directly (a key disabled, a
 * policy narrowed, a private endpoint added) or inject network faults, and
 * drive the model with explicit simulated times: the wall clock is never
 * consulted for the model's decisions.
 *
 * Order: degenerate worlds first, then each probe outcome, then the state
 * machine (fallback, Inaccessible, heal, revalidate, catch-up ticks), then
 * auto-rotation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "fault.h"
#include "instance.h"
#include "key.h"
#include "mimodel.h"
#include "rsakey.h"
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
#define OID_P       "756a35a4-1b5e-495e-93af-6fc9eefb32d0"
#define OID_S       "f78ab195-5c4b-4638-909c-9fba4bd80287"
#define V1          "0123456789abcdef0123456789abcdef"
#define V2          "fedcba9876543210fedcba9876543210"
#define V3          "00000000000000000000000000000003"

#define SK_EAST     "kv-east_tde_" V1
#define SK_WEST     "kv-west_tde_" V1

#define CRYPTO_USER "Key Vault Crypto Service Encryption User"

#define VAULT_JSON(name, region)                                                          \
    "{\"name\": \"" name "\", \"subscription\": \"" SUB "\", \"resource_group\": \"rg\"," \
    " \"region\": \"" region "\", \"purge_protection\": true,"                            \
    " \"access_policies\": ["                                                             \
    "  {\"principal\": \"id-p\", \"keys\": [\"get\", \"wrapKey\", \"unwrapKey\"]},"       \
    "  {\"principal\": \"id-s\", \"keys\": [\"get\", \"wrapKey\", \"unwrapKey\"]}],"      \
    " \"keys\": [{\"name\": \"tde\", \"versions\": [{\"version\": \"" V1 "\","            \
    "  \"material\": \"m1\", \"created\": \"now-10d\"}]}]}"

#define INSTANCE_JSON(name, region, id, own, other, dbs)                                   \
    "{\"name\": \"" name "\", \"subscription\": \"" SUB "\", \"resource_group\": \"rg\","  \
    " \"region\": \"" region "\", \"identity\": {\"principal\": \"" id "\"},"              \
    " \"keys\": [{\"vault\": \"" own "\", \"key\": \"tde\", \"version\": \"" V1 "\"},"     \
    "          {\"vault\": \"" other "\", \"key\": \"tde\", \"version\": \"" V1 "\"}],"    \
    " \"protector\": {\"vault\": \"" own "\", \"key\": \"tde\", \"version\": \"" V1 "\"}," \
    " \"databases\": [" dbs "]}"

#define DBS_P      "{\"name\": \"db1\"}, {\"name\": \"db2\"}"
#define DBS_S      "{\"name\": \"db1\"}"
#define VAULT_EAST VAULT_JSON("kv-east", "eastus2")
#define VAULT_WEST VAULT_JSON("kv-west", "centralus")
#define MI_P       INSTANCE_JSON("mi-p", "eastus2", "id-p", "kv-east", "kv-west", DBS_P)
#define MI_S       INSTANCE_JSON("mi-s", "centralus", "id-s", "kv-west", "kv-east", DBS_S)

static const char base_text[] =
    "{\"name\": \"mimodel\","
    " \"regions\": [{\"name\": \"eastus2\", \"geography\": \"United States\"},"
    "               {\"name\": \"centralus\", \"geography\": \"United States\"}],"
    " \"tenants\": [{\"id\": \"" TENANT "\", \"name\": \"contoso\"}],"
    " \"subscriptions\": [{\"id\": \"" SUB "\", \"name\": \"sub1\"}],"
    " \"principals\": ["
    "  {\"name\": \"id-p\", \"kind\": \"managed_identity\", \"object_id\": \"" OID_P "\","
    "   \"client_id\": \"920a9567-25b0-4683-8a53-4663d01c33f1\"},"
    "  {\"name\": \"id-s\", \"kind\": \"managed_identity\", \"object_id\": \"" OID_S "\","
    "   \"client_id\": \"7d248692-5828-4a0d-ae0c-8333f4a54257\"}],"
    " \"vaults\": [" VAULT_EAST ", " VAULT_WEST "],"
    " \"instances\": [" MI_P ", " MI_S "],"
    " \"failover_groups\": [{\"name\": \"fog1\", \"resource_group\": \"rg\","
    "   \"primary\": \"mi-p\", \"secondary\": \"mi-s\"}]"
    "}";

static char *pem1, *pem2;
static struct rsakey *rk2; /* the material of new versions added by tests */
static struct sim sim;
static struct instance *mip, *mis;
static struct vault *east, *west;
static int64_t T0; /* the simulated time tests start from */

static int group_setup(void **state)
{
    (void)state;
    slog_set_level(SLOG_ERROR);
    pem1 = support_rsa_pem();
    pem2 = support_rsa_pem();
    if (pem1 == NULL || pem2 == NULL)
        return -1;
    rk2 = rsakey_from_pem(pem2, strlen(pem2), NULL);
    sim.dns_suffix = xstrdup("localhost");
    sim_set_addresses(&sim, 8443);
    fault_init(&sim);
    return rk2 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    fault_shutdown();
    sim_cleanup(&sim);
    rsakey_unref(rk2);
    free(pem1);
    free(pem2);
    return 0;
}

static int world_setup(void **state)
{
    (void)state;
    cJSON *top = cJSON_Parse(base_text);
    if (top == NULL) {
        print_error("base scenario does not parse near %.40s\n", cJSON_GetErrorPtr());
        return -1;
    }
    cJSON *materials = cJSON_AddArrayToObject(top, "materials");
    cJSON *m1 = cJSON_CreateObject();
    cJSON_AddStringToObject(m1, "id", "m1");
    cJSON_AddStringToObject(m1, "pem", pem1);
    cJSON_AddItemToArray(materials, m1);
    char *text = cJSON_PrintUnformatted(top), *cause = NULL;
    cJSON_Delete(top);
    sim.world = scenario_load_text(text, strlen(text), NULL, &cause);
    free(text);
    if (sim.world == NULL) {
        print_error("base scenario did not load: %s\n", cause);
        free(cause);
        return -1;
    }
    mip = world_instance(sim.world, "mi-p");
    mis = world_instance(sim.world, "mi-s");
    east = world_vault(sim.world, "kv-east");
    west = world_vault(sim.world, "kv-west");
    T0 = simclock_now() + 1000;
    return mip && mis && east && west ? 0 : -1;
}

static int world_teardown(void **state)
{
    (void)state;
    fault_clear_all();
    world_destroy(sim.world);
    sim.world = NULL;
    return 0;
}

/* ---- helpers ---- */

static void add_fault(const char *json)
{
    cJSON *spec = cJSON_Parse(json);
    assert_non_null(spec);
    char *cause = NULL;
    cJSON *f = fault_add(spec, &cause);
    if (f == NULL)
        fail_msg("fault %s refused: %s", json, cause ? cause : "?");
    cJSON_Delete(f);
    cJSON_Delete(spec);
}

static struct key_version *ver(struct vault *v, const char *key, const char *version)
{
    struct key *k = vault_find_key(v, key);
    assert_non_null(k);
    struct key_version *kv = key_find_version(k, version);
    assert_non_null(kv);
    return kv;
}

static struct access_policy *policy_of(struct vault *v, const char *oid)
{
    for (size_t i = 0; i < v->npolicies; i++) {
        if (strcmp(v->policies[i].object_id, oid) == 0)
            return &v->policies[i];
    }
    fail_msg("no policy for %s in %s", oid, v->name);
    return NULL;
}

static void add_role(struct vault *v, const char *oid, const char *role, const char *key)
{
    v->roles = xrealloc(v->roles, v->nroles + 1, sizeof *v->roles);
    v->roles[v->nroles++] =
        (struct role_assignment){xasprintf("00000000-0000-0000-0000-%012zu", v->nroles),
                                 xstrdup(oid), xstrdup(role), key ? xstrdup(key) : NULL};
}

static struct private_endpoint *add_pe(const char *name, const char *vault, const char *region,
                                       const char *status)
{
    struct private_endpoint *pe = xcalloc(1, sizeof *pe);
    *pe = (struct private_endpoint){xstrdup(name),      xstrdup(SUB),   xstrdup("rg"),
                                    xstrdup(region),    xstrdup(vault), xstrdup(status),
                                    xstrdup("10.0.0.4")};
    world_add_pe(sim.world, pe);
    return pe;
}

static void set_pe_status(struct private_endpoint *pe, const char *status)
{
    free(pe->status);
    pe->status = xstrdup(status);
}

/* A new version of v/key with material rk, created at `created`. */
static struct key_version *add_version(struct vault *v, const char *key, const char *id,
                                       struct rsakey *rk, int64_t created)
{
    struct key *k = vault_find_key(v, key);
    if (k == NULL) {
        k = key_create(key);
        vault_add_key(v, k);
    }
    struct key_version *kv = key_version_create(rk, false, created);
    memcpy(kv->id, id, KEY_VERSION_ID);
    key_add_version(k, kv);
    return kv;
}

/* RSA material of `bits` from `primes` primes (multi-prime keeps 4096 bits fast to make). */
static struct rsakey *generate(int bits, int primes)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_primes(ctx, primes), 1);
    assert_int_equal(EVP_PKEY_generate(ctx, &pkey), 1);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    char *data = NULL, *cause = NULL;
    long len = BIO_get_mem_data(bio, &data);
    struct rsakey *rk = rsakey_from_pem(data, (size_t)len, &cause);
    if (rk == NULL)
        fail_msg("generated %d-bit material did not load: %s", bits, cause ? cause : "?");
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    assert_int_equal(rsakey_bits(rk), bits);
    return rk;
}

static void assert_probe(const struct instance *mi, const char *vault, const char *key,
                         const char *version, int64_t t, enum probe_result result, const char *code)
{
    struct probe p = mimodel_probe(&sim, mi, vault, key, version, t);
    if (p.result != result || p.code == NULL || strcmp(p.code, code) != 0)
        fail_msg("probe of %s/%s/%s by %s: got (%d, \"%s\"), want (%d, \"%s\")", vault, key,
                 version ? version : "-", mi->name, p.result, p.code ? p.code : "(null)", result,
                 code);
}

static void assert_dbs(const struct instance *mi, enum db_status status)
{
    for (size_t i = 0; i < mi->ndbs; i++) {
        if (mi->dbs[i].status != status)
            fail_msg("%s database %s is %s, want %s", mi->name, mi->dbs[i].name,
                     db_status_name(mi->dbs[i].status), db_status_name(status));
    }
}

static void assert_serving(const struct instance *mi, const char *name)
{
    if (name == NULL && mi->serving != NULL)
        fail_msg("%s serves %s, want none", mi->name, mi->serving);
    if (name && (mi->serving == NULL || strcmp(mi->serving, name) != 0))
        fail_msg("%s serves %s, want %s", mi->name, mi->serving ? mi->serving : "none", name);
}

static void assert_lost(const struct instance *mi, const char *code)
{
    assert_int_equal(mi->access, MI_ACCESS_LOST);
    assert_string_equal(mi->last_error, code);
    assert_serving(mi, NULL);
}

/* ---- degenerate worlds ---- */

static void test_access_names(void **state)
{
    (void)state;
    assert_string_equal(mimodel_access_name(MI_ACCESS_OK), "ok");
    assert_string_equal(mimodel_access_name(MI_ACCESS_SECONDARY), "secondary");
    assert_string_equal(mimodel_access_name(MI_ACCESS_LOST), "lost");
}

static void test_empty_world(void **state)
{
    (void)state;
    sim.world = world_create();
    int64_t t = simclock_now();
    assert_false(mimodel_tick(&sim, t));
    assert_false(mimodel_tick(&sim, t + 86400));
    world_destroy(sim.world);
    sim.world = NULL;
}

static void test_service_managed(void **state)
{
    (void)state;
    free(mip->protector);
    mip->protector = NULL;
    east->deleted = true; /* nothing to reach: a service-managed key needs no vault */
    const char *code = "x";
    assert_null(mimodel_serving_key(&sim, mip, T0, &code));
    assert_string_equal(code, "");
    mimodel_check(&sim, mip, T0);
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_string_equal(mip->last_error, "");
    assert_serving(mip, NULL);
    mimodel_check(&sim, mip, T0 + 3600);
    assert_int_equal(mip->lost_since, 0);
    assert_dbs(mip, DB_ONLINE);
}

static void test_protector_not_registered(void **state)
{
    (void)state;
    free(mip->protector);
    mip->protector = xstrdup("kv-east_gone_" V2);
    const char *code = NULL;
    assert_null(mimodel_serving_key(&sim, mip, T0, &code));
    assert_string_equal(code, "ServerKeyNotFound");
    assert_true(mimodel_check(&sim, mip, T0));
    assert_lost(mip, "ServerKeyNotFound");
    assert_int_equal(mip->lost_since, T0);
}

/* ---- probes ---- */

static void test_probe_ok(void **state)
{
    (void)state;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    assert_probe(mip, "KV-EAST", "TDE", V1, T0, PROBE_OK, "");
    assert_probe(mip, "kv-east", "tde", NULL, T0, PROBE_OK, ""); /* latest */
    assert_probe(mip, "kv-west", "tde", V1, T0, PROBE_OK, "");   /* the other region, publicly */
    assert_probe(mis, "kv-west", "tde", V1, T0, PROBE_OK, "");
    assert_probe(mis, "kv-east", "tde", V1, T0, PROBE_OK, "");
}

static void test_probe_vault_missing_or_deleted(void **state)
{
    (void)state;
    assert_probe(mip, "kv-nowhere", "tde", V1, T0, PROBE_DENIED, "AkvKeyDNS");
    assert_probe(mip, "", "tde", V1, T0, PROBE_DENIED, "AkvKeyDNS");
    east->deleted = true;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyDNS");
    assert_probe(mip, "kv-west", "tde", V1, T0, PROBE_OK, "");
    /* A deleted vault is gone whatever else is wrong with it. */
    east->public_access = false;
    ver(east, "tde", V1)->enabled = false;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyDNS");
}

static void test_probe_private_endpoint(void **state)
{
    (void)state;
    static const char *const not_approved[] = {"Pending", "Rejected", "Disconnected"};
    struct private_endpoint *pe = add_pe("pe-east-e2", "kv-east", "eastus2", "Pending");
    east->public_access = false; /* the endpoint is the only way in */
    for (size_t i = 0; i < 3; i++) {
        set_pe_status(pe, not_approved[i]);
        assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OUTAGE, "AzureKeyVaultConnectionFailed");
    }
    set_pe_status(pe, "Approved");
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    /* An approved endpoint also bypasses a closed firewall. */
    east->public_access = true;
    east->acl_deny = true;
    east->acl_bypass_azure = false;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    /* Only the endpoint in the instance's own region counts: mi-s takes the public path. */
    assert_probe(mis, "kv-east", "tde", V1, T0, PROBE_DENIED,
                 "AkvKeyOperationNotAllowedByFirewall");
    add_pe("pe-east-cu", "kv-east", "centralus", "Approved");
    assert_probe(mis, "kv-east", "tde", V1, T0, PROBE_OK, "");
    /* A not-approved endpoint is an outage even when the public door is open. */
    east->acl_deny = false;
    set_pe_status(pe, "Rejected");
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OUTAGE, "AzureKeyVaultConnectionFailed");
}

static void test_probe_firewall(void **state)
{
    (void)state;
    east->public_access = false;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED,
                 "AkvKeyOperationNotAllowedByFirewall");
    east->acl_bypass_azure = true; /* bypass does not open a disabled public endpoint */
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED,
                 "AkvKeyOperationNotAllowedByFirewall");
    east->public_access = true;
    east->acl_deny = true;
    east->acl_bypass_azure = false;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED,
                 "AkvKeyOperationNotAllowedByFirewall");
    east->acl_bypass_azure = true; /* SQL is a trusted service */
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    east->acl_deny = false;
    east->acl_bypass_azure = false;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
}

static void test_probe_permissions(void **state)
{
    (void)state;
    static const uint32_t needed[] = {KPERM_GET, KPERM_WRAPKEY, KPERM_UNWRAPKEY};
    struct access_policy *p = policy_of(east, OID_P);
    for (size_t i = 0; i < 3; i++) {
        p->keys = (KPERM_ALL & ~needed[i]);
        assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED,
                     "AzureKeyVaultMissingPermissions");
    }
    p->keys = 0;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AzureKeyVaultMissingPermissions");
    p->keys = KPERM_GET | KPERM_WRAPKEY | KPERM_UNWRAPKEY;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    /* mi-s's own policy is no help to mi-p. */
    p->keys = 0;
    assert_probe(mis, "kv-east", "tde", V1, T0, PROBE_OK, "");
    /* An identity the world does not know. */
    p->keys = KPERM_ALL;
    free(mip->identity_oid);
    mip->identity_oid = xstrdup("11111111-2222-3333-4444-555555555555");
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AzureKeyVaultNoServerIdentity");
}

static void test_probe_rbac(void **state)
{
    (void)state;
    east->rbac = true; /* the access policies no longer count */
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyOperationNotAllowedByRBAC");
    add_role(east, OID_S, CRYPTO_USER, NULL); /* someone else's role */
    add_role(east, OID_P, "Key Vault Reader", NULL);
    add_role(east, OID_P, CRYPTO_USER, "other-key");
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyOperationNotAllowedByRBAC");
    assert_probe(mis, "kv-east", "tde", V1, T0, PROBE_OK, "");
    add_role(east, OID_P, CRYPTO_USER, "tde"); /* key scope */
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    /* Vault scope too. */
    add_role(west, OID_P, CRYPTO_USER, NULL);
    west->rbac = true;
    assert_probe(mip, "kv-west", "tde", V1, T0, PROBE_OK, "");
}

static void test_probe_key_state(void **state)
{
    (void)state;
    assert_probe(mip, "kv-east", "nope", V1, T0, PROBE_DENIED, "AkvKeyDeleted");
    assert_probe(mip, "kv-east", "tde", V2, T0, PROBE_DENIED, "AkvKeyDeleted");

    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AzureKeyVaultKeyDisabled");
    kv->enabled = true;

    kv->exp = T0 - 1;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AzureKeyVaultInvalidExpirationDate");
    kv->exp = T0; /* expires at exp */
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AzureKeyVaultInvalidExpirationDate");
    assert_probe(mip, "kv-east", "tde", V1, T0 - 1, PROBE_OK, "");
    kv->exp = T0 + 1;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
    kv->exp = 0;

    /* A future nbf is lost access too (DOMAIN.md rule 4). */
    kv->nbf = T0 + 1;
    struct probe p = mimodel_probe(&sim, mip, "kv-east", "tde", V1, T0);
    assert_int_equal(p.result, PROBE_DENIED);
    assert_true(p.code && p.code[0]);
    kv->nbf = T0;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");

    vault_find_key(east, "tde")->deleted = true;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyDeleted");
    assert_probe(mip, "kv-east", "tde", NULL, T0, PROBE_DENIED, "AkvKeyDeleted");
}

static void test_probe_key_ops(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->ops = KEYOP_RSA_DEFAULT & ~(unsigned)KEYOP_WRAP;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyAccessDenied");
    kv->ops = KEYOP_RSA_DEFAULT & ~(unsigned)KEYOP_UNWRAP;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyAccessDenied");
    kv->ops = 0;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_DENIED, "AkvKeyAccessDenied");
    kv->ops = KEYOP_WRAP | KEYOP_UNWRAP;
    assert_probe(mip, "kv-east", "tde", V1, T0, PROBE_OK, "");
}

static void test_probe_key_size(void **state)
{
    (void)state;
    struct rsakey *big = generate(4096, 4), *mid = generate(3072, 3);
    add_version(east, "big", V1, big, T0 - 100);
    add_version(east, "mid", V1, mid, T0 - 100);
    assert_probe(mip, "kv-east", "big", V1, T0, PROBE_DENIED, "AzureKeyVaultRsaKeyNotSupported");
    assert_probe(mip, "kv-east", "mid", V1, T0, PROBE_OK, "");
    rsakey_unref(mid);
    rsakey_unref(big);
}

/* ---- the state machine ---- */

static void test_check_steady(void **state)
{
    (void)state;
    assert_true(mimodel_check(&sim, mip, T0)); /* nothing was serving before */
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_serving(mip, SK_EAST);
    assert_string_equal(mip->last_error, "");
    assert_false(mimodel_check(&sim, mip, T0 + 600));
    assert_false(mimodel_check(&sim, mip, T0 + 86400));
    assert_dbs(mip, DB_ONLINE);
    const char *code = NULL;
    const struct server_key *k = mimodel_serving_key(&sim, mip, T0, &code);
    assert_non_null(k);
    assert_string_equal(k->vault, "kv-east");
    assert_string_equal(code, "");
}

static void test_fallback_on_outage(void **state)
{
    (void)state;
    mimodel_check(&sim, mip, T0);
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-east\"}");
    assert_true(mimodel_check(&sim, mip, T0 + 600));
    assert_int_equal(mip->access, MI_ACCESS_SECONDARY);
    assert_serving(mip, SK_WEST);
    assert_string_equal(mip->last_error, "");
    assert_int_equal(mip->lost_since, 0);
    const char *code = NULL;
    const struct server_key *k = mimodel_serving_key(&sim, mip, T0 + 600, &code);
    assert_non_null(k);
    assert_string_equal(k->vault, "kv-west");
    /* Hours on the secondary copy: databases stay Online. */
    for (int64_t t = T0 + 1200; t <= T0 + 6 * 3600; t += 600)
        mimodel_check(&sim, mip, t);
    assert_int_equal(mip->access, MI_ACCESS_SECONDARY);
    assert_dbs(mip, DB_ONLINE);
    assert_false(mip->revalidate_needed);
    /* mi-s's own vault is fine: it keeps its protector. */
    mimodel_check(&sim, mis, T0 + 600);
    assert_int_equal(mis->access, MI_ACCESS_OK);
    assert_serving(mis, SK_WEST);
    /* The outage ends: back to the protector. */
    fault_clear_all();
    assert_true(mimodel_check(&sim, mip, T0 + 7 * 3600));
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_serving(mip, SK_EAST);
}

static void test_fallback_region_views(void **state)
{
    (void)state;
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-east@centralus\"}");
    add_fault("{\"kind\": \"blackhole\", \"target\": \"vault:kv-east@console\"}");
    mimodel_check(&sim, mip, T0);
    assert_int_equal(mip->access, MI_ACCESS_OK); /* eastus2's view is fine */
    assert_serving(mip, SK_EAST);
    add_fault("{\"kind\": \"reset\", \"target\": \"vault:kv-east@EastUS2\"}");
    mimodel_check(&sim, mip, T0 + 600);
    assert_int_equal(mip->access, MI_ACCESS_SECONDARY);
    assert_serving(mip, SK_WEST);
    /* mi-s's protector vault, out from centralus only: mi-s falls back to kv-east, */
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-west@centralus\"}");
    mimodel_check(&sim, mis, T0 + 600);
    assert_lost(mis, "AzureKeyVaultConnectionFailed"); /* ... which centralus cannot reach */
    fault_clear_all();
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-west@centralus\"}");
    mimodel_check(&sim, mis, T0 + 1200);
    assert_int_equal(mis->access, MI_ACCESS_SECONDARY);
    assert_serving(mis, SK_EAST);
}

static void test_fallback_service_faults(void **state)
{
    (void)state;
    static const char *const outages[] = {
        "{\"kind\": \"error\", \"target\": \"vault:kv-east\", \"status\": 503, \"rate\": 1}",
        "{\"kind\": \"error\", \"target\": \"vault:kv-east\", \"status\": 500}",
        "{\"kind\": \"throttle\", \"target\": \"vault:kv-east\", \"rate\": 1}",
        "{\"kind\": \"latency\", \"target\": \"vault:kv-east\", \"ms\": 30000}",
        "{\"kind\": \"blackhole\", \"target\": \"vault:kv-east\"}",
    };
    static const char *const not_outages[] = {
        "{\"kind\": \"latency\", \"target\": \"vault:kv-east\", \"ms\": 29999}",
        "{\"kind\": \"error\", \"target\": \"vault:kv-east\", \"rate\": 0}",
        "{\"kind\": \"throttle\", \"target\": \"vault:kv-east\", \"rate\": 0}",
        "{\"kind\": \"malformed\", \"target\": \"vault:kv-east\"}",
        "{\"kind\": \"refused\", \"target\": \"arm\"}",
    };
    int64_t t = T0;
    for (size_t i = 0; i < sizeof outages / sizeof outages[0]; i++, t += 600) {
        add_fault(outages[i]);
        mimodel_check(&sim, mip, t);
        if (mip->access != MI_ACCESS_SECONDARY)
            fail_msg("%s: access %s, want secondary", outages[i], mimodel_access_name(mip->access));
        fault_clear_all();
    }
    for (size_t i = 0; i < sizeof not_outages / sizeof not_outages[0]; i++, t += 600) {
        add_fault(not_outages[i]);
        mimodel_check(&sim, mip, t);
        if (mip->access != MI_ACCESS_OK)
            fail_msg("%s: access %s, want ok", not_outages[i], mimodel_access_name(mip->access));
        fault_clear_all();
    }
}

static void test_fallback_private_endpoint(void **state)
{
    (void)state;
    add_pe("pe-east-e2", "kv-east", "eastus2", "Disconnected");
    mimodel_check(&sim, mip, T0);
    assert_int_equal(mip->access, MI_ACCESS_SECONDARY);
    assert_serving(mip, SK_WEST);
}

static void test_fallback_needs_same_thumbprint(void **state)
{
    (void)state;
    struct server_key *w = instance_find_key(mip, SK_WEST);
    assert_non_null(w);
    memcpy(w->thumbprint, "0000000000000000000000000000000000000000", 40);
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-east\"}");
    mimodel_check(&sim, mip, T0);
    assert_lost(mip, "AzureKeyVaultConnectionFailed");
    const char *code = NULL;
    assert_null(mimodel_serving_key(&sim, mip, T0, &code));
    assert_string_equal(code, "AzureKeyVaultConnectionFailed");
}

static void test_both_vaults_out(void **state)
{
    (void)state;
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-east\"}");
    add_fault("{\"kind\": \"blackhole\", \"target\": \"vault:kv-west@eastus2\"}");
    assert_true(mimodel_check(&sim, mip, T0));
    assert_lost(mip, "AzureKeyVaultConnectionFailed");
    assert_int_equal(mip->lost_since, T0);
    /* The fallback copy refusing on purpose does not help either. */
    fault_clear_all();
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-east\"}");
    ver(west, "tde", V1)->enabled = false;
    mimodel_check(&sim, mip, T0 + 600);
    assert_int_equal(mip->access, MI_ACCESS_LOST);
    assert_int_equal(mip->lost_since, T0);
}

/* Each intentional refusal: no fallback although kv-west would answer. */
static void test_no_fallback_when_denied(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    struct access_policy *p = policy_of(east, OID_P);
    int64_t t = T0;

    kv->enabled = false;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AzureKeyVaultKeyDisabled");
    kv->enabled = true;

    kv->exp = T0;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AzureKeyVaultInvalidExpirationDate");
    kv->exp = 0;

    vault_find_key(east, "tde")->deleted = true;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AkvKeyDeleted");
    vault_find_key(east, "tde")->deleted = false;

    p->keys = KPERM_GET;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AzureKeyVaultMissingPermissions");
    p->keys = KPERM_ALL;

    east->public_access = false;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AkvKeyOperationNotAllowedByFirewall");
    east->public_access = true;

    east->rbac = true;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AkvKeyOperationNotAllowedByRBAC");
    east->rbac = false;

    east->deleted = true;
    mimodel_check(&sim, mip, t += 600);
    assert_lost(mip, "AkvKeyDNS");
    const char *code = NULL;
    assert_null(mimodel_serving_key(&sim, mip, t, &code));
    assert_string_equal(code, "AkvKeyDNS");
    east->deleted = false;

    mimodel_check(&sim, mip, t += 60);
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_serving(mip, SK_EAST);
}

static void test_inaccessible_timing(void **state)
{
    (void)state;
    mip->dbs[1].status = DB_CREATING; /* only Online databases turn Inaccessible */
    ver(east, "tde", V1)->enabled = false;
    assert_true(mimodel_check(&sim, mip, T0));
    assert_int_equal(mip->lost_since, T0);
    assert_int_equal(mip->dbs[0].status, DB_ONLINE);
    mimodel_check(&sim, mip, T0 + 599);
    assert_int_equal(mip->lost_since, T0);
    assert_int_equal(mip->dbs[0].status, DB_ONLINE);
    assert_true(mimodel_check(&sim, mip, T0 + 600));
    assert_int_equal(mip->dbs[0].status, DB_INACCESSIBLE);
    assert_int_equal(mip->dbs[1].status, DB_CREATING);
    assert_false(mip->revalidate_needed);
    assert_lost(mip, "AzureKeyVaultKeyDisabled");
}

static void test_inaccessible_after_setting(void **state)
{
    (void)state;
    sim.world->settings.inaccessible_after = 1500;
    ver(east, "tde", V1)->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 1200);
    assert_dbs(mip, DB_ONLINE);
    mimodel_check(&sim, mip, T0 + 1499);
    assert_dbs(mip, DB_ONLINE);
    mimodel_check(&sim, mip, T0 + 1500);
    assert_dbs(mip, DB_INACCESSIBLE);

    /* Zero: the first failed check already makes them Inaccessible. */
    sim.world->settings.inaccessible_after = 0;
    ver(west, "tde", V1)->enabled = false;
    mimodel_check(&sim, mis, T0);
    assert_dbs(mis, DB_INACCESSIBLE);
}

static void test_heal_within_window(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 600);
    assert_dbs(mip, DB_INACCESSIBLE);
    kv->enabled = true;
    assert_true(mimodel_check(&sim, mip, T0 + 1200));
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_serving(mip, SK_EAST);
    assert_int_equal(mip->lost_since, 0);
    assert_int_equal(mip->restored_at, T0 + 1200);
    assert_false(mip->revalidate_needed);
    assert_dbs(mip, DB_INACCESSIBLE); /* healing takes heal_delay */
    mimodel_check(&sim, mip, T0 + 1799);
    assert_dbs(mip, DB_INACCESSIBLE);
    assert_true(mimodel_check(&sim, mip, T0 + 1800));
    assert_dbs(mip, DB_ONLINE);
    assert_int_equal(mip->restored_at, 0);
    assert_false(mip->revalidate_needed);
    assert_non_null(world_fog_of(sim.world, "mi-p"));
    assert_false(mimodel_check(&sim, mip, T0 + 2400));
}

static void test_heal_at_window_edge(void **state)
{
    (void)state;
    sim.world->settings.heal_delay = 900;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 600);
    mimodel_check(&sim, mip, T0 + 1200);
    mimodel_check(&sim, mip, T0 + 1800); /* exactly heal_window: still inside */
    assert_false(mip->revalidate_needed);
    kv->enabled = true;
    mimodel_check(&sim, mip, T0 + 1800);
    assert_int_equal(mip->restored_at, T0 + 1800);
    assert_false(mip->revalidate_needed);
    mimodel_check(&sim, mip, T0 + 2699);
    assert_dbs(mip, DB_INACCESSIBLE);
    mimodel_check(&sim, mip, T0 + 2700);
    assert_dbs(mip, DB_ONLINE);
    assert_false(mip->revalidate_needed);
}

static void test_heal_delay_zero(void **state)
{
    (void)state;
    sim.world->settings.heal_delay = 0;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 600);
    assert_dbs(mip, DB_INACCESSIBLE);
    kv->enabled = true;
    mimodel_check(&sim, mip, T0 + 700);
    assert_dbs(mip, DB_ONLINE);
}

/* Access lost again while healing: a new loss, counted from its own first failure. */
static void test_relapse_while_healing(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 600);
    kv->enabled = true;
    mimodel_check(&sim, mip, T0 + 1200);
    assert_int_equal(mip->restored_at, T0 + 1200);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0 + 1500);
    assert_int_equal(mip->lost_since, T0 + 1500);
    assert_int_equal(mip->restored_at, 0);
    mimodel_check(&sim, mip, T0 + 1800); /* would have been the heal time */
    assert_dbs(mip, DB_INACCESSIBLE);
    mimodel_check(&sim, mip, T0 + 3300); /* 1800 after the new loss: still inside */
    assert_false(mip->revalidate_needed);
    mimodel_check(&sim, mip, T0 + 3301);
    assert_true(mip->revalidate_needed);
}

/*
 * The counters: a loss counts once at its first failed check, each database
 * that turns Inaccessible counts once; only Online databases turn, so a
 * Creating one never counts; a relapse while healing is a new loss; fallback
 * to the other vault and revalidate count nothing.
 */
static void test_event_counters(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    assert_int_equal(mip->lost_events, 0);
    assert_int_equal(mip->inaccessible_events, 0);
    mip->dbs[1].status = DB_CREATING;
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 300);
    assert_int_equal(mip->lost_events, 1);
    assert_int_equal(mip->inaccessible_events, 0);
    mimodel_check(&sim, mip, T0 + 600);
    mimodel_check(&sim, mip, T0 + 900);
    assert_int_equal(mip->inaccessible_events, 1);
    assert_int_equal(mip->lost_events, 1);
    kv->enabled = true;
    mimodel_check(&sim, mip, T0 + 1200);
    kv->enabled = false; /* relapse while healing */
    mimodel_check(&sim, mip, T0 + 1500);
    assert_int_equal(mip->lost_events, 2);
    assert_int_equal(mip->inaccessible_events, 1); /* already Inaccessible: nothing turned */
    kv->enabled = true;
    assert_null(mimodel_revalidate(&sim, mip, T0 + 1600));
    assert_int_equal(mip->dbs[0].status, DB_ONLINE);
    mip->dbs[1].status = DB_ONLINE;
    kv->enabled = false;
    mimodel_check(&sim, mip, T0 + 2000);
    mimodel_check(&sim, mip, T0 + 2600);
    assert_int_equal(mip->lost_events, 3);
    assert_int_equal(mip->inaccessible_events, 3);

    /* mi-s: its own vault out, served from the other copy: no loss at all. */
    add_fault("{\"kind\": \"refused\", \"target\": \"vault:kv-west\"}");
    kv->enabled = true;
    for (int64_t t = T0; t <= T0 + 3600; t += 600)
        mimodel_check(&sim, mis, t);
    assert_int_equal(mis->access, MI_ACCESS_SECONDARY);
    assert_int_equal(mis->lost_events, 0);
    assert_int_equal(mis->inaccessible_events, 0);
}

static void test_late_return_needs_revalidate(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    for (int64_t t = T0; t <= T0 + 1800; t += 600)
        mimodel_check(&sim, mip, t);
    assert_false(mip->revalidate_needed);
    assert_true(mimodel_check(&sim, mip, T0 + 1801));
    assert_true(mip->revalidate_needed);
    assert_dbs(mip, DB_INACCESSIBLE);

    kv->enabled = true;
    mimodel_check(&sim, mip, T0 + 2400);
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_serving(mip, SK_EAST);
    assert_true(mip->revalidate_needed);
    for (int64_t t = T0 + 3000; t <= T0 + 5 * 3600; t += 600)
        mimodel_check(&sim, mip, t);
    assert_dbs(mip, DB_INACCESSIBLE); /* no healing on its own any more */
    assert_non_null(world_fog_of(sim.world, "mi-p"));

    assert_null(mimodel_revalidate(&sim, mip, T0 + 6 * 3600));
    assert_dbs(mip, DB_ONLINE);
    assert_false(mip->revalidate_needed);
    assert_int_equal(mip->lost_since, 0);
    /* The geo link is gone, for both members. */
    assert_null(world_fog_of(sim.world, "mi-p"));
    assert_null(world_fog_of(sim.world, "mi-s"));
    assert_null(world_fog(sim.world, "fog1"));
    assert_int_equal(sim.world->nfogs, 0);
    /* Afterwards the instance lives on normally. */
    assert_false(mimodel_check(&sim, mip, T0 + 7 * 3600));
    assert_dbs(mip, DB_ONLINE);
}

/* The first check after the loss comes past the window: too late although it is the first. */
static void test_late_first_check(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    kv->enabled = true;
    mimodel_check(&sim, mip, T0 + 1801);
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_true(mip->revalidate_needed);
    assert_int_equal(mip->restored_at, 0);
}

static void test_revalidate_while_still_lost(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    for (int64_t t = T0; t <= T0 + 2400; t += 600)
        mimodel_check(&sim, mip, t);
    assert_true(mip->revalidate_needed);
    const char *why = mimodel_revalidate(&sim, mip, T0 + 3000);
    assert_non_null(why);
    assert_string_equal(why, "AzureKeyVaultKeyDisabled");
    assert_dbs(mip, DB_INACCESSIBLE);
    assert_true(mip->revalidate_needed);
    assert_non_null(world_fog_of(sim.world, "mi-p"));
}

static void test_revalidate_within_window(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_check(&sim, mip, T0);
    mimodel_check(&sim, mip, T0 + 600);
    assert_dbs(mip, DB_INACCESSIBLE);
    kv->enabled = true;
    assert_null(mimodel_revalidate(&sim, mip, T0 + 900)); /* no need to wait for the heal */
    assert_dbs(mip, DB_ONLINE);
    assert_false(mip->revalidate_needed);
    assert_non_null(world_fog_of(sim.world, "mi-p")); /* not late: the group stays */
    assert_int_equal(sim.world->nfogs, 1);
}

static void test_tick_first_and_due(void **state)
{
    (void)state;
    sim.world->settings.mi_check_interval = 300;
    assert_true(mimodel_tick(&sim, T0)); /* first check right away */
    assert_int_equal(mip->next_check, T0 + 300);
    assert_int_equal(mis->next_check, T0 + 300);
    assert_serving(mip, SK_EAST);
    assert_serving(mis, SK_WEST);
    assert_false(mimodel_tick(&sim, T0 + 299)); /* nothing due */
    assert_int_equal(mip->next_check, T0 + 300);
    assert_false(mimodel_tick(&sim, T0 + 300));
    assert_int_equal(mip->next_check, T0 + 600);
    /* A change is seen at the next due check, not before. */
    ver(east, "tde", V1)->enabled = false;
    assert_false(mimodel_tick(&sim, T0 + 599));
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_true(mimodel_tick(&sim, T0 + 600));
    assert_int_equal(mip->access, MI_ACCESS_LOST);
    assert_int_equal(mip->lost_since, T0 + 600);
    assert_int_equal(mis->access, MI_ACCESS_OK);
}

/* Time jumps several intervals: each due check runs, at its own time. */
static void test_tick_catches_up_lost(void **state)
{
    (void)state;
    ver(east, "tde", V1)->enabled = false;
    mimodel_tick(&sim, T0);
    assert_int_equal(mip->lost_since, T0);
    assert_true(mimodel_tick(&sim, T0 + 3 * 600 + 10)); /* checks at +600, +1200, +1800 */
    assert_int_equal(mip->next_check, T0 + 2400);
    assert_dbs(mip, DB_INACCESSIBLE);
    assert_false(mip->revalidate_needed); /* +1800 is inside the window */
    assert_true(mimodel_tick(&sim, T0 + 2400));
    assert_true(mip->revalidate_needed);
}

static void test_tick_catches_up_heal(void **state)
{
    (void)state;
    struct key_version *kv = ver(east, "tde", V1);
    kv->enabled = false;
    mimodel_tick(&sim, T0);
    kv->enabled = true;
    /* One jump of 40 minutes: access came back at the +600 check, healed by +1200. */
    mimodel_tick(&sim, T0 + 2400);
    assert_int_equal(mip->next_check, T0 + 3000);
    assert_int_equal(mip->access, MI_ACCESS_OK);
    assert_false(mip->revalidate_needed);
    assert_dbs(mip, DB_ONLINE);
    assert_int_equal(mip->restored_at, 0);
}

/* ---- auto-rotation ---- */

static void rotate_tick(int64_t t)
{
    mip->next_check = mis->next_check = t;
    mimodel_tick(&sim, t);
}

static void test_auto_rotation(void **state)
{
    (void)state;
    int64_t pickup = sim.world->settings.rotation_pickup;
    mip->auto_rotation = true;
    char tp2[THUMBPRINT_LEN];
    instance_thumbprint(rk2, tp2);
    add_version(east, "tde", V2, rk2, T0);

    rotate_tick(T0 + pickup - 1);
    assert_string_equal(mip->protector, SK_EAST);
    assert_null(instance_find_key(mip, "kv-east_tde_" V2));
    assert_null(instance_find_key(mis, "kv-east_tde_" V2));

    rotate_tick(T0 + pickup);
    assert_string_equal(mip->protector, "kv-east_tde_" V2);
    assert_serving(mip, "kv-east_tde_" V2);
    assert_int_equal(mip->access, MI_ACCESS_OK);
    const struct server_key *k = instance_find_key(mip, "kv-east_tde_" V2);
    assert_non_null(k);
    assert_string_equal(k->thumbprint, tp2);
    assert_int_equal(k->created, T0 + pickup);
    assert_non_null(instance_find_key(mip, SK_EAST)); /* the old version stays registered */
    /* The partner, which had kv-east/tde registered, gets the new version too ... */
    k = instance_find_key(mis, "kv-east_tde_" V2);
    assert_non_null(k);
    assert_string_equal(k->thumbprint, tp2);
    /* ... but keeps its own protector. */
    assert_string_equal(mis->protector, SK_WEST);
    assert_int_equal(mis->nkeys, 3);

    /* Nothing newer: later ticks change nothing. */
    size_t nkeys = mip->nkeys;
    rotate_tick(T0 + 2 * pickup);
    assert_string_equal(mip->protector, "kv-east_tde_" V2);
    assert_int_equal(mip->nkeys, nkeys);
}

static void test_auto_rotation_partner_without_key(void **state)
{
    (void)state;
    mip->auto_rotation = true;
    instance_remove_key(mis, SK_EAST);
    add_version(east, "tde", V2, rk2, T0);
    rotate_tick(T0 + sim.world->settings.rotation_pickup);
    assert_string_equal(mip->protector, "kv-east_tde_" V2);
    assert_null(instance_find_key(mis, "kv-east_tde_" V2));
    assert_int_equal(mis->nkeys, 1);
}

static void test_auto_rotation_off_or_disabled(void **state)
{
    (void)state;
    sim.world->settings.rotation_pickup = 60;
    struct key_version *kv2 = add_version(east, "tde", V2, rk2, T0);
    rotate_tick(T0 + 86400); /* auto-rotation off */
    assert_string_equal(mip->protector, SK_EAST);
    assert_null(instance_find_key(mip, "kv-east_tde_" V2));

    mip->auto_rotation = true;
    kv2->enabled = false; /* a disabled version is never adopted */
    rotate_tick(T0 + 2 * 86400);
    assert_string_equal(mip->protector, SK_EAST);
    assert_null(instance_find_key(mip, "kv-east_tde_" V2));
    assert_null(instance_find_key(mis, "kv-east_tde_" V2));

    kv2->enabled = true;
    rotate_tick(T0 + 3 * 86400);
    assert_string_equal(mip->protector, "kv-east_tde_" V2);
}

/* The header: "the newest enabled version": a disabled newer one is skipped, not a stop. */
static void test_auto_rotation_newest_enabled(void **state)
{
    (void)state;
    mip->auto_rotation = true;
    add_version(east, "tde", V2, rk2, T0);
    add_version(east, "tde", V3, rk2, T0 + 10)->enabled = false;
    rotate_tick(T0 + 10 + sim.world->settings.rotation_pickup);
    assert_string_equal(mip->protector, "kv-east_tde_" V2);
}

#define WORLD_TEST(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_names),
        cmocka_unit_test(test_empty_world),
        WORLD_TEST(test_service_managed),
        WORLD_TEST(test_protector_not_registered),
        WORLD_TEST(test_probe_ok),
        WORLD_TEST(test_probe_vault_missing_or_deleted),
        WORLD_TEST(test_probe_private_endpoint),
        WORLD_TEST(test_probe_firewall),
        WORLD_TEST(test_probe_permissions),
        WORLD_TEST(test_probe_rbac),
        WORLD_TEST(test_probe_key_state),
        WORLD_TEST(test_probe_key_ops),
        WORLD_TEST(test_probe_key_size),
        WORLD_TEST(test_check_steady),
        WORLD_TEST(test_fallback_on_outage),
        WORLD_TEST(test_fallback_region_views),
        WORLD_TEST(test_fallback_service_faults),
        WORLD_TEST(test_fallback_private_endpoint),
        WORLD_TEST(test_fallback_needs_same_thumbprint),
        WORLD_TEST(test_both_vaults_out),
        WORLD_TEST(test_no_fallback_when_denied),
        WORLD_TEST(test_inaccessible_timing),
        WORLD_TEST(test_inaccessible_after_setting),
        WORLD_TEST(test_heal_within_window),
        WORLD_TEST(test_heal_at_window_edge),
        WORLD_TEST(test_heal_delay_zero),
        WORLD_TEST(test_relapse_while_healing),
        WORLD_TEST(test_event_counters),
        WORLD_TEST(test_late_return_needs_revalidate),
        WORLD_TEST(test_late_first_check),
        WORLD_TEST(test_revalidate_while_still_lost),
        WORLD_TEST(test_revalidate_within_window),
        WORLD_TEST(test_tick_first_and_due),
        WORLD_TEST(test_tick_catches_up_lost),
        WORLD_TEST(test_tick_catches_up_heal),
        WORLD_TEST(test_auto_rotation),
        WORLD_TEST(test_auto_rotation_partner_without_key),
        WORLD_TEST(test_auto_rotation_off_or_disabled),
        WORLD_TEST(test_auto_rotation_newest_enabled),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
