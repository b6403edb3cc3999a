/*
 * Unit tests for the retry policy (core/retry.c): degenerate inputs first,
 * then each rule of retry.h, jitter bounds, caps, the budget, and the
 * Retry-After parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "retry.h"

static const struct retry_policy policy = {
    .max_attempts = 4, .base_ms = 800, .max_wait_ms = 8000, .budget_ms = 30000};

/* The middle of the jitter range: factor 1.0 exactly. */
#define MID (1u << 31)

static struct retry_outcome answered(long status, int64_t retry_after_ms)
{
    return (struct retry_outcome){CORE_OK, true, status, retry_after_ms};
}

static struct retry_outcome failed(enum core_err err, bool sent)
{
    return (struct retry_outcome){err, sent, 0, -1};
}

static int64_t next(const char *method, bool marked, unsigned attempt, struct retry_outcome o)
{
    return retry_next(&policy, method, marked, attempt, &o, 0, MID);
}

static void test_degenerate(void **state)
{
    (void)state;
    struct retry_outcome o = answered(503, -1);
    assert_int_equal(retry_next(NULL, "GET", false, 1, &o, 0, MID), -1);
    assert_int_equal(retry_next(&policy, "GET", false, 1, NULL, 0, MID), -1);
    /* No method: not idempotent, but a Retry-After still counts. */
    assert_int_equal(retry_next(&policy, NULL, false, 1, &o, 0, MID), -1);
    o = answered(503, 100);
    assert_int_equal(retry_next(&policy, NULL, false, 1, &o, 0, MID), 100);
    /* Attempt 0 is read as the first. */
    o = answered(503, -1);
    assert_int_equal(retry_next(&policy, "GET", false, 0, &o, 0, MID), 800);
    /* max_attempts 0 or 1: never again. */
    struct retry_policy p = policy;
    p.max_attempts = 0;
    assert_int_equal(retry_next(&p, "GET", false, 1, &o, 0, MID), -1);
    p.max_attempts = 1;
    assert_int_equal(retry_next(&p, "GET", false, 1, &o, 0, MID), -1);
    /* A negative elapsed time counts as none. */
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, -5000, MID), 800);
}

static void test_idempotent(void **state)
{
    (void)state;
    const char *yes[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
    const char *no[] = {"POST", "PATCH", "get", "", "TRACE", "CONNECT"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(retry_idempotent(yes[i], false));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_false(retry_idempotent(no[i], false));
        assert_true(retry_idempotent(no[i], true));
    }
    assert_false(retry_idempotent(NULL, false));
    assert_true(retry_idempotent(NULL, true));
}

static void test_success_and_client_errors_stop(void **state)
{
    (void)state;
    const long stop[] = {200, 201, 202, 204, 301, 304, 400, 401, 403, 404, 409, 412, 501, 505};
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++) {
        assert_int_equal(next("GET", false, 1, answered(stop[i], -1)), -1);
        assert_int_equal(next("POST", true, 1, answered(stop[i], -1)), -1);
    }
    /* A Retry-After on a success is a polling hint, not a retry. */
    assert_int_equal(next("GET", false, 1, answered(202, 1000)), -1);
    assert_int_equal(next("GET", false, 1, answered(399, 1000)), -1);
}

static void test_retryable_statuses(void **state)
{
    (void)state;
    const long again[] = {408, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++) {
        assert_int_equal(next("GET", false, 1, answered(again[i], -1)), 800);
        assert_int_equal(next("PUT", false, 1, answered(again[i], -1)), 800);
        assert_int_equal(next("DELETE", false, 1, answered(again[i], -1)), 800);
        /* A POST or PATCH that may have acted is never blindly repeated... */
        assert_int_equal(next("POST", false, 1, answered(again[i], -1)), -1);
        assert_int_equal(next("PATCH", false, 1, answered(again[i], -1)), -1);
        /* ...unless its repetition is harmless. */
        assert_int_equal(next("POST", true, 1, answered(again[i], -1)), 800);
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    /* Any method, any status >= 400: the service asked and has not acted. */
    assert_int_equal(next("POST", false, 1, answered(503, 2000)), 2000);
    assert_int_equal(next("PATCH", false, 1, answered(429, 0)), 0);
    assert_int_equal(next("GET", false, 1, answered(404, 1500)), 1500);
    assert_int_equal(next("POST", false, 1, answered(400, 10)), 10);
    /* Exactly the cap is still waited; over it ends the retries (the caller shows it). */
    assert_int_equal(next("GET", false, 1, answered(429, 8000)), 8000);
    assert_int_equal(next("GET", false, 1, answered(429, 8001)), -1);
    assert_int_equal(next("POST", true, 1, answered(503, 60000)), -1);
    /* No jitter on a delay the service chose. */
    struct retry_outcome o = answered(503, 1234);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 0, 0), 1234);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 0, UINT32_MAX), 1234);
}

static void test_connection_failures(void **state)
{
    (void)state;
    const enum core_err errs[] = {CORE_ERR_NETWORK, CORE_ERR_TIMEOUT, CORE_ERR_TLS};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        /* Nothing reached the service: any method again. */
        assert_int_equal(next("POST", false, 1, failed(errs[i], false)), 800);
        assert_int_equal(next("PATCH", false, 1, failed(errs[i], false)), 800);
        assert_int_equal(next("GET", false, 1, failed(errs[i], false)), 800);
        /* It may have acted: only what is harmless to repeat. */
        assert_int_equal(next("GET", false, 1, failed(errs[i], true)), 800);
        assert_int_equal(next("POST", true, 1, failed(errs[i], true)), 800);
        assert_int_equal(next("POST", false, 1, failed(errs[i], true)), -1);
        assert_int_equal(next("PATCH", false, 1, failed(errs[i], true)), -1);
    }
    /* Failures another attempt cannot fix. */
    const enum core_err final[] = {CORE_ERR_LIMIT,     CORE_ERR_REFUSED, CORE_ERR_CANCELLED,
                                   CORE_ERR_PARSE,     CORE_ERR_CONFIG,  CORE_ERR_AUTH,
                                   CORE_ERR_FORBIDDEN, CORE_ERR_IO,      CORE_ERR_COUNT};
    for (size_t i = 0; i < sizeof final / sizeof final[0]; i++) {
        assert_int_equal(next("GET", false, 1, failed(final[i], false)), -1);
        assert_int_equal(next("GET", true, 1, failed(final[i], true)), -1);
    }
}

static void test_backoff_doubles_with_jitter(void **state)
{
    (void)state;
    struct retry_policy p = policy;
    p.max_attempts = 10;
    p.budget_ms = INT64_MAX;
    struct retry_outcome o = failed(CORE_ERR_NETWORK, false);
    int64_t expect = 800;
    for (unsigned attempt = 1; attempt <= 4; attempt++, expect *= 2) {
        assert_int_equal(retry_next(&p, "GET", false, attempt, &o, 0, MID), expect);
        /* +-20%: random 0 gives the bottom, UINT32_MAX just under the top. */
        assert_int_equal(retry_next(&p, "GET", false, attempt, &o, 0, 0), expect * 8 / 10);
        int64_t top = retry_next(&p, "GET", false, attempt, &o, 0, UINT32_MAX);
        assert_true(top < expect * 12 / 10 && top >= expect * 12 / 10 - 1);
    }
    /* Every random value stays inside the band. */
    for (uint32_t r = 0; r < UINT32_MAX - 9999999u; r += 9999991u) {
        int64_t w = retry_next(&p, "GET", false, 2, &o, 0, r);
        assert_true(w >= 1280 && w < 1920);
    }
}

static void test_backoff_cap(void **state)
{
    (void)state;
    struct retry_policy p = policy;
    p.max_attempts = UINT_MAX;
    p.budget_ms = INT64_MAX;
    struct retry_outcome o = answered(503, -1);
    /* 800 * 2^4 = 12800 > 8000: capped, jitter only below the cap. */
    assert_int_equal(retry_next(&p, "GET", false, 5, &o, 0, MID), 8000);
    assert_int_equal(retry_next(&p, "GET", false, 5, &o, 0, UINT32_MAX), 8000);
    assert_int_equal(retry_next(&p, "GET", false, 5, &o, 0, 0), 6400);
    /* Huge attempt numbers and bases neither overflow nor pass the cap. */
    assert_int_equal(retry_next(&p, "GET", false, 4000000000u, &o, 0, MID), 8000);
    p.base_ms = INT64_MAX;
    assert_int_equal(retry_next(&p, "GET", false, 3, &o, 0, MID), 8000);
    /* No base or no wait allowed: retry at once. */
    p.base_ms = 0;
    assert_int_equal(retry_next(&p, "GET", false, 3, &o, 0, MID), 0);
}

static void test_max_attempts(void **state)
{
    (void)state;
    struct retry_outcome o = answered(503, -1);
    assert_true(retry_next(&policy, "GET", false, 3, &o, 0, MID) > 0);
    assert_int_equal(retry_next(&policy, "GET", false, 4, &o, 0, MID), -1);
    assert_int_equal(retry_next(&policy, "GET", false, 5, &o, 0, MID), -1);
    o = answered(429, 10);
    assert_int_equal(retry_next(&policy, "GET", false, 4, &o, 0, MID), -1);
}

static void test_budget(void **state)
{
    (void)state;
    struct retry_outcome o = answered(503, -1);
    /* 29000 + 800 fits in 30000; 29500 + 800 does not. */
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 29000, MID), 800);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 29500, MID), -1);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 30001, MID), -1);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, INT64_MAX, MID), -1);
    o = answered(429, 5000);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 25000, MID), 5000);
    assert_int_equal(retry_next(&policy, "GET", false, 1, &o, 25001, MID), -1);
    struct retry_policy p = policy;
    p.budget_ms = 0;
    o = answered(429, 0);
    assert_int_equal(retry_next(&p, "GET", false, 1, &o, 0, MID), 0);
    o = answered(429, 1);
    assert_int_equal(retry_next(&p, "GET", false, 1, &o, 0, MID), -1);
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    const int64_t now = 1445412470000LL; /* Wed, 21 Oct 2015 07:27:50 GMT */
    assert_int_equal(retry_after_parse(NULL, now), -1);
    assert_int_equal(retry_after_parse("", now), -1);
    assert_int_equal(retry_after_parse("   ", now), -1);
    assert_int_equal(retry_after_parse("-1", now), -1);
    assert_int_equal(retry_after_parse("1.5", now), -1);
    assert_int_equal(retry_after_parse("12abc", now), -1);
    assert_int_equal(retry_after_parse("soon", now), -1);
    assert_int_equal(retry_after_parse("+5", now), -1);
    assert_int_equal(retry_after_parse("0", now), 0);
    assert_int_equal(retry_after_parse("120", now), 120000);
    assert_int_equal(retry_after_parse(" 7 \r\n", now), 7000);
    assert_int_equal(retry_after_parse("99999999999999999999999", now), 86400000);
    assert_int_equal(retry_after_parse("86401", now), 86400000);
    /* The three HTTP-date forms, relative to now; the past is "now". */
    assert_int_equal(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", now), 10000);
    assert_int_equal(retry_after_parse("Wednesday, 21-Oct-15 07:28:00 GMT", now), 10000);
    assert_int_equal(retry_after_parse("Wed Oct 21 07:28:00 2015", now), 10000);
    assert_int_equal(retry_after_parse("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
    assert_int_equal(retry_after_parse("Thu, 01 Jan 2099 00:00:00 GMT", now), 86400000);
    /* Found by fuzz_headers (fuzz/regress/headers/): a year so far ahead that its ms overflowed. */
    assert_int_equal(retry_after_parse("Sun Nov 30 00:01:00 2025502553", now), 86400000);
    assert_int_equal(retry_after_parse("Sun Nov 30 00:01:00 300000000", now),
                     86400000); /* wrapped < 0 */
    char big[200];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(retry_after_parse(big, now), -1); /* too long to be a header value we use */
}

static void test_retry_after_ms_parse(void **state)
{
    (void)state;
    assert_int_equal(retry_after_ms_parse(NULL), -1);
    assert_int_equal(retry_after_ms_parse(""), -1);
    assert_int_equal(retry_after_ms_parse("x"), -1);
    assert_int_equal(retry_after_ms_parse("1e3"), -1);
    assert_int_equal(retry_after_ms_parse("-20"), -1);
    assert_int_equal(retry_after_ms_parse("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
    assert_int_equal(retry_after_ms_parse("0"), 0);
    assert_int_equal(retry_after_ms_parse("250"), 250);
    assert_int_equal(retry_after_ms_parse(" 1500 "), 1500);
    assert_int_equal(retry_after_ms_parse("999999999999999999999"), 86400000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_success_and_client_errors_stop),
        cmocka_unit_test(test_retryable_statuses),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_connection_failures),
        cmocka_unit_test(test_backoff_doubles_with_jitter),
        cmocka_unit_test(test_backoff_cap),
        cmocka_unit_test(test_max_attempts),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_retry_after_parse),
        cmocka_unit_test(test_retry_after_ms_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
