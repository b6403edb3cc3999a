#include "listeners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "fault.h"
#include "http.h"
#include "imds.h"
#include "secret.h"
#include "sim.h"
#include "slog.h"
#include "tls.h"
#include "xmem.h"

struct socket {
    struct http_config config;
    struct http_server *server; /* NULL while a refused fault holds it closed */
    int port;
    bool untrusted; /* serving the untrusted twin certificate */
};

struct listeners {
    struct listeners_config config;
    struct socket https, imds, control;
    char **dns_names;          /* owned copy of config.dns_names */
    char *bad_chain, *bad_key; /* made on first need */
};

static int open_socket(struct socket *s, char **cause)
{
    s->config.port = s->port;
    s->server = http_server_start(&s->config, cause);
    if (s->server == NULL)
        return -1;
    s->port = http_server_port(s->server);
    return 0;
}

struct listeners *listeners_start(const struct listeners_config *c, char **cause)
{
    struct listeners *l = xcalloc(1, sizeof *l);
    l->config = *c;
    l->dns_names = xcalloc(c->ndns ? c->ndns : 1, sizeof *l->dns_names);
    for (size_t i = 0; i < c->ndns; i++)
        l->dns_names[i] = xstrdup(c->dns_names[i]);
    l->config.dns_names = (const char *const *)l->dns_names;
    struct http_config base = {.binds = c->binds,
                               .nbinds = c->nbinds,
                               .max_connections = c->max_connections,
                               .max_body = c->max_body,
                               .ctx = c->sim,
                               .log_requests = c->log_requests};
    l->https.config = base;
    l->https.config.name = "https";
    l->https.config.cert_chain_pem = c->chain_pem;
    l->https.config.key_pem = c->key_pem;
    l->https.config.handler = sim_handle;
    l->https.port = c->port;
    if (c->port)
        sim_set_addresses(c->sim, c->port);
    if (open_socket(&l->https, cause) < 0)
        goto fail;
    sim_set_addresses(c->sim, l->https.port);

    l->imds.config = base;
    l->imds.config.name = "imds";
    l->imds.config.max_connections = 64;
    l->imds.config.max_body = 64 * 1024;
    l->imds.config.handler = imds_handle;
    l->imds.port = c->imds_port;
    l->control.config = l->imds.config;
    l->control.config.name = "control";
    l->control.config.binds = NULL; /* loopback only, always */
    l->control.config.nbinds = 0;
    l->control.config.max_body = 1 << 20;
    l->control.config.handler = ctl_handle;
    l->control.port = c->control_port;
    if (open_socket(&l->imds, cause) < 0 || open_socket(&l->control, cause) < 0)
        goto fail;
    return l;
fail:
    listeners_stop(l);
    return NULL;
}

int listeners_port(const struct listeners *l, const char *which)
{
    if (strcmp(which, "imds") == 0)
        return l->imds.port;
    if (strcmp(which, "control") == 0)
        return l->control.port;
    return l->https.port;
}

static void make_untrusted(struct listeners *l)
{
    if (l->bad_chain)
        return;
    char *cause = NULL;
    struct tls_ca *ca = tls_ca_generate("azsim untrusted CA (tls fault)", &cause);
    if (ca == NULL || tls_ca_issue_server(ca, l->config.dns_names, l->config.ndns, &l->bad_chain,
                                          &l->bad_key, &cause) < 0) {
        slog(SLOG_ERROR, "tls fault: cannot make a certificate: %s", cause);
        free(cause);
    }
    tls_ca_destroy(ca);
}

static void reconcile(struct listeners *l, struct socket *s, const char *name, bool tls_capable)
{
    bool refused = fault_listener(name, FAULT_REFUSED);
    bool untrusted = tls_capable && fault_listener(name, FAULT_TLS);
    if (refused) {
        if (s->server) {
            http_server_stop(s->server);
            s->server = NULL;
            slog(SLOG_INFO, "listener %s closed (refused fault)", name);
        }
        return;
    }
    if (s->server && untrusted == s->untrusted)
        return;
    if (untrusted)
        make_untrusted(l);
    http_server_stop(s->server);
    s->server = NULL;
    s->untrusted = untrusted && l->bad_chain;
    s->config.cert_chain_pem = s->untrusted ? l->bad_chain : l->config.chain_pem;
    s->config.key_pem = s->untrusted ? l->bad_key : l->config.key_pem;
    char *cause = NULL;
    if (open_socket(s, &cause) < 0) {
        slog(SLOG_ERROR, "listener %s could not reopen: %s", name, cause);
        free(cause);
        return;
    }
    slog(SLOG_INFO, "listener %s open%s", name,
         s->untrusted ? " with an untrusted certificate" : "");
}

void listeners_reconcile(struct listeners *l)
{
    reconcile(l, &l->https, "https", true);
    reconcile(l, &l->imds, "imds", false);
}

void listeners_stop(struct listeners *l)
{
    if (l == NULL)
        return;
    http_server_stop(l->https.server);
    http_server_stop(l->imds.server);
    http_server_stop(l->control.server);
    for (size_t i = 0; i < l->config.ndns; i++)
        free(l->dns_names[i]);
    free(l->dns_names);
    free(l->bad_chain);
    secret_free_str(l->bad_key);
    free(l);
}
