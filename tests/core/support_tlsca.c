#include "support_tlsca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static char *bio_string(BIO *bio)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *s = malloc((size_t)len + 1);
    if (s) {
        memcpy(s, data, (size_t)len);
        s[len] = '\0';
    }
    return s;
}

static char *cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = bio && PEM_write_bio_X509(bio, x) == 1 ? bio_string(bio) : NULL;
    BIO_free(bio);
    return s;
}

static char *key_pem(EVP_PKEY *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = bio && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) == 1
                  ? bio_string(bio)
                  : NULL;
    BIO_free(bio);
    return s;
}

static int add_ext(X509 *issuer, X509 *subject, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(subject, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : -1;
}

/*
 * A certificate for key named cn: a self-signed CA when issuer is NULL, else a
 * server certificate for the names in san signed by (issuer, issuer_key).
 */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer,
                       EVP_PKEY *issuer_key, long serial)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509 *signer = issuer ? issuer : x;
    int bad = add_ext(signer, x, NID_subject_key_identifier, "hash");
    if (issuer == NULL) {
        bad |= add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        bad |= add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        bad |= add_ext(signer, x, NID_authority_key_identifier, "keyid:always");
        bad |= add_ext(signer, x, NID_basic_constraints, "critical,CA:FALSE");
        bad |= add_ext(signer, x, NID_key_usage, "critical,digitalSignature");
        bad |= add_ext(signer, x, NID_ext_key_usage, "serverAuth");
        bad |= add_ext(signer, x, NID_subject_alt_name, san);
    }
    if (bad || X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int support_tlsca_make(struct support_tlsca *t, const char *dns_name)
{
    memset(t, 0, sizeof *t);
    int rc = -1;
    char san[300];
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *leaf = NULL;
    if (ca_key == NULL || key == NULL)
        goto out;
    ca = make_cert(ca_key, "tdectl test CA", NULL, NULL, NULL, 1);
    if (ca == NULL)
        goto out;
    snprintf(san, sizeof san, "DNS:%s,IP:127.0.0.1", dns_name);
    leaf = make_cert(key, dns_name, san, ca, ca_key, 2);
    if (leaf == NULL)
        goto out;
    t->ca_pem = cert_pem(ca);
    t->cert_pem = cert_pem(leaf);
    t->key_pem = key_pem(key);
    rc = t->ca_pem && t->cert_pem && t->key_pem ? 0 : -1;
out:
    X509_free(ca);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    if (rc != 0)
        support_tlsca_cleanup(t);
    return rc;
}

void support_tlsca_cleanup(struct support_tlsca *t)
{
    free(t->ca_pem);
    free(t->cert_pem);
    free(t->key_pem);
    memset(t, 0, sizeof *t);
}

char *support_tlsca_write(const char *pem)
{
    char tmpl[] = "/tmp/tdectl-test-ca-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    size_t len = strlen(pem);
    ssize_t n = write(fd, pem, len);
    close(fd);
    if (n < 0 || (size_t)n != len) {
        unlink(tmpl);
        return NULL;
    }
    return strdup(tmpl);
}
