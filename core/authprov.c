#include "authprov.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "json.h"
#include "xmem.h"

/* The longest piece of a service's error text a cause repeats. */
#define SERVICE_TEXT_MAX 300
/* A token said to live longer than this is not believed. */
#define LIFETIME_MAX (10 * 366 * 86400LL)

void authprov_free_secret(char *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void authprov_token_cleanup(struct authprov_token *t)
{
    if (t == NULL)
        return;
    authprov_free_secret(t->access_token);
    memset(t, 0, sizeof *t);
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *authprov_urlencode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = xmalloc(3 * n + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

void authprov_form_add(char **form, const char *name, const char *value)
{
    char *n = authprov_urlencode(name), *v = authprov_urlencode(value);
    char *old = *form;
    *form = xasprintf("%s%s%s=%s", old ? old : "", old ? "&" : "", n, v);
    authprov_free_secret(old);
    free(n);
    authprov_free_secret(v);
}

char *authprov_scope_resource(const char *scope)
{
    static const char suffix[] = "/.default";
    size_t n = strlen(scope), s = sizeof suffix - 1;
    if (n >= s && strcasecmp(scope + n - s, suffix) == 0)
        n -= s;
    return xstrndup(scope, n);
}

char *authprov_claims_json(const char *claims)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    size_t n = strlen(claims);
    if (n > 0 && json_b64_decode(claims, n, &raw, &len) == 0) {
        cJSON *j = cJSON_ParseWithLength((const char *)raw, len);
        bool object = cJSON_IsObject(j);
        cJSON_Delete(j);
        if (object)
            return (char *)raw; /* json_b64_decode leaves a NUL after the bytes */
    }
    free(raw);
    return xstrdup(claims);
}

void authprov_mask(char *text, const char *secret)
{
    if (text == NULL || secret == NULL || *secret == '\0')
        return;
    size_t n = strlen(secret);
    for (char *p = strstr(text, secret); p; p = strstr(p + n, secret))
        memset(p, '*', n);
}

/*
 * A service's words fit for a cause: one line, the secret masked (before the
 * cut, so no prefix of it survives at the end), printable, bounded (heap).
 */
static char *service_text(const char *s, const char *secret)
{
    char *t = xstrndup(s, strcspn(s, "\r\n"));
    authprov_mask(t, secret);
    if (strlen(t) > SERVICE_TEXT_MAX)
        t[SERVICE_TEXT_MAX] = '\0';
    for (char *p = t; *p; p++) {
        if (!isprint((unsigned char)*p))
            *p = '?';
    }
    return t;
}

/* Deletes a parsed answer after cleansing its token. */
static void tree_delete(cJSON *root)
{
    cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    if (cJSON_IsString(tok) && tok->valuestring)
        OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
    cJSON_Delete(root);
}

/* The token and its expiry from a 200 answer. */
static enum core_err take_token(const cJSON *root, int64_t now, bool mi, const char *secret,
                                struct authprov_token *out, char **cause)
{
    const char *token = json_str(root, "access_token");
    const char *type = json_str(root, "token_type");
    if (token == NULL || *token == '\0') {
        xcause(cause, "the token endpoint answered without an access_token");
        return CORE_ERR_PARSE;
    }
    if (type != NULL && strcasecmp(type, "Bearer") != 0) {
        /* Quoted as any service text: a hostile endpoint may echo the secret there. */
        char *t = service_text(type, secret);
        xcause(cause, "the token endpoint answered a token of type \"%.40s\", not Bearer", t);
        free(t);
        return CORE_ERR_PARSE;
    }
    int64_t in = 0, on = 0;
    bool has_in = json_int64_lenient(root, "expires_in", &in) == 0;
    bool has_on = mi && json_int64_lenient(root, "expires_on", &on) == 0;
    if (has_in && in > 0 && in <= LIFETIME_MAX) {
        out->expires_on = now + in;
    } else if (has_on && on > now - 86400 && on <= now + LIFETIME_MAX) {
        out->expires_on = on;
    } else {
        xcause(cause, "the token endpoint answered without a usable expires_in%s",
               mi ? " or expires_on" : "");
        return CORE_ERR_PARSE;
    }
    out->access_token = xstrdup(token);
    return CORE_OK;
}

static enum core_err status_kind(long status)
{
    if (status == 429)
        return CORE_ERR_THROTTLED;
    if (status == 400 || status == 401 || status == 403)
        return CORE_ERR_AUTH;
    return CORE_ERR_HTTP;
}

/* The cause of a refusal: "WHO refused the token request (HTTP S, error): description". */
static void refusal(const char *who, long status, const cJSON *root, const char *secret,
                    char **cause)
{
    const char *error = json_str(root, "error");
    const char *desc = json_str(root, "error_description");
    if (desc == NULL)
        desc = json_str(root, "message"); /* App Service */
    const cJSON *codes = json_array(root, "error_codes");
    const cJSON *first = codes ? cJSON_GetArrayItem(codes, 0) : NULL;
    char *e = service_text(error ? error : "", secret);
    char *d = service_text(desc ? desc : "", secret);
    char code[32] = "";
    if (first && cJSON_IsNumber(first) && strstr(d, "AADSTS") == NULL)
        snprintf(code, sizeof code, "AADSTS%.0f: ", first->valuedouble);
    char *c = xasprintf("%s refused the token request (HTTP %ld%s%s)%s%s%s", who, status,
                        *e ? ", " : "", e, *d || *code ? ": " : "", code, d);
    authprov_mask(c, secret);
    xcause(cause, "%s", c);
    free(c);
    free(e);
    free(d);
}

static enum core_err parse(const char *who, bool mi, long status, const char *body, size_t len,
                           int64_t now, const char *secret, struct authprov_token *out,
                           char **cause)
{
    memset(out, 0, sizeof *out);
    char *why = NULL;
    cJSON *root = body ? json_parse_object(body, len, &why) : NULL;
    enum core_err err;
    if (root == NULL) {
        if (status == 200) {
            xcause(cause, "%s answered 200 with a %s", who,
                   body && len ? "body that is not JSON" : "empty body");
            err = CORE_ERR_PARSE;
        } else {
            xcause(cause, "%s answered HTTP %ld without an error description", who, status);
            err = status_kind(status);
        }
    } else if (status == 200) {
        err = take_token(root, now, mi, secret, out, cause);
    } else {
        refusal(who, status, root, secret, cause);
        err = status_kind(status);
    }
    free(why);
    tree_delete(root);
    return err;
}

enum core_err authprov_parse_entra(long status, const char *body, size_t len, int64_t now,
                                   const char *secret, struct authprov_token *out, char **cause)
{
    return parse("Entra ID", false, status, body, len, now, secret, out, cause);
}

enum core_err authprov_parse_mi(long status, const char *body, size_t len, int64_t now,
                                struct authprov_token *out, char **cause)
{
    return parse("the managed identity endpoint", true, status, body, len, now, NULL, out, cause);
}
