/* activity: the bounded command log (ring, counters, throttling per host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "activity.h"
#include "http.h"

static struct http_log_entry call(const char *url, long status, const char *rid)
{
    struct http_log_entry e = {.method = "GET",
                               .url = url,
                               .status = status,
                               .request_id = rid,
                               .attempt = 1,
                               .elapsed_ms = 12,
                               .retry_in_ms = -1};
    return e;
}

static void test_degenerate(void **state)
{
    (void)state;
    assert_int_equal(activity_count(NULL), 0);
    assert_null(activity_get(NULL, 0));
    activity_add_note(NULL, 1, "x");
    activity_add_call(NULL, 1, NULL);
    activity_destroy(NULL);
    struct activity *a = activity_create(0); /* capacity 0 means 1 */
    assert_null(activity_get(a, 0));
    activity_add_note(a, 1, NULL);
    assert_int_equal(activity_count(a), 0);
    activity_add_note(a, 1, "one");
    activity_add_note(a, 2, "two");
    assert_int_equal(activity_count(a), 1);
    assert_string_equal(activity_get(a, 0)->text, "two");
    assert_int_equal(activity_dropped(a), 1);
    activity_destroy(a);
}

static void test_ring_keeps_newest_in_order(void **state)
{
    (void)state;
    struct activity *a = activity_create(3);
    uint64_t g0 = activity_generation(a);
    char rid[8];
    for (int i = 0; i < 5; i++) {
        snprintf(rid, sizeof rid, "r%d", i);
        struct http_log_entry e = call("https://kv-a.vault.azure.net/keys", 200, rid);
        activity_add_call(a, 1000 + i, &e);
    }
    assert_true(activity_generation(a) > g0);
    assert_int_equal(activity_count(a), 3);
    assert_int_equal(activity_dropped(a), 2);
    assert_string_equal(activity_get(a, 0)->request_id, "r2");
    assert_string_equal(activity_get(a, 2)->request_id, "r4");
    assert_int_equal(activity_get(a, 2)->at_ms, 1004);
    assert_int_equal(activity_get(a, 2)->latency_ms, 12);
    assert_null(activity_get(a, 3));
    /* Counters cover dropped entries too. */
    assert_int_equal(activity_counts(a).calls, 5);
    assert_int_equal(activity_counts(a).ok, 5);
    activity_destroy(a);
}

static void test_counts_by_class_and_throttling(void **state)
{
    (void)state;
    struct activity *a = activity_create(100);
    long statuses[] = {200, 204, 404, 429, 429, 503, 0};
    const char *urls[] = {"https://kv-a.vault.azure.net/keys", "https://kv-a.vault.azure.net/keys",
                          "https://management.azure.com/x",    "https://KV-A.vault.azure.net:443/k",
                          "https://kv-b.vault.azure.net/k",    "https://management.azure.com/x",
                          "https://kv-a.vault.azure.net/keys"};
    for (size_t i = 0; i < 7; i++) {
        struct http_log_entry e = call(urls[i], statuses[i], NULL);
        activity_add_call(a, 100 * (int64_t)i, &e);
    }
    activity_add_note(a, 800, "refresh requested");
    struct activity_counts c = activity_counts(a);
    assert_int_equal(c.calls, 7);
    assert_int_equal(c.ok, 2);
    assert_int_equal(c.client, 1);
    assert_int_equal(c.throttled, 2);
    assert_int_equal(c.server, 1);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.last_throttled_ms, 400);
    assert_int_equal(activity_throttled_since(a, "kv-a.vault.azure.net", 0), 1);
    assert_int_equal(activity_throttled_since(a, "kv-b.vault.azure.net", 0), 1);
    assert_int_equal(activity_throttled_since(a, "kv-b.vault.azure.net", 500), 0);
    assert_int_equal(activity_throttled_since(a, "kv", 0), 0); /* whole host only */
    assert_int_equal(activity_get(a, 7)->kind, ACTIVITY_NOTE);
    activity_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_ring_keeps_newest_in_order),
        cmocka_unit_test(test_counts_by_class_and_throttling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
