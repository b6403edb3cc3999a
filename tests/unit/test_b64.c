/*
 * Unit tests for sim/b64: degenerate inputs first (empty, impossible lengths,
 * stray characters and padding), then the RFC 4648 section 10 vectors in both
 * alphabets, then round trips of every length from 0 to 300.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "b64.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Decodes a NUL-terminated text; returns the rc, leaves the buffer in *out. */
static int decode_str(const char *text, unsigned char **out, size_t *len)
{
    return b64_decode(text, strlen(text), out, len);
}

static void assert_rejected(const char *text, size_t len)
{
    unsigned char *out = (unsigned char *)"sentinel";
    size_t outlen = 12345;

    if (b64_decode(text, len, &out, &outlen) != -1)
        fail_msg("b64_decode accepted \"%.*s\" (length %zu)", (int)len, text, len);
    assert_null(out);
}

static void assert_decodes(const char *text, const void *expect, size_t expect_len)
{
    unsigned char *out = NULL;
    size_t len = 0;

    if (decode_str(text, &out, &len) != 0)
        fail_msg("b64_decode refused \"%s\"", text);
    assert_non_null(out);
    assert_int_equal(len, expect_len);
    if (expect_len)
        assert_memory_equal(out, expect, expect_len);
    assert_int_equal(out[len], '\0');
    free(out);
}

static void test_empty(void **state)
{
    (void)state;
    char *s = b64_std_encode((const unsigned char *)"", 0);
    char *u = b64_url_encode((const unsigned char *)"", 0);
    unsigned char *out = NULL;
    size_t len = 99;

    assert_string_equal(s, "");
    assert_string_equal(u, "");
    free(s);
    free(u);

    assert_int_equal(b64_decode("", 0, &out, &len), 0);
    assert_non_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(out[0], '\0');
    free(out);

    /* Padding alone is not an empty text. */
    assert_rejected("=", 1);
    assert_rejected("==", 2);
    assert_rejected("===", 3);
    assert_rejected("====", 4);
}

static void test_impossible_length(void **state)
{
    (void)state;
    /* One leftover digit carries only 6 bits: never the output of an encoder. */
    assert_rejected("Q", 1);
    assert_rejected("QUJDR", 5);
    assert_rejected("Zm9vYmFyQ", 9);
    assert_rejected("Q===", 4);
    assert_rejected("QUJDR===", 8);
}

static void test_bad_characters(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "QU!D", "QUJ.", "QU*D", "QUJ~", "QUJ%", "Zm9\"", "Zm9vYmF\\", "Zm9\x80", "Zm9vYmF\xff",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_rejected(bad[i], strlen(bad[i]));
    /* An embedded NUL is a bad character, not the end of the text. */
    assert_rejected("QU\0D", 4);
    assert_rejected("Zm9v\0\0\0\0", 8);
}

static void test_whitespace(void **state)
{
    (void)state;
    static const char *const bad[] = {
        " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\n", "\tZm9v", "Zm9vYmFy\nZm9v", "Zm9vYg==\n",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_rejected(bad[i], strlen(bad[i]));
}

static void test_padding_in_the_middle(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==Zm9v", "Zm8=Zm9v", "Q=JD", "QU=D", "=QUJ", "Zm9vYg==Zg==", "Zg=a",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_rejected(bad[i], strlen(bad[i]));
}

static void test_padding_wrong_length(void **state)
{
    (void)state;
    /* Padding is only meaningful on a text whose length is a multiple of 4. */
    static const char *const bad[] = {
        "Zg=", "Zm9vYg=", "Zm9vYmE==", "Zm8==", "Zg===", "Zm9vYmFy=", "Zm9vYmFy==", "Zm9v====",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_rejected(bad[i], strlen(bad[i]));
}

static void test_nonzero_trailing_bits(void **state)
{
    (void)state;
    /* "Zg" is 'f'; "Zh".."Zv" carry the same byte with stray low bits set. */
    static const char *const bad[] = {
        "Zh==", "Zh", "Zv", "Zm9=", "Zm9", "Zm9vYh==", "Zm9vYmF=", "Zm9vYmF", "QR==", "AB",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_rejected(bad[i], strlen(bad[i]));
    assert_decodes("Zg", "f", 1);
    assert_decodes("AA", "\0", 1);
}

/* RFC 4648 section 10. */
static const struct {
    const char *plain, *std, *url;
} rfc[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(rfc); i++) {
        size_t n = strlen(rfc[i].plain);
        char *s = b64_std_encode((const unsigned char *)rfc[i].plain, n);
        char *u = b64_url_encode((const unsigned char *)rfc[i].plain, n);
        assert_string_equal(s, rfc[i].std);
        assert_string_equal(u, rfc[i].url);
        free(s);
        free(u);
        /* The decoder takes either form. */
        assert_decodes(rfc[i].std, rfc[i].plain, n);
        assert_decodes(rfc[i].url, rfc[i].plain, n);
    }
}

/* Bytes whose encoding uses digits 62 and 63, where the two alphabets differ. */
static void test_alphabets(void **state)
{
    (void)state;
    static const struct {
        unsigned char bytes[6];
        size_t len;
        const char *std, *url;
    } v[] = {
        {{0xfb, 0xef, 0xbe}, 3, "++++", "----"},
        {{0xff, 0xff, 0xff}, 3, "////", "____"},
        {{0xfb, 0xff}, 2, "+/8=", "-_8"},
        {{0xff}, 1, "/w==", "_w"},
        {{0xfa}, 1, "+g==", "-g"},
        {{0x00, 0x10, 0x83, 0x10, 0x51, 0x87}, 6, "ABCDEFGH", "ABCDEFGH"},
        {{0x3e, 0xff, 0xbf}, 3, "Pv+/", "Pv-_"},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        char *s = b64_std_encode(v[i].bytes, v[i].len);
        char *u = b64_url_encode(v[i].bytes, v[i].len);
        assert_string_equal(s, v[i].std);
        assert_string_equal(u, v[i].url);
        assert_null(strchr(u, '='));
        free(s);
        free(u);
        assert_decodes(v[i].std, v[i].bytes, v[i].len);
        assert_decodes(v[i].url, v[i].bytes, v[i].len);
    }
    /* Padded url alphabet and unpadded standard alphabet are accepted too. */
    assert_decodes("-_8=", "\xfb\xff", 2);
    assert_decodes("+/8", "\xfb\xff", 2);
    assert_decodes("_w==", "\xff", 1);
    assert_decodes("/w", "\xff", 1);
}

/* The decoder reads text_len bytes, not up to a NUL. */
static void test_length_is_respected(void **state)
{
    (void)state;
    unsigned char *out = NULL;
    size_t len = 0;

    assert_int_equal(b64_decode("Zm9vYmFy", 4, &out, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(out, "foo", 3);
    free(out);
    assert_int_equal(b64_decode("Zm9v!!!!", 4, &out, &len), 0);
    assert_int_equal(len, 3);
    free(out);
    assert_int_equal(b64_decode("Zg==xyz", 4, &out, &len), 0);
    assert_int_equal(len, 1);
    free(out);
}

/* splitmix64: a fixed sequence, so a failure is reproducible. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void test_round_trip_all_lengths(void **state)
{
    (void)state;
    uint64_t seed = 20250701;
    unsigned char buf[300];

    for (size_t n = 0; n <= sizeof buf; n++) {
        for (int round = 0; round < 4; round++) {
            for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char)next_random(&seed);
            char *s = b64_std_encode(buf, n);
            char *u = b64_url_encode(buf, n);

            /* Exact lengths: padded to a multiple of 4, unpadded ceil(4n/3). */
            assert_int_equal(strlen(s), (n + 2) / 3 * 4);
            assert_int_equal(strlen(u), (n * 4 + 2) / 3);
            assert_null(strchr(u, '='));
            assert_null(strchr(u, '+'));
            assert_null(strchr(u, '/'));
            assert_null(strchr(s, '-'));
            assert_null(strchr(s, '_'));

            assert_decodes(s, buf, n);
            assert_decodes(u, buf, n);
            free(s);
            free(u);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_impossible_length),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_padding_in_the_middle),
        cmocka_unit_test(test_padding_wrong_length),
        cmocka_unit_test(test_nonzero_trailing_bits),
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_alphabets),
        cmocka_unit_test(test_length_is_respected),
        cmocka_unit_test(test_round_trip_all_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
