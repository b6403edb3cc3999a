/* Unit tests for sim/tls: the CA and the server certificates it issues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "secret.h"
#include "tls.h"

static const char *const names[] = {"localhost", "*.vault.localhost", "login.localhost"};
#define NNAMES (sizeof names / sizeof names[0])

static X509 *read_cert_at(BIO *bio)
{
    return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

static X509 *cert_from_pem(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = read_cert_at(bio);
    BIO_free(bio);
    return x;
}

/* Verifies leaf against the CA alone, as a TLS client with purpose sslserver. */
static int verify_leaf(X509 *leaf, X509 *ca)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_non_null(store);
    assert_non_null(ctx);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
    int rc = X509_verify_cert(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

static void test_generate_rejects_empty_name(void **state)
{
    char *cause = NULL;
    assert_null(tls_ca_generate(NULL, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_null(tls_ca_generate("", &cause));
    assert_non_null(cause);
    free(cause);
    secret_free_str(NULL);
    tls_ca_destroy(NULL);
}

static void test_ca_certificate(void **state)
{
    char *cause = NULL;
    struct tls_ca *ca = tls_ca_generate("azsim test CA", &cause);
    assert_non_null(ca);
    assert_null(cause);

    char *pem = tls_ca_cert_pem(ca);
    char *key = tls_ca_key_pem(ca);
    assert_non_null(pem);
    assert_non_null(key);
    assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));

    X509 *x = cert_from_pem(pem);
    assert_non_null(x);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_check_ca(x), 1);
    assert_true(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_key_usage(x) & KU_CRL_SIGN);
    assert_non_null(X509_get0_subject_key_id(x));
    assert_int_equal(X509_check_issued(x, x), X509_V_OK);
    assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
    assert_true(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"));
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER); /* not V_ASN1_NEG_INTEGER */
    assert_int_equal(ASN1_STRING_length(serial), 16);

    char cn[64], o[64];
    X509_NAME *subject = X509_get_subject_name(x);
    assert_true(X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn) > 0);
    assert_true(X509_NAME_get_text_by_NID(subject, NID_organizationName, o, sizeof o) > 0);
    assert_string_equal(cn, "azsim test CA");
    assert_string_equal(o, "azsim");

    X509_free(x);
    free(pem);
    secret_free_str(key);
    tls_ca_destroy(ca);
}

static void check_host(X509 *leaf, const char *host, int expected)
{
    assert_int_equal(X509_check_host(leaf, host, 0, 0, NULL), expected);
}

static void check_leaf(X509 *leaf, X509 *ca)
{
    assert_int_equal(verify_leaf(leaf, ca), 1);
    assert_int_equal(X509_check_ca(leaf), 0);
    assert_true(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    assert_true(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE);
    assert_non_null(X509_get0_subject_key_id(leaf));
    assert_non_null(X509_get0_authority_key_id(leaf));
    assert_int_equal(
        ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(ca)), 0);

    check_host(leaf, "kv-east.vault.localhost", 1);
    check_host(leaf, "login.localhost", 1);
    check_host(leaf, "localhost", 1);
    check_host(leaf, "a.b.vault.localhost", 0);
    check_host(leaf, "vault.localhost", 0);
    check_host(leaf, "evil.example", 0);
    assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(leaf, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.2", 0), 0);

    char cn[64];
    X509_NAME *subject = X509_get_subject_name(leaf);
    assert_true(X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn) > 0);
    assert_string_equal(cn, "localhost");
}

/* Issues a leaf and checks the chain, names, addresses and private key. */
static void issue_and_check(struct tls_ca *ca)
{
    char *chain = NULL, *key = NULL, *cause = NULL;
    assert_int_equal(tls_ca_issue_server(ca, names, NNAMES, &chain, &key, &cause), 0);
    assert_null(cause);
    assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));

    BIO *bio = BIO_new_mem_buf(chain, -1);
    X509 *leaf = read_cert_at(bio);
    X509 *second = read_cert_at(bio);
    BIO_free(bio);
    assert_non_null(leaf);
    assert_non_null(second);

    char *ca_pem = tls_ca_cert_pem(ca);
    X509 *ca_cert = cert_from_pem(ca_pem);
    assert_int_equal(X509_cmp(second, ca_cert), 0);
    check_leaf(leaf, ca_cert);

    bio = BIO_new_mem_buf(key, -1);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(pkey);
    assert_int_equal(X509_check_private_key(leaf, pkey), 1);

    EVP_PKEY_free(pkey);
    X509_free(ca_cert);
    X509_free(second);
    X509_free(leaf);
    free(ca_pem);
    free(chain);
    secret_free_str(key);
}

static void test_issue_server(void **state)
{
    struct tls_ca *ca = tls_ca_generate("azsim test CA", NULL);
    assert_non_null(ca);
    issue_and_check(ca);
    tls_ca_destroy(ca);
}

static void test_issue_rejects_bad_names(void **state)
{
    struct tls_ca *ca = tls_ca_generate("azsim test CA", NULL);
    char *chain = NULL, *key = NULL, *cause = NULL;
    const char *const injected[] = {"localhost,IP:10.0.0.1"};
    const char *const empty[] = {""};

    assert_int_equal(tls_ca_issue_server(ca, names, 0, &chain, &key, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_int_equal(tls_ca_issue_server(ca, injected, 1, &chain, &key, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_int_equal(tls_ca_issue_server(ca, empty, 1, &chain, &key, &cause), -1);
    assert_non_null(cause);
    free(cause);
    assert_null(chain);
    assert_null(key);
    tls_ca_destroy(ca);
}

static void test_load_round_trip(void **state)
{
    struct tls_ca *ca = tls_ca_generate("azsim test CA", NULL);
    char *pem = tls_ca_cert_pem(ca);
    char *key = tls_ca_key_pem(ca);
    tls_ca_destroy(ca);

    char *cause = NULL;
    struct tls_ca *loaded = tls_ca_load(pem, key, &cause);
    assert_non_null(loaded);
    assert_null(cause);
    char *again = tls_ca_cert_pem(loaded);
    assert_string_equal(again, pem);
    issue_and_check(loaded);

    free(again);
    free(pem);
    secret_free_str(key);
    tls_ca_destroy(loaded);
}

static void test_load_mismatched_key(void **state)
{
    struct tls_ca *a = tls_ca_generate("CA one", NULL);
    struct tls_ca *b = tls_ca_generate("CA two", NULL);
    char *pem = tls_ca_cert_pem(a);
    char *key = tls_ca_key_pem(b);
    char *cause = NULL;

    assert_null(tls_ca_load(pem, key, &cause));
    assert_non_null(cause);
    assert_non_null(strstr(cause, "does not match"));

    free(cause);
    free(pem);
    secret_free_str(key);
    tls_ca_destroy(a);
    tls_ca_destroy(b);
}

static void expect_load_failure(const char *cert, const char *key)
{
    char *cause = NULL;
    assert_null(tls_ca_load(cert, key, &cause));
    assert_non_null(cause);
    free(cause);
    assert_null(tls_ca_load(cert, key, NULL)); /* cause is optional */
}

static void test_load_garbage(void **state)
{
    struct tls_ca *ca = tls_ca_generate("azsim test CA", NULL);
    char *pem = tls_ca_cert_pem(ca);
    char *key = tls_ca_key_pem(ca);
    const char *broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    expect_load_failure(NULL, NULL);
    expect_load_failure("", "");
    expect_load_failure("garbage", key);
    expect_load_failure(broken, key);
    expect_load_failure(pem, "garbage");
    expect_load_failure(pem, pem);
    expect_load_failure(key, key);

    /* A valid leaf (not a CA) with its own key is not a CA either. */
    char *chain = NULL, *leaf_key = NULL;
    assert_int_equal(tls_ca_issue_server(ca, names, NNAMES, &chain, &leaf_key, NULL), 0);
    expect_load_failure(chain, leaf_key);

    free(chain);
    secret_free_str(leaf_key);
    free(pem);
    secret_free_str(key);
    tls_ca_destroy(ca);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_rejects_empty_name),
        cmocka_unit_test(test_ca_certificate),
        cmocka_unit_test(test_issue_server),
        cmocka_unit_test(test_issue_rejects_bad_names),
        cmocka_unit_test(test_load_round_trip),
        cmocka_unit_test(test_load_mismatched_key),
        cmocka_unit_test(test_load_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
