/* keymap: the action table, key names, and keymap files (strict). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curses.h>

#include "keymap.h"

static void test_table_defaults_parse_and_are_unique(void **state)
{
    (void)state;
    size_t n;
    const struct keymap_action *acts = keymap_actions(&n);
    assert_true(n >= ACT_COUNT - 1);
    struct keymap *km = keymap_create();
    for (size_t i = 0; i < n; i++) {
        assert_non_null(acts[i].name);
        assert_non_null(acts[i].help);
        assert_ptr_equal(keymap_action_named(acts[i].name), &acts[i]);
        for (size_t k = 0; acts[i].defaults[k]; k++) {
            int key = keymap_key_parse(acts[i].defaults[k]);
            assert_true(key >= 0);
            assert_int_equal(keymap_lookup(km, key), acts[i].action);
        }
    }
    /* Never quit on C-c; never bind the tmux/screen prefixes. */
    assert_int_equal(keymap_lookup(km, 3), ACT_CANCEL);
    assert_int_equal(keymap_lookup(km, 1), ACT_NONE);
    assert_int_equal(keymap_lookup(km, 2), ACT_NONE);
    assert_int_equal(keymap_lookup(km, 'q'), ACT_QUIT);
    /* The rotation screen's key leaves R free (docs/console.md rebinds refresh to it). */
    assert_int_equal(keymap_lookup(km, 'K'), ACT_ROTATE);
    assert_int_equal(keymap_lookup(km, 'R'), ACT_NONE);
    /* The backup screen's key, and its name for `:` and keymap files. */
    assert_int_equal(keymap_lookup(km, 'B'), ACT_BACKUP);
    assert_int_equal(keymap_action_named("backup")->action, ACT_BACKUP);
    /* Enter in all its spellings. */
    assert_int_equal(keymap_lookup(km, '\r'), ACT_ENTER);
    assert_int_equal(keymap_lookup(km, '\n'), ACT_ENTER);
    assert_int_equal(keymap_lookup(km, KEY_ENTER), ACT_ENTER);
    assert_null(keymap_action_named("nope"));
    assert_null(keymap_action_named(NULL));
    keymap_destroy(km);
    keymap_destroy(NULL);
}

static void test_key_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"q",      "?",  "Space", "Enter", "Esc", "Tab",
                           "S-Tab",  "Up", "PgDn",  "Home",  "End", "Backspace",
                           "Delete", "F1", "F12",   "C-l",   "C-z"};
    char buf[32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int key = keymap_key_parse(names[i]);
        assert_true(key >= 0);
        assert_string_equal(keymap_key_name(key, buf, sizeof buf), names[i]);
    }
    const char *bad[] = {NULL, "", "F0", "F13", "C-", "C-A", "Ctrl-x", "qq", " ", "\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(keymap_key_parse(bad[i]), -1);
    assert_int_equal(keymap_normalise(127), KEY_BACKSPACE);
    assert_int_equal(keymap_normalise(8), KEY_BACKSPACE);
}

static int parse(struct keymap *km, const char *text, char **cause)
{
    return keymap_parse(km, text, strlen(text), "keymap.json", cause);
}

static void expect_error(const char *text, const char *needle)
{
    struct keymap *km = keymap_create();
    char *cause = NULL;
    assert_int_equal(parse(km, text, &cause), -1);
    assert_non_null(cause);
    if (strstr(cause, needle) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
    free(cause);
    /* A failed file leaves the keymap as it was. */
    assert_int_equal(keymap_lookup(km, 'q'), ACT_QUIT);
    keymap_destroy(km);
}

static void test_file_errors_name_the_field(void **state)
{
    (void)state;
    expect_error("", "not a JSON object");
    expect_error("[]", "not a JSON object");
    expect_error("{\"bindigs\": {}}", "unknown field \"bindigs\"");
    expect_error("{\"bindings\": 3}", "\"bindings\" must be an object");
    expect_error("{\"bindings\": {\"qiut\": \"q\"}}", "unknown action \"qiut\"");
    expect_error("{\"bindings\": {\"quit\": \"Ctrl-q\"}}", "bindings.quit: unknown key name");
    expect_error("{\"bindings\": {\"quit\": [1]}}", "bindings.quit: key names are strings");
    expect_error("{\"bindings\": {\"quit\": {}}}", "bindings.quit: a key name or a list");
    expect_error("{\"bindings\": {\"quit\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}}", "at most 4");
    /* r is refresh's: binding it to quit too is a conflict, named. */
    expect_error("{\"bindings\": {\"quit\": \"r\"}}", "key r is bound to both");
}

static void test_file_rebinds(void **state)
{
    (void)state;
    struct keymap *km = keymap_create();
    char *cause = NULL;
    assert_int_equal(parse(km,
                           "{\"bindings\": {\"quit\": [\"F10\", \"C-q\"], \"pause\": [],"
                           " \"refresh\": \"R\"}}",
                           &cause),
                     0);
    assert_null(cause);
    assert_int_equal(keymap_lookup(km, 'q'), ACT_NONE); /* named actions lose their defaults */
    assert_int_equal(keymap_lookup(km, KEY_F(10)), ACT_QUIT);
    assert_int_equal(keymap_lookup(km, 17), ACT_QUIT);
    assert_int_equal(keymap_lookup(km, 'Z'), ACT_NONE);
    assert_int_equal(keymap_lookup(km, 'R'), ACT_REFRESH);
    assert_int_equal(keymap_lookup(km, '?'), ACT_HELP); /* others keep theirs */
    char name[16];
    assert_string_equal(keymap_first_name(km, ACT_QUIT, name, sizeof name), "F10");
    assert_string_equal(keymap_first_name(km, ACT_PAUSE, name, sizeof name), "");
    int keys[KEYMAP_MAX_KEYS];
    assert_int_equal(keymap_keys(km, ACT_QUIT, keys), 2);
    keymap_destroy(km);
}

static void test_load_file(void **state)
{
    (void)state;
    struct keymap *km = keymap_create();
    char *cause = NULL;
    assert_int_equal(keymap_load_file(km, "/nonexistent/keymap.json", &cause), -1);
    assert_non_null(strstr(cause, "/nonexistent/keymap.json"));
    free(cause);
    cause = NULL;
    assert_int_equal(keymap_load_file(km, "/dev/zero", &cause), -1); /* endless: refused */
    assert_non_null(strstr(cause, "not a keymap"));
    free(cause);
    keymap_destroy(km);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_defaults_parse_and_are_unique),
        cmocka_unit_test(test_key_names_round_trip),
        cmocka_unit_test(test_file_errors_name_the_field),
        cmocka_unit_test(test_file_rebinds),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
