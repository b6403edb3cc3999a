/* Unit tests of core/pace.c: token buckets, backoff, jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

static void test_bucket_degenerate(void **state)
{
    (void)state;
    struct pace_bucket b;
    pace_bucket_init(&b, 0, 0, 0); /* clamped to one token, one a second */
    assert_true(pace_bucket_take(&b, 0));
    assert_false(pace_bucket_take(&b, 0));
    assert_int_equal(pace_bucket_wait_ms(&b, 0), 1001);
    assert_true(pace_bucket_take(&b, 1000));
    /* Time going backwards adds nothing. */
    assert_false(pace_bucket_take(&b, 500));
}

static void test_bucket_burst_and_refill(void **state)
{
    (void)state;
    struct pace_bucket b;
    pace_bucket_init(&b, 200, 20, 1000);
    for (int i = 0; i < 200; i++)
        assert_true(pace_bucket_take(&b, 1000));
    assert_false(pace_bucket_take(&b, 1000));
    int64_t wait = pace_bucket_wait_ms(&b, 1000);
    assert_in_range(wait, 50, 51); /* one token at 20 a second */
    assert_false(pace_bucket_take(&b, 1049));
    assert_true(pace_bucket_take(&b, 1051));
    /* A long pause refills to the capacity, not beyond. */
    int taken = 0;
    while (pace_bucket_take(&b, 1000000))
        taken++;
    assert_int_equal(taken, 200);
}

static void test_bucket_follows_the_service(void **state)
{
    (void)state;
    struct pace_bucket b;
    pace_bucket_init(&b, 200, 20, 0);
    /* ARM says 50 are left: keep at most 50 minus the reserve of 10. */
    pace_bucket_follow(&b, 50, 0);
    int taken = 0;
    while (pace_bucket_take(&b, 0))
        taken++;
    assert_int_equal(taken, 40);
    /* Nothing left: nothing to spend. */
    pace_bucket_init(&b, 200, 20, 0);
    pace_bucket_follow(&b, 5, 0);
    assert_false(pace_bucket_take(&b, 0));
    /* A service that grants more is trusted, minus 10%. */
    pace_bucket_init(&b, 200, 20, 0);
    pace_bucket_follow(&b, 10000, 0);
    taken = 0;
    while (pace_bucket_take(&b, 0))
        taken++;
    assert_int_equal(taken, 9000);
    /* An absent header changes nothing. */
    pace_bucket_init(&b, 3, 1, 0);
    pace_bucket_follow(&b, -1, 0);
    taken = 0;
    while (pace_bucket_take(&b, 0))
        taken++;
    assert_int_equal(taken, 3);
}

static void test_backoff(void **state)
{
    (void)state;
    struct pace_backoff b = {0};
    assert_true(pace_backoff_ready(&b, 0));
    pace_backoff_fail(&b, 1000, 60000, 300000);
    assert_false(pace_backoff_ready(&b, 60999));
    assert_true(pace_backoff_ready(&b, 61000));
    pace_backoff_fail(&b, 61000, 60000, 300000); /* 2 min */
    assert_false(pace_backoff_ready(&b, 180999));
    assert_true(pace_backoff_ready(&b, 181000));
    for (int i = 0; i < 40; i++)
        pace_backoff_fail(&b, 0, 60000, 300000); /* capped, and no overflow however often */
    assert_int_equal(b.until_ms, 300000);
    pace_backoff_ok(&b);
    assert_true(pace_backoff_ready(&b, 0));
    assert_int_equal(b.failures, 0);
}

static void test_jitter(void **state)
{
    (void)state;
    assert_int_equal(pace_jitter(60000, 0, 12345), 60000);
    assert_int_equal(pace_jitter(0, 10, 12345), 0);
    int64_t lo = 60000, hi = 60000;
    for (uint32_t r = 0; r < 200000; r += 7) {
        int64_t v = pace_jitter(60000, 10, r * 2654435761u);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        assert_in_range(v, 54000, 66000);
    }
    assert_true(lo < 55000 && hi > 65000);                            /* it does spread */
    assert_in_range(pace_jitter(1000, 1000, 0xffffffffu), 100, 1900); /* percent capped at 90 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_degenerate),
        cmocka_unit_test(test_bucket_burst_and_refill),
        cmocka_unit_test(test_bucket_follows_the_service),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
