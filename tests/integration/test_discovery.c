/*
 * Discovery: from a subscription id alone, the engine finds the demo's whole
 * estate (the failover group, both instances with their identities,
 * registered keys, protectors and databases, both vaults with their keys and
 * versions, the private endpoints) and judges it healthy. Warm sweeps do not
 * read key material again; a snapshot shows the estate before any request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "armclient.h"
#include "fixture.h"
#include "kvclient.h"
#include "loop.h"
#include "session.h"
#include "snapshot.h"
#include "whatif.h"
#include "xmem.h"

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    fixture_start(&fx, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&fx, false);
    return 0;
}

static void test_failover_group(void **state)
{
    (void)state;
    const struct model *m = fixture_model(&fx);
    assert_int_equal(m->nfogs, 1);
    const struct model_fog *fg = m->fogs[0];
    assert_string_equal(fg->name, DEMO_FOG);
    assert_string_equal(fg->primary_location, "eastus2");
    assert_string_equal(fg->secondary_location, "centralus");
    assert_ptr_equal(model_instance(m, fg->primary_id), fixture_instance(&fx, DEMO_MI_EUS2));
    assert_ptr_equal(model_instance(m, fg->secondary_id), fixture_instance(&fx, DEMO_MI_CUS));
    assert_false(model_fresh_stale(&fg->fresh));
    assert_ptr_equal(model_fog_of(m, fixture_instance(&fx, DEMO_MI_CUS)), fg);
}

static void check_instance(const char *name, const char *own_vault, const char *other_vault)
{
    const struct model *m = fixture_model(&fx);
    struct model_instance *mi = fixture_instance(&fx, name);
    assert_string_equal(mi->state, "Ready");
    assert_non_null(mi->principal_id);
    assert_string_equal(mi->tenant_id, DEMO_TENANT);
    assert_int_equal(mi->ndbs, 3);
    for (size_t i = 0; i < mi->ndbs; i++)
        assert_string_equal(mi->dbs[i].status, "Online");
    /* The protector lives in the instance's own vault ... */
    assert_string_equal(mi->protector.type, "AzureKeyVault");
    assert_ptr_equal(model_vault_by_uri(m, mi->protector.uri), fixture_vault(&fx, own_vault));
    /* ... and the other vault holds a registered copy with the same thumbprint. */
    const struct model_server_key *own = NULL, *copy = NULL;
    for (size_t i = 0; i < mi->nkeys; i++) {
        if (strcmp(mi->keys[i].name, mi->protector.server_key_name) == 0)
            own = &mi->keys[i];
    }
    assert_non_null(own);
    assert_int_equal(strlen(own->thumbprint), 40);
    for (size_t i = 0; i < mi->nkeys; i++) {
        if (mi->keys[i].uri && strstr(mi->keys[i].uri, other_vault) &&
            strcmp(mi->keys[i].thumbprint, own->thumbprint) == 0)
            copy = &mi->keys[i];
    }
    assert_non_null(copy);
    /* The two copies are the same material as tdectl itself computes it. */
    struct model_version *a = model_version_by_uri(m, own->uri);
    struct model_version *b = model_version_by_uri(m, copy->uri);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strlen(a->fingerprint), 64);
    assert_string_equal(a->fingerprint, b->fingerprint);
    assert_true(a->enabled);
    assert_int_equal(mi->npast, 1); /* the protector is recorded for the snapshot's history */
    assert_false(model_fresh_stale(&mi->keys_fresh));
    assert_false(model_fresh_stale(&mi->protector_fresh));
    assert_false(model_fresh_stale(&mi->dbs_fresh));
}

static void test_instances(void **state)
{
    (void)state;
    assert_int_equal(fixture_model(&fx)->ninstances, 2);
    check_instance(DEMO_MI_EUS2, DEMO_KV_EUS2, DEMO_KV_CUS);
    check_instance(DEMO_MI_CUS, DEMO_KV_CUS, DEMO_KV_EUS2);
}

static void test_vaults(void **state)
{
    (void)state;
    const struct model *m = fixture_model(&fx);
    assert_int_equal(m->nvaults, 2);
    const char *names[] = {DEMO_KV_EUS2, DEMO_KV_CUS};
    for (size_t i = 0; i < 2; i++) {
        struct model_vault *v = fixture_vault(&fx, names[i]);
        assert_non_null(v->id);
        assert_true(v->soft_delete);
        assert_true(v->purge_protection);
        assert_false(v->deleted);
        assert_int_equal(v->npecs, 2);
        assert_true(v->npolicies >= 2);
        assert_true(v->nkeys >= 1);
        assert_false(model_fresh_stale(&v->arm_fresh));
        assert_false(model_fresh_stale(&v->keys_fresh));
        assert_false(model_fresh_stale(&v->probe_fresh));
        assert_true(v->probe_latency_ms >= 0);
        for (size_t k = 0; k < v->nkeys; k++) {
            assert_true(v->keys[k].rotation.read);
            for (size_t j = 0; j < v->keys[k].nversions; j++) {
                const struct model_version *ver = &v->keys[k].versions[j];
                assert_non_null(ver->kty);
                assert_true(ver->bits == 2048 || ver->bits == 3072);
                assert_int_equal(strlen(ver->fingerprint), 64);
            }
        }
    }
    /* Both vaults hold the same keys, version for version (restored copies). */
    struct model_vault *a = fixture_vault(&fx, DEMO_KV_EUS2), *b = fixture_vault(&fx, DEMO_KV_CUS);
    assert_int_equal(a->nkeys, b->nkeys);
    for (size_t k = 0; k < a->nkeys; k++) {
        struct model_key *kb = model_key(b, a->keys[k].name);
        assert_non_null(kb);
        assert_int_equal(a->keys[k].nversions, kb->nversions);
        for (size_t j = 0; j < kb->nversions; j++)
            assert_string_equal(a->keys[k].versions[j].fingerprint, kb->versions[j].fingerprint);
    }
    /* Every private endpoint of the subscription, approved, one per vault and region. */
    assert_int_equal(m->npes, 4);
    for (size_t i = 0; i < m->npes; i++) {
        assert_string_equal(m->pes[i]->status, "Approved");
        assert_non_null(model_vault_by_id(m, m->pes[i]->target_id));
    }
}

static void test_healthy_and_paths(void **state)
{
    (void)state;
    fixture_expect_clean(&fx, HEALTH_LOW);
    struct whatif_params p;
    whatif_params_init(&p, fixture_wall(&fx));
    size_t n = 0;
    struct whatif_result *r = whatif_current(fixture_model(&fx), &p, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r[i].outcome, WHATIF_UNAFFECTED);
        const char *own = strcmp(r[i].instance, DEMO_MI_EUS2) == 0 ? DEMO_KV_EUS2 : DEMO_KV_CUS;
        assert_string_equal(r[i].via, own);
    }
    free(r);
}

/* A warm sweep re-reads what can change, never the (immutable) material of a version. */
static void test_warm_sweep_skips_material(void **state)
{
    (void)state;
    struct model_key *k = model_key(fixture_vault(&fx, DEMO_KV_EUS2), "tde-protector-2025");
    assert_non_null(k);
    assert_true(k->nversions >= 2);
    char *version = xasprintf("GET kv-tde-eus2.vault.localhost/keys/tde-protector-2025/%s",
                              k->versions[0].version);
    const char *material[] = {version, NULL};
    const char *lists[] = {"GET kv-tde-eus2.vault.localhost/keys/tde-protector-2025/versions",
                           NULL};
    int material_before = support_azsim_log_count(fx.sim, material);
    int lists_before = support_azsim_log_count(fx.sim, lists);
    assert_int_equal(material_before, 1); /* read once, by the first sweep */
    uint64_t generation = fixture_model(&fx)->generation;
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, 20000);
    assert_int_equal(support_azsim_log_count(fx.sim, lists), lists_before + 1);
    assert_int_equal(support_azsim_log_count(fx.sim, material), material_before);
    assert_true(fixture_model(&fx)->generation > generation);
    fixture_expect_clean(&fx, HEALTH_LOW);
    free(version);
}

/* A second console start shows the snapshot before any request, marked old. */
static void test_snapshot_first_frame(void **state)
{
    (void)state;
    char dir[] = "/tmp/tdectl-it-snap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/snapshot.json", dir);
    struct fixture_options o = {.snapshot_path = path};
    struct fixture one = {.sim = fx.sim};
    fixture_start(&one, &o);
    fixture_stop(&one, true);

    struct fixture two = {.sim = fx.sim};
    fixture_start(&two, &o);
    /* fixture_start waited for the sweep; what the snapshot gave is still visible in the data. */
    assert_int_equal(fixture_model(&two)->ninstances, 2);
    fixture_stop(&two, true);

    /* Loaded alone, without a sweep. */
    struct model *m = model_create();
    assert_int_equal(snapshot_load(m, path, NULL), CORE_OK);
    assert_true(m->snapshot_at > 0);
    assert_int_equal(m->ninstances, 2);
    assert_int_equal(m->nvaults, 2);
    assert_int_equal(m->nfogs, 1);
    model_destroy(m);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* The typed reads the sweeps do not use (the wizards will) answer too. */
struct one_read {
    int calls;
    enum core_err err;
    char *name;
    size_t n;
};

static void on_vault(const struct az_status *st, struct model_vault *v, void *arg)
{
    struct one_read *o = arg;
    o->calls++;
    o->err = st->err;
    o->name = xstrdup_or_null(v->name);
    model_vault_cleanup(v);
}

static void on_deleted(const struct az_status *st, struct kv_deleted *items, size_t n, void *arg)
{
    struct one_read *o = arg;
    o->calls++;
    o->err = st->err;
    o->n = n;
    kvparse_deleted_free(items, n);
}

static void test_other_reads(void **state)
{
    (void)state;
    struct model_vault *v = fixture_vault(&fx, DEMO_KV_EUS2);
    struct one_read got = {0}, deleted = {0};
    arm_get_vault(session_azure(fx.session), v->id, on_vault, &got);
    kv_list_deleted(session_azure(fx.session), v->uri, on_deleted, &deleted);
    int64_t end = fixture_wall(&fx) + 10000;
    while ((got.calls == 0 || deleted.calls == 0) && fixture_wall(&fx) < end)
        fixture_run(&fx, 20);
    assert_int_equal(got.err, CORE_OK);
    assert_string_equal(got.name, DEMO_KV_EUS2);
    assert_int_equal(deleted.err, CORE_OK);
    assert_int_equal(deleted.n, 0); /* the demo has no deleted key */
    free(got.name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_group),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_vaults),
        cmocka_unit_test(test_healthy_and_paths),
        cmocka_unit_test(test_warm_sweep_skips_material),
        cmocka_unit_test(test_snapshot_first_frame),
        cmocka_unit_test(test_other_reads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
