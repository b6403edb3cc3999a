/* Unit tests for sim/jwt: azsim's own tokens and client assertions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "b64.h"
#include "jwt.h"
#include "secret.h"
#include "tls.h"
#include "xmem.h"

/* Made once: RSA key generation is the slow part of these tests. */
static struct jwt_signer *signer_a, *signer_b;
static EVP_PKEY *client_key, *other_key;
static char *client_pem;

static const char claims_json[] =
    "{\"aud\":\"https://vault.azure.net\",\"iss\":\"https://login.localhost/t/\","
    "\"sub\":\"3f1c\",\"exp\":1900000000,\"roles\":[\"a\",\"b\"],\"x\":{\"y\":null}}";

static char *self_signed_pem(EVP_PKEY *key)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)"client", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);

    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(bio, x), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = xstrndup(data, (size_t)n);
    BIO_free(bio);
    X509_free(x);
    return pem;
}

static int setup(void **state)
{
    signer_a = jwt_signer_generate(NULL);
    signer_b = jwt_signer_generate(NULL);
    client_key = EVP_RSA_gen(2048);
    other_key = EVP_RSA_gen(2048);
    if (signer_a == NULL || signer_b == NULL || client_key == NULL || other_key == NULL)
        return -1;
    client_pem = self_signed_pem(client_key);
    return 0;
}

static int teardown(void **state)
{
    jwt_signer_destroy(signer_a);
    jwt_signer_destroy(signer_b);
    EVP_PKEY_free(client_key);
    EVP_PKEY_free(other_key);
    free(client_pem);
    return 0;
}

static char *b64s(const char *s)
{
    return b64_url_encode((const unsigned char *)s, strlen(s));
}

/* header.payload.signature by hand: RS256 (pss 0) or PS256 (pss 1) with key. */
static char *make_token(const char *header, const char *payload, EVP_PKEY *key, int pss)
{
    char *h = b64s(header), *p = b64s(payload);
    char *tbs = xasprintf("%s.%s", h, p);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char sig[512];
    size_t sig_len = sizeof sig;

    assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key), 1);
    if (pss) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
    }
    assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)tbs, strlen(tbs)),
                     1);
    char *s = b64_url_encode(sig, sig_len);
    char *token = xasprintf("%s.%s", tbs, s);
    EVP_MD_CTX_free(ctx);
    free(s);
    free(tbs);
    free(p);
    free(h);
    return token;
}

/* The token with part idx (0 header, 1 payload, 2 signature) replaced by part. */
static char *replace_part(const char *token, int idx, const char *part)
{
    const char *d1 = strchr(token, '.');
    const char *d2 = strchr(d1 + 1, '.');
    if (idx == 0)
        return xasprintf("%s%s", part, d1);
    if (idx == 1)
        return xasprintf("%.*s.%s%s", (int)(d1 - token), token, part, d2);
    return xasprintf("%.*s.%s", (int)(d2 - token), token, part);
}

/* Expects jwt_verify to refuse with `want` (JWT_MALFORMED, JWT_UNKNOWN_KEY, JWT_BAD_SIGNATURE). */
static void expect_refused(const char *token, size_t len, int want)
{
    static cJSON sentinel;
    cJSON *claims = &sentinel;
    char *cause = NULL;
    assert_int_equal(jwt_verify(signer_a, token, len, &claims, &cause), want);
    assert_null(claims);
    assert_non_null(cause);
    if (token != NULL && len > 8)
        assert_null(strstr(cause, token)); /* never echo the token */
    free(cause);
    assert_int_equal(jwt_verify(signer_a, token, len, &claims, NULL), want);
}

static void expect_rejected(const char *token, size_t len)
{
    expect_refused(token, len, JWT_MALFORMED);
}

static void expect_str_rejected(const char *token)
{
    expect_rejected(token, strlen(token));
}

static void expect_assertion(const char *token, const char *pem, int ok)
{
    cJSON *claims = NULL;
    char *cause = NULL;
    int rc = jwt_verify_assertion(token, strlen(token), pem, &claims, &cause);
    if (ok) {
        assert_int_equal(rc, 0);
        assert_null(cause);
        cJSON *want = cJSON_Parse(claims_json);
        assert_true(cJSON_Compare(want, claims, 1));
        cJSON_Delete(want);
        cJSON_Delete(claims);
    } else {
        assert_int_equal(rc, -1);
        assert_null(claims);
        assert_non_null(cause);
        free(cause);
    }
}

static void test_round_trip(void **state)
{
    cJSON *in = cJSON_Parse(claims_json), *out = NULL;
    char *token = jwt_sign(signer_a, in);
    char *cause = NULL;
    assert_non_null(token);
    assert_int_equal(jwt_verify(signer_a, token, strlen(token), &out, &cause), 0);
    assert_null(cause);
    assert_true(cJSON_Compare(in, out, 1));

    /* The header is exactly what Entra-like clients expect. */
    const char *kid = jwt_signer_kid(signer_a);
    char *header =
        xasprintf("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"%s\",\"kid\":\"%s\"}", kid, kid);
    char *h64 = b64s(header);
    assert_int_equal(strncmp(token, h64, strlen(h64)), 0);
    assert_int_equal(token[strlen(h64)], '.');
    assert_null(jwt_sign(signer_a, NULL));

    free(h64);
    free(header);
    free(token);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

static void test_malformed(void **state)
{
    expect_rejected(NULL, 0);
    expect_rejected("", 0);
    const char *bad[] = {"abc",       "a.b",           "a.b.c.d",      "..",          "a..c",
                         ".b.c",      "a.b.",          "e30.e30.",     "e30..AA",     "e30.e30.AA.",
                         "e30.e30.A", "e30=.e30.AAAA", "e30.e30.AA+A", "e30.e30.AA A"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_str_rejected(bad[i]);

    char *big = xmalloc(16 * 1024 + 2);
    memset(big, 'A', 16 * 1024 + 1);
    big[100] = big[200] = '.';
    big[16 * 1024 + 1] = '\0';
    char *cause = NULL;
    cJSON *claims = NULL;
    assert_int_equal(jwt_verify(signer_a, big, strlen(big), &claims, &cause), -1);
    assert_string_equal(cause, "token too long");
    free(cause);
    free(big);
}

/* Takes a valid token from signer_a and changes one part at a time. */
static void test_tampered(void **state)
{
    cJSON *in = cJSON_Parse(claims_json);
    char *token = jwt_sign(signer_a, in);
    size_t len = strlen(token);

    char *copy = xstrdup(token);
    char *sig = strrchr(copy, '.') + 1;
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    expect_refused(copy, len, JWT_BAD_SIGNATURE);
    memcpy(copy, token, len + 1);
    copy[5] = copy[5] == 'A' ? 'B' : 'A';
    expect_str_rejected(copy);       /* the header no longer decodes to our JSON */
    expect_rejected(token, len - 1); /* truncated signature: no longer base64url */

    char *other = b64s("{\"aud\":\"https://vault.azure.net\",\"sub\":\"admin\"}");
    char *swapped = replace_part(token, 1, other);
    expect_refused(swapped, strlen(swapped), JWT_BAD_SIGNATURE);
    free(swapped);
    char *nojson = b64s("not json");
    swapped = replace_part(token, 0, nojson);
    expect_str_rejected(swapped);
    free(swapped);
    swapped = replace_part(token, 1, nojson);
    expect_str_rejected(swapped);
    free(swapped);
    char *array = b64s("[1,2]");
    swapped = replace_part(token, 1, array);
    expect_str_rejected(swapped);
    free(swapped);

    free(array);
    free(nojson);
    free(other);
    free(copy);
    free(token);
    cJSON_Delete(in);
}

/* The template with every '@' replaced by signer_a's kid. */
static char *with_kid(const char *tmpl)
{
    const char *kid = jwt_signer_kid(signer_a);
    size_t kid_len = strlen(kid), n = 0;
    for (const char *t = tmpl; *t != '\0'; t++)
        n += *t == '@' ? kid_len : 1;
    char *out = xmalloc(n + 1), *o = out;
    for (const char *t = tmpl; *t != '\0'; t++) {
        if (*t == '@') {
            memcpy(o, kid, kid_len);
            o += kid_len;
        } else {
            *o++ = *t;
        }
    }
    *o = '\0';
    return out;
}

static EVP_PKEY *key_of(const struct jwt_signer *signer)
{
    char *key_pem = jwt_signer_key_pem(signer);
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(key);
    BIO_free(bio);
    secret_free_str(key_pem);
    return key;
}

static void reject_header(const char *tmpl, int want)
{
    char *header = with_kid(tmpl);
    EVP_PKEY *key = key_of(signer_a);
    char *token = make_token(header, claims_json, key, 0);
    expect_refused(token, strlen(token), want);
    free(token);
    EVP_PKEY_free(key);
    free(header);
}

static void test_bad_headers(void **state)
{
    /* Each is signed with signer_a's real key: only the header is wrong. */
    reject_header("{\"alg\":\"none\",\"kid\":\"@\",\"x5t\":\"@\"}", JWT_MALFORMED);
    reject_header("{\"alg\":\"HS256\",\"kid\":\"@\",\"x5t\":\"@\"}", JWT_MALFORMED);
    reject_header("{\"alg\":\"rs256\",\"kid\":\"@\",\"x5t\":\"@\"}", JWT_MALFORMED);
    reject_header("{\"alg\":[\"RS256\"],\"kid\":\"@\"}", JWT_MALFORMED);
    reject_header("{\"kid\":\"@\",\"x5t\":\"@\"}", JWT_MALFORMED);
    reject_header("{\"alg\":\"RS256\",\"x5t\":\"@\"}", JWT_UNKNOWN_KEY);
    reject_header("{\"alg\":\"RS256\",\"kid\":\"x@\"}", JWT_UNKNOWN_KEY);
    reject_header("{\"alg\":\"RS256\",\"KID\":\"@\"}", JWT_UNKNOWN_KEY);
    reject_header("{\"alg\":\"RS256\",\"kid\":\"@\",\"alg\":\"none\"}", JWT_MALFORMED);
    reject_header("{\"alg\":\"RS256\",\"kid\":\"@\",\"crit\":[\"b64\"]}", JWT_MALFORMED);
    reject_header("[\"RS256\",\"@\"]", JWT_MALFORMED);
    reject_header("{\"alg\":\"RS256\",\"kid\":\"@\"} \"@\"", JWT_MALFORMED);

    /* Control: the same construction with a proper header passes. */
    char *header = with_kid("{\"alg\":\"RS256\",\"kid\":\"@\"}");
    EVP_PKEY *key = key_of(signer_a);
    char *token = make_token(header, claims_json, key, 0);
    cJSON *claims = NULL;
    assert_int_equal(jwt_verify(signer_a, token, strlen(token), &claims, NULL), 0);
    cJSON_Delete(claims);
    free(token);
    EVP_PKEY_free(key);
    free(header);
}

static void test_other_signer(void **state)
{
    cJSON *in = cJSON_Parse(claims_json);
    char *token = jwt_sign(signer_b, in);
    assert_string_not_equal(jwt_signer_kid(signer_a), jwt_signer_kid(signer_b));
    expect_refused(token, strlen(token), JWT_UNKNOWN_KEY);

    /* signer_b's signature under signer_a's kid is still refused. */
    const char *kid = jwt_signer_kid(signer_a);
    char *header =
        xasprintf("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"%s\",\"kid\":\"%s\"}", kid, kid);
    char *h64 = b64s(header);
    char *forged = replace_part(token, 0, h64);
    expect_refused(forged, strlen(forged), JWT_BAD_SIGNATURE);

    free(forged);
    free(h64);
    free(header);
    free(token);
    cJSON_Delete(in);
}

static char *ec_key_pem(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = xstrndup(data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(k);
    return pem;
}

static void test_save_load(void **state)
{
    char *key_pem = jwt_signer_key_pem(signer_a);
    assert_non_null(strstr(key_pem, "-----BEGIN PRIVATE KEY-----"));
    char *cause = NULL;
    struct jwt_signer *loaded = jwt_signer_load(key_pem, &cause);
    assert_non_null(loaded);
    assert_null(cause);
    assert_string_equal(jwt_signer_kid(loaded), jwt_signer_kid(signer_a));
    char *j1 = jwt_signer_jwks(signer_a), *j2 = jwt_signer_jwks(loaded);
    assert_string_equal(j1, j2); /* same certificate in x5c too */

    cJSON *in = cJSON_Parse(claims_json), *out = NULL;
    char *before = jwt_sign(signer_a, in), *after = jwt_sign(loaded, in);
    assert_int_equal(jwt_verify(loaded, before, strlen(before), &out, NULL), 0);
    cJSON_Delete(out);
    assert_int_equal(jwt_verify(signer_a, after, strlen(after), &out, NULL), 0);
    cJSON_Delete(out);

    assert_null(jwt_signer_load(NULL, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_null(jwt_signer_load("garbage", &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    char *ec = ec_key_pem();
    assert_null(jwt_signer_load(ec, &cause));
    assert_non_null(cause);

    free(cause);
    free(ec);
    free(before);
    free(after);
    cJSON_Delete(in);
    free(j1);
    free(j2);
    jwt_signer_destroy(loaded);
    secret_free_str(key_pem);
}

static void expect_bn_member(const cJSON *jwk, const char *member, EVP_PKEY *key, const char *param)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(jwk, member);
    assert_true(cJSON_IsString(item));
    unsigned char *bytes = NULL;
    size_t n = 0;
    assert_int_equal(b64_decode(item->valuestring, strlen(item->valuestring), &bytes, &n), 0);
    BIGNUM *want = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key, param, &want), 1);
    BIGNUM *got = BN_bin2bn(bytes, (int)n, NULL);
    assert_int_equal(BN_cmp(want, got), 0);
    assert_int_equal((size_t)BN_num_bytes(want), n); /* no leading zero bytes */
    BN_free(got);
    BN_free(want);
    free(bytes);
}

static void test_jwks(void **state)
{
    char *text = jwt_signer_jwks(signer_a);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
    assert_int_equal(cJSON_GetArraySize(keys), 1);
    const cJSON *jwk = cJSON_GetArrayItem(keys, 0);
    const char *kid = jwt_signer_kid(signer_a);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(jwk, "kty")->valuestring, "RSA");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(jwk, "use")->valuestring, "sig");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(jwk, "kid")->valuestring, kid);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(jwk, "x5t")->valuestring, kid);

    EVP_PKEY *key = key_of(signer_a);
    expect_bn_member(jwk, "n", key, OSSL_PKEY_PARAM_RSA_N);
    expect_bn_member(jwk, "e", key, OSSL_PKEY_PARAM_RSA_E);

    /* x5c[0] is the certificate of this key, and kid is its SHA-1 thumbprint. */
    const cJSON *x5c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(jwk, "x5c"), 0);
    assert_true(cJSON_IsString(x5c));
    unsigned char *der = NULL;
    size_t der_len = 0;
    assert_int_equal(b64_decode(x5c->valuestring, strlen(x5c->valuestring), &der, &der_len), 0);
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)der_len);
    assert_non_null(cert);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
    unsigned char sha1[20];
    assert_int_equal(EVP_Digest(der, der_len, sha1, NULL, EVP_sha1(), NULL), 1);
    char *thumb = b64_url_encode(sha1, sizeof sha1);
    assert_string_equal(thumb, kid);

    free(thumb);
    X509_free(cert);
    free(der);
    EVP_PKEY_free(key);
    cJSON_Delete(root);
    free(text);
}

static void test_assertion(void **state)
{
    char *x5t = jwt_cert_x5t(client_pem);
    assert_non_null(x5t);
    assert_int_equal(strlen(x5t), 27); /* 20 bytes, base64url, no padding */
    char *header = xasprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}", x5t);
    char *token = make_token(header, claims_json, client_key, 0);
    expect_assertion(token, client_pem, 1);
    free(token);
    free(header);

    header = xasprintf("{\"alg\":\"PS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}", x5t);
    token = make_token(header, claims_json, client_key, 1);
    expect_assertion(token, client_pem, 1);
    free(token);
    /* The same PS256 header over an RS256 signature (and vice versa) fails. */
    token = make_token(header, claims_json, client_key, 0);
    expect_assertion(token, client_pem, 0);
    free(token);
    free(header);

    token = make_token("{\"alg\":\"RS256\"}", claims_json, client_key, 0);
    expect_assertion(token, client_pem, 1); /* x5t is optional */
    free(token);

    token = make_token("{\"alg\":\"RS256\",\"x5t\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", claims_json,
                       client_key, 0);
    expect_assertion(token, client_pem, 0);
    free(token);
    token = make_token("{\"alg\":\"RS256\",\"x5t\":42}", claims_json, client_key, 0);
    expect_assertion(token, client_pem, 0);
    free(token);

    header = xasprintf("{\"alg\":\"RS256\",\"x5t\":\"%s\"}", x5t);
    token = make_token(header, claims_json, other_key, 0);
    expect_assertion(token, client_pem, 0); /* signed by another key */
    free(token);
    free(header);
    free(x5t);
}

static void test_assertion_s256(void **state)
{
    BIO *bio = BIO_new_mem_buf(client_pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    unsigned char md[32];
    unsigned int n = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
    char *s256 = b64_url_encode(md, n);
    X509_free(x);

    char *header = xasprintf("{\"alg\":\"PS256\",\"x5t#S256\":\"%s\"}", s256);
    char *token = make_token(header, claims_json, client_key, 1);
    expect_assertion(token, client_pem, 1);
    free(token);
    free(header);

    s256[3] = s256[3] == 'A' ? 'B' : 'A';
    header = xasprintf("{\"alg\":\"PS256\",\"x5t#S256\":\"%s\"}", s256);
    token = make_token(header, claims_json, client_key, 1);
    expect_assertion(token, client_pem, 0);
    free(token);
    free(header);
    free(s256);
}

static void test_assertion_bad_inputs(void **state)
{
    char *token = make_token("{\"alg\":\"HS256\"}", claims_json, client_key, 0);
    expect_assertion(token, client_pem, 0);
    free(token);
    token = make_token("{\"alg\":\"none\"}", claims_json, client_key, 0);
    expect_assertion(token, client_pem, 0);
    free(token);

    token = make_token("{\"alg\":\"RS256\"}", claims_json, client_key, 0);
    expect_assertion(token, "garbage", 0);
    expect_assertion(token, "", 0);
    cJSON *claims = NULL;
    char *cause = NULL;
    assert_int_equal(jwt_verify_assertion(token, strlen(token), NULL, &claims, &cause), -1);
    free(cause);
    cause = NULL;

    /* An EC certificate is not a key type assertions use here. */
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    char *ec_pem = self_signed_pem(ec);
    assert_int_equal(jwt_verify_assertion(token, strlen(token), ec_pem, &claims, &cause), -1);
    assert_string_equal(cause, "unsupported certificate key type");
    free(cause);
    expect_assertion("e30.e30", client_pem, 0);
    expect_assertion("e30.e30.AAAA.AAAA", client_pem, 0);

    assert_null(jwt_cert_x5t(NULL));
    assert_null(jwt_cert_x5t("garbage"));
    free(ec_pem);
    EVP_PKEY_free(ec);
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tampered),       cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_other_signer),   cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_jwks),           cmocka_unit_test(test_assertion),
        cmocka_unit_test(test_assertion_s256), cmocka_unit_test(test_assertion_bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
