/*
 * boot — azsim's start: the world (from --state, a scenario file or the
 * embedded demo), the secrets that must survive a restart when there is a
 * state folder (backup-sealing master key, token signing key, CA), and the
 * server certificate for the names azsim answers to.
 */
#ifndef AZSIM_BOOT_H
#define AZSIM_BOOT_H

#include <stdbool.h>
#include <stddef.h>

struct sim;

struct boot_options {
    const char *scenario; /* file, or NULL/"demo" for the embedded demo */
    const char *state_dir;
    const char *dns_suffix;
    const char *ca_out;   /* where to write the CA certificate */
    const char *tls_cert; /* serve these instead of issuing our own */
    const char *tls_key;
    const char *tls_ca;
};

struct boot_tls {
    char *chain_pem;
    char *key_pem;
    char *ca_path;   /* the CA file clients should trust (heap) */
    bool from_state; /* the world was loaded from the state folder */
};

/* The embedded demo scenario (sim/scenarios/demo.json, built in). */
extern const char azsim_demo_scenario[];
extern const size_t azsim_demo_scenario_len;

/* Loads the world and secrets into sim; -1 with *cause on any problem. */
int boot_world(struct sim *sim, const struct boot_options *o, struct boot_tls *tls, char **cause);
/* Issues (or loads) the server certificate and writes the CA file. */
int boot_tls(struct sim *sim, const struct boot_options *o, struct boot_tls *tls, char **cause);
void boot_tls_cleanup(struct boot_tls *tls);

#endif
