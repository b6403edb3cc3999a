#include "support_cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "support_tmpdir.h"
#include "xmem.h"

static char *bio_text(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? xstrndup(data, (size_t)n) : NULL;
}

static X509 *self_signed(EVP_PKEY *key, const char *common_name)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    if (name == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(x), 4242) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400) == NULL ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name,
                                   -1, -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
        X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int support_cert_pair(const char *common_name, char **key_pem, char **cert_pem)
{
    *key_pem = *cert_pem = NULL;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    X509 *x = key ? self_signed(key, common_name) : NULL;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    int rc = -1;
    if (x && kb && cb && PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1 &&
        PEM_write_bio_X509(cb, x) == 1) {
        *key_pem = bio_text(kb);
        *cert_pem = bio_text(cb);
        rc = *key_pem && *cert_pem ? 0 : -1;
    }
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

char *support_cert_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = xasprintf("%s/%s", dir, name);
    if (support_tmpdir_write(path, text, strlen(text), mode) < 0) {
        free(path);
        return NULL;
    }
    return path;
}
