#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvint.h"
#include "vault.h"
#include "xmem.h"

#define DA "Microsoft.KeyVault/vaults/"

static const struct kv_opinfo ops[KV_OP_COUNT] = {
    [KV_GET_KEY] = {"get", KPERM_GET, DA "keys/read", false, false, kv_op_get_key},
    [KV_LIST_KEYS] = {"list", KPERM_LIST, DA "keys/read", false, false, kv_op_list_keys},
    [KV_LIST_VERSIONS] = {"listversions", KPERM_LIST, DA "keys/read", false, false,
                          kv_op_list_versions},
    [KV_CREATE] = {"create", KPERM_CREATE, DA "keys/create/action", true, true, kv_op_create},
    [KV_IMPORT] = {"import", KPERM_IMPORT, DA "keys/import/action", true, true, kv_op_import},
    [KV_UPDATE] = {"update", KPERM_UPDATE, DA "keys/update/action", true, true, kv_op_update},
    [KV_DELETE] = {"delete", KPERM_DELETE, DA "keys/delete", true, false, kv_op_delete},
    [KV_BACKUP] = {"backup", KPERM_BACKUP, DA "keys/backup/action", false, false, kv_op_backup},
    [KV_RESTORE] = {"restore", KPERM_RESTORE, DA "keys/restore/action", true, true, kv_op_restore},
    [KV_ROTATE] = {"rotate", KPERM_ROTATE, DA "keys/rotate/action", true, false, kv_op_rotate},
    [KV_GET_POLICY] = {"getrotationpolicy", KPERM_GETROTATIONPOLICY, DA "keyrotationpolicies/read",
                       false, false, kv_op_get_policy},
    [KV_SET_POLICY] = {"setrotationpolicy", KPERM_SETROTATIONPOLICY, DA "keyrotationpolicies/write",
                       true, true, kv_op_set_policy},
    [KV_ENCRYPT] = {"encrypt", KPERM_ENCRYPT, DA "keys/encrypt/action", false, true, kv_op_crypto},
    [KV_DECRYPT] = {"decrypt", KPERM_DECRYPT, DA "keys/decrypt/action", false, true, kv_op_crypto},
    [KV_WRAP] = {"wrapKey", KPERM_WRAPKEY, DA "keys/wrap/action", false, true, kv_op_crypto},
    [KV_UNWRAP] = {"unwrapKey", KPERM_UNWRAPKEY, DA "keys/unwrap/action", false, true,
                   kv_op_crypto},
    [KV_SIGN] = {"sign", KPERM_SIGN, DA "keys/sign/action", false, true, kv_op_crypto},
    [KV_VERIFY] = {"verify", KPERM_VERIFY, DA "keys/verify/action", false, true, kv_op_crypto},
    [KV_RELEASE] = {"release", KPERM_RELEASE, DA "keys/release/action", false, true, kv_op_release},
    [KV_ATTESTATION] = {"attestation", KPERM_GET, DA "keys/read", false, false, kv_op_release},
    [KV_LIST_DELETED] = {"listdeleted", KPERM_LIST, DA "deletedKeys/read", false, false,
                         kv_op_list_deleted},
    [KV_GET_DELETED] = {"getdeleted", KPERM_GET, DA "deletedKeys/read", false, false,
                        kv_op_get_deleted},
    [KV_RECOVER] = {"recover", KPERM_RECOVER, DA "deletedKeys/recover/action", true, false,
                    kv_op_recover},
    [KV_PURGE] = {"purge", KPERM_PURGE, DA "deletedKeys/delete", true, false, kv_op_purge},
    [KV_RNG] = {"rng", 0, DA "rng/action", false, true, kv_op_rng},
};

const struct kv_opinfo *kv_opinfo(enum kv_op op)
{
    return op > KV_NONE && op < KV_OP_COUNT ? &ops[op] : NULL;
}

/* Crypto and other per-version actions: /keys/{name}/{version}/{action}. */
static const struct {
    const char *word;
    const char *method;
    enum kv_op op;
} version_actions[] = {
    {"wrapkey", "POST", KV_WRAP},    {"unwrapkey", "POST", KV_UNWRAP},
    {"encrypt", "POST", KV_ENCRYPT}, {"decrypt", "POST", KV_DECRYPT},
    {"sign", "POST", KV_SIGN},       {"verify", "POST", KV_VERIFY},
    {"release", "POST", KV_RELEASE}, {"attestation", "GET", KV_ATTESTATION},
};

#define MAX_SEGMENTS 6

/* Splits "/keys/a/b/" into segments; keeps empty segments (an empty version is meaningful). */
static int split(const char *path, char seg[MAX_SEGMENTS][160], int *n)
{
    *n = 0;
    if (path[0] != '/')
        return -1;
    const char *p = path + 1;
    while (1) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (*n == MAX_SEGMENTS || len >= 160)
            return -1;
        memcpy(seg[*n], p, len);
        seg[*n][len] = '\0';
        (*n)++;
        if (!slash)
            break;
        p = slash + 1;
    }
    /* A trailing slash leaves one empty last segment: drop it. */
    if (*n > 1 && seg[*n - 1][0] == '\0')
        (*n)--;
    return 0;
}

static int not_allowed(const char *method, const char *op, const char **code, char **message)
{
    *code = "BadParameter";
    *message = xasprintf("Method %s does not allow operation '%s'", method, op);
    return 400;
}

static int name_checked(struct kv_route *route, const char *name, const char **code, char **message)
{
    if (!key_name_valid(name)) {
        *code = "BadParameter";
        *message = xasprintf("The request URI contains an invalid name: %s", name);
        return 400;
    }
    snprintf(route->name, sizeof route->name, "%s", name);
    return 0;
}

static int route_key_sub(const char *m, char seg[][160], int n, struct kv_route *route,
                         const char **code, char **message)
{
    /* n >= 3: /keys/{name}/{x}[/{action}] */
    const char *x = seg[2];
    if (n == 3) {
        static const struct {
            const char *word, *method;
            enum kv_op op;
        } subs[] = {
            {"create", "POST", KV_CREATE},
            {"versions", "GET", KV_LIST_VERSIONS},
            {"backup", "POST", KV_BACKUP},
            {"rotate", "POST", KV_ROTATE},
            {"rotationpolicy", "GET", KV_GET_POLICY},
            {"rotationpolicy", "PUT", KV_SET_POLICY},
        };
        bool known = false;
        for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
            if (strcasecmp(x, subs[i].word) != 0)
                continue;
            known = true;
            if (strcmp(m, subs[i].method) == 0) {
                route->op = subs[i].op;
                return 0;
            }
        }
        if (known)
            return not_allowed(m, x, code, message);
        for (size_t i = 0; i < sizeof version_actions / sizeof version_actions[0]; i++) {
            if (strcasecmp(x, version_actions[i].word) == 0) {
                if (strcmp(m, version_actions[i].method) != 0)
                    return not_allowed(m, x, code, message);
                route->op = version_actions[i].op; /* no version: latest */
                return 0;
            }
        }
        snprintf(route->version, sizeof route->version, "%s", x);
        if (strcmp(m, "GET") == 0)
            route->op = KV_GET_KEY;
        else if (strcmp(m, "PATCH") == 0)
            route->op = KV_UPDATE;
        else
            return not_allowed(m, "key version", code, message);
        return 0;
    }
    if (n == 4) {
        snprintf(route->version, sizeof route->version, "%s", x);
        for (size_t i = 0; i < sizeof version_actions / sizeof version_actions[0]; i++) {
            if (strcasecmp(seg[3], version_actions[i].word) == 0) {
                if (strcmp(m, version_actions[i].method) != 0)
                    return not_allowed(m, seg[3], code, message);
                route->op = version_actions[i].op;
                return 0;
            }
        }
    }
    *code = "NotFound";
    *message = xasprintf("The requested operation is not supported on keys.");
    return 404;
}

static int route_keys(const char *m, char seg[][160], int n, struct kv_route *route,
                      const char **code, char **message)
{
    if (n == 1) {
        if (strcmp(m, "GET") == 0) {
            route->op = KV_LIST_KEYS;
            return 0;
        }
        return not_allowed(m, "list", code, message);
    }
    if (n == 2 && strcasecmp(seg[1], "restore") == 0 && strcmp(m, "POST") == 0) {
        route->op = KV_RESTORE;
        return 0;
    }
    int status = name_checked(route, seg[1], code, message);
    if (status)
        return status;
    if (n == 2) {
        static const struct {
            const char *method;
            enum kv_op op;
        } verbs[] = {
            {"GET", KV_GET_KEY}, {"PUT", KV_IMPORT}, {"DELETE", KV_DELETE}, {"PATCH", KV_UPDATE}};
        for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
            if (strcmp(m, verbs[i].method) == 0) {
                route->op = verbs[i].op;
                return 0;
            }
        }
        return not_allowed(m, "key", code, message);
    }
    return route_key_sub(m, seg, n, route, code, message);
}

static int route_deleted(const char *m, char seg[][160], int n, struct kv_route *route,
                         const char **code, char **message)
{
    if (n == 1) {
        if (strcmp(m, "GET") == 0) {
            route->op = KV_LIST_DELETED;
            return 0;
        }
        return not_allowed(m, "listdeleted", code, message);
    }
    int status = name_checked(route, seg[1], code, message);
    if (status)
        return status;
    if (n == 2) {
        if (strcmp(m, "GET") == 0)
            route->op = KV_GET_DELETED;
        else if (strcmp(m, "DELETE") == 0)
            route->op = KV_PURGE;
        else
            return not_allowed(m, "deletedkey", code, message);
        return 0;
    }
    if (n == 3 && strcasecmp(seg[2], "recover") == 0) {
        if (strcmp(m, "POST") != 0)
            return not_allowed(m, "recover", code, message);
        route->op = KV_RECOVER;
        return 0;
    }
    *code = "NotFound";
    *message = xasprintf("The requested operation is not supported on deleted keys.");
    return 404;
}

int kv_route_parse(const char *method, const char *path, struct kv_route *route, const char **code,
                   char **message)
{
    char seg[MAX_SEGMENTS][160];
    int n;
    memset(route, 0, sizeof *route);
    if (split(path, seg, &n) < 0 || n == 0) {
        *code = "NotFound";
        *message = xstrdup("The requested URI does not represent any resource on the server.");
        return 404;
    }
    if (strcasecmp(seg[0], "keys") == 0)
        return route_keys(method, seg, n, route, code, message);
    if (strcasecmp(seg[0], "deletedkeys") == 0)
        return route_deleted(method, seg, n, route, code, message);
    if (strcasecmp(seg[0], "rng") == 0 && n == 1) {
        if (strcmp(method, "POST") != 0)
            return not_allowed(method, "rng", code, message);
        route->op = KV_RNG;
        return 0;
    }
    *code = "NotFound";
    *message =
        xasprintf("The requested URI does not represent any resource on the server%s.",
                  strcasecmp(seg[0], "secrets") == 0 || strcasecmp(seg[0], "certificates") == 0
                      ? " (azsim emulates keys only)"
                      : "");
    return 404;
}

int kv_api_parse(const char *text, struct kv_api *api)
{
    static const struct {
        const char *name;
        int level;
    } known[] = {
        {"2016-10-01", 70},
        {"7.0", 70},
        {"7.1", 71},
        {"7.2", 72},
        {"7.3", 73},
        {"7.4", 74},
        {"7.5", 75},
        {"7.6", 76},
        {"2025-06-01-preview", 80},
        {"2025-07-01", 81},
        {"2026-01-01-preview", 82},
    };
    if (text == NULL)
        return -1;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(text, known[i].name) == 0) {
            api->level = known[i].level;
            return 0;
        }
    }
    /* Previews of the 7.x line: "7.N-preview" or "7.N-preview.M". */
    if (text[0] == '7' && text[1] == '.' && text[2] >= '0' && text[2] <= '6' &&
        strncmp(text + 3, "-preview", 8) == 0) {
        const char *rest = text + 11;
        bool ok = *rest == '\0';
        if (*rest == '.' && isdigit((unsigned char)rest[1])) {
            rest++;
            while (isdigit((unsigned char)*rest))
                rest++;
            ok = *rest == '\0';
        }
        if (ok) {
            api->level = 70 + (text[2] - '0');
            return 0;
        }
    }
    return -1;
}
