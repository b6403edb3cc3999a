/*
 * blob — sealing of key backup blobs.
 *
 * A Key Vault backup is an opaque blob that only vaults in the same geography
 * (the same HSM "security world") can open. azsim seals the plaintext with
 * AES-256-GCM under a key derived by HKDF-SHA256 from its master secret and
 * the geography's name, so a blob from one geography fails to open in another
 * exactly because the keys differ, and any change to a blob is detected.
 *
 * Format (then base64url): "AZSIMKB1" | nonce (12) | ciphertext | tag (16),
 * the magic authenticated as additional data.
 */
#ifndef AZSIM_BLOB_H
#define AZSIM_BLOB_H

#include <stddef.h>

#define BLOB_MASTER_LEN 32

/* Seals plain[0..len) for geography; returns base64url text (heap). */
char *blob_seal(const unsigned char master[BLOB_MASTER_LEN], const char *geography,
                const unsigned char *plain, size_t len);

/*
 * Opens a sealed blob. Returns 0 with *plain (heap, NUL-terminated, secret; the caller
 * releases it with secret_free from secret.h) or -1 when the text is not a blob or was
 * sealed for another geography or altered.
 */
int blob_open(const unsigned char master[BLOB_MASTER_LEN], const char *geography, const char *text,
              unsigned char **plain, size_t *len);

#endif
