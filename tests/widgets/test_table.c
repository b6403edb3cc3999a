/*
 * table: selection and scroll clamping with 0, 1 and 10,000 rows, only the
 * visible rows asked for, column widths, truncation by display columns, roles
 * and attributes at 256 colours and at mono depth, ASCII mode.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"
#include "theme.h"
#include "wsupport.h"

/* Cells "r<row>c<col>" unless a row has its own text; counts every call. */
struct rows {
    size_t calls;
    size_t min_row, max_row;
    size_t calls_per_col[4];
    const char *text[4]; /* per column, when set */
    enum theme_role role[4];
    bool bold[4];
    size_t special; /* the row the above apply to */
    char buf[64];
};

static void cell(void *arg, size_t row, size_t col, struct table_cell *out)
{
    struct rows *r = arg;
    r->calls++;
    if (col < 4)
        r->calls_per_col[col]++;
    r->min_row = row < r->min_row ? row : r->min_row;
    r->max_row = row > r->max_row ? row : r->max_row;
    if (row == r->special && col < 4 && r->text[col]) {
        out->text = r->text[col];
        out->role = r->role[col];
        out->bold = r->bold[col];
        return;
    }
    snprintf(r->buf, sizeof r->buf, "r%zuc%zu", row, col);
    out->text = r->buf;
}

static void reset(struct rows *r)
{
    r->calls = 0;
    r->min_row = SIZE_MAX;
    r->max_row = 0;
    memset(r->calls_per_col, 0, sizeof r->calls_per_col);
}

static const struct table_column three[] = {
    {"Name", 4, 0, 1, false},
    {"Status", 6, 8, 1, false},
    {"N", 3, 0, 0, true},
};

static struct theme *theme256(void)
{
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_256);
    return t;
}

static void test_no_rows(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    reset(&r);
    struct table *tb = table_create(three, 3, cell, &r);
    assert_int_equal(table_rows(tb), 0);
    assert_int_equal(table_selected(tb), SIZE_MAX);
    table_move(tb, 1);
    table_move(tb, -1);
    table_page(tb, 1);
    table_page(tb, -1);
    table_home(tb);
    table_end(tb);
    table_select(tb, 5);
    assert_int_equal(table_selected(tb), SIZE_MAX);
    struct theme *t = theme256();
    table_draw(tb, stdscr, t, 0, 0, 10, 40, true);
    assert_int_equal(r.calls, 0);
    /* 40 columns: Status stops at its max 8, Name takes the rest. */
    assert_string_equal(wsupport_text(stdscr, 0, 0, 40),
                        "Name                        Status     N");
    assert_string_equal(wsupport_text(stdscr, 1, 0, 5), "     ");
    assert_int_equal(table_row_at(tb, 1), -1);
    assert_int_equal(table_row_at(tb, 0), -1);
    assert_false(table_dirty(tb));
    table_set_rows(tb, 0);
    assert_false(table_dirty(tb));
    table_destroy(tb);
    theme_destroy(t);
}

static void test_one_row(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    reset(&r);
    struct table *tb = table_create(three, 3, cell, &r);
    table_set_rows(tb, 1);
    assert_int_equal(table_selected(tb), 0);
    table_move(tb, 5);
    assert_int_equal(table_selected(tb), 0);
    table_move(tb, -5);
    assert_int_equal(table_selected(tb), 0);
    table_move(tb, LONG_MIN);
    table_move(tb, LONG_MAX);
    table_page(tb, 1);
    table_end(tb);
    assert_int_equal(table_selected(tb), 0);
    struct theme *t = theme256();
    table_draw(tb, stdscr, t, 0, 0, 10, 40, true);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.max_row, 0);
    assert_int_equal(table_row_at(tb, 1), 0);
    assert_int_equal(table_row_at(tb, 2), -1);
    table_set_rows(tb, 0);
    assert_int_equal(table_selected(tb), SIZE_MAX);
    assert_true(table_dirty(tb));
    table_set_rows(tb, 3);
    assert_int_equal(table_selected(tb), 0);
    table_destroy(tb);
    theme_destroy(t);
}

static void test_ten_thousand_rows(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    struct table *tb = table_create(three, 3, cell, &r);
    struct theme *t = theme256();
    table_set_rows(tb, 10000);
    reset(&r);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true); /* header + 19 rows */
    assert_int_equal(r.calls, 19 * 3);
    assert_int_equal(r.min_row, 0);
    assert_int_equal(r.max_row, 18);
    assert_string_equal(wsupport_text(stdscr, 3, 0, 4), "r0c0");
    table_end(tb);
    assert_int_equal(table_selected(tb), 9999);
    reset(&r);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true);
    assert_int_equal(r.calls, 19 * 3);
    assert_int_equal(r.min_row, 9981);
    assert_int_equal(r.max_row, 9999);
    assert_int_equal(table_top(tb), 9981);
    assert_string_equal(wsupport_text(stdscr, 21, 0, 7), "r9999c0");
    assert_int_equal(table_row_at(tb, 21), 9999);
    assert_int_equal(table_row_at(tb, 3), 9981);
    assert_int_equal(table_row_at(tb, 2), -1);
    assert_int_equal(table_row_at(tb, 22), -1);
    table_destroy(tb);
    theme_destroy(t);
}

static void test_paging(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    struct table *tb = table_create(three, 3, cell, &r);
    struct theme *t = theme256();
    table_set_rows(tb, 10000);
    /* Moves clamp, pages move the view with the selection. */
    table_move(tb, LONG_MIN);
    assert_int_equal(table_selected(tb), 0);
    table_move(tb, LONG_MAX);
    assert_int_equal(table_selected(tb), 9999);
    table_home(tb);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true);
    table_page(tb, 1);
    assert_int_equal(table_selected(tb), 19);
    table_move(tb, 3);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true);
    assert_int_equal(table_top(tb), 19);
    assert_int_equal(table_selected(tb), 22);
    table_page(tb, -1);
    assert_int_equal(table_selected(tb), 3);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true);
    assert_int_equal(table_top(tb), 0);
    table_page(tb, -1);
    assert_int_equal(table_selected(tb), 0);
    table_select(tb, 5000);
    reset(&r);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true);
    assert_int_equal(r.calls, 19 * 3);
    assert_true(r.min_row <= 5000 && r.max_row >= 5000 && r.max_row - r.min_row == 18);
    table_select(tb, SIZE_MAX);
    assert_int_equal(table_selected(tb), 9999);
    /* Rows shrinking keep the selection, clamped. */
    table_set_rows(tb, 10);
    assert_int_equal(table_selected(tb), 9);
    reset(&r);
    table_draw(tb, stdscr, t, 2, 0, 20, 80, true);
    assert_int_equal(table_top(tb), 0);
    assert_int_equal(r.calls, 10 * 3);
    table_destroy(tb);
    theme_destroy(t);
}

static void test_dirty(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    struct table *tb = table_create(three, 3, cell, &r);
    struct theme *t = theme256();
    assert_true(table_dirty(tb));
    table_set_rows(tb, 100);
    table_draw(tb, stdscr, t, 0, 0, 10, 80, true);
    assert_false(table_dirty(tb));
    table_select(tb, 0);
    assert_false(table_dirty(tb)); /* no change, no repaint */
    table_move(tb, 1);
    assert_true(table_dirty(tb));
    table_draw(tb, stdscr, t, 0, 0, 10, 80, true);
    table_move(tb, -5); /* already clamped at 0 after one step */
    assert_true(table_dirty(tb));
    table_draw(tb, stdscr, t, 0, 0, 10, 80, true);
    table_move(tb, -1);
    assert_false(table_dirty(tb));
    table_destroy(tb);
    theme_destroy(t);
}

static void test_column_widths(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    struct table *tb = table_create(three, 3, cell, &r);
    struct theme *t = theme256();
    table_set_rows(tb, 1);
    /* 30 columns: mins 4+6+3 and 2 gaps leave 15; Status stops at its max 8,
     * Name takes the rest; N keeps its min and aligns right. */
    table_draw(tb, stdscr, t, 0, 0, 5, 30, true);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 30), "Name              Status     N");
    assert_string_equal(wsupport_text(stdscr, 1, 0, 30), "r0c0              r0c1     r0…");
    /* 12 columns: N does not fit and is dropped (never asked for); the spare
     * column goes to Name. */
    reset(&r);
    table_draw(tb, stdscr, t, 0, 0, 5, 12, true);
    assert_string_equal(wsupport_text(stdscr, 0, 0, 12), "Name  Status");
    assert_int_equal(r.calls_per_col[2], 0);
    assert_int_equal(r.calls, 2);
    /* Narrower than the first column's min: it is cut, not dropped. */
    static const struct table_column wide[] = {{"A long heading", 20, 0, 0, false}};
    struct table *one = table_create(wide, 1, cell, &r);
    table_set_rows(one, 1);
    table_draw(one, stdscr, t, 6, 0, 3, 8, true);
    assert_string_equal(wsupport_text(stdscr, 6, 0, 8), "A long …");
    /* Equal weights share evenly; the rounding rest goes left first. */
    static const struct table_column even[] = {
        {"a", 1, 0, 1, false}, {"b", 1, 0, 1, false}, {"c", 1, 0, 1, false}};
    struct table *e = table_create(even, 3, cell, &r);
    table_draw(e, stdscr, t, 10, 0, 1, 13, true);
    assert_string_equal(wsupport_text(stdscr, 10, 0, 13), "a    b    c  ");
    table_destroy(e);
    table_destroy(one);
    table_destroy(tb);
    theme_destroy(t);
}

static void test_truncation(void **state)
{
    (void)state;
    static const struct table_column cols[] = {{"C", 8, 8, 0, false}, {"R", 5, 5, 0, true}};
    struct rows r = {.special = 0};
    r.text[0] = "abcdefghijklmnop";
    r.text[1] = "42";
    struct table *tb = table_create(cols, 2, cell, &r);
    struct theme *t = theme256();
    table_set_rows(tb, 1);
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 14), "abcdefg…    42");
    /* Double-width characters are never split: 日本語 is 6 columns. */
    r.text[0] = "日本語テキスト";
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 8), "日本語… ");
    r.text[0] = "ééééééééé"; /* 9 columns of 2-byte characters */
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 8), "ééééééé…");
    r.text[0] = "éééééééé"; /* exactly 8: no ellipsis */
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 8), "éééééééé");
    /* Control characters cannot move the cursor or recolour the terminal. */
    r.text[0] = "\x1b[31m\n";
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 8), "?[31m?  ");
    r.text[0] = "\xff\xfe ok";
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 8), "?? ok   ");
    /* ASCII mode: the ellipsis is three dots. */
    theme_set_ascii(t, true);
    r.text[0] = "abcdefghijklmnop";
    table_draw(tb, stdscr, t, 0, 0, 3, 20, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 8), "abcde...");
    table_destroy(tb);
    theme_destroy(t);
}

static void check_attrs(struct theme *t, bool focused)
{
    struct rows r = {.special = 1};
    r.text[0] = "crit";
    r.role[0] = THEME_CRIT;
    r.text[1] = "bold";
    r.role[1] = THEME_NORMAL;
    r.bold[1] = true;
    r.text[2] = "plain";
    r.role[2] = THEME_NORMAL;
    struct table *tb = table_create(three, 3, cell, &r);
    table_set_rows(tb, 3);
    werase(stdscr);
    table_draw(tb, stdscr, t, 0, 0, 5, 30, focused);
    /* Header, the selected row 0 across the whole width, then row 1's cells. */
    assert_true(wsupport_attrs_are(stdscr, 0, 0, 30, theme_attr(t, THEME_COLHEAD)));
    attr_t sel = theme_attr_mod(t, THEME_SELECTED, focused ? 0 : THEME_MOD_BLUR);
    assert_true(wsupport_attrs_are(stdscr, 1, 0, 30, sel));
    assert_true(wsupport_attrs_are(stdscr, 2, 0, 17, theme_attr(t, THEME_CRIT)));
    assert_true(wsupport_attrs_are(stdscr, 2, 17, 1, theme_attr(t, THEME_NORMAL)));
    assert_true(
        wsupport_attrs_are(stdscr, 2, 18, 8, theme_attr_mod(t, THEME_NORMAL, THEME_MOD_BOLD)));
    assert_true(wsupport_attrs_are(stdscr, 2, 27, 3, theme_attr(t, THEME_NORMAL)));
    assert_true(wsupport_attrs_are(stdscr, 3, 0, 30, theme_attr(t, THEME_NORMAL)));
    /* The bold cell in the selected row keeps its emphasis. */
    table_select(tb, 1);
    table_draw(tb, stdscr, t, 0, 0, 5, 30, focused);
    assert_true(wsupport_attrs_are(stdscr, 2, 0, 17, sel));
    unsigned mods = THEME_MOD_BOLD | (focused ? 0 : THEME_MOD_BLUR);
    assert_true(wsupport_attrs_are(stdscr, 2, 18, 8, theme_attr_mod(t, THEME_SELECTED, mods)));
    table_destroy(tb);
}

static void test_attrs_256(void **state)
{
    (void)state;
    struct theme *t = theme256();
    assert_int_not_equal(theme_pair(t, THEME_SELECTED), 0);
    check_attrs(t, true);
    check_attrs(t, false);
    theme_destroy(t);
}

static void test_attrs_mono(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    theme_apply(t, THEME_DEPTH_MONO);
    check_attrs(t, true);
    /* Mono: the selection is reverse video, the unfocused one reverse + dim. */
    assert_int_equal(wsupport_attr(stdscr, 2, 0), A_REVERSE);
    check_attrs(t, false);
    assert_int_equal(wsupport_attr(stdscr, 2, 0), A_REVERSE | A_DIM);
    theme_destroy(t);
}

static void test_degenerate(void **state)
{
    (void)state;
    struct theme *t = theme256();
    struct table *tb = table_create(NULL, 3, NULL, NULL);
    table_set_rows(tb, 5);
    table_draw(tb, stdscr, t, 0, 0, 5, 30, true);
    assert_string_equal(wsupport_text(stdscr, 1, 0, 3), "   ");
    table_destroy(tb);
    struct rows r = {.special = SIZE_MAX};
    reset(&r);
    tb = table_create(three, 3, cell, &r);
    table_set_rows(tb, 5);
    table_draw(NULL, stdscr, t, 0, 0, 5, 30, true);
    table_draw(tb, NULL, t, 0, 0, 5, 30, true);
    table_draw(tb, stdscr, t, 0, 0, 0, 30, true);
    table_draw(tb, stdscr, t, 0, 0, 5, 0, true);
    table_draw(tb, stdscr, t, 30, 0, 5, 30, true);  /* below the window */
    table_draw(tb, stdscr, t, -1, -1, 5, 30, true); /* above it */
    assert_int_equal(r.calls, 0);
    /* Past the window's bottom and right edges: clipped. */
    table_draw(tb, stdscr, t, 22, 70, 10, 30, true);
    assert_int_equal(r.calls, 1);                 /* one row fits, one 10-column column */
    table_draw(tb, stdscr, t, 0, 0, 1, 30, true); /* a header and no rows */
    assert_int_equal(table_row_at(tb, 1), -1);
    table_page(tb, 1); /* no page height: one row */
    assert_int_equal(table_selected(tb), 1);
    table_destroy(tb);
    table_destroy(NULL);
    assert_int_equal(table_rows(NULL), 0);
    assert_int_equal(table_selected(NULL), SIZE_MAX);
    assert_int_equal(table_row_at(NULL, 0), -1);
    theme_destroy(t);
}

static void test_subwindow(void **state)
{
    (void)state;
    struct rows r = {.special = SIZE_MAX};
    struct table *tb = table_create(three, 3, cell, &r);
    struct theme *t = theme256();
    table_set_rows(tb, 50);
    WINDOW *w = newwin(10, 40, 5, 10);
    table_draw(tb, w, t, 1, 1, 8, 38, true);
    /* Screen rows: window origin 5, table at 1, header at 6, rows from 7. */
    assert_int_equal(table_row_at(tb, 6), -1);
    assert_int_equal(table_row_at(tb, 7), 0);
    assert_int_equal(table_row_at(tb, 13), 6);
    assert_int_equal(table_row_at(tb, 14), -1);
    assert_string_equal(wsupport_text(w, 2, 1, 4), "r0c0");
    delwin(w);
    table_destroy(tb);
    theme_destroy(t);
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_rows, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_one_row, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_ten_thousand_rows, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_paging, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_dirty, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_column_widths, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_truncation, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_attrs_256, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_attrs_mono, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_degenerate, wsupport_setup, wsupport_teardown),
        cmocka_unit_test_setup_teardown(test_subwindow, wsupport_setup, wsupport_teardown),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
