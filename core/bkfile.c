#include "bkfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "atomfile.h"
#include "json.h"
#include "kvclient.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SUFFIX   ".tdkb.json"

/* The members of the file and of a version, in canonical order. */
static const char *const top_fields[] = {
    "format", "created",   "vault",    "vault_uri",   "key",  "subscription",
    "region", "geography", "versions", "blob_sha256", "blob", "sha256",
};
static const char *const version_fields[] = {
    "version", "fingerprint", "thumbprint", "enabled", "exp", "created",
};

/* -- text helpers ----------------------------------------------------------------------------- */

/*
 * Unix seconds as yyyy-mm-ddThh:mm:ssZ, or yyyymmddThhmmssZ (compact, for
 * file names); -1 out of 1970..9999.
 */
static int format_time(int64_t t, bool compact, char *buf, size_t size)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t < 0 || t > INT64_C(253402300799) || gmtime_r(&tt, &tm) == NULL)
        return -1;
    size_t n = compact ? strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm)
                       : strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return n == 0 ? -1 : 0;
}

/* Exactly yyyy-mm-ddThh:mm:ssZ, nothing else that ISO 8601 allows. */
static int parse_time(const char *s, int64_t *out)
{
    char back[21];
    if (s == NULL || strlen(s) != 20 || json_parse_iso8601(s, out) < 0 ||
        format_time(*out, false, back, sizeof back) < 0 || strcmp(back, s) != 0)
        return -1;
    return 0;
}

/* Printable ASCII without '"' and '\' (so the canonical text escapes nothing), min..max long. */
static bool plain(const char *s, size_t min, size_t max, bool space)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || (c == ' ' && !space))
            return false;
    }
    return true;
}

/* Exactly n hex digits, lower-case only unless upper. */
static bool hex(const char *s, size_t n, bool upper)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') && !(upper && c >= 'A' && c <= 'F'))
            return false;
    }
    return true;
}

static bool guid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        out[0] = '\0'; /* matches nothing: the caller's comparison fails */
        return;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void cleanse_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* -- the checks both ways share --------------------------------------------------------------- */

/* The bounds of one version: 0, or -1 with *what (the member) and *why. */
static int check_version(const struct bkfile_version *v, const char **what, const char **why)
{
    *why = NULL;
    if (!kv_version_valid(v->version))
        *what = "version", *why = "expected 32 lower-case hex digits";
    else if (!hex(v->fingerprint, 64, false))
        *what = "fingerprint", *why = "expected 64 lower-case hex digits";
    else if (v->thumbprint[0] != '\0' && !hex(v->thumbprint, 40, true))
        *what = "thumbprint", *why = "expected 40 hex digits or \"\"";
    else if (v->exp < 0 || v->exp > INT64_C(253402300799))
        *what = "exp", *why = "out of range";
    else if (v->created <= 0 || v->created > INT64_C(253402300799))
        *what = "created", *why = "out of range";
    return *why ? -1 : 0;
}

/* Everything a file must satisfy besides its hashes; -1 with *cause naming the member. */
static int check_meta(const struct bkfile_meta *m, char **cause)
{
    const char *what = NULL, *why = NULL;
    if (m->created <= 0 || m->created > INT64_C(253402300799))
        what = "created", why = "out of range";
    else if (!kv_name_valid(m->vault))
        what = "vault", why = "expected a vault name ([0-9A-Za-z-])";
    else if (strncmp(m->vault_uri, "https://", 8) != 0 || !plain(m->vault_uri, 9, 299, false))
        what = "vault_uri", why = "expected an https URL";
    else if (!kv_name_valid(m->key))
        what = "key", why = "expected a key name ([0-9A-Za-z-])";
    else if (!guid(m->subscription))
        what = "subscription", why = "expected a subscription GUID";
    else if (!plain(m->region, 1, 63, true))
        what = "region", why = "expected 1 to 63 printable characters";
    else if (!plain(m->geography, 0, 63, true))
        what = "geography", why = "expected up to 63 printable characters";
    else if (m->nversions == 0 || m->nversions > BKFILE_MAX_VERSIONS || m->versions == NULL)
        what = "versions", why = "expected 1 to 10000 versions";
    else if (!hex(m->blob_sha256, 64, false))
        what = "blob_sha256", why = "expected 64 lower-case hex digits";
    if (why) {
        xcause(cause, "%s: %s", what, why);
        return -1;
    }
    for (size_t i = 0; i < m->nversions; i++) {
        if (check_version(&m->versions[i], &what, &why) < 0) {
            xcause(cause, "versions[%zu].%s: %s", i, what, why);
            return -1;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(m->versions[k].version, m->versions[i].version) == 0) {
                xcause(cause, "versions[%zu].version: appears twice", i);
                return -1;
            }
        }
    }
    return 0;
}

/* -- the canonical object --------------------------------------------------------------------- */

static void add_time(cJSON *obj, const char *name, int64_t t)
{
    char buf[21];
    if (t == 0 || format_time(t, false, buf, sizeof buf) < 0)
        cJSON_AddNullToObject(obj, name);
    else
        cJSON_AddStringToObject(obj, name, buf);
}

static cJSON *version_object(const struct bkfile_version *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", v->version);
    cJSON_AddStringToObject(o, "fingerprint", v->fingerprint);
    cJSON_AddStringToObject(o, "thumbprint", v->thumbprint);
    cJSON_AddBoolToObject(o, "enabled", v->enabled);
    add_time(o, "exp", v->exp);
    add_time(o, "created", v->created);
    return o;
}

/*
 * The file's object without "sha256", members in canonical order. The blob
 * is a reference to b64 (the caller's buffer, which it cleanses): no copy of
 * the secret is left in cJSON's memory.
 */
static cJSON *canonical(const struct bkfile_meta *m, const char *b64)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", BKFILE_FORMAT);
    add_time(o, "created", m->created);
    cJSON_AddStringToObject(o, "vault", m->vault);
    cJSON_AddStringToObject(o, "vault_uri", m->vault_uri);
    cJSON_AddStringToObject(o, "key", m->key);
    cJSON_AddStringToObject(o, "subscription", m->subscription);
    cJSON_AddStringToObject(o, "region", m->region);
    cJSON_AddStringToObject(o, "geography", m->geography);
    cJSON *versions = cJSON_AddArrayToObject(o, "versions");
    for (size_t i = 0; i < m->nversions; i++)
        cJSON_AddItemToArray(versions, version_object(&m->versions[i]));
    cJSON_AddStringToObject(o, "blob_sha256", m->blob_sha256);
    cJSON_AddItemToObject(o, "blob", cJSON_CreateStringReference(b64));
    return o;
}

/*
 * Prints o into one buffer of our own (heap, cleansed by the caller): cJSON's
 * own printer grows its buffer with realloc, leaving copies of the blob in
 * freed memory.
 */
static char *print_once(cJSON *o, size_t b64len, size_t nversions, bool formatted)
{
    size_t size = b64len + 8192 + 512 * nversions;
    for (int tries = 0; tries < 4 && size < INT32_MAX; tries++, size *= 2) {
        char *buf = xcalloc(1, size);
        if (cJSON_PrintPreallocated(o, buf, (int)size, formatted))
            return buf;
        OPENSSL_cleanse(buf, size);
        free(buf);
    }
    return NULL;
}

/* The hex SHA-256 of the canonical text of m and b64; -1 when it cannot be printed. */
static int canonical_sha(const struct bkfile_meta *m, const char *b64, char out[65])
{
    cJSON *o = canonical(m, b64);
    char *text = print_once(o, strlen(b64), m->nversions, false);
    cJSON_Delete(o);
    if (text == NULL)
        return -1;
    sha256_hex(text, strlen(text), out);
    cleanse_free(text);
    return 0;
}

/* -- writing ---------------------------------------------------------------------------------- */

/* The file's text: the canonical object, then "sha256" (heap, secret). */
static char *file_text(const struct bkfile_meta *m, const char *b64, char **cause)
{
    char sha[65];
    if (canonical_sha(m, b64, sha) < 0) {
        xcause(cause, "cannot print the backup");
        return NULL;
    }
    cJSON *o = canonical(m, b64);
    cJSON_AddStringToObject(o, "sha256", sha);
    char *text = print_once(o, strlen(b64), m->nversions, true);
    cJSON_Delete(o);
    if (text == NULL) {
        xcause(cause, "cannot print the backup");
        return NULL;
    }
    char *out = xasprintf("%s\n", text);
    cleanse_free(text);
    if (strlen(out) > BKFILE_MAX_BYTES) {
        xcause(cause, "the backup would be larger than %d bytes", BKFILE_MAX_BYTES);
        cleanse_free(out);
        return NULL;
    }
    return out;
}

int bkfile_write(const char *dir, struct bkfile_meta *m, const unsigned char *blob, size_t len,
                 char **path_out, char **cause)
{
    char stamp[17], *why = NULL, *b64 = NULL, *text = NULL, *path = NULL;
    int rc = -1;
    if (path_out)
        *path_out = NULL;
    if (dir == NULL || dir[0] == '\0' || m == NULL || blob == NULL || len == 0 ||
        len > BKFILE_MAX_BYTES) {
        xcause(cause, "key backup: cannot write: no folder, description or blob");
        return -1;
    }
    sha256_hex(blob, len, m->blob_sha256);
    if (check_meta(m, &why) < 0 || format_time(m->created, true, stamp, sizeof stamp) < 0) {
        xcause(cause, "key backup: cannot write: %s", why ? why : "created: out of range");
        goto out;
    }
    b64 = json_b64url_encode(blob, len);
    if ((text = file_text(m, b64, &why)) == NULL) {
        xcause(cause, "key backup: cannot write: %s", why);
        goto out;
    }
    if (atomfile_mkdirs(dir, &why) < 0) {
        xcause(cause, "key backup: %s", why);
        goto out;
    }
    /* Two backups of one key within a second (a resumed wizard) get -2, -3 ...: never overwritten.
     */
    for (int copy = 1;; copy++) {
        free(path);
        path = copy == 1 ? xasprintf("%s/%s.%s.%s" SUFFIX, dir, m->vault, m->key, stamp)
                         : xasprintf("%s/%s.%s.%s-%d" SUFFIX, dir, m->vault, m->key, stamp, copy);
        free(why);
        why = NULL;
        if (atomfile_write(path, text, strlen(text), 0600, ATOMFILE_EXCL, &why) == 0)
            break;
        if (errno != EEXIST || copy == 99) {
            xcause(cause, "key backup: %s", why);
            goto out;
        }
    }
    if (path_out) {
        *path_out = path;
        path = NULL;
    }
    rc = 0;
out:
    free(path);
    cleanse_free(text);
    cleanse_free(b64);
    free(why);
    return rc;
}

/* -- reading ---------------------------------------------------------------------------------- */

/* obj has exactly the members names (none unknown, none twice); -1 with *cause. */
static int exact_members(const cJSON *obj, const char *const *names, size_t n, const char *where,
                         char **cause)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t i = 0;
        while (i < n && strcmp(c->string, names[i]) != 0)
            i++;
        if (i == n) {
            xcause(cause, "%s\"%s\": not a member of a key backup", where, c->string);
            return -1;
        }
        for (const cJSON *d = obj->child; d != c; d = d->next) {
            if (strcmp(d->string, c->string) == 0) {
                xcause(cause, "%s\"%s\": appears twice", where, c->string);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!cJSON_HasObjectItem(obj, names[i])) {
            xcause(cause, "%s\"%s\": missing", where, names[i]);
            return -1;
        }
    }
    return 0;
}

/* A string member into dst (cap bytes with the NUL); -1 with *cause. */
static int get_str(const cJSON *obj, const char *name, char *dst, size_t cap, const char *where,
                   char **cause)
{
    const char *s = json_str(obj, name);
    if (s == NULL || strlen(s) >= cap) {
        xcause(cause, "%s%s: %s", where, name, s ? "too long" : "expected a string");
        return -1;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* A time member (null allowed when nullable: 0); -1 with *cause. */
static int get_time(const cJSON *obj, const char *name, bool nullable, int64_t *out,
                    const char *where, char **cause)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = 0;
    if (nullable && cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || parse_time(v->valuestring, out) < 0 || *out <= 0) {
        xcause(cause, "%s%s: expected a time like 2026-11-29T21:40:00Z%s", where, name,
               nullable ? " or null" : "");
        return -1;
    }
    return 0;
}

static int read_version(const cJSON *o, size_t i, struct bkfile_version *v, char **cause)
{
    char where[40];
    snprintf(where, sizeof where, "versions[%zu].", i);
    if (!cJSON_IsObject(o)) {
        xcause(cause, "versions[%zu]: expected an object", i);
        return -1;
    }
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "enabled");
    if (exact_members(o, version_fields, COUNT(version_fields), where, cause) < 0 ||
        get_str(o, "version", v->version, sizeof v->version, where, cause) < 0 ||
        get_str(o, "fingerprint", v->fingerprint, sizeof v->fingerprint, where, cause) < 0 ||
        get_str(o, "thumbprint", v->thumbprint, sizeof v->thumbprint, where, cause) < 0 ||
        get_time(o, "exp", true, &v->exp, where, cause) < 0 ||
        get_time(o, "created", false, &v->created, where, cause) < 0)
        return -1;
    if (!cJSON_IsBool(en)) {
        xcause(cause, "%senabled: expected true or false", where);
        return -1;
    }
    v->enabled = cJSON_IsTrue(en);
    return 0;
}

/* The description members of root into m; -1 with *cause. */
static int read_meta(const cJSON *root, struct bkfile_meta *m, char **cause)
{
    if (exact_members(root, top_fields, COUNT(top_fields), "", cause) < 0 ||
        get_time(root, "created", false, &m->created, "", cause) < 0 ||
        get_str(root, "vault", m->vault, sizeof m->vault, "", cause) < 0 ||
        get_str(root, "vault_uri", m->vault_uri, sizeof m->vault_uri, "", cause) < 0 ||
        get_str(root, "key", m->key, sizeof m->key, "", cause) < 0 ||
        get_str(root, "subscription", m->subscription, sizeof m->subscription, "", cause) < 0 ||
        get_str(root, "region", m->region, sizeof m->region, "", cause) < 0 ||
        get_str(root, "geography", m->geography, sizeof m->geography, "", cause) < 0 ||
        get_str(root, "blob_sha256", m->blob_sha256, sizeof m->blob_sha256, "", cause) < 0)
        return -1;
    const cJSON *versions = json_array(root, "versions");
    int n = cJSON_GetArraySize(versions);
    if (versions == NULL || n < 1 || n > BKFILE_MAX_VERSIONS) {
        xcause(cause, "versions: expected an array of 1 to %d versions", BKFILE_MAX_VERSIONS);
        return -1;
    }
    m->versions = xcalloc((size_t)n, sizeof *m->versions);
    for (const cJSON *v = versions->child; v; v = v->next) {
        if (read_version(v, m->nversions, &m->versions[m->nversions], cause) < 0)
            return -1;
        m->nversions++;
    }
    return check_meta(m, cause);
}

/* Is root a key backup of the format this tdectl reads? -1 with *cause when not. */
static int check_format(const cJSON *root, char **cause)
{
    const char *f = json_str(root, "format");
    if (!cJSON_IsObject(root) || f == NULL)
        xcause(cause, "not a tdectl key backup (no \"format\")");
    else if (strncmp(f, "tdectl.keybackup/", 17) == 0 && strcmp(f, BKFILE_FORMAT) != 0)
        xcause(cause, "format \"%.40s\" is not one this tdectl reads (%s)", f, BKFILE_FORMAT);
    else if (strcmp(f, BKFILE_FORMAT) != 0)
        xcause(cause, "not a tdectl key backup (format \"%.40s\")", f);
    else
        return 0;
    return -1;
}

/* The blob member, decoded and checked against blob_sha256 and the whole against sha256. */
static int read_blob(const cJSON *root, const struct bkfile_meta *m, unsigned char **blob,
                     size_t *len, char **cause)
{
    char sha[65];
    const char *b64 = json_str(root, "blob"), *outer = json_str(root, "sha256");
    if (b64 == NULL || b64[0] == '\0' || !plain(b64, 1, BKFILE_MAX_BYTES, false) ||
        json_b64_decode(b64, strlen(b64), blob, len) < 0 || *len == 0) {
        xcause(cause, "blob: expected base64url text");
        return -1;
    }
    if (outer == NULL || !hex(outer, 64, false)) {
        xcause(cause, "sha256: expected 64 lower-case hex digits");
        return -1;
    }
    sha256_hex(*blob, *len, sha);
    if (strcmp(sha, m->blob_sha256) != 0) {
        xcause(cause, "the blob does not match its SHA-256: the file was changed or damaged");
        return -1;
    }
    if (canonical_sha(m, b64, sha) < 0 || strcmp(sha, outer) != 0) {
        xcause(cause, "the description does not match its SHA-256 (\"sha256\"): the file was "
                      "changed or damaged");
        return -1;
    }
    return 0;
}

/* Cleanses every string of the tree (the blob among them) before cJSON frees it. */
static void cleanse_tree(cJSON *node)
{
    for (cJSON *c = node ? node->child : NULL; c; c = c->next)
        cleanse_tree(c);
    if (node && cJSON_IsString(node) && node->valuestring)
        OPENSSL_cleanse(node->valuestring, strlen(node->valuestring));
}

/*
 * A key backup has a few members per version and none in the blob: more
 * commas than that is not one, and must not cost a parse of millions of
 * values.
 */
static bool too_many_values(const char *text, size_t len)
{
    size_t commas = 0;
    for (size_t i = 0; i < len; i++)
        commas += text[i] == ',';
    return commas > (size_t)(BKFILE_MAX_VERSIONS + 2) * COUNT(version_fields) + 64;
}

int bkfile_parse(const char *text, size_t tlen, const char *origin, struct bkfile_meta *m,
                 unsigned char **blob, size_t *len, char **cause)
{
    char *why = NULL;
    cJSON *root = NULL;
    int rc = -1;
    memset(m, 0, sizeof *m);
    *blob = NULL;
    *len = 0;
    if (tlen > BKFILE_MAX_BYTES) {
        xcause(cause, "key backup %s: larger than %d bytes", origin, BKFILE_MAX_BYTES);
        goto out;
    }
    if (too_many_values(text, tlen)) {
        xcause(cause, "key backup %s: too many values for a key backup", origin);
        goto out;
    }
    if ((root = json_parse(text, tlen, NULL)) == NULL) {
        xcause(cause, "key backup %s: not valid JSON (cut short, or not a key backup)", origin);
        goto out;
    }
    if (check_format(root, &why) < 0 || read_meta(root, m, &why) < 0 ||
        read_blob(root, m, blob, len, &why) < 0) {
        xcause(cause, "key backup %s: %s", origin, why);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0) {
        bkfile_blob_free(*blob, *len);
        *blob = NULL;
        *len = 0;
        bkfile_meta_cleanup(m);
    }
    cleanse_tree(root);
    cJSON_Delete(root);
    free(why);
    return rc;
}

int bkfile_read(const char *path, struct bkfile_meta *m, unsigned char **blob, size_t *len,
                char **cause)
{
    char *text = NULL, *why = NULL;
    size_t tlen = 0;
    if (atomfile_read(path, BKFILE_MAX_BYTES, &text, &tlen, &why) < 0) {
        memset(m, 0, sizeof *m);
        *blob = NULL;
        *len = 0;
        xcause(cause, "key backup %s", why);
        free(why);
        return -1;
    }
    int rc = bkfile_parse(text, tlen, path, m, blob, len, cause);
    OPENSSL_cleanse(text, tlen);
    free(text);
    return rc;
}

void bkfile_meta_cleanup(struct bkfile_meta *m)
{
    if (m == NULL)
        return;
    free(m->versions);
    memset(m, 0, sizeof *m);
}

void bkfile_blob_free(unsigned char *blob, size_t len)
{
    if (blob) {
        OPENSSL_cleanse(blob, len);
        free(blob);
    }
}

/* -- listing ---------------------------------------------------------------------------------- */

/* The yyyymmddThhmmssZ of VAULT.KEY.STAMP.tdkb.json, or "" for another name. */
static const char *name_stamp(const char *path)
{
    const char *name = strrchr(path, '/') + 1;
    size_t n = strlen(name) - strlen(SUFFIX);
    size_t digits = 0; /* a "-N" copy number after the stamp */
    while (digits < n && name[n - 1 - digits] >= '0' && name[n - 1 - digits] <= '9')
        digits++;
    if (digits > 0 && digits < 3 && digits < n && name[n - 1 - digits] == '-')
        n -= digits + 1;
    if (n < 17 || name[n - 17] != '.')
        return "";
    const char *s = name + n - 16;
    for (int i = 0; i < 16; i++) {
        bool ok = i == 8 ? s[i] == 'T' : i == 15 ? s[i] == 'Z' : s[i] >= '0' && s[i] <= '9';
        if (!ok)
            return "";
    }
    return s;
}

static int newest_first(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int c = strncmp(name_stamp(y), name_stamp(x), 16);
    return c ? c : strcmp(x, y);
}

static bool bkfile_named(const char *name, void *arg)
{
    (void)arg;
    size_t len = strlen(name), sl = strlen(SUFFIX);
    return name[0] != '.' && len > sl && strcmp(name + len - sl, SUFFIX) == 0;
}

int bkfile_list(const char *dir, char ***paths, size_t *n, char **cause)
{
    *paths = NULL;
    *n = 0;
    if (dir == NULL || dir[0] == '\0') {
        xcause(cause, "key backup: no folder to list");
        return -1;
    }
    char *why = NULL;
    int rc = atomfile_list(dir, bkfile_named, NULL, newest_first, paths, n, &why);
    if (rc < 0)
        xcause(cause, "key backup: %s", why);
    free(why);
    return rc;
}
