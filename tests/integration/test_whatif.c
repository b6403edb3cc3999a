/*
 * What-if against the real thing: for each failure, tdectl's prediction
 * (whatif_run on the model it read) is compared with what azsim's own
 * managed-instance model does once the same failure is injected and its
 * clock moves on: one check (600 s) for the path an instance takes, a grace
 * more (600 s) for databases turning Inaccessible. The outcome, the vault
 * serving the instance and SQL's error code must match per instance, and the
 * moment databases turned Inaccessible must lie within the prediction's
 * [earliest, latest]. This is the proof that tdectl predicts by the rules the
 * instance follows (DOMAIN.md "How an instance uses its vaults").
 *
 * Failures tdectl can read (state faults) are also read back: after a full
 * sweep, tdectl's picture of the present (whatif_current) says what the
 * prediction said. Network failures on the instances' own paths are not
 * visible to the console, so they are compared with azsim only.
 *
 * whatif's INSTANCE_DOWN (a region down takes its instances with it) has no
 * counterpart in azsim, whose instances never go down: for that instance
 * only what both model is compared (nothing), and azsim's view is noted.
 *
 * Every scenario starts its own azsim (about a second): no state carries over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "fixture_sim.h"
#include "whatif.h"
#include "xmem.h"

#define KEY       "tde-protector-2025"
#define PROTECTOR "b70b487d725c442b8df2ba78d8564211"
#define SWEEP_MS  20000
#define CHECK_S   600 /* the demo's mi_check_interval_seconds */
#define GRACE_S   600 /* the demo's inaccessible_after_seconds */

/* What a scenario expects of one instance (besides matching azsim). */
struct expect {
    const char *instance;
    enum whatif_outcome outcome;
    const char *via;  /* "" when none */
    const char *code; /* "" when served */
};

struct scenario {
    const char *name;
    struct whatif_scenario sc[3];
    size_t nsc;
    const char *faults[4]; /* azsim's fault specs, NULL-terminated */
    bool readable;         /* tdectl reads this failure: whatif_current agrees afterwards */
    struct expect expect[2];
};

#define REFUSED(target) "{\"kind\":\"refused\",\"target\":\"vault:" target "\"}"

static const struct scenario scenarios[] = {
    {"primary vault outage from its region",
     {{.kind = WHATIF_VAULT_OUTAGE, .target = DEMO_KV_EUS2, .region = "eastus2"}},
     1,
     {REFUSED(DEMO_KV_EUS2 "@eastus2")},
     false,
     {{DEMO_MI_EUS2, WHATIF_VIA_SECONDARY, DEMO_KV_CUS, ""},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"both vaults down from eastus2",
     {{.kind = WHATIF_VAULT_OUTAGE, .target = DEMO_KV_EUS2, .region = "eastus2"},
      {.kind = WHATIF_VAULT_OUTAGE, .target = DEMO_KV_CUS, .region = "eastus2"}},
     2,
     {REFUSED(DEMO_KV_EUS2 "@eastus2"), REFUSED(DEMO_KV_CUS "@eastus2")},
     false,
     {{DEMO_MI_EUS2, WHATIF_INACCESSIBLE, "", "AzureKeyVaultConnectionFailed"},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"secondary instance's vault out everywhere",
     {{.kind = WHATIF_VAULT_OUTAGE, .target = DEMO_KV_CUS}},
     1,
     {REFUSED(DEMO_KV_CUS)},
     false,
     {{DEMO_MI_EUS2, WHATIF_UNAFFECTED, DEMO_KV_EUS2, ""},
      {DEMO_MI_CUS, WHATIF_VIA_SECONDARY, DEMO_KV_EUS2, ""}}},
    {"access revoked on the primary",
     {{.kind = WHATIF_ACCESS_REVOKED, .target = DEMO_KV_EUS2}},
     1,
     {"{\"kind\":\"revoke\",\"vault\":\"" DEMO_KV_EUS2 "\",\"principal\":\"sqlmi-eus2\"}"},
     true,
     /* A refusal: no fallback although kv-tde-cus would serve. */
     {{DEMO_MI_EUS2, WHATIF_INACCESSIBLE, "", "AzureKeyVaultMissingPermissions"},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"protector version disabled in the primary",
     {{.kind = WHATIF_KEY_DISABLED, .target = DEMO_KV_EUS2, .key = KEY, .version = PROTECTOR}},
     1,
     {"{\"kind\":\"key-disable\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY
      "\",\"version\":\"" PROTECTOR "\"}"},
     true,
     {{DEMO_MI_EUS2, WHATIF_INACCESSIBLE, "", "AzureKeyVaultKeyDisabled"},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"protector version expired in the primary",
     {{.kind = WHATIF_KEY_EXPIRED, .target = DEMO_KV_EUS2, .key = KEY, .version = PROTECTOR}},
     1,
     {"{\"kind\":\"key-expire\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY
      "\",\"version\":\"" PROTECTOR "\"}"},
     true,
     {{DEMO_MI_EUS2, WHATIF_INACCESSIBLE, "", "AzureKeyVaultInvalidExpirationDate"},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"protector key deleted in the primary",
     {{.kind = WHATIF_KEY_DELETED, .target = DEMO_KV_EUS2, .key = KEY}},
     1,
     {"{\"kind\":\"key-delete\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"" KEY "\"}"},
     true,
     {{DEMO_MI_EUS2, WHATIF_INACCESSIBLE, "", "AkvKeyDeleted"},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"primary vault deleted",
     {{.kind = WHATIF_VAULT_DELETED, .target = DEMO_KV_EUS2}},
     1,
     {"{\"kind\":\"vault-delete\",\"vault\":\"" DEMO_KV_EUS2 "\"}"},
     true,
     {{DEMO_MI_EUS2, WHATIF_INACCESSIBLE, "", "AkvKeyDNS"},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"private endpoint of the primary vault down",
     {{.kind = WHATIF_PE_DOWN, .target = "pe-kv-tde-eus2-in-eus2"}},
     1,
     {"{\"kind\":\"pe-state\",\"pe\":\"pe-kv-tde-eus2-in-eus2\",\"status\":\"Disconnected\"}"},
     true,
     /* An outage: kv-tde-cus's endpoint in eastus2 is approved, so it falls back. */
     {{DEMO_MI_EUS2, WHATIF_VIA_SECONDARY, DEMO_KV_CUS, ""},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
    {"region eastus2 down",
     {{.kind = WHATIF_REGION_DOWN, .target = "eastus2"}},
     1,
     /* Every vault path from eastus2, and eastus2's vault from everywhere. */
     {REFUSED(DEMO_KV_EUS2 "@eastus2"), REFUSED(DEMO_KV_CUS "@eastus2"),
      REFUSED(DEMO_KV_EUS2 "@centralus")},
     false,
     {{DEMO_MI_EUS2, WHATIF_INSTANCE_DOWN, "", ""},
      {DEMO_MI_CUS, WHATIF_UNAFFECTED, DEMO_KV_CUS, ""}}},
};

#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

static struct fixture fx;
static struct whatif_result *predicted; /* freed by teardown should a test fail */

static int setup(void **state)
{
    (void)state;
    fixture_start(&fx, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(predicted);
    predicted = NULL;
    fixture_stop(&fx, false);
    return 0;
}

static const struct whatif_result *result_of(const struct whatif_result *r, size_t n,
                                             const char *instance)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].instance, instance) == 0)
            return &r[i];
    }
    fail_msg("no what-if result for %s", instance);
    return NULL;
}

static void check_stated(const struct scenario *s, const struct whatif_result *r, size_t n)
{
    for (size_t i = 0; i < 2; i++) {
        const struct expect *e = &s->expect[i];
        const struct whatif_result *got = result_of(r, n, e->instance);
        if (got->outcome != e->outcome || strcmp(got->via, e->via) != 0 ||
            strcmp(got->code, e->code) != 0)
            fail_msg("%s: %s predicted %s via \"%s\" code \"%s\" (%s); expected %s via \"%s\" "
                     "code \"%s\"",
                     s->name, e->instance, whatif_outcome_name(got->outcome), got->via, got->code,
                     got->reason, whatif_outcome_name(e->outcome), e->via, e->code);
    }
}

static const char *const sim_access[] = {
    [WHATIF_UNAFFECTED] = "ok",
    [WHATIF_VIA_SECONDARY] = "secondary",
    [WHATIF_INACCESSIBLE] = "lost",
};

/* azsim's instance after one check does what the prediction said. */
static void compare_path(const struct scenario *s, const struct whatif_result *r,
                         const struct fixture_sim_mi *sim)
{
    if (r->outcome == WHATIF_INSTANCE_DOWN)
        return; /* azsim has no counterpart */
    if (r->outcome == WHATIF_UNKNOWN)
        fail_msg("%s: %s unknown: %s", s->name, r->instance, r->reason);
    if (strcmp(sim->access, sim_access[r->outcome]) != 0 || strcmp(sim->vault, r->via) != 0 ||
        strcmp(sim->last_error, r->code) != 0)
        fail_msg("%s: %s predicted %s via \"%s\" code \"%s\"; azsim: access %s serving \"%s\" "
                 "error \"%s\"",
                 s->name, r->instance, whatif_outcome_name(r->outcome), r->via, r->code,
                 sim->access, sim->serving, sim->last_error);
}

/*
 * After the grace: databases Inaccessible exactly where predicted, at a
 * moment within [earliest, latest] of the prediction (t0: azsim's clock when
 * tdectl predicted, p_now: tdectl's).
 */
static void compare_databases(const struct scenario *s, const struct whatif_result *r,
                              const struct fixture_sim_mi *sim, int64_t t0, int64_t p_now)
{
    if (r->outcome == WHATIF_INSTANCE_DOWN) {
        /* azsim keeps the instance running, with no vault it can reach. */
        print_message("%s: %s is down in the prediction; azsim keeps it running: access %s (%s), "
                      "%zu of %zu databases Inaccessible\n",
                      s->name, r->instance, sim->access, sim->last_error, sim->inaccessible,
                      sim->ndbs);
        return;
    }
    if (r->outcome != WHATIF_INACCESSIBLE) {
        if (sim->online != sim->ndbs)
            fail_msg("%s: %s predicted %s, azsim has %zu of %zu databases Online", s->name,
                     r->instance, whatif_outcome_name(r->outcome), sim->online, sim->ndbs);
        return;
    }
    if (sim->inaccessible != sim->ndbs || sim->lost_since == 0)
        fail_msg("%s: %s predicted Inaccessible, azsim has %zu of %zu databases Inaccessible",
                 s->name, r->instance, sim->inaccessible, sim->ndbs);
    int64_t turned = sim->lost_since + GRACE_S;
    int64_t earliest = t0 + (r->earliest_s - p_now), latest = t0 + (r->when_s - p_now);
    if (turned < earliest || turned > latest)
        fail_msg("%s: %s turned Inaccessible %lld s after the prediction; predicted %lld..%lld s",
                 s->name, r->instance, (long long)(turned - t0), (long long)(earliest - t0),
                 (long long)(latest - t0));
}

/* tdectl, having read the failure, judges the present as it predicted the future. */
static void compare_current(const struct scenario *s, const struct whatif_result *r, size_t n)
{
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    struct whatif_params p;
    whatif_params_init(&p, fixture_wall(&fx));
    size_t ncur = 0;
    struct whatif_result *cur = whatif_current(fixture_model(&fx), &p, &ncur);
    assert_int_equal(ncur, n);
    for (size_t i = 0; i < n; i++) {
        const struct whatif_result *now = result_of(cur, ncur, r[i].instance);
        if (now->outcome != r[i].outcome || strcmp(now->via, r[i].via) != 0 ||
            strcmp(now->code, r[i].code) != 0) {
            char text[1024];
            snprintf(text, sizeof text, "%s: %s predicted %s via \"%s\" \"%s\"; read back %s (%s)",
                     s->name, r[i].instance, whatif_outcome_name(r[i].outcome), r[i].via, r[i].code,
                     whatif_outcome_name(now->outcome), now->reason);
            free(cur);
            fail_msg("%s", text);
        }
    }
    free(cur);
}

static void run(const struct scenario *s)
{
    /* The prediction, on the model tdectl read from the healthy estate. */
    struct whatif_params p;
    whatif_params_init(&p, fixture_wall(&fx));
    int64_t p_now = p.now_ms / 1000, t0 = fixture_sim_now(&fx);
    size_t n = 0;
    char *cause = NULL;
    predicted = whatif_run(fixture_model(&fx), s->sc, s->nsc, &p, &n, &cause);
    if (predicted == NULL) {
        char text[256];
        snprintf(text, sizeof text, "%s", cause ? cause : "?");
        free(cause);
        fail_msg("%s: whatif_run: %s", s->name, text);
    }
    assert_int_equal(n, 2);
    check_stated(s, predicted, n);

    /* The same failure in azsim; one check. */
    for (size_t i = 0; s->faults[i]; i++)
        free(fixture_fault(&fx, s->faults[i]));
    fixture_advance(&fx, CHECK_S);
    struct fixture_sim_mi sim[2];
    for (size_t i = 0; i < n; i++) {
        fixture_sim_mi(&fx, predicted[i].instance, &sim[i]);
        compare_path(s, &predicted[i], &sim[i]);
        /* Within the grace no database has turned yet. */
        if (predicted[i].outcome != WHATIF_INSTANCE_DOWN)
            assert_int_equal(sim[i].online, sim[i].ndbs);
    }
    /* The grace. */
    fixture_advance(&fx, GRACE_S);
    for (size_t i = 0; i < n; i++) {
        fixture_sim_mi(&fx, predicted[i].instance, &sim[i]);
        compare_path(s, &predicted[i], &sim[i]);
        compare_databases(s, &predicted[i], &sim[i], t0, p_now);
    }
    if (s->readable)
        compare_current(s, predicted, n);
    free(predicted);
    predicted = NULL;
}

static void test_scenario(void **state)
{
    run(*state);
}

/* The healthy estate: each instance is served by its own vault, in tdectl and in azsim. */
static void test_current(void **state)
{
    (void)state;
    struct whatif_params p;
    whatif_params_init(&p, fixture_wall(&fx));
    size_t n = 0;
    predicted = whatif_current(fixture_model(&fx), &p, &n);
    assert_int_equal(n, 2);
    fixture_advance(&fx, CHECK_S);
    for (size_t i = 0; i < n; i++) {
        struct fixture_sim_mi sim;
        fixture_sim_mi(&fx, predicted[i].instance, &sim);
        assert_int_equal(predicted[i].outcome, WHATIF_UNAFFECTED);
        assert_string_equal(sim.access, "ok");
        assert_string_equal(sim.vault, predicted[i].via);
        assert_string_equal(sim.serving + strlen(sim.vault) + 1, KEY "_" PROTECTOR);
    }
    free(predicted);
    predicted = NULL;
}

int main(void)
{
    struct CMUnitTest tests[NSCENARIOS + 1];
    tests[0] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(test_current, setup, teardown);
    for (size_t i = 0; i < NSCENARIOS; i++) {
        tests[i + 1] = (struct CMUnitTest){.name = scenarios[i].name,
                                           .test_func = test_scenario,
                                           .setup_func = setup,
                                           .teardown_func = teardown,
                                           .initial_state = (void *)(uintptr_t)&scenarios[i]};
    }
    return _cmocka_run_group_tests("whatif", tests, NSCENARIOS + 1, NULL, NULL);
}
