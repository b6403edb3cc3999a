/*
 * Unit tests for core/healclock: when key access was lost and how long is
 * left of the self-heal window, dated conservatively. Degenerate input first
 * (no loss at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "healclock.h"

#define NOW    1767225600000LL
#define MINUTE 60000LL

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void test_clock(void **state)
{
    (void)state;
    struct healclock_params p;
    struct healclock c;
    char buf[256];
    healclock_params_init(&p);
    healclock_compute(0, 0, NOW, &p, &c);
    assert_false(c.lost);
    healclock_describe(&c, &p, buf, sizeof buf);
    assert_string_equal(buf, "key access not lost");
    /* Under a minute is said so, never rounded up. */
    healclock_compute(NOW - 29 * MINUTE - 30000, 0, NOW, &p, &c);
    healclock_describe(&c, &p, buf, sizeof buf);
    assert_contains(buf, "under a minute left");
    healclock_compute(NOW - 29 * MINUTE + 1, 0, NOW, &p, &c);
    healclock_describe(&c, &p, buf, sizeof buf);
    assert_contains(buf, "; 1 min left");
    /* The earliest sign wins over the database time, and the other way round. */
    healclock_compute(NOW - 20 * MINUTE, NOW - 2 * MINUTE, NOW, &p, &c);
    assert_int_equal(c.lost_at_ms, NOW - 20 * MINUTE);
    healclock_compute(NOW - MINUTE, NOW - 2 * MINUTE, NOW, &p, &c);
    assert_int_equal(c.lost_at_ms, NOW - 12 * MINUTE);
    assert_false(c.revalidate_only);
}

static void test_predicted_and_actual(void **state)
{
    (void)state;
    struct healclock_params p;
    struct healclock c;
    char buf[256];
    healclock_params_init(&p);
    assert_int_equal(p.grace_ms, 10 * MINUTE);
    assert_int_equal(p.window_ms, 30 * MINUTE);
    healclock_compute(NOW, 0, NOW + 5 * MINUTE, &p, &c);
    assert_true(c.lost);
    assert_true(c.predicted);
    assert_int_equal(c.inaccessible_at_ms, NOW + 10 * MINUTE);
    assert_int_equal(c.left_ms, 25 * MINUTE);
    healclock_compute(0, NOW, NOW + 25 * MINUTE, &p, &c);
    assert_false(c.predicted);
    assert_int_equal(c.lost_at_ms, NOW - 10 * MINUTE);
    assert_int_equal(c.left_ms, 0);
    assert_true(c.revalidate_only);
    healclock_describe(&c, &p, buf, sizeof buf);
    assert_contains(buf, "past the 30-minute self-heal window: only revalidate brings them back");
    /* A tiny buffer is cut, never overrun. */
    assert_true(healclock_describe(&c, &p, buf, 8) > 8);
    assert_int_equal(strlen(buf), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_predicted_and_actual),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
