#include "azerr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "textsafe.h"
#include "xmem.h"

/* innererror chains deeper than this are cut (cJSON already bounds nesting at 1000). */
#define INNER_DEPTH_MAX 32

static const struct {
    long status;
    const char *phrase;
} reasons[] = {
    {200, "OK"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *az_error_reason(long status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].status == status)
            return reasons[i].phrase;
    }
    return "Unknown Status";
}

/* A copy of s fit for a terminal, at most max bytes, trimmed; NULL stays NULL. */
static char *clean(const char *s, size_t max)
{
    if (s == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen((const char *)p), o = 0;
    char *out = xmalloc((len < max ? len : max) + 1);
    while (*p) {
        uint32_t cp;
        size_t n = textsafe_utf8_seq(p, &cp);
        if (n == 0 || textsafe_unsafe(cp)) {
            /* Line breaks and tabs become one space, never a leading one. */
            bool space = n != 0;
            p += n ? n : 1;
            if (space && (o == 0 || out[o - 1] == ' '))
                continue;
            if (o + 1 > max)
                break;
            out[o++] = space ? ' ' : '?';
            continue;
        }
        if (o == 0 && *p == ' ') {
            p++;
            continue;
        }
        if (o + n > max)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return out;
}

/* A string member spelled in either case ("code" / "Code"); NULL when neither. */
static const char *member(const cJSON *obj, const char *lower, const char *upper)
{
    const char *s = json_str(obj, lower);
    return s ? s : json_str(obj, upper);
}

static const char *first_detail_code(const cJSON *e, const char *code)
{
    const cJSON *details = json_array(e, "details"), *d;
    cJSON_ArrayForEach(d, details)
    {
        const char *c = json_str(d, "code");
        if (c && *c && (code == NULL || strcasecmp(c, code) != 0))
            return c;
    }
    return NULL;
}

static void read_object(const cJSON *e, struct az_error *out)
{
    const char *code = member(e, "code", "Code");
    const char *message = member(e, "message", "Message");
    if (message == NULL) /* OData: "message": {"lang": "en", "value": "..."} */
        message = json_str(e, "message.value");
    const char *inner = NULL;
    const cJSON *ie = json_object(e, "innererror");
    for (int depth = 0; ie && depth < INNER_DEPTH_MAX; depth++) {
        const char *c = json_str(ie, "code");
        if (c && *c)
            inner = c;
        ie = json_object(ie, "innererror");
    }
    if (inner == NULL)
        inner = first_detail_code(e, code);
    out->code = clean(code, AZERR_CODE_MAX);
    out->message = clean(message, AZERR_MESSAGE_MAX);
    out->inner = clean(inner, AZERR_CODE_MAX);
    out->target = clean(json_str(e, "target"), AZERR_CODE_MAX);
}

static void read_root(const cJSON *root, struct az_error *out)
{
    const cJSON *e = json_get(root, "error");
    if (cJSON_IsObject(e)) {
        read_object(e, out);
    } else if (cJSON_IsString(e)) { /* Entra ID, IMDS, App Service identity */
        out->code = clean(e->valuestring, AZERR_CODE_MAX);
        out->message = clean(json_str(root, "error_description"), AZERR_MESSAGE_MAX);
    } else {
        read_object(root, out);
    }
}

/* Fills what the body did not say from the status line. */
static void finish(long status, struct az_error *out)
{
    if (out->code == NULL || out->code[0] == '\0') {
        free(out->code);
        out->code = xasprintf("HTTP %ld", status);
        if (out->message == NULL || out->message[0] == '\0') {
            free(out->message);
            out->message = xstrdup(az_error_reason(status));
        }
    }
    if (out->message == NULL)
        out->message = xstrdup("");
    if (out->inner && (out->inner[0] == '\0' || strcasecmp(out->inner, out->code) == 0)) {
        free(out->inner);
        out->inner = NULL;
    }
    if (out->target && out->target[0] == '\0') {
        free(out->target);
        out->target = NULL;
    }
}

void az_error_parse(long status, const char *body, size_t len, struct az_error *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    if (cJSON_IsObject(root))
        read_root(root, out);
    cJSON_Delete(root);
    finish(status, out);
}

void az_error_from_json(long status, const struct cJSON *err, struct az_error *out)
{
    memset(out, 0, sizeof *out);
    if (cJSON_IsObject(err))
        read_object(err, out);
    finish(status, out);
}

char *az_error_text(const struct az_error *e)
{
    const char *code = e->code && *e->code ? e->code : "Error";
    const char *msg = e->message ? e->message : "";
    if (e->inner && *msg)
        return xasprintf("%s (%s): %s", code, e->inner, msg);
    if (e->inner)
        return xasprintf("%s (%s)", code, e->inner);
    if (*msg)
        return xasprintf("%s: %s", code, msg);
    return xstrdup(code);
}

void az_error_cleanup(struct az_error *e)
{
    free(e->code);
    free(e->message);
    free(e->inner);
    free(e->target);
    memset(e, 0, sizeof *e);
}
