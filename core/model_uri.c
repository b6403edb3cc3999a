/* model_uri — key and vault URIs and public-key fingerprints (declared in model.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "model.h"
#include "xmem.h"

/* -- URIs ------------------------------------------------------------------------------------- */

char *model_uri_normalise(const char *uri)
{
    if (uri == NULL || strncasecmp(uri, "https://", 8) != 0)
        return NULL;
    const char *host = uri + 8, *path = host + strcspn(host, "/?#");
    size_t hostlen = (size_t)(path - host);
    if (hostlen == 0 || hostlen > 255)
        return NULL;
    if (hostlen > 4 && strncmp(path - 4, ":443", 4) == 0)
        hostlen -= 4;
    size_t pathlen = strcspn(path, "?#");
    while (pathlen > 0 && path[pathlen - 1] == '/')
        pathlen--;
    char *out = xmalloc(8 + hostlen + pathlen + 1);
    memcpy(out, "https://", 8);
    for (size_t i = 0; i < hostlen; i++)
        out[8 + i] = (char)tolower((unsigned char)host[i]);
    memcpy(out + 8 + hostlen, path, pathlen);
    out[8 + hostlen + pathlen] = '\0';
    return out;
}

/*
 * Vault names, key names and versions are ASCII letters, digits and '-' in Key
 * Vault: anything else (a hostile answer's control characters, invalid UTF-8,
 * spaces) makes the URI not a key URI rather than the name of another key.
 */
static bool copy_segment(const char *from, size_t len, char *out, size_t size, bool lower)
{
    if (len >= size)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)from[i];
        if (c >= 0x80 || !(isalnum(c) || c == '-'))
            return false;
        out[i] = lower ? (char)tolower(c) : (char)c;
    }
    out[len] = '\0';
    return true;
}

int model_uri_parse(const char *uri, char vault[128], char key[128], char version[64])
{
    char *norm = model_uri_normalise(uri);
    vault[0] = key[0] = version[0] = '\0';
    if (norm == NULL)
        return -1;
    const char *host = norm + 8, *dot = strchr(host, '.');
    const char *path = host + strcspn(host, "/");
    int rc = -1;
    if (dot == NULL || dot > path || !copy_segment(host, (size_t)(dot - host), vault, 128, true))
        goto out;
    if (*path == '\0') {
        rc = 0; /* a vault URI */
        goto out;
    }
    if (strncasecmp(path, "/keys/", 6) != 0)
        goto out;
    const char *name = path + 6, *slash = strchr(name, '/');
    size_t nlen = slash ? (size_t)(slash - name) : strlen(name);
    if (nlen == 0 || !copy_segment(name, nlen, key, 128, false))
        goto out;
    if (slash) {
        const char *ver = slash + 1;
        if (strchr(ver, '/') || !copy_segment(ver, strlen(ver), version, 64, false))
            goto out;
    }
    rc = 0;
out:
    free(norm);
    if (rc < 0)
        vault[0] = key[0] = version[0] = '\0';
    return rc;
}

void model_fingerprint(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
                       char out[MODEL_FINGERPRINT_LEN])
{
    while (nlen > 0 && *n == 0) {
        n++;
        nlen--;
    }
    while (elen > 0 && *e == 0) {
        e++;
        elen--;
    }
    unsigned char md[32], nl[4], el[4];
    for (int i = 0; i < 4; i++) {
        nl[i] = (unsigned char)(nlen >> (24 - 8 * i));
        el[i] = (unsigned char)(elen >> (24 - 8 * i));
    }
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, nl, 4) != 1 || EVP_DigestUpdate(ctx, n, nlen) != 1 ||
        EVP_DigestUpdate(ctx, el, 4) != 1 || EVP_DigestUpdate(ctx, e, elen) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        EVP_MD_CTX_free(ctx);
        out[0] = '\0';
        return;
    }
    EVP_MD_CTX_free(ctx);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}
