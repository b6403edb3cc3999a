/*
 * azsim — the Azure emulator tdectl's demo and tests run against.
 * Usage and the scenario format: docs/azsim.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "arm.h"
#include "boot.h"
#include "ctl.h"
#include "ctlclient.h"
#include "fault.h"
#include "http.h"
#include "imds.h"
#include "instance.h"
#include "listeners.h"
#include "maint.h"
#include "persist.h"
#include "sim.h"
#include "simclock.h"
#include "slog.h"
#include "vault.h"
#include "world.h"
#include "xmem.h"

#define MAX_BINDS 4

struct options {
    struct boot_options boot;
    int port, imds_port, control_port;
    const char *binds[MAX_BINDS];
    size_t nbinds;
    double time_scale;
    unsigned max_connections;
    size_t max_body;
    const char *ready_file;
    const char *identity_header;
    const char *control_token;
    bool quiet, verbose, check;
};

static void usage(FILE *out)
{
    fputs("usage: azsim [options]\n"
          "  --scenario FILE|demo   the estate to emulate (default: the built-in demo)\n"
          "  --state DIR            keep state across restarts in DIR (default: memory only)\n"
          "  --port N               HTTPS port, 0 = pick a free one (default 8443)\n"
          "  --imds-port N          managed-identity port (default: HTTPS port + 1; 0 = pick)\n"
          "  --control-port N       control interface port, loopback (default: HTTPS port + 2)\n"
          "  --control-token T      its admin token, 16-64 characters (default: random)\n"
          "  --bind ADDR            address to listen on, repeatable (default 127.0.0.1, ::1)\n"
          "  --dns-suffix S         answer as {vault}.vault.S, login.S (default localhost)\n"
          "  --ca-out FILE          where to write the CA certificate clients must trust\n"
          "  --tls-cert F --tls-key F [--tls-ca F]  serve this certificate instead\n"
          "  --time-scale X         simulated time runs X times real time (default 1)\n"
          "  --max-connections N    concurrent connections per listener (default 512)\n"
          "  --max-body BYTES       largest accepted request body (default 4194304)\n"
          "  --identity-header S    App Service managed-identity secret (default: random)\n"
          "  --ready-file FILE      write ports and addresses as JSON once listening\n"
          "  --check                load the scenario, report, and exit\n"
          "  --quiet | --verbose    less or more logging on stderr\n"
          "  --help, --version\n"
          "commands: azsim fault|clock|model ... (azsim fault --help)\n",
          out);
}

static bool parse_number(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    enum {
        O_SCEN = 256,
        O_STATE,
        O_PORT,
        O_IMDS,
        O_CTLPORT,
        O_CTLTOKEN,
        O_BIND,
        O_SUFFIX,
        O_CA,
        O_CERT,
        O_KEY,
        O_TLSCA,
        O_SCALE,
        O_MAXCONN,
        O_BODY,
        O_IDH,
        O_READY,
        O_CHECK,
        O_QUIET,
        O_VERBOSE,
        O_HELP,
        O_VERSION
    };
    static const struct option longopts[] = {{"scenario", 1, 0, O_SCEN},
                                             {"state", 1, 0, O_STATE},
                                             {"port", 1, 0, O_PORT},
                                             {"imds-port", 1, 0, O_IMDS},
                                             {"control-port", 1, 0, O_CTLPORT},
                                             {"control-token", 1, 0, O_CTLTOKEN},
                                             {"bind", 1, 0, O_BIND},
                                             {"dns-suffix", 1, 0, O_SUFFIX},
                                             {"ca-out", 1, 0, O_CA},
                                             {"tls-cert", 1, 0, O_CERT},
                                             {"tls-key", 1, 0, O_KEY},
                                             {"tls-ca", 1, 0, O_TLSCA},
                                             {"time-scale", 1, 0, O_SCALE},
                                             {"max-connections", 1, 0, O_MAXCONN},
                                             {"max-body", 1, 0, O_BODY},
                                             {"identity-header", 1, 0, O_IDH},
                                             {"ready-file", 1, 0, O_READY},
                                             {"check", 0, 0, O_CHECK},
                                             {"quiet", 0, 0, O_QUIET},
                                             {"verbose", 0, 0, O_VERBOSE},
                                             {"help", 0, 0, O_HELP},
                                             {"version", 0, 0, O_VERSION},
                                             {0, 0, 0, 0}};
    long n;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_SCEN:
            o->boot.scenario = optarg;
            break;
        case O_STATE:
            o->boot.state_dir = optarg;
            break;
        case O_SUFFIX:
            o->boot.dns_suffix = optarg;
            break;
        case O_CA:
            o->boot.ca_out = optarg;
            break;
        case O_CERT:
            o->boot.tls_cert = optarg;
            break;
        case O_KEY:
            o->boot.tls_key = optarg;
            break;
        case O_TLSCA:
            o->boot.tls_ca = optarg;
            break;
        case O_READY:
            o->ready_file = optarg;
            break;
        case O_IDH:
            o->identity_header = optarg;
            break;
        case O_CHECK:
            o->check = true;
            break;
        case O_QUIET:
            o->quiet = true;
            break;
        case O_VERBOSE:
            o->verbose = true;
            break;
        case O_PORT:
        case O_IMDS:
        case O_CTLPORT:
            if (!parse_number(optarg, 0, 65535, &n))
                goto bad;
            *(c == O_PORT ? &o->port : c == O_IMDS ? &o->imds_port : &o->control_port) = (int)n;
            break;
        case O_CTLTOKEN:
            if (strlen(optarg) < 16 || strlen(optarg) > 64)
                goto bad;
            o->control_token = optarg;
            break;
        case O_BIND:
            if (o->nbinds == MAX_BINDS)
                goto bad;
            o->binds[o->nbinds++] = optarg;
            break;
        case O_SCALE: {
            char *end;
            o->time_scale = strtod(optarg, &end);
            if (*end || o->time_scale <= 0 || o->time_scale > 1e6)
                goto bad;
            break;
        }
        case O_MAXCONN:
            if (!parse_number(optarg, 1, 10000, &n))
                goto bad;
            o->max_connections = (unsigned)n;
            break;
        case O_BODY:
            if (!parse_number(optarg, 1024, 1L << 30, &n))
                goto bad;
            o->max_body = (size_t)n;
            break;
        case O_HELP:
            usage(stdout);
            exit(0);
        case O_VERSION:
            puts("azsim 0.1.0");
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind == argc)
        return 0;
bad:
    fprintf(stderr, "azsim: invalid option or value%s%s\n", optarg ? ": " : "",
            optarg ? optarg : "");
    usage(stderr);
    return -1;
}

static void print_banner(const struct sim *sim, const struct boot_tls *tls,
                         const struct listeners *l, const struct options *o)
{
    const struct world *w = sim->world;
    int imds_port = listeners_port(l, "imds");
    printf("azsim listening on port %d: scenario \"%s\" (%zu vaults, %zu instances, %zu "
           "principals)%s\n",
           sim->port, w->name, w->nvaults, w->ninstances, w->nprincipals,
           tls->from_state ? ", resumed from state" : "");
    printf("  CA certificate  %s\n", tls->ca_path ? tls->ca_path : "(given with --tls-cert)");
    for (size_t i = 0; i < w->ntenants; i++)
        printf("  Entra ID        %s/%s  (tenant %s)\n", sim->authority, w->tenants[i].id,
               w->tenants[i].name);
    printf("  ARM             %s\n", sim->management_resource);
    for (size_t i = 0; i < w->nvaults; i++) {
        const struct vault *v = w->vaults[i];
        char *url = sim_vault_url(sim, v->name);
        printf("  vault           %s  (%s, %s, purge protection %s)\n", url, v->region, v->sku,
               v->purge_protection ? "on" : "off");
        free(url);
    }
    for (size_t i = 0; i < w->ninstances; i++)
        printf("  managed instance %s  (%s, %zu databases)\n", w->instances[i]->name,
               w->instances[i]->region, w->instances[i]->ndbs);
    printf("  managed identity http://localhost:%d  (IDENTITY_HEADER for /msi/token: %s)\n",
           imds_port, imds_identity_header());
    printf("  control         http://127.0.0.1:%d  (token %s; azsim fault|clock|model)\n",
           listeners_port(l, "control"), ctl_token());
    printf("  state           %s\n",
           o->boot.state_dir ? o->boot.state_dir : "in memory (--state DIR keeps it)");
    printf("Environment for the Azure SDKs:\n");
    printf("  export AZURE_AUTHORITY_HOST=%s\n", sim->authority);
    if (w->ntenants)
        printf("  export AZURE_TENANT_ID=%s\n", w->tenants[0].id);
    printf("  export REQUESTS_CA_BUNDLE=%s SSL_CERT_FILE=%s\n", tls->ca_path ? tls->ca_path : "",
           tls->ca_path ? tls->ca_path : "");
    printf("  export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://localhost:%d\n", imds_port);
    for (size_t i = 0; i < w->nprincipals; i++) {
        const struct principal *p = &w->principals[i];
        printf("  principal %-16s client id %s (%s)\n", p->name, p->client_id,
               p->kind == PRINCIPAL_APP ? "secret or certificate: see the scenario file"
                                        : "managed identity");
    }
    fflush(stdout);
}

static int write_ready_file(const char *path, const struct sim *sim, const struct boot_tls *tls,
                            const struct listeners *l)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "pid", (double)getpid());
    cJSON_AddNumberToObject(j, "port", sim->port);
    cJSON_AddNumberToObject(j, "imds_port", listeners_port(l, "imds"));
    cJSON_AddNumberToObject(j, "control_port", listeners_port(l, "control"));
    cJSON_AddStringToObject(j, "control_token", ctl_token());
    cJSON_AddStringToObject(j, "ca_file", tls->ca_path ? tls->ca_path : "");
    cJSON_AddStringToObject(j, "dns_suffix", sim->dns_suffix);
    cJSON_AddStringToObject(j, "authority", sim->authority);
    cJSON_AddStringToObject(j, "vault_resource", sim->vault_resource);
    cJSON_AddStringToObject(j, "management_resource", sim->management_resource);
    cJSON_AddStringToObject(j, "management_url", sim->management_resource);
    cJSON_AddStringToObject(j, "identity_header", imds_identity_header());
    cJSON *vaults = cJSON_AddObjectToObject(j, "vaults");
    for (size_t i = 0; i < sim->world->nvaults; i++) {
        char *url = sim_vault_url(sim, sim->world->vaults[i]->name);
        cJSON_AddStringToObject(vaults, sim->world->vaults[i]->name, url);
        free(url);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); /* holds the admin token */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int rc = -1;
    if (f) {
        bool written = fputs(text, f) >= 0;
        if (fclose(f) == 0 && written)
            rc = rename(tmp, path);
    }
    free(tmp);
    free(text);
    return rc;
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char raw[32];
    if (bytes > sizeof raw || RAND_bytes(raw, (int)bytes) != 1)
        abort();
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Waits for SIGINT/SIGTERM, running maintenance about once a second. */
static void serve(struct sim *sim, struct listeners *l, const sigset_t *signals)
{
    struct timespec second = {1, 0};
    for (;;) {
        siginfo_t info;
        int sig = sigtimedwait(signals, &info, &second);
        if (sig == SIGINT || sig == SIGTERM) {
            slog(SLOG_INFO, "signal %d: shutting down", sig);
            return;
        }
        maint_tick(sim);
        listeners_reconcile(l);
    }
}

static struct listeners *start_listeners(struct sim *sim, const struct options *o,
                                         const struct boot_tls *tls)
{
    const char *s = sim->dns_suffix;
    char *names[] = {xstrdup(s), xasprintf("*.vault.%s", s), xasprintf("login.%s", s),
                     xasprintf("management.%s", s)};
    struct listeners_config c = {
        .sim = sim,
        .binds = o->nbinds ? o->binds : NULL,
        .nbinds = o->nbinds,
        .port = o->port,
        .imds_port = o->imds_port >= 0 ? o->imds_port : (o->port ? o->port + 1 : 0),
        .control_port = o->control_port >= 0 ? o->control_port : (o->port ? o->port + 2 : 0),
        .max_connections = o->max_connections,
        .max_body = o->max_body,
        .log_requests = !o->quiet,
        .chain_pem = tls->chain_pem,
        .key_pem = tls->key_pem,
        .dns_names = (const char *const *)names,
        .ndns = 4,
    };
    char *cause = NULL;
    struct listeners *l = listeners_start(&c, &cause);
    if (l == NULL) {
        fprintf(stderr, "azsim: %s\n", cause);
        free(cause);
    }
    for (size_t i = 0; i < 4; i++)
        free(names[i]);
    return l;
}

int main(int argc, char **argv)
{
    if (ctlclient_wants(argc, argv))
        return ctlclient_main(argc, argv);
    struct options o = {.port = 8443,
                        .imds_port = -1,
                        .control_port = -1,
                        .time_scale = 1.0,
                        .max_connections = 512,
                        .max_body = 4u << 20};
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    if (o.check)
        o.boot.state_dir = NULL; /* --check validates the scenario and writes nothing */
    slog_set_level(o.verbose ? SLOG_DEBUG : o.quiet ? SLOG_WARN : SLOG_INFO);
    simclock_init(o.time_scale);

    struct sim sim = {.dns_suffix = xstrdup(o.boot.dns_suffix ? o.boot.dns_suffix : "localhost"),
                      .max_body = o.max_body};
    sim.state_dir = o.boot.state_dir ? xstrdup(o.boot.state_dir) : NULL;
    struct boot_tls tls = {0};
    char *cause = NULL;
    int status = 1;
    struct listeners *l = NULL;

    if (boot_world(&sim, &o.boot, &tls, &cause) < 0) {
        fprintf(stderr, "azsim: %s\n", cause);
        goto out;
    }
    if (o.check) {
        printf("scenario \"%s\" is valid: %zu regions, %zu tenants, %zu principals, %zu vaults, "
               "%zu instances\n",
               sim.world->name, sim.world->nregions, sim.world->ntenants, sim.world->nprincipals,
               sim.world->nvaults, sim.world->ninstances);
        status = 0;
        goto out;
    }
    if (boot_tls(&sim, &o.boot, &tls, &cause) < 0) {
        fprintf(stderr, "azsim: %s\n", cause);
        goto out;
    }
    char header[33], token[65];
    random_hex(header, 16);
    random_hex(token, 32);
    imds_set_identity_header(o.identity_header ? o.identity_header : header);
    ctl_set_token(o.control_token ? o.control_token : token);
    fault_init(&sim);

    /* Signals are taken synchronously by the main thread; workers inherit the mask. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    /* Every instance has checked its key once before anyone can read the model or
     * the clock: as with Azure, the last check is never later than "now". */
    maint_tick(&sim);
    if ((l = start_listeners(&sim, &o, &tls)) == NULL)
        goto out;
    if (o.ready_file && write_ready_file(o.ready_file, &sim, &tls, l) < 0) {
        fprintf(stderr, "azsim: cannot write %s\n", o.ready_file);
        goto out;
    }
    print_banner(&sim, &tls, l, &o);
    serve(&sim, l, &signals);
    status = 0;
out:
    /* Clearing first puts back what state faults changed (so it is not persisted)
     * and releases connections a blackhole holds (so the listeners stop promptly). */
    if (sim.world)
        fault_release_all();
    listeners_stop(l);
    fault_shutdown();
    arm_shutdown();
    if (sim.world && sim.state_dir) {
        world_wrlock(sim.world);
        sim_persist(&sim);
        world_unlock(sim.world);
    }
    free(cause);
    boot_tls_cleanup(&tls);
    sim_cleanup(&sim);
    return status;
}
