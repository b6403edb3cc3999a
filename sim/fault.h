/*
 * fault — injected failures, for tests, the demo's practice mode and benchmarks.
 *
 * A fault has a kind, a target and parameters. Targets:
 *   vault:NAME            the vault as every client sees it (the console's
 *                         path and every instance's path)
 *   vault:NAME@console    only the console's path (HTTP clients of azsim)
 *   vault:NAME@REGION     only the path of instances in REGION (through their
 *                         private endpoint): a region's view of the vault
 *   arm | login | imds    that service, for HTTP clients
 *   listener:https | listener:imds   a whole listening socket
 *
 * Kinds:
 *   network: refused, blackhole, latency (ms, jitter_ms), tls, reset, slow
 *            (bytes_per_second)
 *   service: throttle (rate, retry_after), error (rate, status), malformed
 *            (rate), truncated (rate), oversized (bytes)
 *   state:   key-disable, key-expire (vault, key, version), key-delete
 *            (vault, key), vault-delete (vault), revoke (vault, principal),
 *            rbac-flip (vault), pe-state (pe, status), read-only (vault)
 * State faults change the world when added and put it back when cleared.
 * Network and service faults are consulted on every request (http.c) and by
 * the managed-instance model (a region's path to a vault).
 *
 * The registry has its own lock; it never takes the world lock itself except
 * in fault_add/fault_clear for state faults (callers must not hold it then).
 */
#ifndef AZSIM_FAULT_H
#define AZSIM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct sim;

enum fault_kind {
    FAULT_REFUSED,
    FAULT_BLACKHOLE,
    FAULT_LATENCY,
    FAULT_TLS,
    FAULT_RESET,
    FAULT_SLOW,
    FAULT_THROTTLE,
    FAULT_ERROR,
    FAULT_MALFORMED,
    FAULT_TRUNCATED,
    FAULT_OVERSIZED,
    FAULT_KEY_DISABLE,
    FAULT_KEY_EXPIRE,
    FAULT_KEY_DELETE,
    FAULT_VAULT_DELETE,
    FAULT_REVOKE,
    FAULT_RBAC_FLIP,
    FAULT_PE_STATE,
    FAULT_READ_ONLY,
    FAULT_KIND_COUNT
};

/* What a request should suffer, decided before it is handled (http.c). */
struct fault_action {
    bool drop;       /* close the connection without answering */
    bool blackhole;  /* never answer (hold the connection until the fault is cleared) */
    int delay_ms;    /* answer after this long */
    int status;      /* answer this instead of handling (429, 5xx); 0 = handle */
    int retry_after; /* with status 429/503 */
    bool malformed;  /* corrupt the JSON body */
    bool truncated;  /* cut the body in half */
    long oversized;  /* pad the body to this many bytes */
    bool reset;      /* send part of the body, then reset the connection */
    long slow_bps;   /* send the body at this many bytes per second */
};

void fault_init(struct sim *sim);
void fault_shutdown(void);

/*
 * Adds a fault from its JSON description ({"kind", "target", parameters...,
 * "duration_seconds"?}). Returns the new fault as JSON (with its "id"), or
 * NULL with *cause (a message for a 400).
 */
cJSON *fault_add(const cJSON *spec, char **cause);
/* Clears one fault (0), or -1 when there is no such id. */
int fault_clear(const char *id);
void fault_clear_all(void);
/*
 * For shutdown: clears every fault (putting back what state faults changed)
 * and cuts short the waits in progress (blackholes, latency), so held
 * connections end promptly. Later faults_released() is true.
 */
void fault_release_all(void);
bool fault_released(void);
cJSON *fault_list(void);
/* Clears faults whose duration has run out (real time). */
void fault_expire(void);

/*
 * The action for a request to host kind "vault"/"arm"/"login"/"imds" (name:
 * the vault name, else NULL) on listener "https"/"imds". Cheap when no fault
 * is active.
 */
void fault_for_request(const char *listener, const char *service, const char *name,
                       struct fault_action *out);

/* True while a blackhole fault that matched is still active (held connections poll this). */
bool fault_still_active(const char *listener, const char *service, const char *name);

/*
 * Whether the path from instances in region to vault is out (network faults,
 * 5xx and 429 storms, and latency beyond 30 s count as an outage).
 */
bool fault_vault_outage(const char *vault, const char *region);

/* Listener-level faults (refused, tls) currently set on listener ("https", "imds"). */
bool fault_listener(const char *listener, enum fault_kind kind);

#endif
