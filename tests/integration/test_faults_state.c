/*
 * State faults: every fault of azsim that changes what Azure reports (a key
 * version disabled, expired or deleted, a vault deleted, a grant revoked, a
 * vault flipped to RBAC, a private endpoint connection no longer approved, a
 * vault in regional failover) shows up in tdectl as the finding of the rule
 * that names it within one poll cycle, and is gone one cycle after the fault
 * is cleared. One cycle is a health sweep for what the health cadence reads
 * (instances, registered keys, protectors, databases, key lists and versions)
 * and a full sweep for what only the structure cadence reads (vault
 * properties with their access policies and connections, private endpoints,
 * deleted vaults, role assignments, rotation policies).
 *
 * Last, the Inaccessible clock: both vaults out on the instances' own paths
 * (invisible to the console), azsim's clock moved past a check and the grace:
 * the databases turn Inaccessible, tdectl's I06 carries the clock, and
 * health_clock dates the loss as azsim does; access back within the window
 * heals them and I06 resolves.
 *
 * Every test starts its own azsim (about a second), so a failing one leaves
 * nothing behind for the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "fixture_sim.h"
#include "xmem.h"

#define KEY          "tde-protector-2025"
#define PROTECTOR    "b70b487d725c442b8df2ba78d8564211" /* latest: both instances' protector */
#define OLD_VERSION  "b417ab04797548cab6319fcee93a5f57" /* the previous version, kept */
#define PE_EUS2_EUS2 "pe-kv-tde-eus2-in-eus2"
#define SWEEP_MS     20000

static struct fixture fx;
static char *ids[8]; /* the faults a test added, freed by teardown should it fail */
static size_t nids;

static int setup(void **state)
{
    (void)state;
    fixture_start(&fx, NULL);
    fixture_expect_clean(&fx, HEALTH_LOW); /* the demo starts healthy */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&fx, false);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    nids = 0;
    return 0;
}

static void fault(const char *spec)
{
    assert_true(nids < sizeof ids / sizeof ids[0]);
    ids[nids++] = fixture_fault(&fx, spec);
}

static void clear_faults(void)
{
    for (size_t i = 0; i < nids; i++) {
        fixture_clear(&fx, ids[i]);
        free(ids[i]);
    }
    nids = 0;
}

/* The finding of rule about subject (and key, when not NULL) at sev, or the test fails. */
static const struct health_finding *expect(const char *rule, const char *subject, const char *key,
                                           enum health_sev sev)
{
    fixture_count(&fx, HEALTH_INFO); /* evaluates */
    size_t n = 0;
    const struct health_finding *all = health_findings(fx.health, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].rule, rule) == 0 && strcmp(all[i].subject, subject) == 0 &&
            (key == NULL || strcmp(all[i].key, key) == 0)) {
            if (all[i].sev != sev)
                fail_msg("%s %s: %s, expected %s (%s)", rule, subject, health_sev_name(all[i].sev),
                         health_sev_name(sev), all[i].evidence);
            return &all[i];
        }
    }
    for (size_t i = 0; i < n; i++)
        print_error("finding %s %s %s [%s]: %s\n", all[i].rule, health_sev_name(all[i].sev),
                    all[i].subject, all[i].key, all[i].evidence);
    fail_msg("no %s finding about %s%s%s", rule, subject, key ? " key " : "", key ? key : "");
    return NULL;
}

static void expect_evidence(const struct health_finding *f, const char *needle)
{
    if (strstr(f->evidence, needle) == NULL)
        fail_msg("%s %s: evidence lacks \"%s\": %s", f->rule, f->subject, needle, f->evidence);
}

static bool has(const char *rule, const char *subject)
{
    return fixture_finding(&fx, rule, subject) != NULL;
}

/* Clears the test's faults, runs one cycle of kind: nothing at LOW or above is left. */
static void clear_and_expect_clean(enum engine_sweep kind)
{
    clear_faults();
    fixture_sweep(&fx, kind, SWEEP_MS);
    fixture_expect_clean(&fx, HEALTH_LOW);
}

static void test_key_disable_protector(void **state)
{
    (void)state;
    fault("{\"kind\":\"key-disable\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY
          "\",\"version\":\"" PROTECTOR "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    const struct health_finding *k01 =
        expect("K01", "key " DEMO_KV_EUS2 "/" KEY, PROTECTOR, HEALTH_CRIT);
    expect_evidence(k01, "disabled");
    expect_evidence(k01, DEMO_MI_EUS2);
    /* sqlmi-prod-cus's fallback copy in kv-tde-eus2 is the same version: K06 for it. */
    expect_evidence(expect("K06", "instance " DEMO_MI_CUS, DEMO_KV_EUS2, HEALTH_CRIT), "disabled");
    /* And the loss of access is predicted before any database flips. */
    const struct health_finding *i06 = expect("I06", "instance " DEMO_MI_EUS2, "", HEALTH_CRIT);
    expect_evidence(i06, "predicted");
    expect_evidence(i06, "AzureKeyVaultKeyDisabled");
    assert_false(has("I06", "instance " DEMO_MI_CUS));
    /* The older version is still enabled: not a K08 case; nor a reason to "go back" to it. */
    assert_false(has("K08", NULL));
    assert_false(has("I03", NULL));
    clear_and_expect_clean(ENGINE_SWEEP_HEALTH);
}

static void test_key_disable_old_version(void **state)
{
    (void)state;
    fault("{\"kind\":\"key-disable\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY
          "\",\"version\":\"" OLD_VERSION "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    const struct health_finding *k08 =
        expect("K08", "key " DEMO_KV_EUS2 "/" KEY, OLD_VERSION, HEALTH_HIGH);
    expect_evidence(k08, "disabled");
    /* The protector itself is fine: nothing critical. */
    assert_int_equal(fixture_count(&fx, HEALTH_CRIT), 0);
    clear_and_expect_clean(ENGINE_SWEEP_HEALTH);
}

static void test_key_expire(void **state)
{
    (void)state;
    fault("{\"kind\":\"key-expire\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY
          "\",\"version\":\"" PROTECTOR "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    const struct health_finding *k04 =
        expect("K04", "key " DEMO_KV_EUS2 "/" KEY, PROTECTOR, HEALTH_CRIT);
    expect_evidence(k04, "expired");
    expect_evidence(k04, DEMO_MI_EUS2);
    expect_evidence(expect("I06", "instance " DEMO_MI_EUS2, "", HEALTH_CRIT),
                    "AzureKeyVaultInvalidExpirationDate");
    clear_and_expect_clean(ENGINE_SWEEP_HEALTH);
}

static void test_key_delete(void **state)
{
    (void)state;
    fault("{\"kind\":\"key-delete\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_null(model_key(fixture_vault(&fx, DEMO_KV_EUS2), KEY));
    /* sqlmi-prod-eus2's protector key is gone from its vault ... */
    expect_evidence(expect("K01", "key " DEMO_KV_EUS2 "/" KEY, PROTECTOR, HEALTH_CRIT),
                    DEMO_MI_EUS2);
    /* ... and so is sqlmi-prod-cus's registered fallback copy there. */
    expect_evidence(expect("K06", "instance " DEMO_MI_CUS, DEMO_KV_EUS2, HEALTH_CRIT), "gone");
    expect_evidence(expect("I06", "instance " DEMO_MI_EUS2, "", HEALTH_CRIT), "AkvKeyDeleted");
    /*
     * Recovered: one health sweep reads the key, its versions and material again.
     * Its rotation policy is read by full sweeps only, so until the next one the
     * recovered key's policy is "never read" (D01 LOW) and nothing else remains.
     */
    clear_faults();
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_non_null(model_key(fixture_vault(&fx, DEMO_KV_EUS2), KEY));
    fixture_expect_clean(&fx, HEALTH_MED);
    const struct health_finding *d01 = fixture_finding(&fx, "D01", "vault " DEMO_KV_EUS2);
    if (d01)
        expect_evidence(d01, "rotation policy of " KEY " never read");
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    fixture_expect_clean(&fx, HEALTH_LOW);
}

static void test_vault_delete(void **state)
{
    (void)state;
    fault("{\"kind\":\"vault-delete\",\"vault\":\"" DEMO_KV_EUS2 "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    assert_true(fixture_vault(&fx, DEMO_KV_EUS2)->deleted);
    const struct health_finding *v01 = expect("V01", "vault " DEMO_KV_EUS2, "", HEALTH_CRIT);
    expect_evidence(v01, DEMO_MI_EUS2);
    expect_evidence(v01, DEMO_MI_CUS);
    expect_evidence(expect("I06", "instance " DEMO_MI_EUS2, "", HEALTH_CRIT), "AkvKeyDNS");
    /*
     * Recovered: the full sweep finds it listed again. Its reachability probe
     * is the probe cadence's (a probe tried while it was deleted failed: V15).
     */
    clear_faults();
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    assert_false(fixture_vault(&fx, DEMO_KV_EUS2)->deleted);
    fixture_expect_clean(&fx, HEALTH_CRIT);
    fixture_sweep(&fx, ENGINE_SWEEP_PROBE, SWEEP_MS);
    fixture_expect_clean(&fx, HEALTH_LOW);
}

static void test_revoke(void **state)
{
    (void)state;
    fault("{\"kind\":\"revoke\",\"vault\":\"" DEMO_KV_EUS2 "\",\"principal\":\"sqlmi-cus\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    const struct health_finding *v07 =
        expect("V07", "vault " DEMO_KV_EUS2, DEMO_MI_CUS, HEALTH_CRIT);
    expect_evidence(v07, DEMO_MI_CUS);
    expect_evidence(v07, DEMO_KV_EUS2);
    expect_evidence(v07, "be615375"); /* sqlmi-cus's object id */
    expect_evidence(v07, "get/wrapKey/unwrapKey");
    /* Only that identity, only that vault. */
    assert_null(fixture_finding(&fx, "V07", DEMO_KV_CUS));
    fixture_count(&fx, HEALTH_INFO);
    size_t n = 0, v07s = 0;
    const struct health_finding *all = health_findings(fx.health, &n);
    for (size_t i = 0; i < n; i++)
        v07s += strcmp(all[i].rule, "V07") == 0;
    assert_int_equal(v07s, 1);
    /* Its own vault still serves it: no loss of access. */
    assert_false(has("I06", NULL));
    clear_and_expect_clean(ENGINE_SWEEP_FULL);
}

static void test_rbac_flip(void **state)
{
    (void)state;
    fault("{\"kind\":\"rbac-flip\",\"vault\":\"" DEMO_KV_EUS2 "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    const struct model_vault *v = fixture_vault(&fx, DEMO_KV_EUS2);
    assert_true(v->rbac);
    assert_int_equal(v->npolicies, 0);
    assert_true(v->roles_known);
    expect_evidence(expect("V08", "vault " DEMO_KV_EUS2, "", HEALTH_CRIT), "RBAC");
    /* Policies are wiped and no role grants anything: both identities lose the vault. */
    const char *users[] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        const struct health_finding *v07 =
            expect("V07", "vault " DEMO_KV_EUS2, users[i], HEALTH_CRIT);
        expect_evidence(v07, "RBAC");
        expect_evidence(v07, users[i]);
    }
    expect_evidence(expect("I06", "instance " DEMO_MI_EUS2, "", HEALTH_CRIT),
                    "AkvKeyOperationNotAllowedByRBAC");
    clear_and_expect_clean(ENGINE_SWEEP_FULL);
    assert_false(fixture_vault(&fx, DEMO_KV_EUS2)->rbac);
}

static void test_pe_state(void **state)
{
    (void)state;
    const char *statuses[] = {"Disconnected", "Rejected"};
    for (size_t i = 0; i < 2; i++) {
        char *spec = xasprintf("{\"kind\":\"pe-state\",\"pe\":\"%s\",\"status\":\"%s\"}",
                               PE_EUS2_EUS2, statuses[i]);
        fault(spec);
        free(spec);
        fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
        const struct health_finding *v11 =
            expect("V11", "vault " DEMO_KV_EUS2, "eastus2", HEALTH_HIGH);
        expect_evidence(v11, PE_EUS2_EUS2);
        expect_evidence(v11, statuses[i]);
        expect_evidence(v11, DEMO_MI_EUS2);
        /* An outage, not a refusal: the instance falls back to its copy in kv-tde-cus. */
        assert_false(has("I06", NULL));
        clear_and_expect_clean(ENGINE_SWEEP_FULL);
    }
}

/*
 * A vault in regional failover refuses changes (503) and keeps answering
 * reads: tdectl only reads, so its picture does not change at all. What it
 * could not know without writing is that a rotation or a grant would fail now.
 */
static void test_read_only(void **state)
{
    (void)state;
    fault("{\"kind\":\"read-only\",\"vault\":\"" DEMO_KV_EUS2 "\"}");
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    fixture_sweep(&fx, ENGINE_SWEEP_PROBE, SWEEP_MS);
    const struct model_vault *v = fixture_vault(&fx, DEMO_KV_EUS2);
    assert_false(model_fresh_stale(&v->arm_fresh));
    assert_false(model_fresh_stale(&v->keys_fresh));
    assert_false(model_fresh_stale(&v->probe_fresh));
    assert_false(model_fresh_stale(&model_key(v, KEY)->versions_fresh));
    fixture_expect_clean(&fx, HEALTH_LOW);
    clear_and_expect_clean(ENGINE_SWEEP_FULL);
}

/* Minutes in "N min left" of an I06 evidence, -1 when absent. */
static long minutes_left(const char *evidence)
{
    const char *at = strstr(evidence, " min left");
    if (at == NULL)
        return -1;
    while (at > evidence && at[-1] >= '0' && at[-1] <= '9')
        at--;
    return strtol(at, NULL, 10);
}

static void refuse_both_vaults_everywhere(void)
{
    const char *targets[] = {DEMO_KV_EUS2 "@eastus2", DEMO_KV_EUS2 "@centralus",
                             DEMO_KV_CUS "@eastus2", DEMO_KV_CUS "@centralus"};
    for (size_t i = 0; i < 4; i++) {
        char *spec = xasprintf("{\"kind\":\"refused\",\"target\":\"vault:%s\"}", targets[i]);
        fault(spec);
        free(spec);
    }
}

/* The clock of name's I06 agrees with azsim's own record of the loss (within slack). */
static void check_clock(const char *name, int64_t slack_s)
{
    struct fixture_sim_mi sim;
    fixture_sim_mi(&fx, name, &sim);
    int64_t wall_ms = fixture_wall(&fx), sim_now = fixture_sim_now(&fx);
    assert_true(sim.lost_since > 0);
    /* azsim's loss as tdectl's wall clock sees it: that long ago in simulated time. */
    int64_t lost_ms = wall_ms - (sim_now - sim.lost_since) * 1000;
    int64_t sim_left_s = sim.lost_since + 1800 - sim_now;

    char subject[192];
    snprintf(subject, sizeof subject, "instance %s", name);
    const struct health_finding *i06 = expect("I06", subject, "", HEALTH_CRIT);
    expect_evidence(i06, "3 of 3 databases Inaccessible");
    /* tdectl saw no cause in what it reads: it must not claim access is back. */
    assert_null(strstr(i06->evidence, "looks back"));
    expect_evidence(i06, "the instance's own path to its vaults");
    expect_evidence(i06, "30-minute self-heal window");
    long left_min = minutes_left(i06->evidence);
    if (left_min < 0)
        fail_msg("I06 evidence has no minutes left: %s", i06->evidence);
    assert_true(labs(left_min - (long)(sim_left_s / 60)) <= 1);

    struct healclock c;
    assert_true(health_clock(fx.health, fixture_instance(&fx, name), wall_ms, &c));
    assert_true(c.lost);
    assert_false(c.predicted);
    assert_false(c.revalidate_only);
    if (llabs(c.lost_at_ms - lost_ms) > slack_s * 1000)
        fail_msg("%s: tdectl dates the loss %lld s from azsim's", name,
                 (long long)((c.lost_at_ms - lost_ms) / 1000));
    assert_true(llabs(c.left_ms / 1000 - sim_left_s) <= slack_s);
}

static void test_inaccessible_clock(void **state)
{
    (void)state;
    refuse_both_vaults_everywhere();
    /* The instances' own paths are invisible to the console: nothing to see yet. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    fixture_expect_clean(&fx, HEALTH_LOW);

    /* One check: access lost, databases still Online (the grace). */
    fixture_advance(&fx, 600);
    struct fixture_sim_mi sim;
    fixture_sim_mi(&fx, DEMO_MI_EUS2, &sim);
    assert_string_equal(sim.access, "lost");
    assert_string_equal(sim.last_error, "AzureKeyVaultConnectionFailed");
    assert_int_equal(sim.online, 3);
    /* Past the grace: Inaccessible in azsim ... */
    fixture_advance(&fx, 600);
    const char *names[] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        fixture_sim_mi(&fx, names[i], &sim);
        assert_string_equal(sim.access, "lost");
        assert_int_equal(sim.inaccessible, 3);
    }
    /* ... and in tdectl's next health sweep, with the clock. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    for (size_t i = 0; i < 2; i++) {
        const struct model_instance *mi = fixture_instance(&fx, names[i]);
        for (size_t d = 0; d < mi->ndbs; d++)
            assert_string_equal(mi->dbs[d].status, "Inaccessible");
        assert_true(mi->inaccessible_since > 0);
        check_clock(names[i], 60);
    }

    /* Access back within the window: azsim heals them a heal delay later ... */
    clear_faults();
    fixture_advance(&fx, 600);
    fixture_sim_mi(&fx, DEMO_MI_EUS2, &sim);
    assert_string_equal(sim.access, "ok");
    assert_false(sim.revalidate_needed);
    fixture_advance(&fx, 600);
    for (size_t i = 0; i < 2; i++) {
        fixture_sim_mi(&fx, names[i], &sim);
        assert_int_equal(sim.online, 3);
    }
    /* ... and I06 resolves in tdectl. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    fixture_expect_clean(&fx, HEALTH_LOW);
    struct healclock c;
    assert_false(
        health_clock(fx.health, fixture_instance(&fx, DEMO_MI_EUS2), fixture_wall(&fx), &c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_disable_protector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_disable_old_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vault_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rbac_flip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pe_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inaccessible_clock, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
