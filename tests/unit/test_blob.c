/*
 * Unit tests for sim/blob: texts that are not blobs first (garbage, empty,
 * truncated, wrong magic), then round trips, then every way a genuine blob
 * must fail to open: another geography, another master key, any flipped byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "blob.h"
#include "secret.h"

#define HEADER 20 /* "AZSIMKB1" + 12-byte nonce */
#define TAG    16

static const unsigned char master[BLOB_MASTER_LEN] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
};

static const char plain[] =
    "{\"kid\":\"https://kv.vault.azure.net/keys/k/v\",\"material\":\"...\"}";

static void assert_open_fails(const unsigned char *key, const char *geography, const char *text)
{
    unsigned char *out = (unsigned char *)"sentinel";
    size_t len = 999;

    if (blob_open(key, geography, text, &out, &len) != -1)
        fail_msg("blob_open accepted \"%.80s\" for %s", text, geography);
    assert_null(out);
    assert_int_equal(len, 0);
}

static void assert_opens(const unsigned char *key, const char *geography, const char *text,
                         const void *expect, size_t expect_len)
{
    unsigned char *out = NULL;
    size_t len = 0;

    if (blob_open(key, geography, text, &out, &len) != 0)
        fail_msg("blob_open refused a blob for %s", geography);
    assert_non_null(out);
    assert_int_equal(len, expect_len);
    if (expect_len)
        assert_memory_equal(out, expect, expect_len);
    assert_int_equal(out[len], '\0');
    secret_free(out, len);
}

/* The blob's bytes, decoded. */
static unsigned char *raw(const char *text, size_t *len)
{
    unsigned char *buf = NULL;
    assert_int_equal(b64_decode(text, strlen(text), &buf, len), 0);
    return buf;
}

static void test_not_blobs(void **state)
{
    (void)state;
    assert_open_fails(master, "United States", "");
    assert_open_fails(master, "United States", "!!!!");
    assert_open_fails(master, "United States", "not base64 at all");
    assert_open_fails(master, "United States", "QUJD\n");
    assert_open_fails(master, "United States", "Q");
    /* Valid base64, but too short to hold magic, nonce and tag. */
    assert_open_fails(master, "United States", "QVpTSU1LQjE");
    /* Long enough, wrong magic. */
    unsigned char fake[HEADER + TAG + 8];
    memset(fake, 'A', sizeof fake);
    char *text = b64_url_encode(fake, sizeof fake);
    assert_open_fails(master, "United States", text);
    free(text);
    secret_free(NULL, 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));

    assert_non_null(text);
    /* base64url without padding, and the plaintext does not show. */
    assert_null(strchr(text, '='));
    assert_null(strchr(text, '+'));
    assert_null(strchr(text, '/'));
    assert_null(strstr(text, "kid"));
    size_t len;
    unsigned char *buf = raw(text, &len);
    assert_int_equal(len, HEADER + strlen(plain) + TAG);
    assert_memory_equal(buf, "AZSIMKB1", 8);
    free(buf);

    assert_opens(master, "United States", text, plain, strlen(plain));
    free(text);

    /* Empty and large plaintexts. */
    text = blob_seal(master, "Europe", (const unsigned char *)"", 0);
    assert_opens(master, "Europe", text, "", 0);
    free(text);
    size_t big = 200000;
    unsigned char *data = malloc(big);
    assert_non_null(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 31 + 7);
    text = blob_seal(master, "Europe", data, big);
    assert_opens(master, "Europe", text, data, big);
    free(text);
    free(data);
}

static void test_fresh_nonce(void **state)
{
    (void)state;
    char *a = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));
    char *b = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));

    assert_string_not_equal(a, b);
    assert_opens(master, "United States", a, plain, strlen(plain));
    assert_opens(master, "United States", b, plain, strlen(plain));
    free(a);
    free(b);
}

static void test_geography(void **state)
{
    (void)state;
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));

    assert_open_fails(master, "Europe", text);
    assert_open_fails(master, "United States ", text);
    assert_open_fails(master, "UnitedStates", text);
    assert_open_fails(master, "", text);
    /* Geography names compare ignoring case. */
    assert_opens(master, "united states", text, plain, strlen(plain));
    assert_opens(master, "UNITED STATES", text, plain, strlen(plain));
    free(text);

    text = blob_seal(master, "EUROPE", (const unsigned char *)plain, strlen(plain));
    assert_opens(master, "Europe", text, plain, strlen(plain));
    assert_open_fails(master, "United States", text);
    free(text);
}

static void test_other_master(void **state)
{
    (void)state;
    unsigned char other[BLOB_MASTER_LEN];
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));

    for (size_t i = 0; i < BLOB_MASTER_LEN; i++) {
        memcpy(other, master, sizeof other);
        other[i] ^= 0x01;
        assert_open_fails(other, "United States", text);
    }
    memset(other, 0, sizeof other);
    assert_open_fails(other, "United States", text);
    free(text);
}

static void test_flipped_bytes(void **state)
{
    (void)state;
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));
    size_t len;
    unsigned char *buf = raw(text, &len);

    /* Magic, nonce, ciphertext and tag: every byte, every bit position in turn. */
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= (unsigned char)(1u << (i % 8));
        char *bad = b64_url_encode(buf, len);
        assert_open_fails(master, "United States", bad);
        free(bad);
        buf[i] ^= (unsigned char)(1u << (i % 8));
    }
    /* Untouched, it still opens (the loop restored every byte). */
    char *same = b64_url_encode(buf, len);
    assert_opens(master, "United States", same, plain, strlen(plain));
    free(same);
    free(buf);
    free(text);
}

static void test_truncated_and_extended(void **state)
{
    (void)state;
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));
    size_t len;
    unsigned char *buf = raw(text, &len);

    for (size_t n = 0; n < len; n++) {
        char *cut = b64_url_encode(buf, n);
        assert_open_fails(master, "United States", cut);
        free(cut);
    }
    /* One byte more is not the same blob either. */
    unsigned char *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, buf, len);
    longer[len] = 0;
    char *ext = b64_url_encode(longer, len + 1);
    assert_open_fails(master, "United States", ext);
    free(ext);
    free(longer);

    /* The text cut at any character. */
    size_t tlen = strlen(text);
    for (size_t n = 0; n < tlen; n += 7) {
        char *cut = malloc(n + 1);
        assert_non_null(cut);
        memcpy(cut, text, n);
        cut[n] = '\0';
        assert_open_fails(master, "United States", cut);
        free(cut);
    }
    free(buf);
    free(text);
}

static void test_wrong_magic(void **state)
{
    (void)state;
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));
    size_t len;
    unsigned char *buf = raw(text, &len);

    static const char *const magics[] = {"AZSIMKB2", "azsimkb1", "AZSIMKB0", "XXXXXXXX"};
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        memcpy(buf, magics[i], 8);
        char *bad = b64_url_encode(buf, len);
        assert_open_fails(master, "United States", bad);
        free(bad);
    }
    free(buf);
    free(text);
}

static void test_standard_alphabet(void **state)
{
    (void)state;
    /* The blob travels as base64url, but a client re-encoding it in standard base64 works. */
    char *text = blob_seal(master, "United States", (const unsigned char *)plain, strlen(plain));
    size_t len;
    unsigned char *buf = raw(text, &len);
    char *std = b64_std_encode(buf, len);
    assert_opens(master, "United States", std, plain, strlen(plain));
    free(std);
    free(buf);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_blobs),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fresh_nonce),
        cmocka_unit_test(test_geography),
        cmocka_unit_test(test_other_master),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_standard_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
