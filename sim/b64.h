/*
 * b64 — base64 codecs for Key Vault's wire format.
 *
 * Key Vault writes binary values (JWK members, wrapped keys, backup blobs) as
 * base64url without padding, but clients and even Microsoft's own examples
 * send standard base64 with padding; azure-protocol.md 3.2 says to accept
 * both. So: encoders produce one exact form, the decoder accepts either
 * alphabet with or without '=' padding and refuses anything else (whitespace,
 * mixed garbage, impossible lengths).
 *
 * Ownership: returned strings/buffers are heap memory, freed with free().
 */
#ifndef AZSIM_B64_H
#define AZSIM_B64_H

#include <stddef.h>

/* base64url, no padding, NUL-terminated. */
char *b64_url_encode(const unsigned char *data, size_t len);

/* Standard alphabet with '=' padding, NUL-terminated. */
char *b64_std_encode(const unsigned char *data, size_t len);

/*
 * Decodes text[0..text_len) in either alphabet, padded or not. On success sets
 * *out (heap, NUL-terminated for convenience, *out_len excludes the NUL) and
 * returns 0. Returns -1 on malformed input (and leaves *out NULL). An empty
 * input decodes to an empty buffer.
 */
int b64_decode(const char *text, size_t text_len, unsigned char **out, size_t *out_len);

#endif
