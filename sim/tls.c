#include "tls.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "osslx.h"
#include "xmem.h"

#define CA_DAYS      3650
#define LEAF_DAYS    365
#define BACKDATE     (-60 * 60)
#define SERIAL_LEN   16
#define DNS_NAME_MAX 253

struct tls_ca {
    EVP_PKEY *key;
    X509 *cert;
};

/* Copies a memory BIO's contents into a NUL-terminated heap string. */
static char *bio_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n < 0)
        n = 0;
    char *s = xmalloc((size_t)n + 1);
    if (n > 0)
        memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

/* PKCS#8 PEM of a private key, written through secure memory. */
static char *private_key_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    char *s = NULL;

    if (bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
        s = bio_string(bio);
    BIO_free(bio);
    ERR_clear_error();
    return s;
}

static int set_serial(X509 *x)
{
    unsigned char buf[SERIAL_LEN];
    int ok = 0;

    if (RAND_bytes(buf, sizeof buf) != 1)
        return 0;
    buf[0] &= 0x7f; /* positive */
    buf[0] |= 0x40; /* and always SERIAL_LEN bytes long */
    BIGNUM *bn = BN_bin2bn(buf, sizeof buf, NULL);
    if (bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
        ok = 1;
    BN_free(bn);
    return ok;
}

static int set_validity(X509 *x, long days)
{
    return X509_gmtime_adj(X509_getm_notBefore(x), BACKDATE) != NULL &&
           X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) != NULL;
}

static int set_subject(X509 *x, const char *cn)
{
    X509_NAME *name = X509_get_subject_name(x);
    return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                      0) == 1 &&
           X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"azsim", -1,
                                      -1, 0) == 1;
}

/* Adds one extension written in openssl.cnf syntax; issuer may be cert itself. */
static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return 0;
    int ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* The fields every azsim certificate shares: v3, serial, validity, subject, key. */
static X509 *cert_start(EVP_PKEY *key, const char *cn, long days)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    if (X509_set_version(x, X509_VERSION_3) != 1 || !set_serial(x) || !set_validity(x, days) ||
        !set_subject(x, cn) || X509_set_pubkey(x, key) != 1) {
        X509_free(x);
        return NULL;
    }
    return x;
}

struct tls_ca *tls_ca_generate(const char *common_name, char **cause)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;

    if (common_name == NULL || *common_name == '\0') {
        xcause(cause, "CA common name is empty");
        return NULL;
    }
    key = EVP_EC_gen("P-256");
    if (key == NULL) {
        osslx_cause(cause, "cannot generate CA key");
        goto fail;
    }
    x = cert_start(key, common_name, CA_DAYS);
    if (x == NULL || X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
        !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(x, x, NID_subject_key_identifier, "hash") ||
        X509_sign(x, key, EVP_sha256()) <= 0) {
        osslx_cause(cause, "cannot build CA certificate");
        goto fail;
    }
    struct tls_ca *ca = xmalloc(sizeof *ca);
    ca->key = key;
    ca->cert = x;
    return ca;

fail:
    X509_free(x);
    EVP_PKEY_free(key);
    return NULL;
}

struct tls_ca *tls_ca_load(const char *cert_pem, const char *key_pem, char **cause)
{
    BIO *bio = NULL;
    X509 *x = NULL;
    EVP_PKEY *key = NULL;

    if (cert_pem == NULL || key_pem == NULL) {
        xcause(cause, "CA certificate or key missing");
        return NULL;
    }
    bio = BIO_new_mem_buf(cert_pem, -1);
    if (bio == NULL || (x = PEM_read_bio_X509(bio, NULL, osslx_no_password, NULL)) == NULL) {
        osslx_cause(cause, "cannot read CA certificate");
        goto fail;
    }
    BIO_free(bio);
    bio = BIO_new_mem_buf(key_pem, -1);
    if (bio == NULL ||
        (key = PEM_read_bio_PrivateKey(bio, NULL, osslx_no_password, NULL)) == NULL) {
        osslx_cause(cause, "cannot read CA key");
        goto fail;
    }
    if (X509_check_ca(x) <= 0) {
        xcause(cause, "CA certificate is not a certificate authority");
        goto fail;
    }
    if (X509_check_private_key(x, key) != 1) {
        osslx_cause(cause, "CA key does not match the CA certificate");
        goto fail;
    }
    BIO_free(bio);
    struct tls_ca *ca = xmalloc(sizeof *ca);
    ca->key = key;
    ca->cert = x;
    return ca;

fail:
    BIO_free(bio);
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return NULL;
}

void tls_ca_destroy(struct tls_ca *ca)
{
    if (ca == NULL)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca);
}

char *tls_ca_cert_pem(const struct tls_ca *ca)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = NULL;

    if (bio != NULL && PEM_write_bio_X509(bio, ca->cert) == 1)
        s = bio_string(bio);
    BIO_free(bio);
    return s;
}

char *tls_ca_key_pem(const struct tls_ca *ca)
{
    return private_key_pem(ca->key);
}

/*
 * A DNS name we put in a SAN: letters, digits, '-', '.', and '*' (wildcards).
 * Whether a wildcard is well placed is the verifier's business; this only keeps
 * junk out of the certificate.
 */
static int valid_dns_name(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > DNS_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*'))
            return 0;
    }
    return 1;
}

static int push_name(GENERAL_NAMES *gens, int type, ASN1_STRING *value)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (value == NULL || gn == NULL) {
        ASN1_STRING_free(value);
        GENERAL_NAME_free(gn);
        return 0;
    }
    GENERAL_NAME_set0_value(gn, type, value);
    if (sk_GENERAL_NAME_push(gens, gn) <= 0) {
        GENERAL_NAME_free(gn);
        return 0;
    }
    return 1;
}

/*
 * The SAN is built as structures rather than as a "DNS:a,DNS:b" string so that
 * no name can smuggle in configuration syntax.
 */
static int add_san(X509 *x, const char *const *dns_names, size_t ndns)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;

    for (size_t i = 0; ok && i < ndns; i++) {
        ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
        if (ia5 != NULL && ASN1_STRING_set(ia5, dns_names[i], -1) != 1) {
            ASN1_IA5STRING_free(ia5);
            ia5 = NULL;
        }
        ok = push_name(gens, GEN_DNS, ia5);
    }
    if (ok)
        ok = push_name(gens, GEN_IPADD, a2i_IPADDRESS("127.0.0.1"));
    if (ok)
        ok = push_name(gens, GEN_IPADD, a2i_IPADDRESS("::1"));
    if (ok)
        ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}

static X509 *issue_leaf(const struct tls_ca *ca, EVP_PKEY *key, const char *const *dns_names,
                        size_t ndns)
{
    X509 *x = cert_start(key, dns_names[0], LEAF_DAYS);
    if (x == NULL)
        return NULL;
    if (X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
        !add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") || !add_san(x, dns_names, ndns) ||
        !add_ext(x, ca->cert, NID_subject_key_identifier, "hash") ||
        !add_ext(x, ca->cert, NID_authority_key_identifier, "keyid") ||
        X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int tls_ca_issue_server(const struct tls_ca *ca, const char *const *dns_names, size_t ndns,
                        char **chain_pem, char **key_pem, char **cause)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    BIO *bio = NULL;
    int rc = -1;

    *chain_pem = NULL;
    *key_pem = NULL;
    if (dns_names == NULL || ndns == 0) {
        xcause(cause, "server certificate needs at least one DNS name");
        return -1;
    }
    for (size_t i = 0; i < ndns; i++) {
        if (!valid_dns_name(dns_names[i])) {
            xcause(cause, "invalid DNS name #%zu for a server certificate", i);
            return -1;
        }
    }
    if ((key = EVP_EC_gen("P-256")) == NULL) {
        osslx_cause(cause, "cannot generate server key");
        goto out;
    }
    if ((x = issue_leaf(ca, key, dns_names, ndns)) == NULL) {
        osslx_cause(cause, "cannot build server certificate");
        goto out;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_X509(bio, x) != 1 || PEM_write_bio_X509(bio, ca->cert) != 1 ||
        (*key_pem = private_key_pem(key)) == NULL) {
        osslx_cause(cause, "cannot write server certificate");
        goto out;
    }
    *chain_pem = bio_string(bio);
    rc = 0;

out:
    BIO_free(bio);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}
