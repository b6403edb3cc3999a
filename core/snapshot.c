#include "snapshot.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomfile.h"
#include "config.h"
#include "snapshot_int.h"
#include "xmem.h"

#define COUNT(a)  (sizeof(a) / sizeof((a)[0]))
#define FORMAT    "tdectl-snapshot"
#define MAX_DEPTH 16 /* a snapshot nests 7 deep */

/* -- the model's own invariants --------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The model keeps one entity per id (model_put_* replace, case-insensitively):
 * a file with two is not one tdectl wrote. NULL ids are left alone, as the
 * model leaves them.
 */
static int unique(struct snapshot_reader *r, const char *what, const char **names, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (names[i])
            names[k++] = names[i];
    }
    qsort(names, k, sizeof *names, name_cmp);
    for (size_t i = 1; i < k; i++) {
        char buf[68];
        if (strcasecmp(names[i - 1], names[i]) == 0)
            return snapshot_bad(r, "%s \"%s\" appears twice", what, snapshot_shown(names[i], buf));
    }
    return 0;
}

/* NOLINTBEGIN(bugprone-macro-parentheses): member is ".field", it cannot be parenthesized */
#define UNIQUE(r, what, arr, n, member, names) \
    do {                                       \
        for (size_t i_ = 0; i_ < (n); i_++)    \
            (names)[i_] = (arr)[i_] member;    \
        if (unique(r, what, names, n) < 0)     \
            goto out;                          \
    } while (0)
/* NOLINTEND(bugprone-macro-parentheses) */

static int key_cmp(const void *a, const void *b)
{
    return strcasecmp(((const struct model_key *)a)->name, ((const struct model_key *)b)->name);
}

/* model.c's order for versions: oldest first, by created, then version. */
static int version_cmp(const void *a, const void *b)
{
    const struct model_version *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->version ? x->version : "", y->version ? y->version : "");
}

static size_t largest(const struct model *m)
{
    size_t n = m->nsubs;
    const size_t more[] = {m->nfogs, m->ninstances, m->nvaults, m->npes};
    for (size_t i = 0; i < COUNT(more); i++)
        n = more[i] > n ? more[i] : n;
    for (size_t i = 0; i < m->nvaults; i++)
        n = m->vaults[i]->nkeys > n ? m->vaults[i]->nkeys : n;
    return n;
}

/* Checks what the model promises (unique ids) and restores its orders (keys, versions). */
static int settle(struct model *m, struct snapshot_reader *r)
{
    const char **names = xcalloc(largest(m) + 1, sizeof *names);
    int rc = -1;
    r->len = 0;
    r->path[0] = '\0';
    UNIQUE(r, "subscription", m->subs, m->nsubs, ->id, names);
    UNIQUE(r, "failover group", m->fogs, m->nfogs, ->id, names);
    UNIQUE(r, "instance", m->instances, m->ninstances, ->id, names);
    UNIQUE(r, "vault", m->vaults, m->nvaults, ->id, names);
    UNIQUE(r, "vault name", m->vaults, m->nvaults, ->name, names);
    UNIQUE(r, "private endpoint", m->pes, m->npes, ->id, names);
    model_sort_vaults(m);
    for (size_t v = 0; v < m->nvaults; v++) {
        struct model_vault *vault = m->vaults[v];
        size_t saved = snapshot_push(r, "vaults[%zu].keys", v);
        UNIQUE(r, "key", vault->keys, vault->nkeys, .name, names);
        snapshot_pop(r, saved);
        if (vault->nkeys > 1) /* qsort must not see a NULL array, even empty */
            qsort(vault->keys, vault->nkeys, sizeof *vault->keys, key_cmp);
        for (size_t k = 0; k < vault->nkeys; k++) {
            if (vault->keys[k].nversions > 1)
                qsort(vault->keys[k].versions, vault->keys[k].nversions,
                      sizeof *vault->keys[k].versions, version_cmp);
        }
    }
    rc = 0;
out:
    free(names);
    return rc;
}

/* -- parse and load --------------------------------------------------------------------------- */

/* Bounds what cJSON would allocate before it allocates it: values and depth. */
static int prescan(const char *text, size_t len, struct snapshot_reader *r)
{
    size_t values = 1, depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
            continue;
        }
        if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            values++;
            if (++depth > MAX_DEPTH)
                return snapshot_bad(r, "nested deeper than a snapshot is (%d)", MAX_DEPTH);
        } else if (ch == ']' || ch == '}') {
            depth -= depth > 0;
        } else if (ch == ',' && ++values > SNAPSHOT_MAX_VALUES) {
            r->err = CORE_ERR_LIMIT;
            return snapshot_bad(r, "more than %d values", SNAPSHOT_MAX_VALUES);
        }
    }
    return 0;
}

/* Checks and removes format, version and saved_at; the rest is the model. */
static int header(cJSON *root, int64_t *saved_at, struct snapshot_reader *r)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *saved = cJSON_GetObjectItemCaseSensitive(root, "saved_at");
    double d;
    if (!cJSON_IsString(format) || strcmp(format->valuestring, FORMAT) != 0)
        return snapshot_bad(r, "not a tdectl snapshot (no \"format\": \"%s\")", FORMAT);
    if (!cJSON_IsNumber(version))
        return snapshot_bad(r, "no snapshot format version");
    if (version->valuedouble != SNAPSHOT_VERSION)
        return snapshot_bad(r, "snapshot format version %g; this tdectl reads version %d",
                            version->valuedouble, SNAPSHOT_VERSION);
    size_t at = snapshot_push(r, "saved_at");
    if (saved == NULL)
        return snapshot_bad(r, "missing");
    if (snapshot_integer(r, saved, 1, SNAPSHOT_EXACT_MAX, &d) < 0)
        return -1;
    snapshot_pop(r, at);
    *saved_at = (int64_t)d;
    cJSON_DeleteItemFromObjectCaseSensitive(root, "format");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "version");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "saved_at");
    return 0;
}

static bool model_empty(const struct model *m)
{
    return m->nsubs == 0 && m->nfogs == 0 && m->ninstances == 0 && m->nvaults == 0 && m->npes == 0;
}

/* Moves every entity of from into the empty model into. */
static void move_into(struct model *into, struct model *from)
{
    into->subs = from->subs, into->nsubs = from->nsubs;
    into->fogs = from->fogs, into->nfogs = from->nfogs;
    into->instances = from->instances, into->ninstances = from->ninstances;
    into->vaults = from->vaults, into->nvaults = from->nvaults;
    into->pes = from->pes, into->npes = from->npes;
    from->subs = NULL, from->nsubs = 0;
    from->fogs = NULL, from->nfogs = 0;
    from->instances = NULL, from->ninstances = 0;
    from->vaults = NULL, from->nvaults = 0;
    from->pes = NULL, from->npes = 0;
}

enum core_err snapshot_parse(struct model *m, const char *text, size_t len, char **cause)
{
    struct snapshot_reader r = {.len = 0};
    struct model *tmp = NULL;
    cJSON *root = NULL;
    const char *end = NULL;
    int64_t saved_at = 0;
    if (!model_empty(m)) {
        xcause(cause, "snapshot: the model to load into is not empty");
        return CORE_ERR_REFUSED;
    }
    if (text == NULL || len == 0) {
        snapshot_bad(&r, "the file is empty");
        goto out;
    }
    if (prescan(text, len, &r) < 0)
        goto out;
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        snapshot_bad(&r, "not valid JSON at byte %zu of %zu (truncated or damaged)",
                     end ? (size_t)(end - text) : 0, len);
        goto out;
    }
    while (end < text + len && isspace((unsigned char)*end))
        end++;
    if (end < text + len) {
        snapshot_bad(&r, "text after the JSON at byte %zu", (size_t)(end - text));
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        snapshot_bad(&r, "expected an object, got %s", snapshot_json_kind(root));
        goto out;
    }
    if (header(root, &saved_at, &r) < 0)
        goto out;
    tmp = model_create();
    if (snapshot_read_model(root, tmp, &r) < 0 || settle(tmp, &r) < 0)
        goto out;
    move_into(m, tmp);
    m->snapshot_at = saved_at;
    model_bump(m);
out:
    cJSON_Delete(root);
    model_destroy(tmp);
    if (r.cause) {
        xcause(cause, "snapshot: %s", r.cause);
        free(r.cause);
        return r.err;
    }
    return CORE_OK;
}

static enum core_err read_file(const char *path, char **text, size_t *len, char **cause)
{
    /* O_NONBLOCK: a FIFO in the snapshot's place must not hang the start. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int err = errno;
        xcause(cause, "snapshot %s: %s", path, strerror(err));
        return err == ENOENT ? CORE_ERR_NOT_FOUND : CORE_ERR_IO;
    }
    struct stat st;
    enum core_err rc = CORE_ERR_IO;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        xcause(cause, "snapshot %s: not a regular file", path);
        goto out;
    }
    if (st.st_size > SNAPSHOT_MAX_BYTES) {
        xcause(cause, "snapshot %s: %lld bytes, larger than %d", path, (long long)st.st_size,
               SNAPSHOT_MAX_BYTES);
        rc = CORE_ERR_LIMIT;
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1; /* one more, to see it grow */
    buf = xmalloc(cap);
    for (;;) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            xcause(cause, "snapshot %s: %s", path, strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            xcause(cause, "snapshot %s: changed while it was read", path);
            goto out;
        }
    }
    *text = buf;
    *len = n;
    buf = NULL;
    rc = CORE_OK;
out:
    free(buf);
    close(fd);
    return rc;
}

enum core_err snapshot_load(struct model *m, const char *path, char **cause)
{
    char *text = NULL;
    size_t len = 0;
    if (!model_empty(m)) {
        xcause(cause, "snapshot: the model to load into is not empty");
        return CORE_ERR_REFUSED;
    }
    enum core_err rc = read_file(path, &text, &len, cause);
    if (rc == CORE_OK)
        rc = snapshot_parse(m, text, len, cause);
    free(text);
    return rc;
}

/* -- save ------------------------------------------------------------------------------------- */

static char *serialise(const struct model *m, int64_t now_ms, char **cause)
{
    const char *bad = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", FORMAT);
    cJSON_AddNumberToObject(root, "version", SNAPSHOT_VERSION);
    cJSON_AddNumberToObject(root, "saved_at", (double)now_ms);
    snapshot_write_model(root, m, &bad);
    char *text = bad ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (bad)
        xcause(cause, "snapshot: cannot save: a \"%s\" holds a value a snapshot cannot", bad);
    else if (text == NULL)
        xcause(cause, "snapshot: cannot save: out of memory");
    return text;
}

/* A missing parent folder is created 0700; atomfile does the rest. */
static enum core_err write_atomic(const char *path, const char *text, size_t len, char **cause)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    char *why = NULL;
    enum core_err rc = CORE_ERR_IO;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        xcause(cause, "snapshot: cannot create %s: %s", dir, strerror(errno));
    else if (atomfile_write(path, text, len, 0600, ATOMFILE_REPLACE, &why) < 0)
        xcause(cause, "snapshot: %s", why);
    else
        rc = CORE_OK;
    free(why);
    free(dir);
    return rc;
}

enum core_err snapshot_save(const struct model *m, const char *path, int64_t now_ms, char **cause)
{
    if (now_ms <= 0 || now_ms > SNAPSHOT_EXACT_MAX_I) {
        xcause(cause, "snapshot: cannot save: the time %lld is not a wall-clock time",
               (long long)now_ms);
        return CORE_ERR_REFUSED;
    }
    char *text = serialise(m, now_ms, cause);
    if (text == NULL)
        return CORE_ERR_LIMIT;
    size_t len = strlen(text);
    struct snapshot_reader r = {.len = 0};
    enum core_err rc;
    /* Never write a file the loader would refuse. */
    if (len > SNAPSHOT_MAX_BYTES || prescan(text, len, &r) < 0) {
        xcause(cause, "snapshot: cannot save: the model is too large (%zu bytes%s%s)", len,
               r.cause ? ", " : "", r.cause ? r.cause : "");
        rc = CORE_ERR_LIMIT;
    } else {
        rc = write_atomic(path, text, len, cause);
    }
    free(r.cause);
    cJSON_free(text);
    return rc;
}

int snapshot_set_aside(const char *path, int64_t now_s, char **aside, char **cause)
{
    time_t t = (time_t)now_s;
    struct tm tm;
    char stamp[32] = "unknown-time";
    if (gmtime_r(&t, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    int err = 0;
    for (int i = 1; i <= 9; i++) {
        char *to = i == 1 ? xasprintf("%s.corrupt-%s", path, stamp)
                          : xasprintf("%s.corrupt-%s-%d", path, stamp, i);
        /* link + unlink: never replaces an earlier damaged copy (rename would). */
        if (link(path, to) == 0) {
            if (unlink(path) == 0) {
                *aside = to;
                return 0;
            }
            err = errno;
            (void)unlink(to);
            free(to);
            break;
        }
        err = errno;
        free(to);
        if (err != EEXIST)
            break;
    }
    xcause(cause, "snapshot %s is damaged and cannot be moved aside: %s", path, strerror(err));
    *aside = NULL;
    return -1;
}

char *snapshot_default_path(void)
{
    char *dir = config_state_dir();
    char *path = dir ? xasprintf("%s/snapshot.json", dir) : NULL;
    free(dir);
    return path;
}
