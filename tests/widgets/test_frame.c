/*
 * frame: the box, the title line layout and its cuts, roles focused and not,
 * ASCII mode, mono depth and clipping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "frame.h"
#include "theme.h"
#include "wsupport.h"

static struct theme *theme256(void)
{
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_256);
    return t;
}

static void test_box(void **state)
{
    (void)state;
    struct theme *t = theme256();
    wattrset(stdscr, A_UNDERLINE);
    frame_draw(stdscr, t, 1, 2, 5, 20, "Title", "right", false);
    /* Drawing leaves the window's own attributes alone. */
    assert_int_equal(getattrs(stdscr), A_UNDERLINE);
    wattrset(stdscr, A_NORMAL);
    assert_string_equal(wsupport_text(stdscr, 1, 2, 20), "┌─ Title ── right ─┐");
    assert_string_equal(wsupport_text(stdscr, 2, 2, 20), "│                  │");
    assert_string_equal(wsupport_text(stdscr, 4, 2, 20), "│                  │");
    assert_string_equal(wsupport_text(stdscr, 5, 2, 20), "└──────────────────┘");
    /* Nothing outside the box. */
    assert_string_equal(wsupport_text(stdscr, 1, 0, 2), "  ");
    assert_string_equal(wsupport_text(stdscr, 6, 2, 20), "                    ");
    /* Unfocused: lines in border, the title in title. */
    attr_t border = theme_attr(t, THEME_BORDER), title = theme_attr(t, THEME_TITLE);
    assert_true(wsupport_attrs_are(stdscr, 1, 2, 3, border));
    assert_true(wsupport_attrs_are(stdscr, 1, 5, 5, title));
    assert_true(wsupport_attrs_are(stdscr, 1, 10, 12, border));
    assert_true(wsupport_attrs_are(stdscr, 3, 2, 1, border));
    /* Focused: all of it in focus. */
    frame_draw(stdscr, t, 1, 2, 5, 20, "Title", "right", true);
    assert_true(wsupport_attrs_are(stdscr, 1, 2, 20, theme_attr(t, THEME_FOCUS)));
    assert_true(wsupport_attrs_are(stdscr, 5, 2, 20, theme_attr(t, THEME_FOCUS)));
    assert_int_not_equal(theme_attr(t, THEME_FOCUS), border);
    theme_destroy(t);
}

static void test_title_cuts(void **state)
{
    (void)state;
    struct theme *t = theme256();
    /* No room for the right text: it goes first. */
    frame_draw(stdscr, t, 0, 0, 3, 12, "Title", "right", false);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 12), "┌─ Title ──┐");
    /* Then the title is cut by columns with the ellipsis. */
    frame_draw(stdscr, t, 3, 0, 3, 8, "Title", NULL, false);
    assert_string_equal(wsupport_text(stdscr, 3, 0, 8), "┌─ Ti… ┐");
    frame_draw(stdscr, t, 6, 0, 3, 10, "日本語の題", NULL, false);
    assert_string_equal(wsupport_text(stdscr, 6, 0, 10), "┌─ 日本… ┐");
    /* No title: a plain line; a title that exactly fits. */
    frame_draw(stdscr, t, 9, 0, 2, 6, NULL, NULL, false);
    assert_string_equal(wsupport_text(stdscr, 9, 0, 6), "┌────┐");
    assert_string_equal(wsupport_text(stdscr, 10, 0, 6), "└────┘");
    frame_draw(stdscr, t, 11, 0, 1, 9, "abcd", "", false);
    assert_string_equal(wsupport_text(stdscr, 11, 0, 9), "┌─ abcd ┐");
    theme_destroy(t);
}

static void test_ascii(void **state)
{
    (void)state;
    struct theme *t = theme256();
    theme_set_ascii(t, true);
    frame_draw(stdscr, t, 0, 0, 4, 20, "Title", "right", false);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 20), "+- Title -- right -+");
    assert_string_equal(wsupport_text(stdscr, 1, 0, 20), "|                  |");
    assert_string_equal(wsupport_text(stdscr, 3, 0, 20), "+------------------+");
    frame_draw(stdscr, t, 5, 0, 2, 10, "Long title", NULL, false);
    assert_string_equal(wsupport_text(stdscr, 5, 0, 10), "+- Lo... +");
    theme_destroy(t);
}

static void test_mono(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_MONO);
    frame_draw(stdscr, t, 0, 0, 3, 20, "Title", NULL, true);
    assert_true(wsupport_attrs_are(stdscr, 0, 0, 20, A_BOLD));
    frame_draw(stdscr, t, 0, 0, 3, 20, "Title", NULL, false);
    assert_true(wsupport_attrs_are(stdscr, 0, 3, 5, A_BOLD));
    assert_true(wsupport_attrs_are(stdscr, 0, 0, 2, A_NORMAL));
    theme_destroy(t);
}

static void test_degenerate(void **state)
{
    (void)state;
    struct theme *t = theme256();
    frame_draw(NULL, t, 0, 0, 5, 20, "x", NULL, false);
    frame_draw(stdscr, t, 0, 0, 5, 1, "x", NULL, false); /* too narrow: nothing */
    assert_string_equal(wsupport_text(stdscr, 0, 0, 2), "  ");
    frame_draw(stdscr, t, 0, 0, 0, 10, "x", NULL, false);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 2), "  ");
    frame_draw(stdscr, t, 0, 0, 1, 4, "x", NULL, false); /* one line only */
    assert_string_equal(wsupport_text(stdscr, 0, 0, 4), "┌──┐");
    assert_string_equal(wsupport_text(stdscr, 1, 0, 4), "    ");
    /* Past the right and bottom edges: the box shrinks to the window. */
    frame_draw(stdscr, t, 20, 70, 10, 30, "Clipped", NULL, false);
    assert_string_equal(wsupport_text(stdscr, 20, 70, 10), "┌─ Clip… ┐");
    assert_string_equal(wsupport_text(stdscr, 21, 70, 10), "│        │");
    assert_string_equal(wsupport_text(stdscr, 23, 70, 10), "└────────┘");
    assert_string_equal(wsupport_text(stdscr, 21, 0, 3), "   ");
    frame_draw(stdscr, t, 30, 0, 3, 10, "x", NULL, false);
    frame_draw(stdscr, t, -1, 0, 3, 10, "x", NULL, false);
    /* Control characters in a title are shown, not obeyed. */
    frame_draw(stdscr, t, 5, 0, 2, 12, "a\tb\x1b", NULL, false);
    assert_string_equal(wsupport_text(stdscr, 5, 0, 12), "┌─ a?b? ───┐");
    theme_destroy(t);
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_box, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_title_cuts, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_ascii, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_mono, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_degenerate, wsupport_setup, wsupport_teardown),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
