/*
 * Unit tests for sim/key: name and version-id rules (degenerate first), the
 * soft-delete state machine computed from explicit clocks, when a version is
 * unusable, key_ops JSON, and version bookkeeping (tags: test_tags.c).
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

#include "key.h"
#include "rsakey.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NOW      INT64_C(1750000000)

static struct rsakey *material;

static int group_setup(void **state)
{
    (void)state;
    material = rsakey_generate(2048, 65537, NULL);
    return material ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    rsakey_unref(material);
    return 0;
}

static cJSON *parse(const char *text)
{
    cJSON *json = cJSON_Parse(text);
    if (json == NULL)
        fail_msg("test JSON does not parse: %s", text);
    return json;
}

static void test_name_valid(void **state)
{
    (void)state;
    char name[200];

    static const char *const bad[] = {
        "",    "a_b", "a b", "a.b", "a/b", "key!", "-\n",  "k\t",  "\xc3\xa9t\xc3\xa9",
        "%41", "a:b", "a+b", "a=b", "a?b", "a#b",  "a\\b", "a\"b", "a~b",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (key_name_valid(bad[i]))
            fail_msg("key_name_valid(\"%s\") is true", bad[i]);
    }
    static const char *const good[] = {"a",      "Z",    "0", "-", "a-b", "tde-protector-2025",
                                       "ABC123", "--x--"};
    for (size_t i = 0; i < COUNT(good); i++) {
        if (!key_name_valid(good[i]))
            fail_msg("key_name_valid(\"%s\") is false", good[i]);
    }

    memset(name, 'k', 127);
    name[127] = '\0';
    assert_true(key_name_valid(name));
    name[126] = '_';
    assert_false(key_name_valid(name));
    memset(name, 'k', 128);
    name[128] = '\0';
    assert_false(key_name_valid(name));
    memset(name, 'k', 199);
    name[199] = '\0';
    assert_false(key_name_valid(name));
}

static void test_version_id_valid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "0",
        "0123456789abcdef0123456789abcde",   /* 31 */
        "0123456789abcdef0123456789abcdef0", /* 33 */
        "0123456789abcdef0123456789abcdeg",
        "0123456789abcdef-123456789abcdef",
        "0123456789abcdef 123456789abcdef",
        " 0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcde ",
        "be840004-f761-4e71-a527-46bd5d8bd374",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (key_version_id_valid(bad[i]))
            fail_msg("key_version_id_valid(\"%s\") is true", bad[i]);
    }
    assert_true(key_version_id_valid("0123456789abcdef0123456789abcdef"));
    assert_true(key_version_id_valid("be840004f7614e71a52746bd5d8bd374"));
    assert_true(key_version_id_valid("00000000000000000000000000000000"));
    assert_true(key_version_id_valid("ffffffffffffffffffffffffffffffff"));
}

static void test_version_id_random(void **state)
{
    (void)state;
    char prev[KEY_VERSION_ID] = "";

    for (int round = 0; round < 64; round++) {
        char id[KEY_VERSION_ID];
        memset(id, 'X', sizeof id);
        key_version_id_random(id);
        assert_int_equal(strlen(id), 32);
        for (size_t i = 0; i < 32; i++) {
            if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
                fail_msg("random id %s has a character outside [0-9a-f]", id);
        }
        assert_true(key_version_id_valid(id));
        assert_string_not_equal(id, prev);
        memcpy(prev, id, sizeof id);
    }
}

static void test_state(void **state)
{
    (void)state;
    struct key *key = key_create("k");
    const int64_t mono = 100000;

    /* Live, never deleted. */
    assert_int_equal(key_state(key, mono, NOW), KEY_LIVE);
    assert_int_equal(key_state(key, 0, 0), KEY_LIVE);

    /* Deleted at NOW, 90 days of retention, 1.5 s of transition. */
    key->deleted = true;
    key->deleted_date = NOW;
    key->scheduled_purge = NOW + 90 * 86400;
    key->transition_until = mono + 1500;
    assert_int_equal(key_state(key, mono, NOW), KEY_DELETING);
    assert_int_equal(key_state(key, mono + 1499, NOW), KEY_DELETING);
    assert_int_equal(key_state(key, mono + 1500, NOW), KEY_DELETED);
    assert_int_equal(key_state(key, mono + 60000, NOW + 89 * 86400), KEY_DELETED);
    assert_int_equal(key_state(key, mono + 60000, NOW + 90 * 86400 - 1), KEY_DELETED);
    assert_int_equal(key_state(key, mono + 60000, NOW + 90 * 86400), KEY_PURGED);
    assert_int_equal(key_state(key, mono + 60000, NOW + 1000 * 86400), KEY_PURGED);
    /* While the delete is still settling, the purge date does not apply yet. */
    assert_int_equal(key_state(key, mono, NOW + 90 * 86400), KEY_DELETING);

    /* No purge date: deleted forever. */
    key->scheduled_purge = 0;
    assert_int_equal(key_state(key, mono + 60000, NOW + 10000 * 86400), KEY_DELETED);

    /* Recover: stored live again, half-way for the transition window. */
    key->deleted = false;
    key->transition_until = mono + 70000;
    assert_int_equal(key_state(key, mono + 60000, NOW), KEY_RECOVERING);
    assert_int_equal(key_state(key, mono + 69999, NOW), KEY_RECOVERING);
    assert_int_equal(key_state(key, mono + 70000, NOW), KEY_LIVE);
    /* A live key is never purged. */
    key->scheduled_purge = NOW;
    assert_int_equal(key_state(key, mono + 70000, NOW + 86400), KEY_LIVE);
    key_destroy(key);
    key_destroy(NULL);
}

static void test_unusable(void **state)
{
    (void)state;
    struct key_version v;
    const char *what = NULL;

    memset(&v, 0, sizeof v);
    v.enabled = true;
    assert_null(key_version_unusable(&v, NOW, &what));

    v.enabled = false;
    assert_string_equal(key_version_unusable(&v, NOW, &what), "KeyDisabled");
    assert_non_null(what);
    v.enabled = true;

    what = NULL;
    v.exp = NOW;
    assert_string_equal(key_version_unusable(&v, NOW, &what), "KeyExpired");
    assert_non_null(what);
    assert_string_equal(key_version_unusable(&v, NOW + 1, &what), "KeyExpired");
    assert_null(key_version_unusable(&v, NOW - 1, &what));
    v.exp = 0;

    what = NULL;
    v.nbf = NOW + 1;
    assert_string_equal(key_version_unusable(&v, NOW, &what), "KeyNotYetValid");
    assert_non_null(what);
    assert_null(key_version_unusable(&v, NOW + 1, &what));
    assert_null(key_version_unusable(&v, NOW + 100, &what));

    /* Inside [nbf, exp). */
    v.nbf = NOW - 10;
    v.exp = NOW + 10;
    assert_null(key_version_unusable(&v, NOW, &what));
    assert_string_equal(key_version_unusable(&v, NOW + 10, &what), "KeyExpired");
    assert_string_equal(key_version_unusable(&v, NOW - 11, &what), "KeyNotYetValid");
    /* Disabled wins over the dates. */
    v.enabled = false;
    assert_string_equal(key_version_unusable(&v, NOW + 10, &what), "KeyDisabled");
}

static void test_keyops_from_json_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "null",
        "{}",
        "\"wrapKey\"",
        "42",
        "[42]",
        "[null]",
        "[\"wrapKey\", 1]",
        "[\"fly\"]",
        "[\"wrapKey\", \"\"]",
        "[[\"sign\"]]",
        "[\"wrapKey\", \"fly\"]",
        "[\"wrap\"]",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        cJSON *j = parse(bad[i]);
        unsigned ops = 0xdead;
        char *cause = NULL;
        if (keyops_from_json(j, &ops, &cause) != -1)
            fail_msg("keyops_from_json accepted %s", bad[i]);
        assert_non_null(cause);
        assert_int_equal(ops, 0xdead);
        free(cause);
        cJSON_Delete(j);
    }
    unsigned ops = 0;
    char *cause = NULL;
    assert_int_equal(keyops_from_json(NULL, &ops, &cause), -1);
    free(cause);
}

static void test_keyops_json(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        unsigned ops;
    } v[] = {
        {"[]", 0},
        {"[\"wrapKey\", \"unwrapKey\"]", KEYOP_WRAP | KEYOP_UNWRAP},
        {"[\"unwrapKey\", \"wrapKey\", \"wrapKey\"]", KEYOP_WRAP | KEYOP_UNWRAP},
        {"[\"encrypt\", \"decrypt\", \"sign\", \"verify\", \"wrapKey\", \"unwrapKey\"]",
         KEYOP_RSA_DEFAULT},
        {"[\"import\", \"export\"]", KEYOP_IMPORT | KEYOP_EXPORT},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        cJSON *j = parse(v[i].json);
        unsigned ops = 0xdead;
        char *cause = NULL;
        assert_int_equal(keyops_from_json(j, &ops, &cause), 0);
        assert_null(cause);
        assert_int_equal(ops, v[i].ops);
        cJSON_Delete(j);
    }

    /* The service's order, whatever the input order. */
    cJSON *out = keyops_to_json(KEYOP_RSA_DEFAULT);
    char *text = cJSON_PrintUnformatted(out);
    assert_string_equal(text,
                        "[\"encrypt\",\"decrypt\",\"sign\",\"verify\",\"wrapKey\",\"unwrapKey\"]");
    free(text);
    cJSON_Delete(out);
    out = keyops_to_json(0);
    assert_true(cJSON_IsArray(out));
    assert_int_equal(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);

    /* Every combination of the eight operations survives a round trip. */
    for (unsigned mask = 0; mask < 256; mask++) {
        cJSON *j = keyops_to_json(mask);
        unsigned ops = 0;
        assert_int_equal(cJSON_GetArraySize(j), __builtin_popcount(mask));
        assert_int_equal(keyops_from_json(j, &ops, NULL), 0);
        assert_int_equal(ops, mask);
        cJSON_Delete(j);
    }
    assert_int_equal(keyop_parse("wrapKey"), KEYOP_WRAP);
    assert_int_equal(keyop_parse("export"), KEYOP_EXPORT);
    assert_int_equal(keyop_parse(""), 0);
    assert_int_equal(keyop_parse("wrapkey2"), 0);
}

static void test_versions(void **state)
{
    (void)state;
    struct key *key = key_create("Rotating-Key");

    assert_string_equal(key->name, "Rotating-Key");
    assert_null(key_latest(key));
    assert_null(key_find_version(key, "0123456789abcdef0123456789abcdef"));
    assert_null(key_find_version(key, ""));

    struct key_version *v1 = key_version_create(material, false, NOW - 100);
    struct key_version *v2 = key_version_create(material, true, NOW);
    assert_true(key_version_id_valid(v1->id));
    assert_string_not_equal(v1->id, v2->id);
    assert_true(v1->enabled);
    assert_int_equal(v1->ops, KEYOP_RSA_DEFAULT);
    assert_int_equal(v1->created, NOW - 100);
    assert_int_equal(v1->updated, NOW - 100);
    assert_int_equal(v1->nbf, 0);
    assert_int_equal(v1->exp, 0);
    assert_false(v1->hsm);
    assert_true(v2->hsm);
    assert_ptr_equal(v1->material, material);

    key_add_version(key, v1);
    assert_ptr_equal(key_latest(key), v1);
    key_add_version(key, v2);
    assert_ptr_equal(key_latest(key), v2);
    assert_int_equal(key->nversions, 2);
    assert_ptr_equal(key_find_version(key, v1->id), v1);

    /* Version ids compare ignoring case. */
    char upper[KEY_VERSION_ID];
    for (size_t i = 0; i < KEY_VERSION_ID; i++)
        upper[i] = (char)(v1->id[i] >= 'a' && v1->id[i] <= 'f' ? v1->id[i] - 32 : v1->id[i]);
    assert_ptr_equal(key_find_version(key, upper), v1);
    upper[5] = upper[5] == '0' ? '1' : '0';
    assert_null(key_find_version(key, upper));

    /* A clone is deep for tags and shares (a reference to) the material. */
    cJSON *t = parse("{\"purpose\": \"tde\"}");
    assert_int_equal(tags_from_json(t, &v1->tags, NULL), 0);
    cJSON_Delete(t);
    struct key_version *c = key_version_clone(v1);
    assert_string_equal(c->id, v1->id);
    assert_ptr_equal(c->material, material);
    assert_int_equal(c->tags.n, 1);
    assert_ptr_not_equal(c->tags.v, v1->tags.v);
    assert_string_equal(c->tags.v[0].value, "tde");
    key_destroy(key);
    /* The clone outlives the key it came from. */
    assert_string_equal(c->tags.v[0].name, "purpose");
    assert_int_equal(rsakey_bits(c->material), 2048);
    key_version_destroy(c);
    key_version_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),        cmocka_unit_test(test_version_id_valid),
        cmocka_unit_test(test_version_id_random), cmocka_unit_test(test_state),
        cmocka_unit_test(test_unusable),          cmocka_unit_test(test_keyops_from_json_bad),
        cmocka_unit_test(test_keyops_json),       cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
