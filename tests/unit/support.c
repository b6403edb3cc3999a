#include "support.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

char *support_rsa_pem(void)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *pem = NULL;
    if (pkey && bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1) {
        long len = BIO_get_mem_data(bio, &data);
        pem = malloc((size_t)len + 1);
        if (pem) {
            memcpy(pem, data, (size_t)len);
            pem[len] = '\0';
        }
    }
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return pem;
}

int64_t support_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
