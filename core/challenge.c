#include "challenge.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "cloud.h"
#include "xmem.h"

/* Key Vault's challenges are a few hundred bytes; claims make them longer, never this long. */
#define HEADER_MAX 32768
#define TENANT_MAX 128

/* The parameters tdectl reads; the first spelling of each wins. */
struct params {
    char *authorization;
    char *authorization_uri;
    char *resource;
    char *scope;
    char *claims;
};

static void params_free(struct params *p)
{
    free(p->authorization);
    free(p->authorization_uri);
    free(p->resource);
    free(p->scope);
    free(p->claims);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 9110 tchar. */
static bool is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ws(const char *p)
{
    while (is_ws(*p))
        p++;
    return p;
}

/* A quoted-string after its opening quote: the unescaped value (heap) and *end past the quote. */
static char *quoted(const char *p, const char **end)
{
    size_t cap = 16, n = 0;
    char *v = xmalloc(cap);
    for (;; p++) {
        if (*p == '\0') {
            free(v);
            return NULL; /* unterminated */
        }
        if (*p == '"')
            break;
        if (*p == '\\' && p[1] != '\0')
            p++;
        if (n + 2 > cap)
            v = xrealloc(v, cap *= 2, 1);
        v[n++] = *p;
    }
    v[n] = '\0';
    *end = p + 1;
    return v;
}

static void keep(char **slot, char *value)
{
    if (*slot == NULL && *value != '\0')
        *slot = value;
    else
        free(value);
}

static void store(struct params *ps, const char *name, size_t len, char *value)
{
    static const struct {
        const char *name;
        size_t offset;
    } known[] = {
        {"authorization", offsetof(struct params, authorization)},
        {"authorization_uri", offsetof(struct params, authorization_uri)},
        {"resource", offsetof(struct params, resource)},
        {"scope", offsetof(struct params, scope)},
        {"claims", offsetof(struct params, claims)},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strlen(known[i].name) == len && strncasecmp(name, known[i].name, len) == 0) {
            keep((char **)((char *)ps + known[i].offset), value);
            return;
        }
    }
    free(value);
}

/*
 * The auth-params of one challenge, from p (just after the scheme) to the next
 * scheme or the end. Stored into ps when bearer. Returns where the next
 * challenge starts, or NULL with *cause.
 */
static const char *parse_params(const char *p, struct params *ps, bool bearer, char **cause)
{
    for (;;) {
        p = skip_ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            return p;
        const char *name = p;
        while (is_tchar(*p))
            p++;
        size_t len = (size_t)(p - name);
        if (len == 0) {
            xcause(cause, "unexpected character in the challenge");
            return NULL;
        }
        const char *after = skip_ws(p);
        if (*after != '=')
            return name; /* a token not followed by '=': the next challenge's scheme */
        p = skip_ws(after + 1);
        char *value;
        if (*p == '"') {
            value = quoted(p + 1, &p);
            if (value == NULL) {
                xcause(cause, "unterminated quoted value in the challenge");
                return NULL;
            }
        } else {
            const char *v = p;
            while (*p != '\0' && *p != ',' && !is_ws(*p) && *p != '"')
                p++;
            value = xstrndup(v, (size_t)(p - v));
        }
        if (bearer)
            store(ps, name, len, value);
        else
            free(value);
    }
}

/* Every challenge in the header; the first Bearer one's parameters. 1 found, 0 none, -1 bad. */
static int parse_challenges(const char *header, struct params *ps, char **cause)
{
    const char *p = header;
    bool found = false;
    for (;;) {
        p = skip_ws(p);
        while (*p == ',')
            p = skip_ws(p + 1);
        if (*p == '\0')
            return found ? 1 : 0;
        const char *scheme = p;
        while (is_tchar(*p))
            p++;
        size_t len = (size_t)(p - scheme);
        if (len == 0) {
            xcause(cause, "malformed challenge");
            return -1;
        }
        bool bearer = !found && len == 6 && strncasecmp(scheme, "Bearer", 6) == 0;
        p = parse_params(p, ps, bearer, cause);
        if (p == NULL)
            return -1;
        found = found || bearer;
    }
}

/* The first path segment of an https authority URI: the tenant (heap), or NULL. */
static char *authority_tenant(const char *uri, char **cause)
{
    char *host = NULL, *why = NULL;
    long port;
    if (cloud_https_origin(uri, &host, &port, &why) < 0) {
        xcause(cause, "authorization URI: %s", why);
        free(why);
        return NULL;
    }
    free(host);
    const char *rest = strstr(uri, "://");
    const char *path = rest ? strchr(rest + 3, '/') : NULL;
    size_t len = path ? strcspn(path + 1, "/?#") : 0;
    if (len == 0 || len > TENANT_MAX) {
        xcause(cause, "authorization URI names no tenant");
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        char c = path[1 + i];
        if (!isalnum((unsigned char)c) && c != '-' && c != '.' && c != '_') {
            xcause(cause, "authorization URI: the tenant has unexpected characters");
            return NULL;
        }
    }
    return xstrndup(path + 1, len);
}

static bool has_space_or_control(const char *s)
{
    for (; s && *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return true;
    }
    return false;
}

/* Checks the parameters and moves them into out. */
static int adopt(struct params *ps, struct challenge *out, char **cause)
{
    char *authority = ps->authorization ? ps->authorization : ps->authorization_uri;
    if (authority == NULL) {
        xcause(cause, "the challenge has no authorization URI");
        return -1;
    }
    char *tenant = authority_tenant(authority, cause);
    if (tenant == NULL)
        return -1;
    if (ps->scope == NULL && ps->resource == NULL) {
        free(tenant);
        xcause(cause, "the challenge names no resource or scope");
        return -1;
    }
    if (has_space_or_control(ps->scope) || has_space_or_control(ps->resource)) {
        free(tenant);
        xcause(cause, "the challenge's resource or scope is not one URL");
        return -1;
    }
    out->authorization = xstrdup(authority);
    out->tenant = tenant;
    if (ps->scope) {
        out->scope = xstrdup(ps->scope);
    } else {
        size_t n = strlen(ps->resource);
        while (n > 0 && ps->resource[n - 1] == '/')
            n--;
        out->scope = xasprintf("%.*s/.default", (int)n, ps->resource);
    }
    out->resource = xstrdup_or_null(ps->resource);
    out->claims = xstrdup_or_null(ps->claims);
    return 0;
}

int challenge_parse(const char *header, struct challenge *out, char **cause)
{
    memset(out, 0, sizeof *out);
    if (header == NULL || *header == '\0') {
        xcause(cause, "no WWW-Authenticate challenge");
        return -1;
    }
    if (strlen(header) > HEADER_MAX) {
        xcause(cause, "the challenge is longer than %d bytes", HEADER_MAX);
        return -1;
    }
    struct params ps = {0};
    int rc = parse_challenges(header, &ps, cause);
    if (rc == 0)
        xcause(cause, "not a Bearer challenge");
    if (rc == 1)
        rc = adopt(&ps, out, cause) == 0 ? 0 : -1;
    else
        rc = -1;
    params_free(&ps);
    return rc;
}

void challenge_cleanup(struct challenge *c)
{
    if (c == NULL)
        return;
    free(c->authorization);
    free(c->tenant);
    free(c->scope);
    free(c->resource);
    free(c->claims);
    memset(c, 0, sizeof *c);
}

/* An address, not a name: an IPv6 literal, dotted IPv4, or a numeric last label. */
static bool is_address(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (host[0] == '[' || inet_pton(AF_INET, host, buf) == 1)
        return true;
    const char *last = strrchr(host, '.');
    last = last ? last + 1 : host;
    return *last != '\0' && strspn(last, "0123456789") == strlen(last);
}

bool challenge_fits(const struct challenge *c, const char *request_url)
{
    if (c == NULL || c->scope == NULL || request_url == NULL)
        return false;
    char *shost = NULL, *rhost = NULL;
    long sport, rport;
    bool fits = false;
    if (cloud_https_origin(c->scope, &shost, &sport, NULL) < 0 ||
        cloud_https_origin(request_url, &rhost, &rport, NULL) < 0)
        goto out;
    /* A single-label resource ("https://com") would fit half the internet. */
    if (is_address(shost) || is_address(rhost) || strchr(shost, '.') == NULL)
        goto out;
    size_t sl = strlen(shost), rl = strlen(rhost);
    fits = rl > sl + 1 && rhost[rl - sl - 1] == '.' && strcmp(rhost + rl - sl, shost) == 0 &&
           rport == sport;
out:
    free(shost);
    free(rhost);
    return fits;
}
