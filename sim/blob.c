#include "blob.h"
#include "secret.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "b64.h"
#include "xmem.h"

#define MAGIC     "AZSIMKB1"
#define MAGIC_LEN 8
#define NONCE_LEN 12
#define TAG_LEN   16

static int derive(const unsigned char master[BLOB_MASTER_LEN], const char *geography,
                  unsigned char out[32])
{
    char info[160];
    size_t n = 0;
    for (const char *p = geography; *p && n < sizeof info - 1; p++)
        info[n++] = (char)tolower((unsigned char)*p);
    info[n] = '\0';

    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t) "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)master,
                                          BLOB_MASTER_LEN),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                          (void *)(uintptr_t) "azsim key backup v1", 19),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
        OSSL_PARAM_construct_end(),
    };
    int rc = kctx && EVP_KDF_derive(kctx, out, 32, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

char *blob_seal(const unsigned char master[BLOB_MASTER_LEN], const char *geography,
                const unsigned char *plain, size_t len)
{
    unsigned char key[32];
    size_t total = MAGIC_LEN + NONCE_LEN + len + TAG_LEN;
    unsigned char *buf = xmalloc(total);
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): binary, no NUL wanted */
    memcpy(buf, MAGIC, MAGIC_LEN);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0;
    if (derive(master, geography, key) < 0 || RAND_bytes(buf + MAGIC_LEN, NONCE_LEN) != 1 ||
        c == NULL || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf + MAGIC_LEN) != 1 ||
        EVP_EncryptUpdate(c, NULL, &outl, buf, MAGIC_LEN) != 1 ||
        EVP_EncryptUpdate(c, buf + MAGIC_LEN + NONCE_LEN, &outl, plain, (int)len) != 1 ||
        EVP_EncryptFinal_ex(c, buf + MAGIC_LEN + NONCE_LEN + outl, &finl) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + total - TAG_LEN) != 1)
        abort(); /* AES-GCM in OpenSSL does not fail on valid inputs */
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof key);
    char *text = b64_url_encode(buf, total);
    free(buf);
    return text;
}

int blob_open(const unsigned char master[BLOB_MASTER_LEN], const char *geography, const char *text,
              unsigned char **plain, size_t *len)
{
    unsigned char *buf = NULL, key[32];
    size_t blen = 0;
    int rc = -1;
    *plain = NULL;
    *len = 0;
    if (b64_decode(text, strlen(text), &buf, &blen) < 0)
        return -1;
    if (blen < MAGIC_LEN + NONCE_LEN + TAG_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0 ||
        derive(master, geography, key) < 0)
        goto out;

    size_t clen = blen - MAGIC_LEN - NONCE_LEN - TAG_LEN;
    unsigned char *out = xmalloc(clen + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0;
    if (c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf + MAGIC_LEN) == 1 &&
        EVP_DecryptUpdate(c, NULL, &outl, buf, MAGIC_LEN) == 1 &&
        EVP_DecryptUpdate(c, out, &outl, buf + MAGIC_LEN + NONCE_LEN, (int)clen) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + blen - TAG_LEN) == 1 &&
        EVP_DecryptFinal_ex(c, out + outl, &finl) == 1) {
        out[clen] = '\0';
        *plain = out;
        *len = clen;
        rc = 0;
    } else {
        OPENSSL_cleanse(out, clen);
        free(out);
    }
    EVP_CIPHER_CTX_free(c);
out:
    OPENSSL_cleanse(key, sizeof key);
    free(buf);
    return rc;
}
