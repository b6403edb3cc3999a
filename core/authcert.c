#include "authcert.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "authprov.h"
#include "json.h"
#include "xmem.h"

#define PEM_MAX (1 << 20)
/* Entra ID accepts assertions up to 10 minutes long; MSAL uses the same. */
#define ASSERTION_LIFETIME 600

struct authcert {
    EVP_PKEY *key;
    X509 *cert;
    char x5t[32]; /* base64url of 20 bytes: 27 characters */
};

/* Encrypted keys are refused rather than prompting: the console has no one to ask. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static bool contains(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(text + i, word, n) == 0)
            return true;
    }
    return false;
}

static EVP_PKEY *read_key(const char *pem, size_t len, char **cause)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (key == NULL) {
        bool encrypted = contains(pem, len, "ENCRYPTED");
        xcause(cause, encrypted ? "the private key is encrypted (tdectl needs it unencrypted)"
                                : "no private key in the file");
        return NULL;
    }
    if (!EVP_PKEY_is_a(key, "RSA")) {
        xcause(cause, "the private key is not an RSA key (client assertions are RS256)");
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

/* The first certificate of the file that belongs to key. */
static X509 *read_cert(const char *pem, size_t len, EVP_PKEY *key, char **cause)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *found = NULL, *x;
    int seen = 0;
    while (bio && found == NULL && (x = PEM_read_bio_X509(bio, NULL, no_password, NULL))) {
        seen++;
        if (X509_check_private_key(x, key) == 1)
            found = x;
        else
            X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (found == NULL)
        xcause(cause, seen ? "no certificate in the file matches its private key"
                           : "no certificate in the file");
    return found;
}

static int thumbprint(struct authcert *c, char **cause)
{
    unsigned char *der = NULL, sha1[20];
    int n = i2d_X509(c->cert, &der);
    unsigned int mdlen = 0;
    int ok = n > 0 && EVP_Digest(der, (size_t)n, sha1, &mdlen, EVP_sha1(), NULL) == 1;
    OPENSSL_free(der);
    if (!ok || mdlen != sizeof sha1) {
        xcause(cause, "cannot compute the certificate's thumbprint");
        return -1;
    }
    char *t = json_b64url_encode(sha1, sizeof sha1);
    snprintf(c->x5t, sizeof c->x5t, "%s", t);
    free(t);
    return 0;
}

struct authcert *authcert_from_pem(const char *pem, size_t len, char **cause)
{
    if (pem == NULL || len == 0 || len > PEM_MAX) {
        xcause(cause, len > PEM_MAX ? "the certificate file is larger than 1 MiB"
                                    : "the certificate file is empty");
        return NULL;
    }
    struct authcert *c = xcalloc(1, sizeof *c);
    if ((c->key = read_key(pem, len, cause)) == NULL ||
        (c->cert = read_cert(pem, len, c->key, cause)) == NULL || thumbprint(c, cause) < 0) {
        authcert_destroy(c);
        return NULL;
    }
    return c;
}

/* The whole file (heap, NUL-terminated), or NULL with *cause. */
static char *read_file(const char *path, size_t *len, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        xcause(cause, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > PEM_MAX) {
        xcause(cause, "%s is %s", path, S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a file");
        close(fd);
        return NULL;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    ssize_t r = 0;
    while (got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)r;
    int err = r < 0 ? errno : 0;
    close(fd);
    buf[got] = '\0';
    if (err) {
        xcause(cause, "cannot read %s: %s", path, strerror(err));
        OPENSSL_cleanse(buf, got);
        free(buf);
        return NULL;
    }
    *len = got;
    return buf;
}

struct authcert *authcert_load(const char *path, char **cause)
{
    if (path == NULL || *path == '\0') {
        xcause(cause, "no certificate path");
        return NULL;
    }
    size_t len = 0;
    char *pem = read_file(path, &len, cause);
    if (pem == NULL)
        return NULL;
    char *why = NULL;
    struct authcert *c = authcert_from_pem(pem, len, &why);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (c == NULL) {
        xcause(cause, "%s: %s", path, why);
        free(why);
    }
    return c;
}

void authcert_destroy(struct authcert *c)
{
    if (c == NULL)
        return;
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    free(c);
}

const char *authcert_x5t(const struct authcert *c)
{
    return c->x5t;
}

/* base64url of a JSON object's compact text (heap). */
static char *b64url_json(cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    char *out = text ? json_b64url_encode((const unsigned char *)text, strlen(text)) : NULL;
    cJSON_free(text);
    return out;
}

static void random_uuid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        abort(); /* no randomness: nothing safe to do */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* header.claims, the part the signature covers (heap). */
static char *signing_input(const struct authcert *c, const char *client_id, const char *audience,
                           int64_t now)
{
    char jti[37];
    random_uuid(jti);
    cJSON *h = cJSON_CreateObject(), *cl = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "alg", "RS256");
    cJSON_AddStringToObject(h, "typ", "JWT");
    cJSON_AddStringToObject(h, "x5t", c->x5t);
    cJSON_AddStringToObject(cl, "aud", audience);
    cJSON_AddStringToObject(cl, "iss", client_id);
    cJSON_AddStringToObject(cl, "sub", client_id);
    cJSON_AddStringToObject(cl, "jti", jti);
    cJSON_AddNumberToObject(cl, "nbf", (double)now);
    cJSON_AddNumberToObject(cl, "iat", (double)now);
    cJSON_AddNumberToObject(cl, "exp", (double)(now + ASSERTION_LIFETIME));
    char *hb = b64url_json(h), *cb = b64url_json(cl);
    cJSON_Delete(h);
    cJSON_Delete(cl);
    char *input = hb && cb ? xasprintf("%s.%s", hb, cb) : NULL;
    free(hb);
    free(cb);
    return input;
}

char *authcert_assertion(const struct authcert *c, const char *client_id, const char *audience,
                         int64_t now, char **cause)
{
    if (c == NULL || client_id == NULL || *client_id == '\0' || audience == NULL) {
        xcause(cause, "a client assertion needs a certificate, a client id and an audience");
        return NULL;
    }
    char *input = signing_input(c, client_id, audience, now), *jwt = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t siglen = 0;
    if (input == NULL || md == NULL ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->key) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1)
        goto out;
    sig = xmalloc(siglen);
    if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1)
        goto out;
    char *s = json_b64url_encode(sig, siglen);
    jwt = xasprintf("%s.%s", input, s);
    authprov_free_secret(s); /* the signature makes the assertion a credential */
out:
    if (jwt == NULL)
        xcause(cause, "cannot sign the client assertion");
    ERR_clear_error();
    if (sig)
        OPENSSL_cleanse(sig, siglen);
    free(sig);
    free(input);
    EVP_MD_CTX_free(md);
    return jwt;
}
