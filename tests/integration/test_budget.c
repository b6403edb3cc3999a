/*
 * The periodic budget on an estate that needs more than it allows: with
 * poll.max_requests_per_minute at its floor (10) and the shortest health
 * cadence (10 s), a health sweep of the demo (dozens of reads) outlasts its
 * interval. The next periodic sweep of that kind is skipped rather than
 * queued behind it, so at most one health sweep is ever under way, the queue
 * stays within one sweep's reads, and the sweep still ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "engine.h"
#include "fixture.h"

static void test_slow_sweeps_are_not_stacked(void **state)
{
    (void)state;
    struct fixture f;
    struct fixture_options o = {.health_s = 10, .probe_s = 600, .max_rpm = 10};
    f.sim = NULL;
    fixture_start(&f, &o); /* waits for the first (urgent, unbudgeted) full sweep */
    struct engine_stats first = engine_stats(f.engine);
    size_t most_queued = 0, most_live = 0;
    /* Three health intervals: without the skip, three health sweeps would be queued. */
    for (int i = 0; i < 32; i++) {
        fixture_run(&f, 1000);
        struct engine_stats s = engine_stats(f.engine);
        most_live =
            s.live[ENGINE_SWEEP_HEALTH] > most_live ? s.live[ENGINE_SWEEP_HEALTH] : most_live;
        most_queued = s.queued > most_queued ? s.queued : most_queued;
    }
    struct engine_stats s = engine_stats(f.engine);
    printf("budget: first sweep %llu reads; after 32 s: %llu reads, %llu skipped, most queued "
           "%zu, most health sweeps at once %zu\n",
           (unsigned long long)first.requests, (unsigned long long)s.requests,
           (unsigned long long)s.skipped, most_queued, most_live);
    assert_true(most_live <= 1);
    assert_true(s.skipped >= 1); /* the 10-reads-a-minute budget cannot keep up */
    /* One health sweep's reads at most: a fraction of what the first full sweep read. */
    assert_true(most_queued <= (size_t)first.requests);
    fixture_stop(&f, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_sweeps_are_not_stacked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
