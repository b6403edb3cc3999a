/* textsafe: hostile text (escapes, invalid UTF-8, bidi controls) made safe; clean text kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textsafe.h"

static void expect(const char *in, const char *out)
{
    char *got = textsafe_copy(in);
    assert_string_equal(got, out);
    assert_true(textsafe_clean(got));
    assert_int_equal(textsafe_clean(in), strcmp(in, out) == 0);
    free(got);
}

static void test_clean_text_unchanged(void **state)
{
    (void)state;
    expect("", "");
    expect("kv-tde-eus2/tde-protector-2025", "kv-tde-eus2/tde-protector-2025");
    expect("Fran\xc3\xa7"
           "ais \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91", /* 2, 3, 4 bytes */
           "Fran\xc3\xa7"
           "ais \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91");
    assert_null(textsafe_copy(NULL));
}

static void test_controls_become_spaces(void **state)
{
    (void)state;
    expect("a\x1b[2Jb", "a [2Jb");
    expect("\x1b]0;pwned\x07", " ]0;pwned ");
    expect("line\r\nnext\ttab\b\x7f", "line  next tab  ");
    expect("c1 \xc2\x9b"
           "31m",
           "c1  31m"); /* CSI as a C1 control */
    expect("bidi \xe2\x80\xae"
           "evil \xe2\x81\xa6",
           "bidi  evil  "); /* RLO, LRI */
    expect("sep \xe2\x80\xa8", "sep  ");
}

static void test_invalid_utf8_becomes_question_marks(void **state)
{
    (void)state;
    expect("\xff\xfe", "??");
    expect("\xc0\xaf", "??");           /* overlong '/' */
    expect("\xe0\x80\xaf", "???");      /* overlong, three bytes */
    expect("\xed\xa0\x80", "???");      /* a UTF-16 surrogate */
    expect("\xf4\x90\x80\x80", "????"); /* past U+10FFFF */
    expect("end \xe2\x82", "end ??");   /* truncated at the end */
    expect("\xe2\x82 x", "?? x");       /* truncated in the middle */
    expect("\x80", "?");                /* a lone continuation byte */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_text_unchanged),
        cmocka_unit_test(test_controls_become_spaces),
        cmocka_unit_test(test_invalid_utf8_becomes_question_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
