/*
 * config's strict reader (config_int.h): one JSON value per option, checked
 * against its table row; unknown fields, repeats and wrong types named by path.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "config_int.h"
#include "xmem.h"

#define COUNT(a)        (sizeof(a) / sizeof((a)[0]))
#define MAX_STRING      4096 /* longer than any path or URL an operator writes */
#define MAX_LIST        1000 /* subscriptions, failover groups */
#define MAX_WARN_DAYS   8
#define MAX_NAME_IN_MSG 64 /* field names echoed in messages are cut here */
#define MAX_OPTIONS     64

static const struct {
    const char *name;
    size_t offset;
    enum config_type type;
} fog_fields[] = {
    {"subscription", offsetof(struct config_fog, subscription), CONFIG_GUID},
    {"resource_group", offsetof(struct config_fog, resource_group), CONFIG_STRING},
    {"location", offsetof(struct config_fog, location), CONFIG_STRING},
    {"name", offsetof(struct config_fog, name), CONFIG_STRING},
};

/* -- errors ----------------------------------------------------------------------------------- */

int config_fail(struct config_ctx *x, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (path)
        xcause(x->cause, "%s: %s: %s", x->origin, path, msg);
    else
        xcause(x->cause, "%s: %s", x->origin, msg);
    free(msg);
    return -1;
}

static const char *json_kind(const cJSON *j)
{
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsArray(j))
        return "an array";
    return "an object";
}

int config_wrong_type(struct config_ctx *x, const char *path, const char *want, const cJSON *j)
{
    return config_fail(x, path, "expected %s, got %s", want, json_kind(j));
}

/* A field name as it may appear in a message: printable, cut short (it comes from the file). */
static char *shown_name(const char *prefix, const char *name)
{
    char clean[MAX_NAME_IN_MSG + 4];
    size_t i = 0;
    for (; i < MAX_NAME_IN_MSG && name[i]; i++)
        clean[i] = isprint((unsigned char)name[i]) ? name[i] : '?';
    if (name[i])
        clean[i++] = '.', clean[i++] = '.', clean[i++] = '.';
    clean[i] = '\0';
    return prefix ? xasprintf("%s.%s", prefix, clean) : xstrdup(clean);
}

/* -- values ----------------------------------------------------------------------------------- */

static bool is_guid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return s[sizeof shape - 1] == '\0';
}

static bool is_domain(const char *s)
{
    bool dot = false;
    for (const char *p = s; *p; p++) {
        if (*p == '.')
            dot = true;
        else if (!isalnum((unsigned char)*p) && *p != '-')
            return false;
    }
    return dot && s[0] != '.' && s[strlen(s) - 1] != '.';
}

static bool is_https_url(const char *s)
{
    if (strncasecmp(s, "https://", 8) != 0)
        return false;
    const char *host = s + 8;
    size_t hostlen = strcspn(host, "/");
    if (hostlen == 0 || host[0] == ':' || memchr(host, '@', hostlen))
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '?' || *p == '#' || isspace((unsigned char)*p))
            return false;
    }
    return true;
}

/* Checks s against type; *out is the value to store (heap), ~/ expanded for paths. */
static int check_string(enum config_type type, const char *s, const char *path,
                        struct config_ctx *x, char **out)
{
    size_t len = strlen(s);
    if (len == 0)
        return config_fail(x, path, "must not be empty");
    if (len > MAX_STRING)
        return config_fail(x, path, "is too long (%zu bytes, at most %d)", len, MAX_STRING);
    for (const char *p = s; *p; p++) {
        if (iscntrl((unsigned char)*p))
            return config_fail(x, path, "contains a control character");
    }
    if (type == CONFIG_GUID && !is_guid(s))
        return config_fail(x, path, "must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    if (type == CONFIG_TENANT && !is_guid(s) && !is_domain(s))
        return config_fail(x, path,
                           "must be a tenant GUID or domain name (contoso.onmicrosoft.com)");
    if (type == CONFIG_URL && !is_https_url(s))
        return config_fail(x, path, "must be an https URL (https://host[:port][/path])");
    if (type == CONFIG_PATH && strncmp(s, "~/", 2) == 0) {
        char *home = config_home_dir();
        if (home == NULL)
            return config_fail(x, path, "uses ~/ but the home directory is unknown");
        *out = xasprintf("%s%s", home, s + 1);
        free(home);
        return 0;
    }
    if (type == CONFIG_PATH && s[0] != '/')
        return config_fail(x, path, "must be an absolute path or start with ~/");
    *out = xstrdup(s);
    return 0;
}

static int int_of(const cJSON *j, int64_t min, int64_t max, const char *path, struct config_ctx *x,
                  int64_t *out)
{
    if (!cJSON_IsNumber(j))
        return config_wrong_type(x, path, "an integer", j);
    double d = j->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return config_fail(x, path, "must be a whole number");
    if (d < (double)min || d > (double)max) {
        if (fabs(d) < 1e15)
            return config_fail(x, path, "%.0f is out of range (%lld..%lld)", d, (long long)min,
                               (long long)max);
        return config_fail(x, path, "%g is out of range (%lld..%lld)", d, (long long)min,
                           (long long)max);
    }
    *out = (int64_t)d;
    return 0;
}

static void *slot(struct config *c, size_t offset)
{
    return (char *)c + offset;
}

static int set_choice(struct config *c, const struct config_option *o, const cJSON *j,
                      const char *path, struct config_ctx *x)
{
    if (!cJSON_IsString(j))
        return config_wrong_type(x, path, "a string", j);
    for (int i = 0; o->choices[i]; i++) {
        if (strcasecmp(o->choices[i], j->valuestring) == 0) {
            memcpy(slot(c, o->offset), &i, sizeof i);
            return 0;
        }
    }
    char *range = config_option_range(o), *shown = shown_name(NULL, j->valuestring);
    config_fail(x, path, "\"%s\" is not one of %s", shown, range);
    free(range);
    free(shown);
    return -1;
}

static int set_string(struct config *c, const struct config_option *o, const cJSON *j,
                      const char *path, struct config_ctx *x)
{
    char **sp = slot(c, o->offset), *value = NULL;
    if (cJSON_IsNull(j) && o->def == NULL) {
        xstr_set(sp, NULL);
        return 0;
    }
    if (!cJSON_IsString(j))
        return config_wrong_type(x, path, "a string", j);
    if (check_string(o->type, j->valuestring, path, x, &value) < 0)
        return -1;
    free(*sp);
    *sp = value;
    return 0;
}

static int set_guid_list(struct config *c, const struct config_option *o, const cJSON *j,
                         const char *path, struct config_ctx *x)
{
    if (!cJSON_IsArray(j))
        return config_wrong_type(x, path, "an array of GUIDs", j);
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    if (n > MAX_LIST)
        return config_fail(x, path, "has %zu entries, at most %d", n, MAX_LIST);
    char **list = n ? xcalloc(n, sizeof *list) : NULL;
    int rc = 0;
    for (const cJSON *e = j->child; i < n && e && rc == 0; e = e->next, i++) {
        char *at = xasprintf("%s[%zu]", path, i);
        rc = cJSON_IsString(e) ? check_string(CONFIG_GUID, e->valuestring, at, x, &list[i])
                               : config_wrong_type(x, at, "a GUID string", e);
        for (size_t k = 0; rc == 0 && k < i; k++) {
            if (strcasecmp(list[k], list[i]) == 0)
                rc = config_fail(x, at, "repeats %s[%zu]", path, k);
        }
        free(at);
    }
    if (rc < 0) {
        config_free_strings(list, n);
        return -1;
    }
    config_free_strings(*(char ***)slot(c, o->offset), *(size_t *)slot(c, o->count_offset));
    *(char ***)slot(c, o->offset) = list;
    *(size_t *)slot(c, o->count_offset) = n;
    return 0;
}

static int desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int set_int_list(struct config *c, const struct config_option *o, const cJSON *j,
                        const char *path, struct config_ctx *x)
{
    if (!cJSON_IsArray(j))
        return config_wrong_type(x, path, "an array of integers", j);
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    if (n > MAX_WARN_DAYS)
        return config_fail(x, path, "has %zu entries, at most %d", n, MAX_WARN_DAYS);
    int64_t values[MAX_WARN_DAYS] = {0};
    for (const cJSON *e = j->child; i < n && e; e = e->next, i++) {
        char *at = xasprintf("%s[%zu]", path, i);
        int rc = int_of(e, o->min, o->max, at, x, &values[i]);
        for (size_t k = 0; rc == 0 && k < i; k++) {
            if (values[k] == values[i])
                rc = config_fail(x, at, "repeats %s[%zu]", path, k);
        }
        free(at);
        if (rc < 0)
            return -1;
    }
    qsort(values, n, sizeof *values, desc);
    int64_t **lp = slot(c, o->offset);
    free(*lp);
    *lp = n ? xcalloc(n, sizeof **lp) : NULL;
    if (n)
        memcpy(*lp, values, n * sizeof *values);
    *(size_t *)slot(c, o->count_offset) = n;
    return 0;
}

/* -- failover groups ------------------------------------------------------------------------- */

static int unknown_field(const char *prefix, const char *name, const char *const *known, size_t n,
                         struct config_ctx *x);

static int fog_member(struct config_fog *f, const cJSON *obj, const cJSON *m, const char *at,
                      struct config_ctx *x)
{
    char *path = shown_name(at, m->string);
    int rc = -1;
    for (const cJSON *p = obj->child; p != m; p = p->next) {
        if (strcmp(p->string, m->string) == 0) {
            config_fail(x, path, "given twice");
            goto out;
        }
    }
    size_t k = 0;
    while (k < COUNT(fog_fields) && strcmp(fog_fields[k].name, m->string) != 0)
        k++;
    if (k == COUNT(fog_fields)) {
        const char *known[COUNT(fog_fields)];
        for (size_t i = 0; i < COUNT(fog_fields); i++)
            known[i] = fog_fields[i].name;
        rc = unknown_field(at, m->string, known, COUNT(fog_fields), x);
    } else if (!cJSON_IsString(m)) {
        rc = config_wrong_type(x, path, "a string", m);
    } else {
        rc = check_string(fog_fields[k].type, m->valuestring, path, x,
                          (char **)((char *)f + fog_fields[k].offset));
    }
out:
    free(path);
    return rc;
}

static int fog_of(struct config_fog *f, const cJSON *j, const char *at, struct config_ctx *x)
{
    if (!cJSON_IsObject(j))
        return config_wrong_type(x, at, "an object", j);
    for (const cJSON *m = j->child; m; m = m->next) {
        if (fog_member(f, j, m, at, x) < 0)
            return -1;
    }
    for (size_t k = 0; k < COUNT(fog_fields); k++) {
        if (*(char **)((char *)f + fog_fields[k].offset) == NULL)
            return config_fail(x, at, "\"%s\" is missing", fog_fields[k].name);
    }
    return 0;
}

static bool same_fog(const struct config_fog *a, const struct config_fog *b)
{
    return strcasecmp(a->subscription, b->subscription) == 0 &&
           strcasecmp(a->resource_group, b->resource_group) == 0 &&
           strcasecmp(a->location, b->location) == 0 && strcasecmp(a->name, b->name) == 0;
}

static int set_fog_list(struct config *c, const struct config_option *o, const cJSON *j,
                        const char *path, struct config_ctx *x)
{
    if (!cJSON_IsArray(j))
        return config_wrong_type(x, path, "an array of objects", j);
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    if (n > MAX_LIST)
        return config_fail(x, path, "has %zu entries, at most %d", n, MAX_LIST);
    struct config_fog *list = n ? xcalloc(n, sizeof *list) : NULL;
    int rc = 0;
    for (const cJSON *e = j->child; i < n && e && rc == 0; e = e->next, i++) {
        char *at = xasprintf("%s[%zu]", path, i);
        rc = fog_of(&list[i], e, at, x);
        for (size_t k = 0; rc == 0 && k < i; k++) {
            if (same_fog(&list[k], &list[i]))
                rc = config_fail(x, at, "repeats %s[%zu]", path, k);
        }
        free(at);
    }
    if (rc < 0) {
        config_free_fogs(list, n);
        return -1;
    }
    config_free_fogs(*(struct config_fog **)slot(c, o->offset),
                     *(size_t *)slot(c, o->count_offset));
    *(struct config_fog **)slot(c, o->offset) = list;
    *(size_t *)slot(c, o->count_offset) = n;
    return 0;
}

int config_set(struct config *c, const struct config_option *o, const cJSON *j, const char *path,
               struct config_ctx *x)
{
    switch (o->type) {
    case CONFIG_BOOL:
        if (!cJSON_IsBool(j))
            return config_wrong_type(x, path, "true or false", j);
        *(bool *)slot(c, o->offset) = cJSON_IsTrue(j);
        return 0;
    case CONFIG_INT:
        return int_of(j, o->min, o->max, path, x, slot(c, o->offset));
    case CONFIG_CHOICE:
        return set_choice(c, o, j, path, x);
    case CONFIG_GUID_LIST:
        return set_guid_list(c, o, j, path, x);
    case CONFIG_INT_LIST:
        return set_int_list(c, o, j, path, x);
    case CONFIG_FOG_LIST:
        return set_fog_list(c, o, j, path, x);
    default:
        return set_string(c, o, j, path, x);
    }
}

/* -- the walk over the file ------------------------------------------------------------------ */

static const struct config_option *find_option(const char *path)
{
    size_t n;
    const struct config_option *options = config_options(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(options[i].name, path) == 0)
            return &options[i];
    }
    return NULL;
}

/* True when path is an object holding options ("poll", "auth", "endpoints"). */
static bool is_group(const char *path)
{
    size_t len = strlen(path), n;
    const struct config_option *options = config_options(&n);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(options[i].name, path, len) == 0 && options[i].name[len] == '.')
            return true;
    }
    return false;
}

/* Edit distance of two short names, a swap of neighbours counting one; large for long ones. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][MAX_NAME_IN_MSG + 1]; /* row i lives in rows[i % 3] */
    if (la > MAX_NAME_IN_MSG || lb > MAX_NAME_IN_MSG)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *two = rows[(i + 1) % 3], *one = rows[(i + 2) % 3], *row = rows[i % 3];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            char x = (char)tolower((unsigned char)a[i - 1]),
                 y = (char)tolower((unsigned char)b[j - 1]);
            size_t best = one[j - 1] + (x != y);
            if (one[j] + 1 < best)
                best = one[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && x == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == y && two[j - 2] + 1 < best)
                best = two[j - 2] + 1;
            row[j] = best;
        }
    }
    return rows[la % 3][lb];
}

static int unknown_field(const char *prefix, const char *name, const char *const *known, size_t n,
                         struct config_ctx *x)
{
    char *path = shown_name(prefix, name);
    if (strcasecmp(name, "client_secret") == 0) {
        config_fail(x, path,
                    "a client secret never goes in the config file; set AZURE_CLIENT_SECRET in the "
                    "environment instead");
        free(path);
        return -1;
    }
    size_t best = 0, bestd = SIZE_MAX;
    char *list = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(name, known[i]);
        if (d < bestd)
            best = i, bestd = d;
        char *next = xasprintf("%s%s%s", list, i ? ", " : "", known[i]);
        free(list);
        list = next;
    }
    /* Close enough to be a typo: one edit per four letters, at most two ("pol", "helth"). */
    size_t len = strlen(name), near = len / 4 < 1 ? 1 : len / 4 > 2 ? 2 : len / 4;
    if (bestd <= near)
        config_fail(x, path, "unknown field (did you mean \"%s\"?)", known[best]);
    else
        config_fail(x, path, "unknown field (known here: %s)", list);
    free(list);
    free(path);
    return -1;
}

/* The names one level below prefix (NULL: the top level), from the option table, into buf. */
static size_t children(const char *prefix, char buf[][MAX_NAME_IN_MSG], const char **names,
                       size_t size)
{
    size_t n = 0, plen = prefix ? strlen(prefix) + 1 : 0, noptions;
    const struct config_option *options = config_options(&noptions);
    for (size_t i = 0; i < noptions && n < size; i++) {
        const char *name = options[i].name;
        if (prefix && (strncmp(name, prefix, plen - 1) != 0 || name[plen - 1] != '.'))
            continue;
        size_t len = strcspn(name + plen, ".");
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strlen(names[k]) == len && strncmp(names[k], name + plen, len) == 0;
        if (!seen) {
            snprintf(buf[n], MAX_NAME_IN_MSG, "%.*s", (int)len, name + plen);
            names[n] = buf[n];
            n++;
        }
    }
    return n;
}

static int member(struct config *c, const cJSON *obj, const cJSON *m, const char *prefix,
                  struct config_ctx *x)
{
    char *path = shown_name(prefix, m->string);
    int rc = -1;
    for (const cJSON *p = obj->child; p != m; p = p->next) {
        if (strcmp(p->string, m->string) == 0) {
            config_fail(x, path, "given twice");
            goto out;
        }
    }
    /* "poll.health_seconds" as one name would reach the option by another spelling. */
    if (strchr(m->string, '.')) {
        config_fail(x, path, "a field name cannot contain \".\" (nest objects instead)");
        goto out;
    }
    const struct config_option *o = find_option(path);
    if (o) {
        rc = config_set(c, o, m, path, x);
    } else if (is_group(path)) {
        rc = cJSON_IsObject(m) ? config_walk(c, m, path, x)
                               : config_wrong_type(x, path, "an object", m);
    } else {
        char buf[MAX_OPTIONS][MAX_NAME_IN_MSG];
        const char *known[MAX_OPTIONS];
        size_t n = children(prefix, buf, known, COUNT(known));
        rc = unknown_field(prefix, m->string, known, n, x);
    }
out:
    free(path);
    return rc;
}

int config_walk(struct config *c, const cJSON *obj, const char *prefix, struct config_ctx *x)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (member(c, obj, m, prefix, x) < 0)
            return -1;
    }
    return 0;
}
