#include "arm.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "armint.h"
#include "instance.h"
#include "sim.h"
#include "simclock.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

/* -- throttling: a token bucket per principal + subscription, for reads and writes ------- */

struct bucket {
    char key[160];
    double tokens[3]; /* enum bucket_kind */
    int64_t last_ms;
};

static pthread_mutex_t buckets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bucket *buckets;
static size_t nbuckets;

void arm_shutdown(void)
{
    arm_shutdown_ops();
    pthread_mutex_lock(&buckets_lock);
    free(buckets);
    buckets = NULL;
    nbuckets = 0;
    pthread_mutex_unlock(&buckets_lock);
}

/* ARM counts reads, writes and deletes in separate buckets (deletes sized like writes). */
enum bucket_kind { BUCKET_READ, BUCKET_WRITE, BUCKET_DELETE };

static const char *const bucket_words[] = {"read", "write", "delete"};
static const char *const bucket_headers[] = {"x-ms-ratelimit-remaining-subscription-reads",
                                             "x-ms-ratelimit-remaining-subscription-writes",
                                             "x-ms-ratelimit-remaining-subscription-deletes"};

static struct bucket *find_bucket(const struct world_settings *s, const char *key, int64_t now)
{
    for (size_t i = 0; i < nbuckets; i++) {
        if (strcmp(buckets[i].key, key) == 0)
            return &buckets[i];
    }
    buckets = xrealloc(buckets, nbuckets + 1, sizeof *buckets);
    struct bucket *b = &buckets[nbuckets++];
    snprintf(b->key, sizeof b->key, "%s", key);
    b->tokens[BUCKET_READ] = s->arm_read_bucket;
    b->tokens[BUCKET_WRITE] = b->tokens[BUCKET_DELETE] = s->arm_write_bucket;
    b->last_ms = now;
    return b;
}

/* Takes a token; returns the tokens left (>= 0), or -seconds to wait (< 0) when empty. */
static double take_token(const struct world_settings *s, const char *oid, const char *sub,
                         enum bucket_kind kind)
{
    char key[160];
    snprintf(key, sizeof key, "%s|%s", oid, sub);
    int64_t now = simclock_mono_ms();
    pthread_mutex_lock(&buckets_lock);
    struct bucket *b = find_bucket(s, key, now);
    double dt = (double)(now - b->last_ms) / 1000.0;
    const double size[] = {s->arm_read_bucket, s->arm_write_bucket, s->arm_write_bucket};
    const double refill[] = {s->arm_read_refill, s->arm_write_refill, s->arm_write_refill};
    b->last_ms = now;
    for (int k = 0; k < 3; k++)
        b->tokens[k] = fmin(size[k], b->tokens[k] + dt * refill[k]);
    double result;
    if (b->tokens[kind] >= 1.0) {
        b->tokens[kind] -= 1.0;
        result = b->tokens[kind];
    } else {
        result = -ceil((1.0 - b->tokens[kind]) / refill[kind]);
    }
    pthread_mutex_unlock(&buckets_lock);
    return result;
}

/* -- the front door --------------------------------------------------------------------- */

static void common_headers(struct arm_ctx *ctx)
{
    const struct http_req *req = ctx->req;
    const char *corr = http_header(req, "x-ms-correlation-request-id");
    const char *client = http_header(req, "x-ms-client-request-id");
    char routing[37], stamp[32];
    http_uuid(routing);
    time_t now = (time_t)simclock_wall();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm); /* REGION:20230112T004208Z:GUID */
    http_resp_header(ctx->resp, "Cache-Control", "no-cache");
    http_resp_header(ctx->resp, "Pragma", "no-cache");
    http_resp_header(ctx->resp, "Expires", "-1");
    http_resp_header(ctx->resp, "x-ms-request-id", "%s", req->request_id);
    http_resp_header(ctx->resp, "x-ms-correlation-request-id", "%s",
                     corr && strlen(corr) <= 64 ? corr : req->request_id);
    if (client && strlen(client) <= 128)
        http_resp_header(ctx->resp, "x-ms-client-request-id", "%s", client);
    http_resp_header(ctx->resp, "x-ms-routing-request-id", "AZSIM:%s:%s", stamp, routing);
    http_resp_header(ctx->resp, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    http_resp_header(ctx->resp, "X-Content-Type-Options", "nosniff");
}

static bool authenticate(struct arm_ctx *ctx)
{
    const char *auth = http_header(ctx->req, "Authorization");
    char *message = NULL;
    enum token_result r =
        token_check(ctx->sim, auth, ctx->sim->management_resource, NULL, &ctx->who, &message);
    free(message);
    if (r == TOKEN_OK)
        return true;
    const char *tenant = ctx->world->ntenants ? ctx->world->tenants[0].id : "common";
    http_resp_header(ctx->resp, "WWW-Authenticate",
                     "Bearer authorization_uri=\"%s/%s\", error=\"invalid_token\", "
                     "error_description=\"The authentication failed because of missing "
                     "'Authorization' header.\"",
                     ctx->sim->authority, tenant);
    switch (r) {
    case TOKEN_MISSING:
        arm_error(ctx, 401, "AuthenticationFailed",
                  "Authentication failed. The 'Authorization' header is missing.");
        break;
    case TOKEN_EXPIRED:
        arm_error(ctx, 401, "ExpiredAuthenticationToken",
                  "The access token expiry UTC time is earlier than current UTC time.");
        break;
    case TOKEN_AUDIENCE:
        arm_error(ctx, 401, "InvalidAuthenticationTokenAudience",
                  "The access token has been obtained for wrong audience or resource. It should "
                  "exactly match with one of the allowed audiences '%s', '%s/'.",
                  ctx->sim->management_resource, ctx->sim->management_resource);
        break;
    default:
        arm_error(ctx, 401, "InvalidAuthenticationToken", "The access token is invalid.");
        break;
    }
    return false;
}

/* ARM accepts any well-formed api-version: YYYY-MM-DD with an optional -preview-like suffix. */
static bool api_version_valid(const char *v)
{
    if (v == NULL || strlen(v) < 10)
        return false;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7 ? v[i] != '-' : !isdigit((unsigned char)v[i]))
            return false;
    }
    return v[10] == '\0' || strcmp(v + 10, "-preview") == 0 ||
           strcmp(v + 10, "-privatepreview") == 0 || strcmp(v + 10, "-beta") == 0;
}

static int split(const char *path, char *buf, size_t size, const char **segs, int max)
{
    snprintf(buf, size, "%s", path);
    int n = 0;
    for (char *p = buf; *p && n < max;) {
        while (*p == '/')
            *p++ = '\0';
        if (*p == '\0')
            break;
        segs[n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return n;
}

/* Matches segs against a pattern ("{}" captures); fills ctx->params. */
static bool match(struct arm_ctx *ctx, const char *pattern, const char **segs, int n)
{
    char buf[512];
    const char *pat[24];
    int np = split(pattern, buf, sizeof buf, pat, 24);
    if (np != n)
        return false;
    int nparams = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(pat[i], "{}") == 0) {
            if (nparams == ARM_MAX_PARAMS)
                return false;
            ctx->params[nparams++] = segs[i];
        } else if (strcasecmp(pat[i], segs[i]) != 0) {
            return false;
        }
    }
    ctx->nparams = nparams;
    return true;
}

static const struct arm_route *const tables[] = {armsql_routes, armfog_routes,   armkv_routes,
                                                 armnet_routes, armauthz_routes, armtags_routes};

static void list_subscriptions(struct arm_ctx *ctx)
{
    cJSON *values = cJSON_CreateArray();
    for (size_t i = 0; i < ctx->world->nsubscriptions; i++) {
        const struct subscription *s = &ctx->world->subscriptions[i];
        cJSON *j = cJSON_CreateObject();
        char *id = xasprintf("/subscriptions/%s", s->id);
        cJSON_AddStringToObject(j, "id", id);
        free(id);
        cJSON_AddStringToObject(j, "subscriptionId", s->id);
        cJSON_AddStringToObject(j, "tenantId", s->tenant_id);
        cJSON_AddStringToObject(j, "displayName", s->name);
        cJSON_AddStringToObject(j, "state", "Enabled");
        cJSON_AddItemToArray(values, j);
    }
    arm_reply_list(ctx, values);
}

static const struct arm_route common_routes[] = {
    {"GET", "subscriptions", list_subscriptions, NULL},
    {"GET", "subscriptions/{}/providers/Microsoft.Sql/locations/{}/{}/{}", arm_lro_poll, NULL},
    {NULL, NULL, NULL, NULL},
};

/*
 * Control-plane roles: what each built-in role may do (actions matched by prefix/suffix).
 * The three service contributors and Tag Contributor may also read Microsoft.Authorization
 * (role assignments), as Azure's definitions of them do, so they can see who else has access.
 * Tag Contributor manages tags (every Microsoft.Resources/tags action) without access to the
 * resources themselves.
 */
static bool role_allows(const char *role, const char *action)
{
    if (strcasecmp(role, "Owner") == 0 || strcasecmp(role, "Contributor") == 0)
        return true;
    size_t n = strlen(action);
    bool read = n >= 5 && strcasecmp(action + n - 5, "/read") == 0;
    if (strcasecmp(role, "Reader") == 0)
        return read;
    if (read && strncasecmp(action, "Microsoft.Authorization/", 24) == 0)
        return strcasecmp(role, "SQL Managed Instance Contributor") == 0 ||
               strcasecmp(role, "Key Vault Contributor") == 0 ||
               strcasecmp(role, "Network Contributor") == 0 ||
               strcasecmp(role, "Tag Contributor") == 0;
    static const struct {
        const char *role, *provider;
    } scoped[] = {{"SQL Managed Instance Contributor", "Microsoft.Sql/"},
                  {"Key Vault Contributor", "Microsoft.KeyVault/"},
                  {"Network Contributor", "Microsoft.Network/"},
                  {"Tag Contributor", "Microsoft.Resources/tags/"}};
    for (size_t i = 0; i < sizeof scoped / sizeof scoped[0]; i++) {
        if (strcasecmp(role, scoped[i].role) == 0)
            return strncasecmp(action, scoped[i].provider, strlen(scoped[i].provider)) == 0;
    }
    return false;
}

/* Is scope a prefix of path, ending at a segment boundary? */
static bool in_scope(const char *scope, const char *path)
{
    while (*scope == '/')
        scope++;
    while (*path == '/')
        path++;
    size_t n = strlen(scope);
    while (n > 0 && scope[n - 1] == '/')
        n--;
    return strncasecmp(scope, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool authorize(struct arm_ctx *ctx, const char *action)
{
    if (action == NULL)
        return true;
    const struct world *w = ctx->world;
    for (size_t i = 0; i < w->narm_roles; i++) {
        const struct arm_role *r = &w->arm_roles[i];
        if (strcasecmp(r->principal_id, ctx->who.oid) == 0 && in_scope(r->scope, ctx->req->path) &&
            role_allows(r->role, action))
            return true;
    }
    arm_error(ctx, 403, "AuthorizationFailed",
              "The client '%s' with object id '%s' does not have authorization to perform action "
              "'%s' over scope '%s' or the scope is invalid. If access was recently granted, "
              "please refresh your credentials.",
              ctx->who.appid, ctx->who.oid, action, ctx->req->path);
    return false;
}

static bool rg_known(const struct world *w, const char *sub, const char *rg)
{
    for (size_t i = 0; i < w->nvaults; i++) {
        if (!strcasecmp(w->vaults[i]->subscription_id, sub) &&
            !strcasecmp(w->vaults[i]->resource_group, rg))
            return true;
    }
    for (size_t i = 0; i < w->ninstances; i++) {
        if (!strcasecmp(w->instances[i]->subscription_id, sub) &&
            !strcasecmp(w->instances[i]->resource_group, rg))
            return true;
    }
    for (size_t i = 0; i < w->npes; i++) {
        if (!strcasecmp(w->pes[i]->subscription_id, sub) &&
            !strcasecmp(w->pes[i]->resource_group, rg))
            return true;
    }
    for (size_t i = 0; i < w->nfogs; i++) {
        if (!strcasecmp(w->fogs[i]->subscription_id, sub) &&
            !strcasecmp(w->fogs[i]->resource_group, rg))
            return true;
    }
    return false;
}

/* Subscription and resource group of the path exist; false after answering 404. */
static bool scope_exists(struct arm_ctx *ctx, const char **segs, int n)
{
    const struct subscription *sub = n >= 2 && strcasecmp(segs[0], "subscriptions") == 0
                                         ? world_subscription(ctx->world, segs[1])
                                         : NULL;
    if (n >= 2 && strcasecmp(segs[0], "subscriptions") == 0 && sub == NULL) {
        arm_error(ctx, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.",
                  segs[1]);
        return false;
    }
    if (sub && strcasecmp(sub->tenant_id, ctx->who.tid) != 0) {
        arm_error(ctx, 401, "InvalidAuthenticationTokenTenant",
                  "The access token is from the wrong issuer '%s'. It must match the tenant "
                  "'https://sts.windows.net/%s/' associated with this subscription.",
                  ctx->who.iss, sub->tenant_id);
        return false;
    }
    if (n >= 4 && strcasecmp(segs[2], "resourceGroups") == 0 &&
        !rg_known(ctx->world, segs[1], segs[3])) {
        arm_error(ctx, 404, "ResourceGroupNotFound", "Resource group '%s' could not be found.",
                  segs[3]);
        return false;
    }
    return true;
}

/* The route for method + path; answers 404/405 itself when there is none. */
static const struct arm_route *route(struct arm_ctx *ctx, const char **segs, int n)
{
    bool path_known = false;
    for (size_t t = 0; t <= sizeof tables / sizeof tables[0]; t++) {
        const struct arm_route *r = t == 0 ? common_routes : tables[t - 1];
        for (; r->method; r++) {
            if (!match(ctx, r->pattern, segs, n))
                continue;
            if (strcmp(r->method, ctx->req->method) == 0)
                return r;
            path_known = true;
        }
    }
    if (path_known)
        arm_error(ctx, 405, "MethodNotAllowed",
                  "The requested resource does not support http method '%s'.", ctx->req->method);
    else
        arm_error(ctx, 404, "InvalidResourceType",
                  "The resource type could not be found for api version '%s' (path '%s').",
                  ctx->api, ctx->req->path);
    return NULL;
}

static bool throttle(struct arm_ctx *ctx, const char **segs, int n)
{
    if (n < 2 || strcasecmp(segs[0], "subscriptions") != 0)
        return true;
    const char *m = ctx->req->method;
    enum bucket_kind kind = strcmp(m, "GET") == 0      ? BUCKET_READ
                            : strcmp(m, "DELETE") == 0 ? BUCKET_DELETE
                                                       : BUCKET_WRITE;
    double left = take_token(&ctx->world->settings, ctx->who.oid, segs[1], kind);
    if (left >= 0) {
        http_resp_header(ctx->resp, bucket_headers[kind], "%d", (int)left);
        return true;
    }
    http_resp_header(ctx->resp, "Retry-After", "%d", (int)-left);
    arm_error(ctx, 429, "SubscriptionRequestsThrottled",
              "Number of '%s' requests for subscription '%s' actor '%s' exceeded. Please try again "
              "after '%d' seconds after additional tokens are available. Refer to "
              "https://aka.ms/arm-throttling",
              bucket_words[kind], segs[1], ctx->who.oid, (int)-left);
    return false;
}

static bool parse_body(struct arm_ctx *ctx)
{
    if (ctx->req->body_too_large) {
        arm_error(ctx, 413, "RequestEntityTooLarge",
                  "The request content size exceeds the maximum allowed size.");
        return false;
    }
    if (ctx->req->body_len == 0)
        return true;
    const char *end = NULL;
    ctx->body = cJSON_ParseWithLengthOpts(ctx->req->body, ctx->req->body_len, &end, false);
    while (ctx->body && end < ctx->req->body + ctx->req->body_len && *end &&
           strchr(" \t\r\n", *end))
        end++;
    if (!cJSON_IsObject(ctx->body) || end != ctx->req->body + ctx->req->body_len) {
        arm_error(ctx, 400, "InvalidRequestContent",
                  "The request content was invalid and could not be deserialized.");
        return false;
    }
    return true;
}

void arm_handle(struct sim *sim, const struct http_req *req, struct http_resp *resp)
{
    struct arm_ctx ctx = {.sim = sim, .world = sim->world, .req = req, .resp = resp};
    char buf[1024];
    const char *segs[24];
    snprintf(ctx.origin, sizeof ctx.origin, "%s", sim->management_resource);
    common_headers(&ctx);
    int n = split(req->path, buf, sizeof buf, segs, 24);
    bool write = strcmp(req->method, "GET") != 0;
    if (!authenticate(&ctx))
        return;
    http_resp_note(resp, "oid=%s", ctx.who.oid);
    ctx.api = http_query(req, "api-version");
    if (ctx.api == NULL) {
        arm_error(&ctx, 400, "MissingApiVersionParameter",
                  "The api-version query parameter (?api-version=) is required for all requests.");
        return;
    }
    if (!api_version_valid(ctx.api)) {
        arm_error(&ctx, 400, "InvalidApiVersionParameter", "The api-version '%.40s' is invalid.",
                  ctx.api);
        return;
    }
    if (!throttle(&ctx, segs, n))
        return;
    /* Operation polls may finish an operation: they change state too. */
    bool poll = n >= 6 && strcasecmp(segs[4], "locations") == 0;
    if (write || poll)
        world_wrlock(sim->world);
    else
        world_rdlock(sim->world);
    ctx.now = simclock_now();
    const struct arm_route *r = NULL;
    if (scope_exists(&ctx, segs, n) && (r = route(&ctx, segs, n)) != NULL &&
        authorize(&ctx, r->action) && parse_body(&ctx)) {
        r->fn(&ctx);
        if (ctx.changed)
            sim_persist(sim);
    }
    world_unlock(sim->world);
    cJSON_Delete(ctx.body);
}
