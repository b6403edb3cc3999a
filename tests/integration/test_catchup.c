/*
 * The engine catches up a failed full sweep as soon as Azure answers again.
 *
 * What only a full sweep reads (subscriptions, failover groups, the vaults'
 * ARM settings and private endpoints) stays unreadable (D01) after an ARM
 * outage until the next full sweep: five minutes by default. The engine
 * starts that sweep early instead: after an outage (a full sweep, then a
 * health sweep, that failed reads) the first health sweep that fails none
 * starts a catch-up full sweep, once.
 *
 * Against the demo estate in azsim, with ARM answering every call with a
 * body that is not JSON (azsim's malformed fault: the reads fail at once,
 * nothing is retried): a full sweep fails, a health sweep during the outage
 * starts nothing, the first health sweep after it starts one catch-up that
 * reads the whole estate again (D01 gone, no finding left), and the health
 * sweeps after it start no more. A catch-up that fails (the outage back
 * during it) does not chain into another one. A failure only a full sweep
 * met (health never failed) starts none: a read only full sweeps make that
 * always fails would otherwise double every full sweep. Cost: about 4 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixture.h"

#define SWEEP_MS 20000
#define ARM_DOWN "{\"kind\":\"malformed\",\"target\":\"arm\",\"rate\":1}"

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    fixture_start(&fx, &(struct fixture_options){.catch_up = true});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&fx, false);
    return 0;
}

static uint64_t catch_ups(void)
{
    return engine_stats(fx.engine).catch_ups;
}

/* Runs the loop until the full sweep under way has ended. */
static void wait_full_sweep(void)
{
    unsigned before = fx.sweeps[ENGINE_SWEEP_FULL];
    for (int i = 0; i < SWEEP_MS / 50 && fx.sweeps[ENGINE_SWEEP_FULL] == before; i++)
        fixture_run(&fx, 50);
    if (fx.sweeps[ENGINE_SWEEP_FULL] == before)
        fail_msg("the catch-up full sweep did not end within %d ms", SWEEP_MS);
}

static void test_catch_up_after_outage(void **state)
{
    (void)state;
    fixture_expect_clean(&fx, HEALTH_LOW);
    char *id = fixture_fault(&fx, ARM_DOWN);
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    assert_non_null(fixture_finding(&fx, "D01", NULL));
    /* Still down: a failed health sweep starts nothing. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_int_equal(catch_ups(), 0);
    assert_int_equal(engine_stats(fx.engine).live[ENGINE_SWEEP_FULL], 0);

    /* Back: the first health sweep that reads everything starts the catch-up at once. */
    fixture_clear(&fx, id);
    free(id);
    unsigned fulls = fx.sweeps[ENGINE_SWEEP_FULL];
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_int_equal(catch_ups(), 1);
    assert_int_equal(fx.sweeps[ENGINE_SWEEP_FULL], fulls); /* started, not ended */
    assert_int_equal(engine_stats(fx.engine).live[ENGINE_SWEEP_FULL], 1);
    wait_full_sweep();
    assert_null(fixture_finding(&fx, "D01", NULL));
    fixture_expect_clean(&fx, HEALTH_LOW);

    /* Once per failed full sweep: the health sweeps after it start no more. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_int_equal(catch_ups(), 1);
    assert_int_equal(engine_stats(fx.engine).live[ENGINE_SWEEP_FULL], 0);
}

static void test_failed_catch_up_does_not_chain(void **state)
{
    (void)state;
    uint64_t before = catch_ups();
    char *id = fixture_fault(&fx, ARM_DOWN);
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    fixture_clear(&fx, id);
    free(id);
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_int_equal(catch_ups(), before + 1);
    /* The outage is back while the catch-up reads: it fails too. */
    id = fixture_fault(&fx, ARM_DOWN);
    wait_full_sweep();
    assert_non_null(fixture_finding(&fx, "D01", NULL));
    fixture_clear(&fx, id);
    free(id);
    /* Health works again, but the catch-up had its turn: the cadence's sweep will do. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_int_equal(catch_ups(), before + 1);
    assert_int_equal(engine_stats(fx.engine).live[ENGINE_SWEEP_FULL], 0);
    /* A full sweep of its own clears the data. */
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    assert_null(fixture_finding(&fx, "D01", NULL));
}

static void test_full_only_failure_is_not_an_outage(void **state)
{
    (void)state;
    uint64_t before = catch_ups();
    char *id = fixture_fault(&fx, ARM_DOWN);
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    assert_non_null(fixture_finding(&fx, "D01", NULL));
    fixture_clear(&fx, id);
    free(id);
    /* Health never failed: no catch-up; the full sweep's own cadence reads again. */
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    fixture_sweep(&fx, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_int_equal(catch_ups(), before);
    assert_int_equal(engine_stats(fx.engine).live[ENGINE_SWEEP_FULL], 0);
    fixture_sweep(&fx, ENGINE_SWEEP_FULL, SWEEP_MS);
    assert_null(fixture_finding(&fx, "D01", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catch_up_after_outage),
        cmocka_unit_test(test_failed_catch_up_does_not_chain),
        cmocka_unit_test(test_full_only_failure_is_not_an_outage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
