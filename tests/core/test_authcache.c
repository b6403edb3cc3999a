/*
 * Tests of core/authcache on its own clock (no server): freshness and
 * usability around the margins, what auth_health reports for working,
 * failing and tokenless entries, which failure is the newest, the cleaning
 * and cutting of causes, pruning, and the trim of tokenless failing entries.
 * core.test_auth proves the same through auth against azsim's Entra ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authcache.h"

#define T0   1000000 /* the now-clock */
#define WALL 1764460800000
#define MIN  (60 * 1000)

static void test_fresh_and_usable(void **state)
{
    (void)state;
    struct authcache c = {0};
    struct authcache_entry *e = authcache_get(&c, "t", "s");
    assert_ptr_equal(authcache_find(&c, "t", "s"), e);
    assert_null(authcache_find(&c, "t", "other"));
    assert_false(authcache_usable(e, T0));
    authcache_set_token(&c, e, "tok", T0 + 60 * MIN, WALL);
    /* Fresh until 5 minutes before expiry, usable until 30 s before. */
    assert_true(authcache_fresh(e, T0 + 55 * MIN - 1));
    assert_false(authcache_fresh(e, T0 + 55 * MIN));
    assert_true(authcache_usable(e, T0 + 60 * MIN - 30001));
    assert_false(authcache_usable(e, T0 + 60 * MIN - 30000));
    struct auth_health h;
    authcache_health(&c, T0, &h);
    assert_int_equal(h.signins, 1);
    assert_int_equal(h.failing, 0);
    assert_int_equal(h.last_ok_ms, WALL);
    assert_int_equal(h.cached_left_ms, 60 * MIN - 30000);
    authcache_clear(&c);
    assert_null(c.entries);
}

static void test_failing_with_and_without_token(void **state)
{
    (void)state;
    struct authcache c = {0};
    struct authcache_entry *arm = authcache_get(&c, "t", "arm");
    struct authcache_entry *kv = authcache_get(&c, "t", "kv");
    authcache_set_token(&c, kv, "tok", T0 + 10 * MIN, WALL);
    /* The vault's renewal fails at +6 min: its token still covers 3.5 minutes. */
    authcache_failed(&c, kv, CORE_ERR_HTTP, "HTTP 503", WALL + 6 * MIN);
    struct auth_health h;
    authcache_health(&c, T0 + 6 * MIN, &h);
    assert_int_equal(h.failing, 1);
    assert_int_equal(h.token_left_ms, 4 * MIN - 30000);
    assert_int_equal(h.failing_since_ms, WALL + 6 * MIN);
    assert_string_equal(h.cause, "HTTP 503");
    /* ARM, with nothing cached, fails at the same wall time: the newest cause, no token. */
    authcache_failed(&c, arm, CORE_ERR_AUTH, "AADSTS7000222: the secret expired", WALL + 6 * MIN);
    authcache_health(&c, T0 + 6 * MIN, &h);
    assert_int_equal(h.failing, 2);
    assert_int_equal(h.token_left_ms, 0);
    assert_int_equal(h.err, CORE_ERR_AUTH);
    assert_string_equal(h.cause, "AADSTS7000222: the secret expired");
    assert_int_equal(h.signins, 3);
    assert_int_equal(h.failures, 2);
    /* A second failure keeps the first's "since". */
    authcache_failed(&c, kv, CORE_ERR_TIMEOUT, NULL, WALL + 7 * MIN);
    authcache_health(&c, T0 + 7 * MIN, &h);
    assert_int_equal(h.failing_since_ms, WALL + 6 * MIN);
    assert_string_equal(h.cause, core_err_name(CORE_ERR_TIMEOUT)); /* no cause: its name */
    /* A token ends the failure of its pair only. */
    authcache_set_token(&c, kv, "tok2", T0 + 70 * MIN, WALL + 8 * MIN);
    authcache_health(&c, T0 + 8 * MIN, &h);
    assert_int_equal(h.failing, 1);
    assert_int_equal(h.err, CORE_ERR_AUTH);
    authcache_clear(&c);
}

static void test_cause_cleaned_and_cut(void **state)
{
    (void)state;
    struct authcache c = {0};
    struct authcache_entry *e = authcache_get(&c, "t", "s");
    authcache_failed(&c, e, CORE_ERR_AUTH, "bad\x1b]52;c;SGVsbG8=\x07 answer\n", WALL);
    struct auth_health h;
    authcache_health(&c, T0, &h);
    assert_null(strchr(h.cause, '\x1b'));
    assert_null(strchr(h.cause, '\x07'));
    assert_null(strchr(h.cause, '\n'));
    /* A long cause of 3-byte characters is cut between two of them, under the size. */
    char cause[601];
    for (int i = 0; i < 200; i++)
        memcpy(cause + 3 * i, "\xe2\x82\xac", 3); /* U+20AC */
    cause[600] = '\0';
    authcache_failed(&c, e, CORE_ERR_AUTH, cause, WALL);
    authcache_health(&c, T0, &h);
    size_t n = strlen(h.cause);
    assert_true(n < AUTH_CAUSE_MAX && n > AUTH_CAUSE_MAX - 4);
    assert_int_equal(n % 3, 0);
    authcache_clear(&c);
}

static void test_prune_and_trim(void **state)
{
    (void)state;
    struct authcache c = {0};
    /* Nothing to hold: pruned. A failure to report: kept. */
    struct authcache_entry *e = authcache_get(&c, "t", "s");
    authcache_prune(&c, e);
    assert_null(c.entries);
    e = authcache_get(&c, "t", "s");
    authcache_failed(&c, e, CORE_ERR_AUTH, "refused", WALL);
    authcache_prune(&c, e);
    assert_ptr_equal(authcache_find(&c, "t", "s"), e);
    /* Tokenless failing pairs: only the newest AUTH_FAILING_KEPT stay. */
    for (int i = 0; i < 3 * AUTH_FAILING_KEPT; i++) {
        char tenant[16];
        snprintf(tenant, sizeof tenant, "t%d", i);
        authcache_failed(&c, authcache_get(&c, tenant, "s"), CORE_ERR_AUTH, "refused", WALL);
    }
    struct auth_health h;
    authcache_health(&c, T0, &h);
    assert_int_equal(h.failing, AUTH_FAILING_KEPT);
    assert_null(authcache_find(&c, "t", "s"));
    assert_null(authcache_find(&c, "t0", "s"));
    assert_non_null(authcache_find(&c, "t23", "s"));
    /* A failing pair that holds a token is never trimmed. */
    struct authcache_entry *kept = authcache_get(&c, "keep", "s");
    authcache_set_token(&c, kept, "tok", T0 + 60 * MIN, WALL);
    authcache_failed(&c, kept, CORE_ERR_HTTP, "503", WALL);
    for (int i = 0; i < 2 * AUTH_FAILING_KEPT; i++) {
        char tenant[16];
        snprintf(tenant, sizeof tenant, "u%d", i);
        authcache_failed(&c, authcache_get(&c, tenant, "s"), CORE_ERR_AUTH, "refused", WALL);
    }
    assert_ptr_equal(authcache_find(&c, "keep", "s"), kept);
    authcache_health(&c, T0, &h);
    assert_int_equal(h.failing, AUTH_FAILING_KEPT + 1);
    authcache_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_and_usable),
        cmocka_unit_test(test_failing_with_and_without_token),
        cmocka_unit_test(test_cause_cleaned_and_cut),
        cmocka_unit_test(test_prune_and_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
