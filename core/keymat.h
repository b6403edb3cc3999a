/*
 * keymat — RSA private key material held by tdectl itself, for the rotation
 * wizard's offline origins: a key generated here with OpenSSL, or one the
 * operator brings as a PEM or PFX file; both go to Key Vault by import.
 *
 * Ownership: a struct keymat owns one RSA 2048 or 3072 private key
 * (EVP_PKEY, whose private BIGNUMs OpenSSL clears when it frees them) until
 * keymat_destroy. Every buffer this module makes that holds key bytes (file
 * contents, DER, JWK text) is OPENSSL_cleanse'd before it is freed; the JWK
 * text handed out is the caller's, freed only with keymat_secret_free.
 * Passphrases stay the caller's to cleanse.
 *
 * Process hygiene: while at least one struct keymat is alive, the process is
 * not dumpable (PR_SET_DUMPABLE 0, which also keeps other users' ptrace out)
 * and RLIMIT_CORE's soft limit is 0; both return to what they were when the
 * last one is destroyed. A plain counter does this: single-threaded use only
 * (tdectl's one loop thread), like the rest of core.
 *
 * Escrow KDF: scrypt, N = 2^14, r = 8, p = 5, 16-byte salt, AES-256-CBC
 * (PBES2). N = 2^15 with r = 8 needs 32 MiB + 1 KiB, just over OpenSSL's fixed
 * 32 MiB scrypt limit: OpenSSL refuses to write it and, worse, neither tdectl
 * nor `openssl pkcs8` could read such a file back. N = 2^14, r = 8, p = 5 is
 * one of OWASP's equivalents of N = 2^17, r = 8, p = 1 (the same CPU cost,
 * 16 MiB memory), and any OpenSSL 1.1+ decrypts it without options.
 *
 * Errors: -1 and *cause (when cause is not NULL) naming the file (or `what`)
 * and the reason; a cause never holds key bytes or a passphrase.
 */
#ifndef TDECTL_KEYMAT_H
#define TDECTL_KEYMAT_H

#include <stddef.h>

#include "model.h"

/* Larger key files are refused before they are read. */
#define KEYMAT_FILE_MAX (1 << 20)
/* Shortest escrow passphrase accepted, in characters (UTF-8 code points). */
#define KEYMAT_PASSPHRASE_MIN 12

struct keymat; /* opaque: one RSA private key held by tdectl */

/* A new RSA key of bits (2048 or 3072), e = 65537. */
int keymat_generate(int bits, struct keymat **out, char **cause);
/*
 * Reads a private key: PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY",
 * encrypted "ENCRYPTED PRIVATE KEY", legacy encrypted PKCS#1; the first key
 * block of the file, certificates around it are skipped) or PFX/PKCS#12
 * (DER), told apart by content. passphrase may be NULL (unencrypted input).
 * Refused: files over KEYMAT_FILE_MAX, empty or not regular files, non-RSA
 * keys, sizes other than 2048 and 3072 (TDE's), multi-prime keys (a JWK for
 * Key Vault has no "oth"), inconsistent material, files with only a public
 * key or only certificates, a missing or wrong passphrase.
 */
int keymat_load_file(const char *path, const char *passphrase, struct keymat **out, char **cause);
/* The same from memory; what names the source in causes (NULL: "key data"). */
int keymat_load_mem(const unsigned char *data, size_t len, const char *passphrase, const char *what,
                    struct keymat **out, char **cause);
/* Frees the key (cleared by OpenSSL); NULL is fine. */
void keymat_destroy(struct keymat *k);

int keymat_bits(const struct keymat *k);
/* model_fingerprint of the key's n and e (big-endian, as Key Vault's JWK carries them). */
void keymat_fingerprint(const struct keymat *k, char out[MODEL_FINGERPRINT_LEN]);

/*
 * The private JWK for Key Vault's import, as JSON text:
 * {"kty":"RSA","n","e","d","p","q","dp","dq","qi"}, base64url without padding
 * and without leading zero octets (what kv_import_key sends and azsim reads).
 * Secret: free it only with keymat_secret_free.
 */
int keymat_jwk(const struct keymat *k, char **jwk, char **cause);
/* Cleanses and frees a NUL-terminated secret this module returned; NULL is fine. */
void keymat_secret_free(char *s);

/*
 * Escrow copy: the key as an encrypted PKCS#8 PEM ("ENCRYPTED PRIVATE KEY",
 * scrypt and AES-256-CBC as above) at path, mode 0600. The PEM is decrypted
 * again in memory and compared before anything is written (an escrow that
 * cannot be read back is never published); then it goes to a temporary file
 * in the same folder (O_EXCL, 0600), fsync'd, hard-linked to path (never
 * replacing an existing file: that is an error), and the folder fsync'd. A
 * process killed midway leaves no file at path, at worst a stray
 * ".tdectl-escrow-XXXXXX" beside it (encrypted, 0600).
 * passphrase: at least KEYMAT_PASSPHRASE_MIN characters. sha256_hex: the
 * SHA-256 of the file's bytes, lower-case hex.
 */
int keymat_write_escrow(const struct keymat *k, const char *path, const char *passphrase,
                        char sha256_hex[65], char **cause);
/* SHA-256 of a regular file's bytes, lower-case hex (for the journal). */
int keymat_file_sha256(const char *path, char sha256_hex[65], char **cause);

#endif
