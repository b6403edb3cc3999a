#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "azure.h"
#include "cloud.h"
#include "engine.h"
#include "http.h"
#include "loop.h"
#include "snapshot.h"
#include "xmem.h"

struct session {
    const struct config *config;
    const struct cloud *cloud;
    struct cloud *custom; /* owned when the cloud is custom */
    struct loop *loop;
    struct http *http;
    struct auth *auth;
    struct azure *az;
    struct engine *engine;
    char *snapshot_path;
    struct engine_fog_target *fogs;
};

static const struct cloud *pick_cloud(struct session *s, const struct config *c, char **cause)
{
    if (c->cloud != CONFIG_CLOUD_CUSTOM) {
        const struct cloud *cloud = cloud_find(config_cloud_name(c->cloud));
        if (cloud == NULL)
            xcause(cause, "unknown cloud %s", config_cloud_name(c->cloud));
        return cloud;
    }
    if (c->authority == NULL || c->arm == NULL || c->vault_resource == NULL) {
        xcause(cause, "a custom cloud needs endpoints.authority, endpoints.arm and "
                      "endpoints.vault_resource");
        return NULL;
    }
    s->custom = cloud_custom(c->authority, c->arm, c->vault_resource, cause);
    return s->custom;
}

static struct http *make_http(struct session *s, const struct config *c,
                              const struct session_options *o, char **cause)
{
    struct http_config hc = {
        .ca_file = c->ca_file,
        .connect_timeout_ms = (long)c->http_connect_timeout_ms,
        .timeout_ms = (long)c->http_timeout_ms,
        .max_response = (size_t)c->http_max_response_bytes,
        .max_buffered = (size_t)c->http_max_buffered_bytes,
        .per_host = (unsigned)c->http_per_host,
        .retry_budget_ms = c->http_retry_budget_ms,
        .read_only = c->read_only,
        .resolve = o->resolve,
    };
    return http_create(s->loop, &hc, cause);
}

static struct auth *make_auth(struct session *s, const struct config *c, char **cause)
{
    struct auth_config ac = {
        .mode = c->auth_mode,
        .tenant_id = c->tenant_id,
        .client_id = c->client_id,
        .certificate_path = c->certificate_path,
    };
    auth_config_from_env(&ac);
    return auth_create(s->loop, s->http, s->cloud, &ac, cause);
}

static void make_engine(struct session *s, const struct config *c, const struct session_options *o)
{
    if (!o->no_snapshot)
        s->snapshot_path = o->snapshot_path ? xstrdup(o->snapshot_path)
                           : c->snapshot    ? snapshot_default_path()
                                            : NULL;
    s->fogs = xcalloc(c->nfogs ? c->nfogs : 1, sizeof *s->fogs);
    for (size_t i = 0; i < c->nfogs; i++) {
        s->fogs[i] = (struct engine_fog_target){c->fogs[i].subscription, c->fogs[i].resource_group,
                                                c->fogs[i].location, c->fogs[i].name};
    }
    struct engine_options eo = {
        .subscriptions = (const char *const *)c->subscriptions,
        .nsubscriptions = c->nsubscriptions,
        .all_subscriptions = c->discover_all_subscriptions,
        .fogs = s->fogs,
        .nfogs = c->nfogs,
        .structure_ms = c->poll_structure_s * 1000,
        .health_ms = c->poll_health_s * 1000,
        .probe_ms = c->poll_probe_s * 1000,
        .jitter_percent = (int)c->poll_jitter_percent,
        .max_requests_per_minute = (unsigned)c->poll_max_rpm,
        .max_in_flight = o->max_in_flight,
        .no_catch_up = o->no_catch_up,
        .snapshot_path = s->snapshot_path,
    };
    s->engine = engine_create(s->loop, s->az, &eo);
}

struct session *session_create(const struct config *c, const struct session_options *o,
                               char **cause)
{
    static const struct session_options none = {0};
    if (o == NULL)
        o = &none;
    struct session *s = xcalloc(1, sizeof *s);
    s->config = c;
    if ((s->cloud = pick_cloud(s, c, cause)) == NULL || (s->loop = loop_create(cause)) == NULL ||
        (s->http = make_http(s, c, o, cause)) == NULL ||
        (s->auth = make_auth(s, c, cause)) == NULL) {
        session_destroy(s);
        return NULL;
    }
    const char *tenant = c->tenant_id ? c->tenant_id : getenv("AZURE_TENANT_ID");
    s->az = azure_create(s->loop, s->http, s->auth, s->cloud, tenant);
    make_engine(s, c, o);
    return s;
}

void session_destroy(struct session *s)
{
    if (s == NULL)
        return;
    engine_destroy(s->engine);
    azure_destroy(s->az);
    auth_destroy(s->auth);
    http_destroy(s->http);
    loop_destroy(s->loop);
    cloud_destroy(s->custom);
    free(s->snapshot_path);
    free(s->fogs);
    free(s);
}

struct loop *session_loop(const struct session *s)
{
    return s->loop;
}

struct http *session_http(const struct session *s)
{
    return s->http;
}

struct auth *session_auth(const struct session *s)
{
    return s->auth;
}

struct azure *session_azure(const struct session *s)
{
    return s->az;
}

struct engine *session_engine(const struct session *s)
{
    return s->engine;
}

const struct cloud *session_cloud(const struct session *s)
{
    return s->cloud;
}
