/*
 * Unit tests for sim/tags: Key Vault's rules (degenerate inputs first, then
 * the limits), ARM's rules with their error codes, and the set operations
 * (find, set, remove) with ARM's case-insensitive names.
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

#include "tags.h"

static cJSON *parse(const char *text)
{
    cJSON *json = cJSON_Parse(text);
    if (json == NULL)
        fail_msg("test JSON does not parse: %s", text);
    return json;
}

/* An object with n tags named t0..t(n-1). */
static cJSON *n_tags(int n)
{
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        cJSON_AddStringToObject(obj, name, "v");
    }
    return obj;
}

static void assert_tags_refused(cJSON *obj)
{
    struct tags tags = {(struct tag *)&tags, 99};
    char *cause = NULL;
    if (tags_from_json(obj, &tags, &cause) != -1) {
        char *text = cJSON_PrintUnformatted(obj);
        fail_msg("tags accepted: %.200s", text);
    }
    assert_non_null(cause);
    assert_null(tags.v);
    assert_int_equal(tags.n, 0);
    free(cause);
    cJSON_Delete(obj);
}

static void test_tags_refused(void **state)
{
    (void)state;
    char big[600];

    assert_tags_refused(parse("[]"));
    assert_tags_refused(parse("\"a=b\""));
    assert_tags_refused(parse("5"));
    assert_tags_refused(n_tags(16));
    assert_tags_refused(n_tags(40));
    /* Non-string values, including after good ones. */
    assert_tags_refused(parse("{\"a\": 1}"));
    assert_tags_refused(parse("{\"a\": \"x\", \"b\": null}"));
    assert_tags_refused(parse("{\"a\": \"x\", \"b\": true}"));
    assert_tags_refused(parse("{\"a\": \"x\", \"b\": {\"c\": \"d\"}}"));
    assert_tags_refused(parse("{\"a\": [\"x\"]}"));

    /* 513-character name, 257-character value. */
    memset(big, 'n', 513);
    big[513] = '\0';
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "ok", "fine");
    cJSON_AddStringToObject(obj, big, "v");
    assert_tags_refused(obj);
    big[257] = '\0';
    obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "ok", big);
    assert_tags_refused(obj);
}

static void test_tags_accepted(void **state)
{
    (void)state;
    struct tags tags, copy = {NULL, 0};
    char *cause = NULL;
    char big[600];

    cJSON *null = parse("null");
    assert_int_equal(tags_from_json(null, &tags, &cause), 0);
    assert_int_equal(tags.n, 0);
    assert_null(tags.v);
    cJSON_Delete(null);

    cJSON *empty = parse("{}");
    assert_int_equal(tags_from_json(empty, &tags, &cause), 0);
    assert_int_equal(tags.n, 0);
    cJSON_Delete(empty);

    /* 15 tags, a 512-character name and a 256-character value: the limits. */
    cJSON *obj = n_tags(14);
    memset(big, 'n', 512);
    big[512] = '\0';
    char value[257];
    memset(value, 'v', 256);
    value[256] = '\0';
    cJSON_AddStringToObject(obj, big, value);
    assert_int_equal(cJSON_GetArraySize(obj), 15);
    assert_int_equal(tags_from_json(obj, &tags, &cause), 0);
    assert_null(cause);
    assert_int_equal(tags.n, 15);
    assert_string_equal(tags.v[0].name, "t0");
    assert_string_equal(tags.v[0].value, "v");
    assert_string_equal(tags.v[14].name, big);
    assert_string_equal(tags.v[14].value, value);

    /* to_json gives the same object; copy is deep. */
    cJSON *back = tags_to_json(&tags);
    assert_true(cJSON_Compare(back, obj, 1));
    cJSON_Delete(back);
    cJSON_Delete(obj);
    tags_copy(&copy, &tags);
    assert_int_equal(copy.n, 15);
    assert_ptr_not_equal(copy.v[3].name, tags.v[3].name);
    assert_string_equal(copy.v[3].name, tags.v[3].name);
    tags_clear(&tags);
    assert_int_equal(tags.n, 0);
    assert_null(tags.v);
    assert_string_equal(copy.v[14].value, value);
    /* Copy onto a non-empty set replaces it; copying an empty set clears. */
    struct tags none = {NULL, 0};
    tags_copy(&copy, &none);
    assert_int_equal(copy.n, 0);
    assert_null(copy.v);
    tags_clear(&copy);

    back = tags_to_json(&copy);
    assert_true(cJSON_IsObject(back));
    assert_int_equal(cJSON_GetArraySize(back), 0);
    cJSON_Delete(back);
}

/* ARM refuses obj with code; *out stays empty and a cause is given. */
static void assert_arm_refused(cJSON *obj, const char *code)
{
    struct tags tags = {(struct tag *)&tags, 99};
    char *cause = NULL;
    const char *got = tags_from_json_arm(obj, &tags, &cause);
    if (got == NULL || strcmp(got, code) != 0) {
        char *text = cJSON_PrintUnformatted(obj);
        fail_msg("%.200s: %s, not %s", text, got ? got : "accepted", code);
    }
    assert_non_null(cause);
    assert_true(cause[0] != '\0');
    assert_null(tags.v);
    assert_int_equal(tags.n, 0);
    free(cause);
    cJSON_Delete(obj);
}

/* An object with one tag name -> value. */
static cJSON *one_tag(const char *name, const char *value)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, name, value);
    return obj;
}

static void test_arm_refused(void **state)
{
    (void)state;
    char big[700];

    assert_arm_refused(NULL, "InvalidRequestContent");
    assert_arm_refused(parse("null"), "InvalidRequestContent");
    assert_arm_refused(parse("[]"), "InvalidRequestContent");
    assert_arm_refused(parse("\"a=b\""), "InvalidRequestContent");
    assert_arm_refused(parse("{\"a\": 1}"), "InvalidRequestContent");
    assert_arm_refused(parse("{\"a\": \"x\", \"b\": null}"), "InvalidRequestContent");
    assert_arm_refused(parse("{\"a\": {\"b\": \"c\"}}"), "InvalidRequestContent");
    /* One name twice, in any case. */
    assert_arm_refused(parse("{\"Lock\": \"1\", \"lOCK\": \"2\"}"), "InvalidRequestContent");
    assert_arm_refused(n_tags(51), "InvalidTags");
    assert_arm_refused(n_tags(500), "InvalidTags");

    assert_arm_refused(one_tag("", "v"), "InvalidTagName");
    assert_arm_refused(one_tag(" \t ", "v"), "InvalidTagName");
    static const char reserved[] = "<>%&\\?/\x01\x1f\x7f\t";
    for (const char *c = reserved; *c; c++) {
        char name[8];
        snprintf(name, sizeof name, "a%cb", *c);
        assert_arm_refused(one_tag(name, "v"), "InvalidTagNameCharacters");
    }
    memset(big, 'n', 513);
    big[513] = '\0';
    assert_arm_refused(one_tag(big, "v"), "InvalidTagName");
    /* Lengths count characters: 257 two-byte characters are too long, 256 are not. */
    for (int i = 0; i < 257; i++)
        memcpy(big + 2 * i, "\xc3\xa9", 2);
    big[514] = '\0';
    assert_arm_refused(one_tag("n", big), "InvalidTagValueLength");
    /* A bad tag after good ones leaves nothing behind (the sanitizer checks the frees). */
    cJSON *obj = n_tags(10);
    cJSON_AddStringToObject(obj, "a?b", "v");
    assert_arm_refused(obj, "InvalidTagNameCharacters");
}

static void test_arm_accepted(void **state)
{
    (void)state;
    struct tags tags;
    char *cause = NULL;
    char name[1600], value[600];

    cJSON *empty = parse("{}");
    assert_null(tags_from_json_arm(empty, &tags, &cause));
    assert_int_equal(tags.n, 0);
    cJSON_Delete(empty);

    /* 50 tags; reserved characters are fine in values; "" is a value. */
    cJSON *obj = n_tags(48);
    cJSON_AddStringToObject(obj, "cost-center:eu.1 (x)", "<>%&\\?/");
    cJSON_AddStringToObject(obj, "empty", "");
    assert_null(tags_from_json_arm(obj, &tags, &cause));
    assert_null(cause);
    assert_int_equal(tags.n, 50);
    cJSON *back = tags_to_json(&tags);
    assert_true(cJSON_Compare(back, obj, 1));
    cJSON_Delete(back);
    cJSON_Delete(obj);
    tags_clear(&tags);

    /* 512 three-byte characters as a name, 256 two-byte characters as a value. */
    for (int i = 0; i < 512; i++)
        memcpy(name + 3 * i, "\xe2\x82\xac", 3);
    name[1536] = '\0';
    for (int i = 0; i < 256; i++)
        memcpy(value + 2 * i, "\xc3\xbc", 2);
    value[512] = '\0';
    assert_int_equal(tags_length(name), 512);
    assert_int_equal(tags_length(value), 256);
    assert_null(tags_check_arm(name, value, NULL));
    obj = one_tag(name, value);
    assert_null(tags_from_json_arm(obj, &tags, NULL));
    assert_int_equal(tags.n, 1);
    assert_string_equal(tags.v[0].value, value);
    tags_clear(&tags);
    cJSON_Delete(obj);
    assert_int_equal(tags_length("\xf0\x9f\x94\x92"), 2); /* beyond the BMP: two units */
    assert_int_equal(tags_length(""), 0);
    assert_string_equal(tags_check_arm("n", "", NULL) ? "refused" : "ok", "ok");
}

static void test_set_find_remove(void **state)
{
    (void)state;
    struct tags tags = {NULL, 0};

    assert_null(tags_find(&tags, "x"));
    assert_false(tags_remove(&tags, "x"));
    tags_set(&tags, "Env", "prod");
    tags_set(&tags, "lock", "op-1");
    assert_int_equal(tags.n, 2);
    assert_string_equal(tags_find(&tags, "ENV")->value, "prod");

    /* Setting an existing name (any case) replaces it, taking the new spelling. */
    tags_set(&tags, "ENV", "dr");
    assert_int_equal(tags.n, 2);
    assert_string_equal(tags.v[0].name, "ENV");
    assert_string_equal(tags.v[0].value, "dr");

    assert_true(tags_remove(&tags, "env"));
    assert_int_equal(tags.n, 1);
    assert_string_equal(tags.v[0].name, "lock");
    assert_false(tags_remove(&tags, "env"));
    assert_true(tags_remove(&tags, "LOCK"));
    assert_int_equal(tags.n, 0);
    assert_null(tags.v);
    tags_set(&tags, "again", "1");
    assert_int_equal(tags.n, 1);
    tags_clear(&tags);
    tags_clear(&tags); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags_refused),    cmocka_unit_test(test_tags_accepted),
        cmocka_unit_test(test_arm_refused),     cmocka_unit_test(test_arm_accepted),
        cmocka_unit_test(test_set_find_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
