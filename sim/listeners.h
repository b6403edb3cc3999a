/*
 * listeners — azsim's three listening sockets and the faults that act on a
 * whole socket:
 *   https    the emulated Azure (Key Vault, Entra ID, ARM)
 *   imds     the managed-identity endpoint (plain HTTP)
 *   control  the control interface (plain HTTP, loopback, admin token)
 * A "refused" fault on listener:https or listener:imds really closes the
 * socket (clients get connection refused) until it is cleared; a "tls" fault
 * on listener:https serves a certificate from a CA nobody trusts, so every
 * client's verification fails as it would against a man in the middle.
 */
#ifndef AZSIM_LISTENERS_H
#define AZSIM_LISTENERS_H

#include <stdbool.h>
#include <stddef.h>

struct sim;
struct listeners;

struct listeners_config {
    struct sim *sim;
    const char *const *binds; /* NULL: 127.0.0.1 and ::1 */
    size_t nbinds;
    int port, imds_port, control_port; /* 0: pick a free one */
    unsigned max_connections;
    size_t max_body;
    bool log_requests;
    const char *chain_pem, *key_pem; /* the server certificate */
    const char *const *dns_names;    /* what it is for (to issue an untrusted twin); copied */
    size_t ndns;
};

struct listeners *listeners_start(const struct listeners_config *config, char **cause);
/* "https", "imds" or "control". */
int listeners_port(const struct listeners *l, const char *which);
/* Applies listener faults: closes or reopens sockets, swaps certificates. */
void listeners_reconcile(struct listeners *l);
void listeners_stop(struct listeners *l);

#endif
