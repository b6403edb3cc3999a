/*
 * textview: lines and their splitting, word wrap by display columns,
 * scrolling and its clamps, following the end, rewrap on a new width, roles.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "textview.h"
#include "theme.h"
#include "wsupport.h"

static struct theme *theme256(void)
{
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_256);
    return t;
}

static void test_lines(void **state)
{
    (void)state;
    struct textview *tv = textview_create();
    assert_int_equal(textview_lines(tv), 0);
    textview_add(tv, THEME_NORMAL, "one");
    textview_add(tv, THEME_NORMAL, "two\nthree");
    textview_add(tv, THEME_NORMAL, "four\n"); /* a trailing newline adds no line */
    textview_add(tv, THEME_NORMAL, "%s", "");
    textview_add(tv, THEME_NORMAL, "\n");
    assert_int_equal(textview_lines(tv), 6);
    textview_add(tv, THEME_NORMAL, "%d-%s", 42, "x");
    assert_int_equal(textview_lines(tv), 7);
    textview_clear(tv);
    assert_int_equal(textview_lines(tv), 0);
    textview_add(NULL, THEME_NORMAL, "x");
    assert_int_equal(textview_lines(NULL), 0);
    textview_destroy(tv);
    textview_destroy(NULL);
}

static void test_wrap(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct textview *tv = textview_create();
    textview_add(tv, THEME_NORMAL, "the quick brown fox jumps");
    textview_add(tv, THEME_NORMAL, "abcdefghijklmnopqrstuvwxyz");
    textview_add(tv, THEME_NORMAL, "日本語日本語");
    textview_add(tv, THEME_NORMAL, "a\tb");
    textview_draw(tv, stdscr, t, 0, 0, 12, 10);
    const char *want[] = {"the quick ", "brown fox ", "jumps     ", "abcdefghij", "klmnopqrst",
                          "uvwxyz    ", "日本語日本", "語        ", "a       b ", "          "};
    for (int i = 0; i < 10; i++)
        assert_string_equal(wsupport_text(stdscr, i, 0, 10), want[i]);
    assert_int_equal(textview_rows(tv), 9);
    /* Nothing drawn outside the view. */
    assert_string_equal(wsupport_text(stdscr, 0, 10, 3), "   ");
    /* A double-width character never straddles the edge: 5 columns hold two. */
    textview_clear(tv);
    textview_add(tv, THEME_NORMAL, "日本語日本語");
    werase(stdscr);
    textview_draw(tv, stdscr, t, 0, 0, 4, 5);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 5), "日本 ");
    assert_string_equal(wsupport_text(stdscr, 1, 0, 5), "語日 ");
    assert_string_equal(wsupport_text(stdscr, 2, 0, 5), "本語 ");
    /* Width 1 still makes progress through wide characters. */
    textview_draw(tv, stdscr, t, 0, 0, 4, 1);
    assert_int_equal(textview_rows(tv), 6);
    textview_destroy(tv);
    theme_destroy(t);
}

static void test_scroll(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct textview *tv = textview_create();
    for (int i = 0; i < 100; i++)
        textview_add(tv, THEME_NORMAL, "line %d", i);
    textview_draw(tv, stdscr, t, 0, 0, 10, 20);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 7), "line 0 ");
    textview_scroll(tv, 5);
    textview_draw(tv, stdscr, t, 0, 0, 10, 20);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 7), "line 5 ");
    assert_int_equal(textview_offset(tv), 5);
    textview_scroll(tv, 1000);
    textview_draw(tv, stdscr, t, 0, 0, 10, 20);
    assert_int_equal(textview_offset(tv), 90);
    assert_string_equal(wsupport_text(stdscr, 9, 0, 7), "line 99");
    textview_scroll(tv, LONG_MAX);
    assert_int_equal(textview_offset(tv), 90);
    textview_scroll(tv, -1000);
    assert_int_equal(textview_offset(tv), 0);
    textview_scroll(tv, LONG_MIN);
    assert_int_equal(textview_offset(tv), 0);
    textview_bottom(tv);
    textview_draw(tv, stdscr, t, 0, 0, 10, 20);
    assert_int_equal(textview_offset(tv), 90);
    textview_top(tv);
    textview_draw(tv, stdscr, t, 0, 0, 10, 20);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 7), "line 0 ");
    /* A taller view than the text: nothing to scroll. */
    textview_clear(tv);
    textview_add(tv, THEME_NORMAL, "only");
    textview_scroll(tv, 3);
    textview_draw(tv, stdscr, t, 0, 0, 10, 20);
    assert_int_equal(textview_offset(tv), 0);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 5), "only ");
    assert_string_equal(wsupport_text(stdscr, 1, 0, 7), "       ");
    textview_destroy(tv);
    theme_destroy(t);
}

static void test_follow(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct textview *tv = textview_create();
    for (int i = 0; i < 20; i++)
        textview_add(tv, THEME_NORMAL, "log %d", i);
    textview_bottom(tv);
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_string_equal(wsupport_text(stdscr, 4, 0, 6), "log 19");
    textview_add(tv, THEME_NORMAL, "log 20");
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_string_equal(wsupport_text(stdscr, 4, 0, 6), "log 20");
    /* Scrolled up: new lines do not move the view. */
    textview_scroll(tv, -2);
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_string_equal(wsupport_text(stdscr, 4, 0, 6), "log 18");
    textview_add(tv, THEME_NORMAL, "log 21");
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_string_equal(wsupport_text(stdscr, 4, 0, 6), "log 18");
    /* Scrolling back down to the end follows again. */
    textview_scroll(tv, 100);
    textview_add(tv, THEME_NORMAL, "log 22");
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_string_equal(wsupport_text(stdscr, 4, 0, 6), "log 22");
    textview_destroy(tv);
    theme_destroy(t);
}

static void test_rewrap(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct textview *tv = textview_create();
    for (int i = 0; i < 10; i++)
        textview_add(tv, THEME_NORMAL, "para %d aaaa bbbb cccc dddd", i);
    textview_draw(tv, stdscr, t, 0, 0, 4, 10); /* 3 rows a paragraph */
    assert_int_equal(textview_rows(tv), 30);
    textview_scroll(tv, 9); /* paragraph 3's first row */
    textview_draw(tv, stdscr, t, 0, 0, 4, 10);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 10), "para 3    ");
    /* Wider: one row each, and paragraph 3 stays on top. */
    textview_draw(tv, stdscr, t, 0, 0, 4, 40);
    assert_int_equal(textview_rows(tv), 10);
    assert_int_equal(textview_offset(tv), 3);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 26), "para 3 aaaa bbbb cccc dddd");
    textview_destroy(tv);
    theme_destroy(t);
}

static void test_roles(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct textview *tv = textview_create();
    textview_add(tv, THEME_CRIT, "bad");
    textview_add(tv, THEME_NORMAL, "fine");
    textview_add(tv, (enum theme_role)999, "odd role");
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_true(wsupport_attrs_are(stdscr, 0, 0, 20, theme_attr(t, THEME_CRIT)));
    assert_true(wsupport_attrs_are(stdscr, 1, 0, 20, theme_attr(t, THEME_NORMAL)));
    assert_true(wsupport_attrs_are(stdscr, 2, 0, 20, theme_attr(t, THEME_NORMAL)));
    assert_true(wsupport_attrs_are(stdscr, 4, 0, 20, theme_attr(t, THEME_NORMAL)));
    theme_apply(t, THEME_DEPTH_MONO);
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_int_equal(wsupport_attr(stdscr, 0, 0), A_BOLD | A_REVERSE);
    /* Control characters are shown, not obeyed. */
    textview_clear(tv);
    textview_add(tv, THEME_NORMAL, "a\x1b[2Jb\r");
    textview_draw(tv, stdscr, t, 0, 0, 5, 20);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 8), "a?[2Jb? ");
    textview_draw(NULL, stdscr, t, 0, 0, 5, 20);
    textview_draw(tv, NULL, t, 0, 0, 5, 20);
    textview_draw(tv, stdscr, t, 0, 0, 0, 20);
    textview_draw(tv, stdscr, t, 40, 0, 5, 20);
    textview_scroll(NULL, 1);
    textview_top(NULL);
    textview_bottom(NULL);
    textview_destroy(tv);
    theme_destroy(t);
}

static void test_many_lines(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct textview *tv = textview_create();
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 20000; i++)
        textview_add(tv, THEME_NORMAL, "%d %s", i, i == 7 ? big : "");
    textview_bottom(tv);
    textview_draw(tv, stdscr, t, 0, 0, 20, 80);
    assert_string_equal(wsupport_text(stdscr, 19, 0, 6), "19999 ");
    /* Line 7 is "7" then 2999 x cut into 38 rows. */
    assert_int_equal(textview_rows(tv), 20000 + 38);
    textview_destroy(tv);
    theme_destroy(t);
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test_setup_teardown(test_wrap, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_scroll, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_follow, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_rewrap, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_roles, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_many_lines, wsupport_setup, wsupport_teardown),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
