/*
 * Unit tests for sim/jcheck: the path kept while descending, the first error
 * winning, every getter's missing / wrong-type / out-of-range answers, and the
 * relative time syntax of scenario files.
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

#include "jcheck.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NOW      INT64_C(1750000000)
#define DAY      INT64_C(86400)

static cJSON *parse(const char *text)
{
    cJSON *json = cJSON_Parse(text);
    if (json == NULL)
        fail_msg("test JSON does not parse: %s", text);
    return json;
}

static void assert_cause(struct jcheck *jc, const char *expected)
{
    if (jc->cause == NULL)
        fail_msg("no error recorded, expected \"%s\"", expected);
    if (strcmp(jc->cause, expected) != 0)
        fail_msg("cause \"%s\", expected \"%s\"", jc->cause, expected);
}

static void test_empty_path(void **state)
{
    (void)state;
    struct jcheck jc;

    jcheck_init(&jc, NOW);
    assert_string_equal(jc.path, "");
    assert_int_equal(jc.depth, 0);
    assert_null(jc.cause);
    assert_int_equal(jc.now, NOW);
    /* Popping past the top is harmless. */
    jcheck_pop(&jc);
    assert_int_equal(jc.depth, 0);
    assert_false(jcheck_fail(&jc, "the whole file is %s", "wrong"));
    assert_cause(&jc, "(top level): the whole file is wrong");
    jcheck_cleanup(&jc);
    assert_null(jc.cause);
    /* Cleanup twice is fine. */
    jcheck_cleanup(&jc);
}

static void test_path_building(void **state)
{
    (void)state;
    struct jcheck jc;

    jcheck_init(&jc, NOW);
    jcheck_push(&jc, "vaults");
    assert_string_equal(jc.path, "vaults");
    jcheck_push_index(&jc, 1);
    assert_string_equal(jc.path, "vaults[1]");
    jcheck_push(&jc, "keys");
    jcheck_push_index(&jc, 0);
    assert_string_equal(jc.path, "vaults[1].keys[0]");
    jcheck_push(&jc, "versions");
    jcheck_push_index(&jc, 12);
    assert_string_equal(jc.path, "vaults[1].keys[0].versions[12]");
    jcheck_pop(&jc);
    jcheck_pop(&jc);
    assert_string_equal(jc.path, "vaults[1].keys[0]");
    jcheck_pop(&jc);
    jcheck_pop(&jc);
    jcheck_pop(&jc);
    assert_string_equal(jc.path, "vaults");
    jcheck_pop(&jc);
    assert_string_equal(jc.path, "");
    /* A top-level index (an array file) has no leading dot. */
    jcheck_push_index(&jc, 3);
    jcheck_push(&jc, "name");
    assert_string_equal(jc.path, "[3].name");
    jcheck_pop(&jc);
    jcheck_pop(&jc);
    assert_string_equal(jc.path, "");
    jcheck_cleanup(&jc);
}

static void test_path_deep_and_long(void **state)
{
    (void)state;
    struct jcheck jc;
    char longname[700];

    /* Deeper than JCHECK_DEPTH: the path stays sane and comes back to empty. */
    jcheck_init(&jc, NOW);
    for (int i = 0; i < JCHECK_DEPTH + 8; i++)
        jcheck_push(&jc, "a");
    assert_true(strlen(jc.path) < sizeof jc.path);
    for (int i = 0; i < JCHECK_DEPTH + 8; i++)
        jcheck_pop(&jc);
    assert_string_equal(jc.path, "");
    assert_int_equal(jc.depth, 0);

    /* A field name longer than the path buffer is truncated, not overflowed. */
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    jcheck_push(&jc, "top");
    jcheck_push(&jc, longname);
    assert_true(strlen(jc.path) < sizeof jc.path);
    assert_false(jcheck_fail(&jc, "too long"));
    assert_non_null(jc.cause);
    jcheck_pop(&jc);
    assert_string_equal(jc.path, "top");
    jcheck_pop(&jc);
    assert_string_equal(jc.path, "");
    jcheck_cleanup(&jc);
}

static void test_first_error_wins(void **state)
{
    (void)state;
    struct jcheck jc;
    cJSON *obj = parse("{\"exp\": \"later\", \"n\": \"x\"}");
    int64_t t = 7;

    jcheck_init(&jc, NOW);
    jcheck_push(&jc, "vaults");
    jcheck_push_index(&jc, 1);
    jcheck_push(&jc, "keys");
    jcheck_push_index(&jc, 0);
    assert_false(jcheck_time(&jc, obj, "exp", &t));
    assert_int_equal(t, 7);
    assert_cause(&jc, "vaults[1].keys[0].exp: expected Unix seconds or a time such as \"now+90d\"");
    /* The getter restored the path. */
    assert_string_equal(jc.path, "vaults[1].keys[0]");
    int64_t n = 0;
    assert_false(jcheck_int(&jc, obj, "n", 0, 10, &n));
    assert_false(jcheck_fail(&jc, "later problem"));
    assert_cause(&jc, "vaults[1].keys[0].exp: expected Unix seconds or a time such as \"now+90d\"");
    jcheck_cleanup(&jc);
    cJSON_Delete(obj);
}

static void test_object(void **state)
{
    (void)state;
    static const char *const allowed[] = {"name", "size", "tags", NULL};
    static const char *const none[] = {NULL};
    struct jcheck jc;

    /* Not an object. */
    static const char *const not_objects[] = {"[]", "1", "\"x\"", "null", "true"};
    for (size_t i = 0; i < COUNT(not_objects); i++) {
        cJSON *j = parse(not_objects[i]);
        jcheck_init(&jc, NOW);
        jcheck_push(&jc, "settings");
        assert_false(jcheck_object(&jc, j, allowed));
        assert_cause(&jc, "settings: expected an object");
        jcheck_cleanup(&jc);
        cJSON_Delete(j);
    }
    jcheck_init(&jc, NOW);
    assert_false(jcheck_object(&jc, NULL, allowed));
    assert_cause(&jc, "(top level): expected an object");
    jcheck_cleanup(&jc);

    /* Empty object, known fields. */
    cJSON *j = parse("{}");
    jcheck_init(&jc, NOW);
    assert_true(jcheck_object(&jc, j, allowed));
    assert_true(jcheck_object(&jc, j, none));
    assert_null(jc.cause);
    jcheck_cleanup(&jc);
    cJSON_Delete(j);
    j = parse("{\"name\": 1, \"size\": 2, \"tags\": 3}");
    jcheck_init(&jc, NOW);
    assert_true(jcheck_object(&jc, j, allowed));
    assert_null(jc.cause);
    jcheck_cleanup(&jc);
    cJSON_Delete(j);

    /* Unknown field, named with its path; field names are case-sensitive. */
    j = parse("{\"name\": 1, \"Size\": 2}");
    jcheck_init(&jc, NOW);
    jcheck_push(&jc, "vaults");
    jcheck_push_index(&jc, 2);
    assert_false(jcheck_object(&jc, j, allowed));
    assert_cause(&jc, "vaults[2].Size: unknown field (check the spelling)");
    assert_string_equal(jc.path, "vaults[2]");
    jcheck_cleanup(&jc);
    cJSON_Delete(j);

    j = parse("{\"x\": 1}");
    jcheck_init(&jc, NOW);
    assert_false(jcheck_object(&jc, j, none));
    assert_cause(&jc, "x: unknown field (check the spelling)");
    jcheck_cleanup(&jc);
    cJSON_Delete(j);

    /* Duplicate field (cJSON keeps both members). */
    j = parse("{\"name\": \"a\", \"size\": 1, \"name\": \"b\"}");
    jcheck_init(&jc, NOW);
    jcheck_push(&jc, "materials");
    jcheck_push_index(&jc, 0);
    assert_false(jcheck_object(&jc, j, allowed));
    assert_cause(&jc, "materials[0].name: field given twice");
    jcheck_cleanup(&jc);
    cJSON_Delete(j);
}

static void test_array(void **state)
{
    (void)state;
    struct jcheck jc;
    cJSON *j = parse("{\"list\": [1, 2], \"empty\": [], \"obj\": {}, \"str\": \"[]\"}");
    const cJSON *out = (const cJSON *)j;

    jcheck_init(&jc, NOW);
    assert_true(jcheck_array(&jc, j, "missing", false, &out));
    assert_null(out);
    assert_true(jcheck_array(&jc, j, "list", true, &out));
    assert_int_equal(cJSON_GetArraySize(out), 2);
    assert_true(jcheck_array(&jc, j, "empty", true, &out));
    assert_int_equal(cJSON_GetArraySize(out), 0);
    assert_null(jc.cause);
    assert_false(jcheck_array(&jc, j, "missing", true, &out));
    assert_null(out);
    assert_cause(&jc, "missing: required field is missing");
    jcheck_cleanup(&jc);

    jcheck_init(&jc, NOW);
    jcheck_push(&jc, "v");
    assert_false(jcheck_array(&jc, j, "obj", false, &out));
    assert_null(out);
    assert_cause(&jc, "v.obj: expected an array");
    jcheck_cleanup(&jc);

    jcheck_init(&jc, NOW);
    assert_false(jcheck_array(&jc, j, "str", true, &out));
    assert_cause(&jc, "str: expected an array");
    jcheck_cleanup(&jc);
    cJSON_Delete(j);
}

static void test_string(void **state)
{
    (void)state;
    struct jcheck jc;
    cJSON *j = parse("{\"s\": \"hello\", \"e\": \"\", \"n\": 5, \"z\": null, \"b\": true, "
                     "\"a\": [\"x\"]}");
    const char *out = "untouched";

    jcheck_init(&jc, NOW);
    assert_true(jcheck_string(&jc, j, "missing", false, &out));
    assert_string_equal(out, "untouched");
    assert_true(jcheck_string(&jc, j, "s", true, &out));
    assert_string_equal(out, "hello");
    /* Empty is fine when optional. */
    assert_true(jcheck_string(&jc, j, "e", false, &out));
    assert_string_equal(out, "");
    assert_null(jc.cause);
    jcheck_cleanup(&jc);

    static const struct {
        const char *field;
        bool required;
        const char *cause;
    } bad[] = {
        {"missing", true, "t.missing: required field is missing"},
        {"e", true, "t.e: must not be empty"},
        {"n", false, "t.n: expected a string"},
        {"z", false, "t.z: expected a string"},
        {"b", true, "t.b: expected a string"},
        {"a", false, "t.a: expected a string"},
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        out = "untouched";
        jcheck_init(&jc, NOW);
        jcheck_push(&jc, "t");
        assert_false(jcheck_string(&jc, j, bad[i].field, bad[i].required, &out));
        assert_string_equal(out, "untouched");
        assert_cause(&jc, bad[i].cause);
        jcheck_cleanup(&jc);
    }
    cJSON_Delete(j);
}

static void test_bool(void **state)
{
    (void)state;
    struct jcheck jc;
    cJSON *j = parse("{\"t\": true, \"f\": false, \"s\": \"true\", \"n\": 1, \"z\": null}");
    bool out = true;

    jcheck_init(&jc, NOW);
    assert_true(jcheck_bool(&jc, j, "missing", &out));
    assert_true(out);
    assert_true(jcheck_bool(&jc, j, "f", &out));
    assert_false(out);
    assert_true(jcheck_bool(&jc, j, "t", &out));
    assert_true(out);
    static const char *const bad[] = {"s", "n", "z"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        jcheck_cleanup(&jc);
        jcheck_init(&jc, NOW);
        out = false;
        assert_false(jcheck_bool(&jc, j, bad[i], &out));
        assert_false(out);
        assert_non_null(jc.cause);
        assert_non_null(strstr(jc.cause, "expected true or false"));
        assert_int_equal(strncmp(jc.cause, bad[i], strlen(bad[i])), 0);
    }
    jcheck_cleanup(&jc);
    cJSON_Delete(j);
}

static void test_int(void **state)
{
    (void)state;
    struct jcheck jc;
    cJSON *j = parse("{\"lo\": 7, \"hi\": 90, \"below\": 6, \"above\": 91, \"neg\": -1, "
                     "\"frac\": 7.5, \"str\": \"8\", \"huge\": 1e300, \"nhuge\": -1e300, "
                     "\"big\": 9007199254740993, \"z\": null, \"b\": false, \"zero\": 0}");
    int64_t out = 42;

    jcheck_init(&jc, NOW);
    assert_true(jcheck_int(&jc, j, "missing", 7, 90, &out));
    assert_int_equal(out, 42);
    assert_true(jcheck_int(&jc, j, "lo", 7, 90, &out));
    assert_int_equal(out, 7);
    assert_true(jcheck_int(&jc, j, "hi", 7, 90, &out));
    assert_int_equal(out, 90);
    assert_true(jcheck_int(&jc, j, "neg", -5, 5, &out));
    assert_int_equal(out, -1);
    assert_true(jcheck_int(&jc, j, "zero", 0, 0, &out));
    assert_int_equal(out, 0);
    assert_null(jc.cause);
    jcheck_cleanup(&jc);

    static const char *const bad[] = {"below", "above", "neg", "frac", "str",
                                      "huge",  "nhuge", "big", "z",    "b"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        jcheck_init(&jc, NOW);
        jcheck_push(&jc, "vaults");
        jcheck_push_index(&jc, 0);
        out = 42;
        if (jcheck_int(&jc, j, bad[i], 7, 90, &out))
            fail_msg("jcheck_int accepted \"%s\" for 7..90 (got %lld)", bad[i], (long long)out);
        assert_int_equal(out, 42);
        char expected[128];
        snprintf(expected, sizeof expected, "vaults[0].%s: expected a whole number from 7 to 90",
                 bad[i]);
        assert_cause(&jc, expected);
        jcheck_cleanup(&jc);
    }
    cJSON_Delete(j);
}

static void test_enum(void **state)
{
    (void)state;
    static const char *const skus[] = {"standard", "premium", NULL};
    struct jcheck jc;
    cJSON *j = parse("{\"a\": \"premium\", \"b\": \"PREMIUM\", \"c\": \"Standard\", "
                     "\"d\": \"gold\", \"e\": \"\", \"f\": 1, \"g\": \"premium \"}");
    int out = -1;

    jcheck_init(&jc, NOW);
    assert_true(jcheck_enum(&jc, j, "missing", skus, &out));
    assert_int_equal(out, -1);
    assert_true(jcheck_enum(&jc, j, "a", skus, &out));
    assert_int_equal(out, 1);
    assert_true(jcheck_enum(&jc, j, "b", skus, &out));
    assert_int_equal(out, 1);
    assert_true(jcheck_enum(&jc, j, "c", skus, &out));
    assert_int_equal(out, 0);
    assert_null(jc.cause);
    jcheck_cleanup(&jc);

    static const char *const bad[] = {"d", "e", "g"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        jcheck_init(&jc, NOW);
        jcheck_push(&jc, "vaults");
        jcheck_push_index(&jc, 3);
        out = -1;
        assert_false(jcheck_enum(&jc, j, bad[i], skus, &out));
        assert_int_equal(out, -1);
        char expected[128];
        snprintf(expected, sizeof expected, "vaults[3].%s: expected one of: standard premium",
                 bad[i]);
        assert_cause(&jc, expected);
        jcheck_cleanup(&jc);
    }
    jcheck_init(&jc, NOW);
    assert_false(jcheck_enum(&jc, j, "f", skus, &out));
    assert_cause(&jc, "f: expected a string");
    jcheck_cleanup(&jc);
    cJSON_Delete(j);
}

static void test_parse_time(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "later",
        "now+d",
        "now+5",
        "now-",
        "now+",
        "now 5d",
        "now+5dd",
        "now+5x",
        "now+-5d",
        "now*2d",
        "nowish",
        "Now",
        "NOW+1d",
        " now",
        "now ",
        "now+5d ",
        "now+1.5d",
        "5d",
        "+5d",
        "now+5D",
        "tomorrow",
        "now+99999999999999999999y",
        "1700000000",
    };
    int64_t out = 123;

    for (size_t i = 0; i < COUNT(bad); i++) {
        out = 123;
        if (jcheck_parse_time(bad[i], NOW, &out) != -1)
            fail_msg("\"%s\" parsed (as %lld)", bad[i], (long long)out);
    }

    static const struct {
        const char *text;
        int64_t expect;
    } good[] = {
        {"now", NOW},
        {"now+0d", NOW},
        {"now+90d", NOW + 90 * DAY},
        {"now-30d", NOW - 30 * DAY},
        {"now-1y", NOW - 365 * DAY},
        {"now+2y", NOW + 730 * DAY},
        {"now+5s", NOW + 5},
        {"now+10m", NOW + 600},
        {"now-3h", NOW - 3 * 3600},
        {"now+2w", NOW + 14 * DAY},
        {"now-400d", NOW - 400 * DAY},
    };
    for (size_t i = 0; i < COUNT(good); i++) {
        out = 123;
        if (jcheck_parse_time(good[i].text, NOW, &out) != 0)
            fail_msg("\"%s\" refused", good[i].text);
        if (out != good[i].expect)
            fail_msg("\"%s\" gave %lld, expected %lld", good[i].text, (long long)out,
                     (long long)good[i].expect);
    }
}

static void test_time_field(void **state)
{
    (void)state;
    struct jcheck jc;
    cJSON *j = parse("{\"abs\": 1700000000, \"rel\": \"now-30d\", \"zero\": 0, \"neg\": -5, "
                     "\"far\": 1e15, \"bool\": true, \"bad\": \"yesterday\", \"null\": null}");
    int64_t out = 77;

    jcheck_init(&jc, NOW);
    assert_true(jcheck_time(&jc, j, "missing", &out));
    assert_int_equal(out, 77);
    assert_true(jcheck_time(&jc, j, "abs", &out));
    assert_int_equal(out, 1700000000);
    assert_true(jcheck_time(&jc, j, "rel", &out));
    assert_int_equal(out, NOW - 30 * DAY);
    assert_true(jcheck_time(&jc, j, "zero", &out));
    assert_int_equal(out, 0);
    assert_null(jc.cause);
    jcheck_cleanup(&jc);

    static const char *const bad[] = {"neg", "far", "bool", "bad", "null"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        jcheck_init(&jc, NOW);
        out = 77;
        assert_false(jcheck_time(&jc, j, bad[i], &out));
        assert_int_equal(out, 77);
        char expected[128];
        snprintf(expected, sizeof expected,
                 "%s: expected Unix seconds or a time such as \"now+90d\"", bad[i]);
        assert_cause(&jc, expected);
        jcheck_cleanup(&jc);
    }
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_path),
        cmocka_unit_test(test_path_building),
        cmocka_unit_test(test_path_deep_and_long),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_time_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
