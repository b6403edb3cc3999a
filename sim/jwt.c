#include "jwt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "osslx.h"
#include "xmem.h"

#define TOKEN_MAX   (16 * 1024)
#define SIGNER_BITS 2048
#define SIGNER_CN   "azsim token signing"
#define SERIAL_LEN  16

/*
 * The signing certificate is a pure function of the key: serial from the
 * public key's hash, fixed validity, deterministic PKCS#1 v1.5 signature. So
 * a signer loaded from its saved key rebuilds the very same certificate, and
 * the kid (its SHA-1 thumbprint, as Entra ID's kids are) stays stable across
 * restarts while x5t still names the certificate in x5c.
 */
#define SIGNER_NOT_BEFORE "20240101000000Z"
#define SIGNER_NOT_AFTER  "20491231235959Z"

struct jwt_signer {
    EVP_PKEY *key;
    X509 *cert;
    char *kid;  /* = x5t */
    char *jwks; /* built once: the signer never changes */
};

/* A decoded compact JWS; signed_len covers "header.payload". */
struct jws {
    cJSON *header;
    cJSON *claims;
    unsigned char *sig;
    size_t sig_len;
    size_t signed_len;
};

static X509 *read_cert(const char *pem)
{
    BIO *bio = pem != NULL ? BIO_new_mem_buf(pem, -1) : NULL;
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, osslx_no_password, NULL) : NULL;
    BIO_free(bio);
    return x;
}

/* base64url of a digest of the certificate DER: "x5t" (SHA-1) or "x5t#S256". */
static char *cert_thumbprint(X509 *x, const EVP_MD *md)
{
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(x, md, buf, &n) != 1)
        return NULL;
    return b64_url_encode(buf, n);
}

static char *bn_param_b64(EVP_PKEY *key, const char *name)
{
    BIGNUM *bn = NULL;
    char *s = NULL;
    if (EVP_PKEY_get_bn_param(key, name, &bn) == 1) {
        unsigned char *buf = xmalloc((size_t)BN_num_bytes(bn));
        int n = BN_bn2bin(bn, buf);
        s = b64_url_encode(buf, (size_t)n);
        free(buf);
    }
    BN_free(bn);
    return s;
}

static int set_serial_from_key(X509 *x, EVP_PKEY *key)
{
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int derlen = i2d_PUBKEY(key, &der);
    int ok = 0;

    if (derlen > 0 && EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL) == 1) {
        md[0] &= 0x7f; /* positive */
        md[0] |= 0x40;
        BIGNUM *bn = BN_bin2bn(md, SERIAL_LEN, NULL);
        ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
        BN_free(bn);
    }
    OPENSSL_free(der);
    return ok;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static X509 *signing_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, X509_VERSION_3) != 1 || !set_serial_from_key(x, key) ||
        ASN1_TIME_set_string_X509(X509_getm_notBefore(x), SIGNER_NOT_BEFORE) != 1 ||
        ASN1_TIME_set_string_X509(X509_getm_notAfter(x), SIGNER_NOT_AFTER) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)SIGNER_CN, -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
        !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *cert_x5c(X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    char *s = n > 0 ? b64_std_encode(der, (size_t)n) : NULL;
    OPENSSL_free(der);
    return s;
}

static char *build_jwks(const struct jwt_signer *s)
{
    char *x5c = cert_x5c(s->cert);
    char *n = bn_param_b64(s->key, OSSL_PKEY_PARAM_RSA_N);
    char *e = bn_param_b64(s->key, OSSL_PKEY_PARAM_RSA_E);
    char *text = NULL;

    /* Every member is base64 or a fixed word: nothing needs JSON escaping. */
    if (x5c != NULL && n != NULL && e != NULL)
        text = xasprintf("{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"%s\","
                         "\"x5t\":\"%s\",\"n\":\"%s\",\"e\":\"%s\",\"x5c\":[\"%s\"]}]}",
                         s->kid, s->kid, n, e, x5c);
    free(x5c);
    free(n);
    free(e);
    return text;
}

/* Wraps an RSA key (taken) in a signer with its certificate and public members. */
static struct jwt_signer *signer_adopt(EVP_PKEY *key, char **cause)
{
    struct jwt_signer *s = xcalloc(1, sizeof *s);
    s->key = key;
    if (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_get_bits(key) < SIGNER_BITS) {
        xcause(cause, "token signing key must be RSA of at least %d bits", SIGNER_BITS);
        goto fail;
    }
    if ((s->cert = signing_cert(key)) == NULL ||
        (s->kid = cert_thumbprint(s->cert, EVP_sha1())) == NULL ||
        (s->jwks = build_jwks(s)) == NULL) {
        osslx_cause(cause, "cannot build token signing certificate");
        goto fail;
    }
    return s;

fail:
    jwt_signer_destroy(s);
    return NULL;
}

struct jwt_signer *jwt_signer_generate(char **cause)
{
    EVP_PKEY *key = EVP_RSA_gen(SIGNER_BITS);
    if (key == NULL) {
        osslx_cause(cause, "cannot generate token signing key");
        return NULL;
    }
    return signer_adopt(key, cause);
}

struct jwt_signer *jwt_signer_load(const char *key_pem, char **cause)
{
    BIO *bio = key_pem != NULL ? BIO_new_mem_buf(key_pem, -1) : NULL;
    EVP_PKEY *key =
        bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, osslx_no_password, NULL) : NULL;
    BIO_free(bio);
    if (key == NULL) {
        osslx_cause(cause, "cannot read token signing key");
        return NULL;
    }
    return signer_adopt(key, cause);
}

void jwt_signer_destroy(struct jwt_signer *signer)
{
    if (signer == NULL)
        return;
    EVP_PKEY_free(signer->key);
    X509_free(signer->cert);
    free(signer->kid);
    free(signer->jwks);
    free(signer);
}

char *jwt_signer_key_pem(const struct jwt_signer *signer)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    char *s = NULL;
    char *data = NULL;

    if (bio != NULL && PEM_write_bio_PrivateKey(bio, signer->key, NULL, NULL, 0, NULL, NULL) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0)
            s = xstrndup(data, (size_t)n);
    }
    BIO_free(bio);
    ERR_clear_error();
    return s;
}

const char *jwt_signer_kid(const struct jwt_signer *signer)
{
    return signer->kid;
}

char *jwt_signer_jwks(const struct jwt_signer *signer)
{
    return xstrdup(signer->jwks);
}

/* RS256 over data[0..len), base64url. */
static char *sign_rs256(EVP_PKEY *key, const char *data, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char *s = NULL;

    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)data, len) != 1)
        goto out;
    sig = xmalloc(sig_len);
    if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)data, len) == 1)
        s = b64_url_encode(sig, sig_len);
out:
    free(sig);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return s;
}

char *jwt_sign(const struct jwt_signer *signer, const cJSON *claims)
{
    char *header = xasprintf("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"%s\",\"kid\":\"%s\"}",
                             signer->kid, signer->kid);
    char *payload = cJSON_PrintUnformatted(claims);
    char *token = NULL;

    if (payload != NULL && cJSON_IsObject(claims)) {
        char *h64 = b64_url_encode((const unsigned char *)header, strlen(header));
        char *p64 = b64_url_encode((const unsigned char *)payload, strlen(payload));
        char *tbs = xasprintf("%s.%s", h64, p64);
        char *sig = sign_rs256(signer->key, tbs, strlen(tbs));
        if (sig != NULL)
            token = xasprintf("%s.%s", tbs, sig);
        free(sig);
        free(tbs);
        free(p64);
        free(h64);
    }
    cJSON_free(payload);
    free(header);
    return token;
}

/* RFC 7515 7.2.1 / 7519 4: member names must be unique (cJSON would keep the first). */
static int has_duplicate_names(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a != NULL; a = a->next)
        for (const cJSON *b = a->next; b != NULL; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return 1;
    return 0;
}

/* Decodes one base64url part into a JSON object. */
static int json_part(const char *b64, size_t len, const char *what, cJSON **out, char **cause)
{
    unsigned char *text = NULL;
    size_t text_len = 0;
    const char *end = NULL;

    *out = NULL;
    if (b64_decode(b64, len, &text, &text_len) != 0) {
        xcause(cause, "token %s is not base64url", what);
        return -1;
    }
    if (memchr(text, '\0', text_len) == NULL)
        *out = cJSON_ParseWithOpts((const char *)text, &end, 1);
    free(text);
    if (*out == NULL || !cJSON_IsObject(*out) || has_duplicate_names(*out)) {
        xcause(cause, "token %s is not a JSON object", what);
        cJSON_Delete(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int b64url_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Finds the two dots of a compact JWS whose three parts are non-empty base64url. */
static int jws_split(const char *token, size_t len, size_t dot[2], char **cause)
{
    size_t ndots = 0;

    if (token == NULL || len == 0) {
        xcause(cause, "token is empty");
        return -1;
    }
    if (len > TOKEN_MAX) {
        xcause(cause, "token too long");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.' && ndots < 2) {
            dot[ndots++] = i;
        } else if (!b64url_char(token[i])) {
            xcause(cause, "token is not three base64url parts");
            return -1;
        }
    }
    if (ndots != 2) {
        xcause(cause, "token is not three base64url parts");
        return -1;
    }
    if (dot[0] == 0 || dot[1] == dot[0] + 1 || dot[1] == len - 1) {
        xcause(cause, "token has an empty part");
        return -1;
    }
    return 0;
}

static void jws_cleanup(struct jws *jws)
{
    cJSON_Delete(jws->header);
    cJSON_Delete(jws->claims);
    free(jws->sig);
    memset(jws, 0, sizeof *jws);
}

/* Splits and decodes a compact JWS: three non-empty base64url parts, JSON objects. */
static int jws_parse(const char *token, size_t len, struct jws *jws, char **cause)
{
    memset(jws, 0, sizeof *jws);
    size_t dot[2];
    if (jws_split(token, len, dot, cause) != 0)
        return -1;
    if (json_part(token, dot[0], "header", &jws->header, cause) != 0 ||
        json_part(token + dot[0] + 1, dot[1] - dot[0] - 1, "payload", &jws->claims, cause) != 0)
        goto fail;
    if (b64_decode(token + dot[1] + 1, len - dot[1] - 1, &jws->sig, &jws->sig_len) != 0 ||
        jws->sig_len == 0) {
        xcause(cause, "token signature is not base64url");
        goto fail;
    }
    if (cJSON_GetObjectItemCaseSensitive(jws->header, "crit") != NULL) {
        xcause(cause, "token header has unsupported critical parameters");
        goto fail;
    }
    jws->signed_len = dot[1];
    return 0;

fail:
    jws_cleanup(jws);
    return -1;
}

/* A header member when it is a string, else NULL. */
static const char *header_string(const cJSON *header, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(header, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Checks an RS256 (pss = 0) or PS256 (pss = 1) signature with pub. */
static int verify_sig(EVP_PKEY *pub, int pss, const char *tbs, const struct jws *jws, char **cause)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pub) == 1;

    if (ok && pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
    if (ok)
        ok = EVP_DigestVerify(ctx, jws->sig, jws->sig_len, (const unsigned char *)tbs,
                              jws->signed_len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        xcause(cause, "token signature is invalid");
        return -1;
    }
    return 0;
}

int jwt_verify(const struct jwt_signer *signer, const char *token, size_t len, cJSON **claims,
               char **cause)
{
    struct jws jws;
    int rc = -1;

    *claims = NULL;
    if (jws_parse(token, len, &jws, cause) != 0)
        return -1;
    const char *alg = header_string(jws.header, "alg");
    const char *kid = header_string(jws.header, "kid");
    if (alg == NULL || strcmp(alg, "RS256") != 0) {
        xcause(cause, "token alg is not RS256");
        goto out;
    }
    if (kid == NULL || strcmp(kid, signer->kid) != 0) {
        xcause(cause, "token was not signed by this issuer's key");
        rc = JWT_UNKNOWN_KEY;
        goto out;
    }
    if (verify_sig(signer->key, 0, token, &jws, cause) != 0) {
        rc = JWT_BAD_SIGNATURE;
        goto out;
    }
    *claims = jws.claims;
    jws.claims = NULL;
    rc = 0;
out:
    jws_cleanup(&jws);
    return rc;
}

/* An optional thumbprint header must name the certificate exactly. */
static int check_thumbprint(const cJSON *header, const char *name, X509 *cert, const EVP_MD *md,
                            char **cause)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(header, name);
    if (item == NULL)
        return 0;
    /*
     * Compare bytes, not text: MSAL Python writes x5t as base64url with '='
     * padding, other clients without it, and Entra ID accepts both.
     */
    unsigned char want[EVP_MAX_MD_SIZE], *got = NULL;
    unsigned int wlen = 0;
    size_t glen = 0;
    int ok = cJSON_IsString(item) && X509_digest(cert, md, want, &wlen) == 1 &&
             b64_decode(item->valuestring, strlen(item->valuestring), &got, &glen) == 0 &&
             glen == wlen && CRYPTO_memcmp(got, want, wlen) == 0;
    free(got);
    if (!ok) {
        xcause(cause, "assertion %s does not match the registered certificate", name);
        return -1;
    }
    return 0;
}

int jwt_verify_assertion(const char *token, size_t len, const char *cert_pem, cJSON **claims,
                         char **cause)
{
    struct jws jws;
    X509 *cert = NULL;
    int rc = -1;

    *claims = NULL;
    if (jws_parse(token, len, &jws, cause) != 0)
        return -1;
    if ((cert = read_cert(cert_pem)) == NULL) {
        osslx_cause(cause, "cannot read the registered certificate");
        goto out;
    }
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    if (pub == NULL || !EVP_PKEY_is_a(pub, "RSA")) {
        xcause(cause, "unsupported certificate key type");
        goto out;
    }
    const char *alg = header_string(jws.header, "alg");
    int pss = alg != NULL && strcmp(alg, "PS256") == 0;
    if (alg == NULL || (!pss && strcmp(alg, "RS256") != 0)) {
        xcause(cause, "assertion alg is not RS256 or PS256");
        goto out;
    }
    if (check_thumbprint(jws.header, "x5t", cert, EVP_sha1(), cause) != 0 ||
        check_thumbprint(jws.header, "x5t#S256", cert, EVP_sha256(), cause) != 0 ||
        verify_sig(pub, pss, token, &jws, cause) != 0)
        goto out;
    *claims = jws.claims;
    jws.claims = NULL;
    rc = 0;
out:
    X509_free(cert);
    jws_cleanup(&jws);
    ERR_clear_error();
    return rc;
}

char *jwt_cert_x5t(const char *cert_pem)
{
    X509 *x = read_cert(cert_pem);
    char *s = x != NULL ? cert_thumbprint(x, EVP_sha1()) : NULL;
    X509_free(x);
    ERR_clear_error();
    return s;
}
