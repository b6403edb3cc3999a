/*
 * theme_file — the theme file parser: strict JSON, every mistake named by its
 * path ("roles.title.fg: bad colour ..."), the theme untouched on failure.
 *
 * Only known names are accepted and each may appear once; the first unknown
 * one stops the walk, so a hostile file costs one pass over its members.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "theme.h"
#include "theme_int.h"

/* How much of a name taken from the file a message shows. */
#define SHOWN_MAX 32

struct pctx {
    const char *origin;
    char **cause;
    char name[THEME_NAME_MAX + 1];
    struct theme_roledef defs[THEME_NROLES];
};

static const char *const top_fields[] = {"name", "description", "roles"};
static const char *const role_fields[] = {"fg", "bg", "attrs", "mono"};

static const struct {
    const char *name;
    attr_t attr;
} attr_names[] = {
    {"bold", A_BOLD},       {"dim", A_DIM},       {"underline", A_UNDERLINE},
    {"reverse", A_REVERSE}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},
    {"blink", A_BLINK},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 3, 4))) static int fail(struct pctx *x, const char *path,
                                                      const char *fmt, ...)
{
    if (!x->cause)
        return -1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t size = strlen(x->origin) + (path ? strlen(path) : 0) + strlen(msg) + 8;
    free(*x->cause);
    *x->cause = theme_xmalloc(size);
    if (path)
        snprintf(*x->cause, size, "%s: %s: %s", x->origin, path, msg);
    else
        snprintf(*x->cause, size, "%s: %s", x->origin, msg);
    return -1;
}

/* A name from the file as a message may show it: printable ASCII, cut short. */
static void shown(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    for (; i < SHOWN_MAX && i + 4 < size && s[i]; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (s[i] && i + 4 <= size)
        buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
    buf[i] = '\0';
}

static const char *kind(const cJSON *j)
{
    if (cJSON_IsObject(j))
        return "an object";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    return "null";
}

static int field_index(const char *name, const char *const *known, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, known[i]) == 0)
            return (int)i;
    }
    return -1;
}

static int unknown(struct pctx *x, const char *prefix, const char *name, const char *what,
                   const char *known)
{
    char s[SHOWN_MAX + 8], path[192];
    shown(name, s, sizeof s);
    snprintf(path, sizeof path, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", s);
    return fail(x, path, "unknown %s (known here: %s)", what, known);
}

static int parse_colour(struct pctx *x, const char *path, const cJSON *j, struct themecolor *out)
{
    if (!cJSON_IsString(j))
        return fail(x, path, "expected a string, got %s", kind(j));
    if (themecolor_parse(j->valuestring, out) == 0)
        return 0;
    char s[SHOWN_MAX + 8];
    shown(j->valuestring, s, sizeof s);
    return fail(x, path,
                "bad colour \"%s\" (use default, a name such as red or brightblue, "
                "color0..color255 or #rrggbb)",
                s);
}

static int parse_attrs(struct pctx *x, const char *path, const cJSON *j, attr_t *out)
{
    if (!cJSON_IsArray(j))
        return fail(x, path, "expected an array of strings, got %s", kind(j));
    attr_t a = A_NORMAL;
    int i = 0;
    for (const cJSON *e = j->child; e; e = e->next, i++) {
        char at[192];
        snprintf(at, sizeof at, "%s[%d]", path, i);
        if (!cJSON_IsString(e))
            return fail(x, at, "expected a string, got %s", kind(e));
        size_t k = 0;
        while (k < COUNT(attr_names) && strcmp(e->valuestring, attr_names[k].name) != 0)
            k++;
        if (k == COUNT(attr_names)) {
            char s[SHOWN_MAX + 8];
            shown(e->valuestring, s, sizeof s);
            return fail(x, at,
                        "unknown attribute \"%s\" (known: bold, dim, underline, reverse, "
                        "italic, standout, blink)",
                        s);
        }
        a |= attr_names[k].attr;
    }
    *out = a;
    return 0;
}

/* One role object: what it gives replaces the role; mono defaults to the built-in. */
static int parse_role(struct pctx *x, int role, const cJSON *obj)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "roles.%s", theme_role_name((enum theme_role)role));
    if (!cJSON_IsObject(obj))
        return fail(x, prefix, "expected an object, got %s", kind(obj));
    struct theme_roledef d = {{THEMECOLOR_DEFAULT, 0},
                              {THEMECOLOR_DEFAULT, 0},
                              A_NORMAL,
                              theme_builtin((enum theme_role)role)->mono};
    bool seen[COUNT(role_fields)] = {false};
    for (const cJSON *m = obj->child; m; m = m->next) {
        int f = field_index(m->string, role_fields, COUNT(role_fields));
        if (f < 0)
            return unknown(x, prefix, m->string, "field", "fg, bg, attrs, mono");
        char path[128];
        snprintf(path, sizeof path, "%s.%s", prefix, role_fields[f]);
        if (seen[f])
            return fail(x, path, "given twice");
        seen[f] = true;
        int rc = f == 0   ? parse_colour(x, path, m, &d.fg)
                 : f == 1 ? parse_colour(x, path, m, &d.bg)
                 : f == 2 ? parse_attrs(x, path, m, &d.attrs)
                          : parse_attrs(x, path, m, &d.mono);
        if (rc < 0)
            return -1;
    }
    x->defs[role] = d;
    return 0;
}

static int parse_roles(struct pctx *x, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(x, "roles", "expected an object, got %s", kind(obj));
    bool seen[THEME_NROLES] = {false};
    for (const cJSON *m = obj->child; m; m = m->next) {
        int r = theme_role_lookup(m->string);
        if (r < 0)
            return unknown(x, "roles", m->string, "role",
                           "normal, dim, title, header, colhead, border, focus, selected, hint, "
                           "hintkey, ok, info, warn, crit, stale, diff, badge_ro, badge_write, "
                           "input, match, dialog");
        if (seen[r]) {
            char path[64];
            snprintf(path, sizeof path, "roles.%s", m->string);
            return fail(x, path, "given twice");
        }
        seen[r] = true;
        if (parse_role(x, r, m) < 0)
            return -1;
    }
    return 0;
}

static int parse_name(struct pctx *x, const cJSON *j)
{
    if (!cJSON_IsString(j))
        return fail(x, "name", "expected a string, got %s", kind(j));
    const char *s = j->valuestring;
    size_t len = strlen(s);
    bool ok = len > 0 && len <= THEME_NAME_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    if (!ok)
        return fail(x, "name", "must be 1 to %d bytes without control characters", THEME_NAME_MAX);
    memcpy(x->name, s, len + 1);
    return 0;
}

static int parse_top(struct pctx *x, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return fail(x, NULL, "expected a JSON object, got %s", kind(root));
    bool seen[COUNT(top_fields)] = {false};
    for (const cJSON *m = root->child; m; m = m->next) {
        int f = field_index(m->string, top_fields, COUNT(top_fields));
        if (f < 0)
            return unknown(x, NULL, m->string, "field", "name, description, roles");
        if (seen[f])
            return fail(x, top_fields[f], "given twice");
        seen[f] = true;
        int rc = f == 0   ? parse_name(x, m)
                 : f == 1 ? (cJSON_IsString(m)
                                 ? 0
                                 : fail(x, "description", "expected a string, got %s", kind(m)))
                          : parse_roles(x, m);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A file without "name" is called by its file name: "/x/dark.json" is "dark". */
static void name_from_origin(const char *origin, char *buf, size_t size)
{
    const char *base = strrchr(origin, '/');
    base = base ? base + 1 : origin;
    size_t len = strlen(base);
    if (len >= 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    if (len == 0 || len >= size) {
        snprintf(buf, size, "custom");
        return;
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)base[i] >= 0x20 && base[i] != 0x7f ? base[i] : '?';
    buf[len] = '\0';
}

int theme_parse(struct theme *t, const char *text, size_t len, const char *origin, char **cause)
{
    struct pctx ctx = {.origin = origin && *origin ? origin : "theme", .cause = cause};
    struct pctx *x = &ctx;
    cJSON *root = NULL;
    int rc = -1;
    if (!t || !text) {
        fail(x, NULL, "nothing to parse");
        goto out;
    }
    if (len > THEME_MAX_BYTES) {
        fail(x, NULL, "is too large (%zu bytes, at most %d)", len, THEME_MAX_BYTES);
        goto out;
    }
    if (memchr(text, '\0', len)) {
        fail(x, NULL, "contains a NUL byte");
        goto out;
    }
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    size_t at = end && end >= text ? (size_t)(end - text) : 0;
    if (!root) {
        fail(x, NULL, "is not valid JSON (near byte %zu)", at);
        goto out;
    }
    while (at < len && strchr(" \t\r\n", text[at]))
        at++;
    if (at < len) {
        fail(x, NULL, "has text after the JSON value (byte %zu)", at);
        goto out;
    }
    name_from_origin(x->origin, x->name, sizeof x->name);
    for (int i = 0; i < THEME_NROLES; i++)
        x->defs[i] = *theme_builtin((enum theme_role)i);
    if (parse_top(x, root) < 0)
        goto out;
    memcpy(t->name, x->name, sizeof t->name);
    memcpy(t->roles, x->defs, sizeof t->roles);
    theme_unapply(t);
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* The whole file, refused when it is not a regular file or is too large. */
static char *read_file(const char *path, size_t *len, struct pctx *x)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        fail(x, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        fail(x, NULL, "is not a regular file");
        goto out;
    }
    if (st.st_size > THEME_MAX_BYTES) {
        fail(x, NULL, "is too large (%lld bytes, at most %d)", (long long)st.st_size,
             THEME_MAX_BYTES);
        goto out;
    }
    /* One byte more than the limit tells a file that grew while we read it. */
    buf = theme_xmalloc(THEME_MAX_BYTES + 1);
    size_t n = 0;
    while (n <= THEME_MAX_BYTES) {
        ssize_t r = read(fd, buf + n, THEME_MAX_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(x, NULL, "cannot read: %s", strerror(errno));
            free(buf);
            buf = NULL;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
out:
    close(fd);
    return buf;
}

int theme_load_file(struct theme *t, const char *path, char **cause)
{
    struct pctx x = {.origin = path && *path ? path : "theme", .cause = cause};
    if (!path || !*path)
        return fail(&x, NULL, "no file name");
    size_t len = 0;
    char *text = read_file(path, &len, &x);
    if (!text)
        return -1;
    int rc = theme_parse(t, text, len, path, cause);
    free(text);
    return rc;
}
