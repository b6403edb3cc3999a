/* rows: the arena-backed rows of a table view and the filter; fmt's formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fmt.h"
#include "rows.h"

static struct rows *sample(void)
{
    struct rows *r = rows_create(2);
    const char *names[] = {"kv-tde-eus2", "kv-tde-cus", "kv-other-weu"};
    const char *states[] = {"UP", "DOWN", "UP"};
    for (size_t i = 0; i < 3; i++) {
        size_t row = rows_add(r, names[i], (int)i);
        rows_set(r, row, 0, THEME_NORMAL, "%s", names[i]);
        rows_set(r, row, 1, i == 1 ? THEME_CRIT : THEME_OK, "%s", states[i]);
    }
    return r;
}

static void test_degenerate(void **state)
{
    (void)state;
    struct rows *r = rows_create(0);
    assert_int_equal(rows_total(r), 0);
    assert_int_equal(rows_shown(r), 0);
    assert_int_equal(rows_row(r, 0), SIZE_MAX);
    assert_string_equal(rows_text(r, 5, 5), "");
    assert_string_equal(rows_subject(r, 5), "");
    assert_int_equal(rows_tag(r, 0), -1);
    assert_int_equal(rows_find(r, NULL), SIZE_MAX);
    assert_int_equal(rows_find(r, ""), SIZE_MAX);
    size_t row = rows_add(r, NULL, 0);
    rows_set(r, row, 7, THEME_CRIT, "out of range is ignored");
    assert_string_equal(rows_text(r, row, 0), "");
    assert_string_equal(rows_subject(r, row), "");
    rows_destroy(r);
    rows_destroy(NULL);
}

static void test_cells_and_roles(void **state)
{
    (void)state;
    struct rows *r = sample();
    assert_int_equal(rows_total(r), 3);
    assert_int_equal(rows_shown(r), 3);
    assert_string_equal(rows_text(r, 1, 1), "DOWN");
    assert_int_equal(rows_role(r, 1, 1), THEME_CRIT);
    assert_int_equal(rows_tag(r, 2), 2);
    rows_set_role(r, 0, THEME_STALE);
    assert_int_equal(rows_role(r, 0, 0), THEME_STALE);
    assert_int_equal(rows_role(r, 0, 1), THEME_STALE);
    struct table_cell cell;
    rows_cell(r, 1, 0, &cell);
    assert_string_equal(cell.text, "kv-tde-cus");
    /* A long cell is cut at the buffer, never overflows. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rows_set(r, 0, 0, THEME_NORMAL, "%s", big);
    assert_true(strlen(rows_text(r, 0, 0)) < sizeof big);
    rows_clear(r);
    assert_int_equal(rows_total(r), 0);
    rows_destroy(r);
}

static void test_filter_substring_regex_invert(void **state)
{
    (void)state;
    struct rows *r = sample();
    char *cause = NULL;
    assert_int_equal(rows_filter(r, "TDE", &cause), 0); /* case-insensitive substring */
    assert_int_equal(rows_shown(r), 2);
    assert_int_equal(rows_filter(r, "down", &cause), 0); /* any cell */
    assert_int_equal(rows_shown(r), 1);
    assert_int_equal(rows_row(r, 0), 1);
    assert_int_equal(rows_filter(r, "!up", &cause), 0);
    assert_int_equal(rows_shown(r), 1);
    assert_int_equal(rows_filter(r, "^kv-tde-(eus2|cus)$", &cause), 0);
    assert_int_equal(rows_shown(r), 2);
    assert_string_equal(rows_pattern(r), "^kv-tde-(eus2|cus)$");
    /* A bad regex is an error and keeps the last good filter. */
    assert_int_equal(rows_filter(r, "kv-(", &cause), -1);
    assert_non_null(cause);
    assert_non_null(strstr(cause, "kv-("));
    free(cause);
    assert_int_equal(rows_shown(r), 2);
    /* The filter stays across a rebuild. */
    rows_clear(r);
    size_t row = rows_add(r, "kv-tde-x", 0);
    rows_set(r, row, 0, THEME_NORMAL, "kv-tde-cus");
    row = rows_add(r, "y", 0);
    rows_set(r, row, 0, THEME_NORMAL, "other");
    assert_int_equal(rows_shown(r), 1);
    assert_int_equal(rows_find(r, "kv-tde-x"), 0);
    assert_int_equal(rows_find(r, "y"), SIZE_MAX);
    assert_int_equal(rows_filter(r, NULL, &cause), 0);
    assert_int_equal(rows_shown(r), 2);
    assert_int_equal(rows_filter(r, "!", &cause), 0); /* "!" alone: no filter */
    assert_int_equal(rows_shown(r), 2);
    rows_destroy(r);
}

static void test_large(void **state)
{
    (void)state;
    struct rows *r = rows_create(4);
    for (size_t i = 0; i < 20000; i++) {
        char subject[32];
        snprintf(subject, sizeof subject, "row-%zu", i);
        size_t row = rows_add(r, subject, (int)i);
        for (size_t c = 0; c < 4; c++)
            rows_set(r, row, c, THEME_NORMAL, "cell %zu/%zu", i, c);
    }
    assert_int_equal(rows_shown(r), 20000);
    assert_int_equal(rows_find(r, "row-19999"), 19999);
    char *cause = NULL;
    assert_int_equal(rows_filter(r, "cell 1999", &cause), 0);
    assert_int_equal(rows_shown(r), 11); /* 1999 and 19990..19999 */
    assert_string_equal(rows_text(r, 19999, 3), "cell 19999/3");
    rows_destroy(r);
}

static void test_fmt(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(fmt_age(b, sizeof b, -1), "-");
    assert_string_equal(fmt_age(b, sizeof b, 999), "0s");
    assert_string_equal(fmt_age(b, sizeof b, 45000), "45s");
    assert_string_equal(fmt_age(b, sizeof b, 12 * 60000 + 5), "12m");
    assert_string_equal(fmt_age(b, sizeof b, 3 * 3600000 + 5 * 60000), "3h 05m");
    assert_string_equal(fmt_age(b, sizeof b, 4 * 86400000LL + 2 * 3600000), "4d 02h");
    assert_string_equal(fmt_countdown(b, sizeof b, -5), "0:00");
    assert_string_equal(fmt_countdown(b, sizeof b, 785000), "13:05");
    assert_string_equal(fmt_countdown(b, sizeof b, 784001), "13:05"); /* rounds up */
    assert_string_equal(fmt_countdown(b, sizeof b, 3723000), "1:02:03");
    assert_string_equal(fmt_time(b, sizeof b, 0), "-");
    assert_string_equal(fmt_time(b, sizeof b, 1796000000000LL), "2026-11-30 00:53Z");
    assert_string_equal(fmt_date(b, sizeof b, 1796000000), "2026-11-30");
    assert_string_equal(fmt_date(b, sizeof b, 0), "-");
    assert_string_equal(fmt_short(b, sizeof b, "3f2a9c1e55", 8), "3f2a9c1e");
    assert_string_equal(fmt_short(b, sizeof b, "abc", 8), "abc");
    assert_string_equal(fmt_short(b, sizeof b, NULL, 8), "-");
    char tiny[4];
    assert_string_equal(fmt_age(tiny, sizeof tiny, 45000), "45s");
    assert_string_equal(fmt_time(tiny, sizeof tiny, 1796000000000LL), "-"); /* too small */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_cells_and_roles),
        cmocka_unit_test(test_filter_substring_regex_invert),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_fmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
