/*
 * Unit tests for sim/vault: permission names, recoveryLevel, and the network
 * rules (malformed rules first, then matching at the prefix boundaries, v4,
 * v6 and v4-mapped v6 addresses). Key bookkeeping is covered as well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "key.h"
#include "vault.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The 20 permissions and their ARM spellings. */
static const struct {
    uint32_t bit;
    const char *name;
} perms[] = {
    {KPERM_ENCRYPT, "encrypt"},
    {KPERM_DECRYPT, "decrypt"},
    {KPERM_WRAPKEY, "wrapKey"},
    {KPERM_UNWRAPKEY, "unwrapKey"},
    {KPERM_SIGN, "sign"},
    {KPERM_VERIFY, "verify"},
    {KPERM_GET, "get"},
    {KPERM_LIST, "list"},
    {KPERM_CREATE, "create"},
    {KPERM_UPDATE, "update"},
    {KPERM_IMPORT, "import"},
    {KPERM_DELETE, "delete"},
    {KPERM_BACKUP, "backup"},
    {KPERM_RESTORE, "restore"},
    {KPERM_RECOVER, "recover"},
    {KPERM_PURGE, "purge"},
    {KPERM_RELEASE, "release"},
    {KPERM_ROTATE, "rotate"},
    {KPERM_GETROTATIONPOLICY, "getrotationpolicy"},
    {KPERM_SETROTATIONPOLICY, "setrotationpolicy"},
};

static void test_kperm_unknown(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",     "al",    "alll", "get ", " get",           "wrap",       "wrap_key", "getRotation",
        "read", "write", "*",    "none", "managecontacts", "getissuers", "set",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (kperm_parse(bad[i]) != 0)
            fail_msg("kperm_parse(\"%s\") is not 0", bad[i]);
    }
    assert_string_equal(kperm_name(0), "unknown");
    assert_string_equal(kperm_name(1u << 20), "unknown");
    assert_string_equal(kperm_name(KPERM_GET | KPERM_LIST), "unknown");
    assert_string_equal(kperm_name(KPERM_ALL), "unknown");
}

static void test_kperm_names(void **state)
{
    (void)state;
    uint32_t seen = 0;
    assert_int_equal(COUNT(perms), 20);
    for (size_t i = 0; i < COUNT(perms); i++) {
        char upper[64], lower[64];
        size_t n = strlen(perms[i].name);
        for (size_t k = 0; k <= n; k++) {
            upper[k] =
                (char)(perms[i].name[k] >= 'a' && perms[i].name[k] <= 'z' ? perms[i].name[k] - 32
                                                                          : perms[i].name[k]);
            lower[k] =
                (char)(perms[i].name[k] >= 'A' && perms[i].name[k] <= 'Z' ? perms[i].name[k] + 32
                                                                          : perms[i].name[k]);
        }
        assert_int_equal(kperm_parse(perms[i].name), perms[i].bit);
        assert_int_equal(kperm_parse(upper), perms[i].bit);
        assert_int_equal(kperm_parse(lower), perms[i].bit);
        assert_string_equal(kperm_name(perms[i].bit), perms[i].name);
        /* Each bit is one flag, inside KPERM_ALL, used once. */
        assert_int_equal(perms[i].bit & (perms[i].bit - 1), 0);
        assert_int_equal(perms[i].bit & ~(uint32_t)KPERM_ALL, 0);
        assert_int_equal(seen & perms[i].bit, 0);
        seen |= perms[i].bit;
    }
    assert_int_equal(seen, KPERM_ALL);
    assert_int_equal(kperm_parse("all"), KPERM_ALL);
    assert_int_equal(kperm_parse("All"), KPERM_ALL);
    assert_int_equal(kperm_parse("ALL"), KPERM_ALL);
    assert_int_equal(kperm_parse("WrapKey"), KPERM_WRAPKEY);
    assert_int_equal(kperm_parse("GetRotationPolicy"), KPERM_GETROTATIONPOLICY);
}

static void test_recovery_level(void **state)
{
    (void)state;
    struct vault *v = vault_create("kv-test");

    /* Defaults: soft delete on, 90 days, no purge protection. */
    assert_true(v->soft_delete);
    assert_int_equal(v->retention_days, 90);
    assert_false(v->purge_protection);
    assert_string_equal(vault_recovery_level(v), "Recoverable+Purgeable");

    v->purge_protection = true;
    assert_string_equal(vault_recovery_level(v), "Recoverable");

    v->retention_days = 7;
    assert_string_equal(vault_recovery_level(v), "CustomizedRecoverable");
    v->retention_days = 89;
    assert_string_equal(vault_recovery_level(v), "CustomizedRecoverable");

    v->purge_protection = false;
    assert_string_equal(vault_recovery_level(v), "CustomizedRecoverable+Purgeable");
    v->retention_days = 7;
    assert_string_equal(vault_recovery_level(v), "CustomizedRecoverable+Purgeable");

    /* Soft delete off: nothing is recoverable, whatever the other settings say. */
    v->soft_delete = false;
    assert_string_equal(vault_recovery_level(v), "Purgeable");
    v->retention_days = 90;
    assert_string_equal(vault_recovery_level(v), "Purgeable");
    vault_destroy(v);
    vault_destroy(NULL);
}

static void test_ip_rule_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "x",
        "/",
        "/8",
        "1.2.3.4/",
        "1.2.3.4/33",
        "1.2.3.4/-1",
        "1.2.3.4/ 8",
        "1.2.3.4/+8",
        "1.2.3.4/8/8",
        "1.2.3.4/8x",
        "1.2.3.4/4294967328",
        "1.2.3.4/99999999999999999999",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "1.2.3.4 ",
        " 1.2.3.4",
        "::1/129",
        "::1/",
        "::1/-1",
        "2001:db8::/1000",
        ":::1",
        "2001:db8::g",
        "10.0.0.0/8 ",
        "10.0.0.0\n",
        "localhost",
        "1.2.3.4/32/",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    char accepted[1024] = "";
    for (size_t i = 0; i < COUNT(bad); i++) {
        struct ip_rule rule;
        if (ip_rule_parse(bad[i], &rule) != -1) {
            size_t len = strlen(accepted);
            snprintf(accepted + len, sizeof accepted - len, " \"%s\" (as %s)", bad[i],
                     rule.text ? rule.text : "?");
        } else {
            assert_null(rule.text);
        }
        ip_rule_cleanup(&rule);
    }
    if (accepted[0])
        fail_msg("ip_rule_parse accepted malformed rules:%s", accepted);
}

static void parse_ok(const char *text, struct ip_rule *rule)
{
    if (ip_rule_parse(text, rule) != 0)
        fail_msg("ip_rule_parse refused \"%s\"", text);
}

static bool match_text(const struct ip_rule *rule, const char *addr)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr, buf) == 1)
        return ip_rule_match(rule, AF_INET, buf);
    if (inet_pton(AF_INET6, addr, buf) == 1)
        return ip_rule_match(rule, AF_INET6, buf);
    fail_msg("test address %s does not parse", addr);
    return false;
}

static void test_ip_rule_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int family, prefix;
        const char *shown;
    } v[] = {
        {"10.1.2.3", AF_INET, 32, "10.1.2.3/32"},
        {"10.0.0.0/8", AF_INET, 8, "10.0.0.0/8"},
        {"0.0.0.0/0", AF_INET, 0, "0.0.0.0/0"},
        {"192.168.1.0/31", AF_INET, 31, "192.168.1.0/31"},
        {"192.168.1.7/32", AF_INET, 32, "192.168.1.7/32"},
        {"::1", AF_INET6, 128, "::1/128"},
        {"2001:db8::/32", AF_INET6, 32, "2001:db8::/32"},
        {"::/0", AF_INET6, 0, "::/0"},
        {"fe80::1/128", AF_INET6, 128, "fe80::1/128"},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        struct ip_rule rule;
        parse_ok(v[i].text, &rule);
        assert_int_equal(rule.family, v[i].family);
        assert_int_equal(rule.prefix, v[i].prefix);
        assert_string_equal(rule.text, v[i].shown);
        ip_rule_cleanup(&rule);
        assert_null(rule.text);
        ip_rule_cleanup(&rule);
    }
}

static void test_ip_rule_match_v4(void **state)
{
    (void)state;
    struct ip_rule rule;

    parse_ok("10.1.2.3", &rule);
    assert_true(match_text(&rule, "10.1.2.3"));
    assert_false(match_text(&rule, "10.1.2.4"));
    assert_false(match_text(&rule, "10.1.2.2"));
    assert_false(match_text(&rule, "11.1.2.3"));
    ip_rule_cleanup(&rule);

    parse_ok("10.0.0.0/8", &rule);
    assert_true(match_text(&rule, "10.0.0.0"));
    assert_true(match_text(&rule, "10.255.255.255"));
    assert_true(match_text(&rule, "10.1.2.3"));
    assert_false(match_text(&rule, "11.0.0.0"));
    assert_false(match_text(&rule, "9.255.255.255"));
    /* A v4 rule never matches a plain v6 address. */
    assert_false(match_text(&rule, "a00::1"));
    ip_rule_cleanup(&rule);

    parse_ok("0.0.0.0/0", &rule);
    assert_true(match_text(&rule, "0.0.0.0"));
    assert_true(match_text(&rule, "255.255.255.255"));
    assert_true(match_text(&rule, "127.0.0.1"));
    assert_false(match_text(&rule, "::1"));
    assert_false(match_text(&rule, "2001:db8::1"));
    ip_rule_cleanup(&rule);

    parse_ok("192.168.1.0/31", &rule);
    assert_true(match_text(&rule, "192.168.1.0"));
    assert_true(match_text(&rule, "192.168.1.1"));
    assert_false(match_text(&rule, "192.168.1.2"));
    assert_false(match_text(&rule, "192.168.0.1"));
    ip_rule_cleanup(&rule);

    parse_ok("192.168.1.7/32", &rule);
    assert_true(match_text(&rule, "192.168.1.7"));
    assert_false(match_text(&rule, "192.168.1.6"));
    ip_rule_cleanup(&rule);

    /* Prefixes off a byte boundary; host bits in the rule do not matter. */
    parse_ok("172.16.0.0/12", &rule);
    assert_true(match_text(&rule, "172.16.0.1"));
    assert_true(match_text(&rule, "172.31.255.255"));
    assert_false(match_text(&rule, "172.32.0.0"));
    assert_false(match_text(&rule, "172.15.255.255"));
    ip_rule_cleanup(&rule);
    parse_ok("10.1.2.3/8", &rule);
    assert_true(match_text(&rule, "10.200.0.1"));
    ip_rule_cleanup(&rule);
}

static void test_ip_rule_match_v6(void **state)
{
    (void)state;
    struct ip_rule rule;

    parse_ok("::1", &rule);
    assert_true(match_text(&rule, "::1"));
    assert_false(match_text(&rule, "::2"));
    assert_false(match_text(&rule, "127.0.0.1"));
    ip_rule_cleanup(&rule);

    parse_ok("::1/128", &rule);
    assert_true(match_text(&rule, "0:0:0:0:0:0:0:1"));
    assert_false(match_text(&rule, "1::1"));
    ip_rule_cleanup(&rule);

    parse_ok("2001:db8::/32", &rule);
    assert_true(match_text(&rule, "2001:db8::"));
    assert_true(match_text(&rule, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_false(match_text(&rule, "2001:db9::"));
    assert_false(match_text(&rule, "2001:db7:ffff::"));
    ip_rule_cleanup(&rule);

    parse_ok("2001:db8::/31", &rule);
    assert_true(match_text(&rule, "2001:db9::1"));
    assert_false(match_text(&rule, "2001:dba::1"));
    ip_rule_cleanup(&rule);

    parse_ok("::/0", &rule);
    assert_true(match_text(&rule, "::"));
    assert_true(match_text(&rule, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_false(match_text(&rule, "10.0.0.1"));
    ip_rule_cleanup(&rule);

    parse_ok("fe80::/8", &rule);
    assert_true(match_text(&rule, "fe80::1"));
    assert_true(match_text(&rule, "feff::1"));
    assert_false(match_text(&rule, "fd00::1"));
    ip_rule_cleanup(&rule);
}

static void test_ip_rule_v4_mapped(void **state)
{
    (void)state;
    struct ip_rule rule;

    /* A dual-stack listener sees v4 clients as ::ffff:a.b.c.d: v4 rules apply. */
    parse_ok("10.0.0.0/8", &rule);
    assert_true(match_text(&rule, "::ffff:10.1.2.3"));
    assert_false(match_text(&rule, "::ffff:11.1.2.3"));
    ip_rule_cleanup(&rule);

    parse_ok("127.0.0.1", &rule);
    assert_true(match_text(&rule, "::ffff:127.0.0.1"));
    assert_false(match_text(&rule, "::ffff:127.0.0.2"));
    /* Not v4-mapped: v4-compatible (deprecated) and NAT64 forms are v6. */
    assert_false(match_text(&rule, "::127.0.0.1"));
    assert_false(match_text(&rule, "64:ff9b::127.0.0.1"));
    ip_rule_cleanup(&rule);

    parse_ok("0.0.0.0/0", &rule);
    assert_true(match_text(&rule, "::ffff:0.0.0.0"));
    assert_true(match_text(&rule, "::ffff:255.255.255.255"));
    ip_rule_cleanup(&rule);

    parse_ok("192.168.1.0/31", &rule);
    assert_true(match_text(&rule, "::ffff:192.168.1.1"));
    assert_false(match_text(&rule, "::ffff:192.168.1.2"));
    ip_rule_cleanup(&rule);
}

static void test_keys(void **state)
{
    (void)state;
    struct vault *v = vault_create("kv-keys");

    assert_string_equal(v->name, "kv-keys");
    assert_string_equal(v->sku, "standard");
    assert_null(vault_find_key(v, "a"));
    assert_null(vault_find_key(v, ""));

    struct key *a = key_create("Alpha"), *b = key_create("beta"), *c = key_create("gamma");
    vault_add_key(v, a);
    vault_add_key(v, b);
    vault_add_key(v, c);
    assert_int_equal(v->nkeys, 3);
    /* Case-insensitive, whatever the key's state. */
    assert_ptr_equal(vault_find_key(v, "alpha"), a);
    assert_ptr_equal(vault_find_key(v, "ALPHA"), a);
    assert_ptr_equal(vault_find_key(v, "Beta"), b);
    b->deleted = true;
    assert_ptr_equal(vault_find_key(v, "beta"), b);
    assert_null(vault_find_key(v, "alph"));
    assert_null(vault_find_key(v, "alphaa"));

    vault_remove_key(v, b);
    assert_int_equal(v->nkeys, 2);
    assert_null(vault_find_key(v, "beta"));
    assert_ptr_equal(v->keys[0], a);
    assert_ptr_equal(v->keys[1], c);
    vault_remove_key(v, c);
    assert_int_equal(v->nkeys, 1);
    assert_ptr_equal(vault_find_key(v, "alpha"), a);
    vault_destroy(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kperm_unknown),
        cmocka_unit_test(test_kperm_names),
        cmocka_unit_test(test_recovery_level),
        cmocka_unit_test(test_ip_rule_malformed),
        cmocka_unit_test(test_ip_rule_parse),
        cmocka_unit_test(test_ip_rule_match_v4),
        cmocka_unit_test(test_ip_rule_match_v6),
        cmocka_unit_test(test_ip_rule_v4_mapped),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
