#include "doctor.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "authcli.h"
#include "clisession.h"
#include "cloud.h"
#include "config.h"
#include "doctorjudge.h"
#include "doctorreport.h"
#include "engine.h"
#include "http.h"
#include "loop.h"
#include "session.h"
#include "xmem.h"

#define DEFAULT_TIMEOUT_S 60
#define CA_FILE_MAX       (1024 * 1024)

struct doctor_opts {
    const char *config;
    bool json;
    long timeout_s;
};

struct doctor;

/* One timed request: to an endpoint (authority, ARM) or a vault. */
struct probe {
    struct doctor *d;
    const char *check; /* static */
    char *subject;
    char *host;
    struct http_call *call;
    bool clock; /* its Date header is the clock check */
};

struct doctor {
    const struct doctor_opts *o;
    struct clisession *cs;
    const struct config *cfg;
    struct auth_config ac;
    struct session *s;
    struct loop *loop;
    struct doctorreport *rep;
    struct auth_request *tok;
    int64_t tok_start;
    char *oid;
    bool arm_token;
    bool auth_done, engine_started, sweep_done;
    struct probe **probes;
    size_t nprobes;
    size_t pending;
};

/* The order of the report: configuration, identity, network, estate. */
static const char *const check_order[] = {
    "config", "config.ca_file", "auth.credential",     "auth.token",    "endpoint.network",
    "clock",  "discovery",      "subscription.access", "vault.network", "vault.access",
    NULL,
};

static void usage(FILE *out)
{
    fputs("usage: tdectl doctor [--json] [--config FILE] [--timeout SECONDS]\n"
          "  checks tdectl's own ability to do its job (credentials, tokens, network, TLS,\n"
          "  clock, permissions) and says what to fix; never writes to Azure\n"
          "  exit status: 0 all OK, 1 warnings only, 2 something failed\n"
          "  --json         the result as JSON (tdectl.doctor/v1, docs/monitoring.md)\n"
          "  --config FILE  the configuration file (as for the console)\n"
          "  --timeout S    give up waiting after S seconds (default 60)\n",
          out);
}

static int parse(int argc, char **argv, struct doctor_opts *o)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jc:t:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 't':
            o->timeout_s = strtol(optarg, &end, 10);
            if (*end || o->timeout_s < 1 || o->timeout_s > 3600) {
                fprintf(stderr, "tdectl doctor: --timeout takes 1 to 3600 seconds\n");
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tdectl doctor: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    return 0;
}

static void maybe_finish(struct doctor *d)
{
    if (d->auth_done && (!d->engine_started || d->sweep_done) && d->pending == 0)
        loop_stop(d->loop);
}

/* ---- configuration, read before anything is sent ---- */

static void check_ca_file(struct doctor *d)
{
    const char *path = d->cfg->ca_file;
    if (path == NULL) {
        doctorreport_add(d->rep, "config.ca_file", NULL, DOCTOR_OK, "not set: the system's CAs",
                         NULL);
        return;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        char *fix = xasprintf("make %s readable by this user, or fix ca_file", path);
        char *detail = xasprintf("%s cannot be read", path);
        doctorreport_add(d->rep, "config.ca_file", NULL, DOCTOR_FAIL, detail, fix);
        free(detail);
        free(fix);
        return;
    }
    char *buf = xcalloc(CA_FILE_MAX + 1, 1);
    size_t n = fread(buf, 1, CA_FILE_MAX, f);
    fclose(f);
    size_t certs = 0;
    for (const char *p = buf; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
        certs++;
    free(buf);
    char *detail = xasprintf("%s: readable, %zu certificate%s (%zu bytes)", path, certs,
                             certs == 1 ? "" : "s", n);
    doctorreport_add(d->rep, "config.ca_file", NULL, certs ? DOCTOR_OK : DOCTOR_FAIL, detail,
                     "ca_file holds no PEM certificate: point it at the CA certificate file");
    free(detail);
}

static void check_config(struct doctor *d)
{
    const struct cloud *c = session_cloud(d->s);
    char *detail =
        xasprintf("cloud %s (%s): authority %s, ARM %s, vaults https://NAME.%s; "
                  "read-only forced",
                  config_cloud_name(d->cfg->cloud), d->cfg->origin ? d->cfg->origin : "no file",
                  c->authority_host, c->arm_endpoint, c->vault_suffix);
    doctorreport_add(d->rep, "config", NULL, DOCTOR_OK, detail, NULL);
    free(detail);
    check_ca_file(d);
    char *fix = NULL;
    enum doctor_level level =
        doctorjudge_credentials(&d->ac, authcli_found(d->ac.az_command), &detail, &fix);
    doctorreport_add(d->rep, "auth.credential", NULL, level, detail, fix);
    free(detail);
    free(fix);
}

/* ---- timed probes ---- */

static void judge_clock(struct probe *p, const struct http_result *res)
{
    struct doctor *d = p->d;
    int64_t skew = 0;
    if (res->err != CORE_OK) {
        doctorreport_add(d->rep, "clock", "arm", DOCTOR_WARN, "not checked: ARM did not answer",
                         "see the endpoint.network line of arm");
        return;
    }
    if (doctorjudge_date_skew(res->date, loop_wall(d->loop) / 1000, &skew) < 0) {
        doctorreport_add(d->rep, "clock", "arm", DOCTOR_WARN,
                         "not checked: ARM's answer had no usable Date header",
                         "check for a proxy that rewrites headers");
        return;
    }
    enum doctor_level level = doctorjudge_skew(skew);
    char *detail =
        skew == 0
            ? xasprintf("local clock agrees with ARM's Date (to the second)")
            : xasprintf("local clock %s ARM's Date by %lld s (warn over %d s, fail over %d s)",
                        skew > 0 ? "behind" : "ahead of", (long long)(skew < 0 ? -skew : skew),
                        DOCTOR_SKEW_WARN_S, DOCTOR_SKEW_FAIL_S);
    struct doctor_check *c = doctorreport_add(
        d->rep, "clock", "arm", level, detail,
        "set the clock right (NTP: timedatectl set-ntp true); tokens are checked against it");
    doctorreport_figure(c, "skew_s", (double)skew);
    free(detail);
}

static void on_probe(struct http_result *res, void *arg)
{
    struct probe *p = arg;
    struct doctor *d = p->d;
    p->call = NULL;
    char *detail = NULL, *fix = NULL;
    enum doctor_level level = doctorjudge_network(res, p->host, d->cfg->ca_file, &detail, &fix);
    struct doctor_check *c = doctorreport_add(d->rep, p->check, p->subject, level, detail, fix);
    if (res->timing.total_us >= 0) {
        doctorreport_figure(c, "dns_ms", (double)res->timing.dns_us / 1000.0);
        doctorreport_figure(c, "connect_ms", (double)res->timing.connect_us / 1000.0);
        doctorreport_figure(c, "tls_ms", (double)res->timing.tls_us / 1000.0);
        doctorreport_figure(c, "total_ms", (double)res->timing.total_us / 1000.0);
    }
    free(detail);
    free(fix);
    if (p->clock)
        judge_clock(p, res);
    d->pending--;
    maybe_finish(d);
}

/* A GET of url on a connection of its own, without a token: any answer proves the path. */
static void probe_start(struct doctor *d, const char *check, const char *subject, const char *url,
                        bool clock)
{
    struct probe *p = xcalloc(1, sizeof *p);
    *p = (struct probe){.d = d, .check = check, .subject = xstrdup(subject), .clock = clock};
    long port = 0;
    char *cause = NULL;
    if (cloud_https_origin(url, &p->host, &port, &cause) < 0) {
        free(cause);
        p->host = xstrdup(url);
    }
    d->probes = xrealloc(d->probes, d->nprobes + 1, sizeof *d->probes);
    d->probes[d->nprobes++] = p;
    struct http_request req = {.method = "GET", .url = url, .fresh_connection = true};
    d->pending++;
    p->call = http_send(session_http(d->s), &req, on_probe, p);
}

static void endpoint_probes(struct doctor *d)
{
    const struct cloud *c = session_cloud(d->s);
    const char *tenant = d->ac.tenant_id && *d->ac.tenant_id ? d->ac.tenant_id : "organizations";
    char *url = xasprintf("%s/%s/v2.0/.well-known/openid-configuration", c->authority_host, tenant);
    probe_start(d, "endpoint.network", "authority", url, false);
    free(url);
    url = xasprintf("%s/subscriptions?api-version=2022-12-01", c->arm_endpoint);
    probe_start(d, "endpoint.network", "arm", url, true);
    free(url);
}

/* ---- the estate: discovery, subscriptions, vaults ---- */

static void judge_model(struct doctor *d, bool complete)
{
    const struct model *m = engine_model(session_engine(d->s));
    struct engine_stats es = engine_stats(session_engine(d->s));
    enum doctor_level level = !complete                                              ? DOCTOR_FAIL
                              : es.failures || m->ninstances == 0 || m->nvaults == 0 ? DOCTOR_WARN
                                                                                     : DOCTOR_OK;
    char *detail = xasprintf("%s: %zu subscription%s, %zu instance%s, %zu vault%s; %llu reads, "
                             "%llu failed",
                             complete ? "full sweep ended" : "the sweep did not end in time",
                             m->nsubs, m->nsubs == 1 ? "" : "s", m->ninstances,
                             m->ninstances == 1 ? "" : "s", m->nvaults, m->nvaults == 1 ? "" : "s",
                             (unsigned long long)es.requests, (unsigned long long)es.failures);
    const char *fix = !complete ? "raise --timeout, or see the lines below for what is slow"
                      : es.failures
                          ? "some reads failed: see the subscription and vault lines below "
                            "(tdectl check names each)"
                          : "nothing found: check the subscriptions in the configuration (or "
                            "discover_all_subscriptions) and that this principal can read them";
    struct doctor_check *c = doctorreport_add(d->rep, "discovery", NULL, level, detail, fix);
    doctorreport_figure(c, "duration_ms", (double)es.last_sweep_ms);
    free(detail);
    for (size_t i = 0; i < m->nsubs; i++) {
        char *fx = NULL;
        level = doctorjudge_subscription(m->subs[i], d->oid, &detail, &fx);
        doctorreport_add(d->rep, "subscription.access", m->subs[i]->id, level, detail, fx);
        free(detail);
        free(fx);
    }
    for (size_t i = 0; i < m->nvaults; i++) {
        const struct model_vault *v = m->vaults[i];
        char *fx = NULL;
        level = doctorjudge_vault(v, d->oid, &detail, &fx);
        doctorreport_add(d->rep, "vault.access", v->name, level, detail, fx);
        free(detail);
        free(fx);
    }
}

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    struct doctor *d = arg;
    if (kind != ENGINE_SWEEP_FULL || d->sweep_done)
        return;
    d->sweep_done = true;
    judge_model(d, true);
    const struct model *m = engine_model(e);
    for (size_t i = 0; i < m->nvaults; i++) {
        const struct model_vault *v = m->vaults[i];
        if (v->deleted || v->uri == NULL)
            continue;
        char *url = xasprintf("%s/keys?api-version=7.4", v->uri);
        probe_start(d, "vault.network", v->name, url, false);
        free(url);
    }
    maybe_finish(d);
}

/* ---- tokens ---- */

static void token_check(struct doctor *d, const char *audience, const char *scope,
                        enum core_err err, const char *cause)
{
    double ms = (double)(loop_now(d->loop) - d->tok_start);
    char *detail = err == CORE_OK ? xasprintf("token for %s in %.0f ms", scope, ms)
                                  : xasprintf("no token for %s: %s", scope,
                                              cause ? cause : core_err_name(err));
    char *fix = err == CORE_OK ? NULL
                               : doctorjudge_token_fix(err, cause, &d->ac,
                                                       session_cloud(d->s)->authority_host);
    struct doctor_check *c = doctorreport_add(
        d->rep, "auth.token", audience, err == CORE_OK ? DOCTOR_OK : DOCTOR_FAIL, detail, fix);
    doctorreport_figure(c, "latency_ms", ms);
    free(detail);
    free(fix);
}

static void on_vault_token(const char *token, enum core_err err, const char *cause, void *arg)
{
    struct doctor *d = arg;
    (void)token;
    d->tok = NULL;
    token_check(d, "key vault", session_cloud(d->s)->vault_scope, err, cause);
    const char *source = auth_source(session_auth(d->s));
    doctorreport_principal(d->rep, d->oid, source);
    d->auth_done = true;
    if (d->arm_token) {
        engine_on_sweep(session_engine(d->s), on_sweep, d);
        engine_start(session_engine(d->s));
        d->engine_started = true;
    } else {
        doctorreport_add(d->rep, "discovery", NULL, DOCTOR_FAIL, "not run: no token for ARM",
                         "fix the auth.token line of arm first");
    }
    maybe_finish(d);
}

static void on_arm_token(const char *token, enum core_err err, const char *cause, void *arg)
{
    struct doctor *d = arg;
    d->tok = NULL;
    token_check(d, "arm", session_cloud(d->s)->arm_scope, err, cause);
    if (err == CORE_OK) {
        d->arm_token = true;
        d->oid = doctorjudge_jwt_claim(token, "oid");
    }
    d->tok_start = loop_now(d->loop);
    d->tok = auth_token(session_auth(d->s), NULL, session_cloud(d->s)->vault_scope, NULL,
                        on_vault_token, d);
}

static void on_deadline(struct loop *loop, void *arg)
{
    (void)arg;
    loop_stop(loop);
}

/* What never finished before the deadline. */
static void report_unfinished(struct doctor *d)
{
    char *why = xasprintf("no answer within --timeout %ld s", d->o->timeout_s);
    if (!d->auth_done)
        doctorreport_add(d->rep, "auth.token", d->arm_token ? "key vault" : "arm", DOCTOR_FAIL, why,
                         "see the endpoint.network lines; raise --timeout");
    if (d->engine_started && !d->sweep_done)
        judge_model(d, false);
    for (size_t i = 0; i < d->nprobes; i++) {
        struct probe *p = d->probes[i];
        if (p->call)
            doctorreport_add(d->rep, p->check, p->subject, DOCTOR_FAIL, why,
                             "check the network path (a firewall that drops packets, a proxy)");
    }
    free(why);
}

static int run(struct doctor *d)
{
    char *cause = NULL;
    if (clisession_start(d->cs, &cause) < 0) {
        doctorreport_add(d->rep, "config", NULL, DOCTOR_FAIL, cause ? cause : "cannot start",
                         "fix the configuration (tdectl info shows every value in use)");
        free(cause);
        return -1;
    }
    d->s = d->cs->s;
    d->loop = session_loop(d->s);
    check_config(d);
    endpoint_probes(d);
    d->tok_start = loop_now(d->loop);
    d->tok =
        auth_token(session_auth(d->s), NULL, session_cloud(d->s)->arm_scope, NULL, on_arm_token, d);
    loop_timer(d->loop, d->o->timeout_s * 1000, on_deadline, NULL);
    loop_run(d->loop);
    report_unfinished(d);
    return 0;
}

static int finish(struct doctor *d)
{
    doctorreport_sort(d->rep, check_order);
    char *out = d->o->json ? doctorreport_json(d->rep, loop_wall(d->loop), TDECTL_VERSION)
                           : doctorreport_text(d->rep);
    fputs(out, stdout);
    free(out);
    int status = doctorreport_exit(d->rep);
    return fflush(stdout) == 0 ? status : 2;
}

static void doctor_cleanup(struct doctor *d)
{
    auth_cancel(d->tok);
    clisession_cleanup(d->cs); /* cancels every probe still out: no callback runs */
    for (size_t i = 0; i < d->nprobes; i++) {
        free(d->probes[i]->subject);
        free(d->probes[i]->host);
        free(d->probes[i]);
    }
    free(d->probes);
    free(d->oid);
    doctorreport_destroy(d->rep);
}

int doctor_main(int argc, char **argv)
{
    struct doctor_opts o = {.timeout_s = DEFAULT_TIMEOUT_S};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    /* doctor never writes, whatever the file says */
    struct clisession_options co = {.config_path = o.config, .read_only = true};
    struct clisession cs;
    char *cause = NULL;
    struct doctor d = {.o = &o, .cs = &cs, .cfg = &cs.cfg, .rep = doctorreport_create()};
    if (clisession_load(&cs, &co, &cause) < 0) {
        doctorreport_add(d.rep, "config", NULL, DOCTOR_FAIL, cause,
                         "fix the configuration file (tdectl info shows where it is read from)");
        free(cause);
    } else {
        d.ac = (struct auth_config){.mode = cs.cfg.auth_mode,
                                    .tenant_id = cs.cfg.tenant_id,
                                    .client_id = cs.cfg.client_id,
                                    .certificate_path = cs.cfg.certificate_path};
        auth_config_from_env(&d.ac);
        run(&d);
    }
    rc = finish(&d);
    doctor_cleanup(&d); /* the session and the configuration too */
    return rc;
}
