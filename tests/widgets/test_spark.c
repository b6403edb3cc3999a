/*
 * spark: scaling (fixed and automatic max), gaps, the last width samples,
 * ASCII glyphs from a theme, buffer limits and hostile values.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "spark.h"
#include "theme.h"

static void test_scaling(void **state)
{
    (void)state;
    char buf[64];
    const long ramp[] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_string_equal(spark_format(buf, sizeof buf, ramp, 8, 8, 7, NULL), "▁▂▃▄▅▆▇█");
    assert_string_equal(spark_format(buf, sizeof buf, ramp, 8, 8, 0, NULL), "▁▂▃▄▅▆▇█");
    assert_string_equal(spark_format(buf, sizeof buf, ramp, 8, 8, -5, NULL), "▁▂▃▄▅▆▇█");
    /* A fixed max above the data keeps the bars low; above it clamps. */
    const long some[] = {0, 50, 100, 400};
    assert_string_equal(spark_format(buf, sizeof buf, some, 4, 8, 100, NULL), "▁▅██");
    assert_string_equal(spark_format(buf, sizeof buf, some, 4, 8, 0, NULL), "▁▂▃█");
    /* Anything above zero shows above the floor. */
    const long tiny[] = {1, 1000};
    assert_string_equal(spark_format(buf, sizeof buf, tiny, 2, 8, 0, NULL), "▂█");
    const long zeros[] = {0, 0, 0};
    assert_string_equal(spark_format(buf, sizeof buf, zeros, 3, 8, 0, NULL), "▁▁▁");
    const long huge[] = {LONG_MAX, LONG_MAX / 2, 0};
    assert_string_equal(spark_format(buf, sizeof buf, huge, 3, 8, 0, NULL), "█▅▁");
}

static void test_gaps_and_width(void **state)
{
    (void)state;
    char buf[64];
    const long gaps[] = {-1, 7, -1, 0};
    assert_string_equal(spark_format(buf, sizeof buf, gaps, 4, 8, 0, NULL), " █ ▁");
    const long none[] = {-1, -5};
    assert_string_equal(spark_format(buf, sizeof buf, none, 2, 8, 0, NULL), "  ");
    /* The last width samples, scaled among themselves. */
    const long series[] = {100, 100, 1, 2, 4};
    assert_string_equal(spark_format(buf, sizeof buf, series, 5, 3, 0, NULL), "▃▅█");
    assert_string_equal(spark_format(buf, sizeof buf, series, 5, 0, 0, NULL), "");
    assert_string_equal(spark_format(buf, sizeof buf, series, 5, -3, 0, NULL), "");
    assert_string_equal(spark_format(buf, sizeof buf, series, 0, 8, 0, NULL), "");
    assert_string_equal(spark_format(buf, sizeof buf, NULL, 5, 8, 0, NULL), "");
}

static void test_ascii(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    theme_set_ascii(t, true);
    char buf[64];
    const long ramp[] = {0, 1, 2, 3, 4, 5, 6, 7, -1};
    spark_format(buf, sizeof buf, ramp, 9, 9, 7, theme_glyphs(t));
    assert_int_equal(strlen(buf), 9);
    assert_int_equal(buf[0], theme_glyphs(t)->spark[0][0]);
    assert_int_equal(buf[7], theme_glyphs(t)->spark[7][0]);
    assert_int_equal(buf[8], ' ');
    for (size_t i = 0; i < 9; i++)
        assert_true(buf[i] >= 0x20 && buf[i] < 0x7f);
    theme_set_ascii(t, false);
    assert_string_equal(spark_format(buf, sizeof buf, ramp, 2, 8, 1, theme_glyphs(t)), "▁█");
    theme_destroy(t);
}

static void test_buffer_limits(void **state)
{
    (void)state;
    const long ramp[] = {0, 7, 7};
    char buf[8];
    memset(buf, 'x', sizeof buf);
    /* Room for one 3-byte glyph and the NUL only. */
    assert_string_equal(spark_format(buf, 4, ramp, 3, 3, 0, NULL), "▁");
    assert_int_equal(buf[4], 'x');
    assert_string_equal(spark_format(buf, 3, ramp, 3, 3, 0, NULL), "");
    assert_string_equal(spark_format(buf, 1, ramp, 3, 3, 0, NULL), "");
    buf[0] = 'y';
    assert_ptr_equal(spark_format(buf, 0, ramp, 3, 3, 0, NULL), buf);
    assert_int_equal(buf[0], 'y');
    assert_null(spark_format(NULL, 8, ramp, 3, 3, 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scaling),
        cmocka_unit_test(test_gaps_and_width),
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_buffer_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
