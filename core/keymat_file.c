/*
 * keymat_file.c — keymat and the file system: reading key files, the escrow
 * copy (encrypted PKCS#8, published without ever replacing a file) and file
 * digests for the journal.
 */
#include "keymat.h"
#include "keymat_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "xmem.h"

/* scrypt for the escrow's PBES2 (why these: keymat.h). */
#define ESCROW_SCRYPT_N    16384
#define ESCROW_SCRYPT_R    8
#define ESCROW_SCRYPT_P    5
#define ESCROW_SALT_LEN    16
#define ESCROW_TEMP_SUFFIX "/.tdectl-escrow-XXXXXX"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* linux/fs.h */
#endif

/*
 * Opens path for reading: a regular file only (a FIFO or a device would
 * block or never end; O_NONBLOCK keeps the open itself from blocking).
 */
static int open_regular(const char *path, struct stat *st, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        xcause(cause, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        xcause(cause, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* The whole file, at most KEYMAT_FILE_MAX bytes (heap, secret: cleanse before free). */
static int read_small(const char *path, unsigned char **data, size_t *len, char **cause)
{
    struct stat st;
    int fd = open_regular(path, &st, cause);
    *data = NULL;
    *len = 0;
    if (fd < 0)
        return -1;
    if (st.st_size > KEYMAT_FILE_MAX) {
        xcause(cause, "%s: larger than 1 MiB, not a key file", path);
        close(fd);
        return -1;
    }
    /* One byte more than allowed: a file that grew since fstat is still caught. */
    size_t cap = KEYMAT_FILE_MAX + 1, n = 0;
    unsigned char *buf = xmalloc(cap);
    ssize_t got = 0;
    while (n < cap && ((got = read(fd, buf + n, cap - n)) > 0 || (got < 0 && errno == EINTR)))
        n += got > 0 ? (size_t)got : 0;
    int err = got < 0 ? errno : 0;
    close(fd);
    if (err != 0 || n == 0 || n > KEYMAT_FILE_MAX) {
        if (err != 0)
            xcause(cause, "%s: %s", path, strerror(err));
        else
            xcause(cause, n == 0 ? "%s: the file is empty" : "%s: larger than 1 MiB", path);
        OPENSSL_cleanse(buf, n);
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

int keymat_load_file(const char *path, const char *passphrase, struct keymat **out, char **cause)
{
    unsigned char *data;
    size_t len;
    *out = NULL;
    if (path == NULL || *path == '\0') {
        xcause(cause, "no key file given");
        return -1;
    }
    if (read_small(path, &data, &len, cause) < 0)
        return -1;
    int rc = keymat_load_mem(data, len, passphrase, path, out, cause);
    OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

static void hex(const unsigned char *md, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * len] = '\0';
}

static int sha256_mem(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof md)
        return -1;
    hex(md, sizeof md, out);
    return 0;
}

int keymat_file_sha256(const char *path, char sha256_hex[65], char **cause)
{
    sha256_hex[0] = '\0';
    if (path == NULL || *path == '\0') {
        xcause(cause, "no file given");
        return -1;
    }
    struct stat st;
    int fd = open_regular(path, &st, cause);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[16384], md[32];
    unsigned int mdlen = 0;
    ssize_t got = 0;
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    while (ok && ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR)))
        ok = got < 0 || EVP_DigestUpdate(ctx, buf, (size_t)got) == 1;
    int err = got < 0 ? errno : 0;
    ok = ok && err == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof md;
    OPENSSL_cleanse(buf, sizeof buf); /* it may have been a key file */
    EVP_MD_CTX_free(ctx);
    close(fd);
    if (!ok) {
        xcause(cause, "%s: %s", path, err ? strerror(err) : "cannot compute its SHA-256");
        return -1;
    }
    hex(md, sizeof md, sha256_hex);
    return 0;
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The encrypted PKCS#8 PEM of k (heap, *len bytes, NUL-terminated; not secret once encrypted). */
static char *escrow_pem(const struct keymat *k, const char *pass, size_t *len, char **cause)
{
    unsigned char salt[ESCROW_SALT_LEN];
    PKCS8_PRIV_KEY_INFO *p8inf = EVP_PKEY2PKCS8(keymat_pkey(k));
    X509_ALGOR *pbe = NULL;
    X509_SIG *p8 = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *pem = NULL;
    long n;
    if (p8inf && bio && RAND_bytes(salt, sizeof salt) == 1)
        pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt, sizeof salt, NULL, ESCROW_SCRYPT_N,
                                    ESCROW_SCRYPT_R, ESCROW_SCRYPT_P);
    if (pbe && (p8 = PKCS8_set0_pbe(pass, (int)strlen(pass), p8inf, pbe)) == NULL)
        X509_ALGOR_free(pbe); /* PKCS8_set0_pbe takes it only on success */
    if (p8 && PEM_write_bio_PKCS8(bio, p8) == 1 && (n = BIO_get_mem_data(bio, &data)) > 0) {
        pem = xstrndup(data, (size_t)n);
        *len = (size_t)n;
    } else {
        xcause(cause, "cannot encrypt the key (OpenSSL)");
    }
    X509_SIG_free(p8);
    PKCS8_PRIV_KEY_INFO_free(p8inf); /* clears the key octets */
    BIO_free(bio);
    ERR_clear_error();
    return pem;
}

/* Reads the escrow text back with the passphrase: it must give the same key. */
static int escrow_verify(const struct keymat *k, const char *pem, size_t len, const char *pass,
                         const char *path, char **cause)
{
    struct keymat *back = NULL;
    char *why = NULL;
    char want[MODEL_FINGERPRINT_LEN], got[MODEL_FINGERPRINT_LEN];
    int rc = keymat_load_mem((const unsigned char *)pem, len, pass, path, &back, &why);
    keymat_fingerprint(k, want);
    keymat_fingerprint(back, got);
    keymat_destroy(back);
    if (rc < 0 || strcmp(want, got) != 0) {
        xcause(cause, "%s: the escrow copy does not read back (%s); nothing was written", path,
               why ? why : "another key");
        rc = -1;
    }
    free(why);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The folder of path ("." when it has none) (heap). */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/*
 * Puts the finished temporary file at path without replacing anything:
 * link() fails with EEXIST when path exists. File systems without hard links
 * get renameat2(RENAME_NOREPLACE), which is just as exclusive.
 */
static int place(const char *tmp, const char *path, char **cause)
{
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    int err = errno;
    if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == ENOSYS) {
        if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
            return 0;
        err = errno;
    }
    if (err == EEXIST)
        xcause(cause, "%s already exists: tdectl never overwrites a key file", path);
    else
        xcause(cause, "%s: cannot put the escrow file in place: %s", path, strerror(err));
    return -1;
}

static int sync_folder(const char *folder, const char *path, char **cause)
{
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        xcause(cause, "%s: written, but its folder could not be synced (%s)", path, strerror(err));
    return rc;
}

/* Writes data to a new 0600 temporary file beside path, syncs it and moves it in place. */
static int publish(const char *path, const char *data, size_t len, char **cause)
{
    char *folder = folder_of(path);
    char *tmp = xasprintf("%s" ESCROW_TEMP_SUFFIX, folder);
    int rc = -1;
    int fd = mkstemp(tmp); /* O_EXCL, mode 0600 */
    if (fd < 0) {
        xcause(cause, "%s: cannot create a file in its folder: %s", path, strerror(errno));
        goto out;
    }
    bool ok = fchmod(fd, 0600) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        xcause(cause, "%s: cannot write the escrow file: %s", path, strerror(err));
        unlink(tmp);
        goto out;
    }
    if (place(tmp, path, cause) < 0) {
        unlink(tmp);
        goto out;
    }
    rc = sync_folder(folder, path, cause);
out:
    free(tmp);
    free(folder);
    return rc;
}

int keymat_write_escrow(const struct keymat *k, const char *path, const char *passphrase,
                        char sha256_hex[65], char **cause)
{
    sha256_hex[0] = '\0';
    if (k == NULL || path == NULL || *path == '\0') {
        xcause(cause, "escrow: no key or no path");
        return -1;
    }
    if (passphrase == NULL || utf8_chars(passphrase) < KEYMAT_PASSPHRASE_MIN) {
        xcause(cause, "%s: the escrow passphrase needs at least %d characters", path,
               KEYMAT_PASSPHRASE_MIN);
        return -1;
    }
    /* Early and cheap; place() is what guarantees it. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        xcause(cause, "%s already exists: tdectl never overwrites a key file", path);
        return -1;
    }
    size_t len = 0;
    char *pem = escrow_pem(k, passphrase, &len, cause);
    if (pem == NULL)
        return -1;
    int rc = escrow_verify(k, pem, len, passphrase, path, cause);
    if (rc == 0 && sha256_mem(pem, len, sha256_hex) < 0) {
        xcause(cause, "%s: cannot compute the escrow's SHA-256", path);
        rc = -1;
    }
    if (rc == 0)
        rc = publish(path, pem, len, cause);
    if (rc < 0)
        sha256_hex[0] = '\0';
    free(pem);
    return rc;
}
