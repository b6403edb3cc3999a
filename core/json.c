#include "json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "textsafe.h"
#include "xmem.h"

/* Longest member name a path step may have; Azure's are far shorter. */
#define STEP_MAX 128

cJSON *json_parse(const char *body, size_t len, char **cause)
{
    if (body == NULL || len == 0) {
        xcause(cause, "body: empty");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (root == NULL) {
        xcause(cause, "body: not valid JSON");
        return NULL;
    }
    /* Whitespace may follow the value; anything else means the body is not one JSON text. */
    while (end && end < body + len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n' || *end == '\0'))
        end++;
    if (end == NULL || end < body + len) {
        xcause(cause, "body: not valid JSON (text after the value)");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *json_parse_object(const char *body, size_t len, char **cause)
{
    cJSON *root = json_parse(body, len, cause);
    if (root && !cJSON_IsObject(root)) {
        xcause(cause, "body: expected a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

const cJSON *json_get(const cJSON *obj, const char *path)
{
    if (path == NULL || *path == '\0')
        return obj;
    char step[STEP_MAX];
    while (obj != NULL) {
        if (!cJSON_IsObject(obj))
            return NULL;
        size_t n = strcspn(path, ".");
        if (n == 0 || n >= sizeof step)
            return NULL;
        memcpy(step, path, n);
        step[n] = '\0';
        obj = cJSON_GetObjectItemCaseSensitive(obj, step);
        if (path[n] == '\0')
            return obj;
        path += n + 1;
    }
    return NULL;
}

const cJSON *json_object(const cJSON *obj, const char *path)
{
    const cJSON *j = json_get(obj, path);
    return cJSON_IsObject(j) ? j : NULL;
}

const cJSON *json_array(const cJSON *obj, const char *path)
{
    const cJSON *j = json_get(obj, path);
    return cJSON_IsArray(j) ? j : NULL;
}

const char *json_str(const cJSON *obj, const char *path)
{
    const cJSON *j = json_get(obj, path);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

char *json_dup(const cJSON *obj, const char *path)
{
    return xstrdup_or_null(json_str(obj, path));
}

static char *dup_case(const cJSON *obj, const char *path, int (*conv)(int))
{
    char *s = json_dup(obj, path);
    for (char *p = s; p && *p; p++)
        *p = (char)conv((unsigned char)*p);
    return s;
}

char *json_dup_lower(const cJSON *obj, const char *path)
{
    return dup_case(obj, path, tolower);
}

char *json_dup_upper(const cJSON *obj, const char *path)
{
    return dup_case(obj, path, toupper);
}

char *json_dup_enum(const cJSON *obj, const char *path, const char *const *known)
{
    const char *s = json_str(obj, path);
    if (s == NULL || *s == '\0')
        return NULL;
    for (size_t i = 0; known && known[i]; i++) {
        if (strcasecmp(s, known[i]) == 0)
            return xstrdup(known[i]);
    }
    return textsafe_copy(s); /* shown as sent, but never a terminal escape or bad UTF-8 */
}

bool json_bool(const cJSON *obj, const char *path, bool dflt)
{
    const cJSON *j = json_get(obj, path);
    return cJSON_IsBool(j) ? cJSON_IsTrue(j) : dflt;
}

/* An integral double inside int64_t's range (NaN and infinities fail the comparisons). */
static int from_double(double d, int64_t *out)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return -1;
    int64_t v = (int64_t)d;
    if ((double)v != d)
        return -1;
    *out = v;
    return 0;
}

int json_int64(const cJSON *obj, const char *path, int64_t *out)
{
    const cJSON *j = json_get(obj, path);
    if (!cJSON_IsNumber(j))
        return -1;
    return from_double(j->valuedouble, out);
}

int64_t json_int64_or(const cJSON *obj, const char *path, int64_t dflt)
{
    int64_t v;
    return json_int64(obj, path, &v) == 0 ? v : dflt;
}

int json_int64_lenient(const cJSON *obj, const char *path, int64_t *out)
{
    const cJSON *j = json_get(obj, path);
    if (cJSON_IsNumber(j))
        return from_double(j->valuedouble, out);
    if (!cJSON_IsString(j) || j->valuestring == NULL)
        return -1;
    const char *s = j->valuestring;
    int64_t v = 0;
    if (*s == '\0' || strlen(s) > 18)
        return -1; /* 18 digits cannot overflow */
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

static void need_cause(char **cause, const char *where, const char *path, const char *what)
{
    const char *sep = where && *where && path && *path ? "." : "";
    xcause(cause, "%s%s%s: %s", where ? where : "", sep, path ? path : "", what);
}

static const cJSON *need(const cJSON *obj, const char *path, const char *where, char **cause,
                         cJSON_bool (*is)(const cJSON *const), const char *what)
{
    const cJSON *j = json_get(obj, path);
    if (j == NULL || cJSON_IsNull(j)) {
        need_cause(cause, where, path, "missing");
        return NULL;
    }
    if (!is(j)) {
        need_cause(cause, where, path, what);
        return NULL;
    }
    return j;
}

const char *json_need_str(const cJSON *obj, const char *path, const char *where, char **cause)
{
    const cJSON *j = need(obj, path, where, cause, cJSON_IsString, "expected a string");
    return j ? j->valuestring : NULL;
}

const cJSON *json_need_object(const cJSON *obj, const char *path, const char *where, char **cause)
{
    return need(obj, path, where, cause, cJSON_IsObject, "expected an object");
}

const cJSON *json_need_array(const cJSON *obj, const char *path, const char *where, char **cause)
{
    return need(obj, path, where, cause, cJSON_IsArray, "expected an array");
}

const char *json_need_id(const cJSON *elem, const char *where, char **cause)
{
    if (json_need_object(elem, "", where, cause) == NULL)
        return NULL;
    const char *id = json_need_str(elem, "id", where, cause);
    if (id && id[strspn(id, "/")] == '\0') {
        need_cause(cause, where, "id", "empty");
        return NULL;
    }
    return id;
}

static char *next_link_of(const cJSON *root)
{
    const char *s = json_str(root, "nextLink");
    return s && *s ? xstrdup(s) : NULL;
}

int json_page(const char *body, size_t len, size_t item_size, json_item_fn item,
              json_cleanup_fn cleanup, void *arg, void **items, size_t *n, char **next_link,
              char **cause)
{
    *items = NULL;
    *n = 0;
    if (next_link)
        *next_link = NULL;
    unsigned char *arr = NULL;
    size_t kept = 0, i = 0, total = 0;
    int rc = -1;
    cJSON *root = json_parse_object(body, len, cause);
    const cJSON *value = root ? json_need_array(root, "value", "", cause) : NULL, *elem;
    if (value == NULL)
        goto out;
    cJSON_ArrayForEach(elem, value)
    {
        total++;
    }
    arr = xcalloc(total ? total : 1, item_size);
    cJSON_ArrayForEach(elem, value)
    {
        char where[32];
        snprintf(where, sizeof where, "value[%zu]", i++);
        void *slot = arr + kept * item_size;
        int r = item(elem, where, slot, arg, cause);
        if (r < 0)
            goto out;
        if (r == 0)
            kept++;
        else
            memset(slot, 0, item_size);
    }
    if (next_link)
        *next_link = next_link_of(root);
    rc = 0;
out:
    if (rc < 0) {
        for (size_t k = 0; k < kept; k++)
            cleanup(arr + k * item_size);
        free(arr);
    } else if (kept == 0) {
        free(arr);
    } else {
        *items = arr;
        *n = kept;
    }
    cJSON_Delete(root);
    return rc;
}

int json_one(const char *body, size_t len, json_item_fn item, void *slot, void *arg, char **cause)
{
    cJSON *root = json_parse_object(body, len, cause);
    if (root == NULL)
        return -1;
    int r = item(root, "", slot, arg, cause);
    cJSON_Delete(root);
    if (r == 1)
        xcause(cause, "body: not usable");
    return r == 0 ? 0 : -1;
}

/* -- ISO 8601 --------------------------------------------------------------------------------- */

static bool digits(const char *s, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The zone suffix: "", "Z", "+hh", "+hhmm", "+hh:mm"; seconds east of UTC in *off. */
static bool zone(const char *p, int *off)
{
    *off = 0;
    if (*p == '\0')
        return true;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p == '-' ? -1 : 1, h, m = 0;
    p++;
    if (!digits(p, 2, &h))
        return false;
    p += 2;
    if (*p == ':')
        p++;
    if (*p && (!digits(p, 2, &m) || p[2] != '\0'))
        return false;
    if (h > 23 || m > 59)
        return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

int json_parse_iso8601(const char *t, int64_t *out)
{
    int y, mo, d, h, mi, s, off;
    if (t == NULL || !digits(t, 4, &y) || t[4] != '-' || !digits(t + 5, 2, &mo) || t[7] != '-' ||
        !digits(t + 8, 2, &d))
        return -1;
    if (t[10] != 'T' && t[10] != 't' && t[10] != ' ')
        return -1;
    const char *p = t + 11;
    if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi) || p[5] != ':' ||
        !digits(p + 6, 2, &s))
        return -1;
    p += 8;
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (!zone(p, &off))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    return 0;
}

/* -- base64 ----------------------------------------------------------------------------------- */

static int b64_value(unsigned char c)
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

int json_b64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (text == NULL)
        return -1;
    size_t body = len, pad = 0;
    while (body > 0 && pad < 2 && text[body - 1] == '=') {
        body--;
        pad++;
    }
    size_t rest = body % 4;
    if (rest == 1 || (pad && (rest == 0 || rest + pad != 4)))
        return -1;
    size_t olen = body / 4 * 3 + (rest ? rest - 1 : 0);
    unsigned char *buf = xmalloc(olen + 1);
    uint32_t acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < body; i++) {
        int v = b64_value((unsigned char)text[i]);
        if (v < 0) {
            OPENSSL_cleanse(buf, olen + 1);
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            buf[o++] = (unsigned char)(acc >> 16);
            buf[o++] = (unsigned char)(acc >> 8);
            buf[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    if (rest == 2) {
        buf[o++] = (unsigned char)(acc >> 4);
    } else if (rest == 3) {
        buf[o++] = (unsigned char)(acc >> 10);
        buf[o++] = (unsigned char)(acc >> 2);
    }
    buf[o] = '\0';
    *out = buf;
    if (outlen)
        *outlen = o;
    return 0;
}

char *json_b64url_encode(const unsigned char *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (int i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}
