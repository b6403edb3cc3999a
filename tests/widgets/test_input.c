/*
 * input: editing by code point with multibyte text, refusals (controls,
 * invalid UTF-8, max bytes), words and kills, and drawing with horizontal
 * scroll so the cursor always shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "input.h"
#include "theme.h"
#include "wsupport.h"

static void test_multibyte_editing(void **state)
{
    (void)state;
    struct input *in = input_create(64);
    assert_string_equal(input_text(in), "");
    input_insert(in, "héllo");
    assert_string_equal(input_text(in), "héllo");
    assert_int_equal(input_cursor(in), 6);
    input_left(in);
    assert_int_equal(input_cursor(in), 5);
    input_left(in);
    input_left(in);
    assert_int_equal(input_cursor(in), 3);
    input_left(in); /* over the two bytes of é */
    assert_int_equal(input_cursor(in), 1);
    input_right(in);
    assert_int_equal(input_cursor(in), 3);
    input_backspace(in);
    assert_string_equal(input_text(in), "hllo");
    assert_int_equal(input_cursor(in), 1);
    input_insert(in, "日本");
    assert_string_equal(input_text(in), "h日本llo");
    assert_int_equal(input_cursor(in), 7);
    input_left(in);
    input_delete(in);
    assert_string_equal(input_text(in), "h日llo");
    assert_int_equal(input_cursor(in), 4);
    input_home(in);
    input_left(in);
    assert_int_equal(input_cursor(in), 0);
    input_backspace(in);
    assert_string_equal(input_text(in), "h日llo");
    input_end(in);
    input_right(in);
    input_delete(in);
    assert_int_equal(input_cursor(in), strlen("h日llo"));
    input_insert(in, "😀"); /* four bytes */
    input_backspace(in);
    assert_string_equal(input_text(in), "h日llo");
    input_destroy(in);
}

static void test_refusals(void **state)
{
    (void)state;
    struct input *in = input_create(5);
    input_insert(in, "ab");
    const char *bad[] = {"\x1b",     "x\ny",         "\t",       "\x7f", "\xc3",
                         "\xc2\x85", "\xed\xa0\x80", "\xc0\xaf", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        input_insert(in, bad[i]);
        assert_string_equal(input_text(in), "ab");
        assert_int_equal(input_cursor(in), 2);
    }
    input_insert(in, NULL);
    input_insert(in, "cd");
    assert_string_equal(input_text(in), "abcd");
    input_insert(in, "é"); /* two bytes, one left: refused whole */
    assert_string_equal(input_text(in), "abcd");
    input_insert(in, "ef");
    assert_string_equal(input_text(in), "abcd");
    input_insert(in, "e");
    assert_string_equal(input_text(in), "abcde");
    /* input_set filters instead of refusing, and cuts on a boundary. */
    input_set(in, "a\tb\x01"
                  "c");
    assert_string_equal(input_text(in), "abc");
    assert_int_equal(input_cursor(in), 3);
    input_set(in, "aaaa日");
    assert_string_equal(input_text(in), "aaaa");
    input_set(in, "\xff\xfe"
                  "ok");
    assert_string_equal(input_text(in), "ok");
    input_set(in, NULL);
    assert_string_equal(input_text(in), "");
    input_destroy(in);
    in = input_create(0);
    input_insert(in, "a");
    assert_string_equal(input_text(in), "");
    input_destroy(in);
    input_destroy(NULL);
    assert_string_equal(input_text(NULL), "");
    assert_int_equal(input_cursor(NULL), 0);
    input_insert(NULL, "x");
    input_left(NULL);
    input_kill_word(NULL);
}

static void test_words_and_kills(void **state)
{
    (void)state;
    struct input *in = input_create(128);
    input_set(in, "git commit  -m msg");
    input_word_left(in);
    assert_int_equal(input_cursor(in), 15);
    input_word_left(in);
    assert_int_equal(input_cursor(in), 12);
    input_word_left(in);
    assert_int_equal(input_cursor(in), 4);
    input_word_right(in);
    assert_int_equal(input_cursor(in), 10);
    input_word_right(in);
    assert_int_equal(input_cursor(in), 14);
    input_end(in);
    input_kill_word(in);
    assert_string_equal(input_text(in), "git commit  -m ");
    input_kill_word(in);
    assert_string_equal(input_text(in), "git commit  ");
    input_word_left(in);
    input_kill_end(in);
    assert_string_equal(input_text(in), "git ");
    input_set(in, "añb ñc");
    input_word_left(in);
    assert_int_equal(input_cursor(in), 5);
    input_left(in);
    input_kill_line(in);
    assert_string_equal(input_text(in), " ñc");
    assert_int_equal(input_cursor(in), 0);
    input_kill_word(in);
    input_word_left(in);
    assert_string_equal(input_text(in), " ñc");
    input_end(in);
    input_word_right(in);
    assert_int_equal(input_cursor(in), strlen(" ñc"));
    input_destroy(in);
}

static void test_draw(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_256);
    struct input *in = input_create(256);
    input_set(in, "filter");
    int col = input_draw(in, stdscr, t, 23, 0, 80, "/");
    assert_int_equal(col, 7);
    assert_string_equal(wsupport_text(stdscr, 23, 0, 9), "/filter  ");
    assert_true(wsupport_attrs_are(stdscr, 23, 0, 80, theme_attr(t, THEME_INPUT)));
    /* Longer than the line: scrolled so the cursor shows at the end. */
    input_set(in, "abcdefghijklmnopqrstuvwxyz");
    col = input_draw(in, stdscr, t, 0, 10, 10, ":");
    assert_int_equal(col, 19);
    assert_string_equal(wsupport_text(stdscr, 0, 10, 10), ":stuvwxyz ");
    assert_string_equal(wsupport_text(stdscr, 0, 20, 2), "  ");
    input_home(in);
    col = input_draw(in, stdscr, t, 0, 10, 10, ":");
    assert_int_equal(col, 11);
    assert_string_equal(wsupport_text(stdscr, 0, 10, 10), ":abcdefghi");
    /* Moving right within the view does not scroll. */
    for (int i = 0; i < 5; i++)
        input_right(in);
    col = input_draw(in, stdscr, t, 0, 10, 10, ":");
    assert_int_equal(col, 16);
    assert_string_equal(wsupport_text(stdscr, 0, 10, 10), ":abcdefghi");
    /* Text deleted: what fits comes back into view. */
    input_set(in, "abcdefghijklmnopqrstuvwxyz");
    input_draw(in, stdscr, t, 0, 10, 10, ":");
    for (int i = 0; i < 20; i++)
        input_backspace(in);
    col = input_draw(in, stdscr, t, 0, 10, 10, ":");
    assert_string_equal(wsupport_text(stdscr, 0, 10, 10), ":abcdef   ");
    assert_int_equal(col, 17);
    /* Wide characters: the cursor column counts display columns. */
    input_set(in, "日本語");
    col = input_draw(in, stdscr, t, 1, 0, 20, "> ");
    assert_int_equal(col, 8);
    input_left(in);
    col = input_draw(in, stdscr, t, 1, 0, 20, "> ");
    assert_int_equal(col, 6);
    input_set(in, "日本語日本語日本語");
    col = input_draw(in, stdscr, t, 2, 0, 8, ">");
    assert_int_equal(col, 7);
    assert_string_equal(wsupport_text(stdscr, 2, 0, 8), ">日本語 ");
    /* A prompt wider than the line keeps a column for the cursor. */
    input_set(in, "x");
    col = input_draw(in, stdscr, t, 3, 0, 5, "a long prompt");
    assert_int_equal(col, 4);
    assert_int_equal(input_draw(in, stdscr, t, 30, 0, 5, ":"), -1);
    assert_int_equal(input_draw(NULL, stdscr, t, 0, 0, 5, ":"), -1);
    assert_int_equal(input_draw(in, stdscr, t, 0, 0, 0, ":"), -1);
    assert_int_equal(input_draw(in, stdscr, t, 0, 0, 5, NULL), 1);
    input_destroy(in);
    theme_destroy(t);
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multibyte_editing),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_words_and_kills),
        cmocka_unit_test_setup_teardown(test_draw, wsupport_setup, wsupport_teardown),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
