/*
 * Microsoft.Authorization: role assignments, read only, in the shapes of
 * api-version 2022-04-01 (any api-version is served the same). Two sources
 * are shown as one list, as Azure keeps them in one store: the control-plane
 * roles of the scenario (world arm_roles: Owner, Reader ... at any scope) and
 * the Key Vault data roles of each vault (vault roles: at the vault's scope,
 * or at one key's, ".../vaults/{v}/keys/{k}").
 *
 * A list at a scope answers the assignments at, above and below it; with
 * $filter=atScope() those at or above; principalId eq '{id}' and
 * assignedTo('{id}') keep one principal's (azsim has no groups, so the two
 * agree), and "atScope() and assignedTo('{id}')" combines them. As in Azure,
 * the resource named by a scope is not looked up (Microsoft.Authorization
 * does not validate it); the subscription and resource group are, by ARM's
 * front door.
 *
 * azsim's choices where the world model has no value to show: every
 * principal is a "ServicePrincipal" (azsim's principals are applications and
 * managed identities); createdOn/updatedOn are the creation of the estate's
 * oldest key version (omitted without any key): the grants existed by then;
 * createdBy/updatedBy are null, as Azure shows them for assignments made by
 * templates. Writes (PUT, DELETE) are not served: 405.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armint.h"
#include "key.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define RA     "providers/Microsoft.Authorization/roleAssignments"
#define SUB    "subscriptions/{}"
#define RG     SUB "/resourceGroups/{}"
#define ACTION "Microsoft.Authorization/roleAssignments/read"

/* Built-in role definitions (Azure's GUIDs) of every role a scenario can assign. */
static const struct {
    const char *name, *guid;
} role_defs[] = {
    {"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
    {"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
    {"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
    {"SQL Managed Instance Contributor", "4939a1f6-9ae0-4e48-a1e0-f2cbe897382d"},
    {"Key Vault Contributor", "f25e0fa2-a7c8-4377-a976-54943a77a395"},
    {"Network Contributor", "4d97b98b-1d4f-4787-a291-c67834d212e7"},
    {"Tag Contributor", "4a9ae827-6dc8-4573-8ac7-8239d42aa03f"},
    {"Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"},
    {"Key Vault Crypto Officer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"},
    {"Key Vault Crypto User", "12338af0-0e69-4776-bea7-57ae8d297424"},
    {"Key Vault Crypto Service Encryption User", "e147488a-f6f5-4113-8e2d-b22465e65bf6"},
    {"Key Vault Crypto Service Release User", "08bbd89e-9f13-488c-ac41-acfcb10c90ab"},
    {"Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
};

static const char *role_guid(const char *name)
{
    for (size_t i = 0; i < sizeof role_defs / sizeof role_defs[0]; i++) {
        if (strcasecmp(role_defs[i].name, name) == 0)
            return role_defs[i].guid;
    }
    return NULL;
}

/* One assignment as listed, whichever store it comes from. */
struct assignment {
    const char *name;      /* GUID, borrowed from the world */
    const char *principal; /* object id, borrowed */
    const char *role;      /* built-in role name, borrowed */
    char *scope;           /* "/subscriptions/...", no trailing '/' (heap) */
};

static char *scope_dup(const char *scope)
{
    size_t n = strlen(scope);
    while (n > 1 && scope[n - 1] == '/')
        n--;
    return xstrndup(scope, n);
}

static void add_assignment(struct assignment **list, size_t *n, struct assignment a)
{
    *list = xrealloc(*list, *n + 1, sizeof **list);
    (*list)[(*n)++] = a;
}

/* Every assignment azsim knows (a deleted vault's went with it). */
static size_t collect(const struct world *w, struct assignment **out)
{
    struct assignment *list = NULL;
    size_t n = 0;
    for (size_t i = 0; i < w->narm_roles; i++) {
        const struct arm_role *r = &w->arm_roles[i];
        add_assignment(&list, &n,
                       (struct assignment){r->id, r->principal_id, r->role, scope_dup(r->scope)});
    }
    for (size_t i = 0; i < w->nvaults; i++) {
        const struct vault *v = w->vaults[i];
        if (v->deleted)
            continue;
        char *vid = arm_vault_id(v);
        for (size_t j = 0; j < v->nroles; j++) {
            const struct role_assignment *ra = &v->roles[j];
            char *scope =
                ra->key_scope ? xasprintf("%s/keys/%s", vid, ra->key_scope) : xstrdup(vid);
            add_assignment(&list, &n,
                           (struct assignment){ra->id, ra->principal_id, ra->role, scope});
        }
        free(vid);
    }
    *out = list;
    return n;
}

static void free_assignments(struct assignment *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].scope);
    free(list);
}

/* Is `outer` the scope `inner` or above it (a prefix ending at a segment boundary)? */
static bool scope_covers(const char *outer, const char *inner)
{
    while (*outer == '/')
        outer++;
    while (*inner == '/')
        inner++;
    size_t n = strlen(outer);
    while (n > 0 && outer[n - 1] == '/')
        n--;
    return strncasecmp(outer, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '/' || n == 0);
}

static bool same_scope(const char *a, const char *b)
{
    return scope_covers(a, b) && scope_covers(b, a);
}

/* The scope of the request: its path without ".../providers/Microsoft.Authorization/..." (heap).
 */
static char *request_scope(const struct arm_ctx *ctx)
{
    const char *path = ctx->req->path;
    char *scope = xcalloc(strlen(path) + 2, 1);
    size_t n = 0;
    for (const char *p = path; *p; p++) {
        if (*p == '/' && n > 0 && scope[n - 1] == '/')
            continue; /* "//subscriptions/..." from an SDK given a scope with a leading '/' */
        scope[n++] = *p;
    }
    static const char tail[] = "/providers/Microsoft.Authorization/";
    char *cut = NULL;
    for (char *p = scope; (p = strchr(p, '/')) != NULL; p++) {
        if (strncasecmp(p, tail, sizeof tail - 1) == 0)
            cut = p;
    }
    if (cut)
        *cut = '\0';
    return scope;
}

/* The subscription id of a "/subscriptions/{id}/..." scope, into out. */
static void scope_subscription(const char *scope, char out[64])
{
    const char *p = scope + strspn(scope, "/");
    if (strncasecmp(p, "subscriptions/", 14) == 0)
        p += 14;
    size_t n = strcspn(p, "/");
    snprintf(out, 64, "%.*s", (int)(n < 63 ? n : 63), p);
}

/* When the estate's oldest key version was created (0: no key). */
static int64_t estate_created(const struct world *w)
{
    int64_t created = 0;
    for (size_t i = 0; i < w->nvaults; i++) {
        const struct vault *v = w->vaults[i];
        for (size_t k = 0; k < v->nkeys; k++) {
            for (size_t n = 0; n < v->keys[k]->nversions; n++) {
                int64_t t = v->keys[k]->versions[n]->created;
                if (t > 0 && (created == 0 || t < created))
                    created = t;
            }
        }
    }
    return created;
}

static cJSON *assignment_json(const struct assignment *a, const char *guid, int64_t created)
{
    char sub[64], at[32];
    scope_subscription(a->scope, sub);
    char *def = xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s",
                          sub, guid);
    char *id = xasprintf("%s/" RA "/%s", a->scope, a->name);
    cJSON *j = cJSON_CreateObject();
    cJSON *p = cJSON_AddObjectToObject(j, "properties");
    cJSON_AddStringToObject(p, "roleDefinitionId", def);
    cJSON_AddStringToObject(p, "principalId", a->principal);
    cJSON_AddStringToObject(p, "principalType", "ServicePrincipal");
    cJSON_AddStringToObject(p, "scope", a->scope);
    cJSON_AddNullToObject(p, "condition");
    cJSON_AddNullToObject(p, "conditionVersion");
    if (created) {
        arm_time(created, at, sizeof at);
        cJSON_AddStringToObject(p, "createdOn", at);
        cJSON_AddStringToObject(p, "updatedOn", at);
    }
    cJSON_AddNullToObject(p, "createdBy");
    cJSON_AddNullToObject(p, "updatedBy");
    cJSON_AddNullToObject(p, "delegatedManagedIdentityResourceId");
    cJSON_AddNullToObject(p, "description");
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "type", "Microsoft.Authorization/roleAssignments");
    cJSON_AddStringToObject(j, "name", a->name);
    free(def);
    free(id);
    return j;
}

/* -- $filter ---------------------------------------------------------------------------- */

struct filter {
    bool at_scope;      /* at or above the scope only */
    char principal[64]; /* "": anyone */
};

static bool word(const char **p, const char *w)
{
    *p += strspn(*p, " ");
    size_t n = strlen(w);
    if (strncasecmp(*p, w, n) != 0)
        return false;
    *p += n;
    return true;
}

static bool quoted(const char **p, char out[64])
{
    *p += strspn(*p, " ");
    if (**p != '\'')
        return false;
    const char *end = strchr(*p + 1, '\'');
    size_t n = end ? (size_t)(end - *p - 1) : 0;
    if (n == 0 || n > 63)
        return false;
    memcpy(out, *p + 1, n);
    out[n] = '\0';
    *p = end + 1;
    return true;
}

/* The forms Azure documents: atScope(), principalId eq '{id}', assignedTo('{id}'), and
 * atScope() and assignedTo('{id}'). false for anything else. */
static bool parse_filter(const char *text, struct filter *f)
{
    *f = (struct filter){0};
    if (text == NULL || text[strspn(text, " ")] == '\0')
        return true;
    const char *p = text;
    if (word(&p, "atScope")) {
        if (!word(&p, "(") || !word(&p, ")"))
            return false;
        f->at_scope = true;
        p += strspn(p, " ");
        if (*p == '\0')
            return true;
        if (!word(&p, "and ") || !word(&p, "assignedTo"))
            return false;
        if (!word(&p, "(") || !quoted(&p, f->principal) || !word(&p, ")"))
            return false;
    } else if (word(&p, "assignedTo")) {
        if (!word(&p, "(") || !quoted(&p, f->principal) || !word(&p, ")"))
            return false;
    } else if (!word(&p, "principalId ") || !word(&p, "eq ") || !quoted(&p, f->principal)) {
        return false;
    }
    p += strspn(p, " ");
    return *p == '\0';
}

/* -- handlers --------------------------------------------------------------------------- */

static void list_assignments(struct arm_ctx *ctx)
{
    const char *text = http_query(ctx->req, "$filter");
    struct filter f;
    if (!parse_filter(text, &f)) {
        arm_error(ctx, 400, "UnsupportedQuery",
                  "The filter '%.200s' is not supported. Supported filters are either "
                  "'atScope()' or 'principalId eq '{value}' or assignedTo('{value}')'.",
                  text);
        return;
    }
    char *scope = request_scope(ctx);
    struct assignment *list;
    size_t n = collect(ctx->world, &list);
    int64_t created = estate_created(ctx->world);
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const struct assignment *a = &list[i];
        const char *guid = role_guid(a->role);
        if (guid == NULL || (f.principal[0] && strcasecmp(a->principal, f.principal) != 0))
            continue;
        bool above = scope_covers(a->scope, scope), below = scope_covers(scope, a->scope);
        if (f.at_scope ? above : above || below)
            cJSON_AddItemToArray(values, assignment_json(a, guid, created));
    }
    free_assignments(list, n);
    free(scope);
    arm_reply_list(ctx, values);
}

/* GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}: the assignment made at
 * exactly that scope. */
static void get_assignment(struct arm_ctx *ctx)
{
    const char *name = ctx->params[ctx->nparams - 1];
    char *scope = request_scope(ctx);
    struct assignment *list;
    size_t n = collect(ctx->world, &list);
    cJSON *found = NULL;
    for (size_t i = 0; i < n && found == NULL; i++) {
        const char *guid = role_guid(list[i].role);
        if (guid && strcasecmp(list[i].name, name) == 0 && same_scope(list[i].scope, scope))
            found = assignment_json(&list[i], guid, estate_created(ctx->world));
    }
    free_assignments(list, n);
    free(scope);
    if (found)
        arm_reply(ctx, 200, found);
    else
        arm_error(ctx, 404, "RoleAssignmentNotFound", "The role assignment '%.64s' is not found.",
                  name);
}

const struct arm_route armauthz_routes[] = {
    {"GET", SUB "/" RA, list_assignments, ACTION},
    {"GET", SUB "/" RA "/{}", get_assignment, ACTION},
    {"GET", RG "/" RA, list_assignments, ACTION},
    {"GET", RG "/" RA "/{}", get_assignment, ACTION},
    /* A top-level resource: {namespace}/{type}/{name}. */
    {"GET", RG "/providers/{}/{}/{}/" RA, list_assignments, ACTION},
    {"GET", RG "/providers/{}/{}/{}/" RA "/{}", get_assignment, ACTION},
    /* One key of a vault: where a key-scoped Key Vault role lives. */
    {"GET", RG "/providers/Microsoft.KeyVault/vaults/{}/keys/{}/" RA, list_assignments, ACTION},
    {"GET", RG "/providers/Microsoft.KeyVault/vaults/{}/keys/{}/" RA "/{}", get_assignment, ACTION},
    {NULL, NULL, NULL, NULL},
};
