/*
 * session — one running core, wired from a configuration: the loop, the
 * transport, the identity, the Azure pipeline and the engine. Every front end
 * (the console, `tdectl check`, `tdectl watch`, the benchmarks) starts here,
 * so they all talk to Azure the same way.
 *
 * Credentials come from the configuration and the standard environment
 * variables (auth_config_from_env); secrets only from the environment.
 *
 * Ownership: the session borrows the config (it must outlive the session)
 * and owns everything it creates; destroy tears down in reverse order.
 */
#ifndef TDECTL_SESSION_H
#define TDECTL_SESSION_H

#include <stdbool.h>

#include "config.h"

struct loop;
struct http;
struct auth;
struct azure;
struct engine;
struct cloud;
struct session;

struct session_options {
    const char *snapshot_path;  /* NULL: the default path when config->snapshot, else none */
    bool no_snapshot;           /* never read or write a snapshot */
    const char *const *resolve; /* CURLOPT_RESOLVE entries for the transport (tests) */
    unsigned max_in_flight;     /* 0: the engine's default */
    bool no_catch_up;           /* no early full sweep after a failed one (tests that drive
                                   every sweep by hand) */
};

struct session *session_create(const struct config *c, const struct session_options *o,
                               char **cause);
void session_destroy(struct session *s);

struct loop *session_loop(const struct session *s);
struct http *session_http(const struct session *s);
struct auth *session_auth(const struct session *s);
struct azure *session_azure(const struct session *s);
struct engine *session_engine(const struct session *s);
const struct cloud *session_cloud(const struct session *s);

#endif
