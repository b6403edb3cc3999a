/* Unit tests for core/authcert: loading PEM credentials and signing client assertions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "authcert.h"
#include "json.h"
#include "support_cert.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define CLIENT "88888888-8888-4888-8888-888888888888"
#define AUD    "https://login.localhost:8443/3b2f6c4e-1a7d-4c1e-9f3a-5d8e2b7c9a10/oauth2/v2.0/token"
#define NOW    1700000000

static char *key_pem, *cert_pem, *other_key_pem, *other_cert_pem;
static char *dir;

static int setup(void **state)
{
    (void)state;
    if (support_cert_pair("authcert-test", &key_pem, &cert_pem) < 0 ||
        support_cert_pair("authcert-other", &other_key_pem, &other_cert_pem) < 0 ||
        (dir = support_tmpdir_make()) == NULL)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(key_pem);
    free(cert_pem);
    free(other_key_pem);
    free(other_cert_pem);
    support_tmpdir_remove(dir);
    free(dir);
    return 0;
}

static struct authcert *from(const char *a, const char *b, const char *c, char **cause)
{
    char *pem = xasprintf("%s%s%s", a, b ? b : "", c ? c : "");
    struct authcert *ac = authcert_from_pem(pem, strlen(pem), cause);
    free(pem);
    return ac;
}

/* base64url SHA-1 of the certificate's DER, computed here independently. */
static char *expected_x5t(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    unsigned char *der = NULL, md[20];
    int n = i2d_X509(x, &der);
    unsigned int mdlen = 0;
    assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha1(), NULL), 1);
    unsigned char b64[64];
    int len = EVP_EncodeBlock(b64, md, 20);
    char *s = xstrndup((const char *)b64, (size_t)len);
    for (char *p = s; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(s, '=');
    if (eq)
        *eq = '\0';
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(bio);
    return s;
}

static void test_degenerate(void **state)
{
    (void)state;
    char *cause = NULL;
    assert_null(authcert_from_pem(NULL, 0, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_null(authcert_from_pem("", 0, &cause));
    free(cause);
    cause = NULL;
    assert_null(authcert_from_pem("garbage", 7, &cause));
    assert_string_equal(cause, "no private key in the file");
    free(cause);
    cause = NULL;
    assert_null(authcert_load(NULL, &cause));
    free(cause);
    cause = NULL;
    assert_null(authcert_load("/nonexistent/cert.pem", &cause));
    assert_non_null(strstr(cause, "/nonexistent/cert.pem"));
    free(cause);
    cause = NULL;
    assert_null(authcert_load("/", &cause));
    free(cause);
    authcert_destroy(NULL);
    assert_null(authcert_assertion(NULL, CLIENT, AUD, NOW, NULL));
}

static void test_pem_variants(void **state)
{
    (void)state;
    char *cause = NULL;
    char *x5t = expected_x5t(cert_pem);
    /* key then cert, cert then key, an unrelated certificate first. */
    struct authcert *orders[] = {
        from(key_pem, cert_pem, NULL, &cause),
        from(cert_pem, key_pem, NULL, &cause),
        from(other_cert_pem, key_pem, cert_pem, &cause),
    };
    for (size_t i = 0; i < 3; i++) {
        if (orders[i] == NULL)
            fail_msg("order %zu refused: %s", i, cause);
        assert_string_equal(authcert_x5t(orders[i]), x5t);
        authcert_destroy(orders[i]);
    }
    free(x5t);
    /* No certificate, or none that matches the key. */
    assert_null(from(key_pem, NULL, NULL, &cause));
    assert_string_equal(cause, "no certificate in the file");
    free(cause);
    cause = NULL;
    assert_null(from(key_pem, other_cert_pem, NULL, &cause));
    assert_string_equal(cause, "no certificate in the file matches its private key");
    free(cause);
    cause = NULL;
    assert_null(from(cert_pem, NULL, NULL, &cause));
    assert_string_equal(cause, "no private key in the file");
    free(cause);
    cause = NULL;
}

static void test_encrypted_and_ec(void **state)
{
    (void)state;
    char *cause = NULL;
    /* An encrypted PKCS#8 key is refused, never prompted for. */
    BIO *in = BIO_new_mem_buf(key_pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *k = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(out, k, EVP_aes_128_cbc(), "pw", 2, NULL, NULL),
                     1);
    char *data = NULL;
    long n = BIO_get_mem_data(out, &data);
    char *enc = xstrndup(data, (size_t)n);
    assert_null(from(enc, cert_pem, NULL, &cause));
    assert_non_null(strstr(cause, "encrypted"));
    free(cause);
    cause = NULL;
    free(enc);
    EVP_PKEY_free(k);
    BIO_free(in);
    BIO_free(out);
    /* An EC key cannot sign RS256. */
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    out = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(out, ec, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_get_mem_data(out, &data);
    char *ecpem = xstrndup(data, (size_t)n);
    assert_null(from(ecpem, cert_pem, NULL, &cause));
    assert_non_null(strstr(cause, "not an RSA key"));
    free(cause);
    free(ecpem);
    EVP_PKEY_free(ec);
    BIO_free(out);
}

static cJSON *part(const char *jwt, int index)
{
    const char *p = jwt;
    for (int i = 0; i < index; i++)
        p = strchr(p, '.') + 1;
    size_t n = strcspn(p, ".");
    unsigned char *raw = NULL;
    size_t len = 0;
    assert_int_equal(json_b64_decode(p, n, &raw, &len), 0);
    cJSON *j = cJSON_ParseWithLength((const char *)raw, len);
    free(raw);
    assert_non_null(j);
    return j;
}

static void verify_signature(const char *jwt, const char *cert)
{
    const char *last = strrchr(jwt, '.');
    unsigned char *sig = NULL;
    size_t siglen = 0;
    assert_int_equal(json_b64_decode(last + 1, strlen(last + 1), &sig, &siglen), 0);
    assert_int_equal(siglen, 256);
    BIO *bio = BIO_new_mem_buf(cert, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    EVP_PKEY *pub = X509_get_pubkey(x);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
    int ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(last - jwt));
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    X509_free(x);
    BIO_free(bio);
    free(sig);
    assert_int_equal(ok, 1);
}

static void test_assertion(void **state)
{
    (void)state;
    char *pem = xasprintf("%s%s", key_pem, cert_pem);
    char *path = support_cert_file(dir, "cred.pem", pem, 0600);
    free(pem);
    char *cause = NULL;
    struct authcert *c = authcert_load(path, &cause);
    if (c == NULL)
        fail_msg("%s", cause);
    char *jwt = authcert_assertion(c, CLIENT, AUD, NOW, &cause);
    assert_non_null(jwt);
    assert_null(strchr(jwt, '='));
    assert_null(strchr(jwt, '+'));
    cJSON *h = part(jwt, 0), *cl = part(jwt, 1);
    assert_string_equal(cJSON_GetObjectItem(h, "alg")->valuestring, "RS256");
    assert_string_equal(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT");
    char *x5t = expected_x5t(cert_pem);
    assert_string_equal(cJSON_GetObjectItem(h, "x5t")->valuestring, x5t);
    free(x5t);
    assert_string_equal(cJSON_GetObjectItem(cl, "aud")->valuestring, AUD);
    assert_string_equal(cJSON_GetObjectItem(cl, "iss")->valuestring, CLIENT);
    assert_string_equal(cJSON_GetObjectItem(cl, "sub")->valuestring, CLIENT);
    assert_int_equal(strlen(cJSON_GetObjectItem(cl, "jti")->valuestring), 36);
    assert_int_equal((int64_t)cJSON_GetObjectItem(cl, "nbf")->valuedouble, NOW);
    assert_int_equal((int64_t)cJSON_GetObjectItem(cl, "iat")->valuedouble, NOW);
    assert_int_equal((int64_t)cJSON_GetObjectItem(cl, "exp")->valuedouble, NOW + 600);
    verify_signature(jwt, cert_pem);

    /* A second assertion has another jti. */
    char *jwt2 = authcert_assertion(c, CLIENT, AUD, NOW, &cause);
    cJSON *cl2 = part(jwt2, 1);
    assert_string_not_equal(cJSON_GetObjectItem(cl, "jti")->valuestring,
                            cJSON_GetObjectItem(cl2, "jti")->valuestring);
    cJSON_Delete(cl2);
    free(jwt2);

    assert_null(authcert_assertion(c, "", AUD, NOW, &cause));
    free(cause);
    cJSON_Delete(h);
    cJSON_Delete(cl);
    free(jwt);
    authcert_destroy(c);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_pem_variants),
        cmocka_unit_test(test_encrypted_and_ec),
        cmocka_unit_test(test_assertion),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
