/*
 * Unit tests for sim/policy: ISO 8601 durations (malformed first), the PUT
 * rules of KeyRotationPolicy, the answer's two forms (service default and a
 * set policy, checked against the official 2025-07-01 example) and when a
 * Rotate action falls due.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "policy.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DAY      (INT64_C(86400))

#define EXAMPLES TDECTL_SHARED_DIR "/azure-examples/keyvault-data/2025-07-01"

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            text = realloc(text, cap);
            assert_non_null(text);
        }
        size_t n = fread(text + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    cJSON *json = cJSON_ParseWithLength(text, len);
    free(text);
    if (json == NULL)
        fail_msg("%s is not JSON", path);
    return json;
}

static cJSON *parse(const char *text)
{
    cJSON *json = cJSON_Parse(text);
    if (json == NULL)
        fail_msg("test JSON does not parse: %s", text);
    return json;
}

/* policy_from_json on a JSON text; returns the rc and frees the cause. */
static int from_text(const char *text, struct rotation_policy *out, char **cause)
{
    cJSON *body = parse(text);
    int rc = policy_from_json(body, out, cause);
    cJSON_Delete(body);
    return rc;
}

static void assert_policy_refused(const char *text, const char *needle)
{
    struct rotation_policy p;
    char *cause = NULL;

    if (from_text(text, &p, &cause) != -1)
        fail_msg("policy accepted: %s", text);
    assert_non_null(cause);
    if (needle && strstr(cause, needle) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\" (body %s)", cause, needle, text);
    free(cause);
}

static void assert_policy_accepted(const char *text, struct rotation_policy *p)
{
    char *cause = NULL;

    if (from_text(text, p, &cause) != 0)
        fail_msg("policy refused (%s): %s", cause ? cause : "no cause", text);
    assert_null(cause);
    assert_true(p->set);
}

static void test_duration_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "P",
        "90D",
        "P-1D",
        "PT",
        "P1DT",
        "P1D1Y",
        "P1Y1Y",
        "P1M1Y",
        "P1D1W",
        "PT1S1H",
        "PT1H1H",
        "P1",
        "P1H",
        "PT1D",
        "PT1Y",
        "P1DT1D",
        "P0D",
        "PT0S",
        "P0Y0M0DT0H0M0S",
        "P 1D",
        "P1D ",
        " P1D",
        "P+1D",
        "P1X",
        "PD",
        "P1TD",
        "P1DTT1H",
        "P99999999999999999999D",
        "P9223372036854775807D",
        "PT99999999999999999999999999999999S",
        "P1000000000Y",
    };
    assert_int_equal(iso_duration_seconds(NULL), -1);
    for (size_t i = 0; i < COUNT(bad); i++) {
        int64_t s = iso_duration_seconds(bad[i]);
        if (s != -1)
            fail_msg("\"%s\" gave %lld, expected -1", bad[i], (long long)s);
    }
}

static void test_duration_values(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t seconds;
    } v[] = {
        {"P90D", 90 * DAY},
        {"P1Y", 365 * DAY},
        {"P2Y", 730 * DAY},
        {"P2M", 60 * DAY},
        {"P1W", 7 * DAY},
        {"P2W", 14 * DAY},
        {"PT36H", 36 * 3600},
        {"PT1M", 60},
        {"P1M", 30 * DAY},
        {"PT1S", 1},
        {"P1Y2M3DT4H5M6S", 365 * DAY + 60 * DAY + 3 * DAY + 4 * 3600 + 5 * 60 + 6},
        {"P1YT1S", 365 * DAY + 1},
        {"P0DT1H", 3600},
        {"P28D", 28 * DAY},
        {"P007D", 7 * DAY},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        int64_t s = iso_duration_seconds(v[i].text);
        if (s != v[i].seconds)
            fail_msg("\"%s\" gave %lld, expected %lld", v[i].text, (long long)s,
                     (long long)v[i].seconds);
    }
}

static void test_from_json_not_an_object(void **state)
{
    (void)state;
    struct rotation_policy p;
    char *cause = NULL;

    assert_int_equal(policy_from_json(NULL, &p, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_false(p.set);

    assert_policy_refused("[]", NULL);
    assert_policy_refused("\"P90D\"", NULL);
    assert_policy_refused("42", NULL);
    assert_policy_refused("null", NULL);
    assert_policy_refused("true", NULL);

    /* A NULL cause pointer is allowed: the caller only wants the verdict. */
    cJSON *body = parse("[]");
    assert_int_equal(policy_from_json(body, &p, NULL), -1);
    cJSON_Delete(body);
}

static void test_from_json_example(void **state)
{
    (void)state;
    cJSON *example = read_json(EXAMPLES "/UpdateKeyRotationPolicy-example.json");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(example, "parameters");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(params, "keyRotationPolicy");
    struct rotation_policy p;
    char *cause = NULL;

    assert_non_null(body);
    assert_int_equal(policy_from_json(body, &p, &cause), 0);
    assert_null(cause);
    assert_true(p.set);
    assert_int_equal(p.nactions, 2);
    assert_true(p.actions[0].rotate);
    assert_true(p.actions[0].after_create);
    assert_string_equal(p.actions[0].duration, "P90D");
    assert_int_equal(p.actions[0].seconds, 90 * DAY);
    assert_false(p.actions[1].rotate);
    assert_false(p.actions[1].after_create);
    assert_string_equal(p.actions[1].duration, "P30D");
    assert_int_equal(p.actions[1].seconds, 30 * DAY);
    assert_string_equal(p.expiry, "P2Y");
    assert_int_equal(p.expiry_seconds, 730 * DAY);

    /* The answer, with the example's timestamps, is the example's response body. */
    const cJSON *responses = cJSON_GetObjectItemCaseSensitive(example, "responses");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(responses, "200"), "body");
    assert_non_null(expected);
    p.created = 1482188947;
    p.updated = 1482188948;
    cJSON *json =
        policy_to_json(&p, "https://myvault.vault.azure.net/keys/updateKey01/rotationpolicy");
    if (!cJSON_Compare(json, expected, 1)) {
        char *got = cJSON_PrintUnformatted(json);
        char *want = cJSON_PrintUnformatted(expected);
        fail_msg("policy_to_json gave %s, the example answers %s", got, want);
    }
    cJSON_Delete(json);
    cJSON_Delete(example);
}

static void test_from_json_minimal_forms(void **state)
{
    (void)state;
    struct rotation_policy p;

    /* An empty policy is a set policy with no actions. */
    assert_policy_accepted("{}", &p);
    assert_int_equal(p.nactions, 0);
    assert_string_equal(p.expiry, "");

    assert_policy_accepted("{\"lifetimeActions\": null, \"attributes\": null}", &p);
    assert_int_equal(p.nactions, 0);

    assert_policy_accepted("{\"lifetimeActions\": [], \"attributes\": {}}", &p);
    assert_int_equal(p.nactions, 0);

    /* A null trigger member counts as absent. */
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": null, "
                           "\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Notify\"}}],"
                           " \"attributes\": {\"expiryTime\": \"P1Y\"}}",
                           &p);
    assert_int_equal(p.nactions, 1);
    assert_false(p.actions[0].after_create);

    /* The caller's spelling of a duration is kept. */
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P13W\"}, "
                           "\"action\": {\"type\": \"Rotate\"}}], "
                           "\"attributes\": {\"expiryTime\": \"P1Y2M\"}}",
                           &p);
    assert_string_equal(p.actions[0].duration, "P13W");
    assert_int_equal(p.actions[0].seconds, 91 * DAY);
    assert_string_equal(p.expiry, "P1Y2M");
    assert_int_equal(p.expiry_seconds, 425 * DAY);
}

static void test_from_json_limits(void **state)
{
    (void)state;
    struct rotation_policy p;

    /* expiryTime: at least P28D. */
    assert_policy_refused("{\"attributes\": {\"expiryTime\": \"P27D\"}}", "expiryTime");
    assert_policy_refused("{\"attributes\": {\"expiryTime\": \"P3W6D\"}, \"lifetimeActions\": []}",
                          "expiryTime");
    assert_policy_accepted("{\"attributes\": {\"expiryTime\": \"P28D\"}}", &p);
    assert_int_equal(p.expiry_seconds, 28 * DAY);
    assert_policy_refused("{\"attributes\": {\"expiryTime\": \"PT671H\"}}", "expiryTime");

    /* timeAfterCreate: at least P7D. */
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P6D\"}, "
                          "\"action\": {\"type\": \"Rotate\"}}]}",
                          "timeAfterCreate");
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": "
                          "\"P6DT23H59M59S\"}, \"action\": {\"type\": \"Rotate\"}}]}",
                          "timeAfterCreate");
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P7D\"}, "
                           "\"action\": {\"type\": \"Rotate\"}}]}",
                           &p);
    assert_int_equal(p.actions[0].seconds, 7 * DAY);

    /* timeBeforeExpiry: at least P7D and at most expiryTime - P7D. */
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P6D\"}, "
                          "\"action\": {\"type\": \"Notify\"}}], "
                          "\"attributes\": {\"expiryTime\": \"P90D\"}}",
                          "timeBeforeExpiry");
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P24D\"}, "
                          "\"action\": {\"type\": \"Rotate\"}}], "
                          "\"attributes\": {\"expiryTime\": \"P30D\"}}",
                          "timeBeforeExpiry");
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P1Y\"}, "
                          "\"action\": {\"type\": \"Notify\"}}], "
                          "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
                          "timeBeforeExpiry");
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P23D\"}, "
                           "\"action\": {\"type\": \"Rotate\"}}], "
                           "\"attributes\": {\"expiryTime\": \"P30D\"}}",
                           &p);
    assert_int_equal(p.actions[0].seconds, 23 * DAY);
}

static void test_from_json_actions(void **state)
{
    (void)state;
    struct rotation_policy p;

    /* Two Rotate (or two Notify) actions. */
    assert_policy_refused(
        "{\"lifetimeActions\": ["
        "{\"trigger\": {\"timeAfterCreate\": \"P90D\"}, \"action\": {\"type\": \"Rotate\"}},"
        "{\"trigger\": {\"timeAfterCreate\": \"P180D\"}, \"action\": {\"type\": \"Rotate\"}}]}",
        "Rotate");
    assert_policy_refused(
        "{\"lifetimeActions\": ["
        "{\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Notify\"}},"
        "{\"trigger\": {\"timeBeforeExpiry\": \"P20D\"}, \"action\": {\"type\": \"Notify\"}}],"
        "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
        "Notify");
    /* Three actions can never be valid. */
    assert_policy_refused(
        "{\"lifetimeActions\": ["
        "{\"trigger\": {\"timeAfterCreate\": \"P90D\"}, \"action\": {\"type\": \"Rotate\"}},"
        "{\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Notify\"}},"
        "{\"trigger\": {\"timeBeforeExpiry\": \"P20D\"}, \"action\": {\"type\": \"Notify\"}}],"
        "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
        NULL);
    assert_policy_refused("{\"lifetimeActions\": {}}", "lifetimeActions");
    assert_policy_refused("{\"lifetimeActions\": \"P90D\"}", "lifetimeActions");

    /* A trigger with both members, with neither, or none at all. */
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P90D\", "
                          "\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Rotate\"}}],"
                          "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
                          "exactly one");
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {}, "
                          "\"action\": {\"type\": \"Rotate\"}}]}",
                          "exactly one");
    assert_policy_refused("{\"lifetimeActions\": [{\"action\": {\"type\": \"Rotate\"}}]}", NULL);
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P90D\"}}]}",
                          NULL);
    assert_policy_refused("{\"lifetimeActions\": [42]}", NULL);

    /* Unknown or mistyped action types, malformed durations. */
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P90D\"}, "
                          "\"action\": {\"type\": \"Delete\"}}]}",
                          "Delete");
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P90D\"}, "
                          "\"action\": {\"type\": 1}}]}",
                          NULL);
    assert_policy_refused(
        "{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"90 days\"}, "
        "\"action\": {\"type\": \"Rotate\"}}]}",
        "timeAfterCreate");
    assert_policy_refused("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": 90}, "
                          "\"action\": {\"type\": \"Rotate\"}}]}",
                          "timeAfterCreate");
    assert_policy_refused("{\"attributes\": {\"expiryTime\": \"2 years\"}}", "expiryTime");
    assert_policy_refused("{\"attributes\": {\"expiryTime\": 730}}", "expiryTime");
    assert_policy_refused("{\"attributes\": {\"expiryTime\": \"P00000000000000000000000001Y\"}}",
                          "expiryTime");
    assert_policy_refused("{\"attributes\": []}", "attributes");

    /* One of each is fine, in either order. */
    assert_policy_accepted(
        "{\"lifetimeActions\": ["
        "{\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Notify\"}},"
        "{\"trigger\": {\"timeAfterCreate\": \"P90D\"}, \"action\": {\"type\": \"Rotate\"}}],"
        "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
        &p);
    assert_int_equal(p.nactions, 2);
    assert_false(p.actions[0].rotate);
    assert_true(p.actions[1].rotate);
}

static void test_to_json_default(void **state)
{
    (void)state;
    struct rotation_policy p;
    memset(&p, 0, sizeof p);

    cJSON *json = policy_to_json(&p, "https://kv.vault.azure.net/keys/k/rotationpolicy");
    cJSON *expected = parse("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": "
                            "\"P30D\"}, \"action\": {\"type\": \"Notify\"}}], "
                            "\"attributes\": null}");
    if (!cJSON_Compare(json, expected, 1)) {
        char *got = cJSON_PrintUnformatted(json);
        fail_msg("default policy answered as %s", got);
    }
    assert_null(cJSON_GetObjectItemCaseSensitive(json, "id"));
    cJSON_Delete(expected);
    cJSON_Delete(json);
}

static void test_to_json_set(void **state)
{
    (void)state;
    struct rotation_policy p;

    /* A set policy without expiry or actions still has id and timestamps. */
    assert_policy_accepted("{}", &p);
    p.created = 1700000000;
    p.updated = 1700000100;
    cJSON *json = policy_to_json(&p, "https://kv.vault.azure.net/keys/k/rotationpolicy");
    cJSON *expected = parse("{\"id\": \"https://kv.vault.azure.net/keys/k/rotationpolicy\", "
                            "\"lifetimeActions\": [], \"attributes\": {\"created\": 1700000000, "
                            "\"updated\": 1700000100}}");
    if (!cJSON_Compare(json, expected, 1)) {
        char *got = cJSON_PrintUnformatted(json);
        fail_msg("set policy answered as %s", got);
    }
    cJSON_Delete(expected);
    cJSON_Delete(json);

    /* Spelling survives the round trip; a re-parse gives the same policy. */
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P2W\"}, "
                           "\"action\": {\"type\": \"Rotate\"}}], "
                           "\"attributes\": {\"expiryTime\": \"P3M\"}}",
                           &p);
    json = policy_to_json(&p, "x");
    struct rotation_policy again;
    char *cause = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(json, "id");
    assert_int_equal(policy_from_json(json, &again, &cause), 0);
    assert_int_equal(again.nactions, 1);
    assert_string_equal(again.actions[0].duration, "P2W");
    assert_true(again.actions[0].rotate);
    assert_string_equal(again.expiry, "P3M");
    cJSON_Delete(json);
}

static void test_rotation_due(void **state)
{
    (void)state;
    struct rotation_policy p;
    const int64_t created = 1700000000, exp = created + 365 * DAY;

    /* The default policy and a Notify-only policy never rotate. */
    memset(&p, 0, sizeof p);
    assert_int_equal(policy_rotation_due(&p, created, exp), 0);
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, "
                           "\"action\": {\"type\": \"Notify\"}}]}",
                           &p);
    assert_int_equal(policy_rotation_due(&p, created, exp), 0);
    assert_policy_accepted("{}", &p);
    assert_int_equal(policy_rotation_due(&p, created, exp), 0);

    /* After create: expiry does not matter. */
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeAfterCreate\": \"P90D\"}, "
                           "\"action\": {\"type\": \"Rotate\"}}]}",
                           &p);
    assert_int_equal(policy_rotation_due(&p, created, exp), created + 90 * DAY);
    assert_int_equal(policy_rotation_due(&p, created, 0), created + 90 * DAY);

    /* Before expiry: only for a key that expires. */
    assert_policy_accepted("{\"lifetimeActions\": [{\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, "
                           "\"action\": {\"type\": \"Rotate\"}}], "
                           "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
                           &p);
    assert_int_equal(policy_rotation_due(&p, created, exp), exp - 30 * DAY);
    assert_int_equal(policy_rotation_due(&p, created, 0), 0);

    /* Rotate after a Notify in the list is still found. */
    assert_policy_accepted(
        "{\"lifetimeActions\": ["
        "{\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Notify\"}},"
        "{\"trigger\": {\"timeAfterCreate\": \"PT168H\"}, \"action\": {\"type\": \"Rotate\"}}],"
        "\"attributes\": {\"expiryTime\": \"P1Y\"}}",
        &p);
    assert_int_equal(policy_rotation_due(&p, created, exp), created + 7 * DAY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_malformed),
        cmocka_unit_test(test_duration_values),
        cmocka_unit_test(test_from_json_not_an_object),
        cmocka_unit_test(test_from_json_example),
        cmocka_unit_test(test_from_json_minimal_forms),
        cmocka_unit_test(test_from_json_limits),
        cmocka_unit_test(test_from_json_actions),
        cmocka_unit_test(test_to_json_default),
        cmocka_unit_test(test_to_json_set),
        cmocka_unit_test(test_rotation_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
