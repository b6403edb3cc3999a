/*
 * keymat.c — the key itself: process hygiene, generation, checks, reading PEM
 * and PFX, the fingerprint and the private JWK. Files and escrow are in
 * keymat_file.c.
 */
#include "keymat.h"
#include "keymat_int.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "xmem.h"

struct keymat {
    EVP_PKEY *pkey;
    int bits;
    char fingerprint[MODEL_FINGERPRINT_LEN];
};

/* The members of Key Vault's RSA JWK, in the order tdectl writes them. */
static const struct {
    const char *name;
    const char *param;
} jwk_members[] = {
    {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
    {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

#define JWK_COUNT (sizeof jwk_members / sizeof jwk_members[0])

/* Core dumps while key material is held (see the header): process-wide state. */
static struct {
    unsigned holders;
    int dumpable; /* PR_GET_DUMPABLE before the first holder */
    struct rlimit core;
    bool core_saved;
} hygiene;

void keymat_hygiene_leave(void)
{
    if (hygiene.holders == 0 || --hygiene.holders > 0)
        return;
    if (hygiene.core_saved)
        setrlimit(RLIMIT_CORE, &hygiene.core);
    /* 2 (suid_dumpable) cannot be set back by PR_SET_DUMPABLE: it stays off. */
    if (hygiene.dumpable == 1)
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

int keymat_hygiene_enter(char **cause)
{
    if (hygiene.holders++ > 0)
        return 0;
    hygiene.dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    hygiene.core_saved = getrlimit(RLIMIT_CORE, &hygiene.core) == 0;
    /* Only the soft limit: lowering the hard one could not be undone. */
    struct rlimit off = hygiene.core;
    off.rlim_cur = 0;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || !hygiene.core_saved ||
        setrlimit(RLIMIT_CORE, &off) != 0) {
        keymat_hygiene_leave();
        xcause(cause, "cannot turn core dumps off: tdectl will not hold a private key");
        return -1;
    }
    return 0;
}

static bool supported_bits(int bits)
{
    return bits == 2048 || bits == 3072;
}

/* BN_bn2bin into a heap buffer (secret: cleanse before free); NULL for zero. */
static unsigned char *bn_bytes(const BIGNUM *bn, size_t *len)
{
    *len = (size_t)BN_num_bytes(bn);
    if (*len == 0)
        return NULL;
    unsigned char *buf = xmalloc(*len);
    BN_bn2bin(bn, buf);
    return buf;
}

static void secret_buf_free(unsigned char *buf, size_t len)
{
    if (buf) {
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
}

static int fingerprint(EVP_PKEY *pkey, char out[MODEL_FINGERPRINT_LEN])
{
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *nb = NULL, *eb = NULL;
    size_t nlen = 0, elen = 0;
    out[0] = '\0';
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) &&
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
        nb = bn_bytes(n, &nlen);
        eb = bn_bytes(e, &elen);
        if (nb && eb)
            model_fingerprint(nb, nlen, eb, elen, out);
    }
    free(nb);
    free(eb);
    BN_free(n);
    BN_free(e);
    return out[0] ? 0 : -1;
}

/* Every JWK member is there and no third prime (Key Vault's JWK has no "oth"). */
static const char *missing_part(EVP_PKEY *pkey)
{
    for (size_t i = 0; i < JWK_COUNT; i++) {
        BIGNUM *bn = NULL;
        bool have = EVP_PKEY_get_bn_param(pkey, jwk_members[i].param, &bn) == 1;
        BN_clear_free(bn);
        if (!have)
            return strcmp(jwk_members[i].name, "d") == 0
                       ? "holds no private key (a public key only)"
                       : "lacks the RSA CRT parameters Key Vault's import needs";
    }
    BIGNUM *third = NULL;
    bool multi = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3, &third) == 1;
    BN_clear_free(third);
    return multi ? "is a multi-prime RSA key, which Key Vault cannot import" : NULL;
}

static bool pairwise_ok(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/*
 * Takes pkey (freed on failure) and wraps it once it is an RSA private key
 * tdectl can import. check: OpenSSL's key-pair check, for material that came
 * from outside (a damaged or hand-made key would import and then fail SQL).
 */
static int adopt(EVP_PKEY *pkey, bool check, const char *what, struct keymat **out, char **cause)
{
    const char *why = NULL;
    int bits = EVP_PKEY_get_bits(pkey);
    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        const char *type = EVP_PKEY_get0_type_name(pkey);
        xcause(cause, "%s: not an RSA key (%s); TDE protectors are RSA", what,
               type ? type : "unknown type");
    } else if (!supported_bits(bits)) {
        xcause(cause, "%s: an RSA key of %d bits; TDE supports only 2048 and 3072", what, bits);
    } else if ((why = missing_part(pkey)) != NULL) {
        xcause(cause, "%s: %s", what, why);
    } else if (check && !pairwise_ok(pkey)) {
        xcause(cause, "%s: inconsistent RSA key material (OpenSSL's key-pair check failed)", what);
    } else {
        struct keymat *k = xcalloc(1, sizeof *k);
        k->pkey = pkey;
        k->bits = bits;
        if (fingerprint(pkey, k->fingerprint) == 0) {
            *out = k;
            return 0;
        }
        free(k);
        xcause(cause, "%s: cannot read the RSA public key", what);
    }
    EVP_PKEY_free(pkey);
    return -1;
}

int keymat_generate(int bits, struct keymat **out, char **cause)
{
    *out = NULL;
    if (!supported_bits(bits)) {
        xcause(cause, "RSA %d bits: TDE supports only 2048 and 3072", bits);
        return -1;
    }
    if (keymat_hygiene_enter(cause) < 0)
        return -1;
    size_t nbits = (size_t)bits;
    unsigned int e = 65537;
    OSSL_PARAM params[] = {OSSL_PARAM_size_t(OSSL_PKEY_PARAM_RSA_BITS, &nbits),
                           OSSL_PARAM_uint(OSSL_PKEY_PARAM_RSA_E, &e), OSSL_PARAM_END};
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    int rc = -1;
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_params(ctx, params) <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0)
        xcause(cause, "RSA %d-bit key generation failed (OpenSSL)", bits);
    else
        rc = adopt(pkey, false, "generated key", out, cause);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (rc < 0)
        keymat_hygiene_leave();
    return rc;
}

static bool contains(const unsigned char *data, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(data + i, word, n) == 0)
            return true;
    }
    return false;
}

/* The caller's passphrase to OpenSSL, remembering whether one was asked for. */
struct pass_ctx {
    const char *pass;
    bool asked;
    bool too_long;
};

static int pem_pass(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    struct pass_ctx *pc = u;
    pc->asked = true;
    if (pc->pass == NULL)
        return -1;
    size_t n = strlen(pc->pass);
    if (size < 0 || n > (size_t)size) {
        pc->too_long = true;
        return -1;
    }
    memcpy(buf, pc->pass, n);
    return (int)n;
}

/* Why a PEM text gave no private key, from what it holds. */
static void pem_refusal(const unsigned char *data, size_t len, const struct pass_ctx *pc,
                        const char *what, char **cause)
{
    if (pc->asked && pc->pass == NULL)
        xcause(cause, "%s: the private key is encrypted: a passphrase is needed", what);
    else if (pc->too_long)
        xcause(cause, "%s: the passphrase is longer than OpenSSL accepts", what);
    else if (pc->asked)
        xcause(cause, "%s: wrong passphrase or damaged file", what);
    else if (contains(data, len, "PRIVATE KEY-----"))
        xcause(cause, "%s: the private key cannot be decoded (damaged or truncated PEM)", what);
    else if (contains(data, len, "PUBLIC KEY-----"))
        xcause(cause, "%s: holds only a public key; importing needs the private key", what);
    else if (contains(data, len, "CERTIFICATE-----"))
        xcause(cause, "%s: holds only certificates, not their private key", what);
    else
        xcause(cause, "%s: no private key in this PEM file", what);
}

/*
 * PEM_read_bio_PrivateKey takes PKCS#1, PKCS#8 and encrypted PKCS#8 (and the
 * legacy encrypted PKCS#1), skipping blocks that are not a private key, such
 * as the certificates an HSM export puts around it.
 */
static EVP_PKEY *read_pem(const unsigned char *data, size_t len, const char *pass, const char *what,
                          char **cause)
{
    struct pass_ctx pc = {.pass = pass};
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey_ex(bio, NULL, pem_pass, &pc, NULL, NULL) : NULL;
    BIO_free(bio);
    if (pkey == NULL)
        pem_refusal(data, len, &pc, what, cause);
    return pkey;
}

/* Reads OpenSSL's error queue (emptying it) for why PKCS12_parse failed. */
static void pfx_refusal(const char *pass, const char *what, char **cause)
{
    bool mac = false, unsupported = false;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        mac = mac || (ERR_GET_LIB(e) == ERR_LIB_PKCS12 &&
                      ERR_GET_REASON(e) == PKCS12_R_MAC_VERIFY_FAILURE);
        unsupported = unsupported || ERR_GET_REASON(e) == ERR_R_UNSUPPORTED ||
                      ERR_GET_REASON(e) == EVP_R_UNSUPPORTED_ALGORITHM;
    }
    if (mac && pass == NULL)
        xcause(cause, "%s: the PFX is protected: a passphrase is needed", what);
    else if (mac)
        /* NOLINTNEXTLINE(bugprone-branch-clone): the same words as with pass, checked first */
        xcause(cause, "%s: wrong passphrase or damaged file", what);
    else if (unsupported)
        xcause(cause,
               "%s: the PFX is encrypted with a legacy algorithm (RC2, RC4 or DES) that OpenSSL 3 "
               "disables; re-export it with AES-256 (openssl pkcs12 -legacy reads it)",
               what);
    else if (pass)
        xcause(cause, "%s: wrong passphrase or damaged file", what);
    else
        xcause(cause, "%s: the PFX cannot be read without a passphrase, or is damaged", what);
}

static EVP_PKEY *read_pfx(const unsigned char *data, size_t len, const char *pass, const char *what,
                          char **cause)
{
    const unsigned char *p = data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
    if (p12 == NULL) {
        xcause(cause,
               data[0] == 0x30 ? "%s: neither PEM nor a readable PFX (truncated or damaged?)"
                               : "%s: neither a PEM nor a PFX file",
               what);
        return NULL;
    }
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    if (!PKCS12_parse(p12, pass, &pkey, &cert, &ca))
        pfx_refusal(pass, what, cause);
    else if (pkey == NULL)
        xcause(cause, "%s: the PFX holds only certificates, not a private key", what);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    return pkey;
}

int keymat_load_mem(const unsigned char *data, size_t len, const char *passphrase, const char *what,
                    struct keymat **out, char **cause)
{
    *out = NULL;
    if (what == NULL)
        what = "key data";
    if (data == NULL || len == 0) {
        xcause(cause, "%s: empty", what);
        return -1;
    }
    if (len > KEYMAT_FILE_MAX) {
        xcause(cause, "%s: larger than 1 MiB, not a key file", what);
        return -1;
    }
    if (keymat_hygiene_enter(cause) < 0)
        return -1;
    EVP_PKEY *pkey;
    if (contains(data, len, "-----BEGIN "))
        pkey = read_pem(data, len, passphrase, what, cause);
    else
        pkey = read_pfx(data, len, passphrase, what, cause);
    int rc = pkey ? adopt(pkey, true, what, out, cause) : -1;
    ERR_clear_error();
    if (rc < 0)
        keymat_hygiene_leave();
    return rc;
}

void keymat_destroy(struct keymat *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
    keymat_hygiene_leave();
}

int keymat_bits(const struct keymat *k)
{
    return k ? k->bits : 0;
}

void keymat_fingerprint(const struct keymat *k, char out[MODEL_FINGERPRINT_LEN])
{
    snprintf(out, MODEL_FINGERPRINT_LEN, "%s", k ? k->fingerprint : "");
}

EVP_PKEY *keymat_pkey(const struct keymat *k)
{
    return k->pkey;
}

/* Appends ,"name":"base64url(bytes)" at *pos (the room was counted by the caller). */
static void put_member(char *text, size_t *pos, const char *name, const unsigned char *bytes,
                       size_t len)
{
    *pos += (size_t)snprintf(text + *pos, 8, ",\"%s\":\"", name);
    char *b64 = text + *pos;
    int n = EVP_EncodeBlock((unsigned char *)b64, bytes, (int)len);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++) {
        if (b64[i] == '+')
            b64[i] = '-';
        else if (b64[i] == '/')
            b64[i] = '_';
    }
    *pos += (size_t)n;
    text[(*pos)++] = '"';
}

/* Built by hand rather than with cJSON, whose print buffers would leave copies uncleansed. */
int keymat_jwk(const struct keymat *k, char **jwk, char **cause)
{
    unsigned char *bytes[JWK_COUNT] = {NULL};
    size_t lens[JWK_COUNT] = {0};
    size_t room = sizeof "{\"kty\":\"RSA\"}";
    int rc = -1;
    *jwk = NULL;
    if (k == NULL) {
        xcause(cause, "no key");
        return -1;
    }
    for (size_t i = 0; i < JWK_COUNT; i++) {
        BIGNUM *bn = NULL;
        if (EVP_PKEY_get_bn_param(k->pkey, jwk_members[i].param, &bn) == 1)
            bytes[i] = bn_bytes(bn, &lens[i]);
        BN_clear_free(bn);
        if (bytes[i] == NULL) {
            xcause(cause, "cannot read the key's %s", jwk_members[i].name);
            goto out;
        }
        /* ,"name":"…" plus EVP_EncodeBlock's padding and NUL */
        room += strlen(jwk_members[i].name) + 6 + 4 * ((lens[i] + 2) / 3) + 1;
    }
    char *text = xmalloc(room);
    size_t pos = (size_t)snprintf(text, room, "{\"kty\":\"RSA\"");
    for (size_t i = 0; i < JWK_COUNT; i++)
        put_member(text, &pos, jwk_members[i].name, bytes[i], lens[i]);
    text[pos++] = '}';
    text[pos] = '\0';
    *jwk = text;
    rc = 0;
out:
    for (size_t i = 0; i < JWK_COUNT; i++)
        secret_buf_free(bytes[i], lens[i]);
    ERR_clear_error();
    return rc;
}

void keymat_secret_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}
