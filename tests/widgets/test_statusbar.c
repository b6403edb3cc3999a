/*
 * statusbar: hints as many as fit (whole), the right text and its role,
 * cutting a right text wider than the line, mono.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "statusbar.h"
#include "theme.h"
#include "wsupport.h"

static const struct statusbar_hint hints[] = {
    {"?", "help"}, {"/", "filter"}, {"q", "quit"}, {"F5", "refresh"}};

static void test_fit(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_256);
    statusbar_draw(stdscr, t, 23, 0, 80, hints, 4, "ok 12:31", THEME_OK);
    assert_string_equal(wsupport_text(stdscr, 23, 0, 80),
                        "?:help  /:filter  q:quit  F5:refresh                                    "
                        "ok 12:31");
    attr_t key = theme_attr(t, THEME_HINTKEY), label = theme_attr(t, THEME_HINT);
    assert_true(wsupport_attrs_are(stdscr, 23, 0, 1, key));
    assert_true(wsupport_attrs_are(stdscr, 23, 1, 7, label));
    assert_true(wsupport_attrs_are(stdscr, 23, 8, 1, key));
    assert_true(wsupport_attrs_are(stdscr, 23, 26, 2, key));
    assert_true(wsupport_attrs_are(stdscr, 23, 36, 36, label));
    assert_true(wsupport_attrs_are(stdscr, 23, 72, 8, theme_attr(t, THEME_OK)));
    /* 30 columns with the right text: only the hints that fit whole. */
    assert_int_equal(statusbar_fit(hints, 4, "ok 12:31", 30), 2);
    statusbar_draw(stdscr, t, 0, 0, 30, hints, 4, "ok 12:31", THEME_OK);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 30), "?:help  /:filter      ok 12:31");
    assert_int_equal(statusbar_fit(hints, 4, NULL, 24), 3);
    assert_int_equal(statusbar_fit(hints, 4, NULL, 23), 2);
    assert_int_equal(statusbar_fit(hints, 4, NULL, 5), 0);
    assert_int_equal(statusbar_fit(NULL, 4, NULL, 80), 0);
    /* A right text wider than the line is cut with the ellipsis; no hints. */
    statusbar_draw(stdscr, t, 1, 0, 10, hints, 4, "a very long status", THEME_CRIT);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 10), "a very lo…");
    assert_true(wsupport_attrs_are(stdscr, 1, 0, 10, theme_attr(t, THEME_CRIT)));
    theme_destroy(t);
}

static void test_mono_and_degenerate(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_MONO);
    statusbar_draw(stdscr, t, 0, 0, 40, hints, 2, "[READ-ONLY]", THEME_BADGE_RO);
    assert_int_equal(wsupport_attr(stdscr, 0, 0), A_BOLD);
    assert_int_equal(wsupport_attr(stdscr, 0, 39), A_REVERSE);
    assert_string_equal(wsupport_text(stdscr, 0, 29, 11), "[READ-ONLY]");
    statusbar_draw(stdscr, t, 1, 0, 40, NULL, 3, NULL, THEME_OK);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 3), "   ");
    static const struct statusbar_hint odd[] = {{NULL, NULL}, {"k", "\x1b[2J"}};
    statusbar_draw(stdscr, t, 2, 0, 40, odd, 2, "", (enum theme_role)99);
    assert_string_equal(wsupport_text(stdscr, 2, 0, 12), ":  k:?[2J   ");
    statusbar_draw(stdscr, t, 30, 0, 40, hints, 2, NULL, THEME_OK);
    statusbar_draw(NULL, t, 0, 0, 40, hints, 2, NULL, THEME_OK);
    statusbar_draw(stdscr, t, 3, 75, 40, hints, 4, "right", (enum theme_role) - 1);
    assert_string_equal(wsupport_text(stdscr, 3, 75, 5), "right");
    theme_destroy(t);
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fit, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_mono_and_degenerate, wsupport_setup,
                                        wsupport_teardown),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
