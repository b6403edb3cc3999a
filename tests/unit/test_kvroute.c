/*
 * Unit tests for the Key Vault route table (sim/kvroute.c): paths the service
 * does not have and methods an operation does not allow first, then every
 * route, then api-version parsing and the operation table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvint.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define VER      "0123456789abcdef0123456789abcdef"

static void assert_route(const char *method, const char *path, enum kv_op op, const char *name,
                         const char *version)
{
    struct kv_route route;
    const char *code = NULL;
    char *message = NULL;

    int status = kv_route_parse(method, path, &route, &code, &message);
    if (status != 0)
        fail_msg("%s %s: %d %s %s", method, path, status, code ? code : "-",
                 message ? message : "-");
    assert_null(message);
    if (route.op != op)
        fail_msg("%s %s: op %d, expected %d", method, path, (int)route.op, (int)op);
    if (strcmp(route.name, name) != 0)
        fail_msg("%s %s: name \"%s\", expected \"%s\"", method, path, route.name, name);
    if (strcmp(route.version, version) != 0)
        fail_msg("%s %s: version \"%s\", expected \"%s\"", method, path, route.version, version);
}

/* Status and code must match; the message must contain `needle` (NULL: any). */
static void assert_refused(const char *method, const char *path, int status, const char *code,
                           const char *needle)
{
    struct kv_route route;
    const char *got_code = NULL;
    char *message = NULL;

    int got = kv_route_parse(method, path, &route, &got_code, &message);
    if (got != status)
        fail_msg("%s %s: status %d, expected %d (op %d)", method, path, got, status, (int)route.op);
    assert_non_null(got_code);
    assert_non_null(message);
    if (strcmp(got_code, code) != 0)
        fail_msg("%s %s: code %s, expected %s", method, path, got_code, code);
    if (needle && strstr(message, needle) == NULL)
        fail_msg("%s %s: message \"%s\" lacks \"%s\"", method, path, message, needle);
    free(message);
}

static void test_not_found(void **state)
{
    (void)state;
    assert_refused("GET", "", 404, "NotFound", NULL);
    assert_refused("GET", "/", 404, "NotFound", NULL);
    assert_refused("GET", "//", 404, "NotFound", NULL);
    assert_refused("GET", "keys", 404, "NotFound", NULL);
    assert_refused("GET", "/secrets", 404, "NotFound", NULL);
    assert_refused("GET", "/secrets/x", 404, "NotFound", NULL);
    assert_refused("PUT", "/secrets/x", 404, "NotFound", NULL);
    assert_refused("GET", "/certificates/c", 404, "NotFound", NULL);
    assert_refused("GET", "/storage", 404, "NotFound", NULL);
    assert_refused("GET", "/rng/x", 404, "NotFound", NULL);
    assert_refused("GET", "/keysx", 404, "NotFound", NULL);
    /* Too many segments for any route. */
    assert_refused("POST", "/keys/n/" VER "/wrapkey/extra", 404, "NotFound", NULL);
    assert_refused("GET", "/keys/a/b/c/d/e/f", 404, "NotFound", NULL);
    assert_refused("GET", "/keys/a/b/c/d/e/f/g/h/i/j", 404, "NotFound", NULL);
    assert_refused("GET", "/deletedkeys/n/recover/x", 404, "NotFound", NULL);
    assert_refused("GET", "/deletedkeys/n/other", 404, "NotFound", NULL);
    /* /keys/{name}/{version}/{unknown action}. */
    assert_refused("POST", "/keys/n/" VER "/fly", 404, "NotFound", NULL);
    assert_refused("POST", "/keys/n/" VER "/create", 404, "NotFound", NULL);
}

static void test_bad_method(void **state)
{
    (void)state;
    assert_refused("DELETE", "/keys/n/create", 400, "BadParameter",
                   "Method DELETE does not allow operation 'create'");
    assert_refused("GET", "/keys/n/create", 400, "BadParameter",
                   "Method GET does not allow operation 'create'");
    assert_refused("POST", "/keys/n/versions", 400, "BadParameter",
                   "Method POST does not allow operation 'versions'");
    assert_refused("GET", "/keys/n/backup", 400, "BadParameter",
                   "Method GET does not allow operation 'backup'");
    assert_refused("GET", "/keys/n/rotate", 400, "BadParameter",
                   "Method GET does not allow operation 'rotate'");
    assert_refused("POST", "/keys/n/rotationpolicy", 400, "BadParameter",
                   "Method POST does not allow operation 'rotationpolicy'");
    assert_refused("GET", "/keys/n/" VER "/wrapkey", 400, "BadParameter",
                   "Method GET does not allow operation 'wrapkey'");
    assert_refused("GET", "/keys/n/unwrapkey", 400, "BadParameter",
                   "Method GET does not allow operation 'unwrapkey'");
    assert_refused("PUT", "/keys/n/" VER, 400, "BadParameter", "Method PUT");
    assert_refused("DELETE", "/keys/n/" VER, 400, "BadParameter", "Method DELETE");
    assert_refused("POST", "/keys/n", 400, "BadParameter", "Method POST");
    assert_refused("POST", "/keys", 400, "BadParameter", "Method POST");
    assert_refused("DELETE", "/keys", 400, "BadParameter", "Method DELETE");
    assert_refused("POST", "/deletedkeys", 400, "BadParameter", "Method POST");
    assert_refused("POST", "/deletedkeys/n", 400, "BadParameter", "Method POST");
    assert_refused("GET", "/deletedkeys/n/recover", 400, "BadParameter",
                   "Method GET does not allow operation 'recover'");
    assert_refused("GET", "/rng", 400, "BadParameter", "Method GET does not allow operation 'rng'");
    /* Methods compare exactly: HTTP methods are case-sensitive. */
    assert_refused("get", "/keys", 400, "BadParameter", NULL);
}

static void test_bad_name(void **state)
{
    (void)state;
    char path[300];

    assert_refused("GET", "/keys/a_b", 400, "BadParameter", "a_b");
    assert_refused("GET", "/keys/a.b/versions", 400, "BadParameter", "a.b");
    assert_refused("POST", "/keys/a_b/create", 400, "BadParameter", "a_b");
    assert_refused("GET", "/deletedkeys/a_b", 400, "BadParameter", "a_b");
    assert_refused("POST", "/deletedkeys/a%20b/recover", 400, "BadParameter", NULL);
    /* An empty name: /keys//versions. */
    assert_refused("GET", "/keys//versions", 400, "BadParameter", NULL);
    /* 128 characters: one too many. */
    memcpy(path, "/keys/", 6);
    memset(path + 6, 'k', 128);
    path[6 + 128] = '\0';
    assert_refused("GET", path, 400, "BadParameter", NULL);
    path[6 + 127] = '\0';
    assert_route("GET", path, KV_GET_KEY, path + 6, "");
}

static void test_keys_routes(void **state)
{
    (void)state;
    assert_route("GET", "/keys", KV_LIST_KEYS, "", "");
    assert_route("GET", "/keys/", KV_LIST_KEYS, "", "");
    assert_route("POST", "/keys/restore", KV_RESTORE, "", "");
    assert_route("POST", "/keys/restore/", KV_RESTORE, "", "");
    /* Any other method on /keys/restore is about a key named "restore". */
    assert_route("GET", "/keys/restore", KV_GET_KEY, "restore", "");
    assert_route("DELETE", "/keys/restore", KV_DELETE, "restore", "");
    assert_route("GET", "/keys/n", KV_GET_KEY, "n", "");
    assert_route("GET", "/keys/n/", KV_GET_KEY, "n", "");
    assert_route("PUT", "/keys/n", KV_IMPORT, "n", "");
    assert_route("DELETE", "/keys/n", KV_DELETE, "n", "");
    assert_route("PATCH", "/keys/n", KV_UPDATE, "n", "");
    assert_route("PATCH", "/keys/n/" VER, KV_UPDATE, "n", VER);
    assert_route("GET", "/keys/n/" VER, KV_GET_KEY, "n", VER);
    assert_route("GET", "/keys/n/" VER "/", KV_GET_KEY, "n", VER);
    /* An empty version segment is the latest version. */
    assert_route("GET", "/keys/n//", KV_GET_KEY, "n", "");
    assert_route("POST", "/keys/n/create", KV_CREATE, "n", "");
    assert_route("POST", "/keys/n/create/", KV_CREATE, "n", "");
    assert_route("GET", "/keys/n/versions", KV_LIST_VERSIONS, "n", "");
    assert_route("POST", "/keys/n/backup", KV_BACKUP, "n", "");
    assert_route("POST", "/keys/n/rotate", KV_ROTATE, "n", "");
    assert_route("GET", "/keys/n/rotationpolicy", KV_GET_POLICY, "n", "");
    assert_route("PUT", "/keys/n/rotationpolicy", KV_SET_POLICY, "n", "");
    /* Names keep their spelling; the service compares them later. */
    assert_route("GET", "/keys/TDE-Protector-2025", KV_GET_KEY, "TDE-Protector-2025", "");
}

static void test_version_actions(void **state)
{
    (void)state;
    static const struct {
        const char *word, *method;
        enum kv_op op;
    } actions[] = {
        {"wrapkey", "POST", KV_WRAP},           {"wrapKey", "POST", KV_WRAP},
        {"WRAPKEY", "POST", KV_WRAP},           {"unwrapkey", "POST", KV_UNWRAP},
        {"unwrapKey", "POST", KV_UNWRAP},       {"encrypt", "POST", KV_ENCRYPT},
        {"decrypt", "POST", KV_DECRYPT},        {"sign", "POST", KV_SIGN},
        {"verify", "POST", KV_VERIFY},          {"release", "POST", KV_RELEASE},
        {"attestation", "GET", KV_ATTESTATION},
    };
    char path[200];

    for (size_t i = 0; i < COUNT(actions); i++) {
        /* With a version, with an empty version, and with no version segment at all. */
        snprintf(path, sizeof path, "/keys/n/%s/%s", VER, actions[i].word);
        assert_route(actions[i].method, path, actions[i].op, "n", VER);
        snprintf(path, sizeof path, "/keys/n//%s", actions[i].word);
        assert_route(actions[i].method, path, actions[i].op, "n", "");
        snprintf(path, sizeof path, "/keys/n/%s", actions[i].word);
        assert_route(actions[i].method, path, actions[i].op, "n", "");
        snprintf(path, sizeof path, "/keys/n/%s/%s/", VER, actions[i].word);
        assert_route(actions[i].method, path, actions[i].op, "n", VER);
    }
    assert_route("POST", "/keys/n//unwrapkey", KV_UNWRAP, "n", "");
    assert_route("POST", "/keys/n/" VER "/wrapkey", KV_WRAP, "n", VER);
    assert_route("POST", "/keys/n/" VER "/wrapKey", KV_WRAP, "n", VER);
    assert_route("POST", "/keys/n/" VER "/WRAPKEY", KV_WRAP, "n", VER);
}

static void test_deleted_and_rng(void **state)
{
    (void)state;
    assert_route("GET", "/deletedkeys", KV_LIST_DELETED, "", "");
    assert_route("GET", "/deletedkeys/", KV_LIST_DELETED, "", "");
    assert_route("GET", "/deletedkeys/n", KV_GET_DELETED, "n", "");
    assert_route("DELETE", "/deletedkeys/n", KV_PURGE, "n", "");
    assert_route("POST", "/deletedkeys/n/recover", KV_RECOVER, "n", "");
    assert_route("POST", "/deletedkeys/n/recover/", KV_RECOVER, "n", "");
    assert_route("POST", "/rng", KV_RNG, "", "");
    assert_route("POST", "/rng/", KV_RNG, "", "");
}

static void test_api_versions(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int level;
    } good[] = {
        {"7.0", 70},           {"7.1", 71},
        {"7.2", 72},           {"7.3", 73},
        {"7.4", 74},           {"7.5", 75},
        {"7.6", 76},           {"2016-10-01", 70},
        {"7.4-preview.1", 74}, {"7.5-preview", 75},
        {"7.3-preview", 73},   {"7.6-preview.12", 76},
        {"2025-07-01", 81},    {"2025-06-01-preview", 80},
    };
    for (size_t i = 0; i < COUNT(good); i++) {
        struct kv_api api = {-1};
        if (kv_api_parse(good[i].text, &api) != 0)
            fail_msg("api-version %s refused", good[i].text);
        if (api.level != good[i].level)
            fail_msg("api-version %s: level %d, expected %d", good[i].text, api.level,
                     good[i].level);
    }
    /* The date-named versions come after every 7.x. */
    struct kv_api a = {0}, b = {0};
    assert_int_equal(kv_api_parse("7.6", &a), 0);
    assert_int_equal(kv_api_parse("2025-07-01", &b), 0);
    assert_true(b.level > a.level);

    static const char *const bad[] = {
        "",
        "7",
        "7.",
        "7.9",
        "7.7",
        "8.0",
        "6.0",
        "7.10",
        "7.4-preview.x",
        "7.4-preview.",
        "7.4-preview1",
        "7.4-",
        "7.4-beta",
        "7.4 ",
        " 7.4",
        "7.4-preview.1x",
        "2025-07-02",
        "2025-07-01 ",
        "2025-7-1",
        "2016-10-02",
        "2025-06-01",
        "latest",
        "v7.4",
        "7,4",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        struct kv_api api = {-7};
        if (kv_api_parse(bad[i], &api) != -1)
            fail_msg("api-version \"%s\" accepted (level %d)", bad[i], api.level);
        assert_int_equal(api.level, -7);
    }
    struct kv_api api = {-7};
    assert_int_equal(kv_api_parse(NULL, &api), -1);
    assert_int_equal(api.level, -7);
}

static void test_op_table(void **state)
{
    (void)state;
    assert_null(kv_opinfo(KV_NONE));
    assert_null(kv_opinfo(KV_OP_COUNT));
    for (int op = KV_NONE + 1; op < KV_OP_COUNT; op++) {
        const struct kv_opinfo *info = kv_opinfo((enum kv_op)op);
        assert_non_null(info);
        assert_non_null(info->word);
        assert_non_null(info->data_action);
        assert_non_null(info->fn);
        assert_int_equal(strncmp(info->data_action, "Microsoft.KeyVault/vaults/", 26), 0);
    }
    /* Reads never write; the operations that change a vault do. */
    assert_false(kv_opinfo(KV_GET_KEY)->writes);
    assert_false(kv_opinfo(KV_LIST_KEYS)->writes);
    assert_false(kv_opinfo(KV_WRAP)->writes);
    assert_true(kv_opinfo(KV_CREATE)->writes);
    assert_true(kv_opinfo(KV_DELETE)->writes);
    assert_true(kv_opinfo(KV_PURGE)->writes);
    assert_true(kv_opinfo(KV_RECOVER)->writes);
    assert_true(kv_opinfo(KV_SET_POLICY)->writes);
    assert_true(kv_opinfo(KV_CREATE)->has_body);
    assert_false(kv_opinfo(KV_DELETE)->has_body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_found),       cmocka_unit_test(test_bad_method),
        cmocka_unit_test(test_bad_name),        cmocka_unit_test(test_keys_routes),
        cmocka_unit_test(test_version_actions), cmocka_unit_test(test_deleted_and_rng),
        cmocka_unit_test(test_api_versions),    cmocka_unit_test(test_op_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
