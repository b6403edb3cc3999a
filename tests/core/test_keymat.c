/*
 * Unit tests of core/keymat.c and core/keymat_file.c: generation, the JWK,
 * every input format and every refusal, the escrow file, core dumps while a
 * key is held, and no passphrase in any cause. Key files are made here with
 * OpenSSL in a scratch folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "json.h"
#include "keymat.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define PASS  "correct horse battery staple 7"
#define WRONG "Tr0ub4dor&3-not-this-one"

static char *dir;
static EVP_PKEY *rsa2048; /* the test's own key, in every format below */
static X509 *cert;        /* self-signed, for rsa2048 */
static char rsa2048_fp[MODEL_FINGERPRINT_LEN];

/* The fingerprint computed here, independently of keymat: model_fingerprint of n and e. */
static void pkey_fp(EVP_PKEY *pkey, char out[MODEL_FINGERPRINT_LEN])
{
    BIGNUM *n = NULL, *e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    unsigned char nb[1024], eb[16];
    int nlen = BN_bn2bin(n, nb), elen = BN_bn2bin(e, eb);
    model_fingerprint(nb, (size_t)nlen, eb, (size_t)elen, out);
    assert_int_equal(strlen(out), 64);
    BN_free(n);
    BN_free(e);
}

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* Writes a file in the scratch folder (0600); its path (heap). */
static char *put(const char *name, const void *data, size_t len)
{
    char *path = path_of(name);
    assert_int_equal(support_tmpdir_write(path, data, len, 0600), 0);
    return path;
}

/* A BIO's bytes (heap, NUL-terminated) and their count; frees the BIO. */
static char *bio_take(BIO *bio, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    assert_true(n > 0);
    char *copy = xstrndup(data, (size_t)n);
    if (len)
        *len = (size_t)n;
    BIO_free(bio);
    return copy;
}

enum pem_kind { PEM_PKCS1, PEM_PKCS1_ENC, PEM_PKCS8, PEM_PKCS8_ENC, PEM_PUBLIC, PEM_CERT };

static char *pem_of(EVP_PKEY *pkey, enum pem_kind kind)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = 0;
    switch (kind) {
    case PEM_PKCS1:
        ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL);
        break;
    case PEM_PKCS1_ENC: /* the legacy form: Proc-Type and DEK-Info headers */
        ok = PEM_write_bio_PrivateKey_traditional(
            bio, pkey, EVP_aes_256_cbc(), (const unsigned char *)PASS, strlen(PASS), NULL, NULL);
        break;
    case PEM_PKCS8:
        ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
        break;
    case PEM_PKCS8_ENC:
        ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), PASS, strlen(PASS), NULL,
                                           NULL);
        break;
    case PEM_PUBLIC:
        ok = PEM_write_bio_PUBKEY(bio, pkey);
        break;
    case PEM_CERT:
        ok = PEM_write_bio_X509(bio, cert);
        break;
    }
    assert_int_equal(ok, 1);
    return bio_take(bio, NULL);
}

static X509 *self_signed(EVP_PKEY *pkey)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    assert_non_null(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"tdectl-test", -1,
                               -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return x;
}

/* PFX DER (heap); pass NULL and plain: no encryption and no MAC at all. */
static unsigned char *pfx_of(EVP_PKEY *pkey, X509 *x, const char *pass, bool plain, size_t *len)
{
    PKCS12 *p12 = plain ? PKCS12_create(NULL, "tdectl", pkey, x, NULL, -1, -1, 0, -1, 0)
                        : PKCS12_create(pass, "tdectl", pkey, x, NULL, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    unsigned char *der = NULL;
    int n = i2d_PKCS12(p12, &der);
    assert_true(n > 0);
    unsigned char *copy = xmalloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    PKCS12_free(p12);
    return copy;
}

/* A cause names the file and the reason, and never a passphrase. */
static void check_cause(const char *cause, const char *want, const char *path)
{
    assert_non_null(cause);
    if (strstr(cause, want) == NULL)
        fail_msg("cause \"%s\" does not say \"%s\"", cause, want);
    if (path && strstr(cause, path) == NULL)
        fail_msg("cause \"%s\" does not name %s", cause, path);
    assert_null(strstr(cause, PASS));
    assert_null(strstr(cause, WRONG));
}

static void expect_refused(const char *path, const char *pass, const char *want)
{
    struct keymat *k = (struct keymat *)1;
    char *cause = NULL;
    assert_int_equal(keymat_load_file(path, pass, &k, &cause), -1);
    assert_null(k);
    check_cause(cause, want, path);
    print_message("  refused: %s\n", cause);
    free(cause);
}

static void expect_loads(const char *path, const char *pass, const char *fp)
{
    struct keymat *k = NULL;
    char *cause = NULL, got[MODEL_FINGERPRINT_LEN];
    if (keymat_load_file(path, pass, &k, &cause) != 0)
        fail_msg("%s: %s", path, cause);
    assert_int_equal(keymat_bits(k), 2048);
    keymat_fingerprint(k, got);
    assert_string_equal(got, fp);
    keymat_destroy(k);
}

static int dumpable(void)
{
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

static int setup(void **state)
{
    (void)state;
    dir = support_tmpdir_make();
    rsa2048 = EVP_RSA_gen(2048);
    if (dir == NULL || rsa2048 == NULL)
        return -1;
    cert = self_signed(rsa2048);
    pkey_fp(rsa2048, rsa2048_fp);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    support_tmpdir_remove(dir);
    free(dir);
    X509_free(cert);
    EVP_PKEY_free(rsa2048);
    return 0;
}

static void test_degenerate(void **state)
{
    (void)state;
    struct keymat *k = (struct keymat *)1;
    char *cause = NULL, sha[65] = "x", fp[MODEL_FINGERPRINT_LEN] = "x";
    const int bad_bits[] = {0, -1, 1024, 2047, 4096};
    for (size_t i = 0; i < sizeof bad_bits / sizeof bad_bits[0]; i++) {
        assert_int_equal(keymat_generate(bad_bits[i], &k, &cause), -1);
        assert_null(k);
        check_cause(cause, "2048 and 3072", NULL);
    }
    assert_int_equal(keymat_load_mem(NULL, 10, NULL, "x", &k, &cause), -1);
    check_cause(cause, "x: empty", NULL);
    assert_int_equal(keymat_load_mem((const unsigned char *)"", 0, NULL, NULL, &k, &cause), -1);
    check_cause(cause, "key data: empty", NULL);
    assert_int_equal(keymat_load_file(NULL, NULL, &k, &cause), -1);
    check_cause(cause, "no key file", NULL);
    assert_int_equal(keymat_load_file("", NULL, &k, &cause), -1);
    char *missing = path_of("missing.pem");
    assert_int_equal(keymat_load_file(missing, NULL, &k, &cause), -1);
    check_cause(cause, "No such file", missing);
    assert_int_equal(keymat_file_sha256(missing, sha, &cause), -1);
    assert_string_equal(sha, "");
    free(missing);
    expect_refused(dir, NULL, "not a regular file");
    assert_int_equal(keymat_file_sha256(dir, sha, &cause), -1);
    check_cause(cause, "not a regular file", dir);
    assert_int_equal(keymat_file_sha256(NULL, sha, &cause), -1);
    assert_int_equal(keymat_write_escrow(NULL, "/tmp/x", PASS, sha, &cause), -1);
    check_cause(cause, "no key", NULL);
    char *jwk = (char *)1;
    assert_int_equal(keymat_jwk(NULL, &jwk, &cause), -1);
    assert_null(jwk);
    free(cause);
    assert_int_equal(keymat_bits(NULL), 0);
    keymat_fingerprint(NULL, fp);
    assert_string_equal(fp, "");
    keymat_destroy(NULL);
    keymat_secret_free(NULL);
    assert_int_equal(dumpable(), 1); /* no refusal left core dumps off */
}

static bool b64url_only(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    }
    return true;
}

/*
 * Parses the JWK back: every member base64url without padding, of the right
 * size for bits; OpenSSL rebuilds a consistent key from it whose n and e give
 * keymat's fingerprint.
 */
static void check_jwk(const struct keymat *k, int bits)
{
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    static const char *const params[] = {
        OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
    };
    size_t bytes = (size_t)bits / 8, half = bytes / 2;
    const size_t most[] = {bytes, 3, bytes, half, half, half, half, half};
    char *jwk = NULL, *cause = NULL;
    assert_int_equal(keymat_jwk(k, &jwk, &cause), 0);
    cJSON *j = cJSON_Parse(jwk);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "kty")->valuestring, "RSA");
    assert_int_equal(cJSON_GetArraySize(j), 9);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn[8] = {NULL};
    for (size_t i = 0; i < 8; i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, names[i]);
        assert_true(cJSON_IsString(m));
        assert_true(b64url_only(m->valuestring));
        unsigned char *raw = NULL;
        size_t len = 0;
        assert_int_equal(json_b64_decode(m->valuestring, strlen(m->valuestring), &raw, &len), 0);
        assert_true(len <= most[i] && len + 8 >= most[i]);
        assert_int_not_equal(raw[0], 0); /* no leading zero octet */
        if (i == 0 || i == 3 || i == 4)
            assert_int_equal(len, most[i]); /* n, p and q have their top bit set */
        bn[i] = BN_bin2bn(raw, (int)len, NULL);
        OSSL_PARAM_BLD_push_BN(bld, params[i], bn[i]);
        free(raw);
    }
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "e")->valuestring, "AQAB");
    OSSL_PARAM *p = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *back = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &back, EVP_PKEY_KEYPAIR, p), 1);
    EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, back, NULL);
    assert_int_equal(EVP_PKEY_pairwise_check(check), 1);
    char want[MODEL_FINGERPRINT_LEN], got[MODEL_FINGERPRINT_LEN];
    pkey_fp(back, want);
    keymat_fingerprint(k, got);
    assert_string_equal(got, want);
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(back);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < 8; i++)
        BN_clear_free(bn[i]);
    cJSON_Delete(j);
    keymat_secret_free(jwk);
}

static void test_generate_2048(void **state)
{
    (void)state;
    struct keymat *k = NULL;
    char *cause = NULL;
    assert_int_equal(keymat_generate(2048, &k, &cause), 0);
    assert_null(cause);
    assert_int_equal(keymat_bits(k), 2048);
    check_jwk(k, 2048);
    keymat_destroy(k);
}

static void test_generate_3072(void **state)
{
    (void)state;
    struct keymat *k = NULL;
    char *cause = NULL;
    assert_int_equal(keymat_generate(3072, &k, &cause), 0);
    assert_int_equal(keymat_bits(k), 3072);
    check_jwk(k, 3072);
    keymat_destroy(k);
}

static void test_pem_formats(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum pem_kind kind;
        const char *label;
    } files[] = {
        {"pkcs1.pem", PEM_PKCS1, "-----BEGIN RSA PRIVATE KEY-----"},
        {"pkcs8.pem", PEM_PKCS8, "-----BEGIN PRIVATE KEY-----"},
        {"pkcs8-enc.pem", PEM_PKCS8_ENC, "-----BEGIN ENCRYPTED PRIVATE KEY-----"},
        {"pkcs1-enc.pem", PEM_PKCS1_ENC, "Proc-Type: 4,ENCRYPTED"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *pem = pem_of(rsa2048, files[i].kind);
        assert_non_null(strstr(pem, files[i].label));
        char *path = put(files[i].name, pem, strlen(pem));
        bool encrypted = files[i].kind == PEM_PKCS8_ENC || files[i].kind == PEM_PKCS1_ENC;
        expect_loads(path, encrypted ? PASS : NULL, rsa2048_fp);
        /* a passphrase given for a plain key is not needed and does no harm */
        expect_loads(path, PASS, rsa2048_fp);
        if (encrypted) {
            expect_refused(path, NULL, "a passphrase is needed");
            expect_refused(path, WRONG, "wrong passphrase or damaged file");
        }
        free(path);
        free(pem);
    }
    /* An HSM export: the certificate first, then the key, then text after it. */
    char *c = pem_of(rsa2048, PEM_CERT), *key = pem_of(rsa2048, PEM_PKCS8);
    char *both = xasprintf("%s%s\ntrailing words\n", c, key);
    char *path = put("cert-and-key.pem", both, strlen(both));
    expect_loads(path, NULL, rsa2048_fp);
    free(path);
    free(both);
    free(key);
    free(c);
}

static void test_pem_encrypted_refusals(void **state)
{
    (void)state;
    char *pem = pem_of(rsa2048, PEM_PKCS8_ENC);
    char *path = put("enc.pem", pem, strlen(pem));
    expect_refused(path, NULL, "a passphrase is needed");
    expect_refused(path, WRONG, "wrong passphrase or damaged file");
    expect_refused(path, "", "wrong passphrase or damaged file");
    free(path);
    free(pem);
}

static void test_pfx(void **state)
{
    (void)state;
    size_t len;
    unsigned char *der = pfx_of(rsa2048, cert, PASS, false, &len);
    char *path = put("key.pfx", der, len);
    expect_loads(path, PASS, rsa2048_fp);
    expect_refused(path, NULL, "a passphrase is needed");
    expect_refused(path, WRONG, "wrong passphrase or damaged file");
    char *cut = put("cut.pfx", der, len / 2);
    expect_refused(cut, PASS, "truncated or damaged");
    free(cut);
    free(path);
    free(der);

    /* No passphrase: neither encrypted nor MAC-protected. */
    der = pfx_of(rsa2048, cert, NULL, true, &len);
    path = put("plain.pfx", der, len);
    expect_loads(path, NULL, rsa2048_fp);
    free(path);
    free(der);
    /* OpenSSL's defaults with a NULL passphrase (encrypted with the empty one). */
    der = pfx_of(rsa2048, cert, NULL, false, &len);
    path = put("empty-pass.pfx", der, len);
    expect_loads(path, NULL, rsa2048_fp);
    free(path);
    free(der);
    /* Certificates only. */
    der = pfx_of(NULL, cert, PASS, false, &len);
    path = put("cert-only.pfx", der, len);
    expect_refused(path, PASS, "only certificates");
    free(path);
    free(der);
}

/*
 * A PFX as older Windows exports it (certificates under RC2-40): OpenSSL 3
 * needs its legacy provider for that, so keymat refuses it and says what to
 * do. Made here in a private library context that has the legacy provider.
 */
static void test_pfx_legacy(void **state)
{
    (void)state;
    OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *def = OSSL_PROVIDER_load(lib, "default");
    OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(lib, "legacy");
    if (legacy == NULL) {
        OSSL_PROVIDER_unload(def);
        OSSL_LIB_CTX_free(lib);
        ERR_clear_error();
        skip();
    }
    PKCS12 *p12 = PKCS12_create_ex(PASS, "tdectl", rsa2048, cert, NULL,
                                   NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                                   NID_pbe_WithSHA1And40BitRC2_CBC, 0, 0, 0, lib, NULL);
    assert_non_null(p12);
    unsigned char *der = NULL;
    int n = i2d_PKCS12(p12, &der);
    assert_true(n > 0);
    char *path = put("legacy.pfx", der, (size_t)n);
    expect_refused(path, PASS, "legacy algorithm");
    expect_refused(path, WRONG, "wrong passphrase");
    free(path);
    OPENSSL_free(der);
    PKCS12_free(p12);
    OSSL_PROVIDER_unload(legacy);
    OSSL_PROVIDER_unload(def);
    OSSL_LIB_CTX_free(lib);
}

static void refuse_key(EVP_PKEY *pkey, const char *name, const char *want)
{
    assert_non_null(pkey);
    char *pem = pem_of(pkey, PEM_PKCS8);
    char *path = put(name, pem, strlen(pem));
    expect_refused(path, NULL, want);
    free(path);
    free(pem);
    EVP_PKEY_free(pkey);
}

static void test_refused_keys(void **state)
{
    (void)state;
    refuse_key(EVP_EC_gen("P-256"), "ec.pem", "not an RSA key (EC)");
    refuse_key(EVP_RSA_gen(1024), "rsa1024.pem", "1024 bits; TDE supports only 2048 and 3072");
    refuse_key(EVP_RSA_gen(4096), "rsa4096.pem", "4096 bits; TDE supports only 2048 and 3072");
    char *pem = pem_of(rsa2048, PEM_PUBLIC);
    char *path = put("public.pem", pem, strlen(pem));
    expect_refused(path, NULL, "only a public key");
    free(path);
    free(pem);
    pem = pem_of(rsa2048, PEM_CERT);
    path = put("cert.pem", pem, strlen(pem));
    expect_refused(path, PASS, "only certificates");
    free(path);
    free(pem);
}

static void test_refused_files(void **state)
{
    (void)state;
    char *path = put("empty.pem", "", 0);
    expect_refused(path, NULL, "empty");
    free(path);

    size_t big = 2u << 20;
    char *data = xmalloc(big);
    memset(data, 'A', big);
    path = put("big.pem", data, big);
    expect_refused(path, NULL, "larger than 1 MiB");
    free(path);
    struct keymat *k = NULL;
    char *cause = NULL;
    assert_int_equal(keymat_load_mem((unsigned char *)data, big, NULL, "big", &k, &cause), -1);
    check_cause(cause, "larger than 1 MiB", "big");
    free(cause);
    cause = NULL;
    free(data);

    unsigned char noise[4096];
    assert_int_equal(RAND_bytes(noise, sizeof noise), 1);
    noise[0] = 0x42; /* not a DER SEQUENCE */
    path = put("noise.bin", noise, sizeof noise);
    expect_refused(path, NULL, "neither a PEM nor a PFX file");
    free(path);
    noise[0] = 0x30;
    path = put("noise.der", noise, sizeof noise);
    expect_refused(path, NULL, "truncated or damaged");
    free(path);

    char *pem = pem_of(rsa2048, PEM_PKCS8);
    path = put("cut.pem", pem, strlen(pem) / 2);
    expect_refused(path, NULL, "damaged or truncated PEM");
    free(path);
    pem[strlen(pem) / 2] ^= 0x01; /* a flipped bit inside the base64 */
    path = put("flipped.pem", pem, strlen(pem));
    struct keymat *k2 = NULL;
    assert_int_equal(keymat_load_file(path, NULL, &k2, &cause), -1);
    if (strstr(cause, "damaged or truncated PEM") == NULL && strstr(cause, "inconsistent") == NULL)
        fail_msg("flipped bit: %s", cause);
    free(cause);
    free(path);
    free(pem);
    const char *nothing = "-----BEGIN NOTHING-----\nAAAA\n-----END NOTHING-----\n";
    path = put("text.pem", nothing, strlen(nothing));
    expect_refused(path, NULL, "no private key in this PEM file");
    free(path);
}

/* The escrow file's KDF and cipher are what keymat.h says. */
static void check_escrow_params(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509_SIG *sig = PEM_read_PKCS8(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(sig);
    const X509_ALGOR *alg = NULL;
    X509_SIG_get0(sig, &alg, NULL);
    const ASN1_OBJECT *obj = NULL;
    const void *pval = NULL;
    int ptype = 0;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    assert_int_equal(OBJ_obj2nid(obj), NID_pbes2);
    PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    assert_non_null(pbe2);
    assert_int_equal(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_scrypt);
    assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm), NID_aes_256_cbc);
    SCRYPT_PARAMS *sp =
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter);
    assert_non_null(sp);
    assert_int_equal(ASN1_INTEGER_get(sp->costParameter), 16384);
    assert_int_equal(ASN1_INTEGER_get(sp->blockSize), 8);
    assert_int_equal(ASN1_INTEGER_get(sp->parallelizationParameter), 5);
    assert_int_equal(ASN1_STRING_length(sp->salt), 16);
    SCRYPT_PARAMS_free(sp);
    PBE2PARAM_free(pbe2);
    X509_SIG_free(sig);
}

/* The test's key, loaded (PKCS#1 PEM). */
static struct keymat *load_rsa2048(void)
{
    struct keymat *k = NULL;
    char *cause = NULL, fp[MODEL_FINGERPRINT_LEN];
    char *src = pem_of(rsa2048, PEM_PKCS1);
    assert_int_equal(keymat_load_mem((unsigned char *)src, strlen(src), NULL, "src", &k, &cause),
                     0);
    free(src);
    keymat_fingerprint(k, fp);
    assert_string_equal(fp, rsa2048_fp);
    return k;
}

static void test_escrow(void **state)
{
    (void)state;
    struct keymat *k = load_rsa2048();
    char *cause = NULL, sha[65], again[65];
    int before = support_tmpdir_count(dir);
    char *path = path_of("escrow.pem");
    assert_int_equal(keymat_write_escrow(k, path, PASS, sha, &cause), 0);
    assert_int_equal(strlen(sha), 64);
    assert_int_equal(support_tmpdir_count(dir), before + 1); /* no temporary file left */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(keymat_file_sha256(path, again, &cause), 0);
    assert_string_equal(again, sha);
    check_escrow_params(path);
    expect_loads(path, PASS, rsa2048_fp);
    expect_refused(path, WRONG, "wrong passphrase or damaged file");
    expect_refused(path, NULL, "a passphrase is needed");

    /* Stock OpenSSL reads it back without options. */
    FILE *f = fopen(path, "r");
    EVP_PKEY *plain = PEM_read_PrivateKey(f, NULL, NULL, (void *)PASS);
    fclose(f);
    assert_non_null(plain);
    assert_int_equal(EVP_PKEY_eq(plain, rsa2048), 1);
    EVP_PKEY_free(plain);

    /* Never over an existing file, the file untouched. */
    assert_int_equal(keymat_write_escrow(k, path, PASS, again, &cause), -1);
    check_cause(cause, "already exists", path);
    assert_string_equal(again, "");
    assert_int_equal(keymat_file_sha256(path, again, &cause), 0);
    assert_string_equal(again, sha);
    free(cause);
    free(path);
    keymat_destroy(k);
}

static void test_escrow_refusals(void **state)
{
    (void)state;
    struct keymat *k = load_rsa2048();
    char *cause = NULL, sha[65];
    int before = support_tmpdir_count(dir);
    /* Short passphrases: counted in characters (11 two-byte ones are still 11). */
    char *path = path_of("escrow-short.pem");
    const char *const shorts[] = {NULL, "", "elevenchars",
                                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
                                  "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                  "\xc3\xa9\xc3\xa9"};
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++) {
        assert_int_equal(keymat_write_escrow(k, path, shorts[i], sha, &cause), -1);
        check_cause(cause, "at least 12 characters", path);
        assert_string_equal(sha, "");
        assert_int_equal(support_tmpdir_count(dir), before); /* nothing written */
    }
    /* Twelve characters are enough. */
    assert_int_equal(keymat_write_escrow(k, path, "twelve chars", sha, &cause), 0);
    expect_loads(path, "twelve chars", rsa2048_fp);

    char *nowhere = path_of("no/such/folder/escrow.pem");
    assert_int_equal(keymat_write_escrow(k, nowhere, PASS, sha, &cause), -1);
    check_cause(cause, "cannot create a file in its folder", nowhere);
    assert_int_equal(keymat_write_escrow(k, "", PASS, sha, &cause), -1);
    check_cause(cause, "no key or no path", NULL);
    free(cause);
    free(nowhere);
    free(path);
    keymat_destroy(k);
}

/* Escrow of a generated key: write, read back, same key. */
static void test_escrow_generated(void **state)
{
    (void)state;
    struct keymat *k = NULL, *back = NULL;
    char *cause = NULL, sha[65], a[MODEL_FINGERPRINT_LEN], b[MODEL_FINGERPRINT_LEN];
    assert_int_equal(keymat_generate(2048, &k, &cause), 0);
    char *path = path_of("generated-escrow.pem");
    assert_int_equal(keymat_write_escrow(k, path, PASS, sha, &cause), 0);
    assert_int_equal(keymat_load_file(path, PASS, &back, &cause), 0);
    keymat_fingerprint(k, a);
    keymat_fingerprint(back, b);
    assert_string_equal(a, b);
    keymat_destroy(back);
    keymat_destroy(k);
    free(path);
}

static void test_core_dumps(void **state)
{
    (void)state;
    struct rlimit orig, on, now;
    assert_int_equal(getrlimit(RLIMIT_CORE, &orig), 0);
    /* A non-zero soft limit (when the hard one allows), so switching it off shows. */
    on = orig;
    on.rlim_cur = orig.rlim_max == RLIM_INFINITY || orig.rlim_max >= 4096 ? 4096 : orig.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_CORE, &on), 0);
    assert_int_equal(dumpable(), 1);

    struct keymat *a = NULL, *b = NULL;
    char *cause = NULL;
    char *pem = pem_of(rsa2048, PEM_PKCS8);
    assert_int_equal(keymat_load_mem((unsigned char *)pem, strlen(pem), NULL, "a", &a, &cause), 0);
    assert_int_equal(dumpable(), 0);
    getrlimit(RLIMIT_CORE, &now);
    assert_int_equal(now.rlim_cur, 0);
    assert_int_equal(now.rlim_max, on.rlim_max);
    assert_int_equal(keymat_generate(2048, &b, &cause), 0);
    keymat_destroy(a); /* b still held */
    assert_int_equal(dumpable(), 0);
    getrlimit(RLIMIT_CORE, &now);
    assert_int_equal(now.rlim_cur, 0);
    /* A refusal while b is held leaves things as they are. */
    assert_int_equal(keymat_load_mem((unsigned char *)pem, 20, NULL, "cut", &a, &cause), -1);
    assert_int_equal(dumpable(), 0);
    keymat_destroy(b);
    assert_int_equal(dumpable(), 1);
    getrlimit(RLIMIT_CORE, &now);
    assert_int_equal(now.rlim_cur, on.rlim_cur);
    /* A refusal with no key held restores them too. */
    assert_int_equal(keymat_load_mem((unsigned char *)pem, 20, NULL, "cut", &a, &cause), -1);
    assert_int_equal(dumpable(), 1);
    getrlimit(RLIMIT_CORE, &now);
    assert_int_equal(now.rlim_cur, on.rlim_cur);
    free(cause);
    free(pem);
    setrlimit(RLIMIT_CORE, &orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_generate_2048),
        cmocka_unit_test(test_generate_3072),
        cmocka_unit_test(test_pem_formats),
        cmocka_unit_test(test_pem_encrypted_refusals),
        cmocka_unit_test(test_pfx),
        cmocka_unit_test(test_pfx_legacy),
        cmocka_unit_test(test_refused_keys),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_escrow),
        cmocka_unit_test(test_escrow_refusals),
        cmocka_unit_test(test_escrow_generated),
        cmocka_unit_test(test_core_dumps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
