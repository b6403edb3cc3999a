#include "rsakey.h"
#include "secret.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "b64.h"
#include "osslx.h"
#include "xmem.h"

struct rsakey {
    EVP_PKEY *pkey; /* read-only after creation */
    atomic_int refs;
    int bits;
    char *n_b64;
    char *e_b64;
};

enum alg_kind { KIND_ENCRYPT, KIND_SIGN };

static const struct alg_info {
    enum rsakey_alg alg;
    const char *name;
    enum alg_kind kind;
    int padding;
    const EVP_MD *(*md)(void); /* OAEP and MGF1 digest, or the signed digest */
    size_t digest_len;
} alg_table[] = {
    {RSAKEY_RSA_OAEP, "RSA-OAEP", KIND_ENCRYPT, RSA_PKCS1_OAEP_PADDING, EVP_sha1, 0},
    {RSAKEY_RSA_OAEP_256, "RSA-OAEP-256", KIND_ENCRYPT, RSA_PKCS1_OAEP_PADDING, EVP_sha256, 0},
    {RSAKEY_RSA1_5, "RSA1_5", KIND_ENCRYPT, RSA_PKCS1_PADDING, NULL, 0},
    {RSAKEY_RS256, "RS256", KIND_SIGN, RSA_PKCS1_PADDING, EVP_sha256, 32},
    {RSAKEY_RS384, "RS384", KIND_SIGN, RSA_PKCS1_PADDING, EVP_sha384, 48},
    {RSAKEY_RS512, "RS512", KIND_SIGN, RSA_PKCS1_PADDING, EVP_sha512, 64},
    {RSAKEY_PS256, "PS256", KIND_SIGN, RSA_PKCS1_PSS_PADDING, EVP_sha256, 32},
    {RSAKEY_PS384, "PS384", KIND_SIGN, RSA_PKCS1_PSS_PADDING, EVP_sha384, 48},
    {RSAKEY_PS512, "PS512", KIND_SIGN, RSA_PKCS1_PSS_PADDING, EVP_sha512, 64},
};

#define ALG_COUNT (sizeof alg_table / sizeof alg_table[0])

/* JWK members in the order OSSL_PARAM_BLD receives them. */
enum { JWK_N, JWK_E, JWK_D, JWK_P, JWK_Q, JWK_DP, JWK_DQ, JWK_QI, JWK_COUNT };

static const char *const jwk_names[JWK_COUNT] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
static const char *const jwk_params[JWK_COUNT] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* Key Vault's RSA sizes. */
static bool supported_bits(int bits)
{
    return bits == 2048 || bits == 3072 || bits == 4096;
}

static char *bn_b64(const BIGNUM *bn)
{
    size_t len = (size_t)BN_num_bytes(bn);
    unsigned char *buf = xmalloc(len);

    BN_bn2bin(bn, buf); /* big-endian, no leading zero octets */
    char *text = b64_url_encode(buf, len);
    free(buf);
    return text;
}

static bool pairwise_ok(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* Takes pkey (freed on failure) and wraps it after checking it is a usable RSA private key. */
static struct rsakey *adopt(EVP_PKEY *pkey, bool check, char **cause)
{
    BIGNUM *n = NULL, *e = NULL, *d = NULL;
    struct rsakey *key = NULL;

    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        const char *type = EVP_PKEY_get0_type_name(pkey);
        xcause(cause, "not an RSA key (%s)", type != NULL ? type : "unknown type");
        goto out;
    }
    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
        osslx_cause(cause, "RSA key has no public part");
        goto out;
    }
    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d)) {
        xcause(cause, "RSA key has no private part");
        goto out;
    }
    if (!supported_bits(BN_num_bits(n))) {
        xcause(cause, "unsupported RSA key size %d", BN_num_bits(n));
        goto out;
    }
    if (check && !pairwise_ok(pkey)) {
        xcause(cause, "inconsistent RSA key material (pairwise check failed)");
        goto out;
    }
    key = xcalloc(1, sizeof *key);
    key->pkey = pkey;
    pkey = NULL;
    atomic_init(&key->refs, 1);
    key->bits = BN_num_bits(n);
    key->n_b64 = bn_b64(n);
    key->e_b64 = bn_b64(e);
out:
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return key;
}

struct rsakey *rsakey_generate(int bits, unsigned long public_exponent, char **cause)
{
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *e = NULL;

    if (public_exponent == 0)
        public_exponent = 65537;
    if (!supported_bits(bits)) {
        xcause(cause, "unsupported RSA key size %d", bits);
        return NULL;
    }
    if (public_exponent != 65537 && public_exponent != 3) {
        xcause(cause, "unsupported RSA public exponent %lu", public_exponent);
        return NULL;
    }
    e = BN_new();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (e == NULL || !BN_set_word(e, public_exponent) || ctx == NULL ||
        EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) <= 0 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0)
        osslx_cause(cause, "RSA key generation failed");
    EVP_PKEY_CTX_free(ctx);
    BN_free(e);
    return pkey != NULL ? adopt(pkey, false, cause) : NULL;
}

/* Decodes one JWK member; private members go to secure, constant-time BIGNUMs. */
static int decode_member(int which, const char *text, BIGNUM **out, char **cause)
{
    unsigned char *buf;
    size_t len;
    bool secret = which >= JWK_D;

    if (b64_decode(text, strlen(text), &buf, &len) != 0) {
        xcause(cause, "JWK member %s is not valid base64", jwk_names[which]);
        return -1;
    }
    if (len == 0) {
        free(buf);
        xcause(cause, "JWK member %s is empty", jwk_names[which]);
        return -1;
    }
    *out = BN_bin2bn(buf, (int)len, secret ? BN_secure_new() : NULL);
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (*out == NULL) {
        osslx_cause(cause, "cannot read JWK member");
        return -1;
    }
    if (secret)
        BN_set_flags(*out, BN_FLG_CONSTTIME);
    return 0;
}

/* Squares y up to t times: 1 when it reaches 1 (y is then a square root of 1
 * other than +-1), 0 when it reaches -1, -1 when neither or on error. */
static int square_walk(BIGNUM *y, BIGNUM *x, const BIGNUM *n, const BIGNUM *nm1, int t, BN_CTX *bc)
{
    for (int i = 0; i < t; i++) {
        if (!BN_mod_sqr(x, y, n, bc))
            return -1;
        if (BN_is_one(x))
            return 1;
        if (BN_cmp(x, nm1) == 0)
            return 0;
        if (BN_copy(y, x) == NULL)
            return -1;
    }
    return -1;
}

/*
 * Finds a prime factor of n from e and d (NIST SP 800-56B, appendix C): e*d - 1
 * = 2^t * r is a multiple of lambda(n), so walking g^r, g^2r, ... up to
 * g^(ed-1) = 1 meets a square root of 1 other than +-1 for most g, and
 * gcd(root - 1, n) is then a factor. Never reaching 1 means d is wrong.
 */
static int factor_modulus(BIGNUM *const bn[], BIGNUM *p, BN_CTX *bc)
{
    BN_CTX_start(bc);
    BIGNUM *r = BN_CTX_get(bc), *g = BN_CTX_get(bc), *y = BN_CTX_get(bc);
    BIGNUM *x = BN_CTX_get(bc), *nm1 = BN_CTX_get(bc);
    const BIGNUM *n = bn[JWK_N];
    int t = 0, rc = -1;

    if (nm1 == NULL || !BN_mul(r, bn[JWK_E], bn[JWK_D], bc) || !BN_sub_word(r, 1) ||
        BN_is_zero(r) || BN_is_odd(r) || BN_copy(nm1, n) == NULL || !BN_sub_word(nm1, 1))
        goto out;
    while (!BN_is_odd(r) && BN_rshift1(r, r))
        t++;
    BN_set_flags(r, BN_FLG_CONSTTIME);
    for (unsigned long base = 2; base < 200; base++) {
        if (!BN_set_word(g, base) || !BN_mod_exp(y, g, r, n, bc))
            goto out;
        if (BN_is_one(y) || BN_cmp(y, nm1) == 0)
            continue; /* this base tells nothing */
        int walk = square_walk(y, x, n, nm1, t, bc);
        if (walk < 0)
            goto out;
        if (walk == 1) {
            if (BN_sub_word(y, 1) && BN_gcd(p, y, n, bc) && !BN_is_one(p))
                rc = 0;
            goto out;
        }
    }
out:
    BN_CTX_end(bc);
    return rc;
}

/* Completes a JWK given as n, e, d only with p, q, dp, dq and qi. */
static int recover_crt(BIGNUM *bn[], char **cause)
{
    BN_CTX *bc = BN_CTX_secure_new();
    BIGNUM *rem = BN_new(), *pm1 = BN_secure_new(), *qm1 = BN_secure_new();
    int rc = -1;

    for (int i = JWK_P; i < JWK_COUNT; i++) {
        bn[i] = BN_secure_new();
        if (bn[i] != NULL)
            BN_set_flags(bn[i], BN_FLG_CONSTTIME);
    }
    if (bc == NULL || rem == NULL || pm1 == NULL || qm1 == NULL || bn[JWK_P] == NULL ||
        bn[JWK_Q] == NULL || bn[JWK_DP] == NULL || bn[JWK_DQ] == NULL || bn[JWK_QI] == NULL) {
        osslx_cause(cause, "out of memory recovering RSA factors");
        goto out;
    }
    if (factor_modulus(bn, bn[JWK_P], bc) != 0 ||
        !BN_div(bn[JWK_Q], rem, bn[JWK_N], bn[JWK_P], bc) || !BN_is_zero(rem)) {
        ERR_clear_error();
        xcause(cause, "inconsistent RSA key material (d does not match n and e)");
        goto out;
    }
    if (BN_cmp(bn[JWK_P], bn[JWK_Q]) < 0) /* p > q, as OpenSSL generates them */
        BN_swap(bn[JWK_P], bn[JWK_Q]);
    if (BN_copy(pm1, bn[JWK_P]) == NULL || !BN_sub_word(pm1, 1) ||
        BN_copy(qm1, bn[JWK_Q]) == NULL || !BN_sub_word(qm1, 1) ||
        !BN_mod(bn[JWK_DP], bn[JWK_D], pm1, bc) || !BN_mod(bn[JWK_DQ], bn[JWK_D], qm1, bc) ||
        BN_mod_inverse(bn[JWK_QI], bn[JWK_Q], bn[JWK_P], bc) == NULL) {
        osslx_cause(cause, "cannot recover RSA factors");
        goto out;
    }
    rc = 0;
out:
    BN_free(rem);
    BN_clear_free(pm1);
    BN_clear_free(qm1);
    BN_CTX_free(bc);
    return rc;
}

static EVP_PKEY *build_pkey(BIGNUM *const bn[], char **cause)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    int ok = bld != NULL;

    for (int i = 0; i < JWK_COUNT && ok; i++)
        ok = OSSL_PARAM_BLD_push_BN(bld, jwk_params[i], bn[i]);
    ok = ok && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL;
    ok = ok && (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL;
    ok = ok && EVP_PKEY_fromdata_init(ctx) > 0 &&
         EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) > 0;
    if (!ok)
        osslx_cause(cause, "cannot build RSA key from JWK");
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* private values sit in its secure block, cleared on free */
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

struct rsakey *rsakey_from_jwk(const char *n, const char *e, const char *d, const char *p,
                               const char *q, const char *dp, const char *dq, const char *qi,
                               char **cause)
{
    const char *text[JWK_COUNT] = {n, e, d, p, q, dp, dq, qi};
    BIGNUM *bn[JWK_COUNT] = {NULL};
    struct rsakey *key = NULL;
    EVP_PKEY *pkey;
    int crt = 0;

    for (int i = JWK_N; i <= JWK_D; i++) {
        if (text[i] == NULL) {
            xcause(cause, "JWK member %s is missing", jwk_names[i]);
            return NULL;
        }
    }
    for (int i = JWK_P; i < JWK_COUNT; i++)
        crt += text[i] != NULL;
    if (crt != 0 && crt != JWK_COUNT - JWK_P) {
        xcause(cause, "JWK members p, q, dp, dq and qi must be given all together or not at all");
        return NULL;
    }
    for (int i = 0; i < JWK_COUNT; i++) {
        if (text[i] != NULL && decode_member(i, text[i], &bn[i], cause) != 0)
            goto out;
    }
    if (!supported_bits(BN_num_bits(bn[JWK_N]))) {
        xcause(cause, "unsupported RSA key size %d", BN_num_bits(bn[JWK_N]));
        goto out;
    }
    if (BN_cmp(bn[JWK_D], bn[JWK_N]) >= 0) { /* also bounds the work of recover_crt */
        xcause(cause, "inconsistent RSA key material (d is not below n)");
        goto out;
    }
    if (crt == 0 && recover_crt(bn, cause) != 0)
        goto out;
    if ((pkey = build_pkey(bn, cause)) != NULL)
        key = adopt(pkey, true, cause);
out:
    for (int i = 0; i < JWK_COUNT; i++)
        BN_clear_free(bn[i]);
    return key;
}

/* Always refuses, remembering that a passphrase was wanted (encrypted input). */
static int no_passphrase(char *pass, size_t pass_size, size_t *pass_len, const OSSL_PARAM params[],
                         void *arg)
{
    *(bool *)arg = true;
    return 0;
}

struct rsakey *rsakey_from_der(const unsigned char *der, size_t len, char **cause)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    X509_SIG *encrypted;
    EVP_PKEY *pkey = NULL;

    /* d2i of the exact structure: OSSL_DECODER would also take PKCS#1 here. */
    if (der != NULL && len != 0 && len <= LONG_MAX)
        p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    if (p8 == NULL) {
        p = der;
        encrypted = der != NULL && len <= LONG_MAX ? d2i_X509_SIG(NULL, &p, (long)len) : NULL;
        if (encrypted != NULL)
            xcause(cause, "encrypted private keys are not supported");
        else
            xcause(cause, "not a valid PKCS#8 private key");
        X509_SIG_free(encrypted);
    } else if (p != der + len) {
        xcause(cause, "%zu trailing bytes after the PKCS#8 private key", len - (size_t)(p - der));
    } else if ((pkey = EVP_PKCS82PKEY(p8)) == NULL) {
        osslx_cause(cause, "cannot read the PKCS#8 private key");
    }
    PKCS8_PRIV_KEY_INFO_free(p8); /* cleanses the key octets */
    ERR_clear_error();
    return pkey != NULL ? adopt(pkey, false, cause) : NULL;
}

/* PEM: "PRIVATE KEY", "RSA PRIVATE KEY" (and any other label, refused after decoding). */
struct rsakey *rsakey_from_pem(const char *pem, size_t len, char **cause)
{
    const unsigned char *data = (const unsigned char *)pem;
    OSSL_DECODER_CTX *dctx;
    EVP_PKEY *pkey = NULL;
    bool asked = false;

    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
    if (dctx == NULL || !OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, &asked)) {
        osslx_cause(cause, "cannot set up the key decoder");
    } else if (pem == NULL || len == 0 || !OSSL_DECODER_from_data(dctx, &data, &len)) {
        if (asked)
            xcause(cause, "encrypted private keys are not supported");
        else
            xcause(cause, "not a valid PEM private key");
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    ERR_clear_error();
    /* PEM arrives from users, not from azsim itself: check it like a JWK. */
    return pkey != NULL ? adopt(pkey, true, cause) : NULL;
}

struct rsakey *rsakey_ref(struct rsakey *key)
{
    atomic_fetch_add_explicit(&key->refs, 1, memory_order_relaxed);
    return key;
}

void rsakey_unref(struct rsakey *key)
{
    if (key == NULL || atomic_fetch_sub_explicit(&key->refs, 1, memory_order_acq_rel) != 1)
        return;
    EVP_PKEY_free(key->pkey);
    free(key->n_b64);
    free(key->e_b64);
    free(key);
}

int rsakey_to_der(const struct rsakey *key, unsigned char **der, size_t *len, char **cause)
{
    OSSL_ENCODER_CTX *ectx;
    BIO *bio = BIO_new(BIO_s_secmem()); /* cleared when it grows and when freed */
    char *data;
    long n;
    int rc = -1;

    *der = NULL;
    *len = 0;
    ectx =
        OSSL_ENCODER_CTX_new_for_pkey(key->pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
    if (bio == NULL || ectx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0 ||
        !OSSL_ENCODER_to_bio(ectx, bio) || (n = BIO_get_mem_data(bio, &data)) <= 0) {
        osslx_cause(cause, "cannot encode the RSA key as PKCS#8");
        goto out;
    }
    *der = xmalloc((size_t)n);
    memcpy(*der, data, (size_t)n);
    *len = (size_t)n;
    rc = 0;
out:
    OSSL_ENCODER_CTX_free(ectx);
    BIO_free(bio);
    return rc;
}

int rsakey_bits(const struct rsakey *key)
{
    return key != NULL ? key->bits : 0;
}

const char *rsakey_n(const struct rsakey *key)
{
    return key != NULL ? key->n_b64 : NULL;
}

const char *rsakey_e(const struct rsakey *key)
{
    return key != NULL ? key->e_b64 : NULL;
}

bool rsakey_same_material(const struct rsakey *a, const struct rsakey *b)
{
    if (a == NULL || b == NULL)
        return false;
    return strcmp(a->n_b64, b->n_b64) == 0 && strcmp(a->e_b64, b->e_b64) == 0;
}

static const struct alg_info *alg_info(enum rsakey_alg alg)
{
    for (size_t i = 0; i < ALG_COUNT; i++) {
        if (alg_table[i].alg == alg)
            return &alg_table[i];
    }
    return NULL;
}

enum rsakey_alg rsakey_alg_parse(const char *name)
{
    for (size_t i = 0; name != NULL && i < ALG_COUNT; i++) {
        if (strcmp(alg_table[i].name, name) == 0)
            return alg_table[i].alg;
    }
    return RSAKEY_ALG_NONE;
}

const char *rsakey_alg_name(enum rsakey_alg alg)
{
    const struct alg_info *ai = alg_info(alg);
    return ai != NULL ? ai->name : NULL;
}

bool rsakey_alg_is_encryption(enum rsakey_alg alg)
{
    const struct alg_info *ai = alg_info(alg);
    return ai != NULL && ai->kind == KIND_ENCRYPT;
}

bool rsakey_alg_is_signature(enum rsakey_alg alg)
{
    const struct alg_info *ai = alg_info(alg);
    return ai != NULL && ai->kind == KIND_SIGN;
}

size_t rsakey_alg_digest_len(enum rsakey_alg alg)
{
    const struct alg_info *ai = alg_info(alg);
    return ai != NULL ? ai->digest_len : 0;
}

/* The algorithm's table entry when it is of the wanted kind, else NULL and *cause. */
static const struct alg_info *alg_for(const struct rsakey *key, enum rsakey_alg alg,
                                      enum alg_kind kind, char **cause)
{
    const struct alg_info *ai = alg_info(alg);
    const char *kind_name = kind == KIND_ENCRYPT ? "encryption" : "signature";

    if (key == NULL) {
        xcause(cause, "no RSA key");
        return NULL;
    }
    if (ai == NULL || ai->kind != kind) {
        xcause(cause, "%s is not an RSA %s algorithm", ai != NULL ? ai->name : "(unknown)",
               kind_name);
        return NULL;
    }
    return ai;
}

/* A fresh context per operation: the EVP_PKEY itself is shared and only read. */
static EVP_PKEY_CTX *op_ctx(const struct rsakey *key, const struct alg_info *ai,
                            int (*init)(EVP_PKEY_CTX *), char **cause)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
    const EVP_MD *md = ai->md != NULL ? ai->md() : NULL;
    bool ok = ctx != NULL && init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, ai->padding) > 0;

    if (ok && ai->kind == KIND_SIGN)
        ok = EVP_PKEY_CTX_set_signature_md(ctx, md) > 0;
    if (ok && ai->padding == RSA_PKCS1_OAEP_PADDING)
        ok = EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0;
    if (ok && ai->padding == RSA_PKCS1_PSS_PADDING)
        ok = EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    if (ok && (ai->padding == RSA_PKCS1_OAEP_PADDING || ai->padding == RSA_PKCS1_PSS_PADDING))
        ok = EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0;
    if (!ok) {
        osslx_cause(cause, "cannot set up RSA operation");
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static size_t modulus_len(const struct rsakey *key)
{
    return ((size_t)key->bits + 7) / 8;
}

int rsakey_encrypt(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *in,
                   size_t inlen, unsigned char **out, size_t *outlen, char **cause)
{
    static const unsigned char empty[1];
    const struct alg_info *ai = alg_for(key, alg, KIND_ENCRYPT, cause);
    EVP_PKEY_CTX *ctx;
    unsigned char *buf;
    size_t overhead, len = 0;
    int rc = -1;

    *out = NULL;
    *outlen = 0;
    if (ai == NULL)
        return -1;
    overhead = ai->md != NULL ? 2 * (size_t)EVP_MD_get_size(ai->md()) + 2 : 11;
    if (inlen > modulus_len(key) - overhead) {
        xcause(cause, "plaintext length %zu exceeds %zu, the most %s takes with a %d-bit key",
               inlen, modulus_len(key) - overhead, ai->name, key->bits);
        return -1;
    }
    if ((ctx = op_ctx(key, ai, EVP_PKEY_encrypt_init, cause)) == NULL)
        return -1;
    if (in == NULL)
        in = empty;
    if (EVP_PKEY_encrypt(ctx, NULL, &len, in, inlen) > 0) {
        buf = xmalloc(len);
        if (EVP_PKEY_encrypt(ctx, buf, &len, in, inlen) > 0) {
            *out = buf;
            *outlen = len;
            rc = 0;
        } else {
            free(buf);
        }
    }
    if (rc != 0)
        osslx_cause(cause, "encryption failed");
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int rsakey_decrypt(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *in,
                   size_t inlen, unsigned char **out, size_t *outlen, char **cause)
{
    const struct alg_info *ai = alg_for(key, alg, KIND_ENCRYPT, cause);
    EVP_PKEY_CTX *ctx;
    unsigned char *buf;
    size_t len = 0;

    *out = NULL;
    *outlen = 0;
    if (ai == NULL)
        return -1;
    if (in == NULL || inlen != modulus_len(key)) {
        xcause(cause, "ciphertext length %zu does not match key size (%zu bytes)", inlen,
               modulus_len(key));
        return -1;
    }
    if ((ctx = op_ctx(key, ai, EVP_PKEY_decrypt_init, cause)) == NULL)
        return -1;
    if (EVP_PKEY_decrypt(ctx, NULL, &len, in, inlen) <= 0) {
        osslx_cause(cause, "cannot size decryption");
        EVP_PKEY_CTX_free(ctx);
        return -1;
    }
    buf = xmalloc(len);
    if (EVP_PKEY_decrypt(ctx, buf, &len, in, inlen) <= 0) {
        /* One message for every failure: padding details would be an oracle. */
        ERR_clear_error();
        OPENSSL_cleanse(buf, len);
        free(buf);
        EVP_PKEY_CTX_free(ctx);
        xcause(cause, "decryption failed");
        return -1;
    }
    *out = buf;
    *outlen = len;
    EVP_PKEY_CTX_free(ctx);
    return 0;
}

/* The signature algorithm's entry when the digest length fits, else NULL and *cause. */
static const struct alg_info *sig_alg(const struct rsakey *key, enum rsakey_alg alg,
                                      const unsigned char *digest, size_t dlen, char **cause)
{
    const struct alg_info *ai = alg_for(key, alg, KIND_SIGN, cause);

    if (ai != NULL && (digest == NULL || dlen != ai->digest_len)) {
        xcause(cause, "digest length %zu does not match %s (%zu bytes)", dlen, ai->name,
               ai->digest_len);
        return NULL;
    }
    return ai;
}

int rsakey_sign(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *digest,
                size_t dlen, unsigned char **sig, size_t *siglen, char **cause)
{
    const struct alg_info *ai = sig_alg(key, alg, digest, dlen, cause);
    EVP_PKEY_CTX *ctx;
    unsigned char *buf;
    size_t len = 0;
    int rc = -1;

    *sig = NULL;
    *siglen = 0;
    if (ai == NULL || (ctx = op_ctx(key, ai, EVP_PKEY_sign_init, cause)) == NULL)
        return -1;
    if (EVP_PKEY_sign(ctx, NULL, &len, digest, dlen) > 0) {
        buf = xmalloc(len);
        if (EVP_PKEY_sign(ctx, buf, &len, digest, dlen) > 0) {
            *sig = buf;
            *siglen = len;
            rc = 0;
        } else {
            free(buf);
        }
    }
    if (rc != 0)
        osslx_cause(cause, "signing failed");
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int rsakey_verify(const struct rsakey *key, enum rsakey_alg alg, const unsigned char *digest,
                  size_t dlen, const unsigned char *sig, size_t siglen, char **cause)
{
    const struct alg_info *ai = sig_alg(key, alg, digest, dlen, cause);
    EVP_PKEY_CTX *ctx;
    int rc;

    if (ai == NULL || (ctx = op_ctx(key, ai, EVP_PKEY_verify_init, cause)) == NULL)
        return -1;
    /* Wrong length, bad padding, other key: all simply "not valid". */
    rc = sig != NULL && siglen != 0 && EVP_PKEY_verify(ctx, sig, siglen, digest, dlen) == 1;
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    return rc;
}
