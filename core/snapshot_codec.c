/*
 * snapshot's codec (snapshot_int.h): the model as JSON and back, field by
 * field, from one set of tables.
 */
#include "snapshot.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "snapshot_int.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The file mirrors the model field by field, described once in tables that
 * both the writer and the reader walk, so the two cannot drift apart. JSON
 * names are the C member names. Each row checks at compile time that the
 * member has the type its kind reads and writes.
 */
enum kind {
    K_STR,    /* char *, null allowed */
    K_ID,     /* char *, never null (the model relies on it) */
    K_BOOL,   /* bool */
    K_INT,    /* int */
    K_TRI,    /* int: -1, 0, 1 */
    K_I64,    /* int64_t within +-2^53 */
    K_UNS,    /* unsigned */
    K_ERR,    /* enum core_err */
    K_FPRINT, /* char[MODEL_FINGERPRINT_LEN]: "" or lower-case hex */
    K_STRUCT, /* an embedded struct (sub) */
    K_ARRAY,  /* an array of structs (sub) and its count */
    K_PARRAY, /* an array of pointers to structs (sub) and its count */
    K_STRS,   /* an array of non-null strings and its count */
};

struct schema;
struct field {
    const char *name;
    enum kind kind;
    size_t off;
    size_t count_off;
    const struct schema *sub;
};
struct schema {
    size_t size;
    const struct field *fields;
    size_t nfields;
};

/* 0 when member m of T has the given type or size; a compile error otherwise. */
/* NOLINTNEXTLINE(bugprone-macro-parentheses): type is a type name */
#define IS(T, m, type)      _Generic(((T *)0)->m, type : 0)
#define SIZE_IS(T, m, size) (sizeof(char[sizeof(((T *)0)->m) == (size) ? 1 : -1]) - 1)
#define ROW(...)    \
    {               \
        __VA_ARGS__ \
    }
#define F(T, m, kind, type) ROW(#m, kind, offsetof(T, m) + IS(T, m, type), 0, NULL)
#define STR(T, m)           F(T, m, K_STR, char *)
#define ID(T, m)            F(T, m, K_ID, char *)
#define BOOL(T, m)          F(T, m, K_BOOL, bool)
#define INT(T, m)           F(T, m, K_INT, int)
#define TRI(T, m)           F(T, m, K_TRI, int)
#define I64(T, m)           F(T, m, K_I64, int64_t)
#define UNS(T, m)           F(T, m, K_UNS, unsigned)
#define ERR(T, m)           F(T, m, K_ERR, enum core_err)
#define FPRINT(T, m) \
    ROW(#m, K_FPRINT, offsetof(T, m) + SIZE_IS(T, m, MODEL_FINGERPRINT_LEN), 0, NULL)
#define SUB(T, m, type, s) ROW(#m, K_STRUCT, offsetof(T, m) + IS(T, m, type), 0, &(s))
#define LIST(T, m, n, kind, type, s) \
    ROW(#m, kind, offsetof(T, m) + IS(T, m, type) + IS(T, n, size_t), offsetof(T, n), s)
#define SCHEMA(T, f) ROW(sizeof(T), f, COUNT(f))

static const struct field fresh_f[] = {
    I64(struct fresh, read_at), I64(struct fresh, tried_at), ERR(struct fresh, err),
    INT(struct fresh, status),  STR(struct fresh, error),    STR(struct fresh, request_id),
};
static const struct schema fresh_s = SCHEMA(struct fresh, fresh_f);

#define V struct model_version
static const struct field version_f[] = {
    STR(V, version),
    STR(V, kid),
    BOOL(V, enabled),
    I64(V, nbf),
    I64(V, exp),
    I64(V, created),
    I64(V, updated),
    STR(V, recovery_level),
    STR(V, kty),
    INT(V, bits),
    UNS(V, ops),
    BOOL(V, ops_known),
    FPRINT(V, fingerprint),
    SUB(V, fresh, struct fresh, fresh_s),
};
#undef V
static const struct schema version_s = SCHEMA(struct model_version, version_f);

static const struct field rotation_f[] = {
    BOOL(struct model_rotation, read),
    BOOL(struct model_rotation, notify),
    BOOL(struct model_rotation, rotate),
    STR(struct model_rotation, expiry_time),
};
static const struct schema rotation_s = SCHEMA(struct model_rotation, rotation_f);

#define K struct model_key
static const struct field key_f[] = {
    ID(K, name),
    LIST(K, versions, nversions, K_ARRAY, struct model_version *, &version_s),
    BOOL(K, managed),
    SUB(K, rotation, struct model_rotation, rotation_s),
    SUB(K, versions_fresh, struct fresh, fresh_s),
    SUB(K, rotation_fresh, struct fresh, fresh_s),
};
#undef K
static const struct schema key_s = SCHEMA(struct model_key, key_f);

static const struct field policy_f[] = {
    STR(struct model_policy, tenant_id),
    STR(struct model_policy, object_id),
    STR(struct model_policy, application_id),
    UNS(struct model_policy, key_perms),
};
static const struct schema policy_s = SCHEMA(struct model_policy, policy_f);

static const struct field role_f[] = {
    STR(struct model_role, id),
    STR(struct model_role, principal_id),
    STR(struct model_role, role_definition_id),
    STR(struct model_role, scope),
};
static const struct schema role_s = SCHEMA(struct model_role, role_f);

static const struct field pec_f[] = {
    STR(struct model_pec, name),
    STR(struct model_pec, endpoint_id),
    STR(struct model_pec, status),
};
static const struct schema pec_s = SCHEMA(struct model_pec, pec_f);

#define VT struct model_vault
static const struct field vault_f[] = {
    STR(VT, name),
    STR(VT, id),
    STR(VT, uri),
    STR(VT, subscription_id),
    STR(VT, resource_group),
    STR(VT, location),
    STR(VT, tenant_id),
    STR(VT, sku),
    BOOL(VT, soft_delete),
    BOOL(VT, purge_protection),
    INT(VT, retention_days),
    BOOL(VT, rbac),
    TRI(VT, rbac_before),
    BOOL(VT, deleted),
    STR(VT, default_action),
    STR(VT, bypass),
    STR(VT, public_network_access),
    LIST(VT, policies, npolicies, K_ARRAY, struct model_policy *, &policy_s),
    LIST(VT, roles, nroles, K_ARRAY, struct model_role *, &role_s),
    BOOL(VT, roles_known),
    LIST(VT, pecs, npecs, K_ARRAY, struct model_pec *, &pec_s),
    LIST(VT, keys, nkeys, K_ARRAY, struct model_key *, &key_s),
    SUB(VT, arm_fresh, struct fresh, fresh_s),
    SUB(VT, roles_fresh, struct fresh, fresh_s),
    SUB(VT, keys_fresh, struct fresh, fresh_s),
    SUB(VT, probe_fresh, struct fresh, fresh_s),
    I64(VT, probe_latency_ms),
};
#undef VT
static const struct schema vault_s = SCHEMA(struct model_vault, vault_f);

static const struct field server_key_f[] = {
    STR(struct model_server_key, name),    STR(struct model_server_key, type),
    STR(struct model_server_key, uri),     STR(struct model_server_key, thumbprint),
    I64(struct model_server_key, created), BOOL(struct model_server_key, auto_rotation),
};
static const struct schema server_key_s = SCHEMA(struct model_server_key, server_key_f);

static const struct field protector_f[] = {
    STR(struct model_protector, server_key_name),
    STR(struct model_protector, type),
    STR(struct model_protector, uri),
    STR(struct model_protector, thumbprint),
    BOOL(struct model_protector, auto_rotation),
};
static const struct schema protector_s = SCHEMA(struct model_protector, protector_f);

static const struct field database_f[] = {
    STR(struct model_database, name),
    STR(struct model_database, status),
};
static const struct schema database_s = SCHEMA(struct model_database, database_f);

static const struct field uami_f[] = {
    STR(struct model_uami, id),
    STR(struct model_uami, principal_id),
    STR(struct model_uami, client_id),
};
static const struct schema uami_s = SCHEMA(struct model_uami, uami_f);

#define I struct model_instance
static const struct field instance_f[] = {
    STR(I, id),
    STR(I, name),
    STR(I, subscription_id),
    STR(I, resource_group),
    STR(I, location),
    STR(I, state),
    STR(I, identity_type),
    STR(I, principal_id),
    STR(I, tenant_id),
    STR(I, primary_uami),
    LIST(I, uamis, nuamis, K_ARRAY, struct model_uami *, &uami_s),
    LIST(I, keys, nkeys, K_ARRAY, struct model_server_key *, &server_key_s),
    SUB(I, protector, struct model_protector, protector_s),
    LIST(I, dbs, ndbs, K_ARRAY, struct model_database *, &database_s),
    LIST(I, past_protectors, npast, K_STRS, char **, NULL),
    I64(I, inaccessible_since),
    STR(I, lock_owner),
    STR(I, lock_reason),
    STR(I, lock_op),
    I64(I, lock_expires),
    BOOL(I, lock_bad),
    SUB(I, arm_fresh, struct fresh, fresh_s),
    SUB(I, keys_fresh, struct fresh, fresh_s),
    SUB(I, protector_fresh, struct fresh, fresh_s),
    SUB(I, dbs_fresh, struct fresh, fresh_s),
};
#undef I
static const struct schema instance_s = SCHEMA(struct model_instance, instance_f);

#define G struct model_fog
static const struct field fog_f[] = {
    STR(G, name),
    STR(G, id),
    STR(G, subscription_id),
    STR(G, resource_group),
    STR(G, primary_location),
    STR(G, secondary_location),
    STR(G, primary_id),
    STR(G, secondary_id),
    STR(G, replication_state),
    STR(G, failover_policy),
    INT(G, grace_minutes),
    SUB(G, fresh, struct fresh, fresh_s),
};
#undef G
static const struct schema fog_s = SCHEMA(struct model_fog, fog_f);

static const struct field pe_f[] = {
    STR(struct model_pe, id),
    STR(struct model_pe, name),
    STR(struct model_pe, subscription_id),
    STR(struct model_pe, resource_group),
    STR(struct model_pe, location),
    STR(struct model_pe, target_id),
    STR(struct model_pe, status),
    SUB(struct model_pe, fresh, struct fresh, fresh_s),
};
static const struct schema pe_s = SCHEMA(struct model_pe, pe_f);

static const struct field subscription_f[] = {
    STR(struct model_subscription, id),
    STR(struct model_subscription, name),
    SUB(struct model_subscription, fresh, struct fresh, fresh_s),
};
static const struct schema subscription_s = SCHEMA(struct model_subscription, subscription_f);

#define M struct model
static const struct field model_f[] = {
    LIST(M, subs, nsubs, K_PARRAY, struct model_subscription **, &subscription_s),
    LIST(M, fogs, nfogs, K_PARRAY, struct model_fog **, &fog_s),
    LIST(M, instances, ninstances, K_PARRAY, struct model_instance **, &instance_s),
    LIST(M, vaults, nvaults, K_PARRAY, struct model_vault **, &vault_s),
    LIST(M, pes, npes, K_PARRAY, struct model_pe **, &pe_s),
};
#undef M
static const struct schema model_s = SCHEMA(struct model, model_f);

/* -- writing ---------------------------------------------------------------------------------- */

struct wctx {
    const char *bad; /* the first field the file could not hold */
};

static cJSON *write_obj(const struct schema *s, const void *p, struct wctx *w);

static cJSON *write_list(const struct field *f, const void *p, struct wctx *w)
{
    const char *at = (const char *)p + f->off;
    size_t n = *(const size_t *)((const char *)p + f->count_off);
    cJSON *a = cJSON_CreateArray();
    if (n > SNAPSHOT_MAX_ITEMS)
        w->bad = f->name;
    for (size_t i = 0; i < n; i++) {
        cJSON *v;
        if (f->kind == K_ARRAY) {
            v = write_obj(f->sub, *(char *const *)at + i * f->sub->size, w);
        } else if (f->kind == K_PARRAY) {
            v = write_obj(f->sub, (*(void *const *const *)at)[i], w);
        } else {
            const char *s = (*(char *const *const *)at)[i];
            if (s == NULL)
                w->bad = f->name;
            v = cJSON_CreateString(s ? s : "");
        }
        cJSON_AddItemToArray(a, v);
    }
    return a;
}

static cJSON *write_field(const struct field *f, const void *p, struct wctx *w)
{
    const char *at = (const char *)p + f->off;
    switch (f->kind) {
    case K_STR:
    case K_ID:
        if (*(char *const *)at == NULL && f->kind == K_ID)
            w->bad = f->name;
        return *(char *const *)at ? cJSON_CreateString(*(char *const *)at) : cJSON_CreateNull();
    case K_BOOL:
        return cJSON_CreateBool(*(const bool *)at);
    case K_INT:
    case K_TRI:
        if (f->kind == K_TRI && (*(const int *)at < -1 || *(const int *)at > 1))
            w->bad = f->name;
        return cJSON_CreateNumber(*(const int *)at);
    case K_I64: {
        int64_t v = *(const int64_t *)at;
        if (v > SNAPSHOT_EXACT_MAX_I || v < -SNAPSHOT_EXACT_MAX_I)
            w->bad = f->name;
        return cJSON_CreateNumber((double)v);
    }
    case K_UNS:
        return cJSON_CreateNumber(*(const unsigned *)at);
    case K_ERR:
        if ((unsigned)*(const enum core_err *)at >= CORE_ERR_COUNT)
            w->bad = f->name;
        return cJSON_CreateNumber((double)*(const enum core_err *)at);
    case K_FPRINT:
        if (memchr(at, '\0', MODEL_FINGERPRINT_LEN) == NULL) {
            w->bad = f->name;
            return cJSON_CreateString("");
        }
        return cJSON_CreateString(at);
    case K_STRUCT:
        return write_obj(f->sub, at, w);
    default:
        return write_list(f, p, w);
    }
}

static cJSON *write_obj(const struct schema *s, const void *p, struct wctx *w)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < s->nfields; i++)
        cJSON_AddItemToObject(o, s->fields[i].name, write_field(&s->fields[i], p, w));
    return o;
}

/* -- reading ---------------------------------------------------------------------------------- */

int snapshot_bad(struct snapshot_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (r->cause == NULL) {
        r->cause = xasprintf("%s: %s", r->len ? r->path : "(top level)", msg);
        if (r->err == CORE_OK)
            r->err = CORE_ERR_PARSE;
    }
    free(msg);
    return -1;
}

size_t snapshot_push(struct snapshot_reader *r, const char *fmt, ...)
{
    size_t saved = r->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->path + r->len, sizeof r->path - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof r->path - r->len ? (size_t)n : sizeof r->path - 1 - r->len;
    return saved;
}

/* The two pushes every field and element makes, without printf: they are most of a load. */
static size_t push_text(struct snapshot_reader *r, const char *a, const char *b)
{
    size_t saved = r->len, room = sizeof r->path - 1;
    for (const char *p = a; *p && r->len < room; p++)
        r->path[r->len++] = *p;
    for (const char *p = b; p && *p && r->len < room; p++)
        r->path[r->len++] = *p;
    r->path[r->len] = '\0';
    return saved;
}

size_t snapshot_push_name(struct snapshot_reader *r, const char *name)
{
    return push_text(r, r->len ? "." : "", name);
}

size_t snapshot_push_index(struct snapshot_reader *r, size_t i)
{
    char digits[24], *p = digits + sizeof digits - 1;
    *p = '\0';
    *--p = ']';
    do
        *--p = (char)('0' + i % 10);
    while ((i /= 10) > 0);
    return push_text(r, "[", p);
}

void snapshot_pop(struct snapshot_reader *r, size_t saved)
{
    r->len = saved;
    r->path[saved] = '\0';
}

const char *snapshot_json_kind(const cJSON *j)
{
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    return cJSON_IsArray(j) ? "an array" : "an object";
}

/* A name or id from the file, safe to put in a message. */
const char *snapshot_shown(const char *s, char buf[68])
{
    size_t i = 0;
    for (; i < 64 && s[i]; i++)
        buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    if (s[i])
        buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
    buf[i] = '\0';
    return buf;
}

int snapshot_integer(struct snapshot_reader *r, const cJSON *j, double min, double max, double *out)
{
    if (!cJSON_IsNumber(j))
        return snapshot_bad(r, "expected an integer, got %s", snapshot_json_kind(j));
    double d = j->valuedouble;
    if (!(d >= min && d <= max) || d != floor(d))
        return snapshot_bad(r, "%g is not an integer in %.0f..%.0f", d, min, max);
    *out = d;
    return 0;
}

static int read_obj(const struct schema *s, const cJSON *j, void *p, struct snapshot_reader *r);

static int array_size(struct snapshot_reader *r, const cJSON *j, size_t *n)
{
    if (!cJSON_IsArray(j))
        return snapshot_bad(r, "expected an array, got %s", snapshot_json_kind(j));
    *n = 0;
    for (const cJSON *e = j->child; e; e = e->next) {
        if (++*n > SNAPSHOT_MAX_ITEMS) {
            r->err = CORE_ERR_LIMIT;
            return snapshot_bad(r, "more than %d elements", SNAPSHOT_MAX_ITEMS);
        }
    }
    return 0;
}

/* Fills the array as it goes, counts set first, so the model's cleanup frees a half-read one. */
static int read_list(const struct field *f, const cJSON *j, char *p, struct snapshot_reader *r)
{
    char *at = p + f->off;
    size_t n = 0, i = 0, *count = (size_t *)(p + f->count_off);
    if (array_size(r, j, &n) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (f->kind == K_ARRAY) {
        *(void **)at = xcalloc(n, f->sub->size);
        *count = n;
    } else {
        *(void ***)at = xcalloc(n, sizeof(void *));
        *count = f->kind == K_STRS ? n : 0;
    }
    for (const cJSON *e = j->child; e; e = e->next, i++) {
        size_t saved = snapshot_push_index(r, i);
        int rc = 0;
        if (f->kind == K_ARRAY) {
            rc = read_obj(f->sub, e, *(char **)at + i * f->sub->size, r);
        } else if (f->kind == K_PARRAY) {
            void *item = (*(void ***)at)[i] = xcalloc(1, f->sub->size);
            *count = i + 1;
            rc = read_obj(f->sub, e, item, r);
        } else if (cJSON_IsString(e)) {
            (*(char ***)at)[i] = xstrdup(e->valuestring);
        } else {
            rc = snapshot_bad(r, "expected a string, got %s", snapshot_json_kind(e));
        }
        snapshot_pop(r, saved);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static bool is_fingerprint(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n < MODEL_FINGERPRINT_LEN && s[n] == '\0';
}

static int read_field(const struct field *f, const cJSON *j, char *p, struct snapshot_reader *r)
{
    char *at = p + f->off;
    double d = 0;
    switch (f->kind) {
    case K_STR:
    case K_ID:
        if (cJSON_IsNull(j) && f->kind == K_STR)
            return 0;
        if (!cJSON_IsString(j))
            return snapshot_bad(r, "expected a string%s, got %s",
                                f->kind == K_STR ? " or null" : "", snapshot_json_kind(j));
        *(char **)at = xstrdup(j->valuestring);
        return 0;
    case K_BOOL:
        if (!cJSON_IsBool(j))
            return snapshot_bad(r, "expected true or false, got %s", snapshot_json_kind(j));
        *(bool *)at = cJSON_IsTrue(j);
        return 0;
    case K_INT:
    case K_TRI:
        if (snapshot_integer(r, j, f->kind == K_TRI ? -1 : INT_MIN, f->kind == K_TRI ? 1 : INT_MAX,
                             &d))
            return -1;
        *(int *)at = (int)d;
        return 0;
    case K_I64:
        if (snapshot_integer(r, j, -SNAPSHOT_EXACT_MAX, SNAPSHOT_EXACT_MAX, &d) < 0)
            return -1;
        *(int64_t *)at = (int64_t)d;
        return 0;
    case K_UNS:
        if (snapshot_integer(r, j, 0, UINT_MAX, &d) < 0)
            return -1;
        *(unsigned *)at = (unsigned)d;
        return 0;
    case K_ERR:
        if (snapshot_integer(r, j, 0, CORE_ERR_COUNT - 1, &d) < 0)
            return -1;
        *(enum core_err *)at = (enum core_err)(int)d;
        return 0;
    case K_FPRINT:
        if (!cJSON_IsString(j) || !is_fingerprint(j->valuestring))
            return snapshot_bad(r, "expected \"\" or a fingerprint (64 lower-case hex digits)");
        memcpy(at, j->valuestring, strlen(j->valuestring) + 1);
        return 0;
    case K_STRUCT:
        return read_obj(f->sub, j, at, r);
    default:
        return read_list(f, j, p, r);
    }
}

/* The members the table does not have, or has twice (the object has the wrong count). */
static int odd_member(const struct schema *s, const cJSON *j, struct snapshot_reader *r)
{
    uint64_t seen = 0;
    char buf[68];
    for (const cJSON *m = j->child; m; m = m->next) {
        size_t i = 0;
        while (i < s->nfields && strcmp(s->fields[i].name, m->string) != 0)
            i++;
        if (i == s->nfields)
            return snapshot_bad(r, "unknown field \"%s\"", snapshot_shown(m->string, buf));
        if (seen & (UINT64_C(1) << i))
            return snapshot_bad(r, "field \"%s\" given twice", m->string);
        seen |= UINT64_C(1) << i;
    }
    return 0; /* none odd: a field is missing, which read_obj names */
}

static int read_obj(const struct schema *s, const cJSON *j, void *p, struct snapshot_reader *r)
{
    if (!cJSON_IsObject(j))
        return snapshot_bad(r, "expected an object, got %s", snapshot_json_kind(j));
    size_t members = 0;
    for (const cJSON *m = j->child; m; m = m->next)
        members++;
    if (members != s->nfields && odd_member(s, j, r) < 0)
        return -1;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(j, f->name);
        size_t saved = snapshot_push_name(r, f->name);
        int rc = item ? read_field(f, item, p, r) : snapshot_bad(r, "missing");
        snapshot_pop(r, saved);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* -- the whole model ------------------------------------------------------------------------ */

void snapshot_write_model(cJSON *root, const struct model *m, const char **bad)
{
    struct wctx w = {NULL};
    for (size_t i = 0; i < model_s.nfields; i++)
        cJSON_AddItemToObject(root, model_s.fields[i].name, write_field(&model_s.fields[i], m, &w));
    *bad = w.bad;
}

int snapshot_read_model(const cJSON *root, struct model *m, struct snapshot_reader *r)
{
    return read_obj(&model_s, root, m, r);
}
