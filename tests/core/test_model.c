/* Unit tests of core/model.c and core/model_uri.c: URIs, fingerprints, adoption, freshness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "model.h"
#include "xmem.h"

#define V1 "0123456789abcdef0123456789abcdef"
#define V2 "fedcba9876543210fedcba9876543210"

static void test_uri_normalise(void **state)
{
    (void)state;
    const char *bad[] = {
        NULL, "", "http://kv.vault.azure.net/keys/k", "https://", "https:///keys", "ftp://x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(model_uri_normalise(bad[i]));
    char *n = model_uri_normalise("HTTPS://KV-One.Vault.Azure.NET:443/keys/TDE-Key/" V1 "/");
    assert_string_equal(n, "https://kv-one.vault.azure.net/keys/TDE-Key/" V1);
    free(n);
    n = model_uri_normalise("https://kv.vault.localhost:8443/?api-version=7.4#x");
    assert_string_equal(n, "https://kv.vault.localhost:8443");
    free(n);
}

static void test_uri_parse(void **state)
{
    (void)state;
    char vault[128], key[128], version[64];
    assert_int_equal(
        model_uri_parse("https://KV1.vault.azure.net:443/keys/Key-1/" V1, vault, key, version), 0);
    assert_string_equal(vault, "kv1");
    assert_string_equal(key, "Key-1");
    assert_string_equal(version, V1);
    assert_int_equal(model_uri_parse("https://kv1.vault.azure.net/keys/k", vault, key, version), 0);
    assert_string_equal(key, "k");
    assert_string_equal(version, "");
    assert_int_equal(model_uri_parse("https://kv1.vault.azure.net", vault, key, version), 0);
    assert_string_equal(vault, "kv1");
    assert_string_equal(key, "");
    const char *bad[] = {
        "https://kv1.vault.azure.net/secrets/s", "https://kv1.vault.azure.net/keys/",
        "https://kv1.vault.azure.net/keys/k/v/extra", "https://localhost/keys/k", "not a uri",
        /* Hostile: escapes, invalid UTF-8, spaces, punctuation in a name or version. */
        "https://kv1.vault.azure.net/keys/tde\x1b[2J", "https://kv1.vault.azure.net/keys/k\xff",
        "https://kv1.vault.azure.net/keys/k/" V1 "\r\n", "https://kv1.vault.azure.net/keys/a b",
        "https://kv1.vault.azure.net/keys/k_1", "https://k\x07v.vault.azure.net/keys/k"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(model_uri_parse(bad[i], vault, key, version), -1);
        assert_string_equal(vault, ""); /* nothing half-filled */
        assert_string_equal(key, "");
    }
    char huge[400];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    char *uri = xasprintf("https://kv.vault.azure.net/keys/%s", huge);
    assert_int_equal(model_uri_parse(uri, vault, key, version), -1); /* too long a name */
    free(uri);
}

static void test_fingerprint(void **state)
{
    (void)state;
    unsigned char n[] = {0x00, 0x00, 0xc3, 0x11, 0x22}, e[] = {0x00, 0x01, 0x00, 0x01};
    char a[MODEL_FINGERPRINT_LEN], b[MODEL_FINGERPRINT_LEN], c[MODEL_FINGERPRINT_LEN];
    model_fingerprint(n, sizeof n, e, sizeof e, a);
    model_fingerprint(n + 2, sizeof n - 2, e + 1, sizeof e - 1, b); /* leading zeros stripped */
    assert_int_equal(strlen(a), 64);
    assert_string_equal(a, b);
    /* Moving a byte from the modulus to the exponent is another key (lengths are hashed). */
    unsigned char n2[] = {0xc3, 0x11}, e2[] = {0x22, 0x01, 0x00, 0x01};
    model_fingerprint(n2, sizeof n2, e2, sizeof e2, c);
    assert_string_not_equal(a, c);
}

static struct model_version version(const char *id, int64_t created, const char *fp)
{
    struct model_version v = {.version = xstrdup(id), .enabled = true, .created = created};
    if (fp) {
        snprintf(v.fingerprint, sizeof v.fingerprint, "%s", fp);
        v.kty = xstrdup("RSA");
        v.bits = 2048;
    }
    return v;
}

static void test_keys_and_versions(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct model_vault scratch = {.name = xstrdup("kv1"), .uri = xstrdup("https://kv1.vault.x")};
    struct model_vault *v = model_put_vault(m, &scratch);
    assert_null(scratch.name);            /* adopted */
    assert_int_equal(v->rbac_before, -1); /* never read from ARM */
    char **names = xcalloc(3, sizeof *names);
    names[0] = xstrdup("b");
    names[1] = xstrdup("A");
    names[2] = xstrdup("a"); /* names are case-insensitive: a duplicate */
    model_set_key_names(m, v, names, 3);
    assert_int_equal(v->nkeys, 2);
    assert_string_equal(v->keys[0].name, "A"); /* sorted */
    struct model_key *k = model_key(v, "a");
    assert_non_null(k);
    /* Versions: oldest first; material read once is kept by a later list. */
    struct model_version *list = xcalloc(2, sizeof *list);
    list[0] = version(V2, 200, NULL);
    list[1] = version(V1, 100, NULL);
    model_set_versions(m, k, list, 2);
    assert_string_equal(k->versions[0].version, V1);
    struct model_version read = version(V1, 100, "ab12");
    model_put_version(m, k, &read);
    assert_string_equal(model_version(k, V1)->fingerprint, "ab12");
    list = xcalloc(2, sizeof *list);
    list[0] = version(V1, 100, NULL);
    list[1] = version(V2, 200, NULL);
    list[0].enabled = false; /* attributes change, material stays */
    model_set_versions(m, k, list, 2);
    struct model_version *v1 = model_version(k, V1);
    assert_false(v1->enabled);
    assert_string_equal(v1->fingerprint, "ab12");
    assert_string_equal(v1->kty, "RSA");
    /* By URI: the named version, or the latest without one. */
    assert_ptr_equal(model_version_by_uri(m, "https://KV1.vault.x/keys/A/" V1), v1);
    assert_ptr_equal(model_version_by_uri(m, "https://kv1.vault.x/keys/a"), model_version(k, V2));
    assert_null(model_version_by_uri(m, "https://kv2.vault.x/keys/a"));
    /* A key no longer listed is dropped; an empty list is fine. */
    names = xcalloc(1, sizeof *names);
    names[0] = xstrdup("b");
    model_set_key_names(m, v, names, 1);
    assert_int_equal(v->nkeys, 1);
    assert_null(model_key(v, "a"));
    model_set_key_names(m, v, NULL, 0);
    assert_int_equal(v->nkeys, 0);
    model_destroy(m);
}

static void test_put_keeps_what_arm_does_not_carry(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct model_vault scratch = {.name = xstrdup("kv1"), .uri = xstrdup("https://kv1.vault.x")};
    struct model_vault *v = model_put_vault(m, &scratch);
    char **names = xcalloc(1, sizeof *names);
    names[0] = xstrdup("k");
    model_set_key_names(m, v, names, 1);
    v->probe_latency_ms = 12;
    model_fresh_ok(m, &v->probe_fresh, 1000, "req-1");
    /* The ARM view arrives: keys, probe and first-seen RBAC survive; ARM fields replace. */
    struct model_vault arm = {.name = xstrdup("kv1"),
                              .id = xstrdup("/subscriptions/s/resourceGroups/r/providers/"
                                            "Microsoft.KeyVault/vaults/kv1"),
                              .uri = xstrdup("https://kv1.vault.x"),
                              .rbac = false,
                              .soft_delete = true};
    model_fresh_ok(m, &arm.arm_fresh, 2000, NULL);
    struct model_vault *same = model_put_vault(m, &arm);
    assert_ptr_equal(same, v);
    assert_int_equal(v->nkeys, 1);
    assert_int_equal(v->probe_latency_ms, 12);
    assert_int_equal(v->probe_fresh.read_at, 1000);
    assert_true(v->soft_delete);
    assert_int_equal(v->rbac_before, 0);
    /* A later flip to RBAC keeps the first-seen model (health rule V08 compares them). */
    struct model_vault flipped = {.name = xstrdup("kv1"), .id = xstrdup(v->id), .rbac = true};
    model_fresh_ok(m, &flipped.arm_fresh, 3000, NULL);
    model_put_vault(m, &flipped);
    assert_true(v->rbac);
    assert_int_equal(v->rbac_before, 0);
    assert_ptr_equal(model_vault_by_id(m, "/SUBSCRIPTIONS/s/resourceGroups/r/providers/"
                                          "Microsoft.KeyVault/vaults/KV1"),
                     v);
    model_destroy(m);
}

static void test_instance_history_and_clock(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct model_instance scratch = {.id = xstrdup("/subscriptions/s/mi/a"), .name = xstrdup("a")};
    struct model_instance *mi = model_put_instance(m, &scratch);
    struct model_server_key *keys = xcalloc(2, sizeof *keys);
    keys[0] = (struct model_server_key){.name = xstrdup("kv_k_1"), .thumbprint = xstrdup("AA")};
    keys[1] = (struct model_server_key){.name = xstrdup("kv_k_2"), .thumbprint = xstrdup("BB")};
    model_set_server_keys(m, mi, keys, 2);
    /* The protector resource without a thumbprint: taken from its registered key. */
    struct model_protector p = {.server_key_name = xstrdup("kv_k_1")};
    model_set_protector(m, mi, &p, 0);
    p = (struct model_protector){.server_key_name = xstrdup("kv_k_2")};
    model_set_protector(m, mi, &p, 0);
    p = (struct model_protector){.server_key_name = xstrdup("kv_k_2"), .thumbprint = xstrdup("BB")};
    model_set_protector(m, mi, &p, 0);
    assert_int_equal(mi->npast, 2); /* AA then BB, once each */
    assert_string_equal(mi->past_protectors[0], "AA");
    /* The ARM view of the instance keeps keys, protector and history. */
    struct model_instance again = {
        .id = xstrdup("/SUBSCRIPTIONS/s/mi/a"), .name = xstrdup("a"), .state = xstrdup("Ready")};
    assert_ptr_equal(model_put_instance(m, &again), mi);
    assert_string_equal(mi->state, "Ready");
    assert_int_equal(mi->nkeys, 2);
    assert_string_equal(mi->protector.server_key_name, "kv_k_2");
    assert_int_equal(mi->npast, 2);
    /* The Inaccessible clock starts at the first Inaccessible database and stops with the last. */
    struct model_database *dbs = xcalloc(2, sizeof *dbs);
    dbs[0] = (struct model_database){.name = xstrdup("d1"), .status = xstrdup("Online")};
    dbs[1] = (struct model_database){.name = xstrdup("d2"), .status = xstrdup("Inaccessible")};
    model_set_databases(m, mi, dbs, 2, 5000);
    assert_int_equal(mi->inaccessible_since, 5000);
    dbs = xcalloc(1, sizeof *dbs);
    dbs[0] = (struct model_database){.name = xstrdup("d2"), .status = xstrdup("inaccessible")};
    model_set_databases(m, mi, dbs, 1, 9000);
    assert_int_equal(mi->inaccessible_since, 5000); /* still the first sign */
    model_set_databases(m, mi, NULL, 0, 9500);
    assert_int_equal(mi->inaccessible_since, 0);
    model_destroy(m);
}

static void test_vaults_by_name(void **state)
{
    (void)state;
    struct model *m = model_create();
    assert_null(model_vault(m, "kv-a"));
    const char *names[] = {"kv-m", "kv-z", "kv-a", "KV-q", "kv-b"};
    for (size_t i = 0; i < 5; i++) {
        struct model_vault v = {0};
        v.name = xstrdup(names[i]);
        model_put_vault(m, &v);
    }
    assert_int_equal(m->nvaults, 5);
    for (size_t i = 1; i < m->nvaults; i++) /* kept in name order, case-insensitively */
        assert_true(strcasecmp(m->vaults[i - 1]->name, m->vaults[i]->name) < 0);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(model_vault(m, names[i])->name, names[i]);
    assert_ptr_equal(model_vault(m, "kv-Q"), model_vault(m, "kv-q"));
    assert_null(model_vault(m, "kv-c"));
    assert_null(model_vault(m, NULL));
    /* A loader that fills the array in any order sorts it. */
    struct model_vault *t = m->vaults[0];
    m->vaults[0] = m->vaults[4];
    m->vaults[4] = t;
    model_sort_vaults(m);
    assert_string_equal(m->vaults[0]->name, "kv-a");
    assert_string_equal(m->vaults[4]->name, "kv-z");
    model_destroy(m);
}

static void test_freshness(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct fresh f = {0};
    assert_true(model_fresh_stale(&f)); /* never read */
    uint64_t g = m->generation;
    model_fresh_ok(m, &f, 100, "r1");
    assert_false(model_fresh_stale(&f));
    assert_true(m->generation > g);
    model_fresh_fail(m, &f, 200, CORE_ERR_THROTTLED, 429, "Throttled: slow down", "r2");
    assert_true(model_fresh_stale(&f));
    assert_int_equal(f.read_at, 100); /* the last good read stays */
    assert_int_equal(f.tried_at, 200);
    assert_int_equal(f.status, 429);
    assert_string_equal(f.error, "Throttled: slow down");
    assert_string_equal(f.request_id, "r2");
    model_fresh_fail(m, &f, 300, CORE_OK, 0, NULL, NULL); /* a failure always has a kind */
    assert_int_equal(f.err, CORE_ERR_HTTP);
    assert_string_equal(f.error, "http");
    model_fresh_ok(m, &f, 400, NULL);
    assert_null(f.error);
    model_fresh_cleanup(&f);
    model_destroy(m);
    model_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_normalise),
        cmocka_unit_test(test_uri_parse),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_keys_and_versions),
        cmocka_unit_test(test_put_keeps_what_arm_does_not_carry),
        cmocka_unit_test(test_instance_history_and_clock),
        cmocka_unit_test(test_vaults_by_name),
        cmocka_unit_test(test_freshness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
