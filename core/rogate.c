#include "rogate.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/*
 * The gate judges the path the service will route on, so it parses the URL
 * strictly and refuses whatever it cannot read the same way libcurl and the
 * service would: non-ASCII or blank bytes, backslashes, user info, dot
 * segments (libcurl squashes them before sending), and percent escapes that
 * decode to a separator or another escape.
 */

#define ROGATE_MAX_PATH 4096
#define ROGATE_MAX_SEGS 64

struct path {
    char buf[ROGATE_MAX_PATH];
    const char *seg[ROGATE_MAX_SEGS];
    size_t n;
};

static const char unparsable[] = "the URL cannot be parsed safely";

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one segment [s, end) into *out; false when it hides a separator or is a dot segment. */
static bool decode_segment(const char *s, const char *end, char **out, const char *limit)
{
    char *start = *out, *o = *out;
    if (o >= limit)
        return false;
    while (s < end) {
        unsigned char c = (unsigned char)*s++;
        if (c == '%') {
            if (end - s < 2 || hexval(s[0]) < 0 || hexval(s[1]) < 0)
                return false;
            c = (unsigned char)(hexval(s[0]) * 16 + hexval(s[1]));
            s += 2;
            if (c == '/' || c == '\\' || c == '%' || c < 0x20 || c == 0x7f)
                return false;
        }
        if (o + 1 >= limit)
            return false;
        *o++ = (char)c;
    }
    *o++ = '\0';
    if (strcmp(start, ".") == 0 || strcmp(start, "..") == 0)
        return false;
    *out = o;
    return true;
}

/* Splits url's path into decoded segments; false when the URL is not plainly readable. */
static bool path_parse(const char *url, struct path *p)
{
    for (const char *c = url; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == '\\')
            return false;
    }
    const char *s;
    if (strncasecmp(url, "https://", 8) == 0)
        s = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        s = url + 7;
    else
        return false;
    size_t alen = strcspn(s, "/?#");
    if (alen == 0 || memchr(s, '@', alen) != NULL)
        return false;
    s += alen;
    size_t plen = *s == '/' ? strcspn(s, "?#") : 0;
    p->n = 0;
    char *o = p->buf;
    if (plen == 0)
        return true; /* no path: "/" */
    const char *end = s + plen;
    s++; /* the leading slash */
    while (p->n < ROGATE_MAX_SEGS) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        const char *segend = slash ? slash : end;
        p->seg[p->n++] = o;
        if (!decode_segment(s, segend, &o, p->buf + sizeof p->buf))
            return false;
        if (slash == NULL)
            return true;
        s = slash + 1;
    }
    return false;
}

static bool only(const char *s, const char *extra)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        bool alnum =
            (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
        if (!alnum && strchr(extra, *s) == NULL)
            return false;
    }
    return true;
}

/* POST /keys/{name}/{version}/{wrapkey|unwrapkey|encrypt|decrypt|sign|verify} */
static bool keyvault_crypto(const struct path *p)
{
    static const char *const actions[] = {"wrapkey", "unwrapkey", "encrypt",
                                          "decrypt", "sign",      "verify"};
    if (p->n != 4 || strcasecmp(p->seg[0], "keys") != 0 || !only(p->seg[1], "-") ||
        !only(p->seg[2], ""))
        return false;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcasecmp(p->seg[3], actions[i]) == 0)
            return true;
    }
    return false;
}

/* POST /{tenant}/oauth2/v2.0/token or /{tenant}/oauth2/token */
static bool token_request(const struct path *p)
{
    if (p->n < 3 || !only(p->seg[0], ".-_") || strcasecmp(p->seg[1], "oauth2") != 0)
        return false;
    if (p->n == 3)
        return strcasecmp(p->seg[2], "token") == 0;
    return p->n == 4 && strcasecmp(p->seg[2], "v2.0") == 0 && strcasecmp(p->seg[3], "token") == 0;
}

/* POST /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Sql/managedInstances/{mi}/
 * validateAzureKeyVaultEncryptionKey */
static bool arm_validate(const struct path *p)
{
    static const char *const shape[] = {"subscriptions",
                                        NULL,
                                        "resourceGroups",
                                        NULL,
                                        "providers",
                                        "Microsoft.Sql",
                                        "managedInstances",
                                        NULL,
                                        "validateAzureKeyVaultEncryptionKey"};
    if (p->n != sizeof shape / sizeof shape[0])
        return false;
    for (size_t i = 0; i < p->n; i++) {
        if (shape[i] ? strcasecmp(p->seg[i], shape[i]) != 0 : p->seg[i][0] == '\0')
            return false;
    }
    return true;
}

const char *rogate_check(const char *method, const char *url)
{
    struct path p;

    if (method == NULL || url == NULL)
        return "no method or URL";
    if (!path_parse(url, &p))
        return unparsable;
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0)
        return NULL;
    if (strcmp(method, "PUT") == 0)
        return "PUT changes Azure";
    if (strcmp(method, "PATCH") == 0)
        return "PATCH changes Azure";
    if (strcmp(method, "DELETE") == 0)
        return "DELETE changes Azure";
    if (strcmp(method, "POST") != 0)
        return "unknown method";
    if (keyvault_crypto(&p) || token_request(&p) || arm_validate(&p))
        return NULL;
    return "this POST may change Azure (not a read-only operation)";
}
