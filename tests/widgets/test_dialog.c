/*
 * dialog: default focus and focus movement, centring, wrapping and cutting
 * the body, the buttons, danger (role and word), ASCII and mono.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dialog.h"
#include "theme.h"
#include "wsupport.h"

static const struct dialog_button two[] = {{"Cancel"}, {"Quit"}};

static struct theme *theme256(void)
{
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_256);
    return t;
}

static void test_focus(void **state)
{
    (void)state;
    struct dialog *d = dialog_create("Quit?", "Really quit?", two, 2, 0);
    assert_int_equal(dialog_focused(d), 0);
    dialog_focus_next(d, 1);
    assert_int_equal(dialog_focused(d), 1);
    dialog_focus_next(d, 1);
    assert_int_equal(dialog_focused(d), 0);
    dialog_focus_next(d, -1);
    assert_int_equal(dialog_focused(d), 1);
    dialog_focus_next(d, 0);
    assert_int_equal(dialog_focused(d), 1);
    dialog_destroy(d);
    d = dialog_create("Quit?", "Really quit?", two, 2, 1);
    assert_int_equal(dialog_focused(d), 1);
    dialog_destroy(d);
    d = dialog_create("Quit?", "Really quit?", two, 2, 7); /* clamped */
    assert_int_equal(dialog_focused(d), 1);
    dialog_destroy(d);
    d = dialog_create(NULL, NULL, NULL, 3, 0);
    assert_int_equal(dialog_focused(d), SIZE_MAX);
    dialog_focus_next(d, 1);
    assert_int_equal(dialog_focused(d), SIZE_MAX);
    dialog_destroy(d);
    dialog_destroy(NULL);
    assert_int_equal(dialog_focused(NULL), SIZE_MAX);
}

static void test_draw(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct dialog *d = dialog_create("Quit?", "Really quit?", two, 2, 0);
    dialog_draw(d, stdscr, t, false);
    /* 24 wide inside (the minimum) + 4: 28 x 6, centred in 80 x 24. */
    assert_string_equal(wsupport_text(stdscr, 9, 26, 28), "┌─ Quit? ──────────────────┐");
    assert_string_equal(wsupport_text(stdscr, 10, 26, 28), "│                          │");
    assert_string_equal(wsupport_text(stdscr, 11, 26, 28), "│ Really quit?             │");
    assert_string_equal(wsupport_text(stdscr, 12, 26, 28), "│                          │");
    assert_string_equal(wsupport_text(stdscr, 13, 26, 28), "│   [ Cancel ]   Quit      │");
    assert_string_equal(wsupport_text(stdscr, 14, 26, 28), "└──────────────────────────┘");
    assert_string_equal(wsupport_text(stdscr, 8, 26, 28), "                            ");
    attr_t body = theme_attr(t, THEME_DIALOG), sel = theme_attr(t, THEME_SELECTED);
    assert_true(wsupport_attrs_are(stdscr, 9, 26, 28, body));
    assert_true(wsupport_attrs_are(stdscr, 11, 27, 26, body));
    assert_true(wsupport_attrs_are(stdscr, 13, 30, 10, sel));
    assert_true(wsupport_attrs_are(stdscr, 13, 40, 9, body));
    /* Mouse: the buttons where they were drawn. */
    assert_int_equal(dialog_button_at(d, 13, 30), 0);
    assert_int_equal(dialog_button_at(d, 13, 39), 0);
    assert_int_equal(dialog_button_at(d, 13, 40), -1);
    assert_int_equal(dialog_button_at(d, 13, 41), 1);
    assert_int_equal(dialog_button_at(d, 13, 48), 1);
    assert_int_equal(dialog_button_at(d, 13, 49), -1);
    assert_int_equal(dialog_button_at(d, 12, 31), -1);
    /* The focus moves the brackets and the role. */
    dialog_focus_next(d, 1);
    dialog_draw(d, stdscr, t, false);
    assert_string_equal(wsupport_text(stdscr, 13, 26, 28), "│     Cancel   [ Quit ]    │");
    assert_true(wsupport_attrs_are(stdscr, 13, 41, 8, sel));
    dialog_destroy(d);
    theme_destroy(t);
}

static void test_danger(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct dialog *d = dialog_create("Delete key", "This cannot be undone.", two, 2, 0);
    dialog_draw(d, stdscr, t, true);
    const char *top = wsupport_text(stdscr, 9, 26, 28);
    assert_non_null(strstr(top, "DANGER: Delete key"));
    attr_t crit = theme_attr(t, THEME_CRIT);
    assert_true(wsupport_attrs_are(stdscr, 9, 26, 1, crit));
    assert_true(wsupport_attrs_are(stdscr, 12, 26, 1, crit));
    assert_true(wsupport_attrs_are(stdscr, 14, 26, 28, crit));
    assert_true(wsupport_attrs_are(stdscr, 11, 28, 22, theme_attr(t, THEME_DIALOG)));
    dialog_destroy(d);
    /* Mono: still marked by the word and the crit attributes. */
    theme_apply(t, THEME_DEPTH_MONO);
    d = dialog_create("X", "y", two, 2, 0);
    werase(stdscr);
    dialog_draw(d, stdscr, t, true);
    assert_non_null(strstr(wsupport_text(stdscr, 9, 26, 28), "DANGER: X"));
    assert_int_equal(wsupport_attr(stdscr, 9, 26), A_BOLD | A_REVERSE);
    dialog_destroy(d);
    theme_destroy(t);
}

static void test_body_wrap_and_cut(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct dialog *d = dialog_create(
        "Long", "The quick brown fox jumps over the lazy dog.\nSecond paragraph here.", two, 2, 0);
    WINDOW *w = newwin(12, 30, 0, 0);
    dialog_draw(d, w, t, false);
    /* 26 inside: the body wraps at words; the paragraph break holds; 8 rows
     * centred in 12. */
    assert_string_equal(wsupport_text(w, 4, 2, 26), "The quick brown fox jumps ");
    assert_string_equal(wsupport_text(w, 5, 2, 26), "over the lazy dog.        ");
    assert_string_equal(wsupport_text(w, 6, 2, 26), "Second paragraph here.    ");
    delwin(w);
    /* Too tall for the window: cut, the last row ending in the ellipsis. */
    w = newwin(7, 30, 0, 0);
    dialog_draw(d, w, t, false);
    assert_string_equal(wsupport_text(w, 0, 0, 30), "┌─ Long ─────────────────────┐");
    assert_string_equal(wsupport_text(w, 2, 2, 26), "The quick brown fox jumps ");
    assert_string_equal(wsupport_text(w, 3, 2, 26), "over the lazy dog.…       ");
    assert_string_equal(wsupport_text(w, 5, 0, 30), "│    [ Cancel ]   Quit       │");
    assert_string_equal(wsupport_text(w, 6, 0, 30), "└────────────────────────────┘");
    delwin(w);
    /* ASCII: lines and the ellipsis. */
    theme_set_ascii(t, true);
    w = newwin(7, 30, 0, 0);
    dialog_draw(d, w, t, false);
    assert_string_equal(wsupport_text(w, 0, 0, 30), "+- Long ---------------------+");
    assert_string_equal(wsupport_text(w, 3, 2, 26), "over the lazy dog....     ");
    delwin(w);
    dialog_destroy(d);
    theme_destroy(t);
}

static void test_degenerate(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct dialog *d = dialog_create(NULL, NULL, NULL, 0, 0);
    dialog_draw(d, stdscr, t, false);
    assert_int_equal(dialog_button_at(d, 12, 40), -1);
    dialog_destroy(d);
    d = dialog_create("T", "b", two, 2, 0);
    dialog_draw(NULL, stdscr, t, false);
    dialog_draw(d, NULL, t, false);
    /* Windows too small for any box: clipped, no crash. */
    WINDOW *tiny[] = {newwin(1, 1, 0, 0), newwin(3, 3, 0, 0), newwin(2, 80, 0, 0),
                      newwin(24, 5, 0, 0)};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        dialog_draw(d, tiny[i], t, true);
        delwin(tiny[i]);
    }
    dialog_destroy(d);
    /* A hostile body: controls shown, a very long word cut by columns. */
    char body[600];
    memset(body, 'w', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    body[3] = '\x1b';
    d = dialog_create("T", body, two, 2, 0);
    dialog_draw(d, stdscr, t, false);
    assert_non_null(strstr(wsupport_text(stdscr, 6, 0, 80), "www?www"));
    dialog_destroy(d);
    theme_destroy(t);
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_focus),
        cmocka_unit_test_setup_teardown(test_draw, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_danger, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_body_wrap_and_cut, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_degenerate, wsupport_setup, wsupport_teardown),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
