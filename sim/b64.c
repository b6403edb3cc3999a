#include "b64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *encode(const unsigned char *data, size_t len, const char *alphabet, int pad)
{
    size_t full = len / 3, rest = len % 3;
    size_t outlen = full * 4 + (rest ? (pad ? 4 : rest + 1) : 0);
    char *out = xmalloc(outlen + 1);
    char *o = out;

    for (size_t i = 0; i < full * 3; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (rest) {
        uint32_t v = (uint32_t)data[full * 3] << 16;
        if (rest == 2)
            v |= (uint32_t)data[full * 3 + 1] << 8;
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        if (rest == 2)
            *o++ = alphabet[(v >> 6) & 63];
        else if (pad)
            *o++ = '=';
        if (pad)
            *o++ = '=';
    }
    *o = '\0';
    return out;
}

char *b64_url_encode(const unsigned char *data, size_t len)
{
    return encode(data, len, url_alphabet, 0);
}

char *b64_std_encode(const unsigned char *data, size_t len)
{
    return encode(data, len, std_alphabet, 1);
}

/* Value of one base64 digit in either alphabet, -1 for anything else. */
static int digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int b64_decode(const char *text, size_t text_len, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;

    /* Strip up to two '=' of padding; a padded text must be a multiple of 4. */
    size_t n = text_len;
    size_t pads = 0;
    while (n > 0 && text[n - 1] == '=' && pads < 2) {
        n--;
        pads++;
    }
    if (pads > 0 && text_len % 4 != 0)
        return -1;
    if (n % 4 == 1)
        return -1;

    unsigned char *buf = xmalloc(n / 4 * 3 + 3);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digit((unsigned char)text[i]);
        if (d < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Leftover bits must be zero, or the text was not produced by an encoder. */
    if (acc != 0) {
        free(buf);
        return -1;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
}
