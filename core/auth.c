#include "auth.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "authcache.h"
#include "authcert.h"
#include "authcli.h"
#include "authentra.h"
#include "authmi.h"
#include "authprov.h"
#include "cloud.h"
#include "loop.h"
#include "xmem.h"

/* After a renewal failed, the old token is handed out without trying again for this long,
 * as the Azure SDKs do: reads do not wait on a failing sign-in, Entra ID is not hammered. */
#define RENEW_HOLD_MS (30 * 1000)
#define TENANT_MAX    128

enum prov { P_SECRET, P_CERT, P_MI, P_CLI, P_COUNT };

static const char *const prov_names[P_COUNT] = {"client secret", "client certificate",
                                                "managed identity", "Azure CLI"};
static const enum auth_mode prov_modes[P_COUNT] = {AUTH_SECRET, AUTH_CERTIFICATE,
                                                   AUTH_MANAGED_IDENTITY, AUTH_CLI};

struct auth_fetch;

struct auth_request {
    struct auth *a;
    struct auth_request *prev, *next;
    struct auth_request **head; /* the list it is on */
    auth_fn fn;
    void *arg;
    uint64_t timer;    /* a delivery decided in auth_token, made from the loop */
    char *token;       /* that delivery's token (secret) */
    enum core_err err; /* or its error */
    char *cause;
};

/* One run of the providers for a token; every request waiting for it. */
struct auth_fetch {
    struct auth_fetch *next;
    struct auth *a;
    char *tenant, *scope;
    char *claims;  /* decoded; NULL when none */
    bool keyed;    /* the cache entry's own fetch (entry->fetch) */
    int prov;      /* the provider being tried */
    void *call;    /* its call handle */
    int attempted; /* providers actually started */
    char *reasons; /* one line per provider that failed or was skipped */
    enum core_err last_err;
    char *last_cause;
    uint64_t start_timer;
    struct auth_request *waiters;
};

struct auth {
    struct loop *loop;
    struct http *http;
    enum auth_mode mode;
    char *tenant_id, *client_id, *client_secret, *certificate_path, *authority;
    char *imds_endpoint, *identity_endpoint, *identity_header, *az_command;
    int64_t cli_timeout_ms, probe_timeout_ms, renew_hold_ms;
    int chosen; /* the provider that served first in the default chain; -1 */
    const char *source;
    struct authcache cache;
    struct auth_fetch *fetches;
    struct auth_request *ready; /* deliveries waiting for their 0 ms timer */
    int depth;                  /* callbacks running */
    bool dying;
};

/* -- requests --------------------------------------------------------------------------------- */

/* Appends r to *head: waiters are answered in the order they asked. */
static void req_link(struct auth_request *r, struct auth_request **head)
{
    struct auth_request *last = *head;
    while (last && last->next)
        last = last->next;
    r->head = head;
    r->next = NULL;
    r->prev = last;
    if (last)
        last->next = r;
    else
        *head = r;
}

static void req_unlink(struct auth_request *r)
{
    if (r->head == NULL)
        return;
    if (r->prev)
        r->prev->next = r->next;
    else
        *r->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->head = NULL;
    r->prev = r->next = NULL;
}

static void req_free(struct auth_request *r)
{
    req_unlink(r);
    if (r->timer)
        loop_timer_cancel(r->a->loop, r->timer);
    authprov_free_secret(r->token);
    free(r->cause);
    free(r);
}

static void auth_free(struct auth *a);

/*
 * Calls back every request on *list (a list local to the caller) with one
 * answer. A callback may cancel others on the list, ask for more tokens, or
 * destroy the auth: then the rest are dropped without a call.
 */
static void deliver(struct auth *a, struct auth_request **list, const char *token,
                    enum core_err err, const char *cause)
{
    a->depth++;
    while (*list && !a->dying) {
        struct auth_request *r = *list;
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): r was unlinked before it was freed */
        req_unlink(r);
        r->fn(err == CORE_OK ? token : NULL, err, err == CORE_OK ? NULL : cause, r->arg);
        req_free(r);
    }
    while (*list)
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): req_free unlinks it from this list */
        req_free(*list);
    if (--a->depth == 0 && a->dying)
        auth_free(a);
}

static void on_ready(struct loop *loop, void *arg)
{
    (void)loop;
    struct auth_request *r = arg;
    struct auth *a = r->a;
    r->timer = 0;
    req_unlink(r);
    struct auth_request *one = NULL;
    req_link(r, &one);
    /* deliver frees r; the token is r's own, so copy what deliver reads first. */
    char *token = r->token, *cause = r->cause;
    r->token = r->cause = NULL;
    deliver(a, &one, token, r->err, cause);
    authprov_free_secret(token);
    free(cause);
}

static struct auth_request *req_new(struct auth *a, auth_fn fn, void *arg)
{
    struct auth_request *r = xcalloc(1, sizeof *r);
    r->a = a;
    r->fn = fn;
    r->arg = arg;
    return r;
}

/* A request answered from the loop's next pass. */
static struct auth_request *req_ready(struct auth *a, auth_fn fn, void *arg, const char *token,
                                      enum core_err err, const char *cause)
{
    struct auth_request *r = req_new(a, fn, arg);
    r->token = xstrdup_or_null(token);
    r->err = err;
    r->cause = xstrdup_or_null(cause);
    req_link(r, &a->ready);
    r->timer = loop_timer(a->loop, 0, on_ready, r);
    return r;
}

/* -- fetches ---------------------------------------------------------------------------------- */

static void fetch_unlist(struct auth_fetch *f)
{
    for (struct auth_fetch **p = &f->a->fetches; *p; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            return;
        }
    }
}

static void prov_cancel(int prov, void *call)
{
    if (call == NULL)
        return;
    if (prov == P_SECRET || prov == P_CERT)
        authentra_cancel(call);
    else if (prov == P_MI)
        authmi_cancel(call);
    else
        authcli_cancel(call);
}

/* Frees f, which is off the auth's list; requests still waiting get no call. */
static void fetch_free(struct auth_fetch *f)
{
    prov_cancel(f->prov, f->call);
    if (f->start_timer)
        loop_timer_cancel(f->a->loop, f->start_timer);
    while (f->waiters)
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): req_free unlinks it from this list */
        req_free(f->waiters);
    free(f->tenant);
    free(f->scope);
    free(f->claims);
    free(f->reasons);
    free(f->last_cause);
    free(f);
}

/* The cache entry f belongs to, unhooked from it (the fetch is ending). */
static struct authcache_entry *fetch_release(struct auth_fetch *f)
{
    fetch_unlist(f);
    struct authcache_entry *e = authcache_find(&f->a->cache, f->tenant, f->scope);
    if (e && e->fetch == f)
        e->fetch = NULL;
    return e;
}

static void fetch_succeed(struct auth_fetch *f, int prov, struct authprov_token *tok)
{
    struct auth *a = f->a;
    if (a->mode == AUTH_DEFAULT && a->chosen < 0)
        a->chosen = prov;
    a->source = prov_names[prov];
    char *token = tok->access_token;
    tok->access_token = NULL;
    struct authcache_entry *e = fetch_release(f);
    if (e == NULL)
        e = authcache_get(&a->cache, f->tenant,
                          f->scope); /* a claims fetch, or forgotten meanwhile */
    authcache_set_token(&a->cache, e, token,
                        loop_now(a->loop) + (tok->expires_on * 1000 - loop_wall(a->loop)),
                        loop_wall(a->loop));
    struct auth_request *list = f->waiters;
    for (struct auth_request *r = list; r; r = r->next)
        r->head = &list;
    f->waiters = NULL;
    fetch_free(f);
    deliver(a, &list, token, CORE_OK, NULL);
    authprov_free_secret(token);
}

static void fetch_fail(struct auth_fetch *f, enum core_err err, const char *cause)
{
    struct auth *a = f->a;
    struct authcache_entry *e = fetch_release(f);
    char *token = NULL;
    if (e && f->keyed && authcache_usable(e, loop_now(a->loop))) {
        token = xstrdup(e->token); /* renewal failed; the old token still has time */
        e->hold_until = loop_now(a->loop) + a->renew_hold_ms;
    }
    if (!a->dying) {
        if (e == NULL)
            e = authcache_get(&a->cache, f->tenant,
                              f->scope); /* a claims fetch: still a failed sign-in */
        authcache_failed(&a->cache, e, err, cause, loop_wall(a->loop));
    }
    char *why = xstrdup_or_null(cause); /* cause may be f's own */
    struct auth_request *list = f->waiters;
    for (struct auth_request *r = list; r; r = r->next)
        r->head = &list;
    f->waiters = NULL;
    fetch_free(f);
    deliver(a, &list, token, token ? CORE_OK : err, why);
    authprov_free_secret(token);
    free(why);
}

/* Records why provider prov did not serve. */
static void fetch_note(struct auth_fetch *f, int prov, enum core_err err, const char *cause)
{
    f->last_err = err;
    xstr_set(&f->last_cause, cause);
    char *lines = xasprintf("%s%s%s: %s", f->reasons ? f->reasons : "", f->reasons ? "\n" : "",
                            prov_names[prov], cause);
    free(f->reasons);
    f->reasons = lines;
}

/* Whether prov takes part in this fetch at all. */
static bool prov_in_play(const struct auth *a, int prov)
{
    if (a->mode != AUTH_DEFAULT)
        return prov_modes[prov] == a->mode;
    return a->chosen < 0 || a->chosen == prov;
}

static void fetch_try(struct auth_fetch *f);

static void on_token(struct authprov_token *tok, enum core_err err, const char *cause, void *arg)
{
    struct auth_fetch *f = arg;
    f->call = NULL;
    if (err == CORE_OK) {
        fetch_succeed(f, f->prov, tok);
        return;
    }
    fetch_note(f, f->prov, err, cause ? cause : core_err_name(err));
    /*
     * A credential that is configured and refused ends the chain, as Azure's
     * DefaultAzureCredential does: falling through would hide a broken secret
     * behind another identity with other rights.
     */
    if (f->a->mode == AUTH_DEFAULT && (f->prov == P_SECRET || f->prov == P_CERT) &&
        err == CORE_ERR_AUTH) {
        char *why = xasprintf("%s: %s (the configured credential was refused; the other "
                              "providers were not tried)",
                              prov_names[f->prov], cause ? cause : core_err_name(err));
        fetch_fail(f, CORE_ERR_AUTH, why);
        free(why);
        return;
    }
    f->prov++;
    fetch_try(f);
}

/* -- providers -------------------------------------------------------------------------------- */

static bool unset(const char *s)
{
    return s == NULL || *s == '\0';
}

/* Why prov cannot run for f (static text), or NULL when it can. */
static const char *prov_missing(const struct auth *a, const struct auth_fetch *f, int prov)
{
    switch (prov) {
    case P_SECRET:
    case P_CERT:
        if (prov == P_SECRET && unset(a->client_secret))
            return "not configured (AZURE_CLIENT_SECRET is not set)";
        if (prov == P_CERT && unset(a->certificate_path))
            return "not configured (AZURE_CLIENT_CERTIFICATE_PATH is not set)";
        if (unset(a->client_id))
            return "not configured (AZURE_CLIENT_ID is not set)";
        if (unset(f->tenant))
            return "not configured (AZURE_TENANT_ID is not set)";
        return NULL;
    case P_CLI:
        return authcli_found(a->az_command) ? NULL : "the az command was not found";
    default:
        return NULL; /* IMDS is always worth asking: the probe says whether it is there */
    }
}

static void *start_entra(struct auth_fetch *f, bool certificate, char **cause)
{
    struct auth *a = f->a;
    struct authentra_request req = {.authority = a->authority,
                                    .tenant = f->tenant,
                                    .client_id = a->client_id,
                                    .scope = f->scope,
                                    .claims = f->claims};
    if (!certificate) {
        req.client_secret = a->client_secret;
        return authentra_send(a->loop, a->http, &req, on_token, f, cause);
    }
    struct authcert *cert = authcert_load(a->certificate_path, cause);
    if (cert == NULL)
        return NULL;
    char *aud = authentra_token_url(a->authority, f->tenant);
    char *assertion = authcert_assertion(cert, a->client_id, aud, loop_wall(a->loop) / 1000, cause);
    authcert_destroy(cert);
    free(aud);
    if (assertion == NULL)
        return NULL;
    req.client_assertion = assertion;
    void *call = authentra_send(a->loop, a->http, &req, on_token, f, cause);
    authprov_free_secret(assertion);
    return call;
}

static void *prov_start(struct auth_fetch *f, int prov, char **cause)
{
    struct auth *a = f->a;
    if (prov == P_SECRET || prov == P_CERT)
        return start_entra(f, prov == P_CERT, cause);
    if (prov == P_MI) {
        char *resource = authprov_scope_resource(f->scope);
        struct authmi_request req = {.imds_endpoint = a->imds_endpoint,
                                     .identity_endpoint = a->identity_endpoint,
                                     .identity_header = a->identity_header,
                                     .client_id = a->client_id,
                                     .resource = resource,
                                     .probe = a->mode == AUTH_DEFAULT && a->chosen < 0,
                                     .probe_timeout_ms = a->probe_timeout_ms};
        void *call = authmi_send(a->loop, a->http, &req, on_token, f);
        free(resource);
        return call;
    }
    struct authcli_request req = {.command = a->az_command,
                                  .scope = f->scope,
                                  .tenant = unset(f->tenant) ? NULL : f->tenant,
                                  .timeout_ms = a->cli_timeout_ms};
    return authcli_run(a->loop, &req, on_token, f, cause);
}

/* Starts the next provider in play from f->prov on; ends the fetch when none is left. */
static void fetch_try(struct auth_fetch *f)
{
    struct auth *a = f->a;
    for (; f->prov < P_COUNT; f->prov++) {
        if (!prov_in_play(a, f->prov))
            continue;
        const char *missing = prov_missing(a, f, f->prov);
        if (missing) {
            fetch_note(f, f->prov, CORE_ERR_CONFIG, missing);
            continue;
        }
        char *cause = NULL;
        f->call = prov_start(f, f->prov, &cause);
        if (f->call) {
            f->attempted++;
            return;
        }
        fetch_note(f, f->prov, CORE_ERR_CONFIG, cause ? cause : "cannot start");
        free(cause);
    }
    if (a->mode != AUTH_DEFAULT || a->chosen >= 0) {
        fetch_fail(f, f->last_err ? f->last_err : CORE_ERR_CONFIG,
                   f->last_cause ? f->last_cause : "no provider");
        return;
    }
    char *cause = xasprintf("%s:\n%s",
                            f->attempted ? "no credential provider could get a token"
                                         : "no credentials are configured",
                            f->reasons ? f->reasons : "");
    fetch_fail(f, f->attempted ? CORE_ERR_AUTH : CORE_ERR_CONFIG, cause);
    free(cause);
}

static void on_start(struct loop *loop, void *arg)
{
    (void)loop;
    struct auth_fetch *f = arg;
    f->start_timer = 0;
    f->prov = 0;
    fetch_try(f);
}

static struct auth_fetch *fetch_new(struct auth *a, const char *tenant, const char *scope,
                                    const char *claims)
{
    struct auth_fetch *f = xcalloc(1, sizeof *f);
    f->a = a;
    f->tenant = xstrdup(tenant);
    f->scope = xstrdup(scope);
    f->claims = claims ? authprov_claims_json(claims) : NULL;
    f->next = a->fetches;
    a->fetches = f;
    /* Providers start from the loop, so even one that fails at once calls back later. */
    f->start_timer = loop_timer(a->loop, 0, on_start, f);
    return f;
}

/* -- the public face -------------------------------------------------------------------------- */

static void from_env(const char **field, const char *name)
{
    const char *v = getenv(name);
    if (*field == NULL && v && *v)
        *field = v;
}

void auth_config_from_env(struct auth_config *c)
{
    from_env(&c->tenant_id, "AZURE_TENANT_ID");
    from_env(&c->client_id, "AZURE_CLIENT_ID");
    from_env(&c->client_secret, "AZURE_CLIENT_SECRET");
    from_env(&c->certificate_path, "AZURE_CLIENT_CERTIFICATE_PATH");
    from_env(&c->authority_host, "AZURE_AUTHORITY_HOST");
    from_env(&c->imds_endpoint, "IMDS_ENDPOINT");
    from_env(&c->imds_endpoint, "AZURE_POD_IDENTITY_AUTHORITY_HOST");
    from_env(&c->identity_endpoint, "IDENTITY_ENDPOINT");
    from_env(&c->identity_header, "IDENTITY_HEADER");
}

/* https://host[:port][/path] without trailing slashes; a bare host gets https:// (heap). */
static char *authority_normalise(const char *given, char **cause)
{
    char *url = strstr(given, "://") ? xstrdup(given) : xasprintf("https://%s", given);
    char *host = NULL, *why = NULL;
    long port;
    if (cloud_https_origin(url, &host, &port, &why) < 0 || strpbrk(url, "?#")) {
        xcause(cause, "authority host %s: %s", given, why ? why : "a query in the URL");
        free(host);
        free(why);
        free(url);
        return NULL;
    }
    free(host);
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
    return url;
}

/* Explicit modes are checked now: a console started with a broken credential says so at once. */
static int check_mode(const struct auth *a, char **cause)
{
    if (a->mode == AUTH_SECRET && (unset(a->client_id) || unset(a->client_secret))) {
        xcause(cause, "client secret authentication needs AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
        return -1;
    }
    if (a->mode == AUTH_CERTIFICATE && (unset(a->client_id) || unset(a->certificate_path))) {
        xcause(cause, "certificate authentication needs AZURE_CLIENT_ID and "
                      "AZURE_CLIENT_CERTIFICATE_PATH");
        return -1;
    }
    if (a->mode == AUTH_CLI && !authcli_found(a->az_command)) {
        xcause(cause, "Azure CLI authentication needs %s on PATH",
               a->az_command ? a->az_command : "az");
        return -1;
    }
    if ((unsigned)a->mode > AUTH_CLI) {
        xcause(cause, "unknown authentication mode %d", (int)a->mode);
        return -1;
    }
    return 0;
}

struct auth *auth_create(struct loop *loop, struct http *http, const struct cloud *cloud,
                         const struct auth_config *config, char **cause)
{
    if (loop == NULL || http == NULL || cloud == NULL || config == NULL) {
        xcause(cause, "auth needs a loop, a transport, a cloud and a configuration");
        return NULL;
    }
    const char *authority =
        unset(config->authority_host) ? cloud->authority_host : config->authority_host;
    char *normal = authority_normalise(authority, cause);
    if (normal == NULL)
        return NULL;
    struct auth *a = xcalloc(1, sizeof *a);
    a->loop = loop;
    a->http = http;
    a->mode = config->mode;
    a->authority = normal;
    a->tenant_id = xstrdup_or_null(config->tenant_id);
    a->client_id = xstrdup_or_null(config->client_id);
    a->client_secret = xstrdup_or_null(config->client_secret);
    a->certificate_path = xstrdup_or_null(config->certificate_path);
    a->imds_endpoint = xstrdup_or_null(config->imds_endpoint);
    a->identity_endpoint = xstrdup_or_null(config->identity_endpoint);
    a->identity_header = xstrdup_or_null(config->identity_header);
    a->az_command = xstrdup_or_null(config->az_command);
    a->chosen = -1;
    a->renew_hold_ms = RENEW_HOLD_MS;
    if (check_mode(a, cause) < 0) {
        auth_free(a);
        return NULL;
    }
    return a;
}

static void auth_free(struct auth *a)
{
    while (a->fetches) {
        struct auth_fetch *f = a->fetches;
        a->fetches = f->next;
        fetch_free(f);
    }
    while (a->ready)
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): req_free unlinks it from this list */
        req_free(a->ready);
    authcache_clear(&a->cache);
    free(a->tenant_id);
    free(a->client_id);
    authprov_free_secret(a->client_secret);
    free(a->certificate_path);
    free(a->authority);
    free(a->imds_endpoint);
    free(a->identity_endpoint);
    authprov_free_secret(a->identity_header);
    free(a->az_command);
    free(a);
}

void auth_destroy(struct auth *a)
{
    if (a == NULL)
        return;
    if (a->depth == 0) {
        auth_free(a);
        return;
    }
    /* Inside a callback: stop everything now, free when the callbacks have returned. */
    a->dying = true;
    while (a->fetches) {
        struct auth_fetch *f = a->fetches;
        a->fetches = f->next;
        fetch_free(f);
    }
    while (a->ready)
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): req_free unlinks it from this list */
        req_free(a->ready);
}

static bool tenant_ok(const char *t)
{
    size_t n = strlen(t);
    if (n > TENANT_MAX)
        return false;
    for (; *t; t++) {
        if (!isalnum((unsigned char)*t) && *t != '-' && *t != '.' && *t != '_')
            return false;
    }
    return true;
}

struct auth_request *auth_token(struct auth *a, const char *tenant, const char *scope,
                                const char *claims, auth_fn fn, void *arg)
{
    if (tenant == NULL || *tenant == '\0')
        tenant = a->tenant_id ? a->tenant_id : "";
    if (unset(scope) || !tenant_ok(tenant) || (scope[0] == '-'))
        return req_ready(a, fn, arg, NULL, CORE_ERR_CONFIG,
                         unset(scope) ? "no token scope" : "the tenant or scope is malformed");
    struct auth_request *r;
    if (!unset(claims)) {
        /* A claims challenge: the cached token is what the service just refused. */
        r = req_new(a, fn, arg);
        req_link(r, &fetch_new(a, tenant, scope, claims)->waiters);
        return r;
    }
    struct authcache_entry *e = authcache_get(&a->cache, tenant, scope);
    int64_t now = loop_now(a->loop);
    if (authcache_fresh(e, now) || (authcache_usable(e, now) && now < e->hold_until))
        return req_ready(a, fn, arg, e->token, CORE_OK, NULL);
    if (e->fetch == NULL) {
        e->fetch = fetch_new(a, tenant, scope, NULL);
        e->fetch->keyed = true;
    }
    r = req_new(a, fn, arg);
    req_link(r, &e->fetch->waiters);
    return r;
}

void auth_cancel(struct auth_request *r)
{
    if (r != NULL)
        req_free(r);
}

void auth_forget(struct auth *a, const char *tenant, const char *scope)
{
    if (tenant == NULL || *tenant == '\0')
        tenant = a->tenant_id ? a->tenant_id : "";
    struct authcache_entry *e = scope ? authcache_find(&a->cache, tenant, scope) : NULL;
    if (e == NULL)
        return;
    authcache_drop_token(e);
    authcache_prune(&a->cache, e);
}

void auth_health(const struct auth *a, struct auth_health *out)
{
    authcache_health(&a->cache, loop_now(a->loop), out);
}

const char *auth_source(const struct auth *a)
{
    return a->source;
}

void auth_set_cli_timeout(struct auth *a, int64_t ms)
{
    a->cli_timeout_ms = ms > 0 ? ms : 0;
}

void auth_set_probe_timeout(struct auth *a, int64_t ms)
{
    a->probe_timeout_ms = ms > 0 ? ms : 0;
}

void auth_set_renew_hold(struct auth *a, int64_t ms)
{
    a->renew_hold_ms = ms >= 0 ? ms : RENEW_HOLD_MS;
}
